//! `arrears cycle`, `arrears actions list` and `arrears actions ack`.

use serde_json::Value;

use crate::{has_line, Env};

fn ack(env: &Env, id: &str, outcome: &str, key: &str) -> crate::Run {
    env.run(&[
        "actions",
        "ack",
        id,
        "--outcome",
        outcome,
        "--at",
        "2026-11-20T16:05:00Z",
        "--key",
        key,
    ])
}

#[test]
fn cycle_writes_actions_that_are_acknowledged_once() {
    let env = Env::sample();
    let report = env.run(&["cycle", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(report["as_of"], "2026-11-20");
    assert_eq!(report["complete"], true);
    assert_eq!(report["reviewed"], 15, "every account is due on its first cycle: {report}");
    let written = report["actions"].as_u64().expect("actions");
    assert!(written > 0, "{report}");
    for field in ["batches", "transitions", "fees_assessed", "charged_off", "proposals_refused"] {
        assert!(report[field].is_u64(), "{field}: {report}");
    }

    let pending = env.run(&["actions", "list", "--json"]).json();
    let pending = pending.as_array().expect("array");
    assert_eq!(pending.len() as u64, written);
    for action in pending {
        assert_eq!(action["status"], "pending");
        assert_eq!(action["created_for"], "2026-11-20");
        assert!(action["id"].is_u64() && action["template"].is_string(), "{action}");
        let accounts = action["accounts"].as_array().expect("accounts");
        let refs = action["account_refs"].as_array().expect("account_refs");
        assert_eq!(accounts.len(), refs.len());
        assert!(refs.iter().all(Value::is_string), "sample accounts have references: {action}");
    }
    let limited = env.run(&["actions", "list", "--json", "--limit", "1"]).json();
    assert_eq!(limited.as_array().expect("array").len(), 1);

    // The table names accounts by their references.
    let table = env.run(&["actions", "list"]);
    let table = table.ok();
    assert!(
        table.lines().next().is_some_and(|header| header.split_whitespace().collect::<Vec<_>>()
            == [
                "id",
                "debtor",
                "accounts",
                "channel",
                "address",
                "template",
                "scheduled_at",
                "created_for",
                "status"
            ]),
        "{table}"
    );
    assert_eq!(table.lines().count() as u64, written + 1, "{table}");

    let id_number = pending[0]["id"].as_u64().expect("id");
    let id = id_number.to_string();
    let first = ack(&env, &id, "no_answer", "ACK-1");
    assert_eq!(
        first.ok(),
        format!("acknowledged action {id}: no_answer at 2026-11-20T16:05:00Z\n")
    );
    // The same key again is a replay, not an error.
    assert!(ack(&env, &id, "no_answer", "ACK-1").ok().contains("replayed: key \"ACK-1\""));
    // Another key: the action was already acknowledged.
    let second = ack(&env, &id, "right_party", "ACK-2");
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert_eq!(second.stdout, format!("rejected: action {id} was already acknowledged\n"));
    let json = env.run(&[
        "actions",
        "ack",
        &id,
        "--outcome",
        "right_party",
        "--at",
        "2026-11-20T16:05:00Z",
        "--key",
        "ACK-2",
        "--json",
    ]);
    assert_eq!(json.code, 1);
    let value: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["outcome"]["rejected"]["already_acknowledged"]["action"].to_string(), id);

    // Acknowledged: out of the pending list, in --all with its outcome.
    let pending_after = env.run(&["actions", "list", "--json"]).json();
    assert_eq!(pending_after.as_array().expect("array").len() as u64, written - 1);
    let all = env.run(&["actions", "list", "--all", "--json"]).json();
    let acked = all
        .as_array()
        .expect("array")
        .iter()
        .find(|action| action["id"] == id_number)
        .expect("the acknowledged action");
    assert_eq!(acked["status"]["acknowledged"]["outcome"], "no_answer");
    let all_text = env.run(&["actions", "list", "--all"]);
    assert!(all_text.ok().contains("no_answer 2026-11-20T16:05:00Z"), "{}", all_text.stdout);

    // An unknown outcome is a usage error that lists the valid ones; an unknown id an error.
    let unknown = ack(&env, &id, "hung_up", "ACK-3");
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown outcome \"hung_up\""), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains(
            "not_connected, no_answer, voicemail, right_party, wrong_party, delivered, bounced, \
             promise_captured, dispute_raised, payment_taken"
        ),
        "{}",
        unknown.stderr
    );
    let missing = ack(&env, "42", "voicemail", "ACK-4");
    assert_eq!(missing.code, 1);
    assert_eq!(missing.stderr, "error: no outbox action 42\n");

    // Run again for the same date: nothing is due any more, nothing is written twice.
    let again = env.run(&["cycle", "--as-of", "2026-11-20"]);
    let again = again.ok();
    assert!(again.starts_with("cycle 2026-11-20: complete\n"), "{again}");
    assert!(has_line(again, "actions 0"), "{again}");
    assert!(has_line(again, "reviewed 0"), "{again}");
    env.run(&["verify"]).ok();
}

#[test]
fn cycle_batches() {
    let env = Env::sample();
    let report = env.run(&["cycle", "--as-of", "2026-11-20", "--batch", "2", "--json"]).json();
    assert_eq!(report["complete"], true);
    assert!(report["batches"].as_u64().expect("batches") >= 6, "{report}");
    assert_eq!(env.run(&["cycle", "--as-of", "2026-11-20", "--batch", "0"]).code, 2);
}
