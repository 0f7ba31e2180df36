//! Portfolio views of credit (docs/CREDIT.md, "Portfolio views"): exposure by risk band and
//! currency with limit utilisation, the stability of the score distribution between two dates
//! (the population stability index over stored review scores), and the accounts whose signals
//! changed since a date.
//!
//! Definitions:
//!
//! - A debtor's *risk band* on a date is the band of its latest credit review on or before the
//!   date; without one, the lowest band its accounts' cases hold from the cycle's scoring (by
//!   points); without either, `unscored`.
//! - *Exposure* is what the debtor's accounts owe on the date, in each account's currency.
//!   The *limit* is the limit in force of the debtor's credit standing, counted in the
//!   standing's currency; *utilisation* is exposure / limit in that currency (none without a
//!   limit).
//! - The *PSI* compares the distribution of the debtors' latest review scores on or before two
//!   dates over ten bins of 100 points (the last bin includes 1000):
//!   `sum((b - a) * ln(b / a))` over the bins' shares `a` (first date) and `b` (second date),
//!   an empty bin counted as a share of 0.0001. Below 0.1 is usually read as stable, above 0.25
//!   as shifted.
//! - An account's *signals changed* since a date when the signals in force on that date and on
//!   the report date differ (as the cycle's stage conditions see them).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use arrears_core::credit::CreditReview;
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::money::Currency;
use arrears_core::policy::Signal;
use arrears_store::{ReadTxn, Reads};

use crate::error::QueryError;

/// The band of a debtor never scored.
pub const UNSCORED: &str = "unscored";
/// Bins of the PSI: ten of 100 points.
pub const PSI_BINS: usize = 10;
/// The share an empty bin counts as, so that the logarithm is defined.
const PSI_EMPTY_SHARE: f64 = 0.0001;

/// One row of the exposure report: a risk band in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExposureRow {
    /// The risk band.
    pub band: String,
    /// The currency.
    pub currency: Currency,
    /// Debtors in the row (with exposure or a limit in the currency).
    pub debtors: u64,
    /// What they owe, in minor units.
    pub exposure_minor: i64,
    /// Their limits in force, in minor units.
    pub limit_minor: i64,
    /// Exposure / limit, to four decimal places (`None`: no limit).
    pub utilisation: Option<Decimal>,
}

/// The debtor's risk band on `as_of` (see the module's definitions).
fn band_of(
    read: &ReadTxn,
    debtor: DebtorId,
    reviews: &[CreditReview],
    as_of: NaiveDate,
) -> Result<String, QueryError> {
    let reviewed = reviews
        .iter()
        .rev()
        .filter(|review| review.debtor == debtor && review.reviewed_on <= as_of)
        .find_map(|review| review.score.as_ref());
    if let Some(score) = reviewed {
        return Ok(score.band.clone());
    }
    let mut lowest: Option<(i32, String)> = None;
    for account in read.accounts_of(debtor)? {
        let Some(score) = read.case(account)?.and_then(|case| case.score) else { continue };
        if score.scored_on <= as_of
            && lowest.as_ref().is_none_or(|(points, _)| score.points < *points)
        {
            lowest = Some((score.points, score.band));
        }
    }
    Ok(lowest.map_or_else(|| UNSCORED.to_owned(), |(_, band)| band))
}

/// What `debtor`'s accounts owe on `as_of`, due or not, by currency: its *exposure*.
fn owed_by_currency(
    read: &ReadTxn,
    debtor: DebtorId,
    as_of: NaiveDate,
) -> Result<BTreeMap<Currency, i64>, QueryError> {
    let mut owed: BTreeMap<Currency, i64> = BTreeMap::new();
    for account_id in read.accounts_of(debtor)? {
        let Some(account) = read.account(account_id)? else { continue };
        let state = read.account_state(&account, Some(as_of))?;
        let sum = owed.entry(account.currency).or_default();
        *sum = sum.saturating_add(state.total_outstanding_minor());
    }
    Ok(owed)
}

/// Exposure by risk band and currency on `as_of`, with limit utilisation.
pub(crate) fn exposure(read: &ReadTxn, as_of: NaiveDate) -> Result<Vec<ExposureRow>, QueryError> {
    let reviews = read.credit_reviews(None)?;
    let standings: BTreeMap<DebtorId, _> =
        read.credit_standings()?.into_iter().map(|standing| (standing.debtor, standing)).collect();
    // (band, currency) -> (debtors, exposure, limit)
    let mut rows: BTreeMap<(String, Currency), (u64, i64, i64)> = BTreeMap::new();
    for debtor in read.all_debtors()? {
        let mut by_currency: BTreeMap<Currency, (i64, i64)> =
            (owed_by_currency(read, debtor.id, as_of)?.into_iter())
                .map(|(currency, owed)| (currency, (owed, 0)))
                .collect();
        if let Some(standing) = standings.get(&debtor.id) {
            by_currency.entry(standing.currency).or_default().1 += standing.limit_minor;
        }
        by_currency.retain(|_, (owed, limit)| *owed != 0 || *limit != 0);
        if by_currency.is_empty() {
            continue;
        }
        let band = band_of(read, debtor.id, &reviews, as_of)?;
        for (currency, (owed, limit)) in by_currency {
            let row = rows.entry((band.clone(), currency)).or_default();
            row.0 += 1;
            row.1 += owed;
            row.2 += limit;
        }
    }
    Ok(rows
        .into_iter()
        .map(|((band, currency), (debtors, exposure_minor, limit_minor))| ExposureRow {
            band,
            currency,
            debtors,
            exposure_minor,
            limit_minor,
            utilisation: (limit_minor > 0)
                .then(|| (Decimal::from(exposure_minor) / Decimal::from(limit_minor)).round_dp(4)),
        })
        .collect())
}

/// Whether an order fits a debtor's credit ([`crate::Arrears::credit_check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditCheck {
    /// The debtor.
    pub debtor: DebtorId,
    /// The day of the exposure.
    pub as_of: NaiveDate,
    /// The order's currency, in which every amount here is counted.
    pub currency: Currency,
    /// The order, in minor units.
    pub order_minor: i64,
    /// What the debtor's accounts in the currency owe on `as_of`, due or not (the exposure
    /// report's definition), in minor units.
    pub exposure_minor: i64,
    /// The limit in force of the debtor's credit standing, if it is in the currency.
    pub limit_minor: Option<i64>,
    /// The limit less the exposure (below zero when the debtor is over its limit already).
    pub available_minor: Option<i64>,
    /// The answer.
    pub verdict: CreditVerdict,
}

/// The answer of a [`CreditCheck`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CreditVerdict {
    /// The exposure with the order is within the limit in force.
    Fits,
    /// The exposure with the order passes the limit in force by this much (minor units).
    OverLimit {
        /// By how much.
        by_minor: i64,
    },
    /// New business with the debtor is refused (`refuse to trade`): the engine would refuse
    /// the order's invoice.
    RefusedToTrade,
    /// The debtor has no credit standing: no limit was granted or set.
    NoStanding,
    /// The standing's limit is in another currency: the order cannot be compared with it.
    OtherCurrency {
        /// The standing's currency.
        standing: Currency,
    },
}

/// Whether an order of `order_minor` in `currency` fits `debtor`'s credit on `as_of`.
pub(crate) fn credit_check(
    read: &ReadTxn,
    debtor: DebtorId,
    order_minor: i64,
    currency: Currency,
    as_of: NaiveDate,
) -> Result<CreditCheck, QueryError> {
    if read.debtor(debtor)?.is_none() {
        return Err(QueryError::UnknownDebtor(debtor));
    }
    let exposure_minor =
        owed_by_currency(read, debtor, as_of)?.get(&currency).copied().unwrap_or(0);
    let standing = read.credit_standing(debtor)?;
    let limit_minor = standing
        .as_ref()
        .filter(|standing| standing.currency == currency)
        .map(|standing| standing.limit_minor);
    let available_minor = limit_minor.map(|limit| limit.saturating_sub(exposure_minor));
    let verdict = match (&standing, available_minor) {
        (None, _) => CreditVerdict::NoStanding,
        (Some(standing), _) if standing.refuse_to_trade => CreditVerdict::RefusedToTrade,
        (Some(standing), None) => CreditVerdict::OtherCurrency { standing: standing.currency },
        (Some(_), Some(available)) if order_minor <= available => CreditVerdict::Fits,
        (Some(_), Some(available)) => {
            CreditVerdict::OverLimit { by_minor: order_minor.saturating_sub(available) }
        }
    };
    Ok(CreditCheck {
        debtor,
        as_of,
        currency,
        order_minor,
        exposure_minor,
        limit_minor,
        available_minor,
        verdict,
    })
}

/// The population stability index between two dates (see the module's definitions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Psi {
    /// The first date.
    pub from: NaiveDate,
    /// The second date.
    pub to: NaiveDate,
    /// Debtors scored by a review on or before each date.
    pub debtors: (u64, u64),
    /// Each bin's lowest score, its count at each date and its contribution to the index.
    pub bins: Vec<PsiBin>,
    /// The index (`None`: no scored debtor at one of the dates).
    pub psi: Option<f64>,
}

/// One bin of the PSI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PsiBin {
    /// The bin's lowest score (0, 100, ... 900).
    pub points_min: i32,
    /// Debtors in the bin on the first date.
    pub from_count: u64,
    /// Debtors in the bin on the second date.
    pub to_count: u64,
    /// `(b - a) * ln(b / a)` for the bin.
    pub contribution: f64,
}

/// The bin counts of the debtors' latest review scores on or before `as_of`.
fn distribution(reviews: &[CreditReview], as_of: NaiveDate) -> [u64; PSI_BINS] {
    let mut latest: BTreeMap<DebtorId, i32> = BTreeMap::new();
    for review in reviews.iter().filter(|review| review.reviewed_on <= as_of) {
        if let Some(score) = &review.score {
            latest.insert(review.debtor, score.points);
        }
    }
    let mut counts = [0_u64; PSI_BINS];
    for points in latest.into_values() {
        let bin = usize::try_from(points.clamp(0, 999) / 100).unwrap_or(0);
        if let Some(count) = counts.get_mut(bin) {
            *count += 1;
        }
    }
    counts
}

/// The PSI of the stored review scores between `from` and `to`.
pub(crate) fn psi(read: &ReadTxn, from: NaiveDate, to: NaiveDate) -> Result<Psi, QueryError> {
    let reviews = read.credit_reviews(None)?;
    let (before, after) = (distribution(&reviews, from), distribution(&reviews, to));
    Ok(psi_of((from, to), &before, &after))
}

/// The PSI of two bin counts.
fn psi_of(
    (from, to): (NaiveDate, NaiveDate),
    before: &[u64; PSI_BINS],
    after: &[u64; PSI_BINS],
) -> Psi {
    let (total_before, total_after): (u64, u64) = (before.iter().sum(), after.iter().sum());
    let share = |count: u64, total: u64| {
        let share = count as f64 / total as f64;
        if share == 0.0 {
            PSI_EMPTY_SHARE
        } else {
            share
        }
    };
    let scored = total_before > 0 && total_after > 0;
    let bins: Vec<PsiBin> = (0..PSI_BINS)
        .map(|bin| {
            let (from_count, to_count) = (before[bin], after[bin]);
            let contribution = match scored {
                true => {
                    let (a, b) = (share(from_count, total_before), share(to_count, total_after));
                    (b - a) * (b / a).ln()
                }
                false => 0.0,
            };
            let points_min = i32::try_from(bin * 100).unwrap_or(0);
            PsiBin { points_min, from_count, to_count, contribution }
        })
        .collect();
    let psi = scored.then(|| bins.iter().map(|bin| bin.contribution).sum());
    Psi { from, to, debtors: (total_before, total_after), bins, psi }
}

/// An account whose signals changed between two dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalChange {
    /// The account.
    pub account: AccountId,
    /// Its external reference.
    pub external_ref: Option<String>,
    /// Its debtor.
    pub debtor: DebtorId,
    /// Signals in force on the report date and not on the first.
    pub added: Vec<Signal>,
    /// Signals in force on the first date and not on the report date.
    pub removed: Vec<Signal>,
    /// For the added signals kept on the debtor record (reported from outside, or raised by
    /// a detector), who reported or detected them and what shows them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<SignalEvidence>,
}

/// Where an added signal of a [`SignalChange`] comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalEvidence {
    /// The signal.
    pub signal: Signal,
    /// The day it was observed or detected.
    pub observed_on: NaiveDate,
    /// Who reported it (`bureau:acme`) or the detector that raised it
    /// (`detector:buying_pattern`).
    pub source: String,
    /// What shows it: a reference, or the figures that fired the detector.
    pub evidence: String,
}

/// The evidence of the debtor's recorded signals among `added`, in force on `as_of`.
fn evidence_of(
    debtor: &arrears_core::model::Debtor,
    added: &[Signal],
    as_of: NaiveDate,
) -> Vec<SignalEvidence> {
    debtor
        .reported_signals
        .iter()
        .filter(|reported| added.contains(&reported.signal) && reported.in_force(as_of))
        .map(|reported| SignalEvidence {
            signal: reported.signal,
            observed_on: reported.observed_on,
            source: reported.source.clone(),
            evidence: reported.evidence.clone(),
        })
        .collect()
}

/// The signals of an account on `as_of`, as stage conditions see them.
fn signals_on(
    read: &ReadTxn,
    account: &arrears_core::model::Account,
    debtor: &arrears_core::model::Debtor,
    as_of: NaiveDate,
) -> Result<Vec<Signal>, QueryError> {
    let Some(case) = read.case(account.id)? else { return Ok(Vec::new()) };
    let state = read.account_state(account, Some(as_of))?;
    let contacts = read.contacts(debtor.id)?;
    let features = crate::lifecycle::features(&contacts, account, &case, &state, as_of);
    let extension = crate::queue::extension_requested(read, account.id, as_of)?;
    Ok(crate::lifecycle::signals(&case, debtor, &features, as_of, extension))
}

/// The accounts whose signals differ between `since` and `as_of`, by account id.
pub(crate) fn signal_changes(
    read: &ReadTxn,
    since: NaiveDate,
    as_of: NaiveDate,
) -> Result<Vec<SignalChange>, QueryError> {
    let mut changes = Vec::new();
    for account in read.all_accounts()? {
        let Some(debtor) = read.debtor(account.debtor)? else { continue };
        let before = signals_on(read, &account, &debtor, since)?;
        let after = signals_on(read, &account, &debtor, as_of)?;
        let added: Vec<Signal> =
            Signal::ALL.into_iter().filter(|s| after.contains(s) && !before.contains(s)).collect();
        let removed: Vec<Signal> =
            Signal::ALL.into_iter().filter(|s| before.contains(s) && !after.contains(s)).collect();
        if !added.is_empty() || !removed.is_empty() {
            changes.push(SignalChange {
                account: account.id,
                external_ref: account.external_ref.clone(),
                debtor: debtor.id,
                evidence: evidence_of(&debtor, &added, as_of),
                added,
                removed,
            });
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests;
