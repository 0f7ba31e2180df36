//! The sample portfolio of examples/data: it imports cleanly, ages as computed by hand, and
//! verifies clean.

use serde_json::Value;

use crate::{data, path, Env};

const BUCKETS: [&str; 7] = ["current", "1-30", "31-60", "61-90", "91-120", "121-180", "180+"];

fn row<'a>(aging: &'a Value, currency: &str) -> &'a Value {
    aging["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|row| row["currency"] == currency)
        .unwrap_or_else(|| panic!("no {currency} row in {aging}"))
}

fn numbers(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|number| number.as_i64().expect("integer"))
        .collect()
}

#[test]
fn sample_portfolio_imports_ages_and_verifies() {
    let env = Env::new();
    let expected = [("debtors", 12), ("accounts", 15), ("obligations", 49), ("postings", 38)];
    for (kind, rows) in expected {
        let file = data(&format!("{kind}.csv"));
        let out = env.run(&["import", kind, path(&file), "--json"]).json();
        assert_eq!(out["created"], rows, "{kind}: {out}");
        assert_eq!(out["replayed"], 0, "{kind}: {out}");
    }

    let aging = env.run(&["report", "aging", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(aging["as_of"], "2026-11-20");
    let currencies: Vec<&str> = aging["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["currency"].as_str().expect("code"))
        .collect();
    assert_eq!(currencies, ["COP", "MXN", "USD"]);

    // MXN, by hand: MX-1201 owes installments 3 (due 2026-10-15, 36 days past due) and 4 (due
    // 2026-11-15, 5 days) of 1,500.00 each; the account is 36 days past due.
    let mxn = row(&aging, "MXN");
    assert_eq!(numbers(&mxn["amounts_minor"]), [0, 150_000, 150_000, 0, 0, 0, 0]);
    assert_eq!(numbers(&mxn["accounts"]), [0, 0, 1, 0, 0, 0, 0]);
    assert_eq!(mxn["total_minor"], 300_000);

    // COP, by hand: the fourth installment (750,000.00 + 15,000.00 interest, due 2026-10-10)
    // got 400,000.00 on 2026-11-05, interest first: 365,000.00 principal is 41 days past due.
    let cop = row(&aging, "COP");
    assert_eq!(numbers(&cop["amounts_minor"]), [0, 0, 36_500_000, 0, 0, 0, 0]);
    assert_eq!(numbers(&cop["accounts"]), [0, 0, 1, 0, 0, 0, 0]);

    // USD, by hand (see docs/CLI.md for the walk-through). `current` is UT-9003's 74.10 plus the
    // interest CC-7001 accrued through 2026-10-31 (115.41, computed by the engine).
    let usd = row(&aging, "USD");
    assert_eq!(numbers(&usd["amounts_minor"]), [18_951, 576_962, 831_698, 216_144, 24_000, 0, 0]);
    assert_eq!(numbers(&usd["accounts"]), [3, 3, 3, 2, 1, 0, 0]);
    assert_eq!(usd["total_minor"], 1_667_755);
    assert_eq!(usd["disputed_minor"], 119_875, "INV-20263 of Bluebird is disputed");
    assert_eq!(usd["charged_off_accounts"], 1, "TC-8003 of Sonoran Supply");
    // 8,450.00 + 3,275.50 - 2,000.00 paid before - 1,500.00 recovered after the charge-off.
    assert_eq!(usd["charged_off_owed_minor"], 822_550);

    // Internal consistency of every currency: buckets sum to the total, and every account that
    // is not charged off is counted in exactly one bucket.
    let accounts_per_currency = [("COP", 1), ("MXN", 1), ("USD", 13)];
    for (currency, accounts) in accounts_per_currency {
        let row = row(&aging, currency);
        assert_eq!(
            numbers(&row["amounts_minor"]).iter().sum::<i64>(),
            row["total_minor"].as_i64().expect("total")
        );
        let counted: i64 = numbers(&row["accounts"]).iter().sum();
        assert_eq!(
            counted + row["charged_off_accounts"].as_i64().expect("count"),
            accounts,
            "{currency}"
        );
    }

    let verify = env.run(&["verify"]);
    assert_eq!(verify.ok(), "ok: 15 accounts, 87 entries checked\n");
    let report = env.run(&["verify", "--json"]).json();
    assert_eq!(report["problems"], Value::Array(Vec::new()));
}

#[test]
fn aging_table_and_csv() {
    let env = Env::sample();
    let table = env.run(&["report", "aging", "--as-of", "2026-11-20"]);
    let text = table.ok();
    assert!(text.starts_with("aging as of 2026-11-20\n"), "{text}");
    assert!(text.contains("USD       total         16677.55        12"), "{text}");
    assert!(text.contains("USD       charged off    8225.50         1"), "{text}");

    let csv = env.run(&["report", "aging", "--as-of", "2026-11-20", "--csv"]);
    let lines: Vec<&str> = csv.ok().lines().collect();
    assert_eq!(lines[0], "currency,bucket,amount,accounts");
    assert_eq!(lines.len(), 1 + 3 * BUCKETS.len());
    assert!(lines.contains(&"MXN,31-60,1500.00,1"), "{lines:?}");
    assert!(lines.contains(&"USD,91-120,240.00,1"), "{lines:?}");
    for (index, bucket) in BUCKETS.iter().enumerate() {
        assert!(lines[1 + index].starts_with(&format!("COP,{bucket},")), "{lines:?}");
    }

    let both = env.run(&["report", "aging", "--as-of", "2026-11-20", "--csv", "--json"]);
    assert_eq!(both.code, 2, "--csv and --json conflict: {}", both.stderr);
    // Issue 14 (point 7): `--json` before the subcommand is the same conflict, not JSON.
    let before = env.run(&["--json", "report", "aging", "--as-of", "2026-11-20", "--csv"]);
    assert_eq!(before.code, 2, "--json before the subcommand: {}", before.stdout);
    assert_eq!(before.stdout, "");
    assert!(
        before.stderr.starts_with("error: the argument '--csv' cannot be used with '--json'"),
        "{}",
        before.stderr
    );

    // Without --as-of: today, the date of --recorded-at (issue 14).
    let today = env.run(&["report", "aging", "--csv"]);
    assert_eq!(today.ok(), csv.ok());
}

#[test]
fn reimport_replays_everything_and_changes_nothing() {
    let env = Env::sample();
    let before = env.snapshot();
    for (kind, rows) in [("debtors", 12), ("accounts", 15), ("obligations", 49), ("postings", 38)] {
        let file = data(&format!("{kind}.csv"));
        let out = env.run(&["import", kind, path(&file)]);
        assert_eq!(
            out.ok(),
            format!("imported {rows} {kind} from {}: 0 created, {rows} replayed\n", path(&file))
        );
    }
    // The JSON Lines file repeats four rows of postings.csv under the same keys.
    let jsonl = data("postings.jsonl");
    let out = env.run(&["import", "postings", path(&jsonl), "--json"]).json();
    assert_eq!(out["created"], 0);
    assert_eq!(out["replayed"], 4);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn json_lines_import_on_its_own() {
    let env = Env::new();
    for kind in ["debtors", "accounts", "obligations"] {
        env.run(&["import", kind, path(&data(&format!("{kind}.csv")))]).ok();
    }
    let out = env.run(&["import", "postings", path(&data("postings.jsonl")), "--json"]).json();
    assert_eq!(out["created"], 4);
    // Then the CSV replays those four and records the rest.
    let out = env.run(&["import", "postings", path(&data("postings.csv")), "--json"]).json();
    assert_eq!(out["created"], 34);
    assert_eq!(out["replayed"], 4);
    env.run(&["verify"]).ok();
}

#[test]
fn init_refuses_an_existing_store_and_commands_need_one() {
    let env = Env::new();
    let again = env.run(&["init"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.starts_with("error: a file already exists at"), "{}", again.stderr);

    let empty = Env::empty();
    let verify = empty.run(&["verify"]);
    assert_eq!(verify.code, 1);
    assert!(verify.stderr.contains("no store at"), "{}", verify.stderr);
    assert!(!empty.dir().join("books.redb").exists());
}
