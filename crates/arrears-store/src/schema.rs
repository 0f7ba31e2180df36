//! The schema: the format version, every table with its key and value types, and the small
//! types the tables hold besides records (sequences, reference kinds, audit and idempotency
//! records). docs/FORMAT.md describes the same in prose; the two must agree.

use std::cell::OnceCell;

use arrears_core::case::{AuditKind, AuditRecord};
use arrears_core::ids::AccountId;
use arrears_core::ledger::{EventRecord, JournalEntry};
use chrono::NaiveDate;
use redb::TableDefinition;
use serde::{Deserialize, Serialize};

use crate::error::StorageError;
use crate::txn::{TableAccess, WriteTxn};

/// The on-disk format version this build writes.
pub const FORMAT_VERSION: u64 = 15;
/// The oldest on-disk format version this build can migrate ([`crate::Store::migrate`]).
pub const FORMAT_VERSION_OLDEST: u64 = 1;

const _: () = assert!(FORMAT_VERSION_OLDEST <= FORMAT_VERSION);

/// Longest idempotency key, in bytes.
pub const KEY_LEN_MAX: usize = 128;

/// The key of the format version in the `meta` table.
pub(crate) const META_FORMAT_VERSION: &str = "format_version";

/// The key, in the `meta` table, of a migration's progress: the first account id a resumed
/// migration to format 3 has still to rewrite. Present only while a migration is under way.
pub(crate) const META_MIGRATION_NEXT_ACCOUNT: &str = "migration.next_account";

/// The key, in the `meta` table, of a migration to format 5's progress: the first audit
/// sequence whose command's idempotency record has still to move into the audit log. Present
/// only while that migration is under way.
pub(crate) const META_MIGRATION_NEXT_AUDIT: &str = "migration.next_audit";

/// Formats 1 to 4: each idempotency key's record, the command's and the outcome's bytes
/// (replaced in format 5 by the `replay` of the command's audit entry and the
/// `idempotency_keys` index; read only by the migration).
pub(crate) const IDEMPOTENCY_FORMAT_4: TableDefinition<&str, &[u8]> =
    TableDefinition::new("idempotency");

/// Formats 5 to 13: each idempotency key -> the audit sequence of its command's entry
/// (replaced in format 14 by `idempotency_index`, keyed by the keys' hashes, of fixed width,
/// and `idempotency_overflow` for keys of a hash another key holds; read only by the migration
/// and the hooks that write older formats).
pub(crate) const IDEMPOTENCY_KEYS_FORMAT_13: TableDefinition<&str, u64> =
    TableDefinition::new("idempotency_keys");

/// Format 1 only: net derived postings per event (the journal's sums; dropped by format 2).
pub(crate) const DERIVED_FORMAT_1: TableDefinition<(u64, u32), &[u8]> =
    TableDefinition::new("derived");

/// Formats 1 to 3: each account's events, keyed by `(account, event sequence)` (replaced by
/// the ledger log in format 4; read only by the migration).
pub(crate) const EVENTS_FORMAT_3: TableDefinition<(u64, u32), &[u8]> =
    TableDefinition::new("events");

/// Formats 1 to 3: the journal entries, keyed by entry id (their rows are in the ledger log in
/// format 4; read only by the migration).
pub(crate) const JOURNAL_FORMAT_3: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");

/// Formats 4 and 5: each account's last row of the ledger log, the head of its chain (kept in
/// the account's snapshot row in format 6, [`SnapshotRecord::ledger_head`]; read only by the
/// migration).
pub(crate) const LEDGER_HEADS_FORMAT_5: TableDefinition<u64, u64> =
    TableDefinition::new("ledger_heads");

/// Formats 1 to 3: the index of each account's entries, `(account, entry)` (replaced by the
/// ledger log's per-account chains in format 4; read only by the migration).
pub(crate) const ACCOUNT_ENTRIES_FORMAT_3: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("account_entries");

/// A table of the current format: its definition, and where each kind of transaction keeps it
/// once opened (see [`Tables`] and [`ReadTables`]).
///
/// Implemented only by the unit structs that `tables!` declares, one per table, which the reads
/// and writes pass to name the table they use. (`pub` in a private module: it appears in the
/// bounds of the sealed [`TableAccess`], so it must be as visible as that trait, but no other
/// crate can name it.)
pub trait TableId: Copy {
    /// The key type.
    type Key: redb::Key + 'static;
    /// The value type.
    type Value: redb::Value + 'static;
    /// The table's name in the file.
    const NAME: &'static str;
    /// The redb definition.
    const DEFINITION: TableDefinition<'static, Self::Key, Self::Value>;

    /// Where a read transaction keeps this table once opened.
    fn read_slot(tables: &ReadTables) -> &OnceCell<redb::ReadOnlyTable<Self::Key, Self::Value>>;

    /// Where a write transaction keeps this table once opened.
    fn write_slot<'tables, 'txn>(
        tables: &'tables Tables<'txn>,
    ) -> &'tables OnceCell<redb::Table<'txn, Self::Key, Self::Value>>;

    /// Where a write transaction keeps this table once opened, to write it.
    fn write_slot_mut<'tables, 'txn>(
        tables: &'tables mut Tables<'txn>,
    ) -> &'tables mut OnceCell<redb::Table<'txn, Self::Key, Self::Value>>;
}

/// The tables of formats 14 and older that format 15's `account_rows` replaces (an account's
/// record, case and snapshot in one row): kept in [`Tables`] for the migration and the hooks
/// that write older formats; never created in a store of format 15.
pub(crate) const TABLES_OF_FORMAT_14: [&str; 3] = ["accounts", "cases", "snapshots"];

/// Every table of the current format (and the three of [`TABLES_OF_FORMAT_14`]): the unit struct that names it, its field in [`Tables`]
/// and [`ReadTables`], its name in the file, its key and value types.
macro_rules! tables {
    ($($marker:ident, $field:ident: $name:literal, $key:ty, $value:ty;)*) => {
        $(
            #[doc = concat!("The `", $name, "` table.")]
            #[derive(Debug, Clone, Copy)]
            pub(crate) struct $marker;

            impl TableId for $marker {
                type Key = $key;
                type Value = $value;
                const NAME: &'static str = $name;
                const DEFINITION: TableDefinition<'static, $key, $value> =
                    TableDefinition::new($name);

                fn read_slot(tables: &ReadTables) -> &OnceCell<redb::ReadOnlyTable<$key, $value>> {
                    &tables.$field
                }

                fn write_slot<'tables, 'txn>(
                    tables: &'tables Tables<'txn>,
                ) -> &'tables OnceCell<redb::Table<'txn, $key, $value>> {
                    &tables.$field
                }

                fn write_slot_mut<'tables, 'txn>(
                    tables: &'tables mut Tables<'txn>,
                ) -> &'tables mut OnceCell<redb::Table<'txn, $key, $value>> {
                    &mut tables.$field
                }
            }
        )*

        /// The tables a write transaction has opened, each opened once and kept open until the
        /// transaction commits or is dropped: opening a redb table costs a lookup in its table
        /// tree and a root update at close, which was a sixth of a payment's cost when every
        /// store call opened its tables anew.
        pub struct Tables<'txn> {
            $($field: OnceCell<redb::Table<'txn, $key, $value>>,)*
        }

        /// The tables a read transaction has opened, each opened once (opening one is a
        /// lookup in the table tree).
        #[derive(Default)]
        pub struct ReadTables {
            $($field: OnceCell<redb::ReadOnlyTable<$key, $value>>,)*
        }

        impl Tables<'_> {
            /// No table opened yet.
            pub(crate) fn new() -> Self {
                Tables { $($field: OnceCell::new(),)* }
            }
        }

        /// Copies every table of the schema from a snapshot into a new file's write
        /// transaction (the online backup, `crate::copy`).
        pub(crate) fn copy_every_table(
            from: &redb::ReadTransaction,
            to: &redb::WriteTransaction,
        ) -> Result<(), StorageError> {
            $(crate::copy::copy_table::<$marker>(from, to)?;)*
            Ok(())
        }

        impl WriteTxn {
            /// Opens (so creates) every table but those of formats 14 and older that format 15's
            /// account rows replace ([`TABLES_OF_FORMAT_14`]).
            pub(crate) fn create_every_table(&self) -> Result<(), StorageError> {
                $(
                    if !TABLES_OF_FORMAT_14.contains(&$name) {
                        self.read_table($marker, |_| Ok(()))?;
                    }
                )*
                Ok(())
            }
        }
    };
}

tables! {
    Meta, meta: "meta", &'static str, u64;
    Debtors, debtors: "debtors", u64, &'static [u8];
    Accounts, accounts: "accounts", u64, &'static [u8];
    Obligations, obligations: "obligations", u64, &'static [u8];
    DebtorAccounts, debtor_accounts: "debtor_accounts", (u64, u64), ();
    AccountObligations, account_obligations: "account_obligations", (u64, u64), ();
    ExternalRefs, external_refs: "external_refs", (u8, &'static str), u64;
    IdempotencyIndex, idempotency_index: "idempotency_index", u128, u64;
    IdempotencyOverflow, idempotency_overflow: "idempotency_overflow", &'static str, u64;
    Cases, cases: "cases", u64, &'static [u8];
    CasesOverlay, cases_overlay: "cases_overlay", u64, &'static [u8];
    ReviewDue, review_due: "review_due", (i32, u64), ();
    Outbox, outbox: "outbox", u64, &'static [u8];
    OutboxPending, outbox_pending: "outbox_pending", u64, ();
    OutboxByDebtor, outbox_by_debtor: "outbox_by_debtor", (u64, u64), ();
    Contacts, contacts: "contacts", (u64, u64), &'static [u8];
    Audit, audit: "audit", u64, &'static [u8];
    Config, config: "config", &'static str, &'static [u8];
    Snapshots, snapshots: "snapshots", u64, &'static [u8];
    Plugins, plugins: "plugins", &'static str, &'static [u8];
    OutboxBySeq, outbox_by_seq: "outbox_by_seq", u64, u64;
    Notes, notes: "notes", (u64, u64), &'static [u8];
    Teams, teams: "teams", &'static str, &'static [u8];
    Agents, agents: "agents", &'static str, &'static [u8];
    WorkItems, work_items: "work_items", u64, &'static [u8];
    WorkLog, work_log: "work_log", u64, &'static [u8];
    BankLines, bank_lines: "bank_lines", &'static str, &'static [u8];
    CreditDecisions, credit_decisions: "credit_decisions", u64, &'static [u8];
    CreditStandings, credit_standings: "credit_standings", u64, &'static [u8];
    CreditReviews, credit_reviews: "credit_reviews", (u64, u64), &'static [u8];
    SnapshotCold, snapshot_cold: "snapshot_cold", (u64, u32), &'static [u8];
    PayerAccounts, payer_accounts: "payer_accounts", (&'static str, u64), &'static [u8];
    AccountRows, account_rows: "account_rows", u64, &'static [u8];
    BankMatches, bank_matches: "bank_matches", &'static str, &'static [u8];
    LedgerLog, ledger_log: "ledger_log", u64, &'static [u8];
}

/// The 64-bit hash of an idempotency key, the low half of its row's key in `idempotency_index`
/// (format 14, [`idempotency_row`]): FNV-1a (64 bits) of the key's UTF-8 bytes, then MurmurHash3's 64-bit finalizer
/// (`fmix64`), which spreads every bit of the state over the word (and, being a bijection,
/// adds no collision).
///
/// Stable across builds and platforms (it is stored). Two keys may share a row (the same tail
/// and hash): the first key's command keeps the row, and each later one gets a row of its own
/// text in `idempotency_overflow`, so a collision costs a look-up one more read, never a wrong
/// answer; keys made to collide on purpose cost what every key cost before format 14.
///
/// ```
/// let hash = arrears_store::idempotency_hash("payment-2026-0001");
/// assert_eq!(hash, 0x5a30_1b2f_8f2a_1a0b);
/// assert_ne!(hash, arrears_store::idempotency_hash("payment-2026-0002"));
/// ```
pub fn idempotency_hash(key: &str) -> u64 {
    #[cfg(test)]
    if let Some(hash) = test_hash::get(key) {
        return hash;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in key.as_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The key of an idempotency key's row of `idempotency_index` (format 14): the key's last 8
/// bytes, read big-endian and right-aligned (a shorter key padded with zeros on the left), in
/// the high 64 bits, and its [`idempotency_hash`] in the low 64.
///
/// The tail keeps the rows of keys that count up (`p1`, `p2`..., `pay-000123`) in their order,
/// so that a commit's new rows land in the index's last leaves, as they did in the index of
/// the keys' text (format 13); the hash tells apart keys with the same tail. Two keys with the
/// same tail and hash share a row, which the first keeps (the others are in
/// `idempotency_overflow`).
///
/// ```
/// let first = arrears_store::idempotency_row("p999");
/// let next = arrears_store::idempotency_row("p1000");
/// assert!(first < next);
/// assert_eq!(first >> 64, 0x7039_3939);
/// assert_eq!(first as u64, arrears_store::idempotency_hash("p999"));
/// ```
pub fn idempotency_row(key: &str) -> u128 {
    let bytes = key.as_bytes();
    let mut tail = [0; 8];
    let take = bytes.len().min(8);
    tail[8 - take..].copy_from_slice(&bytes[bytes.len() - take..]);
    (u128::from(u64::from_be_bytes(tail)) << 64) | u128::from(idempotency_hash(key))
}

/// This crate's unit tests only: a hash to give keys instead of theirs (so that two keys can
/// collide, which no test could find among real hashes in its time).
#[cfg(test)]
pub(crate) mod test_hash {
    use std::cell::RefCell;
    use std::collections::HashMap;

    thread_local! {
        static HASHES: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
    }

    /// From now on, on this thread, `key` hashes to `hash`.
    pub(crate) fn set(key: &str, hash: u64) {
        HASHES.with(|hashes| hashes.borrow_mut().insert(key.to_owned(), hash));
    }

    pub(super) fn get(key: &str) -> Option<u64> {
        HASHES.with(|hashes| hashes.borrow().get(key).copied())
    }
}

/// Days since 1970-01-01, the key form of a date in indexes.
pub fn date_key(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// Where the audit chain ends: the last record's sequence and hash, what the next record
/// links to (and what an operator anchors outside the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditHead {
    /// The last record's sequence number, from 1.
    pub seq: u64,
    /// The last record's hash.
    pub hash: [u8; 32],
}

/// One audit record with its hash, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The record.
    pub record: AuditRecord,
    /// SHA-256 of the record's encoding, which includes the previous record's hash.
    pub hash: [u8; 32],
    /// A command's record (format 5): what its idempotency key replays, the command's and the
    /// outcome's bytes. The `idempotency_index` points at this entry, so the command log
    /// and the idempotency records are one append-only table. Outside the hash: the record's
    /// `content` digest (`AuditKind::CommandExecuted`) covers these bytes. `None` on every
    /// other record.
    pub replay: Option<IdempotencyRecord>,
}

/// The idempotency key of a command's audit record (`Command` or `CommandExecuted`); `None`
/// for every other kind of record.
pub fn command_key(kind: &AuditKind) -> Option<&str> {
    match kind {
        AuditKind::Command { key, .. } | AuditKind::CommandExecuted { key, .. } => Some(key),
        _ => None,
    }
}

/// An account as its record in `accounts` holds it: the account, and the facts of its debtor
/// that the state machine's gate reads (issue 16: so that a payment, which reads the account,
/// reads no debtor record). The store keeps the facts: [`crate::WriteTxn::put_account`] writes
/// the debtor's, and [`crate::WriteTxn::put_debtor`] rewrites the records of the debtor's
/// accounts when they change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The account.
    pub account: arrears_core::model::Account,
    /// The jurisdiction of the account's debtor (the only debtor fact the gate reads: stage
    /// conditions name jurisdictions). `None` in a record written before account record
    /// version 3, or for an account whose debtor does not exist: the reader then reads the
    /// debtor.
    pub debtor_jurisdiction: Option<arrears_core::model::Jurisdiction>,
}

/// An account's snapshot row (format 6): its state after its last event, and the head of its
/// chain in the ledger log. Every command that writes to an account's ledger reads the row (for
/// the state) and writes it back, so the head it moves costs no row of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRecord {
    /// The account's state after its last event (its hot part: settled items may be in cold
    /// parts, [`AccountState::cold_parts`](arrears_core::ledger::AccountState::cold_parts)).
    pub state: arrears_core::ledger::AccountState,
    /// The log sequence of the account's last row of `ledger_log` (0: none). Stored as eight
    /// little-endian bytes at the end of the payload, so that a reader who needs only the head
    /// (a walk of the account's history) does not decode the state. 0 in a record written
    /// before snapshot record version 3, which a store of format 6 never holds (the migration
    /// rewrites every snapshot).
    pub ledger_head: u64,
}

/// The first fields of an account record, in record order: what the cycle needs to group
/// accounts by debtor (see [`crate::codec::decode_head`]).
#[derive(Deserialize)]
pub(crate) struct AccountHead {
    #[allow(dead_code)]
    pub(crate) id: u64,
    #[allow(dead_code)]
    pub(crate) external_ref: Option<String>,
    pub(crate) debtor: u64,
}

/// The first fields of a debtor record, in record order, through its jurisdiction: what
/// [`crate::WriteTxn::put_debtor`] compares to see whether the debtor moved.
#[derive(Deserialize)]
pub(crate) struct DebtorHead {
    #[allow(dead_code)]
    pub(crate) id: u64,
    #[allow(dead_code)]
    pub(crate) external_ref: Option<String>,
    #[allow(dead_code)]
    pub(crate) kind: crate::rows::model::DebtorKindRow,
    #[allow(dead_code)]
    pub(crate) name: String,
    pub(crate) jurisdiction: crate::rows::model::JurisdictionRow,
}

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
    /// The outbox's order of receipt (`Action::seq`).
    Action,
    /// The ledger log's rows (format 4).
    Log,
}

impl Sequence {
    pub(crate) const COUNT: usize = 6;
    pub(crate) const ALL: [Sequence; Sequence::COUNT] = [
        Sequence::Debtor,
        Sequence::Account,
        Sequence::Obligation,
        Sequence::Entry,
        Sequence::Action,
        Sequence::Log,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn meta_key(self) -> &'static str {
        match self {
            Sequence::Debtor => "seq.debtor",
            Sequence::Account => "seq.account",
            Sequence::Obligation => "seq.obligation",
            Sequence::Entry => "seq.entry",
            Sequence::Action => "seq.action",
            Sequence::Log => "seq.log",
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
    pub(crate) fn from_u8(value: u8) -> Option<RefKind> {
        match value {
            1 => Some(RefKind::Debtor),
            2 => Some(RefKind::Account),
            3 => Some(RefKind::Obligation),
            _ => None,
        }
    }
}

/// One entry of the plugin registry as the `plugins` table stores it (record kind
/// [`crate::RecordKind::PluginEntry`], keyed by `name`). Storage's own row type: the engine
/// converts it to and from its public entry type, so the engine's API can change without
/// changing a stored byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginEntryRow {
    /// The name policy arms use.
    pub name: String,
    /// Where the plugin comes from.
    pub source: PluginSourceRow,
    /// The configuration passed to the plugin's `init`: the bytes of the configuration file,
    /// kept here so that the cycle does not depend on a file that may move.
    pub config: Vec<u8>,
    /// The plugin runs in the host's process (a trusted library, or a built-in) rather than
    /// in a runner process. Appended in record version 2: an older row reads as `false`
    /// (a library runs isolated; built-ins are in-process whatever this says).
    pub in_process: bool,
}

/// Where a registry entry's plugin comes from, as stored. Variants are appended, never
/// reordered (their index is the stored tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PluginSourceRow {
    /// A plugin linked into the application, by its canonical name.
    Builtin {
        /// The canonical built-in name.
        name: String,
    },
    /// A plugin library: its absolute path and the SHA-256 its bytes must have.
    Library {
        /// The absolute path, as given (UTF-8).
        path: String,
        /// The SHA-256 pin.
        sha256: [u8; 32],
    },
}

/// One row of the ledger log (format 4): what one command wrote to one account's ledger, its
/// event and the journal entries it wrote (the event's own entry, if it posts anything, and the
/// corrections a back-dated event makes to earlier ones). Keyed by the log's global sequence,
/// so the rows of a commit are appended at the end of one table whatever accounts they touch;
/// each row points back to the account's previous row, and the account's snapshot row holds its
/// last row ([`SnapshotRecord::ledger_head`], format 6; the `ledger_heads` table in formats 4
/// and 5), so an account's history is read by walking its chain back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// The account.
    pub account: AccountId,
    /// The log sequence of the account's previous row; 0 for its first (the log starts at 1).
    pub prev: u64,
    /// The event.
    pub event: EventRecord,
    /// The journal entries the command wrote, in id order.
    pub entries: Vec<JournalEntry>,
}

/// What an idempotency key recorded: the command's bytes and its result's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The command, encoded by the engine.
    pub command: Vec<u8>,
    /// The result, encoded by the engine.
    pub result: Vec<u8>,
}
