//! Arrears persistence on redb: tables, the record codec, the format version, indexes.
//!
//! Architecture invariant: this is the only crate that names redb. Nothing redb-typed crosses
//! its public API; redb errors are only the `source()` of a [`StorageError`].
//!
//! A [`Store`] hands out [`ReadTxn`]s (a consistent snapshot) and [`WriteTxn`]s (all or
//! nothing: dropped without [`WriteTxn::commit`], nothing is written). The tables and their
//! encodings are described in docs/FORMAT.md.

pub mod codec;
mod error;
#[cfg(any(test, feature = "fault-injection"))]
pub mod fault;

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrears_core::case::{Action, ActionStatus, AuditRecord, CollectionCase, ContactAttempt};
use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{replay, AccountState, Event, EventRecord, JournalEntry, Posting};
use arrears_core::model::{Account, Debtor, Obligation};
use chrono::NaiveDate;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

pub use codec::RecordKind;
pub use error::{OpenError, StorageError};

use crate::codec::{decode, encode};
use crate::error::{contain, contain_open, from_redb};

/// The on-disk format version this build writes.
pub const FORMAT_VERSION: u64 = 2;
/// The oldest on-disk format version this build can open (migrating it if older).
pub const FORMAT_VERSION_OLDEST: u64 = 1;

const _: () = assert!(FORMAT_VERSION_OLDEST <= FORMAT_VERSION);

/// Longest idempotency key, in bytes.
pub const KEY_LEN_MAX: usize = 128;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const DEBTORS: TableDefinition<u64, &[u8]> = TableDefinition::new("debtors");
const ACCOUNTS: TableDefinition<u64, &[u8]> = TableDefinition::new("accounts");
const OBLIGATIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("obligations");
const EVENTS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("events");
/// Format 1 only: net derived postings per event (the journal's sums; dropped by format 2).
const DERIVED_FORMAT_1: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("derived");
const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");
const ACCOUNT_ENTRIES: TableDefinition<(u64, u64), ()> = TableDefinition::new("account_entries");
const DEBTOR_ACCOUNTS: TableDefinition<(u64, u64), ()> = TableDefinition::new("debtor_accounts");
const ACCOUNT_OBLIGATIONS: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("account_obligations");
const EXTERNAL_REFS: TableDefinition<(u8, &str), u64> = TableDefinition::new("external_refs");
const IDEMPOTENCY: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency");
const CASES: TableDefinition<u64, &[u8]> = TableDefinition::new("cases");
const REVIEW_DUE: TableDefinition<(i32, u64), ()> = TableDefinition::new("review_due");
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
const OUTBOX_PENDING: TableDefinition<u64, ()> = TableDefinition::new("outbox_pending");
const OUTBOX_BY_DEBTOR: TableDefinition<(u64, u64), ()> = TableDefinition::new("outbox_by_debtor");
const CONTACTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("contacts");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
const CONFIG: TableDefinition<&str, &[u8]> = TableDefinition::new("config");
const SNAPSHOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("snapshots");

/// Days since 1970-01-01, the key form of a date in indexes.
pub fn date_key(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The first fields of an account record, in record order (see [`codec::decode_head`]).
#[derive(Deserialize)]
struct AccountHead {
    #[allow(dead_code)]
    id: AccountId,
    #[allow(dead_code)]
    external_ref: Option<String>,
    debtor: DebtorId,
}

/// One audit record with its hash, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The record.
    pub record: AuditRecord,
    /// SHA-256 of the record's encoding, which includes the previous record's hash.
    pub hash: [u8; 32],
}

const META_FORMAT_VERSION: &str = "format_version";

/// An id sequence kept in the meta table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequence {
    /// Debtor ids.
    Debtor,
    /// Account ids.
    Account,
    /// Obligation ids.
    Obligation,
    /// Journal entry ids.
    Entry,
}

impl Sequence {
    const COUNT: usize = 4;
    const ALL: [Sequence; Sequence::COUNT] =
        [Sequence::Debtor, Sequence::Account, Sequence::Obligation, Sequence::Entry];

    fn index(self) -> usize {
        self as usize
    }

    fn meta_key(self) -> &'static str {
        match self {
            Sequence::Debtor => "seq.debtor",
            Sequence::Account => "seq.account",
            Sequence::Obligation => "seq.obligation",
            Sequence::Entry => "seq.entry",
        }
    }
}

/// The kind of an external reference; each kind is its own unique namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RefKind {
    /// Debtor references.
    Debtor = 1,
    /// Account references.
    Account = 2,
    /// Obligation references.
    Obligation = 3,
}

impl RefKind {
    fn from_u8(value: u8) -> Option<RefKind> {
        match value {
            1 => Some(RefKind::Debtor),
            2 => Some(RefKind::Account),
            3 => Some(RefKind::Obligation),
            _ => None,
        }
    }
}

/// What an idempotency key recorded: the command's bytes and its result's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The command, encoded by the engine.
    pub command: Vec<u8>,
    /// The result, encoded by the engine.
    pub result: Vec<u8>,
}

/// How commits reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Each commit is on disk when `commit` returns (one fsync per commit).
    #[default]
    Immediate,
    /// Commits are not synced until a later immediate commit. For bulk loads and tests only:
    /// a crash loses them.
    Eventual,
}

/// How a store's file space is used (see [`Store::space`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Bytes in allocated pages (the file may be larger: it grows in regions).
    pub allocated_bytes: u64,
    /// Bytes of keys and values.
    pub stored_bytes: u64,
    /// Bytes of B-tree branch pages and other metadata.
    pub metadata_bytes: u64,
    /// Bytes lost to fragmentation inside allocated pages.
    pub fragmented_bytes: u64,
}

/// Options for opening a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Page cache, in bytes.
    pub cache_size_bytes: usize,
    /// How commits reach the disk.
    pub durability: Durability,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions { cache_size_bytes: 64 * 1024 * 1024, durability: Durability::Immediate }
    }
}

/// An open Arrears store file.
pub struct Store {
    /// Always `Some` until dropped (see the `Drop` impl).
    db: Option<redb::Database>,
    options: StoreOptions,
}

impl Store {
    fn db(&self) -> &redb::Database {
        self.db.as_ref().unwrap_or_else(|| unreachable!("the database is only taken when dropped"))
    }
}

/// Closing a redb database writes its allocator state. On a damaged file, redb 4.5 can panic
/// there (an `assert!` in its page bitmap) rather than fail: there is nobody to report an
/// error to in `drop`, and a panic there would take down a process that had handled every
/// error the damage caused before. So the close is contained: a damaged file stays damaged
/// and `verify` reports it; the process goes on. (Found by the random bit-flip test.)
impl Drop for Store {
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(db)));
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("options", &self.options).finish_non_exhaustive()
    }
}

fn open_error(path: &Path, error: redb::DatabaseError) -> OpenError {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen => {
            OpenError::AlreadyOpen { path: path.to_owned() }
        }
        other => OpenError::Storage(from_redb(other)),
    }
}

impl Store {
    /// Creates a new store at `path`.
    ///
    /// # Errors
    ///
    /// [`OpenError::AlreadyExists`] if a non-empty file is there, or a storage failure.
    pub fn create(path: &Path, options: StoreOptions) -> Result<Store, OpenError> {
        contain_open(|| {
            if std::fs::metadata(path).is_ok_and(|metadata| metadata.len() > 0) {
                return Err(OpenError::AlreadyExists { path: path.to_owned() });
            }
            let db = redb::Builder::new()
                .set_cache_size(options.cache_size_bytes)
                .create(path)
                .map_err(|error| open_error(path, error))?;
            Store::initialize(db, options)
        })
    }

    fn initialize(db: redb::Database, options: StoreOptions) -> Result<Store, OpenError> {
        let store = Store { db: Some(db), options };
        let mut txn = store.write()?;
        txn.t_meta_mut(|meta| {
            meta.insert(META_FORMAT_VERSION, FORMAT_VERSION).map_err(from_redb)?;
            Ok(())
        })?;
        txn.create_every_table()?;
        txn.commit()?;
        Ok(store)
    }

    /// Opens an existing store at `path`, migrating an older format.
    ///
    /// # Errors
    ///
    /// [`OpenError::NotFound`], [`OpenError::AlreadyOpen`], [`OpenError::NotAStore`],
    /// [`OpenError::FormatTooNew`], [`OpenError::FormatTooOld`], or a storage failure.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, OpenError> {
        contain_open(|| {
            if std::fs::metadata(path).is_err() {
                return Err(OpenError::NotFound { path: path.to_owned() });
            }
            let db = redb::Builder::new()
                .set_cache_size(options.cache_size_bytes)
                .open(path)
                .map_err(|error| open_error(path, error))?;
            Store::check_format(db, options, path)
        })
    }

    fn check_format(
        db: redb::Database,
        options: StoreOptions,
        path: &Path,
    ) -> Result<Store, OpenError> {
        let store = Store { db: Some(db), options };
        let found = {
            let read = store.db().begin_read().map_err(from_redb)?;
            match read.open_table(META) {
                Ok(meta) => {
                    meta.get(META_FORMAT_VERSION).map_err(from_redb)?.map(|guard| guard.value())
                }
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(other) => return Err(OpenError::Storage(from_redb(other))),
            }
        };
        let Some(found) = found else {
            return Err(OpenError::NotAStore { path: path.to_owned() });
        };
        if found > FORMAT_VERSION {
            return Err(OpenError::FormatTooNew { found, supported: FORMAT_VERSION });
        }
        if found < FORMAT_VERSION_OLDEST {
            return Err(OpenError::FormatTooOld { found, oldest_supported: FORMAT_VERSION_OLDEST });
        }
        if found < 2 {
            store.migrate_to_2()?;
        }
        Ok(store)
    }

    /// Version 2 adds the `snapshots` table: every account's state after its last event.
    /// Built here by replaying each account's events, in one write transaction with the new
    /// version number, so an interrupted migration leaves a version 1 store behind.
    fn migrate_to_2(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        txn.t_snapshots(|_| Ok(()))?;
        // The `derived` table of format 1 is gone: the journal holds the same sums.
        txn.cell().borrow_owner().delete_table(DERIVED_FORMAT_1).map_err(from_redb)?;
        for account in txn.all_accounts()? {
            let events: Vec<Event> =
                txn.events(account.id)?.into_iter().map(|record| record.event).collect();
            if !events.is_empty() {
                txn.put_snapshot(account.id, replay(&account, &events, None).state)?;
            }
        }
        txn.t_meta_mut(|meta| {
            meta.insert(META_FORMAT_VERSION, 2).map_err(from_redb)?;
            Ok(())
        })?;
        txn.commit()
    }

    /// Creates a new store on a fault-injecting in-memory disk (tests only).
    ///
    /// # Errors
    ///
    /// [`OpenError::AlreadyExists`] if the disk is not empty, or a storage failure (such as an
    /// injected fault).
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn create_with_backend(
        disk: &fault::FaultyDisk,
        options: StoreOptions,
    ) -> Result<Store, OpenError> {
        contain_open(|| {
            let path = Path::new("(fault-injection disk)");
            if disk.stats().len > 0 {
                return Err(OpenError::AlreadyExists { path: path.to_owned() });
            }
            let db = redb::Builder::new()
                .set_cache_size(options.cache_size_bytes)
                .create_with_backend(disk.backend())
                .map_err(|error| open_error(path, error))?;
            Store::initialize(db, options)
        })
    }

    /// Opens an existing store on a fault-injecting in-memory disk (tests only), recovering
    /// from an interrupted commit as opening a file does.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn open_with_backend(
        disk: &fault::FaultyDisk,
        options: StoreOptions,
    ) -> Result<Store, OpenError> {
        contain_open(|| {
            let path = Path::new("(fault-injection disk)");
            if disk.stats().len == 0 {
                return Err(OpenError::NotFound { path: path.to_owned() });
            }
            let db = redb::Builder::new()
                .set_cache_size(options.cache_size_bytes)
                .create_with_backend(disk.backend())
                .map_err(|error| open_error(path, error))?;
            Store::check_format(db, options, path)
        })
    }

    /// Begins a write transaction. Only one runs at a time; others wait.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn write(&self) -> Result<WriteTxn, StorageError> {
        let mut txn = self.db().begin_write().map_err(from_redb)?;
        if self.options.durability == Durability::Eventual {
            txn.set_durability(redb::Durability::None).map_err(from_redb)?;
        }
        Ok(WriteTxn {
            cell: Some(TxnCell::new(txn, |_| Tables::new())),
            cache: RefCell::default(),
            poisoned: Cell::new(false),
        })
    }

    /// Begins a read transaction: a consistent snapshot of the last commit.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn read(&self) -> Result<ReadTxn, StorageError> {
        Ok(ReadTxn {
            txn: self.db().begin_read().map_err(from_redb)?,
            tables: ReadTables::default(),
        })
    }

    /// How the file's space is used, from redb's statistics.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn space(&self) -> Result<Space, StorageError> {
        let txn = self.db().begin_write().map_err(from_redb)?;
        let stats = txn.stats().map_err(from_redb)?;
        let space = Space {
            allocated_bytes: stats.allocated_pages() * stats.page_size() as u64,
            stored_bytes: stats.stored_bytes(),
            metadata_bytes: stats.metadata_bytes(),
            fragmented_bytes: stats.fragmented_bytes(),
        };
        txn.abort().map_err(from_redb)?;
        Ok(space)
    }

    /// Checks redb's own page checksums and structure over the whole file.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn check_pages(&mut self) -> Result<bool, StorageError> {
        self.db
            .as_mut()
            .unwrap_or_else(|| unreachable!("the database is only taken when dropped"))
            .check_integrity()
            .map_err(from_redb)
    }
}

/// Every table: its field in [`Tables`], its accessors, its definition, key and value types.
macro_rules! tables {
    ($($field:ident, $field_mut:ident: $definition:ident, $key:ty, $value:ty;)*) => {
        /// The tables a write transaction has opened, each opened once and kept open until the
        /// transaction commits or is dropped: opening a redb table costs a lookup in its table
        /// tree and a root update at close, which was a sixth of a payment's cost when every
        /// store call opened its tables anew.
        struct Tables<'txn> {
            $($field: OnceCell<redb::Table<'txn, $key, $value>>,)*
        }

        /// The tables a read transaction has opened, each opened once (opening one is a
        /// lookup in the table tree).
        #[derive(Default)]
        struct ReadTables {
            $($field: OnceCell<redb::ReadOnlyTable<$key, $value>>,)*
        }

        impl Tables<'_> {
            fn new() -> Self {
                Tables { $($field: OnceCell::new(),)* }
            }
        }

        impl ReadTxn {
            $(
                fn $field<R>(
                    &self,
                    read: impl FnOnce(&redb::ReadOnlyTable<$key, $value>) -> Result<R, StorageError>,
                ) -> Result<R, StorageError> {
                    contain(|| redb::TableHandle::name(&$definition).to_owned(), || {
                        if self.tables.$field.get().is_none() {
                            let table = self.txn.open_table($definition).map_err(from_redb)?;
                            let _ = self.tables.$field.set(table);
                        }
                        read(self.tables.$field.get().unwrap_or_else(|| unreachable!("opened above")))
                    })
                }
            )*
        }

        impl WriteTxn {
            $(
                fn $field<R>(
                    &self,
                    read: impl FnOnce(&redb::Table<'_, $key, $value>) -> Result<R, StorageError>,
                ) -> Result<R, StorageError> {
                    self.contained(|| redb::TableHandle::name(&$definition).to_owned(), || {
                        self.cell().with_dependent(|txn, tables| {
                            if tables.$field.get().is_none() {
                                let table = txn.open_table($definition).map_err(from_redb)?;
                                let _ = tables.$field.set(table);
                            }
                            read(tables.$field.get().unwrap_or_else(|| unreachable!("opened above")))
                        })
                    })
                }

                #[allow(dead_code)]
                fn $field_mut<R>(
                    &mut self,
                    write: impl FnOnce(&mut redb::Table<'_, $key, $value>) -> Result<R, StorageError>,
                ) -> Result<R, StorageError> {
                    let poisoned = &self.poisoned;
                    let cell = self
                        .cell
                        .as_mut()
                        .unwrap_or_else(|| unreachable!("taken only by commit and drop"));
                    contain_poisoning(poisoned, || redb::TableHandle::name(&$definition).to_owned(), || {
                        cell.with_dependent_mut(|txn, tables| {
                            if tables.$field.get().is_none() {
                                let table = txn.open_table($definition).map_err(from_redb)?;
                                let _ = tables.$field.set(table);
                            }
                            write(
                                tables.$field.get_mut().unwrap_or_else(|| unreachable!("opened above")),
                            )
                        })
                    })
                }
            )*

            /// Opens (so creates) every table.
            fn create_every_table(&self) -> Result<(), StorageError> {
                $(self.$field(|_| Ok(()))?;)*
                Ok(())
            }
        }
    };
}

tables! {
    t_meta, t_meta_mut: META, &'static str, u64;
    t_debtors, t_debtors_mut: DEBTORS, u64, &'static [u8];
    t_accounts, t_accounts_mut: ACCOUNTS, u64, &'static [u8];
    t_obligations, t_obligations_mut: OBLIGATIONS, u64, &'static [u8];
    t_events, t_events_mut: EVENTS, (u64, u32), &'static [u8];
    t_journal, t_journal_mut: JOURNAL, u64, &'static [u8];
    t_account_entries, t_account_entries_mut: ACCOUNT_ENTRIES, (u64, u64), ();
    t_debtor_accounts, t_debtor_accounts_mut: DEBTOR_ACCOUNTS, (u64, u64), ();
    t_account_obligations, t_account_obligations_mut: ACCOUNT_OBLIGATIONS, (u64, u64), ();
    t_external_refs, t_external_refs_mut: EXTERNAL_REFS, (u8, &'static str), u64;
    t_idempotency, t_idempotency_mut: IDEMPOTENCY, &'static str, &'static [u8];
    t_cases, t_cases_mut: CASES, u64, &'static [u8];
    t_review_due, t_review_due_mut: REVIEW_DUE, (i32, u64), ();
    t_outbox, t_outbox_mut: OUTBOX, u64, &'static [u8];
    t_outbox_pending, t_outbox_pending_mut: OUTBOX_PENDING, u64, ();
    t_outbox_by_debtor, t_outbox_by_debtor_mut: OUTBOX_BY_DEBTOR, (u64, u64), ();
    t_contacts, t_contacts_mut: CONTACTS, (u64, u64), &'static [u8];
    t_audit, t_audit_mut: AUDIT, u64, &'static [u8];
    t_config, t_config_mut: CONFIG, &'static str, &'static [u8];
    t_snapshots, t_snapshots_mut: SNAPSHOTS, u64, &'static [u8];
}

self_cell::self_cell!(
    /// A redb write transaction with the tables it has opened.
    struct TxnCell {
        owner: redb::WriteTransaction,
        #[not_covariant]
        dependent: Tables,
    }
);

/// A read-only snapshot.
pub struct ReadTxn {
    txn: redb::ReadTransaction,
    tables: ReadTables,
}

/// A write transaction: all of it commits, or none of it.
pub struct WriteTxn {
    /// `Some` until the transaction commits or is dropped (see the `Drop` impl).
    cell: Option<TxnCell>,
    cache: RefCell<TxnCache>,
    /// Set when the storage engine panicked inside this transaction (a damaged page): its
    /// state is unknown, so it refuses to commit.
    poisoned: Cell<bool>,
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

impl WriteTxn {
    fn cell(&self) -> &TxnCell {
        self.cell.as_ref().unwrap_or_else(|| unreachable!("taken only by commit and drop"))
    }

    fn contained<R>(
        &self,
        table: impl FnOnce() -> String,
        f: impl FnOnce() -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        contain_poisoning(&self.poisoned, table, f)
    }
}

/// Decoded records a write transaction has read or written, so that a command reading an
/// account's snapshot and case, then writing them, decodes each once. Only this transaction's
/// own view is cached (the cache dies with it), so it can never be stale.
#[derive(Default)]
struct TxnCache {
    snapshots: HashMap<u64, Option<Arc<AccountState>>>,
    cases: HashMap<u64, Option<CollectionCase>>,
    audit_head: Option<Option<AuditEntry>>,
    /// The last id taken from each sequence in this transaction (by [`Sequence::index`]),
    /// written to `meta` once, at commit, instead of on every id.
    sequences: [Option<u64>; Sequence::COUNT],
}

impl TxnCache {
    /// Most accounts cached; past it the cache starts over (a bulk import in one transaction
    /// must not hold every record in memory).
    const ACCOUNTS_MAX: usize = 4_096;

    fn bound(&mut self) {
        if self.snapshots.len() > Self::ACCOUNTS_MAX || self.cases.len() > Self::ACCOUNTS_MAX {
            self.snapshots.clear();
            self.cases.clear();
        }
    }
}

impl ReadTxn {
    fn cached_snapshot(&self, _account: u64) -> Option<Option<Arc<AccountState>>> {
        None
    }

    fn remember_snapshot(&self, _account: u64, _state: &Option<Arc<AccountState>>) {}

    fn cached_case(&self, _account: u64) -> Option<Option<CollectionCase>> {
        None
    }

    fn remember_case(&self, _account: u64, _case: &Option<CollectionCase>) {}

    fn cached_audit_head(&self) -> Option<Option<AuditEntry>> {
        None
    }

    fn remember_audit_head(&self, _head: &Option<AuditEntry>) {}
}

impl WriteTxn {
    /// Hands the transaction an account's case and snapshot as decoded elsewhere, so that it
    /// does not decode them again: the cycle decodes a batch's records on a second thread,
    /// from a read transaction begun after this one (which therefore sees the same commit).
    /// The caller must pass the records as this transaction sees them: read before this
    /// transaction wrote the account. Records this transaction already holds are kept.
    pub fn prime(
        &self,
        account: AccountId,
        case: Option<CollectionCase>,
        snapshot: Option<Arc<AccountState>>,
    ) {
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.cases.entry(account.0).or_insert(case);
        cache.snapshots.entry(account.0).or_insert(snapshot);
    }

    /// An account's state after all its events, owned: the transaction's decoded copy is
    /// handed over rather than cloned (the caller writes the next one with `put_snapshot`).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn take_account_state(&self, account: &Account) -> Result<AccountState, StorageError> {
        let cached = self.cache.borrow_mut().snapshots.remove(&account.id.0);
        let state = match cached {
            Some(Some(state)) => state,
            _ => self.account_state(account, None)?,
        };
        self.cache.borrow_mut().snapshots.remove(&account.id.0);
        Ok(Arc::unwrap_or_clone(state))
    }

    fn cached_snapshot(&self, account: u64) -> Option<Option<Arc<AccountState>>> {
        self.cache.borrow().snapshots.get(&account).cloned()
    }

    fn remember_snapshot(&self, account: u64, state: &Option<Arc<AccountState>>) {
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.snapshots.insert(account, state.clone());
    }

    fn cached_case(&self, account: u64) -> Option<Option<CollectionCase>> {
        self.cache.borrow().cases.get(&account).cloned()
    }

    fn remember_case(&self, account: u64, case: &Option<CollectionCase>) {
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.cases.insert(account, case.clone());
    }

    fn cached_audit_head(&self) -> Option<Option<AuditEntry>> {
        self.cache.borrow().audit_head.clone()
    }

    fn remember_audit_head(&self, head: &Option<AuditEntry>) {
        self.cache.borrow_mut().audit_head = Some(head.clone());
    }
}

fn get_record<T: serde::de::DeserializeOwned>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
    id: u64,
) -> Result<Option<T>, StorageError> {
    let Some(guard) = table.get(id).map_err(from_redb)? else { return Ok(None) };
    decode(kind, guard.value()).map(Some).map_err(|reason| StorageError::Corrupted {
        table: table_name,
        key: id.to_string(),
        reason,
    })
}

fn all_records<T: serde::de::DeserializeOwned>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
) -> Result<Vec<T>, StorageError> {
    decode_rows(table.iter().map_err(from_redb)?, table_name, kind)
}

/// Decodes every record of a range of a table, in key order; a record that does not decode is
/// `Corrupted` with its key.
fn decode_rows<K, T>(
    rows: redb::Range<'_, K, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
) -> Result<Vec<T>, StorageError>
where
    K: redb::Key + 'static,
    for<'k> K::SelfType<'k>: std::fmt::Debug,
    T: serde::de::DeserializeOwned,
{
    let mut records = Vec::new();
    for row in rows {
        let (key, value) = row.map_err(from_redb)?;
        let record = decode(kind, value.value()).map_err(|reason| StorageError::Corrupted {
            table: table_name,
            key: format!("{:?}", key.value()),
            reason,
        })?;
        records.push(record);
    }
    Ok(records)
}

fn index_range(
    table: &impl ReadableTable<(u64, u64), ()>,
    left: u64,
) -> Result<Vec<u64>, StorageError> {
    let mut ids = Vec::new();
    for row in table.range((left, 0)..=(left, u64::MAX)).map_err(from_redb)? {
        let (key, _) = row.map_err(from_redb)?;
        ids.push(key.value().1);
    }
    Ok(ids)
}

fn index_all(table: &impl ReadableTable<(u64, u64), ()>) -> Result<Vec<(u64, u64)>, StorageError> {
    let mut pairs = Vec::new();
    for row in table.iter().map_err(from_redb)? {
        let (key, _) = row.map_err(from_redb)?;
        pairs.push(key.value());
    }
    Ok(pairs)
}

// Both transaction kinds read through the same methods; the macro writes them once.
macro_rules! reads {
    ($txn:ty) => {
        impl $txn {
            /// The stored format version.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn format_version(&self) -> Result<Option<u64>, StorageError> {
                self.t_meta(|meta| {
                    let version = meta
                        .get(META_FORMAT_VERSION)
                        .map_err(from_redb)?
                        .map(|guard| guard.value());
                    Ok(version)
                })
            }

            /// A debtor by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn debtor(&self, id: DebtorId) -> Result<Option<Debtor>, StorageError> {
                self.t_debtors(|table| get_record(table, "debtors", RecordKind::Debtor, id.0))
            }

            /// An account by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError> {
                self.t_accounts(|table| get_record(table, "accounts", RecordKind::Account, id.0))
            }

            /// An obligation by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn obligation(&self, id: ObligationId) -> Result<Option<Obligation>, StorageError> {
                self.t_obligations(|table| {
                    get_record(table, "obligations", RecordKind::Obligation, id.0)
                })
            }

            /// All debtors, by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn all_debtors(&self) -> Result<Vec<Debtor>, StorageError> {
                self.t_debtors(|table| all_records(table, "debtors", RecordKind::Debtor))
            }

            /// All accounts, by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn all_accounts(&self) -> Result<Vec<Account>, StorageError> {
                self.t_accounts(|table| all_records(table, "accounts", RecordKind::Account))
            }

            /// All obligations, by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn all_obligations(&self) -> Result<Vec<Obligation>, StorageError> {
                self.t_obligations(|table| {
                    all_records(table, "obligations", RecordKind::Obligation)
                })
            }

            /// All journal entries, by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn all_entries(&self) -> Result<Vec<JournalEntry>, StorageError> {
                self.t_journal(|table| all_records(table, "journal", RecordKind::Entry))
            }

            /// An account's events, in recording order.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn events(&self, account: AccountId) -> Result<Vec<EventRecord>, StorageError> {
                self.t_events(|table| {
                    let rows =
                        table.range((account.0, 0)..=(account.0, u32::MAX)).map_err(from_redb)?;
                    decode_rows(rows, "events", RecordKind::Event)
                })
            }

            /// An account's snapshot: its state after its last event (none before its first).
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn snapshot(
                &self,
                account: AccountId,
            ) -> Result<Option<AccountState>, StorageError> {
                Ok(self.shared_snapshot(account)?.map(Arc::unwrap_or_clone))
            }

            /// An account's snapshot, shared (see [`Self::snapshot`]).
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn shared_snapshot(
                &self,
                account: AccountId,
            ) -> Result<Option<Arc<AccountState>>, StorageError> {
                if let Some(cached) = self.cached_snapshot(account.0) {
                    return Ok(cached);
                }
                self.t_snapshots(|table| {
                    let found: Option<AccountState> =
                        get_record(table, "snapshots", RecordKind::Snapshot, account.0)?;
                    let found = found.map(Arc::new);
                    self.remember_snapshot(account.0, &found);
                    Ok(found)
                })
            }

            /// An account's state as of `as_of` (after every event if `None`): its snapshot
            /// when no event is later than `as_of`, else the replay of its events up to it.
            /// Shared: a write transaction hands out the snapshot it keeps decoded.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn account_state(
                &self,
                account: &Account,
                as_of: Option<NaiveDate>,
            ) -> Result<Arc<AccountState>, StorageError> {
                if let Some(snapshot) = self.shared_snapshot(account.id)? {
                    if as_of.is_none() || snapshot.latest_on <= as_of {
                        return Ok(snapshot);
                    }
                }
                let events: Vec<Event> =
                    self.events(account.id)?.into_iter().map(|record| record.event).collect();
                Ok(Arc::new(replay(account, &events, as_of).state))
            }

            /// What the journal holds for each of an account's events: the sum of the event's
            /// entries (its original entry and its corrections), in canonical form. Only a
            /// back-dated event needs it, to journal the differences.
            ///
            /// # Errors
            ///
            /// A storage failure, a corrupted record, or an index pointing nowhere.
            pub fn journaled_by_event(
                &self,
                account: AccountId,
            ) -> Result<BTreeMap<EventSeq, Vec<Posting>>, StorageError> {
                let mut by_event: BTreeMap<EventSeq, Vec<Posting>> = BTreeMap::new();
                for entry in self.entries(account)? {
                    by_event.entry(entry.event).or_default().extend(entry.postings);
                }
                Ok(by_event
                    .into_iter()
                    .map(|(seq, postings)| (seq, arrears_core::ledger::normalize(postings)))
                    .collect())
            }

            /// An account's journal entries, in recording order.
            ///
            /// # Errors
            ///
            /// A storage failure, a corrupted record, or an index pointing nowhere.
            pub fn entries(&self, account: AccountId) -> Result<Vec<JournalEntry>, StorageError> {
                self.t_account_entries(|index| {
                    self.t_journal(|journal| {
                        let mut entries = Vec::new();
                        for id in index_range(index, account.0)? {
                            let entry = get_record(journal, "journal", RecordKind::Entry, id)?
                                .ok_or(StorageError::Dangling {
                                    table: "journal",
                                    key: id.to_string(),
                                })?;
                            entries.push(entry);
                        }
                        Ok(entries)
                    })
                })
            }

            /// The accounts of a debtor.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn accounts_of(&self, debtor: DebtorId) -> Result<Vec<AccountId>, StorageError> {
                self.t_debtor_accounts(|index| {
                    Ok(index_range(index, debtor.0)?.into_iter().map(AccountId).collect())
                })
            }

            /// The obligations of an account.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn obligations_of(
                &self,
                account: AccountId,
            ) -> Result<Vec<ObligationId>, StorageError> {
                self.t_account_obligations(|index| {
                    Ok(index_range(index, account.0)?.into_iter().map(ObligationId).collect())
                })
            }

            /// Every `(debtor, account)` pair of the debtor index.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn debtor_account_index(&self) -> Result<Vec<(DebtorId, AccountId)>, StorageError> {
                self.t_debtor_accounts(|index| {
                    Ok(index_all(index)?
                        .into_iter()
                        .map(|(d, a)| (DebtorId(d), AccountId(a)))
                        .collect())
                })
            }

            /// Every `(account, obligation)` pair of the obligation index.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn account_obligation_index(
                &self,
            ) -> Result<Vec<(AccountId, ObligationId)>, StorageError> {
                self.t_account_obligations(|index| {
                    Ok(index_all(index)?
                        .into_iter()
                        .map(|(a, o)| (AccountId(a), ObligationId(o)))
                        .collect())
                })
            }

            /// Every `(account, entry)` pair of the journal index.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn account_entry_index(&self) -> Result<Vec<(AccountId, EntryId)>, StorageError> {
                self.t_account_entries(|index| {
                    Ok(index_all(index)?
                        .into_iter()
                        .map(|(a, e)| (AccountId(a), EntryId(e)))
                        .collect())
                })
            }

            /// The id an external reference names, if any.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn external_ref(
                &self,
                kind: RefKind,
                reference: &str,
            ) -> Result<Option<u64>, StorageError> {
                self.t_external_refs(|table| {
                    let id = table
                        .get((kind as u8, reference))
                        .map_err(from_redb)?
                        .map(|guard| guard.value());
                    Ok(id)
                })
            }

            /// Every external reference: `(kind, reference, id)`.
            ///
            /// # Errors
            ///
            /// A storage failure, or a kind byte this build does not know.
            pub fn all_external_refs(&self) -> Result<Vec<(RefKind, String, u64)>, StorageError> {
                self.t_external_refs(|table| {
                    let mut refs = Vec::new();
                    for row in table.iter().map_err(from_redb)? {
                        let (key, value) = row.map_err(from_redb)?;
                        let (kind, reference) = key.value();
                        let kind =
                            RefKind::from_u8(kind).ok_or_else(|| StorageError::Corrupted {
                                table: "external_refs",
                                key: format!("({kind}, {reference:?})"),
                                reason: codec::DecodeError::Payload {
                                    kind: "external reference",
                                    reason: format!("unknown kind {kind}"),
                                },
                            })?;
                        refs.push((kind, reference.to_owned(), value.value()));
                    }
                    Ok(refs)
                })
            }

            /// What an idempotency key recorded, if anything.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn idempotency(
                &self,
                key: &str,
            ) -> Result<Option<IdempotencyRecord>, StorageError> {
                self.t_idempotency(|table| {
                    let Some(guard) = table.get(key).map_err(from_redb)? else { return Ok(None) };
                    decode(RecordKind::Idempotency, guard.value()).map(Some).map_err(|reason| {
                        StorageError::Corrupted {
                            table: "idempotency",
                            key: format!("{key:?}"),
                            reason,
                        }
                    })
                })
            }

            /// An account's collection case.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn case(&self, account: AccountId) -> Result<Option<CollectionCase>, StorageError> {
                if let Some(cached) = self.cached_case(account.0) {
                    return Ok(cached);
                }
                self.t_cases(|table| {
                    let found = get_record(table, "cases", RecordKind::Case, account.0)?;
                    self.remember_case(account.0, &found);
                    Ok(found)
                })
            }

            /// Every collection case, by account id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn all_cases(&self) -> Result<Vec<CollectionCase>, StorageError> {
                self.t_cases(|table| all_records(table, "cases", RecordKind::Case))
            }

            /// Accounts whose next review is on or before `as_of`, earliest first, at most
            /// `limit`.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn due_for_review(
                &self,
                as_of: NaiveDate,
                limit: usize,
            ) -> Result<Vec<AccountId>, StorageError> {
                self.t_review_due(|table| {
                    let mut accounts = Vec::new();
                    for row in table
                        .range((i32::MIN, 0)..=(date_key(as_of), u64::MAX))
                        .map_err(from_redb)?
                    {
                        if accounts.len() >= limit {
                            break;
                        }
                        let (key, _) = row.map_err(from_redb)?;
                        accounts.push(AccountId(key.value().1));
                    }
                    Ok(accounts)
                })
            }

            /// The debtor of each account, in order, read from the head of each account
            /// record (not the whole record). The cycle groups the due accounts with it.
            ///
            /// # Errors
            ///
            /// A storage failure, a corrupted record or an account that does not exist.
            pub fn debtors_of(
                &self,
                accounts: &[AccountId],
            ) -> Result<Vec<DebtorId>, StorageError> {
                self.t_accounts(|table| {
                    let mut debtors = Vec::with_capacity(accounts.len());
                    for &AccountId(id) in accounts {
                        let guard = table.get(id).map_err(from_redb)?.ok_or_else(|| {
                            StorageError::Dangling { table: "accounts", key: id.to_string() }
                        })?;
                        let head: AccountHead =
                            codec::decode_head(RecordKind::Account, guard.value()).map_err(
                                |reason| StorageError::Corrupted {
                                    table: "accounts",
                                    key: id.to_string(),
                                    reason,
                                },
                            )?;
                        debtors.push(head.debtor);
                    }
                    Ok(debtors)
                })
            }

            /// Every `(next review day, account)` pair of the review index.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn review_index(&self) -> Result<Vec<(i32, AccountId)>, StorageError> {
                self.t_review_due(|table| {
                    let mut pairs = Vec::new();
                    for row in table.iter().map_err(from_redb)? {
                        let (key, _) = row.map_err(from_redb)?;
                        let (day, account) = key.value();
                        pairs.push((day, AccountId(account)));
                    }
                    Ok(pairs)
                })
            }

            /// An outbox action by id.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn action(&self, id: u64) -> Result<Option<Action>, StorageError> {
                self.t_outbox(|table| get_record(table, "outbox", RecordKind::Action, id))
            }

            /// Pending actions in id order, at most `limit`.
            ///
            /// # Errors
            ///
            /// A storage failure, a corrupted record or a dangling index row.
            pub fn pending_actions(&self, limit: usize) -> Result<Vec<Action>, StorageError> {
                self.t_outbox_pending(|index| {
                    self.t_outbox(|table| {
                        let mut actions = Vec::new();
                        for row in index.iter().map_err(from_redb)? {
                            if actions.len() >= limit {
                                break;
                            }
                            let (key, _) = row.map_err(from_redb)?;
                            let id = key.value();
                            let action =
                                get_record(table, "outbox", RecordKind::Action, id)?.ok_or(
                                    StorageError::Dangling { table: "outbox", key: id.to_string() },
                                )?;
                            actions.push(action);
                        }
                        Ok(actions)
                    })
                })
            }

            /// Every outbox action, in id order.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn all_actions(&self) -> Result<Vec<Action>, StorageError> {
                self.t_outbox(|table| all_records(table, "outbox", RecordKind::Action))
            }

            /// A debtor's actions (pending and acknowledged), by id.
            ///
            /// # Errors
            ///
            /// A storage failure, a corrupted record or a dangling index row.
            pub fn actions_of(&self, debtor: DebtorId) -> Result<Vec<Action>, StorageError> {
                self.t_outbox_by_debtor(|index| {
                    self.t_outbox(|table| {
                        let mut actions = Vec::new();
                        for id in index_range(index, debtor.0)? {
                            let action =
                                get_record(table, "outbox", RecordKind::Action, id)?.ok_or(
                                    StorageError::Dangling { table: "outbox", key: id.to_string() },
                                )?;
                            actions.push(action);
                        }
                        Ok(actions)
                    })
                })
            }

            /// Every `(debtor, action)` pair of the outbox's debtor index.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn debtor_action_index(&self) -> Result<Vec<(DebtorId, u64)>, StorageError> {
                self.t_outbox_by_debtor(|index| {
                    Ok(index_all(index)?
                        .into_iter()
                        .map(|(debtor, id)| (DebtorId(debtor), id))
                        .collect())
                })
            }

            /// The ids in the pending-actions index.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn pending_index(&self) -> Result<Vec<u64>, StorageError> {
                self.t_outbox_pending(|index| {
                    let mut ids = Vec::new();
                    for row in index.iter().map_err(from_redb)? {
                        ids.push(row.map_err(from_redb)?.0.value());
                    }
                    Ok(ids)
                })
            }

            /// A debtor's contact history, oldest first.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn contacts(&self, debtor: DebtorId) -> Result<Vec<ContactAttempt>, StorageError> {
                self.t_contacts(|table| {
                    let rows =
                        table.range((debtor.0, 0)..=(debtor.0, u64::MAX)).map_err(from_redb)?;
                    decode_rows(rows, "contacts", RecordKind::Contact)
                })
            }

            /// The whole audit log, in order.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn audit_log(&self) -> Result<Vec<AuditEntry>, StorageError> {
                self.t_audit(|table| all_records(table, "audit", RecordKind::Audit))
            }

            /// The last audit entry, if any.
            ///
            /// # Errors
            ///
            /// A storage failure or a corrupted record.
            pub fn last_audit(&self) -> Result<Option<AuditEntry>, StorageError> {
                if let Some(cached) = self.cached_audit_head() {
                    return Ok(cached);
                }
                self.t_audit(|table| {
                    let Some((key, value)) = table.last().map_err(from_redb)? else {
                        self.remember_audit_head(&None);
                        return Ok(None);
                    };
                    let seq = key.value();
                    let head = decode(RecordKind::Audit, value.value()).map_err(|reason| {
                        StorageError::Corrupted { table: "audit", key: seq.to_string(), reason }
                    })?;
                    let head = Some(head);
                    self.remember_audit_head(&head);
                    Ok(head)
                })
            }

            /// A configuration value (such as the policy text).
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn config(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
                self.t_config(|table| {
                    let value =
                        table.get(name).map_err(from_redb)?.map(|guard| guard.value().to_vec());
                    Ok(value)
                })
            }

            /// Number of accounts.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn account_count(&self) -> Result<u64, StorageError> {
                self.t_accounts(|table| table.len().map_err(from_redb))
            }

            /// The ids of all accounts, ascending.
            ///
            /// # Errors
            ///
            /// A storage failure.
            pub fn account_ids(&self) -> Result<Vec<AccountId>, StorageError> {
                self.t_accounts(|table| {
                    let mut ids = Vec::new();
                    for row in table.iter().map_err(from_redb)? {
                        let (key, _) = row.map_err(from_redb)?;
                        ids.push(AccountId(key.value()));
                    }
                    Ok(ids)
                })
            }
        }
    };
}

reads!(ReadTxn);
reads!(WriteTxn);

impl WriteTxn {
    /// The id [`WriteTxn::next_id`] would give next, without taking it.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn peek_id(&self, sequence: Sequence) -> Result<u64, StorageError> {
        Ok(self.last_id(sequence)? + 1)
    }

    /// Takes the next id of a sequence (ids start at 1 and are never reused). The sequence is
    /// written to `meta` at commit; a transaction dropped uncommitted took nothing.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn next_id(&mut self, sequence: Sequence) -> Result<u64, StorageError> {
        let next = self.last_id(sequence)? + 1;
        self.cache.borrow_mut().sequences[sequence.index()] = Some(next);
        Ok(next)
    }

    /// The last id taken from a sequence (zero if none), as this transaction sees it.
    fn last_id(&self, sequence: Sequence) -> Result<u64, StorageError> {
        if let Some(last) = self.cache.borrow().sequences[sequence.index()] {
            return Ok(last);
        }
        self.t_meta(|meta| {
            Ok(meta.get(sequence.meta_key()).map_err(from_redb)?.map_or(0, |guard| guard.value()))
        })
    }

    /// Writes a debtor.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_debtor(&mut self, debtor: &Debtor) -> Result<(), StorageError> {
        self.t_debtors_mut(|table| {
            table
                .insert(debtor.id.0, encode(RecordKind::Debtor, debtor).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes an account and indexes it under its debtor.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_account(&mut self, account: &Account) -> Result<(), StorageError> {
        {
            self.t_accounts_mut(|table| {
                table
                    .insert(account.id.0, encode(RecordKind::Account, account).as_slice())
                    .map_err(from_redb)?;
                Ok(())
            })?;
        }
        self.t_debtor_accounts_mut(|index| {
            index.insert((account.debtor.0, account.id.0), ()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes an obligation and indexes it under its account.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_obligation(&mut self, obligation: &Obligation) -> Result<(), StorageError> {
        {
            self.t_obligations_mut(|table| {
                let bytes = encode(RecordKind::Obligation, obligation);
                table.insert(obligation.id.0, bytes.as_slice()).map_err(from_redb)?;
                Ok(())
            })?;
        }
        self.t_account_obligations_mut(|index| {
            index.insert((obligation.account.0, obligation.id.0), ()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends an event to an account's log.
    ///
    /// # Panics
    ///
    /// If the account already has an event with that sequence number: events are immutable,
    /// and the engine assigns each sequence once.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_event(
        &mut self,
        account: AccountId,
        record: &EventRecord,
    ) -> Result<(), StorageError> {
        self.t_events_mut(|table| {
            let key = (account.0, record.event.seq.0);
            let previous = table
                .insert(key, encode(RecordKind::Event, record).as_slice())
                .map_err(from_redb)?;
            assert!(previous.is_none(), "event {key:?} written twice");
            Ok(())
        })
    }

    /// Replaces an account's snapshot (its state after its last event).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_snapshot(
        &mut self,
        account: AccountId,
        state: AccountState,
    ) -> Result<(), StorageError> {
        self.t_snapshots_mut(|table| {
            table
                .insert(account.0, encode(RecordKind::Snapshot, &state).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })?;
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.snapshots.insert(account.0, Some(Arc::new(state)));
        Ok(())
    }

    /// Appends a journal entry and indexes it under its account.
    ///
    /// # Panics
    ///
    /// If the entry is unbalanced or its id is taken: the engine builds only balanced entries
    /// and takes ids from the sequence.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_entry(&mut self, entry: &JournalEntry) -> Result<(), StorageError> {
        assert!(
            arrears_core::ledger::is_balanced(&entry.postings),
            "unbalanced entry {}",
            entry.id
        );
        {
            self.t_journal_mut(|table| {
                let previous = table
                    .insert(entry.id.0, encode(RecordKind::Entry, entry).as_slice())
                    .map_err(from_redb)?;
                assert!(previous.is_none(), "journal entry {} written twice", entry.id);
                Ok(())
            })?;
        }
        self.t_account_entries_mut(|index| {
            index.insert((entry.account.0, entry.id.0), ()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Claims an external reference for an id. Returns the id that already holds it, if any,
    /// and then writes nothing.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn claim_external_ref(
        &mut self,
        kind: RefKind,
        reference: &str,
        id: u64,
    ) -> Result<Option<u64>, StorageError> {
        self.t_external_refs_mut(|table| {
            if let Some(existing) = table.get((kind as u8, reference)).map_err(from_redb)? {
                return Ok(Some(existing.value()));
            }
            table.insert((kind as u8, reference), id).map_err(from_redb)?;
            Ok(None)
        })
    }

    /// Records what an idempotency key did.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_idempotency(
        &mut self,
        key: &str,
        record: &IdempotencyRecord,
    ) -> Result<(), StorageError> {
        self.t_idempotency_mut(|table| {
            table
                .insert(key, encode(RecordKind::Idempotency, record).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes an account's collection case and keeps the review index in step.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted previous record.
    pub fn put_case(&mut self, case: &CollectionCase) -> Result<(), StorageError> {
        let account = case.account.0;
        if !self.cache.borrow().cases.contains_key(&account) {
            // Decodes and caches it.
            self.case(case.account)?;
        }
        let previous_review = match self.cache.borrow().cases.get(&account) {
            Some(Some(previous)) if previous == case => return Ok(()),
            Some(previous) => previous.as_ref().map(|previous| previous.next_review_on),
            None => unreachable!("cached above"),
        };
        if previous_review != Some(case.next_review_on) {
            self.t_review_due_mut(|index| {
                if let Some(previous_review) = previous_review {
                    index.remove((date_key(previous_review), case.account.0)).map_err(from_redb)?;
                }
                index
                    .insert((date_key(case.next_review_on), case.account.0), ())
                    .map_err(from_redb)?;
                Ok(())
            })?;
        }
        self.t_cases_mut(|table| {
            table
                .insert(case.account.0, encode(RecordKind::Case, case).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })?;
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.cases.insert(account, Some(case.clone()));
        Ok(())
    }

    /// Writes an outbox action and keeps the pending index in step.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_action(&mut self, action: &Action) -> Result<(), StorageError> {
        {
            self.t_outbox_by_debtor_mut(|by_debtor| {
                by_debtor.insert((action.debtor.0, action.id), ()).map_err(from_redb)?;
                Ok(())
            })?;
        }
        {
            self.t_outbox_pending_mut(|index| {
                match action.status {
                    ActionStatus::Pending => {
                        index.insert(action.id, ()).map_err(from_redb)?;
                    }
                    ActionStatus::Acknowledged { .. } => {
                        index.remove(action.id).map_err(from_redb)?;
                    }
                }
                Ok(())
            })?;
        }
        self.t_outbox_mut(|table| {
            table
                .insert(action.id, encode(RecordKind::Action, action).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends a contact attempt to a debtor's history.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_contact(
        &mut self,
        debtor: DebtorId,
        attempt: &ContactAttempt,
    ) -> Result<(), StorageError> {
        self.t_contacts_mut(|table| {
            let next = match table
                .range((debtor.0, 0)..=(debtor.0, u64::MAX))
                .map_err(from_redb)?
                .next_back()
            {
                Some(row) => row.map_err(from_redb)?.0.value().1 + 1,
                None => 1,
            };
            table
                .insert((debtor.0, next), encode(RecordKind::Contact, attempt).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends an audit entry.
    ///
    /// # Panics
    ///
    /// If the sequence is taken: the engine appends in order.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StorageError> {
        self.t_audit_mut(|table| {
            let previous = table
                .insert(entry.record.seq, encode(RecordKind::Audit, entry).as_slice())
                .map_err(from_redb)?;
            assert!(previous.is_none(), "audit record {} written twice", entry.record.seq);
            Ok(())
        })?;
        self.remember_audit_head(&Some(entry.clone()));
        Ok(())
    }

    /// Sets a configuration value.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_config(&mut self, name: &str, value: &[u8]) -> Result<(), StorageError> {
        self.t_config_mut(|table| {
            table.insert(name, value).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Commits everything written in this transaction.
    ///
    /// # Errors
    ///
    /// A storage failure; then nothing of the transaction is visible.
    pub fn commit(mut self) -> Result<(), StorageError> {
        if self.poisoned.get() {
            return Err(StorageError::EnginePanicked {
                table: "(commit)".to_owned(),
                message: "an earlier panic of the engine abandoned this transaction".to_owned(),
            });
        }
        let sequences = self.cache.borrow().sequences;
        for sequence in Sequence::ALL {
            if let Some(last) = sequences[sequence.index()] {
                self.t_meta_mut(|meta| {
                    meta.insert(sequence.meta_key(), last).map_err(from_redb)?;
                    Ok(())
                })?;
            }
        }
        let cell = self.cell.take().unwrap_or_else(|| unreachable!("taken only here and by drop"));
        cell.into_owner().commit().map_err(from_redb)
    }

    /// Test and fault-injection hook: overwrites the raw bytes of a record, bypassing the codec,
    /// so that tests can check that `verify` and decoding detect damage.
    ///
    /// # Errors
    ///
    /// A storage failure, or an unknown table name.
    #[doc(hidden)]
    pub fn raw_overwrite(
        &mut self,
        table: &str,
        key: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        *self.cache.borrow_mut() = TxnCache::default();
        let insert = |handle: &mut redb::Table<'_, u64, &'static [u8]>| {
            handle.insert(key, bytes).map_err(from_redb)?;
            Ok(())
        };
        match table {
            "debtors" => self.t_debtors_mut(insert),
            "accounts" => self.t_accounts_mut(insert),
            "obligations" => self.t_obligations_mut(insert),
            "journal" => self.t_journal_mut(insert),
            "audit" => self.t_audit_mut(insert),
            "cases" => self.t_cases_mut(insert),
            "snapshots" => self.t_snapshots_mut(insert),
            _ => Err(StorageError::Dangling { table: "raw_overwrite", key: table.to_owned() }),
        }
    }

    /// Test hook: removes one row of the account-obligation index, so that tests can check
    /// that `verify` reports an inconsistent index.
    ///
    /// # Errors
    ///
    /// A storage failure.
    #[doc(hidden)]
    pub fn raw_remove_obligation_index(
        &mut self,
        account: AccountId,
        obligation: ObligationId,
    ) -> Result<(), StorageError> {
        self.t_account_obligations_mut(|index| {
            index.remove((account.0, obligation.0)).map_err(from_redb)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
