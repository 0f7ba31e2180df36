//! Proptest strategies the hand-written codecs' tests share: values at every varint width and
//! dates across chrono's whole range, with the edges each codec must get right.

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Dates across chrono's whole range, business dates (short varints), years 0 to 9999 and a
/// little either side (four-digit text), and the two ends.
pub(crate) fn arb_day() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::MIN.num_days_from_ce();
    let last = NaiveDate::MAX.num_days_from_ce();
    let day = |days| NaiveDate::from_num_days_from_ce_opt(days).unwrap();
    prop_oneof![
        (first..=last).prop_map(day),
        (738_000..742_000).prop_map(day),
        (-400..3_652_500).prop_map(day),
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
    ]
}

/// Integers at every varint width, both signs, and the ends.
pub(crate) fn arb_i64() -> impl Strategy<Value = i64> {
    prop_oneof![-300_i64..300, -70_000_i64..70_000, any::<i64>(), Just(i64::MIN), Just(i64::MAX)]
}

/// Integers at every varint width, and either side of the 4-byte one.
pub(crate) fn arb_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        0_u64..300,
        0_u64..70_000,
        any::<u64>(),
        Just(u64::from(u32::MAX)),
        Just(u64::from(u32::MAX) + 1),
        Just(u64::MAX),
    ]
}

/// Integers at every varint width, and the end.
pub(crate) fn arb_u32() -> impl Strategy<Value = u32> {
    prop_oneof![0_u32..300, 0_u32..70_000, any::<u32>(), Just(u32::MAX)]
}

/// Decimals of every scale, and the ends.
pub(crate) fn arb_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0_u32..=28).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
    ]
}
