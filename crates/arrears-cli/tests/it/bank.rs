//! `arrears bank`: a statement imported on the sample portfolio, matched credits posted, the
//! rest held in suspense and applied later.

use crate::{data, has_line, path, Env};

fn import(env: &Env) -> serde_json::Value {
    let file = data("statement.sta");
    env.run(&["bank", "import", path(&file), "--json"]).json()
}

#[test]
fn a_statement_posts_what_matches_holds_the_rest_and_imports_once() {
    let env = Env::sample();
    let before = env.snapshot();
    let first = import(&env);
    assert_eq!(first["lines_read"], 5, "{first}");
    assert_eq!(first["credits"], 4);
    assert_eq!(first["debits"], 1);
    assert_eq!(first["matched_by_rule"]["RF reference"], 1);
    assert_eq!(first["matched_by_rule"]["reference in remittance"], 2);
    assert_eq!(first["payments_posted"], 3);
    assert_eq!(first["held_in_suspense"], 2);
    // Posted plus held in suspense is the statement's credits.
    let credits = first["credits_minor"]["USD"].as_i64().unwrap();
    let posted = first["posted_minor"]["USD"].as_i64().unwrap();
    let held = first["suspense_minor"]["USD"].as_i64().unwrap();
    assert_eq!(credits, 1_137_025);
    assert_eq!((posted, held), (1_103_050, 33_975));
    assert_eq!(posted + held, credits);
    assert_ne!(env.snapshot(), before);

    // The second import of the same statement changes nothing.
    let after_first = env.snapshot();
    let second = import(&env);
    assert_eq!(second["already_imported"], 4, "{second}");
    assert_eq!(second["payments_posted"], 0);
    assert_eq!(env.snapshot(), after_first);

    let account =
        env.run(&["show", "account", "TC-8001", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(account["view"]["total_outstanding_minor"], 0);
    env.run(&["verify"]).ok();
}

#[test]
fn a_held_line_is_listed_and_applied_to_an_account() {
    let env = Env::sample();
    import(&env);
    let listed = env.run(&["bank", "unmatched"]).ok().to_owned();
    assert!(has_line(&listed, "FNB-1119-0004 2026-11-19 150.00 J SMITH DONATION"), "{listed}");
    let applied =
        env.run(&["bank", "match", "FNB-1119-0004", "--account", "TC-8003", "--amount", "100"]);
    assert!(
        applied.ok().contains("applied 100.00 of bank line FNB-1119-0004"),
        "{}",
        applied.stdout
    );
    let refused =
        env.run(&["bank", "match", "FNB-1119-0004", "--account", "TC-8003", "--amount", "50.01"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stdout.contains("holds 50.00 USD in suspense"), "{}", refused.stdout);
    env.run(&["bank", "match", "FNB-1119-0004", "--account", "TC-8003"]).ok();
    let listed = env.run(&["bank", "unmatched", "--json"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    env.run(&["verify"]).ok();
}

#[test]
fn a_bad_statement_writes_nothing() {
    let env = Env::sample();
    let before = env.snapshot();
    let text = std::fs::read_to_string(data("statement.sta")).unwrap();
    let bad =
        env.write("bad.sta", &text.replace(":62F:C261119USD21345,25", ":62F:C261119USD21345,26"));
    let run = env.run(&["bank", "import", path(&bad)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("bad.sta"), "{}", run.stderr);
    assert_eq!(env.snapshot(), before);
    assert!(env.run(&["bank", "unmatched"]).ok().contains("nothing held in suspense"));
}

#[test]
fn a_returned_item_reverses_the_payment_it_returns_once() {
    let env = Env::sample();
    import(&env);
    let file = data("statement-return.sta");
    let first = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(
        (first["returned"].as_i64(), first["payments_reversed"].as_i64()),
        (Some(1), Some(1))
    );
    let account =
        env.run(&["show", "account", "TC-8001", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(account["view"]["total_outstanding_minor"], 248_000);
    let again = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(
        (again["already_imported"].as_i64(), again["payments_reversed"].as_i64()),
        (Some(1), Some(0))
    );
    let account =
        env.run(&["show", "account", "TC-8001", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(account["view"]["total_outstanding_minor"], 248_000);
    env.run(&["verify"]).ok();
}

#[test]
fn a_return_of_nothing_imported_is_reported_and_posts_nothing() {
    let env = Env::sample();
    let file = data("statement-return.sta");
    let run = env.run(&["bank", "import", path(&file)]);
    assert!(
        run.ok().contains("return FNB-1120-0001: no payment imported from the line it returns"),
        "{}",
        run.stdout
    );
}
