//! What the compliance guardrails are given for a debtor: the contact history (contacts made,
//! and pending outbox actions counted as contacts that reached the debtor until their outcome
//! is known, so that every counting rule counts them) and the flags (the debtor's and the
//! cases' sticky flags, disputes, opted-out contact points, each on its channel). One place,
//! used by the cycle and by `Arrears::guardrail_inputs`, so that a check of a stored debtor
//! answers exactly as the cycle would.

use arrears_core::case::{Action, ActionStatus, CollectionCase, ContactAttempt};
use arrears_core::collection::CollectionState;
use arrears_core::compliance::{self, ChannelGroup, Direction, Flags, HistoryEntry, Recipient};
use arrears_core::ids::AccountId;
use arrears_core::model::{ContactChannel, ContactPointKind, Debtor};

/// The packs, history and flags the guardrails evaluate a debtor's proposals against.
#[derive(Debug, Clone)]
pub struct GuardrailInputs {
    /// The packs for the debtor's jurisdiction and the policy's creditor kind.
    pub packs: Vec<compliance::Pack>,
    /// Contacts made and planned.
    pub history: Vec<HistoryEntry>,
    /// Sticky flags, disputes and opt-outs.
    pub flags: Flags,
}

/// Whose address `address` is, on `channel`: the kind of the debtor's contact point there,
/// the point of that channel written the same way first, then a point of the same kind of
/// address written the same way (a mobile number kept as a call point, texted), then any
/// point at the same address as `compliance::same_address` compares them (a phone number
/// however it is written, for calls and texts alike); personal if there is none. A contact
/// recorded at a work number written another way is still a work contact (Massachusetts
/// counts those apart). The first two compare text only: the cycle asks this for every entry
/// of every reviewed debtor's history, and the last normalizes both addresses.
pub(crate) fn address_kind(
    debtor: &Debtor,
    channel: ContactChannel,
    address: &str,
) -> ContactPointKind {
    let points = &debtor.contact_points;
    points
        .iter()
        .find(|point| point.channel == channel && point.address == address)
        .or_else(|| {
            points.iter().find(|point| {
                point.address == address && same_kind_of_address(point.channel, channel)
            })
        })
        .or_else(|| {
            points.iter().find(|point| {
                same_kind_of_address(point.channel, channel)
                    && compliance::same_address(channel, &point.address, address)
            })
        })
        .map_or(ContactPointKind::Personal, |point| point.kind)
}

/// Returns true if and only if addresses of `left` and `right` are of one kind: both phone
/// numbers (calls, texts, messaging), or both of the same channel group otherwise.
fn same_kind_of_address(left: ContactChannel, right: ContactChannel) -> bool {
    let phone = |group: ChannelGroup| matches!(group, ChannelGroup::Call | ChannelGroup::Text);
    let (left, right) = (ChannelGroup::from(left), ChannelGroup::from(right));
    left == right || (phone(left) && phone(right))
}

pub(crate) fn debt_ids(accounts: &[AccountId]) -> Vec<String> {
    accounts.iter().map(ToString::to_string).collect()
}

/// A planned outbound contact, not made yet: [`Outcome::Pending`](compliance::Outcome::Pending).
/// Until its outcome is known it may reach the debtor, so every counting rule counts it
/// (`attempts`, `connected` and `contacts` alike); it starts no cool-down (not a conversation)
/// and is no notice before a credit report (a letter still in the outbox was not mailed).
/// Counted only as connected, a pending message would not count towards a rule on contacts
/// (Colombia's one contact a day), and a strategy could get a call, a text and an e-mail out
/// on the same day.
pub(crate) fn planned(
    debtor: &Debtor,
    at: chrono::DateTime<chrono::Utc>,
    accounts: &[AccountId],
    channel: arrears_core::model::ContactChannel,
    address: &str,
) -> HistoryEntry {
    HistoryEntry {
        outcome: compliance::Outcome::Pending,
        ..sent(debtor, at, accounts, channel, address)
    }
}

/// An outbound contact reported sent and not acknowledged yet: made, with the outcome it is
/// taken to have until its acknowledgement says otherwise (a voicemail left for a call, a
/// delivered message otherwise), which every counting rule counts.
fn sent(
    debtor: &Debtor,
    at: chrono::DateTime<chrono::Utc>,
    accounts: &[AccountId],
    channel: arrears_core::model::ContactChannel,
    address: &str,
) -> HistoryEntry {
    HistoryEntry {
        at,
        person: debtor.id.0,
        debts: debt_ids(accounts),
        channel: ChannelGroup::from(channel),
        recipient: Recipient::Consumer,
        address_kind: address_kind(debtor, channel, address),
        direction: Direction::Outbound,
        consented: false,
        outcome: arrears_core::case::ContactOutcome::until_acknowledged(channel).into(),
    }
}

/// The debtor's history: `contacts` made, then `actions` still pending (at the instant they
/// were reported sent, if they were, else at their scheduled instant).
pub(crate) fn history(
    debtor: &Debtor,
    contacts: Vec<ContactAttempt>,
    actions: Vec<Action>,
) -> Vec<HistoryEntry> {
    let mut history: Vec<HistoryEntry> = contacts
        .into_iter()
        .map(|attempt| HistoryEntry {
            at: attempt.at,
            person: debtor.id.0,
            debts: debt_ids(&attempt.accounts),
            channel: ChannelGroup::from(attempt.channel),
            recipient: Recipient::Consumer,
            address_kind: address_kind(debtor, attempt.channel, &attempt.address),
            direction: if attempt.inbound { Direction::Inbound } else { Direction::Outbound },
            consented: false,
            outcome: attempt.outcome.into(),
        })
        .collect();
    for action in actions {
        if !matches!(action.status, ActionStatus::Pending) {
            continue;
        }
        // A pending action reported sent was placed when it was sent, not when it was
        // scheduled: the caps count it on that day (a call sent a day late falls in the 7 days
        // after it), and it is a notice from then (a letter mailed). One not reported sent is
        // not made yet.
        let (accounts, channel, address) = (&action.accounts, action.channel, &action.address);
        history.push(match action.sent_at {
            Some(sent_at) => sent(debtor, sent_at, accounts, channel, address),
            None => planned(debtor, action.scheduled_at, accounts, channel, address),
        });
    }
    history
}

/// The flags: the debtor's, and those of `cases` (a disputed case sets `dispute`; forbearance
/// recorded on every one of them sets `forbearance_assessed`), and the addresses the debtor
/// opted out of, each on its contact point's channel.
pub(crate) fn flags<'c>(
    debtor: &Debtor,
    cases: impl IntoIterator<Item = &'c CollectionCase>,
) -> Flags {
    let mut flags = Flags {
        cease: debtor.flags.cease_communication,
        attorney: debtor.flags.attorney_represented,
        bankruptcy: debtor.flags.bankruptcy,
        deceased: debtor.flags.deceased,
        // A contact point is one channel at one address: its opt-out is of that channel
        // there (an SMS opt-out leaves calls to the number alone).
        opted_out_channel_addresses: debtor
            .contact_points
            .iter()
            .filter(|point| point.opted_out)
            .map(|point| (ChannelGroup::from(point.channel), point.address.clone()))
            .collect(),
        work_contact_prohibited: debtor.restrictions.work_contact_prohibited,
        litigation_served: debtor.restrictions.litigation_served,
        call_consent_given_at: debtor.restrictions.call_consent_given_at,
        opted_out_channels: debtor
            .restrictions
            .opted_out_channels
            .iter()
            .map(|channel| compliance::ChannelGroup::from(*channel))
            .collect(),
        ..Flags::default()
    };
    // Forbearance was assessed for the proposal if it was for every debt of it: the rule's
    // flag (`forbearance_not_assessed`) holds when it holds for any of them.
    let mut any_case = false;
    let mut every_case_forborne = true;
    for case in cases {
        flags.cease |= case.flags.cease_communication;
        flags.attorney |= case.flags.attorney_represented;
        flags.bankruptcy |= case.flags.bankruptcy_stay || case.flags.bankruptcy_discharged;
        flags.deceased |= case.flags.deceased;
        flags.time_barred |= case.flags.time_barred;
        flags.dispute |= matches!(case.state, CollectionState::Disputed);
        any_case = true;
        every_case_forborne &= case.forbearance.is_some();
    }
    flags.forbearance_assessed = any_case && every_case_forborne;
    flags
}

/// True if and only if a rule of `packs` applies to `action`: a suit meets only the rules
/// that name it.
pub(crate) fn names_action(packs: &[compliance::Pack], action: compliance::ActionKind) -> bool {
    packs.iter().flat_map(compliance::Pack::rules).any(|rule| rule.actions.contains(&action))
}

/// The guardrails' decision on suing for `case`'s account on `on`, which the engine's legal
/// referral is (`ActionKind::Suit`): `packs` (the debtor's), with the debtor's flags and this
/// case's alone (a dispute, or a forbearance not assessed, on another account does not stop
/// a suit on this one). A suit is no communication: the rules that apply to it are those that
/// name it, and none of them reads the contact history, so none is given. The instant is
/// noon UTC of `on` and the zones the debtor's (the checks of every proposal need some; no
/// rule that applies to a suit reads them). `None` when no rule of `packs` names a suit: the
/// referral is decided as it always was, by the state machine alone.
pub(crate) fn suit_decision(
    packs: &[compliance::Pack],
    debtor: &Debtor,
    case: &CollectionCase,
    on: chrono::NaiveDate,
) -> Option<compliance::Decision> {
    if !names_action(packs, compliance::ActionKind::Suit) {
        return None;
    }
    let debts = debt_ids(&[case.account]);
    let at = on.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let proposal = compliance::Proposal {
        person: debtor.id.0,
        debts: &debts,
        action: compliance::ActionKind::Suit,
        channel: ChannelGroup::Letter,
        recipient: Recipient::Consumer,
        address: None,
        address_kind: ContactPointKind::Personal,
        address_consent: false,
        at,
        time_zones: &debtor.time_zones,
    };
    let flags = flags(debtor, std::iter::once(case));
    Some(compliance::evaluate(packs, &proposal, &[], &flags))
}

/// The citation of the rule `rule` of `packs` (empty if none has that id).
pub(crate) fn citation_of(packs: &[compliance::Pack], rule: &str) -> String {
    packs
        .iter()
        .flat_map(compliance::Pack::rules)
        .find(|candidate| candidate.id == rule)
        .map(|found| found.citation.clone())
        .unwrap_or_default()
}
