//! The change feed: every committed change of a store, in commit order, from a cursor.
//!
//! The feed is read from records the store already writes, so it adds no write: the audit log
//! is a per-store sequence (1, 2, 3...) of every command executed and every state transition,
//! cycle batch and registry change, and each command's record holds the command in its
//! canonical form and its outcome (what its idempotency key replays, format 5). A [`Change`] is
//! one audit record, with the command and its outcome decoded. The audit sequence is the
//! cursor and the id to deduplicate on. docs/SCALE.md gives the JSON schema and the guarantees.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use arrears_core::case::{Action, AuditKind, CollectionCase};
use arrears_core::ids::{AccountId, DebtorId, EntryId, ObligationId};
use arrears_core::ledger::{EventRecord, JournalEntry};
use arrears_core::model::{Account, Debtor, Obligation};
use arrears_store::codec::DecodeError;
use arrears_store::{AuditEntry, LedgerRow, ReadTxn, Reads, StorageError};

use crate::command::{CaseChanged, Command, Outcome};
use crate::error::QueryError;
use crate::query;

/// One committed change: an audit record, with what a command said and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Change {
    /// The audit sequence: the cursor (resume after it) and the id to deduplicate on.
    pub seq: u64,
    /// When the change was committed (the engine clock's instant).
    pub recorded_at: DateTime<Utc>,
    /// The account the change concerns, if one.
    pub account: Option<AccountId>,
    /// What changed.
    pub kind: ChangeKind,
}

/// What a [`Change`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A command was executed: its name, its idempotency key, the command in its canonical
    /// form and its outcome (never a refusal: refused commands write nothing).
    Command {
        /// The command's name (`payment`, `create_debtor`...).
        name: String,
        /// Its idempotency key.
        key: String,
        /// The command as stored.
        command: Box<Command>,
        /// What it did (ledger entries, case changes, outbox acknowledgements...).
        outcome: Box<Outcome>,
    },
    /// Any other audit record (a state transition, a cycle batch, a blocked contact, a failed
    /// component, a plugin registry change), as the audit log holds it.
    Audit(AuditKind),
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChangePage {
    /// The changes after the cursor, in order, at most the limit asked for.
    pub changes: Vec<Change>,
    /// The cursor to read the next page from: the last change's `seq`, or the cursor given if
    /// the page is empty.
    pub next: u64,
    /// The last sequence in the store when the page was read: the consumer is caught up when
    /// `next == head`.
    pub head: u64,
}

/// The records a change may have written or updated, for a consumer that copies state (the
/// relay): read them back to apply the change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Affected {
    /// Debtors created or updated.
    pub debtors: BTreeSet<DebtorId>,
    /// Accounts opened, posted to, or whose case changed.
    pub accounts: BTreeSet<AccountId>,
    /// Outbox actions acknowledged, sent, scheduled or cancelled. The actions a cycle writes
    /// are not listed (its audit record counts them): read them by outbox sequence
    /// ([`crate::Arrears::actions_after`]).
    pub actions: BTreeSet<u64>,
}

impl Change {
    /// The debtors, accounts and outbox actions this change wrote or updated.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let (debtor, account) = arrears::doc_fixture(&dir.path().join("books.redb"))?;
    /// let books = arrears::Arrears::open(dir.path().join("books.redb"))?;
    /// let page = books.changes(0, 10)?;
    /// assert_eq!(page.changes.len(), 2);
    /// assert!(page.changes[0].affected().debtors.contains(&debtor));
    /// assert!(page.changes[1].affected().accounts.contains(&account));
    /// # Ok(())
    /// # }
    /// ```
    pub fn affected(&self) -> Affected {
        let mut affected = Affected::default();
        affected.accounts.extend(self.account);
        if let ChangeKind::Command { outcome, .. } = &self.kind {
            outcome_affects(outcome, &mut affected);
        }
        affected
    }
}

fn cases_affect(cases: &[CaseChanged], affected: &mut Affected) {
    for case in cases {
        affected.accounts.insert(case.account);
        affected.accounts.extend(case.posted.iter().map(|posted| posted.account));
    }
}

/// Exhaustive on purpose: a new outcome must say what it touches.
fn outcome_affects(outcome: &Outcome, affected: &mut Affected) {
    match outcome {
        Outcome::DebtorCreated(debtor) => {
            affected.debtors.insert(*debtor);
        }
        Outcome::AccountOpened(account) => {
            affected.accounts.insert(*account);
        }
        Outcome::Posted(posted) => {
            affected.accounts.insert(posted.account);
        }
        Outcome::Cases(cases) => cases_affect(cases, affected),
        Outcome::Acknowledged { action, disputed } => {
            affected.actions.insert(*action);
            affected.accounts.extend(disputed.iter().copied());
        }
        Outcome::DebtorUpdated { debtor, cancelled } => {
            affected.debtors.insert(*debtor);
            affected.actions.extend(cancelled.iter().copied());
        }
        Outcome::Sent { action, .. } | Outcome::Scheduled { action } => {
            affected.actions.insert(*action);
        }
        Outcome::Worked { account, cases, .. } => {
            affected.accounts.insert(*account);
            cases_affect(cases, affected);
        }
        // Credit standings are the debtor's (the relay copies no credit table yet).
        Outcome::CreditTermsSet { debtor } => {
            affected.debtors.insert(*debtor);
        }
        Outcome::CreditReviewed { reviews } => {
            affected.debtors.extend(reviews.iter().map(|review| review.debtor));
        }
        // Detected signals are kept on the debtor record, as reported ones.
        Outcome::SignalsDetected { changes } => {
            affected.debtors.extend(changes.iter().map(|change| change.debtor));
        }
        // Suspense, bank rules and matches, and credit decisions belong to no debtor or
        // account record.
        Outcome::PolicySet { .. }
        | Outcome::Rejected(_)
        | Outcome::WorkDefined { .. }
        | Outcome::CashHeld { .. }
        | Outcome::BankRulesSet { .. }
        | Outcome::CashReturned { .. }
        | Outcome::BankMatchRecorded { .. }
        | Outcome::CreditDecided { .. } => {}
    }
}

/// The changes with sequence above `after`, at most `limit`, in order.
pub(crate) fn changes(read: &ReadTxn, after: u64, limit: usize) -> Result<ChangePage, QueryError> {
    let head = read.audit_head()?.map_or(0, |head| head.seq);
    let last = head.min(after.saturating_add(limit as u64));
    let mut changes = Vec::new();
    // One range read; an entry missing below the head is a damaged log, not the end.
    let wanted = usize::try_from(last.saturating_sub(after)).unwrap_or(usize::MAX);
    let mut expected = after.saturating_add(1);
    // At most `wanted` entries: past a gap the sequences no longer match, before `last`.
    let entries = read.audit_range(expected, wanted)?;
    // The ledger rows the page's commands point at (format 13), read in one range.
    let rows = crate::audit::pointed_rows(
        read,
        entries.iter().filter_map(|entry| entry.replay.as_ref()).map(|replay| &replay.result[..]),
    )?;
    for entry in entries {
        if entry.record.seq != expected {
            return Err(
                missing("audit", expected.to_string(), "missing below the log's head").into()
            );
        }
        changes.push(change(read, &rows, entry)?);
        expected += 1;
    }
    if expected <= last {
        return Err(missing("audit", expected.to_string(), "missing below the log's head").into());
    }
    let next = changes.last().map_or(after, |change| change.seq);
    Ok(ChangePage { changes, next, head })
}

fn change(
    read: &ReadTxn,
    rows: &BTreeMap<u64, LedgerRow>,
    entry: AuditEntry,
) -> Result<Change, QueryError> {
    let AuditEntry { record, replay, .. } = entry;
    let kind = match record.kind {
        AuditKind::CommandExecuted { name, key, .. } | AuditKind::Command { name, key } => {
            let replay = replay.ok_or_else(|| {
                missing("audit", record.seq.to_string(), "a command's record holds no command")
            })?;
            let recorded = query::decode_recorded_among(read, rows, &key, &replay)?;
            ChangeKind::Command {
                name,
                key,
                command: Box::new(recorded.command),
                outcome: Box::new(recorded.outcome),
            }
        }
        other => ChangeKind::Audit(other),
    };
    Ok(Change { seq: record.seq, recorded_at: record.recorded_at, account: record.account, kind })
}

/// A record the feed needs that is not there: the store is damaged (`verify` says where).
fn missing(table: &'static str, key: String, what: &str) -> StorageError {
    StorageError::Corrupted {
        table,
        key,
        reason: DecodeError::Payload { kind: table, reason: what.to_owned() },
    }
}

/// One read snapshot of a store, for a follower of the feed that reads a batch of changes and
/// then the state they touched (the relay): every read of a batch in one read transaction
/// instead of one each. In the shared modes a read transaction registers itself with the file
/// (a few lock calls and a header read, docs/BENCHMARKS.md section 8), which a writer in
/// another process pays for too: the relay reading thousands of small records a batch did
/// that thousands of times. Drop it before pausing, so that no snapshot is held open between
/// batches (a held snapshot keeps the writer from reusing the pages it has since freed).
///
/// # Example
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("books.redb");
/// # let (_debtor, account) = arrears::doc_fixture(&path)?;
/// let books = arrears::Arrears::open(&path)?;
/// let snapshot = books.snapshot()?;
/// let page = snapshot.changes(0, 100)?;
/// assert_eq!(page.changes.len(), 2);
/// let opened = snapshot.account(account)?.expect("the account");
/// assert!(snapshot.debtor(opened.debtor)?.is_some());
/// assert!(snapshot.ledger_after(account, arrears::ids::EntryId(0))?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Snapshot {
    pub(crate) read: ReadTxn,
}

impl Snapshot {
    /// The changes with sequence above `after`, at most `limit` ([`crate::Arrears::changes`]).
    ///
    /// # Errors
    ///
    /// A storage failure or a damaged store.
    pub fn changes(&self, after: u64, limit: usize) -> Result<ChangePage, QueryError> {
        changes(&self.read, after, limit)
    }

    /// Outbox actions with a sequence above `after`, at most `limit`
    /// ([`crate::Arrears::actions_after`]).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn actions_after(&self, after: u64, limit: usize) -> Result<Vec<Action>, QueryError> {
        Ok(self.read.actions_after(after, limit)?)
    }

    /// An outbox action ([`crate::Arrears::action`]).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn action(&self, id: u64) -> Result<Option<Action>, QueryError> {
        Ok(self.read.action(id)?)
    }

    /// A debtor ([`crate::Arrears::debtor`]).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn debtor(&self, id: DebtorId) -> Result<Option<Debtor>, QueryError> {
        Ok(self.read.debtor(id)?)
    }

    /// An account ([`crate::Arrears::account`]).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn account(&self, id: AccountId) -> Result<Option<Account>, QueryError> {
        Ok(self.read.account(id)?)
    }

    /// An account's collection case ([`crate::Arrears::case`]).
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn case(&self, id: AccountId) -> Result<CollectionCase, QueryError> {
        query::load_account(&self.read, id)?;
        self.read.case(id)?.ok_or(QueryError::UnknownAccount(id))
    }

    /// An account's events in recording order ([`crate::Arrears::events`]).
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn events(&self, id: AccountId) -> Result<Vec<EventRecord>, QueryError> {
        query::load_account(&self.read, id)?;
        Ok(self.read.events(id)?)
    }

    /// An account's journal entries past `after` ([`crate::Arrears::ledger_after`]).
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or a storage failure.
    pub fn ledger_after(
        &self,
        id: AccountId,
        after: EntryId,
    ) -> Result<Vec<JournalEntry>, QueryError> {
        query::load_account(&self.read, id)?;
        Ok(self.read.entries_after(id, after)?)
    }

    /// An account's obligations past `after` ([`crate::Arrears::obligations_after`]).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn obligations_after(
        &self,
        account: AccountId,
        after: ObligationId,
    ) -> Result<Vec<Obligation>, QueryError> {
        let mut obligations = Vec::new();
        for id in self.read.obligations_of_after(account, after)? {
            obligations.extend(self.read.obligation(id)?);
        }
        Ok(obligations)
    }
}
