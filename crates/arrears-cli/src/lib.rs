//! `arrears`: the command-line tool of the Arrears engine.
//!
//! Every command opens the store named by `--db` (but `plan quote --balance` and `check
//! contact` without `--debtor`, which need none), does one thing and exits. Exit codes: 0 on
//! success, 1 when the command failed (or was rejected, or `verify` found problems), 2 on a
//! usage error. Errors go to stderr as `error: ...`; results go to stdout (as JSON with
//! `--json`). See docs/CLI.md.
//!
//! The binary is `src/main.rs`, which calls [`main`]. The library exists so that tests and
//! the fuzz targets (fuzz/) can run commands in-process with [`run_args`]; its modules are
//! private, and it is not a stable API.

mod args;
mod backup;
mod bank;
mod check;
mod collect;
mod credit;
mod demo;
mod feed;
mod horizon;
mod import;
mod input;
mod list;
mod outbox;
mod output;
mod output_file;
mod plan;
mod plugins;
mod policy;
mod portfolio;
mod post;
mod refs;
mod relay;
mod report;
mod show;
mod upkeep;
mod work;

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use arrears::{Arrears, Clock, FixedClock, Options, SystemClock};

use args::{
    ActionsCommand, AuditCommand, CheckCommand, Cli, Command, PlanCommand, PolicyCommand,
    ReportCommand, ShowCommand,
};

/// How a command that ran to its end turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Success: exit 0.
    Ok,
    /// The command ran but its answer is a failure (a rejection, problems found): exit 1. The
    /// output already says why.
    Failed,
}

/// The tool: parses the process's arguments (a usage error exits with 2, as clap does), runs
/// the command, prints its result to stdout and an error to stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = check_usage(&cli) {
        error.exit();
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = run(&cli, &mut out).and_then(|status| {
        out.flush().context("cannot write to stdout")?;
        Ok(status)
    });
    match result {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Failed) => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // Whatever was already produced goes out before the error.
            let _ = out.flush();
            to_stderr(format_args!("error: {}", error_text(&error)));
            ExitCode::from(1)
        }
    }
}

/// Runs the command that `args` name (the program's name first, as in `std::env::args_os`),
/// writing its result to `out`: what [`main`] does, in-process, for tests and fuzzing.
///
/// # Errors
///
/// A usage error (clap's, as an error rather than an exit), or the command's error.
///
/// ```no_run
/// let mut out = Vec::new();
/// let status = arrears_cli::run_args(["arrears", "--db", "books.redb", "verify"], &mut out)?;
/// assert_eq!(status, arrears_cli::Status::Ok);
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn run_args<I, T>(args: I, out: &mut dyn Write) -> Result<Status>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    check_usage(&cli)?;
    run(&cli, out)
}

/// The usage rules clap cannot check on a global flag given before the subcommand:
/// `arrears --json report aging --csv` is the same conflict as `report aging --csv --json`
/// (clap sees the latter only), a usage error (exit 2) as docs/CLI.md says; and so in
/// `list accounts` and `list debtors`, where clap sees neither.
fn check_usage(cli: &Cli) -> Result<(), clap::Error> {
    let csv = match &cli.command {
        Command::Report(ReportCommand::Aging(args)) => args.csv,
        Command::List(list::ListCommand::Accounts(args)) => args.page.csv,
        Command::List(list::ListCommand::Debtors(args)) => args.page.csv,
        _ => false,
    };
    if csv && cli.json {
        let mut command = <Cli as clap::CommandFactory>::command();
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            "the argument '--csv' cannot be used with '--json'",
        ));
    }
    Ok(())
}

/// The error and its causes on one line, `what: why: ...` as `{:#}` writes them, without a
/// cause whose text the message before it already ends with: a library error that writes its
/// source into its own message (`cannot write a backup to F: No such file or directory`) and
/// also returns it as its `source()` would otherwise say the cause twice.
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// A reader of our stdout went away (`arrears show account A1 --json | head`): not a failure,
/// whichever writer met it (ours, serde_json's or the CSV writer's, which wrap the I/O error
/// in their own).
/// Writes a line to stderr, ignoring a failure: `eprintln!` panics when stderr is a pipe whose
/// reader has gone (`arrears ... 2>&1 | head`), which turned an error's exit code 1, or a
/// relay's note of a reconnection, into a panic's 101.
pub(crate) fn to_stderr(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = if let Some(io) = cause.downcast_ref::<io::Error>() {
            Some(io.kind())
        } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
            json.io_error_kind()
        } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
            match csv.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }
        } else {
            None
        };
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: &Cli, out: &mut dyn Write) -> Result<Status> {
    match &cli.command {
        Command::Init => {
            Arrears::create_with(&cli.db, options(cli)).map_err(|error| store_error(cli, error))?;
            if cli.json {
                output::json(out, &serde_json::json!({ "created": cli.db.display().to_string() }))?;
            } else {
                writeln!(out, "created {}", cli.db.display())?;
            }
            Ok(Status::Ok)
        }
        Command::Import(args) => {
            let books = open(cli)?;
            // The import's scratch files go next to the store, on the same disk.
            let dir = match cli.db.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => std::path::Path::new("."),
            };
            import::run(&books, dir, &horizon(cli, &books)?, args, cli.json, out)
        }
        Command::Post(args) => {
            let books = open(cli)?;
            post::run(&books, &horizon(cli, &books)?, args, cli.json, out)
        }
        Command::Show(ShowCommand::Account(args)) => {
            show::account(&open_read_only(cli)?, args, today(cli).date_naive(), cli.json, out)
        }
        Command::Show(ShowCommand::Debtor(args)) => {
            list::show_debtor(&open_read_only(cli)?, args, today(cli).date_naive(), cli.json, out)
        }
        Command::List(list::ListCommand::Accounts(args)) => {
            list::accounts(&open_read_only(cli)?, args, today(cli).date_naive(), cli.json, out)
        }
        Command::List(list::ListCommand::Debtors(args)) => {
            list::debtors(&open_read_only(cli)?, args, cli.json, out)
        }
        Command::Demo(args) | Command::Simulate(args) => {
            demo::run(&cli.db, args, (today(cli), cli.allow_future), cli.json, out)
        }
        Command::Score(args) => {
            plugins::score(&cli.db, args, today(cli).date_naive(), cli.json, out)
        }
        Command::Plugin(plugins::PluginCommand::Inspect(args)) => {
            plugins::inspect(args, cli.json, out)
        }
        Command::Plugin(plugins::PluginCommand::Add(args)) => {
            plugins::add(&open(cli)?, args, cli.json, out)
        }
        Command::Plugin(plugins::PluginCommand::Remove(args)) => {
            plugins::remove(&open(cli)?, args, cli.json, out)
        }
        Command::Plugin(plugins::PluginCommand::List) => plugins::list(&open(cli)?, cli.json, out),
        Command::Report(ReportCommand::Rollrates(args)) => {
            demo::rollrates(&open_read_only(cli)?, args, cli.json, out)
        }
        Command::Report(ReportCommand::Recovery(args)) => {
            demo::recovery(&open_read_only(cli)?, args, cli.json, out)
        }
        Command::Report(ReportCommand::Kpis(args)) => {
            demo::kpis(&open_read_only(cli)?, args, cli.json, out)
        }
        Command::Report(ReportCommand::Html(args)) => {
            demo::report_html(&open_read_only(cli)?, &cli.db, args, cli.json, out)
        }
        Command::Report(ReportCommand::Productivity(args)) => {
            work::productivity(&open_read_only(cli)?, today(cli).date_naive(), args, cli.json, out)
        }
        Command::Report(ReportCommand::Experience(args)) => {
            let to = args.to.unwrap_or_else(|| today(cli).date_naive());
            report::experience(&open_read_only(cli)?, to, cli.json, out)
        }
        Command::Report(ReportCommand::Aging(args)) => {
            report::aging(&open_read_only(cli)?, args, today(cli).date_naive(), cli.json, out)
        }
        Command::Report(ReportCommand::CreditBalances(args)) => {
            let as_of = args.as_of.unwrap_or_else(|| today(cli).date_naive());
            report::credit_balances(&open_read_only(cli)?, as_of, args.held_days, cli.json, out)
        }
        // `verify` never writes; `--pages` runs redb's page check, which may repair the file,
        // so only it opens writable.
        Command::Report(ReportCommand::Exposure(args)) => {
            credit::exposure(&open_read_only(cli)?, args, today(cli).date_naive(), cli.json, out)
        }
        Command::Report(ReportCommand::Psi(args)) => {
            credit::psi(&open_read_only(cli)?, args, cli.json, out)
        }
        Command::Report(ReportCommand::Signals(args)) => {
            credit::signals(&open_read_only(cli)?, args, today(cli).date_naive(), cli.json, out)
        }
        Command::Verify(args) => {
            let mut books = if args.pages { open(cli)? } else { open_read_only(cli)? };
            report::verify(&mut books, args, cli.json, out)
        }
        Command::Migrate => report::migrate(cli, options(cli), cli.json, out),
        Command::Audit(AuditCommand::Head) => {
            report::audit_head(&open_read_only(cli)?, cli.json, out)
        }
        Command::Relay(command) => relay::run(&open_read_only(cli)?, command, cli.json, out),
        Command::Feed(args) => feed::run(&open_read_only(cli)?, args, cli.json, out),
        Command::Portfolio(args) => {
            let global = portfolio::Global {
                options: &|| options(cli),
                today: today(cli),
                allow_future: cli.allow_future,
            };
            portfolio::run(args, &global, cli.json, out)
        }
        Command::Backup(args) => {
            backup::backup(&open_read_only(cli)?, &cli.db, args, cli.json, out)
        }
        Command::Restore(args) => {
            backup::restore(|| open_read_only(cli), &cli.db, args, cli.json, out)
        }
        Command::Policy(PolicyCommand::Set(args)) => policy::set(&open(cli)?, args, cli.json, out),
        Command::Policy(PolicyCommand::Show) => policy::show(&open_read_only(cli)?, cli.json, out),
        Command::Cycle(args) => {
            let books = open(cli)?;
            outbox::cycle(&books, &horizon(cli, &books)?, args, cli.json, out)
        }
        Command::Actions(ActionsCommand::List(args)) => {
            outbox::list(&open_read_only(cli)?, args, cli.json, out)
        }
        Command::Actions(ActionsCommand::Ack(args)) => {
            let books = open(cli)?;
            outbox::ack(&books, &horizon(cli, &books)?, args, cli.json, out)
        }
        Command::Actions(ActionsCommand::Claim(args)) => {
            outbox::claim(&open(cli)?, args, cli.json, out)
        }
        Command::Actions(ActionsCommand::Sent(args)) => {
            let books = open(cli)?;
            outbox::sent(&books, &horizon(cli, &books)?, args, cli.json, out)
        }
        Command::Actions(ActionsCommand::Feed(args)) => {
            outbox::feed(&open_read_only(cli)?, args, cli.json, out)
        }
        Command::Plan(PlanCommand::Quote(args)) => {
            // A quote from --balance never opens (let alone creates) a store.
            let balance = match plan::given_balance(args)? {
                Some(balance) => balance,
                None => plan::account_balance(&open_read_only(cli)?, args)?,
            };
            plan::quote_command(&balance, args, cli.json, out)
        }
        Command::Check(CheckCommand::Contact(args)) => {
            // Without --debtor the check never opens (let alone creates) a store.
            let books = match args.debtor {
                Some(_) => Some(open_read_only(cli)?),
                None => None,
            };
            check::contact(books.as_ref(), args, cli.json, out)
        }
        Command::Contact(command) => {
            let books = open(cli)?;
            upkeep::run(&books, &horizon(cli, &books)?, command, cli.json, out)
        }
        Command::Bank(command) => {
            let books = open(cli)?;
            let horizon = horizon(cli, &books)?;
            bank::run(&books, command, (&horizon, today(cli).date_naive(), cli.json), out)
        }
        Command::Limitation(args) => upkeep::limitation(&open(cli)?, args, cli.json, out),
        Command::Team(command) => work::team(&open(cli)?, command, cli.json, out),
        Command::Agent(command) => work::agent(&open(cli)?, command, cli.json, out),
        // Listing only reads; next and done write.
        Command::Queue(command @ work::QueueCommand::List(_)) => {
            let books = open_read_only(cli)?;
            work::queue(&books, &horizon(cli, &books)?, today(cli), command, cli.json, out)
        }
        Command::Queue(command) => {
            let books = open(cli)?;
            work::queue(&books, &horizon(cli, &books)?, today(cli), command, cli.json, out)
        }
        Command::Credit(command) => {
            // `credit show` and `credit check` only read: they work beside any writer and on a
            // read-only file.
            let books = match command {
                credit::CreditCommand::Show(_) | credit::CreditCommand::Check(_) => {
                    open_read_only(cli)?
                }
                _ => open(cli)?,
            };
            credit::run(
                &books,
                &horizon(cli, &books)?,
                today(cli).date_naive(),
                command,
                cli.json,
                out,
            )
        }
        Command::Explain(command) => credit::explain(&open(cli)?, command, cli.json, out),
        Command::Debtor(command) => {
            let books = open(cli)?;
            let horizon = horizon(cli, &books)?;
            upkeep::update(&books, &horizon, today(cli), command, cli.json, out)
        }
        Command::Promise(_)
        | Command::Plan(PlanCommand::Create(_))
        | Command::Settle(_)
        | Command::Dispute(_)
        | Command::Hardship(_)
        | Command::Place(_)
        | Command::Recall(_)
        | Command::Legal(_)
        | Command::Forbearance(_)
        | Command::Flag(_)
        | Command::Close(_)
        | Command::Reopen(_) => {
            let books = open(cli)?;
            collect::run(&books, &horizon(cli, &books)?, &cli.command, cli.json, out)
        }
    }
}

fn options(cli: &Cli) -> Options {
    let clock: Box<dyn Clock> = match cli.recorded_at {
        Some(at) => Box::new(FixedClock(at)),
        None => Box::new(SystemClock),
    };
    let plugins = arrears::plugin_host::IsolationOptions {
        call_deadline_ms: cli.plugin_deadline_ms,
        memory_limit_bytes: cli.plugin_memory_mib.saturating_mul(1 << 20),
        ..arrears::plugin_host::IsolationOptions::default()
    };
    Options { clock, write_wait_ms_max: cli.write_wait_ms, plugins, ..Options::default() }
}

/// Now: the instant of `--recorded-at` if given, else the system clock's.
fn today(cli: &Cli) -> chrono::DateTime<chrono::Utc> {
    cli.recorded_at.unwrap_or_else(|| SystemClock.now())
}

/// The horizon of dates under the store's policy.
fn horizon(cli: &Cli, books: &Arrears) -> Result<horizon::Horizon> {
    let policy = books.policy()?;
    Ok(horizon::Horizon::new(today(cli), &policy, cli.allow_future))
}

/// Opens the store for a command that writes, shared with other processes (an application
/// that holds it, a reader, a scheduled cycle): docs/CLI.md, "Several processes"; with this
/// binary's built-in plugins provided to it so that its plugin registry's entries resolve.
fn open(cli: &Cli) -> Result<Arrears> {
    let mut books =
        Arrears::open_with(&cli.db, options(cli)).map_err(|error| store_error(cli, error))?;
    plugins::provide_builtins(&mut books)?;
    Ok(books)
}

/// Opens the store read-only for a command that only reads: it works on a file without write
/// permission and beside any writer that shares the file, and never writes.
fn open_read_only(cli: &Cli) -> Result<Arrears> {
    Arrears::open_read_only_with(&cli.db, options(cli)).map_err(|error| store_error(cli, error))
}

/// An error opening the store `--db` names, saying which file it is when the error itself does
/// not: the storage engine's (not a store, a directory, a truncated file) and a format too new
/// or too old.
pub(crate) fn store_error(cli: &Cli, error: arrears::OpenError) -> anyhow::Error {
    use arrears::OpenError;
    let unnamed = matches!(
        error,
        OpenError::Storage(_) | OpenError::FormatTooNew { .. } | OpenError::FormatTooOld { .. }
    );
    if unnamed {
        anyhow::Error::from(error).context(format!("--db {}", cli.db.display()))
    } else {
        error.into()
    }
}
