//! The reports' numbers recomputed by hand on a small scenario: two trade-credit accounts owe
//! 100.00 due 2026-01-31 and become delinquent on 2026-02-01. A promises 100.00 for
//! 2026-02-10 and pays it then (kept, cured, everything recovered); B promises 50.00 for
//! 2026-02-20 and pays nothing (broken, not cured, nothing recovered).
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::NaiveDate;

use arrears::model::{DebtorFlags, DebtorKind, Jurisdiction, ObligationKind, ProductKind, Terms};
use arrears::money::{Currency, Money};
use arrears::reports::{month_ends, RateDifference};
use arrears::{Arrears, Command, NewAccount, NewCharge, NewDebtor, Outcome, PromiseLine};

fn on(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

fn account(books: &Arrears, name: &str) -> arrears::ids::AccountId {
    let Outcome::DebtorCreated(debtor) = books
        .execute(
            &format!("debtor:{name}"),
            &Command::CreateDebtor(NewDebtor {
                external_ref: Some(name.into()),
                kind: DebtorKind::Business,
                name: name.into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec!["America/Chicago".into()],
                language: "en".into(),
                contact_points: Vec::new(),
                flags: DebtorFlags::default(),
            }),
        )
        .expect("debtor")
        .outcome
    else {
        panic!("no debtor")
    };
    let Outcome::AccountOpened(account) = books
        .execute(
            &format!("account:{name}"),
            &Command::OpenAccount(NewAccount {
                external_ref: Some(format!("A-{name}")),
                debtor,
                product: ProductKind::TradeCredit,
                credit_limit: None,
                currency: Currency::USD,
                opened_on: on("2025-12-01"),
                terms: Terms::default(),
            }),
        )
        .expect("account")
        .outcome
    else {
        panic!("no account")
    };
    books
        .execute(
            &format!("charge:{name}"),
            &Command::Charge(NewCharge {
                account,
                external_ref: None,
                kind: ObligationKind::Invoice,
                issued_on: on("2026-01-01"),
                due_on: on("2026-01-31"),
                principal: usd(100_00),
                interest: usd(0),
                fee: usd(0),
            }),
        )
        .expect("charge")
        .accepted()
        .expect("charge accepted");
    account
}

fn promise(books: &Arrears, account: arrears::ids::AccountId, made: &str, due: &str, minor: i64) {
    let receipt = books
        .execute(
            &format!("promise:{account}"),
            &Command::Promise {
                account,
                made_on: on(made),
                payments: vec![PromiseLine { on: on(due), amount: usd(minor) }],
            },
        )
        .expect("promise");
    assert!(!receipt.outcome.is_rejected(), "{:?}", receipt.outcome);
}

#[test]
fn kpis_and_roll_rates_match_a_scenario_computed_by_hand() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let books = Arrears::create(dir.path().join("books.redb")).expect("store");
    let a = account(&books, "A");
    let b = account(&books, "B");
    for day in on("2026-01-01").iter_days().take_while(|day| *day <= on("2026-03-31")) {
        if day == on("2026-02-05") {
            promise(&books, a, "2026-02-05", "2026-02-10", 100_00);
        }
        if day == on("2026-02-10") {
            let payment = Command::Payment {
                account: a,
                effective_on: day,
                amount: usd(100_00),
                directed_to: None,
            };
            books
                .execute("pay:A", &payment)
                .expect("payment")
                .accepted()
                .expect("payment accepted");
        }
        if day == on("2026-02-15") {
            promise(&books, b, "2026-02-15", "2026-02-20", 50_00);
        }
        books.run_cycle(day).expect("cycle");
    }
    let kpis = books.report_kpis(on("2026-01-01"), on("2026-03-31")).expect("kpis");
    assert_eq!(kpis.accounts, 2);
    assert_eq!(kpis.became_delinquent, 2);
    assert_eq!(kpis.cured, 1);
    assert_eq!(kpis.cure_rate, Some(0.5));
    assert_eq!(kpis.recovery.len(), 1);
    assert_eq!(kpis.recovery[0].delinquent_minor, 200_00);
    assert_eq!(kpis.recovery[0].recovered_minor, 100_00);
    assert_eq!(kpis.recovery_rate, Some(0.5));
    assert_eq!((kpis.promises_kept, kpis.promises_broken), (1, 1));
    assert_eq!(kpis.promise_kept_rate, Some(0.5));
    // No contact points, so no contacts: the rate is undefined, not zero.
    assert_eq!((kpis.contacts, kpis.right_party_contact_rate), (0, None));
    // The curve: nothing before A paid, 9 days after entry; half from then on.
    assert_eq!(kpis.recovery_curve[8], 0.0);
    assert_eq!(kpis.recovery_curve[9], 0.5);
    assert_eq!(kpis.recovery_curve.last(), Some(&0.5));
    let arms: u64 = kpis.by_arm.iter().map(|arm| arm.became_delinquent).sum();
    assert_eq!(arms, 2);

    // Month ends: Jan 31 both current (due that day), Feb 28 A current and B 28 days past
    // due, Mar 31 B 59 days past due.
    let rolls = books.roll_rates(&month_ends(on("2026-01-31"), on("2026-03-31"))).expect("rolls");
    assert_eq!(rolls.month_ends, vec![on("2026-01-31"), on("2026-02-28"), on("2026-03-31")]);
    assert_eq!(rolls.counts[0][0], 2, "{:?}", rolls.counts);
    assert_eq!(rolls.counts[0][1], 1);
    assert_eq!(rolls.counts[1][2], 1);
    assert_eq!(rolls.counts.iter().flatten().sum::<u64>(), 4);
    assert_eq!(rolls.rates[0][0], 2.0 / 3.0);

    let series = books.aging_series(&[on("2026-02-28")]).expect("series");
    assert_eq!(series[0].accounts[..3], [1, 1, 0]);
}

#[test]
fn the_cure_rate_difference_has_the_textbook_interval() {
    let difference = RateDifference::of(30, 100, 20, 100).expect("samples");
    let error = (0.3f64 * 0.7 / 100.0 + 0.2 * 0.8 / 100.0).sqrt();
    assert!((difference.difference - 0.1).abs() < 1e-12);
    assert!((difference.low - (0.1 - 1.96 * error)).abs() < 1e-12);
    assert!((difference.high - (0.1 + 1.96 * error)).abs() < 1e-12);
}
