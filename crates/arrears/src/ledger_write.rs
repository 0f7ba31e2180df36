//! Recording ledger events in two steps: `prepare` checks an event and replays the account
//! with it, writing nothing; `write` journals it. Between the two, the collection state machine
//! may still refuse the command, and a refused command has written nothing, not even an id.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::ids::{EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{
    check, difference, replay, Book, EntryKind, Event, EventKind, EventRecord, JournalEntry,
    Posting, Replay,
};
use arrears_core::model::{Account, Component, Obligation, ObligationKind};
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
pub(crate) struct Prepared {
    pub(crate) account: Account,
    pub(crate) events: Vec<Event>,
    pub(crate) seq: EventSeq,
    pub(crate) after: Replay,
    stored: BTreeMap<EventSeq, Vec<Posting>>,
    obligations: Vec<(ObligationId, NewObligation)>,
}

impl Prepared {
    /// The new event.
    pub(crate) fn event(&self) -> &Event {
        self.events
            .last()
            .unwrap_or_else(|| unreachable!("a prepared event list holds the new event"))
    }

    /// The account's state as of `as_of`, with the new event.
    pub(crate) fn state_as_of(&self, as_of: NaiveDate) -> arrears_core::ledger::AccountState {
        replay(&self.account, &self.events, Some(as_of)).state
    }
}

/// Loads an account's events.
pub(crate) fn load_events(txn: &WriteTxn, account: &Account) -> Result<Vec<Event>, CommandError> {
    Ok(txn.events(account.id)?.into_iter().map(|record| record.event).collect())
}

/// Checks `kind` against the account's events and replays the account with it. Obligations
/// the event creates get the ids the sequence will give them, in order.
pub(crate) fn prepare(
    txn: &WriteTxn,
    account: &Account,
    effective_on: NaiveDate,
    mut kind: EventKind,
    new_obligations: Vec<NewObligation>,
) -> Result<Result<Prepared, Rejection>, CommandError> {
    let mut events = load_events(txn, account)?;
    let before = replay(account, &events, None);
    if let Err(rejection) = check(account, &events, &before.state, effective_on, &kind) {
        return Ok(Err(rejection.into()));
    }
    for new in &new_obligations {
        if let Some(reference) = &new.external_ref {
            crate::execute::text("external_ref", reference, true)?;
            if let Some(existing) = txn.external_ref(RefKind::Obligation, reference)? {
                return Ok(Err(Rejection::ExternalRefTaken {
                    kind: "obligation".to_owned(),
                    reference: reference.clone(),
                    existing,
                }));
            }
        }
    }
    let first_id = txn.peek_id(Sequence::Obligation)?;
    let ids: Vec<ObligationId> =
        (0..new_obligations.len() as u64).map(|offset| ObligationId(first_id + offset)).collect();
    match &mut kind {
        EventKind::Charge { obligation, .. } | EventKind::AccrueInterest { obligation, .. } => {
            *obligation = ids[0];
        }
        EventKind::Reschedule { installments, .. } => {
            for (installment, id) in installments.iter_mut().zip(&ids) {
                installment.obligation = *id;
            }
        }
        _ => assert!(ids.is_empty(), "only charges, accruals and plans create obligations"),
    }
    let seq = EventSeq(events.iter().map(|event| event.seq.0).max().unwrap_or(0) + 1);
    events.push(Event { seq, effective_on, kind });
    let after = replay(account, &events, None);
    let stored = txn.derived(account.id)?;
    Ok(Ok(Prepared {
        account: account.clone(),
        events,
        seq,
        after,
        stored,
        obligations: ids.into_iter().zip(new_obligations).collect(),
    }))
}

/// Journals a prepared event: its entry, corrections for earlier events it changes, the
/// event itself, and the obligations it creates.
pub(crate) fn write(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    key: &str,
    prepared: Prepared,
) -> Result<Posted, CommandError> {
    let Prepared { account, mut events, seq, after, stored, obligations } = prepared;
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
    for (event_seq, derived) in &after.derived {
        let journaled = stored.get(event_seq).map_or(&[][..], Vec::as_slice);
        let postings = difference(journaled, derived);
        if postings.is_empty() {
            continue;
        }
        let id = EntryId(txn.next_id(Sequence::Entry)?);
        let effective_on = events
            .iter()
            .find(|event| event.seq == *event_seq)
            .map(|event| event.effective_on)
            .unwrap_or_else(|| unreachable!("every derived event is in the list"));
        let kind = if *event_seq == seq {
            entry = Some(id);
            EntryKind::Original
        } else {
            corrections.push(id);
            EntryKind::Correction
        };
        txn.append_entry(&JournalEntry {
            id,
            account: account.id,
            event: *event_seq,
            kind,
            effective_on,
            recorded_at: now,
            postings,
        })?;
        txn.put_derived(account.id, *event_seq, derived)?;
    }
    let postings = after.derived.get(&seq).cloned().unwrap_or_default();
    let event = events.pop().unwrap_or_else(|| unreachable!("the new event is last"));
    let effective_on = event.effective_on;
    txn.append_event(account.id, &EventRecord { event, recorded_at: now, key: key.to_owned() })?;
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
    Ok(Posted {
        account: account.id,
        event: seq,
        obligation: created,
        entry,
        postings,
        corrections,
    })
}
