//! The stored audit entry written by hand: bincode's standard form of [`LinkedAuditEntryRow`]
//! (record version 4: no previous hash) spelled out, for the entry every command appends.
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
//! [`crate::rows::bytes`]; the fields are [`LinkedAuditEntryRow`]'s, in their order.

#[cfg(doc)]
use arrears_core::case::AuditKind;
use arrears_core::case::AuditRecord;

#[cfg(doc)]
use super::LinkedAuditEntryRow;
use crate::codec::RecordKind;
#[cfg(doc)]
use crate::codec::RECORD_LEN_MAX;
use crate::rows::bytes::Out;
use chrono::{DateTime, NaiveDate, Utc};

use super::audit_kind::{write_kind, KindWriter};
use crate::{AuditEntry, IdempotencyRecord};

/// The audit entry record of `entry` (version byte, payload, CRC-32), as `codec::encode` of its
/// [`LinkedAuditEntryRow`] writes it.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(super) fn encode(kind: RecordKind, entry: &AuditEntry) -> Vec<u8> {
    crate::rows::bytes::encode(kind, |out| out.audit_entry(entry))
}

impl Out {
    fn audit_entry(&mut self, entry: &AuditEntry) {
        // Destructured without `..`: a field added to the entry or the record fails to compile
        // here, as it does in the row's conversion.
        let AuditEntry { record, hash, replay } = entry;
        // The previous hash is not written (record version 4, `LinkedAuditEntryRow`): it is
        // the hash of the entry before.
        let AuditRecord { seq, recorded_at, account, kind, prev_hash: _ } = record;
        self.unsigned(*seq);
        self.instant(*recorded_at);
        self.flag(account.is_some());
        if let Some(account) = account {
            self.unsigned(account.0);
        }
        write_kind(self, kind);
        self.array(hash);
        self.flag(replay.is_some());
        if let Some(IdempotencyRecord { command, result }) = replay {
            self.byte_seq(command);
            self.byte_seq(result);
        }
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
