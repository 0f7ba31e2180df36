//! Issue 16's hot row, measured before it is built: the redb floor of posting payments
//! (`arrears_benches::floor`, redb doing a payment's reads and writes with no engine) with the
//! account record, the case and the snapshot kept in format 14's three tables, and kept in one
//! row per account, against the SQLite peer in the same run. Each layout posts the same
//! commits of 1,000 payments (the figures are medians); the record sizes are measured from a
//! small engine store, as `post_payments` measures them.
//!
//! ```text
//! cargo run --release -p arrears-benches --example floor_layouts      # 2,000 accounts, a minute
//! ARREARS_BENCH_ACCOUNTS=1000000 cargo run --release -p arrears-benches --example floor_layouts
//! ```
//!
//! `ARREARS_BENCH_COMMITS` sets the commits timed (default 16). At 1,000,000 accounts every
//! payment of the run is its account's first, as in `post_payments`: the layout that writes
//! the case on an account's first payment writes it on each.

use std::time::Instant;

use arrears_benches::floor::{Layout, RedbFloor};
use arrears_benches::{median, Sqlite, WriteCounters, CACHE_BYTES};

const COMMIT: usize = 1_000;

fn main() {
    let accounts: usize = std::env::var("ARREARS_BENCH_ACCOUNTS")
        .ok()
        .and_then(|text| text.replace(['_', ','], "").parse().ok())
        .unwrap_or(2_000);
    let commits: usize = std::env::var("ARREARS_BENCH_COMMITS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(16)
        .max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let (sizes, backlog) = arrears_benches::engine_sizes(dir.path());
    println!("{}", serde_json::json!({"bench": "floor_layouts", "sizes": format!("{sizes:?}")}));
    let layouts = [
        ("format 14: account, case, snapshot tables", Layout::Tables { case_writes: false }),
        ("format 14, the case written on the first payment", Layout::Tables { case_writes: true }),
        ("one hot row: account, case and snapshot", Layout::HotRow { account_apart: false }),
        ("one hot row: case and snapshot", Layout::HotRow { account_apart: true }),
    ];
    let started = Instant::now();
    let mut sqlite = Sqlite::create(&dir.path().join("peer.sqlite"), accounts);
    let mut floors: Vec<RedbFloor> = layouts
        .iter()
        .enumerate()
        .map(|(index, &(_, layout))| {
            let path = dir.path().join(format!("floor-{index}.redb"));
            RedbFloor::create_laid_out(&path, accounts, sizes, backlog, CACHE_BYTES, layout)
        })
        .collect();
    eprintln!("setup of {accounts} accounts: {:?}", started.elapsed());
    let mut peer = Vec::with_capacity(commits);
    let mut times = vec![Vec::with_capacity(commits); layouts.len()];
    let mut pages = vec![0_u64; layouts.len()];
    let mut next = 0;
    for _ in 0..commits {
        let start = Instant::now();
        sqlite.post(next, COMMIT);
        peer.push(start.elapsed());
        for (index, floor) in floors.iter_mut().enumerate() {
            let before = WriteCounters::now();
            let start = Instant::now();
            floor.post(next, COMMIT);
            times[index].push(start.elapsed());
            if let (Some(before), Some(after)) = (before, WriteCounters::now()) {
                pages[index] += before.since(after).bytes / 4096;
            }
        }
        next += COMMIT;
    }
    let peer = median(peer).as_secs_f64();
    for (((name, _), times), pages) in layouts.iter().zip(times).zip(pages) {
        let time = median(times).as_secs_f64();
        println!(
            "{}",
            serde_json::json!({
                "bench": "floor_layouts",
                "accounts": accounts,
                "layout": name,
                "floor_per_sec": (COMMIT as f64 / time).round(),
                "sqlite_per_sec": (COMMIT as f64 / peer).round(),
                "ratio": (peer / time * 1000.0).round() / 1000.0,
                "pages_per_commit": (pages as f64 / commits as f64 * 10.0).round() / 10.0,
            })
        );
    }
}
