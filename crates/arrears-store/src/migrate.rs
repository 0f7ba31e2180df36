//! The explicit migration of an older store to the current format (`arrears migrate`).
//!
//! No open migrates: an older file is refused with [`OpenError::NeedsMigration`], and
//! [`Store::migrate`] brings it to the current format, taking the file for itself meanwhile.
//! Format 1 becomes format 2 in one write transaction (each account's snapshot built by
//! replaying its events). Format 2 or 3 becomes format 4 in steps of [`ACCOUNTS_PER_STEP`]
//! accounts, each one write transaction that moves those accounts' events and journal entries
//! into the ledger log (one row per event, chained per account), rewrites their snapshots
//! (moving their settled items to cold parts) and records, in `meta`, the first account still
//! to do: a migration killed at any point leaves a file of the older format that the next
//! `migrate` resumes. The last step drops the tables of the older format, creates the new
//! ones and writes the new version. Format 4 becomes 5 in steps over the audit log (each
//! command's idempotency record moved into its audit entry), and 5 becomes 6 in steps of
//! accounts again (each account's ledger head moved from `ledger_heads` into its snapshot
//! row), each step resumable the same way. Format 6 becomes 7 in one commit that writes the
//! version (format 7 reads format 6's sequences as they are), and each of formats 7 to 12 the
//! next in one commit as well. Format 13 becomes 14 in steps over the audit log again: each
//! command's row of the idempotency index written by its key's row key (its tail and hash),
//! the index keyed by the keys' text dropped by the last step.

use std::path::Path;

use arrears_core::ledger::{replay, Event, EventRecord, JournalEntry};
use redb::ReadableTable;

use crate::codec::{decode_record, RecordKind};
use crate::error::{from_redb, MigrateError, OpenError, StorageError};
use crate::hot::{self, Parts};
use crate::open::{open_error, Db, Sharing, Store, StoreOptions};
use crate::read::{audit_entries, audit_entries_unlinked, AuditLog, Reads};
use crate::rows::Record;
use crate::schema::{
    command_key, idempotency_row, AccountRecord, AccountRows, Accounts, Audit, AuditEntry, Cases,
    IdempotencyIndex, IdempotencyOverflow, IdempotencyRecord, Meta, Snapshots, TableId,
    ACCOUNT_ENTRIES_FORMAT_3, DERIVED_FORMAT_1, EVENTS_FORMAT_3, FORMAT_VERSION,
    FORMAT_VERSION_OLDEST, IDEMPOTENCY_FORMAT_4, IDEMPOTENCY_KEYS_FORMAT_13, JOURNAL_FORMAT_3,
    LEDGER_HEADS_FORMAT_5, META_FORMAT_VERSION, META_MIGRATION_NEXT_ACCOUNT,
    META_MIGRATION_NEXT_AUDIT,
};
use crate::txn::{TableAccess, WriteTxn};
use arrears_core::ids::AccountId;
use arrears_core::ledger::EntryKind;

/// Accounts rewritten per write transaction of a migration to format 4.
pub const ACCOUNTS_PER_STEP: usize = 2_000;

/// Audit records read per write transaction of a migration to format 5, per account of
/// [`ACCOUNTS_PER_STEP`] (so 20,000 by default; a test's smaller step shrinks both).
const AUDIT_PER_ACCOUNT_STEP: usize = 10;

/// What a migration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// The format version found.
    pub from: u64,
    /// The format version written.
    pub to: u64,
    /// The first account id this run rewrote, when it resumed a migration that had stopped.
    pub resumed_at: Option<u64>,
    /// Accounts whose snapshot this run rewrote (the steps to 4 and to 6), plus those whose
    /// row of `account_rows` it wrote (the step to 15: every account).
    pub accounts: u64,
    /// Commands whose idempotency record this run moved into their audit entry (the
    /// migration to format 5).
    pub commands: u64,
    /// Write transactions this run committed.
    pub steps: u64,
}

impl Store {
    /// Migrates the store at `path` to the current format ([`crate::FORMAT_VERSION`]), holding
    /// the file exclusively meanwhile (no other handle may have it open). Resumes a migration
    /// that was stopped; refuses a store already at the current format.
    ///
    /// # Errors
    ///
    /// [`MigrateError::AlreadyCurrent`], [`MigrateError::Open`] (no file, not a store, a format
    /// too old or too new, open elsewhere), or a storage failure (nothing of the failed step is
    /// written; run it again to resume).
    pub fn migrate(path: &Path, options: StoreOptions) -> Result<Migration, MigrateError> {
        Store::migrate_in_steps(path, options, ACCOUNTS_PER_STEP, u64::MAX)
    }

    /// [`Store::migrate`] with its step size, stopping (as a kill would) after `steps_max`
    /// committed steps: for the tests of a resumed migration.
    #[doc(hidden)]
    pub fn migrate_in_steps(
        path: &Path,
        options: StoreOptions,
        accounts_per_step: usize,
        steps_max: u64,
    ) -> Result<Migration, MigrateError> {
        if std::fs::metadata(path).is_err() {
            return Err(OpenError::NotFound { path: path.to_owned() }.into());
        }
        let options = StoreOptions { sharing: Sharing::Exclusive, ..options };
        let builder = {
            let mut builder = redb::Builder::new();
            builder
                .set_cache_size(options.cache_size_bytes)
                .set_concurrency_mode(redb::ConcurrencyMode::ExclusiveWriter);
            builder
        };
        let db = builder.open(path).map_err(|error| open_error(path, error))?;
        let mut store = Store::new(Db::Writable(db), options);
        // A step rewrites rows of the older formats behind the records' cache: none is handed
        // from one step to the next.
        store.carries = false;
        let Some(from) = store.stored_format_version()? else {
            return Err(OpenError::NotAStore { path: path.to_owned() }.into());
        };
        if from > FORMAT_VERSION {
            return Err(OpenError::FormatTooNew { found: from, supported: FORMAT_VERSION }.into());
        }
        if from < FORMAT_VERSION_OLDEST {
            let oldest_supported = FORMAT_VERSION_OLDEST;
            return Err(OpenError::FormatTooOld { found: from, oldest_supported }.into());
        }
        if from == FORMAT_VERSION {
            return Err(MigrateError::AlreadyCurrent { path: path.to_owned(), version: from });
        }
        // The steps before the one to 15 read and write the tables of format 14 and older.
        store.hot_rows = from >= 15;
        let mut migration =
            Migration { from, to: from, resumed_at: None, accounts: 0, commands: 0, steps: 0 };
        if from < 2 {
            store.migrate_to_2()?;
            migration.steps += 1;
        }
        migration.to = from.max(2);
        while migration.to < 4 && migration.steps < steps_max {
            migration.steps += 1;
            if store.migrate_step_to_4(accounts_per_step, &mut migration)? {
                migration.to = 4;
            }
        }
        let records_per_step = accounts_per_step.max(1).saturating_mul(AUDIT_PER_ACCOUNT_STEP);
        while migration.to == 4 && migration.steps < steps_max {
            migration.steps += 1;
            if store.migrate_step_to_5(records_per_step, &mut migration)? {
                migration.to = 5;
            }
        }
        while migration.to == 5 && migration.steps < steps_max {
            migration.steps += 1;
            if store.migrate_step_to_6(accounts_per_step, &mut migration)? {
                migration.to = 6;
            }
        }
        for version in [7, 8, 9, 10, 11, 12, 13] {
            if migration.to == version - 1 && migration.steps < steps_max {
                migration.steps += 1;
                store.migrate_tables_and_version(version)?;
                migration.to = version;
            }
        }
        while migration.to == 13 && migration.steps < steps_max {
            migration.steps += 1;
            if store.migrate_step_to_14(records_per_step, &mut migration)? {
                migration.to = 14;
            }
        }
        while migration.to == 14 && migration.steps < steps_max {
            migration.steps += 1;
            if store.migrate_step_to_15(accounts_per_step, &mut migration)? {
                migration.to = 15;
                store.hot_rows = true;
            }
        }
        Ok(migration)
    }

    /// Version 2 adds the `snapshots` table: every account's state after its last event.
    /// Built here by replaying each account's events, in one write transaction with the new
    /// version number, so an interrupted migration leaves a version 1 store behind.
    fn migrate_to_2(&self) -> Result<(), StorageError> {
        let mut txn = self.write()?;
        txn.read_table(Snapshots, |_| Ok(()))?;
        // The `derived` table of format 1 is gone: the journal holds the same sums.
        txn.cell().borrow_owner().delete_table(DERIVED_FORMAT_1).map_err(from_redb)?;
        for account in txn.all_accounts()? {
            let events: Vec<Event> =
                legacy_events(&txn, account.id.0)?.into_iter().map(|record| record.event).collect();
            if !events.is_empty() {
                txn.put_snapshot(account.id, replay(&account, &events, None).state)?;
            }
        }
        set_meta(&mut txn, META_FORMAT_VERSION, Some(2))?;
        txn.commit()
    }

    /// One step of the migration from format 2 or 3 to 4: moves the ledger of the next
    /// `accounts_per_step` accounts into the ledger log, rewrites their snapshots (each write
    /// moves what is settled to a cold part, see `WriteTxn::write_snapshots`) and records
    /// where the next step starts; the last step drops the older format's ledger tables and
    /// writes version 4 (the tables new in format 3 and 4 are created by their first write).
    /// Returns true after the last step.
    fn migrate_step_to_4(
        &self,
        accounts_per_step: usize,
        migration: &mut Migration,
    ) -> Result<bool, StorageError> {
        let mut txn = self.write()?;
        let (ids, last_step) = step_accounts(&txn, accounts_per_step, migration)?;
        for &id in ids.iter().take(accounts_per_step.max(1)) {
            move_ledger_to_log(&mut txn, id)?;
            if let Some(state) = txn.snapshot(AccountId(id))? {
                txn.put_snapshot(AccountId(id), state)?;
                migration.accounts += 1;
            }
        }
        if last_step {
            let owner = txn.cell().borrow_owner();
            owner.delete_table(EVENTS_FORMAT_3).map_err(from_redb)?;
            owner.delete_table(JOURNAL_FORMAT_3).map_err(from_redb)?;
            owner.delete_table(ACCOUNT_ENTRIES_FORMAT_3).map_err(from_redb)?;
            set_meta(&mut txn, META_MIGRATION_NEXT_ACCOUNT, None)?;
            set_meta(&mut txn, META_FORMAT_VERSION, Some(4))?;
        } else {
            set_meta(&mut txn, META_MIGRATION_NEXT_ACCOUNT, ids.last().copied())?;
        }
        txn.write_sequences_exactly()?;
        txn.commit()?;
        Ok(last_step)
    }

    /// One step of the migration from format 4 to 5: for the next `records_per_step` audit
    /// records, moves each command's idempotency record from the `idempotency` table of
    /// formats 1 to 4 into the command's audit entry (its `replay`; the hash chain is taken
    /// over the record alone, so it is unchanged) and points the key at it in
    /// the key's index (`idempotency_index` of format 14, which the step to 14 leaves as it
    /// is); records in `meta` where the next step starts. The last step refuses
    /// to finish if an idempotency record is left that no command's audit record names (the
    /// key could no longer replay: nothing of the step is written), then drops the old table,
    /// creates the new ones and writes the version. Returns true after the last step.
    fn migrate_step_to_5(
        &self,
        records_per_step: usize,
        migration: &mut Migration,
    ) -> Result<bool, MigrateError> {
        let mut txn = self.write()?;
        let (entries, following) = step_audit(&txn, records_per_step, Linked::Yes)?;
        let last_step = following.is_none();
        let moved = move_idempotency_records(&txn, entries, last_step)?;
        for entry in &moved {
            txn.put_audit_entry(entry)?;
        }
        migration.commands += moved.len() as u64;
        if last_step {
            txn.cell().borrow_owner().delete_table(IDEMPOTENCY_FORMAT_4).map_err(from_redb)?;
            set_meta(&mut txn, META_MIGRATION_NEXT_AUDIT, None)?;
            set_meta(&mut txn, META_FORMAT_VERSION, Some(5))?;
        } else {
            set_meta(&mut txn, META_MIGRATION_NEXT_AUDIT, following)?;
        }
        txn.write_sequences_exactly()?;
        txn.commit()?;
        Ok(last_step)
    }
}

impl Store {
    /// One step of the migration from format 5 to 6: for the next `accounts_per_step`
    /// accounts, moves the account's ledger head from the `ledger_heads` table of formats 4
    /// and 5 into its snapshot row (`WriteTxn::write_snapshots` writes the row with the head
    /// at commit; an account with a head and no snapshot gets its state rebuilt from its
    /// events), rewrites an account record that keeps no debtor jurisdiction (written before
    /// account record version 3) with its debtor's, and records where the next step starts.
    /// An account without a row in `ledger_heads` has no ledger, or its snapshot was written
    /// with its head by this build (a migration from format 2 or 3 moves the ledger into the
    /// log with the new rows). The last step drops `ledger_heads`, creates the tables of the
    /// current format and writes the version. Returns true after the last step.
    fn migrate_step_to_6(
        &self,
        accounts_per_step: usize,
        migration: &mut Migration,
    ) -> Result<bool, StorageError> {
        let mut txn = self.write()?;
        let (ids, last_step) = step_accounts(&txn, accounts_per_step, migration)?;
        let heads: Vec<(u64, u64)> = {
            let owner = txn.cell().borrow_owner();
            let table = owner.open_table(LEDGER_HEADS_FORMAT_5).map_err(from_redb)?;
            let mut heads = Vec::new();
            for &id in ids.iter().take(accounts_per_step.max(1)) {
                if let Some(head) = table.get(id).map_err(from_redb)? {
                    heads.push((id, head.value()));
                }
            }
            heads
        };
        for (id, head) in heads {
            txn.adopt_ledger_head(AccountId(id), head);
            migration.accounts += 1;
        }
        // An account record written before account record version 3 keeps no jurisdiction (its
        // payments read the debtor for it): written again, it keeps its debtor's.
        for &id in ids.iter().take(accounts_per_step.max(1)) {
            let Some(record) = txn.account_record(AccountId(id))? else { continue };
            if record.debtor_jurisdiction.is_some() {
                continue;
            }
            if let Some(debtor) = txn.debtor(record.account.debtor)? {
                let debtor_jurisdiction = Some(debtor.jurisdiction);
                txn.put_account_record(&AccountRecord { debtor_jurisdiction, ..record })?;
            }
        }
        if last_step {
            txn.cell().borrow_owner().delete_table(LEDGER_HEADS_FORMAT_5).map_err(from_redb)?;
            txn.create_every_table()?;
            set_meta(&mut txn, META_MIGRATION_NEXT_ACCOUNT, None)?;
            set_meta(&mut txn, META_FORMAT_VERSION, Some(6))?;
        } else {
            set_meta(&mut txn, META_MIGRATION_NEXT_ACCOUNT, ids.last().copied())?;
        }
        txn.write_sequences_exactly()?;
        txn.commit()?;
        Ok(last_step)
    }

    /// One step of the migration from format 14 to 15: for the next `accounts_per_step` rows
    /// of `accounts` (by account, from `migration.next_account` in `meta`), writes the
    /// account's row of `account_rows` from its rows of `accounts`, `cases` and `snapshots`,
    /// each record's bytes as they are (none is decoded: a damaged record is carried over as
    /// it was, for `verify` to report), and records in `meta` where the next step starts. The
    /// three tables stay whole until the last step, so a migration stopped between steps leaves
    /// a store of format 14 as it was (the resumed one writes again the same rows). The last
    /// step also writes the rows of cases and snapshots whose account has no record (none in a
    /// sound store; kept, for `verify` to report), then drops the three tables and writes the
    /// version. Returns true after the last step.
    fn migrate_step_to_15(
        &self,
        accounts_per_step: usize,
        migration: &mut Migration,
    ) -> Result<bool, StorageError> {
        let mut txn = self.write()?;
        let next = get_meta(&txn, META_MIGRATION_NEXT_ACCOUNT)?;
        if migration.steps == 1 {
            migration.resumed_at = next;
        }
        let per_step = accounts_per_step.max(1);
        let (rows, accounts, following) = {
            let owner = txn.cell().borrow_owner();
            let accounts = owner.open_table(Accounts::DEFINITION).map_err(from_redb)?;
            let cases = owner.open_table(Cases::DEFINITION).map_err(from_redb)?;
            let snapshots = owner.open_table(Snapshots::DEFINITION).map_err(from_redb)?;
            let mut rows: Vec<(u64, Vec<u8>)> = Vec::with_capacity(per_step);
            let mut following = None;
            for row in accounts.range(next.unwrap_or(0)..).map_err(from_redb)? {
                let (key, record) = row.map_err(from_redb)?;
                let id = key.value();
                if rows.len() == per_step {
                    following = Some(id);
                    break;
                }
                let case = cases.get(id).map_err(from_redb)?;
                let snapshot = snapshots.get(id).map_err(from_redb)?;
                let parts = Parts {
                    account: record.value(),
                    case: case.as_ref().map_or(&[][..], |case| case.value()),
                    snapshot: snapshot.as_ref().map_or(&[][..], |snapshot| snapshot.value()),
                };
                rows.push((id, hot::encode(&parts)));
            }
            let accounts_done = rows.len() as u64;
            if following.is_none() {
                // Cases and snapshots of no account record: a row without its account part.
                let mut orphans: std::collections::BTreeMap<u64, (Vec<u8>, Vec<u8>)> =
                    std::collections::BTreeMap::new();
                for row in cases.iter().map_err(from_redb)? {
                    let (key, case) = row.map_err(from_redb)?;
                    if accounts.get(key.value()).map_err(from_redb)?.is_none() {
                        orphans.entry(key.value()).or_default().0 = case.value().to_vec();
                    }
                }
                for row in snapshots.iter().map_err(from_redb)? {
                    let (key, snapshot) = row.map_err(from_redb)?;
                    if accounts.get(key.value()).map_err(from_redb)?.is_none() {
                        orphans.entry(key.value()).or_default().1 = snapshot.value().to_vec();
                    }
                }
                for (id, (case, snapshot)) in orphans {
                    let parts = Parts { account: &[], case: &case, snapshot: &snapshot };
                    rows.push((id, hot::encode(&parts)));
                }
            }
            (rows, accounts_done, following)
        };
        txn.write_table(AccountRows, |table| {
            for (id, row) in &rows {
                table.insert(*id, row.as_slice()).map_err(from_redb)?;
            }
            Ok(())
        })?;
        migration.accounts += accounts;
        let last_step = following.is_none();
        if last_step {
            let owner = txn.cell().borrow_owner();
            owner.delete_table(Accounts::DEFINITION).map_err(from_redb)?;
            owner.delete_table(Cases::DEFINITION).map_err(from_redb)?;
            owner.delete_table(Snapshots::DEFINITION).map_err(from_redb)?;
            set_meta(&mut txn, META_MIGRATION_NEXT_ACCOUNT, None)?;
            set_meta(&mut txn, META_FORMAT_VERSION, Some(15))?;
        } else {
            set_meta(&mut txn, META_MIGRATION_NEXT_ACCOUNT, following)?;
        }
        txn.write_sequences_exactly()?;
        txn.commit()?;
        Ok(last_step)
    }

    /// One step of the migration from format 13 to 14: for the next `records_per_step` audit
    /// records, each command's entry that its key's row of `idempotency_keys` points at gets
    /// its row in `idempotency_index` (the key's row key -> the entry's sequence, or a row of its
    /// own in `idempotency_overflow` when another key holds that row); `meta` records
    /// where the next step starts. `idempotency_keys` is left whole until the last step, so a
    /// migration stopped between steps leaves a store of format 13 as it was (and the rows
    /// already written again by the resumed one are the same). The last step refuses to finish
    /// if a row of `idempotency_keys` has no row in the new index (it points at no command's
    /// entry of its key: the key could no longer replay; nothing of the step is written), then
    /// drops `idempotency_keys` and writes the version. Returns true after the last step.
    ///
    /// A migration from a format before 5 reaches this step with `idempotency_keys` empty: the
    /// step to 5 wrote each key's row in `idempotency_index` already.
    fn migrate_step_to_14(
        &self,
        records_per_step: usize,
        migration: &mut Migration,
    ) -> Result<bool, MigrateError> {
        let mut txn = self.write()?;
        // The commands' keys and replays only: no hash is read, so a step reads its records
        // and no more, whatever the commits they were written by.
        let (entries, following) = step_audit(&txn, records_per_step, Linked::No)?;
        let last_step = following.is_none();
        let rows = {
            let owner = txn.cell().borrow_owner();
            let old = owner.open_table(IDEMPOTENCY_KEYS_FORMAT_13).map_err(from_redb)?;
            let mut rows = Vec::new();
            for entry in &entries {
                let seq = entry.record.seq;
                let Some(key) = command_key(&entry.record.kind) else { continue };
                if entry.replay.is_none() {
                    continue;
                }
                if old.get(key).map_err(from_redb)?.map(|guard| guard.value()) == Some(seq) {
                    rows.push((key, seq));
                }
            }
            rows
        };
        for &(key, seq) in &rows {
            txn.index_key(key, seq)?;
        }
        migration.commands += rows.len() as u64;
        if last_step {
            // Every row of the old index has its row in the new one: under its key's row key, or
            // (another key's command holding that) in the overflow.
            let left = txn.read_table(IdempotencyIndex, |index| {
                txn.read_table(IdempotencyOverflow, |overflow| {
                    let owner = txn.cell().borrow_owner();
                    let old = owner.open_table(IDEMPOTENCY_KEYS_FORMAT_13).map_err(from_redb)?;
                    for row in old.iter().map_err(from_redb)? {
                        let (key, seq) = row.map_err(from_redb)?;
                        let (key, seq) = (key.value(), Some(seq.value()));
                        let primary = index.get(idempotency_row(key)).map_err(from_redb)?;
                        let overflowed = overflow.get(key).map_err(from_redb)?;
                        if primary.map(|guard| guard.value()) != seq
                            && overflowed.map(|guard| guard.value()) != seq
                        {
                            return Ok(Some(key.to_owned()));
                        }
                    }
                    Ok(None)
                })
            })?;
            if let Some(key) = left {
                return Err(MigrateError::Unreplayable { key, format: 14 });
            }
            txn.cell()
                .borrow_owner()
                .delete_table(IDEMPOTENCY_KEYS_FORMAT_13)
                .map_err(from_redb)?;
            set_meta(&mut txn, META_MIGRATION_NEXT_AUDIT, None)?;
            set_meta(&mut txn, META_FORMAT_VERSION, Some(14))?;
        } else {
            set_meta(&mut txn, META_MIGRATION_NEXT_AUDIT, following)?;
        }
        txn.write_sequences_exactly()?;
        txn.commit()?;
        Ok(last_step)
    }

    /// The steps to versions 7 to 13, each one commit that creates the tables the store lacks
    /// and writes the version.
    ///
    /// Version 7 reads the log and entry sequences from the ledger log's last row as well as
    /// from `meta`, and a commit whose last log row shows them no longer writes them to `meta`
    /// ([`Reads::stored_sequence`]). A store of format 6 keeps every sequence exact in `meta`,
    /// which format 7 reads as it is.
    ///
    /// Version 8 adds the case overlay, `cases_overlay` ([`crate::CasePlacement`]), which
    /// starts empty: a build of format 7 would not look in it, hence the version.
    ///
    /// Version 9 writes audit entries without their previous hash (audit record version 4,
    /// [`crate::rows::case::LinkedAuditEntryRow`]), which a build of format 8 could not read;
    /// the entries already written keep theirs, and read as they are.
    ///
    /// Version 10 hashes the audit chain once per commit: it writes a commit's entries but the
    /// last without a hash of their own (audit record version 5,
    /// [`crate::rows::case::CommittedAuditEntryRow`]), which a build of format 9 could not read.
    /// The entries already written keep their hashes; the first commit links to the last of
    /// them, so the chain goes on.
    ///
    /// Version 11 writes a commit's audit entries and ledger rows in chunks, several records
    /// to a row of `audit` and of `ledger_log` ([`crate::rows::chunk`]), which a build of
    /// format 10 could not read. The records already written, one to a row, read as they are.
    ///
    /// Version 12 writes the terms of an account opened with `thirty_360` with a new day-count
    /// variant, whose pieces of a period count their days from the period's first day
    /// (`DayCount::Thirty360`), which a build of format 11 could not read. The accounts already
    /// written keep the variant they were written with, read as `DayCount::Thirty360ByPiece`,
    /// the rule their recorded interest was derived by, so they replay as recorded.
    ///
    /// Version 13 writes account snapshots in the compact form (snapshot record version 4,
    /// `rows::snapshot::compact`), which a build of format 12 could not read. The snapshots
    /// already written keep version 3 and read as they are, each until its account's next
    /// write.
    fn migrate_tables_and_version(&self, version: u64) -> Result<(), StorageError> {
        debug_assert!((7..=FORMAT_VERSION).contains(&version));
        let mut txn = self.write()?;
        txn.create_every_table()?;
        set_meta(&mut txn, META_FORMAT_VERSION, Some(version))?;
        txn.commit()
    }
}

/// Takes, from the `idempotency` table of formats 1 to 4, the record of each command among
/// `entries` (by its key) and returns those entries with it as their replay. A command without
/// a record keeps none (`verify` reports it, as it did in format 4). With `last`, no record may
/// be left in the table: one would be a key that could no longer replay.
fn move_idempotency_records(
    txn: &WriteTxn,
    entries: Vec<AuditEntry>,
    last: bool,
) -> Result<Vec<AuditEntry>, MigrateError> {
    let owner = txn.cell().borrow_owner();
    let mut old = owner.open_table(IDEMPOTENCY_FORMAT_4).map_err(from_redb)?;
    let mut moved = Vec::new();
    for mut entry in entries {
        let Some(key) = command_key(&entry.record.kind) else { continue };
        if entry.replay.is_some() {
            continue;
        }
        let Some(bytes) = old.remove(key).map_err(from_redb)? else { continue };
        let record: IdempotencyRecord = legacy_record(
            "idempotency",
            format!("{key:?}"),
            RecordKind::Idempotency,
            bytes.value(),
        )?;
        drop(bytes);
        entry.replay = Some(record);
        moved.push(entry);
    }
    if last {
        if let Some(row) = old.first().map_err(from_redb)? {
            return Err(MigrateError::Unreplayable { key: row.0.value().to_owned(), format: 5 });
        }
    }
    Ok(moved)
}

/// An account's events as formats 1 to 3 keep them (the `events` table, by `(account, seq)`).
fn legacy_events(txn: &WriteTxn, account: u64) -> Result<Vec<EventRecord>, StorageError> {
    let owner = txn.cell().borrow_owner();
    let table = owner.open_table(EVENTS_FORMAT_3).map_err(from_redb)?;
    let mut events = Vec::new();
    for row in table.range((account, 0)..=(account, u32::MAX)).map_err(from_redb)? {
        let (key, value) = row.map_err(from_redb)?;
        events.push(legacy_record(
            "events",
            format!("{:?}", key.value()),
            RecordKind::Event,
            value.value(),
        )?);
    }
    Ok(events)
}

/// Decodes a record of a table of an older format, naming the table and key when it fails.
fn legacy_record<T: Record>(
    table: &'static str,
    key: String,
    kind: RecordKind,
    bytes: &[u8],
) -> Result<T, StorageError> {
    decode_record(kind, bytes).map_err(|reason| StorageError::Corrupted { table, key, reason })
}

/// Moves an account's events and journal entries from the tables of formats 1 to 3 to the
/// ledger log, one row per event, and deletes them there. Each entry goes to the row of the
/// command that wrote it: an event's own entry to its event's row; a correction (written by a
/// back-dated event) to the row of the first later event recorded at the same instant, or the
/// account's last row. Only the rows' grouping depends on that choice: reads take an account's
/// entries in id order whatever rows hold them.
fn move_ledger_to_log(txn: &mut WriteTxn, account: u64) -> Result<(), StorageError> {
    let events = legacy_events(txn, account)?;
    let entries = {
        let owner = txn.cell().borrow_owner();
        let mut index = owner.open_table(ACCOUNT_ENTRIES_FORMAT_3).map_err(from_redb)?;
        let mut journal = owner.open_table(JOURNAL_FORMAT_3).map_err(from_redb)?;
        let mut ids = Vec::new();
        for row in index.range((account, 0)..=(account, u64::MAX)).map_err(from_redb)? {
            ids.push(row.map_err(from_redb)?.0.value().1);
        }
        let mut entries: Vec<JournalEntry> = Vec::with_capacity(ids.len());
        for id in ids {
            let bytes = journal
                .remove(id)
                .map_err(from_redb)?
                .ok_or(StorageError::Dangling { table: "journal", key: id.to_string() })?;
            entries.push(legacy_record(
                "journal",
                id.to_string(),
                RecordKind::Entry,
                bytes.value(),
            )?);
        }
        index.retain_in((account, 0)..=(account, u64::MAX), |_, _| false).map_err(from_redb)?;
        let mut table = owner.open_table(EVENTS_FORMAT_3).map_err(from_redb)?;
        table.retain_in((account, 0)..=(account, u32::MAX), |_, _| false).map_err(from_redb)?;
        entries
    };
    let Some(last) = events.len().checked_sub(1) else {
        return match entries.first() {
            None => Ok(()),
            Some(entry) => Err(StorageError::Dangling {
                table: "events",
                key: format!("({account}, {})", entry.event.0),
            }),
        };
    };
    let mut rows: Vec<Vec<JournalEntry>> = vec![Vec::new(); events.len()];
    for entry in entries {
        let row = match entry.kind {
            EntryKind::Original => events.iter().position(|record| record.event.seq == entry.event),
            EntryKind::Correction => events.iter().position(|record| {
                record.event.seq > entry.event && record.recorded_at == entry.recorded_at
            }),
        };
        rows[row.unwrap_or(last)].push(entry);
    }
    for (record, mut entries) in events.iter().zip(rows) {
        entries.sort_by_key(|entry| entry.id);
        txn.append_ledger(AccountId(account), record, &entries)?;
    }
    Ok(())
}

/// The accounts of a migration's next step by accounts: from `migration.next_account` (where a
/// stopped migration resumes, noted in `migration`), up to `accounts_per_step` of them and the
/// first of the step after, if any; and whether this step is the last.
fn step_accounts(
    txn: &WriteTxn,
    accounts_per_step: usize,
    migration: &mut Migration,
) -> Result<(Vec<u64>, bool), StorageError> {
    let next = get_meta(txn, META_MIGRATION_NEXT_ACCOUNT)?;
    // Only this run's first step can find a stopped migration's mark; at a later step the mark
    // is this run's own (a first step that rewrote no account, all of them without events, is
    // no resumption).
    if migration.steps == 1 {
        migration.resumed_at = next;
    }
    let ids = txn.read_table(Accounts, |table| {
        let mut ids = Vec::with_capacity(accounts_per_step.max(1) + 1);
        for row in table.range(next.unwrap_or(0)..).map_err(from_redb)? {
            ids.push(row.map_err(from_redb)?.0.value());
            if ids.len() > accounts_per_step.max(1) {
                break;
            }
        }
        Ok(ids)
    })?;
    let last_step = ids.len() <= accounts_per_step.max(1);
    Ok((ids, last_step))
}

/// Whether a step reads the audit entries with their hashes linked ([`audit_entries`], which
/// reads on to the end of a commit) or as stored ([`audit_entries_unlinked`]).
#[derive(Clone, Copy)]
enum Linked {
    Yes,
    No,
}

/// The audit entries of a migration's next step by audit records: from `migration.next_audit`
/// in `meta`, up to `records_per_step` of them, and the sequence the step after starts at
/// (`None` if this step is the last).
fn step_audit(
    txn: &WriteTxn,
    records_per_step: usize,
    linked: Linked,
) -> Result<(Vec<AuditEntry>, Option<u64>), StorageError> {
    let next = get_meta(txn, META_MIGRATION_NEXT_AUDIT)?.unwrap_or(1);
    let mut entries = txn.read_table(Audit, |table| {
        let log = AuditLog { table, pending: None };
        match linked {
            Linked::Yes => audit_entries(&log, None, next, records_per_step + 1),
            Linked::No => audit_entries_unlinked(&log, next, records_per_step + 1),
        }
    })?;
    let following = if entries.len() <= records_per_step {
        None
    } else {
        entries.pop().map(|entry| entry.record.seq)
    };
    Ok((entries, following))
}

/// A number of the `meta` table, if it is there.
fn get_meta(txn: &WriteTxn, key: &str) -> Result<Option<u64>, StorageError> {
    txn.read_table(Meta, |meta| Ok(meta.get(key).map_err(from_redb)?.map(|guard| guard.value())))
}

/// Writes (or, with `None`, removes) a number in the `meta` table.
fn set_meta(txn: &mut WriteTxn, key: &str, value: Option<u64>) -> Result<(), StorageError> {
    txn.write_table(Meta, |meta| {
        match value {
            Some(value) => meta.insert(key, value).map_err(from_redb)?,
            None => meta.remove(key).map_err(from_redb)?,
        };
        Ok(())
    })
}
