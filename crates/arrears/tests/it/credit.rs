//! Credit management through the public API (issue 18 points 1 and 2): applications decided
//! by the policy's credit rules with the debtor's score, stored and reproducible; limits and
//! terms set by hand; credit reviews that tighten terms from reported signals before any
//! payment is missed and loosen them again; and refuse-to-trade, which rejects new business.

use std::collections::BTreeMap;

use arrears::credit::{CreditApplication, CreditTerms, ReviewAction, ReviewTrigger, Verdict};
use arrears::ids::DebtorId;
use arrears::model::{DebtorFlags, DebtorKind, Jurisdiction, ProductKind, ReportedSignal, Terms};
use arrears::policy::Signal;
use arrears::{Arrears, Command, CommandError, NewDebtor, Outcome, Rejection};

use crate::support::{account_with, charge_command, d, open_temp, pay, usd};

const CREDIT: &str = r#"
[[credit.rule]]
name = "distress"
decision = "decline"
signals = ["late_filing", "management_resignation"]
reasons = ["distress_signal"]

[[credit.rule]]
name = "watch"
decision = "approve"
signals = ["asset_sales", "staff_turnover"]
limit_max = { USD = "2000" }
net_days_max = 7
deposit_share_min = "0.5"
reasons = ["early_warning", "limit_capped"]

[[credit.rule]]
name = "standard"
decision = "approve"
limit_max = { USD = "20000" }
reasons = ["standard_terms"]

[credit.review]
every_days = 90
on_signals = ["asset_sales", "staff_turnover", "late_filing", "management_resignation"]
score_drop = 100
"#;

fn books_with_credit_rules() -> (tempfile::TempDir, Arrears) {
    let (dir, books) = open_temp();
    let standard = include_str!("../../../../examples/policies/standard.toml");
    let text = format!("{standard}\n{CREDIT}");
    let set = Command::SetPolicy { file: "credit.toml".into(), text };
    assert!(matches!(books.execute("policy", &set).unwrap().outcome, Outcome::PolicySet { .. }));
    (dir, books)
}

pub(crate) fn business(books: &Arrears, reference: &str) -> DebtorId {
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: DebtorKind::Business,
        name: format!("{reference} Ltd"),
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

pub(crate) fn net(days: u16) -> CreditTerms {
    CreditTerms {
        net_days: days,
        deposit_share: "0".parse().unwrap(),
        cash_on_delivery: false,
        interest_rate: "0.08".parse().unwrap(),
    }
}

pub(crate) fn application(debtor: DebtorId, limit_minor: i64) -> CreditApplication {
    CreditApplication {
        debtor,
        product: ProductKind::TradeCredit,
        limit: usd(limit_minor),
        terms: net(45),
        applied_on: d(1, 1),
        attributes: BTreeMap::from([("sector".to_owned(), "retail".to_owned())]),
    }
}

pub(crate) fn decide(books: &Arrears, key: &str, application: CreditApplication) -> (u64, Verdict) {
    match books.execute(key, &Command::DecideCredit { application }).unwrap().outcome {
        Outcome::CreditDecided { decision, verdict } => (decision, verdict),
        other => panic!("not decided: {other:?}"),
    }
}

fn report(books: &Arrears, key: &str, debtor: DebtorId, signal: Signal, on: chrono::NaiveDate) {
    report_until(books, key, debtor, signal, (on, d(4, 1)));
}

/// Reports `signal` about `debtor`, in force from the first day of `days` until the second.
pub(crate) fn report_until(
    books: &Arrears,
    key: &str,
    debtor: DebtorId,
    signal: Signal,
    (on, expires_on): (chrono::NaiveDate, chrono::NaiveDate),
) {
    let report = ReportedSignal {
        signal,
        observed_on: on,
        expires_on: Some(expires_on),
        source: "bureau:acme".into(),
        evidence: "monitoring alert".into(),
    };
    books.execute(key, &Command::ReportSignal { debtor, report }).unwrap().accepted().unwrap();
}

pub(crate) fn review(books: &Arrears, on: chrono::NaiveDate) -> Vec<arrears::ReviewDone> {
    let command = Command::ReviewCredit { as_of: on };
    match books.execute(&format!("review:{on}"), &command).unwrap().outcome {
        Outcome::CreditReviewed { reviews } => reviews,
        other => panic!("not reviewed: {other:?}"),
    }
}

#[test]
fn an_application_is_decided_stored_and_reproduces() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    let (id, verdict) = decide(&books, "apply-1", application(debtor, 5_000_000));
    assert_eq!((id, verdict), (1, Verdict::Approve));
    let stored = books.credit_decision(id).unwrap().unwrap();
    assert_eq!(stored.decided.rule.as_deref(), Some("standard"));
    assert_eq!(stored.decided.limit_minor, 2_000_000);
    assert_eq!(stored.decided.terms, net(45));
    assert_eq!(stored.decided.reasons[0], "standard_terms");
    assert!(stored.decided.reasons.len() <= 4);
    let score = stored.score.as_ref().unwrap();
    assert_eq!(score.scorer, "rules");
    assert_eq!(
        stored.features.len(),
        1,
        "an applicant with no account is scored on its application"
    );
    let explained = books.explain_decision(id).unwrap().unwrap();
    assert!(explained.reproduces(), "{explained:?}");
    // The approval is the debtor's standing.
    let standing = books.credit_standing(debtor).unwrap().unwrap();
    assert_eq!((standing.limit_minor, standing.refuse_to_trade), (2_000_000, false));
    // Idempotent: the same key replays the same decision and writes no second one.
    let again = books
        .execute("apply-1", &Command::DecideCredit { application: application(debtor, 5_000_000) })
        .unwrap();
    assert!(again.replayed);
    assert!(books.credit_decision(2).unwrap().is_none());
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn reported_distress_declines_with_the_rule_reason_first() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    report(&books, "signal", debtor, Signal::LateFiling, d(1, 1));
    let (id, verdict) = decide(&books, "apply-1", application(debtor, 1_000_000));
    assert_eq!(verdict, Verdict::Decline);
    let stored = books.credit_decision(id).unwrap().unwrap();
    assert_eq!(stored.signals, [Signal::LateFiling]);
    assert_eq!(stored.decided.limit_minor, 0);
    assert_eq!(stored.decided.reasons[0], "distress_signal");
    assert!(books.credit_standing(debtor).unwrap().is_none(), "a decline grants nothing");
}

#[test]
fn bad_applications_are_errors_that_name_the_field_and_write_nothing() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    let mut bad = application(debtor, 1_000_000);
    bad.terms.deposit_share = "1.5".parse().unwrap();
    let error = books.execute("bad", &Command::DecideCredit { application: bad }).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "terms.deposit_share", .. }));
    let error = books
        .execute("bad", &Command::DecideCredit { application: application(DebtorId(99), 100) })
        .unwrap_err();
    assert!(matches!(error, CommandError::UnknownDebtor(DebtorId(99))));
    assert!(books.credit_decision(1).unwrap().is_none());
}

/// Issue 18: a review tightens the terms from reported signals before the first missed
/// payment, and loosens them again once the signal has expired.
#[test]
fn issue_18_a_review_tightens_terms_before_the_first_missed_payment() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    decide(&books, "apply-1", application(debtor, 1_500_000));
    let account = account_with(&books, debtor, "A1", Terms::default(), Some(1_500_000));
    books
        .execute("c1", &charge_command(account, d(1, 5), d(2, 20), 400_000))
        .unwrap()
        .accepted()
        .unwrap();
    // The first review is not due on the day of the decision; nothing is in force yet.
    assert!(review(&books, d(1, 20)).is_empty());
    // Asset sales are reported on February 2: the next review tightens at once, weeks before
    // the invoice falls due on February 20.
    report(&books, "signal", debtor, Signal::AssetSales, d(2, 2));
    let reviews = review(&books, d(2, 3));
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].action, ReviewAction::Tighten);
    let standing = books.credit_standing(debtor).unwrap().unwrap();
    assert_eq!(standing.limit_minor, 200_000);
    assert_eq!(standing.terms.net_days, 7);
    assert_eq!(standing.terms.deposit_share, "0.5".parse().unwrap());
    let stored = books.credit_reviews(Some(debtor)).unwrap();
    assert_eq!(stored[0].trigger, ReviewTrigger::Signal);
    assert_eq!(stored[0].decided.reasons[0], "early_warning");
    assert!(stored[0].score.is_some(), "the review's score is stored with it");
    let view = books.account_view(account, d(2, 3)).unwrap();
    assert_eq!(view.past_due_minor, 0, "nothing was missed yet");
    // Paid on time; the signal expires on April 1; the scheduled review loosens again.
    pay(&books, "p1", account, d(2, 20), 400_000);
    let reviews = review(&books, d(5, 5));
    assert_eq!(reviews[0].action, ReviewAction::Loosen);
    let standing = books.credit_standing(debtor).unwrap().unwrap();
    assert_eq!((standing.limit_minor, standing.terms.net_days), (1_500_000, 45));
    assert_eq!(books.credit_reviews(None).unwrap()[1].trigger, ReviewTrigger::Schedule);
}

#[test]
fn refusing_to_trade_rejects_new_accounts_and_new_credit_but_not_payments() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    let account = account_with(&books, debtor, "A1", Terms::default(), None);
    books
        .execute("c1", &charge_command(account, d(1, 5), d(2, 5), 10_000))
        .unwrap()
        .accepted()
        .unwrap();
    let stop = Command::SetCreditTerms {
        debtor,
        product: ProductKind::TradeCredit,
        limit: usd(0),
        terms: net(0),
        refuse_to_trade: true,
        effective_on: d(1, 10),
    };
    assert_eq!(books.execute("stop", &stop).unwrap().outcome, Outcome::CreditTermsSet { debtor });
    let refused = Outcome::Rejected(Rejection::RefusedToTrade { debtor });
    let charge = books.execute("c2", &charge_command(account, d(1, 11), d(2, 11), 5_000)).unwrap();
    assert_eq!(charge.outcome, refused);
    let open = Command::OpenAccount(arrears::NewAccount {
        external_ref: Some("A2".into()),
        debtor,
        product: ProductKind::TradeCredit,
        credit_limit: None,
        currency: arrears::money::Currency::USD,
        opened_on: d(1, 11),
        terms: Terms::default(),
    });
    assert_eq!(books.execute("open-2", &open).unwrap().outcome, refused);
    pay(&books, "p1", account, d(1, 12), 10_000);
    // A stop set by hand is held by reviews, whatever the rules say; only SetCreditTerms
    // lifts it.
    assert_eq!(review(&books, d(5, 1))[0].action, ReviewAction::Hold);
    assert!(books.credit_standing(debtor).unwrap().unwrap().refuse_to_trade);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_review_declined_by_distress_stops_new_business() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    decide(&books, "apply-1", application(debtor, 1_000_000));
    report(&books, "signal", debtor, Signal::ManagementResignation, d(2, 1));
    let reviews = review(&books, d(2, 2));
    assert_eq!(reviews[0].action, ReviewAction::Stop);
    assert!(books.credit_standing(debtor).unwrap().unwrap().refuse_to_trade);
}

#[test]
fn portfolio_views_show_exposure_score_stability_and_signal_changes() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    decide(&books, "apply-1", application(debtor, 1_000_000));
    let account = account_with(&books, debtor, "A1", Terms::default(), Some(1_000_000));
    books
        .execute("c1", &charge_command(account, d(1, 5), d(3, 20), 250_000))
        .unwrap()
        .accepted()
        .unwrap();
    report(&books, "signal", debtor, Signal::StaffTurnover, d(2, 2));
    review(&books, d(2, 3));
    let rows = books.report_exposure(d(2, 3)).unwrap();
    assert_eq!(rows.len(), 1);
    let band = books.credit_reviews(Some(debtor)).unwrap()[0].score.clone().unwrap().band;
    assert_eq!(rows[0].band, band);
    assert_eq!((rows[0].debtors, rows[0].exposure_minor), (1, 250_000));
    // Tightened to 2,000.00: 2,500.00 owed is 125% of the limit in force.
    assert_eq!(rows[0].limit_minor, 200_000);
    assert_eq!(rows[0].utilisation, Some("1.25".parse().unwrap()));
    // One review: nothing is scored on January 31, the same distribution on February 3.
    assert_eq!(books.report_psi(d(1, 31), d(2, 3)).unwrap().psi, None);
    assert_eq!(books.report_psi(d(2, 3), d(2, 4)).unwrap().psi, Some(0.0));
    let changes = books.report_signal_changes(d(2, 1), d(2, 3)).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].account, changes[0].added.as_slice()),
        (account, &[Signal::StaffTurnover][..])
    );
    assert!(books.report_signal_changes(d(2, 3), d(2, 4)).unwrap().is_empty());
}

#[test]
fn verify_finds_a_standing_looser_than_granted_and_a_decision_of_a_missing_debtor() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    decide(&books, "apply-1", application(debtor, 1_000_000));
    assert!(books.verify().unwrap().is_clean());
    let mut standing = books.credit_standing(debtor).unwrap().unwrap();
    standing.limit_minor = standing.granted_limit_minor + 1;
    standing.terms.net_days += 1;
    let mut decision = books.credit_decision(1).unwrap().unwrap();
    decision.application.debtor = DebtorId(99);
    let mut txn = books.store().write().unwrap();
    txn.put_credit_standing(&standing).unwrap();
    txn.put_credit_decision(&decision).unwrap();
    txn.commit().unwrap();
    let problems = books.verify().unwrap().problems;
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "credit: credit decision 1: its debtor D99 does not exist",
            "credit: credit standing of D1: limit in force 1000001 is outside 0 to the granted \
             1000000",
            "credit: credit standing of D1: its terms in force are looser than granted",
        ]
    );
}

#[test]
fn the_cycle_runs_the_days_credit_reviews_once() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    decide(&books, "apply-1", application(debtor, 1_000_000));
    report(&books, "signal", debtor, Signal::AssetSales, d(2, 2));
    let cycle = books.run_cycle(d(2, 3)).unwrap();
    assert_eq!(cycle.credit_reviews.len(), 1);
    assert_eq!(cycle.credit_reviews[0].action, ReviewAction::Tighten);
    // The same day by hand: the cycle's reviews replay under the day's key.
    let command = Command::ReviewCredit { as_of: d(2, 3) };
    let again = books.execute("credit-review:2026-02-03", &command).unwrap();
    assert!(again.replayed);
    assert_eq!(books.credit_reviews(Some(debtor)).unwrap().len(), 1);
    // A dry run reviews nothing.
    let options = arrears::CycleOptions { dry_run: true, ..arrears::CycleOptions::default() };
    assert!(books.run_cycle_with(d(2, 4), options).unwrap().credit_reviews.is_empty());
}

#[test]
fn a_standing_set_whole_is_stored_as_given_and_a_bad_one_writes_nothing() {
    let (_dir, books) = books_with_credit_rules();
    let debtor = business(&books, "ACME");
    decide(&books, "apply-1", application(debtor, 1_000_000));
    let decided = books.credit_standing(debtor).unwrap().unwrap();
    let other = business(&books, "ACME-2");
    let carried = arrears::credit::CreditStanding { debtor: other, ..decided.clone() };
    let command = Command::SetCreditStanding { standing: carried.clone() };
    let receipt = books.execute("carry", &command).unwrap();
    assert_eq!(receipt.outcome, Outcome::CreditTermsSet { debtor: other });
    assert_eq!(books.credit_standing(other).unwrap().unwrap(), carried);
    // Every refusal names its field and writes nothing.
    let looser = arrears::credit::CreditStanding {
        limit_minor: carried.granted_limit_minor + 1,
        ..carried.clone()
    };
    let mut loose_terms = carried.clone();
    loose_terms.terms.net_days = loose_terms.granted_terms.net_days + 30;
    let nobody = arrears::credit::CreditStanding { debtor: DebtorId(999), ..carried.clone() };
    let reviewed_early = arrears::credit::CreditStanding {
        last_review: Some(arrears::credit::ReviewMark {
            reviewed_on: carried.granted_on.pred_opt().unwrap(),
            points: None,
            signals: Vec::new(),
        }),
        ..carried.clone()
    };
    for (key, standing, field) in [
        ("bad-limit", looser, Some("standing.limit_minor")),
        ("bad-terms", loose_terms, Some("standing.terms")),
        ("bad-review", reviewed_early, Some("standing.last_review")),
        ("bad-debtor", nobody, None),
    ] {
        let error = books.execute(key, &Command::SetCreditStanding { standing }).unwrap_err();
        match (field, &error) {
            (Some(field), CommandError::Invalid { field: found, .. }) => assert_eq!(*found, field),
            (None, CommandError::UnknownDebtor(_)) => {}
            _ => panic!("{key}: unexpected {error:?}"),
        }
        assert!(books.recorded(key).unwrap().is_none(), "{key} wrote its record");
    }
    assert_eq!(books.credit_standing(other).unwrap().unwrap(), carried);
    assert!(books.verify().unwrap().is_clean());
}
