//! The plugin host's errors: [`PluginLoadError`] for loading and instantiating a plugin,
//! [`PluginCallError`] for a call into an instance (a failure or any invalid output).

use std::path::PathBuf;

/// Why a plugin could not be loaded or instantiated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginLoadError {
    /// The dynamic loader refused the library.
    #[error("cannot load plugin library {path:?}")]
    Dl {
        /// The library.
        path: PathBuf,
        /// The loader's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The library file cannot be read (for its SHA-256).
    #[error("cannot read plugin library {path:?}")]
    Io {
        /// The library.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The library path names something other than a regular file (a directory, a FIFO, a
    /// device): refused before anything is read from it, since reading a FIFO nobody writes
    /// to blocks and reading a device such as `/dev/zero` never ends.
    #[error("plugin library {path:?} is not a regular file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The library file is larger than any plugin should be ([`super::LIBRARY_BYTES_MAX`]):
    /// refused from its length, before it is read into memory (a sparse file of 100 GiB is
    /// cheap to make).
    #[error("plugin library {path:?} has {len} bytes, more than the {max} a library may have")]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
        /// The largest length accepted ([`super::LIBRARY_BYTES_MAX`]).
        max: u64,
    },
    /// The library's bytes could not be put where the loader can open exactly them (a sealed
    /// memory file on Linux, a private copy elsewhere).
    #[error("cannot prepare plugin library {path:?} for loading")]
    Private {
        /// The library.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The library does not export the entry symbol.
    #[error("plugin library {path:?} does not export {symbol}")]
    MissingSymbol {
        /// The library.
        path: PathBuf,
        /// The symbol looked for.
        symbol: &'static str,
    },
    /// The library's SHA-256 is not the pinned one. The library was not opened.
    #[error("plugin library {path:?} has SHA-256 {found}, expected {expected}")]
    PinMismatch {
        /// The library.
        path: PathBuf,
        /// The pinned digest (hex).
        expected: String,
        /// The file's digest (hex).
        found: String,
    },
    /// The entry point returned null.
    #[error("plugin entry point returned no descriptor")]
    NullDescriptor,
    /// The descriptor does not start with the ABI magic.
    #[error("plugin descriptor has bad magic {found:#018x}")]
    BadMagic {
        /// The first eight bytes.
        found: u64,
    },
    /// The plugin was built for another ABI major version.
    #[error("plugin is built for ABI major {plugin}, the host speaks {host}")]
    AbiVersionMismatch {
        /// The plugin's major.
        plugin: u32,
        /// The host's major.
        host: u32,
    },
    /// The descriptor is smaller than ABI 1.0's.
    #[error("plugin descriptor is {struct_size} bytes, at least {struct_size_min} are needed")]
    DescriptorTooSmall {
        /// The size the plugin declared.
        struct_size: u32,
        /// The smallest accepted.
        struct_size_min: usize,
    },
    /// A descriptor field is not acceptable.
    #[error("plugin descriptor field {field} is invalid: {reason}")]
    BadDescriptor {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The plugin lacks a capability the caller asked for.
    #[error("plugin {plugin:?} is not a {capability}")]
    MissingCapability {
        /// The plugin.
        plugin: String,
        /// The capability.
        capability: &'static str,
    },
    /// The plugin refused its configuration (or failed to start).
    #[error("plugin {plugin:?} failed to initialize (status {status}): {message}")]
    Init {
        /// The plugin.
        plugin: String,
        /// The status code.
        status: u32,
        /// The plugin's message.
        message: String,
    },
    /// An in-process plugin's `init` did not return within its deadline
    /// ([`LoadedPlugin::instantiate_within`](super::LoadedPlugin::instantiate_within)); its
    /// thread is abandoned.
    #[error("plugin {plugin:?} did not initialize within {deadline_ms} ms")]
    InitDeadlineExceeded {
        /// The plugin.
        plugin: String,
        /// The deadline.
        deadline_ms: u64,
    },
    /// No runner executable for an isolated plugin: none was configured
    /// (`IsolationOptions::runner`), `ARREARS_PLUGIN_RUNNER` is unset, and there is no
    /// `arrears-plugin-runner` next to this executable. PATH is never searched.
    #[error("no plugin runner: {path:?} ({how}) is not a file")]
    RunnerNotFound {
        /// The last place looked at.
        path: PathBuf,
        /// How that place was chosen.
        how: &'static str,
    },
    /// The runner process of an isolated plugin failed to start, or the plugin failed to load
    /// or instantiate in it (a pin mismatch, a file that is not a plugin, an `init` failure, a
    /// crash or hang while loading).
    #[error("plugin library {path:?} failed to start in its runner: {reason}")]
    Runner {
        /// The library.
        path: PathBuf,
        /// What happened (the runner's error text, or how it ended).
        reason: String,
    },
}

/// Why a call into a plugin failed. The plugin's outputs of that call are discarded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PluginCallError {
    /// The instance panicked or missed a deadline earlier; create a new instance (or fix the
    /// plugin).
    #[error("plugin {plugin:?} is poisoned by an earlier panic or missed deadline")]
    Poisoned {
        /// The plugin.
        plugin: String,
    },
    /// The plugin panicked in this call; the instance is now poisoned.
    #[error("plugin {plugin:?} panicked: {message}")]
    Panicked {
        /// The plugin.
        plugin: String,
        /// The panic message.
        message: String,
    },
    /// The plugin returned an error status.
    #[error("plugin {plugin:?} failed (status {status}): {message}")]
    Failed {
        /// The plugin.
        plugin: String,
        /// The status code.
        status: u32,
        /// The plugin's message.
        message: String,
    },
    /// The plugin does not implement the call.
    #[error("plugin {plugin:?} does not implement {call}")]
    Unsupported {
        /// The plugin.
        plugin: String,
        /// The call.
        call: &'static str,
    },
    /// An input cannot be passed through the ABI (a string or list over its limit).
    #[error("input {index} cannot be passed to plugin {plugin:?}: {reason}")]
    Input {
        /// The plugin.
        plugin: String,
        /// The input.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The plugin reported more outputs than the host asked for.
    #[error("plugin {plugin:?} returned {count} outputs, at most {count_max} were asked for")]
    TooManyOutputs {
        /// The plugin.
        plugin: String,
        /// Outputs reported.
        count: usize,
        /// Outputs asked for.
        count_max: usize,
    },
    /// The plugin reported fewer scores than inputs.
    #[error("plugin {plugin:?} returned {count} scores for {expected} inputs")]
    MissingOutputs {
        /// The plugin.
        plugin: String,
        /// Outputs reported.
        count: usize,
        /// Inputs given.
        expected: usize,
    },
    /// A score is NaN or infinite.
    #[error("plugin {plugin:?} returned a non-finite score for input {index}")]
    NonFiniteScore {
        /// The plugin.
        plugin: String,
        /// The input.
        index: usize,
    },
    /// A score is outside 0 to 1000.
    #[error("plugin {plugin:?} returned score {points} for input {index}, outside 0 to 1000")]
    ScoreOutOfRange {
        /// The plugin.
        plugin: String,
        /// The input.
        index: usize,
        /// The score.
        points: f64,
    },
    /// A reason code is malformed (too many, empty, too long, not ASCII) or not declared.
    #[error("plugin {plugin:?} returned a bad reason code for input {index}: {reason}")]
    BadReason {
        /// The plugin.
        plugin: String,
        /// The input.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A proposal is malformed: unknown channel, request or contact point, a channel that is
    /// not the contact point's, or a bad template id.
    #[error("plugin {plugin:?} returned a bad proposal {index}: {reason}")]
    BadProposal {
        /// The plugin.
        plugin: String,
        /// The output index.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A proposal's time is before the review date or too far after it.
    #[error("plugin {plugin:?} proposed a contact at {at_unix_us} us (output {index}), outside the allowed window")]
    BadTime {
        /// The plugin.
        plugin: String,
        /// The output index.
        index: usize,
        /// The time.
        at_unix_us: i64,
    },
    /// The runner process of an isolated plugin was killed by a signal (a segmentation fault,
    /// an abort, a kill) during the call; the host reaped it.
    #[error("plugin {plugin:?} crashed its runner (signal {signal})")]
    Crashed {
        /// The plugin.
        plugin: String,
        /// The signal number.
        signal: i32,
    },
    /// The runner process of an isolated plugin exited during the call (the plugin called
    /// `exit`).
    #[error("plugin {plugin:?} exited its runner (exit code {code})")]
    Exited {
        /// The plugin.
        plugin: String,
        /// The exit code.
        code: i32,
    },
    /// The call did not answer within its deadline: an isolated plugin's runner was killed,
    /// an in-process instance was poisoned and its call abandoned.
    #[error("plugin {plugin:?} did not answer within {deadline_ms} ms")]
    DeadlineExceeded {
        /// The plugin.
        plugin: String,
        /// The deadline.
        deadline_ms: u64,
    },
    /// Other calls held the instance (an isolated instance answers one call at a time, and an
    /// in-process one that is not `THREAD_SAFE` too) for the whole deadline of this one: it
    /// was not made, nothing was asked of the plugin, and the instance is not blamed (no
    /// restart counted, not poisoned).
    #[error(
        "plugin {plugin:?} was busy with other calls for {waited_ms} ms, this call's deadline; \
         it was not made"
    )]
    Busy {
        /// The plugin.
        plugin: String,
        /// How long the call waited.
        waited_ms: u64,
    },
    /// The runner of an isolated plugin sent something that is not a frame of the protocol
    /// (or the pipe to it failed); it was killed.
    #[error("plugin {plugin:?}: protocol error with its runner: {reason}")]
    Protocol {
        /// The plugin.
        plugin: String,
        /// What was wrong.
        reason: String,
    },
    /// A new runner for an isolated plugin failed to start after an earlier failure (the
    /// library no longer loads, say). Counts against the restart budget.
    #[error("plugin {plugin:?} failed to restart: {reason}")]
    RestartFailed {
        /// The plugin.
        plugin: String,
        /// Why.
        reason: String,
    },
    /// An isolated plugin failed more often than its restart budget allows; no runner is
    /// started for it any more in this process.
    #[error("plugin {plugin:?} is poisoned: it failed after {restarts} restarts")]
    RestartsExhausted {
        /// The plugin.
        plugin: String,
        /// The restart budget it used up.
        restarts: u32,
    },
}

impl PluginCallError {
    /// The input an error is about, as its index in the batch the caller passed (a request
    /// that cannot be passed, or a score that is invalid); `None` for an error about a
    /// proposal (numbered by output), the whole call or the instance. A caller names the
    /// record with it: the engine's adapters the account or debtor, `arrears score` the row.
    pub fn input_index(&self) -> Option<usize> {
        match self {
            PluginCallError::Input { index, .. }
            | PluginCallError::NonFiniteScore { index, .. }
            | PluginCallError::ScoreOutOfRange { index, .. }
            | PluginCallError::BadReason { index, .. } => Some(*index),
            _ => None,
        }
    }
}

/// `text` from a plugin (an error message) with its control characters escaped as Rust writes
/// them (`\u{1b}`, `\n`, `\r`): the host prints such text (the cycle's report on standard
/// output) and stores it (the audit log), and an escape sequence or a newline in it could
/// erase the line it is on or forge another, from an isolated plugin that otherwise cannot
/// write to the host's standard output.
pub(super) fn escape_controls(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if character.is_control() {
            escaped.extend(character.escape_debug());
        } else {
            escaped.push(character);
        }
    }
    escaped
}
