use super::*;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn review(debtor: u64, on: &str, points: i32) -> CreditReview {
    use arrears_core::credit::{CreditScore, CreditTerms, Decided, ReviewAction, Verdict};
    let terms = CreditTerms {
        net_days: 30,
        deposit_share: Decimal::ZERO,
        cash_on_delivery: false,
        interest_rate: Decimal::ZERO,
    };
    CreditReview {
        debtor: DebtorId(debtor),
        seq: 1,
        reviewed_on: day(on),
        trigger: arrears_core::credit::ReviewTrigger::Schedule,
        score: Some(CreditScore {
            scorer: "rules".into(),
            sha256: None,
            points,
            band: "b".into(),
            reasons: Vec::new(),
        }),
        signals: Vec::new(),
        decided: Decided {
            verdict: Verdict::Approve,
            rule: None,
            limit_minor: 0,
            terms,
            reasons: Vec::new(),
        },
        action: ReviewAction::Unchanged,
        limit_before_minor: 0,
    }
}

#[test]
fn the_distribution_takes_each_debtors_latest_score_on_or_before_the_date() {
    let reviews = [
        review(1, "2026-01-01", 850),
        review(2, "2026-01-01", 1000),
        review(1, "2026-03-01", 350),
        review(3, "2026-04-01", 0),
    ];
    let mut expected = [0; PSI_BINS];
    expected[8] = 1;
    expected[9] = 1;
    assert_eq!(distribution(&reviews, day("2026-02-01")), expected);
    let mut expected = [0; PSI_BINS];
    expected[3] = 1;
    expected[9] = 1;
    assert_eq!(distribution(&reviews, day("2026-03-01")), expected);
}

#[test]
fn the_psi_is_zero_for_the_same_distribution_and_grows_with_the_shift() {
    let dates = (day("2026-01-01"), day("2026-02-01"));
    let mut before = [0; PSI_BINS];
    before[5] = 50;
    before[6] = 50;
    assert_eq!(psi_of(dates, &before, &before).psi, Some(0.0));
    let mut after = [0; PSI_BINS];
    after[5] = 80;
    after[6] = 20;
    // (0.8 - 0.5) ln(0.8 / 0.5) + (0.2 - 0.5) ln(0.2 / 0.5) = 0.1410 + 0.2749.
    let psi = psi_of(dates, &before, &after).psi.unwrap();
    assert!((psi - 0.415_888).abs() < 1e-5, "{psi}");
    assert_eq!(psi_of(dates, &[0; PSI_BINS], &after).psi, None);
}
