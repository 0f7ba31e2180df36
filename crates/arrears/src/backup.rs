//! Online backup and point-in-time restore (docs/SCALE.md, "Backup and restore").
//!
//! A backup is a copy of every table as of one read transaction, a consistent snapshot, so the
//! store's writers go on meanwhile (redb readers never block its writer). It is written under a
//! temporary name beside its target, synced, and linked to the target name only once whole: a
//! crash leaves no torn backup, and an existing file is never replaced.
//!
//! A restore copies a backup and re-executes the change feed after it (the live store's, or an
//! archived one) up to a target sequence or instant: each command under its own idempotency
//! key with the clock set to its recorded instant, and each cycle batch (an `audit.cycle`
//! record) as one batch of the cycle for its date, of as many accounts as it reviewed. Every
//! replayed step is checked: a command must give the outcome it recorded, a batch must review
//! and write what its record says, and the restored log must end at the step's sequence, so
//! the restored store is the original as it stood at that point, audit chain included, or the
//! restore stops with [`RestoreError::Diverged`].

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::case::AuditKind;
use arrears_store::{Reads, StorageError};

use arrears_store::Store;

use crate::clock::Clock;
use crate::command::{Command, Receipt};
use crate::cycle::{CycleOptions, CycleReport};
use crate::error::{CommandError, CycleError, OpenError, QueryError};
use crate::feed::{Change, ChangeKind};

/// What [`crate::Arrears::backup`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backup {
    /// The feed cursor the backup holds: its last audit sequence (0 for an empty store). A
    /// restore re-executes the feed after it.
    pub seq: u64,
    /// The backup file's size, in bytes.
    pub bytes: u64,
}

/// Why a backup was not written. Nothing is left at the target then.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// A file (or link, or directory) is already at the target: a backup never replaces one.
    #[error("refusing to write a backup to {}: something is there already (a backup never replaces a file)", path.display())]
    TargetExists {
        /// The target.
        path: PathBuf,
    },
    /// The file system refused a step (creating, syncing or naming the file).
    #[error("cannot write a backup to {}: {source}", path.display())]
    Io {
        /// The target.
        path: PathBuf,
        /// The file system's error.
        #[source]
        source: io::Error,
    },
    /// The store failed while it was read, or the copy while it was written.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where a restore stops: every transaction of the feed that ends at or before it is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreTarget {
    /// Up to this audit sequence, included.
    Seq(u64),
    /// Up to this instant, included (the changes' `recorded_at`).
    Time(DateTime<Utc>),
}

impl RestoreTarget {
    /// Returns true if and only if `change` is past the target.
    fn is_past(self, change: &Change) -> bool {
        match self {
            RestoreTarget::Seq(seq) => change.seq > seq,
            RestoreTarget::Time(time) => change.recorded_at > time,
        }
    }
}

/// What [`crate::Arrears::restore`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Restored {
    /// The backup's own sequence (where the replay began).
    pub backup_seq: u64,
    /// The restored store's last sequence: the last change replayed, which is the end of the
    /// last whole transaction at or before the target (or the end of the feed).
    pub seq: u64,
    /// Commands re-executed.
    pub commands: u64,
    /// Cycle batches re-run.
    pub cycle_batches: u64,
}

/// Why a restore failed. Nothing is left at the output then.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// Something is already at the output: a restore never replaces a file.
    #[error("refusing to restore to {}: something is there already (a restore never replaces a file)", path.display())]
    OutputExists {
        /// The output.
        path: PathBuf,
    },
    /// The file system refused a step.
    #[error("cannot restore to {}: {source}", path.display())]
    Io {
        /// The output.
        path: PathBuf,
        /// The file system's error.
        #[source]
        source: io::Error,
    },
    /// The backup could not be read (copied to the output).
    #[error("cannot read the backup {}: {source}", path.display())]
    BackupUnreadable {
        /// The backup.
        path: PathBuf,
        /// The file system's error.
        #[source]
        source: io::Error,
    },
    /// The backup does not open as a store.
    #[error("the backup does not open")]
    Backup(#[source] OpenError),
    /// The feed could not be read (a line of an archived feed that is not a change, a
    /// storage failure of the live store).
    #[error("cannot read the feed: {0}")]
    Feed(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The feed skips a sequence the replay needs: the backup ends at `expected - 1`.
    #[error("the feed has sequence {found} where {expected} was expected (the backup ends at {backup_seq}); an archived feed must go on from the backup's sequence without a gap")]
    Gap {
        /// The backup's sequence.
        backup_seq: u64,
        /// The sequence needed next.
        expected: u64,
        /// The sequence the feed had.
        found: u64,
    },
    /// A change the feed cannot replay (a plugin registry change: the feed does not carry the
    /// plugin's file). Take a new backup after it and restore from that one.
    #[error("change {seq} cannot be replayed from the feed: {what}; restore from a backup taken after it")]
    NotReplayable {
        /// Its sequence.
        seq: u64,
        /// What it is.
        what: String,
    },
    /// A replayed step did not do what the original did.
    #[error("replaying change {seq} diverged from the original: {what}")]
    Diverged {
        /// The change's sequence.
        seq: u64,
        /// What differed.
        what: String,
    },
    /// A command of the feed failed when re-executed.
    #[error("re-executing change {seq} failed")]
    Command {
        /// The change's sequence.
        seq: u64,
        /// The error.
        #[source]
        source: CommandError,
    },
    /// A cycle batch of the feed failed when re-run.
    #[error("re-running the cycle batch of change {seq} failed")]
    Cycle {
        /// The change's sequence.
        seq: u64,
        /// The error.
        #[source]
        source: CycleError,
    },
    /// The restored store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A clock the replay sets to each change's recorded instant before re-executing it.
#[derive(Debug, Clone)]
struct ReplayClock(Arc<Mutex<DateTime<Utc>>>);

impl ReplayClock {
    fn set(&self, instant: DateTime<Utc>) {
        // A plain value that no panic can leave half-written.
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = instant;
    }
}

impl Clock for ReplayClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new file beside a target, under a hidden temporary name, removed when dropped unless it
/// was linked to the target ([`TempFile::publish`]).
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// Creates it in the directory of `target`, so the final link is on the same file system.
    fn beside(target: &Path) -> io::Result<(TempFile, File)> {
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        let directory = directory_of(target);
        loop {
            let serial = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".{}-{serial}.tmp", std::process::id()));
            let path = directory.join(temp_name);
            match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((TempFile { path }, file)),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error),
            }
        }
    }

    /// Syncs the file, gives it the target's name (a hard link, which fails rather than
    /// replace a file that appeared there meanwhile), and syncs the directory. Returns the
    /// file's size.
    fn publish(self, target: &Path) -> io::Result<u64> {
        let file = File::open(&self.path)?;
        file.sync_all()?;
        let bytes = file.metadata()?.len();
        fs::hard_link(&self.path, target)?;
        drop(self);
        File::open(directory_of(target))?.sync_all()?;
        Ok(bytes)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Returns true if and only if something (even a dangling link) is at `path`.
fn occupied(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Writes a consistent copy of `store` to `to` ([`crate::Arrears::backup`]).
pub(crate) fn write_backup(store: &Store, to: &Path) -> Result<Backup, BackupError> {
    let io_error = |source| BackupError::Io { path: to.to_owned(), source };
    if occupied(to) {
        return Err(BackupError::TargetExists { path: to.to_owned() });
    }
    let (temp, file) = TempFile::beside(to).map_err(io_error)?;
    let snapshot = store.copy_into(file)?;
    let seq = snapshot.audit_head()?.map_or(0, |head| head.seq);
    drop(snapshot);
    let bytes = temp.publish(to).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => BackupError::TargetExists { path: to.to_owned() },
        _ => io_error(source),
    })?;
    Ok(Backup { seq, bytes })
}

/// What the replay needs of the engine it restores into (implemented by `Arrears`, which
/// this module cannot name: the engine's modules never name lib.rs's items).
pub(crate) trait Replay {
    /// Executes a command ([`crate::Arrears::execute`]).
    fn execute(&self, key: &str, command: &Command) -> Result<Receipt, CommandError>;
    /// Runs the cycle for `as_of` with `options` and nothing else (no credit review: that is
    /// a command of its own in the feed).
    fn cycle(&self, as_of: NaiveDate, options: CycleOptions) -> Result<CycleReport, CycleError>;
    /// The store.
    fn store(&self) -> &Store;
}

/// Restores to `out` from the backup at `backup` plus `feed` ([`crate::Arrears::restore`]);
/// `open` opens the copy of the backup with the replay's clock.
pub(crate) fn restore<E, R: Replay>(
    backup: &Path,
    feed: impl IntoIterator<Item = Result<Change, E>>,
    target: RestoreTarget,
    out: &Path,
    open: impl FnOnce(&Path, Box<dyn Clock>) -> Result<R, OpenError>,
) -> Result<Restored, RestoreError>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let io_error = |source| RestoreError::Io { path: out.to_owned(), source };
    if occupied(out) {
        return Err(RestoreError::OutputExists { path: out.to_owned() });
    }
    let (temp, file) = TempFile::beside(out).map_err(io_error)?;
    drop(file);
    fs::copy(backup, &temp.path)
        .map_err(|source| RestoreError::BackupUnreadable { path: backup.to_owned(), source })?;
    let clock = ReplayClock(Arc::new(Mutex::new(DateTime::<Utc>::UNIX_EPOCH)));
    let engine = open(&temp.path, Box::new(clock.clone())).map_err(RestoreError::Backup)?;
    let restored = replay_feed(&engine, &clock, feed, target)?;
    drop(engine);
    temp.publish(out).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => RestoreError::OutputExists { path: out.to_owned() },
        _ => io_error(source),
    })?;
    Ok(restored)
}

/// The live feed of a store, a page at a time ([`crate::Arrears::changes_after`]).
#[derive(Debug)]
pub struct ChangesAfter<'store> {
    store: &'store Store,
    after: u64,
    page: VecDeque<Change>,
    done: bool,
}

/// Changes read per page by [`ChangesAfter`].
const PAGE_CHANGES: usize = 1_000;

impl<'store> ChangesAfter<'store> {
    /// The feed of `store` after `after`.
    pub(crate) fn new(store: &'store Store, after: u64) -> ChangesAfter<'store> {
        ChangesAfter { store, after, page: VecDeque::new(), done: false }
    }

    fn read_page(&self) -> Result<crate::feed::ChangePage, QueryError> {
        crate::feed::changes(&self.store.read()?, self.after, PAGE_CHANGES)
    }
}

impl Iterator for ChangesAfter<'_> {
    type Item = Result<Change, QueryError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            match self.read_page() {
                Ok(page) => {
                    self.done = page.changes.is_empty();
                    self.after = page.next;
                    self.page.extend(page.changes);
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
        self.page.pop_front().map(Ok)
    }
}

/// Replays `feed` into `engine`, setting `clock` to each change's instant.
fn replay_feed<E, R: Replay>(
    engine: &R,
    clock: &ReplayClock,
    feed: impl IntoIterator<Item = Result<Change, E>>,
    target: RestoreTarget,
) -> Result<Restored, RestoreError>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let backup_seq = head(engine.store())?;
    let mut restored = Restored { backup_seq, seq: backup_seq, ..Restored::default() };
    let mut expected = backup_seq + 1;
    for change in feed {
        let change = change.map_err(|error| RestoreError::Feed(error.into()))?;
        if change.seq < expected {
            continue;
        }
        if change.seq > expected {
            return Err(RestoreError::Gap { backup_seq, expected, found: change.seq });
        }
        if target.is_past(&change) {
            break;
        }
        expected += 1;
        clock.set(change.recorded_at);
        if replay(engine, clock, &change, &mut restored)? {
            let now_at = head(engine.store())?;
            if now_at != change.seq {
                let what = format!("the restored log ends at {now_at}");
                return Err(RestoreError::Diverged { seq: change.seq, what });
            }
            restored.seq = change.seq;
        }
    }
    Ok(restored)
}

/// The store's last audit sequence.
fn head(store: &Store) -> Result<u64, StorageError> {
    Ok(store.read()?.audit_head()?.map_or(0, |head| head.seq))
}

/// Replays one change; returns true if it ends a transaction (a command, a cycle batch) and
/// false for the records a transaction writes before its last (state transitions, blocked
/// contacts, failed components), which the command or batch they belong to writes again.
fn replay(
    engine: &impl Replay,
    clock: &ReplayClock,
    change: &Change,
    restored: &mut Restored,
) -> Result<bool, RestoreError> {
    let seq = change.seq;
    match &change.kind {
        ChangeKind::Command { key, command, outcome, .. } => {
            let receipt = engine
                .execute(key, command)
                .map_err(|source| RestoreError::Command { seq, source })?;
            if receipt.replayed || receipt.outcome != **outcome {
                let what = format!(
                    "command {key:?} gave {:?} (replayed: {}) where the original gave {outcome:?}",
                    receipt.outcome, receipt.replayed
                );
                return Err(RestoreError::Diverged { seq, what });
            }
            restored.commands += 1;
            Ok(true)
        }
        ChangeKind::Audit(AuditKind::Cycle { as_of, reviewed, actions }) => {
            replay_batch(engine, clock, seq, *as_of, (*reviewed, *actions))?;
            restored.cycle_batches += 1;
            Ok(true)
        }
        ChangeKind::Audit(
            kind @ (AuditKind::PluginAdded { .. } | AuditKind::PluginRemoved { .. }),
        ) => {
            let what = format!("a plugin registry change ({kind:?})");
            Err(RestoreError::NotReplayable { seq, what })
        }
        ChangeKind::Audit(_) => Ok(false),
    }
}

/// Re-runs one batch of the cycle for `as_of`: the first due debtors, as many accounts as the
/// original batch reviewed. (The cycle lists the due accounts by debtor and cuts batches at
/// the first debtor boundary past its size; the original batch's accounts are the first due
/// ones now, since the batches before it are replayed.) A batch that reviewed nothing wrote
/// its record only, and so does its replay.
fn replay_batch(
    engine: &impl Replay,
    clock: &ReplayClock,
    seq: u64,
    as_of: NaiveDate,
    (reviewed, actions): (u64, u64),
) -> Result<(), RestoreError> {
    let cycle_error = |source| RestoreError::Cycle { seq, source };
    if reviewed == 0 {
        let mut txn = engine.store().write()?;
        let kind = AuditKind::Cycle { as_of, reviewed, actions };
        crate::audit::append(&mut txn, clock.now(), None, kind)?;
        txn.commit()?;
        return Ok(());
    }
    let options = CycleOptions {
        batch_accounts_max: usize::try_from(reviewed).unwrap_or(usize::MAX),
        batches_max: Some(1),
        dry_run: false,
    };
    let report = engine.cycle(as_of, options).map_err(cycle_error)?;
    if (report.reviewed, report.actions) != (reviewed, actions) {
        let what = format!(
            "the cycle batch of {as_of} reviewed {} accounts and wrote {} actions where the \
             original reviewed {reviewed} and wrote {actions}",
            report.reviewed, report.actions
        );
        return Err(RestoreError::Diverged { seq, what });
    }
    Ok(())
}
