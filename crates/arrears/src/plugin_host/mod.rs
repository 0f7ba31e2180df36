//! The plugin host: loads scorer and contact-strategy plugins through the C ABI of
//! `arrears-plugin-sdk`, checks them, calls them in batches and validates every output.
//!
//! A plugin is untrusted input: the host checks the descriptor's magic, ABI major and size
//! before reading it (and reads only the entries of the largest known ABI size that fits in
//! the size it declares), can require a SHA-256 pin before the library is even opened, and
//! turns every bad output (a non-finite or out-of-range score, an unknown reason code, a bad
//! channel, time or index, more outputs than asked) into a [`PluginCallError`], never into
//! data. Libraries are never unloaded: a descriptor's pointers stay valid for the life of the
//! process.
//!
//! Threading: an instance of a plugin that does not declare
//! [`arrears_plugin_sdk::abi::CAPABILITY_THREAD_SAFE`] is called under a lock, and an
//! isolated instance one call at a time; a call with a deadline waits for the calls before
//! it at most its deadline ([`PluginCallError::Busy`], `arrears_store::gate`), then has its
//! whole deadline.
//!
//! The files, in the order a plugin goes through them:
//!
//! - `load.rs`: the SHA-256 pin, opening the library and its entry symbol (or a statically
//!   linked entry point), reading and checking the descriptor: [`LoadedPlugin`].
//! - `instance.rs`: [`PluginInstance`], an initialised instance: creation, poisoning, batches
//!   split at [`BATCH_LEN_MAX`], destruction when dropped.
//! - `marshal.rs`: the requests' `#[repr(C)]` forms, and the validation of every output.
//! - `ffi.rs`: every call into a plugin's functions, and the host's `log` callback.
//! - `adapter.rs`: [`PluginScorer`] and [`PluginStrategy`], instances as the engine's
//!   `Scorer` and `ContactStrategy`.
//! - `error.rs`: [`PluginLoadError`] and [`PluginCallError`].
//! - `runner.rs`: the runner process of an isolated plugin ([`runner::serve`]) and the frames
//!   it exchanges with the host.
//! - `isolated.rs`: [`IsolatedInstance`], the host's side of an isolated plugin: deadlines,
//!   killing and reaping a failed runner, restarts within a budget ([`IsolationOptions`]).
//! - `os.rs`: the runner's memory limit and its private standard output; the host's writes to
//!   a runner (with a deadline, never raising SIGPIPE) and reads from it (stoppable); killing
//!   a runner's process group.
//! - `watchdog.rs`: the deadline of in-process calls (a kept worker thread the caller waits
//!   for at most the deadline).
//!
//! Only `load.rs`, `ffi.rs` and `os.rs` contain `unsafe` (the tidy test checks it); every
//! other file goes through their safe wrappers.

mod adapter;
mod error;
mod ffi;
mod instance;
mod isolated;
mod load;
mod marshal;
mod os;
pub mod runner;
#[cfg(test)]
mod tests;
mod watchdog;

pub use adapter::{band, PluginScorer, PluginStrategy};
pub use arrears_plugin_sdk::StaticPlugin;
pub use error::{PluginCallError, PluginLoadError};
pub use instance::{PluginInstance, BATCH_LEN_MAX, DECLARED_REASON_CODES_MAX};
pub use isolated::{
    IsolatedInstance, IsolationOptions, CALL_DEADLINE_MS_DEFAULT, MEMORY_LIMIT_BYTES_DEFAULT,
    RESTART_BUDGET_DEFAULT, RUNNER_ENV, RUNNER_ENVIRONMENT, RUNNER_FILE_NAME,
};
pub use load::{parse_sha256, sha256_hex, LoadedPlugin, PluginOptions, LIBRARY_BYTES_MAX};
pub use marshal::{
    channel_code, AttributeValue, PluginScore, ScoreRequest, PROPOSALS_PER_REQUEST_MAX,
    PROPOSAL_HORIZON_DAYS_MAX,
};
