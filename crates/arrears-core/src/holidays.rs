//! Public holidays computed by rule (never tables that expire): fixed dates, nth weekdays,
//! holidays moved to Monday, and Easter-based days.
//!
//! (Being written: the API below is fixed; the rules are filled in.)

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A holiday calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calendar {
    /// United States federal holidays (5 U.S.C. 6103).
    UsFederal,
    /// Colombia (Ley 51 de 1983 moves many to Monday; Easter-based days).
    Colombia,
    /// Mexico (Ley Federal del Trabajo, art. 74).
    Mexico,
    /// Chile.
    Chile,
    /// Peru.
    Peru,
    /// Spain (national holidays only).
    Spain,
}

/// The holidays of `calendar` in `year`, by date, with their names.
pub fn holidays(calendar: Calendar, year: i32) -> Vec<(NaiveDate, &'static str)> {
    let _ = (calendar, year);
    Vec::new()
}

/// Returns true if and only if `date` is a holiday of `calendar`.
pub fn is_holiday(calendar: Calendar, date: NaiveDate) -> bool {
    use chrono::Datelike;
    holidays(calendar, date.year()).iter().any(|(holiday, _)| *holiday == date)
}
