//! The storage floor of posting a payment: the B-tree work the engine's design needs per
//! payment, done directly on redb with no engine logic at all (no decoding, allocation,
//! ledger, state machine or hashing). Value sizes are measured from a real engine store, so
//! the floor writes what the engine writes. Its ratio to SQLite bounds what any engine on
//! redb with this record layout can reach.

use std::path::Path;

use arrears::idempotency_row_key;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

const ACCOUNTS: TableDefinition<u64, &[u8]> = TableDefinition::new("accounts");
const DEBTORS: TableDefinition<u64, &[u8]> = TableDefinition::new("debtors");
const CASES: TableDefinition<u64, &[u8]> = TableDefinition::new("cases");
const SNAPSHOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("snapshots");
const LEDGER_LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("ledger_log");
const IDEMPOTENCY_INDEX: TableDefinition<u128, u64> = TableDefinition::new("idempotency_index");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// [`Layout::HotRow`]'s one row per account.
const HOT: TableDefinition<u64, &[u8]> = TableDefinition::new("hot");

/// Where the floor keeps the records a payment reads and rewrites (issue 16's design study;
/// `examples/floor_layouts.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Format 14's tables: the account record, the case and the snapshot each in its own
    /// table, all three read a payment and the snapshot written; with `case_writes` the case is
    /// written too on each account's first payment of the floor (the engine's benchmark
    /// payments change the case then: the first decides an account never reviewed as
    /// delinquent, the later ones leave it as it is).
    Tables {
        /// The case written on each account's first payment.
        case_writes: bool,
    },
    /// One row per account holding the case and the snapshot, and the account record too
    /// unless `account_apart` (issue 16's hot row): read once and written once a payment (with
    /// `account_apart` the account record read from its table as well).
    HotRow {
        /// The account record kept in its own table, not in the hot row.
        account_apart: bool,
    },
}

/// Average value sizes, in bytes, of the records a payment reads or writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizes {
    /// Account record.
    pub account: usize,
    /// Debtor record.
    pub debtor: usize,
    /// Collection case.
    pub case: usize,
    /// Account snapshot.
    pub snapshot: usize,
    /// Ledger row (an event with its journal entries, format 4).
    pub ledger_row: usize,
    /// Audit record (a command's carries its idempotency record, format 5).
    pub audit: usize,
}

impl Sizes {
    /// [`Layout::HotRow`]'s row: the case and the snapshot, with the account record unless it
    /// is kept apart (0 for [`Layout::Tables`]).
    pub fn hot_row(&self, layout: Layout) -> usize {
        match layout {
            Layout::Tables { .. } => 0,
            Layout::HotRow { account_apart: true } => self.case + self.snapshot,
            Layout::HotRow { account_apart: false } => self.account + self.case + self.snapshot,
        }
    }
}

fn average<K: redb::Key + 'static>(db: &Database, table: TableDefinition<K, &[u8]>) -> usize {
    let txn = db.begin_read().expect("read");
    let table = txn.open_table(table).expect("table");
    let (mut count, mut bytes) = (0, 0);
    for row in table.iter().expect("iter") {
        let (_, value) = row.expect("row");
        // A row of `audit` or `ledger_log` may be a chunk of several records (format 11): the
        // size is a record's.
        let records = chunk_records(value.value());
        count += records.len();
        bytes += records.iter().map(|record| record.len()).sum::<usize>();
    }
    bytes / count.max(1)
}

/// The first byte of a chunk of records (docs/FORMAT.md, "Chunk", format 11).
const CHUNK_MARKER: u8 = 0xc0;

/// The bytes a chunk of several records is kept within.
const CHUNK_BYTES_MAX: usize = 4_000;

/// The records of a row of `audit` or `ledger_log` as docs/FORMAT.md describes a chunk: the
/// row itself, or after the marker each record after its length (LEB128). The floor reads
/// the engine's file with redb alone, not through the store.
fn chunk_records(row: &[u8]) -> Vec<&[u8]> {
    if row.first() != Some(&CHUNK_MARKER) {
        return vec![row];
    }
    let mut records = Vec::new();
    let mut rest = &row[1..];
    while !rest.is_empty() {
        let (len, used) = leb128(rest);
        let record = rest.get(used..used + len).expect("a chunk's record runs past its end");
        records.push(record);
        rest = &rest[used + len..];
    }
    records
}

/// Records appended to a table a chunk at a time, as format 11 writes the ledger log and the
/// audit log: a chunk is cut before the record that would take it past [`CHUNK_BYTES_MAX`],
/// and written when cut and at commit, keyed by its first record's sequence.
#[derive(Default)]
struct Chunk {
    first: u64,
    records: usize,
    bytes: Vec<u8>,
}

impl Chunk {
    /// Adds the record of sequence `seq` (the next one); writes the chunk first if it is full.
    fn push(&mut self, table: &mut redb::Table<u64, &[u8]>, seq: u64, record: &[u8]) {
        if self.records > 0 && self.bytes.len() + record.len() + 3 > CHUNK_BYTES_MAX {
            self.write(table);
        }
        if self.records == 0 {
            self.first = seq;
            self.bytes.clear();
            self.bytes.push(CHUNK_MARKER);
        }
        let mut len = record.len();
        while len >= 0x80 {
            self.bytes.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        self.bytes.push(len as u8);
        self.bytes.extend_from_slice(record);
        self.records += 1;
    }

    /// Writes what it holds (a chunk of one record is the record alone, without its marker
    /// and length, which take 2 or 3 bytes: left in here, a close enough size).
    fn write(&mut self, table: &mut redb::Table<u64, &[u8]>) {
        if self.records > 0 {
            table.insert(self.first, self.bytes.as_slice()).expect("put");
            self.records = 0;
        }
    }
}

/// Records an engine store holds per account in the tables a payment appends to, before the
/// payments: what setting the accounts up wrote (debtor, account, charges); the floor writes
/// them a row each. A floor that starts
/// with these tables empty appends to shallower B-trees than the engine and writes fewer pages
/// a commit (one payment a commit: 12 pages against 20 before this was counted).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    /// Ledger log rows per account.
    pub ledger_rows: f64,
    /// Audit records per account.
    pub audit: f64,
    /// Idempotency keys per account.
    pub keys: f64,
}

fn count<K: redb::Key + 'static, V: redb::Value + 'static>(
    db: &Database,
    table: TableDefinition<K, V>,
) -> u64 {
    let txn = db.begin_read().expect("read");
    let table = txn.open_table(table).expect("table");
    table.len().expect("len")
}

/// The records of `table` (`audit` or `ledger_log`, whose rows may be chunks).
fn count_records(db: &Database, table: TableDefinition<u64, &[u8]>) -> u64 {
    let txn = db.begin_read().expect("read");
    let table = txn.open_table(table).expect("table");
    let mut records = 0;
    for row in table.iter().expect("iter") {
        let (_, value) = row.expect("row");
        records += chunk_records(value.value()).len();
    }
    records as u64
}

/// The [`Backlog`] of an engine store at `path` (closed) that holds `accounts` accounts.
pub fn backlog(path: &Path, accounts: usize) -> Backlog {
    let db = Database::open(path).expect("open the engine's file with redb");
    let per = |rows: u64| rows as f64 / accounts.max(1) as f64;
    Backlog {
        ledger_rows: per(count_records(&db, LEDGER_LOG)),
        audit: per(count_records(&db, AUDIT)),
        keys: per(count(&db, IDEMPOTENCY_INDEX)),
    }
}

/// Average value sizes of an engine store at `path` (closed).
pub fn measure(path: &Path) -> Sizes {
    let db = Database::open(path).expect("open the engine's file with redb");
    let [account, case, snapshot] = average_parts(&db);
    Sizes {
        account,
        debtor: average(&db, DEBTORS),
        case,
        snapshot,
        ledger_row: average(&db, LEDGER_LOG),
        audit: average(&db, AUDIT),
    }
}

/// The engine's `account_rows` (format 15): each account's record, case and snapshot in one
/// row.
const ACCOUNT_ROWS: TableDefinition<u64, &[u8]> = TableDefinition::new("account_rows");

/// The average sizes of the account record, the case and the snapshot of the rows of
/// `account_rows` that hold each, the row split as docs/FORMAT.md describes an AccountRow (its
/// version byte; the account record and the case, each after its LEB128 length; the
/// snapshot to the end).
fn average_parts(db: &Database) -> [usize; 3] {
    let txn = db.begin_read().expect("read");
    let table = txn.open_table(ACCOUNT_ROWS).expect("table");
    let (mut counts, mut bytes) = ([0_usize; 3], [0_usize; 3]);
    for row in table.iter().expect("iter") {
        let (_, value) = row.expect("row");
        let row = value.value();
        assert_eq!(row.first(), Some(&1), "an account row of version 1");
        let mut rest = &row[1..];
        let mut lens = [0; 3];
        for len in &mut lens[..2] {
            let (value, used) = leb128(rest);
            *len = value;
            rest = &rest[used + value..];
        }
        lens[2] = rest.len();
        for (part, len) in lens.into_iter().enumerate() {
            if len > 0 {
                counts[part] += 1;
                bytes[part] += len;
            }
        }
    }
    [0, 1, 2].map(|part| bytes[part] / counts[part].max(1))
}

/// An unsigned LEB128 number at the start of `bytes`, and the bytes it takes.
fn leb128(bytes: &[u8]) -> (usize, usize) {
    let (mut value, mut shift) = (0_usize, 0);
    for (used, &byte) in bytes.iter().enumerate() {
        value |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return (value, used + 1);
        }
    }
    panic!("a length runs past the row's end")
}

/// How full a table's pages are: its rows, leaf and branch pages, the bytes of its rows and
/// the free bytes in its pages (redb's `TableStats`), read from the file at `path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Rows.
    pub rows: u64,
    /// Leaf pages.
    pub leaf_pages: u64,
    /// Branch pages.
    pub branch_pages: u64,
    /// Bytes of keys and values.
    pub stored_bytes: u64,
    /// Bytes of the table's pages that hold nothing.
    pub free_bytes: u64,
}

/// The [`Fill`] of `table` (`u64` keys, byte values, as `account_rows` and the floor's `hot`)
/// of the redb file at `path`, which no one else may hold open.
pub fn fill(path: &Path, table: &str) -> Fill {
    let db = Database::open(path).expect("open");
    let read = db.begin_read().expect("read");
    let table = read.open_table(TableDefinition::<u64, &[u8]>::new(table)).expect("table");
    let stats = table.stats().expect("stats");
    Fill {
        rows: table.len().expect("len"),
        leaf_pages: stats.leaf_pages(),
        branch_pages: stats.branch_pages(),
        stored_bytes: stats.stored_bytes(),
        free_bytes: stats.fragmented_bytes(),
    }
}

/// Rewrites `table` of the redb file at `path` in key order, in one commit: every row read,
/// the table emptied, the rows inserted in ascending order (which fills each leaf before it
/// starts the next).
pub fn rewrite_in_order(path: &Path, table: &str) {
    let db = Database::open(path).expect("open");
    let write = db.begin_write().expect("write");
    {
        let mut table = write.open_table(TableDefinition::<u64, &[u8]>::new(table)).expect("table");
        let rows: Vec<(u64, Vec<u8>)> = (table.iter().expect("iter"))
            .map(|row| {
                let (key, value) = row.expect("row");
                (key.value(), value.value().to_vec())
            })
            .collect();
        table.retain(|_, _| false).expect("retain");
        for (key, value) in &rows {
            table.insert(key, value.as_slice()).expect("insert");
        }
    }
    write.commit().expect("commit");
}

/// The floor: a redb file with the engine's tables and record sizes.
pub struct RedbFloor {
    db: Database,
    sizes: Sizes,
    accounts: usize,
    next_row: u64,
    next_audit: u64,
    layout: Layout,
    /// Accounts whose case [`Layout::Tables`] with `case_writes` wrote already.
    case_written: Vec<bool>,
}

/// `len` bytes that differ from payment to payment.
fn bytes(len: usize, n: usize) -> Vec<u8> {
    (0..len).map(|at| (n.wrapping_mul(31).wrapping_add(at)) as u8).collect()
}

impl RedbFloor {
    /// Creates the floor's file with `accounts` accounts (account, debtor, case and snapshot
    /// records of the measured sizes, the account's three in one row as format 15 keeps them:
    /// [`Layout::HotRow`]), the ledger log, audit and idempotency rows the engine's store
    /// holds before its payments (`backlog`, per account), and the same page cache as the
    /// engine.
    pub fn create(
        path: &Path,
        accounts: usize,
        sizes: Sizes,
        backlog: Backlog,
        cache_bytes: usize,
    ) -> RedbFloor {
        let layout = Layout::HotRow { account_apart: false };
        RedbFloor::create_laid_out(path, accounts, sizes, backlog, cache_bytes, layout)
    }

    /// [`RedbFloor::create`] with the records a payment reads and rewrites kept as `layout`
    /// says.
    pub fn create_laid_out(
        path: &Path,
        accounts: usize,
        sizes: Sizes,
        backlog: Backlog,
        cache_bytes: usize,
        layout: Layout,
    ) -> RedbFloor {
        let db = redb::Builder::new().set_cache_size(cache_bytes).create(path).expect("create");
        let txn = db.begin_write().expect("write");
        {
            let mut debtor_table = txn.open_table(DEBTORS).expect("table");
            for account in 0..accounts {
                debtor_table
                    .insert(account as u64, bytes(sizes.debtor, account).as_slice())
                    .expect("put");
            }
            match layout {
                Layout::Tables { .. } => {
                    let mut account_table = txn.open_table(ACCOUNTS).expect("table");
                    let mut case_table = txn.open_table(CASES).expect("table");
                    let mut snapshot_table = txn.open_table(SNAPSHOTS).expect("table");
                    for account in 0..accounts {
                        let id = account as u64;
                        let record = bytes(sizes.account, account);
                        account_table.insert(id, record.as_slice()).expect("put");
                        case_table.insert(id, bytes(sizes.case, account).as_slice()).expect("put");
                        let snapshot = bytes(sizes.snapshot, account);
                        snapshot_table.insert(id, snapshot.as_slice()).expect("put");
                    }
                }
                Layout::HotRow { account_apart } => {
                    let mut hot_table = txn.open_table(HOT).expect("table");
                    for account in 0..accounts {
                        let row = bytes(sizes.hot_row(layout), account);
                        hot_table.insert(account as u64, row.as_slice()).expect("put");
                    }
                    if account_apart {
                        let mut account_table = txn.open_table(ACCOUNTS).expect("table");
                        for account in 0..accounts {
                            let record = bytes(sizes.account, account);
                            account_table.insert(account as u64, record.as_slice()).expect("put");
                        }
                    }
                }
            }
            let rows = |per_account: f64| (per_account * accounts as f64).round() as u64;
            let mut log_table = txn.open_table(LEDGER_LOG).expect("table");
            for row in 1..=rows(backlog.ledger_rows) {
                log_table
                    .insert(row, bytes(sizes.ledger_row, row as usize).as_slice())
                    .expect("put");
            }
            let mut audit_table = txn.open_table(AUDIT).expect("table");
            for seq in 1..=rows(backlog.audit) {
                audit_table.insert(seq, bytes(sizes.audit, seq as usize).as_slice()).expect("put");
            }
            let mut key_table = txn.open_table(IDEMPOTENCY_INDEX).expect("table");
            for n in 0..rows(backlog.keys) {
                key_table.insert(idempotency_row_key(&format!("setup{n}")), n + 1).expect("put");
            }
        }
        txn.commit().expect("commit");
        let next_row = (backlog.ledger_rows * accounts as f64).round() as u64 + 1;
        let next_audit = (backlog.audit * accounts as f64).round() as u64 + 1;
        let case_written = vec![false; accounts];
        RedbFloor { db, sizes, accounts, next_row, next_audit, layout, case_written }
    }

    /// Posts payments `from..from + count` of the stream in one commit: per payment, an
    /// idempotency lookup, the account (which keeps its debtor's jurisdiction, account record
    /// version 3), case and snapshot read (copied out), then the ledger row (event and entry,
    /// appended to the log), the snapshot (with the account's chain head, format 6), the audit
    /// record (with the idempotency record) and the key's index row written (format 6's
    /// layout, with format 11's chunks: the commit's ledger rows and audit records appended a
    /// chunk at a time, and format 14's index: the key's row key -> its audit sequence). The
    /// [`Layout`] says where the account, case and snapshot are.
    pub fn post(&mut self, from: usize, count: usize) {
        let txn = self.db.begin_write().expect("write");
        {
            let (account_table, mut case_table, mut snapshot_table, mut hot_table) =
                match self.layout {
                    Layout::Tables { .. } => (
                        Some(txn.open_table(ACCOUNTS).expect("table")),
                        Some(txn.open_table(CASES).expect("table")),
                        Some(txn.open_table(SNAPSHOTS).expect("table")),
                        None,
                    ),
                    Layout::HotRow { account_apart } => (
                        account_apart.then(|| txn.open_table(ACCOUNTS).expect("table")),
                        None,
                        None,
                        Some(txn.open_table(HOT).expect("table")),
                    ),
                };
            let mut log_table = txn.open_table(LEDGER_LOG).expect("table");
            let mut key_table = txn.open_table(IDEMPOTENCY_INDEX).expect("table");
            let mut audit_table = txn.open_table(AUDIT).expect("table");
            let mut read = Vec::new();
            let (mut log_chunk, mut audit_chunk) = (Chunk::default(), Chunk::default());
            let mut copy_out = |table: &redb::Table<u64, &[u8]>, id: u64| {
                read.clear();
                read.extend_from_slice(table.get(id).expect("get").expect("record").value());
            };
            for n in from..from + count {
                let (account, _) = crate::payment(n, self.accounts);
                let id = account as u64;
                let key = crate::payment_key(n);
                assert!(key_table.get(idempotency_row_key(&key)).expect("get").is_none());
                for table in
                    [&account_table, &case_table, &snapshot_table, &hot_table].into_iter().flatten()
                {
                    copy_out(table, id);
                }
                let row = self.next_row;
                self.next_row += 1;
                log_chunk.push(&mut log_table, row, &bytes(self.sizes.ledger_row, n));
                if let Some(table) = &mut snapshot_table {
                    table.insert(id, bytes(self.sizes.snapshot, n).as_slice()).expect("put");
                }
                if let (Layout::Tables { case_writes: true }, Some(table)) =
                    (self.layout, &mut case_table)
                {
                    if !std::mem::replace(&mut self.case_written[account], true) {
                        table.insert(id, bytes(self.sizes.case, n).as_slice()).expect("put");
                    }
                }
                if let Some(table) = &mut hot_table {
                    let row = bytes(self.sizes.hot_row(self.layout), n);
                    table.insert(id, row.as_slice()).expect("put");
                }
                key_table.insert(idempotency_row_key(&key), self.next_audit).expect("put");
                audit_chunk.push(&mut audit_table, self.next_audit, &bytes(self.sizes.audit, n));
                self.next_audit += 1;
            }
            log_chunk.write(&mut log_table);
            audit_chunk.write(&mut audit_table);
        }
        txn.commit().expect("commit");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: Sizes =
        Sizes { account: 31, debtor: 57, case: 54, snapshot: 109, ledger_row: 99, audit: 122 };
    const BACKLOG: Backlog = Backlog { ledger_rows: 3.0, audit: 5.0, keys: 5.0 };

    /// The value sizes of `table`'s rows, or none if the file has no such table.
    fn sizes_of(floor: &RedbFloor, table: TableDefinition<u64, &[u8]>) -> Option<Vec<usize>> {
        let txn = floor.db.begin_read().expect("read");
        let table = txn.open_table(table).ok()?;
        let rows = table.iter().expect("iter").map(|row| row.expect("row").1.value().len());
        Some(rows.collect())
    }

    /// Each layout keeps the account's records where it says, writes what a payment writes
    /// (the case on an account's first payment only), and appends a payment's rows.
    #[test]
    fn each_layout_keeps_and_writes_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let layouts = [
            Layout::Tables { case_writes: false },
            Layout::Tables { case_writes: true },
            Layout::HotRow { account_apart: false },
            Layout::HotRow { account_apart: true },
        ];
        for (index, layout) in layouts.into_iter().enumerate() {
            let path = dir.path().join(format!("floor-{index}.redb"));
            let mut floor = RedbFloor::create_laid_out(&path, 10, SIZES, BACKLOG, 1 << 20, layout);
            // Twice round the accounts: each account's first payment, then its second.
            floor.post(0, 10);
            floor.post(10, 10);
            let tables = matches!(layout, Layout::Tables { .. });
            let apart = layout == Layout::HotRow { account_apart: true };
            assert_eq!(sizes_of(&floor, SNAPSHOTS).is_some(), tables, "{layout:?}");
            assert_eq!(sizes_of(&floor, CASES).is_some(), tables, "{layout:?}");
            assert_eq!(sizes_of(&floor, ACCOUNTS), (tables || apart).then(|| vec![31; 10]));
            let hot = sizes_of(&floor, HOT);
            let hot_len = if apart { 54 + 109 } else { 31 + 54 + 109 };
            assert_eq!(hot, (!tables).then(|| vec![hot_len; 10]), "{layout:?}");
            // Rows the setup wrote hold `bytes(len, account)`; a payment's `bytes(len, n)`.
            if tables {
                let txn = floor.db.begin_read().unwrap();
                let cases = txn.open_table(CASES).unwrap();
                let case = |id: usize| cases.get(id as u64).unwrap().unwrap().value().to_vec();
                let mut differ = 0;
                for n in 0..10 {
                    // Payment `n` is its account's first.
                    let (account, _) = crate::payment(n, 10);
                    let expected = match layout {
                        Layout::Tables { case_writes: true } => bytes(54, n),
                        _ => bytes(54, account),
                    };
                    assert_eq!(case(account), expected, "{layout:?}, account {account}");
                    differ += usize::from(bytes(54, n) != bytes(54, account));
                }
                assert!(differ > 5, "the stream's first payments tell the layouts apart");
            }
            assert_eq!(floor.next_row, 30 + 20 + 1);
            assert_eq!(floor.next_audit, 50 + 20 + 1);
            let keys = {
                let txn = floor.db.begin_read().unwrap();
                let table = txn.open_table(IDEMPOTENCY_INDEX).unwrap();
                table.len().unwrap()
            };
            assert_eq!(keys, 50 + 20);
        }
    }
}
