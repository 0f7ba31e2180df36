//! Unit tests of the collection state machine: one test per rule, the check that keeps
//! `docs/STATE_MACHINE.md` equal to the code, and a property test that drives random event
//! sequences with random contexts from every starting state.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;
use CollectionEvent as E;
use CollectionState as S;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A day of 2026.
fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// The representative context of the table in docs/STATE_MACHINE.md: 45 days past due at
/// stage 2, 500.00 owed, closed-end, not charged off, not time-barred.
fn context() -> Context {
    Context {
        as_of: d(3, 1),
        days_past_due: 45,
        total_outstanding_minor: 50_000,
        revolving: false,
        charged_off: false,
        stage: 2,
        time_barred: false,
    }
}

/// A context with nothing owed and nothing past due.
fn paid_off(context: Context) -> Context {
    Context { days_past_due: 0, total_outstanding_minor: 0, stage: 0, ..context }
}

fn no_flags() -> StickyFlags {
    StickyFlags::default()
}

/// Applies the event with the flags and returns the transition, failing on a rejection.
fn accept(
    state: &CollectionState,
    flags: &StickyFlags,
    event: &CollectionEvent,
    context: &Context,
) -> Transition {
    match transition(state, flags, event, context) {
        Ok(accepted) => accepted,
        Err(rejected) => panic!("expected acceptance, got: {rejected}"),
    }
}

/// Applies the event without flags and returns the new state, failing on a rejection.
fn step(state: &CollectionState, event: &CollectionEvent, context: &Context) -> CollectionState {
    accept(state, &no_flags(), event, context).state
}

/// Applies the event with the flags and returns the rejection's reason, failing on acceptance.
fn refusal(
    state: &CollectionState,
    flags: &StickyFlags,
    event: &CollectionEvent,
    context: &Context,
) -> RefusalReason {
    match transition(state, flags, event, context) {
        Ok(accepted) => panic!("expected a rejection, got {accepted:?}"),
        Err(rejected) => rejected.reason,
    }
}

/// Applies the event without flags and returns the rejection's reason.
fn reason_of(state: &CollectionState, event: &CollectionEvent, context: &Context) -> RefusalReason {
    refusal(state, &no_flags(), event, context)
}

/// The label of a rule in the table of docs/STATE_MACHINE.md.
fn label(rule: &Rule) -> &'static str {
    match rule {
        Rule::Same => "same",
        Rule::Derived => "derived",
        Rule::To(target) => target.name(),
        Rule::Rejected(_) => "rejected",
    }
}

fn placed(agency: &str) -> CollectionState {
    S::Placed { agency: agency.to_owned() }
}

fn place(agency: &str) -> CollectionEvent {
    E::Placed { agency: agency.to_owned() }
}

// ---------------------------------------------------------------------------------------------
// The derived state
// ---------------------------------------------------------------------------------------------

#[test]
fn derive_reads_the_ledger_facts() {
    let context = context();
    assert_eq!(derive(&context), S::Delinquent { stage: 2 });
    assert_eq!(derive(&Context { days_past_due: 0, ..context }), S::Current);
    assert_eq!(derive(&paid_off(context)), S::Paid);
    assert_eq!(derive(&Context { revolving: true, ..paid_off(context) }), S::Current);
    assert_eq!(derive(&Context { charged_off: true, ..context }), S::ChargedOff);
    // A charged-off revolving account paid in full has no credit line to return to.
    assert_eq!(
        derive(&Context { charged_off: true, revolving: true, ..paid_off(context) }),
        S::Paid
    );
    // A stage of 0 while past due is read as the first stage.
    assert_eq!(derive(&Context { stage: 0, ..context }), S::Delinquent { stage: 1 });
    // A credit balance owes nothing.
    assert_eq!(derive(&Context { total_outstanding_minor: -100, ..context }), S::Paid);
}

// ---------------------------------------------------------------------------------------------
// One test per rule
// ---------------------------------------------------------------------------------------------

#[test]
fn review_moves_the_stage_up_and_down() {
    let at_30 = Context { days_past_due: 30, stage: 1, ..context() };
    let state = step(&S::Current, &E::Review, &at_30);
    assert_eq!(state, S::Delinquent { stage: 1 });
    let at_65 = Context { days_past_due: 65, stage: 3, ..at_30 };
    let state = step(&state, &E::Review, &at_65);
    assert_eq!(state, S::Delinquent { stage: 3 });
    // A partial payment brings the oldest unpaid obligation forward: the stage goes down.
    let at_20 = Context { days_past_due: 20, stage: 1, ..at_65 };
    let state = step(&state, &E::PaymentPosted, &at_20);
    assert_eq!(state, S::Delinquent { stage: 1 });
    // A reversal takes it back up.
    let state = step(&state, &E::ReversalPosted, &at_65);
    assert_eq!(state, S::Delinquent { stage: 3 });
    let cured = Context { days_past_due: 0, stage: 0, ..at_65 };
    assert_eq!(step(&state, &E::PaymentPosted, &cured), S::Current);
    // The same review twice changes nothing the second time.
    let again = accept(&S::Delinquent { stage: 3 }, &no_flags(), &E::Review, &at_65);
    assert!(!again.changed);
}

#[test]
fn promise_kept_or_broken_returns_to_the_derived_state() {
    let context = context();
    let promised = step(&S::Delinquent { stage: 2 }, &E::PromiseMade, &context);
    assert_eq!(promised, S::Promised);
    // Ledger events and reviews keep the promise open: the engine decides kept or broken.
    for event in [E::PaymentPosted, E::ChargePosted, E::ReversalPosted, E::Review] {
        assert_eq!(step(&promised, &event, &paid_off(context)), S::Promised);
    }
    assert_eq!(step(&promised, &E::PromiseKept, &paid_off(context)), S::Paid);
    let revolving = Context { revolving: true, ..paid_off(context) };
    assert_eq!(step(&promised, &E::PromiseKept, &revolving), S::Current);
    assert_eq!(step(&promised, &E::PromiseBroken, &context), S::Delinquent { stage: 2 });
    // Nothing owed, nothing to promise.
    let reason = refusal(&S::Current, &no_flags(), &E::PromiseMade, &paid_off(context));
    assert_eq!(reason, REASON_NOTHING_OWED);
    // Owed but not yet due: a promise may be made.
    let not_due = Context { days_past_due: 0, stage: 0, ..context };
    assert_eq!(step(&S::Current, &E::PromiseMade, &not_due), S::Promised);
    let reason = refusal(&S::Delinquent { stage: 2 }, &no_flags(), &E::PromiseKept, &context);
    assert_eq!(reason, REASON_NO_PROMISE);
}

#[test]
fn plan_missed_installment_keeps_the_plan_and_default_derives() {
    let context = context();
    let in_plan = step(&S::Promised, &E::PlanCreated, &context);
    assert_eq!(in_plan, S::InPlan);
    assert_eq!(step(&in_plan, &E::InstallmentMissed, &context), S::InPlan);
    assert_eq!(step(&in_plan, &E::Review, &context), S::InPlan);
    assert_eq!(step(&in_plan, &E::PlanDefaulted, &context), S::Delinquent { stage: 2 });
    assert_eq!(step(&in_plan, &E::PlanCompleted, &paid_off(context)), S::Paid);
    assert_eq!(refusal(&in_plan, &no_flags(), &E::PromiseMade, &context), REASON_PLAN_ACTIVE);
    let reason = refusal(&S::Delinquent { stage: 2 }, &no_flags(), &E::PlanDefaulted, &context);
    assert_eq!(reason, REASON_NO_PLAN);
}

#[test]
fn dispute_pauses_collection_and_resolution_derives() {
    let context = context();
    let disputed = step(&S::InPlan, &E::DisputeOpened, &context);
    assert_eq!(disputed, S::Disputed);
    assert_eq!(step(&disputed, &E::PaymentPosted, &context), S::Disputed);
    assert_eq!(refusal(&disputed, &no_flags(), &E::PromiseMade, &context), REASON_DISPUTED);
    assert_eq!(refusal(&disputed, &no_flags(), &place("acme"), &context), REASON_DISPUTED);
    let reason = refusal(&disputed, &no_flags(), &E::DisputeOpened, &context);
    assert_eq!(reason, REASON_ALREADY_DISPUTED);
    assert_eq!(step(&disputed, &E::DisputeResolved, &context), S::Delinquent { stage: 2 });
    // A charge-off during the dispute keeps the dispute; resolving it derives ChargedOff.
    assert_eq!(step(&disputed, &E::ChargeOff, &context), S::Disputed);
    let charged_off = Context { charged_off: true, ..context };
    assert_eq!(step(&disputed, &E::DisputeResolved, &charged_off), S::ChargedOff);
    // Not from a state that is no longer open.
    for state in [S::Settled, S::Paid, S::Closed] {
        assert!(transition(&state, &no_flags(), &E::DisputeOpened, &context).is_err());
    }
}

#[test]
fn hardship_expires_on_the_first_review_after_until() {
    let context = context();
    let until = d(3, 31);
    let hardship = step(&S::Delinquent { stage: 2 }, &E::HardshipGranted { until }, &context);
    assert_eq!(hardship, S::Hardship { until });
    let on_until = Context { as_of: until, ..context };
    assert_eq!(step(&hardship, &E::Review, &on_until), hardship);
    let after = Context { as_of: d(4, 1), days_past_due: 76, stage: 3, ..context };
    assert_eq!(step(&hardship, &E::Review, &after), S::Delinquent { stage: 3 });
    // Ended early.
    assert_eq!(step(&hardship, &E::HardshipEnded, &context), S::Delinquent { stage: 2 });
    // Extended.
    let longer = E::HardshipGranted { until: d(5, 31) };
    assert_eq!(step(&hardship, &longer, &context), S::Hardship { until: d(5, 31) });
    // A forbearance that already ended is refused.
    let past = E::HardshipGranted { until: d(2, 28) };
    let reason = refusal(&S::Delinquent { stage: 2 }, &no_flags(), &past, &context);
    assert_eq!(reason, REASON_HARDSHIP_IN_PAST);
    // No promises or plans during the hardship.
    let refused = reason_of(&hardship, &E::PlanCreated, &context);
    assert_eq!(refused, REASON_HARDSHIP);
}

#[test]
fn placement_and_recall() {
    let context = context();
    let with_agency = step(&S::Delinquent { stage: 2 }, &place("acme"), &context);
    assert_eq!(with_agency, placed("acme"));
    assert_eq!(step(&with_agency, &E::PaymentPosted, &context), with_agency);
    assert_eq!(reason_of(&with_agency, &place("other"), &context), REASON_ALREADY_PLACED);
    assert_eq!(step(&with_agency, &E::Recalled, &context), S::Delinquent { stage: 2 });
    // Not placed while current.
    assert_eq!(reason_of(&S::Current, &place("acme"), &context), REASON_NOTHING_PAST_DUE);
    // Charged-off debt: the agency keeps working through a charge-off, and a recall derives
    // ChargedOff from the ledger.
    let charged_off = Context { charged_off: true, ..context };
    assert_eq!(step(&with_agency, &E::ChargeOff, &charged_off), with_agency);
    assert_eq!(step(&with_agency, &E::Recalled, &charged_off), S::ChargedOff);
    let again = step(&S::ChargedOff, &place("recoveries"), &charged_off);
    assert_eq!(again, placed("recoveries"));
    // The agency collected everything.
    assert_eq!(step(&again, &E::PaymentPosted, &paid_off(charged_off)), S::Paid);
    // Legal from the agency, then recalled.
    let legal = step(&again, &E::LegalReferral, &charged_off);
    assert_eq!(legal, S::Legal);
    assert_eq!(step(&legal, &E::Recalled, &charged_off), S::ChargedOff);
    assert_eq!(reason_of(&S::Delinquent { stage: 2 }, &E::Recalled, &context), REASON_NOT_PLACED);
}

/// A placed account disputed (or granted a hardship) could not be recalled: `recalled` was
/// refused in a hold (`not placed`), so the agency kept the file, and the commission on what
/// the debtor paid, until the hold ended. A recall in a hold keeps the hold and forgets the
/// placement it interrupted: the hold's end derives the state instead of resuming it.
#[test]
fn a_recall_during_a_hold_forgets_the_placement_and_the_hold_ends_derived() {
    let context = context();
    let flags = StickyFlags::default();
    let with_agency = placed("acme");
    let held =
        transition_with_holds(&with_agency, &[], &flags, &E::DisputeOpened, &context).unwrap();
    assert_eq!((&held.state, &held.interrupted), (&S::Disputed, &vec![with_agency.clone()]));
    let recalled =
        transition_with_holds(&S::Disputed, &held.interrupted, &flags, &E::Recalled, &context)
            .unwrap();
    assert_eq!(recalled.state, S::Disputed);
    assert_eq!(recalled.interrupted, vec![S::Current]);
    assert!(!recalled.changed);
    // A second recall finds no placement.
    let again =
        transition_with_holds(&S::Disputed, &recalled.interrupted, &flags, &E::Recalled, &context);
    assert_eq!(again.unwrap_err().reason, REASON_NOT_PLACED);
    // The dispute's end derives the state from the ledger; without the recall it resumes the
    // placement.
    let resolved = E::DisputeResolved;
    let ended =
        transition_with_holds(&S::Disputed, &recalled.interrupted, &flags, &resolved, &context);
    assert_eq!(ended.unwrap().state, S::Delinquent { stage: 2 });
    let resumed =
        transition_with_holds(&S::Disputed, &held.interrupted, &flags, &resolved, &context);
    assert_eq!(resumed.unwrap().state, with_agency);
    // Legal reached from the placement, then disputed: recalled as outside a hold.
    let legal = step(&with_agency, &E::LegalReferral, &context);
    let held = transition_with_holds(&legal, &[], &flags, &E::DisputeOpened, &context).unwrap();
    let recalled =
        transition_with_holds(&S::Disputed, &held.interrupted, &flags, &E::Recalled, &context);
    assert_eq!(recalled.unwrap().interrupted, vec![S::Current]);
    // A hold of an account that was never placed: refused as before.
    for (state, opened) in [
        (S::Delinquent { stage: 2 }, E::DisputeOpened),
        (S::Delinquent { stage: 2 }, E::HardshipGranted { until: d(4, 1) }),
    ] {
        let held = transition_with_holds(&state, &[], &flags, &opened, &context).unwrap();
        let refused =
            transition_with_holds(&held.state, &held.interrupted, &flags, &E::Recalled, &context);
        assert_eq!(refused.unwrap_err().reason, REASON_NOT_PLACED, "{opened:?}");
    }
}

#[test]
fn charge_off_then_recovery_to_paid() {
    let context = context();
    let charged_off = step(&S::Delinquent { stage: 6 }, &E::ChargeOff, &context);
    assert_eq!(charged_off, S::ChargedOff);
    assert_eq!(reason_of(&charged_off, &E::ChargeOff, &context), REASON_ALREADY_CHARGED_OFF);
    let ledger = Context { charged_off: true, days_past_due: 200, stage: 6, ..context };
    // Partial recoveries keep it charged off.
    let partial = Context { total_outstanding_minor: 20_000, ..ledger };
    assert_eq!(step(&charged_off, &E::PaymentPosted, &partial), S::ChargedOff);
    // A plan on a charged-off account keeps it charged off.
    assert_eq!(step(&charged_off, &E::PlanCreated, &partial), S::ChargedOff);
    assert_eq!(step(&charged_off, &E::PlanDefaulted, &partial), S::ChargedOff);
    // Recovered in full, even on a revolving product.
    let recovered = Context { revolving: true, ..paid_off(ledger) };
    assert_eq!(step(&charged_off, &E::PaymentPosted, &recovered), S::Paid);
    // The last recovery bounces: back to ChargedOff through the derived state.
    assert_eq!(step(&S::Paid, &E::ReversalPosted, &ledger), S::ChargedOff);
    // Promised and InPlan are absorbed by a charge-off.
    assert_eq!(step(&S::Promised, &E::ChargeOff, &context), S::ChargedOff);
    assert_eq!(step(&S::InPlan, &E::ChargeOff, &context), S::ChargedOff);
    // Nothing owed, nothing to charge off.
    assert_eq!(reason_of(&S::Current, &E::ChargeOff, &paid_off(context)), REASON_NOTHING_OWED);
}

#[test]
fn settlement_offered_accepted_completed() {
    let context = context();
    let delinquent = S::Delinquent { stage: 2 };
    assert_eq!(step(&delinquent, &E::SettlementOffered, &context), delinquent);
    assert_eq!(step(&delinquent, &E::SettlementAccepted, &context), delinquent);
    let settled = step(&delinquent, &E::SettlementCompleted, &context);
    assert_eq!(settled, S::Settled);
    assert_eq!(step(&settled, &E::PaymentPosted, &paid_off(context)), S::Settled);
    assert_eq!(step(&settled, &E::Review, &paid_off(context)), S::Settled);
    assert_eq!(reason_of(&settled, &E::ChargePosted, &context), REASON_SETTLED);
    assert_eq!(reason_of(&settled, &E::SettlementOffered, &context), REASON_SETTLED);
    // A returned settlement payment voids the settlement.
    assert_eq!(step(&settled, &E::ReversalPosted, &context), S::Delinquent { stage: 2 });
    assert_eq!(step(&settled, &E::Close, &paid_off(context)), S::Closed);
    // Settlements are not offered during a dispute or a hardship.
    assert_eq!(reason_of(&S::Disputed, &E::SettlementOffered, &context), REASON_DISPUTED);
    assert_eq!(
        reason_of(&S::ChargedOff, &E::SettlementOffered, &paid_off(context)),
        REASON_NOTHING_OWED
    );
}

#[test]
fn close_and_reopen_for_revolving_only() {
    let revolving = Context { revolving: true, ..paid_off(context()) };
    let closed = step(&S::Current, &E::Close, &revolving);
    assert_eq!(closed, S::Closed);
    assert_eq!(step(&closed, &E::Reopen, &revolving), S::Current);
    let closed_end = Context { revolving: false, ..revolving };
    assert_eq!(reason_of(&closed, &E::Reopen, &closed_end), REASON_NOT_REVOLVING);
    assert_eq!(step(&S::Paid, &E::Close, &closed_end), S::Closed);
    // Not with a balance.
    let owed = Context { total_outstanding_minor: 1, ..revolving };
    assert_eq!(reason_of(&S::Current, &E::Close, &owed), REASON_BALANCE_OUTSTANDING);
    // Reopen only from Closed.
    assert_eq!(reason_of(&S::Current, &E::Reopen, &revolving), REASON_NOT_CLOSED);
}

#[test]
fn closed_accepts_only_reopen_a_reversal_and_the_flag_events() {
    let revolving = Context { revolving: true, ..context() };
    for event in CollectionEvent::ALL_KINDS {
        let outcome = transition(&S::Closed, &no_flags(), &event, &revolving);
        match event {
            E::Reopen => assert_eq!(outcome.unwrap().state, S::Current),
            // A returned payment re-opens what it paid; one that leaves nothing owed leaves
            // the account closed.
            E::ReversalPosted => {
                assert_eq!(outcome.unwrap().state, derive(&revolving));
                let nothing_owed = paid_off(revolving);
                let kept = transition(&S::Closed, &no_flags(), &event, &nothing_owed);
                assert_eq!(kept.unwrap().state, S::Closed);
            }
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => assert_eq!(outcome.unwrap().state, S::Closed),
            E::ChargePosted
            | E::PaymentPosted
            | E::Review
            | E::PromiseMade
            | E::PromiseKept
            | E::PromiseBroken
            | E::PlanCreated
            | E::InstallmentMissed
            | E::PlanDefaulted
            | E::PlanCompleted
            | E::DisputeOpened
            | E::DisputeResolved
            | E::HardshipGranted { .. }
            | E::HardshipEnded
            | E::Placed { .. }
            | E::Recalled
            | E::LegalReferral
            | E::ChargeOff
            | E::SettlementOffered
            | E::SettlementAccepted
            | E::SettlementCompleted
            | E::Close
            | E::ChargeOffReversed => {
                let rejected = outcome.unwrap_err();
                assert_eq!(rejected.state.name(), "closed");
                assert_eq!(rejected.event.name(), event.name());
                assert_eq!(rejected.reason, REASON_CLOSED);
            }
        }
    }
}

#[test]
fn a_reversed_charge_off_goes_to_the_state_the_ledger_implies() {
    // After the reversal the ledger holds no charge-off: the context says so.
    let reopened = Context { charged_off: false, ..context() };
    assert_eq!(step(&S::ChargedOff, &E::ChargeOffReversed, &reopened), S::Delinquent { stage: 2 });
    let not_due = Context { days_past_due: 0, ..reopened };
    assert_eq!(step(&S::ChargedOff, &E::ChargeOffReversed, &not_due), S::Current);
    // An overlay state that outlived the charge-off stays.
    assert_eq!(step(&S::Legal, &E::ChargeOffReversed, &reopened), S::Legal);
    // Nothing to reverse.
    assert_eq!(reason_of(&S::Current, &E::ChargeOffReversed, &reopened), REASON_NOT_CHARGED_OFF);
}

#[test]
fn a_rejection_names_the_state_the_event_and_the_reason() {
    let rejected = transition(&S::Closed, &no_flags(), &E::PaymentPosted, &context()).unwrap_err();
    assert_eq!(
        rejected.to_string(),
        "event payment_posted is not accepted in state closed: closed"
    );
    let stayed = StickyFlags { bankruptcy_stay: true, ..no_flags() };
    let rejected = transition(&S::Delinquent { stage: 2 }, &stayed, &E::LegalReferral, &context())
        .unwrap_err();
    assert_eq!(
        rejected.to_string(),
        "event legal_referral is not accepted in state delinquent: bankruptcy stay"
    );
}

#[test]
fn bankruptcy_stay_refuses_collection_and_a_dismissal_lifts_it() {
    let context = context();
    let delinquent = S::Delinquent { stage: 2 };
    let filed = accept(&delinquent, &no_flags(), &E::BankruptcyFiled, &context);
    assert_eq!(filed.state, delinquent);
    assert!(filed.flags.bankruptcy_stay);
    assert!(filed.changed);
    let stayed = filed.flags;
    for event in
        [E::PromiseMade, E::PlanCreated, place("acme"), E::LegalReferral, E::SettlementOffered]
    {
        assert_eq!(refusal(&delinquent, &stayed, &event, &context), REASON_BANKRUPTCY_STAY);
    }
    // A stay also refuses what ChargedOff would otherwise keep.
    assert_eq!(refusal(&S::ChargedOff, &stayed, &E::PromiseMade, &context), REASON_BANKRUPTCY_STAY);
    // Ledger events, disputes and charge-offs are still taken.
    for event in [E::PaymentPosted, E::Review, E::DisputeOpened, E::ChargeOff] {
        assert!(transition(&delinquent, &stayed, &event, &context).is_ok());
    }
    let dismissed = accept(&delinquent, &stayed, &E::BankruptcyDismissed, &context);
    assert!(!dismissed.flags.bankruptcy_stay);
    assert!(!dismissed.flags.bankruptcy_discharged);
    assert_eq!(step(&delinquent, &E::PromiseMade, &context), S::Promised);
    assert!(transition(&delinquent, &dismissed.flags, &E::PromiseMade, &context).is_ok());
    // A state refusal wins over the flag.
    assert_eq!(refusal(&S::Closed, &stayed, &E::PromiseMade, &context), REASON_CLOSED);
}

#[test]
fn a_discharge_ends_the_stay_and_refuses_collection_for_good() {
    let context = context();
    let delinquent = S::Delinquent { stage: 2 };
    let stayed = accept(&delinquent, &no_flags(), &E::BankruptcyFiled, &context).flags;
    let discharged = accept(&delinquent, &stayed, &E::BankruptcyDischarged, &context);
    assert_eq!(discharged.state, delinquent);
    assert!(discharged.changed);
    assert!(!discharged.flags.bankruptcy_stay);
    assert!(discharged.flags.bankruptcy_discharged);
    let collection =
        [E::PromiseMade, E::PlanCreated, place("acme"), E::LegalReferral, E::SettlementOffered];
    for event in collection.clone() {
        let refused = refusal(&delinquent, &discharged.flags, &event, &context);
        assert_eq!(refused, RefusalReason::BankruptcyDischarged, "{}", event.name());
    }
    // Money is still taken (a voluntary payment, a charge-off, a dispute recorded).
    for event in [E::PaymentPosted, E::Review, E::DisputeOpened, E::ChargeOff] {
        assert!(transition(&delinquent, &discharged.flags, &event, &context).is_ok());
    }
    // A discharge recorded with no stay before it does the same.
    let direct = accept(&delinquent, &no_flags(), &E::BankruptcyDischarged, &context);
    assert_eq!(direct.flags, discharged.flags);
    // A new filing stays, and its dismissal lifts the new stay, not the discharge.
    let refiled = accept(&delinquent, &discharged.flags, &E::BankruptcyFiled, &context).flags;
    assert_eq!(refusal(&delinquent, &refiled, &E::PromiseMade, &context), REASON_BANKRUPTCY_STAY);
    let dismissed = accept(&delinquent, &refiled, &E::BankruptcyDismissed, &context).flags;
    assert!(!dismissed.bankruptcy_stay && dismissed.bankruptcy_discharged);
    for event in collection {
        let refused = refusal(&delinquent, &dismissed, &event, &context);
        assert_eq!(refused, RefusalReason::BankruptcyDischarged, "{}", event.name());
    }
    // The guardrails see a discharged debt as one they may not contact about.
    assert!(crate::compliance::Flags::from(dismissed).bankruptcy);
}

#[test]
fn deceased_refuses_promises_and_plans() {
    let context = context();
    let delinquent = S::Delinquent { stage: 2 };
    let flags = accept(&delinquent, &no_flags(), &E::Deceased, &context).flags;
    assert!(flags.deceased);
    assert_eq!(refusal(&delinquent, &flags, &E::PromiseMade, &context), REASON_DECEASED);
    assert_eq!(refusal(&delinquent, &flags, &E::PlanCreated, &context), REASON_DECEASED);
    // The estate may settle.
    assert!(transition(&delinquent, &flags, &E::SettlementOffered, &context).is_ok());
}

#[test]
fn time_barred_is_recorded_by_review_and_refuses_legal_referral() {
    let context = context();
    let delinquent = S::Delinquent { stage: 2 };
    let barred = Context { time_barred: true, ..context };
    // Only a review records the flag.
    let paid = accept(&delinquent, &no_flags(), &E::PaymentPosted, &barred);
    assert!(!paid.flags.time_barred);
    let reviewed = accept(&delinquent, &no_flags(), &E::Review, &barred);
    assert!(reviewed.flags.time_barred);
    assert!(reviewed.changed);
    // Once recorded, a context that says otherwise does not clear it.
    let again = accept(&delinquent, &reviewed.flags, &E::Review, &context);
    assert!(again.flags.time_barred);
    assert_eq!(
        refusal(&delinquent, &reviewed.flags, &E::LegalReferral, &context),
        REASON_TIME_BARRED
    );
    // The context alone refuses the referral too.
    assert_eq!(refusal(&delinquent, &no_flags(), &E::LegalReferral, &barred), REASON_TIME_BARRED);
}

#[test]
fn sticky_flags_stay_set_in_every_state() {
    let context = context();
    let every_flag = StickyFlags {
        cease_communication: true,
        attorney_represented: true,
        bankruptcy_stay: false,
        deceased: true,
        time_barred: true,
        bankruptcy_discharged: true,
    };
    for state in CollectionState::ALL_KINDS {
        for event in CollectionEvent::ALL_KINDS {
            if let Ok(accepted) = transition(&state, &every_flag, &event, &context) {
                let flags = accepted.flags;
                assert!(flags.cease_communication);
                // Only the attorney's withdrawal clears the attorney flag.
                assert_eq!(flags.attorney_represented, event != E::AttorneyWithdrawn);
                assert!(flags.deceased && flags.time_barred && flags.bankruptcy_discharged);
                let stay_expected = event == E::BankruptcyFiled;
                assert_eq!(
                    flags.bankruptcy_stay,
                    stay_expected,
                    "{} {}",
                    state.name(),
                    event.name()
                );
            }
        }
    }
    // Flag events keep the state, in every state, but that a discharge ends a promise or a
    // plan (to pay a debt no longer owed): the case goes where the ledger says.
    for state in CollectionState::ALL_KINDS {
        for event in [
            E::CeaseRequested,
            E::AttorneyNotified,
            E::BankruptcyFiled,
            E::BankruptcyDischarged,
            E::BankruptcyDismissed,
            E::Deceased,
            E::AttorneyWithdrawn,
        ] {
            let ends_agreement =
                event == E::BankruptcyDischarged && matches!(state, S::Promised | S::InPlan);
            let expected = if ends_agreement { derive(&context) } else { state.clone() };
            assert_eq!(step(&state, &event, &context), expected, "{}", state.name());
        }
    }
}

#[test]
fn flag_events_set_exactly_their_flag() {
    let context = context();
    let cases = [
        (E::CeaseRequested, StickyFlags { cease_communication: true, ..no_flags() }),
        (E::AttorneyNotified, StickyFlags { attorney_represented: true, ..no_flags() }),
        (E::BankruptcyFiled, StickyFlags { bankruptcy_stay: true, ..no_flags() }),
        (E::Deceased, StickyFlags { deceased: true, ..no_flags() }),
        (E::BankruptcyDischarged, StickyFlags { bankruptcy_discharged: true, ..no_flags() }),
        (E::BankruptcyDismissed, no_flags()),
        (E::AttorneyWithdrawn, no_flags()),
    ];
    for (event, expected) in cases {
        let accepted = accept(&S::Current, &no_flags(), &event, &context);
        assert_eq!(accepted.flags, expected, "{}", event.name());
        assert_eq!(accepted.changed, expected != no_flags());
    }
}

#[test]
fn names_are_the_serde_names_and_states_round_trip() {
    /// A stored record, as `arrears-store` might keep it.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stored {
        state: CollectionState,
        flags: StickyFlags,
        event: CollectionEvent,
    }
    for state in CollectionState::ALL_KINDS {
        let tag = match toml::Value::try_from(&state).unwrap() {
            toml::Value::String(tag) => tag,
            toml::Value::Table(table) => table.keys().next().unwrap().clone(),
            other => panic!("unexpected encoding {other:?}"),
        };
        assert_eq!(tag, state.name());
    }
    for event in CollectionEvent::ALL_KINDS {
        let tag = match toml::Value::try_from(&event).unwrap() {
            toml::Value::String(tag) => tag,
            toml::Value::Table(table) => table.keys().next().unwrap().clone(),
            other => panic!("unexpected encoding {other:?}"),
        };
        assert_eq!(tag, event.name());
    }
    let stored = Stored {
        state: S::Hardship { until: d(3, 31) },
        flags: StickyFlags { deceased: true, ..no_flags() },
        event: E::Placed { agency: "acme".to_owned() },
    };
    let text = toml::to_string(&stored).unwrap();
    assert_eq!(toml::from_str::<Stored>(&text).unwrap(), stored);
}

#[test]
fn every_kind_is_enumerated_once() {
    let states: BTreeMap<_, _> =
        CollectionState::ALL_KINDS.into_iter().map(|state| (state.name(), state)).collect();
    assert_eq!(states.len(), STATE_KIND_COUNT);
    let events: BTreeMap<_, _> =
        CollectionEvent::ALL_KINDS.into_iter().map(|event| (event.name(), event)).collect();
    assert_eq!(events.len(), EVENT_KIND_COUNT);
    let open: Vec<_> =
        CollectionState::ALL_KINDS.iter().filter(|state| !state.is_open()).map(S::name).collect();
    assert_eq!(open, ["settled", "paid", "closed"]);
}

// ---------------------------------------------------------------------------------------------
// docs/STATE_MACHINE.md equals the code
// ---------------------------------------------------------------------------------------------

const STATE_MACHINE_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/STATE_MACHINE.md");

/// The cells of the rows of the first table after the line `heading`, without the header
/// row and the separator row, with backticks and surrounding spaces removed.
fn table_rows(text: &str, heading: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|line| line.trim() != heading);
    assert!(lines.next().is_some(), "heading {heading:?} not found in docs/STATE_MACHINE.md");
    let table: Vec<&str> = lines
        .skip_while(|line| !line.trim_start().starts_with('|'))
        .take_while(|line| line.trim_start().starts_with('|'))
        .collect();
    assert!(table.len() > 2, "no table under {heading:?}");
    table
        .iter()
        .skip(2)
        .map(|line| {
            let line = line.trim().trim_start_matches('|').trim_end_matches('|');
            line.split('|').map(|cell| cell.trim().replace('`', "")).collect()
        })
        .collect()
}

fn render_row(first: &str, second: &str, third: &str) -> String {
    format!("| {first} | {second} | {third} |")
}

#[test]
fn the_transition_table_equals_the_code() {
    let text = std::fs::read_to_string(STATE_MACHINE_MD).unwrap();
    let rows = table_rows(&text, "## Transition table");
    let mut table = BTreeMap::new();
    for row in &rows {
        assert_eq!(row.len(), 3, "a row must have three cells: {row:?}");
        let previous = table.insert((row[0].clone(), row[1].clone()), row[2].clone());
        assert!(previous.is_none(), "pair listed twice: {} {}", row[0], row[1]);
    }
    let context = context();
    let mut mismatches = Vec::new();
    for state in CollectionState::ALL_KINDS {
        for event in CollectionEvent::ALL_KINDS {
            let rule = rule(&state, &event, &context);
            let label = label(&rule);
            let key = (state.name().to_owned(), event.name().to_owned());
            match table.remove(&key) {
                Some(documented) if documented == label => {}
                Some(documented) => mismatches.push(format!(
                    "{} (the table says {documented})",
                    render_row(state.name(), event.name(), label)
                )),
                None => mismatches.push(format!(
                    "{} (missing from the table)",
                    render_row(state.name(), event.name(), label)
                )),
            }
            // transition() applies the rule: without flags, it accepts exactly what the rule
            // accepts, and lands where the rule says.
            let outcome = transition(&state, &no_flags(), &event, &context);
            match (&rule, outcome) {
                (Rule::Rejected(reason), Err(rejected)) => assert_eq!(rejected.reason, *reason),
                (Rule::Same, Ok(accepted)) => assert_eq!(accepted.state, state),
                (Rule::Derived, Ok(accepted)) => assert_eq!(accepted.state, derive(&context)),
                (Rule::To(target), Ok(accepted)) => assert_eq!(accepted.state, *target),
                (rule, outcome) => panic!("{rule:?} but transition gave {outcome:?}"),
            }
        }
    }
    for ((state, event), result) in &table {
        mismatches
            .push(format!("{} (unknown pair in the table)", render_row(state, event, result)));
    }
    assert!(
        mismatches.is_empty(),
        "docs/STATE_MACHINE.md and the code disagree; the code says:\n{}",
        mismatches.join("\n")
    );
    assert_eq!(rows.len(), STATE_KIND_COUNT * EVENT_KIND_COUNT);
}

/// A flag's name as written in docs/STATE_MACHINE.md, and the flags with only it set.
fn single_flags() -> [(&'static str, StickyFlags); 6] {
    [
        ("cease_communication", StickyFlags { cease_communication: true, ..no_flags() }),
        ("attorney_represented", StickyFlags { attorney_represented: true, ..no_flags() }),
        ("bankruptcy_stay", StickyFlags { bankruptcy_stay: true, ..no_flags() }),
        ("deceased", StickyFlags { deceased: true, ..no_flags() }),
        ("time_barred", StickyFlags { time_barred: true, ..no_flags() }),
        ("bankruptcy_discharged", StickyFlags { bankruptcy_discharged: true, ..no_flags() }),
    ]
}

#[test]
fn the_flag_guard_table_equals_the_code() {
    let text = std::fs::read_to_string(STATE_MACHINE_MD).unwrap();
    let rows = table_rows(&text, "## Flag guards");
    let mut table = BTreeMap::new();
    for row in &rows {
        assert_eq!(row.len(), 3, "a row must have three cells: {row:?}");
        let previous = table.insert((row[0].clone(), row[1].clone()), row[2].clone());
        assert!(previous.is_none(), "pair listed twice: {} {}", row[0], row[1]);
    }
    let context = context();
    let mut code = BTreeMap::new();
    for (name, flags) in single_flags() {
        for event in CollectionEvent::ALL_KINDS {
            if let Some(reason) = flag_guard(&flags, &event, &context) {
                code.insert((name.to_owned(), event.name().to_owned()), reason.as_str().to_owned());
                // The guard refuses the event in every state whose rule accepts it.
                for state in CollectionState::ALL_KINDS {
                    if label(&rule(&state, &event, &context)) != "rejected" {
                        let refused = refusal(&state, &flags, &event, &context);
                        assert_eq!(refused, reason);
                    }
                }
            } else {
                // Without a guard, the flag changes nothing about acceptance.
                for state in CollectionState::ALL_KINDS {
                    let with = transition(&state, &flags, &event, &context).is_ok();
                    let without = transition(&state, &no_flags(), &event, &context).is_ok();
                    assert_eq!(with, without, "{name} {} {}", state.name(), event.name());
                }
            }
        }
    }
    let rendered: Vec<String> =
        code.iter().map(|((flag, event), reason)| render_row(flag, event, reason)).collect();
    assert_eq!(table, code, "the flag guards in the code are:\n{}", rendered.join("\n"));
}

#[test]
fn the_reason_vocabulary_is_documented() {
    let text = std::fs::read_to_string(STATE_MACHINE_MD).unwrap();
    let rows = table_rows(&text, "## Rejection reasons");
    let documented: Vec<String> = rows.iter().map(|row| row[0].clone()).collect();
    let reasons = [
        REASON_NOTHING_OWED,
        REASON_BALANCE_OUTSTANDING,
        REASON_NOTHING_PAST_DUE,
        REASON_NOT_REVOLVING,
        REASON_HARDSHIP_IN_PAST,
        REASON_NO_PROMISE,
        REASON_NO_PLAN,
        REASON_NO_DISPUTE,
        REASON_NO_HARDSHIP,
        REASON_NOT_PLACED,
        REASON_NOT_CLOSED,
        REASON_PROMISE_OPEN,
        REASON_PLAN_ACTIVE,
        REASON_DISPUTED,
        REASON_HARDSHIP,
        REASON_PLACED,
        REASON_LEGAL,
        REASON_CHARGED_OFF,
        REASON_ALREADY_DISPUTED,
        REASON_ALREADY_PLACED,
        REASON_ALREADY_LEGAL,
        REASON_ALREADY_CHARGED_OFF,
        REASON_NOT_CHARGED_OFF,
        REASON_SETTLED,
        REASON_PAID,
        REASON_CLOSED,
        REASON_BANKRUPTCY_STAY,
        REASON_DECEASED,
        REASON_TIME_BARRED,
        REASON_BANKRUPTCY_DISCHARGED,
    ]
    .map(RefusalReason::as_str);
    assert_eq!(documented, reasons);
}

// ---------------------------------------------------------------------------------------------
// Property test: random event sequences from every starting state
// ---------------------------------------------------------------------------------------------

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (0_u64..400).prop_map(|days| d(1, 1) + chrono::Days::new(days))
}

fn arb_agency() -> impl Strategy<Value = String> {
    prop_oneof![Just("acme".to_owned()), Just("zenith".to_owned())]
}

fn arb_state() -> impl Strategy<Value = CollectionState> {
    prop_oneof![
        Just(S::Current),
        (1_u8..=8).prop_map(|stage| S::Delinquent { stage }),
        Just(S::Promised),
        Just(S::InPlan),
        Just(S::Disputed),
        arb_date().prop_map(|until| S::Hardship { until }),
        arb_agency().prop_map(|agency| S::Placed { agency }),
        Just(S::Legal),
        Just(S::ChargedOff),
        Just(S::Settled),
        Just(S::Paid),
        Just(S::Closed),
    ]
}

fn arb_event() -> impl Strategy<Value = CollectionEvent> {
    let plain: Vec<CollectionEvent> = CollectionEvent::ALL_KINDS
        .into_iter()
        .filter(|event| event.name() != "hardship_granted" && event.name() != "placed")
        .collect();
    prop_oneof![
        8 => proptest::sample::select(plain),
        1 => arb_date().prop_map(|until| E::HardshipGranted { until }),
        1 => arb_agency().prop_map(|agency| E::Placed { agency }),
    ]
}

fn arb_context() -> impl Strategy<Value = Context> {
    (
        arb_date(),
        prop_oneof![Just(0_i64), -10_i64..0, 1_i64..400],
        prop_oneof![Just(0_i64), -1_000_i64..0, 1_i64..1_000_000],
        any::<bool>(),
        prop::bool::weighted(0.2),
        0_u8..=8,
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(
                as_of,
                days_past_due,
                total_outstanding_minor,
                revolving,
                charged_off,
                stage,
                time_barred,
            )| Context {
                as_of,
                days_past_due,
                total_outstanding_minor,
                revolving,
                charged_off,
                stage,
                time_barred,
            },
        )
}

fn arb_flags() -> impl Strategy<Value = StickyFlags> {
    prop::array::uniform6(prop::bool::weighted(0.2)).prop_map(
        |[cease_communication, attorney_represented, bankruptcy_stay, deceased, time_barred, bankruptcy_discharged]| {
            StickyFlags {
                cease_communication,
                attorney_represented,
                bankruptcy_stay,
                deceased,
                time_barred,
                bankruptcy_discharged,
            }
        },
    )
}

/// Checks one step of a random walk against the invariants of the machine.
fn check_step(
    state: &CollectionState,
    flags: &StickyFlags,
    event: &CollectionEvent,
    context: &Context,
) -> Result<(CollectionState, StickyFlags), TestCaseError> {
    let state_before = state.clone();
    let flags_before = *flags;
    let rule = rule(state, event, context);
    let outcome = transition(state, flags, event, context);
    // The arguments are borrowed: a rejection leaves the caller's state as it was.
    prop_assert_eq!(state, &state_before);
    prop_assert_eq!(flags, &flags_before);
    let accepted = match outcome {
        Err(rejected) => {
            prop_assert_eq!(&rejected.state, state);
            prop_assert_eq!(&rejected.event, event);
            let guard = flag_guard(flags, event, context);
            match &rule {
                Rule::Rejected(reason) => prop_assert_eq!(&rejected.reason, reason),
                Rule::Same | Rule::Derived | Rule::To(_) => {
                    prop_assert_eq!(Some(rejected.reason), guard);
                }
            }
            return Ok((state_before, flags_before));
        }
        Ok(accepted) => accepted,
    };
    let target = &accepted.state;
    let flags_after = accepted.flags;
    prop_assert_eq!(accepted.changed, target != state || flags_after != *flags);
    prop_assert!(flag_guard(flags, event, context).is_none());
    match &rule {
        Rule::Same => prop_assert_eq!(target, state),
        Rule::Derived => prop_assert_eq!(target, &derive(context)),
        Rule::To(to) => prop_assert_eq!(target, to),
        Rule::Rejected(reason) => prop_assert!(false, "accepted despite {}", reason),
    }
    // Closed is only left by reopening a revolving account, or by a returned payment that
    // re-opens a debt.
    if *state == S::Closed && *target != S::Closed {
        if matches!(event, E::ReversalPosted) {
            prop_assert!(context.total_outstanding_minor > 0);
            prop_assert_eq!(target, &derive(context));
        } else {
            prop_assert!(matches!(event, E::Reopen) && context.revolving);
            prop_assert_eq!(target, &S::Current);
        }
    }
    // The terminal states are only reached by their documented events.
    if *target == S::Settled && *state != S::Settled {
        prop_assert!(matches!(event, E::SettlementCompleted));
    }
    if *target == S::Closed && *state != S::Closed {
        prop_assert!(matches!(event, E::Close));
        prop_assert!(matches!(state, S::Current | S::Settled | S::Paid));
    }
    if *target == S::Paid && *state != S::Paid {
        prop_assert!(context.total_outstanding_minor <= 0);
    }
    // Every Delinquent state, reached or kept, is a consistent one.
    if let S::Delinquent { stage } = target {
        prop_assert!(1 <= *stage);
        if target != state {
            prop_assert!(0 < context.days_past_due);
            prop_assert!(0 < context.total_outstanding_minor);
            prop_assert!(!context.charged_off);
            prop_assert_eq!(*stage, context.stage.max(1));
        }
    }
    // Flags, once set, stay set; only a discharge or a dismissal lifts the stay, and only the
    // attorney's withdrawal clears the attorney flag.
    let pairs = [
        (flags.cease_communication, flags_after.cease_communication, E::CeaseRequested),
        (flags.attorney_represented, flags_after.attorney_represented, E::AttorneyNotified),
        (flags.deceased, flags_after.deceased, E::Deceased),
        (flags.bankruptcy_stay, flags_after.bankruptcy_stay, E::BankruptcyFiled),
        (flags.bankruptcy_discharged, flags_after.bankruptcy_discharged, E::BankruptcyDischarged),
    ];
    for (before, after, setter) in pairs {
        if before && !after {
            let lifts_stay = matches!(event, E::BankruptcyDischarged | E::BankruptcyDismissed)
                && setter == E::BankruptcyFiled;
            let withdrawn = *event == E::AttorneyWithdrawn && setter == E::AttorneyNotified;
            prop_assert!(lifts_stay || withdrawn);
        }
        if !before && after {
            prop_assert_eq!(event, &setter);
        }
    }
    prop_assert!(!flags.time_barred || flags_after.time_barred);
    if !flags.time_barred && flags_after.time_barred {
        prop_assert!(matches!(event, E::Review) && context.time_barred);
    }
    Ok((accepted.state, flags_after))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_walks_keep_the_invariants(
        start in arb_state(),
        flags in arb_flags(),
        steps in prop::collection::vec((arb_event(), arb_context()), 1..60),
    ) {
        let mut state = start;
        let mut flags = flags;
        for (event, context) in &steps {
            (state, flags) = check_step(&state, &flags, event, context)?;
        }
    }

    #[test]
    fn every_pair_is_decided_in_any_context(
        flags in arb_flags(),
        context in arb_context(),
        until in arb_date(),
    ) {
        for state in CollectionState::ALL_KINDS {
            for event in CollectionEvent::ALL_KINDS {
                let event = match event {
                    E::HardshipGranted { .. } => E::HardshipGranted { until },
                    other => other,
                };
                check_step(&state, &flags, &event, &context)?;
            }
        }
    }

    #[test]
    fn the_derived_state_is_consistent_with_its_context(context in arb_context()) {
        match derive(&context) {
            S::Delinquent { stage } => {
                prop_assert!(1 <= stage);
                prop_assert!(0 < context.days_past_due);
                prop_assert!(0 < context.total_outstanding_minor);
                prop_assert!(!context.charged_off);
            }
            S::Paid => {
                prop_assert!(context.total_outstanding_minor <= 0);
                prop_assert!(context.charged_off || !context.revolving);
            }
            S::ChargedOff => {
                prop_assert!(context.charged_off);
                prop_assert!(0 < context.total_outstanding_minor);
            }
            S::Current => {
                prop_assert!(!context.charged_off);
                prop_assert!(
                    context.days_past_due <= 0
                        || (context.total_outstanding_minor <= 0 && context.revolving)
                );
            }
            other => prop_assert!(false, "derive gave {:?}", other),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Holds remember what they interrupted (issue 14 point 8)
// ---------------------------------------------------------------------------------------------

/// The state a round trip through holds must come back to, by the documented rule: the most
/// recent interrupted state that still stands, else the state the ledger implies.
fn expected_return(interrupted: &[CollectionState], context: &Context) -> CollectionState {
    let owed = context.total_outstanding_minor > 0;
    for state in interrupted.iter().rev() {
        match state {
            S::Hardship { until } if context.as_of <= *until => return state.clone(),
            S::Hardship { .. } => continue,
            S::Placed { .. } | S::Legal if owed => return state.clone(),
            S::Promised | S::InPlan if owed && !context.charged_off => return state.clone(),
            _ => return derive(context),
        }
    }
    derive(context)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random walks through `transition_with_holds`, carrying what the holds remember: the
    /// machine remembers exactly the states its holds interrupted (a model stack), forgets
    /// them when no hold is in force, and every round trip through a hold returns to the state
    /// it left (or, for a state the ledger decides, to the state the ledger now implies).
    #[test]
    fn every_round_trip_through_a_hold_returns_to_the_state_it_left(
        start in arb_state(),
        flags in arb_flags(),
        steps in prop::collection::vec((arb_event(), arb_context()), 1..80),
    ) {
        let mut state = start;
        let mut flags = flags;
        let mut interrupted: Vec<CollectionState> = Vec::new();
        for (event, context) in &steps {
            let Ok(accepted) =
                transition_with_holds(&state, &interrupted, &flags, event, context)
            else {
                continue;
            };
            if state.is_hold() && *event == E::Recalled {
                // The one decision that reads what the holds interrupted (a recall in a hold):
                // the hold stays and forgets the placement (or legal referral) it interrupted.
                let base = interrupted.iter().rposition(|held| !held.is_hold());
                let index = base.filter(|index| rule(&interrupted[*index], event, context) == Rule::Derived);
                prop_assert!(index.is_some());
                let mut model = interrupted.clone();
                model[index.unwrap_or(0)] = S::Current;
                prop_assert_eq!(&accepted.state, &state);
                prop_assert_eq!(&accepted.interrupted, &model);
                flags = accepted.flags;
                interrupted = accepted.interrupted;
                continue;
            }
            // Without holds remembered, the decision is the plain `transition`'s.
            let plain = transition(&state, &flags, event, context);
            prop_assert!(plain.is_ok());
            let target = &accepted.state;
            let mut model = interrupted.clone();
            if target.is_hold() {
                if !state.is_hold() {
                    model = vec![state.clone()];
                } else if std::mem::discriminant(&state) != std::mem::discriminant(target) {
                    model.push(state.clone());
                }
            } else {
                model.clear();
            }
            if state.is_hold() && !target.is_hold() && !matches!(target, S::Settled) {
                // A hold ended: back where the case was before it.
                prop_assert_eq!(target, &expected_return(&interrupted, context));
            }
            if state.is_hold() && target.is_hold() && rule(&state, event, context) == Rule::Derived
            {
                // A dispute ended back in the hardship it interrupted.
                prop_assert_eq!(target, &expected_return(&interrupted, context));
                let position = interrupted.iter().rposition(|held| held == target);
                prop_assert!(position.is_some());
                model = interrupted[..position.unwrap_or(0)].to_vec();
            }
            prop_assert_eq!(&accepted.interrupted, &model);
            prop_assert!(accepted.interrupted.iter().all(|held| held.is_open()));
            prop_assert_eq!(accepted.flags, plain.map(|plain| plain.flags).unwrap_or(flags));
            state = accepted.state;
            flags = accepted.flags;
            interrupted = accepted.interrupted;
        }
    }
}

#[test]
fn holds_return_to_the_placement_the_referral_and_the_arrangement_they_interrupted() {
    let context = context();
    let flags = no_flags();
    for interrupted in [placed("acme"), S::Legal, S::Promised, S::InPlan] {
        let disputed =
            transition_with_holds(&interrupted, &[], &flags, &E::DisputeOpened, &context).unwrap();
        assert_eq!(disputed.interrupted, vec![interrupted.clone()]);
        let payment = E::PaymentPosted;
        let kept =
            transition_with_holds(&S::Disputed, &disputed.interrupted, &flags, &payment, &context)
                .unwrap();
        assert_eq!(kept.interrupted, disputed.interrupted);
        let resolved = E::DisputeResolved;
        let back =
            transition_with_holds(&S::Disputed, &kept.interrupted, &flags, &resolved, &context)
                .unwrap();
        assert_eq!(back.state, interrupted);
        assert!(back.interrupted.is_empty());
        // Paid off during the hold: the state the ledger implies.
        let paid = transition_with_holds(
            &S::Disputed,
            &kept.interrupted,
            &flags,
            &resolved,
            &paid_off(context),
        )
        .unwrap();
        assert_eq!(paid.state, S::Paid);
    }
    // A charge-off during the hold ends a promise or a plan, not a placement.
    let charged_off = Context { charged_off: true, ..context };
    let resolved = E::DisputeResolved;
    let back = transition_with_holds(&S::Disputed, &[S::InPlan], &flags, &resolved, &charged_off);
    assert_eq!(back.unwrap().state, S::ChargedOff);
    let back =
        transition_with_holds(&S::Disputed, &[placed("acme")], &flags, &resolved, &charged_off);
    assert_eq!(back.unwrap().state, placed("acme"));
    // A hardship that ran out during the dispute is skipped.
    let until = d(2, 15);
    let stack = [S::Promised, S::Hardship { until }];
    let back = transition_with_holds(&S::Disputed, &stack, &flags, &resolved, &context).unwrap();
    assert_eq!(back.state, S::Promised);
    let early = Context { as_of: d(2, 10), ..context };
    let back = transition_with_holds(&S::Disputed, &stack, &flags, &resolved, &early).unwrap();
    assert_eq!(back.state, S::Hardship { until });
    assert_eq!(back.interrupted, vec![S::Promised]);
    // Nothing remembered (a case stored before holds remembered anything): derived.
    let back = transition_with_holds(&S::Disputed, &[], &flags, &resolved, &context).unwrap();
    assert_eq!(back.state, derive(&context));
}
