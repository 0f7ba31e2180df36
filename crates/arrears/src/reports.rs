//! Portfolio reports computed from the ledger and the audit log: collection KPIs (recovery,
//! cure, promise-kept and right-party-contact rates, contacts blocked by the guardrails), the
//! recovery curve, champion/challenger results, roll rates between month ends and aging over
//! time.
//!
//! Definitions (the same in `arrears report kpis`, `arrears demo` and docs/DEMO.md):
//!
//! - An account *becomes delinquent* when the audit log records its transition from `current`
//!   to `delinquent` with a date in the period; only its first entry in the period counts.
//! - It is *cured* when, after that entry, a transition dated in the period takes it to
//!   `current` or `paid`. The *cure rate* is cured / became delinquent.
//! - The *amount delinquent at entry* is what was past due on the entry date (the ledger
//!   replayed as of that date). The *cash recovered* is the sum of the account's payments
//!   effective from the entry date to the end of the period, reversed payments excluded,
//!   capped at the amount delinquent at entry. The *recovery rate* is cash recovered /
//!   amount delinquent at entry, per currency; over several currencies, the per-currency
//!   rates weighted by their number of entries.
//! - The *promise-kept rate* is `promise_kept` / (`promise_kept` + `promise_broken`)
//!   transitions dated in the period.
//! - The *right-party-contact rate* is outbound contacts in the debtors' contact history whose
//!   outcome is a conversation (`ContactOutcome::is_right_party`) / outbound contacts, both
//!   in the period.
//! - Roll rates: for each pair of consecutive month ends, each account open at the first is
//!   counted in the cell (its bucket at the first, its bucket at the second); charged-off
//!   accounts are the last row and column.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use arrears_core::aging::age;
use arrears_core::case::{AuditKind, CollectionCase};
use arrears_core::ids::AccountId;
use arrears_core::ledger::{replay, Event, EventKind};
use arrears_core::money::Currency;
use arrears_store::ReadTxn;
use arrears_store::Reads;

use crate::error::QueryError;

/// The labels of the roll-rate and aging-series states: the aging buckets, then
/// `charged_off`.
pub const STATE_LABELS: [&str; 8] =
    ["current", "1-30", "31-60", "61-90", "91-120", "121-180", "181+", "charged_off"];

/// Index of the charged-off state in [`STATE_LABELS`].
pub const CHARGED_OFF: usize = 7;

/// Collection KPIs over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period (inclusive).
    pub to: NaiveDate,
    /// Accounts opened on or before `to`.
    pub accounts: u64,
    /// Accounts that became delinquent in the period.
    pub became_delinquent: u64,
    /// Of those, accounts cured in the period.
    pub cured: u64,
    /// cured / became delinquent (`None` when nobody became delinquent).
    pub cure_rate: Option<f64>,
    /// Recovery by currency.
    pub recovery: Vec<CurrencyRecovery>,
    /// Recovery rate over every currency (see the module documentation).
    pub recovery_rate: Option<f64>,
    /// Promises kept in the period.
    pub promises_kept: u64,
    /// Promises broken in the period.
    pub promises_broken: u64,
    /// kept / (kept + broken).
    pub promise_kept_rate: Option<f64>,
    /// Outbound contacts made in the period (acknowledged actions and reported contacts).
    pub contacts: u64,
    /// Of those, conversations with the right party.
    pub right_party_contacts: u64,
    /// right-party contacts / contacts.
    pub right_party_contact_rate: Option<f64>,
    /// Contacts the compliance guardrails blocked in the period, by rule id (from the audit
    /// log's `contact_blocked` records).
    pub contacts_blocked: BTreeMap<String, u64>,
    /// The same figures per champion/challenger arm, by arm name.
    pub by_arm: Vec<ArmKpis>,
    /// Cumulative recovery rate by days since the delinquency entry, from day 0 to the length
    /// of the period.
    pub recovery_curve: Vec<f64>,
}

/// Recovery in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencyRecovery {
    /// The currency.
    pub currency: Currency,
    /// Delinquency entries in this currency.
    pub entries: u64,
    /// Amount delinquent at entry, minor units.
    pub delinquent_minor: i64,
    /// Cash recovered (capped per account at its amount delinquent at entry), minor units.
    pub recovered_minor: i64,
    /// recovered / delinquent.
    pub rate: Option<f64>,
}

/// KPIs of one champion/challenger arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmKpis {
    /// The arm's name.
    pub arm: String,
    /// Accounts in the arm opened on or before the end of the period.
    pub accounts: u64,
    /// Accounts that became delinquent in the period.
    pub became_delinquent: u64,
    /// Of those, accounts cured in the period.
    pub cured: u64,
    /// cured / became delinquent.
    pub cure_rate: Option<f64>,
    /// Recovery rate of the arm (as [`Kpis::recovery_rate`]).
    pub recovery_rate: Option<f64>,
    /// Promises kept.
    pub promises_kept: u64,
    /// Promises broken.
    pub promises_broken: u64,
}

/// A difference of two rates with a 95% confidence interval (normal approximation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateDifference {
    /// The first rate minus the second.
    pub difference: f64,
    /// Lower bound of the 95% interval.
    pub low: f64,
    /// Upper bound of the 95% interval.
    pub high: f64,
}

impl RateDifference {
    /// `p1 - p2` for `k1` successes in `n1` trials and `k2` in `n2`, with the Wald interval
    /// `+- 1.96 * sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)`. `None` if a sample is empty.
    pub fn of(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<RateDifference> {
        if n1 == 0 || n2 == 0 {
            return None;
        }
        let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
        let error = (p1 * (1.0 - p1) / n1 as f64 + p2 * (1.0 - p2) / n2 as f64).sqrt();
        let difference = p1 - p2;
        Some(RateDifference {
            difference,
            low: difference - 1.96 * error,
            high: difference + 1.96 * error,
        })
    }
}

impl Kpis {
    /// The KPIs of an arm, by name.
    pub fn arm(&self, name: &str) -> Option<&ArmKpis> {
        self.by_arm.iter().find(|arm| arm.arm == name)
    }

    /// Cure rate of arm `a` minus that of arm `b`, with its 95% confidence interval.
    pub fn cure_rate_difference(&self, a: &str, b: &str) -> Option<RateDifference> {
        let (a, b) = (self.arm(a)?, self.arm(b)?);
        RateDifference::of(a.cured, a.became_delinquent, b.cured, b.became_delinquent)
    }
}

/// Transitions between states from one month end to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollRates {
    /// The month ends, ascending.
    pub month_ends: Vec<NaiveDate>,
    /// Row and column labels: [`STATE_LABELS`].
    pub states: Vec<String>,
    /// `counts[from][to]`: account-months that went from one state to the other, summed over
    /// every pair of consecutive month ends.
    pub counts: Vec<Vec<u64>>,
    /// `counts` normalized by row (0 for an empty row).
    pub rates: Vec<Vec<f64>>,
}

/// Accounts and amounts by state on one date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgingPoint {
    /// The date.
    pub as_of: NaiveDate,
    /// Accounts opened by then, by state ([`STATE_LABELS`]).
    pub accounts: [u64; 8],
}

/// The last day of every month from the month of `from` to the month of `to`, that is on or
/// before `to`, preceded by `from` itself when `from` is not a month end. Dates for
/// [`RollRates`].
pub fn month_ends(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut ends = Vec::new();
    let mut day = from;
    while day <= to {
        let next = day.succ_opt().unwrap_or(day);
        if next.month() != day.month() || day == from {
            ends.push(day);
        }
        if next == day {
            break;
        }
        day = next;
    }
    ends
}

struct AccountData {
    account: arrears_core::model::Account,
    events: Vec<Event>,
    arm: String,
}

fn load(read: &ReadTxn) -> Result<Vec<AccountData>, QueryError> {
    let cases: BTreeMap<AccountId, CollectionCase> =
        read.all_cases()?.into_iter().map(|case| (case.account, case)).collect();
    let mut accounts = Vec::new();
    for account in read.all_accounts()? {
        let events = read.events(account.id)?.into_iter().map(|record| record.event).collect();
        let arm = cases.get(&account.id).map(|case| case.arm.clone()).unwrap_or_default();
        accounts.push(AccountData { account, events, arm });
    }
    Ok(accounts)
}

fn state_index(events: &[Event], account: &arrears_core::model::Account, on: NaiveDate) -> usize {
    let state = replay(account, events, Some(on)).state;
    if state.charged_off_on.is_some_and(|charged| charged <= on) {
        CHARGED_OFF
    } else {
        age(&state, on).bucket.index()
    }
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

#[derive(Default)]
struct Tally {
    accounts: u64,
    entries: u64,
    cured: u64,
    kept: u64,
    broken: u64,
    /// By currency: entries, delinquent, recovered by day since entry.
    recovery: BTreeMap<Currency, (u64, i64, Vec<i64>)>,
}

impl Tally {
    fn recovery_rate(&self) -> Option<f64> {
        let total: u64 = self.recovery.values().map(|(entries, ..)| entries).sum();
        let mut rate = 0.0;
        for (entries, delinquent, recovered) in self.recovery.values() {
            if *delinquent > 0 {
                let cash: i64 = recovered.iter().sum();
                rate += (*entries as f64 / total as f64) * (cash as f64 / *delinquent as f64);
            }
        }
        (total > 0).then_some(rate)
    }
}

pub(crate) fn kpis(read: &ReadTxn, from: NaiveDate, to: NaiveDate) -> Result<Kpis, QueryError> {
    let horizon = usize::try_from((to - from).num_days().max(0)).unwrap_or(0);
    let in_period = |on: NaiveDate| from <= on && on <= to;
    let mut by_account: BTreeMap<AccountId, Vec<(String, String, String, NaiveDate)>> =
        BTreeMap::new();
    let mut contacts_blocked = BTreeMap::new();
    for entry in read.audit_log()? {
        match entry.record.kind {
            AuditKind::Transition { event, from: before, to: after, on } if in_period(on) => {
                if let Some(account) = entry.record.account {
                    by_account.entry(account).or_default().push((event, before, after, on));
                }
            }
            AuditKind::ContactBlocked { rule, .. }
                if in_period(entry.record.recorded_at.date_naive()) =>
            {
                *contacts_blocked.entry(rule).or_insert(0) += 1;
            }
            _ => {}
        }
    }
    let mut total = Tally::default();
    let mut arms: BTreeMap<String, Tally> = BTreeMap::new();
    for data in load(read)? {
        if data.account.opened_on > to {
            continue;
        }
        let arm = arms.entry(data.arm.clone()).or_default();
        total.accounts += 1;
        arm.accounts += 1;
        let transitions = by_account.get(&data.account.id).map(Vec::as_slice).unwrap_or(&[]);
        for (event, ..) in transitions {
            match event.as_str() {
                "promise_kept" => {
                    total.kept += 1;
                    arm.kept += 1;
                }
                "promise_broken" => {
                    total.broken += 1;
                    arm.broken += 1;
                }
                _ => {}
            }
        }
        let Some(entry) = transitions
            .iter()
            .position(|(_, before, after, _)| before == "current" && after == "delinquent")
        else {
            continue;
        };
        let entered_on = transitions[entry].3;
        let cured = transitions[entry + 1..]
            .iter()
            .any(|(_, _, after, _)| after == "current" || after == "paid");
        total.entries += 1;
        arm.entries += 1;
        if cured {
            total.cured += 1;
            arm.cured += 1;
        }
        let delinquent =
            replay(&data.account, &data.events, Some(entered_on)).state.past_due_minor(entered_on);
        let reversed: Vec<_> = data
            .events
            .iter()
            .filter_map(|event| match event.kind {
                EventKind::Reversal { payment, .. } if event.effective_on <= to => Some(payment),
                _ => None,
            })
            .collect();
        let mut by_day = vec![0i64; horizon + 1];
        let mut payments: Vec<(NaiveDate, i64)> = data
            .events
            .iter()
            .filter_map(|event| match event.kind {
                EventKind::Payment { amount_minor, .. }
                    if event.effective_on >= entered_on
                        && event.effective_on <= to
                        && !reversed.contains(&event.seq) =>
                {
                    Some((event.effective_on, amount_minor))
                }
                _ => None,
            })
            .collect();
        payments.sort();
        let mut left = delinquent.max(0);
        for (on, amount) in payments {
            let counted = amount.min(left);
            left -= counted;
            let day = usize::try_from((on - entered_on).num_days()).unwrap_or(0).min(horizon);
            by_day[day] += counted;
        }
        for tally in [&mut total, &mut *arm] {
            let slot = tally
                .recovery
                .entry(data.account.currency)
                .or_insert_with(|| (0, 0, vec![0; horizon + 1]));
            slot.0 += 1;
            slot.1 += delinquent.max(0);
            for (day, cash) in by_day.iter().enumerate() {
                slot.2[day] += cash;
            }
        }
    }
    let mut contacts = 0;
    let mut right_party = 0;
    for debtor in read.all_debtors()? {
        for attempt in read.contacts(debtor.id)? {
            if attempt.inbound || !in_period(attempt.at.date_naive()) {
                continue;
            }
            contacts += 1;
            if attempt.outcome.is_right_party() {
                right_party += 1;
            }
        }
    }
    let total_entries: u64 = total.recovery.values().map(|(entries, ..)| entries).sum();
    let mut recovery_curve = vec![0.0; horizon + 1];
    for (entries, delinquent, recovered) in total.recovery.values() {
        if *delinquent == 0 {
            continue;
        }
        let weight = *entries as f64 / total_entries as f64;
        let mut cumulative = 0;
        for (day, cash) in recovered.iter().enumerate() {
            cumulative += cash;
            recovery_curve[day] += weight * cumulative as f64 / *delinquent as f64;
        }
    }
    let recovery = total
        .recovery
        .iter()
        .map(|(currency, (entries, delinquent, recovered))| {
            let recovered: i64 = recovered.iter().sum();
            CurrencyRecovery {
                currency: *currency,
                entries: *entries,
                delinquent_minor: *delinquent,
                recovered_minor: recovered,
                rate: (*delinquent > 0).then(|| recovered as f64 / *delinquent as f64),
            }
        })
        .collect();
    let by_arm = arms
        .iter()
        .map(|(name, tally)| ArmKpis {
            arm: name.clone(),
            accounts: tally.accounts,
            became_delinquent: tally.entries,
            cured: tally.cured,
            cure_rate: ratio(tally.cured, tally.entries),
            recovery_rate: tally.recovery_rate(),
            promises_kept: tally.kept,
            promises_broken: tally.broken,
        })
        .collect();
    Ok(Kpis {
        from,
        to,
        accounts: total.accounts,
        became_delinquent: total.entries,
        cured: total.cured,
        cure_rate: ratio(total.cured, total.entries),
        recovery_rate: total.recovery_rate(),
        recovery,
        promises_kept: total.kept,
        promises_broken: total.broken,
        promise_kept_rate: ratio(total.kept, total.kept + total.broken),
        contacts,
        right_party_contacts: right_party,
        right_party_contact_rate: ratio(right_party, contacts),
        contacts_blocked,
        by_arm,
        recovery_curve,
    })
}

pub(crate) fn roll_rates(
    read: &ReadTxn,
    month_ends: &[NaiveDate],
) -> Result<RollRates, QueryError> {
    let mut ends = month_ends.to_vec();
    ends.sort();
    ends.dedup();
    let mut counts = vec![vec![0u64; STATE_LABELS.len()]; STATE_LABELS.len()];
    for data in load(read)? {
        let states: Vec<Option<usize>> = ends
            .iter()
            .map(|&on| {
                (data.account.opened_on <= on).then(|| state_index(&data.events, &data.account, on))
            })
            .collect();
        for pair in states.windows(2) {
            if let [Some(before), Some(after)] = pair {
                counts[*before][*after] += 1;
            }
        }
    }
    let rates = counts
        .iter()
        .map(|row| {
            let sum: u64 = row.iter().sum();
            row.iter().map(|count| ratio(*count, sum).unwrap_or(0.0)).collect()
        })
        .collect();
    Ok(RollRates {
        month_ends: ends,
        states: STATE_LABELS.iter().map(|label| (*label).to_owned()).collect(),
        counts,
        rates,
    })
}

pub(crate) fn aging_series(
    read: &ReadTxn,
    dates: &[NaiveDate],
) -> Result<Vec<AgingPoint>, QueryError> {
    let mut points: Vec<AgingPoint> =
        dates.iter().map(|&as_of| AgingPoint { as_of, accounts: [0; 8] }).collect();
    for data in load(read)? {
        for point in &mut points {
            if data.account.opened_on <= point.as_of {
                point.accounts[state_index(&data.events, &data.account, point.as_of)] += 1;
            }
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ends_start_with_the_first_day_and_follow_months() {
        let on = |text: &str| text.parse::<NaiveDate>().unwrap();
        assert_eq!(
            month_ends(on("2026-01-15"), on("2026-03-31")),
            vec![on("2026-01-15"), on("2026-01-31"), on("2026-02-28"), on("2026-03-31")]
        );
    }

    #[test]
    fn rate_difference_is_centred_with_a_symmetric_interval() {
        let difference = RateDifference::of(50, 100, 40, 100).unwrap();
        assert!((difference.difference - 0.1).abs() < 1e-12);
        let half = (0.25f64 / 100.0 + 0.24 / 100.0).sqrt() * 1.96;
        assert!((difference.high - 0.1 - half).abs() < 1e-12);
        assert!(RateDifference::of(1, 0, 1, 1).is_none());
    }
}

/// What one agent (or one team) did over a period, from the work log (issue 14 point 6).
///
/// - *Items worked*: distinct accounts the agent recorded an outcome on in the period.
/// - *Outcomes*: outcomes recorded in the period, by code (`promise`, `refusal`...).
/// - *Promises*: outcomes `promise` in the period; *promised*: their amounts, per currency.
/// - *Collected*: for each promise, the payments on its account effective from the promise's
///   day to the end of the period, reversed payments excluded, capped at the amount promised;
///   per currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Productivity {
    /// The agent's id, or the team's name.
    pub name: String,
    /// Distinct accounts worked.
    pub items_worked: u64,
    /// Outcomes recorded, by code name.
    pub outcomes: BTreeMap<String, u64>,
    /// Promises recorded.
    pub promises: u64,
    /// Amounts promised, in minor units, per currency.
    pub promised_minor: BTreeMap<Currency, i64>,
    /// Amounts collected against those promises, in minor units, per currency.
    pub collected_minor: BTreeMap<Currency, i64>,
}

/// Productivity per agent and per team over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductivityReport {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period (inclusive).
    pub to: NaiveDate,
    /// Per agent, by id.
    pub agents: Vec<Productivity>,
    /// Per team (the team an item belonged to when it was worked), by name.
    pub teams: Vec<Productivity>,
}

pub(crate) fn productivity(
    read: &ReadTxn,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ProductivityReport, QueryError> {
    let mut agents: BTreeMap<String, (Productivity, BTreeMap<AccountId, ()>)> = BTreeMap::new();
    let mut teams: BTreeMap<String, (Productivity, BTreeMap<AccountId, ()>)> = BTreeMap::new();
    for entry in read.work_log()? {
        let on = entry.at.date_naive();
        if on < from || to < on {
            continue;
        }
        let Some(account) = read.account(entry.account)? else { continue };
        let collected_minor = if entry.code == arrears_core::work::WorkOutcomeCode::Promise {
            let state = read.account_state(&account, Some(to))?;
            let paid: i64 = crate::lifecycle::received(&state)
                .filter(|(paid_on, _)| on <= *paid_on && *paid_on <= to)
                .map(|(_, amount)| amount)
                .sum();
            paid.min(entry.promised_minor)
        } else {
            0
        };
        let mut rows = vec![agents.entry(entry.agent.clone()).or_default()];
        if let Some(team) = &entry.team {
            rows.push(teams.entry(team.clone()).or_default());
        }
        for (row, worked) in rows {
            worked.insert(entry.account, ());
            *row.outcomes.entry(entry.code.name().to_owned()).or_default() += 1;
            if entry.code == arrears_core::work::WorkOutcomeCode::Promise {
                row.promises += 1;
                *row.promised_minor.entry(account.currency).or_default() += entry.promised_minor;
                *row.collected_minor.entry(account.currency).or_default() += collected_minor;
            }
        }
    }
    let finish = |rows: BTreeMap<String, (Productivity, BTreeMap<AccountId, ()>)>| {
        rows.into_iter()
            .map(|(name, (row, worked))| Productivity {
                name,
                items_worked: worked.len() as u64,
                ..row
            })
            .collect()
    };
    Ok(ProductivityReport { from, to, agents: finish(agents), teams: finish(teams) })
}

/// The experience budget of one segment, used against allowed over the 7 days to a date
/// (issue 19 point 4; docs/MESSAGES.md, "Experience budget").
///
/// A debtor's segment is found as the cycle finds it: from its account with the most days past
/// due on the date, by product, latest score band and months on book. *Used* counts the
/// debtor's outbound contacts in the 7 days ending on the date (acknowledged contacts, and
/// pending or sent actions scheduled in them), as the guardrails count them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SegmentUsage {
    /// The segment's name (`default` for debtors in no segment under the default budget).
    pub segment: String,
    /// Contacts a debtor of the segment may get in 7 days.
    pub allowed_per_debtor: u32,
    /// Debtors in the segment.
    pub debtors: u64,
    /// Contacts allowed to them all: debtors times the budget.
    pub contacts_allowed: u64,
    /// Contacts they got.
    pub contacts_used: u64,
    /// Debtors who got as many contacts as the budget allows.
    pub debtors_at_budget: u64,
    /// Debtors who got more (contacts made before the budget was set, or by hand).
    pub debtors_over_budget: u64,
}

/// The experience budget used against allowed, per segment, for the 7 days ending on `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExperienceReport {
    /// The last day of the 7 (inclusive).
    pub to: NaiveDate,
    /// Per segment, in the policy's order, then `default`; empty without a budget.
    pub segments: Vec<SegmentUsage>,
    /// Debtors with no budget (no segment matches and no default budget).
    pub debtors_without_budget: u64,
}

pub(crate) fn experience(
    read: &ReadTxn,
    policy: &arrears_core::policy::Policy,
    to: NaiveDate,
) -> Result<ExperienceReport, QueryError> {
    let budget = &policy.messages().experience;
    let mut segments: Vec<SegmentUsage> = budget
        .segments
        .iter()
        .map(|segment| SegmentUsage {
            segment: segment.name.clone(),
            allowed_per_debtor: segment.contacts_per_week,
            ..SegmentUsage::default()
        })
        .chain(budget.contacts_per_week.map(|allowed| SegmentUsage {
            segment: "default".to_owned(),
            allowed_per_debtor: allowed,
            ..SegmentUsage::default()
        }))
        .collect();
    let mut debtors_without_budget = 0;
    let start = to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::days(6);
    let end = start + chrono::Duration::days(7);
    for debtor in read.all_debtors()? {
        let Some((segment, _)) = segment_of(read, budget, &debtor, to)? else {
            debtors_without_budget += 1;
            continue;
        };
        let contacts = read.contacts(debtor.id)?;
        let actions = read.actions_of(debtor.id)?;
        let used = crate::guardrails::history(&debtor, contacts, actions)
            .iter()
            .filter(|entry| entry.direction == arrears_core::compliance::Direction::Outbound)
            .filter(|entry| start <= entry.at && entry.at < end)
            .count() as u64;
        let Some(row) = segments.iter_mut().find(|row| row.segment == segment) else { continue };
        row.debtors += 1;
        row.contacts_allowed += u64::from(row.allowed_per_debtor);
        row.contacts_used += used;
        row.debtors_at_budget += u64::from(used == u64::from(row.allowed_per_debtor));
        row.debtors_over_budget += u64::from(used > u64::from(row.allowed_per_debtor));
    }
    Ok(ExperienceReport { to, segments, debtors_without_budget })
}

/// The debtor's segment and budget on `on`, from its account with the most days past due.
fn segment_of(
    read: &ReadTxn,
    budget: &arrears_core::message::ExperienceBudget,
    debtor: &arrears_core::model::Debtor,
    on: NaiveDate,
) -> Result<Option<(String, u32)>, QueryError> {
    let mut worst: Option<(i64, arrears_core::model::Account, Option<String>)> = None;
    for id in read.accounts_of(debtor.id)? {
        let Some(account) = read.account(id)? else { continue };
        let days_past_due = read.account_state(&account, Some(on))?.days_past_due(on);
        if worst.as_ref().is_none_or(|(worst_days, _, _)| *worst_days < days_past_due) {
            let band = read.case(id)?.and_then(|case| case.score).map(|score| score.band);
            worst = Some((days_past_due, account, band));
        }
    }
    let Some((_, account, band)) = worst else { return Ok(None) };
    let tenure_months = i64::from(crate::lifecycle::months_between(account.opened_on, on));
    Ok(budget
        .for_debtor(account.product, band.as_deref(), tenure_months)
        .map(|(segment, allowed)| (segment.to_owned(), allowed)))
}

/// An account holding the debtor's money on a date: unapplied cash, a liability to the debtor
/// that leaves only by applying it to what is owed or by a refund (`Command::Refund`).
/// Regulation Z asks a card issuer to refund a credit balance above $1 on written request and,
/// after six months, to try in good faith to refund it (12 CFR 1026.11(a)); unclaimed property
/// laws escheat old balances. [`crate::Arrears::report_credit_balances`] lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditBalanceRow {
    /// The account.
    pub account: AccountId,
    /// Its external reference, if any.
    pub external_ref: Option<String>,
    /// Its debtor.
    pub debtor: arrears_core::ids::DebtorId,
    /// Its currency.
    pub currency: Currency,
    /// The unapplied cash held on the date, in minor units.
    pub unapplied_minor: i64,
    /// The date the oldest money still held was received: the value date of the oldest
    /// payment with cash unapplied.
    pub held_since: NaiveDate,
    /// Days from `held_since` to the date.
    pub days_held: i64,
    /// What the account owes on the date besides (disputed obligations included).
    pub owed_minor: i64,
    /// The account is charged off on the date (a refund waits for the charge-off's reversal).
    pub charged_off: bool,
}

/// The accounts holding unapplied cash on `as_of`, held at least `held_days_min` days, by
/// account id.
pub(crate) fn credit_balances(
    read: &ReadTxn,
    as_of: NaiveDate,
    held_days_min: u32,
) -> Result<Vec<CreditBalanceRow>, QueryError> {
    let mut rows = Vec::new();
    for account in read.all_accounts()? {
        if account.opened_on > as_of {
            continue;
        }
        let state = read.account_state(&account, Some(as_of))?;
        let unapplied_minor = state.unapplied_minor();
        if unapplied_minor <= 0 {
            continue;
        }
        let held_since = (state.unapplied.iter())
            .filter_map(|(source, _)| state.payments.get(source).map(|paid| paid.paid_on))
            .min()
            .unwrap_or(account.opened_on);
        let days_held = (as_of - held_since).num_days();
        if days_held < i64::from(held_days_min) {
            continue;
        }
        rows.push(CreditBalanceRow {
            account: account.id,
            external_ref: account.external_ref.clone(),
            debtor: account.debtor,
            currency: account.currency,
            unapplied_minor,
            held_since,
            days_held,
            owed_minor: state.total_outstanding_minor(),
            charged_off: state.charged_off_on.is_some(),
        });
    }
    Ok(rows)
}
