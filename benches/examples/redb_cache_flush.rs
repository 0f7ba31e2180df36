//! A standalone reproduction, on redb alone, of the cache behaviour that docs/BENCHMARKS.md and
//! `../shared/reference/store-format-3.md` found under the cycle at 1,000,000 accounts (issue 16
//! point 5): a write transaction whose reads miss a page cache that cannot hold its read set
//! writes its own dirty pages out early and reads them back, so the bytes written per update
//! grow by orders of magnitude once the cache is too small.
//!
//! The workload is the cycle's storage pattern with nothing of the engine: a `cases` table of
//! `ROWS` 55-byte rows keyed by account and a `review` index keyed by (day, account); each
//! commit reviews the next `per_commit()` accounts in key order, as a full day of the cycle does:
//! reads the case, rewrites it, and moves its index key to a later day. Copy-on-write of a
//! 4 KiB leaf holding about 60 cases costs some tens of bytes per review when the pages stay
//! in the cache. Run once per cache size, on a fresh copy of the same
//! file, it prints the bytes handed to `write` per update (`/proc/self/io` `wchar`), the
//! dirty pages' work the commit should be (a few hundred bytes), and the time.
//!
//! Each cache size runs in two of redb's concurrency modes: `ExclusiveWriter` (one process,
//! `Sharing::Exclusive`) and `SingleWriter` (others may read). Only the first runs a
//! post-commit epilogue after each durable commit: a non-durable commit that frees the pages
//! earlier commits released, which leaves its few pages in the write buffer marked as committed
//! data. Until the next durable commit empties the buffer, every read that misses a full cache
//! then writes out the least recently used buffered page to make room, whichever transaction
//! it belongs to: the running transaction's dirty pages are written, changed, and written
//! again. `SingleWriter` commits the same data with the same pages and writes each once.
//!
//! ```text
//! cargo run --release -p arrears-benches --example redb_cache_flush            # 1,000,000 rows
//! ARREARS_FLUSH_SCATTERED=1 cargo run --release -p arrears-benches --example redb_cache_flush
//! ARREARS_FLUSH_ROWS=200000 cargo run --release -p arrears-benches --example redb_cache_flush
//! ARREARS_FLUSH_SCATTERED=1 ARREARS_FLUSH_PER_COMMIT=1000 \
//!     cargo run --release -p arrears-benches --example redb_cache_flush
//! ARREARS_FLUSH_SCATTERED=1 ARREARS_FLUSH_APPEND=1 ARREARS_FLUSH_PER_COMMIT=1000 \
//!     cargo run --release -p arrears-benches --example redb_cache_flush
//! ```
//!
//! Figures and what they show: docs/BENCHMARKS.md, section 11.

use std::time::Instant;

use redb::{Builder, ConcurrencyMode, Database, Durability, ReadableTable, TableDefinition};

const CASES: TableDefinition<u64, &[u8]> = TableDefinition::new("cases");
const REVIEW: TableDefinition<(u32, u64), ()> = TableDefinition::new("review");
const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
const CASE_BYTES: usize = 55;
/// Reviews in all, in commits of [`per_commit`].
const UPDATES: u64 = 500_000;

fn main() {
    let rows: u64 = std::env::var("ARREARS_FLUSH_ROWS")
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("seed.redb");
    let started = Instant::now();
    populate(&seed, rows);
    eprintln!("populated {rows} rows in {:?}", started.elapsed());
    let modes = [
        ("exclusive", ConcurrencyMode::ExclusiveWriter),
        ("single", ConcurrencyMode::SingleWriter),
    ];
    for (cache_mib, (mode_name, mode)) in
        [16u64, 64, 128, 256].into_iter().flat_map(|cache| modes.map(|mode| (cache, mode)))
    {
        let path = dir.path().join(format!("run-{cache_mib}-{mode_name}.redb"));
        std::fs::copy(&seed, &path).expect("copy");
        let db = Builder::new()
            .set_cache_size(cache_mib as usize * 1024 * 1024)
            .set_concurrency_mode(mode)
            .open(&path)
            .expect("open");
        let before = wchar();
        let started = Instant::now();
        review(&db, rows);
        let elapsed = started.elapsed();
        let written = wchar() - before;
        let updates = UPDATES / per_commit() * per_commit();
        println!(
            "{}",
            serde_json::json!({
                "bench": "redb_cache_flush",
                "rows": rows,
                "cache_mib": cache_mib,
                "mode": mode_name,
                "updates": updates,
                "per_commit": per_commit(),
                "bytes_written_per_update": written / updates,
                "updates_per_sec": (updates as f64 / elapsed.as_secs_f64()).round(),
            })
        );
        drop(db);
        std::fs::remove_file(&path).ok();
    }
}

/// `rows` cases, all due for review on day 0, in commits of 100,000.
fn populate(path: &std::path::Path, rows: u64) {
    let db = Database::create(path).expect("create");
    let value = [7u8; CASE_BYTES];
    let mut start = 0;
    while start < rows {
        let end = (start + 100_000).min(rows);
        let txn = db.begin_write().expect("write");
        {
            let mut cases = txn.open_table(CASES).expect("cases");
            let mut review = txn.open_table(REVIEW).expect("review");
            for account in start..end {
                cases.insert(account, value.as_slice()).expect("insert");
                review.insert((0, account), ()).expect("index");
            }
        }
        txn.commit().expect("commit");
        start = end;
    }
}

/// Durable commits of [`per_commit`] reviews each, [`UPDATES`] in all, each review the next
/// account in key order (or scattered: [`scattered`]).
fn review(db: &Database, rows: u64) {
    let mut account = 0u64;
    for commit in 0..UPDATES / per_commit() {
        let mut txn = db.begin_write().expect("write");
        txn.set_durability(Durability::Immediate).expect("durability");
        {
            let mut cases = txn.open_table(CASES).expect("cases");
            let mut review = txn.open_table(REVIEW).expect("review");
            let mut log = txn.open_table(LOG).expect("log");
            for at in 0..per_commit() {
                account =
                    if scattered() { (account + 7_919 * 127) % rows } else { (account + 1) % rows };
                let mut value = match cases.get(account).expect("get") {
                    Some(guard) => guard.value().to_vec(),
                    None => vec![0; CASE_BYTES],
                };
                value[0] = value[0].wrapping_add(1);
                if appending() {
                    log.insert(commit * per_commit() + at, value.as_slice()).expect("append");
                    continue;
                }
                cases.insert(account, value.as_slice()).expect("insert");
                review.remove((0, account)).expect("remove");
                review.insert((commit as u32 + 1, account), ()).expect("index");
            }
        }
        txn.commit().expect("commit");
    }
}

/// Bytes this process has handed to `write` and `pwrite` so far (`/proc/self/io` `wchar`).
fn wchar() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines()
        .find_map(|line| line.strip_prefix("wchar:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

/// `ARREARS_FLUSH_SCATTERED=1`: accounts scattered over the table instead of in key order.
fn scattered() -> bool {
    std::env::var_os("ARREARS_FLUSH_SCATTERED").is_some()
}

/// Reviews a commit: `ARREARS_FLUSH_PER_COMMIT`, 10,000 by default (a commit's dirty pages then
/// outgrow a small cache when scattered); 1,000 keeps a scattered commit's dirty pages far
/// under half of a 64 MiB cache while its reads still miss, the pattern of the exclusive mode's
/// extra writes.
fn per_commit() -> u64 {
    std::env::var("ARREARS_FLUSH_PER_COMMIT")
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(10_000)
}

/// `ARREARS_FLUSH_APPEND=1`: each review reads its case (scattered with
/// `ARREARS_FLUSH_SCATTERED`) and appends the new value to a log keyed by a sequence instead of
/// rewriting the case: a commit's dirty pages are a few leaves at the log's end, its reads miss
/// all over the table, as on a sparse day of the cycle (the overlay, the audit records).
fn appending() -> bool {
    std::env::var_os("ARREARS_FLUSH_APPEND").is_some()
}
