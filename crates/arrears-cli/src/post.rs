//! `arrears post`: one command under an idempotency key, with its allocation trace.

use std::io::Write;

use anyhow::{anyhow, Result};

use arrears::model::Account;
use arrears::money::Money;
use arrears::{Arrears, Command, CommandError, NewCharge, Outcome, Receipt};

use crate::args::{Common, PostCommand};
use crate::horizon::{self, Horizon};
use crate::input::{self, Sign};
use crate::output::{self, postings_table};
use crate::refs;
use crate::Status;

pub(crate) fn run(
    books: &Arrears,
    horizon: &Horizon,
    command: &PostCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (common, account, command) = build(books, command)?;
    if let Some((_, reason)) = horizon.command_refusal(&command, horizon::flag) {
        anyhow::bail!("{reason}");
    }
    let receipt = books.execute(&common.key, &command).map_err(flag_error)?;
    print(&common.key, &account, &command, &receipt, json, out)
}

fn amount(text: &str, account: &Account, sign: Sign, flag: &str) -> Result<Money> {
    input::amount(text, account.currency, sign).map_err(|reason| anyhow!("{flag}: {reason}"))
}

fn build<'a>(books: &Arrears, command: &'a PostCommand) -> Result<(&'a Common, Account, Command)> {
    let common = match command {
        PostCommand::Payment(args) => &args.common,
        PostCommand::Charge(args) => &args.common,
        PostCommand::Fee(args) => &args.common,
        PostCommand::Adjustment(args) | PostCommand::Waiver(args) => &args.common,
        PostCommand::Reversal(args) => &args.common,
        PostCommand::ChargeOff(args) => &args.common,
        PostCommand::ChargeOffReversal(args) => &args.common,
        PostCommand::Accrue(args) => &args.common,
        PostCommand::Dispute(args) | PostCommand::Undispute(args) => &args.common,
        PostCommand::WithdrawCharge(args) => &args.common,
        PostCommand::CreditNote(args) => &args.common,
        PostCommand::Refund(args) => &args.common,
    };
    let account = refs::account(books, &common.account, "--account")?;
    let id = account.id;
    let built = match command {
        PostCommand::Payment(args) => {
            let amount = amount(&args.amount, &account, Sign::Positive, "--amount")?;
            let directed_to = args
                .directed_to
                .as_deref()
                .map(|text| refs::obligation(books, &account, text, "--directed-to"))
                .transpose()?;
            match args.channel {
                None => {
                    Command::Payment { account: id, effective_on: args.on, amount, directed_to }
                }
                Some(channel) => Command::ChannelPayment {
                    account: id,
                    effective_on: args.on,
                    amount,
                    directed_to,
                    channel,
                    agent: args.agent.clone(),
                    action: args.action,
                },
            }
        }
        PostCommand::Charge(args) => Command::Charge(NewCharge {
            account: id,
            external_ref: args.external_ref.clone(),
            kind: args.kind.into(),
            issued_on: args.issued_on,
            due_on: args.due_on,
            principal: amount(&args.amount, &account, Sign::NonNegative, "--amount")?,
            interest: amount(&args.interest, &account, Sign::NonNegative, "--interest")?,
            fee: amount(&args.fee, &account, Sign::NonNegative, "--fee")?,
        }),
        PostCommand::Fee(args) => Command::Fee {
            account: id,
            effective_on: args.on,
            due_on: args.due_on.unwrap_or(args.on),
            amount: amount(&args.amount, &account, Sign::Positive, "--amount")?,
        },
        PostCommand::Adjustment(args) => Command::Adjustment {
            account: id,
            obligation: refs::obligation(books, &account, &args.obligation, "--obligation")?,
            component: args.component.into(),
            amount: amount(&args.amount, &account, Sign::NonZero, "--amount")?,
            effective_on: args.on,
        },
        PostCommand::Waiver(args) => Command::Waiver {
            account: id,
            obligation: refs::obligation(books, &account, &args.obligation, "--obligation")?,
            component: args.component.into(),
            amount: amount(&args.amount, &account, Sign::Positive, "--amount")?,
            effective_on: args.on,
        },
        PostCommand::Reversal(args) => Command::Reversal {
            account: id,
            payment: refs::payment(books, &account, &args.reverses, "--reverses")?,
            effective_on: args.on,
            reason: args.reason.into(),
        },
        PostCommand::ChargeOff(args) => Command::ChargeOff { account: id, effective_on: args.on },
        PostCommand::CreditNote(args) => Command::CreditNote {
            account: id,
            obligation: args
                .obligation
                .as_deref()
                .map(|text| refs::obligation(books, &account, text, "--obligation"))
                .transpose()?,
            effective_on: args.on,
            amount: amount(&args.amount, &account, Sign::Positive, "--amount")?,
            reason: args.reason.into(),
            external_ref: args.external_ref.clone(),
        },
        PostCommand::ChargeOffReversal(args) => {
            Command::ReverseChargeOff { account: id, on: args.on, reason: args.reason.clone() }
        }
        PostCommand::Accrue(args) => Command::AccrueInterest {
            account: id,
            through_on: args.on,
            due_on: args.due_on.unwrap_or(args.on),
        },
        PostCommand::Dispute(args) | PostCommand::Undispute(args) => Command::Dispute {
            account: id,
            obligation: refs::obligation(books, &account, &args.obligation, "--obligation")?,
            disputed: matches!(command, PostCommand::Dispute(_)),
            effective_on: args.on,
        },
        PostCommand::WithdrawCharge(args) => Command::WithdrawCharge {
            account: id,
            obligation: refs::obligation(books, &account, &args.obligation, "--obligation")?,
            effective_on: args.on,
        },
        PostCommand::Refund(args) => Command::Refund {
            account: id,
            effective_on: args.on,
            amount: amount(&args.amount, &account, Sign::Positive, "--amount")?,
            external_ref: args.external_ref.clone(),
        },
    };
    Ok((common, account, built))
}

/// An engine error, with the flag it is about.
fn flag_error(error: CommandError) -> anyhow::Error {
    let flag = match &error {
        CommandError::UnknownAccount(_) => Some("--account"),
        CommandError::IdempotencyConflict { .. } => Some("--key"),
        CommandError::Money { field, .. } | CommandError::Invalid { field, .. } => match *field {
            "key" => Some("--key"),
            "external_ref" => Some("--ref"),
            "principal" | "amount" => Some("--amount"),
            "interest" => Some("--interest"),
            "fee" => Some("--fee"),
            "reason" => Some("--reason"),
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

fn print(
    key: &str,
    account: &Account,
    command: &Command,
    receipt: &Receipt,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let status = if receipt.outcome.is_rejected() { Status::Failed } else { Status::Ok };
    if json {
        return crate::collect::print_json(key, receipt, Some(account.currency), out);
    }
    match &receipt.outcome {
        Outcome::Rejected(rejection) => {
            writeln!(out, "rejected: {}", output::rejection(rejection, Some(account.currency)))?;
        }
        Outcome::Posted(posted) => {
            let entry = posted.entry.map_or_else(
                || "no entry (moves no money)".to_owned(),
                |entry| format!("entry {entry}"),
            );
            let name = match command {
                Command::Dispute { disputed: false, .. } => "undispute",
                other => other.name(),
            };
            writeln!(
                out,
                "{name} on account {}: event {}, {entry}",
                refs::describe_account(account),
                posted.event
            )?;
            if receipt.replayed {
                writeln!(out, "replayed: key {key:?} was already executed; nothing was written")?;
            }
            if let Some(obligation) = posted.obligation {
                writeln!(out, "obligation created: {obligation}")?;
            }
            if !posted.corrections.is_empty() {
                let ids: Vec<String> = posted.corrections.iter().map(ToString::to_string).collect();
                writeln!(
                    out,
                    "corrections of earlier events (this one is back-dated): {}",
                    ids.join(", ")
                )?;
            }
            if posted.postings.is_empty() {
                writeln!(out, "no postings")?;
            } else {
                writeln!(out)?;
                postings_table(&posted.postings, account.currency).write(out, "")?;
            }
        }
        other => writeln!(out, "{other:?}")?,
    }
    Ok(status)
}
