//! `arrears show account`.

use crate::Env;

/// True if a line of `text` has exactly the words of `words`, however aligned.
fn has_line(text: &str, words: &str) -> bool {
    let words: Vec<&str> = words.split_whitespace().collect();
    text.lines().any(|line| line.split_whitespace().collect::<Vec<_>>() == words)
}

#[test]
fn show_account_prints_balances_obligations_and_ledger() {
    let env = Env::sample();
    // By external reference or by id, as of 2026-11-01 (the last installment's issue).
    let by_ref = env.run(&["show", "account", "LN-5001", "--as-of", "2026-11-01"]);
    let text = by_ref.ok();
    assert_eq!(env.run(&["show", "account", "A4", "--as-of", "2026-11-01"]).ok(), text);
    assert!(
        text.starts_with(
            "account A4 (LN-5001)  installment  USD\ndebtor  D1 (C-1001)  Maria Gonzalez\n"
        ),
        "{text}"
    );
    assert!(text.contains("as of   2026-11-01\n"), "{text}");
    assert!(has_line(text, "total outstanding 1570.59"), "{text}");
    assert!(has_line(text, "days past due 17"), "{text}");
    assert!(has_line(text, "bucket 1-30"), "{text}");
    assert!(
        text.contains("  O15  LN-5001-05  installment  2026-10-01  2026-10-15   1035.29       535.29   17  no\n"),
        "{text}"
    );
    // The ledger: every entry, with its postings. The payment recorded on 2026-09-18 was
    // restated by a correction when the back-dated payment of 2026-08-14 arrived.
    assert!(
        text.contains("  J60 event #9 payment (original)  effective 2026-09-18  recorded 2026-11-20T12:00:00Z  key LN1-PAY-0918\n"),
        "{text}"
    );
    assert!(text.contains("  J61 event #9 payment (correction)  effective 2026-09-18"), "{text}");
    assert!(
        text.contains("      receivable  O14         principal  #9              1004.84\n"),
        "{text}"
    );

    let as_of = env.run(&["show", "account", "LN-5001", "--as-of", "2026-11-20"]);
    assert!(has_line(as_of.ok(), "days past due 36"), "{}", as_of.stdout);
    assert!(has_line(as_of.ok(), "bucket 31-60"), "{}", as_of.stdout);

    let json = env.run(&["show", "account", "LN-5001", "--json", "--as-of", "2026-11-20"]).json();
    assert_eq!(json["view"]["as_of"], "2026-11-20");
    assert_eq!(json["view"]["total_outstanding_minor"], 157_059);
    assert_eq!(json["view"]["aging"]["days_past_due"], 36);
    let ledger = json["ledger"].as_array().expect("ledger");
    assert_eq!(ledger.len(), 12, "6 charges, 5 payments and 1 correction");
    assert!(ledger.iter().any(|entry| entry["kind"] == "correction"));

    let unknown = env.run(&["show", "account", "A99"]);
    assert_eq!(unknown.code, 1);
    assert_eq!(unknown.stderr, "error: account: no account A99\n");
}

#[test]
fn issue_14_show_account_and_aging_default_to_today() {
    // https://github.com/arrears/arrears/issues/14 (point 7): without --as-of, `show account`
    // used the account's last event date, so LN-5001, 36 days past due today, showed 17 (and
    // an account that stopped paying long ago showed "current"). Today is the date of
    // --recorded-at (the test harness passes 2026-11-20), or of $ARREARS_RECORDED_AT.
    let env = Env::sample();
    let text = env.run(&["show", "account", "LN-5001"]).ok().to_owned();
    assert!(text.contains("as of   2026-11-20\n"), "{text}");
    assert!(has_line(&text, "days past due 36"), "{text}");
    assert!(has_line(&text, "bucket 31-60"), "{text}");
    let aging = env.run(&["report", "aging", "--json"]).json();
    assert_eq!(aging["as_of"], "2026-11-20");
    assert_eq!(aging, env.run(&["report", "aging", "--as-of", "2026-11-20", "--json"]).json());

    // The environment variable, for reproducible runs without the flag; the flag wins.
    let run = |args: &[&str], recorded_at: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("--db")
            .arg(env.db())
            .args(args)
            .env("ARREARS_RECORDED_AT", recorded_at)
            .output()
            .expect("run arrears");
        crate::Run::from(output)
    };
    let later = run(&["show", "account", "LN-5001", "--json"], "2026-12-20T09:00:00Z").json();
    assert_eq!(later["view"]["as_of"], "2026-12-20");
    assert_eq!(later["view"]["aging"]["days_past_due"], 66);
    let flag = run(
        &["--recorded-at", "2026-11-20T12:00:00Z", "show", "account", "LN-5001", "--json"],
        "2026-12-20T09:00:00Z",
    )
    .json();
    assert_eq!(flag["view"]["as_of"], "2026-11-20");
    let bad = run(&["show", "account", "LN-5001"], "yesterday");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("\"yesterday\" is not an RFC 3339 instant"), "{}", bad.stderr);
}

#[test]
fn charged_off_account() {
    let env = Env::sample();
    let text = env.run(&["show", "account", "TC-8003", "--as-of", "2026-11-16"]).ok().to_owned();
    assert!(text.contains("as of   2026-11-16\n"), "{text}");
    assert!(has_line(&text, "charged off 2026-10-31"), "{text}");
    assert!(has_line(&text, "total outstanding 8225.50"), "{text}");
    assert!(
        has_line(&text, "O9 INV-30077 invoice 2026-06-02 2026-07-02 8450.00 4950.00 137 no"),
        "{text}"
    );
    assert!(text.contains("recoveries"), "{text}");
}

#[test]
fn broken_pipe_is_not_an_error() {
    use std::process::{Command, Stdio};
    let env = Env::sample();
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("--db")
        .arg(env.dir().join("books.redb"))
        .args(["show", "account", "CC-7001"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Hang up before the command writes anything (it first opens the store).
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.stderr, b"");
}

#[test]
fn issue_14_a_reader_that_hangs_up_early_is_not_an_error_for_any_output() {
    // https://github.com/arrears/arrears/issues/14 (point 7): `--json` output piped into
    // `head` exited 1 (serde_json wraps the broken pipe in its own error). Output larger than
    // the stdout buffer meets the closed pipe inside serde_json or the CSV writer.
    use std::process::{Command, Stdio};
    let env = Env::sample();
    for args in [
        &["show", "account", "CC-7001", "--json"][..],
        &["show", "account", "CC-7001"],
        &["report", "aging", "--csv"],
        &["report", "aging", "--json"],
        &["policy", "show", "--json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("--db")
            .arg(env.db())
            .args(["--recorded-at", crate::RECORDED_AT])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn issue_14_hashes_in_json_are_hex_strings() {
    // https://github.com/arrears/arrears/issues/14 (point 7): the audit records' hashes were
    // arrays of 32 numbers in JSON. They are 64 hex digits, as `audit head` prints them.
    let env = Env::sample();
    let json = env.run(&["show", "account", "CC-7001", "--json"]).json();
    let audit = json["audit"].as_array().expect("audit");
    assert!(!audit.is_empty());
    let is_hex = |value: &serde_json::Value| {
        value.as_str().is_some_and(|text| {
            text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
        })
    };
    for record in audit {
        assert!(is_hex(&record["prev_hash"]), "{record}");
        if let Some(content) = record["kind"]["command_executed"].get("content") {
            assert!(is_hex(content), "{record}");
        }
    }
    assert!(audit.iter().any(|record| record["kind"]["command_executed"].is_object()), "{audit:?}");
    // The head's hash is the next record's prev_hash: the same spelling in both places.
    let head = env.run(&["audit", "head", "--json"]).json();
    let anchor = head["anchor"].as_str().expect("anchor");
    assert!(is_hex(&serde_json::Value::from(&anchor[..64])), "{anchor}");
}
