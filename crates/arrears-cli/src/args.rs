//! The command line, as clap parses it.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use arrears::case::ContactOutcome;
use arrears::ledger::ReversalReason;
use arrears::model::{Component, ObligationKind};
use arrears::money::Currency;
use arrears::plan::Frequency;
use arrears::Flag;

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
    /// Replace or show the collection policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the daily collection cycle for a date: review the accounts due, apply transitions
    /// and stage actions, write contacts to the outbox.
    Cycle(CycleArgs),
    /// The outbox: contacts to make, and their acknowledgements.
    #[command(subcommand)]
    Actions(ActionsCommand),
    /// Record a promise to pay.
    Promise(PromiseArgs),
    /// Payment plans: quote a schedule, or create a plan on an account.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Settlements: offer one, or accept the one offered.
    #[command(subcommand)]
    Settle(SettleCommand),
    /// Dispute the debt of an account, or resolve its dispute.
    #[command(subcommand)]
    Dispute(DisputeCommand),
    /// Hardship forbearance: grant it until a date, or end it early.
    #[command(subcommand)]
    Hardship(HardshipCommand),
    /// Place the account with a collection agency.
    Place(PlaceArgs),
    /// Recall the account from its agency.
    Recall(AccountDateArgs),
    /// Refer the account to legal.
    Legal(AccountDateArgs),
    /// Set a sticky flag on a debtor and every account of it.
    Flag(FlagArgs),
    /// Close an account that owes nothing.
    Close(AccountDateArgs),
    /// Reopen a closed revolving account.
    Reopen(AccountDateArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Replace the collection policy with a TOML file (validated first).
    Set(PolicySetArgs),
    /// Show the policy in force: name, version, creditor, stages, rules and arms.
    Show,
}

#[derive(Debug, Args)]
pub(crate) struct PolicySetArgs {
    /// The policy file (TOML; see docs/POLICY.md).
    pub(crate) file: PathBuf,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

#[derive(Debug, Args)]
pub(crate) struct CycleArgs {
    /// The cycle date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: NaiveDate,
    /// Accounts per write transaction (a debtor's accounts are never split).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) batch: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ActionsCommand {
    /// List outbox actions: the pending ones, oldest id first (every one with --all).
    List(ActionsListArgs),
    /// Acknowledge an action with what happened.
    Ack(AckArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ActionsListArgs {
    /// At most this many actions.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Every action, pending or acknowledged, by id.
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AckArgs {
    /// The action id, as `actions list` prints it.
    #[arg(value_name = "ID")]
    pub(crate) id: u64,
    /// What happened: not_connected, no_answer, voicemail, right_party, wrong_party, delivered,
    /// bounced, promise_captured, dispute_raised, payment_taken.
    #[arg(long, value_parser = parse_outcome)]
    pub(crate) outcome: ContactOutcome,
    /// When it happened.
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub(crate) at: DateTime<Utc>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

#[derive(Debug, Args)]
pub(crate) struct PromiseArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// When the promise is made.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// A promised dated amount; repeat for several.
    #[arg(long = "pay", value_name = "DATE:AMOUNT", required = true, value_parser = parse_pay)]
    pub(crate) pay: Vec<(NaiveDate, String)>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PlanCommand {
    /// Quote a plan schedule: from --balance and --currency without any store, or from an
    /// account's undisputed balance on --on.
    Quote(PlanQuoteArgs),
    /// Create a payment plan: its installments replace the account's open, undisputed
    /// obligations, if the policy and the affordability check allow it.
    Create(PlanCreateArgs),
}

/// The schedule flags `plan quote` and `plan create` share.
#[derive(Debug, Args)]
pub(crate) struct ScheduleArgs {
    /// Number of installments.
    #[arg(long, value_name = "N")]
    pub(crate) installments: u32,
    /// weekly, fortnightly or monthly.
    #[arg(long, value_parser = parse_frequency)]
    pub(crate) frequency: Frequency,
    /// The first due date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) first_due: NaiveDate,
    /// Nominal annual interest rate (`0.05` for 5%).
    #[arg(long, value_name = "RATE", default_value = "0", value_parser = parse_decimal)]
    pub(crate) annual_rate: Decimal,
}

#[derive(Debug, Args)]
pub(crate) struct PlanQuoteArgs {
    /// The balance to pay off (no store is opened).
    #[arg(
        long,
        value_name = "AMOUNT",
        allow_hyphen_values = true,
        requires = "currency",
        required_unless_present = "account",
        conflicts_with = "account"
    )]
    pub(crate) balance: Option<String>,
    /// The currency of --balance.
    #[arg(long, value_name = "CODE", value_parser = parse_currency, requires = "balance")]
    pub(crate) currency: Option<Currency>,
    /// Quote the undisputed balance of this account instead (external reference or `A12`).
    #[arg(long, value_name = "REF_OR_ID", requires = "on")]
    pub(crate) account: Option<String>,
    /// The date of the account's balance.
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "account")]
    pub(crate) on: Option<NaiveDate>,
    #[command(flatten)]
    pub(crate) schedule: ScheduleArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PlanCreateArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// When the plan is created.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    #[command(flatten)]
    pub(crate) schedule: ScheduleArgs,
    /// The debtor's stated monthly income.
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) income: String,
    /// The debtor's stated monthly expenses.
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) expenses: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SettleCommand {
    /// Offer a settlement: the debtor pays --amount before the offer expires and the rest is
    /// forgiven.
    Offer(SettleOfferArgs),
    /// The debtor accepts the settlement offered.
    Accept(AccountDateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SettleOfferArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// When offered.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The settlement amount.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) amount: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DisputeCommand {
    /// Dispute the debt: the obligations named (every open one by default) are disputed,
    /// payments skip them and contact stops until resolved.
    Open(DisputeOpenArgs),
    /// Resolve the account's dispute: every disputed obligation is undisputed.
    Resolve(AccountDateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DisputeOpenArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// When.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// An obligation disputed (external reference or `O7`); repeat for several. Default: every
    /// open obligation.
    #[arg(long = "obligation", value_name = "OBLIGATION")]
    pub(crate) obligations: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HardshipCommand {
    /// Grant hardship forbearance (no fees, no contact) through --until.
    Grant(HardshipGrantArgs),
    /// End hardship forbearance early.
    End(AccountDateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct HardshipGrantArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// When granted.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The last day of forbearance.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) until: NaiveDate,
}

#[derive(Debug, Args)]
pub(crate) struct PlaceArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// When.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The agency.
    #[arg(long)]
    pub(crate) agency: String,
    /// The agency's commission on recoveries (`0.25` for 25%).
    #[arg(long, value_name = "RATE", value_parser = parse_decimal, allow_hyphen_values = true)]
    pub(crate) commission: Decimal,
}

#[derive(Debug, Args)]
pub(crate) struct FlagArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The flag.
    #[arg(long, value_enum)]
    pub(crate) flag: FlagArg,
    /// When.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FlagArg {
    /// The debtor asked that communication cease.
    Cease,
    /// The debtor is represented by an attorney.
    Attorney,
    /// A bankruptcy was filed (a stay is in force).
    Bankruptcy,
    /// The bankruptcy was discharged (the stay ends).
    BankruptcyDischarged,
    /// The debtor died.
    Deceased,
}

impl From<FlagArg> for Flag {
    fn from(flag: FlagArg) -> Flag {
        match flag {
            FlagArg::Cease => Flag::CeaseCommunication,
            FlagArg::Attorney => Flag::AttorneyRepresented,
            FlagArg::Bankruptcy => Flag::BankruptcyFiled,
            FlagArg::BankruptcyDischarged => Flag::BankruptcyDischarged,
            FlagArg::Deceased => Flag::Deceased,
        }
    }
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

pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim()).map(|instant| instant.with_timezone(&Utc)).map_err(
        |error| {
            format!("{text:?} is not an RFC 3339 instant such as 2026-11-20T09:00:00Z ({error})")
        },
    )
}

/// `DATE:AMOUNT`, the amount kept as text until the account's currency is known.
fn parse_pay(text: &str) -> Result<(NaiveDate, String), String> {
    let Some((date, amount)) = text.split_once(':') else {
        return Err(format!("{text:?} is not DATE:AMOUNT such as 2026-11-25:100.00"));
    };
    let amount = amount.trim();
    if amount.is_empty() {
        return Err(format!("{text:?} has no amount after the date (DATE:AMOUNT)"));
    }
    Ok((parse_date(date)?, amount.to_owned()))
}

fn parse_outcome(text: &str) -> Result<ContactOutcome, String> {
    text.trim().parse()
}

fn parse_frequency(text: &str) -> Result<Frequency, String> {
    text.trim().parse()
}

fn parse_decimal(text: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(text.trim()).map_err(|_| format!("{text:?} is not a decimal number"))
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::from_code(&text.trim().to_ascii_uppercase()).map_err(|error| error.to_string())
}
