//! Single-process payment posting in each sharing mode (issue 14 point 2): what
//! `Sharing::MultiWriter`, the default, costs against `SingleWriter` and `Exclusive` on the
//! same store. 500 accounts; then rounds of 200 commits of one payment and 10 commits of 100
//! payments in each mode in turn (the order rotates every round), and the open time of each
//! mode. Prints one JSON line per mode with the medians; docs/BENCHMARKS.md, section 8.
//!
//! `cargo run --release -p arrears-benches --example sharing_modes`; with `STORE MODE`
//! arguments, only the 200 single commits in one mode on a copy of a store built by the first
//! such run (for `strace -f -c`).

use std::time::{Duration, Instant};

use arrears::{Arrears, Options, Sharing};
use arrears_benches::{arrears_post, build_portfolio, median, options, payment_charges};

const MODES: [(&str, Sharing); 3] = [
    ("exclusive", Sharing::Exclusive),
    ("single_writer", Sharing::SingleWriter),
    ("multi_writer", Sharing::MultiWriter),
];

fn main() {
    // `sharing_modes STORE MODE`: only 200 commits of one payment in MODE on STORE (or, if
    // it is missing, only the portfolio built there), to count system calls with `strace -f -c` (deterministic where the
    // wall times are not).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [path, mode] = args.as_slice() {
        let path = std::path::Path::new(path);
        if !path.exists() {
            drop(build_portfolio(path, 500, &payment_charges));
            return;
        }
        let sharing = MODES.iter().find(|(name, _)| name == mode).expect("a mode name").1;
        let books = Arrears::open_with(path, Options { sharing, ..options() }).expect("open");
        let ids = books.account_ids().expect("ids");
        for next in 0..200 {
            arrears_post(&books, &ids, next, 1);
        }
        return;
    }
    let rounds = 5;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.redb");
    let (books, ids) = build_portfolio(&path, 500, &payment_charges);
    drop(books);
    let mut single: Vec<Vec<Duration>> = vec![Vec::new(); MODES.len()];
    let mut hundred: Vec<Vec<Duration>> = vec![Vec::new(); MODES.len()];
    let mut opens: Vec<Vec<Duration>> = vec![Vec::new(); MODES.len()];
    let mut next = 0;
    for round in 0..rounds {
        for turn in 0..MODES.len() {
            let index = (round + turn) % MODES.len();
            let started = Instant::now();
            let books = Arrears::open_with(&path, Options { sharing: MODES[index].1, ..options() })
                .expect("open");
            opens[index].push(started.elapsed());
            let started = Instant::now();
            for _ in 0..200 {
                arrears_post(&books, &ids, next, 1);
                next += 1;
            }
            single[index].push(started.elapsed() / 200);
            let started = Instant::now();
            for _ in 0..10 {
                arrears_post(&books, &ids, next, 100);
                next += 100;
            }
            hundred[index].push(started.elapsed() / 10);
        }
    }
    for (index, (name, _)) in MODES.iter().enumerate() {
        let commit_1 = median(single[index].clone());
        let commit_100 = median(hundred[index].clone());
        println!(
            "{}",
            serde_json::json!({
                "bench": "sharing_modes",
                "mode": name,
                "commit_1_per_sec": (1.0 / commit_1.as_secs_f64()).round(),
                "commit_100_per_sec": (100.0 / commit_100.as_secs_f64()).round(),
                "open_ms": median(opens[index].clone()).as_secs_f64() * 1e3,
            })
        );
    }
}
