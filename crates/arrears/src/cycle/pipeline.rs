//! The cycle's pipeline: the due accounts' debtors looked up (on two threads past a size),
//! and each batch's write transaction, with a prefetching thread that decodes the accounts'
//! records while the writing thread reviews them a step at a time; the writing thread
//! decodes the accounts the prefetcher has not reached instead of waiting for them
//! ([`Claims`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
/// prefetching thread, or on the reviewing thread when it would otherwise wait.
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
/// `PREFETCH_CHUNK`.
const PREFETCH_FIRST: usize = 4;
const PREFETCH_AHEAD: usize = 8;

/// Accounts (whole debtors) taken through scoring, stages and contact together, so that the
/// prefetcher decodes the next ones meanwhile. One strategy or scorer call covers them.
const STEP_ACCOUNTS: usize = 128;

/// The last debtor whose contact attempts a thread read, shared by the debtor's accounts.
type DebtorContacts = Option<(DebtorId, Arc<Vec<ContactAttempt>>)>;

/// An account's records, through `read` (the prefetcher's read transaction or the batch's
/// own write transaction: they see the same records).
fn fetch(
    read: &impl Reads,
    id: AccountId,
    contacts: &mut DebtorContacts,
) -> Result<Fetched, CommandError> {
    let account = read.account(id)?.ok_or(CommandError::UnknownAccount(id))?;
    let debtor = read.debtor(account.debtor)?.ok_or(CommandError::UnknownDebtor(account.debtor))?;
    let case = read.case(id)?;
    let snapshot = read.shared_snapshot(id)?;
    let contacts = match contacts {
        Some((of, attempts)) if *of == debtor.id => Arc::clone(attempts),
        _ => {
            let attempts = Arc::new(read.contacts(debtor.id)?);
            *contacts = Some((debtor.id, Arc::clone(&attempts)));
            attempts
        }
    };
    Ok(Fetched { account, debtor, case, snapshot, contacts })
}

/// How the two threads of a batch share its accounts' decoding: each account is claimed by
/// one of them, in order. The prefetcher claims the next one whenever it is ready; the
/// reviewing thread, when the account it needs next has not been handed over, claims it
/// itself if no one has (and decodes it through its own transaction) instead of waiting, or
/// says it is waiting, so that the prefetcher hands over what it holds at once.
#[derive(Default)]
struct Claims {
    /// The position in the batch of the first account no thread has claimed.
    next: AtomicUsize,
    /// The reviewing thread waits for an account the prefetcher claimed.
    waiting: AtomicBool,
}

/// A hand-over: positions in the batch, ascending, each with what decoding it gave.
type Chunk<T> = Vec<(usize, Result<T, CommandError>)>;

/// The prefetcher's side of [`Claims`]: claims positions below `len` in turn, decodes each
/// and hands them over in chunks; stops at the first error (handed over last), when every
/// position is claimed, or when the receiver is gone.
fn claim_and_send<T>(
    claims: &Claims,
    len: usize,
    mut decode: impl FnMut(usize) -> Result<T, CommandError>,
    send: &std::sync::mpsc::SyncSender<Chunk<T>>,
) {
    let mut size = PREFETCH_FIRST;
    let mut chunk = Vec::with_capacity(size);
    loop {
        let position = claims.next.fetch_add(1, Ordering::AcqRel);
        if position >= len {
            break;
        }
        let decoded = decode(position);
        let failed = decoded.is_err();
        chunk.push((position, decoded));
        let waiting = claims.waiting.swap(false, Ordering::AcqRel);
        if chunk.len() == size || failed || waiting {
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

/// Decodes the accounts of the batch it claims from a read transaction begun now
/// ([`claim_and_send`]). If the read transaction cannot begin, it claims nothing, and the
/// reviewing thread decodes every account.
fn prefetch(
    store: &arrears_store::Store,
    due: &[(DebtorId, AccountId)],
    claims: &Claims,
    send: &std::sync::mpsc::SyncSender<Chunk<Fetched>>,
) {
    let Ok(read) = store.read() else { return };
    let mut contacts = None;
    claim_and_send(
        claims,
        due.len(),
        |position| fetch(&read, due[position].1, &mut contacts),
        send,
    );
}

/// The reviewing thread's side of [`Claims`]: what each position decodes to, in order, from
/// the prefetcher's hand-overs or decoded here.
struct Feed<'a, T> {
    claims: &'a Claims,
    /// Positions in the batch.
    len: usize,
    receive: std::sync::mpsc::Receiver<Chunk<T>>,
    handed: std::iter::Peekable<std::vec::IntoIter<(usize, Result<T, CommandError>)>>,
    /// Positions past the next one that this thread claimed and decoded while the prefetcher
    /// was at the next one, ascending.
    ahead: std::collections::VecDeque<(usize, Result<T, CommandError>)>,
    /// The next position.
    position: usize,
}

impl<'a, T> Feed<'a, T> {
    fn new(
        claims: &'a Claims,
        len: usize,
        receive: std::sync::mpsc::Receiver<Chunk<T>>,
    ) -> Feed<'a, T> {
        Feed {
            claims,
            len,
            receive,
            handed: Vec::new().into_iter().peekable(),
            ahead: std::collections::VecDeque::new(),
            position: 0,
        }
    }

    /// What the next position decodes to: handed over, or given by `decode_here`. When the
    /// prefetcher is still at it, this thread decodes the first position no one has claimed
    /// meanwhile (kept for later), and waits only when there is none. (The caller stops at
    /// the batch's end.)
    fn next(
        &mut self,
        mut decode_here: impl FnMut(usize) -> Result<T, CommandError>,
    ) -> Result<T, CommandError> {
        let position = self.position;
        self.position += 1;
        if self.ahead.front().is_some_and(|(ahead, _)| *ahead == position) {
            let (_, decoded) = self.ahead.pop_front().unwrap_or_else(|| unreachable!("front"));
            return decoded;
        }
        loop {
            if let Some((handed, _)) = self.handed.peek() {
                // The prefetcher hands over what it claims in order, and this thread's own
                // positions are not among them, so the next handed one is this one.
                assert_eq!(*handed, position, "hand-overs come in order");
                let (_, decoded) = self.handed.next().unwrap_or_else(|| unreachable!("peeked"));
                return decoded;
            }
            if let Ok(chunk) = self.receive.try_recv() {
                self.handed = chunk.into_iter().peekable();
                continue;
            }
            let claimed = self.claims.next.compare_exchange(
                position,
                position + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            if claimed.is_ok() {
                return decode_here(position);
            }
            // The prefetcher claimed it: it hands it over as soon as it has decoded it (it
            // may hold it in a chunk not yet full). Meanwhile, take the first unclaimed
            // position, if any; if none, wait.
            self.claims.waiting.store(true, Ordering::Release);
            let ahead = self.claims.next.fetch_add(1, Ordering::AcqRel);
            if ahead < self.len {
                self.ahead.push_back((ahead, decode_here(ahead)));
                continue;
            }
            let chunk = self.receive.recv().unwrap_or_else(|_| {
                unreachable!("the prefetcher hands over every position it claims or an error")
            });
            self.handed = chunk.into_iter().peekable();
        }
    }
}

/// One batch, one write transaction. A second thread decodes the accounts' records (account,
/// debtor, case, snapshot) from a read transaction begun after the write transaction, so it
/// sees the same commit, while this thread reviews and writes: each account's records are
/// read before the batch writes them (accounts are reviewed once, and debtors are not
/// written by the cycle), so what the reader decoded is what the writer would have read.
/// When the account this thread needs next is not decoded yet, it decodes it itself through
/// its transaction, unless the prefetcher is already at it ([`Claims`]).
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
    let mut env = Env { txn: &mut txn, now, key: &key, policy: &policy, rebuilt_from: None };
    let mut reviewed = 0;
    let mut actions = 0;
    let claims = Claims::default();
    std::thread::scope(|scope| -> Result<(), CycleError> {
        let (send, receive) = std::sync::mpsc::sync_channel(PREFETCH_AHEAD);
        let store = &engine.store;
        let claims = &claims;
        // Begun after `txn`, the prefetcher's read transaction sees the commit `txn` started
        // from (only one write transaction runs at a time).
        scope.spawn(move || prefetch(store, due, claims, &send));
        let mut feed = Feed::new(claims, due.len(), receive);
        let mut contacts = None;
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
                    let fetched =
                        feed.next(|position| fetch(&*env.txn, due[position].1, &mut contacts))?;
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
            // Each account is reviewed once a batch: what the transaction holds of the step's
            // accounts and has written is dropped now, while it is still in the processor's
            // cache (`WriteTxn::forget`), not thousands of accounts later by the cache's bound.
            env.txn.forget(by_debtor.iter().flatten().map(|review| review.account.id));
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use arrears_core::ids::AccountId;

    use super::{claim_and_send, Claims, Feed, PREFETCH_AHEAD};
    use crate::error::CommandError;

    /// What a batch shared by the two sides gave.
    struct Shared {
        /// What the reviewing thread got, in order, and when.
        got: Vec<(Result<usize, String>, Duration)>,
        /// Positions the reviewing thread decoded itself.
        here: usize,
        /// Positions the prefetcher decoded.
        there: usize,
    }

    impl Shared {
        fn values(&self) -> Vec<Result<usize, String>> {
            self.got.iter().map(|(value, _)| value.clone()).collect()
        }
    }

    /// Runs a batch of `len` positions through the two sides, the prefetcher taking `pause`
    /// for each of its positions (`None`: it never starts, as when its read transaction
    /// cannot begin) and failing at `fail_at`, the reviewing thread taking `pace` after each
    /// position it gets and 50 us for each position it decodes.
    fn share(
        len: usize,
        pause: Option<fn(usize) -> Duration>,
        pace: Duration,
        fail_at: Option<usize>,
    ) -> Shared {
        let claims = Claims::default();
        let (here, there) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut got = Vec::new();
        let start = Instant::now();
        std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::sync_channel(PREFETCH_AHEAD);
            let (claims, there) = (&claims, &there);
            if let Some(pause) = pause {
                scope.spawn(move || {
                    let decode = |position| {
                        std::thread::sleep(pause(position));
                        there.fetch_add(1, Ordering::SeqCst);
                        if fail_at == Some(position) {
                            return Err(CommandError::UnknownAccount(AccountId(position as u64)));
                        }
                        Ok(position)
                    };
                    claim_and_send(claims, len, decode, &send);
                });
            } else {
                drop(send);
            }
            let mut feed = Feed::new(claims, len, receive);
            for _ in 0..len {
                let next = feed.next(|position| {
                    std::thread::sleep(Duration::from_micros(50));
                    here.fetch_add(1, Ordering::SeqCst);
                    Ok(position)
                });
                let failed = next.is_err();
                got.push((next.map_err(|error| error.to_string()), start.elapsed()));
                if failed {
                    break;
                }
                std::thread::sleep(pace);
            }
        });
        Shared { got, here: here.into_inner(), there: there.into_inner() }
    }

    fn in_order(len: usize) -> Vec<Result<usize, String>> {
        (0..len).map(Ok).collect()
    }

    /// Without a prefetcher, the reviewing thread decodes every position itself, in order.
    #[test]
    fn without_a_prefetcher_the_reviewer_decodes_everything() {
        let shared = share(50, None, Duration::ZERO, None);
        assert_eq!((shared.values(), shared.here, shared.there), (in_order(50), 50, 0));
    }

    /// A prefetcher faster than the reviewer decodes most positions; a slower one leaves
    /// positions to the reviewer, which decodes unclaimed ones instead of waiting (the next,
    /// or one ahead while the prefetcher is at the next). Either way each position is
    /// decoded once and the reviewer gets them in order.
    #[test]
    fn each_position_is_decoded_once_and_received_in_order() {
        let fast = share(200, Some(|_| Duration::ZERO), Duration::from_micros(100), None);
        assert_eq!(fast.values(), in_order(200));
        assert_eq!(fast.here + fast.there, 200);
        assert!(fast.there > 150, "the fast prefetcher decoded {} of 200", fast.there);

        let slow =
            share(200, Some(|_| Duration::from_micros(400)), Duration::from_micros(100), None);
        assert_eq!(slow.values(), in_order(200));
        assert_eq!(slow.here + slow.there, 200);
        assert!(
            slow.here > 50 && slow.there > 10,
            "the reviewer decoded {}, the prefetcher {}",
            slow.here,
            slow.there
        );
    }

    /// The prefetcher hands over chunks of 4, 8, 16, then 32 positions, and hands over what
    /// it holds as soon as the reviewer says it waits (here while position 2 is decoded); the
    /// chunks after it grow as before.
    #[test]
    fn the_prefetcher_hands_over_at_once_when_the_reviewer_waits() {
        let chunks = |wait_at: Option<usize>| {
            let claims = Claims::default();
            let (send, receive) = std::sync::mpsc::sync_channel(PREFETCH_AHEAD);
            let decode = |position| {
                if wait_at == Some(position) {
                    claims.waiting.store(true, Ordering::Release);
                }
                Ok(position)
            };
            claim_and_send(&claims, 80, decode, &send);
            drop(send);
            receive
                .into_iter()
                .map(|chunk| chunk.into_iter().map(|(position, _)| position).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        let sizes = |chunks: &[Vec<usize>]| chunks.iter().map(Vec::len).collect::<Vec<_>>();
        let plain = chunks(None);
        assert_eq!(sizes(&plain), [4, 8, 16, 32, 20]);
        assert_eq!(plain.concat(), (0..80).collect::<Vec<_>>());
        let early = chunks(Some(2));
        assert_eq!(sizes(&early), [3, 8, 16, 32, 21]);
        assert_eq!(early.concat(), (0..80).collect::<Vec<_>>());
    }

    /// The prefetcher's error comes at its position, after everything before it.
    #[test]
    fn the_prefetcher_s_error_comes_at_its_position() {
        let shared = share(100, Some(|_| Duration::ZERO), Duration::from_micros(50), Some(30));
        let mut expected = in_order(30);
        expected.push(Err(CommandError::UnknownAccount(AccountId(30)).to_string()));
        assert_eq!(shared.values(), expected);
    }
}
