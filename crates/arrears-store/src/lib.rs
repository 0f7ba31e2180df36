//! Arrears persistence on redb: tables, the record codec, the format version, indexes.
//!
//! Architecture invariant: this is the only crate that names redb. Nothing redb-typed crosses
//! its public API; redb errors are only the `source()` of a [`StorageError`].
//!
//! A [`Store`] hands out [`ReadTxn`]s (a consistent snapshot) and [`WriteTxn`]s (all or
//! nothing: dropped without [`WriteTxn::commit`], nothing is written). Both read through the
//! [`Reads`] trait. The tables and their encodings are described in docs/FORMAT.md.
//!
//! The modules, in reading order:
//!
//! - `schema`: the format version, every table with its key and value types, and the small
//!   stored types (sequences, reference kinds, audit and idempotency records);
//! - [`codec`]: records to bytes and back;
//! - [`rows`]: the stored rows, the store's own types for what it stores, and their explicit
//!   conversions from and to the core's and engine's types;
//! - `open`: creating, opening and migrating a store, and its options;
//! - `txn`: the two transactions, the tables they hold open, the write transaction's cache of
//!   decoded records, the containment of engine panics, the commit;
//! - `read`: every read, once, for both transactions ([`Reads`]);
//! - `copy`: a consistent copy of the whole store into a new file (the online backup);
//! - `write`: the writes of a write transaction;
//! - `scratch`: a temporary on-disk map for work too big for memory (the import's keys);
//! - `hooks` and `fault` (tests and the feature `fault-injection` only): a store on a
//!   fault-injecting disk and raw writes that damage a store on purpose.

pub mod chain;
pub mod codec;
mod copy;
mod error;
#[cfg(any(test, feature = "fault-injection"))]
pub mod fault;
pub mod gate;
#[cfg(any(test, feature = "fault-injection"))]
mod hooks;
#[cfg(any(test, feature = "fault-injection"))]
pub use hooks::{encode_audit_entry_format_10, encode_audit_entry_format_8};
mod hot;
mod migrate;
mod open;
mod parked;
mod read;
pub mod rows;
mod schema;
mod scratch;
mod txn;
mod write;

pub use codec::RecordKind;
pub use error::{MigrateError, OpenError, StorageError};
pub use migrate::{Migration, ACCOUNTS_PER_STEP};
pub use open::{Durability, Sharing, Space, Store, StoreOptions, WRITE_WAIT_MS_MAX_DEFAULT};
pub use parked::{Chain, ParkedView, View};
pub use read::Reads;
pub use schema::{
    command_key, date_key, idempotency_hash, idempotency_row, AccountRecord, AuditEntry, AuditHead,
    IdempotencyRecord, LedgerRow, PluginEntryRow, PluginSourceRow, RefKind, Sequence,
    SnapshotRecord, FORMAT_VERSION, FORMAT_VERSION_OLDEST, KEY_LEN_MAX,
};
pub use scratch::Scratch;
pub use txn::{ReadTxn, WriteTxn};
pub use write::CasePlacement;

// The codec's golden tests decode an account record's head as `crate::AccountHead`.
#[cfg(test)]
use schema::AccountHead;

#[cfg(test)]
mod tests;
