//! `arrears team`, `arrears agent`, `arrears queue` and `arrears report productivity`: work for
//! people (issue 14 point 6). Teams and agents are defined under idempotency keys; `queue next`
//! claims the best item for an agent and prints its work card; `queue done` records the
//! outcome.

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};

use arrears::model::ProductKind;
use arrears::queue::QueueEntry;
use arrears::work::{Agent, Skills, Team, WorkOutcomeCode};
use arrears::{Arrears, Command, Outcome, PromiseLine, WorkDone};

use crate::args::{parse_date, parse_instant};
use crate::horizon::{self, Horizon};
use crate::input::{self, Sign};
use crate::output::{self, money, opt, Table};
use crate::{collect, refs, Status};

/// `arrears team`.
#[derive(Debug, Subcommand)]
pub(crate) enum TeamCommand {
    /// Define a team (or replace the skills of the team of that name).
    Add(TeamArgs),
    /// List the teams.
    List,
}

/// Skills flags, shared by teams and agents (each a comma-separated list; none allows any).
#[derive(Debug, Args)]
pub(crate) struct SkillArgs {
    /// Languages (BCP 47: `es` covers `es-MX`).
    #[arg(long, value_delimiter = ',', value_name = "TAGS")]
    pub(crate) languages: Option<Vec<String>>,
    /// Products (`revolving`, `installment`, `trade_credit`, `bnpl`, `utility`).
    #[arg(long, value_delimiter = ',', value_name = "PRODUCTS", value_parser = parse_product)]
    pub(crate) products: Option<Vec<ProductKind>>,
    /// Jurisdictions (`US` covers every US region; `US-MA`).
    #[arg(long, value_delimiter = ',', value_name = "PLACES")]
    pub(crate) jurisdictions: Option<Vec<String>>,
}

/// `arrears team add`.
#[derive(Debug, Args)]
pub(crate) struct TeamArgs {
    /// The team's name (the policy's assignment rules use it).
    #[arg(long)]
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) skills: SkillArgs,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears agent`.
#[derive(Debug, Subcommand)]
pub(crate) enum AgentCommand {
    /// Define a new agent.
    Add(AgentArgs),
    /// Change an agent: the flags given replace its values; --deactivate or --activate.
    Update(AgentArgs),
    /// List the agents.
    List,
}

/// `arrears agent add` and `arrears agent update`.
#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    /// The agent's id (`agent-7`).
    #[arg(long)]
    pub(crate) id: String,
    /// The display name (required by `add`).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The teams, comma-separated (required by `add`).
    #[arg(long, value_delimiter = ',')]
    pub(crate) teams: Option<Vec<String>>,
    #[command(flatten)]
    pub(crate) skills: SkillArgs,
    /// Deactivate the agent: it gets no item and records no outcome.
    #[arg(long, conflicts_with = "activate")]
    pub(crate) deactivate: bool,
    /// Activate a deactivated agent.
    #[arg(long)]
    pub(crate) activate: bool,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears queue`.
#[derive(Debug, Subcommand)]
pub(crate) enum QueueCommand {
    /// Claim the best item for an agent, with a lease, and print its work card.
    Next(NextArgs),
    /// Record the outcome of the item an agent holds.
    Done(DoneArgs),
    /// List the items of the teams' queues, best first, with their leases.
    List(QueueListArgs),
}

/// `arrears queue next`.
#[derive(Debug, Args)]
pub(crate) struct NextArgs {
    /// The agent.
    #[arg(long)]
    pub(crate) agent: String,
    /// How long the lease lasts, in seconds: 1 to 86400 (a day).
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub(crate) lease_secs: u32,
    /// The day whose items are due (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

/// `arrears queue list`.
#[derive(Debug, Args)]
pub(crate) struct QueueListArgs {
    /// Only this team's items (repeat or comma-separate for several).
    #[arg(long, value_delimiter = ',')]
    pub(crate) team: Vec<String>,
    /// Balances and days past due as of this date (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

/// `arrears queue done`.
#[derive(Debug, Args)]
pub(crate) struct DoneArgs {
    /// The agent (it must hold the item).
    #[arg(long)]
    pub(crate) agent: String,
    /// The item: the account's external reference, or its id (`A4`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) item: String,
    /// The outcome: promise, refusal, excuse, callback, extension_requested, dispute,
    /// wrong_party.
    #[arg(long, value_parser = parse_outcome)]
    pub(crate) outcome: WorkOutcomeCode,
    /// A promised dated amount (outcome promise); repeat for several.
    #[arg(long = "pay", value_name = "DATE:AMOUNT", value_parser = crate::args::parse_pay)]
    pub(crate) pay: Vec<(NaiveDate, String)>,
    /// The first day to work the item again (required by callback).
    #[arg(long, alias = "callback-on", value_name = "DATE", value_parser = parse_date)]
    pub(crate) next_action_on: Option<NaiveDate>,
    /// The debtor's address the agent used (required by wrong_party, which removes it).
    #[arg(long)]
    pub(crate) address: Option<String>,
    /// A note for the debtor's notes.
    #[arg(long)]
    pub(crate) note: Option<String>,
    /// When (default: now, the --recorded-at instant if given).
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub(crate) at: Option<DateTime<Utc>>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears report productivity`.
#[derive(Debug, Args)]
pub(crate) struct ProductivityArgs {
    /// First day (default: the first day of the work log).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) from: Option<NaiveDate>,
    /// Last day, inclusive (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) to: Option<NaiveDate>,
}

fn parse_product(text: &str) -> Result<ProductKind, String> {
    let products = [
        ProductKind::Revolving,
        ProductKind::Installment,
        ProductKind::TradeCredit,
        ProductKind::Bnpl,
        ProductKind::Utility,
    ];
    products.into_iter().find(|product| product.name() == text.trim()).ok_or_else(|| {
        let names: Vec<&str> = products.iter().map(|product| product.name()).collect();
        format!("unknown product {text:?} (known: {})", names.join(", "))
    })
}

fn parse_outcome(text: &str) -> Result<WorkOutcomeCode, String> {
    WorkOutcomeCode::from_name(text.trim()).ok_or_else(|| {
        let names: Vec<&str> = WorkOutcomeCode::ALL.iter().map(|code| code.name()).collect();
        format!("unknown outcome code {text:?} (known: {})", names.join(", "))
    })
}

fn skills(args: &SkillArgs, base: Skills) -> Skills {
    Skills {
        languages: args.languages.clone().unwrap_or(base.languages),
        products: args.products.clone().unwrap_or(base.products),
        jurisdictions: args.jurisdictions.clone().unwrap_or(base.jurisdictions),
    }
}

/// `arrears team add | list`.
pub(crate) fn team(
    books: &Arrears,
    command: &TeamCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    match command {
        TeamCommand::Add(args) => {
            let team =
                Team { name: args.name.clone(), skills: skills(&args.skills, Skills::default()) };
            let command = Command::DefineTeam(team);
            let receipt = collect::execute(books, &args.key, &command)?;
            print_defined("team", &args.key, &receipt, json, out)
        }
        TeamCommand::List => {
            let (teams, _) = books.teams_and_agents()?;
            if json {
                output::json(out, &teams)?;
                return Ok(Status::Ok);
            }
            let mut table = Table::new(&["team", "languages", "products", "jurisdictions"]);
            for team in &teams {
                table.row(skill_cells(team.name.clone(), &team.skills));
            }
            write_table(out, &table, "no teams")
        }
    }
}

fn print_defined(
    what: &str,
    key: &str,
    receipt: &arrears::Receipt,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if json {
        return collect::print_json(key, receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    if let Outcome::WorkDefined { name } = &receipt.outcome {
        writeln!(out, "{what} {name} defined{replayed}")?;
    }
    Ok(Status::Ok)
}

fn skill_cells(first: String, skills: &Skills) -> Vec<String> {
    let any = |list: Vec<&str>| if list.is_empty() { "any".to_owned() } else { list.join(",") };
    vec![
        first,
        any(skills.languages.iter().map(String::as_str).collect()),
        any(skills.products.iter().map(|product| product.name()).collect()),
        any(skills.jurisdictions.iter().map(String::as_str).collect()),
    ]
}

fn write_table(out: &mut dyn Write, table: &Table, none: &str) -> Result<Status> {
    write_indented(out, table, "", none)
}

fn write_indented(out: &mut dyn Write, table: &Table, indent: &str, none: &str) -> Result<Status> {
    if table.is_empty() {
        writeln!(out, "{indent}{none}")?;
    } else {
        table.write(out, indent)?;
    }
    Ok(Status::Ok)
}

/// `arrears agent add | update | list`.
pub(crate) fn agent(
    books: &Arrears,
    command: &AgentCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (args, existing) = match command {
        AgentCommand::List => return list_agents(books, json, out),
        AgentCommand::Add(args) => {
            if let Some(agent) = find_agent(books, &args.id)? {
                // A retry of the same add is a replay, not an error.
                if books.recorded(&args.key)?.is_none() {
                    bail!(
                        "--id: agent {:?} exists; change it with `arrears agent update`",
                        agent.id
                    );
                }
            }
            let name =
                args.name.clone().ok_or_else(|| anyhow!("--name: required to add an agent"))?;
            let teams =
                args.teams.clone().ok_or_else(|| anyhow!("--teams: required to add an agent"))?;
            let base =
                Agent { id: args.id.clone(), name, teams, skills: Skills::default(), active: true };
            (args, base)
        }
        AgentCommand::Update(args) => {
            let base = find_agent(books, &args.id)?.ok_or_else(|| {
                anyhow!("--id: no agent {:?} (add it with `arrears agent add`)", args.id)
            })?;
            (args, base)
        }
    };
    let agent = Agent {
        id: existing.id,
        name: args.name.clone().unwrap_or(existing.name),
        teams: args.teams.clone().unwrap_or(existing.teams),
        skills: skills(&args.skills, existing.skills),
        active: if args.deactivate { false } else { args.activate || existing.active },
    };
    let receipt = collect::execute(books, &args.key, &Command::DefineAgent(agent))?;
    print_defined("agent", &args.key, &receipt, json, out)
}

fn find_agent(books: &Arrears, id: &str) -> Result<Option<Agent>> {
    let (_, agents) = books.teams_and_agents()?;
    Ok(agents.into_iter().find(|agent| agent.id == id))
}

fn list_agents(books: &Arrears, json: bool, out: &mut dyn Write) -> Result<Status> {
    let (_, agents) = books.teams_and_agents()?;
    if json {
        output::json(out, &agents)?;
        return Ok(Status::Ok);
    }
    let mut table =
        Table::new(&["agent", "languages", "products", "jurisdictions", "name", "teams", "active"]);
    for agent in &agents {
        let mut cells = skill_cells(agent.id.clone(), &agent.skills);
        cells.push(agent.name.clone());
        cells.push(agent.teams.join(","));
        cells.push(if agent.active { "yes" } else { "no" }.to_owned());
        table.row(cells);
    }
    write_table(out, &table, "no agents")
}

/// `arrears queue next | done | list`.
pub(crate) fn queue(
    books: &Arrears,
    horizon: &Horizon,
    now: DateTime<Utc>,
    command: &QueueCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    match command {
        QueueCommand::Next(args) => {
            crate::args::check_lease(args.lease_secs)?;
            let as_of = args.as_of.unwrap_or(now.date_naive());
            match books.claim_work(&args.agent, args.lease_secs, as_of)? {
                Some(entry) => card(books, &entry, as_of, json, out),
                None if json => {
                    output::json(out, &serde_json::Value::Null)?;
                    Ok(Status::Ok)
                }
                None => {
                    writeln!(out, "no item for agent {} as of {as_of}", args.agent)?;
                    Ok(Status::Ok)
                }
            }
        }
        QueueCommand::Done(args) => done(books, horizon, now, args, json, out),
        QueueCommand::List(args) => {
            let as_of = args.as_of.unwrap_or(now.date_naive());
            let entries = books.work_queue(&args.team, as_of)?;
            if json {
                output::json(out, &entries)?;
                return Ok(Status::Ok);
            }
            let mut table = Table::new(&[
                "item",
                "team",
                "stage",
                "priority",
                "balance",
                "dpd",
                "next_action",
                "held_by",
                "lease_until",
            ])
            .numeric(&["priority", "balance", "dpd"]);
            for entry in &entries {
                table.row(vec![
                    entry.account.to_string(),
                    entry.team.clone(),
                    entry.stage.clone(),
                    entry.priority.to_string(),
                    money(entry.outstanding_minor, entry.currency),
                    entry.days_past_due.to_string(),
                    opt(entry.next_action_on),
                    opt(entry.claim.as_ref().map(|claim| claim.agent.clone())),
                    opt(entry.claim.as_ref().map(|claim| claim.until.to_rfc3339())),
                ]);
            }
            write_table(out, &table, "no items")
        }
    }
}

/// The work card of a claimed item: the item, then the debtor as `show debtor` prints it
/// (contact points, every account with balance and days past due, promises and plans,
/// pending actions, notes, contact history), then the item's obligations with their due dates
/// and its payment history.
fn card(
    books: &Arrears,
    entry: &QueueEntry,
    as_of: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let view = books.account_view(entry.account, as_of)?;
    let payments = payments(books, entry)?;
    if json {
        let value = serde_json::json!({
            "item": entry,
            "debtor": books.debtor_view(entry.debtor, as_of)?,
            "obligations": view.obligations,
            "payments": payments,
        });
        output::json(out, &value)?;
        return Ok(Status::Ok);
    }
    let account = refs::describe_account(&view.account);
    let until = entry.claim.as_ref().map(|claim| claim.until.to_rfc3339()).unwrap_or_default();
    writeln!(out, "item {account}  team {}  stage {}", entry.team, entry.stage)?;
    writeln!(
        out,
        "  priority {}  balance {}  {} days past due  lease until {until}\n",
        entry.priority,
        money(entry.outstanding_minor, entry.currency),
        entry.days_past_due
    )?;
    let args = crate::list::ShowDebtorArgs { debtor: entry.debtor.to_string(), as_of: Some(as_of) };
    crate::list::show_debtor(books, &args, as_of, false, out)?;
    writeln!(out, "\nobligations of {account}")?;
    let mut obligations = Table::new(&["id", "due", "outstanding", "dpd", "disputed"])
        .numeric(&["outstanding", "dpd"]);
    for item in
        view.obligations.iter().filter(|item| item.outstanding_minor.iter().sum::<i64>() != 0)
    {
        obligations.row(vec![
            item.obligation.id.to_string(),
            item.obligation.due_on.to_string(),
            money(item.outstanding_minor.iter().sum(), entry.currency),
            item.days_past_due.to_string(),
            if item.disputed { "yes" } else { "no" }.to_owned(),
        ]);
    }
    write_indented(out, &obligations, "  ", "none")?;
    writeln!(out, "\npayments of {account}")?;
    let mut table = Table::new(&["on", "amount", "reversed"]).numeric(&["amount"]);
    for payment in &payments {
        table.row(vec![
            payment.on.to_string(),
            money(payment.amount_minor, entry.currency),
            if payment.reversed { "yes" } else { "no" }.to_owned(),
        ]);
    }
    write_indented(out, &table, "  ", "none")
}

/// A payment on the item's account, for the work card.
#[derive(Debug, serde::Serialize)]
struct PaymentLine {
    on: NaiveDate,
    amount_minor: i64,
    reversed: bool,
}

/// The account's payments, most recent first, with whether each was reversed.
fn payments(books: &Arrears, entry: &QueueEntry) -> Result<Vec<PaymentLine>> {
    use arrears::ledger::EventKind;
    let events = books.events(entry.account)?;
    let reversed: Vec<_> = events
        .iter()
        .filter_map(|record| match &record.event.kind {
            EventKind::Reversal { payment, .. } => Some(*payment),
            _ => None,
        })
        .collect();
    let mut lines: Vec<PaymentLine> = events
        .iter()
        .filter_map(|record| match &record.event.kind {
            EventKind::Payment { amount_minor, .. } => Some(PaymentLine {
                on: record.event.effective_on,
                amount_minor: *amount_minor,
                reversed: reversed.contains(&record.event.seq),
            }),
            _ => None,
        })
        .collect();
    lines.sort_by_key(|line| std::cmp::Reverse(line.on));
    Ok(lines)
}

/// `arrears queue done`.
fn done(
    books: &Arrears,
    horizon: &Horizon,
    now: DateTime<Utc>,
    args: &DoneArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let account = refs::account(books, &args.item, "--item")?;
    let mut promise = Vec::with_capacity(args.pay.len());
    for (on, text) in &args.pay {
        let amount = input::amount(text, account.currency, Sign::Positive)
            .map_err(|reason| anyhow!("--pay: {reason}"))?;
        promise.push(PromiseLine { on: *on, amount });
    }
    let done = WorkDone {
        agent: args.agent.clone(),
        account: account.id,
        code: args.outcome,
        at: args.at.unwrap_or(now),
        promise,
        next_action_on: args.next_action_on,
        address: args.address.clone(),
        note: args.note.clone(),
    };
    let command = Command::RecordWork(done);
    if let Some((_, reason)) = horizon.command_refusal(&command, horizon::flag) {
        bail!("{reason}");
    }
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, Some(account.currency), out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    match &receipt.outcome {
        Outcome::Worked { account: worked, next_action_on, .. } => writeln!(
            out,
            "{} {} recorded on {worked}{replayed}; next action on {}",
            args.agent,
            args.outcome.name(),
            opt(*next_action_on)
        )?,
        Outcome::Rejected(rejection) => {
            writeln!(out, "rejected: {}", output::rejection(rejection, Some(account.currency)))?;
            return Ok(Status::Failed);
        }
        _ => {}
    }
    Ok(Status::Ok)
}

/// `arrears report productivity`.
pub(crate) fn productivity(
    books: &Arrears,
    today: NaiveDate,
    args: &ProductivityArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let from = args.from.unwrap_or(arrears::dates::DATE_MIN);
    let to = args.to.unwrap_or(today);
    if let Some(given) = args.from {
        let to_label = if args.to.is_some() { "--to" } else { "today" };
        crate::demo::check_period(("--from", given), (to_label, to))?;
    }
    let report = books.report_productivity(from, to)?;
    if json {
        output::json(out, &report)?;
        return Ok(Status::Ok);
    }
    for (title, rows) in [("agent", &report.agents), ("team", &report.teams)] {
        let mut table =
            Table::new(&[title, "items", "outcomes", "promises", "promised", "collected"])
                .numeric(&["items", "promises"]);
        for row in rows {
            let outcomes: Vec<String> =
                row.outcomes.iter().map(|(code, count)| format!("{code}={count}")).collect();
            let amounts = |by_currency: &std::collections::BTreeMap<
                arrears::money::Currency,
                i64,
            >| {
                let shown: Vec<String> =
                    by_currency.iter().map(|(currency, minor)| money(*minor, *currency)).collect();
                if shown.is_empty() {
                    "0".to_owned()
                } else {
                    shown.join(" ")
                }
            };
            table.row(vec![
                row.name.clone(),
                row.items_worked.to_string(),
                outcomes.join(" "),
                row.promises.to_string(),
                amounts(&row.promised_minor),
                amounts(&row.collected_minor),
            ]);
        }
        write_table(out, &table, &format!("no {title} worked an item"))?;
    }
    Ok(Status::Ok)
}
