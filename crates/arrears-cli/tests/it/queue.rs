//! The outbox as a queue consumed exactly once (issue 14 point 5): senders claim actions with a
//! lease, report them sent, acknowledge them; a consumer killed between any two steps loses and
//! doubles nothing, given a provider that deduplicates on the action id (docs/COLLECTIONS.md,
//! "Sending each action exactly once").

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::{Env, Run};

/// Runs the binary on the env's store with the clock at `at`.
fn at(env: &Env, at: &str, args: &[&str]) -> Run {
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

fn ids(value: &serde_json::Value) -> Vec<u64> {
    value.as_array().unwrap().iter().map(|action| action["id"].as_u64().unwrap()).collect()
}

/// The provider: it delivers each action id once, whatever the retries (its idempotency key
/// is the action id).
#[derive(Default)]
struct Provider {
    delivered: BTreeMap<u64, u32>,
}

impl Provider {
    fn send(&mut self, id: u64) {
        let count = self.delivered.entry(id).or_default();
        if *count == 0 {
            *count = 1;
        }
    }
}

#[test]
fn a_consumer_killed_between_any_two_steps_sends_each_action_once() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let all = ids(&env
        .run(&["actions", "list", "--due", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["action"].clone())
        .collect());
    assert!(all.len() >= 5, "the sample's cycle writes several actions");
    let t0 = "2026-11-20T12:00:00Z";
    let claim = |when: &str, sender: &str, limit: &str| {
        ids(&at(
            &env,
            when,
            &[
                "actions",
                "claim",
                "--as",
                sender,
                "--lease-secs",
                "300",
                "--limit",
                limit,
                "--json",
            ],
        )
        .json())
    };
    let mut provider = Provider::default();
    // Sender A claims two and is killed before sending: B, a minute later, cannot have them.
    let a = claim(t0, "A", "2");
    assert_eq!(a, all[..2]);
    let b = claim("2026-11-20T12:01:00Z", "B", "100");
    assert_eq!(b, all[2..], "A's lease holds");
    // B sends its first and is killed before reporting it sent; it sends its second, reports
    // it sent and is killed before acknowledging; it completes the rest.
    provider.send(b[0]);
    provider.send(b[1]);
    at(
        &env,
        "2026-11-20T12:02:00Z",
        &[
            "actions",
            "sent",
            &b[1].to_string(),
            "--at",
            "2026-11-20T12:02:00Z",
            "--key",
            &format!("sent-{}", b[1]),
        ],
    )
    .ok();
    for id in &b[2..] {
        provider.send(*id);
        at(
            &env,
            "2026-11-20T12:03:00Z",
            &[
                "actions",
                "sent",
                &id.to_string(),
                "--at",
                "2026-11-20T12:03:00Z",
                "--key",
                &format!("sent-{id}"),
            ],
        )
        .ok();
        at(
            &env,
            "2026-11-20T12:04:00Z",
            &[
                "actions",
                "ack",
                &id.to_string(),
                "--outcome",
                "delivered",
                "--at",
                "2026-11-20T12:04:00Z",
                "--key",
                &format!("ack-{id}"),
            ],
        )
        .ok();
    }
    // A claimed action and a sent one are consistent books.
    env.run(&["verify"]).ok();
    // While the leases hold nobody else gets anything.
    assert!(claim("2026-11-20T12:04:00Z", "C", "100").is_empty());
    // After the leases end, C gets what was claimed and never reported sent: A's two and B's
    // first, not B's second (sent) nor the rest (acknowledged).
    let c = claim("2026-11-20T12:10:00Z", "C", "100");
    let expected: BTreeSet<u64> = [all[0], all[1], b[0]].into_iter().collect();
    assert_eq!(c.iter().copied().collect::<BTreeSet<u64>>(), expected);
    for id in &c {
        provider.send(*id);
        at(
            &env,
            "2026-11-20T12:11:00Z",
            &[
                "actions",
                "sent",
                &id.to_string(),
                "--at",
                "2026-11-20T12:11:00Z",
                "--key",
                &format!("sent-{id}"),
            ],
        )
        .ok();
        at(
            &env,
            "2026-11-20T12:12:00Z",
            &[
                "actions",
                "ack",
                &id.to_string(),
                "--outcome",
                "delivered",
                "--at",
                "2026-11-20T12:12:00Z",
                "--key",
                &format!("ack-{id}"),
            ],
        )
        .ok();
    }
    // B's second, sent before B died, is acknowledged by its id when the outcome arrives.
    at(
        &env,
        "2026-11-20T12:13:00Z",
        &[
            "actions",
            "ack",
            &b[1].to_string(),
            "--outcome",
            "delivered",
            "--at",
            "2026-11-20T12:13:00Z",
            "--key",
            &format!("ack-{}", b[1]),
        ],
    )
    .ok();
    // Every action delivered once, acknowledged, nothing pending; reporting a sent action
    // again keeps its first instant.
    assert_eq!(provider.delivered.keys().copied().collect::<Vec<u64>>(), {
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted
    });
    assert!(provider.delivered.values().all(|count| *count == 1));
    assert_eq!(env.run(&["actions", "list", "--json"]).json(), serde_json::json!([]));
    let again = at(
        &env,
        "2026-11-20T13:00:00Z",
        &[
            "actions",
            "sent",
            &b[1].to_string(),
            "--at",
            "2026-11-20T13:00:00Z",
            "--key",
            "sent-again",
            "--json",
        ],
    );
    assert_eq!(again.code, 1, "acknowledged: refused as such");
    // The feed gives every action once, in the order received, and resumes at a cursor.
    let feed = env.run(&["actions", "feed", "--json"]).json();
    let seqs: Vec<u64> =
        feed["actions"].as_array().unwrap().iter().map(|a| a["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=all.len() as u64).collect::<Vec<u64>>());
    let rest = env.run(&["actions", "feed", "--after", "2", "--json"]).json();
    assert_eq!(rest["actions"].as_array().unwrap().len(), all.len() - 2);
    assert_eq!(rest["next_after"], all.len() as u64);
    env.run(&["verify"]).ok();
}
