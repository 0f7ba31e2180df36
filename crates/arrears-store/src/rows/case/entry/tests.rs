//! The stored audit entry's two writers (the row through serde, the hand-written form) write
//! the same bytes, over arbitrary entries of every record kind, with and without a replay.

use arrears_core::case::{AuditKind, AuditRecord};
use arrears_core::ids::AccountId;
use chrono::DateTime;
use proptest::prelude::*;

use super::*;
use crate::codec::encode;
use crate::rows::case::audit::tests::{arb_hash, arb_record};
use crate::rows::case::{
    decode_audit_entry, CommittedAuditEntryRow, LinkedAuditEntryRow, PrevHash,
    AUDIT_COMMITTED_VERSION, AUDIT_LINKED_VERSION,
};
use crate::rows::{Record, Stored};

const KIND: RecordKind = RecordKind::Audit;

/// Byte vectors of every length class: empty, short, past a one-byte length (251 bytes and
/// more) and, rarely, past a two-byte one (65,536 bytes and more).
fn arb_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..16),
        2 => proptest::collection::vec(any::<u8>(), 240..300),
        1 => proptest::collection::vec(any::<u8>(), 65_530..65_600),
    ]
    .boxed()
}

fn arb_replay() -> impl Strategy<Value = Option<IdempotencyRecord>> {
    proptest::option::of(
        (arb_bytes(), arb_bytes())
            .prop_map(|(command, result)| IdempotencyRecord { command, result }),
    )
}

fn arb_entry() -> BoxedStrategy<AuditEntry> {
    (arb_record(), arb_hash(), arb_replay())
        .prop_map(|(record, hash, replay)| AuditEntry { record, hash, replay })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_024))]

    #[test]
    fn the_hand_written_bytes_are_the_rows_bytes(entry in arb_entry()) {
        let row_bytes = encode(KIND, &LinkedAuditEntryRow::of(&entry));
        // The row is of the current version; an entry written whole is at version 4.
        let mut row_bytes_4 = row_bytes.clone();
        row_bytes_4[0] = AUDIT_LINKED_VERSION;
        let body = row_bytes_4.len() - 4;
        let checksum = crate::codec::crc32(&row_bytes_4[..body]);
        row_bytes_4[body..].copy_from_slice(&checksum.to_le_bytes());
        prop_assert_eq!(&super::encode_linked(KIND, &entry), &row_bytes_4);
        prop_assert_eq!(&entry.encode_value(KIND), &row_bytes_4);
        // The bytes keep no previous hash: decoded, the entry has zeros there until the
        // store's read fills in the hash of the entry before.
        let (mut decoded, prev_hash) = decode_audit_entry(KIND, &row_bytes_4).unwrap();
        prop_assert_eq!(prev_hash, PrevHash::OfPredecessor);
        prop_assert_eq!(decoded.record.prev_hash, [0; 32]);
        decoded.record.prev_hash = entry.record.prev_hash;
        prop_assert_eq!(&decoded, &entry);
    }

    #[test]
    fn the_hand_written_committed_bytes_are_the_rows_bytes(entry in arb_entry()) {
        let row_bytes = encode(KIND, &CommittedAuditEntryRow::of(&entry));
        let (written, hash_at) = super::encode_committed(KIND, &entry.record, entry.replay.as_ref());
        prop_assert_eq!(&written, &row_bytes);
        prop_assert_eq!(written[0], AUDIT_COMMITTED_VERSION);
        // Sealed with its hash, it is the entry written whole (version 4).
        prop_assert_eq!(
            super::seal(&written, hash_at, &entry.hash),
            super::encode_linked(KIND, &entry)
        );
        // The bytes keep neither hash: decoded, both are zeros until the store's read fills
        // in its commit's.
        let (mut decoded, prev_hash) = decode_audit_entry(KIND, &row_bytes).unwrap();
        prop_assert_eq!(prev_hash, PrevHash::OfCommit);
        prop_assert_eq!((decoded.record.prev_hash, decoded.hash), ([0; 32], [0; 32]));
        decoded.record.prev_hash = entry.record.prev_hash;
        decoded.hash = entry.hash;
        prop_assert_eq!(&decoded, &entry);
    }
}

#[test]
fn text_instants_take_the_serde_way() {
    let entry = AuditEntry {
        record: AuditRecord {
            seq: 300,
            recorded_at: DateTime::from_timestamp(1_769_904_000, 250_000_000).unwrap(),
            account: Some(AccountId(3)),
            kind: AuditKind::Command { name: "payment".into(), key: "pay-1".into() },
            prev_hash: [7; 32],
        },
        hash: [9; 32],
        replay: Some(IdempotencyRecord { command: vec![2, 7, 1], result: vec![] }),
    };
    // Text instants are format 1's, whose entry keeps its previous hash (the row's form,
    // which `codec::encode_format_1` completes with version byte 1; the golden tests of
    // `codec/tests.rs` decode such an entry).
    let text = crate::rows::with_strings(|| entry.encode_value(KIND));
    assert_eq!(text, crate::rows::with_strings(|| encode(KIND, &entry.to_row())));
    assert_ne!(text, entry.encode_value(KIND));
    let prev_hash_at = text.windows(32).position(|window| window == [7; 32]);
    assert!(prev_hash_at.is_some(), "the text form keeps the previous hash");
}
