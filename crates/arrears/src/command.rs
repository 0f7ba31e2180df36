//! Commands: everything that changes money or state, each under a caller's idempotency key.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use arrears_core::case::ContactOutcome;
use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{CreditNoteReason, Posting, ReversalReason};
use arrears_core::model::{
    Component, ContactChannel, ContactPoint, ContactRestrictions, DebtorFlags, DebtorKind,
    Jurisdiction, ObligationKind, ProductKind, Terms,
};
use arrears_core::money::{Currency, Money};

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
    /// Records a promise to pay, checked against the policy's promise rules.
    Promise {
        /// The account.
        account: AccountId,
        /// When the promise was made.
        made_on: NaiveDate,
        /// The promised dated amounts.
        payments: Vec<PromiseLine>,
    },
    /// Creates a payment plan: its installments replace the account's open, undisputed
    /// obligations, if the policy's plan rules and the affordability check allow it.
    CreatePlan(NewPlan),
    /// Offers a settlement: the debtor pays `amount` by the policy's expiry and the rest is
    /// forgiven.
    OfferSettlement {
        /// The account.
        account: AccountId,
        /// When offered.
        offered_on: NaiveDate,
        /// The settlement amount.
        amount: Money,
    },
    /// The debtor accepts the settlement offered.
    AcceptSettlement {
        /// The account.
        account: AccountId,
        /// When accepted.
        accepted_on: NaiveDate,
    },
    /// Disputes the debt: the named obligations (all open ones if empty) are disputed,
    /// payments skip them and contact stops until resolved.
    OpenDispute {
        /// The account.
        account: AccountId,
        /// The obligations disputed; empty for every open one.
        obligations: Vec<ObligationId>,
        /// When.
        on: NaiveDate,
    },
    /// Resolves the account's dispute: every disputed obligation is undisputed.
    ResolveDispute {
        /// The account.
        account: AccountId,
        /// When.
        on: NaiveDate,
    },
    /// Grants hardship forbearance until a date: no fees, no contact.
    GrantHardship {
        /// The account.
        account: AccountId,
        /// When granted.
        on: NaiveDate,
        /// The last day of forbearance.
        until: NaiveDate,
    },
    /// Ends hardship forbearance early.
    EndHardship {
        /// The account.
        account: AccountId,
        /// When.
        on: NaiveDate,
    },
    /// Places the account with a collection agency.
    Place {
        /// The account.
        account: AccountId,
        /// When.
        on: NaiveDate,
        /// The agency.
        agency: String,
        /// The agency's commission on recoveries, `0.25` for 25%.
        #[serde(deserialize_with = "arrears_core::money::deserialize_plain_decimal")]
        commission_rate: rust_decimal::Decimal,
    },
    /// Recalls the account from its agency.
    Recall {
        /// The account.
        account: AccountId,
        /// When.
        on: NaiveDate,
    },
    /// Refers the account to legal.
    ReferToLegal {
        /// The account.
        account: AccountId,
        /// When.
        on: NaiveDate,
    },
    /// Sets a sticky flag on every account of a debtor (and on the debtor).
    SetFlag {
        /// The debtor.
        debtor: DebtorId,
        /// The flag.
        flag: Flag,
        /// When.
        on: NaiveDate,
    },
    /// Closes an account with nothing owed.
    Close {
        /// The account.
        account: AccountId,
        /// When.
        on: NaiveDate,
    },
    /// Reopens a closed revolving account.
    Reopen {
        /// The account.
        account: AccountId,
        /// When.
        on: NaiveDate,
    },
    /// Acknowledges an outbox action with its outcome.
    Acknowledge {
        /// The action id.
        action: u64,
        /// What happened.
        outcome: arrears_core::case::ContactOutcome,
        /// When it happened.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Replaces the collection policy (TOML text, validated).
    SetPolicy {
        /// The file name used in error messages.
        file: String,
        /// The TOML text.
        text: String,
    },
    /// Reverses a mistaken charge-off: the receivable is re-opened exactly as it was, by a
    /// `charge_off_reversed` ledger event on the charge-off's own date (holding the reason),
    /// and the case goes to the state the ledger then implies as of `on`, due for review on
    /// `on`. Appended last, so that stored commands keep their encoding.
    ReverseChargeOff {
        /// The account.
        account: AccountId,
        /// When the reversal is decided: the case's decisions are taken as of this date
        /// (which may be before the charge-off's date, as when a cycle was run for a wrong
        /// date), and its next review is due on it.
        on: NaiveDate,
        /// Why (recorded in the ledger event).
        reason: String,
    },
    /// Adds a contact point to a debtor, or replaces the debtor's point with the same channel
    /// and address (its kind, consent and opt-out): an opt-out or a consent withdrawn takes
    /// effect at once, cancelling the pending outbox actions to that address
    /// ([`Outcome::DebtorUpdated`] lists them).
    SetContactPoint {
        /// The debtor.
        debtor: DebtorId,
        /// The contact point as it now stands.
        point: ContactPoint,
        /// When and how the consent (or its withdrawal) was given, kept in the debtor's
        /// consent records.
        evidence: Option<ConsentEvidence>,
    },
    /// Removes a debtor's contact point, cancelling the pending outbox actions to it.
    RemoveContactPoint {
        /// The debtor.
        debtor: DebtorId,
        /// The channel.
        channel: ContactChannel,
        /// The address.
        address: String,
    },
    /// Changes a debtor's name, jurisdiction, language or time zones (the fields given);
    /// checked as `CreateDebtor` checks them. The next cycle contacts in the new time zones
    /// and under the new jurisdiction's rules; pending actions (not callbacks) whose instant
    /// the new hours forbid are cancelled (`CancelReason::OutsideHours`).
    UpdateDebtor {
        /// The debtor.
        debtor: DebtorId,
        /// The changes.
        changes: DebtorChanges,
    },
    /// Records a contact the debtor made (a call or a message received): it enters the
    /// contact history the guardrails and the strategies read.
    RecordInbound {
        /// The debtor.
        debtor: DebtorId,
        /// The accounts it was about (the debtor's).
        accounts: Vec<AccountId>,
        /// The channel.
        channel: ContactChannel,
        /// The address it came from.
        address: String,
        /// When.
        at: DateTime<Utc>,
        /// What happened (`right_party` for a call the debtor made, `promise_captured`...).
        outcome: ContactOutcome,
    },
    /// The debtor asked to be called back (or written to) at a time: an outbox action for that
    /// instant, to one of the debtor's usable addresses, with the template `callback`. It goes
    /// through the queue like the cycle's actions. A debtor who asked that communication cease,
    /// is represented by an attorney, is in bankruptcy or died cannot be given one.
    RequestCallback {
        /// The debtor.
        debtor: DebtorId,
        /// The accounts it is about (the debtor's).
        accounts: Vec<AccountId>,
        /// The channel.
        channel: ContactChannel,
        /// The address, one of the debtor's contact points usable for the channel.
        address: String,
        /// When the debtor asked to be contacted.
        at: DateTime<Utc>,
    },
    /// Replaces what restricts contacting a debtor (contact at work prohibited, litigation
    /// served, prior consent to calls), which the compliance guardrails apply from then on;
    /// prohibiting contact at work cancels the pending actions to the debtor's work
    /// addresses at once.
    SetContactRestrictions {
        /// The debtor.
        debtor: DebtorId,
        /// The restrictions as they now stand.
        restrictions: ContactRestrictions,
    },
    /// Sets (or clears, with `None`) the day the statute of limitations runs on an account's
    /// debt: from that day the cycle's review marks the case time-barred, a sticky flag the
    /// compliance guardrails apply (clearing the date later does not clear the flag).
    SetLimitationDate {
        /// The account.
        account: AccountId,
        /// The day, or `None`.
        on: Option<NaiveDate>,
    },
    /// Appends a note to a debtor's notes (never changed afterwards).
    AddNote {
        /// The debtor.
        debtor: DebtorId,
        /// The note.
        note: arrears_core::case::Note,
    },
    /// A sender reports an outbox action sent: it is no longer pending (no other sender will
    /// claim it), and its outcome comes later with [`Command::Acknowledge`]. Reporting it
    /// again keeps the first instant.
    MarkSent {
        /// The action id.
        action: u64,
        /// When it was sent.
        at: DateTime<Utc>,
    },
    /// Records that an attorney represents the debtor, with the attorney's contact details:
    /// sets the attorney flag as [`Command::SetFlag`] does (on the debtor and the case of
    /// every account, cancelling the debtor's pending actions) and keeps the details,
    /// replacing those recorded before. Recording new details for a debtor already flagged
    /// only replaces them.
    SetAttorney {
        /// The debtor.
        debtor: DebtorId,
        /// Who represents it, how to reach them, and since when.
        attorney: arrears_core::model::Attorney,
    },
    /// Changes some of what restricts contacting a debtor, leaving the rest as it stands (the
    /// partial form of [`Command::SetContactRestrictions`], which replaces them all; two
    /// writers changing different restrictions do not undo each other). Takes effect at
    /// once, as that command does.
    ChangeRestrictions {
        /// The debtor.
        debtor: DebtorId,
        /// The restrictions to change.
        changes: RestrictionChanges,
    },
    /// Defines a team, or replaces the skills of the team of that name. The policy's
    /// `[[assignment]]` rules name teams.
    DefineTeam(arrears_core::work::Team),
    /// Defines an agent, or replaces the agent of that id (its name, teams, skills, and
    /// `active`: false deactivates it). Its teams must exist.
    DefineAgent(arrears_core::work::Agent),
    /// An agent records the outcome of working an item it claimed
    /// ([`crate::Arrears::claim_work`]); the outcome goes through the existing commands (a
    /// promise, a dispute) in the same transaction, sets the item's next-action date and
    /// ends the lease.
    RecordWork(WorkDone),
    /// Records a warning signal about a business debtor reported from outside the books (a
    /// bureau, a monitoring service, an analyst): management resignations, staff turnover,
    /// asset sales, late filing of accounts. Stage conditions see it from its observation day
    /// until it expires; the debtor keeps the latest 32.
    ReportSignal {
        /// The debtor (a business).
        debtor: DebtorId,
        /// The signal, its days, source and evidence.
        report: arrears_core::model::ReportedSignal,
    },
    /// Receives a bank credit that no account is known for into suspense (docs/CASH.md,
    /// "Suspense"): cash debit, suspense credit, at portfolio level in the line's currency.
    /// The line is kept under its bank reference; receiving the same reference again (under
    /// another idempotency key) is refused with [`Rejection::BankLineReceived`].
    ReceiveCash {
        /// The bank line.
        line: arrears_core::cash::BankLine,
    },
    /// Applies part or all of a bank line held in suspense to an account: a payment on the
    /// account through its waterfall (as [`Command::Payment`]) and the part moved out of
    /// suspense (suspense debit, cash credit). More than the line still holds is refused
    /// with [`Rejection::SuspenseShort`]; a value date before the line's is
    /// [`CommandError::Invalid`](crate::CommandError::Invalid) on `effective_on` (the cash
    /// was not there yet).
    ApplyCash {
        /// The line's bank reference.
        line: String,
        /// The account.
        account: AccountId,
        /// The amount applied, in the line's (and the account's) currency.
        amount: Money,
        /// The payment's value date.
        effective_on: NaiveDate,
    },
    /// Registers an account the debtor pays from, so that the `payer_account` matching rule
    /// finds the debtor from a bank line's payer account (docs/CASH.md, "Payer accounts").
    /// The number is read as [`arrears_core::cash::PayerAccount::parse`] reads it (spaces,
    /// dots and dashes dropped, letters upper case) and must be of `scheme`, with its check
    /// digits right. Registering it again changes nothing; several debtors may register the
    /// same account.
    RegisterPayerAccount {
        /// The debtor.
        debtor: DebtorId,
        /// The scheme the number must be of.
        scheme: arrears_core::cash::PayerScheme,
        /// The account number, as written.
        number: String,
    },
    /// Removes a payer account registered on the debtor
    /// ([`Command::RegisterPayerAccount`]).
    RemovePayerAccount {
        /// The debtor.
        debtor: DebtorId,
        /// The account number, as written (normalized as when registered).
        number: String,
    },
    /// Replaces the bank matching rules `arrears bank import` uses when given none (docs/CASH.md,
    /// "Stored rules"): TOML text kept as given, at most [`BANK_RULES_LEN_MAX`] bytes, once
    /// `arrears_bank::matching::MatchRules::from_toml` reads it: rules the import could not
    /// read are [`CommandError::Invalid`](crate::CommandError::Invalid) on `text`, located by
    /// file, line and field, and nothing is written.
    SetBankRules {
        /// The file name, for messages.
        file: String,
        /// The TOML text.
        text: String,
    },
    /// Takes part or all of a bank line held in suspense out of suspense because the bank
    /// returned it to the payer (a returned item or a reversal of the line): suspense debit,
    /// cash credit, recorded on the line (docs/CASH.md, "Returns"). More than the line still
    /// holds is refused with [`Rejection::SuspenseShort`]; a value date before the line's is
    /// [`CommandError::Invalid`](crate::CommandError::Invalid) on `effective_on`.
    ReturnCash {
        /// The line's bank reference.
        line: String,
        /// The amount returned, in the line's currency.
        amount: Money,
        /// The return's value date.
        effective_on: NaiveDate,
    },
    /// Records how an imported credit line was matched: the rule that decided a post (if
    /// one did) and what was posted, for the match-rate report (`arrears bank report`).
    /// Replaces the record of the same bank reference.
    RecordBankMatch {
        /// The line's bank reference.
        line: String,
        /// The line's value date.
        value_on: NaiveDate,
        /// The line's amount.
        amount: Money,
        /// The rule that decided a post, if one did.
        rule: Option<String>,
        /// What was posted to accounts, in the line's currency, at most `amount`.
        posted: Money,
    },
    /// Decides a credit application by the policy's `[[credit.rule]]` list and the debtor's
    /// score from its arm's scorer (docs/CREDIT.md): approve, decline or refer, with the limit
    /// and terms granted and up to four reason codes. The decision is stored with everything it
    /// read ([`arrears_core::credit::CreditDecision`]); an approval becomes the debtor's credit
    /// standing.
    DecideCredit {
        /// The application.
        application: arrears_core::credit::CreditApplication,
    },
    /// Sets a debtor's credit limit and terms by hand (both the granted and the ones in
    /// force), and whether the creditor refuses to trade with it (new accounts and new credit
    /// are then rejected with [`Rejection::RefusedToTrade`]).
    SetCreditTerms {
        /// The debtor.
        debtor: DebtorId,
        /// The product the limit is for.
        product: ProductKind,
        /// The limit.
        limit: Money,
        /// The terms.
        terms: arrears_core::credit::CreditTerms,
        /// True if and only if new business with the debtor is refused.
        refuse_to_trade: bool,
        /// The day it takes effect.
        effective_on: NaiveDate,
    },
    /// Reviews every credit standing that the policy's `[credit.review]` makes due on
    /// `as_of` (the first review, every N days, a new signal, a score drop), deciding each by
    /// the credit rules from the granted limit and terms: tighten, loosen again, hold, or stop
    /// new business. Each review is stored with its score and reasons.
    ReviewCredit {
        /// The review day.
        as_of: NaiveDate,
    },
    /// Receives a payment through a named channel (issue 19 point 2): exactly a
    /// [`Command::Payment`], with how it was paid, the agent who took it (a card payment over
    /// the phone) and the outbox action whose payment link was used, kept with the command in
    /// the audit log. An agent or an action that does not exist is an error; nothing is
    /// written.
    ChannelPayment {
        /// The account.
        account: AccountId,
        /// The value date.
        effective_on: NaiveDate,
        /// The amount, positive.
        amount: Money,
        /// The obligation the debtor asked to settle first.
        directed_to: Option<ObligationId>,
        /// How it was paid.
        channel: PaymentChannel,
        /// The agent who took it, by id (`agent-7`), if one did.
        agent: Option<String>,
        /// The outbox action whose payment link the debtor used, if any.
        action: Option<u64>,
    },
    /// Issues a credit note (issue 18 point 3): goods returned or a price allowed lower the
    /// principal owed, of one obligation or of the open ones oldest due first, against
    /// originations; no cash moves. Refused above the principal owed.
    CreditNote {
        /// The account.
        account: AccountId,
        /// The obligation credited; `None`: the open obligations, oldest due first.
        obligation: Option<ObligationId>,
        /// The value date.
        effective_on: NaiveDate,
        /// The amount credited, positive.
        amount: Money,
        /// Why.
        reason: CreditNoteReason,
        /// The credit note's number in the creditor's books, if any (kept in the audit log).
        external_ref: Option<String>,
    },
    /// Runs the detectors of the policy's `[detectors]` section for every debtor with a
    /// credit standing as of a day, and records each signal that is raised or cleared
    /// (issue 18 point 3). The cycle runs it after its accounts under the key
    /// `detect-signals:DATE`; a second run of a day changes nothing.
    DetectSignals {
        /// The day.
        as_of: NaiveDate,
    },
    /// Records a contact made to the debtor outside this store's outbox (a letter sent by
    /// hand, a call from another system, or a contact carried over when the debtor moves
    /// between shards): it enters the contact history the guardrails and the strategies read,
    /// so contact caps count it. Checked as [`Command::RecordInbound`] is; nothing is sent.
    RecordOutbound {
        /// The debtor.
        debtor: DebtorId,
        /// The accounts it was about (the debtor's).
        accounts: Vec<AccountId>,
        /// The channel.
        channel: ContactChannel,
        /// The address it went to.
        address: String,
        /// When.
        at: DateTime<Utc>,
        /// What happened (`no_answer`, `right_party`, `promise_captured`...).
        outcome: ContactOutcome,
    },
    /// Sets a debtor's whole credit standing as given: the granted and in-force limits and
    /// terms, refuse to trade (and whether by hand), the grant day, the last review's mark and
    /// the detectors' mark. For a standing carried from another store (a debtor moved between
    /// shards, docs/SCALE.md); [`Command::SetCreditTerms`] is the command for setting terms by
    /// hand. The standing's `debtor` is the debtor it is set on; it is checked as `verify`
    /// checks a standing (limits not negative, the one in force at most the granted one, both
    /// terms valid and those in force at least as strict, the last review not before the
    /// grant), and anything else is [`CommandError::Invalid`](crate::CommandError::Invalid).
    SetCreditStanding {
        /// The standing.
        standing: arrears_core::credit::CreditStanding,
    },
    /// Takes back whole a charge that should not have been made (a fee charged in error): the
    /// money that paid it goes back to the payments it came from, as unapplied cash that then
    /// pays what else is owed; what it still owed is forgiven (docs/LEDGER.md,
    /// `charge_withdrawn`). The engine records the same event when a payment dated in time
    /// shows a late fee unearned (docs/COLLECTIONS.md, step 4). Refused on a charged-off
    /// account and on an obligation that owes nothing and that no payment paid.
    WithdrawCharge {
        /// The account.
        account: AccountId,
        /// The obligation taken back.
        obligation: ObligationId,
        /// The value date: on or after the obligation's issue.
        effective_on: NaiveDate,
    },
    /// Pays money back to the debtor out of the account's unapplied cash: an overpayment, or
    /// a credit balance the debtor asked to have refunded (12 CFR 1026.11(a)). The refund is
    /// its own obligation of kind `refund`, settled at once by the unapplied cash, oldest
    /// payment first (docs/LEDGER.md, `refund`): should a payment it came from be returned
    /// later, the debtor owes that part back on it. Refused above the unapplied cash the
    /// account holds and on a charged-off account.
    Refund {
        /// The account.
        account: AccountId,
        /// The day the money left.
        effective_on: NaiveDate,
        /// The amount paid back, positive.
        amount: Money,
        /// The refund's reference in the creditor's books or its bank (unique among the
        /// obligations' references), if any.
        external_ref: Option<String>,
    },
    /// Records that forbearance was considered for an account's debt before enforcement
    /// (Directive (EU) 2023/2225 art. 35(1)): an offer made outside the engine, or a documented
    /// reason why none was made. Sets the case's forbearance fact
    /// (`CollectionCase::forbearance`, measure `assessed`), which the compliance guardrails read
    /// as `Flags::forbearance_assessed`; the engine sets it itself when it records a hardship,
    /// a plan or a settlement offer. The reason is kept in the command's audit record.
    RecordForbearanceAssessed {
        /// The account.
        account: AccountId,
        /// The day forbearance was assessed: on or after the account opened.
        on: NaiveDate,
        /// What was offered, or why nothing was (1 to 256 bytes).
        reason: String,
    },
}

/// How a payment was made ([`Command::ChannelPayment`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentChannel {
    /// A card, in person, online or taken by an agent over the phone.
    Card,
    /// A bank transfer.
    BankTransfer,
    /// A direct debit the debtor authorised.
    DirectDebit,
    /// Cash at a counter.
    Cash,
    /// A cheque.
    Check,
    /// Through the payment link of an outbox action (docs/MESSAGES.md).
    PaymentLink,
}

impl PaymentChannel {
    /// Every channel, in the order of its encoding (append new ones at the end).
    pub const ALL: [PaymentChannel; 6] = [
        PaymentChannel::Card,
        PaymentChannel::BankTransfer,
        PaymentChannel::DirectDebit,
        PaymentChannel::Cash,
        PaymentChannel::Check,
        PaymentChannel::PaymentLink,
    ];

    /// The name as written in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PaymentChannel::Card => "card",
            PaymentChannel::BankTransfer => "bank_transfer",
            PaymentChannel::DirectDebit => "direct_debit",
            PaymentChannel::Cash => "cash",
            PaymentChannel::Check => "check",
            PaymentChannel::PaymentLink => "payment_link",
        }
    }
}

/// The longest bank rules text [`Command::SetBankRules`] keeps, in bytes.
pub const BANK_RULES_LEN_MAX: usize = 256 * 1024;

/// What [`Command::ChangeRestrictions`] changes: each field given replaces the stored value;
/// at least one must be given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionChanges {
    /// Contact at work is prohibited.
    pub work_contact_prohibited: Option<bool>,
    /// The debtor was served in a collection suit.
    pub litigation_served: Option<bool>,
    /// The debtor's prior consent to be called, given at an instant or cleared.
    pub call_consent: Option<CallConsent>,
    /// The channels the debtor asked not to be used at all (the whole list).
    pub opted_out_channels: Option<Vec<ContactChannel>>,
}

/// A change of the debtor's prior consent to be called ([`RestrictionChanges`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallConsent {
    /// Given at this instant.
    GivenAt(DateTime<Utc>),
    /// Withdrawn: no consent from now on.
    Cleared,
}

/// What an agent records after working an item ([`Command::RecordWork`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkDone {
    /// The agent (it must hold the item's claim).
    pub agent: String,
    /// The item: the account worked.
    pub account: AccountId,
    /// The outcome code.
    pub code: arrears_core::work::WorkOutcomeCode,
    /// When.
    pub at: DateTime<Utc>,
    /// The promised dated amounts: required for `promise`, refused for any other code.
    pub promise: Vec<PromiseLine>,
    /// The first day to work the item again (required for `callback`; by default the day
    /// after the last promised payment for `promise`, else the next day).
    pub next_action_on: Option<NaiveDate>,
    /// The debtor's address the agent used (required for `wrong_party`, whose address is
    /// removed); the contact enters the debtor's history.
    pub address: Option<String>,
    /// A note for the debtor's notes, if any.
    pub note: Option<String>,
}

/// When and how a debtor gave or withdrew consent ([`Command::SetContactPoint`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvidence {
    /// When.
    pub at: DateTime<Utc>,
    /// How (`web form`, `recorded call`...).
    pub source: String,
}

/// The fields of a debtor that [`Command::UpdateDebtor`] changes: each one given replaces the
/// stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtorChanges {
    /// The display name.
    pub name: Option<String>,
    /// The jurisdiction (country and region).
    pub jurisdiction: Option<Jurisdiction>,
    /// The language (BCP 47).
    pub language: Option<String>,
    /// The candidate IANA time zones.
    pub time_zones: Option<Vec<String>>,
}

/// One dated amount of a promise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseLine {
    /// The promised date.
    pub on: NaiveDate,
    /// The amount.
    pub amount: Money,
}

/// A payment plan to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPlan {
    /// The account.
    pub account: AccountId,
    /// When created.
    pub created_on: NaiveDate,
    /// Number of installments.
    pub installments: u32,
    /// Their frequency.
    pub frequency: arrears_core::plan::Frequency,
    /// The first due date.
    pub first_due: NaiveDate,
    /// Annual interest rate of the plan (zero for none).
    #[serde(deserialize_with = "arrears_core::money::deserialize_plain_decimal")]
    pub annual_rate: rust_decimal::Decimal,
    /// The debtor's stated monthly income.
    pub monthly_income: Money,
    /// The debtor's stated monthly expenses.
    pub monthly_expenses: Money,
}

/// A sticky flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The debtor asked that communication cease.
    CeaseCommunication,
    /// The debtor is represented by an attorney.
    AttorneyRepresented,
    /// A bankruptcy was filed (a stay is in force).
    BankruptcyFiled,
    /// The bankruptcy was discharged: the stay ends, and the debtor's accounts of that day
    /// may never be collected again (their cases keep `bankruptcy_discharged`; an account
    /// opened later is a new debt, not discharged).
    BankruptcyDischarged,
    /// The debtor died.
    Deceased,
    /// The bankruptcy case was dismissed (or the stay lifted) without a discharge: the stay
    /// ends and collection may resume.
    BankruptcyDismissed,
    /// The attorney flag is cleared: the attorney no longer represents the debtor, or an
    /// exception of FDCPA 1692c(a)(2) applies (the attorney fails to respond within a
    /// reasonable time, or consents to direct communication): the integrator's judgement.
    /// Contact with the consumer may resume; the attorney's details are forgotten.
    AttorneyWithdrawn,
}

impl Command {
    /// Every date the command carries, by field name (the dates of an acknowledgement's
    /// instant included), for the check of the supported range.
    pub(crate) fn dates(&self) -> Vec<(&'static str, NaiveDate)> {
        match self {
            Command::CreateDebtor(_) | Command::SetPolicy { .. } => Vec::new(),
            Command::OpenAccount(new) => vec![("opened_on", new.opened_on)],
            Command::Charge(new) => vec![("issued_on", new.issued_on), ("due_on", new.due_on)],
            Command::Fee { effective_on, due_on, .. } => {
                vec![("effective_on", *effective_on), ("due_on", *due_on)]
            }
            Command::Payment { effective_on, .. }
            | Command::ChannelPayment { effective_on, .. }
            | Command::Reversal { effective_on, .. }
            | Command::Waiver { effective_on, .. }
            | Command::CreditNote { effective_on, .. }
            | Command::WithdrawCharge { effective_on, .. }
            | Command::Refund { effective_on, .. }
            | Command::Adjustment { effective_on, .. }
            | Command::ChargeOff { effective_on, .. }
            | Command::Dispute { effective_on, .. } => vec![("effective_on", *effective_on)],
            Command::AccrueInterest { through_on, due_on, .. } => {
                vec![("through_on", *through_on), ("due_on", *due_on)]
            }
            Command::Promise { made_on, payments, .. } => std::iter::once(("made_on", *made_on))
                .chain(payments.iter().map(|line| ("payments.on", line.on)))
                .collect(),
            Command::CreatePlan(plan) => {
                vec![("created_on", plan.created_on), ("first_due", plan.first_due)]
            }
            Command::OfferSettlement { offered_on, .. } => vec![("offered_on", *offered_on)],
            Command::AcceptSettlement { accepted_on, .. } => vec![("accepted_on", *accepted_on)],
            Command::GrantHardship { on, until, .. } => vec![("on", *on), ("until", *until)],
            Command::OpenDispute { on, .. }
            | Command::ResolveDispute { on, .. }
            | Command::EndHardship { on, .. }
            | Command::Place { on, .. }
            | Command::Recall { on, .. }
            | Command::ReferToLegal { on, .. }
            | Command::SetFlag { on, .. }
            | Command::Close { on, .. }
            | Command::Reopen { on, .. }
            | Command::ReverseChargeOff { on, .. }
            | Command::RecordForbearanceAssessed { on, .. } => vec![("on", *on)],
            Command::Acknowledge { at, .. } => vec![("at", at.date_naive())],
            Command::SetContactPoint { .. }
            | Command::RemoveContactPoint { .. }
            | Command::UpdateDebtor { .. }
            | Command::SetContactRestrictions { .. } => Vec::new(),
            Command::SetAttorney { attorney, .. } => vec![("attorney.since", attorney.since)],
            Command::DecideCredit { application } => {
                vec![("application.applied_on", application.applied_on)]
            }
            Command::SetCreditTerms { effective_on, .. } => vec![("effective_on", *effective_on)],
            Command::ReviewCredit { as_of } | Command::DetectSignals { as_of } => {
                vec![("as_of", *as_of)]
            }
            Command::ReportSignal { report, .. } => {
                let mut dates = vec![("report.observed_on", report.observed_on)];
                dates.extend(report.expires_on.map(|on| ("report.expires_on", on)));
                dates
            }
            Command::ChangeRestrictions { changes, .. } => match changes.call_consent {
                Some(CallConsent::GivenAt(at)) => vec![("call_consent", at.date_naive())],
                _ => Vec::new(),
            },
            Command::AddNote { note, .. } => vec![("note.at", note.at.date_naive())],
            Command::SetLimitationDate { on, .. } => on.iter().map(|on| ("on", *on)).collect(),
            Command::RecordInbound { at, .. }
            | Command::MarkSent { at, .. }
            | Command::RequestCallback { at, .. } => {
                vec![("at", at.date_naive())]
            }
            Command::DefineTeam(_)
            | Command::DefineAgent(_)
            | Command::RegisterPayerAccount { .. }
            | Command::RemovePayerAccount { .. }
            | Command::SetBankRules { .. } => Vec::new(),
            Command::RecordBankMatch { value_on, .. } => vec![("value_on", *value_on)],
            Command::ReceiveCash { line } => vec![("line.value_on", line.value_on)],
            Command::ApplyCash { effective_on, .. } | Command::ReturnCash { effective_on, .. } => {
                vec![("effective_on", *effective_on)]
            }
            Command::RecordOutbound { at, .. } => vec![("at", at.date_naive())],
            Command::SetCreditStanding { standing } => {
                std::iter::once(("standing.granted_on", standing.granted_on))
                    .chain(
                        standing
                            .last_review
                            .as_ref()
                            .map(|mark| ("standing.last_review", mark.reviewed_on)),
                    )
                    .collect()
            }
            Command::RecordWork(done) => std::iter::once(("at", done.at.date_naive()))
                .chain(done.next_action_on.map(|on| ("next_action_on", on)))
                .chain(done.promise.iter().map(|line| ("promise.on", line.on)))
                .collect(),
        }
    }

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
            Command::Promise { .. } => "promise",
            Command::CreatePlan(_) => "create_plan",
            Command::OfferSettlement { .. } => "offer_settlement",
            Command::AcceptSettlement { .. } => "accept_settlement",
            Command::OpenDispute { .. } => "open_dispute",
            Command::ResolveDispute { .. } => "resolve_account_dispute",
            Command::GrantHardship { .. } => "grant_hardship",
            Command::EndHardship { .. } => "end_hardship",
            Command::Place { .. } => "place",
            Command::Recall { .. } => "recall",
            Command::ReferToLegal { .. } => "refer_to_legal",
            Command::SetFlag { .. } => "set_flag",
            Command::Close { .. } => "close",
            Command::Reopen { .. } => "reopen",
            Command::Acknowledge { .. } => "acknowledge",
            Command::SetPolicy { .. } => "set_policy",
            Command::ReverseChargeOff { .. } => "reverse_charge_off",
            Command::SetContactPoint { .. } => "set_contact_point",
            Command::RemoveContactPoint { .. } => "remove_contact_point",
            Command::UpdateDebtor { .. } => "update_debtor",
            Command::RecordInbound { .. } => "record_inbound",
            Command::MarkSent { .. } => "mark_sent",
            Command::RequestCallback { .. } => "request_callback",
            Command::SetContactRestrictions { .. } => "set_contact_restrictions",
            Command::AddNote { .. } => "add_note",
            Command::SetLimitationDate { .. } => "set_limitation_date",
            Command::SetAttorney { .. } => "set_attorney",
            Command::ChangeRestrictions { .. } => "change_restrictions",
            Command::ReportSignal { .. } => "report_signal",
            Command::DefineTeam(_) => "define_team",
            Command::DefineAgent(_) => "define_agent",
            Command::RecordWork(_) => "record_work",
            Command::ReceiveCash { .. } => "receive_cash",
            Command::ApplyCash { .. } => "apply_cash",
            Command::ChannelPayment { .. } => "channel_payment",
            Command::DecideCredit { .. } => "decide_credit",
            Command::SetCreditTerms { .. } => "set_credit_terms",
            Command::ReviewCredit { .. } => "review_credit",
            Command::RegisterPayerAccount { .. } => "register_payer_account",
            Command::RemovePayerAccount { .. } => "remove_payer_account",
            Command::SetBankRules { .. } => "set_bank_rules",
            Command::ReturnCash { .. } => "return_cash",
            Command::RecordBankMatch { .. } => "record_bank_match",
            Command::CreditNote { .. } => "credit_note",
            Command::DetectSignals { .. } => "detect_signals",
            Command::RecordOutbound { .. } => "record_outbound",
            Command::SetCreditStanding { .. } => "set_credit_standing",
            Command::WithdrawCharge { .. } => "withdraw_charge",
            Command::Refund { .. } => "refund",
            Command::RecordForbearanceAssessed { .. } => "record_forbearance_assessed",
        }
    }

    /// The same command with every amount in canonical decimal form (`10.50` and `10.5` are
    /// the same amount), so that idempotency compares meaning, not spelling.
    pub(crate) fn canonical(&self) -> Command {
        fn money(value: &Money) -> Money {
            Money::new(value.amount().normalize(), value.currency())
        }
        fn canonical_terms(terms: &mut arrears_core::credit::CreditTerms) {
            terms.deposit_share = terms.deposit_share.normalize();
            terms.interest_rate = terms.interest_rate.normalize();
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
            | Command::CreditNote { amount, .. }
            | Command::Refund { amount, .. }
            | Command::Adjustment { amount, .. }
            | Command::ApplyCash { amount, .. }
            | Command::ReturnCash { amount, .. }
            | Command::ChannelPayment { amount, .. } => *amount = money(amount),
            Command::ReceiveCash { line } => line.amount = money(&line.amount),
            Command::DecideCredit { application } => {
                application.limit = money(&application.limit);
                canonical_terms(&mut application.terms);
            }
            Command::SetCreditTerms { limit, terms, .. } => {
                *limit = money(limit);
                canonical_terms(terms);
            }
            Command::SetCreditStanding { standing } => {
                canonical_terms(&mut standing.granted_terms);
                canonical_terms(&mut standing.terms);
            }
            Command::RecordBankMatch { amount, posted, .. } => {
                *amount = money(amount);
                *posted = money(posted);
            }
            Command::Promise { payments, .. } => {
                for line in payments {
                    line.amount = money(&line.amount);
                }
            }
            Command::CreatePlan(plan) => {
                plan.monthly_income = money(&plan.monthly_income);
                plan.monthly_expenses = money(&plan.monthly_expenses);
                plan.annual_rate = plan.annual_rate.normalize();
            }
            Command::OfferSettlement { amount, .. } => *amount = money(amount),
            Command::Place { commission_rate, .. } => {
                *commission_rate = commission_rate.normalize()
            }
            Command::Reversal { .. }
            | Command::WithdrawCharge { .. }
            | Command::AccrueInterest { .. }
            | Command::ChargeOff { .. }
            | Command::Dispute { .. }
            | Command::AcceptSettlement { .. }
            | Command::OpenDispute { .. }
            | Command::ResolveDispute { .. }
            | Command::GrantHardship { .. }
            | Command::EndHardship { .. }
            | Command::Recall { .. }
            | Command::ReferToLegal { .. }
            | Command::SetFlag { .. }
            | Command::Close { .. }
            | Command::Reopen { .. }
            | Command::Acknowledge { .. }
            | Command::SetPolicy { .. }
            | Command::ReverseChargeOff { .. }
            | Command::SetContactPoint { .. }
            | Command::RemoveContactPoint { .. }
            | Command::UpdateDebtor { .. }
            | Command::RecordInbound { .. }
            | Command::RecordOutbound { .. }
            | Command::MarkSent { .. }
            | Command::RequestCallback { .. }
            | Command::SetContactRestrictions { .. }
            | Command::AddNote { .. }
            | Command::SetLimitationDate { .. }
            | Command::RecordForbearanceAssessed { .. }
            | Command::SetAttorney { .. }
            | Command::ChangeRestrictions { .. }
            | Command::RegisterPayerAccount { .. }
            | Command::RemovePayerAccount { .. }
            | Command::SetBankRules { .. }
            | Command::ReportSignal { .. }
            | Command::DefineTeam(_)
            | Command::DefineAgent(_)
            | Command::ReviewCredit { .. }
            | Command::DetectSignals { .. } => {}
            Command::RecordWork(done) => {
                for line in &mut done.promise {
                    line.amount = money(&line.amount);
                }
            }
        }
        command
    }
}

/// What a collection command did to the account's case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseChanged {
    /// The account.
    pub account: AccountId,
    /// The state before.
    pub from: String,
    /// The state after.
    pub to: String,
    /// Ledger events recorded along (plan installments, undisputed obligations...).
    pub posted: Vec<Posted>,
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
    /// A collection command changed accounts' cases.
    Cases(Vec<CaseChanged>),
    /// An outbox action was acknowledged.
    Acknowledged {
        /// The action.
        action: u64,
        /// Accounts a `dispute_raised` outcome disputed (empty otherwise, or if the state
        /// machine refused the dispute).
        disputed: Vec<AccountId>,
    },
    /// The policy was replaced.
    PolicySet {
        /// Its name.
        name: String,
    },
    /// The command was refused; nothing was written.
    Rejected(Rejection),
    /// A debtor's contact points changed.
    DebtorUpdated {
        /// The debtor.
        debtor: DebtorId,
        /// Pending outbox actions cancelled because their address can no longer be used.
        cancelled: Vec<u64>,
    },
    /// An outbox action was reported sent.
    Sent {
        /// The action.
        action: u64,
        /// When it was sent (the first report's instant).
        at: DateTime<Utc>,
    },
    /// An outbox action was scheduled at the debtor's request.
    Scheduled {
        /// The action.
        action: u64,
    },
    /// A team or an agent was defined (its name or id).
    WorkDefined {
        /// The team's name or the agent's id.
        name: String,
    },
    /// An agent's outcome was recorded on a work item.
    Worked {
        /// The account.
        account: AccountId,
        /// The first day the item is worked again.
        next_action_on: Option<NaiveDate>,
        /// What the outcome did to the case (a promise, a dispute).
        cases: Vec<CaseChanged>,
    },
    /// A bank line was received into suspense.
    CashHeld {
        /// The line's bank reference.
        line: String,
        /// The amount held.
        held: Money,
    },
    /// The bank matching rules were replaced ([`Command::SetBankRules`]).
    BankRulesSet {
        /// The file they came from.
        file: String,
    },
    /// Part of a bank line held in suspense was returned ([`Command::ReturnCash`]).
    CashReturned {
        /// The line's bank reference.
        line: String,
        /// The amount returned.
        returned: Money,
        /// What the line still holds.
        held: Money,
    },
    /// How an imported line was matched was recorded ([`Command::RecordBankMatch`]).
    BankMatchRecorded {
        /// The line's bank reference.
        line: String,
    },
    /// A credit application was decided (`Arrears::credit_decision` reads it whole).
    CreditDecided {
        /// The decision's id.
        decision: u64,
        /// The verdict.
        verdict: arrears_core::credit::Verdict,
    },
    /// A debtor's credit limit and terms were set.
    CreditTermsSet {
        /// The debtor.
        debtor: DebtorId,
    },
    /// Credit standings were reviewed.
    CreditReviewed {
        /// Each review: the debtor, the review's sequence and what it did.
        reviews: Vec<ReviewDone>,
    },
    /// The detectors ran ([`Command::DetectSignals`]): the signals they raised or cleared.
    SignalsDetected {
        /// Each change, by debtor in id order, then detector order.
        changes: Vec<SignalChanged>,
    },
}

/// One change of [`Outcome::SignalsDetected`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalChanged {
    /// The debtor.
    pub debtor: DebtorId,
    /// The signal.
    pub signal: arrears_core::policy::Signal,
    /// The detector (`detector:buying_pattern`), the signal's source.
    pub source: String,
    /// True if and only if the signal was raised; false: cleared.
    pub raised: bool,
    /// The figures that fired it (for a raise), or that no longer do (for a clear).
    pub evidence: String,
}

/// One review of [`Outcome::CreditReviewed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDone {
    /// The debtor.
    pub debtor: DebtorId,
    /// The review's sequence among the debtor's (`Arrears::credit_reviews` reads it).
    pub seq: u64,
    /// What it did.
    pub action: arrears_core::credit::ReviewAction,
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
    /// The obligation created, for charges, fees, interest and refunds.
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
    /// The collection state machine refuses the event in the account's state.
    #[error("{} is not accepted in state {}: {reason}", event.name(), state.name())]
    State {
        /// The account's state.
        state: arrears_core::collection::CollectionState,
        /// The event refused.
        event: arrears_core::collection::CollectionEvent,
        /// Why (docs/STATE_MACHINE.md lists every reason).
        reason: arrears_core::collection::RefusalReason,
    },
    /// A rule of the policy refuses the command, with its figures.
    #[error("policy {rule}: {0}", rule = .0.rule())]
    Policy(PolicyRefusal),
    /// New credit (a principal charge of a kind that extends credit, an invoice) is refused
    /// while the account's stage holds credit; installments, statements, fees and interest are
    /// billed as before.
    #[error("credit hold: new credit is refused while the account is in stage {stage}")]
    CreditHold {
        /// The stage holding credit.
        stage: String,
    },
    /// The action was already acknowledged (under another key).
    #[error("action {action} was already acknowledged")]
    AlreadyAcknowledged {
        /// The action.
        action: u64,
    },
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
    /// A payment dated after the day it is recorded, beyond the policy's horizon
    /// (`[dates] future_days_max`): a payment scheduled in the future is a promise, not a
    /// payment (record it with [`Command::Promise`], and the payment on the day it arrives).
    #[error(
        "payment dated {effective_on} is {days_ahead} days after the day it is recorded \
         ({recorded_on}), beyond the policy's horizon of {future_days_max} days ([dates] \
         future_days_max): a payment scheduled in the future is a promise, not a payment"
    )]
    PaymentAhead {
        /// The payment's value date.
        effective_on: NaiveDate,
        /// The day the engine records it (the UTC date of its clock's instant).
        recorded_on: NaiveDate,
        /// Days from `recorded_on` to `effective_on`.
        days_ahead: i64,
        /// The policy's horizon.
        future_days_max: u32,
    },
    /// The bank line was already received (under another idempotency key).
    #[error("bank line {line:?} was already received")]
    BankLineReceived {
        /// The line's bank reference.
        line: String,
    },
    /// Applying more than the bank line still holds in suspense.
    #[error("bank line {line:?} holds {held_minor} in suspense, {asked_minor} was asked")]
    SuspenseShort {
        /// The line's bank reference.
        line: String,
        /// What it still holds, in minor units.
        held_minor: i64,
        /// What was asked, in minor units.
        asked_minor: i64,
    },
    /// New business with the debtor is refused (its credit standing says refuse to trade):
    /// a new account, or new credit on an account.
    #[error("debtor {debtor} is refused new business (refuse to trade)")]
    RefusedToTrade {
        /// The debtor.
        debtor: DebtorId,
    },
    /// A rule of the compliance guardrails of the debtor's jurisdiction forbids what the
    /// command would do: a legal referral is a suit (`ActionKind::Suit`), which Spain's
    /// `es.forbearance-before-enforcement` forbids until forbearance was assessed
    /// ([`Command::RecordForbearanceAssessed`]). Asked after the state machine accepted the
    /// event.
    #[error("compliance rule {rule} forbids a {}: {reason}", action.name())]
    Guardrail {
        /// The action the command would take.
        action: arrears_core::compliance::ActionKind,
        /// The id of the first blocking rule.
        rule: String,
        /// The rule's legal citation.
        citation: String,
        /// The decision's reason: the rule's summary, what blocked, its citation and status.
        reason: String,
    },
    /// A refund dated after the day it is recorded, beyond the policy's horizon (`[dates]
    /// future_days_max`): money leaves on the day it is refunded, and a refund is recorded
    /// then, like a payment ([`Rejection::PaymentAhead`]).
    #[error(
        "refund dated {effective_on} is {days_ahead} days after the day it is recorded \
         ({recorded_on}), beyond the policy's horizon of {future_days_max} days ([dates] \
         future_days_max): record a refund on the day the money leaves"
    )]
    RefundAhead {
        /// The refund's value date.
        effective_on: NaiveDate,
        /// The day the engine records it (the UTC date of its clock's instant).
        recorded_on: NaiveDate,
        /// Days from `recorded_on` to `effective_on`.
        days_ahead: i64,
        /// The policy's horizon.
        future_days_max: u32,
    },
}

impl Rejection {
    /// The refusal as a person reads it, with amounts in `currency` (the account's) where the
    /// refusal's fields and its `Display` hold minor units: `installment costs 71.64 USD a
    /// month` rather than `7164`. Refusals without amounts read as their `Display`.
    ///
    /// ```
    /// use arrears::money::Currency;
    /// use arrears::plan::Unaffordable;
    /// use arrears::{PolicyRefusal, Rejection};
    /// let refusal = Rejection::Policy(PolicyRefusal::PlanUnaffordable(
    ///     Unaffordable::AboveAffordableShare {
    ///         monthly_minor: 7164,
    ///         affordable_minor: 400,
    ///         share: "0.40".parse()?,
    ///         disposable_minor: 1000,
    ///     },
    /// ));
    /// assert_eq!(
    ///     refusal.describe(Currency::USD),
    ///     "policy plan.affordable_share: installment costs 71.64 USD a month, above the \
    ///      affordable 4.00 USD (0.40 of disposable 10.00 USD)"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe(&self, currency: Currency) -> String {
        use arrears_core::ledger::Rejection as Ledger;
        use arrears_core::plan::{PromiseRefused, QuoteError, Unaffordable};
        let m = |amount_minor: i64| arrears_core::money::format_minor(amount_minor, currency);
        let c = |amount_minor: i64| format!("{} {currency}", m(amount_minor));
        let policy = match self {
            Rejection::Ledger(ledger) => {
                return match ledger {
                    Ledger::AmountNotPositive { field, amount_minor } => {
                        format!("{field} must be positive, got {}", m(*amount_minor))
                    }
                    Ledger::AmountTooLarge { field, amount_minor } => format!(
                        "{field} of {} exceeds the maximum of {}",
                        m(*amount_minor),
                        m(arrears_core::money::AMOUNT_MINOR_MAX)
                    ),
                    Ledger::CreditLimitExceeded {
                        limit_minor,
                        outstanding_minor,
                        requested_minor,
                    } => format!(
                        "credit limit exceeded: {} outstanding + {} requested > limit {}",
                        m(*outstanding_minor),
                        m(*requested_minor),
                        c(*limit_minor)
                    ),
                    Ledger::ExceedsOutstanding {
                        obligation,
                        component,
                        outstanding_minor,
                        requested_minor,
                    } => format!(
                        "{} requested but only {} outstanding on {obligation} {}",
                        c(*requested_minor),
                        m(*outstanding_minor),
                        component.name()
                    ),
                    Ledger::CreditNoteExceedsOwed { obligation, owed_minor, requested_minor } => {
                        let owed_by = match obligation {
                            Some(obligation) => format!("on {obligation}"),
                            None => "on the open obligations".to_owned(),
                        };
                        format!(
                            "credit note of {} but only {} principal owed {owed_by}",
                            c(*requested_minor),
                            m(*owed_minor)
                        )
                    }
                    Ledger::RefundExceedsUnapplied { unapplied_minor, requested_minor } => {
                        format!(
                            "refund of {} but only {} unapplied cash held",
                            c(*requested_minor),
                            m(*unapplied_minor)
                        )
                    }
                    other => other.to_string(),
                };
            }
            Rejection::Policy(refusal) => refusal,
            Rejection::SuspenseShort { line, held_minor, asked_minor } => {
                return format!(
                    "bank line {line:?} holds {} in suspense, {} was asked",
                    c(*held_minor),
                    m(*asked_minor)
                )
            }
            other => return other.to_string(),
        };
        let reason = match policy {
            PolicyRefusal::Promise(PromiseRefused::AmountNotPositive { on, amount_minor }) => {
                format!("promised amount {} on {on} is not positive", c(*amount_minor))
            }
            PolicyRefusal::Promise(PromiseRefused::BelowMinimumShare {
                total_minor,
                min_minor,
                share,
                past_due_minor,
            }) => format!(
                "promised total {} is below {} ({share} of past due {})",
                c(*total_minor),
                c(*min_minor),
                c(*past_due_minor)
            ),
            PolicyRefusal::PlanQuote(QuoteError::Balance { balance_minor }) => format!(
                "balance must be positive and at most {}, got {}",
                c(arrears_core::money::AMOUNT_MINOR_MAX),
                c(*balance_minor)
            ),
            PolicyRefusal::PlanMinInstallment { installment_minor, min_minor } => {
                format!("installment {} below the minimum {}", c(*installment_minor), c(*min_minor))
            }
            PolicyRefusal::PlanUnaffordable(Unaffordable::NoDisposableIncome {
                income_minor,
                expenses_minor,
            }) => format!(
                "no disposable income: income {}, expenses {} a month",
                c(*income_minor),
                c(*expenses_minor)
            ),
            PolicyRefusal::PlanUnaffordable(Unaffordable::AboveAffordableShare {
                monthly_minor,
                affordable_minor,
                share,
                disposable_minor,
            }) => format!(
                "installment costs {} a month, above the affordable {} ({share} of disposable {})",
                c(*monthly_minor),
                c(*affordable_minor),
                c(*disposable_minor)
            ),
            PolicyRefusal::SettlementShare { offered_minor, min_minor, share, owed_minor } => {
                format!(
                    "{} offered, at least {} ({share} of {} owed) required",
                    c(*offered_minor),
                    c(*min_minor),
                    c(*owed_minor)
                )
            }
            PolicyRefusal::SettlementNotLess { offered_minor, owed_minor } => {
                format!("{} is not less than the {} owed", c(*offered_minor), c(*owed_minor))
            }
            other => other.to_string(),
        };
        format!("policy {}: {reason}", policy.rule())
    }
}

/// A policy rule that refuses a command: one variant per rule, with the figures it compared.
/// [`PolicyRefusal::rule`] names the policy file's key the refusal comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PolicyRefusal {
    /// The promise's dated amounts break `[promise]` (`max_days_out`, `min_share`...).
    #[error(transparent)]
    Promise(arrears_core::plan::PromiseRefused),
    /// A promise is open and `promise.max_open` is 1.
    #[error("a promise made on {made_on} is still open")]
    PromiseOpen {
        /// When the open promise was made.
        made_on: NaiveDate,
    },
    /// The open promise and the new one would hold more dated amounts than `promise.max_open`
    /// allows (eight per open promise).
    #[error("{asked} promised amounts would be open, at most {allowed} allowed")]
    PromiseAmounts {
        /// Dated amounts that would be open.
        asked: usize,
        /// The most allowed.
        allowed: usize,
    },
    /// More installments than `plan.max_installments`.
    #[error("{asked} installments asked, at most {allowed} allowed")]
    PlanInstallments {
        /// Installments asked.
        asked: u32,
        /// The most allowed.
        allowed: u32,
    },
    /// A frequency `plan.frequencies` does not offer.
    #[error("{} plans are not offered", frequency.name())]
    PlanFrequency {
        /// The frequency asked.
        frequency: arrears_core::plan::Frequency,
    },
    /// A rate above `plan.max_annual_rate`.
    #[error("rate {asked} above the maximum {allowed}")]
    PlanRate {
        /// The annual rate asked.
        asked: rust_decimal::Decimal,
        /// The maximum.
        allowed: rust_decimal::Decimal,
    },
    /// The plan cannot be quoted (balance, installments, rate).
    #[error(transparent)]
    PlanQuote(arrears_core::plan::QuoteError),
    /// The level installment is below `plan.min_installment`.
    #[error("installment {installment_minor} below the minimum {min_minor}")]
    PlanMinInstallment {
        /// The quoted installment, in minor units.
        installment_minor: i64,
        /// The minimum, in minor units.
        min_minor: i64,
    },
    /// The installment takes more of the debtor's disposable income than
    /// `plan.affordable_share`.
    #[error(transparent)]
    PlanUnaffordable(arrears_core::plan::Unaffordable),
    /// `settlement.min_share` offers no settlement in the account's stage.
    #[error("no settlement is offered in stage {stage}")]
    SettlementNotOffered {
        /// The stage (`charged_off` after a charge-off, `none` without a stage).
        stage: String,
    },
    /// The amount is below the stage's `settlement.min_share` of what is owed.
    #[error(
        "{offered_minor} offered, at least {min_minor} ({share} of {owed_minor} owed) required"
    )]
    SettlementShare {
        /// The amount offered, in minor units.
        offered_minor: i64,
        /// The least acceptable, in minor units.
        min_minor: i64,
        /// The stage's minimum share.
        share: rust_decimal::Decimal,
        /// What is owed, in minor units.
        owed_minor: i64,
    },
    /// A settlement must be less than what is owed.
    #[error("{offered_minor} is not less than the {owed_minor} owed")]
    SettlementNotLess {
        /// The amount offered, in minor units.
        offered_minor: i64,
        /// What is owed, in minor units.
        owed_minor: i64,
    },
    /// No settlement was offered, so none can be accepted.
    #[error("no settlement was offered")]
    NoSettlementOffer,
    /// The settlement was already accepted.
    #[error("the settlement was already accepted")]
    SettlementAccepted,
    /// Accepted outside the offer's days (`settlement.offer_expiry_days`).
    #[error("the offer of {offered_on} ran until {expires_on}, not {asked_on}")]
    SettlementExpired {
        /// When it was offered.
        offered_on: NaiveDate,
        /// Its last day.
        expires_on: NaiveDate,
        /// The acceptance date asked.
        asked_on: NaiveDate,
    },
}

impl PolicyRefusal {
    /// The policy rule that refuses, as the policy file names it (`promise.max_open`,
    /// `plan.affordable_share`, `settlement.min_share`...).
    pub fn rule(&self) -> &'static str {
        match self {
            PolicyRefusal::Promise(_) => "promise",
            PolicyRefusal::PromiseOpen { .. } | PolicyRefusal::PromiseAmounts { .. } => {
                "promise.max_open"
            }
            PolicyRefusal::PlanInstallments { .. } => "plan.max_installments",
            PolicyRefusal::PlanFrequency { .. } => "plan.frequencies",
            PolicyRefusal::PlanRate { .. } => "plan.max_annual_rate",
            PolicyRefusal::PlanQuote(_) => "plan.quote",
            PolicyRefusal::PlanMinInstallment { .. } => "plan.min_installment",
            PolicyRefusal::PlanUnaffordable(_) => "plan.affordable_share",
            PolicyRefusal::SettlementNotOffered { .. } | PolicyRefusal::SettlementShare { .. } => {
                "settlement.min_share"
            }
            PolicyRefusal::SettlementNotLess { .. }
            | PolicyRefusal::NoSettlementOffer
            | PolicyRefusal::SettlementAccepted => "settlement",
            PolicyRefusal::SettlementExpired { .. } => "settlement.offer_expiry_days",
        }
    }
}

/// A command's result, with whether it was a replay of an earlier execution.
///
/// A refusal is a receipt too (its outcome is [`Outcome::Rejected`]), so a receipt must be
/// looked at: [`Receipt::accepted`] turns a refusal into an `Err`, for callers that treat
/// every refusal as a failure.
///
/// ```
/// use arrears::{Command, Rejection};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("books.redb");
/// # let (_debtor, account) = arrears::doc_fixture(&path)?;
/// let books = arrears::Arrears::open(&path)?;
/// // Reopening an account that is not closed is refused, and `accepted` says so.
/// let reopen = Command::Reopen { account, on: "2026-02-10".parse()? };
/// let refused = books.execute("reopen-1", &reopen)?.accepted();
/// assert!(matches!(refused, Err(Rejection::State { .. })));
/// // With `?`, the refusal is the caller's error.
/// let failed = || -> Result<(), Box<dyn std::error::Error>> {
///     books.execute("reopen-1", &reopen)?.accepted()?;
///     Ok(())
/// };
/// assert!(failed().unwrap_err().to_string().starts_with("reopen is not accepted"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Dropping a receipt is a warning (`unused_must_use`), here denied, so this does not
/// compile:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("books.redb");
/// # let (_debtor, account) = arrears::doc_fixture(&path)?;
/// let books = arrears::Arrears::open(&path)?;
/// books.execute("close", &arrears::Command::Close { account, on: "2026-02-01".parse()? })?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use = "a refused command returns a receipt too: look at its outcome, or call `accepted()?`"]
pub struct Receipt {
    /// What the command did (for a replay: what it did the first time).
    pub outcome: Outcome,
    /// True if and only if the key had already been executed with the same command.
    pub replayed: bool,
}

impl Receipt {
    /// The outcome of an accepted command, or the refusal as an `Err`.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] if the command was refused (for a replay: refused the first time).
    pub fn accepted(self) -> Result<Outcome, Rejection> {
        match self.outcome {
            Outcome::Rejected(rejection) => Err(rejection),
            outcome => Ok(outcome),
        }
    }
}

mod rows;

#[cfg(test)]
mod tests;
