//! `arrears portfolio`: several stores (shards) under one manifest: routing commands, cycles
//! in parallel, merged reports, moving a debtor (docs/SCALE.md).

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use arrears::reports::month_ends;
use arrears::{Command, Outcome};
use arrears_portfolio::{split_id, Portfolio};

use crate::args::parse_date;
use crate::horizon::Horizon;
use crate::output::{self, Table};
use crate::Status;

#[derive(Debug, Args)]
pub(crate) struct PortfolioArgs {
    /// The portfolio's manifest (TOML: the shards and the assignment of debtors).
    #[arg(long, value_name = "PATH", default_value = "./portfolio.toml")]
    pub(crate) manifest: PathBuf,
    #[command(subcommand)]
    pub(crate) command: PortfolioCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PortfolioCommand {
    /// Create the store of every shard that has no file yet; list the shards.
    Init,
    /// Route one command (JSON, in the feed's form) to its shard and execute it there.
    Execute(ExecuteArgs),
    /// The shard and portfolio id of a debtor (by external reference) or an account.
    Find(FindArgs),
    /// Run the cycle of every shard for a date, in parallel.
    Cycle(CycleArgs),
    /// Reports merged across the shards.
    #[command(subcommand)]
    Report(PortfolioReport),
    /// Move a debtor to another shard (resumes a move that was stopped).
    Move(MoveArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExecuteArgs {
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
    /// The command as JSON (`{"payment": {...}}`), with portfolio ids; `-` reads it from
    /// stdin, `@PATH` from a file.
    #[arg(long, value_name = "JSON")]
    pub(crate) command: String,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct FindArgs {
    /// A debtor's external reference.
    #[arg(long, value_name = "REF")]
    pub(crate) debtor: Option<String>,
    /// An account's external reference.
    #[arg(long, value_name = "REF")]
    pub(crate) account: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CycleArgs {
    /// The cycle date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: NaiveDate,
    /// Shards whose cycles run at the same time, at most; at least 1.
    #[arg(long, value_name = "N", default_value_t = arrears_portfolio::CYCLE_THREADS_MAX_DEFAULT)]
    pub(crate) threads: usize,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PortfolioReport {
    /// Portfolio aging over every shard.
    Aging(DateArgs),
    /// Roll rates over every shard, between the month ends of a period.
    Rollrates(PeriodArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DateArgs {
    /// The date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: NaiveDate,
}

#[derive(Debug, Args)]
pub(crate) struct PeriodArgs {
    /// First day.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) from: NaiveDate,
    /// Last day, inclusive.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) to: NaiveDate,
}

#[derive(Debug, Args)]
pub(crate) struct MoveArgs {
    /// The debtor's external reference.
    pub(crate) debtor: String,
    /// The shard it goes to.
    #[arg(long, value_name = "SHARD")]
    pub(crate) to: String,
    /// The date of the move: the source hands the balances over on it; no event of the
    /// debtor may be dated after it.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
}

/// What `arrears portfolio` takes from the global options.
pub(crate) struct Global<'cli> {
    /// Opens each shard as the CLI opens a store.
    pub(crate) options: &'cli dyn Fn() -> arrears::Options,
    /// The CLI's today, the base of the horizon.
    pub(crate) today: chrono::DateTime<chrono::Utc>,
    /// `--allow-future`.
    pub(crate) allow_future: bool,
}

/// Checks `date` against the horizon of every shard's policy, as `arrears cycle` does for
/// one store.
fn check_horizon(
    portfolio: &Portfolio,
    global: &Global<'_>,
    what: &str,
    date: NaiveDate,
) -> Result<()> {
    for store in portfolio.shards() {
        let policy = store.policy()?;
        Horizon::new(global.today, &policy, global.allow_future).check(what, date)?;
    }
    Ok(())
}

/// Runs `arrears portfolio ...`.
pub(crate) fn run(
    args: &PortfolioArgs,
    global: &Global<'_>,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if let PortfolioCommand::Cycle(cycle_args) = &args.command {
        let rule = "at least 1 shard runs at a time";
        crate::args::check_count("--threads", cycle_args.threads, rule)?;
    }
    let options = global.options;
    let create = matches!(args.command, PortfolioCommand::Init);
    let mut portfolio = Portfolio::open_with(&args.manifest, create, options)?;
    // Each shard gets the CLI's built-in plugins, as `arrears --db` does for one store.
    for store in portfolio.shards_mut() {
        crate::plugins::provide_builtins(store)?;
    }
    match &args.command {
        PortfolioCommand::Init => init(&portfolio, json, out),
        PortfolioCommand::Execute(execute_args) => execute(&portfolio, execute_args, json, out),
        PortfolioCommand::Find(find_args) => find(&portfolio, find_args, json, out),
        PortfolioCommand::Cycle(cycle_args) => {
            check_horizon(&portfolio, global, "--as-of", cycle_args.as_of)?;
            cycle(&portfolio, cycle_args, json, out)
        }
        PortfolioCommand::Report(PortfolioReport::Aging(date)) => {
            let aging = portfolio.portfolio_aging(date.as_of)?;
            crate::report::write_aging(&aging, false, json, out)
        }
        PortfolioCommand::Report(PortfolioReport::Rollrates(period)) => {
            crate::demo::check_period(("--from", period.from), ("--to", period.to))?;
            let rolls = portfolio.roll_rates(&month_ends(period.from, period.to))?;
            if json {
                output::json(out, &rolls)?;
            } else {
                crate::demo::write_rolls(out, &rolls)?;
            }
            Ok(Status::Ok)
        }
        PortfolioCommand::Move(move_args) => {
            check_horizon(&portfolio, global, "--on", move_args.on)?;
            let report = portfolio.move_debtor(&move_args.debtor, &move_args.to, move_args.on)?;
            if json {
                output::json(out, &report)?;
            } else if report.already_done {
                writeln!(out, "debtor {} is already on shard {}", report.reference, report.to)?;
            } else {
                writeln!(
                    out,
                    "moved debtor {} from {} to {}: {} commands copied ({} events no command \
                     named), {} carried (sent contacts, credit standing), {} left out, {} \
                     handover commands in {}",
                    report.reference,
                    report.from,
                    report.to,
                    report.copied,
                    report.engine_events,
                    report.carried,
                    report.skipped,
                    report.handed_over,
                    report.from
                )?;
            }
            Ok(Status::Ok)
        }
    }
}

fn init(portfolio: &Portfolio, json: bool, out: &mut dyn Write) -> Result<Status> {
    if json {
        output::json(out, &portfolio.manifest().shards)?;
        return Ok(Status::Ok);
    }
    let mut table = Table::new(&["index", "shard", "path"]).numeric(&["index"]);
    for (index, shard) in portfolio.manifest().shards.iter().enumerate() {
        table.row(vec![index.to_string(), shard.name.clone(), shard.path.display().to_string()]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}

fn execute(
    portfolio: &Portfolio,
    args: &ExecuteArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let text = if args.command == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the command from stdin")?;
        text
    } else if let Some(path) = args.command.strip_prefix('@') {
        crate::input::read_text(std::path::Path::new(path))?
    } else {
        args.command.clone()
    };
    let command: Command =
        serde_json::from_str(&text).context("--command: not a command in the feed's JSON form")?;
    let routed = portfolio.execute(&args.key, &command)?;
    let rejected = matches!(routed.receipt.outcome, Outcome::Rejected(_));
    if json {
        output::json(
            out,
            &serde_json::json!({
                "shard": routed.shard_name,
                "replayed": routed.receipt.replayed,
                "outcome": routed.receipt.outcome,
            }),
        )?;
    } else {
        let outcome = serde_json::to_string(&routed.receipt.outcome)?;
        let replayed = if routed.receipt.replayed { " (replayed)" } else { "" };
        writeln!(out, "shard {}{replayed}: {outcome}", routed.shard_name)?;
    }
    Ok(if rejected { Status::Failed } else { Status::Ok })
}

fn find(portfolio: &Portfolio, args: &FindArgs, json: bool, out: &mut dyn Write) -> Result<Status> {
    let (kind, reference, found) = match (&args.debtor, &args.account) {
        (Some(debtor), _) => ("debtor", debtor, portfolio.find_debtor(debtor)?),
        (None, Some(account)) => ("account", account, portfolio.find_account(account)?),
        (None, None) => anyhow::bail!("give --debtor or --account"),
    };
    let Some(id) = found else {
        anyhow::bail!("no {kind} with reference {reference:?} in the portfolio");
    };
    let (index, local) = split_id(id);
    let shard = &portfolio.manifest().shards[index].name;
    if json {
        output::json(out, &serde_json::json!({ "shard": shard, "id": id, "local_id": local }))?;
    } else {
        writeln!(out, "{kind} {reference}: shard {shard}, portfolio id {id} (id {local} there)")?;
    }
    Ok(Status::Ok)
}

fn cycle(
    portfolio: &Portfolio,
    args: &CycleArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let cycle = portfolio.run_cycles(args.as_of, args.threads)?;
    if json {
        output::json(out, &cycle)?;
        return Ok(Status::Ok);
    }
    writeln!(out, "cycle {} over {} shards", cycle.as_of, cycle.shards.len())?;
    let mut table =
        Table::new(&["shard", "reviewed", "transitions", "fees", "actions", "complete"])
            .numeric(&["reviewed", "transitions", "fees", "actions"]);
    let rows = cycle.shards.iter().map(|(name, report)| (name.as_str(), report));
    for (name, report) in rows.chain([("total", &cycle.total)]) {
        table.row(vec![
            name.to_owned(),
            report.reviewed.to_string(),
            report.transitions.to_string(),
            report.fees_assessed.to_string(),
            report.actions.to_string(),
            report.complete.to_string(),
        ]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}
