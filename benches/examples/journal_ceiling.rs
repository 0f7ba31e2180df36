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
    build_portfolio, fsync_rate, options, payment, payment_charges, payment_day,
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

    // The store not synced; each command's key and bytes appended to the journal and synced.
    let journaled = dir.path().join("journaled.redb");
    std::fs::copy(&seed, &journaled).expect("copy");
    let eventual = Options { durability: Durability::Eventual, ..options() };
    let books = Arrears::open_with(&journaled, eventual).expect("open");
    let mut journal = std::fs::File::create(dir.path().join("journaled.journal")).expect("journal");
    let zeros = vec![0_u8; 1 << 20];
    for _ in 0..JOURNAL_BYTES / zeros.len() as u64 {
        journal.write_all(&zeros).expect("preallocate");
    }
    journal.sync_all().expect("sync");
    let mut offset = 0_u64;
    let start = Instant::now();
    for n in 0..PAYMENTS {
        let key = format!("p{n}");
        let command = command(&ids, n);
        let receipt = books.execute(&key, &command).expect("payment");
        assert!(!receipt.outcome.is_rejected());
        // A record: its length, the key, the command (its JSON stands in for the canonical
        // bytes: about the same size).
        let body = serde_json::to_vec(&(&key, &command)).expect("encode");
        let mut record = (body.len() as u32).to_le_bytes().to_vec();
        record.extend_from_slice(&body);
        journal.write_all_at(&record, offset).expect("append");
        offset += record.len() as u64;
        journal.sync_data().expect("fdatasync");
    }
    let journal_synced = PAYMENTS as f64 / start.elapsed().as_secs_f64();
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

    println!("fsync probe: {fsync:.0} one-page fsyncs/s; {PAYMENTS} payments, one a commit");
    println!(
        "store synced:   {store_synced:.0} payments/s, {:.2} of the fsync rate",
        store_synced / fsync
    );
    println!(
        "journal synced: {journal_synced:.0} payments/s, {:.2} of the fsync rate \
         ({:.0} journal bytes a payment)",
        journal_synced / fsync,
        offset as f64 / PAYMENTS as f64
    );
    let fsync_us = 1e6 / fsync;
    println!(
        "engine alone:   {engine_us:.1} us a payment and its unsynced commit; one caller waits \
         that and a sync: at most {:.2} of the fsync rate",
        fsync_us / (fsync_us + engine_us)
    );
}
