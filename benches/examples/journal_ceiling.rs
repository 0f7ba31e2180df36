//! A measurement for a design not built (issue 16 point 4: one caller, one payment a commit, at
//! 0.9 of the disk's fsync rate): what one caller would reach if each commit's durability came
//! from a journal beside the store instead of the store's own sync. redb's commit of the four
//! tables a payment writes runs at about 0.58 of the one-page fsync rate with no engine at all
//! (`examples/redb_commit_floor.rs`), so the engine cannot reach 0.9 by syncing its store.
//!
//! Two engines post the same payments on copies of one portfolio (2,000 accounts), one payment
//! per `Arrears::execute`:
//!
//! - `store synced`: the engine as it is (`Durability::Immediate`, one redb commit and sync
//!   each);
//! - `journal synced`: the store committed without a sync (`Durability::Eventual`), and after
//!   each command its key and canonical command bytes appended to a preallocated journal
//!   file, then `fdatasync` of the journal: the write path of the design. Not measured, because
//!   not built: the checkpoints (an immediate commit every N commands, then the journal reset),
//!   which move the store's pages to disk in the background of the journal's syncs, and the
//!   replay of the journal at open. A store committed without a sync and no journal replay
//!   loses acknowledged payments in a crash: this example shows a rate, not a durability mode.
//!
//! ```text
//! cargo run --release -p arrears-benches --example journal_ceiling    # about 30 s
//! ```

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use arrears::{Arrears, Command, Durability, Options};
use arrears_benches::{
    build_portfolio, fsync_rate, fsync_rate_preallocated, options, payment, payment_charges,
    payment_day,
};

const ACCOUNTS: usize = 2_000;
const PAYMENTS: usize = 3_000;
/// The journal file's preallocated size: written with zeros and synced first, so that a sync
/// of an append inside it writes the page and no file-size metadata.
const JOURNAL_BYTES: u64 = 64 << 20;

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
