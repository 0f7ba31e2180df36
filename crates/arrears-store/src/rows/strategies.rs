//! Proptest strategies the hand-written codecs' tests share: values at every varint width,
//! dates and instants across chrono's whole range, and strings of every length class, with the
//! edges each codec must get right.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
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

/// Strings of every length class: empty, short, non-ASCII, past a one-byte length (251 bytes
/// and more) and, rarely, past a two-byte one (65,536 bytes and more).
pub(crate) fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z_]{0,12}",
        8 => "\\PC{0,12}",
        4 => "\\PC{70,200}",
        2 => "[a-z]{245,260}",
        1 => Just("\u{e9}".repeat(33_000)),
    ]
}

/// Instants across chrono's whole range and near today, at every precision the RFC 3339 text
/// distinguishes, and leap seconds.
pub(crate) fn arb_instant() -> BoxedStrategy<DateTime<Utc>> {
    let first = DateTime::<Utc>::MIN_UTC.timestamp();
    let last = DateTime::<Utc>::MAX_UTC.timestamp();
    let seconds = prop_oneof![
        first..=last,
        // Around 1970, both signs.
        -200_000_i64..200_000,
        // Years 0 to 9999 and a little either side.
        -62_200_000_000_i64..253_500_000_000,
        1_700_000_000_i64..1_900_000_000,
        Just(first),
        Just(last),
    ];
    let nanos = prop_oneof![
        Just(0_u32),
        (0_u32..1_000).prop_map(|millis| millis * 1_000_000),
        (0_u32..1_000_000).prop_map(|micros| micros * 1_000),
        0_u32..1_000_000_000,
        Just(999_999_999_u32),
    ];
    let leap = prop_oneof![7 => Just(false), 1 => Just(true)];
    (seconds, nanos, leap)
        .prop_filter_map("outside chrono's range", |(seconds, nanos, leap)| {
            if leap {
                // Chrono keeps a leap second as nanoseconds of 1e9 or more in a minute's 59th.
                DateTime::from_timestamp(
                    seconds - seconds.rem_euclid(60) + 59,
                    nanos + 1_000_000_000,
                )
            } else {
                DateTime::from_timestamp(seconds, nanos)
            }
        })
        .boxed()
}
