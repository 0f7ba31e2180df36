//! Arrears: an embedded credit-and-collections engine.
//!
//! An application links this crate, opens one file, and gets debtors, credit accounts and an
//! exact double-entry ledger, with aging as of any date. No server.
//!
//! ```
//! use arrears::{Arrears, Command, NewCharge, Outcome};
//! use arrears::money::{Currency, Money};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("books.redb");
//! # let (debtor, account) = arrears::doc_fixture(&path)?;
//! let books = Arrears::open(&path)?;
//! let usd = |text: &str| Money::parse(text, Currency::USD);
//! let on = |text: &str| text.parse::<chrono::NaiveDate>();
//! books.execute("inv-1001", &Command::Charge(NewCharge {
//!     account, external_ref: Some("INV-1001".into()), kind: arrears::model::ObligationKind::Invoice,
//!     issued_on: on("2026-01-01")?, due_on: on("2026-01-31")?,
//!     principal: usd("250.00")?, interest: usd("0")?, fee: usd("0")?,
//! }))?.accepted()?;
//! books.execute("pay-77", &Command::Payment {
//!     account, effective_on: on("2026-02-10")?, amount: usd("100.00")?, directed_to: None,
//! })?.accepted()?;
//! let view = books.account_view(account, on("2026-02-15")?)?;
//! assert_eq!(view.total_outstanding_minor, 150_00);
//! assert_eq!(view.aging.days_past_due, 15);
//! assert!(books.verify()?.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every command carries an idempotency key: executing it again with the same key returns the
//! first outcome and changes nothing; the same key with a different command is an error.
//! Business refusals (credit limit exceeded, waiver above what is owed) are
//! [`Outcome::Rejected`], not errors: a [`Receipt`] must be used, and [`Receipt::accepted`]
//! turns a refusal into an `Err` (the `.accepted()?` above). A [`Batch`] executes many commands
//! in one transaction.
//!
//! Next: docs/ARCHITECTURE.md and docs/LEDGER.md in the repository.
#![deny(missing_docs)]

/// Runs `$body` with `$read` bound to what a short read of `$store` reads
/// ([`arrears_store::Store::view`]): redb's last commit, or the transaction that journaled
/// commits parked in the handle (read inside it, not committed first). `$body` must not use
/// the store otherwise: a parked view holds the chain's lock.
macro_rules! point_read {
    ($store:expr, |$read:ident| $body:expr) => {
        match $store.view()? {
            arrears_store::View::Committed(txn) => {
                let $read = &txn;
                $body
            }
            arrears_store::View::Parked(parked) => {
                let $read = parked.txn();
                $body
            }
        }
    };
}

// The engine's modules, in their one-way order (each imports only modules above it in this
// list; tidy checks it, docs/ARCHITECTURE.md says why): the plugin host and the store's plugin
// registry, the other leaves, the command context, the
// ledger's two steps, the state machine's door, the commands and the outbox, the dispatcher and
// the cycle, then the read side.
pub mod plugin_host;
mod registry;

mod audit;
mod clock;
mod command;
mod error;
mod group;
mod guardrails;
mod journal;
mod messages;
mod suspense;

mod collections;
mod context;
mod cycle;
mod detection;
mod execute;
mod ledger_write;
mod lifecycle;
mod outbox;
pub mod queue;
mod underwriting;
mod upkeep;

mod backup;
pub mod credit_reports;
pub mod feed;
pub mod lists;
mod query;
pub mod reports;
pub mod scratch;
mod verify;

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

pub use arrears_core::{aging, ids, ledger, located_toml, model, money};

pub use arrears_core::{
    case, cash, collection, compliance, credit, dates, detect, holidays, message, plan, policy,
    strategy, work,
};
pub use audit::{AnchorParseError, AuditAnchor};
pub use backup::{Backup, BackupError, ChangesAfter, RestoreError, RestoreTarget, Restored};
pub use clock::{Clock, FixedClock, SystemClock};
pub use command::{
    CallConsent, CaseChanged, Command, ConsentEvidence, DebtorChanges, Flag, NewAccount, NewCharge,
    NewDebtor, NewPlan, Outcome, PaymentChannel, PolicyRefusal, Posted, PromiseLine, Receipt,
    Rejection, RestrictionChanges, ReviewDone, SignalChanged, WorkDone, BANK_RULES_LEN_MAX,
};
pub use cycle::{ComponentFailures, CycleOptions, CycleReport};
pub use error::{
    BatchError, CommandError, CycleError, MigrateError, Migration, OpenError, QueryError,
    StorageError,
};
pub use feed::{Affected, Change, ChangeKind, ChangePage, Snapshot};
pub use guardrails::GuardrailInputs;
pub use messages::{LinkRequest, PaymentLinks};
pub use plugin_host::{PluginCallError, PluginLoadError};
pub use query::{AccountView, AgingRow, ObligationView, PortfolioAging, Recorded};
pub use registry::{
    Isolation, PluginEntry, PluginRegistryError, PluginSource, PLUGIN_CONFIG_BYTES_MAX,
    PLUGIN_NAME_LEN_MAX,
};
pub use underwriting::DecisionExplained;
pub use verify::{Problem, VerifyReport};

use arrears_core::ids::{AccountId, DebtorId, ObligationId};
use arrears_core::ledger::{EventRecord, JournalEntry};
use arrears_core::model::{Account, Debtor, Obligation};
use arrears_store::Reads;
use arrears_store::{RefKind, Store, StoreOptions};

/// The longest idempotency key, in bytes. A key is 1 to `KEY_LEN_MAX` bytes, and like every
/// text of a command it may not hold the character U+0000 (NUL), which PostgreSQL (the relay)
/// and C strings cannot hold: [`CommandError::Invalid`] names the field.
pub const KEY_LEN_MAX: usize = arrears_store::KEY_LEN_MAX;

/// How commits reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Each commit is on disk when it returns (one fsync per commit).
    #[default]
    Immediate,
    /// Commits are not synced until a later immediate commit. For bulk loads and tests only:
    /// a crash loses them.
    Eventual,
    /// Each commit of [`Arrears::execute`] is on disk when it returns, as with `Immediate`,
    /// but through a journal beside the store (its path with `.journal` added): the commit's
    /// commands are appended to the journal and synced (one sequential write, written before
    /// the commands run and synced after them), and the
    /// store's own commit is not synced; every 1,024 such commits, and at every other write
    /// (batches, the cycle, imports), the store is synced. After a crash, the next writable
    /// open replays the journal (docs/DURABILITY.md, "The journal"). Needs
    /// [`Sharing::Exclusive`]. Commands that ask this process's plugins (`SetPolicy`,
    /// `DecideCredit`, `ReviewCredit`) are committed as with `Immediate`. Reads see every
    /// commit that returned: a read of one account or debtor (such as
    /// [`Arrears::account_view`]) reads inside the transaction the commits left open, other
    /// reads commit it first.
    Journaled,
}

impl Durability {
    fn to_store(self) -> arrears_store::Durability {
        match self {
            Durability::Immediate | Durability::Journaled => arrears_store::Durability::Immediate,
            Durability::Eventual => arrears_store::Durability::Eventual,
        }
    }
}

/// How processes share a store's file (docs/DURABILITY.md, "Several processes").
///
/// Every process that opens one file writable at the same time must use the same mode; a
/// read-only open ([`Arrears::open_read_only`]) shares the file with writers of either shared
/// mode and with other readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Sharing {
    /// This handle has the file to itself: any other open, writable or read-only, in this
    /// process or another, is [`OpenError::AlreadyOpen`].
    Exclusive,
    /// This handle is the only writer; other processes may open the file read-only (`arrears
    /// report`, `show`, `verify`, `actions list`) and see each commit.
    SingleWriter,
    /// Any number of handles and processes may write, one write transaction at a time across
    /// all of them (`arrears cycle` from a scheduler while the application posts payments);
    /// each begins from the latest commit, whoever made it. A writer waits for the others up
    /// to [`Options::write_wait_ms_max`]. The default.
    #[default]
    MultiWriter,
}

impl Sharing {
    fn to_store(self) -> arrears_store::Sharing {
        match self {
            Sharing::Exclusive => arrears_store::Sharing::Exclusive,
            Sharing::SingleWriter => arrears_store::Sharing::SingleWriter,
            Sharing::MultiWriter => arrears_store::Sharing::MultiWriter,
        }
    }
}

/// The default of [`Options::write_wait_ms_max`], in milliseconds.
pub const WRITE_WAIT_MS_MAX_DEFAULT: u64 = arrears_store::WRITE_WAIT_MS_MAX_DEFAULT;

/// What redb's page check found ([`Arrears::check_pages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PagesChecked {
    /// Every page's checksum and the structure of every tree are sound.
    Intact,
    /// Damage was found and repaired by redb (the file may have gone back to an earlier commit).
    Repaired,
}

/// How a store's file space is used (see [`Arrears::space`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

impl Options {
    fn store_options(&self) -> StoreOptions {
        StoreOptions {
            cache_size_bytes: self.cache_size_bytes,
            durability: self.durability.to_store(),
            sharing: self.sharing.to_store(),
            write_wait_ms_max: self.write_wait_ms_max,
            cold_items_min: self.cold_items_min,
        }
    }
}

/// The fault-injecting in-memory disk of durability tests (feature `fault-injection`).
#[cfg(feature = "fault-injection")]
pub use arrears_store::fault;

/// Returns true if and only if `name` is an IANA time zone this build knows, such as
/// `America/Chicago` (debtors' candidate time zones must be).
///
/// # Example
///
/// ```
/// assert!(arrears::is_time_zone("America/Bogota"));
/// assert!(!arrears::is_time_zone("Mars/Olympus"));
/// ```
pub fn is_time_zone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

/// The key of `key`'s row in the store's idempotency index (docs/FORMAT.md, format 14): the
/// key's last 8 bytes (big-endian, right-aligned) in the high 64 bits, a 64-bit hash of the
/// whole key (FNV-1a, then MurmurHash3's `fmix64`) in the low 64. For tools that model the
/// store's layout without the engine, such as the benchmarks' redb floor; the engine computes
/// it itself.
///
/// # Example
///
/// ```
/// let first = arrears::idempotency_row_key("p999");
/// let next = arrears::idempotency_row_key("p1000");
/// // Keys that count up keep their order: their rows land at the index's end.
/// assert!(first < next);
/// assert_eq!(first >> 64, u128::from(u32::from_be_bytes(*b"p999")));
/// ```
pub fn idempotency_row_key(key: &str) -> u128 {
    arrears_store::idempotency_row(key)
}

/// Options for opening a store.
pub struct Options {
    /// Page cache, in bytes.
    pub cache_size_bytes: usize,
    /// How commits reach the disk. [`Durability::Eventual`] needs [`Sharing::Exclusive`]
    /// (otherwise opening is [`OpenError::EventualNeedsExclusive`]).
    pub durability: Durability,
    /// How processes share the file (not used by [`Arrears::open_read_only_with`]).
    pub sharing: Sharing,
    /// How long a write (a command, a batch, a cycle's batch) waits for another write
    /// transaction to end before it fails with [`StorageError::WriterBusy`], in milliseconds:
    /// at most this long for those of this handle's other threads (which queue), then at most
    /// this long again for those of other handles and processes. Opening a
    /// [`Sharing::MultiWriter`] handle waits at most this long too.
    pub write_wait_ms_max: u64,
    /// The clock for `recorded_at`.
    pub clock: Box<dyn Clock>,
    /// How the store's registry runs plugins: the runner of isolated libraries, the deadline
    /// of every call, the runner's memory limit and the restart budget.
    pub plugins: plugin_host::IsolationOptions,
    /// How many settled items (obligations that owe nothing, payments all applied) an account's
    /// snapshot gathers before they move out of it to a cold part (docs/FORMAT.md, "The hot
    /// snapshot and its cold parts"); default 16. A tuning of cost, never of results: any value
    /// gives the same books and decisions.
    pub cold_items_min: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            cache_size_bytes: StoreOptions::default().cache_size_bytes,
            durability: Durability::default(),
            sharing: Sharing::default(),
            write_wait_ms_max: WRITE_WAIT_MS_MAX_DEFAULT,
            clock: Box::new(SystemClock),
            plugins: plugin_host::IsolationOptions::default(),
            cold_items_min: arrears_core::ledger::COLD_PART_ITEMS_MIN,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("cache_size_bytes", &self.cache_size_bytes)
            .field("durability", &self.durability)
            .field("sharing", &self.sharing)
            .field("write_wait_ms_max", &self.write_wait_ms_max)
            .field("plugins", &self.plugins)
            .field("cold_items_min", &self.cold_items_min)
            .finish_non_exhaustive()
    }
}

/// An open Arrears store: the engine.
pub struct Arrears {
    store: Store,
    clock: Box<dyn Clock>,
    policies: context::PolicyCache,
    components: context::Components,
    registry: registry::Registry,
    /// The thread holding this engine's open [`Batch`], if any: a second write transaction
    /// begun on that thread would wait for the first forever, so it is refused instead.
    batch_thread: BatchThread,
    /// The commands of concurrent [`Arrears::execute`] calls, run in groups: one write
    /// transaction and one commit per group.
    group: group::Group<(String, Command), Result<Receipt, CommandError>>,
    /// The journal of [`Durability::Journaled`].
    journal: Option<std::sync::Mutex<journal::Journal>>,
}

/// Most commands of concurrent [`Arrears::execute`] calls that share one write transaction.
pub const GROUP_COMMANDS_MAX: usize = 1_024;

/// The thread that holds an engine's open batch (one write transaction at a time).
#[derive(Debug, Default)]
struct BatchThread(std::sync::Mutex<Option<std::thread::ThreadId>>);

impl BatchThread {
    fn get(&self) -> std::sync::MutexGuard<'_, Option<std::thread::ThreadId>> {
        // The lock guards a plain value that no panic can leave half-written.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Returns true if and only if the calling thread holds the open batch.
    fn is_current(&self) -> bool {
        *self.get() == Some(std::thread::current().id())
    }
}

/// The mark of a batch's thread, cleared when the batch ends (before its transaction ends, so
/// that the next writer's mark is never cleared by the previous one).
struct BatchMark<'engine>(&'engine BatchThread);

impl<'engine> BatchMark<'engine> {
    fn new(thread: &'engine BatchThread) -> BatchMark<'engine> {
        *thread.get() = Some(std::thread::current().id());
        BatchMark(thread)
    }
}

impl Drop for BatchMark<'_> {
    fn drop(&mut self) {
        let mut holder = self.0.get();
        if *holder == Some(std::thread::current().id()) {
            *holder = None;
        }
    }
}

impl std::fmt::Debug for Arrears {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arrears").field("store", &self.store).finish_non_exhaustive()
    }
}

impl Arrears {
    /// Creates a new, empty store at `path`.
    ///
    /// # Errors
    ///
    /// [`OpenError::AlreadyExists`] if a file is there, or a storage failure.
    pub fn create(path: impl AsRef<Path>) -> Result<Arrears, OpenError> {
        Arrears::create_with(path, Options::default())
    }

    /// Opens an existing store at `path`, writable, in the default [`Sharing::MultiWriter`]
    /// mode: other processes may read it and write it too.
    ///
    /// # Errors
    ///
    /// [`OpenError::NotFound`], [`OpenError::AlreadyOpen`], [`OpenError::NotAStore`],
    /// [`OpenError::FormatTooNew`], or a storage failure.
    pub fn open(path: impl AsRef<Path>) -> Result<Arrears, OpenError> {
        Arrears::open_with(path, Options::default())
    }

    /// Opens an existing store at `path` read-only: the file is opened for reading only (it
    /// may lack write permission) and is never written. Every query and [`Arrears::verify`]
    /// work, each reading the latest commit of whichever process writes the file; commands,
    /// batches and the cycle fail with [`StorageError::ReadOnly`] (nested in their errors).
    ///
    /// # Errors
    ///
    /// As [`Arrears::open`] ([`OpenError::AlreadyOpen`] if a [`Sharing::Exclusive`] handle
    /// has the file), and [`OpenError::NeedsRecovery`] or [`OpenError::NeedsMigration`] when
    /// only a writable open can bring the file to a state this build reads.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears::{Arrears, CommandError, StorageError};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("books.redb");
    /// # let (_debtor, account) = arrears::doc_fixture(&path)?;
    /// let books = Arrears::open(&path)?;
    /// let reader = Arrears::open_read_only(&path)?;
    /// assert!(reader.verify()?.is_clean());
    /// let on = "2026-02-01".parse()?;
    /// let refused = reader.execute("close-1", &arrears::Command::Close { account, on });
    /// assert!(matches!(refused, Err(CommandError::Storage(StorageError::ReadOnly))));
    /// # drop(books);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Arrears, OpenError> {
        Arrears::open_read_only_with(path, Options::default())
    }

    /// [`Arrears::open_read_only`] with options (its cache size and clock; `sharing`,
    /// `durability` and `write_wait_ms_max` do not apply to a read-only handle).
    ///
    /// # Errors
    ///
    /// As [`Arrears::open_read_only`].
    pub fn open_read_only_with(
        path: impl AsRef<Path>,
        options: Options,
    ) -> Result<Arrears, OpenError> {
        let path = path.as_ref();
        let store = Store::open_read_only(path, options.store_options())?;
        let engine =
            Arrears::assemble(store, options.clock, registry::Registry::new(options.plugins));
        journal::refuse_pending(&engine.store, path)?;
        Ok(engine)
    }

    /// Returns true if and only if this handle was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.store.is_read_only()
    }

    /// [`Arrears::create`] with options.
    ///
    /// # Errors
    ///
    /// As [`Arrears::create`].
    pub fn create_with(path: impl AsRef<Path>, options: Options) -> Result<Arrears, OpenError> {
        let path = path.as_ref();
        check_journaled_sharing(&options, path)?;
        journal::refuse_orphan(path)?;
        let durability = options.durability;
        let store = Store::create(path, options.store_options())?;
        Arrears::assemble(store, options.clock, registry::Registry::new(options.plugins))
            .with_journal_at(path, durability)
    }

    /// [`Arrears::open`] with options.
    ///
    /// # Errors
    ///
    /// As [`Arrears::open`].
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Arrears, OpenError> {
        let path = path.as_ref();
        check_journaled_sharing(&options, path)?;
        let durability = options.durability;
        let store = Store::open(path, options.store_options())?;
        Arrears::assemble(store, options.clock, registry::Registry::new(options.plugins))
            .with_journal_at(path, durability)
    }

    /// Migrates the store at `path` to the current on-disk format (docs/FORMAT.md), which no
    /// open does by itself: an older store is refused with [`OpenError::NeedsMigration`]. The
    /// file is held exclusively meanwhile. A migration stopped part way (killed, a full disk)
    /// leaves a store of the older format that a second call resumes; a store already at the
    /// current format is refused ([`MigrateError::AlreadyCurrent`]).
    ///
    /// # Errors
    ///
    /// [`MigrateError`].
    ///
    /// # Example
    ///
    /// ```
    /// use arrears::{Arrears, MigrateError};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("books.redb");
    /// drop(Arrears::create(&path)?);
    /// let refused = Arrears::migrate(&path, Options::default());
    /// let current = arrears_store::FORMAT_VERSION;
    /// assert!(matches!(refused, Err(MigrateError::AlreadyCurrent { version, .. }) if version == current));
    /// # use arrears::Options;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn migrate(path: impl AsRef<Path>, options: Options) -> Result<Migration, MigrateError> {
        Store::migrate(path.as_ref(), options.store_options())
    }

    /// Wraps a store opened by the caller (feature `fault-injection`: tests on a fault-injecting
    /// disk, tools). Not part of the stable API.
    #[cfg(feature = "fault-injection")]
    pub fn from_store(store: Store, clock: Box<dyn Clock>) -> Arrears {
        Arrears::assemble(store, clock, registry::Registry::default())
    }

    /// An engine on `store`, with no journal.
    fn assemble(store: Store, clock: Box<dyn Clock>, registry: registry::Registry) -> Arrears {
        Arrears {
            store,
            clock,
            policies: context::PolicyCache::default(),
            components: context::Components::default(),
            registry,
            batch_thread: BatchThread::default(),
            group: group::Group::default(),
            journal: None,
        }
    }

    /// After a writable open of the store at `path`: the journal beside it replayed, if there
    /// is one, and kept for [`Durability::Journaled`] (docs/DURABILITY.md, "The journal").
    fn with_journal_at(
        mut self,
        path: &Path,
        durability: Durability,
    ) -> Result<Arrears, OpenError> {
        let keep = durability == Durability::Journaled;
        self.journal = journal::open_beside(&self, path, keep)?.map(std::sync::Mutex::new);
        Ok(self)
    }

    /// [`Arrears::open_with_backend`] with [`Durability::Journaled`], its journal on a second
    /// fault-injecting disk (feature `fault-injection`, for durability tests): what the
    /// journal disk holds after the store's last journaled commit is replayed first.
    ///
    /// # Errors
    ///
    /// As [`Arrears::open`].
    #[cfg(feature = "fault-injection")]
    pub fn open_journaled_with_backend(
        disk: &fault::FaultyDisk,
        journal_disk: &fault::FaultyDisk,
        options: Options,
    ) -> Result<Arrears, OpenError> {
        let options =
            Options { durability: Durability::Journaled, sharing: Sharing::Exclusive, ..options };
        let store = Store::open_with_backend(disk, options.store_options())?;
        let mut engine = Arrears::from_store(store, options.clock);
        let path = std::path::PathBuf::from("(journal disk)");
        let journal = journal::recover(&engine, Box::new(journal_disk.clone()), path, true)?;
        engine.journal = journal.map(std::sync::Mutex::new);
        Ok(engine)
    }

    /// [`Arrears::create_with`] on a fault-injecting in-memory disk (feature
    /// `fault-injection`, for durability tests).
    ///
    /// # Errors
    ///
    /// As [`Arrears::create`].
    #[cfg(feature = "fault-injection")]
    pub fn create_with_backend(
        disk: &fault::FaultyDisk,
        options: Options,
    ) -> Result<Arrears, OpenError> {
        let store_options = options.store_options();
        Ok(Arrears::from_store(Store::create_with_backend(disk, store_options)?, options.clock))
    }

    /// [`Arrears::open_with`] on a fault-injecting in-memory disk (feature `fault-injection`).
    ///
    /// # Errors
    ///
    /// As [`Arrears::open`].
    #[cfg(feature = "fault-injection")]
    pub fn open_with_backend(
        disk: &fault::FaultyDisk,
        options: Options,
    ) -> Result<Arrears, OpenError> {
        let store_options = options.store_options();
        Ok(Arrears::from_store(Store::open_with_backend(disk, store_options)?, options.clock))
    }

    /// Executes one command under an idempotency key, durably: when it returns, the command
    /// is committed (or was refused, or failed, writing nothing) and every later read sees it.
    ///
    /// Group commit: commands executed at the same time from several threads share one write
    /// transaction and one commit (an fsync), in the order they arrived, up to
    /// [`GROUP_COMMANDS_MAX`] at a time; each caller gets its own receipt. A command that fails
    /// takes nothing of the others with it: one that wrote nothing leaves their transaction as
    /// it was, and after one that did they run again without it. A lone caller runs at
    /// once, in a transaction of its own.
    ///
    /// # Errors
    ///
    /// [`CommandError`]; then nothing was written. [`CommandError::ThreadHoldsBatch`] if
    /// this thread holds an open [`Batch`] of this engine (execute in the batch instead).
    pub fn execute(&self, key: &str, command: &Command) -> Result<Receipt, CommandError> {
        if self.batch_thread.is_current() {
            return Err(CommandError::ThreadHoldsBatch);
        }
        self.group.submit(
            (key.to_owned(), command.clone()),
            GROUP_COMMANDS_MAX,
            |commands| self.execute_group(&commands),
            || {
                Err(CommandError::Storage(StorageError::EnginePanicked {
                    table: "(group commit)".to_owned(),
                    message: "the engine panicked executing another command of the group; \
                          nothing of this command was written"
                        .to_owned(),
                }))
            },
        )
    }

    /// Executes `commands` (each under its idempotency key), in order, as one commit: what
    /// [`Arrears::execute`] does for a group of concurrent callers, from one caller. Each
    /// command gets its own result, as if executed alone after the ones before it: a refusal
    /// or a replay writes nothing, and a command that fails takes nothing of the others with
    /// it. When it returns, every command that was made is
    /// committed, durably (one fsync, or one record of the journal under
    /// [`Durability::Journaled`]), and every later read sees it.
    ///
    /// Unlike a [`Batch`], which commits all its commands or none and lets its caller read
    /// between them, this answers each command and holds nothing between calls: under
    /// [`Durability::Journaled`] that is what lets consecutive calls go on in one write
    /// transaction (docs/DURABILITY.md, "The journal"), where a batch's is synced.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears::money::{Currency, Money};
    /// use arrears::{Arrears, Command};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("books.redb");
    /// # let (_debtor, account) = arrears::doc_fixture(&path)?;
    /// let books = Arrears::open(&path)?;
    /// let pay = |cents| Command::Payment {
    ///     account,
    ///     effective_on: "2026-02-10".parse().unwrap(),
    ///     amount: Money::from_minor(cents, Currency::USD),
    ///     directed_to: None,
    /// };
    /// let commands = vec![("pay-1".to_owned(), pay(10_00)), ("pay-2".to_owned(), pay(5_00))];
    /// let receipts = books.execute_all(&commands);
    /// assert_eq!(receipts.len(), 2);
    /// for receipt in receipts {
    ///     receipt?.accepted()?;
    /// }
    /// assert_eq!(books.ledger(account)?.len(), 2); // one journal entry a payment
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Per command, as [`Arrears::execute`]'s.
    pub fn execute_all(
        &self,
        commands: &[(String, Command)],
    ) -> Vec<Result<Receipt, CommandError>> {
        if self.batch_thread.is_current() {
            return commands.iter().map(|_| Err(CommandError::ThreadHoldsBatch)).collect();
        }
        if commands.is_empty() {
            return Vec::new();
        }
        self.execute_group(commands)
    }

    /// Runs the commands of concurrent `execute` calls in one write transaction, in order,
    /// and commits once if any wrote. A command that fails (an error, not a refusal) without
    /// writing (an idempotency conflict, a bad argument) gets its error and the others go on
    /// in the same transaction, which it left as it was; one that fails after writing aborts
    /// the transaction: it gets its error and the others run again without it, in a new
    /// transaction (commands are deterministic given the clock and their order; a refusal
    /// writes nothing, so it needs no re-run).
    fn execute_group(&self, commands: &[(String, Command)]) -> Vec<Result<Receipt, CommandError>> {
        let mut results: Vec<Option<Result<Receipt, CommandError>>> =
            commands.iter().map(|_| None).collect();
        // Journaled unless a command asks this process's plugins (a replay could not).
        let journal = self
            .journal
            .as_ref()
            .filter(|_| !commands.iter().any(|(_, command)| journal::unjournaled(command)));
        if let Some(journal) = journal {
            return self.execute_journaled(journal, commands, results);
        }
        loop {
            let mut batch = match self.batch() {
                Ok(batch) => batch,
                Err(error) => return fill(results, &batch_storage_error(error)),
            };
            let (receipts, failed) = batch.run_group(commands, &mut results);
            if let Some((index, error)) = failed {
                drop(batch);
                results[index] = Some(Err(error));
                continue;
            }
            if receipts.iter().any(|(_, receipt)| wrote(receipt)) {
                let Batch { mark, txn, .. } = batch;
                drop(mark);
                if let Err(error) = txn.commit() {
                    return fill(results, &error);
                }
            }
            return answered(results, receipts);
        }
    }

    /// [`Arrears::execute_group`] through the journal, in the handle's chain of journaled
    /// commits ([`Store::chain`]): the group runs in the transaction the last journaled commit
    /// parked (or a new one), its record is written and synced, and the transaction is parked
    /// again, uncommitted, for the next (docs/DURABILITY.md, "The journal"). A command that
    /// fails without writing gets its error and the others go on in the same transaction; one
    /// that fails after writing spoils the transaction: the others run again without it in a
    /// new one, unless the transaction held commits already answered, which only a reopen
    /// (replaying the journal) brings back: the handle is then fenced.
    fn execute_journaled(
        &self,
        journal: &std::sync::Mutex<journal::Journal>,
        commands: &[(String, Command)],
        mut results: Vec<Option<Result<Receipt, CommandError>>>,
    ) -> Vec<Result<Receipt, CommandError>> {
        if self.batch_thread.is_current() {
            let error = StorageError::Engine("the write transaction could not begin".into());
            return fill(results, &error);
        }
        let mut chain = match self.store.chain() {
            Ok(chain) => chain,
            Err(error) => return fill(results, &error),
        };
        loop {
            let txn = match chain.begin() {
                Ok(txn) => txn,
                Err(error) => return fill(results, &error),
            };
            let now = self.clock.now();
            let first_seq = match journal::next_audit_seq(&txn) {
                Ok(first_seq) => first_seq,
                Err(error) => return fill(results, &error),
            };
            // The group's tentative record (journal.rs says why that is safe): every command
            // without a result yet, written and its write-back started before they run.
            let pending: Vec<(&str, &Command)> = (commands.iter().zip(&results))
                .filter(|(_, result)| result.is_none())
                .map(|((key, command), _)| (key.as_str(), command))
                .collect();
            let tentative = if pending.is_empty() {
                None
            } else {
                match journal::begin_tentative(&self.store, journal, now, first_seq, &pending) {
                    Ok(tentative) => tentative,
                    Err(error) => return fill(results, &error),
                }
            };
            let mut batch = self.batch_in(txn, now);
            let (receipts, spoiled) = batch.run_group(commands, &mut results);
            let Batch { mark, txn, .. } = batch;
            drop(mark);
            let all_wrote = spoiled.is_none()
                && receipts.len() == pending.len()
                && receipts.iter().all(|(_, receipt)| wrote(receipt));
            if let Some(len) = tentative {
                if all_wrote {
                    // The tentative record is the commit's: sealed, then synced.
                    let committed =
                        journal::commit_tentative(&self.store, journal, &mut chain, txn, len);
                    drop(chain);
                    return match committed {
                        Ok(()) => answered(results, receipts),
                        Err(error) => fill(results, &error),
                    };
                }
            }
            if let Some((index, error)) = spoiled {
                results[index] = Some(Err(error));
                drop(txn);
                if chain.acknowledged() {
                    // Dropping the chain fences the handle: it lost commits it answered.
                    drop(chain);
                    let reason = self.store.fence_reason().unwrap_or_default();
                    return fill(results, &StorageError::Fenced { reason });
                }
                chain.dropped();
                continue;
            }
            // The commands that wrote, in the order they ran.
            let ran: Vec<(&str, &Command)> = receipts
                .iter()
                .filter(|(_, receipt)| wrote(receipt))
                .map(|(index, _)| (commands[*index].0.as_str(), &commands[*index].1))
                .collect();
            let committed = if ran.is_empty() {
                // Nothing wrote: the tentative record, if any, stays where the next goes.
                chain.put_back(txn);
                Ok(())
            } else {
                // Some did not: their exact record over the tentative one (or the group's
                // only record, if it had no room for a tentative one).
                journal::commit(&self.store, journal, &mut chain, txn, (now, first_seq), &ran)
            };
            drop(chain);
            if let Err(error) = committed {
                return fill(results, &error);
            }
            return answered(results, receipts);
        }
    }

    /// The engine clock's now, the end of a lease of `lease_seconds` from it, and the write
    /// transaction a claim runs in.
    fn begin_claim(
        &self,
        lease_seconds: u32,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>, Batch<'_>), CommandError> {
        if lease_seconds == 0 {
            // A lease that ends as it begins would hand the same work to the next caller at once.
            return Err(CommandError::Invalid {
                field: "lease_seconds",
                reason: "must be at least 1 second".to_owned(),
            });
        }
        let now = self.clock.now();
        let until = now
            .checked_add_signed(chrono::Duration::seconds(i64::from(lease_seconds)))
            .ok_or_else(|| CommandError::Invalid {
                field: "lease_seconds",
                reason: format!("{now} plus {lease_seconds} s is past the supported instants"),
            })?;
        let batch = self.batch().map_err(|error| match error {
            BatchError::Storage(error) => CommandError::Storage(error),
            _ => CommandError::ThreadHoldsBatch,
        })?;
        Ok((now, until, batch))
    }

    /// Claims up to `limit` pending outbox actions due by `due_by` (every pending one with
    /// `None`), in due order, for the sender `claimant`, with a lease of `lease_seconds` from
    /// the engine clock's now: until the lease ends no other sender can claim them, so two
    /// senders never send the same action; when it ends without the action reported sent
    /// ([`Command::MarkSent`]) or acknowledged, the action can be claimed again (the sender
    /// crashed). A sender claiming an action it already holds renews its lease. Claims are
    /// leases, not facts of the books: they are not audited and carry no idempotency key.
    /// The recipe for sending each action exactly once is in docs/COLLECTIONS.md.
    ///
    /// # Errors
    ///
    /// [`CommandError::Invalid`] for an empty claimant or a lease of 0 seconds or that does
    /// not fit the calendar, [`CommandError::ThreadHoldsBatch`], or a storage failure.
    pub fn claim_actions(
        &self,
        claimant: &str,
        lease_seconds: u32,
        due_by: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<case::Action>, CommandError> {
        let (now, until, batch) = self.begin_claim(lease_seconds)?;
        let Batch { mark, mut txn, .. } = batch;
        let claimed = outbox::claim(&mut txn, claimant, now, until, due_by, limit)?;
        drop(mark);
        if !claimed.is_empty() {
            txn.commit()?;
        }
        Ok(claimed)
    }

    /// Claims for the agent `agent` the best work item as of `as_of` (issue 14 point 6): among
    /// the accounts the policy's `[[assignment]]` rules give to the agent's teams and that
    /// the teams' and the agent's skills allow, the one of highest priority whose next-action
    /// date has come and that no other agent holds under a lease that has not ended, with a
    /// lease of `lease_seconds` from the engine clock's now. An item the agent already holds
    /// comes first (its lease renewed). Like [`Arrears::claim_actions`], a claim is a lease,
    /// not a fact of the books: not audited, no idempotency key. The agent then records the
    /// outcome with [`Command::RecordWork`]. `None` when the queue is empty.
    ///
    /// # Errors
    ///
    /// [`CommandError::Invalid`] for an unknown or deactivated agent, a lease of 0 seconds or that does not
    /// fit the calendar or an `as_of` outside years 1 to 9999,
    /// [`CommandError::ThreadHoldsBatch`], or a storage failure.
    pub fn claim_work(
        &self,
        agent: &str,
        lease_seconds: u32,
        as_of: NaiveDate,
    ) -> Result<Option<queue::QueueEntry>, CommandError> {
        if !arrears_core::dates::is_supported(as_of) {
            let reason = execute::unsupported_date(as_of);
            return Err(CommandError::Invalid { field: "as_of", reason });
        }
        let (now, until, batch) = self.begin_claim(lease_seconds)?;
        let Batch { mark, mut txn, .. } = batch;
        let policy = self.policies.get(&txn)?;
        let claimed = queue::claim(&mut txn, &policy, agent, (now, until), as_of)?;
        drop(mark);
        if claimed.is_some() {
            txn.commit()?;
        }
        Ok(claimed)
    }

    /// The work items of `teams` (every team when empty) as of `as_of`, best first, with
    /// their leases (see [`Arrears::claim_work`]).
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure, or a stored policy that no longer loads.
    pub fn work_queue(
        &self,
        teams: &[String],
        as_of: NaiveDate,
    ) -> Result<Vec<queue::QueueEntry>, QueryError> {
        error::query_date("as_of", as_of)?;
        let read = self.store.read()?;
        let policy = self
            .policies
            .for_text(read.config(context::POLICY_CONFIG)?)
            .map_err(QueryError::Policy)?;
        let scope = queue::QueueScope { teams, agent: None };
        Ok(queue::queue(&read, &policy, &scope, as_of)?)
    }

    /// Every bank line received ([`Command::ReceiveCash`]), by bank reference, with the parts
    /// applied from it; the review list is those with something still held
    /// ([`cash::HeldLine::held_minor`]).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn bank_lines(&self) -> Result<Vec<cash::HeldLine>, QueryError> {
        Ok(self.store.read()?.bank_lines()?)
    }

    /// Every payer account registered on a debtor ([`Command::RegisterPayerAccount`]), by
    /// normalized number then debtor; those of one number only with `number` (read and
    /// normalized as [`cash::PayerAccount::parse`] does; a number whose check digits fail has
    /// none).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn payer_accounts(
        &self,
        number: Option<&str>,
    ) -> Result<Vec<cash::RegisteredPayer>, QueryError> {
        let read = self.store.read()?;
        match number {
            None => Ok(read.payer_accounts()?),
            Some(number) => match cash::PayerAccount::parse(number) {
                Ok(account) => Ok(read.payer_account(account.id())?),
                Err(_) => Ok(Vec::new()),
            },
        }
    }

    /// The bank matching rules stored by [`Command::SetBankRules`] (TOML text), if any.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn bank_rules(&self) -> Result<Option<String>, QueryError> {
        let stored = self.store.read()?.config(suspense::BANK_RULES_CONFIG)?;
        // Written from a `String`; damaged bytes show as U+FFFD and fail the rules' parser.
        Ok(stored.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// How every imported credit line was matched ([`Command::RecordBankMatch`]), by bank
    /// reference.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn bank_matches(&self) -> Result<Vec<cash::LineMatch>, QueryError> {
        Ok(self.store.read()?.bank_matches()?)
    }

    /// Whether an order of `order` fits `debtor`'s credit on `as_of`: what its accounts in the
    /// order's currency owe then (due or not: the exposure report's figure), the limit in force
    /// of its credit standing, and the verdict. The engine does not refuse an invoice past the
    /// limit (docs/CREDIT.md); an order system asks this before it invoices. The limit is the
    /// standing's as it is now (a standing keeps no history of limits), whatever `as_of` says.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownDebtor`]; [`QueryError::Invalid`] for an order below zero or finer
    /// than its currency's minor unit; [`QueryError::DateOutOfRange`]; a storage failure.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears::credit::CreditTerms;
    /// use arrears::credit_reports::CreditVerdict;
    /// use arrears::model::{ObligationKind, ProductKind};
    /// use arrears::money::{Currency, Money};
    /// use arrears::{Arrears, Command, NewCharge};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("books.redb");
    /// # let (debtor, account) = arrears::doc_fixture(&path)?;
    /// let books = Arrears::open(&path)?;
    /// let usd = |text: &str| Money::parse(text, Currency::USD);
    /// let on = "2026-03-01".parse()?;
    /// let terms = CreditTerms {
    ///     net_days: 30,
    ///     deposit_share: 0.into(),
    ///     cash_on_delivery: false,
    ///     interest_rate: 0.into(),
    /// };
    /// let limit = Command::SetCreditTerms {
    ///     debtor,
    ///     product: ProductKind::TradeCredit,
    ///     limit: usd("5000.00")?,
    ///     terms,
    ///     refuse_to_trade: false,
    ///     effective_on: on,
    /// };
    /// books.execute("terms-1", &limit)?;
    /// let invoice = Command::Charge(NewCharge {
    ///     account,
    ///     external_ref: Some("INV-1".into()),
    ///     kind: ObligationKind::Invoice,
    ///     issued_on: on,
    ///     due_on: "2026-03-31".parse()?,
    ///     principal: usd("1200.00")?,
    ///     interest: usd("0")?,
    ///     fee: usd("0")?,
    /// });
    /// books.execute("inv-1", &invoice)?;
    /// let check = books.credit_check(debtor, usd("4000.00")?, on)?;
    /// assert_eq!((check.exposure_minor, check.available_minor), (120_000, Some(380_000)));
    /// assert_eq!(check.verdict, CreditVerdict::OverLimit { by_minor: 20_000 });
    /// let smaller = books.credit_check(debtor, usd("3800.00")?, on)?;
    /// assert_eq!(smaller.verdict, CreditVerdict::Fits);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credit_check(
        &self,
        debtor: ids::DebtorId,
        order: money::Money,
        as_of: NaiveDate,
    ) -> Result<credit_reports::CreditCheck, QueryError> {
        error::query_date("as_of", as_of)?;
        let order_minor = order
            .to_minor()
            .map_err(|error| QueryError::Invalid { field: "order", reason: error.to_string() })?;
        if order_minor < 0 {
            let reason = format!("{} is below zero", order.amount());
            return Err(QueryError::Invalid { field: "order", reason });
        }
        credit_reports::credit_check(
            &self.store.read()?,
            debtor,
            order_minor,
            order.currency(),
            as_of,
        )
    }

    /// Exposure by risk band and currency on `as_of`, with limit utilisation
    /// ([`credit_reports`] defines each figure).
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn report_exposure(
        &self,
        as_of: NaiveDate,
    ) -> Result<Vec<credit_reports::ExposureRow>, QueryError> {
        error::query_date("as_of", as_of)?;
        credit_reports::exposure(&self.store.read()?, as_of)
    }

    /// The stability of the review score distribution between `from` and `to` (the PSI).
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn report_psi(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<credit_reports::Psi, QueryError> {
        error::query_date("from", from)?;
        error::query_date("to", to)?;
        credit_reports::psi(&self.store.read()?, from, to)
    }

    /// The accounts whose signals in force differ between `since` and `as_of`.
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn report_signal_changes(
        &self,
        since: NaiveDate,
        as_of: NaiveDate,
    ) -> Result<Vec<credit_reports::SignalChange>, QueryError> {
        error::query_date("since", since)?;
        error::query_date("as_of", as_of)?;
        credit_reports::signal_changes(&self.store.read()?, since, as_of)
    }

    /// The credit decision `id`, with everything it read (docs/CREDIT.md).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn credit_decision(&self, id: u64) -> Result<Option<credit::CreditDecision>, QueryError> {
        point_read!(self.store, |read| Ok(read.credit_decision(id)?))
    }

    /// The credit decision `id` taken again now from its stored inputs, to show whether it
    /// reproduces: the rules of the policy in force, and the scorer it used as it resolves now.
    ///
    /// # Errors
    ///
    /// The stored policy does not load, or a storage failure.
    pub fn explain_decision(&self, id: u64) -> Result<Option<DecisionExplained>, QueryError> {
        let read = self.store.read()?;
        let Some(decision) = read.credit_decision(id)? else { return Ok(None) };
        let policy = self
            .policies
            .for_text(read.config(context::POLICY_CONFIG)?)
            .map_err(QueryError::Policy)?;
        let redecided =
            underwriting::redecide(&policy.credit().rules, &decision, decision.score.as_ref())
                .map_err(|_| {
                    QueryError::Storage(StorageError::Engine("stored limit is not exact".into()))
                })?;
        let scoring =
            underwriting::Scoring { components: &self.components, registry: &self.registry };
        let rescored_points = match &decision.score {
            Some(score) => {
                underwriting::rescore(&scoring, &policy, &read, &score.scorer, &decision.features)
                    .unwrap_or(None)
            }
            None => None,
        };
        let policy_now = (policy.name().to_owned(), policy.version());
        Ok(Some(DecisionExplained { decision, policy_now, redecided, rescored_points }))
    }

    /// A debtor's credit standing (limit, terms, refuse to trade, last review), if it has one.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn credit_standing(
        &self,
        debtor: ids::DebtorId,
    ) -> Result<Option<credit::CreditStanding>, QueryError> {
        point_read!(self.store, |read| Ok(read.credit_standing(debtor)?))
    }

    /// Every credit standing, by debtor.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn credit_standings(&self) -> Result<Vec<credit::CreditStanding>, QueryError> {
        Ok(self.store.read()?.credit_standings()?)
    }

    /// The credit reviews of a debtor (`None`: of every debtor), oldest first per debtor, each
    /// with its score and reasons.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn credit_reviews(
        &self,
        debtor: Option<ids::DebtorId>,
    ) -> Result<Vec<credit::CreditReview>, QueryError> {
        Ok(self.store.read()?.credit_reviews(debtor)?)
    }

    /// The suspense book at portfolio level: by currency, what bank lines still hold, in minor
    /// units (a credit balance, shown positive). Currencies with nothing held are left out.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn suspense(&self) -> Result<std::collections::BTreeMap<money::Currency, i64>, QueryError> {
        let mut held = std::collections::BTreeMap::new();
        for line in self.bank_lines()? {
            if line.held_minor() != 0 {
                *held.entry(line.currency).or_insert(0) += line.held_minor();
            }
        }
        Ok(held)
    }

    /// Every team and every agent, by name and id.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn teams_and_agents(&self) -> Result<(Vec<work::Team>, Vec<work::Agent>), QueryError> {
        let read = self.store.read()?;
        Ok((read.teams()?, read.agents()?))
    }

    /// Up to `limit` outbox actions received after the cursor `after`, in the order the outbox
    /// received them (their `seq`, from 1): a consumer keeps the `seq` of the last action it
    /// handled and asks again from there, after a restart too. Each action is given as it
    /// stands now (pending, claimed, sent, acknowledged or cancelled). Actions written before
    /// the outbox numbered them (`seq` 0) are not in the feed.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn actions_after(&self, after: u64, limit: usize) -> Result<Vec<case::Action>, QueryError> {
        Ok(self.store.read()?.actions_after(after, limit)?)
    }

    /// Starts a batch: commands executed in one write transaction, committed together.
    ///
    /// One write transaction runs at a time: on another thread, this waits until the open
    /// batch (or cycle batch) ends; on the thread that holds the open batch, it is an error
    /// rather than a wait that would never end.
    ///
    /// # Errors
    ///
    /// [`BatchError::ThreadHoldsBatch`] if this thread holds an open batch of this engine, or
    /// a storage failure.
    ///
    /// # Example
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("books.redb");
    /// let books = arrears::Arrears::create(&path)?;
    /// let batch = books.batch()?;
    /// assert!(matches!(books.batch(), Err(arrears::BatchError::ThreadHoldsBatch)));
    /// drop(batch);
    /// assert!(books.batch().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn batch(&self) -> Result<Batch<'_>, BatchError> {
        if self.batch_thread.is_current() {
            return Err(BatchError::ThreadHoldsBatch);
        }
        let txn = self.store.write()?;
        Ok(self.batch_in(txn, self.clock.now()))
    }

    /// A batch in `txn`, its commands run at `now`.
    fn batch_in(&self, txn: arrears_store::WriteTxn, now: DateTime<Utc>) -> Batch<'_> {
        Batch {
            mark: BatchMark::new(&self.batch_thread),
            txn,
            now,
            executed: 0,
            failed: None,
            engine: self,
        }
    }

    /// A debtor.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn debtor(&self, id: DebtorId) -> Result<Option<Debtor>, QueryError> {
        point_read!(self.store, |read| Ok(read.debtor(id)?))
    }

    /// An account.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn account(&self, id: AccountId) -> Result<Option<Account>, QueryError> {
        point_read!(self.store, |read| Ok(read.account(id)?))
    }

    /// An obligation.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn obligation(&self, id: ObligationId) -> Result<Option<Obligation>, QueryError> {
        point_read!(self.store, |read| Ok(read.obligation(id)?))
    }

    /// The debtor with an external reference.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn find_debtor(&self, reference: &str) -> Result<Option<DebtorId>, QueryError> {
        point_read!(self.store, |read| Ok(read
            .external_ref(RefKind::Debtor, reference)?
            .map(DebtorId)))
    }

    /// The account with an external reference.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn find_account(&self, reference: &str) -> Result<Option<AccountId>, QueryError> {
        point_read!(self.store, |read| Ok(read
            .external_ref(RefKind::Account, reference)?
            .map(AccountId)))
    }

    /// The obligation with an external reference.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn find_obligation(&self, reference: &str) -> Result<Option<ObligationId>, QueryError> {
        point_read!(self.store, |read| Ok(read
            .external_ref(RefKind::Obligation, reference)?
            .map(ObligationId)))
    }

    /// The accounts of a debtor.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn accounts_of(&self, debtor: DebtorId) -> Result<Vec<AccountId>, QueryError> {
        point_read!(self.store, |read| Ok(read.accounts_of(debtor)?))
    }

    /// The ids of every account, ascending.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn account_ids(&self) -> Result<Vec<AccountId>, QueryError> {
        Ok(self.store.read()?.account_ids()?)
    }

    /// An account as the books stood at the end of `as_of`: balances by component, unapplied
    /// cash, obligations, aging and book balances. Back-dated events recorded later count on
    /// the date they are effective.
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999,
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn account_view(&self, id: AccountId, as_of: NaiveDate) -> Result<AccountView, QueryError> {
        error::query_date("as_of", as_of)?;
        point_read!(self.store, |read| {
            let account = query::load_account(read, id)?;
            query::account_view(read, account, as_of)
        })
    }

    /// An account's journal entries in recording order; each posting carries its allocation
    /// trace (obligation, component, and the payment whose money it moves).
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn ledger(&self, id: AccountId) -> Result<Vec<JournalEntry>, QueryError> {
        point_read!(self.store, |read| {
            query::load_account(read, id)?;
            Ok(read.entries(id)?)
        })
    }

    /// An account's journal entries with an id above `after`, in id order: what
    /// [`Arrears::ledger`] returns past that entry, read without the account's earlier history
    /// (a follower of the feed, such as the relay, copies an account's new entries with it).
    ///
    /// # Example
    ///
    /// ```
    /// use arrears::money::{Currency, Money};
    /// use arrears::{Arrears, Command};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("books.redb");
    /// # let (_debtor, account) = arrears::doc_fixture(&path)?;
    /// let books = Arrears::open(&path)?;
    /// for (key, day) in [("pay-1", "2026-02-10"), ("pay-2", "2026-02-11")] {
    ///     let amount = Money::from_minor(10_00, Currency::USD);
    ///     let payment =
    ///         Command::Payment { account, effective_on: day.parse()?, amount, directed_to: None };
    ///     books.execute(key, &payment)?.accepted()?;
    /// }
    /// let all = books.ledger(account)?;
    /// let first = all[0].id;
    /// let later = books.ledger_after(account, first)?;
    /// assert_eq!(later, all[1..].to_vec());
    /// assert!(books.ledger_after(account, all.last().unwrap().id)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn ledger_after(
        &self,
        id: AccountId,
        after: arrears_core::ids::EntryId,
    ) -> Result<Vec<JournalEntry>, QueryError> {
        point_read!(self.store, |read| {
            query::load_account(read, id)?;
            Ok(read.entries_after(id, after)?)
        })
    }

    /// An account's events in recording order.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn events(&self, id: AccountId) -> Result<Vec<EventRecord>, QueryError> {
        point_read!(self.store, |read| {
            query::load_account(read, id)?;
            Ok(read.events(id)?)
        })
    }

    /// Aging of the whole portfolio at the end of `as_of`, by currency.
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn portfolio_aging(&self, as_of: NaiveDate) -> Result<PortfolioAging, QueryError> {
        error::query_date("as_of", as_of)?;
        query::portfolio_aging(&self.store.read()?, as_of)
    }

    /// Checks every entry's balance, the journal against a fresh replay of every account's
    /// events, receivables against obligations, allocation traces, references and indexes, and
    /// the debtor's jurisdiction each account record keeps against the debtor's.
    /// Reports every problem; repairs nothing. It reads one commit in one read transaction and
    /// never writes, so it runs on a read-only handle and beside writers in other processes.
    ///
    /// # Errors
    ///
    /// A storage failure that prevents reading at all (damaged records are reported as
    /// problems instead).
    pub fn verify(&self) -> Result<VerifyReport, StorageError> {
        verify::verify(&self.store.read()?)
    }

    /// Runs the daily cycle for `as_of`: reviews every account whose next review is due,
    /// applies time-driven transitions and stage actions, and writes the accepted contacts
    /// to the outbox. Committed in batches; run again after an interruption, it resumes and
    /// writes nothing twice.
    ///
    /// # Errors
    ///
    /// [`CycleError`]; batches committed before it stay committed.
    pub fn run_cycle(&self, as_of: NaiveDate) -> Result<CycleReport, CycleError> {
        self.run_cycle_with(as_of, CycleOptions::default())
    }

    /// [`Arrears::run_cycle`] with batching options, or as a dry run
    /// ([`CycleOptions::dry_run`]) that reports what the cycle would do and writes nothing.
    ///
    /// # Errors
    ///
    /// As [`Arrears::run_cycle`].
    pub fn run_cycle_with(
        &self,
        as_of: NaiveDate,
        options: CycleOptions,
    ) -> Result<CycleReport, CycleError> {
        if !arrears_core::dates::is_supported(as_of) {
            return Err(CycleError::DateOutOfRange {
                as_of,
                min: arrears_core::dates::DATE_MIN,
                max: arrears_core::dates::DATE_MAX,
            });
        }
        if self.batch_thread.is_current() {
            return Err(CycleError::ThreadHoldsBatch);
        }
        let components = self.cycle_components()?;
        let parts = cycle::Parts {
            store: &self.store,
            clock: self.clock.as_ref(),
            policies: &self.policies,
            components: &components,
        };
        let dry_run = options.dry_run;
        let mut report = cycle::run(&parts, as_of, options)?;
        let text = self.store.read()?.config(context::POLICY_CONFIG)?;
        let policy = self.policies.for_text(text).map_err(CommandError::Policy)?;
        if report.complete && !dry_run && !policy.credit().rules.is_empty() {
            // The detectors first, so that the day's reviews see what they raised.
            report.signals_detected = self.detect_signals(as_of)?;
            report.credit_reviews = self.review_credit(as_of)?;
        }
        Ok(report)
    }

    /// The detectors of `as_of` under the day's key, as the cycle runs them.
    fn detect_signals(&self, as_of: NaiveDate) -> Result<Vec<SignalChanged>, CycleError> {
        let command = Command::DetectSignals { as_of };
        match self.execute(&format!("detect-signals:{as_of}"), &command)?.outcome {
            Outcome::SignalsDetected { changes } => Ok(changes),
            _ => Ok(Vec::new()),
        }
    }

    /// The credit reviews of `as_of` under the day's key, as the cycle runs them.
    fn review_credit(&self, as_of: NaiveDate) -> Result<Vec<ReviewDone>, CycleError> {
        let command = Command::ReviewCredit { as_of };
        match self.execute(&format!("credit-review:{as_of}"), &command)?.outcome {
            Outcome::CreditReviewed { reviews } => Ok(reviews),
            _ => Ok(Vec::new()),
        }
    }

    /// The components the stored policy's arms name: this process's, then the store's plugin
    /// registry's (loaded on first use, cached per process).
    fn cycle_components(&self) -> Result<context::Components, CycleError> {
        let read = self.store.read()?;
        let policy = self
            .policies
            .for_text(read.config(context::POLICY_CONFIG)?)
            .map_err(CommandError::Policy)?;
        Ok(context::components_for(&self.components, &self.registry, &policy, &read)?)
    }

    /// Registers a scorer under its name, for policy arms that name it, in this process only
    /// (an application injecting its own). In-process registrations take precedence over the
    /// store's plugin registry: a policy arm's name is looked up here first (the engine's own
    /// `rules`, `ladder` and `ladder_evening` are here too), then in the registry.
    pub fn register_scorer(&mut self, scorer: std::sync::Arc<dyn strategy::Scorer>) {
        self.components.scorers.insert(scorer.name().to_owned(), scorer);
    }

    /// Registers a contact strategy under its name, for policy arms that name it, in this
    /// process only; it takes precedence over the store's plugin registry (as for
    /// [`Arrears::register_scorer`]).
    pub fn register_strategy(&mut self, strategy: std::sync::Arc<dyn strategy::ContactStrategy>) {
        self.components.strategies.insert(strategy.name().to_owned(), strategy);
    }

    /// Registers the payment provider's hook that issues a link per outbox action, in this
    /// process only; without one (or when it returns `None`) the policy's `[messages]
    /// payment_link` rule builds the link (docs/MESSAGES.md).
    pub fn register_payment_links(&mut self, links: std::sync::Arc<dyn PaymentLinks>) {
        self.components.payment_links = Some(links);
    }

    /// Registers a plugin instance under `name` as a scorer and/or a contact strategy,
    /// according to its capabilities, so that policy arms naming `name` in `scorer` or
    /// `strategy` use it. In this process only, taking precedence over the store's plugin
    /// registry (as for [`Arrears::register_scorer`]); to name a plugin in every process that
    /// opens the store, add it to the registry with [`Arrears::add_plugin`].
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if the plugin is neither.
    pub fn register_plugin(
        &mut self,
        name: &str,
        instance: std::sync::Arc<plugin_host::PluginInstance>,
    ) -> Result<(), PluginLoadError> {
        let capabilities = instance.plugin().capabilities();
        let scorer = capabilities & arrears_plugin_sdk::abi::CAPABILITY_SCORER != 0;
        let strategy = capabilities & arrears_plugin_sdk::abi::CAPABILITY_CONTACT_STRATEGY != 0;
        if !scorer && !strategy {
            return Err(PluginLoadError::MissingCapability {
                plugin: instance.plugin().name().to_owned(),
                capability: "scorer or contact strategy",
            });
        }
        if scorer {
            self.register_scorer(std::sync::Arc::new(plugin_host::PluginScorer::new(
                name,
                instance.clone(),
            )?));
        }
        if strategy {
            self.register_strategy(std::sync::Arc::new(plugin_host::PluginStrategy::new(
                name, instance,
            )?));
        }
        Ok(())
    }

    /// Provides a plugin linked into the application (see `export_plugin!` in the SDK) as the
    /// built-in `name`, which registry entries may name ([`PluginEntry::builtin`]). Built-ins
    /// are per process: every process that runs the cycle on a store whose registry names one
    /// must provide it (the `arrears` CLI provides `scorecard` and `contact_ladder`).
    ///
    /// # Errors
    ///
    /// [`PluginLoadError`] if the plugin's descriptor is refused.
    ///
    /// # Example
    ///
    /// A built-in added to the registry, named by a policy, and the entry's removal refused
    /// while the policy names it:
    ///
    /// ```
    /// use arrears::{Arrears, Command, PluginEntry, PluginRegistryError};
    /// # let dir = tempfile::tempdir()?;
    /// let mut books = Arrears::create(dir.path().join("books.redb"))?;
    /// books.provide_builtin("scorecard", arrears_scorecard::arrears_plugin_static())?;
    /// let card = "base_points = 600\n[[variable]]\nname = \"days_past_due\"\n\
    ///     bins = [ { bin = \"[-inf,30)\", points = 50 }, { bin = \"[30,inf)\", points = -80 } ]\n";
    /// books.add_plugin(&PluginEntry::builtin("card", "scorecard").with_config(card.into()))?;
    /// assert_eq!(books.plugins()?[0].name, "card");
    ///
    /// let text = "name = \"p\"\nversion = 1\ncreditor = \"first_party\"\n\
    ///     [[stage]]\nname = \"all\"\nmin_dpd = 1\n\
    ///     [[arm]]\nname = \"champion\"\nweight = 1\nscorer = \"card\"\n";
    /// books.execute("policy-1", &Command::SetPolicy { file: "p.toml".into(), text: text.into() })?;
    /// let refused = books.remove_plugin("card");
    /// assert!(matches!(refused, Err(PluginRegistryError::NamedByPolicy { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn provide_builtin(
        &mut self,
        name: &str,
        plugin: plugin_host::StaticPlugin,
    ) -> Result<(), PluginLoadError> {
        self.registry.provide_builtin(name, plugin)
    }

    /// Adds an entry to the store's plugin registry, so that policy arms naming `entry.name`
    /// resolve to it in every process that opens the store. The entry is checked before it is
    /// written: its plugin is loaded (a library's bytes against its pin) and instantiated with
    /// its configuration. Audited (`AuditKind::PluginAdded`).
    ///
    /// # Errors
    ///
    /// [`PluginRegistryError`]: an invalid or reserved name, a name already registered, an
    /// unknown built-in, a relative path, a configuration that is not UTF-8 or too large, a
    /// plugin that does not load (pin mismatch included), or a storage failure. Nothing is
    /// written then.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears::{Arrears, PluginEntry, PluginRegistryError};
    /// # let dir = tempfile::tempdir()?;
    /// let books = Arrears::create(dir.path().join("books.redb"))?;
    /// // No built-in was provided in this process: the entry is refused, nothing is written.
    /// let refused = books.add_plugin(&PluginEntry::builtin("scorecard", "scorecard"));
    /// assert!(matches!(refused, Err(PluginRegistryError::UnknownBuiltin { .. })));
    /// assert!(books.plugins()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_plugin(&self, entry: &PluginEntry) -> Result<(), PluginRegistryError> {
        let row = entry.to_row()?;
        let engine_components = context::Components::default();
        if engine_components.scorers.contains_key(&row.name) {
            return Err(PluginRegistryError::Reserved { name: row.name, kind: "scorer" });
        }
        if engine_components.strategies.contains_key(&row.name) {
            return Err(PluginRegistryError::Reserved { name: row.name, kind: "strategy" });
        }
        let mut txn = self.store.write()?;
        if txn.plugin_entry(&row.name)?.is_some() {
            return Err(PluginRegistryError::AlreadyRegistered { name: row.name });
        }
        self.registry.resolve(&row)?;
        txn.put_plugin_entry(&row)?;
        let kind = case::AuditKind::PluginAdded {
            name: row.name.clone(),
            entry: registry::row_digest(&row),
        };
        audit::append(&mut txn, self.clock.now(), None, kind)?;
        Ok(txn.commit()?)
    }

    /// Removes the entry `name` from the store's plugin registry and returns it. Audited
    /// (`AuditKind::PluginRemoved`).
    ///
    /// # Errors
    ///
    /// [`PluginRegistryError::NotRegistered`], [`PluginRegistryError::NamedByPolicy`] if the
    /// policy in force names it (set a policy without it first), or a storage failure.
    /// Nothing is written then.
    pub fn remove_plugin(&self, name: &str) -> Result<PluginEntry, PluginRegistryError> {
        let mut txn = self.store.write()?;
        let Some(row) = txn.plugin_entry(name)? else {
            return Err(PluginRegistryError::NotRegistered { name: name.to_owned() });
        };
        let policy = self
            .policies
            .for_text(txn.config(context::POLICY_CONFIG)?)
            .map_err(PluginRegistryError::Policy)?;
        if let Some(arm) = policy
            .arms()
            .iter()
            .find(|arm| arm.components().iter().any(|(_, named)| *named == Some(name)))
        {
            return Err(PluginRegistryError::NamedByPolicy {
                name: name.to_owned(),
                arm: arm.name.clone(),
            });
        }
        txn.remove_plugin_entry(name)?;
        let kind = case::AuditKind::PluginRemoved {
            name: name.to_owned(),
            entry: registry::row_digest(&row),
        };
        audit::append(&mut txn, self.clock.now(), None, kind)?;
        txn.commit()?;
        Ok(PluginEntry::from_row(row))
    }

    /// The store's plugin registry, by name.
    ///
    /// # Errors
    ///
    /// A storage failure or a damaged entry.
    pub fn plugins(&self) -> Result<Vec<PluginEntry>, QueryError> {
        let rows = self.store.read()?.plugin_entries()?;
        Ok(rows.into_iter().map(PluginEntry::from_row).collect())
    }

    /// The canonical names of the built-in plugins provided to this process
    /// ([`Arrears::provide_builtin`]), in order.
    pub fn builtin_plugins(&self) -> Vec<String> {
        self.registry.builtin_names()
    }

    /// The collection policy in force (the built-in default until one is set).
    ///
    /// # Errors
    ///
    /// A storage failure, or a stored policy that no longer loads.
    pub fn policy(&self) -> Result<std::sync::Arc<policy::Policy>, QueryError> {
        let text = self.store.read()?.config(context::POLICY_CONFIG)?;
        self.policies.for_text(text).map_err(QueryError::Policy)
    }

    /// The accounts `filter` selects, as of `as_of`, in ascending id order: an iterator over
    /// one consistent snapshot of the store that reads a page of accounts at a time (see
    /// [`lists`]). Take a page with `.take(n)` and resume after its last account with
    /// [`lists::AccountFilter::after`].
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let books = arrears::Arrears::create(dir.path().join("books.redb"))?;
    /// let mut filter = arrears::lists::AccountFilter::default();
    /// filter.days_past_due_min = Some(31);
    /// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    /// for row in books.list_accounts(filter, as_of)?.take(50) {
    ///     let row = row?;
    ///     println!("{} {} days {}", row.account, row.days_past_due, row.outstanding());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure, here or from the iterator (which then ends).
    pub fn list_accounts(
        &self,
        filter: lists::AccountFilter,
        as_of: NaiveDate,
    ) -> Result<lists::AccountList, QueryError> {
        error::query_date("as_of", as_of)?;
        Ok(lists::AccountList::new(self.store.read()?, filter, as_of))
    }

    /// The debtors `filter` selects, in ascending id order, as an iterator that reads a page
    /// at a time (see [`lists`]).
    ///
    /// # Errors
    ///
    /// A storage failure, here or from the iterator (which then ends).
    pub fn list_debtors(
        &self,
        filter: lists::DebtorFilter,
    ) -> Result<lists::DebtorList, QueryError> {
        Ok(lists::DebtorList::new(self.store.read()?, filter))
    }

    /// Everything about one debtor on `as_of`: contact points, accounts with their balances and
    /// days past due (those opened by then), cases, contact history, pending actions.
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999,
    /// [`QueryError::UnknownDebtor`] or a storage failure.
    pub fn debtor_view(
        &self,
        id: DebtorId,
        as_of: NaiveDate,
    ) -> Result<lists::DebtorView, QueryError> {
        error::query_date("as_of", as_of)?;
        lists::debtor_view(self.store.read()?, id, as_of)
    }

    /// The command executed under an idempotency key and its outcome, if one was (a refused
    /// command records nothing). An importer uses it to resolve a reference to an earlier
    /// command by its key without reading the account's history.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let books = arrears::Arrears::create(dir.path().join("books.redb"))?;
    /// assert!(books.recorded("payment-1")?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A storage failure, or a record that does not decode.
    pub fn recorded(&self, key: &str) -> Result<Option<Recorded>, QueryError> {
        point_read!(self.store, |read| query::recorded(read, key))
    }

    /// An account's collection case.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn case(&self, id: AccountId) -> Result<case::CollectionCase, QueryError> {
        point_read!(self.store, |read| {
            query::load_account(read, id)?;
            read.case(id)?.ok_or(QueryError::UnknownAccount(id))
        })
    }

    /// Pending outbox actions in id order, at most `limit`. Ids are hashes, not a time order:
    /// for the order in which to send them, use [`Arrears::due_actions`].
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn pending_actions(&self, limit: usize) -> Result<Vec<case::Action>, QueryError> {
        Ok(self.store.read()?.pending_actions(limit)?)
    }

    /// The pending outbox actions due by `due_by` (every pending one with `None`), in due order:
    /// scheduled instant, oldest first, then id; at most `limit`. Each comes with the debtor's
    /// name and reference, and the past due amount and days past due of its accounts on the
    /// day it is due, what a sender or an agent needs at hand. The pending actions are read
    /// and sorted in memory (they are a day's contacts, not the portfolio).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn due_actions(
        &self,
        due_by: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<lists::DueAction>, QueryError> {
        lists::due_actions(&self.store.read()?, due_by, limit)
    }

    /// Every outbox action, pending or acknowledged, by id.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn actions(&self) -> Result<Vec<case::Action>, QueryError> {
        Ok(self.store.read()?.all_actions()?)
    }

    /// What the compliance guardrails evaluate a contact with the debtor against, about
    /// `accounts` (all the debtor's accounts if empty): the packs for the debtor's
    /// jurisdiction and the policy's creditor kind, the contact history (made and pending), and
    /// the flags. The cycle assembles exactly the same; pass them to
    /// `compliance::evaluate` to check a contact before making it.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownDebtor`], or a storage failure, or a stored policy that no longer
    /// loads (as a storage-level [`QueryError`]).
    pub fn guardrail_inputs(
        &self,
        debtor: DebtorId,
        accounts: &[AccountId],
    ) -> Result<GuardrailInputs, QueryError> {
        point_read!(self.store, |read| {
            let debtor = read.debtor(debtor)?.ok_or(QueryError::UnknownDebtor(debtor))?;
            let accounts =
                if accounts.is_empty() { read.accounts_of(debtor.id)? } else { accounts.to_vec() };
            let mut cases = Vec::new();
            for account in &accounts {
                if let Some(case) = read.case(*account)? {
                    cases.push(case);
                }
            }
            let creditor = self
                .policies
                .for_text(read.config(context::POLICY_CONFIG)?)
                .map_err(QueryError::Policy)?
                .creditor();
            Ok(GuardrailInputs {
                packs: compliance::packs_for(&debtor.jurisdiction, creditor),
                history: guardrails::history(
                    &debtor,
                    read.contacts(debtor.id)?,
                    read.actions_of(debtor.id)?,
                ),
                flags: {
                    let mut flags = guardrails::flags(&debtor, &cases);
                    // An account with no case yet has no forbearance recorded.
                    flags.forbearance_assessed &= cases.len() == accounts.len();
                    flags
                },
            })
        })
    }

    /// A debtor's outbox actions, pending and acknowledged, by id.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn actions_of(&self, debtor: DebtorId) -> Result<Vec<case::Action>, QueryError> {
        point_read!(self.store, |read| Ok(read.actions_of(debtor)?))
    }

    /// A debtor's contact history, oldest first.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn contacts(&self, debtor: DebtorId) -> Result<Vec<case::ContactAttempt>, QueryError> {
        point_read!(self.store, |read| Ok(read.contacts(debtor)?))
    }

    /// The audit log's records concerning one account (all of them for `None`), in order.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn audit_log(
        &self,
        account: Option<AccountId>,
    ) -> Result<Vec<case::AuditRecord>, QueryError> {
        let entries = self.store.read()?.audit_log()?;
        Ok(entries
            .into_iter()
            .map(|entry| entry.record)
            .filter(|record| account.is_none() || record.account == account)
            .collect())
    }

    /// The change feed: the committed changes with audit sequence above `after`, in commit
    /// order, at most `limit` (see [`feed`]). Pass the page's `next` as `after` to read on; a
    /// consumer stores it as its cursor and resumes from it, and deduplicates on `seq`. The
    /// feed reads the audit log and the idempotency records the store writes anyway: it adds
    /// nothing to the write path.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # arrears::doc_fixture(&dir.path().join("books.redb"))?;
    /// let books = arrears::Arrears::open(dir.path().join("books.redb"))?;
    /// let first = books.changes(0, 1)?;
    /// assert_eq!((first.changes[0].seq, first.next, first.head), (1, 1, 2));
    /// let rest = books.changes(first.next, 100)?;
    /// assert_eq!(rest.changes[0].seq, 2);
    /// assert!(books.changes(rest.next, 100)?.changes.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A storage failure, or a damaged store (an audit record or a command's idempotency
    /// record missing or not decoding).
    pub fn changes(&self, after: u64, limit: usize) -> Result<ChangePage, QueryError> {
        feed::changes(&self.store.read()?, after, limit)
    }

    /// Writes a consistent copy of this store to `to`, while other threads and processes go
    /// on writing to it: every table as of one snapshot (a read transaction, which blocks no
    /// writer), written to a temporary file beside `to`, synced, then given the name `to`.
    /// Returns the feed cursor the backup holds (its last audit sequence) and its size.
    /// docs/SCALE.md, "Backup and restore".
    ///
    /// # Errors
    ///
    /// [`BackupError::TargetExists`] if anything is at `to` (a backup never replaces a file,
    /// least of all a store), a file-system error, or a storage failure; nothing is left at
    /// `to` then.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// arrears::doc_fixture(&dir.path().join("books.redb"))?;
    /// let books = arrears::Arrears::open(dir.path().join("books.redb"))?;
    /// let backup = books.backup(&dir.path().join("books.backup.redb"))?;
    /// assert_eq!(backup.seq, 2);
    /// let copy = arrears::Arrears::open(dir.path().join("books.backup.redb"))?;
    /// assert!(copy.verify()?.is_clean());
    /// # Ok(())
    /// # }
    /// ```
    pub fn backup(&self, to: &Path) -> Result<Backup, BackupError> {
        backup::write_backup(&self.store, to)
    }

    /// The feed of this store after `after`, read a page at a time as the iterator goes: the
    /// live feed a restore replays ([`Arrears::restore`]).
    pub fn changes_after(&self, after: u64) -> ChangesAfter<'_> {
        ChangesAfter::new(&self.store, after)
    }

    /// Restores a store to a point in time: copies the backup at `backup` to `out`, then
    /// re-executes the changes of `feed` after the backup's sequence, in order, up to
    /// `target`: each command under its idempotency key with the clock set to its recorded
    /// instant, each cycle batch as one batch of the cycle for its date. Every step is checked
    /// against the original (the same outcome, the same log sequence), so the restored store
    /// is the original as it stood at the target, audit chain included. `feed` is the live
    /// store's ([`Arrears::changes_after`]) or an archived one (`arrears feed --json`'s lines,
    /// parsed). The output is built under a temporary name and named `out` once whole.
    /// docs/SCALE.md, "Backup and restore", says what cannot be replayed.
    ///
    /// # Errors
    ///
    /// [`RestoreError`]; nothing is left at `out` then.
    pub fn restore<E>(
        backup: &Path,
        feed: impl IntoIterator<Item = Result<Change, E>>,
        target: RestoreTarget,
        out: &Path,
    ) -> Result<Restored, RestoreError>
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        backup::restore(backup, feed, target, out, |path, clock| {
            let options = Options { sharing: Sharing::Exclusive, clock, ..Options::default() };
            Arrears::open_with(path, options)
        })
    }

    /// An account's obligations, in id order (none for an unknown account).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn obligations_of(&self, account: AccountId) -> Result<Vec<Obligation>, QueryError> {
        let read = self.store.read()?;
        let mut obligations = Vec::new();
        for id in read.obligations_of(account)? {
            obligations.extend(read.obligation(id)?);
        }
        Ok(obligations)
    }

    /// One read snapshot for a batch of reads (a follower of the feed reading the state a
    /// batch of changes touched): see [`Snapshot`].
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn snapshot(&self) -> Result<Snapshot, QueryError> {
        Ok(Snapshot { read: self.store.read()? })
    }

    /// An account's obligations with an id above `after`, in id order (none for an unknown
    /// account): what [`Arrears::obligations_of`] returns past that obligation.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn obligations_after(
        &self,
        account: AccountId,
        after: ObligationId,
    ) -> Result<Vec<Obligation>, QueryError> {
        let read = self.store.read()?;
        let mut obligations = Vec::new();
        for id in read.obligations_of_after(account, after)? {
            obligations.extend(read.obligation(id)?);
        }
        Ok(obligations)
    }

    /// The outbox action `id`, pending or acknowledged, if any.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn action(&self, id: u64) -> Result<Option<case::Action>, QueryError> {
        point_read!(self.store, |read| Ok(read.action(id)?))
    }

    /// Runs redb's own check of every page of the file (checksums and B-tree structure), which
    /// `verify` does not read page by page. It needs the store to itself: no batch may be open.
    /// The check is redb's `check_integrity`: when it finds damage it can repair (the
    /// allocator's state, or a commit whose pages are damaged, rolled back to the previous
    /// one), it repairs it and says so (`PagesChecked::Repaired`); run `verify` after it.
    /// docs/DURABILITY.md gives its cost.
    ///
    /// # Errors
    ///
    /// `StorageError::Corrupted` (nested) if the file is damaged beyond repair,
    /// `StorageError::ReadOnly` on a read-only handle, or a storage failure. In a shared mode
    /// it waits for other processes' write transactions without a bound (redb's check takes
    /// the writer lock itself).
    pub fn check_pages(&mut self) -> Result<PagesChecked, QueryError> {
        Ok(if self.store.check_pages()? { PagesChecked::Intact } else { PagesChecked::Repaired })
    }

    /// The head of the audit chain: its last record's sequence and hash, to anchor outside the
    /// store (`None` for an empty log).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn audit_head(&self) -> Result<Option<AuditAnchor>, QueryError> {
        let head = self.store.read()?.audit_head()?;
        Ok(head.map(|head| AuditAnchor { seq: head.seq, hash: head.hash }))
    }

    /// True if and only if the audit log still holds the anchored record (the same sequence
    /// and hash). With `verify`'s check of the whole chain, this says that the store extends
    /// the anchored chain: nothing up to the anchor was changed, removed or reordered, even
    /// consistently.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn check_anchor(&self, anchor: &AuditAnchor) -> Result<bool, QueryError> {
        let entry = self.store.read()?.audit_entry(anchor.seq)?;
        Ok(entry.is_some_and(|entry| entry.hash == anchor.hash))
    }

    /// Collection KPIs over the period `from..=to`, computed from the ledger and the audit
    /// log: cure rate, recovery rate (by currency) and recovery curve, promise-kept rate,
    /// right-party-contact rate, contacts blocked by compliance rule, and the same per
    /// champion/challenger arm. The definitions are in [`reports`].
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn report_kpis(&self, from: NaiveDate, to: NaiveDate) -> Result<reports::Kpis, QueryError> {
        error::query_date("from", from)?;
        error::query_date("to", to)?;
        reports::kpis(&self.store.read()?, from, to)
    }

    /// The accounts holding the debtor's money (unapplied cash) on `as_of`, held at least
    /// `held_days_min` days since the oldest payment it came from, by account id
    /// ([`reports::CreditBalanceRow`]): what to refund (`Command::Refund`) or apply.
    ///
    /// # Example
    ///
    /// ```
    /// # use arrears::{Arrears, Command, NewAccount, NewCharge, NewDebtor, Outcome};
    /// # use arrears::model::*;
    /// # use arrears::money::{Currency, Money};
    /// # let dir = tempfile::tempdir()?;
    /// # let books = Arrears::create(dir.path().join("books.redb"))?;
    /// # let Outcome::DebtorCreated(debtor) = books.execute("d", &Command::CreateDebtor(NewDebtor {
    /// #     external_ref: None, kind: DebtorKind::Person, name: "Ana".into(),
    /// #     jurisdiction: Jurisdiction { country: "US".into(), region: None },
    /// #     time_zones: vec!["America/Chicago".into()], language: "en".into(),
    /// #     contact_points: Vec::new(), flags: DebtorFlags::default(),
    /// # }))?.outcome else { unreachable!() };
    /// let on = |text: &str| text.parse::<chrono::NaiveDate>().unwrap();
    /// # let Outcome::AccountOpened(account) = books.execute("a", &Command::OpenAccount(NewAccount {
    /// #     external_ref: Some("A-1".into()), debtor, product: ProductKind::TradeCredit,
    /// #     credit_limit: None, currency: Currency::USD, opened_on: on("2026-01-01"),
    /// #     terms: Terms::default(),
    /// # }))?.outcome else { unreachable!() };
    /// // 150.00 paid on nothing owed: all of it is the debtor's credit.
    /// let pay = Command::Payment {
    ///     account,
    ///     effective_on: on("2026-01-10"),
    ///     amount: Money::from_minor(15_000, Currency::USD),
    ///     directed_to: None,
    /// };
    /// books.execute("pay-1", &pay)?;
    /// let rows = books.report_credit_balances(on("2026-03-01"), 30)?;
    /// assert_eq!((rows[0].unapplied_minor, rows[0].days_held), (15_000, 50));
    /// assert!(books.report_credit_balances(on("2026-03-01"), 60)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn report_credit_balances(
        &self,
        as_of: NaiveDate,
        held_days_min: u32,
    ) -> Result<Vec<reports::CreditBalanceRow>, QueryError> {
        error::query_date("as_of", as_of)?;
        reports::credit_balances(&self.store.read()?, as_of, held_days_min)
    }

    /// The experience budget used against allowed, per segment, over the 7 days ending on `to`
    /// ([`reports::SegmentUsage`] defines each figure; docs/MESSAGES.md).
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure, or a stored policy that no longer loads.
    pub fn report_experience(
        &self,
        to: NaiveDate,
    ) -> Result<reports::ExperienceReport, QueryError> {
        error::query_date("to", to)?;
        let policy = self.policy()?;
        reports::experience(&self.store.read()?, &policy, to)
    }

    /// Agent and team productivity over `from..=to`, from the work log
    /// ([`reports::Productivity`] defines each figure).
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn report_productivity(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<reports::ProductivityReport, QueryError> {
        error::query_date("from", from)?;
        error::query_date("to", to)?;
        reports::productivity(&self.store.read()?, from, to)
    }

    /// The roll-rate matrix between consecutive dates of `month_ends` (see
    /// [`reports::month_ends`]): each account's aging bucket (or charged off) at one date
    /// against the next, from the ledger replayed as of each date.
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn roll_rates(&self, month_ends: &[NaiveDate]) -> Result<reports::RollRates, QueryError> {
        for date in month_ends {
            error::query_date("month_ends", *date)?;
        }
        reports::roll_rates(&self.store.read()?, month_ends)
    }

    /// Accounts by aging bucket (or charged off) on each of `dates`, from the ledger.
    ///
    /// # Errors
    ///
    /// [`QueryError::DateOutOfRange`] for a date outside years 1 to 9999;
    /// a storage failure.
    pub fn aging_series(
        &self,
        dates: &[NaiveDate],
    ) -> Result<Vec<reports::AgingPoint>, QueryError> {
        for date in dates {
            error::query_date("dates", *date)?;
        }
        reports::aging_series(&self.store.read()?, dates)
    }

    /// How the file's space is used. redb gives its statistics to a write transaction only, so
    /// this waits for the writer lock as a command does (and writes nothing).
    ///
    /// # Errors
    ///
    /// `StorageError::ReadOnly` on a read-only handle, `StorageError::WriterBusy`, or a
    /// storage failure.
    pub fn space(&self) -> Result<Space, QueryError> {
        let space = self.store.space()?;
        Ok(Space {
            allocated_bytes: space.allocated_bytes,
            stored_bytes: space.stored_bytes,
            metadata_bytes: space.metadata_bytes,
            fragmented_bytes: space.fragmented_bytes,
        })
    }

    /// The store underneath (feature `fault-injection`: tests that damage records on purpose,
    /// tools). Not part of the stable API.
    #[cfg(feature = "fault-injection")]
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Commands executed in one write transaction. Dropped without [`Batch::commit`], nothing of
/// it is written. After a command returns an error, the batch refuses to commit.
///
/// One write transaction runs at a time. While a thread holds a batch, its other writes
/// through the engine ([`Arrears::execute`], [`Arrears::batch`], [`Arrears::run_cycle`])
/// are refused with a `ThreadHoldsBatch` error rather than waiting for a batch that only that
/// thread could end; other threads wait for it to end.
pub struct Batch<'engine> {
    /// Declared before `txn`, so dropped before it.
    mark: BatchMark<'engine>,
    txn: arrears_store::WriteTxn,
    now: DateTime<Utc>,
    executed: usize,
    failed: Option<(usize, String)>,
    engine: &'engine Arrears,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("executed", &self.executed)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Batch<'_> {
    /// Executes a command inside the batch. Later commands see what earlier ones wrote.
    ///
    /// # Errors
    ///
    /// [`CommandError`]; the batch can then only be dropped.
    pub fn execute(&mut self, key: &str, command: &Command) -> Result<Receipt, CommandError> {
        let index = self.executed;
        self.executed += 1;
        if let Some((index, key)) = &self.failed {
            return Err(CommandError::BatchAborted { index: *index, key: key.clone() });
        }
        let plugins = execute::Plugins {
            components: &self.engine.components,
            registry: &self.engine.registry,
        };
        let changes = self.txn.changes();
        let result = execute::execute(
            &mut self.txn,
            self.now,
            key,
            command,
            &self.engine.policies,
            &plugins,
        )
        .and_then(|receipt| {
            // A refusal and a replay write nothing: every refusal happens before the first
            // write. Checked on every command, since the batch (and a group of concurrent
            // commands) would commit whatever a refused command had written.
            let wrote = self.txn.changes() != changes;
            if wrote && (receipt.replayed || receipt.outcome.is_rejected()) {
                return Err(CommandError::WroteBeforeRefusing {
                    command: command.name(),
                    replayed: receipt.replayed,
                });
            }
            Ok(receipt)
        });
        if result.is_err() {
            self.failed = Some((index, key.to_owned()));
        }
        result
    }

    /// Runs the commands of a group that have no result yet, in order: their receipts, by
    /// index; a command that fails without writing gets its error in `results` and leaves the
    /// transaction as it was, so the others go on; the first that fails after writing stops
    /// the run and is returned (the transaction is then spoiled).
    fn run_group(
        &mut self,
        commands: &[(String, Command)],
        results: &mut [Option<Result<Receipt, CommandError>>],
    ) -> (Vec<(usize, Receipt)>, Option<Failed>) {
        let mut receipts = Vec::new();
        for (index, (key, command)) in commands.iter().enumerate() {
            if results[index].is_some() {
                continue;
            }
            let changes = self.txn.changes();
            match self.execute(key, command) {
                Ok(receipt) => receipts.push((index, receipt)),
                Err(error) if self.txn.changes() == changes => {
                    // Nothing written: the transaction is as it was before the command.
                    self.failed = None;
                    results[index] = Some(Err(error));
                }
                Err(error) => return (receipts, Some((index, error))),
            }
        }
        (receipts, None)
    }

    /// Number of commands executed so far.
    pub fn len(&self) -> usize {
        self.executed
    }

    /// Returns true if and only if no command was executed.
    pub fn is_empty(&self) -> bool {
        self.executed == 0
    }

    /// Commits every command of the batch.
    ///
    /// # Errors
    ///
    /// [`BatchError::Aborted`] if a command of the batch failed (nothing is written), or a
    /// storage failure.
    pub fn commit(self) -> Result<(), BatchError> {
        let Batch { mark, txn, failed, .. } = self;
        drop(mark);
        if let Some((index, key)) = failed {
            return Err(BatchError::Aborted { index, key });
        }
        Ok(txn.commit()?)
    }
}

/// A command of a group that failed after writing, by index, and its error.
type Failed = (usize, CommandError);

/// Whether a receipt's command wrote: a refusal or a replay writes nothing, and runs the same
/// again wherever it would.
fn wrote(receipt: &Receipt) -> bool {
    !receipt.replayed && !receipt.outcome.is_rejected()
}

/// A group's results once its transaction committed: `receipts` fill the commands that have
/// no result yet, which are all the others.
fn answered(
    mut results: Vec<Option<Result<Receipt, CommandError>>>,
    receipts: Vec<(usize, Receipt)>,
) -> Vec<Result<Receipt, CommandError>> {
    for (index, receipt) in receipts {
        results[index] = Some(Ok(receipt));
    }
    results.into_iter().map(|result| result.expect("every command ran")).collect()
}

/// The storage error a group's commands get when its batch could not begin.
fn batch_storage_error(error: BatchError) -> StorageError {
    match error {
        BatchError::Storage(error) => error,
        _ => StorageError::Engine("the write transaction could not begin".into()),
    }
}

/// `results` with the commands that have none failed by `error` (a copy for each).
fn fill(
    results: Vec<Option<Result<Receipt, CommandError>>>,
    error: &StorageError,
) -> Vec<Result<Receipt, CommandError>> {
    results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(CommandError::Storage(copy(error)))))
        .collect()
}

/// [`Durability::Journaled`] commits unsynced, which only an exclusive handle may.
fn check_journaled_sharing(options: &Options, path: &Path) -> Result<(), OpenError> {
    if options.durability == Durability::Journaled && options.sharing != Sharing::Exclusive {
        return Err(OpenError::EventualNeedsExclusive { path: path.to_owned() });
    }
    Ok(())
}

impl journal::Replay for Arrears {
    fn store(&self) -> &Store {
        &self.store
    }

    fn replay(&self, record: &journal::Record) -> Result<(), String> {
        use arrears_store::codec::decode_record;
        let txn = self.replay_txn()?;
        if record.tentative {
            let commands = (record.commands.iter())
                .map(|(key, bytes)| {
                    let command = decode_record(arrears_store::RecordKind::Command, bytes)
                        .map_err(|reason| format!("command {key:?} does not decode: {reason}"))?;
                    Ok((key.clone(), command))
                })
                .collect::<Result<Vec<(String, Command)>, String>>()?;
            return self.replay_group(txn, record.now, &commands);
        }
        let mut batch = self.batch_in(txn, record.now);
        for (key, bytes) in &record.commands {
            let command: Command = decode_record(arrears_store::RecordKind::Command, bytes)
                .map_err(|reason| format!("command {key:?} does not decode: {reason}"))?;
            let receipt = batch.execute(key, &command).map_err(|cause| {
                format!("command {key:?} ({}): {}", command.name(), error::error_text(&cause))
            })?;
            if let Outcome::Rejected(rejection) = &receipt.outcome {
                // It wrote when it ran: the same command on the same store at the same time
                // cannot be refused now, unless the store is not the one it ran on.
                return Err(format!(
                    "command {key:?} ({}) was made and is refused now: {rejection:?}",
                    command.name()
                ));
            }
        }
        let Batch { mark, txn, .. } = batch;
        drop(mark);
        txn.commit().map_err(|cause| error::error_text(&cause))
    }
}

impl Arrears {
    /// A write transaction a replay runs in: unsynced where the handle may (the checkpoint
    /// after the replay syncs them all).
    fn replay_txn(&self) -> Result<arrears_store::WriteTxn, String> {
        let txn = if self.store.sharing() == arrears_store::Sharing::Exclusive {
            self.store.write_unsynced()
        } else {
            self.store.write()
        };
        txn.map_err(|cause| error::error_text(&cause))
    }

    /// Replays a tentative record's group as [`Arrears::execute_journaled`] ran it: a
    /// command that fails without writing leaves the others going on, one that fails after
    /// writing is left out and the others run again in a new transaction. A storage failure
    /// of any command fails the replay instead: it says nothing of how the command ran (a
    /// command the caller was answered for may fail now on a page the disk cannot read), so
    /// leaving the command out could drop an acknowledged command; the recovery fails, and
    /// the next open replays the record again.
    fn replay_group(
        &self,
        txn: arrears_store::WriteTxn,
        now: DateTime<Utc>,
        commands: &[(String, Command)],
    ) -> Result<(), String> {
        let mut results: Vec<Option<Result<Receipt, CommandError>>> =
            commands.iter().map(|_| None).collect();
        let mut txn = Some(txn);
        loop {
            let txn = match txn.take() {
                Some(txn) => txn,
                None => self.replay_txn()?,
            };
            let mut batch = self.batch_in(txn, now);
            let (_, spoiled) = batch.run_group(commands, &mut results);
            let Batch { mark, txn, .. } = batch;
            drop(mark);
            let failed = spoiled
                .iter()
                .map(|(_, error)| error)
                .chain(results.iter().filter_map(|result| result.as_ref()?.as_ref().err()));
            for error in failed {
                if let CommandError::Storage(cause) = error {
                    return Err(error::error_text(cause));
                }
            }
            match spoiled {
                Some((index, error)) => results[index] = Some(Err(error)),
                None => return txn.commit().map_err(|cause| error::error_text(&cause)),
            }
        }
    }
}

/// Closing a journaled engine syncs the store and removes its journal.
impl Drop for Arrears {
    fn drop(&mut self) {
        if let Some(journal) = self.journal.take() {
            let journal = journal.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
            journal::close(&self.store, journal);
        }
    }
}

/// A storage error for each command of a group it failed: the same variant where it has no
/// source, else its text.
fn copy(error: &StorageError) -> StorageError {
    match error {
        StorageError::ReadOnly => StorageError::ReadOnly,
        StorageError::WriterBusy { waited_ms } => {
            StorageError::WriterBusy { waited_ms: *waited_ms }
        }
        StorageError::Fenced { reason } => StorageError::Fenced { reason: reason.clone() },
        other => StorageError::Engine(error::error_text(other).into()),
    }
}

/// Creates a store at `path` with one debtor and one USD trade-credit account, for the crate
/// documentation's examples.
///
/// # Errors
///
/// Any error of creating or writing the store.
#[doc(hidden)]
pub fn doc_fixture(path: &Path) -> Result<(DebtorId, AccountId), Box<dyn std::error::Error>> {
    use arrears_core::model::{DebtorFlags, DebtorKind, Jurisdiction, ProductKind, Terms};
    let books = Arrears::create(path)?;
    let Outcome::DebtorCreated(debtor) = books
        .execute(
            "debtor-1",
            &Command::CreateDebtor(NewDebtor {
                external_ref: Some("C-1".into()),
                kind: DebtorKind::Business,
                name: "Acme Hardware".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec!["America/Chicago".into()],
                language: "en".into(),
                contact_points: Vec::new(),
                flags: DebtorFlags::default(),
            }),
        )?
        .outcome
    else {
        return Err("debtor not created".into());
    };
    let Outcome::AccountOpened(account) = books
        .execute(
            "account-1",
            &Command::OpenAccount(NewAccount {
                external_ref: Some("AC-1".into()),
                debtor,
                product: ProductKind::TradeCredit,
                credit_limit: None,
                currency: arrears_core::money::Currency::USD,
                opened_on: NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?,
                terms: Terms::default(),
            }),
        )?
        .outcome
    else {
        return Err("account not opened".into());
    };
    Ok((debtor, account))
}

/// The README's quick start, compiled and run as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

impl backup::Replay for Arrears {
    fn execute(&self, key: &str, command: &Command) -> Result<Receipt, CommandError> {
        Arrears::execute(self, key, command)
    }

    fn cycle(&self, as_of: NaiveDate, options: CycleOptions) -> Result<CycleReport, CycleError> {
        let components = self.cycle_components()?;
        let parts = cycle::Parts {
            store: &self.store,
            clock: self.clock.as_ref(),
            policies: &self.policies,
            components: &components,
        };
        cycle::run(&parts, as_of, options)
    }

    fn store(&self) -> &Store {
        &self.store
    }
}
