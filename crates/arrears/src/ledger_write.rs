//! Recording ledger events in two steps: `prepare` checks an event and replays the account
//! with it, writing nothing; `write` journals it. Between the two, the collection state machine
//! may still refuse the command, and a refused command has written nothing, not even an id.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::ids::{EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{
    check, difference, replay, replay_next, AccountState, Book, EntryKind, Event, EventKind,
    EventRecord, JournalEntry, Posting, Replay, ReplayKey,
};
use arrears_core::model::{Account, Component, Obligation, ObligationKind};
use arrears_store::Reads;
use arrears_store::{RefKind, Sequence, WriteTxn};

use crate::command::{Posted, Rejection};
use crate::error::CommandError;

/// An obligation an event creates, before it has an id.
#[derive(Debug, Clone)]
pub(crate) struct NewObligation {
    pub(crate) external_ref: Option<String>,
    pub(crate) kind: ObligationKind,
    pub(crate) due_on: NaiveDate,
    pub(crate) amounts_minor: [i64; 3],
}

/// A checked event and the account replayed with it; nothing written yet.
pub(crate) struct Prepared<'a> {
    account: &'a Account,
    event: Event,
    /// The account's state after every event, the new one included: its next snapshot.
    after: AccountState,
    /// The events, the new one included, when the event is back-dated (the whole history was
    /// replayed); `None` when it follows the history and only the snapshot was read.
    events: Option<Vec<Event>>,
    /// What each event whose derived postings changed now derives, in sequence order: the new
    /// event, and for a back-dated one, the earlier events it corrects.
    changed: Vec<(EventSeq, NaiveDate, Vec<Posting>, Vec<Posting>)>,
    obligations: Vec<(ObligationId, NewObligation)>,
}

impl Prepared<'_> {
    /// The new event.
    pub(crate) fn event(&self) -> &Event {
        &self.event
    }

    /// The date of the account's latest event, this one included.
    pub(crate) fn latest_on(&self) -> NaiveDate {
        self.after.latest_on.unwrap_or(self.event.effective_on)
    }

    /// True if and only if the account, after the event, holds unapplied cash beside debt it
    /// could pay (not charged off, an undisputed obligation owing): the ledger applies
    /// unapplied cash at once to everything but what a reversal re-opens, so only a reversal,
    /// or a payment dated before one and recorded after it, leaves the two side by side. The
    /// state's hot part holds both (open obligations and payments with cash unapplied stay
    /// hot).
    pub(crate) fn leaves_credit_beside_debt(&self) -> bool {
        let state = &self.after;
        state.charged_off_on.is_none()
            && state.unapplied_minor() > 0
            && state.undisputed_owed_minor() > 0
    }

    /// The account's state as of `as_of`, with the new event: its hot part if it holds the
    /// payments received or reversed on or after `payments_from` (see
    /// `arrears_store::Reads::open_state`), else the whole state.
    pub(crate) fn state_as_of(
        &self,
        txn: &WriteTxn,
        as_of: NaiveDate,
        payments_from: NaiveDate,
    ) -> Result<Cow<'_, AccountState>, CommandError> {
        if self.after.latest_on <= Some(as_of) {
            if self.after.has_payments_from(payments_from) {
                return Ok(Cow::Borrowed(&self.after));
            }
            let mut whole = self.after.clone();
            txn.merge_cold_parts(self.account.id, &mut whole)?;
            return Ok(Cow::Owned(whole));
        }
        let events = match &self.events {
            Some(events) => events.clone(),
            None => {
                let mut events = load_events(txn, self.account)?;
                events.push(self.event.clone());
                events
            }
        };
        Ok(Cow::Owned(replay(self.account, &events, Some(as_of)).state))
    }
}

/// What `component` of `obligation` owes at the end of `on`'s events (replayed up to that
/// day), zero if the obligation did not exist then.
fn waivable_on(
    txn: &WriteTxn,
    account: &Account,
    on: NaiveDate,
    obligation: ObligationId,
    component: Component,
) -> Result<i64, CommandError> {
    let events = load_events(txn, account)?;
    let then = replay(account, &events, Some(on)).state;
    Ok(then
        .obligations
        .get(&obligation)
        .map_or(0, |state| state.outstanding_minor[component.index()]))
}

/// Loads an account's events.
pub(crate) fn load_events(txn: &WriteTxn, account: &Account) -> Result<Vec<Event>, CommandError> {
    Ok(txn.events(account.id)?.into_iter().map(|record| record.event).collect())
}

/// Checks `kind` against the account's state and replays the account with it. Obligations
/// the event creates get the ids the sequence will give them, in order.
///
/// An event that follows the account's history (its effective date is the latest, and it is
/// not an event of the same day as an accrual) continues the replay from the account's
/// snapshot: it cannot change what an earlier event derived. A back-dated event replays the
/// whole history and compares every event's postings with what the journal holds; so does an
/// event that reads the history (`EventKind::reads_history`: a write-off's reversal), which is
/// first checked against it (`check_history`).
///
/// A waiver may forgive at most what its obligation's component owes. For a waiver that
/// follows the history that is what it owes now; a back-dated waiver is replayed before the
/// events dated after it, so it may forgive what the component owed on its date (at the end of
/// that day's other events), although payments recorded since paid it: those payments are then
/// allocated again. (A late fee the engine takes back is such a waiver:
/// `lifecycle::reverse_unearned_late_fees`.)
pub(crate) fn prepare<'a>(
    txn: &WriteTxn,
    account: &'a Account,
    effective_on: NaiveDate,
    mut kind: EventKind,
    new_obligations: Vec<NewObligation>,
) -> Result<Result<Prepared<'a>, Rejection>, CommandError> {
    let mut before = txn.take_account_state(account)?;
    // The account's settled items may be in cold parts (format 3): an event that may read one,
    // or that is back-dated (the whole history is replayed), works on the whole state.
    let key = ReplayKey::of_kind(effective_on, &kind, before.next_seq());
    let back_dated = before.last.is_some_and(|last| key <= last);
    // A write-off's reversal reads what the write-off forgave: the history is replayed.
    let whole_history = back_dated || kind.reads_history();
    if before.needs_cold(&kind) || whole_history {
        txn.take_cold_parts(account.id, &mut before)?;
    }
    if let Err(rejection) = check(account, &before, effective_on, &kind) {
        let owed_then = match (&rejection, &kind) {
            (
                arrears_core::ledger::Rejection::ExceedsOutstanding { .. },
                EventKind::Waiver { obligation, component, amount_minor },
            ) if back_dated => {
                match waivable_on(txn, account, effective_on, *obligation, *component) {
                    Ok(owed_minor) => owed_minor >= *amount_minor,
                    Err(error) => {
                        txn.give_back_account_state(account.id, before);
                        return Err(error);
                    }
                }
            }
            _ => false,
        };
        if !owed_then {
            txn.give_back_account_state(account.id, before);
            return Ok(Err(rejection.into()));
        }
    }
    let history = if kind.reads_history() {
        let events = match load_events(txn, account) {
            Ok(events) => events,
            Err(error) => {
                txn.give_back_account_state(account.id, before);
                return Err(error);
            }
        };
        if let Err(rejection) = arrears_core::ledger::check_history(&events, effective_on, &kind) {
            txn.give_back_account_state(account.id, before);
            return Ok(Err(rejection.into()));
        }
        Some(events)
    } else {
        None
    };
    for new in &new_obligations {
        if let Some(reference) = &new.external_ref {
            crate::context::text("external_ref", reference, true)?;
            if let Some(existing) = txn.external_ref(RefKind::Obligation, reference)? {
                txn.give_back_account_state(account.id, before);
                return Ok(Err(Rejection::ExternalRefTaken {
                    kind: "obligation".to_owned(),
                    reference: reference.clone(),
                    existing,
                }));
            }
        }
    }
    let first_id = if new_obligations.is_empty() { 0 } else { txn.peek_id(Sequence::Obligation)? };
    let ids: Vec<ObligationId> =
        (0..new_obligations.len() as u64).map(|offset| ObligationId(first_id + offset)).collect();
    match &mut kind {
        EventKind::Charge { obligation, .. }
        | EventKind::AccrueInterest { obligation, .. }
        | EventKind::Refund { obligation, .. } => {
            *obligation = ids[0];
        }
        EventKind::Reschedule { installments, .. } => {
            for (installment, id) in installments.iter_mut().zip(&ids) {
                installment.obligation = *id;
            }
        }
        _ => {
            assert!(ids.is_empty(), "only charges, accruals, plans and refunds create obligations")
        }
    }
    let seq = before.next_seq();
    let event = Event { seq, effective_on, kind };
    let obligations = ids.into_iter().zip(new_obligations).collect();
    if before.precedes(&event) && !whole_history {
        let (after, postings) = replay_next(account, before, &event);
        let changed = if postings.is_empty() {
            Vec::new()
        } else {
            vec![(seq, effective_on, postings.clone(), postings)]
        };
        return Ok(Ok(Prepared { account, event, after, events: None, changed, obligations }));
    }
    let mut events = match history {
        Some(events) => events,
        None => load_events(txn, account)?,
    };
    events.push(event.clone());
    let Replay { state: after, derived } = replay(account, &events, None);
    let stored = txn.journaled_by_event(account.id)?;
    let mut changed = Vec::new();
    for (event_seq, derived) in derived {
        let journaled = stored.get(&event_seq).map_or(&[][..], Vec::as_slice);
        let postings = difference(journaled, &derived);
        if postings.is_empty() {
            continue;
        }
        let effective_on = events
            .iter()
            .find(|event| event.seq == event_seq)
            .map(|event| event.effective_on)
            .unwrap_or_else(|| unreachable!("every derived event is in the list"));
        changed.push((event_seq, effective_on, postings, derived));
    }
    Ok(Ok(Prepared { account, event, after, events: Some(events), changed, obligations }))
}

/// Journals a prepared event: its entry, corrections for earlier events it changes, the
/// event itself, and the obligations it creates.
pub(crate) fn write(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    key: &str,
    prepared: Prepared<'_>,
) -> Result<Posted, CommandError> {
    write_command(txn, now, key, prepared).map(|(posted, _)| posted)
}

/// [`write()`], and the log sequence of the ledger row it appended if what it returns is what
/// [`crate::audit::posted_from_row`] rebuilds from that row: then the command's idempotency
/// record may keep a pointer to the row instead of a copy of the outcome (format 13).
pub(crate) fn write_command(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    key: &str,
    prepared: Prepared<'_>,
) -> Result<(Posted, Option<u64>), CommandError> {
    let Prepared { account, event, after, events: _, changed, obligations } = prepared;
    let seq = event.seq;
    for (id, new) in &obligations {
        let taken = txn.next_id(Sequence::Obligation)?;
        assert_eq!(taken, id.0, "obligation ids were peeked in this transaction");
        if let Some(reference) = &new.external_ref {
            let existing = txn.claim_external_ref(RefKind::Obligation, reference, id.0)?;
            assert!(existing.is_none(), "reference {reference:?} was checked free");
        }
    }
    let mut entry = None;
    let mut corrections = Vec::new();
    let mut postings = Vec::new();
    let mut entries = Vec::with_capacity(changed.len());
    for (event_seq, effective_on, difference, derived) in changed {
        let id = EntryId(txn.next_id(Sequence::Entry)?);
        let kind = if event_seq == seq {
            entry = Some(id);
            EntryKind::Original
        } else {
            corrections.push(id);
            EntryKind::Correction
        };
        entries.push(JournalEntry {
            id,
            account: account.id,
            event: event_seq,
            kind,
            effective_on,
            recorded_at: now,
            postings: difference,
        });
        if event_seq == seq {
            postings = derived;
        }
    }
    let effective_on = event.effective_on;
    // The rule `audit::posted_from_row` rebuilds by: no obligation created, and the event's
    // postings those of its own entry (none without one).
    let own_postings = entries.iter().find(|written| written.event == seq).map(|own| &own.postings);
    let rebuilds =
        obligations.is_empty() && own_postings.map_or(postings.is_empty(), |own| *own == postings);
    let record = EventRecord { event, recorded_at: now, key: key.to_owned() };
    let row = txn.append_ledger(account.id, &record, &entries)?;
    txn.put_snapshot(account.id, after)?;
    let mut created = None;
    for (id, new) in obligations {
        let mut original_minor = new.amounts_minor;
        if new.kind == ObligationKind::Interest {
            // Posted interest is derived; record it as first posted.
            original_minor[Component::Interest.index()] = -postings
                .iter()
                .filter(|posting| posting.book == Book::InterestIncome)
                .map(|posting| posting.amount_minor)
                .sum::<i64>();
        }
        txn.put_obligation(&Obligation {
            id,
            account: account.id,
            external_ref: new.external_ref,
            kind: new.kind,
            issued_on: effective_on,
            due_on: new.due_on,
            original_minor,
        })?;
        created.get_or_insert(id);
    }
    let posted = Posted {
        account: account.id,
        event: seq,
        obligation: created,
        entry,
        postings,
        corrections,
    };
    Ok((posted, rebuilds.then_some(row)))
}
