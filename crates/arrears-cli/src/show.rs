//! `arrears show account`: balances, aging, obligations, the collection case, the journal and
//! the audit trail of one account.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use chrono::NaiveDate;

use arrears::case::{AuditKind, AuditRecord, CollectionCase};
use arrears::collection::CollectionState;
use arrears::ledger::EntryKind;
use arrears::model::{Account, Component, InterestBase, LateFeeRule, ObligationKind};
use arrears::money::Currency;
use arrears::{Arrears, QueryError};

use crate::args::ShowAccountArgs;
use crate::output::{self, money, opt, postings_table, Table};
use crate::refs;
use crate::Status;

/// `today` is the default date: the account as it stands now, not as of its last event (an
/// account that stopped paying would look current forever).
pub(crate) fn account(
    books: &Arrears,
    args: &ShowAccountArgs,
    today: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let account = refs::account(books, &args.account, "account")?;
    let as_of = args.as_of.unwrap_or(today);
    let view = books.account_view(account.id, as_of)?;
    let ledger = books.ledger(account.id)?;
    let case = match books.case(account.id) {
        Ok(case) => Some(case),
        // `case` reports an account without a case as unknown; the account exists.
        Err(QueryError::UnknownAccount(_)) => None,
        Err(error) => return Err(error.into()),
    };
    let audit = books.audit_log(Some(account.id))?;
    if json {
        let value = serde_json::json!({
            "view": view,
            "ledger": ledger,
            "case": case,
            "audit": audit,
        });
        output::json(out, &value)?;
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

    writeln!(out, "\ncollection (as the case stands now, whatever --as-of)")?;
    match &case {
        Some(case) => write_case(out, case, currency)?,
        None => writeln!(out, "  no collection case")?,
    }

    writeln!(out, "\nledger (every entry, in recording order)")?;
    if ledger.is_empty() {
        writeln!(out, "  no entries")?;
    }
    let events = books.events(account.id)?;
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

    writeln!(out, "\naudit trail")?;
    if audit.is_empty() {
        writeln!(out, "  no records")?;
    } else {
        let mut table = Table::new(&["seq", "recorded_at", "kind", "details"]).numeric(&["seq"]);
        for record in &audit {
            let (kind, details) = audit_details(record);
            table.row(vec![
                record.seq.to_string(),
                record.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                kind.to_owned(),
                details,
            ]);
        }
        table.write(out, "  ")?;
    }
    Ok(Status::Ok)
}

/// The state with its payload: `delinquent (stage 2)`, `hardship until 2026-12-31`.
fn state_text(state: &CollectionState) -> String {
    match state {
        CollectionState::Delinquent { stage } => format!("delinquent (stage {stage})"),
        CollectionState::Hardship { until } => format!("hardship until {until}"),
        CollectionState::Placed { agency } => format!("placed with {agency}"),
        other => other.name().to_owned(),
    }
}

fn write_case(out: &mut dyn Write, case: &CollectionCase, currency: Currency) -> Result<()> {
    let m = |amount_minor: i64| money(amount_minor, currency);
    let mut lines: Vec<(&str, String)> = Vec::new();
    lines.push(("state", state_text(&case.state)));
    let stage = match (&case.stage, case.stage_entered_on) {
        (Some(stage), Some(on)) => format!("{stage} (since {on})"),
        (Some(stage), None) => stage.clone(),
        (None, _) => "none".to_owned(),
    };
    lines.push(("stage", stage));
    lines.push(("arm", case.arm.clone()));
    let flags = &case.flags;
    let set: Vec<&str> = [
        (flags.cease_communication, "cease_communication"),
        (flags.attorney_represented, "attorney_represented"),
        (flags.bankruptcy_stay, "bankruptcy_stay"),
        (flags.deceased, "deceased"),
        (flags.time_barred, "time_barred"),
        (flags.bankruptcy_discharged, "bankruptcy_discharged"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    lines.push(("flags", if set.is_empty() { "none".to_owned() } else { set.join(", ") }));
    let last = case.last_review_on.map(|on| format!(" (last {on})")).unwrap_or_default();
    lines.push(("next review", format!("{}{last}", case.next_review_on)));
    let promise = match &case.promise {
        None => "none".to_owned(),
        Some(promise) => {
            let payments: Vec<String> = promise
                .payments
                .iter()
                .map(|payment| format!("{} on {}", m(payment.amount_minor), payment.on))
                .collect();
            format!(
                "made {}: {}; {} grace days",
                promise.made_on,
                payments.join(", "),
                promise.grace_days
            )
        }
    };
    lines.push(("promise", promise));
    lines.push((
        "promises kept",
        format!("{} (broken {})", case.kept_promises, case.broken_promises),
    ));
    let plan = match &case.plan {
        None => "none".to_owned(),
        Some(plan) => {
            let installments = match (plan.installments.first(), plan.installments.last()) {
                (Some(first), Some(last)) if plan.installments.len() > 1 => {
                    format!("{first}..{last}")
                }
                (Some(first), _) => first.to_string(),
                _ => "none".to_owned(),
            };
            format!(
                "created {}, {} {} installments ({installments}), total {}, missed {} \
                 (defaults at {}), {} grace days",
                plan.created_on,
                plan.installments.len(),
                plan.frequency.name(),
                m(plan.total_minor),
                plan.missed,
                plan.default_after_missed,
                plan.grace_days
            )
        }
    };
    lines.push(("plan", plan));
    let settlement = match &case.settlement {
        None => "none".to_owned(),
        Some(settlement) => {
            let accepted = settlement
                .accepted_on
                .map_or_else(|| "not accepted".to_owned(), |on| format!("accepted {on}"));
            format!(
                "{} offered {}, expires {}, {accepted}",
                m(settlement.amount_minor),
                settlement.offered_on,
                settlement.expires_on
            )
        }
    };
    lines.push(("settlement", settlement));
    let placement = match &case.placement {
        None => "none".to_owned(),
        Some(placement) => format!(
            "{} since {}, commission {}",
            placement.agency, placement.placed_on, placement.commission_rate
        ),
    };
    lines.push(("placement", placement));
    lines.push(("credit hold", if case.credit_hold { "yes" } else { "no" }.to_owned()));
    // Shown once recorded only: most cases never have one.
    if let Some(forbearance) = &case.forbearance {
        lines
            .push(("forbearance", format!("{} on {}", forbearance.measure.name(), forbearance.on)));
    }
    for (label, value) in lines {
        writeln!(out, "  {label:<14} {value}")?;
    }
    Ok(())
}

/// An audit record's kind and its details as text.
fn audit_details(record: &AuditRecord) -> (&'static str, String) {
    match &record.kind {
        AuditKind::Command { name, key } => ("command", format!("{name}  key {key}")),
        AuditKind::CommandExecuted { name, key, content } => {
            let content: String = content.iter().map(|byte| format!("{byte:02x}")).collect();
            ("command", format!("{name}  key {key}  content {content}"))
        }
        AuditKind::Transition { event, from, to, on } => {
            ("transition", format!("{event}: {from} -> {to} on {on}"))
        }
        AuditKind::Cycle { as_of, reviewed, actions } => {
            ("cycle", format!("as of {as_of}: {reviewed} reviewed, {actions} actions"))
        }
        AuditKind::ContactBlocked { debtor, channel, template, rule, next_allowed_at } => {
            let next =
                next_allowed_at.map_or("none within the horizon".to_owned(), |at| at.to_rfc3339());
            (
                "contact_blocked",
                format!(
                    "{debtor} {} {template}: blocked by {rule}; next allowed {next}",
                    channel.name()
                ),
            )
        }
        AuditKind::ComponentFailed { arm, component, name, accounts, error } => (
            "component_failed",
            format!("arm {arm}: {component} {name} failed for {accounts} accounts: {error}"),
        ),
        AuditKind::PluginAdded { name, entry } => {
            let entry: String = entry.iter().map(|byte| format!("{byte:02x}")).collect();
            ("plugin_added", format!("{name}  entry {entry}"))
        }
        AuditKind::PluginRemoved { name, entry } => {
            let entry: String = entry.iter().map(|byte| format!("{byte:02x}")).collect();
            ("plugin_removed", format!("{name}  entry {entry}"))
        }
        AuditKind::ActionBlocked { debtor, action, rule, on } => {
            ("action_blocked", format!("{debtor} {} on {on}: blocked by {rule}", action.name()))
        }
    }
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
            let day_count = interest.day_count.name();
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
        ObligationKind::Refund => "refund",
    }
}
