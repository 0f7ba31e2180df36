use super::*;
use crate::policy::Policy;

fn terms(net_days: u16) -> CreditTerms {
    CreditTerms {
        net_days,
        deposit_share: Decimal::ZERO,
        cash_on_delivery: false,
        interest_rate: "0.05".parse().unwrap(),
    }
}

fn score(points: i32, band: &str, reasons: &[&str]) -> CreditScore {
    CreditScore {
        scorer: "rules".into(),
        sha256: None,
        points,
        band: band.into(),
        reasons: reasons.iter().map(|reason| (*reason).to_owned()).collect(),
    }
}

const POLICY: &str = r#"
name = "credit"
version = 1
creditor = "first_party"
currency = "USD"

[[stage]]
name = "late"
min_dpd = 1

[[credit.rule]]
name = "distress"
decision = "decline"
signals = ["late_filing", "asset_sales"]
reasons = ["distress_signal"]

[[credit.rule]]
name = "weak"
decision = "approve"
score_below = 600
limit_max = "2000"
net_days_max = 14
deposit_share_min = "0.25"
interest_rate_min = "0.08"
reasons = ["score_below_600", "limit_capped"]

[[credit.rule]]
name = "large"
decision = "refer"
limit_above = "50000"
reasons = ["large_limit"]

[[credit.rule]]
name = "standard"
decision = "approve"
products = ["trade_credit"]
attributes = { sector = "retail" }

[credit.review]
every_days = 90
on_signals = ["late_filing"]
score_drop = 50
"#;

fn rules() -> Vec<CreditRule> {
    Policy::from_toml(POLICY, "credit.toml").unwrap().credit().rules.clone()
}

fn decide_with(
    limit: &str,
    score: Option<&CreditScore>,
    signals: &[Signal],
    attributes: &[(&str, &str)],
) -> Decided {
    let attributes: BTreeMap<String, String> =
        attributes.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect();
    let limit = Money::parse(limit, Currency::USD).unwrap();
    let facts = CreditFacts {
        product: ProductKind::TradeCredit,
        limit,
        score,
        signals,
        attributes: &attributes,
    };
    decide(&rules(), &facts, limit.to_minor().unwrap(), &terms(30))
}

#[test]
fn the_first_matching_rule_fires_in_file_order() {
    let weak = score(550, "high_risk", &["dpd_recent", "broken_promises"]);
    let decided = decide_with("10000", Some(&weak), &[Signal::LateFiling], &[]);
    assert_eq!(decided.verdict, Verdict::Decline);
    assert_eq!(decided.rule.as_deref(), Some("distress"));
    assert_eq!(decided.limit_minor, 0);
    assert_eq!(decided.reasons, ["distress_signal", "dpd_recent", "broken_promises"]);
}

#[test]
fn an_approval_caps_the_limit_and_tightens_the_terms() {
    let weak = score(550, "high_risk", &["dpd_recent", "limit_capped", "thin_file"]);
    let decided = decide_with("10000", Some(&weak), &[], &[]);
    assert_eq!(decided.verdict, Verdict::Approve);
    assert_eq!(decided.limit_minor, 200_000);
    assert_eq!(decided.terms.net_days, 14);
    assert_eq!(decided.terms.deposit_share, "0.25".parse::<Decimal>().unwrap());
    assert_eq!(decided.terms.interest_rate, "0.08".parse::<Decimal>().unwrap());
    assert!(decided.terms.at_least_as_strict_as(&terms(30)));
    // The rule's reasons first, then the scorer's, each once, at most four.
    assert_eq!(decided.reasons, ["score_below_600", "limit_capped", "dpd_recent", "thin_file"]);
}

#[test]
fn conditions_on_limit_attributes_and_score_hold_only_when_met() {
    let good = score(800, "low_risk", &[]);
    assert_eq!(decide_with("60000", Some(&good), &[], &[]).rule.as_deref(), Some("large"));
    let retail = decide_with("5000", Some(&good), &[], &[("sector", "retail")]);
    assert_eq!((retail.verdict, retail.rule.as_deref()), (Verdict::Approve, Some("standard")));
    assert_eq!(retail.limit_minor, 500_000);
    let other = decide_with("5000", Some(&good), &[], &[("sector", "mining")]);
    assert_eq!((other.verdict, other.rule), (Verdict::Refer, None));
    assert_eq!(other.reasons, [REASON_NO_RULE]);
    // Unscored: a score condition never matches, and the decision says why.
    let unscored = decide_with("5000", None, &[], &[]);
    assert_eq!(unscored.reasons, [REASON_NO_RULE, REASON_UNSCORED]);
}

#[test]
fn the_review_schedule_loads() {
    let policy = Policy::from_toml(POLICY, "credit.toml").unwrap();
    let review = &policy.credit().review;
    assert_eq!(review.every_days, Some(90));
    assert_eq!(review.on_signals, [Signal::LateFiling]);
    assert_eq!(review.score_drop, Some(50));
}

#[test]
fn credit_rule_errors_are_located() {
    let check = |from: &str, to: &str, expected: &str| {
        let text = POLICY.replacen(from, to, 1);
        let error = Policy::from_toml(&text, "credit.toml").unwrap_err();
        assert_eq!(error.to_string(), expected);
    };
    check(
        "decision = \"decline\"",
        "decision = \"maybe\"",
        "credit.toml:13: credit.rule[0].decision: unknown decision \"maybe\" \
         (known: approve, decline, refer)",
    );
    check(
        "score_below = 600",
        "score_below = 1600",
        "credit.toml:20: credit.rule[1].score_below: 1600 is out of range 0..=1000",
    );
    check(
        "deposit_share_min = \"0.25\"",
        "deposit_share_min = 0.25",
        "credit.toml:23: credit.rule[1].deposit_share_min: a float is inexact: write the \
         decimal as a string, such as \"0.25\"",
    );
    check(
        "name = \"large\"",
        "name = \"weak\"",
        "credit.toml:28: credit.rule[2].name: \"weak\" appears twice (first at line 18)",
    );
    check(
        "reasons = [\"distress_signal\"]",
        "reasons = [\"a\", \"b\", \"c\", \"d\", \"e\"]",
        "credit.toml:15: credit.rule[0].reasons: 5 entries, at most 4",
    );
    check(
        "every_days = 90",
        "every_days = 0",
        "credit.toml:40: credit.review.every_days: 0 is out of range 1..=3650",
    );
}

#[test]
fn terms_out_of_range_name_their_field() {
    let mut bad = terms(30);
    bad.deposit_share = "1.5".parse().unwrap();
    assert_eq!(bad.check().unwrap_err().0, "terms.deposit_share");
    bad = terms(4000);
    assert_eq!(bad.check().unwrap_err().0, "terms.net_days");
    assert!(terms(30).check().is_ok());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn arb_terms() -> impl Strategy<Value = CreditTerms> {
        (0_u16..=NET_DAYS_MAX, 0_u32..=100, any::<bool>(), 0_u32..=100).prop_map(
            |(net_days, deposit, cash_on_delivery, rate)| CreditTerms {
                net_days,
                deposit_share: Decimal::new(i64::from(deposit), 2),
                cash_on_delivery,
                interest_rate: Decimal::new(i64::from(rate), 2),
            },
        )
    }

    fn arb_rule() -> impl Strategy<Value = CreditRule> {
        (
            prop::sample::select(Verdict::ALL.to_vec()),
            prop::option::of(0_i32..=1000),
            prop::option::of(0_i64..=10_000_000),
            prop::option::of(0_u16..=NET_DAYS_MAX),
            prop::option::of(0_u32..=100),
            any::<bool>(),
            prop::collection::vec("[a-z]{1,6}", 0..=4),
        )
            .prop_map(
                |(verdict, below, limit_max, net_days_max, deposit, cod, reasons)| CreditRule {
                    name: "rule".into(),
                    verdict,
                    products: Vec::new(),
                    score_bands: Vec::new(),
                    score_below: below,
                    score_at_least: None,
                    signals: Vec::new(),
                    limit_above: None,
                    attributes: BTreeMap::new(),
                    limit_max: limit_max.map(|minor| {
                        Amount::new(BTreeMap::from([(Currency::USD, Decimal::new(minor, 2))]))
                    }),
                    net_days_max,
                    deposit_share_min: deposit.map(|share| Decimal::new(i64::from(share), 2)),
                    cash_on_delivery: cod,
                    interest_rate_min: None,
                    reasons,
                },
            )
    }

    proptest! {
        /// Whatever the rules, a decision never grants more than was asked or looser terms,
        /// a decline grants nothing, and at most four distinct reasons explain it, the fired
        /// rule's first; the same inputs always decide the same.
        #[test]
        fn a_decision_never_grants_more_than_asked(
            rules in prop::collection::vec(arb_rule(), 0..6),
            terms in arb_terms(),
            limit_minor in 0_i64..=20_000_000,
            points in prop::option::of(0_i32..=1000),
            reasons in prop::collection::vec("[a-z]{1,6}", 0..=4),
        ) {
            let score = points.map(|points| CreditScore {
                scorer: "rules".into(),
                sha256: None,
                points,
                band: "b".into(),
                reasons: reasons.clone(),
            });
            let attributes = BTreeMap::new();
            let facts = CreditFacts {
                product: ProductKind::TradeCredit,
                limit: Money::from_minor(limit_minor, Currency::USD),
                score: score.as_ref(),
                signals: &[],
                attributes: &attributes,
            };
            let decided = decide(&rules, &facts, limit_minor, &terms);
            prop_assert!(decided.limit_minor <= limit_minor);
            prop_assert!(decided.terms.at_least_as_strict_as(&terms));
            if decided.verdict == Verdict::Decline {
                prop_assert_eq!(decided.limit_minor, 0);
            }
            prop_assert!(decided.reasons.len() <= DECISION_REASONS_MAX);
            let mut unique = decided.reasons.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), decided.reasons.len());
            let fired = rules.iter().find(|rule| rule.matches(&facts));
            prop_assert_eq!(decided.rule.is_some(), fired.is_some());
            if let Some(first) = fired.and_then(|rule| rule.reasons.first()) {
                prop_assert_eq!(decided.reasons.first(), Some(first));
            }
            prop_assert_eq!(decide(&rules, &facts, limit_minor, &terms), decided);
        }
    }
}
