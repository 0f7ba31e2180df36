//! Relays an Arrears store's change feed ([`arrears::Arrears::changes`]) into PostgreSQL.
//!
//! The relay keeps its cursor in PostgreSQL (`relay_cursor`, one row per shard) and applies
//! the feed in batches: each batch's rows (written with one multi-row statement per table, a
//! later change of a row winning over an earlier one) and the new cursor commit in one
//! PostgreSQL transaction, and every write is an upsert keyed on the store's natural ids (postings on
//! entry id and line), so a relay or a PostgreSQL stopped at any point loses and doubles
//! nothing: the next run starts from the last committed cursor and rewrites what an
//! uncommitted batch may have started. The state tables (debtors, accounts, obligations,
//! journal postings, cases, actions) are copied from the store as it stands when the batch is
//! read, so they are eventually consistent with it (at least once, in order per shard); the
//! `audit` table and the `outbox` (in the shape Kafka Connect's outbox event router expects:
//! `id`, `aggregatetype`, `aggregateid`, `type`, `payload`) get one row per change, and
//! `obligation_disputes` one row per dispute ledger event (read only for the changes that may
//! have written one), so SQL can tell an obligation's dispute state on any date; `charge_offs`
//! holds a charged-off account's state on each day from its charge-off on (what it still owes
//! moves no book), by a replay of its events.
//! docs/SCALE.md has the schema, the guarantees, the failure modes and SQL over the tables.
//!
//! # Example
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let books = arrears::Arrears::open_read_only("books.redb")?;
//! let mut relay = arrears_relay::Relay::connect(&books, "host=/tmp user=arrears", "shard-1")?;
//! let applied = relay.run_until_caught_up(500)?;
//! println!("{applied} changes relayed");
//! # Ok(())
//! # }
//! ```

mod apply;
mod rows;
mod schema;

use arrears::Arrears;

pub use apply::{Cursor, Step};

/// Why the relay stopped. Nothing of a failed batch is committed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// PostgreSQL refused or failed (it may be down: run the relay again once it is back).
    #[error("postgresql")]
    Postgres(#[from] postgres::Error),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] arrears::QueryError),
    /// A record did not serialize to JSON.
    #[error("a record did not serialize to JSON")]
    Json(#[from] serde_json::Error),
    /// The shard name is empty.
    #[error("the shard name is empty")]
    EmptyShard,
    /// The DSN is not a connection string: no attempt can succeed, so none is retried.
    #[error("--dsn: invalid connection string: {reason}")]
    InvalidDsn {
        /// Why the DSN does not parse.
        reason: String,
    },
}

impl RelayError {
    /// Returns true if and only if PostgreSQL failed (it may be down or restarting: a
    /// following relay reconnects, [`Relay::reconnect`]); false for the store's failures.
    pub fn is_postgres(&self) -> bool {
        matches!(self, RelayError::Postgres(_))
    }
}

/// How long a following relay waits before each reconnection attempt: `first_ms`, doubled at
/// each attempt, at most `max_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first pause, in milliseconds.
    pub first_ms: u64,
    /// The longest pause, in milliseconds.
    pub max_ms: u64,
}

impl Backoff {
    /// The pause before attempt `attempt` (from 1), in milliseconds.
    ///
    /// ```
    /// let backoff = arrears_relay::Backoff { first_ms: 100, max_ms: 1_000 };
    /// let pauses: Vec<u64> = (1..=6).map(|attempt| backoff.pause_ms(attempt)).collect();
    /// assert_eq!(pauses, [100, 200, 400, 800, 1_000, 1_000]);
    /// ```
    pub fn pause_ms(&self, attempt: u32) -> u64 {
        let doublings = attempt.saturating_sub(1).min(63);
        self.first_ms.saturating_mul(1_u64 << doublings).min(self.max_ms)
    }
}

/// A relay of one store (one shard) into one PostgreSQL database.
pub struct Relay<'books> {
    books: &'books Arrears,
    dsn: String,
    client: postgres::Client,
    prepared: apply::Prepared,
    shard: String,
}

impl<'books> Relay<'books> {
    /// Connects to PostgreSQL with `dsn` (a libpq-style string or URL: `host=/run/postgresql
    /// user=arrears dbname=portfolio`) and creates the schema if it is missing. `shard` names
    /// the store in the database (its rows and its cursor).
    ///
    /// # Errors
    ///
    /// [`RelayError::Postgres`] if PostgreSQL cannot be reached or refuses the schema,
    /// [`RelayError::EmptyShard`], [`RelayError::InvalidDsn`].
    pub fn connect(
        books: &'books Arrears,
        dsn: &str,
        shard: &str,
    ) -> Result<Relay<'books>, RelayError> {
        if shard.is_empty() {
            return Err(RelayError::EmptyShard);
        }
        // A DSN that does not parse is not PostgreSQL being down: it is refused at once.
        if let Err(error) = dsn.parse::<postgres::Config>() {
            return Err(RelayError::InvalidDsn { reason: error.to_string() });
        }
        Ok(Relay {
            books,
            dsn: dsn.to_owned(),
            client: open_client(dsn)?,
            prepared: apply::Prepared::default(),
            shard: shard.to_owned(),
        })
    }

    /// Connects to PostgreSQL again, with the same DSN, after a failure (PostgreSQL
    /// restarted, a connection dropped): the old connection is closed, and the statements
    /// are prepared anew on the new one. The cursor is PostgreSQL's, so the next
    /// [`Relay::step`] resumes from what was committed.
    ///
    /// # Errors
    ///
    /// [`RelayError::Postgres`] if PostgreSQL still cannot be reached; the relay keeps its old
    /// connection then, and may try again.
    pub fn reconnect(&mut self) -> Result<(), RelayError> {
        self.client = open_client(&self.dsn)?;
        self.prepared = apply::Prepared::default();
        Ok(())
    }

    /// The cursor committed for this shard (zero before the first batch).
    ///
    /// # Errors
    ///
    /// [`RelayError::Postgres`].
    pub fn cursor(&mut self) -> Result<Cursor, RelayError> {
        let mut txn = self.client.transaction()?;
        let mut sink = apply::Sink { txn: &mut txn, prepared: &mut self.prepared };
        let cursor = apply::lock_cursor(&mut sink, &self.shard)?;
        txn.commit()?;
        Ok(cursor)
    }

    /// Applies the next batch of at most `batch` changes, with the new cursor, in one
    /// PostgreSQL transaction.
    ///
    /// # Errors
    ///
    /// Any [`RelayError`]; nothing of the batch is then committed.
    pub fn step(&mut self, batch: usize) -> Result<Step, RelayError> {
        let mut txn = self.client.transaction()?;
        let mut sink = apply::Sink { txn: &mut txn, prepared: &mut self.prepared };
        let step = apply::batch(self.books, &mut sink, &self.shard, batch.max(1))?;
        txn.commit()?;
        Ok(step)
    }

    /// Applies batches until the relay has caught up with the store; returns the number of
    /// changes applied.
    ///
    /// # Errors
    ///
    /// Any [`RelayError`]; the batches before the failing one stay committed.
    pub fn run_until_caught_up(&mut self, batch: usize) -> Result<u64, RelayError> {
        let mut applied = 0;
        loop {
            let step = self.step(batch)?;
            applied += step.changes as u64;
            if step.caught_up {
                return Ok(applied);
            }
        }
    }
}

/// A connection to PostgreSQL with the schema created if it is missing.
fn open_client(dsn: &str) -> Result<postgres::Client, RelayError> {
    let mut client = postgres::Client::connect(dsn, postgres::NoTls)?;
    let mut txn = client.transaction()?;
    // Relays of several shards may start together: one creates the schema at a time.
    txn.execute("SELECT pg_advisory_xact_lock(7413020)", &[])?;
    txn.batch_execute(schema::SCHEMA)?;
    txn.commit()?;
    Ok(client)
}

#[cfg(test)]
mod tests;
