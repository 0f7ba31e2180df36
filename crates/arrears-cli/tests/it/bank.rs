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

const PAYER_RULES: &str = "\
[[rule]]
name = \"payer account\"
kind = \"payer_account\"
";

/// Imports examples/data/statement-iban.sta with the payer account rule alone.
fn import_paid_from_iban(env: &Env) -> serde_json::Value {
    // One credit paid from a German IBAN, naming no reference.
    let statement = data("statement-iban.sta");
    let rules = env.write("rules.toml", PAYER_RULES);
    env.run(&["bank", "import", path(&statement), "--rules", path(&rules), "--json"]).json()
}

#[test]
fn a_registered_payer_account_matches_its_debtor() {
    // Not registered: the rule finds nothing and the line is held.
    let unregistered = import_paid_from_iban(&Env::sample());
    assert_eq!(unregistered["held_in_suspense"], 1, "{unregistered}");
    let env = Env::sample();
    let added = env.run(&[
        "bank",
        "payer",
        "add",
        "de89 3704 0044 0532 0130 00",
        "--debtor",
        "B-2003",
        "--key",
        "payer-1",
    ]);
    assert!(
        added.ok().contains("payer account de89 3704 0044 0532 0130 00 registered on debtor"),
        "{}",
        added.stdout
    );
    let listed = env.run(&["bank", "payer", "list"]).ok().to_owned();
    assert!(has_line(&listed, "D10 B-2003 iban DE89370400440532013000"), "{listed}");
    let imported = import_paid_from_iban(&env);
    assert_eq!(imported["matched_by_rule"]["payer account"], 1, "{imported}");
    assert_eq!(imported["posted_minor"]["USD"], 30_000);
    assert_eq!(imported["held_in_suspense"], 0);
    env.run(&["verify"]).ok();
}

#[test]
fn a_payer_account_with_wrong_check_digits_or_scheme_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    let bad = env.run(&[
        "bank",
        "payer",
        "add",
        "DE89370400440532013001",
        "--debtor",
        "B-2003",
        "--key",
        "p",
    ]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("IBAN \"DE89370400440532013001\" has wrong check digits"),
        "{}",
        bad.stderr
    );
    let scheme = env.run(&[
        "bank",
        "payer",
        "add",
        "032180000118359719",
        "--scheme",
        "cbu",
        "--debtor",
        "B-2003",
        "--key",
        "p",
    ]);
    assert_eq!(scheme.code, 1);
    assert!(scheme.stderr.contains("reads as clabe, not cbu"), "{}", scheme.stderr);
    let missing = env.run(&[
        "bank",
        "payer",
        "remove",
        "032180000118359719",
        "--debtor",
        "B-2003",
        "--key",
        "r",
    ]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("has no payer account"), "{}", missing.stderr);
    assert_eq!(env.snapshot(), before);
    assert!(env.run(&["bank", "payer", "list"]).ok().contains("no payer accounts"));
}

#[test]
fn the_changes_import_registers_and_removes_payer_accounts() {
    let env = Env::sample();
    let file = env.write(
        "changes.csv",
        "key,debtor,change,scheme,number\n\
         P-1,B-2003,payer_account,,DE89 3704 0044 0532 0130 00\n\
         P-2,B-2002,payer_account,rut,12.345.678-5\n\
         P-3,B-2003,payer_account_remove,,DE89370400440532013000\n",
    );
    env.run(&["import", "changes", path(&file)]).ok();
    let listed = env.run(&["bank", "payer", "list", "--json"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["number"], "12345678-5");
    assert_eq!(listed[0]["scheme"], "rut");
    let bad = env.write(
        "bad.csv",
        "key,debtor,change,scheme,number\nP-9,B-2003,payer_account,clabe,ES9221000418450200051332\n",
    );
    let run = env.run(&["import", "changes", path(&bad)]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("bad.csv:2: number: IBAN"), "{}", run.stderr);
}

#[test]
fn stored_rules_are_checked_shown_and_used_by_import() {
    let env = Env::sample();
    let shown = env.run(&["bank", "rules", "show"]).ok().to_owned();
    assert!(shown.starts_with("# The default rules (none stored)"), "{shown}");
    assert!(shown.contains("kind = \"creditor_reference\""), "{shown}");
    let bad = env.write(
        "bad.toml",
        "[[rule]]\nname = \"x\"\nkind = \"payer_account\"\ntolerance_minor = 5\n",
    );
    let refused = env.run(&["bank", "rules", "set", path(&bad), "--key", "rules-0"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("bad.toml:4: rule[0].tolerance_minor"), "{}", refused.stderr);
    assert_eq!(env.run(&["bank", "rules", "show"]).ok(), shown);

    let rules = env.write("rules.toml", PAYER_RULES);
    let set = env.run(&["bank", "rules", "set", path(&rules), "--key", "rules-1"]);
    assert!(set.ok().contains("rules.toml: 1 rules"), "{}", set.stdout);
    assert_eq!(env.run(&["bank", "rules", "show"]).ok(), PAYER_RULES);
    let json = env.run(&["bank", "rules", "show", "--json"]).json();
    assert_eq!(json["rules"][0]["name"], "payer account", "{json}");
    let add = ["bank", "payer", "add", "DE89370400440532013000", "--debtor", "B-2003"];
    env.run(&[&add[..], &["--key", "payer-1"]].concat()).ok();
    // No --rules: the stored ones decide.
    // One credit paid from a German IBAN, naming no reference.
    let statement = data("statement-iban.sta");
    let imported = env.run(&["bank", "import", path(&statement), "--json"]).json();
    assert_eq!(imported["matched_by_rule"]["payer account"], 1, "{imported}");
}

/// A statement returning 150.00 of the line `FNB-1119-0004` (the donation held in suspense).
const RETURNS_DONATION: &str = "\
:20:STMT20261121
:25:US12FNBO0000123456789
:28C:320/1
:60F:C261120USD0,00
:61:2611201120RC150,00NTRFNONREF//FNB-1120-0009
:86:/RTRN/AC04/EREF/FNB-1119-0004/REMI/RETURN
:62F:D261120USD150,00
";

fn held_minor(env: &Env) -> i64 {
    let lines = env.run(&["bank", "unmatched", "--json"]).json();
    let lines = lines.as_array().unwrap().iter();
    lines
        .map(|line| {
            let applied: i64 = line["applied"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["amount_minor"].as_i64().unwrap())
                .sum();
            let returned: i64 = line["returned"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["amount_minor"].as_i64().unwrap())
                .sum();
            line["amount_minor"].as_i64().unwrap() - applied - returned
        })
        .sum()
}

#[test]
fn a_return_of_a_line_held_in_suspense_takes_it_out_once() {
    let env = Env::sample();
    import(&env);
    assert_eq!(held_minor(&env), 33_975);
    let file = env.write("return.sta", RETURNS_DONATION);
    let first = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(first["suspense_returned"], 1, "{first}");
    assert_eq!(first["payments_reversed"], 0);
    assert_eq!(held_minor(&env), 18_975);
    let listed = env.run(&["bank", "unmatched"]).ok().to_owned();
    assert!(!listed.contains("FNB-1119-0004"), "{listed}");
    let again = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(
        (again["already_imported"].as_i64(), again["suspense_returned"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(held_minor(&env), 18_975);
    env.run(&["verify"]).ok();
}

#[test]
fn a_return_of_a_line_applied_from_suspense_reverses_the_payment_and_returns_the_rest() {
    let env = Env::sample();
    import(&env);
    let owed = |env: &Env| {
        let account =
            env.run(&["show", "account", "TC-8003", "--as-of", "2026-11-20", "--json"]).json();
        account["view"]["total_outstanding_minor"].as_i64().unwrap()
    };
    let before = owed(&env);
    env.run(&["bank", "match", "FNB-1119-0004", "--account", "TC-8003", "--amount", "100"]).ok();
    assert_eq!(owed(&env), before - 10_000);
    let file = env.write("return.sta", RETURNS_DONATION);
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(
        (run["payments_reversed"].as_i64(), run["suspense_returned"].as_i64()),
        (Some(1), Some(1)),
        "{run}"
    );
    assert_eq!(owed(&env), before);
    assert_eq!(held_minor(&env), 18_975);
    env.run(&["verify"]).ok();
}

/// Two credits paying invoices by reference: one dated today, one 56 days ahead (beyond the
/// policy's horizon, so the engine refuses its payment; imported with `--allow-future`, as the
/// tool refuses the file without it).
const ONE_AHEAD: &str = "\
:20:STMT20261120B
:25:US12FNBO0000123456789
:28C:321/1
:60F:C261120USD0,00
:61:2611201120C1000,00NTRFNONREF//FNB-1120-0201
:86:Payment INV-10644
:61:2701150115C500,00NTRFNONREF//FNB-1120-0202
:86:Payment INV-10791
:62F:C270115USD1500,00
";

#[test]
fn a_refused_payment_is_held_in_suspense_with_its_reason_and_the_rest_posts() {
    let env = Env::sample();
    let file = env.write("ahead.sta", ONE_AHEAD);
    let run = env.run(&["bank", "import", path(&file), "--allow-future"]);
    let text = run.ok().to_owned();
    assert!(
        text.contains(
            "held in suspense after a refusal: bank:FNB-1120-0202/1: payment dated 2027-01-15"
        ),
        "{text}"
    );
    let summary = env.run(&["bank", "import", path(&file), "--allow-future", "--json"]).json();
    assert_eq!(summary["already_imported"], 2, "{summary}");
    let env = Env::sample();
    let file = env.write("ahead.sta", ONE_AHEAD);
    let summary = env.run(&["bank", "import", path(&file), "--allow-future", "--json"]).json();
    // Posted plus held is the statement's credits, the refused line among the held.
    assert_eq!(summary["posted_minor"]["USD"], 100_000, "{summary}");
    assert_eq!(summary["suspense_minor"]["USD"], 50_000);
    assert_eq!(summary["payments_posted"], 1);
    assert_eq!(summary["held_in_suspense"], 1);
    assert_eq!(summary["rejected"].as_array().unwrap().len(), 0);
    let listed = env.run(&["bank", "unmatched"]).ok().to_owned();
    assert!(listed.contains("FNB-1120-0202"), "{listed}");
    env.run(&["verify"]).ok();
}

#[test]
fn the_report_gives_the_match_rate_by_rule_and_ages_suspense() {
    let env = Env::sample();
    import(&env);
    let report = env.run(&["bank", "report", "--as-of", "2026-11-20"]).ok().to_owned();
    assert!(has_line(&report, "credit lines imported: 4"), "{report}");
    assert!(has_line(&report, "RF reference USD 1 25.0% 2480.00 21.8% 2480.00"), "{report}");
    assert!(
        has_line(&report, "reference in remittance USD 2 50.0% 8740.25 76.9% 8550.50"),
        "{report}"
    );
    assert!(has_line(&report, "(no rule) USD 1 25.0% 150.00 1.3% 0.00"), "{report}");
    // Both held lines are valued 2026-11-19: the buckets end at 7, 30 and 90 days.
    for (as_of, bucket) in [
        ("2026-11-26", "0-7"),
        ("2026-11-27", "8-30"),
        ("2027-02-17", "31-90"),
        ("2027-02-18", "90+"),
    ] {
        let json = env.run(&["bank", "report", "--as-of", as_of, "--json"]).json();
        let aging = &json["suspense_aging"];
        assert_eq!(aging.as_array().unwrap().len(), 1, "{json}");
        assert_eq!(aging[0]["bucket"], bucket, "{as_of}: {json}");
        assert_eq!(aging[0]["held_minor"], 33_975);
        assert_eq!(aging[0]["lines"], 2);
    }
    // Posted plus held by rule is what the lines brought.
    let json = env.run(&["bank", "report", "--json"]).json();
    let rows = json["by_rule"].as_array().unwrap();
    let amount: i64 = rows.iter().map(|row| row["amount_minor"].as_i64().unwrap()).sum();
    assert_eq!(amount, json["credits_minor"]["USD"].as_i64().unwrap());
    assert_eq!(amount, 1_137_025);
}

/// What a generated statement line's remittance says: invoices and an account of the sample
/// portfolio by reference, an RF reference, or nothing any rule knows.
const REMITTANCES: [&str; 7] = [
    "Payment INV-10644",
    "INV-10791 and INV-10388",
    "Bluebird Cafe TC-8002",
    "/REMI/RF83 INV1 0791",
    "INV-30077",
    "DONATION",
    "INV-99999 unknown",
];

/// An MT940 statement of `lines` (amount in cents, remittance index, credit or debit), with
/// balances that agree.
fn generated_statement(lines: &[(i64, usize, bool)]) -> String {
    let mut text =
        String::from(":20:GEN\n:25:US12FNBO0000123456789\n:28C:1/1\n:60F:C261118USD0,00\n");
    let mut balance = 0;
    for (index, (cents, remittance, credit)) in lines.iter().enumerate() {
        let mark = if *credit { 'C' } else { 'D' };
        balance += if *credit { *cents } else { -*cents };
        let amount = format!("{},{:02}", cents / 100, cents % 100);
        text.push_str(&format!(":61:2611191119{mark}{amount}NTRFNONREF//GEN-{index}\n"));
        text.push_str(&format!(":86:{}\n", REMITTANCES[*remittance]));
    }
    let mark = if balance < 0 { 'D' } else { 'C' };
    let closing = format!("{},{:02}", balance.abs() / 100, balance.abs() % 100);
    text.push_str(&format!(":62F:{mark}261119USD{closing}\n"));
    text
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 8, ..Default::default() })]

    /// Whatever a statement holds: posted plus held in suspense is its credits, every credit
    /// line is recorded for the report, and importing it again changes nothing.
    #[test]
    fn prop_an_import_accounts_for_every_credit_and_twice_is_a_no_op(
        lines in proptest::collection::vec((1i64..1_500_000, 0usize..7, proptest::bool::weighted(0.85)), 1..7),
    ) {
        let env = Env::sample();
        let file = env.write("generated.sta", &generated_statement(&lines));
        let first = env.run(&["bank", "import", path(&file), "--json"]).json();
        let credits: i64 = lines.iter().filter(|line| line.2).map(|line| line.0).sum();
        let minor = |value: &serde_json::Value| value["USD"].as_i64().unwrap_or(0);
        proptest::prop_assert_eq!(minor(&first["credits_minor"]), credits, "{}", first);
        proptest::prop_assert_eq!(
            minor(&first["posted_minor"]) + minor(&first["suspense_minor"]),
            credits,
            "{}",
            first
        );
        let report = env.run(&["bank", "report", "--json"]).json();
        proptest::prop_assert_eq!(minor(&report["credits_minor"]), credits);
        let after_first = env.snapshot();
        let held_after_first = env.run(&["bank", "unmatched", "--json"]).json();
        let second = env.run(&["bank", "import", path(&file), "--json"]).json();
        let credit_lines = lines.iter().filter(|line| line.2).count();
        proptest::prop_assert_eq!(second["already_imported"].as_u64(), Some(credit_lines as u64));
        proptest::prop_assert_eq!(second["payments_posted"].as_u64(), Some(0));
        proptest::prop_assert_eq!(env.snapshot(), after_first);
        proptest::prop_assert_eq!(env.run(&["bank", "unmatched", "--json"]).json(), held_after_first);
    }
}

/// chrono's `%Y` reads any number of digits, so a bank export that writes the year short
/// (`18/11/26`) under a mapping's `%d/%m/%Y` was the year 26: the line was imported and held in
/// suspense, dated 0026-11-18, with exit 0. A `%Y` year has four digits; the file is refused,
/// naming the line, and nothing is written.
#[test]
fn a_csv_statement_with_a_short_year_is_refused() {
    let env = Env::sample();
    let mapping = env.write(
        "us.toml",
        "account = \"US12345\"\ncurrency = \"USD\"\ndelimiter = \",\"\nheader = true\n\
         date_format = \"%d/%m/%Y\"\n[columns]\nbooking_date = \"date\"\namount = \"amount\"\n\
         reference = \"ref\"\nremittance = \"memo\"\n",
    );
    let statement = env.write(
        "short-year.csv",
        "date,amount,ref,memo\n18/11/2026,10.00,SY-1,TC-8002\n18/11/26,10.00,SY-2,TC-8002\n",
    );
    let before = env.snapshot();
    let run = env.run(&[
        "bank",
        "import",
        path(&statement),
        "--format",
        "csv",
        "--mapping",
        path(&mapping),
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
    assert!(run.stderr.contains("18/11/26"), "{}", run.stderr);
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.run(&["bank", "unmatched"]).ok(), "nothing held in suspense\n");
}

/// An empty (or blank) rules file passed every check of the file and was refused by the engine
/// as `error: invalid text: is 0 bytes, ...`, naming neither the file nor a flag. The error
/// names the file now; nothing is stored either way.
#[test]
fn an_empty_rules_file_is_named() {
    let env = Env::sample();
    for (name, text) in [("empty.toml", ""), ("blank.toml", "\n  \n")] {
        let file = env.write(name, text);
        let run = env.run(&["bank", "rules", "set", path(&file), "--key", "RULES-EMPTY"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert_eq!(
            run.stderr,
            format!(
                "error: {}: invalid text: is {} bytes, 1 to 262144 allowed (not only white \
                 space)\n",
                path(&file),
                text.len()
            )
        );
    }
    let shown = env.run(&["bank", "rules", "show"]);
    assert!(shown.ok().starts_with("# The default rules (none stored)"), "{}", shown.stdout);
}

fn owed(env: &Env, account: &str) -> i64 {
    let view = env.run(&["show", "account", account, "--as-of", "2026-11-20", "--json"]).json();
    view["view"]["total_outstanding_minor"].as_i64().unwrap()
}

/// Another account's statement (or another day's) whose line carries a bank reference already
/// imported: a bank's reference is unique per account at most (MT940 `:61:` subfield 8, camt
/// `AcctSvcrRef`), and composed keys repeat (`:20:/:28C:/n` of a bank that writes the same
/// `:20:` and `:28C:` every day). The line is another movement, not the one imported: it was
/// counted `already imported` and its cash was neither posted nor held, with exit 0. It is
/// imported under `<ref>@<value date>/<signed amount>` now, reported, and once only.
#[test]
fn a_bank_reference_reused_by_another_line_is_imported_once_under_another_key() {
    let env = Env::sample();
    import(&env);
    let other = env.write(
        "other.sta",
        ":20:OTHER\n:25:US99FNBO0000999999999\n:28C:1/1\n:60F:C261120USD0,00\n\
         :61:2611201120C99,00NTRFNONREF//FNB-1118-0001\n:86:Payment ST-7001-2610\n\
         :61:2611201120C1,00NTRFNONREF//FNB-OTHER-2\n:86:Payment ST-7001-2610\n\
         :62F:C261120USD100,00\n",
    );
    let summary = env.run(&["bank", "import", path(&other), "--json"]).json();
    assert_eq!(summary["already_imported"], 0, "{summary}");
    assert_eq!(summary["posted_minor"]["USD"], 10_000, "{summary}");
    assert_eq!(
        summary["references_reused"][0],
        "bank reference FNB-1118-0001 was imported before for another line (2026-11-18, \
         7240.25 USD); this line (2026-11-20, 99.00 USD) is imported as \
         FNB-1118-0001@2026-11-20/9900",
        "{summary}"
    );
    let after = env.snapshot();
    let again = env.run(&["bank", "import", path(&other)]).ok().to_owned();
    assert!(has_line(&again, "already imported: 2"), "{again}");
    assert!(!again.contains("reference reused"), "{again}");
    assert_eq!(env.snapshot(), after);
    // The first statement again is still already imported.
    let first = import(&env);
    assert_eq!(first["already_imported"], 4, "{first}");
    assert_eq!(first["references_reused"].as_array().unwrap().len(), 0);
    // A return of another day under a reference a credit line used.
    let file = env.write(
        "return.sta",
        ":20:R\n:25:US12FNBO0000123456789\n:28C:1/1\n:60F:C261120USD0,00\n\
         :61:2611201120RC150,00NTRFNONREF//FNB-1118-0001\n\
         :86:/RTRN/AC04/EREF/FNB-1119-0004/REMI/RETURN\n:62F:D261120USD150,00\n",
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["suspense_returned"], 1, "{run}");
    assert_eq!(run["references_reused"].as_array().unwrap().len(), 1, "{run}");
    let again = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(
        (again["already_imported"].as_i64(), again["suspense_returned"].as_i64()),
        (Some(1), Some(0)),
        "{again}"
    );
    env.run(&["verify"]).ok();
}

/// A return whose amount is not the amount of the line it names (a word of its remittance, or
/// an end-to-end id that happens to equal an earlier line's reference) undid that whole line:
/// 1.00 returned, 2,480.00 of payments reversed. A return undoes a line only for its amount,
/// in its currency, and only as a debit (cash going back); otherwise it is reported.
#[test]
fn a_return_of_another_amount_undoes_nothing_and_is_reported() {
    let env = Env::sample();
    import(&env);
    let before = owed(&env, "TC-8001");
    let file = env.write(
        "return.sta",
        ":20:STMT20261120\n:25:US12FNBO0000123456789\n:28C:319/1\n:60F:C261119USD100,00\n\
         :61:2611201120RC1,00NTRFNONREF//FNB-1120-0001\n\
         :86:/RTRN/AC04/EREF/FNB-1118-0002/REMI/RETURN\n:62F:C261120USD99,00\n",
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["payments_reversed"], 0, "{run}");
    assert_eq!(run["returns_unmatched"][0], "FNB-1120-0001", "{run}");
    assert_eq!(owed(&env, "TC-8001"), before);
    let text = env.run(&["bank", "import", path(&file)]).ok().to_owned();
    assert!(
        text.contains(
            "return FNB-1120-0001: 1.00 USD; line FNB-1118-0002 brought 2480.00 USD, not undone"
        ),
        "{text}"
    );
    // A reversed debit (booked as a credit) never undoes a credit line.
    let credit = env.write(
        "rd.sta",
        ":20:STMT20261120\n:25:US12FNBO0000123456789\n:28C:319/1\n:60F:C261119USD100,00\n\
         :61:2611201120RD2480,00NTRFNONREF//FNB-1120-0002\n\
         :86:/RTRN/AC04/EREF/FNB-1118-0002/REMI/RETURN\n:62F:C261120USD2580,00\n",
    );
    let run = env.run(&["bank", "import", path(&credit), "--json"]).json();
    assert_eq!(run["payments_reversed"], 0, "{run}");
    assert_eq!(owed(&env, "TC-8001"), before);
    env.run(&["verify"]).ok();
}

/// A statement holding a payment and its return (a monthly camt.053, a weekly MT940): the
/// return was planned before the payment was written, found nothing, was reported as
/// returning nothing and the payment stayed posted; importing the file again then reversed it.
/// A return undoes a line of its own import as it undoes one imported before.
#[test]
fn a_return_in_the_same_statement_as_its_payment_undoes_it() {
    let env = Env::sample();
    let before = owed(&env, "TC-8001");
    let file = env.write(
        "both.sta",
        ":20:STMT20261120\n:25:US12FNBO0000123456789\n:28C:319/1\n:60F:C261119USD0,00\n\
         :61:2611191119C2480,00NTRFNONREF//FNB-1119-0101\n:86:Payment INV-10791\n\
         :61:2611191119C150,00NTRFNONREF//FNB-1119-0102\n:86:J SMITH DONATION\n\
         :61:2611201120RC2480,00NTRFNONREF//FNB-1120-0103\n\
         :86:/RTRN/AC04/EREF/FNB-1119-0101/REMI/RETURN\n\
         :61:2611201120RC150,00NTRFNONREF//FNB-1120-0104\n\
         :86:/RTRN/AC04/EREF/FNB-1119-0102/REMI/RETURN\n:62F:C261120USD0,00\n",
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["returns_unmatched"].as_array().unwrap().len(), 0, "{run}");
    assert_eq!(run["payments_reversed"], 1, "{run}");
    assert_eq!(run["suspense_returned"], 1, "{run}");
    assert_eq!(owed(&env, "TC-8001"), before);
    assert_eq!(held_minor(&env), 0);
    let again = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(again["already_imported"], 4, "{again}");
    assert_eq!(again["payments_reversed"], 0, "{again}");
    assert_eq!(owed(&env, "TC-8001"), before);
    env.run(&["verify"]).ok();
}

/// A credit line of 0.00 (some banks book notices so) carries no cash; the import failed whole
/// on it (`error: key bank:Z-1/matched: invalid amount: must be positive`), naming no line of
/// the statement, and the good lines were not imported. It is counted and nothing is written
/// for it.
#[test]
fn a_zero_amount_line_is_counted_and_the_rest_imports() {
    let env = Env::sample();
    let file = env.write(
        "zero.sta",
        ":20:Z\n:25:US99FNBO0000999999999\n:28C:1/1\n:60F:C261120USD0,00\n\
         :61:2611201120C0,00NTRFNONREF//Z-1\n:86:Payment ST-7001-2610\n\
         :61:2611201120C10,00NTRFNONREF//Z-2\n:86:Payment ST-7001-2610\n\
         :62F:C261120USD10,00\n",
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["credits"], 2, "{run}");
    assert_eq!(run["zero_amount"], 1, "{run}");
    assert_eq!(run["payments_posted"], 1, "{run}");
    assert_eq!(run["held_in_suspense"], 0, "{run}");
    let text = env.run(&["bank", "import", path(&file)]).ok().to_owned();
    assert!(has_line(&text, "already imported: 1"), "{text}");
    assert!(has_line(&text, "zero-amount lines (no cash): 1"), "{text}");
    env.run(&["verify"]).ok();
}

/// An MT940 `:86:` holds up to 6 lines of 65 characters (camt `Ustrd` repeats, 140 each), but
/// a held line's texts are at most 256 bytes: an unmatched line with a long remittance failed
/// the whole import (`error: key bank:L-2: invalid line.remittance: is 333 bytes`), a valid
/// statement that could never be imported. The held line keeps the first 256 bytes (at a
/// character boundary); matching reads the whole text.
#[test]
fn a_long_remittance_is_held_shortened_and_the_statement_imports() {
    let env = Env::sample();
    let long = "\u{c4}X".repeat(32);
    let file = env.write(
        "long.sta",
        &format!(
            ":20:L\n:25:US99FNBO0000999999999\n:28C:1/1\n:60F:C261120USD0,00\n\
             :61:2611201120C10,00NTRFNONREF//L-1\n:86:Payment ST-7001-2610\n\
             :61:2611201120C10,00NTRFNONREF//L-2\n:86:DONATION {long}\n{long}\n{long}\n\
             {long}\n{long}\n:62F:C261120USD20,00\n"
        ),
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["payments_posted"], 1, "{run}");
    assert_eq!(run["held_in_suspense"], 1, "{run}");
    let held = env.run(&["bank", "unmatched", "--json"]).json();
    let remittance = held[0]["remittance"].as_str().unwrap();
    assert!(remittance.starts_with("DONATION \u{c4}X"), "{remittance}");
    assert!(remittance.len() <= 256 && remittance.len() > 250, "{}", remittance.len());
    env.run(&["verify"]).ok();
}

/// A return dated before the value date of the line it returns from suspense (a storno value
/// dated back): `ReturnCash` refuses it with an error, which failed the whole import, the
/// unrelated lines and reversals with it (`error: key bank:R-1/1: invalid effective_on`). It
/// is reported in `rejected` as the import's other refusals are, and the rest is written.
#[test]
fn a_return_dated_before_the_held_line_is_rejected_and_the_rest_imports() {
    let env = Env::sample();
    import(&env);
    let file = env.write(
        "early.sta",
        ":20:R\n:25:US12FNBO0000123456789\n:28C:1/1\n:60F:C261120USD0,00\n\
         :61:2611181118RC150,00NTRFNONREF//R-1\n\
         :86:/RTRN/AC04/EREF/FNB-1119-0004/REMI/RETURN\n\
         :61:2611181118C5,00NTRFNONREF//R-3\n:86:DONATION\n:62F:D261120USD145,00\n",
    );
    let run = env.run(&["bank", "import", path(&file)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "rejected: bank:R-1: return of bank line FNB-1119-0004 from suspense on 2026-11-18 \
             is before its value date 2026-11-19: not returned"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("no payment imported"), "{}", run.stdout);
    assert_eq!(held_minor(&env), 33_975 + 500);
    // In one statement with the line it returns.
    let env = Env::sample();
    let both = env.write(
        "both.sta",
        ":20:R\n:25:US12FNBO0000123456789\n:28C:1/1\n:60F:C261120USD0,00\n\
         :61:2611191119C150,00NTRFNONREF//H-1\n:86:DONATION\n\
         :61:2611181118RC150,00NTRFNONREF//R-1\n:86:/RTRN/AC04/EREF/H-1/REMI/RETURN\n\
         :62F:C261120USD0,00\n",
    );
    let run = env.run(&["bank", "import", path(&both)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("rejected: bank:R-1: return of bank line H-1"), "{}", run.stdout);
    assert_eq!(held_minor(&env), 15_000);
    env.run(&["verify"]).ok();
}

/// An invoice whose own reference is an RF creditor reference (issued so, printed in groups)
/// was indexed only under the RF reference derived from it (`RFnnRF18...`), so the
/// `creditor_reference` rule never found the payment quoting it (held in suspense). A stored
/// reference that is itself a valid RF reference is looked up as itself.
#[test]
fn an_obligation_whose_reference_is_an_rf_reference_is_paid_by_it() {
    let env = Env::sample();
    let obligations = env.write(
        "rf.csv",
        "external_id,account,kind,issued_on,due_on,principal,interest,fee\n\
         RF18 5390 0754 7034,TC-8002,invoice,2026-11-01,2026-11-30,250.00,,\n",
    );
    env.run(&["import", "obligations", path(&obligations)]).ok();
    let rules = env.write("rf.toml", "[[rule]]\nname = \"rf\"\nkind = \"creditor_reference\"\n");
    let statement = env.write(
        "rf.sta",
        ":20:F\n:25:US99FNBO0000999999999\n:28C:1/1\n:60F:C261120USD0,00\n\
         :61:2611201120C250,00NTRFNONREF//RF-1\n:86:/CDTRREF/rf18 5390 0754 7034/REMI/Invoice\n\
         :62F:C261120USD250,00\n",
    );
    let run =
        env.run(&["bank", "import", path(&statement), "--rules", path(&rules), "--json"]).json();
    assert_eq!(run["matched_by_rule"]["rf"], 1, "{run}");
    assert_eq!(run["posted_minor"]["USD"], 25_000, "{run}");
    env.run(&["verify"]).ok();
}

/// A SEPA return carries the original payment's end-to-end id, not the bank's reference of the
/// line that brought it: in a statement holding both, the return finds the line by it.
#[test]
fn a_return_finds_a_line_of_the_same_statement_by_its_end_to_end_id() {
    let env = Env::sample();
    let before = owed(&env, "TC-8001");
    let file = env.write(
        "e2e.sta",
        ":20:STMT20261120\n:25:US12FNBO0000123456789\n:28C:319/1\n:60F:C261119USD0,00\n\
         :61:2611191119C2480,00NTRFNONREF//FNB-1119-0201\n:86:/EREF/E2E-77/REMI/INV-10791\n\
         :61:2611201120RC2480,00NTRFNONREF//FNB-1120-0202\n\
         :86:/RTRN/MD06/EREF/E2E-77/REMI/RETURN\n:62F:C261120USD0,00\n",
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["payments_reversed"], 1, "{run}");
    assert_eq!(run["returns_unmatched"].as_array().unwrap().len(), 0, "{run}");
    assert_eq!(owed(&env, "TC-8001"), before);
    // Three lines giving one end-to-end id: the return cannot tell which it returns.
    let three = env.write(
        "three.sta",
        ":20:STMT20261121\n:25:US12FNBO0000123456789\n:28C:320/1\n:60F:C261120USD0,00\n\
         :61:2611201120C10,00NTRFNONREF//T-1\n:86:/EREF/E2E-88/REMI/DONATION\n\
         :61:2611201120C10,00NTRFNONREF//T-2\n:86:/EREF/E2E-88/REMI/DONATION\n\
         :61:2611201120C10,00NTRFNONREF//T-3\n:86:/EREF/E2E-88/REMI/DONATION\n\
         :61:2611201120RC10,00NTRFNONREF//T-4\n:86:/RTRN/MD06/EREF/E2E-88/REMI/RETURN\n\
         :62F:C261120USD20,00\n",
    );
    let run = env.run(&["bank", "import", path(&three), "--json"]).json();
    assert_eq!(run["suspense_returned"], 0, "{run}");
    assert_eq!(run["returns_unmatched"][0], "T-4", "{run}");
    env.run(&["verify"]).ok();
}

/// A camt entry: its `AcctSvcrRef`, amount, day of November 2026 and remittance.
type CamtEntry<'a> = (&'a str, &'a str, u32, &'a str);

/// A camt.053.001.08 of several statements of the sample's bank account, each given as its id
/// and entries (`AcctSvcrRef`, amount, day of November 2026, remittance), all credits; each
/// statement opens at zero.
fn camt_statements(statements: &[(&str, &[CamtEntry])]) -> String {
    let statements: String = statements
        .iter()
        .map(|(id, entries)| {
            let closing_minor: i64 = entries
                .iter()
                .map(|(_, amount, _, _)| amount.replace('.', "").parse::<i64>().unwrap())
                .sum();
            let balance = |code: &str, minor: i64| {
                format!(
                    "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>\
                     <Amt Ccy=\"USD\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                     <Dt><Dt>2026-11-20</Dt></Dt></Bal>\n",
                    minor / 100,
                    minor % 100
                )
            };
            let entries: String = entries
                .iter()
                .map(|(servicer, amount, day, remittance)| {
                    format!(
                        "<Ntry><Amt Ccy=\"USD\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                         <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-{day}</Dt></BookgDt>\
                         <ValDt><Dt>2026-11-{day}</Dt></ValDt>\
                         <AcctSvcrRef>{servicer}</AcctSvcrRef>\
                         <NtryDtls><TxDtls><RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>\
                         </TxDtls></NtryDtls></Ntry>\n"
                    )
                })
                .collect();
            format!(
                "<Stmt><Id>{id}</Id>\n<Acct><Id><IBAN>US12FNBO0000123456789</IBAN></Id>\
                 <Ccy>USD</Ccy></Acct>\n{}{}{entries}</Stmt>\n",
                balance("OPBD", 0),
                balance("CLBD", closing_minor)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n<BkToCstmrStmt>\n\
         <GrpHdr><MsgId>FNB-053-1120</MsgId><CreDtTm>2026-11-20T06:00:00</CreDtTm></GrpHdr>\n\
         {statements}</BkToCstmrStmt>\n</Document>\n"
    )
}

/// One camt.053 holding two statements of one account whose days overlap (the 18th to the
/// 19th, then the 19th to the 20th) gives the entry of the 19th in both, under one
/// `AcctSvcrRef`: the parser made the second `CAMT-0002#2` and the import posted the payment
/// twice, paying 4,960.00 against INV-10791's 2,480.00 and doubling the cash. The servicer's
/// reference identifies the entry for the bank: it is one movement, posted once, the repeat
/// counted (`repeated_in_file`). The file again, or the entry again in a later file (a
/// camt.054 of the day), changes nothing.
#[test]
fn two_camt_statements_sharing_an_entry_post_it_once() {
    let env = Env::sample();
    let before = owed(&env, "TC-8001");
    let shared = ("CAMT-0002", "2480.00", 19, "Payment INV-10791");
    let donation = ("CAMT-0003", "150.00", 20, "J SMITH DONATION");
    let text = camt_statements(&[
        ("STMT-1119", &[("CAMT-0001", "10.00", 18, "DONATION"), shared]),
        ("STMT-1120", &[shared, donation]),
    ]);
    let file = env.write("overlap.xml", &text);
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["lines_read"], 4, "{run}");
    // The cash is in the books once: posted and held add up to the three movements.
    assert_eq!(run["suspense_minor"]["USD"], 16_000, "{run}");
    assert_eq!(run["payments_posted"], 1, "{run}");
    assert_eq!(run["repeated_in_file"], 1, "{run}");
    assert_eq!(run["credits"], 3, "{run}");
    assert_eq!(run["posted_minor"]["USD"], 248_000, "{run}");
    assert_eq!(run["credits_minor"]["USD"], 248_000 + 16_000, "{run}");
    assert_eq!(run["references_repeated_in_file"].as_array().unwrap().len(), 0, "{run}");
    // INV-10791 paid, nothing more, and only the two donations held.
    assert_eq!(owed(&env, "TC-8001"), before - 248_000);
    assert_eq!(held_minor(&env), 16_000);
    let text = env.run(&["bank", "import", path(&file)]).ok().to_owned();
    assert!(has_line(&text, "repeated in the file (imported once): 1"), "{text}");
    assert!(has_line(&text, "already imported: 3"), "{text}");
    let after = env.snapshot();
    // The same entry in a later file (the day's camt.054, sent before or after) is known.
    let later = env.write("later.xml", &camt_statements(&[("STMT-1119-B", &[shared])]));
    let run = env.run(&["bank", "import", path(&later), "--json"]).json();
    assert_eq!(
        (run["already_imported"].as_i64(), run["repeated_in_file"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(env.snapshot(), after);
    assert_eq!(owed(&env, "TC-8001"), before - 248_000);
    env.run(&["verify"]).ok();
}

/// A servicer's reference given again in the file for another movement (another amount) is
/// not taken for the first: both are imported, the second under `<ref>#2`, and reported,
/// for the bank's reference was to be unique. Refusing the file would block a day's cash
/// that both statements' balances count; merging would lose one movement.
#[test]
fn a_servicer_reference_repeated_for_another_movement_is_imported_and_reported() {
    let env = Env::sample();
    let text = camt_statements(&[
        ("STMT-1119", &[("CAMT-0009", "10.00", 19, "DONATION")]),
        ("STMT-1120", &[("CAMT-0009", "12.00", 19, "DONATION")]),
    ]);
    let file = env.write("other.xml", &text);
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["repeated_in_file"], 0, "{run}");
    assert_eq!(run["held_in_suspense"], 2, "{run}");
    assert_eq!(run["suspense_minor"]["USD"], 2_200, "{run}");
    assert_eq!(
        run["references_repeated_in_file"][0],
        "bank reference CAMT-0009 of line 9 (Document/BkToCstmrStmt/Stmt[1]/Ntry[1]) is given \
         again at line 15 (Document/BkToCstmrStmt/Stmt[2]/Ntry[1]) for another movement \
         (2026-11-19, 12.00 USD); that line is imported as CAMT-0009#2",
        "{run}"
    );
    let listed = env.run(&["bank", "unmatched"]).ok().to_owned();
    assert!(has_line(&listed, "CAMT-0009#2 2026-11-19 12.00 DONATION"), "{listed}");
    let after = env.snapshot();
    let again = env.run(&["bank", "import", path(&file)]).ok().to_owned();
    assert!(has_line(&again, "already imported: 2"), "{again}");
    assert!(again.contains("reference repeated: bank reference CAMT-0009 of line 9"), "{again}");
    assert_eq!(env.snapshot(), after);
    env.run(&["verify"]).ok();
}

/// An MT940 file of two messages of one account whose days overlap (a statement sent again
/// with the next day's) gives the `:61:` of the 19th in both, with one `//` bank reference:
/// it was posted twice. It is one movement, posted once; the owner's reference (the payer's)
/// repeating stays two movements.
#[test]
fn two_mt940_messages_sharing_a_bank_reference_post_it_once() {
    let env = Env::sample();
    let before = owed(&env, "TC-8001");
    let file = env.write(
        "twice.sta",
        ":20:STMT20261119\n:25:US12FNBO0000123456789\n:28C:318/1\n:60F:C261118USD0,00\n\
         :61:2611191119C2480,00NTRFNONREF//FNB-1119-0301\n:86:Payment INV-10791\n\
         :61:2611191119C5,00NTRFGIFT-1\n:86:DONATION\n:62F:C261119USD2485,00\n\
         :20:STMT20261120\n:25:US12FNBO0000123456789\n:28C:319/1\n:60F:C261119USD0,00\n\
         :61:2611191119C2480,00NTRFNONREF//FNB-1119-0301\n:86:Payment INV-10791\n\
         :61:2611191119C5,00NTRFGIFT-1\n:86:DONATION\n:62F:C261120USD2485,00\n",
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    // The owner's references are the payer's: two gifts of 5.00 held, and nothing else.
    assert_eq!(run["suspense_minor"]["USD"], 1_000, "{run}");
    assert_eq!(run["held_in_suspense"], 2, "{run}");
    assert_eq!(run["payments_posted"], 1, "{run}");
    assert_eq!(run["posted_minor"]["USD"], 248_000, "{run}");
    assert_eq!(run["repeated_in_file"], 1, "{run}");
    assert_eq!(owed(&env, "TC-8001"), before - 248_000);
    let after = env.snapshot();
    let again = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(again["already_imported"], 3, "{again}");
    assert_eq!(env.snapshot(), after);
    env.run(&["verify"]).ok();
}

/// A statement line dated 2062 (a typo for 2026) was imported: the engine refused its payment
/// as dated ahead and held the cash in suspense under a value date decades away, and the
/// balances every other line of the file was matched against were taken as of 2062. A line
/// booked or valued beyond the horizon of dates refuses the file, naming the line; nothing is
/// written. `--allow-future` lets it in.
#[test]
fn a_statement_line_beyond_the_horizon_refuses_the_file() {
    let env = Env::sample();
    let mapping = env.write(
        "us.toml",
        "account = \"US12345\"\ncurrency = \"USD\"\ndelimiter = \",\"\nheader = true\n\
         date_format = \"%d/%m/%Y\"\n[columns]\nbooking_date = \"date\"\namount = \"amount\"\n\
         reference = \"ref\"\nremittance = \"memo\"\n",
    );
    let statement = env.write(
        "typo.csv",
        "date,amount,ref,memo\n18/11/2026,10.00,FY-1,TC-8002\n18/11/2062,10.00,FY-2,TC-8002\n",
    );
    let before = env.snapshot();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "bank",
            "import",
            path(&statement),
            "--format",
            "csv",
            "--mapping",
            path(&mapping),
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let run = import(&[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        format!(
            "error: statement {}, line 3 (bank reference FY-2): value date 2062-11-18 is 13147 \
             days after today (2026-11-20); the policy's horizon is 31 days ([dates] \
             future_days_max); pass --allow-future if the date is right; nothing was imported\n",
            path(&statement)
        )
    );
    assert_eq!(env.snapshot(), before);
    // The user says the date is right: the file imports, and the engine holds the cash of a
    // payment dated ahead in suspense.
    let allowed = import(&["--allow-future", "--json"]).json();
    assert_eq!(allowed["payments_posted"], 1, "{allowed}");
    assert_eq!(allowed["held_after_refusal"].as_array().unwrap().len(), 1, "{allowed}");
}

/// A SEPA direct debit returned in a later statement: the return gives the collection's
/// end-to-end id (`/EREF/`), not the bank's reference of the credit line, which a statement of
/// its own had imported. The return found nothing (`returns_unmatched`) and the payment stayed
/// posted: the debt looked paid. The credit line's end-to-end id is recorded with its match,
/// and a return in any later import finds it by that id; a collection presented again under
/// the same id and returned again undoes the latest line that gave it.
#[test]
fn a_return_in_a_later_statement_finds_its_line_by_end_to_end_id() {
    let env = Env::sample();
    let owed = |account: &str| {
        let view = env.run(&["show", "account", account, "--as-of", "2026-11-30", "--json"]);
        view.json()["view"]["total_outstanding_minor"].as_i64().unwrap()
    };
    let before = owed("TC-8001");
    // One line a statement, opening at 0.00: the closing balance is the line's amount, a
    // credit's (C) or a return's (D).
    let statement = |name: &str, number: u32, lines: &str| {
        let closing = if lines.contains("RC2480,00") { "D" } else { "C" };
        env.write(
            name,
            &format!(
                ":20:STMT{number}\n:25:US12FNBO0000123456789\n:28C:{number}/1\n\
                 :60F:C261101USD0,00\n{lines}:62F:{closing}261130USD2480,00\n"
            ),
        )
    };
    let collected = statement(
        "collected.sta",
        330,
        ":61:2611191119C2480,00NTRFNONREF//FNB-1119-0301\n\
         :86:/EREF/SDD-8001-11/REMI/Payment INV-10791\n",
    );
    let run = env.run(&["bank", "import", path(&collected), "--json"]).json();
    assert_eq!(run["payments_posted"], 1, "{run}");
    assert_eq!(owed("TC-8001"), before - 248_000);

    let returned = statement(
        "returned.sta",
        331,
        ":61:2611201120RC2480,00NTRFNONREF//FNB-1120-0302\n\
         :86:/RTRN/MD06/EREF/SDD-8001-11/REMI/RETURN\n",
    );
    let run = env.run(&["bank", "import", path(&returned), "--json"]).json();
    assert_eq!(run["returns_unmatched"].as_array().unwrap().len(), 0, "{run}");
    assert_eq!(run["payments_reversed"], 1, "{run}");
    assert_eq!(owed("TC-8001"), before);
    // Imported again, the return changes nothing.
    let again = env.run(&["bank", "import", path(&returned), "--json"]).json();
    assert_eq!(again["already_imported"], 1, "{again}");
    assert_eq!(owed("TC-8001"), before);

    // Presented again under the same end-to-end id, and returned again.
    let represented = statement(
        "represented.sta",
        332,
        ":61:2611251125C2480,00NTRFNONREF//FNB-1125-0303\n\
         :86:/EREF/SDD-8001-11/REMI/Payment INV-10791\n",
    );
    env.run(&["bank", "import", path(&represented)]).ok();
    assert_eq!(owed("TC-8001"), before - 248_000);
    let returned_again = statement(
        "returned-again.sta",
        333,
        ":61:2611261126RC2480,00NTRFNONREF//FNB-1126-0304\n\
         :86:/RTRN/AM04/EREF/SDD-8001-11/REMI/RETURN\n",
    );
    let run = env.run(&["bank", "import", path(&returned_again), "--json"]).json();
    assert_eq!(run["payments_reversed"], 1, "{run}");
    assert_eq!(run["rejected"].as_array().unwrap().len(), 0, "{run}");
    assert_eq!(owed("TC-8001"), before);
    env.run(&["verify"]).ok();
}

/// The balances a statement is matched against are taken as of its latest value date, so an
/// invoice issued after a line's value date was among what that line paid: the engine refused
/// the part (a payment to an obligation not yet issued) and it went to suspense as a refusal,
/// although the account owed nothing more that day. A line pays only what was issued by its
/// value date; what exceeds it is held in suspense as unmatched excess, with no refusal.
#[test]
fn a_line_does_not_pay_an_invoice_issued_after_its_value_date() {
    let env = Env::sample();
    let owed_on = |on: &str| {
        let view = env.run(&["show", "account", "TC-8002", "--as-of", on, "--json"]).json();
        view["view"]["total_outstanding_minor"].as_i64().unwrap()
    };
    let owed = owed_on("2026-11-10");
    assert!(owed > 0);
    // (Part of what it owes may be disputed: a line does not pay that either.)
    env.run(&[
        "post",
        "charge",
        "--account",
        "TC-8002",
        "--amount",
        "500",
        "--issued-on",
        "2026-11-18",
        "--due-on",
        "2026-12-18",
        "--ref",
        "INV-LATE",
        "--key",
        "late-invoice",
    ])
    .ok();
    // 100.00 more than the account owed on Nov 10, paid that day; a line of Nov 19 makes the
    // statement's latest value date the 19th, when the late invoice is owed.
    let paid = owed + 10_000;
    let file = env.write(
        "early.sta",
        &format!(
            ":20:STMT20261120\n:25:US12FNBO0000123456789\n:28C:340/1\n:60F:C261101USD0,00\n\
             :61:2611101110C{},{:02}NTRFNONREF//FNB-1110-0401\n:86:Payment TC-8002\n\
             :61:2611191119C1,00NTRFNONREF//FNB-1119-0402\n:86:DONATION\n\
             :62F:C261119USD{},{:02}\n",
            paid / 100,
            paid % 100,
            (paid + 100) / 100,
            (paid + 100) % 100
        ),
    );
    let run = env.run(&["bank", "import", path(&file), "--json"]).json();
    assert_eq!(run["held_after_refusal"].as_array().unwrap().len(), 0, "{run}");
    let posted = run["posted_minor"]["USD"].as_i64().unwrap();
    let held = run["suspense_minor"]["USD"].as_i64().unwrap();
    assert_eq!(posted + held, paid + 100, "{run}");
    assert!(posted > 0, "{run}");
    // The late invoice is owed whole.
    let view = env.run(&["show", "account", "TC-8002", "--as-of", "2026-11-20", "--json"]).json();
    let late = view["view"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|obligation| obligation["obligation"]["external_ref"] == "INV-LATE")
        .unwrap_or_else(|| panic!("{view}"));
    let outstanding: i64 =
        late["outstanding_minor"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum();
    assert_eq!(outstanding, 50_000, "{late}");
    env.run(&["verify"]).ok();
}
