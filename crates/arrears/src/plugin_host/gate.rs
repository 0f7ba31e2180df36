//! One call at a time into an instance that needs it, waited for within the call's deadline.
//!
//! An isolated instance has one runner, which answers one request at a time; an in-process
//! instance of a plugin that does not declare `THREAD_SAFE` is called under a lock. Without
//! a bound on the wait, a call queued behind others waited for all of them: several deadlines
//! for an isolated instance, and in-process the watchdog counted the wait against the plugin,
//! poisoning a healthy instance that was only busy with another thread's call. A [`Gate`] is
//! entered before a call is made, for at most the call's deadline: past it the call returns
//! [`super::PluginCallError::Busy`] and nothing was asked of the plugin; once entered, the call
//! has its whole deadline. So a call returns within twice its deadline however many threads
//! share the instance.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Whether a call holds the instance, and the condition its end signals.
#[derive(Debug, Default)]
pub(super) struct Gate {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// The right to call the instance, until dropped. It owns its gate, so that an in-process
/// call's worker thread can hold it past the caller's deadline (a call the watchdog gave up
/// on still runs in the plugin; the instance is poisoned then).
#[derive(Debug)]
pub(super) struct Pass {
    gate: Arc<Gate>,
}

impl Gate {
    /// Waits until no call holds the gate, at most `limit` (`None`: without a limit), and
    /// takes it; `Err` with the time waited if the limit passed first.
    pub(super) fn enter(gate: &Arc<Gate>, limit: Option<Duration>) -> Result<Pass, Duration> {
        let started = Instant::now();
        let busy = gate.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let mut busy = match limit {
            None => {
                gate.freed.wait_while(busy, |busy| *busy).unwrap_or_else(PoisonError::into_inner)
            }
            Some(limit) => {
                let (busy, _) = gate
                    .freed
                    .wait_timeout_while(busy, limit, |busy| *busy)
                    .unwrap_or_else(PoisonError::into_inner);
                busy
            }
        };
        if *busy {
            return Err(started.elapsed());
        }
        *busy = true;
        Ok(Pass { gate: Arc::clone(gate) })
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        *self.gate.busy.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.gate.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_caller_waits_for_the_first_and_gives_up_at_its_limit() {
        let gate = Arc::new(Gate::default());
        let first = Gate::enter(&gate, None).unwrap();
        let waited = Gate::enter(&gate, Some(Duration::from_millis(30))).unwrap_err();
        assert!(waited >= Duration::from_millis(30), "{waited:?}");
        // Freed from another thread while the second waits: it enters.
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(first);
        });
        let second = Gate::enter(&gate, Some(Duration::from_secs(10))).unwrap();
        releaser.join().unwrap();
        drop(second);
        let _third = Gate::enter(&gate, Some(Duration::ZERO)).unwrap();
    }
}
