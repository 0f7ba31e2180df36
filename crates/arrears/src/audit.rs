//! The append-only, hash-chained audit log: every command and every state transition.
//!
//! The chain is a sequence of groups of records, each hashed once: SHA-256 over the previous
//! group's hash and each record's canonical encoding (which itself carries the previous hash),
//! so editing, removing or reordering any record breaks every hash after it. Up to format 9
//! every record was a group of its own; from format 10 a group is what one commit appended,
//! hashed at commit by the store (`arrears_store::chain`). `verify` recomputes the chain.

use std::borrow::Cow;
use std::collections::BTreeMap;

use arrears_core::ledger::EntryKind;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use arrears_core::case::AuditKind;
use arrears_core::ids::{AccountId, EventSeq};
use arrears_store::chain::group_hash;
use arrears_store::codec::encode_record;
use arrears_store::{
    AuditEntry, IdempotencyRecord, LedgerRow, Reads, RecordKind, StorageError, WriteTxn,
};

use crate::command::{Outcome, Posted};

/// Appends a record to the log.
pub(crate) fn append(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    kind: AuditKind,
) -> Result<(), StorageError> {
    txn.append_audit(now, account, kind, None).map(drop)
}

/// Appends a command's record to the log, with what its idempotency key replays: the store
/// points the key at this entry (format 5: the command log and the idempotency records are
/// one append-only table). `kind` is the command's `CommandExecuted`, whose content digest
/// covers `replay`.
pub(crate) fn append_command(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    kind: AuditKind,
    replay: IdempotencyRecord,
) -> Result<(), StorageError> {
    txn.append_audit(now, account, kind, Some(replay)).map(drop)
}

/// The first byte of a command's recorded result kept as a pointer to its ledger row (format
/// 13): a value no outcome record's version byte takes (they count from 1 and are below 16), so
/// a reader that does not know the form refuses it as a record of an unknown version. Then, as
/// LEB128 varints, the row's log sequence, its account and its event's sequence.
const ROW_POINTER: u8 = 0xC1;

/// Where a recorded result points: the ledger row at log sequence `row`, which recorded event
/// `event` of `account`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowPointer {
    pub(crate) row: u64,
    pub(crate) account: AccountId,
    pub(crate) event: EventSeq,
}

/// The recorded result of a command whose `Posted` outcome [`posted_from_row`] rebuilds from
/// the ledger row `pointer` names: about 8 bytes instead of the outcome's record (about 50 for
/// a payment, more with a long allocation trace).
pub(crate) fn row_pointer(pointer: RowPointer) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16);
    bytes.push(ROW_POINTER);
    for mut value in [pointer.row, pointer.account.0, u64::from(pointer.event.0)] {
        while value >= 0x80 {
            bytes.push(value as u8 | 0x80);
            value >>= 7;
        }
        bytes.push(value as u8);
    }
    bytes
}

/// The row a recorded result points at, if it is a pointer ([`row_pointer`]); `Some(None)` for
/// bytes that begin as one but do not parse.
pub(crate) fn pointed_row(result: &[u8]) -> Option<Option<RowPointer>> {
    let [ROW_POINTER, rest @ ..] = result else { return None };
    let mut values = [0_u64; 3];
    let mut rest = rest;
    for value in &mut values {
        let mut shift = 0;
        loop {
            let Some((&byte, after)) = rest.split_first() else { return Some(None) };
            rest = after;
            if shift > 63 || (shift == 63 && byte > 1) {
                return Some(None);
            }
            *value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
    }
    let [row, account, event] = values;
    let pointer = u32::try_from(event).ok().map(|event| RowPointer {
        row,
        account: AccountId(account),
        event: EventSeq(event),
    });
    Some(pointer.filter(|_| rest.is_empty()))
}

/// The outcome of the command that appended `row`, rebuilt from the row alone: its account and
/// event, no obligation, the event's own entry (the `original` entry of the row's event) and
/// its postings, and the row's other entries as corrections. `ledger_write::write_command`
/// keeps a pointer to the row only when this is exactly what the command returned.
pub(crate) fn posted_from_row(row: &LedgerRow) -> Posted {
    let event = row.event.event.seq;
    let (mut entry, mut postings, mut corrections) = (None, Vec::new(), Vec::new());
    for written in &row.entries {
        if written.event == event && written.kind == EntryKind::Original && entry.is_none() {
            entry = Some(written.id);
            postings.clone_from(&written.postings);
        } else {
            corrections.push(written.id);
        }
    }
    Posted { account: row.account, event, obligation: None, entry, postings, corrections }
}

/// The ledger rows the pointers among `results` reach by their log sequences, read in one
/// range (for the change feed's page and `verify`, which resolve many at once).
pub(crate) fn pointed_rows<'a>(
    reads: &impl Reads,
    results: impl IntoIterator<Item = &'a [u8]>,
) -> Result<BTreeMap<u64, LedgerRow>, StorageError> {
    let seqs: Vec<u64> = results
        .into_iter()
        .filter_map(|result| pointed_row(result).flatten().map(|pointer| pointer.row))
        .collect();
    let (Some(&first), Some(&last)) = (seqs.iter().min(), seqs.iter().max()) else {
        return Ok(BTreeMap::new());
    };
    Ok(reads.ledger_range(first, last)?.into_iter().collect())
}

/// The outcome record of a command recorded under `key` whose recorded result is `result`:
/// the result itself, or the record of the outcome [`rebuilt_outcome`] rebuilds (for `verify`,
/// which checks the content digest over it).
pub(crate) fn outcome_bytes_among<'r>(
    reads: &impl Reads,
    rows: &BTreeMap<u64, LedgerRow>,
    key: &str,
    result: &'r [u8],
) -> Result<Cow<'r, [u8]>, StorageError> {
    Ok(match rebuilt_outcome(reads, rows, key, result)? {
        None => Cow::Borrowed(result),
        Some(outcome) => Cow::Owned(encode_record(RecordKind::Outcome, &outcome)),
    })
}

/// The outcome a recorded result that is a pointer rebuilds to, or `None` for a result that is
/// the outcome's record itself. `rows` are rows read already ([`pointed_rows`]), looked in
/// first.
///
/// The row is the one at the pointer's log sequence if that row recorded the pointer's event
/// of its account; else (a store whose ledger moved into the log after the pointer was written:
/// only the tests' rewrites of a store as format 2 do that) the row of that event found on the
/// account's chain. A pointer that parses not, or whose event is missing, or whose row another
/// command (another key) appended, is damage, reported on the idempotency record.
pub(crate) fn rebuilt_outcome(
    reads: &impl Reads,
    rows: &BTreeMap<u64, LedgerRow>,
    key: &str,
    result: &[u8],
) -> Result<Option<Outcome>, StorageError> {
    let Some(pointer) = pointed_row(result) else { return Ok(None) };
    let damaged = |reason: String| StorageError::Corrupted {
        table: "idempotency",
        key: format!("{key:?}"),
        reason: arrears_store::codec::DecodeError::Payload { kind: "outcome", reason },
    };
    let pointer = pointer
        .ok_or_else(|| damaged("a pointer to a ledger row that does not parse".to_owned()))?;
    let RowPointer { row: seq, account, event } = pointer;
    let recorded = |row: &LedgerRow| row.account == account && row.event.event.seq == event;
    let fetched;
    let row = match rows.get(&seq) {
        Some(row) if recorded(row) => row,
        _ => {
            fetched = match reads.ledger_row(seq)? {
                Some(row) if recorded(&row) => row,
                _ => reads
                    .ledger_rows(account)?
                    .into_iter()
                    .map(|(_, row)| row)
                    .find(|row| recorded(row))
                    .ok_or_else(|| {
                        damaged(format!(
                            "points at {account} #{} (ledger row {seq}), which is missing",
                            event.0
                        ))
                    })?,
            };
            &fetched
        }
    };
    if row.event.key != key {
        return Err(damaged(format!(
            "points at {account} #{} (ledger row {seq}), another command's",
            event.0
        )));
    }
    Ok(Some(Outcome::Posted(posted_from_row(row))))
}

/// SHA-256 over an idempotency record's content: the command's length (8 bytes, little-endian),
/// the command's bytes, the outcome's bytes (what `AuditKind::CommandExecuted` holds).
pub(crate) fn content_digest(command: &[u8], result: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((command.len() as u64).to_le_bytes());
    hasher.update(command);
    hasher.update(result);
    hasher.finalize().into()
}

/// Problems with the chain: `(seq, what is wrong)`.
///
/// The groups of the chain are runs of consecutive entries with the same hash (a commit's,
/// from format 10; one entry each before): every entry of a group must link to the hash of the
/// group before, and the group's hash must be the hash of its records after it.
pub(crate) fn check_chain(entries: &[AuditEntry]) -> Vec<(u64, String)> {
    let mut problems = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        let expected_seq = position as u64 + 1;
        if entry.record.seq != expected_seq {
            problems.push((
                entry.record.seq,
                format!("sequence {} where {expected_seq} was expected", entry.record.seq),
            ));
        }
    }
    let mut prev_hash = [0_u8; 32];
    for group in entries.chunk_by(|one, next| one.hash == next.hash) {
        let first = &group[0];
        let last = &group[group.len() - 1];
        if let Some(entry) = group.iter().find(|entry| entry.record.prev_hash != prev_hash) {
            problems.push((entry.record.seq, "previous-hash link broken".to_owned()));
        }
        if group_hash(&prev_hash, group.iter().map(|entry| &entry.record)) != first.hash {
            let what = if group.len() == 1 {
                "hash does not match the record".to_owned()
            } else {
                format!(
                    "hash does not match the records of its commit ({} to {})",
                    first.record.seq, last.record.seq
                )
            };
            problems.push((last.record.seq, what));
        }
        prev_hash = first.hash;
    }
    problems
}

/// A point of the audit chain to anchor outside the store (a log, a notary, a ticket): the
/// sequence of a record and its hash. Written `HASH@SEQ`, the hash in 64 lowercase hex digits.
/// A store that still holds the record `seq` with that hash extends the anchored chain: nothing
/// before it was changed, removed or reordered (`Arrears::check_anchor`).
///
/// # Example
///
/// ```
/// let anchor: arrears::AuditAnchor = format!("{}@42", "ab".repeat(32)).parse()?;
/// assert_eq!(anchor.seq, 42);
/// assert_eq!(anchor.to_string(), format!("{}@42", "ab".repeat(32)));
/// assert!("abc@1".parse::<arrears::AuditAnchor>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditAnchor {
    /// The record's sequence number, from 1.
    pub seq: u64,
    /// The record's hash.
    pub hash: [u8; 32],
}

impl std::fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for byte in self.hash {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "@{}", self.seq)
    }
}

/// Why a text is not an anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an audit anchor is HASH@SEQ (64 hex digits, then a sequence number from 1): {text:?}")]
pub struct AnchorParseError {
    /// The text given.
    pub text: String,
}

impl std::str::FromStr for AuditAnchor {
    type Err = AnchorParseError;

    fn from_str(text: &str) -> Result<AuditAnchor, AnchorParseError> {
        let error = || AnchorParseError { text: text.to_owned() };
        let (hex, seq) = text.split_once('@').ok_or_else(error)?;
        let seq: u64 = seq.parse().map_err(|_| error())?;
        if hex.len() != 64 || seq == 0 || !hex.is_ascii() {
            return Err(error());
        }
        let mut hash = [0_u8; 32];
        for (index, byte) in hash.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[index * 2..index * 2 + 2], 16).map_err(|_| error())?;
        }
        Ok(AuditAnchor { seq, hash })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A pointer reads back as written, whatever its numbers; a pointer cut short or with
        /// a byte more is refused as one, and a record's bytes are no pointer.
        #[test]
        fn a_row_pointer_reads_back_and_a_damaged_one_is_refused(
            row in any::<u64>(),
            account in any::<u64>(),
            event in any::<u32>(),
            version in 1_u8..16,
        ) {
            let pointer = RowPointer { row, account: AccountId(account), event: EventSeq(event) };
            let bytes = row_pointer(pointer);
            prop_assert_eq!(pointed_row(&bytes), Some(Some(pointer)));
            for cut in 1..bytes.len() {
                prop_assert_eq!(pointed_row(&bytes[..cut]), Some(None));
            }
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert_eq!(pointed_row(&longer), Some(None));
            let mut record = bytes;
            record[0] = version;
            prop_assert_eq!(pointed_row(&record), None);
        }
    }
}
