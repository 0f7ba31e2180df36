//! Read-only views: an account as of a date, its ledger, portfolio aging.

use std::sync::Arc;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use arrears_core::aging::{age, AccountAging, Bucket};
use arrears_core::ledger::{AccountState, Book};
use arrears_core::model::{Account, Obligation};
use arrears_core::money::Currency;
use arrears_store::ReadTxn;
use arrears_store::Reads;

use crate::error::QueryError;

/// An account as the books stood at the end of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountView {
    /// The account.
    pub account: Account,
    /// The date.
    pub as_of: NaiveDate,
    /// Outstanding by component `[principal, interest, fee]`, minor units. After charge-off,
    /// what the debtor still owes although the receivable books are zero.
    pub outstanding_minor: [i64; 3],
    /// Total outstanding.
    pub total_outstanding_minor: i64,
    /// Unapplied cash held for the debtor.
    pub unapplied_minor: i64,
    /// Outstanding on obligations due before `as_of` (undisputed).
    pub past_due_minor: i64,
    /// Aging on `as_of`.
    pub aging: AccountAging,
    /// The charge-off date, if charged off on or before `as_of`.
    pub charged_off_on: Option<NaiveDate>,
    /// Obligations issued on or before `as_of`.
    pub obligations: Vec<ObligationView>,
    /// Balance of each book (debit positive).
    pub books_minor: BTreeMap<Book, i64>,
}

/// One obligation as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObligationView {
    /// The obligation as recorded.
    pub obligation: Obligation,
    /// Outstanding by component `[principal, interest, fee]`.
    pub outstanding_minor: [i64; 3],
    /// True if and only if disputed on the date.
    pub disputed: bool,
    /// Days past its own due date (0 if not yet due or paid).
    pub days_past_due: i64,
}

pub(crate) fn load_account(
    read: &impl Reads,
    id: arrears_core::ids::AccountId,
) -> Result<Account, QueryError> {
    read.account(id)?.ok_or(QueryError::UnknownAccount(id))
}

pub(crate) fn state_as_of(
    read: &impl Reads,
    account: &Account,
    as_of: NaiveDate,
) -> Result<Arc<AccountState>, QueryError> {
    Ok(read.account_state(account, Some(as_of))?)
}

pub(crate) fn account_view(
    read: &impl Reads,
    account: Account,
    as_of: NaiveDate,
) -> Result<AccountView, QueryError> {
    let state = state_as_of(read, &account, as_of)?;
    let mut obligations = Vec::new();
    for (id, obligation_state) in &state.obligations {
        let obligation = read.obligation(*id)?.ok_or(arrears_store::StorageError::Dangling {
            table: "obligations",
            key: id.0.to_string(),
        })?;
        let days_past_due = if obligation_state.total_minor() > 0 && obligation_state.due_on < as_of
        {
            (as_of - obligation_state.due_on).num_days()
        } else {
            0
        };
        obligations.push(ObligationView {
            obligation,
            outstanding_minor: obligation_state.outstanding_minor,
            disputed: obligation_state.disputed,
            days_past_due,
        });
    }
    let outstanding_minor = state.outstanding_minor();
    Ok(AccountView {
        as_of,
        outstanding_minor,
        total_outstanding_minor: outstanding_minor.iter().sum(),
        unapplied_minor: state.unapplied_minor(),
        past_due_minor: state.past_due_minor(as_of),
        aging: age(&state, as_of),
        charged_off_on: state.charged_off_on,
        obligations,
        books_minor: state.book_balances_minor.clone().into(),
        account,
    })
}

/// Portfolio aging on a date, one row per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortfolioAging {
    /// The date.
    pub as_of: NaiveDate,
    /// One row per currency, in currency-code order.
    pub rows: Vec<AgingRow>,
}

/// Aging of all accounts in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgingRow {
    /// The currency.
    pub currency: Currency,
    /// Outstanding by bucket of each obligation's days past due, in the order of
    /// [`Bucket::ALL`] (minor units). Charged-off accounts are not included.
    pub amounts_minor: [i64; 7],
    /// Number of accounts by the bucket of the account's days past due (accounts with nothing
    /// outstanding count as current).
    pub accounts: [u64; 7],
    /// Total of `amounts_minor`.
    pub total_minor: i64,
    /// Part of the total that is disputed.
    pub disputed_minor: i64,
    /// Accounts charged off on or before the date.
    pub charged_off_accounts: u64,
    /// What charged-off accounts still owe.
    pub charged_off_owed_minor: i64,
}

pub(crate) fn portfolio_aging(
    read: &ReadTxn,
    as_of: NaiveDate,
) -> Result<PortfolioAging, QueryError> {
    let mut rows: BTreeMap<Currency, AgingRow> = BTreeMap::new();
    for account in read.all_accounts()? {
        if account.opened_on > as_of {
            continue;
        }
        let state = state_as_of(read, &account, as_of)?;
        let row = rows.entry(account.currency).or_insert_with(|| AgingRow {
            currency: account.currency,
            amounts_minor: [0; 7],
            accounts: [0; 7],
            total_minor: 0,
            disputed_minor: 0,
            charged_off_accounts: 0,
            charged_off_owed_minor: 0,
        });
        if state.charged_off_on.is_some() {
            row.charged_off_accounts += 1;
            row.charged_off_owed_minor += state.total_outstanding_minor();
            continue;
        }
        let aging = age(&state, as_of);
        for bucket in Bucket::ALL {
            row.amounts_minor[bucket.index()] += aging.amounts_minor[bucket.index()];
        }
        row.accounts[aging.bucket.index()] += 1;
        row.total_minor += aging.amounts_minor.iter().sum::<i64>();
        row.disputed_minor += aging.disputed_minor;
    }
    Ok(PortfolioAging { as_of, rows: rows.into_values().collect() })
}

/// What a command executed under an idempotency key recorded: the command, as stored, and
/// its outcome. Only commands that were not refused are recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recorded {
    /// The command (in its canonical form).
    pub command: crate::command::Command,
    /// Its outcome.
    pub outcome: crate::command::Outcome,
}

/// The command recorded under `key`, if any.
pub(crate) fn recorded(read: &impl Reads, key: &str) -> Result<Option<Recorded>, QueryError> {
    let Some(record) = read.idempotency(key)? else { return Ok(None) };
    decode_recorded(read, key, &record).map(Some)
}

/// The command and outcome of an idempotency record (the replay of the command's audit
/// entry), decoded; an outcome kept as a pointer to its ledger row is rebuilt from the row
/// (`audit::rebuilt_outcome`).
pub(crate) fn decode_recorded(
    read: &impl Reads,
    key: &str,
    record: &arrears_store::IdempotencyRecord,
) -> Result<Recorded, QueryError> {
    decode_recorded_among(read, &std::collections::BTreeMap::new(), key, record)
}

/// [`decode_recorded`], looking first among `rows` for the ledger row an outcome points at
/// (`audit::pointed_rows`, read once for a page of the feed).
pub(crate) fn decode_recorded_among(
    read: &impl Reads,
    rows: &std::collections::BTreeMap<u64, arrears_store::LedgerRow>,
    key: &str,
    record: &arrears_store::IdempotencyRecord,
) -> Result<Recorded, QueryError> {
    use arrears_store::codec::decode_record;
    use arrears_store::RecordKind;
    let corrupted = |reason| arrears_store::StorageError::Corrupted {
        table: "idempotency",
        key: format!("{key:?}"),
        reason,
    };
    let command = decode_record(RecordKind::Command, &record.command).map_err(corrupted)?;
    let outcome = match crate::audit::rebuilt_outcome(read, rows, key, &record.result)? {
        Some(outcome) => outcome,
        None => decode_record(RecordKind::Outcome, &record.result).map_err(corrupted)?,
    };
    Ok(Recorded { command, outcome })
}
