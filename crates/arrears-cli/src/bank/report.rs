//! `arrears bank report`: how imported credit lines were matched (lines and money by rule) and
//! how long the cash held in suspense has waited (docs/CASH.md, "Reports").

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;

use arrears::money::Currency;
use arrears::Arrears;

use crate::output::{money, Table};
use crate::Status;

/// The suspense aging buckets: the label and the most days a line has waited in it.
const BUCKETS: [(&str, i64); 4] = [("0-7", 7), ("8-30", 30), ("31-90", 90), ("90+", i64::MAX)];

/// What a line no rule posted is reported under.
const UNMATCHED: &str = "(no rule)";

/// `arrears bank report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The day suspense is aged at (default: today).
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

/// The lines one rule decided in one currency.
#[derive(Debug, Default, Serialize)]
struct RuleRow {
    rule: String,
    currency: String,
    lines: u64,
    amount_minor: i64,
    posted_minor: i64,
}

/// What suspense holds in one currency and bucket.
#[derive(Debug, Serialize)]
struct AgingRow {
    currency: String,
    bucket: &'static str,
    lines: u64,
    held_minor: i64,
}

/// The report.
#[derive(Debug, Serialize)]
struct Report {
    as_of: NaiveDate,
    lines: u64,
    credits_minor: BTreeMap<String, i64>,
    by_rule: Vec<RuleRow>,
    suspense_aging: Vec<AgingRow>,
}

/// `arrears bank report`; `today` is the default `--as-of`.
pub(crate) fn run(
    books: &Arrears,
    args: &ReportArgs,
    today: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let report = build(books, args.as_of.unwrap_or(today))?;
    if json {
        crate::output::json(out, &report)?;
    } else {
        print(&report, out)?;
    }
    Ok(Status::Ok)
}

fn build(books: &Arrears, as_of: NaiveDate) -> Result<Report> {
    let mut rows: BTreeMap<(String, Currency), RuleRow> = BTreeMap::new();
    let mut credits_minor = BTreeMap::new();
    let mut lines = 0;
    for record in books.bank_matches()? {
        lines += 1;
        *credits_minor.entry(record.currency.to_string()).or_insert(0) += record.amount_minor;
        let rule = record.rule.unwrap_or_else(|| UNMATCHED.to_owned());
        let row = rows.entry((rule.clone(), record.currency)).or_default();
        row.rule = rule;
        row.currency = record.currency.to_string();
        row.lines += 1;
        row.amount_minor += record.amount_minor;
        row.posted_minor += record.posted_minor;
    }
    let mut aging: BTreeMap<(Currency, usize), (u64, i64)> = BTreeMap::new();
    for line in books.bank_lines()? {
        let held_minor = line.held_minor();
        if held_minor <= 0 {
            continue;
        }
        let days = (as_of - line.value_on).num_days();
        let bucket =
            BUCKETS.iter().position(|(_, most)| days <= *most).unwrap_or(BUCKETS.len() - 1);
        let cell = aging.entry((line.currency, bucket)).or_insert((0, 0));
        cell.0 += 1;
        cell.1 += held_minor;
    }
    let suspense_aging = aging
        .into_iter()
        .map(|((currency, bucket), (lines, held_minor))| AgingRow {
            currency: currency.to_string(),
            bucket: BUCKETS[bucket].0,
            lines,
            held_minor,
        })
        .collect();
    Ok(Report {
        as_of,
        lines,
        credits_minor,
        by_rule: rows.into_values().collect(),
        suspense_aging,
    })
}

/// `part` of `total` as a percentage with one decimal, computed in integers (`0.0%` of none).
fn share(part: i64, total: i64) -> String {
    if total <= 0 {
        return "0.0%".to_owned();
    }
    let permille = (i128::from(part) * 1000 + i128::from(total) / 2) / i128::from(total);
    format!("{}.{}%", permille / 10, permille % 10)
}

fn print(report: &Report, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "credit lines imported: {}", report.lines)?;
    let mut table =
        Table::new(&["rule", "currency", "lines", "of lines", "amount", "of amount", "posted"])
            .numeric(&["lines", "of lines", "amount", "of amount", "posted"]);
    let all_lines = i64::try_from(report.lines).unwrap_or(i64::MAX);
    for row in &report.by_rule {
        let currency: Currency =
            row.currency.parse().map_err(|error| anyhow::anyhow!("{error}"))?;
        let total = report.credits_minor.get(&row.currency).copied().unwrap_or(0);
        let lines = i64::try_from(row.lines).unwrap_or(i64::MAX);
        table.row(vec![
            row.rule.clone(),
            row.currency.clone(),
            row.lines.to_string(),
            share(lines, all_lines),
            money(row.amount_minor, currency),
            share(row.amount_minor, total),
            money(row.posted_minor, currency),
        ]);
    }
    if !table.is_empty() {
        table.write(out, "")?;
    }
    writeln!(out, "suspense aging as of {} (days since the value date)", report.as_of)?;
    if report.suspense_aging.is_empty() {
        writeln!(out, "nothing held in suspense")?;
        return Ok(());
    }
    let mut table =
        Table::new(&["currency", "bucket", "lines", "held"]).numeric(&["lines", "held"]);
    for row in &report.suspense_aging {
        let currency: Currency =
            row.currency.parse().map_err(|error| anyhow::anyhow!("{error}"))?;
        table.row(vec![
            row.currency.clone(),
            row.bucket.to_owned(),
            row.lines.to_string(),
            money(row.held_minor, currency),
        ]);
    }
    table.write(out, "")?;
    Ok(())
}
