//! `arrears check contact`: the compliance guardrails asked from the command line, without a
//! store (packs, zones, debts, a history file and flags given) and for a stored debtor.
//!
//! Method: real runs of the binary. Every expected instant is computed by hand in a comment:
//! in November 2026 Chicago is UTC-6, New York UTC-5 and Los Angeles UTC-8, and 2026-11-23 is a
//! Monday.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{Env, Run};

/// The check of the brief, run exactly so (relative history file, no `--db`).
const CHECK: [&str; 15] = [
    "check",
    "contact",
    "--pack",
    "us-federal",
    "--tz",
    "America/Chicago",
    "--channel",
    "call",
    "--debt",
    "D1",
    "--at",
    "2026-11-23T14:05:00Z",
    "--history",
    "history.jsonl",
    "--json",
];

/// Runs `arrears ARGS` in `dir`, with no `--db`: the default store would be `dir/arrears.redb`.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run arrears");
    Run::from(output)
}

/// The brief's check with `history` as history.jsonl and `extra` arguments, in a directory of
/// its own, as JSON (or as text without `json`); asserts that nothing but the history file is
/// left there.
fn run_check(history: &[String], extra: &[&str], json: bool) -> Run {
    let env = Env::empty();
    let mut text = history.join("\n");
    text.push('\n');
    env.write("history.jsonl", &text);
    let mut args: Vec<&str> = CHECK.to_vec();
    if !json {
        args.retain(|arg| *arg != "--json");
    }
    args.extend_from_slice(extra);
    let run = run_in(env.dir(), &args);
    let mut left: Vec<String> = std::fs::read_dir(env.dir())
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["history.jsonl"], "a storeless check creates nothing");
    run
}

fn check(history: &[String], extra: &[&str]) -> Run {
    run_check(history, extra, true)
}

/// One history line: a call about D1.
fn call(at: &str, direction: &str, outcome: &str) -> String {
    format!(
        r#"{{"at":"{at}","channel":"call","direction":"{direction}","outcome":"{outcome}","debt":"D1"}}"#
    )
}

/// Seven outbound unanswered calls about D1 on the six local days before 2026-11-23 (one on
/// the 17th, two on the 18th, one a day from the 19th to the 22nd), at Chicago daytime.
fn seven_calls() -> Vec<String> {
    [
        "2026-11-17T16:00:00Z",
        "2026-11-18T15:00:00Z",
        "2026-11-18T22:00:00Z",
        "2026-11-19T16:00:00Z",
        "2026-11-20T16:00:00Z",
        "2026-11-21T16:00:00Z",
        "2026-11-22T16:00:00Z",
    ]
    .iter()
    .map(|at| call(at, "outbound", "no_answer"))
    .collect()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn the_eighth_call_in_seven_days_is_blocked() {
    let decision = check(&seven_calls(), &[]).json();
    assert_eq!(
        keys(&decision),
        ["allowed", "also_blocked_by", "next_allowed_at", "reason", "rule"]
    );
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["rule"], "us-federal.call-7-in-7");
    assert!(
        decision["reason"].as_str().expect("reason").contains("7 connected call"),
        "{decision}"
    );
    // The call of the 17th leaves the window at 00:00 on the 24th (Chicago); the hours open at
    // 08:00 CST = 14:00 UTC, when the window (18th to 24th) holds 6 calls.
    assert_eq!(decision["next_allowed_at"], "2026-11-24T14:00:00Z");
    assert_eq!(decision["also_blocked_by"], serde_json::json!([]));

    // The same as text: one line.
    let text = run_check(&seven_calls(), &[], false);
    let line = text.ok();
    assert!(
        line.starts_with("blocked by us-federal.call-7-in-7: At most 7 placed calls"),
        "{line}"
    );
    assert!(line.ends_with("; next allowed at 2026-11-24T14:00:00Z\n"), "{line}");
    assert_eq!(line.lines().count(), 1);
}

#[test]
fn calls_not_connected_do_not_count() {
    let mut history = seven_calls();
    history[1] = call("2026-11-18T15:00:00Z", "outbound", "not_connected");
    history[4] = call("2026-11-20T16:00:00Z", "outbound", "not_connected");
    let decision = check(&history, &[]).json();
    assert_eq!(decision["allowed"], true);
    assert_eq!(decision["rule"], Value::Null);
    // The engine gives the proposal's own instant when it is allowed.
    assert_eq!(decision["next_allowed_at"], "2026-11-23T14:05:00Z");
    assert_eq!(run_check(&history, &[], false).ok(), "allowed\n");

    // Prior consent to calls, given at --at, lifts the cap of seven connected calls.
    let consented = check(&seven_calls(), &["--flag", "consent"]).json();
    assert_eq!(consented["allowed"], true, "{consented}");
}

#[test]
fn a_conversation_starts_a_seven_day_cool_down() {
    // A conversation yesterday, Sunday 2026-11-22 at 10:00 Chicago: day 1 of 7, so calls are
    // blocked through Saturday the 28th; the next is at 08:00 CST on Sunday the 29th.
    let history = [call("2026-11-22T16:00:00Z", "outbound", "conversation")];
    let decision = check(&history, &[]).json();
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["rule"], "us-federal.call-after-conversation");
    assert_eq!(decision["next_allowed_at"], "2026-11-29T14:00:00Z");

    // An inbound conversation starts it too, and a conversation about several debts covers
    // each of them.
    let inbound = [
        r#"{"at":"2026-11-22T16:00:00Z","channel":"call","direction":"inbound","outcome":"conversation","debts":["D1","D2"]}"#
            .to_owned(),
    ];
    let decision = check(&inbound, &["--debt", "D2"]).json();
    assert_eq!(decision["rule"], "us-federal.call-after-conversation");
    // A letter is no trigger, and the cool-down is about calls only.
    let letter = [
        r#"{"at":"2026-11-22T16:00:00Z","channel":"letter","direction":"outbound","outcome":"delivered","debt":"D1"}"#
            .to_owned(),
    ];
    assert_eq!(check(&letter, &[]).json()["allowed"], true);
}

#[test]
fn calls_are_allowed_from_eight_local_time_in_every_zone() {
    let env = Env::empty();
    let hours = |zones: &[&str], at: &str, json: bool| {
        let mut args =
            vec!["check", "contact", "--pack", "us-federal", "--channel", "call", "--debt", "D1"];
        for zone in zones {
            args.extend_from_slice(&["--tz", zone]);
        }
        args.extend_from_slice(&["--at", at]);
        if json {
            args.push("--json");
        }
        run_in(env.dir(), &args)
    };
    // 12:30 UTC is 06:30 in Chicago; the window opens at 08:00 CST = 14:00 UTC.
    let early = hours(&["America/Chicago"], "2026-11-23T12:30:00Z", true).json();
    assert_eq!(early["allowed"], false);
    assert_eq!(early["rule"], "us-federal.hours");
    assert_eq!(early["next_allowed_at"], "2026-11-23T14:00:00Z");
    let text = hours(&["America/Chicago"], "2026-11-23T12:30:00Z", false);
    assert!(text.ok().starts_with("blocked by us-federal.hours: "), "{}", text.stdout);
    assert!(text.ok().contains("06:30 in America/Chicago"), "{}", text.stdout);
    assert!(text.ok().ends_with("; next allowed at 2026-11-23T14:00:00Z\n"), "{}", text.stdout);

    // Two zones: 12:30 UTC is 07:30 in New York (open at 08:00 EST = 13:00 UTC) and 04:30 in
    // Los Angeles (open at 08:00 PST = 16:00 UTC): blocked until both are open.
    let both = ["America/Los_Angeles", "America/New_York"];
    let two = hours(&both, "2026-11-23T12:30:00Z", true).json();
    assert_eq!(two["allowed"], false);
    assert_eq!(two["rule"], "us-federal.hours");
    assert!(two["reason"].as_str().expect("reason").contains("America/Los_Angeles"), "{two}");
    assert_eq!(two["next_allowed_at"], "2026-11-23T16:00:00Z");
    // 13:30 UTC is open in New York but not in Los Angeles; 16:00 UTC is open in both.
    assert_eq!(hours(&both, "2026-11-23T13:30:00Z", true).json()["allowed"], false);
    assert_eq!(hours(&both, "2026-11-23T16:00:00Z", true).json()["allowed"], true);
    assert_eq!(std::fs::read_dir(env.dir()).expect("dir").count(), 0, "nothing created");
}

#[test]
fn flags_block_with_no_next_instant() {
    let decision = check(&[], &["--flag", "cease"]).json();
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["rule"], "us-federal.cease");
    assert_eq!(decision["next_allowed_at"], Value::Null);
    // With the core pack too, both cease rules block; the first pack given is named.
    let both = check(&[], &["--flag", "cease", "--pack", "core"]).json();
    assert_eq!(both["rule"], "us-federal.cease");
    assert_eq!(both["also_blocked_by"], serde_json::json!(["core.cease"]));
    // A termination notice is the exception to a cease request.
    let notice = check(&[], &["--flag", "cease", "--action", "termination-notice"]).json();
    assert_eq!(notice["allowed"], true, "{notice}");
    let text = run_check(&[], &["--flag", "cease"], false);
    assert!(
        text.ok().ends_with("; no next allowed instant within 60 days as things stand\n"),
        "{}",
        text.stdout
    );

    // An opted-out number, compared on its digits.
    let opted = check(
        &[],
        &["--address", "+1 (512) 555-0143", "--opted-out", "+1-512-555-0143", "--flag", "dispute"],
    )
    .json();
    assert_eq!(opted["rule"], "us-federal.dispute");
    assert_eq!(opted["also_blocked_by"], serde_json::json!(["us-federal.opt-out"]));
}

#[test]
fn bad_input_files_exit_1_and_name_the_line() {
    let mut history = seven_calls();
    history.insert(
        1,
        r#"{"at":"2026-11-17T17:00:00Z","channel":"call","direction":"outbound","outcome":"hung_up","debt":"D1"}"#
            .to_owned(),
    );
    let bad = check(&history, &[]);
    assert_eq!(bad.code, 1);
    assert_eq!(bad.stdout, "");
    assert_eq!(
        bad.stderr,
        "error: history.jsonl:2: outcome: \"hung_up\" is not one of not_connected, no_answer, \
         voicemail, wrong_party, conversation, delivered, bounced, pending\n"
    );
    // Every bad line is reported.
    let many = check(
        &[
            call("2026-11-17T16:00:00Z", "sideways", "no_answer"),
            String::new(),
            r#"{"at":"2026-11-17","channel":"call","direction":"inbound","outcome":"no_answer"}"#
                .to_owned(),
            "[1]".to_owned(),
        ],
        &[],
    );
    assert_eq!(many.code, 1);
    assert_eq!(
        many.stderr,
        "error: history.jsonl: 4 errors\n\
         history.jsonl:1: direction: \"sideways\" is not one of outbound, inbound\n\
         history.jsonl:3: at: \"2026-11-17\" is not an RFC 3339 instant such as \
         2026-11-20T09:00:00Z (premature end of input)\n\
         history.jsonl:3: debt: required (or debts, an array)\n\
         history.jsonl:4: not a JSON object\n"
    );
    // Issue 21: a field named twice is refused, not read as its last value.
    let twice = check(
        &[r#"{"at":"2026-11-17T16:00:00Z","channel":"call","direction":"outbound","outcome":"conversation","outcome":"no_answer","debt":"D1"}"#
            .to_owned()],
        &[],
    );
    assert_eq!(twice.code, 1);
    assert_eq!(twice.stderr, "error: history.jsonl:1: outcome: field named twice in the object\n");

    // A pack file that does not load: the engine's located error.
    let env = Env::empty();
    env.write(
        "mine.toml",
        "id = \"mine\"\nname = \"Mine\"\ncitation = \"none\"\n\n[[rule]]\nid = \"mine.cap\"\n\
         kind = \"frequency_cap\"\nstatus = \"V2\"\ncitation = \"c\"\nsummary = \"s\"\n\
         scope = \"person\"\nwindow_days = 1\nmax = 0\ncounts = \"attempts\"\n",
    );
    let args = [
        "check",
        "contact",
        "--pack-file",
        "mine.toml",
        "--tz",
        "America/Chicago",
        "--channel",
        "call",
        "--debt",
        "D1",
        "--at",
        "2026-11-23T14:05:00Z",
    ];
    let pack = run_in(env.dir(), &args);
    assert_eq!(pack.code, 1);
    assert_eq!(pack.stderr, "error: mine.toml:13: rule[0].max: 0 is out of range 1..=10000\n");
}

#[test]
fn a_pack_file_replaces_the_pack_it_overrides() {
    let env = Env::empty();
    env.write("history.jsonl", &(seven_calls().join("\n") + "\n"));
    env.write(
        "lenient.toml",
        "id = \"us-federal\"\nname = \"Without the call cap\"\ncitation = \"Reg F\"\n\
         extends = \"us-federal\"\nremove = [\"us-federal.call-7-in-7\"]\n",
    );
    let mut args = CHECK.to_vec();
    args.extend_from_slice(&["--pack-file", "lenient.toml"]);
    let decision = run_in(env.dir(), &args).json();
    assert_eq!(decision["allowed"], true, "{decision}");
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::empty();
    let run = |args: &[&str]| run_in(env.dir(), args);
    let base = ["check", "contact", "--channel", "call", "--at", "2026-11-23T14:05:00Z"];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        run(&args)
    };
    // No pack, no zone, no debt.
    assert_eq!(with(&["--tz", "America/Chicago", "--debt", "D1"]).code, 2);
    assert_eq!(with(&["--pack", "us-federal", "--debt", "D1"]).code, 2);
    assert_eq!(with(&["--pack", "us-federal", "--tz", "America/Chicago"]).code, 2);
    let pack = with(&["--pack", "us-fed", "--tz", "America/Chicago", "--debt", "D1"]);
    assert_eq!(pack.code, 2);
    assert!(
        pack.stderr.contains("no built-in pack \"us-fed\" (built-in: core, "),
        "{}",
        pack.stderr
    );
    let zone = with(&["--pack", "us-federal", "--tz", "America/Chicgo", "--debt", "D1"]);
    assert_eq!(zone.code, 2);
    let flag =
        with(&["--pack", "us-federal", "--tz", "America/Chicago", "--debt", "D1", "--flag", "sad"]);
    assert_eq!(flag.code, 2);
    let channel = run(&[
        "check",
        "contact",
        "--pack",
        "us-federal",
        "--tz",
        "UTC",
        "--debt",
        "D1",
        "--channel",
        "fax",
        "--at",
        "2026-11-23T14:05:00Z",
    ]);
    assert_eq!(channel.code, 2);
    // `text` is the same as `sms`.
    let text = run(&[
        "check",
        "contact",
        "--pack",
        "us-federal",
        "--tz",
        "America/Chicago",
        "--debt",
        "D1",
        "--channel",
        "text",
        "--at",
        "2026-11-23T14:05:00Z",
        "--json",
    ]);
    assert_eq!(text.json()["allowed"], true);
    assert_eq!(std::fs::read_dir(env.dir()).expect("dir").count(), 0, "nothing created");
}

#[test]
fn a_stored_debtor() {
    let env = Env::sample();
    let ask = |args: &[&str]| {
        let mut all = vec!["check", "contact", "--json"];
        all.extend_from_slice(args);
        env.run(&all)
    };
    // C-1001 (D1) is a person in Texas, zone America/Chicago; the default policy's creditor
    // is first party, so the packs are baseline and core. 12:30 UTC is 06:30 in Chicago.
    let early =
        ask(&["--debtor", "C-1001", "--channel", "call", "--at", "2026-11-23T12:30:00Z"]).json();
    assert_eq!(early["rule"], "baseline.hours");
    assert_eq!(early["next_allowed_at"], "2026-11-23T14:00:00Z");
    let open = ask(&["--debtor", "D1", "--channel", "call", "--at", "2026-11-23T14:05:00Z"]);
    assert_eq!(open.json()["allowed"], true);
    // Debts are the debtor's accounts, by reference or id.
    let debts = ask(&[
        "--debtor",
        "D1",
        "--channel",
        "sms",
        "--at",
        "2026-11-23T14:05:00Z",
        "--debt",
        "LN-5001",
        "--debt",
        "A13",
    ]);
    assert_eq!(debts.json()["allowed"], true);
    let other = ask(&[
        "--debtor",
        "D1",
        "--channel",
        "sms",
        "--at",
        "2026-11-23T14:05:00Z",
        "--debt",
        "TC-8001",
    ]);
    assert_eq!(other.code, 1);
    assert_eq!(
        other.stderr,
        "error: --debt: \"TC-8001\" is not an account of debtor D1 (C-1001) (its accounts: A4 \
         (LN-5001), A13 (UT-9004))\n"
    );

    // Northwind (B-2001, D8) has a call pending after the cycle; once acknowledged as a
    // conversation at 16:05 UTC on Friday the 20th (10:05 in Chicago), Regulation F's
    // cool-down blocks calls through Thursday the 26th: next at 08:00 CST on the 27th.
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let actions = env.run(&["actions", "list", "--json"]).json();
    let id = actions
        .as_array()
        .expect("actions")
        .iter()
        .find(|action| action["debtor"] == 8 && action["channel"] == "phone")
        .map(|action| action["id"].as_u64().expect("id").to_string())
        .expect("a call to D8");
    let federal = ["--debtor", "B-2001", "--pack", "us-federal", "--channel", "call"];
    let at = |at: &'static str| {
        let mut args = federal.to_vec();
        args.extend_from_slice(&["--at", at]);
        ask(&args).json()
    };
    assert_eq!(at("2026-11-23T15:00:00Z")["allowed"], true, "a pending call is no conversation");
    env.run(&[
        "actions",
        "ack",
        &id,
        "--outcome",
        "right_party",
        "--at",
        "2026-11-20T16:05:00Z",
        "--key",
        "ACK-1",
    ])
    .ok();
    let cooled = at("2026-11-23T15:00:00Z");
    assert_eq!(cooled["rule"], "us-federal.call-after-conversation");
    assert_eq!(cooled["next_allowed_at"], "2026-11-27T14:00:00Z");
    // Without --pack, a first-party creditor in Illinois has baseline: no cool-down.
    let baseline =
        ask(&["--debtor", "B-2001", "--channel", "call", "--at", "2026-11-23T15:00:00Z"]);
    assert_eq!(baseline.json()["allowed"], true);

    // The debtor's flags and its cases' states are read.
    env.run(&[
        "flag",
        "--debtor",
        "C-1001",
        "--flag",
        "cease",
        "--on",
        "2026-11-20",
        "--key",
        "C1-CEASE",
    ])
    .ok();
    let ceased =
        ask(&["--debtor", "C-1001", "--channel", "email", "--at", "2026-11-23T15:00:00Z"]).json();
    assert_eq!(ceased["rule"], "core.cease");
    assert_eq!(ceased["next_allowed_at"], Value::Null);
    env.run(&["dispute", "open", "--account", "CC-7002", "--on", "2026-11-20", "--key", "CC2-DSP"])
        .ok();
    // C-1003 is in California: Regulation F applies to first-party creditors there.
    let disputed =
        ask(&["--debtor", "C-1003", "--channel", "email", "--at", "2026-11-23T18:00:00Z"]).json();
    assert_eq!(disputed["rule"], "us-federal.dispute");
    assert_eq!(disputed["also_blocked_by"], serde_json::json!(["core.dispute"]));

    // A history file adds to the stored history, naming the debtor's accounts.
    let env_history = env.write(
        "more.jsonl",
        r#"{"at":"2026-11-22T16:00:00Z","channel":"call","direction":"inbound","outcome":"conversation","debt":"UT-9001"}
"#,
    );
    let leilani = [
        "--debtor",
        "C-1005",
        "--pack",
        "us-federal",
        "--channel",
        "call",
        "--at",
        "2026-11-23T20:00:00Z",
    ];
    let mut with_file = leilani.to_vec();
    with_file.extend_from_slice(&["--history", crate::path(&env_history)]);
    assert_eq!(ask(&with_file).json()["rule"], "us-federal.call-after-conversation");
    let bad = env.write(
        "bad.jsonl",
        r#"{"at":"2026-11-22T16:00:00Z","channel":"call","direction":"inbound","outcome":"conversation","debt":"LN-5001"}
"#,
    );
    let mut with_bad = leilani.to_vec();
    with_bad.extend_from_slice(&["--history", crate::path(&bad)]);
    let bad_run = ask(&with_bad);
    assert_eq!(bad_run.code, 1);
    assert!(
        bad_run.stderr.contains("bad.jsonl:1: debt: \"LN-5001\" is not an account of debtor D5"),
        "{}",
        bad_run.stderr
    );
}

/// Ley 2300 de 2023, art. 2 (Colombia's pack, V2; New York City's electronic consent alike):
/// the consent checked is the one given on the proposal's channel at the address. A debtor
/// who consented to texts at a number, but not to calls to it, is not called there, whichever
/// contact point is listed first.
#[test]
fn a_stored_debtors_consent_is_the_one_on_the_channel_checked() {
    let env = Env::sample();
    let number = "+15125550177";
    for (channel, consent, key) in [("sms", "true", "K-SMS"), ("phone", "false", "K-PHONE")] {
        env.run(&[
            "contact",
            "set",
            "--debtor",
            "C-1001",
            "--channel",
            channel,
            "--address",
            number,
            "--consent",
            consent,
            "--key",
            key,
        ])
        .ok();
    }
    let ask = |channel: &str| {
        env.run(&[
            "check",
            "contact",
            "--json",
            "--debtor",
            "C-1001",
            "--pack",
            "co",
            "--channel",
            channel,
            "--address",
            number,
            // Monday 23 Nov 2026, 09:05 in Chicago (the debtor's zone).
            "--at",
            "2026-11-23T15:05:00Z",
        ])
        .json()
    };
    let call = ask("call");
    assert_eq!(call["allowed"], false, "{call}");
    assert_eq!(call["rule"], "co.authorized-channels", "{call}");
    let text = ask("sms");
    assert_eq!(text["allowed"], true, "{text}");
}
