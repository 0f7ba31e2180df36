//! One batch: the changes after the cursor, the state they touched, and the new cursor, in one
//! PostgreSQL transaction.

use std::collections::{BTreeSet, HashMap};

use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};
use serde::Serialize;

use arrears::case::{Action, AuditKind};
use arrears::ids::{AccountId, DebtorId};
use arrears::{Affected, Arrears, Change, ChangeKind};

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
/// `txn`, and moves the cursor; the caller commits.
pub(crate) fn batch(
    books: &Arrears,
    sink: &mut Sink<'_, '_>,
    shard: &str,
    batch: usize,
) -> Result<Step, RelayError> {
    let cursor = lock_cursor(sink, shard)?;
    let page = books.changes(cursor.seq, batch)?;
    let new_actions = books.actions_after(cursor.action_seq, batch)?;
    let mut affected = Affected::default();
    for change in &page.changes {
        insert_change(sink, shard, change)?;
        let touched = change.affected();
        affected.debtors.extend(touched.debtors);
        affected.accounts.extend(touched.accounts);
        affected.actions.extend(touched.actions);
    }
    for account in &affected.accounts {
        if let Some(debtor) = upsert_account(books, sink, shard, *account)? {
            affected.debtors.insert(debtor);
        }
    }
    for debtor in &affected.debtors {
        upsert_debtor(books, sink, shard, *debtor)?;
    }
    let mut actions: Vec<Action> = new_actions.clone();
    let listed: BTreeSet<u64> = actions.iter().map(|action| action.id).collect();
    for id in affected.actions.difference(&listed) {
        actions.extend(books.action(*id)?);
    }
    for action in &actions {
        upsert_action(sink, shard, action)?;
    }
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

/// The change's audit row and outbox row, each written once whatever the retries.
fn insert_change(sink: &mut Sink<'_, '_>, shard: &str, change: &Change) -> Result<(), RelayError> {
    let payload = serde_json::to_value(change)?;
    let kind = change_type(change);
    let seq = big(change.seq);
    let account = change.account.map(|account| big(account.0));
    sink.execute(
        "INSERT INTO audit (shard, seq, recorded_at, account, kind, change) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (shard, seq) DO NOTHING",
        &[&shard, &seq, &change.recorded_at, &account, &kind, &payload],
    )?;
    let (aggregate_type, aggregate_id) = aggregate(shard, change);
    // The id is a UUID derived from (shard, seq): the same change always gets the same id.
    sink.execute(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, shard, seq) \
         VALUES (md5($1 || ':' || $7)::uuid, $3, $4, $5, $6, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
        &[&shard, &seq, &aggregate_type, &aggregate_id, &kind, &payload, &change.seq.to_string()],
    )?;
    Ok(())
}

fn upsert_debtor(
    books: &Arrears,
    sink: &mut Sink<'_, '_>,
    shard: &str,
    id: DebtorId,
) -> Result<(), RelayError> {
    let Some(debtor) = books.debtor(id)? else { return Ok(()) };
    sink.execute(
        "INSERT INTO debtors (shard, id, external_ref, name, kind, country, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (shard, id) DO UPDATE SET \
         external_ref = $3, name = $4, kind = $5, country = $6, record = $7",
        &[
            &shard,
            &big(id.0),
            &debtor.external_ref,
            &debtor.name,
            &name(&debtor.kind),
            &debtor.jurisdiction.country,
            &serde_json::to_value(&debtor)?,
        ],
    )?;
    Ok(())
}

/// Copies an account, its case, obligations and journal; returns its debtor.
fn upsert_account(
    books: &Arrears,
    sink: &mut Sink<'_, '_>,
    shard: &str,
    id: AccountId,
) -> Result<Option<DebtorId>, RelayError> {
    let Some(account) = books.account(id)? else { return Ok(None) };
    sink.execute(
        "INSERT INTO accounts (shard, id, debtor, external_ref, product, currency, opened_on, \
         record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (shard, id) DO UPDATE SET \
         debtor = $3, external_ref = $4, product = $5, currency = $6, opened_on = $7, record = $8",
        &[
            &shard,
            &big(id.0),
            &big(account.debtor.0),
            &account.external_ref,
            &name(&account.product),
            &account.currency.code(),
            &account.opened_on,
            &serde_json::to_value(&account)?,
        ],
    )?;
    upsert_case(books, sink, shard, id)?;
    upsert_obligations(books, sink, shard, id)?;
    upsert_journal(books, sink, shard, &account)?;
    Ok(Some(account.debtor))
}

fn upsert_case(
    books: &Arrears,
    sink: &mut Sink<'_, '_>,
    shard: &str,
    id: AccountId,
) -> Result<(), RelayError> {
    let case = books.case(id)?;
    sink.execute(
        "INSERT INTO cases (shard, account, state, stage, next_review_on, record) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (shard, account) DO UPDATE SET \
         state = $3, stage = $4, next_review_on = $5, record = $6",
        &[
            &shard,
            &big(id.0),
            &name(&case.state),
            &case.stage,
            &case.next_review_on,
            &serde_json::to_value(&case)?,
        ],
    )?;
    Ok(())
}

fn upsert_obligations(
    books: &Arrears,
    sink: &mut Sink<'_, '_>,
    shard: &str,
    id: AccountId,
) -> Result<(), RelayError> {
    let statement =
        "INSERT INTO obligations (shard, id, account, external_ref, kind, issued_on, due_on, \
         principal_minor, interest_minor, fee_minor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (shard, id) DO UPDATE SET \
         external_ref = $4, kind = $5, issued_on = $6, due_on = $7, principal_minor = $8, \
         interest_minor = $9, fee_minor = $10";
    // Obligations never change once recorded, and their ids grow: copy only the new ones.
    let copied = max_copied(
        sink,
        "SELECT max(id) FROM obligations WHERE shard = $1 AND account = $2",
        shard,
        id,
    )?;
    for obligation in books.obligations_of(id)? {
        if big(obligation.id.0) <= copied {
            continue;
        }
        let [principal, interest, fee] = obligation.original_minor;
        sink.execute(
            statement,
            &[
                &shard,
                &big(obligation.id.0),
                &big(id.0),
                &obligation.external_ref,
                &name(&obligation.kind),
                &obligation.issued_on,
                &obligation.due_on,
                &principal,
                &interest,
                &fee,
            ],
        )?;
    }
    Ok(())
}

/// The account's journal, one row per posting keyed on (entry, line). Entries are append-only,
/// so a row once written never changes; re-sending it does nothing.
fn upsert_journal(
    books: &Arrears,
    sink: &mut Sink<'_, '_>,
    shard: &str,
    account: &arrears::model::Account,
) -> Result<(), RelayError> {
    let statement =
        "INSERT INTO journal_postings (shard, entry_id, line, account, event, entry_kind, \
         effective_on, recorded_at, book, obligation, component, source, amount_minor, currency) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (shard, entry_id, line) DO NOTHING";
    let currency = account.currency.code();
    // Entries are append-only and their ids grow: copy only those after the last one copied.
    let copied = max_copied(
        sink,
        "SELECT max(entry_id) FROM journal_postings WHERE shard = $1 AND account = $2",
        shard,
        account.id,
    )?;
    for entry in books.ledger(account.id)? {
        if big(entry.id.0) <= copied {
            continue;
        }
        for (line, posting) in entry.postings.iter().enumerate() {
            sink.execute(
                statement,
                &[
                    &shard,
                    &big(entry.id.0),
                    &(line as i32),
                    &big(account.id.0),
                    &i64::from(entry.event.0),
                    &name(&entry.kind),
                    &entry.effective_on,
                    &entry.recorded_at,
                    &name(&posting.book),
                    &posting.obligation.map(|obligation| big(obligation.0)),
                    &posting.component.map(|component| name(&component)),
                    &posting.source.map(|source| i64::from(source.0)),
                    &posting.amount_minor,
                    &currency,
                ],
            )?;
        }
    }
    Ok(())
}

fn upsert_action(sink: &mut Sink<'_, '_>, shard: &str, action: &Action) -> Result<(), RelayError> {
    sink.execute(
        "INSERT INTO actions (shard, id, seq, debtor, channel, template, scheduled_at, \
         created_for, status, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (shard, id) DO UPDATE SET seq = $3, debtor = $4, channel = $5, \
         template = $6, scheduled_at = $7, created_for = $8, status = $9, record = $10",
        &[
            &shard,
            &big(action.id),
            &big(action.seq),
            &big(action.debtor.0),
            &name(&action.channel),
            &action.template,
            &action.scheduled_at,
            &action.created_for,
            &name(&action.status),
            &serde_json::to_value(action)?,
        ],
    )?;
    Ok(())
}

/// The largest id `query` finds for the account (0 for none). Each account's rows are copied
/// whole in one transaction, so every id below the largest one copied is there too.
fn max_copied(
    sink: &mut Sink<'_, '_>,
    query: &'static str,
    shard: &str,
    account: AccountId,
) -> Result<i64, RelayError> {
    let row = sink.query_one(query, &[&shard, &big(account.0)])?;
    Ok(row.get::<_, Option<i64>>(0).unwrap_or(0))
}

/// Statements prepared once per connection: each `execute` is then one round trip, not two
/// (a statement given as text is prepared again at every call).
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

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, RelayError> {
        let statement = self.statement(sql)?;
        Ok(self.txn.execute(&statement, params)?)
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
