//! An initialised plugin instance: [`LoadedPlugin::instantiate`] creates one from
//! configuration text, [`PluginInstance`] calls it in batches, and dropping it destroys it.
//!
//! Poisoning: a call that panics (status `PANICKED`) or reports the plugin's own poisoning
//! (`POISONED`) marks the instance poisoned, and the host then refuses every call itself
//! ([`PluginCallError::Poisoned`]) without entering the plugin. Create a new instance to
//! recover.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use arrears_core::case::ContactAttempt;
use arrears_core::strategy::{ContactProposal, ContactRequest};
use arrears_plugin_sdk::abi::{self, Status};
use arrears_store::gate::Gate;

use super::error::{escape_controls, PluginCallError, PluginLoadError};
use super::ffi::{DeclaredCodes, ErrorText, RawInstance, Reply};
use super::load::LoadedPlugin;
use super::marshal::{self, BadInput, ContactInputs, PluginScore, ScoreInputs, ScoreRequest};

/// Most reason codes kept from a plugin's declared list.
pub const DECLARED_REASON_CODES_MAX: usize = abi::DECLARED_REASON_CODES_MAX;
/// Most inputs per ABI call; larger batches are split.
pub const BATCH_LEN_MAX: usize = abi::BATCH_LEN_MAX;

impl LoadedPlugin {
    /// Creates an instance from configuration text.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::Init`] if the plugin refuses the configuration or panics.
    pub fn instantiate(&self, config: &str) -> Result<PluginInstance, PluginLoadError> {
        let plugin = self.name().to_owned();
        if abi::CONFIG_BYTES_MAX < config.len() {
            return Err(PluginLoadError::Init {
                plugin,
                status: Status::InvalidConfig.code(),
                message: "configuration larger than CONFIG_BYTES_MAX".to_owned(),
            });
        }
        let thread_safe = self.capabilities() & abi::CAPABILITY_THREAD_SAFE != 0;
        let mut message = ErrorText::new();
        let raw = RawInstance::init(*self.functions(), config, thread_safe, &mut message)
            .map_err(|status| PluginLoadError::Init { plugin, status, message: message.text() })?;
        let mut instance = PluginInstance {
            raw,
            plugin: self.clone(),
            poisoned: AtomicBool::new(false),
            declared_reasons: None,
            gate: (!thread_safe).then(Arc::default),
        };
        instance.declared_reasons = instance.fetch_reason_codes()?;
        Ok(instance)
    }
}

impl LoadedPlugin {
    /// Creates an instance from configuration text as [`LoadedPlugin::instantiate`] does, with
    /// a deadline (`None`: none, as `instantiate`): `init` runs on a thread of its own that
    /// the caller waits for at most `deadline`, and the instance's `destroy`, when it is
    /// dropped, too. Past the deadline the thread is abandoned (in-process code cannot be
    /// stopped): an instance `init` returns after it is destroyed on that thread. This is how
    /// the store's registry instantiates a trusted library, whose calls run under the
    /// watchdog ([`PluginScorer::with_deadline`](super::PluginScorer::with_deadline)).
    ///
    /// # Errors
    ///
    /// As [`LoadedPlugin::instantiate`], and [`PluginLoadError::InitDeadlineExceeded`] if
    /// `init` does not return within the deadline.
    pub fn instantiate_within(
        &self,
        config: &str,
        deadline: Option<Duration>,
    ) -> Result<PluginInstance, PluginLoadError> {
        let Some(deadline) = deadline else { return self.instantiate(config) };
        let (sender, answer) = mpsc::sync_channel(1);
        let (plugin, config_owned) = (self.clone(), config.to_owned());
        let thread = std::thread::Builder::new().name("arrears-plugin-init".into());
        let spawned = thread.spawn(move || {
            let instance = plugin.instantiate(&config_owned).map(|mut instance| {
                instance.raw.set_destroy_deadline(Some(deadline));
                instance
            });
            // The caller may have stopped waiting: the instance is then destroyed here.
            let _ = sender.send(instance);
        });
        if spawned.is_err() {
            return Err(PluginLoadError::Init {
                plugin: self.name().to_owned(),
                status: Status::Internal.code(),
                message: "cannot start the thread of init".to_owned(),
            });
        }
        match answer.recv_timeout(deadline) {
            Ok(instance) => instance,
            Err(_) => Err(PluginLoadError::InitDeadlineExceeded {
                plugin: self.name().to_owned(),
                deadline_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }
}

/// An instance of a plugin, created from its configuration. Destroyed when dropped; the
/// library stays loaded.
#[derive(Debug)]
pub struct PluginInstance {
    raw: RawInstance,
    plugin: LoadedPlugin,
    poisoned: AtomicBool,
    declared_reasons: Option<HashSet<String>>,
    /// For a plugin that is not `THREAD_SAFE`: the watchdog's calls wait here, within their
    /// deadline, for the one before them (the raw instance's lock then finds no one).
    gate: Option<Arc<Gate>>,
}

impl PluginInstance {
    /// The plugin.
    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
    }

    /// The gate of a plugin that is not `THREAD_SAFE` (`None` for one that is).
    pub(super) fn gate(&self) -> Option<&Arc<Gate>> {
        self.gate.as_ref()
    }

    /// Returns true if and only if the instance panicked and refuses calls.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// The reason codes the instance declared (`None` for plugins built before ABI 1.1).
    pub fn declared_reasons(&self) -> Option<&HashSet<String>> {
        self.declared_reasons.as_ref()
    }

    fn name(&self) -> String {
        self.plugin.name().to_owned()
    }

    fn fetch_reason_codes(&self) -> Result<Option<HashSet<String>>, PluginLoadError> {
        let Some(reply) = self.raw.reason_codes(DECLARED_REASON_CODES_MAX) else {
            return Ok(None);
        };
        let refuse = |status: u32, message: &str| PluginLoadError::Init {
            plugin: self.name(),
            status,
            message: message.to_owned(),
        };
        let ok = Status::Ok.code();
        let codes = match reply {
            DeclaredCodes::Failed { status } => return Err(refuse(status, "reason_codes failed")),
            DeclaredCodes::TooMany => {
                return Err(refuse(ok, "more reason codes than DECLARED_REASON_CODES_MAX"));
            }
            DeclaredCodes::Codes(codes) => codes,
        };
        let mut declared = HashSet::new();
        for code in codes {
            let Some(code) = code else {
                return Err(refuse(ok, "a declared reason code is not UTF-8 or too long"));
            };
            declared.insert(code);
        }
        // An empty list declares nothing: reason codes are then checked for shape only.
        Ok((!declared.is_empty()).then_some(declared))
    }

    /// Marks the instance poisoned: the host refuses every later call (the watchdog does this
    /// when a call overruns its deadline).
    pub(super) fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
    }

    /// Runs `call` unless the instance is poisoned, and maps its status: `PANICKED` and
    /// `POISONED` poison the instance.
    fn call<T>(
        &self,
        call: impl FnOnce(&RawInstance, &mut ErrorText) -> Reply<T>,
    ) -> Result<Reply<T>, PluginCallError> {
        if self.is_poisoned() {
            return Err(PluginCallError::Poisoned { plugin: self.name() });
        }
        let mut message = ErrorText::new();
        let reply = call(&self.raw, &mut message);
        match status_error(self.plugin.name(), reply.status, || message.text()) {
            None => Ok(reply),
            Some(error) => {
                if matches!(
                    error,
                    PluginCallError::Panicked { .. } | PluginCallError::Poisoned { .. }
                ) {
                    self.poison();
                }
                Err(error)
            }
        }
    }

    /// One `score_batch` call on at most [`BATCH_LEN_MAX`] requests, its status, outputs and
    /// message unvalidated (the runner sends them to the host, which validates them).
    ///
    /// # Errors
    ///
    /// [`PluginCallError::Input`] for a request the ABI cannot carry, or more requests than
    /// [`BATCH_LEN_MAX`].
    pub(super) fn score_raw(
        &self,
        requests: &[ScoreRequest],
    ) -> Result<(Reply<abi::ScoreOutput>, String), PluginCallError> {
        self.check_chunk(requests.len())?;
        let inputs = ScoreInputs::new(requests).map_err(|bad| self.input_error(0, bad))?;
        let mut message = ErrorText::new();
        let reply = self.raw.score_batch(&inputs, &mut message);
        Ok((reply, message.text()))
    }

    /// One `propose_contacts_batch` call, unvalidated, as [`PluginInstance::score_raw`].
    ///
    /// # Errors
    ///
    /// As [`PluginInstance::score_raw`].
    pub(super) fn propose_raw(
        &self,
        requests: &[ContactRequest],
        histories: &[Vec<ContactAttempt>],
    ) -> Result<(Reply<abi::ContactProposalOutput>, String), PluginCallError> {
        self.check_chunk(requests.len())?;
        let inputs =
            ContactInputs::new(requests, histories).map_err(|bad| self.input_error(0, bad))?;
        let mut message = ErrorText::new();
        let reply = self.raw.propose_contacts_batch(&inputs, &mut message);
        Ok((reply, message.text()))
    }

    fn check_chunk(&self, len: usize) -> Result<(), PluginCallError> {
        if BATCH_LEN_MAX < len {
            return Err(PluginCallError::Input {
                plugin: self.name(),
                index: BATCH_LEN_MAX,
                reason: "more than BATCH_LEN_MAX inputs in one call",
            });
        }
        Ok(())
    }

    /// Scores the requests, one validated score per request, in order (split into calls of
    /// at most [`BATCH_LEN_MAX`]).
    ///
    /// # Errors
    ///
    /// [`PluginCallError`] for a plugin failure or any invalid output.
    pub fn score_batch(
        &self,
        requests: &[ScoreRequest],
    ) -> Result<Vec<PluginScore>, PluginCallError> {
        let mut scores = Vec::with_capacity(requests.len());
        for (chunk_index, chunk) in requests.chunks(BATCH_LEN_MAX).enumerate() {
            let first = chunk_index * BATCH_LEN_MAX;
            scores.extend(self.score_chunk(chunk, first)?);
        }
        Ok(scores)
    }

    /// One `score_batch` call on at most [`BATCH_LEN_MAX`] requests, the first of which is
    /// request `first` of the caller's batch (the index errors give): what the watchdog runs
    /// under one deadline.
    ///
    /// # Errors
    ///
    /// As [`PluginInstance::score_batch`].
    pub(super) fn score_chunk(
        &self,
        requests: &[ScoreRequest],
        first: usize,
    ) -> Result<Vec<PluginScore>, PluginCallError> {
        if !self.raw.functions().has_score_batch() {
            return Err(PluginCallError::Unsupported { plugin: self.name(), call: "score_batch" });
        }
        let inputs = ScoreInputs::new(requests).map_err(|bad| self.input_error(first, bad))?;
        let reply = self.call(|raw, error| raw.score_batch(&inputs, error))?;
        marshal::check_scores(
            self.plugin.name(),
            first,
            &reply.outputs,
            reply.count,
            self.declared_reasons.as_ref(),
        )
    }

    #[cold]
    fn input_error(&self, first: usize, bad: BadInput) -> PluginCallError {
        PluginCallError::Input {
            plugin: self.name(),
            index: first + bad.offset,
            reason: bad.reason,
        }
    }

    /// Proposes contacts for the requests. `histories` is empty or holds each request's
    /// contact history (oldest first), which strategies use to pick times.
    ///
    /// # Errors
    ///
    /// [`PluginCallError`] for a plugin failure or any invalid output.
    pub fn propose_batch(
        &self,
        requests: &[ContactRequest],
        histories: &[Vec<ContactAttempt>],
    ) -> Result<Vec<ContactProposal>, PluginCallError> {
        let mut proposals = Vec::new();
        for (chunk_index, chunk) in requests.chunks(BATCH_LEN_MAX).enumerate() {
            let first = chunk_index * BATCH_LEN_MAX;
            let chunk_histories = histories.get(first..first + chunk.len()).unwrap_or(&[]);
            proposals.extend(self.propose_chunk(chunk, chunk_histories, first)?);
        }
        Ok(proposals)
    }

    /// One `propose_contacts_batch` call on at most [`BATCH_LEN_MAX`] requests, as
    /// [`PluginInstance::score_chunk`].
    ///
    /// # Errors
    ///
    /// As [`PluginInstance::propose_batch`].
    pub(super) fn propose_chunk(
        &self,
        requests: &[ContactRequest],
        histories: &[Vec<ContactAttempt>],
        first: usize,
    ) -> Result<Vec<ContactProposal>, PluginCallError> {
        if !self.raw.functions().has_propose_contacts_batch() {
            return Err(PluginCallError::Unsupported {
                plugin: self.name(),
                call: "propose_contacts_batch",
            });
        }
        let inputs =
            ContactInputs::new(requests, histories).map_err(|bad| self.input_error(first, bad))?;
        let reply = self.call(|raw, error| raw.propose_contacts_batch(&inputs, error))?;
        marshal::check_proposals(self.plugin.name(), requests, &reply.outputs, reply.count)
    }
}

/// The error a call's status means (`None` for OK), with the plugin's message (its control
/// characters escaped, whether it comes from this process or a runner).
pub(super) fn status_error(
    plugin: &str,
    status: u32,
    message: impl FnOnce() -> String,
) -> Option<PluginCallError> {
    let plugin = plugin.to_owned();
    let message = || escape_controls(message());
    match Status::from_code(status) {
        Some(Status::Ok) => None,
        Some(Status::Panicked) => Some(PluginCallError::Panicked { plugin, message: message() }),
        Some(Status::Poisoned) => Some(PluginCallError::Poisoned { plugin }),
        _ => Some(PluginCallError::Failed { plugin, status, message: message() }),
    }
}
