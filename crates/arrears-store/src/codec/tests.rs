//! Golden bytes and round trips for every record kind. A failing golden test means the stored
//! format changed: bump the record kind's version and add a migration instead of updating the
//! expectation.

use std::collections::BTreeMap;

use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{
    Book, EntryKind, Event, EventKind, EventRecord, JournalEntry, Posting, ReversalReason,
};
use arrears_core::model::{
    Account, Component, ContactChannel, ContactPoint, ContactPointKind, DayCount, Debtor,
    DebtorFlags, DebtorKind, InterestBase, InterestTerms, Jurisdiction, LateFeeRule, Obligation,
    ObligationKind, ProductKind, Terms, Waterfall,
};
use arrears_core::money::{Currency, RoundingRule};
use chrono::{DateTime, NaiveDate, Utc};
use expect_test::{expect, Expect};
use proptest::prelude::*;

use super::*;
use crate::rows::Stored;
use crate::IdempotencyRecord;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn check<T: Record + PartialEq + std::fmt::Debug>(kind: RecordKind, value: &T, expect: Expect) {
    let bytes = encode_record(kind, value);
    expect.assert_eq(&hex(&bytes));
    let decoded: T = decode_record(kind, &bytes).unwrap();
    assert_eq!(&decoded, value);
}

/// An audit entry's bytes (record version 4: no previous hash) and that they decode, the
/// previous hash left for the reader to fill in.
fn check_audit(entry: &crate::AuditEntry, expect: Expect) {
    let bytes = encode_record(RecordKind::Audit, entry);
    expect.assert_eq(&hex(&bytes));
    let (mut decoded, prev_hash) =
        crate::rows::case::decode_audit_entry(RecordKind::Audit, &bytes).unwrap();
    assert_eq!(prev_hash, crate::rows::case::PrevHash::OfPredecessor);
    assert_eq!(decoded.record.prev_hash, [0; 32]);
    decoded.record.prev_hash = entry.record.prev_hash;
    assert_eq!(&decoded, entry);
    // Alone, only the first entry decodes: any other links to one this read does not have.
    let alone = decode_record::<crate::AuditEntry>(RecordKind::Audit, &bytes);
    if entry.record.seq == 1 {
        assert_eq!(alone.unwrap().record.prev_hash, [0; 32]);
    } else {
        let error = alone.unwrap_err().to_string();
        assert!(error.contains("through the store's audit reads"), "{error}");
    }
}

/// The same value as format 1 encoded it (dates as strings, version byte 1): still decoded,
/// and still the form the audit hash is taken over.
fn format_1<T: Record + PartialEq + std::fmt::Debug>(kind: RecordKind, value: &T, hex_bytes: &str) {
    let bytes: Vec<u8> = (0..hex_bytes.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex_bytes[at..at + 2], 16).unwrap())
        .collect();
    let decoded: T = decode_record(kind, &bytes).unwrap();
    assert_eq!(&decoded, value);
    assert_eq!(hex(&encode_format_1(kind, &value.to_row())), hex_bytes);
}

pub(crate) fn debtor() -> Debtor {
    Debtor {
        id: DebtorId(7),
        external_ref: Some("C-7".into()),
        kind: DebtorKind::Person,
        name: "Ana".into(),
        jurisdiction: Jurisdiction { country: "US".into(), region: Some("MA".into()) },
        time_zones: vec!["America/New_York".into()],
        language: "en".into(),
        contact_points: vec![ContactPoint {
            channel: ContactChannel::Sms,
            address: "+15550100".into(),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        }],
        flags: DebtorFlags {
            cease_communication: false,
            attorney_represented: true,
            bankruptcy: false,
            deceased: false,
        },
        restrictions: arrears_core::model::ContactRestrictions::default(),
        attorney: None,
        reported_signals: Vec::new(),
    }
}

/// [`account`]'s record, with its debtor's jurisdiction.
pub(crate) fn account_record() -> crate::AccountRecord {
    crate::AccountRecord {
        account: account(),
        debtor_jurisdiction: Some(Jurisdiction { country: "US".into(), region: Some("MA".into()) }),
    }
}

pub(crate) fn account() -> Account {
    Account {
        id: AccountId(3),
        external_ref: Some("AC-3".into()),
        debtor: DebtorId(7),
        product: ProductKind::Revolving,
        currency: Currency::USD,
        credit_limit_minor: Some(500_000),
        opened_on: date("2026-01-02"),
        terms: Terms {
            grace_days: 15,
            late_fee: LateFeeRule::Percent {
                rate: "0.05".parse().unwrap(),
                min_minor: 500,
                max_minor: 4_000,
                rounding: RoundingRule::HalfUp,
            },
            interest: Some(InterestTerms {
                annual_rate: "0.2499".parse().unwrap(),
                day_count: DayCount::Actual365,
                base: InterestBase::OutstandingPrincipal,
                rounding: RoundingRule::HalfEven,
            }),
            waterfall: Waterfall::FeesInterestPrincipal,
        },
    }
}

#[test]
fn golden_debtor() {
    // Versions 1 and 2 (before `restrictions`) read with none.
    older_version(RecordKind::Debtor, &debtor(), "02070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b313535353031303000010000010000348a8a3f");
    // Version 3 (before `attorney`) reads with none.
    older_version(RecordKind::Debtor, &debtor(), "03070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b3135353530313030000100000100000000000000fb262e2b");
    older_version(RecordKind::Debtor, &debtor(), "04070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b3135353530313030000100000100000000000000000f5a33cc");
    check(RecordKind::Debtor, &debtor(), expect!["05070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b31353535303130300001000001000000000000000000596c980b"]);
    let restricted = Debtor {
        restrictions: arrears_core::model::ContactRestrictions {
            work_contact_prohibited: true,
            litigation_served: false,
            call_consent_given_at: Some(instant("2026-02-01T16:00:00Z")),
            opted_out_channels: vec![ContactChannel::Sms],
            consents: vec![arrears_core::model::ConsentRecord {
                channel: ContactChannel::Sms,
                address: "+15550100".into(),
                consent: true,
                at: "2026-02-01T15:00:00Z".parse().unwrap(),
                source: "web form".into(),
            }],
        },
        ..debtor()
    };
    older_version(RecordKind::Debtor, &restricted, "03070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b313535353031303000010000010000010001fc00f1fed20001010101092b313535353031303001fce0d4fed2000877656220666f726d3449e15e");
    older_version(RecordKind::Debtor, &restricted, "04070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b313535353031303000010000010000010001fc00f1fed20001010101092b313535353031303001fce0d4fed2000877656220666f726d00fcf54054");
    check(RecordKind::Debtor, &restricted, expect!["05070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b313535353031303000010000010000010001fc00f1fed20001010101092b313535353031303001fce0d4fed2000877656220666f726d0000d2d7c213"]);
    // Version 4: the attorney's contact details.
    let represented = Debtor {
        attorney: Some(arrears_core::model::Attorney {
            name: "J. Doe".into(),
            firm: Some("Doe & Roe".into()),
            phone: None,
            email: Some("jdoe@example.com".into()),
            postal_address: None,
            since: date("2026-02-03"),
        }),
        ..debtor()
    };
    older_version(RecordKind::Debtor, &represented, "04070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b313535353031303000010000010000000000000001064a2e20446f650109446f65202620526f650001106a646f65406578616d706c652e636f6d00fc84921600845b88c4");
    check(RecordKind::Debtor, &represented, expect!["05070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b313535353031303000010000010000000000000001064a2e20446f650109446f65202620526f650001106a646f65406578616d706c652e636f6d00fc849216000091516ffd"]);
    // Version 5: signals reported from outside the books.
    let flagged = Debtor {
        reported_signals: vec![arrears_core::model::ReportedSignal {
            signal: arrears_core::policy::Signal::LateFiling,
            observed_on: date("2026-03-01"),
            expires_on: Some(date("2026-09-01")),
            source: "bureau:acme".into(),
            evidence: "filing 2025 overdue".into(),
        }],
        ..debtor()
    };
    check(RecordKind::Debtor, &flagged, expect!["05070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b3135353530313030000100000100000000000000000107fcb892160001fc289416000b6275726561753a61636d651366696c696e672032303235206f766572647565537513bd"]);
    older_version(RecordKind::Debtor, &debtor(), "01070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b31353535303130300001000001000027845e84");
}

#[test]
fn golden_account() {
    check(RecordKind::Account, &account_record(), expect!["0303010441432d3307000355534401fc40420f00fc449216000f0204302e3035fbe803fb401f010106302e32343939000000000102555301024d41901757c4"]);
    let no_jurisdiction = crate::AccountRecord { debtor_jurisdiction: None, ..account_record() };
    check(RecordKind::Account, &no_jurisdiction, expect!["0303010441432d3307000355534401fc40420f00fc449216000f0204302e3035fbe803fb401f010106302e323439390000000000737efb8e"]);
    // Versions 1 (format 1) and 2, before the debtor's jurisdiction, read with none.
    older_version(RecordKind::Account, &no_jurisdiction, "0203010441432d3307000355534401fc40420f00fc449216000f0204302e3035fbe803fb401f010106302e32343939000000002809c580");
    older_version(RecordKind::Account, &no_jurisdiction, "0103010441432d3307000355534401fc40420f000a323032362d30312d30320f0204302e3035fbe803fb401f010106302e3234393900000000cc3249bc");
}

#[test]
fn golden_obligation() {
    let obligation = Obligation {
        id: ObligationId(11),
        account: AccountId(3),
        external_ref: Some("INV-11".into()),
        kind: ObligationKind::Installment,
        issued_on: date("2026-02-01"),
        due_on: date("2026-03-01"),
        original_minor: [10_000, 250, 0],
    };
    check(
        RecordKind::Obligation,
        &obligation,
        expect!["020b030106494e562d313101fc80921600fcb8921600fb204efbf401007a576d35"],
    );
    format_1(RecordKind::Obligation, &obligation, "010b030106494e562d3131010a323032362d30322d30310a323032362d30332d3031fb204efbf401008995d9b5");
}

#[test]
fn golden_event() {
    let record = EventRecord {
        event: Event {
            seq: EventSeq(4),
            effective_on: date("2026-03-05"),
            kind: EventKind::Payment { amount_minor: 12_345, directed_to: Some(ObligationId(11)) },
        },
        recorded_at: instant("2026-03-06T10:00:00Z"),
        key: "pay-4".into(),
    };
    check(
        RecordKind::Event,
        &record,
        expect!["0204fcc092160001fb7260010bfc404b55d300057061792d342e2a71b4"],
    );
    format_1(RecordKind::Event, &record, "01040a323032362d30332d303501fb7260010b14323032362d30332d30365431303a30303a30305a057061792d3402a42d38");
    let reversal = EventRecord {
        event: Event {
            seq: EventSeq(5),
            effective_on: date("2026-03-09"),
            kind: EventKind::Reversal { payment: EventSeq(4), reason: ReversalReason::Chargeback },
        },
        recorded_at: instant("2026-03-09T00:00:00Z"),
        key: "rev-5".into(),
    };
    check(
        RecordKind::Event,
        &reversal,
        expect!["0205fcc8921600020401fc001b5cd300057265762d35335ddd80"],
    );
    format_1(RecordKind::Event, &reversal, "01050a323032362d30332d303902040114323032362d30332d30395430303a30303a30305a057265762d3572efc33e");
}

pub(crate) fn postings() -> Vec<Posting> {
    vec![
        Posting {
            book: Book::Cash,
            obligation: None,
            component: None,
            source: Some(EventSeq(4)),
            amount_minor: 12_345,
        },
        Posting {
            book: Book::Receivable,
            obligation: Some(ObligationId(11)),
            component: Some(Component::Interest),
            source: Some(EventSeq(4)),
            amount_minor: -250,
        },
        Posting {
            book: Book::Receivable,
            obligation: Some(ObligationId(11)),
            component: Some(Component::Principal),
            source: Some(EventSeq(4)),
            amount_minor: -10_000,
        },
        Posting {
            book: Book::UnappliedCash,
            obligation: None,
            component: None,
            source: Some(EventSeq(4)),
            amount_minor: -2_095,
        },
    ]
}

#[test]
fn golden_derived_and_entry() {
    check(
        RecordKind::Derived,
        &postings(),
        expect![
            "02040100000104fb726000010b01010104fbf30100010b01000104fb1f4e0500000104fb5d10bc56de1a"
        ],
    );
    format_1(
        RecordKind::Derived,
        &postings(),
        "01040100000104fb726000010b01010104fbf30100010b01000104fb1f4e0500000104fb5d10db563657",
    );
    let entry = JournalEntry {
        id: EntryId(20),
        account: AccountId(3),
        event: EventSeq(4),
        kind: EntryKind::Original,
        effective_on: date("2026-03-05"),
        recorded_at: instant("2026-03-06T10:00:00Z"),
        postings: postings(),
    };
    check(RecordKind::Entry, &entry, expect!["0214030400fcc0921600fc404b55d300040100000104fb726000010b01010104fbf30100010b01000104fb1f4e0500000104fb5d109ad31b72"]);
    format_1(RecordKind::Entry, &entry, "01140304000a323032362d30332d303514323032362d30332d30365431303a30303a30305a040100000104fb726000010b01010104fbf30100010b01000104fb1f4e0500000104fb5d10e1680bad");
}

/// Format 4: a ledger row holds an event and the entries written with it, chained back to the
/// account's previous row; the borrowed form the store writes encodes the same bytes.
#[test]
fn golden_ledger_row() {
    let row = crate::LedgerRow {
        account: AccountId(3),
        prev: 17,
        event: EventRecord {
            event: Event {
                seq: EventSeq(4),
                effective_on: date("2026-03-05"),
                kind: EventKind::Payment {
                    amount_minor: 12_345,
                    directed_to: Some(ObligationId(11)),
                },
            },
            recorded_at: instant("2026-03-06T10:00:00Z"),
            key: "pay-4".into(),
        },
        entries: vec![JournalEntry {
            id: EntryId(20),
            account: AccountId(3),
            event: EventSeq(4),
            kind: EntryKind::Original,
            effective_on: date("2026-03-05"),
            recorded_at: instant("2026-03-06T10:00:00Z"),
            postings: postings(),
        }],
    };
    check(RecordKind::LedgerRow, &row, expect!["01031104fcc092160001fb7260010bfc404b55d300057061792d340114030400fcc0921600fc404b55d300040100000104fb726000010b01010104fbf30100010b01000104fb1f4e0500000104fb5d104147edc7"]);
}

#[test]
fn golden_idempotency() {
    let record = IdempotencyRecord { command: vec![1, 2, 3], result: vec![4, 5] };
    check(RecordKind::Idempotency, &record, expect!["0203010203020405470844a2"]);
    format_1(RecordKind::Idempotency, &record, "0103010203020405a40fcb2c");
}

#[test]
fn crc32_known_values() {
    // The standard check value of CRC-32/ISO-HDLC.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

/// The CRC bit by bit, straight from its definition: what the table-driven [`crc32`] must
/// equal.
fn crc32_bitwise(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
    }
    !crc
}

proptest! {
    /// Eight bytes at a time and byte by byte agree, at every length and alignment (the
    /// lengths cover whole chunks, a remainder alone, and both).
    #[test]
    fn crc32_matches_its_definition(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(crc32(&bytes), crc32_bitwise(&bytes));
        for start in 1..bytes.len().min(8) {
            prop_assert_eq!(crc32(&bytes[start..]), crc32_bitwise(&bytes[start..]));
        }
    }
}

#[test]
fn damage_is_detected() {
    let bytes = encode_record(RecordKind::Account, &account_record());
    assert!(matches!(
        decode_record::<crate::AccountRecord>(RecordKind::Account, &bytes[..3]),
        Err(DecodeError::TooShort { .. })
    ));
    for index in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[index] ^= 0x10;
        assert!(
            decode_record::<crate::AccountRecord>(RecordKind::Account, &flipped).is_err(),
            "flip at byte {index} went unnoticed"
        );
    }
    // A record of another kind with a valid frame is refused by its payload or version.
    for version in [0, 4] {
        let mut wrong_version = bytes.clone();
        wrong_version[0] = version;
        let body_len = wrong_version.len() - 4;
        let checksum = crc32(&wrong_version[..body_len]);
        wrong_version[body_len..].copy_from_slice(&checksum.to_le_bytes());
        assert!(matches!(
            decode_record::<crate::AccountRecord>(RecordKind::Account, &wrong_version),
            Err(DecodeError::Version { found, expected: 3, .. }) if found == version
        ));
    }
    // A snapshot of a version this build does not know is refused, by its full decoder and by
    // the reader of its ledger head alone.
    let opening = crate::SnapshotRecord {
        state: arrears_core::ledger::AccountState::opening(&account()),
        ledger_head: 9,
    };
    let mut snapshot = encode_record(RecordKind::Snapshot, &opening);
    assert_eq!(crate::rows::decode_snapshot_head(&snapshot), Ok(9));
    snapshot[0] = 5;
    let body_len = snapshot.len() - 4;
    let checksum = crc32(&snapshot[..body_len]);
    snapshot[body_len..].copy_from_slice(&checksum.to_le_bytes());
    assert!(matches!(
        decode_record::<crate::SnapshotRecord>(RecordKind::Snapshot, &snapshot),
        Err(DecodeError::Version { found: 5, expected: 4, .. })
    ));
    assert!(matches!(
        crate::rows::decode_snapshot_head(&snapshot),
        Err(DecodeError::Version { found: 5, expected: 4, .. })
    ));
    // Trailing bytes inside a valid frame are refused.
    let mut trailing = bytes[..bytes.len() - 4].to_vec();
    trailing.push(0);
    let checksum = crc32(&trailing);
    trailing.extend_from_slice(&checksum.to_le_bytes());
    assert!(matches!(
        decode_record::<crate::AccountRecord>(RecordKind::Account, &trailing),
        Err(DecodeError::Payload { .. })
    ));
}

fn arb_posting() -> impl Strategy<Value = Posting> {
    (
        0usize..10,
        proptest::option::of(1u64..1000),
        proptest::option::of(0usize..3),
        proptest::option::of(1u32..100),
        any::<i64>(),
    )
        .prop_map(|(book, obligation, component, source, amount_minor)| Posting {
            book: Book::ALL[book],
            obligation: obligation.map(ObligationId),
            component: component.map(|index| Component::ALL[index]),
            source: source.map(EventSeq),
            amount_minor,
        })
}

fn arb_event_kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        (1u64..100, 0i64..1_000_000, 0i64..1000, 0i64..1000, 0u32..400).prop_map(
            |(obligation, p, i, f, days)| EventKind::Charge {
                obligation: ObligationId(obligation),
                kind: ObligationKind::Invoice,
                due_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
                    + chrono::Days::new(u64::from(days)),
                amounts_minor: [p, i, f],
            }
        ),
        (1i64..1_000_000, proptest::option::of(1u64..100)).prop_map(|(amount_minor, directed)| {
            EventKind::Payment { amount_minor, directed_to: directed.map(ObligationId) }
        }),
        (1u32..100).prop_map(|payment| EventKind::Reversal {
            payment: EventSeq(payment),
            reason: ReversalReason::Returned
        }),
        (1u64..100, 0usize..3, 1i64..1000).prop_map(|(obligation, component, amount_minor)| {
            EventKind::Waiver {
                obligation: ObligationId(obligation),
                component: Component::ALL[component],
                amount_minor,
            }
        }),
        (1u64..100, 0usize..3, -1000i64..1000).prop_map(|(obligation, component, amount_minor)| {
            EventKind::Adjustment {
                obligation: ObligationId(obligation),
                component: Component::ALL[component],
                amount_minor,
            }
        }),
        Just(EventKind::ChargeOff),
        "[ -~]{0,40}".prop_map(|reason| EventKind::ChargeOffReversed { reason }),
        (prop::option::of(1u64..100), 1i64..i64::MAX, 0usize..3).prop_map(
            |(obligation, amount_minor, reason)| EventKind::CreditNote {
                obligation: obligation.map(ObligationId),
                amount_minor,
                reason: arrears_core::ledger::CreditNoteReason::ALL[reason],
            }
        ),
        (1u64..100, any::<bool>()).prop_map(|(obligation, disputed)| EventKind::Dispute {
            obligation: ObligationId(obligation),
            disputed
        }),
        Just(EventKind::WriteOffRemainder),
        (1u32..100)
            .prop_map(|write_off| EventKind::WriteOffReversed { write_off: EventSeq(write_off) }),
        (1u64..100).prop_map(|obligation| EventKind::ChargeWithdrawn {
            obligation: ObligationId(obligation)
        }),
        Just(EventKind::ApplyUnapplied),
        (1u32..100).prop_map(|commission| EventKind::CommissionReversed {
            commission: EventSeq(commission)
        }),
        (1u32..100, 0u32..=100).prop_map(|(payment, percent)| EventKind::CommissionOnSettled {
            payment: EventSeq(payment),
            rate: rust_decimal::Decimal::new(i64::from(percent), 2)
        }),
        ("[a-z ]{1,20}", 1u32..100).prop_map(|(reason, charge_off)| EventKind::ChargeOffUndone {
            reason,
            charge_off: EventSeq(charge_off)
        }),
        (1u64..100, 1i64..i64::MAX).prop_map(|(obligation, amount_minor)| EventKind::Refund {
            obligation: ObligationId(obligation),
            amount_minor
        }),
    ]
}

proptest! {
    #[test]
    fn postings_round_trip(postings in proptest::collection::vec(arb_posting(), 0..40)) {
        let bytes = encode_record(RecordKind::Derived, &postings);
        prop_assert_eq!(decode_record::<Vec<Posting>>(RecordKind::Derived, &bytes).unwrap(), postings);
    }

    #[test]
    fn events_round_trip(kind in arb_event_kind(), seq in 1u32..u32::MAX, days in 0u64..20_000, micros in 0i64..4_000_000_000_000_000, key in "[a-z0-9:-]{1,64}") {
        let record = EventRecord {
            event: Event { seq: EventSeq(seq), effective_on: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(days), kind },
            recorded_at: DateTime::from_timestamp_micros(micros).unwrap(),
            key,
        };
        let bytes = encode_record(RecordKind::Event, &record);
        prop_assert_eq!(decode_record::<EventRecord>(RecordKind::Event, &bytes).unwrap(), record);
    }

    #[test]
    fn accounts_round_trip(limit in proptest::option::of(0i64..1_000_000_000), grace in any::<u16>(), rate in 0u32..100_000, opened in 0u64..20_000, region in proptest::option::of(proptest::option::of("[A-Z0-9]{1,6}"))) {
        let mut account = account();
        account.credit_limit_minor = limit;
        account.terms.grace_days = grace;
        if let Some(interest) = account.terms.interest.as_mut() {
            interest.annual_rate = rust_decimal::Decimal::new(i64::from(rate), 5);
        }
        account.opened_on = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(opened);
        let debtor_jurisdiction =
            region.map(|region| Jurisdiction { country: "CO".into(), region });
        let record = crate::AccountRecord { account, debtor_jurisdiction };
        let bytes = encode_record(RecordKind::Account, &record);
        prop_assert_eq!(decode_record::<crate::AccountRecord>(RecordKind::Account, &bytes).unwrap(), record);
    }

    #[test]
    fn snapshots_round_trip(
        payments in proptest::collection::vec((1u64..60, 1i64..20_000, any::<bool>()), 0..20),
        ledger_head in any::<u64>(),
    ) {
        let mut events = snapshot_events();
        for (day, amount_minor, reverse) in payments {
            let seq = EventSeq(u32::try_from(events.len() + 1).unwrap());
            let on = date("2026-02-01") + chrono::Days::new(day);
            events.push(Event { seq, effective_on: on, kind: EventKind::Payment { amount_minor, directed_to: None } });
            if reverse {
                let reversal = EventSeq(seq.0 + 1);
                events.push(Event { seq: reversal, effective_on: on, kind: EventKind::Reversal { payment: seq, reason: ReversalReason::Returned } });
            }
        }
        let state = arrears_core::ledger::replay(&account(), &events, None).state;
        let record = crate::SnapshotRecord { state, ledger_head };
        let bytes = encode_record(RecordKind::Snapshot, &record);
        prop_assert_eq!(bytes[0], 4);
        prop_assert_eq!(crate::rows::decode_snapshot_head(&bytes), Ok(ledger_head));
        prop_assert_eq!(decode_record::<crate::SnapshotRecord>(RecordKind::Snapshot, &bytes).unwrap(), record.clone());
        // Version 3, which formats 6 to 12 wrote, is the row's bytes, and reads as the same
        // record; so does a state cut into its hot and cold parts.
        let mut cut = record.clone();
        let _ = cut.state.split_cold(1);
        for record in [record, cut] {
            let version_3 = encode(RecordKind::Snapshot, &record.to_row());
            prop_assert_eq!(version_3[0], 3);
            let row = decode::<crate::rows::ledger::SnapshotRow>(RecordKind::Snapshot, &version_3).unwrap();
            prop_assert_eq!(&crate::SnapshotRecord::from_row(row), &record);
            prop_assert_eq!(crate::rows::decode_snapshot_head(&version_3), Ok(record.ledger_head));
            prop_assert_eq!(decode_record::<crate::SnapshotRecord>(RecordKind::Snapshot, &version_3).unwrap(), record.clone());
            let compact = encode_record(RecordKind::Snapshot, &record);
            prop_assert_eq!(decode_record::<crate::SnapshotRecord>(RecordKind::Snapshot, &compact).unwrap(), record);
        }
    }

    #[test]
    fn plugin_entries_round_trip(
        name in "[a-z_-]{1,64}",
        library in proptest::option::of(("/[a-z/.]{0,40}", any::<[u8; 32]>())),
        config in proptest::collection::vec(any::<u8>(), 0..600),
        in_process in any::<bool>(),
    ) {
        let source = match library {
            Some((path, sha256)) => crate::PluginSourceRow::Library { path, sha256 },
            None => crate::PluginSourceRow::Builtin { name: name.clone() },
        };
        let entry = crate::PluginEntryRow { name, source, config, in_process };
        let bytes = encode_record(RecordKind::PluginEntry, &entry);
        prop_assert_eq!(decode_record::<crate::PluginEntryRow>(RecordKind::PluginEntry, &bytes).unwrap(), entry);
    }

    #[test]
    fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_record::<crate::PluginEntryRow>(RecordKind::PluginEntry, &bytes);
        let _ = decode_record::<EventRecord>(RecordKind::Event, &bytes);
        let _ = decode_record::<Vec<Posting>>(RecordKind::Derived, &bytes);
        let _ = decode_record::<IdempotencyRecord>(RecordKind::Idempotency, &bytes);
        let _ = decode_record::<crate::SnapshotRecord>(RecordKind::Snapshot, &bytes);
        let _ = crate::rows::decode_snapshot_head(&bytes);
    }
}

/// A charge, an accrual and a payment: a state with every kind of field filled.
fn snapshot_events() -> Vec<Event> {
    vec![
        Event {
            seq: EventSeq(1),
            effective_on: date("2026-01-05"),
            kind: EventKind::Charge {
                obligation: ObligationId(11),
                kind: ObligationKind::Invoice,
                due_on: date("2026-02-05"),
                amounts_minor: [10_000, 0, 500],
            },
        },
        Event {
            seq: EventSeq(2),
            effective_on: date("2026-01-31"),
            kind: EventKind::AccrueInterest {
                obligation: ObligationId(12),
                due_on: date("2026-02-25"),
            },
        },
        Event {
            seq: EventSeq(3),
            effective_on: date("2026-02-01"),
            kind: EventKind::Payment { amount_minor: 2_000, directed_to: None },
        },
    ]
}

#[test]
fn golden_snapshot() {
    let state = arrears_core::ledger::replay(&account(), &snapshot_events(), None).state;
    let record = crate::SnapshotRecord { state, ledger_head: 0x0102_0304 };
    check(RecordKind::Snapshot, &record, expect!["040e80a55a020b04353ee88401010a0132f20201030000a01f020000b8170200e807000084c0de1f1fda8701a01f9f9c01f102e7070303000100030004030201000000004ef2d825"]);
    // Version 3 (formats 6 to 12), bincode's standard form of the row: the same record.
    older_version(RecordKind::Snapshot, &record, "03020b0bfc4a921600fc88921600fb6842000000000c0cfc7e921600fcb092160000fb72010000010103fc80921600fba00f000002000b00fbb80b000b02fbe803000000fc8092160000082d35322e303030300500fbda4301fba00f02fb1f4e03fb710104fbe703030301fc8092160001fc7e92160001fc80921600000300000403020100000000a3f51170");
    // Version 2 (formats 3 to 5), before `ledger_head`: reads with head 0 (the migration to
    // format 6 fills it from the `ledger_heads` table).
    let headless = crate::SnapshotRecord { ledger_head: 0, ..record };
    older_version(RecordKind::Snapshot, &headless, "02020b0bfc4a921600fc88921600fb6842000000000c0cfc7e921600fcb092160000fb72010000010103fc80921600fba00f000002000b00fbb80b000b02fbe803000000fc8092160000082d35322e303030300500fbda4301fba00f02fb1f4e03fb710104fbe703030301fc8092160001fc7e92160001fc8092160000030000da8d08a9");
    // Version 1 (format 2), before `cold_parts`: reads as a whole state.
    older_version(RecordKind::Snapshot, &headless, "01020b0bfc4a921600fc88921600fb6842000000000c0cfc7e921600fcb092160000fb72010000010103fc80921600fba00f000002000b00fbb80b000b02fbe803000000fc8092160000082d35322e303030300500fbda4301fba00f02fb1f4e03fb710104fbe703030301fc8092160001fc7e92160001fc8092160000037e8a36be");
}

/// The last build of format 2 (commit 58395a3) wrote version-1 snapshots with `cold_parts`
/// (always 0) appended: they read as the whole state of version 1. A version-1 snapshot with
/// any other byte or bytes after the state is refused as before.
#[test]
fn a_version_1_snapshot_of_the_last_format_2_build_reads_and_other_leftovers_do_not() {
    let state = arrears_core::ledger::replay(&account(), &snapshot_events(), None).state;
    let headless = crate::SnapshotRecord { state, ledger_head: 0 };
    let version_1: Vec<u8> = {
        let hex = "01020b0bfc4a921600fc88921600fb6842000000000c0cfc7e921600fcb092160000fb72010000010103fc80921600fba00f000002000b00fbb80b000b02fbe803000000fc8092160000082d35322e303030300500fbda4301fba00f02fb1f4e03fb710104fbe703030301fc8092160001fc7e92160001fc8092160000037e8a36be";
        (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
            .collect()
    };
    let with = |extra: &[u8]| {
        let mut bytes = version_1[..version_1.len() - 4].to_vec();
        bytes.extend_from_slice(extra);
        let checksum = crc32(&bytes);
        bytes.extend_from_slice(&checksum.to_le_bytes());
        bytes
    };
    let decoded: crate::SnapshotRecord =
        decode_record(RecordKind::Snapshot, &with(&[0])).expect("the 58395a3 snapshot");
    assert_eq!(decoded, headless);
    for extra in [&[1][..], &[0, 0], &[7, 0], &[0, 0, 0]] {
        assert!(
            matches!(
                decode_record::<crate::SnapshotRecord>(RecordKind::Snapshot, &with(extra)),
                Err(DecodeError::Payload { .. })
            ),
            "{extra:?} after a version-1 state was accepted"
        );
    }
}

/// Format 3: what a snapshot moves out once settled, and the snapshot that counts it.
#[test]
fn golden_cold_part() {
    let mut events = snapshot_events();
    events.push(Event {
        seq: EventSeq(4),
        effective_on: date("2026-03-01"),
        kind: EventKind::Payment { amount_minor: 20_000, directed_to: None },
    });
    // Late enough that the payment of February is older than the 92 days a split keeps hot
    // (`RECENT_DAYS_KEPT`), and the one of March 1st is not.
    for seq in 5..=6 {
        events.push(Event {
            seq: EventSeq(seq),
            effective_on: date("2026-05-31"),
            kind: EventKind::Payment { amount_minor: 100, directed_to: None },
        });
    }
    let mut state = arrears_core::ledger::replay(&account(), &events, None).state;
    let part = state.split_cold(1).expect("settled obligations and an applied payment");
    assert_eq!(state.cold_parts, 1);
    check(
        RecordKind::ColdPart,
        &part,
        expect!["01000103fc80921600fba00f000002000b00fbb80b000b02fbe80300e3575c1a"],
    );
    let record = crate::SnapshotRecord { state, ledger_head: 6 };
    check(RecordKind::Snapshot, &record, expect!["042eeea65a020b00a3023e0102ef0132030404b501c0b802e6b001020000e884010102f202010400c801c80100010400c801c801000304e6b00105c80106c801e0861d84c0de1f3f00f0da029f9c01f102e707f5b301060600ef01000601ed010600000000000000a4a19c5e"]);
    // Version 3 (formats 6 to 12): the same record.
    older_version(RecordKind::Snapshot, &record, "03020b0bfc4a921600fc8892160000000000000c0cfc7e921600fcb092160000000000010304fcb8921600fb409c000002000b00fb6842000c01fb7201fb665805fc6e931600c8000000c806fc6e931600c8000000c80304fb665805c806c800fc6e931600fc60430700082d35322e3030303006000001fb70ad02fb1f4e03fb710104fbe70305fbf559060601fc6e93160001fc7e92160001fc6e93160000060101fc809216000600000000000000aaea2789");
}

pub(crate) fn case() -> arrears_core::case::CollectionCase {
    use arrears_core::case::{PlanRecord, PromiseRecord, SettlementRecord};
    use arrears_core::collection::{CollectionState, StickyFlags};
    use arrears_core::plan::{Frequency, PromisedPayment};
    arrears_core::case::CollectionCase {
        account: AccountId(3),
        state: CollectionState::Delinquent { stage: 2 },
        flags: StickyFlags {
            cease_communication: false,
            attorney_represented: true,
            bankruptcy_stay: false,
            deceased: false,
            time_barred: false,
            bankruptcy_discharged: false,
        },
        stage: Some("early".into()),
        stage_entered_on: Some(date("2026-02-01")),
        arm: "champion".into(),
        next_review_on: date("2026-02-02"),
        last_review_on: Some(date("2026-02-01")),
        decided_on: date("2026-02-01"),
        promise: Some(PromiseRecord {
            made_on: date("2026-02-01"),
            payments: vec![PromisedPayment { on: date("2026-02-05"), amount_minor: 5_000 }],
            grace_days: 2,
        }),
        plan: Some(PlanRecord {
            created_on: date("2026-01-20"),
            frequency: Frequency::Monthly,
            installments: vec![ObligationId(8), ObligationId(9)],
            total_minor: 20_000,
            missed: 1,
            default_after_missed: 2,
            grace_days: 5,
        }),
        settlement: Some(SettlementRecord {
            offered_on: date("2026-02-01"),
            amount_minor: 15_000,
            expires_on: date("2026-03-03"),
            accepted_on: None,
        }),
        placement: None,
        credit_hold: true,
        broken_promises: 1,
        promise_broken_on: Some(date("2026-01-15")),
        kept_promises: 0,
        steps_issued: vec![0, 1],
        late_fees_assessed: vec![ObligationId(4)],
        interrupted: Vec::new(),
        capacity: None,
        time_barred_on: None,
        score: None,
        recalled_on: None,
        late_fee_charges: Vec::new(),
        forbearance: None,
        hardship_ended_on: None,
    }
}

/// Bytes written by an older record version of `kind`: still decoded, to `value`.
fn older_version<T: Record + PartialEq + std::fmt::Debug>(
    kind: RecordKind,
    value: &T,
    hex_bytes: &str,
) {
    let bytes: Vec<u8> = (0..hex_bytes.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex_bytes[at..at + 2], 16).unwrap())
        .collect();
    let decoded: T = decode_record(kind, &bytes).unwrap();
    assert_eq!(&decoded, value);
}

#[test]
fn golden_case_action_contact_audit() {
    use arrears_core::case::{
        Action, ActionStatus, AuditKind, AuditRecord, ContactAttempt, ContactOutcome,
    };
    // Case record versions 1 and 2 (before `interrupted`) read with nothing interrupted.
    older_version(RecordKind::Case, &case(), "02030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101045419116b");
    older_version(RecordKind::Case, &case(), "01030102000100000001056561726c79010a323032362d30322d3031086368616d70696f6e0a323032362d30322d3032010a323032362d30322d30310a323032362d30322d3031010a323032362d30322d3031010a323032362d30322d3035fb102702010a323032362d30312d323002020809fb409c010205010a323032362d30322d3031fb30750a323032362d30332d303300000101010a323032362d30312d31350002000101046a7b567d");
    // Version 3: a dispute opened during a hardship granted to a delinquent account
    // remembers both, and the debtor's stated capacity to pay (issue 14 point 8).
    let held = arrears_core::case::CollectionCase {
        state: arrears_core::collection::CollectionState::Disputed,
        interrupted: vec![
            arrears_core::collection::CollectionState::Delinquent { stage: 2 },
            arrears_core::collection::CollectionState::Hardship { until: date("2026-03-31") },
        ],
        capacity: Some(arrears_core::case::StatedCapacity {
            stated_on: date("2026-01-20"),
            monthly_income_minor: 300_000,
            monthly_expenses_minor: 180_000,
        }),
        time_barred_on: Some(date("2031-06-30")),
        score: None,
        ..case()
    };
    // Version 3 (before `score`) reads with none.
    older_version(RecordKind::Case, &held, "030304000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e92160000020001010402010205fcf492160001fc68921600fcc0270900fc407e050001fceea116008f26acd8");
    older_version(RecordKind::Case, &case(), "03030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000c0e6bc54");
    older_version(RecordKind::Case, &held, "040304000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e92160000020001010402010205fcf492160001fc68921600fcc0270900fc407e050001fceea116000054c5a475");
    older_version(RecordKind::Case, &case(), "04030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000007ab677fc");
    // Version 5 (before the flag `bankruptcy_discharged`, kept last) reads with it unset.
    older_version(RecordKind::Case, &case(), "05030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000c871cf5");
    older_version(RecordKind::Case, &case(), "06030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000000000001914e9d9");
    older_version(RecordKind::Case, &case(), "07030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000000755c6018");
    check(RecordKind::Case, &case(), expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000000000000000dcd8f025"]);
    // Version 6: a debt discharged in bankruptcy, the flag the record's last byte.
    let discharged = arrears_core::case::CollectionCase {
        flags: arrears_core::collection::StickyFlags {
            bankruptcy_discharged: true,
            ..case().flags
        },
        ..case()
    };
    older_version(RecordKind::Case, &discharged, "06030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000000000018f24eeae");
    older_version(RecordKind::Case, &discharged, "07030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000100346d7b01");
    check(RecordKind::Case, &discharged, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000000000010000ebb23224"]);
    // Version 4: the latest score (reads with no recall and no late fee charges).
    let scored = arrears_core::case::CollectionCase {
        score: Some(arrears_core::case::CaseScore {
            band: "medium_risk".into(),
            points: 642,
            scored_on: date("2026-02-05"),
        }),
        ..case()
    };
    older_version(RecordKind::Case, &scored, "04030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000010b6d656469756d5f7269736bfb0405fc88921600a2ed8591");
    // Version 5: the last recall and the late fees the cycle may still reverse.
    older_version(RecordKind::Case, &held, "050304000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e92160000020001010402010205fcf492160001fc68921600fcc0270900fc407e050001fceea11600000000a31e9723");
    older_version(RecordKind::Case, &held, "060304000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e92160000020001010402010205fcf492160001fc68921600fcc0270900fc407e050001fceea11600000000009139bb2f");
    older_version(RecordKind::Case, &held, "070304000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e92160000020001010402010205fcf492160001fc68921600fcc0270900fc407e050001fceea1160000000000005bfb9273");
    check(RecordKind::Case, &held, expect!["080304000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e92160000020001010402010205fcf492160001fc68921600fcc0270900fc407e050001fceea1160000000000000033c0b5d3"]);
    older_version(RecordKind::Case, &scored, "05030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000010b6d656469756d5f7269736bfb0405fc88921600000072647df7");
    older_version(RecordKind::Case, &scored, "06030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000010b6d656469756d5f7269736bfb0405fc8892160000000077fa3d2d");
    older_version(RecordKind::Case, &scored, "07030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000010b6d656469756d5f7269736bfb0405fc8892160000000000e2efa1ac");
    check(RecordKind::Case, &scored, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e921600000200010104000000010b6d656469756d5f7269736bfb0405fc8892160000000000009cf8ee3e"]);
    let recalled = arrears_core::case::CollectionCase {
        recalled_on: Some(date("2026-02-10")),
        late_fee_charges: vec![arrears_core::case::LateFeeCharge {
            obligation: ObligationId(4),
            fee: ObligationId(12),
            assessed_on: date("2026-02-06"),
            fee_minor: 2_500,
        }],
        ..case()
    };
    older_version(RecordKind::Case, &recalled, "05030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000001fc9292160001040cfc8a921600fb8813f2bdb24c");
    older_version(RecordKind::Case, &recalled, "06030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000001fc9292160001040cfc8a921600fb881300912cd026");
    older_version(RecordKind::Case, &recalled, "07030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000001fc9292160001040cfc8a921600fb8813000063e64928");
    check(RecordKind::Case, &recalled, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000001fc9292160001040cfc8a921600fb88130000002375b5b9"]);
    // Version 7: the forbearance measures recorded on a case (Directive (EU) 2023/2225 art.
    // 35(1)), one of each kind, after the flag that version 6 appended.
    for (measure, expected) in [
        (arrears_core::case::ForbearanceMeasure::Hardship, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000101fc8492160000004eb5c1f6"]),
        (arrears_core::case::ForbearanceMeasure::Plan, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000101fc8492160001000f84daef"]),
        (arrears_core::case::ForbearanceMeasure::Settlement, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000101fc849216000200ccd7f7c4"]),
        (arrears_core::case::ForbearanceMeasure::Assessed, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000101fc8492160003008de6ecdd"]),
    ] {
        let forborne = arrears_core::case::CollectionCase {
            forbearance: Some(arrears_core::case::ForbearanceRecord {
                on: date("2026-02-03"),
                measure,
            }),
            ..discharged.clone()
        };
        check(RecordKind::Case, &forborne, expected);
    }
    // Version 7 (before the hardship's end): a forborne case reads with none.
    let forborne = arrears_core::case::CollectionCase {
        forbearance: Some(arrears_core::case::ForbearanceRecord {
            on: date("2026-02-03"),
            measure: arrears_core::case::ForbearanceMeasure::Hardship,
        }),
        ..discharged.clone()
    };
    older_version(RecordKind::Case, &forborne, "07030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000101fc84921600002728d47d");
    // Version 8: the end of the case's latest hardship, after the forbearance measure.
    let held_over = arrears_core::case::CollectionCase {
        hardship_ended_on: Some(date("2026-02-21")),
        ..forborne
    };
    check(RecordKind::Case, &held_over, expect!["08030102000100000001056561726c7901fc80921600086368616d70696f6efc8292160001fc80921600fc8092160001fc8092160001fc88921600fb10270201fc6892160002020809fb409c01020501fc80921600fb3075fcbc9216000000010101fc5e9216000002000101040000000000000101fc849216000001fca89216008b938ef5"]);
    let action = Action {
        id: 0x0123_4567_89ab_cdef,
        debtor: DebtorId(7),
        accounts: vec![AccountId(3)],
        channel: ContactChannel::Email,
        address: "ana@example.com".into(),
        template: "early.notice".into(),
        scheduled_at: instant("2026-02-01T16:00:00Z"),
        created_for: date("2026-02-01"),
        status: ActionStatus::Acknowledged {
            outcome: ContactOutcome::Delivered,
            at: instant("2026-02-01T16:01:00Z"),
        },
        claim: None,
        sent_at: None,
        seq: 0,
        message: None,
        payment_link: None,
        invoice: None,
    };
    // Action record version 2 (before `Cancelled`) reads as it was.
    older_version(RecordKind::Action, &action, "02fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc809216000105fc78f1fed2002773ce43");
    // Version 3 (before `message` and `payment_link`) reads with neither.
    older_version(RecordKind::Action, &action, "03fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc809216000105fc78f1fed200000000501e673a");
    check(RecordKind::Action, &action, expect!["04fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc809216000105fc78f1fed20000000000000013f2ab74"]);
    // Version 3: a pending action cancelled by an opt-out (issue 14 point 3).
    let cancelled = Action {
        status: ActionStatus::Cancelled {
            reason: arrears_core::case::CancelReason::OptedOut,
            at: instant("2026-02-01T12:00:00Z"),
        },
        ..action.clone()
    };
    // Version 3: claimed by a sender, sent, and numbered (issue 14 point 5).
    let sent = Action {
        status: ActionStatus::Pending,
        claim: Some(arrears_core::case::Claim {
            by: "sms-gateway-1".into(),
            until: instant("2026-02-01T16:05:00Z"),
        }),
        sent_at: Some(instant("2026-02-01T16:00:30Z")),
        seq: 42,
        ..action.clone()
    };
    // Version 3 (before `message` and `payment_link`) reads with neither.
    older_version(RecordKind::Action, &sent, "03fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc8092160000010d736d732d676174657761792d31fc58f3fed20001fc3cf1fed2002a6f970e82");
    check(RecordKind::Action, &sent, expect!["04fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc8092160000010d736d732d676174657761792d31fc58f3fed20001fc3cf1fed2002a00000099dd6392"]);
    // Version 3 (before `message` and `payment_link`) reads with neither.
    older_version(RecordKind::Action, &cancelled, "03fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc809216000200fc8080fed20000000075673d23");
    check(RecordKind::Action, &cancelled, expect!["04fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc809216000200fc8080fed200000000000000540c6e3f"]);
    // Version 4: the rendered message and the payment link (issue 19 points 1 to 3).
    let rendered = Action {
        status: ActionStatus::Pending,
        message: Some(arrears_core::case::ActionMessage {
            tone: arrears_core::message::Tone::Firm,
            language: "es".into(),
            text: "Hola Ana, pague US$ 45,50: https://pay.example.com/a/81985529216486895".into(),
        }),
        payment_link: Some("https://pay.example.com/a/81985529216486895".into()),
        invoice: Some(arrears_core::ids::ObligationId(4)),
        ..action.clone()
    };
    check(RecordKind::Action, &rendered, expect!["04fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f74696365fc00f1fed200fc8092160000000000010102657346486f6c6120416e612c207061677565205553242034352c35303a2068747470733a2f2f7061792e6578616d706c652e636f6d2f612f3831393835353239323136343836383935012b68747470733a2f2f7061792e6578616d706c652e636f6d2f612f383139383535323932313634383638393501048aac565f"]);
    older_version(RecordKind::Action, &action, "01fdefcdab8967452301070103020f616e61406578616d706c652e636f6d0c6561726c792e6e6f7469636514323032362d30322d30315431363a30303a30305a0a323032362d30322d3031010514323032362d30322d30315431363a30313a30305aca9b06a3");
    // Notes (added within format 2, issue 14 point 3).
    let note = arrears_core::case::Note {
        account: Some(AccountId(3)),
        at: instant("2026-02-02T15:10:00Z"),
        author: "agent-7".into(),
        text: "Asked to be called after payday".into(),
    };
    check(RecordKind::Note, &note, expect!["010103fc907c01d300076167656e742d371f41736b656420746f2062652063616c6c656420616674657220706179646179b7b641ff"]);
    let contact = ContactAttempt {
        accounts: vec![AccountId(3)],
        channel: ContactChannel::Phone,
        address: "+15550100".into(),
        at: instant("2026-02-02T15:00:00Z"),
        inbound: false,
        outcome: ContactOutcome::RightParty,
        action: None,
    };
    check(
        RecordKind::Contact,
        &contact,
        expect!["02010300092b3135353530313030fce07701d3000003007aaa0754"],
    );
    format_1(
        RecordKind::Contact,
        &contact,
        "01010300092b313535353031303014323032362d30322d30325431353a30303a30305a000300b537964e",
    );
    let entry = crate::AuditEntry {
        record: AuditRecord {
            seq: 2,
            recorded_at: instant("2026-02-01T00:00:00Z"),
            account: Some(AccountId(3)),
            kind: AuditKind::Transition {
                event: "review".into(),
                from: "current".into(),
                to: "delinquent".into(),
                on: date("2026-02-01"),
            },
            prev_hash: [7; 32],
        },
        hash: [9; 32],
        replay: None,
    };
    // Version 2 (before `replay`) reads with none.
    older_version(RecordKind::Audit, &entry, "0202fc002ffdd200010301067265766965770763757272656e740a64656c696e7175656e74fc80921600070707070707070707070707070707070707070707070707070707070707070709090909090909090909090909090909090909090909090909090909090909091a88d115");
    // Version 3 (formats 5 to 8, the previous hash kept) reads as it did.
    older_version(RecordKind::Audit, &entry, "0302fc002ffdd200010301067265766965770763757272656e740a64656c696e7175656e74fc80921600070707070707070707070707070707070707070707070707070707070707070709090909090909090909090909090909090909090909090909090909090909090045cd6c69");
    check_audit(&entry, expect!["0402fc002ffdd200010301067265766965770763757272656e740a64656c696e7175656e74fc80921600090909090909090909090909090909090909090909090909090909090909090900aad0269e"]);
    // Format 1's entry (no `replay`) reads with none; the record's format-1 form, which the
    // chain's hash is taken over, is what that entry began with.
    let format_1_entry = "010214323032362d30322d30315430303a30303a30305a010301067265766965770763757272656e740a64656c696e7175656e740a323032362d30322d3031070707070707070707070707070707070707070707070707070707070707070709090909090909090909090909090909090909090909090909090909090909094c24c64d";
    older_version(RecordKind::Audit, &entry, format_1_entry);
    let record = hex(&crate::codec::encode_record_format_1(RecordKind::Audit, &entry.record));
    assert!(format_1_entry.starts_with(&record[..record.len() - 8]));
}

#[test]
fn golden_idempotency_record() {
    // The wrapper; the engine's command/tests.rs freezes the command and outcome bytes inside.
    let record = crate::IdempotencyRecord { command: vec![2, 7, 1], result: vec![2, 8, 0, 9] };
    check(RecordKind::Idempotency, &record, expect!["020302070104020800098fe96aba"]);
}

#[test]
fn golden_audit_command_executed() {
    use arrears_core::case::{AuditKind, AuditRecord};
    let entry = crate::AuditEntry {
        record: AuditRecord {
            seq: 5,
            recorded_at: instant("2026-02-01T00:00:00Z"),
            account: Some(AccountId(3)),
            kind: AuditKind::CommandExecuted {
                name: "payment".into(),
                key: "pay-1".into(),
                content: [5; 32],
            },
            prev_hash: [7; 32],
        },
        hash: [9; 32],
        replay: None,
    };
    // Version 2 (before `replay`) reads with none.
    older_version(RecordKind::Audit, &entry, "0205fc002ffdd200010305077061796d656e74057061792d31050505050505050505050505050505050505050505050505050505050505050507070707070707070707070707070707070707070707070707070707070707070909090909090909090909090909090909090909090909090909090909090909ed53c24b");
    // Version 3 (formats 5 to 8, the previous hash kept) reads as it did.
    older_version(RecordKind::Audit, &entry, "0305fc002ffdd200010305077061796d656e74057061792d3105050505050505050505050505050505050505050505050505050505050505050707070707070707070707070707070707070707070707070707070707070707090909090909090909090909090909090909090909090909090909090909090900650ba199");
    check_audit(&entry, expect!["0405fc002ffdd200010305077061796d656e74057061792d3105050505050505050505050505050505050505050505050505050505050505050909090909090909090909090909090909090909090909090909090909090909000d7828eb"]);
    // Format 5: the command's idempotency record rides on its audit entry.
    let replay = crate::IdempotencyRecord { command: vec![2, 7, 1], result: vec![2, 8, 0, 9] };
    let entry = crate::AuditEntry { replay: Some(replay), ..entry };
    // Version 3 (formats 5 to 8, the previous hash kept) reads as it did.
    older_version(RecordKind::Audit, &entry, "0305fc002ffdd200010305077061796d656e74057061792d3105050505050505050505050505050505050505050505050505050505050505050707070707070707070707070707070707070707070707070707070707070707090909090909090909090909090909090909090909090909090909090909090901030207010402080009b869f5c4");
    check_audit(&entry, expect!["0405fc002ffdd200010305077061796d656e74057061792d3105050505050505050505050505050505050505050505050505050505050505050909090909090909090909090909090909090909090909090909090909090909010302070104020800099cdff55a"]);
    // Version 5 (format 10): appended, with neither hash (both its commit's).
    let bytes =
        crate::rows::case::encode_committed_audit_entry(&entry.record, entry.replay.as_ref());
    expect!["0505fc002ffdd200010305077061796d656e74057061792d310505050505050505050505050505050505050505050505050505050505050505010302070104020800095e53e96c"].assert_eq(&hex(&bytes));
    let (decoded, prev_hash) =
        crate::rows::case::decode_audit_entry(RecordKind::Audit, &bytes).unwrap();
    assert_eq!(prev_hash, crate::rows::case::PrevHash::OfCommit);
    let filled = crate::AuditEntry {
        record: AuditRecord { prev_hash: [7; 32], ..decoded.record.clone() },
        hash: [9; 32],
        ..decoded
    };
    assert_eq!(filled, entry);
    // Alone, it cannot be complete: both hashes are its commit's, which its last entry keeps.
    let error = decode_record::<crate::AuditEntry>(RecordKind::Audit, &bytes).unwrap_err();
    assert!(error.to_string().contains("its commit's hash"), "{error}");
}

#[test]
fn golden_audit_action_blocked() {
    use arrears_core::case::{AuditKind, AuditRecord};
    // The cycle's legal referral of a Spanish debtor's account blocked until forbearance was
    // assessed (Directive (EU) 2023/2225 art. 35(1)).
    let entry = crate::AuditEntry {
        record: AuditRecord {
            seq: 5,
            recorded_at: instant("2026-06-15T00:00:00Z"),
            account: Some(AccountId(3)),
            kind: AuditKind::ActionBlocked {
                debtor: DebtorId(7),
                action: arrears_core::compliance::ActionKind::Suit,
                rule: "es.forbearance-before-enforcement".into(),
                on: date("2026-06-15"),
            },
            prev_hash: [7; 32],
        },
        hash: [9; 32],
        replay: None,
    };
    check_audit(&entry, expect!["0405fc00815ed40001030807032165732e666f7262656172616e63652d6265666f72652d656e666f7263656d656e74fc8c9316000909090909090909090909090909090909090909090909090909090909090909003336d8ba"]);
}

#[test]
fn golden_audit_component_failed() {
    use arrears_core::case::{AuditKind, AuditRecord};
    let entry = crate::AuditEntry {
        record: AuditRecord {
            seq: 4,
            recorded_at: instant("2026-02-01T00:00:00Z"),
            account: None,
            kind: AuditKind::ComponentFailed {
                arm: "champion".into(),
                component: "scorer".into(),
                name: "scorecard".into(),
                accounts: 12,
                error: "timed out".into(),
            },
            prev_hash: [7; 32],
        },
        hash: [9; 32],
        replay: None,
    };
    // Version 2 (before `replay`) reads with none.
    older_version(RecordKind::Audit, &entry, "0204fc002ffdd2000004086368616d70696f6e0673636f7265720973636f7265636172640c0974696d6564206f757407070707070707070707070707070707070707070707070707070707070707070909090909090909090909090909090909090909090909090909090909090909ef675927");
    // Version 3 (formats 5 to 8, the previous hash kept) reads as it did.
    older_version(RecordKind::Audit, &entry, "0304fc002ffdd2000004086368616d70696f6e0673636f7265720973636f7265636172640c0974696d6564206f757407070707070707070707070707070707070707070707070707070707070707070909090909090909090909090909090909090909090909090909090909090909003c7968d3");
    check_audit(&entry, expect!["0404fc002ffdd2000004086368616d70696f6e0673636f7265720973636f7265636172640c0974696d6564206f7574090909090909090909090909090909090909090909090909090909090909090900541a2320"]);
}

#[test]
fn golden_new_ledger_events() {
    use arrears_core::ledger::PlannedInstallment;
    let reschedule = EventRecord {
        event: Event {
            seq: EventSeq(6),
            effective_on: date("2026-02-16"),
            kind: EventKind::Reschedule {
                replaces: vec![ObligationId(1)],
                installments: vec![PlannedInstallment {
                    obligation: ObligationId(8),
                    due_on: date("2026-03-01"),
                    principal_minor: 10_000,
                    interest_minor: 50,
                }],
            },
        },
        recorded_at: instant("2026-02-16T09:00:00Z"),
        key: "plan-1".into(),
    };
    check(
        RecordKind::Event,
        &reschedule,
        expect!["0206fc9e9216000801010108fcb8921600fb204e64fc20b925d30006706c616e2d31d0f0422d"],
    );
    format_1(RecordKind::Event, &reschedule, "01060a323032362d30322d313608010101080a323032362d30332d3031fb204e6414323032362d30322d31365430393a30303a30305a06706c616e2d31fc3af8cc");
    let commission = EventRecord {
        event: Event {
            seq: EventSeq(7),
            effective_on: date("2026-03-20"),
            kind: EventKind::Commission { payment: EventSeq(6), rate: "0.25".parse().unwrap() },
        },
        recorded_at: instant("2026-03-20T09:00:00Z"),
        key: "p1".into(),
    };
    check(
        RecordKind::Event,
        &commission,
        expect!["0207fcde9216000a0604302e3235fc20197ad300027031ec94ae08"],
    );
    format_1(RecordKind::Event, &commission, "01070a323032362d30332d32300a0604302e323514323032362d30332d32305430393a30303a30305a0270316f31955f");
    let write_off = EventRecord {
        event: Event {
            seq: EventSeq(8),
            effective_on: date("2026-03-21"),
            kind: EventKind::WriteOffRemainder,
        },
        recorded_at: instant("2026-03-21T09:00:00Z"),
        key: "settle-1".into(),
    };
    check(
        RecordKind::Event,
        &write_off,
        expect!["0208fce092160009fc20bc7cd30008736574746c652d31ac0dd897"],
    );
}

#[test]
fn golden_charge_off_reversed() {
    // Issue 21: the last kind of event, appended so that the other kinds keep their bytes.
    let reversed = EventRecord {
        event: Event {
            seq: EventSeq(9),
            effective_on: date("2027-02-20"),
            kind: EventKind::ChargeOffReversed { reason: "wrong cycle date".into() },
        },
        recorded_at: instant("2026-02-21T09:00:00Z"),
        key: "undo".into(),
    };
    check(
        RecordKind::Event,
        &reversed,
        expect!["0209fc809516000b1077726f6e67206379636c652064617465fc20e832d30004756e646fdc53ad5e"],
    );
}

#[test]
fn golden_credit_note() {
    // Issue 18: credit notes, appended after the charge-off reversal; one on an obligation and
    // one on the open obligations.
    let on_obligation = EventRecord {
        event: Event {
            seq: EventSeq(4),
            effective_on: date("2026-03-10"),
            kind: EventKind::CreditNote {
                obligation: Some(ObligationId(2)),
                amount_minor: 12_500,
                reason: arrears_core::ledger::CreditNoteReason::Return,
            },
        },
        recorded_at: instant("2026-03-10T10:00:00Z"),
        key: "cn-1".into(),
    };
    check(
        RecordKind::Event,
        &on_obligation,
        expect!["0204fcca9216000c0102fba86100fc40d75fd30004636e2d3179353846"],
    );
    let on_account = EventRecord {
        event: Event {
            seq: EventSeq(5),
            effective_on: date("2026-03-11"),
            kind: EventKind::CreditNote {
                obligation: None,
                amount_minor: 300,
                reason: arrears_core::ledger::CreditNoteReason::BillingError,
            },
        },
        recorded_at: instant("2026-03-11T10:00:00Z"),
        key: "cn-2".into(),
    };
    check(
        RecordKind::Event,
        &on_account,
        expect!["0205fccc9216000c00fb580202fc407a62d30004636e2d32103e6c03"],
    );
}

#[test]
fn golden_write_off_reversed() {
    // A settlement voided by its returned payment: the write-off's reversal, appended after the
    // credit note so that the other kinds keep their bytes.
    let reversed = EventRecord {
        event: Event {
            seq: EventSeq(10),
            effective_on: date("2026-03-24"),
            kind: EventKind::WriteOffReversed { write_off: EventSeq(8) },
        },
        recorded_at: instant("2026-03-24T09:00:00Z"),
        key: "settle-1-returned".into(),
    };
    check(
        RecordKind::Event,
        &reversed,
        expect!["020afce69216000d08fc20a584d30011736574746c652d312d72657475726e65642944adc0"],
    );
    // A late fee taken back whole with the money that paid it, appended after it.
    let withdrawn = EventRecord {
        event: Event {
            seq: EventSeq(11),
            effective_on: date("2026-02-06"),
            kind: EventKind::ChargeWithdrawn { obligation: ObligationId(2) },
        },
        recorded_at: instant("2026-02-08T09:00:00Z"),
        key: "p-in-time".into(),
    };
    check(
        RecordKind::Event,
        &withdrawn,
        expect!["020bfc8a9216000e02fc20a110d30009702d696e2d74696d65efbadac7"],
    );
    // The debtor's credit applied to what a returned payment re-opened, appended after it.
    let applied = EventRecord {
        event: Event {
            seq: EventSeq(12),
            effective_on: date("2026-02-03"),
            kind: EventKind::ApplyUnapplied,
        },
        recorded_at: instant("2026-02-05T09:00:00Z"),
        key: "p1-returned".into(),
    };
    check(
        RecordKind::Event,
        &applied,
        expect!["020cfc849216000ffc20b808d3000b70312d72657475726e6564650857a1"],
    );
    // An agency's commission taken back when its payment is returned, appended after it.
    let taken_back = EventRecord {
        event: Event {
            seq: EventSeq(13),
            effective_on: date("2026-02-03"),
            kind: EventKind::CommissionReversed { commission: EventSeq(7) },
        },
        recorded_at: instant("2026-02-05T09:00:00Z"),
        key: "p1-returned".into(),
    };
    check(
        RecordKind::Event,
        &taken_back,
        expect!["020dfc849216001007fc20b808d3000b70312d72657475726e65643b872b64"],
    );
    // A charge-off reversed right after the charge-off it undoes, appended after it.
    let undone = EventRecord {
        event: Event {
            seq: EventSeq(14),
            effective_on: date("2026-03-01"),
            kind: EventKind::ChargeOffUndone { reason: "mistake".into(), charge_off: EventSeq(9) },
        },
        recorded_at: instant("2026-03-02T09:00:00Z"),
        key: "undo".into(),
    };
    check(
        RecordKind::Event,
        &undone,
        expect!["020efcb892160011076d697374616b6509fc20a34ad30004756e646f6d33faa7"],
    );
    // An agency's commission on what its payment settled, appended after it.
    let on_settled = EventRecord {
        event: Event {
            seq: EventSeq(15),
            effective_on: date("2026-03-01"),
            kind: EventKind::CommissionOnSettled {
                payment: EventSeq(14),
                rate: "0.25".parse().unwrap(),
            },
        },
        recorded_at: instant("2026-03-02T09:00:00Z"),
        key: "p3".into(),
    };
    check(
        RecordKind::Event,
        &on_settled,
        expect!["020ffcb8921600120e04302e3235fc20a34ad3000270331dc4062e"],
    );
    // A refund of unapplied cash, appended after it (session 35), and its obligation.
    let refund = EventRecord {
        event: Event {
            seq: EventSeq(16),
            effective_on: date("2026-03-05"),
            kind: EventKind::Refund { obligation: ObligationId(21), amount_minor: 1_250 },
        },
        recorded_at: instant("2026-03-05T09:00:00Z"),
        key: "rf-1".into(),
    };
    check(
        RecordKind::Event,
        &refund,
        expect!["0210fcc09216001315fbc409fc208c52d3000472662d31c151898e"],
    );
    let obligation = Obligation {
        id: ObligationId(21),
        account: AccountId(3),
        external_ref: Some("RF-1".into()),
        kind: ObligationKind::Refund,
        issued_on: date("2026-03-05"),
        due_on: date("2026-03-05"),
        original_minor: [1_250, 0, 0],
    };
    check(
        RecordKind::Obligation,
        &obligation,
        expect!["021503010452462d3105fcc0921600fcc0921600fbc40900009316e772"],
    );
}

#[test]
fn the_head_of_an_account_record_is_its_debtor_too() {
    let bytes = encode_record(RecordKind::Account, &account_record());
    let head: crate::AccountHead = decode_head(RecordKind::Account, &bytes).unwrap();
    assert_eq!(head.debtor, 7);
    // The head of a format-1 record, and of a damaged one.
    let format_1 = encode_format_1(
        RecordKind::Account,
        &Stored::<crate::rows::model::AccountRecordRow>::to_row(&account_record()),
    );
    let head: crate::AccountHead = decode_head(RecordKind::Account, &format_1).unwrap();
    assert_eq!(head.debtor, 7);
    let mut damaged = bytes.clone();
    damaged[3] ^= 0x01;
    assert!(decode_head::<crate::AccountHead>(RecordKind::Account, &damaged).is_err());
}

#[test]
fn golden_plugin_entry() {
    let builtin = crate::PluginEntryRow {
        name: "scorecard".into(),
        source: crate::PluginSourceRow::Builtin { name: "scorecard".into() },
        config: b"a,b\n".to_vec(),
        in_process: false,
    };
    check(
        RecordKind::PluginEntry,
        &builtin,
        expect!["020973636f726563617264000973636f72656361726404612c620a0016c37817"],
    );
    // Version 1, before `in_process`: reads as isolated.
    older_version(
        RecordKind::PluginEntry,
        &builtin,
        "010973636f726563617264000973636f72656361726404612c620a7b088373",
    );
    let library = crate::PluginEntryRow {
        name: "vendor".into(),
        source: crate::PluginSourceRow::Library { path: "/opt/v.so".into(), sha256: [0xab; 32] },
        config: Vec::new(),
        in_process: false,
    };
    older_version(RecordKind::PluginEntry, &library, "010676656e646f7201092f6f70742f762e736fabababababababababababababababababababababababababababababababab0020389865");
    check(RecordKind::PluginEntry, &library, expect!["020676656e646f7201092f6f70742f762e736fabababababababababababababababababababababababababababababababab0000be87606a"]);
    let trusted = crate::PluginEntryRow { in_process: true, ..library };
    check(RecordKind::PluginEntry, &trusted, expect!["020676656e646f7201092f6f70742f762e736fabababababababababababababababababababababababababababababababab000128b7671d"]);
}

#[test]
fn golden_audit_plugin_registry() {
    use arrears_core::case::{AuditKind, AuditRecord};
    let added = crate::AuditEntry {
        record: AuditRecord {
            seq: 6,
            recorded_at: instant("2026-02-01T00:00:00Z"),
            account: None,
            kind: AuditKind::PluginAdded { name: "scorecard".into(), entry: [3; 32] },
            prev_hash: [7; 32],
        },
        hash: [9; 32],
        replay: None,
    };
    // Version 2 (before `replay`) reads with none.
    older_version(RecordKind::Audit, &added, "0206fc002ffdd20000060973636f7265636172640303030303030303030303030303030303030303030303030303030303030303070707070707070707070707070707070707070707070707070707070707070709090909090909090909090909090909090909090909090909090909090909097ef10a01");
    // Version 3 (formats 5 to 8, the previous hash kept) reads as it did.
    older_version(RecordKind::Audit, &added, "0306fc002ffdd20000060973636f726563617264030303030303030303030303030303030303030303030303030303030303030307070707070707070707070707070707070707070707070707070707070707070909090909090909090909090909090909090909090909090909090909090909006b4b6ecb");
    check_audit(&added, expect!["0406fc002ffdd20000060973636f72656361726403030303030303030303030303030303030303030303030303030303030303030909090909090909090909090909090909090909090909090909090909090909002724b849"]);
    let removed = crate::AuditEntry {
        record: AuditRecord {
            seq: 7,
            recorded_at: instant("2026-02-01T00:00:00Z"),
            account: None,
            kind: AuditKind::PluginRemoved { name: "scorecard".into(), entry: [3; 32] },
            prev_hash: [7; 32],
        },
        hash: [9; 32],
        replay: None,
    };
    // Version 2 (before `replay`) reads with none.
    older_version(RecordKind::Audit, &removed, "0207fc002ffdd20000070973636f72656361726403030303030303030303030303030303030303030303030303030303030303030707070707070707070707070707070707070707070707070707070707070707090909090909090909090909090909090909090909090909090909090909090905150404");
    // Version 3 (formats 5 to 8, the previous hash kept) reads as it did.
    older_version(RecordKind::Audit, &removed, "0307fc002ffdd20000070973636f726563617264030303030303030303030303030303030303030303030303030303030303030307070707070707070707070707070707070707070707070707070707070707070909090909090909090909090909090909090909090909090909090909090909003bedbc0c");
    check_audit(&removed, expect!["0407fc002ffdd20000070973636f7265636172640303030303030303030303030303030303030303030303030303030303030303090909090909090909090909090909090909090909090909090909090909090900d635f99d"]);
}

/// Teams, agents, work items and the work log (added within format 2, issue 14 point 6).
#[test]
fn golden_work_records() {
    use arrears_core::work::{
        Agent, Skills, Team, WorkClaim, WorkItem, WorkLogEntry, WorkOutcomeCode,
    };
    let skills = Skills {
        languages: vec!["es".into()],
        products: vec![ProductKind::Installment],
        jurisdictions: vec!["US-TX".into()],
    };
    let team = Team { name: "spanish".into(), skills: skills.clone() };
    check(RecordKind::Team, &team, expect!["01077370616e697368010265730101010555532d5458f52e063a"]);
    let agent = Agent {
        id: "agent-7".into(),
        name: "Rosa Diaz".into(),
        teams: vec!["spanish".into()],
        skills,
        active: true,
    };
    check(RecordKind::Agent, &agent, expect!["01076167656e742d3709526f7361204469617a01077370616e697368010265730101010555532d54580173f053c6"]);
    let item = WorkItem {
        account: AccountId(3),
        next_action_on: Some(date("2026-02-03")),
        claim: Some(WorkClaim { agent: "agent-7".into(), until: instant("2026-02-02T15:10:00Z") }),
        extension_requested_on: None,
    };
    check(
        RecordKind::WorkItem,
        &item,
        expect!["010301fc8492160001076167656e742d37fc907c01d30000b881edc5"],
    );
    let entry = WorkLogEntry {
        agent: "agent-7".into(),
        team: Some("spanish".into()),
        account: AccountId(3),
        code: WorkOutcomeCode::Promise,
        at: instant("2026-02-02T15:10:00Z"),
        promised_minor: 12_500,
    };
    check(
        RecordKind::WorkLog,
        &entry,
        expect!["01076167656e742d3701077370616e6973680300fc907c01d300fba861e079d7ff"],
    );
}

#[test]
fn golden_bank_line() {
    use arrears_core::cash::{AppliedPart, HeldLine};
    let line = HeldLine {
        bank_ref: "NTRF-1".into(),
        value_on: date("2026-03-02"),
        currency: Currency::EUR,
        amount_minor: 12_500,
        payer_name: Some("Ana Ruiz".into()),
        payer_account: Some("ES9121000418450200051332".into()),
        remittance: "F-1".into(),
        received_at: instant("2026-03-02T09:00:00Z"),
        applied: vec![AppliedPart {
            account: AccountId(3),
            event: EventSeq(4),
            amount_minor: 10_000,
            effective_on: date("2026-03-05"),
        }],
        returned: Vec::new(),
    };
    // Version 1, before `returned`: reads with nothing returned.
    older_version(RecordKind::BankLine, &line, "01064e5452462d31fcba92160003455552fba8610108416e61205275697a011845533931323130303034313834353032303030353133333203462d31fc20a34ad300010304fb204efcc0921600c2e66e52");
    check(RecordKind::BankLine, &line, expect!["02064e5452462d31fcba92160003455552fba8610108416e61205275697a011845533931323130303034313834353032303030353133333203462d31fc20a34ad300010304fb204efcc092160000d91eae7a"]);
    let returned = HeldLine {
        returned: vec![arrears_core::cash::ReturnedPart {
            amount_minor: 2_500,
            effective_on: date("2026-03-09"),
        }],
        ..line
    };
    check(RecordKind::BankLine, &returned, expect!["02064e5452462d31fcba92160003455552fba8610108416e61205275697a011845533931323130303034313834353032303030353133333203462d31fc20a34ad300010304fb204efcc092160001fb8813fcc89216003eb7168c"]);
}

#[test]
fn golden_payer_account() {
    use arrears_core::cash::{PayerScheme, RegisteredPayer};
    let payer = RegisteredPayer {
        debtor: DebtorId(7),
        scheme: PayerScheme::Iban,
        number: "ES9121000418450200051332".into(),
    };
    check(
        RecordKind::PayerAccount,
        &payer,
        expect!["01070018455339313231303030343138343530323030303531333332d552c927"],
    );
}

#[test]
fn golden_bank_match() {
    let record = arrears_core::cash::LineMatch {
        bank_ref: "NTRF-1".into(),
        value_on: date("2026-03-02"),
        currency: Currency::EUR,
        amount_minor: 12_500,
        rule: Some("RF reference".into()),
        posted_minor: 10_000,
    };
    check(
        RecordKind::BankMatch,
        &record,
        expect![
            "01064e5452462d31fcba92160003455552fba861010c5246207265666572656e6365fb204e909e0587"
        ],
    );
}

fn credit_terms() -> arrears_core::credit::CreditTerms {
    arrears_core::credit::CreditTerms {
        net_days: 30,
        deposit_share: "0.25".parse().unwrap(),
        cash_on_delivery: false,
        interest_rate: "0.08".parse().unwrap(),
    }
}

fn credit_decided() -> arrears_core::credit::Decided {
    arrears_core::credit::Decided {
        verdict: arrears_core::credit::Verdict::Approve,
        rule: Some("weak".into()),
        limit_minor: 200_000,
        terms: credit_terms(),
        reasons: vec!["score_below_600".into(), "dpd_recent".into()],
    }
}

fn credit_score() -> arrears_core::credit::CreditScore {
    arrears_core::credit::CreditScore {
        scorer: "scorecard".into(),
        sha256: Some([7; 32]),
        points: 552,
        band: "high_risk".into(),
        reasons: vec!["dpd_recent".into()],
    }
}

#[test]
fn golden_credit_decision() {
    use arrears_core::credit::{CreditApplication, CreditDecision};
    let decision = CreditDecision {
        id: 4,
        application: CreditApplication {
            debtor: DebtorId(7),
            product: ProductKind::TradeCredit,
            limit: arrears_core::money::Money::parse("10000", Currency::USD).unwrap(),
            terms: credit_terms(),
            applied_on: date("2026-03-02"),
            attributes: BTreeMap::from([("sector".to_owned(), "retail".to_owned())]),
        },
        decided_at: instant("2026-03-02T09:00:00Z"),
        policy: ("standard".into(), 3),
        features: Vec::new(),
        score: Some(credit_score()),
        signals: vec![arrears_core::policy::Signal::LateFiling],
        decided: credit_decided(),
    };
    check(RecordKind::CreditDecision, &decision, expect!["01040702053130303030035553441e04302e32350004302e3038fcba9216000106736563746f720672657461696cfc20a34ad300087374616e646172640300010973636f726563617264010707070707070707070707070707070707070707070707070707070707070707fb500409686967685f7269736b010a6470645f726563656e7401070001047765616bfc801a06001e04302e32350004302e3038020f73636f72655f62656c6f775f3630300a6470645f726563656e7495425253"]);
}

/// A decision with the features its scorer was given: stored without `calls_30d` (not a scorer
/// input; decisions hold zero), as version 1 was first written; the layout that the builds of
/// 2026-12-03 wrote with `calls_30d` after each feature set is still read.
#[test]
fn credit_decisions_store_the_scorers_features() {
    use arrears_core::credit::{CreditApplication, CreditDecision};
    use arrears_core::strategy::Features;
    let features = Features {
        account: AccountId(3),
        debtor: DebtorId(7),
        product: ProductKind::TradeCredit,
        as_of: date("2026-03-02"),
        currency: Currency::USD,
        days_past_due: 12,
        total_outstanding_minor: 50_000,
        past_due_minor: 20_000,
        credit_limit_minor: Some(100_000),
        months_on_book: 14,
        payments_90d: 2,
        paid_90d_minor: 30_000,
        reversals_90d: 0,
        broken_promises: 1,
        kept_promises: 3,
        attempts_30d: 4,
        right_party_contacts_30d: 1,
        calls_30d: 0,
    };
    let decision = CreditDecision {
        id: 5,
        application: CreditApplication {
            debtor: DebtorId(7),
            product: ProductKind::TradeCredit,
            limit: arrears_core::money::Money::parse("10000", Currency::USD).unwrap(),
            terms: credit_terms(),
            applied_on: date("2026-03-02"),
            attributes: BTreeMap::new(),
        },
        decided_at: instant("2026-03-02T09:00:00Z"),
        policy: ("standard".into(), 3),
        features: vec![features.clone()],
        score: None,
        signals: Vec::new(),
        decided: credit_decided(),
    };
    check(RecordKind::CreditDecision, &decision, expect!["01050702053130303030035553441e04302e32350004302e3038fcba92160000fc20a34ad300087374616e646172640301030702fcba9216000355534418fca0860100fb409c01fc400d03001c02fb60ea000103040100000001047765616bfc801a06001e04302e32350004302e3038020f73636f72655f62656c6f775f3630300a6470645f726563656e74fae36b6c"]);

    let row: crate::rows::credit::CreditDecisionRow = decision.to_row();
    let with_calls = crate::rows::credit::CreditDecisionWithCallsRow {
        id: row.id,
        application: row.application.clone(),
        decided_at: row.decided_at,
        policy: row.policy.clone(),
        features: row.features.iter().map(|features| (features.clone(), 0)).collect(),
        score: row.score.clone(),
        signals: row.signals.clone(),
        decided: row.decided.clone(),
    };
    let bytes = encode(RecordKind::CreditDecision, &with_calls);
    assert_eq!(bytes.len(), encode_record(RecordKind::CreditDecision, &decision).len() + 1);
    assert_eq!(
        decode_record::<CreditDecision>(RecordKind::CreditDecision, &bytes).unwrap(),
        decision
    );

    let counted = CreditDecision {
        features: vec![Features { calls_30d: 5, ..features }],
        ..decision.clone()
    };
    let back: CreditDecision = decode_record(
        RecordKind::CreditDecision,
        &encode_record(RecordKind::CreditDecision, &counted),
    )
    .unwrap();
    assert_eq!(back, decision);
}

#[test]
fn golden_credit_standing_and_review() {
    use arrears_core::credit::{
        CreditReview, CreditStanding, ReviewAction, ReviewMark, ReviewTrigger,
    };
    let standing = CreditStanding {
        debtor: DebtorId(7),
        product: ProductKind::TradeCredit,
        currency: Currency::USD,
        granted_limit_minor: 1_000_000,
        granted_terms: credit_terms(),
        limit_minor: 200_000,
        terms: credit_terms(),
        refuse_to_trade: true,
        stopped_by_hand: false,
        granted_on: date("2026-03-02"),
        last_review: Some(ReviewMark {
            reviewed_on: date("2026-06-01"),
            points: Some(552),
            signals: vec![arrears_core::policy::Signal::AssetSales],
        }),
        detected: None,
    };
    // Version 1, written before `detected` was appended: read with no mark.
    older_version(RecordKind::CreditStanding, &standing, "01070203555344fc80841e001e04302e32350004302e3038fc801a06001e04302e32350004302e30380100fcba92160001fc7093160001fb50040106f9528014");
    check(RecordKind::CreditStanding, &standing, expect!["02070203555344fc80841e001e04302e32350004302e3038fc801a06001e04302e32350004302e30380100fcba92160001fc7093160001fb500401060026f22090"]);
    let detected = arrears_core::detect::DetectionMark {
        on: date("2026-06-02"),
        until: Some(date("2026-07-01")),
        inputs: 0x0123_4567_89ab_cdef,
    };
    let standing = CreditStanding { detected: Some(detected), ..standing };
    check(RecordKind::CreditStanding, &standing, expect!["02070203555344fc80841e001e04302e32350004302e3038fc801a06001e04302e32350004302e30380100fcba92160001fc7093160001fb5004010601fc7293160001fcac931600fdefcdab8967452301b50e6aa1"]);
    let review = CreditReview {
        debtor: DebtorId(7),
        seq: 2,
        reviewed_on: date("2026-06-01"),
        trigger: ReviewTrigger::Signal,
        score: Some(credit_score()),
        signals: vec![arrears_core::policy::Signal::AssetSales],
        decided: credit_decided(),
        action: ReviewAction::Tighten,
        limit_before_minor: 1_000_000,
    };
    check(RecordKind::CreditReview, &review, expect!["010702fc7093160002010973636f726563617264010707070707070707070707070707070707070707070707070707070707070707fb500409686967685f7269736b010a6470645f726563656e7401060001047765616bfc801a06001e04302e32350004302e3038020f73636f72655f62656c6f775f3630300a6470645f726563656e7400fc80841e00dd4069d9"]);
}
