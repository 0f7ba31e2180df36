//! The cycle's pipeline: the due accounts' debtors looked up (on two threads past a size),
//! and each batch's write transaction, with a prefetching thread that decodes the accounts'
//! records while the writing thread reviews them a step at a time.

use std::sync::Arc;

use chrono::NaiveDate;

use arrears_core::case::{AuditKind, CollectionCase, ContactAttempt};
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::ledger::AccountState;
use arrears_core::model::{Account, Debtor};
use arrears_store::Reads;

use super::review::{self, Review};
use super::{CycleReport, Parts};
use crate::context::Env;
use crate::error::{CommandError, CycleError, StorageError};

/// Due accounts from which looking their debtors up takes two threads.
const PARALLEL_LOOKUP_MIN: usize = 4_096;

/// The debtor of each account. A long list is halved, the second half looked up on a second
/// thread with its own read transaction (an account's debtor never changes, so any commit
/// gives the same answer).
pub(super) fn debtors_of(
    engine: &Parts<'_>,
    read: &arrears_store::ReadTxn,
    accounts: &[AccountId],
) -> Result<Vec<DebtorId>, StorageError> {
    if accounts.len() < PARALLEL_LOOKUP_MIN {
        return read.debtors_of(accounts);
    }
    let (first, second) = accounts.split_at(accounts.len() / 2);
    let (mine, theirs) = std::thread::scope(|scope| {
        let other = scope.spawn(|| engine.store.read()?.debtors_of(second));
        let mine = read.debtors_of(first);
        (mine, other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let mut debtors = mine?;
    debtors.extend(theirs?);
    Ok(debtors)
}

/// An account's records as the batch's transaction first sees them, decoded on the
/// prefetching thread.
pub(super) struct Fetched {
    pub(super) account: Account,
    pub(super) debtor: Debtor,
    pub(super) case: Option<CollectionCase>,
    pub(super) snapshot: Option<Arc<AccountState>>,
    /// The debtor's contact attempts (shared by the debtor's accounts).
    pub(super) contacts: Arc<Vec<ContactAttempt>>,
}

/// Accounts the prefetching thread decodes before handing them over (one hand-over wakes the
/// reviewing thread at most once), and hand-overs it may be ahead.
const PREFETCH_CHUNK: usize = 32;
/// The first hand-over of a batch is smaller, and each next one twice as large up to
/// `PREFETCH_CHUNK`, so that the reviewing thread, idle until then, starts sooner.
const PREFETCH_FIRST: usize = 4;
const PREFETCH_AHEAD: usize = 8;

/// Accounts (whole debtors) taken through scoring, stages and contact together, so that the
/// prefetcher decodes the next ones meanwhile. One strategy or scorer call covers them.
const STEP_ACCOUNTS: usize = 128;

/// Decodes the batch's accounts, in review order, from a read transaction begun now, and
/// sends them to the reviewing thread in chunks; stops at the first error (sent last) or
/// when the receiver is gone.
fn prefetch(
    store: &arrears_store::Store,
    due: &[(DebtorId, AccountId)],
    send: &std::sync::mpsc::SyncSender<Vec<Result<Fetched, CommandError>>>,
) {
    let read = match store.read() {
        Ok(read) => read,
        Err(error) => {
            let _ = send.send(vec![Err(error.into())]);
            return;
        }
    };
    let mut contacts: Option<(DebtorId, Arc<Vec<ContactAttempt>>)> = None;
    let mut fetch = |id: AccountId| -> Result<Fetched, CommandError> {
        let account = read.account(id)?.ok_or(CommandError::UnknownAccount(id))?;
        let debtor =
            read.debtor(account.debtor)?.ok_or(CommandError::UnknownDebtor(account.debtor))?;
        let case = read.case(id)?;
        let snapshot = read.shared_snapshot(id)?;
        let contacts = match &contacts {
            Some((of, attempts)) if *of == debtor.id => Arc::clone(attempts),
            _ => {
                let attempts = Arc::new(read.contacts(debtor.id)?);
                contacts = Some((debtor.id, Arc::clone(&attempts)));
                attempts
            }
        };
        Ok(Fetched { account, debtor, case, snapshot, contacts })
    };
    let mut size = PREFETCH_FIRST;
    let mut chunk = Vec::with_capacity(size);
    for &(_, id) in due {
        let fetched = fetch(id);
        let failed = fetched.is_err();
        chunk.push(fetched);
        if chunk.len() == size || failed {
            size = (size * 2).min(PREFETCH_CHUNK);
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(size));
            if send.send(full).is_err() || failed {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = send.send(chunk);
    }
}

/// One batch, one write transaction. A second thread decodes the accounts' records (account,
/// debtor, case, snapshot) from a read transaction begun after the write transaction, so it
/// sees the same commit, while this thread reviews and writes: each account's records are
/// read before the batch writes them (accounts are reviewed once, and debtors are not
/// written by the cycle), so what the reader decoded is what the writer would have read.
/// With `dry_run`, the transaction is dropped uncommitted: nothing is written, not even an id.
pub(super) fn run_batch(
    engine: &Parts<'_>,
    as_of: NaiveDate,
    due: &[(DebtorId, AccountId)],
    dry_run: bool,
    report: &mut CycleReport,
) -> Result<(), CycleError> {
    let mut txn = engine.store.write()?;
    txn.place_cases(arrears_store::CasePlacement::for_batch(
        due.iter().map(|&(_, account)| account),
    ));
    let now = engine.clock.now();
    let policy = engine.policies.get(&txn)?;
    let key = format!("cycle:{as_of}");
    let mut env = Env { txn: &mut txn, now, key: &key, policy: &policy };
    let mut reviewed = 0;
    let mut actions = 0;
    std::thread::scope(|scope| -> Result<(), CycleError> {
        let (send, receive) = std::sync::mpsc::sync_channel(PREFETCH_AHEAD);
        let store = &engine.store;
        // Begun after `txn`, the prefetcher's read transaction sees the commit `txn` started
        // from (only one write transaction runs at a time).
        scope.spawn(move || prefetch(store, due, &send));
        let mut chunk = Vec::new().into_iter();
        // Whole debtors, about `STEP_ACCOUNTS` accounts at a time, go through every step
        // while the prefetcher decodes the next ones.
        let mut debtors = due.chunk_by(|a, b| a.0 == b.0).peekable();
        while debtors.peek().is_some() {
            let mut by_debtor: Vec<Vec<Review>> = Vec::new();
            let mut accounts_in_step = 0;
            while accounts_in_step < STEP_ACCOUNTS {
                let Some(accounts) = debtors.next() else { break };
                accounts_in_step += accounts.len();
                let mut reviews = Vec::with_capacity(accounts.len());
                for _ in accounts {
                    let fetched = match chunk.next() {
                        Some(fetched) => fetched,
                        None => {
                            chunk = receive
                                .recv()
                                .unwrap_or_else(|_| {
                                    unreachable!("the prefetcher sends every account or an error")
                                })
                                .into_iter();
                            chunk.next().unwrap_or_else(|| unreachable!("chunks are never empty"))
                        }
                    }?;
                    // The due list was read before this batch's transaction began: another
                    // writer (a second cycle for the same date, in this process or another)
                    // may have reviewed the account since. Its case, as this transaction
                    // sees it, says whether it is still due.
                    if fetched.case.as_ref().is_some_and(|case| as_of < case.next_review_on) {
                        continue;
                    }
                    reviews.push(review::review_time(&mut env, fetched, as_of, report)?);
                    reviewed += 1;
                }
                if !reviews.is_empty() {
                    by_debtor.push(reviews);
                }
            }
            // The step's reviews are freed here, on the thread that made most of them: handing
            // them (and the transaction's decoded records) to the prefetching thread to free,
            // as sessions 16 to 22 did, saved this thread instructions but cost the process
            // time, in the allocator's locks and in its arenas' cross-thread frees
            // (docs/BENCHMARKS.md section 2, session 23).
            actions += review::decide(engine, &mut env, &mut by_debtor, as_of, report)?;
        }
        Ok(())
    })?;
    crate::audit::append(env.txn, now, None, AuditKind::Cycle { as_of, reviewed, actions })?;
    report.reviewed += reviewed;
    report.actions += actions;
    if dry_run {
        drop(txn);
    } else {
        txn.commit()?;
        // So that the next batch's reads, which miss the cache at scale, do not write its own
        // pages out again and again (`Store::write_buffered_pages` says why).
        engine.store.write_buffered_pages()?;
    }
    Ok(())
}
