//! What redb's own commit costs one caller who commits one small write at a time, with nothing
//! of the engine (issue 16 point 4: one caller, one payment a commit, against the disk's fsync
//! rate). For 1 to 5 tables of `ROWS` rows each, each commit inserts one 150-byte row into
//! every table (at a scattered key, as a payment's snapshot and idempotency rows are) with
//! `Durability::Immediate`; the example prints the pages each commit hands to `write`
//! (`/proc/self/io` `wchar`), the commits per second, and those against the one-page fsync
//! rate and against the rate of scattered writes of as many pages and one fsync, measured in
//! the same run ([`arrears_benches::fsync_rate`], [`arrears_benches::scattered_sync_rate`]).
//!
//! A payment writes five tables (`audit`, `idempotency_index`, `ledger_log`, `snapshots`, and
//! `cases` when its state moves): the line for four and five tables is the most any engine on
//! redb could reach for it (docs/BENCHMARKS.md section 1).
//!
//! ```text
//! cargo run --release -p arrears-benches --example redb_commit_floor     # about 40 s
//! ARREARS_FLOOR_ROWS=0 cargo run --release -p arrears-benches --example redb_commit_floor
//! ```

use std::time::{Duration, Instant};

use arrears_benches::{fsync_rate, scattered_sync_rate, WriteCounters};
use redb::{Database, Durability, TableDefinition};

const TABLES: [&str; 5] = ["audit", "idempotency_index", "ledger_log", "snapshots", "cases"];
const ROW: [u8; 150] = [1; 150];
const COMMITS: u64 = 1_000;

/// A scattered key for the `n`th row (a fixed permutation of `0..1_000_003`).
fn key(n: u64) -> u64 {
    n.wrapping_mul(104_729) % 1_000_003
}

fn main() {
    let rows: u64 = std::env::var("ARREARS_FLOOR_ROWS")
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let fsync = fsync_rate(dir.path(), Duration::from_secs(3));
    println!("fsync probe: {fsync:.0} one-page fsyncs/s; {rows} rows a table before the commits");
    for tables in 1..=TABLES.len() {
        let path = dir.path().join(format!("floor-{tables}.redb"));
        let db = Database::create(&path).expect("create");
        let txn = db.begin_write().expect("begin");
        for name in &TABLES[..tables] {
            let definition: TableDefinition<u64, &[u8]> = TableDefinition::new(name);
            let mut table = txn.open_table(definition).expect("table");
            for n in 0..rows {
                table.insert(key(n), &ROW[..]).expect("insert");
            }
        }
        txn.commit().expect("commit");
        let before = WriteCounters::now();
        let start = Instant::now();
        for n in rows..rows + COMMITS {
            let mut txn = db.begin_write().expect("begin");
            txn.set_durability(Durability::Immediate).expect("durability");
            for name in &TABLES[..tables] {
                let definition: TableDefinition<u64, &[u8]> = TableDefinition::new(name);
                let mut table = txn.open_table(definition).expect("table");
                table.insert(key(n), &ROW[..]).expect("insert");
            }
            txn.commit().expect("commit");
        }
        let per_sec = COMMITS as f64 / start.elapsed().as_secs_f64();
        let pages = match (before, WriteCounters::now()) {
            (Some(before), Some(after)) => {
                before.since(after).bytes as f64 / 4096.0 / COMMITS as f64
            }
            _ => f64::NAN,
        };
        let scattered = if pages.is_finite() {
            let pages = (pages.round() as u64).max(1);
            scattered_sync_rate(dir.path(), pages, Duration::from_secs(2))
        } else {
            f64::NAN
        };
        println!(
            "{tables} table(s) {:?}: {pages:.1} pages a commit, {per_sec:.0} commits/s, \
             {:.2} of the fsync rate, {:.2} of the scattered-pages rate",
            &TABLES[..tables],
            per_sec / fsync,
            per_sec / scattered,
        );
        drop(db);
        std::fs::remove_file(&path).expect("remove");
    }
}
