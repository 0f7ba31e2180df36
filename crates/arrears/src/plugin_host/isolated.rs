//! The host side of isolation: [`IsolatedInstance`], a plugin instance that lives in a runner
//! process (see `runner.rs`), with a deadline per call, a memory limit on the runner, and a
//! restart budget.
//!
//! Every way a runner can fail ends the same way: the host kills it (`SIGKILL`), reaps it, and
//! the call returns a typed [`PluginCallError`] (`Crashed`, `Exited`, `DeadlineExceeded`,
//! `Protocol`; a panic in the plugin is `Panicked`); the next call starts a new runner, until
//! the instance has failed more than [`IsolationOptions::restart_budget`] times, after which
//! every call is [`PluginCallError::RestartsExhausted`] and no runner is started again.
//!
//! The runner's answers are read by a thread per runner, which hands each frame to the calling
//! thread through a channel: the caller waits on the channel with the deadline, so a runner
//! that never answers costs the deadline, never a hung host. The request is written with the
//! deadline too (`os::write_until`), and the caller checks every 20 ms that the runner still
//! runs, so a runner that ended while a process it forked keeps its pipes open is seen at
//! once. A runner is the leader of a process group of its own, killed with the group; its
//! standard error is a pipe another thread forwards to the host's; both threads stop within
//! 200 ms of the runner's end (`os::StoppableRead`). The forwarder never writes to the host's
//! standard error itself: it hands the bytes to one thread of the process that does, and drops
//! what that thread has no room for (`forward_errors`), so that a host whose standard error
//! nobody reads does not stop its runners, nor fail their calls.

use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use arrears_core::case::ContactAttempt;
use arrears_core::strategy::{ContactProposal, ContactRequest};
use arrears_plugin_sdk::abi;
use arrears_store::gate::Gate;

use super::error::{escape_controls, PluginCallError, PluginLoadError};
use super::instance::{status_error, BATCH_LEN_MAX};
use super::marshal::{self, PluginScore, ScoreRequest};
use super::os::StoppableRead;
use super::runner::{self, Answer, FromRunner, StartFailure, Started, ToRunnerRef};

/// The file name the host looks for next to its executable.
pub const RUNNER_FILE_NAME: &str = "arrears-plugin-runner";
/// The environment variable naming the runner, if no option does.
pub const RUNNER_ENV: &str = "ARREARS_PLUGIN_RUNNER";
/// The variables of the host's environment a runner starts with, and so the only ones an
/// isolated plugin sees (each only if the host has it, with the host's value): the program
/// search path, the locale and time zone (so that a plugin formats, parses and converts as it
/// would in the host's process), where temporary files go, where the loader finds the shared
/// libraries a plugin links, and whether a Rust panic prints a backtrace. Nothing else of the
/// host's environment reaches a plugin: not a secret such as `ARREARS_RELAY_DSN` (a
/// PostgreSQL DSN with its password), nor credentials any other part of the application
/// reads from it. A plugin's settings come from its configuration.
pub const RUNNER_ENVIRONMENT: [&str; 14] = [
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_COLLATE",
    "LC_CTYPE",
    "LC_MESSAGES",
    "LC_MONETARY",
    "LC_NUMERIC",
    "LC_TIME",
    "TZ",
    "TMPDIR",
    "LD_LIBRARY_PATH",
    "RUST_BACKTRACE",
];
/// The default deadline of one call (a batch of at most [`BATCH_LEN_MAX`] inputs), in ms.
pub const CALL_DEADLINE_MS_DEFAULT: u64 = 10_000;
/// The default limit of a runner's address space, in bytes (1 GiB).
pub const MEMORY_LIMIT_BYTES_DEFAULT: u64 = 1 << 30;
/// The default number of times an isolated instance is restarted after a failure.
pub const RESTART_BUDGET_DEFAULT: u32 = 3;

/// The shortest deadline of starting a runner (spawning it, loading the library, `init`):
/// a busy machine must not fail a start that a call's short deadline would.
const START_DEADLINE_MIN: Duration = Duration::from_secs(5);

/// How plugins are run: the runner of isolated plugins, the deadline of every call (isolated
/// and in-process), the memory limit of runners, and the restart budget.
///
/// # Example
///
/// ```
/// use arrears::plugin_host::IsolationOptions;
///
/// let options = IsolationOptions { call_deadline_ms: 300, ..IsolationOptions::default() };
/// assert_eq!(options.restart_budget, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationOptions {
    /// The runner executable; if `None`, the file named by `ARREARS_PLUGIN_RUNNER`, else
    /// `arrears-plugin-runner` next to the current executable. PATH is never searched.
    pub runner: Option<PathBuf>,
    /// The deadline of one call, in milliseconds (an isolated call's runner is killed past
    /// it; an in-process instance is poisoned and its call abandoned). 0: no deadline.
    pub call_deadline_ms: u64,
    /// The address space a runner may map, in bytes (`RLIMIT_AS`, Linux). 0: no limit.
    pub memory_limit_bytes: u64,
    /// How many times an isolated instance is restarted after a failure before it is
    /// poisoned.
    pub restart_budget: u32,
}

impl Default for IsolationOptions {
    fn default() -> IsolationOptions {
        IsolationOptions {
            runner: None,
            call_deadline_ms: CALL_DEADLINE_MS_DEFAULT,
            memory_limit_bytes: MEMORY_LIMIT_BYTES_DEFAULT,
            restart_budget: RESTART_BUDGET_DEFAULT,
        }
    }
}

impl IsolationOptions {
    /// The call deadline, `None` for none.
    pub fn deadline(&self) -> Option<Duration> {
        (self.call_deadline_ms != 0).then(|| Duration::from_millis(self.call_deadline_ms))
    }

    /// The deadline of starting a plugin (spawning a runner, loading the library, `init`; a
    /// trusted library's `init` and `destroy` in-process): the call deadline, but at least
    /// 5 s, so that a busy machine does not fail a start. `None` for no deadline.
    pub fn start_deadline(&self) -> Option<Duration> {
        self.deadline().map(|deadline| deadline.max(START_DEADLINE_MIN))
    }

    /// The runner executable: [`IsolationOptions::runner`], else `ARREARS_PLUGIN_RUNNER`, else
    /// `arrears-plugin-runner` next to the current executable.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::RunnerNotFound`] if the place chosen holds no file.
    pub fn find_runner(&self) -> Result<PathBuf, PluginLoadError> {
        let (path, how) = if let Some(runner) = &self.runner {
            (runner.clone(), "the runner option")
        } else if let Some(runner) = std::env::var_os(RUNNER_ENV).filter(|v| !v.is_empty()) {
            (PathBuf::from(runner), "ARREARS_PLUGIN_RUNNER")
        } else {
            let exe = std::env::current_exe().unwrap_or_default();
            (exe.with_file_name(RUNNER_FILE_NAME), "next to the current executable")
        };
        if path.is_file() {
            Ok(path)
        } else {
            Err(PluginLoadError::RunnerNotFound { path, how })
        }
    }
}

/// What starts a runner: the executable, the library and its pin, the configuration.
#[derive(Debug)]
struct Launch {
    runner: PathBuf,
    library: PathBuf,
    sha256: [u8; 32],
    config: String,
    options: IsolationOptions,
}

/// A plugin instance in a runner process. Dropping it kills the runner.
#[derive(Debug)]
pub struct IsolatedInstance {
    name: String,
    version: String,
    capabilities: u32,
    declared_reasons: Option<HashSet<String>>,
    launch: Launch,
    /// One call at a time, waited for within the call's deadline.
    gate: Arc<Gate>,
    state: Mutex<State>,
}

/// The current runner (none after a failure, until the next call) and the failures so far.
#[derive(Debug)]
struct State {
    runner: Option<Runner>,
    failures: u32,
}

/// A running runner: the child, its input (non-blocking: see `os::write_until`), and the
/// frames its reader thread hands over.
#[derive(Debug)]
struct Runner {
    child: Child,
    input: ChildStdin,
    frames: Receiver<std::io::Result<Option<Vec<u8>>>>,
    /// The runner was killed with its process group and reaped (by [`Runner::end`]).
    reaped: bool,
    /// Set when the runner is ended: its reader and standard-error threads stop.
    stop: Arc<AtomicBool>,
}

/// The most chunks of runners' standard error (each at most [`STDERR_CHUNK_BYTES_MAX`]) that
/// wait for the host's standard error, for all runners of the process together: 1 MiB.
const STDERR_QUEUE_CHUNKS_MAX: usize = 128;

/// The most bytes of a runner's standard error read at once, and so held in one chunk.
const STDERR_CHUNK_BYTES_MAX: usize = 8192;

/// The queue to the one thread of the process that writes runners' standard error to the
/// host's (`arrears-stderr`: not named as the threads of one runner are, since it lives as
/// long as the process), started on first use. That thread may block for ever (a
/// host whose standard error is a pipe nobody reads, a terminal stopped with ^S); nothing
/// waits for it or joins it, and the runners' forwarders only offer it bytes
/// ([`forward_errors`]). If it cannot be started, its end of the queue is dropped with it and
/// every offer fails: the bytes are dropped as if the host's standard error were full.
pub(super) fn stderr_queue() -> &'static SyncSender<Vec<u8>> {
    static QUEUE: OnceLock<SyncSender<Vec<u8>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, chunks) = mpsc::sync_channel::<Vec<u8>>(STDERR_QUEUE_CHUNKS_MAX);
        let writer = std::thread::Builder::new().name("arrears-stderr".into());
        let _ = writer.spawn(move || {
            use std::io::Write;

            for chunk in chunks {
                let _ = std::io::stderr().write_all(&chunk);
            }
        });
        sender
    })
}

/// Reads a runner's standard error until the runner's end (see [`StoppableRead`]) and offers
/// each chunk to `queue` ([`stderr_queue`]) without waiting: the runner's pipe is always
/// drained, so a runner never blocks in a write to its standard error however slowly the
/// host's is read, and a call never fails for it. A chunk the queue has no room for is
/// dropped; once the queue takes chunks again (or at the runner's end), one notice says how
/// many bytes of runner `runner_id` were dropped. Returns the bytes dropped in all.
pub(super) fn forward_errors(
    mut errors: impl std::io::Read,
    queue: &SyncSender<Vec<u8>>,
    runner_id: u32,
) -> u64 {
    let notice = |dropped_bytes: u64| {
        format!(
            "arrears: {dropped_bytes} bytes of the standard error of plugin runner {runner_id} \
             dropped: the host's standard error was not read in time\n"
        )
        .into_bytes()
    };
    let mut buffer = [0u8; STDERR_CHUNK_BYTES_MAX];
    let mut dropped_bytes = 0u64;
    let mut dropped_bytes_total = 0u64;
    loop {
        let count = match errors.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        if dropped_bytes != 0 && queue.try_send(notice(dropped_bytes)).is_ok() {
            dropped_bytes = 0;
        }
        if dropped_bytes != 0 || queue.try_send(buffer[..count].to_vec()).is_err() {
            dropped_bytes += count as u64;
            dropped_bytes_total += count as u64;
        }
    }
    if dropped_bytes != 0 {
        let _ = queue.try_send(notice(dropped_bytes));
    }
    dropped_bytes_total
}

/// How often a caller waiting for an answer checks that the runner still runs: a runner that
/// ended while something it forked keeps its output open never closes the pipe, and must not
/// cost the whole deadline (or, without one, a hung host).
const EXIT_POLL: Duration = Duration::from_millis(20);

/// How long a runner found ended may still deliver the frame it wrote before it ended.
const EXIT_GRACE: Duration = Duration::from_millis(100);

/// How an exchange with a runner failed, before the runner is reaped.
enum Failure {
    Deadline(u64),
    Ended,
    Garbage(String),
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if !self.reaped {
            super::os::kill_group(self.child.id());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Runner {
    /// Starts a runner and its reader thread.
    fn spawn(launch: &Launch) -> std::io::Result<Runner> {
        use std::os::unix::process::CommandExt;

        let mut command = Command::new(&launch.runner);
        // An empty environment but for the few variables a plugin may need
        // (`RUNNER_ENVIRONMENT`), so that no secret in the host's reaches a plugin.
        command.env_clear();
        for name in RUNNER_ENVIRONMENT {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        // Its standard error is a pipe the host forwards to its own (`forward_errors`), so
        // that a process the plugin forked and detached holds that pipe, not the host's
        // standard error (whoever reads `arrears`'s output would wait for it).
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // The leader of a process group of its own, so that what a plugin forks is killed
        // with it (`os::kill_group`).
        command.process_group(0);
        if launch.options.memory_limit_bytes != 0 {
            super::os::limit_address_space(&mut command, launch.options.memory_limit_bytes);
        }
        // A plugin that kills or stops its host (or every process of the user) is contained
        // as one that crashes.
        super::os::signal_only_itself(&mut command);
        let mut child = command.spawn()?;
        let pipes = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (Some(input), Some(output), Some(errors)) = pipes else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("the runner's pipes are missing"));
        };
        if let Err(error) = super::os::set_nonblocking(&input) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(error);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let errors = StoppableRead::new(errors, Arc::clone(&stop));
        let runner_id = child.id();
        let forwarder = std::thread::Builder::new().name("arrears-plugin-runner-stderr".into());
        let forwarded = forwarder.spawn(move || forward_errors(errors, stderr_queue(), runner_id));
        if let Err(error) = forwarded {
            let _ = child.kill();
            let _ = child.wait();
            return Err(error);
        }
        let (sender, frames) = mpsc::sync_channel(1);
        let output = StoppableRead::new(output, Arc::clone(&stop));
        let reader = std::thread::Builder::new().name("arrears-plugin-runner-reader".into());
        let spawned = reader.spawn(move || {
            let mut output = BufReader::new(output);
            loop {
                let frame = runner::read_frame(&mut output, runner::ANSWER_BYTES_MAX);
                let last = !matches!(frame, Ok(Some(_)));
                if sender.send(frame).is_err() || last {
                    return;
                }
            }
        });
        if let Err(error) = spawned {
            stop.store(true, Ordering::Release);
            let _ = child.kill();
            let _ = child.wait();
            return Err(error);
        }
        Ok(Runner { child, input, frames, reaped: false, stop })
    }

    /// Sends `request` and waits for the answer, both within `deadline`: a runner that stops
    /// reading (stopped, or a plugin that took its input) costs the deadline, not a host
    /// blocked in a write; one whose input is closed is `Ended`.
    fn exchange(
        &mut self,
        request: &ToRunnerRef<'_>,
        deadline: Option<Duration>,
    ) -> Result<FromRunner, Failure> {
        let started = Instant::now();
        let deadline_ms =
            |deadline: Duration| u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX);
        let frame = runner::encode_frame(request)
            .map_err(|error| Failure::Garbage(format!("the request does not encode: {error}")))?;
        match super::os::write_until(&self.input, &frame, deadline.map(|d| started + d)) {
            Ok(()) => {}
            Err(super::os::WriteFailure::Deadline) => {
                return Err(Failure::Deadline(deadline.map_or(0, deadline_ms)));
            }
            Err(super::os::WriteFailure::Closed) => return Err(Failure::Ended),
        }
        let until = deadline.map(|deadline| started + deadline);
        let frame = loop {
            let now = Instant::now();
            let slice = until.map_or(EXIT_POLL, |until| (until - now.min(until)).min(EXIT_POLL));
            match self.frames.recv_timeout(slice) {
                Ok(frame) => break frame,
                Err(RecvTimeoutError::Disconnected) => return Err(Failure::Ended),
                Err(RecvTimeoutError::Timeout) => {}
            }
            if let (Some(until), Some(deadline)) = (until, deadline) {
                if until <= Instant::now() {
                    return Err(Failure::Deadline(deadline_ms(deadline)));
                }
            }
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                // Ended: a frame it wrote first is in the pipe (or already read).
                match self.frames.recv_timeout(EXIT_GRACE) {
                    Ok(frame) => break frame,
                    Err(_) => return Err(Failure::Ended),
                }
            }
        };
        match frame {
            Ok(Some(bytes)) => runner::decode(&bytes).map_err(Failure::Garbage),
            Ok(None) => Err(Failure::Ended),
            Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                Err(Failure::Garbage(error.to_string()))
            }
            Err(_) => Err(Failure::Ended),
        }
    }

    /// Ends the runner: kills it if it still runs, reaps it, and says how it ended. A runner
    /// whose output ended is given a moment to exit by itself, so that its own exit code or
    /// signal is what gets reported.
    ///
    /// Whatever the runner forked is killed with it (its process group), so that no process
    /// of the plugin outlives its runner holding the pipes; one that moved to another process
    /// group or session (`setsid`) is beyond reach (docs/PLUGIN_ABI.md, "Isolation").
    fn end(mut self, failure: &Failure) -> ExitStatus {
        let mut status = None;
        if matches!(failure, Failure::Ended) {
            let until = Instant::now() + Duration::from_millis(500);
            while Instant::now() < until {
                if let Ok(Some(ended)) = self.child.try_wait() {
                    status = Some(ended);
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        // The group's id stays taken while any process of it runs, so this reaches only the
        // runner's own (the leader killed before it is reaped, where it still runs).
        super::os::kill_group(self.child.id());
        let status = status.map(Ok).unwrap_or_else(|| {
            let _ = self.child.kill();
            self.child.wait()
        });
        self.reaped = true;
        status.unwrap_or_else(|_| std::os::unix::process::ExitStatusExt::from_raw(9))
    }
}

/// The error of a failed exchange, from how it failed and how the runner ended.
fn failure_error(plugin: &str, failure: &Failure, status: ExitStatus) -> PluginCallError {
    use std::os::unix::process::ExitStatusExt;

    let plugin = plugin.to_owned();
    match failure {
        Failure::Deadline(deadline_ms) => {
            PluginCallError::DeadlineExceeded { plugin, deadline_ms: *deadline_ms }
        }
        Failure::Garbage(reason) => PluginCallError::Protocol { plugin, reason: reason.clone() },
        Failure::Ended => match (status.signal(), status.code()) {
            (Some(signal), _) => PluginCallError::Crashed { plugin, signal },
            (None, Some(code)) => PluginCallError::Exited { plugin, code },
            (None, None) => PluginCallError::Protocol { plugin, reason: "the runner ended".into() },
        },
    }
}

/// Starts a runner and has it load the plugin: the runner, or why not.
fn start_runner(launch: &Launch) -> Result<(Runner, Started), StartFailure> {
    let mut runner = Runner::spawn(launch).map_err(|error| {
        StartFailure::Other(format!("cannot start {}: {error}", launch.runner.display()))
    })?;
    let start = ToRunnerRef::Start {
        library: &launch.library,
        sha256: launch.sha256,
        config: &launch.config,
    };
    let deadline = launch.options.start_deadline();
    match runner.exchange(&start, deadline) {
        Ok(FromRunner::Started(started)) => Ok((runner, started)),
        Ok(FromRunner::StartFailed(failure)) => Err(failure),
        Ok(other) => Err(StartFailure::Other(format!("unexpected answer {other:?}"))),
        Err(failure) => {
            let status = runner.end(&failure);
            let library = launch.library.display().to_string();
            Err(StartFailure::Other(failure_error(&library, &failure, status).to_string()))
        }
    }
}

impl IsolatedInstance {
    /// Starts a runner with `options`, which loads the library at `library` (absolute, used as
    /// given), checks its bytes against `sha256` and instantiates it with `config`.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::RunnerNotFound`], or [`PluginLoadError::Runner`] if the runner does
    /// not start or the plugin does not load or instantiate in it.
    pub fn start(
        library: &Path,
        sha256: [u8; 32],
        config: &str,
        options: &IsolationOptions,
    ) -> Result<IsolatedInstance, PluginLoadError> {
        let library = std::path::absolute(library)
            .map_err(|source| PluginLoadError::Io { path: library.to_owned(), source })?;
        let launch = Launch {
            runner: options.find_runner()?,
            library: library.clone(),
            sha256,
            config: config.to_owned(),
            options: options.clone(),
        };
        let (runner, started) = start_runner(&launch).map_err(|failure| match failure {
            StartFailure::PinMismatch { expected, found } => {
                PluginLoadError::PinMismatch { path: library.clone(), expected, found }
            }
            StartFailure::Other(reason) => {
                PluginLoadError::Runner { path: library.clone(), reason: escape_controls(reason) }
            }
        })?;
        Ok(IsolatedInstance {
            name: started.name,
            version: started.version,
            capabilities: started.capabilities,
            declared_reasons: started.declared_reasons.map(|codes| codes.into_iter().collect()),
            launch,
            gate: Arc::default(),
            state: Mutex::new(State { runner: Some(runner), failures: 0 }),
        })
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The plugin's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The negotiated `CAPABILITY_*` bits.
    pub fn capabilities(&self) -> u32 {
        self.capabilities
    }

    /// The reason codes the instance declared (`None` for none).
    pub fn declared_reasons(&self) -> Option<&HashSet<String>> {
        self.declared_reasons.as_ref()
    }

    /// How many times a call failed so that its runner was ended.
    pub fn failures(&self) -> u32 {
        self.lock().failures
    }

    /// Returns true if and only if the instance used up its restart budget.
    pub fn is_poisoned(&self) -> bool {
        self.lock().failures > self.launch.options.restart_budget
    }

    /// The process id of the current runner, if one runs.
    pub fn runner_id(&self) -> Option<u32> {
        self.lock().runner.as_ref().map(|runner| runner.child.id())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One exchange with the runner, starting one first if the last failed (within the
    /// budget). A failure ends the runner and counts against the budget.
    fn exchange(&self, request: &ToRunnerRef<'_>) -> Result<FromRunner, PluginCallError> {
        let deadline = self.launch.options.deadline();
        let _pass = Gate::enter(&self.gate, deadline).map_err(|waited| PluginCallError::Busy {
            plugin: self.name.clone(),
            waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
        })?;
        let mut state = self.lock();
        let budget = self.launch.options.restart_budget;
        if budget < state.failures {
            return Err(PluginCallError::RestartsExhausted {
                plugin: self.name.clone(),
                restarts: budget,
            });
        }
        if state.runner.is_none() {
            match start_runner(&self.launch) {
                Ok((runner, _)) => state.runner = Some(runner),
                Err(failure) => {
                    state.failures += 1;
                    let reason = escape_controls(failure.to_string());
                    return Err(PluginCallError::RestartFailed {
                        plugin: self.name.clone(),
                        reason,
                    });
                }
            }
        }
        let runner = state.runner.as_mut().expect("a runner was just ensured");
        match runner.exchange(request, deadline) {
            Ok(answer) => Ok(answer),
            Err(failure) => {
                state.failures += 1;
                let runner = state.runner.take().expect("the runner that failed");
                let status = runner.end(&failure);
                Err(failure_error(&self.name, &failure, status))
            }
        }
    }

    /// Ends the runner after an answer that poisons it (a panic): the next call starts anew.
    fn retire(&self) {
        let mut state = self.lock();
        state.failures += 1;
        state.runner = None;
    }

    /// The error of an answer's status (`None` for OK); a panic retires the runner.
    fn check_status<T>(&self, answer: &Answer<T>) -> Result<(), PluginCallError> {
        match status_error(&self.name, answer.status, || answer.message.clone()) {
            None => Ok(()),
            Some(error) => {
                if matches!(
                    error,
                    PluginCallError::Panicked { .. } | PluginCallError::Poisoned { .. }
                ) {
                    self.retire();
                }
                Err(error)
            }
        }
    }

    fn protocol(&self, answer: &FromRunner) -> PluginCallError {
        let reason = match answer {
            FromRunner::Refused(reason) => escape_controls(reason.clone()),
            _ => "an answer of the wrong kind".to_owned(),
        };
        PluginCallError::Protocol { plugin: self.name.clone(), reason }
    }

    /// Scores the requests, one validated score per request, in order (one call per
    /// [`BATCH_LEN_MAX`] requests).
    ///
    /// # Errors
    ///
    /// [`PluginCallError`]: a failure of the runner or the plugin, or any invalid output.
    pub fn score_batch(
        &self,
        requests: &[ScoreRequest],
    ) -> Result<Vec<PluginScore>, PluginCallError> {
        if self.capabilities & abi::CAPABILITY_SCORER == 0 {
            return Err(PluginCallError::Unsupported {
                plugin: self.name.clone(),
                call: "score_batch",
            });
        }
        marshal::check_score_requests(requests).map_err(|bad| PluginCallError::Input {
            plugin: self.name.clone(),
            index: bad.offset,
            reason: bad.reason,
        })?;
        let mut scores = Vec::with_capacity(requests.len());
        for (chunk_index, chunk) in requests.chunks(BATCH_LEN_MAX).enumerate() {
            let answer = match self.exchange(&ToRunnerRef::Score(chunk))? {
                FromRunner::Scores(answer) => answer,
                other => return Err(self.protocol(&other)),
            };
            self.check_status(&answer)?;
            let outputs: Vec<abi::ScoreOutput> =
                answer.outputs.iter().map(|o| o.to_output()).collect();
            if outputs.len() != chunk.len() {
                return Err(PluginCallError::Protocol {
                    plugin: self.name.clone(),
                    reason: format!("{} outputs for {} inputs", outputs.len(), chunk.len()),
                });
            }
            let count = usize::try_from(answer.count).unwrap_or(usize::MAX);
            let first = chunk_index * BATCH_LEN_MAX;
            scores.extend(marshal::check_scores(
                &self.name,
                first,
                &outputs,
                count,
                self.declared_reasons.as_ref(),
            )?);
        }
        Ok(scores)
    }

    /// Proposes contacts for the requests (`histories`: empty, or each request's contact
    /// history, oldest first), validated as in-process proposals are.
    ///
    /// # Errors
    ///
    /// As [`IsolatedInstance::score_batch`].
    pub fn propose_batch(
        &self,
        requests: &[ContactRequest],
        histories: &[Vec<ContactAttempt>],
    ) -> Result<Vec<ContactProposal>, PluginCallError> {
        if self.capabilities & abi::CAPABILITY_CONTACT_STRATEGY == 0 {
            return Err(PluginCallError::Unsupported {
                plugin: self.name.clone(),
                call: "propose_contacts_batch",
            });
        }
        marshal::check_contact_requests(requests).map_err(|bad| PluginCallError::Input {
            plugin: self.name.clone(),
            index: bad.offset,
            reason: bad.reason,
        })?;
        let mut proposals = Vec::new();
        for (chunk_index, chunk) in requests.chunks(BATCH_LEN_MAX).enumerate() {
            let first = chunk_index * BATCH_LEN_MAX;
            let chunk_histories = histories.get(first..first + chunk.len()).unwrap_or(&[]);
            let own = chunk_histories.len() == chunk.len()
                && chunk
                    .iter()
                    .zip(chunk_histories)
                    .all(|(request, past)| request.history == *past);
            let histories = (!own).then_some(chunk_histories);
            let request = ToRunnerRef::Propose { requests: chunk, histories };
            let answer = match self.exchange(&request)? {
                FromRunner::Proposals(answer) => answer,
                other => return Err(self.protocol(&other)),
            };
            self.check_status(&answer)?;
            let capacity = chunk.len() * marshal::PROPOSALS_PER_REQUEST_MAX;
            if capacity < answer.outputs.len() {
                return Err(PluginCallError::Protocol {
                    plugin: self.name.clone(),
                    reason: format!(
                        "{} proposal outputs for {} requests",
                        answer.outputs.len(),
                        chunk.len()
                    ),
                });
            }
            // The runner sends the outputs the plugin counted; the rest are zero, as written.
            let mut outputs: Vec<abi::ContactProposalOutput> =
                answer.outputs.iter().map(|o| o.to_output()).collect();
            outputs.resize(capacity, super::ffi::PROPOSAL_OUTPUT_ZERO);
            let count = usize::try_from(answer.count).unwrap_or(usize::MAX);
            proposals.extend(marshal::check_proposals(&self.name, chunk, &outputs, count)?);
        }
        Ok(proposals)
    }
}
