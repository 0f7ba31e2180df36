//! One holder at a time, waited for within a limit: the turn of a thread to write on a store
//! handle (this crate's write transactions), and of a call into a plugin instance that takes
//! one call at a time (the engine's plugin host, which uses this gate rather than another).
//!
//! A [`Gate`] is entered with [`Gate::enter`], which waits until no one holds it, at most a
//! limit, and gives a [`Pass`]; dropping the pass wakes the next waiter. Waiters are woken, not
//! polling, so a freed gate is taken at once. The pass owns its gate, so that it can move to
//! another thread (an in-process plugin call's worker holds it past its caller's deadline).
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use arrears_store::gate::Gate;
//!
//! let gate = Arc::new(Gate::default());
//! let pass = Gate::enter(&gate, None).unwrap();
//! assert!(Gate::enter(&gate, Some(Duration::from_millis(10))).is_err());
//! drop(pass);
//! assert!(Gate::enter(&gate, Some(Duration::ZERO)).is_ok());
//! ```

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Whether someone holds the gate, and the condition its release signals.
#[derive(Debug, Default)]
pub struct Gate {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// The holder's right, until dropped; dropping it wakes the next waiter.
#[derive(Debug)]
pub struct Pass {
    gate: Arc<Gate>,
}

impl Gate {
    /// Waits until no one holds the gate, at most `limit` (`None`: without a limit), and
    /// takes it.
    ///
    /// # Errors
    ///
    /// The time waited, if the limit passed first.
    pub fn enter(gate: &Arc<Gate>, limit: Option<Duration>) -> Result<Pass, Duration> {
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
        // The mutex guards one flag that no panic can leave half-written.
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
