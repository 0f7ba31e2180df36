//! Apportioning one statement line's amount across a debtor's open obligations (issue 17,
//! point 3), in exact minor units.
//!
//! - [`ApportionMethod::OldestDue`]: obligations by due date (then account, then obligation
//!   id), across accounts, each paid in full before the next.
//! - [`ApportionMethod::ProRata`]: each obligation gets the share of the amount its outstanding
//!   is of the total owed, rounded down, and the minor units left over go one each to the
//!   largest remainders; equal remainders go to the oldest due (the same order as `OldestDue`).
//! - [`ApportionMethod::AsRemitted`]: the obligations the remittance names (see
//!   [`crate::matching::referenced_obligations`]) are paid first, in the order named, each up
//!   to its outstanding; the rest goes oldest due first.
//!
//! Whatever the method, no part exceeds its obligation's outstanding, and what is left when
//! every obligation is paid is the unapplied remainder, which the engine holds. Parts plus the
//! remainder always equal the line's amount. Each part carries its trace to the line: the
//! line's bank reference and the part's number.
//!
//! ```
//! use arrears_bank::apportion::{apportion, ApportionMethod};
//! use arrears_bank::matching::OpenObligation;
//! use arrears_core::ids::{AccountId, ObligationId};
//! use arrears_core::money::Currency;
//! use chrono::NaiveDate;
//!
//! let eur = Currency::from_code("EUR")?;
//! let open = |id, day, outstanding_minor| OpenObligation {
//!     obligation: ObligationId(id), account: AccountId(1),
//!     due_on: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(), outstanding_minor, currency: eur,
//! };
//! let obligations = [open(1, 1, 100), open(2, 2, 200)];
//! let split = apportion("REF1", 400, eur, &obligations, ApportionMethod::OldestDue, &[])?;
//! assert_eq!(split.parts.iter().map(|part| part.amount_minor).collect::<Vec<_>>(), [100, 200]);
//! assert_eq!(split.unapplied_minor, 100);
//! let split = apportion("REF1", 100, eur, &obligations, ApportionMethod::ProRata, &[])?;
//! assert_eq!(split.parts.iter().map(|part| part.amount_minor).collect::<Vec<_>>(), [33, 67]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use arrears_core::ids::{AccountId, ObligationId};
use arrears_core::money::Currency;
use serde::Serialize;

use crate::matching::OpenObligation;

/// The most open obligations one line is apportioned across.
pub const APPORTION_OBLIGATIONS_MAX: usize = 10_000;

/// How a line's amount is spread across a debtor's obligations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApportionMethod {
    /// Oldest due first, across accounts.
    OldestDue,
    /// In proportion to each obligation's outstanding (largest remainder).
    ProRata,
    /// The obligations the remittance names first, then oldest due first.
    AsRemitted,
}

impl ApportionMethod {
    /// The name in a rules file: `oldest_due`, `pro_rata`, `as_remitted`.
    pub fn name(self) -> &'static str {
        match self {
            ApportionMethod::OldestDue => "oldest_due",
            ApportionMethod::ProRata => "pro_rata",
            ApportionMethod::AsRemitted => "as_remitted",
        }
    }

    /// The method of a name, if any.
    pub fn from_name(name: &str) -> Option<ApportionMethod> {
        [ApportionMethod::OldestDue, ApportionMethod::ProRata, ApportionMethod::AsRemitted]
            .into_iter()
            .find(|method| method.name() == name)
    }
}

/// One part of a line applied to one obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// The obligation paid.
    pub obligation: ObligationId,
    /// Its account.
    pub account: AccountId,
    /// The amount applied, in minor units (positive, at most the outstanding).
    pub amount_minor: i64,
    /// The trace to the line: its bank reference.
    pub bank_reference: String,
    /// The trace to the line: this part's number, 1 for the first; `bank_reference` and
    /// `part_number` together key the part.
    pub part_number: u32,
}

/// A line's amount spread: the parts, and what was left over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Apportionment {
    /// The parts, in the order paid (for `ProRata`, oldest due first).
    pub parts: Vec<Part>,
    /// What exceeds everything owed, in minor units; the engine holds it unapplied.
    pub unapplied_minor: i64,
}

/// Apportioning input that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApportionError {
    /// The line's amount is negative.
    #[error("line {bank_reference:?}: amount {amount_minor} is negative")]
    NegativeAmount {
        /// The line.
        bank_reference: String,
        /// The amount given.
        amount_minor: i64,
    },
    /// An obligation's outstanding is negative.
    #[error("obligation {obligation}: outstanding {outstanding_minor} is negative")]
    NegativeOutstanding {
        /// The obligation.
        obligation: ObligationId,
        /// The outstanding given.
        outstanding_minor: i64,
    },
    /// The same obligation is given twice.
    #[error("obligation {obligation} is given twice")]
    DuplicateObligation {
        /// The obligation.
        obligation: ObligationId,
    },
    /// More than [`APPORTION_OBLIGATIONS_MAX`] obligations.
    #[error("{count} obligations; at most {APPORTION_OBLIGATIONS_MAX}")]
    TooManyObligations {
        /// How many were given.
        count: usize,
    },
}

/// Spreads `amount_minor` of the line `bank_reference` across `obligations` in `currency` by
/// `method`. Obligations in other currencies, and those with nothing outstanding, are left
/// out. `directed` lists the obligations the remittance names, for
/// [`ApportionMethod::AsRemitted`] (ignored by the other methods); names of obligations that
/// are not open are skipped.
///
/// # Errors
///
/// [`ApportionError`] for a negative amount or outstanding, an obligation given twice, or too
/// many obligations.
pub fn apportion(
    bank_reference: &str,
    amount_minor: i64,
    currency: Currency,
    obligations: &[OpenObligation],
    method: ApportionMethod,
    directed: &[ObligationId],
) -> Result<Apportionment, ApportionError> {
    let open = open_oldest_first(bank_reference, amount_minor, currency, obligations)?;
    let amounts = match method {
        ApportionMethod::OldestDue => fill_in_order(amount_minor, &open, &[]),
        ApportionMethod::AsRemitted => fill_in_order(amount_minor, &open, directed),
        ApportionMethod::ProRata => pro_rata(amount_minor, &open),
    };
    let applied: i64 = amounts.iter().map(|(_, amount)| amount).sum();
    let parts = amounts
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .zip(1_u32..)
        .map(|((index, amount_minor), part_number)| Part {
            obligation: open[index].obligation,
            account: open[index].account,
            amount_minor,
            bank_reference: bank_reference.to_owned(),
            part_number,
        })
        .collect();
    Ok(Apportionment { parts, unapplied_minor: amount_minor - applied })
}

/// The obligations to pay, checked, in `currency` with something outstanding, oldest due
/// first (then account, then obligation id, so the order is total).
fn open_oldest_first<'a>(
    bank_reference: &str,
    amount_minor: i64,
    currency: Currency,
    obligations: &'a [OpenObligation],
) -> Result<Vec<&'a OpenObligation>, ApportionError> {
    if amount_minor < 0 {
        return Err(ApportionError::NegativeAmount {
            bank_reference: bank_reference.to_owned(),
            amount_minor,
        });
    }
    if obligations.len() > APPORTION_OBLIGATIONS_MAX {
        return Err(ApportionError::TooManyObligations { count: obligations.len() });
    }
    let mut seen = std::collections::BTreeSet::new();
    for obligation in obligations {
        if obligation.outstanding_minor < 0 {
            return Err(ApportionError::NegativeOutstanding {
                obligation: obligation.obligation,
                outstanding_minor: obligation.outstanding_minor,
            });
        }
        if !seen.insert(obligation.obligation) {
            return Err(ApportionError::DuplicateObligation { obligation: obligation.obligation });
        }
    }
    let mut open: Vec<&OpenObligation> = obligations
        .iter()
        .filter(|obligation| obligation.currency == currency && obligation.outstanding_minor > 0)
        .collect();
    open.sort_by_key(|obligation| (obligation.due_on, obligation.account, obligation.obligation));
    Ok(open)
}

/// Pays the `directed` obligations first, in that order, then the rest of `open` in its
/// order, each up to its outstanding. Returns (index in `open`, amount) in the order paid.
fn fill_in_order(
    amount_minor: i64,
    open: &[&OpenObligation],
    directed: &[ObligationId],
) -> Vec<(usize, i64)> {
    let mut order: Vec<usize> = Vec::with_capacity(open.len());
    for id in directed {
        if let Some(index) = open.iter().position(|obligation| obligation.obligation == *id) {
            if !order.contains(&index) {
                order.push(index);
            }
        }
    }
    let first = order.clone();
    order.extend((0..open.len()).filter(|index| !first.contains(index)));
    let mut left = amount_minor;
    order
        .into_iter()
        .map(|index| {
            let paid = left.min(open[index].outstanding_minor);
            left -= paid;
            (index, paid)
        })
        .collect()
}

/// Largest-remainder shares of `amount_minor` in proportion to the outstanding amounts; all
/// of every obligation when the amount covers the total. Returns (index, amount) in `open`
/// order.
fn pro_rata(amount_minor: i64, open: &[&OpenObligation]) -> Vec<(usize, i64)> {
    let total: i128 = open.iter().map(|obligation| i128::from(obligation.outstanding_minor)).sum();
    if i128::from(amount_minor) >= total {
        return open
            .iter()
            .enumerate()
            .map(|(index, obligation)| (index, obligation.outstanding_minor))
            .collect();
    }
    let amount = i128::from(amount_minor);
    let mut shares: Vec<(usize, i64)> = Vec::with_capacity(open.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(open.len());
    for (index, obligation) in open.iter().enumerate() {
        let exact = amount * i128::from(obligation.outstanding_minor);
        // The share is below the outstanding (amount < total), so it fits in i64.
        shares.push((index, i64::try_from(exact / total).unwrap_or(i64::MAX)));
        remainders.push((exact % total, index));
    }
    let given: i64 = shares.iter().map(|(_, share)| share).sum();
    // Larger remainder first; equal remainders by index, which is oldest due first.
    remainders.sort_by(|left, right| right.0.cmp(&left.0).then(left.1.cmp(&right.1)));
    let leftover = usize::try_from(amount_minor - given).unwrap_or(0);
    for (_, index) in remainders.into_iter().take(leftover) {
        shares[index].1 += 1;
    }
    shares
}

#[cfg(test)]
mod tests;
