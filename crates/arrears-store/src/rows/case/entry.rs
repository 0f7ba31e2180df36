//! The stored audit entry written by hand: bincode's standard form of [`CommittedAuditEntryRow`]
//! (record version 5: no hash of its own) spelled out, for the entry every command appends, and
//! of [`LinkedAuditEntryRow`] (record version 4: its hash, no previous hash), for an entry
//! rewritten whole.
//! Through the row it cost a copy of every string of the record and of the replay's two byte
//! vectors, then serde's generic machinery: about 3,300 instructions a payment, some 3% of
//! one.
//!
//! Every field and every [`AuditKind`] variant is written, and the replay whether `None` or
//! `Some`; there is no fallback for any value. In `rows::with_strings` mode (instants as
//! text, format 1) the caller goes to serde without asking this module. Only the writer is
//! hand-written: an entry is read back on a retried idempotency key, by verification and by
//! the change feed, none of them once a payment, so reading stays with serde through the row.
//! The tests compare the two writers over arbitrary entries, and the golden tests of
//! `codec/tests.rs` freeze the bytes.
//!
//! This is the current version's form, not the format-1 bytes the audit hash is taken over
//! (`rows::case::audit`): here a date is its day number and an instant its seconds and
//! nanoseconds (`crate::rows::Day`, `crate::rows::Instant`). The form of each leaf is in
//! [`crate::rows::bytes`]; the fields are the rows', in their order.

#[cfg(doc)]
use arrears_core::case::AuditKind;
use arrears_core::case::AuditRecord;

#[cfg(doc)]
use super::{CommittedAuditEntryRow, LinkedAuditEntryRow};
use super::{AUDIT_COMMITTED_VERSION, AUDIT_LINKED_VERSION};
use crate::codec::RecordKind;
#[cfg(doc)]
use crate::codec::RECORD_LEN_MAX;
use crate::rows::bytes::Out;
use chrono::{DateTime, NaiveDate, Utc};

use super::audit_kind::{write_kind, KindWriter};
use crate::{AuditEntry, IdempotencyRecord};

/// The audit entry record of `entry` at record version 4 (version byte, payload, CRC-32), as
/// `codec::encode` of its [`LinkedAuditEntryRow`] writes it: the form of an entry rewritten
/// whole, which keeps its own hash.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(super) fn encode_linked(kind: RecordKind, entry: &AuditEntry) -> Vec<u8> {
    let AuditEntry { record, hash, replay } = entry;
    crate::rows::bytes::encode_at(kind, AUDIT_LINKED_VERSION, |out| {
        out.audit_entry(record, Some(hash), replay.as_ref());
    })
}

/// The audit entry record of `record` and `replay` at record version 5 (format 10), as
/// `codec::encode` of its [`CommittedAuditEntryRow`] writes it: the form of an entry appended,
/// whose hash is its commit's, kept once, in the commit's last entry.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(super) fn encode_committed(
    kind: RecordKind,
    record: &AuditRecord,
    replay: Option<&IdempotencyRecord>,
) -> (Vec<u8>, usize) {
    let mut hash_at = 0;
    let bytes = crate::rows::bytes::encode_at(kind, AUDIT_COMMITTED_VERSION, |out| {
        hash_at = out.audit_entry(record, None, replay);
    });
    (bytes, hash_at)
}

/// The record of version 4 ([`encode_linked`]) of the entry whose record of version 5
/// ([`encode_committed`]) is `committed`, with `hash`: the same fields with the hash at
/// `hash_at`, where [`encode_committed`] said it goes, without decoding the entry.
pub(super) fn seal(committed: &[u8], hash_at: usize, hash: &[u8; 32]) -> Vec<u8> {
    debug_assert_eq!(committed.first(), Some(&AUDIT_COMMITTED_VERSION));
    let body_end = committed.len() - 4;
    let mut bytes = Vec::with_capacity(committed.len() + hash.len());
    bytes.push(AUDIT_LINKED_VERSION);
    bytes.extend_from_slice(&committed[1..hash_at]);
    bytes.extend_from_slice(hash);
    bytes.extend_from_slice(&committed[hash_at..body_end]);
    let checksum = crate::codec::crc32(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

impl Out {
    /// The fields of [`LinkedAuditEntryRow`] (with `hash`) or of [`CommittedAuditEntryRow`]
    /// (without), in their order. Returns the offset, in the record, where the hash is or
    /// would be.
    fn audit_entry(
        &mut self,
        record: &AuditRecord,
        hash: Option<&[u8; 32]>,
        replay: Option<&IdempotencyRecord>,
    ) -> usize {
        // Destructured without `..`: a field added to the record fails to compile here, as it
        // does in the row's conversion. The previous hash is not written (record versions 4
        // and 5): it is the hash of the entry before, or of the commit before.
        let AuditRecord { seq, recorded_at, account, kind, prev_hash: _ } = record;
        self.unsigned(*seq);
        self.instant(*recorded_at);
        self.flag(account.is_some());
        if let Some(account) = account {
            self.unsigned(account.0);
        }
        write_kind(self, kind);
        let hash_at = self.buffer().len();
        if let Some(hash) = hash {
            self.array(hash);
        }
        self.flag(replay.is_some());
        if let Some(IdempotencyRecord { command, result }) = replay {
            self.byte_seq(command);
            self.byte_seq(result);
        }
        hash_at
    }
}

impl KindWriter for Out {
    fn buffer(&mut self) -> &mut Vec<u8> {
        Out::buffer(self)
    }

    fn day(&mut self, day: NaiveDate) {
        Out::day(self, day);
    }

    fn option_instant(&mut self, instant: Option<DateTime<Utc>>) {
        Out::option_instant(self, instant);
    }
}

#[cfg(test)]
mod tests;
