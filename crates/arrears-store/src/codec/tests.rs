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

fn check<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    kind: RecordKind,
    value: &T,
    expect: Expect,
) {
    let bytes = encode(kind, value);
    expect.assert_eq(&hex(&bytes));
    let decoded: T = decode(kind, &bytes).unwrap();
    assert_eq!(&decoded, value);
}

fn debtor() -> Debtor {
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
    }
}

fn account() -> Account {
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
    check(RecordKind::Debtor, &debtor(), expect!["01070103432d370003416e6102555301024d410110416d65726963612f4e65775f596f726b02656e0101092b31353535303130300001000001000027845e84"]);
}

#[test]
fn golden_account() {
    check(RecordKind::Account, &account(), expect!["0103010441432d3307000355534401fc40420f000a323032362d30312d30320f0204302e3035fbe803fb401f010106302e3234393900000000cc3249bc"]);
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
    check(RecordKind::Obligation, &obligation, expect!["010b030106494e562d3131010a323032362d30322d30310a323032362d30332d3031fb204efbf401008995d9b5"]);
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
    check(RecordKind::Event, &record, expect!["01040a323032362d30332d303501fb7260010b14323032362d30332d30365431303a30303a30305a057061792d3402a42d38"]);
    let reversal = EventRecord {
        event: Event {
            seq: EventSeq(5),
            effective_on: date("2026-03-09"),
            kind: EventKind::Reversal { payment: EventSeq(4), reason: ReversalReason::Chargeback },
        },
        recorded_at: instant("2026-03-09T00:00:00Z"),
        key: "rev-5".into(),
    };
    check(RecordKind::Event, &reversal, expect!["01050a323032362d30332d303902040114323032362d30332d30395430303a30303a30305a057265762d3572efc33e"]);
}

fn postings() -> Vec<Posting> {
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
            "01040100000104fb726000010b01010104fbf30100010b01000104fb1f4e0500000104fb5d10db563657"
        ],
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
    check(RecordKind::Entry, &entry, expect!["01140304000a323032362d30332d303514323032362d30332d30365431303a30303a30305a040100000104fb726000010b01010104fbf30100010b01000104fb1f4e0500000104fb5d10e1680bad"]);
}

#[test]
fn golden_idempotency() {
    let record = IdempotencyRecord { command: vec![1, 2, 3], result: vec![4, 5] };
    check(RecordKind::Idempotency, &record, expect!["0103010203020405a40fcb2c"]);
}

#[test]
fn crc32_known_values() {
    // The standard check value of CRC-32/ISO-HDLC.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn damage_is_detected() {
    let bytes = encode(RecordKind::Account, &account());
    assert!(matches!(
        decode::<Account>(RecordKind::Account, &bytes[..3]),
        Err(DecodeError::TooShort { .. })
    ));
    for index in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[index] ^= 0x10;
        assert!(
            decode::<Account>(RecordKind::Account, &flipped).is_err(),
            "flip at byte {index} went unnoticed"
        );
    }
    // A record of another kind with a valid frame is refused by its payload or version.
    let mut wrong_version = bytes.clone();
    wrong_version[0] = 2;
    let body_len = wrong_version.len() - 4;
    let checksum = crc32(&wrong_version[..body_len]);
    wrong_version[body_len..].copy_from_slice(&checksum.to_le_bytes());
    assert!(matches!(
        decode::<Account>(RecordKind::Account, &wrong_version),
        Err(DecodeError::Version { found: 2, expected: 1, .. })
    ));
    // Trailing bytes inside a valid frame are refused.
    let mut trailing = bytes[..bytes.len() - 4].to_vec();
    trailing.push(0);
    let checksum = crc32(&trailing);
    trailing.extend_from_slice(&checksum.to_le_bytes());
    assert!(matches!(
        decode::<Account>(RecordKind::Account, &trailing),
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
        (1u64..100, any::<bool>()).prop_map(|(obligation, disputed)| EventKind::Dispute {
            obligation: ObligationId(obligation),
            disputed
        }),
    ]
}

proptest! {
    #[test]
    fn postings_round_trip(postings in proptest::collection::vec(arb_posting(), 0..40)) {
        let bytes = encode(RecordKind::Derived, &postings);
        prop_assert_eq!(decode::<Vec<Posting>>(RecordKind::Derived, &bytes).unwrap(), postings);
    }

    #[test]
    fn events_round_trip(kind in arb_event_kind(), seq in 1u32..u32::MAX, days in 0u64..20_000, micros in 0i64..4_000_000_000_000_000, key in "[a-z0-9:-]{1,64}") {
        let record = EventRecord {
            event: Event { seq: EventSeq(seq), effective_on: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(days), kind },
            recorded_at: DateTime::from_timestamp_micros(micros).unwrap(),
            key,
        };
        let bytes = encode(RecordKind::Event, &record);
        prop_assert_eq!(decode::<EventRecord>(RecordKind::Event, &bytes).unwrap(), record);
    }

    #[test]
    fn accounts_round_trip(limit in proptest::option::of(0i64..1_000_000_000), grace in any::<u16>(), rate in 0u32..100_000, opened in 0u64..20_000) {
        let mut account = account();
        account.credit_limit_minor = limit;
        account.terms.grace_days = grace;
        if let Some(interest) = account.terms.interest.as_mut() {
            interest.annual_rate = rust_decimal::Decimal::new(i64::from(rate), 5);
        }
        account.opened_on = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(opened);
        let bytes = encode(RecordKind::Account, &account);
        prop_assert_eq!(decode::<Account>(RecordKind::Account, &bytes).unwrap(), account);
    }

    #[test]
    fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode::<EventRecord>(RecordKind::Event, &bytes);
        let _ = decode::<Vec<Posting>>(RecordKind::Derived, &bytes);
        let _ = decode::<BTreeMap<String, u64>>(RecordKind::Idempotency, &bytes);
    }
}
