//! Errors, one type per operation. Business refusals are not errors: see
//! [`crate::Rejection`].

use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::money::MoneyError;

pub use arrears_store::{MigrateError, Migration, OpenError, StorageError};

/// An error and its sources, as one line (`a: b: c`), for errors passed on as text.
pub(crate) fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Why a command could not be executed. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No account with that id.
    #[error("no account {0}")]
    UnknownAccount(AccountId),
    /// No debtor with that id.
    #[error("no debtor {0}")]
    UnknownDebtor(DebtorId),
    /// The idempotency key was used before for a different command.
    #[error("idempotency key {key:?} was already used for a different command")]
    IdempotencyConflict {
        /// The key.
        key: String,
    },
    /// A field is not acceptable (empty, too long, malformed).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An amount is in the wrong currency or finer than its minor unit.
    #[error("invalid {field}")]
    Money {
        /// The field.
        field: &'static str,
        /// The cause.
        #[source]
        source: MoneyError,
    },
    /// The policy text does not load.
    #[error("invalid policy")]
    Policy(#[source] Box<arrears_core::policy::PolicyError>),
    /// A policy being set names a scorer or strategy that neither this process registered nor
    /// the store's plugin registry has.
    #[error(
        "the policy's arm {arm:?} names {kind} {name:?}, which is neither registered in this \
         process nor in the store's plugin registry"
    )]
    UnknownComponent {
        /// The arm.
        arm: String,
        /// `scorer` or `strategy`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A policy being set names a plugin registry entry that does not resolve (it does not
    /// load, or it is not a plugin of the kind the arm uses it as).
    #[error("the policy's arm {arm:?} names {kind} {name:?}, which does not resolve")]
    Component {
        /// The arm.
        arm: String,
        /// `scorer` or `strategy`.
        kind: &'static str,
        /// The name.
        name: String,
        /// Why.
        #[source]
        source: Box<crate::registry::PluginRegistryError>,
    },
    /// An amount of the policy names no figure for a currency the portfolio holds accounts in,
    /// so the rule could not apply to them (`{ amount = "50.00", currency = "USD" }` applies
    /// to USD accounts only; add a figure per currency, `{ USD = "50.00", EUR = "45.00" }`).
    #[error("policy {file}: {rule} states no amount in {currency}, a currency of the portfolio")]
    PolicyCurrency {
        /// The policy file, as named to `SetPolicy`.
        file: String,
        /// The rule whose amount misses the currency (`stage "late" min_balance`).
        rule: String,
        /// The portfolio's currency.
        currency: arrears_core::money::Currency,
    },
    /// No outbox action with that id.
    #[error("no outbox action {0}")]
    UnknownAction(u64),
    /// An earlier command of the same [`crate::Batch`] failed, so the batch accepts no more
    /// commands; drop it (nothing of it was written) and start another.
    #[error("command {index} of this batch (key {key:?}) failed; drop the batch")]
    BatchAborted {
        /// The failed command's position in the batch, from 0.
        index: usize,
        /// The failed command's idempotency key.
        key: String,
    },
    /// The engine broke one of its own invariants: an event it derived itself (an agency's
    /// commission, a settlement's write-off) was refused by its own ledger rules. This is a
    /// defect of the engine, not of the input; nothing was written. Please report it with the
    /// command and `arrears verify`'s output.
    #[error("engine invariant broken: its own {event} event was refused ({rejection})")]
    Invariant {
        /// The derived event's name.
        event: &'static str,
        /// What the ledger said.
        rejection: Box<crate::command::Rejection>,
    },
    /// The engine broke one of its own invariants: it refused (or replayed) a command after the
    /// command had changed the transaction. A defect of the engine, not of the input; the
    /// batch is aborted, so nothing of it is committed. Please report it with the command.
    #[error(
        "engine invariant broken: {command} was {} after it had written; nothing is committed",
        if *replayed { "replayed" } else { "refused" }
    )]
    WroteBeforeRefusing {
        /// The command's name.
        command: &'static str,
        /// True for a replay, false for a refusal.
        replayed: bool,
    },
    /// This thread holds an open [`crate::Batch`] of the same engine: a second write
    /// transaction on the thread would wait for the first forever. Execute the command in
    /// that batch, or commit or drop it first.
    #[error("{}", THREAD_HOLDS_BATCH)]
    ThreadHoldsBatch,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What every `ThreadHoldsBatch` error says.
const THREAD_HOLDS_BATCH: &str = "this thread holds an open batch of this store; execute in \
    that batch, or commit or drop it first (a second write on the same thread would wait for \
    itself forever)";

/// Why a cycle stopped. Batches committed before the failure stay committed; running the
/// cycle again for the same date resumes where it stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CycleError {
    /// A command the cycle records failed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The options are invalid.
    #[error("invalid cycle options: {reason}")]
    Options {
        /// What is wrong.
        reason: String,
    },
    /// The policy names a scorer or strategy that is not registered, in this process or in
    /// the store's plugin registry.
    #[error("the policy's arm {arm:?} names {kind} {name:?}, which is not registered")]
    UnknownComponent {
        /// The arm.
        arm: String,
        /// `scorer` or `strategy`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// The policy names a plugin registry entry that does not resolve (it does not load, or it
    /// is not a plugin of the kind the arm uses it as).
    #[error("the policy's arm {arm:?} names {kind} {name:?}, which does not resolve")]
    Component {
        /// The arm.
        arm: String,
        /// `scorer` or `strategy`.
        kind: &'static str,
        /// The name.
        name: String,
        /// Why.
        #[source]
        source: Box<crate::registry::PluginRegistryError>,
    },
    /// The cycle date is outside the supported dates, years 1 to 9999 (a typo, or a
    /// sentinel such as `NaiveDate::MAX`).
    #[error("cycle date {as_of} is outside the supported dates {min} to {max}")]
    DateOutOfRange {
        /// The cycle date given.
        as_of: chrono::NaiveDate,
        /// The first supported date.
        min: chrono::NaiveDate,
        /// The last supported date.
        max: chrono::NaiveDate,
    },
    /// This thread holds an open [`crate::Batch`] of the same engine: the cycle's write
    /// transactions would wait for it forever. Commit or drop the batch first.
    #[error("{}", THREAD_HOLDS_BATCH)]
    ThreadHoldsBatch,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The stored policy does not load (its file, line and field are in the source).
    #[error("the stored policy does not load")]
    Policy(#[source] Box<arrears_core::policy::PolicyError>),
    /// No account with that id.
    #[error("no account {0}")]
    UnknownAccount(AccountId),
    /// No debtor with that id.
    #[error("no debtor {0}")]
    UnknownDebtor(DebtorId),
    /// An argument of the query is not one it can answer (an amount below zero, or finer than
    /// its currency's minor unit).
    #[error("{field}: {reason}")]
    Invalid {
        /// The argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A date of the query is outside the supported dates, years 1 to 9999 (a typo, or a
    /// sentinel such as `NaiveDate::MAX`), as the cycle's [`CycleError::DateOutOfRange`].
    #[error("{field} {date} is outside the supported dates {min} to {max}")]
    DateOutOfRange {
        /// The argument (`as_of`, `from`, `to`, `dates`...).
        field: &'static str,
        /// The date given.
        date: chrono::NaiveDate,
        /// The first supported date.
        min: chrono::NaiveDate,
        /// The last supported date.
        max: chrono::NaiveDate,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// [`QueryError::DateOutOfRange`] for `date`, given as the query's `field`, if it is outside
/// the supported dates.
pub(crate) fn query_date(field: &'static str, date: chrono::NaiveDate) -> Result<(), QueryError> {
    match arrears_core::dates::is_supported(date) {
        true => Ok(()),
        false => Err(date_out_of_range(field, date)),
    }
}

#[cold]
fn date_out_of_range(field: &'static str, date: chrono::NaiveDate) -> QueryError {
    QueryError::DateOutOfRange {
        field,
        date,
        min: arrears_core::dates::DATE_MIN,
        max: arrears_core::dates::DATE_MAX,
    }
}

/// Why a batch could not be executed or committed. Nothing of the batch was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A command of the batch failed (its error was returned by [`crate::Batch::execute`]),
    /// so the batch was not committed.
    #[error("command {index} of the batch (key {key:?}) failed; the batch was not committed")]
    Aborted {
        /// The failed command's position in the batch, from 0.
        index: usize,
        /// The failed command's idempotency key.
        key: String,
    },
    /// This thread already holds an open [`crate::Batch`] of the same engine: a second one
    /// would wait for the first forever. Use that batch, or commit or drop it first.
    #[error("{}", THREAD_HOLDS_BATCH)]
    ThreadHoldsBatch,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}
