//! A fixed workload for instruction-count profiles of posting payments (the machine's wall
//! clock is too noisy to compare small changes): 2,000 accounts, then 8,000 payments in
//! commits of `ARREARS_PROFILE_COMMIT` payments (default 1,000). Run under callgrind with
//! `--toggle-collect=arrears_benches::arrears_post`, see docs/BENCHMARKS.md.
//! `ARREARS_PROFILE_ROUNDS` (default 1) repeats the 8,000 payments (on the same accounts, at
//! the same commit size), so that a sampling profiler (`perf record`), which cannot leave the
//! setup out, sees mostly payments. `ARREARS_PROFILE_DURABILITY` (`immediate`, the default,
//! `journaled` or `eventual`) reopens the store with that durability before the payments:
//! `eventual` with `ARREARS_PROFILE_COMMIT=1` is a single payment's engine time with its
//! commit unsynced, the part of a journaled commit that is not the journal's sync.
//! `ARREARS_PROFILE_ALL=1` posts each commit with `Arrears::execute_all` instead of a batch
//! (with `journaled`: a journaled commit of that many payments).
//! `ARREARS_PROFILE_ACCOUNTS` (default 2,000) sets the accounts; the payments are the stream
//! `post_payments` posts, so at 1,000,000 accounts they scatter over the table as its do. `ARREARS_PROFILE_PERF_CTL`, the path of a
//! `perf record --control` fifo, has the example write `enable` to it when the setup is done
//! and `disable` when the payments are, so that a profile started disabled (`-D -1`) sees the
//! payments only:
//! `mkfifo /tmp/ctl && ARREARS_PROFILE_PERF_CTL=/tmp/ctl perf record -D -1 --control
//! fifo:/tmp/ctl -g target/release/examples/profile_payments`.

use arrears_benches::{arrears_post, arrears_post_all, build_portfolio, payment_charges};

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.redb");
    let accounts: usize = std::env::var("ARREARS_PROFILE_ACCOUNTS")
        .ok()
        .and_then(|text| text.replace(['_', ','], "").parse().ok())
        .unwrap_or(2_000)
        .max(1);
    let (books, ids) = build_portfolio(&path, accounts, &payment_charges);
    let durability = match std::env::var("ARREARS_PROFILE_DURABILITY").as_deref() {
        Ok("journaled") => arrears::Durability::Journaled,
        Ok("eventual") => arrears::Durability::Eventual,
        Ok("immediate") | Err(_) => arrears::Durability::Immediate,
        Ok(other) => {
            panic!("ARREARS_PROFILE_DURABILITY: {other:?} is not immediate, journaled or eventual")
        }
    };
    drop(books);
    let options = arrears::Options { durability, ..arrears_benches::options() };
    let books = arrears::Arrears::open_with(&path, options).expect("open");
    let commit: usize = std::env::var("ARREARS_PROFILE_COMMIT")
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .unwrap_or(1_000)
        .clamp(1, 8_000);
    let rounds: usize = std::env::var("ARREARS_PROFILE_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1)
        .clamp(1, 1_000);
    // `ARREARS_PROFILE_ALL=1`: each commit one call of `Arrears::execute_all` instead of a
    // batch (under `journaled`, one record of the journal and the transaction parked).
    let post = if std::env::var("ARREARS_PROFILE_ALL").as_deref() == Ok("1") {
        arrears_post_all
    } else {
        arrears_post
    };
    let perf = |command: &str| {
        if let Ok(path) = std::env::var("ARREARS_PROFILE_PERF_CTL") {
            let mut fifo = std::fs::OpenOptions::new().write(true).open(&path).expect("perf fifo");
            std::io::Write::write_all(&mut fifo, format!("{command}\n").as_bytes())
                .expect("perf fifo");
        }
    };
    perf("enable");
    let started = std::time::Instant::now();
    for round in 0..rounds {
        for from in (0..8_000).step_by(commit) {
            post(&books, &ids, round * 8_000 + from, commit.min(8_000 - from));
        }
    }
    perf("disable");
    // On stderr, so that a profile's own output stays apart; under callgrind, slow.
    let elapsed = started.elapsed();
    eprintln!(
        "{} payments in {elapsed:.2?}: {:.0} a second",
        rounds * 8_000,
        (rounds * 8_000) as f64 / elapsed.as_secs_f64()
    );
}
