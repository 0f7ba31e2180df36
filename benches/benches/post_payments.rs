//! Posting payments through the engine in commits of 1, 100 and 1,000, against a SQLite peer
//! doing the same logical work in the same run, plus the disk's fsync rate.
//!
//! `ARREARS_BENCH_ACCOUNTS` sets the accounts (default 2,000). Prints one JSON line per
//! commit size:
//! `{"bench":"post_payments","commit":1000,"arrears_per_sec":..,"sqlite_per_sec":..,"ratio":..}`,
//! and for one payment a commit a `one_payment_a_commit` line: the pages each commit wrote
//! and the disk's rate for writing as many scattered pages and an fsync, measured right after
//! (`scattered_sync_rate`), the ceiling of a single caller.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::cell::Cell;
use std::time::{Duration, Instant};

use arrears_benches::floor::RedbFloor;
use arrears_benches::{
    arrears_checksum, arrears_post, arrears_post_all, build_portfolio, fsync_rate,
    fsync_rate_preallocated, median, payment_charges, payment_day, quick, scattered_sync_rate,
    summary, Sqlite, WriteCounters, CACHE_BYTES,
};
use criterion::Criterion;

fn main() {
    let quick = quick();
    // `ARREARS_BENCH_ACCOUNTS` (default 2,000): 1,000,000 is issue 16's large case, payments
    // scattered over the accounts (see `arrears_benches::payment`).
    let accounts = if quick {
        50
    } else {
        std::env::var("ARREARS_BENCH_ACCOUNTS")
            .ok()
            .and_then(|text| text.replace(['_', ','], "").parse().ok())
            .unwrap_or(2_000)
    };
    // (commit size, commits timed)
    let plan: &[(usize, usize)] =
        if quick { &[(1, 3), (100, 2), (1_000, 1)] } else { &[(1, 300), (100, 30), (1_000, 8)] };

    let dir = tempfile::tempdir().expect("tempdir");
    let fsyncs = fsync_rate(dir.path(), Duration::from_millis(if quick { 100 } else { 3_000 }));
    summary(serde_json::json!({"bench": "fsync", "fsync_per_sec": fsyncs}));

    let (sizes, backlog) = arrears_benches::engine_sizes(dir.path());
    summary(serde_json::json!({
        "bench": "record_sizes",
        "bytes": format!("{sizes:?}"),
        "rows_per_account_before_payments": format!("{backlog:?}"),
    }));

    let started = Instant::now();
    let (books, ids) = build_portfolio(&dir.path().join("books.redb"), accounts, &payment_charges);
    let mut sqlite = Sqlite::create(&dir.path().join("peer.sqlite"), accounts);
    let mut redb_floor =
        RedbFloor::create(&dir.path().join("floor.redb"), accounts, sizes, backlog, CACHE_BYTES);
    eprintln!("setup of {accounts} accounts: {:?}", started.elapsed());

    let mut next = 0;
    let mut one_synced_per_sec = 0.0;
    for &(commit, commits) in plan {
        let mut ours = Vec::with_capacity(commits);
        let mut theirs = Vec::with_capacity(commits);
        let mut floors = Vec::with_capacity(commits);
        // What the engine's commits wrote (its pwrite calls and bytes), read around its posts
        // only: the peers' writes between them are not counted.
        let mut written = WriteCounters { calls: 0, bytes: 0 };
        let mut floor_written = WriteCounters { calls: 0, bytes: 0 };
        for _ in 0..commits {
            let before = WriteCounters::now();
            let start = Instant::now();
            arrears_post(&books, &ids, next, commit);
            ours.push(start.elapsed());
            if let (Some(before), Some(after)) = (before, WriteCounters::now()) {
                let wrote = before.since(after);
                written.calls += wrote.calls;
                written.bytes += wrote.bytes;
            }
            let start = Instant::now();
            sqlite.post(next, commit);
            theirs.push(start.elapsed());
            let before = WriteCounters::now();
            let start = Instant::now();
            redb_floor.post(next, commit);
            floors.push(start.elapsed());
            if let (Some(before), Some(after)) = (before, WriteCounters::now()) {
                floor_written.bytes += before.since(after).bytes;
            }
            next += commit;
        }
        let ours = median(ours);
        let theirs = median(theirs);
        let floor = median(floors);
        let arrears_per_sec = commit as f64 / ours.as_secs_f64();
        let sqlite_per_sec = commit as f64 / theirs.as_secs_f64();
        let floor_per_sec = commit as f64 / floor.as_secs_f64();
        let pages_per_commit = written.bytes as f64 / 4096.0 / commits as f64;
        let floor_pages_per_commit = floor_written.bytes as f64 / 4096.0 / commits as f64;
        if commit == 1 {
            one_synced_per_sec = arrears_per_sec;
            // One payment a commit is bound by its fsync and the pages written before it: the
            // disk's rate for as many scattered pages as a commit writes, in the same run.
            let pages = (pages_per_commit.round() as u64).max(1);
            let budget = Duration::from_millis(if quick { 100 } else { 3_000 });
            let ceiling = scattered_sync_rate(dir.path(), pages, budget);
            summary(serde_json::json!({
                "bench": "one_payment_a_commit",
                "pwrite_calls_per_commit": (written.calls as f64 / commits as f64 * 10.0).round() / 10.0,
                "pages_per_commit": (pages_per_commit * 10.0).round() / 10.0,
                "arrears_per_sec": arrears_per_sec.round(),
                "fsync_per_sec": fsyncs.round(),
                "arrears_vs_fsync": (arrears_per_sec / fsyncs * 1000.0).round() / 1000.0,
                "scattered_pages_sync_per_sec": ceiling.round(),
                "arrears_vs_scattered_pages_sync": (arrears_per_sec / ceiling * 1000.0).round() / 1000.0,
            }));
        }
        summary(serde_json::json!({
            "bench": "post_payments",
            "commit": commit,
            "commits_timed": commits,
            "accounts": accounts,
            "arrears_median_commit_us": ours.as_micros() as u64,
            "sqlite_median_commit_us": theirs.as_micros() as u64,
            "arrears_per_sec": arrears_per_sec.round(),
            "sqlite_per_sec": sqlite_per_sec.round(),
            "ratio": (arrears_per_sec / sqlite_per_sec * 1000.0).round() / 1000.0,
            "redb_floor_per_sec": floor_per_sec.round(),
            "redb_floor_ratio": (floor_per_sec / sqlite_per_sec * 1000.0).round() / 1000.0,
            "arrears_share_of_floor": (arrears_per_sec / floor_per_sec * 1000.0).round() / 1000.0,
            "fsync_per_sec": fsyncs.round(),
            "arrears_pages_per_commit": (pages_per_commit * 10.0).round() / 10.0,
            "redb_floor_pages_per_commit": (floor_pages_per_commit * 10.0).round() / 10.0,
        }));
    }
    let ours = arrears_checksum(&books, &ids);
    let theirs = sqlite.checksum();
    assert_eq!(ours, theirs, "the engine and the SQLite peer disagree");
    summary(serde_json::json!({
        "bench": "post_payments_checksum",
        "payments": next,
        "equal": true,
        "digest": ours.digest(),
    }));

    // One caller, one payment a commit, with `Durability::Journaled` (docs/DURABILITY.md, "The
    // journal"): the same store and stream, against the synced rate above and two fsync
    // probes of this run: `fsync_rate` (an appending write, the rate this benchmark has always
    // reported) and a page written over in a preallocated file (what the journal's own syncs
    // are: no file length to record).
    let store_path = dir.path().join("books.redb");
    drop(books);
    let budget = Duration::from_millis(if quick { 100 } else { 3_000 });
    let fsync_over = fsync_rate_preallocated(dir.path(), budget);
    let journaled_options = || arrears::Options {
        durability: arrears::Durability::Journaled,
        ..arrears_benches::options()
    };
    let journaled = arrears::Arrears::open_with(&store_path, journaled_options()).expect("open");
    let count = if quick { 3 } else { 3_000 };
    let start = Instant::now();
    for n in next..next + count {
        arrears_post(&journaled, &ids, n, 1);
    }
    let journaled_per_sec = count as f64 / start.elapsed().as_secs_f64();
    next += count;
    // At 1,000 a commit (`Arrears::execute_all`): each commit one record of the journal and
    // its sync, against SQLite's commit of the same payments into its WAL (synchronous=FULL),
    // in the same loop; then the same with a read of the handle after each commit (an
    // account's view, which reads inside the parked transaction); then commits late in a
    // chain. Each block starts a chain of its own (the handle reopened: its close checkpoints),
    // since a chain's commits slow down once the pages it dirtied outgrow redb's cache (at
    // 1,000,000 accounts, after about eight commits of 1,000: docs/BENCHMARKS.md, session 44);
    // the third block times commits 25 to 32 of one chain. Medians of the commits; the last
    // line is the whole run of a long chain from its start (64 commits), by its total time,
    // a commit that checkpoints included when the chain is long enough to hold one.
    let journaled_commits = if quick { 1 } else { 8 };
    let mut journaled = journaled;
    for (read_between, chain_before) in [(false, 0), (true, 0), (false, 3 * journaled_commits)] {
        drop(journaled);
        journaled = arrears::Arrears::open_with(&store_path, journaled_options()).expect("open");
        for _ in 0..chain_before {
            arrears_post_all(&journaled, &ids, next, 1_000);
            sqlite.post(next, 1_000);
            next += 1_000;
        }
        let mut ours = Vec::with_capacity(journaled_commits);
        let mut theirs = Vec::with_capacity(journaled_commits);
        for _ in 0..journaled_commits {
            let start = Instant::now();
            arrears_post_all(&journaled, &ids, next, 1_000);
            if read_between {
                let view = journaled.account_view(ids[next % ids.len()], payment_day());
                assert!(view.is_ok(), "the read after a journaled commit");
            }
            ours.push(start.elapsed());
            let start = Instant::now();
            sqlite.post(next, 1_000);
            theirs.push(start.elapsed());
            next += 1_000;
        }
        let (ours, theirs) = (median(ours), median(theirs));
        let arrears_per_sec = 1_000.0 / ours.as_secs_f64();
        let sqlite_per_sec = 1_000.0 / theirs.as_secs_f64();
        summary(serde_json::json!({
            "bench": "post_payments_journaled",
            "commit": 1_000,
            "commits_timed": journaled_commits,
            "read_between_commits": read_between,
            "chain_commits_before": chain_before,
            "accounts": accounts,
            "arrears_median_commit_us": ours.as_micros() as u64,
            "sqlite_median_commit_us": theirs.as_micros() as u64,
            "arrears_per_sec": arrears_per_sec.round(),
            "sqlite_per_sec": sqlite_per_sec.round(),
            "ratio": (arrears_per_sec / sqlite_per_sec * 1000.0).round() / 1000.0,
        }));
    }
    drop(journaled);
    let journaled = arrears::Arrears::open_with(&store_path, journaled_options()).expect("open");
    // `ARREARS_BENCH_LONG_CHAIN` sets its commits (1,100 takes in one checkpoint: every 1,024
    // records).
    let long_chain: usize = if quick {
        2
    } else {
        std::env::var("ARREARS_BENCH_LONG_CHAIN")
            .ok()
            .and_then(|text| text.replace('_', "").parse().ok())
            .unwrap_or(64)
    };
    let (mut ours, mut theirs) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..long_chain {
        let start = Instant::now();
        arrears_post_all(&journaled, &ids, next, 1_000);
        ours += start.elapsed();
        let start = Instant::now();
        sqlite.post(next, 1_000);
        theirs += start.elapsed();
        next += 1_000;
    }
    let arrears_per_sec = (long_chain * 1_000) as f64 / ours.as_secs_f64();
    let sqlite_per_sec = (long_chain * 1_000) as f64 / theirs.as_secs_f64();
    summary(serde_json::json!({
        "bench": "post_payments_journaled_long_chain",
        "commit": 1_000,
        "commits": long_chain,
        "accounts": accounts,
        "arrears_per_sec": arrears_per_sec.round(),
        "sqlite_per_sec": sqlite_per_sec.round(),
        "ratio": (arrears_per_sec / sqlite_per_sec * 1000.0).round() / 1000.0,
    }));
    drop(journaled);
    summary(serde_json::json!({
        "bench": "one_payment_a_commit_journaled",
        "payments": count,
        "journaled_per_sec": journaled_per_sec.round(),
        "synced_per_sec": one_synced_per_sec.round(),
        "journaled_vs_synced": (journaled_per_sec / one_synced_per_sec * 100.0).round() / 100.0,
        "fsync_per_sec": fsyncs.round(),
        "journaled_vs_fsync": (journaled_per_sec / fsyncs * 1000.0).round() / 1000.0,
        "fsync_over_written_page_per_sec": fsync_over.round(),
        "journaled_vs_fsync_over_written_page": (journaled_per_sec / fsync_over * 1000.0).round() / 1000.0,
    }));
    let books = arrears::Arrears::open_with(&store_path, arrears_benches::options()).expect("open");

    // Criterion's own statistics for the same work, bounded; the payments continue the stream.
    let next = Cell::new(next + 1_000_000);
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(if quick { 1 } else { 2 }))
        .configure_from_args();
    let mut group = criterion.benchmark_group("post_payments");
    for &(commit, _) in plan {
        group.bench_function(format!("arrears/commit={commit}"), |bencher| {
            bencher.iter_custom(|iterations| {
                let start = Instant::now();
                for _ in 0..iterations {
                    arrears_post(&books, &ids, next.get(), commit);
                    next.set(next.get() + commit);
                }
                start.elapsed()
            });
        });
        group.bench_function(format!("sqlite/commit={commit}"), |bencher| {
            bencher.iter_custom(|iterations| {
                let start = Instant::now();
                for _ in 0..iterations {
                    sqlite.post(next.get(), commit);
                    next.set(next.get() + commit);
                }
                start.elapsed()
            });
        });
    }
    group.finish();
    criterion.final_summary();
}
