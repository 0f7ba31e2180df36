//! `arrears show account`: balances, aging, obligations and the journal of one account.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;

use arrears::ledger::EntryKind;
use arrears::model::{Account, Component, DayCount, InterestBase, LateFeeRule, ObligationKind};
use arrears::Arrears;

use crate::args::ShowAccountArgs;
use crate::output::{self, money, opt, postings_table, Table};
use crate::refs;
use crate::Status;

pub(crate) fn account(
    books: &Arrears,
    args: &ShowAccountArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let account = refs::account(books, &args.account, "account")?;
    let events = books.events(account.id)?;
    // The default date comes from the account's own history, never from the clock, so that
    // the output is reproducible.
    let latest = events.iter().map(|record| record.event.effective_on).max();
    let as_of =
        args.as_of.unwrap_or_else(|| latest.unwrap_or(account.opened_on).max(account.opened_on));
    let view = books.account_view(account.id, as_of)?;
    let ledger = books.ledger(account.id)?;
    if json {
        output::json(out, &serde_json::json!({ "view": view, "ledger": ledger }))?;
        return Ok(Status::Ok);
    }
    let currency = account.currency;
    let m = |amount_minor: i64| money(amount_minor, currency);

    let debtor = books.debtor(account.debtor)?;
    writeln!(
        out,
        "account {}  {}  {}",
        refs::describe_account(&account),
        account.product.name(),
        currency
    )?;
    match debtor {
        Some(debtor) => writeln!(
            out,
            "debtor  {}{}  {}",
            debtor.id,
            debtor.external_ref.map(|reference| format!(" ({reference})")).unwrap_or_default(),
            debtor.name
        )?,
        None => writeln!(out, "debtor  {} (missing)", account.debtor)?,
    }
    let limit = account.credit_limit_minor.map_or_else(|| "none".to_owned(), m);
    writeln!(out, "opened  {}  credit limit {limit}", account.opened_on)?;
    writeln!(out, "terms   {}", terms(&account))?;
    writeln!(out, "as of   {as_of}")?;

    writeln!(out, "\nbalances")?;
    let mut balances: Vec<(&str, String)> = Component::ALL
        .into_iter()
        .map(|component| (component.name(), m(view.outstanding_minor[component.index()])))
        .collect();
    balances.push(("total outstanding", m(view.total_outstanding_minor)));
    balances.push(("unapplied", m(view.unapplied_minor)));
    balances.push(("past due", m(view.past_due_minor)));
    balances.push(("days past due", view.aging.days_past_due.to_string()));
    let width = balances.iter().map(|(_, value)| value.len()).max().unwrap_or(0);
    for (label, value) in &balances {
        writeln!(out, "  {label:<18} {value:>width$}")?;
    }
    writeln!(out, "  {:<18} {}", "bucket", view.aging.bucket)?;
    let charged_off = view.charged_off_on.map_or_else(|| "no".to_owned(), |on| on.to_string());
    writeln!(out, "  {:<18} {charged_off}", "charged off")?;

    writeln!(out, "\nobligations")?;
    let mut obligations = Table::new(&[
        "id",
        "ref",
        "kind",
        "issued",
        "due",
        "original",
        "outstanding",
        "dpd",
        "disputed",
    ])
    .numeric(&["original", "outstanding", "dpd"]);
    for item in &view.obligations {
        let obligation = &item.obligation;
        obligations.row(vec![
            obligation.id.to_string(),
            opt(obligation.external_ref.as_deref()),
            kind_name(obligation.kind).to_owned(),
            obligation.issued_on.to_string(),
            obligation.due_on.to_string(),
            m(obligation.original_minor.iter().sum()),
            m(item.outstanding_minor.iter().sum()),
            item.days_past_due.to_string(),
            if item.disputed { "yes" } else { "no" }.to_owned(),
        ]);
    }
    if obligations.is_empty() {
        writeln!(out, "  none issued on or before {as_of}")?;
    } else {
        obligations.write(out, "  ")?;
    }

    writeln!(out, "\nledger (every entry, in recording order)")?;
    if ledger.is_empty() {
        writeln!(out, "  no entries")?;
    }
    let events: HashMap<_, _> = events.iter().map(|record| (record.event.seq, record)).collect();
    for entry in &ledger {
        let event = events.get(&entry.event);
        let kind = match entry.kind {
            EntryKind::Original => "original",
            EntryKind::Correction => "correction",
        };
        writeln!(
            out,
            "  {} event {} {} ({kind})  effective {}  recorded {}{}",
            entry.id,
            entry.event,
            event.map_or("?", |record| record.event.kind.name()),
            entry.effective_on,
            entry.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            event.map(|record| format!("  key {}", record.key)).unwrap_or_default(),
        )?;
        postings_table(&entry.postings, currency).write(out, "      ")?;
    }
    Ok(Status::Ok)
}

fn terms(account: &Account) -> String {
    let currency = account.currency;
    let terms = &account.terms;
    let late_fee = match &terms.late_fee {
        LateFeeRule::None => "none".to_owned(),
        LateFeeRule::Flat { amount_minor } => format!("flat {}", money(*amount_minor, currency)),
        LateFeeRule::Percent { rate, min_minor, max_minor, rounding } => format!(
            "percent {rate} min {} max {} {}",
            money(*min_minor, currency),
            money(*max_minor, currency),
            rounding.name()
        ),
    };
    let interest = match &terms.interest {
        None => "none".to_owned(),
        Some(interest) => {
            let day_count = match interest.day_count {
                DayCount::Actual365 => "actual_365",
                DayCount::Actual360 => "actual_360",
                DayCount::Thirty360 => "thirty_360",
            };
            let base = match interest.base {
                InterestBase::OutstandingPrincipal => "outstanding_principal",
                InterestBase::PastDuePrincipal => "past_due_principal",
            };
            format!("{} {day_count} on {base}", interest.annual_rate)
        }
    };
    format!(
        "grace {} days, late fee {late_fee}, interest {interest}, waterfall {}",
        terms.grace_days,
        terms.waterfall.name()
    )
}

fn kind_name(kind: ObligationKind) -> &'static str {
    match kind {
        ObligationKind::Invoice => "invoice",
        ObligationKind::Installment => "installment",
        ObligationKind::Statement => "statement",
        ObligationKind::Fee => "fee",
        ObligationKind::Interest => "interest",
    }
}
