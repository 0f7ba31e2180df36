//! The engine's side of [`Durability::Journaled`] (the journal's file is `journal.rs`): the
//! journal attached at open, after replaying what it holds that the store does not; a group of
//! [`Arrears::execute`] committed through it; checkpoints; the journal closed with the engine.
//!
//! The order of a journaled commit, and why (docs/DURABILITY.md, "The journal"): the group
//! runs in a transaction whose commit is not synced; its record is written to the journal and
//! synced; then the transaction commits (into this process's memory and the file's page cache)
//! and the callers get their receipts. A crash before the journal's sync loses a group nobody
//! was told of; after it, the next open replays the record. A failure of the journal, or of a
//! commit after its record, leaves the file and the journal holding what this process no
//! longer knows: the store is fenced (it refuses every write) until it is opened again.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};

use arrears_store::codec::decode_record;
use arrears_store::{OpenError, Reads, RecordKind, StorageError, WriteTxn};

use crate::journal::{self, Journal, JournalFile, Record};
use crate::{Arrears, Batch, BatchError, Command, Durability, Options, Sharing};

/// [`Durability::Journaled`] commits unsynced, which only an exclusive handle may.
pub(crate) fn check_sharing(options: &Options, path: &Path) -> Result<(), OpenError> {
    if options.durability == Durability::Journaled && options.sharing != Sharing::Exclusive {
        return Err(OpenError::EventualNeedsExclusive { path: path.to_owned() });
    }
    Ok(())
}

/// A journal beside a path where a store is being created belongs to no store that exists:
/// replaying it into the new one would write another store's commands.
pub(crate) fn refuse_orphan_journal(path: &Path) -> Result<(), OpenError> {
    let journal_path = journal::path_of(path);
    if std::fs::symlink_metadata(&journal_path).is_ok() {
        return Err(OpenError::Journal {
            path: journal_path,
            reason: "a journal is there but no store: remove it, or restore its store first".into(),
        });
    }
    Ok(())
}

/// An error and its sources, as one line.
pub(crate) fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Makes the directory entry of `path` (created or removed) durable.
fn sync_directory(path: &Path) -> std::io::Result<()> {
    let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty());
    std::fs::File::open(parent.unwrap_or_else(|| Path::new(".")))?.sync_all()
}

impl Arrears {
    /// After a writable open of the store at `path`: replays the journal beside it, if there is
    /// one, from the first record the store does not hold; then, for journaled durability,
    /// keeps it (creating it if need be) to append to, or else removes it.
    ///
    /// # Errors
    ///
    /// [`OpenError::Journal`] (the journal is not one, does not follow the store, a record
    /// does not replay, an I/O failure), or a storage failure of a replay's commit.
    pub(crate) fn with_journal_at(
        mut self,
        path: &Path,
        durability: Durability,
    ) -> Result<Arrears, OpenError> {
        let journal_path = journal::path_of(path);
        let keep = durability == Durability::Journaled;
        let exists = std::fs::symlink_metadata(&journal_path).is_ok();
        if !keep && !exists {
            return Ok(self);
        }
        let error = |reason: String| OpenError::Journal { path: journal_path.clone(), reason };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(keep)
            .truncate(false)
            .open(&journal_path)
            .map_err(|cause| error(format!("opening it: {cause}")))?;
        match self.recover(Box::new(file), journal_path.clone(), keep)? {
            Some(mut journal) => {
                if !exists {
                    sync_directory(&journal_path)
                        .map_err(|cause| error(format!("syncing its directory: {cause}")))?;
                }
                journal.removable = true;
                self.journal = Some(Mutex::new(journal));
            }
            None => {
                std::fs::remove_file(&journal_path)
                    .and_then(|()| sync_directory(&journal_path))
                    .map_err(|cause| error(format!("removing it once replayed: {cause}")))?;
            }
        }
        Ok(self)
    }

    /// Replays what `file` holds after the store's last journaled commit, each record in a
    /// transaction of its own at its recorded time, then syncs the store; returns the journal
    /// to append to from the start when `keep`.
    ///
    /// # Errors
    ///
    /// As [`Arrears::with_journal_at`].
    pub(crate) fn recover(
        &self,
        file: Box<dyn JournalFile>,
        path: PathBuf,
        keep: bool,
    ) -> Result<Option<Journal>, OpenError> {
        let error = |reason: String| OpenError::Journal { path: path.clone(), reason };
        let stored = self.store.read()?.journal_seq()?;
        let records = journal::scan(&*file, stored).map_err(error)?;
        let mut last = stored;
        for record in &records {
            self.replay(record)
                .map_err(|reason| error(format!("replaying record {}: {reason}", record.seq)))?;
            last = record.seq;
        }
        if !records.is_empty() {
            self.checkpoint()?;
        }
        if !keep {
            return Ok(None);
        }
        Journal::start(file, path.clone(), last)
            .map(Some)
            .map_err(|cause| error(format!("preparing it: {cause}")))
    }

    /// Runs a record's commands again, in one transaction at the record's time, and commits
    /// it with the record's sequence number (unsynced where the handle may: the checkpoint
    /// after the replay syncs them all).
    fn replay(&self, record: &Record) -> Result<(), String> {
        let txn = if self.store.sharing() == arrears_store::Sharing::Exclusive {
            self.store.write_unsynced()
        } else {
            self.store.write()
        };
        let txn = txn.map_err(|cause| error_text(&cause))?;
        let mut batch = self.batch_in(txn, record.now);
        for (key, bytes) in &record.commands {
            let command: Command = decode_record(RecordKind::Command, bytes)
                .map_err(|reason| format!("command {key:?} does not decode: {reason}"))?;
            let receipt = batch.execute(key, &command).map_err(|cause| {
                format!("command {key:?} ({}): {}", command.name(), error_text(&cause))
            })?;
            if let crate::Outcome::Rejected(rejection) = &receipt.outcome {
                // It wrote when it ran: the same command on the same store at the same time
                // cannot be refused now, unless the store is not the one it ran on.
                return Err(format!(
                    "command {key:?} ({}) was made and is refused now: {rejection:?}",
                    command.name()
                ));
            }
        }
        let Batch { mark, mut txn, .. } = batch;
        drop(mark);
        txn.set_journal_seq(record.seq).map_err(|cause| error_text(&cause))?;
        txn.commit().map_err(|cause| error_text(&cause))
    }

    /// A read-only open cannot replay: it refuses a store whose journal holds commits the
    /// store does not, which it would otherwise show as if they had never been made.
    ///
    /// # Errors
    ///
    /// [`OpenError::JournalPending`], [`OpenError::Journal`] if the journal cannot be read.
    pub(crate) fn refuse_pending_journal(&self, path: &Path) -> Result<(), OpenError> {
        let journal_path = journal::path_of(path);
        let file = match std::fs::File::open(&journal_path) {
            Ok(file) => file,
            Err(cause) if cause.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(cause) => {
                let reason = format!("opening it: {cause}");
                return Err(OpenError::Journal { path: journal_path, reason });
            }
        };
        let stored = self.store.read()?.journal_seq()?;
        let records = journal::scan(&file, stored)
            .map_err(|reason| OpenError::Journal { path: journal_path.clone(), reason })?;
        if !records.is_empty() {
            let records = records.len() as u64;
            return Err(OpenError::JournalPending { path: journal_path, records });
        }
        Ok(())
    }

    /// [`Arrears::batch`] in a transaction whose commit is not synced.
    pub(crate) fn batch_unsynced(&self) -> Result<Batch<'_>, BatchError> {
        if self.batch_thread.is_current() {
            return Err(BatchError::ThreadHoldsBatch);
        }
        let txn = self.store.write_unsynced()?;
        Ok(self.batch_in(txn, self.clock.now()))
    }

    /// Commits a group's transaction (begun unsynced) through the journal: the record of
    /// `ran` (the commands that wrote, in order) written and synced, then the commit; or, for
    /// a record the journal has no room for, the commit and a checkpoint.
    ///
    /// # Errors
    ///
    /// A storage failure, or the journal's I/O failure (the store is then fenced).
    pub(crate) fn commit_journaled(
        &self,
        mut txn: WriteTxn,
        now: DateTime<Utc>,
        ran: &[(&str, &Command)],
    ) -> Result<(), StorageError> {
        let Some(journal) = &self.journal else {
            return txn.commit();
        };
        let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(reason) = &journal.failed {
            return Err(StorageError::Fenced { reason: reason.clone() });
        }
        let seq = journal.next_seq;
        txn.set_journal_seq(seq)?;
        let record = journal::encode(seq, now, ran).filter(|record| journal.fits(record));
        let Some(record) = record else {
            // No room: the store's own sync makes it durable, and holds every record written
            // so far, so the next starts the journal again.
            journal.next_seq += 1;
            let synced = txn.commit().and_then(|()| self.checkpoint());
            return match synced {
                Ok(()) => {
                    journal.checkpointed();
                    Ok(())
                }
                Err(cause) => Err(self.fail(&mut journal, "a commit and its sync", &cause)),
            };
        };
        if let Err(cause) = journal.append(&record) {
            // The transaction is dropped: the store does not have it; the journal may (a
            // write that reached the disk before a failed sync), and the next open replays it.
            drop(txn);
            return Err(self.fail(&mut journal, "writing its record", &cause));
        }
        if let Err(cause) = txn.commit() {
            return Err(self.fail(&mut journal, "the commit after its record", &cause));
        }
        if journal.checkpoint_due() {
            match self.checkpoint() {
                Ok(()) => journal.checkpointed(),
                // The group is durable in the journal: its callers are told so; later writes
                // are refused.
                Err(cause) => {
                    self.fail(&mut journal, "a checkpoint", &cause);
                }
            }
        }
        Ok(())
    }

    /// Records a failure of the journal or of a commit after its record, and fences the
    /// store: returns the error for the callers.
    fn fail(
        &self,
        journal: &mut Journal,
        what: &str,
        cause: &dyn std::error::Error,
    ) -> StorageError {
        let reason = format!(
            "the journal {:?} at {what}: {}; the commands of that commit may or may not have \
             been made: open the store again (which replays the journal) and execute them again \
             under the same keys",
            journal.path,
            error_text(cause)
        );
        journal.failed = Some(reason.clone());
        self.store.fence(reason.clone());
        StorageError::Fenced { reason }
    }

    /// A synced commit of the store: it then holds every commit made before it.
    pub(crate) fn checkpoint(&self) -> Result<(), StorageError> {
        self.store.write()?.commit()
    }

    /// Closing a journaled engine: the store synced and the journal removed (a store closed
    /// cleanly has no journal beside it). After a failure the journal stays for the next open.
    pub(crate) fn close_journal(&mut self) {
        let Some(journal) = self.journal.take() else {
            return;
        };
        let journal = journal.into_inner().unwrap_or_else(PoisonError::into_inner);
        if journal.failed.is_some() || self.checkpoint().is_err() || !journal.removable {
            return;
        }
        // Removing it is tidiness: a journal whose records the store holds replays nothing.
        let _ = std::fs::remove_file(&journal.path).and_then(|()| sync_directory(&journal.path));
    }

    /// [`Arrears::open_with_backend`] with [`Durability::Journaled`], its journal on a second
    /// fault-injecting disk (feature `fault-injection`, for durability tests): what the
    /// journal disk holds after the store's last journaled commit is replayed first.
    ///
    /// # Errors
    ///
    /// As [`Arrears::open`].
    #[cfg(feature = "fault-injection")]
    pub fn open_journaled_with_backend(
        disk: &arrears_store::fault::FaultyDisk,
        journal_disk: &arrears_store::fault::FaultyDisk,
        options: Options,
    ) -> Result<Arrears, OpenError> {
        let options =
            Options { durability: Durability::Journaled, sharing: Sharing::Exclusive, ..options };
        let store = arrears_store::Store::open_with_backend(disk, options.store_options())?;
        let mut engine = Arrears::from_store(store, options.clock);
        let path = PathBuf::from("(journal disk)");
        let journal = engine.recover(Box::new(journal_disk.clone()), path, true)?;
        engine.journal = journal.map(Mutex::new);
        Ok(engine)
    }
}

impl Drop for Arrears {
    fn drop(&mut self) {
        self.close_journal();
    }
}
