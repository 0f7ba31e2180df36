//! The case record's two ways to its bytes (the row through serde, the hand-written form) write
//! the same bytes and read the same case, over arbitrary cases of every variant and optional
//! part, and the hand-written reader never disagrees with serde on damaged bytes.

use arrears_core::case::{
    CaseScore, CollectionCase, ForbearanceMeasure, ForbearanceRecord, LateFeeCharge, Placement,
    PlanRecord, PromiseRecord, SettlementRecord, StatedCapacity,
};
use arrears_core::collection::{CollectionState, StickyFlags, STATE_KIND_COUNT};
use arrears_core::ids::{AccountId, ObligationId};
use arrears_core::plan::{Frequency, PromisedPayment};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::codec::{crc32, encode, DecodeError};
use crate::rows::case::CollectionCaseRow;
use crate::rows::strategies::{arb_day, arb_decimal, arb_i64, arb_text, arb_u32, arb_u64};
use crate::rows::Record;

const KIND: RecordKind = RecordKind::Case;

fn arb_i32() -> impl Strategy<Value = i32> {
    prop_oneof![-300_i32..300, -70_000_i32..70_000, any::<i32>(), Just(i32::MIN), Just(i32::MAX)]
}

/// Every variant of the state, with its payload arbitrary.
fn arb_state() -> impl Strategy<Value = CollectionState> {
    prop_oneof![
        Just(CollectionState::Current),
        any::<u8>().prop_map(|stage| CollectionState::Delinquent { stage }),
        Just(CollectionState::Promised),
        Just(CollectionState::InPlan),
        Just(CollectionState::Disputed),
        arb_day().prop_map(|until| CollectionState::Hardship { until }),
        arb_text().prop_map(|agency| CollectionState::Placed { agency }),
        Just(CollectionState::Legal),
        Just(CollectionState::ChargedOff),
        Just(CollectionState::Settled),
        Just(CollectionState::Paid),
        Just(CollectionState::Closed),
    ]
}

fn arb_flags() -> impl Strategy<Value = StickyFlags> {
    any::<[bool; 6]>().prop_map(
        |[cease_communication, attorney_represented, bankruptcy_stay, deceased, time_barred, bankruptcy_discharged]| {
            StickyFlags {
                cease_communication,
                attorney_represented,
                bankruptcy_stay,
                deceased,
                time_barred,
                bankruptcy_discharged,
            }
        },
    )
}

fn arb_promise() -> impl Strategy<Value = PromiseRecord> {
    let payment =
        (arb_day(), arb_i64()).prop_map(|(on, amount_minor)| PromisedPayment { on, amount_minor });
    (arb_day(), proptest::collection::vec(payment, 0..4), arb_u32())
        .prop_map(|(made_on, payments, grace_days)| PromiseRecord { made_on, payments, grace_days })
}

fn arb_plan() -> impl Strategy<Value = PlanRecord> {
    let frequency = prop_oneof![
        Just(Frequency::Weekly),
        Just(Frequency::Fortnightly),
        Just(Frequency::Monthly)
    ];
    (
        arb_day(),
        frequency,
        proptest::collection::vec(arb_u64().prop_map(ObligationId), 0..5),
        arb_i64(),
        (arb_u32(), arb_u32(), arb_u32()),
    )
        .prop_map(
            |(created_on, frequency, installments, total_minor, (missed, default_after, grace))| {
                PlanRecord {
                    created_on,
                    frequency,
                    installments,
                    total_minor,
                    missed,
                    default_after_missed: default_after,
                    grace_days: grace,
                }
            },
        )
}

fn arb_settlement() -> impl Strategy<Value = SettlementRecord> {
    (arb_day(), arb_i64(), arb_day(), proptest::option::of(arb_day())).prop_map(
        |(offered_on, amount_minor, expires_on, accepted_on)| SettlementRecord {
            offered_on,
            amount_minor,
            expires_on,
            accepted_on,
        },
    )
}

fn arb_placement() -> impl Strategy<Value = Placement> {
    (arb_text(), arb_day(), arb_decimal()).prop_map(|(agency, placed_on, commission_rate)| {
        Placement { agency, placed_on, commission_rate }
    })
}

fn arb_capacity() -> impl Strategy<Value = StatedCapacity> {
    (arb_day(), arb_i64(), arb_i64()).prop_map(
        |(stated_on, monthly_income_minor, monthly_expenses_minor)| StatedCapacity {
            stated_on,
            monthly_income_minor,
            monthly_expenses_minor,
        },
    )
}

fn arb_score() -> impl Strategy<Value = CaseScore> {
    (arb_text(), arb_i32(), arb_day()).prop_map(|(band, points, scored_on)| CaseScore {
        band,
        points,
        scored_on,
    })
}

fn arb_charge() -> impl Strategy<Value = LateFeeCharge> {
    (arb_u64(), arb_u64(), arb_day(), arb_i64()).prop_map(
        |(obligation, fee, assessed_on, fee_minor)| LateFeeCharge {
            obligation: ObligationId(obligation),
            fee: ObligationId(fee),
            assessed_on,
            fee_minor,
        },
    )
}

fn arb_forbearance() -> impl Strategy<Value = ForbearanceRecord> {
    let measure = prop_oneof![
        Just(ForbearanceMeasure::Hardship),
        Just(ForbearanceMeasure::Plan),
        Just(ForbearanceMeasure::Settlement),
        Just(ForbearanceMeasure::Assessed),
    ];
    (arb_day(), measure).prop_map(|(on, measure)| ForbearanceRecord { on, measure })
}

fn arb_case() -> BoxedStrategy<CollectionCase> {
    let head = (
        arb_u64(),
        arb_state(),
        arb_flags(),
        proptest::option::of(arb_text()),
        proptest::option::of(arb_day()),
        arb_text(),
        (arb_day(), proptest::option::of(arb_day()), arb_day()),
    );
    let parts = (
        proptest::option::of(arb_promise()),
        proptest::option::of(arb_plan()),
        proptest::option::of(arb_settlement()),
        proptest::option::of(arb_placement()),
        proptest::option::of(arb_capacity()),
        proptest::option::of(arb_score()),
    );
    let tail = (
        any::<bool>(),
        (arb_u32(), proptest::option::of(arb_day()), arb_u32()),
        proptest::collection::vec(arb_u32(), 0..5),
        proptest::collection::vec(arb_u64().prop_map(ObligationId), 0..5),
        proptest::collection::vec(arb_state(), 0..4),
        proptest::option::of(arb_day()),
        proptest::option::of(arb_day()),
        (
            proptest::collection::vec(arb_charge(), 0..3),
            proptest::option::of(arb_forbearance()),
            proptest::option::of(arb_day()),
        ),
    );
    (head, parts, tail)
        .prop_map(|(head, parts, tail)| {
            let (account, state, flags, stage, stage_entered_on, arm, days) = head;
            let (next_review_on, last_review_on, decided_on) = days;
            let (promise, plan, settlement, placement, capacity, score) = parts;
            let (
                credit_hold,
                promises,
                steps_issued,
                late_fees_assessed,
                interrupted,
                barred_on,
                recalled_on,
                (late_fee_charges, forbearance, hardship_ended_on),
            ) = tail;
            let (broken_promises, promise_broken_on, kept_promises) = promises;
            CollectionCase {
                account: AccountId(account),
                state,
                flags,
                stage,
                stage_entered_on,
                arm,
                next_review_on,
                last_review_on,
                decided_on,
                promise,
                plan,
                settlement,
                placement,
                credit_hold,
                broken_promises,
                promise_broken_on,
                kept_promises,
                steps_issued,
                late_fees_assessed,
                interrupted,
                capacity,
                time_barred_on: barred_on,
                score,
                recalled_on,
                late_fee_charges,
                forbearance,
                hardship_ended_on,
            }
        })
        // Boxed: the strategy's type is deep enough to overflow a test thread's stack otherwise.
        .boxed()
}

/// The case the serde reader (the reference: the row, then its conversion) gives for `bytes`.
fn serde_decode(bytes: &[u8]) -> Result<CollectionCase, DecodeError> {
    crate::codec::decode::<CollectionCaseRow>(KIND, bytes).map(CollectionCase::from_row)
}

proptest! {
    #[test]
    fn both_ways_write_the_rows_bytes_and_read_the_case(case in arb_case()) {
        let row_bytes = encode(KIND, &case.to_row());
        prop_assert_eq!(&super::encode(KIND, &case), &row_bytes);
        prop_assert_eq!(&case.encode_value(KIND), &row_bytes);
        prop_assert_eq!(super::decode(KIND, &row_bytes), Some(case.clone()));
        prop_assert_eq!(&serde_decode(&row_bytes).unwrap(), &case);
        prop_assert_eq!(&CollectionCase::decode_value(KIND, &row_bytes).unwrap(), &case);
    }
}

proptest! {
    // Damage that reaches the hand-written reader is rare per case: many cases.
    #![proptest_config(ProptestConfig::with_cases(2_048))]

    #[test]
    fn damaged_bytes_read_as_serde_reads_them(
        case in arb_case(),
        // Bytes near the edges of the forms: flags and tags, small varints, variant indexes,
        // varint markers.
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![0_u8..4, 10_u8..14, 248_u8..=255, any::<u8>()]),
            0..3,
        ),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        trailing in proptest::collection::vec(any::<u8>(), 0..3),
        fix_checksum in prop_oneof![9 => Just(true), 1 => Just(false)],
    ) {
        let bytes = super::encode(KIND, &case);
        let mut body = bytes[..bytes.len() - 4].to_vec();
        for (index, value) in edits {
            let at = index.index(body.len());
            body[at] = value;
        }
        if truncate {
            body.truncate(1 + cut.index(body.len()));
        }
        body.extend_from_slice(&trailing);
        // A valid frame around the damaged payload, so that the readers get past the checksum;
        // or the old checksum, which no longer matches if anything changed.
        let checksum = if fix_checksum {
            crc32(&body).to_le_bytes()
        } else {
            bytes[bytes.len() - 4..].try_into().unwrap()
        };
        body.extend_from_slice(&checksum);
        let by_hand = super::decode(KIND, &body);
        let by_serde = serde_decode(&body);
        if let Some(case) = &by_hand {
            prop_assert_eq!(Ok(case), by_serde.as_ref());
        }
        prop_assert_eq!(CollectionCase::decode_value(KIND, &body), by_serde);
    }
}

#[test]
fn the_variant_tables_list_each_variant_at_its_index() {
    for (index, frequency) in FREQUENCY_ROWS.iter().enumerate() {
        assert_eq!(frequency.clone() as usize, index);
        assert_eq!(
            bincode::serde::encode_to_vec(frequency, bincode::config::standard()).unwrap(),
            [index as u8]
        );
    }
    for (index, measure) in FORBEARANCE_MEASURE_ROWS.iter().enumerate() {
        assert_eq!(measure.clone() as usize, index);
        assert_eq!(
            bincode::serde::encode_to_vec(measure, bincode::config::standard()).unwrap(),
            [index as u8]
        );
    }
    // Each state, written by hand, starts with its index in the row's enum as serde writes it.
    assert_eq!(CollectionState::ALL_KINDS.len(), STATE_KIND_COUNT);
    for (index, state) in CollectionState::ALL_KINDS.iter().enumerate() {
        let row = bincode::serde::encode_to_vec(state.to_row(), bincode::config::standard());
        assert_eq!(row.unwrap()[0], index as u8);
    }
}

/// A case with every optional part absent: the common case.
fn plain_case() -> CollectionCase {
    let day = |days| NaiveDate::from_num_days_from_ce_opt(days).unwrap();
    CollectionCase {
        account: AccountId(3),
        state: CollectionState::Delinquent { stage: 2 },
        flags: StickyFlags::default(),
        stage: Some("early".into()),
        stage_entered_on: Some(day(739_650)),
        arm: "champion".into(),
        next_review_on: day(739_651),
        last_review_on: None,
        decided_on: day(739_650),
        promise: None,
        plan: None,
        settlement: None,
        placement: None,
        credit_hold: false,
        broken_promises: 0,
        promise_broken_on: None,
        kept_promises: 0,
        steps_issued: vec![0],
        late_fees_assessed: Vec::new(),
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

#[test]
fn text_dates_and_older_versions_take_the_serde_way() {
    let case = plain_case();
    let text = crate::rows::with_strings(|| case.encode_value(KIND));
    assert_eq!(text, crate::rows::with_strings(|| encode(KIND, &case.to_row())));
    assert_ne!(text, case.encode_value(KIND));
    assert_eq!(
        crate::rows::with_strings(|| CollectionCase::decode_value(KIND, &text)).unwrap(),
        case
    );
    // A version-3 case (before `score`), a version-4 case (before `recalled_on` and
    // `late_fee_charges`), a version-5 case (before `bankruptcy_discharged`), a version-6
    // case (before `forbearance`) and a version-7 case (before `hardship_ended_on`) are not
    // the hand-written form's, and read through serde with none.
    let current = case.encode_value(KIND);
    for (version, appended) in [(3, 6), (4, 5), (5, 3), (6, 2), (7, 1)] {
        let mut older = current[..current.len() - 4 - appended].to_vec();
        older[0] = version;
        let checksum = crc32(&older);
        older.extend_from_slice(&checksum.to_le_bytes());
        assert_eq!(super::decode(KIND, &older), None);
        assert_eq!(CollectionCase::decode_value(KIND, &older).unwrap(), case);
    }
}

#[test]
fn a_non_canonical_varint_is_left_to_serde() {
    // The account, 3, as a two-byte varint: not what either writer writes. Serde reads it (or
    // refuses it); the hand-written reader leaves it to serde either way.
    let case = plain_case();
    let current = case.encode_value(KIND);
    let mut padded = vec![current[0], 251, 3, 0];
    padded.extend_from_slice(&current[2..current.len() - 4]);
    let checksum = crc32(&padded);
    padded.extend_from_slice(&checksum.to_le_bytes());
    assert_eq!(super::decode(KIND, &padded), None);
    assert_eq!(CollectionCase::decode_value(KIND, &padded), serde_decode(&padded));
}

/// A case with every optional part present, its strings short.
fn full_case() -> CollectionCase {
    let day = |days| NaiveDate::from_num_days_from_ce_opt(days).unwrap();
    CollectionCase {
        state: CollectionState::Placed { agency: "acme".into() },
        flags: StickyFlags { deceased: true, ..StickyFlags::default() },
        last_review_on: Some(day(739_649)),
        promise: Some(PromiseRecord {
            made_on: day(739_640),
            payments: vec![PromisedPayment { on: day(739_660), amount_minor: -5_000 }],
            grace_days: 2,
        }),
        plan: Some(PlanRecord {
            created_on: day(739_600),
            frequency: Frequency::Fortnightly,
            installments: vec![ObligationId(8), ObligationId(300)],
            total_minor: 20_000,
            missed: 1,
            default_after_missed: 2,
            grace_days: 5,
        }),
        settlement: Some(SettlementRecord {
            offered_on: day(739_641),
            amount_minor: 15_000,
            expires_on: day(739_671),
            accepted_on: Some(day(739_642)),
        }),
        placement: Some(Placement {
            agency: "acme".into(),
            placed_on: day(739_645),
            commission_rate: Decimal::new(25, 2),
        }),
        credit_hold: true,
        broken_promises: 1,
        promise_broken_on: Some(day(739_630)),
        kept_promises: 3,
        late_fees_assessed: vec![ObligationId(4)],
        interrupted: vec![
            CollectionState::Delinquent { stage: 2 },
            CollectionState::Hardship { until: day(739_700) },
        ],
        capacity: Some(StatedCapacity {
            stated_on: day(739_600),
            monthly_income_minor: 300_000,
            monthly_expenses_minor: 180_000,
        }),
        time_barred_on: Some(day(741_000)),
        score: Some(CaseScore { band: "low".into(), points: -12, scored_on: day(739_650) }),
        recalled_on: Some(day(739_660)),
        late_fee_charges: vec![LateFeeCharge {
            obligation: ObligationId(4),
            fee: ObligationId(9),
            assessed_on: day(739_640),
            fee_minor: 2_500,
        }],
        ..plain_case()
    }
}

#[test]
fn every_single_byte_changed_reads_as_serde_reads_it() {
    // Each payload byte of a plain and a full case set to each of the 256 values, in a valid
    // frame: damage the random edits above reach only by chance (a variant index one past the
    // last, a tag of 2 at one place) is tried at every place here.
    for case in [plain_case(), full_case()] {
        let bytes = case.encode_value(KIND);
        let body_len = bytes.len() - 4;
        for at in 1..body_len {
            for value in 0..=u8::MAX {
                let mut body = bytes[..body_len].to_vec();
                body[at] = value;
                let checksum = crc32(&body);
                body.extend_from_slice(&checksum.to_le_bytes());
                let by_serde = serde_decode(&body);
                if let Some(by_hand) = super::decode(KIND, &body) {
                    assert_eq!(Ok(&by_hand), by_serde.as_ref(), "byte {at} set to {value}");
                }
                assert_eq!(CollectionCase::decode_value(KIND, &body), by_serde);
            }
        }
    }
}
