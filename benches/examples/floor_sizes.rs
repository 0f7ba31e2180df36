//! What the record sizes do to the redb floor of posting payments (issue 16): the floor
//! (`arrears_benches::floor`, redb doing a payment's reads and writes with no engine) at 1,000
//! payments a commit on 2,000 accounts, with the engine's record sizes and with a smaller
//! snapshot or audit record, against the SQLite peer in the same run. Each variant posts the
//! same 16 commits; the figures are medians (docs/BENCHMARKS.md, session 37).
//!
//! ```text
//! cargo run --release -p arrears-benches --example floor_sizes   # about a minute
//! ```

use std::time::Instant;

use arrears_benches::floor::{Backlog, RedbFloor, Sizes};
use arrears_benches::{median, Sqlite, CACHE_BYTES};

const ACCOUNTS: usize = 2_000;
const COMMIT: usize = 1_000;
const COMMITS: usize = 16;

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The engine's sizes and backlog of session 36 (format 12), as `post_payments` measures
    // them from a small engine store.
    let backlog = Backlog { ledger_rows: 3.0, audit: 5.0, keys: 5.0 };
    let engine =
        Sizes { account: 31, debtor: 57, case: 54, snapshot: 198, ledger_row: 99, audit: 133 };
    let variants = [
        ("the engine's sizes of format 12", engine),
        ("snapshot 100 bytes", Sizes { snapshot: 100, ..engine }),
        ("audit record 90 bytes", Sizes { audit: 90, ..engine }),
        ("audit record 40 bytes", Sizes { audit: 40, ..engine }),
        ("snapshot 100, audit record 40", Sizes { snapshot: 100, audit: 40, ..engine }),
    ];
    let mut sqlite = Sqlite::create(&dir.path().join("peer.sqlite"), ACCOUNTS);
    let mut floors: Vec<RedbFloor> = variants
        .iter()
        .enumerate()
        .map(|(index, (_, sizes))| {
            let path = dir.path().join(format!("floor-{index}.redb"));
            RedbFloor::create(&path, ACCOUNTS, *sizes, backlog, CACHE_BYTES)
        })
        .collect();
    let mut peer = Vec::with_capacity(COMMITS);
    let mut times = vec![Vec::with_capacity(COMMITS); variants.len()];
    let mut next = 0;
    for _ in 0..COMMITS {
        let start = Instant::now();
        sqlite.post(next, COMMIT);
        peer.push(start.elapsed());
        for (floor, times) in floors.iter_mut().zip(&mut times) {
            let start = Instant::now();
            floor.post(next, COMMIT);
            times.push(start.elapsed());
        }
        next += COMMIT;
    }
    let peer = median(peer).as_secs_f64();
    println!("SQLite: {:.0} payments/s", COMMIT as f64 / peer);
    for ((name, _), times) in variants.iter().zip(times) {
        let time = median(times).as_secs_f64();
        println!("{name}: {:.0} payments/s, {:.2}x SQLite", COMMIT as f64 / time, peer / time);
    }
}
