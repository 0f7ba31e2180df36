//! Shared code of the Arrears benchmarks: portfolio builders, the SQLite peer that does the
//! same logical work as a payment through the engine, checksums, the disk's fsync rate, peak
//! memory, and the JSON summary lines.
//!
//! The benchmarks themselves are in `benches/benches/*.rs`; docs/BENCHMARKS.md has the figures.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

pub mod cycle_peer;
pub mod floor;

/// With the `mimalloc` feature, every bench and example allocates with mimalloc, as the
/// `arrears` binary does (`crates/arrears-cli/src/main.rs`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use arrears::ids::AccountId;
use arrears::model::{DebtorFlags, DebtorKind, Jurisdiction, ObligationKind, ProductKind, Terms};
use arrears::money::{Currency, Money};
use arrears::{
    Arrears, Command, Durability, NewAccount, NewCharge, NewDebtor, Options, Outcome, Sharing,
    SystemClock,
};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

/// Page cache given to both engines, in bytes.
pub const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A date of 2026.
pub fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).expect("valid date")
}

/// US dollars from minor units.
pub fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

/// The sharing mode of the benches' stores: `Exclusive` unless `ARREARS_BENCH_SHARING` says
/// `single` or `multi` (docs/BENCHMARKS.md section 11: redb writes a commit's pages more than
/// once in the exclusive mode when the store is larger than its cache).
pub fn sharing() -> Sharing {
    match std::env::var("ARREARS_BENCH_SHARING").as_deref() {
        Ok("single") => Sharing::SingleWriter,
        Ok("multi") => Sharing::MultiWriter,
        _ => Sharing::Exclusive,
    }
}

/// Engine options: immediate durability, the shared cache size, and exclusive sharing
/// ([`sharing`]), the mode every figure of docs/BENCHMARKS.md before issue 14 was measured in
/// (the default, `Sharing::MultiWriter`, costs more per commit: section 8,
/// `examples/sharing_modes.rs`).
/// `ARREARS_BENCH_COLD_ITEMS_MIN` overrides `Options::cold_items_min` (how many settled items
/// a snapshot gathers before they move to a cold part).
pub fn options() -> Options {
    let defaults = Options::default();
    let cold_items_min = std::env::var("ARREARS_BENCH_COLD_ITEMS_MIN")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(defaults.cold_items_min);
    Options {
        cache_size_bytes: CACHE_BYTES,
        durability: Durability::Immediate,
        sharing: sharing(),
        clock: Box::new(SystemClock),
        cold_items_min,
        ..defaults
    }
}

/// The obligations every benchmark account starts with: `(due_on, principal, interest, fee)`.
pub const OBLIGATIONS: [(u32, i64, i64, i64); 3] =
    [(1, 80_00, 15_00, 5_00), (2, 80_00, 15_00, 5_00), (3, 80_00, 15_00, 5_00)];

fn due_on(month: u32) -> NaiveDate {
    day(month, 28)
}

/// Creates a store at `path` with `accounts` accounts (one debtor each), each charged
/// `charges(index)` as `(issued_on, due_on, principal, interest, fee)`, in batches of 1,000
/// accounts. Returns the account ids in creation order.
pub fn build_portfolio(
    path: &Path,
    accounts: usize,
    charges: &dyn Fn(usize) -> Vec<(NaiveDate, NaiveDate, i64, i64, i64)>,
) -> (Arrears, Vec<AccountId>) {
    build_portfolio_opened(path, accounts, day(1, 1), charges)
}

/// [`build_portfolio`] with the accounts opened on `opened_on`.
pub fn build_portfolio_opened(
    path: &Path,
    accounts: usize,
    opened_on: NaiveDate,
    charges: &dyn Fn(usize) -> Vec<(NaiveDate, NaiveDate, i64, i64, i64)>,
) -> (Arrears, Vec<AccountId>) {
    let books = Arrears::create_with(path, options()).expect("create store");
    let ids = add_accounts(&books, 0..accounts, opened_on, charges);
    (books, ids)
}

/// Adds the accounts numbered `numbers` (one debtor each, keys and references from the
/// number, so the numbers must be new to the store) as [`build_portfolio_opened`] does, and
/// returns their ids in order.
pub fn add_accounts(
    books: &Arrears,
    numbers: std::ops::Range<usize>,
    opened_on: NaiveDate,
    charges: &dyn Fn(usize) -> Vec<(NaiveDate, NaiveDate, i64, i64, i64)>,
) -> Vec<AccountId> {
    let accounts = numbers.end;
    let mut ids = Vec::with_capacity(numbers.len());
    let mut index = numbers.start;
    while index < accounts {
        let end = (index + 1_000).min(accounts);
        let mut batch = books.batch().expect("batch");
        for n in index..end {
            let debtor =
                match batch.execute(&format!("d{n}"), &new_debtor(n)).expect("debtor").outcome {
                    Outcome::DebtorCreated(id) => id,
                    other => panic!("debtor not created: {other:?}"),
                };
            let open = Command::OpenAccount(NewAccount {
                external_ref: Some(format!("A{n}")),
                debtor,
                product: ProductKind::TradeCredit,
                credit_limit: None,
                currency: Currency::USD,
                opened_on,
                terms: Terms::default(),
            });
            let account = match batch.execute(&format!("a{n}"), &open).expect("account").outcome {
                Outcome::AccountOpened(id) => id,
                other => panic!("account not opened: {other:?}"),
            };
            for (k, (issued_on, due_on, principal, interest, fee)) in
                charges(n).into_iter().enumerate()
            {
                let charge = Command::Charge(NewCharge {
                    account,
                    external_ref: None,
                    kind: ObligationKind::Invoice,
                    issued_on,
                    due_on,
                    principal: usd(principal),
                    interest: usd(interest),
                    fee: usd(fee),
                });
                let receipt = batch.execute(&format!("c{n}.{k}"), &charge).expect("charge");
                assert!(!receipt.outcome.is_rejected(), "charge refused: {:?}", receipt.outcome);
            }
            ids.push(account);
        }
        batch.commit().expect("commit");
        index = end;
    }
    ids
}

fn new_debtor(n: usize) -> Command {
    Command::CreateDebtor(NewDebtor {
        external_ref: Some(format!("D{n}")),
        kind: DebtorKind::Person,
        name: format!("Debtor {n}"),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    })
}

/// The redb floor's record sizes and backlog (`floor::measure`, `floor::backlog`), from a small
/// engine store built in `dir`: 50 accounts, then three payments into each (the middle of the
/// payment benchmark's stream); the backlog is the rows per account its tables hold before the
/// payments (its setup's).
pub fn engine_sizes(dir: &Path) -> (floor::Sizes, floor::Backlog) {
    let path = dir.join("sizes.redb");
    let (books, ids) = build_portfolio(&path, 50, &payment_charges);
    drop(books);
    let backlog = floor::backlog(&path, 50);
    let books = Arrears::open_with(&path, options()).expect("open");
    arrears_post(&books, &ids, 0, 150);
    drop(books);
    (floor::measure(&path), backlog)
}

/// The standard charges of the payment benchmark: [`OBLIGATIONS`].
pub fn payment_charges(_: usize) -> Vec<(NaiveDate, NaiveDate, i64, i64, i64)> {
    OBLIGATIONS
        .iter()
        .map(|&(month, principal, interest, fee)| {
            (day(1, 1), due_on(month), principal, interest, fee)
        })
        .collect()
}

/// The `n`-th payment of the stream: `(account index, amount in minor units)`. Payments go
/// round-robin over the accounts, each round paying every account once, 7.00 to 13.00, so
/// that they split across components and obligations and never overpay within the
/// benchmark's length. Within a round the accounts are visited in a scattered order (index
/// times [`SCATTER_STRIDE`], modulo the accounts), so that at 1,000,000 accounts a commit's
/// payments land on accounts far apart in every table, as a real day's payments do, rather
/// than on neighbours.
/// The idempotency key of the stream's payment `n`: `p{n}`, or with `ARREARS_BENCH_KEYS=uuid` a
/// random-looking UUID (version 4's shape, from `n` by splitmix64), as callers that take their
/// keys from `Uuid::new_v4` have.
pub fn payment_key(n: usize) -> String {
    static UUID: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*UUID.get_or_init(|| std::env::var("ARREARS_BENCH_KEYS").as_deref() == Ok("uuid")) {
        return format!("p{n}");
    }
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (high, low) = (mix(n as u64), mix(!(n as u64)));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        (low >> 48) | 0x8000,
        low & 0xffff_ffff_ffff
    )
}

pub fn payment(n: usize, accounts: usize) -> (usize, i64) {
    let index = ((n % accounts) as u128 * SCATTER_STRIDE as u128 % accounts as u128) as usize;
    (index, 700 + (n as i64 * 37) % 600)
}

/// A prime, so coprime with any number of accounts it does not divide: multiplying by it is a
/// permutation of the accounts (checked in [`payment`]'s test for the sizes the benches use).
pub const SCATTER_STRIDE: u64 = 7_919;

#[cfg(test)]
mod payment_tests {
    /// Each round pays every account exactly once, at every size the benches use.
    #[test]
    fn a_round_pays_every_account_once() {
        for accounts in [1, 50, 200, 1_000, 2_000, 10_000, 1_000_000] {
            let mut paid = vec![false; accounts];
            for n in accounts..2 * accounts {
                let (index, _) = super::payment(n, accounts);
                assert!(!paid[index], "account {index} paid twice in a round of {accounts}");
                paid[index] = true;
            }
        }
    }
}

/// Effective date of every benchmark payment.
pub fn payment_day() -> NaiveDate {
    day(4, 1)
}

/// The `n`-th payment of the stream as the engine's command ([`payment`]).
fn payment_command(ids: &[AccountId], n: usize) -> Command {
    let (index, amount) = payment(n, ids.len());
    Command::Payment {
        account: ids[index],
        effective_on: payment_day(),
        amount: usd(amount),
        directed_to: None,
    }
}

/// Posts payments `from..from + count` of the stream through the engine in one commit
/// (`Arrears::execute` for one, `Arrears::batch` otherwise).
pub fn arrears_post(books: &Arrears, ids: &[AccountId], from: usize, count: usize) {
    let command = |n: usize| payment_command(ids, n);
    if count == 1 {
        let receipt = books.execute(&payment_key(from), &command(from)).expect("payment");
        assert!(!receipt.replayed && !receipt.outcome.is_rejected());
        return;
    }
    let mut batch = books.batch().expect("batch");
    for n in from..from + count {
        let receipt = batch.execute(&payment_key(n), &command(n)).expect("payment");
        assert!(!receipt.replayed && !receipt.outcome.is_rejected());
    }
    batch.commit().expect("commit");
}

/// Posts payments `from..from + count` of the stream through the engine as one commit of
/// `Arrears::execute_all` (under `Durability::Journaled`, one record of the journal, the
/// store's transaction parked for the next call: docs/DURABILITY.md, "The journal").
pub fn arrears_post_all(books: &Arrears, ids: &[AccountId], from: usize, count: usize) {
    let commands: Vec<(String, Command)> =
        (from..from + count).map(|n| (payment_key(n), payment_command(ids, n))).collect();
    for receipt in books.execute_all(&commands) {
        let receipt = receipt.expect("payment");
        assert!(!receipt.replayed && !receipt.outcome.is_rejected());
    }
}

/// What both engines must agree on at the end: outstanding per account (minor units, as of
/// the end of the year) and the number of journal entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// Outstanding per account, in creation order.
    pub outstanding: Vec<i64>,
    /// Journal entries of all accounts.
    pub entries: u64,
}

impl Checksum {
    /// A short digest for the JSON line.
    pub fn digest(&self) -> String {
        let sum: i64 = self.outstanding.iter().sum();
        let weighted = self
            .outstanding
            .iter()
            .enumerate()
            .fold(0_i64, |acc, (i, v)| acc.wrapping_add((i as i64 + 1).wrapping_mul(*v)));
        format!("{sum}:{weighted}:{}", self.entries)
    }
}

/// The engine's checksum.
pub fn arrears_checksum(books: &Arrears, ids: &[AccountId]) -> Checksum {
    let mut outstanding = Vec::with_capacity(ids.len());
    let mut entries = 0;
    for &id in ids {
        outstanding
            .push(books.account_view(id, day(12, 31)).expect("view").total_outstanding_minor);
        entries += books.ledger(id).expect("ledger").len() as u64;
    }
    Checksum { outstanding, entries }
}

/// The SQLite peer: the same records, written with prepared statements in one transaction per
/// commit, WAL with `synchronous=FULL`, `WITHOUT ROWID` tables, the same cache size.
pub struct Sqlite {
    connection: Connection,
    accounts: usize,
    next_entry: i64,
}

const SCHEMA: &str = "
CREATE TABLE accounts (id INTEGER PRIMARY KEY, outstanding INTEGER NOT NULL,
    unapplied INTEGER NOT NULL, events INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE obligations (account INTEGER NOT NULL, due_on TEXT NOT NULL, id INTEGER NOT NULL,
    principal INTEGER NOT NULL, interest INTEGER NOT NULL, fee INTEGER NOT NULL,
    PRIMARY KEY (account, due_on, id)) WITHOUT ROWID;
CREATE TABLE events (account INTEGER NOT NULL, seq INTEGER NOT NULL, effective_on TEXT NOT NULL,
    kind TEXT NOT NULL, amount INTEGER NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (account, seq)) WITHOUT ROWID;
CREATE TABLE journal (id INTEGER PRIMARY KEY, account INTEGER NOT NULL, seq INTEGER NOT NULL,
    effective_on TEXT NOT NULL, recorded_at TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE account_entries (account INTEGER NOT NULL, entry INTEGER NOT NULL,
    PRIMARY KEY (account, entry)) WITHOUT ROWID;
CREATE TABLE postings (entry INTEGER NOT NULL, n INTEGER NOT NULL, book TEXT NOT NULL,
    obligation INTEGER, component TEXT, source INTEGER, amount INTEGER NOT NULL,
    PRIMARY KEY (entry, n)) WITHOUT ROWID;
CREATE TABLE idempotency (key TEXT PRIMARY KEY, command BLOB NOT NULL, result BLOB NOT NULL)
    WITHOUT ROWID;
CREATE TABLE audit (seq INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL, account INTEGER,
    name TEXT NOT NULL, key TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL)
    WITHOUT ROWID;
";

/// The peer's audit hash: SHA-256 of the previous hash and the record's fields, as the
/// engine chains its audit log (over its own encoding of the record).
fn audit_hash(prev_hash: &[u8], seq: i64, recorded_at: &str, account: i64, key: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(format!("{seq}|{recorded_at}|{account}|payment|{key}"));
    hasher.finalize().to_vec()
}

/// A new SQLite database at `path` as the peers use it: WAL, synced at every commit
/// (`synchronous = FULL`, as the engine's `Durability::Immediate`), a page cache of
/// [`CACHE_BYTES`] as the engine's, and `schema` created.
pub fn create_sqlite(path: &Path, schema: &str) -> Connection {
    let connection = Connection::open(path).expect("sqlite open");
    connection.pragma_update(None, "journal_mode", "WAL").expect("wal");
    connection.pragma_update(None, "synchronous", "FULL").expect("synchronous");
    // Negative: KiB.
    connection
        .pragma_update(None, "cache_size", -((CACHE_BYTES / 1024) as i64))
        .expect("cache_size");
    connection.execute_batch(schema).expect("schema");
    connection
}

impl Sqlite {
    /// Creates the peer database at `path` with the same accounts and obligations (and one
    /// journal entry per charge) as [`build_portfolio`] with [`payment_charges`].
    pub fn create(path: &Path, accounts: usize) -> Sqlite {
        let connection = create_sqlite(path, SCHEMA);
        let mut sqlite = Sqlite { connection, accounts, next_entry: 1 };
        let txn = sqlite.connection.transaction().expect("txn");
        let mut obligation = 1_i64;
        for account in 0..accounts as i64 {
            let mut total = 0;
            for (seq, &(month, principal, interest, fee)) in OBLIGATIONS.iter().enumerate() {
                txn.execute(
                    "INSERT INTO obligations VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        account,
                        due_on(month).to_string(),
                        obligation,
                        principal,
                        interest,
                        fee
                    ],
                )
                .expect("obligation");
                txn.execute(
                    "INSERT INTO events VALUES (?1, ?2, '2026-01-01', 'charge', ?3, ?4)",
                    params![
                        account,
                        seq as i64 + 1,
                        principal + interest + fee,
                        format!("c{account}.{seq}")
                    ],
                )
                .expect("event");
                let entry = sqlite.next_entry;
                sqlite.next_entry += 1;
                txn.execute(
                    "INSERT INTO journal VALUES (?1, ?2, ?3, '2026-01-01', '2026-01-01T00:00:00Z')",
                    params![entry, account, seq as i64 + 1],
                )
                .expect("journal");
                txn.execute("INSERT INTO account_entries VALUES (?1, ?2)", params![account, entry])
                    .expect("index");
                obligation += 1;
                total += principal + interest + fee;
            }
            txn.execute(
                "INSERT INTO accounts VALUES (?1, ?2, 0, ?3)",
                params![account, total, OBLIGATIONS.len() as i64],
            )
            .expect("account");
        }
        txn.commit().expect("commit");
        sqlite
    }

    /// Opens the peer database at `path` (made by [`Sqlite::create`] with `accounts`) on a
    /// connection of its own, for a caller of its own: writers wait for each other up to a
    /// minute (`busy_timeout`).
    pub fn open(path: &Path, accounts: usize) -> Sqlite {
        let connection = Connection::open(path).expect("sqlite open");
        connection.pragma_update(None, "synchronous", "FULL").expect("synchronous");
        connection
            .pragma_update(None, "cache_size", -((CACHE_BYTES / 1024) as i64))
            .expect("cache_size");
        connection.busy_timeout(Duration::from_secs(60)).expect("busy timeout");
        Sqlite { connection, accounts, next_entry: 0 }
    }

    /// Posts payments `from..from + count` of the stream in one transaction: idempotency
    /// lookup, oldest-due-first allocation (fees, interest, principal), the event, a journal
    /// entry with its postings, the idempotency row, the account balance and an audit row
    /// chained to the previous one by SHA-256 (the head read once per transaction, as the
    /// engine does).
    pub fn post(&mut self, from: usize, count: usize) {
        let recorded_at = chrono::Utc::now().to_rfc3339();
        // Immediate: the write lock at BEGIN, so that connections sharing the file wait their
        // turn (busy_timeout) instead of failing to upgrade a read lock.
        let txn = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("txn");
        // The next journal id as the file has it: another connection may have written.
        self.next_entry = txn
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM journal", [], |row| row.get(0))
            .expect("next entry");
        {
            let mut find_key =
                txn.prepare_cached("SELECT 1 FROM idempotency WHERE key = ?1").expect("prepare");
            let mut open = txn
                .prepare_cached(
                    "SELECT id, due_on, principal, interest, fee FROM obligations \
                     WHERE account = ?1 AND principal + interest + fee > 0 ORDER BY due_on, id",
                )
                .expect("prepare");
            let mut settle = txn
                .prepare_cached(
                    "UPDATE obligations SET principal = ?4, interest = ?5, fee = ?6 \
                     WHERE account = ?1 AND due_on = ?2 AND id = ?3",
                )
                .expect("prepare");
            let mut account_row = txn
                .prepare_cached("SELECT outstanding, unapplied, events FROM accounts WHERE id = ?1")
                .expect("prepare");
            let mut event = txn
                .prepare_cached("INSERT INTO events VALUES (?1, ?2, ?3, 'payment', ?4, ?5)")
                .expect("prepare");
            let mut journal = txn
                .prepare_cached("INSERT INTO journal VALUES (?1, ?2, ?3, ?4, ?5)")
                .expect("prepare");
            let mut index =
                txn.prepare_cached("INSERT INTO account_entries VALUES (?1, ?2)").expect("prepare");
            let mut posting = txn
                .prepare_cached("INSERT INTO postings VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .expect("prepare");
            let mut key_row =
                txn.prepare_cached("INSERT INTO idempotency VALUES (?1, ?2, ?3)").expect("prepare");
            let mut balance = txn
                .prepare_cached(
                    "UPDATE accounts SET outstanding = ?2, unapplied = ?3, events = ?4 WHERE id = ?1",
                )
                .expect("prepare");
            let mut audit = txn
                .prepare_cached("INSERT INTO audit VALUES (?1, ?2, ?3, 'payment', ?4, ?5, ?6)")
                .expect("prepare");
            let (mut audit_seq, mut prev_hash): (i64, Vec<u8>) = txn
                .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
                .expect("audit head")
                .unwrap_or((0, vec![0; 32]));
            for n in from..from + count {
                let key = payment_key(n);
                let (account, amount) = payment(n, self.accounts);
                let account = account as i64;
                assert!(find_key
                    .query_row(params![key], |_| Ok(()))
                    .optional()
                    .expect("key")
                    .is_none());
                let (outstanding, unapplied, events): (i64, i64, i64) = account_row
                    .query_row(params![account], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .expect("account");
                let seq = events + 1;
                let entry = self.next_entry;
                self.next_entry += 1;
                let mut left = amount;
                let mut legs = vec![("cash", None, None, amount)];
                let rows: Vec<(i64, String, [i64; 3])> = open
                    .query_map(params![account], |row| {
                        Ok((row.get(0)?, row.get(1)?, [row.get(2)?, row.get(3)?, row.get(4)?]))
                    })
                    .expect("open")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                for (id, due, mut owed) in rows {
                    if left == 0 {
                        break;
                    }
                    // Fees, then interest, then principal.
                    for (component, name) in [(2, "fee"), (1, "interest"), (0, "principal")] {
                        let take = owed[component].min(left);
                        if take > 0 {
                            owed[component] -= take;
                            left -= take;
                            legs.push(("receivable", Some(id), Some(name), -take));
                        }
                    }
                    settle
                        .execute(params![account, due, id, owed[0], owed[1], owed[2]])
                        .expect("settle");
                }
                if left > 0 {
                    legs.push(("unapplied_cash", None, None, -left));
                }
                event
                    .execute(params![account, seq, payment_day().to_string(), amount, key])
                    .expect("event");
                journal
                    .execute(params![entry, account, seq, payment_day().to_string(), recorded_at])
                    .expect("journal");
                index.execute(params![account, entry]).expect("index");
                for (leg, (book, obligation, component, value)) in legs.iter().enumerate() {
                    posting
                        .execute(params![
                            entry, leg as i64, book, obligation, component, seq, value
                        ])
                        .expect("posting");
                }
                let command =
                    format!("{{\"payment\":{{\"account\":{account},\"amount\":{amount}}}}}");
                let result = format!("{{\"posted\":{{\"entry\":{entry},\"event\":{seq}}}}}");
                key_row.execute(params![key, command.as_bytes(), result.as_bytes()]).expect("key");
                balance
                    .execute(params![account, outstanding - (amount - left), unapplied + left, seq])
                    .expect("balance");
                audit_seq += 1;
                let hash = audit_hash(&prev_hash, audit_seq, &recorded_at, account, &key);
                audit
                    .execute(params![audit_seq, recorded_at, account, key, prev_hash, hash])
                    .expect("audit");
                prev_hash = hash;
            }
        }
        txn.commit().expect("commit");
    }

    /// The peer's checksum.
    pub fn checksum(&self) -> Checksum {
        let mut statement = self
            .connection
            .prepare("SELECT outstanding FROM accounts ORDER BY id")
            .expect("prepare");
        let outstanding = statement
            .query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<Vec<i64>, _>>()
            .expect("rows");
        let entries: i64 = self
            .connection
            .query_row("SELECT count(*) FROM journal", [], |row| row.get(0))
            .expect("count");
        Checksum { outstanding, entries: entries as u64 }
    }
}

/// Writes and fsyncs 4 KiB to a file in `dir` for `budget`; returns fsyncs per second.
pub fn fsync_rate(dir: &Path, budget: Duration) -> f64 {
    let mut file = std::fs::File::create(dir.join("fsync.probe")).expect("probe");
    let block = [7_u8; 4096];
    let start = Instant::now();
    let mut count = 0_u64;
    while start.elapsed() < budget {
        file.write_all(&block).expect("write");
        file.sync_data().expect("fsync");
        count += 1;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// Like [`fsync_rate`], but each 4 KiB write goes over a page of a file already written and
/// synced (64 MiB, sequentially, wrapping round), so that its sync has no file size to record:
/// the disk's best rate for syncing one page, which a preallocated journal's appends see
/// (`fsync_rate` appends, and each of its syncs also records the file's new length).
pub fn fsync_rate_preallocated(dir: &Path, budget: Duration) -> f64 {
    use std::os::unix::fs::FileExt;
    const FILE_PAGES: u64 = 16_384;
    let mut file = std::fs::File::create(dir.join("fsync_preallocated.probe")).expect("probe");
    let zeros = vec![0_u8; 1 << 20];
    for _ in 0..FILE_PAGES * 4096 / zeros.len() as u64 {
        file.write_all(&zeros).expect("preallocate");
    }
    file.sync_all().expect("sync");
    let block = [7_u8; 4096];
    let start = Instant::now();
    let mut count = 0_u64;
    while start.elapsed() < budget {
        file.write_all_at(&block, count % FILE_PAGES * 4096).expect("write");
        file.sync_data().expect("fsync");
        count += 1;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// Writes `pages` blocks of 4 KiB at scattered offsets of a 64 MiB file in `dir`, then
/// fsyncs, for `budget`; returns rounds (writes and fsync) per second. With `pages` set to what
/// one of the engine's commits writes ([`WriteCounters`]), this is what the disk allows a
/// commit of that many pages, the ceiling of one caller committing one payment at a time
/// (docs/BENCHMARKS.md, section 1). The offsets are a fixed pseudo-random walk, the same in
/// every run.
pub fn scattered_sync_rate(dir: &Path, pages: u64, budget: Duration) -> f64 {
    use std::os::unix::fs::FileExt;
    const FILE_PAGES: u64 = 16_384;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join("scattered.probe"))
        .expect("probe");
    file.set_len(FILE_PAGES * 4096).expect("size the probe");
    let block = [7_u8; 4096];
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let start = Instant::now();
    let mut count = 0_u64;
    while start.elapsed() < budget {
        for _ in 0..pages {
            // xorshift64: scattered, reproducible offsets.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            file.write_all_at(&block, (state % FILE_PAGES) * 4096).expect("write");
        }
        file.sync_data().expect("fsync");
        count += 1;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// This process's write system calls and the bytes they wrote so far (`syscw` and `wchar` of
/// `/proc/self/io`), where `/proc` has them: the difference of two readings around a loop of
/// commits is what the commits wrote (redb writes each dirty page with its own `pwrite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteCounters {
    /// Write system calls.
    pub calls: u64,
    /// Bytes written.
    pub bytes: u64,
}

impl WriteCounters {
    /// The counters now, or `None` where `/proc/self/io` cannot be read.
    pub fn now() -> Option<WriteCounters> {
        let io = std::fs::read_to_string("/proc/self/io").ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = io.lines().find(|line| line.starts_with(name))?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        Some(WriteCounters { calls: field("syscw:")?, bytes: field("wchar:")? })
    }

    /// What was written between `self` and the later reading `after`.
    pub fn since(self, after: WriteCounters) -> WriteCounters {
        WriteCounters {
            calls: after.calls.saturating_sub(self.calls),
            bytes: after.bytes.saturating_sub(self.bytes),
        }
    }
}

/// Peak resident set of this process (`VmHWM`), in KiB, where `/proc` has it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Bytes this process has handed to `write` and `pwrite` so far (`wchar` of `/proc/self/io`),
/// where `/proc` has it: the difference across a run of the engine, divided by 4,096, is the
/// pages redb wrote (its only writes are whole pages and its 320-byte header), as `strace -e
/// pwrite64` counts them.
pub fn written_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let line = io.lines().find(|line| line.starts_with("wchar:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `f` and says how many pages of 4 KiB this process wrote meanwhile (`None` where
/// `/proc/self/io` is missing).
pub fn pages_written<R>(f: impl FnOnce() -> R) -> (R, Option<f64>) {
    let before = written_bytes();
    let result = f();
    let pages = before.zip(written_bytes()).map(|(b, a)| (a - b) as f64 / 4096.0);
    (result, pages)
}

/// The median of some durations.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// Prints one machine-readable summary line (and flushes it).
pub fn summary(value: serde_json::Value) {
    println!("{value}");
    std::io::stdout().flush().ok();
}

/// `ARREARS_BENCH_ACCOUNTS`, or `default`.
pub fn accounts_from_env(default: usize) -> Vec<usize> {
    match std::env::var("ARREARS_BENCH_ACCOUNTS") {
        Ok(text) => {
            text.split(',').filter_map(|part| part.trim().replace('_', "").parse().ok()).collect()
        }
        Err(_) => vec![default],
    }
}

/// True when run by `cargo test`/`--test` (criterion's quick mode): keep everything tiny.
pub fn quick() -> bool {
    std::env::args().any(|arg| arg == "--test" || arg == "--quick")
}
