//! Every call into a plugin's functions (`init`, `destroy`, `reason_codes`, `score_batch`,
//! `propose_contacts_batch`) and the host's `log` callback: one of the two files of the engine
//! with `unsafe` (the other is `load.rs`, which opens libraries and reads descriptors).
//!
//! A call passes only host-owned memory: inputs that `marshal` built and that stay alive and
//! unmoved until the call returns, outputs allocated here, zeroed, with exactly the count or
//! capacity the call names, and an [`ErrorText`]. Nothing a plugin writes is trusted: this file
//! copies it out, and `marshal` validates it.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::mem::size_of;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arrears_plugin_sdk::abi::{self, PluginDescriptor, Status, StrRef};

use super::error::escape_controls;
use super::marshal::{ContactInputs, ScoreInputs};

/// The host services given to every plugin instance: a logger that writes errors and
/// warnings to stderr.
static HOST_API: abi::HostApi = abi::HostApi {
    struct_size: size_of::<abi::HostApi>() as u32,
    abi_major: abi::ABI_VERSION_MAJOR,
    abi_minor: abi::ABI_VERSION_MINOR,
    reserved: 0,
    log: Some(host_log),
};

/// # Safety
///
/// `message` must be valid for the call, per the ABI.
unsafe extern "C" fn host_log(level: u32, message: StrRef) {
    if abi::LOG_WARN < level {
        return;
    }
    // SAFETY: the plugin passes a string valid for the call.
    let Some(text) = (unsafe { borrowed_text(message, abi::STRING_BYTES_MAX) }) else { return };
    use std::io::Write as _;
    // Never panic here: this runs inside the plugin's call.
    let _ = writeln!(std::io::stderr(), "arrears plugin: {text}");
}

/// A string from the plugin, or `None` if null, too long or not UTF-8.
///
/// # Safety
///
/// `text.ptr` must be valid for `text.len_bytes` reads for `'a`.
pub(super) unsafe fn borrowed_text<'a>(text: StrRef, len_max: usize) -> Option<&'a str> {
    if text.len_bytes == 0 {
        return Some("");
    }
    if text.ptr.is_null() || len_max < text.len_bytes {
        return None;
    }
    // SAFETY: per this function's contract.
    let bytes = unsafe { std::slice::from_raw_parts(text.ptr, text.len_bytes) };
    std::str::from_utf8(bytes).ok()
}

/// A plugin's functions, taken from its checked descriptor: `init` and `destroy` are
/// required, the others are absent when the plugin lacks them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Functions {
    init: abi::InitFn,
    destroy: abi::DestroyFn,
    score_batch: Option<abi::ScoreBatchFn>,
    propose_contacts_batch: Option<abi::ProposeContactsBatchFn>,
    reason_codes: Option<abi::ReasonCodesFn>,
}

impl Functions {
    /// The descriptor's functions.
    ///
    /// # Errors
    ///
    /// The name of the required entry that is absent: `init` or `destroy`.
    ///
    /// # Safety
    ///
    /// `descriptor` must be a plugin's checked descriptor (`load::read_descriptor`), from a
    /// library that stays loaded for the life of the process: every function in it follows
    /// the ABI.
    pub(super) unsafe fn from_descriptor(
        descriptor: &PluginDescriptor,
    ) -> Result<Functions, &'static str> {
        Ok(Functions {
            init: descriptor.init.ok_or("init")?,
            destroy: descriptor.destroy.ok_or("destroy")?,
            score_batch: descriptor.score_batch,
            propose_contacts_batch: descriptor.propose_contacts_batch,
            reason_codes: descriptor.reason_codes,
        })
    }

    /// Returns true if and only if the plugin has `score_batch`.
    pub(super) fn has_score_batch(&self) -> bool {
        self.score_batch.is_some()
    }

    /// Returns true if and only if the plugin has `propose_contacts_batch`.
    pub(super) fn has_propose_contacts_batch(&self) -> bool {
        self.propose_contacts_batch.is_some()
    }
}

/// A host-owned error buffer of [`abi::ERROR_MESSAGE_BYTES_MAX`] bytes.
pub(super) struct ErrorText {
    bytes: Box<[u8; abi::ERROR_MESSAGE_BYTES_MAX]>,
    raw: abi::ErrorBuffer,
}

impl ErrorText {
    pub(super) fn new() -> ErrorText {
        let mut bytes = Box::new([0u8; abi::ERROR_MESSAGE_BYTES_MAX]);
        let raw = abi::ErrorBuffer {
            ptr: bytes.as_mut_ptr(),
            capacity_bytes: abi::ERROR_MESSAGE_BYTES_MAX,
            len_bytes: 0,
        };
        ErrorText { bytes, raw }
    }

    /// The buffer to pass to a call, emptied. It points into `bytes`, whose heap allocation
    /// does not move when the `ErrorText` does.
    fn buffer(&mut self) -> *mut abi::ErrorBuffer {
        self.raw.len_bytes = 0;
        &mut self.raw
    }

    /// What the plugin wrote (lossily decoded, cut at the buffer's capacity, its control
    /// characters escaped: [`escape_controls`]).
    pub(super) fn text(&self) -> String {
        let len = self.raw.len_bytes.min(self.bytes.len());
        escape_controls(String::from_utf8_lossy(self.bytes.get(..len).unwrap_or(&[])).into_owned())
    }
}

/// What a batch call returned: its status, the outputs as the plugin left them (all of the
/// capacity the host passed), and the number of outputs it reported.
#[derive(Debug)]
pub(super) struct Reply<T> {
    pub(super) status: u32,
    pub(super) outputs: Vec<T>,
    pub(super) count: usize,
}

impl<T> Reply<T> {
    /// The answer of an entry the plugin lacks, as the ABI's `UNSUPPORTED`. Callers check
    /// for the entry first, to report it as such.
    fn unsupported() -> Reply<T> {
        Reply { status: Status::Unsupported.code(), outputs: Vec::new(), count: 0 }
    }
}

/// The reason codes an instance declared, copied out of the plugin's memory.
#[derive(Debug)]
pub(super) enum DeclaredCodes {
    /// `reason_codes` returned a status other than OK.
    Failed {
        /// The status.
        status: u32,
    },
    /// It reported more codes than the capacity the host passed.
    TooMany,
    /// The codes, in order: `None` for one that is null, not UTF-8 or too long.
    Codes(Vec<Option<String>>),
}

/// A zeroed score output, as the ABI hands them to plugins.
pub(super) const SCORE_OUTPUT_ZERO: abi::ScoreOutput = abi::ScoreOutput {
    points: 0.0,
    reason_count: 0,
    reserved: 0,
    reasons: [abi::ReasonCode { len_bytes: 0, bytes: [0; abi::REASON_CODE_BYTES_MAX] };
        abi::REASONS_MAX],
};

/// A zeroed proposal output, as the ABI hands them to plugins.
pub(super) const PROPOSAL_OUTPUT_ZERO: abi::ContactProposalOutput = abi::ContactProposalOutput {
    at_unix_us: 0,
    request_index: 0,
    channel: 0,
    contact_point_index: 0,
    template_len_bytes: 0,
    template: [0; abi::TEMPLATE_BYTES_MAX],
    tone: 0,
    reserved: 0,
};

/// An instance as `init` returned it: the plugin's opaque handle, its functions, and the lock
/// that serializes calls into a plugin that is not thread-safe. Dropping it calls `destroy`.
#[derive(Debug)]
pub(super) struct RawInstance {
    handle: NonNull<c_void>,
    functions: Functions,
    call_lock: Option<Mutex<()>>,
    /// If set, `destroy` runs on a thread of its own that the dropping thread waits for at
    /// most this long (a trusted library's instance: a `destroy` that hangs is abandoned).
    destroy_deadline: Option<Duration>,
}

/// An instance's handle and `destroy`, handed to the thread that destroys it.
struct Destroy {
    handle: NonNull<c_void>,
    destroy: abi::DestroyFn,
}

// SAFETY: the ABI lets any thread call `destroy`; the handle is used once, by that call.
unsafe impl Send for Destroy {}

impl Destroy {
    fn run(self) {
        // SAFETY: the handle came from this plugin's `init` and is not used again.
        unsafe { (self.destroy)(self.handle.as_ptr()) };
    }
}

// SAFETY: the handle is used only through the plugin's functions, which the ABI lets any
// thread call; calls on one instance hold `call_lock` unless the plugin declared itself
// thread-safe; `destroy` runs only in `drop`, when no call can be running.
unsafe impl Send for RawInstance {}
// SAFETY: as above.
unsafe impl Sync for RawInstance {}

impl Drop for RawInstance {
    fn drop(&mut self) {
        let destroy = Destroy { handle: self.handle, destroy: self.functions.destroy };
        let Some(deadline) = self.destroy_deadline else { return destroy.run() };
        let (done, finished) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new().name("arrears-plugin-destroy".into());
        let spawned = thread.spawn(move || {
            destroy.run();
            let _ = done.send(());
        });
        if spawned.is_ok() {
            // Past the deadline the thread is abandoned, still in the plugin's `destroy`.
            let _ = finished.recv_timeout(deadline);
        }
    }
}

impl RawInstance {
    /// Calls `init` with the host table and `config`.
    ///
    /// # Errors
    ///
    /// The status if it is not OK or the plugin wrote no instance; its message is in `error`.
    pub(super) fn init(
        functions: Functions,
        config: &str,
        thread_safe: bool,
        error: &mut ErrorText,
    ) -> Result<RawInstance, u32> {
        let mut handle: *mut c_void = std::ptr::null_mut();
        // SAFETY: the host table is static, the configuration is borrowed for the call, and
        // the out-pointers are valid.
        let status = unsafe {
            (functions.init)(&HOST_API, StrRef::from_str(config), &mut handle, error.buffer())
        };
        match NonNull::new(handle) {
            Some(handle) if status == Status::Ok.code() => Ok(RawInstance {
                handle,
                functions,
                call_lock: (!thread_safe).then(|| Mutex::new(())),
                destroy_deadline: None,
            }),
            _ => Err(status),
        }
    }

    /// Has `destroy` run on a thread of its own, waited for at most `deadline`.
    pub(super) fn set_destroy_deadline(&mut self, deadline: Option<Duration>) {
        self.destroy_deadline = deadline;
    }

    /// The plugin's functions.
    pub(super) fn functions(&self) -> &Functions {
        &self.functions
    }

    /// Holds the call lock, if the plugin is not thread-safe.
    fn lock(&self) -> Option<MutexGuard<'_, ()>> {
        self.call_lock.as_ref().map(|lock| lock.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Calls `reason_codes` with room for `capacity` codes and copies them (`None` if the
    /// plugin lacks the entry). Called right after `init`, before the instance is shared.
    pub(super) fn reason_codes(&self, capacity: usize) -> Option<DeclaredCodes> {
        let reason_codes = self.functions.reason_codes?;
        let mut codes = vec![StrRef::EMPTY; capacity];
        let mut count = 0usize;
        // SAFETY: the handle is live; the output array holds `codes.len()` entries.
        let status = unsafe {
            reason_codes(self.handle.as_ptr(), codes.as_mut_ptr(), codes.len(), &mut count)
        };
        if status != Status::Ok.code() {
            return Some(DeclaredCodes::Failed { status });
        }
        if codes.len() < count {
            return Some(DeclaredCodes::TooMany);
        }
        let copied = codes
            .iter()
            .take(count)
            .map(|code| {
                // SAFETY: the strings live in the instance until `destroy`; we copy them now.
                let text = unsafe { borrowed_text(*code, abi::REASON_CODE_BYTES_MAX) };
                text.map(str::to_owned)
            })
            .collect();
        Some(DeclaredCodes::Codes(copied))
    }

    /// Calls `score_batch` on `inputs`, with one zeroed output per input.
    pub(super) fn score_batch(
        &self,
        inputs: &ScoreInputs<'_>,
        error: &mut ErrorText,
    ) -> Reply<abi::ScoreOutput> {
        let Some(score_batch) = self.functions.score_batch else { return Reply::unsupported() };
        let inputs = inputs.as_slice();
        let mut outputs = vec![SCORE_OUTPUT_ZERO; inputs.len()];
        let mut count = 0usize;
        let _guard = self.lock();
        // SAFETY: `ScoreInputs` keeps the attributes and strings its inputs point to alive
        // and unmoved while it is borrowed; the outputs are host-owned with `inputs.len()`
        // entries at the given stride.
        let status = unsafe {
            score_batch(
                self.handle.as_ptr(),
                inputs.as_ptr(),
                size_of::<abi::ScoreInput>(),
                inputs.len(),
                outputs.as_mut_ptr(),
                size_of::<abi::ScoreOutput>(),
                &mut count,
                error.buffer(),
            )
        };
        Reply { status, outputs, count }
    }

    /// Calls `propose_contacts_batch` on `inputs`, with `inputs.output_capacity()` zeroed
    /// outputs.
    pub(super) fn propose_contacts_batch(
        &self,
        inputs: &ContactInputs<'_>,
        error: &mut ErrorText,
    ) -> Reply<abi::ContactProposalOutput> {
        let Some(propose) = self.functions.propose_contacts_batch else {
            return Reply::unsupported();
        };
        let capacity = inputs.output_capacity();
        let inputs = inputs.as_slice();
        let mut outputs = vec![PROPOSAL_OUTPUT_ZERO; capacity];
        let mut count = 0usize;
        let _guard = self.lock();
        // SAFETY: `ContactInputs` keeps the steps, contact points, history and strings its
        // inputs point to alive and unmoved while it is borrowed; the outputs are host-owned
        // with `capacity` entries at the given stride.
        let status = unsafe {
            propose(
                self.handle.as_ptr(),
                inputs.as_ptr(),
                size_of::<abi::ContactRequestInput>(),
                inputs.len(),
                outputs.as_mut_ptr(),
                size_of::<abi::ContactProposalOutput>(),
                capacity,
                &mut count,
                error.buffer(),
            )
        };
        Reply { status, outputs, count }
    }
}
