//! Hooks for tests and the durability tests of other crates, compiled only for this crate's
//! tests and with the feature `fault-injection`: a store on the fault-injecting in-memory disk
//! ([`crate::fault::FaultyDisk`]), and raw writes that bypass the codec and the indexes to
//! damage a store on purpose, so that tests can check that decoding and `verify` notice.

use std::path::Path;

use arrears_core::ids::{AccountId, ObligationId};
use redb::ReadableTable;

use crate::codec::{encode_record, RecordKind};
use crate::error::{contain_open, from_redb, OpenError, StorageError};
use crate::fault::FaultyDisk;
use crate::hot::{put_part, Part};
use crate::open::{open_error, Db, Store, StoreOptions};
use crate::read::Reads;
use crate::schema::{
    command_key, idempotency_row, AuditEntry, IdempotencyIndex, IdempotencyOverflow, TableId,
    ACCOUNT_ENTRIES_FORMAT_3, EVENTS_FORMAT_3, IDEMPOTENCY_FORMAT_4, IDEMPOTENCY_KEYS_FORMAT_13,
    JOURNAL_FORMAT_3, META_FORMAT_VERSION,
};
use crate::schema::{AccountObligations, AccountRows, Audit, CasesOverlay, Debtors, Obligations};
use crate::schema::{
    LedgerLog, LedgerRow, Meta, Sequence, SnapshotCold, Snapshots, LEDGER_HEADS_FORMAT_5,
};
use crate::txn::{TableAccess, WriteTxn};

/// redb's builder for a store on a [`FaultyDisk`]: the disk has no file locks, so redb can only
/// use it exclusively, whatever `options.sharing` says (one in-memory disk is one process's).
fn backend_builder(options: StoreOptions) -> redb::Builder {
    let mut builder = redb::Builder::new();
    builder.set_cache_size(options.cache_size_bytes);
    builder
}

/// The path that errors name for a store on a [`FaultyDisk`].
const DISK_PATH: &str = "(fault-injection disk)";

impl Store {
    /// Creates a new store on a fault-injecting in-memory disk (tests only).
    ///
    /// # Errors
    ///
    /// [`OpenError::AlreadyExists`] if the disk is not empty, or a storage failure (such as an
    /// injected fault).
    pub fn create_with_backend(
        disk: &FaultyDisk,
        options: StoreOptions,
    ) -> Result<Store, OpenError> {
        contain_open(|| {
            let path = Path::new(DISK_PATH);
            if disk.stats().len > 0 {
                return Err(OpenError::AlreadyExists { path: path.to_owned() });
            }
            let db = backend_builder(options)
                .create_with_backend(disk.backend())
                .map_err(|error| open_error(path, error))?;
            Store::initialize(db, options)
        })
    }

    /// Opens an existing store on a fault-injecting in-memory disk (tests only), recovering
    /// from an interrupted commit as opening a file does.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub fn open_with_backend(disk: &FaultyDisk, options: StoreOptions) -> Result<Store, OpenError> {
        contain_open(|| {
            let path = Path::new(DISK_PATH);
            if disk.stats().len == 0 {
                return Err(OpenError::NotFound { path: path.to_owned() });
            }
            let db = backend_builder(options)
                .create_with_backend(disk.backend())
                .map_err(|error| open_error(path, error))?;
            Store::check_format(Db::Writable(db), options, path)
        })
    }

    /// Rewrites this store as format 2 wrote it, for the tests of the migration: every
    /// snapshot whole (its cold parts merged) at snapshot record version 1, no cold part, the
    /// events and journal entries back in their format-2 tables (`events` by account,
    /// `journal` by entry id, `account_entries`), and format version 2. The handle then holds
    /// a store it would refuse to open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_2(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        write_format_14_tables(&mut txn)?;
        for account in txn.account_ids()? {
            let Some(whole) = txn.whole_snapshot(account)? else { continue };
            // Version 1 is version 3 without its last three fields, `cold_parts` (a varint 0),
            // `cold_through` (`None`, 0) and `ledger_head` (eight bytes).
            let current = crate::rows::encode_snapshot_version_3(&whole, 0);
            let payload = &current[1..current.len() - 4];
            assert!(payload.ends_with(&[0; 10]), "a whole state counts no cold part");
            txn.raw_insert(Snapshots, account.0, &framed(1, &payload[..payload.len() - 10]))?;
        }
        txn.write_table(SnapshotCold, |table| {
            table.retain(|_, _| false).map_err(from_redb)?;
            Ok(())
        })?;
        write_format_4_idempotency(&mut txn)?;
        let rows = txn.all_ledger_rows()?;
        write_format_2_ledger(&txn, &rows)?;
        txn.write_sequences_exactly()?;
        txn.write_table(LedgerLog, |table| table.retain(|_, _| false).map_err(from_redb))?;
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, 2).map_err(from_redb)?;
            meta.remove(Sequence::Log.meta_key()).map_err(from_redb)?;
            Ok(())
        })?;
        txn.forget_cache();
        txn.commit()
    }

    /// Rewrites this store as format 14 wrote it, for the tests of the migration to format 15:
    /// each account's record, case and snapshot in the tables `accounts`, `cases` and
    /// `snapshots` ([`write_format_14_tables`]), format version 14. The handle then holds a
    /// store it would refuse to open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted row.
    pub fn rewrite_as_format_14(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        write_format_14_tables(&mut txn)?;
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, 14).map_err(from_redb)?;
            Ok(())
        })?;
        txn.forget_cache();
        txn.commit()
    }

    /// Rewrites this store as format 13 wrote it, for the tests of the migration to format 14:
    /// the idempotency index as `idempotency_keys`, each key's whole text to its command's
    /// audit sequence ([`write_format_13_idempotency`]), format version 13. The handle then
    /// holds a store it would refuse to open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_13(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        write_format_14_tables(&mut txn)?;
        write_format_13_idempotency(&mut txn)?;
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, 13).map_err(from_redb)?;
            Ok(())
        })?;
        txn.forget_cache();
        txn.commit()
    }

    /// Rewrites this store as format 10 wrote it, for the tests of the migration to format 11:
    /// every audit entry and every ledger row in a row of its own (the records of each chunk
    /// moved out of it, unchanged), format version 10. The handle then holds a store it would refuse to open:
    /// drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_10(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        write_format_14_tables(&mut txn)?;
        write_version_3_snapshots(&mut txn)?;
        write_format_13_idempotency(&mut txn)?;
        for (key, records) in chunked_rows(&txn, Audit)? {
            if records.len() > 1 {
                for (seq, record) in (key..).zip(&records) {
                    txn.raw_insert(Audit, seq, record)?;
                }
            }
        }
        for (key, records) in chunked_rows(&txn, LedgerLog)? {
            if records.len() > 1 {
                for (seq, record) in (key..).zip(&records) {
                    txn.raw_insert(LedgerLog, seq, record)?;
                }
            }
        }
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, 10).map_err(from_redb)?;
            Ok(())
        })?;
        txn.forget_cache();
        txn.commit()
    }

    /// How many rows the `audit` table has, and how many of them are chunks of several entries
    /// (format 11), for the tests of the layout.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted chunk.
    pub fn audit_rows_and_chunks(&self) -> Result<(usize, usize), StorageError> {
        let rows = chunked_rows(&self.read()?, Audit)?;
        Ok((rows.len(), rows.iter().filter(|(_, records)| records.len() > 1).count()))
    }

    /// [`Store::audit_rows_and_chunks`] of the `ledger_log` table.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted chunk.
    pub fn ledger_rows_and_chunks(&self) -> Result<(usize, usize), StorageError> {
        let rows = chunked_rows(&self.read()?, LedgerLog)?;
        Ok((rows.len(), rows.iter().filter(|(_, records)| records.len() > 1).count()))
    }

    /// The record version of each account's snapshot row, by account, for the tests of the
    /// compact snapshot (version 4, format 13) and of the rows older formats left.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn snapshot_record_versions(&self) -> Result<Vec<(u64, u8)>, StorageError> {
        let read = self.read()?;
        crate::hot::scan_parts(&read, Part::Snapshot, .., usize::MAX, |account, bytes| {
            Ok((account, bytes.first().copied().unwrap_or(0)))
        })
    }

    /// Rewrites this store as format 9 wrote it, for the tests of the migration to format 10:
    /// every audit entry at record version 4 (its own hash kept, the chain taken one record at
    /// a time), format version 9. The handle then holds a store it
    /// would refuse to open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_9(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        write_format_14_tables(&mut txn)?;
        write_version_3_snapshots(&mut txn)?;
        write_format_13_idempotency(&mut txn)?;
        write_format_9_audit(&mut txn)?;
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, 9).map_err(from_redb)?;
            Ok(())
        })?;
        txn.forget_cache();
        txn.commit()
    }

    /// Rewrites this store as format 8 wrote it, for the tests of the migration to format 9:
    /// every audit entry at record version 3 (its previous hash kept), format version 8. The
    /// handle then holds a store it would refuse to open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_8(&self) -> Result<(), StorageError> {
        self.rewrite_as_format(8, |_| Ok(()))
    }

    /// Rewrites this store as format 6 wrote it, for the tests of the migration to format 7:
    /// the log and entry sequences exact in `meta` (format 6 does not read them from the
    /// ledger log's last row), format version 6. The handle then holds a store it would refuse
    /// to open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_6(&self) -> Result<(), StorageError> {
        self.rewrite_as_format(6, |_| Ok(()))
    }

    /// Rewrites this store as format 5 wrote it, for the tests of the migration to format 6:
    /// each account's ledger head back in the `ledger_heads` table, its snapshot at record
    /// version 2 (no head), format version 5. The handle then holds a store it would refuse to
    /// open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_5(&self) -> Result<(), StorageError> {
        self.rewrite_as_format(5, write_format_5_heads)
    }

    /// Rewrites this store as format 4 wrote it, for the tests of the migration to format 5:
    /// each command's idempotency record back in the `idempotency` table by key, its audit
    /// entry at record version 2 (no replay), no idempotency index, the ledger heads as
    /// format 5 keeps them ([`Store::rewrite_as_format_5`]), format version 4.
    /// The handle then holds a store it would refuse to open: drop it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    pub fn rewrite_as_format_4(&self) -> Result<(), StorageError> {
        self.rewrite_as_format(4, |txn| {
            write_format_5_heads(txn)?;
            write_format_4_idempotency(txn)
        })
    }

    /// One write transaction that writes every audit entry as formats 5 to 8 did
    /// ([`write_format_8_audit`]) and the idempotency index as formats 5 to 13 did
    /// ([`write_format_13_idempotency`]), runs `rewrite`, writes the log and entry sequences exactly
    /// in `meta` (formats 6 and older do not read them from the ledger log's last row), writes
    /// format `version`, and commits with nothing of the transaction's cache written over it.
    fn rewrite_as_format(
        &self,
        version: u64,
        rewrite: impl FnOnce(&mut WriteTxn) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        write_format_14_tables(&mut txn)?;
        write_format_8_audit(&mut txn)?;
        write_version_3_snapshots(&mut txn)?;
        write_format_13_idempotency(&mut txn)?;
        rewrite(&mut txn)?;
        txn.write_sequences_exactly()?;
        txn.write_table(Meta, |meta| {
            meta.insert(META_FORMAT_VERSION, version).map_err(from_redb)?;
            Ok(())
        })?;
        txn.forget_cache();
        txn.commit()
    }

    /// How many snapshots this store's write transactions have encoded and written (committed
    /// or not): a transaction writes each account's snapshot once, at commit, however many of
    /// its events it recorded.
    pub fn snapshots_written(&self) -> u64 {
        self.snapshots_written.count.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many bytes of snapshots, and of the cold parts cut from them, this store's write
    /// transactions have written (committed or not): what a transaction rewrites of the
    /// accounts it changed (issue 21: it must not grow with an account's history).
    pub fn snapshot_bytes_written(&self) -> u64 {
        self.snapshots_written.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The row of `audit` that holds `records` (its first entry's sequence is the row's key): a
/// chunk, or the record alone.
fn raw_chunk(records: &[Vec<u8>]) -> Vec<u8> {
    crate::rows::chunk::row_of(records)
}

/// A row of `audit` or `ledger_log`: its key and the records it holds (one, or a chunk's).
type ChunkedRow = (u64, Vec<Vec<u8>>);

/// Every row of `table` (`audit` or `ledger_log`).
fn chunked_rows<T>(txn: &impl Reads, table: T) -> Result<Vec<ChunkedRow>, StorageError>
where
    T: TableId<Key = u64, Value = &'static [u8]>,
{
    txn.read_table(table, |handle| {
        let mut rows = Vec::new();
        for row in handle.iter().map_err(from_redb)? {
            let (key, bytes) = row.map_err(from_redb)?;
            let records = crate::rows::chunk::records(bytes.value()).map_err(|reason| {
                StorageError::Corrupted { table: T::NAME, key: key.value().to_string(), reason }
            })?;
            rows.push((key.value(), records.into_iter().map(<[u8]>::to_vec).collect()));
        }
        Ok(rows)
    })
}

/// A record of `version`: the version byte, `payload`, and the CRC-32 of both (the frame
/// `codec::encode` writes), for the rows of older formats the hooks write.
fn framed(version: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 5);
    bytes.push(version);
    bytes.extend_from_slice(payload);
    let checksum = crate::codec::crc32(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// The bytes of `entry` as formats 5 to 8 wrote it (audit record version 3): the record with
/// its previous hash (`rows::case::AuditEntryRow`), which version 4 leaves out. For tests that
/// write a log of an older format (feature `fault-injection`).
pub fn encode_audit_entry_format_8(entry: &AuditEntry) -> Vec<u8> {
    let current = crate::codec::encode(RecordKind::Audit, &crate::rows::Stored::to_row(entry));
    framed(3, &current[1..current.len() - 4])
}

/// The bytes of the entry of `record` with `replay` as format 10 appends it (audit record
/// version 5: neither hash, both its commit's, which its commit's last entry keeps). For tests that rewrite an
/// appended entry (feature `fault-injection`).
pub fn encode_audit_entry_format_10(
    record: &arrears_core::case::AuditRecord,
    replay: Option<&crate::IdempotencyRecord>,
) -> Vec<u8> {
    crate::rows::case::encode_committed_audit_entry(record, replay)
}

/// Rewrites every audit entry at record version 3, as formats 5 to 8 wrote it
/// ([`encode_audit_entry_format_8`]), each hashed on its own ([`chained_per_entry`]).
fn write_format_8_audit(txn: &mut WriteTxn) -> Result<(), StorageError> {
    for entry in chained_per_entry(txn)? {
        txn.raw_insert(Audit, entry.record.seq, &encode_audit_entry_format_8(&entry))?;
    }
    Ok(())
}

/// Rewrites every audit entry at record version 4, as format 9 wrote it, each hashed on its
/// own ([`chained_per_entry`]).
fn write_format_9_audit(txn: &mut WriteTxn) -> Result<(), StorageError> {
    for entry in chained_per_entry(txn)? {
        txn.raw_insert(Audit, entry.record.seq, &encode_record(RecordKind::Audit, &entry))?;
    }
    Ok(())
}

/// The audit log with the chain taken again as formats 1 to 9 took it, one record at a time
/// (format 10 hashes each commit's records together: `crate::chain`).
fn chained_per_entry(txn: &mut WriteTxn) -> Result<Vec<AuditEntry>, StorageError> {
    let mut log = txn.audit_log()?;
    let mut prev = [0; 32];
    for entry in &mut log {
        entry.record.prev_hash = prev;
        entry.hash = crate::chain::group_hash(&prev, [&entry.record]);
        prev = entry.hash;
    }
    Ok(log)
}

/// Splits every account row (format 15) into the tables of formats 14 and older: its account
/// record into `accounts`, its case into `cases`, its snapshot into `snapshots`, each a row
/// of its own as those formats kept them; leaves `account_rows` empty and turns the
/// transaction to the older layout ([`TableAccess::hot_rows`]), so that what the rewrite does
/// next reads and writes those tables. The first step of every rewrite as an older format.
fn write_format_14_tables(txn: &mut WriteTxn) -> Result<(), StorageError> {
    txn.write_snapshots()?;
    let rows: Vec<(u64, Vec<u8>)> = txn.read_table(AccountRows, |table| {
        let mut rows = Vec::new();
        for row in table.iter().map_err(from_redb)? {
            let (account, bytes) = row.map_err(from_redb)?;
            rows.push((account.value(), bytes.value().to_vec()));
        }
        Ok(rows)
    })?;
    txn.write_table(AccountRows, |table| table.retain(|_, _| false).map_err(from_redb))?;
    txn.hot_rows.set(false);
    for (account, row) in &rows {
        let parts = crate::hot::parse(row).map_err(|reason| StorageError::Corrupted {
            table: crate::hot::TABLE,
            key: account.to_string(),
            reason,
        })?;
        for part in [Part::Account, Part::Case, Part::Snapshot] {
            if let Some(bytes) = parts.get(part) {
                put_part(txn, part, *account, Some(bytes))?;
            }
        }
    }
    txn.forget_cache();
    Ok(())
}

/// Rewrites every snapshot of record version 4 (format 13) at version 3, as formats 6 to 12
/// wrote it: the same state and ledger head, in bincode's standard form of its row.
fn write_version_3_snapshots(txn: &mut WriteTxn) -> Result<(), StorageError> {
    txn.write_snapshots()?;
    let rows: Vec<(u64, Vec<u8>)> = txn.read_table(Snapshots, |table| {
        let mut rows = Vec::new();
        for row in table.iter().map_err(from_redb)? {
            let (account, bytes) = row.map_err(from_redb)?;
            if bytes.value().first() == Some(&4) {
                rows.push((account.value(), bytes.value().to_vec()));
            }
        }
        Ok(rows)
    })?;
    for (account, bytes) in rows {
        let record: crate::SnapshotRecord =
            crate::codec::decode_record(RecordKind::Snapshot, &bytes).map_err(|reason| {
                StorageError::Corrupted { table: "snapshots", key: account.to_string(), reason }
            })?;
        let version_3 = crate::rows::encode_snapshot_version_3(&record.state, record.ledger_head);
        txn.raw_insert(Snapshots, account, &version_3)?;
    }
    txn.forget_cache();
    Ok(())
}

/// Moves every account's ledger head out of its snapshot row into the `ledger_heads` table of
/// formats 4 and 5, and rewrites the row at snapshot record version 2 (version 3 without its
/// last field, the head's eight bytes).
fn write_format_5_heads(txn: &mut WriteTxn) -> Result<(), StorageError> {
    write_version_3_snapshots(txn)?;
    let rows: Vec<(u64, Vec<u8>)> = txn.read_table(Snapshots, |table| {
        let mut rows = Vec::new();
        for row in table.iter().map_err(from_redb)? {
            let (account, bytes) = row.map_err(from_redb)?;
            rows.push((account.value(), bytes.value().to_vec()));
        }
        Ok(rows)
    })?;
    {
        let owner = txn.cell().borrow_owner();
        let mut heads = owner.open_table(LEDGER_HEADS_FORMAT_5).map_err(from_redb)?;
        for (account, bytes) in &rows {
            let head = crate::rows::decode_snapshot_head(bytes).map_err(|reason| {
                StorageError::Corrupted { table: "snapshots", key: account.to_string(), reason }
            })?;
            if head != 0 {
                heads.insert(*account, head).map_err(from_redb)?;
            }
        }
    }
    for (account, bytes) in rows {
        if bytes[0] != 3 {
            continue;
        }
        let payload = &bytes[1..bytes.len() - 4];
        txn.raw_insert(Snapshots, account, &framed(2, &payload[..payload.len() - 8]))?;
    }
    txn.forget_cache();
    Ok(())
}

/// Moves every audit entry's replay back to the `idempotency` table of formats 1 to 4 (by its
/// command's key), rewrites the entry at record version 2 (version 3 without its last field,
/// `replay`, `None`) and drops `idempotency_keys` (formats 1 to 4 had none).
fn write_format_4_idempotency(txn: &mut WriteTxn) -> Result<(), StorageError> {
    let log = chained_per_entry(txn)?;
    {
        let owner = txn.cell().borrow_owner();
        let mut old = owner.open_table(IDEMPOTENCY_FORMAT_4).map_err(from_redb)?;
        for entry in &log {
            let (Some(replay), Some(key)) = (&entry.replay, command_key(&entry.record.kind)) else {
                continue;
            };
            let bytes = encode_record(RecordKind::Idempotency, replay);
            old.insert(key, bytes.as_slice()).map_err(from_redb)?;
        }
    }
    for entry in log {
        let seq = entry.record.seq;
        let version_3 = encode_audit_entry_format_8(&AuditEntry { replay: None, ..entry });
        let payload = &version_3[1..version_3.len() - 4];
        assert!(payload.ends_with(&[0]), "an entry without replay ends with its `None`");
        txn.raw_insert(Audit, seq, &framed(2, &payload[..payload.len() - 1]))?;
    }
    txn.cell().borrow_owner().delete_table(IDEMPOTENCY_KEYS_FORMAT_13).map_err(from_redb)?;
    empty_idempotency_index(txn)
}

/// Writes the idempotency index as formats 5 to 13 kept it, `idempotency_keys` (each key's
/// text -> its command's audit sequence, the key read from the entry each row of
/// `idempotency_index` points at, and the rows of `idempotency_overflow` as they are), and
/// empties both tables of format 14.
fn write_format_13_idempotency(txn: &mut WriteTxn) -> Result<(), StorageError> {
    let mut rows = txn.idempotency_overflow()?;
    // The log read once (an entry read alone reads on to the end of its commit).
    let log: std::collections::BTreeMap<u64, AuditEntry> =
        txn.audit_log()?.into_iter().map(|entry| (entry.record.seq, entry)).collect();
    for (row, seq) in txn.idempotency_index()? {
        let entry =
            log.get(&seq).ok_or(StorageError::Dangling { table: "audit", key: seq.to_string() })?;
        let key = command_key(&entry.record.kind)
            .ok_or(StorageError::Dangling { table: "idempotency_index", key: seq.to_string() })?;
        assert_eq!(
            idempotency_row(key),
            row,
            "the row of audit record {seq} has its key's row key"
        );
        rows.push((key.to_owned(), seq));
    }
    {
        let owner = txn.cell().borrow_owner();
        let mut old = owner.open_table(IDEMPOTENCY_KEYS_FORMAT_13).map_err(from_redb)?;
        for (key, seq) in &rows {
            old.insert(key.as_str(), seq).map_err(from_redb)?;
        }
    }
    empty_idempotency_index(txn)
}

/// Empties both tables of the idempotency index of format 14.
fn empty_idempotency_index(txn: &mut WriteTxn) -> Result<(), StorageError> {
    txn.write_table(IdempotencyIndex, |table| table.retain(|_, _| false).map_err(from_redb))?;
    txn.write_table(IdempotencyOverflow, |table| table.retain(|_, _| false).map_err(from_redb))
}

/// Writes ledger rows as formats 1 to 3 kept them: each event under `(account, seq)`, each
/// entry under its id, and the index of each account's entries.
fn write_format_2_ledger(txn: &WriteTxn, rows: &[(u64, LedgerRow)]) -> Result<(), StorageError> {
    let owner = txn.cell().borrow_owner();
    let mut events = owner.open_table(EVENTS_FORMAT_3).map_err(from_redb)?;
    let mut journal = owner.open_table(JOURNAL_FORMAT_3).map_err(from_redb)?;
    let mut index = owner.open_table(ACCOUNT_ENTRIES_FORMAT_3).map_err(from_redb)?;
    for (_, row) in rows {
        let key = (row.account.0, row.event.event.seq.0);
        events
            .insert(key, encode_record(RecordKind::Event, &row.event).as_slice())
            .map_err(from_redb)?;
        for entry in &row.entries {
            let bytes = encode_record(RecordKind::Entry, entry);
            journal.insert(entry.id.0, bytes.as_slice()).map_err(from_redb)?;
            index.insert((row.account.0, entry.id.0), ()).map_err(from_redb)?;
        }
    }
    Ok(())
}

impl WriteTxn {
    /// The ledger row that holds a journal entry, with its log sequence: for tests that damage
    /// an entry (re-encode the row, then [`WriteTxn::raw_overwrite`] it in `ledger_log`).
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record, or no row holds the entry.
    pub fn ledger_row_of_entry(&self, entry: u64) -> Result<(u64, LedgerRow), StorageError> {
        let rows = self.all_ledger_rows()?;
        rows.into_iter()
            .find(|(_, row)| row.entries.iter().any(|held| held.id.0 == entry))
            .ok_or(StorageError::Dangling { table: "ledger_log", key: format!("entry {entry}") })
    }

    /// Overwrites the raw bytes of a record, bypassing the codec, so that tests can check that
    /// `verify` and decoding detect damage. Writes the snapshots it has not written yet and
    /// makes the review index's deferred removals, then forgets the records the transaction
    /// keeps decoded.
    ///
    /// # Errors
    ///
    /// A storage failure, or an unknown table name.
    pub fn raw_overwrite(
        &mut self,
        table: &str,
        key: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        self.write_snapshots()?;
        self.write_review_rows()?;
        self.write_ledger_chunk()?;
        self.forget_cache();
        match table {
            "debtors" => self.raw_insert(Debtors, key, bytes),
            "accounts" => self.raw_part(Part::Account, key, Some(bytes)),
            "obligations" => self.raw_insert(Obligations, key, bytes),
            "ledger_log" => self.raw_overwrite_record(LedgerLog, key, Some(bytes)),
            "audit" => self.raw_overwrite_record(Audit, key, Some(bytes)),
            "cases" => self.raw_part(Part::Case, key, Some(bytes)),
            "cases_overlay" => self.raw_insert(CasesOverlay, key, bytes),
            "snapshots" => self.raw_part(Part::Snapshot, key, Some(bytes)),
            "account_rows" => self.raw_insert(AccountRows, key, bytes),
            _ => Err(StorageError::Dangling { table: "raw_overwrite", key: table.to_owned() }),
        }
    }

    /// Sets a sequence's value in `meta` (a damaged or stale `meta`), so that tests can check
    /// that `verify` sees a sequence that would give an id again. Forgets the sequences the
    /// transaction read or took, so that its commit writes none of them over it.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn raw_set_sequence(&mut self, sequence: Sequence, last: u64) -> Result<(), StorageError> {
        self.no_carry();
        {
            let mut cache = self.cache.borrow_mut();
            cache.sequences = Default::default();
            cache.sequences_taken = Default::default();
            cache.log_tail = None;
        }
        self.write_table(Meta, |meta| {
            meta.insert(sequence.meta_key(), last).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes (or removes) one part of an account's row as it is given, the row's other parts
    /// kept; in a store of format 14 or older, the part's own row.
    fn raw_part(&mut self, part: Part, key: u64, bytes: Option<&[u8]>) -> Result<(), StorageError> {
        self.no_carry();
        put_part(self, part, key, bytes)
    }

    fn raw_insert<T>(&mut self, table: T, key: u64, bytes: &[u8]) -> Result<(), StorageError>
    where
        T: TableId<Key = u64, Value = &'static [u8]>,
    {
        self.no_carry();
        self.write_table(table, |handle| {
            handle.insert(key, bytes).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Moves an idempotency key's index row to the row key of another key (a flipped bit in a
    /// row on disk), or removes it (`to` is `None`: a lost row), so that tests can check that
    /// `verify` and a retry see it.
    ///
    /// # Errors
    ///
    /// A storage failure, or a corrupted index.
    pub fn raw_move_idempotency(
        &mut self,
        from: &str,
        to: Option<&str>,
    ) -> Result<(), StorageError> {
        // The index is never cached, so the transaction's cache stays as it is.
        self.no_carry();
        let Some(seq) = self.idempotency_seq(from)? else { return Ok(()) };
        let row = idempotency_row(from);
        let primary = self.write_table(IdempotencyIndex, |handle| {
            if handle.get(row).map_err(from_redb)?.map(|guard| guard.value()) != Some(seq) {
                return Ok(false);
            }
            handle.remove(row).map_err(from_redb)?;
            Ok(true)
        })?;
        if !primary {
            self.write_table(IdempotencyOverflow, |handle| {
                handle.remove(from).map_err(from_redb)?;
                Ok(())
            })?;
        }
        match to {
            Some(to) => self.write_table(IdempotencyIndex, |handle| {
                handle.insert(idempotency_row(to), seq).map_err(from_redb)?;
                Ok(())
            }),
            None => Ok(()),
        }
    }

    /// Points, in the `idempotency_keys` table of formats 5 to 13 (a store rewritten by
    /// [`Store::rewrite_as_format_13`]), the key `key` at audit record `seq`, so that tests can
    /// check what the migration to format 14 does with a row that reaches no command of its key.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn raw_insert_format_13_idempotency(
        &mut self,
        key: &str,
        seq: u64,
    ) -> Result<(), StorageError> {
        self.no_carry();
        let owner = self.cell().borrow_owner();
        let mut table = owner.open_table(IDEMPOTENCY_KEYS_FORMAT_13).map_err(from_redb)?;
        table.insert(key, seq).map_err(from_redb)?;
        Ok(())
    }

    /// Copies, in the `idempotency` table of formats 1 to 4 (a store rewritten by
    /// [`Store::rewrite_as_format_4`]), the record of key `from` to key `to`, so that tests can
    /// check what the migration to format 5 does with a record no audit record names.
    ///
    /// # Errors
    ///
    /// A storage failure, or no record under `from`.
    pub fn raw_copy_format_4_idempotency(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<(), StorageError> {
        self.no_carry();
        let owner = self.cell().borrow_owner();
        let mut table = owner.open_table(IDEMPOTENCY_FORMAT_4).map_err(from_redb)?;
        let bytes = table
            .get(from)
            .map_err(from_redb)?
            .map(|guard| guard.value().to_vec())
            .ok_or(StorageError::Dangling { table: "idempotency", key: from.to_owned() })?;
        table.insert(to, bytes.as_slice()).map_err(from_redb)?;
        Ok(())
    }

    /// Removes one row of the account-obligation index, so that tests can check that `verify`
    /// reports an inconsistent index.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn raw_remove_obligation_index(
        &mut self,
        account: AccountId,
        obligation: ObligationId,
    ) -> Result<(), StorageError> {
        self.no_carry();
        self.write_table(AccountObligations, |index| {
            index.remove((account.0, obligation.0)).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Removes the snapshot row of `account` (a damaged page that lost it), for the tests of
    /// what reads the account. Forgets the records the transaction keeps decoded.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn raw_remove_snapshot(&mut self, account: AccountId) -> Result<(), StorageError> {
        self.forget_cache();
        self.raw_part(Part::Snapshot, account.0, None)
    }

    /// Removes the audit entry `seq` (a damaged log with a gap), for the tests of what reads
    /// it. Forgets the cached head, so that a removed last entry is not taken for the head.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn raw_remove_audit_entry(&mut self, seq: u64) -> Result<(), StorageError> {
        self.forget_cache();
        self.raw_overwrite_record(Audit, seq, None)
    }

    /// Puts `bytes` in place of the record `seq` of `table` (`audit` or `ledger_log`), or
    /// removes it (`None`), where the record is: its own row, or its place in a chunk (format
    /// 11). A chunk loses a record by being cut in two around it, so that the records after it
    /// keep their sequences; a record not in the table is written in a row of its own.
    fn raw_overwrite_record<T>(
        &mut self,
        table: T,
        seq: u64,
        bytes: Option<&[u8]>,
    ) -> Result<(), StorageError>
    where
        T: TableId<Key = u64, Value = &'static [u8]>,
    {
        let row = self.read_table(table, |table| {
            let Some(row) = table.range(..=seq).map_err(from_redb)?.next_back() else {
                return Ok(None);
            };
            let (key, value) = row.map_err(from_redb)?;
            Ok(Some((key.value(), value.value().to_vec())))
        })?;
        let records = match &row {
            Some((key, value)) => crate::rows::chunk::records(value)
                .map(|records| records.into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>())
                .ok()
                .filter(|records| seq < key + records.len() as u64 && records.len() > 1)
                .map(|records| (*key, records)),
            None => None,
        };
        let Some((key, mut records)) = records else {
            return self.write_table(table, |table| {
                match bytes {
                    Some(bytes) => table.insert(seq, bytes).map_err(from_redb)?,
                    None => table.remove(seq).map_err(from_redb)?,
                };
                Ok(())
            });
        };
        let at = (seq - key) as usize;
        let (before, after) = match bytes {
            Some(bytes) => {
                records[at] = bytes.to_vec();
                (records, Vec::new())
            }
            None => {
                let after = records.split_off(at + 1);
                records.pop();
                (records, after)
            }
        };
        self.write_table(table, |table| {
            table.remove(key).map_err(from_redb)?;
            for (first, records) in [(key, before), (seq + 1, after)] {
                if !records.is_empty() {
                    table.insert(first, raw_chunk(&records).as_slice()).map_err(from_redb)?;
                }
            }
            Ok(())
        })
    }
}
