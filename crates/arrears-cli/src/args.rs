//! The command line, as clap parses it.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use arrears::ledger::ReversalReason;
use arrears::model::{Component, ObligationKind};

/// Arrears: debtors, credit accounts and an exact double-entry ledger in one file.
#[derive(Debug, Parser)]
#[command(name = "arrears", version)]
pub(crate) struct Cli {
    /// The store file.
    #[arg(long, global = true, value_name = "PATH", default_value = "./arrears.redb")]
    pub(crate) db: PathBuf,
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Record every write at this fixed instant instead of the system clock (reproducible runs).
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_instant)]
    pub(crate) recorded_at: Option<DateTime<Utc>>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new, empty store at --db (fails if a file is there).
    Init,
    /// Import debtors, accounts, obligations or postings from a CSV or JSON Lines file, all
    /// or nothing.
    Import(ImportArgs),
    /// Execute one command (payment, charge, fee...) under an idempotency key.
    #[command(subcommand)]
    Post(PostCommand),
    /// Show a record.
    #[command(subcommand)]
    Show(ShowCommand),
    /// Reports over the whole portfolio.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Check every entry, balance, trace and index of the store; exit 1 on any problem.
    Verify,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub(crate) kind: ImportKind,
    /// The file: .csv, or .jsonl / .ndjson for JSON Lines.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImportKind {
    Debtors,
    Accounts,
    Obligations,
    Postings,
}

impl ImportKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ImportKind::Debtors => "debtors",
            ImportKind::Accounts => "accounts",
            ImportKind::Obligations => "obligations",
            ImportKind::Postings => "postings",
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum PostCommand {
    /// Receive a payment; prints where every cent went.
    Payment(PaymentArgs),
    /// Charge a new obligation (invoice, installment, statement).
    Charge(ChargeArgs),
    /// Assess a fee, as a fee obligation.
    Fee(FeeArgs),
    /// Correct what an obligation's component owes (a negative amount lowers it).
    Adjustment(ObligationAmountArgs),
    /// Reverse a payment (returned, charged back, posted in error).
    Reversal(ReversalArgs),
    /// Forgive part of an obligation's component.
    Waiver(ObligationAmountArgs),
    /// Charge the account off.
    ChargeOff(AccountDateArgs),
    /// Post interest accrued through --on as a new interest obligation.
    Accrue(AccrueArgs),
    /// Open a dispute on an obligation (payments skip it).
    Dispute(DisputeArgs),
    /// Resolve a dispute on an obligation.
    Undispute(DisputeArgs),
}

/// Flags every posting takes.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// The account: its external reference, or its id (`A12`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) account: String,
    /// The idempotency key: the same key with the same command is a no-op.
    #[arg(long)]
    pub(crate) key: String,
}

#[derive(Debug, Args)]
pub(crate) struct PaymentArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The amount received, in the account's currency (`125.50`).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) amount: String,
    /// The value date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The obligation the debtor asked to settle first (external reference or `O7`).
    #[arg(long, value_name = "OBLIGATION")]
    pub(crate) directed_to: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ChargeArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The principal charged.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) amount: String,
    /// Scheduled interest charged with it.
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub(crate) interest: String,
    /// Fees charged with it.
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub(crate) fee: String,
    /// The issue date: the charge takes effect on it.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) issued_on: NaiveDate,
    /// The due date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) due_on: NaiveDate,
    /// The kind of obligation.
    #[arg(long, value_enum, default_value = "invoice")]
    pub(crate) kind: ChargeKind,
    /// The obligation's external reference (invoice number), unique among obligations.
    #[arg(long = "ref", value_name = "REF")]
    pub(crate) external_ref: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct FeeArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The fee.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) amount: String,
    /// When the fee is assessed.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// When it falls due (default: --on).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) due_on: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub(crate) struct ObligationAmountArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The obligation (external reference or `O7`).
    #[arg(long)]
    pub(crate) obligation: String,
    /// The component.
    #[arg(long, value_enum)]
    pub(crate) component: ComponentArg,
    /// The amount (signed for an adjustment: `-10.00` lowers what is owed).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) amount: String,
    /// The value date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
}

#[derive(Debug, Args)]
pub(crate) struct ReversalArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The payment to reverse: its event (`#3` or `3`) or the idempotency key it was posted
    /// under.
    #[arg(long, value_name = "EVENT")]
    pub(crate) reverses: String,
    /// The value date of the reversal (not before the payment's).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// Why.
    #[arg(long, value_enum, default_value = "returned")]
    pub(crate) reason: ReasonArg,
}

#[derive(Debug, Args)]
pub(crate) struct AccountDateArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The value date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
}

#[derive(Debug, Args)]
pub(crate) struct AccrueArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The last day accrued (inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// When the posted interest falls due (default: --on).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) due_on: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub(crate) struct DisputeArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The obligation (external reference or `O7`).
    #[arg(long)]
    pub(crate) obligation: String,
    /// The value date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ChargeKind {
    Invoice,
    Installment,
    Statement,
}

impl From<ChargeKind> for ObligationKind {
    fn from(kind: ChargeKind) -> ObligationKind {
        match kind {
            ChargeKind::Invoice => ObligationKind::Invoice,
            ChargeKind::Installment => ObligationKind::Installment,
            ChargeKind::Statement => ObligationKind::Statement,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ComponentArg {
    Principal,
    Interest,
    Fee,
}

impl From<ComponentArg> for Component {
    fn from(component: ComponentArg) -> Component {
        match component {
            ComponentArg::Principal => Component::Principal,
            ComponentArg::Interest => Component::Interest,
            ComponentArg::Fee => Component::Fee,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReasonArg {
    Returned,
    Chargeback,
    Error,
}

impl From<ReasonArg> for ReversalReason {
    fn from(reason: ReasonArg) -> ReversalReason {
        match reason {
            ReasonArg::Returned => ReversalReason::Returned,
            ReasonArg::Chargeback => ReversalReason::Chargeback,
            ReasonArg::Error => ReversalReason::Error,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum ShowCommand {
    /// An account: balances, aging, obligations and its whole journal.
    Account(ShowAccountArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ShowAccountArgs {
    /// The account: its external reference, or its id (`A12`).
    #[arg(value_name = "REF_OR_ID")]
    pub(crate) account: String,
    /// Balances and aging at the end of this date (default: the account's latest effective
    /// date, or its opening date).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Portfolio aging by currency and bucket.
    Aging(AgingArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AgingArgs {
    /// The date: aging at the end of it.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: NaiveDate,
    /// Print CSV (`currency,bucket,amount,accounts`) instead of a table.
    #[arg(long, conflicts_with = "json")]
    pub(crate) csv: bool,
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|error| format!("{text:?} is not a date as YYYY-MM-DD ({error})"))
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim()).map(|instant| instant.with_timezone(&Utc)).map_err(
        |error| {
            format!("{text:?} is not an RFC 3339 instant such as 2026-11-20T09:00:00Z ({error})")
        },
    )
}
