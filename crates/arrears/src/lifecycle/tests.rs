//! The state machine's inputs the engine derives.

use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::Terms;
use arrears_core::money::Currency;

use super::*;

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

/// The features' `months_on_book` counts whole months since the account opened, as the
/// plugin ABI documents it (`ArrearsFeatures::months_on_book`) and as a stage's tenure and a
/// contact budget's segment count them: never a month that has not passed.
#[test]
fn months_on_book_are_whole_months() {
    let account = Account {
        id: AccountId(1),
        external_ref: None,
        debtor: DebtorId(1),
        product: ProductKind::Installment,
        currency: Currency::USD,
        credit_limit_minor: None,
        opened_on: date("2026-01-31"),
        terms: Terms::default(),
    };
    let policy = Policy::default_policy();
    let case = new_case(&policy, &account);
    let state = AccountState::opening(&account);
    let months = |as_of: &str| features(&[], &account, &case, &state, date(as_of)).months_on_book;
    assert_eq!(months("2026-01-31"), 0);
    assert_eq!(months("2026-02-01"), 0, "a day is not a month");
    assert_eq!(months("2026-02-28"), 0, "Feb 28 is before Jan 31's month ends");
    assert_eq!(months("2026-03-01"), 1);
    assert_eq!(months("2026-03-31"), 2);
    assert_eq!(months("2027-01-30"), 11);
    assert_eq!(months("2027-01-31"), 12);
    assert_eq!(months("2025-12-31"), 0, "before opening: none");
}
