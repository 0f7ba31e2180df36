//! A temporary on-disk map, for work whose keys do not fit a memory budget.
//!
//! `arrears import` keeps in one the keys of every row it has read (to refuse duplicates) and
//! what the rows that later rows refer to recorded, so that its memory does not grow with the
//! file. The map lives in an unnamed file (created in a directory the caller names, and
//! unlinked at once): nothing is left behind by a crash.

use std::path::Path;

use crate::error::StorageError;

/// A temporary, unnamed map from byte strings to byte strings, kept on disk: its memory is
/// bounded by [`ScratchMap::BUFFER_LEN`] entries waiting to be written and a cache of
/// [`ScratchMap::CACHE_BYTES`], however many entries it holds.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir();
/// let mut seen = arrears::scratch::ScratchMap::create_in(&dir)?;
/// assert!(!seen.contains(b"row-1")?);
/// seen.insert(b"row-1", &7u64.to_le_bytes())?;
/// assert_eq!(seen.get(b"row-1")?, Some(7u64.to_le_bytes().to_vec()));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ScratchMap {
    inner: arrears_store::Scratch,
}

impl ScratchMap {
    /// Most entries held in memory before they are written to the file.
    pub const BUFFER_LEN: usize = arrears_store::Scratch::BUFFER_LEN;

    /// The cache of the file, in bytes.
    pub const CACHE_BYTES: usize = arrears_store::Scratch::CACHE_BYTES;

    /// Creates an empty map in a new, unlinked file in `dir`.
    pub fn create_in(dir: &Path) -> Result<ScratchMap, StorageError> {
        Ok(ScratchMap { inner: arrears_store::Scratch::create_in(dir)? })
    }

    /// The value of `key`, if any.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(key)
    }

    /// Whether `key` has a value.
    pub fn contains(&self, key: &[u8]) -> Result<bool, StorageError> {
        self.inner.contains(key)
    }

    /// Sets the value of `key`, replacing any.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.inner.insert(key, value)
    }
}
