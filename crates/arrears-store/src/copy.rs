//! A consistent copy of a whole store into a new file: the online backup's storage half.
//!
//! The copy reads one read transaction, a consistent snapshot of the last commit, so writers
//! (in this process or others: redb readers never block its writer) go on meanwhile; it writes
//! every table of the schema, found by the `tables!` list itself ([`copy_every_table`], which
//! the macro generates), so a table added to the schema is copied with no change here.

use std::fs::File;

use redb::ReadableTable;

use crate::error::{contain, from_redb, StorageError};
use crate::open::Store;
use crate::schema::{copy_every_table, TableId};
use crate::txn::ReadTxn;

impl Store {
    /// Copies this store, as of one consistent snapshot, into `file` (new and empty): every
    /// table, every entry, byte for byte, committed and synced to the file when this returns.
    /// Returns the read transaction the copy was taken from, so that the caller can read what
    /// the copy holds (its last audit sequence) from the very same snapshot.
    ///
    /// Writers are not blocked: the snapshot is a read transaction. The caller names, syncs
    /// and renames the file (the engine writes it under a temporary name, then renames it).
    ///
    /// # Errors
    ///
    /// A storage failure reading this store or writing the copy.
    pub fn copy_into(&self, file: File) -> Result<ReadTxn, StorageError> {
        let snapshot = self.read()?;
        contain(
            || "(copy)".to_owned(),
            || {
                let backend = redb::backends::FileBackend::new(file).map_err(from_redb)?;
                let copy =
                    redb::Database::builder().create_with_backend(backend).map_err(from_redb)?;
                let write = copy.begin_write().map_err(from_redb)?;
                copy_every_table(&snapshot.txn, &write)?;
                // redb's default durability: the commit is on disk when it returns.
                write.commit().map_err(from_redb)?;
                Ok(())
            },
        )?;
        Ok(snapshot)
    }
}

/// Copies one table, if the snapshot has it (a store written before a table was added within
/// its format lacks it; the copy lacks it too, as the original does).
pub(crate) fn copy_table<T: TableId>(
    from: &redb::ReadTransaction,
    to: &redb::WriteTransaction,
) -> Result<(), StorageError> {
    let source = match from.open_table(T::DEFINITION) {
        Ok(source) => source,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(other) => return Err(from_redb(other)),
    };
    let mut target = to.open_table(T::DEFINITION).map_err(from_redb)?;
    for entry in source.iter().map_err(from_redb)? {
        let (key, value) = entry.map_err(from_redb)?;
        target.insert(key.value(), value.value()).map_err(from_redb)?;
    }
    Ok(())
}
