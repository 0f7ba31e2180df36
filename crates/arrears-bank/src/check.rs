//! The checks every format shares: the balance equation and the entry totals.

use arrears_core::money::Currency;

use crate::error::{Failure, Location, Problem};
use crate::{Direction, StatementLine};

/// Counts and sums of a statement's lines by direction.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) credit_count: u64,
    pub(crate) credits_minor: i64,
    pub(crate) debit_count: u64,
    pub(crate) debits_minor: i64,
}

impl Totals {
    pub(crate) fn of(lines: &[StatementLine]) -> Totals {
        let mut totals = Totals::default();
        for line in lines {
            totals.add(line.direction, line.amount_minor);
        }
        totals
    }

    /// Adds one amount; sums stay in range because each amount is at most
    /// `AMOUNT_MINOR_MAX` (10^13) and a file would need 900 000 of them to overflow.
    pub(crate) fn add(&mut self, direction: Direction, amount_minor: i64) {
        match direction {
            Direction::Credit => {
                self.credit_count += 1;
                self.credits_minor = self.credits_minor.saturating_add(amount_minor);
            }
            Direction::Debit => {
                self.debit_count += 1;
                self.debits_minor = self.debits_minor.saturating_add(amount_minor);
            }
        }
    }
}

/// Opening + credits - debits == closing, else a [`Problem::BalanceMismatch`] at `at` (the
/// closing balance's place in the file).
pub(crate) fn balance(
    currency: Currency,
    opening_minor: i64,
    totals: Totals,
    closing_minor: i64,
    at: &Location,
) -> Result<(), Failure> {
    let computed_minor =
        opening_minor.saturating_add(totals.credits_minor).saturating_sub(totals.debits_minor);
    if computed_minor == closing_minor {
        return Ok(());
    }
    Err((
        at.clone(),
        Problem::BalanceMismatch {
            currency,
            opening_minor,
            credits_minor: totals.credits_minor,
            debits_minor: totals.debits_minor,
            computed_minor,
            closing_minor,
        },
    ))
}

/// A declared count equals the counted one, else [`Problem::CountMismatch`].
pub(crate) fn count(
    what: &'static str,
    declared: u64,
    counted: u64,
    at: &Location,
) -> Result<(), Failure> {
    if declared == counted {
        return Ok(());
    }
    Err((at.clone(), Problem::CountMismatch { what, declared, counted }))
}

/// A declared total equals the summed one, else [`Problem::TotalMismatch`].
pub(crate) fn total(
    what: &'static str,
    declared_minor: i64,
    summed_minor: i64,
    at: &Location,
) -> Result<(), Failure> {
    if declared_minor == summed_minor {
        return Ok(());
    }
    Err((at.clone(), Problem::TotalMismatch { what, declared_minor, summed_minor }))
}
