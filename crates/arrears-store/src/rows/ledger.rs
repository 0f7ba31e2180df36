//! Rows of events, journal entries, account snapshots and their cold parts.

use std::collections::VecDeque;

use arrears_core::ledger::ColdPart;
use arrears_core::ledger::{
    AccountState, Book, CreditNoteReason, EntryKind, Event, EventKind, EventRecord, JournalEntry,
    ObligationState, PaymentState, PlannedInstallment, Posting, Rejection, ReplayKey,
    ReversalReason,
};
use serde::{Deserialize, Serialize};

use crate::stored;

pub(crate) mod bytes;

use super::model::*;
use super::{Day, DecimalText, Instant, MapRow};

/// The stored form of `arrears_core::ledger::EventRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct EventRecordRow {
    pub event: EventRow,
    pub recorded_at: Instant,
    pub key: String,
}

/// The stored form of `arrears_core::ledger::Posting`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PostingRow {
    pub book: BookRow,
    pub obligation: Option<u64>,
    pub component: Option<ComponentRow>,
    pub source: Option<u32>,
    pub amount_minor: i64,
}

/// The stored form of `arrears_core::ledger::JournalEntry`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct JournalEntryRow {
    pub id: u64,
    pub account: u64,
    pub event: u32,
    pub kind: EntryKindRow,
    pub effective_on: Day,
    pub recorded_at: Instant,
    pub postings: Vec<PostingRow>,
}

/// The stored form of `arrears_core::ledger::AccountState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AccountStateRow {
    pub obligations: MapRow<u64, ObligationStateRow>,
    pub payments: MapRow<u32, PaymentStateRow>,
    pub unapplied: VecDeque<(u32, i64)>,
    pub charged_off_on: Option<Day>,
    pub interest_cursor: Day,
    pub balance_days: i128,
    pub interest_carry: DecimalText,
    pub book_balances_minor: MapRow<BookRow, i64>,
    pub events_replayed: u32,
    pub max_seq: u32,
    pub latest_on: Option<Day>,
    pub accrued_through: Option<Day>,
    pub last: Option<ReplayKeyRow>,
    pub cold_parts: u32,
    pub cold_through: Option<Day>,
}

/// The stored form of [`crate::SnapshotRecord`]: the state's row, then (snapshot record
/// version 3, format 6) the account's ledger head as eight little-endian bytes, so that it can
/// be read without decoding the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SnapshotRow {
    pub state: AccountStateRow,
    pub ledger_head: [u8; 8],
}

impl super::Stored<SnapshotRow> for crate::SnapshotRecord {
    fn to_row(&self) -> SnapshotRow {
        let crate::SnapshotRecord { state, ledger_head } = self;
        SnapshotRow { state: state.to_row(), ledger_head: ledger_head.to_le_bytes() }
    }

    fn from_row(row: SnapshotRow) -> Self {
        let SnapshotRow { state, ledger_head } = row;
        crate::SnapshotRecord {
            state: super::Stored::from_row(state),
            ledger_head: u64::from_le_bytes(ledger_head),
        }
    }
}

/// The stored form of `arrears_core::ledger::cold::ColdPart`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ColdPartRow {
    pub obligations: Vec<ObligationStateRow>,
    pub payments: Vec<(u32, PaymentStateRow)>,
}

/// The stored form of `arrears_core::ledger::Event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct EventRow {
    pub seq: u32,
    pub effective_on: Day,
    pub kind: EventKindRow,
}

/// The stored form of `arrears_core::ledger::Book`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum BookRow {
    Receivable,
    Cash,
    Originations,
    InterestIncome,
    FeeIncome,
    UnappliedCash,
    BadDebt,
    Recoveries,
    Waivers,
    Adjustments,
    AgencyCommission,
    AgencyPayable,
    Suspense,
}

/// The stored form of `arrears_core::ledger::EntryKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum EntryKindRow {
    Original,
    Correction,
}

/// The stored form of `arrears_core::ledger::ReversalReason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ReversalReasonRow {
    Returned,
    Chargeback,
    Error,
}

/// The stored form of `arrears_core::ledger::CreditNoteReason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CreditNoteReasonRow {
    Return,
    Allowance,
    BillingError,
}

/// The stored form of `arrears_core::ledger::ObligationState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ObligationStateRow {
    pub id: u64,
    pub issued_on: Day,
    pub due_on: Day,
    pub outstanding_minor: [i64; 3],
    pub disputed: bool,
    pub accrued: bool,
}

/// The stored form of `arrears_core::ledger::PaymentState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PaymentStateRow {
    pub paid_on: Day,
    pub amount_minor: i64,
    pub reversed: bool,
    pub reversed_on: Option<Day>,
    pub allocated: MapRow<(BookRow, u64, ComponentRow), i64>,
    pub unapplied_minor: i64,
}

/// The stored form of `arrears_core::ledger::ReplayKey`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ReplayKeyRow {
    pub effective_on: Day,
    pub accrual: bool,
    pub seq: u32,
}

/// The stored form of `arrears_core::ledger::EventKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum EventKindRow {
    Charge {
        obligation: u64,
        kind: ObligationKindRow,
        due_on: Day,
        amounts_minor: [i64; 3],
    },
    Payment {
        amount_minor: i64,
        directed_to: Option<u64>,
    },
    Reversal {
        payment: u32,
        reason: ReversalReasonRow,
    },
    Waiver {
        obligation: u64,
        component: ComponentRow,
        amount_minor: i64,
    },
    Adjustment {
        obligation: u64,
        component: ComponentRow,
        amount_minor: i64,
    },
    AccrueInterest {
        obligation: u64,
        due_on: Day,
    },
    ChargeOff,
    Dispute {
        obligation: u64,
        disputed: bool,
    },
    Reschedule {
        replaces: Vec<u64>,
        installments: Vec<PlannedInstallmentRow>,
    },
    WriteOffRemainder,
    Commission {
        payment: u32,
        rate: DecimalText,
    },
    ChargeOffReversed {
        reason: String,
    },
    CreditNote {
        obligation: Option<u64>,
        amount_minor: i64,
        reason: CreditNoteReasonRow,
    },
    WriteOffReversed {
        write_off: u32,
    },
    ChargeWithdrawn {
        obligation: u64,
    },
    ApplyUnapplied,
    CommissionReversed {
        commission: u32,
    },
    ChargeOffUndone {
        reason: String,
        charge_off: u32,
    },
    CommissionOnSettled {
        payment: u32,
        rate: DecimalText,
    },
    /// Appended in session 35 (format 12).
    Refund {
        obligation: u64,
        amount_minor: i64,
    },
}

/// The stored form of `arrears_core::ledger::Rejection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RejectionRow {
    EffectiveBeforeOpened {
        effective_on: Day,
        opened_on: Day,
    },
    AmountNotPositive {
        field: String,
        amount_minor: i64,
    },
    AmountTooLarge {
        field: String,
        amount_minor: i64,
    },
    DueBeforeIssue {
        due_on: Day,
        issued_on: Day,
    },
    UnknownObligation {
        obligation: u64,
    },
    ObligationNotYetIssued {
        obligation: u64,
        issued_on: Day,
        effective_on: Day,
    },
    UnknownPayment {
        payment: u32,
    },
    AlreadyReversed {
        payment: u32,
    },
    ReversalBeforePayment {
        payment: u32,
        paid_on: Day,
        effective_on: Day,
    },
    CreditLimitExceeded {
        limit_minor: i64,
        outstanding_minor: i64,
        requested_minor: i64,
    },
    ChargedOff {
        charged_off_on: Day,
        event: String,
    },
    ChargeOffBackdated {
        effective_on: Day,
        latest_on: Day,
    },
    ExceedsOutstanding {
        obligation: u64,
        component: ComponentRow,
        outstanding_minor: i64,
        requested_minor: i64,
    },
    DisputeUnchanged {
        obligation: u64,
        disputed: bool,
    },
    TooManyEvents,
    NoInterestTerms,
    NothingToReschedule,
    ObligationDisputed {
        obligation: u64,
    },
    PlanDoesNotMatch {
        planned_minor: i64,
        owed_minor: i64,
    },
    RateOutOfRange {
        rate: DecimalText,
    },
    AccrualNotAfterLast {
        accrued_through: Day,
    },
    NotChargedOff,
    ChargeOffReversalDate {
        effective_on: Day,
        charged_off_on: Day,
    },
    CreditNoteExceedsOwed {
        obligation: Option<u64>,
        owed_minor: i64,
        requested_minor: i64,
    },
    UnknownWriteOff {
        event: u32,
    },
    WriteOffAlreadyReversed {
        write_off: u32,
    },
    WriteOffReversalBeforeWriteOff {
        write_off: u32,
        written_off_on: Day,
        effective_on: Day,
    },
    NothingToWithdraw {
        obligation: u64,
    },
    NothingToApply {
        unapplied_minor: i64,
        owed_minor: i64,
    },
    /// Appended in session 33 (format 12), with the two below.
    UnknownCommission {
        event: u32,
    },
    CommissionAlreadyReversed {
        commission: u32,
    },
    CommissionReversalBeforeCommission {
        commission: u32,
        booked_on: Day,
        effective_on: Day,
    },
    /// Appended in session 35 (format 12), with the one below.
    RefundExceedsUnapplied {
        unapplied_minor: i64,
        requested_minor: i64,
    },
    RefundCharged,
}

/// The stored form of `arrears_core::ledger::PlannedInstallment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PlannedInstallmentRow {
    pub obligation: u64,
    pub due_on: Day,
    pub principal_minor: i64,
    pub interest_minor: i64,
}

stored!(struct EventRecord => EventRecordRow { event, recorded_at, key });
stored!(struct Posting => PostingRow { book, obligation, component, source, amount_minor });
stored!(struct JournalEntry => JournalEntryRow { id, account, event, kind, effective_on, recorded_at, postings });
stored!(struct AccountState => AccountStateRow { obligations, payments, unapplied, charged_off_on, interest_cursor, balance_days, interest_carry, book_balances_minor, events_replayed, max_seq, latest_on, accrued_through, last, cold_parts, cold_through });
stored!(struct ColdPart => ColdPartRow { obligations, payments });
stored!(struct Event => EventRow { seq, effective_on, kind });
stored!(enum Book => BookRow { Receivable, Cash, Originations, InterestIncome, FeeIncome, UnappliedCash, BadDebt, Recoveries, Waivers, Adjustments, AgencyCommission, AgencyPayable, Suspense });
stored!(enum EntryKind => EntryKindRow { Original, Correction });
stored!(enum ReversalReason => ReversalReasonRow { Returned, Chargeback, Error });
stored!(enum CreditNoteReason => CreditNoteReasonRow { Return, Allowance, BillingError });
stored!(struct ObligationState => ObligationStateRow { id, issued_on, due_on, outstanding_minor, disputed, accrued });
stored!(struct PaymentState => PaymentStateRow { paid_on, amount_minor, reversed, reversed_on, allocated, unapplied_minor });
stored!(struct ReplayKey => ReplayKeyRow { effective_on, accrual, seq });
stored!(enum EventKind => EventKindRow { Charge { obligation, kind, due_on, amounts_minor }, Payment { amount_minor, directed_to }, Reversal { payment, reason }, Waiver { obligation, component, amount_minor }, Adjustment { obligation, component, amount_minor }, AccrueInterest { obligation, due_on }, ChargeOff, Dispute { obligation, disputed }, Reschedule { replaces, installments }, WriteOffRemainder, Commission { payment, rate }, ChargeOffReversed { reason }, CreditNote { obligation, amount_minor, reason }, WriteOffReversed { write_off }, ChargeWithdrawn { obligation }, ApplyUnapplied, CommissionReversed { commission }, ChargeOffUndone { reason, charge_off }, CommissionOnSettled { payment, rate }, Refund { obligation, amount_minor } });
stored!(enum Rejection => RejectionRow { EffectiveBeforeOpened { effective_on, opened_on }, AmountNotPositive { field, amount_minor }, AmountTooLarge { field, amount_minor }, DueBeforeIssue { due_on, issued_on }, UnknownObligation { obligation }, ObligationNotYetIssued { obligation, issued_on, effective_on }, UnknownPayment { payment }, AlreadyReversed { payment }, ReversalBeforePayment { payment, paid_on, effective_on }, CreditLimitExceeded { limit_minor, outstanding_minor, requested_minor }, ChargedOff { charged_off_on, event }, ChargeOffBackdated { effective_on, latest_on }, ExceedsOutstanding { obligation, component, outstanding_minor, requested_minor }, DisputeUnchanged { obligation, disputed }, TooManyEvents, NoInterestTerms, NothingToReschedule, ObligationDisputed { obligation }, PlanDoesNotMatch { planned_minor, owed_minor }, RateOutOfRange { rate }, AccrualNotAfterLast { accrued_through }, NotChargedOff, ChargeOffReversalDate { effective_on, charged_off_on }, CreditNoteExceedsOwed { obligation, owed_minor, requested_minor }, UnknownWriteOff { event }, WriteOffAlreadyReversed { write_off }, WriteOffReversalBeforeWriteOff { write_off, written_off_on, effective_on }, NothingToWithdraw { obligation }, NothingToApply { unapplied_minor, owed_minor }, UnknownCommission { event }, CommissionAlreadyReversed { commission }, CommissionReversalBeforeCommission { commission, booked_on, effective_on }, RefundExceedsUnapplied { unapplied_minor, requested_minor }, RefundCharged });
stored!(struct PlannedInstallment => PlannedInstallmentRow { obligation, due_on, principal_minor, interest_minor });

/// The stored form of [`crate::LedgerRow`]: an event and the journal entries written with it,
/// with the log sequence of the account's previous row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct LedgerLogRow {
    pub account: u64,
    pub prev: u64,
    pub event: EventRecordRow,
    pub entries: Vec<JournalEntryRow>,
}

use crate::LedgerRow;
stored!(struct LedgerRow => LedgerLogRow { account, prev, event, entries });
