//! `arrears contact set | remove` and flags: a change to a debtor's addresses takes effect at
//! once, cancelling the pending outbox actions it makes unusable (issue 14 point 3).

use crate::{has_line, Env};

fn pending(env: &Env) -> Vec<(String, String, String)> {
    let list = env.run(&["actions", "list", "--json"]).json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|action| {
            (
                action["id"].to_string(),
                action["debtor"].to_string(),
                action["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn an_opt_out_recorded_today_cancels_the_pending_actions_to_that_address() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let before = pending(&env);
    let sms = before
        .iter()
        .find(|(_, _, address)| address == "+1-512-555-0143")
        .expect("a pending SMS to C-1001")
        .clone();
    // Opting out of the SMS number cancels the action to it, and only it.
    let set = [
        "contact",
        "set",
        "--debtor",
        "C-1001",
        "--channel",
        "sms",
        "--address",
        "+1-512-555-0143",
        "--consent",
        "true",
        "--opted-out",
        "true",
        "--key",
        "optout-1",
    ];
    let run = env.run(&set);
    let text = run.ok();
    assert!(has_line(text, "debtor D1: sms +1-512-555-0143 set"), "{text}");
    assert!(has_line(text, &format!("cancelled pending actions: {}", sms.0)), "{text}");
    let after = pending(&env);
    assert_eq!(after.len(), before.len() - 1);
    assert!(!after.contains(&sms));
    let all = env.run(&["actions", "list", "--all"]);
    assert!(all.ok().contains("cancelled (opted_out)"), "{}", all.stdout);
    // The same key replays; the debtor's point shows the opt-out.
    let again = env.run(&set);
    assert!(again.ok().contains("(replayed: already recorded)"), "{}", again.stdout);
    let shown = env.run(&["show", "debtor", "C-1001"]);
    assert!(has_line(shown.ok(), "sms +1-512-555-0143 personal yes yes"), "{}", shown.stdout);
    // A cease request cancels every pending action of its debtor.
    let phone = after.iter().find(|(_, _, address)| address == "+1-808-555-0131").unwrap().clone();
    env.run(&[
        "flag",
        "--debtor",
        "D5",
        "--flag",
        "cease",
        "--on",
        "2026-11-20",
        "--key",
        "cease-1",
    ])
    .ok();
    assert!(!pending(&env).contains(&phone));
    // Removing an address cancels what was pending to it; an unknown address is an error.
    let email = after.iter().find(|(_, _, a)| a == "sarah.l@example.com").unwrap().clone();
    let removed = env.run(&[
        "contact",
        "remove",
        "--debtor",
        "D7",
        "--channel",
        "email",
        "--address",
        "sarah.l@example.com",
        "--key",
        "remove-1",
        "--json",
    ]);
    let json = removed.json();
    assert_eq!(json["outcome"]["debtor_updated"]["cancelled"][0].to_string(), email.0);
    assert!(!pending(&env).contains(&email));
    let unknown = env.run(&[
        "contact",
        "remove",
        "--debtor",
        "D7",
        "--channel",
        "email",
        "--address",
        "nobody@example.com",
        "--key",
        "remove-2",
    ]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("has no email contact point \"nobody@example.com\""),
        "{}",
        unknown.stderr
    );
    // Each cancelled action says why.
    let all = env.run(&["actions", "list", "--all", "--json"]).json();
    let reason = |id: &str| {
        let action =
            all.as_array().unwrap().iter().find(|a| a["id"].to_string().as_str() == id).unwrap();
        action["status"]["cancelled"]["reason"].as_str().unwrap().to_owned()
    };
    assert_eq!(reason(&sms.0), "opted_out");
    assert_eq!(reason(&phone.0), "cease_communication");
    assert_eq!(reason(&email.0), "address_removed");
    env.run(&["verify"]).ok();
    // A new point with consent is usable by the next cycle.
    let added = env.run(&[
        "contact",
        "set",
        "--debtor",
        "D7",
        "--channel",
        "email",
        "--address",
        "sarah.new@example.com",
        "--consent",
        "true",
        "--key",
        "add-1",
    ]);
    assert!(has_line(added.ok(), "no pending action cancelled"), "{}", added.stdout);
}

#[test]
fn debtor_update_and_inbound_contacts() {
    let env = Env::sample();
    let run = env.run(&[
        "debtor",
        "update",
        "--debtor",
        "C-1001",
        "--name",
        "Maria Gonzalez Ruiz",
        "--time-zones",
        "America/Chicago,America/Denver",
        "--language",
        "es-US",
        "--key",
        "upd-1",
    ]);
    assert!(has_line(run.ok(), "debtor D1 (C-1001) updated"), "{}", run.stdout);
    let shown = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    assert_eq!(shown["debtor"]["name"], "Maria Gonzalez Ruiz");
    assert_eq!(shown["debtor"]["language"], "es-US");
    assert_eq!(
        shown["debtor"]["time_zones"],
        serde_json::json!(["America/Chicago", "America/Denver"])
    );
    // Checked as at creation; nothing is written on a refusal.
    let bad =
        env.run(&["debtor", "update", "--debtor", "C-1001", "--country", "ZZ", "--key", "upd-2"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("ZZ"), "{}", bad.stderr);
    let bad = env.run(&[
        "debtor",
        "update",
        "--debtor",
        "C-1001",
        "--time-zones",
        "Mars/Base",
        "--key",
        "upd-3",
    ]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not a known IANA time zone"), "{}", bad.stderr);
    let nothing = env.run(&["debtor", "update", "--debtor", "C-1001", "--key", "upd-4"]);
    assert!(nothing.stderr.contains("nothing to change"), "{}", nothing.stderr);
    assert_eq!(
        env.run(&["show", "debtor", "C-1001", "--json"]).json()["debtor"]["name"],
        "Maria Gonzalez Ruiz"
    );
    // An inbound call enters the contact history.
    let inbound = [
        "contact",
        "inbound",
        "--debtor",
        "C-1001",
        "--account",
        "LN-5001",
        "--channel",
        "phone",
        "--address",
        "+1-512-555-0143",
        "--at",
        "2026-11-19T15:00:00Z",
        "--outcome",
        "promise_captured",
        "--key",
        "in-1",
    ];
    env.run(&inbound).ok();
    let shown = env.run(&["show", "debtor", "C-1001"]);
    assert!(
        has_line(
            shown.ok(),
            "2026-11-19T15:00:00+00:00 inbound phone +1-512-555-0143 promise_captured"
        ),
        "{}",
        shown.stdout
    );
    // An account of another debtor, or a date past the horizon, is refused.
    let other = env.run(&[
        "contact",
        "inbound",
        "--debtor",
        "C-1001",
        "--account",
        "TC-8001",
        "--channel",
        "phone",
        "--address",
        "+1-512-555-0143",
        "--at",
        "2026-11-19T15:00:00Z",
        "--outcome",
        "right_party",
        "--key",
        "in-2",
    ]);
    assert_eq!(other.code, 1);
    assert!(other.stderr.contains("is not an account of debtor D1"), "{}", other.stderr);
    let future = env.run(&[
        "contact",
        "inbound",
        "--debtor",
        "C-1001",
        "--account",
        "LN-5001",
        "--channel",
        "phone",
        "--address",
        "+1-512-555-0143",
        "--at",
        "2027-11-19T15:00:00Z",
        "--outcome",
        "right_party",
        "--key",
        "in-3",
    ]);
    assert_eq!(future.code, 1, "{}", future.stdout);
    env.run(&["verify"]).ok();
}

#[test]
fn a_callback_the_debtor_asked_for_is_queued_like_the_cycles_actions() {
    let env = Env::sample();
    let callback = |key: &str, address: &str, at: &str| {
        env.run(&[
            "contact",
            "callback",
            "--debtor",
            "C-1001",
            "--account",
            "LN-5001",
            "--channel",
            "sms",
            "--address",
            address,
            "--at",
            at,
            "--key",
            key,
        ])
    };
    let run = callback("cb-1", "+1-512-555-0143", "2026-11-21T15:00:00Z");
    assert!(run.ok().starts_with("callback scheduled: action "), "{}", run.stdout);
    let due = env.run(&["actions", "list", "--due", "--json"]).json();
    let item = due
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["action"]["template"] == "callback")
        .expect("the callback in the queue");
    assert_eq!(item["action"]["scheduled_at"], "2026-11-21T15:00:00Z");
    assert!(item["action"]["seq"].as_u64().unwrap() >= 1);
    // A second one to the same address that day, an address the debtor may not be reached
    // at, or a debtor who asked that communication cease: refused, nothing written.
    let again = callback("cb-2", "+1-512-555-0143", "2026-11-21T18:00:00Z");
    assert!(again.stderr.contains("already scheduled on 2026-11-21"), "{}", again.stderr);
    let unknown = callback("cb-3", "+1-000-000-0000", "2026-11-21T15:00:00Z");
    assert!(unknown.stderr.contains("is not a sms address of debtor D1"), "{}", unknown.stderr);
    env.run(&[
        "flag",
        "--debtor",
        "C-1001",
        "--flag",
        "cease",
        "--on",
        "2026-11-20",
        "--key",
        "cease-cb",
    ])
    .ok();
    let ceased = callback("cb-4", "+1-512-555-0143", "2026-11-22T15:00:00Z");
    assert!(ceased.stderr.contains("asked that communication cease"), "{}", ceased.stderr);
    // The cease cancelled the callback scheduled before it.
    let all = env.run(&["actions", "list", "--all", "--json"]).json();
    let callback = all.as_array().unwrap().iter().find(|a| a["template"] == "callback").unwrap();
    assert_eq!(callback["status"]["cancelled"]["reason"], "cease_communication");
    env.run(&["verify"]).ok();
}

/// Contact restrictions reach the guardrails: with contact at work prohibited, the
/// workplace rule blocks a work address, and pending actions to it are cancelled.
#[test]
fn contact_restrictions_reach_the_guardrails() {
    let env = Env::sample();
    env.run(&[
        "contact",
        "set",
        "--debtor",
        "C-1001",
        "--channel",
        "email",
        "--address",
        "maria@work.example",
        "--kind",
        "work",
        "--key",
        "work-1",
    ])
    .ok();
    let check = [
        "check",
        "contact",
        "--debtor",
        "C-1001",
        "--pack",
        "us-federal",
        "--channel",
        "email",
        "--address",
        "maria@work.example",
        "--at",
        "2026-11-20T16:00:00Z",
    ];
    assert!(env.run(&check).ok().starts_with("allowed"));
    let callback = env.run(&[
        "contact",
        "callback",
        "--debtor",
        "C-1001",
        "--account",
        "LN-5001",
        "--channel",
        "email",
        "--address",
        "maria@work.example",
        "--at",
        "2026-11-21T15:00:00Z",
        "--key",
        "cb-work",
    ]);
    callback.ok();
    let run = env.run(&[
        "debtor",
        "restrict",
        "--debtor",
        "C-1001",
        "--work-contact-prohibited",
        "true",
        "--call-consent-at",
        "2026-11-20T10:00:00Z",
        "--key",
        "restrict-1",
    ]);
    let text = run.ok();
    assert!(text.contains("restrictions set"), "{text}");
    assert!(text.contains("cancelled pending actions: "), "the callback to work: {text}");
    let blocked = env.run(&check);
    assert!(blocked.ok().starts_with("blocked by us-federal.workplace"), "{}", blocked.stdout);
    let shown = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    assert_eq!(shown["debtor"]["restrictions"]["work_contact_prohibited"], true);
    assert_eq!(shown["debtor"]["restrictions"]["call_consent_given_at"], "2026-11-20T10:00:00Z");
    // The flags not given stay; `none` clears the consent.
    env.run(&[
        "debtor",
        "restrict",
        "--debtor",
        "C-1001",
        "--call-consent-at",
        "none",
        "--key",
        "restrict-2",
    ])
    .ok();
    let shown = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    assert_eq!(shown["debtor"]["restrictions"]["work_contact_prohibited"], true);
    assert_eq!(shown["debtor"]["restrictions"]["call_consent_given_at"], serde_json::Value::Null);
    env.run(&["verify"]).ok();
}

#[test]
fn notes_are_appended_and_shown() {
    let env = Env::sample();
    env.run(&[
        "debtor",
        "note",
        "--debtor",
        "C-1001",
        "--account",
        "LN-5001",
        "--author",
        "agent-7",
        "--text",
        "Asked to be called after payday",
        "--key",
        "note-1",
    ])
    .ok();
    env.run(&[
        "debtor",
        "note",
        "--debtor",
        "C-1001",
        "--author",
        "agent-9",
        "--text",
        "Prefers e-mail",
        "--at",
        "2026-11-20T13:00:00Z",
        "--key",
        "note-2",
    ])
    .ok();
    let shown = env.run(&["show", "debtor", "C-1001"]);
    let text = shown.ok();
    assert!(
        has_line(text, "2026-11-20T12:00:00+00:00 agent-7 A4 Asked to be called after payday"),
        "{text}"
    );
    assert!(has_line(text, "2026-11-20T13:00:00+00:00 agent-9 Prefers e-mail"), "{text}");
    let json = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    assert_eq!(json["notes"].as_array().unwrap().len(), 2);
    let empty = env.run(&[
        "debtor", "note", "--debtor", "C-1001", "--author", "a", "--text", " ", "--key", "note-3",
    ]);
    assert_eq!(empty.code, 1);
    assert!(empty.stderr.contains("must be 1 to 4096 bytes"), "{}", empty.stderr);
    let other = env.run(&[
        "debtor",
        "note",
        "--debtor",
        "C-1001",
        "--account",
        "TC-8001",
        "--author",
        "a",
        "--text",
        "x",
        "--key",
        "note-4",
    ]);
    assert!(other.stderr.contains("is not an account of debtor D1"), "{}", other.stderr);
    env.run(&["verify"]).ok();
}

/// A statute-of-limitations date per account: the cycle's review from that day marks the case
/// time-barred (a sticky flag the guardrails read); before it, nothing.
#[test]
fn the_cycle_marks_an_account_time_barred_from_its_limitation_date() {
    let env = Env::sample();
    let run =
        env.run(&["limitation", "--account", "LN-5001", "--on", "2026-11-15", "--key", "sol-1"]);
    assert!(run.ok().contains("time-barred from 2026-11-15"), "{}", run.stdout);
    env.run(&["limitation", "--account", "UT-9004", "--on", "2027-06-01", "--key", "sol-2"]).ok();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let barred = |account: &str| {
        let shown = env.run(&["show", "account", account, "--json"]).json();
        shown["case"]["flags"]["time_barred"].as_bool().unwrap()
    };
    assert!(barred("LN-5001"));
    assert!(!barred("UT-9004"), "its date has not come");
    let bad =
        env.run(&["limitation", "--account", "LN-5001", "--on", "1999-01-01", "--key", "sol-3"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("before the account opened"), "{}", bad.stderr);
    env.run(&["verify"]).ok();
}

/// A channel opted out of: its pending actions are cancelled and the guardrails block it.
#[test]
fn a_channel_opted_out_of_is_never_used() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let sms: Vec<String> = pending(&env)
        .into_iter()
        .filter(|(_, debtor, _)| debtor == "1")
        .map(|(id, _, _)| id)
        .collect();
    assert!(!sms.is_empty(), "C-1001 has a pending SMS");
    let run = env.run(&[
        "debtor",
        "restrict",
        "--debtor",
        "C-1001",
        "--opted-out-channels",
        "sms",
        "--key",
        "ch-1",
    ]);
    assert!(run.ok().contains(&format!("cancelled pending actions: {}", sms[0])), "{}", run.stdout);
    let check = env.run(&[
        "check",
        "contact",
        "--debtor",
        "C-1001",
        "--channel",
        "sms",
        "--address",
        "+1-512-555-0143",
        "--at",
        "2026-11-20T16:00:00Z",
    ]);
    assert!(check.ok().starts_with("blocked"), "{}", check.stdout);
    let bad = env.run(&[
        "debtor",
        "restrict",
        "--debtor",
        "C-1001",
        "--opted-out-channels",
        "fax",
        "--key",
        "ch-2",
    ]);
    assert!(bad.stderr.contains("\"fax\" is not one of phone, sms"), "{}", bad.stderr);
    env.run(&[
        "debtor",
        "restrict",
        "--debtor",
        "C-1001",
        "--opted-out-channels",
        "none",
        "--key",
        "ch-3",
    ])
    .ok();
    let shown = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    assert_eq!(shown["debtor"]["restrictions"]["opted_out_channels"], serde_json::json!([]));
}

/// Consent evidence: when and how a consent was given or withdrawn is kept per address.
#[test]
fn consent_evidence_is_kept_per_address() {
    let env = Env::sample();
    env.run(&[
        "contact",
        "set",
        "--debtor",
        "C-1001",
        "--channel",
        "sms",
        "--address",
        "+1-512-555-0143",
        "--consent",
        "false",
        "--consent-at",
        "2026-11-19T10:00:00Z",
        "--consent-source",
        "recorded call",
        "--key",
        "consent-1",
    ])
    .ok();
    let shown = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    let consents = &shown["debtor"]["restrictions"]["consents"];
    assert_eq!(consents.as_array().unwrap().len(), 1);
    assert_eq!(consents[0]["consent"], false);
    assert_eq!(consents[0]["source"], "recorded call");
    let text = env.run(&["show", "debtor", "C-1001"]);
    assert!(
        has_line(
            text.ok(),
            "sms +1-512-555-0143 withdrawn 2026-11-19T10:00:00+00:00 recorded call"
        ),
        "{}",
        text.stdout
    );
    let half = env.run(&[
        "contact",
        "set",
        "--debtor",
        "C-1001",
        "--channel",
        "sms",
        "--address",
        "+1-512-555-0143",
        "--consent-at",
        "2026-11-19T10:00:00Z",
        "--key",
        "consent-2",
    ]);
    assert_eq!(half.code, 2, "--consent-at needs --consent-source");
}

/// An attorney with contact details: the flag is set on every account, the debtor's pending
/// actions are cancelled, the details are kept and shown, new details replace them, and bad
/// details are refused naming the field, writing nothing.
#[test]
fn an_attorney_is_recorded_with_contact_details() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let ours = |env: &Env| pending(env).into_iter().filter(|(_, debtor, _)| debtor == "1").count();
    assert!(ours(&env) > 0, "the cycle queued actions for C-1001");
    let attorney = |key: &str, extra: &[&str]| {
        let mut args = vec![
            "debtor",
            "attorney",
            "--debtor",
            "C-1001",
            "--name",
            "Jane Roe",
            "--since",
            "2026-11-20",
            "--key",
            key,
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    // Bad details: refused, naming the field; nothing written.
    let before = env.snapshot();
    let no_way = attorney("atty-0", &[]);
    assert_eq!(no_way.code, 1, "{}", no_way.stdout);
    assert!(no_way.stderr.contains("attorney: give at least one way"), "{}", no_way.stderr);
    let bad_email = attorney("atty-0", &["--email", "roe.example.com"]);
    assert!(bad_email.stderr.contains("--email"), "{}", bad_email.stderr);
    assert!(bad_email.stderr.contains("contains @"), "{}", bad_email.stderr);
    assert_eq!(env.snapshot(), before);
    assert!(ours(&env) > 0);
    // Recorded: the flag on the debtor and its cases, the pending actions cancelled.
    let run = attorney("atty-1", &["--firm", "Roe LLP", "--phone", "+1-512-555-0100"]);
    let text = run.ok();
    assert!(
        has_line(text, "debtor D1 (C-1001): represented by Jane Roe since 2026-11-20"),
        "{text}"
    );
    assert_eq!(ours(&env), 0, "every pending action of the debtor is cancelled");
    assert!(env
        .run(&["actions", "list", "--all"])
        .ok()
        .contains("cancelled (attorney_represented)"));
    let shown = env.run(&["show", "debtor", "C-1001"]);
    assert!(
        has_line(shown.ok(), "attorney: Jane Roe since 2026-11-20 (Roe LLP; +1-512-555-0100)"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("attorney_represented"), "{}", shown.stdout);
    // The same key replays; new details under a new key replace the old ones.
    attorney("atty-1", &["--firm", "Roe LLP", "--phone", "+1-512-555-0100"]).ok();
    let again = attorney("atty-2", &["--email", "jroe@roe.example"]);
    assert!(again.ok().contains("already set: details replaced"), "{}", again.stdout);
    let json = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    assert_eq!(json["debtor"]["attorney"]["email"], "jroe@roe.example");
    assert_eq!(json["debtor"]["attorney"]["phone"], serde_json::Value::Null);
    assert_eq!(json["debtor"]["flags"]["attorney_represented"], true);
    env.run(&["verify"]).ok();
}

/// `import changes`: debtor upkeep from a file, one change per row, composing in file order
/// (two restrict rows do not undo each other), replaying under the keys, and a bad file
/// reporting every bad row by line and column while writing nothing.
#[test]
fn debtor_changes_are_imported_from_a_file() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let header = "key,debtor,change,channel,address,address_kind,consent,opted_out,consent_at,\
                  consent_source,name,language,time_zones,work_contact_prohibited,\
                  litigation_served,call_consent_at,opted_out_channels,flag,on,firm,phone,\
                  account,at,author,text,outcome";
    let rows = [
        "CH-1,C-1001,contact_set,email,maria@work.example,work,true,,2026-11-19T10:00:00Z,web form,,,,,,,,,,,,,,,,",
        "CH-2,C-1001,restrict,,,,,,,,,,,true,,,,,,,,,,,,",
        "CH-3,C-1001,restrict,,,,,,,,,,,,true,2026-11-19T11:00:00Z,sms|email,,,,,,,,,",
        "CH-4,C-1001,update,,,,,,,,Maria G. Gonzalez,es-US,America/Chicago|America/Denver,,,,,,,,,,,,,",
        "CH-5,C-1001,note,,,,,,,,,,,,,,,,,,,LN-5001,2026-11-19T12:00:00Z,agent-7,Asked for a callback,",
        "CH-6,C-1001,limitation,,,,,,,,,,,,,,,,2031-11-19,,,LN-5001,,,,",
        "CH-7,C-1001,inbound,phone,+1-512-555-0142,,,,,,,,,,,,,,,,,LN-5001|UT-9004,2026-11-19T13:00:00Z,,,right_party",
        "CH-8,C-1001,attorney,,,,,,,,Jane Roe,,,,,,,,2026-11-19,Roe LLP,+1-512-555-0100,,,,,",
        "CH-9,C-1002,flag,,,,,,,,,,,,,,,cease,2026-11-19,,,,,,,",
    ];
    let file = env.write("changes.csv", &format!("{header}\n{}\n", rows.join("\n")));
    let run = env.run(&["import", "changes", crate::path(&file)]);
    assert!(run.ok().starts_with("imported 9 changes from"), "{}", run.stdout);
    assert!(run.stdout.contains("9 created, 0 replayed"), "{}", run.stdout);
    let shown = env.run(&["show", "debtor", "C-1001", "--json"]).json();
    let debtor = &shown["debtor"];
    assert_eq!(debtor["name"], "Maria G. Gonzalez");
    assert_eq!(debtor["language"], "es-US");
    assert_eq!(debtor["restrictions"]["work_contact_prohibited"], true, "CH-3 kept CH-2's change");
    assert_eq!(debtor["restrictions"]["litigation_served"], true);
    assert_eq!(debtor["restrictions"]["opted_out_channels"], serde_json::json!(["sms", "email"]));
    assert_eq!(debtor["attorney"]["firm"], "Roe LLP");
    assert_eq!(debtor["flags"]["attorney_represented"], true);
    let text = env.run(&["show", "debtor", "C-1001"]);
    assert!(text.ok().contains("Asked for a callback"), "{}", text.stdout);
    let ceased = env.run(&["show", "debtor", "C-1002", "--json"]).json();
    assert_eq!(ceased["debtor"]["flags"]["cease_communication"], true);
    // Again: every row replays under its key.
    let again = env.run(&["import", "changes", crate::path(&file)]);
    assert!(again.ok().contains("0 created, 9 replayed"), "{}", again.stdout);
    // JSON Lines: arrays join with |.
    let jsonl = env.write(
        "changes.jsonl",
        "{\"key\":\"J-1\",\"debtor\":\"C-1003\",\"change\":\"restrict\",\"opted_out_channels\":[\"sms\",\"phone\"]}\n",
    );
    env.run(&["import", "changes", crate::path(&jsonl)]).ok();
    let json = env.run(&["show", "debtor", "C-1003", "--json"]).json();
    assert_eq!(
        json["debtor"]["restrictions"]["opted_out_channels"],
        serde_json::json!(["sms", "phone"])
    );
    // A bad file: every bad row reported by line and column; nothing written.
    let before = env.snapshot();
    let bad = env.write(
        "bad.csv",
        "key,debtor,change,channel,address,flag,on,account,at,author,text,name,email,outcome\n\
         B-1,C-9999,flag,,,cease,2026-11-19,,,,,,,\n\
         B-2,C-1001,flag,,,ceased,2026-11-19,,,,,,,\n\
         B-3,C-1001,contact_set,fax,x,,,,,,,,,\n\
         B-4,C-1001,frobnicate,,,,,,,,,,,\n\
         B-5,C-1001,note,,,,,CC-7001,2026-11-19T12:00:00Z,a,b,,,\n\
         B-6,C-1001,attorney,,,,2026-11-19,,,,,Jane,nope,\n\
         B-7,C-1001,inbound,phone,+1,,,LN-5001,2026-11-19T13:00:00Z,,,,,shouted\n\
         B-7,C-1001,update,,,,,,,,,,,\n\
         B-8,C-1001,flag,phone,,cease,2026-11-19,,,,,,,\n\
         B-9,C-1004,note,,,,,,2026-11-19T12:00:00Z,a,b,,,\n",
    );
    let run = env.run(&["import", "changes", crate::path(&bad)]);
    assert_eq!(run.code, 1);
    for line in [
        "bad.csv: 10 errors; nothing was imported",
        "bad.csv:2: debtor: no debtor with external id or id \"C-9999\" in the store",
        "bad.csv:3: flag: \"ceased\" is not one of cease, attorney",
        "bad.csv:4: channel: \"fax\" is not one of phone, sms, email, postal, messaging",
        "bad.csv:5: change: \"frobnicate\" is not one of contact_set",
        "bad.csv:6: account: account \"CC-7001\" is not an account of debtor D1",
        "bad.csv:7: email: an e-mail address contains @",
        "bad.csv:8: outcome: unknown outcome \"shouted\"",
        "bad.csv:9: key: \"B-7\" appears twice in the file (first on line 8)",
        "bad.csv:9: nothing to change: give name, country, language or time_zones",
        "bad.csv:10: channel: not used by change flag; leave it empty",
    ] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }
    assert_eq!(env.snapshot(), before);
    // A date beyond the horizon stops the import at its row, naming the column.
    let future =
        env.write("future.csv", "key,debtor,change,flag,on\nF-1,C-1001,flag,deceased,2099-01-01\n");
    let run = env.run(&["import", "changes", crate::path(&future)]);
    assert!(run.stderr.contains("future.csv:2: on: on 2099-01-01 is"), "{}", run.stderr);
    assert_eq!(env.snapshot(), before);
}

/// The example file of docs/CLI.md's section on changes imports as written.
#[test]
fn the_docs_changes_example_imports() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CLI.md"),
    )
    .unwrap();
    let section = &doc[doc.find("### changes").expect("the section")..];
    let start = section.find("```csv\n").expect("an example") + "```csv\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let env = Env::sample();
    let file = env.write("changes.csv", example);
    let run = env.run(&["import", "changes", crate::path(&file)]);
    assert!(run.ok().contains("3 created, 0 replayed"), "{}", run.stdout);
    let json = env.run(&["show", "debtor", "C-1002", "--json"]).json();
    assert_eq!(json["debtor"]["flags"]["cease_communication"], true);
}

/// Issue 18 point 3 (in part): signals reported from outside the books about a business
/// debtor (a bureau's management resignation and late filing) make the shipped
/// `business_distress` stage fire at the next cycle; they are kept on the debtor with their
/// source, shown, imported from a changes file, and expire; a person, a signal the books derive
/// and an expiry before the observation are refused, writing nothing.
#[test]
fn reported_signals_make_the_business_distress_stage_fire() {
    let env = Env::sample();
    let stage = |env: &Env| {
        let shown = env.run(&["show", "account", "TC-8001", "--json"]).json();
        shown["case"]["stage"].as_str().unwrap_or("").to_owned()
    };
    let signal = |key: &str, extra: &[&str]| {
        let mut args = vec!["debtor", "signal", "--debtor", "B-2001", "--source", "bureau:acme"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--key", key]);
        env.run(&args)
    };
    let before = env.snapshot();
    let person = env.run(&[
        "debtor",
        "signal",
        "--debtor",
        "C-1001",
        "--signal",
        "late_filing",
        "--on",
        "2026-11-12",
        "--source",
        "x",
        "--key",
        "s0",
    ]);
    assert!(
        person.stderr.contains("--debtor") && person.stderr.contains("is a person"),
        "{}",
        person.stderr
    );
    let derived = signal("s0", &["--signal", "broken_promise", "--on", "2026-11-12"]);
    assert!(derived.stderr.contains("derived from the books, not reported"), "{}", derived.stderr);
    let backwards =
        signal("s0", &["--signal", "late_filing", "--on", "2026-11-12", "--expires", "2026-11-01"]);
    assert!(backwards.stderr.contains("--expires"), "{}", backwards.stderr);
    assert_eq!(env.snapshot(), before);

    signal(
        "s1",
        &["--signal", "management_resignation", "--on", "2026-11-10", "--evidence", "CFO resigned"],
    )
    .ok();
    let changes = env.write(
        "signals.csv",
        "key,debtor,change,signal,on,expires_on,source,evidence\n\
         s2,B-2001,signal,late_filing,2026-11-12,2026-12-01,bureau:acme,FY2025 accounts overdue\n",
    );
    env.run(&["import", "changes", crate::path(&changes)]).ok();
    let shown = env.run(&["show", "debtor", "B-2001"]);
    assert!(
        has_line(shown.ok(), "signal: late_filing from 2026-11-12 until 2026-12-01 (bureau:acme: FY2025 accounts overdue)"),
        "{}",
        shown.stdout
    );
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    assert_eq!(stage(&env), "business_distress");
    let listed = env.run(&["list", "accounts", "--signal", "late_filing", "--as-of", "2026-11-20"]);
    assert!(listed.ok().contains("TC-8001"), "{}", listed.stdout);
    // Past its expiry the late filing no longer counts: the stage needs both signals.
    let later = env.run(&["list", "accounts", "--signal", "late_filing", "--as-of", "2026-12-02"]);
    assert!(!later.ok().contains("TC-8001"), "{}", later.stdout);
    env.run(&["verify"]).ok();
}
