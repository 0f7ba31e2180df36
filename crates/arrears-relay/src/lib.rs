//! Relays an Arrears store's change feed ([`arrears::Arrears::changes`]) into PostgreSQL.
//!
//! The relay keeps its cursor in PostgreSQL (`relay_cursor`, one row per shard) and applies
//! the feed in batches: each batch's rows and the new cursor commit in one PostgreSQL
//! transaction, and every write is an upsert keyed on the store's natural ids (postings on
//! entry id and line), so a relay or a PostgreSQL stopped at any point loses and doubles
//! nothing: the next run starts from the last committed cursor and rewrites what an
//! uncommitted batch may have started. The state tables (debtors, accounts, obligations,
//! journal postings, cases, actions) are copied from the store as it stands when the batch is
//! read, so they are eventually consistent with it (at least once, in order per shard); the
//! `audit` table and the `outbox` (in the shape Kafka Connect's outbox event router expects:
//! `id`, `aggregatetype`, `aggregateid`, `type`, `payload`) get one row per change.
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
}

/// A relay of one store (one shard) into one PostgreSQL database.
pub struct Relay<'books> {
    books: &'books Arrears,
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
    /// [`RelayError::EmptyShard`].
    pub fn connect(
        books: &'books Arrears,
        dsn: &str,
        shard: &str,
    ) -> Result<Relay<'books>, RelayError> {
        if shard.is_empty() {
            return Err(RelayError::EmptyShard);
        }
        let mut client = postgres::Client::connect(dsn, postgres::NoTls)?;
        let mut txn = client.transaction()?;
        // Relays of several shards may start together: one creates the schema at a time.
        txn.execute("SELECT pg_advisory_xact_lock(7413020)", &[])?;
        txn.batch_execute(schema::SCHEMA)?;
        txn.commit()?;
        Ok(Relay { books, client, prepared: apply::Prepared::default(), shard: shard.to_owned() })
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

#[cfg(test)]
mod tests;
