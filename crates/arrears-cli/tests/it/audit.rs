//! `arrears audit head` and `arrears verify --anchor`: the chain's head printed to anchor
//! outside the store, and checked later (issue 21).

use crate::*;

#[test]
fn issue_21_audit_head_is_anchored_and_checked() {
    let env = Env::sample();
    let head = env.run(&["audit", "head"]);
    let anchor = head.ok().trim().to_owned();
    let (hash, seq) = anchor.split_once('@').unwrap();
    assert_eq!(hash.len(), 64, "{anchor}");
    assert!(seq.parse::<u64>().unwrap() > 0);
    let json = env.run(&["--json", "audit", "head"]).json();
    assert_eq!(json["anchor"], anchor.as_str());

    let held = env.run(&["verify", "--anchor", &anchor]);
    assert!(held.ok().contains("held (the store extends the anchored chain)"), "{}", held.stdout);

    let other = format!("{}@{seq}", "0".repeat(64));
    let lost = env.run(&["verify", "--anchor", &other]);
    assert_eq!(lost.code, 1, "{}", lost.stdout);
    assert!(lost.stdout.contains("NOT held"), "{}", lost.stdout);
    let json = env.run(&["--json", "verify", "--anchor", &other]);
    assert_eq!(json.code, 1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["anchor_held"], false);

    let bad = env.run(&["verify", "--anchor", "abc@1"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("HASH@SEQ"), "{}", bad.stderr);
}

/// Issue 21: `verify --pages` runs redb's own page check (checksums, tree structure) and says
/// what it found and how long it took.
#[test]
fn issue_21_verify_pages_runs_the_page_check() {
    let env = Env::sample();
    let run = env.run(&["verify", "--pages"]);
    let text = run.ok();
    assert!(text.starts_with("pages: intact ("), "{text}");
    assert!(text.contains("\nok: "), "{text}");
    let value = env.run(&["--json", "verify", "--pages"]).json();
    assert_eq!(value["pages"], "intact");
    assert!(value["pages_ms"].as_u64().is_some(), "{value}");
}
