//! Contact guardrails: jurisdiction packs of rules, and the evaluator that allows or blocks a
//! proposed contact and says when the same contact would next be allowed.
//!
//! A [`Pack`] is data: rules with their parameters, their citation and a verification status
//! ([`Status`]), read from TOML. The built-in packs are embedded in the crate
//! ([`Pack::builtin`]); integrators load their own or override a built-in one with
//! [`Pack::from_toml`]. [`packs_for`] names the built-in packs that apply to a jurisdiction and
//! a kind of creditor. `docs/COMPLIANCE.md` lists every rule and documents the file format.
//!
//! [`evaluate`] checks one [`Proposal`] against every rule of every pack given, the contact
//! history and the sticky [`Flags`]. The strictest rule wins: the proposal is blocked if any
//! rule blocks it, and [`Decision::next_allowed_at`] is the earliest instant, at or after the
//! proposal's, at which every rule allows it, so a blocked action can be rescheduled into the
//! window rather than dropped. The search is bounded by [`SEARCH_STEPS_MAX`] steps and
//! [`HORIZON_DAYS`] days.
//!
//! Days are local calendar days: a window of 7 days is 7 consecutive local dates, and a day
//! starts at local midnight. The debtor may be in any of several candidate time zones; a
//! contact is allowed only if it is allowed in every one of them (the intersection of the
//! windows), and day counts are applied in every zone.
//!
//! Architecture invariant: this module is pure. The instant of a proposal is an argument; the
//! module never reads the clock, and no input makes it panic.
//!
//! These rules are research notes turned into code, not legal advice: a lawyer must check each
//! parameter before it is relied on.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::collection::StickyFlags;
use crate::holidays::{self, Calendar};
use crate::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, Jurisdiction, TIME_ZONES_MAX,
};
use crate::policy::Creditor;

mod load;

pub use load::{PackError, PackErrorReason, PACK_TEXT_LEN_MAX};

/// How far ahead [`evaluate`] searches for the next allowed instant, in days.
pub const HORIZON_DAYS: i64 = 60;
/// Most steps of the search for the next allowed instant. Each step jumps to the latest of the
/// instants at which the blocking rules could next allow the proposal.
pub const SEARCH_STEPS_MAX: usize = 512;
/// Most debts one proposal may concern.
pub const DEBTS_MAX: usize = 64;
/// Most rules one pack may hold.
pub const RULES_MAX: usize = 64;
/// Longest counting window of a rule, in days (ten years: enough for "once, ever").
pub const WINDOW_DAYS_MAX: u32 = 3_650;
/// Earliest year of an instant the evaluator accepts; older history entries are ignored.
pub const YEAR_MIN: i32 = 1900;
/// Latest year of an instant the evaluator accepts; later history entries are ignored.
pub const YEAR_MAX: i32 = 2999;

/// The rule id of a proposal whose time zones are missing or unknown.
pub const RULE_TIME_ZONE_UNKNOWN: &str = "core.time-zone-unknown";
/// The rule id of a proposal that cannot be evaluated: no debt, too many debts or zones, or an
/// instant outside [`YEAR_MIN`]..=[`YEAR_MAX`].
pub const RULE_PROPOSAL_INVALID: &str = "core.proposal-invalid";

/// Longest gap, in minutes, that a local date-time is moved forward over when a time zone
/// skips it (a daylight-saving gap; Samoa skipped a whole day in 2011).
const LOCAL_GAP_MINUTES_MAX: u32 = 24 * 60;
/// Most days the hours rule looks ahead for an open day.
const OPEN_DAY_SCAN_DAYS: u64 = 31;

const _: () = assert!(0 < HORIZON_DAYS);
const _: () = assert!(0 < SEARCH_STEPS_MAX);
const _: () = assert!(YEAR_MIN < YEAR_MAX);
const _: () = assert!((HORIZON_DAYS as u64) < OPEN_DAY_SCAN_DAYS * 4);

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/// A group of channels that rules count and restrict together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelGroup {
    /// Voice calls, including prerecorded messages.
    Call,
    /// SMS and messaging apps.
    Text,
    /// E-mail.
    Email,
    /// Postal letters.
    Letter,
    /// Visits in person, at home or at work.
    Visit,
}

impl ChannelGroup {
    /// Every group, in a fixed order.
    pub const ALL: [ChannelGroup; 5] = [
        ChannelGroup::Call,
        ChannelGroup::Text,
        ChannelGroup::Email,
        ChannelGroup::Letter,
        ChannelGroup::Visit,
    ];

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            ChannelGroup::Call => "call",
            ChannelGroup::Text => "text",
            ChannelGroup::Email => "email",
            ChannelGroup::Letter => "letter",
            ChannelGroup::Visit => "visit",
        }
    }
}

impl From<ContactChannel> for ChannelGroup {
    fn from(channel: ContactChannel) -> ChannelGroup {
        match channel {
            ContactChannel::Phone => ChannelGroup::Call,
            ContactChannel::Sms | ContactChannel::Messaging => ChannelGroup::Text,
            ContactChannel::Email => ChannelGroup::Email,
            ContactChannel::Postal => ChannelGroup::Letter,
        }
    }
}

/// What a proposal does. The first three are communications with someone, checked against the
/// contact rules (hours, caps, cool-downs, opt-outs); the last two are not communications and
/// meet only the rules that name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// An ordinary collection communication.
    Contact,
    /// A communication that only says collection efforts are ending, or that a remedy may or
    /// will be invoked: the exceptions to a cease-communication request (FDCPA 1692c(c)).
    TerminationOrRemedyNotice,
    /// A communication that threatens suit.
    SuitThreat,
    /// A lawsuit or a referral to litigation.
    Suit,
    /// Furnishing the debt to a consumer reporting agency (credit bureau).
    CreditReport,
}

impl ActionKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::Contact,
        ActionKind::TerminationOrRemedyNotice,
        ActionKind::SuitThreat,
        ActionKind::Suit,
        ActionKind::CreditReport,
    ];

    /// The communications: the kinds a rule applies to when it names none.
    pub const COMMUNICATIONS: [ActionKind; 3] =
        [ActionKind::Contact, ActionKind::TerminationOrRemedyNotice, ActionKind::SuitThreat];

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Contact => "contact",
            ActionKind::TerminationOrRemedyNotice => "termination_or_remedy_notice",
            ActionKind::SuitThreat => "suit_threat",
            ActionKind::Suit => "suit",
            ActionKind::CreditReport => "credit_report",
        }
    }

    /// Returns true if and only if the action is a communication with someone.
    pub fn is_communication(self) -> bool {
        ActionKind::COMMUNICATIONS.contains(&self)
    }
}

/// Who a communication is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The person who owes (Regulation F's "consumer" includes a spouse, the parent of a
    /// minor, a guardian, an executor; co-debtors and guarantors are consumers here too).
    Consumer,
    /// A party calls to whom do not count (12 CFR 1006.14(b)(3)(iii)): the consumer's
    /// attorney, a consumer reporting agency, the creditor or its attorney, the collector's
    /// attorney.
    ExemptParty,
    /// Anyone else, such as a reference, a relative or an employer, contacted to locate the
    /// consumer.
    ThirdParty,
}

impl Recipient {
    /// Every recipient, in a fixed order.
    pub const ALL: [Recipient; 3] =
        [Recipient::Consumer, Recipient::ExemptParty, Recipient::ThirdParty];

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Recipient::Consumer => "consumer",
            Recipient::ExemptParty => "exempt_party",
            Recipient::ThirdParty => "third_party",
        }
    }
}

/// Who started a communication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The collector did (a placed call, a sent message).
    Outbound,
    /// The person did (a call or message to the collector). Never counted by the caps.
    Inbound,
}

/// What happened when a communication was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The call did not connect to the dialled number: busy, not in service, network failure.
    NotConnected,
    /// It rang and nobody answered (connected, under Regulation F).
    NoAnswer,
    /// A voicemail was left.
    Voicemail,
    /// Someone other than the person answered.
    WrongParty,
    /// A conversation with the person.
    Conversation,
    /// A message or letter was delivered.
    Delivered,
    /// A message or letter came back undeliverable.
    Bounced,
    /// Not made yet: queued in the outbox and not reported sent, or proposed. Every cap counts
    /// it (as an attempt, connected and a contact alike: it may reach the person), it starts
    /// no cool-down, and it is no notice: a letter still in the outbox was not "placed in the
    /// mail" (12 CFR 1006.30(a)(1)(ii)), so it does not allow a credit report.
    Pending,
}

impl From<crate::case::ContactOutcome> for Outcome {
    fn from(outcome: crate::case::ContactOutcome) -> Outcome {
        use crate::case::ContactOutcome as Reported;
        match outcome {
            Reported::NotConnected => Outcome::NotConnected,
            Reported::NoAnswer => Outcome::NoAnswer,
            Reported::Voicemail => Outcome::Voicemail,
            Reported::WrongParty => Outcome::WrongParty,
            Reported::RightParty
            | Reported::PromiseCaptured
            | Reported::DisputeRaised
            | Reported::PaymentTaken => Outcome::Conversation,
            Reported::Delivered => Outcome::Delivered,
            Reported::Bounced => Outcome::Bounced,
        }
    }
}

/// A proposed action, to be allowed or blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal<'a> {
    /// The person contacted (a debtor id, or the id the integrator gives a third party).
    /// Counters key on this person, never on a phone number or an address.
    pub person: u64,
    /// The debts the action concerns (account ids, or a grouping key such as a student-loan
    /// enrollment period), 1 to [`DEBTS_MAX`].
    pub debts: &'a [String],
    /// What the action does.
    pub action: ActionKind,
    /// The channel (ignored for actions that are not communications).
    pub channel: ChannelGroup,
    /// Who the communication is with.
    pub recipient: Recipient,
    /// The phone number, e-mail or postal address, if any (checked against opt-outs).
    pub address: Option<&'a str>,
    /// Whose address it is.
    pub address_kind: ContactPointKind,
    /// True if and only if the person consented to, or authorised, communication at this
    /// address on this channel (`ContactPoint::consent`).
    pub address_consent: bool,
    /// When the action would happen.
    pub at: DateTime<Utc>,
    /// Candidate IANA time zones of the person (1 to [`TIME_ZONES_MAX`]): the action must be
    /// allowed in all of them.
    pub time_zones: &'a [String],
}

/// A communication that happened (or is pending in the outbox and must count), as the rules
/// see it.
///
/// Pass the history of the proposal's person; entries of other persons are ignored. Entries
/// later than the instant evaluated count towards the caps too, so pending actions can be
/// passed at their scheduled instants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// The person communicated with.
    pub person: u64,
    /// The debts it was about (for a conversation: every debt discussed).
    pub debts: Vec<String>,
    /// The channel.
    pub channel: ChannelGroup,
    /// Who it was with.
    pub recipient: Recipient,
    /// Whose address was used.
    pub address_kind: ContactPointKind,
    /// Who started it.
    pub direction: Direction,
    /// True if and only if it was placed with the person's prior consent given directly to the
    /// collector, within the consent period (12 CFR 1006.14(b)(3)(i)); such calls are not
    /// counted by rules with a `consent_days` parameter. Entries placed within a rule's
    /// `consent_days` of [`Flags::call_consent_given_at`] are not counted either, whatever
    /// this says.
    pub consented: bool,
    /// What happened.
    pub outcome: Outcome,
}

/// The sticky facts about the person and the debts of a proposal. Set a flag when it holds
/// for any debt of the proposal; evaluate one proposal per debt to get per-debt answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// The person asked in writing that communication cease, or refused to pay.
    pub cease: bool,
    /// A dispute (or a request for the original creditor's name) is open and not yet answered
    /// with verification.
    pub dispute: bool,
    /// The person is represented by an attorney for the debt.
    pub attorney: bool,
    /// A bankruptcy stay or an insolvency proceeding is in force, or the debt was discharged
    /// in bankruptcy (nothing may be done to collect it).
    pub bankruptcy: bool,
    /// The person is deceased.
    pub deceased: bool,
    /// The statute of limitations has run: the debt may not be sued on.
    pub time_barred: bool,
    /// The person was served in a collection suit.
    pub litigation_served: bool,
    /// The employer prohibits communication at work, or the person asked for none there.
    pub work_contact_prohibited: bool,
    /// Reasonable forbearance was assessed before enforcement (EU consumer credit).
    pub forbearance_assessed: bool,
    /// When the person last gave prior consent, directly to the collector, to be called. The
    /// consent covers calls for a rule's `consent_days` local days, the day given being day 1.
    pub call_consent_given_at: Option<DateTime<Utc>>,
    /// Addresses (phone numbers, e-mail addresses) the person opted out of, on every channel.
    /// Phone numbers are compared on their digits, a national number (no `+`, leading zeros
    /// dropped, at least 8 digits) matching the end of an international one; e-mail addresses
    /// without case.
    pub opted_out_addresses: Vec<String>,
    /// Channels the person asked not to be used.
    pub opted_out_channels: Vec<ChannelGroup>,
    /// Addresses the person opted out of on one channel group only, compared as
    /// `opted_out_addresses` are: texts opted out at a number leave calls to it alone (12 CFR
    /// 1006.14(h)(1): the medium the person asked not to be used).
    #[serde(default)]
    pub opted_out_channel_addresses: Vec<(ChannelGroup, String)>,
}

impl Flags {
    /// Returns true if and only if `flag` holds.
    pub fn is_set(&self, flag: Flag) -> bool {
        match flag {
            Flag::Cease => self.cease,
            Flag::Dispute => self.dispute,
            Flag::Attorney => self.attorney,
            Flag::Bankruptcy => self.bankruptcy,
            Flag::Deceased => self.deceased,
            Flag::TimeBarred => self.time_barred,
            Flag::LitigationServed => self.litigation_served,
            Flag::WorkContactProhibited => self.work_contact_prohibited,
            Flag::ForbearanceNotAssessed => !self.forbearance_assessed,
        }
    }
}

impl From<StickyFlags> for Flags {
    fn from(sticky: StickyFlags) -> Flags {
        Flags {
            cease: sticky.cease_communication,
            attorney: sticky.attorney_represented,
            bankruptcy: sticky.bankruptcy_stay || sticky.bankruptcy_discharged,
            deceased: sticky.deceased,
            time_barred: sticky.time_barred,
            ..Flags::default()
        }
    }
}

impl From<DebtorFlags> for Flags {
    fn from(debtor: DebtorFlags) -> Flags {
        Flags {
            cease: debtor.cease_communication,
            attorney: debtor.attorney_represented,
            bankruptcy: debtor.bankruptcy,
            deceased: debtor.deceased,
            ..Flags::default()
        }
    }
}

/// A sticky condition a rule can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// [`Flags::cease`].
    Cease,
    /// [`Flags::dispute`].
    Dispute,
    /// [`Flags::attorney`].
    Attorney,
    /// [`Flags::bankruptcy`].
    Bankruptcy,
    /// [`Flags::deceased`].
    Deceased,
    /// [`Flags::time_barred`].
    TimeBarred,
    /// [`Flags::litigation_served`].
    LitigationServed,
    /// [`Flags::work_contact_prohibited`].
    WorkContactProhibited,
    /// Not [`Flags::forbearance_assessed`].
    ForbearanceNotAssessed,
}

impl Flag {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Cease => "cease",
            Flag::Dispute => "dispute",
            Flag::Attorney => "attorney",
            Flag::Bankruptcy => "bankruptcy",
            Flag::Deceased => "deceased",
            Flag::TimeBarred => "time_barred",
            Flag::LitigationServed => "litigation_served",
            Flag::WorkContactProhibited => "work_contact_prohibited",
            Flag::ForbearanceNotAssessed => "forbearance_not_assessed",
        }
    }
}

/// How well a rule's parameter is established (the legend of the research notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Checked against a copy of the primary text.
    #[serde(rename = "V1")]
    V1,
    /// Found only in secondary sources; recheck against the official text.
    #[serde(rename = "V2")]
    V2,
    /// Not confirmed; check before use.
    #[serde(rename = "UNVERIFIED")]
    Unverified,
    /// Not law: an engine default or a number borrowed from another jurisdiction.
    #[serde(rename = "CONVENTION")]
    Convention,
}

impl Status {
    /// The tag as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Status::V1 => "V1",
            Status::V2 => "V2",
            Status::Unverified => "UNVERIFIED",
            Status::Convention => "CONVENTION",
        }
    }
}

/// Which past communications a counting rule counts (outbound ones only, always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counts {
    /// Every attempt, connected or not.
    Attempts,
    /// Every attempt except those not connected and those bounced (a call that rings
    /// unanswered or reaches voicemail is connected).
    Connected,
    /// Only those that reached the person: a conversation, a voicemail left, a delivered
    /// message or letter.
    Contacts,
}

impl Counts {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Counts::Attempts => "attempts",
            Counts::Connected => "connected",
            Counts::Contacts => "contacts",
        }
    }

    /// Returns true if and only if an outbound communication with `outcome` is counted.
    pub fn counts(self, outcome: Outcome) -> bool {
        match self {
            Counts::Attempts => true,
            Counts::Connected => !matches!(outcome, Outcome::NotConnected | Outcome::Bounced),
            Counts::Contacts => {
                matches!(
                    outcome,
                    Outcome::Conversation
                        | Outcome::Voicemail
                        | Outcome::Delivered
                        | Outcome::Pending
                )
            }
        }
    }
}

/// What a counter keys on, besides the channel groups of its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One counter per person, whatever the debt.
    Person,
    /// One counter per person and debt: a proposal about several debts is blocked if any of
    /// their counters is full.
    PersonDebt,
}

impl Scope {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Person => "person",
            Scope::PersonDebt => "person_debt",
        }
    }
}

/// The allowed local hours of one weekday: from `open` (inclusive) to `close` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DayWindow {
    /// The first allowed local time.
    pub open: NaiveTime,
    /// The first local time no longer allowed; after `open`.
    pub close: NaiveTime,
}

/// What a rule checks, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    /// At most `max` counted communications in any `window_days` consecutive local days; the
    /// proposal is blocked if some run of `window_days` consecutive local days that holds its
    /// day already holds `max` (later entries included).
    FrequencyCap {
        /// What a counter keys on.
        scope: Scope,
        /// The window, in local days.
        window_days: u32,
        /// The most communications the window may hold.
        max: u32,
        /// Which communications count.
        counts: Counts,
        /// If set, calls with prior consent are excluded, and a proposal made within this many
        /// local days of the consent (the day given being day 1) is never blocked by the rule.
        consent_days: Option<u32>,
    },
    /// After a conversation on one of `trigger_channels` about a debt, no communication about
    /// that debt for `days` local days, the conversation's day being day 1.
    Cooldown {
        /// The channels whose conversations start the cool-down.
        trigger_channels: Vec<ChannelGroup>,
        /// Its length in local days, day 1 included.
        days: u32,
        /// As for [`RuleKind::FrequencyCap`]: a proposal with consent is not blocked.
        consent_days: Option<u32>,
    },
    /// Communication only inside the day's window, in every candidate zone.
    Hours {
        /// The window of each weekday, Monday first; `None` for a closed day.
        open: [Option<DayWindow>; 7],
        /// If set, closed on the holidays of this calendar.
        holidays: Option<Calendar>,
    },
    /// Blocked while the flag holds.
    FlagBlock {
        /// The flag.
        flag: Flag,
    },
    /// Blocked whenever the rule applies (its channel, recipient and address filters match)
    /// and, if a flag is named, the flag holds.
    ContactBlock {
        /// The flag, if any.
        flag: Option<Flag>,
    },
    /// Blocked at an address or on a channel the person opted out of.
    OptOut,
    /// Blocked unless the person consented to this address on this channel.
    RequireConsent,
    /// At most `max` distinct channel groups per local calendar week (Monday to Sunday).
    ChannelsPerWeek {
        /// The most distinct groups a week may use.
        max: u32,
        /// Which communications count.
        counts: Counts,
    },
    /// A credit report needs, for every debt, a prior conversation in person or by phone (if
    /// `conversation_suffices`), or a letter or electronic message about the debt that neither
    /// bounced nor reached a wrong party, sent at least `wait_days` days before.
    CreditReportNotice {
        /// Days to wait after the notice.
        wait_days: u32,
        /// True if and only if a conversation about the debt is enough.
        conversation_suffices: bool,
    },
}

impl RuleKind {
    /// The kind's name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::FrequencyCap { .. } => "frequency_cap",
            RuleKind::Cooldown { .. } => "cooldown",
            RuleKind::Hours { .. } => "hours",
            RuleKind::FlagBlock { .. } => "flag_block",
            RuleKind::ContactBlock { .. } => "contact_block",
            RuleKind::OptOut => "opt_out",
            RuleKind::RequireConsent => "require_consent",
            RuleKind::ChannelsPerWeek { .. } => "channels_per_week",
            RuleKind::CreditReportNotice { .. } => "credit_report_notice",
        }
    }
}

/// One rule of a pack. Built only by loading a pack, so every rule has passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// Stable id, `pack.rule-name` (such as `us-federal.call-7-in-7`).
    pub id: String,
    /// How well the parameters are established.
    pub status: Status,
    /// Where the rule comes from.
    pub citation: String,
    /// What it says, in one line (the start of a block's reason).
    pub summary: String,
    /// Caveats, if any.
    pub note: Option<String>,
    /// The action kinds it applies to.
    pub actions: Vec<ActionKind>,
    /// The channel groups it applies to and counts (communications only).
    pub channels: Vec<ChannelGroup>,
    /// The recipients it applies to and counts (communications only).
    pub recipients: Vec<Recipient>,
    /// The address kinds it applies to and counts (communications only).
    pub address_kinds: Vec<ContactPointKind>,
    /// What it checks.
    pub kind: RuleKind,
}

impl Rule {
    /// Returns true if and only if the rule applies to `proposal`: its action kind is one the
    /// rule names and, for a communication, so are its channel, recipient and address kind.
    pub fn applies_to(&self, proposal: &Proposal<'_>) -> bool {
        self.actions.contains(&proposal.action)
            && (!proposal.action.is_communication()
                || (self.channels.contains(&proposal.channel)
                    && self.recipients.contains(&proposal.recipient)
                    && self.address_kinds.contains(&proposal.address_kind)))
    }

    /// Returns true if and only if the rule's counters count `entry`, an outbound
    /// communication matching its filters, counted by `counts` and not excluded by consent.
    fn counts_entry(
        &self,
        entry: &HistoryEntry,
        counts: Counts,
        consent_days: Option<u32>,
    ) -> bool {
        entry.direction == Direction::Outbound
            && self.channels.contains(&entry.channel)
            && self.recipients.contains(&entry.recipient)
            && self.address_kinds.contains(&entry.address_kind)
            && counts.counts(entry.outcome)
            && !(consent_days.is_some() && entry.consented)
    }
}

/// A jurisdiction pack: named, cited rules. Built only by [`Pack::from_toml`] or
/// [`Pack::builtin`], so every pack has passed validation.
///
/// # Example
///
/// ```
/// use arrears_core::compliance::Pack;
/// let pack = Pack::builtin("us-federal").expect("a built-in pack");
/// assert!(pack.rules().iter().any(|rule| rule.id == "us-federal.call-7-in-7"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    id: String,
    name: String,
    citation: String,
    scope: Option<String>,
    rules: Vec<Rule>,
}

/// The built-in packs, by id, as embedded TOML.
const BUILTIN_PACKS: [(&str, &str); 10] = [
    ("core", include_str!("compliance/packs/core.toml")),
    ("baseline", include_str!("compliance/packs/baseline.toml")),
    ("us-federal", include_str!("compliance/packs/us-federal.toml")),
    ("us-ma", include_str!("compliance/packs/us-ma.toml")),
    ("us-nyc", include_str!("compliance/packs/us-nyc.toml")),
    ("co", include_str!("compliance/packs/co.toml")),
    ("mx", include_str!("compliance/packs/mx.toml")),
    ("cl", include_str!("compliance/packs/cl.toml")),
    ("pe", include_str!("compliance/packs/pe.toml")),
    ("es", include_str!("compliance/packs/es.toml")),
];

fn builtin_packs() -> &'static [Pack] {
    static PACKS: OnceLock<Vec<Pack>> = OnceLock::new();
    PACKS.get_or_init(|| {
        BUILTIN_PACKS
            .iter()
            .map(|(id, text)| {
                let file = format!("{id}.toml");
                let pack = load::load(text, &file, None)
                    .unwrap_or_else(|error| panic!("built-in pack {error}"));
                assert_eq!(pack.id, *id, "a built-in pack's id matches its file name");
                pack
            })
            .collect()
    })
}

impl Pack {
    /// The ids of the built-in packs.
    pub fn builtin_ids() -> Vec<&'static str> {
        BUILTIN_PACKS.iter().map(|(id, _)| *id).collect()
    }

    /// The built-in pack `id`, or `None` if there is no such pack.
    pub fn builtin(id: &str) -> Option<Pack> {
        builtin_packs().iter().find(|pack| pack.id == id).cloned()
    }

    /// Loads a pack from TOML text; `file` names it in errors. The format is documented in
    /// `docs/COMPLIANCE.md`. A pack with `extends = "<built-in id>"` starts from that built-in
    /// pack's rules: its rules replace those with the same id and add the others, and its
    /// `remove` list drops inherited rules.
    ///
    /// # Errors
    ///
    /// [`PackError`], displayed as `file:line: field: reason`, for invalid TOML, an unknown or
    /// missing field, a field that does not apply to the rule's kind, a value out of range, a
    /// duplicate or misnamed id, or an unknown pack or rule named by `extends` or `remove`.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::compliance::Pack;
    /// let text = r#"
    /// id = "co"
    /// name = "Colombia, as our counsel reads it"
    /// citation = "Ley 2300 de 2023"
    /// extends = "co"
    ///
    /// [[rule]]
    /// id = "co.one-contact-per-day"
    /// kind = "frequency_cap"
    /// status = "V2"
    /// citation = "Ley 2300 de 2023, art. 3"
    /// summary = "At most one contact per day"
    /// scope = "person"
    /// window_days = 1
    /// max = 1
    /// counts = "attempts"
    /// "#;
    /// let pack = Pack::from_toml(text, "co-override.toml")?;
    /// assert_eq!(pack.id(), "co");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml(text: &str, file: &str) -> Result<Pack, PackError> {
        load::load(text, file, Some(builtin_packs()))
    }

    /// The pack's id (`us-federal`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The pack's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The law or document the pack encodes.
    pub fn citation(&self) -> &str {
        &self.citation
    }

    /// Whom the pack covers, as stated in the file.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// The built-in packs that apply to a debtor in `jurisdiction` collected by `creditor`, most
/// specific law first and `core` last.
///
/// - `US`: `us-federal` (Regulation F) for third-party collectors; for first-party creditors
///   only in California (`CA`), whose Rosenthal Act makes creditors comply with FDCPA
///   1692b-1692j. `us-ma` for `MA` and `us-nyc` for `NYC` (both cover creditors too). Where
///   `us-federal` does not apply, `baseline` (conventions) does.
/// - `CO`: `co`; `MX`: `mx`; `CL`: `cl`; `PE`: `pe`; `ES`: `es` (whoever collects).
/// - Any other country: `baseline`.
/// - Always: `core` (the sticky flags and opt-outs, whatever the jurisdiction).
///
/// Regions are matched without case, with or without the country prefix (`MA`, `US-MA`).
pub fn packs_for(jurisdiction: &Jurisdiction, creditor: Creditor) -> Vec<Pack> {
    let country = jurisdiction.country.trim().to_ascii_uppercase();
    let region = jurisdiction.region.as_deref().map(|region| {
        let region = region.trim().to_ascii_uppercase();
        match region.strip_prefix(&format!("{country}-")) {
            Some(rest) => rest.to_owned(),
            None => region,
        }
    });
    let mut ids: Vec<&str> = Vec::new();
    match country.as_str() {
        "US" => {
            let federal = creditor == Creditor::ThirdParty || region.as_deref() == Some("CA");
            if federal {
                ids.push("us-federal");
            }
            match region.as_deref() {
                Some("MA") => ids.push("us-ma"),
                Some("NYC") => ids.push("us-nyc"),
                _ => {}
            }
            if !federal {
                ids.push("baseline");
            }
        }
        "CO" => ids.push("co"),
        "MX" => ids.push("mx"),
        "CL" => ids.push("cl"),
        "PE" => ids.push("pe"),
        "ES" => ids.push("es"),
        _ => ids.push("baseline"),
    }
    ids.push("core");
    ids.into_iter().filter_map(Pack::builtin).collect()
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/// The answer for one proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// True if and only if every rule allows the proposal at its instant.
    pub allowed: bool,
    /// The id of the first blocking rule (packs in the order given, rules in file order).
    pub rule: Option<String>,
    /// Why, for people: the rule's summary, what blocked, its citation and status.
    pub reason: String,
    /// The earliest instant at or after the proposal's at which every rule allows the same
    /// proposal, given the same history and flags: the proposal's own instant when allowed;
    /// `None` if no such instant exists within [`HORIZON_DAYS`] (a flag, an opt-out, a
    /// missing consent or notice, an unknown zone).
    pub next_allowed_at: Option<DateTime<Utc>>,
    /// The ids of the other rules that block the proposal at its instant.
    pub also_blocked_by: Vec<String>,
}

impl Decision {
    fn allowed(at: DateTime<Utc>) -> Decision {
        Decision {
            allowed: true,
            rule: None,
            reason: "allowed by every rule".to_owned(),
            next_allowed_at: Some(at),
            also_blocked_by: Vec::new(),
        }
    }

    #[cold]
    fn core_block(rule: &str, reason: String) -> Decision {
        Decision {
            allowed: false,
            rule: Some(rule.to_owned()),
            reason,
            next_allowed_at: None,
            also_blocked_by: Vec::new(),
        }
    }
}

/// Why one rule blocks, and when it could next allow.
struct Block {
    detail: String,
    /// An instant after the one checked before which the rule cannot allow the proposal;
    /// `None` if it never will, within the search.
    next: Option<DateTime<Utc>>,
}

/// Checks `proposal` against every rule of `packs`, given `history` and `flags`.
///
/// The proposal is allowed if and only if no rule blocks it; the strictest rule wins wherever
/// packs overlap. A blocked decision names the first blocking rule, the others blocking too,
/// and the next instant at which every rule allows the same proposal (see
/// [`Decision::next_allowed_at`]). Two checks come before any pack: a proposal with no debt,
/// too many debts or zones, or an instant outside [`YEAR_MIN`]..=[`YEAR_MAX`] is blocked by
/// [`RULE_PROPOSAL_INVALID`], and one with no time zone or an unknown one by
/// [`RULE_TIME_ZONE_UNKNOWN`].
///
/// # Example
///
/// ```
/// use arrears_core::compliance::{
///     evaluate, ActionKind, ChannelGroup, Flags, Pack, Proposal, Recipient,
/// };
/// use arrears_core::model::ContactPointKind;
/// use chrono::{TimeZone, Utc};
///
/// let packs = [Pack::builtin("us-federal").unwrap()];
/// let debts = ["loan-1".to_owned()];
/// let zones = ["America/New_York".to_owned()];
/// let proposal = Proposal {
///     person: 7,
///     debts: &debts,
///     action: ActionKind::Contact,
///     channel: ChannelGroup::Call,
///     recipient: Recipient::Consumer,
///     address: Some("+12125550100"),
///     address_kind: ContactPointKind::Personal,
///     address_consent: true,
///     // 06:30 in New York: too early.
///     at: Utc.with_ymd_and_hms(2026, 2, 2, 11, 30, 0).unwrap(),
///     time_zones: &zones,
/// };
/// let decision = evaluate(&packs, &proposal, &[], &Flags::default());
/// assert!(!decision.allowed);
/// assert_eq!(decision.rule.as_deref(), Some("us-federal.hours"));
/// // 08:00 in New York.
/// assert_eq!(decision.next_allowed_at, Some(Utc.with_ymd_and_hms(2026, 2, 2, 13, 0, 0).unwrap()));
/// ```
pub fn evaluate(
    packs: &[Pack],
    proposal: &Proposal<'_>,
    history: &[HistoryEntry],
    flags: &Flags,
) -> Decision {
    let context = match Context::new(proposal, history, flags) {
        Ok(context) => context,
        Err(decision) => return decision,
    };
    let rules: Vec<&Rule> = packs
        .iter()
        .flat_map(|pack| pack.rules.iter())
        .filter(|rule| rule.applies_to(proposal))
        .collect();
    let blocks = context.blocks(&rules, proposal.at);
    let Some((first_rule, first_block)) = blocks.first() else {
        return Decision::allowed(proposal.at);
    };
    let reason = format!(
        "{}: {} ({}; {})",
        first_rule.summary,
        first_block.detail,
        first_rule.citation,
        first_rule.status.name()
    );
    let also_blocked_by = blocks.iter().skip(1).map(|(rule, _)| rule.id.clone()).collect();
    let rule = Some(first_rule.id.clone());
    let next_allowed_at = context.search(&rules, blocks);
    Decision { allowed: false, rule, reason, next_allowed_at, also_blocked_by }
}

/// A proposal with its zones resolved and the history of its person.
struct Context<'a> {
    proposal: &'a Proposal<'a>,
    zones: Vec<Tz>,
    history: Vec<&'a HistoryEntry>,
    flags: &'a Flags,
}

fn in_year_range(at: DateTime<Utc>) -> bool {
    (YEAR_MIN..=YEAR_MAX).contains(&at.year())
}

impl<'a> Context<'a> {
    fn new(
        proposal: &'a Proposal<'a>,
        history: &'a [HistoryEntry],
        flags: &'a Flags,
    ) -> Result<Context<'a>, Decision> {
        if proposal.debts.is_empty() || DEBTS_MAX < proposal.debts.len() {
            let reason = format!(
                "a proposal concerns 1 to {DEBTS_MAX} debts, this one {}",
                proposal.debts.len()
            );
            return Err(Decision::core_block(RULE_PROPOSAL_INVALID, reason));
        }
        if !in_year_range(proposal.at) {
            let reason = format!(
                "the instant {} is outside the years {YEAR_MIN} to {YEAR_MAX}",
                proposal.at
            );
            return Err(Decision::core_block(RULE_PROPOSAL_INVALID, reason));
        }
        if TIME_ZONES_MAX < proposal.time_zones.len() {
            let reason = format!(
                "a proposal names at most {TIME_ZONES_MAX} candidate time zones, this one {}",
                proposal.time_zones.len()
            );
            return Err(Decision::core_block(RULE_PROPOSAL_INVALID, reason));
        }
        if proposal.time_zones.is_empty() {
            let reason = "no candidate time zone: the person's local time is unknown".to_owned();
            return Err(Decision::core_block(RULE_TIME_ZONE_UNKNOWN, reason));
        }
        let mut zones = Vec::with_capacity(proposal.time_zones.len());
        for name in proposal.time_zones {
            match name.trim().parse::<Tz>() {
                Ok(zone) => zones.push(zone),
                Err(_) => {
                    let reason = format!("{name:?} is not a known IANA time zone");
                    return Err(Decision::core_block(RULE_TIME_ZONE_UNKNOWN, reason));
                }
            }
        }
        let history = history
            .iter()
            .filter(|entry| entry.person == proposal.person && in_year_range(entry.at))
            .collect();
        Ok(Context { proposal, zones, history, flags })
    }

    /// The rules that block the proposal at `at`, in order, with why.
    fn blocks<'r>(&self, rules: &[&'r Rule], at: DateTime<Utc>) -> Vec<(&'r Rule, Block)> {
        rules.iter().filter_map(|rule| self.check(rule, at).map(|block| (*rule, block))).collect()
    }

    /// The earliest instant after the first blocked one at which no rule blocks, by jumping to
    /// the latest of the blocking rules' next candidates until none blocks.
    fn search(&self, rules: &[&Rule], first: Vec<(&Rule, Block)>) -> Option<DateTime<Utc>> {
        let start = self.proposal.at;
        let horizon_end = start.checked_add_signed(TimeDelta::days(HORIZON_DAYS))?;
        let mut at = start;
        let mut blocks = first;
        for _ in 0..SEARCH_STEPS_MAX {
            let mut next = at;
            for (_, block) in &blocks {
                next = next.max(block.next?);
            }
            // A rule's candidate is later than the instant it blocks, except where a zone's
            // clock turns back across midnight (some historical zones did): step a minute on
            // then, so the search always moves forward.
            if next <= at {
                next = at.checked_add_signed(TimeDelta::minutes(1))?;
            }
            if horizon_end < next {
                return None;
            }
            at = next;
            blocks = self.blocks(rules, at);
            if blocks.is_empty() {
                return Some(at);
            }
        }
        None
    }

    fn check(&self, rule: &Rule, at: DateTime<Utc>) -> Option<Block> {
        match &rule.kind {
            RuleKind::FrequencyCap { .. } => self.check_frequency(rule, at),
            RuleKind::Cooldown { trigger_channels, days, consent_days } => {
                self.check_cooldown(at, trigger_channels, *days, *consent_days)
            }
            RuleKind::Hours { open, holidays } => self.check_hours(at, open, *holidays),
            RuleKind::FlagBlock { flag } => self
                .flags
                .is_set(*flag)
                .then(|| Block { detail: format!("the {} flag is set", flag.name()), next: None }),
            RuleKind::ContactBlock { flag } => {
                let flagged = flag.is_none_or(|flag| self.flags.is_set(flag));
                flagged.then(|| Block {
                    detail: match flag {
                        Some(flag) => format!(
                            "{} to a {} address of a {} while the {} flag is set",
                            self.proposal.channel.name(),
                            address_kind_name(self.proposal.address_kind),
                            self.proposal.recipient.name(),
                            flag.name()
                        ),
                        None => format!(
                            "{} to a {} address of a {}",
                            self.proposal.channel.name(),
                            address_kind_name(self.proposal.address_kind),
                            self.proposal.recipient.name()
                        ),
                    },
                    next: None,
                })
            }
            RuleKind::OptOut => self.check_opt_out(),
            RuleKind::RequireConsent => (!self.proposal.address_consent).then(|| Block {
                detail: format!("no consent to {} at this address", self.proposal.channel.name()),
                next: None,
            }),
            RuleKind::ChannelsPerWeek { max, counts } => {
                self.check_channels_per_week(rule, at, *max, *counts)
            }
            RuleKind::CreditReportNotice { wait_days, conversation_suffices } => {
                self.check_credit_report(at, *wait_days, *conversation_suffices)
            }
        }
    }

    // -- Local days ---------------------------------------------------------------------------

    /// Returns true if and only if, in some candidate zone, the local dates of `left` and
    /// `right` are less than `days` apart.
    fn within_days(&self, left: DateTime<Utc>, right: DateTime<Utc>, days: u32) -> bool {
        self.zones.iter().any(|zone| {
            let apart = (local_date(left, *zone) - local_date(right, *zone)).num_days().abs();
            apart < i64::from(days)
        })
    }

    /// The first instant at which, in every candidate zone, the local date is at least `days`
    /// after the local date of `at`.
    fn days_after(&self, at: DateTime<Utc>, days: u64) -> Option<DateTime<Utc>> {
        let mut latest: Option<DateTime<Utc>> = None;
        for zone in &self.zones {
            let date = local_date(at, *zone).checked_add_days(Days::new(days))?;
            let start = start_of_day(date, *zone)?;
            latest = Some(latest.map_or(start, |latest| latest.max(start)));
        }
        latest
    }

    /// Returns true if and only if the person's call consent covers a proposal at `at`: given
    /// at or before it, and less than `days` local days before it in every zone.
    fn consent_covers(&self, at: DateTime<Utc>, days: u32) -> bool {
        self.flags.call_consent_given_at.is_some_and(|given_at| {
            given_at <= at
                && self.zones.iter().all(|zone| {
                    (local_date(at, *zone) - local_date(given_at, *zone)).num_days()
                        < i64::from(days)
                })
        })
    }

    /// `block`, lifted at the latest when a consent given after `at` starts to cover the
    /// proposal (a rule with `consent_days` never blocks from the instant it is given).
    fn until_consent(
        &self,
        block: Option<Block>,
        at: DateTime<Utc>,
        consent_days: Option<u32>,
    ) -> Option<Block> {
        let mut block = block?;
        let given_at = self.flags.call_consent_given_at.filter(|given_at| at < *given_at);
        if let Some(given_at) = given_at.filter(|_| consent_days.is_some()) {
            block.next = Some(block.next.map_or(given_at, |next| next.min(given_at)));
        }
        Some(block)
    }

    // -- Rule kinds ---------------------------------------------------------------------------

    fn check_frequency(&self, rule: &Rule, at: DateTime<Utc>) -> Option<Block> {
        let RuleKind::FrequencyCap { scope, window_days, max, counts, consent_days } = rule.kind
        else {
            return None;
        };
        if consent_days.is_some_and(|days| self.consent_covers(at, days)) {
            return None;
        }
        // A call placed while the person's consent covered it was placed with consent, even
        // if its entry does not say so (12 CFR 1006.14(b)(3)(i)): it never counts.
        let counted: Vec<&HistoryEntry> = self
            .history
            .iter()
            .copied()
            .filter(|entry| rule.counts_entry(entry, counts, consent_days))
            .filter(|entry| !consent_days.is_some_and(|days| self.consent_covers(entry.at, days)))
            .collect();
        let groups: Vec<Option<&String>> = match scope {
            Scope::Person => vec![None],
            Scope::PersonDebt => self.proposal.debts.iter().map(Some).collect(),
        };
        let max_count = usize::try_from(max).unwrap_or(usize::MAX);
        let window = i64::from(window_days);
        let mut block: Option<Block> = None;
        for group in groups {
            let in_group: Vec<&HistoryEntry> = counted
                .iter()
                .copied()
                .filter(|entry| group.is_none_or(|debt| entry.debts.contains(debt)))
                .collect();
            if in_group.len() < max_count {
                continue;
            }
            // In each zone, the proposal is blocked if some run of `window_days` consecutive
            // local days that holds its day already holds `max` counted entries (entries
            // later than the proposal included): with it, that run would hold one too many.
            // It is allowed again on the first later day for which no such run is full.
            let mut fullest: Option<usize> = None;
            let mut next: Option<DateTime<Utc>> = Some(at);
            for zone in &self.zones {
                let today = local_date(at, *zone);
                let mut offsets: Vec<i64> = in_group
                    .iter()
                    .map(|entry| (local_date(entry.at, *zone) - today).num_days())
                    .collect();
                offsets.sort_unstable();
                let count = fullest_run(&offsets, 0, window);
                if count < max_count {
                    continue;
                }
                fullest = Some(fullest.map_or(count, |fullest| fullest.max(count)));
                let reopens = (1..=HORIZON_DAYS + 1)
                    .find(|day| fullest_run(&offsets, *day, window) < max_count)
                    .and_then(|day| today.checked_add_days(Days::new(day.unsigned_abs())))
                    .and_then(|date| start_of_day(date, *zone));
                next = next.zip(reopens).map(|(left, right)| left.max(right));
            }
            let Some(count) = fullest else { continue };
            let channels = names(&rule.channels, |channel| channel.name());
            let about = match group {
                Some(debt) => format!(" about debt {debt:?}"),
                None => String::new(),
            };
            let detail = format!(
                "{count} {} {channels} communications{about} within {window_days} consecutive \
                 local days, at most {max}",
                counts.name(),
            );
            block = Some(match block {
                None => Block { detail, next },
                Some(earlier) => Block {
                    detail: earlier.detail,
                    next: earlier.next.zip(next).map(|(left, right)| left.max(right)),
                },
            });
        }
        self.until_consent(block, at, consent_days)
    }

    fn check_cooldown(
        &self,
        at: DateTime<Utc>,
        trigger_channels: &[ChannelGroup],
        days: u32,
        consent_days: Option<u32>,
    ) -> Option<Block> {
        if consent_days.is_some_and(|consent| self.consent_covers(at, consent)) {
            return None;
        }
        let mut block: Option<Block> = None;
        for entry in &self.history {
            let trigger = entry.at <= at
                && entry.outcome == Outcome::Conversation
                && entry.recipient == Recipient::Consumer
                && trigger_channels.contains(&entry.channel)
                && self.within_days(entry.at, at, days);
            let Some(debt) = self.proposal.debts.iter().find(|debt| entry.debts.contains(debt))
            else {
                continue;
            };
            if !trigger {
                continue;
            }
            let next = self.days_after(entry.at, u64::from(days));
            block = Some(match block {
                None => Block {
                    detail: format!(
                        "a {} conversation about debt {debt:?} at {} starts {days} local days, \
                         its day being day 1",
                        entry.channel.name(),
                        entry.at.format("%Y-%m-%d %H:%M UTC")
                    ),
                    next,
                },
                Some(earlier) => Block {
                    detail: earlier.detail,
                    next: earlier.next.zip(next).map(|(left, right)| left.max(right)),
                },
            });
        }
        self.until_consent(block, at, consent_days)
    }

    fn check_hours(
        &self,
        at: DateTime<Utc>,
        open: &[Option<DayWindow>; 7],
        holidays: Option<Calendar>,
    ) -> Option<Block> {
        let mut block: Option<Block> = None;
        for zone in &self.zones {
            let Some(detail) = closed_reason(at, *zone, open, holidays) else { continue };
            let next = next_open(at, *zone, open, holidays);
            block = Some(match block {
                None => Block { detail, next },
                Some(earlier) => Block {
                    detail: earlier.detail,
                    next: earlier.next.zip(next).map(|(left, right)| left.max(right)),
                },
            });
        }
        block
    }

    fn check_opt_out(&self) -> Option<Block> {
        let channel = self.proposal.channel;
        if self.flags.opted_out_channels.contains(&channel) {
            return Some(Block {
                detail: format!("the person asked not to be contacted by {}", channel.name()),
                next: None,
            });
        }
        let address = normalize_address(self.proposal.address?, channel);
        let same = |opted_out: &String| same_normalized(channel, opted_out, &address);
        let opted_out = !address.is_empty()
            && (self.flags.opted_out_addresses.iter().any(same)
                || self
                    .flags
                    .opted_out_channel_addresses
                    .iter()
                    .any(|(group, opted_out)| *group == channel && same(opted_out)));
        opted_out.then(|| Block {
            detail: format!("the person opted out of this {} address", channel.name()),
            next: None,
        })
    }

    fn check_channels_per_week(
        &self,
        rule: &Rule,
        at: DateTime<Utc>,
        max: u32,
        counts: Counts,
    ) -> Option<Block> {
        let same_week: Vec<&HistoryEntry> = self
            .history
            .iter()
            .copied()
            .filter(|entry| rule.counts_entry(entry, counts, None))
            .filter(|entry| {
                self.zones.iter().any(|zone| {
                    week_start(local_date(entry.at, *zone)) == week_start(local_date(at, *zone))
                })
            })
            .collect();
        let mut used: Vec<ChannelGroup> = same_week.iter().map(|entry| entry.channel).collect();
        used.push(self.proposal.channel);
        used.sort_unstable();
        used.dedup();
        if used.len() <= usize::try_from(max).unwrap_or(usize::MAX) {
            return None;
        }
        // A lower bound: nothing changes before the first other-channel entry leaves the week.
        let next = same_week
            .iter()
            .filter(|entry| entry.channel != self.proposal.channel)
            .filter_map(|entry| self.next_week_start(entry.at))
            .min();
        let channels = names(&used, |channel| channel.name());
        Some(Block {
            detail: format!(
                "{channels} in the same local calendar week: at most {max} channel groups"
            ),
            next,
        })
    }

    /// The first instant at which, in every zone, a new local week has begun since `at`.
    fn next_week_start(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut latest: Option<DateTime<Utc>> = None;
        for zone in &self.zones {
            let date = local_date(at, *zone);
            let monday = week_start(date).checked_add_days(Days::new(7))?;
            let start = start_of_day(monday, *zone)?;
            latest = Some(latest.map_or(start, |latest| latest.max(start)));
        }
        latest
    }

    fn check_credit_report(
        &self,
        at: DateTime<Utc>,
        wait_days: u32,
        conversation_suffices: bool,
    ) -> Option<Block> {
        let wait = TimeDelta::days(i64::from(wait_days));
        let mut block: Option<Block> = None;
        for debt in self.proposal.debts {
            let about = |entry: &&HistoryEntry| {
                entry.debts.contains(debt) && entry.recipient == Recipient::Consumer
            };
            // A conversation suffices from its instant on, so a later one is a candidate too.
            let spoken_at: Vec<DateTime<Utc>> = if conversation_suffices {
                self.history
                    .iter()
                    .copied()
                    .filter(about)
                    .filter(|entry| {
                        entry.outcome == Outcome::Conversation
                            && matches!(entry.channel, ChannelGroup::Call | ChannelGroup::Visit)
                    })
                    .map(|entry| entry.at)
                    .collect()
            } else {
                Vec::new()
            };
            if spoken_at.iter().any(|spoken_at| *spoken_at <= at) {
                continue;
            }
            let notices_ready_at: Vec<DateTime<Utc>> = self
                .history
                .iter()
                .copied()
                .filter(about)
                .filter(|entry| {
                    entry.direction == Direction::Outbound
                        && matches!(
                            entry.channel,
                            ChannelGroup::Letter | ChannelGroup::Email | ChannelGroup::Text
                        )
                        // Undeliverable, or it reached someone else: not a notice to the
                        // person (12 CFR 1006.30(a)(1)(ii)). Not sent yet: no notice at all.
                        && !matches!(
                            entry.outcome,
                            Outcome::Bounced
                                | Outcome::NotConnected
                                | Outcome::WrongParty
                                | Outcome::Pending
                        )
                })
                .filter_map(|entry| entry.at.checked_add_signed(wait))
                .collect();
            if notices_ready_at.iter().any(|ready_at| *ready_at <= at) {
                continue;
            }
            let next = notices_ready_at.iter().chain(&spoken_at).copied().min();
            let detail = match notices_ready_at.iter().copied().min() {
                Some(ready_at) => format!(
                    "the notice about debt {debt:?} must wait {wait_days} days, until {}",
                    ready_at.format("%Y-%m-%d %H:%M UTC")
                ),
                None => format!(
                    "no {}letter or electronic message about debt {debt:?} yet",
                    if conversation_suffices { "conversation, " } else { "" }
                ),
            };
            block = Some(match block {
                None => Block { detail, next },
                Some(earlier) => Block {
                    detail: earlier.detail,
                    next: earlier.next.zip(next).map(|(left, right)| left.max(right)),
                },
            });
        }
        block
    }
}

// ---------------------------------------------------------------------------------------------
// Local time
// ---------------------------------------------------------------------------------------------

fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The Monday of the ISO week of `date`.
fn week_start(date: NaiveDate) -> NaiveDate {
    let back = u64::from(date.weekday().num_days_from_monday());
    date.checked_sub_days(Days::new(back)).unwrap_or(date)
}

/// The most entries of `offsets` (local day numbers, sorted) that one run of `window`
/// consecutive days holding day `day` holds. Moving a run a day later loses only the entries
/// of its first day, so a fullest run can be taken to start on `day` or on the day of one of
/// the entries it holds.
fn fullest_run(offsets: &[i64], day: i64, window: i64) -> usize {
    let first_start = day - (window - 1);
    let held = |start: i64| {
        let from = offsets.partition_point(|offset| *offset < start);
        let to = offsets.partition_point(|offset| *offset < start + window);
        to - from
    };
    let from = offsets.partition_point(|offset| *offset < first_start);
    let to = offsets.partition_point(|offset| *offset <= day);
    let starts = offsets.get(from..to).unwrap_or_default();
    starts.iter().map(|start| held(*start)).chain([held(day)]).max().unwrap_or(0)
}

/// The earliest instant whose local date-time in `zone` is `date` `time` or, if the zone
/// skips it, the first local time after it on the same date; `None` if the date has none.
fn local_instant(date: NaiveDate, time: NaiveTime, zone: Tz) -> Option<DateTime<Utc>> {
    let mut local = date.and_time(time);
    for _ in 0..=LOCAL_GAP_MINUTES_MAX {
        if local.date() != date {
            return None;
        }
        if let Some(instant) = zone.from_local_datetime(&local).earliest() {
            return Some(instant.with_timezone(&Utc));
        }
        local = local.checked_add_signed(TimeDelta::minutes(1))?;
    }
    None
}

/// The first instant whose local date in `zone` is `date` or later.
fn start_of_day(date: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    let mut day = date;
    for _ in 0..3 {
        if let Some(instant) = local_instant(day, NaiveTime::MIN, zone) {
            return Some(instant);
        }
        day = day.succ_opt()?;
    }
    None
}

fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn window_of(date: NaiveDate, open: &[Option<DayWindow>; 7]) -> Option<DayWindow> {
    open.get(date.weekday().num_days_from_monday() as usize).copied().flatten()
}

/// Why `at` is outside the hours in `zone`, or `None` if it is inside.
fn closed_reason(
    at: DateTime<Utc>,
    zone: Tz,
    open: &[Option<DayWindow>; 7],
    holidays: Option<Calendar>,
) -> Option<String> {
    let local = at.with_timezone(&zone);
    let date = local.date_naive();
    let shown = local.format("%Y-%m-%d %H:%M");
    if let Some(calendar) = holidays.filter(|calendar| holidays::is_holiday(*calendar, date)) {
        return Some(format!("{shown} in {zone} is a {} holiday", calendar_name(calendar)));
    }
    let weekday = weekday_name(date.weekday());
    let Some(window) = window_of(date, open) else {
        return Some(format!("{shown} in {zone}: no communication on a {weekday}"));
    };
    let time = local.time();
    if window.open <= time && time < window.close {
        return None;
    }
    Some(format!(
        "{shown} in {zone} is outside {}-{} on a {weekday}",
        window.open.format("%H:%M"),
        window.close.format("%H:%M")
    ))
}

/// The first instant after `at` at which the hours are open in `zone`.
fn next_open(
    at: DateTime<Utc>,
    zone: Tz,
    open: &[Option<DayWindow>; 7],
    holidays: Option<Calendar>,
) -> Option<DateTime<Utc>> {
    let today = local_date(at, zone);
    for offset in 0..=OPEN_DAY_SCAN_DAYS {
        let date = today.checked_add_days(Days::new(offset))?;
        if holidays.is_some_and(|calendar| holidays::is_holiday(calendar, date)) {
            continue;
        }
        let Some(window) = window_of(date, open) else { continue };
        let Some(opens_at) = local_instant(date, window.open, zone) else { continue };
        if at < opens_at {
            return Some(opens_at);
        }
    }
    None
}

fn calendar_name(calendar: Calendar) -> &'static str {
    match calendar {
        Calendar::UsFederal => "US federal",
        Calendar::Colombia => "Colombian",
        Calendar::Mexico => "Mexican",
        Calendar::Chile => "Chilean",
        Calendar::Peru => "Peruvian",
        Calendar::Spain => "Spanish",
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn address_kind_name(kind: ContactPointKind) -> &'static str {
    match kind {
        ContactPointKind::Personal => "personal",
        ContactPointKind::Work => "work",
        ContactPointKind::EmployerProvided => "employer-provided",
    }
}

/// Fewest digits a phone number written without its country code (no `+`) has for it to
/// match the end of a longer one.
const NATIONAL_DIGITS_MIN: usize = 8;

/// Returns true if and only if two phone numbers, as `normalize_address` gives them, are the
/// same number: the same digits if both are in international form (`+`); otherwise, once
/// the leading zeros of a number written without `+` are dropped (a trunk or international
/// prefix such as `0` or `00`), the shorter digits, at least [`NATIONAL_DIGITS_MIN`] of them,
/// end the longer ones (a national number without its country code). A number that merely
/// looks alike in another country matches too: the opt-out errs on the side of not calling.
fn same_phone_number(left: &str, right: &str) -> bool {
    let digits = |number: &str| -> String {
        let all: String = number.chars().filter(char::is_ascii_digit).collect();
        if number.starts_with('+') {
            all
        } else {
            all.trim_start_matches('0').to_owned()
        }
    };
    let both_international = left.starts_with('+') && right.starts_with('+');
    let (left, right) = (digits(left), digits(right));
    let (short, long) = if left.len() <= right.len() { (left, right) } else { (right, left) };
    !short.is_empty()
        && (short == long
            || (!both_international
                && NATIONAL_DIGITS_MIN <= short.len()
                && long.ends_with(&short)))
}

/// Returns true if and only if two addresses of a channel are the same: phone numbers (calls,
/// texts, messaging) on their digits, a national number matching the end of an international
/// one; e-mail addresses without case; anything else trimmed. The rule opt-outs are checked by,
/// and the one `wrong_party` removes a debtor's contact points by.
///
/// ```
/// use arrears_core::compliance::same_address;
/// use arrears_core::model::ContactChannel;
///
/// assert!(same_address(ContactChannel::Sms, "(512) 555-0100", "+1 512 555 0100"));
/// assert!(same_address(ContactChannel::Email, "Ana@Example.com ", "ana@example.com"));
/// assert!(!same_address(ContactChannel::Phone, "+1 512 555 0100", "+44 512 555 0100"));
/// ```
pub fn same_address(channel: ContactChannel, left: &str, right: &str) -> bool {
    let group = ChannelGroup::from(channel);
    let right = normalize_address(right, group);
    !right.is_empty() && same_normalized(group, left, &right)
}

/// The contact points among `points` at `address` ([`same_address`]), each (channel, address
/// as the point writes it) once: what a `wrong_party` outcome removes.
pub fn points_at(points: &[ContactPoint], address: &str) -> Vec<(ContactChannel, String)> {
    let mut found: Vec<(ContactChannel, String)> = Vec::new();
    for point in points {
        let pair = (point.channel, point.address.clone());
        if same_address(pair.0, &pair.1, address) && !found.contains(&pair) {
            found.push(pair);
        }
    }
    found
}

/// `left` (as given) and `right` (normalized) are the same address of `channel`.
fn same_normalized(channel: ChannelGroup, left: &str, right: &str) -> bool {
    let left = normalize_address(left, channel);
    match channel {
        ChannelGroup::Call | ChannelGroup::Text => same_phone_number(&left, right),
        _ => left == right,
    }
}

/// An address as compared with opt-outs: the digits and `+` of a phone number (compared with
/// `same_phone_number`), an e-mail address without case, anything else trimmed.
fn normalize_address(address: &str, channel: ChannelGroup) -> String {
    match channel {
        ChannelGroup::Call | ChannelGroup::Text => {
            address.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
        }
        ChannelGroup::Email => address.trim().to_lowercase(),
        ChannelGroup::Letter | ChannelGroup::Visit => address.trim().to_owned(),
    }
}

fn names<T: Copy>(items: &[T], name: fn(T) -> &'static str) -> String {
    let names: Vec<&str> = items.iter().map(|item| name(*item)).collect();
    names.join("/")
}

#[cfg(test)]
mod tests;
