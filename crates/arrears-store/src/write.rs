//! The writes of a [`WriteTxn`]: records with the indexes kept in step, and ids from the
//! sequences.

use std::sync::Arc;

use arrears_core::case::{Action, ActionStatus, CollectionCase, ContactAttempt, Note};
use arrears_core::cash::{HeldLine, LineMatch, RegisteredPayer};
use arrears_core::credit::{CreditDecision, CreditReview, CreditStanding};
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::ledger::{AccountState, EventRecord, JournalEntry};
use arrears_core::model::{Account, Debtor, Jurisdiction, Obligation};
use arrears_core::work::{Agent, Team, WorkItem, WorkLogEntry};
use redb::{ReadableTable, ReadableTableMetadata};

use crate::codec::{self, encode_record, RecordKind};
use crate::error::{from_redb, StorageError};
use crate::hot::{put_part, put_parts, Part};
use crate::read::{LogTail, Reads};
use crate::rows::Stored;
use crate::schema::{
    date_key, AccountObligations, AccountRecord, Agents, Audit, AuditEntry, BankLines, BankMatches,
    CasesOverlay, Config, Contacts, CreditDecisions, CreditReviews, CreditStandings,
    DebtorAccounts, DebtorHead, Debtors, ExternalRefs, IdempotencyIndex, IdempotencyOverflow,
    IdempotencyRecord, LedgerLog, Meta, Notes, Obligations, Outbox, OutboxByDebtor, OutboxBySeq,
    OutboxPending, PayerAccounts, PluginEntryRow, Plugins, RefKind, ReviewDue, Sequence,
    SnapshotCold, TableId, Teams, WorkItems, WorkLog,
};
use crate::txn::{LedgerHead, TableAccess, TxnCache, WriteTxn};

/// Most review-index rows a transaction defers, removals and inserts ([`WriteTxn::put_case`]);
/// past it they are written at once, so that the sets stay small however many cases one
/// transaction writes.
const REVIEW_REMOVALS_MAX: usize = 65_536;

/// Rows of the review index the insert sweep walks past before it seeks the next row to
/// insert afresh ([`WriteTxn::insert_review_rows`]). Two in this crate's unit tests, so that the
/// model test's small index seeks afresh.
const REVIEW_INSERT_WALK: usize = if cfg!(test) { 2 } else { 16 };

/// Fewest cases the overlay holds before a commit may fold it into the accounts' rows
/// ([`WriteTxn::fold_overlay`]): below it the overlay is a few pages, and folding it would
/// cost more than it saves. Eight in this crate's unit tests, so that the model test's few
/// accounts fold.
pub(crate) const OVERLAY_FOLD_MIN: u64 = if cfg!(test) { 8 } else { 1_024 };

/// The overlay is folded into the accounts' rows when it holds more than one case in this many
/// of the rows of `account_rows` (of `cases` up to format 14; and at least
/// [`OVERLAY_FOLD_MIN`]).
pub(crate) const OVERLAY_FOLD_RATIO: u64 = 8;

/// Where a write transaction puts the collection cases it writes (format 8).
///
/// A case lives in one of two tables, both keyed by account: the account's row of
/// `account_rows` (format 15, with its record and snapshot; `cases` up to format 14), and the
/// small `cases_overlay`, whose row, when there is one, is the account's case and shadows the
/// case of the account's row (left as it was). A batch of the cycle that reviews accounts far
/// apart (a day on which one account in twenty is due) writes them to the overlay, where they
/// sit together on a few pages, instead of rewriting nearly every page of `account_rows` for a
/// few rows each; a batch of accounts close together writes them to their rows, taking them
/// out of the overlay; and a commit that grew the overlay past one case in eight rows (and at
/// least 1,024 cases) folds it back into the rows. Every read of a case looks in the overlay
/// first (an empty overlay costs the table's opening and a read of its length, which redb
/// keeps in its root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CasePlacement {
    /// Each case stays where it is: in the overlay if it is there, else in the account's row
    /// (new cases too). Every command's writes.
    #[default]
    InPlace,
    /// Into the overlay: the cycle's batches of accounts far apart.
    Overlay,
    /// Into the accounts' rows, out of the overlay: the cycle's batches of accounts close
    /// together.
    Settled,
}

/// A batch whose accounts span more than this many times as many ids as it has accounts is
/// sparse ([`CasePlacement::for_batch`]): at about twenty accounts a page of `account_rows`
/// (sixty cases a page of format 14's `cases`), one account in four still shares each page it
/// rewrites with about five others.
const SPARSE_SPAN: u64 = 4;

impl CasePlacement {
    /// Where a batch of the cycle that reviews `accounts` puts their cases: in the overlay
    /// when they are far apart (their ids span more than four times as many ids as there are
    /// accounts), else in their rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use arrears_core::ids::AccountId;
    /// use arrears_store::CasePlacement;
    ///
    /// let full_day: Vec<AccountId> = (1..=1_000).map(AccountId).collect();
    /// assert_eq!(CasePlacement::for_batch(full_day.iter().copied()), CasePlacement::Settled);
    /// let one_in_twenty: Vec<AccountId> = (1..=1_000).map(|n| AccountId(n * 20)).collect();
    /// assert_eq!(CasePlacement::for_batch(one_in_twenty.iter().copied()), CasePlacement::Overlay);
    /// ```
    pub fn for_batch(accounts: impl IntoIterator<Item = AccountId>) -> CasePlacement {
        let (mut first, mut last, mut count) = (u64::MAX, 0, 0_u64);
        for account in accounts {
            first = first.min(account.0);
            last = last.max(account.0);
            count += 1;
        }
        if count == 0 || (last - first) / SPARSE_SPAN < count {
            CasePlacement::Settled
        } else {
            CasePlacement::Overlay
        }
    }
}

impl WriteTxn {
    /// The id [`WriteTxn::next_id`] would give next, without taking it.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn peek_id(&self, sequence: Sequence) -> Result<u64, StorageError> {
        Ok(self.last_id(sequence)? + 1)
    }

    /// Takes the next id of a sequence (ids start at 1 and are never reused). The sequence is
    /// written to `meta` at commit unless the ledger log's last row then shows it
    /// ([`Reads::stored_sequence`]); a transaction dropped uncommitted took nothing.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn next_id(&mut self, sequence: Sequence) -> Result<u64, StorageError> {
        let next = self.last_id(sequence)? + 1;
        self.changed();
        let mut cache = self.cache.borrow_mut();
        cache.sequences[sequence.index()] = Some(next);
        cache.sequences_taken[sequence.index()] = true;
        Ok(next)
    }

    /// The last id taken from a sequence (zero if none), as this transaction sees it. The
    /// stored value is read once and kept: the log and entry sequences are read from the
    /// ledger log's last row too, which must be read before this transaction appends to it.
    fn last_id(&self, sequence: Sequence) -> Result<u64, StorageError> {
        if let Some(last) = self.cache.borrow().sequences[sequence.index()] {
            return Ok(last);
        }
        if matches!(sequence, Sequence::Log | Sequence::Entry) {
            // Both are read from the one last row of the log, once for the two, and so both
            // before the transaction first appends to the log (`append_ledger` takes a log id
            // first): after that, the last row is the transaction's, not the store's.
            let (log, entry) = crate::read::stored_log_sequences(self)?;
            let mut cache = self.cache.borrow_mut();
            for (other, stored) in [(Sequence::Log, log), (Sequence::Entry, entry)] {
                cache.sequences[other.index()].get_or_insert(stored);
            }
            return Ok(cache.sequences[sequence.index()].unwrap_or_else(|| unreachable!()));
        }
        let last = self.stored_sequence(sequence)?;
        self.cache.borrow_mut().sequences[sequence.index()] = Some(last);
        Ok(last)
    }

    /// Writes the log and entry sequences to `meta` as they stand, as formats 6 and older
    /// keep them (their `meta` is exact: they do not read the ledger log's last row): for a
    /// migration's steps, whose store an older build may open once the step's version is
    /// written, and for the tests' rewrites of a store as an older format wrote it.
    ///
    /// # Errors
    ///
    /// A storage failure, or a corrupted last row of the ledger log.
    pub(crate) fn write_sequences_exactly(&mut self) -> Result<(), StorageError> {
        for sequence in [Sequence::Log, Sequence::Entry] {
            let last = self.last_id(sequence)?;
            if last > 0 {
                self.write_table(Meta, |meta| {
                    meta.insert(sequence.meta_key(), last).map_err(from_redb)?;
                    Ok(())
                })?;
            }
        }
        Ok(())
    }

    /// Writes a debtor. When its jurisdiction changes, the records of its accounts, which keep
    /// it ([`AccountRecord`]), are rewritten with the new one in the same transaction.
    ///
    /// # Errors
    ///
    /// A storage failure, or a corrupted record of one of its accounts when they are rewritten.
    pub fn put_debtor(&mut self, debtor: &Debtor) -> Result<(), StorageError> {
        let moved = self.write_table(Debtors, |table| {
            let previous = table
                .insert(debtor.id.0, encode_record(RecordKind::Debtor, debtor).as_slice())
                .map_err(from_redb)?;
            let Some(previous) = previous else { return Ok(false) };
            // A damaged former record is replaced all the same; its accounts are then
            // rewritten as if the debtor had moved, which keeps them right either way.
            let head = codec::decode_head::<DebtorHead>(RecordKind::Debtor, previous.value());
            Ok(head.map_or(true, |head| {
                Jurisdiction::from_row(head.jurisdiction) != debtor.jurisdiction
            }))
        })?;
        if moved {
            for account in self.accounts_of(debtor.id)? {
                let Some(mut record) = self.account_record(account)? else { continue };
                if record.account.debtor == debtor.id
                    && record.debtor_jurisdiction.as_ref() != Some(&debtor.jurisdiction)
                {
                    record.debtor_jurisdiction = Some(debtor.jurisdiction.clone());
                    self.put_account_record(&record)?;
                }
            }
        }
        Ok(())
    }

    /// Writes an account and indexes it under its debtor. Its record keeps its debtor's
    /// jurisdiction ([`AccountRecord`]), read here; none if the debtor does not exist.
    ///
    /// # Errors
    ///
    /// A storage failure, or a corrupted record of the debtor.
    pub fn put_account(&mut self, account: &Account) -> Result<(), StorageError> {
        let debtor_jurisdiction = self.debtor(account.debtor)?.map(|debtor| debtor.jurisdiction);
        self.put_account_record(&AccountRecord { account: account.clone(), debtor_jurisdiction })
    }

    /// Writes an account's record as it is given and indexes the account under its debtor.
    pub(crate) fn put_account_record(
        &mut self,
        record: &AccountRecord,
    ) -> Result<(), StorageError> {
        let account = &record.account;
        let bytes = encode_record(RecordKind::Account, record);
        put_part(self, Part::Account, account.id.0, Some(&bytes))?;
        self.remember_account(account.id.0, &Some(Arc::new(record.clone())));
        self.write_table(DebtorAccounts, |index| {
            index.insert((account.debtor.0, account.id.0), ()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes an obligation and indexes it under its account.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_obligation(&mut self, obligation: &Obligation) -> Result<(), StorageError> {
        self.write_table(Obligations, |table| {
            let bytes = encode_record(RecordKind::Obligation, obligation);
            table.insert(obligation.id.0, bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })?;
        self.write_table(AccountObligations, |index| {
            index.insert((obligation.account.0, obligation.id.0), ()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends what one command wrote to an account's ledger, its event and the journal
    /// entries written with it (the event's own entry, if it posts anything, and corrections of
    /// earlier events), as one row at the end of the ledger log, chained to the account's
    /// previous row (format 4, see [`crate::schema::LedgerRow`]). Returns the row's log
    /// sequence.
    ///
    /// # Panics
    ///
    /// If an entry is unbalanced or belongs to another account: the engine builds only
    /// balanced entries of the account it posts to.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_ledger(
        &mut self,
        account: AccountId,
        record: &EventRecord,
        entries: &[JournalEntry],
    ) -> Result<u64, StorageError> {
        for entry in entries {
            assert!(
                arrears_core::ledger::is_balanced(&entry.postings),
                "unbalanced entry {}",
                entry.id
            );
            assert_eq!(entry.account, account, "entry {} of another account", entry.id);
        }
        let prev = self.ledger_head(account)?.unwrap_or(0);
        // Taking the log id reads the entry sequence too (`last_id`), before the row is
        // appended: once appended, the log's last row would no longer show what the store held.
        let seq = self.next_id(Sequence::Log)?;
        // The row's record, written by hand (`rows::ledger::bytes`: the row's bytes, without
        // building the row).
        let row = crate::rows::ledger::bytes::encode_ledger_row(account.0, prev, record, entries);
        // The row joins the transaction's chunk; a chunk it would overfill is written first. A
        // row not written yet is a change all the same ([`WriteTxn::changes`]).
        self.changed();
        if let Some((first, chunk)) = self.ledger_chunk.push(seq, &row) {
            self.insert_new_row(LedgerLog, first, &chunk)?;
        }
        // The head is written with the account's snapshot row, at commit (format 6).
        let head = LedgerHead { seq, dirty: true };
        let mut cache = self.cache.borrow_mut();
        cache.heads.insert(account.0, head);
        cache.heads_moved.insert(account.0);
        let last_entry = entries.iter().map(|entry| entry.id.0).max();
        cache.log_tail = Some(LogTail { seq, last_entry });
        Ok(seq)
    }

    /// Writes the ledger rows this transaction appended and has not written yet (at commit).
    pub(crate) fn write_ledger_chunk(&mut self) -> Result<(), StorageError> {
        if self.ledger_chunk.pending().is_none() {
            return Ok(());
        }
        let (first, chunk) = self.ledger_chunk.take();
        self.insert_new_row(LedgerLog, first, &chunk)
    }

    /// Inserts a row of `table` (`ledger_log` or `audit`: one record, or a chunk of them from
    /// `first` on) that must be new.
    fn insert_new_row<T>(&mut self, table: T, first: u64, row: &[u8]) -> Result<(), StorageError>
    where
        T: TableId<Key = u64, Value = &'static [u8]>,
    {
        let replaced = self.write_table(table, |table| {
            Ok(table.insert(first, row).map_err(from_redb)?.is_some())
        })?;
        assert!(!replaced, "{} record {first} written twice", T::NAME);
        Ok(())
    }

    /// Sets an account's ledger head, as the migration to format 6 reads it from the older
    /// `ledger_heads` table; the account's snapshot row is written with it at commit.
    pub(crate) fn adopt_ledger_head(&mut self, account: AccountId, head: u64) {
        self.changed();
        let head = LedgerHead { seq: head, dirty: true };
        let mut cache = self.cache.borrow_mut();
        cache.heads.insert(account.0, head);
        cache.heads_moved.insert(account.0);
    }

    /// Replaces an account's snapshot (its state after its last event). The snapshot is kept
    /// decoded and written at commit (`TxnCache` says why); every read of this transaction
    /// sees it at once.
    ///
    /// # Errors
    ///
    /// A storage failure writing the dirty snapshots, when `TxnCache::DIRTY_MAX` are held.
    pub fn put_snapshot(
        &mut self,
        account: AccountId,
        state: AccountState,
    ) -> Result<(), StorageError> {
        self.changed();
        let dirty_len = {
            let mut cache = self.cache.borrow_mut();
            cache.bound();
            cache.snapshots.insert(account.0, Some(Arc::new(state)));
            cache.dirty_snapshots.insert(account.0);
            cache.dirty_snapshots.len()
        };
        if dirty_len > TxnCache::DIRTY_MAX {
            self.write_snapshots()?;
        }
        Ok(())
    }

    /// Encodes and writes every dirty snapshot once, in account order, with the account's
    /// ledger head (format 6: the head is part of the snapshot row), and marks them clean; an
    /// account whose head moved is written too, and so is every case waiting for its row
    /// (format 15: [`WriteTxn::put_case`] defers it here), in one write of the row with the
    /// account's snapshot when both changed. A snapshot a refused command took and did not
    /// give back is rebuilt from the events, as is the state of an account whose head moved
    /// and which has no snapshot row (a store damaged or migrated from an older format).
    /// Before a snapshot is written, what is settled in it moves to a new cold part (format
    /// 3, see [`AccountState::split_cold`]); a whole state's old parts are deleted first.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record; then the transaction must not commit (the
    /// accounts stay dirty, so a later commit writes them again or fails the same way).
    pub(crate) fn write_snapshots(&mut self) -> Result<(), StorageError> {
        let dirty: Vec<u64> = {
            let cache = self.cache.borrow();
            let mut dirty: Vec<u64> = (cache.dirty_snapshots.iter())
                .chain(&cache.heads_moved)
                .chain(&cache.dirty_cases)
                .copied()
                .collect();
            // In account order: the inserts walk the table once.
            dirty.sort_unstable();
            dirty.dedup();
            dirty
        };
        for account in dirty {
            let (snapshot_due, case) = {
                let cache = self.cache.borrow();
                let case =
                    cache.dirty_cases.contains(&account).then(|| match cache.cases.get(&account) {
                        Some(Some(case)) => encode_record(RecordKind::Case, &**case),
                        _ => unreachable!("a case waiting for its row is never dropped"),
                    });
                let due = cache.dirty_snapshots.contains(&account)
                    || cache.heads_moved.contains(&account);
                (due, case)
            };
            if snapshot_due {
                self.write_snapshot(account, case.as_deref())?;
            } else if let Some(case) = &case {
                put_part(self, Part::Case, account, Some(case))?;
            }
            self.cache.borrow_mut().dirty_cases.remove(&account);
        }
        Ok(())
    }

    /// Writes one account's dirty snapshot (or the snapshot of an account whose head moved) as
    /// [`WriteTxn::write_snapshots`] does, and marks it clean; with `case`, the case record's
    /// bytes are written into the account's row in the same write (format 15: the row is
    /// read and written once, not once for the case and again at commit for the snapshot).
    ///
    /// # Errors
    ///
    /// As [`WriteTxn::write_snapshots`].
    fn write_snapshot(&mut self, account: u64, case: Option<&[u8]>) -> Result<(), StorageError> {
        if self.shared_snapshot(AccountId(account))?.is_none() {
            // Only an account whose head moved can be without a state here (a dirty
            // snapshot was put); rebuilt from the events the head now reaches.
            let state = Some(Arc::new(crate::read::rebuilt_state(self, AccountId(account))?));
            self.remember_snapshot(account, &state);
            self.note_whole(account);
        }
        let head = self.ledger_head(AccountId(account))?.unwrap_or(0);
        let (bytes, stale, part) = self.split_snapshot(account, head);
        #[cfg(any(test, feature = "fault-injection"))]
        let written_len = bytes.len() + part.as_ref().map_or(0, |(_, part)| part.len());
        if stale {
            self.write_table(SnapshotCold, |table| {
                table.retain_in((account, 0)..=(account, u32::MAX), |_, _| false).map_err(from_redb)
            })?;
        }
        if let Some((index, part)) = part {
            self.write_table(SnapshotCold, |table| {
                table.insert((account, index), part.as_slice()).map_err(from_redb)?;
                Ok(())
            })?;
        }
        match case {
            Some(case) => put_parts(
                self,
                account,
                &[(Part::Case, Some(case)), (Part::Snapshot, Some(&bytes))],
            )?,
            None => put_part(self, Part::Snapshot, account, Some(&bytes))?,
        }
        let mut cache = self.cache.borrow_mut();
        cache.dirty_snapshots.remove(&account);
        cache.heads_moved.remove(&account);
        if let Some(head) = cache.heads.get_mut(&account) {
            head.dirty = false;
        }
        drop(cache);
        #[cfg(any(test, feature = "fault-injection"))]
        {
            let written = &self.snapshots_written;
            written.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            written.bytes.fetch_add(written_len as u64, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    /// Moves what is settled in an account's cached snapshot to a new cold part and encodes
    /// both: the snapshot's bytes, whether the account's older parts are stale (the state is
    /// whole), and the new part with its index, if one was cut.
    #[allow(clippy::type_complexity)]
    fn split_snapshot(
        &self,
        account: u64,
        ledger_head: u64,
    ) -> (Vec<u8>, bool, Option<(u32, Vec<u8>)>) {
        let mut cache = self.cache.borrow_mut();
        let was_whole = cache.whole.remove(&account);
        let Some(Some(state)) = cache.snapshots.get_mut(&account) else {
            unreachable!("the snapshot was read into the cache just before")
        };
        let state = Arc::make_mut(state);
        // A state made whole in this transaction may since have been dropped from the cache
        // and read again with its parts; only a state still whole makes the parts stale.
        let stale = was_whole && state.cold_parts == 0;
        let part = state
            .split_cold(self.cold_items_min)
            .map(|part| (state.cold_parts - 1, encode_record(RecordKind::ColdPart, &part)));
        (crate::rows::encode_snapshot(state, ledger_head), stale, part)
    }

    /// Claims an external reference for an id. Returns the id that already holds it, if any,
    /// and then writes nothing.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn claim_external_ref(
        &mut self,
        kind: RefKind,
        reference: &str,
        id: u64,
    ) -> Result<Option<u64>, StorageError> {
        self.write_table(ExternalRefs, |table| {
            if let Some(existing) = table.get((kind as u8, reference)).map_err(from_redb)? {
                return Ok(Some(existing.value()));
            }
            table.insert((kind as u8, reference), id).map_err(from_redb)?;
            Ok(None)
        })
    }

    /// Writes the review index's rows this transaction's case writes changed: removes those they
    /// left behind ([`WriteTxn::remove_review_rows`]) and inserts those they added
    /// ([`WriteTxn::insert_review_rows`]). Run by the commit, and when the rows pending reach
    /// `REVIEW_REMOVALS_MAX`.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub(crate) fn write_review_rows(&mut self) -> Result<(), StorageError> {
        self.remove_review_rows()?;
        self.insert_review_rows()
    }

    /// Inserts into the review index the rows this transaction's case writes added, in one
    /// ordered sweep through a redb cursor, which buffers a run of inserts into one gap and
    /// splices them in together: a cycle's batch adds its accounts' rows under the few days
    /// their next reviews fall on, in account order, so most of them go into a few gaps. A row
    /// more than `REVIEW_INSERT_WALK` rows past the cursor is sought afresh.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub(crate) fn insert_review_rows(&mut self) -> Result<(), StorageError> {
        let inserts = std::mem::take(&mut self.cache.borrow_mut().review_inserts);
        if inserts.is_empty() {
            return Ok(());
        }
        self.write_table(ReviewDue, |index| {
            let mut keys = inserts.iter().copied().peekable();
            while let Some(&first) = keys.peek() {
                let mut cursor =
                    index.lower_bound_mut(std::ops::Bound::Included(first)).map_err(from_redb)?;
                'seek: while let Some(&key) = keys.peek() {
                    let mut walked = 0;
                    loop {
                        let next = cursor.peek_next().map_err(from_redb)?.map(|(k, _)| k.value());
                        match next {
                            Some(next) if next < key => {
                                if walked == REVIEW_INSERT_WALK {
                                    break 'seek;
                                }
                                cursor.next().map_err(from_redb)?;
                                walked += 1;
                            }
                            // Already in the index.
                            Some(next) if next == key => break,
                            _ => {
                                cursor.insert_before(key, ()).map_err(from_redb)?;
                                break;
                            }
                        }
                    }
                    keys.next();
                }
                cursor.close().map_err(from_redb)?;
            }
            Ok(())
        })
    }

    /// Removes from the review index the rows this transaction's case writes left behind
    /// ([`WriteTxn::put_case`]). A cycle's batch removes the rows of the accounts it reviewed,
    /// which sit together in the index (the same day, the accounts in order): when the rows
    /// between the first and the last to remove are not many more than those to remove, one
    /// sweep of that range removes them (redb removes a leaf's rows together), else each is
    /// removed by its key. The rows between are counted by walking them, unless the account
    /// ids of one day bound them.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub(crate) fn remove_review_rows(&mut self) -> Result<(), StorageError> {
        let removals = std::mem::take(&mut self.cache.borrow_mut().review_removals);
        let (Some(&first), Some(&last)) = (removals.first(), removals.last()) else {
            return Ok(());
        };
        self.write_table(ReviewDue, |index| {
            let budget = removals.len().saturating_mul(2);
            // Rows of one day hold each account once, so a range of one day spanning fewer
            // account ids than the budget holds fewer rows (a full day's batch: its accounts
            // are consecutive ids); otherwise walk at most the budget's rows, to tell.
            let rows = if first.0 == last.0 && last.1 - first.1 < budget as u64 {
                usize::try_from(last.1 - first.1 + 1).unwrap_or(usize::MAX)
            } else {
                let mut rows = 0;
                for row in index.range(first..=last).map_err(from_redb)? {
                    row.map_err(from_redb)?;
                    rows += 1;
                    if rows > budget {
                        break;
                    }
                }
                rows
            };
            if removals.len() > 1 && rows <= budget {
                index.retain_in(first..=last, |key, ()| !removals.contains(&key)).map_err(from_redb)
            } else {
                for key in &removals {
                    index.remove(*key).map_err(from_redb)?;
                }
                Ok(())
            }
        })
    }

    /// Writes an account's collection case and keeps the review index in step.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted previous record.
    pub fn put_case(&mut self, case: &CollectionCase) -> Result<(), StorageError> {
        if self.write_case(case)? {
            self.cache_case(case.clone());
        }
        Ok(())
    }

    /// [`WriteTxn::put_case`] for a case the caller is done with: the transaction keeps it
    /// without copying it and gives back, in `case`, the copy it held before, if it held one
    /// (else `case` is left as it was, and the transaction keeps a copy). The cycle's last
    /// write of each reviewed case: the case it gets back is freed with the review, on the
    /// prefetching thread.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted previous record; `case` is then left as it was.
    pub fn put_case_replacing(&mut self, case: &mut CollectionCase) -> Result<(), StorageError> {
        if !self.write_case(case)? {
            return Ok(());
        }
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        match cache.cases.get_mut(&case.account.0) {
            Some(Some(held)) => std::mem::swap(&mut **held, case),
            _ => {
                cache.cases.insert(case.account.0, Some(Box::new(case.clone())));
            }
        }
        Ok(())
    }

    fn cache_case(&self, case: CollectionCase) {
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.cases.insert(case.account.0, Some(Box::new(case)));
    }

    /// Writes a case unless it is the one the transaction holds already; says whether it
    /// wrote it (and the cache must then take it).
    fn write_case(&mut self, case: &CollectionCase) -> Result<bool, StorageError> {
        let account = case.account.0;
        if self.cache.borrow().dirty_cases.len() >= TxnCache::DIRTY_MAX {
            // The cases waiting for their rows are never dropped from the cache: write them,
            // so that it can shrink.
            self.write_snapshots()?;
        }
        if !self.cache.borrow().cases.contains_key(&account) {
            // Decodes and caches it.
            self.case(case.account)?;
        }
        let previous_review = match self.cache.borrow().cases.get(&account) {
            Some(Some(previous)) if **previous == *case => return Ok(false),
            Some(previous) => previous.as_ref().map(|previous| previous.next_review_on),
            None => unreachable!("cached above"),
        };
        if previous_review != Some(case.next_review_on) {
            // The new row is inserted and the old one removed at commit, with the other rows
            // of the transaction in one sweep each (`write_review_rows`); until then the
            // index's reads merge the one in and pass the other over.
            let next = (date_key(case.next_review_on), account);
            let pending = {
                let mut cache = self.cache.borrow_mut();
                // The two sets stay disjoint. A row may be pending as inserted and already be
                // in the table (this transaction moved the case away and back): the reads and
                // the sweep take it once.
                cache.review_removals.remove(&next);
                cache.review_inserts.insert(next);
                if let Some(previous_review) = previous_review {
                    let previous = (date_key(previous_review), account);
                    cache.review_inserts.remove(&previous);
                    cache.review_removals.insert(previous);
                }
                cache.review_removals.len() + cache.review_inserts.len()
            };
            if pending > REVIEW_REMOVALS_MAX {
                self.write_review_rows()?;
            }
        }
        let overlay_len =
            self.read_table(CasesOverlay, |overlay| overlay.len().map_err(from_redb))?;
        let into_overlay = match self.case_placement {
            CasePlacement::Overlay => true,
            CasePlacement::Settled => false,
            CasePlacement::InPlace => {
                overlay_len > 0
                    && self.read_table(CasesOverlay, |overlay| {
                        Ok(overlay.get(account).map_err(from_redb)?.is_some())
                    })?
            }
        };
        if into_overlay {
            let bytes = encode_record(RecordKind::Case, case);
            let added = self.write_table(CasesOverlay, |overlay| {
                Ok(overlay.insert(account, bytes.as_slice()).map_err(from_redb)?.is_none())
            })?;
            self.overlay_grew |= added;
            // The overlay's row shadows the account row's case: a write of it still waiting
            // would only rewrite the row.
            self.cache.borrow_mut().dirty_cases.remove(&account);
        } else {
            // Format 15: when the transaction will write the account's row anyway (its
            // snapshot changed, or its case waits already), the case waits in the cache (the
            // caller puts it there) and is written into the row with the snapshot, when the
            // transaction writes its snapshots: a payment that changes its case reads and
            // writes its row once, and N changes of one case are written once. A case alone
            // (the cycle's reviews) is written at once, where it is in the walk of the rows.
            let waits = self.hot_rows() && {
                let cache = self.cache.borrow();
                cache.dirty_snapshots.contains(&account)
                    || cache.heads_moved.contains(&account)
                    || cache.dirty_cases.contains(&account)
            };
            if waits {
                self.cache.borrow_mut().dirty_cases.insert(account);
            } else {
                let bytes = encode_record(RecordKind::Case, case);
                put_part(self, Part::Case, account, Some(&bytes))?;
            }
            if overlay_len > 0 {
                self.write_table(CasesOverlay, |overlay| {
                    overlay.remove(account).map_err(from_redb)?;
                    Ok(())
                })?;
            }
        }
        Ok(true)
    }

    /// Sets where this transaction's later case writes go ([`CasePlacement`]; `InPlace`
    /// until set).
    pub fn place_cases(&mut self, placement: CasePlacement) {
        self.case_placement = placement;
    }

    /// Folds the case overlay into the accounts' rows when this transaction added cases to it
    /// and it now holds at least [`OVERLAY_FOLD_MIN`] cases and more than one in
    /// [`OVERLAY_FOLD_RATIO`] of the rows of `account_rows` ([`CasePlacement`]): each of its
    /// cases replaces the case of the account's row, and the overlay is left empty. Run by the
    /// commit.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub(crate) fn fold_overlay(&mut self) -> Result<(), StorageError> {
        if !self.overlay_grew {
            return Ok(());
        }
        let overlay_len =
            self.read_table(CasesOverlay, |overlay| overlay.len().map_err(from_redb))?;
        // In format 15 the rows of `account_rows`, one an account as a case is.
        let cases_len = crate::hot::rows(self, Part::Case)?;
        if overlay_len < OVERLAY_FOLD_MIN
            || overlay_len.saturating_mul(OVERLAY_FOLD_RATIO) <= cases_len
        {
            return Ok(());
        }
        let rows = self.read_table(CasesOverlay, |overlay| {
            let mut rows = Vec::new();
            for row in overlay.iter().map_err(from_redb)? {
                let (account, bytes) = row.map_err(from_redb)?;
                rows.push((account.value(), bytes.value().to_vec()));
            }
            Ok(rows)
        })?;
        for (account, bytes) in &rows {
            put_part(self, Part::Case, *account, Some(bytes))?;
        }
        self.write_table(CasesOverlay, |overlay| overlay.retain(|_, _| false).map_err(from_redb))?;
        self.overlay_grew = false;
        Ok(())
    }

    /// Writes an outbox action and keeps the pending index in step.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_action(&mut self, action: &Action) -> Result<(), StorageError> {
        self.write_table(OutboxByDebtor, |by_debtor| {
            by_debtor.insert((action.debtor.0, action.id), ()).map_err(from_redb)?;
            Ok(())
        })?;
        // Pending means still to be sent: not acknowledged, not cancelled, not reported sent.
        let pending = action.status == ActionStatus::Pending && action.sent_at.is_none();
        self.write_table(OutboxPending, |index| {
            if pending {
                index.insert(action.id, ()).map_err(from_redb)?;
            } else {
                index.remove(action.id).map_err(from_redb)?;
            }
            Ok(())
        })?;
        if action.seq > 0 {
            self.write_table(OutboxBySeq, |by_seq| {
                by_seq.insert(action.seq, action.id).map_err(from_redb)?;
                Ok(())
            })?;
        }
        self.write_table(Outbox, |table| {
            table
                .insert(action.id, encode_record(RecordKind::Action, action).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends a contact attempt to a debtor's history.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_contact(
        &mut self,
        debtor: DebtorId,
        attempt: &ContactAttempt,
    ) -> Result<(), StorageError> {
        self.write_table(Contacts, |table| {
            let next = match table
                .range((debtor.0, 0)..=(debtor.0, u64::MAX))
                .map_err(from_redb)?
                .next_back()
            {
                Some(row) => row.map_err(from_redb)?.0.value().1 + 1,
                None => 1,
            };
            table
                .insert((debtor.0, next), encode_record(RecordKind::Contact, attempt).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends a note to a debtor's notes.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_note(&mut self, debtor: DebtorId, note: &Note) -> Result<(), StorageError> {
        self.write_table(Notes, |table| {
            let next = match table
                .range((debtor.0, 0)..=(debtor.0, u64::MAX))
                .map_err(from_redb)?
                .next_back()
            {
                Some(row) => row.map_err(from_redb)?.0.value().1 + 1,
                None => 1,
            };
            table
                .insert((debtor.0, next), encode_record(RecordKind::Note, note).as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes a team (replacing the one of the same name).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_team(&mut self, team: &Team) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::Team, team);
        self.write_table(Teams, |table| {
            table.insert(team.name.as_str(), bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes a bank line received into suspense (replacing the record of the same bank
    /// reference, as applying a part of it does).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_bank_line(&mut self, line: &HeldLine) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::BankLine, line);
        self.write_table(BankLines, |table| {
            table.insert(line.bank_ref.as_str(), bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes a credit decision under its id.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_credit_decision(&mut self, decision: &CreditDecision) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::CreditDecision, decision);
        self.write_table(CreditDecisions, |table| {
            table.insert(decision.id, bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes a debtor's credit standing (replacing the one it had).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_credit_standing(&mut self, standing: &CreditStanding) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::CreditStanding, standing);
        self.write_table(CreditStandings, |table| {
            table.insert(standing.debtor.0, bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes a credit review under its debtor and sequence.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_credit_review(&mut self, review: &CreditReview) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::CreditReview, review);
        self.write_table(CreditReviews, |table| {
            table.insert((review.debtor.0, review.seq), bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Registers a payer account on a debtor (replacing the same registration).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_payer_account(&mut self, payer: &RegisteredPayer) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::PayerAccount, payer);
        self.write_table(PayerAccounts, |table| {
            table
                .insert((payer.number.as_str(), payer.debtor.0), bytes.as_slice())
                .map_err(from_redb)?;
            Ok(())
        })
    }

    /// Removes the registration of payer account `number` on `debtor`; returns true if and
    /// only if there was one.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn remove_payer_account(
        &mut self,
        number: &str,
        debtor: DebtorId,
    ) -> Result<bool, StorageError> {
        self.write_table(PayerAccounts, |table| {
            Ok(table.remove((number, debtor.0)).map_err(from_redb)?.is_some())
        })
    }

    /// Writes how an imported credit line was matched (replacing the record of the same bank
    /// reference).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_bank_match(&mut self, record: &LineMatch) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::BankMatch, record);
        self.write_table(BankMatches, |table| {
            table.insert(record.bank_ref.as_str(), bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes an agent (replacing the one of the same id).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_agent(&mut self, agent: &Agent) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::Agent, agent);
        self.write_table(Agents, |table| {
            table.insert(agent.id.as_str(), bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes an account's work item.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_work_item(&mut self, item: &WorkItem) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::WorkItem, item);
        self.write_table(WorkItems, |table| {
            table.insert(item.account.0, bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends an entry to the work log (keys from 1).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_work_log(&mut self, entry: &WorkLogEntry) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::WorkLog, entry);
        self.write_table(WorkLog, |table| {
            let next = match table.last().map_err(from_redb)? {
                Some((key, _)) => key.value() + 1,
                None => 1,
            };
            table.insert(next, bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Appends an audit record, at the next sequence, linked to the chain's head, and returns
    /// it. A command's record carries its idempotency record (`replay`) and points the
    /// command's key at itself in the `idempotency_index`: from then on the key replays
    /// that entry's outcome.
    ///
    /// Format 10: the entry is written without a hash (record version 5,
    /// [`crate::rows::case::CommittedAuditEntryRow`]). The records this transaction appends are
    /// one group of the chain, hashed once ([`crate::chain`]): each one's previous hash is the
    /// last committed entry's, and the commit writes their hash into the last of them, which
    /// it writes again at record version 4. Until then the reads of this transaction give them
    /// the hash they would have if it committed now.
    ///
    /// # Panics
    ///
    /// If the sequence is taken (a damaged log whose head is not its last entry), or if an
    /// entry carries a replay but is not a command's record (it would be unreachable).
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn append_audit(
        &mut self,
        recorded_at: chrono::DateTime<chrono::Utc>,
        account: Option<AccountId>,
        kind: arrears_core::case::AuditKind,
        replay: Option<IdempotencyRecord>,
    ) -> Result<arrears_core::case::AuditRecord, StorageError> {
        let (seq, prev_hash) = match &self.audit_group {
            Some(group) => (group.last + 1, group.hasher.prev()),
            None => match self.audit_head()? {
                Some(head) => (head.seq + 1, head.hash),
                None => (1, [0; 32]),
            },
        };
        let record = arrears_core::case::AuditRecord { seq, recorded_at, account, kind, prev_hash };
        let (bytes, hash_at) =
            crate::rows::case::encode_committed_audit_entry_at(&record, replay.as_ref());
        let group = self.audit_group.get_or_insert_with(|| crate::txn::AuditGroup {
            first: seq,
            last: seq,
            chunk: crate::rows::chunk::ChunkBuilder::default(),
            hash_at: 0,
            hasher: crate::chain::GroupHasher::new(prev_hash),
        });
        // The entry joins the commit's chunk; a chunk it would overfill is written first. An
        // entry not written yet is a change all the same ([`WriteTxn::changes`]).
        let full = group.chunk.push(seq, &bytes);
        group.last = seq;
        group.hash_at = hash_at;
        group.hasher.add(&record);
        self.changed();
        if let Some((first, row)) = full {
            self.insert_new_row(Audit, first, &row)?;
        }
        if replay.is_some() {
            self.index_command_key(&record)?;
        }
        Ok(record)
    }

    /// Writes the hash of the audit entries this transaction appended (at commit): their last
    /// entry's record becomes version 4, with the hash, which the entries of version 5 before
    /// it read as theirs, and the chunk that holds it is written (a group of one is the entry a
    /// format-9 commit of one entry wrote, alone in its row).
    pub(crate) fn seal_audit_group(&mut self) -> Result<(), StorageError> {
        let Some(mut group) = self.audit_group.take() else { return Ok(()) };
        let hash = group.hasher.hash();
        let sealed = crate::rows::case::seal_audit_entry(group.chunk.last(), group.hash_at, &hash);
        if let Some((first, row)) = group.chunk.replace_last(&sealed) {
            self.insert_new_row(Audit, first, &row)?;
        }
        let (first, row) = group.chunk.take();
        self.insert_new_row(Audit, first, &row)?;
        // The head a later append in this transaction links to ([`Store::chain`]: a
        // journaled commit seals its group and the next goes on in the same transaction).
        self.remember_audit_head(Some(crate::schema::AuditHead { seq: group.last, hash }));
        Ok(())
    }

    /// Points the key of the command whose record `record` is at its sequence in the
    /// idempotency index ([`WriteTxn::index_key`]).
    ///
    /// # Panics
    ///
    /// If the record is not a command's (a replay there would be unreachable).
    fn index_command_key(
        &mut self,
        record: &arrears_core::case::AuditRecord,
    ) -> Result<(), StorageError> {
        let seq = record.seq;
        let key = crate::schema::command_key(&record.kind);
        let key = key.unwrap_or_else(|| panic!("audit record {seq} replays no command"));
        self.index_key(key, seq)
    }

    /// Points `key` at audit record `seq` in the idempotency index (format 14): the row of the
    /// key's row key ([`crate::idempotency_row`]), or, if that row holds another key's command
    /// (a collision), the key's row of `idempotency_overflow`. A row is never moved: the key
    /// that took it first keeps it.
    pub(crate) fn index_key(&mut self, key: &str, seq: u64) -> Result<(), StorageError> {
        let row = crate::schema::idempotency_row(key);
        let taken = self.write_table(IdempotencyIndex, |table| {
            let previous = table.insert(row, seq).map_err(from_redb)?.map(|guard| guard.value());
            match previous {
                Some(previous) if previous != seq => {
                    table.insert(row, previous).map_err(from_redb)?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        })?;
        if taken {
            self.write_table(IdempotencyOverflow, |table| {
                table.insert(key, seq).map_err(from_redb)?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Writes an audit entry whole, its own hash kept (record version 4), under its sequence
    /// and, if it carries a command's replay, points the command's key at it in
    /// `idempotency_index`. Returns whether an entry was there (the migration to format 5
    /// rewrites entries of formats 1 to 4, each hashed on its own; [`Self::append_audit`]
    /// appends).
    ///
    /// # Panics
    ///
    /// If the entry carries a replay but is not a command's record (it would be unreachable).
    pub(crate) fn put_audit_entry(&mut self, entry: &AuditEntry) -> Result<bool, StorageError> {
        let seq = entry.record.seq;
        let replaced = self.write_table(Audit, |table| {
            let previous = table
                .insert(seq, encode_record(RecordKind::Audit, entry).as_slice())
                .map_err(from_redb)?;
            Ok(previous.is_some())
        })?;
        if entry.replay.is_some() {
            self.index_command_key(&entry.record)?;
        }
        Ok(replaced)
    }

    /// Sets a configuration value.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_config(&mut self, name: &str, value: &[u8]) -> Result<(), StorageError> {
        self.write_table(Config, |table| {
            table.insert(name, value).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Writes a plugin registry entry under its name, replacing one of the same name.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn put_plugin_entry(&mut self, entry: &PluginEntryRow) -> Result<(), StorageError> {
        let bytes = encode_record(RecordKind::PluginEntry, entry);
        self.write_table(Plugins, |table| {
            table.insert(entry.name.as_str(), bytes.as_slice()).map_err(from_redb)?;
            Ok(())
        })
    }

    /// Removes the plugin registry entry named `name`; returns true if and only if there was
    /// one.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub fn remove_plugin_entry(&mut self, name: &str) -> Result<bool, StorageError> {
        self.write_table(Plugins, |table| {
            let removed = table.remove(name).map_err(from_redb)?.is_some();
            Ok(removed)
        })
    }
}
