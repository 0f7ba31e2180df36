//! The ledger log's row ([`LedgerLogRow`]) written by hand: every command that posts appends
//! one (its event, and the journal entries written with it), and building the row (a copy of
//! the key and of every posting) then serializing it through serde cost a payment about 2,000
//! instructions (callgrind, `profile_payments`: 480.5 M to 464.9 M for 8,000 payments). Every field and every variant is written, in the
//! row's order, as bincode's standard form of the row (the leaves are [`crate::rows::bytes`]'s);
//! there is no fallback. Reading stays with serde: a row is read back only by the history's
//! readers (a back-dated event, `verify`, the change feed), not on a payment's path.
//!
//! The row stays the definition of the bytes: the tests compare the two over arbitrary
//! events, entries and postings, and the golden tests of `codec/tests.rs` freeze them.

use arrears_core::ledger::{EventKind, EventRecord, JournalEntry, Posting};

#[cfg(doc)]
use super::LedgerLogRow;
use crate::codec::RecordKind;
use crate::rows::bytes::{encode, Out};
use crate::rows::Stored;

/// The record of a [`LedgerLogRow`] of `account` (its previous row at log sequence `prev`),
/// as `codec::encode` of the row writes it.
pub(crate) fn encode_ledger_row(
    account: u64,
    prev: u64,
    record: &EventRecord,
    entries: &[JournalEntry],
) -> Vec<u8> {
    encode(RecordKind::LedgerRow, |out| {
        out.unsigned(account);
        out.unsigned(prev);
        event_record(out, record);
        out.len(entries.len());
        for entry in entries {
            journal_entry(out, entry);
        }
    })
}

fn event_record(out: &mut Out, record: &EventRecord) {
    let EventRecord { event, recorded_at, key } = record;
    out.unsigned(u64::from(event.seq.0));
    out.day(event.effective_on);
    event_kind(out, &event.kind);
    out.instant(*recorded_at);
    out.text(key);
}

/// An event's kind: its variant's index in `EventKindRow`, then its fields.
fn event_kind(out: &mut Out, kind: &EventKind) {
    match kind {
        EventKind::Charge { obligation, kind, due_on, amounts_minor } => {
            out.variant(0);
            out.unsigned(obligation.0);
            out.variant(kind.to_row() as u32);
            out.day(*due_on);
            for amount in amounts_minor {
                out.signed(*amount);
            }
        }
        EventKind::Payment { amount_minor, directed_to } => {
            out.variant(1);
            out.signed(*amount_minor);
            option_unsigned(out, directed_to.map(|obligation| obligation.0));
        }
        EventKind::Reversal { payment, reason } => {
            out.variant(2);
            out.unsigned(u64::from(payment.0));
            out.variant(reason.to_row() as u32);
        }
        EventKind::Waiver { obligation, component, amount_minor } => {
            out.variant(3);
            out.unsigned(obligation.0);
            out.variant(component.to_row() as u32);
            out.signed(*amount_minor);
        }
        EventKind::Adjustment { obligation, component, amount_minor } => {
            out.variant(4);
            out.unsigned(obligation.0);
            out.variant(component.to_row() as u32);
            out.signed(*amount_minor);
        }
        EventKind::AccrueInterest { obligation, due_on } => {
            out.variant(5);
            out.unsigned(obligation.0);
            out.day(*due_on);
        }
        EventKind::ChargeOff => out.variant(6),
        EventKind::Dispute { obligation, disputed } => {
            out.variant(7);
            out.unsigned(obligation.0);
            out.flag(*disputed);
        }
        EventKind::Reschedule { replaces, installments } => {
            out.variant(8);
            out.len(replaces.len());
            for obligation in replaces {
                out.unsigned(obligation.0);
            }
            out.len(installments.len());
            for installment in installments {
                out.unsigned(installment.obligation.0);
                out.day(installment.due_on);
                out.signed(installment.principal_minor);
                out.signed(installment.interest_minor);
            }
        }
        EventKind::WriteOffRemainder => out.variant(9),
        EventKind::Commission { payment, rate } => {
            out.variant(10);
            out.unsigned(u64::from(payment.0));
            out.decimal(*rate);
        }
        EventKind::ChargeOffReversed { reason } => {
            out.variant(11);
            out.text(reason);
        }
        EventKind::CreditNote { obligation, amount_minor, reason } => {
            out.variant(12);
            option_unsigned(out, obligation.map(|obligation| obligation.0));
            out.signed(*amount_minor);
            out.variant(reason.to_row() as u32);
        }
        EventKind::WriteOffReversed { write_off } => {
            out.variant(13);
            out.unsigned(u64::from(write_off.0));
        }
        EventKind::ChargeWithdrawn { obligation } => {
            out.variant(14);
            out.unsigned(obligation.0);
        }
        EventKind::ApplyUnapplied => out.variant(15),
        EventKind::CommissionReversed { commission } => {
            out.variant(16);
            out.unsigned(u64::from(commission.0));
        }
        EventKind::ChargeOffUndone { reason, charge_off } => {
            out.variant(17);
            out.text(reason);
            out.unsigned(u64::from(charge_off.0));
        }
        EventKind::CommissionOnSettled { payment, rate } => {
            out.variant(18);
            out.unsigned(u64::from(payment.0));
            out.decimal(*rate);
        }
        EventKind::Refund { obligation, amount_minor } => {
            out.variant(19);
            out.unsigned(obligation.0);
            out.signed(*amount_minor);
        }
    }
}

fn journal_entry(out: &mut Out, entry: &JournalEntry) {
    let JournalEntry { id, account, event, kind, effective_on, recorded_at, postings } = entry;
    out.unsigned(id.0);
    out.unsigned(account.0);
    out.unsigned(u64::from(event.0));
    out.variant(kind.to_row() as u32);
    out.day(*effective_on);
    out.instant(*recorded_at);
    out.len(postings.len());
    for posting in postings {
        self::posting(out, posting);
    }
}

fn posting(out: &mut Out, posting: &Posting) {
    let Posting { book, obligation, component, source, amount_minor } = posting;
    out.variant(book.to_row() as u32);
    option_unsigned(out, obligation.map(|obligation| obligation.0));
    out.flag(component.is_some());
    if let Some(component) = component {
        out.variant(component.to_row() as u32);
    }
    option_unsigned(out, source.map(|source| u64::from(source.0)));
    out.signed(*amount_minor);
}

fn option_unsigned(out: &mut Out, value: Option<u64>) {
    out.flag(value.is_some());
    if let Some(value) = value {
        out.unsigned(value);
    }
}

#[cfg(test)]
mod tests;
