//! The stored audit entry written by hand: bincode's standard form of [`AuditEntryRow`]
//! spelled out, for the entry every command appends. Through the row it cost a copy of every
//! string of the record and of the replay's two byte vectors, then serde's generic machinery:
//! about 3,300 instructions a payment, some 3% of one.
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
//! [`crate::rows::bytes`]; the fields are [`AuditEntryRow`]'s and [`AuditRecordRow`]'s, in
//! their order.

use arrears_core::case::{AuditKind, AuditRecord};

#[cfg(doc)]
use super::{AuditEntryRow, AuditRecordRow};
use crate::codec::RecordKind;
#[cfg(doc)]
use crate::codec::RECORD_LEN_MAX;
use crate::rows::bytes::Out;
use crate::rows::Stored;
use crate::{AuditEntry, IdempotencyRecord};

/// The audit entry record of `entry` (version byte, payload, CRC-32), as `codec::encode` of its
/// row writes it.
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
        let AuditRecord { seq, recorded_at, account, kind, prev_hash } = record;
        self.unsigned(*seq);
        self.instant(*recorded_at);
        self.flag(account.is_some());
        if let Some(account) = account {
            self.unsigned(account.0);
        }
        self.audit_kind(kind);
        self.array(prev_hash);
        self.array(hash);
        self.flag(replay.is_some());
        if let Some(IdempotencyRecord { command, result }) = replay {
            self.byte_seq(command);
            self.byte_seq(result);
        }
    }

    /// `AuditKindRow`: its variant's index (in the row's order), then the variant's fields.
    fn audit_kind(&mut self, kind: &AuditKind) {
        match kind {
            AuditKind::Command { name, key } => {
                self.variant(0);
                self.text(name);
                self.text(key);
            }
            AuditKind::Transition { event, from, to, on } => {
                self.variant(1);
                self.text(event);
                self.text(from);
                self.text(to);
                self.day(*on);
            }
            AuditKind::Cycle { as_of, reviewed, actions } => {
                self.variant(2);
                self.day(*as_of);
                self.unsigned(*reviewed);
                self.unsigned(*actions);
            }
            AuditKind::ContactBlocked { debtor, channel, template, rule, next_allowed_at } => {
                self.variant(3);
                self.unsigned(debtor.0);
                self.variant(channel.to_row() as u32);
                self.text(template);
                self.text(rule);
                self.option_instant(*next_allowed_at);
            }
            AuditKind::ComponentFailed { arm, component, name, accounts, error } => {
                self.variant(4);
                self.text(arm);
                self.text(component);
                self.text(name);
                self.unsigned(*accounts);
                self.text(error);
            }
            AuditKind::CommandExecuted { name, key, content } => {
                self.variant(5);
                self.text(name);
                self.text(key);
                self.array(content);
            }
            AuditKind::PluginAdded { name, entry } => {
                self.variant(6);
                self.text(name);
                self.array(entry);
            }
            AuditKind::PluginRemoved { name, entry } => {
                self.variant(7);
                self.text(name);
                self.array(entry);
            }
        }
    }
}

#[cfg(test)]
mod tests;
