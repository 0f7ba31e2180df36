//! The per-account cost of isolation (issue 15 point 4): the same plugin library called
//! in-process (directly, and under the watchdog's deadline) and isolated in a runner process,
//! as a scorer and as a contact strategy, at batches of 1, 128 and 1,000 accounts.
//!
//! The library is the engine tests' hostile C plugin with an empty configuration (a constant
//! score, one email per request), compiled here with the system compiler: its own work is
//! nearly nothing, so the differences are the host's costs.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::ids::{AccountId, DebtorId};
use arrears::model::{ContactChannel, ContactPoint, ContactPointKind, ProductKind};
use arrears::plugin_host::{
    IsolatedInstance, IsolationOptions, LoadedPlugin, PluginOptions, PluginScorer, PluginStrategy,
};
use arrears::strategy::{ContactRequest, ContactStep, ContactStrategy, Features, Scorer};
use arrears_benches::{median, quick, summary};

fn features(n: usize) -> Features {
    Features {
        account: AccountId(n as u64 + 1),
        debtor: DebtorId(n as u64 + 1),
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
        currency: arrears::money::Currency::USD,
        product: ProductKind::Revolving,
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

fn request(n: usize) -> ContactRequest {
    ContactRequest {
        debtor: DebtorId(n as u64 + 1),
        accounts: vec![AccountId(n as u64 + 1)],
        as_of: "2026-03-02".parse().expect("a date"),
        steps: vec![ContactStep {
            channel: ContactChannel::Email,
            template: "email_1".into(),
            tone: None,
        }],
        contact_points: vec![ContactPoint {
            channel: ContactChannel::Email,
            address: format!("debtor{n}@example.com"),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        }],
        time_zones: vec!["America/Chicago".into()],
        score: None,
        history: Vec::new(),
    }
}

/// The median per-account time of each call, the calls interleaved round by round so that
/// a busy machine slows them alike.
fn per_account_ns(rounds: usize, batch: usize, calls: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); calls.len()];
    for call in calls.iter_mut() {
        call();
    }
    for _ in 0..rounds {
        for (call, samples) in calls.iter_mut().zip(&mut samples) {
            let start = Instant::now();
            call();
            samples.push(start.elapsed());
        }
    }
    samples.into_iter().map(|samples| median(samples).as_nanos() as f64 / batch as f64).collect()
}

fn compile_plugin(out: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new("cc")
        .args(["-O2", "-shared", "-fPIC", "-std=c11", "-I"])
        .arg(root.join("crates/arrears-plugin-sdk/include"))
        .arg(root.join("crates/arrears/tests/it/plugins/hostile.c"))
        .arg("-o")
        .arg(out)
        .arg("-lm")
        .status()
        .expect("run cc");
    assert!(status.success(), "compiling the plugin failed");
}

fn main() {
    let rounds = if quick() { 3 } else { 200 };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let library = dir.path().join("libhostile.so");
    compile_plugin(&library);
    let plugin = LoadedPlugin::load(&library, &PluginOptions::default()).expect("it loads");
    let sha256 = plugin.sha256().expect("a digest");
    let in_process = Arc::new(plugin.instantiate("").expect("it starts"));
    let options = IsolationOptions {
        runner: Some(env!("CARGO_BIN_EXE_arrears-bench-runner").into()),
        ..IsolationOptions::default()
    };
    let isolated =
        Arc::new(IsolatedInstance::start(&library, sha256, "", &options).expect("it starts"));
    let deadline = options.deadline();

    let scorers: [(&str, PluginScorer); 3] = [
        ("in_process", PluginScorer::new("p", in_process.clone()).expect("a scorer")),
        (
            "in_process_watchdog",
            PluginScorer::new("p", in_process.clone()).expect("a scorer").with_deadline(deadline),
        ),
        ("isolated", PluginScorer::isolated("p", isolated.clone()).expect("a scorer")),
    ];
    let strategies: [(&str, PluginStrategy); 2] = [
        ("in_process", PluginStrategy::new("p", in_process).expect("a strategy")),
        ("isolated", PluginStrategy::isolated("p", isolated).expect("a strategy")),
    ];
    // One request: what the cycle passes a strategy (a call per debtor).
    for batch in [1, 128, 1_000] {
        let inputs: Vec<Features> = (0..batch).map(features).collect();
        let mut line = serde_json::json!({ "bench": "plugin_isolation", "batch": batch });
        let mut score_calls: Vec<Box<dyn FnMut()>> = scorers
            .iter()
            .map(|(_, scorer)| -> Box<dyn FnMut()> {
                let inputs = &inputs;
                Box::new(move || {
                    black_box(scorer.score_batch(black_box(inputs)).expect("scores"));
                })
            })
            .collect();
        let mut calls: Vec<&mut dyn FnMut()> =
            score_calls.iter_mut().map(|call| &mut **call as &mut dyn FnMut()).collect();
        let times = per_account_ns(rounds, batch, &mut calls);
        for ((name, _), ns) in scorers.iter().zip(times) {
            line[format!("score_{name}_ns_per_account")] = serde_json::json!(ns);
        }
        let requests: Vec<ContactRequest> = (0..batch).map(request).collect();
        let mut propose_calls: Vec<Box<dyn FnMut()>> = strategies
            .iter()
            .map(|(_, strategy)| -> Box<dyn FnMut()> {
                let requests = &requests;
                Box::new(move || {
                    let proposals = strategy.propose_batch(black_box(requests)).expect("proposals");
                    assert_eq!(proposals.len(), batch);
                })
            })
            .collect();
        let mut calls: Vec<&mut dyn FnMut()> =
            propose_calls.iter_mut().map(|call| &mut **call as &mut dyn FnMut()).collect();
        let times = per_account_ns(rounds, batch, &mut calls);
        for ((name, _), ns) in strategies.iter().zip(times) {
            line[format!("propose_{name}_ns_per_account")] = serde_json::json!(ns);
        }
        let score = |name: &str| line[format!("score_{name}_ns_per_account")].as_f64();
        let (isolated, in_process) = (score("isolated"), score("in_process"));
        if let (Some(isolated), Some(in_process)) = (isolated, in_process) {
            line["score_isolation_adds_ns_per_account"] = serde_json::json!(isolated - in_process);
            line["score_isolated_over_in_process"] = serde_json::json!(isolated / in_process);
        }
        summary(line);
    }
}
