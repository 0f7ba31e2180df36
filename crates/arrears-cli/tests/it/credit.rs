//! `arrears credit` and `arrears explain decision` beyond the examples of docs/CREDIT.md: an
//! application read from a JSON file, bad input named by its flag or field and writing
//! nothing, refuse to trade lifted by hand, and the exit code of an explanation that no longer
//! reproduces because the policy changed.

use crate::{example, path, Env};

fn credit_env() -> Env {
    let env = Env::sample();
    let policy = example("policies/credit.toml");
    env.run(&["policy", "set", path(&policy), "--key", "POL-CREDIT"]).ok();
    env
}

#[test]
fn an_application_file_is_decided_and_its_explanation_fails_once_the_policy_changes() {
    let env = credit_env();
    let file = env.write(
        "application.json",
        r#"{
  "debtor": "B-2002",
  "limit": "80000.00",
  "currency": "USD",
  "applied_on": "2026-11-20",
  "terms": { "net_days": 90, "deposit_share": "0.1", "cash_on_delivery": true, "interest_rate": "0.05" },
  "attributes": { "sector": "restaurants" }
}"#,
    );
    let decided = env.run(&["--json", "credit", "decide", path(&file), "--key", "APP-1"]).json();
    assert_eq!(decided["outcome"]["credit_decided"]["verdict"], "approve");
    let explained = env.run(&["--json", "explain", "decision", "1"]).json();
    assert_eq!(explained["reproduces"], true);
    let shown = env.run(&["policy", "show"]);
    assert!(crate::has_line(shown.ok(), "early_warning: approve"), "{}", shown.stdout);
    let shown = env.run(&["--json", "policy", "show"]).json();
    assert_eq!(shown["credit"]["rules"][0]["name"], "distress");
    let granted = &explained["decision"]["decided"];
    assert_eq!(granted["limit_minor"], 5_000_000);
    assert_eq!(granted["terms"]["net_days"], 60);
    assert_eq!(granted["terms"]["cash_on_delivery"], true);
    assert_eq!(explained["decision"]["application"]["attributes"]["sector"], "restaurants");
    // Under the standard policy (no credit rules) the same inputs are referred: the stored
    // decision no longer reproduces, and explain says so with exit 1.
    let standard = example("policies/standard.toml");
    env.run(&["policy", "set", path(&standard), "--key", "POL-STD"]).ok();
    assert!(env.run(&["--json", "policy", "show"]).json()["credit"].is_null());
    let run = env.run(&["explain", "decision", "1"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("the decision does NOT reproduce"), "{}", run.stdout);
    assert!(run.stdout.contains("rule: (none matched)"), "{}", run.stdout);
}

#[test]
fn bad_applications_name_what_is_wrong_and_write_nothing() {
    let env = credit_env();
    let before = env.snapshot();
    let run = env.run(&[
        "credit",
        "decide",
        "--debtor",
        "B-2002",
        "--limit",
        "100",
        "--deposit",
        "1.5",
        "--on",
        "2026-11-20",
        "--key",
        "BAD",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--deposit: invalid terms.deposit_share"), "{}", run.stderr);
    let run = env.run(&["credit", "decide", "--debtor", "NOPE", "--limit", "100", "--key", "BAD"]);
    assert!(run.stderr.contains("--debtor"), "{}", run.stderr);
    let file = env.write("bad.json", r#"{ "debtor": "B-2002", "limit": "1" }"#);
    let run = env.run(&["credit", "decide", path(&file), "--key", "BAD"]);
    assert!(
        run.stderr.contains("bad.json") && run.stderr.contains("missing field"),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);
    let run = env.run(&["explain", "decision", "1"]);
    assert!(run.stderr.contains("no credit decision 1"), "{}", run.stderr);
}

#[test]
fn refuse_to_trade_is_lifted_by_hand() {
    let env = credit_env();
    let terms = |refuse: bool, key: &str| {
        let mut args = vec!["credit", "terms", "--debtor", "B-2001", "--limit", "1000"];
        if refuse {
            args.push("--refuse-to-trade");
        }
        args.extend_from_slice(&["--on", "2026-11-20", "--key", key]);
        env.run(&args).ok().to_owned()
    };
    terms(true, "STOP");
    let charge = [
        "post",
        "charge",
        "--account",
        "TC-8001",
        "--ref",
        "INV-X",
        "--issued-on",
        "2026-11-20",
        "--due-on",
        "2026-12-20",
        "--amount",
        "100",
    ];
    let refused = env.run(&[&charge[..], &["--key", "C1"]].concat());
    assert_eq!(refused.code, 1);
    assert!(refused.stdout.contains("refused new business"), "{}", refused.stdout);
    terms(false, "RESUME");
    env.run(&[&charge[..], &["--key", "C2"]].concat()).ok();
    let shown = env.run(&["--json", "credit", "show", "--debtor", "B-2001"]).json();
    assert_eq!(shown["standing"]["refuse_to_trade"], false);
    assert_eq!(shown["standing"]["limit_minor"], 100_000);
}

/// `credit check`: exit 0 when the order fits, 1 when it does not, the JSON whole; an amount
/// below zero or finer than a cent is an error that names `--amount` and writes nothing.
#[test]
fn credit_check_answers_with_its_exit_code_and_names_a_bad_amount() {
    let env = credit_env();
    let terms = ["--debtor", "B-2003", "--limit", "20000", "--on", "2026-11-20", "--key", "T-3"];
    env.run(&[&["credit", "terms"][..], &terms].concat()).ok();
    let before = env.snapshot();
    let check = |amount: &str| {
        let args = ["--json", "credit", "check", "--debtor", "B-2003", "--amount", amount];
        env.run(&[&args[..], &["--as-of", "2026-11-20"]].concat())
    };
    let fits = check("11774.50");
    assert_eq!(fits.code, 0, "{}{}", fits.stdout, fits.stderr);
    let fits = fits.json();
    assert_eq!(fits["verdict"]["verdict"], "fits");
    assert_eq!(fits["available_minor"], 1_177_450);
    let over = check("11774.51");
    assert_eq!(over.code, 1, "{}{}", over.stdout, over.stderr);
    let over: serde_json::Value = serde_json::from_str(&over.stdout).unwrap();
    assert_eq!(
        (&over["verdict"]["verdict"], &over["verdict"]["by_minor"]),
        (&"over_limit".into(), &1.into())
    );
    for bad in ["-1", "1.001"] {
        let run = check(bad);
        // An error, as every error of the tool: exit 1, nothing on stdout, the flag named.
        assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{bad}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: --amount: "), "{bad}: {}", run.stderr);
    }
    assert!(env.snapshot() == before, "a check writes nothing");
}
