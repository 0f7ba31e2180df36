//! `arrears audit head` and `arrears verify --anchor`: the chain's head printed to anchor
//! outside the store, and checked later (issue 21); `arrears migrate` (issue 16).

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

/// Issue 16 point 2: a store of format 2 is refused by every command but `arrears migrate`,
/// which says what it did, and refuses to run twice; the store then verifies clean.
#[test]
fn issue_16_an_older_store_is_migrated_by_migrate_only() {
    let env = Env::empty();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../arrears/tests/fixtures/v2/sample.redb");
    std::fs::copy(fixture, env.db()).unwrap();
    for args in [
        &["show", "account", "FX-1"][..],
        &["verify"],
        &[
            "post",
            "payment",
            "--key",
            "k",
            "--account",
            "FX-1",
            "--amount",
            "1.00",
            "--on",
            "2026-03-01",
        ],
    ] {
        let refused = env.run(args);
        assert_eq!(refused.code, 1, "{args:?}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("has format version 2 and must be migrated to 15 first"),
            "{}",
            refused.stderr
        );
        assert!(refused.stderr.contains("migrate`"), "{}", refused.stderr);
    }
    // redb rewrites its own header when a writable handle closes; the store itself is as it
    // was: still format 2 with its two accounts, as the migration reports below.
    let migrated = env.run(&["--json", "migrate"]).json();
    assert_eq!(migrated["from"], 2);
    assert_eq!(migrated["to"], 15);
    // Both snapshots rewritten by the step to 4, both accounts' rows by the step to 15.
    assert_eq!(migrated["accounts"], 4);
    assert!(migrated["commands"].as_u64().unwrap() > 0, "{migrated}");
    let twice = env.run(&["migrate"]);
    assert_eq!(twice.code, 1);
    assert!(
        twice.stderr.contains("format version 15 already: nothing to migrate"),
        "{}",
        twice.stderr
    );
    assert!(env.run(&["verify"]).ok().starts_with("ok: "));
    let shown = env.run(&["show", "account", "FX-1"]);
    assert!(shown.ok().contains("FX-1"), "{}", shown.stdout);
}

/// A `thirty_360` account written by format 11 keeps the by-piece rule its interest was
/// recorded by: `show account` names it after the migration, and the store verifies clean.
#[test]
fn a_thirty_360_account_of_format_11_shows_the_rule_it_keeps() {
    let env = Env::empty();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../arrears/tests/fixtures/v11/thirty_360.redb");
    std::fs::copy(fixture, env.db()).unwrap();
    let migrated = env.run(&["--json", "migrate"]).json();
    assert_eq!((migrated["from"].as_u64(), migrated["to"].as_u64()), (Some(11), Some(15)));
    assert!(env.run(&["verify"]).ok().starts_with("ok: "));
    let shown = env.run(&["show", "account", "TH-1"]);
    assert!(shown.ok().contains("thirty_360_by_piece"), "{}", shown.stdout);
}
