//! Debtor upkeep: contact points changed after import, and the pending outbox actions a change
//! makes unusable, cancelled at once with the reason.
//!
//! An opt-out received today must be honoured today: the outbox may hold actions the cycle
//! wrote before it (to be sent later in the day), and the integrator sends what is pending.
//! So a change that makes an address unusable for a channel (opted out, consent withdrawn
//! where the channel needs it, removed) cancels every pending action to it, and a flag that
//! stops contact (cease, attorney, bankruptcy, death) cancels every pending action of the
//! debtor. A cancelled action leaves the pending list; an integrator that sent it before the
//! change may still acknowledge it, which records the contact.

use arrears_core::case::{ActionStatus, CancelReason};
use arrears_core::ids::DebtorId;
use arrears_core::model::{ContactChannel, ContactPoint, Debtor, CONTACT_POINTS_MAX};
use arrears_core::strategy::usable;
use arrears_store::Reads;

use crate::command::{Flag, Outcome};
use crate::context::{text, Env};
use crate::error::CommandError;

/// `Command::SetContactPoint`.
pub(crate) fn set_contact_point(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    point: &ContactPoint,
) -> Result<Outcome, CommandError> {
    text("point.address", &point.address, true)?;
    let mut debtor = load(env, debtor_id)?;
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

/// After a flag was set: a flag that stops contact cancels every pending action of the debtor.
pub(crate) fn after_flag(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    flag: Flag,
) -> Result<Vec<u64>, CommandError> {
    let reason = match flag {
        Flag::CeaseCommunication => CancelReason::CeaseCommunication,
        Flag::AttorneyRepresented => CancelReason::AttorneyRepresented,
        Flag::BankruptcyFiled => CancelReason::Bankruptcy,
        Flag::Deceased => CancelReason::Deceased,
        Flag::BankruptcyDischarged => return Ok(Vec::new()),
    };
    cancel_pending(env, debtor_id, |_| Some(reason))
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
    cancel_pending(env, debtor.id, |action| {
        let point = debtor
            .contact_points
            .iter()
            .find(|point| point.channel == action.channel && point.address == action.address);
        match point {
            None => Some(CancelReason::AddressRemoved),
            Some(point) if !usable(point, action.channel) => {
                Some(if point.opted_out { CancelReason::OptedOut } else { changed })
            }
            Some(_) => None,
        }
    })
}

/// Cancels each pending action of the debtor for which `why` gives a reason; returns their
/// ids, ascending.
fn cancel_pending(
    env: &mut Env<'_>,
    debtor_id: DebtorId,
    why: impl Fn(&arrears_core::case::Action) -> Option<CancelReason>,
) -> Result<Vec<u64>, CommandError> {
    let mut cancelled = Vec::new();
    for mut action in env.txn.actions_of(debtor_id)? {
        if action.status != ActionStatus::Pending {
            continue;
        }
        if let Some(reason) = why(&action) {
            action.status = ActionStatus::Cancelled { reason, at: env.now };
            env.txn.put_action(&action)?;
            cancelled.push(action.id);
        }
    }
    cancelled.sort_unstable();
    Ok(cancelled)
}
