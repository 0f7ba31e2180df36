//! The one place where records become bytes and bytes become records.
//!
//! Every stored record is framed as
//!
//! ```text
//! +---------+----------------------------+------------------+
//! | version | bincode 2 payload (serde)  | CRC-32 (LE, u32) |
//! | 1 byte  | standard config, varints   | of version+body  |
//! +---------+----------------------------+------------------+
//! ```
//!
//! The version byte is per record kind ([`RecordKind::version`]); a decoder accepts exactly
//! the versions it knows. The checksum catches a flipped bit that redb's own page checksums
//! would not (a bug writing the wrong bytes, or a file edited by hand), and decoding refuses
//! trailing bytes, so a record is validated when it is written and again when it is read.
//! Golden-bytes tests freeze the encoding of every record kind: replacing bincode later must
//! not change a stored byte.

use serde::de::DeserializeOwned;

use crate::rows::{Record, Row};

/// Largest record the decoder accepts, in bytes. Bounds allocation on corrupt input.
pub const RECORD_LEN_MAX: usize = 16 * 1024 * 1024;

/// The kinds of stored records, each with its own format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// `arrears_core::model::Debtor`.
    Debtor,
    /// `arrears_core::model::Account`.
    Account,
    /// `arrears_core::model::Obligation`.
    Obligation,
    /// `arrears_core::ledger::EventRecord`.
    Event,
    /// Net derived postings of one event (`Vec<Posting>`).
    Derived,
    /// `arrears_core::ledger::JournalEntry`.
    Entry,
    /// An idempotency record (command bytes and result bytes).
    Idempotency,
    /// A command as the engine compares it for idempotency.
    Command,
    /// A command's outcome as the engine replays it.
    Outcome,
    /// `arrears_core::case::CollectionCase`.
    Case,
    /// `arrears_core::case::Action`.
    Action,
    /// `arrears_core::case::ContactAttempt`.
    Contact,
    /// An audit entry (`AuditRecord` and its hash).
    Audit,
    /// An account's snapshot (`arrears_core::ledger::AccountState` after its last event).
    Snapshot,
    /// An entry of the plugin registry (`crate::PluginEntryRow`).
    PluginEntry,
    /// `arrears_core::case::Note` (the `notes` table, added within format 2).
    Note,
    /// `arrears_core::work::Team` (the `teams` table, added within format 2).
    Team,
    /// `arrears_core::work::Agent` (the `agents` table, added within format 2).
    Agent,
    /// `arrears_core::work::WorkItem` (the `work_items` table, added within format 2).
    WorkItem,
    /// `arrears_core::work::WorkLogEntry` (the `work_log` table, added within format 2).
    WorkLog,
    /// `arrears_core::cash::HeldLine` (the `bank_lines` table, added within format 2).
    BankLine,
    /// `arrears_core::credit::CreditDecision` (the `credit_decisions` table, added within
    /// format 2).
    CreditDecision,
    /// `arrears_core::credit::CreditStanding` (the `credit_standings` table, added within
    /// format 2).
    CreditStanding,
    /// `arrears_core::credit::CreditReview` (the `credit_reviews` table, added within format 2).
    CreditReview,
    /// `arrears_core::ledger::ColdPart`: settled items moved out of an account's snapshot (the
    /// `snapshot_cold` table, new in format 3).
    ColdPart,
    /// `arrears_core::cash::RegisteredPayer` (the `payer_accounts` table, added within format
    /// 2).
    PayerAccount,
    /// `arrears_core::cash::LineMatch` (the `bank_matches` table, added within format 2).
    BankMatch,
    /// `crate::LedgerRow`: an event and the journal entries written with it (the
    /// `ledger_log` table, new in format 4).
    LedgerRow,
}

impl RecordKind {
    /// The current format version of this kind of record.
    pub fn version(self) -> u8 {
        match self {
            // Version 3: the debtor's jurisdiction appended (`AccountRecord`; an older
            // record reads with none).
            RecordKind::Account => 3,
            // Version 2: dates and instants as integers (see `arrears_core::dates`).
            RecordKind::Obligation
            | RecordKind::Event
            | RecordKind::Derived
            | RecordKind::Entry
            | RecordKind::Idempotency
            | RecordKind::Command
            | RecordKind::Outcome
            | RecordKind::Contact => 2,
            // Version 3 (format 5): `replay` appended, a command's idempotency record (an
            // older entry reads with none; the migration to format 5 moves the records there).
            // Version 4 (format 9): the record's previous hash left out, the hash of the entry
            // before (`rows::case::LinkedAuditEntryRow`; an older entry keeps its own).
            // Version 5 (format 10): no hash of its own either, both its commit's
            // (`rows::case::CommittedAuditEntryRow`, the hash kept once, in the commit's last
            // entry, which is written at version 4, as is an entry rewritten whole).
            RecordKind::Audit => 5,
            // Version 3: the action status `Cancelled`, and the fields `claim`, `sent_at` and
            // `seq` appended (an older record reads with no claim, not sent, sequence 0).
            // Version 4: `message`, `payment_link` and `invoice` appended (an older record
            // reads with none).
            RecordKind::Action => 4,
            // Version 3: `restrictions` appended (an older debtor reads with none). Version 4:
            // `attorney` appended (an older debtor reads with none). Version 5:
            // `reported_signals` appended (an older debtor reads with none).
            RecordKind::Debtor => 5,
            // Version 3: `interrupted` (the states the holds in force interrupted) and `capacity`
            // (the capacity to pay the debtor stated with a plan) appended. Version 4: `score`
            // (the latest score) appended. Version 5: `recalled_on` (the last recall) and
            // `late_fee_charges` (the late fees the cycle may still reverse) appended. Version 6:
            // `bankruptcy_discharged` (the sticky flag of a debt discharged in bankruptcy)
            // appended. Version 7: `forbearance` (the last forbearance measure recorded)
            // appended. Version 8: `hardship_ended_on` (the end of the latest hardship)
            // appended.
            RecordKind::Case => 8,
            // New in format 2, with integer dates from the start. Version 2 (format 3):
            // `cold_parts` and `cold_through` appended (an older snapshot reads as a whole
            // state). Version 3 (format 6): `ledger_head` appended, eight little-endian bytes
            // (`crate::SnapshotRecord`; an older snapshot reads with head 0, and the migration
            // to format 6 fills it from the `ledger_heads` table of formats 4 and 5). Version 4
            // (format 13): the same fields in `rows::snapshot::compact`'s form, about half the
            // bytes, written and read by hand only (its row is version 3's definition).
            RecordKind::Snapshot => 4,
            // New within format 2 (the `plugins` table), with integer dates from the start.
            // Version 2: `in_process` appended (an older entry reads as isolated).
            RecordKind::PluginEntry => 2,
            RecordKind::Note
            | RecordKind::Team
            | RecordKind::Agent
            | RecordKind::WorkItem
            | RecordKind::WorkLog
            | RecordKind::PayerAccount
            | RecordKind::BankMatch
            | RecordKind::ColdPart
            | RecordKind::CreditDecision
            | RecordKind::CreditReview
            | RecordKind::LedgerRow => 1,
            // Version 2: `detected` appended (an older standing reads with no mark: the
            // detectors run for it on the next day).
            RecordKind::CreditStanding => 2,
            // Version 2: `returned` appended (an older line reads with nothing returned).
            RecordKind::BankLine => 2,
        }
    }

    /// The version whose bytes the kind's row ([`Row`]) serializes to with serde: the current
    /// version, but for the snapshot, whose version 4 is written and read by hand only
    /// (`rows::snapshot`); its row is the definition of version 3.
    pub(crate) fn row_version(self) -> u8 {
        match self {
            RecordKind::Snapshot => 3,
            _ => self.version(),
        }
    }

    /// The payload bytes that complete a record written at an older `version` of this kind:
    /// the encoding of the defaults of the fields appended since (bincode reads a struct's
    /// fields in order, so an appended field is read from these bytes). Empty for a kind
    /// whose fields never changed.
    fn appended_since(self, version: u8) -> &'static [u8] {
        match self {
            // `CollectionCase::interrupted`, an empty `Vec` (its length, a varint 0), and
            // `CollectionCase::capacity`, `None` (tag 0).
            // And `CollectionCase::time_barred_on`, `None`; and `CollectionCase::score`, `None`;
            // and `CollectionCase::recalled_on`, `None`, and `late_fee_charges`, empty.
            // And the flag `bankruptcy_discharged`, `false`, `CollectionCase::forbearance`,
            // `None`, and `CollectionCase::hardship_ended_on`, `None`, in every case below.
            RecordKind::Case if version < 3 => &[0, 0, 0, 0, 0, 0, 0, 0, 0],
            // `CollectionCase::score`, `None`; `recalled_on`, `None`; `late_fee_charges`, empty.
            RecordKind::Case if version < 4 => &[0, 0, 0, 0, 0, 0],
            // `CollectionCase::recalled_on`, `None`, and `late_fee_charges`, empty.
            RecordKind::Case if version < 5 => &[0, 0, 0, 0, 0],
            // The flag `bankruptcy_discharged` (kept after the case's last field), `false`.
            RecordKind::Case if version < 6 => &[0, 0, 0],
            // `CollectionCase::forbearance`, `None`.
            RecordKind::Case if version < 7 => &[0, 0],
            // `CollectionCase::hardship_ended_on`, `None`.
            RecordKind::Case if version < 8 => &[0],
            // `Action::claim` and `Action::sent_at`, `None` (tag 0 each), and `Action::seq`, 0;
            // and `Action::message`, `Action::payment_link` and `Action::invoice`, `None`.
            RecordKind::Action if version < 3 => &[0, 0, 0, 0, 0, 0],
            // `Action::message`, `Action::payment_link` and `Action::invoice`, `None`.
            RecordKind::Action if version < 4 => &[0, 0, 0],
            // `Debtor::restrictions`: two `false`, a `None` and two empty `Vec`s; and
            // `Debtor::attorney`, `None`.
            RecordKind::Debtor if version < 3 => &[0, 0, 0, 0, 0, 0, 0],
            // `Debtor::attorney`, `None`, and `Debtor::reported_signals`, empty.
            RecordKind::Debtor if version < 4 => &[0, 0],
            // `Debtor::reported_signals`, empty.
            RecordKind::Debtor if version < 5 => &[0],
            // `PluginEntryRow::in_process`, `false`.
            RecordKind::PluginEntry if version < 2 => &[0],
            // `AccountState::cold_parts`, 0, and `AccountState::cold_through`, `None`; and
            // `SnapshotRecord::ledger_head`, 0 (eight bytes).
            RecordKind::Snapshot if version < 2 => &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            // `SnapshotRecord::ledger_head`, 0 (eight bytes).
            RecordKind::Snapshot if version < 3 => &[0, 0, 0, 0, 0, 0, 0, 0],
            // `HeldLine::returned`, empty.
            RecordKind::BankLine if version < 2 => &[0],
            // `CreditStanding::detected`, `None`.
            RecordKind::CreditStanding if version < 2 => &[0],
            // `AuditEntry::replay`, `None`.
            RecordKind::Audit if version < 3 => &[0],
            // `AccountRecord::debtor_jurisdiction`, `None`.
            RecordKind::Account if version < 3 => &[0],
            RecordKind::Debtor
            | RecordKind::Account
            | RecordKind::Obligation
            | RecordKind::Event
            | RecordKind::Derived
            | RecordKind::Entry
            | RecordKind::Idempotency
            | RecordKind::Command
            | RecordKind::Outcome
            | RecordKind::Case
            | RecordKind::Action
            | RecordKind::Contact
            | RecordKind::Audit
            | RecordKind::Snapshot
            | RecordKind::PluginEntry
            | RecordKind::Note
            | RecordKind::Team
            | RecordKind::Agent
            | RecordKind::WorkItem
            | RecordKind::WorkLog
            | RecordKind::BankLine
            | RecordKind::PayerAccount
            | RecordKind::BankMatch
            | RecordKind::ColdPart
            | RecordKind::CreditDecision
            | RecordKind::CreditStanding
            | RecordKind::CreditReview
            | RecordKind::LedgerRow => &[],
        }
    }

    /// The name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Debtor => "debtor",
            RecordKind::Account => "account",
            RecordKind::Obligation => "obligation",
            RecordKind::Event => "event",
            RecordKind::Derived => "derived postings",
            RecordKind::Entry => "journal entry",
            RecordKind::Idempotency => "idempotency record",
            RecordKind::Command => "command",
            RecordKind::Outcome => "outcome",
            RecordKind::Case => "collection case",
            RecordKind::Action => "outbox action",
            RecordKind::Contact => "contact attempt",
            RecordKind::Audit => "audit entry",
            RecordKind::Snapshot => "account snapshot",
            RecordKind::PluginEntry => "plugin registry entry",
            RecordKind::Note => "note",
            RecordKind::Team => "team",
            RecordKind::Agent => "agent",
            RecordKind::WorkItem => "work item",
            RecordKind::WorkLog => "work log entry",
            RecordKind::BankLine => "bank line",
            RecordKind::CreditDecision => "credit decision",
            RecordKind::CreditStanding => "credit standing",
            RecordKind::CreditReview => "credit review",
            RecordKind::ColdPart => "cold part of an account's state",
            RecordKind::PayerAccount => "payer account",
            RecordKind::BankMatch => "bank match",
            RecordKind::LedgerRow => "ledger row",
        }
    }
}

/// Why bytes could not be decoded into a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the frame needs.
    #[error("{kind} record of {len_bytes} bytes is shorter than its 5-byte frame")]
    TooShort {
        /// The record kind.
        kind: &'static str,
        /// The length found.
        len_bytes: usize,
    },
    /// Longer than [`RECORD_LEN_MAX`].
    #[error("{kind} record of {len_bytes} bytes exceeds {RECORD_LEN_MAX} bytes")]
    TooLong {
        /// The record kind.
        kind: &'static str,
        /// The length found.
        len_bytes: usize,
    },
    /// The checksum does not match.
    #[error("{kind} record checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    Checksum {
        /// The record kind.
        kind: &'static str,
        /// The stored checksum.
        stored: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
    /// A version this build does not know.
    #[error("{kind} record has version {found}, this build reads version {expected}")]
    Version {
        /// The record kind.
        kind: &'static str,
        /// The version found.
        found: u8,
        /// The version this build reads.
        expected: u8,
    },
    /// The payload is not a valid record.
    #[error("{kind} record payload is malformed: {reason}")]
    Payload {
        /// The record kind.
        kind: &'static str,
        /// What the decoder said.
        reason: String,
    },
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_variable_int_encoding()
        .with_limit::<RECORD_LEN_MAX>()
}

/// Encodes a record of `kind`.
///
/// # Panics
///
/// If serde fails on one of our own record types, which would be a programmer error (they
/// hold no maps with non-string keys and no unbounded recursion), or if the record exceeds
/// [`RECORD_LEN_MAX`], which the limits on every field make impossible.
pub fn encode<T: Row>(kind: RecordKind, value: &T) -> Vec<u8> {
    encode_serialized(kind, value)
}

/// [`encode`] of a value that serializes exactly as a row does (a borrowed view of a type,
/// such as `rows::snapshot`'s), so that the row need not be built.
pub(crate) fn encode_serialized<T: serde::Serialize>(kind: RecordKind, value: &T) -> Vec<u8> {
    encode_serialized_at(kind, kind.row_version(), value)
}

/// [`encode_serialized`] in a frame of record version `version`.
pub(crate) fn encode_serialized_at<T: serde::Serialize>(
    kind: RecordKind,
    version: u8,
    value: &T,
) -> Vec<u8> {
    // Most records are under 256 bytes: one allocation, written in place.
    let mut bytes = Vec::with_capacity(256);
    bytes.push(version);
    bincode::serde::encode_into_std_write(value, &mut bytes, config())
        .unwrap_or_else(|error| panic!("encoding a {} record failed: {error}", kind.name()));
    assert!(bytes.len() + 4 <= RECORD_LEN_MAX, "{} record too long", kind.name());
    let checksum = crc32(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Encodes `value` as a record of `kind`, in its stored row ([`crate::rows::Record`]).
pub fn encode_record<T: Record>(kind: RecordKind, value: &T) -> Vec<u8> {
    value.encode_value(kind)
}

/// Decodes a record of `kind` into its row, then the row into `T` ([`crate::rows::Record`]).
///
/// # Errors
///
/// The [`DecodeError`] that says what is wrong.
pub fn decode_record<T: Record>(kind: RecordKind, bytes: &[u8]) -> Result<T, DecodeError> {
    T::decode_value(kind, bytes)
}

/// Encodes a record of `kind` as format 1 wrote it: version byte 1 and dates and instants as
/// strings. The audit hash is taken over this form, so that it stays the same whichever
/// record version stores the entry.
pub fn encode_format_1<T: Row>(kind: RecordKind, value: &T) -> Vec<u8> {
    let mut bytes = crate::rows::with_strings(|| encode(kind, value));
    bytes[0] = 1;
    let end = bytes.len() - 4;
    let checksum = crc32(&bytes[..end]);
    bytes[end..].copy_from_slice(&checksum.to_le_bytes());
    bytes
}

/// [`encode_format_1`] of `value`'s row ([`crate::rows::Record`]): what the audit hash is
/// taken over.
pub fn encode_record_format_1<T: Record>(kind: RecordKind, value: &T) -> Vec<u8> {
    encode_format_1(kind, &value.to_row())
}

/// Appends to `out` the bytes of [`encode_record_format_1`]`(RecordKind::Audit, record)`, what
/// the audit hash is taken over, written by hand from the record: no row, no serde and no
/// chrono formatting, for every `AuditKind` variant (`rows::case::audit` says how, and its
/// tests check the two agree). Into the caller's buffer, so that a hash of many records needs
/// one allocation.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as [`encode`] does.
pub fn encode_audit_format_1_into(record: &arrears_core::case::AuditRecord, out: &mut Vec<u8>) {
    crate::rows::case::audit::encode_format_1_into(record, out);
}

/// Decodes a record of `kind`, checking length, checksum, version and that every byte is used.
///
/// # Errors
///
/// The [`DecodeError`] that says what is wrong.
pub fn decode<T: Row>(kind: RecordKind, bytes: &[u8]) -> Result<T, DecodeError> {
    decode_checked(kind, bytes, false)
}

/// [`decode`] into a type that deserializes from a row's bytes exactly as the row does, then
/// converts (such as `rows::snapshot`'s), so that the row need not be built.
///
/// # Errors
///
/// The [`DecodeError`] that says what is wrong.
pub(crate) fn decode_deserialized<T: DeserializeOwned>(
    kind: RecordKind,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    decode_checked(kind, bytes, false)
}

/// Decodes the leading fields of a record of `kind` as `T` (a struct with the record's first
/// fields, in order), checking length, checksum and version like [`decode`] but not reading
/// the rest of the payload. For indexes that need one field of many records.
///
/// # Errors
///
/// The [`DecodeError`] that says what is wrong.
pub(crate) fn decode_head<T: DeserializeOwned>(
    kind: RecordKind,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    decode_checked(kind, bytes, true)
}

/// The payload of a record of `kind` (the bytes between its version byte and its checksum),
/// after the frame's checks: length and checksum, and a version no newer than this build's.
pub(crate) fn checked_payload(kind: RecordKind, bytes: &[u8]) -> Result<&[u8], DecodeError> {
    let name = kind.name();
    if bytes.len() < 5 {
        return Err(DecodeError::TooShort { kind: name, len_bytes: bytes.len() });
    }
    if bytes.len() > RECORD_LEN_MAX {
        return Err(DecodeError::TooLong { kind: name, len_bytes: bytes.len() });
    }
    let (framed, checksum_bytes) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([
        checksum_bytes[0],
        checksum_bytes[1],
        checksum_bytes[2],
        checksum_bytes[3],
    ]);
    let computed = crc32(framed);
    if stored != computed {
        return Err(DecodeError::Checksum { kind: name, stored, computed });
    }
    if framed[0] == 0 || framed[0] > kind.version() {
        return Err(DecodeError::Version {
            kind: name,
            found: framed[0],
            expected: kind.version(),
        });
    }
    Ok(&framed[1..])
}

fn decode_checked<T: DeserializeOwned>(
    kind: RecordKind,
    bytes: &[u8],
    head_only: bool,
) -> Result<T, DecodeError> {
    let name = kind.name();
    let payload = checked_payload(kind, bytes)?;
    let version = bytes[0];
    // A record of an older version is read with the defaults of the fields appended since.
    let appended = kind.appended_since(version);
    let completed: std::borrow::Cow<'_, [u8]> = if appended.is_empty() {
        std::borrow::Cow::Borrowed(payload)
    } else {
        std::borrow::Cow::Owned([payload, appended].concat())
    };
    let payload: &[u8] = &completed;
    let decode = || bincode::serde::decode_from_slice(payload, config());
    if version > kind.row_version() {
        return Err(DecodeError::Payload {
            kind: name,
            reason: format!("version {version} is read by hand only, not through its row"),
        });
    }
    let decoded = if version == kind.row_version() {
        decode()
    } else if version == 1
        && !matches!(
            kind,
            RecordKind::Snapshot
                | RecordKind::PluginEntry
                | RecordKind::BankLine
                | RecordKind::CreditStanding
        )
    {
        // Written by format 1: the same fields, dates and instants as strings.
        crate::rows::with_strings(decode)
    } else if ((2..kind.version()).contains(&version)
        && matches!(
            kind,
            RecordKind::Case
                | RecordKind::Action
                | RecordKind::Debtor
                | RecordKind::Audit
                | RecordKind::Account
                | RecordKind::Snapshot
        ))
        || (version == 1
            && matches!(
                kind,
                RecordKind::PluginEntry
                    | RecordKind::Snapshot
                    | RecordKind::BankLine
                    | RecordKind::CreditStanding
            ))
    {
        // Written before the snapshot's ledger head, the account's debtor jurisdiction, the case's `interrupted` and
        // `capacity`, the action's `claim`,
        // `sent_at` and `seq` (or its `message`, `payment_link` and `invoice`), the debtor's
        // `restrictions` and `attorney`, the audit entry's `replay`, the plugin entry's
        // `in_process`, the bank line's `returned` or the credit standing's `detected` were
        // appended (completed above; those kinds were new within format 2 or later, with
        // integer dates from their first version).
        decode()
    } else {
        return Err(DecodeError::Version { kind: name, found: version, expected: kind.version() });
    };
    let (value, used) =
        decoded.map_err(|error| DecodeError::Payload { kind: name, reason: error.to_string() })?;
    if used != payload.len()
        && !head_only
        && !cold_parts_of_2026_12_03(kind, version, &completed, used)
    {
        return Err(DecodeError::Payload {
            kind: name,
            reason: format!("{} trailing bytes after the record", payload.len() - used),
        });
    }
    Ok(value)
}

/// True if and only if a snapshot record of version 1 was written by the last build of format
/// 2 (commit 58395a3, 2026-12-03), which appended `AccountState::cold_parts` to the state it
/// wrote without raising the record's version: a varint after the state's last field, always
/// 0 since that build kept no cold parts (it had no table for them). The completion of a
/// version-1 record supplies `cold_parts` itself, so such a record decodes with the state's
/// `cold_parts` taken from its own byte and exactly one byte of the completion left over; the
/// record's checksum holds, so the byte was written, not damaged. Any other leftover is an
/// error.
fn cold_parts_of_2026_12_03(kind: RecordKind, version: u8, completed: &[u8], used: usize) -> bool {
    let appended = kind.appended_since(version);
    let own = completed.len() - appended.len();
    kind == RecordKind::Snapshot
        && version == 1
        && used + 1 == completed.len()
        && own > 0
        && completed[own - 1] == 0
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as in zlib and PNG.
///
/// Computed eight bytes at a time ("slicing-by-8": eight tables, each the CRC of a byte
/// followed by 0 to 7 zero bytes), because every record is checksummed when it is written and
/// again when it is read, and the byte-at-a-time loop was a few percent of a payment's cost.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let low = crc ^ u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let high = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        crc = CRC_TABLES[7][(low & 0xFF) as usize]
            ^ CRC_TABLES[6][((low >> 8) & 0xFF) as usize]
            ^ CRC_TABLES[5][((low >> 16) & 0xFF) as usize]
            ^ CRC_TABLES[4][(low >> 24) as usize]
            ^ CRC_TABLES[3][(high & 0xFF) as usize]
            ^ CRC_TABLES[2][((high >> 8) & 0xFF) as usize]
            ^ CRC_TABLES[1][((high >> 16) & 0xFF) as usize]
            ^ CRC_TABLES[0][(high >> 24) as usize];
    }
    for byte in chunks.remainder() {
        crc = CRC_TABLES[0][((crc ^ u32::from(*byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The tables of [`crc32`]: `CRC_TABLES[0]` is the classic byte table, and
/// `CRC_TABLES[k][b]` is the CRC state after byte `b` followed by `k` zero bytes.
const CRC_TABLES: [[u32; 256]; 8] = {
    let mut tables = [[0_u32; 256]; 8];
    let mut index = 0;
    while index < 256 {
        let mut value = index as u32;
        let mut bit = 0;
        while bit < 8 {
            value = if value & 1 == 1 { 0xEDB8_8320 ^ (value >> 1) } else { value >> 1 };
            bit += 1;
        }
        tables[0][index] = value;
        index += 1;
    }
    let mut slice = 1;
    while slice < 8 {
        let mut index = 0;
        while index < 256 {
            let previous = tables[slice - 1][index];
            tables[slice][index] = (previous >> 8) ^ tables[0][(previous & 0xFF) as usize];
            index += 1;
        }
        slice += 1;
    }
    tables
};

#[cfg(test)]
pub(crate) mod tests;
