//! The calendar the engine accepts, and date arithmetic that saturates instead of panicking.
//!
//! How dates are stored is the store's business (`arrears_store::rows::Day`); here, dates
//! serialize as chrono writes them (ISO strings in JSON).

use chrono::NaiveDate;

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
