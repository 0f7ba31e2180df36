//! Unit tests of policies: the example files load, stages are selected by specificity whatever
//! their order in the file, the arm split is stable and close to the weights, and every load
//! error names the file, the line and the field.

use super::*;

const STANDARD: &str = include_str!("../../../../examples/policies/standard.toml");
const CHALLENGER: &str = include_str!("../../../../examples/policies/challenger.toml");

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn standard() -> Policy {
    Policy::from_toml(STANDARD, "standard.toml").unwrap()
}

/// The three required top-level keys: lines 1 to 3 of every text built by `with_head`.
const HEAD: [&str; 3] = ["name = \"t\"", "version = 1", "creditor = \"first_party\""];

/// A policy text: `HEAD`, then `body`, one entry per line, so `body[i]` is line `4 + i`.
fn with_head(body: &[&str]) -> String {
    let mut lines: Vec<&str> = HEAD.to_vec();
    lines.extend_from_slice(body);
    lines.join("\n") + "\n"
}

/// Loads `text` as `t.toml`, expects an error at `line` and `field`, and returns its reason.
fn check_error(text: &str, line: usize, field: &str) -> PolicyErrorReason {
    let error = match Policy::from_toml(text, "t.toml") {
        Ok(_) => panic!("expected an error at line {line}, field {field}, for:\n{text}"),
        Err(error) => error,
    };
    assert_eq!(error.file, "t.toml", "{error}");
    assert_eq!((error.line, error.field.as_str()), (line, field), "{error}");
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("t.toml:{line}: {field}: ")), "{shown}");
    error.reason
}

fn decimal(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[derive(Clone, Copy)]
struct Account<'a> {
    dpd: i64,
    balance: &'a str,
    product: ProductKind,
    country: &'a str,
    region: Option<&'a str>,
    band: Option<&'a str>,
    signals: &'a [Signal],
}

/// A revolving US account with a balance of 1000.00, no band and no signals.
fn account(dpd: i64) -> Account<'static> {
    Account {
        dpd,
        balance: "1000.00",
        product: ProductKind::Revolving,
        country: "US",
        region: None,
        band: None,
        signals: &[],
    }
}

/// The name of the stage `policy` selects for `account`, or `"-"` for none.
fn selected(policy: &Policy, account: &Account<'_>) -> String {
    let facts = StageFacts {
        days_past_due: account.dpd,
        balance: decimal(account.balance),
        currency: crate::money::Currency::USD,
        product: account.product,
        country: account.country,
        region: account.region,
        score_band: account.band,
        signals: account.signals,
        tenure_months: 12,
        lifetime_paid: Decimal::ZERO,
    };
    policy.select_stage(&facts).map_or_else(|| "-".to_owned(), |stage| stage.name.clone())
}

// ---------------------------------------------------------------------------------------------
// The example files
// ---------------------------------------------------------------------------------------------

#[test]
fn the_example_files_load() {
    let policy = standard();
    assert_eq!(policy.name(), "standard");
    assert_eq!(policy.version(), 3);
    assert_eq!(policy.creditor(), Creditor::FirstParty);
    assert_eq!(policy.stages().len(), 11);
    assert_eq!(policy.charge_off().dpd_for(ProductKind::Revolving), 180);
    assert_eq!(policy.charge_off().dpd_for(ProductKind::Bnpl), 120);
    assert_eq!(policy.promise().min_share, decimal("0.25"));
    assert_eq!(policy.plan().frequencies.len(), 3);
    let usd = crate::money::Currency::USD;
    assert_eq!(policy.plan().min_installment.in_currency(usd), Some(decimal("25.00")));
    assert_eq!(policy.plan().min_installment.in_currency(crate::money::Currency::EUR), None);
    assert_eq!(policy.settlement().min_share_for_stage("late"), Some(decimal("0.70")));
    assert_eq!(policy.settlement().min_share_for_stage("courtesy"), None);
    assert_eq!(policy.settlement().charged_off_min_share, Some(decimal("0.40")));
    assert_eq!(policy.review().cadence_days.hardship, 14);
    let arm_names: Vec<&str> = policy.arms().iter().map(|arm| arm.name.as_str()).collect();
    assert_eq!(arm_names, ["champion", "challenger"]);
    assert_eq!(policy.arms()[1].scorer.as_deref(), Some("rules"));

    let late = policy.stage("late").unwrap();
    let placement = late.actions.placement.as_ref().unwrap();
    assert_eq!((placement.after_days, placement.agency.as_str()), (30, "Northwind Recovery"));
    assert!(late.actions.credit_hold);
    assert!(policy.stage("small_balance").unwrap().actions.charge_off);
    assert_eq!(policy.stage("final").unwrap().actions.legal_after_days, Some(14));
    let ma = policy.stage("early_us_ma").unwrap();
    assert_eq!(ma.actions.contact[1].channel, ContactChannel::Postal);
    assert_eq!(ma.specificity(), Specificity { condition_count: 2, dpd_range_days: Some(29) });

    let challenger = Policy::from_toml(CHALLENGER, "challenger.toml").unwrap();
    assert_eq!(challenger.name(), "digital_first");
    assert_ne!(challenger, policy);
    assert_eq!(challenger.plan().max_installments, 24);
    // Keys the challenger leaves out take their defaults.
    assert_eq!(challenger.promise().max_open, 1);
    assert_eq!(challenger.review().cadence_days.current, CadenceDays::default().current);
    assert_eq!(challenger.arms().len(), 1);
}

#[test]
fn the_default_policy_is_the_standard_file() {
    assert_eq!(Policy::default_policy(), standard());
}

#[test]
fn a_minimal_policy_takes_every_default() {
    let policy =
        Policy::from_toml(&with_head(&["[[stage]]", "name = \"a\"", "min_dpd = 1"]), "t").unwrap();
    assert_eq!(*policy.charge_off(), ChargeOffRules::default());
    assert_eq!(*policy.promise(), PromiseRules::default());
    assert_eq!(*policy.plan(), PlanRules::default());
    assert_eq!(*policy.settlement(), SettlementRules::default());
    assert_eq!(*policy.review(), ReviewRules::default());
    assert_eq!(*policy.dates(), DateRules::default());
    assert_eq!(policy.arms().len(), 1);
    assert_eq!((policy.arms()[0].name.as_str(), policy.arms()[0].weight), ("champion", 1));
    assert_eq!(policy.stages()[0].actions, StageActions::default());
}

// ---------------------------------------------------------------------------------------------
// Stage selection
// ---------------------------------------------------------------------------------------------

#[test]
fn stages_are_selected_by_specificity() {
    let policy = standard();
    let check = |account: Account<'_>, expect: &str| {
        assert_eq!(selected(&policy, &account), expect, "dpd {}", account.dpd);
    };

    // Before the due date: the courtesy stage; on the due date itself no stage applies.
    check(account(-4), "-");
    check(account(-3), "courtesy");
    check(account(-1), "courtesy");
    check(account(0), "-");

    // A region-specific stage beats the generic one, only in its region.
    check(account(10), "early");
    check(Account { region: Some("MA"), ..account(10) }, "early_us_ma");
    check(Account { region: Some("NY"), ..account(10) }, "early");
    check(Account { country: "CA", region: Some("MA"), ..account(10) }, "early");

    // A country-list stage beats the generic one.
    check(account(70), "late");
    check(Account { country: "CO", ..account(70) }, "late_latam");

    // Balance and score band together beat the dpd-only stage, and need both.
    check(account(45), "mid");
    let risky = Account { balance: "6000.00", band: Some("high_risk"), ..account(45) };
    check(risky, "high_balance_risky");
    check(Account { band: Some("high_risk"), ..account(45) }, "mid");
    check(Account { balance: "6000.00", band: Some("low_risk"), ..account(45) }, "mid");
    // Two conditions and a 60-day range beat one condition ("late_latam").
    check(
        Account { country: "CO", balance: "5000", band: Some("very_high_risk"), ..account(70) },
        "high_balance_risky",
    );

    // Signals: a broken promise on a consumer product, from the first day past due on.
    let broken = [Signal::BrokenPromise];
    check(Account { signals: &broken, ..account(5) }, "broken_promise");
    check(Account { signals: &broken, ..account(150) }, "broken_promise");
    check(Account { signals: &broken, product: ProductKind::Utility, ..account(5) }, "early");
    // Two conditions each: the narrower range (60 days against open-ended) wins.
    check(Account { signals: &broken, ..risky }, "high_balance_risky");
    // Every required signal must be present.
    let trade = ProductKind::TradeCredit;
    let one = [Signal::LateFiling];
    let both = [Signal::LateFiling, Signal::ManagementResignation, Signal::AssetSales];
    check(Account { product: trade, signals: &one, ..account(20) }, "early");
    check(Account { product: trade, signals: &both, ..account(20) }, "business_distress");

    // Small balances late are charged off; a maximum balance beats the dpd-only stages.
    check(Account { balance: "40.00", ..account(75) }, "small_balance");
    check(Account { balance: "40.00", ..account(500) }, "small_balance");
    check(Account { balance: "50.01", ..account(500) }, "final");
}

#[test]
fn a_region_stage_and_a_country_stage_coexist() {
    let text = with_head(&[
        "[[stage]]",
        "name = \"us\"",
        "min_dpd = 1",
        "jurisdictions = [\"US\"]",
        "[[stage]]",
        "name = \"nyc\"",
        "min_dpd = 1",
        "jurisdictions = [\"US-NYC\", \"US-MA\"]",
    ]);
    let policy = Policy::from_toml(&text, "t.toml").unwrap();
    assert_eq!(selected(&policy, &Account { region: Some("NYC"), ..account(3) }), "nyc");
    assert_eq!(selected(&policy, &Account { region: Some("CA"), ..account(3) }), "us");
    assert_eq!(selected(&policy, &Account { country: "MX", ..account(3) }), "-");
}

/// Splits a policy text into the part before the stages, the stage blocks, and the rest.
fn stage_blocks(text: &str) -> (String, Vec<String>, String) {
    let start = text.find("[[stage]]").unwrap();
    let end = text.find("[charge_off]").unwrap();
    let blocks = text[start..end]
        .split("[[stage]]")
        .skip(1)
        .map(|body| format!("[[stage]]{body}"))
        .collect();
    (text[..start].to_owned(), blocks, text[end..].to_owned())
}

#[test]
fn selection_does_not_depend_on_the_order_of_stages_in_the_file() {
    let original = standard();
    let (head, blocks, tail) = stage_blocks(STANDARD);
    assert_eq!(blocks.len(), original.stages().len());

    // Reversed, rotated, and a few deterministic pseudo-random shuffles (an LCG, no RNG).
    let mut orders: Vec<Vec<usize>> = Vec::new();
    orders.push((0..blocks.len()).rev().collect());
    orders.push((0..blocks.len()).map(|index| (index + 4) % blocks.len()).collect());
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..6 {
        let mut order: Vec<usize> = (0..blocks.len()).collect();
        for index in (1..order.len()).rev() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let other = usize::try_from(state >> 33).unwrap() % (index + 1);
            order.swap(index, other);
        }
        orders.push(order);
    }

    let dpds = [-5, -3, -1, 0, 1, 15, 29, 30, 45, 59, 60, 89, 90, 119, 120, 200];
    let balances = ["10.00", "40.00", "1000.00", "6000.00"];
    let places = [("US", None), ("US", Some("MA")), ("CO", None), ("CA", None)];
    let bands = [None, Some("high_risk")];
    let signal_sets: [&[Signal]; 3] =
        [&[], &[Signal::BrokenPromise], &[Signal::ManagementResignation, Signal::LateFiling]];
    let mut compared = 0;
    for order in orders {
        let shuffled: String = order.iter().map(|index| blocks[*index].as_str()).collect();
        let text = format!("{head}{shuffled}{tail}");
        let policy = Policy::from_toml(&text, "shuffled.toml").unwrap();
        // The canonical stage order makes the loaded policies equal, not just their answers.
        assert_eq!(policy, original, "order {order:?}");
        for dpd in dpds {
            for balance in balances {
                for product in [
                    ProductKind::Revolving,
                    ProductKind::Installment,
                    ProductKind::TradeCredit,
                    ProductKind::Bnpl,
                    ProductKind::Utility,
                ] {
                    for (country, region) in places {
                        for band in bands {
                            for signals in signal_sets {
                                let account = Account {
                                    dpd,
                                    balance,
                                    product,
                                    country,
                                    region,
                                    band,
                                    signals,
                                };
                                assert_eq!(
                                    selected(&policy, &account),
                                    selected(&original, &account)
                                );
                                compared += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(compared, 8 * 16 * 4 * 5 * 4 * 2 * 3);
}

#[test]
fn equally_specific_overlapping_stages_are_ambiguous() {
    let text = with_head(&[
        "[[stage]]",
        "name = \"a\"",
        "min_dpd = 1",
        "max_dpd = 30",
        "products = [\"revolving\"]",
        "",
        "[[stage]]",
        "name = \"b\"",
        "min_dpd = 30",
        "max_dpd = 59",
        "products = [\"revolving\", \"bnpl\"]",
    ]);
    let reason = check_error(&text, 10, "stage[1]");
    assert_eq!(
        reason,
        PolicyErrorReason::Ambiguous { first: "a".into(), first_line: 4, second: "b".into() }
    );
    // The same conditions set but ranges that never meet: no ambiguity.
    assert!(Policy::from_toml(&text.replace("min_dpd = 30", "min_dpd = 31"), "t").is_ok());
    // Overlapping ranges but disjoint products: no account can match both.
    let disjoint = text.replace("[\"revolving\", \"bnpl\"]", "[\"bnpl\", \"utility\"]");
    let policy = Policy::from_toml(&disjoint, "t").unwrap();
    assert_eq!(selected(&policy, &account(30)), "a");
    let bnpl = Account { product: ProductKind::Bnpl, ..account(30) };
    assert_eq!(selected(&policy, &bnpl), "b");
    // Different specificity (b is narrower): b wins on the shared day.
    let policy = Policy::from_toml(&text.replace("max_dpd = 59", "max_dpd = 45"), "t").unwrap();
    assert_eq!(selected(&policy, &account(30)), "b");
    assert_eq!(selected(&policy, &account(29)), "a");
    // Signals never conflict: one each is the same count and they can co-occur.
    let signals = with_head(&[
        "[[stage]]",
        "name = \"quiet\"",
        "min_dpd = 1",
        "signals = [\"unreturned_calls\"]",
        "[[stage]]",
        "name = \"stretched\"",
        "min_dpd = 10",
        "signals = [\"extension_request\"]",
    ]);
    let reason = check_error(&signals, 8, "stage[1]");
    assert!(matches!(reason, PolicyErrorReason::Ambiguous { first_line: 4, .. }));
}

#[test]
fn specificity_orders_count_then_narrowness() {
    let spec = |condition_count, dpd_range_days| Specificity { condition_count, dpd_range_days };
    assert!(spec(1, None) > spec(0, Some(1)));
    assert!(spec(0, Some(10)) > spec(0, Some(11)));
    assert!(spec(0, Some(10_000)) > spec(0, None));
    assert_eq!(spec(2, None).cmp(&spec(2, None)), Ordering::Equal);
}

// ---------------------------------------------------------------------------------------------
// Arms
// ---------------------------------------------------------------------------------------------

#[test]
fn fnv1a_64_matches_the_reference_vectors() {
    assert_eq!(fnv1a_64(*b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a_64(*b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a_64(*b"foobar"), 0x8594_4171_f739_67e8);
    let mut bytes = 7_u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"standard");
    assert_eq!(arm_hash(7, "standard"), fnv1a_64(bytes));
}

fn arm_policy() -> Policy {
    let text = with_head(&[
        "[[stage]]",
        "name = \"a\"",
        "min_dpd = 1",
        "[[arm]]",
        "name = \"champion\"",
        "weight = 70",
        "[[arm]]",
        "name = \"fast\"",
        "weight = 20",
        "strategy = \"sms_first\"",
        "[[arm]]",
        "name = \"model\"",
        "weight = 10",
        "scorer = \"gbm_v2\"",
    ]);
    Policy::from_toml(&text, "arms.toml").unwrap()
}

#[test]
fn the_arm_split_follows_the_weights() {
    for policy in [arm_policy(), standard()] {
        let total_weight: u32 = policy.arms().iter().map(|arm| arm.weight).sum();
        let mut counts = vec![0_u32; policy.arms().len()];
        let account_count = 100_000_u32;
        for account_id in 0..u64::from(account_count) {
            let arm = policy.arm_for(account_id);
            let index = policy.arms().iter().position(|known| known.name == arm.name).unwrap();
            counts[index] += 1;
        }
        for (arm, count) in policy.arms().iter().zip(&counts) {
            let share = f64::from(*count) / f64::from(account_count);
            let expected = f64::from(arm.weight) / f64::from(total_weight);
            assert!((share - expected).abs() < 0.01, "{}: {share} for {expected}", arm.name);
        }
    }
}

#[test]
fn the_arm_mapping_is_stable() {
    // Regression values, cross-checked with an independent implementation of the documented
    // algorithm. If they change, accounts move between arms mid-experiment.
    assert_eq!(arm_hash(7, "standard"), 0xc94e_6a89_a117_de33);
    let account_ids = [0, 1, 4, 5, 9, 22, 42, 1_000, 123_456_789, u64::MAX];
    let policy = arm_policy();
    let names: Vec<&str> =
        account_ids.iter().map(|account_id| policy.arm_for(*account_id).name.as_str()).collect();
    let expected = [
        "fast", "champion", "champion", "champion", "model", "model", "champion", "champion",
        "fast", "champion",
    ];
    assert_eq!(names, expected);
    let standard = standard();
    let names: Vec<&str> =
        account_ids.iter().map(|account_id| standard.arm_for(*account_id).name.as_str()).collect();
    let expected = [
        "champion",
        "champion",
        "challenger",
        "challenger",
        "champion",
        "champion",
        "champion",
        "champion",
        "champion",
        "champion",
    ];
    assert_eq!(names, expected);
    // The policy name is part of the hash: the same weights under another name split anew.
    let renamed = Policy::from_toml(
        &with_head(&["[[stage]]", "name = \"a\"", "min_dpd = 1"]).replace("\"t\"", "\"u\""),
        "u.toml",
    )
    .unwrap();
    assert_eq!(renamed.arm_for(5).name, "champion");
}

// ---------------------------------------------------------------------------------------------
// Load errors
// ---------------------------------------------------------------------------------------------

const STAGE: [&str; 3] = ["[[stage]]", "name = \"a\"", "min_dpd = 1"];

/// `HEAD`, a minimal stage on lines 4 to 6, then `body` from line 7 on.
fn with_stage(body: &[&str]) -> String {
    let mut lines: Vec<&str> = STAGE.to_vec();
    lines.extend_from_slice(body);
    with_head(&lines)
}

#[test]
fn the_error_message_names_file_line_and_field() {
    let text = with_head(&["[[stage]]", "name = \"a\"", "min_dpd = 30", "max_dpd = 10"]);
    let error = Policy::from_toml(&text, "t.toml").unwrap_err();
    assert_eq!(error.to_string(), "t.toml:7: stage[0].max_dpd: 10 is below min_dpd = 30");
}

#[test]
fn stage_condition_errors_are_located() {
    let text = with_head(&["[[stage]]", "name = \"a\"", "min_dpd = 30", "max_dpd = 10"]);
    let reason = check_error(&text, 7, "stage[0].max_dpd");
    assert!(matches!(reason, PolicyErrorReason::BelowMin { min_field: "min_dpd", .. }));

    let text = with_head(&["[[stage]]", "name = \"a\"", "min_dpd = -61"]);
    let reason = check_error(&text, 6, "stage[0].min_dpd");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let text = with_stage(&[
        "min_balance = { amount = \"100\", currency = \"USD\" }",
        "max_balance = { USD = \"99.99\" }",
    ]);
    let reason = check_error(&text, 8, "stage[0].max_balance");
    assert!(matches!(reason, PolicyErrorReason::BelowMin { min_field: "min_balance", .. }));

    let text = with_stage(&["min_balance = { USD = \"-1\" }"]);
    let reason = check_error(&text, 7, "stage[0].min_balance.USD");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let text = with_stage(&["min_balance = { amount = \"12,50\", currency = \"USD\" }"]);
    let reason = check_error(&text, 7, "stage[0].min_balance");
    assert_eq!(reason, PolicyErrorReason::NotADecimal { text: "12,50".into() });

    // A digit separator in a decimal string is not read as a thousands mark (1_000 is 1000
    // to rust_decimal alone); TOML's own integers may have them.
    let text = with_stage(&["min_balance = { amount = \"1_000\", currency = \"USD\" }"]);
    let reason = check_error(&text, 7, "stage[0].min_balance");
    assert_eq!(reason, PolicyErrorReason::NotADecimal { text: "1_000".into() });

    let text = with_stage(&["products = []"]);
    assert_eq!(check_error(&text, 7, "stage[0].products"), PolicyErrorReason::Empty);

    let text = with_stage(&["products = [\"bnpl\",", "  \"bnpl\"]"]);
    let reason = check_error(&text, 8, "stage[0].products[1]");
    assert_eq!(reason, PolicyErrorReason::Duplicate { name: "bnpl".into(), first_line: 7 });

    let text = with_stage(&["jurisdictions = [\"US\", \"usa\"]"]);
    let reason = check_error(&text, 7, "stage[0].jurisdictions[1]");
    assert!(matches!(reason, PolicyErrorReason::InvalidName { what: "jurisdiction", .. }));

    let text = with_stage(&["jurisdictions = [\"US-MA\", \"US\"]"]);
    let reason = check_error(&text, 7, "stage[0].jurisdictions[0]");
    assert_eq!(
        reason,
        PolicyErrorReason::Redundant { name: "US-MA".into(), covered_by: "US".into() }
    );

    let text = with_stage(&["score_bands = [\"high risk\"]"]);
    let reason = check_error(&text, 7, "stage[0].score_bands[0]");
    assert!(matches!(reason, PolicyErrorReason::InvalidName { what: "score band", .. }));
}

#[test]
fn stage_name_errors_are_located() {
    let text = with_stage(&["", "[[stage]]", "name = \"a\"", "min_dpd = 40"]);
    let reason = check_error(&text, 9, "stage[1].name");
    assert_eq!(reason, PolicyErrorReason::Duplicate { name: "a".into(), first_line: 5 });

    let text = with_head(&["[[stage]]", "name = \"charged_off\"", "min_dpd = 1"]);
    let reason = check_error(&text, 5, "stage[0].name");
    assert!(matches!(reason, PolicyErrorReason::Constraint { .. }));

    let reason = check_error(&with_head(&[]), 1, "stage");
    assert!(matches!(reason, PolicyErrorReason::Constraint { .. }));
}

#[test]
fn stage_action_errors_are_located() {
    let text = with_stage(&[
        "[stage.actions]",
        "contact = [",
        "  { channel = \"sms\", template = \"a\" },",
        "  { channel = \"fax\", template = \"b\" },",
        "]",
    ]);
    let reason = check_error(&text, 10, "stage[0].actions.contact[1].channel");
    assert!(matches!(reason, PolicyErrorReason::Unknown { what: "channel", .. }));

    let text = with_stage(&[
        "[stage.actions]",
        "contact = [",
        "  { channel = \"sms\", template = \"a\", after_days = 5 },",
        "  { channel = \"email\", template = \"b\", after_days = 2 },",
        "]",
    ]);
    let reason = check_error(&text, 10, "stage[0].actions.contact[1].after_days");
    assert!(matches!(reason, PolicyErrorReason::BelowMin { .. }));

    let text =
        with_stage(&["[stage.actions]", "contact = [{ channel = \"sms\", template = \"\" }]"]);
    let reason = check_error(&text, 8, "stage[0].actions.contact[0].template");
    assert!(matches!(reason, PolicyErrorReason::InvalidName { what: "template id", .. }));

    let text = with_stage(&["[stage.actions]", "place_after_days = 30"]);
    let reason = check_error(&text, 8, "stage[0].actions.place_after_days");
    assert!(matches!(reason, PolicyErrorReason::Constraint { .. }));

    let text = with_stage(&["[stage.actions]", "agency = \"Acme\""]);
    let reason = check_error(&text, 8, "stage[0].actions.agency");
    assert!(matches!(reason, PolicyErrorReason::Constraint { .. }));

    let text = with_stage(&["[stage.actions]", "commission_rate = \"0.25\""]);
    let reason = check_error(&text, 8, "stage[0].actions.commission_rate");
    assert!(matches!(reason, PolicyErrorReason::Constraint { .. }));

    let placed = ["[stage.actions]", "place_after_days = 30", "agency = \"Acme\""];
    let text = with_stage(&[&placed[..], &["commission_rate = \"1.5\""]].concat());
    let reason = check_error(&text, 10, "stage[0].actions.commission_rate");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));
    let text = with_stage(&[&placed[..], &["commission_rate = 0.25"]].concat());
    let reason = check_error(&text, 10, "stage[0].actions.commission_rate");
    assert!(matches!(reason, PolicyErrorReason::Float));
    let text = with_stage(&[&placed[..], &["commission_rate = \"0.25\""]].concat());
    let policy = Policy::from_toml(&text, "t.toml").unwrap();
    let placement = policy.stages()[0].actions.placement.clone().unwrap();
    assert_eq!(placement.commission_rate, decimal("0.25"));
    let text = with_stage(&placed);
    let policy = Policy::from_toml(&text, "t.toml").unwrap();
    let placement = policy.stages()[0].actions.placement.clone().unwrap();
    assert_eq!(placement.commission_rate, Decimal::ZERO, "none said: no commission");

    let text = with_stage(&["[stage.actions]", "legal_after_days = 5000"]);
    let reason = check_error(&text, 8, "stage[0].actions.legal_after_days");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));
}

#[test]
fn past_due_actions_need_a_past_due_stage() {
    let pre_due = ["[[stage]]", "name = \"a\"", "min_dpd = 0", "[stage.actions]"];
    for (line, key) in [
        ("charge_off = true", "charge_off"),
        ("late_fee = true", "late_fee"),
        ("legal_after_days = 1", "legal_after_days"),
    ] {
        let mut body = pre_due.to_vec();
        body.push(line);
        let reason = check_error(&with_head(&body), 8, &format!("stage[0].actions.{key}"));
        assert!(matches!(reason, PolicyErrorReason::Constraint { .. }), "{key}");
    }
    // `charge_off = false` is always fine.
    let mut body = pre_due.to_vec();
    body.push("charge_off = false");
    assert!(Policy::from_toml(&with_head(&body), "t").is_ok());
}

#[test]
fn rule_section_errors_are_located() {
    let text = with_stage(&["[promise]", "max_days_out = 14", "min_share = \"1.5\""]);
    let reason = check_error(&text, 9, "promise.min_share");
    assert_eq!(
        reason,
        PolicyErrorReason::OutOfRange {
            value: decimal("1.5"),
            min: Decimal::ZERO,
            max: Decimal::ONE
        }
    );

    let text = with_stage(&["[promise]", "min_share = 0.25"]);
    assert_eq!(check_error(&text, 8, "promise.min_share"), PolicyErrorReason::Float);

    let text = with_stage(&["[promise]", "max_open = 0"]);
    let reason = check_error(&text, 8, "promise.max_open");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let text = with_stage(&["[charge_off]", "revolving_dpd = 0"]);
    let reason = check_error(&text, 8, "charge_off.revolving_dpd");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let text = with_stage(&["[plan]", "affordable_share = \"-0.1\""]);
    let reason = check_error(&text, 8, "plan.affordable_share");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let text = with_stage(&["[plan]", "frequencies = [\"monthly\", \"weekly\", \"monthly\"]"]);
    let reason = check_error(&text, 8, "plan.frequencies[2]");
    assert!(matches!(reason, PolicyErrorReason::Duplicate { .. }));

    let text = with_stage(&["[plan]", "max_installments = 361"]);
    let reason = check_error(&text, 8, "plan.max_installments");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let text = with_stage(&["[settlement]", "min_share = { a = \"0.9\", b = \"0.5\" }"]);
    let reason = check_error(&text, 8, "settlement.min_share.b");
    assert!(matches!(reason, PolicyErrorReason::Unknown { what: "stage", .. }));

    let text = with_stage(&["[review.cadence_days]", "current = 30", "legal = 0"]);
    let reason = check_error(&text, 9, "review.cadence_days.legal");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let text = with_stage(&["[dates]", "future_days_max = 3651"]);
    let reason = check_error(&text, 8, "dates.future_days_max");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));
}

#[test]
fn the_date_horizon_is_read_or_defaults_to_31_days() {
    let policy =
        Policy::from_toml(&with_head(&["[[stage]]", "name = \"a\"", "min_dpd = 1"]), "t").unwrap();
    assert_eq!(policy.dates().future_days_max, FUTURE_DAYS_DEFAULT);
    assert_eq!(FUTURE_DAYS_DEFAULT, 31);
    let text = with_stage(&["[dates]", "future_days_max = 0"]);
    assert_eq!(Policy::from_toml(&text, "t").unwrap().dates().future_days_max, 0);
}

#[test]
fn arm_errors_are_located() {
    let text = with_stage(&["[[arm]]", "name = \"x\"", "weight = 1", "[[arm]]", "name = \"x\""]);
    // The second arm lacks its weight too, but the shape is checked first.
    let reason = check_error(&text, 10, "arm[1].weight");
    assert!(matches!(reason, PolicyErrorReason::Schema { .. }));

    let text = with_stage(&[
        "[[arm]]",
        "name = \"x\"",
        "weight = 1",
        "[[arm]]",
        "name = \"x\"",
        "weight = 2",
    ]);
    let reason = check_error(&text, 11, "arm[1].name");
    assert_eq!(reason, PolicyErrorReason::Duplicate { name: "x".into(), first_line: 8 });

    let text = with_stage(&["[[arm]]", "name = \"x\"", "weight = 0"]);
    let reason = check_error(&text, 9, "arm[0].weight");
    assert!(matches!(reason, PolicyErrorReason::OutOfRange { .. }));

    let mut body = vec!["arm = []"];
    body.extend_from_slice(&STAGE);
    assert_eq!(check_error(&with_head(&body), 4, "arm"), PolicyErrorReason::Empty);
}

#[test]
fn shape_errors_are_located() {
    // Unknown fields, at every level.
    let reason = check_error(&with_stage(&["colour = \"red\""]), 7, "stage[0].colour");
    assert!(
        matches!(reason, PolicyErrorReason::Schema { ref message } if message.contains("unknown field"))
    );
    let text = HEAD.join("\n") + "\nnmae = \"x\"\n";
    let reason = check_error(&text, 4, "nmae");
    assert!(matches!(reason, PolicyErrorReason::Schema { .. }));
    let text = with_stage(&["[stage.actions]", "late_fees = true"]);
    assert!(matches!(
        check_error(&text, 8, "stage[0].actions.late_fees"),
        PolicyErrorReason::Schema { .. }
    ));
    let text = with_stage(&[
        "[stage.actions]",
        "contact = [{ channel = \"sms\", template = \"a\", delay = 1 }]",
    ]);
    assert!(matches!(
        check_error(&text, 8, "stage[0].actions.contact[0].delay"),
        PolicyErrorReason::Schema { .. }
    ));

    // Missing fields point at their table.
    let text =
        ["name = \"t\"", "version = 1", "[[stage]]", "name = \"a\"", "min_dpd = 1"].join("\n");
    assert!(matches!(check_error(&text, 1, "creditor"), PolicyErrorReason::Schema { .. }));
    let text = with_head(&["", "[[stage]]", "name = \"a\""]);
    assert!(matches!(check_error(&text, 5, "stage[0].min_dpd"), PolicyErrorReason::Schema { .. }));

    // Wrong types and unknown names.
    let text = with_stage(&["products = [\"revolving\", \"mortgage\"]"]);
    assert!(matches!(
        check_error(&text, 7, "stage[0].products[1]"),
        PolicyErrorReason::Schema { .. }
    ));
    let text = with_stage(&["signals = [\"bad_vibes\"]"]);
    assert!(matches!(
        check_error(&text, 7, "stage[0].signals[0]"),
        PolicyErrorReason::Schema { .. }
    ));
    let text = with_head(&["[[stage]]", "name = \"a\"", "min_dpd = \"30\""]);
    assert!(matches!(check_error(&text, 6, "stage[0].min_dpd"), PolicyErrorReason::Schema { .. }));
    let text = with_stage(&[]).replace("first_party", "debt_buyer");
    assert!(matches!(check_error(&text, 3, "creditor"), PolicyErrorReason::Schema { .. }));
    let text = with_stage(&[]).replace("version = 1", "version = 0");
    assert!(matches!(check_error(&text, 2, "version"), PolicyErrorReason::OutOfRange { .. }));
}

#[test]
fn syntax_errors_name_the_line() {
    let text = with_stage(&["", "[promise]", "max_days_out = ", "grace_days = 2"]);
    let reason = check_error(&text, 9, "promise.max_days_out");
    assert!(matches!(reason, PolicyErrorReason::Syntax { .. }));

    let text = with_stage(&["[[stage]", "name = \"b\""]);
    let error = Policy::from_toml(&text, "t.toml").unwrap_err();
    assert_eq!(error.line, 7, "{error}");
    assert!(matches!(error.reason, PolicyErrorReason::Syntax { .. }));

    let text = with_stage(&["name = \"again\""]);
    let error = Policy::from_toml(&text, "t.toml").unwrap_err();
    assert_eq!(error.line, 7, "{error}");
    assert!(matches!(error.reason, PolicyErrorReason::Syntax { .. }));
}

#[test]
fn the_bad_example_files_fail_where_expected() {
    let cases = [
        ("ambiguous.toml", include_str!("bad/ambiguous.toml"), 11, "stage[1]"),
        ("unknown_field.toml", include_str!("bad/unknown_field.toml"), 12, "promise.grace_day"),
        ("syntax.toml", include_str!("bad/syntax.toml"), 2, "name"),
        (
            "settlement_share.toml",
            include_str!("bad/settlement_share.toml"),
            11,
            "settlement.min_share.late",
        ),
    ];
    for (file, text, line, field) in cases {
        let error = Policy::from_toml(text, file).unwrap_err();
        assert_eq!((error.file.as_str(), error.line, error.field.as_str()), (file, line, field));
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts state their currency (issue 14 point 8)
// ---------------------------------------------------------------------------------------------

/// A policy stored before amounts stated their currency still loads from the store, with the
/// meaning it had when it was set: a bare amount applies in every currency. Setting the same
/// text again is refused (it goes through the strict loader).
#[test]
fn issue_14_a_stored_policy_from_before_currencies_keeps_its_meaning() {
    let text = with_stage(&["max_balance = \"50.00\""]);
    assert!(Policy::from_toml(&text, "t.toml").is_err());
    let policy = Policy::from_stored_toml(&text, "stored policy").unwrap();
    let amount = policy.stages()[0].conditions.max_balance.clone().expect("max_balance");
    use crate::money::Currency;
    for currency in [Currency::USD, Currency::EUR, Currency::JPY] {
        assert_eq!(amount.in_currency(currency), Some(Decimal::new(5000, 2)), "{currency}");
    }
    assert_eq!(amount.to_string(), "50.00 in any currency");
    // A stored policy that states its currency, or writes amounts with one, reads as set.
    let strict = with_stage(&["max_balance = { amount = \"50.00\", currency = \"USD\" }"]);
    assert_eq!(
        Policy::from_stored_toml(&strict, "stored policy").unwrap(),
        Policy::from_toml(&strict, "stored policy").unwrap()
    );
}

#[test]
fn issue_14_a_bare_amount_without_a_policy_currency_is_a_located_error() {
    // https://github.com/arrears/arrears/issues/14 point 8: policy amount thresholds ignored
    // the currency. A bare amount is refused, with the location and how to write it.
    let text = with_stage(&["max_balance = \"50.00\""]);
    let reason = check_error(&text, 7, "stage[0].max_balance");
    assert_eq!(reason, PolicyErrorReason::AmountWithoutCurrency { text: "50.00".into() });
    let error = Policy::from_toml(&text, "t.toml").unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.toml:7: stage[0].max_balance: amount 50.00 has no currency: write { amount = \"50.00\", \
         currency = \"USD\" }, a figure per currency { USD = \"50.00\" }, or state currency = \"USD\" \
         at the top of the policy"
    );
    let text = with_stage(&["[plan]", "min_installment = \"25.00\""]);
    check_error(&text, 8, "plan.min_installment");
    let text = with_stage(&["max_balance = { amount = \"50.00\", currency = \"XYZ\" }"]);
    let reason = check_error(&text, 7, "stage[0].max_balance");
    assert_eq!(reason, PolicyErrorReason::UnknownCurrency { code: "XYZ".into() });
    let text = with_stage(&["max_balance = { amount = \"50.00\" }"]);
    check_error(&text, 7, "stage[0].max_balance");
    let text = with_stage(&["max_balance = {}"]);
    check_error(&text, 7, "stage[0].max_balance");
}

#[test]
fn issue_14_amounts_apply_only_in_the_currencies_they_name() {
    use crate::money::Currency;
    let text = "name = \"t\"\nversion = 1\ncreditor = \"first_party\"\ncurrency = \"EUR\"\n\
                [[stage]]\nname = \"any\"\nmin_dpd = 1\n\
                [[stage]]\nname = \"small\"\nmin_dpd = 1\nmax_balance = \"50.00\"\n\
                [[stage]]\nname = \"big\"\nmin_dpd = 1\nmin_balance = { USD = \"5000\", MXN = \"4000\" }\n";
    let policy = Policy::from_toml(text, "t.toml").unwrap();
    // The bare amount is in the policy's currency, and so is the default minimum installment.
    assert_eq!(policy.plan().min_installment.in_currency(Currency::EUR), Some(decimal("25.00")));
    assert_eq!(policy.plan().min_installment.in_currency(Currency::USD), None);
    let stage_for = |balance: &str, currency: Currency| {
        let facts = StageFacts {
            days_past_due: 10,
            balance: decimal(balance),
            currency,
            product: ProductKind::Revolving,
            country: "US",
            region: None,
            score_band: None,
            signals: &[],
            tenure_months: 12,
            lifetime_paid: Decimal::ZERO,
        };
        policy.select_stage(&facts).map(|stage| stage.name.clone())
    };
    // 40 euros is a small balance; 40 dollars is not a balance in euros: the stage that names
    // no figure in dollars does not apply.
    assert_eq!(stage_for("40", Currency::EUR).as_deref(), Some("small"));
    assert_eq!(stage_for("40", Currency::USD).as_deref(), Some("any"));
    assert_eq!(stage_for("6000", Currency::USD).as_deref(), Some("big"));
    assert_eq!(stage_for("6000", Currency::EUR).as_deref(), Some("any"));
    assert_eq!(stage_for("4500", Currency::MXN).as_deref(), Some("big"));
    // The portfolio check: which rule misses a currency.
    assert_eq!(policy.rule_without(Currency::USD).as_deref(), Some("stage \"small\" max_balance"));
    assert_eq!(policy.rule_without(Currency::EUR).as_deref(), Some("stage \"big\" min_balance"));
    let usd_only = standard();
    assert_eq!(usd_only.rule_without(Currency::USD), None);
    assert!(usd_only.rule_without(Currency::EUR).is_some());
}

// ---------------------------------------------------------------------------------------------
// Assignment rules (issue 14 point 6)
// ---------------------------------------------------------------------------------------------

fn debtor(language: &str) -> crate::model::Debtor {
    crate::model::Debtor {
        id: crate::ids::DebtorId(1),
        external_ref: None,
        kind: crate::model::DebtorKind::Person,
        name: "Ana".into(),
        jurisdiction: crate::model::Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["UTC".into()],
        language: language.into(),
        contact_points: Vec::new(),
        flags: crate::model::DebtorFlags::default(),
        restrictions: crate::model::ContactRestrictions::default(),
        attorney: None,
        reported_signals: Vec::new(),
    }
}

const STAGES: [&str; 4] = [
    "[[stage]]",
    "name = \"early\"",
    "min_dpd = 1\nmax_dpd = 30",
    "[[stage]]\nname = \"late\"\nmin_dpd = 31",
];

#[test]
fn assignment_rules_match_in_file_order() {
    let mut body = STAGES.to_vec();
    body.extend([
        "[[assignment]]",
        "team = \"spanish\"",
        "stages = [\"early\", \"late\"]",
        "languages = [\"es\"]",
        "recovery_rate = \"0.35\"",
        "recovery_rates = { low_risk = \"0.8\", very_high_risk = \"0.05\" }",
        "[[assignment]]",
        "team = \"general\"",
        "stages = [\"late\"]",
        "priority = \"days_past_due\"",
    ]);
    let policy = Policy::from_toml(&with_head(&body), "t.toml").unwrap();
    assert_eq!(policy.assignments().len(), 2);
    let product = ProductKind::Revolving;
    let rule = policy.assignment_for("late", &debtor("es-MX"), product).unwrap();
    assert_eq!((rule.team.as_str(), rule.priority), ("spanish", Priority::ExpectedRecovery));
    assert_eq!(rule.recovery_rate, decimal("0.35"));
    assert_eq!(rule.priority.of(rule.recovery_rate, 100_001, 40), 35_000);
    // By the latest score band, where the rule gives the band a rate.
    assert_eq!(rule.recovery_rate_for(Some("low_risk")), decimal("0.8"));
    assert_eq!(rule.recovery_rate_for(Some("medium_risk")), decimal("0.35"));
    assert_eq!(rule.recovery_rate_for(None), decimal("0.35"));
    assert_eq!(
        rule.priority.of(rule.recovery_rate_for(Some("very_high_risk")), 100_001, 40),
        5_000
    );
    let rule = policy.assignment_for("late", &debtor("en"), product).unwrap();
    assert_eq!((rule.team.as_str(), rule.priority), ("general", Priority::DaysPastDue));
    assert_eq!(rule.priority.of(rule.recovery_rate, 100_001, 40), 40);
    assert!(policy.assignment_for("early", &debtor("en"), product).is_none());
}

#[test]
fn assignment_errors_are_located() {
    let mut body = STAGES.to_vec();
    body.extend(["[[assignment]]", "team = \"t\"", "stages = [\"middle\"]"]);
    let reason = check_error(&with_head(&body), 13, "assignment[0].stages[0]");
    assert_eq!(reason.to_string(), "unknown stage \"middle\" (known: early, late)");
    let mut body = STAGES.to_vec();
    body.extend(["[[assignment]]", "team = \"t\"", "priority = \"oldest\""]);
    let reason = check_error(&with_head(&body), 13, "assignment[0].priority");
    assert!(reason.to_string().starts_with("unknown priority \"oldest\""), "{reason}");
    let mut body = STAGES.to_vec();
    body.extend(["[[assignment]]", "team = \"t\"", "languages = [\"es_MX\"]"]);
    check_error(&with_head(&body), 13, "assignment[0].languages[0]");
    let mut body = STAGES.to_vec();
    body.extend(["[[assignment]]", "team = \"t\"", "recovery_rate = \"1.5\""]);
    check_error(&with_head(&body), 13, "assignment[0].recovery_rate");
    let mut body = STAGES.to_vec();
    body.extend(["[[assignment]]", "team = \"t\"", "recovery_rates = { low_risk = \"2\" }"]);
    check_error(&with_head(&body), 13, "assignment[0].recovery_rates.low_risk");
    let mut body = STAGES.to_vec();
    body.extend(["[[assignment]]", "team = \"a team\""]);
    check_error(&with_head(&body), 12, "assignment[0].team");
}

#[test]
fn the_detectors_section_takes_defaults_and_locates_its_errors() {
    let stage = ["[[stage]]", "name = \"a\"", "min_dpd = 1"];
    let none = Policy::from_toml(&with_head(&stage), "t").unwrap();
    assert_eq!(*none.detectors(), crate::detect::DetectorPolicy::default());
    let mut body = stage.to_vec();
    body.extend([
        "[detectors]",
        "decay_days = 45",
        "[detectors.buying_pattern]",
        "drop_ratio = \"0.4\"",
        "[detectors.payment_drift]",
        "obligations = 4",
    ]);
    let policy = Policy::from_toml(&with_head(&body), "t").unwrap();
    let detectors = policy.detectors();
    assert_eq!(detectors.decay_days, 45);
    assert_eq!(detectors.buying.drop_ratio, decimal("0.4"));
    assert_eq!(detectors.buying.recent_days, 30, "the other keys keep their defaults");
    assert_eq!((detectors.drift.obligations, detectors.drift.days_min), (4, 10));
    // body[6] (line 10) is `drop_ratio`: a float is refused where it is.
    let mut float = body.clone();
    float[6] = "drop_ratio = 0.4";
    let reason = check_error(&with_head(&float), 10, "detectors.buying_pattern.drop_ratio");
    assert!(matches!(reason, PolicyErrorReason::Float), "{reason:?}");
    let mut zero = body.clone();
    zero[4] = "decay_days = 0";
    assert!(matches!(
        check_error(&with_head(&zero), 8, "detectors.decay_days"),
        PolicyErrorReason::OutOfRange { .. }
    ));
    let mut foreign = body;
    foreign[6] = "share_min = \"0.2\"";
    assert!(matches!(
        check_error(&with_head(&foreign), 10, "detectors.buying_pattern.share_min"),
        PolicyErrorReason::Constraint { .. }
    ));
}
