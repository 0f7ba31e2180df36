//! The idempotency records against the events and the audit log: a retry must never find a
//! record missing (it would post twice) or one that says something else than what happened.
//!
//! - Every event recorded by a command has that command's idempotency record, and the record's
//!   outcome concerns the event's account. Events the cycle records carry a key of its own
//!   (`cycle:DATE:ACCOUNT:KIND`) and have none.
//! - Every idempotency record whose outcome posted an event has that event, under its key.
//! - Every row of the idempotency index (format 14: the key's row key, its tail and hash, ->
//!   the audit sequence) points at the audit entry of a command whose key has that row key,
//!   which holds the record; every row of its overflow (the key -> the sequence) points at its
//!   key's command, and the row of the key's row key at another key's (else a look-up would not
//!   reach the overflow); no key has two rows; every command's audit entry holds its record and
//!   its key's row points at it, and `CommandExecuted`'s digest equals the record's. A
//!   record that keeps a pointer to its ledger row instead of the outcome (format 13) points at
//!   a row its key appended, and the outcome rebuilt from it has that digest: byte for byte
//!   the outcome the command returned.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use arrears_core::case::AuditKind;
use arrears_core::ids::{AccountId, EventSeq};
use arrears_store::codec::{decode_record, RecordKind};
use arrears_store::{command_key, idempotency_row, AuditEntry, IdempotencyRecord, ReadTxn, Reads};

use super::ledger::EventKey;
use super::Report;
use crate::command::Outcome;

/// The events an outcome says were posted, `(account, event)`, and the accounts it concerns.
fn posted_by(outcome: &Outcome) -> (Vec<(AccountId, EventSeq)>, BTreeSet<AccountId>) {
    let mut posted = Vec::new();
    let mut accounts = BTreeSet::new();
    match outcome {
        Outcome::Posted(one) => {
            posted.push((one.account, one.event));
            accounts.insert(one.account);
        }
        Outcome::Cases(cases) | Outcome::Worked { cases, .. } => {
            if let Outcome::Worked { account, .. } = outcome {
                accounts.insert(*account);
            }
            for case in cases {
                accounts.insert(case.account);
                posted.extend(case.posted.iter().map(|one| (one.account, one.event)));
            }
        }
        Outcome::AccountOpened(account) => {
            accounts.insert(*account);
        }
        // An acknowledgement that raised a dispute disputed these accounts under its key.
        Outcome::Acknowledged { disputed, .. } => accounts.extend(disputed.iter().copied()),
        _ => {}
    }
    (posted, accounts)
}

/// True if and only if `outcome` is a recorded contact's (`DebtorUpdated`) and `account` is its
/// debtor's: a contact recorded with the outcome `dispute_raised` disputes the debtor's
/// accounts it was about under its key (session 36), which its outcome does not list.
fn debtor_contact_disputed(read: &ReadTxn, outcome: &Outcome, account: AccountId) -> bool {
    match outcome {
        Outcome::DebtorUpdated { debtor, .. } => {
            read.account(account).ok().flatten().is_some_and(|found| found.debtor == *debtor)
        }
        _ => false,
    }
}

/// True if and only if `key` is one the cycle gives the events it records for `account`.
fn cycle_key(key: &str, account: AccountId) -> bool {
    key.starts_with("cycle:") && key.split(':').any(|part| part == account.to_string())
}

pub(super) fn idempotency_records(report: &mut Report, read: &ReadTxn, event_keys: &[EventKey]) {
    let Some(index) = report.read("idempotency", read.idempotency_index()) else { return };
    let Some(overflow) = report.read("idempotency", read.idempotency_overflow()) else { return };
    let Some(log) = report.read("audit", read.audit_log()) else { return };
    let stored = indexed_records(report, &index, &overflow, &log);
    // Each record's outcome: its bytes, or those rebuilt from the ledger row it points at
    // (format 13), which must be the row its key appended.
    let mut results: BTreeMap<&str, Cow<'_, [u8]>> = BTreeMap::new();
    let mut outcomes: BTreeMap<&str, Outcome> = BTreeMap::new();
    let pointed =
        crate::audit::pointed_rows(read, stored.values().map(|(_, record)| &record.result[..]));
    // A range that does not read (a damaged row in it) leaves each pointer to read its own row.
    let rows = report.read("ledger_log", pointed).unwrap_or_default();
    for (key, (_, record)) in &stored {
        let result = match crate::audit::outcome_bytes_among(read, &rows, key, &record.result) {
            Ok(result) => result,
            Err(error) => {
                let why = match &error {
                    arrears_store::StorageError::Corrupted { reason, .. } => reason.to_string(),
                    other => other.to_string(),
                };
                report.problem("idempotency", key, format!("outcome: {why}"));
                continue;
            }
        };
        match decode_record::<Outcome>(RecordKind::Outcome, &result) {
            Ok(outcome) => {
                outcomes.insert(key, outcome);
            }
            Err(reason) => report.problem("idempotency", key, format!("outcome: {reason}")),
        }
        results.insert(key, result);
    }
    let mut events: BTreeMap<(AccountId, EventSeq), &str> = BTreeMap::new();
    for (account, seq, key) in event_keys {
        let subject = format!("{account} #{}", seq.0);
        match outcomes.get(key.as_str()) {
            Some(outcome)
                if !posted_by(outcome).1.contains(account)
                    && !debtor_contact_disputed(read, outcome, *account) =>
            {
                report.problem(
                    "idempotency",
                    &subject,
                    format!("key {key:?} holds the outcome of another account"),
                );
            }
            None if !stored.contains_key(key.as_str()) && !cycle_key(key, *account) => {
                report.problem(
                    "idempotency",
                    &subject,
                    format!("key {key:?} has no idempotency record (a retry would post again)"),
                );
            }
            _ => {}
        }
        events.insert((*account, *seq), key);
    }
    for (key, outcome) in &outcomes {
        for (account, event) in posted_by(outcome).0 {
            if events.get(&(account, event)) != Some(key) {
                report.problem(
                    "idempotency",
                    key,
                    format!(
                        "its outcome posted {account} #{} under this key, which is not there",
                        event.0
                    ),
                );
            }
        }
    }
    audit_records(report, &log, &stored, &results);
}

/// The idempotency record each key of the index reaches, with the sequence of the audit entry
/// that holds it: the replay of the entry its row points at. A row that points at no entry, at
/// an entry without a command, or at a command of another key (whose row key is another, for a row
/// of the index) is reported and reaches nothing; so is a key's second row, and a row of the
/// overflow whose key's row key has no row of another key's command (no look-up would reach it).
fn indexed_records<'log>(
    report: &mut Report,
    index: &[(u128, u64)],
    overflow: &[(String, u64)],
    log: &'log [AuditEntry],
) -> BTreeMap<String, (u64, &'log IdempotencyRecord)> {
    let mut stored: BTreeMap<String, (u64, &IdempotencyRecord)> = BTreeMap::new();
    // The key of the command each row of the index reaches, by row key.
    let mut holders: BTreeMap<u128, &str> = BTreeMap::new();
    let rows = index
        .iter()
        .map(|&(row_key, seq)| (Ok(row_key), seq))
        .chain(overflow.iter().map(|(key, seq)| (Err(key.as_str()), *seq)));
    for (row, seq) in rows {
        let name = match row {
            Ok(row_key) => format!("index row {row_key:032x}"),
            Err(key) => format!("overflow row {key:?}"),
        };
        // The log is read in sequence order: entry `seq` is at `seq - 1` unless the chain is
        // broken (which the chain check reports), then it is searched for.
        let at = usize::try_from(seq).ok().and_then(|seq| seq.checked_sub(1));
        let entry = at.and_then(|at| log.get(at)).filter(|entry| entry.record.seq == seq);
        let entry = entry.or_else(|| log.iter().find(|entry| entry.record.seq == seq));
        let Some(entry) = entry else {
            let detail = format!("points at audit record {seq}, which is missing");
            report.problem("idempotency", &name, detail);
            continue;
        };
        let (Some(replay), Some(key)) = (&entry.replay, command_key(&entry.record.kind)) else {
            let detail = format!("points at audit record {seq}, which holds no command");
            report.problem("idempotency", &name, detail);
            continue;
        };
        match row {
            Ok(row_key) if idempotency_row(key) != row_key => {
                let detail =
                    format!("a row of another key's row key ({name}) points at its command");
                report.problem("idempotency", key, detail);
                continue;
            }
            Ok(row_key) => {
                holders.insert(row_key, key);
            }
            Err(row_key) if row_key != key => {
                let detail = format!("{name} points at audit record {seq}, the command of {key:?}");
                report.problem("idempotency", row_key, detail);
                continue;
            }
            Err(_) => match holders.get(&idempotency_row(key)) {
                Some(holder) if *holder != key => {}
                _ => {
                    let detail = "its overflow row is not reached: no other key's command holds \
                                  the row of its row key";
                    report.problem("idempotency", key, detail);
                    continue;
                }
            },
        }
        if let Some((first, _)) = stored.get(key) {
            let detail = format!("two rows of the index, at audit records {first} and {seq}");
            report.problem("idempotency", key, detail);
            continue;
        }
        stored.insert(key.to_owned(), (seq, replay));
    }
    stored
}

/// Every command's audit record against the index and its idempotency record, and the
/// reverse: the command's key points at it, and `CommandExecuted`'s digest equals its replay's.
fn audit_records(
    report: &mut Report,
    log: &[AuditEntry],
    stored: &BTreeMap<String, (u64, &IdempotencyRecord)>,
    results: &BTreeMap<&str, Cow<'_, [u8]>>,
) {
    let mut audited: BTreeSet<&str> = BTreeSet::new();
    for entry in log {
        let (key, content) = match &entry.record.kind {
            AuditKind::Command { key, .. } => (key, None),
            AuditKind::CommandExecuted { key, content, .. } => (key, Some(content)),
            _ => continue,
        };
        let seq = entry.record.seq;
        let subject = format!("audit {seq}");
        match (stored.get(key.as_str()), &entry.replay) {
            (Some(&(pointed, _)), Some(replay)) if pointed == seq => {
                // The outcome rebuilt from its ledger row, for a record that points at it (a
                // pointer that does not resolve is reported above, and checked no further).
                let result = results.get(key.as_str()).map_or(&replay.result[..], |result| result);
                let unresolved = crate::audit::pointed_row(result).is_some();
                if !unresolved
                    && content.is_some_and(|content| {
                        crate::audit::content_digest(&replay.command, result) != *content
                    })
                {
                    report.problem(
                        "idempotency",
                        &subject,
                        format!("the idempotency record of key {key:?} is not the one the audit chain holds"),
                    );
                }
            }
            (Some(&(pointed, _)), _) if pointed != seq => report.problem(
                "idempotency",
                &subject,
                format!("key {key:?} points at audit record {pointed}, not at its command's"),
            ),
            _ => report.problem(
                "idempotency",
                &subject,
                format!("the command under key {key:?} has no idempotency record"),
            ),
        }
        audited.insert(key.as_str());
    }
    for key in stored.keys() {
        if !audited.contains(key.as_str()) {
            report.problem("idempotency", key, "no audit record of the command");
        }
    }
}
