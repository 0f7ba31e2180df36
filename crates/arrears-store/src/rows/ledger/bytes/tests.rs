//! The hand-written ledger row against the row's serde bytes.

use arrears_core::ids::{AccountId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{
    Book, CreditNoteReason, EntryKind, Event, EventKind, EventRecord, JournalEntry,
    PlannedInstallment, Posting, ReversalReason,
};
use arrears_core::model::{Component, ObligationKind};
use proptest::prelude::*;

use super::encode_ledger_row;
use crate::codec::RecordKind;
use crate::rows::strategies::{
    arb_day, arb_decimal, arb_i64, arb_instant, arb_text, arb_u32, arb_u64,
};
use crate::rows::Stored;

fn arb_obligation() -> impl Strategy<Value = ObligationId> {
    arb_u64().prop_map(ObligationId)
}

fn arb_seq() -> impl Strategy<Value = EventSeq> {
    arb_u32().prop_map(EventSeq)
}

fn arb_component() -> impl Strategy<Value = Component> {
    (0..Component::ALL.len()).prop_map(|index| Component::ALL[index])
}

fn arb_obligation_kind() -> impl Strategy<Value = ObligationKind> {
    prop_oneof![
        Just(ObligationKind::Invoice),
        Just(ObligationKind::Installment),
        Just(ObligationKind::Statement),
        Just(ObligationKind::Fee),
        Just(ObligationKind::Interest),
        Just(ObligationKind::Refund),
    ]
}

/// Every variant of `EventKind`, each field over its whole range.
fn arb_event_kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        (arb_obligation(), arb_obligation_kind(), arb_day(), [arb_i64(), arb_i64(), arb_i64()])
            .prop_map(|(obligation, kind, due_on, amounts_minor)| EventKind::Charge {
                obligation,
                kind,
                due_on,
                amounts_minor
            }),
        (arb_i64(), proptest::option::of(arb_obligation())).prop_map(
            |(amount_minor, directed_to)| EventKind::Payment { amount_minor, directed_to }
        ),
        (arb_seq(), 0..3_usize).prop_map(|(payment, reason)| EventKind::Reversal {
            payment,
            reason: [ReversalReason::Returned, ReversalReason::Chargeback, ReversalReason::Error]
                [reason],
        }),
        (arb_obligation(), arb_component(), arb_i64()).prop_map(
            |(obligation, component, amount_minor)| EventKind::Waiver {
                obligation,
                component,
                amount_minor
            }
        ),
        (arb_obligation(), arb_component(), arb_i64()).prop_map(
            |(obligation, component, amount_minor)| EventKind::Adjustment {
                obligation,
                component,
                amount_minor
            }
        ),
        (arb_obligation(), arb_day())
            .prop_map(|(obligation, due_on)| EventKind::AccrueInterest { obligation, due_on }),
        Just(EventKind::ChargeOff),
        (arb_obligation(), any::<bool>())
            .prop_map(|(obligation, disputed)| EventKind::Dispute { obligation, disputed }),
        (
            proptest::collection::vec(arb_obligation(), 0..4),
            proptest::collection::vec((arb_obligation(), arb_day(), arb_i64(), arb_i64()), 0..4),
        )
            .prop_map(|(replaces, installments)| EventKind::Reschedule {
                replaces,
                installments: installments
                    .into_iter()
                    .map(|(obligation, due_on, principal_minor, interest_minor)| {
                        PlannedInstallment { obligation, due_on, principal_minor, interest_minor }
                    })
                    .collect(),
            }),
        Just(EventKind::WriteOffRemainder),
        (arb_seq(), arb_decimal())
            .prop_map(|(payment, rate)| EventKind::Commission { payment, rate }),
        arb_text().prop_map(|reason| EventKind::ChargeOffReversed { reason }),
        (proptest::option::of(arb_obligation()), arb_i64(), 0..CreditNoteReason::ALL.len())
            .prop_map(|(obligation, amount_minor, reason)| EventKind::CreditNote {
                obligation,
                amount_minor,
                reason: CreditNoteReason::ALL[reason],
            }),
        arb_seq().prop_map(|write_off| EventKind::WriteOffReversed { write_off }),
        arb_obligation().prop_map(|obligation| EventKind::ChargeWithdrawn { obligation }),
        Just(EventKind::ApplyUnapplied),
        arb_seq().prop_map(|commission| EventKind::CommissionReversed { commission }),
        (arb_text(), arb_seq())
            .prop_map(|(reason, charge_off)| EventKind::ChargeOffUndone { reason, charge_off }),
        (arb_seq(), arb_decimal())
            .prop_map(|(payment, rate)| EventKind::CommissionOnSettled { payment, rate }),
        (arb_obligation(), arb_i64())
            .prop_map(|(obligation, amount_minor)| EventKind::Refund { obligation, amount_minor }),
    ]
}

fn arb_posting() -> impl Strategy<Value = Posting> {
    (
        0..Book::ALL.len(),
        proptest::option::of(arb_obligation()),
        proptest::option::of(arb_component()),
        proptest::option::of(arb_seq()),
        arb_i64(),
    )
        .prop_map(|(book, obligation, component, source, amount_minor)| Posting {
            book: Book::ALL[book],
            obligation,
            component,
            source,
            amount_minor,
        })
}

fn arb_entry() -> impl Strategy<Value = JournalEntry> {
    (
        arb_u64(),
        arb_u64(),
        arb_seq(),
        any::<bool>(),
        arb_day(),
        arb_instant(),
        proptest::collection::vec(arb_posting(), 0..6),
    )
        .prop_map(|(id, account, event, original, effective_on, recorded_at, postings)| {
            JournalEntry {
                id: EntryId(id),
                account: AccountId(account),
                event,
                kind: if original { EntryKind::Original } else { EntryKind::Correction },
                effective_on,
                recorded_at,
                postings,
            }
        })
}

proptest! {
    #[test]
    fn a_ledger_row_written_by_hand_is_the_rows_bytes(
        account in arb_u64(),
        prev in arb_u64(),
        seq in arb_seq(),
        effective_on in arb_day(),
        kind in arb_event_kind(),
        recorded_at in arb_instant(),
        key in arb_text(),
        entries in proptest::collection::vec(arb_entry(), 0..4),
    ) {
        let record = EventRecord { event: Event { seq, effective_on, kind }, recorded_at, key };
        let row = crate::rows::ledger::LedgerLogRow {
            account,
            prev,
            event: record.to_row(),
            entries: entries.iter().map(Stored::to_row).collect(),
        };
        let by_hand = encode_ledger_row(account, prev, &record, &entries);
        prop_assert_eq!(&by_hand, &crate::codec::encode(RecordKind::LedgerRow, &row));
        // And it reads back as the row.
        let read = crate::codec::decode::<crate::rows::ledger::LedgerLogRow>(RecordKind::LedgerRow, &by_hand);
        prop_assert_eq!(read.ok(), Some(row));
    }
}
