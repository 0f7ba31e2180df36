//! `arrears policy set` and `arrears policy show`.

use crate::{example, path, Env};

#[test]
fn policy_set_and_show() {
    let env = Env::new();
    let standard = env.run(&["policy", "show", "--json"]).json();
    assert_eq!(standard["name"], "standard", "the built-in policy until one is set");
    let text = env.run(&["policy", "show"]);
    assert!(text.ok().starts_with("policy standard  version "), "{}", text.stdout);

    let file = example("policies/challenger.toml");
    let set = env.run(&["policy", "set", path(&file), "--key", "POL-1"]);
    let set = set.ok();
    assert!(set.starts_with("policy digital_first version 1: 4 stages, 1 arm, set from "), "{set}");
    let again = env.run(&["policy", "set", path(&file), "--key", "POL-1", "--json"]).json();
    assert_eq!(again["replayed"], true);
    assert_eq!(again["outcome"]["policy_set"]["name"], "digital_first");

    let shown = env.run(&["policy", "show", "--json"]).json();
    assert_eq!(shown["name"], "digital_first");
    assert_eq!(shown["version"], 1);
    assert_eq!(shown["creditor"], "first_party");
    let stages: Vec<&str> = shown["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|stage| stage["name"].as_str().expect("name"))
        .collect();
    assert_eq!(stages.len(), 4);
    for name in ["pre_due", "early", "early_unreachable", "late"] {
        assert!(stages.contains(&name), "{stages:?}");
    }
    let late = &shown["stages"].as_array().expect("stages")
        [stages.iter().position(|name| *name == "late").expect("late")];
    assert_eq!(late["conditions"]["min_dpd"], 45);
    assert_eq!(late["conditions"]["max_dpd"], serde_json::Value::Null);
    assert_eq!(late["actions"]["placement"]["agency"], "Northwind Recovery");
    assert_eq!(late["actions"]["placement"]["after_days"], 20);
    assert_eq!(shown["arms"][0]["name"], "digital_first");
    assert_eq!(shown["promise"]["min_share"], "0.50");
    let text = env.run(&["policy", "show"]);
    let text = text.ok();
    assert!(text.starts_with("policy digital_first  version 1  creditor first_party\n"), "{text}");
    assert!(
        text.contains("  early_unreachable: dpd 15 to 44, signals unreturned_calls\n"),
        "{text}"
    );
    assert!(text.contains("    day  20: place with Northwind Recovery\n"), "{text}");
}

#[test]
fn a_broken_policy_reports_file_and_line() {
    let env = Env::new();
    let bad = env.write(
        "bad.toml",
        "name = \"tiny\"\nversion = 1\ncreditor = \"first_party\"\n\n[[stage]]\nname = \"late\"\nmin_dpd = -90\n",
    );
    let run = env.run(&["policy", "set", path(&bad), "--key", "POL-BAD"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("error: {}:7: stage[0].min_dpd: -90 is out of range -60..=3650\n", path(&bad))
    );
    let syntax = env.write("syntax.toml", "name = \"tiny\"\nversion = = 1\n");
    let run = env.run(&["policy", "set", path(&syntax), "--key", "POL-BAD"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with(&format!("error: {}:2: ", path(&syntax))), "{}", run.stderr);
    // Nothing was set, and the key is still free.
    assert_eq!(env.run(&["policy", "show", "--json"]).json()["name"], "standard");
    let missing = env.run(&["policy", "set", "no-such.toml", "--key", "POL-BAD"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.starts_with("error: cannot read no-such.toml: "), "{}", missing.stderr);
}

#[test]
fn policy_show_prints_an_arms_house_language_and_tone() {
    let env = Env::new();
    // The standard policy's arms set neither: no such columns.
    let text = env.run(&["policy", "show"]);
    let arms = text.ok().split("\narms ").nth(1).expect("the arms").to_owned();
    assert!(!arms.contains("language") && !arms.contains("tone"), "{arms}");

    // The demo's policy, its champion on the engine's built-ins (the demo registers the
    // first-party plugins it names): the challenger writes every message firm and in English.
    let demo = std::fs::read_to_string(example("policies/demo.toml")).expect("demo policy");
    let plugins = "scorer = \"scorecard\"\nstrategy = \"contact_ladder\"";
    assert!(demo.contains(plugins), "the demo's champion names its plugins");
    let file =
        env.write("demo.toml", &demo.replace(plugins, "scorer = \"rules\"\nstrategy = \"ladder\""));
    env.run(&["policy", "set", path(&file), "--key", "POL-DEMO"]).ok();
    let text = env.run(&["policy", "show"]);
    let arms = text.ok().split("\narms ").nth(1).expect("the arms").to_owned();
    let rows: Vec<Vec<&str>> =
        arms.lines().skip(1).take(3).map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["name", "weight", "scorer", "strategy", "language", "tone"], "{arms}");
    assert_eq!(rows[1], ["champion", "50", "rules", "ladder", "(debtor's)", "(step's)"], "{arms}");
    assert_eq!(rows[2], ["challenger", "50", "rules", "ladder_evening", "en", "firm"], "{arms}");

    let shown = env.run(&["policy", "show", "--json"]).json();
    assert_eq!(shown["arms"][0]["language"], serde_json::Value::Null);
    assert_eq!(shown["arms"][0]["tone"], serde_json::Value::Null);
    assert_eq!(shown["arms"][1]["language"], "en");
    assert_eq!(shown["arms"][1]["tone"], "firm");
}
