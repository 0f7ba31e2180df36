//! `arrears plan quote` (with and without a store) and `arrears plan create`.

use rust_decimal::Decimal;
use serde_json::Value;

use crate::{has_line, Env};

const QUOTE: [&str; 14] = [
    "plan",
    "quote",
    "--balance",
    "10000",
    "--currency",
    "USD",
    "--annual-rate",
    "0.05",
    "--installments",
    "36",
    "--frequency",
    "monthly",
    "--first-due",
    "2027-01-01",
];

fn decimal(value: &Value) -> Decimal {
    let text = value.as_str().unwrap_or_else(|| panic!("{value} is not a string"));
    let (_, decimals) = text.split_once('.').unwrap_or_else(|| panic!("{text} has no decimals"));
    assert_eq!(decimals.len(), 2, "{text} must have exactly the 2 decimals of USD");
    text.parse().unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn plan_quote_needs_no_store() {
    // --db names a file in a directory that does not exist: nothing may be opened or created.
    let env = Env::empty();
    let missing = env.dir().join("no-such-dir").join("books.redb");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("--db")
        .arg(&missing)
        .args(QUOTE)
        .arg("--json")
        .output()
        .expect("run arrears");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let quote: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(!missing.exists());
    assert!(!env.db().exists());
    assert_eq!(std::fs::read_dir(env.dir()).expect("dir").count(), 0, "nothing created");

    assert_eq!(keys(&quote), ["installments", "total", "total_interest"]);
    let installments = quote["installments"].as_array().expect("installments");
    assert_eq!(installments.len(), 36);
    let first = &installments[0];
    assert_eq!(keys(first), ["amount", "due_on", "interest", "n", "principal", "remaining"]);
    assert_eq!(first["n"], 1);
    assert_eq!(first["due_on"], "2027-01-01");
    assert_eq!(first["amount"], "299.71");
    assert_eq!(first["interest"], "41.67", "10000.00 * 0.05 / 12");
    assert_eq!(installments[35]["due_on"], "2029-12-01");
    for (index, installment) in installments.iter().enumerate() {
        assert_eq!(installment["n"], index + 1);
        if index < 35 {
            assert_eq!(installment["amount"], "299.71", "installment {}", index + 1);
        }
        assert_eq!(
            decimal(&installment["amount"]),
            decimal(&installment["principal"]) + decimal(&installment["interest"])
        );
    }
    assert_eq!(installments[35]["remaining"], "0.00");
    let amounts: Decimal =
        installments.iter().map(|installment| decimal(&installment["amount"])).sum();
    assert_eq!(amounts, decimal(&quote["total"]));
    let principal: Decimal =
        installments.iter().map(|installment| decimal(&installment["principal"])).sum();
    assert_eq!(principal, Decimal::new(1_000_000, 2));
    let interest: Decimal =
        installments.iter().map(|installment| decimal(&installment["interest"])).sum();
    assert_eq!(interest, decimal(&quote["total_interest"]));
    assert_eq!(decimal(&quote["total"]) - decimal(&quote["total_interest"]), principal);

    // The same quote as a table, still without a store.
    let text = env.run(&QUOTE);
    let text = text.ok();
    assert!(text.starts_with("plan quote: 10000.00 USD, 36 monthly installments"), "{text}");
    assert!(has_line(text, "1 2027-01-01 299.71 258.04 41.67 9741.96"), "{text}");
    assert!(has_line(text, "level installment 299.71"), "{text}");
    assert!(!env.db().exists());
}

#[test]
fn plan_quote_checks_its_input() {
    let env = Env::empty();
    let run = |args: &[&str]| {
        let mut all = vec![
            "plan",
            "quote",
            "--installments",
            "3",
            "--frequency",
            "monthly",
            "--first-due",
            "2027-01-01",
        ];
        all.extend_from_slice(args);
        env.run(&all)
    };
    let finer = run(&["--balance", "10.001", "--currency", "USD"]);
    assert_eq!(finer.code, 1);
    assert_eq!(
        finer.stderr,
        "error: --balance: amount 10.001 is finer than the minor unit of USD (2 decimals)\n"
    );
    let rate = run(&["--balance", "10", "--currency", "USD", "--annual-rate", "11"]);
    assert_eq!(rate.code, 1);
    assert_eq!(rate.stderr, "error: --annual-rate: annual rate must be from 0 to 10, got 11\n");
    // A currency with no minor unit prints whole amounts.
    let clp = run(&["--balance", "1000", "--currency", "clp", "--json"]).json();
    assert_eq!(clp["total"], "1000");
    assert_eq!(clp["installments"][0]["amount"], "334");
    // Usage errors: no balance, a balance without currency, an unknown frequency.
    assert_eq!(run(&[]).code, 2);
    assert_eq!(run(&["--balance", "10"]).code, 2);
    let weekly = env.run(&[
        "plan",
        "quote",
        "--balance",
        "10",
        "--currency",
        "USD",
        "--installments",
        "3",
        "--frequency",
        "daily",
        "--first-due",
        "2027-01-01",
    ]);
    assert_eq!(weekly.code, 2);
    assert!(weekly.stderr.contains("weekly, fortnightly, monthly"), "{}", weekly.stderr);
    assert!(!env.db().exists());
}

#[test]
fn plan_quote_for_an_account_and_plan_create() {
    let env = Env::sample();
    // UT-9001 owes 63.83 + 151.07 on 2026-11-20, nothing disputed.
    let quote = env
        .run(&[
            "plan",
            "quote",
            "--account",
            "UT-9001",
            "--on",
            "2026-11-20",
            "--installments",
            "3",
            "--frequency",
            "monthly",
            "--first-due",
            "2026-12-15",
            "--json",
        ])
        .json();
    assert_eq!(quote["total"], "214.90");
    assert_eq!(quote["installments"][0]["amount"], "71.64");

    // TC-8002's invoice INV-20263 (1198.75) is disputed: it is left out of the balance.
    let disputed = env
        .run(&[
            "plan",
            "quote",
            "--account",
            "TC-8002",
            "--on",
            "2026-11-20",
            "--installments",
            "1",
            "--frequency",
            "monthly",
            "--first-due",
            "2026-12-15",
            "--json",
        ])
        .json();
    let view = env.run(&["show", "account", "TC-8002", "--as-of", "2026-11-20", "--json"]).json();
    let total = view["view"]["total_outstanding_minor"].as_i64().expect("total");
    assert_eq!(
        decimal(&disputed["total"]),
        Decimal::new(total - 119_875, 2),
        "the balance less the disputed invoice"
    );

    let create = |income: &str, key: &str| {
        env.run(&[
            "plan",
            "create",
            "--account",
            "UT-9001",
            "--on",
            "2026-11-20",
            "--installments",
            "3",
            "--frequency",
            "monthly",
            "--first-due",
            "2026-12-15",
            "--income",
            income,
            "--expenses",
            "990.00",
            "--key",
            key,
        ])
    };
    // 71.64 a month is above 40% of 1000.00 - 990.00.
    let refused = create("1000.00", "UT1-PLAN-1");
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stdout.starts_with("rejected: policy plan.affordable_share: installment costs"),
        "{}",
        refused.stdout
    );
    // Issue 14 (point 7): amounts in the account's currency, not in minor units.
    assert_eq!(
        refused.stdout,
        "rejected: policy plan.affordable_share: installment costs 71.64 USD a month, above the \
         affordable 4.00 USD (0.40 of disposable 10.00 USD)\n"
    );
    let json = env.run(&[
        "plan",
        "create",
        "--account",
        "UT-9001",
        "--on",
        "2026-11-20",
        "--installments",
        "3",
        "--frequency",
        "monthly",
        "--first-due",
        "2026-12-15",
        "--income",
        "1000.00",
        "--expenses",
        "990.00",
        "--key",
        "UT1-PLAN-1",
        "--json",
    ]);
    assert_eq!(json.code, 1);
    let value: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["rule"], "plan.affordable_share");
    assert_eq!(
        value["reason"],
        "policy plan.affordable_share: installment costs 71.64 USD a month, above the \
         affordable 4.00 USD (0.40 of disposable 10.00 USD)"
    );
    assert!(value["outcome"]["rejected"]["policy"]["plan_unaffordable"].is_object(), "{value}");

    let created = create("3000.00", "UT1-PLAN-2");
    let text = created.ok();
    assert!(text.starts_with("A10: delinquent -> in_plan\n"), "{text}");
    assert!(text.contains(" reschedule, entry J"), "{text}");
    let shown = env.run(&["show", "account", "UT-9001", "--json"]).json();
    assert_eq!(shown["case"]["state"], "in_plan");
    assert_eq!(shown["case"]["plan"]["total_minor"], 21_490);
    assert_eq!(shown["case"]["plan"]["installments"].as_array().expect("ids").len(), 3);
    let text = env.run(&["show", "account", "UT-9001"]);
    assert!(has_line(text.ok(), "state in_plan"), "{}", text.stdout);
    // Replayed under the same key: nothing new.
    let again = create("3000.00", "UT1-PLAN-2");
    assert!(again.ok().contains("replayed: key \"UT1-PLAN-2\""), "{}", again.stdout);
    env.run(&["verify"]).ok();
}
