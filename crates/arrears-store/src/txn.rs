//! Transactions: [`ReadTxn`] and [`WriteTxn`], how they hold their open tables, the write
//! transaction's cache of decoded records, the containment of engine panics (which poisons a
//! write transaction), and the commit.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::time::Duration;

use arrears_core::case::CollectionCase;
use arrears_core::ids::AccountId;
use arrears_core::ledger::AccountState;
use redb::{ReadableDatabase, ReadableTable};

use crate::error::{contain, from_redb, StorageError};
use crate::open::{Db, Durability, Store};
use crate::read::LogTail;
use crate::schema::{AccountRecord, AuditHead, Meta, ReadTables, Sequence, TableId, Tables};

/// What a transaction gives the reads of [`crate::Reads`]: its tables, opened once each, and
/// its cache of decoded records if it keeps one.
///
/// Sealed: `pub` in a private module, so no other crate can name or implement it, and
/// [`crate::Reads`], whose supertrait it is, is implemented by the two transactions only.
pub trait TableAccess {
    /// A table as this kind of transaction holds it open.
    type Table<'txn, K: redb::Key + 'static, V: redb::Value + 'static>: ReadableTable<K, V>;

    /// Runs `read` on `table`, opening it the first time, inside the containment of engine
    /// panics ([`StorageError::EnginePanicked`]; a write transaction is then poisoned).
    ///
    /// # Errors
    ///
    /// A storage failure opening the table, an engine panic, or what `read` returns.
    fn read_table<T: TableId, R>(
        &self,
        table: T,
        read: impl for<'txn> FnOnce(&Self::Table<'txn, T::Key, T::Value>) -> Result<R, StorageError>,
    ) -> Result<R, StorageError>;

    /// [`TableAccess::read_table`] for a table a store may lack (one added within format 2,
    /// such as `notes` or `teams`): `absent` when the store has no such table.
    fn read_table_or<T: TableId, R>(
        &self,
        table: T,
        absent: R,
        read: impl for<'txn> FnOnce(&Self::Table<'txn, T::Key, T::Value>) -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        if !self.table_exists(table)? {
            return Ok(absent);
        }
        self.read_table(table, read)
    }

    /// The decoded records this transaction keeps, if it keeps any (a write transaction does;
    /// a read transaction does not).
    fn cache(&self) -> Option<&RefCell<TxnCache>>;

    /// Whether this transaction keeps accounts, cases and snapshots in format 15's account
    /// rows (`crate::hot`); false on a store of format 14 or older (the migration's steps
    /// before the one to 15, the hooks that write older formats).
    fn hot_rows(&self) -> bool;

    /// Returns true if and only if `table` exists in this transaction's view of the file. A
    /// table added within a format version (such as `plugins`) is missing from stores written
    /// before it; a write transaction creates it when it opens it, so there it always exists.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn table_exists<T: TableId>(&self, table: T) -> Result<bool, StorageError>;

    /// The cases this transaction changed and has not yet written into their accounts' rows
    /// (format 15 defers them to [`WriteTxn::write_snapshots`]), of accounts from `from` on,
    /// by account, at most `limit`: what a scan of the rows must see in their place. None in a
    /// read transaction.
    fn pending_cases(&self, from: u64, limit: usize) -> Vec<CollectionCase> {
        let Some(cache) = self.cache() else { return Vec::new() };
        let cache = cache.borrow();
        if cache.dirty_cases.is_empty() {
            return Vec::new();
        }
        let mut accounts: Vec<u64> =
            cache.dirty_cases.iter().copied().filter(|account| *account >= from).collect();
        accounts.sort_unstable();
        accounts.truncate(limit);
        accounts
            .iter()
            .filter_map(|account| cache.cases.get(account)?.as_deref().cloned())
            .collect()
    }

    /// An account's snapshot as the cache holds it (the outer `None`: not cached).
    fn cached_snapshot(&self, account: u64) -> Option<Option<Arc<AccountState>>> {
        self.cache()?.borrow().snapshots.get(&account).cloned()
    }

    /// Returns true if and only if this transaction changed the account's snapshot, has not
    /// written it yet, and no longer holds it: a command took it
    /// ([`WriteTxn::take_account_state`]) and was refused before writing the next one. The
    /// table then holds an older snapshot, so the reads rebuild it from the account's events.
    fn snapshot_lost(&self, account: u64) -> bool {
        self.cache().is_some_and(|cache| {
            let cache = cache.borrow();
            cache.dirty_snapshots.contains(&account) && !cache.snapshots.contains_key(&account)
        })
    }

    /// Notes that the state this transaction holds for an account is whole (its cold parts
    /// merged or rebuilt from the events), so that the parts on disk are stale once its next
    /// snapshot is written.
    fn note_whole(&self, account: u64) {
        if let Some(cache) = self.cache() {
            cache.borrow_mut().whole.insert(account);
        }
    }

    /// Keeps an account's snapshot as read, if this transaction keeps a cache.
    fn remember_snapshot(&self, account: u64, state: &Option<Arc<AccountState>>) {
        if let Some(cache) = self.cache() {
            let mut cache = cache.borrow_mut();
            cache.bound();
            cache.snapshots.insert(account, state.clone());
        }
    }

    /// An account's record as the cache holds it (the outer `None`: not cached).
    fn cached_account(&self, account: u64) -> Option<Option<Arc<AccountRecord>>> {
        self.cache()?.borrow().accounts.get(&account).cloned()
    }

    /// Keeps an account's record as read or written, if this transaction keeps a cache.
    fn remember_account(&self, account: u64, record: &Option<Arc<AccountRecord>>) {
        if let Some(cache) = self.cache() {
            let mut cache = cache.borrow_mut();
            cache.bound();
            cache.accounts.insert(account, record.clone());
        }
    }

    /// An account's case as the cache holds it (the outer `None`: not cached).
    fn cached_case(&self, account: u64) -> Option<Option<CollectionCase>> {
        self.cache()?.borrow().cases.get(&account).map(|case| case.as_deref().cloned())
    }

    /// Keeps an account's case as read, if this transaction keeps a cache.
    fn remember_case(&self, account: u64, case: &Option<CollectionCase>) {
        if let Some(cache) = self.cache() {
            let mut cache = cache.borrow_mut();
            cache.bound();
            cache.cases.insert(account, case.clone().map(Box::new));
        }
    }

    /// Returns true if and only if this transaction has removed the review index's row `key`
    /// and not yet from the table ([`WriteTxn::put_case`] defers the removals until the
    /// commit): the reads of the index pass it over.
    fn review_removal_pending(&self, key: (i32, u64)) -> bool {
        self.cache().is_some_and(|cache| cache.borrow().review_removals.contains(&key))
    }

    /// The review index's rows up to `last`, in order, that this transaction added and has not
    /// yet inserted into the table ([`WriteTxn::put_case`] defers the inserts until the
    /// commit, to make them in one ordered sweep): the reads of the index merge them in.
    fn review_inserts_pending(&self, last: (i32, u64)) -> Vec<(i32, u64)> {
        self.cache().map_or_else(Vec::new, |cache| {
            cache.borrow().review_inserts.range(..=last).copied().collect()
        })
    }

    /// An account's ledger head as the cache holds it (`None`: not cached).
    fn cached_ledger_head(&self, account: u64) -> Option<u64> {
        self.cache()?.borrow().heads.get(&account).map(|head| head.seq)
    }

    /// Keeps an account's ledger head as read from its snapshot row, if this transaction keeps
    /// a cache and does not hold a newer one (a row it appended and has not written back).
    fn remember_ledger_head(&self, account: u64, head: u64) {
        if let Some(cache) = self.cache() {
            let mut cache = cache.borrow_mut();
            cache.bound();
            cache.heads.entry(account).or_insert(LedgerHead { seq: head, dirty: false });
        }
    }

    /// The audit entries this transaction appended and has not committed yet (format 10: their
    /// hash is the commit's, taken at commit), if it appended any.
    fn audit_appended(&self) -> Option<AuditAppended> {
        None
    }

    /// The audit entries this transaction appended that are not in the `audit` table yet
    /// (format 11: the chunk it is filling, written when full or at commit), as the first one's
    /// sequence and their records in chunk form ([`crate::rows::chunk`]).
    fn audit_pending(&self) -> Option<(u64, &[u8])> {
        None
    }

    /// The ledger rows this transaction appended that are not in the `ledger_log` table yet
    /// (format 11), as [`TableAccess::audit_pending`] gives its audit entries.
    fn ledger_pending(&self) -> Option<(u64, &[u8])> {
        None
    }

    /// The audit chain's head as the cache holds it (the outer `None`: not cached).
    fn cached_audit_head(&self) -> Option<Option<AuditHead>> {
        self.cache()?.borrow().audit_head
    }

    /// Keeps the audit chain's head, if this transaction keeps a cache.
    fn remember_audit_head(&self, head: Option<AuditHead>) {
        if let Some(cache) = self.cache() {
            cache.borrow_mut().audit_head = Some(head);
        }
    }
}

/// The audit entries a write transaction appended and has not committed yet
/// ([`TableAccess::audit_appended`]).
#[derive(Debug, Clone, Copy)]
pub struct AuditAppended {
    /// The first one's sequence.
    pub(crate) first: u64,
    /// The last one's sequence.
    pub(crate) last: u64,
    /// The hash they link to: the last committed entry's (its commit's).
    pub(crate) prev: [u8; 32],
    /// Their hash if the transaction committed now.
    pub(crate) hash: [u8; 32],
}

/// The audit entries a write transaction has appended (format 10): they are one group of the
/// chain, hashed as they come and sealed at commit in the last of them.
pub(crate) struct AuditGroup {
    /// The first one's sequence.
    pub(crate) first: u64,
    /// The last one's sequence.
    pub(crate) last: u64,
    /// The entries not written yet (format 11: since the last full chunk, the last one's
    /// record at version 5 until the commit seals it with the hash,
    /// [`crate::rows::case::seal_audit_entry`]), and where the hash goes in that record.
    pub(crate) chunk: crate::rows::chunk::ChunkBuilder,
    pub(crate) hash_at: usize,
    pub(crate) hasher: crate::chain::GroupHasher,
}

/// A read-only snapshot.
pub struct ReadTxn {
    pub(crate) txn: redb::ReadTransaction,
    tables: ReadTables,
    /// [`TableAccess::hot_rows`].
    hot_rows: bool,
}

impl TableAccess for ReadTxn {
    type Table<'txn, K: redb::Key + 'static, V: redb::Value + 'static> = redb::ReadOnlyTable<K, V>;

    fn read_table<T: TableId, R>(
        &self,
        _table: T,
        read: impl for<'txn> FnOnce(&Self::Table<'txn, T::Key, T::Value>) -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        contain(
            || T::NAME.to_owned(),
            || {
                let slot = T::read_slot(&self.tables);
                if slot.get().is_none() {
                    let table = self.txn.open_table(T::DEFINITION).map_err(from_redb)?;
                    let _ = slot.set(table);
                }
                read(slot.get().unwrap_or_else(|| unreachable!("opened above")))
            },
        )
    }

    fn cache(&self) -> Option<&RefCell<TxnCache>> {
        None
    }

    fn hot_rows(&self) -> bool {
        self.hot_rows
    }

    fn table_exists<T: TableId>(&self, _table: T) -> Result<bool, StorageError> {
        if T::read_slot(&self.tables).get().is_some() {
            return Ok(true);
        }
        contain(
            || T::NAME.to_owned(),
            || match self.txn.open_table(T::DEFINITION) {
                Ok(table) => {
                    let _ = T::read_slot(&self.tables).set(table);
                    Ok(true)
                }
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
                Err(other) => Err(from_redb(other)),
            },
        )
    }
}

self_cell::self_cell!(
    /// A redb write transaction with the tables it has opened (redb's `Table` borrows its
    /// transaction, so the two are held together).
    pub(crate) struct TxnCell {
        owner: redb::WriteTransaction,
        #[not_covariant]
        dependent: Tables,
    }
);

/// A write transaction: all of it commits, or none of it.
pub struct WriteTxn {
    /// `Some` until the transaction commits or is dropped (see the `Drop` impl).
    cell: Option<TxnCell>,
    pub(crate) cache: RefCell<TxnCache>,
    /// Where the cache goes when this transaction commits, for the next write transaction of
    /// the handle: `Some` on a handle that is the file's only writer ([`Carried`]).
    carry: Option<Arc<Carried>>,
    /// Set when something wrote behind the cache's back (a test's raw damage): the cache is
    /// then not carried over.
    uncarriable: Cell<bool>,
    /// Set when the storage engine panicked inside this transaction (a damaged page): its
    /// state is unknown, so it refuses to commit.
    poisoned: Cell<bool>,
    /// Changes made so far (table writes, snapshots put, ids taken): the engine checks that a
    /// command it refuses made none ([`WriteTxn::changes`]).
    changes: Cell<u64>,
    /// [`TableAccess::hot_rows`]; the hooks that write an older format turn it off.
    pub(crate) hot_rows: Cell<bool>,
    /// [`StoreOptions::cold_items_min`](crate::StoreOptions::cold_items_min).
    pub(crate) cold_items_min: usize,
    /// Where this transaction's case writes go ([`WriteTxn::place_cases`]).
    pub(crate) case_placement: crate::write::CasePlacement,
    /// Set when this transaction added a case to the overlay: its commit then folds the
    /// overlay into `cases` if it grew too large ([`WriteTxn::fold_overlay`]).
    pub(crate) overlay_grew: bool,
    /// The audit entries this transaction appended, if any ([`WriteTxn::append_audit`]): their
    /// hash is written at commit.
    pub(crate) audit_group: Option<AuditGroup>,
    /// The ledger rows this transaction appended and has not written yet (format 11: the chunk
    /// it is filling, written when full or at commit; [`WriteTxn::append_ledger`]).
    pub(crate) ledger_chunk: crate::rows::chunk::ChunkBuilder,
    /// The store's count of snapshots encoded and written, and of their bytes (tests only).
    #[cfg(any(test, feature = "fault-injection"))]
    pub(crate) snapshots_written: Arc<SnapshotWrites>,
    /// This thread's turn to write on the handle: the last field, so that it passes to the next
    /// waiting thread only once redb's transaction (`cell`) has committed or been dropped.
    _turn: WriteTurn,
}

/// What a store's write transactions have written of accounts' states (tests only): the
/// snapshots encoded and written, and the bytes of those snapshots and of the cold parts cut
/// from them.
#[cfg(any(test, feature = "fault-injection"))]
#[derive(Debug, Default)]
pub(crate) struct SnapshotWrites {
    pub(crate) count: std::sync::atomic::AtomicU64,
    pub(crate) bytes: std::sync::atomic::AtomicU64,
}

/// Whose turn it is to write on one handle: the threads of this process that share a handle
/// wait at this gate, each woken when the transaction before its own ends, rather than poll
/// redb (a poll can only find the lock free between its pauses, which would leave it idle
/// meanwhile and let a thread that writes in a loop keep it). Other handles and processes are
/// polled ([`Store::begin_write`]).
pub(crate) type WriteGate = crate::gate::Gate;

/// A thread's turn to write on a handle; dropping it wakes the next waiting thread.
pub(crate) type WriteTurn = crate::gate::Pass;

/// Waits at most `wait_ms_max` for this handle's other threads to end their write
/// transactions, and takes the turn.
fn take_turn(gate: &Arc<WriteGate>, wait_ms_max: u64) -> Result<WriteTurn, StorageError> {
    WriteGate::enter(gate, Some(Duration::from_millis(wait_ms_max)))
        .map_err(|_| StorageError::WriterBusy { waited_ms: wait_ms_max })
}

impl TableAccess for WriteTxn {
    type Table<'txn, K: redb::Key + 'static, V: redb::Value + 'static> = redb::Table<'txn, K, V>;

    fn read_table<T: TableId, R>(
        &self,
        _table: T,
        read: impl for<'txn> FnOnce(&Self::Table<'txn, T::Key, T::Value>) -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        contain_poisoning(
            &self.poisoned,
            || T::NAME.to_owned(),
            || {
                self.cell().with_dependent(|txn, tables| {
                    let slot = T::write_slot(tables);
                    if slot.get().is_none() {
                        let table = txn.open_table(T::DEFINITION).map_err(from_redb)?;
                        let _ = slot.set(table);
                    }
                    read(slot.get().unwrap_or_else(|| unreachable!("opened above")))
                })
            },
        )
    }

    fn cache(&self) -> Option<&RefCell<TxnCache>> {
        Some(&self.cache)
    }

    fn hot_rows(&self) -> bool {
        self.hot_rows.get()
    }

    fn audit_appended(&self) -> Option<AuditAppended> {
        self.audit_group.as_ref().map(|group| AuditAppended {
            first: group.first,
            last: group.last,
            prev: group.hasher.prev(),
            hash: group.hasher.hash(),
        })
    }

    fn audit_pending(&self) -> Option<(u64, &[u8])> {
        self.audit_group.as_ref()?.chunk.pending()
    }

    fn ledger_pending(&self) -> Option<(u64, &[u8])> {
        self.ledger_chunk.pending()
    }

    fn table_exists<T: TableId>(&self, _table: T) -> Result<bool, StorageError> {
        Ok(true)
    }
}

/// Runs `f` on a write transaction's tables, containing an engine panic and poisoning the
/// transaction.
fn contain_poisoning<R>(
    poisoned: &Cell<bool>,
    table: impl FnOnce() -> String,
    f: impl FnOnce() -> Result<R, StorageError>,
) -> Result<R, StorageError> {
    let result = contain(table, f);
    if matches!(result, Err(StorageError::EnginePanicked { .. })) {
        poisoned.set(true);
    }
    result
}

/// Dropping a transaction the engine panicked in may panic again (redb frees its pages on
/// abort); that panic is contained too, as for `Store`.
impl Drop for WriteTxn {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            if self.poisoned.get() {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(cell)));
            }
        }
    }
}

/// The first pause of a writer waiting for the writer lock; each next one doubles, up to
/// [`WRITE_POLL_US_MAX`].
const WRITE_POLL_US_MIN: u64 = 50;
/// The longest pause between two attempts to take the writer lock.
const WRITE_POLL_US_MAX: u64 = 2_000;
const _: () = assert!(WRITE_POLL_US_MIN <= WRITE_POLL_US_MAX);

impl Store {
    /// Begins redb's write transaction, waiting at most [`StoreOptions::write_wait_ms_max`]
    /// for this handle's other threads to end theirs (queued on the [`WriteGate`]), then at
    /// most as long again for other handles and processes.
    ///
    /// redb's own `begin_write` waits without a bound on the file lock of another process, so
    /// this polls `try_begin_write` instead, with pauses from [`WRITE_POLL_US_MIN`] doubling
    /// to [`WRITE_POLL_US_MAX`]. That wait is measured by adding up the pauses, not by reading
    /// a clock: it is at least the bound, and longer by the time the attempts themselves took.
    ///
    /// [`StoreOptions::write_wait_ms_max`]: crate::StoreOptions::write_wait_ms_max
    pub(crate) fn begin_write(&self) -> Result<(redb::WriteTransaction, WriteTurn), StorageError> {
        let db = self.writable()?;
        // A parked transaction of journaled commits holds the turn: committed first.
        self.settle()?;
        if let Some(reason) = self.fence.get() {
            return Err(StorageError::Fenced { reason: reason.clone() });
        }
        let turn = take_turn(&self.gate, self.options.write_wait_ms_max)?;
        let wait_us_max = self.options.write_wait_ms_max.saturating_mul(1_000);
        let mut waited_us: u64 = 0;
        let mut pause_us = WRITE_POLL_US_MIN;
        loop {
            match db.try_begin_write() {
                Ok(txn) => return Ok((txn, turn)),
                Err(redb::TransactionError::WouldBlock) => {}
                Err(other) => return Err(from_redb(other)),
            }
            if wait_us_max <= waited_us {
                return Err(StorageError::WriterBusy { waited_ms: waited_us / 1_000 });
            }
            let pause = pause_us.min(wait_us_max - waited_us);
            std::thread::sleep(std::time::Duration::from_micros(pause));
            waited_us += pause;
            pause_us = (pause_us * 2).min(WRITE_POLL_US_MAX);
        }
    }

    /// Begins redb's read transaction, on either kind of handle.
    pub(crate) fn begin_read(&self) -> Result<redb::ReadTransaction, StorageError> {
        // Parked journaled commits were answered: a read sees them.
        self.settle()?;
        match self.db() {
            Db::Writable(db) => db.begin_read(),
            Db::ReadOnly(db) => db.begin_read(),
        }
        .map_err(from_redb)
    }

    /// Begins a write transaction. Only one runs at a time, across every handle and process
    /// sharing the file; the others wait (see [`StoreOptions::write_wait_ms_max`]). It begins
    /// from the latest commit, whoever made it.
    ///
    /// # Errors
    ///
    /// [`StorageError::ReadOnly`] on a store opened read-only, [`StorageError::WriterBusy`]
    /// when another write transaction held the lock for longer than the wait, or a storage
    /// failure.
    ///
    /// [`StoreOptions::write_wait_ms_max`]: crate::StoreOptions::write_wait_ms_max
    pub fn write(&self) -> Result<WriteTxn, StorageError> {
        self.write_synced(self.options.durability == Durability::Immediate)
    }

    /// Begins a write transaction whose commit is not synced (whatever the store's
    /// [`Durability`]): it is visible to this handle's later transactions at once and reaches
    /// the disk with the next synced commit; a crash before that loses it. For a caller that
    /// makes the commit durable by other means (the engine's journal, which writes and syncs
    /// its record first). Needs [`Sharing::Exclusive`](crate::Sharing::Exclusive): another
    /// process could not see the commit.
    ///
    /// # Errors
    ///
    /// As [`Store::write`], and [`StorageError::Engine`] on a store not opened exclusively.
    pub fn write_unsynced(&self) -> Result<WriteTxn, StorageError> {
        if self.options.sharing != crate::Sharing::Exclusive {
            return Err(StorageError::Engine(
                "an unsynced commit needs a store opened with exclusive sharing".into(),
            ));
        }
        self.write_synced(false)
    }

    /// Begins a write transaction whose commit is synced whatever the store's [`Durability`]:
    /// when it returns, the file holds it and every commit before it (the engine's journal
    /// checkpoints with it).
    ///
    /// # Errors
    ///
    /// As [`Store::write`].
    pub fn write_durable(&self) -> Result<WriteTxn, StorageError> {
        self.write_synced(true)
    }

    /// Writes out what redb left in its write buffer after this handle's last commit, with a
    /// synced commit of nothing, on a handle of [`Sharing::Exclusive`](crate::Sharing) whose
    /// commits are synced ([`Durability::Immediate`]); does nothing on any other. For a writer
    /// that commits in batches and reads much more than its cache holds between them (the
    /// cycle, after each batch).
    ///
    /// Why (redb 4.5.0, docs/BENCHMARKS.md section 11): in the exclusive mode only, a synced
    /// commit is followed by a commit that is not synced, which releases the pages earlier
    /// commits freed and leaves its own few pages in the write buffer as committed data. Until
    /// the next synced commit writes the buffer out, every read that misses a full cache
    /// writes out the least recently used buffered page to make room, whichever transaction's
    /// it is: the next transaction's own dirty pages are written out, changed and written
    /// again, up to one page a read. A 5% day of the cycle at 1,000,000 accounts and a 64 MiB
    /// cache wrote 70,000 pages instead of 3,700. The commit of nothing writes the buffer out
    /// (one sync and a page or two); its own release finds nothing left to free, so it leaves
    /// nothing behind. The shared modes do not run that release, and need none of this. When
    /// another writer holds the lock past the wait, its synced commit will write the buffer
    /// out: this then does nothing.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn write_buffered_pages(&self) -> Result<(), StorageError> {
        if self.options.sharing != crate::Sharing::Exclusive
            || self.options.durability != Durability::Immediate
        {
            return Ok(());
        }
        match self.write_durable() {
            Ok(txn) => txn.commit(),
            Err(StorageError::WriterBusy { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    pub(crate) fn write_synced(&self, synced: bool) -> Result<WriteTxn, StorageError> {
        let (mut txn, turn) = self.begin_write()?;
        if !synced {
            txn.set_durability(redb::Durability::None).map_err(from_redb)?;
        }
        let carry = self.carries.then(|| Arc::clone(&self.carried));
        let cache = carry.as_ref().and_then(|carry| carry.take()).unwrap_or_default();
        Ok(WriteTxn {
            cell: Some(TxnCell::new(txn, |_| Tables::new())),
            cache: RefCell::new(cache),
            carry,
            uncarriable: Cell::new(false),
            poisoned: Cell::new(false),
            changes: Cell::new(0),
            hot_rows: Cell::new(self.hot_rows),
            cold_items_min: self.options.cold_items_min,
            case_placement: crate::write::CasePlacement::InPlace,
            overlay_grew: false,
            audit_group: None,
            ledger_chunk: crate::rows::chunk::ChunkBuilder::default(),
            #[cfg(any(test, feature = "fault-injection"))]
            snapshots_written: Arc::clone(&self.snapshots_written),
            _turn: turn,
        })
    }

    /// Begins a read transaction: a consistent snapshot of the last commit.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn read(&self) -> Result<ReadTxn, StorageError> {
        let hot_rows = self.hot_rows;
        Ok(ReadTxn { txn: self.begin_read()?, tables: ReadTables::default(), hot_rows })
    }
}

impl WriteTxn {
    pub(crate) fn cell(&self) -> &TxnCell {
        self.cell.as_ref().unwrap_or_else(|| unreachable!("taken only by commit and drop"))
    }

    /// How many changes this transaction has made so far: table writes, snapshots put and ids
    /// taken from a sequence. Only differences mean something: a command that made none
    /// changed nothing, so refusing it after the fact leaves the transaction as it was.
    pub fn changes(&self) -> u64 {
        self.changes.get()
    }

    /// Counts a change (see [`WriteTxn::changes`]).
    pub(crate) fn changed(&self) {
        self.changes.set(self.changes.get() + 1);
    }

    /// Runs `write` on `table`, opening it the first time, inside the containment of engine
    /// panics (which poisons the transaction).
    pub(crate) fn write_table<T: TableId, R>(
        &mut self,
        _table: T,
        write: impl for<'txn> FnOnce(
            &mut redb::Table<'txn, T::Key, T::Value>,
        ) -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        self.changed();
        let poisoned = &self.poisoned;
        let cell =
            self.cell.as_mut().unwrap_or_else(|| unreachable!("taken only by commit and drop"));
        contain_poisoning(
            poisoned,
            || T::NAME.to_owned(),
            || {
                cell.with_dependent_mut(|txn, tables| {
                    let slot = T::write_slot_mut(tables);
                    if slot.get().is_none() {
                        let table = txn.open_table(T::DEFINITION).map_err(from_redb)?;
                        let _ = slot.set(table);
                    }
                    write(slot.get_mut().unwrap_or_else(|| unreachable!("opened above")))
                })
            },
        )
    }

    /// Drops from the transaction's cache what it holds of `accounts` and has written (or
    /// never changed): their snapshots, cases, ledger heads and records, which a later read
    /// decodes again from the rows. What is still to be written stays (a dirty snapshot, a
    /// moved head, a case waiting for its row). For a caller done with those accounts for the
    /// rest of the transaction: the cycle, which reviews each account once, drops each step's
    /// accounts as soon as it has decided them, while their records are still in the
    /// processor's cache, instead of letting the cache's bound (`TxnCache::bound`) sweep
    /// thousands of them from memory at once (docs/BENCHMARKS.md, "Session 43").
    pub fn forget(&self, accounts: impl IntoIterator<Item = AccountId>) {
        let mut guard = self.cache.borrow_mut();
        let cache = &mut *guard;
        for AccountId(account) in accounts {
            if !cache.dirty_snapshots.contains(&account) {
                cache.snapshots.remove(&account);
            }
            if !cache.dirty_cases.contains(&account) {
                cache.cases.remove(&account);
            }
            if !cache.heads_moved.contains(&account) {
                cache.heads.remove(&account);
            }
            cache.accounts.remove(&account);
        }
    }

    /// Hands the transaction an account's case and snapshot as decoded elsewhere, so that it
    /// does not decode them again: the cycle decodes a batch's records on a second thread,
    /// from a read transaction begun after this one (which therefore sees the same commit).
    /// The caller must pass the records as this transaction sees them: read before this
    /// transaction wrote the account. Records this transaction already holds are kept, and so
    /// is a snapshot it changed and has not written yet.
    pub fn prime(
        &self,
        account: AccountId,
        case: Option<CollectionCase>,
        snapshot: Option<Arc<AccountState>>,
    ) {
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.cases.entry(account.0).or_insert(case.map(Box::new));
        if !cache.dirty_snapshots.contains(&account.0) {
            cache.snapshots.entry(account.0).or_insert(snapshot);
        }
    }

    /// A transaction the engine panicked in refuses to commit or seal: its state is unknown.
    fn refuse_if_poisoned(&self) -> Result<(), StorageError> {
        if self.poisoned.get() {
            return Err(StorageError::EnginePanicked {
                table: "(commit)".to_owned(),
                message: "an earlier panic of the engine abandoned this transaction".to_owned(),
            });
        }
        Ok(())
    }

    /// Ends a journaled commit inside this transaction without committing it
    /// ([`crate::parked::Chain::park`]): hashes the audit entries appended since the last
    /// such end and writes them, with the ledger rows, as a commit would. What a commit
    /// writes from its caches (snapshots, the review queue, sequences) waits for the commit.
    pub(crate) fn seal_commit(&mut self) -> Result<(), StorageError> {
        self.refuse_if_poisoned()?;
        self.write_ledger_chunk()?;
        self.seal_audit_group()
    }

    /// Commits everything written in this transaction: first the snapshots it changed and
    /// has not written yet ([`WriteTxn::put_snapshot`] defers them), the review index's rows,
    /// the hash of the audit entries it appended, then the sequences.
    ///
    /// # Errors
    ///
    /// A storage failure (writing a deferred snapshot included); then nothing of the
    /// transaction is visible.
    pub fn commit(mut self) -> Result<(), StorageError> {
        self.refuse_if_poisoned()?;
        self.write_snapshots()?;
        self.write_review_rows()?;
        self.fold_overlay()?;
        self.write_ledger_chunk()?;
        self.seal_audit_group()?;
        for (sequence, last) in self.sequences_to_write() {
            self.write_table(Meta, |meta| {
                meta.insert(sequence.meta_key(), last).map_err(from_redb)?;
                Ok(())
            })?;
        }
        let cell = self.cell.take().unwrap_or_else(|| unreachable!("taken only here and by drop"));
        cell.into_owner().commit().map_err(from_redb)?;
        if let Some(carry) = self.carry.take() {
            if !self.uncarriable.get() {
                carry.put(std::mem::take(self.cache.get_mut()));
            }
        }
        Ok(())
    }

    /// Keeps the cache of decoded records from being handed to the next write transaction:
    /// something wrote rows behind it.
    #[cfg(any(test, feature = "fault-injection"))]
    pub(crate) fn forget_cache(&self) {
        *self.cache.borrow_mut() = TxnCache::default();
        self.no_carry();
    }

    /// Keeps this transaction's cache from being handed to the next write transaction (it may
    /// still use it itself): something wrote rows behind it.
    #[cfg(any(test, feature = "fault-injection"))]
    pub(crate) fn no_carry(&self) {
        self.uncarriable.set(true);
    }
}

/// The decoded records a handle's last write transaction committed with, for its next one.
///
/// A handle that is the file's only writer ([`crate::Sharing::Exclusive`] or
/// [`crate::Sharing::SingleWriter`]) knows that no row changes between two of its write
/// transactions, so the records the last one read or wrote (accounts, snapshots, ledger heads,
/// cases) are still what the file holds when the next begins: the next takes them instead of
/// reading and decoding them again (an object cache, as TigerBeetle keeps its accounts). Only a
/// transaction that committed hands its cache on; one that is dropped (refused, failed,
/// abandoned) takes its cache with it, and the next begins empty. Under
/// [`crate::Sharing::MultiWriter`] another process may write in between, so nothing is carried.
#[derive(Default)]
pub(crate) struct Carried {
    cache: std::sync::Mutex<Option<TxnCache>>,
}

impl Carried {
    fn take(&self) -> Option<TxnCache> {
        self.cache.lock().ok()?.take()
    }

    fn put(&self, cache: TxnCache) {
        if let Some(next) = cache.into_next() {
            if let Ok(mut slot) = self.cache.lock() {
                *slot = Some(next);
            }
        }
    }
}

impl WriteTxn {
    /// The sequences the commit writes to `meta`, with their last ids: each this transaction
    /// took ids from, except the log's and the entries' when the ledger log's last row, as
    /// this transaction leaves it, shows their last id (format 7: [`crate::Reads::stored_sequence`]
    /// reads them back from it, so a payment's commit does not copy the `meta` page). The
    /// entry sequence is also written when this transaction appended to the log without taking
    /// entry ids and its last row does not show the sequence: the row that showed it is no
    /// longer last.
    fn sequences_to_write(&self) -> Vec<(Sequence, u64)> {
        let cache = self.cache.borrow();
        let tail = cache.log_tail;
        Sequence::ALL
            .into_iter()
            .filter_map(|sequence| {
                let last = cache.sequences[sequence.index()]?;
                let taken = cache.sequences_taken[sequence.index()];
                let write = match sequence {
                    Sequence::Log => taken && tail.map(|tail| tail.seq) != Some(last),
                    Sequence::Entry => {
                        (taken || tail.is_some())
                            && tail.and_then(|tail| tail.last_entry) != Some(last)
                    }
                    _ => taken,
                };
                write.then_some((sequence, last))
            })
            .collect()
    }
}

/// A map keyed by a store's own ids (accounts), hashed by [`IdHasher`].
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// A set of a store's own ids (accounts), hashed by [`IdHasher`]: the accounts a transaction
/// must write at commit, which every payment adds to (a `BTreeSet` of a thousand accounts cost a
/// payment about 3% of its time in node visits); the commit sorts them.
pub(crate) type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;

/// Hashes the ids that key a transaction's caches with one multiplication by an odd constant
/// (the golden ratio's, 2^64 / phi), instead of the standard library's SipHash, which cost a
/// cycle's review about 700 instructions in its cache lookups (callgrind, `profile_cycle`).
///
/// The ids are the store's own, given out in sequence, never chosen by a caller, so a
/// hash that an adversary could collide does not matter here. Multiplying by an odd number is
/// a bijection on the low bits (which pick the bucket: ids in sequence land in distinct
/// buckets) and carries every bit of the id into the high bits (which the table compares
/// first).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by u64 keys (`write_u64` below); any other key still hashes soundly.
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0.rotate_left(29) ^ id).wrapping_mul(Self::MULTIPLIER);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// An account's ledger head as a write transaction holds it (see [`TxnCache::heads`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LedgerHead {
    /// The log sequence of the account's last row.
    pub(crate) seq: u64,
    /// Moved by this transaction and not yet written back with the account's snapshot row.
    pub(crate) dirty: bool,
}

/// Decoded records a write transaction has read or written, so that a command reading an
/// account's snapshot and case, then writing them, decodes each once. The cache holds the
/// records as this transaction sees them; it dies with the transaction, unless the transaction
/// commits on a handle that is the file's only writer, which hands the records to its next
/// write transaction ([`Carried`]: nothing can change them in between).
///
/// Snapshots are written back, not through: [`WriteTxn::put_snapshot`] only replaces the
/// decoded snapshot and marks the account dirty, and each dirty snapshot is encoded and
/// written once, at commit (or when [`TxnCache::DIRTY_MAX`] accounts are dirty). So N events
/// of one account in one transaction cost one encode of its snapshot, not N encodes of a
/// snapshot that grows with each of them. In format 15 a case bound for the row of an account
/// whose snapshot changed is written back too ([`TxnCache::dirty_cases`]), at commit with the
/// snapshot, so that the row is read and written once.
#[derive(Default)]
pub struct TxnCache {
    pub(crate) snapshots: IdMap<Option<Arc<AccountState>>>,
    /// Accounts whose snapshot this transaction changed and has not written yet. Never
    /// evicted from `snapshots` by [`TxnCache::bound`]; one is missing from `snapshots` only
    /// while a command holds it (see [`TableAccess::snapshot_lost`]).
    pub(crate) dirty_snapshots: IdSet,
    /// Accounts whose state this transaction made whole (see [`TableAccess::note_whole`]):
    /// when such a state, still whole, is written, the account's cold parts are deleted first.
    pub(crate) whole: BTreeSet<u64>,

    /// Accounts' ledger heads (format 6: kept in the snapshot row), as read from their rows or
    /// as this transaction's appends to the ledger log moved them. A head moved and not yet
    /// written back with the account's snapshot row is dirty, and never evicted by
    /// [`TxnCache::bound`].
    pub(crate) heads: IdMap<LedgerHead>,
    /// The accounts whose head in `heads` is dirty, so that the commit finds them without a
    /// pass over every head held (a handle's cache holds up to [`TxnCache::ACCOUNTS_MAX`]).
    pub(crate) heads_moved: IdSet,

    /// Accounts' cases as read or written (`None`: the account has none). Boxed: a case is
    /// about 450 bytes, and held in the map's own slots it made the table 2,000 accounts
    /// hold close to a megabyte, so that every lookup missed the processor's cache and every
    /// growth of the table moved all of them (3% to 5% of a payment's time at 1,000 payments
    /// a commit: docs/BENCHMARKS.md, "Session 43").
    pub(crate) cases: IdMap<Option<Box<CollectionCase>>>,
    /// Accounts whose case in `cases` this transaction changed and has not written into the
    /// account's row yet (format 15: when the account's snapshot is dirty too,
    /// [`WriteTxn::put_case`] defers the case to [`WriteTxn::write_snapshots`], which writes
    /// both in one write of the row). Never evicted from `cases` by [`TxnCache::bound`].
    pub(crate) dirty_cases: IdSet,
    /// Accounts' records as read or written (`None`: no such account), shared with the
    /// commands that read them ([`crate::Reads::shared_account_record`]): every payment reads
    /// its account's record, and a copy was a few strings' allocations each time.
    pub(crate) accounts: IdMap<Option<Arc<AccountRecord>>>,
    /// Rows of the review index this transaction removed and has not yet removed from the
    /// table (see [`WriteTxn::put_case`]; never evicted by [`TxnCache::bound`]).
    pub(crate) review_removals: BTreeSet<(i32, u64)>,
    /// Rows of the review index this transaction added and has not yet inserted into the
    /// table (never evicted either; disjoint from `review_removals`).
    pub(crate) review_inserts: BTreeSet<(i32, u64)>,
    /// The audit chain's head (sequence and hash only: a command's entry, with its replay
    /// bytes, is not copied to be kept).
    pub(crate) audit_head: Option<Option<AuditHead>>,
    /// The last id of each sequence (by [`Sequence::index`]) as this transaction sees it,
    /// once read or taken.
    pub(crate) sequences: [Option<u64>; Sequence::COUNT],
    /// The sequences this transaction took ids from, written to `meta` once, at commit,
    /// instead of on every id (unless the ledger log shows them: `sequences_to_write`).
    pub(crate) sequences_taken: [bool; Sequence::COUNT],
    /// The last row this transaction appended to the ledger log.
    pub(crate) log_tail: Option<LogTail>,
}

const _: () = assert!(0 < TxnCache::DIRTY_MAX);
const _: () = assert!(TxnCache::DIRTY_MAX < TxnCache::ACCOUNTS_MAX);

impl TxnCache {
    /// Most accounts cached; past it the cache starts over (a bulk import in one transaction
    /// must not hold every record in memory).
    const ACCOUNTS_MAX: usize = 4_096;

    /// Most dirty snapshots held, and most cases waiting for their rows; past it
    /// [`WriteTxn::put_snapshot`] or [`WriteTxn::put_case`] writes them all, so that
    /// [`TxnCache::bound`], which keeps the dirty ones, can always shrink the cache.
    pub(crate) const DIRTY_MAX: usize = Self::ACCOUNTS_MAX / 2;

    /// Starts over when more than [`TxnCache::ACCOUNTS_MAX`] accounts are held, keeping the
    /// dirty snapshots, ledger heads and cases (they are not written yet).
    pub(crate) fn bound(&mut self) {
        if self.snapshots.len() > Self::ACCOUNTS_MAX
            || self.cases.len() > Self::ACCOUNTS_MAX
            || self.heads.len() > Self::ACCOUNTS_MAX
        {
            let dirty = &self.dirty_snapshots;
            self.snapshots.retain(|account, _| dirty.contains(account));
            self.heads.retain(|_, head| head.dirty);
            let dirty = &self.dirty_cases;
            self.cases.retain(|account, _| dirty.contains(account));
            self.accounts.clear();
        }
        if self.accounts.len() > Self::ACCOUNTS_MAX {
            self.accounts.clear();
        }
    }

    /// What of a committed transaction's cache the next write transaction may take: the
    /// records, which are what the commit left in the file; not what belongs to the one
    /// transaction (the audit chain's head and the sequences, read again; the log's tail; the
    /// states made whole). `None` if the commit left anything unwritten, which it never does.
    fn into_next(self) -> Option<TxnCache> {
        // (A moved ledger head is written with its snapshot row: `write_snapshots` leaves none
        // dirty. Checked in tests only: the heads are as many as the accounts held.)
        debug_assert!(self.heads.values().all(|head| !head.dirty));
        let written = self.dirty_snapshots.is_empty()
            && self.heads_moved.is_empty()
            && self.dirty_cases.is_empty()
            && self.review_removals.is_empty()
            && self.review_inserts.is_empty();
        let mut snapshots = self.snapshots;
        // A state made whole in memory is not what the snapshot row holds (its cold parts are
        // still apart there). The set is small: only what this transaction made whole.
        for account in &self.whole {
            snapshots.remove(account);
        }
        written.then(|| TxnCache {
            snapshots,
            heads: self.heads,
            cases: self.cases,
            accounts: self.accounts,
            ..TxnCache::default()
        })
    }
}
