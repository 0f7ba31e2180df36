//! The collection case of an account: its state, sticky flags, stage, and the agreements in
//! force (promise, plan, settlement, placement), as the engine keeps them between reviews.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::collection::{CollectionState, StickyFlags};
use crate::ids::{AccountId, ObligationId};
use crate::model::ContactChannel;
use crate::plan::{Frequency, PromisedPayment};

/// Days a broken promise stays a signal for stage selection.
pub const BROKEN_PROMISE_SIGNAL_DAYS: i64 = 60;

/// An account's collection case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionCase {
    /// The account.
    pub account: AccountId,
    /// The state.
    pub state: CollectionState,
    /// Sticky flags.
    pub flags: StickyFlags,
    /// The policy stage the account is in, by name, if any.
    pub stage: Option<String>,
    /// When it entered that stage.
    pub stage_entered_on: Option<NaiveDate>,
    /// The champion/challenger arm, fixed when the case is opened.
    pub arm: String,
    /// The next day the cycle reviews the account.
    pub next_review_on: NaiveDate,
    /// The last day the cycle reviewed it.
    pub last_review_on: Option<NaiveDate>,
    /// The latest date any decision on the case was taken as of. A command dated earlier (a
    /// back-dated payment) is decided as of this date, so the state always reflects the
    /// latest known day.
    pub decided_on: NaiveDate,
    /// The open promise to pay, if any.
    pub promise: Option<PromiseRecord>,
    /// The active payment plan, if any.
    pub plan: Option<PlanRecord>,
    /// The settlement offered or accepted, if any.
    pub settlement: Option<SettlementRecord>,
    /// The agency placement, if placed.
    pub placement: Option<Placement>,
    /// True if and only if new credit (an invoice's principal) is refused (a stage's credit
    /// hold); installments and statements of credit already extended are billed as before.
    pub credit_hold: bool,
    /// Promises broken, ever.
    pub broken_promises: u32,
    /// When the last promise was broken (the `broken_promise` signal lasts
    /// [`BROKEN_PROMISE_SIGNAL_DAYS`] days).
    pub promise_broken_on: Option<NaiveDate>,
    /// Promises kept, ever.
    pub kept_promises: u32,
    /// Contact steps of the current stage already issued, by step index.
    pub steps_issued: Vec<u32>,
    /// Obligations a late fee was already assessed for (one fee per obligation).
    pub late_fees_assessed: Vec<ObligationId>,
    /// The states the holds in force interrupted, the oldest first: what the case returns to
    /// when its dispute or hardship ends (`collection::transition_with_holds`). Empty unless
    /// the state is a hold. Appended in case record version 3; a record of an older version
    /// reads as empty, so its hold ends in the derived state as it did when it was written.
    pub interrupted: Vec<CollectionState>,
    /// The monthly income and expenses the debtor stated when the last plan on this account
    /// was created, in the account's currency. The debtor's capacity to pay is the most recent
    /// statement among the debtor's accounts in a currency. Appended in case record version 3;
    /// older records read as none.
    pub capacity: Option<StatedCapacity>,
    /// The day the statute of limitations runs on the debt (`Command::SetLimitationDate`):
    /// from that day the cycle's review marks the case time-barred (its sticky flag, which
    /// the compliance guardrails read). Appended in case record version 3; older records read
    /// as none.
    pub time_barred_on: Option<NaiveDate>,
    /// The account's latest score from the cycle (its arm's scorer, or the fallback), kept
    /// for what reads it between cycles (the work queues' expected recovery). Appended in case
    /// record version 4; older records read as none until the next scored review.
    pub score: Option<CaseScore>,
    /// The day the account was last recalled from its agency (`Command::Recall`): the cycle
    /// does not place it again by policy in the stage it was recalled in. Appended in case
    /// record version 5; older records read as none.
    pub recalled_on: Option<NaiveDate>,
    /// The late fees the cycle assessed and may still reverse, one for each obligation it
    /// charged late (see [`LateFeeCharge`]), of the last [`LATE_FEE_LINK_DAYS`] days before
    /// the latest assessment. Appended in case record version 5; older records read as empty
    /// (their fees stand as assessed).
    pub late_fee_charges: Vec<LateFeeCharge>,
    /// The last forbearance measure recorded on the case, if any: the fact that forbearance
    /// was considered for the account before enforcement (Directive (EU) 2023/2225 art.
    /// 35(1)), which the compliance guardrails read as `Flags::forbearance_assessed`. Set by
    /// the engine when it records a measure itself (a hardship granted, a payment plan, a
    /// settlement offered) and by `Command::RecordForbearanceAssessed` (an offer made outside
    /// the engine, or a documented reason); never cleared. Appended in case record version 7;
    /// older records read as none.
    pub forbearance: Option<ForbearanceRecord>,
    /// The day the case's latest hardship ended: the first day out of it (the day after its
    /// `until`, or the day it was ended early). A payment holiday defers what fell due before
    /// it ended, so an obligation due before this day is late for a late fee only once the
    /// account's grace days after it have passed, not from its own due date: no fee for an
    /// installment missed during the holiday. Set by the engine when the case leaves a
    /// hardship; never cleared (a later hardship moves it). Appended in case record version 8;
    /// older records read as none.
    pub hardship_ended_on: Option<NaiveDate>,
}

/// A forbearance measure recorded on a case ([`CollectionCase::forbearance`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForbearanceRecord {
    /// The day the measure was recorded as of.
    pub on: NaiveDate,
    /// What it was.
    pub measure: ForbearanceMeasure,
}

/// The kinds of forbearance measure a case records. Stored: variants are appended, never
/// reordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForbearanceMeasure {
    /// A hardship granted (`Command::GrantHardship`): a payment holiday, instalments deferred.
    Hardship,
    /// A payment plan created (`Command::CreatePlan`): the debt rescheduled, the term
    /// extended.
    Plan,
    /// A settlement offered (`Command::OfferSettlement`): partial forgiveness.
    Settlement,
    /// Recorded by a person (`Command::RecordForbearanceAssessed`): an offer made outside the
    /// engine, or a documented reason why forbearance was considered and not offered.
    Assessed,
}

impl ForbearanceMeasure {
    /// The name as written in JSON and by the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ForbearanceMeasure::Hardship => "hardship",
            ForbearanceMeasure::Plan => "plan",
            ForbearanceMeasure::Settlement => "settlement",
            ForbearanceMeasure::Assessed => "assessed",
        }
    }
}

/// How long a late fee stays linked to its late obligation after its assessment
/// ([`CollectionCase::late_fee_charges`]): the cycle drops older links when it assesses a new
/// fee, so that the case, which every payment reads, keeps a few months of fees whatever the
/// account's age. A payment dated before an older fee's assessment, recorded that late, leaves
/// the fee; a person takes it back with `Command::WithdrawCharge`.
pub const LATE_FEE_LINK_DAYS: u64 = 92;

/// A late fee the cycle assessed, kept so that a payment recorded later and dated before the
/// assessment can take it back: the fee should be what the cycle would have assessed had it
/// known every event dated before the day it assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateFeeCharge {
    /// The obligation that was late.
    pub obligation: ObligationId,
    /// The fee obligation the cycle charged for it.
    pub fee: ObligationId,
    /// The day the fee was assessed (the fee obligation's issue and due date).
    pub assessed_on: NaiveDate,
    /// The fee in force: what was charged, less what the engine has reversed since.
    pub fee_minor: i64,
}

/// A score as the case keeps it: its band, its points rounded to the nearest whole point, and
/// the review date it was computed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseScore {
    /// The band (`low_risk`, ...).
    pub band: String,
    /// The points, rounded.
    pub points: i32,
    /// The review date.
    pub scored_on: NaiveDate,
}

/// A debtor's capacity to pay as stated with a plan: monthly income and expenses, in minor
/// units of the account's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedCapacity {
    /// When it was stated (the plan's creation date).
    pub stated_on: NaiveDate,
    /// Monthly income.
    pub monthly_income_minor: i64,
    /// Monthly expenses.
    pub monthly_expenses_minor: i64,
}

impl StatedCapacity {
    /// Income minus expenses.
    pub fn disposable_minor(&self) -> i64 {
        self.monthly_income_minor.saturating_sub(self.monthly_expenses_minor)
    }
}

impl CollectionCase {
    /// The signals present on `as_of` that the case knows of.
    pub fn signals(&self, as_of: NaiveDate) -> Vec<crate::policy::Signal> {
        let mut signals = Vec::new();
        if self
            .promise_broken_on
            .is_some_and(|broken| (as_of - broken).num_days() < BROKEN_PROMISE_SIGNAL_DAYS)
        {
            signals.push(crate::policy::Signal::BrokenPromise);
        }
        signals
    }
}

/// An open promise to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseRecord {
    /// When it was made.
    pub made_on: NaiveDate,
    /// The promised dated amounts.
    pub payments: Vec<PromisedPayment>,
    /// Days after each date before the promise is broken.
    pub grace_days: u32,
}

/// An active payment plan. Its installments are obligations of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    /// When it was created.
    pub created_on: NaiveDate,
    /// The installment frequency.
    pub frequency: Frequency,
    /// The installment obligations, in due order.
    pub installments: Vec<ObligationId>,
    /// Sum of the installments.
    pub total_minor: i64,
    /// Installments missed so far.
    pub missed: u32,
    /// Misses that default the plan.
    pub default_after_missed: u32,
    /// Days after a due date before an installment counts as missed.
    pub grace_days: u32,
}

/// A settlement offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRecord {
    /// When it was offered.
    pub offered_on: NaiveDate,
    /// What the debtor pays to settle, minor units.
    pub amount_minor: i64,
    /// The last day it can be accepted and paid.
    pub expires_on: NaiveDate,
    /// When it was accepted, if it was.
    pub accepted_on: Option<NaiveDate>,
}

/// A placement with a collection agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The agency.
    pub agency: String,
    /// When placed.
    pub placed_on: NaiveDate,
    /// The agency's commission on what it recovers (`0.25` for 25%).
    pub commission_rate: Decimal,
}

/// An action in the outbox: a contact the integrator executes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Deterministic id: the same cycle on the same data gives the same id.
    pub id: u64,
    /// The debtor.
    pub debtor: crate::ids::DebtorId,
    /// The accounts the contact is about.
    pub accounts: Vec<AccountId>,
    /// The channel.
    pub channel: ContactChannel,
    /// The address.
    pub address: String,
    /// The message template.
    pub template: String,
    /// When to make it.
    pub scheduled_at: DateTime<Utc>,
    /// The cycle date that created it.
    pub created_for: NaiveDate,
    /// Pending, or acknowledged with an outcome.
    pub status: ActionStatus,
    /// The sender holding the action and until when (a lease), if one claimed it
    /// (appended in action record version 3, like the two fields after it).
    pub claim: Option<Claim>,
    /// When a sender reported it sent (`Command::MarkSent`); a sent action is no longer
    /// pending, and its outcome comes with the acknowledgement.
    pub sent_at: Option<DateTime<Utc>>,
    /// Its position in the order the outbox received its actions, from 1: the cursor of a
    /// consumer of the outbox (0 for an action written before the outbox counted them).
    pub seq: u64,
    /// The message rendered from the policy's template (appended in action record version 4,
    /// like `payment_link` and `invoice`); `None` when the policy defines no templates (docs/MESSAGES.md).
    pub message: Option<ActionMessage>,
    /// The payment link issued for the action (the policy's `payment_link` rule or the
    /// integrator's hook), if any.
    pub payment_link: Option<String>,
    /// The invoice it is about: the invoice an invoice-sending action sends, or the one a
    /// reminder's amount and due date refer to (docs/MESSAGES.md, "Invoices on a schedule").
    pub invoice: Option<crate::ids::ObligationId>,
}

/// The message an outbox action carries: the template's tone, the language of the variant
/// used and the rendered text (with the disclosures that apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionMessage {
    /// The template's tone.
    pub tone: crate::message::Tone,
    /// The language tag of the variant used.
    pub language: String,
    /// The text to send.
    pub text: String,
}

/// A note on a debtor (and one of its accounts), as a collector writes it: appended, never
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The account it is about, if one.
    pub account: Option<AccountId>,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who wrote it (an agent's name or id).
    pub author: String,
    /// The note.
    pub text: String,
}

/// A sender's lease on an outbox action: no other sender may claim it until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The sender.
    pub by: String,
    /// The end of the lease.
    pub until: DateTime<Utc>,
}

/// Where an action stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Waiting for the integrator.
    Pending,
    /// Done, with what happened.
    Acknowledged {
        /// The outcome reported.
        outcome: ContactOutcome,
        /// When it happened.
        at: DateTime<Utc>,
    },
    /// Cancelled before it was acknowledged, because the debtor's address or flags changed:
    /// it must not be sent (appended in action record version 3).
    Cancelled {
        /// Why.
        reason: CancelReason,
        /// When the change that cancelled it was recorded.
        at: DateTime<Utc>,
    },
}

/// Why a pending outbox action was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The debtor opted out of the address.
    OptedOut,
    /// The debtor withdrew the consent the channel needs.
    ConsentWithdrawn,
    /// The address was removed from the debtor.
    AddressRemoved,
    /// The debtor asked that communication cease.
    CeaseCommunication,
    /// The debtor is represented by an attorney.
    AttorneyRepresented,
    /// A bankruptcy was filed.
    Bankruptcy,
    /// The debtor died.
    Deceased,
    /// Contact at work was prohibited: the action was to a work address.
    WorkContactProhibited,
    /// A debt the action was about was disputed: its collection stops until verification
    /// (12 CFR 1006.38(d)(2)).
    Disputed,
    /// A telephone conversation about a debt the call was about was recorded after it was
    /// queued: the call falls in the conversation's cool-down (12 CFR 1006.14(b)(2)(i)(B)).
    ConversationCooldown,
    /// The debtor was served in a collection suit where extrajudicial collection must then
    /// stop (Chile: Ley 19.496, art. 37).
    LitigationServed,
    /// The debtor's time zones or jurisdiction changed and the action's instant is outside the
    /// hours allowed there (12 CFR 1006.6(b)(1)(i) and the packs' hours rules).
    OutsideHours,
    /// A contact recorded after the action was queued (made outside the outbox, or sent at
    /// another instant than planned) fills a frequency cap of the debtor's packs at the
    /// action's instant (12 CFR 1006.14(b)(2)(i)(A) and the packs' caps).
    ContactCap,
    /// The debtor's jurisdiction (or time zones) changed and a rule of the packs now in force
    /// forbids the action otherwise than by its hours or a cap: a channel the debtor did not
    /// authorise (Colombia's Ley 2300 art. 2), a flag or contact block, an opt-out.
    JurisdictionRules,
}

impl CancelReason {
    /// The name as written in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CancelReason::OptedOut => "opted_out",
            CancelReason::ConsentWithdrawn => "consent_withdrawn",
            CancelReason::AddressRemoved => "address_removed",
            CancelReason::CeaseCommunication => "cease_communication",
            CancelReason::AttorneyRepresented => "attorney_represented",
            CancelReason::Bankruptcy => "bankruptcy",
            CancelReason::Deceased => "deceased",
            CancelReason::WorkContactProhibited => "work_contact_prohibited",
            CancelReason::Disputed => "disputed",
            CancelReason::ConversationCooldown => "conversation_cooldown",
            CancelReason::LitigationServed => "litigation_served",
            CancelReason::OutsideHours => "outside_hours",
            CancelReason::ContactCap => "contact_cap",
            CancelReason::JurisdictionRules => "jurisdiction_rules",
        }
    }
}

/// What happened when a contact was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// The call did not connect.
    NotConnected,
    /// Nobody answered.
    NoAnswer,
    /// A voicemail was left.
    Voicemail,
    /// A conversation with the debtor.
    RightParty,
    /// Someone else answered.
    WrongParty,
    /// The message was delivered.
    Delivered,
    /// The message bounced.
    Bounced,
    /// The debtor promised to pay (record the promise with the promise command).
    PromiseCaptured,
    /// The debtor disputed the debt. An acknowledgement of an outbox action with this outcome,
    /// and an inbound contact recorded with it (`record_inbound`: the debtor called or wrote
    /// in), also dispute the accounts concerned; an outbound contact recorded by hand
    /// (`record_outbound`, which a portfolio move also uses to carry acknowledged actions) is
    /// only a contact: record that dispute with `open_dispute`.
    DisputeRaised,
    /// A payment was taken (record it with the payment command).
    PaymentTaken,
}

impl ContactOutcome {
    /// Every outcome.
    pub const ALL: [ContactOutcome; 10] = [
        ContactOutcome::NotConnected,
        ContactOutcome::NoAnswer,
        ContactOutcome::Voicemail,
        ContactOutcome::RightParty,
        ContactOutcome::WrongParty,
        ContactOutcome::Delivered,
        ContactOutcome::Bounced,
        ContactOutcome::PromiseCaptured,
        ContactOutcome::DisputeRaised,
        ContactOutcome::PaymentTaken,
    ];

    /// How a contact on `channel` whose outcome is not known yet (an outbox action pending, or
    /// sent and never acknowledged) counts towards the guardrails: as one that reached the
    /// debtor, which every counting rule counts (`attempts`, `connected`, `contacts`) and from
    /// which no cool-down starts: a voicemail left for a call, a delivered message otherwise.
    /// The cycle counts its pending actions so, and a debtor moved to another shard carries its
    /// unacknowledged contacts so, so that both shards count them alike.
    ///
    /// ```
    /// use arrears_core::case::ContactOutcome;
    /// use arrears_core::model::ContactChannel;
    ///
    /// let call = ContactOutcome::until_acknowledged(ContactChannel::Phone);
    /// assert_eq!(call, ContactOutcome::Voicemail);
    /// let text = ContactOutcome::until_acknowledged(ContactChannel::Sms);
    /// assert_eq!(text, ContactOutcome::Delivered);
    /// ```
    pub fn until_acknowledged(channel: ContactChannel) -> ContactOutcome {
        match channel {
            ContactChannel::Phone => ContactOutcome::Voicemail,
            ContactChannel::Sms
            | ContactChannel::Email
            | ContactChannel::Postal
            | ContactChannel::Messaging => ContactOutcome::Delivered,
        }
    }

    /// The name as written in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ContactOutcome::NotConnected => "not_connected",
            ContactOutcome::NoAnswer => "no_answer",
            ContactOutcome::Voicemail => "voicemail",
            ContactOutcome::RightParty => "right_party",
            ContactOutcome::WrongParty => "wrong_party",
            ContactOutcome::Delivered => "delivered",
            ContactOutcome::Bounced => "bounced",
            ContactOutcome::PromiseCaptured => "promise_captured",
            ContactOutcome::DisputeRaised => "dispute_raised",
            ContactOutcome::PaymentTaken => "payment_taken",
        }
    }

    /// Returns true if and only if the outcome is a conversation with the debtor.
    pub fn is_right_party(self) -> bool {
        matches!(
            self,
            ContactOutcome::RightParty
                | ContactOutcome::PromiseCaptured
                | ContactOutcome::DisputeRaised
                | ContactOutcome::PaymentTaken
        )
    }
}

impl std::str::FromStr for ContactOutcome {
    type Err = String;
    fn from_str(text: &str) -> Result<ContactOutcome, String> {
        ContactOutcome::ALL.into_iter().find(|outcome| outcome.name() == text).ok_or_else(|| {
            let names: Vec<&str> =
                ContactOutcome::ALL.iter().map(|outcome| outcome.name()).collect();
            format!("unknown outcome {text:?} ({})", names.join(", "))
        })
    }
}

/// A contact made (from an acknowledged action or reported directly), kept as history for
/// scoring features and compliance counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAttempt {
    /// The accounts it was about.
    pub accounts: Vec<AccountId>,
    /// The channel.
    pub channel: ContactChannel,
    /// The address.
    pub address: String,
    /// When.
    pub at: DateTime<Utc>,
    /// True for a contact the debtor made to us.
    pub inbound: bool,
    /// What happened.
    pub outcome: ContactOutcome,
    /// The outbox action it executed, if any.
    pub action: Option<u64>,
}

/// One record of the append-only audit log. The engine chains records by hash: each record's
/// hash covers its encoding and the previous record's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it was written.
    pub recorded_at: DateTime<Utc>,
    /// The account concerned, if any.
    pub account: Option<AccountId>,
    /// What happened.
    pub kind: AuditKind,
    /// The previous record's hash (zeros for the first). Hex in JSON.
    #[serde(with = "hash_hex")]
    pub prev_hash: [u8; 32],
}

/// What an audit record records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A command was executed.
    Command {
        /// Its name.
        name: String,
        /// Its idempotency key.
        key: String,
    },
    /// A collection state changed.
    Transition {
        /// The event.
        event: String,
        /// The state before.
        from: String,
        /// The state after.
        to: String,
        /// The effective date.
        on: NaiveDate,
    },
    /// A cycle ran.
    Cycle {
        /// Its date.
        as_of: NaiveDate,
        /// Accounts reviewed in this batch.
        reviewed: u64,
        /// Actions written in this batch.
        actions: u64,
    },
    /// The compliance guardrails blocked a proposed contact.
    ContactBlocked {
        /// The debtor.
        debtor: crate::ids::DebtorId,
        /// The channel proposed.
        channel: ContactChannel,
        /// The template proposed.
        template: String,
        /// The id of the blocking rule.
        rule: String,
        /// When the same contact would next be allowed, if within the horizon.
        next_allowed_at: Option<DateTime<Utc>>,
    },
    /// A scorer or contact strategy failed in a cycle (an error, or outputs the engine
    /// refused); its accounts went on without it.
    ComponentFailed {
        /// The policy arm.
        arm: String,
        /// `scorer` or `strategy`.
        component: String,
        /// The component's registered name.
        name: String,
        /// Accounts the failed call covered.
        accounts: u64,
        /// What the failure said.
        error: String,
    },
    /// A command was executed (since the audit chain covers content; earlier records are
    /// `Command`). `content` is SHA-256 over the command's idempotency record: the length of
    /// the canonical command's bytes (8 bytes, little-endian), those bytes, then the outcome's
    /// bytes. So the chain covers what the command said and what it did, and `verify` checks
    /// the idempotency record against it.
    CommandExecuted {
        /// Its name.
        name: String,
        /// Its idempotency key.
        key: String,
        /// SHA-256 of its idempotency record's content. Hex in JSON.
        #[serde(with = "hash_hex")]
        content: [u8; 32],
    },
    /// An entry was added to the store's plugin registry.
    PluginAdded {
        /// The entry's name.
        name: String,
        /// SHA-256 of the stored entry's bytes (source, pin and configuration).
        entry: [u8; 32],
    },
    /// An entry was removed from the store's plugin registry.
    PluginRemoved {
        /// The entry's name.
        name: String,
        /// SHA-256 of the stored bytes of the entry removed.
        entry: [u8; 32],
    },
    /// The compliance guardrails blocked an action the engine was to take that is not a
    /// contact: the cycle's legal referral by policy, a suit (`ActionKind::Suit`), which the
    /// case was left without.
    ActionBlocked {
        /// The debtor.
        debtor: crate::ids::DebtorId,
        /// The action blocked.
        action: crate::compliance::ActionKind,
        /// The id of the blocking rule.
        rule: String,
        /// The business date it was to be taken on.
        on: NaiveDate,
    },
}

/// The serde form of a SHA-256 hash: 64 lowercase hex digits in human-readable formats (JSON),
/// where a person reads it and compares it with `arrears audit head`; the 32 bytes as before in
/// the store's binary records, so that stored bytes and audit hashes do not change.
mod hash_hex {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(
        hash: &[u8; 32],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let text: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
            serializer.serialize_str(&text)
        } else {
            hash.serialize(serializer)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u8; 32], D::Error> {
        if !deserializer.is_human_readable() {
            return <[u8; 32]>::deserialize(deserializer);
        }
        let text = String::deserialize(deserializer)?;
        let invalid = || serde::de::Error::custom(format!("{text:?} is not 64 hex digits"));
        if text.len() != 64 || !text.is_ascii() {
            return Err(invalid());
        }
        let mut hash = [0; 32];
        for (byte, pair) in hash.iter_mut().zip(text.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(hash)
    }
}
