//! Lists: the library's filtered iterators agree with a filter applied to every account's
//! view, page by page, in id order.

use std::sync::OnceLock;

use arrears::aging::Bucket;
use arrears::lists::{AccountFilter, AccountRow, DebtorFilter};
use arrears::model::{ContactChannel, ContactPoint, ContactPointKind, Terms};
use arrears::money::Currency;
use arrears::{Arrears, Command, NewDebtor};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::*;

/// More accounts than one page of a list (512).
const ACCOUNTS: u64 = 1_100;

fn as_of() -> NaiveDate {
    d(11, 20)
}

/// A store of 1,100 accounts over 50 debtors, with charges due on different days and some
/// paid, reviewed by one cycle.
fn books() -> &'static (tempfile::TempDir, Arrears) {
    static BOOKS: OnceLock<(tempfile::TempDir, Arrears)> = OnceLock::new();
    BOOKS.get_or_init(|| {
        let (dir, books) = open_temp();
        let debtors: Vec<_> = (0..50).map(|n| debtor(&books, &format!("L{n}"))).collect();
        let mut batch = books.batch().unwrap();
        let mut accounts = Vec::new();
        for n in 0..ACCOUNTS {
            let command = Command::OpenAccount(arrears::NewAccount {
                external_ref: Some(format!("LA-{n}")),
                debtor: debtors[(n % 50) as usize],
                product: arrears::model::ProductKind::TradeCredit,
                credit_limit: None,
                currency: Currency::USD,
                opened_on: d(1, 1),
                terms: Terms::default(),
            });
            match batch.execute(&format!("account:LA-{n}"), &command).unwrap().outcome {
                arrears::Outcome::AccountOpened(id) => accounts.push(id),
                other => panic!("{other:?}"),
            }
        }
        for (n, account) in accounts.iter().enumerate() {
            let n = n as u32;
            let due = d(1 + n % 11, 1 + n % 28);
            let charge = charge_command(*account, d(1, 1), due, 1_000 + i64::from(n) * 7);
            batch.execute(&format!("charge:{n}"), &charge).unwrap().accepted().unwrap();
            if n % 3 == 0 {
                let payment = Command::Payment {
                    account: *account,
                    effective_on: due,
                    amount: usd(1_000 + i64::from(n) * 7),
                    directed_to: None,
                };
                batch.execute(&format!("pay:{n}"), &payment).unwrap().accepted().unwrap();
            }
        }
        batch.commit().unwrap();
        books.run_cycle(as_of()).unwrap();
        (dir, books)
    })
}

/// Every account's row, by brute force: the filter applied to each account's view and case.
fn expected(books: &Arrears, filter: &AccountFilter) -> Vec<arrears::ids::AccountId> {
    let mut ids = Vec::new();
    for id in books.account_ids().unwrap() {
        let view = books.account_view(id, as_of()).unwrap();
        let case = books.case(id).unwrap();
        let outstanding = Decimal::new(view.total_outstanding_minor, 2);
        let keep = (filter.states.is_empty()
            || filter.states.iter().any(|s| s == case.state.name()))
            && (filter.buckets.is_empty() || filter.buckets.contains(&view.aging.bucket))
            && filter.days_past_due_min.is_none_or(|min| view.aging.days_past_due >= min)
            && filter.days_past_due_max.is_none_or(|max| view.aging.days_past_due <= max)
            && filter.balance_min.is_none_or(|min| outstanding >= min)
            && filter.balance_max.is_none_or(|max| outstanding <= max)
            && filter.after.is_none_or(|after| id > after);
        if keep {
            ids.push(id);
        }
    }
    ids
}

fn listed(books: &Arrears, filter: &AccountFilter) -> Vec<AccountRow> {
    books.list_accounts(filter.clone(), as_of()).unwrap().map(Result::unwrap).collect()
}

#[test]
fn every_account_in_id_order_and_pages_resume_at_the_cursor() {
    let (_, books) = books();
    let all = listed(books, &AccountFilter::default());
    assert_eq!(all.len() as u64, ACCOUNTS);
    assert!(all.windows(2).all(|pair| pair[0].account < pair[1].account), "ascending ids");
    // Pages of 100 rows, each resumed after the last row of the one before, give the same rows.
    let mut paged = Vec::new();
    let mut filter = AccountFilter::default();
    loop {
        let page: Vec<AccountRow> = books
            .list_accounts(filter.clone(), as_of())
            .unwrap()
            .take(100)
            .map(Result::unwrap)
            .collect();
        let Some(last) = page.last() else { break };
        filter.after = Some(last.account);
        paged.extend(page);
    }
    assert_eq!(paged, all);
    // The rows agree with the account views.
    for row in all.iter().step_by(97) {
        let view = books.account_view(row.account, as_of()).unwrap();
        assert_eq!(row.outstanding_minor, view.total_outstanding_minor);
        assert_eq!(row.past_due_minor, view.past_due_minor);
        assert_eq!(row.days_past_due, view.aging.days_past_due);
        assert_eq!(row.bucket, view.aging.bucket);
        assert_eq!(row.state, books.case(row.account).unwrap().state.name());
    }
}

fn filters() -> impl Strategy<Value = AccountFilter> {
    let states =
        proptest::sample::subsequence(vec!["current", "delinquent", "paid", "charged_off"], 0..=2);
    let buckets = proptest::sample::subsequence(Bucket::ALL.to_vec(), 0..=3);
    (
        states,
        buckets,
        proptest::option::of(0i64..400),
        proptest::option::of(0i64..400),
        proptest::option::of(0i64..9_000),
        proptest::option::of(0i64..9_000),
        proptest::option::of(1u64..=ACCOUNTS),
    )
        .prop_map(|(states, buckets, dpd_min, dpd_max, balance_min, balance_max, after)| {
            let mut filter = AccountFilter::default();
            filter.states = states.into_iter().map(str::to_owned).collect();
            filter.buckets = buckets;
            filter.days_past_due_min = dpd_min;
            filter.days_past_due_max = dpd_max;
            filter.balance_min = balance_min.map(|minor| Decimal::new(minor, 2));
            filter.balance_max = balance_max.map(|minor| Decimal::new(minor, 2));
            filter.after = after.map(arrears::ids::AccountId);
            filter
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A list is the brute-force filter of every account's view, in id order.
    #[test]
    fn a_list_is_the_filter_of_every_view(filter in filters()) {
        let (_, books) = books();
        let ids: Vec<_> = listed(books, &filter).iter().map(|row| row.account).collect();
        prop_assert_eq!(ids, expected(books, &filter));
    }
}

#[test]
fn debtors_are_found_by_name_reference_phone_and_email() {
    let (_dir, books) = open_temp();
    let create = |reference: &str, name: &str, points: Vec<ContactPoint>| {
        let command = Command::CreateDebtor(NewDebtor {
            external_ref: Some(reference.to_owned()),
            kind: arrears::model::DebtorKind::Person,
            name: name.to_owned(),
            jurisdiction: arrears::model::Jurisdiction { country: "US".into(), region: None },
            time_zones: vec!["America/Chicago".into()],
            language: "en".into(),
            contact_points: points,
            flags: arrears::model::DebtorFlags::default(),
        });
        books.execute(&format!("debtor:{reference}"), &command).unwrap().accepted().unwrap();
    };
    let point = |channel, address: &str| ContactPoint {
        channel,
        address: address.to_owned(),
        kind: ContactPointKind::Personal,
        consent: true,
        opted_out: false,
    };
    create("C-1", "Mar\u{ed}a Gonz\u{e1}lez", vec![point(ContactChannel::Sms, "+1-512-555-0143")]);
    create("C-2", "James Whitfield", vec![point(ContactChannel::Email, "J.Whitfield@Example.net")]);
    create("C-3", "Ana Gonzalez", Vec::new());
    let names = |filter: DebtorFilter| -> Vec<String> {
        books.list_debtors(filter).unwrap().map(|row| row.unwrap().name).collect()
    };
    let mut filter = DebtorFilter::default();
    filter.name = Some("GONZ".to_owned());
    assert_eq!(names(filter.clone()), ["Mar\u{ed}a Gonz\u{e1}lez", "Ana Gonzalez"]);
    filter.name = Some("gonz\u{e1}lez".to_owned());
    assert_eq!(names(filter), ["Mar\u{ed}a Gonz\u{e1}lez"]);
    let mut filter = DebtorFilter::default();
    filter.phone = Some("(512) 555 0143".to_owned());
    assert_eq!(names(filter.clone()), ["Mar\u{ed}a Gonz\u{e1}lez"], "a suffix of 7 digits or more");
    filter.phone = Some("0143".to_owned());
    assert!(names(filter).is_empty(), "4 digits are too few to match a suffix");
    let mut filter = DebtorFilter::default();
    filter.email = Some("j.whitfield@example.NET".to_owned());
    assert_eq!(names(filter), ["James Whitfield"]);
    let mut filter = DebtorFilter::default();
    filter.external_ref = Some("C-3".to_owned());
    assert_eq!(names(filter), ["Ana Gonzalez"]);
}
