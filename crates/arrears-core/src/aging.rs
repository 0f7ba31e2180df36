//! Aging: days past due and the standard buckets.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ledger::AccountState;

/// An aging bucket by days past due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Not past due (including not yet due).
    Current,
    /// 1 to 30 days past due.
    Dpd1To30,
    /// 31 to 60 days past due.
    Dpd31To60,
    /// 61 to 90 days past due.
    Dpd61To90,
    /// 91 to 120 days past due.
    Dpd91To120,
    /// 121 to 180 days past due.
    Dpd121To180,
    /// More than 180 days past due.
    Dpd181Plus,
}

impl Bucket {
    /// All buckets, youngest first.
    pub const ALL: [Bucket; 7] = [
        Bucket::Current,
        Bucket::Dpd1To30,
        Bucket::Dpd31To60,
        Bucket::Dpd61To90,
        Bucket::Dpd91To120,
        Bucket::Dpd121To180,
        Bucket::Dpd181Plus,
    ];

    /// The bucket of a number of days past due.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::aging::Bucket;
    /// assert_eq!(Bucket::of_days(0), Bucket::Current);
    /// assert_eq!(Bucket::of_days(30), Bucket::Dpd1To30);
    /// assert_eq!(Bucket::of_days(31), Bucket::Dpd31To60);
    /// assert_eq!(Bucket::of_days(181), Bucket::Dpd181Plus);
    /// ```
    pub fn of_days(days_past_due: i64) -> Bucket {
        match days_past_due {
            i64::MIN..=0 => Bucket::Current,
            1..=30 => Bucket::Dpd1To30,
            31..=60 => Bucket::Dpd31To60,
            61..=90 => Bucket::Dpd61To90,
            91..=120 => Bucket::Dpd91To120,
            121..=180 => Bucket::Dpd121To180,
            _ => Bucket::Dpd181Plus,
        }
    }

    /// Index into per-bucket arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label used in reports: `current`, `1-30`, ..., `180+`.
    pub fn label(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::Dpd1To30 => "1-30",
            Bucket::Dpd31To60 => "31-60",
            Bucket::Dpd61To90 => "61-90",
            Bucket::Dpd91To120 => "91-120",
            Bucket::Dpd121To180 => "121-180",
            Bucket::Dpd181Plus => "180+",
        }
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An account's aging on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAging {
    /// The date.
    pub as_of: NaiveDate,
    /// Days past due of the oldest undisputed unpaid obligation due before `as_of`.
    pub days_past_due: i64,
    /// The account's bucket, by `days_past_due`.
    pub bucket: Bucket,
    /// Outstanding amounts by bucket of each obligation's own days past due (disputed ones
    /// included), in minor units.
    pub amounts_minor: [i64; 7],
    /// Outstanding amounts of disputed obligations (part of `amounts_minor` too).
    pub disputed_minor: i64,
}

/// Ages an account's state on `as_of`. The state must be a replay up to `as_of`.
pub fn age(state: &AccountState, as_of: NaiveDate) -> AccountAging {
    let days_past_due = state.days_past_due(as_of);
    let mut amounts_minor = [0_i64; 7];
    let mut disputed_minor = 0;
    for obligation in state.obligations.values() {
        let total = obligation.total_minor();
        if total == 0 {
            continue;
        }
        let own_days = (as_of - obligation.due_on).num_days();
        amounts_minor[Bucket::of_days(own_days).index()] += total;
        if obligation.disputed {
            disputed_minor += total;
        }
    }
    AccountAging {
        as_of,
        days_past_due,
        bucket: Bucket::of_days(days_past_due),
        amounts_minor,
        disputed_minor,
    }
}
