//! Rows of collection cases, actions, contacts, notes, audit records, and the refusals they record.

use arrears_core::case::{
    Action, ActionMessage, ActionStatus, AuditKind, AuditRecord, CancelReason, CaseScore, Claim,
    CollectionCase, ContactAttempt, ContactOutcome, ForbearanceMeasure, ForbearanceRecord,
    LateFeeCharge, Note, Placement, PlanRecord, PromiseRecord, SettlementRecord, StatedCapacity,
};
use arrears_core::collection::{CollectionEvent, CollectionState, RefusalReason, StickyFlags};
use arrears_core::compliance::ActionKind;
use arrears_core::message::Tone;
use arrears_core::plan::{Frequency, PromiseRefused, PromisedPayment, QuoteError, Unaffordable};
use serde::{Deserialize, Serialize};

use crate::rows::Stored;
use crate::stored;

use super::model::*;
use super::{Day, DecimalText, Instant};

use super::strings_mode;

pub(crate) mod audit;
mod audit_kind;
pub(super) mod bytes;
mod entry;

/// Encodes `entry` whole, its own hash kept, as its audit entry record: the bytes of
/// `codec::encode(kind, &LinkedAuditEntryRow::of(entry))` (record version 4), written by hand
/// ([`entry`]) without building the row. The form of an entry a migration or a test rewrites;
/// an entry appended is written at version 5 ([`encode_committed_audit_entry_at`]). In
/// [`crate::rows::with_strings`] mode, whose text instants only format 1 wrote, by serde in
/// format 1's form ([`AuditEntryRow`], with the previous hash), which `codec::encode_format_1`
/// completes with version byte 1.
pub(crate) fn encode_audit_entry(kind: crate::RecordKind, entry: &crate::AuditEntry) -> Vec<u8> {
    if strings_mode() {
        return crate::codec::encode(kind, &entry.to_row());
    }
    self::entry::encode_linked(kind, entry)
}

/// Encodes an appended audit entry (record version 5, format 10: [`CommittedAuditEntryRow`]):
/// the record without its previous hash and with no hash of its own, both its commit's, which
/// its commit's last entry keeps (written again at version 4 when the commit's hash is known).
#[cfg(any(test, feature = "fault-injection"))]
pub(crate) fn encode_committed_audit_entry(
    record: &AuditRecord,
    replay: Option<&crate::IdempotencyRecord>,
) -> Vec<u8> {
    self::entry::encode_committed(crate::RecordKind::Audit, record, replay).0
}

/// The bytes of an appended audit entry (record version 5, [`CommittedAuditEntryRow`]), and
/// the offset where [`seal_audit_entry`] puts the hash.
pub(crate) fn encode_committed_audit_entry_at(
    record: &AuditRecord,
    replay: Option<&crate::IdempotencyRecord>,
) -> (Vec<u8>, usize) {
    self::entry::encode_committed(crate::RecordKind::Audit, record, replay)
}

/// The entry of version 5 `committed` (from [`encode_committed_audit_entry_at`], which gave
/// `hash_at`) as its commit's last entry keeps it: at version 4, with `hash` (what
/// [`encode_audit_entry`] writes of the entry with that hash), without decoding it.
pub(crate) fn seal_audit_entry(committed: &[u8], hash_at: usize, hash: &[u8; 32]) -> Vec<u8> {
    self::entry::seal(committed, hash_at, hash)
}

/// The stored form of `arrears_core::case::CollectionCase`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CollectionCaseRow {
    pub account: u64,
    pub state: CollectionStateRow,
    pub flags: StickyFlagsRow,
    pub stage: Option<String>,
    pub stage_entered_on: Option<Day>,
    pub arm: String,
    pub next_review_on: Day,
    pub last_review_on: Option<Day>,
    pub decided_on: Day,
    pub promise: Option<PromiseRecordRow>,
    pub plan: Option<PlanRecordRow>,
    pub settlement: Option<SettlementRecordRow>,
    pub placement: Option<PlacementRow>,
    pub credit_hold: bool,
    pub broken_promises: u32,
    pub promise_broken_on: Option<Day>,
    pub kept_promises: u32,
    pub steps_issued: Vec<u32>,
    pub late_fees_assessed: Vec<u64>,
    pub interrupted: Vec<CollectionStateRow>,
    pub capacity: Option<StatedCapacityRow>,
    pub time_barred_on: Option<Day>,
    pub score: Option<CaseScoreRow>,
    pub recalled_on: Option<Day>,
    pub late_fee_charges: Vec<LateFeeChargeRow>,
    /// `StickyFlags::bankruptcy_discharged` (version 6), kept after the last field so that
    /// an older record reads with it `false`; the other flags are in `flags`.
    pub bankruptcy_discharged: bool,
    /// `CollectionCase::forbearance` (version 7).
    pub forbearance: Option<ForbearanceRecordRow>,
    /// `CollectionCase::hardship_ended_on` (version 8).
    pub hardship_ended_on: Option<Day>,
}

/// The stored form of `arrears_core::case::ForbearanceRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ForbearanceRecordRow {
    pub on: Day,
    pub measure: ForbearanceMeasureRow,
}

/// The stored form of `arrears_core::case::ForbearanceMeasure`. Variants are appended, never
/// reordered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ForbearanceMeasureRow {
    Hardship,
    Plan,
    Settlement,
    Assessed,
}

/// The stored form of `arrears_core::case::LateFeeCharge`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct LateFeeChargeRow {
    pub obligation: u64,
    pub fee: u64,
    pub assessed_on: Day,
    pub fee_minor: i64,
}

/// The stored form of `arrears_core::case::Action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ActionRow {
    pub id: u64,
    pub debtor: u64,
    pub accounts: Vec<u64>,
    pub channel: ContactChannelRow,
    pub address: String,
    pub template: String,
    pub scheduled_at: Instant,
    pub created_for: Day,
    pub status: ActionStatusRow,
    pub claim: Option<ClaimRow>,
    pub sent_at: Option<Instant>,
    pub seq: u64,
    pub message: Option<ActionMessageRow>,
    pub payment_link: Option<String>,
    pub invoice: Option<u64>,
}

/// The stored form of `arrears_core::case::ContactAttempt`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ContactAttemptRow {
    pub accounts: Vec<u64>,
    pub channel: ContactChannelRow,
    pub address: String,
    pub at: Instant,
    pub inbound: bool,
    pub outcome: ContactOutcomeRow,
    pub action: Option<u64>,
}

/// The stored form of `arrears_core::case::AuditRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AuditRecordRow {
    pub seq: u64,
    pub recorded_at: Instant,
    pub account: Option<u64>,
    pub kind: AuditKindRow,
    pub prev_hash: [u8; 32],
}

/// The stored form of `arrears_core::case::Note`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NoteRow {
    pub account: Option<u64>,
    pub at: Instant,
    pub author: String,
    pub text: String,
}

/// The stored form of `arrears_core::case::ContactOutcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ContactOutcomeRow {
    NotConnected,
    NoAnswer,
    Voicemail,
    RightParty,
    WrongParty,
    Delivered,
    Bounced,
    PromiseCaptured,
    DisputeRaised,
    PaymentTaken,
}

/// The stored form of `arrears_core::collection::CollectionState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CollectionStateRow {
    Current,
    Delinquent { stage: u8 },
    Promised,
    InPlan,
    Disputed,
    Hardship { until: Day },
    Placed { agency: String },
    Legal,
    ChargedOff,
    Settled,
    Paid,
    Closed,
}

/// The stored form of `arrears_core::collection::StickyFlags` but its last flag,
/// `bankruptcy_discharged`, which is `CollectionCaseRow`'s last field (case record version 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct StickyFlagsRow {
    pub cease_communication: bool,
    pub attorney_represented: bool,
    pub bankruptcy_stay: bool,
    pub deceased: bool,
    pub time_barred: bool,
}

/// The stored form of `arrears_core::case::PromiseRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PromiseRecordRow {
    pub made_on: Day,
    pub payments: Vec<PromisedPaymentRow>,
    pub grace_days: u32,
}

/// The stored form of `arrears_core::case::PlanRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PlanRecordRow {
    pub created_on: Day,
    pub frequency: FrequencyRow,
    pub installments: Vec<u64>,
    pub total_minor: i64,
    pub missed: u32,
    pub default_after_missed: u32,
    pub grace_days: u32,
}

/// The stored form of `arrears_core::case::SettlementRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SettlementRecordRow {
    pub offered_on: Day,
    pub amount_minor: i64,
    pub expires_on: Day,
    pub accepted_on: Option<Day>,
}

/// The stored form of `arrears_core::case::Placement`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PlacementRow {
    pub agency: String,
    pub placed_on: Day,
    pub commission_rate: DecimalText,
}

/// The stored form of `arrears_core::case::StatedCapacity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct StatedCapacityRow {
    pub stated_on: Day,
    pub monthly_income_minor: i64,
    pub monthly_expenses_minor: i64,
}

/// The stored form of `arrears_core::case::CaseScore`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CaseScoreRow {
    pub band: String,
    pub points: i32,
    pub scored_on: Day,
}

/// The stored form of `arrears_core::case::ActionStatus`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ActionStatusRow {
    Pending,
    Acknowledged { outcome: ContactOutcomeRow, at: Instant },
    Cancelled { reason: CancelReasonRow, at: Instant },
}

/// The stored form of `arrears_core::case::Claim`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ClaimRow {
    pub by: String,
    pub until: Instant,
}

/// The stored form of `arrears_core::case::ActionMessage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ActionMessageRow {
    pub tone: ToneRow,
    pub language: String,
    pub text: String,
}

/// The stored form of `arrears_core::case::AuditKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum AuditKindRow {
    Command {
        name: String,
        key: String,
    },
    Transition {
        event: String,
        from: String,
        to: String,
        on: Day,
    },
    Cycle {
        as_of: Day,
        reviewed: u64,
        actions: u64,
    },
    ContactBlocked {
        debtor: u64,
        channel: ContactChannelRow,
        template: String,
        rule: String,
        next_allowed_at: Option<Instant>,
    },
    ComponentFailed {
        arm: String,
        component: String,
        name: String,
        accounts: u64,
        error: String,
    },
    CommandExecuted {
        name: String,
        key: String,
        content: [u8; 32],
    },
    PluginAdded {
        name: String,
        entry: [u8; 32],
    },
    PluginRemoved {
        name: String,
        entry: [u8; 32],
    },
    ActionBlocked {
        debtor: u64,
        action: ActionKindRow,
        rule: String,
        on: Day,
    },
}

/// The stored form of `arrears_core::compliance::ActionKind`. Variants are appended, never
/// reordered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ActionKindRow {
    Contact,
    TerminationOrRemedyNotice,
    SuitThreat,
    Suit,
    CreditReport,
}

/// The stored form of `arrears_core::plan::Frequency`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum FrequencyRow {
    Weekly,
    Fortnightly,
    Monthly,
}

/// The stored form of `arrears_core::collection::CollectionEvent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CollectionEventRow {
    ChargePosted,
    PaymentPosted,
    ReversalPosted,
    Review,
    PromiseMade,
    PromiseKept,
    PromiseBroken,
    PlanCreated,
    InstallmentMissed,
    PlanDefaulted,
    PlanCompleted,
    DisputeOpened,
    DisputeResolved,
    HardshipGranted {
        until: Day,
    },
    HardshipEnded,
    Placed {
        agency: String,
    },
    Recalled,
    LegalReferral,
    ChargeOff,
    SettlementOffered,
    SettlementAccepted,
    SettlementCompleted,
    CeaseRequested,
    AttorneyNotified,
    BankruptcyFiled,
    BankruptcyDischarged,
    Deceased,
    Close,
    Reopen,
    ChargeOffReversed,
    /// Appended with case record version 6.
    BankruptcyDismissed,
    AttorneyWithdrawn,
}

/// The stored form of `arrears_core::collection::RefusalReason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RefusalReasonRow {
    NothingOwed,
    BalanceOutstanding,
    NothingPastDue,
    NotRevolving,
    HardshipInPast,
    NoPromise,
    NoPlan,
    NoDispute,
    NoHardship,
    NotPlaced,
    NotClosed,
    PromiseOpen,
    PlanActive,
    Disputed,
    Hardship,
    Placed,
    Legal,
    ChargedOff,
    AlreadyDisputed,
    AlreadyPlaced,
    AlreadyLegal,
    AlreadyChargedOff,
    NotChargedOff,
    Settled,
    Paid,
    Closed,
    BankruptcyStay,
    Deceased,
    TimeBarred,
    /// Appended with case record version 6.
    BankruptcyDischarged,
}

/// The stored form of `arrears_core::plan::PromisedPayment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PromisedPaymentRow {
    pub on: Day,
    pub amount_minor: i64,
}

/// The stored form of `arrears_core::case::CancelReason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CancelReasonRow {
    OptedOut,
    ConsentWithdrawn,
    AddressRemoved,
    CeaseCommunication,
    AttorneyRepresented,
    Bankruptcy,
    Deceased,
    WorkContactProhibited,
    Disputed,
    ConversationCooldown,
    LitigationServed,
    OutsideHours,
    ContactCap,
    JurisdictionRules,
}

/// The stored form of `arrears_core::message::Tone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ToneRow {
    Friendly,
    Firm,
    FinalNotice,
    PlanOffer,
    SettlementOffer,
}

/// The stored form of `arrears_core::plan::PromiseRefused`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum PromiseRefusedRow {
    Empty,
    AmountNotPositive { on: Day, amount_minor: i64 },
    InThePast { on: Day, made_on: Day },
    TooFarOut { on: Day, made_on: Day, max_days_out: u32 },
    BelowMinimumShare { total_minor: i64, min_minor: i64, share: DecimalText, past_due_minor: i64 },
}

/// The stored form of `arrears_core::plan::QuoteError`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum QuoteErrorRow {
    Balance { balance_minor: i64 },
    Installments { installments: u32 },
    Rate { annual_rate: DecimalText },
    Calendar,
}

/// The stored form of `arrears_core::plan::Unaffordable`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum UnaffordableRow {
    NoDisposableIncome {
        income_minor: i64,
        expenses_minor: i64,
    },
    AboveAffordableShare {
        monthly_minor: i64,
        affordable_minor: i64,
        share: DecimalText,
        disposable_minor: i64,
    },
    AboveDebtorCapacity {
        asked_minor: i64,
        committed_minor: i64,
        affordable_minor: i64,
        share: DecimalText,
        disposable_minor: i64,
    },
}

impl Stored<CollectionCaseRow> for CollectionCase {
    fn to_row(&self) -> CollectionCaseRow {
        // Destructured without `..`: a field added to the case fails to compile here.
        let CollectionCase {
            account,
            state,
            flags,
            stage,
            stage_entered_on,
            arm,
            next_review_on,
            last_review_on,
            decided_on,
            promise,
            plan,
            settlement,
            placement,
            credit_hold,
            broken_promises,
            promise_broken_on,
            kept_promises,
            steps_issued,
            late_fees_assessed,
            interrupted,
            capacity,
            time_barred_on,
            score,
            recalled_on,
            late_fee_charges,
            forbearance,
            hardship_ended_on,
        } = self;
        let StickyFlags {
            cease_communication,
            attorney_represented,
            bankruptcy_stay,
            deceased,
            time_barred,
            bankruptcy_discharged,
        } = *flags;
        CollectionCaseRow {
            account: account.to_row(),
            state: state.to_row(),
            flags: StickyFlagsRow {
                cease_communication,
                attorney_represented,
                bankruptcy_stay,
                deceased,
                time_barred,
            },
            stage: stage.to_row(),
            stage_entered_on: stage_entered_on.to_row(),
            arm: arm.to_row(),
            next_review_on: next_review_on.to_row(),
            last_review_on: last_review_on.to_row(),
            decided_on: decided_on.to_row(),
            promise: promise.to_row(),
            plan: plan.to_row(),
            settlement: settlement.to_row(),
            placement: placement.to_row(),
            credit_hold: credit_hold.to_row(),
            broken_promises: broken_promises.to_row(),
            promise_broken_on: promise_broken_on.to_row(),
            kept_promises: kept_promises.to_row(),
            steps_issued: steps_issued.to_row(),
            late_fees_assessed: late_fees_assessed.to_row(),
            interrupted: interrupted.to_row(),
            capacity: capacity.to_row(),
            time_barred_on: time_barred_on.to_row(),
            score: score.to_row(),
            recalled_on: recalled_on.to_row(),
            late_fee_charges: late_fee_charges.to_row(),
            bankruptcy_discharged,
            forbearance: forbearance.to_row(),
            hardship_ended_on: hardship_ended_on.to_row(),
        }
    }

    fn from_row(row: CollectionCaseRow) -> Self {
        let CollectionCaseRow {
            account,
            state,
            flags,
            stage,
            stage_entered_on,
            arm,
            next_review_on,
            last_review_on,
            decided_on,
            promise,
            plan,
            settlement,
            placement,
            credit_hold,
            broken_promises,
            promise_broken_on,
            kept_promises,
            steps_issued,
            late_fees_assessed,
            interrupted,
            capacity,
            time_barred_on,
            score,
            recalled_on,
            late_fee_charges,
            bankruptcy_discharged,
            forbearance,
            hardship_ended_on,
        } = row;
        let StickyFlagsRow {
            cease_communication,
            attorney_represented,
            bankruptcy_stay,
            deceased,
            time_barred,
        } = flags;
        CollectionCase {
            account: Stored::from_row(account),
            state: Stored::from_row(state),
            flags: StickyFlags {
                cease_communication,
                attorney_represented,
                bankruptcy_stay,
                deceased,
                time_barred,
                bankruptcy_discharged,
            },
            stage: Stored::from_row(stage),
            stage_entered_on: Stored::from_row(stage_entered_on),
            arm: Stored::from_row(arm),
            next_review_on: Stored::from_row(next_review_on),
            last_review_on: Stored::from_row(last_review_on),
            decided_on: Stored::from_row(decided_on),
            promise: Stored::from_row(promise),
            plan: Stored::from_row(plan),
            settlement: Stored::from_row(settlement),
            placement: Stored::from_row(placement),
            credit_hold: Stored::from_row(credit_hold),
            broken_promises: Stored::from_row(broken_promises),
            promise_broken_on: Stored::from_row(promise_broken_on),
            kept_promises: Stored::from_row(kept_promises),
            steps_issued: Stored::from_row(steps_issued),
            late_fees_assessed: Stored::from_row(late_fees_assessed),
            interrupted: Stored::from_row(interrupted),
            capacity: Stored::from_row(capacity),
            time_barred_on: Stored::from_row(time_barred_on),
            score: Stored::from_row(score),
            recalled_on: Stored::from_row(recalled_on),
            late_fee_charges: Stored::from_row(late_fee_charges),
            forbearance: Stored::from_row(forbearance),
            hardship_ended_on: Stored::from_row(hardship_ended_on),
        }
    }
}

stored!(enum ActionKind => ActionKindRow { Contact, TerminationOrRemedyNotice, SuitThreat, Suit, CreditReport });
stored!(struct ForbearanceRecord => ForbearanceRecordRow { on, measure });
stored!(enum ForbearanceMeasure => ForbearanceMeasureRow { Hardship, Plan, Settlement, Assessed });
stored!(struct LateFeeCharge => LateFeeChargeRow { obligation, fee, assessed_on, fee_minor });
stored!(struct Action => ActionRow { id, debtor, accounts, channel, address, template, scheduled_at, created_for, status, claim, sent_at, seq, message, payment_link, invoice });
stored!(struct ContactAttempt => ContactAttemptRow { accounts, channel, address, at, inbound, outcome, action });
stored!(struct AuditRecord => AuditRecordRow { seq, recorded_at, account, kind, prev_hash });
stored!(struct Note => NoteRow { account, at, author, text });
stored!(enum ContactOutcome => ContactOutcomeRow { NotConnected, NoAnswer, Voicemail, RightParty, WrongParty, Delivered, Bounced, PromiseCaptured, DisputeRaised, PaymentTaken });
stored!(enum CollectionState => CollectionStateRow { Current, Delinquent { stage }, Promised, InPlan, Disputed, Hardship { until }, Placed { agency }, Legal, ChargedOff, Settled, Paid, Closed });
stored!(struct PromiseRecord => PromiseRecordRow { made_on, payments, grace_days });
stored!(struct PlanRecord => PlanRecordRow { created_on, frequency, installments, total_minor, missed, default_after_missed, grace_days });
stored!(struct SettlementRecord => SettlementRecordRow { offered_on, amount_minor, expires_on, accepted_on });
stored!(struct Placement => PlacementRow { agency, placed_on, commission_rate });
stored!(struct StatedCapacity => StatedCapacityRow { stated_on, monthly_income_minor, monthly_expenses_minor });
stored!(struct CaseScore => CaseScoreRow { band, points, scored_on });
stored!(enum ActionStatus => ActionStatusRow { Pending, Acknowledged { outcome, at }, Cancelled { reason, at } });
stored!(struct Claim => ClaimRow { by, until });
stored!(struct ActionMessage => ActionMessageRow { tone, language, text });
stored!(enum AuditKind => AuditKindRow { Command { name, key }, Transition { event, from, to, on }, Cycle { as_of, reviewed, actions }, ContactBlocked { debtor, channel, template, rule, next_allowed_at }, ComponentFailed { arm, component, name, accounts, error }, CommandExecuted { name, key, content }, PluginAdded { name, entry }, PluginRemoved { name, entry }, ActionBlocked { debtor, action, rule, on } });
stored!(enum Frequency => FrequencyRow { Weekly, Fortnightly, Monthly });
stored!(enum CollectionEvent => CollectionEventRow { ChargePosted, PaymentPosted, ReversalPosted, Review, PromiseMade, PromiseKept, PromiseBroken, PlanCreated, InstallmentMissed, PlanDefaulted, PlanCompleted, DisputeOpened, DisputeResolved, HardshipGranted { until }, HardshipEnded, Placed { agency }, Recalled, LegalReferral, ChargeOff, SettlementOffered, SettlementAccepted, SettlementCompleted, CeaseRequested, AttorneyNotified, BankruptcyFiled, BankruptcyDischarged, Deceased, Close, Reopen, ChargeOffReversed, BankruptcyDismissed, AttorneyWithdrawn });
stored!(enum RefusalReason => RefusalReasonRow { NothingOwed, BalanceOutstanding, NothingPastDue, NotRevolving, HardshipInPast, NoPromise, NoPlan, NoDispute, NoHardship, NotPlaced, NotClosed, PromiseOpen, PlanActive, Disputed, Hardship, Placed, Legal, ChargedOff, AlreadyDisputed, AlreadyPlaced, AlreadyLegal, AlreadyChargedOff, NotChargedOff, Settled, Paid, Closed, BankruptcyStay, Deceased, TimeBarred, BankruptcyDischarged });
stored!(struct PromisedPayment => PromisedPaymentRow { on, amount_minor });
stored!(enum CancelReason => CancelReasonRow { OptedOut, ConsentWithdrawn, AddressRemoved, CeaseCommunication, AttorneyRepresented, Bankruptcy, Deceased, WorkContactProhibited, Disputed, ConversationCooldown, LitigationServed, OutsideHours, ContactCap, JurisdictionRules });
stored!(enum Tone => ToneRow { Friendly, Firm, FinalNotice, PlanOffer, SettlementOffer });
stored!(enum PromiseRefused => PromiseRefusedRow { Empty, AmountNotPositive { on, amount_minor }, InThePast { on, made_on }, TooFarOut { on, made_on, max_days_out }, BelowMinimumShare { total_minor, min_minor, share, past_due_minor } });
stored!(enum QuoteError => QuoteErrorRow { Balance { balance_minor }, Installments { installments }, Rate { annual_rate }, Calendar });
stored!(enum Unaffordable => UnaffordableRow { NoDisposableIncome { income_minor, expenses_minor }, AboveAffordableShare { monthly_minor, affordable_minor, share, disposable_minor }, AboveDebtorCapacity { asked_minor, committed_minor, affordable_minor, share, disposable_minor } });

/// The stored form of [`crate::AuditEntry`] up to record version 3 (formats 1 to 8): the
/// record with its previous hash. Also the form the audit hash is taken over (format 1's, of
/// the record alone) and the one older-version fixtures are written in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AuditEntryRow {
    pub record: AuditRecordRow,
    pub hash: [u8; 32],
    /// Appended in record version 3 (format 5): a command's idempotency record.
    pub replay: Option<crate::IdempotencyRecord>,
}

use crate::AuditEntry;
stored!(struct AuditEntry => AuditEntryRow { record, hash, replay });

/// The stored form of [`crate::AuditEntry`] from record version 4 (format 9): the record
/// without its previous hash, which is the hash stored in the entry before it (zeros before
/// the first), so that the chain's every link is kept once, not twice (32 bytes an entry).
/// The store's audit reads fill it in ([`crate::Reads::audit_log`],
/// [`crate::Reads::audit_entry`]); the hash is still taken over the record with it, so the
/// chain and its anchors are unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct LinkedAuditEntryRow {
    pub seq: u64,
    pub recorded_at: Instant,
    pub account: Option<u64>,
    pub kind: AuditKindRow,
    pub hash: [u8; 32],
    pub replay: Option<crate::IdempotencyRecord>,
}

impl LinkedAuditEntryRow {
    /// The row of `entry`, leaving out its record's previous hash (what the hand-written
    /// writer's tests compare with).
    #[cfg(test)]
    pub(crate) fn of(entry: &AuditEntry) -> Self {
        let AuditEntry { record, hash, replay } = entry;
        let AuditRecord { seq, recorded_at, account, kind, prev_hash: _ } = record;
        LinkedAuditEntryRow {
            seq: *seq,
            recorded_at: recorded_at.to_row(),
            account: account.to_row(),
            kind: kind.to_row(),
            hash: *hash,
            replay: replay.clone(),
        }
    }

    /// The entry, with `prev_hash` as its record's previous hash.
    pub(crate) fn into_entry(self, prev_hash: [u8; 32]) -> AuditEntry {
        let LinkedAuditEntryRow { seq, recorded_at, account, kind, hash, replay } = self;
        AuditEntry {
            record: AuditRecord {
                seq,
                recorded_at: Stored::from_row(recorded_at),
                account: Stored::from_row(account),
                kind: Stored::from_row(kind),
                prev_hash,
            },
            hash,
            replay,
        }
    }
}

/// The stored form of [`crate::AuditEntry`] from record version 5 (format 10): the record
/// without its previous hash and without a hash of its own. The audit chain is hashed once per
/// commit (over the format-1 bytes of each record the commit appended, in order, after the
/// previous commit's hash: [`crate::chain`]), and the hash is kept once, in the commit's last
/// entry, which the commit writes again at version 4 ([`LinkedAuditEntryRow`]) with it; every
/// entry of the commit has it as its hash, and the hash the last links to as its previous
/// hash. The store's audit reads fill both in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CommittedAuditEntryRow {
    pub seq: u64,
    pub recorded_at: Instant,
    pub account: Option<u64>,
    pub kind: AuditKindRow,
    pub replay: Option<crate::IdempotencyRecord>,
}

impl CommittedAuditEntryRow {
    /// The row of `entry`, leaving out its hashes (what the hand-written writer's tests compare
    /// with).
    #[cfg(test)]
    pub(crate) fn of(entry: &AuditEntry) -> Self {
        let AuditEntry { record, hash: _, replay } = entry;
        let AuditRecord { seq, recorded_at, account, kind, prev_hash: _ } = record;
        CommittedAuditEntryRow {
            seq: *seq,
            recorded_at: recorded_at.to_row(),
            account: account.to_row(),
            kind: kind.to_row(),
            replay: replay.clone(),
        }
    }

    /// The entry, with zeros for both hashes until the reader sets them.
    fn into_entry(self) -> AuditEntry {
        let CommittedAuditEntryRow { seq, recorded_at, account, kind, replay } = self;
        let linked = LinkedAuditEntryRow { seq, recorded_at, account, kind, hash: [0; 32], replay };
        linked.into_entry([0; 32])
    }
}

/// The record version from which an audit entry keeps no previous hash of its own
/// ([`LinkedAuditEntryRow`]).
pub(crate) const AUDIT_LINKED_VERSION: u8 = 4;

/// The record version from which an appended audit entry keeps no hash at all: both are its
/// commit's ([`CommittedAuditEntryRow`]).
pub(crate) const AUDIT_COMMITTED_VERSION: u8 = 5;

/// Where a decoded audit entry's hashes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrevHash {
    /// Its bytes hold both (record versions 1 to 3): the entry is complete.
    Stored,
    /// Its bytes hold its hash; its previous hash is the hash of the nearest entry before it
    /// that keeps one: the entry before, but for the entries of version 5 of its own commit
    /// (record version 4, [`LinkedAuditEntryRow`]). The entry's `prev_hash` is zeros until the
    /// reader sets it, which only the first entry's are.
    OfPredecessor,
    /// Both are its commit's (record version 5, [`CommittedAuditEntryRow`]): those of the
    /// commit's last entry, the next one of version 4. Zeros until the reader sets them.
    OfCommit,
}

/// Decodes an audit entry record of any version, saying where its hashes still to be filled
/// in come from ([`PrevHash`]).
pub(crate) fn decode_audit_entry(
    kind: crate::RecordKind,
    bytes: &[u8],
) -> Result<(AuditEntry, PrevHash), crate::codec::DecodeError> {
    // The version byte picks the row; `decode` checks the frame (length, checksum, version)
    // either way, so damaged or empty bytes are its error, not a wrong row's.
    let version = bytes.first().copied().unwrap_or(0);
    if version < AUDIT_LINKED_VERSION {
        let row: AuditEntryRow = crate::codec::decode(kind, bytes)?;
        return Ok((AuditEntry::from_row(row), PrevHash::Stored));
    }
    if version == AUDIT_LINKED_VERSION {
        let row: LinkedAuditEntryRow = crate::codec::decode(kind, bytes)?;
        return Ok((row.into_entry([0; 32]), PrevHash::OfPredecessor));
    }
    let row: CommittedAuditEntryRow = crate::codec::decode(kind, bytes)?;
    Ok((row.into_entry(), PrevHash::OfCommit))
}
