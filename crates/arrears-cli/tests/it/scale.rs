//! The scale test of issue 20 point 5: four shards relayed into one PostgreSQL, the relays
//! killed (`SIGKILL`) at seeded random points and run again, then every shard's rows in
//! PostgreSQL equal its store's (nothing lost, nothing doubled) and the portfolio aging in SQL
//! equals the sum of the shards' own.
//!
//! `ARREARS_SCALE_ACCOUNTS` sets the accounts per shard: small by default, so that the
//! ordinary test run checks the same properties; `.ci/run` runs it large, in a release build,
//! as its own step (docs/SCALE.md, "The scale test", has the figures and the full-size
//! command). It prints what it measured on stderr (`-- --nocapture` to see it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arrears::ids::{AccountId, DebtorId};
use arrears::model::{DebtorFlags, DebtorKind, Jurisdiction, ObligationKind, ProductKind, Terms};
use arrears::money::{Currency, Money};
use arrears::{
    Arrears, Durability, FixedClock, NewAccount, NewCharge, NewDebtor, Options, Outcome, Sharing,
};
use chrono::{Duration as Days, NaiveDate};

use crate::pg::Postgres;
use crate::relay::{add_aging, count, delays, engine_aging_of, sql_aging};

const SHARDS: usize = 4;

/// Accounts per shard when `ARREARS_SCALE_ACCOUNTS` is not set.
const ACCOUNTS_DEFAULT: usize = 150;

/// Accounts per commit while a shard is built.
const ACCOUNTS_PER_COMMIT: usize = 2_000;

/// Kills of each shard's relay before the run that finishes it.
const KILLS: usize = 3;

fn accounts_per_shard() -> usize {
    let set = std::env::var("ARREARS_SCALE_ACCOUNTS").ok();
    set.map_or(ACCOUNTS_DEFAULT, |text| {
        text.trim().parse().expect("ARREARS_SCALE_ACCOUNTS is a number of accounts")
    })
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

fn new_debtor(reference: String) -> arrears::Command {
    arrears::Command::CreateDebtor(NewDebtor {
        name: format!("Debtor {reference}"),
        external_ref: Some(reference),
        kind: DebtorKind::Business,
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/New_York".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    })
}

fn new_account(reference: String, debtor: DebtorId) -> arrears::Command {
    arrears::Command::OpenAccount(NewAccount {
        external_ref: Some(reference),
        debtor,
        product: ProductKind::TradeCredit,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        terms: Terms::default(),
    })
}

/// Account `index`'s charge: issued 30 to 269 days before the as-of date, due 25 days later,
/// so the accounts spread over every aging bucket.
fn new_charge(account: AccountId, index: usize) -> arrears::Command {
    let issued_on = as_of() - Days::days(30 + (index % 240) as i64);
    arrears::Command::Charge(NewCharge {
        account,
        external_ref: None,
        kind: ObligationKind::Invoice,
        issued_on,
        due_on: issued_on + Days::days(25),
        principal: usd(10_000 + (index % 997) as i64 * 13),
        interest: usd(0),
        fee: usd(0),
    })
}

/// Builds shard `shard` with `accounts` accounts: a debtor, an account and a charge each, and
/// a partial payment on every third, thousands of accounts per commit.
fn build_shard(path: &Path, shard: usize, accounts: usize) {
    let options = Options {
        durability: Durability::Eventual,
        sharing: Sharing::Exclusive,
        clock: Box::new(FixedClock("2026-11-20T12:00:00Z".parse().unwrap())),
        ..Options::default()
    };
    let books = Arrears::create_with(path, options).unwrap();
    for start in (0..accounts).step_by(ACCOUNTS_PER_COMMIT) {
        let mut batch = books.batch().unwrap();
        for index in start..accounts.min(start + ACCOUNTS_PER_COMMIT) {
            let name = format!("S{shard}-{index}");
            let debtor = match batch.execute(&format!("d:{name}"), &new_debtor(name.clone())) {
                Ok(receipt) => match receipt.outcome {
                    Outcome::DebtorCreated(id) => id,
                    other => panic!("{name}: {other:?}"),
                },
                Err(error) => panic!("{name}: {error}"),
            };
            let account =
                match batch.execute(&format!("a:{name}"), &new_account(name.clone(), debtor)) {
                    Ok(receipt) => match receipt.outcome {
                        Outcome::AccountOpened(id) => id,
                        other => panic!("{name}: {other:?}"),
                    },
                    Err(error) => panic!("{name}: {error}"),
                };
            let charged = batch.execute(&format!("c:{name}"), &new_charge(account, index)).unwrap();
            assert!(!charged.outcome.is_rejected(), "{name}: {:?}", charged.outcome);
            if index % 3 == 0 {
                let payment = arrears::Command::Payment {
                    account,
                    effective_on: as_of() - Days::days((index % 20) as i64),
                    amount: usd(3_000),
                    directed_to: None,
                };
                let paid = batch.execute(&format!("p:{name}"), &payment).unwrap();
                assert!(!paid.outcome.is_rejected(), "{name}: {:?}", paid.outcome);
            }
        }
        batch.commit().unwrap();
    }
}

/// What one shard holds, from the store.
#[derive(Debug, PartialEq, Eq)]
struct ShardTotals {
    changes: i64,
    accounts: i64,
    obligations: i64,
    postings: i64,
    moved_minor: i64,
}

fn store_totals(path: &Path) -> ShardTotals {
    let books = Arrears::open_read_only(path).unwrap();
    let changes = books.audit_head().unwrap().map_or(0, |head| head.seq as i64);
    let mut totals =
        ShardTotals { changes, accounts: 0, obligations: 0, postings: 0, moved_minor: 0 };
    for id in books.account_ids().unwrap() {
        totals.accounts += 1;
        totals.obligations += books.obligations_of(id).unwrap().len() as i64;
        for entry in books.ledger(id).unwrap() {
            for posting in entry.postings {
                totals.postings += 1;
                totals.moved_minor += posting.amount_minor.abs();
            }
        }
    }
    totals
}

/// What PostgreSQL holds of one shard; asserts first that its audit, outbox and cursor hold
/// every change once (sequences 1..=N, no gap, no double).
fn pg_totals(client: &mut postgres::Client, shard: &str) -> ShardTotals {
    let mut scalar = |sql: &str| count(client, &sql.replace("$shard", shard));
    let changes = scalar("SELECT count(*) FROM audit WHERE shard = '$shard'");
    let distinct = scalar("SELECT count(DISTINCT seq) FROM audit WHERE shard = '$shard'");
    let top = scalar("SELECT coalesce(max(seq), 0) FROM audit WHERE shard = '$shard'");
    let outbox = scalar("SELECT count(*) FROM outbox WHERE shard = '$shard'");
    let cursor = scalar("SELECT seq FROM relay_cursor WHERE shard = '$shard'");
    assert_eq!((distinct, top, outbox, cursor), (changes, changes, changes, changes), "{shard}");
    ShardTotals {
        changes,
        accounts: scalar("SELECT count(*) FROM accounts WHERE shard = '$shard'"),
        obligations: scalar("SELECT count(*) FROM obligations WHERE shard = '$shard'"),
        postings: scalar("SELECT count(*) FROM journal_postings WHERE shard = '$shard'"),
        moved_minor: scalar(
            "SELECT coalesce(sum(abs(amount_minor)), 0)::bigint FROM journal_postings \
             WHERE shard = '$shard'",
        ),
    }
}

/// Changes per PostgreSQL transaction: 500 (the relay's default) at scale, fewer for a small
/// shard so that its relay commits several batches between the kills.
fn batch_for(head: i64) -> String {
    (head / 8).clamp(50, 500).to_string()
}

fn relay(db: &Path, pg: &Postgres, shard: &str, batch: &str, once: bool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arrears"));
    command.arg("--db").arg(db).args([
        "relay",
        "postgres",
        "--dsn",
        &pg.dsn(),
        "--shard",
        shard,
        "--batch",
        batch,
    ]);
    if once {
        command.arg("--once");
    }
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    command
}

fn cursor(pg: &Postgres, shard: &str) -> i64 {
    let rows = pg.client().query("SELECT seq FROM relay_cursor WHERE shard = $1", &[&shard]);
    rows.ok().and_then(|rows| rows.first().map(|row| row.get(0))).unwrap_or(0)
}

/// Relays one shard of `head` changes: `KILLS` runs, each killed at a seeded random delay of at
/// most `kill_max_ms` after it committed its first batch (so that every kill lands in the
/// middle of a run, most often in the middle of a batch), then one run to the end. Returns the
/// cursors the kills left.
fn relay_with_kills(
    db: &Path,
    pg: &Postgres,
    shard: usize,
    head: i64,
    kill_max_ms: u64,
) -> Vec<i64> {
    let name = format!("s{shard}");
    let batch = batch_for(head);
    let mut cursors = Vec::new();
    let mut last = 0;
    for delay in delays(2_000 + shard as u64, KILLS, kill_max_ms) {
        let mut child = relay(db, pg, &name, &batch, false).spawn().expect("start the relay");
        let started = Instant::now();
        while cursor(pg, &name) == last && last < head {
            assert!(started.elapsed() < Duration::from_secs(600), "{name}: no batch committed");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().expect("kill");
        child.wait().expect("reap");
        last = cursor(pg, &name);
        cursors.push(last);
    }
    let output = relay(db, pg, &name, &batch, true).output().expect("run the relay");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    cursors
}

#[test]
fn four_shards_relayed_with_kills_lose_and_double_nothing_and_aging_in_sql_sums_them() {
    let accounts = accounts_per_shard();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> =
        (0..SHARDS).map(|shard| dir.path().join(format!("shard-{shard}.redb"))).collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (shard, path) in paths.iter().enumerate() {
            scope.spawn(move || build_shard(path, shard, accounts));
        }
    });
    let built = started.elapsed();
    let expected: Vec<ShardTotals> = paths.iter().map(|path| store_totals(path)).collect();
    let changes: i64 = expected.iter().map(|totals| totals.changes).sum();
    let backup_started = Instant::now();
    let backup = Arrears::open_read_only(&paths[0]).unwrap().backup(&dir.path().join("b.redb"));
    let backup = backup.unwrap();
    assert_eq!(backup.seq as i64, expected[0].changes);
    eprintln!(
        "scale: backup of a shard of {accounts} accounts ({} bytes) in {:.1?}",
        backup.bytes,
        backup_started.elapsed()
    );
    eprintln!(
        "scale: built {SHARDS} shards of {accounts} accounts ({changes} changes) in {built:.1?}"
    );

    let pg = Postgres::start();
    // Kills spread over a relay's run (measured: a few hundred changes a second per relay in a
    // debug build, a few thousand in a release one), each after a committed batch.
    let kill_max_ms = (changes as u64 / SHARDS as u64 / 4).max(400);
    let relayed = Instant::now();
    let cursors: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let pg = &pg;
        let handles: Vec<_> = paths
            .iter()
            .enumerate()
            .zip(&expected)
            .map(|((shard, path), totals)| {
                scope.spawn(move || relay_with_kills(path, pg, shard, totals.changes, kill_max_ms))
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let relay_time = relayed.elapsed();
    eprintln!(
        "scale: relayed {changes} changes with {KILLS} kills a shard in {relay_time:.1?} \
         ({:.0} changes/s); cursors after the kills: {cursors:?}",
        changes as f64 / relay_time.as_secs_f64()
    );
    let mid_run = cursors
        .iter()
        .zip(&expected)
        .any(|(cursors, totals)| cursors.iter().any(|seq| *seq > 0 && *seq < totals.changes));
    assert!(mid_run, "no kill landed in the middle of a run: {cursors:?}");

    let mut client = pg.client();
    for (shard, totals) in expected.iter().enumerate() {
        assert_eq!(&pg_totals(&mut client, &format!("s{shard}")), totals, "shard s{shard}");
    }
    for as_of in [as_of(), NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()] {
        let mut summed = std::collections::BTreeMap::new();
        for path in &paths {
            add_aging(&mut summed, engine_aging_of(path, as_of));
        }
        assert!(!summed.is_empty());
        assert_eq!(sql_aging(&pg, as_of), summed, "aging on {as_of}");
    }
    eprintln!(
        "scale: checked in {:.1?}; total {:.1?}",
        relayed.elapsed() - relay_time,
        started.elapsed()
    );
}
