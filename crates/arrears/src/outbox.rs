//! The outbox: action ids, the engine's acceptance of a strategy's proposal, the guardrail
//! decision every proposal passes, and the acknowledgement of an action's outcome.

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::case::{ActionStatus, CancelReason, ContactAttempt, ContactOutcome};
use arrears_core::compliance;
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::{ContactChannel, Debtor};
use arrears_core::strategy::{usable, ContactProposal, ContactRequest};
use arrears_store::Reads;

use crate::command::{Outcome, Rejection};
use crate::context::Env;
use crate::error::CommandError;

/// The bytes that stand for a channel in an action id. Written out, not derived from `Debug`
/// or serde names, so that renaming a variant or its text never changes a stored id; they are
/// the words format 1 and 2 hashed (docs/FORMAT.md), so no stored id changed when they were
/// written out.
fn channel_id_code(channel: ContactChannel) -> &'static [u8] {
    match channel {
        ContactChannel::Phone => b"Phone",
        ContactChannel::Sms => b"Sms",
        ContactChannel::Email => b"Email",
        ContactChannel::Postal => b"Postal",
        ContactChannel::Messaging => b"Messaging",
    }
}

/// Stable id of an action: FNV-1a 64 over the date, the debtor and the contact, cut to 53 bits.
pub(crate) fn action_id(as_of: NaiveDate, debtor: DebtorId, proposal: &ContactProposal) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    feed(&arrears_store::date_key(as_of).to_le_bytes());
    feed(&debtor.0.to_le_bytes());
    feed(channel_id_code(proposal.channel));
    feed(proposal.address.as_bytes());
    feed(proposal.template.as_bytes());
    // Ids stay below 2^53 so that JSON consumers that read numbers as doubles (JavaScript)
    // keep them exact; zero is kept free as "no action".
    (hash & ((1 << 53) - 1)).max(1)
}

/// Stable id of the action that sends invoice `obligation` (docs/MESSAGES.md, "Invoices on a
/// schedule"): FNV-1a 64 over a tag, the date, the debtor and the obligation, cut to 53 bits
/// like [`action_id`], so a resumed cycle finds the action it already wrote.
pub(crate) fn invoice_action_id(
    as_of: NaiveDate,
    debtor: DebtorId,
    obligation: arrears_core::ids::ObligationId,
) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts: [&[u8]; 4] = [
        b"invoice",
        &arrears_store::date_key(as_of).to_le_bytes(),
        &debtor.0.to_le_bytes(),
        &obligation.0.to_le_bytes(),
    ];
    for part in parts {
        for byte in part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash & ((1 << 53) - 1)).max(1)
}

/// How far the guardrails may move a proposal before it counts as blocked.
pub(crate) const RESCHEDULE_DAYS_MAX: u64 = 14;

pub(crate) fn guardrail_decision(
    packs: &[compliance::Pack],
    debtor: &Debtor,
    proposal: &ContactProposal,
    history: &[compliance::HistoryEntry],
    flags: &compliance::Flags,
) -> compliance::Decision {
    let debts = crate::guardrails::debt_ids(&proposal.accounts);
    // The consent is the one given on the proposal's channel at its address: a consent to
    // texts at a number is no consent to calls to it (Ley 2300 de 2023, art. 2; NYC's
    // electronic consent). The kind is the address's, as the history's entries get it.
    let point = debtor
        .contact_points
        .iter()
        .find(|point| point.channel == proposal.channel && point.address == proposal.address);
    let request = compliance::Proposal {
        person: debtor.id.0,
        debts: &debts,
        action: compliance::ActionKind::Contact,
        channel: compliance::ChannelGroup::from(proposal.channel),
        recipient: compliance::Recipient::Consumer,
        address: Some(&proposal.address),
        address_kind: crate::guardrails::address_kind(debtor, proposal.channel, &proposal.address),
        address_consent: point.is_some_and(|point| point.consent),
        at: proposal.at,
        time_zones: &debtor.time_zones,
    };
    compliance::evaluate(packs, &request, history, flags)
}

/// The engine disposes: a proposal must name the request's debtor and some of its accounts,
/// a step the stages asked for, one of the debtor's usable addresses for that channel, and an
/// instant in [`arrears_core::strategy::proposal_window`] of the review date (the window the
/// plugin ABI promises: a day before it to 31 days after it).
pub(crate) fn acceptable(
    request: &ContactRequest,
    proposal: &ContactProposal,
    as_of: NaiveDate,
) -> bool {
    let in_window = arrears_core::strategy::proposal_window(as_of)
        .is_some_and(|window| window.contains(&proposal.at));
    in_window
        && proposal.debtor == request.debtor
        && !proposal.accounts.is_empty()
        && proposal.accounts.iter().all(|account| request.accounts.contains(account))
        && request
            .steps
            .iter()
            .any(|step| step.channel == proposal.channel && step.template == proposal.template)
        && request
            .contact_points
            .iter()
            .any(|point| point.address == proposal.address && usable(point, proposal.channel))
}

/// The template of the tone a strategy chose (`ContactProposal::tone`): the proposed template
/// if it has that tone, else the first due step on the proposal's channel with that tone.
/// Returns false, leaving the proposal as it was, when no due step on the channel has the
/// tone (the engine then refuses the proposal); true with no tone chosen.
pub(crate) fn with_tone(request: &ContactRequest, proposal: &mut ContactProposal) -> bool {
    let Some(tone) = proposal.tone else { return true };
    let on_channel = |step: &&arrears_core::strategy::ContactStep| {
        step.channel == proposal.channel && step.tone == Some(tone)
    };
    let proposed = request
        .steps
        .iter()
        .filter(on_channel)
        .find(|step| step.template == proposal.template)
        .or_else(|| request.steps.iter().find(on_channel));
    match proposed {
        Some(step) => {
            proposal.template = step.template.clone();
            true
        }
        None => false,
    }
}

/// Acknowledges an outbox action: records the contact in the debtor's history, and a raised
/// dispute disputes the accounts it was about.
pub(crate) fn acknowledge(
    env: &mut Env<'_>,
    action_id: u64,
    outcome: ContactOutcome,
    at: DateTime<Utc>,
) -> Result<Outcome, CommandError> {
    let mut action = env.txn.action(action_id)?.ok_or(CommandError::UnknownAction(action_id))?;
    if matches!(action.status, ActionStatus::Acknowledged { .. }) {
        return Ok(Outcome::Rejected(Rejection::AlreadyAcknowledged { action: action_id }));
    }
    // A contact made before the day whose cycle proposed it did not come from this action
    // (a mistyped year): it would enter the debtor's history where the caps count it. The
    // day is the debtor's; `at` is UTC, whose date is a day behind the local one in the
    // morning east of UTC+8 (08:30 in Tokyo is 23:30 UTC the day before): a day's slack.
    if at.date_naive() < action.created_for.pred_opt().unwrap_or(action.created_for) {
        return Err(CommandError::Invalid {
            field: "acknowledgement.at",
            reason: format!(
                "{} is more than a day before {}, the day of the cycle that created action \
                 {action_id}",
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                action.created_for
            ),
        });
    }
    action.status = ActionStatus::Acknowledged { outcome, at };
    env.txn.put_action(&action)?;
    env.txn.append_contact(
        action.debtor,
        &ContactAttempt {
            accounts: action.accounts.clone(),
            channel: action.channel,
            address: action.address.clone(),
            at,
            inbound: false,
            outcome,
            action: Some(action_id),
        },
    )?;
    // A conversation by phone: the calls still queued about its debts that its cool-down
    // now blocks are cancelled.
    after_contact(env, action.debtor, &action.accounts, action.channel, outcome, false)?;
    // The acknowledgement stands whatever the disputes; the outcome lists what was disputed.
    let disputed = if outcome == ContactOutcome::DisputeRaised {
        crate::collections::dispute_raised(env, &action.accounts, at.date_naive())?
    } else {
        Vec::new()
    };
    Ok(Outcome::Acknowledged { action: action_id, disputed })
}

#[cfg(test)]
mod tests;

/// The template of a callback the debtor asked for.
pub(crate) const CALLBACK_TEMPLATE: &str = "callback";

/// After a contact was recorded: if it was a telephone conversation, cancels the debtor's
/// pending calls about the debts discussed that its cool-down now blocks (12 CFR
/// 1006.14(b)(2)(i)(B): no call within 7 consecutive days after a telephone conversation
/// about the debt, the conversation's day being day 1; an inbound conversation too). The
/// cycle admitted them before the conversation happened; sent, they would break the
/// cool-down. If it was outbound, cancels the pending actions that a frequency cap of the
/// debtor's packs now blocks (12 CFR 1006.14(b)(2)(i)(A), Colombia's one contact a day,
/// Chile's weekly caps...): the cycle counted the contacts it knew of; a call an agent made
/// outside the outbox may make a queued call the eighth in 7 days. Callbacks the debtor asked
/// for stay (the debtor's request), and so do actions reported sent. Returns the actions
/// cancelled, ascending.
pub(crate) fn after_contact(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    accounts: &[AccountId],
    channel: ContactChannel,
    outcome: ContactOutcome,
    inbound: bool,
) -> Result<Vec<u64>, CommandError> {
    let mut cancelled = Vec::new();
    let conversation = compliance::Outcome::from(outcome) == compliance::Outcome::Conversation;
    if channel == ContactChannel::Phone && conversation {
        let concerned = |action: &arrears_core::case::Action| {
            action.channel == ContactChannel::Phone
                && action.accounts.iter().any(|account| accounts.contains(account))
        };
        let cooldown =
            |kind: &compliance::RuleKind| matches!(kind, compliance::RuleKind::Cooldown { .. });
        cancelled = cancel_blocked(
            env,
            debtor_id,
            concerned,
            cooldown,
            CancelReason::ConversationCooldown,
        )?;
    }
    if !inbound {
        cancelled.extend(cancel_blocked(
            env,
            debtor_id,
            |_| true,
            is_cap,
            CancelReason::ContactCap,
        )?);
        cancelled.sort_unstable();
    }
    Ok(cancelled)
}

/// Cancels, with `reason`, each pending action of the debtor that `concerned` selects and
/// that a rule whose kind `kind` selects now blocks at its instant: the guardrails' answer
/// with the debtor's packs, history and flags, as the cycle would give it. Callbacks the
/// debtor asked for (the debtor chose their time) and actions reported sent stay, and count.
/// The actions are asked about in the order they are due, each with the contacts made, the
/// actions that stay, and the earlier ones kept: where a cap is now full, the later actions
/// go and the earlier ones stay. Returns the actions cancelled.
pub(crate) fn cancel_blocked(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    concerned: impl Fn(&arrears_core::case::Action) -> bool,
    kind: impl Fn(&compliance::RuleKind) -> bool,
    reason: CancelReason,
) -> Result<Vec<u64>, CommandError> {
    let debtor = env.txn.debtor(debtor_id)?.ok_or(CommandError::UnknownDebtor(debtor_id))?;
    let packs = compliance::packs_for(&debtor.jurisdiction, env.policy.creditor());
    let rules: Vec<&str> = packs
        .iter()
        .flat_map(|pack| pack.rules())
        .filter(|rule| kind(&rule.kind))
        .map(|rule| rule.id.as_str())
        .collect();
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let actions = env.txn.actions_of(debtor_id)?;
    let cancellable = |action: &arrears_core::case::Action| {
        matches!(action.status, ActionStatus::Pending)
            && action.sent_at.is_none()
            && action.template != CALLBACK_TEMPLATE
            && concerned(action)
    };
    let mut candidates: Vec<&arrears_core::case::Action> =
        actions.iter().filter(|action| cancellable(action)).collect();
    // Nothing queued that could be cancelled (the common case of an acknowledgement): the
    // contact history is not read.
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    candidates.sort_by_key(|action| (action.scheduled_at, action.id));
    let contacts = env.txn.contacts(debtor_id)?;
    let flags = crate::guardrails::flags(&debtor, std::iter::empty());
    let mut asked: std::collections::BTreeSet<u64> = std::collections::BTreeSet::new();
    let mut blocked: std::collections::BTreeSet<u64> = std::collections::BTreeSet::new();
    for action in candidates {
        // The others: every action that stays whatever this answer, and the earlier
        // candidates kept.
        let others = actions
            .iter()
            .filter(|other| other.id != action.id && !blocked.contains(&other.id))
            .filter(|other| !cancellable(other) || asked.contains(&other.id))
            .cloned()
            .collect();
        asked.insert(action.id);
        let history = crate::guardrails::history(&debtor, contacts.clone(), others);
        let proposal = ContactProposal {
            debtor: debtor_id,
            accounts: action.accounts.clone(),
            channel: action.channel,
            address: action.address.clone(),
            template: action.template.clone(),
            at: action.scheduled_at,
            tone: None,
        };
        let decision = guardrail_decision(&packs, &debtor, &proposal, &history, &flags);
        let by_rule = decision
            .rule
            .iter()
            .chain(&decision.also_blocked_by)
            .any(|rule| rules.contains(&rule.as_str()));
        if by_rule {
            blocked.insert(action.id);
        }
    }
    if blocked.is_empty() {
        return Ok(Vec::new());
    }
    crate::collections::cancel_pending(env, debtor_id, |action| {
        blocked.contains(&action.id).then_some(reason)
    })
}

/// A rule that caps how often a person is contacted: Regulation F's 7-in-7 and the packs'
/// frequency caps, and the channels-per-week limits.
pub(crate) fn is_cap(kind: &compliance::RuleKind) -> bool {
    matches!(
        kind,
        compliance::RuleKind::FrequencyCap { .. } | compliance::RuleKind::ChannelsPerWeek { .. }
    )
}

/// `Command::MarkSent`: the action leaves the pending list; a second report keeps the first
/// instant. An acknowledged action was sent already (refused as acknowledged); a cancelled one
/// must not have been sent, which the error says.
pub(crate) fn mark_sent(
    env: &mut Env<'_>,
    action_id: u64,
    at: DateTime<Utc>,
) -> Result<Outcome, CommandError> {
    let mut action = env.txn.action(action_id)?.ok_or(CommandError::UnknownAction(action_id))?;
    match &action.status {
        ActionStatus::Acknowledged { .. } => {
            return Ok(Outcome::Rejected(Rejection::AlreadyAcknowledged { action: action_id }));
        }
        ActionStatus::Cancelled { reason, .. } => {
            return Err(CommandError::Invalid {
                field: "action",
                reason: format!(
                    "action {action_id} was cancelled ({}) and must not be sent",
                    reason.name()
                ),
            });
        }
        ActionStatus::Pending => {}
    }
    let at = *action.sent_at.get_or_insert(at);
    env.txn.put_action(&action)?;
    Ok(Outcome::Sent { action: action_id, at })
}

/// Claims up to `limit` pending actions due by `due_by`, in due order, for `claimant` until
/// `until`: an action another sender holds a lease on that has not ended is skipped; one the
/// same claimant holds is claimed again (its lease renewed). Returns the actions claimed.
pub(crate) fn claim(
    txn: &mut arrears_store::WriteTxn,
    claimant: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    due_by: Option<DateTime<Utc>>,
    limit: usize,
) -> Result<Vec<arrears_core::case::Action>, CommandError> {
    crate::context::text("claimant", claimant, true)?;
    let pending = pending_in_due_order(txn, due_by)?;
    let mut claimed = Vec::new();
    for mut action in pending {
        if claimed.len() == limit {
            break;
        }
        let held =
            action.claim.as_ref().is_some_and(|claim| claim.by != claimant && claim.until > now);
        if held {
            continue;
        }
        action.claim = Some(arrears_core::case::Claim { by: claimant.to_owned(), until });
        txn.put_action(&action)?;
        claimed.push(action);
    }
    Ok(claimed)
}

/// The pending actions due by `due_by` (all with `None`), in due order: scheduled instant, then
/// id. They are read and sorted in memory: a day's contacts, not the portfolio.
pub(crate) fn pending_in_due_order(
    txn: &impl Reads,
    due_by: Option<DateTime<Utc>>,
) -> Result<Vec<arrears_core::case::Action>, arrears_store::StorageError> {
    let mut pending: Vec<arrears_core::case::Action> = txn
        .pending_actions(usize::MAX)?
        .into_iter()
        .filter(|action| due_by.is_none_or(|due_by| action.scheduled_at <= due_by))
        .collect();
    pending.sort_by_key(|action| (action.scheduled_at, action.id));
    Ok(pending)
}
