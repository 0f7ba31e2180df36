//! `arrears list accounts | debtors` and `arrears show debtor`.
//!
//! Lists run over the library's iterators (`Arrears::list_accounts`, `list_debtors`): stable
//! ascending id order, a page of `--limit` rows (100 by default; `--all` for every row), and a
//! cursor to the next page (`--after`, printed at the end of a page that has more). Output as a
//! table, `--json` (one object: the rows and the next cursor) or `--csv`.

use std::io::Write;

use anyhow::{bail, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;

use arrears::aging::Bucket;
use arrears::case::ActionStatus;
use arrears::lists::{AccountFilter, AccountRow, DebtorFilter, DebtorRow};
use arrears::money::Currency;
use arrears::policy::Signal;
use arrears::Arrears;

use crate::args::parse_date;
use crate::output::{self, money, opt, Table};
use crate::refs;
use crate::Status;

/// Rows in a page when `--limit` is not given.
const LIMIT_DEFAULT: usize = 100;

/// `arrears list ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ListCommand {
    /// Accounts filtered by state, stage, bucket, days past due, balance, currency, arm,
    /// agency, promises, plan and signal, in id order.
    Accounts(ListAccountsArgs),
    /// Debtors searched by name, external reference, phone or e-mail, in id order.
    Debtors(ListDebtorsArgs),
}

/// Paging and output format, shared by the lists.
#[derive(Debug, Args)]
pub(crate) struct Page {
    /// Rows in the page, at least 1.
    #[arg(long, value_name = "N", default_value_t = LIMIT_DEFAULT, conflicts_with = "all")]
    pub(crate) limit: usize,
    /// Every row, in one page.
    #[arg(long)]
    pub(crate) all: bool,
    /// Start after this record (its external reference or id): the cursor a page prints.
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) after: Option<String>,
    /// CSV (a header and one line per row) instead of a table.
    #[arg(long)]
    pub(crate) csv: bool,
}

/// `arrears list accounts`.
#[derive(Debug, Args)]
pub(crate) struct ListAccountsArgs {
    /// Balances, days past due and signals at the end of this date (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
    /// Collection states, any of (repeat or separate with commas): current, delinquent,
    /// promised, in_plan, disputed, hardship, placed, legal, charged_off, settled, paid, closed.
    #[arg(long, value_name = "STATE", value_delimiter = ',', value_parser = parse_state)]
    pub(crate) state: Vec<String>,
    /// Policy stages, any of.
    #[arg(long, value_name = "STAGE", value_delimiter = ',')]
    pub(crate) stage: Vec<String>,
    /// Aging buckets, any of: current, 1-30, 31-60, 61-90, 91-120, 121-180, 180+.
    #[arg(long, value_name = "BUCKET", value_delimiter = ',', value_parser = parse_bucket)]
    pub(crate) bucket: Vec<Bucket>,
    /// Least days past due.
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    pub(crate) dpd_min: Option<i64>,
    /// Most days past due.
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    pub(crate) dpd_max: Option<i64>,
    /// Least total outstanding, in the account's currency (`100.00`).
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) balance_min: Option<Decimal>,
    /// Most total outstanding, in the account's currency.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount, allow_negative_numbers = true)]
    pub(crate) balance_max: Option<Decimal>,
    /// The accounts' currency (ISO 4217).
    #[arg(long, value_name = "CODE", value_parser = parse_currency)]
    pub(crate) currency: Option<Currency>,
    /// The champion/challenger arm.
    #[arg(long, value_name = "ARM")]
    pub(crate) arm: Option<String>,
    /// The agency the accounts are placed with.
    #[arg(long, value_name = "AGENCY")]
    pub(crate) agency: Option<String>,
    /// With (true) or without (false) an open promise to pay.
    #[arg(long, value_name = "BOOL")]
    pub(crate) open_promise: Option<bool>,
    /// With (true) or without (false) a promise broken, ever.
    #[arg(long, value_name = "BOOL")]
    pub(crate) broken_promise: Option<bool>,
    /// With (true) or without (false) an active payment plan.
    #[arg(long, value_name = "BOOL")]
    pub(crate) plan: Option<bool>,
    /// With this signal present (broken_promise, unreturned_calls, ...).
    #[arg(long, value_name = "SIGNAL", value_parser = parse_signal)]
    pub(crate) signal: Option<Signal>,
    #[command(flatten)]
    pub(crate) page: Page,
}

/// `arrears list debtors`.
#[derive(Debug, Args)]
pub(crate) struct ListDebtorsArgs {
    /// A part of the name, in any case.
    #[arg(long, value_name = "TEXT")]
    pub(crate) name: Option<String>,
    /// The external reference, exactly.
    #[arg(long = "ref", value_name = "REF")]
    pub(crate) external_ref: Option<String>,
    /// A phone or mobile number (digits compared; 7 or more trailing digits match).
    #[arg(long, value_name = "NUMBER")]
    pub(crate) phone: Option<String>,
    /// An e-mail address, in any case.
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) email: Option<String>,
    #[command(flatten)]
    pub(crate) page: Page,
}

/// `arrears show debtor`.
#[derive(Debug, Args)]
pub(crate) struct ShowDebtorArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// Balances and days past due at the end of this date (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

fn parse_state(text: &str) -> Result<String, String> {
    let names = arrears::lists::state_names();
    if names.contains(&text) {
        Ok(text.to_owned())
    } else {
        Err(format!("{text:?} is not a state; the states are {}", names.join(", ")))
    }
}

fn parse_bucket(text: &str) -> Result<Bucket, String> {
    Bucket::ALL.into_iter().find(|bucket| bucket.label() == text).ok_or_else(|| {
        let labels: Vec<&str> = Bucket::ALL.iter().map(|bucket| bucket.label()).collect();
        format!("{text:?} is not a bucket; the buckets are {}", labels.join(", "))
    })
}

fn parse_signal(text: &str) -> Result<Signal, String> {
    Signal::ALL.into_iter().find(|signal| signal.name() == text).ok_or_else(|| {
        let names: Vec<&str> = Signal::ALL.iter().map(|signal| signal.name()).collect();
        format!("{text:?} is not a signal; the signals are {}", names.join(", "))
    })
}

fn parse_amount(text: &str) -> Result<Decimal, String> {
    crate::input::plain_decimal(text)
        .ok_or_else(|| format!("{text:?} is not an amount (digits, a point, up to 28 digits)"))
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::from_code(text).map_err(|error| error.to_string())
}

/// A page of `rows`: at most `limit` (all with `--all`), and whether more follow.
fn page_of<T>(
    rows: impl Iterator<Item = Result<T, arrears::QueryError>>,
    page: &Page,
) -> Result<(Vec<T>, bool)> {
    if !page.all {
        crate::args::check_count("--limit", page.limit, "a page holds at least 1 row")?;
    }
    let limit = if page.all { usize::MAX } else { page.limit };
    let mut taken = Vec::new();
    for row in rows {
        let row = row?;
        if taken.len() == limit {
            return Ok((taken, true));
        }
        taken.push(row);
    }
    Ok((taken, false))
}

/// `arrears list accounts`.
pub(crate) fn accounts(
    books: &Arrears,
    args: &ListAccountsArgs,
    today: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if json && args.page.csv {
        bail!("--json and --csv: choose one output format");
    }
    // A range that ends before it starts matches nothing: a typo, not a question.
    if let (Some(min), Some(max)) = (args.dpd_min, args.dpd_max) {
        if min > max {
            bail!("--dpd-min {min} is above --dpd-max {max}: no account could match");
        }
    }
    for (flag, amount) in [("--balance-min", args.balance_min), ("--balance-max", args.balance_max)]
    {
        if let Some(amount) = amount.filter(|amount| *amount < Decimal::ZERO) {
            return Err(crate::args::out_of_range(flag, amount, "a balance is 0 or more"));
        }
    }
    if let (Some(min), Some(max)) = (args.balance_min, args.balance_max) {
        if min > max {
            bail!("--balance-min {min} is above --balance-max {max}: no account could match");
        }
    }
    let as_of = args.as_of.unwrap_or(today);
    let mut filter = AccountFilter::default();
    filter.states.clone_from(&args.state);
    filter.stages.clone_from(&args.stage);
    filter.buckets.clone_from(&args.bucket);
    filter.days_past_due_min = args.dpd_min;
    filter.days_past_due_max = args.dpd_max;
    filter.balance_min = args.balance_min;
    filter.balance_max = args.balance_max;
    filter.currency = args.currency;
    filter.arm.clone_from(&args.arm);
    filter.agency.clone_from(&args.agency);
    filter.open_promise = args.open_promise;
    filter.broken_promise = args.broken_promise;
    filter.plan = args.plan;
    filter.signal = args.signal;
    if let Some(after) = &args.page.after {
        filter.after = Some(refs::account(books, after, "--after")?.id);
    }
    let (rows, more) = page_of(books.list_accounts(filter, as_of)?, &args.page)?;
    let next = more.then(|| rows.last().map(|row| row.account.to_string())).flatten();
    if json {
        let value = serde_json::json!({ "as_of": as_of, "rows": rows, "next_after": next });
        output::json(out, &value)?;
        return Ok(Status::Ok);
    }
    let mut table = account_table();
    for row in &rows {
        table.row(account_cells(row));
    }
    if args.page.csv {
        write_csv(out, &table)?;
        return Ok(Status::Ok);
    }
    writeln!(out, "accounts as of {as_of}: {} shown", rows.len())?;
    if !table.is_empty() {
        table.write(out, "  ")?;
    }
    if let Some(next) = next {
        writeln!(out, "more: --after {next}")?;
    }
    Ok(Status::Ok)
}

fn account_table() -> Table {
    Table::new(&[
        "id",
        "ref",
        "debtor",
        "currency",
        "state",
        "stage",
        "arm",
        "agency",
        "dpd",
        "bucket",
        "outstanding",
        "past_due",
        "promise",
        "plan",
        "broken",
        "signals",
    ])
    .numeric(&["dpd", "outstanding", "past_due", "broken"])
}

fn account_cells(row: &AccountRow) -> Vec<String> {
    let signals: Vec<&str> = row.signals.iter().map(|signal| signal.name()).collect();
    vec![
        row.account.to_string(),
        opt(row.external_ref.as_deref()),
        row.debtor.to_string(),
        row.currency.to_string(),
        row.state.to_owned(),
        opt(row.stage.as_deref()),
        row.arm.clone(),
        opt(row.agency.as_deref()),
        row.days_past_due.to_string(),
        row.bucket.label().to_owned(),
        money(row.outstanding_minor, row.currency),
        money(row.past_due_minor, row.currency),
        yes_no(row.open_promise),
        yes_no(row.plan),
        row.broken_promises.to_string(),
        signals.join(" "),
    ]
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

fn write_csv(out: &mut dyn Write, table: &Table) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(table.headers())?;
    for row in table.rows() {
        writer.write_record(row)?;
    }
    writer.flush()?;
    Ok(())
}

/// `arrears list debtors`.
pub(crate) fn debtors(
    books: &Arrears,
    args: &ListDebtorsArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if json && args.page.csv {
        bail!("--json and --csv: choose one output format");
    }
    let mut filter = DebtorFilter::default();
    filter.name.clone_from(&args.name);
    filter.external_ref.clone_from(&args.external_ref);
    filter.phone.clone_from(&args.phone);
    filter.email.clone_from(&args.email);
    if let Some(phone) = &args.phone {
        if !phone.chars().any(|c| c.is_ascii_digit()) {
            bail!("--phone: {phone:?} has no digits");
        }
    }
    if let Some(after) = &args.page.after {
        filter.after = Some(refs::debtor(books, after, "--after")?.id);
    }
    let (rows, more) = page_of(books.list_debtors(filter)?, &args.page)?;
    let next = more.then(|| rows.last().map(|row| row.debtor.to_string())).flatten();
    if json {
        output::json(out, &serde_json::json!({ "rows": rows, "next_after": next }))?;
        return Ok(Status::Ok);
    }
    let mut table =
        Table::new(&["id", "ref", "name", "country", "language", "accounts"]).numeric(&[]);
    for row in &rows {
        table.row(debtor_cells(row));
    }
    if args.page.csv {
        write_csv(out, &table)?;
        return Ok(Status::Ok);
    }
    writeln!(out, "debtors: {} shown", rows.len())?;
    if !table.is_empty() {
        table.write(out, "  ")?;
    }
    if let Some(next) = next {
        writeln!(out, "more: --after {next}")?;
    }
    Ok(Status::Ok)
}

fn debtor_cells(row: &DebtorRow) -> Vec<String> {
    let accounts: Vec<String> = row.accounts.iter().map(ToString::to_string).collect();
    vec![
        row.debtor.to_string(),
        opt(row.external_ref.as_deref()),
        row.name.clone(),
        row.country.clone(),
        row.language.clone(),
        accounts.join(" "),
    ]
}

/// `arrears show debtor`.
pub(crate) fn show_debtor(
    books: &Arrears,
    args: &ShowDebtorArgs,
    today: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "debtor")?;
    let as_of = args.as_of.unwrap_or(today);
    let view = books.debtor_view(debtor.id, as_of)?;
    if json {
        output::json(out, &view)?;
        return Ok(Status::Ok);
    }
    let debtor = &view.debtor;
    writeln!(out, "debtor {}  {}", refs::describe_debtor(debtor), debtor.name)?;
    let region = debtor.jurisdiction.region.as_deref().map(|r| format!("-{r}")).unwrap_or_default();
    writeln!(
        out,
        "  {}  {}{region}  language {}  time zones {}",
        format!("{:?}", debtor.kind).to_lowercase(),
        debtor.jurisdiction.country,
        debtor.language,
        debtor.time_zones.join(", ")
    )?;
    // The flags set, by their names in files (`cease_communication`, ...).
    let flags = serde_json::to_value(debtor.flags)?;
    let set: Vec<&str> = flags
        .as_object()
        .map(|flags| {
            flags
                .iter()
                .filter(|(_, value)| **value == true)
                .map(|(name, _)| name.as_str())
                .collect()
        })
        .unwrap_or_default();
    writeln!(out, "  flags: {}", if set.is_empty() { "none".to_owned() } else { set.join(", ") })?;
    let restrictions = &debtor.restrictions;
    let mut restricted = Vec::new();
    if restrictions.work_contact_prohibited {
        restricted.push("work contact prohibited".to_owned());
    }
    if restrictions.litigation_served {
        restricted.push("litigation served".to_owned());
    }
    if let Some(at) = restrictions.call_consent_given_at {
        restricted.push(format!("call consent given {}", at.to_rfc3339()));
    }
    if !restrictions.opted_out_channels.is_empty() {
        let channels: Vec<&str> =
            restrictions.opted_out_channels.iter().map(|channel| channel.name()).collect();
        restricted.push(format!("channels opted out: {}", channels.join(" ")));
    }
    if !restricted.is_empty() {
        writeln!(out, "  restrictions: {}", restricted.join(", "))?;
    }
    for reported in &debtor.reported_signals {
        let until = reported.expires_on.map(|on| format!(" until {on}")).unwrap_or_default();
        let evidence = if reported.evidence.is_empty() {
            String::new()
        } else {
            format!(": {}", reported.evidence)
        };
        writeln!(
            out,
            "  signal: {} from {}{until} ({}{evidence})",
            reported.signal.name(),
            reported.observed_on,
            reported.source
        )?;
    }
    if let Some(attorney) = &debtor.attorney {
        let reach: Vec<String> = [&attorney.firm, &attorney.phone, &attorney.email]
            .into_iter()
            .chain([&attorney.postal_address])
            .flatten()
            .cloned()
            .collect();
        writeln!(
            out,
            "  attorney: {} since {}{}",
            attorney.name,
            attorney.since,
            if reach.is_empty() { String::new() } else { format!(" ({})", reach.join("; ")) }
        )?;
    }

    writeln!(out, "\ncontact points")?;
    let mut points = Table::new(&["channel", "address", "kind", "consent", "opted_out"]);
    for point in &debtor.contact_points {
        points.row(vec![
            point.channel.name().to_owned(),
            point.address.clone(),
            format!("{:?}", point.kind).to_lowercase(),
            yes_no(point.consent),
            yes_no(point.opted_out),
        ]);
    }
    write_or_none(out, &points)?;
    if !debtor.restrictions.consents.is_empty() {
        writeln!(out, "\nconsent records")?;
        let mut consents = Table::new(&["channel", "address", "consent", "at", "source"]);
        for record in &debtor.restrictions.consents {
            consents.row(vec![
                record.channel.name().to_owned(),
                record.address.clone(),
                if record.consent { "given" } else { "withdrawn" }.to_owned(),
                record.at.to_rfc3339(),
                record.source.clone(),
            ]);
        }
        consents.write(out, "  ")?;
    }

    writeln!(out, "\naccounts as of {as_of}")?;
    let mut accounts = account_table();
    for row in &view.accounts {
        accounts.row(account_cells(row));
    }
    write_or_none(out, &accounts)?;

    writeln!(out, "\npromises, plans, settlements, placements")?;
    let mut commitments = Table::new(&["account", "kind", "since", "terms"]);
    for (row, case) in view.accounts.iter().zip(&view.cases) {
        let m = |minor: i64| money(minor, row.currency);
        if let Some(promise) = &case.promise {
            let terms: Vec<String> = promise
                .payments
                .iter()
                .map(|payment| format!("{} on {}", m(payment.amount_minor), payment.on))
                .collect();
            commitments.row(vec![
                row.account.to_string(),
                "promise".to_owned(),
                promise.made_on.to_string(),
                terms.join(", "),
            ]);
        }
        if let Some(plan) = &case.plan {
            commitments.row(vec![
                row.account.to_string(),
                "plan".to_owned(),
                plan.created_on.to_string(),
                format!(
                    "{} installments, {} in all, {} missed",
                    plan.installments.len(),
                    m(plan.total_minor),
                    plan.missed
                ),
            ]);
        }
        if let Some(settlement) = &case.settlement {
            let accepted = settlement
                .accepted_on
                .map_or_else(|| "not accepted".to_owned(), |on| format!("accepted {on}"));
            commitments.row(vec![
                row.account.to_string(),
                "settlement".to_owned(),
                settlement.offered_on.to_string(),
                format!(
                    "{} until {}, {accepted}",
                    m(settlement.amount_minor),
                    settlement.expires_on
                ),
            ]);
        }
        if let Some(placement) = &case.placement {
            commitments.row(vec![
                row.account.to_string(),
                "placement".to_owned(),
                placement.placed_on.to_string(),
                format!("{}, commission {}", placement.agency, placement.commission_rate),
            ]);
        }
    }
    write_or_none(out, &commitments)?;

    writeln!(out, "\npending actions")?;
    let mut actions = Table::new(&["id", "channel", "address", "template", "scheduled_at"]);
    for action in &view.pending_actions {
        if action.status != ActionStatus::Pending {
            continue;
        }
        actions.row(vec![
            action.id.to_string(),
            action.channel.name().to_owned(),
            action.address.clone(),
            action.template.clone(),
            action.scheduled_at.to_rfc3339(),
        ]);
    }
    write_or_none(out, &actions)?;

    writeln!(out, "\nnotes")?;
    let mut notes = Table::new(&["at", "author", "account", "note"]);
    for note in &view.notes {
        notes.row(vec![
            note.at.to_rfc3339(),
            note.author.clone(),
            opt(note.account),
            note.text.clone(),
        ]);
    }
    write_or_none(out, &notes)?;

    writeln!(out, "\ncontact history")?;
    let mut contacts = Table::new(&["at", "direction", "channel", "address", "outcome", "action"]);
    for contact in &view.contacts {
        contacts.row(vec![
            contact.at.to_rfc3339(),
            if contact.inbound { "inbound" } else { "outbound" }.to_owned(),
            contact.channel.name().to_owned(),
            contact.address.clone(),
            contact.outcome.name().to_owned(),
            opt(contact.action),
        ]);
    }
    write_or_none(out, &contacts)?;
    Ok(Status::Ok)
}

fn write_or_none(out: &mut dyn Write, table: &Table) -> Result<()> {
    if table.is_empty() {
        writeln!(out, "  none")?;
    } else {
        table.write(out, "  ")?;
    }
    Ok(())
}
