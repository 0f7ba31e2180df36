//! Group commit (issue 16 point 3): many threads, each posting one payment per
//! `Arrears::execute`, against one thread doing the same, and against the disk's fsync rate
//! measured in the same run. Concurrent callers share write transactions and commits, so the
//! rate can pass the fsync rate that bounds one caller.
//!
//! The peer: SQLite doing the same logical work (`arrears_benches::Sqlite::post`, one payment a
//! transaction), one connection per caller, WAL, `synchronous = FULL`, writers waiting on
//! `busy_timeout`, measured in the same run on the same stream.
//!
//! The engine runs twice, on two copies of one portfolio: as built by default
//! (`Durability::Immediate`, each group's commit synced in the store) and with
//! `Durability::Journaled` (each group's commit durable by a synced journal record, the store
//! synced at checkpoints; docs/DURABILITY.md, "The journal"), engine `arrears_journaled`.
//!
//! Prints one JSON line per number of callers and engine:
//! `{"bench":"concurrent_payments","engine":"arrears","callers":16,"per_sec":..,"p50_us":..,
//! "p99_us":..,"vs_one_caller":..,"vs_fsync":..}`, then the ratio of the two.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use arrears_benches::{
    arrears_checksum, arrears_post, build_portfolio, fsync_rate, payment_charges, quick, summary,
    Sqlite,
};

fn main() {
    let quick = quick();
    let accounts = if quick { 64 } else { 2_000 };
    let callers: &[usize] = if quick { &[1, 4] } else { &[1, 16, 256] };
    let per_caller_budget = if quick { 4 } else { 0 };
    let total = if quick { 16 } else { 4_096 };

    let dir = tempfile::tempdir().expect("tempdir");
    let fsyncs = fsync_rate(dir.path(), Duration::from_millis(if quick { 100 } else { 3_000 }));
    summary(serde_json::json!({"bench": "fsync", "fsync_per_sec": fsyncs.round()}));
    let (books, ids) = build_portfolio(&dir.path().join("books.redb"), accounts, &payment_charges);
    drop(books);
    std::fs::copy(dir.path().join("books.redb"), dir.path().join("journaled.redb")).expect("copy");
    let books = Arc::new(
        arrears::Arrears::open_with(dir.path().join("books.redb"), arrears_benches::options())
            .expect("open"),
    );
    let journaled_options = arrears::Options {
        durability: arrears::Durability::Journaled,
        ..arrears_benches::options()
    };
    let journaled = Arc::new(
        arrears::Arrears::open_with(dir.path().join("journaled.redb"), journaled_options)
            .expect("open"),
    );
    let ids = Arc::new(ids);

    let peer = dir.path().join("peer.sqlite");
    drop(Sqlite::create(&peer, accounts));
    let mut next = 0usize;
    let mut one_caller: [Option<f64>; 3] = [None, None, None];
    for &count in callers {
        let each = if per_caller_budget > 0 { per_caller_budget } else { (total / count).max(8) };
        let mut rates = [0.0; 3];
        for (engine, name) in ["arrears", "sqlite", "arrears_journaled"].into_iter().enumerate() {
            let (per_sec, mut latencies) = run_callers(count, each, next, |first, each| {
                let books = if engine == 2 { journaled.clone() } else { books.clone() };
                let (ids, peer) = (ids.clone(), peer.clone());
                Box::new(move || {
                    let mut sqlite = (engine == 1).then(|| Sqlite::open(&peer, accounts));
                    let mut latencies = Vec::with_capacity(each);
                    for n in first..first + each {
                        let start = Instant::now();
                        match &mut sqlite {
                            Some(sqlite) => sqlite.post(n, 1),
                            None => arrears_post(&books, &ids, n, 1),
                        }
                        latencies.push(start.elapsed());
                    }
                    latencies
                })
            });
            latencies.sort();
            let at = |share: f64| {
                latencies[((latencies.len() as f64 * share) as usize).min(latencies.len() - 1)]
            };
            let one = *one_caller[engine].get_or_insert(per_sec);
            rates[engine] = per_sec;
            summary(serde_json::json!({
                "bench": "concurrent_payments",
                "engine": name,
                "callers": count,
                "payments": latencies.len(),
                "accounts": accounts,
                "per_sec": per_sec.round(),
                "p50_us": at(0.50).as_micros() as u64,
                "p99_us": at(0.99).as_micros() as u64,
                "vs_one_caller": (per_sec / one * 100.0).round() / 100.0,
                "vs_fsync": (per_sec / fsyncs * 100.0).round() / 100.0,
            }));
        }
        summary(serde_json::json!({
            "bench": "concurrent_payments_ratio",
            "callers": count,
            "arrears_over_sqlite": (rates[0] / rates[1] * 100.0).round() / 100.0,
            "arrears_journaled_over_sqlite": (rates[2] / rates[1] * 100.0).round() / 100.0,
            "arrears_journaled_over_arrears": (rates[2] / rates[0] * 100.0).round() / 100.0,
        }));
        next += count * each;
    }
    assert_eq!(
        arrears_checksum(&books, &ids),
        Sqlite::open(&peer, accounts).checksum(),
        "both engines posted the same payments to the same balances"
    );
    assert!(books.verify().expect("verify").is_clean());
    assert_eq!(
        arrears_checksum(&journaled, &ids),
        arrears_checksum(&books, &ids),
        "the journaled engine posted the same payments to the same balances"
    );
    assert!(journaled.verify().expect("verify").is_clean());
}

/// A caller's work: posts `each` payments of the stream from `first`, one per commit, and
/// returns each one's latency.
type Caller = Box<dyn FnOnce() -> Vec<Duration> + Send>;

/// Runs `count` callers at once, caller `c` posting the stream's payments from
/// `next + c * each`; returns the payments per second over the whole run and every latency.
fn run_callers(
    count: usize,
    each: usize,
    next: usize,
    caller: impl Fn(usize, usize) -> Caller,
) -> (f64, Vec<Duration>) {
    let barrier = Arc::new(Barrier::new(count + 1));
    let handles: Vec<_> = (0..count)
        .map(|index| {
            let work = caller(next + index * each, each);
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                work()
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let latencies: Vec<Duration> =
        handles.into_iter().flat_map(|handle| handle.join().expect("caller")).collect();
    (latencies.len() as f64 / started.elapsed().as_secs_f64(), latencies)
}
