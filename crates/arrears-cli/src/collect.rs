//! The collection commands: `promise`, `plan create`, `settle`, `dispute`, `hardship`,
//! `place`, `recall`, `legal`, `forbearance`, `flag`, `close` and `reopen`. Each executes one command under an
//! idempotency key and prints what it did to each account's case, `A3: delinquent -> promised`,
//! with the ledger events it recorded along.

use std::io::Write;

use anyhow::{anyhow, Result};

use arrears::ledger::EventKind;
use arrears::model::Account;
use arrears::money::{Currency, Money};
use arrears::{Arrears, Command, CommandError, NewPlan, Outcome, PromiseLine, Receipt};

use crate::args::{
    AccountDateArgs, Command as Cli, DisputeCommand, HardshipCommand, PlanCommand, SettleCommand,
};
use crate::horizon::{self, Horizon};
use crate::input::{self, Sign};
use crate::output::{self, postings_table};
use crate::refs;
use crate::Status;

/// Runs one of the collection commands of [`Cli`].
pub(crate) fn run(
    books: &Arrears,
    horizon: &Horizon,
    command: &Cli,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let built = build(books, command)?;
    if let Some((_, reason)) = horizon.command_refusal(&built.command, horizon::flag) {
        anyhow::bail!("{reason}");
    }
    let receipt = execute(books, &built.key, &built.command)?;
    if json {
        return print_json(&built.key, &receipt, built.currency, out);
    }
    if let (Some(header), false) = (&built.header, receipt.outcome.is_rejected()) {
        writeln!(out, "{header}")?;
    }
    print_receipt(books, &built.key, &receipt, built.currency, out)
}

/// A command ready to execute, with what printing it needs.
struct Built {
    key: String,
    command: Command,
    /// The account's currency, for amounts in a rejection.
    currency: Option<Currency>,
    /// A first line to print on success.
    header: Option<String>,
}

fn amount(text: &str, account: &Account, sign: Sign, flag: &str) -> Result<Money> {
    input::amount(text, account.currency, sign).map_err(|reason| anyhow!("{flag}: {reason}"))
}

fn build(books: &Arrears, command: &Cli) -> Result<Built> {
    let on_account = |args: &AccountDateArgs,
                      make: fn(arrears::ids::AccountId, chrono::NaiveDate) -> Command|
     -> Result<Built> {
        let account = refs::account(books, &args.common.account, "--account")?;
        Ok(Built {
            key: args.common.key.clone(),
            command: make(account.id, args.on),
            currency: Some(account.currency),
            header: None,
        })
    };
    let built = match command {
        Cli::Promise(args) => {
            let account = refs::account(books, &args.common.account, "--account")?;
            let mut payments = Vec::with_capacity(args.pay.len());
            for (on, text) in &args.pay {
                payments.push(PromiseLine {
                    on: *on,
                    amount: amount(text, &account, Sign::Positive, "--pay")?,
                });
            }
            Built {
                key: args.common.key.clone(),
                command: Command::Promise { account: account.id, made_on: args.on, payments },
                currency: Some(account.currency),
                header: None,
            }
        }
        Cli::Plan(PlanCommand::Create(args)) => {
            let account = refs::account(books, &args.common.account, "--account")?;
            let plan = NewPlan {
                account: account.id,
                created_on: args.on,
                installments: args.schedule.installments,
                frequency: args.schedule.frequency,
                first_due: args.schedule.first_due,
                annual_rate: args.schedule.annual_rate,
                monthly_income: amount(&args.income, &account, Sign::NonNegative, "--income")?,
                monthly_expenses: amount(
                    &args.expenses,
                    &account,
                    Sign::NonNegative,
                    "--expenses",
                )?,
            };
            Built {
                key: args.common.key.clone(),
                command: Command::CreatePlan(plan),
                currency: Some(account.currency),
                header: None,
            }
        }
        Cli::Settle(SettleCommand::Offer(args)) => {
            let account = refs::account(books, &args.common.account, "--account")?;
            Built {
                key: args.common.key.clone(),
                command: Command::OfferSettlement {
                    account: account.id,
                    offered_on: args.on,
                    amount: amount(&args.amount, &account, Sign::Positive, "--amount")?,
                },
                currency: Some(account.currency),
                header: None,
            }
        }
        Cli::Settle(SettleCommand::Accept(args)) => {
            on_account(args, |account, on| Command::AcceptSettlement { account, accepted_on: on })?
        }
        Cli::Dispute(DisputeCommand::Open(args)) => {
            let account = refs::account(books, &args.common.account, "--account")?;
            let obligations = args
                .obligations
                .iter()
                .map(|text| refs::obligation(books, &account, text, "--obligation"))
                .collect::<Result<Vec<_>>>()?;
            Built {
                key: args.common.key.clone(),
                command: Command::OpenDispute { account: account.id, obligations, on: args.on },
                currency: Some(account.currency),
                header: None,
            }
        }
        Cli::Dispute(DisputeCommand::Resolve(args)) => {
            on_account(args, |account, on| Command::ResolveDispute { account, on })?
        }
        Cli::Hardship(HardshipCommand::Grant(args)) => {
            let account = refs::account(books, &args.common.account, "--account")?;
            Built {
                key: args.common.key.clone(),
                command: Command::GrantHardship {
                    account: account.id,
                    on: args.on,
                    until: args.until,
                },
                currency: Some(account.currency),
                header: None,
            }
        }
        Cli::Hardship(HardshipCommand::End(args)) => {
            on_account(args, |account, on| Command::EndHardship { account, on })?
        }
        Cli::Place(args) => {
            let account = refs::account(books, &args.common.account, "--account")?;
            Built {
                key: args.common.key.clone(),
                command: Command::Place {
                    account: account.id,
                    on: args.on,
                    agency: args.agency.clone(),
                    commission_rate: args.commission,
                },
                currency: Some(account.currency),
                header: None,
            }
        }
        Cli::Recall(args) => on_account(args, |account, on| Command::Recall { account, on })?,
        Cli::Legal(args) => on_account(args, |account, on| Command::ReferToLegal { account, on })?,
        Cli::Close(args) => on_account(args, |account, on| Command::Close { account, on })?,
        Cli::Reopen(args) => on_account(args, |account, on| Command::Reopen { account, on })?,
        Cli::Forbearance(args) => {
            let account = refs::account(books, &args.common.account, "--account")?;
            Built {
                key: args.common.key.clone(),
                command: Command::RecordForbearanceAssessed {
                    account: account.id,
                    on: args.on,
                    reason: args.reason.clone(),
                },
                currency: Some(account.currency),
                header: Some(format!(
                    "forbearance assessed on account {} on {}",
                    refs::describe_account(&account),
                    args.on
                )),
            }
        }
        Cli::Flag(args) => {
            let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
            let flag = arrears::Flag::from(args.flag);
            Built {
                key: args.key.clone(),
                command: Command::SetFlag { debtor: debtor.id, flag, on: args.on },
                currency: None,
                header: Some(format!(
                    "flag {} set on debtor {}",
                    flag_name(flag),
                    refs::describe_debtor(&debtor)
                )),
            }
        }
        other => anyhow::bail!("internal: {other:?} is not a collection command"),
    };
    Ok(built)
}

/// The flag's name as serialized (`cease_communication`...).
fn flag_name(flag: arrears::Flag) -> &'static str {
    match flag {
        arrears::Flag::CeaseCommunication => "cease_communication",
        arrears::Flag::AttorneyRepresented => "attorney_represented",
        arrears::Flag::BankruptcyFiled => "bankruptcy_filed",
        arrears::Flag::BankruptcyDischarged => "bankruptcy_discharged",
        arrears::Flag::BankruptcyDismissed => "bankruptcy_dismissed",
        arrears::Flag::Deceased => "deceased",
        arrears::Flag::AttorneyWithdrawn => "attorney_withdrawn",
    }
}

/// Executes a command; an engine error names the flag it is about. A policy that does not
/// load is reported as the engine locates it: `file:line: field: reason`.
pub(crate) fn execute(books: &Arrears, key: &str, command: &Command) -> Result<Receipt> {
    books.execute(key, command).map_err(command_error)
}

fn command_error(error: CommandError) -> anyhow::Error {
    if let CommandError::Policy(policy) = &error {
        return anyhow!("{policy}");
    }
    let flag = match &error {
        CommandError::UnknownAccount(_) => Some("--account"),
        CommandError::UnknownDebtor(_) => Some("--debtor"),
        CommandError::IdempotencyConflict { .. } => Some("--key"),
        CommandError::Money { field, .. } | CommandError::Invalid { field, .. } => match *field {
            "key" => Some("--key"),
            "on" => Some("--on"),
            "until" => Some("--until"),
            "first_due" => Some("--first-due"),
            "payments.amount" => Some("--pay"),
            "monthly_income" => Some("--income"),
            "monthly_expenses" => Some("--expenses"),
            "amount" => Some("--amount"),
            "agency" => Some("--agency"),
            "commission_rate" => Some("--commission"),
            "name" | "attorney.name" => Some("--name"),
            "note.author" => Some("--author"),
            "note.text" => Some("--text"),
            "attorney.firm" => Some("--firm"),
            "attorney.phone" => Some("--phone"),
            "attorney.email" => Some("--email"),
            "attorney.postal_address" => Some("--address"),
            "report.signal" => Some("--signal"),
            "debtor" => Some("--debtor"),
            "report.source" => Some("--source"),
            "report.evidence" => Some("--evidence"),
            "report.expires_on" => Some("--expires"),
            "application.limit" | "limit" => Some("--limit"),
            "terms.net_days" => Some("--net-days"),
            "terms.deposit_share" => Some("--deposit"),
            "terms.interest_rate" => Some("--interest"),
            "application.attributes" => Some("--attribute"),
            "point.address" => Some("--address"),
            "country" => Some("--country"),
            "language" => Some("--language"),
            "time_zones" => Some("--time-zones"),
            "acknowledgement.at" => Some("--at"),
            "team.name" => Some("--name"),
            "agent.id" => Some("--id"),
            "agent.name" => Some("--name"),
            "agent.teams" => Some("--teams"),
            _ => None,
        },
        _ => None,
    };
    let error = anyhow::Error::from(error);
    match flag {
        Some(flag) => error.context(flag),
        None => error,
    }
}

/// The receipt as JSON, `{"key", "replayed", "outcome"}`, and for a rejection also `reason`
/// (the rejection's text) and `rule` (the policy rule, for a policy refusal); exit 1 on a
/// rejection.
pub(crate) fn print_json(
    key: &str,
    receipt: &Receipt,
    currency: Option<Currency>,
    out: &mut dyn Write,
) -> Result<Status> {
    let mut value = serde_json::json!({
        "key": key,
        "replayed": receipt.replayed,
        "outcome": serde_json::to_value(&receipt.outcome)?,
    });
    if let (Outcome::Rejected(rejection), Some(object)) = (&receipt.outcome, value.as_object_mut())
    {
        object.insert("reason".to_owned(), output::rejection(rejection, currency).into());
        if let arrears::Rejection::Policy(refusal) = rejection {
            object.insert("rule".to_owned(), refusal.rule().into());
        }
    }
    output::json(out, &value)?;
    Ok(status(receipt))
}

fn status(receipt: &Receipt) -> Status {
    if receipt.outcome.is_rejected() {
        Status::Failed
    } else {
        Status::Ok
    }
}

/// The receipt as text: the rejection, or each case changed with the events recorded along.
pub(crate) fn print_receipt(
    books: &Arrears,
    key: &str,
    receipt: &Receipt,
    currency: Option<Currency>,
    out: &mut dyn Write,
) -> Result<Status> {
    if let Outcome::Rejected(rejection) = &receipt.outcome {
        writeln!(out, "rejected: {}", output::rejection(rejection, currency))?;
        return Ok(Status::Failed);
    }
    if receipt.replayed {
        writeln!(out, "replayed: key {key:?} was already executed; nothing was written")?;
    }
    match &receipt.outcome {
        Outcome::Cases(changes) => {
            if changes.is_empty() {
                writeln!(out, "no accounts")?;
            }
            for change in changes {
                writeln!(out, "{}: {} -> {}", change.account, change.from, change.to)?;
                let currency = match books.account(change.account)? {
                    Some(account) => account.currency,
                    None => continue,
                };
                let events = if change.posted.is_empty() {
                    Vec::new()
                } else {
                    books.events(change.account)?
                };
                for posted in &change.posted {
                    let entry = posted.entry.map_or_else(
                        || "no entry (moves no money)".to_owned(),
                        |entry| format!("entry {entry}"),
                    );
                    let kind = events
                        .iter()
                        .find(|record| record.event.seq == posted.event)
                        .map(|record| match record.event.kind {
                            EventKind::Dispute { disputed: false, .. } => " undispute".to_owned(),
                            ref kind => format!(" {}", kind.name()),
                        })
                        .unwrap_or_default();
                    writeln!(out, "  event {}{kind}, {entry}", posted.event)?;
                    if !posted.postings.is_empty() {
                        postings_table(&posted.postings, currency).write(out, "    ")?;
                    }
                }
            }
        }
        Outcome::Acknowledged { action, disputed } => {
            writeln!(out, "acknowledged action {action}")?;
            for account in disputed {
                writeln!(out, "{account}: disputed")?;
            }
        }
        Outcome::PolicySet { name } => writeln!(out, "policy {name} set")?,
        other => writeln!(out, "{other:?}")?,
    }
    Ok(Status::Ok)
}
