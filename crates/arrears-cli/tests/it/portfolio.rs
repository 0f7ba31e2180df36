//! `arrears portfolio` on three shards in a temporary directory: commands routed from JSON,
//! a cycle over every shard, the merged aging and roll rates equal to the sums of each
//! shard's own `report`, a debtor moved (both shards verify clean, the merged figures do
//! not change), and the errors of a command that names no shard and of a bad manifest.

use serde_json::{json, Value};

use crate::{Env, Run};

const SHARDS: [&str; 3] = ["north", "south", "west"];

fn manifest(env: &Env) -> String {
    let mut text = "assignment = \"hash\"\n".to_owned();
    for shard in SHARDS {
        text.push_str(&format!("[[shards]]\nname = \"{shard}\"\npath = \"{shard}.redb\"\n"));
    }
    env.write("portfolio.toml", &text).display().to_string()
}

fn portfolio(env: &Env, manifest: &str, args: &[&str]) -> Run {
    let mut all = vec!["portfolio", "--manifest", manifest];
    all.extend_from_slice(args);
    env.run(&all)
}

/// Runs `arrears --db <dir>/<shard>.redb ARGS`: a shard as a store of its own.
fn on_shard(env: &Env, shard: &str, args: &[&str]) -> Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("--db")
        .arg(env.dir().join(format!("{shard}.redb")))
        .args(args)
        .output()
        .expect("run arrears");
    Run::from(output)
}

fn execute(env: &Env, manifest: &str, key: &str, command: &Value) -> Value {
    let file = env.write("command.json", &command.to_string());
    let argument = format!("@{}", file.display());
    portfolio(env, manifest, &["--json", "execute", "--key", key, "--command", &argument]).json()
}

fn flags() -> Value {
    json!({"cease_communication": false, "attorney_represented": false, "bankruptcy": false, "deceased": false})
}

fn usd(amount: &str) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

/// Six debtors with an account and two invoices each.
fn book(env: &Env, manifest: &str) {
    for index in 1..=6 {
        let reference = format!("D-{index}");
        let created = execute(
            env,
            manifest,
            &format!("debtor:{reference}"),
            &json!({"create_debtor": {
                "external_ref": reference, "kind": "person", "name": format!("Debtor {index}"),
                "jurisdiction": {"country": "US", "region": null}, "time_zones": ["America/Chicago"],
                "language": "en", "contact_points": [], "flags": flags(),
            }}),
        );
        let debtor = created["outcome"]["debtor_created"].as_u64().unwrap();
        let opened = execute(
            env,
            manifest,
            &format!("account:A-{index}"),
            &json!({"open_account": {
                "external_ref": format!("A-{index}"), "debtor": debtor, "product": "trade_credit",
                "credit_limit": null, "currency": "USD", "opened_on": "2026-01-01",
                "terms": {"grace_days": 0, "late_fee": {"flat": {"amount_minor": 1500}}, "interest": null,
                          "waterfall": "fees_interest_principal"},
            }}),
        );
        assert_eq!(opened["shard"], created["shard"]);
        let account = opened["outcome"]["account_opened"].as_u64().unwrap();
        for (number, issued_on, due_on) in
            [(1, "2026-01-05", "2026-02-04"), (2, "2026-03-05", "2026-04-04")]
        {
            let charged = execute(
                env,
                manifest,
                &format!("INV-{index}-{number}"),
                &json!({"charge": {
                    "account": account, "external_ref": format!("INV-{index}-{number}"), "kind": "invoice",
                    "issued_on": issued_on, "due_on": due_on, "principal": usd(&format!("{index}00.50")),
                    "interest": usd("0"), "fee": usd("0"),
                }}),
            );
            assert!(charged["outcome"]["posted"].is_object(), "{charged}");
        }
    }
}

/// Each shard's own aging amounts, summed per bucket.
fn summed_aging(env: &Env, as_of: &str) -> (Vec<i64>, Vec<u64>) {
    let (mut amounts, mut accounts) = (vec![0_i64; 7], vec![0_u64; 7]);
    for shard in SHARDS {
        let own = on_shard(env, shard, &["--json", "report", "aging", "--as-of", as_of]).json();
        for row in own["rows"].as_array().unwrap() {
            for bucket in 0..7 {
                amounts[bucket] += row["amounts_minor"][bucket].as_i64().unwrap();
                accounts[bucket] += row["accounts"][bucket].as_u64().unwrap();
            }
        }
    }
    (amounts, accounts)
}

fn merged_aging(env: &Env, manifest: &str, as_of: &str) -> (Vec<i64>, Vec<u64>) {
    let merged = portfolio(env, manifest, &["--json", "report", "aging", "--as-of", as_of]).json();
    let row = &merged["rows"][0];
    let amounts =
        row["amounts_minor"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    let accounts =
        row["accounts"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    (amounts, accounts)
}

#[test]
fn a_portfolio_routes_cycles_merges_reports_and_moves_a_debtor() {
    let env = Env::empty();
    let manifest = manifest(&env);
    let init = portfolio(&env, &manifest, &["init"]);
    assert!(init.ok().contains("north"), "{}", init.stdout);
    book(&env, &manifest);
    let cycle =
        portfolio(&env, &manifest, &["--json", "cycle", "--as-of", "2026-03-31", "--threads", "2"])
            .json();
    assert_eq!(cycle["shards"].as_array().unwrap().len(), 3);
    assert_eq!(cycle["total"]["reviewed"], 6);
    for as_of in ["2026-02-28", "2026-04-30", "2026-06-30"] {
        assert_eq!(merged_aging(&env, &manifest, as_of), summed_aging(&env, as_of), "{as_of}");
    }
    let rolls = portfolio(
        &env,
        &manifest,
        &["--json", "report", "rollrates", "--from", "2026-01-31", "--to", "2026-06-30"],
    )
    .json();
    let cells: u64 = rolls["counts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|cell| cell.as_u64().unwrap())
        .sum();
    assert_eq!(cells, 6 * 5, "six accounts, five month-to-month steps");

    let found = portfolio(&env, &manifest, &["--json", "find", "--debtor", "D-2"]).json();
    let from = found["shard"].as_str().unwrap().to_owned();
    let to = SHARDS.iter().find(|shard| **shard != from).unwrap();
    let before = merged_aging(&env, &manifest, "2026-06-30");
    let moved = portfolio(&env, &manifest, &["move", "D-2", "--to", to, "--on", "2026-06-30"]);
    assert!(
        moved.ok().starts_with(&format!("moved debtor D-2 from {from} to {to}")),
        "{}",
        moved.stdout
    );
    assert_eq!(
        merged_aging(&env, &manifest, "2026-06-30"),
        before,
        "nothing lost, nothing doubled"
    );
    let found = portfolio(&env, &manifest, &["find", "--account", "A-2"]);
    assert!(found.ok().starts_with(&format!("account A-2: shard {to}")), "{}", found.stdout);
    for shard in [from.as_str(), to] {
        assert!(on_shard(&env, shard, &["verify"]).ok().starts_with("ok:"));
    }
    let again = portfolio(&env, &manifest, &["move", "D-2", "--to", to, "--on", "2026-06-30"]);
    assert_eq!(again.ok(), format!("debtor D-2 is already on shard {to}\n"));
}

#[test]
fn a_command_without_a_shard_and_a_bad_manifest_are_errors() {
    let env = Env::empty();
    let manifest = manifest(&env);
    portfolio(&env, &manifest, &["init"]).ok();
    let policy = env
        .write("policy.json", &json!({"set_policy": {"file": "p.toml", "text": ""}}).to_string());
    let argument = format!("@{}", policy.display());
    let run = portfolio(&env, &manifest, &["execute", "--key", "p", "--command", &argument]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "error: set_policy: names no debtor, account or obligation, so no shard; run it on a shard\n");
    let future = portfolio(&env, &manifest, &["cycle", "--as-of", "2099-01-01"]);
    assert_eq!(future.code, 1);
    assert!(
        future.stderr.starts_with("error: --as-of 2099-01-01 is 26340 days after today"),
        "{}",
        future.stderr
    );
    let bad = env.write("bad.toml", "assignment = \"hash\"\n[[shards]]\nname = \"a\"\npath = \"a.redb\"\n[[shards]]\nname = \"a\"\npath = \"b.redb\"\n");
    let run = env.run(&["portfolio", "--manifest", &bad.display().to_string(), "init"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("shard name \"a\" is listed twice"), "{}", run.stderr);
}

/// A command given as JSON read its amounts and rates with `rust_decimal`'s own serde, which
/// takes `"1_000"` for 1000: a payment of 1000.00 was executed from `{"amount": "1_000"}`. The
/// engine's plain-decimal rule reads them now, as it reads every amount a person writes.
#[test]
fn a_command_with_a_digit_separator_in_an_amount_is_refused() {
    let env = Env::empty();
    let manifest = manifest(&env);
    portfolio(&env, &manifest, &["init"]).ok();
    let command = json!({"payment": {"account": 1, "effective_on": "2026-06-01",
        "amount": {"amount": "1_000", "currency": "USD"}, "directed_to": null}});
    let command = command.to_string();
    let run = portfolio(&env, &manifest, &["execute", "--key", "P-1", "--command", &command]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.starts_with(
            "error: --command: not a command in the feed's JSON form: \"1_000\" is not a decimal \
             number"
        ),
        "{}",
        run.stderr
    );
    let command = json!({"place": {"account": 1, "on": "2026-06-01", "agency": "A",
        "commission_rate": "0_25"}});
    let command = command.to_string();
    let run = portfolio(&env, &manifest, &["execute", "--key", "P-2", "--command", &command]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("\"0_25\" is not a decimal number"), "{}", run.stderr);
}
