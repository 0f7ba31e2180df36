//! `arrears cycle`, `arrears actions list` and `arrears actions ack`: the daily cycle and the
//! outbox of contacts it writes.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;

use arrears::case::{Action, ActionStatus};
use arrears::ids::AccountId;
use arrears::model::ContactChannel;
use arrears::{Arrears, Command, CycleOptions, Outcome};

use crate::args::{
    check_count, check_lease, out_of_range, AckArgs, ActionsListArgs, ClaimArgs, CycleArgs,
    FeedArgs, SentArgs,
};
use crate::collect;
use crate::horizon::{self, Horizon};
use crate::output::{self, Table};
use crate::Status;

pub(crate) fn cycle(
    books: &Arrears,
    horizon: &Horizon,
    args: &CycleArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if args.batch == Some(0) {
        return Err(out_of_range("--batch", 0, "a batch holds at least 1 account"));
    }
    if !args.dry_run {
        horizon.check("--as-of", args.as_of)?;
    }
    let mut options = CycleOptions { dry_run: args.dry_run, ..CycleOptions::default() };
    if let Some(batch) = args.batch {
        options.batch_accounts_max = usize::try_from(batch).unwrap_or(usize::MAX);
    }
    let report = books.run_cycle_with(args.as_of, options)?;
    if json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("as_of".to_owned(), serde_json::to_value(args.as_of)?);
            object.insert("dry_run".to_owned(), serde_json::Value::Bool(args.dry_run));
        }
        output::json(out, &value)?;
        return Ok(Status::Ok);
    }
    let done = if report.complete { "complete" } else { "incomplete (run it again to resume)" };
    let dry_run = if args.dry_run { " (dry run: nothing was written)" } else { "" };
    writeln!(out, "cycle {}{dry_run}: {done}", args.as_of)?;
    let rows = [
        ("batches", report.batches),
        ("reviewed", report.reviewed),
        ("transitions", report.transitions),
        ("fees_assessed", report.fees_assessed),
        ("charged_off", report.charged_off),
        ("actions", report.actions),
        ("proposals_refused", report.proposals_refused),
        ("rescheduled", report.rescheduled),
        ("deferred", report.deferred),
        ("blocked", report.blocked.values().sum()),
    ];
    let width = rows.iter().map(|(_, value)| value.to_string().len()).max().unwrap_or(0);
    for (label, value) in rows {
        writeln!(out, "  {label:<18} {value:>width$}")?;
    }
    for (rule, count) in &report.blocked {
        writeln!(out, "    blocked by {rule}: {count}")?;
    }
    for (rule, count) in &report.referrals_blocked {
        writeln!(out, "  legal referrals blocked by {rule}: {count}")?;
    }
    for change in &report.signals_detected {
        let verb = if change.raised { "raised" } else { "cleared" };
        writeln!(
            out,
            "  signal {verb} for {}: {} ({})",
            change.debtor,
            change.signal.name(),
            change.source
        )?;
    }
    for review in &report.credit_reviews {
        writeln!(out, "  credit review of {}: {}", review.debtor, review.action.name())?;
    }
    for failures in &report.component_failures {
        let fallback = match &failures.fallback {
            Some(fallback) => format!("; {fallback} took over"),
            None => String::new(),
        };
        writeln!(
            out,
            "  arm {}: {} {} failed {} calls ({} accounts){fallback}; last: {}",
            failures.arm,
            failures.component,
            failures.name,
            failures.calls,
            failures.accounts,
            failures.last_error
        )?;
    }
    Ok(Status::Ok)
}

/// The channel's name as serialized.
pub(crate) fn channel_name(channel: ContactChannel) -> &'static str {
    match channel {
        ContactChannel::Phone => "phone",
        ContactChannel::Sms => "sms",
        ContactChannel::Email => "email",
        ContactChannel::Postal => "postal",
        ContactChannel::Messaging => "messaging",
    }
}

pub(crate) fn list(
    books: &Arrears,
    args: &ActionsListArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if let Some(limit) = args.limit {
        check_count("--limit", limit, "a list holds at least 1 action")?;
    }
    let limit = args.limit.unwrap_or(usize::MAX);
    if args.due {
        return due(books, args.until, limit, json, out);
    }
    let actions = if args.all {
        let mut actions = books.actions()?;
        actions.truncate(limit);
        actions
    } else {
        books.pending_actions(limit)?
    };
    // The accounts' external references, looked up once each.
    let mut names: HashMap<AccountId, Option<String>> = HashMap::new();
    for action in &actions {
        for account in &action.accounts {
            if !names.contains_key(account) {
                let reference = books.account(*account)?.and_then(|account| account.external_ref);
                names.insert(*account, reference);
            }
        }
    }
    let name = |account: &AccountId| {
        names.get(account).cloned().flatten().unwrap_or_else(|| account.to_string())
    };
    if json {
        let mut values = Vec::with_capacity(actions.len());
        for action in &actions {
            let mut value = serde_json::to_value(action)?;
            if let Some(object) = value.as_object_mut() {
                let references: Vec<Option<String>> = action
                    .accounts
                    .iter()
                    .map(|account| names.get(account).cloned().flatten())
                    .collect();
                object.insert("account_refs".to_owned(), serde_json::to_value(references)?);
            }
            values.push(value);
        }
        output::json(out, &values)?;
        return Ok(Status::Ok);
    }
    if actions.is_empty() {
        let what = if args.all { "no actions" } else { "no pending actions" };
        writeln!(out, "{what}")?;
        return Ok(Status::Ok);
    }
    let mut table = Table::new(&[
        "id",
        "debtor",
        "accounts",
        "channel",
        "address",
        "template",
        "scheduled_at",
        "created_for",
        "status",
    ])
    .numeric(&["id"]);
    for action in &actions {
        let accounts: Vec<String> = action.accounts.iter().map(name).collect();
        table.row(vec![
            action.id.to_string(),
            action.debtor.to_string(),
            accounts.join(","),
            channel_name(action.channel).to_owned(),
            action.address.clone(),
            action.template.clone(),
            instant(action.scheduled_at),
            action.created_for.to_string(),
            status(action),
        ]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}

/// `actions list --due`: the pending actions in due order, with what a sender needs at hand.
fn due(
    books: &Arrears,
    until: Option<chrono::DateTime<chrono::Utc>>,
    limit: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let due = books.due_actions(until, limit)?;
    if json {
        output::json(out, &due)?;
        return Ok(Status::Ok);
    }
    if due.is_empty() {
        writeln!(out, "no pending actions due")?;
        return Ok(Status::Ok);
    }
    let mut table = Table::new(&[
        "due_at", "id", "debtor", "name", "accounts", "channel", "address", "template", "past_due",
        "dpd",
    ])
    .numeric(&["id", "past_due", "dpd"]);
    for item in &due {
        let action = &item.action;
        let mut accounts = Vec::new();
        for account in &action.accounts {
            let reference = books.account(*account)?.and_then(|account| account.external_ref);
            accounts.push(reference.unwrap_or_else(|| account.to_string()));
        }
        let debtor = match &item.debtor_ref {
            Some(reference) => format!("{} ({reference})", action.debtor),
            None => action.debtor.to_string(),
        };
        table.row(vec![
            instant(action.scheduled_at),
            action.id.to_string(),
            debtor,
            item.debtor_name.clone(),
            accounts.join(","),
            channel_name(action.channel).to_owned(),
            action.address.clone(),
            action.template.clone(),
            item.currency.map_or_else(String::new, |currency| {
                format!("{} {currency}", output::money(item.past_due_minor, currency))
            }),
            item.days_past_due.to_string(),
        ]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}

fn instant(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn status(action: &Action) -> String {
    match &action.status {
        ActionStatus::Pending if action.sent_at.is_some() => {
            format!("sent {}", action.sent_at.map(instant).unwrap_or_default())
        }
        ActionStatus::Pending => match &action.claim {
            Some(claim) => {
                format!("pending (claimed by {} until {})", claim.by, instant(claim.until))
            }
            None => "pending".to_owned(),
        },
        ActionStatus::Acknowledged { outcome, at } => {
            format!("{} {}", outcome.name(), instant(*at))
        }
        ActionStatus::Cancelled { reason, at } => {
            format!("cancelled ({}) {}", reason.name(), instant(*at))
        }
    }
}

pub(crate) fn ack(
    books: &Arrears,
    horizon: &Horizon,
    args: &AckArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let command = Command::Acknowledge { action: args.id, outcome: args.outcome, at: args.at };
    if let Some((_, reason)) = horizon.command_refusal(&command, horizon::flag) {
        anyhow::bail!("{reason}");
    }
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    if let Outcome::Acknowledged { action, .. } = &receipt.outcome {
        writeln!(
            out,
            "acknowledged action {action}: {} at {}",
            args.outcome.name(),
            instant(args.at)
        )?;
        if receipt.replayed {
            writeln!(
                out,
                "replayed: key {:?} was already executed; nothing was written",
                args.key
            )?;
        }
        return Ok(Status::Ok);
    }
    collect::print_receipt(books, &args.key, &receipt, None, out)
}

/// `actions claim`.
pub(crate) fn claim(
    books: &Arrears,
    args: &ClaimArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    check_lease(args.lease_secs)?;
    check_count("--limit", args.limit, "a claim takes at least 1 action")?;
    let claimed = books
        .claim_actions(&args.sender, args.lease_secs, args.until, args.limit)
        .map_err(|error| match &error {
            // The sender's name is the flag --as.
            arrears::CommandError::Invalid { field: "claimant", .. } => {
                anyhow::Error::from(error).context("--as")
            }
            _ => error.into(),
        })?;
    if json {
        output::json(out, &claimed)?;
        return Ok(Status::Ok);
    }
    writeln!(out, "{} claimed by {}", claimed.len(), args.sender)?;
    let mut table = Table::new(&["id", "due_at", "channel", "address", "template", "lease_until"])
        .numeric(&["id"]);
    for action in &claimed {
        let until = action.claim.as_ref().map(|claim| instant(claim.until)).unwrap_or_default();
        table.row(vec![
            action.id.to_string(),
            instant(action.scheduled_at),
            channel_name(action.channel).to_owned(),
            action.address.clone(),
            action.template.clone(),
            until,
        ]);
    }
    if !table.is_empty() {
        table.write(out, "  ")?;
    }
    Ok(Status::Ok)
}

/// `actions sent`.
pub(crate) fn sent(
    books: &Arrears,
    horizon: &Horizon,
    args: &SentArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let command = Command::MarkSent { action: args.id, at: args.at };
    if let Some((_, reason)) = horizon.command_refusal(&command, horizon::flag) {
        anyhow::bail!("{reason}");
    }
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    match &receipt.outcome {
        Outcome::Sent { action, at } => writeln!(out, "action {action} sent at {}", instant(*at))?,
        Outcome::Rejected(rejection) => {
            writeln!(out, "rejected: {}", output::rejection(rejection, None))?;
            return Ok(Status::Failed);
        }
        _ => {}
    }
    Ok(Status::Ok)
}

/// `actions feed`.
pub(crate) fn feed(
    books: &Arrears,
    args: &FeedArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    check_count("--limit", args.limit, "a page holds at least 1 action")?;
    let actions = books.actions_after(args.after, args.limit)?;
    let next = actions.last().map_or(args.after, |action| action.seq);
    if json {
        output::json(out, &serde_json::json!({ "actions": actions, "next_after": next }))?;
        return Ok(Status::Ok);
    }
    let mut table =
        Table::new(&["seq", "id", "debtor", "channel", "address", "template", "status"])
            .numeric(&["seq", "id"]);
    for action in &actions {
        table.row(vec![
            action.seq.to_string(),
            action.id.to_string(),
            action.debtor.to_string(),
            channel_name(action.channel).to_owned(),
            action.address.clone(),
            action.template.clone(),
            status(action),
        ]);
    }
    if !table.is_empty() {
        table.write(out, "")?;
    }
    writeln!(out, "next: --after {next}")?;
    Ok(Status::Ok)
}
