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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use arrears_core::case::{
    Action, ActionStatus, AuditKind, CollectionCase, ContactAttempt, ContactOutcome,
};
use arrears_core::collection::{CollectionEvent, CollectionState};
use arrears_core::compliance;
use arrears_core::ids::{AccountId, DebtorId, ObligationId};
use arrears_core::ledger::{AccountState, EventKind};
use arrears_core::model::{
    Account, Component, ContactChannel, Debtor, LateFeeRule, ObligationKind,
};
use arrears_core::plan::promise_status;
use arrears_core::policy::Policy;
use arrears_core::strategy::{
    usable, ContactProposal, ContactRequest, ContactStep, ContactStrategy, Features, Score, Scorer,
};
use arrears_store::Reads;

use crate::collections::{self, load_case, received, step, Env};
use crate::command::{Outcome, Rejection};
use crate::error::{CommandError, CycleError, StorageError};
use crate::ledger_write::NewObligation;
use crate::Arrears;

/// How the cycle batches its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleOptions {
    /// Accounts per write transaction (whole debtors are never split across batches).
    pub batch_accounts_max: usize,
    /// Stop after this many batches (to resume later, or to test a cycle killed half-way).
    pub batches_max: Option<usize>,
}

impl Default for CycleOptions {
    fn default() -> CycleOptions {
        CycleOptions { batch_accounts_max: 1_000, batches_max: None }
    }
}

/// What a cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    /// Batches committed.
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
    /// Proposals the guardrails moved to the next instant they allow.
    pub rescheduled: u64,
    /// Proposals deferred because an earlier action on the same channel for the same
    /// accounts is still pending (its outcome, perhaps a conversation that starts a cool-down,
    /// is not known yet).
    pub deferred: u64,
    /// True if and only if every due account was reviewed.
    pub complete: bool,
}

/// Scorers and strategies by name.
pub(crate) struct Components {
    pub(crate) scorers: BTreeMap<String, Arc<dyn Scorer>>,
    pub(crate) strategies: BTreeMap<String, Arc<dyn ContactStrategy>>,
}

impl Default for Components {
    fn default() -> Components {
        let mut scorers: BTreeMap<String, Arc<dyn Scorer>> = BTreeMap::new();
        scorers.insert("rules".to_owned(), Arc::new(arrears_core::strategy::RulesScorer));
        let mut strategies: BTreeMap<String, Arc<dyn ContactStrategy>> = BTreeMap::new();
        for ladder in [
            arrears_core::strategy::ChannelLadder::default(),
            arrears_core::strategy::ChannelLadder::evening(),
        ] {
            strategies.insert(ladder.name.to_owned(), Arc::new(ladder));
        }
        Components { scorers, strategies }
    }
}

pub(crate) fn run(
    engine: &Arrears,
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
        let debtors = debtors_of(engine, &read, &accounts)?;
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
            run_batch(engine, as_of, &due[start..end], &mut report)?;
            report.batches += 1;
            start = end;
        }
    }
    report.complete = true;
    Ok(report)
}

/// Due accounts from which looking their debtors up takes two threads.
const PARALLEL_LOOKUP_MIN: usize = 4_096;

/// The debtor of each account. A long list is halved, the second half looked up on a second
/// thread with its own read transaction (an account's debtor never changes, so any commit
/// gives the same answer).
fn debtors_of(
    engine: &Arrears,
    read: &arrears_store::ReadTxn,
    accounts: &[AccountId],
) -> Result<Vec<DebtorId>, StorageError> {
    if accounts.len() < PARALLEL_LOOKUP_MIN {
        return read.debtors_of(accounts);
    }
    let (first, second) = accounts.split_at(accounts.len() / 2);
    let (mine, theirs) = std::thread::scope(|scope| {
        let other = scope.spawn(|| engine.store.read()?.debtors_of(second));
        let mine = read.debtors_of(first);
        (mine, other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let mut debtors = mine?;
    debtors.extend(theirs?);
    Ok(debtors)
}

/// One account under review within a batch.
struct Review {
    account: Account,
    debtor: Debtor,
    case: CollectionCase,
    features: Features,
    score: Option<Score>,
    steps: Vec<(u32, ContactStep)>,
}

/// An account's records as the batch's transaction first sees them, decoded on the
/// prefetching thread.
struct Fetched {
    account: Account,
    debtor: Debtor,
    case: Option<CollectionCase>,
    snapshot: Option<Arc<AccountState>>,
    /// The debtor's contact attempts (shared by the debtor's accounts).
    contacts: Arc<Vec<ContactAttempt>>,
}

/// Accounts the prefetching thread decodes before handing them over (one hand-over wakes the
/// reviewing thread at most once), and hand-overs it may be ahead.
const PREFETCH_CHUNK: usize = 32;
const PREFETCH_AHEAD: usize = 8;

/// Accounts (whole debtors) taken through scoring, stages and contact together, so that the
/// prefetcher decodes the next ones meanwhile. One strategy or scorer call covers them.
const STEP_ACCOUNTS: usize = 128;

/// Decodes the batch's accounts, in review order, from a read transaction begun now, and
/// sends them to the reviewing thread in chunks; stops at the first error (sent last) or
/// when the receiver is gone.
fn prefetch(
    store: &arrears_store::Store,
    due: &[(DebtorId, AccountId)],
    send: &std::sync::mpsc::SyncSender<Vec<Result<Fetched, CommandError>>>,
    done: &std::sync::mpsc::Receiver<Vec<Vec<Review>>>,
) {
    // The reviews the writer has finished come back to be freed here, on the thread that
    // allocated most of what they hold, and off the writer's path.
    let free_done = || {
        while let Ok(reviews) = done.try_recv() {
            drop(reviews);
        }
    };
    let read = match store.read() {
        Ok(read) => read,
        Err(error) => {
            let _ = send.send(vec![Err(error.into())]);
            return;
        }
    };
    let mut contacts: Option<(DebtorId, Arc<Vec<ContactAttempt>>)> = None;
    let mut fetch = |id: AccountId| -> Result<Fetched, CommandError> {
        let account = read.account(id)?.ok_or(CommandError::UnknownAccount(id))?;
        let debtor =
            read.debtor(account.debtor)?.ok_or(CommandError::UnknownDebtor(account.debtor))?;
        let case = read.case(id)?;
        let snapshot = read.shared_snapshot(id)?;
        let contacts = match &contacts {
            Some((of, attempts)) if *of == debtor.id => Arc::clone(attempts),
            _ => {
                let attempts = Arc::new(read.contacts(debtor.id)?);
                contacts = Some((debtor.id, Arc::clone(&attempts)));
                attempts
            }
        };
        Ok(Fetched { account, debtor, case, snapshot, contacts })
    };
    let mut chunk = Vec::with_capacity(PREFETCH_CHUNK);
    for &(_, id) in due {
        let fetched = fetch(id);
        let failed = fetched.is_err();
        chunk.push(fetched);
        if chunk.len() == PREFETCH_CHUNK || failed {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(PREFETCH_CHUNK));
            if send.send(full).is_err() || failed {
                return;
            }
            free_done();
        }
    }
    if !chunk.is_empty() {
        let _ = send.send(chunk);
    }
    // Until the writer is done with the batch (it drops its end of the channel).
    for reviews in done {
        drop(reviews);
    }
}

/// One batch, one write transaction. A second thread decodes the accounts' records (account,
/// debtor, case, snapshot) from a read transaction begun after the write transaction, so it
/// sees the same commit, while this thread reviews and writes: each account's records are
/// read before the batch writes them (accounts are reviewed once, and debtors are not
/// written by the cycle), so what the reader decoded is what the writer would have read.
fn run_batch(
    engine: &Arrears,
    as_of: NaiveDate,
    due: &[(DebtorId, AccountId)],
    report: &mut CycleReport,
) -> Result<(), CycleError> {
    let mut txn = engine.store.write()?;
    let now = engine.clock.now();
    let policy = engine.policies.get(&txn)?;
    let key = format!("cycle:{as_of}");
    let mut env = Env { txn: &mut txn, now, key: &key, policy: &policy };
    let mut reviewed = 0;
    let mut actions = 0;
    std::thread::scope(|scope| -> Result<(), CycleError> {
        let (send, receive) = std::sync::mpsc::sync_channel(PREFETCH_AHEAD);
        let store = &engine.store;
        // Begun after `txn`, the prefetcher's read transaction sees the commit `txn` started
        // from (only one write transaction runs at a time).
        let (finished, done) = std::sync::mpsc::channel();
        scope.spawn(move || prefetch(store, due, &send, &done));
        let mut chunk = Vec::new().into_iter();
        // Whole debtors, about `STEP_ACCOUNTS` accounts at a time, go through every step
        // while the prefetcher decodes the next ones.
        let mut debtors = due.chunk_by(|a, b| a.0 == b.0).peekable();
        while debtors.peek().is_some() {
            let mut by_debtor: Vec<Vec<Review>> = Vec::new();
            let mut accounts_in_step = 0;
            while accounts_in_step < STEP_ACCOUNTS {
                let Some(accounts) = debtors.next() else { break };
                accounts_in_step += accounts.len();
                let mut reviews = Vec::with_capacity(accounts.len());
                for _ in accounts {
                    let fetched = match chunk.next() {
                        Some(fetched) => fetched,
                        None => {
                            chunk = receive
                                .recv()
                                .unwrap_or_else(|_| {
                                    unreachable!("the prefetcher sends every account or an error")
                                })
                                .into_iter();
                            chunk.next().unwrap_or_else(|| unreachable!("chunks are never empty"))
                        }
                    }?;
                    reviews.push(review_time(&mut env, fetched, as_of, report)?);
                    reviewed += 1;
                }
                by_debtor.push(reviews);
            }
            score(engine, &policy, by_debtor.iter_mut().flatten())?;
            for reviews in &mut by_debtor {
                for review in reviews.iter_mut() {
                    review_stage(&mut env, review, as_of, report)?;
                }
            }
            for reviews in &mut by_debtor {
                actions += contact(engine, &mut env, reviews, as_of, report)?;
                for review in reviews.iter_mut() {
                    review.case.last_review_on = Some(as_of);
                    review.case.decided_on = review.case.decided_on.max(as_of);
                    review.case.next_review_on = next_review(&policy, review, as_of, env.txn)?;
                    env.txn.put_case(&review.case)?;
                }
            }
            // Freed on the prefetching thread (if it is gone, here).
            let _ = finished.send(by_debtor);
        }
        Ok(())
    })?;
    crate::audit::append(env.txn, now, None, AuditKind::Cycle { as_of, reviewed, actions })?;
    report.reviewed += reviewed;
    report.actions += actions;
    txn.commit()?;
    Ok(())
}

fn state_as_of(
    txn: &arrears_store::WriteTxn,
    account: &Account,
    as_of: NaiveDate,
) -> Result<std::sync::Arc<AccountState>, CommandError> {
    Ok(txn.account_state(account, Some(as_of))?)
}

/// Records a ledger event from the cycle, with the case written before and read back after
/// (the ledger command updates the case itself).
fn cycle_ledger(
    env: &mut Env<'_>,
    review: &mut Review,
    on: NaiveDate,
    kind: EventKind,
    new_obligations: Vec<NewObligation>,
    event: CollectionEvent,
) -> Result<bool, CommandError> {
    env.txn.put_case(&review.case)?;
    let key = format!("{}:{}:{}", env.key, review.account.id, kind.name());
    let mut inner = Env { txn: &mut *env.txn, now: env.now, key: &key, policy: env.policy };
    let outcome = collections::ledger_command(
        &mut inner,
        &review.account,
        on,
        kind,
        new_obligations,
        Some(event),
    )?;
    review.case = load_case(env.txn, env.policy, &review.account)?;
    Ok(!outcome.is_rejected())
}

/// Time-driven transitions and the features for scoring.
fn review_time(
    env: &mut Env<'_>,
    fetched: Fetched,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<Review, CommandError> {
    let Fetched { account, debtor, case, snapshot, contacts } = fetched;
    env.txn.prime(account.id, case.clone(), snapshot);
    let mut case = case.unwrap_or_else(|| collections::new_case(env.policy, &account));
    // A case whose arm the policy no longer has (the policy was replaced) joins the arm the
    // new policy's hash gives it, rather than running on defaults.
    if !env.policy.arms().iter().any(|arm| arm.name == case.arm) {
        case.arm = env.policy.arm_for(account.id.0).name.clone();
    }
    let mut review = Review {
        features: empty_features(&account),
        account,
        debtor,
        case,
        score: None,
        steps: Vec::new(),
    };
    let state = state_as_of(env.txn, &review.account, as_of)?;
    // Promise kept or broken.
    if let Some(promise) = review.case.promise.clone() {
        let paid = received(&state);
        match promise_status(&promise.payments, &paid, promise.made_on, promise.grace_days, as_of) {
            Some(true) => {
                report.transitions += u64::from(transit(
                    env,
                    &mut review,
                    &state,
                    CollectionEvent::PromiseKept,
                    as_of,
                )?);
                review.case.promise = None;
                review.case.kept_promises += 1;
            }
            Some(false) => {
                report.transitions += u64::from(transit(
                    env,
                    &mut review,
                    &state,
                    CollectionEvent::PromiseBroken,
                    as_of,
                )?);
                review.case.promise = None;
                review.case.broken_promises += 1;
                review.case.promise_broken_on = Some(as_of);
            }
            None => {}
        }
    }
    // Plan installments missed, plan defaulted or completed.
    if let Some(mut plan) = review.case.plan.clone() {
        let missed = plan
            .installments
            .iter()
            .filter_map(|id| state.obligations.get(id))
            .filter(|obligation| {
                obligation.total_minor() > 0
                    && obligation.due_on + chrono::Days::new(u64::from(plan.grace_days)) < as_of
            })
            .count() as u32;
        let paid_off = plan
            .installments
            .iter()
            .all(|id| state.obligations.get(id).is_none_or(|o| o.total_minor() == 0));
        if paid_off {
            report.transitions += u64::from(transit(
                env,
                &mut review,
                &state,
                CollectionEvent::PlanCompleted,
                as_of,
            )?);
            review.case.plan = None;
        } else if missed > plan.missed {
            for _ in plan.missed..missed {
                report.transitions += u64::from(transit(
                    env,
                    &mut review,
                    &state,
                    CollectionEvent::InstallmentMissed,
                    as_of,
                )?);
            }
            plan.missed = missed;
            if missed >= plan.default_after_missed {
                report.transitions += u64::from(transit(
                    env,
                    &mut review,
                    &state,
                    CollectionEvent::PlanDefaulted,
                    as_of,
                )?);
                review.case.plan = None;
            } else {
                review.case.plan = Some(plan);
            }
        }
    }
    // Settlement offers that ran out.
    if review.case.settlement.as_ref().is_some_and(|settlement| settlement.expires_on < as_of) {
        review.case.settlement = None;
    }
    // Charge-off at the policy's days past due.
    let threshold = i64::from(env.policy.charge_off().dpd_for(review.account.product));
    let due_for_charge_off =
        state.charged_off_on.is_none() && state.days_past_due(as_of) >= threshold;
    if due_for_charge_off {
        charge_off(env, &mut review, as_of, report)?;
    }
    let state = state_as_of(env.txn, &review.account, as_of)?;
    review.features = features(&contacts, &review.account, &review.case, &state, as_of);
    Ok(review)
}

/// Charges the account off on `as_of` (a ledger event and the transition), if the state
/// machine accepts it.
fn charge_off(
    env: &mut Env<'_>,
    review: &mut Review,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<(), CommandError> {
    let kind = EventKind::ChargeOff;
    if cycle_ledger(env, review, as_of, kind, Vec::new(), CollectionEvent::ChargeOff)? {
        report.charged_off += 1;
        report.transitions += 1;
    }
    Ok(())
}

fn transit(
    env: &mut Env<'_>,
    review: &mut Review,
    state: &AccountState,
    event: CollectionEvent,
    as_of: NaiveDate,
) -> Result<bool, CommandError> {
    step(env, &review.account, &review.debtor, &mut review.case, state, event, as_of)
}

fn empty_features(account: &Account) -> Features {
    Features {
        account: account.id,
        debtor: account.debtor,
        product: account.product,
        days_past_due: 0,
        total_outstanding_minor: 0,
        past_due_minor: 0,
        credit_limit_minor: account.credit_limit_minor,
        months_on_book: 0,
        payments_90d: 0,
        paid_90d_minor: 0,
        reversals_90d: 0,
        broken_promises: 0,
        kept_promises: 0,
        attempts_30d: 0,
        right_party_contacts_30d: 0,
    }
}

/// The features of an account on `as_of`, from its ledger, case and contact history.
pub(crate) fn features(
    contacts: &[ContactAttempt],
    account: &Account,
    case: &CollectionCase,
    state: &AccountState,
    as_of: NaiveDate,
) -> Features {
    let since_90 = as_of - chrono::Days::new(90);
    let since_30 = as_of - chrono::Days::new(30);
    let paid: Vec<(NaiveDate, i64)> =
        received(state).into_iter().filter(|(on, _)| *on > since_90 && *on <= as_of).collect();
    let reversals_90d = state
        .payments
        .values()
        .filter_map(|payment| payment.reversed_on)
        .filter(|on| *on > since_90 && *on <= as_of)
        .count() as u32;
    let recent: Vec<&ContactAttempt> = contacts
        .iter()
        .filter(|attempt| attempt.accounts.contains(&account.id))
        .filter(|attempt| attempt.at.date_naive() > since_30 && attempt.at.date_naive() <= as_of)
        .collect();
    let months_on_book = i64::from(as_of.year() - account.opened_on.year()) * 12
        + i64::from(as_of.month())
        - i64::from(account.opened_on.month());
    Features {
        account: account.id,
        debtor: account.debtor,
        product: account.product,
        days_past_due: state.days_past_due(as_of),
        total_outstanding_minor: state.total_outstanding_minor(),
        past_due_minor: state.past_due_minor(as_of),
        credit_limit_minor: account.credit_limit_minor,
        months_on_book: months_on_book.max(0),
        payments_90d: paid.len() as u32,
        paid_90d_minor: paid.iter().map(|(_, amount)| amount).sum(),
        reversals_90d,
        broken_promises: case.broken_promises,
        kept_promises: case.kept_promises,
        attempts_30d: recent.len() as u32,
        right_party_contacts_30d: recent
            .iter()
            .filter(|attempt| attempt.outcome.is_right_party())
            .count() as u32,
    }
}

/// Scores every review with its arm's scorer, one batch call per arm.
fn score<'r>(
    engine: &Arrears,
    policy: &Policy,
    reviews: impl Iterator<Item = &'r mut Review>,
) -> Result<(), CycleError> {
    let mut by_arm: BTreeMap<String, Vec<&mut Review>> = BTreeMap::new();
    for review in reviews {
        by_arm.entry(review.case.arm.clone()).or_default().push(review);
    }
    for (arm_name, reviews) in by_arm {
        let scorer_name = policy
            .arms()
            .iter()
            .find(|arm| arm.name == arm_name)
            .and_then(|arm| arm.scorer.clone())
            .unwrap_or_else(|| "rules".to_owned());
        let scorer = engine.components.scorers.get(&scorer_name).ok_or_else(|| {
            CycleError::UnknownComponent {
                arm: arm_name.clone(),
                kind: "scorer",
                name: scorer_name.clone(),
            }
        })?;
        let inputs: Vec<Features> = reviews.iter().map(|review| review.features.clone()).collect();
        // A scorer that fails or answers badly leaves the batch unscored: stages that need a
        // score band do not match, and nothing is guessed.
        let Ok(scores) = scorer.score_batch(&inputs) else { continue };
        if scores.len() != inputs.len() {
            continue;
        }
        for (review, score) in reviews.into_iter().zip(scores) {
            let valid = score.points.is_finite()
                && (arrears_core::strategy::SCORE_MIN..=arrears_core::strategy::SCORE_MAX)
                    .contains(&score.points)
                && score.reasons.len() <= arrears_core::strategy::REASONS_MAX;
            review.score = valid.then_some(score);
        }
    }
    Ok(())
}

/// Stage selection, stage actions, the review transition and the contact steps due.
fn review_stage(
    env: &mut Env<'_>,
    review: &mut Review,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<(), CommandError> {
    let state = state_as_of(env.txn, &review.account, as_of)?;
    let band = review.score.as_ref().map(|score| score.band.clone());
    let mut signals = review.case.signals(as_of);
    // Outcomes feed signals: three or more attempts in 30 days without reaching the debtor.
    if review.features.attempts_30d >= 3 && review.features.right_party_contacts_30d == 0 {
        signals.push(arrears_core::policy::Signal::UnreturnedCalls);
    }
    let selected = collections::select_stage(
        env.policy,
        &review.account,
        &review.debtor,
        &state,
        as_of,
        band.as_deref(),
        &signals,
    )
    .map(|(_, stage)| stage.clone());
    let open = review.case.state.is_open() && state.charged_off_on.is_none()
        || matches!(review.case.state, CollectionState::ChargedOff);
    match (&selected, open) {
        (Some(stage), true) => {
            if review.case.stage.as_deref() != Some(stage.name.as_str()) {
                review.case.stage = Some(stage.name.clone());
                review.case.stage_entered_on = Some(as_of);
                review.case.steps_issued.clear();
            }
            review.case.credit_hold = stage.actions.credit_hold;
        }
        _ => {
            review.case.stage = None;
            review.case.stage_entered_on = None;
            review.case.steps_issued.clear();
            review.case.credit_hold = false;
        }
    }
    let days_in_stage =
        review.case.stage_entered_on.map_or(0, |entered| (as_of - entered).num_days());
    if let Some(stage) = &selected {
        let protected = matches!(
            review.case.state,
            CollectionState::Hardship { .. } | CollectionState::Disputed
        );
        if stage.actions.late_fee && !protected && state.charged_off_on.is_none() {
            report.fees_assessed += assess_late_fees(env, review, &state, as_of)?;
        }
        if stage.actions.charge_off && state.charged_off_on.is_none() {
            charge_off(env, review, as_of, report)?;
        }
        let state = state_as_of(env.txn, &review.account, as_of)?;
        if let Some(placement) = &stage.actions.placement {
            if days_in_stage >= i64::from(placement.after_days) && review.case.placement.is_none() {
                let event = CollectionEvent::Placed { agency: placement.agency.clone() };
                if transit(env, review, &state, event, as_of)? {
                    report.transitions += 1;
                    review.case.placement = Some(arrears_core::case::Placement {
                        agency: placement.agency.clone(),
                        placed_on: as_of,
                        commission_rate: rust_decimal::Decimal::ZERO,
                    });
                }
            }
        }
        if let Some(after_days) = stage.actions.legal_after_days {
            if days_in_stage >= i64::from(after_days)
                && !matches!(review.case.state, CollectionState::Legal)
            {
                report.transitions +=
                    u64::from(transit(env, review, &state, CollectionEvent::LegalReferral, as_of)?);
            }
        }
    }
    let state = state_as_of(env.txn, &review.account, as_of)?;
    let before = review.case.state.clone();
    transit(env, review, &state, CollectionEvent::Review, as_of)?;
    if review.case.state != before {
        report.transitions += 1;
    }
    // Contact: only where collection is active and no flag forbids it. The compliance
    // guardrails check every proposal again before it reaches the outbox.
    let flags = review.case.flags;
    let contactable = matches!(
        review.case.state,
        CollectionState::Current | CollectionState::Delinquent { .. } | CollectionState::ChargedOff
    ) && !flags.cease_communication
        && !flags.attorney_represented
        && !flags.bankruptcy_stay
        && !flags.deceased;
    review.steps.clear();
    if let (Some(stage), true) = (&selected, contactable) {
        for (index, contact) in stage.actions.contact.iter().enumerate() {
            let index = index as u32;
            if i64::from(contact.after_days) <= days_in_stage
                && !review.case.steps_issued.contains(&index)
            {
                review.steps.push((
                    index,
                    ContactStep { channel: contact.channel, template: contact.template.clone() },
                ));
            }
        }
    }
    Ok(())
}

fn assess_late_fees(
    env: &mut Env<'_>,
    review: &mut Review,
    state: &AccountState,
    as_of: NaiveDate,
) -> Result<u64, CommandError> {
    if review.account.terms.late_fee == LateFeeRule::None {
        return Ok(0);
    }
    let grace = chrono::Days::new(u64::from(review.account.terms.grace_days));
    let mut late: Vec<(ObligationId, i64)> = Vec::new();
    for (id, obligation) in &state.obligations {
        let Some(record) = env.txn.obligation(*id)? else { continue };
        let principal_bearing =
            !matches!(record.kind, ObligationKind::Fee | ObligationKind::Interest);
        let outstanding = obligation.outstanding_minor[Component::Principal.index()]
            + obligation.outstanding_minor[Component::Interest.index()];
        if principal_bearing
            && !obligation.disputed
            && outstanding > 0
            && obligation.due_on + grace < as_of
            && !review.case.late_fees_assessed.contains(id)
        {
            late.push((*id, outstanding));
        }
    }
    let mut assessed = 0;
    for (obligation, outstanding) in late {
        let fee_minor =
            review.account.terms.late_fee.fee_minor(outstanding, review.account.currency);
        review.case.late_fees_assessed.push(obligation);
        if fee_minor <= 0 {
            continue;
        }
        let new = NewObligation {
            external_ref: None,
            kind: ObligationKind::Fee,
            due_on: as_of,
            amounts_minor: [0, 0, fee_minor],
        };
        let kind = EventKind::Charge {
            obligation: ObligationId(0),
            kind: ObligationKind::Fee,
            due_on: as_of,
            amounts_minor: new.amounts_minor,
        };
        let assessed_for = review.case.late_fees_assessed.clone();
        if cycle_ledger(env, review, as_of, kind, vec![new], CollectionEvent::ChargePosted)? {
            assessed += 1;
        }
        review.case.late_fees_assessed = assessed_for;
    }
    Ok(assessed)
}

/// Stable id of an action: FNV-1a 64 over the date, the debtor and the contact, cut to 53 bits.
pub(crate) fn action_id(as_of: NaiveDate, debtor: DebtorId, proposal: &ContactProposal) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    feed(&arrears_store::date_key(as_of).to_le_bytes());
    feed(&debtor.0.to_le_bytes());
    feed(format!("{:?}", proposal.channel).as_bytes());
    feed(proposal.address.as_bytes());
    feed(proposal.template.as_bytes());
    // Ids stay below 2^53 so that JSON consumers that read numbers as doubles (JavaScript)
    // keep them exact; zero is kept free as "no action".
    (hash & ((1 << 53) - 1)).max(1)
}

/// Asks the strategy for one debtor's contacts and writes the accepted ones to the outbox.
fn contact(
    engine: &Arrears,
    env: &mut Env<'_>,
    reviews: &mut [Review],
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<u64, CycleError> {
    let with_steps: Vec<usize> =
        (0..reviews.len()).filter(|index| !reviews[*index].steps.is_empty()).collect();
    let Some(first) = with_steps.first() else { return Ok(0) };
    let debtor = reviews[*first].debtor.clone();
    let mut ordered = with_steps.clone();
    ordered.sort_by_key(|index| std::cmp::Reverse(reviews[*index].features.days_past_due));
    let mut steps: Vec<ContactStep> = Vec::new();
    for index in &ordered {
        for (_, step) in &reviews[*index].steps {
            if !steps.contains(step) {
                steps.push(step.clone());
            }
        }
    }
    let accounts: Vec<AccountId> =
        with_steps.iter().map(|index| reviews[*index].account.id).collect();
    let score = with_steps
        .iter()
        .filter_map(|index| reviews[*index].score.clone())
        .min_by(|a, b| a.points.total_cmp(&b.points));
    let request = ContactRequest {
        debtor: debtor.id,
        accounts: accounts.clone(),
        as_of,
        steps: steps.clone(),
        contact_points: debtor.contact_points.clone(),
        time_zones: debtor.time_zones.clone(),
        score,
        history: env.txn.contacts(debtor.id)?,
    };
    let arm_name = reviews[*first].case.arm.clone();
    let strategy_name = env
        .policy
        .arms()
        .iter()
        .find(|arm| arm.name == arm_name)
        .and_then(|arm| arm.strategy.clone())
        .unwrap_or_else(|| "ladder".to_owned());
    let strategy = engine.components.strategies.get(&strategy_name).ok_or_else(|| {
        CycleError::UnknownComponent {
            arm: arm_name.clone(),
            kind: "strategy",
            name: strategy_name.clone(),
        }
    })?;
    let Ok(proposals) = strategy.propose_batch(std::slice::from_ref(&request)) else {
        return Ok(0);
    };
    if proposals.is_empty() {
        return Ok(0);
    }
    let packs = compliance::packs_for(&debtor.jurisdiction, env.policy.creditor());
    let actions = env.txn.actions_of(debtor.id)?;
    let mut history = crate::guardrails::history(&debtor, request.history.clone(), actions.clone());
    let mut outstanding: Vec<(ContactChannel, Vec<AccountId>)> = actions
        .into_iter()
        .filter(|action| matches!(action.status, ActionStatus::Pending))
        .map(|action| (action.channel, action.accounts))
        .collect();
    let flags = crate::guardrails::flags(&debtor, reviews.iter().map(|review| &review.case));
    let mut written = 0;
    let mut channels_used: BTreeSet<String> = BTreeSet::new();
    for mut proposal in proposals {
        if !acceptable(&request, &proposal, as_of)
            || !channels_used.insert(format!("{:?}", proposal.channel))
        {
            report.proposals_refused += 1;
            continue;
        }
        // One outstanding action per channel and account: a pending call may turn out to be a
        // conversation, after which another call would break a cool-down.
        let pending_same = outstanding.iter().any(|(channel, accounts)| {
            *channel == proposal.channel
                && accounts.iter().any(|account| proposal.accounts.contains(account))
        });
        if pending_same {
            report.deferred += 1;
            continue;
        }
        // The guardrails: every proposal, from any strategy, built in or plugged in.
        let decision = guardrail_decision(&packs, &debtor, &proposal, &history, &flags);
        if !decision.allowed {
            let horizon = as_of + chrono::Days::new(RESCHEDULE_DAYS_MAX);
            let rule = decision.rule.clone().unwrap_or_else(|| "unknown".to_owned());
            match decision.next_allowed_at {
                Some(next) if next.date_naive() <= horizon => {
                    proposal.at = next;
                    report.rescheduled += 1;
                }
                _ => {
                    *report.blocked.entry(rule.clone()).or_insert(0) += 1;
                    crate::audit::append(
                        env.txn,
                        env.now,
                        proposal.accounts.first().copied(),
                        AuditKind::ContactBlocked {
                            debtor: debtor.id,
                            channel: proposal.channel,
                            template: proposal.template.clone(),
                            rule,
                            next_allowed_at: decision.next_allowed_at,
                        },
                    )?;
                    continue;
                }
            }
        }
        history.push(crate::guardrails::planned(
            &debtor,
            proposal.at,
            &proposal.accounts,
            proposal.channel,
            &proposal.address,
        ));
        outstanding.push((proposal.channel, proposal.accounts.clone()));
        let id = action_id(as_of, debtor.id, &proposal);
        if env.txn.action(id)?.is_none() {
            env.txn.put_action(&Action {
                id,
                debtor: debtor.id,
                accounts: proposal.accounts.clone(),
                channel: proposal.channel,
                address: proposal.address.clone(),
                template: proposal.template.clone(),
                scheduled_at: proposal.at,
                created_for: as_of,
                status: ActionStatus::Pending,
            })?;
            written += 1;
        }
        for review in reviews.iter_mut() {
            if !proposal.accounts.contains(&review.account.id) {
                continue;
            }
            for (index, step) in &review.steps {
                if step.channel == proposal.channel && step.template == proposal.template {
                    review.case.steps_issued.push(*index);
                }
            }
        }
    }
    Ok(written)
}

/// How far the guardrails may move a proposal before it counts as blocked.
pub(crate) const RESCHEDULE_DAYS_MAX: u64 = 14;

fn guardrail_decision(
    packs: &[compliance::Pack],
    debtor: &Debtor,
    proposal: &ContactProposal,
    history: &[compliance::HistoryEntry],
    flags: &compliance::Flags,
) -> compliance::Decision {
    let debts = crate::guardrails::debt_ids(&proposal.accounts);
    let point = debtor.contact_points.iter().find(|point| point.address == proposal.address);
    let request = compliance::Proposal {
        person: debtor.id.0,
        debts: &debts,
        action: compliance::ActionKind::Contact,
        channel: compliance::ChannelGroup::from(proposal.channel),
        recipient: compliance::Recipient::Consumer,
        address: Some(&proposal.address),
        address_kind: point
            .map_or(arrears_core::model::ContactPointKind::Personal, |point| point.kind),
        address_consent: point.is_some_and(|point| point.consent),
        at: proposal.at,
        time_zones: &debtor.time_zones,
    };
    compliance::evaluate(packs, &request, history, flags)
}

/// The engine disposes: a proposal must name the request's debtor and some of its accounts,
/// a step the stages asked for, one of the debtor's usable addresses for that channel, and an
/// instant within a day of the review date.
fn acceptable(request: &ContactRequest, proposal: &ContactProposal, as_of: NaiveDate) -> bool {
    let window_start =
        as_of.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - chrono::Duration::hours(14));
    let window_end = as_of.and_hms_opt(0, 0, 0).map(|t| t.and_utc() + chrono::Duration::hours(38));
    proposal.debtor == request.debtor
        && !proposal.accounts.is_empty()
        && proposal.accounts.iter().all(|account| request.accounts.contains(account))
        && request
            .steps
            .iter()
            .any(|step| step.channel == proposal.channel && step.template == proposal.template)
        && request
            .contact_points
            .iter()
            .any(|point| point.address == proposal.address && usable(point, proposal.channel))
        && window_start.is_some_and(|start| proposal.at >= start)
        && window_end.is_some_and(|end| proposal.at < end)
}

/// The next review: the state's cadence, or sooner when something falls due (a courtesy
/// reminder before a due date, the first day past due, a promise or installment deadline,
/// the end of hardship).
fn next_review(
    policy: &Policy,
    review: &Review,
    as_of: NaiveDate,
    txn: &arrears_store::WriteTxn,
) -> Result<NaiveDate, CommandError> {
    let cadence = &policy.review().cadence_days;
    let days = match &review.case.state {
        CollectionState::Current
        | CollectionState::Paid
        | CollectionState::Settled
        | CollectionState::Closed => cadence.current,
        CollectionState::Delinquent { .. } => cadence.delinquent,
        CollectionState::Promised => cadence.promised,
        CollectionState::InPlan => cadence.in_plan,
        CollectionState::Disputed => cadence.disputed,
        CollectionState::Hardship { .. } => cadence.hardship,
        CollectionState::Placed { .. } => cadence.placed,
        CollectionState::Legal => cadence.legal,
        CollectionState::ChargedOff => cadence.charged_off,
    };
    let mut next = as_of + chrono::Days::new(u64::from(days.max(1)));
    let tomorrow = as_of + chrono::Days::new(1);
    let mut consider = |date: NaiveDate| {
        if date > as_of && date < next {
            next = date.max(tomorrow);
        }
    };
    let state = state_as_of(txn, &review.account, as_of)?;
    let earliest_reminder =
        policy.stages().iter().map(|stage| stage.conditions.min_dpd).min().unwrap_or(1).min(1);
    for obligation in state.obligations.values().filter(|obligation| obligation.total_minor() > 0) {
        consider(obligation.due_on + chrono::Days::new(1));
        if earliest_reminder < 0 {
            consider(obligation.due_on - chrono::Days::new(earliest_reminder.unsigned_abs()));
        }
    }
    if let Some(promise) = &review.case.promise {
        for payment in &promise.payments {
            consider(payment.on + chrono::Days::new(u64::from(promise.grace_days) + 1));
        }
    }
    if let CollectionState::Hardship { until } = review.case.state {
        consider(until + chrono::Days::new(1));
    }
    if let Some(stage) = review.case.stage.as_deref().and_then(|name| policy.stage(name)) {
        let entered = review.case.stage_entered_on.unwrap_or(as_of);
        for step in &stage.actions.contact {
            consider(entered + chrono::Days::new(u64::from(step.after_days)));
        }
    }
    Ok(next)
}

/// Acknowledges an outbox action: records the contact in the debtor's history, and a raised
/// dispute disputes the accounts it was about.
pub(crate) fn acknowledge(
    env: &mut Env<'_>,
    action_id: u64,
    outcome: ContactOutcome,
    at: DateTime<Utc>,
) -> Result<Outcome, CommandError> {
    let mut action = env.txn.action(action_id)?.ok_or(CommandError::UnknownAction(action_id))?;
    if matches!(action.status, ActionStatus::Acknowledged { .. }) {
        return Ok(Outcome::Rejected(Rejection::AlreadyAcknowledged { action: action_id }));
    }
    action.status = ActionStatus::Acknowledged { outcome, at };
    env.txn.put_action(&action)?;
    env.txn.append_contact(
        action.debtor,
        &ContactAttempt {
            accounts: action.accounts.clone(),
            channel: action.channel,
            address: action.address.clone(),
            at,
            inbound: false,
            outcome,
            action: Some(action_id),
        },
    )?;
    let mut disputed = Vec::new();
    if outcome == ContactOutcome::DisputeRaised {
        for account in &action.accounts {
            // A refusal (already disputed, nothing owed) writes nothing and is not an error:
            // the acknowledgement itself stands, and the outcome lists what was disputed.
            if !collections::open_dispute(env, *account, &[], at.date_naive())?.is_rejected() {
                disputed.push(*account);
            }
        }
    }
    Ok(Outcome::Acknowledged { action: action_id, disputed })
}
