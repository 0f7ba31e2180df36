//! `arrears report aging`, `arrears verify`, `arrears audit head` and `arrears migrate`.

use std::io::Write;

use anyhow::Result;

use arrears::aging::Bucket;
use arrears::Arrears;

use crate::args::{AgingArgs, VerifyArgs};
use crate::output::{self, money, Table};
use crate::Status;

/// `today` is the default date (the CLI's today; the library takes every date as an argument).
pub(crate) fn aging(
    books: &Arrears,
    args: &AgingArgs,
    today: chrono::NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let aging = books.portfolio_aging(args.as_of.unwrap_or(today))?;
    write_aging(&aging, args.csv, json, out)
}

/// Prints an aging report as JSON, CSV or a table (`report aging`, `portfolio report aging`).
pub(crate) fn write_aging(
    aging: &arrears::PortfolioAging,
    csv: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if json {
        output::json(out, aging)?;
        return Ok(Status::Ok);
    }
    if csv {
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

pub(crate) fn verify(
    books: &mut Arrears,
    args: &VerifyArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let pages = if args.pages {
        let started = std::time::Instant::now();
        let checked = books.check_pages()?;
        Some((checked, started.elapsed()))
    } else {
        None
    };
    let report = books.verify()?;
    let anchored = match &args.anchor {
        Some(anchor) => Some(books.check_anchor(anchor)?),
        None => None,
    };
    let repaired = matches!(pages, Some((arrears::PagesChecked::Repaired, _)));
    let clean = report.is_clean() && anchored != Some(false) && !repaired;
    if json {
        let mut value = serde_json::to_value(&report)?;
        if let (Some(object), Some((_, elapsed))) = (value.as_object_mut(), pages) {
            let checked = if repaired { "repaired" } else { "intact" };
            object.insert("pages".to_owned(), checked.into());
            object.insert("pages_ms".to_owned(), (elapsed.as_millis() as u64).into());
        }
        if let (Some(object), Some(anchor)) = (value.as_object_mut(), &args.anchor) {
            object.insert("anchor".to_owned(), anchor.to_string().into());
            object.insert("anchor_held".to_owned(), anchored.unwrap_or(false).into());
        }
        output::json(out, &value)?;
        return Ok(if clean { Status::Ok } else { Status::Failed });
    }
    if let Some((_, elapsed)) = pages {
        let ms = elapsed.as_millis();
        if repaired {
            writeln!(out, "pages: damaged, and repaired by redb ({ms} ms); verify again")?;
        } else {
            writeln!(out, "pages: intact ({ms} ms)")?;
        }
    }
    for problem in &report.problems {
        writeln!(out, "{problem}")?;
    }
    if let (Some(anchor), Some(held)) = (&args.anchor, anchored) {
        if held {
            writeln!(out, "anchor {anchor}: held (the store extends the anchored chain)")?;
        } else {
            writeln!(
                out,
                "anchor {anchor}: NOT held (record {} is gone or has another hash: the log was \
                 rewritten or cut)",
                anchor.seq
            )?;
        }
    }
    let problems =
        report.problems.len() + usize::from(anchored == Some(false)) + usize::from(repaired);
    if clean {
        writeln!(
            out,
            "ok: {} accounts, {} entries checked",
            report.accounts_checked, report.entries_checked
        )?;
    } else {
        writeln!(
            out,
            "{problems} problems: {} accounts, {} entries checked",
            report.accounts_checked, report.entries_checked
        )?;
    }
    Ok(if clean { Status::Ok } else { Status::Failed })
}

/// `arrears audit head`: the chain's head as `HASH@SEQ`.
pub(crate) fn audit_head(books: &Arrears, json: bool, out: &mut dyn Write) -> Result<Status> {
    let head = books.audit_head()?;
    if json {
        let value = serde_json::json!({
            "anchor": head.map(|anchor| anchor.to_string()),
            "seq": head.map(|anchor| anchor.seq),
        });
        output::json(out, &value)?;
    } else {
        match head {
            Some(anchor) => writeln!(out, "{anchor}")?,
            None => writeln!(out, "the audit log is empty")?,
        }
    }
    Ok(Status::Ok)
}

/// `report experience`: the experience budget used against allowed, per segment.
/// `arrears report credit-balances`.
pub(crate) fn credit_balances(
    books: &Arrears,
    as_of: chrono::NaiveDate,
    held_days: u32,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let rows = books.report_credit_balances(as_of, held_days)?;
    if json {
        output::json(out, &rows)?;
        return Ok(Status::Ok);
    }
    if rows.is_empty() {
        writeln!(out, "no unapplied cash held {held_days} days or more on {as_of}")?;
        return Ok(Status::Ok);
    }
    let mut table = Table::new(&[
        "account",
        "debtor",
        "unapplied",
        "currency",
        "held_since",
        "days",
        "owed",
        "charged_off",
    ])
    .numeric(&["unapplied", "days", "owed"]);
    for row in &rows {
        let account = match &row.external_ref {
            Some(reference) => format!("{} ({reference})", row.account),
            None => row.account.to_string(),
        };
        table.row(vec![
            account,
            row.debtor.to_string(),
            arrears::money::format_minor(row.unapplied_minor, row.currency),
            row.currency.to_string(),
            row.held_since.to_string(),
            row.days_held.to_string(),
            arrears::money::format_minor(row.owed_minor, row.currency),
            if row.charged_off { "yes" } else { "no" }.to_owned(),
        ]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}

pub(crate) fn experience(
    books: &Arrears,
    to: chrono::NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let report = books.report_experience(to)?;
    if json {
        output::json(out, &report)?;
        return Ok(Status::Ok);
    }
    if report.segments.is_empty() {
        writeln!(out, "no experience budget in the policy ([experience], docs/MESSAGES.md)")?;
        return Ok(Status::Ok);
    }
    let from = to - chrono::Days::new(6);
    writeln!(out, "contacts from {from} to {to}")?;
    let mut table = Table::new(&[
        "segment",
        "per_debtor",
        "debtors",
        "allowed",
        "used",
        "at_budget",
        "over_budget",
    ])
    .numeric(&["per_debtor", "debtors", "allowed", "used", "at_budget", "over_budget"]);
    for row in &report.segments {
        table.row(vec![
            row.segment.clone(),
            row.allowed_per_debtor.to_string(),
            row.debtors.to_string(),
            row.contacts_allowed.to_string(),
            row.contacts_used.to_string(),
            row.debtors_at_budget.to_string(),
            row.debtors_over_budget.to_string(),
        ]);
    }
    table.write(out, "")?;
    if report.debtors_without_budget > 0 {
        writeln!(
            out,
            "{} debtors in no segment and no default budget",
            report.debtors_without_budget
        )?;
    }
    Ok(Status::Ok)
}

/// `arrears migrate`: brings an older store to the current format (or resumes a stopped
/// migration), and says what it did.
pub(crate) fn migrate(
    cli: &crate::args::Cli,
    options: arrears::Options,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let path = cli.db.as_path();
    let migration = Arrears::migrate(path, options).map_err(|error| match error {
        arrears::MigrateError::Open(error) => crate::store_error(cli, error),
        other => other.into(),
    })?;
    if json {
        let value = serde_json::json!({
            "migrated": path.display().to_string(),
            "from": migration.from,
            "to": migration.to,
            "resumed_at_account": migration.resumed_at,
            "accounts": migration.accounts,
            "commands": migration.commands,
            "commits": migration.steps,
        });
        output::json(out, &value)?;
    } else {
        let resumed = match migration.resumed_at {
            Some(account) => format!(", resumed at account {account}"),
            None => String::new(),
        };
        writeln!(
            out,
            "migrated {} from format {} to {}: {} accounts rewritten, {} commands' idempotency \
             records moved, in {} commits{resumed}",
            path.display(),
            migration.from,
            migration.to,
            migration.accounts,
            migration.commands,
            migration.steps
        )?;
    }
    Ok(Status::Ok)
}
