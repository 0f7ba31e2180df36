//! The ledger's steps of `verify`: every entry and the whole journal balanced, then each
//! account's events replayed and compared with its stored snapshot, its journal, its
//! obligations' receivable books and its payments' allocation traces.

use std::collections::{BTreeMap, BTreeSet};

use arrears_core::ids::{AccountId, DebtorId, EventSeq, ObligationId};
use arrears_core::ledger::{
    is_balanced, normalize, replay, AccountState, Book, Event, EventKind, JournalEntry, Posting,
    Replay,
};
use arrears_core::model::{Account, Component};
use arrears_store::{ReadTxn, Reads, Sequence};

use super::{Records, Report};

/// The journal's postings, summed by the event they belong to; each account's step takes its
/// events' postings out, so what is left belongs to no event.
pub(super) type Journaled = BTreeMap<(AccountId, EventSeq), Vec<Posting>>;

/// Every entry balanced, and the whole journal balanced. Returns the postings by event.
pub(super) fn entries_and_journal_balance(
    report: &mut Report,
    entries: &[JournalEntry],
) -> Journaled {
    let mut global: i128 = 0;
    let mut by_event = Journaled::new();
    for entry in entries {
        report.report.entries_checked += 1;
        if !is_balanced(&entry.postings) {
            let sum: i64 = entry.postings.iter().map(|posting| posting.amount_minor).sum();
            report.problem("entry_balance", entry.id, format!("postings sum to {sum}, not 0"));
        }
        global +=
            entry.postings.iter().map(|posting| i128::from(posting.amount_minor)).sum::<i128>();
        by_event
            .entry((entry.account, entry.event))
            .or_default()
            .extend(entry.postings.iter().copied());
    }
    if global != 0 {
        report.problem(
            "journal_balance",
            "journal",
            format!("all postings sum to {global}, not 0"),
        );
    }
    by_event
}

/// Each journal entry id used once, and none above the entry sequence as the store holds it
/// (`Reads::stored_sequence`: `meta`, or the ledger log's last row): an entry above it would
/// have its id given again to the next entry. `entries` are in id order.
pub(super) fn entry_ids(report: &mut Report, read: &ReadTxn, entries: &[JournalEntry]) {
    for pair in entries.windows(2) {
        if pair[0].id == pair[1].id {
            let detail =
                format!("written twice, for {} and for {}", pair[0].account, pair[1].account);
            report.problem("entry_id", pair[1].id, detail);
        }
    }
    let Some(last) = entries.last() else { return };
    let Some(sequence) = report.read("meta", read.stored_sequence(Sequence::Entry)) else {
        return;
    };
    if last.id.0 > sequence {
        let detail = format!(
            "the entry sequence is at {sequence}, below entry {}: the next entries would reuse ids",
            last.id.0
        );
        report.problem("sequence", "entry", detail);
    }
}

/// What an account's step looks records up in.
struct Lookups {
    debtor_ids: BTreeSet<DebtorId>,
    obligation_owner: BTreeMap<ObligationId, AccountId>,
}

/// Each account, in the order the store lists them. Returns every event's account, number and
/// key, for the idempotency step (so the events are read once).
pub(super) fn accounts(
    report: &mut Report,
    read: &ReadTxn,
    records: &Records,
    journaled: &mut Journaled,
) -> Vec<EventKey> {
    let lookups = Lookups {
        debtor_ids: records.debtors.iter().map(|debtor| debtor.id).collect(),
        obligation_owner: records
            .obligations
            .iter()
            .map(|obligation| (obligation.id, obligation.account))
            .collect(),
    };
    let mut keys = Vec::new();
    for account in &records.accounts {
        one_account(report, read, &lookups, account, journaled, &mut keys);
    }
    keys
}

/// An event's account, number and idempotency key.
pub(super) type EventKey = (AccountId, EventSeq, String);

/// One account: its debtor exists, its events are numbered from 1, and the replay of its
/// events agrees with the snapshot, the journal, the receivable books and the payments.
fn one_account(
    report: &mut Report,
    read: &ReadTxn,
    lookups: &Lookups,
    account: &Account,
    journaled: &mut Journaled,
    keys: &mut Vec<EventKey>,
) {
    report.report.accounts_checked += 1;
    if !lookups.debtor_ids.contains(&account.debtor) {
        report.problem(
            "reference",
            account.id,
            format!("debtor {} does not exist", account.debtor),
        );
    }
    let Some(records) = report.read(&format!("events of {}", account.id), read.events(account.id))
    else {
        return;
    };
    keys.extend(records.iter().map(|record| (account.id, record.event.seq, record.key.clone())));
    let events: Vec<Event> = records.into_iter().map(|record| record.event).collect();
    event_sequence(report, account.id, &events);
    let replayed = replay(account, &events, None);
    snapshot(report, read, account.id, &replayed.state, events.len());
    events_against_journal(report, lookups, account.id, &events, &replayed, journaled);
    receivables(report, account.id, &replayed);
    allocations(report, account.id, &replayed.state);
}

/// The events of an account are numbered 1, 2, 3... in the order they are stored.
fn event_sequence(report: &mut Report, account: AccountId, events: &[Event]) {
    for (position, event) in events.iter().enumerate() {
        if usize::try_from(event.seq.0).ok() != Some(position + 1) {
            report.problem(
                "event_log",
                account,
                format!("event at position {} has sequence {}", position + 1, event.seq),
            );
        }
    }
}

/// The stored snapshot equals the state a fresh replay ends in, and exists once there are
/// events.
fn snapshot(
    report: &mut Report,
    read: &ReadTxn,
    account: AccountId,
    replayed: &AccountState,
    event_count: usize,
) {
    let Some(hot) = report.read(&format!("snapshot of {account}"), read.shared_snapshot(account))
    else {
        return;
    };
    if hot.as_ref().is_none_or(|hot| hot.cold_parts == 0) {
        let parts = report.read(&format!("cold parts of {account}"), read.cold_parts(account));
        if let Some(count @ 1..) = parts.map(|parts| parts.len()) {
            let counted = if hot.is_some() { "counts none" } else { "does not exist" };
            report.problem(
                "snapshot",
                account,
                format!("{count} cold parts, but the account's snapshot {counted}"),
            );
        }
    }
    // With its cold parts merged (format 3), the snapshot is the whole state.
    let Some(snapshot) =
        report.read(&format!("snapshot of {account}"), read.whole_snapshot(account))
    else {
        return;
    };
    match snapshot.as_deref() {
        Some(snapshot) if snapshot != replayed => report.problem(
            "snapshot",
            account,
            "the stored snapshot differs from a fresh replay of the events",
        ),
        None if event_count > 0 => {
            report.problem("snapshot", account, format!("no snapshot, but {event_count} events"));
        }
        _ => {}
    }
}

/// Each event's journal entries sum to what the replay derives for it, and the obligation a
/// charge, an accrual or a refund names belongs to the account.
fn events_against_journal(
    report: &mut Report,
    lookups: &Lookups,
    account: AccountId,
    events: &[Event],
    replayed: &Replay,
    journaled: &mut Journaled,
) {
    let empty = Vec::new();
    for event in events {
        let subject = format!("{account} {}", event.seq);
        let derived = replayed.derived.get(&event.seq).unwrap_or(&empty);
        let sums = normalize(journaled.remove(&(account, event.seq)).unwrap_or_default());
        if &sums != derived {
            report.problem(
                "journal",
                &subject,
                "journal entries of the event do not sum to what the event derives",
            );
        }
        if let EventKind::Charge { obligation, .. }
        | EventKind::AccrueInterest { obligation, .. }
        | EventKind::Refund { obligation, .. } = &event.kind
        {
            match lookups.obligation_owner.get(obligation) {
                Some(owner) if owner == &account => {}
                Some(owner) => report.problem(
                    "reference",
                    &subject,
                    format!("obligation {obligation} belongs to {owner}"),
                ),
                None => report.problem(
                    "reference",
                    &subject,
                    format!("obligation {obligation} has no record"),
                ),
            }
        }
    }
}

/// The receivable books of each obligation and component agree with what it owes (nothing
/// once the account is charged off), and nothing owes a negative amount.
fn receivables(report: &mut Report, account: AccountId, replayed: &Replay) {
    let state = &replayed.state;
    let mut receivable: BTreeMap<(ObligationId, Component), i64> = BTreeMap::new();
    for posting in replayed.derived.values().flatten() {
        if posting.book == Book::Receivable {
            if let (Some(obligation), Some(component)) = (posting.obligation, posting.component) {
                *receivable.entry((obligation, component)).or_insert(0) += posting.amount_minor;
            }
        }
    }
    for (id, obligation) in &state.obligations {
        for component in Component::ALL {
            let books = receivable.get(&(*id, component)).copied().unwrap_or(0);
            let owed = obligation.outstanding_minor[component.index()];
            let expected = if state.charged_off_on.is_some() { 0 } else { owed };
            if books != expected {
                report.problem(
                    "receivable",
                    format!("{account} {id} {}", component.name()),
                    format!("receivable books {books}, expected {expected}"),
                );
            }
            if owed < 0 {
                report.problem(
                    "receivable",
                    format!("{account} {id} {}", component.name()),
                    format!("negative outstanding {owed}"),
                );
            }
        }
    }
}

/// Each payment not reversed is allocated plus unapplied, to the cent, and the account's
/// unapplied cash equals its book.
fn allocations(report: &mut Report, account: AccountId, state: &AccountState) {
    for (seq, payment) in &state.payments {
        if payment.reversed {
            continue;
        }
        let allocated: i64 = payment.allocated.values().sum();
        if allocated + payment.unapplied_minor != payment.amount_minor {
            report.problem(
                "allocation",
                format!("{account} {seq}"),
                format!(
                    "allocated {allocated} + unapplied {} != payment {}",
                    payment.unapplied_minor, payment.amount_minor
                ),
            );
        }
    }
    if state.unapplied_minor() != -state.book_balance_minor(Book::UnappliedCash) {
        report.problem("unapplied", account, "unapplied cash differs from its book");
    }
}

/// Journal entries left over once every account took its events' entries: they name an event
/// that does not exist.
pub(super) fn entries_without_event(report: &mut Report, journaled: &Journaled) {
    for (account, event) in journaled.keys() {
        report.problem(
            "journal",
            format!("{account} {event}"),
            "journal entries for an event that does not exist",
        );
    }
}
