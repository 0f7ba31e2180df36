//! Debtor upkeep: contact points, name, jurisdiction, language and time zones changed after
//! import, inbound contacts recorded, and the pending outbox actions a change makes unusable,
//! cancelled at once with the reason.
//!
//! An opt-out received today must be honoured today: the outbox may hold actions the cycle
//! wrote before it (to be sent later in the day), and the integrator sends what is pending.
//! So a change that makes an address unusable for a channel (opted out, consent withdrawn
//! where the channel needs it, removed) cancels every pending action to it, and a flag that
//! stops contact (cease, attorney, bankruptcy, death) cancels every pending action of the
//! debtor. A cancelled action leaves the pending list; an integrator that sent it before the
//! change may still acknowledge it, which records the contact.

use chrono::{DateTime, Utc};

use arrears_core::case::{ActionStatus, CancelReason, ContactAttempt, ContactOutcome};
use arrears_core::compliance;
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::{
    Attorney, ContactChannel, ContactPoint, ContactRestrictions, Debtor, ReportedSignal,
    CONTACT_POINTS_MAX, REPORTED_SIGNALS_MAX,
};
use arrears_core::strategy::usable;
use arrears_store::Reads;

use crate::command::{CallConsent, DebtorChanges, Flag, Outcome, RestrictionChanges};
use crate::context::{check_debtor_profile, text, Env};
use crate::error::CommandError;
use crate::outbox::CALLBACK_TEMPLATE;

/// `Command::SetContactPoint`.
pub(crate) fn set_contact_point(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    point: &ContactPoint,
    evidence: Option<&crate::command::ConsentEvidence>,
) -> Result<Outcome, CommandError> {
    text("point.address", &point.address, true)?;
    let mut debtor = load(env, debtor_id)?;
    if let Some(evidence) = evidence {
        text("evidence.source", &evidence.source, true)?;
        supported("evidence.at", evidence.at)?;
        let consents = &mut debtor.restrictions.consents;
        consents.push(arrears_core::model::ConsentRecord {
            channel: point.channel,
            address: point.address.clone(),
            consent: point.consent,
            at: evidence.at,
            source: evidence.source.clone(),
        });
        let excess = consents.len().saturating_sub(arrears_core::model::CONSENTS_MAX);
        consents.drain(..excess);
    }
    let same =
        |other: &ContactPoint| other.channel == point.channel && other.address == point.address;
    let count = debtor.contact_points.len();
    match debtor.contact_points.iter_mut().find(|other| same(other)) {
        Some(existing) => *existing = point.clone(),
        None if count >= CONTACT_POINTS_MAX => {
            return Err(CommandError::Invalid {
                field: "point",
                reason: format!(
                    "the debtor has {CONTACT_POINTS_MAX} contact points, the most allowed"
                ),
            });
        }
        None => debtor.contact_points.push(point.clone()),
    }
    env.txn.put_debtor(&debtor)?;
    let reason =
        if point.opted_out { CancelReason::OptedOut } else { CancelReason::ConsentWithdrawn };
    let cancelled = cancel_unusable(env, &debtor, reason)?;
    Ok(Outcome::DebtorUpdated { debtor: debtor_id, cancelled })
}

/// `Command::RemoveContactPoint`.
pub(crate) fn remove_contact_point(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    channel: ContactChannel,
    address: &str,
) -> Result<Outcome, CommandError> {
    let mut debtor = load(env, debtor_id)?;
    let before = debtor.contact_points.len();
    debtor.contact_points.retain(|point| !(point.channel == channel && point.address == address));
    if debtor.contact_points.len() == before {
        return Err(CommandError::Invalid {
            field: "address",
            reason: format!(
                "debtor {debtor_id} has no {} contact point {address:?}",
                channel.name()
            ),
        });
    }
    env.txn.put_debtor(&debtor)?;
    let cancelled = cancel_unusable(env, &debtor, CancelReason::AddressRemoved)?;
    Ok(Outcome::DebtorUpdated { debtor: debtor_id, cancelled })
}

/// `Command::UpdateDebtor`: the fields given replace the stored ones, and the debtor as
/// changed must pass the checks of `CreateDebtor`.
pub(crate) fn update_debtor(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    changes: &DebtorChanges,
) -> Result<Outcome, CommandError> {
    let mut debtor = load(env, debtor_id)?;
    if let Some(name) = &changes.name {
        debtor.name.clone_from(name);
    }
    if let Some(jurisdiction) = &changes.jurisdiction {
        debtor.jurisdiction = jurisdiction.clone();
    }
    if let Some(language) = &changes.language {
        debtor.language.clone_from(language);
    }
    if let Some(time_zones) = &changes.time_zones {
        debtor.time_zones.clone_from(time_zones);
    }
    check_debtor_profile(&debtor.name, &debtor.jurisdiction, &debtor.language, &debtor.time_zones)?;
    env.txn.put_debtor(&debtor)?;
    // New zones or a new jurisdiction: what is queued outside the hours now allowed must not
    // go out (12 CFR 1006.6(b)(1)(i), in every candidate zone; the packs' hours rules).
    // Then what another rule of the new packs forbids (a channel the debtor did not authorise
    // in Colombia, a flag or contact block, an opt-out), before the caps count what is left.
    // Then what the new packs' caps (or the new zones' local days) now count one too many: a
    // call, an e-mail and a text queued for one day, for a debtor found to live in Colombia
    // (one contact a day), the later ones in due order.
    let mut cancelled = Vec::new();
    if changes.time_zones.is_some() || changes.jurisdiction.is_some() {
        type RuleKinds = fn(&compliance::RuleKind) -> bool;
        let steps: [(RuleKinds, CancelReason); 3] = [
            (|kind| matches!(kind, compliance::RuleKind::Hours { .. }), CancelReason::OutsideHours),
            (forbidden_there, CancelReason::JurisdictionRules),
            (crate::outbox::is_cap, CancelReason::ContactCap),
        ];
        for (kind, reason) in steps {
            cancelled.extend(crate::outbox::cancel_blocked(
                env,
                debtor_id,
                |_| true,
                kind,
                reason,
            )?);
        }
        cancelled.sort_unstable();
    }
    Ok(Outcome::DebtorUpdated { debtor: debtor_id, cancelled })
}

/// A rule that forbids an action under a debtor's packs otherwise than by its hours or a cap:
/// a channel the debtor did not authorise (`require_consent`), a flag or contact block, an
/// opt-out.
fn forbidden_there(kind: &compliance::RuleKind) -> bool {
    matches!(
        kind,
        compliance::RuleKind::RequireConsent
            | compliance::RuleKind::FlagBlock { .. }
            | compliance::RuleKind::ContactBlock { .. }
            | compliance::RuleKind::OptOut
    )
}

/// `Command::SetContactRestrictions`: the restrictions replace the stored ones; prohibiting
/// contact at work cancels the pending actions to the debtor's work addresses.
pub(crate) fn set_contact_restrictions(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    restrictions: &ContactRestrictions,
) -> Result<Outcome, CommandError> {
    let debtor = load(env, debtor_id)?;
    apply_restrictions(env, debtor, restrictions.clone())
}

/// `Command::ChangeRestrictions`: the changes given, applied to the stored restrictions, then
/// as [`set_contact_restrictions`].
pub(crate) fn change_restrictions(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    changes: &RestrictionChanges,
) -> Result<Outcome, CommandError> {
    if *changes == RestrictionChanges::default() {
        return Err(CommandError::Invalid {
            field: "changes",
            reason: "nothing to change: give at least one restriction".to_owned(),
        });
    }
    let debtor = load(env, debtor_id)?;
    let mut restrictions = debtor.restrictions.clone();
    if let Some(value) = changes.work_contact_prohibited {
        restrictions.work_contact_prohibited = value;
    }
    if let Some(value) = changes.litigation_served {
        restrictions.litigation_served = value;
    }
    match changes.call_consent {
        Some(CallConsent::GivenAt(at)) => restrictions.call_consent_given_at = Some(at),
        Some(CallConsent::Cleared) => restrictions.call_consent_given_at = None,
        None => {}
    }
    if let Some(channels) = &changes.opted_out_channels {
        restrictions.opted_out_channels.clear();
        for channel in channels {
            if !restrictions.opted_out_channels.contains(channel) {
                restrictions.opted_out_channels.push(*channel);
            }
        }
    }
    apply_restrictions(env, debtor, restrictions)
}

/// Stores the debtor's new restrictions and cancels the pending actions they forbid.
fn apply_restrictions(
    env: &mut Env<'_>,
    mut debtor: Debtor,
    restrictions: ContactRestrictions,
) -> Result<Outcome, CommandError> {
    let debtor_id = debtor.id;
    if let Some(at) = restrictions.call_consent_given_at {
        supported("restrictions.call_consent_given_at", at)?;
    }
    let consent_changed =
        debtor.restrictions.call_consent_given_at != restrictions.call_consent_given_at;
    debtor.restrictions = restrictions.clone();
    env.txn.put_debtor(&debtor)?;
    // A channel opted out of cancels every pending action on it; contact at work prohibited,
    // those to the debtor's work and employer-provided addresses.
    let work = |address: &str| {
        restrictions.work_contact_prohibited
            && debtor.contact_points.iter().any(|point| {
                point.address == address
                    && point.kind != arrears_core::model::ContactPointKind::Personal
            })
    };
    // Served in a collection suit where a pack stops extrajudicial contact then (Chile's
    // cl.litigation-served): nothing queued goes out either.
    let stops_on_service = |pack: &compliance::Pack| {
        pack.rules().iter().any(|rule| {
            rule.kind
                == compliance::RuleKind::FlagBlock { flag: compliance::Flag::LitigationServed }
                && rule.actions.contains(&compliance::ActionKind::Contact)
        })
    };
    let served = restrictions.litigation_served
        && compliance::packs_for(&debtor.jurisdiction, env.policy.creditor())
            .iter()
            .any(stops_on_service);
    // A channel opted out of stops its whole group, as the guardrails read it (SMS and
    // messaging apps are one medium, texts): what is queued on the group is cancelled.
    let group_opted_out = |channel: ContactChannel| {
        let group = compliance::ChannelGroup::from(channel);
        restrictions
            .opted_out_channels
            .iter()
            .any(|opted_out| compliance::ChannelGroup::from(*opted_out) == group)
    };
    let mut cancelled = crate::collections::cancel_pending(env, debtor_id, |action| {
        if served {
            Some(CancelReason::LitigationServed)
        } else if group_opted_out(action.channel) {
            Some(CancelReason::OptedOut)
        } else {
            work(&action.address).then_some(CancelReason::WorkContactProhibited)
        }
    })?;
    // The consent to be called withdrawn (or moved): the calls queued under it that a
    // consent-lifted rule (Regulation F's 7-in-7 count and conversation cool-down, 12 CFR
    // 1006.14(b)(3)(i)) now blocks must not go out.
    if consent_changed {
        let lifted_by_consent = |kind: &compliance::RuleKind| {
            matches!(
                kind,
                compliance::RuleKind::FrequencyCap { consent_days: Some(_), .. }
                    | compliance::RuleKind::Cooldown { consent_days: Some(_), .. }
            )
        };
        cancelled.extend(crate::outbox::cancel_blocked(
            env,
            debtor_id,
            |_| true,
            lifted_by_consent,
            CancelReason::ConsentWithdrawn,
        )?);
        cancelled.sort_unstable();
    }
    Ok(Outcome::DebtorUpdated { debtor: debtor_id, cancelled })
}

/// `Command::SetAttorney`: the attorney flag as `Command::SetFlag` sets it (unless already
/// set), then the attorney's details.
pub(crate) fn set_attorney(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    attorney: &Attorney,
) -> Result<Outcome, CommandError> {
    attorney.check().map_err(|(field, reason)| CommandError::Invalid { field, reason })?;
    let flagged = load(env, debtor_id)?.flags.attorney_represented;
    let outcome = if flagged {
        Outcome::Cases(Vec::new())
    } else {
        let outcome = crate::collections::set_flag(
            env,
            debtor_id,
            Flag::AttorneyRepresented,
            attorney.since,
        )?;
        if outcome.is_rejected() {
            return Ok(outcome);
        }
        after_flag(env, debtor_id, Flag::AttorneyRepresented)?;
        outcome
    };
    let mut debtor = load(env, debtor_id)?;
    debtor.attorney = Some(attorney.clone());
    env.txn.put_debtor(&debtor)?;
    Ok(outcome)
}

/// `Command::ReportSignal`: a business debtor's reported signal, the latest
/// `REPORTED_SIGNALS_MAX` kept.
pub(crate) fn report_signal(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    report: &ReportedSignal,
) -> Result<Outcome, CommandError> {
    let invalid = |field, reason: String| CommandError::Invalid { field, reason };
    if !ReportedSignal::REPORTABLE.contains(&report.signal) {
        let names: Vec<&str> =
            ReportedSignal::REPORTABLE.iter().map(|signal| signal.name()).collect();
        return Err(invalid(
            "report.signal",
            format!(
                "{} is derived from the books, not reported; reportable: {}",
                report.signal.name(),
                names.join(", ")
            ),
        ));
    }
    text("report.source", &report.source, true)?;
    text("report.evidence", &report.evidence, false)?;
    if report.expires_on.is_some_and(|expires| expires <= report.observed_on) {
        return Err(invalid(
            "report.expires_on",
            "must be after the day the signal was observed".to_owned(),
        ));
    }
    let mut debtor = load(env, debtor_id)?;
    // A complaint is any customer's; the other signals are about businesses.
    let business_only = report.signal != arrears_core::policy::Signal::Complaint;
    if business_only && debtor.kind != arrears_core::model::DebtorKind::Business {
        return Err(invalid(
            "debtor",
            format!("debtor {debtor_id} is a person; these signals are about businesses"),
        ));
    }
    let signals = &mut debtor.reported_signals;
    signals.push(report.clone());
    if signals.len() > REPORTED_SIGNALS_MAX {
        signals.remove(0);
    }
    env.txn.put_debtor(&debtor)?;
    Ok(Outcome::DebtorUpdated { debtor: debtor_id, cancelled: Vec::new() })
}

/// `Command::SetLimitationDate`.
pub(crate) fn set_limitation_date(
    env: &mut Env<'_>,
    account_id: AccountId,
    on: Option<chrono::NaiveDate>,
) -> Result<Outcome, CommandError> {
    let account = crate::context::load_account(env.txn, account_id)?;
    if let Some(on) = on {
        if !arrears_core::dates::is_supported(on) || on < account.opened_on {
            return Err(CommandError::Invalid {
                field: "on",
                reason: format!(
                    "{on} is before the account opened on {} or outside the supported dates",
                    account.opened_on
                ),
            });
        }
    }
    let mut case = crate::lifecycle::load_case(env.txn, env.policy, &account)?;
    let from = case.state.name().to_owned();
    case.time_barred_on = on;
    env.txn.put_case(&case)?;
    let changed = crate::command::CaseChanged {
        account: account_id,
        to: from.clone(),
        from,
        posted: Vec::new(),
    };
    Ok(Outcome::Cases(vec![changed]))
}

/// Most bytes of a note's text.
pub(crate) const NOTE_LEN_MAX: usize = 4_096;

/// `Command::AddNote`.
pub(crate) fn add_note(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    note: &arrears_core::case::Note,
) -> Result<Outcome, CommandError> {
    load(env, debtor_id)?;
    text("note.author", &note.author, true)?;
    if note.text.trim().is_empty() || note.text.len() > NOTE_LEN_MAX {
        return Err(CommandError::Invalid {
            field: "note.text",
            reason: format!("must be 1 to {NOTE_LEN_MAX} bytes, got {}", note.text.len()),
        });
    }
    crate::context::no_nul("note.text", &note.text)?;
    supported("note.at", note.at)?;
    if let Some(account) = note.account {
        accounts_of_debtor(env, debtor_id, &[account])?;
    }
    env.txn.append_note(debtor_id, note)?;
    Ok(Outcome::DebtorUpdated { debtor: debtor_id, cancelled: Vec::new() })
}

/// A contact made outside the outbox, as `Command::RecordInbound` (the debtor's) and
/// `Command::RecordOutbound` (to the debtor) give it.
pub(crate) struct Contact<'a> {
    pub(crate) accounts: &'a [AccountId],
    pub(crate) channel: ContactChannel,
    pub(crate) address: &'a str,
    pub(crate) at: DateTime<Utc>,
    pub(crate) outcome: ContactOutcome,
    pub(crate) inbound: bool,
}

/// `Command::RecordInbound` and `Command::RecordOutbound`: appends the contact to the
/// debtor's history.
pub(crate) fn record_contact(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    inbound: &Contact<'_>,
) -> Result<Outcome, CommandError> {
    load(env, debtor_id)?;
    text("address", inbound.address, true)?;
    supported("at", inbound.at)?;
    let accounts = accounts_of_debtor(env, debtor_id, inbound.accounts)?;
    env.txn.append_contact(
        debtor_id,
        &ContactAttempt {
            accounts: accounts.clone(),
            channel: inbound.channel,
            address: inbound.address.to_owned(),
            at: inbound.at,
            inbound: inbound.inbound,
            outcome: inbound.outcome,
            action: None,
        },
    )?;
    let cancelled = crate::outbox::after_contact(
        env,
        debtor_id,
        &accounts,
        inbound.channel,
        inbound.outcome,
        inbound.inbound,
    )?;
    if inbound.inbound && inbound.outcome == ContactOutcome::DisputeRaised {
        // The debtor called or wrote in and disputed the debts: as for an acknowledged action
        // with that outcome (an oral dispute is one); the contact stands whatever the
        // disputes. (An outbound contact recorded by hand stays a contact only: a portfolio
        // move carries acknowledged actions as `record_outbound`.)
        crate::collections::dispute_raised(env, &accounts, inbound.at.date_naive())?;
    }
    Ok(Outcome::DebtorUpdated { debtor: debtor_id, cancelled })
}

/// A callback the debtor asked for, as `Command::RequestCallback` gives it.
pub(crate) struct Callback<'a> {
    pub(crate) accounts: &'a [AccountId],
    pub(crate) channel: ContactChannel,
    pub(crate) address: &'a str,
    pub(crate) at: DateTime<Utc>,
}

/// `Command::RequestCallback`: a pending outbox action at the requested instant.
pub(crate) fn request_callback(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    callback: &Callback<'_>,
) -> Result<Outcome, CommandError> {
    let debtor = load(env, debtor_id)?;
    supported("at", callback.at)?;
    let flags = debtor.flags;
    let stopped = [
        (flags.cease_communication, "asked that communication cease"),
        (flags.attorney_represented, "is represented by an attorney"),
        (flags.bankruptcy, "is in bankruptcy"),
        (flags.deceased, "is deceased"),
    ];
    if let Some((_, why)) = stopped.iter().find(|(set, _)| *set) {
        return Err(CommandError::Invalid {
            field: "debtor",
            reason: format!("debtor {debtor_id} {why}: no callback can be scheduled"),
        });
    }
    let accounts = accounts_of_debtor(env, debtor_id, callback.accounts)?;
    // A discharge is kept on the cases of the debts it covers, not on the debtor.
    for account in &accounts {
        let discharged =
            env.txn.case(*account)?.is_some_and(|case| case.flags.bankruptcy_discharged);
        if discharged {
            return Err(CommandError::Invalid {
                field: "accounts",
                reason: format!(
                    "account {account} was discharged in bankruptcy: no callback can be scheduled \
                     about it"
                ),
            });
        }
    }
    let usable_point = debtor
        .contact_points
        .iter()
        .any(|point| point.address == callback.address && usable(point, callback.channel));
    if !usable_point {
        return Err(CommandError::Invalid {
            field: "address",
            reason: format!(
                "{:?} is not a {} address of debtor {debtor_id} that may be used (opted out, or \
                 no consent where the channel needs it)",
                callback.address,
                callback.channel.name()
            ),
        });
    }
    let proposal = arrears_core::strategy::ContactProposal {
        debtor: debtor_id,
        accounts: accounts.clone(),
        channel: callback.channel,
        address: callback.address.to_owned(),
        template: CALLBACK_TEMPLATE.to_owned(),
        at: callback.at,
        tone: None,
    };
    let as_of = callback.at.date_naive();
    let id = crate::outbox::action_id(as_of, debtor_id, &proposal);
    if env.txn.action(id)?.is_some() {
        return Err(CommandError::Invalid {
            field: "at",
            reason: format!(
                "a callback to {:?} is already scheduled on {as_of} (action {id})",
                callback.address
            ),
        });
    }
    let seq = env.txn.next_id(arrears_store::Sequence::Action)?;
    env.txn.put_action(&arrears_core::case::Action {
        id,
        debtor: debtor_id,
        accounts,
        channel: callback.channel,
        address: callback.address.to_owned(),
        template: CALLBACK_TEMPLATE.to_owned(),
        scheduled_at: callback.at,
        created_for: as_of,
        status: ActionStatus::Pending,
        claim: None,
        sent_at: None,
        seq,
        message: None,
        payment_link: None,
        invoice: None,
    })?;
    Ok(Outcome::Scheduled { action: id })
}

/// After a flag was set: a flag that stops contact cancels every pending action of the debtor.
pub(crate) fn after_flag(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    flag: Flag,
) -> Result<Vec<u64>, CommandError> {
    let reason = match flag {
        Flag::CeaseCommunication => CancelReason::CeaseCommunication,
        Flag::AttorneyRepresented => CancelReason::AttorneyRepresented,
        // A discharge forbids collecting the debts it covers, every account of the debtor on
        // that day: what is pending about them is cancelled (the stay usually did it already).
        Flag::BankruptcyFiled | Flag::BankruptcyDischarged => CancelReason::Bankruptcy,
        Flag::Deceased => CancelReason::Deceased,
        Flag::BankruptcyDismissed | Flag::AttorneyWithdrawn => return Ok(Vec::new()),
    };
    crate::collections::cancel_pending(env, debtor_id, |_| Some(reason))
}

/// An instant a command carries, within the supported dates.
fn supported(field: &'static str, at: DateTime<Utc>) -> Result<(), CommandError> {
    if arrears_core::dates::is_supported(at.date_naive()) {
        Ok(())
    } else {
        Err(CommandError::Invalid { field, reason: format!("{at} is outside the supported dates") })
    }
}

/// The accounts a command names, one or more of the debtor's: sorted, without repeats.
fn accounts_of_debtor(
    env: &Env<'_>,
    debtor_id: DebtorId,
    accounts: &[AccountId],
) -> Result<Vec<AccountId>, CommandError> {
    if accounts.is_empty() {
        return Err(CommandError::Invalid {
            field: "accounts",
            reason: "name at least one account of the debtor".to_owned(),
        });
    }
    let owned = env.txn.accounts_of(debtor_id)?;
    if let Some(other) = accounts.iter().find(|account| !owned.contains(account)) {
        return Err(CommandError::Invalid {
            field: "accounts",
            reason: format!("account {other} is not an account of debtor {debtor_id}"),
        });
    }
    let mut accounts = accounts.to_vec();
    accounts.sort_unstable();
    accounts.dedup();
    Ok(accounts)
}

fn load(env: &Env<'_>, debtor_id: DebtorId) -> Result<Debtor, CommandError> {
    env.txn.debtor(debtor_id)?.ok_or(CommandError::UnknownDebtor(debtor_id))
}

/// Cancels the debtor's pending actions whose address is no longer usable for their channel:
/// `changed` says why when the address is still there (opted out or consent withdrawn), and
/// a missing address is [`CancelReason::AddressRemoved`].
fn cancel_unusable(
    env: &mut Env<'_>,
    debtor: &Debtor,
    changed: CancelReason,
) -> Result<Vec<u64>, CommandError> {
    crate::collections::cancel_pending(env, debtor.id, |action| {
        let point = debtor
            .contact_points
            .iter()
            .find(|point| point.channel == action.channel && point.address == action.address);
        // An opt-out is of the medium at the address, as the guardrails read it: an SMS
        // opt-out at a number stops messaging-app messages to it too (one group, texts), and
        // the number however it is written.
        let group = compliance::ChannelGroup::from(action.channel);
        let group_opted_out = debtor.contact_points.iter().any(|other| {
            other.opted_out
                && compliance::ChannelGroup::from(other.channel) == group
                && compliance::same_address(action.channel, &other.address, &action.address)
        });
        match point {
            None => Some(CancelReason::AddressRemoved),
            Some(_) if group_opted_out => Some(CancelReason::OptedOut),
            Some(point) if !usable(point, action.channel) => {
                Some(if point.opted_out { CancelReason::OptedOut } else { changed })
            }
            Some(_) => None,
        }
    })
}
