//! Creating, opening and migrating a store, its options, and what it says about its file.

use std::path::Path;

use crate::error::{contain_open, from_redb, OpenError, StorageError};
use crate::schema::{Meta, TableId, FORMAT_VERSION, FORMAT_VERSION_OLDEST, META_FORMAT_VERSION};

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

/// How processes share a store's file: redb's concurrency modes (docs/DURABILITY.md, "Several
/// processes"). Every process that opens one file at the same time must open it writable in the
/// same mode, or read-only ([`Store::open_read_only`], which shares with either shared mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sharing {
    /// One handle has the file to itself: a second open, writable or read-only, in this process
    /// or another, is [`OpenError::AlreadyOpen`].
    Exclusive,
    /// One writing handle, and any number of read-only handles in other processes that see each
    /// of its commits. A second writable open is [`OpenError::AlreadyOpen`].
    SingleWriter,
    /// Any number of writing handles and read-only handles; one write transaction at a time
    /// across all of them (a writer waits for the others, up to
    /// [`StoreOptions::write_wait_ms_max`]), and each begins from the latest commit, whoever
    /// made it.
    #[default]
    MultiWriter,
}

impl Sharing {
    fn mode(self) -> redb::ConcurrencyMode {
        match self {
            Sharing::Exclusive => redb::ConcurrencyMode::ExclusiveWriter,
            Sharing::SingleWriter => redb::ConcurrencyMode::SingleWriter,
            Sharing::MultiWriter => redb::ConcurrencyMode::MultiWriter,
        }
    }
}

/// Options for opening a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Page cache, in bytes.
    pub cache_size_bytes: usize,
    /// How commits reach the disk.
    pub durability: Durability,
    /// How processes share the file (ignored by [`Store::open_read_only`]).
    pub sharing: Sharing,
    /// How long [`Store::write`] waits for another write transaction to end before it fails
    /// with [`StorageError::WriterBusy`]: at most this long for those of this handle's other
    /// threads (which queue), then at most this long again for those of other handles and
    /// processes (polled).
    pub write_wait_ms_max: u64,
    /// How many settled items (obligations that owe nothing, payments with all their cash
    /// applied) an account's snapshot gathers before they move to a cold part (format 3, see
    /// docs/FORMAT.md); default [`arrears_core::ledger::COLD_PART_ITEMS_MIN`]. Fewer keeps the
    /// snapshot smaller for more cold parts; any value gives the same books.
    pub cold_items_min: usize,
}

/// The default of [`StoreOptions::write_wait_ms_max`]: long enough for a batch of the daily
/// cycle (about a second for 1,000 accounts) many times over.
pub const WRITE_WAIT_MS_MAX_DEFAULT: u64 = 10_000;

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            cache_size_bytes: 64 * 1024 * 1024,
            durability: Durability::Immediate,
            sharing: Sharing::default(),
            write_wait_ms_max: WRITE_WAIT_MS_MAX_DEFAULT,
            cold_items_min: arrears_core::ledger::COLD_PART_ITEMS_MIN,
        }
    }
}

impl StoreOptions {
    /// redb's builder for these options.
    fn builder(&self, path: &Path) -> Result<redb::Builder, OpenError> {
        if self.durability == Durability::Eventual && self.sharing != Sharing::Exclusive {
            return Err(OpenError::EventualNeedsExclusive { path: path.to_owned() });
        }
        let mut builder = redb::Builder::new();
        builder.set_cache_size(self.cache_size_bytes).set_concurrency_mode(self.sharing.mode());
        Ok(builder)
    }
}

/// The redb handle a store holds: writable, or read-only.
pub(crate) enum Db {
    Writable(redb::Database),
    ReadOnly(redb::ReadOnlyDatabase),
}

/// An open Arrears store file.
pub struct Store {
    /// Always `Some` until dropped (see the `Drop` impl).
    db: Option<Db>,
    pub(crate) options: StoreOptions,
    /// Whose turn it is to write, among this handle's threads.
    pub(crate) gate: std::sync::Arc<crate::txn::WriteGate>,
    /// Why this handle refuses to write ([`Store::fence`]), once it does.
    pub(crate) fence: std::sync::OnceLock<String>,
    /// Snapshots encoded and written by this store's transactions and their bytes (tests only:
    /// the test of the write-back counts one per account per transaction, the test of issue 21
    /// the bytes a payment writes).
    #[cfg(any(test, feature = "fault-injection"))]
    pub(crate) snapshots_written: std::sync::Arc<crate::txn::SnapshotWrites>,
    /// The decoded records the last write transaction committed with, handed to the next one
    /// (see [`crate::txn::Carried`]); always empty on a handle that is not the file's only
    /// writer, or on the migration's handle (whose steps rewrite rows of older formats).
    pub(crate) carried: std::sync::Arc<crate::txn::Carried>,
    /// Whether this handle's write transactions hand their cache on ([`crate::txn::Carried`]).
    pub(crate) carries: bool,
    /// Whether the store keeps format 15's account rows (`crate::hot`): true but on the
    /// migration's handle before its step to 15.
    pub(crate) hot_rows: bool,
    /// The write transaction of journaled commits not yet committed to redb, if any
    /// ([`Store::chain`]).
    pub(crate) parked: crate::parked::Parked,
}

/// Closing a redb database writes its allocator state. On a damaged file, redb 4.5 can panic
/// there (an `assert!` in its page bitmap) rather than fail: there is nobody to report an
/// error to in `drop`, and a panic there would take down a process that had handled every
/// error the damage caused before. So the close is contained: a damaged file stays damaged
/// and `verify` reports it; the process goes on. (Found by the random bit-flip test.)
impl Drop for Store {
    fn drop(&mut self) {
        // Before the database: a transaction still parked is dropped (the journal holds it).
        self.drop_parked();
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

/// An error of redb's `create` or `open`, as an [`OpenError`] that names the path.
pub(crate) fn open_error(path: &Path, error: redb::DatabaseError) -> OpenError {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen => {
            OpenError::AlreadyOpen { path: path.to_owned() }
        }
        redb::DatabaseError::RepairAborted => OpenError::NeedsRecovery { path: path.to_owned() },
        other => OpenError::Storage(from_redb(other)),
    }
}

impl Store {
    pub(crate) fn db(&self) -> &Db {
        self.db.as_ref().unwrap_or_else(|| unreachable!("the database is only taken when dropped"))
    }

    /// The writable database, or [`StorageError::ReadOnly`].
    pub(crate) fn writable(&self) -> Result<&redb::Database, StorageError> {
        match self.db() {
            Db::Writable(db) => Ok(db),
            Db::ReadOnly(_) => Err(StorageError::ReadOnly),
        }
    }

    /// How processes share this handle's file.
    pub fn sharing(&self) -> Sharing {
        self.options.sharing
    }

    /// Makes this handle refuse every later write transaction with [`StorageError::Fenced`]
    /// and `reason` (the first reason given stays): for a caller that finds what the file
    /// holds is no longer what it knows (the engine's journal failed to write, or a commit
    /// after its record did), so that nothing more is written on top until the store is
    /// opened again and recovers. Reads go on.
    pub fn fence(&self, reason: String) {
        let _ = self.fence.set(reason);
    }

    /// Why this handle refuses to write ([`Store::fence`]), if it does.
    pub fn fence_reason(&self) -> Option<String> {
        self.fence.get().cloned()
    }

    /// Returns true if and only if this store was opened read-only ([`Store::open_read_only`]).
    pub fn is_read_only(&self) -> bool {
        matches!(self.db(), Db::ReadOnly(_))
    }

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
            let db =
                options.builder(path)?.create(path).map_err(|error| open_error(path, error))?;
            Store::initialize(db, options)
        })
    }

    pub(crate) fn new(db: Db, options: StoreOptions) -> Store {
        Store {
            db: Some(db),
            options,
            gate: std::sync::Arc::default(),
            fence: std::sync::OnceLock::new(),
            #[cfg(any(test, feature = "fault-injection"))]
            snapshots_written: std::sync::Arc::default(),
            carried: std::sync::Arc::default(),
            carries: options.sharing != Sharing::MultiWriter,
            hot_rows: true,
            parked: crate::parked::Parked::default(),
        }
    }

    /// Writes the format version into a new database and creates every table.
    pub(crate) fn initialize(
        db: redb::Database,
        options: StoreOptions,
    ) -> Result<Store, OpenError> {
        let store = Store::new(Db::Writable(db), options);
        let mut txn = store.write()?;
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, FORMAT_VERSION).map_err(from_redb)?;
            Ok(())
        })?;
        txn.create_every_table()?;
        txn.commit()?;
        Ok(store)
    }

    /// Opens an existing store at `path`.
    ///
    /// # Errors
    ///
    /// [`OpenError::NotFound`], [`OpenError::AlreadyOpen`], [`OpenError::NotAStore`],
    /// [`OpenError::FormatTooNew`], [`OpenError::FormatTooOld`], [`OpenError::NeedsMigration`]
    /// (an older format: see [`Store::migrate`]), or a storage failure.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, OpenError> {
        contain_open(|| {
            if std::fs::metadata(path).is_err() {
                return Err(OpenError::NotFound { path: path.to_owned() });
            }
            let db = if options.sharing == Sharing::MultiWriter {
                Store::open_multi_writer(path, options)?
            } else {
                options.builder(path)?.open(path).map_err(|error| open_error(path, error))?
            };
            Store::check_format(Db::Writable(db), options, path)
        })
    }

    /// redb's open in [`Sharing::MultiWriter`] mode takes the writer lock (to load the
    /// allocator state of the latest commit) and waits for it without a bound while another
    /// process is in a write transaction. So the open runs on a thread of its own, and this
    /// waits for it at most [`StoreOptions::write_wait_ms_max`]; past that it is
    /// [`StorageError::WriterBusy`], and the thread, whenever the other writer lets it open
    /// the file, closes it again.
    fn open_multi_writer(path: &Path, options: StoreOptions) -> Result<redb::Database, OpenError> {
        options.builder(path)?;
        let (send, receive) = std::sync::mpsc::sync_channel(1);
        let owned_path = path.to_owned();
        std::thread::Builder::new()
            .name("arrears-open".to_owned())
            .spawn(move || {
                let opened = options.builder(&owned_path).and_then(|builder| {
                    builder.open(&owned_path).map_err(|error| open_error(&owned_path, error))
                });
                // The receiver is gone if the open took too long: the database closes here.
                let _ = send.send(opened);
            })
            .map_err(|error| OpenError::Storage(StorageError::Engine(Box::new(error))))?;
        let wait = std::time::Duration::from_millis(options.write_wait_ms_max);
        match receive.recv_timeout(wait) {
            Ok(opened) => opened,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                Err(StorageError::WriterBusy { waited_ms: options.write_wait_ms_max }.into())
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(StorageError::EnginePanicked {
                    table: "(open)".to_owned(),
                    message: "the storage engine panicked while opening the file".to_owned(),
                }
                .into())
            }
        }
    }

    /// Opens an existing store at `path` read-only: the file is opened for reading only (it may
    /// lack write permission), nothing is ever written to it, and [`Store::write`] fails with
    /// [`StorageError::ReadOnly`]. It shares the file with writers in
    /// [`Sharing::SingleWriter`] or [`Sharing::MultiWriter`] mode (each read transaction sees
    /// the latest commit), and with other read-only handles; `options.sharing` is not used.
    ///
    /// # Errors
    ///
    /// As [`Store::open`], and [`OpenError::NeedsRecovery`] (the last writer crashed and no
    /// writer has opened the file since), [`OpenError::NeedsMigration`] (an older format).
    pub fn open_read_only(path: &Path, options: StoreOptions) -> Result<Store, OpenError> {
        contain_open(|| {
            if std::fs::metadata(path).is_err() {
                return Err(OpenError::NotFound { path: path.to_owned() });
            }
            // The mode of a read-only handle only decides which writers it can share with: in
            // either shared mode, it shares with writers of both (redb takes the same locks).
            let db = redb::Builder::new()
                .set_cache_size(options.cache_size_bytes)
                .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
                .open_read_only(path)
                .map_err(|error| open_error(path, error))?;
            Store::check_format(Db::ReadOnly(db), options, path)
        })
    }

    /// Refuses a database that is not a store or has a format this build does not open (an
    /// older one is migrated by [`Store::migrate`] only).
    pub(crate) fn check_format(
        db: Db,
        options: StoreOptions,
        path: &Path,
    ) -> Result<Store, OpenError> {
        let store = Store::new(db, options);
        let Some(found) = store.stored_format_version()? else {
            return Err(OpenError::NotAStore { path: path.to_owned() });
        };
        if found > FORMAT_VERSION {
            return Err(OpenError::FormatTooNew { found, supported: FORMAT_VERSION });
        }
        if found < FORMAT_VERSION_OLDEST {
            return Err(OpenError::FormatTooOld { found, oldest_supported: FORMAT_VERSION_OLDEST });
        }
        if found < FORMAT_VERSION {
            return Err(OpenError::NeedsMigration {
                path: path.to_owned(),
                found,
                current: FORMAT_VERSION,
            });
        }
        Ok(store)
    }

    /// The format version in the `meta` table; none if there is no `meta` table (a redb file
    /// that is not a store) or no version in it.
    pub(crate) fn stored_format_version(&self) -> Result<Option<u64>, OpenError> {
        let read = self.begin_read()?;
        match read.open_table(Meta::DEFINITION) {
            Ok(meta) => {
                Ok(meta.get(META_FORMAT_VERSION).map_err(from_redb)?.map(|guard| guard.value()))
            }
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(other) => Err(OpenError::Storage(from_redb(other))),
        }
    }

    /// How the file's space is used, from redb's statistics (which only a write transaction
    /// gives: it waits for the writer lock as [`Store::write`] does, and writes nothing).
    ///
    /// # Errors
    ///
    /// [`StorageError::ReadOnly`], [`StorageError::WriterBusy`], or a storage failure.
    pub fn space(&self) -> Result<Space, StorageError> {
        let (txn, _turn) = self.begin_write()?;
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

    /// Checks redb's own page checksums and structure over the whole file. In a shared mode
    /// it holds the writer lock throughout, and waits for it without a bound (redb's
    /// `check_integrity` takes it itself).
    ///
    /// # Errors
    ///
    /// [`StorageError::ReadOnly`], or a storage failure.
    pub fn check_pages(&mut self) -> Result<bool, StorageError> {
        self.settle()?;
        match self.db.as_mut() {
            Some(Db::Writable(db)) => db.check_integrity().map_err(from_redb),
            Some(Db::ReadOnly(_)) => Err(StorageError::ReadOnly),
            None => unreachable!("the database is only taken when dropped"),
        }
    }
}
