//! Group commit: callers on many threads submit work, one of them (the leader) runs what is
//! queued as one group and hands each caller its own result.
//!
//! A store has one write transaction at a time, and each durable commit costs an fsync. When
//! several threads execute commands at once, each waiting for the writer lock and paying its
//! own fsync, throughput is bound by the disk's fsync rate. Here the first caller to find no
//! group running becomes the leader: it takes what is queued (its own work among it, oldest
//! first, at most `group_max`), runs it, publishes every result, and steps down; the callers
//! that queued meanwhile wait and the first of them to wake with no result leads the next
//! group. A lone caller leads a group of one at once: it pays one uncontended lock, no hand-off.
//!
//! What a group means is the runner's business (`Arrears::execute` runs it as one write
//! transaction and one commit); this module only queues, elects and delivers.

use std::collections::HashMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A queue of work that its submitters run in groups.
pub(crate) struct Group<T, R> {
    state: Mutex<State<T, R>>,
    wake: Condvar,
}

struct State<T, R> {
    /// Submitted work not yet taken by a leader, oldest first, with its ticket.
    queue: Vec<(u64, T)>,
    /// Results not yet collected, by ticket.
    results: HashMap<u64, R>,
    next_ticket: u64,
    /// True while a leader runs a group.
    leading: bool,
}

impl<T, R> Default for Group<T, R> {
    fn default() -> Self {
        Group {
            state: Mutex::new(State {
                queue: Vec::new(),
                results: HashMap::new(),
                next_ticket: 0,
                leading: false,
            }),
            wake: Condvar::new(),
        }
    }
}

impl<T, R> std::fmt::Debug for Group<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}

impl<T, R> Group<T, R> {
    fn lock(&self) -> MutexGuard<'_, State<T, R>> {
        // The state is left consistent at every unlock (a panicking group is handled below,
        // outside the lock), so a poisoned lock holds nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How much work waits for a leader.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    /// Queues `work` and returns its result once a group that contains it has run: `run`
    /// gets the group's work in submission order and returns one result per item, in the
    /// same order. If `run` panics, the other callers of that group get `panicked()` and the
    /// panic continues on this thread.
    pub(crate) fn submit(
        &self,
        work: T,
        group_max: usize,
        run: impl Fn(Vec<T>) -> Vec<R>,
        panicked: impl Fn() -> R,
    ) -> R {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push((ticket, work));
        loop {
            if let Some(result) = state.results.remove(&ticket) {
                return result;
            }
            if state.leading {
                state = self.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.leading = true;
            let take = state.queue.len().min(group_max.max(1));
            let (tickets, items): (Vec<u64>, Vec<T>) = state.queue.drain(..take).unzip();
            drop(state);
            let ran = catch_unwind(AssertUnwindSafe(|| run(items)));
            state = self.lock();
            state.leading = false;
            self.wake.notify_all();
            match ran {
                Ok(results) => {
                    assert_eq!(results.len(), tickets.len(), "one result per item of a group");
                    state.results.extend(tickets.into_iter().zip(results));
                }
                Err(panic) => {
                    for other in tickets.into_iter().filter(|other| *other != ticket) {
                        state.results.insert(other, panicked());
                    }
                    // This caller sees the panic: its work, if a later group would take it,
                    // must not run after all.
                    state.queue.retain(|(queued, _)| *queued != ticket);
                    drop(state);
                    resume_unwind(panic);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
