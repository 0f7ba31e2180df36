//! The review of one account on the cycle's date: time-driven transitions (promises, plans,
//! settlements, charge-off), features and scores, the stage and its actions, the review
//! transition, the contact steps, the strategy's proposals through the outbox's checks, and
//! the next review date.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use arrears_core::case::{Action, ActionStatus, AuditKind, CollectionCase, LateFeeCharge};
use arrears_core::collection::{CollectionEvent, CollectionState};
use arrears_core::compliance;
use arrears_core::dates::{days_after, days_before};
use arrears_core::ids::{AccountId, ObligationId};
use arrears_core::ledger::{AccountState, EventKind};
use arrears_core::model::{
    Account, Component, ContactChannel, Debtor, LateFeeRule, ObligationKind,
};
use arrears_core::plan::promise_status;
use arrears_core::policy::{Policy, Stage};
use arrears_core::strategy::{
    ContactProposal, ContactRequest, ContactStep, Features, Score, Scorer,
};
use arrears_store::Reads;

use super::pipeline::Fetched;
use super::{CycleReport, Parts};
use crate::command::{Outcome, Posted};
use crate::context::Env;
use crate::error::{CommandError, CycleError};
use crate::ledger_write::NewObligation;
use crate::lifecycle::{self, features, load_case, received, signals, step};
use crate::outbox::{acceptable, action_id, guardrail_decision, with_tone, RESCHEDULE_DAYS_MAX};

/// One account under review within a batch.
pub(super) struct Review {
    pub(super) account: Account,
    pub(super) debtor: Debtor,
    pub(super) case: CollectionCase,
    pub(super) features: Features,
    score: Option<Score>,
    steps: Vec<(u32, ContactStep)>,
}

/// The account's state as a review reads it: of its history, the payments of the last 90 days
/// (its features) and those since its promise was made or its settlement offered; of its
/// obligations, what they owe. So the hot part of the snapshot when it holds those payments
/// (`Reads::open_state`), unless a stage reads the customer's lifetime value
/// (`lifecycle::stage_payments_from`).
fn state_as_of(
    txn: &arrears_store::WriteTxn,
    policy: &Policy,
    review: &Review,
    as_of: NaiveDate,
) -> Result<std::sync::Arc<AccountState>, CommandError> {
    let case = &review.case;
    let payments_from = [
        Some(days_before(as_of, 90)),
        case.promise.as_ref().map(|promise| promise.made_on),
        case.settlement.as_ref().map(|settlement| settlement.offered_on),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(as_of);
    let payments_from = lifecycle::stage_payments_from(policy, payments_from);
    Ok(txn.open_state(&review.account, as_of, payments_from)?)
}

/// Records a ledger event from the cycle, with the case written before and read back after
/// (the ledger command updates the case itself): what it posted, or `None` if refused.
fn cycle_ledger(
    env: &mut Env<'_>,
    review: &mut Review,
    on: NaiveDate,
    kind: EventKind,
    new_obligations: Vec<NewObligation>,
    event: CollectionEvent,
) -> Result<Option<Posted>, CommandError> {
    env.txn.put_case(&review.case)?;
    let key = format!("{}:{}:{}", env.key, review.account.id, kind.name());
    let mut inner =
        Env { txn: &mut *env.txn, now: env.now, key: &key, policy: env.policy, rebuilt_from: None };
    let outcome = lifecycle::ledger_command(
        &mut inner,
        &review.account,
        &review.debtor.jurisdiction,
        on,
        kind,
        new_obligations,
        Some(event),
    )?;
    review.case = load_case(env.txn, env.policy, &review.account)?;
    Ok(match outcome {
        Outcome::Posted(posted) => Some(posted),
        _ => None,
    })
}

/// Time-driven transitions and the features for scoring.
pub(super) fn review_time(
    env: &mut Env<'_>,
    fetched: Fetched,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<Review, CommandError> {
    let Fetched { account, debtor, case, snapshot, contacts } = fetched;
    env.txn.prime(account.id, case.clone(), snapshot);
    let mut case = case.unwrap_or_else(|| lifecycle::new_case(env.policy, &account));
    // A case whose arm the policy no longer has (the policy was replaced) joins the arm the
    // new policy's hash gives its debtor, rather than running on defaults.
    if !env.policy.arms().iter().any(|arm| arm.name == case.arm) {
        case.arm = env.policy.arm_for(account.debtor.0).name.clone();
    }
    let mut review = Review {
        features: empty_features(&account, as_of),
        account,
        debtor,
        case,
        score: None,
        steps: Vec::new(),
    };
    let state = state_as_of(env.txn, env.policy, &review, as_of)?;
    agreements_due(env, &mut review, &state, as_of, report)?;
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
    let state = state_as_of(env.txn, env.policy, &review, as_of)?;
    review.features = features(&contacts, &review.account, &review.case, &state, as_of);
    Ok(review)
}

/// Promise kept or broken; plan installments missed, plan defaulted or completed.
fn agreements_due(
    env: &mut Env<'_>,
    review: &mut Review,
    state: &AccountState,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<(), CommandError> {
    // A hold in force pauses the promise or plan it interrupted (docs/STATE_MACHINE.md,
    // "Holds"): neither is broken, missed or defaulted during it (a disputed installment,
    // which payments skip, could not even be paid); kept and completed still count. The
    // agreement is judged again from the first review after the hold ends.
    let paused = hold_in_force(&review.case.state, as_of);
    // Promise kept or broken.
    if let Some(promise) = review.case.promise.clone() {
        let paid: Vec<_> = received(state).collect();
        match promise_status(&promise.payments, &paid, promise.made_on, promise.grace_days, as_of) {
            Some(true) => {
                report.transitions +=
                    u64::from(transit(env, review, state, CollectionEvent::PromiseKept, as_of)?);
                review.case.promise = None;
                review.case.kept_promises += 1;
            }
            Some(false) if !paused => {
                report.transitions +=
                    u64::from(transit(env, review, state, CollectionEvent::PromiseBroken, as_of)?);
                review.case.promise = None;
                review.case.broken_promises += 1;
                review.case.promise_broken_on = Some(as_of);
            }
            Some(false) | None => {}
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
                    && days_after(obligation.due_on, u64::from(plan.grace_days)) < as_of
            })
            .count() as u32;
        let paid_off = plan
            .installments
            .iter()
            .all(|id| state.obligations.get(id).is_none_or(|o| o.total_minor() == 0));
        if paid_off {
            report.transitions +=
                u64::from(transit(env, review, state, CollectionEvent::PlanCompleted, as_of)?);
            review.case.plan = None;
        } else if missed > plan.missed && !paused {
            for _ in plan.missed..missed {
                report.transitions += u64::from(transit(
                    env,
                    review,
                    state,
                    CollectionEvent::InstallmentMissed,
                    as_of,
                )?);
            }
            plan.missed = missed;
            if missed >= plan.default_after_missed {
                report.transitions +=
                    u64::from(transit(env, review, state, CollectionEvent::PlanDefaulted, as_of)?);
                review.case.plan = None;
            } else {
                review.case.plan = Some(plan);
            }
        }
    }
    Ok(())
}

/// True while a dispute, or a hardship through its `until`, holds the case on `as_of`.
fn hold_in_force(state: &CollectionState, as_of: NaiveDate) -> bool {
    match state {
        CollectionState::Disputed => true,
        CollectionState::Hardship { until } => as_of <= *until,
        _ => false,
    }
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
    if cycle_ledger(env, review, as_of, kind, Vec::new(), CollectionEvent::ChargeOff)?.is_some() {
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
    step(env, &review.account, &review.debtor.jurisdiction, &mut review.case, state, event, as_of)
}

fn empty_features(account: &Account, as_of: NaiveDate) -> Features {
    Features {
        account: account.id,
        debtor: account.debtor,
        product: account.product,
        as_of,
        currency: account.currency,
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
        calls_30d: 0,
    }
}

/// The rest of the review, for whole debtors whose time-driven transitions are done: scores
/// (one call per arm), stages and their actions, contacts (one strategy call per arm for all
/// the debtors of the batch), and each case written with its next review (the reviews are
/// left holding the cases as the transaction held them before: they are only to be freed).
/// Returns the actions written.
pub(super) fn decide(
    engine: &Parts<'_>,
    env: &mut Env<'_>,
    by_debtor: &mut [Vec<Review>],
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<u64, CycleError> {
    score(engine, env, by_debtor.iter_mut().flatten(), report)?;
    for reviews in by_debtor.iter_mut() {
        for review in reviews.iter_mut() {
            review_stage(env, review, as_of, report)?;
        }
    }
    let mut proposals = propose_all(engine, env, by_debtor, as_of, report)?;
    let mut actions = 0;
    for (reviews, proposed) in by_debtor.iter_mut().zip(proposals.iter_mut()) {
        if let Some((request, debtor, arm, proposed)) = proposed.take() {
            let hook = engine.components.payment_links.as_deref();
            let arm = env.policy.arms().iter().find(|known| known.name == arm).cloned();
            let asked = Asked { request: &request, debtor: &debtor, arm: arm.as_ref(), hook };
            actions += contact(env, reviews, asked, proposed, as_of, report)?;
        }
        let hook = engine.components.payment_links.as_deref();
        actions += super::invoice::send_invoices(env, reviews, hook, as_of)?;
        for review in reviews.iter_mut() {
            if let Some(score) = &review.score {
                // Kept for what reads it between cycles (the work queues); scores are finite
                // and within the score range (`valid_score`).
                review.case.score = Some(arrears_core::case::CaseScore {
                    band: score.band.clone(),
                    points: score.points.round() as i32,
                    scored_on: as_of,
                });
            }
            review.case.last_review_on = Some(as_of);
            review.case.decided_on = review.case.decided_on.max(as_of);
            review.case.next_review_on = next_review(env.policy, review, as_of, env.txn)?;
            // The review is done with its case: the transaction keeps it, and the review takes
            // the transaction's older copy, to be freed with it off this thread.
            env.txn.put_case_replacing(&mut review.case)?;
        }
    }
    Ok(actions)
}

/// Scores every review with its arm's scorer, one batch call per arm. A scorer that fails or
/// answers badly leaves its reviews unscored (stages that need a score band do not match, and
/// nothing is guessed); the failure is counted in the report and audited.
fn score<'r>(
    engine: &Parts<'_>,
    env: &mut Env<'_>,
    reviews: impl Iterator<Item = &'r mut Review>,
    report: &mut CycleReport,
) -> Result<(), CycleError> {
    let mut by_arm: BTreeMap<String, Vec<&mut Review>> = BTreeMap::new();
    for review in reviews {
        by_arm.entry(review.case.arm.clone()).or_default().push(review);
    }
    for (arm_name, mut reviews) in by_arm {
        let arm = env.policy.arms().iter().find(|arm| arm.name == arm_name);
        let scorer_name = arm
            .and_then(|arm| arm.scorer.clone())
            .unwrap_or_else(|| crate::context::DEFAULT_SCORER.to_owned());
        let fallback = arm.and_then(|arm| arm.scorer_fallback.clone());
        let scorer = resolved(&engine.components.scorers, &arm_name, "scorer", &scorer_name)?;
        let Some(error) = score_with(scorer, &mut reviews) else { continue };
        let failed = Failed { arm: &arm_name, component: "scorer", name: &scorer_name };
        failed.record(env, reviews.len() as u64, error, fallback.as_deref(), report)?;
        // The fallback scores what the scorer left unscored.
        let Some(fallback) = fallback else { continue };
        let scorer = resolved(&engine.components.scorers, &arm_name, "scorer_fallback", &fallback)?;
        let mut unscored: Vec<&mut Review> =
            reviews.into_iter().filter(|review| review.score.is_none()).collect();
        if let Some(error) = score_with(scorer, &mut unscored) {
            let failed = Failed { arm: &arm_name, component: "scorer_fallback", name: &fallback };
            failed.record(env, unscored.len() as u64, error, None, report)?;
        }
    }
    Ok(())
}

/// The component `name` an arm uses under policy key `kind` (`scorer`, `strategy` or a
/// fallback), from `components` (the scorers or the strategies), resolved before the cycle
/// began.
fn resolved<'e, T: ?Sized>(
    components: &'e BTreeMap<String, std::sync::Arc<T>>,
    arm: &str,
    kind: &'static str,
    name: &str,
) -> Result<&'e std::sync::Arc<T>, CycleError> {
    components.get(name).ok_or_else(|| CycleError::UnknownComponent {
        arm: arm.to_owned(),
        kind,
        name: name.to_owned(),
    })
}

/// Scores the reviews with `scorer`, keeping the valid scores; what went wrong, if anything.
fn score_with(scorer: &std::sync::Arc<dyn Scorer>, reviews: &mut [&mut Review]) -> Option<String> {
    let inputs: Vec<Features> = reviews.iter().map(|review| review.features.clone()).collect();
    match scorer.score_batch(&inputs) {
        Err(error) => Some(error.to_string()),
        Ok(scores) if scores.len() != inputs.len() => {
            Some(format!("returned {} scores for {} accounts", scores.len(), inputs.len()))
        }
        Ok(scores) => {
            let invalid = scores.iter().filter(|score| !valid_score(score)).count();
            for (review, score) in reviews.iter_mut().zip(scores) {
                review.score = valid_score(&score).then_some(score);
            }
            (invalid > 0).then(|| {
                format!(
                    "{invalid} of {} scores out of range or with too many reasons",
                    inputs.len()
                )
            })
        }
    }
}

/// True if and only if a score is finite, within the score range, and has at most the
/// allowed reason codes.
fn valid_score(score: &Score) -> bool {
    score.points.is_finite()
        && (arrears_core::strategy::SCORE_MIN..=arrears_core::strategy::SCORE_MAX)
            .contains(&score.points)
        && score.reasons.len() <= arrears_core::strategy::REASONS_MAX
}

/// A component of an arm that failed a call.
struct Failed<'a> {
    arm: &'a str,
    component: &'static str,
    name: &'a str,
}

impl Failed<'_> {
    /// Counts the failure in the report and writes its audit record.
    fn record(
        &self,
        env: &mut Env<'_>,
        accounts: u64,
        error: String,
        fallback: Option<&str>,
        report: &mut CycleReport,
    ) -> Result<(), CommandError> {
        report.component_failed(
            self.arm,
            self.component,
            self.name,
            accounts,
            error.clone(),
            fallback,
        );
        // The audit record says who took over.
        let error = match fallback {
            Some(fallback) => format!("{error}; {fallback} took over"),
            None => error,
        };
        crate::audit::append(
            env.txn,
            env.now,
            None,
            AuditKind::ComponentFailed {
                arm: self.arm.to_owned(),
                component: self.component.to_owned(),
                name: self.name.to_owned(),
                accounts,
                error,
            },
        )?;
        Ok(())
    }
}

/// Stage selection, stage actions, the review transition and the contact steps due.
fn review_stage(
    env: &mut Env<'_>,
    review: &mut Review,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<(), CommandError> {
    let state = state_as_of(env.txn, env.policy, review, as_of)?;
    let extension = crate::queue::extension_requested(&*env.txn, review.account.id, as_of)?;
    let selected = select_stage(env, review, &state, (as_of, extension));
    enter_stage(review, selected.as_ref(), &state, as_of);
    let days_in_stage =
        review.case.stage_entered_on.map_or(0, |entered| (as_of - entered).num_days());
    if let Some(stage) = &selected {
        stage_actions(env, review, stage, &state, days_in_stage, as_of, report)?;
    }
    // Decided as a command is, as of the latest day the case was decided on: a cycle run late
    // for an earlier day (a payment in full dated after it already recorded) must not take the
    // state back in time (docs/COLLECTIONS.md, "The case").
    let decided_on = lifecycle::decision_date(&review.case, as_of);
    let state = state_as_of(env.txn, env.policy, review, decided_on)?;
    let before = review.case.state.clone();
    transit(env, review, &state, CollectionEvent::Review, decided_on)?;
    if review.case.state != before {
        report.transitions += 1;
    }
    review.steps = contact_steps(review, selected.as_ref(), days_in_stage);
    // The tone of each step's template, for strategies that choose by tone.
    for (_, step) in &mut review.steps {
        step.tone = env.policy.messages().template(&step.template).map(|template| template.tone);
    }
    Ok(())
}

/// The policy stage for the review: by specificity, from the ledger, the score band and the
/// signals (the case's, and unreturned calls: three or more attempts in 30 days without
/// reaching the debtor).
fn select_stage(
    env: &Env<'_>,
    review: &Review,
    state: &AccountState,
    (as_of, extension_requested): (NaiveDate, bool),
) -> Option<Stage> {
    let band = review.score.as_ref().map(|score| score.band.clone());
    let signals =
        signals(&review.case, &review.debtor, &review.features, as_of, extension_requested);
    lifecycle::select_stage(
        env.policy,
        &review.account,
        &review.debtor.jurisdiction,
        state,
        as_of,
        band.as_deref(),
        &signals,
    )
    .map(|(_, stage)| stage.clone())
}

/// The case enters the selected stage (its steps start again) or leaves every stage when
/// nothing is to be collected; the stage's credit hold follows.
fn enter_stage(
    review: &mut Review,
    selected: Option<&Stage>,
    state: &AccountState,
    as_of: NaiveDate,
) {
    let open = review.case.state.is_open() && state.charged_off_on.is_none()
        || matches!(review.case.state, CollectionState::ChargedOff);
    match (selected, open) {
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
}

/// The stage's actions: late fees (not in hardship or dispute), charge-off, placement and legal
/// referral after their days in the stage.
fn stage_actions(
    env: &mut Env<'_>,
    review: &mut Review,
    stage: &Stage,
    state: &AccountState,
    days_in_stage: i64,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<(), CommandError> {
    let protected =
        matches!(review.case.state, CollectionState::Hardship { .. } | CollectionState::Disputed);
    if stage.actions.late_fee && !protected && state.charged_off_on.is_none() {
        report.fees_assessed += assess_late_fees(env, review, state, as_of)?;
    }
    if stage.actions.charge_off && state.charged_off_on.is_none() {
        charge_off(env, review, as_of, report)?;
    }
    let state = state_as_of(env.txn, env.policy, review, as_of)?;
    // A recall in this stage is a person's decision that the policy does not undo: the
    // account is placed again by a command, or by a later stage's placement.
    let recalled_in_stage = review.case.recalled_on.is_some_and(|recalled_on| {
        review.case.stage_entered_on.is_some_and(|entered_on| entered_on <= recalled_on)
    });
    let placement_due = stage.actions.placement.as_ref().is_some_and(|placement| {
        days_in_stage >= i64::from(placement.after_days)
            && review.case.placement.is_none()
            && !recalled_in_stage
    });
    let legal_due = stage.actions.legal_after_days.is_some_and(|after_days| {
        days_in_stage >= i64::from(after_days)
            && !matches!(review.case.state, CollectionState::Legal)
    });
    if (placement_due || legal_due) && review.case.state == CollectionState::Current {
        // The stored state is the last review's: an account that fell past due since is
        // brought up to the ledger's state first (the review transition this review makes
        // anyway), so that a placement or referral due on its first review in the stage is
        // made that day, as a command dated then would be.
        transit(env, review, &state, CollectionEvent::Review, as_of)?;
        if review.case.state != CollectionState::Current {
            report.transitions += 1;
        }
    }
    if let Some(placement) = stage.actions.placement.as_ref().filter(|_| placement_due) {
        let event = CollectionEvent::Placed { agency: placement.agency.clone() };
        if transit(env, review, &state, event, as_of)? {
            report.transitions += 1;
            review.case.placement = Some(arrears_core::case::Placement {
                agency: placement.agency.clone(),
                placed_on: as_of,
                commission_rate: placement.commission_rate,
            });
        }
    }
    // (A placement just made does not make the case `legal`: `legal_due` still holds.)
    if legal_due {
        report.transitions += u64::from(refer_to_legal(env, review, &state, as_of, report)?);
    }
    Ok(())
}

/// The stage's legal referral, a suit: decided by the state machine, then, if it accepts, by
/// the compliance guardrails of the debtor's jurisdiction (`ActionKind::Suit`). A referral
/// they block leaves the case where it is; the block is counted in the report under its rule
/// and audited (`AuditKind::ActionBlocked`), and the next review asks again. Returns true if
/// and only if the case was referred.
fn refer_to_legal(
    env: &mut Env<'_>,
    review: &mut Review,
    state: &AccountState,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<bool, CommandError> {
    let event = CollectionEvent::LegalReferral;
    let jurisdiction = &review.debtor.jurisdiction;
    let accepted = lifecycle::gate(
        env.policy,
        &review.account,
        jurisdiction,
        &review.case,
        state,
        &event,
        as_of,
    )
    .is_ok();
    if !accepted {
        return Ok(false);
    }
    let packs = arrears_core::compliance::packs_for(jurisdiction, env.policy.creditor());
    let decision = crate::guardrails::suit_decision(&packs, &review.debtor, &review.case, as_of);
    if let Some(decision) = decision.filter(|decision| !decision.allowed) {
        let rule = decision.rule.unwrap_or_else(|| "unknown".to_owned());
        *report.referrals_blocked.entry(rule.clone()).or_insert(0) += 1;
        crate::audit::append(
            env.txn,
            env.now,
            Some(review.account.id),
            AuditKind::ActionBlocked {
                debtor: review.debtor.id,
                action: arrears_core::compliance::ActionKind::Suit,
                rule,
                on: as_of,
            },
        )?;
        return Ok(false);
    }
    transit(env, review, state, event, as_of)
}

/// The stage's contact steps due and not issued yet: only where collection is active and no
/// flag forbids contact (the compliance guardrails check every proposal again before it
/// reaches the outbox).
fn contact_steps(
    review: &Review,
    selected: Option<&Stage>,
    days_in_stage: i64,
) -> Vec<(u32, ContactStep)> {
    let flags = review.case.flags;
    let contactable = matches!(
        review.case.state,
        CollectionState::Current | CollectionState::Delinquent { .. } | CollectionState::ChargedOff
    ) && !flags.cease_communication
        && !flags.attorney_represented
        && !flags.bankruptcy_stay
        && !flags.bankruptcy_discharged
        && !flags.deceased;
    let mut steps = Vec::new();
    if let (Some(stage), true) = (selected, contactable) {
        for (index, contact) in stage.actions.contact.iter().enumerate() {
            let index = index as u32;
            if i64::from(contact.after_days) <= days_in_stage
                && !review.case.steps_issued.contains(&index)
            {
                steps.push((
                    index,
                    ContactStep {
                        channel: contact.channel,
                        template: contact.template.clone(),
                        tone: None,
                    },
                ));
            }
        }
    }
    steps
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
    let grace_days = u64::from(review.account.terms.grace_days);
    let mut late: Vec<(ObligationId, i64)> = Vec::new();
    for (id, obligation) in &state.obligations {
        let Some(record) = env.txn.obligation(*id)? else { continue };
        let principal_bearing = !matches!(
            record.kind,
            ObligationKind::Fee | ObligationKind::Interest | ObligationKind::Refund
        );
        let outstanding = obligation.outstanding_minor[Component::Principal.index()]
            + obligation.outstanding_minor[Component::Interest.index()];
        // A payment holiday defers what fell due before it ended: its clock restarts then.
        let late_from = match review.case.hardship_ended_on {
            Some(ended_on) if obligation.due_on < ended_on => ended_on,
            _ => obligation.due_on,
        };
        if principal_bearing
            && !obligation.disputed
            && outstanding > 0
            && days_after(late_from, grace_days) < as_of
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
        let mut charges = review.case.late_fee_charges.clone();
        let posted =
            cycle_ledger(env, review, as_of, kind, vec![new], CollectionEvent::ChargePosted)?;
        if let Some(fee) = posted.and_then(|posted| posted.obligation) {
            assessed += 1;
            charges.push(LateFeeCharge { obligation, fee, assessed_on: as_of, fee_minor });
            // Only recent fees stay linked: the case every payment reads stays small.
            let kept_from =
                arrears_core::dates::days_before(as_of, arrears_core::case::LATE_FEE_LINK_DAYS);
            charges.retain(|charge| charge.assessed_on >= kept_from);
        }
        review.case.late_fees_assessed = assessed_for;
        review.case.late_fee_charges = charges;
    }
    Ok(assessed)
}

/// A debtor's contact request, the debtor, its arm, and what the arm's strategy proposed for
/// it.
type Proposed = (ContactRequest, Debtor, String, Vec<ContactProposal>);

/// Asks each arm's strategy, in one call for all the batch's debtors of the arm that have
/// steps due, for their contacts: per debtor (in `by_debtor`'s order) its request and the
/// proposals for it, or `None` (no step due, or the strategy and its fallback failed).
/// A proposal for a debtor the call did not ask about is refused here.
fn propose_all(
    engine: &Parts<'_>,
    env: &mut Env<'_>,
    by_debtor: &[Vec<Review>],
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<Vec<Option<Proposed>>, CycleError> {
    let mut by_arm: BTreeMap<String, Vec<(usize, ContactRequest, Debtor)>> = BTreeMap::new();
    for (index, reviews) in by_debtor.iter().enumerate() {
        if let Some((request, arm, debtor)) = contact_request(env, reviews, as_of)? {
            by_arm.entry(arm).or_default().push((index, request, debtor));
        }
    }
    let mut proposed: Vec<Option<Proposed>> = by_debtor.iter().map(|_| None).collect();
    for (arm, asked) in by_arm {
        let requests: Vec<ContactRequest> =
            asked.iter().map(|(_, request, _)| request.clone()).collect();
        let Some(proposals) = propose(engine, env, &requests, &arm, report)? else { continue };
        let mut slots: BTreeMap<arrears_core::ids::DebtorId, usize> = BTreeMap::new();
        for (index, request, debtor) in asked {
            slots.insert(debtor.id, index);
            proposed[index] = Some((request, debtor, arm.clone(), Vec::new()));
        }
        for proposal in proposals {
            match slots.get(&proposal.debtor).and_then(|index| proposed[*index].as_mut()) {
                Some((_, _, _, proposals)) => proposals.push(proposal),
                None => report.proposals_refused += 1,
            }
        }
    }
    Ok(proposed)
}

/// A debtor's contact request, the debtor, its arm (for the arm's house style), and the
/// payment link hook, for writing actions.
#[derive(Clone, Copy)]
struct Asked<'a> {
    request: &'a ContactRequest,
    debtor: &'a Debtor,
    arm: Option<&'a arrears_core::policy::Arm>,
    hook: Option<&'a dyn crate::messages::PaymentLinks>,
}

/// Writes the accepted ones of a debtor's proposed contacts to the outbox.
fn contact(
    env: &mut Env<'_>,
    reviews: &mut [Review],
    asked: Asked<'_>,
    proposals: Vec<ContactProposal>,
    as_of: NaiveDate,
    report: &mut CycleReport,
) -> Result<u64, CycleError> {
    if proposals.is_empty() {
        return Ok(0);
    }
    let mut disposer = Disposer::new(env, asked.debtor, asked.request, reviews)?;
    let mut written = 0;
    for proposal in proposals {
        let Some(proposal) = disposer.dispose(env, proposal, as_of, report)? else { continue };
        written += u64::from(write_action(env, reviews, asked, &proposal, as_of)?);
        mark_steps_issued(reviews, &proposal);
    }
    Ok(written)
}

/// One request for a debtor: all the debtor's accounts with steps due (most past due first
/// for the steps' order), the lowest score among them, the debtor's contact points, time zones
/// and history; `None` if no account has a step due. Also the arm of the first such account,
/// and the debtor.
fn contact_request(
    env: &Env<'_>,
    reviews: &[Review],
    as_of: NaiveDate,
) -> Result<Option<(ContactRequest, String, Debtor)>, CommandError> {
    let with_steps: Vec<&Review> =
        reviews.iter().filter(|review| !review.steps.is_empty()).collect();
    let Some(first) = with_steps.first() else { return Ok(None) };
    let debtor = &first.debtor;
    let mut ordered = with_steps.clone();
    ordered.sort_by_key(|review| std::cmp::Reverse(review.features.days_past_due));
    let mut steps: Vec<ContactStep> = Vec::new();
    for review in &ordered {
        for (_, step) in &review.steps {
            if !steps.contains(step) {
                steps.push(step.clone());
            }
        }
    }
    let score = with_steps
        .iter()
        .filter_map(|review| review.score.clone())
        .min_by(|a, b| a.points.total_cmp(&b.points));
    let request = ContactRequest {
        debtor: debtor.id,
        accounts: with_steps.iter().map(|review| review.account.id).collect(),
        as_of,
        steps,
        contact_points: debtor.contact_points.clone(),
        time_zones: debtor.time_zones.clone(),
        score,
        history: env.txn.contacts(debtor.id)?,
    };
    Ok(Some((request, first.case.arm.clone(), debtor.clone())))
}

/// The arm's strategy's proposals for the requests, in one call; `None` if the strategy (and
/// its fallback, if the arm names one) failed (counted and audited as a component failure).
fn propose(
    engine: &Parts<'_>,
    env: &mut Env<'_>,
    requests: &[ContactRequest],
    arm_name: &str,
    report: &mut CycleReport,
) -> Result<Option<Vec<ContactProposal>>, CycleError> {
    let arm = env.policy.arms().iter().find(|arm| arm.name == arm_name);
    let strategy_name = arm
        .and_then(|arm| arm.strategy.clone())
        .unwrap_or_else(|| crate::context::DEFAULT_STRATEGY.to_owned());
    let fallback = arm.and_then(|arm| arm.strategy_fallback.clone());
    let accounts = requests.iter().map(|request| request.accounts.len() as u64).sum();
    let error = match resolved(&engine.components.strategies, arm_name, "strategy", &strategy_name)?
        .propose_batch(requests)
    {
        Ok(proposals) => return Ok(Some(proposals)),
        Err(error) => error.to_string(),
    };
    let failed = Failed { arm: arm_name, component: "strategy", name: &strategy_name };
    failed.record(env, accounts, error, fallback.as_deref(), report)?;
    let Some(fallback) = fallback else { return Ok(None) };
    match resolved(&engine.components.strategies, arm_name, "strategy_fallback", &fallback)?
        .propose_batch(requests)
    {
        Ok(proposals) => Ok(Some(proposals)),
        Err(error) => {
            let failed = Failed { arm: arm_name, component: "strategy_fallback", name: &fallback };
            failed.record(env, accounts, error.to_string(), None, report)?;
            Ok(None)
        }
    }
}

/// The engine disposing of one debtor's proposals, in order: what it has admitted so far
/// counts in the guardrails' history and in the outstanding actions of the next ones.
struct Disposer<'r> {
    request: &'r ContactRequest,
    debtor: &'r Debtor,
    packs: Vec<compliance::Pack>,
    history: Vec<compliance::HistoryEntry>,
    outstanding: Vec<(ContactChannel, Vec<AccountId>)>,
    /// The reviewed cases, by account: a proposal meets the flags of the cases of its own
    /// accounts (a dispute or a cease on one debt does not stop contact about another).
    cases: Vec<(AccountId, CollectionCase)>,
    channels_used: BTreeSet<ContactChannel>,
    /// The debtor's experience budget: its segment and contacts a week, if the policy has one.
    budget: Option<(String, u32)>,
}

impl<'r> Disposer<'r> {
    fn new(
        env: &Env<'_>,
        debtor: &'r Debtor,
        request: &'r ContactRequest,
        reviews: &[Review],
    ) -> Result<Disposer<'r>, CommandError> {
        let actions = env.txn.actions_of(debtor.id)?;
        let history = crate::guardrails::history(debtor, request.history.clone(), actions.clone());
        let outstanding = actions
            .into_iter()
            .filter(|action| matches!(action.status, ActionStatus::Pending))
            .map(|action| (action.channel, action.accounts))
            .collect();
        Ok(Disposer {
            request,
            debtor,
            packs: compliance::packs_for(&debtor.jurisdiction, env.policy.creditor()),
            history,
            outstanding,
            cases: reviews.iter().map(|review| (review.account.id, review.case.clone())).collect(),
            channels_used: BTreeSet::new(),
            budget: budget_of(env, reviews),
        })
    }

    /// The proposal as the engine admits it (perhaps moved to the next instant the guardrails
    /// allow), or `None`: refused as malformed, deferred behind a pending action on the same
    /// channel, or blocked (audited).
    fn dispose(
        &mut self,
        env: &mut Env<'_>,
        mut proposal: ContactProposal,
        as_of: NaiveDate,
        report: &mut CycleReport,
    ) -> Result<Option<ContactProposal>, CommandError> {
        if !with_tone(self.request, &mut proposal)
            || !acceptable(self.request, &proposal, as_of)
            || !self.channels_used.insert(proposal.channel)
        {
            report.proposals_refused += 1;
            return Ok(None);
        }
        // One outstanding action per channel and account: a pending call may turn out to be a
        // conversation, after which another call would break a cool-down.
        let pending_same = self.outstanding.iter().any(|(channel, accounts)| {
            *channel == proposal.channel
                && accounts.iter().any(|account| proposal.accounts.contains(account))
        });
        if pending_same {
            report.deferred += 1;
            return Ok(None);
        }
        // The guardrails: every proposal, from any strategy, built in or plugged in.
        let cases = self
            .cases
            .iter()
            .filter(|(account, _)| proposal.accounts.contains(account))
            .map(|(_, case)| case);
        let flags = crate::guardrails::flags(self.debtor, cases);
        let decision =
            guardrail_decision(&self.packs, self.debtor, &proposal, &self.history, &flags);
        if !decision.allowed {
            let horizon = days_after(as_of, RESCHEDULE_DAYS_MAX);
            match decision.next_allowed_at {
                Some(next) if next.date_naive() <= horizon => {
                    proposal.at = next;
                    report.rescheduled += 1;
                }
                _ => {
                    self.block(env, &proposal, decision, report)?;
                    return Ok(None);
                }
            }
        }
        if let Some((segment, allowed)) = self.over_budget(&proposal) {
            // The lower of the law's caps (the guardrails above) and the budget applies.
            let decision = compliance::Decision {
                allowed: false,
                rule: Some(EXPERIENCE_RULE.to_owned()),
                reason: format!("segment {segment:?} allows {allowed} contacts in 7 days"),
                next_allowed_at: None,
                also_blocked_by: Vec::new(),
            };
            self.block(env, &proposal, decision, report)?;
            return Ok(None);
        }
        self.history.push(crate::guardrails::planned(
            self.debtor,
            proposal.at,
            &proposal.accounts,
            proposal.channel,
            &proposal.address,
        ));
        self.outstanding.push((proposal.channel, proposal.accounts.clone()));
        Ok(Some(proposal))
    }

    /// Whether the proposal would give the debtor more contacts than the experience budget
    /// allows in 7 days: outbound contacts (acknowledged, pending, or
    /// admitted in this review) less than 7 days before or after it, a conservative count of
    /// every 7-day window that holds it.
    /// Returns the debtor's segment and budget when it would be exceeded.
    fn over_budget(&self, proposal: &ContactProposal) -> Option<(String, u32)> {
        let (segment, allowed) = self.budget.as_ref()?;
        let week = chrono::Duration::days(7);
        let used = self
            .history
            .iter()
            .filter(|entry| entry.direction == compliance::Direction::Outbound)
            .filter(|entry| (entry.at - proposal.at).abs() < week)
            .count();
        (used >= *allowed as usize).then(|| (segment.clone(), *allowed))
    }

    /// Counts a blocked proposal under its rule and audits it.
    fn block(
        &self,
        env: &mut Env<'_>,
        proposal: &ContactProposal,
        decision: compliance::Decision,
        report: &mut CycleReport,
    ) -> Result<(), CommandError> {
        let rule = decision.rule.unwrap_or_else(|| "unknown".to_owned());
        *report.blocked.entry(rule.clone()).or_insert(0) += 1;
        crate::audit::append(
            env.txn,
            env.now,
            proposal.accounts.first().copied(),
            AuditKind::ContactBlocked {
                debtor: self.debtor.id,
                channel: proposal.channel,
                template: proposal.template.clone(),
                rule,
                next_allowed_at: decision.next_allowed_at,
            },
        )?;
        Ok(())
    }
}

/// The rule an over-budget proposal is blocked under (docs/MESSAGES.md, "Experience budget").
pub(crate) const EXPERIENCE_RULE: &str = "experience.contacts_per_week";

/// The debtor's segment and budget, from its most past-due reviewed account: its product,
/// score band and months on book.
fn budget_of(env: &Env<'_>, reviews: &[Review]) -> Option<(String, u32)> {
    let first = reviews.iter().max_by_key(|review| review.features.days_past_due)?;
    let band = first.score.as_ref().map(|score| score.band.as_str());
    env.policy
        .messages()
        .experience
        .for_debtor(
            first.account.product,
            band,
            i64::from(crate::lifecycle::months_between(
                first.account.opened_on,
                first.features.as_of,
            )),
        )
        .map(|(segment, allowed)| (segment.to_owned(), allowed))
}

/// Writes an admitted proposal to the outbox under its deterministic id, with its payment
/// link and its rendered message; true if and only if it was not there yet (a resumed cycle
/// finds the actions it already wrote).
fn write_action(
    env: &mut Env<'_>,
    reviews: &[Review],
    asked: Asked<'_>,
    proposal: &ContactProposal,
    as_of: NaiveDate,
) -> Result<bool, CommandError> {
    let debtor = asked.debtor.id;
    let id = action_id(as_of, debtor, proposal);
    if env.txn.action(id)?.is_some() {
        return Ok(false);
    }
    let written = super::message::message_for(
        env,
        reviews,
        (asked.debtor, asked.arm),
        proposal,
        id,
        asked.hook,
    )?;
    let seq = env.txn.next_id(arrears_store::Sequence::Action)?;
    env.txn.put_action(&Action {
        id,
        debtor,
        accounts: proposal.accounts.clone(),
        channel: proposal.channel,
        address: proposal.address.clone(),
        // The template written: the step's, or the arm's house template for its tone.
        template: written.template.unwrap_or_else(|| proposal.template.clone()),
        scheduled_at: proposal.at,
        created_for: as_of,
        status: ActionStatus::Pending,
        claim: None,
        sent_at: None,
        seq,
        message: written.message,
        payment_link: written.payment_link,
        invoice: written.invoice,
    })?;
    Ok(true)
}

/// Marks the steps an admitted proposal covers as issued on its accounts' cases.
fn mark_steps_issued(reviews: &mut [Review], proposal: &ContactProposal) {
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
    let mut next = days_after(as_of, u64::from(days.max(1)));
    let tomorrow = days_after(as_of, 1);
    let mut consider = |date: NaiveDate| {
        if date > as_of && date < next {
            next = date.max(tomorrow);
        }
    };
    let state = state_as_of(txn, policy, review, as_of)?;
    let earliest_reminder =
        policy.stages().iter().map(|stage| stage.conditions.min_dpd).min().unwrap_or(1).min(1);
    for obligation in state.obligations.values().filter(|obligation| obligation.total_minor() > 0) {
        consider(days_after(obligation.due_on, 1));
        if earliest_reminder < 0 {
            consider(days_before(obligation.due_on, earliest_reminder.unsigned_abs()));
        }
    }
    if policy.messages().invoice.is_some() {
        // An invoice issued ahead is sent on its issue date.
        let all = txn.account_state(&review.account, None)?;
        for obligation in all.obligations.values() {
            consider(obligation.issued_on);
        }
    }
    if let Some(promise) = &review.case.promise {
        for payment in &promise.payments {
            consider(days_after(payment.on, u64::from(promise.grace_days) + 1));
        }
    }
    if let Some(plan) = &review.case.plan {
        // An installment is missed the day after its due date plus the grace days.
        for obligation in plan.installments.iter().filter_map(|id| state.obligations.get(id)) {
            if obligation.total_minor() > 0 {
                consider(days_after(obligation.due_on, u64::from(plan.grace_days) + 1));
            }
        }
    }
    if let CollectionState::Hardship { until } = review.case.state {
        consider(days_after(until, 1));
    }
    if let Some(stage) = review.case.stage.as_deref().and_then(|name| policy.stage(name)) {
        let entered = review.case.stage_entered_on.unwrap_or(as_of);
        for step in &stage.actions.contact {
            consider(days_after(entered, u64::from(step.after_days)));
        }
    }
    Ok(next)
}
