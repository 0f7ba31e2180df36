//! Scoring and contact strategy: the traits plugins implement, and the built-in defaults.
//!
//! The engine computes [`Features`] for each account it reviews, asks a [`Scorer`] for a
//! [`Score`] with reason codes, picks the policy stage's contact steps, and asks a
//! [`ContactStrategy`] for [`ContactProposal`]s, one coordinated request per debtor. A
//! strategy proposes; the engine disposes: every proposal is checked (and, with the compliance
//! packs, guarded) before it reaches the outbox, so a strategy cannot send what the rules
//! forbid.
//!
//! The built-ins let the engine run with no plugin: [`RulesScorer`] (transparent points from
//! delinquency and payment behaviour) and [`ChannelLadder`] (the policy's steps in order, on
//! the first consenting address of the step's channel, at a fixed local hour).

use std::ops::RangeInclusive;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, DebtorId};
use crate::model::{ContactChannel, ContactPoint, ProductKind};
use crate::money::Currency;

/// Most reason codes a score carries.
pub const REASONS_MAX: usize = 4;
/// Lowest score.
pub const SCORE_MIN: f64 = 0.0;
/// Highest score.
pub const SCORE_MAX: f64 = 1000.0;

/// What the engine knows about an account when it scores it. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// The account.
    pub account: AccountId,
    /// Its debtor.
    pub debtor: DebtorId,
    /// The product.
    pub product: ProductKind,
    /// The scoring date: the review date in a cycle (every feature below is as of that day).
    pub as_of: NaiveDate,
    /// The account's currency: every `*_minor` amount below is in its minor units.
    pub currency: Currency,
    /// Days past due.
    pub days_past_due: i64,
    /// Total outstanding.
    pub total_outstanding_minor: i64,
    /// Past due.
    pub past_due_minor: i64,
    /// The credit limit, if any.
    pub credit_limit_minor: Option<i64>,
    /// Whole months since the account was opened.
    pub months_on_book: i64,
    /// Payments received in the last 90 days (not reversed).
    pub payments_90d: u32,
    /// Amount received in the last 90 days.
    pub paid_90d_minor: i64,
    /// Payments reversed in the last 90 days.
    pub reversals_90d: u32,
    /// Promises broken, ever.
    pub broken_promises: u32,
    /// Promises kept, ever.
    pub kept_promises: u32,
    /// Contact attempts in the last 30 days.
    pub attempts_30d: u32,
    /// Conversations with the right party in the last 30 days.
    pub right_party_contacts_30d: u32,
    /// Outbound phone calls in the last 30 days (of `attempts_30d`): what the unreturned-calls
    /// signal counts (issue 18 point 3: calls, not delivered e-mails). Not passed to plugins
    /// (the ABI's features stop at `right_party_contacts_30d`).
    pub calls_30d: u32,
}

/// A score with the reasons that lowered it most (for adverse-action notices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// From [`SCORE_MIN`] to [`SCORE_MAX`]; higher is better (more likely to pay).
    pub points: f64,
    /// A band name for policy stages: the built-in scorer's are `low_risk`, `medium_risk`,
    /// `elevated_risk`, `high_risk` and `very_high_risk`.
    pub band: String,
    /// Up to [`REASONS_MAX`] reason codes, the strongest first.
    pub reasons: Vec<String>,
}

/// Why a strategy or scorer could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{component} failed: {reason}")]
pub struct StrategyError {
    /// The scorer or strategy name.
    pub component: String,
    /// What went wrong.
    pub reason: String,
}

/// Scores accounts, in batches.
pub trait Scorer: Send + Sync {
    /// The scorer's name (recorded with each score).
    fn name(&self) -> &str;

    /// One score per input, in order.
    ///
    /// # Errors
    ///
    /// [`StrategyError`] if the scorer cannot score the batch; the engine then treats the
    /// batch as unscored rather than guessing.
    fn score_batch(&self, features: &[Features]) -> Result<Vec<Score>, StrategyError>;
}

/// One contact step a policy stage asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactStep {
    /// The channel.
    pub channel: ContactChannel,
    /// The message template id.
    pub template: String,
    /// The template's tone, in a policy whose templates are data (docs/MESSAGES.md); `None`
    /// for a template id only the integrator knows.
    #[serde(default)]
    pub tone: Option<crate::message::Tone>,
}

/// A request for contact proposals, one per debtor, covering all the debtor's accounts that
/// are due a contact today, so that a debtor gets one coordinated plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRequest {
    /// The debtor.
    pub debtor: DebtorId,
    /// The accounts concerned, in id order.
    pub accounts: Vec<AccountId>,
    /// The review date.
    pub as_of: NaiveDate,
    /// The steps the stages ask for today, most urgent first.
    pub steps: Vec<ContactStep>,
    /// The debtor's contact points.
    pub contact_points: Vec<ContactPoint>,
    /// The debtor's candidate IANA time zones, the first being the likeliest.
    pub time_zones: Vec<String>,
    /// The lowest score among the accounts, if scored.
    pub score: Option<Score>,
    /// The debtor's contact history, oldest first (for send times by right-party-contact
    /// rate, escalation after unanswered attempts).
    pub history: Vec<crate::case::ContactAttempt>,
}

/// A proposed contact. Nothing is sent until the engine accepts it into the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactProposal {
    /// The debtor.
    pub debtor: DebtorId,
    /// The accounts the contact is about.
    pub accounts: Vec<AccountId>,
    /// The channel.
    pub channel: ContactChannel,
    /// The address, one of the debtor's contact points.
    pub address: String,
    /// The message template id.
    pub template: String,
    /// When to make the contact.
    pub at: DateTime<Utc>,
    /// The tone the strategy chose, if it chose one: the engine then uses the template of the
    /// due steps on the proposal's channel with that tone (the proposed template if it has
    /// it), and refuses the proposal if none has. `None` keeps the proposed template.
    #[serde(default)]
    pub tone: Option<crate::message::Tone>,
}

/// How many days after the start of the review date (00:00 UTC) a proposed contact may be:
/// exactly 31 days after it is the last instant accepted.
pub const PROPOSAL_HORIZON_DAYS_MAX: i64 = 31;
/// How many days before the start of the review date (00:00 UTC) a proposed contact may be:
/// the debtor's local review day starts up to 14 hours earlier (UTC+14), and a strategy that
/// works in local time must not be refused for it.
pub const PROPOSAL_LEAD_DAYS_MAX: i64 = 1;

/// The instants a contact proposed on review date `as_of` may name, both ends included: from
/// 00:00 UTC [`PROPOSAL_LEAD_DAYS_MAX`] day before `as_of` to 00:00 UTC
/// [`PROPOSAL_HORIZON_DAYS_MAX`] days after it. The one rule for every strategy, built in or
/// plugged in (the plugin host checks the same window). `None` only for a date so close to
/// the ends of the calendar that the window cannot be represented.
///
/// ```
/// use arrears_core::strategy::proposal_window;
/// let window = proposal_window("2026-11-20".parse().unwrap()).unwrap();
/// assert_eq!(window.start().to_rfc3339(), "2026-11-19T00:00:00+00:00");
/// assert_eq!(window.end().to_rfc3339(), "2026-12-21T00:00:00+00:00");
/// ```
pub fn proposal_window(as_of: NaiveDate) -> Option<RangeInclusive<DateTime<Utc>>> {
    let start = as_of.and_time(NaiveTime::MIN).and_utc();
    let earliest = start.checked_sub_signed(TimeDelta::days(PROPOSAL_LEAD_DAYS_MAX))?;
    let latest = start.checked_add_signed(TimeDelta::days(PROPOSAL_HORIZON_DAYS_MAX))?;
    Some(earliest..=latest)
}

/// Proposes contacts for debtors, in batches.
pub trait ContactStrategy: Send + Sync {
    /// The strategy's name.
    fn name(&self) -> &str;

    /// Proposals for the requests, in any order, at most a few per request.
    ///
    /// # Errors
    ///
    /// [`StrategyError`] if the strategy cannot answer; the engine then proposes nothing for
    /// the batch.
    fn propose_batch(
        &self,
        requests: &[ContactRequest],
    ) -> Result<Vec<ContactProposal>, StrategyError>;
}

/// A transparent points scorer: 600 to start, less for days past due, reversals and broken
/// promises, more for recent payments, kept promises and reached conversations.
#[derive(Debug, Clone, Copy, Default)]
pub struct RulesScorer;

impl RulesScorer {
    /// Scores one account.
    pub fn score(features: &Features) -> Score {
        // (reason code, points), negative lowers the score.
        let dpd = features.days_past_due.clamp(0, 360) as f64;
        let factors: [(&str, f64); 6] = [
            ("days_past_due", -dpd * 1.5),
            ("broken_promises", -60.0 * f64::from(features.broken_promises.min(5))),
            ("reversed_payments", -50.0 * f64::from(features.reversals_90d.min(4))),
            ("recent_payments", 25.0 * f64::from(features.payments_90d.min(6))),
            ("kept_promises", 30.0 * f64::from(features.kept_promises.min(5))),
            (
                "no_contact",
                if features.attempts_30d >= 3 && features.right_party_contacts_30d == 0 {
                    -40.0
                } else {
                    0.0
                },
            ),
        ];
        let points = (600.0 + factors.iter().map(|(_, points)| points).sum::<f64>())
            .clamp(SCORE_MIN, SCORE_MAX);
        let mut lowering: Vec<(&str, f64)> =
            factors.iter().copied().filter(|(_, points)| *points < 0.0).collect();
        lowering.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
        let band = match points {
            p if p >= 700.0 => "low_risk",
            p if p >= 600.0 => "medium_risk",
            p if p >= 500.0 => "elevated_risk",
            p if p >= 400.0 => "high_risk",
            _ => "very_high_risk",
        };
        Score {
            points,
            band: band.to_owned(),
            reasons: lowering
                .into_iter()
                .take(REASONS_MAX)
                .map(|(code, _)| code.to_owned())
                .collect(),
        }
    }
}

impl Scorer for RulesScorer {
    fn name(&self) -> &str {
        "rules"
    }

    fn score_batch(&self, features: &[Features]) -> Result<Vec<Score>, StrategyError> {
        Ok(features.iter().map(RulesScorer::score).collect())
    }
}

/// The built-in contact strategy: for each request, the first step whose channel has a usable
/// address (consented where the channel needs consent, not opted out), at a fixed local hour in
/// the debtor's first time zone. Two are registered: `ladder` (10:00) and `ladder_evening`
/// (18:00), so that champion and challenger arms can differ with no plugin.
#[derive(Debug, Clone, Copy)]
pub struct ChannelLadder {
    /// The name policies use for it.
    pub name: &'static str,
    /// The local hour of day (0 to 23) at which contacts are proposed.
    pub local_hour: u32,
}

impl Default for ChannelLadder {
    fn default() -> ChannelLadder {
        ChannelLadder { name: "ladder", local_hour: 10 }
    }
}

impl ChannelLadder {
    /// The evening variant: 18:00 local time.
    pub fn evening() -> ChannelLadder {
        ChannelLadder { name: "ladder_evening", local_hour: 18 }
    }
}

/// Returns true if and only if `point` may be used for `channel`: same channel, not opted
/// out, and consented for channels that need prior consent (SMS and messaging apps).
pub fn usable(point: &ContactPoint, channel: ContactChannel) -> bool {
    let needs_consent = matches!(channel, ContactChannel::Sms | ContactChannel::Messaging);
    point.channel == channel && !point.opted_out && (point.consent || !needs_consent)
}

/// The instant of `local_hour`:00 on `day` in the IANA zone `zone` (the earlier instant if
/// the local time is ambiguous, the next valid instant if it falls in a gap). `None` for an
/// unknown zone.
pub fn local_instant(day: NaiveDate, local_hour: u32, zone: &str) -> Option<DateTime<Utc>> {
    let tz: chrono_tz::Tz = zone.parse().ok()?;
    let mut local = day.and_time(NaiveTime::from_hms_opt(local_hour.min(23), 0, 0)?);
    for _ in 0..4 {
        if let Some(instant) = tz.from_local_datetime(&local).earliest() {
            return Some(instant.with_timezone(&Utc));
        }
        local = local.checked_add_signed(chrono::Duration::minutes(30))?;
    }
    None
}

impl ContactStrategy for ChannelLadder {
    fn name(&self) -> &str {
        self.name
    }

    fn propose_batch(
        &self,
        requests: &[ContactRequest],
    ) -> Result<Vec<ContactProposal>, StrategyError> {
        let mut proposals = Vec::new();
        for request in requests {
            let zone = request.time_zones.first().map_or("UTC", String::as_str);
            let Some(at) = local_instant(request.as_of, self.local_hour, zone) else { continue };
            let chosen = request.steps.iter().find_map(|step| {
                request
                    .contact_points
                    .iter()
                    .find(|point| usable(point, step.channel))
                    .map(|point| (step, point))
            });
            if let Some((step, point)) = chosen {
                proposals.push(ContactProposal {
                    debtor: request.debtor,
                    accounts: request.accounts.clone(),
                    channel: step.channel,
                    address: point.address.clone(),
                    template: step.template.clone(),
                    at,
                    tone: None,
                });
            }
        }
        Ok(proposals)
    }
}

#[cfg(test)]
mod tests;
