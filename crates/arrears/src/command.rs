//! Commands: everything that changes money or state, each under a caller's idempotency key.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{Posting, ReversalReason};
use arrears_core::model::{
    Component, ContactPoint, DebtorFlags, DebtorKind, Jurisdiction, ObligationKind, ProductKind,
    Terms,
};
use arrears_core::money::Money;

/// A new debtor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDebtor {
    /// The caller's reference, unique among debtors.
    pub external_ref: Option<String>,
    /// Person or business.
    pub kind: DebtorKind,
    /// Display name (not empty).
    pub name: String,
    /// Country and region.
    pub jurisdiction: Jurisdiction,
    /// Candidate IANA time zones, at least one (`America/Chicago`).
    pub time_zones: Vec<String>,
    /// BCP 47 language tag.
    pub language: String,
    /// Contact points.
    pub contact_points: Vec<ContactPoint>,
    /// Sticky flags.
    pub flags: DebtorFlags,
}

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// The caller's reference, unique among accounts.
    pub external_ref: Option<String>,
    /// The primary debtor.
    pub debtor: DebtorId,
    /// The product.
    pub product: ProductKind,
    /// The credit limit, in the account's currency; `None` for no limit.
    pub credit_limit: Option<Money>,
    /// The account's currency is the currency of this field's unit: every amount posted to the
    /// account must be in it.
    pub currency: arrears_core::money::Currency,
    /// Opening date.
    pub opened_on: NaiveDate,
    /// Terms.
    pub terms: Terms,
}

/// A new obligation: amounts charged to the debtor, due on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCharge {
    /// The account.
    pub account: AccountId,
    /// The caller's reference (invoice number), unique among obligations.
    pub external_ref: Option<String>,
    /// The kind of obligation.
    pub kind: ObligationKind,
    /// Issue date: the charge takes effect on it.
    pub issued_on: NaiveDate,
    /// Due date: days past due count from it.
    pub due_on: NaiveDate,
    /// Principal charged.
    pub principal: Money,
    /// Interest charged (scheduled interest of an installment).
    pub interest: Money,
    /// Fees charged.
    pub fee: Money,
}

/// A command. Each is executed under an idempotency key (see [`crate::Arrears::execute`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// Creates a debtor.
    CreateDebtor(NewDebtor),
    /// Opens an account.
    OpenAccount(NewAccount),
    /// Charges a new obligation (invoice, installment, statement).
    Charge(NewCharge),
    /// Assesses a fee, as an obligation of kind `fee` due on `due_on`.
    Fee {
        /// The account.
        account: AccountId,
        /// When the fee is assessed.
        effective_on: NaiveDate,
        /// When it falls due (often the assessment date).
        due_on: NaiveDate,
        /// The fee.
        amount: Money,
    },
    /// Receives a payment.
    Payment {
        /// The account.
        account: AccountId,
        /// The value date.
        effective_on: NaiveDate,
        /// The amount, positive.
        amount: Money,
        /// The obligation the debtor asked to settle first.
        directed_to: Option<ObligationId>,
    },
    /// Reverses a payment (returned, charged back, posted in error).
    Reversal {
        /// The account.
        account: AccountId,
        /// The payment's event.
        payment: EventSeq,
        /// The value date of the reversal (not before the payment's).
        effective_on: NaiveDate,
        /// Why.
        reason: ReversalReason,
    },
    /// Forgives part of an obligation.
    Waiver {
        /// The account.
        account: AccountId,
        /// The obligation.
        obligation: ObligationId,
        /// The component.
        component: Component,
        /// The amount forgiven, positive.
        amount: Money,
        /// The value date.
        effective_on: NaiveDate,
    },
    /// Corrects what an obligation's component owes (a negative amount lowers it).
    Adjustment {
        /// The account.
        account: AccountId,
        /// The obligation.
        obligation: ObligationId,
        /// The component.
        component: Component,
        /// The signed amount.
        amount: Money,
        /// The value date.
        effective_on: NaiveDate,
    },
    /// Posts interest accrued through a date (inclusive) as a new interest obligation.
    AccrueInterest {
        /// The account.
        account: AccountId,
        /// The last day accrued.
        through_on: NaiveDate,
        /// When the posted interest falls due.
        due_on: NaiveDate,
    },
    /// Charges the account off.
    ChargeOff {
        /// The account.
        account: AccountId,
        /// The charge-off date.
        effective_on: NaiveDate,
    },
    /// Opens or resolves a dispute on an obligation.
    Dispute {
        /// The account.
        account: AccountId,
        /// The obligation.
        obligation: ObligationId,
        /// True to open, false to resolve.
        disputed: bool,
        /// The value date.
        effective_on: NaiveDate,
    },
}

impl Command {
    /// The command's name (`payment`, `charge`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Command::CreateDebtor(_) => "create_debtor",
            Command::OpenAccount(_) => "open_account",
            Command::Charge(_) => "charge",
            Command::Fee { .. } => "fee",
            Command::Payment { .. } => "payment",
            Command::Reversal { .. } => "reversal",
            Command::Waiver { .. } => "waiver",
            Command::Adjustment { .. } => "adjustment",
            Command::AccrueInterest { .. } => "accrue_interest",
            Command::ChargeOff { .. } => "charge_off",
            Command::Dispute { disputed: true, .. } => "dispute",
            Command::Dispute { disputed: false, .. } => "resolve_dispute",
        }
    }

    /// The same command with every amount in canonical decimal form (`10.50` and `10.5` are
    /// the same amount), so that idempotency compares meaning, not spelling.
    pub(crate) fn canonical(&self) -> Command {
        fn money(value: &Money) -> Money {
            Money::new(value.amount().normalize(), value.currency())
        }
        let mut command = self.clone();
        match &mut command {
            Command::CreateDebtor(_) => {}
            Command::OpenAccount(new) => new.credit_limit = new.credit_limit.as_ref().map(money),
            Command::Charge(new) => {
                new.principal = money(&new.principal);
                new.interest = money(&new.interest);
                new.fee = money(&new.fee);
            }
            Command::Fee { amount, .. }
            | Command::Payment { amount, .. }
            | Command::Waiver { amount, .. }
            | Command::Adjustment { amount, .. } => *amount = money(amount),
            Command::Reversal { .. }
            | Command::AccrueInterest { .. }
            | Command::ChargeOff { .. }
            | Command::Dispute { .. } => {}
        }
        command
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// A debtor was created.
    DebtorCreated(DebtorId),
    /// An account was opened.
    AccountOpened(AccountId),
    /// An event was recorded on an account's ledger.
    Posted(Posted),
    /// The command was refused; nothing was written.
    Rejected(Rejection),
}

impl Outcome {
    /// Returns true if and only if the command was refused.
    pub fn is_rejected(&self) -> bool {
        matches!(self, Outcome::Rejected(_))
    }
}

/// What recording an event wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// The account.
    pub account: AccountId,
    /// The event recorded.
    pub event: EventSeq,
    /// The obligation created, for charges, fees and interest.
    pub obligation: Option<ObligationId>,
    /// The event's own journal entry, if it moved money.
    pub entry: Option<EntryId>,
    /// The event's postings: for a payment, its allocation trace.
    pub postings: Vec<Posting>,
    /// Correction entries written for earlier events because this one is back-dated.
    pub corrections: Vec<EntryId>,
}

/// Why a command was refused: a business outcome, not a failure. Nothing is written and the
/// idempotency key stays free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rejection {
    /// A ledger rule refused the event.
    #[error(transparent)]
    Ledger(#[from] arrears_core::ledger::Rejection),
    /// The external reference is already used by another record of that kind.
    #[error("{kind} reference {reference:?} is already used by {existing}")]
    ExternalRefTaken {
        /// `debtor`, `account` or `obligation`.
        kind: String,
        /// The reference.
        reference: String,
        /// The id holding it.
        existing: u64,
    },
}

/// A command's result, with whether it was a replay of an earlier execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// What the command did (for a replay: what it did the first time).
    pub outcome: Outcome,
    /// True if and only if the key had already been executed with the same command.
    pub replayed: bool,
}
