//! The daily cycle and the outbox.
//!
//! `run_cycle(as_of)` takes the accounts whose next review is due from the review index,
//! groups them by debtor, and reviews them in batches, each batch one write transaction:
//! time-driven transitions (promise kept or broken, plan installment missed or plan
//! defaulted, settlement expired, charge-off at the policy's days past due), scoring, stage
//! selection, stage actions (late fees, credit hold, placement, legal), the review transition,
//! contact proposals from the arm's strategy (one request per debtor, covering all the
//! debtor's accounts), the proposals the engine accepts into the outbox with deterministic
//! ids, and the next review date.
//!
//! A reviewed account's next review is always after `as_of`, and an action's id depends only
//! on the date, the debtor and the contact, so a cycle killed between batches and run again
//! for the same date continues where it stopped and writes nothing twice.

mod invoice;
mod message;
mod pipeline;
mod review;

pub(crate) use crate::lifecycle::{features, signals};

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use arrears_core::ids::{AccountId, DebtorId};
use arrears_store::{Reads, Store};

use crate::clock::Clock;
use crate::context::{Components, PolicyCache};
use crate::error::CycleError;

/// How the cycle batches its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleOptions {
    /// Accounts per write transaction (whole debtors are never split across batches).
    pub batch_accounts_max: usize,
    /// Stop after this many batches (to resume later, or to test a cycle killed half-way).
    pub batches_max: Option<usize>,
    /// Report what the cycle would do without writing anything: each batch runs in its write
    /// transaction, which is then dropped uncommitted. Batches cover disjoint accounts and
    /// whole debtors, so each reviews what it would after the batches before it committed,
    /// and the report is the one a real run for the same date would give next.
    pub dry_run: bool,
}

impl Default for CycleOptions {
    fn default() -> CycleOptions {
        CycleOptions { batch_accounts_max: 1_500, batches_max: None, dry_run: false }
    }
}

/// What a cycle did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    /// Batches committed (in a dry run: run and dropped).
    pub batches: u64,
    /// Accounts reviewed.
    pub reviewed: u64,
    /// State transitions.
    pub transitions: u64,
    /// Late fees assessed.
    pub fees_assessed: u64,
    /// Accounts charged off.
    pub charged_off: u64,
    /// Actions written to the outbox.
    pub actions: u64,
    /// Proposals the engine refused as malformed (not the request's debtor or accounts, a step
    /// nobody asked for, an address that is not the debtor's or not usable, a time outside the
    /// review's day).
    pub proposals_refused: u64,
    /// Proposals the compliance guardrails blocked, by rule id (recorded in the audit log).
    pub blocked: BTreeMap<String, u64>,
    /// Legal referrals the stage's policy made due that the compliance guardrails blocked (a
    /// referral is a suit: Spain's `es.forbearance-before-enforcement` until forbearance was
    /// assessed), by rule id: each case stayed where it was, and each block is recorded in the
    /// audit log (`ActionBlocked`). The next review asks again.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub referrals_blocked: BTreeMap<String, u64>,
    /// Proposals the guardrails moved to the next instant they allow.
    pub rescheduled: u64,
    /// Proposals deferred because an earlier action on the same channel for the same
    /// accounts is still pending (its outcome, perhaps a conversation that starts a cool-down,
    /// is not known yet).
    pub deferred: u64,
    /// Scorers and strategies that failed (an error, or outputs the engine refused), by arm
    /// and component. A failed scorer leaves its accounts unscored (stages that need a score
    /// band do not match) and a failed strategy leaves its debtors uncontacted that day,
    /// unless the arm names a `scorer_fallback` or `strategy_fallback`, which then takes over
    /// (its own failures are counted under the component `scorer_fallback` or
    /// `strategy_fallback`). Each failure is also an audit record (`ComponentFailed`).
    pub component_failures: Vec<ComponentFailures>,
    /// True if and only if every due account was reviewed.
    pub complete: bool,
    /// The credit reviews the cycle ran after its accounts, when the policy has credit rules
    /// and the cycle completed (`Command::ReviewCredit` under the key `credit-review:DATE`, so
    /// a day is reviewed once whether by the cycle or by hand; docs/CREDIT.md).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credit_reviews: Vec<crate::command::ReviewDone>,
    /// The signals the detectors raised or cleared before those reviews
    /// (`Command::DetectSignals` under the key `detect-signals:DATE`; docs/CREDIT.md,
    /// "Detectors").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signals_detected: Vec<crate::command::SignalChanged>,
}

/// Failures of one arm's scorer or strategy during a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentFailures {
    /// The policy arm.
    pub arm: String,
    /// `scorer` or `strategy`.
    pub component: &'static str,
    /// The component's registered name.
    pub name: String,
    /// Calls that failed.
    pub calls: u64,
    /// Accounts those calls covered (left unscored, or not contacted).
    pub accounts: u64,
    /// What the last failure said.
    pub last_error: String,
    /// The arm's fallback that took over (`scorer_fallback`, `strategy_fallback`), if the
    /// policy names one.
    pub fallback: Option<String>,
}

impl CycleReport {
    /// Counts a failed call of `arm`'s `component` over `accounts` accounts, and the
    /// fallback that took over, if any.
    pub(crate) fn component_failed(
        &mut self,
        arm: &str,
        component: &'static str,
        name: &str,
        accounts: u64,
        error: String,
        fallback: Option<&str>,
    ) {
        // Kept sorted by (arm, component, name).
        let found = self.component_failures.binary_search_by(|failures| {
            (failures.arm.as_str(), failures.component, failures.name.as_str())
                .cmp(&(arm, component, name))
        });
        let index = found.unwrap_or_else(|index| {
            let failures = ComponentFailures {
                arm: arm.to_owned(),
                component,
                name: name.to_owned(),
                calls: 0,
                accounts: 0,
                last_error: String::new(),
                fallback: None,
            };
            self.component_failures.insert(index, failures);
            index
        });
        let failures = &mut self.component_failures[index];
        failures.calls += 1;
        failures.accounts += accounts;
        failures.last_error = error;
        if let Some(fallback) = fallback {
            failures.fallback = Some(fallback.to_owned());
        }
    }
}

/// What the cycle takes from the engine.
pub(crate) struct Parts<'e> {
    pub(crate) store: &'e Store,
    pub(crate) clock: &'e dyn Clock,
    pub(crate) policies: &'e PolicyCache,
    pub(crate) components: &'e Components,
}

/// Runs the cycle for `as_of`: the due accounts, grouped by debtor, in batches of whole
/// debtors, each batch one write transaction.
pub(crate) fn run(
    engine: &Parts<'_>,
    as_of: NaiveDate,
    options: CycleOptions,
) -> Result<CycleReport, CycleError> {
    if options.batch_accounts_max == 0 {
        return Err(CycleError::Options {
            reason: "batch_accounts_max must be at least 1".to_owned(),
        });
    }
    // The due accounts by debtor (in review-index order within a debtor), flat: 16 bytes an
    // account, which a million accounts due at once can afford.
    let due = {
        let read = engine.store.read()?;
        let accounts = read.due_for_review(as_of, usize::MAX)?;
        let debtors = pipeline::debtors_of(engine, &read, &accounts)?;
        let mut due: Vec<(DebtorId, AccountId)> = debtors.into_iter().zip(accounts).collect();
        due.sort_by_key(|&(debtor, _)| debtor);
        due
    };
    let mut report = CycleReport::default();
    let (mut start, mut end) = (0, 0);
    for debtor in due.chunk_by(|a, b| a.0 == b.0) {
        end += debtor.len();
        if end - start >= options.batch_accounts_max || end == due.len() {
            if options.batches_max.is_some_and(|max| report.batches as usize >= max) {
                return Ok(report);
            }
            pipeline::run_batch(engine, as_of, &due[start..end], options.dry_run, &mut report)?;
            report.batches += 1;
            start = end;
        }
    }
    report.complete = true;
    Ok(report)
}
