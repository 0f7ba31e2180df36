//! The snapshot's three ways to its version-3 bytes (the row, the borrowed view, the
//! hand-written form) write the same bytes and read the same state, over arbitrary states, and
//! the hand-written reader never disagrees with serde on damaged bytes. The compact form
//! (version 4) reads back what it wrote, and reads damaged bytes canonically or not at all.

use arrears_core::ids::{EventSeq, ObligationId};
use arrears_core::ledger::{AccountState, Book, ObligationState, PaymentState, ReplayKey};
use arrears_core::model::Component;
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::bytes::{BOOK_ROWS, COMPONENT_ROWS};
use super::*;
use crate::codec::{crc32, decode, encode, encode_serialized};
use crate::rows::ledger::SnapshotRow;
use crate::rows::strategies::{arb_day, arb_decimal, arb_i64, arb_u32, arb_u64};

const KIND: RecordKind = RecordKind::Snapshot;

fn arb_book() -> impl Strategy<Value = Book> {
    (0..BOOK_ROWS.len()).prop_map(|index| Book::from_row(BOOK_ROWS[index]))
}

fn arb_component() -> impl Strategy<Value = Component> {
    (0..COMPONENT_ROWS.len()).prop_map(|index| Component::from_row(COMPONENT_ROWS[index]))
}

fn arb_obligation() -> impl Strategy<Value = ObligationState> {
    (
        arb_u64(),
        arb_day(),
        arb_day(),
        [arb_i64(), arb_i64(), arb_i64()],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, issued_on, due_on, outstanding_minor, disputed, accrued)| {
            ObligationState {
                id: ObligationId(id),
                issued_on,
                due_on,
                outstanding_minor,
                disputed,
                accrued,
            }
        })
}

fn arb_payment() -> impl Strategy<Value = PaymentState> {
    let allocated = proptest::collection::btree_map(
        (arb_book(), arb_u64().prop_map(ObligationId), arb_component()),
        arb_i64(),
        0..5,
    );
    (arb_day(), arb_i64(), any::<bool>(), proptest::option::of(arb_day()), allocated, arb_i64())
        .prop_map(|(paid_on, amount_minor, reversed, reversed_on, allocated, unapplied_minor)| {
            PaymentState {
                paid_on,
                amount_minor,
                reversed,
                reversed_on,
                allocated: allocated.into(),
                unapplied_minor,
            }
        })
}

fn arb_state() -> impl Strategy<Value = AccountState> {
    let maps = (
        proptest::collection::btree_map(arb_u64().prop_map(ObligationId), arb_obligation(), 0..5),
        proptest::collection::btree_map(arb_u32().prop_map(EventSeq), arb_payment(), 0..5),
        proptest::collection::vec((arb_u32().prop_map(EventSeq), arb_i64()), 0..4),
        proptest::collection::btree_map(arb_book(), arb_i64(), 0..5),
    );
    let last = proptest::option::of((arb_day(), any::<bool>(), arb_u32())).prop_map(|last| {
        last.map(|(effective_on, accrual, seq)| ReplayKey {
            effective_on,
            accrual,
            seq: EventSeq(seq),
        })
    });
    let scalars = (
        proptest::option::of(arb_day()),
        arb_day(),
        prop_oneof![any::<i128>(), (-300_i128..300)],
        arb_decimal(),
        (arb_u32(), arb_u32(), arb_u32()),
        (
            proptest::option::of(arb_day()),
            proptest::option::of(arb_day()),
            proptest::option::of(arb_day()),
        ),
        last,
    );
    (maps, scalars).prop_map(|(maps, scalars)| {
        let (obligations, payments, unapplied, book_balances_minor) = maps;
        let (charged_off_on, interest_cursor, balance_days, interest_carry, counts, days, last) =
            scalars;
        let (events_replayed, max_seq, cold_parts) = counts;
        let (latest_on, accrued_through, cold_through) = days;
        AccountState {
            obligations: obligations.into(),
            payments: payments.into(),
            unapplied: unapplied.into(),
            charged_off_on,
            interest_cursor,
            balance_days,
            interest_carry,
            book_balances_minor: book_balances_minor.into(),
            events_replayed,
            max_seq: EventSeq(max_seq),
            latest_on,
            accrued_through,
            last,
            cold_parts,
            cold_through,
        }
    })
}

/// The state and head the serde reader (the reference) gives for `bytes`.
fn serde_decode(bytes: &[u8]) -> Result<(AccountState, u64), DecodeError> {
    crate::codec::decode_deserialized::<(StateDirect, [u8; 8])>(KIND, bytes)
        .map(|(state, head)| (state.into_state(), u64::from_le_bytes(head)))
}

proptest! {
    #[test]
    fn every_way_writes_the_rows_bytes_and_reads_the_state(state in arb_state(), head in any::<u64>()) {
        let record = crate::SnapshotRecord { state, ledger_head: head };
        let state = &record.state;
        let row_bytes = encode(KIND, &record.to_row());
        prop_assert_eq!(row_bytes[0], 3);
        prop_assert_eq!(&bytes::encode(KIND, state, head), &row_bytes);
        prop_assert_eq!(&encode_serialized(KIND, &(StateView(state), head.to_le_bytes())), &row_bytes);
        prop_assert_eq!(&encode_version_3(KIND, state, head), &row_bytes);
        prop_assert_eq!(decode_state(KIND, &row_bytes), Ok((state.clone(), head)));
        let row: SnapshotRow = decode(KIND, &row_bytes).unwrap();
        prop_assert_eq!(&crate::SnapshotRecord::from_row(row), &record);
        prop_assert_eq!(bytes::decode(KIND, &row_bytes), Some((state.clone(), head)));
        prop_assert_eq!(serde_decode(&row_bytes).unwrap(), (state.clone(), head));
        prop_assert_eq!(decode_head(KIND, &row_bytes), Ok(head));
    }

    /// Version 4, the compact form: what it writes reads back as the same state and head, its
    /// head alone too, and serde refuses it with a reason. (Its size is not bounded by version
    /// 3's over arbitrary states: a LEB128 varint of a 64-bit extreme takes 10 bytes where
    /// bincode's takes 9. `a_realistic_state_takes_under_half_the_bytes` checks the size.)
    #[test]
    fn the_compact_form_reads_back_what_it_wrote(state in arb_state(), head in any::<u64>()) {
        let compact = encode_state(KIND, &state, head);
        prop_assert_eq!(compact[0], 4);
        prop_assert_eq!(decode_state(KIND, &compact), Ok((state.clone(), head)));
        prop_assert_eq!(decode_head(KIND, &compact), Ok(head));
        prop_assert_eq!(bytes::decode(KIND, &compact), None);
        let by_serde = serde_decode(&compact);
        prop_assert!(matches!(by_serde, Err(DecodeError::Payload { .. })), "{:?}", by_serde);
    }
}

proptest! {
    // Damage that reaches the compact reader's checks is rare per case: many cases.
    #![proptest_config(ProptestConfig::with_cases(2_048))]

    /// The compact reader, given damaged bytes in a valid frame, never panics, and accepts only
    /// what the writer writes: whatever it reads, written again, is the same bytes (so no two
    /// records read as one state, and a reader that took a non-canonical byte would fail here).
    #[test]
    fn damaged_compact_bytes_are_refused_or_read_canonically(
        state in arb_state(),
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![0_u8..4, 0x7e_u8..0x82, 248_u8..=255, any::<u8>()]),
            1..3,
        ),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        head in any::<u64>(),
    ) {
        let bytes = encode_state(KIND, &state, head);
        let mut body = bytes[..bytes.len() - 4].to_vec();
        for (index, value) in edits {
            // The version byte stays 4: damage to it is the frame's (another reader's) case.
            let at = 1 + index.index(body.len() - 1);
            body[at] = value;
        }
        if truncate {
            body.truncate(1 + cut.index(body.len()));
        }
        let checksum = crc32(&body);
        body.extend_from_slice(&checksum.to_le_bytes());
        match decode_state(KIND, &body) {
            Ok((state, head)) => prop_assert_eq!(encode_state(KIND, &state, head), body),
            Err(error) => prop_assert!(matches!(error, DecodeError::Payload { .. }), "{error}"),
        }
    }
}

proptest! {
    // Damage that reaches the hand-written reader is rare per case: many cases.
    #![proptest_config(ProptestConfig::with_cases(2_048))]

    #[test]
    fn damaged_bytes_read_as_serde_reads_them(
        state in arb_state(),
        // Bytes near the edges of the forms: flags and tags, small varints, varint markers.
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![0_u8..4, 248_u8..=255, any::<u8>()]),
            1..3,
        ),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        head in any::<u64>(),
    ) {
        let mut bytes = encode_version_3(KIND, &state, head);
        let mut body = bytes[..bytes.len() - 4].to_vec();
        for (index, value) in edits {
            let at = index.index(body.len());
            // A version byte damaged to 4 is the compact reader's case (the test below).
            if at > 0 || value != 4 {
                body[at] = value;
            }
        }
        if truncate {
            body.truncate(1 + cut.index(body.len()));
        }
        // A valid frame around the damaged payload, so that the readers get past the checksum.
        let checksum = crc32(&body);
        body.extend_from_slice(&checksum.to_le_bytes());
        bytes = body;
        let by_hand = bytes::decode(KIND, &bytes);
        let by_serde = serde_decode(&bytes);
        if let Some(decoded) = &by_hand {
            prop_assert_eq!(Ok(decoded), by_serde.as_ref());
        }
        // The head alone is read from the last eight bytes of whatever frame is valid.
        if let Ok((_, head)) = &by_serde {
            prop_assert_eq!(decode_head(KIND, &bytes), Ok(*head));
        }
        prop_assert_eq!(decode_state(KIND, &bytes), by_serde);
    }
}

/// A state as an account's ledger builds it (three obligations with ids in the millions, six
/// payments of a few dollars on nearby days, four books): the compact form takes under half the
/// bytes of version 3 (159 against 355).
#[test]
fn a_realistic_state_takes_under_half_the_bytes() {
    let day = |n: u64| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n);
    let mut obligations = VecMap::new();
    for o in 0..3_u64 {
        let id = ObligationId(1_000_000 + o);
        let outstanding_minor = [10_000, 0, 500];
        let (issued_on, due_on) = (day(o * 30), day(o * 30 + 30));
        let obligation = ObligationState {
            id,
            issued_on,
            due_on,
            outstanding_minor,
            disputed: false,
            accrued: false,
        };
        obligations.insert(id, obligation);
    }
    let mut payments = VecMap::new();
    for p in 0..6_u32 {
        let mut allocated = VecMap::new();
        allocated.insert((Book::Receivable, ObligationId(1_000_000), Component::Fee), 300);
        allocated.insert((Book::Receivable, ObligationId(1_000_000), Component::Principal), 700);
        let payment = PaymentState {
            paid_on: day(90 + u64::from(p)),
            amount_minor: 1_000,
            reversed: false,
            reversed_on: None,
            allocated,
            unapplied_minor: 0,
        };
        payments.insert(EventSeq(4 + p), payment);
    }
    let mut book_balances_minor = VecMap::new();
    for (book, amount) in [
        (Book::Receivable, 29_000),
        (Book::Cash, -6_000),
        (Book::Originations, -30_000),
        (Book::FeeIncome, -1_500),
    ] {
        book_balances_minor.insert(book, amount);
    }
    let state = AccountState {
        obligations,
        payments,
        unapplied: VecDeque::new(),
        charged_off_on: None,
        interest_cursor: day(96),
        balance_days: 1_234_567,
        interest_carry: Decimal::new(1234, 4),
        book_balances_minor,
        events_replayed: 10,
        max_seq: EventSeq(10),
        latest_on: Some(day(96)),
        accrued_through: None,
        last: Some(ReplayKey { effective_on: day(96), accrual: false, seq: EventSeq(10) }),
        cold_parts: 0,
        cold_through: None,
    };
    let (compact, version_3) = (encode_state(KIND, &state, 7), encode_version_3(KIND, &state, 7));
    assert!(compact.len() * 2 < version_3.len(), "{} against {}", compact.len(), version_3.len());
    assert_eq!(decode_state(KIND, &compact), Ok((state, 7)));
}

#[test]
fn the_variant_tables_list_each_variant_at_its_index() {
    for (index, book) in BOOK_ROWS.iter().enumerate() {
        assert_eq!(*book as usize, index);
        assert_eq!(
            bincode::serde::encode_to_vec(book, bincode::config::standard()).unwrap(),
            [index as u8]
        );
    }
    for (index, component) in COMPONENT_ROWS.iter().enumerate() {
        assert_eq!(*component as usize, index);
    }
}

#[test]
fn text_dates_and_older_versions_take_the_serde_way() {
    let state = AccountState {
        obligations: VecMap::new(),
        payments: VecMap::new(),
        unapplied: VecDeque::new(),
        charged_off_on: None,
        interest_cursor: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        balance_days: 0,
        interest_carry: Decimal::new(125, 2),
        book_balances_minor: VecMap::new(),
        events_replayed: 0,
        max_seq: EventSeq(0),
        latest_on: None,
        accrued_through: None,
        last: None,
        cold_parts: 0,
        cold_through: None,
    };
    let record = crate::SnapshotRecord { state: state.clone(), ledger_head: 77 };
    let text = crate::rows::with_strings(|| encode_state(KIND, &state, 77));
    assert_eq!(text, crate::rows::with_strings(|| encode(KIND, &record.to_row())));
    assert_ne!(text, encode_state(KIND, &state, 77));
    assert_eq!(
        crate::rows::with_strings(|| decode_state(KIND, &text)).unwrap(),
        (state.clone(), 77)
    );
    // A version-2 snapshot (before `ledger_head`) and a version-1 one (before `cold_parts` and
    // `cold_through` too) are not the hand-written form's, and read through serde with their
    // defaults: head 0.
    let current = encode_version_3(KIND, &state, 77);
    for (version, cut) in [(2, 12), (1, 14)] {
        let mut older = current[..current.len() - cut].to_vec();
        older[0] = version;
        let checksum = crc32(&older);
        older.extend_from_slice(&checksum.to_le_bytes());
        assert_eq!(bytes::decode(KIND, &older), None);
        assert_eq!(decode_state(KIND, &older).unwrap(), (state.clone(), 0));
        assert_eq!(decode_head(KIND, &older), Ok(0));
    }
}
