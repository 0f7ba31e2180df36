//! The in-process watchdog: a call into an in-process instance runs on a worker thread that
//! the caller waits for at most the deadline. Past it the instance is poisoned and the call
//! returns [`PluginCallError::DeadlineExceeded`]; the worker is abandoned (it still runs the
//! plugin's code, and ends with it, if ever: in-process code cannot be stopped).
//!
//! Why a kept worker rather than a thread per call: the cycle calls a strategy once per
//! debtor, and starting a thread costs tens of microseconds. Each [`Watch`] keeps one idle
//! worker; a call that finds it busy (another thread calling the same adapter) starts
//! another, which ends when it is not needed any more.
//!
//! A plugin that is not `THREAD_SAFE` is called one call at a time: a call first waits, within
//! its deadline, for the one before it (`arrears_store::gate`), and its deadline starts when it has the
//! instance, so that a call queued behind another does not poison a healthy instance.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arrears_plugin_sdk::abi::Status;
use arrears_store::gate::Gate;

use super::error::PluginCallError;
use super::instance::PluginInstance;

/// A job for a worker.
type Job = Box<dyn FnOnce() + Send>;

/// A deadline and the workers that run calls under it.
#[derive(Debug, Clone)]
pub(super) struct Watch {
    deadline: Duration,
    idle: Arc<Mutex<Option<Sender<Job>>>>,
}

impl Watch {
    /// A watch with `deadline` and no worker yet.
    pub(super) fn new(deadline: Duration) -> Watch {
        Watch { deadline, idle: Arc::default() }
    }

    /// Hands `job` to the idle worker, or to a new one: the worker's channel, to give back.
    fn start(&self, job: Job) -> std::io::Result<Sender<Job>> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).take();
        let job = match idle {
            Some(worker) => match worker.send(job) {
                Ok(()) => return Ok(worker),
                // The worker ended (a panic in the host's code): start another.
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (worker, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("arrears-plugin-call".into()).spawn(move || {
            for job in jobs {
                job();
            }
        })?;
        worker.send(job).map_err(|_| std::io::Error::other("the new worker ended"))?;
        Ok(worker)
    }

    /// Keeps `worker` as the idle one, unless there is one (then it ends).
    fn give_back(&self, worker: Sender<Job>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.is_none() {
            *idle = Some(worker);
        }
    }
}

/// Runs `call` on `instance`: directly without a watch, else on a worker, waiting at most
/// the watch's deadline.
pub(super) fn watched<T: Send + 'static>(
    instance: &Arc<PluginInstance>,
    watch: Option<&Watch>,
    call: impl FnOnce(&PluginInstance) -> Result<T, PluginCallError> + Send + 'static,
) -> Result<T, PluginCallError> {
    let Some(watch) = watch else { return call(instance) };
    let plugin = || instance.plugin().name().to_owned();
    if instance.is_poisoned() {
        return Err(PluginCallError::Poisoned { plugin: plugin() });
    }
    // A plugin that is not thread-safe: wait for the call before this one within the
    // deadline, so that the wait is not counted against the plugin (`arrears_store::gate`).
    let pass = match instance.gate() {
        None => None,
        Some(gate) => match Gate::enter(gate, Some(watch.deadline)) {
            Ok(pass) => Some(pass),
            Err(waited) => {
                return Err(PluginCallError::Busy {
                    plugin: plugin(),
                    waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                })
            }
        },
    };
    // The call before this one may have been given up on meanwhile.
    if instance.is_poisoned() {
        return Err(PluginCallError::Poisoned { plugin: plugin() });
    }
    let (sender, answer) = mpsc::sync_channel(1);
    let worker = Arc::clone(instance);
    let job: Job = Box::new(move || {
        let result = call(&worker);
        // The next call may start: this one is out of the plugin.
        drop(pass);
        // The caller may have stopped waiting: then nobody reads the answer.
        let _ = sender.send(result);
    });
    let Ok(worker) = watch.start(job) else {
        return Err(PluginCallError::Failed {
            plugin: plugin(),
            status: Status::Internal.code(),
            message: "cannot start the call's watchdog thread".to_owned(),
        });
    };
    match answer.recv_timeout(watch.deadline) {
        Ok(result) => {
            watch.give_back(worker);
            result
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // The worker is stuck in the plugin: not given back.
            instance.poison();
            Err(PluginCallError::DeadlineExceeded {
                plugin: plugin(),
                deadline_ms: u64::try_from(watch.deadline.as_millis()).unwrap_or(u64::MAX),
            })
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(PluginCallError::Panicked {
            plugin: plugin(),
            message: "the call's thread ended without an answer".to_owned(),
        }),
    }
}
