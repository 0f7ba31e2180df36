//! The idempotency records against the events and the audit log: a retry must never find a
//! record missing (it would post twice) or one that says something else than what happened.
//!
//! - Every event recorded by a command has that command's idempotency record, and the record's
//!   outcome concerns the event's account. Events the cycle records carry a key of its own
//!   (`cycle:DATE:ACCOUNT:KIND`) and have none.
//! - Every idempotency record whose outcome posted an event has that event, under its key.
//! - Every command's audit record has its idempotency record, and `CommandExecuted`'s digest
//!   equals the record's; every idempotency record has its audit record.

use std::collections::{BTreeMap, BTreeSet};

use arrears_core::case::AuditKind;
use arrears_core::ids::{AccountId, EventSeq};
use arrears_store::codec::{decode_record, RecordKind};
use arrears_store::{IdempotencyRecord, ReadTxn, Reads};

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

/// True if and only if `key` is one the cycle gives the events it records for `account`.
fn cycle_key(key: &str, account: AccountId) -> bool {
    key.starts_with("cycle:") && key.split(':').any(|part| part == account.to_string())
}

pub(super) fn idempotency_records(report: &mut Report, read: &ReadTxn, event_keys: &[EventKey]) {
    let Some(stored) = report.read("idempotency", read.all_idempotency()) else { return };
    let stored: BTreeMap<String, IdempotencyRecord> = stored.into_iter().collect();
    let mut outcomes: BTreeMap<&str, Outcome> = BTreeMap::new();
    for (key, record) in &stored {
        match decode_record::<Outcome>(RecordKind::Outcome, &record.result) {
            Ok(outcome) => {
                outcomes.insert(key, outcome);
            }
            Err(reason) => report.problem("idempotency", key, format!("outcome: {reason}")),
        }
    }
    let mut events: BTreeMap<(AccountId, EventSeq), &str> = BTreeMap::new();
    for (account, seq, key) in event_keys {
        let subject = format!("{account} #{}", seq.0);
        match outcomes.get(key.as_str()) {
            Some(outcome) if !posted_by(outcome).1.contains(account) => {
                report.problem(
                    "idempotency",
                    &subject,
                    format!("key {key:?} holds the outcome of another account"),
                );
            }
            None if !stored.contains_key(key) && !cycle_key(key, *account) => {
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
    audit_records(report, read, &stored);
}

/// Every command's audit record against its idempotency record, and the reverse.
fn audit_records(
    report: &mut Report,
    read: &ReadTxn,
    stored: &BTreeMap<String, IdempotencyRecord>,
) {
    let Some(log) = report.read("audit", read.audit_log()) else { return };
    let mut audited: BTreeSet<&str> = BTreeSet::new();
    for entry in &log {
        let (key, content) = match &entry.record.kind {
            AuditKind::Command { key, .. } => (key, None),
            AuditKind::CommandExecuted { key, content, .. } => (key, Some(content)),
            _ => continue,
        };
        let subject = format!("audit {}", entry.record.seq);
        match (stored.get(key), content) {
            (None, _) => report.problem(
                "idempotency",
                &subject,
                format!("the command under key {key:?} has no idempotency record"),
            ),
            (Some(record), Some(content))
                if crate::audit::content_digest(&record.command, &record.result) != *content =>
            {
                report.problem(
                    "idempotency",
                    &subject,
                    format!("the idempotency record of key {key:?} is not the one the audit chain holds"),
                );
            }
            _ => {}
        }
        if let Some((stored_key, _)) = stored.get_key_value(key) {
            audited.insert(stored_key.as_str());
        }
    }
    for key in stored.keys() {
        if !audited.contains(key.as_str()) {
            report.problem("idempotency", key, "no audit record of the command");
        }
    }
}
