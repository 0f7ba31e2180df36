//! The per-account cost of scoring through the plugin ABI against a direct call: the
//! first-party scorecard loaded through the host (`LoadedPlugin::from_static`, the same
//! vtable a shared library exports, validated output and all), the same scorecard called as
//! a Rust library, and the built-in rules scorer. Batches of 1,000 accounts.

use std::hint::black_box;
use std::time::Instant;

use arrears::ids::{AccountId, DebtorId};
use arrears::model::ProductKind;
use arrears::plugin_host::{LoadedPlugin, PluginScorer};
use arrears::strategy::{Features, RulesScorer, Scorer};
use arrears_benches::{median, quick, summary};
use arrears_plugin_sdk::AttributeValue;

const CARD: &str = include_str!("../../examples/plugins/behaviour-card.csv");
const BATCH: usize = 1_000;

fn features(n: usize) -> Features {
    Features {
        account: AccountId(n as u64 + 1),
        debtor: DebtorId(n as u64 + 1),
        product: ProductKind::Revolving,
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
        currency: arrears::money::Currency::USD,
        days_past_due: (n % 120) as i64,
        total_outstanding_minor: 10_000 + (n as i64 % 7) * 1_000,
        past_due_minor: (n as i64 % 5) * 1_000,
        credit_limit_minor: Some(500_000),
        months_on_book: 12,
        payments_90d: (n % 4) as u32,
        paid_90d_minor: 5_000,
        reversals_90d: (n % 9 == 0) as u32,
        broken_promises: (n % 3) as u32,
        kept_promises: 0,
        attempts_30d: (n % 6) as u32,
        right_party_contacts_30d: (n % 2) as u32,
        calls_30d: 0,
    }
}

fn per_account_ns(rounds: usize, mut batch: impl FnMut()) -> f64 {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        batch();
        samples.push(start.elapsed());
    }
    median(samples).as_nanos() as f64 / BATCH as f64
}

fn main() {
    let rounds = if quick() { 3 } else { 200 };
    let inputs: Vec<Features> = (0..BATCH).map(features).collect();

    let plugin = LoadedPlugin::from_static(arrears_scorecard::arrears_plugin_static())
        .expect("the built-in scorecard loads");
    let instance = std::sync::Arc::new(plugin.instantiate(CARD).expect("the card loads"));
    let through_abi = PluginScorer::new("scorecard", instance).expect("a scorer");
    let abi_ns = per_account_ns(rounds, || {
        black_box(through_abi.score_batch(black_box(&inputs)).expect("scores"));
    });

    let card = arrears_scorecard::Scorecard::parse(CARD).expect("the card parses");
    let direct_ns = per_account_ns(rounds, || {
        for input in &inputs {
            let value = |name: &str| -> Option<AttributeValue<'static>> {
                let number = match name {
                    "days_past_due" => input.days_past_due as f64,
                    "payments_90d" => f64::from(input.payments_90d),
                    "broken_promises" => f64::from(input.broken_promises),
                    "reversals_90d" => f64::from(input.reversals_90d),
                    "right_party_contacts_30d" => f64::from(input.right_party_contacts_30d),
                    _ => return None,
                };
                Some(AttributeValue::Number(number))
            };
            black_box(card.score(value).expect("scores"));
        }
    });

    let rules_ns = per_account_ns(rounds, || {
        black_box(RulesScorer.score_batch(black_box(&inputs)).expect("scores"));
    });

    // The two paths agree on every score.
    let abi_scores = through_abi.score_batch(&inputs).expect("scores");
    for (input, score) in inputs.iter().zip(&abi_scores) {
        let value = |name: &str| match name {
            "days_past_due" => Some(AttributeValue::Number(input.days_past_due as f64)),
            "payments_90d" => Some(AttributeValue::Number(f64::from(input.payments_90d))),
            "broken_promises" => Some(AttributeValue::Number(f64::from(input.broken_promises))),
            "reversals_90d" => Some(AttributeValue::Number(f64::from(input.reversals_90d))),
            "right_party_contacts_30d" => {
                Some(AttributeValue::Number(f64::from(input.right_party_contacts_30d)))
            }
            _ => None,
        };
        assert_eq!(score.points, card.score(value).expect("scores").points);
    }

    summary(serde_json::json!({
        "bench": "plugin_call",
        "batch": BATCH,
        "abi_ns_per_account": abi_ns,
        "direct_scorecard_ns_per_account": direct_ns,
        "rules_scorer_ns_per_account": rules_ns,
        "abi_over_direct": abi_ns / direct_ns,
    }));
}
