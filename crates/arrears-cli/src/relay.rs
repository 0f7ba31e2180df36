//! `arrears relay postgres`: the change feed applied to PostgreSQL (docs/SCALE.md).

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};

use arrears::Arrears;
use arrears_relay::Relay;

use crate::output;
use crate::Status;

#[derive(Debug, Subcommand)]
pub(crate) enum RelayCommand {
    /// Apply the store's change feed to a PostgreSQL database, in batches, each with its
    /// cursor in one transaction; create the schema if missing.
    Postgres(PostgresArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PostgresArgs {
    /// The database: a libpq-style string (`host=/run/postgresql user=arrears dbname=books`)
    /// or a `postgresql://` URL.
    #[arg(long, value_name = "DSN", env = "ARREARS_RELAY_DSN")]
    pub(crate) dsn: String,
    /// The store's name in the database (its rows and its cursor): one per shard.
    #[arg(long, value_name = "NAME", default_value = "main")]
    pub(crate) shard: String,
    /// At most this many changes per PostgreSQL transaction.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub(crate) batch: usize,
    /// Stop once caught up with the store instead of following it.
    #[arg(long)]
    pub(crate) once: bool,
    /// When following, how long to wait after catching up before reading the feed again.
    #[arg(long, value_name = "MS", default_value_t = 1_000)]
    pub(crate) poll_ms: u64,
}

/// Runs the relay: until caught up with `--once`, else forever (a PostgreSQL failure ends it
/// with an error; run it again, or under a supervisor: it resumes from its cursor).
pub(crate) fn run(
    books: &Arrears,
    command: &RelayCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let RelayCommand::Postgres(args) = command;
    let mut relay = Relay::connect(books, &args.dsn, &args.shard).map_err(failed)?;
    let mut applied = 0_u64;
    loop {
        let step = relay.step(args.batch).map_err(failed)?;
        applied += step.changes as u64;
        if step.caught_up {
            if args.once {
                break;
            }
            std::thread::sleep(Duration::from_millis(args.poll_ms));
        }
    }
    let cursor = relay.cursor().map_err(failed)?;
    if json {
        let value = serde_json::json!({
            "shard": args.shard,
            "applied": applied,
            "seq": cursor.seq,
            "action_seq": cursor.action_seq,
        });
        output::json(out, &value)?;
    } else {
        writeln!(
            out,
            "relayed {applied} changes of shard {:?}; cursor {} (outbox {})",
            args.shard, cursor.seq, cursor.action_seq
        )?;
    }
    Ok(Status::Ok)
}

/// The relay's error as one message: a connection PostgreSQL closed is an I/O error of kind
/// broken pipe, which `main` would otherwise take for a closed stdout and exit 0 on.
fn failed(error: arrears_relay::RelayError) -> anyhow::Error {
    anyhow::anyhow!("{:#}", anyhow::Error::from(error))
}
