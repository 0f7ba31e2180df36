//! A batch's rows, gathered per table, then written with one multi-row statement per table.
//!
//! Each statement takes its rows as one array per column and inserts `unnest` of them (so it
//! is one prepared statement whatever the number of rows, and one round trip). PostgreSQL
//! refuses an `ON CONFLICT ... DO UPDATE` that meets the same key twice in one statement, and
//! a later change of a row must win over an earlier one: [`Latest`] keeps one row per key, the
//! last one given, so each statement holds every key once, with its latest value.

use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::apply::Sink;
use crate::RelayError;

/// Rows keyed by their table's key: one row per key, the last one given for it, in the
/// order the keys were first given.
#[derive(Debug)]
pub(crate) struct Latest<K, R> {
    index: HashMap<K, usize>,
    rows: Vec<R>,
}

impl<K, R> Default for Latest<K, R> {
    fn default() -> Self {
        Latest { index: HashMap::new(), rows: Vec::new() }
    }
}

impl<K: Hash + Eq, R> Latest<K, R> {
    /// Adds `row` under `key`, replacing the row given before under the same key.
    pub(crate) fn put(&mut self, key: K, row: R) {
        match self.index.get(&key) {
            Some(&at) => self.rows[at] = row,
            None => {
                self.index.insert(key, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    /// The rows, one per key.
    pub(crate) fn rows(&self) -> &[R] {
        &self.rows
    }
}

/// One column of `rows`.
fn column<'rows, R, T>(rows: &'rows [R], value: impl Fn(&'rows R) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

/// A change's row in `audit` and in `outbox`.
#[derive(Debug)]
pub(crate) struct ChangeRow {
    pub(crate) seq: i64,
    pub(crate) recorded_at: DateTime<Utc>,
    pub(crate) account: Option<i64>,
    pub(crate) kind: String,
    pub(crate) aggregate_type: &'static str,
    pub(crate) aggregate_id: String,
    pub(crate) payload: Value,
}

#[derive(Debug)]
pub(crate) struct DebtorRow {
    pub(crate) id: i64,
    pub(crate) external_ref: Option<String>,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) country: String,
    pub(crate) record: Value,
}

#[derive(Debug)]
pub(crate) struct AccountRow {
    pub(crate) id: i64,
    pub(crate) debtor: i64,
    pub(crate) external_ref: Option<String>,
    pub(crate) product: String,
    pub(crate) currency: String,
    pub(crate) opened_on: NaiveDate,
    pub(crate) record: Value,
}

#[derive(Debug)]
pub(crate) struct CaseRow {
    pub(crate) account: i64,
    pub(crate) state: String,
    pub(crate) stage: Option<String>,
    pub(crate) next_review_on: NaiveDate,
    pub(crate) record: Value,
}

#[derive(Debug)]
pub(crate) struct ObligationRow {
    pub(crate) id: i64,
    pub(crate) account: i64,
    pub(crate) external_ref: Option<String>,
    pub(crate) kind: String,
    pub(crate) issued_on: NaiveDate,
    pub(crate) due_on: NaiveDate,
    /// Principal, interest and fee, as recorded.
    pub(crate) original_minor: [i64; 3],
}

#[derive(Debug)]
pub(crate) struct PostingRow {
    pub(crate) entry_id: i64,
    pub(crate) line: i32,
    pub(crate) account: i64,
    pub(crate) event: i64,
    pub(crate) entry_kind: String,
    pub(crate) effective_on: NaiveDate,
    pub(crate) recorded_at: DateTime<Utc>,
    pub(crate) book: String,
    pub(crate) obligation: Option<i64>,
    pub(crate) component: Option<String>,
    pub(crate) source: Option<i64>,
    pub(crate) amount_minor: i64,
    pub(crate) currency: String,
}

#[derive(Debug)]
pub(crate) struct ActionRow {
    pub(crate) id: i64,
    pub(crate) seq: i64,
    pub(crate) debtor: i64,
    pub(crate) channel: String,
    pub(crate) template: String,
    pub(crate) scheduled_at: DateTime<Utc>,
    pub(crate) created_for: NaiveDate,
    pub(crate) status: String,
    pub(crate) record: Value,
}

/// A dispute ledger event: `obligation` disputed (or undisputed) from `effective_on`.
#[derive(Debug)]
pub(crate) struct DisputeRow {
    pub(crate) account: i64,
    pub(crate) event: i64,
    pub(crate) obligation: i64,
    pub(crate) effective_on: NaiveDate,
    pub(crate) disputed: bool,
}

/// A charged-off account's state after the last event of `effective_on`.
#[derive(Debug)]
pub(crate) struct ChargeOffRow {
    pub(crate) account: i64,
    pub(crate) effective_on: NaiveDate,
    pub(crate) charged_off: bool,
    pub(crate) owed_minor: i64,
}

/// Everything one batch writes, table by table, keyed as the tables are.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub(crate) changes: Latest<i64, ChangeRow>,
    pub(crate) debtors: Latest<i64, DebtorRow>,
    pub(crate) accounts: Latest<i64, AccountRow>,
    pub(crate) cases: Latest<i64, CaseRow>,
    pub(crate) obligations: Latest<i64, ObligationRow>,
    pub(crate) postings: Latest<(i64, i32), PostingRow>,
    pub(crate) actions: Latest<i64, ActionRow>,
    pub(crate) disputes: Latest<(i64, i64), DisputeRow>,
    pub(crate) charge_offs: Latest<(i64, NaiveDate), ChargeOffRow>,
}

impl Rows {
    /// Writes every table's rows, one statement per table that has any.
    pub(crate) fn write(&self, sink: &mut Sink<'_, '_>, shard: &str) -> Result<(), RelayError> {
        write_changes(sink, shard, self.changes.rows())?;
        write_debtors(sink, shard, self.debtors.rows())?;
        write_accounts(sink, shard, self.accounts.rows())?;
        write_cases(sink, shard, self.cases.rows())?;
        write_obligations(sink, shard, self.obligations.rows())?;
        write_postings(sink, shard, self.postings.rows())?;
        write_actions(sink, shard, self.actions.rows())?;
        write_disputes(sink, shard, self.disputes.rows())?;
        write_charge_offs(sink, shard, self.charge_offs.rows())?;
        Ok(())
    }
}

/// The changes' audit rows and outbox rows, each written once whatever the retries.
fn write_changes(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[ChangeRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    let seq = column(rows, |row| row.seq);
    let kind = column(rows, |row| row.kind.as_str());
    let payload = column(rows, |row| &row.payload);
    sink.execute(
        "INSERT INTO audit (shard, seq, recorded_at, account, kind, change) \
         SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::bigint[], $5::text[], \
         $6::jsonb[]) ON CONFLICT (shard, seq) DO NOTHING",
        &[
            &shard,
            &seq,
            &column(rows, |row| row.recorded_at),
            &column(rows, |row| row.account),
            &kind,
            &payload,
        ],
    )?;
    // The id is a UUID derived from (shard, seq): the same change always gets the same id.
    sink.execute(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, shard, seq) \
         SELECT md5($1 || ':' || u.seq::text)::uuid, u.aggregatetype, u.aggregateid, u.type, \
         u.payload, $1, u.seq \
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) \
         AS u (seq, aggregatetype, aggregateid, type, payload) \
         ON CONFLICT (id) DO NOTHING",
        &[
            &shard,
            &seq,
            &column(rows, |row| row.aggregate_type),
            &column(rows, |row| row.aggregate_id.as_str()),
            &kind,
            &payload,
        ],
    )?;
    Ok(())
}

fn write_debtors(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[DebtorRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO debtors (shard, id, external_ref, name, kind, country, record) \
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], \
         $6::text[], $7::jsonb[]) ON CONFLICT (shard, id) DO UPDATE SET \
         external_ref = excluded.external_ref, name = excluded.name, kind = excluded.kind, \
         country = excluded.country, record = excluded.record",
        &[
            &shard,
            &column(rows, |row| row.id),
            &column(rows, |row| row.external_ref.as_deref()),
            &column(rows, |row| row.name.as_str()),
            &column(rows, |row| row.kind.as_str()),
            &column(rows, |row| row.country.as_str()),
            &column(rows, |row| &row.record),
        ],
    )?;
    Ok(())
}

fn write_accounts(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[AccountRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO accounts (shard, id, debtor, external_ref, product, currency, opened_on, \
         record) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], \
         $6::text[], $7::date[], $8::jsonb[]) ON CONFLICT (shard, id) DO UPDATE SET \
         debtor = excluded.debtor, external_ref = excluded.external_ref, \
         product = excluded.product, currency = excluded.currency, \
         opened_on = excluded.opened_on, record = excluded.record",
        &[
            &shard,
            &column(rows, |row| row.id),
            &column(rows, |row| row.debtor),
            &column(rows, |row| row.external_ref.as_deref()),
            &column(rows, |row| row.product.as_str()),
            &column(rows, |row| row.currency.as_str()),
            &column(rows, |row| row.opened_on),
            &column(rows, |row| &row.record),
        ],
    )?;
    Ok(())
}

fn write_cases(sink: &mut Sink<'_, '_>, shard: &str, rows: &[CaseRow]) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO cases (shard, account, state, stage, next_review_on, record) \
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::date[], \
         $6::jsonb[]) ON CONFLICT (shard, account) DO UPDATE SET state = excluded.state, \
         stage = excluded.stage, next_review_on = excluded.next_review_on, \
         record = excluded.record",
        &[
            &shard,
            &column(rows, |row| row.account),
            &column(rows, |row| row.state.as_str()),
            &column(rows, |row| row.stage.as_deref()),
            &column(rows, |row| row.next_review_on),
            &column(rows, |row| &row.record),
        ],
    )?;
    Ok(())
}

fn write_obligations(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[ObligationRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO obligations (shard, id, account, external_ref, kind, issued_on, due_on, \
         principal_minor, interest_minor, fee_minor) SELECT $1, * FROM unnest($2::bigint[], \
         $3::bigint[], $4::text[], $5::text[], $6::date[], $7::date[], $8::bigint[], \
         $9::bigint[], $10::bigint[]) ON CONFLICT (shard, id) DO UPDATE SET \
         external_ref = excluded.external_ref, kind = excluded.kind, \
         issued_on = excluded.issued_on, due_on = excluded.due_on, \
         principal_minor = excluded.principal_minor, interest_minor = excluded.interest_minor, \
         fee_minor = excluded.fee_minor",
        &[
            &shard,
            &column(rows, |row| row.id),
            &column(rows, |row| row.account),
            &column(rows, |row| row.external_ref.as_deref()),
            &column(rows, |row| row.kind.as_str()),
            &column(rows, |row| row.issued_on),
            &column(rows, |row| row.due_on),
            &column(rows, |row| row.original_minor[0]),
            &column(rows, |row| row.original_minor[1]),
            &column(rows, |row| row.original_minor[2]),
        ],
    )?;
    Ok(())
}

/// Journal postings: append-only, so a row once written never changes; re-sending it does
/// nothing.
fn write_postings(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[PostingRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO journal_postings (shard, entry_id, line, account, event, entry_kind, \
         effective_on, recorded_at, book, obligation, component, source, amount_minor, \
         currency) SELECT $1, * FROM unnest($2::bigint[], $3::integer[], $4::bigint[], \
         $5::bigint[], $6::text[], $7::date[], $8::timestamptz[], $9::text[], $10::bigint[], \
         $11::text[], $12::bigint[], $13::bigint[], $14::text[]) \
         ON CONFLICT (shard, entry_id, line) DO NOTHING",
        &[
            &shard,
            &column(rows, |row| row.entry_id),
            &column(rows, |row| row.line),
            &column(rows, |row| row.account),
            &column(rows, |row| row.event),
            &column(rows, |row| row.entry_kind.as_str()),
            &column(rows, |row| row.effective_on),
            &column(rows, |row| row.recorded_at),
            &column(rows, |row| row.book.as_str()),
            &column(rows, |row| row.obligation),
            &column(rows, |row| row.component.as_deref()),
            &column(rows, |row| row.source),
            &column(rows, |row| row.amount_minor),
            &column(rows, |row| row.currency.as_str()),
        ],
    )?;
    Ok(())
}

fn write_actions(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[ActionRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO actions (shard, id, seq, debtor, channel, template, scheduled_at, \
         created_for, status, record) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], \
         $4::bigint[], $5::text[], $6::text[], $7::timestamptz[], $8::date[], $9::text[], \
         $10::jsonb[]) ON CONFLICT (shard, id) DO UPDATE SET seq = excluded.seq, \
         debtor = excluded.debtor, channel = excluded.channel, template = excluded.template, \
         scheduled_at = excluded.scheduled_at, created_for = excluded.created_for, \
         status = excluded.status, record = excluded.record",
        &[
            &shard,
            &column(rows, |row| row.id),
            &column(rows, |row| row.seq),
            &column(rows, |row| row.debtor),
            &column(rows, |row| row.channel.as_str()),
            &column(rows, |row| row.template.as_str()),
            &column(rows, |row| row.scheduled_at),
            &column(rows, |row| row.created_for),
            &column(rows, |row| row.status.as_str()),
            &column(rows, |row| &row.record),
        ],
    )?;
    Ok(())
}

/// Dispute events: a ledger event never changes once recorded, so re-sending one does
/// nothing.
fn write_disputes(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[DisputeRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO obligation_disputes (shard, account, event, obligation, effective_on, \
         disputed) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], \
         $5::date[], $6::boolean[]) ON CONFLICT (shard, account, event) DO NOTHING",
        &[
            &shard,
            &column(rows, |row| row.account),
            &column(rows, |row| row.event),
            &column(rows, |row| row.obligation),
            &column(rows, |row| row.effective_on),
            &column(rows, |row| row.disputed),
        ],
    )?;
    Ok(())
}

/// Charge-off states: a back-dated event restates the days after it, so a row is replaced.
fn write_charge_offs(
    sink: &mut Sink<'_, '_>,
    shard: &str,
    rows: &[ChargeOffRow],
) -> Result<(), RelayError> {
    if rows.is_empty() {
        return Ok(());
    }
    sink.execute(
        "INSERT INTO charge_offs (shard, account, effective_on, charged_off, owed_minor) \
         SELECT $1, * FROM unnest($2::bigint[], $3::date[], $4::boolean[], $5::bigint[]) \
         ON CONFLICT (shard, account, effective_on) DO UPDATE SET \
         charged_off = excluded.charged_off, owed_minor = excluded.owed_minor",
        &[
            &shard,
            &column(rows, |row| row.account),
            &column(rows, |row| row.effective_on),
            &column(rows, |row| row.charged_off),
            &column(rows, |row| row.owed_minor),
        ],
    )?;
    Ok(())
}
