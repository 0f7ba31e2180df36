//! `arrears relay postgres`: the change feed applied to PostgreSQL (docs/SCALE.md).

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};

use arrears::Arrears;
use arrears_relay::{Backoff, Relay};

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
    /// At most this many changes per PostgreSQL transaction, at least 1.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub(crate) batch: usize,
    /// Stop once caught up with the store instead of following it.
    #[arg(long)]
    pub(crate) once: bool,
    /// When following, how long to wait after catching up before reading the feed again, at
    /// least 1 ms.
    #[arg(long, value_name = "MS", default_value_t = 1_000)]
    pub(crate) poll_ms: u64,
    /// When following, how many times in a row to reconnect to a PostgreSQL that failed or
    /// cannot be reached before stopping with its error (0: stop at the first failure).
    /// `--once` never reconnects.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) retries: u32,
    /// The longest pause between two reconnection attempts; the first is 100 ms, and each
    /// next one twice the one before.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub(crate) retry_max_ms: u64,
}

/// The first pause before reconnecting.
const RETRY_FIRST_MS: u64 = 100;

/// Runs the relay: until caught up with `--once`, else forever, reconnecting to a PostgreSQL
/// that fails at most `--retries` times in a row (a failure of the store ends it at once).
pub(crate) fn run(
    books: &Arrears,
    command: &RelayCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let RelayCommand::Postgres(args) = command;
    crate::args::check_count("--batch", args.batch, "a batch holds at least 1 change")?;
    if args.poll_ms == 0 {
        // A pause of nothing reads the feed again at once, in a loop that keeps a core busy.
        let rule = "at least 1 ms (a pause of 0 would poll the store without rest)";
        return Err(crate::args::out_of_range("--poll-ms", 0, rule));
    }
    let mut retry = Retry { args, failures: 0 };
    let mut relay = loop {
        match Relay::connect(books, &args.dsn, &args.shard) {
            Ok(relay) => break relay,
            Err(error) => retry.pause_or_fail(error)?,
        }
    };
    let mut applied = 0_u64;
    loop {
        let step = match relay.step(args.batch) {
            Ok(step) => step,
            Err(error) => {
                retry.pause_or_fail(error)?;
                retry.reconnect(&mut relay)?;
                continue;
            }
        };
        retry.failures = 0;
        applied += step.changes as u64;
        if step.caught_up {
            if args.once {
                break;
            }
            std::thread::sleep(Duration::from_millis(args.poll_ms));
        }
    }
    let cursor = relay.cursor().map_err(failed)?;
    report(args, applied, cursor, json, out)?;
    Ok(Status::Ok)
}

/// The reconnections of a following relay: consecutive failures, bounded and logged.
struct Retry<'args> {
    args: &'args PostgresArgs,
    failures: u32,
}

impl Retry<'_> {
    /// After `error`: stops with it (`--once`, a failure of the store, or `--retries`
    /// failures in a row), else logs it and pauses before the next attempt.
    fn pause_or_fail(&mut self, error: arrears_relay::RelayError) -> Result<()> {
        if self.args.once || !error.is_postgres() || self.failures >= self.args.retries {
            return Err(failed(error));
        }
        self.failures += 1;
        let backoff = Backoff { first_ms: RETRY_FIRST_MS, max_ms: self.args.retry_max_ms };
        let pause = backoff.pause_ms(self.failures);
        crate::to_stderr(format_args!(
            "relay: {}; reconnecting in {pause} ms (attempt {} of {})",
            failed(error),
            self.failures,
            self.args.retries
        ));
        std::thread::sleep(Duration::from_millis(pause));
        Ok(())
    }

    /// Reconnects `relay`, pausing between attempts, until it succeeds or the retries run out.
    fn reconnect(&mut self, relay: &mut Relay<'_>) -> Result<()> {
        loop {
            match relay.reconnect() {
                Ok(()) => {
                    crate::to_stderr(format_args!("relay: reconnected to postgresql"));
                    return Ok(());
                }
                Err(error) => self.pause_or_fail(error)?,
            }
        }
    }
}

fn report(
    args: &PostgresArgs,
    applied: u64,
    cursor: arrears_relay::Cursor,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
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
    Ok(())
}

/// The relay's error as one message: a connection PostgreSQL closed is an I/O error of kind
/// broken pipe, which `main` would otherwise take for a closed stdout and exit 0 on.
fn failed(error: arrears_relay::RelayError) -> anyhow::Error {
    anyhow::anyhow!("{:#}", anyhow::Error::from(error))
}
