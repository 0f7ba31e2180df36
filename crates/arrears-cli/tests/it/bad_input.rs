//! Bad input at the command line: each is refused with an error that names the flag, or the
//! file, line and column, and writes nothing.

use crate::{path, Env, Run};

/// `rust_decimal` reads `1_000` as 1000; an amount or a rate is a plain decimal, so a digit
/// separator is an error of the flag or the column, never read as another number.
#[test]
fn an_amount_with_a_digit_separator_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    let payment = env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "1_000",
        "--on",
        "2026-11-19",
        "--key",
        "SEP-1",
    ]);
    assert_eq!(payment.code, 2, "{}", payment.stdout);
    assert!(
        payment.stderr.starts_with(
            "error: invalid value '1_000' for '--amount <AMOUNT>': \"1_000\" is not a decimal \
             amount\n"
        ),
        "{}",
        payment.stderr
    );
    let file = env.write(
        "separators.csv",
        "key,account,type,effective_on,amount\nSEP-2,TC-8001,payment,2026-11-19,1_000.00\n",
    );
    let import = env.run(&["import", "postings", path(&file)]);
    assert_eq!(import.code, 1, "{}", import.stdout);
    let name = path(&file);
    assert_eq!(
        import.stderr.lines().collect::<Vec<_>>(),
        [
            format!("error: {name}: 1 error; nothing was imported"),
            format!("{name}:2: amount: \"1_000.00\" is not a decimal amount"),
        ]
    );
    let rate = quote_at_rate(&env, "0_1");
    assert_eq!(rate.code, 2, "{}", rate.stdout);
    assert!(rate.stderr.contains("\"0_1\" is not a decimal number"), "{}", rate.stderr);
    assert_eq!(env.snapshot(), before);
}

/// A flag value that did not parse exited 1 for an amount (`--amount abc`, read after the
/// arguments) and 2 for a rate, a date or a count (clap's usage error), and a count clap's
/// range refused (`cycle --batch 0`) exited 2 where any other refused value (`--installments
/// 0`) exited 1. One rule now, docs/CLI.md's: a value that does not parse as what the flag
/// takes is a usage error, exit 2, naming the flag; a value of the right kind that the command
/// refuses is exit 1, naming the flag. Nothing is written either way.
#[test]
fn a_flag_value_exits_2_if_it_does_not_parse_and_1_if_it_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    let payment = |amount: &str| {
        let args = ["--account", "TC-8001", "--amount", amount, "--on", "2026-11-19"];
        env.run(&[&["post", "payment"][..], &args, &["--key", "EXIT-1"]].concat())
    };
    let promise = |pay: &str| {
        let args = ["--account", "TC-8001", "--on", "2026-11-20", "--pay", pay];
        env.run(&[&["promise"][..], &args, &["--key", "EXIT-2"]].concat())
    };
    let cycle = |args: &[&str]| env.run(&[&["cycle"][..], args].concat());
    let expect = |run: Run, code: i32, message: &str| {
        assert_eq!((run.code, run.stdout.as_str()), (code, ""), "{message}");
        assert!(run.stderr.starts_with(&format!("error: {message}")), "{}", run.stderr);
    };
    // An amount.
    expect(
        payment("abc"),
        2,
        "invalid value 'abc' for '--amount <AMOUNT>': \"abc\" is not a decimal amount",
    );
    expect(
        payment("12.345"),
        1,
        "--amount: amount 12.345 is finer than the minor unit of USD (2 decimals)",
    );
    expect(payment("-5"), 1, "--amount: -5 must be greater than zero");
    expect(
        promise("2026-11-25:ten"),
        2,
        "invalid value '2026-11-25:ten' for '--pay <DATE:AMOUNT>': \"ten\" is not a decimal \
         amount",
    );
    // A rate.
    expect(
        quote_at_rate(&env, "abc"),
        2,
        "invalid value 'abc' for '--annual-rate <RATE>': \"abc\" is not a decimal number",
    );
    expect(quote_at_rate(&env, "11"), 1, "--annual-rate: annual rate must be from 0 to 10, got 11");
    // A date.
    expect(
        cycle(&["--as-of", "2026-13-20"]),
        2,
        "invalid value '2026-13-20' for '--as-of <DATE>': \"2026-13-20\" is not a date as \
         YYYY-MM-DD",
    );
    expect(
        cycle(&["--as-of", "2027-11-20"]),
        1,
        "--as-of 2027-11-20 is 365 days after today (2026-11-20)",
    );
    expect(
        env.run(&["report", "kpis", "--from", "2026-13-01"]),
        2,
        "invalid value '2026-13-01' for '--from <DATE>': \"2026-13-01\" is not a date as \
         YYYY-MM-DD",
    );
    expect(
        env.run(&["limitation", "--account", "TC-8001", "--on", "2026-02-30", "--key", "EXIT-3"]),
        2,
        "invalid value '2026-02-30' for '--on <DATE|none>': \"2026-02-30\" is not a date as \
         YYYY-MM-DD",
    );
    // A count.
    expect(
        cycle(&["--as-of", "2026-11-20", "--batch", "1.5"]),
        2,
        "invalid value '1.5' for '--batch <N>': invalid digit found in string",
    );
    expect(
        cycle(&["--as-of", "2026-11-20", "--batch", "0"]),
        1,
        "--batch 0 is out of range: a batch holds at least 1 account",
    );
    expect(
        env.run(&["import", "postings", "postings.csv", "--batch-rows", "0"]),
        1,
        "--batch-rows 0 is out of range: a batch holds at least 1 row",
    );
    // A name, and a balance.
    expect(
        env.run(&[
            "debtor",
            "restrict",
            "--debtor",
            "C-1001",
            "--opted-out-channels",
            "sms,pigeon",
            "--key",
            "EXIT-4",
        ]),
        2,
        "invalid value 'sms,pigeon' for '--opted-out-channels <CHANNELS|none>': \"pigeon\" is not \
         one of phone, sms, email, postal, messaging (or none)",
    );
    expect(
        env.run(&["list", "accounts", "--balance-min", "-5"]),
        1,
        "--balance-min -5 is out of range: a balance is 0 or more",
    );
    assert_eq!(env.snapshot(), before);
}

/// A plan whose installments run past 9999-12-31 (a first due date typed a few thousand years
/// ahead) was quoted and created, storing obligations due on `+10000-01-01` that no command
/// may name. The quote and the plan are refused; nothing is written.
#[test]
fn a_plan_past_the_end_of_the_calendar_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    let schedule = ["--installments", "3", "--frequency", "monthly", "--first-due", "9999-12-01"];
    let mut quote = vec!["plan", "quote", "--balance", "100", "--currency", "USD"];
    quote.extend(schedule);
    let quoted = env.run(&quote);
    assert_eq!(quoted.code, 1, "{}", quoted.stdout);
    assert_eq!(
        quoted.stderr,
        "error: --first-due: due dates run past 9999-12-31, the last date supported\n"
    );
    let mut create = vec![
        "plan",
        "create",
        "--account",
        "TC-8001",
        "--key",
        "PLAN-9999",
        "--on",
        "2026-11-20",
        "--income",
        "50000",
        "--expenses",
        "1000",
    ];
    create.extend(schedule);
    let created = env.run(&create);
    assert_eq!(created.code, 1, "{}", created.stdout);
    assert!(created.stdout.contains("9999-12-31") || created.stderr.contains("9999-12-31"));
    assert!(!created.stdout.contains("+10000"), "{}", created.stdout);
    assert_eq!(env.snapshot(), before);
}

/// `--db` naming something that is not a store (a text file, a directory, a truncated store)
/// failed with the storage engine's words alone (`storage engine failure: I/O error: Is a
/// directory`), not saying which file; the error names `--db` and the path, for reading and
/// writing commands and `migrate` alike, and exits 1.
#[test]
fn a_db_that_is_not_a_store_is_named() {
    let env = Env::sample();
    let text = env.write("notes.redb", "hello\n");
    let sample = std::fs::read(env.db()).expect("read the store");
    let truncated = env.write("cut.redb", "");
    std::fs::write(&truncated, &sample[..5000]).expect("write a truncated store");
    let directory = env.dir().join("folder.redb");
    std::fs::create_dir(&directory).expect("create a directory");
    for db in [&text, &truncated, &directory] {
        for args in [&["verify"][..], &["cycle", "--as-of", "2026-11-20"], &["migrate"]] {
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
                .arg("--db")
                .arg(db)
                .args(args)
                .output()
                .expect("run arrears");
            let run = crate::Run::from(output);
            assert_eq!(run.code, 1, "{args:?} on {db:?}: {}", run.stdout);
            let named = format!("error: --db {}: ", path(db));
            assert!(run.stderr.starts_with(&named), "{args:?} on {db:?}: {}", run.stderr);
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        }
    }
    assert_eq!(std::fs::read(&text).expect("read"), b"hello\n", "nothing written");
}

/// A relay told to pause 0 ms between polls of a store it has caught up with read the feed in a
/// loop that kept a core busy; it is refused before the relay connects anywhere.
#[test]
fn a_relay_poll_of_0_ms_is_refused() {
    let env = Env::sample();
    let dsn = "host=/nonexistent dbname=none";
    let run = env.run(&["relay", "postgres", "--dsn", dsn, "--poll-ms", "0"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: --poll-ms 0 is out of range: at least 1 ms"),
        "{}",
        run.stderr
    );
}

/// An error written to a stderr nobody reads any more (`arrears ... 2>&1 | head`, the reader
/// gone): `eprintln!` panicked, and the exit code was a panic's 101 instead of the error's 1.
#[test]
fn an_error_to_a_closed_stderr_still_exits_1() {
    let env = Env::sample();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("--db")
        .arg(env.dir().join("absent.redb"))
        .args(["show", "account", "NOPE"])
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .expect("run arrears");
    assert_eq!(status.code(), Some(1), "{status:?}");
}

/// An error whose message already ends with its cause (the backup's, the restore's, the
/// portfolio manifest's) printed the cause twice: `cannot write a backup to F: No such file or
/// directory (os error 2): No such file or directory (os error 2)`. It is said once.
#[test]
fn an_error_says_its_cause_once() {
    let env = Env::sample();
    let nowhere = env.dir().join("no-such-directory");
    let backup = env.run(&["backup", "--to", path(&nowhere.join("books.bak"))]);
    assert_eq!(backup.code, 1, "{}", backup.stdout);
    assert_eq!(
        backup.stderr,
        format!(
            "error: cannot write a backup to {}: No such file or directory (os error 2)\n",
            path(&nowhere.join("books.bak"))
        )
    );
    let manifest = nowhere.join("portfolio.toml");
    let portfolio = env.run(&["portfolio", "--manifest", path(&manifest), "init"]);
    assert_eq!(portfolio.code, 1, "{}", portfolio.stdout);
    assert_eq!(
        portfolio.stderr,
        format!("error: manifest {}: No such file or directory (os error 2)\n", path(&manifest))
    );
}

/// `score --input` read a column named twice (the plugin got two values of one attribute), a
/// Latin-1 file only up to its first bad row (scores already on stdout), and a short row as
/// `row 1: CSV error: record 1 (line: 2, byte: 14): found record with ...`. Now the first two
/// are refused before any score, and every error is `FILE:LINE: ...`.
#[test]
fn score_input_errors_name_the_line() {
    let env = Env::empty();
    let card = crate::example("plugins/behaviour-card.csv");
    let score = |name: &str, text: &[u8]| {
        let input = env.dir().join(name);
        std::fs::write(&input, text).expect("write the input");
        let run = env.run(&[
            "score",
            "--plugin",
            "scorecard",
            "--config",
            path(&card),
            "--input",
            path(&input),
        ]);
        (path(&input).to_owned(), run)
    };
    let (twice, run) = score("twice.csv", b"days_past_due,days_past_due\n10,400\n");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("error: {twice}:1: days_past_due: column named twice in the header\n")
    );
    let (latin, run) = score("latin.csv", b"days_past_due,name\n10,Ana\n20,Jos\xe9\n");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stdout, "", "no score before the file is known to be UTF-8");
    assert!(
        run.stderr.starts_with(&format!("error: {latin}:3: not valid UTF-8 at byte 32")),
        "{}",
        run.stderr
    );
    let (short, run) = score("short.csv", b"days_past_due\n10,3\n");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stderr, format!("error: {short}:2: 2 fields, but the header has 1\n"));
    // With CRLF line ends and a blank line the csv crate placed the row two lines early.
    let (crlf, run) = score("crlf.csv", b"days_past_due\r\n10\r\n\r\n10,3\r\n");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stderr, format!("error: {crlf}:4: 2 fields, but the header has 1\n"));
}

/// A report period whose `--from` is after its `--to` was answered as an empty period (zeros,
/// `n/a`, an HTML report of nothing) with exit 0; it is an error naming both bounds, also when
/// one of them is the default it took.
#[test]
fn a_period_that_ends_before_it_starts_is_refused() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let html = env.dir().join("report.html");
    for report in ["kpis", "rollrates", "recovery", "html", "productivity"] {
        let mut args = vec!["report", report, "--from", "2026-11-01", "--to", "2026-01-01"];
        if report == "html" {
            args.extend(["--out", path(&html)]);
        }
        let run = env.run(&args);
        assert_eq!(run.code, 1, "{report}: {}", run.stdout);
        assert_eq!(run.stdout, "", "{report}");
        assert_eq!(
            run.stderr,
            "error: --from 2026-11-01 is after --to 2026-01-01: the period would be empty\n",
            "{report}"
        );
    }
    assert!(!html.exists(), "no report written");
    let defaulted = env.run(&["report", "kpis", "--from", "2026-11-21"]);
    assert_eq!(defaulted.code, 1, "{}", defaulted.stdout);
    assert_eq!(
        defaulted.stderr,
        "error: --from 2026-11-21 is after the last cycle date 2026-11-20: the period would be \
         empty\n"
    );
}

/// `demo --start S --days D` running past 9999-12-31 was found out half way through the
/// simulation (`invalid issued_on: +10000-01-01 ...`), leaving three half-simulated stores
/// behind; it is refused before any store is created. A `--start` that is not a date says
/// which format it wants, as every date flag does.
#[test]
fn a_demo_past_the_end_of_the_calendar_writes_nothing() {
    let env = Env::empty();
    let out = env.dir().join("demo");
    let run = env.run(&[
        "--allow-future",
        "demo",
        "--accounts",
        "10",
        "--days",
        "400",
        "--start",
        "9999-12-30",
        "--out",
        path(&out),
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        "error: --days 400 from --start 9999-12-30 runs past 9999-12-31, the last date supported\n"
    );
    assert!(!env.db().exists(), "no store created");
    let entries = std::fs::read_dir(env.dir()).expect("list").count();
    assert_eq!(entries, 0, "nothing written in the directory");
    let date = env.run(&["demo", "--accounts", "10", "--days", "2", "--start", "2026-02-30"]);
    assert_eq!(date.code, 2, "{}", date.stdout);
    assert!(
        date.stderr.contains("\"2026-02-30\" is not a date as YYYY-MM-DD (input is out of range)"),
        "{}",
        date.stderr
    );
}

/// `demo --accounts 99999999999` had no upper bound: it created the output directory, then
/// spent minutes generating a portfolio no memory could hold. A size outside 1 to 5,000,000
/// accounts or 1 to 3,660 days is refused, naming the flag, the value and the limit, before
/// anything is written (`simulate` is the same command).
#[test]
fn a_demo_of_an_absurd_size_writes_nothing() {
    let env = Env::empty();
    let out = env.dir().join("demo");
    let started = std::time::Instant::now();
    for (command, flag, value, expected) in [
        (
            "demo",
            "--accounts",
            "99999999999",
            "--accounts 99999999999 is out of range: the demo simulates 1 to 5000000 accounts",
        ),
        (
            "simulate",
            "--accounts",
            "5000001",
            "--accounts 5000001 is out of range: the demo simulates 1 to 5000000 accounts",
        ),
        (
            "demo",
            "--accounts",
            "0",
            "--accounts 0 is out of range: the demo simulates 1 to 5000000 accounts",
        ),
        (
            "demo",
            "--days",
            "3661",
            "--days 3661 is out of range: the demo simulates 1 to 3660 days",
        ),
        ("simulate", "--days", "0", "--days 0 is out of range: the demo simulates 1 to 3660 days"),
    ] {
        let mut args = vec![command, "--accounts", "10", "--days", "2", "--out", path(&out)];
        let at = args.iter().position(|arg| *arg == flag).expect("the flag") + 1;
        args[at] = value;
        let run = env.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stdout);
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(run.stderr, format!("error: {expected}\n"), "{args:?}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    assert!(!env.db().exists(), "no store created");
    assert_eq!(std::fs::read_dir(env.dir()).expect("list").count(), 0, "nothing written");
}

/// `list accounts` with a range that ends before it starts (`--dpd-min 50 --dpd-max 10`,
/// `--balance-min` above `--balance-max`) answered `0 shown`, exit 0; it is an error naming
/// both flags. And `--csv` with `--json` in `list` was exit 1 where docs/CLI.md (and `report
/// aging`) make it a usage error, exit 2.
#[test]
fn list_flags_that_contradict_each_other_are_refused() {
    let env = Env::sample();
    let dpd = env.run(&["list", "accounts", "--dpd-min", "50", "--dpd-max", "10"]);
    assert_eq!(dpd.code, 1, "{}", dpd.stdout);
    assert_eq!(dpd.stdout, "");
    assert_eq!(dpd.stderr, "error: --dpd-min 50 is above --dpd-max 10: no account could match\n");
    let balance = env.run(&["list", "accounts", "--balance-min", "500", "--balance-max", "10.00"]);
    assert_eq!(balance.code, 1, "{}", balance.stdout);
    assert_eq!(
        balance.stderr,
        "error: --balance-min 500 is above --balance-max 10.00: no account could match\n"
    );
    for args in [
        &["list", "accounts", "--csv", "--json"][..],
        &["--json", "list", "accounts", "--csv"],
        &["list", "debtors", "--csv", "--json"],
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("'--csv' cannot be used with '--json'"), "{}", run.stderr);
    }
}

/// `actions claim --lease-secs 0` claimed the due actions under a lease that ended as it began
/// (another sender could claim and send them at once), and `--limit 0` claimed nothing, exit
/// 0; the other counts of the outbox, the work queue and the feeds took 0 as well (a page of
/// nothing, whose cursor never moves). A lease is 1 to 86,400 seconds and every count at least
/// 1 now: anything else is refused, exit 1, naming the flag, the value and the range, and
/// claims nothing.
#[test]
fn a_lease_or_a_count_of_zero_is_refused() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let pending = env.run(&["actions", "list", "--json"]).json();
    let pending = pending.as_array().expect("the pending actions").len();
    assert!(pending > 0, "the cycle proposed actions");
    env.write(
        "portfolio.toml",
        "assignment = \"hash\"\n[[shards]]\nname = \"a\"\npath = \"a.redb\"\n",
    );
    let refused = |args: &[&str], message: &str| {
        let run = env.run_from(env.dir(), args);
        assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{args:?}");
        assert_eq!(run.stderr, format!("error: {message}\n"), "{args:?}");
    };
    let lease = "is out of range: a lease lasts 1 to 86400 seconds (a day)";
    let claim = ["actions", "claim", "--as", "gateway"];
    refused(&[&claim[..], &["--lease-secs", "0"]].concat(), &format!("--lease-secs 0 {lease}"));
    refused(
        &[&claim[..], &["--lease-secs", "86401"]].concat(),
        &format!("--lease-secs 86401 {lease}"),
    );
    refused(
        &[&claim[..], &["--limit", "0"]].concat(),
        "--limit 0 is out of range: a claim takes at least 1 action",
    );
    refused(
        &["queue", "next", "--agent", "rosa", "--lease-secs", "0"],
        &format!("--lease-secs 0 {lease}"),
    );
    refused(
        &["actions", "list", "--limit", "0"],
        "--limit 0 is out of range: a list holds at least 1 action",
    );
    refused(
        &["actions", "feed", "--limit", "0"],
        "--limit 0 is out of range: a page holds at least 1 action",
    );
    refused(&["feed", "--limit", "0"], "--limit 0 is out of range: a page holds at least 1 change");
    for list in ["accounts", "debtors"] {
        refused(
            &["list", list, "--limit", "0"],
            "--limit 0 is out of range: a page holds at least 1 row",
        );
    }
    refused(
        &["relay", "postgres", "--dsn", "host=/nonexistent", "--batch", "0", "--once"],
        "--batch 0 is out of range: a batch holds at least 1 change",
    );
    refused(
        &["portfolio", "--manifest", "portfolio.toml", "cycle", "--as-of", "2026-11-20"]
            .iter()
            .chain(&["--threads", "0"])
            .copied()
            .collect::<Vec<_>>(),
        "--threads 0 is out of range: at least 1 shard runs at a time",
    );
    assert!(!env.dir().join("a.redb").exists(), "no shard created");
    // Nothing was leased: another sender claims every pending action.
    let claimed =
        env.run(&["--json", "actions", "claim", "--as", "other", "--limit", "1000"]).json();
    assert_eq!(claimed.as_array().expect("the claimed actions").len(), pending, "{claimed}");
}

/// `actions claim --as ""` said `invalid claimant: must not be empty`, naming no flag; the
/// error names `--as`, as every other flag's error does.
#[test]
fn a_claim_without_a_sender_names_the_flag() {
    let env = Env::sample();
    let run = env.run(&["actions", "claim", "--as", ""]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stderr, "error: --as: invalid claimant: must not be empty\n");
}

/// `credit decide FILE`: a value from the file was blamed on a flag the user never gave
/// (`--limit: invalid application.limit`, `--on 2099-02-20 is ... after today`), a limit of
/// `"1_000.00"` was read as 1000 (as `--limit 1_000` was), and a byte-order mark made the file
/// `expected value at line 1 column 1`. The file and its field are named; separators are refused;
/// the mark is skipped.
#[test]
fn a_credit_application_file_is_named_in_its_errors() {
    let env = Env::sample();
    let application = |limit: &str, applied_on: &str| {
        format!(
            "{{\"debtor\":\"B-2002\",\"product\":\"trade_credit\",\"limit\":{limit},\
             \"currency\":\"USD\",\"applied_on\":\"{applied_on}\",\"terms\":{{\"net_days\":30,\
             \"deposit_share\":\"0\",\"cash_on_delivery\":false,\"interest_rate\":\"0.08\"}}}}\n"
        )
    };
    let decide = |name: &str, text: &str, key: &str| {
        let file = env.write(name, text);
        (path(&file).to_owned(), env.run(&["credit", "decide", "--key", key, path(&file)]))
    };
    let (file, negative) = decide("negative.json", &application("\"-5\"", "2026-11-20"), "CD-1");
    assert_eq!(negative.code, 1, "{}", negative.stdout);
    assert_eq!(
        negative.stderr,
        format!("error: {file}: invalid application.limit: must not be negative\n")
    );
    let (file, ahead) = decide("ahead.json", &application("\"100\"", "2099-02-20"), "CD-2");
    assert_eq!(ahead.code, 1, "{}", ahead.stdout);
    assert!(
        ahead.stderr.starts_with(&format!("error: {file}: applied_on 2099-02-20 is 26390 days")),
        "{}",
        ahead.stderr
    );
    let (file, separator) =
        decide("separator.json", &application("\"1_000\"", "2026-11-20"), "CD-3");
    assert_eq!(separator.code, 1, "{}", separator.stdout);
    assert_eq!(
        separator.stderr,
        format!("error: {file}:1: limit: \"1_000\" is not a decimal number\n")
    );
    let flag =
        env.run(&["credit", "decide", "--key", "CD-4", "--debtor", "B-2002", "--limit", "1_000"]);
    assert_eq!(flag.code, 2, "{}", flag.stdout);
    assert!(flag.stderr.contains("\"1_000\" is not a decimal number"), "{}", flag.stderr);
    let marked = format!("\u{feff}{}", application("\"100.00\"", "2026-11-20"));
    let (_, bom) = decide("bom.json", &marked, "CD-5");
    assert!(bom.ok().starts_with("decision "), "{}", bom.stdout);
}

/// The decimals of an application file's `terms` were read by `rust_decimal`'s own serde, which
/// takes `"1_000"` as 1000 and `"0_08"` as 8 (a rate of 800%, refused only by its range, as
/// `"1_0"` for 10 would not be); an unknown field in `terms` was ignored; a limit written as a
/// JSON number with a fraction went through a binary float (`1000000000000000.01` was read as
/// 1000000000000000). The engine's plain-decimal rule reads them now, and every error of the
/// file says the file, the line and the field.
#[test]
fn an_application_file_reads_its_terms_by_the_plain_decimal_rule() {
    let env = Env::sample();
    let before = env.snapshot();
    let decide = |name: &str, limit: &str, deposit: &str, rate: &str, extra: &str| {
        let text = format!(
            "{{\n  \"debtor\": \"B-2002\",\n  \"limit\": {limit},\n  \"currency\": \"USD\",\n  \
             \"applied_on\": \"2026-11-20\",\n  \"terms\": {{\n    \"net_days\": 30,\n    \
             \"deposit_share\": {deposit},\n    \"interest_rate\": {rate},\n    \
             \"cash_on_delivery\": false{extra}\n  }}\n}}\n"
        );
        let file = env.write(name, &text);
        let run = env.run(&["credit", "decide", "--key", name, path(&file)]);
        assert_eq!(run.code, 1, "{name}: {}", run.stdout);
        assert_eq!(run.stdout, "", "{name}");
        run.stderr.replace(path(&file), "FILE")
    };
    assert_eq!(
        decide("deposit.json", "\"100.00\"", "\"1_000\"", "\"0.08\"", ""),
        "error: FILE:8: terms.deposit_share: \"1_000\" is not a decimal number\n"
    );
    assert_eq!(
        decide("rate.json", "\"100.00\"", "\"0\"", "\"0_08\"", ""),
        "error: FILE:9: terms.interest_rate: \"0_08\" is not a decimal number\n"
    );
    assert_eq!(
        decide("unknown.json", "\"100.00\"", "\"0\"", "\"0.08\"", ",\n    \"interest\": \"5\""),
        "error: FILE:11: unknown field `interest`, expected one of `net_days`, `deposit_share`, \
         `cash_on_delivery`, `interest_rate`\n"
    );
    assert_eq!(
        decide("float.json", "1000000000000000.01", "\"0\"", "\"0.08\"", ""),
        "error: FILE:3: limit: a JSON number with a fraction is read as a binary float, which \
         holds most decimals inexactly; write the decimal as a string, such as \"0.08\"\n"
    );
    assert_eq!(env.snapshot(), before);
    let whole = env.write(
        "whole.json",
        "{\"debtor\": \"B-2002\", \"limit\": 100, \"currency\": \"USD\", \"applied_on\": \
         \"2026-11-20\", \"terms\": {\"net_days\": 30, \"deposit_share\": \"0.25\", \
         \"cash_on_delivery\": false, \"interest_rate\": \"0.08\"}}\n",
    );
    let run = env.run(&["credit", "decide", "--key", "CD-WHOLE", path(&whole)]);
    assert!(run.ok().contains("limit: 100.00 USD"), "a JSON integer is exact: {}", run.stdout);
}

/// The bank's rules and mapping files were read with `read_to_string`: a Latin-1 file was
/// `stream did not contain valid UTF-8`, with no line or byte, where docs/CLI.md promises
/// the place of the first bad byte for every file the tool reads.
#[test]
fn a_latin_1_bank_rules_file_is_located() {
    let env = Env::sample();
    let mut text = b"# caf\xe9\n".to_vec();
    text.extend(std::fs::read(crate::data("bank-rules.toml")).expect("read the rules"));
    let rules = env.dir().join("rules.toml");
    std::fs::write(&rules, text).expect("write the rules");
    let expected = format!(
        "error: the rules file: {}:1: not valid UTF-8 at byte 5 (from the start of the file); \
         save the file as UTF-8 (it may be Latin-1 or Windows-1252)\n",
        path(&rules)
    );
    let set = env.run(&["bank", "rules", "set", "--key", "R-1", path(&rules)]);
    assert_eq!(set.code, 1, "{}", set.stdout);
    assert_eq!(set.stderr, expected);
    let statement = crate::data("statement.sta");
    let import = env.run(&["bank", "import", path(&statement), "--rules", path(&rules)]);
    assert_eq!(import.code, 1, "{}", import.stdout);
    assert_eq!(import.stderr, expected);
    let mapping = env.dir().join("mapping.toml");
    std::fs::write(&mapping, b"# caf\xe9\n").expect("write the mapping");
    let csv = env.write("statement.csv", "date,amount\n");
    let mapped = env.run(&["bank", "import", path(&csv), "--mapping", path(&mapping)]);
    assert_eq!(mapped.code, 1, "{}", mapped.stdout);
    assert!(
        mapped.stderr.starts_with(&format!(
            "error: the mapping file: {}:1: not valid UTF-8",
            path(&mapping)
        )),
        "{}",
        mapped.stderr
    );
}

/// A bank CSV mapping file and a portfolio manifest that could not be used printed the TOML
/// reader's caret diagram (`TOML parse error at line 5, column 1`, the line quoted, `^^^^^`),
/// and their own checks named no line; each error is `FILE:LINE: FIELD: REASON` now, as for
/// the policy, the rules and every other file, and nothing is written.
#[test]
fn a_bad_mapping_or_manifest_names_the_file_line_and_field() {
    let env = Env::sample();
    let before = env.snapshot();
    let statement = env.write("statement.csv", "Date,Amount\n2026-11-19,10.00\n");
    let mapping = |name: &str, text: &str| {
        let file = env.write(name, text);
        let run = env.run(&["bank", "import", path(&statement), "--mapping", path(&file)]);
        (path(&file).to_owned(), run)
    };
    let good = "account = \"A-1\"\ncurrency = \"USD\"\n[columns]\nbooking_date = \"Date\"\n\
                amount = \"Amount\"\n";
    let (file, run) = mapping("typo.toml", &good.replace("amount =", "amont ="));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {file}:5: columns.amont: unknown field `amont`, expected one of "
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains('^'), "no caret diagram: {}", run.stderr);
    let (file, run) = mapping("type.toml", &format!("skip_rows = \"two\"\n{good}"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        format!("error: {file}:1: skip_rows: invalid type: string \"two\", expected usize\n")
    );
    let (file, run) = mapping("currency.toml", &good.replace("USD", "ZZZ"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stderr, format!("error: {file}:2: currency: unknown currency \"ZZZ\"\n"));
    let manifest = |name: &str, text: &str| {
        let file = env.write(name, text);
        let run = env.run(&["portfolio", "--manifest", path(&file), "find", "--debtor", "C-1"]);
        (path(&file).to_owned(), run)
    };
    let shards = "assignment = \"hash\"\n[[shards]]\nname = \"a\"\npath = \"a.redb\"\n";
    let (file, run) = manifest("field.toml", &format!("{shards}[[shards]]\nnme = \"b\"\n"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        format!("error: {file}:6: shards[1].nme: unknown field `nme`, expected `name` or `path`\n")
    );
    let (file, run) = manifest("twice.toml", &format!("{shards}[[shards]]\nname = \"a\"\n"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stderr, format!("error: {file}:5: shards[1].path: missing field `path`\n"));
    let (file, run) = manifest(
        "unlisted.toml",
        &format!("{shards}[[shards]]\nname = \"a\"\npath = \"b.redb\"\n"),
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        format!("error: {file}:6: shards[1].name: shard name \"a\" is listed twice\n")
    );
    assert!(!env.dir().join("a.redb").exists(), "no shard created");
    assert_eq!(env.snapshot(), before);
}

/// `debtor update --country ZZ`, `--language xx-!!` and `contact set --address ''` said
/// `invalid country: ...`, `invalid language: ...`, `invalid point.address: ...`, naming no
/// flag; each names its flag now.
#[test]
fn debtor_upkeep_errors_name_the_flag() {
    let env = Env::sample();
    let update = |flag: &str, value: &str| {
        env.run(&["debtor", "update", "--debtor", "C-1001", flag, value, "--key", "DU-1"])
    };
    let country = update("--country", "ZZ");
    assert_eq!(country.code, 1, "{}", country.stdout);
    assert!(
        country.stderr.starts_with("error: --country: invalid country: "),
        "{}",
        country.stderr
    );
    let language = update("--language", "xx-!!");
    assert_eq!(language.code, 1, "{}", language.stdout);
    assert!(
        language.stderr.starts_with("error: --language: invalid language: "),
        "{}",
        language.stderr
    );
    let address = env.run(&[
        "contact",
        "set",
        "--debtor",
        "C-1001",
        "--channel",
        "sms",
        "--address",
        "",
        "--key",
        "CS-1",
    ]);
    assert_eq!(address.code, 1, "{}", address.stdout);
    assert_eq!(address.stderr, "error: --address: invalid point.address: must not be empty\n");
    let team = env.run(&["team", "add", "--name", "", "--key", "T-1"]);
    assert_eq!(team.code, 1, "{}", team.stdout);
    assert!(team.stderr.starts_with("error: --name: invalid team.name: "), "{}", team.stderr);
}

/// A `--dsn` that is not a connection string was taken for PostgreSQL being down: a following
/// relay retried it ten times, 81 seconds of `reconnecting in ...`, before failing. It is
/// refused at once, naming the flag.
#[test]
fn a_relay_with_a_malformed_dsn_fails_at_once() {
    let env = Env::sample();
    let started = std::time::Instant::now();
    let run = env.run(&["relay", "postgres", "--dsn", "nonsense"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.starts_with("error: --dsn: invalid connection string: "), "{}", run.stderr);
    assert!(!run.stderr.contains("reconnecting"), "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

/// A negative number given to a numeric flag was read as an unknown flag: `list accounts
/// --dpd-min -3` (days before the due date, the courtesy stage's) was `unexpected argument
/// '-3' found`, and `plan quote --annual-rate -0.5` was `unexpected argument '-0' found`. The
/// value is read, and kept or refused by its own rule.
#[test]
fn a_negative_number_is_a_value_not_a_flag() {
    let env = Env::sample();
    let ahead = env.run(&["list", "accounts", "--dpd-min", "-3", "--dpd-max", "-1"]);
    assert!(ahead.ok().starts_with("accounts as of 2026-11-20: "), "{}", ahead.stdout);
    let rate = quote_at_rate(&env, "-0.5");
    assert_eq!(rate.code, 1, "{}", rate.stdout);
    assert_eq!(rate.stderr, "error: --annual-rate: annual rate must be from 0 to 10, got -0.5\n");
    let limit =
        env.run(&["credit", "decide", "--key", "CD-N", "--debtor", "B-2002", "--limit", "-5"]);
    assert_eq!(limit.code, 1, "{}", limit.stdout);
    assert!(limit.stderr.starts_with("error: --limit: "), "{}", limit.stderr);
}

/// `actions ack ID --at 0001-01-01T00:00:00Z` (a mistyped year) was accepted: a contact
/// centuries before the cycle that proposed the action entered the debtor's history. It is
/// refused, naming `--at`, and writes nothing.
#[test]
fn an_acknowledgement_before_its_action_existed_is_refused() {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let listed = env.run(&["actions", "list", "--json"]).json();
    let id = listed[0]["id"].as_u64().expect("an action id").to_string();
    let before = env.run(&["actions", "list", "--all", "--json"]).ok().to_owned();
    let ack = env.run(&[
        "actions",
        "ack",
        &id,
        "--outcome",
        "delivered",
        "--at",
        "0001-01-01T00:00:00Z",
        "--key",
        "ACK-0001",
    ]);
    assert_eq!(ack.code, 1, "{}", ack.stdout);
    assert_eq!(
        ack.stderr,
        format!(
            "error: --at: invalid acknowledgement.at: 0001-01-01T00:00:00Z is more than a day \
             before 2026-11-20, the day of the cycle that created action {id}\n"
        )
    );
    assert_eq!(env.run(&["actions", "list", "--all", "--json"]).ok(), before);
    // The evening before in UTC is the morning of the day east of UTC+8: accepted.
    let ack = env.run(&[
        "actions",
        "ack",
        &id,
        "--outcome",
        "delivered",
        "--at",
        "2026-11-19T23:30:00Z",
        "--key",
        "ACK-0002",
    ]);
    assert_eq!(ack.code, 0, "{}", ack.stderr);
}

/// `plan quote` of 100.00 USD in two monthly installments at `rate`.
fn quote_at_rate(env: &Env, rate: &str) -> Run {
    env.run(&[
        "plan",
        "quote",
        "--balance",
        "100",
        "--currency",
        "USD",
        "--installments",
        "2",
        "--frequency",
        "monthly",
        "--first-due",
        "2026-12-01",
        "--annual-rate",
        rate,
    ])
}

/// chrono's `%Y` takes any number of digits and a sign, so `26-11-20` (a year typed short) was
/// the year 26: `report aging --as-of 26-11-20` answered "no accounts open" with exit 0, and an
/// import row dated `26-11-18` was refused only for being before the account opened. A date
/// is `YYYY-MM-DD` with exactly those digits, on the command line and in every import.
#[test]
fn a_date_with_a_short_year_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    for date in ["26-11-20", "+2026-11-20", "2026-1-20", "02026-11-20"] {
        let aging = env.run(&["report", "aging", "--as-of", date]);
        assert_eq!(aging.code, 2, "{date}: {}", aging.stdout);
        assert!(
            aging.stderr.starts_with(&format!(
                "error: invalid value '{date}' for '--as-of <DATE>': \"{date}\" is not a date as \
                 YYYY-MM-DD"
            )),
            "{}",
            aging.stderr
        );
    }
    let file = env.write(
        "short-year.csv",
        "key,account,type,effective_on,amount\nSY-1,TC-8001,payment,26-11-18,1.00\n",
    );
    let import = env.run(&["import", "postings", path(&file)]);
    assert_eq!(import.code, 1, "{}", import.stdout);
    let name = path(&file);
    assert!(
        import
            .stderr
            .contains(&format!("{name}:2: effective_on: \"26-11-18\" is not a date as YYYY-MM-DD")),
        "{}",
        import.stderr
    );
    assert_eq!(env.snapshot(), before);
}

/// An application file's `applied_on` was read by chrono's serde, which takes `26-11-20` as the
/// year 26: the application was decided, scored as of 0026-11-20 and recorded, exit 0. And an
/// attribute named twice (`"sector":"restaurants","sector":"banks"`) was decided on the last
/// value without a word, where a rule may test it. Both are errors of the file naming the field,
/// and nothing is recorded.
#[test]
fn an_application_file_with_a_short_year_or_an_attribute_named_twice_is_refused() {
    let env = Env::sample();
    let application = |applied_on: &str, attributes: &str| {
        format!(
            "{{\"debtor\":\"B-2002\",\"product\":\"trade_credit\",\"limit\":\"100.00\",\
             \"currency\":\"USD\",\"applied_on\":\"{applied_on}\",\"terms\":{{\"net_days\":30,\
             \"deposit_share\":\"0\",\"cash_on_delivery\":false,\"interest_rate\":\"0.08\"}},\
             \"attributes\":{{{attributes}}}}}\n"
        )
    };
    let decide = |name: &str, text: &str, key: &str| {
        let file = env.write(name, text);
        (path(&file).to_owned(), env.run(&["credit", "decide", "--key", key, path(&file)]))
    };
    let (file, short) = decide("short.json", &application("26-11-20", ""), "CDY-1");
    assert_eq!(short.code, 1, "{}", short.stdout);
    assert!(
        short.stderr.starts_with(&format!(
            "error: {file}:1: applied_on: \"26-11-20\" is not a date as YYYY-MM-DD"
        )),
        "{}",
        short.stderr
    );
    let twice = "\"sector\":\"restaurants\",\"sector\":\"banks\"";
    let (file, named_twice) = decide("twice.json", &application("2026-11-20", twice), "CDY-2");
    assert_eq!(named_twice.code, 1, "{}", named_twice.stdout);
    assert_eq!(
        named_twice.stderr,
        format!("error: {file}:1: attributes.sector: attribute named twice\n")
    );
    // Nothing was decided: the first decision is still to come.
    let (_, good) = decide("good.json", &application("2026-11-20", "\"sector\":\"a\""), "CDY-3");
    assert!(good.ok().starts_with("decision 1:"), "{}", good.stdout);
}

/// `limitation --on` a date before the account opened was refused as `error: invalid on: ...`,
/// naming the engine's field where every other refused value names its flag (`--amount`,
/// `--key`). It names `--on` now.
#[test]
fn a_limitation_date_before_the_account_opened_names_the_flag() {
    let env = Env::sample();
    let before = env.snapshot();
    let run =
        env.run(&["limitation", "--account", "LN-5001", "--on", "2020-06-30", "--key", "LIM-1"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        "error: --on: invalid on: 2020-06-30 is before the account opened on 2026-05-01 or \
         outside the supported dates\n"
    );
    assert_eq!(env.snapshot(), before);
}

/// An e-mail address without `@` is refused in a debtors import (`email: "nope" is not an
/// e-mail address`), but `contact set --channel email --address nope` and a `contact_set` row
/// of a changes import stored it, exit 0. Both refuse it now, naming the flag or the column,
/// and write nothing. And the engine's refusal of an empty `debtor update --name` or `debtor
/// note --author` / `--text` named its field (`invalid note.author`), not the flag.
#[test]
fn debtor_upkeep_refuses_an_e_mail_address_without_at_and_names_the_flags() {
    let env = Env::sample();
    let before = env.snapshot();
    let contact = ["contact", "set", "--debtor", "C-1001", "--channel", "email"];
    let set = env.run(&[&contact[..], &["--address", "nope", "--key", "EM-1"]].concat());
    assert_eq!(set.code, 1, "{}", set.stdout);
    assert_eq!(set.stderr, "error: --address: \"nope\" is not an e-mail address\n");
    let file = env.write(
        "changes.csv",
        "key,debtor,change,channel,address\nEM-2,C-1001,contact_set,email,nope\n",
    );
    let import = env.run(&["import", "changes", path(&file)]);
    assert_eq!(import.code, 1, "{}", import.stdout);
    let name = path(&file);
    assert!(
        import.stderr.contains(&format!("{name}:2: address: \"nope\" is not an e-mail address")),
        "{}",
        import.stderr
    );
    let update =
        env.run(&["debtor", "update", "--debtor", "C-1001", "--name", " ", "--key", "EM-3"]);
    assert_eq!(update.code, 1, "{}", update.stdout);
    assert_eq!(update.stderr, "error: --name: invalid name: must not be empty\n");
    let note = ["debtor", "note", "--debtor", "C-1001", "--at", "2026-11-20T00:00:00Z"];
    let author = env.run(&[&note[..], &["--author", "", "--text", "hi", "--key", "EM-4"]].concat());
    assert_eq!(author.code, 1, "{}", author.stdout);
    assert_eq!(author.stderr, "error: --author: invalid note.author: must not be empty\n");
    let text = env.run(&[&note[..], &["--author", "a", "--text", "", "--key", "EM-5"]].concat());
    assert_eq!(text.code, 1, "{}", text.stdout);
    assert_eq!(text.stderr, "error: --text: invalid note.text: must be 1 to 4096 bytes, got 0\n");
    assert_eq!(env.snapshot(), before);
    let shown = env.run(&["show", "debtor", "C-1001"]);
    assert!(!shown.ok().contains("nope"), "{}", shown.stdout);
}
