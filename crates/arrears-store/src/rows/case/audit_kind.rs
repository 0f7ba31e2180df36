//! An audit record's kind, `AuditKindRow`, written by hand: its variant's index (in the row's
//! order), then the variant's fields. The hash's format-1 bytes (`rows::case::audit`) and the
//! stored entry (`rows::case::entry`) write the kind alike but for dates and instants (text
//! in format 1, numbers in the current version), so each gives its leaves through
//! [`KindWriter`] and [`write_kind`] spells the variants out once.

use arrears_core::case::AuditKind;
use chrono::{DateTime, NaiveDate, Utc};

#[cfg(doc)]
use super::AuditKindRow;
use crate::rows::bytes::push_unsigned;
use crate::rows::Stored;

/// The leaves of an audit kind's bytes, in one record version's form: the forms differ in
/// their dates and instants only (text in the hash's format-1 bytes, numbers in the stored
/// entry), so the others are written here once, into the form's buffer.
pub(super) trait KindWriter {
    /// The bytes the leaves append to.
    fn buffer(&mut self) -> &mut Vec<u8>;
    /// A date.
    fn day(&mut self, day: NaiveDate);
    /// An optional instant: the tag, then the instant if there is one.
    fn option_instant(&mut self, instant: Option<DateTime<Utc>>);

    /// An unsigned varint.
    #[inline]
    fn unsigned(&mut self, value: u64) {
        push_unsigned(self.buffer(), value);
    }

    /// An enum's variant: its index, as serde gives it to bincode (a `u32` varint).
    fn variant(&mut self, index: u32) {
        self.unsigned(u64::from(index));
    }

    /// A string: its length in bytes, then its bytes.
    fn text(&mut self, text: &str) {
        self.unsigned(text.len() as u64);
        self.buffer().extend_from_slice(text.as_bytes());
    }

    /// A fixed array of 32 bytes, no length.
    fn digest(&mut self, bytes: &[u8; 32]) {
        self.buffer().extend_from_slice(bytes);
    }
}

/// Writes `kind` as [`AuditKindRow`] serializes it, through `out`'s leaves.
pub(super) fn write_kind(out: &mut impl KindWriter, kind: &AuditKind) {
    match kind {
        AuditKind::Command { name, key } => {
            out.variant(0);
            out.text(name);
            out.text(key);
        }
        AuditKind::Transition { event, from, to, on } => {
            out.variant(1);
            out.text(event);
            out.text(from);
            out.text(to);
            out.day(*on);
        }
        AuditKind::Cycle { as_of, reviewed, actions } => {
            out.variant(2);
            out.day(*as_of);
            out.unsigned(*reviewed);
            out.unsigned(*actions);
        }
        AuditKind::ContactBlocked { debtor, channel, template, rule, next_allowed_at } => {
            out.variant(3);
            out.unsigned(debtor.0);
            out.variant(channel.to_row() as u32);
            out.text(template);
            out.text(rule);
            out.option_instant(*next_allowed_at);
        }
        AuditKind::ComponentFailed { arm, component, name, accounts, error } => {
            out.variant(4);
            out.text(arm);
            out.text(component);
            out.text(name);
            out.unsigned(*accounts);
            out.text(error);
        }
        AuditKind::CommandExecuted { name, key, content } => {
            out.variant(5);
            out.text(name);
            out.text(key);
            out.digest(content);
        }
        AuditKind::PluginAdded { name, entry } => {
            out.variant(6);
            out.text(name);
            out.digest(entry);
        }
        AuditKind::PluginRemoved { name, entry } => {
            out.variant(7);
            out.text(name);
            out.digest(entry);
        }
        AuditKind::ActionBlocked { debtor, action, rule, on } => {
            out.variant(8);
            out.unsigned(debtor.0);
            out.variant(action.to_row() as u32);
            out.text(rule);
            out.day(*on);
        }
    }
}
