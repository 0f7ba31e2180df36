//! `arrears team`, `agent`, `queue` and `report productivity` (issue 14 point 6): the policy's
//! assignment rules give each team its accounts by stage and language, a queue is ordered by
//! priority, an agent claims the best item with a lease that no other agent can take until it
//! ends, and each outcome code feeds the state machine, the signals and the productivity
//! report. Method: the sample portfolio after one cycle, a policy with two assignment rules,
//! real runs of the binary (a later `--recorded-at` to let a lease end).

use std::process::Command;

use crate::{example, has_line, path, Env, Run};

/// The standard policy with two rules: Spanish speakers in mid and late to `spanish` (by days
/// past due), everyone else in mid and late to `collections` (half the balance expected).
const RULES: &str = "
[[assignment]]
team = \"spanish\"
stages = [\"mid\", \"late\"]
languages = [\"es\"]
priority = \"days_past_due\"

[[assignment]]
team = \"collections\"
stages = [\"mid\", \"late\"]
recovery_rate = \"0.5\"
";

/// The sample after the 2026-11-20 cycle, with the two teams, the policy, and three agents:
/// `rosa` (both teams, Spanish only), `sam` and `kim` (collections).
fn floor() -> Env {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    env.run(&["team", "add", "--name", "spanish", "--languages", "es", "--key", "t1"]).ok();
    env.run(&["team", "add", "--name", "collections", "--key", "t2"]).ok();
    let standard = std::fs::read_to_string(example("policies/standard.toml")).unwrap();
    let policy = env.write("work.toml", &(standard + RULES));
    env.run(&["policy", "set", path(&policy), "--key", "p1"]).ok();
    let agents: [&[&str]; 3] = [
        &[
            "--id",
            "rosa",
            "--name",
            "Rosa Diaz",
            "--teams",
            "spanish,collections",
            "--languages",
            "es",
        ],
        &["--id", "sam", "--name", "Sam Lee", "--teams", "collections"],
        &["--id", "kim", "--name", "Kim Park", "--teams", "collections"],
    ];
    for (index, agent) in agents.iter().enumerate() {
        let key = format!("agent-{index}");
        let mut args = vec!["agent", "add"];
        args.extend_from_slice(agent);
        args.extend_from_slice(&["--key", &key]);
        env.run(&args).ok();
    }
    env
}

/// Runs the binary at another recording instant.
fn run_at(env: &Env, at: &str, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("--db")
        .arg(env.db())
        .arg("--recorded-at")
        .arg(at)
        .args(args)
        .output()
        .expect("run arrears");
    Run::from(output)
}

/// The items `queue next` gives `agent` (its account id), or `None`.
fn next(env: &Env, agent: &str) -> Option<String> {
    let card = env.run(&["queue", "next", "--agent", agent, "--json"]).json();
    card["item"]["account"].as_u64().map(|id| format!("A{id}"))
}

/// (item, team, priority, next action, holder) of each queue entry, in order.
fn queue(env: &Env) -> Vec<(String, String, i64, String, String)> {
    let list = env.run(&["queue", "list", "--json"]).json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                format!("A{}", entry["account"]),
                entry["team"].as_str().unwrap().to_owned(),
                entry["priority"].as_i64().unwrap(),
                entry["next_action_on"].as_str().unwrap_or("").to_owned(),
                entry["claim"]["agent"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn done(env: &Env, agent: &str, item: &str, outcome: &str, extra: &[&str], key: &str) -> Run {
    let mut args = vec!["queue", "done", "--agent", agent, "--item", item, "--outcome", outcome];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--key", key]);
    env.run(&args)
}

#[test]
fn assignment_by_stage_and_language_in_priority_order() {
    let env = floor();
    let items: Vec<(String, String, i64)> = queue(&env)
        .into_iter()
        .map(|(item, team, priority, _, _)| (item, team, priority))
        .collect();
    let expected = [
        // Collections: half the outstanding balance in cents, highest first.
        ("A1", "collections", 486_012),
        ("A5", "collections", 94_171),
        ("A4", "collections", 78_529),
        ("A8", "collections", 12_000),
        ("A10", "collections", 10_745),
        ("A11", "collections", 10_097),
        // Spanish speakers in mid or late (CO-1101, MX-1201), by days past due.
        ("A14", "spanish", 41),
        ("A15", "spanish", 36),
    ];
    let expected: Vec<(String, String, i64)> = expected
        .iter()
        .map(|(item, team, priority)| (item.to_string(), team.to_string(), *priority))
        .collect();
    assert_eq!(items, expected);
    let only = env.run(&["queue", "list", "--team", "spanish"]);
    assert!(has_line(only.ok(), "A15 spanish mid 36 3000.00 36"), "{}", only.stdout);
    // Rosa speaks Spanish only: she gets the Spanish items, best first, never a collections
    // item of an English speaker.
    assert_eq!(next(&env, "rosa").as_deref(), Some("A14"));
    let card = env.run(&["queue", "next", "--agent", "rosa"]);
    let text = card.ok();
    // The same item again (she holds it), with its card: debtor, balances, due dates, payments.
    assert!(text.starts_with("item A14 (CO-1101)  team spanish  stage mid"), "{text}");
    assert!(text.contains("debtor D11 (C-3001)  Camila Restrepo"), "{text}");
    assert!(has_line(text, "O45 2026-10-10 365000.00 41 no"), "{text}");
    assert!(has_line(text, "2026-11-05 400000.00 no"), "{text}");
}

#[test]
fn two_agents_never_hold_the_same_item_and_an_ended_lease_returns_it() {
    let env = floor();
    let sam = next(&env, "sam");
    let kim = next(&env, "kim");
    assert_eq!(sam.as_deref(), Some("A1"));
    assert_eq!(kim.as_deref(), Some("A5"));
    // An agent that asks again resumes its item.
    assert_eq!(next(&env, "sam").as_deref(), Some("A1"));
    let held: Vec<(String, String)> = queue(&env)
        .into_iter()
        .filter(|entry| !entry.4.is_empty())
        .map(|(item, _, _, _, agent)| (item, agent))
        .collect();
    assert_eq!(held, vec![("A1".into(), "sam".into()), ("A5".into(), "kim".into())]);
    // The default lease is 900 s: at 12:14 Sam's lease still holds, at 12:16 it has ended and
    // Kim (whose own lease also ended) gets the best item again.
    let before =
        run_at(&env, "2026-11-20T12:14:00Z", &["queue", "next", "--agent", "kim", "--json"]);
    assert_eq!(before.json()["item"]["account"], 5);
    let after =
        run_at(&env, "2026-11-20T12:31:00Z", &["queue", "next", "--agent", "kim", "--json"]);
    assert_eq!(after.json()["item"]["account"], 1);
    // Sam's lease on A1 ended and Kim took it: Sam can no longer record an outcome on it.
    let refused = done(&env, "sam", "A1", "refusal", &[], "w-1");
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("agent \"sam\" does not hold item A1"), "{}", refused.stderr);
}

#[test]
fn each_outcome_feeds_the_case_the_signals_and_the_queue() {
    let env = floor();
    // Promise: the case is promised, the item waits for the day after the last payment.
    assert_eq!(next(&env, "sam").as_deref(), Some("A1"));
    let run = done(&env, "sam", "A1", "promise", &["--pay", "2026-11-27:2500.00"], "w-1");
    assert!(
        has_line(run.ok(), "sam promise recorded on A1; next action on 2026-11-28"),
        "{}",
        run.stdout
    );
    let shown = env.run(&["show", "account", "TC-8001", "--json"]).json();
    assert_eq!(shown["case"]["state"], "promised");
    // Refusal and excuse: worked again the next day.
    assert_eq!(next(&env, "sam").as_deref(), Some("A5"));
    done(&env, "sam", "A5", "refusal", &[], "w-2").ok();
    assert_eq!(next(&env, "sam").as_deref(), Some("A4"));
    done(&env, "sam", "A4", "excuse", &["--note", "Lost his job"], "w-3").ok();
    // Callback needs its day; the refusal writes nothing.
    assert_eq!(next(&env, "sam").as_deref(), Some("A8"));
    let missing = done(&env, "sam", "A8", "callback", &[], "w-4");
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("the outcome callback needs the day"), "{}", missing.stderr);
    done(&env, "sam", "A8", "callback", &["--callback-on", "2026-11-24"], "w-4").ok();
    // Extension requested: the extension_request signal.
    assert_eq!(next(&env, "sam").as_deref(), Some("A10"));
    done(&env, "sam", "A10", "extension_requested", &[], "w-5").ok();
    let listed = env.run(&["list", "accounts", "--signal", "extension_request", "--json"]).json();
    let accounts: Vec<u64> = listed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["account"].as_u64().unwrap())
        .collect();
    assert_eq!(accounts, vec![10]);
    // Dispute: the case is disputed and leaves the queue.
    assert_eq!(next(&env, "sam").as_deref(), Some("A11"));
    done(&env, "sam", "A11", "dispute", &[], "w-6").ok();
    let shown = env.run(&["show", "account", "UT-9002", "--json"]).json();
    assert_eq!(shown["case"]["state"], "disputed");
    // Nothing is left for Sam today; the queue shows when each item comes back.
    assert_eq!(next(&env, "sam"), None);
    let later: Vec<(String, String)> = queue(&env)
        .into_iter()
        .filter(|entry| entry.1 == "collections")
        .map(|(item, _, _, on, _)| (item, on))
        .collect();
    let expected = [
        ("A1", "2026-11-28"),
        ("A5", "2026-11-21"),
        ("A4", "2026-11-21"),
        ("A8", "2026-11-24"),
        ("A10", "2026-11-21"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(item, on)| (item.to_string(), on.to_string())).collect();
    assert_eq!(later, expected);
    let tomorrow = env.run(&["queue", "next", "--agent", "sam", "--as-of", "2026-11-21", "--json"]);
    assert_eq!(tomorrow.json()["item"]["account"], 5);
    let notes = env.run(&["show", "debtor", "C-1001"]);
    assert!(
        has_line(notes.ok(), "2026-11-20T12:00:00+00:00 sam A4 Lost his job"),
        "{}",
        notes.stdout
    );
    env.run(&["verify"]).ok();
}

#[test]
fn wrong_party_removes_the_address_and_records_the_contact() {
    let env = floor();
    assert_eq!(next(&env, "rosa").as_deref(), Some("A14"));
    let address = "+57-310-555-0101";
    let run = done(&env, "rosa", "A14", "wrong_party", &["--address", address], "w-1");
    run.ok();
    let shown = env.run(&["show", "debtor", "C-3001", "--json"]).json();
    let points: Vec<&str> = shown["debtor"]["contact_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|point| point["address"].as_str().unwrap())
        .collect();
    assert_eq!(points, vec!["camila.restrepo@example.co"]);
    let contacts = shown["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["outcome"], "wrong_party");
    assert_eq!(contacts[0]["address"], address);
    // Without the address the outcome is refused.
    assert_eq!(next(&env, "rosa").as_deref(), Some("A15"));
    let refused = done(&env, "rosa", "A15", "wrong_party", &[], "w-2");
    assert!(
        refused.stderr.contains("the outcome wrong_party needs the address"),
        "{}",
        refused.stderr
    );
    env.run(&["verify"]).ok();
}

#[test]
fn productivity_counts_outcomes_promises_and_what_was_collected() {
    let env = floor();
    assert_eq!(next(&env, "sam").as_deref(), Some("A1"));
    done(&env, "sam", "A1", "promise", &["--pay", "2026-11-27:2500.00"], "w-1").ok();
    assert_eq!(next(&env, "kim").as_deref(), Some("A5"));
    done(&env, "kim", "A5", "refusal", &[], "w-2").ok();
    assert_eq!(next(&env, "sam").as_deref(), Some("A4"));
    done(&env, "sam", "A4", "promise", &["--pay", "2026-11-25:400.00"], "w-3").ok();
    // Northwind pays 300.00 of the 2500.00 it promised; Maria 250.00 of 400.00.
    let pay = |account: &str, amount: &str, key: &str| {
        let args =
            ["post", "payment", "--account", account, "--amount", amount, "--on", "2026-11-20"];
        env.run(&[&args[..], &["--key", key]].concat()).ok().to_owned()
    };
    pay("TC-8001", "300.00", "pay-1");
    pay("LN-5001", "250.00", "pay-2");
    let report = env.run(&["report", "productivity", "--json"]).json();
    let sam = &report["agents"][1];
    assert_eq!(sam["name"], "sam");
    assert_eq!(sam["items_worked"], 2);
    assert_eq!(sam["promises"], 2);
    assert_eq!(sam["outcomes"]["promise"], 2);
    assert_eq!(sam["promised_minor"]["USD"], 290_000);
    assert_eq!(sam["collected_minor"]["USD"], 55_000);
    let kim = &report["agents"][0];
    assert_eq!((kim["name"].as_str(), kim["outcomes"]["refusal"].as_u64()), (Some("kim"), Some(1)));
    let team = &report["teams"][0];
    assert_eq!(
        (team["name"].as_str(), team["items_worked"].as_u64()),
        (Some("collections"), Some(3))
    );
    let text = env.run(&["report", "productivity"]);
    assert!(has_line(text.ok(), "sam 2 promise=2 2 2900.00 550.00"), "{}", text.stdout);
    assert!(
        has_line(text.ok(), "collections 3 promise=2 refusal=1 2 2900.00 550.00"),
        "{}",
        text.stdout
    );
    env.run(&["verify"]).ok();
}

#[test]
fn bad_input_is_an_error_that_writes_nothing() {
    let env = floor();
    let before = (queue(&env), env.snapshot());
    let unknown = env.run(&["queue", "next", "--agent", "nobody"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no agent \"nobody\""), "{}", unknown.stderr);
    let code = done(&env, "sam", "A1", "paid", &[], "w-1");
    assert_eq!(code.code, 2);
    assert!(code.stderr.contains("unknown outcome code \"paid\""), "{}", code.stderr);
    let future = done(&env, "sam", "A1", "refusal", &["--at", "2099-01-01T00:00:00Z"], "w-1");
    assert_eq!(future.code, 1);
    assert!(future.stderr.contains("--at"), "{}", future.stderr);
    let unclaimed = done(&env, "sam", "A1", "refusal", &[], "w-1");
    assert_eq!(unclaimed.code, 1);
    assert!(
        unclaimed.stderr.contains("agent \"sam\" does not hold item A1"),
        "{}",
        unclaimed.stderr
    );
    let no_team = env
        .run(&["agent", "add", "--id", "lee", "--name", "Lee", "--teams", "legal", "--key", "a9"]);
    assert!(no_team.stderr.contains("no team \"legal\""), "{}", no_team.stderr);
    let bad_language =
        env.run(&["team", "add", "--name", "x", "--languages", "es_MX", "--key", "t9"]);
    assert!(
        bad_language.stderr.contains("\"es_MX\" is not a BCP 47 language tag"),
        "{}",
        bad_language.stderr
    );
    assert_eq!((queue(&env), env.snapshot()), before);
    // A promise the policy refuses is a rejection that writes nothing either: the item stays
    // claimed, no work is logged.
    assert_eq!(next(&env, "sam").as_deref(), Some("A1"));
    let refused = done(&env, "sam", "A1", "promise", &["--pay", "2027-06-01:1.00"], "w-2");
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert_eq!(
        env.run(&["report", "productivity", "--json"]).json()["agents"],
        serde_json::json!([])
    );
    // A policy naming a team that does not exist is refused when set.
    let standard = std::fs::read_to_string(example("policies/standard.toml")).unwrap();
    let policy = env.write("bad.toml", &(standard + "[[assignment]]\nteam = \"legal\"\n"));
    let set = env.run(&["policy", "set", path(&policy), "--key", "p9"]);
    assert_eq!(set.code, 1);
    assert!(set.stderr.contains("assignment[0].team: no team \"legal\""), "{}", set.stderr);
}

/// The example of docs/CLI.md's section on work queues replays on the same floor: each
/// `$ arrears ...` line of its `console` block is run and its output compared with the lines
/// that follow it.
#[test]
fn the_cli_docs_queue_example_replays() {
    let env = floor();
    let section = "### `arrears team`, `arrears agent`, `arrears queue`";
    assert_eq!(crate::docs::replay_in(&env, &[section]), 6);
}

#[test]
fn agents_are_updated_and_deactivated() {
    let env = floor();
    let again = env
        .run(&["agent", "add", "--id", "sam", "--name", "S", "--teams", "spanish", "--key", "a9"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("agent \"sam\" exists"), "{}", again.stderr);
    // The same add under its own key replays.
    let replay = env.run(&[
        "agent",
        "add",
        "--id",
        "sam",
        "--name",
        "Sam Lee",
        "--teams",
        "collections",
        "--key",
        "agent-1",
    ]);
    assert!(replay.ok().contains("(replayed: already recorded)"), "{}", replay.stdout);
    // Sam moves to the Spanish team (Spanish-speaking debtors, by days past due).
    let update = ["agent", "update", "--id", "sam", "--teams", "spanish", "--key", "u1"];
    env.run(&update).ok();
    assert_eq!(next(&env, "sam").as_deref(), Some("A14"));
    env.run(&["agent", "update", "--id", "sam", "--deactivate", "--key", "u2"]).ok();
    let list = env.run(&["agent", "list"]);
    assert!(has_line(list.ok(), "sam any any any Sam Lee spanish no"), "{}", list.stdout);
    let refused = env.run(&["queue", "next", "--agent", "sam"]);
    assert!(refused.stderr.contains("agent \"sam\" is deactivated"), "{}", refused.stderr);
    let refused = done(&env, "sam", "A14", "refusal", &[], "w-1");
    assert!(refused.stderr.contains("agent \"sam\" is deactivated"), "{}", refused.stderr);
    env.run(&["agent", "update", "--id", "sam", "--activate", "--key", "u3"]).ok();
    done(&env, "sam", "A14", "refusal", &[], "w-1").ok();
    let missing = env.run(&["agent", "update", "--id", "ann", "--name", "Ann", "--key", "u4"]);
    assert!(missing.stderr.contains("no agent \"ann\""), "{}", missing.stderr);
}

/// The `extension_request` signal an agent raises reaches the cycle's stage selection: a stage
/// that requires it takes the account at the next review.
#[test]
fn an_extension_request_moves_the_account_to_a_stage_that_requires_it() {
    let env = floor();
    let standard = std::fs::read_to_string(example("policies/standard.toml")).unwrap();
    let stage = "\n[[stage]]\nname = \"extension\"\nmin_dpd = 1\nsignals = [\"extension_request\"]\nproducts = [\"utility\"]\n";
    let policy = env.write("extension.toml", &(standard + RULES + stage));
    env.run(&["policy", "set", path(&policy), "--key", "p2"]).ok();
    for (index, item) in ["A1", "A5", "A4", "A8"].into_iter().enumerate() {
        assert_eq!(next(&env, "sam").as_deref(), Some(item));
        done(&env, "sam", item, "refusal", &[], &format!("r-{index}")).ok();
    }
    assert_eq!(next(&env, "sam").as_deref(), Some("A10"));
    done(&env, "sam", "A10", "extension_requested", &[], "e-1").ok();
    env.run(&["cycle", "--as-of", "2026-11-21"]).ok();
    let listed = env.run(&["list", "accounts", "--as-of", "2026-11-21", "--json"]).json();
    let row = listed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["account"] == 10)
        .expect("A10 in the list")
        .clone();
    assert_eq!(row["stage"], "extension");
    assert_eq!(row["signals"], serde_json::json!(["extension_request"]));
}

/// Expected recovery from the score and the balance (issue 14 point 6): the cycle keeps each
/// account's latest score on its case, and a rule's `recovery_rates` give each band its own
/// share of the balance; a band without one takes `recovery_rate`.
#[test]
fn expected_recovery_follows_the_latest_score_band() {
    let env = floor();
    let standard = std::fs::read_to_string(example("policies/standard.toml")).unwrap();
    let rules = RULES.replace(
        "recovery_rate = \"0.5\"",
        "recovery_rate = \"0.5\"\nrecovery_rates = { elevated_risk = \"0.3\", high_risk = \"0.2\" }",
    );
    let policy = env.write("banded.toml", &(standard + &rules));
    env.run(&["policy", "set", path(&policy), "--key", "p-banded"]).ok();
    let list = env.run(&["queue", "list", "--team", "collections", "--json"]).json();
    let mut bands = std::collections::BTreeSet::new();
    for entry in list.as_array().unwrap() {
        let account = format!("A{}", entry["account"]);
        let shown = env.run(&["show", "account", &account, "--json"]).json();
        let band = shown["case"]["score"]["band"].as_str().map(str::to_owned);
        let rate = match band.as_deref() {
            Some("elevated_risk") => 3,
            Some("high_risk") => 2,
            _ => 5,
        };
        let outstanding = entry["outstanding_minor"].as_i64().unwrap();
        assert_eq!(
            entry["priority"].as_i64().unwrap(),
            outstanding * rate / 10,
            "{account} {band:?}"
        );
        bands.extend(band);
    }
    assert!(bands.len() >= 2, "accounts in several bands: {bands:?}");
    let priorities: Vec<i64> =
        list.as_array().unwrap().iter().map(|entry| entry["priority"].as_i64().unwrap()).collect();
    let mut sorted = priorities.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(priorities, sorted, "highest expected recovery first");
}
