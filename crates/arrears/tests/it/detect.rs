//! Red flags derived from the books (issue 18 point 3), through the public API: credit notes
//! as ledger events (balanced, not cash, refused above what is owed, idempotent), and the
//! detectors the cycle runs before its credit reviews, which raise signals with their source
//! and evidence once, tighten a trade-credit debtor's terms before anything is missed, and
//! clear them when the books no longer show the pattern.

use chrono::{Days, NaiveDate};

use arrears::credit::{CreditApplication, CreditTerms, ReviewAction};
use arrears::ids::{AccountId, DebtorId};
use arrears::ledger::{Book, CreditNoteReason};
use arrears::model::{DebtorFlags, DebtorKind, Jurisdiction, ProductKind, Terms};
use arrears::policy::Signal;
use arrears::{Arrears, Command, NewDebtor, Outcome, Rejection};

use crate::support::{account_with, charge_command, d, open_temp, pay, usd};

const CREDIT: &str = r#"
[[credit.rule]]
name = "books_warning"
decision = "approve"
signals = ["purchase_pattern_change", "payment_drift", "returns_pattern_change"]
limit_max = { USD = "2000" }
net_days_max = 7
reasons = ["early_warning", "limit_capped"]

[[credit.rule]]
name = "standard"
decision = "approve"
limit_max = { USD = "20000" }
reasons = ["standard_terms"]

[credit.review]
every_days = 365
on_signals = ["purchase_pattern_change", "payment_drift", "returns_pattern_change"]

[detectors]
decay_days = 90

[detectors.payment_drift]
obligations = 3
days_min = 10
"#;

fn books_with_detectors() -> (tempfile::TempDir, Arrears) {
    let (dir, books) = open_temp();
    let standard = include_str!("../../../../examples/policies/standard.toml");
    let text = format!("{standard}\n{CREDIT}");
    let set = Command::SetPolicy { file: "detect.toml".into(), text };
    assert!(matches!(books.execute("policy", &set).unwrap().outcome, Outcome::PolicySet { .. }));
    (dir, books)
}

/// Day `n` of 2026 (day 0 is January 1).
fn day(n: u64) -> NaiveDate {
    d(1, 1) + Days::new(n)
}

fn business(books: &Arrears) -> DebtorId {
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some("ACME".into()),
        kind: DebtorKind::Business,
        name: "ACME Ltd".into(),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    });
    match books.execute("debtor", &command).unwrap().outcome {
        Outcome::DebtorCreated(id) => id,
        other => panic!("debtor not created: {other:?}"),
    }
}

/// A trade-credit customer approved for 15,000.00 at net 30.
fn approved_customer(books: &Arrears) -> (DebtorId, AccountId) {
    let debtor = business(books);
    let application = CreditApplication {
        debtor,
        product: ProductKind::TradeCredit,
        limit: usd(1_500_000),
        terms: CreditTerms {
            net_days: 30,
            deposit_share: "0".parse().unwrap(),
            cash_on_delivery: false,
            interest_rate: "0".parse().unwrap(),
        },
        applied_on: day(0),
        attributes: Default::default(),
    };
    let decided = books.execute("apply", &Command::DecideCredit { application }).unwrap();
    assert!(matches!(decided.outcome, Outcome::CreditDecided { .. }));
    let account = account_with(books, debtor, "TC-1", Terms::default(), Some(1_500_000));
    (debtor, account)
}

/// An invoice of 1,000.00 every ten days from day 0 to day 120, net 30, and one more on day
/// 140 (the buying drops); the first ten are paid ten days early, the rest on their due
/// dates (paying slower, never late), each by day `through`.
fn trade(books: &Arrears, account: AccountId, through: u64) {
    let mut invoices: Vec<u64> = (0..=12).map(|n| n * 10).collect();
    invoices.push(140);
    for (n, issued) in invoices.iter().enumerate() {
        let command = charge_command(account, day(*issued), day(issued + 30), 100_000);
        books.execute(&format!("inv-{n}"), &command).unwrap().accepted().unwrap();
        let paid = if n < 10 { issued + 20 } else { issued + 30 };
        if paid <= through {
            pay(books, &format!("pay-{n}"), account, day(paid), 100_000);
        }
    }
}

#[test]
fn issue_18_detectors_raise_signals_that_tighten_terms_before_anything_is_missed() {
    let (_dir, books) = books_with_detectors();
    let (debtor, account) = approved_customer(&books);
    trade(&books, account, 150);
    let report = books.run_cycle(day(150)).unwrap();
    let raised: Vec<(Signal, &str)> = report
        .signals_detected
        .iter()
        .map(|change| (change.signal, change.source.as_str()))
        .collect();
    assert_eq!(
        raised,
        [
            (Signal::PurchasePatternChange, "detector:buying_pattern"),
            (Signal::PaymentDrift, "detector:payment_drift"),
        ]
    );
    assert!(report.signals_detected.iter().all(|change| change.raised && change.debtor == debtor));
    // The signals are kept on the debtor with their day, decay and evidence.
    let kept = books.debtor(debtor).unwrap().unwrap().reported_signals;
    assert_eq!(kept.len(), 2);
    assert_eq!((kept[0].observed_on, kept[0].expires_on), (day(150), Some(day(240))));
    assert_eq!(
        kept[0].evidence,
        "account A1: charges 100000 minor in 30 days against 900000 minor in 90 days before: \
         ratio 0.33 < 0.5"
    );
    assert!(kept[1].evidence.contains("up 10 >= 10"), "{}", kept[1].evidence);
    // The same day's review tightens the terms; nothing is past due.
    assert_eq!(report.credit_reviews.len(), 1);
    assert_eq!(report.credit_reviews[0].action, ReviewAction::Tighten);
    let standing = books.credit_standing(debtor).unwrap().unwrap();
    assert_eq!((standing.limit_minor, standing.terms.net_days), (200_000, 7));
    assert_eq!(books.account_view(account, day(150)).unwrap().past_due_minor, 0);
    // A second run of the day, by hand under another key, changes nothing.
    let again = books.execute("detect-again", &Command::DetectSignals { as_of: day(150) });
    assert!(
        matches!(again.unwrap().outcome, Outcome::SignalsDetected { changes } if changes.is_empty())
    );
    assert_eq!(books.debtor(debtor).unwrap().unwrap().reported_signals.len(), 2);
}

#[test]
fn detected_signals_clear_when_the_books_no_longer_show_them() {
    let (_dir, books) = books_with_detectors();
    let (debtor, account) = approved_customer(&books);
    trade(&books, account, 400);
    let detect = |key: &str, on: NaiveDate| match books
        .execute(key, &Command::DetectSignals { as_of: on })
        .unwrap()
        .outcome
    {
        Outcome::SignalsDetected { changes } => changes,
        other => panic!("not detected: {other:?}"),
    };
    assert_eq!(detect("d1", day(150)).len(), 2);
    // By day 230, before the signals decay on day 240, the baseline holds too few invoices to
    // compare with, and the last payments are all on time: both clear, each with the
    // evidence that had fired it.
    let cleared = detect("d2", day(230));
    assert_eq!(cleared.len(), 2, "{cleared:?}");
    assert!(cleared.iter().all(|change| !change.raised));
    let kept = books.debtor(debtor).unwrap().unwrap().reported_signals;
    assert!(kept.iter().all(|signal| signal.expires_on == Some(day(230))));
    assert!(detect("d3", day(230)).is_empty());
}

#[test]
fn a_credit_note_lowers_what_is_owed_without_cash_and_is_refused_above_it() {
    let (_dir, books) = books_with_detectors();
    let (_, account) = approved_customer(&books);
    books
        .execute("inv", &charge_command(account, day(0), day(30), 100_000))
        .unwrap()
        .accepted()
        .unwrap();
    let note = |amount: i64| Command::CreditNote {
        account,
        obligation: None,
        effective_on: day(5),
        amount: usd(amount),
        reason: CreditNoteReason::Return,
        external_ref: Some("CN-1".into()),
    };
    let refused = books.execute("cn-too-much", &note(100_001)).unwrap().outcome;
    assert!(matches!(
        refused,
        Outcome::Rejected(Rejection::Ledger(arrears::ledger::Rejection::CreditNoteExceedsOwed {
            owed_minor: 100_000,
            ..
        }))
    ));
    books.execute("cn", &note(25_000)).unwrap().accepted().unwrap();
    assert!(books.execute("cn", &note(25_000)).unwrap().replayed);
    let view = books.account_view(account, day(5)).unwrap();
    assert_eq!(view.total_outstanding_minor, 75_000);
    assert_eq!(view.books_minor.get(&Book::Cash).copied().unwrap_or(0), 0);
    assert_eq!(view.books_minor[&Book::Originations], -75_000);
}
