//! `arrears feed`: the store's change feed from a cursor (docs/SCALE.md).

use std::io::Write;

use anyhow::Result;
use clap::Args;

use arrears::case::AuditKind;
use arrears::{Arrears, Change, ChangeKind};

use crate::output::{self, Table};
use crate::Status;

#[derive(Debug, Args)]
pub(crate) struct FeedArgs {
    /// The cursor: the `seq` of the last change handled (0 for the beginning).
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    pub(crate) after: u64,
    /// At most this many changes, at least 1.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub(crate) limit: usize,
}

/// `arrears feed`: with `--json`, one change a line (JSON Lines); else a table and the cursor.
pub(crate) fn run(
    books: &Arrears,
    args: &FeedArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    crate::args::check_count("--limit", args.limit, "a page holds at least 1 change")?;
    let page = books.changes(args.after, args.limit)?;
    if json {
        for change in &page.changes {
            serde_json::to_writer(&mut *out, change)?;
            writeln!(out)?;
        }
        return Ok(Status::Ok);
    }
    let mut table = Table::new(&["seq", "recorded_at", "account", "change"]).numeric(&["seq"]);
    for change in &page.changes {
        table.row(vec![
            change.seq.to_string(),
            change.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            output::opt(change.account),
            summary(change),
        ]);
    }
    if !table.is_empty() {
        table.write(out, "")?;
    }
    writeln!(out, "next: --after {} (head {})", page.next, page.head)?;
    Ok(Status::Ok)
}

/// One line saying what a change is.
fn summary(change: &Change) -> String {
    match &change.kind {
        ChangeKind::Command { name, key, .. } => format!("{name} {key:?}"),
        ChangeKind::Audit(AuditKind::Transition { event, from, to, on }) => {
            format!("transition {from} -> {to} ({event}, {on})")
        }
        ChangeKind::Audit(AuditKind::Cycle { as_of, reviewed, actions }) => {
            format!("cycle {as_of}: {reviewed} reviewed, {actions} actions")
        }
        ChangeKind::Audit(other) => kind_name(other),
        _ => "change of a newer kind".to_owned(),
    }
}

/// The JSON tag of an audit record's kind (`contact_blocked`...).
fn kind_name(kind: &AuditKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        Ok(serde_json::Value::String(name)) => name,
        _ => "audit".to_owned(),
    }
}
