//! Creating, opening and migrating a store, its options, and what it says about its file.

use std::path::Path;

use arrears_core::ledger::{replay, Event};
use redb::ReadableDatabase;

use crate::error::{contain_open, from_redb, OpenError, StorageError};
use crate::read::Reads;
use crate::schema::{
    Meta, Snapshots, TableId, DERIVED_FORMAT_1, FORMAT_VERSION, FORMAT_VERSION_OLDEST,
    META_FORMAT_VERSION,
};
use crate::txn::TableAccess;

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
    pub(crate) options: StoreOptions,
    /// Snapshots encoded and written by this store's transactions (tests only: the test of
    /// the write-back counts one per account per transaction).
    #[cfg(any(test, feature = "fault-injection"))]
    pub(crate) snapshots_written: std::sync::Arc<std::sync::atomic::AtomicU64>,
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

/// An error of redb's `create` or `open`, as an [`OpenError`] that names the path.
pub(crate) fn open_error(path: &Path, error: redb::DatabaseError) -> OpenError {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen => {
            OpenError::AlreadyOpen { path: path.to_owned() }
        }
        other => OpenError::Storage(from_redb(other)),
    }
}

impl Store {
    pub(crate) fn db(&self) -> &redb::Database {
        self.db.as_ref().unwrap_or_else(|| unreachable!("the database is only taken when dropped"))
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
            let db = redb::Builder::new()
                .set_cache_size(options.cache_size_bytes)
                .create(path)
                .map_err(|error| open_error(path, error))?;
            Store::initialize(db, options)
        })
    }

    fn new(db: redb::Database, options: StoreOptions) -> Store {
        Store {
            db: Some(db),
            options,
            #[cfg(any(test, feature = "fault-injection"))]
            snapshots_written: std::sync::Arc::default(),
        }
    }

    /// Writes the format version into a new database and creates every table.
    pub(crate) fn initialize(
        db: redb::Database,
        options: StoreOptions,
    ) -> Result<Store, OpenError> {
        let store = Store::new(db, options);
        let mut txn = store.write()?;
        txn.write_table(Meta, |meta| {
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

    /// Refuses a database that is not a store or has a format this build cannot read, and
    /// migrates an older format.
    pub(crate) fn check_format(
        db: redb::Database,
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
        if found < 2 {
            store.migrate_to_2()?;
        }
        Ok(store)
    }

    /// The format version in the `meta` table; none if there is no `meta` table (a redb file
    /// that is not a store) or no version in it.
    fn stored_format_version(&self) -> Result<Option<u64>, OpenError> {
        let read = self.db().begin_read().map_err(from_redb)?;
        match read.open_table(Meta::DEFINITION) {
            Ok(meta) => {
                Ok(meta.get(META_FORMAT_VERSION).map_err(from_redb)?.map(|guard| guard.value()))
            }
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(other) => Err(OpenError::Storage(from_redb(other))),
        }
    }

    /// Version 2 adds the `snapshots` table: every account's state after its last event.
    /// Built here by replaying each account's events, in one write transaction with the new
    /// version number, so an interrupted migration leaves a version 1 store behind.
    fn migrate_to_2(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        txn.read_table(Snapshots, |_| Ok(()))?;
        // The `derived` table of format 1 is gone: the journal holds the same sums.
        txn.cell().borrow_owner().delete_table(DERIVED_FORMAT_1).map_err(from_redb)?;
        for account in txn.all_accounts()? {
            let events: Vec<Event> =
                txn.events(account.id)?.into_iter().map(|record| record.event).collect();
            if !events.is_empty() {
                txn.put_snapshot(account.id, replay(&account, &events, None).state)?;
            }
        }
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, 2).map_err(from_redb)?;
            Ok(())
        })?;
        txn.commit()
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
