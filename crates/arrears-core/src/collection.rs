//! The collection state machine: where an account stands in collection, the sticky flags that
//! restrict what may be done to it, and the one exhaustive [`transition`] function.
//!
//! A [`CollectionState`] says what collection activity is under way (nothing, a promise, a
//! plan, a dispute, an agency, a lawsuit...). [`StickyFlags`] are orthogonal facts that only
//! ever get set (cease communication, attorney, bankruptcy stay, deceased, time-barred), except
//! that a bankruptcy discharge lifts the stay. A [`CollectionEvent`] is something that
//! happened, and the [`Context`] carries the facts the engine computed from the ledger and the
//! policy for this decision (days past due, balance, stage, charged off, time-barred).
//!
//! [`transition`] decides every (state, event) pair: either a new state and flags, or a typed
//! [`TransitionRejected`] naming both. Several states hand the decision back to the ledger: the
//! *derived* state ([`derive()`]) is `Current`, `Delinquent { stage }`, `ChargedOff` or `Paid`,
//! computed from the context alone. `docs/STATE_MACHINE.md` holds the full table, and a unit
//! test keeps that table equal to this code.
//!
//! Architecture invariant: this module is pure and deterministic. It never reads the clock
//! (`as_of` is in the context) and never does I/O; the same arguments always give the same
//! answer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where an account stands in collection.
///
/// Not `#[non_exhaustive]` on purpose: every `match` on a state, here and in the engine, must
/// be forced to decide when a state is added.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionState {
    /// Nothing is past due (the balance may be zero or owed but not yet due).
    Current,
    /// Something is past due.
    Delinquent {
        /// The policy stage for the days past due, chosen by the engine; 1-based.
        stage: u8,
    },
    /// The debtor promised to pay and the promise is open.
    Promised,
    /// A payment plan is active.
    InPlan,
    /// The debt as a whole is disputed: collection pauses until the dispute is resolved.
    Disputed,
    /// Forbearance for hardship: no fees and no contact, through `until` (inclusive).
    Hardship {
        /// The last day of the forbearance.
        until: NaiveDate,
    },
    /// With a collection agency.
    Placed {
        /// The agency's name or reference.
        agency: String,
    },
    /// Referred to legal (attorneys, litigation).
    Legal,
    /// Charged off: written off the books, still collectable as recoveries.
    ChargedOff,
    /// A settlement was completed; the rest of the debt is forgiven. Terminal except `Close`.
    Settled,
    /// Nothing is owed (closed-end products, or a charged-off account paid in full).
    Paid,
    /// The account is closed. Only a revolving account may be reopened.
    Closed,
}

/// How many kinds of [`CollectionState`] there are.
pub const STATE_KIND_COUNT: usize = 12;

/// How many kinds of [`CollectionEvent`] there are.
pub const EVENT_KIND_COUNT: usize = 32;

impl CollectionState {
    /// One representative of every kind of state, in declaration order.
    ///
    /// The payloads are placeholders: `Delinquent { stage: 1 }`, `Hardship { until:
    /// NaiveDate::MAX }` (a hardship that never expires on review) and `Placed { agency: "" }`.
    pub const ALL_KINDS: [CollectionState; STATE_KIND_COUNT] = [
        CollectionState::Current,
        CollectionState::Delinquent { stage: 1 },
        CollectionState::Promised,
        CollectionState::InPlan,
        CollectionState::Disputed,
        CollectionState::Hardship { until: NaiveDate::MAX },
        CollectionState::Placed { agency: String::new() },
        CollectionState::Legal,
        CollectionState::ChargedOff,
        CollectionState::Settled,
        CollectionState::Paid,
        CollectionState::Closed,
    ];

    /// The kind's name as written in files, the audit log and `docs/STATE_MACHINE.md`.
    pub fn name(&self) -> &'static str {
        match self {
            CollectionState::Current => "current",
            CollectionState::Delinquent { .. } => "delinquent",
            CollectionState::Promised => "promised",
            CollectionState::InPlan => "in_plan",
            CollectionState::Disputed => "disputed",
            CollectionState::Hardship { .. } => "hardship",
            CollectionState::Placed { .. } => "placed",
            CollectionState::Legal => "legal",
            CollectionState::ChargedOff => "charged_off",
            CollectionState::Settled => "settled",
            CollectionState::Paid => "paid",
            CollectionState::Closed => "closed",
        }
    }

    /// Returns true if and only if the state is a hold: collection paused for the debtor's
    /// protection (`Disputed`, `Hardship`), after which the case returns to the state the hold
    /// interrupted ([`transition_with_holds`]).
    pub fn is_hold(&self) -> bool {
        match self {
            CollectionState::Disputed | CollectionState::Hardship { .. } => true,
            CollectionState::Current
            | CollectionState::Delinquent { .. }
            | CollectionState::Promised
            | CollectionState::InPlan
            | CollectionState::Placed { .. }
            | CollectionState::Legal
            | CollectionState::ChargedOff
            | CollectionState::Settled
            | CollectionState::Paid
            | CollectionState::Closed => false,
        }
    }

    /// Returns true if and only if the account is still open to collection: every state but
    /// `Settled`, `Paid` and `Closed`.
    pub fn is_open(&self) -> bool {
        match self {
            CollectionState::Current
            | CollectionState::Delinquent { .. }
            | CollectionState::Promised
            | CollectionState::InPlan
            | CollectionState::Disputed
            | CollectionState::Hardship { .. }
            | CollectionState::Placed { .. }
            | CollectionState::Legal
            | CollectionState::ChargedOff => true,
            CollectionState::Settled | CollectionState::Paid | CollectionState::Closed => false,
        }
    }
}

/// Facts that restrict collection whatever the state. Once set, a flag stays set; the only
/// flag that ever clears is `bankruptcy_stay`, when the bankruptcy is discharged or dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct StickyFlags {
    /// The debtor asked that communication cease.
    pub cease_communication: bool,
    /// The debtor is represented by an attorney.
    pub attorney_represented: bool,
    /// A bankruptcy stay is in force.
    pub bankruptcy_stay: bool,
    /// The debtor is deceased.
    pub deceased: bool,
    /// The statute of limitations passed: the debt may not be sued on.
    pub time_barred: bool,
    /// The debt was discharged in bankruptcy: the debtor no longer owes it personally, and
    /// nothing may be done to collect it (11 U.S.C. 524(a)), for good. Unlike the stay, this
    /// never clears; a later filing and its dismissal leave it set.
    pub bankruptcy_discharged: bool,
}

/// Something that happened to an account, as far as collection is concerned.
///
/// Not `#[non_exhaustive]` on purpose, like [`CollectionState`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionEvent {
    /// A charge was posted to the ledger.
    ChargePosted,
    /// A payment was posted to the ledger.
    PaymentPosted,
    /// A payment was reversed in the ledger.
    ReversalPosted,
    /// Time passed: the daily cycle reviews the account; the context carries the facts.
    Review,
    /// The debtor promised to pay.
    PromiseMade,
    /// The engine found the open promise kept.
    PromiseKept,
    /// The engine found the open promise broken.
    PromiseBroken,
    /// A payment plan was created.
    PlanCreated,
    /// An installment of the plan was missed (the plan goes on).
    InstallmentMissed,
    /// The plan defaulted (too many installments missed, by policy).
    PlanDefaulted,
    /// Every installment of the plan was paid.
    PlanCompleted,
    /// The debtor disputed the debt as a whole.
    DisputeOpened,
    /// The dispute was resolved (verified or corrected).
    DisputeResolved,
    /// Forbearance for hardship was granted.
    HardshipGranted {
        /// The last day of the forbearance.
        until: NaiveDate,
    },
    /// The forbearance ended early.
    HardshipEnded,
    /// The account was placed with a collection agency.
    Placed {
        /// The agency's name or reference.
        agency: String,
    },
    /// The account was recalled from the agency or from legal.
    Recalled,
    /// The account was referred to legal.
    LegalReferral,
    /// The account was charged off.
    ChargeOff,
    /// A settlement was offered.
    SettlementOffered,
    /// The debtor accepted the settlement.
    SettlementAccepted,
    /// The settlement was paid; the engine forgives the rest.
    SettlementCompleted,
    /// The debtor asked that communication cease.
    CeaseRequested,
    /// The debtor is represented by an attorney.
    AttorneyNotified,
    /// The debtor filed for bankruptcy: a stay is in force.
    BankruptcyFiled,
    /// The bankruptcy was discharged: the stay ends and the debt may no longer be collected,
    /// for good (the `bankruptcy_discharged` flag).
    BankruptcyDischarged,
    /// The debtor died.
    Deceased,
    /// Close the account.
    Close,
    /// Reopen a closed revolving account.
    Reopen,
    /// The charge-off was reversed in the ledger (a mistaken charge-off): the receivable is
    /// re-opened, and the state is the one the ledger now implies.
    ChargeOffReversed,
    /// The bankruptcy case was dismissed (or the stay lifted) without a discharge: the stay
    /// ends and collection may resume.
    BankruptcyDismissed,
    /// The attorney no longer represents the debtor, or the exceptions of FDCPA 1692c(a)(2)
    /// apply (the attorney fails to respond within a reasonable time, or consents to direct
    /// communication): the attorney flag is cleared and contact with the consumer may resume.
    AttorneyWithdrawn,
}

impl CollectionEvent {
    /// One representative of every kind of event, in declaration order.
    ///
    /// The payloads are placeholders: `HardshipGranted { until: NaiveDate::MAX }` and
    /// `Placed { agency: "" }`.
    pub const ALL_KINDS: [CollectionEvent; EVENT_KIND_COUNT] = [
        CollectionEvent::ChargePosted,
        CollectionEvent::PaymentPosted,
        CollectionEvent::ReversalPosted,
        CollectionEvent::Review,
        CollectionEvent::PromiseMade,
        CollectionEvent::PromiseKept,
        CollectionEvent::PromiseBroken,
        CollectionEvent::PlanCreated,
        CollectionEvent::InstallmentMissed,
        CollectionEvent::PlanDefaulted,
        CollectionEvent::PlanCompleted,
        CollectionEvent::DisputeOpened,
        CollectionEvent::DisputeResolved,
        CollectionEvent::HardshipGranted { until: NaiveDate::MAX },
        CollectionEvent::HardshipEnded,
        CollectionEvent::Placed { agency: String::new() },
        CollectionEvent::Recalled,
        CollectionEvent::LegalReferral,
        CollectionEvent::ChargeOff,
        CollectionEvent::SettlementOffered,
        CollectionEvent::SettlementAccepted,
        CollectionEvent::SettlementCompleted,
        CollectionEvent::CeaseRequested,
        CollectionEvent::AttorneyNotified,
        CollectionEvent::BankruptcyFiled,
        CollectionEvent::BankruptcyDischarged,
        CollectionEvent::Deceased,
        CollectionEvent::Close,
        CollectionEvent::Reopen,
        CollectionEvent::ChargeOffReversed,
        CollectionEvent::BankruptcyDismissed,
        CollectionEvent::AttorneyWithdrawn,
    ];

    /// The kind's name as written in files, the audit log and `docs/STATE_MACHINE.md`.
    pub fn name(&self) -> &'static str {
        match self {
            CollectionEvent::ChargePosted => "charge_posted",
            CollectionEvent::PaymentPosted => "payment_posted",
            CollectionEvent::ReversalPosted => "reversal_posted",
            CollectionEvent::Review => "review",
            CollectionEvent::PromiseMade => "promise_made",
            CollectionEvent::PromiseKept => "promise_kept",
            CollectionEvent::PromiseBroken => "promise_broken",
            CollectionEvent::PlanCreated => "plan_created",
            CollectionEvent::InstallmentMissed => "installment_missed",
            CollectionEvent::PlanDefaulted => "plan_defaulted",
            CollectionEvent::PlanCompleted => "plan_completed",
            CollectionEvent::DisputeOpened => "dispute_opened",
            CollectionEvent::DisputeResolved => "dispute_resolved",
            CollectionEvent::HardshipGranted { .. } => "hardship_granted",
            CollectionEvent::HardshipEnded => "hardship_ended",
            CollectionEvent::Placed { .. } => "placed",
            CollectionEvent::Recalled => "recalled",
            CollectionEvent::LegalReferral => "legal_referral",
            CollectionEvent::ChargeOff => "charge_off",
            CollectionEvent::SettlementOffered => "settlement_offered",
            CollectionEvent::SettlementAccepted => "settlement_accepted",
            CollectionEvent::SettlementCompleted => "settlement_completed",
            CollectionEvent::CeaseRequested => "cease_requested",
            CollectionEvent::AttorneyNotified => "attorney_notified",
            CollectionEvent::BankruptcyFiled => "bankruptcy_filed",
            CollectionEvent::BankruptcyDischarged => "bankruptcy_discharged",
            CollectionEvent::Deceased => "deceased",
            CollectionEvent::Close => "close",
            CollectionEvent::Reopen => "reopen",
            CollectionEvent::ChargeOffReversed => "charge_off_reversed",
            CollectionEvent::BankruptcyDismissed => "bankruptcy_dismissed",
            CollectionEvent::AttorneyWithdrawn => "attorney_withdrawn",
        }
    }
}

/// Facts the engine computed from the ledger and the policy for this decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Context {
    /// The business date of the decision.
    pub as_of: NaiveDate,
    /// Days past due of the oldest undisputed unpaid obligation; zero or less is not past due.
    pub days_past_due: i64,
    /// Everything outstanding, in minor units; zero or less means nothing is owed.
    pub total_outstanding_minor: i64,
    /// True if and only if the product is revolving: reopening is allowed, and a zero balance
    /// means `Current`, not `Paid`.
    pub revolving: bool,
    /// True if and only if the ledger holds a charge-off of the account. States that leave
    /// to the derived state return to `ChargedOff` (or `Paid`) through it.
    pub charged_off: bool,
    /// The policy stage for `days_past_due`, chosen by the engine; at least 1 when something
    /// is past due (a 0 is read as 1).
    pub stage: u8,
    /// True if and only if the statute of limitations passed (the engine computes it).
    pub time_barred: bool,
}

/// The state the ledger alone implies.
///
/// In order: nothing owed gives `Paid` for a charged-off or closed-end account and `Current`
/// for a revolving one; otherwise a charged-off account is `ChargedOff`; otherwise nothing
/// past due is `Current`; otherwise `Delinquent` at the context's stage (at least 1).
///
/// # Example
///
/// ```
/// use arrears_core::collection::{derive, CollectionState, Context};
/// use chrono::NaiveDate;
///
/// let context = Context {
///     as_of: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
///     days_past_due: 45,
///     total_outstanding_minor: 50_000,
///     revolving: false,
///     charged_off: false,
///     stage: 2,
///     time_barred: false,
/// };
/// assert_eq!(derive(&context), CollectionState::Delinquent { stage: 2 });
/// let paid = Context { total_outstanding_minor: 0, ..context };
/// assert_eq!(derive(&paid), CollectionState::Paid);
/// ```
pub fn derive(context: &Context) -> CollectionState {
    if context.total_outstanding_minor <= 0 {
        if context.charged_off || !context.revolving {
            CollectionState::Paid
        } else {
            CollectionState::Current
        }
    } else if context.charged_off {
        CollectionState::ChargedOff
    } else if context.days_past_due <= 0 {
        CollectionState::Current
    } else {
        CollectionState::Delinquent { stage: context.stage.max(1) }
    }
}

/// The result of an accepted event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The state after the event.
    pub state: CollectionState,
    /// The flags after the event.
    pub flags: StickyFlags,
    /// True if and only if the state or the flags differ from before the event.
    pub changed: bool,
    /// The states the holds in force interrupted, the oldest first: what the case returns to
    /// when they end. Empty unless `state` is a hold ([`CollectionState::is_hold`]).
    pub interrupted: Vec<CollectionState>,
}

/// An event that the state (or a sticky flag) does not accept. A business outcome, not a
/// failure: the caller's state and flags stay as they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("event {} is not accepted in state {}: {reason}", event.name(), state.name())]
pub struct TransitionRejected {
    /// The state.
    pub state: CollectionState,
    /// The event.
    pub event: CollectionEvent,
    /// Why.
    pub reason: RefusalReason,
}

/// Decides what `event` does to an account in `state` with `flags`, given the `context`.
///
/// The decision is made in three steps, and the first refusal wins:
/// 1. the state's rule for the event (the table in `docs/STATE_MACHINE.md`), including the
///    rules that depend on the context (nothing owed, hardship end dates, revolving);
/// 2. the sticky-flag guards (bankruptcy stay, deceased, time-barred);
/// 3. the flag updates of the event (`Review` also records `context.time_barred`).
///
/// # Errors
///
/// [`TransitionRejected`], naming the state, the event and the reason, when the state or a
/// sticky flag does not accept the event.
///
/// # Example
///
/// ```
/// use arrears_core::collection::{
///     transition, CollectionEvent, CollectionState, Context, RefusalReason, StickyFlags,
/// };
/// use chrono::NaiveDate;
///
/// let context = Context {
///     as_of: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
///     days_past_due: 45,
///     total_outstanding_minor: 50_000,
///     revolving: false,
///     charged_off: false,
///     stage: 2,
///     time_barred: false,
/// };
/// let flags = StickyFlags::default();
/// let delinquent = CollectionState::Delinquent { stage: 2 };
/// let promised = transition(&delinquent, &flags, &CollectionEvent::PromiseMade, &context)?;
/// assert_eq!(promised.state, CollectionState::Promised);
///
/// let stayed = StickyFlags { bankruptcy_stay: true, ..flags };
/// let rejected = transition(&delinquent, &stayed, &CollectionEvent::PromiseMade, &context);
/// assert_eq!(rejected.unwrap_err().reason, RefusalReason::BankruptcyStay);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn transition(
    state: &CollectionState,
    flags: &StickyFlags,
    event: &CollectionEvent,
    context: &Context,
) -> Result<Transition, TransitionRejected> {
    transition_with_holds(state, &[], flags, event, context)
}

/// [`transition`] for a case that remembers what its holds interrupted: `interrupted` is the
/// [`Transition::interrupted`] of the transition that brought the case to `state` (empty when
/// nothing is remembered, as for a case stored before holds remembered anything).
///
/// Entering a hold (`Disputed`, `Hardship`) remembers the state it interrupts; a hold entered
/// from another hold (a dispute during a hardship) remembers that hold on top; a hardship
/// granted again keeps what it remembers. When a hold ends (`dispute_resolved`,
/// `hardship_ended`, the first review after a hardship's `until`: the rules the table marks
/// `derived` in a hold), the case resumes the state the hold interrupted ([`resume`]): a
/// placement, a legal referral, a promise or a plan carries on as it was, a state the ledger
/// decides is derived again. With nothing remembered, resuming is deriving, as before.
///
/// # Errors
///
/// As [`transition`]; the same pairs are refused for the same reasons.
///
/// # Example
///
/// ```
/// use arrears_core::collection::{
///     transition_with_holds, CollectionEvent, CollectionState, Context, StickyFlags,
/// };
/// use chrono::NaiveDate;
///
/// let context = Context {
///     as_of: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
///     days_past_due: 95,
///     total_outstanding_minor: 50_000,
///     revolving: false,
///     charged_off: false,
///     stage: 4,
///     time_barred: false,
/// };
/// let flags = StickyFlags::default();
/// let placed = CollectionState::Placed { agency: "Northwind".into() };
/// let opened = CollectionEvent::DisputeOpened;
/// let disputed = transition_with_holds(&placed, &[], &flags, &opened, &context)?;
/// assert_eq!(disputed.state, CollectionState::Disputed);
/// assert_eq!(disputed.interrupted, vec![placed.clone()]);
/// let resolved = CollectionEvent::DisputeResolved;
/// let back = transition_with_holds(
///     &disputed.state,
///     &disputed.interrupted,
///     &flags,
///     &resolved,
///     &context,
/// )?;
/// assert_eq!(back.state, placed);
/// assert!(back.interrupted.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn transition_with_holds(
    state: &CollectionState,
    interrupted: &[CollectionState],
    flags: &StickyFlags,
    event: &CollectionEvent,
    context: &Context,
) -> Result<Transition, TransitionRejected> {
    if state.is_hold() && *event == CollectionEvent::Recalled {
        return recall_in_hold(state, interrupted, flags, event, context);
    }
    let (target, interrupted_after) = match rule(state, event, context) {
        Rule::Same => (state.clone(), interrupted.to_vec()),
        // In a hold, the rules marked `derived` are the ends of the hold.
        Rule::Derived if state.is_hold() => resume(interrupted, context),
        Rule::Derived => (derive(context), Vec::new()),
        Rule::To(target) => {
            let remembered = if !target.is_hold() {
                Vec::new()
            } else if !state.is_hold() {
                vec![state.clone()]
            } else if std::mem::discriminant(state) == std::mem::discriminant(&target) {
                // A hardship granted again: the same hold, extended or shortened.
                interrupted.to_vec()
            } else {
                let mut stack = interrupted.to_vec();
                stack.push(state.clone());
                stack
            };
            (target, remembered)
        }
        Rule::Rejected(reason) => return Err(rejected(state, event, reason)),
    };
    if let Some(reason) = flag_guard(flags, event, context) {
        return Err(rejected(state, event, reason));
    }
    let interrupted_after = if target.is_hold() { interrupted_after } else { Vec::new() };
    let flags_after = flags_after(flags, event, context);
    let changed = target != *state || flags_after != *flags;
    Ok(Transition { state: target, flags: flags_after, changed, interrupted: interrupted_after })
}

/// The state a case returns to when its hold ends, given what the holds interrupted (the
/// oldest first), and what is still remembered after it.
///
/// The most recent interrupted state decides:
/// - a hardship still in force on `as_of` (a dispute opened during it) is resumed, with what
///   it interrupted; one that ran out meanwhile is skipped, and the state before it decides;
/// - `placed` and `legal` are resumed as they were (the agency and the attorneys never stopped
///   holding the file), unless nothing is owed any more: then the derived state;
/// - `promised` and `in_plan` are resumed while something is owed and the account was not
///   charged off meanwhile (a charge-off ends them, as it does outside a hold); otherwise the
///   derived state;
/// - every other state follows the ledger anyway: the derived state ([`derive()`]), whose
///   stage, charge-off and balance are today's.
///
/// With nothing remembered, the derived state.
pub fn resume(
    interrupted: &[CollectionState],
    context: &Context,
) -> (CollectionState, Vec<CollectionState>) {
    let owed = context.total_outstanding_minor > 0;
    let mut stack = interrupted.to_vec();
    while let Some(top) = stack.pop() {
        let resumed = match &top {
            CollectionState::Hardship { until } => {
                if context.as_of <= *until {
                    return (top, stack);
                }
                continue;
            }
            CollectionState::Disputed => return (top, stack),
            CollectionState::Placed { .. } | CollectionState::Legal => owed,
            CollectionState::Promised | CollectionState::InPlan => owed && !context.charged_off,
            CollectionState::Current
            | CollectionState::Delinquent { .. }
            | CollectionState::ChargedOff
            | CollectionState::Settled
            | CollectionState::Paid
            | CollectionState::Closed => false,
        };
        return if resumed { (top, Vec::new()) } else { (derive(context), Vec::new()) };
    }
    (derive(context), Vec::new())
}

#[cold]
/// A recall during a hold (a placed account disputed, or granted a hardship): the agency
/// gives the file back while the hold stays. The state the holds interrupted (the last one
/// that is not a hold) must be one a recall ends (`placed`, or `legal` reached from a
/// placement); it is forgotten (`current` takes its place), so the hold's end derives the
/// state from the ledger instead of resuming the placement. Anything else is refused as outside a hold (`not placed`).
fn recall_in_hold(
    state: &CollectionState,
    interrupted: &[CollectionState],
    flags: &StickyFlags,
    event: &CollectionEvent,
    context: &Context,
) -> Result<Transition, TransitionRejected> {
    let base = interrupted.iter().rposition(|held| !held.is_hold());
    let Some(index) =
        base.filter(|index| rule(&interrupted[*index], event, context) == Rule::Derived)
    else {
        return Err(rejected(state, event, REASON_NOT_PLACED));
    };
    if let Some(reason) = flag_guard(flags, event, context) {
        return Err(rejected(state, event, reason));
    }
    // `current` stands for it: resuming it derives (as for a promise kept during a hold), and
    // a hold in force always remembers something.
    let mut remembered = interrupted.to_vec();
    remembered[index] = CollectionState::Current;
    let flags_after = flags_after(flags, event, context);
    let changed = flags_after != *flags;
    Ok(Transition { state: state.clone(), flags: flags_after, changed, interrupted: remembered })
}

fn rejected(
    state: &CollectionState,
    event: &CollectionEvent,
    reason: RefusalReason,
) -> TransitionRejected {
    TransitionRejected { state: state.clone(), event: event.clone(), reason }
}

/// What a state's rule says about an event, before the sticky-flag guards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Keep the state.
    Same,
    /// Go to the state the ledger implies ([`derive()`]).
    Derived,
    /// Go to this state.
    To(CollectionState),
    /// Refuse, for this reason.
    Rejected(RefusalReason),
}

/// Why the state machine refuses an event: a fixed vocabulary, listed in
/// docs/STATE_MACHINE.md (whose table a test keeps equal to the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// "nothing owed"
    NothingOwed,
    /// "balance outstanding"
    BalanceOutstanding,
    /// "nothing past due"
    NothingPastDue,
    /// "not revolving"
    NotRevolving,
    /// "hardship ends before as_of"
    HardshipInPast,
    /// "no open promise"
    NoPromise,
    /// "no active plan"
    NoPlan,
    /// "no open dispute"
    NoDispute,
    /// "no hardship in force"
    NoHardship,
    /// "not placed or referred"
    NotPlaced,
    /// "not closed"
    NotClosed,
    /// "a promise is open"
    PromiseOpen,
    /// "a plan is active"
    PlanActive,
    /// "collection paused by the dispute"
    Disputed,
    /// "collection paused by the hardship"
    Hardship,
    /// "with an agency"
    Placed,
    /// "referred to legal"
    Legal,
    /// "charged off"
    ChargedOff,
    /// "already disputed"
    AlreadyDisputed,
    /// "already placed"
    AlreadyPlaced,
    /// "already referred to legal"
    AlreadyLegal,
    /// "already charged off"
    AlreadyChargedOff,
    /// "not charged off"
    NotChargedOff,
    /// "settled"
    Settled,
    /// "paid"
    Paid,
    /// "closed"
    Closed,
    /// "bankruptcy stay"
    BankruptcyStay,
    /// "deceased"
    Deceased,
    /// "time-barred debt"
    TimeBarred,
    /// "bankruptcy discharged"
    BankruptcyDischarged,
}

impl RefusalReason {
    /// The reason as docs/STATE_MACHINE.md words it, such as `"bankruptcy stay"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::NothingOwed => "nothing owed",
            RefusalReason::BalanceOutstanding => "balance outstanding",
            RefusalReason::NothingPastDue => "nothing past due",
            RefusalReason::NotRevolving => "not revolving",
            RefusalReason::HardshipInPast => "hardship ends before as_of",
            RefusalReason::NoPromise => "no open promise",
            RefusalReason::NoPlan => "no active plan",
            RefusalReason::NoDispute => "no open dispute",
            RefusalReason::NoHardship => "no hardship in force",
            RefusalReason::NotPlaced => "not placed or referred",
            RefusalReason::NotClosed => "not closed",
            RefusalReason::PromiseOpen => "a promise is open",
            RefusalReason::PlanActive => "a plan is active",
            RefusalReason::Disputed => "collection paused by the dispute",
            RefusalReason::Hardship => "collection paused by the hardship",
            RefusalReason::Placed => "with an agency",
            RefusalReason::Legal => "referred to legal",
            RefusalReason::ChargedOff => "charged off",
            RefusalReason::AlreadyDisputed => "already disputed",
            RefusalReason::AlreadyPlaced => "already placed",
            RefusalReason::AlreadyLegal => "already referred to legal",
            RefusalReason::AlreadyChargedOff => "already charged off",
            RefusalReason::NotChargedOff => "not charged off",
            RefusalReason::Settled => "settled",
            RefusalReason::Paid => "paid",
            RefusalReason::Closed => "closed",
            RefusalReason::BankruptcyStay => "bankruptcy stay",
            RefusalReason::Deceased => "deceased",
            RefusalReason::TimeBarred => "time-barred debt",
            RefusalReason::BankruptcyDischarged => "bankruptcy discharged",
        }
    }
}

impl std::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// Short names for the rules below.
pub(crate) const REASON_NOTHING_OWED: RefusalReason = RefusalReason::NothingOwed;
pub(crate) const REASON_BALANCE_OUTSTANDING: RefusalReason = RefusalReason::BalanceOutstanding;
pub(crate) const REASON_NOTHING_PAST_DUE: RefusalReason = RefusalReason::NothingPastDue;
pub(crate) const REASON_NOT_REVOLVING: RefusalReason = RefusalReason::NotRevolving;
pub(crate) const REASON_HARDSHIP_IN_PAST: RefusalReason = RefusalReason::HardshipInPast;
pub(crate) const REASON_NO_PROMISE: RefusalReason = RefusalReason::NoPromise;
pub(crate) const REASON_NO_PLAN: RefusalReason = RefusalReason::NoPlan;
pub(crate) const REASON_NO_DISPUTE: RefusalReason = RefusalReason::NoDispute;
pub(crate) const REASON_NO_HARDSHIP: RefusalReason = RefusalReason::NoHardship;
pub(crate) const REASON_NOT_PLACED: RefusalReason = RefusalReason::NotPlaced;
pub(crate) const REASON_NOT_CLOSED: RefusalReason = RefusalReason::NotClosed;
pub(crate) const REASON_PROMISE_OPEN: RefusalReason = RefusalReason::PromiseOpen;
pub(crate) const REASON_PLAN_ACTIVE: RefusalReason = RefusalReason::PlanActive;
pub(crate) const REASON_DISPUTED: RefusalReason = RefusalReason::Disputed;
pub(crate) const REASON_HARDSHIP: RefusalReason = RefusalReason::Hardship;
pub(crate) const REASON_PLACED: RefusalReason = RefusalReason::Placed;
pub(crate) const REASON_LEGAL: RefusalReason = RefusalReason::Legal;
pub(crate) const REASON_CHARGED_OFF: RefusalReason = RefusalReason::ChargedOff;
pub(crate) const REASON_ALREADY_DISPUTED: RefusalReason = RefusalReason::AlreadyDisputed;
pub(crate) const REASON_ALREADY_PLACED: RefusalReason = RefusalReason::AlreadyPlaced;
pub(crate) const REASON_ALREADY_LEGAL: RefusalReason = RefusalReason::AlreadyLegal;
pub(crate) const REASON_ALREADY_CHARGED_OFF: RefusalReason = RefusalReason::AlreadyChargedOff;
pub(crate) const REASON_NOT_CHARGED_OFF: RefusalReason = RefusalReason::NotChargedOff;
pub(crate) const REASON_SETTLED: RefusalReason = RefusalReason::Settled;
pub(crate) const REASON_PAID: RefusalReason = RefusalReason::Paid;
pub(crate) const REASON_CLOSED: RefusalReason = RefusalReason::Closed;
pub(crate) const REASON_BANKRUPTCY_STAY: RefusalReason = RefusalReason::BankruptcyStay;
pub(crate) const REASON_BANKRUPTCY_DISCHARGED: RefusalReason = RefusalReason::BankruptcyDischarged;
pub(crate) const REASON_DECEASED: RefusalReason = RefusalReason::Deceased;
pub(crate) const REASON_TIME_BARRED: RefusalReason = RefusalReason::TimeBarred;

/// The state's rule for the event: the transition table, plus the rules that depend on the
/// context. Sticky flags are not looked at here ([`flag_guard`]).
pub(crate) fn rule(state: &CollectionState, event: &CollectionEvent, context: &Context) -> Rule {
    use CollectionEvent as E;
    use Rule::{Derived, Rejected, Same, To};
    let rule = match state {
        CollectionState::Current => match event {
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted | E::Review => Derived,
            E::PromiseMade => To(CollectionState::Promised),
            E::PromiseKept | E::PromiseBroken => Rejected(REASON_NO_PROMISE),
            E::PlanCreated => To(CollectionState::InPlan),
            E::InstallmentMissed | E::PlanDefaulted | E::PlanCompleted => Rejected(REASON_NO_PLAN),
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            E::HardshipGranted { until } => To(CollectionState::Hardship { until: *until }),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { .. } | E::LegalReferral => Rejected(REASON_NOTHING_PAST_DUE),
            E::Recalled => Rejected(REASON_NOT_PLACED),
            E::ChargeOff => To(CollectionState::ChargedOff),
            E::SettlementOffered | E::SettlementAccepted => Same,
            E::SettlementCompleted => To(CollectionState::Settled),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => {
                if context.total_outstanding_minor <= 0 {
                    To(CollectionState::Closed)
                } else {
                    Rejected(REASON_BALANCE_OUTSTANDING)
                }
            }
            E::ChargeOffReversed => Rejected(REASON_NOT_CHARGED_OFF),
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Delinquent { .. } => match event {
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted | E::Review => Derived,
            E::PromiseMade => To(CollectionState::Promised),
            E::PromiseKept | E::PromiseBroken => Rejected(REASON_NO_PROMISE),
            E::PlanCreated => To(CollectionState::InPlan),
            E::InstallmentMissed | E::PlanDefaulted | E::PlanCompleted => Rejected(REASON_NO_PLAN),
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            E::HardshipGranted { until } => To(CollectionState::Hardship { until: *until }),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { agency } => To(CollectionState::Placed { agency: agency.clone() }),
            E::Recalled => Rejected(REASON_NOT_PLACED),
            E::LegalReferral => To(CollectionState::Legal),
            E::ChargeOff => To(CollectionState::ChargedOff),
            E::SettlementOffered | E::SettlementAccepted => Same,
            E::SettlementCompleted => To(CollectionState::Settled),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => Rejected(REASON_BALANCE_OUTSTANDING),
            E::ChargeOffReversed => Rejected(REASON_NOT_CHARGED_OFF),
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Promised => match event {
            // The engine decides whether the promise was kept or broken and says so.
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted | E::Review => Same,
            // A new promise replaces the open one.
            E::PromiseMade => Same,
            E::PromiseKept | E::PromiseBroken => Derived,
            // A plan replaces the promise.
            E::PlanCreated => To(CollectionState::InPlan),
            E::InstallmentMissed | E::PlanDefaulted | E::PlanCompleted => Rejected(REASON_NO_PLAN),
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            E::HardshipGranted { until } => To(CollectionState::Hardship { until: *until }),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { .. } | E::LegalReferral => Rejected(REASON_PROMISE_OPEN),
            E::Recalled => Rejected(REASON_NOT_PLACED),
            E::ChargeOff => To(CollectionState::ChargedOff),
            E::SettlementOffered | E::SettlementAccepted => Same,
            E::SettlementCompleted => To(CollectionState::Settled),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            // The discharge voids the promise to pay a debt no longer owed.
            E::BankruptcyDischarged => Derived,
            E::Close => Rejected(REASON_PROMISE_OPEN),
            E::ChargeOffReversed => Rejected(REASON_NOT_CHARGED_OFF),
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::InPlan => match event {
            // The engine decides whether the plan defaulted or completed and says so.
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted | E::Review => Same,
            E::PromiseMade => Rejected(REASON_PLAN_ACTIVE),
            E::PromiseKept | E::PromiseBroken => Rejected(REASON_NO_PROMISE),
            // A new plan (a restructuring) replaces the active one.
            E::PlanCreated | E::InstallmentMissed => Same,
            E::PlanDefaulted | E::PlanCompleted => Derived,
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            E::HardshipGranted { until } => To(CollectionState::Hardship { until: *until }),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { .. } | E::LegalReferral => Rejected(REASON_PLAN_ACTIVE),
            E::Recalled => Rejected(REASON_NOT_PLACED),
            E::ChargeOff => To(CollectionState::ChargedOff),
            E::SettlementOffered | E::SettlementAccepted => Same,
            E::SettlementCompleted => To(CollectionState::Settled),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            // The discharge voids the plan to pay a debt no longer owed.
            E::BankruptcyDischarged => Derived,
            E::Close => Rejected(REASON_PLAN_ACTIVE),
            E::ChargeOffReversed => Rejected(REASON_NOT_CHARGED_OFF),
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Disputed => match event {
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted | E::Review => Same,
            E::PromiseMade | E::PlanCreated => Rejected(REASON_DISPUTED),
            E::PromiseKept | E::PromiseBroken => Rejected(REASON_NO_PROMISE),
            E::InstallmentMissed | E::PlanDefaulted | E::PlanCompleted => Rejected(REASON_NO_PLAN),
            E::DisputeOpened => Rejected(REASON_ALREADY_DISPUTED),
            E::DisputeResolved => Derived,
            E::HardshipGranted { .. } => Rejected(REASON_DISPUTED),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { .. } | E::LegalReferral => Rejected(REASON_DISPUTED),
            E::Recalled => Rejected(REASON_NOT_PLACED),
            // The dispute outlives the charge-off; resolving it derives `ChargedOff`.
            E::ChargeOff => Same,
            E::SettlementOffered | E::SettlementAccepted | E::SettlementCompleted => {
                Rejected(REASON_DISPUTED)
            }
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => Rejected(REASON_DISPUTED),
            // The dispute outlives the charge-off and its reversal; resolving it derives.
            E::ChargeOffReversed => Same,
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Hardship { until } => match event {
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted => Same,
            E::Review => {
                if context.as_of > *until {
                    Derived
                } else {
                    Same
                }
            }
            E::PromiseMade | E::PlanCreated => Rejected(REASON_HARDSHIP),
            E::PromiseKept | E::PromiseBroken => Rejected(REASON_NO_PROMISE),
            E::InstallmentMissed | E::PlanDefaulted | E::PlanCompleted => Rejected(REASON_NO_PLAN),
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            // A new grant extends or shortens the forbearance.
            E::HardshipGranted { until } => To(CollectionState::Hardship { until: *until }),
            E::HardshipEnded => Derived,
            E::Placed { .. } | E::LegalReferral => Rejected(REASON_HARDSHIP),
            E::Recalled => Rejected(REASON_NOT_PLACED),
            // The forbearance outlives the charge-off; its end derives `ChargedOff`.
            E::ChargeOff => Same,
            E::SettlementOffered | E::SettlementAccepted | E::SettlementCompleted => {
                Rejected(REASON_HARDSHIP)
            }
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => Rejected(REASON_HARDSHIP),
            E::ChargeOffReversed => Same,
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Placed { .. } => match event {
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted => {
                if context.total_outstanding_minor <= 0 {
                    Derived
                } else {
                    Same
                }
            }
            E::Review => Same,
            E::PromiseMade | E::PlanCreated => Rejected(REASON_PLACED),
            E::PromiseKept | E::PromiseBroken => Rejected(REASON_NO_PROMISE),
            E::InstallmentMissed | E::PlanDefaulted | E::PlanCompleted => Rejected(REASON_NO_PLAN),
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            E::HardshipGranted { .. } => Rejected(REASON_PLACED),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { .. } => Rejected(REASON_ALREADY_PLACED),
            E::Recalled => Derived,
            E::LegalReferral => To(CollectionState::Legal),
            // Agencies work charged-off debt; a recall derives `ChargedOff`.
            E::ChargeOff => Same,
            E::SettlementOffered | E::SettlementAccepted => Same,
            E::SettlementCompleted => To(CollectionState::Settled),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => Rejected(REASON_PLACED),
            E::ChargeOffReversed => Same,
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Legal => match event {
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted => {
                if context.total_outstanding_minor <= 0 {
                    Derived
                } else {
                    Same
                }
            }
            E::Review => Same,
            E::PromiseMade | E::PlanCreated => Rejected(REASON_LEGAL),
            E::PromiseKept | E::PromiseBroken => Rejected(REASON_NO_PROMISE),
            E::InstallmentMissed | E::PlanDefaulted | E::PlanCompleted => Rejected(REASON_NO_PLAN),
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            E::HardshipGranted { .. } => Rejected(REASON_LEGAL),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { .. } => Rejected(REASON_LEGAL),
            E::Recalled => Derived,
            E::LegalReferral => Rejected(REASON_ALREADY_LEGAL),
            // Litigation goes on after a charge-off; a recall derives `ChargedOff`.
            E::ChargeOff => Same,
            E::SettlementOffered | E::SettlementAccepted => Same,
            E::SettlementCompleted => To(CollectionState::Settled),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => Rejected(REASON_LEGAL),
            E::ChargeOffReversed => Same,
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::ChargedOff => match event {
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted => {
                if context.total_outstanding_minor <= 0 {
                    To(CollectionState::Paid)
                } else {
                    Same
                }
            }
            E::Review => Same,
            // Promises and plans on a charged-off account are tracked by the plan module;
            // the account stays charged off.
            E::PromiseMade
            | E::PromiseKept
            | E::PromiseBroken
            | E::PlanCreated
            | E::InstallmentMissed
            | E::PlanDefaulted
            | E::PlanCompleted => Same,
            E::DisputeOpened => To(CollectionState::Disputed),
            E::DisputeResolved => Rejected(REASON_NO_DISPUTE),
            E::HardshipGranted { .. } => Rejected(REASON_CHARGED_OFF),
            E::HardshipEnded => Rejected(REASON_NO_HARDSHIP),
            E::Placed { agency } => To(CollectionState::Placed { agency: agency.clone() }),
            E::Recalled => Rejected(REASON_NOT_PLACED),
            E::LegalReferral => To(CollectionState::Legal),
            E::ChargeOff => Rejected(REASON_ALREADY_CHARGED_OFF),
            E::SettlementOffered | E::SettlementAccepted => Same,
            E::SettlementCompleted => To(CollectionState::Settled),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => Rejected(REASON_CHARGED_OFF),
            // The ledger no longer holds a charge-off: the state it implies.
            E::ChargeOffReversed => Derived,
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Settled => match event {
            E::ChargePosted => Rejected(REASON_SETTLED),
            E::PaymentPosted | E::Review => Same,
            // A returned settlement payment voids the settlement.
            E::ReversalPosted => Derived,
            E::PromiseMade
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
            | E::SettlementCompleted => Rejected(REASON_SETTLED),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => To(CollectionState::Closed),
            E::ChargeOffReversed => Rejected(REASON_SETTLED),
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Paid => match event {
            // A new charge or a returned payment makes something owed again.
            E::ChargePosted | E::PaymentPosted | E::ReversalPosted | E::Review => Derived,
            E::PromiseMade
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
            | E::SettlementCompleted => Rejected(REASON_PAID),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Close => To(CollectionState::Closed),
            E::ChargeOffReversed => Rejected(REASON_PAID),
            E::Reopen => Rejected(REASON_NOT_CLOSED),
        },
        CollectionState::Closed => match event {
            // A returned payment is a fact: the debt it re-opens is owed again (an account is
            // closed only when nothing is owed), and collected as the ledger implies. One that
            // leaves nothing owed (it took back an overpayment) leaves the account closed.
            E::ReversalPosted => {
                if context.total_outstanding_minor > 0 {
                    Derived
                } else {
                    Same
                }
            }
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
            | E::ChargeOffReversed => Rejected(REASON_CLOSED),
            E::CeaseRequested
            | E::AttorneyNotified
            | E::AttorneyWithdrawn
            | E::BankruptcyFiled
            | E::BankruptcyDischarged
            | E::BankruptcyDismissed
            | E::Deceased => Same,
            E::Reopen => {
                if context.revolving {
                    To(CollectionState::Current)
                } else {
                    Rejected(REASON_NOT_REVOLVING)
                }
            }
        },
    };
    if let Rejected(_) = rule {
        return rule;
    }
    if needs_balance(event) && context.total_outstanding_minor <= 0 {
        return Rejected(REASON_NOTHING_OWED);
    }
    if let E::HardshipGranted { until } = event {
        if *until < context.as_of {
            return Rejected(REASON_HARDSHIP_IN_PAST);
        }
    }
    rule
}

/// Returns true if and only if the event arranges, pursues or writes off a debt, and so is
/// refused when nothing is owed.
fn needs_balance(event: &CollectionEvent) -> bool {
    use CollectionEvent as E;
    match event {
        E::PromiseMade
        | E::PlanCreated
        | E::HardshipGranted { .. }
        | E::Placed { .. }
        | E::LegalReferral
        | E::ChargeOff
        | E::SettlementOffered
        | E::SettlementAccepted => true,
        E::ChargePosted
        | E::PaymentPosted
        | E::ReversalPosted
        | E::Review
        | E::PromiseKept
        | E::PromiseBroken
        | E::InstallmentMissed
        | E::PlanDefaulted
        | E::PlanCompleted
        | E::DisputeOpened
        | E::DisputeResolved
        | E::HardshipEnded
        | E::Recalled
        | E::SettlementCompleted
        | E::CeaseRequested
        | E::AttorneyNotified
        | E::AttorneyWithdrawn
        | E::BankruptcyFiled
        | E::BankruptcyDischarged
        | E::BankruptcyDismissed
        | E::Deceased
        | E::Close
        | E::Reopen
        | E::ChargeOffReversed => false,
    }
}

/// The reason a sticky flag refuses the event, if one does. Applies only to events the
/// state's rule accepted. `time_barred` is read from the flag or from the context, so a
/// referral on the day the statute runs out is refused before any review records the flag.
pub(crate) fn flag_guard(
    flags: &StickyFlags,
    event: &CollectionEvent,
    context: &Context,
) -> Option<RefusalReason> {
    use CollectionEvent as E;
    match event {
        E::PromiseMade | E::PlanCreated => {
            if let Some(reason) = bankruptcy_guard(flags) {
                Some(reason)
            } else if flags.deceased {
                Some(REASON_DECEASED)
            } else {
                None
            }
        }
        E::Placed { .. } | E::SettlementOffered => bankruptcy_guard(flags),
        E::LegalReferral => {
            if let Some(reason) = bankruptcy_guard(flags) {
                Some(reason)
            } else if flags.time_barred || context.time_barred {
                Some(REASON_TIME_BARRED)
            } else {
                None
            }
        }
        E::ChargePosted
        | E::PaymentPosted
        | E::ReversalPosted
        | E::Review
        | E::PromiseKept
        | E::PromiseBroken
        | E::InstallmentMissed
        | E::PlanDefaulted
        | E::PlanCompleted
        | E::DisputeOpened
        | E::DisputeResolved
        | E::HardshipGranted { .. }
        | E::HardshipEnded
        | E::Recalled
        | E::ChargeOff
        | E::SettlementAccepted
        | E::SettlementCompleted
        | E::CeaseRequested
        | E::AttorneyNotified
        | E::AttorneyWithdrawn
        | E::BankruptcyFiled
        | E::BankruptcyDischarged
        | E::BankruptcyDismissed
        | E::Deceased
        | E::Close
        | E::Reopen
        | E::ChargeOffReversed => None,
    }
}

/// The refusal a bankruptcy makes of an act of collection: the stay while it is in force,
/// then, for good, the discharge.
fn bankruptcy_guard(flags: &StickyFlags) -> Option<RefusalReason> {
    if flags.bankruptcy_stay {
        Some(REASON_BANKRUPTCY_STAY)
    } else if flags.bankruptcy_discharged {
        Some(REASON_BANKRUPTCY_DISCHARGED)
    } else {
        None
    }
}

/// The flags after an accepted event.
fn flags_after(flags: &StickyFlags, event: &CollectionEvent, context: &Context) -> StickyFlags {
    use CollectionEvent as E;
    let mut flags = *flags;
    match event {
        E::CeaseRequested => flags.cease_communication = true,
        E::AttorneyNotified => flags.attorney_represented = true,
        E::AttorneyWithdrawn => flags.attorney_represented = false,
        E::BankruptcyFiled => flags.bankruptcy_stay = true,
        E::BankruptcyDischarged => {
            flags.bankruptcy_stay = false;
            flags.bankruptcy_discharged = true;
        }
        E::BankruptcyDismissed => flags.bankruptcy_stay = false,
        E::Deceased => flags.deceased = true,
        E::Review => flags.time_barred |= context.time_barred,
        E::ChargePosted
        | E::PaymentPosted
        | E::ReversalPosted
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
        | E::Reopen
        | E::ChargeOffReversed => {}
    }
    flags
}

#[cfg(test)]
mod tests;
