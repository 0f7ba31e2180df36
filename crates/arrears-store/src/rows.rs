//! The stored rows: the store's own types for every record it writes, and the explicit
//! conversions between them and the core's and engine's types.
//!
//! A record's bytes are the bincode form of a row type of this module, never of a core type, so
//! the core's types can change (a field added, renamed, reordered, a derive changed) without
//! changing a stored byte: the conversion then fails to compile (each one destructures its
//! type field by field, with no `..`), and whoever changed the type decides here whether the
//! stored row changes too, and if it does, bumps the record kind's version
//! ([`crate::RecordKind::version`]) with a golden test. The golden tests of
//! `codec/tests.rs` freeze the rows' bytes.
//!
//! The leaf types own the encodings that no derive gives: [`Day`] and [`Instant`] (integers in
//! the store, strings in format 1 and in human-readable formats), [`DayText`] and
//! [`InstantText`] (strings: the few dates a refusal recorded before dates were integers, kept
//! as written), [`DecimalText`] and [`CurrencyCode`].
//!
//! Rows mirror their type field for field, in the stored order; a row's documentation names the
//! type it stores, whose documentation says what each field means. The engine's command and
//! outcome rows are declared here too ([`command`]); their conversions live with the engine's
//! types, written with the same [`stored!`](crate::stored) macro.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::money::Currency;
use arrears_core::vec_map::VecMap;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod bytes;
pub mod case;
pub mod cash;
pub(crate) mod chunk;
pub mod command;
pub mod credit;
pub mod ledger;
pub mod model;
mod snapshot;
pub mod work;

/// A value with a stored form `R`: the conversion both ways.
///
/// Implemented by the core's and engine's stored types for their row, and by the containers
/// and primitives for theirs. A type may have more than one stored form (a date is a [`Day`]
/// in most rows and a [`DayText`] in a few): the row's field type chooses.
pub trait Stored<R>: Sized {
    /// The stored form.
    fn to_row(&self) -> R;
    /// The value again. Infallible: the row's own decoding validated every leaf.
    fn from_row(row: R) -> Self;
}

/// A type stored as a whole record: its row.
///
/// [`crate::codec::encode_record`] and [`crate::codec::decode_record`] take these.
pub trait Record: Stored<Self::Row> {
    /// The row its record holds.
    type Row: Row;

    /// The row of a record of `kind` that does not decode as [`Record::Row`], for a kind that
    /// was once written in another layout under the same version; `None` for the others.
    fn legacy_row(_kind: crate::RecordKind, _bytes: &[u8]) -> Option<Self::Row> {
        None
    }

    /// Encodes the value as a record of `kind`: the bytes of its row
    /// ([`crate::codec::encode_record`]). A type on a hot path may write the same bytes
    /// without building the row.
    fn encode_value(&self, kind: crate::RecordKind) -> Vec<u8> {
        crate::codec::encode(kind, &self.to_row())
    }

    /// Decodes a record of `kind` into its row, then the row into the value
    /// ([`crate::codec::decode_record`]). A type on a hot path may read the same bytes without
    /// building the row.
    ///
    /// # Errors
    ///
    /// The [`crate::codec::DecodeError`] that says what is wrong.
    fn decode_value(
        kind: crate::RecordKind,
        bytes: &[u8],
    ) -> Result<Self, crate::codec::DecodeError> {
        match crate::codec::decode::<Self::Row>(kind, bytes) {
            Ok(row) => Ok(Self::from_row(row)),
            Err(error) => Self::legacy_row(kind, bytes).map(Self::from_row).ok_or(error),
        }
    }
}

/// A row that is a whole record: what [`crate::codec::encode`] and [`crate::codec::decode`]
/// take. Sealed: only this module's rows (and the store's own records) are rows, so no other
/// type's serde form can become stored bytes.
pub trait Row: Serialize + serde::de::DeserializeOwned + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
}

/// Implements [`Row`] for the rows that are whole records.
macro_rules! rows {
    ($($row:ty),* $(,)?) => {
        $(impl sealed::Sealed for $row {}
        impl Row for $row {})*
    };
}

rows!(
    model::DebtorRow,
    model::AccountRecordRow,
    model::ObligationRow,
    ledger::EventRecordRow,
    Vec<ledger::PostingRow>,
    ledger::JournalEntryRow,
    ledger::SnapshotRow,
    ledger::ColdPartRow,
    ledger::LedgerLogRow,
    case::CollectionCaseRow,
    case::ActionRow,
    case::ContactAttemptRow,
    case::NoteRow,
    case::AuditRecordRow,
    case::AuditEntryRow,
    case::LinkedAuditEntryRow,
    case::CommittedAuditEntryRow,
    work::TeamRow,
    work::AgentRow,
    work::WorkItemRow,
    work::WorkLogEntryRow,
    cash::HeldLineRow,
    cash::RegisteredPayerRow,
    cash::LineMatchRow,
    credit::CreditDecisionRow,
    credit::CreditDecisionWithCallsRow,
    credit::CreditStandingRow,
    credit::CreditReviewRow,
    command::CommandRow,
    command::CommandOutcomeRow,
    crate::IdempotencyRecord,
    crate::PluginEntryRow,
);

/// Implements [`Record`] for types and their rows.
macro_rules! records {
    ($($value:ty => $row:ty),* $(,)?) => {
        $(impl Record for $value {
            type Row = $row;
        })*
    };
}

records!(
    arrears_core::model::Obligation => model::ObligationRow,
    arrears_core::ledger::EventRecord => ledger::EventRecordRow,
    Vec<arrears_core::ledger::Posting> => Vec<ledger::PostingRow>,
    arrears_core::ledger::JournalEntry => ledger::JournalEntryRow,
    arrears_core::ledger::ColdPart => ledger::ColdPartRow,
    crate::LedgerRow => ledger::LedgerLogRow,
    arrears_core::case::Action => case::ActionRow,
    arrears_core::case::ContactAttempt => case::ContactAttemptRow,
    arrears_core::case::Note => case::NoteRow,
    arrears_core::case::AuditRecord => case::AuditRecordRow,
    arrears_core::work::Team => work::TeamRow,
    arrears_core::work::Agent => work::AgentRow,
    arrears_core::work::WorkItem => work::WorkItemRow,
    arrears_core::work::WorkLogEntry => work::WorkLogEntryRow,
    arrears_core::cash::HeldLine => cash::HeldLineRow,
    arrears_core::cash::RegisteredPayer => cash::RegisteredPayerRow,
    arrears_core::cash::LineMatch => cash::LineMatchRow,
    arrears_core::credit::CreditStanding => credit::CreditStandingRow,
    arrears_core::credit::CreditReview => credit::CreditReviewRow,
    crate::IdempotencyRecord => crate::IdempotencyRecord,
    crate::PluginEntryRow => crate::PluginEntryRow,
);

/// The snapshot, read and written by every payment, skips its row (`rows::snapshot` says why).
impl Record for crate::SnapshotRecord {
    type Row = ledger::SnapshotRow;

    fn encode_value(&self, kind: crate::RecordKind) -> Vec<u8> {
        snapshot::encode_state(kind, &self.state, self.ledger_head)
    }

    fn decode_value(
        kind: crate::RecordKind,
        bytes: &[u8],
    ) -> Result<Self, crate::codec::DecodeError> {
        snapshot::decode_state(kind, bytes)
            .map(|(state, ledger_head)| crate::SnapshotRecord { state, ledger_head })
    }
}

/// Encodes an account's snapshot record from its state, borrowed, and its ledger head.
pub(crate) fn encode_snapshot(
    state: &arrears_core::ledger::AccountState,
    ledger_head: u64,
) -> Vec<u8> {
    snapshot::encode_state(crate::RecordKind::Snapshot, state, ledger_head)
}

/// Encodes an account's snapshot record at version 3, as formats 6 to 12 wrote it (for the
/// tests that rewrite a store as an older format wrote it).
#[cfg(any(test, feature = "fault-injection"))]
pub(crate) fn encode_snapshot_version_3(
    state: &arrears_core::ledger::AccountState,
    ledger_head: u64,
) -> Vec<u8> {
    snapshot::encode_version_3(crate::RecordKind::Snapshot, state, ledger_head)
}

/// The ledger head of a snapshot record, without decoding its state (see
/// [`crate::SnapshotRecord::ledger_head`]).
pub(crate) fn decode_snapshot_head(bytes: &[u8]) -> Result<u64, crate::codec::DecodeError> {
    snapshot::decode_head(crate::RecordKind::Snapshot, bytes)
}

/// Implements [`Record`] for a type whose record is also written and read by hand, without
/// building its row, on a hot path: `$encode` writes the bytes serde writes for the row, and
/// `$decode` reads them or answers `None` for anything it does not know (text dates, an older
/// version, anything not in canonical form, damage), which then goes through the row, as it
/// does in [`with_strings`] mode: the row decides the value or the error.
macro_rules! records_by_hand {
    ($($(#[$doc:meta])* $value:ty => $row:ty, $encode:path, $decode:path;)*) => {
        $($(#[$doc])*
        impl Record for $value {
            type Row = $row;

            fn encode_value(&self, kind: crate::RecordKind) -> Vec<u8> {
                if strings_mode() {
                    return crate::codec::encode(kind, &self.to_row());
                }
                $encode(kind, self)
            }

            fn decode_value(
                kind: crate::RecordKind,
                bytes: &[u8],
            ) -> Result<Self, crate::codec::DecodeError> {
                if !strings_mode() {
                    if let Some(value) = $decode(kind, bytes) {
                        return Ok(value);
                    }
                }
                crate::codec::decode::<$row>(kind, bytes).map(Stored::from_row)
            }
        })*
    };
}

records_by_hand!(
    /// The case, read by every payment and every review of the cycle and written back when it
    /// moves (`rows::case::bytes` says why).
    arrears_core::case::CollectionCase => case::CollectionCaseRow, case::bytes::encode,
        case::bytes::decode;
    /// The account, read for every account the daily cycle reviews and by every payment
    /// (`rows::model::bytes` says why).
    crate::AccountRecord => model::AccountRecordRow, model::bytes::encode_account,
        model::bytes::decode_account;
    /// The debtor, read with its account.
    arrears_core::model::Debtor => model::DebtorRow, model::bytes::encode_debtor,
        model::bytes::decode_debtor;
);

/// The audit entry, appended by every command, skips its row on the way in
/// (`rows::case::entry` says why).
///
/// From record version 4 an entry's bytes leave out its previous hash, the hash of the entry
/// before ([`case::LinkedAuditEntryRow`]): the store's audit reads fill it in. Decoded alone,
/// such an entry is complete only if it is the first (its previous hash is zeros); any other
/// is an error that says to read it through the store. From record version 5 (format 10,
/// [`case::CommittedAuditEntryRow`]) both hashes are its commit's: decoded alone, always that
/// error. Encoded, an entry is written whole, at version 4 (an entry appended is written by the
/// store, at version 5).
impl Record for crate::AuditEntry {
    type Row = case::AuditEntryRow;

    fn encode_value(&self, kind: crate::RecordKind) -> Vec<u8> {
        case::encode_audit_entry(kind, self)
    }

    fn decode_value(
        kind: crate::RecordKind,
        bytes: &[u8],
    ) -> Result<Self, crate::codec::DecodeError> {
        let (entry, prev_hash) = case::decode_audit_entry(kind, bytes)?;
        if prev_hash == case::PrevHash::OfCommit {
            return Err(crate::codec::DecodeError::Payload {
                kind: kind.name(),
                reason: format!(
                    "entry {} has its commit's hash (record version {}): read it through the \
                     store's audit reads",
                    entry.record.seq, bytes[0]
                ),
            });
        }
        if prev_hash == case::PrevHash::OfPredecessor && entry.record.seq != 1 {
            return Err(crate::codec::DecodeError::Payload {
                kind: kind.name(),
                reason: format!(
                    "entry {} links to the hash of entry {} (record version {}): read it \
                     through the store's audit reads",
                    entry.record.seq,
                    entry.record.seq - 1,
                    bytes[0]
                ),
            });
        }
        Ok(entry)
    }
}

impl Record for arrears_core::credit::CreditDecision {
    type Row = credit::CreditDecisionRow;

    fn legacy_row(kind: crate::RecordKind, bytes: &[u8]) -> Option<credit::CreditDecisionRow> {
        crate::codec::decode::<credit::CreditDecisionWithCallsRow>(kind, bytes).ok().map(Into::into)
    }
}

/// Implements [`Stored`] for a struct or an enum whose row mirrors it field for field.
///
/// ```text
/// stored!(struct Debtor => DebtorRow { id, name, born });
/// stored!(enum Kind => KindRow { Unit, Tuple(a0, a1), Named { field } });
/// ```
///
/// Both types must be in scope by these names. Each side is destructured without `..`, so a
/// field added to either fails to compile until the conversion says what to do with it.
#[macro_export]
macro_rules! stored {
    (struct $value:ident => $row:ident { $($field:ident),* $(,)? }) => {
        impl $crate::rows::Stored<$row> for $value {
            fn to_row(&self) -> $row {
                let $value { $($field),* } = self;
                $row { $($field: $crate::rows::Stored::to_row($field)),* }
            }

            fn from_row(row: $row) -> Self {
                let $row { $($field),* } = row;
                $value { $($field: $crate::rows::Stored::from_row($field)),* }
            }
        }
    };
    (enum $value:ident => $row:ident {
        $($variant:ident $(($($item:ident),*))? $({$($field:ident),*})?),* $(,)?
    }) => {
        impl $crate::rows::Stored<$row> for $value {
            #[allow(unused_variables)]
            fn to_row(&self) -> $row {
                match self {
                    $($value::$variant $(($($item),*))? $({$($field),*})? => $row::$variant
                        $(($($crate::rows::Stored::to_row($item)),*))?
                        $({$($field: $crate::rows::Stored::to_row($field)),*})?,)*
                }
            }

            #[allow(unused_variables)]
            fn from_row(row: $row) -> Self {
                match row {
                    $($row::$variant $(($($item),*))? $({$($field),*})? => $value::$variant
                        $(($($crate::rows::Stored::from_row($item)),*))?
                        $({$($field: $crate::rows::Stored::from_row($field)),*})?,)*
                }
            }
        }
    };
}

/// Implements [`Stored`] as the identity for types that are their own stored form.
macro_rules! stored_as_itself {
    ($($type:ty),*) => {
        $(impl Stored<$type> for $type {
            fn to_row(&self) -> $type {
                self.clone()
            }

            fn from_row(row: $type) -> Self {
                row
            }
        })*
    };
}

stored_as_itself!(bool, u8, u16, u32, u64, i8, i16, i32, i64, i128, usize, String);

// The store's own records, which hold no type of another crate, are their own rows.
stored_as_itself!(crate::IdempotencyRecord, crate::PluginEntryRow);

/// Implements [`Stored`] for an identifier as its number.
macro_rules! stored_as_number {
    ($($id:ident: $number:ty),*) => {
        $(impl Stored<$number> for $id {
            fn to_row(&self) -> $number {
                self.0
            }

            fn from_row(row: $number) -> Self {
                $id(row)
            }
        })*
    };
}

stored_as_number!(DebtorId: u64, AccountId: u64, ObligationId: u64, EntryId: u64, EventSeq: u32);

impl<T: Stored<R>, R> Stored<Option<R>> for Option<T> {
    fn to_row(&self) -> Option<R> {
        self.as_ref().map(T::to_row)
    }

    fn from_row(row: Option<R>) -> Self {
        row.map(T::from_row)
    }
}

impl<T: Stored<R>, R> Stored<Vec<R>> for Vec<T> {
    fn to_row(&self) -> Vec<R> {
        self.iter().map(T::to_row).collect()
    }

    fn from_row(row: Vec<R>) -> Self {
        row.into_iter().map(T::from_row).collect()
    }
}

impl<T: Stored<R>, R> Stored<VecDeque<R>> for VecDeque<T> {
    fn to_row(&self) -> VecDeque<R> {
        self.iter().map(T::to_row).collect()
    }

    fn from_row(row: VecDeque<R>) -> Self {
        row.into_iter().map(T::from_row).collect()
    }
}

impl<T: Stored<R> + Ord, R: Ord> Stored<BTreeSet<R>> for BTreeSet<T> {
    fn to_row(&self) -> BTreeSet<R> {
        self.iter().map(T::to_row).collect()
    }

    fn from_row(row: BTreeSet<R>) -> Self {
        row.into_iter().map(T::from_row).collect()
    }
}

impl<K: Stored<KR> + Ord, V: Stored<VR>, KR: Ord, VR> Stored<BTreeMap<KR, VR>> for BTreeMap<K, V> {
    fn to_row(&self) -> BTreeMap<KR, VR> {
        self.iter().map(|(key, value)| (key.to_row(), value.to_row())).collect()
    }

    fn from_row(row: BTreeMap<KR, VR>) -> Self {
        row.into_iter().map(|(key, value)| (K::from_row(key), V::from_row(value))).collect()
    }
}

/// A map as a row: its pairs in key order. bincode writes a map and a sequence of pairs alike
/// (a length, then each key and value), so the bytes are a map's; converting a map to a
/// vector and back costs one allocation and a bulk build instead of a tree built node by node
/// (the account snapshot, read and written by every payment, holds four maps).
pub type MapRow<K, V> = Vec<(K, V)>;

impl<K: Stored<KR> + Ord, V: Stored<VR>, KR, VR> Stored<MapRow<KR, VR>> for BTreeMap<K, V> {
    fn to_row(&self) -> MapRow<KR, VR> {
        self.iter().map(|(key, value)| (key.to_row(), value.to_row())).collect()
    }

    fn from_row(row: MapRow<KR, VR>) -> Self {
        row.into_iter().map(|(key, value)| (K::from_row(key), V::from_row(value))).collect()
    }
}

impl<K: Stored<KR> + Ord, V: Stored<VR>, KR, VR, const N: usize> Stored<MapRow<KR, VR>>
    for VecMap<K, V, N>
{
    fn to_row(&self) -> MapRow<KR, VR> {
        self.iter().map(|(key, value)| (key.to_row(), value.to_row())).collect()
    }

    fn from_row(row: MapRow<KR, VR>) -> Self {
        row.into_iter().map(|(key, value)| (K::from_row(key), V::from_row(value))).collect()
    }
}

impl<T: Stored<R>, R, const N: usize> Stored<[R; N]> for [T; N] {
    fn to_row(&self) -> [R; N] {
        std::array::from_fn(|index| self[index].to_row())
    }

    fn from_row(row: [R; N]) -> Self {
        row.map(T::from_row)
    }
}

impl<A: Stored<RA>, B: Stored<RB>, RA, RB> Stored<(RA, RB)> for (A, B) {
    fn to_row(&self) -> (RA, RB) {
        (self.0.to_row(), self.1.to_row())
    }

    fn from_row(row: (RA, RB)) -> Self {
        (A::from_row(row.0), B::from_row(row.1))
    }
}

impl<A: Stored<RA>, B: Stored<RB>, C: Stored<RC>, RA, RB, RC> Stored<(RA, RB, RC)> for (A, B, C) {
    fn to_row(&self) -> (RA, RB, RC) {
        (self.0.to_row(), self.1.to_row(), self.2.to_row())
    }

    fn from_row(row: (RA, RB, RC)) -> Self {
        (A::from_row(row.0), B::from_row(row.1), C::from_row(row.2))
    }
}

thread_local! {
    static STRINGS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `code` with [`Day`]s and [`Instant`]s read and written as strings (the format-1 form):
/// for decoding format-1 records, and for the audit hash, which is over the format-1 form so
/// that the chain verifies whichever version wrote each record.
pub fn with_strings<R>(code: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            STRINGS.with(|strings| strings.set(self.0));
        }
    }
    let _restore = Restore(STRINGS.with(|strings| strings.replace(true)));
    code()
}

/// Returns true if and only if dates and instants are read and written as text here
/// ([`with_strings`]): the records written by hand know only numbers, so serde does them.
fn strings_mode() -> bool {
    STRINGS.with(Cell::get)
}

fn reads_strings<'de, D: Deserializer<'de>>(deserializer: &D) -> bool {
    deserializer.is_human_readable() || strings_mode()
}

fn writes_strings<S: Serializer>(serializer: &S) -> bool {
    serializer.is_human_readable() || strings_mode()
}

/// Reads a string and parses it with `parse`, borrowing the text from the record's bytes where
/// the deserializer can (bincode over a slice can), so that a leaf stored as text (a decimal, a
/// currency code) costs no allocation to read. `expected` names the value for serde's message
/// when the input is not a string at all.
fn parse_text<'de, D, T>(
    deserializer: D,
    expected: &'static str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct TextVisitor<F> {
        expected: &'static str,
        parse: F,
    }

    impl<T, F: FnOnce(&str) -> Result<T, String>> serde::de::Visitor<'_> for TextVisitor<F> {
        type Value = T;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(formatter, "{} as text", self.expected)
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
            (self.parse)(text).map_err(E::custom)
        }
    }

    deserializer.deserialize_str(TextVisitor { expected, parse })
}

/// Serializes `value`'s text as a string, formatted on the stack rather than into a `String`
/// (what `Serializer::collect_str` does by default): the same bytes, one allocation fewer for
/// each decimal and date written as text. A text longer than the buffer takes the default way.
fn serialize_display<S: Serializer>(
    serializer: S,
    value: &impl std::fmt::Display,
) -> Result<S::Ok, S::Error> {
    use std::fmt::Write as _;

    /// Longer than any decimal (at most 29 digits, a sign and a point) or date written here.
    const TEXT_LEN_MAX: usize = 64;

    struct StackText {
        bytes: [u8; TEXT_LEN_MAX],
        len: usize,
    }

    impl std::fmt::Write for StackText {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            let end = self.len + text.len();
            let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            slot.copy_from_slice(text.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    let mut text = StackText { bytes: [0; TEXT_LEN_MAX], len: 0 };
    if write!(text, "{value}").is_ok() {
        // Whole `str`s were copied in, so the bytes are UTF-8.
        if let Ok(text) = std::str::from_utf8(&text.bytes[..text.len]) {
            return serializer.serialize_str(text);
        }
    }
    serializer.collect_str(value)
}

/// A date, stored as its day number (chrono's `num_days_from_ce`: 0001-01-01 is day 1), or as
/// an ISO string (`2026-03-05`) in format-1 records and human-readable formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub NaiveDate);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if writes_strings(&serializer) {
            DayText(self.0).serialize(serializer)
        } else {
            serializer.serialize_i32(self.0.num_days_from_ce())
        }
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        if reads_strings(&deserializer) {
            return DayText::deserialize(deserializer).map(|text| Day(text.0));
        }
        let days = i32::deserialize(deserializer)?;
        NaiveDate::from_num_days_from_ce_opt(days)
            .map(Day)
            .ok_or_else(|| serde::de::Error::custom(format!("day number {days} is not a date")))
    }
}

impl Stored<Day> for NaiveDate {
    fn to_row(&self) -> Day {
        Day(*self)
    }

    fn from_row(row: Day) -> Self {
        row.0
    }
}

/// A date stored as an ISO string (`2026-03-05`) in every form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayText(pub NaiveDate);

impl Serialize for DayText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_display(serializer, &self.0.format("%Y-%m-%d"))
    }
}

impl<'de> Deserialize<'de> for DayText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DayText, D::Error> {
        parse_text(deserializer, "a date", |text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(DayText)
                .map_err(|error| format!("{text:?} is not a date: {error}"))
        })
    }
}

impl Stored<DayText> for NaiveDate {
    fn to_row(&self) -> DayText {
        DayText(*self)
    }

    fn from_row(row: DayText) -> Self {
        row.0
    }
}

/// An instant, stored as `(seconds since 1970-01-01T00:00:00Z, nanoseconds)`, exact for every
/// `DateTime<Utc>` (a leap second has nanoseconds of 1e9 or more), or as an RFC 3339 string in
/// format-1 records and human-readable formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub DateTime<Utc>);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if writes_strings(&serializer) {
            InstantText(self.0).serialize(serializer)
        } else {
            (self.0.timestamp(), self.0.timestamp_subsec_nanos()).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Instant, D::Error> {
        if reads_strings(&deserializer) {
            return InstantText::deserialize(deserializer).map(|text| Instant(text.0));
        }
        let (seconds, nanos) = <(i64, u32)>::deserialize(deserializer)?;
        DateTime::from_timestamp(seconds, nanos).map(Instant).ok_or_else(|| {
            serde::de::Error::custom(format!("{seconds} s {nanos} ns is not an instant"))
        })
    }
}

impl Stored<Instant> for DateTime<Utc> {
    fn to_row(&self) -> Instant {
        Instant(*self)
    }

    fn from_row(row: Instant) -> Self {
        row.0
    }
}

/// An instant stored as an RFC 3339 string in every form, with `Z` for UTC and as many
/// fractional digits as it has (`2026-03-05T10:00:00Z`, `2026-03-05T10:00:00.250Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstantText(pub DateTime<Utc>);

impl Serialize for InstantText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The text is a `String` already: written as is, not copied into another.
        serializer.serialize_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl<'de> Deserialize<'de> for InstantText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<InstantText, D::Error> {
        parse_text(deserializer, "an instant", |text| {
            DateTime::parse_from_rfc3339(text)
                .map(|instant| InstantText(instant.with_timezone(&Utc)))
                .map_err(|error| format!("{text:?} is not an instant: {error}"))
        })
    }
}

impl Stored<InstantText> for DateTime<Utc> {
    fn to_row(&self) -> InstantText {
        InstantText(*self)
    }

    fn from_row(row: InstantText) -> Self {
        row.0
    }
}

/// A decimal stored as its text (`0.25`, `100.00`: the scale is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DecimalText(pub Decimal);

impl Serialize for DecimalText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(DecimalDigits::of(self.0).text())
    }
}

/// A decimal's text as `Decimal`'s `Display` writes it (`-`, the digits with the point
/// `scale` digits from the end, a `0` before a leading point, `0` for no digit), written without
/// the formatting machinery: every payment's command and its journal record carry an amount,
/// and `write!` was more than half of the command's encoding (callgrind, `profile_payments`).
/// The tests compare it with `Display` over arbitrary decimals.
pub(crate) struct DecimalDigits {
    /// The text, at the end of the buffer (written from its last digit back).
    bytes: [u8; DecimalDigits::LEN_MAX],
    start: usize,
}

impl DecimalDigits {
    /// A sign, 29 digits (a 96-bit mantissa), a point and a leading zero, with room to spare.
    const LEN_MAX: usize = 40;

    pub(crate) fn of(value: Decimal) -> DecimalDigits {
        let mut digits = DecimalDigits { bytes: [0; DecimalDigits::LEN_MAX], start: Self::LEN_MAX };
        let scale = value.scale() as usize;
        let mut mantissa = value.mantissa().unsigned_abs();
        let mut written = 0;
        // Digits from the last; past the mantissa's, zeros up to the scale, then the point
        // and a zero before it when nothing whole is left.
        while mantissa != 0 || written < scale {
            if written == scale && scale > 0 {
                digits.push(b'.');
            }
            let digit = if mantissa == 0 {
                0
            } else if let Ok(narrow) = u64::try_from(mantissa) {
                mantissa = u128::from(narrow / 10);
                (narrow % 10) as u8
            } else {
                let digit = (mantissa % 10) as u8;
                mantissa /= 10;
                digit
            };
            digits.push(b'0' + digit);
            written += 1;
        }
        if written == scale {
            // No whole digit: `0`, or `0.` before the fraction.
            if scale > 0 {
                digits.push(b'.');
            }
            digits.push(b'0');
        }
        if value.is_sign_negative() {
            digits.push(b'-');
        }
        digits
    }

    fn push(&mut self, byte: u8) {
        self.start -= 1;
        self.bytes[self.start] = byte;
    }

    pub(crate) fn text(&self) -> &str {
        // Only ASCII digits, a point and a sign were written.
        std::str::from_utf8(&self.bytes[self.start..]).unwrap_or_else(|_| unreachable!("ASCII"))
    }
}

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DecimalText, D::Error> {
        parse_text(deserializer, "a decimal", |text| {
            text.parse::<Decimal>()
                .map(DecimalText)
                .map_err(|error| format!("{text:?} is not a decimal: {error}"))
        })
    }
}

impl Stored<DecimalText> for Decimal {
    fn to_row(&self) -> DecimalText {
        DecimalText(*self)
    }

    fn from_row(row: DecimalText) -> Self {
        row.0
    }
}

/// A currency stored as its ISO 4217 code (`USD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurrencyCode(pub Currency);

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.code())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CurrencyCode, D::Error> {
        parse_text(deserializer, "a currency code", |text| {
            Currency::from_code(text).map(CurrencyCode).map_err(|error| error.to_string())
        })
    }
}

impl Stored<CurrencyCode> for Currency {
    fn to_row(&self) -> CurrencyCode {
        CurrencyCode(*self)
    }

    fn from_row(row: CurrencyCode) -> Self {
        row.0
    }
}

#[cfg(test)]
mod strategies;
#[cfg(test)]
mod tests;
