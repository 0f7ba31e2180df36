//! The money behind the HTML report, read from any store through the public account views:
//! delinquent balance, aging in money, collected and charged off by month, roll rates weighted
//! by balance, and, per champion/challenger arm, the same money with the contacts made by
//! channel and their assumed cost.
//!
//! Amounts of different currencies are never added: every figure is kept per currency.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use arrears::ids::AccountId;
use arrears::ledger::Book;
use arrears::model::Account;
use arrears::money::Currency;
use arrears::reports::STATE_LABELS;
use arrears::Arrears;

/// States of [`STATE_LABELS`]: current, five delinquent buckets, 181+ and charged off.
const STATES: usize = 8;
/// Index of the charged-off state in [`STATE_LABELS`].
const CHARGED_OFF: usize = 7;

/// Assumed cost of one contact by channel, in US dollar cents. No published source: these are
/// round figures of the order vendors quote (a letter printed and posted, an agent's call),
/// stated as assumptions in the report and in docs/DEMO.md.
pub(crate) const CONTACT_COST_USD_CENTS: [(&str, i64); 5] =
    [("email", 1), ("sms", 5), ("messaging", 3), ("postal", 85), ("phone", 250)];

/// What one account looked like at the end of one day.
#[derive(Debug, Clone, Copy, Default)]
struct Snapshot {
    state: usize,
    outstanding: i64,
    cash: i64,
    bad_debt: i64,
    /// Principal of the obligations due on or before the day (the strategy does not change it).
    fallen_due: i64,
}

/// The money of one currency.
#[derive(Debug, Clone, Default)]
pub(crate) struct CurrencyMoney {
    /// Outstanding by state ([`STATE_LABELS`]) at each of [`Money::points`] (the first, the
    /// day before the period, excluded).
    pub(crate) aging: Vec<[i64; STATES]>,
    /// Money received in each month of [`Money::months`].
    pub(crate) collected: Vec<i64>,
    /// Receivables written off in each month of [`Money::months`].
    pub(crate) charged_off: Vec<i64>,
    /// Balance moved from state (row) to state (column) between consecutive month ends,
    /// weighted by the outstanding at the first of the two.
    pub(crate) roll_balance: [[i64; STATES]; STATES],
}

impl CurrencyMoney {
    /// Outstanding of delinquent accounts (1 day past due or more, not charged off).
    pub(crate) fn delinquent(point: &[i64; STATES]) -> i64 {
        point[1..CHARGED_OFF].iter().sum()
    }
}

/// The money of one arm, per currency.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArmMoney {
    /// Accounts in the arm.
    pub(crate) accounts: u64,
    /// Per currency: delinquent balance at the end, collected and charged off in the period.
    pub(crate) by_currency: BTreeMap<Currency, [i64; 3]>,
    /// Contacts written to the outbox in the period, by channel name.
    pub(crate) contacts: BTreeMap<String, u64>,
}

impl ArmMoney {
    /// Assumed cost of the arm's contacts in US dollar cents ([`CONTACT_COST_USD_CENTS`]).
    pub(crate) fn contact_cost_usd_cents(&self) -> i64 {
        self.contacts.iter().map(|(channel, count)| cost_of(channel) * *count as i64).sum()
    }
}

/// The assumed cost of one contact on `channel`, in US dollar cents.
pub(crate) fn cost_of(channel: &str) -> i64 {
    CONTACT_COST_USD_CENTS.iter().find(|(name, _)| *name == channel).map_or(0, |(_, c)| *c)
}

/// The report's money.
#[derive(Debug, Clone, Default)]
pub(crate) struct Money {
    /// The day before the period, each month end inside it, and its last day.
    pub(crate) points: Vec<NaiveDate>,
    /// Month labels (`2026-01`), one per pair of consecutive points.
    pub(crate) months: Vec<String>,
    /// Per currency.
    pub(crate) currencies: BTreeMap<Currency, CurrencyMoney>,
    /// Per arm name.
    pub(crate) arms: BTreeMap<String, ArmMoney>,
    /// Per account of the period: what the differences between arms are computed from.
    accounts: Vec<AccountSample>,
    /// The same per account from the twin run (the other arm's strategy), if there was one.
    twin: Vec<AccountSample>,
}

/// One account's figures of the period, for the differences between arms.
#[derive(Debug, Clone)]
pub(crate) struct AccountSample {
    account: AccountId,
    arm: String,
    currency: Currency,
    /// Money received.
    collected: i64,
    /// Principal that fell due in the period (the covariate: bills and their due dates do
    /// not depend on the strategy).
    fallen_due: i64,
    /// Contacts written to the outbox.
    contacts: u64,
}

/// A difference of two means with its 95% interval: normal approximation with Welch's
/// standard error, `+- 1.96 * sqrt(s1^2 / n1 + s2^2 / n2)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct MeanDifference {
    /// The first mean minus the second.
    pub(crate) difference: f64,
    /// Lower bound of the 95% interval.
    pub(crate) low: f64,
    /// Upper bound of the 95% interval.
    pub(crate) high: f64,
}

impl MeanDifference {
    /// `None` unless each sample has two values or more.
    pub(crate) fn of(first: &[f64], second: &[f64]) -> Option<MeanDifference> {
        let (mean_1, variance_1) = mean_and_variance(first)?;
        let (mean_2, variance_2) = mean_and_variance(second)?;
        let error = (variance_1 / first.len() as f64 + variance_2 / second.len() as f64).sqrt();
        let difference = mean_1 - mean_2;
        Some(MeanDifference {
            difference,
            low: difference - 1.96 * error,
            high: difference + 1.96 * error,
        })
    }

    /// The mean of paired differences with its 95% interval, `+- 1.96 * s / sqrt(n)`; `None`
    /// for fewer than two pairs.
    pub(crate) fn paired(differences: &[f64]) -> Option<MeanDifference> {
        let (mean, variance) = mean_and_variance(differences)?;
        let error = (variance / differences.len() as f64).sqrt();
        Some(MeanDifference {
            difference: mean,
            low: mean - 1.96 * error,
            high: mean + 1.96 * error,
        })
    }

    /// True if the interval excludes zero.
    pub(crate) fn significant(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// The mean and the sample variance (`n - 1`); `None` for fewer than two values.
fn mean_and_variance(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let variance = values.iter().map(|value| (value - mean).powi(2)).sum::<f64>() / (count - 1.0);
    Some((mean, variance))
}

/// What one arm did per account against another, with 95% intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct ArmDifferences {
    /// The currency of every account compared.
    pub(crate) currency: Currency,
    /// Money collected per account, in minor units, adjusted for what fell due (below).
    pub(crate) collected_minor: MeanDifference,
    /// Money collected per account, in minor units, as it is (a wider interval).
    pub(crate) collected_unadjusted_minor: MeanDifference,
    /// Contacts per account.
    pub(crate) contacts: MeanDifference,
    /// The paired comparison, if the twin run was made: each account's outcome under the
    /// first arm's strategy minus its outcome under the second's, the same debtor with the
    /// same random draws in both runs.
    pub(crate) paired: Option<PairedDifferences>,
}

/// Per account, the first arm's strategy minus the second's on the same accounts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct PairedDifferences {
    /// Accounts compared (every account of both arms).
    pub(crate) accounts: usize,
    /// Money collected per account, in minor units.
    pub(crate) collected_minor: MeanDifference,
    /// Contacts per account.
    pub(crate) contacts: MeanDifference,
}

impl Money {
    /// `first` minus `second` per account: money collected and contacts used. The money is
    /// compared after removing what the principal falling due in the period explains (a
    /// regression adjustment, CUPED: `collected - theta * (due - mean due)`, `theta` the
    /// slope of collected on due over both arms): what falls due does not depend on the arm,
    /// so the adjustment keeps the difference unbiased and narrows its interval. `None` if an arm has fewer than two
    /// accounts or the arms hold more than one currency.
    pub(crate) fn arm_differences(&self, first: &str, second: &str) -> Option<ArmDifferences> {
        let both: Vec<&AccountSample> = self
            .accounts
            .iter()
            .filter(|sample| sample.arm == first || sample.arm == second)
            .collect();
        let currency = both.first()?.currency;
        if both.iter().any(|sample| sample.currency != currency) {
            return None;
        }
        let theta = slope(&both);
        let mean_due =
            both.iter().map(|sample| sample.fallen_due as f64).sum::<f64>() / both.len() as f64;
        let arm = |name: &str, value: &dyn Fn(&AccountSample) -> f64| -> Vec<f64> {
            both.iter().filter(|sample| sample.arm == name).map(|sample| value(sample)).collect()
        };
        let adjusted = |sample: &AccountSample| {
            sample.collected as f64 - theta * (sample.fallen_due as f64 - mean_due)
        };
        let collected = |sample: &AccountSample| sample.collected as f64;
        let contacts = |sample: &AccountSample| sample.contacts as f64;
        Some(ArmDifferences {
            currency,
            collected_minor: MeanDifference::of(&arm(first, &adjusted), &arm(second, &adjusted))?,
            collected_unadjusted_minor: MeanDifference::of(
                &arm(first, &collected),
                &arm(second, &collected),
            )?,
            contacts: MeanDifference::of(&arm(first, &contacts), &arm(second, &contacts))?,
            paired: self.paired(first, second),
        })
    }

    /// Records the twin run's per-account figures ([`samples`] of its store).
    pub(crate) fn set_twin(&mut self, twin: Vec<AccountSample>) {
        self.twin = twin;
    }

    /// The paired differences, from the run and its twin (see [`ArmDifferences::paired`]).
    fn paired(&self, first: &str, second: &str) -> Option<PairedDifferences> {
        let twins: BTreeMap<AccountId, &AccountSample> =
            self.twin.iter().map(|sample| (sample.account, sample)).collect();
        let mut collected = Vec::new();
        let mut contacts = Vec::new();
        for own in &self.accounts {
            let Some(twin) = twins.get(&own.account) else { continue };
            let (under_first, under_second) = match own.arm.as_str() {
                arm if arm == first => (own, *twin),
                arm if arm == second => (*twin, own),
                _ => continue,
            };
            collected.push((under_first.collected - under_second.collected) as f64);
            contacts.push(under_first.contacts as f64 - under_second.contacts as f64);
        }
        Some(PairedDifferences {
            accounts: collected.len(),
            collected_minor: MeanDifference::paired(&collected)?,
            contacts: MeanDifference::paired(&contacts)?,
        })
    }
}

/// Each account's money collected and contacts in `[from, to]` (what the twin run gives the
/// paired comparison): two views per account instead of [`gather`]'s dozen.
pub(crate) fn samples(
    books: &Arrears,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AccountSample>> {
    let dates = [from.pred_opt().unwrap_or(from), to];
    let mut samples = Vec::new();
    let mut index_of = BTreeMap::new();
    for id in books.account_ids()? {
        let Some(account) = books.account(id)?.filter(|account| account.opened_on <= to) else {
            continue;
        };
        let at = snapshots(books, &account, &dates)?;
        index_of.insert(id, samples.len());
        samples.push(AccountSample {
            account: id,
            arm: books.case(id).map(|case| case.arm).unwrap_or_default(),
            currency: account.currency,
            collected: at[1].cash - at[0].cash,
            fallen_due: at[1].fallen_due - at[0].fallen_due,
            contacts: 0,
        });
    }
    for action in books.actions()? {
        if action.created_for < from || action.created_for > to {
            continue;
        }
        if let Some(index) = action.accounts.first().and_then(|id| index_of.get(id)) {
            samples[*index].contacts += 1;
        }
    }
    Ok(samples)
}

/// The least-squares slope of collected on what fell due (0 if nothing did).
fn slope(samples: &[&AccountSample]) -> f64 {
    let count = samples.len() as f64;
    let mean_x = samples.iter().map(|sample| sample.fallen_due as f64).sum::<f64>() / count;
    let mean_y = samples.iter().map(|sample| sample.collected as f64).sum::<f64>() / count;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for sample in samples {
        let x = sample.fallen_due as f64 - mean_x;
        covariance += x * (sample.collected as f64 - mean_y);
        variance += x * x;
    }
    if variance > 0.0 {
        covariance / variance
    } else {
        0.0
    }
}

/// The day before `from`, each month end in `[from, to)`, and `to`.
fn points(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut points = vec![from.pred_opt().unwrap_or(from)];
    for day in from.iter_days().take_while(|day| *day < to) {
        if day.succ_opt().is_some_and(|next| next.month() != day.month()) {
            points.push(day);
        }
    }
    points.push(to);
    points
}

/// One account at the end of each of `dates` (zero before it was opened, without asking).
fn snapshots(books: &Arrears, account: &Account, dates: &[NaiveDate]) -> Result<Vec<Snapshot>> {
    let mut out = Vec::with_capacity(dates.len());
    for date in dates {
        if *date < account.opened_on {
            out.push(Snapshot::default());
            continue;
        }
        let view = books.account_view(account.id, *date)?;
        let charged = view.charged_off_on.is_some_and(|on| on <= *date);
        out.push(Snapshot {
            state: if charged { CHARGED_OFF } else { view.aging.bucket.index() },
            outstanding: view.total_outstanding_minor,
            cash: view.books_minor.get(&Book::Cash).copied().unwrap_or(0),
            bad_debt: view.books_minor.get(&Book::BadDebt).copied().unwrap_or(0),
            fallen_due: view
                .obligations
                .iter()
                .filter(|obligation| obligation.obligation.due_on <= *date)
                .map(|obligation| obligation.obligation.original_minor[0])
                .sum(),
        });
    }
    Ok(out)
}

/// Adds one account's snapshots (at `points`, then at `roll_dates`) to its currency.
fn add_account(figures: &mut CurrencyMoney, at_points: &[Snapshot], at_rolls: &[Snapshot]) {
    let months = at_points.len() - 1;
    figures.aging.resize(months, [0; STATES]);
    figures.collected.resize(months, 0);
    figures.charged_off.resize(months, 0);
    for (month, pair) in at_points.windows(2).enumerate() {
        figures.aging[month][pair[1].state] += pair[1].outstanding;
        figures.collected[month] += pair[1].cash - pair[0].cash;
        figures.charged_off[month] += pair[1].bad_debt - pair[0].bad_debt;
    }
    for pair in at_rolls.windows(2) {
        figures.roll_balance[pair[0].state][pair[1].state] += pair[0].outstanding;
    }
}

/// Adds one account to its arm: the money of the period, per currency.
fn add_to_arm(arm: &mut ArmMoney, currency: Currency, at_points: &[Snapshot]) {
    arm.accounts += 1;
    let (first, last) = (at_points[0], at_points[at_points.len() - 1]);
    let money = arm.by_currency.entry(currency).or_insert([0; 3]);
    if (1..CHARGED_OFF).contains(&last.state) {
        money[0] += last.outstanding;
    }
    money[1] += last.cash - first.cash;
    money[2] += last.bad_debt - first.bad_debt;
}

/// Gathers the money of the period `[from, to]`; `roll_dates` are the roll-rate report's dates
/// (month ends), so that the matrix by balance pairs the same dates as the one by count.
pub(crate) fn gather(
    books: &Arrears,
    from: NaiveDate,
    to: NaiveDate,
    roll_dates: &[NaiveDate],
) -> Result<Money> {
    let points = points(from, to);
    let months =
        points[1..].iter().map(|day| format!("{}-{:02}", day.year(), day.month())).collect();
    let mut money = Money { points: points.clone(), months, ..Money::default() };
    let mut arm_of = BTreeMap::new();
    for id in books.account_ids()? {
        let account = books.account(id)?;
        let Some(account) = account.filter(|account| account.opened_on <= to) else { continue };
        let at_points = snapshots(books, &account, &points)?;
        let at_rolls = snapshots(books, &account, roll_dates)?;
        let figures = money.currencies.entry(account.currency).or_default();
        add_account(figures, &at_points, &at_rolls);
        let arm = books.case(id).map(|case| case.arm).unwrap_or_default();
        add_to_arm(money.arms.entry(arm.clone()).or_default(), account.currency, &at_points);
        let (first, last) = (at_points[0], at_points[at_points.len() - 1]);
        arm_of.insert(id, money.accounts.len());
        money.accounts.push(AccountSample {
            account: id,
            arm,
            currency: account.currency,
            collected: last.cash - first.cash,
            fallen_due: last.fallen_due - first.fallen_due,
            contacts: 0,
        });
    }
    for action in books.actions()? {
        if action.created_for < from || action.created_for > to {
            continue;
        }
        let sample = action.accounts.first().and_then(|id| arm_of.get(id)).copied();
        let arm = match sample {
            Some(index) => {
                money.accounts[index].contacts += 1;
                money.accounts[index].arm.clone()
            }
            None => String::new(),
        };
        let arm = money.arms.entry(arm).or_default();
        *arm.contacts.entry(action.channel.name().to_owned()).or_insert(0) += 1;
    }
    Ok(money)
}

/// Row-normalised rates of a matrix of amounts (a row with nothing in it stays at zero).
pub(crate) fn rates(matrix: &[[i64; STATES]; STATES]) -> Vec<Vec<f64>> {
    matrix
        .iter()
        .map(|row| {
            let total: i64 = row.iter().sum();
            row.iter()
                .map(|cell| if total > 0 { *cell as f64 / total as f64 } else { 0.0 })
                .collect()
        })
        .collect()
}

/// [`STATE_LABELS`] as owned strings, for the charts.
pub(crate) fn state_labels() -> Vec<String> {
    STATE_LABELS.iter().map(|label| (*label).to_owned()).collect()
}

#[cfg(test)]
mod tests;
