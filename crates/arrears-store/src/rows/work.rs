//! Rows of teams, agents, work items and the work log.

use arrears_core::work::{Agent, Skills, Team, WorkClaim, WorkItem, WorkLogEntry, WorkOutcomeCode};
use serde::{Deserialize, Serialize};

use crate::stored;

use super::model::*;
use super::{Day, Instant};

/// The stored form of `arrears_core::work::Team`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct TeamRow {
    pub name: String,
    pub skills: SkillsRow,
}

/// The stored form of `arrears_core::work::Agent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    pub teams: Vec<String>,
    pub skills: SkillsRow,
    pub active: bool,
}

/// The stored form of `arrears_core::work::WorkItem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkItemRow {
    pub account: u64,
    pub next_action_on: Option<Day>,
    pub claim: Option<WorkClaimRow>,
    pub extension_requested_on: Option<Day>,
}

/// The stored form of `arrears_core::work::WorkLogEntry`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkLogEntryRow {
    pub agent: String,
    pub team: Option<String>,
    pub account: u64,
    pub code: WorkOutcomeCodeRow,
    pub at: Instant,
    pub promised_minor: i64,
}

/// The stored form of `arrears_core::work::Skills`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SkillsRow {
    pub languages: Vec<String>,
    pub products: Vec<ProductKindRow>,
    pub jurisdictions: Vec<String>,
}

/// The stored form of `arrears_core::work::WorkClaim`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkClaimRow {
    pub agent: String,
    pub until: Instant,
}

/// The stored form of `arrears_core::work::WorkOutcomeCode`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum WorkOutcomeCodeRow {
    Promise,
    Refusal,
    Excuse,
    Callback,
    ExtensionRequested,
    Dispute,
    WrongParty,
}

stored!(struct Team => TeamRow { name, skills });
stored!(struct Agent => AgentRow { id, name, teams, skills, active });
stored!(struct WorkItem => WorkItemRow { account, next_action_on, claim, extension_requested_on });
stored!(struct WorkLogEntry => WorkLogEntryRow { agent, team, account, code, at, promised_minor });
stored!(struct Skills => SkillsRow { languages, products, jurisdictions });
stored!(struct WorkClaim => WorkClaimRow { agent, until });
stored!(enum WorkOutcomeCode => WorkOutcomeCodeRow { Promise, Refusal, Excuse, Callback, ExtensionRequested, Dispute, WrongParty });
