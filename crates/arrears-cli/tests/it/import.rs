//! Imports are all or nothing per batch (a file of at most `--batch-rows` rows, or any file
//! with `--atomic`, is one), and their errors name the file, the line and the column.

use crate::{path, Env};

const POSTINGS_HEADER: &str = "key,account,type,effective_on,amount,obligation,component,reverses,reason,due_on,directed_to\n";

#[test]
fn bad_rows_are_all_reported_and_nothing_is_written() {
    let env = Env::sample();
    let before = env.snapshot();
    let file = env.write(
        "bad.csv",
        &format!(
            "{POSTINGS_HEADER}\
             OK-1,TC-8001,payment,2026-11-18,100.00,,,,,,\n\
             BAD-1,TC-8001,payment,2026-11-18,12.345,,,,,,\n\
             BAD-2,NO-SUCH-ACCOUNT,payment,2026-11-18,10.00,,,,,,\n\
             BAD-3,TC-8001,payment,2026-02-30,10.00,,,,,,\n\
             BAD-4,TC-8001,payment,2026-11-18,-5.00,,,,,,\n\
             OK-1,TC-8001,payment,2026-11-19,1.00,,,,,,\n"
        ),
    );
    let run = env.run(&["import", "postings", path(&file)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stdout, "");
    let name = path(&file);
    let expected = [
        format!("error: {name}: 5 errors; nothing was imported"),
        format!("{name}:3: amount: amount 12.345 is finer than the minor unit of USD (2 decimals)"),
        format!("{name}:4: account: no account with external id \"NO-SUCH-ACCOUNT\" in the store (import accounts first)"),
        format!("{name}:5: effective_on: \"2026-02-30\" is not a date as YYYY-MM-DD (input is out of range)"),
        format!("{name}:6: amount: -5.00 must be greater than zero"),
        format!("{name}:7: key: \"OK-1\" appears twice in the file (first on line 2)"),
    ];
    assert_eq!(run.stderr.lines().collect::<Vec<_>>(), expected);
    // The good row was not written either.
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_rejection_while_executing_drops_the_whole_batch() {
    let env = Env::sample();
    let before = env.snapshot();
    // The first row is fine and executes; the second asks to waive more than is owed, which
    // only the engine can tell.
    let file = env.write(
        "waive.csv",
        &format!(
            "{POSTINGS_HEADER}\
             W-PAY,CC-7002,payment,2026-11-18,50.00,,,,,,\n\
             W-WVR,CC-7002,waiver,2026-11-19,1000.00,ST-7002-2610,principal,,,,\n"
        ),
    );
    let run = env.run(&["import", "postings", path(&file)]);
    assert_eq!(run.code, 1);
    let name = path(&file);
    assert!(
        run.stderr.contains(&format!(
            "{name}:3: amount: rejected: 1000.00 USD requested but only 148.99 outstanding on O24 principal"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);
    // Not even the payment of the first row exists: posting it now is new, not a replay.
    let payment = env.run(&[
        "post",
        "payment",
        "--account",
        "CC-7002",
        "--amount",
        "50.00",
        "--on",
        "2026-11-18",
        "--key",
        "W-PAY",
    ]);
    assert!(!payment.ok().contains("replayed"), "{}", payment.stdout);
}

#[test]
fn header_and_json_lines_errors() {
    let env = Env::new();
    let file = env.write("debtors.csv", "external_id,kind,nmae,country,time_zones,language\n");
    let run = env.run(&["import", "debtors", path(&file)]);
    assert_eq!(run.code, 1);
    let name = path(&file);
    assert!(run.stderr.contains(&format!("{name}:1: nmae: unknown column")), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{name}:1: name: required column missing from the header")),
        "{}",
        run.stderr
    );

    let file = env.write(
        "debtors.jsonl",
        "{\"external_id\":\"C-1\",\"kind\":\"person\",\"name\":\"Ana\",\"country\":\"US\",\"time_zones\":[\"America/Chicago\"],\"language\":\"en\"}\n\
         \n\
         {\"external_id\":\"C-2\",\"kind\":\"robot\",\"name\":\"Bo\",\"country\":\"USA\",\"time_zones\":\"America/Chicago\",\"language\":\"en\"}\n\
         not json\n",
    );
    let run = env.run(&["import", "debtors", path(&file)]);
    assert_eq!(run.code, 1);
    let name = path(&file);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines[0], format!("error: {name}: 3 errors; nothing was imported"));
    assert_eq!(lines[1], format!("{name}:3: kind: \"robot\" is not person or business"));
    assert_eq!(
        lines[2],
        format!("{name}:3: country: \"USA\" is not an ISO 3166-1 alpha-2 country code such as US")
    );
    assert!(lines[3].starts_with(&format!("{name}:4: not valid JSON")), "{}", run.stderr);

    let unknown = env.run(&["import", "debtors", path(&env.write("debtors.txt", ""))]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("cannot tell the format"), "{}", unknown.stderr);
}

#[test]
fn references_inside_one_postings_file() {
    let env = Env::sample();
    // A payment and its reversal, and a fee and its waiver, each in one file: later rows name
    // earlier ones by key.
    let file = env.write(
        "refs.csv",
        &format!(
            "{POSTINGS_HEADER}\
             R-PAY,UT-9002,payment,2026-11-10,50.00,,,,,,\n\
             R-REV,UT-9002,reversal,2026-11-12,,,,R-PAY,chargeback,,\n\
             R-FEE,UT-9002,fee,2026-11-12,10.00,,,,,2026-11-30,\n\
             R-WVR,UT-9002,waiver,2026-11-13,4.00,R-FEE,fee,,,,\n"
        ),
    );
    let out = env.run(&["import", "postings", path(&file), "--json"]).json();
    assert_eq!(out["created"], 4);
    let view = env.run(&["show", "account", "UT-9002", "--json"]).json();
    let fee = view["view"]["obligations"]
        .as_array()
        .expect("obligations")
        .iter()
        .find(|item| item["obligation"]["kind"] == "fee")
        .expect("the fee obligation");
    assert_eq!(fee["outstanding_minor"], serde_json::json!([0, 0, 600]));
    env.run(&["verify"]).ok();

    // Referring to a row that creates no obligation, or to an unknown payment, is an error of
    // the row.
    let file = env.write(
        "badrefs.csv",
        &format!(
            "{POSTINGS_HEADER}\
             S-PAY,UT-9002,payment,2026-11-14,5.00,,,,,,\n\
             S-WVR,UT-9002,waiver,2026-11-14,1.00,S-PAY,fee,,,,\n\
             S-REV,UT-9002,reversal,2026-11-14,,,,NOPE,,,\n"
        ),
    );
    let run = env.run(&["import", "postings", path(&file)]);
    assert_eq!(run.code, 1);
    let name = path(&file);
    assert!(run.stderr.contains(&format!("{name}:3: obligation: \"S-PAY\" (line 2) is a payment row, which creates no obligation")), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{name}:4: reverses: no payment with key \"NOPE\"")),
        "{}",
        run.stderr
    );
}

/// Issue 21: a JSON Lines row naming `amount` twice posted the second value (9,000.00 for
/// 1.00), where CSV refuses a column named twice.
#[test]
fn issue_21_a_json_lines_row_naming_a_field_twice_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    let file = env.write(
        "twice.jsonl",
        "{\"key\":\"DUP-1\",\"account\":\"TC-8001\",\"type\":\"payment\",\"effective_on\":\"2026-11-18\",\"amount\":\"1.00\",\"amount\":\"9000.00\"}\n\
         {\"key\":\"DUP-2\",\"account\":\"TC-8001\",\"type\":\"payment\",\"effective_on\":\"2026-11-18\",\"amount\":\"1.00\"}\n\
         {\"key\":\"DUP-3\",\"account\":\"TC-8001\",\"type\":\"payment\",\"type\":\"payment\",\"type\":\"fee\",\"effective_on\":\"2026-11-18\",\"amount\":\"1.00\",\"k\\u0065y\":\"DUP-4\"}\n\
         {\"key\":\"DUP-5\",\"account\":\"TC-8001\",\"type\":\"payment\",\"effective_on\":\"2026-11-18\",\"amount\":[{\"a\":1,\"a\":2}]}\n",
    );
    let run = env.run(&["import", "postings", path(&file)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let name = path(&file);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stderr);
    assert_eq!(lines[0], format!("error: {name}: 4 errors; nothing was imported"));
    assert_eq!(lines[1], format!("{name}:1: amount: field named twice in the object"));
    // Once per field however often it repeats, in the order of the repetitions; an escaped
    // name is the same name.
    assert_eq!(lines[2], format!("{name}:3: type: field named twice in the object"));
    assert_eq!(lines[3], format!("{name}:3: key: field named twice in the object"));
    assert!(
        lines[4].starts_with(&format!(
            "{name}:4: not valid JSON: field \"a\" named twice in a nested object"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);

    // The same rows without the repetition import.
    let once = env.write(
        "once.jsonl",
        "{\"key\":\"DUP-1\",\"account\":\"TC-8001\",\"type\":\"payment\",\"effective_on\":\"2026-11-18\",\"amount\":\"1.00\"}\n",
    );
    env.run(&["import", "postings", path(&once)]).ok();
}

/// A JSON number in a JSON Lines row was read through an f64: `1.0000000000000001` posted
/// 1.00, `12345678901234567.89` was refused as `12345678901234568`, and `1e2` posted 100.00.
/// Numbers are read as written now, by the exact rules of an amount written as a string.
#[test]
fn json_lines_numbers_are_read_as_written() {
    let env = Env::sample();
    let before = env.snapshot();
    let row = |key: &str, amount: &str| {
        format!(
            "{{\"key\":\"{key}\",\"account\":\"TC-8001\",\"type\":\"payment\",\
             \"effective_on\":\"2026-11-18\",\"amount\":{amount}}}\n"
        )
    };
    let file = env.write(
        "numbers.jsonl",
        &[
            row("N-1", "1.0000000000000001"),
            row("N-2", "12345678901234567.89"),
            row("N-3", "1e2"),
            row("N-4", "125.50"),
        ]
        .concat(),
    );
    let run = env.run(&["import", "postings", path(&file)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let name = path(&file);
    let expected = [
        format!("error: {name}: 3 errors; nothing was imported"),
        format!(
            "{name}:1: amount: amount 1.0000000000000001 is finer than the minor unit of USD \
             (2 decimals)"
        ),
        format!(
            "{name}:2: amount: amount 12345678901234567.89 USD is out of range (at most \
             10000000000000 minor units)"
        ),
        format!(
            "{name}:3: amount: \"1e2\" is not a decimal amount (it has an exponent: write it as \
             a plain decimal, 100)"
        ),
    ];
    assert_eq!(run.stderr.lines().collect::<Vec<_>>(), expected);
    assert_eq!(env.snapshot(), before);

    // 125.50 imports as 125.50: the same payment posted again under its key is a replay.
    let file = env.write("number.jsonl", &row("N-4", "125.50"));
    let out = env.run(&["import", "postings", path(&file), "--json"]).json();
    assert_eq!(out["created"], 1);
    let replay = env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "125.50",
        "--on",
        "2026-11-18",
        "--key",
        "N-4",
    ]);
    assert!(replay.ok().contains("replayed"), "{}", replay.stdout);
}

/// Issue 21: country `ZZ` and language `xx-!!` were imported.
#[test]
fn issue_21_debtors_need_an_assigned_country_and_a_well_formed_language() {
    let env = Env::new();
    let header = "external_id,kind,name,country,time_zones,language\n";
    let file = env.write(
        "debtors.csv",
        &format!(
            "{header}\
             Z-1,person,Zed,ZZ,America/Bogota,es-CO\n\
             Z-2,person,Xena,CO,America/Bogota,xx-!!\n\
             Z-3,person,Kos,XK,Europe/Belgrade,sq\n\
             Z-4,person,Eng,CO,America/Bogota,engl\n"
        ),
    );
    let run = env.run(&["import", "debtors", path(&file)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let name = path(&file);
    let expected = [
        format!("error: {name}: 4 errors; nothing was imported"),
        format!("{name}:2: country: \"ZZ\" is not an ISO 3166-1 alpha-2 country code such as US"),
        format!(
            "{name}:3: language: \"xx-!!\" is not a well-formed BCP 47 language tag such as \
             \"es-CO\" (subtag 2 \"!!\" does not fit there)"
        ),
        format!("{name}:4: country: \"XK\" is not an ISO 3166-1 alpha-2 country code such as US"),
        format!(
            "{name}:5: language: \"engl\" is not a well-formed BCP 47 language tag such as \
             \"es-CO\" (subtag 1 \"engl\" does not fit there)"
        ),
    ];
    assert_eq!(run.stderr.lines().collect::<Vec<_>>(), expected);

    let good = env.write(
        "good.jsonl",
        "{\"external_id\":\"G-1\",\"kind\":\"person\",\"name\":\"Ana\",\"country\":\"co\",\"time_zones\":\"America/Bogota\",\"language\":\"es-CO\"}\n\
         {\"external_id\":\"G-2\",\"kind\":\"person\",\"name\":\"Bo\",\"country\":\"US\",\"time_zones\":\"America/Chicago\",\"language\":\"en\"}\n\
         {\"external_id\":\"G-3\",\"kind\":\"person\",\"name\":\"Wei\",\"country\":\"TW\",\"time_zones\":\"Asia/Taipei\",\"language\":\"zh-Hant-TW\"}\n",
    );
    let imported = env.run(&["import", "debtors", path(&good), "--json"]).json();
    assert_eq!(imported["created"], 3);
}

/// Issue 21 (import at scale): a file longer than `--batch-rows` commits every N rows. A
/// rejection in a later batch keeps the earlier batches, says so, and the same file imported
/// again after the fix replays them and resumes; `--atomic` keeps the whole file one
/// transaction.
#[test]
fn issue_21_batches_commit_and_a_rerun_resumes() {
    let env = Env::sample();
    let rows = |waiver: &str| {
        format!(
            "{POSTINGS_HEADER}\
             B-PAY-1,CC-7002,payment,2026-11-18,1.00,,,,,,\n\
             B-PAY-2,CC-7002,payment,2026-11-18,1.00,,,,,,\n\
             B-PAY-3,CC-7002,payment,2026-11-18,1.00,,,,,,\n\
             B-WVR,CC-7002,waiver,2026-11-19,{waiver},ST-7002-2610,principal,,,,\n\
             B-PAY-4,CC-7002,payment,2026-11-19,1.00,,,,,,\n"
        )
    };
    let file = env.write("batches.csv", &rows("1000.00"));
    let name = path(&file);
    // All or nothing in one transaction.
    let before = env.snapshot();
    let run = env.run(&["import", "postings", name, "--batch-rows", "2", "--atomic"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("1 error; nothing was imported"), "{}", run.stderr);
    assert_eq!(env.snapshot(), before);
    // In batches of two rows: the first batch commits, the second stops at line 5.
    let run = env.run(&["import", "postings", name, "--batch-rows", "2"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "error: {name}: 1 error; the 2 rows before it were imported in earlier batches, none after"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&format!("{name}:5: amount: rejected:")), "{}", run.stderr);
    assert!(run.stderr.contains("import the same file again"), "{}", run.stderr);
    env.run(&["verify"]).ok();
    // Fixed, the same file resumes: the two imported rows replay.
    std::fs::write(&file, rows("1.00")).unwrap();
    let run = env.run(&["import", "postings", name, "--batch-rows", "2"]);
    assert_eq!(run.ok(), format!("imported 5 postings from {name}: 3 created, 2 replayed\n"));
    env.run(&["verify"]).ok();
}

/// Issue 21: a later file names what an earlier import recorded, by key (the importer asks
/// the store what was recorded under the key instead of reading the account's history), and
/// the import's scratch files (its keys, kept on disk so memory does not grow with the file)
/// leave nothing in the store's directory.
#[test]
fn issue_21_later_files_name_earlier_imports_by_key() {
    let env = Env::sample();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(env.dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let first = env.write(
        "first.csv",
        &format!(
            "{POSTINGS_HEADER}\
             K-PAY,UT-9002,payment,2026-11-10,50.00,,,,,,\n\
             K-FEE,UT-9002,fee,2026-11-12,10.00,,,,,2026-11-30,\n\
             K-OTHER,CC-7002,payment,2026-11-12,1.00,,,,,,\n"
        ),
    );
    env.run(&["import", "postings", path(&first)]).ok();
    let second = env.write(
        "second.csv",
        &format!(
            "{POSTINGS_HEADER}\
             K-REV,UT-9002,reversal,2026-11-13,,,,K-PAY,returned,,\n\
             K-WVR,UT-9002,waiver,2026-11-13,4.00,K-FEE,fee,,,,\n"
        ),
    );
    let out = env.run(&["import", "postings", path(&second), "--json"]).json();
    assert_eq!(out["created"], 2);
    let events = env.run(&["show", "account", "UT-9002", "--json"]).json();
    let fee = events["view"]["obligations"]
        .as_array()
        .expect("obligations")
        .iter()
        .find(|item| item["obligation"]["kind"] == "fee")
        .expect("the fee obligation");
    assert_eq!(fee["outstanding_minor"], serde_json::json!([0, 0, 600]));
    env.run(&["verify"]).ok();
    // The wrong kind of command, or a key recorded on another account, is an error of the row.
    let bad = env.write(
        "bad.csv",
        &format!(
            "{POSTINGS_HEADER}\
             K-BAD-1,UT-9002,reversal,2026-11-14,,,,K-FEE,,,\n\
             K-BAD-2,UT-9002,waiver,2026-11-14,1.00,K-PAY,fee,,,,\n\
             K-BAD-3,UT-9002,reversal,2026-11-14,,,,K-OTHER,,,\n"
        ),
    );
    let run = env.run(&["import", "postings", path(&bad)]);
    assert_eq!(run.code, 1);
    let name = path(&bad);
    for (line, text) in [
        (2, "reverses: the command recorded under key \"K-FEE\" is a fee, not a payment"),
        (3, "obligation: the command recorded under key \"K-PAY\" is a payment, which creates no obligation"),
        (4, "reverses: no payment with key \"K-OTHER\" earlier in this file or on this account"),
    ] {
        assert!(run.stderr.contains(&format!("{name}:{line}: {text}")), "{}", run.stderr);
    }
    assert_eq!(
        listing(),
        ["bad.csv", "books.redb", "first.csv", "second.csv"],
        "no scratch file is left in the store's directory"
    );
}

#[test]
fn issue_14_a_byte_order_mark_is_skipped_and_latin_1_is_located() {
    // https://github.com/arrears/arrears/issues/14 (point 7): a JSON Lines file with a
    // byte-order mark failed where the CSV worked, and a Latin-1 file got no line number.
    let env = Env::sample();
    let row = "{\"key\":\"BOM-1\",\"account\":\"TC-8001\",\"type\":\"payment\",\"effective_on\":\"2026-11-18\",\"amount\":\"1.00\"}\n";
    let file = env.write("bom.jsonl", &format!("\u{feff}{row}"));
    let run = env.run(&["import", "postings", path(&file), "--json"]).json();
    assert_eq!(run["created"], 1, "{run}");
    let csv = env.write(
        "bom.csv",
        "\u{feff}key,account,type,effective_on,amount\nBOM-2,TC-8001,payment,2026-11-18,1.00\n",
    );
    assert_eq!(env.run(&["import", "postings", path(&csv), "--json"]).json()["created"], 1);

    // Latin-1: "Pena" with an n tilde is 0x50 0x65 0xF1 0x61, the 0xF1 on line 3, 79 bytes into the file.
    let before = env.snapshot();
    let header = "external_id,kind,name,country,language\n";
    let good = "L-1,person,Ana Lopez,US,en\n";
    let mut bytes = format!("{header}{good}L-2,person,Pe").into_bytes();
    bytes.extend([0xF1, b'a']);
    bytes.extend(b",US,es\n");
    for name in ["latin1.csv", "latin1.jsonl"] {
        let file = env.dir().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let run = env.run(&["import", "debtors", path(&file)]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let offset = header.len() + good.len() + "L-2,person,Pe".len();
        assert_eq!(offset, 79);
        assert!(
            run.stderr.starts_with(&format!(
                "error: {}:3: not valid UTF-8 at byte 79 (from the start of the file); save the \
                 file as UTF-8 (it may be Latin-1 or Windows-1252)",
                path(&file)
            )),
            "{}",
            run.stderr
        );
    }
    // A policy file too.
    let policy = env.dir().join("latin1.toml");
    std::fs::write(&policy, b"# Pol\xEDtica\n[[stage]]\n").unwrap();
    let run = env.run(&["policy", "set", path(&policy), "--key", "P-LATIN"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("latin1.toml:1: not valid UTF-8 at byte 5"), "{}", run.stderr);
    assert_eq!(env.snapshot(), before, "nothing was written");
}

/// `arrears --help` describes `import` as it behaves: it imports debtor changes too, and a file
/// longer than `--batch-rows` rows is not one transaction unless `--atomic` is given (the help
/// used to say "all or nothing" of every import and to leave out `changes`).
#[test]
fn the_help_of_import_names_changes_and_batches() {
    let env = Env::empty();
    let help = env.run(&["--help"]);
    let line = help
        .ok()
        .lines()
        .find(|line| line.trim_start().starts_with("import "))
        .unwrap_or_else(|| panic!("no import line in:\n{}", help.stdout))
        .to_owned();
    for words in ["debtor changes", "--batch-rows", "--atomic"] {
        assert!(line.contains(words), "{words:?} not in {line:?}");
    }
}

/// The csv crate places a record where its reader stood when it began it: on the end of the
/// line before (so a file with CRLF line ends was off by one on every row), and before the
/// blank lines it skipped (off by one more for each). Errors now name the physical line the
/// row starts on, as docs/CLI.md says, whatever the line ends and blank lines.
#[test]
fn csv_errors_name_the_physical_line_with_crlf_and_blank_lines() {
    let env = Env::sample();
    let before = env.snapshot();
    let header = "key,account,type,effective_on,amount";
    for (name, text) in [
        (
            "crlf.csv",
            format!(
                "{header}\r\nCR-1,TC-8001,payment,2026-11-18,1.00\r\n\
                 CR-2,TC-8001,payment,2026-11-18,1.001\r\n"
            ),
        ),
        (
            "blank.csv",
            format!(
                "{header}\n\nCR-1,TC-8001,payment,2026-11-18,1.00\n\n\n\
                 CR-2,TC-8001,payment,2026-11-18,1.001\n"
            ),
        ),
        (
            "quoted.csv",
            format!(
                "{header}\r\nCR-1,\"TC-\r\n8001\",payment,2026-11-18,1.00\r\n\r\n\
                 CR-2,TC-8001,payment,2026-11-18,1.001\r\n"
            ),
        ),
    ] {
        let file = env.write(name, &text);
        // The line of the row CR-2, counted as an editor counts them.
        let line = text.lines().position(|line| line.starts_with("CR-2")).expect("CR-2") + 1;
        let run = env.run(&["import", "postings", path(&file)]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let name = path(&file);
        assert!(
            run.stderr.contains(&format!(
                "{name}:{line}: amount: amount 1.001 is finer than the minor unit of USD"
            )),
            "{}",
            run.stderr
        );
    }
    // The first error of a malformed file is placed the same way.
    let file =
        env.write("ragged.csv", &format!("{header}\r\n\r\nCR-1,TC-8001,payment,2026-11-18\r\n"));
    let run = env.run(&["import", "postings", path(&file)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let name = path(&file);
    assert!(
        run.stderr.contains(&format!("{name}:3: 4 fields, but the header has 5")),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);
}

/// A header with a trailing comma has a column with no name, which was reported as
/// `FILE:1: : unknown column (known: ...)`, an empty name where the column goes. It says which
/// column has no name now.
#[test]
fn a_header_with_a_trailing_comma_says_the_column_has_no_name() {
    let env = Env::sample();
    let before = env.snapshot();
    let file = env.write(
        "trailing.csv",
        "key,account,type,effective_on,amount,\nTC-1,TC-8001,payment,2026-11-18,1.00,\n",
    );
    let run = env.run(&["import", "postings", path(&file)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let name = path(&file);
    assert_eq!(
        run.stderr,
        format!(
            "error: {name}: 1 error; nothing was imported\n\
             {name}:1: column 6 has no name (a trailing comma?)\n"
        )
    );
    assert_eq!(env.snapshot(), before);
}
