//! Cases built from docs/CREDIT.md's contract, as an outside checker would build them: each
//! documented rule of a decision at its boundary, what a refused application writes, the review
//! schedule and what a review may change, refuse-to-trade and the collections' credit hold,
//! credit notes in the exposure, and decisions explained. Each test names the lines it checks.
//! The policy is `examples/policies/credit.toml`, the one CREDIT.md shows.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use arrears::credit::{ReviewAction, ReviewTrigger, Verdict};
use arrears::ids::{AccountId, DebtorId};
use arrears::ledger::CreditNoteReason;
use arrears::model::{ObligationKind, ProductKind, Terms};
use arrears::money::{Currency, Money};
use arrears::policy::Signal;
use arrears::strategy::{Features, Score, Scorer, StrategyError};
use arrears::{Arrears, Command, CommandError, NewCharge, Outcome, Rejection};

use crate::credit::{application, business, decide, net, report_until, review};
use crate::detect::day;
use crate::support::{account_with, charge_command, d, open_temp, pay, usd};

const CREDIT_POLICY: &str = include_str!("../../../../examples/policies/credit.toml");

fn books_with(policy: &str) -> (tempfile::TempDir, Arrears) {
    let (dir, books) = open_temp();
    let set = Command::SetPolicy { file: "credit.toml".into(), text: policy.to_owned() };
    assert!(matches!(books.execute("policy", &set).unwrap().outcome, Outcome::PolicySet { .. }));
    (dir, books)
}

/// A scorer standing in for the policy's `rules`: every account scores `points`, with the
/// reasons given.
struct Fixed {
    points: AtomicI32,
    reasons: Vec<String>,
}

impl Scorer for Fixed {
    fn name(&self) -> &str {
        "rules"
    }

    fn score_batch(&self, features: &[Features]) -> Result<Vec<Score>, StrategyError> {
        let points = f64::from(self.points.load(Ordering::SeqCst));
        let score = Score { points, band: "fixed".into(), reasons: self.reasons.clone() };
        Ok(vec![score; features.len()])
    }
}

/// The credit policy's books with the `rules` scorer replaced by a fixed score.
fn books_scoring(points: i32, reasons: &[&str]) -> (tempfile::TempDir, Arrears, Arc<Fixed>) {
    let (dir, mut books) = open_temp();
    let fixed = Arc::new(Fixed {
        points: AtomicI32::new(points),
        reasons: reasons.iter().map(|reason| (*reason).to_owned()).collect(),
    });
    books.register_scorer(fixed.clone());
    let set = Command::SetPolicy { file: "credit.toml".into(), text: CREDIT_POLICY.to_owned() };
    assert!(matches!(books.execute("policy", &set).unwrap().outcome, Outcome::PolicySet { .. }));
    (dir, books, fixed)
}

fn decided(books: &Arrears, id: u64) -> arrears::credit::Decided {
    books.credit_decision(id).unwrap().unwrap().decided
}

fn set_terms(
    books: &Arrears,
    key: &str,
    debtor: DebtorId,
    limit_minor: i64,
    refuse: bool,
    on: chrono::NaiveDate,
) {
    let command = Command::SetCreditTerms {
        debtor,
        product: ProductKind::TradeCredit,
        limit: usd(limit_minor),
        terms: net(45),
        refuse_to_trade: refuse,
        effective_on: on,
    };
    assert_eq!(books.execute(key, &command).unwrap().outcome, Outcome::CreditTermsSet { debtor });
}

/// CREDIT.md, "Credit rules": `limit_max` is "the largest limit it grants" and `limit_above`
/// applies "when the limit asked for ... is above this amount": 50,000.00 asked is granted
/// whole, a cent more is capped to 50,000.00; 100,000.00 is not above 100,000.00 (the general
/// rule approves, capped), a cent more is referred by `large_limit`.
#[test]
fn limit_caps_and_thresholds_hold_to_the_cent() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    let cases = [
        (5_000_000, Verdict::Approve, "standard", 5_000_000),
        (5_000_001, Verdict::Approve, "standard", 5_000_000),
        (10_000_000, Verdict::Approve, "standard", 5_000_000),
        (10_000_001, Verdict::Refer, "large_limit", 10_000_001),
    ];
    for (n, (asked, verdict, rule, granted)) in cases.into_iter().enumerate() {
        let (id, found) = decide(&books, &format!("apply-{n}"), application(debtor, asked));
        let stored = decided(&books, id);
        assert_eq!(
            (found, stored.rule.as_deref(), stored.limit_minor),
            (verdict, Some(rule), granted),
            "asked {asked} minor"
        );
    }
}

/// CREDIT.md, "Credit rules": `score_below` and `score_at_least` are "bounds on the score's
/// points": `score_below = 400` refers a score of 399 and not one of 400.
#[test]
fn score_below_refers_399_and_not_400() {
    let (_dir, books, fixed) = books_scoring(399, &[]);
    let debtor = business(&books, "ACME");
    let (id, verdict) = decide(&books, "apply-399", application(debtor, 1_000_000));
    assert_eq!(
        (verdict, decided(&books, id).rule.as_deref()),
        (Verdict::Refer, Some("weak_score"))
    );
    fixed.points.store(400, Ordering::SeqCst);
    let (id, verdict) = decide(&books, "apply-400", application(debtor, 1_000_000));
    assert_eq!(
        (verdict, decided(&books, id).rule.as_deref()),
        (Verdict::Approve, Some("standard"))
    );
}

/// CREDIT.md, "Decisions": "the rule's reason codes first, then the scorer's (...), each
/// once", at most four.
#[test]
fn reasons_are_the_rules_then_the_scorers_each_once_at_most_four() {
    let (_dir, books, _) = books_scoring(700, &["limit_capped", "days_past_due", "tenure", "x"]);
    let debtor = business(&books, "ACME");
    report_until(&books, "sig", debtor, Signal::AssetSales, (d(1, 1), d(3, 1)));
    let (id, _) = decide(&books, "apply", application(debtor, 1_000_000));
    assert_eq!(
        decided(&books, id).reasons,
        ["early_warning", "limit_capped", "days_past_due", "tenure"]
    );
}

/// CREDIT.md, "Decisions": "An approval becomes the debtor's credit standing"; a referral or a
/// decline is stored as a decision and changes no standing.
#[test]
fn a_referred_or_declined_application_writes_its_decision_and_nothing_else() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply-1", application(debtor, 1_000_000));
    let standing = books.credit_standing(debtor).unwrap().unwrap();
    let (id, verdict) = decide(&books, "apply-2", application(debtor, 20_000_000));
    assert_eq!((id, verdict), (2, Verdict::Refer));
    report_until(&books, "sig", debtor, Signal::LateFiling, (d(1, 1), d(3, 1)));
    let (id, verdict) = decide(&books, "apply-3", application(debtor, 1_000_000));
    assert_eq!((id, verdict), (3, Verdict::Decline));
    assert_eq!(decided(&books, 3).limit_minor, 0, "a decline grants a limit of 0");
    assert_eq!(books.credit_standing(debtor).unwrap().unwrap(), standing);
    assert!(books.credit_reviews(None).unwrap().is_empty());
}

/// CREDIT.md, "Applications": `applied_on` is the day "the score and the signals are as of";
/// "Signals": reported signals count "from their observation day until they expire".
#[test]
fn the_signals_of_a_decision_are_those_in_force_on_the_application_day() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    report_until(&books, "sig", debtor, Signal::AssetSales, (d(2, 1), d(3, 1)));
    for (key, on, rule) in [
        ("before", d(1, 31), "standard"),
        ("first-day", d(2, 1), "early_warning"),
        ("last-day", d(2, 28), "early_warning"),
        ("expired", d(3, 1), "standard"),
    ] {
        let asked =
            arrears::credit::CreditApplication { applied_on: on, ..application(debtor, 1_000_000) };
        let (id, _) = decide(&books, key, asked);
        assert_eq!(decided(&books, id).rule.as_deref(), Some(rule), "applied on {on}");
    }
}

/// CREDIT.md, "Applications": the ranges of the terms (net days at most 3650, deposit share
/// and interest 0 to 1) hold at their bounds; a limit finer than the currency's minor unit or
/// negative is "an error naming the field, and writes nothing".
#[test]
fn application_ranges_hold_at_their_bounds_and_errors_write_nothing() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    let mut edge = application(debtor, 1_000_000);
    edge.terms.net_days = 3650;
    edge.terms.deposit_share = "1".parse().unwrap();
    edge.terms.interest_rate = "1".parse().unwrap();
    let (id, verdict) = decide(&books, "edge", edge);
    assert_eq!((id, verdict), (1, Verdict::Approve));
    assert_eq!(decided(&books, 1).terms.net_days, 60, "net_days_max shortens 3650 to 60");
    let mut long = application(debtor, 1_000_000);
    long.terms.net_days = 3651;
    let mut fine = application(debtor, 0);
    fine.limit = Money::new("1000.001".parse().unwrap(), Currency::USD);
    let mut yen = application(debtor, 0);
    yen.limit = Money::new("1000.5".parse().unwrap(), Currency::JPY);
    let negative = application(debtor, -1);
    for (key, bad, field) in [
        ("long", long, "terms.net_days"),
        ("fine", fine, "application.limit"),
        ("yen", yen, "application.limit"),
        ("negative", negative, "application.limit"),
    ] {
        let error = books.execute(key, &Command::DecideCredit { application: bad }).unwrap_err();
        match error {
            CommandError::Invalid { field: found, .. }
            | CommandError::Money { field: found, .. } => {
                assert_eq!(found, field, "{key}");
            }
            other => panic!("{key}: {other:?}"),
        }
        assert!(books.recorded(key).unwrap().is_none(), "{key} was recorded");
    }
    assert!(books.credit_decision(2).unwrap().is_none());
}

/// CREDIT.md, "Decisions": the command is idempotent like every other (docs: "the same key
/// with different content is a conflict error").
#[test]
fn the_same_key_with_another_application_is_a_conflict() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply", application(debtor, 1_000_000));
    let other = Command::DecideCredit { application: application(debtor, 2_000_000) };
    let error = books.execute("apply", &other).unwrap_err();
    assert!(matches!(error, CommandError::IdempotencyConflict { .. }), "{error:?}");
    assert!(books.credit_decision(2).unwrap().is_none());
}

/// CREDIT.md, "Reviews": "the standing was never reviewed (an approval counts as the first
/// review)"; `every_days`: "this many days passed since the last review". Approved on January
/// 1 under `every_days = 90`: nothing is due on March 31 (89 days), a review is on April 1.
#[test]
fn a_scheduled_review_is_due_exactly_every_days_after_the_approval() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply", application(debtor, 1_000_000));
    assert!(review(&books, d(1, 2)).is_empty(), "the approval was the first review");
    assert!(review(&books, d(3, 31)).is_empty());
    let reviews = review(&books, d(4, 1));
    assert_eq!(reviews.len(), 1);
    let stored = books.credit_reviews(Some(debtor)).unwrap();
    assert_eq!(stored[0].trigger, ReviewTrigger::Schedule);
    assert_eq!(stored[0].action, ReviewAction::Unchanged);
}

/// CREDIT.md, "Limits, terms and refusing to trade": "Setting the standing by hand counts as
/// a review on its day": the schedule counts from it.
#[test]
fn terms_set_by_hand_restart_the_review_schedule() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply", application(debtor, 1_000_000));
    set_terms(&books, "by-hand", debtor, 1_000_000, false, d(1, 10));
    assert!(review(&books, d(4, 1)).is_empty(), "81 days after the terms were set");
    assert!(review(&books, d(4, 9)).is_empty(), "89 days");
    assert_eq!(review(&books, d(4, 10)).len(), 1);
}

/// CREDIT.md, "Limits, terms and refusing to trade": the last review holds "its day, score and
/// signals, which the next one compares with. Setting the standing by hand counts as a review
/// on its day." A signal already in force when the terms were set by hand is no signal "came
/// into force since the last review": the next day's review is not due.
#[test]
fn terms_set_by_hand_are_a_review_of_the_signals_in_force_that_day() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply", application(debtor, 1_000_000));
    report_until(&books, "sig", debtor, Signal::AssetSales, (d(2, 2), d(6, 1)));
    // The credit manager looks at the asset sales and keeps the terms.
    set_terms(&books, "by-hand", debtor, 1_000_000, false, d(2, 2));
    assert!(review(&books, d(2, 3)).is_empty(), "the hand review of February 2 saw the signal");
    assert_eq!(books.credit_standing(debtor).unwrap().unwrap().limit_minor, 1_000_000);
}

/// CREDIT.md, "Reviews": "A standing stopped by hand (`--refuse-to-trade`) is held by every
/// review, whatever the rules say; only `arrears credit terms` lifts it." An application the
/// rules approve is not `arrears credit terms`: the debtor stays refused.
#[test]
fn an_approval_does_not_lift_a_stop_set_by_hand() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    set_terms(&books, "stop", debtor, 0, true, d(1, 1));
    let (_, verdict) = decide(&books, "apply", application(debtor, 1_000_000));
    assert_eq!(verdict, Verdict::Approve);
    let standing = books.credit_standing(debtor).unwrap().unwrap();
    assert!(standing.refuse_to_trade, "an approval lifted a stop set by hand: {standing:?}");
    let account = Command::OpenAccount(arrears::NewAccount {
        external_ref: Some("A1".into()),
        debtor,
        product: ProductKind::TradeCredit,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: d(1, 2),
        terms: Terms::default(),
    });
    let refused = Outcome::Rejected(Rejection::RefusedToTrade { debtor });
    assert_eq!(books.execute("open", &account).unwrap().outcome, refused);
    // Terms set by hand lift it.
    set_terms(&books, "resume", debtor, 1_000_000, false, d(1, 3));
    assert!(!books.credit_standing(debtor).unwrap().unwrap().refuse_to_trade);
}

/// CREDIT.md, "Reviews": `refer` is "`hold`: the standing stays as it is, for a person to
/// decide"; reviews decide "from its granted limit" (`limit_above` reads the granted limit in
/// a review).
#[test]
fn a_referred_review_holds_the_standing_as_it_is() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    set_terms(&books, "by-hand", debtor, 20_000_000, false, d(1, 1));
    let before = books.credit_standing(debtor).unwrap().unwrap();
    let reviews = review(&books, d(4, 1));
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].action, ReviewAction::Hold);
    let stored = books.credit_reviews(Some(debtor)).unwrap();
    assert_eq!(stored[0].decided.rule.as_deref(), Some("large_limit"));
    let after = books.credit_standing(debtor).unwrap().unwrap();
    assert_eq!(
        (after.limit_minor, after.terms.clone()),
        (before.limit_minor, before.terms.clone())
    );
    assert!(!after.refuse_to_trade);
}

/// CREDIT.md, "Reviews": `decline` is "`stop`: refuse to trade", and "a rule that no longer
/// fires loosens them again by itself": `loosen` covers "trade resumed".
#[test]
fn a_stop_by_review_resumes_trade_once_the_signal_expired() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply", application(debtor, 1_000_000));
    let account = account_with(&books, debtor, "A1", Terms::default(), None);
    report_until(&books, "sig", debtor, Signal::LateFiling, (d(2, 1), d(3, 1)));
    assert_eq!(review(&books, d(2, 2))[0].action, ReviewAction::Stop);
    let invoice = charge_command(account, d(2, 3), d(3, 5), 10_000);
    let refused = Outcome::Rejected(Rejection::RefusedToTrade { debtor });
    assert_eq!(books.execute("inv-stopped", &invoice).unwrap().outcome, refused);
    // 90 days after the review of February 2: May 3.
    assert!(review(&books, d(5, 2)).is_empty());
    assert_eq!(review(&books, d(5, 3))[0].action, ReviewAction::Loosen);
    let standing = books.credit_standing(debtor).unwrap().unwrap();
    assert!(!standing.refuse_to_trade);
    assert_eq!(standing.limit_minor, 1_000_000);
    let invoice = charge_command(account, d(5, 3), d(6, 5), 10_000);
    books.execute("inv-resumed", &invoice).unwrap().accepted().unwrap();
}

/// CREDIT.md, "Reviews": `score_drop`: "the score fell by at least this many points since the
/// last review" (100 in the policy): 99 points down is not due, 100 is.
#[test]
fn a_score_drop_is_due_at_exactly_score_drop_points() {
    let (_dir, books, fixed) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply", application(debtor, 1_000_000));
    fixed.points.store(601, Ordering::SeqCst);
    assert!(review(&books, d(2, 1)).is_empty(), "99 points down");
    fixed.points.store(600, Ordering::SeqCst);
    assert_eq!(review(&books, d(2, 2)).len(), 1);
    let stored = books.credit_reviews(Some(debtor)).unwrap();
    assert_eq!(stored[0].trigger, ReviewTrigger::ScoreDrop);
    assert_eq!(stored[0].score.as_ref().unwrap().points, 600);
}

/// CREDIT.md, "Limits, terms and refusing to trade": while refused, "new credit on its accounts
/// (a principal charge of a kind that extends credit, such as an invoice)" is refused;
/// "payments, fees, interest and the collection of what is owed go on as before".
#[test]
fn refusing_to_trade_lets_the_billing_of_what_is_owed_through() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    let account = account_with(&books, debtor, "A1", Terms::default(), None);
    set_terms(&books, "stop", debtor, 0, true, d(1, 2));
    let billed = |key: &str, kind: ObligationKind, principal: i64, fee: i64| {
        let command = Command::Charge(NewCharge {
            account,
            external_ref: Some(key.to_owned()),
            kind,
            issued_on: d(1, 3),
            due_on: d(2, 3),
            principal: usd(principal),
            interest: usd(0),
            fee: usd(fee),
        });
        books.execute(key, &command).unwrap().outcome
    };
    assert!(matches!(
        billed("installment", ObligationKind::Installment, 10_000, 0),
        Outcome::Posted(_)
    ));
    assert!(matches!(
        billed("statement", ObligationKind::Statement, 10_000, 0),
        Outcome::Posted(_)
    ));
    assert!(matches!(billed("fee", ObligationKind::Fee, 0, 2_500), Outcome::Posted(_)));
    assert_eq!(
        billed("invoice", ObligationKind::Invoice, 10_000, 0),
        Outcome::Rejected(Rejection::RefusedToTrade { debtor })
    );
    pay(&books, "pay", account, d(1, 4), 22_500);
}

/// docs/POLICY.md, "Actions": `credit_hold` refuses "a charge of kind `invoice` with
/// principal" with `CreditHold` while the account is in the stage; docs/COLLECTIONS.md: the
/// hold is the stage's, so an account paid up (current) takes new invoices again.
#[test]
fn a_collections_credit_hold_stops_invoices_until_the_account_is_cured() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    let account = account_with(&books, debtor, "A1", Terms::default(), None);
    charge_in(&books, "inv-1", account, d(1, 1), d(1, 31), 100_000);
    let mut day = d(1, 25);
    while day <= d(3, 2) {
        books.run_cycle(day).unwrap();
        day = day.succ_opt().unwrap();
    }
    let case = books.case(account).unwrap();
    assert_eq!((case.stage.as_deref(), case.credit_hold), (Some("mid"), true));
    let invoice = charge_command(account, d(3, 2), d(4, 1), 5_000);
    let held = books.execute("inv-held", &invoice).unwrap().outcome;
    assert_eq!(held, Outcome::Rejected(Rejection::CreditHold { stage: "mid".into() }));
    pay(&books, "cure", account, d(3, 3), 100_000);
    let invoice = charge_command(account, d(3, 3), d(4, 2), 5_000);
    books.execute("inv-cured", &invoice).unwrap().accepted().unwrap();
}

fn charge_in(
    books: &Arrears,
    key: &str,
    account: AccountId,
    on: chrono::NaiveDate,
    due: chrono::NaiveDate,
    minor: i64,
) {
    books.execute(key, &charge_command(account, on, due, minor)).unwrap().accepted().unwrap();
}

/// CREDIT.md, "Portfolio views": exposure is "what they owe"; docs/LEDGER.md, "Credit notes":
/// a credit note lowers "what the debtor owes for the sale". The utilisation is owed / limit
/// "to four places".
#[test]
fn a_credit_note_lowers_the_exposure_and_its_utilisation() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    decide(&books, "apply", application(debtor, 900_000));
    let account = account_with(&books, debtor, "A1", Terms::default(), None);
    charge_in(&books, "inv", account, d(1, 5), d(2, 5), 300_000);
    let rows = books.report_exposure(d(1, 10)).unwrap();
    assert_eq!((rows[0].exposure_minor, rows[0].limit_minor), (300_000, 900_000));
    assert_eq!(rows[0].utilisation, Some("0.3333".parse().unwrap()));
    let note = Command::CreditNote {
        account,
        obligation: None,
        effective_on: d(1, 10),
        amount: usd(100_000),
        reason: CreditNoteReason::Return,
        external_ref: Some("CN-1".into()),
    };
    books.execute("cn", &note).unwrap().accepted().unwrap();
    let rows = books.report_exposure(d(1, 10)).unwrap();
    assert_eq!(rows[0].exposure_minor, 200_000);
    assert_eq!(rows[0].utilisation, Some("0.2222".parse().unwrap()));
    // As of the day before the note, the debtor still owed the whole invoice.
    assert_eq!(books.report_exposure(d(1, 9)).unwrap()[0].exposure_minor, 300_000);
}

/// CREDIT.md, "Decisions": `explain decision` "takes the decision again: the rules of the
/// policy in force now ... It exits 1 if the decision does not reproduce (the policy or the
/// scorer changed since)".
#[test]
fn a_decision_does_not_reproduce_once_the_policy_changed() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let debtor = business(&books, "ACME");
    let (id, _) = decide(&books, "apply", application(debtor, 4_000_000));
    assert!(books.explain_decision(id).unwrap().unwrap().reproduces());
    let tighter = CREDIT_POLICY
        .replace("version = 3", "version = 4")
        .replace("limit_max = { USD = \"50000.00\" }", "limit_max = { USD = \"30000.00\" }");
    assert_ne!(tighter, CREDIT_POLICY);
    let set = Command::SetPolicy { file: "credit.toml".into(), text: tighter };
    books.execute("policy-v4", &set).unwrap().accepted().unwrap();
    let explained = books.explain_decision(id).unwrap().unwrap();
    assert!(!explained.reproduces());
    assert_eq!(explained.redecided.limit_minor, 3_000_000);
    assert_eq!(explained.decision.decided.limit_minor, 4_000_000);
    assert_eq!(explained.policy_now.1, 4);
}

/// docs/POLICY.md, "Credit rules": "A policy without `[credit]` refers every application
/// (`no_rule_matched`)", with the limit and terms asked for.
#[test]
fn a_policy_without_credit_rules_refers_every_application() {
    let standard = include_str!("../../../../examples/policies/standard.toml");
    let (_dir, books) = books_with(standard);
    let debtor = business(&books, "ACME");
    let (id, verdict) = decide(&books, "apply", application(debtor, 1_000_000));
    assert_eq!(verdict, Verdict::Refer);
    let stored = decided(&books, id);
    assert_eq!(stored.reasons[0], "no_rule_matched");
    assert_eq!((stored.rule, stored.limit_minor), (None, 1_000_000));
    assert!(books.credit_standing(debtor).unwrap().is_none());
}

/// CREDIT.md, "Detectors": `buying_pattern` compares the principal charged "in the last
/// `recent_days`" with "the `baseline_days` before" (defaults 30 and 90, `drop_ratio` 0.5,
/// `baseline_charges_min` 3). As of day 200, a charge on day 171 is the recent window's last
/// day back (ratio 0.67, no signal); a charge one day earlier, on day 170, is the baseline's
/// (nothing charged in the last 30 days: the buying dropped, the signal is raised).
#[test]
fn the_buying_window_ends_recent_days_back() {
    let (_dir, books, _) = books_scoring(700, &[]);
    let mut raised = Vec::new();
    for (reference, last_charge) in [("IN", 171), ("OUT", 170)] {
        let debtor = business(&books, reference);
        decide(&books, &format!("apply-{reference}"), application(debtor, 5_000_000));
        let account = account_with(&books, debtor, reference, Terms::default(), None);
        for (n, (on, minor)) in [(100, 90_000), (120, 90_000), (140, 90_000), (last_charge, 60_000)]
            .into_iter()
            .enumerate()
        {
            let key = format!("inv-{reference}-{n}");
            charge_in(&books, &key, account, day(on), day(on + 30), minor);
        }
        raised.push(debtor);
    }
    let detect = Command::DetectSignals { as_of: day(200) };
    let changes = match books.execute("detect", &detect).unwrap().outcome {
        Outcome::SignalsDetected { changes } => changes,
        other => panic!("not detected: {other:?}"),
    };
    let found: Vec<(DebtorId, Signal)> =
        changes.iter().map(|change| (change.debtor, change.signal)).collect();
    assert_eq!(found, [(raised[1], Signal::PurchasePatternChange)]);
}

/// CREDIT.md, "Checking an order": the exposure is what the debtor's accounts in the order's
/// currency owe on the day, due or not; an order fits up to the limit in force to the cent;
/// a payment frees its amount; a charge issued after the day does not count; without a
/// standing, in another currency or while refused trade, the answer says so.
#[test]
fn an_order_fits_up_to_the_limit_in_force_to_the_cent() {
    use arrears::credit_reports::CreditVerdict;
    let (_dir, books) = open_temp();
    let debtor = business(&books, "ORDERS");
    let account = account_with(&books, debtor, "A1", Terms::default(), None);
    let check = |order: Money, on| books.credit_check(debtor, order, on).unwrap();
    assert_eq!(check(usd(100), d(2, 1)).verdict, CreditVerdict::NoStanding);
    set_terms(&books, "terms", debtor, 500_000, false, d(2, 1));
    books
        .execute("inv-1", &charge_command(account, d(2, 1), d(3, 3), 120_000))
        .unwrap()
        .accepted()
        .unwrap();
    books
        .execute("inv-2", &charge_command(account, d(2, 20), d(3, 22), 30_000))
        .unwrap()
        .accepted()
        .unwrap();
    // On February 10 the second invoice is not issued yet.
    let before = check(usd(380_000), d(2, 10));
    assert_eq!((before.exposure_minor, before.available_minor), (120_000, Some(380_000)));
    assert_eq!(before.verdict, CreditVerdict::Fits);
    assert_eq!(check(usd(380_001), d(2, 10)).verdict, CreditVerdict::OverLimit { by_minor: 1 });
    // On February 25 both are owed; a payment of 50,000 on the 24th frees it.
    assert_eq!(check(usd(350_001), d(2, 25)).verdict, CreditVerdict::OverLimit { by_minor: 1 });
    pay(&books, "pay", account, d(2, 24), 50_000);
    let after = check(usd(400_000), d(2, 25));
    assert_eq!((after.exposure_minor, after.verdict), (100_000, CreditVerdict::Fits));
    let euros = Money::from_minor(100, Currency::EUR);
    let other = check(euros, d(2, 25));
    assert_eq!(other.verdict, CreditVerdict::OtherCurrency { standing: Currency::USD });
    assert_eq!((other.exposure_minor, other.limit_minor), (0, None));
    set_terms(&books, "stop", debtor, 500_000, true, d(2, 26));
    assert_eq!(check(usd(1), d(2, 26)).verdict, CreditVerdict::RefusedToTrade);
    // Bad arguments are errors that name the argument.
    let negative = books.credit_check(debtor, usd(-1), d(2, 26)).unwrap_err();
    assert!(negative.to_string().starts_with("order:"), "{negative}");
    let fine = Money::new("1.005".parse().unwrap(), Currency::USD);
    let too_fine = books.credit_check(debtor, fine, d(2, 26)).unwrap_err();
    assert!(too_fine.to_string().starts_with("order:"), "{too_fine}");
    let unknown = books.credit_check(DebtorId(999), usd(1), d(2, 26)).unwrap_err();
    assert!(matches!(unknown, arrears::QueryError::UnknownDebtor(DebtorId(999))), "{unknown}");
}
