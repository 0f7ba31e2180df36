//! Messages from the tool (issue 19): a policy with templates, a payment link, invoices and an
//! experience budget over the sample portfolio; actions carry their text and link, payments
//! their channel, and `report experience` shows the budget used against allowed.

use crate::Env;

#[test]
fn a_cycle_writes_messages_and_the_budget_is_reported() {
    let env = Env::sample();
    let policy = std::fs::read_to_string(crate::example("policies/messages.toml"))
        .expect("messages policy")
        + "\n[experience]\ncontacts_per_week = 2\n";
    let file = env.write("messages.toml", &policy);
    env.run(&["policy", "set", crate::path(&file), "--key", "POL-MSG"]).ok();
    env.run(&["cycle", "--as-of", "2026-11-20", "--json"]).json();
    let actions = env.run(&["actions", "list", "--json"]).json();
    let actions = actions.as_array().expect("a list");
    assert!(!actions.is_empty());
    for action in actions {
        let text = action["message"]["text"].as_str().expect("a rendered text");
        let link = action["payment_link"].as_str().expect("a payment link");
        assert!(link.starts_with("https://pay.example.com/a/"), "{action}");
        assert!(text.contains(link), "{action}");
    }
    let report = env.run(&["report", "experience", "--to", "2026-11-20", "--json"]).json();
    let default = &report["segments"][0];
    assert_eq!(default["segment"], "default", "{report}");
    assert_eq!(default["allowed_per_debtor"], 2);
    let used = default["contacts_used"].as_u64().unwrap();
    assert!(0 < used && used <= default["contacts_allowed"].as_u64().unwrap(), "{report}");
    let shown = env.run(&["report", "experience", "--to", "2026-11-20"]).ok().to_owned();
    assert!(shown.starts_with("contacts from 2026-11-14 to 2026-11-20\n"), "{shown}");

    // A card payment taken by an agent who does not exist is refused; without an agent it
    // posts, with its channel recorded.
    let pay = |key: &str, extra: &[&str]| {
        let mut args = vec![
            "post",
            "payment",
            "--account",
            "TC-8001",
            "--amount",
            "10.00",
            "--on",
            "2026-11-19",
            "--key",
            key,
            "--channel",
            "card",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let refused = pay("CARD-1", &["--agent", "agent-9"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("no agent \"agent-9\""), "{}", refused.stderr);
    pay("CARD-2", &[]).ok();
    let unknown = env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "1.00",
        "--on",
        "2026-11-19",
        "--key",
        "CARD-3",
        "--channel",
        "barter",
    ]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
}
