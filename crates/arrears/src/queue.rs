//! Work for people (issue 14 point 6): teams and agents, the queue of work items the policy's
//! `[[assignment]]` rules give each team, an agent's claim on the best item with a lease, and
//! the outcome an agent records, which goes through the existing commands (a promise, a
//! dispute, a contact point removed) in the same transaction.
//!
//! Work items are computed when asked, not materialised: an account is an item of a team when
//! its case is in a workable state (delinquent, promised or charged off) and in a stage, and
//! the first assignment rule that matches its stage, debtor and product names that team. What
//! the engine keeps per account is only what people change: the next-action date, the lease
//! and the day an extension was asked (`arrears_core::work::WorkItem`, the `work_items` table).
//! Finding the best item reads every case once: fine for the tens of thousands of accounts a
//! collection floor works, and docs/COLLECTIONS.md says what to change beyond that.

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::case::{CollectionCase, ContactAttempt};
use arrears_core::collection::CollectionState;
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::money::Currency;
use arrears_core::policy::Policy;
use arrears_core::work::{Agent, Skills, Team, WorkClaim, WorkItem, WorkLogEntry, WorkOutcomeCode};
use arrears_store::{Reads, StorageError, WriteTxn};

use crate::command::{Outcome, WorkDone};
use crate::context::{minor, text, Env};
use crate::error::CommandError;

/// Most teams an agent belongs to, and most entries in each list of skills.
pub const WORK_LIST_LEN_MAX: usize = 64;

/// One item of a team's queue, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueEntry {
    /// The account (the item's id).
    pub account: AccountId,
    /// Its debtor.
    pub debtor: DebtorId,
    /// The team the assignment rules give it to.
    pub team: String,
    /// The account's stage.
    pub stage: String,
    /// The priority under the rule (higher first): expected recovery or balance in minor units,
    /// or days past due.
    pub priority: i64,
    /// The outstanding balance, in minor units of `currency`.
    pub outstanding_minor: i64,
    /// The account's currency.
    pub currency: Currency,
    /// Days past due.
    pub days_past_due: i64,
    /// The first day it may be worked (`None`: at once).
    pub next_action_on: Option<NaiveDate>,
    /// The agent holding it and until when, if a lease was taken (it may have ended).
    pub claim: Option<WorkClaim>,
}

/// Which items [`queue`] lists.
pub(crate) struct QueueScope<'a> {
    /// Only these teams' items (all teams when empty).
    pub(crate) teams: &'a [String],
    /// Only the items this agent's teams and skills allow, with the teams' skills.
    pub(crate) agent: Option<(&'a Agent, &'a [Team])>,
}

/// The items in scope as of `as_of`, best first: priority, then the earlier next-action date
/// (none first), then the account id.
pub(crate) fn queue(
    read: &impl Reads,
    policy: &Policy,
    scope: &QueueScope<'_>,
    as_of: NaiveDate,
) -> Result<Vec<QueueEntry>, StorageError> {
    let mut entries = Vec::new();
    if policy.assignments().is_empty() {
        return Ok(entries);
    }
    let mut debtors = std::collections::BTreeMap::new();
    let mut after = None;
    loop {
        // A page at a time: memory holds one page of cases and the items, not the portfolio.
        let page = read.cases_after(after, CASE_PAGE_LEN)?;
        let Some(last) = page.last() else { break };
        after = Some(last.account);
        for case in &page {
            if let Some(entry) = entry_of(read, policy, scope, (case, as_of), &mut debtors)? {
                entries.push(entry);
            }
        }
    }
    entries.sort_by(|left, right| {
        right
            .priority
            .cmp(&left.priority)
            .then_with(|| left.next_action_on.cmp(&right.next_action_on))
            .then_with(|| left.account.cmp(&right.account))
    });
    Ok(entries)
}

/// Cases read per page by [`queue`].
const CASE_PAGE_LEN: usize = 1_024;

/// The queue entry of a case, if it is an item in scope; `debtors` caches the debtors read.
fn entry_of(
    read: &impl Reads,
    policy: &Policy,
    scope: &QueueScope<'_>,
    (case, as_of): (&CollectionCase, NaiveDate),
    debtors: &mut std::collections::BTreeMap<DebtorId, arrears_core::model::Debtor>,
) -> Result<Option<QueueEntry>, StorageError> {
    let Some(stage) = workable_stage(case) else { return Ok(None) };
    let Some(account) = read.account(case.account)? else { return Ok(None) };
    let debtor = match debtors.entry(account.debtor) {
        std::collections::btree_map::Entry::Occupied(known) => known.into_mut(),
        std::collections::btree_map::Entry::Vacant(slot) => {
            let Some(debtor) = read.debtor(account.debtor)? else { return Ok(None) };
            slot.insert(debtor)
        }
    };
    let Some(rule) = policy.assignment_for(stage, debtor, account.product) else { return Ok(None) };
    if !scope.teams.is_empty() && !scope.teams.contains(&rule.team) {
        return Ok(None);
    }
    if let Some((agent, teams)) = scope.agent {
        let team = teams.iter().find(|team| team.name == rule.team);
        let allowed = team.is_some_and(|team| team.skills.allow(debtor, account.product))
            && agent.skills.allow(debtor, account.product);
        if !allowed {
            return Ok(None);
        }
    }
    let state = read.account_state(&account, Some(as_of))?;
    let outstanding_minor = state.total_outstanding_minor();
    let days_past_due = state.days_past_due(as_of);
    let item = read.work_item(account.id)?.unwrap_or_else(|| WorkItem::new(account.id));
    Ok(Some(QueueEntry {
        account: account.id,
        debtor: account.debtor,
        team: rule.team.clone(),
        stage: stage.to_owned(),
        priority: rule.priority.of(
            rule.recovery_rate_for(case.score.as_ref().map(|score| score.band.as_str())),
            outstanding_minor,
            days_past_due,
        ),
        outstanding_minor,
        currency: account.currency,
        days_past_due,
        next_action_on: item.next_action_on,
        claim: item.claim,
    }))
}

/// The stage of a case people may work: delinquent, promised (a promise can break) or charged
/// off (recovery), and in a stage, unless a flag forbids working it: the debtor asked that
/// communication cease, or a bankruptcy stays or discharged the debt (an agent's call would be
/// an act to collect it). An attorney's or an estate's case stays workable: the agent deals
/// with them (the guardrails send contact there).
fn workable_stage(case: &CollectionCase) -> Option<&str> {
    let workable = matches!(
        case.state,
        CollectionState::Delinquent { .. }
            | CollectionState::Promised
            | CollectionState::ChargedOff
    );
    let flags = case.flags;
    let forbidden =
        flags.cease_communication || flags.bankruptcy_stay || flags.bankruptcy_discharged;
    case.stage.as_deref().filter(|_| workable && !forbidden)
}

/// An active agent and its teams, or the error naming what is wrong.
pub(crate) fn active_agent(
    read: &impl Reads,
    agent_id: &str,
) -> Result<(Agent, Vec<Team>), CommandError> {
    let agent = read.agent(agent_id)?.ok_or_else(|| CommandError::Invalid {
        field: "agent",
        reason: format!("no agent {agent_id:?} (add it with `arrears agent add`)"),
    })?;
    if !agent.active {
        return Err(CommandError::Invalid {
            field: "agent",
            reason: format!("agent {agent_id:?} is deactivated"),
        });
    }
    let mut teams = Vec::with_capacity(agent.teams.len());
    for name in &agent.teams {
        teams.extend(read.team(name)?);
    }
    Ok((agent, teams))
}

/// Claims for `agent_id` the best item its teams and skills allow, due by `as_of` and held by
/// no other agent under a lease that has not ended at `now`, with a lease until `until`. An
/// item the agent already holds comes first (its lease renewed), so an agent resumes where it
/// was. Returns the item claimed, or `None` when the queue is empty.
pub(crate) fn claim(
    txn: &mut WriteTxn,
    policy: &Policy,
    agent_id: &str,
    lease: (DateTime<Utc>, DateTime<Utc>),
    as_of: NaiveDate,
) -> Result<Option<QueueEntry>, CommandError> {
    let (now, until) = lease;
    let (agent, teams) = active_agent(&*txn, agent_id)?;
    let scope = QueueScope { teams: &agent.teams, agent: Some((&agent, &teams)) };
    let entries = queue(&*txn, policy, &scope, as_of)?;
    let held = |entry: &QueueEntry| {
        entry.claim.as_ref().is_some_and(|claim| claim.agent == agent.id && now < claim.until)
    };
    let due = |entry: &QueueEntry| {
        entry.next_action_on.is_none_or(|on| on <= as_of)
            && !entry
                .claim
                .as_ref()
                .is_some_and(|claim| claim.agent != agent.id && now < claim.until)
    };
    let chosen = entries
        .iter()
        .find(|entry| held(entry))
        .or_else(|| entries.iter().find(|entry| due(entry)));
    let Some(entry) = chosen.cloned() else { return Ok(None) };
    let mut item = txn.work_item(entry.account)?.unwrap_or_else(|| WorkItem::new(entry.account));
    item.claim = Some(WorkClaim { agent: agent.id.clone(), until });
    txn.put_work_item(&item)?;
    Ok(Some(QueueEntry { claim: item.claim, ..entry }))
}

/// Returns true if and only if the debtor asked for more time on `account` within
/// [`arrears_core::work::EXTENSION_REQUEST_SIGNAL_DAYS`] before `as_of` (the
/// `extension_request` signal).
pub(crate) fn extension_requested(
    read: &impl Reads,
    account: AccountId,
    as_of: NaiveDate,
) -> Result<bool, StorageError> {
    Ok(read.work_item(account)?.and_then(|item| item.extension_requested_on).is_some_and(|on| {
        on <= as_of && (as_of - on).num_days() < arrears_core::work::EXTENSION_REQUEST_SIGNAL_DAYS
    }))
}

/// A policy's assignment rules must name teams that exist (checked when it is set).
pub(crate) fn check_policy_teams(
    txn: &WriteTxn,
    policy: &Policy,
    file: &str,
) -> Result<(), CommandError> {
    for (index, rule) in policy.assignments().iter().enumerate() {
        if txn.team(&rule.team)?.is_none() {
            let known: Vec<String> = txn.teams()?.into_iter().map(|team| team.name).collect();
            return Err(CommandError::Invalid {
                field: "policy",
                reason: format!(
                    "{file}: assignment[{index}].team: no team {:?} (known: {}); add it with \
                     `arrears team add` first",
                    rule.team,
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ),
            });
        }
    }
    Ok(())
}

/// `Command::DefineTeam`.
pub(crate) fn define_team(env: &mut Env<'_>, team: &Team) -> Result<Outcome, CommandError> {
    check_name("team.name", &team.name)?;
    check_skills(&team.skills)?;
    env.txn.put_team(team)?;
    Ok(Outcome::WorkDefined { name: team.name.clone() })
}

/// `Command::DefineAgent`.
pub(crate) fn define_agent(env: &mut Env<'_>, agent: &Agent) -> Result<Outcome, CommandError> {
    check_name("agent.id", &agent.id)?;
    text("agent.name", &agent.name, true)?;
    check_skills(&agent.skills)?;
    if agent.teams.is_empty() || WORK_LIST_LEN_MAX < agent.teams.len() {
        return Err(CommandError::Invalid {
            field: "agent.teams",
            reason: format!("must name 1 to {WORK_LIST_LEN_MAX} teams, got {}", agent.teams.len()),
        });
    }
    for name in &agent.teams {
        if env.txn.team(name)?.is_none() {
            return Err(CommandError::Invalid {
                field: "agent.teams",
                reason: format!("no team {name:?} (add it with `arrears team add`)"),
            });
        }
    }
    env.txn.put_agent(agent)?;
    Ok(Outcome::WorkDefined { name: agent.id.clone() })
}

/// A team's name or an agent's id: what the policy and the command line write.
fn check_name(field: &'static str, name: &str) -> Result<(), CommandError> {
    let valid = (1..=arrears_core::policy::NAME_LEN_MAX).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if valid {
        return Ok(());
    }
    Err(CommandError::Invalid {
        field,
        reason: format!(
            "{name:?}: use 1 to {} characters among a-z, A-Z, 0-9, '_', '-' and '.'",
            arrears_core::policy::NAME_LEN_MAX
        ),
    })
}

fn check_skills(skills: &Skills) -> Result<(), CommandError> {
    let lengths = [skills.languages.len(), skills.products.len(), skills.jurisdictions.len()];
    if lengths.iter().any(|len| WORK_LIST_LEN_MAX < *len) {
        return Err(CommandError::Invalid {
            field: "skills",
            reason: format!("at most {WORK_LIST_LEN_MAX} entries in each list"),
        });
    }
    for language in &skills.languages {
        if arrears_core::model::locale::check_language(language).is_err() {
            return Err(CommandError::Invalid {
                field: "skills.languages",
                reason: format!("{language:?} is not a BCP 47 language tag such as \"es\""),
            });
        }
    }
    for place in &skills.jurisdictions {
        let (country, region) = place.split_once('-').unwrap_or((place, "x"));
        let region_ok = !region.is_empty() && region.bytes().all(|b| b.is_ascii_alphanumeric());
        if arrears_core::model::locale::check_country(country).is_err() || !region_ok {
            return Err(CommandError::Invalid {
                field: "skills.jurisdictions",
                reason: format!("{place:?} is not a country such as \"US\" or a region \"US-MA\""),
            });
        }
    }
    Ok(())
}

/// `Command::RecordWork`: the agent must be active and hold the item's claim (a lease that
/// ended counts while no other agent took the item). Every check runs before the outcome's
/// effect, and a refused effect (a promise the policy refuses) writes nothing.
pub(crate) fn record_work(env: &mut Env<'_>, done: &WorkDone) -> Result<Outcome, CommandError> {
    active_agent(&*env.txn, &done.agent)?;
    let account = crate::context::load_account(env.txn, done.account)?;
    let mut item = env.txn.work_item(done.account)?.unwrap_or_else(|| WorkItem::new(done.account));
    if item.claim.as_ref().is_none_or(|claim| claim.agent != done.agent) {
        return Err(CommandError::Invalid {
            field: "account",
            reason: format!(
                "agent {:?} does not hold item {} (claim it with `arrears queue next`)",
                done.agent, done.account
            ),
        });
    }
    let on = done.at.date_naive();
    let promised_minor = check_work(done, account.currency)?;
    let debtor = crate::context::load_debtor(env.txn, &account)?;
    let channel = match &done.address {
        Some(address) => Some(contact_point(&debtor, address)?.channel),
        None => None,
    };
    // The team is read before the outcome changes the case (a dispute leaves the queue).
    let stage = env.txn.case(done.account)?.and_then(|case| case.stage);
    let team = stage
        .and_then(|stage| env.policy.assignment_for(&stage, &debtor, account.product))
        .map(|rule| rule.team.clone());
    let mut cases = Vec::new();
    match effect(env, done, account.debtor, channel)? {
        Outcome::Rejected(rejection) => return Ok(Outcome::Rejected(rejection)),
        Outcome::Cases(changed) => cases = changed,
        _ => {}
    }
    if let (Some(address), Some(channel)) = (&done.address, channel) {
        record_contact(env, done, account.debtor, (channel, address))?;
    }
    if let Some(note) = &done.note {
        let note = arrears_core::case::Note {
            account: Some(done.account),
            at: done.at,
            author: done.agent.clone(),
            text: note.clone(),
        };
        crate::upkeep::add_note(env, account.debtor, &note)?;
    }
    if done.code == WorkOutcomeCode::ExtensionRequested {
        item.extension_requested_on = Some(on);
    }
    item.claim = None;
    item.next_action_on = Some(next_action_on(done, on));
    env.txn.put_work_item(&item)?;
    let entry = WorkLogEntry {
        agent: done.agent.clone(),
        team,
        account: done.account,
        code: done.code,
        at: done.at,
        promised_minor,
    };
    env.txn.append_work_log(&entry)?;
    Ok(Outcome::Worked { account: done.account, next_action_on: item.next_action_on, cases })
}

/// The command's own checks, before anything is written; returns the amount promised.
fn check_work(done: &WorkDone, currency: Currency) -> Result<i64, CommandError> {
    let needs_promise = done.code == WorkOutcomeCode::Promise;
    if needs_promise == done.promise.is_empty() {
        return Err(CommandError::Invalid {
            field: "promise",
            reason: if needs_promise {
                "the outcome promise needs the promised amounts and dates".to_owned()
            } else {
                format!(
                    "only the outcome promise carries promised amounts, not {}",
                    done.code.name()
                )
            },
        });
    }
    if done.code == WorkOutcomeCode::Callback && done.next_action_on.is_none() {
        return Err(CommandError::Invalid {
            field: "next_action_on",
            reason: "the outcome callback needs the day to call back".to_owned(),
        });
    }
    if done.code == WorkOutcomeCode::WrongParty && done.address.is_none() {
        return Err(CommandError::Invalid {
            field: "address",
            reason: "the outcome wrong_party needs the address that reached someone else"
                .to_owned(),
        });
    }
    if let Some(on) = done.next_action_on.filter(|on| *on < done.at.date_naive()) {
        return Err(CommandError::Invalid {
            field: "next_action_on",
            reason: format!("{on} is before the outcome's day {}", done.at.date_naive()),
        });
    }
    let mut promised_minor: i64 = 0;
    for line in &done.promise {
        promised_minor =
            promised_minor.saturating_add(minor("promise.amount", &line.amount, currency)?);
    }
    Ok(promised_minor)
}

/// What the outcome does to the account's case and the debtor, through the existing commands.
fn effect(
    env: &mut Env<'_>,
    done: &WorkDone,
    debtor: DebtorId,
    channel: Option<arrears_core::model::ContactChannel>,
) -> Result<Outcome, CommandError> {
    let on = done.at.date_naive();
    Ok(match done.code {
        WorkOutcomeCode::Promise => {
            crate::collections::promise(env, done.account, on, &done.promise)?
        }
        WorkOutcomeCode::Dispute => crate::collections::open_dispute(env, done.account, &[], on)?,
        WorkOutcomeCode::WrongParty => match (&done.address, channel) {
            // An address that reaches someone else must not be used again, on any channel (a
            // mobile number is often both a phone and an SMS point): removing its points
            // cancels the pending actions to them.
            (Some(address), Some(_)) => {
                let points = env.txn.debtor(debtor)?.map(|d| d.contact_points).unwrap_or_default();
                let found = arrears_core::compliance::points_at(&points, address);
                let mut outcome = Outcome::Cases(Vec::new());
                for (channel, point_address) in found {
                    outcome =
                        crate::upkeep::remove_contact_point(env, debtor, channel, &point_address)?;
                }
                outcome
            }
            _ => Outcome::Cases(Vec::new()),
        },
        WorkOutcomeCode::Refusal
        | WorkOutcomeCode::Excuse
        | WorkOutcomeCode::Callback
        | WorkOutcomeCode::ExtensionRequested => Outcome::Cases(Vec::new()),
    })
}

fn contact_point<'d>(
    debtor: &'d arrears_core::model::Debtor,
    address: &str,
) -> Result<&'d arrears_core::model::ContactPoint, CommandError> {
    debtor.contact_points.iter().find(|point| point.address == address).ok_or_else(|| {
        CommandError::Invalid {
            field: "address",
            reason: format!("{address:?} is not a contact point of debtor {}", debtor.id),
        }
    })
}

/// The contact the agent made, in the debtor's history (the guardrails and the strategies read
/// it); the queued actions it now makes unlawful are cancelled (`outbox::after_contact`).
fn record_contact(
    env: &mut Env<'_>,
    done: &WorkDone,
    debtor: DebtorId,
    (channel, address): (arrears_core::model::ContactChannel, &str),
) -> Result<(), CommandError> {
    let outcome = done.code.contact_outcome();
    let attempt = ContactAttempt {
        accounts: vec![done.account],
        channel,
        address: address.to_owned(),
        at: done.at,
        inbound: false,
        outcome,
        action: None,
    };
    env.txn.append_contact(debtor, &attempt)?;
    // As after any contact recorded: a conversation by phone cancels the calls its cool-down
    // now blocks, and an outbound contact those a frequency cap now blocks (listed as
    // cancelled in the outbox).
    crate::outbox::after_contact(env, debtor, &attempt.accounts, channel, outcome, false)?;
    Ok(())
}

/// When the item is next worked: the day given, else the day after the last promised payment
/// (to see whether it was kept), else the next day.
fn next_action_on(done: &WorkDone, on: NaiveDate) -> NaiveDate {
    let next_day = on.succ_opt().unwrap_or(on);
    done.next_action_on.unwrap_or_else(|| {
        done.promise
            .iter()
            .map(|line| line.on)
            .max()
            .and_then(|last| last.succ_opt())
            .unwrap_or(next_day)
    })
}

#[cfg(test)]
mod tests;
