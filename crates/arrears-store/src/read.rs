//! The reads, one implementation for both transactions: [`Reads`], implemented by [`ReadTxn`]
//! and [`WriteTxn`] through [`TableAccess`], so a read in a write transaction sees its own
//! writes and consults its cache of decoded records.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrears_core::case::{Action, CollectionCase, ContactAttempt, Note};
use arrears_core::cash::{HeldLine, LineMatch, RegisteredPayer};
use arrears_core::credit::{CreditDecision, CreditReview, CreditStanding};
use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{
    replay, AccountState, ColdPart, Event, EventRecord, JournalEntry, Posting,
};
use arrears_core::model::{Account, Debtor, Obligation};
use arrears_core::work::{Agent, Team, WorkItem, WorkLogEntry};
use chrono::NaiveDate;
use redb::{ReadableTable, ReadableTableMetadata};

use crate::codec::{self, decode_record, DecodeError, RecordKind};
use crate::error::{from_redb, StorageError};
use crate::hot::{get_part, scan_parts, Part};
use crate::rows::case::{decode_audit_entry, PrevHash};
use crate::rows::chunk;
use crate::rows::Record;
use crate::schema::{
    date_key, AccountHead, AccountObligations, AccountRecord, Agents, Audit, AuditEntry, AuditHead,
    BankLines, BankMatches, CasesOverlay, Config, Contacts, CreditDecisions, CreditReviews,
    CreditStandings, DebtorAccounts, Debtors, ExternalRefs, IdempotencyIndex, IdempotencyOverflow,
    IdempotencyRecord, LedgerLog, LedgerRow, Meta, Notes, Obligations, Outbox, OutboxByDebtor,
    OutboxBySeq, OutboxPending, PayerAccounts, PluginEntryRow, Plugins, RefKind, ReviewDue,
    Sequence, SnapshotCold, SnapshotRecord, Teams, WorkItems, WorkLog, META_FORMAT_VERSION,
};
use crate::txn::{AuditAppended, ReadTxn, TableAccess, WriteTxn};

/// How many account ids [`Reads::debtors_of`] may walk past for each account it looks up in
/// one walk of the table, rather than one descent per account (a descent costs about what
/// walking past a few rows does).
const DEBTORS_SWEEP_SPAN: u64 = 4;

/// Every read of a store, the same in a [`ReadTxn`] and in a [`WriteTxn`] (which sees its own
/// writes). Bring it into scope to read: `use arrears_store::Reads;`.
///
/// Sealed: its supertrait is private to this crate, so the two transactions are its only
/// implementations. Each read opens its tables once per transaction; a write transaction
/// answers [`Reads::shared_snapshot`], [`Reads::case`] and [`Reads::audit_head`] from the
/// records it has already decoded when it can.
pub trait Reads: TableAccess {
    /// The stored format version.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn format_version(&self) -> Result<Option<u64>, StorageError> {
        self.read_table(Meta, |meta| {
            let version =
                meta.get(META_FORMAT_VERSION).map_err(from_redb)?.map(|guard| guard.value());
            Ok(version)
        })
    }

    /// The last id taken from a sequence as the store holds it (zero if none): `meta`'s value,
    /// or for the log and entry sequences the larger of it and what the ledger log's last row
    /// shows (its sequence, its last entry's id). Since format 7 a commit whose last log row
    /// carries the sequence's last id does not write it to `meta` (one page less a payment);
    /// see [`WriteTxn::commit`](crate::WriteTxn::commit).
    ///
    /// # Errors
    ///
    /// A storage failure, or a corrupted last row of the ledger log.
    fn stored_sequence(&self, sequence: Sequence) -> Result<u64, StorageError> {
        match sequence {
            Sequence::Log => Ok(stored_log_sequences(self)?.0),
            Sequence::Entry => Ok(stored_log_sequences(self)?.1),
            _ => meta_sequence(self, sequence),
        }
    }

    /// A debtor by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn debtor(&self, id: DebtorId) -> Result<Option<Debtor>, StorageError> {
        self.read_table(Debtors, |table| get_record(table, "debtors", RecordKind::Debtor, id.0))
    }

    /// An account by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn account(&self, id: AccountId) -> Result<Option<Account>, StorageError> {
        Ok(self.account_record(id)?.map(|record| record.account))
    }

    /// An account by id with the facts of its debtor its record keeps ([`AccountRecord`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use arrears_core::ids::AccountId;
    /// use arrears_store::{Reads, Store, StoreOptions};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::create(&dir.path().join("books.redb"), StoreOptions::default())?;
    /// // An account that does not exist has no record.
    /// assert!(store.read()?.account_record(AccountId(1))?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn account_record(&self, id: AccountId) -> Result<Option<AccountRecord>, StorageError> {
        Ok(self.shared_account_record(id)?.map(Arc::unwrap_or_clone))
    }

    /// [`Reads::account_record`], shared with the transaction's cache rather than copied out
    /// of it (a transaction without a cache hands over the only reference).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn shared_account_record(
        &self,
        id: AccountId,
    ) -> Result<Option<Arc<AccountRecord>>, StorageError> {
        if let Some(record) = self.cached_account(id.0) {
            return Ok(record);
        }
        let record: Option<AccountRecord> =
            get_part(self, Part::Account, id.0, |bytes| decode_record(RecordKind::Account, bytes))?;
        let record = record.map(Arc::new);
        self.remember_account(id.0, &record);
        Ok(record)
    }

    /// An obligation by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn obligation(&self, id: ObligationId) -> Result<Option<Obligation>, StorageError> {
        self.read_table(Obligations, |table| {
            get_record(table, "obligations", RecordKind::Obligation, id.0)
        })
    }

    /// All debtors, by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn all_debtors(&self) -> Result<Vec<Debtor>, StorageError> {
        self.read_table(Debtors, |table| all_records(table, "debtors", RecordKind::Debtor))
    }

    /// All accounts, by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn all_accounts(&self) -> Result<Vec<Account>, StorageError> {
        scan_parts(self, Part::Account, .., usize::MAX, |_, bytes| {
            decode_record(RecordKind::Account, bytes).map(|record: AccountRecord| record.account)
        })
    }

    /// Up to `limit` debtors with ids above `after` (from the first if `None`), by id: a page
    /// of a scan that holds one page in memory.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn debtors_after(
        &self,
        after: Option<DebtorId>,
        limit: usize,
    ) -> Result<Vec<Debtor>, StorageError> {
        self.read_table(Debtors, |table| {
            page_of_records(table, "debtors", RecordKind::Debtor, after.map(|id| id.0), limit)
        })
    }

    /// Up to `limit` accounts with ids above `after` (from the first if `None`), by id: a
    /// page of a scan that holds one page in memory.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn accounts_after(
        &self,
        after: Option<AccountId>,
        limit: usize,
    ) -> Result<Vec<Account>, StorageError> {
        let start = match after {
            Some(AccountId(u64::MAX)) => return Ok(Vec::new()),
            Some(after) => after.0 + 1,
            None => 0,
        };
        scan_parts(self, Part::Account, start.., limit, |_, bytes| {
            decode_record(RecordKind::Account, bytes).map(|record: AccountRecord| record.account)
        })
    }

    /// All obligations, by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn all_obligations(&self) -> Result<Vec<Obligation>, StorageError> {
        self.read_table(Obligations, |table| {
            all_records(table, "obligations", RecordKind::Obligation)
        })
    }

    /// All journal entries, by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn all_entries(&self) -> Result<Vec<JournalEntry>, StorageError> {
        let mut entries: Vec<JournalEntry> = Vec::new();
        for (_, row) in self.all_ledger_rows()? {
            entries.extend(row.entries);
        }
        // Rows are in recording order, but a migrated store's rows are in account order.
        entries.sort_by_key(|entry| entry.id);
        Ok(entries)
    }

    /// Every row of the ledger log, by log sequence (format 4, see [`LedgerRow`]).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn all_ledger_rows(&self) -> Result<Vec<(u64, LedgerRow)>, StorageError> {
        let pending = self.ledger_pending();
        self.read_table(LedgerLog, |table| {
            let mut rows = Vec::new();
            for row in table.iter().map_err(from_redb)? {
                let (key, value) = row.map_err(from_redb)?;
                for (seq, record) in row_records("ledger_log", key.value(), value.value())? {
                    rows.push((seq, decode_ledger_row(seq, record)?));
                }
            }
            for (seq, record) in pending_records(pending) {
                rows.push((seq, decode_ledger_row(seq, record)?));
            }
            Ok(rows)
        })
    }

    /// The ledger row at log sequence `seq`, if the log has one (in a chunk or not, written or
    /// still in this transaction's memory).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn ledger_row(&self, seq: u64) -> Result<Option<LedgerRow>, StorageError> {
        let pending = self.ledger_pending();
        self.read_table(LedgerLog, |table| {
            record_at(table, pending, "ledger_log", seq, |bytes| decode_ledger_row(seq, bytes))
        })
    }

    /// The ledger rows with log sequences from `first` to `last`, in order: one range read of
    /// the log for a run of rows (the change feed's page resolving its commands' outcomes, or
    /// `verify`), where [`Reads::ledger_row`] would find and cut a chunk once a row.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn ledger_range(&self, first: u64, last: u64) -> Result<Vec<(u64, LedgerRow)>, StorageError> {
        let pending = self.ledger_pending();
        let wanted = first..=last;
        self.read_table(LedgerLog, |table| {
            let mut rows = Vec::new();
            if first > last {
                return Ok(rows);
            }
            // The row that holds `first` may be a chunk that begins before it.
            let start = match table.range(..=first).map_err(from_redb)?.next_back() {
                Some(row) => row.map_err(from_redb)?.0.value(),
                None => first,
            };
            for row in table.range(start..=last).map_err(from_redb)? {
                let (key, value) = row.map_err(from_redb)?;
                for (seq, record) in row_records("ledger_log", key.value(), value.value())? {
                    if wanted.contains(&seq) {
                        rows.push((seq, decode_ledger_row(seq, record)?));
                    }
                }
            }
            for (seq, record) in pending_records(pending) {
                if wanted.contains(&seq) {
                    rows.push((seq, decode_ledger_row(seq, record)?));
                }
            }
            Ok(rows)
        })
    }

    /// The log sequence of an account's last ledger row, if it has one: the head its snapshot
    /// row keeps (format 6, [`crate::SnapshotRecord::ledger_head`]), read without decoding the
    /// state, or the one this transaction moved it to.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted snapshot record.
    fn ledger_head(&self, account: AccountId) -> Result<Option<u64>, StorageError> {
        let head = match self.cached_ledger_head(account.0) {
            Some(head) => head,
            None => {
                let head =
                    get_part(self, Part::Snapshot, account.0, crate::rows::decode_snapshot_head)?
                        .unwrap_or(0);
                self.remember_ledger_head(account.0, head);
                head
            }
        };
        Ok((head != 0).then_some(head))
    }

    /// Every `(account, last log sequence)` pair: the accounts with a ledger row, with their
    /// heads, in account order.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted snapshot record.
    fn ledger_heads(&self) -> Result<Vec<(AccountId, u64)>, StorageError> {
        // In account order, as the table is; a write transaction's moved heads replace or
        // join the stored ones.
        let mut heads: Vec<(u64, u64)> =
            scan_parts(self, Part::Snapshot, .., usize::MAX, |account, bytes| {
                Ok((account, crate::rows::decode_snapshot_head(bytes)?))
            })?;
        if let Some(cache) = self.cache() {
            let cache = cache.borrow();
            for (&account, head) in cache.heads.iter().filter(|(_, head)| head.dirty) {
                match heads.binary_search_by_key(&account, |(stored, _)| *stored) {
                    Ok(at) => heads[at].1 = head.seq,
                    Err(at) => heads.insert(at, (account, head.seq)),
                }
            }
        }
        heads.retain(|(_, head)| *head != 0);
        Ok(heads.into_iter().map(|(account, head)| (AccountId(account), head)).collect())
    }

    /// An account's ledger rows with their log sequences, in recording order: its chain
    /// walked back from its head. Each hop must go back (a smaller sequence) and land on a
    /// row of the same account, so a damaged pointer is an error, never a loop or another
    /// account's history.
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record, or a broken chain.
    fn ledger_rows(&self, account: AccountId) -> Result<Vec<(u64, LedgerRow)>, StorageError> {
        let Some(head) = self.ledger_head(account)? else {
            without_history(self, account)?;
            return Ok(Vec::new());
        };
        let pending = self.ledger_pending();
        self.read_table(LedgerLog, |table| {
            let mut rows = Vec::new();
            let mut next = head;
            while next != 0 {
                let row = chain_row(table, pending, account, next)?;
                let prev = row.prev;
                rows.push((next, row));
                next = prev;
            }
            rows.reverse();
            Ok(rows)
        })
    }

    /// An account's events, in recording order.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn events(&self, account: AccountId) -> Result<Vec<EventRecord>, StorageError> {
        Ok(self.ledger_rows(account)?.into_iter().map(|(_, row)| row.event).collect())
    }

    /// An account's snapshot: its state after its last event (none before its first).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn snapshot(&self, account: AccountId) -> Result<Option<AccountState>, StorageError> {
        Ok(self.shared_snapshot(account)?.map(Arc::unwrap_or_clone))
    }

    /// An account's snapshot, shared (see [`Self::snapshot`]).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn shared_snapshot(
        &self,
        account: AccountId,
    ) -> Result<Option<Arc<AccountState>>, StorageError> {
        if let Some(cached) = self.cached_snapshot(account.0) {
            return Ok(cached);
        }
        if self.snapshot_lost(account.0) {
            let found = Some(Arc::new(rebuilt_state(self, account)?));
            self.remember_snapshot(account.0, &found);
            // The rebuilt state is whole: the account's cold parts are stale from now on.
            self.note_whole(account.0);
            return Ok(found);
        }
        let found = snapshot_record(self, account)?.map(Arc::new);
        self.remember_snapshot(account.0, &found);
        Ok(found)
    }

    /// The cold parts of an account's state (format 3): the settled items moved out of its
    /// snapshot, in the order they were moved.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn cold_parts(&self, account: AccountId) -> Result<Vec<ColdPart>, StorageError> {
        self.read_table(SnapshotCold, |table| {
            let rows = table.range((account.0, 0)..=(account.0, u32::MAX)).map_err(from_redb)?;
            decode_rows(rows, "snapshot_cold", RecordKind::ColdPart)
        })
    }

    /// Merges an account's cold parts into its snapshot's state, which becomes whole.
    ///
    /// # Errors
    ///
    /// [`StorageError::ColdParts`] if the parts and the snapshot disagree, a storage failure
    /// or a corrupted record.
    fn merge_cold_parts(
        &self,
        account: AccountId,
        state: &mut AccountState,
    ) -> Result<(), StorageError> {
        if state.cold_parts == 0 {
            return Ok(());
        }
        let parts = self.cold_parts(account)?;
        if parts.len() != state.cold_parts as usize {
            return Err(StorageError::ColdParts {
                account: account.0,
                detail: format!(
                    "the snapshot counts {} parts, the table holds {}",
                    state.cold_parts,
                    parts.len()
                ),
            });
        }
        state.merge_cold(parts).map_err(|conflict| StorageError::ColdParts {
            account: account.0,
            detail: conflict.to_string(),
        })
    }

    /// An account's whole state after its last event: its snapshot with its cold parts merged
    /// (none before its first event).
    ///
    /// # Errors
    ///
    /// [`StorageError::ColdParts`], a storage failure or a corrupted record.
    fn whole_snapshot(
        &self,
        account: AccountId,
    ) -> Result<Option<Arc<AccountState>>, StorageError> {
        let Some(snapshot) = self.shared_snapshot(account)? else { return Ok(None) };
        Ok(Some(self.with_cold_parts(account, snapshot)?))
    }

    /// `snapshot` with the account's cold parts merged: itself when it has none.
    ///
    /// # Errors
    ///
    /// [`StorageError::ColdParts`], a storage failure or a corrupted record.
    fn with_cold_parts(
        &self,
        account: AccountId,
        snapshot: Arc<AccountState>,
    ) -> Result<Arc<AccountState>, StorageError> {
        if snapshot.cold_parts == 0 {
            return Ok(snapshot);
        }
        let mut whole = AccountState::clone(&snapshot);
        self.merge_cold_parts(account, &mut whole)?;
        Ok(Arc::new(whole))
    }

    /// An account's state as of `as_of` for a reader that needs, of its history, only the
    /// payments received or reversed on or after `payments_from`, and of its obligations only
    /// what they owe (totals, amounts past due, aging, an obligation looked up by id and read as
    /// settled when absent): the snapshot's hot part when it holds those payments
    /// ([`AccountState::has_payments_from`]), else the whole state as [`Reads::account_state`]
    /// gives it. So a payment's decisions do not read the account's history.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn open_state(
        &self,
        account: &Account,
        as_of: NaiveDate,
        payments_from: NaiveDate,
    ) -> Result<Arc<AccountState>, StorageError> {
        if let Some(snapshot) = self.shared_snapshot(account.id)? {
            if snapshot.latest_on <= Some(as_of) && snapshot.has_payments_from(payments_from) {
                return Ok(snapshot);
            }
        }
        self.account_state(account, Some(as_of))
    }

    /// An account's whole state as of `as_of` (after every event if `None`): its snapshot
    /// with its cold parts when no event is later than `as_of`, else the replay of its events
    /// up to it. Shared: a write transaction hands out the snapshot it keeps decoded.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn account_state(
        &self,
        account: &Account,
        as_of: Option<NaiveDate>,
    ) -> Result<Arc<AccountState>, StorageError> {
        if let Some(snapshot) = self.shared_snapshot(account.id)? {
            if as_of.is_none() || snapshot.latest_on <= as_of {
                return self.with_cold_parts(account.id, snapshot);
            }
        }
        let events: Vec<Event> =
            self.events(account.id)?.into_iter().map(|record| record.event).collect();
        Ok(Arc::new(replay(account, &events, as_of).state))
    }

    /// What the journal holds for each of an account's events: the sum of the event's
    /// entries (its original entry and its corrections), in canonical form. Only a
    /// back-dated event needs it, to journal the differences.
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record, or an index pointing nowhere.
    fn journaled_by_event(
        &self,
        account: AccountId,
    ) -> Result<BTreeMap<EventSeq, Vec<Posting>>, StorageError> {
        let mut by_event: BTreeMap<EventSeq, Vec<Posting>> = BTreeMap::new();
        for entry in self.entries(account)? {
            by_event.entry(entry.event).or_default().extend(entry.postings);
        }
        Ok(by_event
            .into_iter()
            .map(|(seq, postings)| (seq, arrears_core::ledger::normalize(postings)))
            .collect())
    }

    /// An account's journal entries, in recording order.
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record, or an index pointing nowhere.
    fn entries(&self, account: AccountId) -> Result<Vec<JournalEntry>, StorageError> {
        let mut entries: Vec<JournalEntry> =
            self.ledger_rows(account)?.into_iter().flat_map(|(_, row)| row.entries).collect();
        entries.sort_by_key(|entry| entry.id);
        Ok(entries)
    }

    /// An account's journal entries with an id above `after`, in id order: its chain walked
    /// back from its head only as far as the first row holding an entry at or below `after`.
    /// Entry ids grow along an account's chain (a row's entries were written by its command,
    /// after every entry of the rows before it; a migrated store puts a back-dated event's
    /// corrections on that event's own row), so the rows before that one hold none above it.
    /// What a follower of the feed reads to copy an account's new entries without reading its
    /// history (the relay).
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record, or a broken chain.
    fn entries_after(
        &self,
        account: AccountId,
        after: EntryId,
    ) -> Result<Vec<JournalEntry>, StorageError> {
        let Some(head) = self.ledger_head(account)? else { return Ok(Vec::new()) };
        let pending = self.ledger_pending();
        self.read_table(LedgerLog, |table| {
            let mut entries = Vec::new();
            let mut next = head;
            while next != 0 {
                let row = chain_row(table, pending, account, next)?;
                let reached = row.entries.iter().any(|entry| entry.id <= after);
                entries.extend(row.entries.into_iter().filter(|entry| entry.id > after));
                if reached {
                    break;
                }
                next = row.prev;
            }
            entries.sort_by_key(|entry| entry.id);
            Ok(entries)
        })
    }

    /// The accounts of a debtor.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn accounts_of(&self, debtor: DebtorId) -> Result<Vec<AccountId>, StorageError> {
        self.read_table(DebtorAccounts, |index| {
            Ok(index_range(index, debtor.0)?.into_iter().map(AccountId).collect())
        })
    }

    /// The obligations of an account with an id above `after`, in id order.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn obligations_of_after(
        &self,
        account: AccountId,
        after: ObligationId,
    ) -> Result<Vec<ObligationId>, StorageError> {
        self.read_table(AccountObligations, |index| {
            let ids = index_range_from(index, account.0, after.0.saturating_add(1))?;
            Ok(ids.into_iter().map(ObligationId).collect())
        })
    }

    /// The obligations of an account.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn obligations_of(&self, account: AccountId) -> Result<Vec<ObligationId>, StorageError> {
        self.read_table(AccountObligations, |index| {
            Ok(index_range(index, account.0)?.into_iter().map(ObligationId).collect())
        })
    }

    /// Every `(debtor, account)` pair of the debtor index.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn debtor_account_index(&self) -> Result<Vec<(DebtorId, AccountId)>, StorageError> {
        self.read_table(DebtorAccounts, |index| {
            Ok(index_all(index)?.into_iter().map(|(d, a)| (DebtorId(d), AccountId(a))).collect())
        })
    }

    /// Every `(account, obligation)` pair of the obligation index.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn account_obligation_index(&self) -> Result<Vec<(AccountId, ObligationId)>, StorageError> {
        self.read_table(AccountObligations, |index| {
            Ok(index_all(index)?
                .into_iter()
                .map(|(a, o)| (AccountId(a), ObligationId(o)))
                .collect())
        })
    }

    /// Every `(account, entry)` pair reached by walking each account's chain of ledger rows
    /// from its head (format 4: the chains are the journal's index by account).
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn account_entry_index(&self) -> Result<Vec<(AccountId, EntryId)>, StorageError> {
        let mut pairs = Vec::new();
        for (account, _) in self.ledger_heads()? {
            for (_, row) in self.ledger_rows(account)? {
                pairs.extend(row.entries.iter().map(|entry| (account, entry.id)));
            }
        }
        Ok(pairs)
    }

    /// The id an external reference names, if any.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn external_ref(&self, kind: RefKind, reference: &str) -> Result<Option<u64>, StorageError> {
        self.read_table(ExternalRefs, |table| {
            let id =
                table.get((kind as u8, reference)).map_err(from_redb)?.map(|guard| guard.value());
            Ok(id)
        })
    }

    /// Every external reference: `(kind, reference, id)`.
    ///
    /// # Errors
    ///
    /// A storage failure, or a kind byte this build does not know.
    fn all_external_refs(&self) -> Result<Vec<(RefKind, String, u64)>, StorageError> {
        self.read_table(ExternalRefs, |table| {
            let mut refs = Vec::new();
            for row in table.iter().map_err(from_redb)? {
                let (key, value) = row.map_err(from_redb)?;
                let (kind, reference) = key.value();
                let kind = RefKind::from_u8(kind).ok_or_else(|| StorageError::Corrupted {
                    table: "external_refs",
                    key: format!("({kind}, {reference:?})"),
                    reason: codec::DecodeError::Payload {
                        kind: "external reference",
                        reason: format!("unknown kind {kind}"),
                    },
                })?;
                refs.push((kind, reference.to_owned(), value.value()));
            }
            Ok(refs)
        })
    }

    /// What an idempotency key recorded, if anything: the replay of the command's audit entry,
    /// which the key's row of `idempotency_index` points at.
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record, or an index row that does not point at a
    /// command's entry of its row key (`StorageError::Corrupted`, naming the key).
    fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StorageError> {
        let Some((seq, entry)) = self.idempotency_entry(key)? else { return Ok(None) };
        let replay = entry.replay.ok_or_else(|| {
            idempotency_damage(key, format!("points at audit record {seq}, which holds no command"))
        })?;
        Ok(Some(replay))
    }

    /// The audit sequence an idempotency key points at, if the key was used.
    ///
    /// # Errors
    ///
    /// As [`Reads::idempotency`].
    fn idempotency_seq(&self, key: &str) -> Result<Option<u64>, StorageError> {
        Ok(self.idempotency_entry(key)?.map(|(seq, _)| seq))
    }

    /// The audit entry of the command executed under `key`, with its sequence, if the key was
    /// used (format 14): the row of `idempotency_index` under the key's row key
    /// ([`crate::idempotency_row`]) points at a command; if it is the key's, that is the
    /// answer, if it is another key's of the same row key (a collision), the key's own row of
    /// `idempotency_overflow` is; a command whose key has another row key, or none, is damage
    /// (a row under the wrong key, or an entry overwritten).
    ///
    /// # Errors
    ///
    /// As [`Reads::idempotency`].
    fn idempotency_entry(&self, key: &str) -> Result<Option<(u64, AuditEntry)>, StorageError> {
        let row = crate::schema::idempotency_row(key);
        let seq = self.read_table(IdempotencyIndex, |table| {
            Ok(table.get(row).map_err(from_redb)?.map(|guard| guard.value()))
        })?;
        let Some(seq) = seq else { return Ok(None) };
        let entry = self.idempotency_command(key, seq)?;
        let found = crate::schema::command_key(&entry.record.kind);
        match candidate(key, row, found) {
            Candidate::Found => Ok(Some((seq, entry))),
            Candidate::Collision => {
                let seq = self.read_table(IdempotencyOverflow, |table| {
                    Ok(table.get(key).map_err(from_redb)?.map(|guard| guard.value()))
                })?;
                let Some(seq) = seq else { return Ok(None) };
                let entry = self.idempotency_command(key, seq)?;
                if crate::schema::command_key(&entry.record.kind) != Some(key) {
                    let reason =
                        format!("its overflow row points at audit record {seq}, another key's");
                    return Err(idempotency_damage(key, reason));
                }
                Ok(Some((seq, entry)))
            }
            Candidate::Damaged => {
                let reason = format!("points at audit record {seq}, another key's");
                Err(idempotency_damage(key, reason))
            }
        }
    }

    /// The audit entry at `seq` that an index row of `key` points at: its kind and replay, not
    /// its previous hash, which format 9 keeps in the entry before (one row, whatever its
    /// neighbours hold).
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted entry, or none at `seq` (`StorageError::Corrupted`,
    /// naming the key).
    #[doc(hidden)]
    fn idempotency_command(&self, key: &str, seq: u64) -> Result<AuditEntry, StorageError> {
        let pending = self.audit_pending();
        let entry = self.read_table(Audit, |table| {
            record_at(table, pending, "audit", seq, |bytes| {
                let (entry, _) =
                    decode_audit_entry(RecordKind::Audit, bytes).map_err(|reason| {
                        StorageError::Corrupted { table: "audit", key: seq.to_string(), reason }
                    })?;
                Ok(entry)
            })
        })?;
        entry.ok_or_else(|| {
            idempotency_damage(key, format!("points at audit record {seq}, which is missing"))
        })
    }

    /// Every row of the idempotency index, `(the key's row key, audit sequence)` in that order
    /// (for `verify`, which reads the audit log beside it; [`crate::idempotency_row`]).
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn idempotency_index(&self) -> Result<Vec<(u128, u64)>, StorageError> {
        self.read_table(IdempotencyIndex, |table| {
            let mut rows = Vec::new();
            for row in table.iter().map_err(from_redb)? {
                let (row_key, seq) = row.map_err(from_redb)?;
                rows.push((row_key.value(), seq.value()));
            }
            Ok(rows)
        })
    }

    /// Every row of the idempotency index's overflow, `(key, audit sequence)` in key order: the
    /// keys whose hash's row of the index holds another key's command.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn idempotency_overflow(&self) -> Result<Vec<(String, u64)>, StorageError> {
        self.read_table(IdempotencyOverflow, |table| {
            let mut rows = Vec::new();
            for row in table.iter().map_err(from_redb)? {
                let (key, seq) = row.map_err(from_redb)?;
                rows.push((key.value().to_owned(), seq.value()));
            }
            Ok(rows)
        })
    }

    /// An account's collection case.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn case(&self, account: AccountId) -> Result<Option<CollectionCase>, StorageError> {
        if let Some(cached) = self.cached_case(account.0) {
            return Ok(cached);
        }
        // Format 8: the overlay's row, if there is one, is the case ([`crate::CasePlacement`]).
        let overlaid = self.read_table(CasesOverlay, |overlay| {
            if overlay.len().map_err(from_redb)? == 0 {
                return Ok(None);
            }
            get_record(overlay, "cases_overlay", RecordKind::Case, account.0)
        })?;
        let found = match overlaid {
            Some(case) => Some(case),
            None => get_part(self, Part::Case, account.0, |bytes| {
                decode_record(RecordKind::Case, bytes)
            })?,
        };
        self.remember_case(account.0, &found);
        Ok(found)
    }

    /// Every collection case, by account id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn all_cases(&self) -> Result<Vec<CollectionCase>, StorageError> {
        let cases = scan_parts(self, Part::Case, .., usize::MAX, |_, bytes| {
            decode_record(RecordKind::Case, bytes)
        })?;
        let cases = overlaid(cases, self.pending_cases(0, usize::MAX), usize::MAX);
        let overlay = self.read_table(CasesOverlay, |overlay| {
            all_records(overlay, "cases_overlay", RecordKind::Case)
        })?;
        Ok(overlaid(cases, overlay, usize::MAX))
    }

    /// How many cases the case overlay holds (format 8, [`crate::CasePlacement`]): cases a
    /// sparse day of the cycle wrote there, not yet folded back into `cases`.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn cases_overlaid(&self) -> Result<u64, StorageError> {
        self.read_table(CasesOverlay, |overlay| overlay.len().map_err(from_redb))
    }

    /// Up to `limit` cases of accounts with ids above `after` (from the first if `None`), by
    /// account id: a page of a scan that holds one page in memory.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn cases_after(
        &self,
        after: Option<AccountId>,
        limit: usize,
    ) -> Result<Vec<CollectionCase>, StorageError> {
        // The first `limit` cases after `after` are among the first `limit` rows after it of
        // each table.
        let after = after.map(|id| id.0);
        let start = match after {
            Some(u64::MAX) => return Ok(Vec::new()),
            Some(after) => after + 1,
            None => 0,
        };
        let cases = scan_parts(self, Part::Case, start.., limit, |_, bytes| {
            decode_record(RecordKind::Case, bytes)
        })?;
        let cases = overlaid(cases, self.pending_cases(start, limit), usize::MAX);
        let overlay = self.read_table(CasesOverlay, |overlay| {
            page_of_records(overlay, "cases_overlay", RecordKind::Case, after, limit)
        })?;
        Ok(overlaid(cases, overlay, limit))
    }

    /// Accounts whose next review is on or before `as_of`, earliest first, at most
    /// `limit`.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn due_for_review(
        &self,
        as_of: NaiveDate,
        limit: usize,
    ) -> Result<Vec<AccountId>, StorageError> {
        let last = (date_key(as_of), u64::MAX);
        let mut pending = self.review_inserts_pending(last).into_iter().peekable();
        self.read_table(ReviewDue, |table| {
            let mut accounts = Vec::new();
            for row in table.range((i32::MIN, 0)..=last).map_err(from_redb)? {
                let (key, _) = row.map_err(from_redb)?;
                let key = key.value();
                // The transaction's pending inserts before this row; one equal to it is the row.
                while let Some(inserted) = pending.next_if(|inserted| *inserted < key) {
                    accounts.push(AccountId(inserted.1));
                }
                pending.next_if_eq(&key);
                if accounts.len() >= limit {
                    break;
                }
                if !self.review_removal_pending(key) {
                    accounts.push(AccountId(key.1));
                }
            }
            accounts.extend(pending.map(|inserted| AccountId(inserted.1)));
            accounts.truncate(limit);
            Ok(accounts)
        })
    }

    /// The debtor of each account, in order, read from the head of each account
    /// record (not the whole record). The cycle groups the due accounts with it.
    ///
    /// Accounts in ascending order whose ids span at most `DEBTORS_SWEEP_SPAN` (4) times as
    /// many ids as there are accounts (a full day's, all due on one day) are read in one walk
    /// of the table's rows from the first to the last, the rows between passed over; others
    /// (a sparse day's) each by its key.
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record or an account that does not exist.
    fn debtors_of(&self, accounts: &[AccountId]) -> Result<Vec<DebtorId>, StorageError> {
        let debtor = |bytes: &[u8]| -> Result<DebtorId, DecodeError> {
            let head: AccountHead = codec::decode_head(RecordKind::Account, bytes)?;
            Ok(DebtorId(head.debtor))
        };
        let table = Part::Account.table(self.hot_rows());
        let missing = |id: u64| StorageError::Dangling { table, key: id.to_string() };
        let ascending = accounts.windows(2).all(|pair| pair[0] < pair[1]);
        let sweep = match (accounts.first(), accounts.last()) {
            (Some(first), Some(last)) if ascending => {
                let span = last.0 - first.0;
                (span / DEBTORS_SWEEP_SPAN < accounts.len() as u64).then_some((first.0, last.0))
            }
            _ => None,
        };
        if let Some((first, last)) = sweep {
            let mut wanted = accounts.iter().map(|id| id.0).peekable();
            // The rows between the wanted ones are passed over undecoded.
            let found = scan_parts(self, Part::Account, first..=last, usize::MAX, |id, bytes| {
                if wanted.next_if_eq(&id).is_some() {
                    debtor(bytes).map(|debtor| Some((id, debtor)))
                } else {
                    Ok(None)
                }
            })?;
            let mut found = found.into_iter().flatten();
            let mut debtors = Vec::with_capacity(accounts.len());
            for &AccountId(id) in accounts {
                match found.next() {
                    Some((at, debtor)) if at == id => debtors.push(debtor),
                    _ => return Err(missing(id)),
                }
            }
            return Ok(debtors);
        }
        let mut debtors = Vec::with_capacity(accounts.len());
        for &AccountId(id) in accounts {
            debtors.push(get_part(self, Part::Account, id, debtor)?.ok_or_else(|| missing(id))?);
        }
        Ok(debtors)
    }

    /// Every `(next review day, account)` pair of the review index.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn review_index(&self) -> Result<Vec<(i32, AccountId)>, StorageError> {
        let mut pending = self.review_inserts_pending((i32::MAX, u64::MAX)).into_iter().peekable();
        self.read_table(ReviewDue, |table| {
            let mut pairs = Vec::new();
            for row in table.iter().map_err(from_redb)? {
                let (key, _) = row.map_err(from_redb)?;
                let key = key.value();
                while let Some(inserted) = pending.next_if(|inserted| *inserted < key) {
                    pairs.push((inserted.0, AccountId(inserted.1)));
                }
                pending.next_if_eq(&key);
                if !self.review_removal_pending(key) {
                    pairs.push((key.0, AccountId(key.1)));
                }
            }
            pairs.extend(pending.map(|inserted| (inserted.0, AccountId(inserted.1))));
            Ok(pairs)
        })
    }

    /// An outbox action by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn action(&self, id: u64) -> Result<Option<Action>, StorageError> {
        self.read_table(Outbox, |table| get_record(table, "outbox", RecordKind::Action, id))
    }

    /// Pending actions in id order, at most `limit`.
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record or a dangling index row.
    fn pending_actions(&self, limit: usize) -> Result<Vec<Action>, StorageError> {
        self.read_table(OutboxPending, |index| {
            self.read_table(Outbox, |table| {
                let mut actions = Vec::new();
                for row in index.iter().map_err(from_redb)? {
                    if actions.len() >= limit {
                        break;
                    }
                    let (key, _) = row.map_err(from_redb)?;
                    let id = key.value();
                    let action = get_record(table, "outbox", RecordKind::Action, id)?
                        .ok_or(StorageError::Dangling { table: "outbox", key: id.to_string() })?;
                    actions.push(action);
                }
                Ok(actions)
            })
        })
    }

    /// Up to `limit` outbox actions with sequence numbers above `after`, in sequence order
    /// (the order the outbox received them): the feed a consumer follows with its cursor.
    /// Actions written before the outbox numbered them (sequence 0) are not in it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn actions_after(&self, after: u64, limit: usize) -> Result<Vec<Action>, StorageError> {
        if !self.table_exists(OutboxBySeq)? || after == u64::MAX {
            return Ok(Vec::new());
        }
        self.read_table(OutboxBySeq, |by_seq| {
            self.read_table(Outbox, |table| {
                let mut actions = Vec::new();
                for row in by_seq.range(after + 1..).map_err(from_redb)?.take(limit) {
                    let (_, id) = row.map_err(from_redb)?;
                    let id = id.value();
                    let action = get_record(table, "outbox", RecordKind::Action, id)?
                        .ok_or(StorageError::Dangling { table: "outbox", key: id.to_string() })?;
                    actions.push(action);
                }
                Ok(actions)
            })
        })
    }

    /// Every outbox action, in id order.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn all_actions(&self) -> Result<Vec<Action>, StorageError> {
        self.read_table(Outbox, |table| all_records(table, "outbox", RecordKind::Action))
    }

    /// A debtor's actions (pending and acknowledged), by id.
    ///
    /// # Errors
    ///
    /// A storage failure, a corrupted record or a dangling index row.
    fn actions_of(&self, debtor: DebtorId) -> Result<Vec<Action>, StorageError> {
        self.read_table(OutboxByDebtor, |index| {
            self.read_table(Outbox, |table| {
                let mut actions = Vec::new();
                for id in index_range(index, debtor.0)? {
                    let action = get_record(table, "outbox", RecordKind::Action, id)?
                        .ok_or(StorageError::Dangling { table: "outbox", key: id.to_string() })?;
                    actions.push(action);
                }
                Ok(actions)
            })
        })
    }

    /// Every `(debtor, action)` pair of the outbox's debtor index.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn debtor_action_index(&self) -> Result<Vec<(DebtorId, u64)>, StorageError> {
        self.read_table(OutboxByDebtor, |index| {
            Ok(index_all(index)?.into_iter().map(|(debtor, id)| (DebtorId(debtor), id)).collect())
        })
    }

    /// The ids in the pending-actions index.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn pending_index(&self) -> Result<Vec<u64>, StorageError> {
        self.read_table(OutboxPending, |index| {
            let mut ids = Vec::new();
            for row in index.iter().map_err(from_redb)? {
                ids.push(row.map_err(from_redb)?.0.value());
            }
            Ok(ids)
        })
    }

    /// A debtor's contact history, oldest first.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn contacts(&self, debtor: DebtorId) -> Result<Vec<ContactAttempt>, StorageError> {
        self.read_table(Contacts, |table| {
            let rows = table.range((debtor.0, 0)..=(debtor.0, u64::MAX)).map_err(from_redb)?;
            decode_rows(rows, "contacts", RecordKind::Contact)
        })
    }

    /// How many contact attempts a debtor's history holds (the sequence of the last; the
    /// history is append-only), without decoding them: a mark of whether it grew.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn contacts_count(&self, debtor: DebtorId) -> Result<u64, StorageError> {
        self.read_table(Contacts, |table| {
            let mut rows = table.range((debtor.0, 0)..=(debtor.0, u64::MAX)).map_err(from_redb)?;
            match rows.next_back() {
                Some(row) => Ok(row.map_err(from_redb)?.0.value().1),
                None => Ok(0),
            }
        })
    }

    /// A debtor's notes, oldest first (none in a store written before the `notes` table).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn notes(&self, debtor: DebtorId) -> Result<Vec<Note>, StorageError> {
        self.read_table_or(Notes, Vec::new(), |table| {
            let rows = table.range((debtor.0, 0)..=(debtor.0, u64::MAX)).map_err(from_redb)?;
            decode_rows(rows, "notes", RecordKind::Note)
        })
    }

    /// The whole audit log, in order.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn audit_log(&self) -> Result<Vec<AuditEntry>, StorageError> {
        audit_read(self, 0, usize::MAX)
    }

    /// The audit entry `seq`, if any. From format 9 an entry keeps no previous hash of its own
    /// (the hash of the entry before it), and from format 10 an entry of a commit but its last
    /// keeps no hash either (its commit's, which the last keeps): this reads those entries too.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn audit_entry(&self, seq: u64) -> Result<Option<AuditEntry>, StorageError> {
        let entries = audit_read(self, seq, 1)?;
        Ok(entries.into_iter().next().filter(|entry| entry.record.seq == seq))
    }

    /// Up to `limit` audit entries with sequences from `from` on, in order: one range read
    /// (and the entries their hashes are kept in: the one before the first, whose hash formats
    /// 9 and 10 take as its previous hash; the rest of format 10's commit of the last, whose
    /// last entry keeps its hash). The caller checks the sequences if a gap matters to it.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn audit_range(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, StorageError> {
        audit_read(self, from, limit)
    }

    /// The audit chain's head: the last entry's sequence and hash, if there is an entry. In a
    /// write transaction that appended entries, the last of them and the hash they would have
    /// if it committed now.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn audit_head(&self) -> Result<Option<AuditHead>, StorageError> {
        if let Some(appended) = self.audit_appended() {
            return Ok(Some(AuditHead { seq: appended.last, hash: appended.hash }));
        }
        if let Some(cached) = self.cached_audit_head() {
            return Ok(cached);
        }
        let head = self.read_table(Audit, |table| {
            let audit = &AuditLog { table, pending: None };
            let Some((seq, bytes)) = audit.last_entry()? else { return Ok(None) };
            // The last entry keeps its hash (a commit's last entry does): the head needs
            // nothing else. One of version 5 has its commit's last entry lost: the read of it
            // says so.
            let (entry, prev_hash) = decode_entry(seq, &bytes)?;
            if prev_hash != PrevHash::OfCommit {
                return Ok(Some(AuditHead { seq, hash: entry.hash }));
            }
            let last = audit_entries(audit, None, seq, 1)?;
            Ok(last.first().map(|entry| AuditHead { seq, hash: entry.hash }))
        })?;
        self.remember_audit_head(head);
        Ok(head)
    }

    /// A configuration value (such as the policy text).
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn config(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.read_table(Config, |table| {
            let value = table.get(name).map_err(from_redb)?.map(|guard| guard.value().to_vec());
            Ok(value)
        })
    }

    /// The plugin registry's entry named `name`.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn plugin_entry(&self, name: &str) -> Result<Option<PluginEntryRow>, StorageError> {
        self.read_table_or(Plugins, None, |table| {
            let Some(guard) = table.get(name).map_err(from_redb)? else { return Ok(None) };
            decode_record(RecordKind::PluginEntry, guard.value()).map(Some).map_err(|reason| {
                StorageError::Corrupted { table: "plugins", key: name.to_owned(), reason }
            })
        })
    }

    /// Every entry of the plugin registry, by name (none in a store written before the
    /// `plugins` table existed).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn plugin_entries(&self) -> Result<Vec<PluginEntryRow>, StorageError> {
        self.read_table_or(Plugins, Vec::new(), |table| {
            let mut rows = Vec::new();
            for row in table.iter().map_err(from_redb)? {
                let (key, value) = row.map_err(from_redb)?;
                let entry =
                    decode_record(RecordKind::PluginEntry, value.value()).map_err(|reason| {
                        StorageError::Corrupted {
                            table: "plugins",
                            key: key.value().to_owned(),
                            reason,
                        }
                    })?;
                rows.push(entry);
            }
            Ok(rows)
        })
    }

    /// The bank line received under `bank_ref` (none in a store written before the
    /// `bank_lines` table).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn bank_line(&self, bank_ref: &str) -> Result<Option<HeldLine>, StorageError> {
        self.read_table_or(BankLines, None, |table| {
            get_named(table, "bank_lines", RecordKind::BankLine, bank_ref)
        })
    }

    /// Every bank line received, by bank reference.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn bank_lines(&self) -> Result<Vec<HeldLine>, StorageError> {
        self.read_table_or(BankLines, Vec::new(), |table| {
            decode_rows(table.iter().map_err(from_redb)?, "bank_lines", RecordKind::BankLine)
        })
    }

    /// The credit decision `id` (none in a store written before the `credit_decisions` table).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn credit_decision(&self, id: u64) -> Result<Option<CreditDecision>, StorageError> {
        self.read_table_or(CreditDecisions, None, |table| {
            get_record(table, "credit_decisions", RecordKind::CreditDecision, id)
        })
    }

    /// The id of the latest credit decision (0: none yet).
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn last_credit_decision_id(&self) -> Result<u64, StorageError> {
        self.read_table_or(CreditDecisions, 0, |table| {
            Ok(table.last().map_err(from_redb)?.map_or(0, |(key, _)| key.value()))
        })
    }

    /// A debtor's credit standing, if it has one.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn credit_standing(&self, debtor: DebtorId) -> Result<Option<CreditStanding>, StorageError> {
        self.read_table_or(CreditStandings, None, |table| {
            get_record(table, "credit_standings", RecordKind::CreditStanding, debtor.0)
        })
    }

    /// Every credit standing, by debtor.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn credit_standings(&self) -> Result<Vec<CreditStanding>, StorageError> {
        self.read_table_or(CreditStandings, Vec::new(), |table| {
            all_records(table, "credit_standings", RecordKind::CreditStanding)
        })
    }

    /// A debtor's credit reviews, oldest first (`None`: every debtor's, by debtor).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn credit_reviews(&self, debtor: Option<DebtorId>) -> Result<Vec<CreditReview>, StorageError> {
        self.read_table_or(CreditReviews, Vec::new(), |table| {
            let range = match debtor {
                Some(debtor) => (debtor.0, 0)..=(debtor.0, u64::MAX),
                None => (0, 0)..=(u64::MAX, u64::MAX),
            };
            let rows = table.range(range).map_err(from_redb)?;
            decode_rows(rows, "credit_reviews", RecordKind::CreditReview)
        })
    }

    /// The debtors that registered the payer account `number` (normalized, as
    /// `PayerAccount::id` gives it), by debtor id; none in a store written before the
    /// `payer_accounts` table.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn payer_account(&self, number: &str) -> Result<Vec<RegisteredPayer>, StorageError> {
        self.read_table_or(PayerAccounts, Vec::new(), |table| {
            let rows = table.range((number, 0)..=(number, u64::MAX)).map_err(from_redb)?;
            decode_rows(rows, "payer_accounts", RecordKind::PayerAccount)
        })
    }

    /// Every payer account registered, by number then debtor.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn payer_accounts(&self) -> Result<Vec<RegisteredPayer>, StorageError> {
        self.read_table_or(PayerAccounts, Vec::new(), |table| {
            let rows = table.iter().map_err(from_redb)?;
            decode_rows(rows, "payer_accounts", RecordKind::PayerAccount)
        })
    }

    /// How every imported credit line was matched, by bank reference (none in a store
    /// written before the `bank_matches` table).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn bank_matches(&self) -> Result<Vec<LineMatch>, StorageError> {
        self.read_table_or(BankMatches, Vec::new(), |table| {
            decode_rows(table.iter().map_err(from_redb)?, "bank_matches", RecordKind::BankMatch)
        })
    }

    /// The team named `name` (none in a store written before the `teams` table).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn team(&self, name: &str) -> Result<Option<Team>, StorageError> {
        self.read_table_or(Teams, None, |table| get_named(table, "teams", RecordKind::Team, name))
    }

    /// Every team, by name.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn teams(&self) -> Result<Vec<Team>, StorageError> {
        self.read_table_or(Teams, Vec::new(), |table| {
            decode_rows(table.iter().map_err(from_redb)?, "teams", RecordKind::Team)
        })
    }

    /// The agent `id` (none in a store written before the `agents` table).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn agent(&self, id: &str) -> Result<Option<Agent>, StorageError> {
        self.read_table_or(Agents, None, |table| get_named(table, "agents", RecordKind::Agent, id))
    }

    /// Every agent, by id.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn agents(&self) -> Result<Vec<Agent>, StorageError> {
        self.read_table_or(Agents, Vec::new(), |table| {
            decode_rows(table.iter().map_err(from_redb)?, "agents", RecordKind::Agent)
        })
    }

    /// An account's work item, if the engine keeps one (an account without one is due at once
    /// and unclaimed).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn work_item(&self, account: AccountId) -> Result<Option<WorkItem>, StorageError> {
        self.read_table_or(WorkItems, None, |table| {
            get_record(table, "work_items", RecordKind::WorkItem, account.0)
        })
    }

    /// The work log, oldest first.
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    fn work_log(&self) -> Result<Vec<WorkLogEntry>, StorageError> {
        self.read_table_or(WorkLog, Vec::new(), |table| {
            all_records(table, "work_log", RecordKind::WorkLog)
        })
    }

    /// Number of accounts.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn account_count(&self) -> Result<u64, StorageError> {
        Ok(scan_parts(self, Part::Account, .., usize::MAX, |_, _| Ok(()))?.len() as u64)
    }

    /// The ids of all accounts, ascending.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn account_ids(&self) -> Result<Vec<AccountId>, StorageError> {
        scan_parts(self, Part::Account, .., usize::MAX, |id, _| Ok(AccountId(id)))
    }
}

impl Reads for ReadTxn {}

impl Reads for WriteTxn {}

impl WriteTxn {
    /// An account's state after all its events, owned: the transaction's decoded copy is
    /// handed over rather than cloned (the caller writes the next one with `put_snapshot`).
    ///
    /// # Errors
    ///
    /// A storage failure or a corrupted record.
    ///
    /// The state is the snapshot's hot part: settled items may be in cold parts
    /// ([`AccountState::cold_parts`]); merge them with [`WriteTxn::take_cold_parts`] before an
    /// event that [`AccountState::needs_cold`].
    pub fn take_account_state(&self, account: &Account) -> Result<AccountState, StorageError> {
        let cached = self.cache.borrow_mut().snapshots.remove(&account.id.0);
        let shared = match cached {
            Some(Some(state)) => Some(state),
            _ if !self.snapshot_lost(account.id.0) => {
                // Read and handed over at once: not kept in the cache only to be taken out of
                // it again (the caller writes the next one with `put_snapshot`).
                return match snapshot_record(self, account.id)? {
                    Some(found) => Ok(found),
                    None => {
                        without_history(self, account.id)?;
                        Ok(AccountState::opening(account))
                    }
                };
            }
            _ => {
                let read = self.shared_snapshot(account.id)?;
                // The read kept a reference in the cache: drop it before taking the state, or
                // the state would be copied (every map of it) instead of moved.
                self.cache.borrow_mut().snapshots.remove(&account.id.0);
                read
            }
        };
        Ok(match shared {
            Some(state) => Arc::unwrap_or_clone(state),
            None => AccountState::opening(account),
        })
    }

    /// Merges an account's cold parts into its state taken with
    /// [`WriteTxn::take_account_state`], which becomes whole; the parts are removed when the
    /// transaction writes the account's next snapshot (which moves what is settled out again).
    ///
    /// # Errors
    ///
    /// [`StorageError::ColdParts`], a storage failure or a corrupted record; the state is then
    /// unchanged.
    pub fn take_cold_parts(
        &self,
        account: AccountId,
        state: &mut AccountState,
    ) -> Result<(), StorageError> {
        if state.cold_parts == 0 {
            return Ok(());
        }
        self.merge_cold_parts(account, state)?;
        self.note_whole(account.0);
        Ok(())
    }

    /// Gives back an account's state taken with [`WriteTxn::take_account_state`] and left
    /// unchanged (its command was refused), so that the next command need not read it again.
    /// Whether the transaction still has to write it is as before it was taken.
    pub fn give_back_account_state(&self, account: AccountId, state: AccountState) {
        let mut cache = self.cache.borrow_mut();
        cache.bound();
        cache.snapshots.insert(account.0, Some(Arc::new(state)));
    }
}

/// An account's state rebuilt by replaying its events (whole: no cold part).
///
/// # Errors
///
/// A storage failure, a corrupted record, a broken chain, or no such account.
pub(crate) fn rebuilt_state<R: Reads + ?Sized>(
    read: &R,
    account: AccountId,
) -> Result<AccountState, StorageError> {
    let Some(record) = read.account(account)? else {
        let table = Part::Account.table(read.hot_rows());
        return Err(StorageError::Dangling { table, key: account.0.to_string() });
    };
    let events: Vec<Event> = read.events(account)?.into_iter().map(|record| record.event).collect();
    Ok(replay(&record, &events, None).state)
}

/// An account's snapshot row read from the table and decoded: its state, and its ledger
/// head, which the transaction keeps (unless it holds a newer one).
///
/// # Errors
///
/// A storage failure or a corrupted record.
fn snapshot_record<R: Reads + ?Sized>(
    read: &R,
    account: AccountId,
) -> Result<Option<AccountState>, StorageError> {
    let found: Option<SnapshotRecord> = get_part(read, Part::Snapshot, account.0, |bytes| {
        decode_record(RecordKind::Snapshot, bytes)
    })?;
    Ok(found.map(|SnapshotRecord { state, ledger_head }| {
        read.remember_ledger_head(account.0, ledger_head);
        state
    }))
}

fn get_record<T: Record>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
    id: u64,
) -> Result<Option<T>, StorageError> {
    let Some(guard) = table.get(id).map_err(from_redb)? else { return Ok(None) };
    decode_record(kind, guard.value()).map(Some).map_err(|reason| StorageError::Corrupted {
        table: table_name,
        key: id.to_string(),
        reason,
    })
}

/// The cases of `cases` (by account) with those of the overlay (by account) in their place,
/// by account, at most `limit` ([`crate::CasePlacement`]).
fn overlaid(
    cases: Vec<CollectionCase>,
    overlay: Vec<CollectionCase>,
    limit: usize,
) -> Vec<CollectionCase> {
    if overlay.is_empty() {
        let mut cases = cases;
        cases.truncate(limit);
        return cases;
    }
    let mut merged = Vec::with_capacity(cases.len().max(overlay.len()).min(limit));
    let mut cases = cases.into_iter().peekable();
    let mut overlay = overlay.into_iter().peekable();
    while merged.len() < limit {
        let next = match (cases.peek(), overlay.peek()) {
            (None, None) => break,
            (Some(_), None) => cases.next(),
            (None, Some(_)) => overlay.next(),
            (Some(base), Some(over)) => {
                if base.account < over.account {
                    cases.next()
                } else {
                    if base.account == over.account {
                        // Shadowed by the overlay's row.
                        cases.next();
                    }
                    overlay.next()
                }
            }
        };
        merged.extend(next);
    }
    merged
}

fn get_named<T: Record>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
    name: &str,
) -> Result<Option<T>, StorageError> {
    let Some(guard) = table.get(name).map_err(from_redb)? else { return Ok(None) };
    decode_record(kind, guard.value()).map(Some).map_err(|reason| StorageError::Corrupted {
        table: table_name,
        key: format!("{name:?}"),
        reason,
    })
}

fn all_records<T: Record>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
) -> Result<Vec<T>, StorageError> {
    decode_rows(table.iter().map_err(from_redb)?, table_name, kind)
}

/// Up to `limit` records with keys above `after`, in key order.
fn page_of_records<T: Record>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<T>, StorageError> {
    let start = match after {
        Some(u64::MAX) => return Ok(Vec::new()),
        Some(after) => after + 1,
        None => 0,
    };
    let mut records = Vec::new();
    for row in table.range(start..).map_err(from_redb)?.take(limit) {
        let (key, value) = row.map_err(from_redb)?;
        let record = decode_record(kind, value.value()).map_err(|reason| {
            StorageError::Corrupted { table: table_name, key: key.value().to_string(), reason }
        })?;
        records.push(record);
    }
    Ok(records)
}

/// Decodes every record of a range of a table, in key order; a record that does not decode is
/// `Corrupted` with its key.
fn decode_rows<K, T>(
    rows: redb::Range<'_, K, &'static [u8]>,
    table_name: &'static str,
    kind: RecordKind,
) -> Result<Vec<T>, StorageError>
where
    K: redb::Key + 'static,
    for<'k> K::SelfType<'k>: std::fmt::Debug,
    T: Record,
{
    let mut records = Vec::new();
    for row in rows {
        let (key, value) = row.map_err(from_redb)?;
        let record = decode_record(kind, value.value()).map_err(|reason| {
            StorageError::Corrupted { table: table_name, key: format!("{:?}", key.value()), reason }
        })?;
        records.push(record);
    }
    Ok(records)
}

/// Checks that `account`, which has no snapshot row (so no ledger head), has no history
/// either. An account's obligations are written with its events (a charge's): one that has an
/// obligation lost its snapshot row, where the head is kept (a damaged page), and must not read
/// as an account without a history (a balance of zero) nor take a first event.
fn without_history<T: Reads + ?Sized>(reads: &T, account: AccountId) -> Result<(), StorageError> {
    let obligations = reads.read_table(AccountObligations, |table| {
        let mut rows = table.range((account.0, 0)..=(account.0, u64::MAX)).map_err(from_redb)?;
        Ok(rows.next().is_some())
    })?;
    if obligations {
        return Err(StorageError::LedgerChain {
            account: account.0,
            seq: 0,
            detail: "the account has obligations but no ledger head: its snapshot row is missing"
                .to_owned(),
        });
    }
    Ok(())
}

/// [`Reads::audit_range`], with the transaction's appended entries.
fn audit_read<T: Reads + ?Sized>(
    reads: &T,
    from: u64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StorageError> {
    let appended = reads.audit_appended();
    let pending = reads.audit_pending();
    reads.read_table(Audit, |audit| {
        audit_entries(&AuditLog { table: audit, pending }, appended, from, limit)
    })
}

/// What [`ReadAudit::each_from`] passes each entry to: its sequence and bytes. It returns
/// whether to go on.
pub(crate) type EachEntry<'a> = dyn FnMut(u64, &[u8]) -> Result<bool, StorageError> + 'a;

/// The audit log as its reads use it: one entry at a time, whether a row of the table holds
/// one entry or a chunk of them (format 11), with a write transaction's entries not written yet.
pub(crate) trait ReadAudit {
    /// The last entry before `seq` that keeps a hash (of record version 4 or older): its
    /// sequence and bytes.
    fn last_sealed_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, StorageError>;
    /// The entries from `from` on, in order, each passed to `each` with its bytes while it
    /// says to go on.
    fn each_from(&self, from: u64, each: &mut EachEntry<'_>) -> Result<(), StorageError>;
    /// The last entry: its sequence and bytes.
    fn last_entry(&self) -> Result<Option<(u64, Vec<u8>)>, StorageError>;
}

/// The `audit` table of a transaction and the entries it appended that are not in it yet
/// ([`crate::txn::TableAccess::audit_pending`]).
pub(crate) struct AuditLog<'a, T> {
    pub(crate) table: &'a T,
    pub(crate) pending: Option<(u64, &'a [u8])>,
}

impl<T: ReadableTable<u64, &'static [u8]>> AuditLog<'_, T> {
    fn pending_records(&self) -> Vec<(u64, &[u8])> {
        pending_records(self.pending)
    }

    /// The key of the row that would hold `seq`: the row before it if that is a chunk, else
    /// `seq` itself.
    fn row_key(&self, seq: u64) -> Result<u64, StorageError> {
        let before = self.table.range(..=seq).map_err(from_redb)?.next_back();
        match before {
            Some(row) => {
                let (key, bytes) = row.map_err(from_redb)?;
                Ok(if chunk::is_chunk(bytes.value()) { key.value() } else { seq })
            }
            None => Ok(seq),
        }
    }
}

impl<T: ReadableTable<u64, &'static [u8]>> ReadAudit for AuditLog<'_, T> {
    fn last_sealed_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, StorageError> {
        // The entries not written yet are of version 5, all of them.
        for row in self.table.range(..seq).map_err(from_redb)?.rev() {
            let (key, bytes) = row.map_err(from_redb)?;
            for (at, record) in row_records("audit", key.value(), bytes.value())?.into_iter().rev()
            {
                if at < seq && record.first() != Some(&crate::rows::case::AUDIT_COMMITTED_VERSION) {
                    return Ok(Some((at, record.to_vec())));
                }
            }
        }
        Ok(None)
    }

    fn each_from(&self, from: u64, each: &mut EachEntry<'_>) -> Result<(), StorageError> {
        let start = self.row_key(from)?;
        for row in self.table.range(start..).map_err(from_redb)? {
            let (key, bytes) = row.map_err(from_redb)?;
            for (seq, record) in row_records("audit", key.value(), bytes.value())? {
                if seq >= from && !each(seq, record)? {
                    return Ok(());
                }
            }
        }
        for (seq, record) in self.pending_records() {
            if seq >= from && !each(seq, record)? {
                return Ok(());
            }
        }
        Ok(())
    }

    fn last_entry(&self) -> Result<Option<(u64, Vec<u8>)>, StorageError> {
        if let Some((seq, record)) = self.pending_records().pop() {
            return Ok(Some((seq, record.to_vec())));
        }
        let Some((key, bytes)) = ReadableTable::last(self.table).map_err(from_redb)? else {
            return Ok(None);
        };
        let last = row_records("audit", key.value(), bytes.value())?.pop();
        Ok(last.map(|(seq, record)| (seq, record.to_vec())))
    }
}

/// An audit entry's record, decoded, with where its hashes come from.
fn decode_entry(seq: u64, bytes: &[u8]) -> Result<(AuditEntry, PrevHash), StorageError> {
    let corrupted =
        |reason| StorageError::Corrupted { table: "audit", key: seq.to_string(), reason };
    let (entry, prev_hash) = decode_audit_entry(RecordKind::Audit, bytes).map_err(corrupted)?;
    if entry.record.seq != seq {
        return Err(corrupted(codec::DecodeError::Payload {
            kind: "audit entry",
            reason: format!("holds the record of audit sequence {}", entry.record.seq),
        }));
    }
    Ok((entry, prev_hash))
}

/// The hash an entry at `seq` links to if it starts a group: the hash of the nearest entry
/// before it that keeps one (record versions 1 to 4: format 10's entries of version 5, before
/// it, are of the same commit), zeros if there is none.
fn hash_before(audit: &dyn ReadAudit, seq: u64) -> Result<[u8; 32], StorageError> {
    match audit.last_sealed_before(seq)? {
        Some((before, bytes)) => Ok(decode_entry(before, &bytes)?.0.hash),
        None => Ok([0; 32]),
    }
}

/// Up to `limit` audit entries with sequences from `from` on, in order, as stored: their
/// kinds, records and replays, with no hash linked (an entry of a commit's chain group may read
/// without its hash or its previous one). For a migration that reads the commands only, in
/// steps that must not read on to the end of a commit of thousands of entries
/// ([`audit_entries`] does).
pub(crate) fn audit_entries_unlinked(
    audit: &dyn ReadAudit,
    from: u64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StorageError> {
    let mut entries = Vec::new();
    audit.each_from(from, &mut |key, bytes| {
        if entries.len() >= limit {
            return Ok(false);
        }
        entries.push(decode_entry(key, bytes)?.0);
        Ok(true)
    })?;
    Ok(entries)
}

/// Up to `limit` audit entries with sequences from `from` on, in order, each complete.
///
/// The chain's groups ([`crate::chain`]): up to format 9 each entry is one, from format 10 each
/// commit. An entry of record versions 1 to 3 keeps both its hashes; one of version 4 keeps its
/// hash, and links to the hash of the nearest entry before it that keeps one (zeros for the
/// first): the entry before it, but for the entries of version 5 of its own commit. An entry of
/// version 5 ([`crate::rows::case::CommittedAuditEntryRow`]) keeps neither: its commit's last
/// entry, written at version 4, keeps the commit's hash, and the entries of version 5 before it
/// have that hash and link where it links; so the read goes on past `limit` to the end of a
/// commit it is in. `appended`: a write transaction's entries not committed yet, whose last is
/// not written at version 4 until the commit, and which read with the hash they would have if
/// it committed now. A damaged log (an entry missing, a commit's last entry lost) then links an
/// entry to the wrong hash or groups entries of two commits, which `verify`'s recomputation of
/// the chain reports.
pub(crate) fn audit_entries(
    audit: &dyn ReadAudit,
    appended: Option<AuditAppended>,
    from: u64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StorageError> {
    let mut entries: Vec<AuditEntry> = Vec::new();
    // The hash that the next entry keeping one, or the next commit, links to.
    let mut link: Option<[u8; 32]> = None;
    // Where the entries of version 5 waiting for their commit's last entry start in `entries`.
    let mut waiting: Option<usize> = None;
    audit.each_from(from, &mut |key, bytes| {
        if entries.len() >= limit && waiting.is_none() {
            return Ok(false);
        }
        let (mut entry, prev_hash) = decode_entry(key, bytes)?;
        if prev_hash == PrevHash::OfCommit {
            if entries.len() < limit {
                waiting.get_or_insert(entries.len());
                entries.push(entry);
            }
            return Ok(true);
        }
        let prev = match link {
            Some(hash) => hash,
            None => hash_before(audit, key)?,
        };
        if prev_hash == PrevHash::OfPredecessor {
            entry.record.prev_hash = prev;
        }
        if let Some(start) = waiting.take() {
            for waiting in &mut entries[start..] {
                waiting.record.prev_hash = prev;
                waiting.hash = entry.hash;
            }
        }
        link = Some(entry.hash);
        if entries.len() < limit {
            entries.push(entry);
        }
        Ok(true)
    })?;
    if let Some(start) = waiting {
        let first = entries[start].record.seq;
        let appended = appended.filter(|appended| appended.first <= first).ok_or_else(|| {
            StorageError::Corrupted {
                table: "audit",
                key: first.to_string(),
                reason: codec::DecodeError::Payload {
                    kind: "audit entry",
                    reason: "an entry of record version 5 that no entry keeping its commit's \
                             hash follows (the commit's last entry is lost)"
                        .to_owned(),
                },
            }
        })?;
        for waiting in &mut entries[start..] {
            waiting.record.prev_hash = appended.prev;
            waiting.hash = appended.hash;
        }
    }
    Ok(entries)
}

/// The right halves of an index's `(left, right)` keys for `left`, in order.
fn index_range(
    table: &impl ReadableTable<(u64, u64), ()>,
    left: u64,
) -> Result<Vec<u64>, StorageError> {
    index_range_from(table, left, 0)
}

/// The right halves of an index's `(left, right)` keys for `left`, from `right` `from` on.
fn index_range_from(
    table: &impl ReadableTable<(u64, u64), ()>,
    left: u64,
    from: u64,
) -> Result<Vec<u64>, StorageError> {
    let mut ids = Vec::new();
    for row in table.range((left, from)..=(left, u64::MAX)).map_err(from_redb)? {
        let (key, _) = row.map_err(from_redb)?;
        ids.push(key.value().1);
    }
    Ok(ids)
}

/// The row at log sequence `seq` of `account`'s ledger chain: it must exist, belong to the
/// account and point back to a smaller sequence, so a damaged pointer is an error, never a loop
/// or another account's history.
fn chain_row(
    table: &impl ReadableTable<u64, &'static [u8]>,
    pending: Option<(u64, &[u8])>,
    account: AccountId,
    seq: u64,
) -> Result<LedgerRow, StorageError> {
    let row = record_at(table, pending, "ledger_log", seq, |bytes| decode_ledger_row(seq, bytes))?
        .ok_or(StorageError::Dangling { table: "ledger_log", key: seq.to_string() })?;
    if row.account != account || row.prev >= seq {
        return Err(StorageError::LedgerChain {
            account: account.0,
            seq,
            detail: format!("row of account {} points back to {}", row.account, row.prev),
        });
    }
    Ok(row)
}

/// The ledger log's last row, as [`log_tail`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogTail {
    /// Its log sequence.
    pub(crate) seq: u64,
    /// The largest id of its journal entries (the last: they are kept in id order); none if
    /// it wrote none.
    pub(crate) last_entry: Option<u64>,
}

/// The ledger log's last row (none in an empty log, or a store of format 3 or older, which
/// has no log).
///
/// # Errors
///
/// A storage failure, or a corrupted row.
pub(crate) fn log_tail(txn: &(impl TableAccess + ?Sized)) -> Result<Option<LogTail>, StorageError> {
    if let Some((seq, record)) = pending_records(txn.ledger_pending()).pop() {
        let row = decode_ledger_row(seq, record)?;
        let last_entry = row.entries.iter().map(|entry| entry.id.0).max();
        return Ok(Some(LogTail { seq, last_entry }));
    }
    txn.read_table_or(LedgerLog, None, |table| {
        let Some((key, bytes)) = table.last().map_err(from_redb)? else { return Ok(None) };
        let last = row_records("ledger_log", key.value(), bytes.value())?.pop();
        let Some((seq, record)) = last else { return Ok(None) };
        let row = decode_ledger_row(seq, record)?;
        let last_entry = row.entries.iter().map(|entry| entry.id.0).max();
        Ok(Some(LogTail { seq, last_entry }))
    })
}

/// A sequence's value in `meta` (zero if none).
fn meta_sequence(
    txn: &(impl TableAccess + ?Sized),
    sequence: Sequence,
) -> Result<u64, StorageError> {
    txn.read_table(Meta, |meta| {
        Ok(meta.get(sequence.meta_key()).map_err(from_redb)?.map_or(0, |guard| guard.value()))
    })
}

/// The log and entry sequences as the store holds them ([`Reads::stored_sequence`]), from one
/// read of the ledger log's last row.
///
/// # Errors
///
/// A storage failure, or a corrupted last row of the ledger log.
pub(crate) fn stored_log_sequences(
    txn: &(impl TableAccess + ?Sized),
) -> Result<(u64, u64), StorageError> {
    let tail = log_tail(txn)?;
    let log = meta_sequence(txn, Sequence::Log)?.max(tail.map_or(0, |tail| tail.seq));
    let entry = meta_sequence(txn, Sequence::Entry)?;
    Ok((log, entry.max(tail.and_then(|tail| tail.last_entry).unwrap_or(0))))
}

/// The records of the row of `table` (`audit` or `ledger_log`) at `key`, each with its
/// sequence: the row's own, or its chunk's (format 11).
fn row_records<'a>(
    table: &'static str,
    key: u64,
    row: &'a [u8],
) -> Result<Vec<(u64, &'a [u8])>, StorageError> {
    let records = chunk::records(row).map_err(|reason| StorageError::Corrupted {
        table,
        key: key.to_string(),
        reason,
    })?;
    Ok((key..).zip(records).collect())
}

/// The records of a transaction's chunk not written yet ([`TableAccess::ledger_pending`],
/// [`TableAccess::audit_pending`]), each with its sequence.
fn pending_records(pending: Option<(u64, &[u8])>) -> Vec<(u64, &[u8])> {
    match pending {
        Some((first, bytes)) => (first..).zip(chunk::pending_records(bytes)).collect(),
        None => Vec::new(),
    }
}

/// The record of sequence `seq` of `name` (`audit` or `ledger_log`), passed to `read`, if the
/// table or the transaction's records not written yet (`pending`) hold it: the row at `seq`, or
/// its place in the chunk whose key is the nearest below it (format 11).
fn record_at<R>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    pending: Option<(u64, &[u8])>,
    name: &'static str,
    seq: u64,
    read: impl FnOnce(&[u8]) -> Result<R, StorageError>,
) -> Result<Option<R>, StorageError> {
    if pending.is_some_and(|(first, _)| seq >= first) {
        let found = pending_records(pending).into_iter().find(|(at, _)| *at == seq);
        return found.map(|(_, record)| read(record)).transpose();
    }
    let Some(row) = table.range(..=seq).map_err(from_redb)?.next_back() else { return Ok(None) };
    let (key, bytes) = row.map_err(from_redb)?;
    let records = row_records(name, key.value(), bytes.value())?;
    let found = records.into_iter().find(|(at, _)| *at == seq);
    found.map(|(_, record)| read(record)).transpose()
}

/// Decodes the ledger row at log sequence `seq`.
fn decode_ledger_row(seq: u64, bytes: &[u8]) -> Result<LedgerRow, StorageError> {
    decode_record(RecordKind::LedgerRow, bytes).map_err(|reason| StorageError::Corrupted {
        table: "ledger_log",
        key: seq.to_string(),
        reason,
    })
}

fn index_all(table: &impl ReadableTable<(u64, u64), ()>) -> Result<Vec<(u64, u64)>, StorageError> {
    let mut pairs = Vec::new();
    for row in table.iter().map_err(from_redb)? {
        let (key, _) = row.map_err(from_redb)?;
        pairs.push(key.value());
    }
    Ok(pairs)
}

/// An `idempotency_index` row that does not reach its key's command, naming the key.
fn idempotency_damage(key: &str, reason: String) -> StorageError {
    StorageError::Corrupted {
        table: "idempotency_index",
        key: format!("{key:?}"),
        reason: codec::DecodeError::Payload { kind: "idempotency key", reason },
    }
}

/// What the command an `idempotency_index` row points at is to a look-up
/// ([`Reads::idempotency_entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidate {
    /// The command of the key looked up.
    Found,
    /// The command of another key with the same row key: the key's row, if any, is in
    /// `idempotency_overflow`.
    Collision,
    /// No command, or one whose key has another row key: the row is damaged.
    Damaged,
}

/// What the index row `row`, the row key of `key`, reaches when its entry is the command of
/// `found` (if any).
fn candidate(key: &str, row: u128, found: Option<&str>) -> Candidate {
    match found {
        Some(found) if found == key => Candidate::Found,
        Some(found) if crate::schema::idempotency_row(found) == row => Candidate::Collision,
        _ => Candidate::Damaged,
    }
}
