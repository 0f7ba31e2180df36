//! `arrears plan quote`: a plan schedule, computed without any store from `--balance` and
//! `--currency`, or from an account's undisputed balance.

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use serde::Serialize;

use arrears::money::{format_minor, Currency, RoundingRule};
use arrears::plan::{quote, QuoteError, QuoteRequest, Schedule};
use arrears::Arrears;

use crate::args::PlanQuoteArgs;
use crate::input::{self, Sign};
use crate::output::{self, Table};
use crate::refs;
use crate::Status;

/// The balance and currency a quote is for, and where they came from.
pub(crate) struct Balance {
    pub(crate) minor: i64,
    pub(crate) currency: Currency,
    /// `account A3 (TC-8001) on 2026-11-20`, for the text output.
    pub(crate) source: Option<String>,
}

/// The balance given by `--balance` and `--currency`, or `None` when the quote is for an
/// account (then the caller opens the store and calls [`account_balance`]).
pub(crate) fn given_balance(args: &PlanQuoteArgs) -> Result<Option<Balance>> {
    let (Some(text), Some(currency)) = (&args.balance, args.currency) else {
        return Ok(None);
    };
    let money = input::amount(text, currency, Sign::Positive)
        .map_err(|reason| anyhow!("--balance: {reason}"))?;
    let minor = money.to_minor().map_err(|error| anyhow!("--balance: {error}"))?;
    Ok(Some(Balance { minor, currency, source: None }))
}

/// What the account owes on `--on`, less what is disputed: the balance a plan created that
/// day would replace.
pub(crate) fn account_balance(books: &Arrears, args: &PlanQuoteArgs) -> Result<Balance> {
    let (Some(text), Some(on)) = (&args.account, args.on) else {
        bail!("--account and --on, or --balance and --currency, are required");
    };
    let account = refs::account(books, text, "--account")?;
    let view = books.account_view(account.id, on)?;
    let disputed: i64 = view
        .obligations
        .iter()
        .filter(|obligation| obligation.disputed)
        .map(|obligation| obligation.outstanding_minor.iter().sum::<i64>())
        .sum();
    let minor = view.total_outstanding_minor - disputed;
    let source = format!("account {} on {on}", refs::describe_account(&account));
    if minor <= 0 {
        bail!(
            "--account: {source} owes nothing undisputed ({} outstanding, {} disputed)",
            format_minor(view.total_outstanding_minor, account.currency),
            format_minor(disputed, account.currency)
        );
    }
    Ok(Balance { minor, currency: account.currency, source: Some(source) })
}

/// One installment as printed with `--json`: amounts as decimal strings of the currency.
#[derive(Serialize)]
struct InstallmentJson {
    n: u32,
    due_on: chrono::NaiveDate,
    amount: String,
    principal: String,
    interest: String,
    remaining: String,
}

#[derive(Serialize)]
struct ScheduleJson {
    installments: Vec<InstallmentJson>,
    total: String,
    total_interest: String,
}

pub(crate) fn quote_command(
    balance: &Balance,
    args: &PlanQuoteArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let schedule_args = &args.schedule;
    let request = QuoteRequest {
        balance_minor: balance.minor,
        currency: balance.currency,
        annual_rate: schedule_args.annual_rate,
        installments: schedule_args.installments,
        frequency: schedule_args.frequency,
        first_due: schedule_args.first_due,
        rounding: RoundingRule::HalfEven,
    };
    let schedule = quote(&request).map_err(|error| {
        let flag = match &error {
            QuoteError::Balance { .. } if balance.source.is_some() => "--account",
            QuoteError::Balance { .. } => "--balance",
            QuoteError::Installments { .. } => "--installments",
            QuoteError::Rate { .. } => "--annual-rate",
            _ => "--first-due",
        };
        anyhow::Error::from(error).context(flag)
    })?;
    let currency = schedule.currency;
    let m = |amount_minor: i64| format_minor(amount_minor, currency);
    if json {
        output::json(out, &schedule_json(&schedule))?;
        return Ok(Status::Ok);
    }
    let source = balance.source.as_ref().map(|source| format!(" ({source})")).unwrap_or_default();
    writeln!(
        out,
        "plan quote: {} {currency}{source}, {} {} installments from {}, annual rate {}",
        m(balance.minor),
        schedule.installments.len(),
        request.frequency.name(),
        request.first_due,
        request.annual_rate
    )?;
    writeln!(out)?;
    let mut table = Table::new(&["n", "due_on", "amount", "principal", "interest", "remaining"])
        .numeric(&["n", "amount", "principal", "interest", "remaining"]);
    for installment in &schedule.installments {
        table.row(vec![
            installment.n.to_string(),
            installment.due_on.to_string(),
            m(installment.amount_minor),
            m(installment.principal_minor),
            m(installment.interest_minor),
            m(installment.remaining_minor),
        ]);
    }
    table.write(out, "")?;
    writeln!(out)?;
    let totals = [
        ("level installment", m(schedule.level_minor)),
        ("total", m(schedule.total_minor)),
        ("total interest", m(schedule.total_interest_minor)),
    ];
    let width = totals.iter().map(|(_, value)| value.len()).max().unwrap_or(0);
    for (label, value) in &totals {
        writeln!(out, "{label:<18} {value:>width$}")?;
    }
    Ok(Status::Ok)
}

fn schedule_json(schedule: &Schedule) -> ScheduleJson {
    let m = |amount_minor: i64| format_minor(amount_minor, schedule.currency);
    ScheduleJson {
        installments: schedule
            .installments
            .iter()
            .map(|installment| InstallmentJson {
                n: installment.n,
                due_on: installment.due_on,
                amount: m(installment.amount_minor),
                principal: m(installment.principal_minor),
                interest: m(installment.interest_minor),
                remaining: m(installment.remaining_minor),
            })
            .collect(),
        total: m(schedule.total_minor),
        total_interest: m(schedule.total_interest_minor),
    }
}
