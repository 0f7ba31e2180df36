//! The SQLite peer of the cycle benchmark: a review day's reads and writes on SQLite, measured
//! in the same run as the engine's day, so that the cycle's rate has a peer as the payments'
//! has (docs/BENCHMARKS.md section 2, "The cycle's peer").
//!
//! What it does for each due account, in batches of [`BATCH_ACCOUNTS`] (the engine's
//! `CycleOptions::default`), each one transaction synced at commit (`synchronous = FULL`, as
//! the engine's `Durability::Immediate`): it finds the accounts due from an index on the next
//! review date, groups them by debtor as the engine does, and reads the account, its debtor,
//! its case, its open obligations and the debtor's pending actions; it derives the days past
//! due of the oldest open obligation and the stage they select among the standard policy's
//! plain stages (`examples/policies/standard.toml`: courtesy, early, mid, late); it writes the
//! case back with its new review dates (and stage), which moves the case in the index, and an
//! audit row chained by SHA-256 for each change of stage.
//!
//! What it leaves out, and the engine does: the policy's other stage conditions (products,
//! jurisdictions, balances, scores, signals), the compliance packs, contact planning and the
//! strategy (the portfolio's debtors have no contact points, so the engine's days here write
//! no action either), the sticky flags, the snapshot's interest and aging. So the peer does
//! less than the engine; the ratio says how near the engine's day is to the storage work alone.

use std::path::Path;

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{params, CachedStatement, Connection, OptionalExtension};

use crate::create_sqlite;

/// Accounts a batch reviews in one transaction (the engine's default).
pub const BATCH_ACCOUNTS: usize = 1_500;

const SCHEMA: &str = "
CREATE TABLE debtors (id INTEGER PRIMARY KEY, external_ref TEXT NOT NULL, name TEXT NOT NULL,
    country TEXT NOT NULL, time_zone TEXT NOT NULL, language TEXT NOT NULL,
    flags INTEGER NOT NULL);
CREATE TABLE accounts (id INTEGER PRIMARY KEY, debtor INTEGER NOT NULL,
    external_ref TEXT NOT NULL, product TEXT NOT NULL, currency TEXT NOT NULL,
    opened_on INTEGER NOT NULL);
CREATE TABLE obligations (account INTEGER NOT NULL, due_on INTEGER NOT NULL,
    id INTEGER NOT NULL, outstanding INTEGER NOT NULL,
    PRIMARY KEY (account, due_on, id)) WITHOUT ROWID;
CREATE TABLE cases (account INTEGER PRIMARY KEY, state TEXT NOT NULL, stage TEXT,
    stage_entered_on INTEGER, arm TEXT NOT NULL, next_review_on INTEGER NOT NULL,
    last_review_on INTEGER, decided_on INTEGER NOT NULL);
CREATE INDEX review_due ON cases (next_review_on, account);
CREATE TABLE actions (id INTEGER PRIMARY KEY, debtor INTEGER NOT NULL,
    account INTEGER NOT NULL, channel TEXT NOT NULL, template TEXT NOT NULL,
    due_on INTEGER NOT NULL, pending INTEGER NOT NULL);
CREATE INDEX actions_of ON actions (debtor, id);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, on_day INTEGER NOT NULL, account INTEGER,
    name TEXT NOT NULL, detail TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL)
    WITHOUT ROWID;
";

/// The plain stages of the standard policy: name, first and last days past due.
const STAGES: [(&str, i64, i64); 4] =
    [("courtesy", -3, -1), ("early", 1, 29), ("mid", 30, 59), ("late", 60, 119)];

/// Days between reviews of a delinquent case, and of a current one at most (the standard
/// policy's `review.cadence_days`).
const DELINQUENT_CADENCE_DAYS: i64 = 1;
const CURRENT_CADENCE_DAYS: i64 = 30;

/// A day number (days from 1970-01-01).
fn day_number(date: NaiveDate) -> i64 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// What a peer's day did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerDay {
    /// Accounts reviewed.
    pub reviewed: u64,
    /// Changes of stage (each an audit row).
    pub transitions: u64,
}

/// The peer database.
pub struct SqliteCycle {
    connection: Connection,
}

impl SqliteCycle {
    /// Creates the peer at `path`: `accounts` accounts of one debtor each, opened on
    /// `opened_on`, each with the obligations `due(n)` gives as `(due_on, amount)`, and a case
    /// due for review on `opened_on`, as the engine's portfolio builder leaves them.
    pub fn create(
        path: &Path,
        accounts: usize,
        opened_on: NaiveDate,
        due: &dyn Fn(usize) -> Vec<(NaiveDate, i64)>,
    ) -> SqliteCycle {
        let mut peer = SqliteCycle { connection: create_sqlite(path, SCHEMA) };
        let opened = day_number(opened_on);
        let mut obligation = 1_i64;
        for start in (0..accounts).step_by(BATCH_ACCOUNTS) {
            let txn = peer.connection.transaction().expect("txn");
            for n in start..(start + BATCH_ACCOUNTS).min(accounts) {
                let id = n as i64 + 1;
                txn.execute(
                    "INSERT INTO debtors VALUES (?1, ?2, ?3, 'US', 'America/Chicago', 'en', 0)",
                    params![id, format!("D{n}"), format!("Debtor {n}")],
                )
                .expect("debtor");
                txn.execute(
                    "INSERT INTO accounts VALUES (?1, ?1, ?2, 'trade_credit', 'USD', ?3)",
                    params![id, format!("A{n}"), opened],
                )
                .expect("account");
                for (due_on, amount) in due(n) {
                    txn.execute(
                        "INSERT INTO obligations VALUES (?1, ?2, ?3, ?4)",
                        params![id, day_number(due_on), obligation, amount],
                    )
                    .expect("obligation");
                    obligation += 1;
                }
                txn.execute(
                    "INSERT INTO cases VALUES (?1, 'active', NULL, NULL, 'champion', ?2, NULL, ?2)",
                    params![id, opened],
                )
                .expect("case");
            }
            txn.commit().expect("commit");
        }
        peer
    }

    /// Reviews the accounts due on `as_of`.
    pub fn run_day(&mut self, as_of: NaiveDate) -> PeerDay {
        let today = day_number(as_of);
        // The due accounts and their debtors, grouped by debtor (read before the batches, as
        // the engine does).
        let mut due: Vec<(i64, i64)> = {
            let mut statement = self
                .connection
                .prepare_cached(
                    "SELECT cases.account, accounts.debtor FROM cases \
                     JOIN accounts ON accounts.id = cases.account \
                     WHERE cases.next_review_on <= ?1 ORDER BY cases.next_review_on, cases.account",
                )
                .expect("prepare");
            let rows = statement
                .query_map(params![today], |row| Ok((row.get(0)?, row.get(1)?)))
                .expect("due");
            rows.collect::<Result<_, _>>().expect("rows")
        };
        due.sort_by_key(|&(account, debtor)| (debtor, account));
        let mut day = PeerDay::default();
        for batch in due.chunks(BATCH_ACCOUNTS) {
            let (reviewed, transitions) = self.batch(batch, today);
            day.reviewed += reviewed;
            day.transitions += transitions;
        }
        day
    }

    /// One batch's transaction.
    fn batch(&mut self, batch: &[(i64, i64)], today: i64) -> (u64, u64) {
        let txn = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("txn");
        let mut transitions = 0;
        {
            let mut account_row = txn
                .prepare_cached(
                    "SELECT debtor, external_ref, product, currency, opened_on FROM accounts \
                     WHERE id = ?1",
                )
                .expect("prepare");
            let mut debtor_row = txn
                .prepare_cached(
                    "SELECT external_ref, name, country, time_zone, language, flags FROM debtors \
                     WHERE id = ?1",
                )
                .expect("prepare");
            let mut case_row = txn
                .prepare_cached(
                    "SELECT state, stage, stage_entered_on, arm, next_review_on, last_review_on \
                     FROM cases WHERE account = ?1",
                )
                .expect("prepare");
            let mut open = txn
                .prepare_cached(
                    "SELECT due_on, outstanding FROM obligations \
                     WHERE account = ?1 AND outstanding > 0 ORDER BY due_on, id",
                )
                .expect("prepare");
            let mut pending = txn
                .prepare_cached("SELECT count(*) FROM actions WHERE debtor = ?1 AND pending = 1")
                .expect("prepare");
            let mut write_case = txn
                .prepare_cached(
                    "UPDATE cases SET stage = ?2, stage_entered_on = ?3, next_review_on = ?4, \
                     last_review_on = ?5, decided_on = ?5 WHERE account = ?1",
                )
                .expect("prepare");
            let mut audit = txn
                .prepare_cached(
                    "INSERT INTO audit VALUES (?1, ?2, ?3, 'stage_entered', ?4, ?5, ?6)",
                )
                .expect("prepare");
            let (mut seq, mut prev_hash): (i64, Vec<u8>) = txn
                .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
                .expect("audit head")
                .unwrap_or((0, vec![0; 32]));
            let mut debtor_pending = (0_i64, 0_i64);
            for &(account, debtor) in batch {
                let account_values = row_values(&mut account_row, account);
                let debtor_values = row_values(&mut debtor_row, debtor);
                let case_values = row_values(&mut case_row, account);
                // The product and the debtor's time zone, which select stages and hours.
                assert!(matches!(
                    (&account_values[2], &debtor_values[3]),
                    (Value::Text(product), Value::Text(zone)) if !product.is_empty() && !zone.is_empty()
                ));
                let stage = match &case_values[1] {
                    Value::Text(stage) => Some(stage.clone()),
                    _ => None,
                };
                let stage_entered_on = match case_values[2] {
                    Value::Integer(day) => Some(day),
                    _ => None,
                };
                // The debtor's pending actions, read once a debtor (the engine shares them
                // among the debtor's accounts).
                if debtor_pending.0 != debtor {
                    let count: i64 =
                        pending.query_row(params![debtor], |row| row.get(0)).expect("actions");
                    debtor_pending = (debtor, count);
                }
                let obligations: Vec<(i64, i64)> = open
                    .query_map(params![account], |row| Ok((row.get(0)?, row.get(1)?)))
                    .expect("open")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                let oldest_due = obligations.first().map(|&(due_on, _)| due_on);
                let dpd = oldest_due.map(|due_on| today - due_on);
                let new_stage = dpd.and_then(|dpd| {
                    STAGES.iter().find(|(_, min, max)| (*min..=*max).contains(&dpd))
                });
                let new_stage = new_stage.map(|(name, _, _)| *name);
                // The next review: the next stage's first day, at most a cadence away.
                let cadence = if dpd.is_some_and(|dpd| dpd > 0) {
                    DELINQUENT_CADENCE_DAYS
                } else {
                    CURRENT_CADENCE_DAYS
                };
                let next_stage_day = oldest_due.and_then(|due_on| {
                    STAGES
                        .iter()
                        .map(|(_, min, _)| due_on + min)
                        .find(|first_day| *first_day > today)
                });
                let next = next_stage_day.map_or(today + cadence, |day| day.min(today + cadence));
                let changed = stage.as_deref() != new_stage;
                let entered_on = if changed { new_stage.map(|_| today) } else { stage_entered_on };
                write_case
                    .execute(params![account, new_stage, entered_on, next, today])
                    .expect("case");
                if changed {
                    seq += 1;
                    let detail = format!("{}->{}", stage.as_deref().unwrap_or("-"), {
                        new_stage.unwrap_or("-")
                    });
                    let hash = chain(&prev_hash, seq, today, account, &detail);
                    audit
                        .execute(params![seq, today, account, detail, prev_hash, hash])
                        .expect("audit");
                    prev_hash = hash;
                    transitions += 1;
                }
            }
        }
        txn.commit().expect("commit");
        (batch.len() as u64, transitions)
    }
}

/// Every column of the one row `statement` selects for `id`.
fn row_values(statement: &mut CachedStatement<'_>, id: i64) -> Vec<Value> {
    let columns = statement.column_count();
    statement
        .query_row(params![id], |row| (0..columns).map(|column| row.get(column)).collect())
        .expect("row")
}

/// An audit row's hash: SHA-256 of the previous hash and the row's fields.
fn chain(prev_hash: &[u8], seq: i64, day: i64, account: i64, detail: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(format!("{seq}|{day}|{account}|stage_entered|{detail}"));
    hasher.finalize().to_vec()
}
