//! `arrears bank payer add | remove | list`: the accounts debtors pay from, registered so that
//! the `payer_account` matching rule finds the debtor of a bank line (docs/CASH.md, "Payer
//! accounts").

use std::io::Write;

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use serde::Serialize;

use arrears::cash::{PayerAccount, PayerScheme};
use arrears::{Arrears, Command};

use crate::{collect, refs, Status};

/// `arrears bank payer`.
#[derive(Debug, Subcommand)]
pub(crate) enum PayerCommand {
    /// Register an account a debtor pays from (its check digits verified).
    Add(PayerArgs),
    /// Remove an account registered on a debtor.
    Remove(PayerArgs),
    /// List the registered payer accounts.
    List(ListArgs),
}

/// `arrears bank payer add | remove`.
#[derive(Debug, Args)]
pub(crate) struct PayerArgs {
    /// The account number as written (an IBAN, a CLABE, a CBU, a RUT or another id).
    pub(crate) number: String,
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The scheme: iban, clabe, cbu, rut or other; default: the one the number reads as.
    #[arg(long, value_parser = parse_scheme)]
    pub(crate) scheme: Option<PayerScheme>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears bank payer list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only this debtor's accounts: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: Option<String>,
}

/// A scheme by its name (`iban`).
fn parse_scheme(text: &str) -> Result<PayerScheme, String> {
    PayerScheme::from_name(text.trim()).ok_or_else(|| {
        let names: Vec<&str> = PayerScheme::ALL.iter().map(|scheme| scheme.name()).collect();
        format!("unknown scheme {text:?}; one of {}", names.join(", "))
    })
}

/// `arrears bank payer ...`.
pub(crate) fn run(
    books: &Arrears,
    command: &PayerCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    match command {
        PayerCommand::Add(args) => change(books, args, true, json, out),
        PayerCommand::Remove(args) => change(books, args, false, json, out),
        PayerCommand::List(args) => list(books, args, json, out),
    }
}

fn change(
    books: &Arrears,
    args: &PayerArgs,
    add: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let command = if add {
        let scheme = match args.scheme {
            Some(scheme) => scheme,
            None => PayerAccount::parse(&args.number)
                .map_err(|error| anyhow!("NUMBER: {error}"))?
                .scheme(),
        };
        Command::RegisterPayerAccount { debtor: debtor.id, scheme, number: args.number.clone() }
    } else {
        Command::RemovePayerAccount { debtor: debtor.id, number: args.number.clone() }
    };
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    let done = if add { "registered on" } else { "removed from" };
    writeln!(
        out,
        "payer account {} {done} debtor {}{replayed}",
        args.number.trim(),
        refs::describe_debtor(&debtor)
    )?;
    Ok(Status::Ok)
}

/// A registered payer account, as listed.
#[derive(Debug, Serialize)]
struct Row {
    debtor: String,
    debtor_ref: Option<String>,
    scheme: PayerScheme,
    number: String,
}

fn list(books: &Arrears, args: &ListArgs, json: bool, out: &mut dyn Write) -> Result<Status> {
    let only = match &args.debtor {
        Some(text) => Some(refs::debtor(books, text, "--debtor")?.id),
        None => None,
    };
    let mut rows = Vec::new();
    for payer in books.payer_accounts(None)? {
        if only.is_some_and(|debtor| debtor != payer.debtor) {
            continue;
        }
        let debtor_ref = books.debtor(payer.debtor)?.and_then(|debtor| debtor.external_ref);
        rows.push(Row {
            debtor: payer.debtor.to_string(),
            debtor_ref,
            scheme: payer.scheme,
            number: payer.number,
        });
    }
    if json {
        crate::output::json(out, &rows)?;
        return Ok(Status::Ok);
    }
    if rows.is_empty() {
        writeln!(out, "no payer accounts")?;
        return Ok(Status::Ok);
    }
    let mut table = crate::output::Table::new(&["debtor", "reference", "scheme", "number"]);
    for row in rows {
        let reference = row.debtor_ref.unwrap_or_default();
        table.row(vec![row.debtor, reference, row.scheme.name().to_owned(), row.number]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}
