//! The ledger rules: events, postings, allocation, interest, charge-off, and the replay that
//! derives every posting from the events.
//!
//! An account's history is a log of immutable [`Event`]s (facts: a charge, a payment, a
//! reversal...), each with an effective (value) date. [`replay`] applies the events in
//! effective order (effective date, then accruals last within a day, then recording order)
//! and derives, for each event, the balanced [`Posting`]s it causes: which obligation
//! components a payment settled, how much interest accrued, what a charge-off wrote off.
//!
//! The journal stored beside the events is append-only. When a back-dated event changes what
//! earlier-recorded events derive (a back-dated payment settles the obligation a later payment
//! had settled, so that later payment now settles the next one, and less interest accrues),
//! the store appends *correction* entries with the difference, each effective on the date of
//! the event it corrects. So, for every event, the sum of its journal entries equals what the
//! replay derives for it, and the books as of any date are the replay up to that date.
//!
//! Architecture invariant: this module is pure. It never reads the clock or any I/O; the same
//! events always derive the same postings.

use std::collections::{BTreeMap, VecDeque};

use crate::vec_map::VecMap;
use smallvec::SmallVec;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, EntryId, EventSeq, ObligationId};
use crate::model::{Account, Component, DayCount, InterestBase, ObligationKind, Waterfall};
use crate::money::AMOUNT_MINOR_MAX;

/// Most events one account may hold. Bounds replay cost and keeps sums inside `i64`.
pub const EVENTS_PER_ACCOUNT_MAX: usize = 100_000;

const _: () = assert!(AMOUNT_MINOR_MAX < i64::MAX / EVENTS_PER_ACCOUNT_MAX as i64);

/// A book of the ledger. Every posting belongs to one account's entry, so each book exists
/// per account, and portfolio totals are sums over accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Book {
    /// What the debtor owes, by obligation and component (an asset; debit balance).
    Receivable,
    /// Money received (an asset; debit balance).
    Cash,
    /// The counterpart of principal charges: sales or disbursements.
    Originations,
    /// Interest earned.
    InterestIncome,
    /// Fees earned.
    FeeIncome,
    /// Money received that settles nothing yet (a liability to the debtor; credit balance).
    UnappliedCash,
    /// Receivables written off at charge-off (an expense).
    BadDebt,
    /// Money received on a charged-off account (income).
    Recoveries,
    /// Amounts forgiven by waiver (an expense).
    Waivers,
    /// Manual corrections of what is owed.
    Adjustments,
    /// Commission owed to collection agencies on what they recovered (an expense).
    AgencyCommission,
    /// Commission not yet paid to agencies (a liability).
    AgencyPayable,
    /// Cash received that no account is known for yet, per currency at portfolio level (a
    /// liability until applied; see [`crate::cash`]). Never on an account's journal.
    Suspense,
}

impl Book {
    /// Every book, in a fixed order.
    pub const ALL: [Book; 13] = [
        Book::Receivable,
        Book::Cash,
        Book::Originations,
        Book::InterestIncome,
        Book::FeeIncome,
        Book::UnappliedCash,
        Book::BadDebt,
        Book::Recoveries,
        Book::Waivers,
        Book::Adjustments,
        Book::AgencyCommission,
        Book::AgencyPayable,
        Book::Suspense,
    ];

    /// The name as written in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Book::Receivable => "receivable",
            Book::Cash => "cash",
            Book::Originations => "originations",
            Book::InterestIncome => "interest_income",
            Book::FeeIncome => "fee_income",
            Book::UnappliedCash => "unapplied_cash",
            Book::BadDebt => "bad_debt",
            Book::Recoveries => "recoveries",
            Book::Waivers => "waivers",
            Book::Adjustments => "adjustments",
            Book::AgencyCommission => "agency_commission",
            Book::AgencyPayable => "agency_payable",
            Book::Suspense => "suspense",
        }
    }
}

/// One leg of a journal entry: an amount on a book, debit positive and credit negative.
///
/// `obligation` and `component` say which part of a receivable the leg touches (always set on
/// [`Book::Receivable`]; set on other books when the leg traces an allocation). `source` names
/// the payment whose money the leg moves, which is how every cent of a payment is traced, even
/// when it was held as unapplied cash and applied later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Posting {
    /// The book.
    pub book: Book,
    /// The obligation concerned, if any.
    pub obligation: Option<ObligationId>,
    /// The component concerned, if any.
    pub component: Option<Component>,
    /// The payment whose money this leg moves, if any.
    pub source: Option<EventSeq>,
    /// Debit positive, credit negative, in minor units of the account's currency.
    pub amount_minor: i64,
}

impl Posting {
    fn key(&self) -> (Book, Option<ObligationId>, Option<Component>, Option<EventSeq>) {
        (self.book, self.obligation, self.component, self.source)
    }
}

/// Returns true if and only if the postings sum to zero (debits equal credits).
pub fn is_balanced(postings: &[Posting]) -> bool {
    postings.iter().map(|posting| i128::from(posting.amount_minor)).sum::<i128>() == 0
}

/// Merges postings with the same book, obligation, component and source, drops zero legs and
/// sorts them: the canonical form in which derived postings are stored and compared.
pub fn normalize(postings: impl IntoIterator<Item = Posting>) -> Vec<Posting> {
    // Sorted by key, then each run of one key summed into its first posting: what a map from
    // key to sum gives, in one vector (a `Vec` given in is reused, not copied).
    let mut postings: Vec<Posting> = postings.into_iter().collect();
    postings.sort_by_key(Posting::key);
    postings.dedup_by(|later, kept| {
        let same = later.key() == kept.key();
        if same {
            kept.amount_minor += later.amount_minor;
        }
        same
    });
    postings.retain(|posting| posting.amount_minor != 0);
    postings
}

/// `after - before`, normalized: the correction that turns `before` into `after`.
pub fn difference(before: &[Posting], after: &[Posting]) -> Vec<Posting> {
    let negated =
        before.iter().map(|posting| Posting { amount_minor: -posting.amount_minor, ..*posting });
    normalize(after.iter().copied().chain(negated))
}

/// An immutable fact in an account's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the account's log (recording order).
    pub seq: EventSeq,
    /// The value date: the day from which the event counts.
    pub effective_on: NaiveDate,
    /// What happened.
    pub kind: EventKind,
}

/// An event as recorded: the fact, when it was recorded and under which idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The fact.
    pub event: Event,
    /// When it was recorded (the engine's clock, never the core's).
    pub recorded_at: DateTime<Utc>,
    /// The caller's idempotency key of the command that recorded it.
    pub key: String,
}

/// A journal entry: balanced postings for one event, immutable once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Store-assigned id, increasing in recording order.
    pub id: EntryId,
    /// The account.
    pub account: AccountId,
    /// The event the entry books.
    pub event: EventSeq,
    /// The first entry of an event, or a correction appended after a back-dated event.
    pub kind: EntryKind,
    /// The event's effective date (corrections too: they restate the event as of its date).
    pub effective_on: NaiveDate,
    /// When the entry was written.
    pub recorded_at: DateTime<Utc>,
    /// The legs, summing to zero.
    pub postings: Vec<Posting>,
}

/// Why a journal entry was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The event's own entry, written when the event was recorded.
    Original,
    /// A restatement of an earlier event after a back-dated event changed what it derives.
    Correction,
}

/// What an event records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A new obligation: amounts charged to the debtor, due on a date.
    Charge {
        /// The obligation created.
        obligation: ObligationId,
        /// Its kind.
        kind: ObligationKind,
        /// Its due date.
        due_on: NaiveDate,
        /// Amounts by component `[principal, interest, fee]`, each at least zero.
        amounts_minor: [i64; 3],
    },
    /// Money received from the debtor.
    Payment {
        /// The amount, positive.
        amount_minor: i64,
        /// The obligation the debtor asked to settle first, if any.
        directed_to: Option<ObligationId>,
    },
    /// A payment returned or charged back: everything it settled is owed again.
    Reversal {
        /// The payment reversed.
        payment: EventSeq,
        /// Why.
        reason: ReversalReason,
    },
    /// Part of an obligation forgiven.
    Waiver {
        /// The obligation.
        obligation: ObligationId,
        /// The component.
        component: Component,
        /// The amount, positive; capped at what is outstanding when replayed.
        amount_minor: i64,
    },
    /// A manual correction of what an obligation's component owes (positive raises it).
    Adjustment {
        /// The obligation.
        obligation: ObligationId,
        /// The component.
        component: Component,
        /// The signed amount; a reduction is capped at what is outstanding when replayed.
        amount_minor: i64,
    },
    /// Interest accrued through the effective date (inclusive) is posted as a new obligation.
    AccrueInterest {
        /// The interest obligation created (possibly for zero).
        obligation: ObligationId,
        /// When the posted interest falls due.
        due_on: NaiveDate,
    },
    /// Everything outstanding is written off; later payments are recoveries.
    ChargeOff,
    /// An obligation becomes disputed (payments skip it) or the dispute ends.
    Dispute {
        /// The obligation.
        obligation: ObligationId,
        /// True to open a dispute, false to resolve it.
        disputed: bool,
    },
    /// A payment plan: what the replaced obligations owe moves into new installment
    /// obligations, and the plan's interest is charged on them.
    Reschedule {
        /// The obligations the plan replaces (their outstanding becomes zero).
        replaces: Vec<ObligationId>,
        /// The installments, in due order.
        installments: Vec<PlannedInstallment>,
    },
    /// Everything still outstanding is forgiven (a completed settlement).
    WriteOffRemainder,
    /// An agency's commission on a payment it recovered.
    Commission {
        /// The payment.
        payment: EventSeq,
        /// The commission rate (`0.25` for 25%), rounded half up to the minor unit.
        rate: Decimal,
    },
    /// The charge-off is reversed (it was a mistake): what is outstanding is a receivable
    /// again, out of bad debt, and what was recovered since the charge-off counts as settled
    /// on the receivable, as it would have without the charge-off. Appended last, so that the
    /// stored encodings of the other kinds do not change.
    ChargeOffReversed {
        /// Why the charge-off is reversed.
        reason: String,
    },
    /// A credit note: goods returned or a price allowed, which lowers what is owed for the
    /// sale (Dr originations, Cr receivable principal). It is not cash. Appended last, so
    /// that the stored encodings of the other kinds do not change.
    CreditNote {
        /// The obligation credited; `None`: the open obligations' principal, oldest due first.
        obligation: Option<ObligationId>,
        /// The amount credited, positive, at most the principal owed.
        amount_minor: i64,
        /// Why.
        reason: CreditNoteReason,
    },
    /// A settlement's write-off is undone (the settlement was voided: its payment came back):
    /// what the [`EventKind::WriteOffRemainder`] forgave is owed again, out of waivers. Its
    /// replay reads what the write-off forgave, which only a replay of the history knows
    /// ([`EventKind::reads_history`]). Appended last, so that the stored encodings of the
    /// other kinds do not change.
    WriteOffReversed {
        /// The write-off undone.
        write_off: EventSeq,
    },
    /// A charge the creditor should not have made is taken back whole (a late fee a payment
    /// dated in time shows unearned): the money that paid it goes back to the payments it
    /// came from, as unapplied cash that then pays what else is owed, oldest due first; what
    /// it still owed is forgiven (waivers). Appended last, so that the stored encodings of the
    /// other kinds do not change.
    ChargeWithdrawn {
        /// The obligation taken back.
        obligation: ObligationId,
    },
    /// The debtor's unapplied cash pays what is owed, oldest payment first, as a payment would
    /// (after a reversal re-opened what a returned payment had settled while the debtor held
    /// a credit). Appended last, so that the stored encodings of the other kinds do not change.
    ApplyUnapplied,
    /// An agency's commission is taken back (the payment it was earned on was reversed: the
    /// agency recovered nothing): what the [`EventKind::Commission`] booked leaves the expense
    /// and the payable (Dr agency_payable, Cr agency_commission). Its replay reads what the
    /// commission booked, which only a replay of the history knows
    /// ([`EventKind::reads_history`]). Appended last, so that the stored encodings of the
    /// other kinds do not change.
    CommissionReversed {
        /// The commission taken back.
        commission: EventSeq,
    },
    /// The charge-off is reversed as [`EventKind::ChargeOffReversed`] reverses it, and replayed
    /// right after the charge-off it undoes (on the charge-off's date, before every event
    /// recorded since and dated on that day): what was recorded since replays as if the account
    /// had never been charged off. A waiver or a settlement's write-off dated on the
    /// charge-off's day and recorded before the reversal forgives into `waivers`, not
    /// `bad_debt`. `ReverseChargeOff` records this kind; a `ChargeOffReversed` recorded before
    /// it keeps its place in recording order, so stores written before replay as they did.
    /// Appended last, so that the stored encodings of the other kinds do not change.
    ChargeOffUndone {
        /// Why the charge-off is reversed.
        reason: String,
        /// The charge-off undone.
        charge_off: EventSeq,
    },
    /// An agency's commission on what a payment it recovered settled: as
    /// [`EventKind::Commission`], on the payment's amount less what it left as unapplied cash
    /// when it was replayed (an overpayment is the debtor's credit, not a recovery). The engine
    /// records this kind; a `Commission` recorded before it keeps its rule (the whole
    /// payment), so stores written before replay as they did. Named `commission` in outputs.
    /// Appended last, so that the stored encodings of the other kinds do not change.
    CommissionOnSettled {
        /// The payment.
        payment: EventSeq,
        /// The commission rate (`0.25` for 25%), rounded half up to the minor unit.
        rate: Decimal,
    },
    /// Money paid back to the debtor out of its unapplied cash (an overpayment refunded, or a
    /// credit balance refunded on request, 12 CFR 1026.11). The refund is its own obligation
    /// of kind [`crate::model::ObligationKind::Refund`] (Dr receivable, Cr cash), which the
    /// unapplied cash settles at once, oldest payment first (Dr unapplied cash, Cr receivable):
    /// net, Dr unapplied cash, Cr cash. So the part a payment gave to the refund is one of its
    /// allocations, and a later reversal of that payment re-opens it: the debtor owes back
    /// money refunded out of a payment that was never good. Where the replay finds less
    /// unapplied cash than the refund (a payment reversed by a back-dated event), the rest
    /// stays owed on the refund's obligation: the cash left all the same. Appended last, so
    /// that the stored encodings of the other kinds do not change.
    Refund {
        /// The obligation the refund is (created with it).
        obligation: ObligationId,
        /// The amount paid back, positive.
        amount_minor: i64,
    },
}

/// Why a credit note was issued ([`EventKind::CreditNote`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditNoteReason {
    /// Goods came back.
    Return,
    /// A price allowance (damaged or late goods kept by the customer).
    Allowance,
    /// The invoice was wrong.
    BillingError,
}

impl CreditNoteReason {
    /// Every reason, in a fixed order.
    pub const ALL: [CreditNoteReason; 3] =
        [CreditNoteReason::Return, CreditNoteReason::Allowance, CreditNoteReason::BillingError];

    /// The name as written in files and reports (`return`, `allowance`, `billing_error`).
    pub fn name(self) -> &'static str {
        match self {
            CreditNoteReason::Return => "return",
            CreditNoteReason::Allowance => "allowance",
            CreditNoteReason::BillingError => "billing_error",
        }
    }
}

/// One installment of a [`EventKind::Reschedule`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedInstallment {
    /// The obligation it becomes.
    pub obligation: ObligationId,
    /// Its due date.
    pub due_on: NaiveDate,
    /// Principal as planned. When replay finds less outstanding on the replaced obligations
    /// (a back-dated payment), earlier installments keep their principal and the last takes
    /// what remains; when it finds more, the last takes the excess.
    pub principal_minor: i64,
    /// The plan's interest in this installment.
    pub interest_minor: i64,
}

impl EntryKind {
    /// The name as written in reports (`original`, `correction`).
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Original => "original",
            EntryKind::Correction => "correction",
        }
    }
}

impl EventKind {
    /// A short name (`charge`, `payment`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Charge { .. } => "charge",
            EventKind::Payment { .. } => "payment",
            EventKind::Reversal { .. } => "reversal",
            EventKind::Waiver { .. } => "waiver",
            EventKind::Adjustment { .. } => "adjustment",
            EventKind::AccrueInterest { .. } => "accrue_interest",
            EventKind::ChargeOff => "charge_off",
            EventKind::Dispute { .. } => "dispute",
            EventKind::Reschedule { .. } => "reschedule",
            EventKind::WriteOffRemainder => "write_off_remainder",
            EventKind::Commission { .. } => "commission",
            EventKind::ChargeOffReversed { .. } => "charge_off_reversed",
            EventKind::CreditNote { .. } => "credit_note",
            EventKind::WriteOffReversed { .. } => "write_off_reversed",
            EventKind::ChargeWithdrawn { .. } => "charge_withdrawn",
            EventKind::ApplyUnapplied => "apply_unapplied",
            EventKind::CommissionReversed { .. } => "commission_reversed",
            EventKind::ChargeOffUndone { .. } => "charge_off_reversed",
            EventKind::CommissionOnSettled { .. } => "commission",
            EventKind::Refund { .. } => "refund",
        }
    }

    /// True if and only if replaying an event of this kind reads what an earlier event
    /// derived that the state does not keep (a write-off's amounts): it is checked against the
    /// history ([`check_history`]) and replayed with it ([`replay`]), never by [`replay_next`].
    pub fn reads_history(&self) -> bool {
        matches!(self, EventKind::WriteOffReversed { .. } | EventKind::CommissionReversed { .. })
    }
}

/// Why a payment was reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReversalReason {
    /// Returned by the bank (insufficient funds, closed account).
    Returned,
    /// Charged back by the card network.
    Chargeback,
    /// Posted in error.
    Error,
}

/// What one obligation owes at a point of the replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationState {
    /// The obligation.
    pub id: ObligationId,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The day it falls due.
    pub due_on: NaiveDate,
    /// Outstanding by component `[principal, interest, fee]`. After charge-off this is what the
    /// debtor still owes, although the receivable books are zero.
    pub outstanding_minor: [i64; 3],
    /// True if and only if the obligation is disputed.
    pub disputed: bool,
    /// True if and only if an interest accrual created it (it exists for events of the days
    /// after its issue only: accruals are replayed last within their day).
    pub accrued: bool,
}

impl ObligationState {
    /// Total outstanding over all components.
    pub fn total_minor(&self) -> i64 {
        self.outstanding_minor.iter().sum()
    }
}

/// A payment's allocations: `(book, obligation, component) -> amount`. Most payments settle
/// one to three components (an instalment's principal, interest and fee), which the map holds
/// without an allocation of its own: every payment decodes its account's recent payments.
pub type Allocations = VecMap<(Book, ObligationId, Component), i64, 3>;

/// Where a payment's money went, by book, obligation and component.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentState {
    /// The payment's effective date.
    pub paid_on: NaiveDate,
    /// The amount received.
    pub amount_minor: i64,
    /// True if and only if the payment was reversed.
    pub reversed: bool,
    /// The reversal's effective date, if reversed.
    pub reversed_on: Option<NaiveDate>,
    /// Allocations: `(book, obligation, component) -> amount`, book being
    /// [`Book::Receivable`] before charge-off and [`Book::Recoveries`] after.
    pub allocated: Allocations,
    /// The part still held as unapplied cash.
    pub unapplied_minor: i64,
}

/// Where an event falls in replay order (see [`replay_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplayKey {
    /// The effective date.
    pub effective_on: NaiveDate,
    /// True for interest accruals, which close their day.
    pub accrual: bool,
    /// The recording order.
    pub seq: EventSeq,
}

impl ReplayKey {
    /// The key of `event`.
    pub fn of(event: &Event) -> ReplayKey {
        ReplayKey::of_kind(event.effective_on, &event.kind, event.seq)
    }

    /// The key of an event of `kind` dated `effective_on`, recorded as `seq`. A
    /// [`EventKind::ChargeOffUndone`] takes its charge-off's key: it is replayed right after it
    /// (ties are broken by recording order, see [`replay_order`]).
    pub fn of_kind(effective_on: NaiveDate, kind: &EventKind, seq: EventSeq) -> ReplayKey {
        let seq = match kind {
            EventKind::ChargeOffUndone { charge_off, .. } => *charge_off,
            _ => seq,
        };
        ReplayKey { effective_on, accrual: matches!(kind, EventKind::AccrueInterest { .. }), seq }
    }
}

/// The state of an account at a point of the replay: what it owes, what it paid, its books,
/// and a summary of the events replayed so far (enough for [`check`] and for continuing the
/// replay with a later event, see [`replay_next`]). The store keeps the state after every
/// event as the account's snapshot.
///
/// Every field is public so that the store can keep the state as its own row; the unapplied
/// cash and the interest fields are the replay's bookkeeping, which only the replay sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// Obligations by id.
    pub obligations: VecMap<ObligationId, ObligationState>,
    /// Payments by event.
    pub payments: VecMap<EventSeq, PaymentState>,
    /// Unapplied cash by the payment it came from, oldest first.
    pub unapplied: VecDeque<(EventSeq, i64)>,
    /// The charge-off date, if charged off.
    pub charged_off_on: Option<NaiveDate>,
    /// Days before this date have been accumulated for interest.
    pub interest_cursor: NaiveDate,
    /// Interest-bearing balance times days (minor-unit days) since the last posting.
    pub balance_days: i128,
    /// Exact interest not yet posted, as a numerator over the year's days, in minor units.
    pub interest_carry: Decimal,
    /// Book balances (debit positive) by book.
    pub book_balances_minor: VecMap<Book, i64>,
    /// How many events were replayed.
    pub events_replayed: u32,
    /// The highest event sequence replayed (zero if none).
    pub max_seq: EventSeq,
    /// The latest effective date replayed.
    pub latest_on: Option<NaiveDate>,
    /// The date of the latest interest accrual replayed.
    pub accrued_through: Option<NaiveDate>,
    /// The replay key of the last event replayed.
    pub last: Option<ReplayKey>,
    /// How many cold parts hold items moved out of this state (see [`ColdPart`]); zero for a
    /// whole state, which the replay always derives.
    pub cold_parts: u32,
    /// The latest day a payment in a cold part was received or reversed on, if any: the state
    /// holds every payment received or reversed after it ([`AccountState::has_payments_from`]).
    pub cold_through: Option<NaiveDate>,
}

impl AccountState {
    /// The state of `account` before any event.
    pub fn opening(account: &Account) -> AccountState {
        AccountState::new(account.opened_on)
    }

    fn new(opened_on: NaiveDate) -> AccountState {
        AccountState {
            obligations: VecMap::new(),
            payments: VecMap::new(),
            unapplied: VecDeque::new(),
            charged_off_on: None,
            interest_cursor: opened_on,
            balance_days: 0,
            interest_carry: Decimal::ZERO,
            book_balances_minor: VecMap::new(),
            events_replayed: 0,
            max_seq: EventSeq(0),
            latest_on: None,
            accrued_through: None,
            last: None,
            cold_parts: 0,
            cold_through: None,
        }
    }

    /// True if and only if `event` is replayed after every event this state has seen, so
    /// that [`replay_next`] may apply it without replaying the history: nothing an earlier
    /// event derived can change.
    pub fn precedes(&self, event: &Event) -> bool {
        self.last.is_none_or(|last| last < ReplayKey::of(event))
    }

    /// The sequence the next recorded event takes.
    pub fn next_seq(&self) -> EventSeq {
        EventSeq(self.max_seq.0 + 1)
    }

    /// Outstanding by component over all obligations `[principal, interest, fee]`.
    pub fn outstanding_minor(&self) -> [i64; 3] {
        let mut total = [0_i64; 3];
        for obligation in self.obligations.values() {
            for component in Component::ALL {
                total[component.index()] += obligation.outstanding_minor[component.index()];
            }
        }
        total
    }

    /// Total owed over all obligations and components.
    pub fn total_outstanding_minor(&self) -> i64 {
        self.outstanding_minor().iter().sum()
    }

    /// Unapplied cash held for the debtor.
    pub fn unapplied_minor(&self) -> i64 {
        self.unapplied.iter().map(|(_, amount)| amount).sum()
    }

    /// What the undisputed obligations owe: what unapplied cash may pay
    /// ([`EventKind::ApplyUnapplied`]).
    pub fn undisputed_owed_minor(&self) -> i64 {
        (self.obligations.values())
            .filter(|obligation| !obligation.disputed)
            .map(ObligationState::total_minor)
            .sum()
    }

    /// The balance of one book (debit positive).
    pub fn book_balance_minor(&self, book: Book) -> i64 {
        self.book_balances_minor.get(&book).copied().unwrap_or(0)
    }

    /// Exact interest accrued but not yet posted, in minor units (may have decimals).
    pub fn interest_carry_minor(&self, year_days: i64) -> Decimal {
        self.interest_carry / Decimal::from(year_days)
    }

    /// Days past due on `as_of`: days since the due date of the oldest obligation that is
    /// due before `as_of`, not disputed, and not fully paid. Zero when nothing is past due.
    pub fn days_past_due(&self, as_of: NaiveDate) -> i64 {
        self.obligations
            .values()
            .filter(|obligation| {
                !obligation.disputed && obligation.due_on < as_of && obligation.total_minor() > 0
            })
            .map(|obligation| (as_of - obligation.due_on).num_days())
            .max()
            .unwrap_or(0)
    }

    /// Amount past due on `as_of` (obligations due before it, not disputed).
    pub fn past_due_minor(&self, as_of: NaiveDate) -> i64 {
        self.obligations
            .values()
            .filter(|obligation| !obligation.disputed && obligation.due_on < as_of)
            .map(ObligationState::total_minor)
            .sum()
    }

    /// Obligations in allocation order: oldest due first, then lowest id.
    /// The obligations a payment can settle (not disputed, some component owed), in the
    /// order it settles them: due date, then id. Settled obligations are left out: a payment
    /// takes nothing from them, and an old account has many.
    fn allocation_order(&self) -> SmallVec<[(NaiveDate, ObligationId); 8]> {
        let mut order: SmallVec<[(NaiveDate, ObligationId); 8]> = self
            .obligations
            .values()
            .filter(|obligation| {
                !obligation.disputed && obligation.outstanding_minor.iter().any(|&owed| owed > 0)
            })
            .map(|obligation| (obligation.due_on, obligation.id))
            .collect();
        order.sort_unstable();
        order
    }
}

/// The result of replaying an account's events.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The state after the last event replayed.
    pub state: AccountState,
    /// For each event replayed, its derived postings in canonical form (see [`normalize`]).
    pub derived: BTreeMap<EventSeq, Vec<Posting>>,
}

/// The order in which events are replayed: effective date, accruals after every other event
/// of their day (interest for a day is on that day's closing balance), then recording order,
/// except that a [`EventKind::ChargeOffUndone`] comes right after the charge-off it undoes
/// ([`ReplayKey::of`]).
pub fn replay_order(events: &[Event]) -> Vec<&Event> {
    let mut ordered: Vec<&Event> = events.iter().collect();
    ordered.sort_by_key(|event| (ReplayKey::of(event), event.seq));
    ordered
}

/// Replays `events` of `account` in effective order, up to and including `until` if given.
///
/// Events must have passed [`check`] when recorded; replay never fails. Where a back-dated
/// event makes a recorded one impossible to apply in full (a waiver larger than what is now
/// outstanding), the replay applies what it can and the difference shows in the derived
/// postings.
pub fn replay(account: &Account, events: &[Event], until: Option<NaiveDate>) -> Replay {
    let mut replayer = Replayer {
        account,
        state: AccountState::new(account.opened_on),
        write_offs: VecMap::new(),
        commissions: VecMap::new(),
    };
    let mut derived = BTreeMap::new();
    for event in replay_order(events) {
        if until.is_some_and(|until| event.effective_on > until) {
            break;
        }
        derived.insert(event.seq, replayer.step(event));
    }
    Replay { state: replayer.state, derived }
}

/// Continues a replay: applies `event` to `state`, the state after every earlier event, and
/// returns the postings it derives in canonical form. The result is what [`replay`] of all
/// the events would give, at a cost independent of the history's length.
///
/// # Panics
///
/// If `event` does not follow every event already replayed (see [`AccountState::precedes`]):
/// a back-dated event needs the whole replay.
pub fn replay_next(
    account: &Account,
    state: AccountState,
    event: &Event,
) -> (AccountState, Vec<Posting>) {
    assert!(state.precedes(event), "event {} is back-dated: replay the history", event.seq);
    assert!(!event.kind.reads_history(), "event {} reads the history: replay it", event.seq);
    let mut replayer =
        Replayer { account, state, write_offs: VecMap::new(), commissions: VecMap::new() };
    let postings = replayer.step(event);
    (replayer.state, postings)
}

struct Replayer<'a> {
    account: &'a Account,
    state: AccountState,
    /// What each write-off replayed so far forgave and has not been reversed: the amounts by
    /// obligation and component, and whether it posted them (it does not on a charged-off
    /// account). Known to a replay of the history only; the state does not keep it.
    write_offs: VecMap<EventSeq, WrittenOff>,
    /// What each commission replayed so far booked (its payment, and the amount in minor
    /// units, possibly 0) and has not been taken back. Known to a replay of the history only,
    /// as `write_offs`.
    commissions: VecMap<EventSeq, (EventSeq, i64)>,
}

/// What one [`EventKind::WriteOffRemainder`] forgave, as its replay found it.
struct WrittenOff {
    amounts: Vec<(ObligationId, Component, i64)>,
    posted: bool,
}

impl Replayer<'_> {
    /// Applies one event, in replay order, and books its postings.
    fn step(&mut self, event: &Event) -> Vec<Posting> {
        let postings = self.apply(event);
        assert!(is_balanced(&postings), "event {} derived unbalanced postings", event.seq);
        let state = &mut self.state;
        for posting in &postings {
            *state.book_balances_minor.entry(posting.book).or_insert(0) += posting.amount_minor;
        }
        state.events_replayed += 1;
        state.max_seq = state.max_seq.max(event.seq);
        state.latest_on = state.latest_on.max(Some(event.effective_on));
        if matches!(event.kind, EventKind::AccrueInterest { .. }) {
            state.accrued_through = state.accrued_through.max(Some(event.effective_on));
        }
        state.last = Some(ReplayKey::of(event));
        normalize(postings)
    }

    fn apply(&mut self, event: &Event) -> Vec<Posting> {
        self.accumulate_interest(event.effective_on);
        // A payment's legs: its cash, one or two for each component it settles, its unapplied
        // rest; room for them at once rather than growing four times.
        let mut postings = Vec::with_capacity(8);
        match &event.kind {
            EventKind::Charge { obligation, due_on, amounts_minor, .. } => {
                self.charge(event, *obligation, *due_on, *amounts_minor, &mut postings);
            }
            EventKind::Payment { amount_minor, directed_to } => {
                self.payment(event, *amount_minor, *directed_to, &mut postings);
            }
            EventKind::Reversal { payment, .. } => {
                self.reversal(*payment, event.effective_on, &mut postings);
            }
            EventKind::Waiver { obligation, component, amount_minor } => {
                self.reduce(*obligation, *component, *amount_minor, Book::Waivers, &mut postings);
            }
            EventKind::Adjustment { obligation, component, amount_minor } => {
                if *amount_minor >= 0 {
                    self.raise(*obligation, *component, *amount_minor, &mut postings);
                } else {
                    let reduction = -*amount_minor;
                    self.reduce(
                        *obligation,
                        *component,
                        reduction,
                        Book::Adjustments,
                        &mut postings,
                    );
                }
            }
            EventKind::AccrueInterest { obligation, due_on } => {
                self.accrue(event, *obligation, *due_on, &mut postings);
            }
            EventKind::ChargeOff => self.charge_off(event.effective_on, &mut postings),
            EventKind::Dispute { obligation, disputed } => {
                if let Some(state) = self.state.obligations.get_mut(obligation) {
                    state.disputed = *disputed;
                    if !*disputed {
                        self.apply_unapplied(*obligation, &mut postings);
                    }
                }
            }
            EventKind::Reschedule { replaces, installments } => {
                self.reschedule(event.effective_on, replaces, installments, &mut postings);
            }
            EventKind::WriteOffRemainder => {
                let written_off = self.write_off_remainder(&mut postings);
                self.write_offs.insert(event.seq, written_off);
            }
            EventKind::WriteOffReversed { write_off } => {
                self.reverse_write_off(*write_off, &mut postings);
            }
            EventKind::ChargeWithdrawn { obligation } => self.withdraw(*obligation, &mut postings),
            EventKind::ApplyUnapplied => self.apply_credit(&mut postings),
            EventKind::Commission { payment, rate } => {
                let booked = self.commission(*payment, *rate, false, &mut postings);
                self.commissions.insert(event.seq, (*payment, booked));
            }
            EventKind::CommissionOnSettled { payment, rate } => {
                let booked = self.commission(*payment, *rate, true, &mut postings);
                self.commissions.insert(event.seq, (*payment, booked));
            }
            EventKind::CommissionReversed { commission } => {
                if let Some((payment, booked)) = self.commissions.remove(commission) {
                    if booked > 0 {
                        postings.push(leg(Book::AgencyPayable, None, None, Some(payment), booked));
                        let expense =
                            leg(Book::AgencyCommission, None, None, Some(payment), -booked);
                        postings.push(expense);
                    }
                }
            }
            EventKind::ChargeOffReversed { .. } | EventKind::ChargeOffUndone { .. } => {
                self.reverse_charge_off(&mut postings);
            }
            EventKind::CreditNote { obligation, amount_minor, .. } => {
                self.credit_note(*obligation, *amount_minor, &mut postings);
            }
            EventKind::Refund { obligation, amount_minor } => {
                self.refund(event.effective_on, *obligation, *amount_minor, &mut postings);
            }
        }
        postings
    }

    /// Pays `amount_minor` back to the debtor: the refund's obligation is owed (Dr receivable,
    /// Cr cash) and the unapplied cash settles it, oldest payment first, each payment's part
    /// an allocation of it. `check` refuses a refund on a charged-off account, and a
    /// charge-off back-dated before one, so the replay never meets a refund after a charge-off;
    /// should it, the cash left the books all the same and nothing is owed on them.
    fn refund(
        &mut self,
        on: NaiveDate,
        obligation: ObligationId,
        amount_minor: i64,
        postings: &mut Vec<Posting>,
    ) {
        let charged_off = self.state.charged_off_on.is_some();
        let outstanding = if charged_off { 0 } else { amount_minor };
        self.state.obligations.insert(
            obligation,
            ObligationState {
                id: obligation,
                issued_on: on,
                due_on: on,
                outstanding_minor: [outstanding, 0, 0],
                disputed: false,
                accrued: false,
            },
        );
        if charged_off {
            postings.push(leg(Book::BadDebt, Some(obligation), None, None, amount_minor));
            postings.push(leg(Book::Cash, Some(obligation), None, None, -amount_minor));
            return;
        }
        postings.push(receivable(obligation, Component::Principal, None, amount_minor));
        postings.push(leg(Book::Cash, Some(obligation), None, None, -amount_minor));
        self.apply_unapplied(obligation, postings);
    }

    /// Lowers the principal of the obligation credited, or of the open obligations oldest
    /// due first, against originations: the sale is reversed, no cash moves. Replay applies
    /// what is still owed when a back-dated payment settled part of it meanwhile.
    fn credit_note(
        &mut self,
        obligation: Option<ObligationId>,
        amount_minor: i64,
        postings: &mut Vec<Posting>,
    ) {
        let targets = match obligation {
            Some(id) => vec![id],
            None => credit_note_order(&self.state),
        };
        let mut left = amount_minor;
        for id in targets {
            let owed = self
                .state
                .obligations
                .get(&id)
                .map_or(0, |state| state.outstanding_minor[Component::Principal.index()]);
            let amount = left.min(owed);
            if amount > 0 {
                self.reduce(id, Component::Principal, amount, Book::Originations, postings);
                left -= amount;
            }
        }
    }

    fn reschedule(
        &mut self,
        on: NaiveDate,
        replaces: &[ObligationId],
        installments: &[PlannedInstallment],
        postings: &mut Vec<Posting>,
    ) {
        let charged_off = self.state.charged_off_on.is_some();
        let mut moved = 0;
        for id in replaces {
            let Some(obligation) = self.state.obligations.get_mut(id) else { continue };
            for component in Component::ALL {
                let amount = std::mem::take(&mut obligation.outstanding_minor[component.index()]);
                moved += amount;
                if amount != 0 && !charged_off {
                    postings.push(receivable(*id, component, None, -amount));
                }
            }
        }
        let mut remaining = moved;
        for (index, installment) in installments.iter().enumerate() {
            let last = index + 1 == installments.len();
            let principal =
                if last { remaining } else { installment.principal_minor.min(remaining).max(0) };
            remaining -= principal;
            let interest = installment.interest_minor;
            self.state.obligations.insert(
                installment.obligation,
                ObligationState {
                    id: installment.obligation,
                    issued_on: on,
                    due_on: installment.due_on,
                    outstanding_minor: [principal, interest, 0],
                    disputed: false,
                    accrued: false,
                },
            );
            if !charged_off {
                if principal != 0 {
                    postings.push(receivable(
                        installment.obligation,
                        Component::Principal,
                        None,
                        principal,
                    ));
                }
                if interest != 0 {
                    postings.push(receivable(
                        installment.obligation,
                        Component::Interest,
                        None,
                        interest,
                    ));
                    postings.push(leg(
                        Book::InterestIncome,
                        Some(installment.obligation),
                        Some(Component::Interest),
                        None,
                        -interest,
                    ));
                }
            }
        }
        for installment in installments {
            self.apply_unapplied(installment.obligation, postings);
        }
    }

    fn write_off_remainder(&mut self, postings: &mut Vec<Posting>) -> WrittenOff {
        let charged_off = self.state.charged_off_on.is_some();
        let mut amounts = Vec::new();
        for (id, obligation) in &mut self.state.obligations {
            for component in Component::ALL {
                let amount = std::mem::take(&mut obligation.outstanding_minor[component.index()]);
                if amount != 0 {
                    amounts.push((*id, component, amount));
                    if !charged_off {
                        postings.push(leg(Book::Waivers, Some(*id), Some(component), None, amount));
                        postings.push(receivable(*id, component, None, -amount));
                    }
                }
            }
        }
        WrittenOff { amounts, posted: !charged_off }
    }

    /// Owes again what the write-off forgave. The loss it booked leaves the book it went to
    /// (waivers, or bad debt when it was written off charged off) for the receivable, or for
    /// bad debt if the account is charged off now; then unapplied cash pays what is owed again.
    fn reverse_write_off(&mut self, write_off: EventSeq, postings: &mut Vec<Posting>) {
        let Some(written_off) = self.write_offs.remove(&write_off) else { return };
        let charged_off = self.state.charged_off_on.is_some();
        let from = if written_off.posted { Book::Waivers } else { Book::BadDebt };
        let to = if charged_off { Book::BadDebt } else { Book::Receivable };
        for (id, component, amount) in &written_off.amounts {
            let Some(obligation) = self.state.obligations.get_mut(id) else { continue };
            obligation.outstanding_minor[component.index()] += amount;
            if from != to {
                postings.push(leg(to, Some(*id), Some(*component), None, *amount));
                postings.push(leg(from, Some(*id), Some(*component), None, -*amount));
            }
        }
        for (id, _, _) in &written_off.amounts {
            self.apply_unapplied(*id, postings);
        }
    }

    /// Takes a charge back whole: each payment's allocations to it go back to the payment as
    /// unapplied cash (Dr receivable; Cr unapplied cash, source = the payment), what it then
    /// owes is forgiven (Dr waivers; Cr receivable), and the cash freed pays what else is owed
    /// as a payment would, oldest payment first (whatever it cannot pay stays unapplied).
    fn withdraw(&mut self, obligation: ObligationId, postings: &mut Vec<Posting>) {
        if self.state.charged_off_on.is_some() || !self.state.obligations.contains_key(&obligation)
        {
            return;
        }
        let mut freed: Vec<(EventSeq, i64)> = Vec::new();
        for (seq, payment) in &mut self.state.payments {
            let paid: Vec<((Book, ObligationId, Component), i64)> = (payment.allocated.iter())
                .filter(|((book, id, _), _)| *book == Book::Receivable && *id == obligation)
                .map(|(key, amount)| (*key, *amount))
                .collect();
            let mut total = 0;
            for (key, amount) in paid {
                payment.allocated.remove(&key);
                let (_, id, component) = key;
                postings.push(leg(Book::Receivable, Some(id), Some(component), Some(*seq), amount));
                postings.push(leg(
                    Book::UnappliedCash,
                    Some(id),
                    Some(component),
                    Some(*seq),
                    -amount,
                ));
                if let Some(state) = self.state.obligations.get_mut(&id) {
                    state.outstanding_minor[component.index()] += amount;
                }
                total += amount;
            }
            if total > 0 {
                payment.unapplied_minor += total;
                freed.push((*seq, total));
            }
        }
        for component in Component::ALL {
            let owed = self
                .state
                .obligations
                .get(&obligation)
                .map_or(0, |state| state.outstanding_minor[component.index()]);
            self.reduce(obligation, component, owed, Book::Waivers, postings);
        }
        for (seq, amount) in freed {
            let left = self.allocate(seq, amount, None, None, Book::UnappliedCash, postings);
            if let Some(payment) = self.state.payments.get_mut(&seq) {
                payment.unapplied_minor -= amount - left;
            }
            if left > 0 {
                self.hold_unapplied(seq, left);
            }
        }
    }

    /// Applies the unapplied cash, oldest payment first, to what is owed, in the order a
    /// payment settles it; what nothing owed takes stays unapplied.
    fn apply_credit(&mut self, postings: &mut Vec<Posting>) {
        if self.state.charged_off_on.is_none() {
            self.drain_unapplied(None, postings);
        }
    }

    /// Adds `amount` of payment `seq`'s money to the unapplied cash, in the order the payments
    /// are replayed (effective date, then sequence), which is the order a payment's excess
    /// joins it and the order in which it is applied.
    fn hold_unapplied(&mut self, seq: EventSeq, amount: i64) {
        if let Some(held) = self.state.unapplied.iter_mut().find(|(source, _)| *source == seq) {
            held.1 += amount;
            return;
        }
        let payments = &self.state.payments;
        let key = |source: EventSeq| (payments.get(&source).map(|paid| paid.paid_on), source);
        let at = (self.state.unapplied.iter())
            .position(|(source, _)| key(*source) > key(seq))
            .unwrap_or(self.state.unapplied.len());
        self.state.unapplied.insert(at, (seq, amount));
    }

    /// Books the commission at `rate` on `payment`, unless it was reversed; returns what it
    /// booked.
    /// Books the commission at `rate` on `payment`: on its whole amount, or with `settled`, on
    /// what it settled (its amount less the unapplied cash it holds now). Returns the amount
    /// booked.
    fn commission(
        &mut self,
        payment: EventSeq,
        rate: Decimal,
        settled: bool,
        postings: &mut Vec<Posting>,
    ) -> i64 {
        let Some(state) = self.state.payments.get(&payment) else { return 0 };
        if state.reversed {
            return 0;
        }
        let currency = self.account.currency;
        let base_minor = match settled {
            true => state.amount_minor - state.unapplied_minor,
            false => state.amount_minor,
        };
        let paid = Decimal::new(base_minor, currency.minor_units());
        let amount = crate::money::RoundingRule::HalfUp.round(paid * rate, currency).unwrap_or(0);
        if amount > 0 {
            postings.push(leg(Book::AgencyCommission, None, None, Some(payment), amount));
            postings.push(leg(Book::AgencyPayable, None, None, Some(payment), -amount));
        }
        amount.max(0)
    }

    fn charge(
        &mut self,
        event: &Event,
        obligation: ObligationId,
        due_on: NaiveDate,
        amounts_minor: [i64; 3],
        postings: &mut Vec<Posting>,
    ) {
        self.state.obligations.insert(
            obligation,
            ObligationState {
                id: obligation,
                issued_on: event.effective_on,
                due_on,
                outstanding_minor: amounts_minor,
                disputed: false,
                accrued: false,
            },
        );
        if self.state.charged_off_on.is_some() {
            // `check` refuses charges on a charged-off account and charge-offs back-dated
            // before recorded events, so this arm is unreachable from checked events. Should it
            // run, the debt is owed but off the books: no receivable is invented.
            return;
        }
        for component in Component::ALL {
            let amount = amounts_minor[component.index()];
            if amount == 0 {
                continue;
            }
            postings.push(receivable(obligation, component, None, amount));
            let counter = match component {
                Component::Principal => Book::Originations,
                Component::Interest => Book::InterestIncome,
                Component::Fee => Book::FeeIncome,
            };
            postings.push(leg(counter, Some(obligation), Some(component), None, -amount));
        }
        self.apply_unapplied(obligation, postings);
    }

    /// Settles `amount` of payment `source` against obligations; returns what is left.
    fn allocate(
        &mut self,
        source: EventSeq,
        mut amount: i64,
        directed_to: Option<ObligationId>,
        only: Option<ObligationId>,
        from_book: Book,
        postings: &mut Vec<Posting>,
    ) -> i64 {
        let charged_off = self.state.charged_off_on.is_some();
        let settle_book = if charged_off { Book::Recoveries } else { Book::Receivable };
        // Each step is (obligation, component), in the order they are settled (held inline:
        // an account rarely has more than a handful of open obligations).
        let mut steps: SmallVec<[(ObligationId, Component); 24]> = SmallVec::new();
        let within = |obligation: ObligationId, steps: &mut SmallVec<[_; 24]>| {
            for component in waterfall_within(self.account.terms.waterfall) {
                steps.push((obligation, component));
            }
        };
        if let Some(only) = only {
            within(only, &mut steps);
        } else {
            if let Some(directed) = directed_to {
                within(directed, &mut steps);
            }
            let open = self.state.allocation_order();
            match self.account.terms.waterfall {
                Waterfall::FeesInterestPrincipal => {
                    for (_, id) in open {
                        for component in waterfall_within(Waterfall::FeesInterestPrincipal) {
                            steps.push((id, component));
                        }
                    }
                }
                Waterfall::PrincipalFirst => {
                    for component in [Component::Principal, Component::Interest, Component::Fee] {
                        for (_, id) in &open {
                            steps.push((*id, component));
                        }
                    }
                }
            }
        }
        for &(obligation, component) in &steps {
            if amount == 0 {
                return 0;
            }
            let Some(state) = self.state.obligations.get_mut(&obligation) else { continue };
            let outstanding = &mut state.outstanding_minor[component.index()];
            let take = amount.min(*outstanding);
            if take <= 0 {
                continue;
            }
            *outstanding -= take;
            amount -= take;
            postings.push(leg(settle_book, Some(obligation), Some(component), Some(source), -take));
            if from_book == Book::UnappliedCash {
                postings.push(leg(
                    Book::UnappliedCash,
                    Some(obligation),
                    Some(component),
                    Some(source),
                    take,
                ));
            }
            let payment = self.state.payments.entry(source).or_default();
            *payment.allocated.entry((settle_book, obligation, component)).or_insert(0) += take;
        }
        amount
    }

    fn payment(
        &mut self,
        event: &Event,
        amount_minor: i64,
        directed_to: Option<ObligationId>,
        postings: &mut Vec<Posting>,
    ) {
        let seq = event.seq;
        let paid_on = event.effective_on;
        self.state
            .payments
            .insert(seq, PaymentState { paid_on, amount_minor, ..PaymentState::default() });
        postings.push(leg(Book::Cash, None, None, Some(seq), amount_minor));
        let left = self.allocate(seq, amount_minor, directed_to, None, Book::Cash, postings);
        if left > 0 {
            postings.push(leg(Book::UnappliedCash, None, None, Some(seq), -left));
            self.state.unapplied.push_back((seq, left));
            if let Some(payment) = self.state.payments.get_mut(&seq) {
                payment.unapplied_minor = left;
            }
        }
    }

    /// Applies unapplied cash, oldest payment first, to one obligation.
    fn apply_unapplied(&mut self, obligation: ObligationId, postings: &mut Vec<Posting>) {
        if self.state.charged_off_on.is_some() {
            return;
        }
        if self.state.obligations.get(&obligation).is_none_or(|o| o.disputed) {
            return;
        }
        self.drain_unapplied(Some(obligation), postings);
    }

    /// Allocates the unapplied cash, oldest payment first, to `only` or to everything owed,
    /// until it is spent or nothing it may pay is owed.
    fn drain_unapplied(&mut self, only: Option<ObligationId>, postings: &mut Vec<Posting>) {
        while let Some((source, available)) = self.state.unapplied.front().copied() {
            let left = self.allocate(source, available, None, only, Book::UnappliedCash, postings);
            let used = available - left;
            if let Some(payment) = self.state.payments.get_mut(&source) {
                payment.unapplied_minor -= used;
            }
            if left == 0 {
                self.state.unapplied.pop_front();
            } else {
                if let Some(front) = self.state.unapplied.front_mut() {
                    front.1 = left;
                }
                break;
            }
        }
    }

    fn reversal(&mut self, payment: EventSeq, on: NaiveDate, postings: &mut Vec<Posting>) {
        let Some(state) = self.state.payments.get(&payment) else { return };
        if state.reversed {
            return;
        }
        let state = state.clone();
        let charged_off = self.state.charged_off_on.is_some();
        postings.push(leg(Book::Cash, None, None, Some(payment), -state.amount_minor));
        for ((book, obligation, component), amount) in &state.allocated {
            if *amount == 0 {
                continue;
            }
            if let Some(obligation_state) = self.state.obligations.get_mut(obligation) {
                obligation_state.outstanding_minor[component.index()] += amount;
            }
            // Re-open what the payment settled. If the account was charged off since, what
            // the payment had settled on the books is lost to bad debt, not a receivable.
            let reopen_book = match book {
                Book::Receivable if charged_off => Book::BadDebt,
                other => *other,
            };
            postings.push(leg(
                reopen_book,
                Some(*obligation),
                Some(*component),
                Some(payment),
                *amount,
            ));
        }
        if state.unapplied_minor > 0 {
            postings.push(leg(
                Book::UnappliedCash,
                None,
                None,
                Some(payment),
                state.unapplied_minor,
            ));
            self.state.unapplied.retain(|(source, _)| *source != payment);
        }
        if let Some(payment_state) = self.state.payments.get_mut(&payment) {
            payment_state.reversed = true;
            payment_state.reversed_on = Some(on);
            payment_state.allocated.clear();
            payment_state.unapplied_minor = 0;
        }
    }

    fn raise(
        &mut self,
        obligation: ObligationId,
        component: Component,
        amount: i64,
        postings: &mut Vec<Posting>,
    ) {
        let charged_off = self.state.charged_off_on.is_some();
        let Some(state) = self.state.obligations.get_mut(&obligation) else { return };
        state.outstanding_minor[component.index()] += amount;
        if !charged_off {
            postings.push(receivable(obligation, component, None, amount));
            postings.push(leg(Book::Adjustments, Some(obligation), Some(component), None, -amount));
            self.apply_unapplied(obligation, postings);
        }
    }

    fn reduce(
        &mut self,
        obligation: ObligationId,
        component: Component,
        requested: i64,
        counter: Book,
        postings: &mut Vec<Posting>,
    ) {
        let charged_off = self.state.charged_off_on.is_some();
        let Some(state) = self.state.obligations.get_mut(&obligation) else { return };
        let outstanding = &mut state.outstanding_minor[component.index()];
        let amount = requested.min(*outstanding).max(0);
        *outstanding -= amount;
        if !charged_off && amount > 0 {
            postings.push(leg(counter, Some(obligation), Some(component), None, amount));
            postings.push(receivable(obligation, component, None, -amount));
        }
    }

    fn charge_off(&mut self, on: NaiveDate, postings: &mut Vec<Posting>) {
        if self.state.charged_off_on.is_some() {
            return;
        }
        for (id, obligation) in &self.state.obligations {
            for component in Component::ALL {
                let amount = obligation.outstanding_minor[component.index()];
                if amount != 0 {
                    postings.push(leg(Book::BadDebt, Some(*id), Some(component), None, amount));
                    postings.push(receivable(*id, component, None, -amount));
                }
            }
        }
        self.state.charged_off_on = Some(on);
    }

    /// The exact reverse of the charge-off's postings when nothing happened since: each
    /// component outstanding goes from bad debt back to the receivable. A payment recovered
    /// since the charge-off is moved from recoveries to the receivable it would have settled
    /// (its allocation says so from now on, so that reversing that payment later re-opens the
    /// receivable), which leaves bad debt and recoveries as they were before the charge-off.
    fn reverse_charge_off(&mut self, postings: &mut Vec<Posting>) {
        if self.state.charged_off_on.is_none() {
            return;
        }
        for (seq, payment) in &mut self.state.payments {
            let recovered: Vec<((Book, ObligationId, Component), i64)> = payment
                .allocated
                .iter()
                .filter(|((book, _, _), _)| *book == Book::Recoveries)
                .map(|(key, amount)| (*key, *amount))
                .collect();
            for ((_, obligation, component), amount) in recovered {
                payment.allocated.remove(&(Book::Recoveries, obligation, component));
                *payment.allocated.entry((Book::Receivable, obligation, component)).or_insert(0) +=
                    amount;
                if amount != 0 {
                    let (id, part) = (Some(obligation), Some(component));
                    postings.push(leg(Book::Recoveries, id, part, Some(*seq), amount));
                    postings.push(leg(Book::BadDebt, id, part, Some(*seq), -amount));
                }
            }
        }
        for (id, obligation) in &self.state.obligations {
            for component in Component::ALL {
                let amount = obligation.outstanding_minor[component.index()];
                if amount != 0 {
                    postings.push(receivable(*id, component, None, amount));
                    postings.push(leg(Book::BadDebt, Some(*id), Some(component), None, -amount));
                }
            }
        }
        self.state.charged_off_on = None;
    }

    /// Accumulates interest-bearing balance-days for every day before `day`.
    fn accumulate_interest(&mut self, day: NaiveDate) {
        let cursor = self.state.interest_cursor;
        if day <= cursor {
            return;
        }
        self.state.interest_cursor = day;
        let Some(interest) = &self.account.terms.interest else { return };
        if self.state.charged_off_on.is_some() {
            return;
        }
        // Split [cursor, day) where the interest-bearing balance changes: with a past-due
        // base, an obligation starts bearing interest the day after its due date.
        let mut points = vec![cursor, day];
        if interest.base == InterestBase::PastDuePrincipal {
            for obligation in self.state.obligations.values() {
                if let Some(first) = obligation.due_on.succ_opt() {
                    if cursor < first && first < day {
                        points.push(first);
                    }
                }
            }
        }
        points.sort();
        points.dedup();
        for window in points.windows(2) {
            let (start, end) = (window[0], window[1]);
            let base: i64 = self
                .state
                .obligations
                .values()
                .filter(|obligation| match interest.base {
                    InterestBase::OutstandingPrincipal => true,
                    InterestBase::PastDuePrincipal => obligation.due_on < start,
                })
                .map(|obligation| obligation.outstanding_minor[Component::Principal.index()])
                .sum();
            let days = match interest.day_count {
                // Counted from the period's first day, so that the pieces sum to the period:
                // a piece ending on the 31st counts it as the period would.
                DayCount::Thirty360 => {
                    let from = self.interest_period_start();
                    DayCount::Thirty360.days(from, end) - DayCount::Thirty360.days(from, start)
                }
                day_count => day_count.days(start, end),
            };
            self.state.balance_days += i128::from(base) * i128::from(days);
        }
    }

    /// The first day of the period of interest being accumulated: the day after the latest
    /// accrual replayed (which reset the balance-days), or the opening day.
    fn interest_period_start(&self) -> NaiveDate {
        (self.state.accrued_through)
            .and_then(|accrued| accrued.succ_opt())
            .unwrap_or(self.account.opened_on)
    }

    fn accrue(
        &mut self,
        event: &Event,
        obligation: ObligationId,
        due_on: NaiveDate,
        postings: &mut Vec<Posting>,
    ) {
        // Interest is on each day's closing balance, through the effective date inclusive.
        if let Some(next_day) = event.effective_on.succ_opt() {
            self.accumulate_interest(next_day);
        }
        let mut posted_minor = 0;
        if let (Some(interest), None) = (&self.account.terms.interest, self.state.charged_off_on) {
            let currency = self.account.currency;
            let year_days = Decimal::from(interest.day_count.year_days());
            let numerator = Decimal::try_from_i128_with_scale(self.state.balance_days, 0)
                .ok()
                .and_then(|balance_days| balance_days.checked_mul(interest.annual_rate))
                .and_then(|product| product.checked_add(self.state.interest_carry));
            if let Some(numerator) = numerator {
                let exact_major =
                    numerator / year_days / Decimal::from(10_i64.pow(currency.minor_units()));
                posted_minor = interest.rounding.round(exact_major, currency).unwrap_or(0);
                // The carry is exact: what was accrued minus what was posted, kept as a
                // numerator over the year's days so that no fraction of a cent is ever lost.
                self.state.interest_carry = numerator - Decimal::from(posted_minor) * year_days;
                self.state.balance_days = 0;
            }
        }
        self.state.obligations.insert(
            obligation,
            ObligationState {
                id: obligation,
                issued_on: event.effective_on,
                due_on,
                outstanding_minor: [0, posted_minor, 0],
                disputed: false,
                accrued: true,
            },
        );
        if posted_minor != 0 {
            postings.push(receivable(obligation, Component::Interest, None, posted_minor));
            postings.push(leg(
                Book::InterestIncome,
                Some(obligation),
                Some(Component::Interest),
                None,
                -posted_minor,
            ));
            self.apply_unapplied(obligation, postings);
        }
    }
}

fn waterfall_within(waterfall: Waterfall) -> [Component; 3] {
    match waterfall {
        Waterfall::FeesInterestPrincipal => {
            [Component::Fee, Component::Interest, Component::Principal]
        }
        Waterfall::PrincipalFirst => [Component::Principal, Component::Interest, Component::Fee],
    }
}

fn leg(
    book: Book,
    obligation: Option<ObligationId>,
    component: Option<Component>,
    source: Option<EventSeq>,
    amount_minor: i64,
) -> Posting {
    Posting { book, obligation, component, source, amount_minor }
}

fn receivable(
    obligation: ObligationId,
    component: Component,
    source: Option<EventSeq>,
    amount_minor: i64,
) -> Posting {
    leg(Book::Receivable, Some(obligation), Some(component), source, amount_minor)
}

/// Why a command is refused. A rejection is a business outcome, not a failure: nothing is
/// written, and the caller may fix the command and send it again with the same key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// The effective date is before the account was opened.
    #[error("effective date {effective_on} is before the account opened on {opened_on}")]
    EffectiveBeforeOpened {
        /// The effective date given.
        effective_on: NaiveDate,
        /// The account's opening date.
        opened_on: NaiveDate,
    },
    /// An amount that must be positive is not.
    #[error("{field} must be positive, got {amount_minor} minor units")]
    AmountNotPositive {
        /// The field.
        field: String,
        /// The amount given.
        amount_minor: i64,
    },
    /// An amount is beyond [`AMOUNT_MINOR_MAX`].
    #[error("{field} of {amount_minor} minor units exceeds the maximum of {AMOUNT_MINOR_MAX}")]
    AmountTooLarge {
        /// The field.
        field: String,
        /// The amount given.
        amount_minor: i64,
    },
    /// An obligation's due date is before its issue date.
    #[error("due date {due_on} is before the issue date {issued_on}")]
    DueBeforeIssue {
        /// The due date.
        due_on: NaiveDate,
        /// The issue (effective) date.
        issued_on: NaiveDate,
    },
    /// The obligation is not one of this account's.
    #[error("obligation {obligation} is not an obligation of this account")]
    UnknownObligation {
        /// The obligation named.
        obligation: ObligationId,
    },
    /// The obligation does not exist yet on the effective date (issued later, or posted
    /// interest whose accrual closes that very day).
    #[error("obligation {obligation} is issued on {issued_on} and does not exist yet for an event on {effective_on}")]
    ObligationNotYetIssued {
        /// The obligation named.
        obligation: ObligationId,
        /// When it is issued.
        issued_on: NaiveDate,
        /// The effective date given.
        effective_on: NaiveDate,
    },
    /// The event to reverse is not a payment of this account.
    #[error("event {payment} is not a payment of this account")]
    UnknownPayment {
        /// The event named.
        payment: EventSeq,
    },
    /// The payment was already reversed.
    #[error("payment {payment} is already reversed")]
    AlreadyReversed {
        /// The payment.
        payment: EventSeq,
    },
    /// A reversal would take effect before the payment it reverses.
    #[error("reversal on {effective_on} is before payment {payment} on {paid_on}")]
    ReversalBeforePayment {
        /// The payment.
        payment: EventSeq,
        /// The payment's effective date.
        paid_on: NaiveDate,
        /// The reversal's effective date.
        effective_on: NaiveDate,
    },
    /// A new charge would take the balance over the credit limit.
    #[error("credit limit exceeded: {outstanding_minor} outstanding + {requested_minor} requested > limit {limit_minor} (minor units)")]
    CreditLimitExceeded {
        /// The limit.
        limit_minor: i64,
        /// Outstanding before the charge.
        outstanding_minor: i64,
        /// The principal of the charge.
        requested_minor: i64,
    },
    /// The account is charged off; only payments, reversals, waivers and disputes are taken.
    #[error("the account was charged off on {charged_off_on}; {event} is not accepted")]
    ChargedOff {
        /// The charge-off date.
        charged_off_on: NaiveDate,
        /// The event refused.
        event: String,
    },
    /// A charge-off must not take effect before events already recorded.
    #[error(
        "charge-off on {effective_on} would be before the latest recorded event on {latest_on}"
    )]
    ChargeOffBackdated {
        /// The effective date given.
        effective_on: NaiveDate,
        /// The latest effective date of recorded events.
        latest_on: NaiveDate,
    },
    /// A waiver or reduction asks for more than is outstanding.
    #[error("{requested_minor} requested but only {outstanding_minor} outstanding on {obligation} {component:?} (minor units)")]
    ExceedsOutstanding {
        /// The obligation.
        obligation: ObligationId,
        /// The component.
        component: Component,
        /// What is outstanding.
        outstanding_minor: i64,
        /// What was asked.
        requested_minor: i64,
    },
    /// The dispute flag already has that value.
    #[error("obligation {obligation} is already {}", if *disputed { "disputed" } else { "undisputed" })]
    DisputeUnchanged {
        /// The obligation.
        obligation: ObligationId,
        /// The current flag.
        disputed: bool,
    },
    /// The account holds the maximum number of events.
    #[error("the account holds {EVENTS_PER_ACCOUNT_MAX} events, the maximum")]
    TooManyEvents,
    /// The account bears no interest.
    #[error("the account has no interest terms")]
    NoInterestTerms,
    /// A plan needs obligations to replace and installments.
    #[error("a payment plan needs open obligations to replace and at least one installment")]
    NothingToReschedule,
    /// A disputed obligation cannot go into a plan.
    #[error("obligation {obligation} is disputed and cannot go into a plan")]
    ObligationDisputed {
        /// The obligation.
        obligation: ObligationId,
    },
    /// The plan's principal differs from what the replaced obligations owe.
    #[error("the plan's principal {planned_minor} differs from the {owed_minor} owed on the obligations it replaces (minor units)")]
    PlanDoesNotMatch {
        /// Sum of the installments' principal.
        planned_minor: i64,
        /// What the replaced obligations owe.
        owed_minor: i64,
    },
    /// A rate outside 0 to 1.
    #[error("rate {rate} is outside 0 to 1")]
    RateOutOfRange {
        /// The rate given.
        rate: Decimal,
    },
    /// An accrual must not be back-dated before the last accrual.
    #[error("interest was already accrued through {accrued_through}; accrue through a later date")]
    AccrualNotAfterLast {
        /// The latest accrual date recorded.
        accrued_through: NaiveDate,
    },
    /// A charge-off reversal on an account that is not charged off.
    #[error("the account is not charged off")]
    NotChargedOff,
    /// A charge-off reversal takes effect on the charge-off's date.
    #[error("a charge-off reversal takes effect on the charge-off date {charged_off_on}, not on {effective_on}")]
    ChargeOffReversalDate {
        /// The effective date given.
        effective_on: NaiveDate,
        /// The charge-off date.
        charged_off_on: NaiveDate,
    },
    /// A credit note above the principal owed (of its obligation, or of the open ones).
    #[error(
        "a credit note of {requested_minor} minor units exceeds the {owed_minor} of principal owed"
    )]
    CreditNoteExceedsOwed {
        /// The obligation named, if any.
        obligation: Option<ObligationId>,
        /// The principal owed.
        owed_minor: i64,
        /// The amount asked.
        requested_minor: i64,
    },
    /// A write-off reversal names an event that is not a settlement's write-off of the account.
    #[error("event {event} is not a write-off of the remainder")]
    UnknownWriteOff {
        /// The event named.
        event: EventSeq,
    },
    /// The write-off was reversed already.
    #[error("the write-off {write_off} was reversed already")]
    WriteOffAlreadyReversed {
        /// The write-off.
        write_off: EventSeq,
    },
    /// A write-off reversal dated before its write-off.
    #[error("a reversal dated {effective_on} of write-off {write_off} of {written_off_on}")]
    WriteOffReversalBeforeWriteOff {
        /// The write-off.
        write_off: EventSeq,
        /// Its effective date.
        written_off_on: NaiveDate,
        /// The reversal's effective date given.
        effective_on: NaiveDate,
    },
    /// A charge withdrawal of an obligation that owes nothing and that no payment paid.
    #[error("obligation {obligation} owes nothing and no payment paid it: nothing to withdraw")]
    NothingToWithdraw {
        /// The obligation.
        obligation: ObligationId,
    },
    /// Unapplied cash applied when there is none, or nothing it could pay.
    #[error("{unapplied_minor} minor units of unapplied cash and {owed_minor} owed that it may pay: nothing to apply")]
    NothingToApply {
        /// The unapplied cash.
        unapplied_minor: i64,
        /// What undisputed obligations owe.
        owed_minor: i64,
    },
    /// A commission's reversal names an event that is not a commission of the account.
    #[error("event {event} is not an agency's commission")]
    UnknownCommission {
        /// The event named.
        event: EventSeq,
    },
    /// The commission was taken back already.
    #[error("the commission {commission} was reversed already")]
    CommissionAlreadyReversed {
        /// The commission.
        commission: EventSeq,
    },
    /// A commission's reversal dated before its commission.
    #[error("a reversal dated {effective_on} of commission {commission} of {booked_on}")]
    CommissionReversalBeforeCommission {
        /// The commission.
        commission: EventSeq,
        /// Its effective date.
        booked_on: NaiveDate,
        /// The reversal's effective date given.
        effective_on: NaiveDate,
    },
    /// A refund above the unapplied cash the account holds.
    #[error(
        "a refund of {requested_minor} minor units exceeds the {unapplied_minor} of unapplied cash held"
    )]
    RefundExceedsUnapplied {
        /// The unapplied cash held.
        unapplied_minor: i64,
        /// The amount asked.
        requested_minor: i64,
    },
    /// A charge of kind `refund`: refunds make their obligations themselves.
    #[error("an obligation of kind refund is made by a refund, not charged")]
    RefundCharged,
}

/// Checks a new event of a kind that [reads the history](EventKind::reads_history) against the
/// account's recorded `events`, on top of [`check`]: a write-off reversal must name a
/// write-off of the remainder, and a commission's reversal a commission, not reversed yet,
/// dated on or before it.
///
/// # Errors
///
/// The [`Rejection`] that says why the event is refused.
pub fn check_history(
    events: &[Event],
    effective_on: NaiveDate,
    kind: &EventKind,
) -> Result<(), Rejection> {
    if let EventKind::CommissionReversed { commission } = kind {
        return check_commission_reversal(events, effective_on, *commission);
    }
    let EventKind::WriteOffReversed { write_off } = kind else { return Ok(()) };
    let Some(written) = events.iter().find(|event| {
        event.seq == *write_off && matches!(event.kind, EventKind::WriteOffRemainder)
    }) else {
        return Err(Rejection::UnknownWriteOff { event: *write_off });
    };
    let reversed = events.iter().any(|event| {
        matches!(event.kind, EventKind::WriteOffReversed { write_off: earlier } if earlier == *write_off)
    });
    if reversed {
        return Err(Rejection::WriteOffAlreadyReversed { write_off: *write_off });
    }
    if effective_on < written.effective_on {
        return Err(Rejection::WriteOffReversalBeforeWriteOff {
            write_off: *write_off,
            written_off_on: written.effective_on,
            effective_on,
        });
    }
    Ok(())
}

/// A commission's reversal must name a commission of the account, not reversed yet, dated on
/// or before it.
fn check_commission_reversal(
    events: &[Event],
    effective_on: NaiveDate,
    commission: EventSeq,
) -> Result<(), Rejection> {
    let Some(booked) = events.iter().find(|event| {
        event.seq == commission
            && matches!(
                event.kind,
                EventKind::Commission { .. } | EventKind::CommissionOnSettled { .. }
            )
    }) else {
        return Err(Rejection::UnknownCommission { event: commission });
    };
    let reversed = events.iter().any(|event| {
        matches!(event.kind, EventKind::CommissionReversed { commission: earlier } if earlier == commission)
    });
    if reversed {
        return Err(Rejection::CommissionAlreadyReversed { commission });
    }
    if effective_on < booked.effective_on {
        return Err(Rejection::CommissionReversalBeforeCommission {
            commission,
            booked_on: booked.effective_on,
            effective_on,
        });
    }
    Ok(())
}

/// Checks a new event against an account's recorded events, before it is recorded.
///
/// `state` must be the replay of all of `events` (no `until`). The check covers what replay
/// cannot repair: amounts, dates, references to obligations and payments, the credit limit,
/// and events on a charged-off account.
///
/// # Errors
///
/// The [`Rejection`] that says why the event is refused.
pub fn check(
    account: &Account,
    state: &AccountState,
    effective_on: NaiveDate,
    kind: &EventKind,
) -> Result<(), Rejection> {
    if state.events_replayed as usize >= EVENTS_PER_ACCOUNT_MAX {
        return Err(Rejection::TooManyEvents);
    }
    if effective_on < account.opened_on {
        return Err(Rejection::EffectiveBeforeOpened {
            effective_on,
            opened_on: account.opened_on,
        });
    }
    // Once charged off, an account takes no new debt whatever the event's date: a charge
    // back-dated before the charge-off would silently raise the amount written off.
    let charged_off = |event: &str| -> Result<(), Rejection> {
        match state.charged_off_on {
            Some(charged_off_on) => {
                Err(Rejection::ChargedOff { charged_off_on, event: event.to_owned() })
            }
            None => Ok(()),
        }
    };
    let known_obligation = |obligation: ObligationId| -> Result<&ObligationState, Rejection> {
        let state = state
            .obligations
            .get(&obligation)
            .ok_or(Rejection::UnknownObligation { obligation })?;
        // An accrual is replayed after every other event of its day, so its interest
        // obligation exists for events of the following days only.
        if state.issued_on > effective_on || (state.accrued && state.issued_on == effective_on) {
            return Err(Rejection::ObligationNotYetIssued {
                obligation,
                issued_on: state.issued_on,
                effective_on,
            });
        }
        Ok(state)
    };
    match kind {
        EventKind::Charge { due_on, amounts_minor, kind: obligation_kind, .. } => {
            charged_off(if *obligation_kind == ObligationKind::Fee { "fee" } else { "charge" })?;
            if *obligation_kind == ObligationKind::Refund {
                return Err(Rejection::RefundCharged);
            }
            for component in Component::ALL {
                let amount = amounts_minor[component.index()];
                amount_in_range(component.name(), amount, true)?;
            }
            let total: i64 = amounts_minor.iter().sum();
            if total <= 0 {
                return Err(Rejection::AmountNotPositive {
                    field: "amount".to_owned(),
                    amount_minor: total,
                });
            }
            if *due_on < effective_on {
                return Err(Rejection::DueBeforeIssue { due_on: *due_on, issued_on: effective_on });
            }
            let principal = amounts_minor[Component::Principal.index()];
            if let (Some(limit_minor), true) = (account.credit_limit_minor, principal > 0) {
                let outstanding_minor = state.total_outstanding_minor();
                if outstanding_minor + principal > limit_minor {
                    return Err(Rejection::CreditLimitExceeded {
                        limit_minor,
                        outstanding_minor,
                        requested_minor: principal,
                    });
                }
            }
        }
        EventKind::Payment { amount_minor, directed_to } => {
            amount_in_range("amount", *amount_minor, false)?;
            if let Some(obligation) = directed_to {
                known_obligation(*obligation)?;
            }
        }
        EventKind::Reversal { payment, .. } => {
            let paid = state
                .payments
                .get(payment)
                .ok_or(Rejection::UnknownPayment { payment: *payment })?;
            if paid.reversed {
                return Err(Rejection::AlreadyReversed { payment: *payment });
            }
            if effective_on < paid.paid_on {
                return Err(Rejection::ReversalBeforePayment {
                    payment: *payment,
                    paid_on: paid.paid_on,
                    effective_on,
                });
            }
        }
        EventKind::Waiver { obligation, component, amount_minor } => {
            amount_in_range("amount", *amount_minor, false)?;
            let obligation_state = known_obligation(*obligation)?;
            let outstanding_minor = obligation_state.outstanding_minor[component.index()];
            if *amount_minor > outstanding_minor {
                return Err(Rejection::ExceedsOutstanding {
                    obligation: *obligation,
                    component: *component,
                    outstanding_minor,
                    requested_minor: *amount_minor,
                });
            }
        }
        EventKind::Adjustment { obligation, component, amount_minor } => {
            charged_off("adjustment")?;
            if *amount_minor == 0 {
                return Err(Rejection::AmountNotPositive {
                    field: "amount".to_owned(),
                    amount_minor: 0,
                });
            }
            amount_in_range("amount", amount_minor.abs(), false)?;
            let obligation_state = known_obligation(*obligation)?;
            let outstanding_minor = obligation_state.outstanding_minor[component.index()];
            if -*amount_minor > outstanding_minor {
                return Err(Rejection::ExceedsOutstanding {
                    obligation: *obligation,
                    component: *component,
                    outstanding_minor,
                    requested_minor: -*amount_minor,
                });
            }
        }
        EventKind::AccrueInterest { due_on, .. } => {
            charged_off("interest accrual")?;
            if account.terms.interest.is_none() {
                return Err(Rejection::NoInterestTerms);
            }
            if *due_on < effective_on {
                return Err(Rejection::DueBeforeIssue { due_on: *due_on, issued_on: effective_on });
            }
            if let Some(accrued_through) = state.accrued_through {
                if effective_on <= accrued_through {
                    return Err(Rejection::AccrualNotAfterLast { accrued_through });
                }
            }
        }
        EventKind::ChargeOff => {
            charged_off("charge-off")?;
            if let Some(latest_on) = state.latest_on {
                if effective_on < latest_on {
                    return Err(Rejection::ChargeOffBackdated { effective_on, latest_on });
                }
            }
        }
        EventKind::Dispute { obligation, disputed } => {
            let obligation_state = known_obligation(*obligation)?;
            if obligation_state.disputed == *disputed {
                return Err(Rejection::DisputeUnchanged {
                    obligation: *obligation,
                    disputed: *disputed,
                });
            }
        }
        EventKind::Reschedule { replaces, installments } => {
            charged_off("payment plan")?;
            if replaces.is_empty() || installments.is_empty() {
                return Err(Rejection::NothingToReschedule);
            }
            let mut owed = 0;
            for id in replaces {
                let obligation = known_obligation(*id)?;
                if obligation.disputed {
                    return Err(Rejection::ObligationDisputed { obligation: *id });
                }
                owed += obligation.total_minor();
            }
            let planned: i64 =
                installments.iter().map(|installment| installment.principal_minor).sum();
            if planned != owed {
                return Err(Rejection::PlanDoesNotMatch {
                    planned_minor: planned,
                    owed_minor: owed,
                });
            }
            for installment in installments {
                amount_in_range("installment principal", installment.principal_minor, true)?;
                amount_in_range("installment interest", installment.interest_minor, true)?;
                if installment.due_on < effective_on {
                    return Err(Rejection::DueBeforeIssue {
                        due_on: installment.due_on,
                        issued_on: effective_on,
                    });
                }
            }
        }
        // Checked against the history, by `check_history`.
        EventKind::WriteOffRemainder
        | EventKind::WriteOffReversed { .. }
        | EventKind::CommissionReversed { .. } => {}
        EventKind::ApplyUnapplied => {
            charged_off("application of unapplied cash")?;
            let unapplied_minor = state.unapplied_minor();
            let owed_minor = state.undisputed_owed_minor();
            if unapplied_minor == 0 || owed_minor == 0 {
                return Err(Rejection::NothingToApply { unapplied_minor, owed_minor });
            }
        }
        EventKind::ChargeWithdrawn { obligation } => {
            charged_off("charge withdrawal")?;
            let owed = known_obligation(*obligation)?.total_minor();
            let paid = state.payments.values().any(|payment| {
                (payment.allocated.keys())
                    .any(|(book, id, _)| *book == Book::Receivable && id == obligation)
            });
            if owed == 0 && !paid {
                return Err(Rejection::NothingToWithdraw { obligation: *obligation });
            }
        }
        EventKind::Commission { payment, rate }
        | EventKind::CommissionOnSettled { payment, rate } => {
            if !state.payments.contains_key(payment) {
                return Err(Rejection::UnknownPayment { payment: *payment });
            }
            if rate.is_sign_negative() || *rate > Decimal::ONE {
                return Err(Rejection::RateOutOfRange { rate: *rate });
            }
        }
        EventKind::ChargeOffReversed { .. } | EventKind::ChargeOffUndone { .. } => {
            let Some(charged_off_on) = state.charged_off_on else {
                return Err(Rejection::NotChargedOff);
            };
            // On the charge-off's own date, replayed right after it: what was recorded since
            // is replayed as if the account had never been charged off, and no event can fall
            // between the two.
            if effective_on != charged_off_on {
                return Err(Rejection::ChargeOffReversalDate { effective_on, charged_off_on });
            }
        }
        EventKind::CreditNote { obligation, amount_minor, .. } => {
            charged_off("credit note")?;
            amount_in_range("amount", *amount_minor, false)?;
            if let Some(id) = obligation {
                known_obligation(*id)?;
            }
            let owed_minor = credit_note_owed(state, *obligation);
            if *amount_minor > owed_minor {
                return Err(Rejection::CreditNoteExceedsOwed {
                    obligation: *obligation,
                    owed_minor,
                    requested_minor: *amount_minor,
                });
            }
        }
        EventKind::Refund { amount_minor, .. } => {
            charged_off("refund")?;
            amount_in_range("amount", *amount_minor, false)?;
            let unapplied_minor = state.unapplied_minor();
            if *amount_minor > unapplied_minor {
                return Err(Rejection::RefundExceedsUnapplied {
                    unapplied_minor,
                    requested_minor: *amount_minor,
                });
            }
        }
    }
    Ok(())
}

/// The obligations a credit note without an obligation lowers: undisputed ones that owe
/// principal, oldest due date first, then lowest id (as allocation takes them).
fn credit_note_order(state: &AccountState) -> Vec<ObligationId> {
    let mut open: Vec<&ObligationState> = state
        .obligations
        .values()
        .filter(|obligation| !obligation.disputed)
        .filter(|obligation| obligation.outstanding_minor[Component::Principal.index()] > 0)
        .collect();
    open.sort_by_key(|obligation| (obligation.due_on, obligation.id));
    open.into_iter().map(|obligation| obligation.id).collect()
}

/// The principal a credit note may lower: the obligation's, or every open one's.
fn credit_note_owed(state: &AccountState, obligation: Option<ObligationId>) -> i64 {
    let principal = |id: &ObligationId| {
        state
            .obligations
            .get(id)
            .map_or(0, |owed| owed.outstanding_minor[Component::Principal.index()])
    };
    match obligation {
        Some(id) => principal(&id),
        None => credit_note_order(state).iter().map(principal).sum(),
    }
}

fn amount_in_range(field: &str, amount_minor: i64, zero_allowed: bool) -> Result<(), Rejection> {
    if amount_minor < 0 || (amount_minor == 0 && !zero_allowed) {
        return Err(Rejection::AmountNotPositive { field: field.to_owned(), amount_minor });
    }
    if amount_minor > AMOUNT_MINOR_MAX {
        return Err(Rejection::AmountTooLarge { field: field.to_owned(), amount_minor });
    }
    Ok(())
}

mod cold;
pub use cold::{
    ColdConflict, ColdPart, COLD_PART_ITEMS_MIN, RECENT_DAYS_KEPT, RECENT_PAYMENTS_HOT_MAX,
};

#[cfg(test)]
mod tests;
