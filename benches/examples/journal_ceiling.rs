//! One caller, one payment a commit (issue 16 point 4: at 0.9 of the disk's fsync rate), with
//! the store synced at each commit and with `Durability::Journaled` (docs/DURABILITY.md, "The
//! journal"), which makes each commit durable by a synced journal record while the store's
//! commit is not synced. redb's commit of the four tables a payment writes runs at about 0.58
//! of the one-page fsync rate with no engine at all (`examples/redb_commit_floor.rs`), so the
//! engine cannot reach 0.9 by syncing its store. (Session 19 measured this design here before
//! it was built, with a journal written by the example; session 20 built it.)
//!
//! Three engines post the same payments on copies of one portfolio (2,000 accounts), one
//! payment per `Arrears::execute`: `Durability::Immediate` (one redb commit and sync each),
//! `Durability::Journaled` (with the time of each call: its median, p99 and the calls that
//! also checkpoint), and `Durability::Eventual` with no journal, the engine's own time, which
//! a single caller waits through besides the sync. Two fsync probes: an appending 4 KiB write
//! and its sync (`fsync_rate`, what the benchmarks report as the disk's fsync rate), and a
//! page written over in a preallocated file (`fsync_rate_preallocated`, what the journal's own
//! syncs are).
//!
//! ```text
//! cargo run --release -p arrears-benches --example journal_ceiling    # about 30 s
//! ```

use std::time::{Duration, Instant};

use arrears::{Arrears, Command, Durability, Options};
use arrears_benches::{
    build_portfolio, fsync_rate, fsync_rate_preallocated, options, payment, payment_charges,
    payment_day,
};

const ACCOUNTS: usize = 2_000;
const PAYMENTS: usize = 3_000;

fn command(ids: &[arrears::ids::AccountId], n: usize) -> Command {
    let (index, amount) = payment(n, ids.len());
    Command::Payment {
        account: ids[index],
        effective_on: payment_day(),
        amount: arrears_benches::usd(amount),
        directed_to: None,
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fsync = fsync_rate(dir.path(), Duration::from_secs(3));
    let fsync_over = fsync_rate_preallocated(dir.path(), Duration::from_secs(3));
    let seed = dir.path().join("seed.redb");
    let (books, ids) = build_portfolio(&seed, ACCOUNTS, &payment_charges);
    drop(books);

    // The store synced at each commit.
    let synced = dir.path().join("synced.redb");
    std::fs::copy(&seed, &synced).expect("copy");
    let books = Arrears::open_with(&synced, options()).expect("open");
    let start = Instant::now();
    for n in 0..PAYMENTS {
        let receipt = books.execute(&format!("p{n}"), &command(&ids, n)).expect("payment");
        assert!(!receipt.outcome.is_rejected());
    }
    let store_synced = PAYMENTS as f64 / start.elapsed().as_secs_f64();
    drop(books);

    // Durability::Journaled: each command's record appended to the journal and synced, the
    // store's commit not synced, a checkpoint every 1,024 commits.
    let journaled = dir.path().join("journaled.redb");
    std::fs::copy(&seed, &journaled).expect("copy");
    let books =
        Arrears::open_with(&journaled, Options { durability: Durability::Journaled, ..options() })
            .expect("open");
    let start = Instant::now();
    let mut each = Vec::with_capacity(PAYMENTS);
    for n in 0..PAYMENTS {
        let one = Instant::now();
        let receipt = books.execute(&format!("p{n}"), &command(&ids, n)).expect("payment");
        each.push(one.elapsed());
        assert!(!receipt.outcome.is_rejected());
    }
    let journal_synced = PAYMENTS as f64 / start.elapsed().as_secs_f64();
    each.sort();
    let slow: Duration = each.iter().filter(|one| one.as_millis() >= 2).sum();
    drop(books);

    // The store not synced and no journal: the engine's own time for a payment and its
    // commit, which a single caller waits through besides the journal's sync.
    let unsynced = dir.path().join("unsynced.redb");
    std::fs::copy(&seed, &unsynced).expect("copy");
    let books =
        Arrears::open_with(&unsynced, Options { durability: Durability::Eventual, ..options() })
            .expect("open");
    let start = Instant::now();
    for n in 0..PAYMENTS {
        let receipt = books.execute(&format!("p{n}"), &command(&ids, n)).expect("payment");
        assert!(!receipt.outcome.is_rejected());
    }
    let engine_us = start.elapsed().as_secs_f64() * 1e6 / PAYMENTS as f64;
    drop(books);

    println!(
        "fsync probe: {fsync:.0} one-page fsyncs/s appending, {fsync_over:.0} over a page \
         written before; {PAYMENTS} payments, one a commit"
    );
    println!(
        "store synced:   {store_synced:.0} payments/s, {:.2} of the fsync rate",
        store_synced / fsync
    );
    println!(
        "journaled:      {journal_synced:.0} payments/s, {:.2} of the fsync rate, {:.2} of the \
         rate syncing a page written over",
        journal_synced / fsync,
        journal_synced / fsync_over
    );
    println!(
        "                a payment's call: median {:.0} us, p99 {:.0} us, max {:.1} ms; calls of 2 ms \
         or more (the checkpoints, every 1,024) {:.0} ms in all",
        each[PAYMENTS / 2].as_secs_f64() * 1e6,
        each[PAYMENTS * 99 / 100].as_secs_f64() * 1e6,
        each[PAYMENTS - 1].as_secs_f64() * 1e3,
        slow.as_secs_f64() * 1e3
    );
    let fsync_us = 1e6 / fsync;
    println!(
        "engine alone:   {engine_us:.1} us a payment and its unsynced commit; one caller waits \
         that and a sync: at most {:.2} of the fsync rate",
        fsync_us / (fsync_us + engine_us)
    );
}
