//! Payment plans, promises to pay and settlements: the arithmetic and the rules, pure.
//!
//! A plan quote turns a balance, a term, a frequency and an optional rate into a schedule of
//! level installments rounded to the currency's minor unit, the last one absorbing the
//! rounding, so that the installments always sum exactly to the plan total. Affordability
//! compares the installment's monthly equivalent with a share of the debtor's stated
//! disposable income. Promise and settlement checks say why a proposal is refused.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::dates;
use crate::money::{split_even, Currency, RoundingRule, AMOUNT_MINOR_MAX};

/// Most installments a plan may have (ten years of weekly payments).
pub const INSTALLMENTS_MAX: u32 = 520;

/// How often installments fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every 7 days.
    Weekly,
    /// Every 14 days.
    Fortnightly,
    /// Every calendar month, on the same day of the month (or the month's last day).
    Monthly,
}

impl Frequency {
    /// Installments per year: 52, 26 or 12.
    pub fn periods_per_year(self) -> u32 {
        match self {
            Frequency::Weekly => 52,
            Frequency::Fortnightly => 26,
            Frequency::Monthly => 12,
        }
    }

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Fortnightly => "fortnightly",
            Frequency::Monthly => "monthly",
        }
    }

    /// The due date of installment `index` (0 for the first), counted from the first due date
    /// so that monthly dates never drift (Jan 31, Feb 28, Mar 31...).
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::plan::Frequency;
    /// let first = "2027-01-31".parse()?;
    /// assert_eq!(Frequency::Monthly.due_on(first, 1), Some("2027-02-28".parse()?));
    /// assert_eq!(Frequency::Monthly.due_on(first, 2), Some("2027-03-31".parse()?));
    /// assert_eq!(Frequency::Fortnightly.due_on(first, 1), Some("2027-02-14".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn due_on(self, first_due: NaiveDate, index: u32) -> Option<NaiveDate> {
        match self {
            Frequency::Weekly => {
                first_due.checked_add_days(chrono::Days::new(7 * u64::from(index)))
            }
            Frequency::Fortnightly => {
                first_due.checked_add_days(chrono::Days::new(14 * u64::from(index)))
            }
            Frequency::Monthly => first_due.checked_add_months(Months::new(index)),
        }
    }
}

impl std::str::FromStr for Frequency {
    type Err = String;
    fn from_str(text: &str) -> Result<Frequency, String> {
        match text {
            "weekly" => Ok(Frequency::Weekly),
            "fortnightly" => Ok(Frequency::Fortnightly),
            "monthly" => Ok(Frequency::Monthly),
            _ => Err(format!("unknown frequency {text:?} (weekly, fortnightly, monthly)")),
        }
    }
}

/// What a plan quote is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteRequest {
    /// The balance the plan pays off, in minor units.
    pub balance_minor: i64,
    /// Its currency.
    pub currency: Currency,
    /// Nominal annual rate (`0.05` for 5%), zero for none.
    pub annual_rate: Decimal,
    /// Number of installments.
    pub installments: u32,
    /// How often they fall due.
    pub frequency: Frequency,
    /// The first due date.
    pub first_due: NaiveDate,
    /// Rounding of the level installment and of each period's interest.
    pub rounding: RoundingRule,
}

/// One installment of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    /// 1 for the first.
    pub n: u32,
    /// When it falls due.
    pub due_on: NaiveDate,
    /// What is due, `principal_minor + interest_minor`.
    pub amount_minor: i64,
    /// The part that pays principal.
    pub principal_minor: i64,
    /// The period's interest.
    pub interest_minor: i64,
    /// Principal remaining after this installment.
    pub remaining_minor: i64,
}

/// A plan schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The currency.
    pub currency: Currency,
    /// The installments, in order.
    pub installments: Vec<Installment>,
    /// The level installment (every installment but possibly the last).
    pub level_minor: i64,
    /// Sum of all installments.
    pub total_minor: i64,
    /// Sum of all interest.
    pub total_interest_minor: i64,
}

/// Why a plan cannot be quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum QuoteError {
    /// The balance is not positive or too large.
    #[error(
        "balance must be positive and at most {AMOUNT_MINOR_MAX} minor units, got {balance_minor}"
    )]
    Balance {
        /// The balance given.
        balance_minor: i64,
    },
    /// The number of installments is out of range.
    #[error("installments must be 1 to {INSTALLMENTS_MAX}, got {installments}")]
    Installments {
        /// The number given.
        installments: u32,
    },
    /// The rate is negative or above 1000%.
    #[error("annual rate must be from 0 to 10, got {annual_rate}")]
    Rate {
        /// The rate given.
        annual_rate: Decimal,
    },
    /// A due date would be past the end of the supported calendar ([`dates::DATE_MAX`]).
    #[error("due dates run past 9999-12-31, the last date supported")]
    Calendar,
}

/// Quotes a plan: level installments (annuity formula when there is interest), each rounded
/// by the request's rule, interest on the remaining principal each period, and a last
/// installment that pays exactly what remains. Installments sum to the total; principal parts
/// sum to the balance.
///
/// # Errors
///
/// [`QuoteError`] for a balance, term or rate out of range.
///
/// # Example
///
/// ```
/// use arrears_core::money::{Currency, RoundingRule};
/// use arrears_core::plan::{quote, Frequency, QuoteRequest};
/// let schedule = quote(&QuoteRequest {
///     balance_minor: 1_000_000,
///     currency: Currency::USD,
///     annual_rate: "0.05".parse()?,
///     installments: 36,
///     frequency: Frequency::Monthly,
///     first_due: "2027-01-01".parse()?,
///     rounding: RoundingRule::HalfEven,
/// })?;
/// assert_eq!(schedule.level_minor, 29_971); // 299.71 a month
/// let principal: i64 = schedule.installments.iter().map(|i| i.principal_minor).sum();
/// assert_eq!(principal, 1_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quote(request: &QuoteRequest) -> Result<Schedule, QuoteError> {
    let QuoteRequest {
        balance_minor,
        currency,
        annual_rate,
        installments,
        frequency,
        first_due,
        rounding,
    } = request.clone();
    if balance_minor <= 0 || balance_minor > AMOUNT_MINOR_MAX {
        return Err(QuoteError::Balance { balance_minor });
    }
    if installments == 0 || installments > INSTALLMENTS_MAX {
        return Err(QuoteError::Installments { installments });
    }
    if annual_rate.is_sign_negative() || annual_rate > Decimal::from(10) {
        return Err(QuoteError::Rate { annual_rate });
    }
    let mut due_dates = Vec::with_capacity(installments as usize);
    for index in 0..installments {
        // A due date past the engine's calendar (9999-12-31) would be stored, yet no command
        // may name it: refused as chrono's own end is.
        let due_on = frequency.due_on(first_due, index).filter(|due| dates::is_supported(*due));
        due_dates.push(due_on.ok_or(QuoteError::Calendar)?);
    }
    let scale = Decimal::from(10_i64.pow(currency.minor_units()));
    let to_minor = |major: Decimal| rounding.round(major, currency).unwrap_or(AMOUNT_MINOR_MAX);
    let rate = annual_rate / Decimal::from(frequency.periods_per_year());
    let balance = Decimal::from(balance_minor) / scale;
    let mut rows = Vec::with_capacity(installments as usize);
    if rate.is_zero() {
        let parts = split_even(balance_minor, installments as usize);
        let mut remaining = balance_minor;
        for (index, (part, due_on)) in parts.iter().zip(due_dates).enumerate() {
            remaining -= part;
            rows.push(Installment {
                n: index as u32 + 1,
                due_on,
                amount_minor: *part,
                principal_minor: *part,
                interest_minor: 0,
                remaining_minor: remaining,
            });
        }
        let level_minor = parts.first().copied().unwrap_or(0);
        return Ok(finish(currency, rows, level_minor));
    }
    // Annuity: level = P * r / (1 - (1 + r)^-n). The power is taken by repeated
    // multiplication, exact to Decimal's 28 digits for the bounded number of periods.
    let mut growth = Decimal::ONE;
    for _ in 0..installments {
        growth *= Decimal::ONE + rate;
    }
    let level_major = balance * rate * growth / (growth - Decimal::ONE);
    let level_minor = to_minor(level_major);
    let mut remaining = balance_minor;
    for (index, due_on) in due_dates.into_iter().enumerate() {
        let interest_minor = to_minor(Decimal::from(remaining) / scale * rate);
        let last = index + 1 == installments as usize;
        let principal_minor =
            if last { remaining } else { (level_minor - interest_minor).clamp(0, remaining) };
        remaining -= principal_minor;
        rows.push(Installment {
            n: index as u32 + 1,
            due_on,
            amount_minor: principal_minor + interest_minor,
            principal_minor,
            interest_minor,
            remaining_minor: remaining,
        });
    }
    Ok(finish(currency, rows, level_minor))
}

fn finish(currency: Currency, installments: Vec<Installment>, level_minor: i64) -> Schedule {
    let total_minor = installments.iter().map(|installment| installment.amount_minor).sum();
    let total_interest_minor =
        installments.iter().map(|installment| installment.interest_minor).sum();
    Schedule { currency, installments, level_minor, total_minor, total_interest_minor }
}

/// Why a plan is not affordable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Unaffordable {
    /// Stated expenses are at least stated income.
    #[error("no disposable income: income {income_minor}, expenses {expenses_minor} (minor units a month)")]
    NoDisposableIncome {
        /// Monthly income.
        income_minor: i64,
        /// Monthly expenses.
        expenses_minor: i64,
    },
    /// The installment's monthly equivalent exceeds the affordable share.
    #[error("installment costs {monthly_minor} a month, above the affordable {affordable_minor} ({share} of disposable {disposable_minor})")]
    AboveAffordableShare {
        /// The installment's monthly equivalent.
        monthly_minor: i64,
        /// What the policy allows.
        affordable_minor: i64,
        /// The policy's share.
        share: Decimal,
        /// Income minus expenses.
        disposable_minor: i64,
    },
    /// With this commitment, the debtor's open commitments (plans, promises and settlements
    /// on every account of the debtor in the currency) take more than the affordable share of
    /// the disposable income the debtor last stated: capacity to pay is the debtor's, not the
    /// account's (issue 14 point 8).
    #[error("the debtor's commitments would cost {committed_minor} a month with this one ({asked_minor}), above the affordable {affordable_minor} ({share} of disposable {disposable_minor})")]
    AboveDebtorCapacity {
        /// This commitment's monthly cost.
        asked_minor: i64,
        /// Every open commitment of the debtor's, this one included, a month.
        committed_minor: i64,
        /// What the policy allows.
        affordable_minor: i64,
        /// The policy's share.
        share: Decimal,
        /// Income minus expenses, as the debtor last stated them.
        disposable_minor: i64,
    },
}

/// An installment's monthly equivalent: the installment times installments per year over 12,
/// rounded up.
pub fn monthly_equivalent_minor(installment_minor: i64, frequency: Frequency) -> i64 {
    let monthly = Decimal::from(installment_minor) * Decimal::from(frequency.periods_per_year())
        / Decimal::from(12);
    i64::try_from(monthly.ceil()).unwrap_or(i64::MAX)
}

/// The affordable share of a disposable income, rounded down (nothing if there is none).
pub fn affordable_minor(disposable_minor: i64, affordable_share: Decimal) -> i64 {
    if disposable_minor <= 0 {
        return 0;
    }
    let affordable = Decimal::from(disposable_minor) * affordable_share;
    i64::try_from(affordable.floor()).unwrap_or(0)
}

/// Checks that a new commitment fits the debtor's capacity to pay: `committed_minor` (every
/// other open commitment of the debtor's in the currency, a month) plus `asked_minor` must not
/// exceed `affordable_share` of `disposable_minor` (rounded down).
///
/// # Errors
///
/// [`Unaffordable::AboveDebtorCapacity`] with the figures that decided it.
///
/// # Example
///
/// ```
/// use arrears_core::plan::check_debtor_capacity;
/// use rust_decimal::Decimal;
///
/// let share = Decimal::new(40, 2);
/// // 1,000.00 disposable: 400.00 a month in all. A plan of 360.00 leaves 40.00.
/// assert!(check_debtor_capacity(100_000, share, 0, 36_000).is_ok());
/// assert!(check_debtor_capacity(100_000, share, 36_000, 36_000).is_err());
/// ```
pub fn check_debtor_capacity(
    disposable_minor: i64,
    affordable_share: Decimal,
    committed_minor: i64,
    asked_minor: i64,
) -> Result<(), Unaffordable> {
    let affordable_minor = affordable_minor(disposable_minor, affordable_share);
    let total_minor = committed_minor.saturating_add(asked_minor);
    if total_minor > affordable_minor {
        return Err(Unaffordable::AboveDebtorCapacity {
            asked_minor,
            committed_minor: total_minor,
            affordable_minor,
            share: affordable_share,
            disposable_minor,
        });
    }
    Ok(())
}

/// Checks that an installment is affordable: its monthly equivalent (installment times
/// installments per year over 12, rounded up) must not exceed `affordable_share` of monthly
/// income minus expenses (rounded down).
///
/// # Errors
///
/// [`Unaffordable`] with the figures that decided it.
///
/// # Example
///
/// ```
/// use arrears_core::plan::{check_affordable, Frequency};
/// let share = "0.40".parse()?;
/// // 100.00 a week is 433.34 a month; 40% of (3000 - 1800) is 480.00.
/// assert!(check_affordable(300_000, 180_000, 10_000, Frequency::Weekly, share).is_ok());
/// assert!(check_affordable(300_000, 180_000, 12_000, Frequency::Weekly, share).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_affordable(
    monthly_income_minor: i64,
    monthly_expenses_minor: i64,
    installment_minor: i64,
    frequency: Frequency,
    affordable_share: Decimal,
) -> Result<(), Unaffordable> {
    let disposable_minor = monthly_income_minor - monthly_expenses_minor;
    if disposable_minor <= 0 {
        return Err(Unaffordable::NoDisposableIncome {
            income_minor: monthly_income_minor,
            expenses_minor: monthly_expenses_minor,
        });
    }
    let monthly_minor = monthly_equivalent_minor(installment_minor, frequency);
    let affordable_minor = affordable_minor(disposable_minor, affordable_share);
    if monthly_minor > affordable_minor {
        return Err(Unaffordable::AboveAffordableShare {
            monthly_minor,
            affordable_minor,
            share: affordable_share,
            disposable_minor,
        });
    }
    Ok(())
}

/// One dated amount of a promise to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromisedPayment {
    /// The promised date.
    pub on: NaiveDate,
    /// The promised amount, minor units.
    pub amount_minor: i64,
}

/// Why a promise to pay is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PromiseRefused {
    /// No dated amount.
    #[error("a promise needs at least one dated amount")]
    Empty,
    /// An amount is not positive.
    #[error("promised amount {amount_minor} on {on} is not positive")]
    AmountNotPositive {
        /// The date.
        on: NaiveDate,
        /// The amount.
        amount_minor: i64,
    },
    /// A date is before the day the promise is made.
    #[error("promised date {on} is before {made_on}")]
    InThePast {
        /// The date.
        on: NaiveDate,
        /// When the promise is made.
        made_on: NaiveDate,
    },
    /// A date is further out than the policy allows.
    #[error("promised date {on} is more than {max_days_out} days after {made_on}")]
    TooFarOut {
        /// The date.
        on: NaiveDate,
        /// When the promise is made.
        made_on: NaiveDate,
        /// The policy's limit.
        max_days_out: u32,
    },
    /// The total is below the policy's minimum share of what is past due.
    #[error(
        "promised total {total_minor} is below {min_minor} ({share} of past due {past_due_minor})"
    )]
    BelowMinimumShare {
        /// What is promised.
        total_minor: i64,
        /// The minimum.
        min_minor: i64,
        /// The policy's share.
        share: Decimal,
        /// What is past due.
        past_due_minor: i64,
    },
}

/// Checks a promise: at least one positive amount, dates from `made_on` to `max_days_out`
/// days after it, and a total of at least `min_share` of the past-due amount (rounded up).
///
/// # Errors
///
/// [`PromiseRefused`] naming the rule.
pub fn check_promise(
    payments: &[PromisedPayment],
    made_on: NaiveDate,
    past_due_minor: i64,
    max_days_out: u32,
    min_share: Decimal,
) -> Result<(), PromiseRefused> {
    if payments.is_empty() {
        return Err(PromiseRefused::Empty);
    }
    for payment in payments {
        if payment.amount_minor <= 0 {
            return Err(PromiseRefused::AmountNotPositive {
                on: payment.on,
                amount_minor: payment.amount_minor,
            });
        }
        if payment.on < made_on {
            return Err(PromiseRefused::InThePast { on: payment.on, made_on });
        }
        if (payment.on - made_on).num_days() > i64::from(max_days_out) {
            return Err(PromiseRefused::TooFarOut { on: payment.on, made_on, max_days_out });
        }
    }
    let total_minor: i64 = payments.iter().map(|payment| payment.amount_minor).sum();
    let min_minor = min_share_minor(past_due_minor, min_share);
    if total_minor < min_minor {
        return Err(PromiseRefused::BelowMinimumShare {
            total_minor,
            min_minor,
            share: min_share,
            past_due_minor,
        });
    }
    Ok(())
}

/// `share` of `amount_minor`, rounded up to a whole minor unit (a minimum is never rounded in
/// the debtor's favour below the share).
///
/// # Example
///
/// ```
/// use arrears_core::plan::min_share_minor;
/// assert_eq!(min_share_minor(10_001, "0.5".parse()?), 5_001);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn min_share_minor(amount_minor: i64, share: Decimal) -> i64 {
    i64::try_from((Decimal::from(amount_minor) * share).ceil()).unwrap_or(i64::MAX)
}

/// How much of a promise is covered by payments received: the promise is kept when, for
/// every promised date, the payments received from `made_on` through that date plus
/// `grace_days` cover the promised amounts due by then.
///
/// Partial payments count toward the earliest promised amounts first; a promise with a
/// shortfall on any date after its grace is broken, even if later payments make up the
/// difference (the broken promise is a fact for scoring).
///
/// Returns `Some(true)` kept (every date covered), `Some(false)` broken (a date plus grace
/// has passed uncovered by `as_of`), `None` still open.
pub fn promise_status(
    payments: &[PromisedPayment],
    received: &[(NaiveDate, i64)],
    made_on: NaiveDate,
    grace_days: u32,
    as_of: NaiveDate,
) -> Option<bool> {
    let mut promised_sorted = payments.to_vec();
    promised_sorted.sort_by_key(|payment| payment.on);
    let mut promised_cumulative = 0;
    for payment in &promised_sorted {
        promised_cumulative += payment.amount_minor;
        let deadline = crate::dates::days_after(payment.on, u64::from(grace_days));
        let paid_by_deadline: i64 = received
            .iter()
            .filter(|(on, _)| *on >= made_on && *on <= deadline)
            .map(|(_, amount)| amount)
            .sum();
        if paid_by_deadline >= promised_cumulative {
            continue;
        }
        if as_of > deadline {
            return Some(false);
        }
        return None;
    }
    Some(true)
}

#[cfg(test)]
mod tests;
