//! Early warning in the demo: what the credit rules' tightened terms saved on the trade debtors
//! that showed red flags.
//!
//! The demo runs the seed under its policy, whose `[credit]` section reviews a trade debtor's
//! standing when a red flag is reported and tightens its terms or stops trade, then runs the
//! same seed again without that section (the counterfactual: no credit reviews, no detectors;
//! the same debtors, limits, red flags and random streams). Both stores are read the same way
//! here, over the debtors with a red flag, and the report shows the two side by side
//! (docs/DEMO.md, "Early warning").

use anyhow::{Context, Result};
use chrono::{Days, NaiveDate};
use serde::Serialize;

use arrears::ledger::Book;
use arrears::money::Currency;
use arrears::Arrears;

use super::generator::SimDebtor;

/// The policy without early warning: its `[credit]` and `[detectors]` sections removed, so
/// that no cycle reviews a standing or raises a signal. `None` if the policy has no credit
/// rules (there is nothing to compare then).
pub(crate) fn without_early_warning(text: &str) -> Result<Option<String>> {
    let mut policy: toml::Table = toml::from_str(text).context("the policy is not TOML")?;
    let has_rules = policy
        .get("credit")
        .and_then(|credit| credit.get("rule"))
        .and_then(toml::Value::as_array)
        .is_some_and(|rules| !rules.is_empty());
    if !has_rules {
        return Ok(None);
    }
    policy.remove("credit");
    policy.remove("detectors");
    Ok(Some(toml::to_string(&policy).context("the policy without early warning")?))
}

/// The money of the flagged debtors in one run, in minor units of [`EarlyWarning::currency`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Exposure {
    /// Principal invoiced in the period to the flagged debtors that went bad.
    pub(crate) invoiced_to_defaulters_minor: i64,
    /// Principal invoiced in the period to the flagged debtors that did not (the false
    /// alarms): the business that early warning turns away from good customers.
    pub(crate) invoiced_to_false_alarms_minor: i64,
    /// What the flagged debtors that went bad owed on the day they stopped paying.
    pub(crate) exposure_at_default_minor: i64,
    /// Written off from the flagged debtors' accounts in the period (the bad-debt book).
    pub(crate) charged_off_minor: i64,
    /// Owed at the end of the period on the flagged debtors' accounts that are past due and
    /// not charged off.
    pub(crate) delinquent_minor: i64,
}

impl Exposure {
    /// Charged off plus still delinquent: what the flagged debtors cost.
    pub(crate) fn loss_minor(&self) -> i64 {
        self.charged_off_minor + self.delinquent_minor
    }
}

/// The flagged debtors with and without early warning.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EarlyWarning {
    /// The currency of every amount (the demo's portfolio is in USD).
    pub(crate) currency: Currency,
    /// Trade debtors with at least one red flag reported in the period.
    pub(crate) flagged_debtors: usize,
    /// Of those, the ones that went bad in the period.
    pub(crate) flagged_defaults: usize,
    /// Debtors that went bad in the period with no red flag before (early warning cannot help).
    pub(crate) unflagged_defaults: usize,
    pub(crate) with_early_warning: Exposure,
    pub(crate) without_early_warning: Exposure,
    /// Exposure at default without minus with early warning.
    pub(crate) exposure_at_default_saved_minor: i64,
    /// Loss (charged off + delinquent) without minus with early warning: what it saved.
    pub(crate) loss_saved_minor: i64,
    /// Invoiced to the false alarms without minus with: the business it turned away.
    pub(crate) false_alarm_sales_forgone_minor: i64,
}

impl EarlyWarning {
    /// Compares the two runs' figures of the same debtors.
    pub(crate) fn compare(
        debtors: &[SimDebtor],
        days: u32,
        with: Exposure,
        without: Exposure,
    ) -> EarlyWarning {
        let in_period = |debtor: &&SimDebtor| defaulted_in(debtor, days).is_some();
        let flagged: Vec<&SimDebtor> = flagged(debtors, days).collect();
        let defaults = debtors.iter().filter(in_period);
        EarlyWarning {
            currency: Currency::USD,
            flagged_debtors: flagged.len(),
            flagged_defaults: flagged.iter().copied().filter(|debtor| in_period(debtor)).count(),
            unflagged_defaults: defaults
                .filter(|debtor| debtor.behaviour.red_flags.is_empty())
                .count(),
            exposure_at_default_saved_minor: without.exposure_at_default_minor
                - with.exposure_at_default_minor,
            loss_saved_minor: without.loss_minor() - with.loss_minor(),
            false_alarm_sales_forgone_minor: without.invoiced_to_false_alarms_minor
                - with.invoiced_to_false_alarms_minor,
            with_early_warning: with,
            without_early_warning: without,
        }
    }
}

/// The day (from the start) the debtor goes bad, if inside the `days` simulated.
fn defaulted_in(debtor: &SimDebtor, days: u32) -> Option<i64> {
    debtor.behaviour.default_day.filter(|day| *day < i64::from(days))
}

/// The debtors with a red flag reported in the period (the simulator reports a flag on its
/// day, those before the start on the first day).
fn flagged(debtors: &[SimDebtor], days: u32) -> impl Iterator<Item = &SimDebtor> {
    debtors.iter().filter(move |debtor| {
        debtor.behaviour.red_flags.iter().any(|(day, _)| *day < i64::from(days))
    })
}

/// The flagged debtors' money in one run's store.
pub(crate) fn measure(
    books: &Arrears,
    debtors: &[SimDebtor],
    (start, days): (NaiveDate, u32),
) -> Result<Exposure> {
    let to = start + Days::new(u64::from(days - 1));
    let mut exposure = Exposure::default();
    for debtor in flagged(debtors, days) {
        let reference = &debtor.account.reference;
        let Some(account) = books.find_account(reference)? else { continue };
        let view = books.account_view(account, to)?;
        let invoiced: i64 =
            view.obligations.iter().map(|obligation| obligation.obligation.original_minor[0]).sum();
        let charged_off = view.charged_off_on.is_some_and(|on| on <= to);
        exposure.charged_off_minor += view.books_minor.get(&Book::BadDebt).copied().unwrap_or(0);
        if !charged_off && view.aging.days_past_due > 0 {
            exposure.delinquent_minor += view.total_outstanding_minor;
        }
        match defaulted_in(debtor, days) {
            Some(day) => {
                exposure.invoiced_to_defaulters_minor += invoiced;
                let on = start + Days::new(day as u64);
                exposure.exposure_at_default_minor +=
                    books.account_view(account, on)?.total_outstanding_minor;
            }
            None => exposure.invoiced_to_false_alarms_minor += invoiced,
        }
    }
    Ok(exposure)
}

#[cfg(test)]
mod tests;
