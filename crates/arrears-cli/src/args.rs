//! The command line, as clap parses it.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use arrears::case::ContactOutcome;
use arrears::compliance::{ActionKind, ChannelGroup, Pack, Recipient};
use arrears::ledger::ReversalReason;
use arrears::model::{Component, ContactPointKind, ObligationKind};
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
    /// Record every write at this fixed instant instead of the system clock (reproducible
    /// runs); its date is also today, the default of --as-of and the base of the horizon.
    #[arg(
        long,
        global = true,
        value_name = "RFC3339",
        value_parser = parse_instant,
        env = "ARREARS_RECORDED_AT"
    )]
    pub(crate) recorded_at: Option<DateTime<Utc>>,
    /// Accept a cycle date or a value date more than the policy's horizon
    /// (`[dates] future_days_max`) after today (today: the date of --recorded-at, else of the
    /// system clock, in UTC).
    #[arg(long, global = true)]
    pub(crate) allow_future: bool,
    /// How long a write waits for another process's write transaction (an application's, a
    /// scheduled cycle's) to end before it fails, in milliseconds.
    #[arg(long, global = true, value_name = "MS", default_value_t = arrears::WRITE_WAIT_MS_MAX_DEFAULT)]
    pub(crate) write_wait_ms: u64,
    /// The deadline of one plugin call (a batch of at most 4096 inputs), in milliseconds:
    /// an isolated plugin's runner is killed past it, an in-process plugin is poisoned. 0: none.
    #[arg(long, global = true, value_name = "MS", default_value_t = arrears::plugin_host::CALL_DEADLINE_MS_DEFAULT)]
    pub(crate) plugin_deadline_ms: u64,
    /// The memory (address space) an isolated plugin's runner may map, in MiB. 0: no limit.
    #[arg(long, global = true, value_name = "MIB", default_value_t = arrears::plugin_host::MEMORY_LIMIT_BYTES_DEFAULT >> 20)]
    pub(crate) plugin_memory_mib: u64,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new, empty store at --db (fails if a file is there).
    Init,
    /// Import debtors, accounts, obligations, postings or debtor changes from a CSV or JSON
    /// Lines file: checked whole first, then one transaction per --batch-rows rows (--atomic:
    /// the whole file, all or nothing).
    Import(ImportArgs),
    /// Execute one command (payment, charge, fee...) under an idempotency key.
    #[command(subcommand)]
    Post(PostCommand),
    /// Show a record.
    #[command(subcommand)]
    Show(ShowCommand),
    /// List accounts by their collection facts, or find debtors.
    #[command(subcommand)]
    List(crate::list::ListCommand),
    /// Reports over the whole portfolio.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Check every entry, balance, trace and index of the store; exit 1 on any problem.
    Verify(VerifyArgs),
    /// Migrate a store of an older on-disk format to the current one (docs/FORMAT.md); no
    /// other command opens an older store. Holds the file exclusively; resumes a migration that
    /// was stopped; refuses a store already at the current format.
    Migrate,
    /// The audit log: print its head, to anchor it outside the store.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The change feed: every committed change after a cursor, in commit order (docs/SCALE.md).
    Feed(crate::feed::FeedArgs),
    /// Relay the change feed into another system (PostgreSQL), resuming from its cursor there.
    #[command(subcommand)]
    Relay(crate::relay::RelayCommand),
    /// A portfolio of stores (shards) under a manifest: route commands, run cycles in
    /// parallel, merged reports, move a debtor between shards (docs/SCALE.md). Ignores --db.
    Portfolio(crate::portfolio::PortfolioArgs),
    /// Write a consistent copy of the store to a new file while others write to it
    /// (docs/SCALE.md, "Backup and restore").
    Backup(crate::backup::BackupArgs),
    /// Restore a store to a point in time: a backup plus the change feed (of --db, or an
    /// archived one) replayed up to a sequence or an instant, into a new file.
    Restore(crate::backup::RestoreArgs),
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
    /// Record that forbearance was assessed for an account before enforcement (an offer made
    /// outside the engine, or a documented reason): Spain's rule against suits without it.
    Forbearance(ForbearanceArgs),
    /// Set a sticky flag on a debtor and every account of it.
    Flag(FlagArgs),
    /// A debtor's contact points: add, change (consent, opt-out) or remove one; record an
    /// inbound contact.
    #[command(subcommand)]
    Contact(crate::upkeep::ContactCommand),
    /// A debtor's name, jurisdiction, language and time zones; restrictions; notes.
    #[command(subcommand)]
    Debtor(crate::upkeep::DebtorCommand),
    /// Bank statements: import one (matched credits posted, the rest held in suspense), the
    /// lines held for review, and applying one to an account.
    #[command(subcommand)]
    Bank(crate::bank::BankCommand),
    /// Set the day the statute of limitations runs on an account's debt.
    Limitation(crate::upkeep::LimitationArgs),
    /// Teams of agents, with their skills.
    #[command(subcommand)]
    Team(crate::work::TeamCommand),
    /// Agents: people who work the queue.
    #[command(subcommand)]
    Agent(crate::work::AgentCommand),
    /// The work queue: claim the next item for an agent, record its outcome, list the queue.
    #[command(subcommand)]
    Queue(crate::work::QueueCommand),
    /// Close an account that owes nothing.
    Close(AccountDateArgs),
    /// Reopen a closed revolving account.
    Reopen(AccountDateArgs),
    /// Ask the compliance guardrails about an action, without doing it.
    #[command(subcommand)]
    Check(CheckCommand),
    /// Generate a seeded synthetic portfolio (10,000 accounts), simulate 180 days of billing,
    /// payments, the daily cycle and contacts on it, print the KPIs and write an HTML report.
    Demo(crate::demo::SimulateArgs),
    /// `demo` with a custom size, policy or seed.
    Simulate(crate::demo::SimulateArgs),
    /// Score every row of a CSV with a scoring plugin: `row,score,reason_1..reason_4`.
    Score(crate::plugins::ScoreArgs),
    /// Plugins: inspect a built-in plugin or a plugin library; add, remove and list the
    /// store's plugin registry.
    #[command(subcommand)]
    Plugin(crate::plugins::PluginCommand),
    /// Credit management: decide an application, set a debtor's limit and terms, run the
    /// credit reviews, show a debtor's standing (docs/CREDIT.md).
    #[command(subcommand)]
    Credit(crate::credit::CreditCommand),
    /// Explain a stored decision and take it again from its inputs.
    #[command(subcommand)]
    Explain(crate::credit::ExplainCommand),
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Also check that the store extends an audit chain anchored earlier: `HASH@SEQ`, as
    /// `arrears audit head` printed it (exit 1 if the record SEQ is gone or has another hash).
    #[arg(long, value_name = "HASH@SEQ")]
    pub(crate) anchor: Option<arrears::AuditAnchor>,
    /// Also run redb's check of every page of the file (checksums, tree structure) first; it
    /// reads the whole file, and repairs what redb can repair (then says so).
    #[arg(long)]
    pub(crate) pages: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Print the audit chain's head, `HASH@SEQ`, to anchor outside the store (a log, a notary,
    /// a ticket); `arrears verify --anchor HASH@SEQ` checks the store still extends it.
    Head,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CheckCommand {
    /// Would the guardrails allow this contact at --at, and if not, when next? Without
    /// --debtor no store is opened: the packs, zones, debts, history and flags are all given.
    Contact(CheckContactArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CheckContactArgs {
    /// A stored debtor (external reference or `D3`): its zones, contact points, flags, history
    /// and packs are read from the store. Without it no store is opened.
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: Option<String>,
    /// A built-in pack (core, baseline, us-federal, us-ma, us-nyc, co, mx, cl, pe, es); repeat
    /// for several (the strictest wins). With --debtor, replaces the debtor's packs.
    #[arg(
        long = "pack",
        value_name = "ID",
        value_parser = parse_pack,
        required_unless_present_any = ["pack_files", "debtor"]
    )]
    pub(crate) packs: Vec<Pack>,
    /// A pack file (TOML, see docs/COMPLIANCE.md); repeat for several. It replaces the pack of
    /// the same id and is checked first.
    #[arg(long = "pack-file", value_name = "PATH")]
    pub(crate) pack_files: Vec<PathBuf>,
    /// A candidate IANA time zone of the person; repeat for several (the contact must be
    /// allowed in every one). With --debtor, replaces the debtor's zones.
    #[arg(
        long = "tz",
        value_name = "ZONE",
        value_parser = parse_time_zone,
        required_unless_present = "debtor"
    )]
    pub(crate) time_zones: Vec<String>,
    /// The channel: call, sms (or text), email, letter or visit.
    #[arg(long, value_enum)]
    pub(crate) channel: ChannelArg,
    /// A debt the contact is about; repeat for several. With --debtor, an account of the
    /// debtor (external reference or `A12`), and every account of it by default.
    #[arg(long = "debt", value_name = "DEBT", required_unless_present = "debtor")]
    pub(crate) debts: Vec<String>,
    /// When the contact would happen.
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub(crate) at: DateTime<Utc>,
    /// Past (and planned) communications with the person, as JSON Lines (see docs/CLI.md).
    /// With --debtor, added to the stored history.
    #[arg(long, value_name = "FILE")]
    pub(crate) history: Option<PathBuf>,
    /// A fact about the person or the debts; repeat for several. `consent`: the person gave
    /// prior consent to calls at --at.
    #[arg(long = "flag", value_enum, value_name = "FLAG")]
    pub(crate) flags: Vec<CheckFlag>,
    /// The phone number, e-mail or postal address used (checked against opt-outs). With
    /// --debtor, default: the debtor's first usable contact point on the channel.
    #[arg(long, value_name = "ADDR")]
    pub(crate) address: Option<String>,
    /// Whose address it is (default: the contact point's kind with --debtor, else personal).
    #[arg(long, value_enum)]
    pub(crate) address_kind: Option<AddressKindArg>,
    /// The person consented to this address on this channel (with --debtor, the contact
    /// point's consent also counts).
    #[arg(long)]
    pub(crate) address_consent: bool,
    /// An address the person opted out of; repeat for several.
    #[arg(long = "opted-out", value_name = "ADDR")]
    pub(crate) opted_out: Vec<String>,
    /// A channel the person asked not to be used; repeat for several.
    #[arg(long = "opted-out-channel", value_enum, value_name = "CHANNEL")]
    pub(crate) opted_out_channels: Vec<ChannelArg>,
    /// What the action does.
    #[arg(long, value_enum, default_value = "contact")]
    pub(crate) action: ActionArg,
    /// Who the communication is with.
    #[arg(long, value_enum, default_value = "consumer")]
    pub(crate) recipient: RecipientArg,
}

/// A channel as `check contact` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ChannelArg {
    /// A voice call (also `phone`).
    #[value(alias = "phone")]
    Call,
    /// A text message, SMS or messaging app (also `text`, `messaging`).
    #[value(aliases = ["text", "messaging"])]
    Sms,
    /// An e-mail.
    Email,
    /// A postal letter (also `postal`).
    #[value(alias = "postal")]
    Letter,
    /// A visit in person.
    Visit,
}

impl From<ChannelArg> for ChannelGroup {
    fn from(channel: ChannelArg) -> ChannelGroup {
        match channel {
            ChannelArg::Call => ChannelGroup::Call,
            ChannelArg::Sms => ChannelGroup::Text,
            ChannelArg::Email => ChannelGroup::Email,
            ChannelArg::Letter => ChannelGroup::Letter,
            ChannelArg::Visit => ChannelGroup::Visit,
        }
    }
}

/// A fact `check contact --flag` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFlag {
    /// The person asked in writing that communication cease.
    Cease,
    /// A dispute is open and not yet answered with verification.
    Dispute,
    /// The person is represented by an attorney for the debt.
    Attorney,
    /// A bankruptcy stay or an insolvency proceeding is in force.
    Bankruptcy,
    /// The person gave prior consent to calls, directly to the collector, at --at.
    Consent,
    /// The person is deceased.
    Deceased,
    /// The statute of limitations has run.
    TimeBarred,
    /// The person was served in a collection suit.
    LitigationServed,
    /// No communication at work.
    WorkContactProhibited,
    /// Forbearance was assessed before enforcement.
    ForbearanceAssessed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AddressKindArg {
    Personal,
    Work,
    EmployerProvided,
}

impl From<AddressKindArg> for ContactPointKind {
    fn from(kind: AddressKindArg) -> ContactPointKind {
        match kind {
            AddressKindArg::Personal => ContactPointKind::Personal,
            AddressKindArg::Work => ContactPointKind::Work,
            AddressKindArg::EmployerProvided => ContactPointKind::EmployerProvided,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ActionArg {
    /// An ordinary collection communication.
    Contact,
    /// Furnishing the debt to a credit bureau.
    CreditReport,
    /// A lawsuit or a referral to litigation.
    Suit,
    /// A communication that threatens suit.
    SuitThreat,
    /// A communication that only says efforts are ending or a remedy may be invoked.
    TerminationNotice,
}

impl From<ActionArg> for ActionKind {
    fn from(action: ActionArg) -> ActionKind {
        match action {
            ActionArg::Contact => ActionKind::Contact,
            ActionArg::CreditReport => ActionKind::CreditReport,
            ActionArg::Suit => ActionKind::Suit,
            ActionArg::SuitThreat => ActionKind::SuitThreat,
            ActionArg::TerminationNotice => ActionKind::TerminationOrRemedyNotice,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RecipientArg {
    /// The person who owes.
    Consumer,
    /// The consumer's attorney, a credit bureau, the creditor or its attorney.
    ExemptParty,
    /// Anyone else, contacted to locate the consumer.
    ThirdParty,
}

impl From<RecipientArg> for Recipient {
    fn from(recipient: RecipientArg) -> Recipient {
        match recipient {
            RecipientArg::Consumer => Recipient::Consumer,
            RecipientArg::ExemptParty => Recipient::ExemptParty,
            RecipientArg::ThirdParty => Recipient::ThirdParty,
        }
    }
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
    /// Accounts per write transaction (a debtor's accounts are never split), at least 1.
    #[arg(long, value_name = "N")]
    pub(crate) batch: Option<u64>,
    /// Show what the cycle would do (the same report) without writing anything. A dry run
    /// may take any date: the horizon of dates does not apply to it.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ActionsCommand {
    /// List outbox actions: the pending ones by id (every one with --all, in due order with
    /// --due).
    List(ActionsListArgs),
    /// Acknowledge an action with what happened.
    Ack(AckArgs),
    /// Claim pending actions for a sender, with a lease: no other sender gets them until it
    /// ends.
    Claim(ClaimArgs),
    /// Report an action sent: it leaves the pending list; its outcome comes with `ack`.
    Sent(SentArgs),
    /// The outbox in the order it received its actions, after a consumer's cursor.
    Feed(FeedArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ClaimArgs {
    /// The sender's name (its lease is in that name).
    #[arg(long = "as", value_name = "SENDER")]
    pub(crate) sender: String,
    /// How long the lease lasts, in seconds: 1 to 86400 (a day).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub(crate) lease_secs: u32,
    /// Only the actions due by this instant.
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub(crate) until: Option<DateTime<Utc>>,
    /// At most this many actions, at least 1.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) limit: usize,
}

#[derive(Debug, Args)]
pub(crate) struct SentArgs {
    /// The action id.
    #[arg(value_name = "ID")]
    pub(crate) id: u64,
    /// When it was sent.
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub(crate) at: DateTime<Utc>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

#[derive(Debug, Args)]
pub(crate) struct FeedArgs {
    /// The cursor: the `seq` of the last action handled (0 for the beginning).
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    pub(crate) after: u64,
    /// At most this many actions, at least 1.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) limit: usize,
}

#[derive(Debug, Args)]
pub(crate) struct ActionsListArgs {
    /// At most this many actions, at least 1.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Every action, pending or acknowledged, by id.
    #[arg(long, conflicts_with = "due")]
    pub(crate) all: bool,
    /// The pending actions in due order (oldest scheduled instant first), with the debtor's
    /// name, the past due amount and the days past due of their accounts.
    #[arg(long)]
    pub(crate) due: bool,
    /// With `--due`: only the actions due by this instant.
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant, requires = "due")]
    pub(crate) until: Option<DateTime<Utc>>,
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
    #[arg(
        long,
        value_name = "RATE",
        default_value = "0",
        value_parser = parse_decimal,
        allow_negative_numbers = true
    )]
    pub(crate) annual_rate: Decimal,
}

#[derive(Debug, Args)]
pub(crate) struct PlanQuoteArgs {
    /// The balance to pay off (no store is opened).
    #[arg(
        long,
        value_name = "AMOUNT",
        value_parser = parse_amount,
        allow_negative_numbers = true,
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
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) income: String,
    /// The debtor's stated monthly expenses.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount, allow_negative_numbers = true)]
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
    #[arg(long, value_parser = parse_amount, allow_negative_numbers = true)]
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
    #[arg(long, value_name = "RATE", value_parser = parse_decimal, allow_negative_numbers = true)]
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
    /// The bankruptcy was discharged: the stay ends, and the debtor's accounts may never be
    /// collected again.
    BankruptcyDischarged,
    /// The bankruptcy was dismissed without a discharge: the stay ends, collection resumes.
    BankruptcyDismissed,
    /// The debtor died.
    Deceased,
    /// The attorney no longer represents the debtor (or fails to respond, or consents to
    /// direct contact): the attorney flag is cleared.
    AttorneyWithdrawn,
}

impl From<FlagArg> for Flag {
    fn from(flag: FlagArg) -> Flag {
        match flag {
            FlagArg::Cease => Flag::CeaseCommunication,
            FlagArg::Attorney => Flag::AttorneyRepresented,
            FlagArg::Bankruptcy => Flag::BankruptcyFiled,
            FlagArg::BankruptcyDischarged => Flag::BankruptcyDischarged,
            FlagArg::BankruptcyDismissed => Flag::BankruptcyDismissed,
            FlagArg::Deceased => Flag::Deceased,
            FlagArg::AttorneyWithdrawn => Flag::AttorneyWithdrawn,
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
    /// Rows per transaction: a longer file commits every N rows, so that other processes are
    /// not held off for the whole import (docs/CLI.md, "All or nothing").
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub(crate) batch_rows: u64,
    /// The whole file in one transaction, however long: all or nothing.
    #[arg(long)]
    pub(crate) atomic: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImportKind {
    Debtors,
    Accounts,
    Obligations,
    Postings,
    /// Debtor upkeep: contact points, profile, restrictions, flags, attorneys, notes,
    /// limitation dates, inbound contacts and callbacks, one change per row.
    Changes,
}

impl ImportKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ImportKind::Debtors => "debtors",
            ImportKind::Accounts => "accounts",
            ImportKind::Obligations => "obligations",
            ImportKind::Postings => "postings",
            ImportKind::Changes => "changes",
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
    /// Reverse the account's charge-off (a mistake): the receivable is re-opened as it was,
    /// and the case is decided as of --on and due for review on it.
    ChargeOffReversal(ChargeOffReversalArgs),
    /// Post interest accrued through --on as a new interest obligation.
    Accrue(AccrueArgs),
    /// Open a dispute on an obligation (payments skip it).
    Dispute(DisputeArgs),
    /// Resolve a dispute on an obligation.
    Undispute(DisputeArgs),
    /// Issue a credit note (goods returned, a price allowed): lowers the principal owed
    /// against originations; no cash moves.
    CreditNote(CreditNoteArgs),
    /// Take a charge back whole (a fee charged in error): the money that paid it goes back to
    /// its payments and pays what else is owed; what it still owes is forgiven.
    WithdrawCharge(DisputeArgs),
    /// Pay money back to the debtor out of the account's unapplied cash (an overpayment, a
    /// credit balance refunded on request); owed again if the payment it came from returns.
    Refund(RefundArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RefundArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The amount paid back, in the account's currency, at most the unapplied cash held.
    #[arg(long, value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) amount: String,
    /// The day the money left.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The refund's reference in your books or your bank: the reference of its obligation
    /// (unique among obligations).
    #[arg(long = "ref", value_name = "REF")]
    pub(crate) external_ref: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CreditNoteArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The amount credited, in the account's currency, at most the principal owed.
    #[arg(long, value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) amount: String,
    /// The value date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The obligation credited (external reference or `O7`); without it, the open
    /// obligations' principal, oldest due first.
    #[arg(long, value_name = "OBLIGATION")]
    pub(crate) obligation: Option<String>,
    /// Why.
    #[arg(long, value_enum, default_value = "return")]
    pub(crate) reason: CreditNoteReasonArg,
    /// The credit note's number in your books (kept with the command in the audit log).
    #[arg(long = "ref", value_name = "REF")]
    pub(crate) external_ref: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CreditNoteReasonArg {
    Return,
    Allowance,
    BillingError,
}

impl From<CreditNoteReasonArg> for arrears::ledger::CreditNoteReason {
    fn from(reason: CreditNoteReasonArg) -> arrears::ledger::CreditNoteReason {
        use arrears::ledger::CreditNoteReason;
        match reason {
            CreditNoteReasonArg::Return => CreditNoteReason::Return,
            CreditNoteReasonArg::Allowance => CreditNoteReason::Allowance,
            CreditNoteReasonArg::BillingError => CreditNoteReason::BillingError,
        }
    }
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
    #[arg(long, value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) amount: String,
    /// The value date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// The obligation the debtor asked to settle first (external reference or `O7`).
    #[arg(long, value_name = "OBLIGATION")]
    pub(crate) directed_to: Option<String>,
    /// How it was paid: card, bank_transfer, direct_debit, cash, check or payment_link
    /// (recorded with the payment, docs/MESSAGES.md).
    #[arg(long, value_name = "CHANNEL", value_parser = parse_payment_channel)]
    pub(crate) channel: Option<arrears::PaymentChannel>,
    /// The agent who took the payment (a card payment over the phone); needs --channel.
    #[arg(long, value_name = "AGENT", requires = "channel")]
    pub(crate) agent: Option<String>,
    /// The outbox action whose payment link was used; needs --channel.
    #[arg(long, value_name = "ACTION", requires = "channel")]
    pub(crate) action: Option<u64>,
}

fn parse_payment_channel(text: &str) -> Result<arrears::PaymentChannel, String> {
    arrears::PaymentChannel::ALL.into_iter().find(|channel| channel.name() == text).ok_or_else(
        || {
            let known: Vec<&str> =
                arrears::PaymentChannel::ALL.iter().map(|channel| channel.name()).collect();
            format!("unknown payment channel {text:?} (known: {})", known.join(", "))
        },
    )
}

#[derive(Debug, Args)]
pub(crate) struct ChargeArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The principal charged.
    #[arg(long, value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) amount: String,
    /// Scheduled interest charged with it.
    #[arg(long, default_value = "0", value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) interest: String,
    /// Fees charged with it.
    #[arg(long, default_value = "0", value_parser = parse_amount, allow_negative_numbers = true)]
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
    #[arg(long, value_parser = parse_amount, allow_negative_numbers = true)]
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
    #[arg(long, value_parser = parse_amount, allow_negative_numbers = true)]
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
pub(crate) struct ForbearanceArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The day forbearance was assessed.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// What was offered, or why nothing was (kept in the command's audit record).
    #[arg(long, value_name = "TEXT")]
    pub(crate) reason: String,
}

#[derive(Debug, Args)]
pub(crate) struct ChargeOffReversalArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// When the reversal is decided (it may be before the charge-off's date, as when a cycle
    /// ran for a wrong date); the ledger event takes effect on the charge-off's date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) on: NaiveDate,
    /// Why (recorded in the ledger event).
    #[arg(long, value_name = "TEXT")]
    pub(crate) reason: String,
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

/// An obligation and a value date (`dispute`, `undispute`, `withdraw-charge`).
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
    /// A debtor: contact points, accounts with balances and days past due, promises, plans,
    /// settlements, pending actions and contact history.
    Debtor(crate::list::ShowDebtorArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ShowAccountArgs {
    /// The account: its external reference, or its id (`A12`).
    #[arg(value_name = "REF_OR_ID")]
    pub(crate) account: String,
    /// Balances and aging at the end of this date (default: today, the date of
    /// --recorded-at or $ARREARS_RECORDED_AT if given, else of the system clock, in UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Portfolio aging by currency and bucket.
    Aging(AgingArgs),
    /// Roll rates between month ends: bucket-to-bucket transitions.
    Rollrates(crate::demo::PeriodArgs),
    /// Recovery: cash received on accounts that became delinquent, and the recovery curve.
    Recovery(crate::demo::PeriodArgs),
    /// Collection KPIs: cure, recovery, promise-kept and right-party-contact rates, blocked
    /// contacts, champion against challenger.
    Kpis(crate::demo::PeriodArgs),
    /// All the reports with charts, in one self-contained HTML file.
    Html(crate::demo::HtmlArgs),
    /// Agent and team productivity: items worked, outcomes, promises made and kept.
    Productivity(crate::work::ProductivityArgs),
    /// The experience budget, used against allowed per segment, over the 7 days to --to.
    Experience(ExperienceArgs),
    /// Credit exposure by risk band and currency, with limit utilisation.
    Exposure(crate::credit::ExposureArgs),
    /// The stability of the credit review score distribution between two dates (PSI).
    Psi(crate::credit::PsiArgs),
    /// Accounts whose signals in force changed since a date.
    Signals(crate::credit::SignalsArgs),
    /// Accounts holding the debtor's money (unapplied cash): what to refund or apply.
    CreditBalances(CreditBalancesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CreditBalancesArgs {
    /// The date (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
    /// Only balances held at least this many days (since the oldest payment they came from).
    #[arg(long, value_name = "DAYS", default_value_t = 0)]
    pub(crate) held_days: u32,
}

#[derive(Debug, Args)]
pub(crate) struct ExperienceArgs {
    /// The last of the 7 days, inclusive (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) to: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub(crate) struct AgingArgs {
    /// The date: aging at the end of it (default: today, as for `show account`).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
    /// Print CSV (`currency,bucket,amount,accounts`) instead of a table.
    #[arg(long, conflicts_with = "json")]
    pub(crate) csv: bool,
}

/// The longest lease `--lease-secs` may ask for (`actions claim`, `queue next`): a day. A
/// sender or an agent that needs longer claims again before its lease ends (claiming what it
/// holds renews the lease); a longer lease would keep an action or an item from everyone else
/// past the next day's cycle if its holder stopped.
pub(crate) const LEASE_SECS_MAX: u32 = 86_400;

/// Refuses a `--lease-secs` of 0 (a lease that ends as it starts: another sender or agent
/// could claim the same action or item at once) or above [`LEASE_SECS_MAX`].
pub(crate) fn check_lease(lease_secs: u32) -> anyhow::Result<()> {
    if (1..=LEASE_SECS_MAX).contains(&lease_secs) {
        return Ok(());
    }
    let rule = format!("a lease lasts 1 to {LEASE_SECS_MAX} seconds (a day)");
    Err(out_of_range("--lease-secs", lease_secs, &rule))
}

/// Refuses a count flag of 0 (a page, a batch or a claim of nothing, which moves no cursor):
/// `--FLAG 0 is out of range: RULE`.
pub(crate) fn check_count(flag: &str, count: usize, rule: &str) -> anyhow::Result<()> {
    if count == 0 {
        return Err(out_of_range(flag, count, rule));
    }
    Ok(())
}

/// The error of a flag value that parses but is outside what the flag allows, `rule` saying
/// what it allows: `--FLAG VALUE is out of range: RULE` (exit 1, like every refusal of a value
/// of the right kind; a value of the wrong kind is clap's usage error, exit 2).
#[cold]
pub(crate) fn out_of_range(flag: &str, value: impl std::fmt::Display, rule: &str) -> anyhow::Error {
    anyhow::anyhow!("{flag} {value} is out of range: {rule}")
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    crate::input::date(text.trim())
}

pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim()).map(|instant| instant.with_timezone(&Utc)).map_err(
        |error| {
            format!("{text:?} is not an RFC 3339 instant such as 2026-11-20T09:00:00Z ({error})")
        },
    )
}

/// `DATE:AMOUNT`, the amount kept as text until the account's currency is known.
pub(crate) fn parse_pay(text: &str) -> Result<(NaiveDate, String), String> {
    let Some((date, amount)) = text.split_once(':') else {
        return Err(format!("{text:?} is not DATE:AMOUNT such as 2026-11-25:100.00"));
    };
    if amount.trim().is_empty() {
        return Err(format!("{text:?} has no amount after the date (DATE:AMOUNT)"));
    }
    Ok((parse_date(date)?, parse_amount(amount)?))
}

/// An amount as typed: a plain decimal (`125.50`, `-10.00`; no digit separator), kept as text
/// until the account's currency is known. Whether it is finer than the currency's minor unit
/// or of the sign the command needs is checked then, as a refusal of the value (exit 1);
/// text that is no decimal at all is a usage error here (exit 2), as for every flag value.
pub(crate) fn parse_amount(text: &str) -> Result<String, String> {
    match crate::input::plain_decimal(text) {
        Some(_) => Ok(text.trim().to_owned()),
        None => Err(format!("{text:?} is not a decimal amount")),
    }
}

/// A built-in compliance pack, by id.
fn parse_pack(text: &str) -> Result<Pack, String> {
    Pack::builtin(text.trim()).ok_or_else(|| {
        format!(
            "no built-in pack {text:?} (built-in: {}; load a file with --pack-file)",
            Pack::builtin_ids().join(", ")
        )
    })
}

/// An IANA time zone this build knows.
pub(crate) fn parse_time_zone(text: &str) -> Result<String, String> {
    let zone = text.trim();
    if arrears::is_time_zone(zone) {
        Ok(zone.to_owned())
    } else {
        Err(format!("{text:?} is not a known IANA time zone such as America/Chicago"))
    }
}

pub(crate) fn parse_outcome(text: &str) -> Result<ContactOutcome, String> {
    text.trim().parse()
}

fn parse_frequency(text: &str) -> Result<Frequency, String> {
    text.trim().parse()
}

pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, String> {
    crate::input::plain_decimal(text).ok_or_else(|| format!("{text:?} is not a decimal number"))
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::from_code(&text.trim().to_ascii_uppercase()).map_err(|error| error.to_string())
}
