//! `arrears demo` / `simulate` and the portfolio reports: the same seed gives the same
//! numbers, and the reports read any store.

use crate::Env;

fn simulate(env: &Env, out: &str) -> serde_json::Value {
    let out = env.dir().join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut summary = env
        .run(&[
            "--json",
            "simulate",
            "--accounts",
            "200",
            "--days",
            "60",
            "--seed",
            "7",
            "--out",
            out,
        ])
        .json();
    // Wall-clock time and paths are the only fields allowed to differ.
    let object = summary.as_object_mut().expect("an object");
    for field in ["elapsed_seconds", "store", "html"] {
        object.remove(field);
    }
    summary
}

#[test]
fn the_same_seed_gives_the_same_numbers() {
    let env = Env::empty();
    let first = simulate(&env, "a");
    let second = simulate(&env, "b");
    assert_eq!(first, second);
    assert_eq!(first["kpis"]["accounts"], 200);
    assert!(first["simulation"]["bills"].as_u64().expect("bills") > 200);
    assert!(env.dir().join("a/arrears-demo.html").exists());
}

#[test]
fn the_reports_read_the_simulated_store() {
    let env = Env::empty();
    let out = env.dir().join("sim");
    let out = out.to_str().expect("utf-8 path");
    let summary = env
        .run(&[
            "--json",
            "simulate",
            "--accounts",
            "100",
            "--days",
            "40",
            "--seed",
            "3",
            "--out",
            out,
        ])
        .json();
    let kpis = env.run(&["--json", "report", "kpis"]).json();
    assert_eq!(kpis, summary["kpis"]);
    let rolls = env.run(&["--json", "report", "rollrates"]).json();
    assert_eq!(rolls, summary["roll_rates"]);
    let html = env.dir().join("report.html");
    let html = html.to_str().expect("utf-8 path");
    env.run(&["report", "html", "--out", html]).ok();
    let page = std::fs::read_to_string(html).expect("the report");
    assert!(page.contains("<svg") && page.contains("Roll rates"));
    // A store that is not a demo store is never overwritten.
    let other = Env::new();
    let refused = other.run(&["demo", "--accounts", "5", "--days", "2", "--out", out]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("not a demo store"), "{}", refused.stderr);
}
