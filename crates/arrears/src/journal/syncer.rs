//! The journal's syncer: a thread that syncs the journal while the commit that wrote the
//! record runs its commands, so that a journaled commit costs the longer of the two rather
//! than their sum (docs/DURABILITY.md, "The journal").
//!
//! Handing a sync to a thread that sleeps costs more than it saves: on the machines measured
//! (docs/BENCHMARKS.md, session 45) waking a thread parked on a condition variable took about
//! 100 us, as long as the sync itself. So the thread spins (yielding its core) for
//! [`SPIN`] after each sync, waiting for the next, and parks only when none came; a commit
//! that finds it parked syncs the journal itself, as before, and wakes it to spin for the
//! next one. The caller waiting for a sync spins too, up to [`WAIT_SPIN`], then parks.
//!
//! One sync is outstanding at a time (the journal's commits are serialized by the store's
//! chain of journaled commits), so a sync's result is the syncer's last one.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::JournalFile;

/// How long the thread waits, spinning, for the next sync after one; then it parks.
const SPIN: Duration = Duration::from_micros(400);

/// How long a caller waits, spinning, for its sync; then it parks.
const WAIT_SPIN: Duration = Duration::from_millis(5);

/// The thread and what it shares with the callers.
pub(crate) struct Syncer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    file: Arc<dyn JournalFile>,
    /// The last sync asked for (they are numbered from 1).
    requested: AtomicU64,
    /// The last sync done.
    completed: AtomicU64,
    state: Mutex<State>,
    /// Wakes the thread (a sync asked for, a warm-up, or the stop).
    wake: Condvar,
    /// Wakes a caller waiting for its sync.
    done: Condvar,
}

#[derive(Default)]
struct State {
    /// True while the thread is parked (not spinning): a sync asked of it then would wait for
    /// it to wake.
    parked: bool,
    /// Set by a caller that found the thread parked: it spins again, for the next sync.
    warm: bool,
    /// True while a caller is parked waiting for a sync.
    waiting: bool,
    /// The error of the last sync, if it failed.
    error: Option<io::Error>,
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every field is consistent at each unlock (nothing here panics while holding it).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        let mut handled = 0;
        loop {
            let until = Instant::now() + SPIN;
            while self.requested.load(Ordering::Acquire) == handled && Instant::now() < until {
                std::thread::yield_now();
            }
            let mut state = self.lock();
            if self.requested.load(Ordering::Acquire) == handled {
                state.parked = true;
                while self.requested.load(Ordering::Acquire) == handled
                    && !state.warm
                    && !state.stop
                {
                    state = self.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
                }
                state.parked = false;
                state.warm = false;
            }
            if state.stop {
                return;
            }
            let asked = self.requested.load(Ordering::Acquire);
            if asked == handled {
                // Warmed up with nothing asked: spin for the next.
                continue;
            }
            drop(state);
            let synced = self.file.sync();
            let mut state = self.lock();
            state.error = synced.err();
            self.completed.store(asked, Ordering::Release);
            if state.waiting {
                self.done.notify_all();
            }
            handled = asked;
        }
    }
}

impl Syncer {
    /// A syncer of `file`, its thread started.
    pub(crate) fn start(file: Arc<dyn JournalFile>) -> io::Result<Syncer> {
        let shared = Arc::new(Shared {
            file,
            requested: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            done: Condvar::new(),
        });
        let thread = std::thread::Builder::new().name("arrears-journal-sync".into()).spawn({
            let shared = Arc::clone(&shared);
            move || shared.run()
        })?;
        Ok(Syncer { shared, thread: Some(thread) })
    }

    /// Asks the thread to sync the file (what was written to it before this call) and returns
    /// the sync's number for [`Syncer::wait`]; `None` if the thread is parked, which is then
    /// woken to spin for the next sync: the caller syncs the file itself.
    pub(crate) fn ask(&self) -> Option<u64> {
        let mut state = self.shared.lock();
        if state.parked {
            state.warm = true;
            self.shared.wake.notify_one();
            return None;
        }
        let asked = self.shared.requested.load(Ordering::Acquire) + 1;
        self.shared.requested.store(asked, Ordering::Release);
        Some(asked)
    }

    /// Waits for sync `asked` and returns its result.
    pub(crate) fn wait(&self, asked: u64) -> io::Result<()> {
        let until = Instant::now() + WAIT_SPIN;
        while self.shared.completed.load(Ordering::Acquire) < asked && Instant::now() < until {
            std::thread::yield_now();
        }
        let mut state = self.shared.lock();
        while self.shared.completed.load(Ordering::Acquire) < asked {
            state.waiting = true;
            state = self.shared.done.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.waiting = false;
        match state.error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread returns once it has seen the stop (a sync under way finishes first).
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A file that counts its syncs and fails the ones it is told to.
    #[derive(Default)]
    struct Counted {
        syncs: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
    }

    impl JournalFile for Counted {
        fn len(&self) -> io::Result<u64> {
            Ok(0)
        }
        fn read_at(&self, _: u64, _: &mut [u8]) -> io::Result<()> {
            Ok(())
        }
        fn write_at(&self, _: u64, _: &[u8]) -> io::Result<()> {
            Ok(())
        }
        fn sync(&self) -> io::Result<()> {
            self.syncs.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(io::Error::other("the disk failed"));
            }
            Ok(())
        }
    }

    /// Asks until the thread takes a sync (it is parked when first asked, or after a pause).
    fn ask_spinning(syncer: &Syncer) -> u64 {
        loop {
            if let Some(asked) = syncer.ask() {
                return asked;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    #[test]
    fn each_sync_asked_is_done_once_and_its_failure_reaches_its_caller() {
        let file = Arc::new(Counted::default());
        let syncer = Syncer::start(file.clone()).unwrap();
        let mut taken = 0;
        for n in 0..200_u64 {
            let fail = n % 7 == 3;
            file.fail.store(fail, Ordering::SeqCst);
            let asked = ask_spinning(&syncer);
            taken += 1;
            assert_eq!(syncer.wait(asked).is_err(), fail, "sync {n}");
            if n % 50 == 0 {
                // Long enough for the thread to park: the next ask wakes it.
                std::thread::sleep(SPIN * 3);
                assert_eq!(syncer.ask(), None, "a parked thread is not asked");
            }
        }
        assert_eq!(file.syncs.load(Ordering::SeqCst), taken);
        drop(syncer);
        assert_eq!(file.syncs.load(Ordering::SeqCst), taken, "the stop syncs nothing");
    }

    #[test]
    fn a_caller_that_waits_longer_than_its_spin_is_woken() {
        /// A sync slower than a caller's spin.
        struct Slow;
        impl JournalFile for Slow {
            fn len(&self) -> io::Result<u64> {
                Ok(0)
            }
            fn read_at(&self, _: u64, _: &mut [u8]) -> io::Result<()> {
                Ok(())
            }
            fn write_at(&self, _: u64, _: &[u8]) -> io::Result<()> {
                Ok(())
            }
            fn sync(&self) -> io::Result<()> {
                std::thread::sleep(WAIT_SPIN * 4);
                Ok(())
            }
        }
        let syncer = Syncer::start(Arc::new(Slow)).unwrap();
        let start = Instant::now();
        let asked = ask_spinning(&syncer);
        syncer.wait(asked).unwrap();
        assert!(start.elapsed() >= WAIT_SPIN * 4);
    }
}
