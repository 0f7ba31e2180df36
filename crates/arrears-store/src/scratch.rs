//! A temporary key-value file for work whose keys do not fit a memory budget.
//!
//! The import of a large file must remember every key it has seen (to refuse duplicates) and
//! what the rows that later rows refer to recorded. Kept in memory, that grows with the file;
//! a [`Scratch`] keeps it in an unnamed redb file instead, so the memory used is bounded by
//! [`Scratch::BUFFER_LEN`] pending entries and redb's cache of [`Scratch::CACHE_BYTES`],
//! whatever the size of the file.
//!
//! The file is created in a directory the caller names (the store's own, so the scratch is on
//! the same disk and never in a memory-backed `/tmp`) and unlinked at once: nothing is left
//! behind by a crash, and no other process can open it. Nothing in it is durable or meant to
//! be: a scratch dies with its value.
//!
//! Writes are buffered in memory and flushed to the file, in one transaction, when the buffer
//! is full; reads look in the buffer first, then in the file.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::Path;

use redb::{ReadableDatabase, TableDefinition};

use crate::error::{from_redb, StorageError};

const ENTRIES: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("entries");

/// A temporary, unnamed map from byte strings to byte strings, kept on disk.
pub struct Scratch {
    db: redb::Database,
    /// Entries not yet flushed to the file (newest value of each key).
    buffer: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The file's entries as of the last flush.
    reader: Option<redb::ReadOnlyTable<&'static [u8], &'static [u8]>>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch").field("buffered", &self.buffer.len()).finish_non_exhaustive()
    }
}

impl Scratch {
    /// Most entries held in memory before they are flushed to the file.
    pub const BUFFER_LEN: usize = 65_536;

    /// redb's cache (reads and the write buffer) for the scratch file.
    pub const CACHE_BYTES: usize = 32 << 20;

    /// Creates an empty scratch in `dir` (a file that is unlinked at once).
    pub fn create_in(dir: &Path) -> Result<Scratch, StorageError> {
        let file = unlinked_file(dir).map_err(|error| {
            let message = format!("cannot create a scratch file in {}: {error}", dir.display());
            StorageError::Engine(Box::new(std::io::Error::new(error.kind(), message)))
        })?;
        let backend = redb::backends::FileBackend::new(file).map_err(from_redb)?;
        let db = redb::Database::builder()
            .set_cache_size(Self::CACHE_BYTES)
            .create_with_backend(backend)
            .map_err(from_redb)?;
        Ok(Scratch { db, buffer: BTreeMap::new(), reader: None })
    }

    /// The value of `key`, if any.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(value) = self.buffer.get(key) {
            return Ok(Some(value.clone()));
        }
        let Some(reader) = &self.reader else { return Ok(None) };
        Ok(reader.get(key).map_err(from_redb)?.map(|value| value.value().to_vec()))
    }

    /// Whether `key` has a value.
    pub fn contains(&self, key: &[u8]) -> Result<bool, StorageError> {
        if self.buffer.contains_key(key) {
            return Ok(true);
        }
        let Some(reader) = &self.reader else { return Ok(false) };
        Ok(reader.get(key).map_err(from_redb)?.is_some())
    }

    /// Sets the value of `key`.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.buffer.insert(key.to_vec(), value.to_vec());
        if self.buffer.len() >= Self::BUFFER_LEN {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered entries to the file, in key order, in one transaction.
    fn flush(&mut self) -> Result<(), StorageError> {
        // The reader holds a read transaction; let it go so the commit can reuse its pages.
        self.reader = None;
        let mut txn = self.db.begin_write().map_err(from_redb)?;
        // Nothing in a scratch outlives the process, so no commit needs to reach the disk.
        txn.set_durability(redb::Durability::None).map_err(from_redb)?;
        {
            let mut table = txn.open_table(ENTRIES).map_err(from_redb)?;
            for (key, value) in std::mem::take(&mut self.buffer) {
                table.insert(key.as_slice(), value.as_slice()).map_err(from_redb)?;
            }
        }
        txn.commit().map_err(from_redb)?;
        let read = self.db.begin_read().map_err(from_redb)?;
        self.reader = Some(read.open_table(ENTRIES).map_err(from_redb)?);
        Ok(())
    }
}

/// A new file in `dir` that no name points to any more.
fn unlinked_file(dir: &Path) -> std::io::Result<std::fs::File> {
    let pid = std::process::id();
    for attempt in 0u32..1_000 {
        let path = dir.join(format!(".arrears-scratch-{pid}-{attempt}"));
        match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                return Ok(file);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("no free scratch file name in {}", dir.display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_flushes_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut scratch = Scratch::create_in(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the file is unlinked");
        let n = Scratch::BUFFER_LEN as u32 * 2 + 7;
        for i in 0..n {
            scratch.insert(&i.to_be_bytes(), &(i * 3).to_le_bytes()).unwrap();
        }
        assert!(scratch.buffer.len() < Scratch::BUFFER_LEN, "full buffers were flushed");
        // A later value of a flushed key wins.
        scratch.insert(&5u32.to_be_bytes(), b"five").unwrap();
        for i in (0..n).step_by(997) {
            let want = if i == 5 { b"five".to_vec() } else { (i * 3).to_le_bytes().to_vec() };
            assert_eq!(scratch.get(&i.to_be_bytes()).unwrap(), Some(want), "key {i}");
        }
        assert!(scratch.contains(&0u32.to_be_bytes()).unwrap());
        assert!(!scratch.contains(&n.to_be_bytes()).unwrap());
        assert_eq!(scratch.get(b"absent").unwrap(), None);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent");
        let error = Scratch::create_in(&missing).unwrap_err();
        let source = std::error::Error::source(&error).expect("the io error").to_string();
        assert!(source.contains(&missing.display().to_string()), "{source}");
    }
}
