//! Journaled commits that share one write transaction ([`Store::chain`]).
//!
//! A caller that makes its commits durable by other means (the engine's journal, which writes
//! and syncs a record of each commit's commands before it answers) need not commit redb's
//! transaction at each of them: redb's commit of a payment, even unsynced, costs more than
//! the payment itself (it writes the root of every table the payment touched into the table
//! tree and checksums every page it dirtied). So a journaled commit seals what it appended
//! (the audit chain's group and the ledger's chunk, as a commit would) and parks the
//! transaction in the handle; the next journaled commit goes on in it, and the pages the last
//! one dirtied are still dirty. Anything else that reads or writes through the handle first
//! commits the parked transaction ([`Store::settle`]), so that it sees every commit whose
//! caller was answered: read-your-writes holds as before; a short read may instead read
//! inside it while nobody holds the chain ([`Store::view`]). A crash loses the parked
//! transaction, which the journal holds, as it lost an unsynced commit before.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use crate::error::StorageError;
use crate::open::Store;
use crate::txn::{ReadTxn, WriteTxn};

/// The handle's parked transaction, if any, and whether commits that were answered are not
/// yet committed to redb.
#[derive(Default)]
pub(crate) struct Parked {
    /// The transaction between two journaled commits. Locked by the chain's holder from
    /// [`Store::chain`] to the end of its commit, and by [`Store::settle`].
    slot: Mutex<Option<WriteTxn>>,
    /// Set from the first park until the chain's transaction commits: while it is set, commits
    /// whose callers were answered are in the slot or in the holder's hands, not in redb's
    /// last commit. A reader that finds it clear needs nothing from the chain.
    pending: AtomicBool,
    /// The thread holding the chain ([`thread_tag`]), 0 if none: its own reads read redb's
    /// last commit (it holds the transaction they would wait for).
    holder: AtomicUsize,
}

thread_local! {
    static TAG: Cell<u8> = const { Cell::new(0) };
}

/// A number that tells this thread from every other thread alive: the address of a
/// thread-local.
fn thread_tag() -> usize {
    TAG.with(|tag| tag as *const Cell<u8> as usize)
}

/// What a short read of the handle reads ([`Store::view`]): redb's last commit, or the
/// transaction parked in the handle by journaled commits, which holds every commit whose
/// caller was answered. Both implement [`crate::Reads`]; [`View::Parked`] holds the chain's
/// lock until it is dropped, so a writer of the handle waits for the read.
// A view lives for one read, where `Store::read` hands out the same `ReadTxn` by value: boxing
// it would allocate at every read to save a move.
#[allow(clippy::large_enum_variant)]
pub enum View<'store> {
    /// A read transaction of redb's last commit.
    Committed(ReadTxn),
    /// The parked transaction, lent for reads.
    Parked(ParkedView<'store>),
}

impl std::fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            View::Committed(_) => "View::Committed",
            View::Parked(_) => "View::Parked",
        })
    }
}

/// The parked transaction of journaled commits, lent to a reader under the chain's lock
/// ([`View::Parked`]).
pub struct ParkedView<'store> {
    slot: MutexGuard<'store, Option<WriteTxn>>,
}

impl ParkedView<'_> {
    /// The parked transaction, for reads: its own reads see every commit parked in it.
    pub fn txn(&self) -> &WriteTxn {
        self.slot.as_ref().unwrap_or_else(|| unreachable!("lent only while one is parked"))
    }
}

/// The lock on a handle's chain of journaled commits ([`Store::chain`]), held from the
/// beginning of a commit to its end.
pub struct Chain<'store> {
    store: &'store Store,
    slot: MutexGuard<'store, Option<WriteTxn>>,
    /// Whether the transaction handed out holds commits whose callers were answered.
    acknowledged: bool,
    /// Whether a transaction is out of the slot, in the holder's hands.
    out: bool,
}

impl std::fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("acknowledged", &self.acknowledged)
            .field("out", &self.out)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Takes the lock on this handle's chain of journaled commits: the holder gets the parked
    /// transaction (or a new one, see [`Chain::begin`]), runs its commands in it, makes them
    /// durable, and parks it again ([`Chain::park`]) or commits it. Readers and other writers
    /// of the handle wait for the lock only while parked commits exist; they then commit them
    /// first ([`Store::settle`]).
    ///
    /// # Errors
    ///
    /// [`StorageError::Fenced`] on a fenced handle, [`StorageError::ReadOnly`], or
    /// [`StorageError::Engine`] on a handle not opened with exclusive sharing (another process
    /// could not see the parked commits).
    pub fn chain(&self) -> Result<Chain<'_>, StorageError> {
        self.writable()?;
        if self.options.sharing != crate::Sharing::Exclusive {
            return Err(StorageError::Engine(
                "a chain of journaled commits needs a store opened with exclusive sharing".into(),
            ));
        }
        let slot = self.parked.slot.lock().unwrap_or_else(PoisonError::into_inner);
        self.parked.holder.store(thread_tag(), Ordering::Release);
        let chain = Chain { store: self, slot, acknowledged: false, out: false };
        if let Some(reason) = self.fence.get() {
            return Err(StorageError::Fenced { reason: reason.clone() });
        }
        Ok(chain)
    }

    /// Commits the parked transaction of journaled commits, if there is one, so that what its
    /// callers were told is in redb's last commit. Waits for a chain's holder to end its
    /// commit first. Does nothing on the thread that holds the chain, nor when nothing is
    /// parked. A commit that fails fences the handle (the journal holds the commits; opening
    /// the store again replays them).
    ///
    /// # Errors
    ///
    /// The parked transaction's commit failed.
    pub fn settle(&self) -> Result<(), StorageError> {
        let parked = &self.parked;
        if !parked.pending.load(Ordering::Acquire)
            || parked.holder.load(Ordering::Acquire) == thread_tag()
        {
            return Ok(());
        }
        let mut slot = parked.slot.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(txn) = slot.take() else { return Ok(()) };
        let committed = txn.commit();
        parked.pending.store(false, Ordering::Release);
        committed.map_err(|error| {
            let reason = format!(
                "the commit of journaled commits parked in the handle failed: {error}; they are \
                 in the journal: open the store again, which replays it"
            );
            self.fence(reason.clone());
            StorageError::Fenced { reason }
        })
    }

    /// What a short read of the handle should read: the parked transaction of journaled
    /// commits when one holds commits that were answered and nobody holds the chain
    /// ([`View::Parked`], read inside it: no commit of redb's), otherwise a read transaction
    /// of redb's last commit ([`Store::read`], which commits a parked transaction first if it
    /// must wait for the chain anyway). So one thread that writes and reads in turn never
    /// commits redb's transaction between its journaled commits, while readers that meet a
    /// writer or each other commit it once and then read redb's commit side by side.
    ///
    /// Hold a [`View::Parked`] for a few look-ups only: the handle's writers wait for it.
    ///
    /// # Errors
    ///
    /// As [`Store::read`].
    pub fn view(&self) -> Result<View<'_>, StorageError> {
        let parked = &self.parked;
        if parked.pending.load(Ordering::Acquire)
            && parked.holder.load(Ordering::Acquire) != thread_tag()
        {
            let slot = match parked.slot.try_lock() {
                Ok(slot) => Some(slot),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            if let Some(slot) = slot.filter(|slot| slot.is_some()) {
                return Ok(View::Parked(ParkedView { slot }));
            }
        }
        Ok(View::Committed(self.read()?))
    }

    /// The parked transaction dropped (this handle closes): the journal holds its commits.
    pub(crate) fn drop_parked(&mut self) {
        let slot = self.parked.slot.get_mut().unwrap_or_else(PoisonError::into_inner);
        drop(slot.take());
    }
}

impl Chain<'_> {
    /// The transaction the holder's commands run in: the parked one, which holds commits
    /// that were answered (then [`Chain::acknowledged`] is true), or a new one whose commit
    /// is not synced.
    ///
    /// # Errors
    ///
    /// As [`Store::write_unsynced`].
    pub fn begin(&mut self) -> Result<WriteTxn, StorageError> {
        assert!(!self.out, "the chain's transaction is already out");
        let txn = match self.slot.take() {
            Some(txn) => {
                self.acknowledged = true;
                txn
            }
            None => {
                self.acknowledged = false;
                self.store.write_synced(false)?
            }
        };
        self.out = true;
        Ok(txn)
    }

    /// The transaction out was dropped (a command spoiled it), holding nothing answered: the
    /// next [`Chain::begin`] begins a new one.
    ///
    /// # Panics
    ///
    /// If the transaction held commits that were answered: dropping the chain fences the
    /// handle instead.
    pub fn dropped(&mut self) {
        assert!(!self.acknowledged, "a transaction holding answered commits was dropped");
        self.out = false;
    }

    /// Whether the transaction out holds commits whose callers were answered: dropping it
    /// would lose them from the handle (the chain then fences it, see the `Drop` impl).
    pub fn acknowledged(&self) -> bool {
        self.acknowledged
    }

    /// Ends a journaled commit without committing redb's transaction: seals what it
    /// appended, as a commit would (the audit chain's group, hashed, and the ledger's
    /// chunk), and parks the transaction for the next journaled commit or for
    /// [`Store::settle`]. Call it once the commit is durable by other means, before its
    /// callers are answered.
    ///
    /// # Errors
    ///
    /// A storage failure sealing the commit (the transaction is then dropped, and the handle
    /// fenced if it held commits that were answered).
    pub fn park(&mut self, mut txn: WriteTxn) -> Result<(), StorageError> {
        txn.seal_commit()?;
        *self.slot = Some(txn);
        self.out = false;
        self.acknowledged = true;
        self.store.parked.pending.store(true, Ordering::Release);
        Ok(())
    }

    /// Puts back a transaction in which nothing was appended since it was handed out (every
    /// command of the commit refused or replayed): parked again if it held commits that were
    /// answered, dropped if it is new.
    pub fn put_back(&mut self, txn: WriteTxn) {
        if self.acknowledged {
            *self.slot = Some(txn);
        }
        self.out = false;
    }

    /// Commits the transaction out (the holder's own commit: a checkpoint, or a commit too
    /// large for the journal), with every parked commit in it.
    ///
    /// # Errors
    ///
    /// The commit failed (the handle is then fenced if it held commits that were answered).
    pub fn commit(&mut self, txn: WriteTxn) -> Result<(), StorageError> {
        txn.commit()?;
        self.out = false;
        self.acknowledged = false;
        self.store.parked.pending.store(false, Ordering::Release);
        Ok(())
    }

    /// Commits the parked transaction, if any (before a checkpoint).
    ///
    /// # Errors
    ///
    /// As [`Chain::commit`].
    pub fn commit_parked(&mut self) -> Result<(), StorageError> {
        let Some(txn) = self.slot.take() else { return Ok(()) };
        self.out = true;
        self.commit(txn)
    }
}

/// A chain released with its transaction out and holding commits that were answered lost
/// them from the handle (a failure dropped the transaction): the handle is fenced, so that
/// nothing is written on top of a state that lacks them; opening the store again replays them
/// from the journal.
impl Drop for Chain<'_> {
    fn drop(&mut self) {
        if self.out && self.acknowledged {
            self.store.fence(
                "a journaled commit failed in the transaction that held commits already \
                 answered; they are in the journal: open the store again, which replays it"
                    .to_owned(),
            );
            self.store.parked.pending.store(false, Ordering::Release);
        }
        self.store.parked.holder.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Reads, Sharing, StorageError, Store, StoreOptions};

    fn exclusive() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions { sharing: Sharing::Exclusive, ..StoreOptions::default() };
        let store = Store::create(&dir.path().join("s.redb"), options).unwrap();
        (dir, store)
    }

    fn config(store: &Store, name: &str) -> Option<Vec<u8>> {
        store.read().unwrap().config(name).unwrap()
    }

    /// Two commits go on in one transaction; a read commits it first and sees both; a write
    /// begun after it sees them too.
    #[test]
    fn a_read_or_a_write_commits_the_parked_transaction_first() {
        let (_dir, store) = exclusive();
        for (n, value) in [b"a", b"b"].into_iter().enumerate() {
            let mut chain = store.chain().unwrap();
            let mut txn = chain.begin().unwrap();
            assert_eq!(chain.acknowledged(), n > 0, "the second goes on in the first's");
            txn.put_config(&format!("k{n}"), value).unwrap();
            chain.park(txn).unwrap();
        }
        assert_eq!(config(&store, "k0").as_deref(), Some(&b"a"[..]));
        assert_eq!(config(&store, "k1").as_deref(), Some(&b"b"[..]));
        let mut chain = store.chain().unwrap();
        let txn = chain.begin().unwrap();
        assert!(!chain.acknowledged(), "the read committed it: a new transaction");
        chain.put_back(txn);
        drop(chain);

        let mut chain = store.chain().unwrap();
        let mut txn = chain.begin().unwrap();
        txn.put_config("k2", b"c").unwrap();
        chain.park(txn).unwrap();
        drop(chain);
        let mut write = store.write().unwrap();
        assert_eq!(write.config("k2").unwrap().as_deref(), Some(&b"c"[..]));
        write.put_config("k3", b"d").unwrap();
        write.commit().unwrap();
        assert_eq!(config(&store, "k3").as_deref(), Some(&b"d"[..]));
    }

    /// The holder of the chain reads the last commit without waiting for itself.
    #[test]
    fn the_holder_reads_without_waiting_for_its_own_chain() {
        let (_dir, store) = exclusive();
        let mut chain = store.chain().unwrap();
        let mut txn = chain.begin().unwrap();
        txn.put_config("k", b"v").unwrap();
        chain.park(txn).unwrap();
        assert_eq!(config(&store, "k"), None, "parked, not committed");
        drop(chain);
        assert_eq!(config(&store, "k").as_deref(), Some(&b"v"[..]));
    }

    /// A reader on another thread waits for the holder to end its commit, then sees it.
    #[test]
    fn a_reader_on_another_thread_waits_for_the_holder_and_sees_its_commit() {
        let (_dir, store) = exclusive();
        let mut chain = store.chain().unwrap();
        let mut txn = chain.begin().unwrap();
        txn.put_config("k", b"1").unwrap();
        chain.park(txn).unwrap();
        let txn = chain.begin().unwrap();
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| config(&store, "k"));
            std::thread::sleep(std::time::Duration::from_millis(50));
            let mut txn = txn;
            txn.put_config("k", b"2").unwrap();
            chain.park(txn).unwrap();
            drop(chain);
            assert_eq!(reader.join().unwrap().as_deref(), Some(&b"2"[..]));
        });
    }

    /// What a view reads, from each thread at each point of a chain: the parked transaction
    /// when it holds answered commits and nobody holds the chain, read inside it and left
    /// parked; redb's last commit otherwise (the holder's own view, or another thread's,
    /// which waits for the holder and commits the parked transaction first).
    #[test]
    fn a_view_reads_the_parked_transaction_and_leaves_it_parked() {
        use crate::View;
        let (_dir, store) = exclusive();
        let view_config = |store: &Store, name: &str| match store.view().unwrap() {
            View::Committed(txn) => ("committed", txn.config(name).unwrap()),
            View::Parked(parked) => ("parked", parked.txn().config(name).unwrap()),
        };
        assert_eq!(view_config(&store, "k"), ("committed", None), "nothing parked");

        let mut chain = store.chain().unwrap();
        let mut txn = chain.begin().unwrap();
        txn.put_config("k", b"1").unwrap();
        chain.park(txn).unwrap();
        assert_eq!(view_config(&store, "k"), ("committed", None), "the holder's own view");
        drop(chain);
        for _ in 0..2 {
            assert_eq!(view_config(&store, "k"), ("parked", Some(b"1".to_vec())));
        }
        let mut chain = store.chain().unwrap();
        let mut txn = chain.begin().unwrap();
        assert!(chain.acknowledged(), "the views left it parked, uncommitted");
        txn.put_config("k", b"2").unwrap();
        chain.park(txn).unwrap();
        let txn = chain.begin().unwrap();
        let kind = std::thread::scope(|scope| {
            // Another thread's view while the chain is held: it waits, commits, reads redb.
            let reader = scope.spawn(|| view_config(&store, "k"));
            std::thread::sleep(std::time::Duration::from_millis(50));
            let mut txn = txn;
            txn.put_config("k", b"3").unwrap();
            chain.park(txn).unwrap();
            drop(chain);
            // Waiting, as it nearly always is here; a reader that starts only after the
            // chain was released reads the parked transaction instead.
            let (kind, value) = reader.join().unwrap();
            assert_eq!(value.as_deref(), Some(&b"3"[..]), "read after the holder's commit");
            kind
        });
        let mut chain = store.chain().unwrap();
        let txn = chain.begin().unwrap();
        assert_eq!(chain.acknowledged(), kind == "parked", "a waiting view commits it");
        chain.put_back(txn);
        drop(chain);
        assert_eq!(view_config(&store, "k"), ("committed", Some(b"3".to_vec())));
    }

    /// A transaction out of the chain that held answered commits, dropped: the handle is
    /// fenced, and nothing of it reaches the file.
    #[test]
    fn dropping_a_transaction_that_held_answered_commits_fences_the_handle() {
        let (_dir, store) = exclusive();
        let mut chain = store.chain().unwrap();
        let mut txn = chain.begin().unwrap();
        txn.put_config("k", b"v").unwrap();
        chain.park(txn).unwrap();
        let txn = chain.begin().unwrap();
        drop(txn);
        drop(chain);
        assert!(matches!(store.write(), Err(StorageError::Fenced { .. })));
        assert!(matches!(store.chain(), Err(StorageError::Fenced { .. })));
        assert_eq!(config(&store, "k"), None);
    }

    /// Only an exclusive handle may chain: another process could not see the parked commits.
    #[test]
    fn a_shared_handle_cannot_chain() {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions { sharing: Sharing::SingleWriter, ..StoreOptions::default() };
        let store = Store::create(&dir.path().join("s.redb"), options).unwrap();
        assert!(matches!(store.chain(), Err(StorageError::Engine(_))));
    }
}
