//! Red flags derived from the books (issue 18 point 3), through the public API: credit notes
//! as ledger events (balanced, not cash, refused above what is owed, idempotent), and the
//! detectors the cycle runs before its credit reviews, which raise signals with their source
//! and evidence once, tighten a trade-credit debtor's terms before anything is missed, and
//! clear them when the books no longer show the pattern.

use chrono::{Days, NaiveDate};

use arrears::credit::{CreditApplication, CreditTerms, ReviewAction, ReviewTrigger};
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
pub(crate) fn day(n: u64) -> NaiveDate {
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

/// The credit section of the same-result test: every signal a review acts on, short windows
/// and a short decay, so that a few debtors over months raise, decay and clear signals often.
const CREDIT_EVERY_SIGNAL: &str = r#"
[[credit.rule]]
name = "distress"
decision = "decline"
signals = ["late_filing", "management_resignation"]
reasons = ["distress_signal"]

[[credit.rule]]
name = "warning"
decision = "approve"
signals = ["purchase_pattern_change", "payment_drift", "returns_pattern_change", "staff_turnover", "asset_sales", "broken_promise", "unreturned_calls", "extension_request"]
limit_max = { USD = "2000" }
net_days_max = 7
reasons = ["early_warning"]

[[credit.rule]]
name = "standard"
decision = "approve"
reasons = ["standard_terms"]

[credit.review]
every_days = 45
on_signals = ["purchase_pattern_change", "payment_drift", "returns_pattern_change", "late_filing", "management_resignation", "staff_turnover", "asset_sales", "broken_promise", "unreturned_calls", "extension_request"]

[detectors]
decay_days = 40

[detectors.buying_pattern]
recent_days = 20
baseline_days = 60
baseline_charges_min = 2

[detectors.returns_pattern]
recent_days = 20
baseline_days = 40

[detectors.payment_drift]
obligations = 2
days_min = 5

[detectors.unreturned_calls]
window_days = 30
calls_min = 5
"#;

/// SplitMix64: the scenario's numbers, the same in both stores.
struct Draws(u64);

impl Draws {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % bound
    }
}

/// A trade debtor of the same-result test: its account, its invoices not yet paid (amount,
/// due day) and the days its buying and its paying change.
struct Customer {
    debtor: DebtorId,
    account: AccountId,
    open: Vec<(i64, u64)>,
    buying_changes_on: u64,
    paying_slows_on: u64,
}

/// A store with the standard policy and `CREDIT_EVERY_SIGNAL` (and `extra` in its credit
/// review), and `count` trade debtors, each with a phone number, an account and a standing.
fn same_result_books(extra: &str, count: u64) -> (tempfile::TempDir, Arrears, Vec<Customer>) {
    let (dir, books) = open_temp();
    let standard = include_str!("../../../../examples/policies/standard.toml");
    let credit =
        CREDIT_EVERY_SIGNAL.replace("every_days = 45", &format!("every_days = 45\n{extra}"));
    let set =
        Command::SetPolicy { file: "same.toml".into(), text: format!("{standard}\n{credit}") };
    assert!(matches!(books.execute("policy", &set).unwrap().outcome, Outcome::PolicySet { .. }));
    let mut draws = Draws(7);
    let customers = (0..count)
        .map(|n| {
            let command = Command::CreateDebtor(NewDebtor {
                external_ref: Some(format!("B{n}")),
                kind: DebtorKind::Business,
                name: format!("Business {n}"),
                jurisdiction: Jurisdiction { country: "US".into(), region: None },
                time_zones: vec!["America/Chicago".into()],
                language: "en".into(),
                contact_points: vec![arrears::model::ContactPoint {
                    channel: arrears::model::ContactChannel::Phone,
                    address: format!("+1555010{n:04}"),
                    kind: arrears::model::ContactPointKind::Work,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            });
            let debtor = match books.execute(&format!("debtor-{n}"), &command).unwrap().outcome {
                Outcome::DebtorCreated(id) => id,
                other => panic!("debtor not created: {other:?}"),
            };
            let account =
                account_with(&books, debtor, &format!("TC-{n}"), Terms::default(), Some(5_000_000));
            let terms = CreditTerms {
                net_days: 30,
                deposit_share: "0".parse().unwrap(),
                cash_on_delivery: false,
                interest_rate: "0".parse().unwrap(),
            };
            let set = Command::SetCreditTerms {
                debtor,
                product: ProductKind::TradeCredit,
                limit: usd(5_000_000),
                terms,
                refuse_to_trade: false,
                effective_on: day(0),
            };
            books.execute(&format!("terms-{n}"), &set).unwrap().accepted().unwrap();
            Customer {
                debtor,
                account,
                open: Vec::new(),
                buying_changes_on: 40 + draws.below(120),
                paying_slows_on: 30 + draws.below(150),
            }
        })
        .collect();
    (dir, books, customers)
}

/// Day `today`'s business of one customer: invoices (more or fewer after its buying changes),
/// payments (later after its paying slows; none a month later for every fourth customer), now and then a credit note, a reported signal, a
/// promise or a call from the debtor. Refusals (a credit note above what is owed, an invoice
/// over the limit in force) are part of the scenario.
fn business_day(books: &Arrears, customer: &mut Customer, today: u64, draws: &mut Draws) {
    let (debtor, account) = (customer.debtor, customer.account);
    let key = |what: &str| format!("{what}-{}-{today}", account.0);
    let every = match today < customer.buying_changes_on {
        true => 6,
        false if account.0 % 2 == 0 => 25,
        false => 2,
    };
    if draws.below(every) == 0 {
        let amount = 50_000 + 1_000 * draws.below(400) as i64;
        let command = charge_command(account, day(today), day(today + 30), amount);
        if books.execute(&key("invoice"), &command).unwrap().outcome.is_rejected() {
            return;
        }
        customer.open.push((amount, today + 30));
    }
    // Every fourth stops paying a month after its paying slows (and gets called).
    let stopped = account.0 % 4 == 1 && today > customer.paying_slows_on + 30;
    let delay = match (today < customer.paying_slows_on, stopped) {
        (_, true) => 1_000,
        (true, false) => 0,
        (false, false) => 12 + draws.below(10),
    };
    let (due, open): (Vec<_>, Vec<_>) =
        customer.open.iter().partition(|(_, due_on)| due_on + delay <= today + 10);
    customer.open = open;
    let total: i64 = due.iter().map(|(amount, _)| amount).sum();
    if total > 0 {
        pay(books, &key("pay"), account, day(today), total);
    }
    match draws.below(40) {
        0 => {
            let note = Command::CreditNote {
                account,
                obligation: None,
                effective_on: day(today),
                amount: usd(20_000 + 1_000 * draws.below(100) as i64),
                reason: CreditNoteReason::Return,
                external_ref: Some(key("cn")),
            };
            attempt(books, &key("cn"), &note);
        }
        1 => {
            let kinds = arrears::model::ReportedSignal::REPORTABLE;
            let report = arrears::model::ReportedSignal {
                signal: kinds[draws.below(kinds.len() as u64) as usize],
                observed_on: day(today),
                expires_on: Some(day(today + 20 + draws.below(60))),
                source: "monitor:test".into(),
                evidence: String::new(),
            };
            attempt(books, &key("signal"), &Command::ReportSignal { debtor, report });
        }
        2 => {
            let line = arrears::PromiseLine { on: day(today + 5), amount: usd(10_000) };
            let promise = Command::Promise { account, made_on: day(today), payments: vec![line] };
            attempt(books, &key("promise"), &promise);
        }
        3 => {
            let inbound = Command::RecordInbound {
                debtor,
                accounts: vec![account],
                channel: arrears::model::ContactChannel::Phone,
                address: format!("+1555010{:04}", account.0),
                at: day(today).and_hms_opt(15, 0, 0).unwrap().and_utc(),
                outcome: arrears::case::ContactOutcome::RightParty,
            };
            attempt(books, &key("inbound"), &inbound);
        }
        _ => {}
    }
}

/// Executes a command of the scenario, which the engine may refuse (a credit note above what
/// is owed, a promise the state does not allow): the refusal is part of the scenario.
fn attempt(books: &Arrears, key: &str, command: &Command) {
    let receipt = books.execute(key, command).unwrap();
    assert!(!receipt.replayed, "{key} ran twice");
}

/// Acknowledges the actions due by `today`: calls mostly unanswered, the rest delivered.
fn acknowledge_due(books: &Arrears, today: NaiveDate) {
    let due = books.pending_actions(1_000).unwrap();
    for action in due.into_iter().filter(|action| action.scheduled_at.date_naive() <= today) {
        let outcome = match action.channel {
            arrears::model::ContactChannel::Phone if action.id % 5 == 0 => {
                arrears::case::ContactOutcome::RightParty
            }
            arrears::model::ContactChannel::Phone => arrears::case::ContactOutcome::NoAnswer,
            _ => arrears::case::ContactOutcome::Delivered,
        };
        let ack = Command::Acknowledge { action: action.id, outcome, at: action.scheduled_at };
        attempt(books, &format!("ack:{}", action.id), &ack);
    }
}

/// Forgets every debtor's detection mark: the next run of the detectors reads everything.
fn forget_marks(books: &Arrears) {
    use arrears_store::Reads;
    let mut txn = books.store().write().unwrap();
    for mut standing in txn.credit_standings().unwrap() {
        standing.detected = None;
        txn.put_credit_standing(&standing).unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn the_daily_detectors_and_reviews_find_what_full_runs_find() {
    // The same scenario in two stores: one runs the cycle as it does (the detectors skip the
    // debtors whose mark holds; a standing is scored only when a review may be due), the
    // other runs them in full every day: its marks are forgotten before each cycle, and its
    // reviews have a score drop that never triggers (1,000 points, the whole range), so every
    // standing reviewed before is scored every day.
    let (_fast_dir, fast, mut fast_customers) = same_result_books("", 8);
    let (_full_dir, full, mut full_customers) = same_result_books("score_drop = 1000", 8);
    let (mut fast_draws, mut full_draws) = (Draws(42), Draws(42));
    let (mut skipped, mut changes, mut reviews) = (0, 0, 0);
    for today in 1..=240 {
        for customer in &mut fast_customers {
            business_day(&fast, customer, today, &mut fast_draws);
        }
        for customer in &mut full_customers {
            business_day(&full, customer, today, &mut full_draws);
        }
        forget_marks(&full);
        let fast_report = fast.run_cycle(day(today)).unwrap();
        let full_report = full.run_cycle(day(today)).unwrap();
        assert_eq!(fast_report, full_report, "day {today}");
        acknowledge_due(&fast, day(today));
        acknowledge_due(&full, day(today));
        changes += fast_report.signals_detected.len();
        reviews += fast_report.credit_reviews.len();
        for standing in fast.credit_standings().unwrap() {
            // A debtor whose mark is of an earlier day was skipped today.
            skipped += usize::from(standing.detected.is_some_and(|mark| mark.on < day(today)));
        }
    }
    for (fast_customer, full_customer) in fast_customers.iter().zip(&full_customers) {
        let fast_debtor = fast.debtor(fast_customer.debtor).unwrap().unwrap();
        let full_debtor = full.debtor(full_customer.debtor).unwrap().unwrap();
        assert_eq!(fast_debtor.reported_signals, full_debtor.reported_signals);
        let mut fast_standing = fast.credit_standing(fast_customer.debtor).unwrap().unwrap();
        let mut full_standing = full.credit_standing(full_customer.debtor).unwrap().unwrap();
        (fast_standing.detected, full_standing.detected) = (None, None);
        assert_eq!(fast_standing, full_standing);
    }
    let fast_reviews = fast.credit_reviews(None).unwrap();
    assert_eq!(fast_reviews, full.credit_reviews(None).unwrap());
    assert!(fast_reviews.iter().all(|review| review.trigger != ReviewTrigger::ScoreDrop));
    // Not vacuous: signals came and went, reviews ran, and most debtor-days were skipped.
    let detectors: std::collections::BTreeSet<String> = fast_customers
        .iter()
        .flat_map(|customer| fast.debtor(customer.debtor).unwrap().unwrap().reported_signals)
        .map(|signal| signal.source)
        .filter(|source| source.starts_with("detector:"))
        .collect();
    assert!(detectors.len() >= 3, "{detectors:?}");
    assert!(changes >= 20 && reviews >= 40, "{changes} changes, {reviews} reviews");
    assert!(skipped >= 240 * 8 / 3, "{skipped} of {} debtor-days skipped", 240 * 8);
}
