//! The collection commands: promises, plans, settlements, disputes, hardship, placement,
//! legal, flags, close and reopen. Each goes through the state machine's door
//! (`lifecycle`) and is checked completely before it writes anything.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use arrears_core::case::{
    ActionStatus, CancelReason, CollectionCase, ForbearanceMeasure, ForbearanceRecord, PlanRecord,
    PromiseRecord, SettlementRecord, StatedCapacity,
};
use arrears_core::collection::CollectionEvent;
use arrears_core::dates::days_after;
use arrears_core::ids::{AccountId, DebtorId, ObligationId};
use arrears_core::ledger::{replay, Event, EventKind, PlannedInstallment};
use arrears_core::model::{Account, ObligationKind};
use arrears_core::money::{Money, RoundingRule};
use arrears_core::plan::{
    check_affordable, check_debtor_capacity, check_promise, min_share_minor,
    monthly_equivalent_minor, quote, PromisedPayment, QuoteRequest,
};
use arrears_store::{AccountRecord, Reads};

use crate::command::{CaseChanged, Flag, NewPlan, Outcome, PolicyRefusal, PromiseLine, Rejection};
use crate::context::{jurisdiction_of, load_account, load_account_record, minor, text, Env};
use crate::error::CommandError;
use crate::ledger_write::{prepare, write, NewObligation, Prepared};
use crate::lifecycle::{
    apply, before_opened, case_event, case_event_guarded, decision_date, follow_up, gate,
    load_case, settle_agreements,
};

fn refused_by(refusal: PolicyRefusal) -> Outcome {
    Outcome::Rejected(Rejection::Policy(refusal))
}

/// What a new commitment replaces on its own account, and so leaves out of the count.
#[derive(Clone, Copy)]
enum Replaces {
    /// A plan replaces the account's plan (a restructuring) and its open promise.
    PlanAndPromise,
    /// A promise joins the account's open promise, which still counts.
    Nothing,
    /// A settlement offer replaces the account's settlement.
    Settlement,
}

/// The debtor's capacity to pay and open commitments in one currency (issue 14 point 8:
/// capacity to pay is the debtor's, not the account's).
struct DebtorCommitments {
    /// The capacity the debtor last stated with a plan on an account in the currency.
    capacity: Option<StatedCapacity>,
    /// Every open commitment a month: each plan's level installment as a monthly
    /// equivalent, each open promise's unpaid dated amounts and each open settlement's amount
    /// in full (due within the month, as the policy's limits on their dates make them).
    committed_minor: i64,
}

/// The debtor's commitments on every account in `account`'s currency, leaving out what the new
/// commitment on `account` replaces.
fn debtor_commitments(
    env: &Env<'_>,
    account: &Account,
    replaces: Replaces,
) -> Result<DebtorCommitments, CommandError> {
    let mut capacity: Option<StatedCapacity> = None;
    let mut committed_minor = 0_i64;
    for account_id in env.txn.accounts_of(account.debtor)? {
        let other = load_account(env.txn, account_id)?;
        if other.currency != account.currency {
            continue;
        }
        let Some(case) = env.txn.case(account_id)? else { continue };
        if let Some(stated) = case.capacity {
            // Every case of the debtor carries the latest statement, except those opened or
            // written before it: the most recent wins.
            if capacity.is_none_or(|known| known.stated_on < stated.stated_on) {
                capacity = Some(stated);
            }
        }
        let own = account_id == account.id;
        if let Some(plan) = &case.plan {
            if !(own && matches!(replaces, Replaces::PlanAndPromise)) {
                committed_minor = committed_minor.saturating_add(plan_monthly_minor(plan));
            }
        }
        if let Some(promise) = &case.promise {
            if !(own && matches!(replaces, Replaces::PlanAndPromise)) {
                let promised: i64 = promise.payments.iter().map(|line| line.amount_minor).sum();
                committed_minor = committed_minor.saturating_add(promised);
            }
        }
        if let Some(settlement) = &case.settlement {
            if !(own && matches!(replaces, Replaces::Settlement)) {
                committed_minor = committed_minor.saturating_add(settlement.amount_minor);
            }
        }
    }
    Ok(DebtorCommitments { capacity, committed_minor })
}

/// A plan's monthly cost: its level installment (the total over the installments, rounded up)
/// as a monthly equivalent.
fn plan_monthly_minor(plan: &PlanRecord) -> i64 {
    let count = i64::try_from(plan.installments.len().max(1)).unwrap_or(i64::MAX);
    let level_minor = plan.total_minor.saturating_add(count - 1) / count;
    monthly_equivalent_minor(level_minor, plan.frequency)
}

/// Refuses a promise or settlement of `asked_minor` that the debtor's last stated capacity
/// cannot carry with the debtor's other commitments; a debtor who never stated a capacity
/// (no plan was ever created for the debtor in the currency) is not capped.
fn over_capacity(
    env: &Env<'_>,
    account: &Account,
    replaces: Replaces,
    asked_minor: i64,
) -> Result<Option<Outcome>, CommandError> {
    let commitments = debtor_commitments(env, account, replaces)?;
    let Some(capacity) = commitments.capacity else { return Ok(None) };
    let share = env.policy.plan().affordable_share;
    Ok(check_debtor_capacity(
        capacity.disposable_minor(),
        share,
        commitments.committed_minor,
        asked_minor,
    )
    .err()
    .map(|unaffordable| refused_by(PolicyRefusal::PlanUnaffordable(unaffordable))))
}

pub(crate) fn promise(
    env: &mut Env<'_>,
    account_id: AccountId,
    made_on: NaiveDate,
    lines: &[PromiseLine],
) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, account_id)?;
    if let Some(rejection) = before_opened(&account, made_on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let mut payments = Vec::with_capacity(lines.len());
    for line in lines {
        payments.push(PromisedPayment {
            on: line.on,
            amount_minor: minor("payments.amount", &line.amount, account.currency)?,
        });
    }
    let rules = *env.policy.promise();
    let state = env.txn.account_state(&account, Some(made_on))?;
    let past_due = state.past_due_minor(made_on);
    if let Err(refused) =
        check_promise(&payments, made_on, past_due, rules.max_days_out, rules.min_share)
    {
        return Ok(refused_by(PolicyRefusal::Promise(refused)));
    }
    let grace_days = rules.grace_days;
    // One open promise at a time when the policy says so; with a higher `max_open`, the new
    // dated amounts join the open promise, which is kept only when all are.
    let open = load_case(env.txn, env.policy, &account)?.promise;
    if let Some(open) = &open {
        if rules.max_open <= 1 {
            return Ok(refused_by(PolicyRefusal::PromiseOpen { made_on: open.made_on }));
        }
        let (asked, allowed) = (open.payments.len() + payments.len(), rules.max_open as usize * 8);
        if asked > allowed {
            return Ok(refused_by(PolicyRefusal::PromiseAmounts { asked, allowed }));
        }
    }
    let asked_minor: i64 = payments.iter().map(|line| line.amount_minor).sum();
    if let Some(refused) = over_capacity(env, &account, Replaces::Nothing, asked_minor)? {
        return Ok(refused);
    }
    case_event(env, account_id, made_on, CollectionEvent::PromiseMade, |case| {
        let mut all = open.map(|open| open.payments).unwrap_or_default();
        let first_made_on = case.promise.as_ref().map_or(made_on, |open| open.made_on.min(made_on));
        all.extend(payments);
        case.promise = Some(PromiseRecord { made_on: first_made_on, payments: all, grace_days });
    })
}

pub(crate) fn create_plan(env: &mut Env<'_>, new: &NewPlan) -> Result<Outcome, CommandError> {
    let record = load_account_record(env.txn, new.account)?;
    let AccountRecord { account, debtor_jurisdiction } = &*record;
    if let Some(rejection) = before_opened(account, new.created_on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let jurisdiction = jurisdiction_of(env.txn, account, debtor_jurisdiction.as_ref())?;
    let income = minor("monthly_income", &new.monthly_income, account.currency)?;
    let expenses = minor("monthly_expenses", &new.monthly_expenses, account.currency)?;
    let rules = env.policy.plan().clone();
    if new.installments > rules.max_installments {
        return Ok(refused_by(PolicyRefusal::PlanInstallments {
            asked: new.installments,
            allowed: rules.max_installments,
        }));
    }
    if !rules.frequencies.contains(&new.frequency) {
        return Ok(refused_by(PolicyRefusal::PlanFrequency { frequency: new.frequency }));
    }
    if new.annual_rate > rules.max_annual_rate {
        return Ok(refused_by(PolicyRefusal::PlanRate {
            asked: new.annual_rate,
            allowed: rules.max_annual_rate,
        }));
    }
    let state = env.txn.account_state(account, Some(new.created_on))?;
    let replaces: Vec<ObligationId> = state
        .obligations
        .values()
        .filter(|obligation| !obligation.disputed && obligation.total_minor() > 0)
        .map(|obligation| obligation.id)
        .collect();
    let balance_minor: i64 =
        replaces.iter().filter_map(|id| state.obligations.get(id)).map(|o| o.total_minor()).sum();
    let request = QuoteRequest {
        balance_minor,
        currency: account.currency,
        annual_rate: new.annual_rate,
        installments: new.installments,
        frequency: new.frequency,
        first_due: new.first_due,
        rounding: RoundingRule::HalfEven,
    };
    let schedule = match quote(&request) {
        Ok(schedule) => schedule,
        Err(error) => return Ok(refused_by(PolicyRefusal::PlanQuote(error))),
    };
    // A minimum only in the currencies the policy states one for.
    let min_installment = match rules.min_installment.in_currency(account.currency) {
        Some(figure) => Money::new(figure, account.currency).to_minor().unwrap_or(i64::MAX),
        None => 0,
    };
    if schedule.level_minor < min_installment {
        return Ok(refused_by(PolicyRefusal::PlanMinInstallment {
            installment_minor: schedule.level_minor,
            min_minor: min_installment,
        }));
    }
    if let Err(unaffordable) = check_affordable(
        income,
        expenses,
        schedule.level_minor,
        new.frequency,
        rules.affordable_share,
    ) {
        return Ok(refused_by(PolicyRefusal::PlanUnaffordable(unaffordable)));
    }
    // The stated income and expenses are the debtor's capacity now, for every commitment.
    let commitments = debtor_commitments(env, account, Replaces::PlanAndPromise)?;
    if let Err(unaffordable) = check_debtor_capacity(
        income.saturating_sub(expenses),
        rules.affordable_share,
        commitments.committed_minor,
        monthly_equivalent_minor(schedule.level_minor, new.frequency),
    ) {
        return Ok(refused_by(PolicyRefusal::PlanUnaffordable(unaffordable)));
    }
    let mut case = load_case(env.txn, env.policy, account)?;
    let as_of = decision_date(&case, new.created_on);
    let transition = match gate(
        env.policy,
        account,
        &jurisdiction,
        &case,
        &state,
        &CollectionEvent::PlanCreated,
        as_of,
    ) {
        Ok(transition) => transition,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    let installments: Vec<PlannedInstallment> = schedule
        .installments
        .iter()
        .map(|installment| PlannedInstallment {
            obligation: ObligationId(0),
            due_on: installment.due_on,
            principal_minor: installment.principal_minor,
            interest_minor: installment.interest_minor,
        })
        .collect();
    let new_obligations = schedule
        .installments
        .iter()
        .map(|installment| NewObligation {
            external_ref: None,
            kind: ObligationKind::Installment,
            due_on: installment.due_on,
            amounts_minor: [installment.principal_minor, installment.interest_minor, 0],
        })
        .collect();
    let kind = EventKind::Reschedule { replaces, installments };
    let prepared: Prepared<'_> =
        match prepare(env.txn, account, new.created_on, kind, new_obligations)? {
            Ok(prepared) => prepared,
            Err(rejection) => return Ok(Outcome::Rejected(rejection)),
        };
    let first_installment = match &prepared.event().kind {
        EventKind::Reschedule { installments, .. } => {
            installments.iter().map(|i| i.obligation).collect()
        }
        _ => Vec::new(),
    };
    let posted = write(env.txn, env.now, env.key, prepared)?;
    let (from, to) =
        apply(env.txn, env.now, &mut case, transition, &CollectionEvent::PlanCreated, as_of)?;
    case.plan = Some(PlanRecord {
        created_on: new.created_on,
        frequency: new.frequency,
        installments: first_installment,
        total_minor: schedule.total_minor,
        missed: 0,
        default_after_missed: rules.default_after_missed,
        grace_days: account.terms.grace_days.into(),
    });
    case.promise = None;
    // A plan reschedules the debt (a longer term, instalments deferred): forbearance.
    record_forbearance(&mut case, new.created_on, ForbearanceMeasure::Plan);
    // A plan dated before a late fee's assessment replaced the late obligation before the fee
    // fell due: the cycle would not have charged it (docs/COLLECTIONS.md, step 4).
    if case.late_fee_charges.iter().any(|charge| new.created_on < charge.assessed_on) {
        crate::lifecycle::reverse_unearned_late_fees(env, account, &mut case, new.created_on)?;
    }
    let capacity = StatedCapacity {
        stated_on: new.created_on,
        monthly_income_minor: income,
        monthly_expenses_minor: expenses,
    };
    case.capacity = Some(capacity);
    env.txn.put_case(&case)?;
    // The statement is the debtor's: every case of the debtor in the currency carries it, so
    // that the latest statement is the one every later commitment is checked against.
    for account_id in env.txn.accounts_of(account.debtor)? {
        if account_id == account.id
            || load_account(env.txn, account_id)?.currency != account.currency
        {
            continue;
        }
        if let Some(mut other) = env.txn.case(account_id)? {
            other.capacity = Some(capacity);
            env.txn.put_case(&other)?;
        }
    }
    Ok(Outcome::Cases(vec![CaseChanged {
        account: account.id,
        from: from.to_owned(),
        to: to.to_owned(),
        posted: vec![posted],
    }]))
}

pub(crate) fn offer_settlement(
    env: &mut Env<'_>,
    account_id: AccountId,
    offered_on: NaiveDate,
    amount: &Money,
) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, account_id)?;
    if let Some(rejection) = before_opened(&account, offered_on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let amount_minor = minor("amount", amount, account.currency)?;
    let case = load_case(env.txn, env.policy, &account)?;
    let state = env.txn.account_state(&account, Some(offered_on))?;
    let owed = state.total_outstanding_minor();
    let rules = env.policy.settlement().clone();
    let share = if state.charged_off_on.is_some() {
        rules.charged_off_min_share
    } else {
        case.stage.as_deref().and_then(|stage| rules.min_share_for_stage(stage))
    };
    let Some(share) = share else {
        let stage = if state.charged_off_on.is_some() {
            "charged_off"
        } else {
            case.stage.as_deref().unwrap_or("none")
        };
        return Ok(refused_by(PolicyRefusal::SettlementNotOffered { stage: stage.to_owned() }));
    };
    let min_minor = min_share_minor(owed, share);
    if amount_minor < min_minor || amount_minor <= 0 {
        return Ok(refused_by(PolicyRefusal::SettlementShare {
            offered_minor: amount_minor,
            min_minor,
            share,
            owed_minor: owed,
        }));
    }
    if amount_minor >= owed {
        return Ok(refused_by(PolicyRefusal::SettlementNotLess {
            offered_minor: amount_minor,
            owed_minor: owed,
        }));
    }
    if let Some(refused) = over_capacity(env, &account, Replaces::Settlement, amount_minor)? {
        return Ok(refused);
    }
    let expires_on = days_after(offered_on, u64::from(rules.offer_expiry_days));
    case_event(env, account_id, offered_on, CollectionEvent::SettlementOffered, |case| {
        case.settlement =
            Some(SettlementRecord { offered_on, amount_minor, expires_on, accepted_on: None });
        // An offer to forgive part of the debt: forbearance.
        record_forbearance(case, offered_on, ForbearanceMeasure::Settlement);
    })
}

pub(crate) fn accept_settlement(
    env: &mut Env<'_>,
    account_id: AccountId,
    accepted_on: NaiveDate,
) -> Result<Outcome, CommandError> {
    let record = load_account_record(env.txn, account_id)?;
    let AccountRecord { account, debtor_jurisdiction } = &*record;
    if let Some(rejection) = before_opened(account, accepted_on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let case = load_case(env.txn, env.policy, account)?;
    let Some(settlement) = case.settlement.clone() else {
        return Ok(refused_by(PolicyRefusal::NoSettlementOffer));
    };
    if settlement.accepted_on.is_some() {
        return Ok(refused_by(PolicyRefusal::SettlementAccepted));
    }
    if accepted_on > settlement.expires_on || accepted_on < settlement.offered_on {
        return Ok(refused_by(PolicyRefusal::SettlementExpired {
            offered_on: settlement.offered_on,
            expires_on: settlement.expires_on,
            asked_on: accepted_on,
        }));
    }
    let outcome =
        case_event(env, account_id, accepted_on, CollectionEvent::SettlementAccepted, |case| {
            if let Some(settlement) = case.settlement.as_mut() {
                settlement.accepted_on = Some(accepted_on);
            }
        })?;
    if !outcome.is_rejected() {
        let jurisdiction = jurisdiction_of(env.txn, account, debtor_jurisdiction.as_ref())?;
        let mut case = load_case(env.txn, env.policy, account)?;
        let as_of = decision_date(&case, accepted_on);
        settle_agreements(env, account, &jurisdiction, &mut case, as_of)?;
        env.txn.put_case(&case)?;
    }
    Ok(outcome)
}

pub(crate) fn open_dispute(
    env: &mut Env<'_>,
    account_id: AccountId,
    obligations: &[ObligationId],
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    let record = load_account_record(env.txn, account_id)?;
    let state = env.txn.account_state(&record.account, None)?;
    let targets: Vec<ObligationId> = if obligations.is_empty() {
        state
            .obligations
            .values()
            .filter(|obligation| {
                !obligation.disputed && obligation.total_minor() > 0 && obligation.issued_on <= on
            })
            .map(|obligation| obligation.id)
            .collect()
    } else {
        obligations.to_vec()
    };
    dispute_all(env, &record, &targets, true, on, CollectionEvent::DisputeOpened)
}

/// A dispute the debtor raised in a contact (an acknowledged action's, a call-in's): each of
/// `accounts` is disputed on `on`, whole. A refusal (already disputed, nothing owed) writes
/// nothing and is not an error. Returns the accounts disputed.
pub(crate) fn dispute_raised(
    env: &mut Env<'_>,
    accounts: &[AccountId],
    on: NaiveDate,
) -> Result<Vec<AccountId>, CommandError> {
    let mut disputed = Vec::new();
    for account in accounts {
        if !open_dispute(env, *account, &[], on)?.is_rejected() {
            disputed.push(*account);
        }
    }
    Ok(disputed)
}

pub(crate) fn resolve_dispute(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    let record = load_account_record(env.txn, account_id)?;
    let state = env.txn.account_state(&record.account, None)?;
    let targets: Vec<ObligationId> = state
        .obligations
        .values()
        .filter(|obligation| obligation.disputed)
        .map(|obligation| obligation.id)
        .collect();
    dispute_all(env, &record, &targets, false, on, CollectionEvent::DisputeResolved)
}

/// Disputes or undisputes obligations and moves the case, all checked before anything is
/// written.
fn dispute_all(
    env: &mut Env<'_>,
    record: &AccountRecord,
    targets: &[ObligationId],
    disputed: bool,
    on: NaiveDate,
    event: CollectionEvent,
) -> Result<Outcome, CommandError> {
    let account = &record.account;
    if let Some(rejection) = before_opened(account, on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let jurisdiction = jurisdiction_of(env.txn, account, record.debtor_jurisdiction.as_ref())?;
    let mut case = load_case(env.txn, env.policy, account)?;
    let as_of = decision_date(&case, on);
    let mut events = crate::ledger_write::load_events(env.txn, account)?;
    // Check every ledger event on the account as it will be, one after the other.
    for obligation in targets {
        let state = replay(account, &events, None).state;
        let kind = EventKind::Dispute { obligation: *obligation, disputed };
        if let Err(rejection) = arrears_core::ledger::check(account, &state, on, &kind) {
            return Ok(Outcome::Rejected(rejection.into()));
        }
        let seq = arrears_core::ids::EventSeq(
            events.iter().map(|event| event.seq.0).max().unwrap_or(0) + 1,
        );
        events.push(Event { seq, effective_on: on, kind });
    }
    let state = replay(account, &events, Some(as_of)).state;
    let transition = match gate(env.policy, account, &jurisdiction, &case, &state, &event, as_of) {
        Ok(transition) => transition,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    let mut posted = Vec::new();
    for obligation in targets {
        posted.push(follow_up(
            env,
            account,
            on,
            EventKind::Dispute { obligation: *obligation, disputed },
        )?);
    }
    let (from, to) = apply(env.txn, env.now, &mut case, transition, &event, as_of)?;
    env.txn.put_case(&case)?;
    if matches!(case.state, arrears_core::collection::CollectionState::Disputed) {
        // Collection of the disputed debt stops until verification (12 CFR 1006.38(d)(2);
        // FDCPA 1692g(b)), and the guardrails block contact about it from now on: what is
        // queued about it must not go out either. Actions reported sent stay (they went out).
        cancel_pending(env, account.debtor, |action| {
            action.accounts.contains(&account.id).then_some(CancelReason::Disputed)
        })?;
    }
    Ok(Outcome::Cases(vec![CaseChanged {
        account: account.id,
        from: from.to_owned(),
        to: to.to_owned(),
        posted,
    }]))
}

/// Reverses the account's charge-off: a `charge_off_reversed` ledger event on the charge-off's
/// date (the receivable re-opened as it was), then the state the ledger implies as of `on`.
/// The case is decided as of `on` from then on, leaves its stage (and credit hold) and is due
/// for review on `on`: a charge-off by a cycle run for a wrong date is undone with the
/// decisions that date brought.
pub(crate) fn reverse_charge_off(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    reason: &str,
) -> Result<Outcome, CommandError> {
    text("reason", reason, true)?;
    let record = load_account_record(env.txn, account_id)?;
    let AccountRecord { account, debtor_jurisdiction } = &*record;
    if let Some(rejection) = before_opened(account, on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let Some(charged_off_on) = env.txn.account_state(account, None)?.charged_off_on else {
        return Ok(Outcome::Rejected(arrears_core::ledger::Rejection::NotChargedOff.into()));
    };
    // The charge-off undone: the latest recorded (the account is charged off by it). The
    // reversal replays right after it, so what was recorded since on its day replays as if
    // the account had never been charged off.
    // (A state charged off with no charge-off event cannot be written by the engine; such an
    // account gets the reversal replayed in recording order.)
    let charge_off = crate::ledger_write::load_events(env.txn, account)?
        .iter()
        .filter(|event| matches!(event.kind, EventKind::ChargeOff))
        .map(|event| event.seq)
        .max();
    let reason = reason.to_owned();
    let kind = match charge_off {
        Some(charge_off) => EventKind::ChargeOffUndone { reason, charge_off },
        None => EventKind::ChargeOffReversed { reason },
    };
    let prepared = match prepare(env.txn, account, charged_off_on, kind, Vec::new())? {
        Ok(prepared) => prepared,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    let jurisdiction = jurisdiction_of(env.txn, account, debtor_jurisdiction.as_ref())?;
    let mut case = load_case(env.txn, env.policy, account)?;
    let event = CollectionEvent::ChargeOffReversed;
    let from = crate::lifecycle::stage_payments_from(env.policy, crate::lifecycle::NO_PAYMENTS);
    let state = prepared.state_as_of(env.txn, on, from)?;
    let transition = match gate(env.policy, account, &jurisdiction, &case, &state, &event, on) {
        Ok(transition) => transition,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    drop(state);
    let posted = write(env.txn, env.now, env.key, prepared)?;
    apply(env.txn, env.now, &mut case, transition, &event, on)?;
    // The stage, its credit hold and its steps came from reviews of the charged-off account
    // (perhaps for a wrong date): the review due on `on` selects them again from the facts.
    case.stage = None;
    case.stage_entered_on = None;
    case.steps_issued.clear();
    case.credit_hold = false;
    case.decided_on = on;
    case.next_review_on = on;
    env.txn.put_case(&case)?;
    Ok(Outcome::Posted(posted))
}

pub(crate) fn grant_hardship(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    until: NaiveDate,
) -> Result<Outcome, CommandError> {
    // A payment holiday through `until`: forbearance.
    case_event(env, account_id, on, CollectionEvent::HardshipGranted { until }, |case| {
        record_forbearance(case, on, ForbearanceMeasure::Hardship);
    })
}

/// Records a forbearance measure taken on `on` on the case (Directive (EU) 2023/2225 art.
/// 35(1)): the case keeps the latest by date, a measure dated before the one it holds leaving
/// it as it is. The compliance guardrails read the fact as `Flags::forbearance_assessed`.
pub(crate) fn record_forbearance(
    case: &mut CollectionCase,
    on: NaiveDate,
    measure: ForbearanceMeasure,
) {
    if case.forbearance.is_none_or(|recorded| recorded.on <= on) {
        case.forbearance = Some(ForbearanceRecord { on, measure });
    }
}

/// `Command::RecordForbearanceAssessed`: the fact that forbearance was considered, recorded
/// by a person, whatever the case's state (the case does not move).
pub(crate) fn record_forbearance_assessed(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    reason: &str,
) -> Result<Outcome, CommandError> {
    text("reason", reason, true)?;
    let account = load_account(env.txn, account_id)?;
    if let Some(rejection) = before_opened(&account, on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let mut case = load_case(env.txn, env.policy, &account)?;
    let state = case.state.name().to_owned();
    record_forbearance(&mut case, on, ForbearanceMeasure::Assessed);
    env.txn.put_case(&case)?;
    Ok(Outcome::Cases(vec![CaseChanged {
        account: account.id,
        from: state.clone(),
        to: state,
        posted: Vec::new(),
    }]))
}

pub(crate) fn end_hardship(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    case_event(env, account_id, on, CollectionEvent::HardshipEnded, |_| {})
}

pub(crate) fn place(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    agency: &str,
    commission_rate: Decimal,
) -> Result<Outcome, CommandError> {
    text("agency", agency, true)?;
    if commission_rate.is_sign_negative() || commission_rate > Decimal::ONE {
        return Err(CommandError::Invalid {
            field: "commission_rate",
            reason: format!("{commission_rate} is outside 0 to 1"),
        });
    }
    let placement =
        arrears_core::case::Placement { agency: agency.to_owned(), placed_on: on, commission_rate };
    case_event(env, account_id, on, CollectionEvent::Placed { agency: agency.to_owned() }, |case| {
        case.placement = Some(placement);
    })
}

pub(crate) fn recall(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    case_event(env, account_id, on, CollectionEvent::Recalled, |case| {
        case.placement = None;
        // Kept so that the cycle does not place the account again by policy in this stage.
        case.recalled_on = Some(case.recalled_on.map_or(on, |recalled_on| recalled_on.max(on)));
    })
}

pub(crate) fn refer_to_legal(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    // A referral to legal is a suit: the guardrails of the debtor's jurisdiction have their say
    // once the state machine accepts it.
    case_event_guarded(
        env,
        account_id,
        on,
        CollectionEvent::LegalReferral,
        crate::lifecycle::suit_refusal,
        |_| {},
    )
}

pub(crate) fn close(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    case_event(env, account_id, on, CollectionEvent::Close, |_| {})
}

pub(crate) fn reopen(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    case_event(env, account_id, on, CollectionEvent::Reopen, |_| {})
}

pub(crate) fn set_flag(
    env: &mut Env<'_>,
    debtor_id: arrears_core::ids::DebtorId,
    flag: Flag,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    let mut debtor = env.txn.debtor(debtor_id)?.ok_or(CommandError::UnknownDebtor(debtor_id))?;
    let event = match flag {
        Flag::CeaseCommunication => CollectionEvent::CeaseRequested,
        Flag::AttorneyRepresented => CollectionEvent::AttorneyNotified,
        Flag::BankruptcyFiled => CollectionEvent::BankruptcyFiled,
        Flag::BankruptcyDischarged => CollectionEvent::BankruptcyDischarged,
        Flag::BankruptcyDismissed => CollectionEvent::BankruptcyDismissed,
        Flag::Deceased => CollectionEvent::Deceased,
        Flag::AttorneyWithdrawn => CollectionEvent::AttorneyWithdrawn,
    };
    // Every account first, then the writes: a refusal on one account writes nothing.
    let mut changes = Vec::new();
    for account_id in env.txn.accounts_of(debtor_id)? {
        let account = load_account(env.txn, account_id)?;
        let case = load_case(env.txn, env.policy, &account)?;
        let as_of = decision_date(&case, on);
        let state = env.txn.account_state(&account, Some(as_of))?;
        match gate(env.policy, &account, &debtor.jurisdiction, &case, &state, &event, as_of) {
            Ok(transition) => changes.push((case, transition, as_of)),
            Err(rejection) => return Ok(Outcome::Rejected(rejection)),
        }
    }
    let mut changed = Vec::new();
    for (mut case, transition, as_of) in changes {
        let (from, to) = apply(env.txn, env.now, &mut case, transition, &event, as_of)?;
        if flag == Flag::BankruptcyDischarged {
            // The debt is no longer owed: an agreement to pay it is over (the state machine
            // took a promised or planned case to the state the ledger implies; a hold keeps
            // what it interrupted, which no longer resumes without its record).
            case.promise = None;
            case.plan = None;
            case.settlement = None;
        }
        env.txn.put_case(&case)?;
        changed.push(CaseChanged {
            account: case.account,
            from: from.to_owned(),
            to: to.to_owned(),
            posted: Vec::new(),
        });
    }
    match flag {
        Flag::CeaseCommunication => debtor.flags.cease_communication = true,
        Flag::AttorneyRepresented => debtor.flags.attorney_represented = true,
        Flag::BankruptcyFiled => debtor.flags.bankruptcy = true,
        // The stay ends either way. A discharge is kept on the cases of the accounts it
        // discharged, not on the debtor: an account opened later is a debt it does not cover.
        Flag::BankruptcyDischarged | Flag::BankruptcyDismissed => debtor.flags.bankruptcy = false,
        Flag::Deceased => debtor.flags.deceased = true,
        Flag::AttorneyWithdrawn => {
            debtor.flags.attorney_represented = false;
            debtor.attorney = None;
        }
    }
    env.txn.put_debtor(&debtor)?;
    Ok(Outcome::Cases(changed))
}

/// Cancels each pending action of the debtor for which `why` gives a reason; returns their
/// ids, ascending. An action reported sent (`Command::MarkSent`) is no longer pending: it was
/// sent, stays so, and stays in the contacts the guardrails count.
pub(crate) fn cancel_pending(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    why: impl Fn(&arrears_core::case::Action) -> Option<CancelReason>,
) -> Result<Vec<u64>, CommandError> {
    let mut cancelled = Vec::new();
    for mut action in env.txn.actions_of(debtor_id)? {
        if action.status != ActionStatus::Pending || action.sent_at.is_some() {
            continue;
        }
        if let Some(reason) = why(&action) {
            action.status = ActionStatus::Cancelled { reason, at: env.now };
            env.txn.put_action(&action)?;
            cancelled.push(action.id);
        }
    }
    cancelled.sort_unstable();
    Ok(cancelled)
}
