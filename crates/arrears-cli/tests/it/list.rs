//! `arrears list accounts | debtors` and `arrears show debtor` on the sample portfolio.

use crate::{has_line, Env};

#[test]
fn list_accounts_filters_pages_and_formats() {
    let env = Env::sample();
    let all = env.run(&["list", "accounts", "--as-of", "2026-11-20", "--json"]).json();
    let rows = all["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 15);
    assert_eq!(all["next_after"], serde_json::Value::Null);
    // The filter: 31 days past due or more, in USD.
    let late = env
        .run(&[
            "list",
            "accounts",
            "--as-of",
            "2026-11-20",
            "--dpd-min",
            "31",
            "--currency",
            "USD",
            "--json",
        ])
        .json();
    let ids: Vec<u64> = late["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["account"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3, 4, 5, 8, 10, 11]);
    // A page of two, and the cursor to the next.
    let page =
        env.run(&["list", "accounts", "--as-of", "2026-11-20", "--dpd-min", "31", "--limit", "2"]);
    let text = page.ok();
    assert!(text.starts_with("accounts as of 2026-11-20: 2 shown\n"), "{text}");
    assert!(
        has_line(text, "A1 TC-8001 D8 USD delinquent champion 36 31-60 9720.25 9720.25 no no 0"),
        "{text}"
    );
    assert!(text.ends_with("more: --after A3\n"), "{text}");
    let next = env.run(&[
        "list",
        "accounts",
        "--as-of",
        "2026-11-20",
        "--dpd-min",
        "31",
        "--after",
        "A3",
        "--all",
        "--csv",
    ]);
    let csv = next.ok();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,ref,debtor,currency,state,stage,arm,agency,dpd,bucket,outstanding,past_due,promise,plan,broken,signals")
    );
    let ids: Vec<&str> = lines.map(|line| line.split(',').next().unwrap()).collect();
    assert_eq!(ids, ["A4", "A5", "A8", "A10", "A11", "A14", "A15"]);
    // Bad flags name the flag and the values allowed.
    let bad = env.run(&["list", "accounts", "--state", "late"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("\"late\" is not a state; the states are current, delinquent"),
        "{}",
        bad.stderr
    );
    let bad = env.run(&["list", "accounts", "--bucket", "0-30"]);
    assert!(bad.stderr.contains("\"0-30\" is not a bucket"), "{}", bad.stderr);
    let bad = env.run(&["list", "accounts", "--json", "--csv"]);
    assert_eq!(bad.code, 2, "a usage error, as docs/CLI.md's exit codes say");
    assert!(bad.stderr.contains("'--csv' cannot be used with '--json'"), "{}", bad.stderr);
    let bad = env.run(&["list", "accounts", "--after", "NOPE"]);
    assert!(
        bad.stderr.contains("--after: no account with external reference or id \"NOPE\""),
        "{}",
        bad.stderr
    );
}

#[test]
fn list_debtors_and_show_debtor() {
    let env = Env::sample();
    let found = env.run(&["list", "debtors", "--phone", "+1 (512) 555-0143"]);
    let text = found.ok();
    assert!(has_line(text, "D1 C-1001 Maria Gonzalez US en A4 A13"), "{text}");
    let found = env.run(&["list", "debtors", "--name", "GONZ", "--json"]).json();
    assert_eq!(found["rows"].as_array().unwrap().len(), 1);
    let found =
        env.run(&["list", "debtors", "--email", "MARIA.GONZALEZ@example.com", "--json"]).json();
    assert_eq!(found["rows"][0]["external_ref"], "C-1001");
    let shown = env.run(&["show", "debtor", "C-1001", "--as-of", "2026-11-20"]);
    let text = shown.ok();
    for line in [
        "debtor D1 (C-1001) Maria Gonzalez",
        "sms +1-512-555-0143 personal yes no",
        "A4 LN-5001 D1 USD delinquent champion 36 31-60 1570.59 1570.59 no no 0",
        "A13 UT-9004 D1 USD current champion 29 1-30 64.35 64.35 no no 0",
    ] {
        assert!(has_line(text, line), "{line:?} in\n{text}");
    }
    let json = env.run(&["show", "debtor", "D1", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(json["accounts"].as_array().unwrap().len(), 2);
    assert_eq!(json["debtor"]["contact_points"].as_array().unwrap().len(), 2);
    let bad = env.run(&["show", "debtor", "C-9999"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("debtor: no debtor with external reference or id \"C-9999\""),
        "{}",
        bad.stderr
    );
}

/// The examples of docs/CLI.md's sections on lists replay on the sample portfolio: each
/// `$ arrears ...` line of a `console` block is run and its output compared with the lines
/// that follow it.
#[test]
fn the_cli_docs_list_examples_replay() {
    let env = Env::sample();
    let sections =
        ["### `arrears list accounts`", "### `arrears list debtors`", "### `arrears show debtor`"];
    assert_eq!(crate::docs::replay_in(&env, &sections), 4);
}

/// Issue 14 point 5 (in part): `actions list --due` lists the pending actions in due order
/// (the default listing is by id, and ids are hashes), with the debtor and the past due
/// amount and days of their accounts, and `--until` keeps those due by an instant.
#[test]
fn actions_list_due_is_in_due_order_with_what_a_sender_needs() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let due = env.run(&["actions", "list", "--due", "--json"]).json();
    let due = due.as_array().unwrap();
    let pending = env.run(&["actions", "list", "--json"]).json();
    assert_eq!(due.len(), pending.as_array().unwrap().len());
    let keys: Vec<(String, u64)> = due
        .iter()
        .map(|item| {
            let action = &item["action"];
            (action["scheduled_at"].as_str().unwrap().to_owned(), action["id"].as_u64().unwrap())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "scheduled instant, then id");
    let maria = due.iter().find(|item| item["debtor_ref"] == "C-1001").expect("C-1001's action");
    assert_eq!(maria["debtor_name"], "Maria Gonzalez");
    assert_eq!(maria["past_due_minor"], 163_494);
    assert_eq!(maria["days_past_due"], 36);
    let until =
        env.run(&["actions", "list", "--due", "--until", "2026-11-20T17:00:00Z", "--json"]).json();
    let until = until.as_array().unwrap();
    assert!(!until.is_empty() && until.len() < due.len());
    assert!(until
        .iter()
        .all(|item| item["action"]["scheduled_at"].as_str().unwrap() <= "2026-11-20T17:00:00Z"));
    let bad = env.run(&["actions", "list", "--until", "2026-11-20T17:00:00Z"]);
    assert_eq!(bad.code, 2, "--until needs --due");
}
