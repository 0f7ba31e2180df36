//! The serde forms of dates and instants.
//!
//! In human-readable formats (JSON, TOML) a date is an ISO string (`2026-03-05`) and an instant
//! an RFC 3339 string, as chrono writes them. In the store's binary records (bincode, not
//! human-readable) a date is an `i32` day number (chrono's `num_days_from_ce`: 0001-01-01 is
//! day 1) and an instant a pair `(i64 seconds since 1970-01-01T00:00:00Z, u32 nanoseconds)`,
//! exact for every `DateTime<Utc>` (a leap second has nanoseconds of 1e9 or more): records
//! are written and read by every command, and strings cost several times more to encode,
//! parse and store.
//!
//! Records written by format version 1 hold strings. The store decodes them inside
//! [`with_strings`], which switches the binary form back to strings for the duration.
//!
//! Use on a field: `#[serde(with = "arrears_core::dates::date")]` (or `option_date`,
//! `instant`, `option_instant`).

use std::cell::Cell;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The first date the engine accepts in a command, a cycle or a query: 0001-01-01.
///
/// Dates are years 1 to 9999 (four-digit years, as every file format writes them). chrono
/// represents dates to year 262,142, so every offset the engine adds to an accepted date (a
/// grace period, a horizon, a cadence) stays representable, and [`days_after`] and
/// [`days_before`] saturate rather than panic for the offsets no rule bounds.
pub const DATE_MIN: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(date) => date,
    None => panic!("0001-01-01 is a date"),
};

/// The last date the engine accepts in a command, a cycle or a query: 9999-12-31.
pub const DATE_MAX: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => panic!("9999-12-31 is a date"),
};

/// Returns true if and only if `date` is within [`DATE_MIN`]`..=`[`DATE_MAX`].
pub fn is_supported(date: NaiveDate) -> bool {
    (DATE_MIN..=DATE_MAX).contains(&date)
}

/// `date` plus `days`, or [`NaiveDate::MAX`] past the end of the calendar (a day that never
/// comes: nothing scheduled on it is ever due).
pub fn days_after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(chrono::Days::new(days)).unwrap_or(NaiveDate::MAX)
}

/// `date` minus `days`, or [`NaiveDate::MIN`] before the start of the calendar.
pub fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(chrono::Days::new(days)).unwrap_or(NaiveDate::MIN)
}

thread_local! {
    static STRINGS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `code` with binary dates and instants read and written as strings (the format-1
/// form): for decoding format-1 records, and for the audit hash, which is over the format-1
/// form so that the chain verifies whichever version wrote each record.
pub fn with_strings<R>(code: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            STRINGS.with(|strings| strings.set(self.0));
        }
    }
    let _restore = Restore(STRINGS.with(|strings| strings.replace(true)));
    code()
}

fn strings<'de, D: Deserializer<'de>>(deserializer: &D) -> bool {
    deserializer.is_human_readable() || STRINGS.with(Cell::get)
}

fn write_strings<S: Serializer>(serializer: &S) -> bool {
    serializer.is_human_readable() || STRINGS.with(Cell::get)
}

fn from_days<E: serde::de::Error>(days: i32) -> Result<NaiveDate, E> {
    NaiveDate::from_num_days_from_ce_opt(days)
        .ok_or_else(|| E::custom(format!("day number {days} is not a date")))
}

fn to_pair(instant: &DateTime<Utc>) -> (i64, u32) {
    (instant.timestamp(), instant.timestamp_subsec_nanos())
}

fn from_pair<E: serde::de::Error>((seconds, nanos): (i64, u32)) -> Result<DateTime<Utc>, E> {
    DateTime::from_timestamp(seconds, nanos)
        .ok_or_else(|| E::custom(format!("{seconds} s {nanos} ns is not an instant")))
}

/// `NaiveDate`.
pub mod date {
    use super::*;

    /// Serializes a date.
    ///
    /// # Errors
    ///
    /// The serializer's.
    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        if write_strings(&serializer) {
            date.serialize(serializer)
        } else {
            serializer.serialize_i32(date.num_days_from_ce())
        }
    }

    /// Deserializes a date.
    ///
    /// # Errors
    ///
    /// The deserializer's, or a day number out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        if strings(&deserializer) {
            NaiveDate::deserialize(deserializer)
        } else {
            from_days(i32::deserialize(deserializer)?)
        }
    }
}

/// `Option<NaiveDate>`.
pub mod option_date {
    use super::*;

    /// Serializes an optional date.
    ///
    /// # Errors
    ///
    /// The serializer's.
    pub fn serialize<S: Serializer>(
        date: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if write_strings(&serializer) {
            date.serialize(serializer)
        } else {
            date.map(|date| date.num_days_from_ce()).serialize(serializer)
        }
    }

    /// Deserializes an optional date.
    ///
    /// # Errors
    ///
    /// The deserializer's, or a day number out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        if strings(&deserializer) {
            Option::<NaiveDate>::deserialize(deserializer)
        } else {
            Option::<i32>::deserialize(deserializer)?.map(from_days).transpose()
        }
    }
}

/// `DateTime<Utc>`.
pub mod instant {
    use super::*;

    /// Serializes an instant.
    ///
    /// # Errors
    ///
    /// The serializer's.
    pub fn serialize<S: Serializer>(
        instant: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if write_strings(&serializer) {
            instant.serialize(serializer)
        } else {
            to_pair(instant).serialize(serializer)
        }
    }

    /// Deserializes an instant.
    ///
    /// # Errors
    ///
    /// The deserializer's, or a count out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        if strings(&deserializer) {
            DateTime::<Utc>::deserialize(deserializer)
        } else {
            from_pair(<(i64, u32)>::deserialize(deserializer)?)
        }
    }
}

/// `Option<DateTime<Utc>>`.
pub mod option_instant {
    use super::*;

    /// Serializes an optional instant.
    ///
    /// # Errors
    ///
    /// The serializer's.
    pub fn serialize<S: Serializer>(
        instant: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if write_strings(&serializer) {
            instant.serialize(serializer)
        } else {
            instant.as_ref().map(to_pair).serialize(serializer)
        }
    }

    /// Deserializes an optional instant.
    ///
    /// # Errors
    ///
    /// The deserializer's, or a count out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        if strings(&deserializer) {
            Option::<DateTime<Utc>>::deserialize(deserializer)
        } else {
            Option::<(i64, u32)>::deserialize(deserializer)?.map(from_pair).transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        #[serde(with = "date")]
        on: NaiveDate,
        #[serde(with = "option_date")]
        until: Option<NaiveDate>,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
        #[serde(with = "option_instant")]
        seen: Option<DateTime<Utc>>,
    }

    fn sample() -> Sample {
        Sample {
            on: "2026-03-05".parse().unwrap(),
            until: Some("0001-01-01".parse().unwrap()),
            at: "2026-03-06T10:00:00.123456Z".parse().unwrap(),
            seen: None,
        }
    }

    #[test]
    fn human_readable_forms_are_strings() {
        let json = serde_json::to_string(&sample()).unwrap();
        assert_eq!(
            json,
            r#"{"on":"2026-03-05","until":"0001-01-01","at":"2026-03-06T10:00:00.123456Z","seen":null}"#
        );
        assert_eq!(serde_json::from_str::<Sample>(&json).unwrap(), sample());
    }

    #[test]
    fn binary_forms_round_trip_exactly() {
        let config = bincode::config::standard();
        for at in ["2026-03-06T10:00:00.123456789Z", "1969-12-31T23:59:59.999999999Z"] {
            let value =
                Sample { at: at.parse().unwrap(), seen: Some(at.parse().unwrap()), ..sample() };
            let bytes = bincode::serde::encode_to_vec(&value, config).unwrap();
            let (back, _): (Sample, usize) =
                bincode::serde::decode_from_slice(&bytes, config).unwrap();
            assert_eq!(back, value);
        }
    }

    #[test]
    fn the_flag_is_restored_after_decoding() {
        assert!(!STRINGS.with(Cell::get));
        with_strings(|| assert!(STRINGS.with(Cell::get)));
        assert!(!STRINGS.with(Cell::get));
    }
}
