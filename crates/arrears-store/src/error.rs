//! Storage errors. redb's own errors are never part of this API: they are only the `source()`.

use std::path::PathBuf;

use crate::codec::DecodeError;

/// A failure of the storage layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The storage engine failed (I/O error, full disk, lock lost). The cause is the source.
    ///
    /// After a failed commit or sync, the store refuses further writes: close it and open it
    /// again, which recovers the last committed state.
    #[error("storage engine failure")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// This handle refuses to write ([`crate::Store::fence`]): something failed after which
    /// what the file holds is not known (the engine's journal could not be written, or a
    /// commit after its record failed). Close the store and open it again: the open recovers
    /// the file and replays the journal.
    #[error("the store refuses to write until it is opened again: {reason}")]
    Fenced {
        /// What failed.
        reason: String,
    },
    /// A stored record could not be decoded: the file is corrupted or was written by a bug.
    #[error("corrupted {table} record at key {key}")]
    Corrupted {
        /// The table.
        table: &'static str,
        /// The key, printed.
        key: String,
        /// What is wrong with the bytes.
        #[source]
        reason: DecodeError,
    },
    /// The storage engine panicked while reading or writing a table. redb 4.5 asserts on some
    /// damaged pages instead of returning an error; the store contains the panic, abandons
    /// the transaction (it refuses to commit) and reports the damage here. Run `verify`.
    #[error("the storage engine failed on a damaged page of the {table} table: {message}")]
    EnginePanicked {
        /// The table being accessed.
        table: String,
        /// The engine's panic message.
        message: String,
    },
    /// The store was opened read-only, and this needs a write transaction: a command, the
    /// cycle, or redb's statistics and page check.
    #[error("the store was opened read-only; open it writable to change it")]
    ReadOnly,
    /// Another write transaction (of this handle, another handle or another process sharing the
    /// file) held the writer lock for longer than the store waits for it
    /// (`write_wait_ms_max`). Nothing was written; try again later.
    #[error("another writer held the store's write lock for {waited_ms} ms; nothing was written")]
    WriterBusy {
        /// How long this writer waited, in milliseconds.
        waited_ms: u64,
    },
    /// An account's cold parts (format 3: settled items moved out of its snapshot) disagree
    /// with its snapshot: a part is missing or extra, or holds an item the snapshot holds.
    #[error("the cold parts of account {account} disagree with its snapshot: {detail}")]
    ColdParts {
        /// The account.
        account: u64,
        /// What disagrees.
        detail: String,
    },
    /// An account's chain of ledger rows (format 4) is broken: a row points back to a row of
    /// another account, or not back at all.
    #[error("the ledger chain of account {account} is broken at log row {seq}: {detail}")]
    LedgerChain {
        /// The account.
        account: u64,
        /// The log sequence of the row found wrong.
        seq: u64,
        /// What is wrong.
        detail: String,
    },
    /// A record the store's own indexes point to is missing.
    #[error("{table} has no record for key {key}, although an index points to it")]
    Dangling {
        /// The table.
        table: &'static str,
        /// The key, printed.
        key: String,
    },
}

#[cold]
pub(crate) fn from_redb(error: impl Into<redb::Error>) -> StorageError {
    StorageError::Engine(Box::new(error.into()))
}

/// Why a store could not be opened or created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// No file at the path.
    #[error("no store at {path:?}; create one with `arrears init` or `Arrears::create`")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A file already exists where a new store was to be created.
    #[error("a file already exists at {path:?}; open it instead, or choose another path")]
    AlreadyExists {
        /// The path.
        path: PathBuf,
    },
    /// Another process or handle has the store open.
    #[error("the store at {path:?} is already open by another process or handle")]
    AlreadyOpen {
        /// The path.
        path: PathBuf,
    },
    /// The last process that wrote the file stopped without closing it, and no writer has
    /// opened it since; a read-only open cannot recover it.
    #[error(
        "the store at {path:?} needs recovery after a crash; open it writable once (any write \
         command does; for a store of an older format, or a migration that was stopped, run \
         `arrears --db FILE migrate`)"
    )]
    NeedsRecovery {
        /// The path.
        path: PathBuf,
    },
    /// The store has an older format: migrate it first ([`crate::Store::migrate`], `arrears
    /// migrate`), which no open does by itself.
    #[error("the store at {path:?} has format version {found} and must be migrated to {current} first: run `arrears --db {path:?} migrate` (or `Arrears::migrate`)")]
    NeedsMigration {
        /// The path.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The version this build writes.
        current: u64,
    },
    /// `Durability::Eventual` keeps commits in this process's memory until a later immediate
    /// commit, which other processes sharing the file cannot see; redb refuses it in the
    /// shared modes.
    /// The engine's journaled durability too: its unsynced commits are the same.
    #[error("eventual and journaled durability need exclusive sharing (opening {path:?}); choose immediate durability or exclusive sharing")]
    EventualNeedsExclusive {
        /// The path.
        path: PathBuf,
    },
    /// The engine's journal beside the store (`arrears::Durability::Journaled`,
    /// docs/DURABILITY.md "The journal") could not be read, written or replayed. The store
    /// holds what its synced commits hold; the journal is left as it is.
    #[error("the journal {path:?} of the store: {reason}")]
    Journal {
        /// The journal's path.
        path: PathBuf,
        /// What failed, and where.
        reason: String,
    },
    /// The store's journal holds commits its file does not (the writer stopped without
    /// closing it); a read-only open cannot replay them.
    #[error("the journal {path:?} holds {records} commit(s) the store does not yet; open the store writable once to replay them")]
    JournalPending {
        /// The journal's path.
        path: PathBuf,
        /// Records to replay.
        records: u64,
    },
    /// The file is a database, but not an Arrears store.
    #[error("{path:?} is not an Arrears store (no format version)")]
    NotAStore {
        /// The path.
        path: PathBuf,
    },
    /// The store was written by a newer Arrears with a format this build cannot read.
    #[error("store format version {found} is newer than this build supports ({supported}); upgrade Arrears")]
    FormatTooNew {
        /// The version in the file.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
    },
    /// The store has an older format that this build cannot migrate.
    #[error("store format version {found} is older than {oldest_supported}, the oldest this build migrates; open it with an older Arrears and export it")]
    FormatTooOld {
        /// The version in the file.
        found: u64,
        /// The oldest version this build migrates.
        oldest_supported: u64,
    },
    /// The file is not a database or is damaged beyond opening.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Runs `f`, turning a panic of the storage engine into [`StorageError::EnginePanicked`].
pub(crate) fn contain<R>(
    table: impl FnOnce() -> String,
    f: impl FnOnce() -> Result<R, StorageError>,
) -> Result<R, StorageError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(panicked(table(), payload.as_ref())))
}

/// [`contain`] for opening a store: a panic of the engine while opening (its repair, the
/// format check, a migration) is [`OpenError::Storage`].
pub(crate) fn contain_open<R>(f: impl FnOnce() -> Result<R, OpenError>) -> Result<R, OpenError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(panicked("(open)".to_owned(), payload.as_ref()).into()))
}

fn panicked(table: String, payload: &(dyn std::any::Any + Send)) -> StorageError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    StorageError::EnginePanicked { table, message }
}

/// Why a store could not be migrated ([`crate::Store::migrate`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The store is at the current format already: there is nothing to migrate.
    #[error("the store at {path:?} is at format version {version} already: nothing to migrate")]
    AlreadyCurrent {
        /// The path.
        path: PathBuf,
        /// The version in the file, the current one.
        version: u64,
    },
    /// The file could not be opened as a store this build can migrate.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The store holds an idempotency record, or (format 13) a row of its index, that no
    /// command's audit record of its key has (a store damaged before the migration: `verify` of
    /// the older build reports it). From format 5 each key's record is on its command's audit
    /// entry, and from format 14 the index finds it by the key's row key from that entry, so this
    /// key could no longer replay; the migration's step to `format` refuses it at its last step
    /// and writes nothing of that step.
    #[error("the idempotency record of key {key:?} is named by no command's audit record, so format {format} could not replay it; the store was damaged before the migration, which wrote nothing of its last step")]
    Unreplayable {
        /// The key.
        key: String,
        /// The format the refused step migrates to (5 or 14).
        format: u64,
    },
    /// A storage failure; nothing of the failed step was written, and running the migration
    /// again resumes it.
    #[error("the migration stopped: {0}; run it again to resume")]
    Storage(#[from] StorageError),
}
