//! Helpers shared by the integration tests.

use arrears::ids::{AccountId, DebtorId, ObligationId};
use arrears::model::{DebtorFlags, DebtorKind, Jurisdiction, ObligationKind, ProductKind, Terms};
use arrears::money::{Currency, Money};
use arrears::{
    Arrears, Clock, Command, Durability, FixedClock, NewAccount, NewCharge, NewDebtor, Options,
    Outcome, Posted, Sharing,
};
use chrono::NaiveDate;

pub(crate) fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

pub(crate) fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

/// A new store in a temporary directory. Its snapshots move every settled item to a cold part
/// at once (format 3, `cold_items_min` 1, not the default 8), so that every test on it, the
/// model test and the lifecycle proptest among them, runs with the hot state and its cold
/// parts at their busiest.
pub(crate) fn open_temp() -> (tempfile::TempDir, Arrears) {
    open_temp_with(Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap())))
}

/// [`open_temp`] with the engine clock `clock` (leases, recording instants).
pub(crate) fn open_temp_with(clock: Box<dyn Clock>) -> (tempfile::TempDir, Arrears) {
    open_temp_moving(clock, 1)
}

/// [`open_temp_with`] whose snapshots move settled items to a cold part once `cold_items_min`
/// can move (`usize::MAX`: never).
pub(crate) fn open_temp_moving(
    clock: Box<dyn Clock>,
    cold_items_min: usize,
) -> (tempfile::TempDir, Arrears) {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        durability: Durability::Eventual,
        sharing: Sharing::Exclusive,
        clock,
        cold_items_min,
        ..Options::default()
    };
    let books = Arrears::create_with(dir.path().join("books.redb"), options).unwrap();
    (dir, books)
}

pub(crate) fn debtor(books: &Arrears, reference: &str) -> DebtorId {
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: DebtorKind::Person,
        name: format!("Debtor {reference}"),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    });
    match books.execute(&format!("debtor:{reference}"), &command).unwrap().outcome {
        Outcome::DebtorCreated(id) => id,
        other => panic!("debtor not created: {other:?}"),
    }
}

pub(crate) fn account_with(
    books: &Arrears,
    debtor: DebtorId,
    reference: &str,
    terms: Terms,
    limit: Option<i64>,
) -> AccountId {
    let command = Command::OpenAccount(NewAccount {
        external_ref: Some(reference.to_owned()),
        debtor,
        product: ProductKind::TradeCredit,
        credit_limit: limit.map(usd),
        currency: Currency::USD,
        opened_on: d(1, 1),
        terms,
    });
    match books.execute(&format!("account:{reference}"), &command).unwrap().outcome {
        Outcome::AccountOpened(id) => id,
        other => panic!("account not opened: {other:?}"),
    }
}

pub(crate) fn account(books: &Arrears, reference: &str) -> AccountId {
    let debtor = debtor(books, &format!("D-{reference}"));
    account_with(books, debtor, reference, Terms::default(), None)
}

pub(crate) fn charge_command(
    account: AccountId,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    principal: i64,
) -> Command {
    Command::Charge(NewCharge {
        account,
        external_ref: None,
        kind: ObligationKind::Invoice,
        issued_on,
        due_on,
        principal: usd(principal),
        interest: usd(0),
        fee: usd(0),
    })
}

pub(crate) fn posted(outcome: Outcome) -> Posted {
    match outcome {
        Outcome::Posted(posted) => posted,
        other => panic!("expected a posting, got {other:?}"),
    }
}

pub(crate) fn charge(
    books: &Arrears,
    key: &str,
    account: AccountId,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    principal: i64,
) -> ObligationId {
    let receipt =
        books.execute(key, &charge_command(account, issued_on, due_on, principal)).unwrap();
    posted(receipt.outcome).obligation.unwrap()
}

pub(crate) fn pay(
    books: &Arrears,
    key: &str,
    account: AccountId,
    on: NaiveDate,
    amount: i64,
) -> Posted {
    let command =
        Command::Payment { account, effective_on: on, amount: usd(amount), directed_to: None };
    posted(books.execute(key, &command).unwrap().outcome)
}
