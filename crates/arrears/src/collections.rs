//! Collections in the engine: each account's case, the state machine at the door of every
//! command that touches an account, and the collection commands (promises, plans,
//! settlements, disputes, hardship, placement, legal, flags, close and reopen).
//!
//! Every command is checked completely (ledger rules, policy rules, the state machine) before
//! it writes anything, so a refused command leaves no trace, even inside a batch.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use arrears_core::case::{AuditKind, CollectionCase, PlanRecord, PromiseRecord, SettlementRecord};
use arrears_core::collection::{
    transition, CollectionEvent, CollectionState, Context, StickyFlags, Transition,
};
use arrears_core::ids::{AccountId, ObligationId};
use arrears_core::ledger::{replay, AccountState, Event, EventKind, PlannedInstallment};
use arrears_core::model::{Account, Debtor, ObligationKind, ProductKind};
use arrears_core::money::{Money, RoundingRule};
use arrears_core::plan::{
    check_affordable, check_promise, min_share_minor, promise_status, quote, PromisedPayment,
    QuoteRequest,
};
use arrears_core::policy::{Policy, Stage, StageFacts};
use arrears_store::Reads;
use arrears_store::WriteTxn;

use crate::audit;
use crate::command::{CaseChanged, Flag, NewPlan, Outcome, Posted, PromiseLine, Rejection};
use crate::error::CommandError;
use crate::ledger_write::{prepare, write, NewObligation, Prepared};

/// What a command needs from its surroundings.
pub(crate) struct Env<'a> {
    pub(crate) txn: &'a mut WriteTxn,
    pub(crate) now: DateTime<Utc>,
    pub(crate) key: &'a str,
    pub(crate) policy: &'a Policy,
}

/// A new case for an account: current, in the arm the policy's hash gives it.
pub(crate) fn new_case(policy: &Policy, account: &Account) -> CollectionCase {
    CollectionCase {
        account: account.id,
        state: CollectionState::Current,
        flags: StickyFlags::default(),
        stage: None,
        stage_entered_on: None,
        arm: policy.arm_for(account.id.0).name.clone(),
        next_review_on: account.opened_on,
        last_review_on: None,
        decided_on: account.opened_on,
        promise: None,
        plan: None,
        settlement: None,
        placement: None,
        credit_hold: false,
        broken_promises: 0,
        promise_broken_on: None,
        kept_promises: 0,
        steps_issued: Vec::new(),
        late_fees_assessed: Vec::new(),
    }
}

pub(crate) fn load_case(
    txn: &WriteTxn,
    policy: &Policy,
    account: &Account,
) -> Result<CollectionCase, CommandError> {
    Ok(txn.case(account.id)?.unwrap_or_else(|| new_case(policy, account)))
}

fn load_account(txn: &WriteTxn, id: AccountId) -> Result<Account, CommandError> {
    txn.account(id)?.ok_or(CommandError::UnknownAccount(id))
}

fn load_debtor(txn: &WriteTxn, account: &Account) -> Result<Debtor, CommandError> {
    txn.debtor(account.debtor)?.ok_or(CommandError::UnknownDebtor(account.debtor))
}

/// Days relative to the due date that matters on `as_of`: days past due when something is
/// past due, otherwise minus the days until the next open obligation falls due (so that a
/// policy stage with a negative `min_dpd` sends courtesy reminders before the due date).
pub(crate) fn signed_days_past_due(state: &AccountState, as_of: NaiveDate) -> i64 {
    let days_past_due = state.days_past_due(as_of);
    if days_past_due > 0 {
        return days_past_due;
    }
    state
        .obligations
        .values()
        .filter(|obligation| !obligation.disputed && obligation.total_minor() > 0)
        .filter(|obligation| obligation.due_on >= as_of)
        .map(|obligation| -(obligation.due_on - as_of).num_days())
        .max()
        .unwrap_or(0)
}

/// The policy stage for an account's state, and its 1-based position among the policy's
/// stages (the state machine's `Delinquent { stage }`).
pub(crate) fn select_stage<'p>(
    policy: &'p Policy,
    account: &Account,
    debtor: &Debtor,
    state: &AccountState,
    as_of: NaiveDate,
    score_band: Option<&str>,
    signals: &[arrears_core::policy::Signal],
) -> Option<(u8, &'p Stage)> {
    let balance = Money::from_minor(state.total_outstanding_minor(), account.currency).amount();
    let facts = StageFacts {
        days_past_due: signed_days_past_due(state, as_of),
        balance,
        product: account.product,
        country: &debtor.jurisdiction.country,
        region: debtor.jurisdiction.region.as_deref(),
        score_band,
        signals,
    };
    let stage = policy.select_stage(&facts)?;
    let position = policy.stages().iter().position(|candidate| candidate.name == stage.name)?;
    Some((u8::try_from(position + 1).unwrap_or(u8::MAX), stage))
}

/// The facts the state machine decides on.
pub(crate) fn context(
    policy: &Policy,
    account: &Account,
    debtor: &Debtor,
    state: &AccountState,
    as_of: NaiveDate,
) -> Context {
    let stage = select_stage(policy, account, debtor, state, as_of, None, &[])
        .map_or(1, |(index, _)| index);
    Context {
        as_of,
        days_past_due: state.days_past_due(as_of),
        total_outstanding_minor: state.total_outstanding_minor(),
        revolving: account.product == ProductKind::Revolving,
        charged_off: state.charged_off_on.is_some(),
        stage,
        time_barred: false,
    }
}

/// The date a command's state decision is taken on: its own date, or the last review if the
/// command is back-dated before it (the case must reflect the latest known day).
fn decision_date(case: &CollectionCase, on: NaiveDate) -> NaiveDate {
    case.decided_on.max(on)
}

/// Asks the state machine; a refusal becomes a [`Rejection`].
pub(crate) fn gate(
    policy: &Policy,
    account: &Account,
    debtor: &Debtor,
    case: &CollectionCase,
    state: &AccountState,
    event: &CollectionEvent,
    as_of: NaiveDate,
) -> Result<Transition, Rejection> {
    let context = context(policy, account, debtor, state, as_of);
    transition(&case.state, &case.flags, event, &context).map_err(|rejected| Rejection::State {
        state: rejected.state,
        event: rejected.event,
        reason: rejected.reason,
    })
}

/// Applies an accepted transition to the case and audits it if anything changed.
pub(crate) fn apply(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    case: &mut CollectionCase,
    transition: Transition,
    event: &CollectionEvent,
    on: NaiveDate,
) -> Result<(String, String), CommandError> {
    let from = case.state.name().to_owned();
    let to = transition.state.name().to_owned();
    if transition.state != case.state || transition.flags != case.flags {
        audit::append(
            txn,
            now,
            Some(case.account),
            AuditKind::Transition {
                event: event.name().to_owned(),
                from: from.clone(),
                to: to.clone(),
                on,
            },
        )?;
    }
    let entered = transition.state != case.state;
    case.state = transition.state;
    case.flags = transition.flags;
    case.decided_on = case.decided_on.max(on);
    // On entering a state with nothing to collect: no stage, no credit hold. (A current
    // account gets its courtesy stage back from the next review.)
    if entered
        && matches!(
            case.state,
            CollectionState::Current
                | CollectionState::Paid
                | CollectionState::Settled
                | CollectionState::Closed
        )
    {
        case.stage = None;
        case.stage_entered_on = None;
        case.steps_issued.clear();
        case.credit_hold = false;
    }
    Ok((from, to))
}

/// Payments received (effective date, amount) and not reversed, as `state` knows them.
pub(crate) fn received(state: &AccountState) -> Vec<(NaiveDate, i64)> {
    state
        .payments
        .values()
        .filter(|payment| !payment.reversed)
        .map(|payment| (payment.paid_on, payment.amount_minor))
        .collect()
}

/// Records a ledger command through the state machine: the ledger check, the credit hold,
/// the transition, then the write, then what the new balance settles (promise kept, plan
/// completed, settlement completed, agency commission).
pub(crate) fn ledger_command(
    env: &mut Env<'_>,
    account: &Account,
    effective_on: NaiveDate,
    kind: EventKind,
    new_obligations: Vec<NewObligation>,
    event: Option<CollectionEvent>,
) -> Result<Outcome, CommandError> {
    let prepared = match prepare(env.txn, account, effective_on, kind, new_obligations)? {
        Ok(prepared) => prepared,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    let mut case = load_case(env.txn, env.policy, account)?;
    if let EventKind::Charge { amounts_minor, .. } = &prepared.event().kind {
        if case.credit_hold && amounts_minor[0] > 0 {
            let stage = case.stage.clone().unwrap_or_default();
            return Ok(Outcome::Rejected(Rejection::CreditHold { stage }));
        }
    }
    let debtor = load_debtor(env.txn, account)?;
    let as_of = decision_date(&case, effective_on);
    let transition = match &event {
        Some(event) => {
            let state = prepared.state_as_of(env.txn, as_of)?;
            match gate(env.policy, account, &debtor, &case, &state, event, as_of) {
                Ok(transition) => Some((event.clone(), transition)),
                Err(rejection) => return Ok(Outcome::Rejected(rejection)),
            }
        }
        None => None,
    };
    let is_payment = matches!(prepared.event().kind, EventKind::Payment { .. });
    let posted = write(env.txn, env.now, env.key, prepared)?;
    if let Some((event, transition)) = transition {
        apply(env.txn, env.now, &mut case, transition, &event, as_of)?;
    }
    if is_payment {
        if let Some(placement) = &case.placement {
            let commission =
                EventKind::Commission { payment: posted.event, rate: placement.commission_rate };
            follow_up(env, account, effective_on, commission)?;
        }
    }
    settle_agreements(env, account, &debtor, &mut case, as_of)?;
    env.txn.put_case(&case)?;
    Ok(Outcome::Posted(posted))
}

/// Records a ledger event the engine itself derives (never refused by a checked state).
fn follow_up(
    env: &mut Env<'_>,
    account: &Account,
    on: NaiveDate,
    kind: EventKind,
) -> Result<Posted, CommandError> {
    let name = kind.name();
    match prepare(env.txn, account, on, kind, Vec::new())? {
        Ok(prepared) => write(env.txn, env.now, env.key, prepared),
        Err(rejection) => Err(CommandError::Invalid {
            field: "follow-up",
            reason: format!("the engine's own {name} event was refused: {rejection}"),
        }),
    }
}

/// After a payment or a review: promise kept, plan completed, settlement completed.
pub(crate) fn settle_agreements(
    env: &mut Env<'_>,
    account: &Account,
    debtor: &Debtor,
    case: &mut CollectionCase,
    as_of: NaiveDate,
) -> Result<(), CommandError> {
    let state = env.txn.account_state(account, Some(as_of))?;
    if let Some(promise) = case.promise.clone() {
        let paid = received(&state);
        if promise_status(&promise.payments, &paid, promise.made_on, promise.grace_days, as_of)
            == Some(true)
        {
            step(env, account, debtor, case, &state, CollectionEvent::PromiseKept, as_of)?;
            case.promise = None;
            case.kept_promises += 1;
        }
    }
    if let Some(plan) = case.plan.clone() {
        let paid_off = plan.installments.iter().all(|id| {
            state.obligations.get(id).is_none_or(|obligation| obligation.total_minor() == 0)
        });
        if paid_off {
            step(env, account, debtor, case, &state, CollectionEvent::PlanCompleted, as_of)?;
            case.plan = None;
        }
    }
    if let Some(settlement) = case.settlement.clone() {
        if let Some(accepted_on) = settlement.accepted_on {
            let paid: i64 = received(&state)
                .iter()
                .filter(|(on, _)| *on >= settlement.offered_on && *on <= settlement.expires_on)
                .map(|(_, amount)| amount)
                .sum();
            if paid >= settlement.amount_minor && accepted_on <= as_of {
                follow_up(env, account, as_of.max(accepted_on), EventKind::WriteOffRemainder)?;
                let state = env.txn.account_state(account, Some(as_of))?;
                step(
                    env,
                    account,
                    debtor,
                    case,
                    &state,
                    CollectionEvent::SettlementCompleted,
                    as_of,
                )?;
                case.settlement = None;
            }
        }
    }
    Ok(())
}

/// Applies an engine-derived event if the state machine accepts it; the engine's own events
/// are never forced through a refusal.
pub(crate) fn step(
    env: &mut Env<'_>,
    account: &Account,
    debtor: &Debtor,
    case: &mut CollectionCase,
    state: &AccountState,
    event: CollectionEvent,
    as_of: NaiveDate,
) -> Result<bool, CommandError> {
    match gate(env.policy, account, debtor, case, state, &event, as_of) {
        Ok(transition) => {
            apply(env.txn, env.now, case, transition, &event, as_of)?;
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

fn policy_refusal(rule: &str, reason: impl std::fmt::Display) -> Outcome {
    Outcome::Rejected(Rejection::Policy { rule: rule.to_owned(), reason: reason.to_string() })
}

fn minor(field: &'static str, amount: &Money, account: &Account) -> Result<i64, CommandError> {
    if amount.currency() != account.currency {
        return Err(CommandError::Money {
            field,
            source: arrears_core::money::MoneyError::CurrencyMismatch {
                left: amount.currency(),
                right: account.currency,
            },
        });
    }
    amount.to_minor().map_err(|source| CommandError::Money { field, source })
}

/// A command that only moves the case through the state machine.
fn case_event(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    event: CollectionEvent,
    update: impl FnOnce(&mut CollectionCase),
) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, account_id)?;
    let debtor = load_debtor(env.txn, &account)?;
    let mut case = load_case(env.txn, env.policy, &account)?;
    let as_of = decision_date(&case, on);
    let state = env.txn.account_state(&account, Some(as_of))?;
    let transition = match gate(env.policy, &account, &debtor, &case, &state, &event, as_of) {
        Ok(transition) => transition,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    let (from, to) = apply(env.txn, env.now, &mut case, transition, &event, as_of)?;
    update(&mut case);
    env.txn.put_case(&case)?;
    Ok(Outcome::Cases(vec![CaseChanged { account: account.id, from, to, posted: Vec::new() }]))
}

pub(crate) fn promise(
    env: &mut Env<'_>,
    account_id: AccountId,
    made_on: NaiveDate,
    lines: &[PromiseLine],
) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, account_id)?;
    let mut payments = Vec::with_capacity(lines.len());
    for line in lines {
        payments.push(PromisedPayment {
            on: line.on,
            amount_minor: minor("payments.amount", &line.amount, &account)?,
        });
    }
    let rules = *env.policy.promise();
    let state = env.txn.account_state(&account, Some(made_on))?;
    let past_due = state.past_due_minor(made_on);
    if let Err(refused) =
        check_promise(&payments, made_on, past_due, rules.max_days_out, rules.min_share)
    {
        return Ok(policy_refusal("promise", refused));
    }
    let grace_days = rules.grace_days;
    // One open promise at a time when the policy says so; with a higher `max_open`, the new
    // dated amounts join the open promise, which is kept only when all are.
    let open = load_case(env.txn, env.policy, &account)?.promise;
    if let Some(open) = &open {
        if rules.max_open <= 1 {
            return Ok(policy_refusal(
                "promise.max_open",
                format!("a promise made on {} is still open", open.made_on),
            ));
        }
        if open.payments.len() + payments.len() > rules.max_open as usize * 8 {
            return Ok(policy_refusal("promise.max_open", "too many promised amounts are open"));
        }
    }
    case_event(env, account_id, made_on, CollectionEvent::PromiseMade, |case| {
        let mut all = open.map(|open| open.payments).unwrap_or_default();
        let first_made_on = case.promise.as_ref().map_or(made_on, |open| open.made_on.min(made_on));
        all.extend(payments);
        case.promise = Some(PromiseRecord { made_on: first_made_on, payments: all, grace_days });
    })
}

pub(crate) fn create_plan(env: &mut Env<'_>, new: &NewPlan) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, new.account)?;
    let debtor = load_debtor(env.txn, &account)?;
    let income = minor("monthly_income", &new.monthly_income, &account)?;
    let expenses = minor("monthly_expenses", &new.monthly_expenses, &account)?;
    let rules = env.policy.plan().clone();
    if new.installments > rules.max_installments {
        return Ok(policy_refusal(
            "plan.max_installments",
            format!(
                "{} installments asked, at most {} allowed",
                new.installments, rules.max_installments
            ),
        ));
    }
    if !rules.frequencies.contains(&new.frequency) {
        return Ok(policy_refusal(
            "plan.frequencies",
            format!("{} plans are not offered", new.frequency.name()),
        ));
    }
    if new.annual_rate > rules.max_annual_rate {
        return Ok(policy_refusal(
            "plan.max_annual_rate",
            format!("rate {} above the maximum {}", new.annual_rate, rules.max_annual_rate),
        ));
    }
    let state = env.txn.account_state(&account, Some(new.created_on))?;
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
        Err(error) => return Ok(policy_refusal("plan.quote", error)),
    };
    let min_installment =
        Money::new(rules.min_installment, account.currency).to_minor().unwrap_or(i64::MAX);
    if schedule.level_minor < min_installment {
        return Ok(policy_refusal(
            "plan.min_installment",
            format!("installment {} below the minimum {}", schedule.level_minor, min_installment),
        ));
    }
    if let Err(unaffordable) = check_affordable(
        income,
        expenses,
        schedule.level_minor,
        new.frequency,
        rules.affordable_share,
    ) {
        return Ok(policy_refusal("plan.affordable_share", unaffordable));
    }
    let mut case = load_case(env.txn, env.policy, &account)?;
    let as_of = decision_date(&case, new.created_on);
    let transition = match gate(
        env.policy,
        &account,
        &debtor,
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
    let prepared: Prepared =
        match prepare(env.txn, &account, new.created_on, kind, new_obligations)? {
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
    env.txn.put_case(&case)?;
    Ok(Outcome::Cases(vec![CaseChanged { account: account.id, from, to, posted: vec![posted] }]))
}

pub(crate) fn offer_settlement(
    env: &mut Env<'_>,
    account_id: AccountId,
    offered_on: NaiveDate,
    amount: &Money,
) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, account_id)?;
    let amount_minor = minor("amount", amount, &account)?;
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
        return Ok(policy_refusal(
            "settlement.min_share",
            format!("no settlement is offered in stage {stage}"),
        ));
    };
    let min_minor = min_share_minor(owed, share);
    if amount_minor < min_minor || amount_minor <= 0 {
        return Ok(policy_refusal(
            "settlement.min_share",
            format!(
                "{amount_minor} offered, at least {min_minor} ({share} of {owed} owed) required"
            ),
        ));
    }
    if amount_minor >= owed {
        return Ok(policy_refusal(
            "settlement",
            format!("{amount_minor} is not less than the {owed} owed"),
        ));
    }
    let expires_on = offered_on + chrono::Days::new(u64::from(rules.offer_expiry_days));
    case_event(env, account_id, offered_on, CollectionEvent::SettlementOffered, |case| {
        case.settlement =
            Some(SettlementRecord { offered_on, amount_minor, expires_on, accepted_on: None });
    })
}

pub(crate) fn accept_settlement(
    env: &mut Env<'_>,
    account_id: AccountId,
    accepted_on: NaiveDate,
) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, account_id)?;
    let case = load_case(env.txn, env.policy, &account)?;
    let Some(settlement) = case.settlement.clone() else {
        return Ok(policy_refusal("settlement", "no settlement was offered"));
    };
    if settlement.accepted_on.is_some() {
        return Ok(policy_refusal("settlement", "the settlement was already accepted"));
    }
    if accepted_on > settlement.expires_on || accepted_on < settlement.offered_on {
        return Ok(policy_refusal(
            "settlement.offer_expiry_days",
            format!("the offer of {} ran until {}", settlement.offered_on, settlement.expires_on),
        ));
    }
    let outcome =
        case_event(env, account_id, accepted_on, CollectionEvent::SettlementAccepted, |case| {
            if let Some(settlement) = case.settlement.as_mut() {
                settlement.accepted_on = Some(accepted_on);
            }
        })?;
    if !outcome.is_rejected() {
        let debtor = load_debtor(env.txn, &account)?;
        let mut case = load_case(env.txn, env.policy, &account)?;
        let as_of = decision_date(&case, accepted_on);
        settle_agreements(env, &account, &debtor, &mut case, as_of)?;
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
    let account = load_account(env.txn, account_id)?;
    let state = env.txn.account_state(&account, None)?;
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
    dispute_all(env, &account, &targets, true, on, CollectionEvent::DisputeOpened)
}

pub(crate) fn resolve_dispute(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    let account = load_account(env.txn, account_id)?;
    let state = env.txn.account_state(&account, None)?;
    let targets: Vec<ObligationId> = state
        .obligations
        .values()
        .filter(|obligation| obligation.disputed)
        .map(|obligation| obligation.id)
        .collect();
    dispute_all(env, &account, &targets, false, on, CollectionEvent::DisputeResolved)
}

/// Disputes or undisputes obligations and moves the case, all checked before anything is
/// written.
fn dispute_all(
    env: &mut Env<'_>,
    account: &Account,
    targets: &[ObligationId],
    disputed: bool,
    on: NaiveDate,
    event: CollectionEvent,
) -> Result<Outcome, CommandError> {
    let debtor = load_debtor(env.txn, account)?;
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
    let transition = match gate(env.policy, account, &debtor, &case, &state, &event, as_of) {
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
    Ok(Outcome::Cases(vec![CaseChanged { account: account.id, from, to, posted }]))
}

pub(crate) fn grant_hardship(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    until: NaiveDate,
) -> Result<Outcome, CommandError> {
    case_event(env, account_id, on, CollectionEvent::HardshipGranted { until }, |_| {})
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
    crate::execute::text("agency", agency, true)?;
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
    case_event(env, account_id, on, CollectionEvent::Recalled, |case| case.placement = None)
}

pub(crate) fn refer_to_legal(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
) -> Result<Outcome, CommandError> {
    case_event(env, account_id, on, CollectionEvent::LegalReferral, |_| {})
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
        Flag::Deceased => CollectionEvent::Deceased,
    };
    // Every account first, then the writes: a refusal on one account writes nothing.
    let mut changes = Vec::new();
    for account_id in env.txn.accounts_of(debtor_id)? {
        let account = load_account(env.txn, account_id)?;
        let case = load_case(env.txn, env.policy, &account)?;
        let as_of = decision_date(&case, on);
        let state = env.txn.account_state(&account, Some(as_of))?;
        match gate(env.policy, &account, &debtor, &case, &state, &event, as_of) {
            Ok(transition) => changes.push((case, transition, as_of)),
            Err(rejection) => return Ok(Outcome::Rejected(rejection)),
        }
    }
    let mut changed = Vec::new();
    for (mut case, transition, as_of) in changes {
        let (from, to) = apply(env.txn, env.now, &mut case, transition, &event, as_of)?;
        env.txn.put_case(&case)?;
        changed.push(CaseChanged { account: case.account, from, to, posted: Vec::new() });
    }
    match flag {
        Flag::CeaseCommunication => debtor.flags.cease_communication = true,
        Flag::AttorneyRepresented => debtor.flags.attorney_represented = true,
        Flag::BankruptcyFiled => debtor.flags.bankruptcy = true,
        Flag::BankruptcyDischarged => debtor.flags.bankruptcy = false,
        Flag::Deceased => debtor.flags.deceased = true,
    }
    env.txn.put_debtor(&debtor)?;
    Ok(Outcome::Cases(changed))
}
