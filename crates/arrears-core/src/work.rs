//! Work for people: teams and agents with skills, the work item the engine keeps for an account
//! that people collect on (its next-action date and an agent's lease), the outcome codes an
//! agent records, and the work log the productivity report reads.
//!
//! Which accounts are work, and for which team, is the policy's `[[assignment]]` rules
//! (`crate::policy::Assignment`); this module holds the records and the matching of skills.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::AccountId;
use crate::model::{Debtor, Jurisdiction, ProductKind};

/// What a team or an agent can work on. An empty list allows anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skills {
    /// Languages (BCP 47 primary tags or full tags: `es` covers `es-MX`).
    pub languages: Vec<String>,
    /// Products.
    pub products: Vec<ProductKind>,
    /// Jurisdictions, as `US` (covers every US region) or `US-MA`.
    pub jurisdictions: Vec<String>,
}

impl Skills {
    /// Returns true if and only if these skills allow working an account of `product` owed by
    /// `debtor`.
    pub fn allow(&self, debtor: &Debtor, product: ProductKind) -> bool {
        (self.languages.is_empty()
            || self.languages.iter().any(|skill| language_covers(skill, &debtor.language)))
            && (self.products.is_empty() || self.products.contains(&product))
            && (self.jurisdictions.is_empty()
                || self
                    .jurisdictions
                    .iter()
                    .any(|skill| jurisdiction_covers(skill, &debtor.jurisdiction)))
    }
}

/// Returns true if and only if the language `skill` covers the language tag `language`: the
/// same tag, or a prefix of it ending at a subtag (`es` covers `es-MX`), ignoring case.
pub fn language_covers(skill: &str, language: &str) -> bool {
    let (skill, language) = (skill.to_ascii_lowercase(), language.to_ascii_lowercase());
    language == skill || language.strip_prefix(&skill).is_some_and(|rest| rest.starts_with('-'))
}

/// Returns true if and only if the jurisdiction `skill` (`US` or `US-MA`) covers `place`.
pub fn jurisdiction_covers(skill: &str, place: &Jurisdiction) -> bool {
    match skill.split_once('-') {
        None => skill.eq_ignore_ascii_case(&place.country),
        Some((country, region)) => {
            country.eq_ignore_ascii_case(&place.country)
                && place.region.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(region))
        }
    }
}

/// A team of agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The name the policy's assignment rules use.
    pub name: String,
    /// What the team works on: an agent of the team gets an item only if both the team's and
    /// the agent's skills allow it.
    pub skills: Skills,
}

/// An agent: a person who works items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// The id the agent signs in with (`agent-7`).
    pub id: String,
    /// The display name.
    pub name: String,
    /// The teams whose items the agent works (at least one).
    pub teams: Vec<String>,
    /// What the agent can work on.
    pub skills: Skills,
    /// False once deactivated: an inactive agent gets no item and records no outcome.
    pub active: bool,
}

/// An agent's lease on a work item: no other agent gets the item until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkClaim {
    /// The agent.
    pub agent: String,
    /// The end of the lease.
    pub until: DateTime<Utc>,
}

/// What the engine keeps about an account that people work on, beyond its case: when it is
/// next to be worked, who holds it, and the last outcome. An account with no record is due
/// at once and unclaimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    /// The account.
    pub account: AccountId,
    /// The first day it may be worked again; `None` for at once.
    pub next_action_on: Option<NaiveDate>,
    /// The lease of the agent working it, if any (an ended lease no longer holds it).
    pub claim: Option<WorkClaim>,
    /// The day the debtor last asked for more time (the `extension_request` signal).
    pub extension_requested_on: Option<NaiveDate>,
}

impl WorkItem {
    /// An item due at once, unclaimed.
    pub fn new(account: AccountId) -> WorkItem {
        WorkItem { account, next_action_on: None, claim: None, extension_requested_on: None }
    }

    /// Returns true if and only if an agent other than `agent` holds a lease that has not
    /// ended at `now`.
    pub fn held_by_other(&self, agent: &str, now: DateTime<Utc>) -> bool {
        self.claim.as_ref().is_some_and(|claim| claim.agent != agent && now < claim.until)
    }
}

/// Days the `extension_request` signal lasts after the debtor asked.
pub const EXTENSION_REQUEST_SIGNAL_DAYS: i64 = 30;

/// What an agent records after working an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkOutcomeCode {
    /// The debtor promised to pay (a promise is recorded).
    Promise,
    /// The debtor refused to pay.
    Refusal,
    /// The debtor gave a reason for not paying (job loss, illness).
    Excuse,
    /// The debtor asked to be called back (the item's next-action date).
    Callback,
    /// The debtor asked for more time (the `extension_request` signal).
    ExtensionRequested,
    /// The debtor disputed the debt (a dispute is opened).
    Dispute,
    /// The person reached is not the debtor.
    WrongParty,
}

impl WorkOutcomeCode {
    /// Every code.
    pub const ALL: [WorkOutcomeCode; 7] = [
        WorkOutcomeCode::Promise,
        WorkOutcomeCode::Refusal,
        WorkOutcomeCode::Excuse,
        WorkOutcomeCode::Callback,
        WorkOutcomeCode::ExtensionRequested,
        WorkOutcomeCode::Dispute,
        WorkOutcomeCode::WrongParty,
    ];

    /// What the agent's contact was, in the debtor's contact history.
    pub fn contact_outcome(self) -> crate::case::ContactOutcome {
        use crate::case::ContactOutcome;
        match self {
            WorkOutcomeCode::Promise => ContactOutcome::PromiseCaptured,
            WorkOutcomeCode::Dispute => ContactOutcome::DisputeRaised,
            WorkOutcomeCode::WrongParty => ContactOutcome::WrongParty,
            WorkOutcomeCode::Refusal
            | WorkOutcomeCode::Excuse
            | WorkOutcomeCode::Callback
            | WorkOutcomeCode::ExtensionRequested => ContactOutcome::RightParty,
        }
    }

    /// The name as written on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            WorkOutcomeCode::Promise => "promise",
            WorkOutcomeCode::Refusal => "refusal",
            WorkOutcomeCode::Excuse => "excuse",
            WorkOutcomeCode::Callback => "callback",
            WorkOutcomeCode::ExtensionRequested => "extension_requested",
            WorkOutcomeCode::Dispute => "dispute",
            WorkOutcomeCode::WrongParty => "wrong_party",
        }
    }

    /// The code named `name`, if any.
    pub fn from_name(name: &str) -> Option<WorkOutcomeCode> {
        WorkOutcomeCode::ALL.into_iter().find(|code| code.name() == name)
    }
}

/// One outcome an agent recorded, as the work log keeps it (appended, never changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkLogEntry {
    /// The agent.
    pub agent: String,
    /// The team the item belonged to when it was worked (none if no assignment rule gave it
    /// to a team any more).
    pub team: Option<String>,
    /// The account worked.
    pub account: AccountId,
    /// The outcome.
    pub code: WorkOutcomeCode,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The amount promised, in minor units of the account's currency (0 unless a promise).
    pub promised_minor: i64,
}

#[cfg(test)]
mod tests;
