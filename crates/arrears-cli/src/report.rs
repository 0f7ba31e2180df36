//! `arrears report aging` and `arrears verify`.

use std::io::Write;

use anyhow::Result;

use arrears::aging::Bucket;
use arrears::Arrears;

use crate::args::AgingArgs;
use crate::output::{self, money, Table};
use crate::Status;

pub(crate) fn aging(
    books: &Arrears,
    args: &AgingArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let aging = books.portfolio_aging(args.as_of)?;
    if json {
        output::json(out, &aging)?;
        return Ok(Status::Ok);
    }
    if args.csv {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["currency", "bucket", "amount", "accounts"])?;
        for row in &aging.rows {
            for bucket in Bucket::ALL {
                writer.write_record([
                    row.currency.code(),
                    bucket.label(),
                    &money(row.amounts_minor[bucket.index()], row.currency),
                    &row.accounts[bucket.index()].to_string(),
                ])?;
            }
        }
        writer.flush()?;
        return Ok(Status::Ok);
    }
    writeln!(out, "aging as of {}", aging.as_of)?;
    if aging.rows.is_empty() {
        writeln!(out, "no accounts open on {}", aging.as_of)?;
        return Ok(Status::Ok);
    }
    let mut table =
        Table::new(&["currency", "bucket", "amount", "accounts"]).numeric(&["amount", "accounts"]);
    for row in &aging.rows {
        let currency = row.currency;
        for bucket in Bucket::ALL {
            table.row(vec![
                currency.to_string(),
                bucket.label().to_owned(),
                money(row.amounts_minor[bucket.index()], currency),
                row.accounts[bucket.index()].to_string(),
            ]);
        }
        table.row(vec![
            currency.to_string(),
            "total".to_owned(),
            money(row.total_minor, currency),
            row.accounts.iter().sum::<u64>().to_string(),
        ]);
        table.row(vec![
            currency.to_string(),
            "disputed".to_owned(),
            money(row.disputed_minor, currency),
            String::new(),
        ]);
        table.row(vec![
            currency.to_string(),
            "charged off".to_owned(),
            money(row.charged_off_owed_minor, currency),
            row.charged_off_accounts.to_string(),
        ]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}

pub(crate) fn verify(books: &Arrears, json: bool, out: &mut dyn Write) -> Result<Status> {
    let report = books.verify()?;
    if json {
        output::json(out, &report)?;
    } else if report.is_clean() {
        writeln!(
            out,
            "ok: {} accounts, {} entries checked",
            report.accounts_checked, report.entries_checked
        )?;
    } else {
        for problem in &report.problems {
            writeln!(out, "{problem}")?;
        }
        writeln!(
            out,
            "{} problems: {} accounts, {} entries checked",
            report.problems.len(),
            report.accounts_checked,
            report.entries_checked
        )?;
    }
    Ok(if report.is_clean() { Status::Ok } else { Status::Failed })
}
