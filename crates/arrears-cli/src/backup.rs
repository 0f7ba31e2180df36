//! `arrears backup` and `arrears restore`: an online backup of the store, and a point-in-time
//! restore from a backup plus the change feed (docs/SCALE.md, "Backup and restore").

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;

use arrears::{Arrears, Change, RestoreTarget, Restored};

use crate::output_file;
use crate::Status;

#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// The backup file to write (it must not exist: a backup never replaces a file).
    #[arg(long, value_name = "FILE")]
    pub(crate) to: PathBuf,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to_seq", "to_time"])))]
pub(crate) struct RestoreArgs {
    /// The backup to start from (written by `arrears backup`).
    #[arg(long, value_name = "FILE")]
    pub(crate) from: PathBuf,
    /// An archived feed (the JSON Lines of `arrears feed --json`) to replay; without it, the
    /// feed of the store --db names.
    #[arg(long, value_name = "FILE")]
    pub(crate) feed: Option<PathBuf>,
    /// Replay up to this audit sequence, included.
    #[arg(long, value_name = "SEQ")]
    pub(crate) to_seq: Option<u64>,
    /// Replay up to this instant, included (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = crate::args::parse_instant)]
    pub(crate) to_time: Option<DateTime<Utc>>,
    /// The restored store to write (it must not exist).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// `arrears backup --to FILE`: a consistent copy of the store while others write to it.
pub(crate) fn backup(
    books: &Arrears,
    db: &Path,
    args: &BackupArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    output_file::check(&args.to, db, "the backup")?;
    let backup = books.backup(&args.to)?;
    let shown = args.to.display().to_string();
    if json {
        let value =
            serde_json::json!({ "backup": shown, "seq": backup.seq, "bytes": backup.bytes });
        crate::output::json(out, &value)?;
    } else {
        writeln!(out, "backup {shown}: feed cursor {} ({} bytes)", backup.seq, backup.bytes)?;
    }
    Ok(Status::Ok)
}

/// `arrears restore`: the backup plus the feed replayed up to a sequence or an instant.
/// `live` opens the store --db names, for its feed (only without `--feed`).
pub(crate) fn restore(
    live: impl FnOnce() -> Result<Arrears>,
    db: &Path,
    args: &RestoreArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    output_file::check(&args.out, db, "the restored store")?;
    let target = match (args.to_seq, args.to_time) {
        (Some(seq), _) => RestoreTarget::Seq(seq),
        (None, Some(time)) => RestoreTarget::Time(time),
        (None, None) => unreachable!("clap requires --to-seq or --to-time"),
    };
    let restored = match &args.feed {
        Some(path) => Arrears::restore(&args.from, archived(path)?, target, &args.out)?,
        None => {
            let books = live()?;
            Arrears::restore(&args.from, books.changes_after(0), target, &args.out)?
        }
    };
    print_restored(&restored, args, json, out)?;
    Ok(Status::Ok)
}

/// The changes of an archived feed file, parsed a line at a time; a line that is not a
/// change is an error naming the file and the line.
fn archived(path: &Path) -> Result<impl Iterator<Item = Result<Change, anyhow::Error>>> {
    let file =
        File::open(path).with_context(|| format!("cannot open the feed {}", path.display()))?;
    let shown = path.display().to_string();
    let lines = BufReader::new(file).lines().enumerate();
    Ok(lines.filter_map(move |(index, line)| {
        let line = match line {
            Ok(line) if line.trim().is_empty() => return None,
            Ok(line) => line,
            Err(error) => return Some(Err(anyhow::Error::new(error).context(shown.clone()))),
        };
        Some(serde_json::from_str::<Change>(&line).with_context(|| {
            format!("{shown}, line {}: not a change of `arrears feed --json`", index + 1)
        }))
    }))
}

fn print_restored(
    restored: &Restored,
    args: &RestoreArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let shown = args.out.display().to_string();
    if json {
        let value = serde_json::json!({
            "restored": shown,
            "backup_seq": restored.backup_seq,
            "seq": restored.seq,
            "commands": restored.commands,
            "cycle_batches": restored.cycle_batches,
        });
        return crate::output::json(out, &value);
    }
    writeln!(
        out,
        "restored {shown}: backup at {}, replayed to {} ({} commands, {} cycle batches)",
        restored.backup_seq, restored.seq, restored.commands, restored.cycle_batches
    )?;
    Ok(())
}
