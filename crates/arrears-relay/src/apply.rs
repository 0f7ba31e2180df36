//! One batch: the changes after the cursor, the state they touched, and the new cursor, in one
//! PostgreSQL transaction.

use std::collections::{BTreeSet, HashMap};

use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};
use serde::Serialize;

use arrears::case::{Action, AuditKind};
use arrears::ids::{AccountId, DebtorId, EntryId, ObligationId};
use arrears::ledger::{replay, replay_order, Book, Event, EventKind};
use arrears::{Affected, Arrears, Change, ChangeKind, Command, Outcome, Snapshot};
use chrono::NaiveDate;

use crate::rows::{
    AccountRow, ActionRow, CaseRow, ChangeRow, ChargeOffRow, DebtorRow, DisputeRow, ObligationRow,
    PostingRow, Rows,
};
use crate::RelayError;

/// Where a shard's relay stands: the last change applied (the feed's `seq`) and the last
/// outbox action copied (the outbox's `seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    /// The feed's cursor.
    pub seq: u64,
    /// The outbox's cursor (the actions a cycle writes are not named by the feed).
    pub action_seq: u64,
}

/// What one batch applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Changes applied.
    pub changes: usize,
    /// New outbox actions copied.
    pub actions: usize,
    /// The cursor committed with the batch.
    pub cursor: Cursor,
    /// True if the store had nothing more when the batch was read.
    pub caught_up: bool,
}

/// A store id as PostgreSQL's `bigint`: ids are sequences, and action ids hashes below 2^53.
fn big(id: u64) -> i64 {
    id as i64
}

/// The serde name of a unit enum value (`receivable`, `trade_credit`...).
pub(crate) fn name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The change's type in the outbox and the audit table: the command's name, or the audit
/// record's kind.
pub(crate) fn change_type(change: &Change) -> String {
    match &change.kind {
        ChangeKind::Command { name, .. } => name.clone(),
        ChangeKind::Audit(kind) => self::name(kind),
        _ => "change".to_owned(),
    }
}

/// The outbox's aggregate of a change: its account, else the debtor it created or updated,
/// else the store (the shard) itself.
pub(crate) fn aggregate(shard: &str, change: &Change) -> (&'static str, String) {
    let affected = change.affected();
    if let Some(account) = change.account.or_else(|| affected.accounts.first().copied()) {
        return ("account", format!("{shard}:{}", account.0));
    }
    if let Some(debtor) = affected.debtors.first() {
        return ("debtor", format!("{shard}:{}", debtor.0));
    }
    if let ChangeKind::Audit(AuditKind::ContactBlocked { debtor, .. }) = &change.kind {
        return ("debtor", format!("{shard}:{}", debtor.0));
    }
    ("store", shard.to_owned())
}

/// Reads the shard's cursor, locking its row until the transaction ends (a second relay of
/// the same shard waits rather than applying the same batch beside it).
pub(crate) fn lock_cursor(sink: &mut Sink<'_, '_>, shard: &str) -> Result<Cursor, RelayError> {
    sink.execute(
        "INSERT INTO relay_cursor (shard, seq, action_seq) VALUES ($1, 0, 0) \
         ON CONFLICT (shard) DO NOTHING",
        &[&shard],
    )?;
    let row = sink.query_one(
        "SELECT seq, action_seq FROM relay_cursor WHERE shard = $1 FOR UPDATE",
        &[&shard],
    )?;
    let seq: i64 = row.get(0);
    let action_seq: i64 = row.get(1);
    Ok(Cursor { seq: seq as u64, action_seq: action_seq as u64 })
}

/// Applies the next batch of at most `batch` changes (and as many new outbox actions) in
/// `txn`, and moves the cursor; the caller commits. The batch's rows are gathered first, then
/// written with one statement per table.
pub(crate) fn batch(
    books: &Arrears,
    sink: &mut Sink<'_, '_>,
    shard: &str,
    batch: usize,
) -> Result<Step, RelayError> {
    let cursor = lock_cursor(sink, shard)?;
    // Every read of the batch in one read snapshot, dropped before PostgreSQL is written.
    let snapshot = books.snapshot()?;
    let books = &snapshot;
    let page = books.changes(cursor.seq, batch)?;
    let new_actions = books.actions_after(cursor.action_seq, batch)?;
    let mut rows = Rows::default();
    let mut affected = Affected::default();
    let mut disputing = BTreeSet::new();
    for change in &page.changes {
        rows.changes.put(big(change.seq), change_row(shard, change)?);
        disputing.extend(dispute_accounts(change));
        let touched = change.affected();
        affected.debtors.extend(touched.debtors);
        affected.accounts.extend(touched.accounts);
        affected.actions.extend(touched.actions);
    }
    let accounts: Vec<AccountId> = affected.accounts.iter().copied().collect();
    let copied = Copied::read(sink, shard, &accounts)?;
    for account in accounts {
        if let Some(debtor) = account_rows(books, &mut rows, &copied, account)? {
            affected.debtors.insert(debtor);
        }
    }
    for debtor in &affected.debtors {
        debtor_row(books, &mut rows, *debtor)?;
    }
    for account in disputing {
        dispute_rows(books, &mut rows, account)?;
    }
    let listed: BTreeSet<u64> = new_actions.iter().map(|action| action.id).collect();
    for action in &new_actions {
        action_row(&mut rows, action)?;
    }
    for id in affected.actions.difference(&listed) {
        if let Some(action) = books.action(*id)? {
            action_row(&mut rows, &action)?;
        }
    }
    drop(snapshot);
    rows.write(sink, shard)?;
    let action_seq = new_actions.iter().map(|action| action.seq).max().unwrap_or(cursor.action_seq);
    let next = Cursor { seq: page.next, action_seq };
    sink.execute(
        "UPDATE relay_cursor SET seq = $2, action_seq = $3, updated_at = now() WHERE shard = $1",
        &[&shard, &big(next.seq), &big(next.action_seq)],
    )?;
    Ok(Step {
        changes: page.changes.len(),
        actions: new_actions.len(),
        cursor: next,
        caught_up: page.next == page.head && new_actions.len() < batch.max(1),
    })
}

/// The change's row in the audit table and the outbox.
fn change_row(shard: &str, change: &Change) -> Result<ChangeRow, RelayError> {
    let (aggregate_type, aggregate_id) = aggregate(shard, change);
    Ok(ChangeRow {
        seq: big(change.seq),
        recorded_at: change.recorded_at,
        account: change.account.map(|account| big(account.0)),
        kind: change_type(change),
        aggregate_type,
        aggregate_id,
        payload: serde_json::to_value(change)?,
    })
}

/// The accounts to which the change may have added dispute ledger events: a `dispute` or
/// `resolve_dispute` command, a collection command or an agent's outcome that posted ledger
/// events along with its case change (`open_dispute`, `resolve_account_dispute`), an
/// acknowledgement that disputed accounts. Only their events are read: a payment, or any
/// other change, costs the relay nothing more.
pub(crate) fn dispute_accounts(change: &Change) -> Vec<AccountId> {
    let ChangeKind::Command { command, outcome, .. } = &change.kind else { return Vec::new() };
    match (command.as_ref(), outcome.as_ref()) {
        (Command::Dispute { account, .. }, _) => vec![*account],
        (_, Outcome::Cases(cases) | Outcome::Worked { cases, .. }) => {
            cases.iter().filter(|case| !case.posted.is_empty()).map(|case| case.account).collect()
        }
        (_, Outcome::Acknowledged { disputed, .. }) => disputed.clone(),
        _ => Vec::new(),
    }
}

/// Gathers every dispute event of the account (rows already copied are left as they are:
/// events never change once recorded).
fn dispute_rows(books: &Snapshot, rows: &mut Rows, id: AccountId) -> Result<(), RelayError> {
    for record in books.events(id)? {
        let event = record.event;
        if let EventKind::Dispute { obligation, disputed } = event.kind {
            let row = DisputeRow {
                account: big(id.0),
                event: i64::from(event.seq.0),
                obligation: big(obligation.0),
                effective_on: event.effective_on,
                disputed,
            };
            rows.disputes.put((row.account, row.event), row);
        }
    }
    Ok(())
}

fn debtor_row(books: &Snapshot, rows: &mut Rows, id: DebtorId) -> Result<(), RelayError> {
    let Some(debtor) = books.debtor(id)? else { return Ok(()) };
    let row = DebtorRow {
        id: big(id.0),
        external_ref: debtor.external_ref.clone(),
        name: debtor.name.clone(),
        kind: name(&debtor.kind),
        country: debtor.jurisdiction.country.clone(),
        record: serde_json::to_value(&debtor)?,
    };
    rows.debtors.put(row.id, row);
    Ok(())
}

/// Gathers an account, its case, and the obligations and journal postings not yet copied;
/// returns its debtor.
fn account_rows(
    books: &Snapshot,
    rows: &mut Rows,
    copied: &Copied,
    id: AccountId,
) -> Result<Option<DebtorId>, RelayError> {
    let Some(account) = books.account(id)? else { return Ok(None) };
    let row = AccountRow {
        id: big(id.0),
        debtor: big(account.debtor.0),
        external_ref: account.external_ref.clone(),
        product: name(&account.product),
        currency: account.currency.code().to_owned(),
        opened_on: account.opened_on,
        record: serde_json::to_value(&account)?,
    };
    rows.accounts.put(row.id, row);
    let case = books.case(id)?;
    let row = CaseRow {
        account: big(id.0),
        state: name(&case.state),
        stage: case.stage.clone(),
        next_review_on: case.next_review_on,
        record: serde_json::to_value(&case)?,
    };
    rows.cases.put(row.account, row);
    let charged_off = case.state == arrears::collection::CollectionState::ChargedOff;
    obligation_rows(books, rows, copied.obligation(id), id)?;
    let written_off = posting_rows(books, rows, copied.entry(id), &account)?;
    if charged_off || written_off || copied.charged_off(id) {
        charge_off_rows(books, rows, &account)?;
    }
    Ok(Some(account.debtor))
}

/// The account's obligations after the last one copied: they never change once recorded,
/// and their ids grow. Read from the account's index past that id, not whole.
fn obligation_rows(
    books: &Snapshot,
    rows: &mut Rows,
    copied: i64,
    id: AccountId,
) -> Result<(), RelayError> {
    let after = ObligationId(u64::try_from(copied).unwrap_or(0));
    for obligation in books.obligations_after(id, after)? {
        let row = ObligationRow {
            id: big(obligation.id.0),
            account: big(id.0),
            external_ref: obligation.external_ref.clone(),
            kind: name(&obligation.kind),
            issued_on: obligation.issued_on,
            due_on: obligation.due_on,
            original_minor: obligation.original_minor,
        };
        rows.obligations.put(row.id, row);
    }
    Ok(())
}

/// The account's journal after the last entry copied, one row per posting keyed on (entry,
/// line): entries are append-only and their ids grow. Read past that entry
/// (`Arrears::ledger_after`), not whole: an account with years of history costs a batch what
/// its new entries cost. Returns true if one of them posts to bad debt or recoveries (the
/// account is, or was, charged off).
fn posting_rows(
    books: &Snapshot,
    rows: &mut Rows,
    copied: i64,
    account: &arrears::model::Account,
) -> Result<bool, RelayError> {
    let mut written_off = false;
    let currency = account.currency.code();
    let after = EntryId(u64::try_from(copied).unwrap_or(0));
    for entry in books.ledger_after(account.id, after)? {
        for (line, posting) in entry.postings.iter().enumerate() {
            written_off |= matches!(posting.book, Book::BadDebt | Book::Recoveries);
            let row = PostingRow {
                entry_id: big(entry.id.0),
                line: line as i32,
                account: big(account.id.0),
                event: i64::from(entry.event.0),
                entry_kind: name(&entry.kind),
                effective_on: entry.effective_on,
                recorded_at: entry.recorded_at,
                book: name(&posting.book),
                obligation: posting.obligation.map(|obligation| big(obligation.0)),
                component: posting.component.map(|component| name(&component)),
                source: posting.source.map(|source| i64::from(source.0)),
                amount_minor: posting.amount_minor,
                currency: currency.to_owned(),
            };
            rows.postings.put((row.entry_id, row.line), row);
        }
    }
    Ok(written_off)
}

/// The account's state after the last event of each day from its first charge-off on, by a
/// replay of its events as the engine's as-of state is (every day again: a back-dated event
/// restates the days after it). Read only for an account charged off now, with new bad-debt or
/// recovery postings, or with charge-off rows already copied.
fn charge_off_rows(
    books: &Snapshot,
    rows: &mut Rows,
    account: &arrears::model::Account,
) -> Result<(), RelayError> {
    let events: Vec<Event> =
        books.events(account.id)?.into_iter().map(|record| record.event).collect();
    let ordered = replay_order(&events);
    let Some(first) = ordered.iter().position(|event| matches!(event.kind, EventKind::ChargeOff))
    else {
        return Ok(());
    };
    let days: BTreeSet<NaiveDate> =
        ordered[first..].iter().map(|event| event.effective_on).collect();
    for day in days {
        let state = replay(account, &events, Some(day)).state;
        let row = ChargeOffRow {
            account: big(account.id.0),
            effective_on: day,
            charged_off: state.charged_off_on.is_some(),
            owed_minor: state.total_outstanding_minor(),
        };
        rows.charge_offs.put((row.account, day), row);
    }
    Ok(())
}

fn action_row(rows: &mut Rows, action: &Action) -> Result<(), RelayError> {
    let row = ActionRow {
        id: big(action.id),
        seq: big(action.seq),
        debtor: big(action.debtor.0),
        channel: name(&action.channel),
        template: action.template.clone(),
        scheduled_at: action.scheduled_at,
        created_for: action.created_for,
        status: name(&action.status),
        record: serde_json::to_value(action)?,
    };
    rows.actions.put(row.id, row);
    Ok(())
}

/// The largest obligation id and journal entry id already in PostgreSQL for each account of a
/// batch (none: 0), read with one query per table. Each account's rows are copied whole in
/// one transaction, so every id below the largest one copied is there too.
pub(crate) struct Copied {
    obligations: HashMap<i64, i64>,
    entries: HashMap<i64, i64>,
    charge_offs: HashMap<i64, i64>,
}

impl Copied {
    fn read(
        sink: &mut Sink<'_, '_>,
        shard: &str,
        accounts: &[AccountId],
    ) -> Result<Copied, RelayError> {
        let ids: Vec<i64> = accounts.iter().map(|account| big(account.0)).collect();
        let mut largest = |sql: &'static str| -> Result<HashMap<i64, i64>, RelayError> {
            let found = sink.query(sql, &[&shard, &ids])?;
            Ok(found.iter().map(|row| (row.get(0), row.get(1))).collect())
        };
        Ok(Copied {
            obligations: largest(
                "SELECT account, max(id) FROM obligations \
                 WHERE shard = $1 AND account = ANY($2::bigint[]) GROUP BY account",
            )?,
            entries: largest(
                "SELECT account, max(entry_id) FROM journal_postings \
                 WHERE shard = $1 AND account = ANY($2::bigint[]) GROUP BY account",
            )?,
            charge_offs: largest(
                "SELECT account, count(*) FROM charge_offs \
                 WHERE shard = $1 AND account = ANY($2::bigint[]) GROUP BY account",
            )?,
        })
    }

    fn obligation(&self, account: AccountId) -> i64 {
        self.obligations.get(&big(account.0)).copied().unwrap_or(0)
    }

    fn entry(&self, account: AccountId) -> i64 {
        self.entries.get(&big(account.0)).copied().unwrap_or(0)
    }

    /// True if the account has charge-off rows already: it was charged off, and a later
    /// waiver or write-off may change what it owes without a posting.
    fn charged_off(&self, account: AccountId) -> bool {
        self.charge_offs.contains_key(&big(account.0))
    }
}

/// Statements prepared once per connection: each `execute` is then one round trip, not two
/// (a statement given as text is prepared again at every call), and a batch is one statement
/// per table whatever its number of rows (`crate::rows`).
#[derive(Default)]
pub(crate) struct Prepared(HashMap<&'static str, Statement>);

/// A batch's transaction with the connection's prepared statements.
pub(crate) struct Sink<'txn, 'client> {
    pub(crate) txn: &'txn mut Transaction<'client>,
    pub(crate) prepared: &'txn mut Prepared,
}

impl Sink<'_, '_> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, RelayError> {
        if let Some(statement) = self.prepared.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.txn.prepare(sql)?;
        self.prepared.0.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, RelayError> {
        let statement = self.statement(sql)?;
        Ok(self.txn.execute(&statement, params)?)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, RelayError> {
        let statement = self.statement(sql)?;
        Ok(self.txn.query(&statement, params)?)
    }

    fn query_one(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, RelayError> {
        let statement = self.statement(sql)?;
        Ok(self.txn.query_one(&statement, params)?)
    }
}
