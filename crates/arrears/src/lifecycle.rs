//! The state machine at the door of every command that touches an account: each account's
//! case, the stage selection, the gate (a refusal becomes a [`Rejection`]), the transition's
//! application and audit, and the ledger command that puts the state machine between the
//! ledger's two steps (`ledger_write::prepare` and `ledger_write::write`).
//!
//! Every command is checked completely (ledger rules, policy rules, the state machine) before
//! it writes anything, so a refused command leaves no trace, even inside a batch.

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::case::{AuditKind, CollectionCase, ContactAttempt};
use arrears_core::collection::{
    derive, transition_with_holds, CollectionEvent, CollectionState, Context, StickyFlags,
    Transition,
};
use arrears_core::ids::AccountId;
use arrears_core::ledger::{AccountState, EventKind};
use arrears_core::model::{Account, Component, Debtor, Jurisdiction, ProductKind};
use arrears_core::money::Money;
use arrears_core::plan::promise_status;
use arrears_core::policy::{Policy, Stage, StageFacts};
use arrears_store::WriteTxn;
use arrears_store::{AccountRecord, Reads};

use crate::audit;
use crate::command::{CaseChanged, Outcome, Posted, Rejection};
use crate::context::{jurisdiction_of, load_account_record, Env};
use crate::error::CommandError;
use crate::ledger_write::{prepare, write, write_command, NewObligation};

/// A new case for an account: current, in the arm the policy's hash gives its debtor (every
/// account of a debtor runs under one arm, since contacts are made per debtor).
pub(crate) fn new_case(policy: &Policy, account: &Account) -> CollectionCase {
    CollectionCase {
        account: account.id,
        state: CollectionState::Current,
        flags: StickyFlags::default(),
        stage: None,
        stage_entered_on: None,
        arm: policy.arm_for(account.debtor.0).name.clone(),
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
        interrupted: Vec::new(),
        capacity: None,
        time_barred_on: None,
        score: None,
        recalled_on: None,
        late_fee_charges: Vec::new(),
        forbearance: None,
        hardship_ended_on: None,
    }
}

pub(crate) fn load_case(
    txn: &WriteTxn,
    policy: &Policy,
    account: &Account,
) -> Result<CollectionCase, CommandError> {
    Ok(txn.case(account.id)?.unwrap_or_else(|| new_case(policy, account)))
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
    jurisdiction: &Jurisdiction,
    state: &AccountState,
    as_of: NaiveDate,
    score_band: Option<&str>,
    signals: &[arrears_core::policy::Signal],
) -> Option<(u8, &'p Stage)> {
    let balance = Money::from_minor(state.total_outstanding_minor(), account.currency).amount();
    let facts = StageFacts {
        days_past_due: signed_days_past_due(state, as_of),
        balance,
        currency: account.currency,
        product: account.product,
        country: &jurisdiction.country,
        region: jurisdiction.region.as_deref(),
        score_band,
        signals,
        tenure_months: i64::from(months_between(account.opened_on, as_of)),
        lifetime_paid: if policy.reads_lifetime_value() {
            // Every payment of the account's life: the caller read the state with
            // `stage_payments_from`, so none is in a cold part.
            debug_assert!(
                state.has_payments_from(NaiveDate::MIN),
                "a lifetime value of a hot part"
            );
            Money::from_minor(lifetime_paid_minor(state, as_of), account.currency).amount()
        } else {
            rust_decimal::Decimal::ZERO
        },
    };
    let stage = policy.select_stage(&facts)?;
    let position = policy.stages().iter().position(|candidate| candidate.name == stage.name)?;
    Some((u8::try_from(position + 1).unwrap_or(u8::MAX), stage))
}

/// The facts the state machine decides on.
pub(crate) fn context(
    policy: &Policy,
    account: &Account,
    jurisdiction: &Jurisdiction,
    state: &AccountState,
    as_of: NaiveDate,
) -> Context {
    let stage = select_stage(policy, account, jurisdiction, state, as_of, None, &[])
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

/// The `payments_from` of `Reads::open_state` for a reader that needs no payment: the state
/// machine's decisions read what the account owes, past due, and its charge-off. Their stage
/// may read every payment (a policy's lifetime value): read such a state with
/// [`stage_payments_from`].
pub(crate) const NO_PAYMENTS: NaiveDate = NaiveDate::MAX;

/// The `payments_from` of `Reads::open_state` for a state a stage is selected from
/// ([`select_stage`], [`context`], [`gate`]), which otherwise needs the payments from `from`:
/// every payment if a stage reads the customer's lifetime value, which counts them all
/// (the hot part of a state lacks the payments moved to its cold parts).
pub(crate) fn stage_payments_from(policy: &Policy, from: NaiveDate) -> NaiveDate {
    if policy.reads_lifetime_value() {
        NaiveDate::MIN
    } else {
        from
    }
}

/// The date a command's state decision is taken on: its own date, or the last review if the
/// command is back-dated before it (the case must reflect the latest known day).
pub(crate) fn decision_date(case: &CollectionCase, on: NaiveDate) -> NaiveDate {
    case.decided_on.max(on)
}

/// The refusal of a collection command dated before the account opened, worded as the ledger
/// refuses a money command dated so: nothing can happen to an account before it exists.
pub(crate) fn before_opened(account: &Account, on: NaiveDate) -> Option<Rejection> {
    (on < account.opened_on).then_some(Rejection::Ledger(
        arrears_core::ledger::Rejection::EffectiveBeforeOpened {
            effective_on: on,
            opened_on: account.opened_on,
        },
    ))
}

/// Asks the state machine; a refusal becomes a [`Rejection`].
pub(crate) fn gate(
    policy: &Policy,
    account: &Account,
    jurisdiction: &Jurisdiction,
    case: &CollectionCase,
    state: &AccountState,
    event: &CollectionEvent,
    as_of: NaiveDate,
) -> Result<Transition, Rejection> {
    let mut context = context(policy, account, jurisdiction, state, as_of);
    // The statute of limitations has run on the case's limitation date and after.
    context.time_barred = case.time_barred_on.is_some_and(|on| as_of >= on);
    let interrupted = interrupted_still_standing(case);
    transition_with_holds(&case.state, &interrupted, &case.flags, event, &context).map_err(
        |rejected| Rejection::State {
            state: rejected.state,
            event: rejected.event,
            reason: rejected.reason,
        },
    )
}

/// The state a collection command is decided from: `current` and `delinquent` are what the
/// ledger says on the decision date, which may differ from the last review's (an account that
/// fell past due since is `delinquent`, with its stage; one a waiver or a credit note brought
/// within its due dates is `current` or `paid`). Every other state stands until an event
/// moves it. (Ledger events need no such step: they go to the derived state anyway, and their
/// context is the ledger after the event.)
fn standing_state(state: &CollectionState, context: &Context) -> CollectionState {
    match state {
        CollectionState::Current if context.total_outstanding_minor > 0 => derive(context),
        CollectionState::Delinquent { .. } if context.days_past_due <= 0 => derive(context),
        other => other.clone(),
    }
}

/// What the case's holds interrupted, as far as the agreements behind it still stand: a
/// promise, plan or placement whose record the case no longer holds (kept, completed,
/// defaulted or recalled during the hold) is not resumed, and the state the ledger implies
/// is taken instead (`current` stands for it: resuming it derives).
fn interrupted_still_standing(case: &CollectionCase) -> Vec<CollectionState> {
    case.interrupted
        .iter()
        .map(|state| {
            let stands = match state {
                CollectionState::Promised => case.promise.is_some(),
                CollectionState::InPlan => case.plan.is_some(),
                CollectionState::Placed { .. } => case.placement.is_some(),
                CollectionState::Current
                | CollectionState::Delinquent { .. }
                | CollectionState::Disputed
                | CollectionState::Hardship { .. }
                | CollectionState::Legal
                | CollectionState::ChargedOff
                | CollectionState::Settled
                | CollectionState::Paid
                | CollectionState::Closed => true,
            };
            if stands {
                state.clone()
            } else {
                CollectionState::Current
            }
        })
        .collect()
}

/// Applies an accepted transition to the case and audits it if anything changed.
pub(crate) fn apply(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    case: &mut CollectionCase,
    transition: Transition,
    event: &CollectionEvent,
    on: NaiveDate,
) -> Result<(&'static str, &'static str), CommandError> {
    let from = case.state.name();
    let to = transition.state.name();
    if transition.state != case.state || transition.flags != case.flags {
        audit::append(
            txn,
            now,
            Some(case.account),
            AuditKind::Transition {
                event: event.name().to_owned(),
                from: from.to_owned(),
                to: to.to_owned(),
                on,
            },
        )?;
    }
    let entered = transition.state != case.state;
    if let CollectionState::Hardship { until } = case.state {
        if !matches!(transition.state, CollectionState::Hardship { .. }) {
            // The holiday ran through `until`, or ended early on `on` (late fees' clocks
            // restart here: `CollectionCase::hardship_ended_on`).
            let after_until = until.checked_add_days(chrono::Days::new(1)).unwrap_or(until);
            case.hardship_ended_on = Some(on.min(after_until));
        }
    }
    case.state = transition.state;
    case.flags = transition.flags;
    case.interrupted = transition.interrupted;
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

/// Whole months from `from` to `to` (0 if `to` is earlier): an account's tenure.
pub(crate) fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    use chrono::Datelike;
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let months = if to.day() < from.day() { months - 1 } else { months };
    u32::try_from(months).unwrap_or(0)
}

/// What the customer paid on the account up to `as_of`, payments not reversed: its lifetime
/// value in a stage condition.
pub(crate) fn lifetime_paid_minor(state: &AccountState, as_of: NaiveDate) -> i64 {
    received(state)
        .filter(|(paid_on, _)| *paid_on <= as_of)
        .fold(0_i64, |total, (_, amount)| total.saturating_add(amount))
}

/// Payments received (effective date, amount) and not reversed, as `state` knows them, in
/// their order: an iterator, so that a reader that sums them collects nothing (every
/// payment's review reads the lifetime value).
pub(crate) fn received(state: &AccountState) -> impl Iterator<Item = (NaiveDate, i64)> + '_ {
    state
        .payments
        .values()
        .filter(|payment| !payment.reversed)
        .map(|payment| (payment.paid_on, payment.amount_minor))
}

/// Records a ledger command through the state machine: the ledger check, the credit hold,
/// the transition, then the write, then what the new balance settles (promise kept, plan
/// completed, settlement completed, agency commission). `jurisdiction` is the debtor's, the
/// one debtor fact the gate reads (`context::jurisdiction_of`).
pub(crate) fn ledger_command(
    env: &mut Env<'_>,
    account: &Account,
    jurisdiction: &Jurisdiction,
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
    if let EventKind::Charge { kind, amounts_minor, .. } = &prepared.event().kind {
        // A hold stops new credit, not the billing of what is owed (issue 14).
        if case.credit_hold && kind.extends_credit() && amounts_minor[0] > 0 {
            let stage = case.stage.clone().unwrap_or_default();
            return Ok(Outcome::Rejected(Rejection::CreditHold { stage }));
        }
        // Refusing to trade stops new credit too, and only that.
        if kind.extends_credit() && amounts_minor[0] > 0 {
            if let Some(rejection) = crate::context::refused_to_trade(env.txn, account.debtor)? {
                return Ok(Outcome::Rejected(rejection));
            }
        }
    }
    let mut as_of = decision_date(&case, effective_on);
    if matches!(prepared.event().kind, EventKind::Reversal { .. }) {
        // A returned payment takes back what its cash paid, including what events dated
        // after it spent of that cash (a refund paid out of it, which posts no collection
        // event and so leaves `decided_on` behind): the case is decided as of the account's
        // latest event up to today, not as of the reversal's own date.
        as_of = as_of.max(prepared.latest_on().min(env.now.date_naive()));
    }
    let mut transition = match &event {
        Some(event) => {
            let from = stage_payments_from(env.policy, NO_PAYMENTS);
            let state = prepared.state_as_of(env.txn, as_of, from)?;
            match gate(env.policy, account, jurisdiction, &case, &state, event, as_of) {
                Ok(transition) => Some((event.clone(), transition)),
                Err(rejection) => return Ok(Outcome::Rejected(rejection)),
            }
        }
        None => None,
    };
    let is_payment = matches!(prepared.event().kind, EventKind::Payment { .. });
    let may_unearn_fees = may_unearn_late_fees(&prepared.event().kind)
        && case.late_fee_charges.iter().any(|charge| effective_on < charge.assessed_on);
    // A reversal of a payment made by the settlement's completion voids the settlement
    // (docs/STATE_MACHINE.md, `settled`), and with it the settlement's write-off: what it
    // forgave is owed again. A payment made after the completion (an overpayment) did not
    // count toward it: its return leaves the settlement standing. A settlement completed
    // while a hold kept the case (the state machine refuses `settlement_completed` in a
    // dispute or a hardship, and the hold's end derives `paid`) wrote its remainder off all
    // the same: its write-off is voided the same way, whatever the state.
    let mut voided_write_off = None;
    // A reversal reads the account's events (a settlement's write-off, a commission): it is
    // rare, and the state keeps neither. Read once, before the reversal is written.
    let history = match &prepared.event().kind {
        EventKind::Reversal { .. } => crate::ledger_write::load_events(env.txn, account)?,
        _ => Vec::new(),
    };
    if let (EventKind::Reversal { payment, .. }, Some(_)) = (&prepared.event().kind, &transition) {
        match settlement_write_off(&history, *payment) {
            Voiding::Voids { write_off, written_off_on } => {
                voided_write_off = Some((write_off, written_off_on));
            }
            Voiding::Stands if case.state == CollectionState::Settled => transition = None,
            Voiding::Stands | Voiding::NoWriteOff => {}
        }
    }
    let credit_beside_debt = prepared.leaves_credit_beside_debt();
    let reversed_payment = match &prepared.event().kind {
        EventKind::Reversal { payment, .. } => Some(*payment),
        _ => None,
    };
    let (posted, row) = write_command(env.txn, env.now, env.key, prepared)?;
    env.rebuilt_from = row.map(|row| (posted.account, posted.event, row));
    if let Some(payment) = reversed_payment {
        // The agency recovered nothing: the commission booked on the payment is taken back.
        if let Some((commission, booked_on)) = commission_on(&history, payment) {
            let on = effective_on.max(booked_on);
            follow_up(env, account, on, EventKind::CommissionReversed { commission })?;
        }
    }
    if let Some((write_off, written_off_on)) = voided_write_off {
        let on = effective_on.max(written_off_on);
        follow_up(env, account, on, EventKind::WriteOffReversed { write_off })?;
    }
    // What a reversal re-opened, the debtor's credit (unapplied cash a payment dated before it
    // left) pays, as it would have paid a new charge.
    let credit_applied = credit_beside_debt && apply_credit_beside_debt(env, account)?;
    if voided_write_off.is_some() || credit_applied {
        // The state the case goes to counts what is owed again and what the credit paid.
        let from = stage_payments_from(env.policy, NO_PAYMENTS);
        let state = env.txn.open_state(account, as_of, from)?;
        if let Some((event, transition)) = &mut transition {
            if let Ok(again) = gate(env.policy, account, jurisdiction, &case, &state, event, as_of)
            {
                *transition = again;
            }
        }
    }
    if let Some((event, transition)) = transition {
        apply(env.txn, env.now, &mut case, transition, &event, as_of)?;
    }
    if is_payment {
        // On what the agency recovers: a payment dated before the file went to it (recorded
        // late) was the creditor's own collection.
        if let Some(placement) = case.placement.as_ref().filter(|p| p.placed_on <= effective_on) {
            // On what the payment settled: an overpayment is the debtor's credit.
            let commission = EventKind::CommissionOnSettled {
                payment: posted.event,
                rate: placement.commission_rate,
            };
            follow_up(env, account, effective_on, commission)?;
        }
    }
    if may_unearn_fees {
        reverse_unearned_late_fees(env, account, &mut case, effective_on)?;
    }
    settle_agreements(env, account, jurisdiction, &mut case, as_of)?;
    // The transaction keeps this case as it is, without a copy (the one it held is dropped).
    env.txn.put_case_replacing(&mut case)?;
    Ok(Outcome::Posted(posted))
}

/// Records `apply_unapplied` on the day of the account's latest reversal (where the debt it
/// re-opened began to stand beside the cash), if its replay there applies anything; returns
/// whether it did. A rare path: only a reversal, or a payment dated before one and recorded
/// after it, leaves unapplied cash beside debt (`Prepared::leaves_credit_beside_debt`).
fn apply_credit_beside_debt(env: &mut Env<'_>, account: &Account) -> Result<bool, CommandError> {
    let mut events = crate::ledger_write::load_events(env.txn, account)?;
    let Some(latest_on) = events.iter().map(|event| event.effective_on).max() else {
        return Ok(false);
    };
    let on = (events.iter())
        .filter(|event| matches!(event.kind, EventKind::Reversal { .. }))
        .map(|event| event.effective_on)
        .max()
        .unwrap_or(latest_on);
    let seq = events.iter().map(|event| event.seq).max().map_or(1, |seq| seq.0 + 1);
    let seq = arrears_core::ids::EventSeq(seq);
    events.push(arrears_core::ledger::Event {
        seq,
        effective_on: on,
        kind: EventKind::ApplyUnapplied,
    });
    let replayed = arrears_core::ledger::replay(account, &events, None);
    if replayed.derived.get(&seq).is_none_or(Vec::is_empty) {
        return Ok(false);
    }
    match prepare(env.txn, account, on, EventKind::ApplyUnapplied, Vec::new())? {
        Ok(prepared) => {
            write(env.txn, env.now, env.key, prepared)?;
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

/// What a reversal of a payment does to a completed settlement.
enum Voiding {
    /// The payment was made by the completion: the settlement and this write-off are void.
    Voids { write_off: arrears_core::ids::EventSeq, written_off_on: NaiveDate },
    /// The payment was made after the completion: the settlement stands.
    Stands,
    /// No write-off stands (none recorded, or undone already): the case takes the state the
    /// ledger implies, as the state machine says.
    NoWriteOff,
}

/// The commission booked on `payment` that no reversal has taken back, and its date, if
/// there is one, of the account's `events`.
fn commission_on(
    events: &[arrears_core::ledger::Event],
    payment: arrears_core::ids::EventSeq,
) -> Option<(arrears_core::ids::EventSeq, NaiveDate)> {
    let reversed: Vec<arrears_core::ids::EventSeq> = events
        .iter()
        .filter_map(|event| match event.kind {
            EventKind::CommissionReversed { commission } => Some(commission),
            _ => None,
        })
        .collect();
    events
        .iter()
        .filter(|event| {
            matches!(
                event.kind,
                EventKind::Commission { payment: on, .. }
                    | EventKind::CommissionOnSettled { payment: on, .. } if on == payment
            )
        })
        .find(|event| !reversed.contains(&event.seq))
        .map(|event| (event.seq, event.effective_on))
}

/// The last write-off of a settlement's remainder of the account's `events` that no reversal
/// has undone, and whether the reversal of `payment` voids it: it does if the payment is dated on or before
/// the write-off (it may have counted toward the settlement), not if it came after.
fn settlement_write_off(
    events: &[arrears_core::ledger::Event],
    payment: arrears_core::ids::EventSeq,
) -> Voiding {
    let reversed: Vec<arrears_core::ids::EventSeq> = events
        .iter()
        .filter_map(|event| match event.kind {
            EventKind::WriteOffReversed { write_off } => Some(write_off),
            _ => None,
        })
        .collect();
    let Some(written) = events
        .iter()
        .filter(|event| matches!(event.kind, EventKind::WriteOffRemainder))
        .filter(|event| !reversed.contains(&event.seq))
        .max_by_key(|event| event.seq)
    else {
        return Voiding::NoWriteOff;
    };
    let paid_on = events.iter().find(|event| event.seq == payment).map(|event| event.effective_on);
    match paid_on {
        Some(paid_on) if paid_on > written.effective_on => Voiding::Stands,
        _ => Voiding::Voids { write_off: written.seq, written_off_on: written.effective_on },
    }
}

/// True for the events of a ledger command that can lower what an obligation owed on an
/// earlier day, and so show a late fee assessed since as one the cycle would not have
/// assessed. (A plan's `Reschedule` is recorded by `collections::create_plan`, which takes
/// such fees back itself.)
fn may_unearn_late_fees(kind: &EventKind) -> bool {
    match kind {
        EventKind::Payment { .. } | EventKind::CreditNote { .. } | EventKind::Waiver { .. } => true,
        EventKind::Adjustment { amount_minor, .. } => *amount_minor < 0,
        _ => false,
    }
}

/// Takes back what an event just recorded, dated before a late fee's assessment, shows the
/// cycle should not have charged. A late fee is what the cycle would have assessed had it
/// known every event dated before the day it assessed: the rule of the account's terms applied
/// to what the late obligation still owed in principal and interest when that day began
/// (nothing if it owed nothing then, or was disputed); a payment dated on the day of the
/// assessment or later came after the grace days and leaves the fee. Where that is nothing, the
/// fee is withdrawn (`charge_withdrawn`), dated on the day of the assessment: the money that
/// paid it, whenever it was paid, goes back to its payments and pays what else is owed, and
/// the payments after it are allocated again. Where it is less than the fee in force but not
/// nothing, the difference is waived on that day, so that the payments after it are allocated
/// again as if the fee had been that much smaller. A fee taken back whole no longer counts as
/// assessed: if the obligation falls late again (the payment is returned), the next review
/// assesses its fee again.
///
/// The withdrawal or waiver is an event the engine derives within the command that revealed
/// it, under the command's key, as an agency's commission is; a waiver forgives at most what
/// the fee owed at the end of its day (`ledger_write::prepare` on back-dated waivers), so the
/// money that paid part of a fee that shrinks on its own day stays on it. An event the ledger
/// refuses leaves the fee as it stands.
pub(crate) fn reverse_unearned_late_fees(
    env: &mut Env<'_>,
    account: &Account,
    case: &mut CollectionCase,
    effective_on: NaiveDate,
) -> Result<(), CommandError> {
    let mut events = crate::ledger_write::load_events(env.txn, account)?;
    let mut index = 0;
    while let Some(charge) = case.late_fee_charges.get(index).copied() {
        if effective_on >= charge.assessed_on {
            index += 1;
            continue;
        }
        // Late means still owed when the day of the assessment began: a payment dated on that
        // day came after the grace days, whenever it was recorded.
        let eve = arrears_core::dates::days_before(charge.assessed_on, 1);
        let before = arrears_core::ledger::replay(account, &events, Some(eve)).state;
        let earned_minor = before.obligations.get(&charge.obligation).map_or(0, |late| {
            let owed_minor = late.outstanding_minor[Component::Principal.index()]
                + late.outstanding_minor[Component::Interest.index()];
            if late.disputed {
                0
            } else {
                account.terms.late_fee.fee_minor(owed_minor, account.currency).max(0)
            }
        });
        // Unearned whole: the fee is withdrawn, and the money that paid it (unapplied cash the
        // fee took the moment it was charged, a payment of its day) is the debtor's again. A
        // charged-off account takes no withdrawal: its fee is waived as a shrinking one is.
        let withdrawn = if earned_minor == 0 {
            let withdrawal = EventKind::ChargeWithdrawn { obligation: charge.fee };
            prepare(env.txn, account, charge.assessed_on, withdrawal, Vec::new())?.ok()
        } else {
            None
        };
        let (prepared, waived_minor) = match withdrawn {
            Some(prepared) => (prepared, charge.fee_minor),
            None => {
                // At most what the fee owed at the end of its day (a payment of the same day,
                // recorded after the fee, may have paid part of it).
                let then =
                    arrears_core::ledger::replay(account, &events, Some(charge.assessed_on)).state;
                let fee_owed_minor = then
                    .obligations
                    .get(&charge.fee)
                    .map_or(0, |fee| fee.outstanding_minor[Component::Fee.index()]);
                let waived_minor = (charge.fee_minor - earned_minor).min(fee_owed_minor);
                if waived_minor <= 0 {
                    index += 1;
                    continue;
                }
                let waiver = EventKind::Waiver {
                    obligation: charge.fee,
                    component: Component::Fee,
                    amount_minor: waived_minor,
                };
                match prepare(env.txn, account, charge.assessed_on, waiver, Vec::new())? {
                    Ok(prepared) => (prepared, waived_minor),
                    Err(_) => {
                        index += 1;
                        continue;
                    }
                }
            }
        };
        write(env.txn, env.now, env.key, prepared)?;
        events = crate::ledger_write::load_events(env.txn, account)?;
        let in_force_minor = charge.fee_minor - waived_minor;
        if in_force_minor == 0 {
            case.late_fee_charges.remove(index);
            case.late_fees_assessed.retain(|obligation| *obligation != charge.obligation);
        } else {
            case.late_fee_charges[index].fee_minor = in_force_minor;
            index += 1;
        }
    }
    Ok(())
}

/// Records a ledger event the engine itself derives (never refused by a checked state).
pub(crate) fn follow_up(
    env: &mut Env<'_>,
    account: &Account,
    on: NaiveDate,
    kind: EventKind,
) -> Result<Posted, CommandError> {
    let name = kind.name();
    match prepare(env.txn, account, on, kind, Vec::new())? {
        Ok(prepared) => write(env.txn, env.now, env.key, prepared),
        Err(rejection) => {
            Err(CommandError::Invariant { event: name, rejection: Box::new(rejection) })
        }
    }
}

/// After a payment or a review: promise kept, plan completed, settlement completed.
pub(crate) fn settle_agreements(
    env: &mut Env<'_>,
    account: &Account,
    jurisdiction: &Jurisdiction,
    case: &mut CollectionCase,
    as_of: NaiveDate,
) -> Result<(), CommandError> {
    // Of the history, the agreements read only the payments since they were made.
    let payments_from = [
        case.promise.as_ref().map(|promise| promise.made_on),
        case.settlement.as_ref().map(|settlement| settlement.offered_on),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(NO_PAYMENTS);
    let state =
        env.txn.open_state(account, as_of, stage_payments_from(env.policy, payments_from))?;
    if let Some(promise) = case.promise.clone() {
        let paid: Vec<(NaiveDate, i64)> = received(&state).collect();
        if promise_status(&promise.payments, &paid, promise.made_on, promise.grace_days, as_of)
            == Some(true)
        {
            step(env, account, jurisdiction, case, &state, CollectionEvent::PromiseKept, as_of)?;
            case.promise = None;
            case.kept_promises += 1;
        }
    }
    if let Some(plan) = case.plan.clone() {
        let paid_off = plan.installments.iter().all(|id| {
            state.obligations.get(id).is_none_or(|obligation| obligation.total_minor() == 0)
        });
        if paid_off {
            step(env, account, jurisdiction, case, &state, CollectionEvent::PlanCompleted, as_of)?;
            case.plan = None;
        }
    }
    if let Some(settlement) = case.settlement.clone() {
        if let Some(accepted_on) = settlement.accepted_on {
            let paid: i64 = received(&state)
                .filter(|(on, _)| *on >= settlement.offered_on && *on <= settlement.expires_on)
                .map(|(_, amount)| amount)
                .sum();
            if paid >= settlement.amount_minor && accepted_on <= as_of {
                follow_up(env, account, as_of.max(accepted_on), EventKind::WriteOffRemainder)?;
                let from = stage_payments_from(env.policy, NO_PAYMENTS);
                let state = env.txn.open_state(account, as_of, from)?;
                step(
                    env,
                    account,
                    jurisdiction,
                    case,
                    &state,
                    CollectionEvent::SettlementCompleted,
                    as_of,
                )?;
                case.settlement = None;
                // Nothing is owed any more: a promise or plan still open is over (it would
                // count among the debtor's commitments, and the next review would break it).
                case.promise = None;
                case.plan = None;
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
    jurisdiction: &Jurisdiction,
    case: &mut CollectionCase,
    state: &AccountState,
    event: CollectionEvent,
    as_of: NaiveDate,
) -> Result<bool, CommandError> {
    match gate(env.policy, account, jurisdiction, case, state, &event, as_of) {
        Ok(transition) => {
            apply(env.txn, env.now, case, transition, &event, as_of)?;
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

/// A command that only moves the case through the state machine.
pub(crate) fn case_event(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    event: CollectionEvent,
    update: impl FnOnce(&mut CollectionCase),
) -> Result<Outcome, CommandError> {
    let no_guard = |_: &Env<'_>, _: &Account, _: &CollectionCase, _: NaiveDate| Ok(None);
    case_event_guarded(env, account_id, on, event, no_guard, update)
}

/// The refusal of a legal referral of `account` decided as of `as_of` by the compliance
/// guardrails of its debtor's jurisdiction (a referral is a suit, `ActionKind::Suit`), if they
/// block it: Spain's `es.forbearance-before-enforcement` until forbearance was assessed.
pub(crate) fn suit_refusal(
    env: &Env<'_>,
    account: &Account,
    case: &CollectionCase,
    as_of: NaiveDate,
) -> Result<Option<Rejection>, CommandError> {
    let debtor =
        env.txn.debtor(account.debtor)?.ok_or(CommandError::UnknownDebtor(account.debtor))?;
    let packs = arrears_core::compliance::packs_for(&debtor.jurisdiction, env.policy.creditor());
    Ok(crate::guardrails::suit_decision(&packs, &debtor, case, as_of)
        .filter(|decision| !decision.allowed)
        .map(|decision| {
            let rule = decision.rule.unwrap_or_default();
            Rejection::Guardrail {
                action: arrears_core::compliance::ActionKind::Suit,
                citation: crate::guardrails::citation_of(&packs, &rule),
                rule,
                reason: decision.reason,
            }
        }))
}

/// [`case_event`] with a `guard` asked once the state machine has accepted the event (so that
/// the state's refusal comes first): a rejection it returns refuses the command.
pub(crate) fn case_event_guarded(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: NaiveDate,
    event: CollectionEvent,
    guard: impl FnOnce(
        &Env<'_>,
        &Account,
        &CollectionCase,
        NaiveDate,
    ) -> Result<Option<Rejection>, CommandError>,
    update: impl FnOnce(&mut CollectionCase),
) -> Result<Outcome, CommandError> {
    let record = load_account_record(env.txn, account_id)?;
    let AccountRecord { account, debtor_jurisdiction } = &*record;
    if let Some(rejection) = before_opened(account, on) {
        return Ok(Outcome::Rejected(rejection));
    }
    let jurisdiction = jurisdiction_of(env.txn, account, debtor_jurisdiction.as_ref())?;
    let mut case = load_case(env.txn, env.policy, account)?;
    let as_of = decision_date(&case, on);
    let from = stage_payments_from(env.policy, NO_PAYMENTS);
    let state = env.txn.open_state(account, as_of, from)?;
    // Decided from the state the ledger gives on `as_of`, not the last review's.
    let standing = CollectionCase {
        state: standing_state(
            &case.state,
            &context(env.policy, account, &jurisdiction, &state, as_of),
        ),
        ..case.clone()
    };
    let transition =
        match gate(env.policy, account, &jurisdiction, &standing, &state, &event, as_of) {
            Ok(transition) => transition,
            Err(rejection) => return Ok(Outcome::Rejected(rejection)),
        };
    if let Some(rejection) = guard(env, account, &case, as_of)? {
        return Ok(Outcome::Rejected(rejection));
    }
    let (from, to) = apply(env.txn, env.now, &mut case, transition, &event, as_of)?;
    update(&mut case);
    env.txn.put_case(&case)?;
    Ok(Outcome::Cases(vec![CaseChanged {
        account: account.id,
        from: from.to_owned(),
        to: to.to_owned(),
        posted: Vec::new(),
    }]))
}

/// The signals present on `as_of`: the case's, unreturned calls (three or more outbound phone
/// calls in 30 days without reaching the debtor; e-mails and texts do not count), an extension the debtor asked an agent for
/// (`extension_requested`, from `queue::extension_requested`), and the signals reported about
/// the debtor that are in force.
pub(crate) fn signals(
    case: &CollectionCase,
    debtor: &Debtor,
    features: &arrears_core::strategy::Features,
    as_of: NaiveDate,
    extension_requested: bool,
) -> Vec<arrears_core::policy::Signal> {
    let mut signals = case.signals(as_of);
    for reported in debtor.reported_signals.iter().filter(|reported| reported.in_force(as_of)) {
        if !signals.contains(&reported.signal) {
            signals.push(reported.signal);
        }
    }
    // Detectors keep `unreturned_calls` and `extension_request` on the debtor record too
    // (docs/CREDIT.md, "Detectors"): each signal is listed once.
    let mut add = |signal: arrears_core::policy::Signal| {
        if !signals.contains(&signal) {
            signals.push(signal);
        }
    };
    if unreturned_calls(features.calls_30d, features.right_party_contacts_30d) {
        add(arrears_core::policy::Signal::UnreturnedCalls);
    }
    if extension_requested {
        add(arrears_core::policy::Signal::ExtensionRequest);
    }
    signals
}

/// True if and only if the calls of the last 30 days make the `unreturned_calls` signal: three
/// or more outbound phone calls and no right-party contact.
pub(crate) fn unreturned_calls(calls_30d: u32, right_party_contacts_30d: u32) -> bool {
    calls_30d >= 3 && right_party_contacts_30d == 0
}

/// An account's contacts of the 30 days through `as_of` (of the debtor's `contacts`): the
/// attempts, those that reached the debtor, and the outbound calls, as the features count them.
pub(crate) struct RecentContacts {
    pub(crate) attempts: u32,
    pub(crate) right_party: u32,
    pub(crate) calls: u32,
}

/// The account's [`RecentContacts`] on `as_of`.
pub(crate) fn recent_contacts(
    contacts: &[ContactAttempt],
    account: arrears_core::ids::AccountId,
    as_of: NaiveDate,
) -> RecentContacts {
    let since_30 = arrears_core::dates::days_before(as_of, 30);
    let recent: Vec<&ContactAttempt> = contacts
        .iter()
        .filter(|attempt| attempt.accounts.contains(&account))
        .filter(|attempt| attempt.at.date_naive() > since_30 && attempt.at.date_naive() <= as_of)
        .collect();
    RecentContacts {
        attempts: recent.len() as u32,
        right_party: recent.iter().filter(|attempt| attempt.outcome.is_right_party()).count()
            as u32,
        calls: recent
            .iter()
            .filter(|attempt| {
                !attempt.inbound && attempt.channel == arrears_core::model::ContactChannel::Phone
            })
            .count() as u32,
    }
}

/// The features of an account on `as_of`, from its ledger, case and contact history.
pub(crate) fn features(
    contacts: &[ContactAttempt],
    account: &Account,
    case: &CollectionCase,
    state: &AccountState,
    as_of: NaiveDate,
) -> arrears_core::strategy::Features {
    let since_90 = arrears_core::dates::days_before(as_of, 90);
    let paid: Vec<(NaiveDate, i64)> =
        received(state).filter(|(on, _)| *on > since_90 && *on <= as_of).collect();
    let reversals_90d = state
        .payments
        .values()
        .filter_map(|payment| payment.reversed_on)
        .filter(|on| *on > since_90 && *on <= as_of)
        .count() as u32;
    let recent = recent_contacts(contacts, account.id, as_of);
    // Whole months, as the ABI documents it and as a stage's tenure counts them: an account
    // opened on Jan 31 is not a month on book before Feb 28 ends (`months_between`).
    let months_on_book = i64::from(months_between(account.opened_on, as_of));
    arrears_core::strategy::Features {
        account: account.id,
        debtor: account.debtor,
        product: account.product,
        as_of,
        currency: account.currency,
        days_past_due: state.days_past_due(as_of),
        total_outstanding_minor: state.total_outstanding_minor(),
        past_due_minor: state.past_due_minor(as_of),
        credit_limit_minor: account.credit_limit_minor,
        months_on_book,
        payments_90d: paid.len() as u32,
        paid_90d_minor: paid.iter().map(|(_, amount)| amount).sum(),
        reversals_90d,
        broken_promises: case.broken_promises,
        kept_promises: case.kept_promises,
        attempts_30d: recent.attempts,
        right_party_contacts_30d: recent.right_party,
        calls_30d: recent.calls,
    }
}

#[cfg(test)]
mod tests;
