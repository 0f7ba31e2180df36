//! `arrears relay postgres` against a real PostgreSQL 15 (tests/it/pg.rs): the relayed tables
//! hold exactly the store, the aging SQL of docs/SCALE.md gives the engine's figures, and a
//! relay killed at random points, or a PostgreSQL shut down in the middle of a run, loses and
//! doubles nothing.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrears::aging::Bucket;
use arrears::Arrears;
use chrono::NaiveDate;

use crate::pg::Postgres;
use crate::{path, Env, RECORDED_AT};

/// The sample portfolio after a cycle, one action acknowledged and a back-dated payment.
pub(crate) fn busy_sample() -> Env {
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let actions = env.run(&["actions", "list", "--json"]).json();
    let id = actions[0]["id"].as_u64().expect("an action").to_string();
    env.run(&[
        "actions",
        "ack",
        &id,
        "--outcome",
        "delivered",
        "--at",
        RECORDED_AT,
        "--key",
        "ack-1",
    ])
    .ok();
    env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "100.00",
        "--on",
        "2026-10-01",
        "--key",
        "late-news",
    ])
    .ok();
    env
}

fn relay_command(env: &Env, pg: &Postgres, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arrears"));
    command
        .arg("--db")
        .arg(env.db())
        .args(["relay", "postgres", "--dsn", &pg.dsn(), "--shard", "s1"])
        .args(extra);
    command
}

pub(crate) fn relay_once(env: &Env, pg: &Postgres, batch: &str) -> String {
    let output = relay_command(env, pg, &["--once", "--batch", batch, "--json"])
        .output()
        .expect("run the relay");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Counts and sums that must be equal in the store and in PostgreSQL.
#[derive(Debug, PartialEq, Eq)]
struct Totals {
    changes: i64,
    debtors: i64,
    accounts: i64,
    obligations: i64,
    postings: i64,
    receivable_by_currency: BTreeMap<String, i64>,
    moved_by_currency: BTreeMap<String, i64>,
    actions_by_status: BTreeMap<String, i64>,
    cases_by_state: BTreeMap<String, i64>,
}

fn store_totals(env: &Env) -> Totals {
    let books = Arrears::open_read_only(env.db()).expect("open the store");
    let head = books.audit_head().unwrap().expect("a log").seq as i64;
    let mut totals = Totals {
        changes: head,
        debtors: 0,
        accounts: 0,
        obligations: 0,
        postings: 0,
        receivable_by_currency: BTreeMap::new(),
        moved_by_currency: BTreeMap::new(),
        actions_by_status: BTreeMap::new(),
        cases_by_state: BTreeMap::new(),
    };
    let mut debtors = std::collections::BTreeSet::new();
    for id in books.account_ids().unwrap() {
        let account = books.account(id).unwrap().unwrap();
        debtors.insert(account.debtor);
        totals.accounts += 1;
        totals.obligations += books.obligations_of(id).unwrap().len() as i64;
        let code = account.currency.code().to_owned();
        for entry in books.ledger(id).unwrap() {
            for posting in entry.postings {
                totals.postings += 1;
                *totals.moved_by_currency.entry(code.clone()).or_default() +=
                    posting.amount_minor.abs();
                if posting.book == arrears::ledger::Book::Receivable {
                    *totals.receivable_by_currency.entry(code.clone()).or_default() +=
                        posting.amount_minor;
                }
            }
        }
        let state = tag(&books.case(id).unwrap().state);
        *totals.cases_by_state.entry(state).or_default() += 1;
    }
    totals.debtors = debtors.len() as i64;
    for action in books.actions().unwrap() {
        *totals.actions_by_status.entry(tag(&action.status)).or_default() += 1;
    }
    totals
}

/// The serde tag of an enum value: its name, or its one key.
fn tag(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value).unwrap() {
        serde_json::Value::String(name) => name,
        serde_json::Value::Object(map) => map.keys().next().unwrap().clone(),
        other => panic!("{other}"),
    }
}

fn grouped(client: &mut postgres::Client, sql: &str) -> BTreeMap<String, i64> {
    let rows = client.query(sql, &[]).unwrap();
    rows.iter().map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1))).collect()
}

pub(crate) fn count(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).unwrap().get(0)
}

fn pg_totals(pg: &Postgres) -> Totals {
    let mut client = pg.client();
    let changes = count(&mut client, "SELECT count(*) FROM audit WHERE shard = 's1'");
    // The audit and the outbox each hold every change once: seq 1..=N, no gap, no double.
    let outbox = count(&mut client, "SELECT count(DISTINCT seq) FROM outbox WHERE shard = 's1'");
    let top = count(&mut client, "SELECT coalesce(max(seq), 0) FROM audit WHERE shard = 's1'");
    let cursor = count(&mut client, "SELECT seq FROM relay_cursor WHERE shard = 's1'");
    assert_eq!((outbox, top, cursor), (changes, changes, changes));
    Totals {
        changes,
        debtors: count(&mut client, "SELECT count(*) FROM debtors"),
        accounts: count(&mut client, "SELECT count(*) FROM accounts"),
        obligations: count(&mut client, "SELECT count(*) FROM obligations"),
        postings: count(&mut client, "SELECT count(*) FROM journal_postings"),
        receivable_by_currency: grouped(
            &mut client,
            "SELECT currency, sum(amount_minor)::bigint FROM journal_postings \
             WHERE book = 'receivable' GROUP BY 1",
        ),
        moved_by_currency: grouped(
            &mut client,
            "SELECT currency, sum(abs(amount_minor))::bigint FROM journal_postings GROUP BY 1",
        ),
        actions_by_status: grouped(&mut client, "SELECT status, count(*) FROM actions GROUP BY 1"),
        cases_by_state: grouped(&mut client, "SELECT state, count(*) FROM cases GROUP BY 1"),
    }
}

/// The aging SQL, as docs/SCALE.md gives it.
fn aging_sql() -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/SCALE.md"),
    )
    .unwrap();
    let section = &doc[doc.find("### Portfolio aging in SQL").expect("the section")..];
    let start = section.find("```sql\n").expect("a sql block") + "```sql\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_owned()
}

fn engine_aging(env: &Env, as_of: NaiveDate) -> AgingTable {
    engine_aging_of(env.db(), as_of)
}

/// `arrears report aging`'s table: (currency, row) to (amount in minor units, accounts; none
/// for `disputed`), every row (the buckets, `total`, `disputed`, `charged off`) of every
/// currency.
pub(crate) type AgingTable = BTreeMap<(String, String), (i64, Option<i64>)>;

/// The engine's portfolio aging of the store at `db`, every field of each currency's
/// `AgingRow` in the table's rows.
pub(crate) fn engine_aging_of(db: &std::path::Path, as_of: NaiveDate) -> AgingTable {
    let books = Arrears::open_read_only(db).unwrap();
    let mut table = AgingTable::new();
    for row in books.portfolio_aging(as_of).unwrap().rows {
        let currency = row.currency.code().to_owned();
        let mut put = |label: &str, amount: i64, accounts: Option<u64>| {
            let accounts = accounts.map(|count| count as i64);
            table.insert((currency.clone(), label.to_owned()), (amount, accounts));
        };
        for bucket in Bucket::ALL {
            let at = bucket.index();
            put(bucket.label(), row.amounts_minor[at], Some(row.accounts[at]));
        }
        put("total", row.total_minor, Some(row.accounts.iter().sum()));
        put("disputed", row.disputed_minor, None);
        put("charged off", row.charged_off_owed_minor, Some(row.charged_off_accounts));
    }
    table
}

/// Adds `more` to `sum`, row by row: the aging of several shards.
pub(crate) fn add_aging(sum: &mut AgingTable, more: AgingTable) {
    for (key, (amount, accounts)) in more {
        let row = sum.entry(key).or_insert((0, accounts.map(|_| 0)));
        row.0 += amount;
        row.1 = row.1.zip(accounts).map(|(before, added)| before + added);
    }
}

pub(crate) fn sql_aging(pg: &Postgres, as_of: NaiveDate) -> AgingTable {
    let rows = pg.client().query(&aging_sql(), &[&as_of]).unwrap();
    rows.iter()
        .map(|row| ((row.get(0), row.get(1)), (row.get(2), row.get::<_, Option<i64>>(3))))
        .collect()
}

/// The (amount, accounts) of one row of an aging table.
fn figure(table: &AgingTable, currency: &str, row: &str) -> (i64, Option<i64>) {
    table[&(currency.to_owned(), row.to_owned())]
}

#[test]
fn the_sample_store_relays_and_aging_in_sql_equals_the_engines() {
    let env = busy_sample();
    let pg = Postgres::start();
    let first: serde_json::Value = serde_json::from_str(&relay_once(&env, &pg, "50")).unwrap();
    let expected = store_totals(&env);
    assert_eq!(first["applied"], expected.changes);
    assert_eq!(pg_totals(&pg), expected);
    // Run again: nothing new, nothing doubled.
    let again: serde_json::Value = serde_json::from_str(&relay_once(&env, &pg, "50")).unwrap();
    assert_eq!(again["applied"], 0);
    assert_eq!(pg_totals(&pg), expected);
    for as_of in ["2026-08-31", "2026-09-05", "2026-10-01", "2026-11-20", "2027-06-30"] {
        let as_of: NaiveDate = as_of.parse().unwrap();
        let engine = engine_aging(&env, as_of);
        assert!(!engine.is_empty());
        assert_eq!(sql_aging(&pg, as_of), engine, "aging on {as_of}");
    }
    // The figures the sample gives on 2026-11-20: its dispute open, its one charge-off.
    let engine = engine_aging(&env, "2026-11-20".parse().unwrap());
    assert!(figure(&engine, "USD", "disputed").0 > 0, "{engine:?}");
    assert_eq!(figure(&engine, "USD", "charged off").1, Some(1), "{engine:?}");
    assert!(figure(&engine, "USD", "charged off").0 > 0, "{engine:?}");
    // The outbox has Kafka Connect's shape, one row per change, grouped by aggregate.
    let mut client = pg.client();
    let types = grouped(
        &mut client,
        "SELECT aggregatetype || ' ' || type, count(*) FROM outbox GROUP BY 1",
    );
    assert_eq!(types["debtor create_debtor"], 12);
    assert_eq!(types["account payment"], 32);
    assert!(types["account transition"] > 0);
    assert_eq!(types["store cycle"], 1);
}

/// Resolves the sample's one dispute (TC-8002's INV-20263, disputed on 2026-09-05) on
/// 2026-10-15, a date behind the cycle's.
pub(crate) fn resolve_the_samples_dispute(env: &Env) {
    env.run(&[
        "post",
        "undispute",
        "--account",
        "TC-8002",
        "--obligation",
        "INV-20263",
        "--on",
        "2026-10-15",
        "--key",
        "BB-UNDSP-1015",
    ])
    .ok();
}

/// The aging in SQL follows each obligation's dispute state on the date asked: the sample's
/// invoice is disputed from 2026-09-05 to 2026-10-14, not before nor after.
#[test]
fn aging_in_sql_follows_a_dispute_from_its_opening_to_its_resolution() {
    let env = busy_sample();
    resolve_the_samples_dispute(&env);
    let pg = Postgres::start();
    relay_once(&env, &pg, "50");
    let rows = count(&mut pg.client(), "SELECT count(*) FROM obligation_disputes");
    assert_eq!(rows, 2, "the dispute and its resolution");
    let mut disputed = Vec::new();
    for as_of in ["2026-09-04", "2026-09-05", "2026-10-14", "2026-10-15", "2026-11-20"] {
        let as_of: NaiveDate = as_of.parse().unwrap();
        let engine = engine_aging(&env, as_of);
        assert_eq!(sql_aging(&pg, as_of), engine, "aging on {as_of}");
        disputed.push(figure(&engine, "USD", "disputed").0 > 0);
    }
    assert_eq!(disputed, [false, true, true, false, false]);
}

/// A waiver recorded after a charge-off (the sample's TC-8003, charged off on 2026-10-31)
/// lowers what the debtor owes without moving a book (the receivable is written off): the
/// relayed charge-off states (`charge_offs`) carry it, so the aging SQL's `charged off` amount
/// follows the engine's, lower by the waiver from its date.
#[test]
fn a_waiver_after_a_charge_off_lowers_what_the_aging_sql_says_is_owed() {
    let env = busy_sample();
    let pg = Postgres::start();
    relay_once(&env, &pg, "50");
    let as_of: NaiveDate = "2026-11-20".parse().unwrap();
    let before = sql_aging(&pg, as_of);
    env.run(&[
        "post",
        "waiver",
        "--account",
        "TC-8003",
        "--obligation",
        "INV-30112",
        "--component",
        "principal",
        "--amount",
        "100.00",
        "--on",
        "2026-11-18",
        "--key",
        "SN-WVR-1118",
    ])
    .ok();
    relay_once(&env, &pg, "50");
    for day in ["2026-11-17", "2026-11-18", "2026-11-20"] {
        let day: NaiveDate = day.parse().unwrap();
        assert_eq!(sql_aging(&pg, day), engine_aging(&env, day), "aging on {day}");
    }
    let after = sql_aging(&pg, as_of);
    assert_eq!(
        figure(&before, "USD", "charged off").0 - figure(&after, "USD", "charged off").0,
        10_000
    );
}

/// A charge-off reversed (an event on the charge-off's own date, recorded later): the relay
/// restates the account's charge-off rows, and the aging SQL no longer counts it charged off on
/// any date, as the engine.
#[test]
fn a_charge_off_reversed_is_restated_in_the_aging_sql() {
    let env = busy_sample();
    let pg = Postgres::start();
    relay_once(&env, &pg, "50");
    let as_of: NaiveDate = "2026-11-20".parse().unwrap();
    assert_eq!(figure(&sql_aging(&pg, as_of), "USD", "charged off").1, Some(1));
    env.run(&[
        "post",
        "charge-off-reversal",
        "--account",
        "TC-8003",
        "--on",
        "2026-11-19",
        "--reason",
        "charged off by mistake",
        "--key",
        "SN-COR-1119",
    ])
    .ok();
    relay_once(&env, &pg, "50");
    for day in ["2026-10-30", "2026-10-31", "2026-11-20"] {
        let day: NaiveDate = day.parse().unwrap();
        let engine = engine_aging(&env, day);
        assert_eq!(figure(&engine, "USD", "charged off"), (0, Some(0)), "on {day}");
        assert_eq!(sql_aging(&pg, day), engine, "aging on {day}");
    }
}

/// A back-dated payment that settles, before its charge-off, everything the sample's TC-8003
/// owed: the charge-off's bad debt is restated to nothing, yet the account stays charged off
/// (owing nothing) in the engine, and in the aging SQL (from the relayed `charge_offs`).
#[test]
fn an_account_charged_off_owing_nothing_counts_as_charged_off_in_the_aging_sql() {
    let env = busy_sample();
    let pg = Postgres::start();
    relay_once(&env, &pg, "50");
    env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8003",
        "--amount",
        "9725.50",
        "--on",
        "2026-10-15",
        "--key",
        "SN-PAY-1015",
    ])
    .ok();
    relay_once(&env, &pg, "50");
    for day in ["2026-10-31", "2026-11-20"] {
        let day: NaiveDate = day.parse().unwrap();
        let engine = engine_aging(&env, day);
        assert_eq!(figure(&engine, "USD", "charged off"), (0, Some(1)), "on {day}");
        assert_eq!(sql_aging(&pg, day), engine, "aging on {day}");
    }
}

/// A seeded generator of delays, so that a failure names the delays it used.
pub(crate) fn delays(seed: u64, count: usize, max_ms: u64) -> Vec<u64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % max_ms
        })
        .collect()
}

fn cursor(pg: &Postgres) -> i64 {
    // 0 also before the first relay created the schema.
    let rows = pg.client().query("SELECT seq FROM relay_cursor WHERE shard = 's1'", &[]);
    rows.ok().and_then(|rows| rows.first().map(|row| row.get(0))).unwrap_or(0)
}

#[test]
fn a_relay_killed_at_random_points_loses_and_doubles_nothing() {
    let env = busy_sample();
    let pg = Postgres::start();
    let expected = store_totals(&env);
    let mut interrupted = Vec::new();
    for delay in delays(20, 8, 400) {
        let mut child: Child = relay_command(&env, &pg, &["--once", "--batch", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the relay");
        std::thread::sleep(Duration::from_millis(40 + delay));
        child.kill().expect("kill");
        child.wait().expect("reap");
        interrupted.push(cursor(&pg));
    }
    assert!(
        interrupted.iter().any(|seq| *seq > 0 && *seq < expected.changes),
        "no kill landed in the middle of a run: cursors {interrupted:?} of {}",
        expected.changes
    );
    eprintln!("cursors after each kill: {interrupted:?} of {}", expected.changes);
    relay_once(&env, &pg, "7");
    assert_eq!(pg_totals(&pg), expected, "after kills at cursors {interrupted:?}");
    assert_eq!(
        sql_aging(&pg, "2026-11-20".parse().unwrap()),
        engine_aging(&env, "2026-11-20".parse().unwrap())
    );
}

#[test]
fn postgresql_shut_down_in_the_middle_of_a_run_loses_and_doubles_nothing() {
    let env = busy_sample();
    let pg = Postgres::start();
    let expected = store_totals(&env);
    // `--retries 0`: a following relay that is told not to reconnect stops at the failure.
    let mut child =
        relay_command(&env, &pg, &["--batch", "1", "--poll-ms", "50", "--retries", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the relay");
    let started = Instant::now();
    while cursor(&pg) == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "the relay never committed");
        std::thread::sleep(Duration::from_millis(5));
    }
    pg.stop_immediately();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the relay outlived PostgreSQL");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("postgresql"), "{stderr}");
    pg.start_server();
    let stopped_at = cursor(&pg);
    assert!(stopped_at > 0 && stopped_at < expected.changes, "stopped at {stopped_at}");
    relay_once(&env, &pg, "500");
    assert_eq!(pg_totals(&pg), expected);
}

#[test]
fn a_relay_that_cannot_reach_postgresql_fails_with_a_clear_error_and_writes_nothing() {
    let env = Env::sample();
    let missing = env.dir().join("no-socket-here");
    let dsn = format!("host={} user=postgres", path(&missing));
    let run = env.run(&["relay", "postgres", "--dsn", &dsn, "--once"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: postgresql"), "{}", run.stderr);
}

/// A following relay outlives a PostgreSQL stopped (in immediate mode, as a crash) and started
/// again a second later: it logs each attempt, reconnects with backoff, and catches up with
/// nothing lost or doubled.
#[test]
fn a_following_relay_reconnects_to_a_restarted_postgresql_and_loses_and_doubles_nothing() {
    let env = busy_sample();
    let pg = Postgres::start();
    let expected = store_totals(&env);
    let log = env.dir().join("relay.log");
    let args = ["--batch", "1", "--poll-ms", "50", "--retries", "50", "--retry-max-ms", "200"];
    let mut relay = KillOnDrop(
        relay_command(&env, &pg, &args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the relay"),
    );
    let started = Instant::now();
    while cursor(&pg) == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "the relay never committed");
        std::thread::sleep(Duration::from_millis(5));
    }
    pg.stop_immediately();
    std::thread::sleep(Duration::from_millis(1_000));
    assert!(relay.0.try_wait().unwrap().is_none(), "the relay stopped with PostgreSQL");
    pg.start_server();
    let restarted = Instant::now();
    while cursor(&pg) < expected.changes {
        assert!(restarted.elapsed() < Duration::from_secs(60), "the relay never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(pg_totals(&pg), expected);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("reconnecting in 100 ms (attempt 1 of 50)"), "{logged}");
    assert!(logged.contains("relay: reconnected to postgresql"), "{logged}");
}

/// The reconnections are bounded: a following relay that cannot reach PostgreSQL tries
/// `--retries` times, logging each, then stops with the error.
#[test]
fn a_following_relay_gives_up_after_its_retries() {
    let env = Env::sample();
    let missing = env.dir().join("no-socket-here");
    let dsn = format!("host={} user=postgres", path(&missing));
    let args = ["relay", "postgres", "--dsn", &dsn, "--retries", "2", "--retry-max-ms", "150"];
    let run = env.run(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("reconnecting in 100 ms (attempt 1 of 2)"), "{}", run.stderr);
    assert!(run.stderr.contains("reconnecting in 150 ms (attempt 2 of 2)"), "{}", run.stderr);
    assert!(run.stderr.contains("error: postgresql"), "{}", run.stderr);
}

#[test]
fn two_shards_relay_into_one_database_and_aging_in_sql_sums_them() {
    let first = busy_sample();
    let second = Env::sample();
    let pg = Postgres::start();
    for (env, shard) in [(&first, "s1"), (&second, "s2")] {
        let output = Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("--db")
            .arg(env.db())
            .args(["relay", "postgres", "--dsn", &pg.dsn(), "--shard", shard, "--once"])
            .output()
            .expect("run the relay");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let cursors = grouped(&mut pg.client(), "SELECT shard, seq FROM relay_cursor");
    let heads: BTreeMap<String, i64> = [("s1", &first), ("s2", &second)]
        .map(|(shard, env)| (shard.to_owned(), store_totals(env).changes))
        .into();
    assert_eq!(cursors, heads);
    for as_of in ["2026-10-01", "2026-11-20"] {
        let as_of: NaiveDate = as_of.parse().unwrap();
        let mut expected = engine_aging(&first, as_of);
        add_aging(&mut expected, engine_aging(&second, as_of));
        assert_eq!(sql_aging(&pg, as_of), expected, "aging on {as_of}");
    }
}

/// Kills the child it holds when dropped, a failing test included.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_following_relay_catches_up_with_a_store_written_meanwhile() {
    let env = busy_sample();
    let pg = Postgres::start();
    let _relay = KillOnDrop(
        relay_command(&env, &pg, &["--batch", "3", "--poll-ms", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the relay"),
    );
    for day in 1..=8 {
        let on = format!("2026-11-{day:02}");
        let key = format!("follow-{day}");
        env.run(&[
            "post",
            "payment",
            "--account",
            "TC-8001",
            "--amount",
            "10.00",
            "--on",
            &on,
            "--key",
            &key,
        ])
        .ok();
    }
    let expected = store_totals(&env);
    let started = Instant::now();
    while cursor(&pg) < expected.changes {
        assert!(started.elapsed() < Duration::from_secs(30), "the relay never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(pg_totals(&pg), expected);
    assert_eq!(
        sql_aging(&pg, "2026-11-20".parse().unwrap()),
        engine_aging(&env, "2026-11-20".parse().unwrap())
    );
}

/// Renames `debtor` to `name`, under an idempotency key made of the name.
fn rename_debtor(books: &Arrears, debtor: arrears::ids::DebtorId, name: &str) {
    let command = arrears::Command::UpdateDebtor {
        debtor,
        changes: arrears::DebtorChanges { name: Some(name.to_owned()), ..Default::default() },
    };
    let receipt = books.execute(&format!("rename-{name}"), &command).unwrap();
    assert!(!receipt.outcome.is_rejected(), "{:?}", receipt.outcome);
}

/// One batch that holds two changes of the same row (a debtor renamed twice, an account paid
/// twice) writes the row once, as the later change left it.
#[test]
fn a_batch_holding_two_changes_of_the_same_row_ends_with_the_later_one() {
    let env = busy_sample();
    let pg = Postgres::start();
    relay_once(&env, &pg, "500");
    let books = Arrears::open(env.db()).unwrap();
    let account = books.account_ids().unwrap()[0];
    let debtor = books.account(account).unwrap().unwrap().debtor;
    rename_debtor(&books, debtor, "First Name Ltd");
    rename_debtor(&books, debtor, "Second Name Ltd");
    for (key, amount) in [("twice-1", 1_000), ("twice-2", 2_000)] {
        let payment = arrears::Command::Payment {
            account,
            effective_on: "2026-11-01".parse().unwrap(),
            amount: arrears::money::Money::from_minor(
                amount,
                books.account(account).unwrap().unwrap().currency,
            ),
            directed_to: None,
        };
        assert!(!books.execute(key, &payment).unwrap().outcome.is_rejected());
    }
    drop(books);
    let applied: serde_json::Value = serde_json::from_str(&relay_once(&env, &pg, "500")).unwrap();
    assert_eq!(applied["applied"], 4, "the four changes in one batch");
    let mut client = pg.client();
    let row = client
        .query_one(
            "SELECT name, record FROM debtors WHERE shard = 's1' AND id = $1",
            &[&(debtor.0 as i64)],
        )
        .unwrap();
    let stored = Arrears::open_read_only(env.db()).unwrap().debtor(debtor).unwrap().unwrap();
    assert_eq!(row.get::<_, String>(0), "Second Name Ltd");
    assert_eq!(row.get::<_, serde_json::Value>(1), serde_json::to_value(&stored).unwrap());
    assert_eq!(pg_totals(&pg), store_totals(&env));
}
