//! The plugin host: loads scorer and contact-strategy plugins through the C ABI of
//! `arrears-plugin-sdk`, checks them, calls them in batches and validates every output.
//!
//! This is the only module of the engine with `unsafe` code. A plugin is untrusted input: the
//! host checks the descriptor's magic, ABI major and size before reading it (and reads only
//! the bytes both sides know), can require a SHA-256 pin before the library is even opened,
//! and turns every bad output (a non-finite or out-of-range score, an unknown reason code, a
//! bad channel, time or index, more outputs than asked) into a [`PluginCallError`], never
//! into data. Libraries are never unloaded: a descriptor's pointers stay valid for the life of
//! the process.
//!
//! Threading: an instance of a plugin that does not declare
//! [`abi::CAPABILITY_THREAD_SAFE`] is called under a lock.
#![allow(unsafe_code)]

use std::collections::HashSet;
use std::ffi::c_void;
use std::mem::{size_of, MaybeUninit};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrears_core::case::{ContactAttempt, ContactOutcome};
use arrears_core::model::{ContactChannel, ContactPointKind};
use arrears_core::strategy::{
    ContactProposal, ContactRequest, ContactStrategy, Features, Score, Scorer, StrategyError,
};
use arrears_plugin_sdk::abi::{self, PluginDescriptor, Status, StrRef};
pub use arrears_plugin_sdk::StaticPlugin;
use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// Most reason codes kept from a plugin's declared list.
pub const DECLARED_REASON_CODES_MAX: usize = abi::DECLARED_REASON_CODES_MAX;
/// Most proposals the host accepts per request.
pub const PROPOSALS_PER_REQUEST_MAX: usize = abi::PROPOSALS_PER_REQUEST_MAX;
/// Most inputs per ABI call; larger batches are split.
pub const BATCH_LEN_MAX: usize = abi::BATCH_LEN_MAX;
/// How far after the review date a proposed contact may be.
pub const PROPOSAL_HORIZON_DAYS_MAX: i64 = 31;

const MICROS_PER_DAY: i64 = 86_400_000_000;

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
}

/// Why a call into a plugin failed. The plugin's outputs of that call are discarded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PluginCallError {
    /// The instance panicked earlier; create a new instance (or fix the plugin).
    #[error("plugin {plugin:?} is poisoned by an earlier panic")]
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
}

/// How to load a plugin.
#[derive(Debug, Clone, Default)]
pub struct PluginOptions {
    /// If set, the library file must have this SHA-256 (checked before it is opened).
    pub sha256_pin: Option<[u8; 32]>,
}

/// The hex form of a digest.
pub fn sha256_hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses a 64-digit hex SHA-256.
pub fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut digest = [0u8; 32];
    for (index, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(digest)
}

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
unsafe fn borrowed_text<'a>(text: StrRef, len_max: usize) -> Option<&'a str> {
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

/// A loaded plugin library (or a statically linked plugin): its checked descriptor.
#[derive(Debug, Clone)]
pub struct LoadedPlugin {
    inner: Arc<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    descriptor: PluginDescriptor,
    name: String,
    version: String,
    build_fingerprint: String,
    capabilities: u32,
    sha256: Option<[u8; 32]>,
    path: Option<PathBuf>,
}

// SAFETY: the descriptor's pointers point into a library that is never unloaded (or into the
// host binary), and are only read.
unsafe impl Send for Loaded {}
// SAFETY: as above; nothing in it is mutated after loading.
unsafe impl Sync for Loaded {}

impl LoadedPlugin {
    /// Loads the plugin library at `path`. The library stays loaded for the life of the
    /// process.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError`]: pin mismatch (checked before opening), loader failure, missing
    /// entry symbol, bad magic, another ABI major, a descriptor too small or malformed.
    pub fn load(path: &Path, options: &PluginOptions) -> Result<LoadedPlugin, PluginLoadError> {
        let bytes = std::fs::read(path)
            .map_err(|source| PluginLoadError::Io { path: path.to_owned(), source })?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if let Some(expected) = options.sha256_pin {
            if expected != digest {
                return Err(PluginLoadError::PinMismatch {
                    path: path.to_owned(),
                    expected: sha256_hex(&expected),
                    found: sha256_hex(&digest),
                });
            }
        }
        // SAFETY: loading a library runs its initializers; the caller chose to trust this
        // library (optionally pinned by SHA-256 above).
        let library = unsafe { libloading::Library::new(path) }.map_err(|source| {
            PluginLoadError::Dl { path: path.to_owned(), source: Box::new(source) }
        })?;
        let symbol = format!("{}\0", abi::ENTRY_SYMBOL_NAME);
        // SAFETY: the symbol is declared by the ABI with the `EntryFn` type.
        let entry: abi::EntryFn = match unsafe { library.get::<abi::EntryFn>(symbol.as_bytes()) } {
            Ok(symbol) => *symbol,
            Err(_) => {
                return Err(PluginLoadError::MissingSymbol {
                    path: path.to_owned(),
                    symbol: abi::ENTRY_SYMBOL_NAME,
                });
            }
        };
        // Libraries are never unloaded: the entry point and every pointer in the descriptor
        // stay valid for the life of the process.
        std::mem::forget(library);
        // SAFETY: `entry` comes from a library that stays loaded.
        let mut loaded = unsafe { LoadedPlugin::from_entry(entry) }?;
        if let Some(inner) = Arc::get_mut(&mut loaded.inner) {
            inner.sha256 = Some(digest);
            inner.path = Some(path.to_owned());
        }
        Ok(loaded)
    }

    /// A plugin linked into this binary (see `export_plugin!` in the SDK), through the same
    /// descriptor checks as a loaded one.
    ///
    /// # Errors
    ///
    /// As [`LoadedPlugin::load`], without the loader errors.
    pub fn from_static(plugin: StaticPlugin) -> Result<LoadedPlugin, PluginLoadError> {
        // SAFETY: a `StaticPlugin` can only be built from an entry point that follows the ABI.
        unsafe { LoadedPlugin::from_entry(plugin.entry()) }
    }

    /// # Safety
    ///
    /// `entry` must be callable and stay valid for the life of the process.
    unsafe fn from_entry(entry: abi::EntryFn) -> Result<LoadedPlugin, PluginLoadError> {
        // SAFETY: per this function's contract.
        let pointer = unsafe { entry() };
        // SAFETY: the pointer comes from the entry point; `read_descriptor` checks it before
        // reading past the header.
        let descriptor = unsafe { read_descriptor(pointer)? };
        let text = |value: StrRef, field: &'static str| {
            // SAFETY: descriptor strings live as long as the library, which is never unloaded.
            match unsafe { borrowed_text(value, abi::STRING_BYTES_MAX) } {
                Some(text) => Ok(text.to_owned()),
                None => {
                    Err(PluginLoadError::BadDescriptor { field, reason: "not UTF-8 or too long" })
                }
            }
        };
        let name = text(descriptor.name, "name")?;
        if name.is_empty() || !name.is_ascii() {
            return Err(PluginLoadError::BadDescriptor {
                field: "name",
                reason: "empty or not ASCII",
            });
        }
        let version = text(descriptor.version, "version")?;
        let build_fingerprint = text(descriptor.build_fingerprint, "build_fingerprint")?;
        if descriptor.init.is_none() || descriptor.destroy.is_none() {
            return Err(PluginLoadError::BadDescriptor { field: "init", reason: "null" });
        }
        // A capability counts only if its function is present.
        let mut capabilities = descriptor.capabilities & abi::CAPABILITIES_KNOWN;
        if descriptor.score_batch.is_none() {
            capabilities &= !abi::CAPABILITY_SCORER;
        }
        if descriptor.propose_contacts_batch.is_none() {
            capabilities &= !abi::CAPABILITY_CONTACT_STRATEGY;
        }
        Ok(LoadedPlugin {
            inner: Arc::new(Loaded {
                descriptor,
                name,
                version,
                build_fingerprint,
                capabilities,
                sha256: None,
                path: None,
            }),
        })
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The plugin's version.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// The plugin's build fingerprint.
    pub fn build_fingerprint(&self) -> &str {
        &self.inner.build_fingerprint
    }

    /// The ABI version the plugin was built for, `(major, minor)`.
    pub fn abi_version(&self) -> (u32, u32) {
        (self.inner.descriptor.abi_major, self.inner.descriptor.abi_minor)
    }

    /// The size of the descriptor the plugin declared, in bytes.
    pub fn descriptor_size_bytes(&self) -> u32 {
        self.inner.descriptor.struct_size
    }

    /// The negotiated `CAPABILITY_*` bits (declared and backed by a function).
    pub fn capabilities(&self) -> u32 {
        self.inner.capabilities
    }

    /// The capability names, in bit order.
    pub fn capability_names(&self) -> Vec<&'static str> {
        let names = [
            (abi::CAPABILITY_SCORER, "scorer"),
            (abi::CAPABILITY_CONTACT_STRATEGY, "contact_strategy"),
            (abi::CAPABILITY_THREAD_SAFE, "thread_safe"),
            (abi::CAPABILITY_DETERMINISTIC, "deterministic"),
        ];
        names.iter().filter(|(bit, _)| self.capabilities() & bit != 0).map(|(_, n)| *n).collect()
    }

    /// The library's SHA-256 (`None` for a statically linked plugin).
    pub fn sha256(&self) -> Option<[u8; 32]> {
        self.inner.sha256
    }

    /// The library's path (`None` for a statically linked plugin).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

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
        let Some(init) = self.inner.descriptor.init else {
            return Err(PluginLoadError::BadDescriptor { field: "init", reason: "null" });
        };
        let mut message = ErrorText::new();
        let mut handle: *mut c_void = std::ptr::null_mut();
        // SAFETY: the host table is static, the configuration is borrowed for the call, and
        // the out-pointers are valid.
        let status =
            unsafe { init(&HOST_API, StrRef::from_str(config), &mut handle, message.buffer()) };
        if status != Status::Ok.code() || handle.is_null() {
            return Err(PluginLoadError::Init { plugin, status, message: message.text() });
        }
        let thread_safe = self.capabilities() & abi::CAPABILITY_THREAD_SAFE != 0;
        let mut instance = PluginInstance {
            plugin: self.clone(),
            handle,
            call_lock: (!thread_safe).then(|| Mutex::new(())),
            poisoned: AtomicBool::new(false),
            declared_reasons: None,
        };
        instance.declared_reasons = instance.fetch_reason_codes()?;
        Ok(instance)
    }
}

/// Reads a descriptor: the header first (magic, size, major), then only the bytes both
/// sides know; entries the plugin did not write stay absent (zero).
///
/// # Safety
///
/// `pointer` must be null or point to at least its declared `struct_size` readable bytes.
unsafe fn read_descriptor(
    pointer: *const PluginDescriptor,
) -> Result<PluginDescriptor, PluginLoadError> {
    if pointer.is_null() {
        return Err(PluginLoadError::NullDescriptor);
    }
    if !pointer.is_aligned() {
        return Err(PluginLoadError::BadDescriptor { field: "pointer", reason: "misaligned" });
    }
    // SAFETY: every descriptor starts with the 24-byte header these fields are in.
    let (magic, struct_size, abi_major) = unsafe {
        (
            std::ptr::addr_of!((*pointer).magic).read(),
            std::ptr::addr_of!((*pointer).struct_size).read(),
            std::ptr::addr_of!((*pointer).abi_major).read(),
        )
    };
    if magic != abi::MAGIC {
        return Err(PluginLoadError::BadMagic { found: magic });
    }
    if abi_major != abi::ABI_VERSION_MAJOR {
        return Err(PluginLoadError::AbiVersionMismatch {
            plugin: abi_major,
            host: abi::ABI_VERSION_MAJOR,
        });
    }
    if (struct_size as usize) < abi::DESCRIPTOR_SIZE_MIN {
        return Err(PluginLoadError::DescriptorTooSmall {
            struct_size,
            struct_size_min: abi::DESCRIPTOR_SIZE_MIN,
        });
    }
    let known = (struct_size as usize).min(size_of::<PluginDescriptor>());
    let mut descriptor = MaybeUninit::<PluginDescriptor>::zeroed();
    // SAFETY: the plugin declared `struct_size` readable bytes and `known <= struct_size`;
    // the target holds `size_of::<PluginDescriptor>() >= known` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(
            pointer.cast::<u8>(),
            descriptor.as_mut_ptr().cast::<u8>(),
            known,
        );
    }
    // SAFETY: all-zero bytes are a valid descriptor (null pointers, `None` functions), and
    // the copied prefix came from a descriptor of the same layout.
    Ok(unsafe { descriptor.assume_init() })
}

/// A host-owned error buffer.
struct ErrorText {
    bytes: Box<[u8; abi::ERROR_MESSAGE_BYTES_MAX]>,
    raw: abi::ErrorBuffer,
}

impl ErrorText {
    fn new() -> ErrorText {
        let mut bytes = Box::new([0u8; abi::ERROR_MESSAGE_BYTES_MAX]);
        let raw = abi::ErrorBuffer {
            ptr: bytes.as_mut_ptr(),
            capacity_bytes: abi::ERROR_MESSAGE_BYTES_MAX,
            len_bytes: 0,
        };
        ErrorText { bytes, raw }
    }

    fn buffer(&mut self) -> *mut abi::ErrorBuffer {
        self.raw.len_bytes = 0;
        &mut self.raw
    }

    fn text(&self) -> String {
        let len = self.raw.len_bytes.min(self.bytes.len());
        String::from_utf8_lossy(self.bytes.get(..len).unwrap_or(&[])).into_owned()
    }
}

/// A named attribute value for [`ScoreRequest`].
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// No value.
    Missing,
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

/// One thing to score: the engine's features (if any) and named attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreRequest {
    /// The account's features, or `None` for rows that are not accounts (applications).
    pub features: Option<Features>,
    /// Named attributes (application or custom data).
    pub attributes: Vec<(String, AttributeValue)>,
}

/// A validated score from a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginScore {
    /// Finite, from 0 to 1000.
    pub points: f64,
    /// Up to four reason codes, strongest first.
    pub reasons: Vec<String>,
}

/// An instance of a plugin, created from its configuration. Destroyed when dropped; the
/// library stays loaded.
#[derive(Debug)]
pub struct PluginInstance {
    plugin: LoadedPlugin,
    handle: *mut c_void,
    call_lock: Option<Mutex<()>>,
    poisoned: AtomicBool,
    declared_reasons: Option<HashSet<String>>,
}

// SAFETY: the handle is only used through calls that are serialized by `call_lock` unless
// the plugin declared itself thread-safe, and it is destroyed only in `drop`.
unsafe impl Send for PluginInstance {}
// SAFETY: as above.
unsafe impl Sync for PluginInstance {}

impl Drop for PluginInstance {
    fn drop(&mut self) {
        if let Some(destroy) = self.plugin.inner.descriptor.destroy {
            // SAFETY: the handle came from this plugin's `init` and is not used again.
            unsafe { destroy(self.handle) };
        }
    }
}

impl PluginInstance {
    /// The plugin.
    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
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
        let Some(reason_codes) = self.plugin.inner.descriptor.reason_codes else {
            return Ok(None);
        };
        let mut codes = vec![StrRef::EMPTY; DECLARED_REASON_CODES_MAX];
        let mut count = 0usize;
        // SAFETY: the handle is live; the output array holds `codes.len()` entries.
        let status =
            unsafe { reason_codes(self.handle, codes.as_mut_ptr(), codes.len(), &mut count) };
        let refuse = |message: &str| PluginLoadError::Init {
            plugin: self.name(),
            status,
            message: message.to_owned(),
        };
        if status != Status::Ok.code() {
            return Err(refuse("reason_codes failed"));
        }
        if codes.len() < count {
            return Err(refuse("more reason codes than DECLARED_REASON_CODES_MAX"));
        }
        let mut declared = HashSet::new();
        for code in codes.iter().take(count) {
            // SAFETY: the strings live in the instance until `destroy`; we copy them now.
            let Some(text) = (unsafe { borrowed_text(*code, abi::REASON_CODE_BYTES_MAX) }) else {
                return Err(refuse("a declared reason code is not UTF-8 or too long"));
            };
            declared.insert(text.to_owned());
        }
        // An empty list declares nothing: reason codes are then checked for shape only.
        Ok((!declared.is_empty()).then_some(declared))
    }

    /// Runs `call` under the instance's lock (if not thread-safe) and maps its status.
    fn call(&self, call: impl FnOnce(*mut abi::ErrorBuffer) -> u32) -> Result<(), PluginCallError> {
        if self.is_poisoned() {
            return Err(PluginCallError::Poisoned { plugin: self.name() });
        }
        let _guard = self
            .call_lock
            .as_ref()
            .map(|lock| lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut message = ErrorText::new();
        let status = call(message.buffer());
        match Status::from_code(status) {
            Some(Status::Ok) => Ok(()),
            Some(Status::Panicked) => {
                self.poisoned.store(true, Ordering::Release);
                Err(PluginCallError::Panicked { plugin: self.name(), message: message.text() })
            }
            Some(Status::Poisoned) => {
                self.poisoned.store(true, Ordering::Release);
                Err(PluginCallError::Poisoned { plugin: self.name() })
            }
            _ => Err(PluginCallError::Failed {
                plugin: self.name(),
                status,
                message: message.text(),
            }),
        }
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

    fn score_chunk(
        &self,
        requests: &[ScoreRequest],
        first: usize,
    ) -> Result<Vec<PluginScore>, PluginCallError> {
        let Some(score_batch) = self.plugin.inner.descriptor.score_batch else {
            return Err(PluginCallError::Unsupported { plugin: self.name(), call: "score_batch" });
        };
        // The attribute arrays must outlive the call: build them all first.
        let mut attribute_arrays: Vec<Vec<abi::Attribute>> = Vec::with_capacity(requests.len());
        for (offset, request) in requests.iter().enumerate() {
            if abi::ATTRIBUTES_MAX < request.attributes.len() {
                return Err(self.input_error(first + offset, "more than ATTRIBUTES_MAX attributes"));
            }
            let mut attributes = Vec::with_capacity(request.attributes.len());
            for (name, value) in &request.attributes {
                let text_len = if let AttributeValue::Text(text) = value { text.len() } else { 0 };
                if abi::STRING_BYTES_MAX < name.len().max(text_len) {
                    return Err(
                        self.input_error(first + offset, "attribute longer than STRING_BYTES_MAX")
                    );
                }
                let (kind, number, text) = match value {
                    AttributeValue::Missing => (abi::ATTRIBUTE_MISSING, 0.0, StrRef::EMPTY),
                    AttributeValue::Number(number) => {
                        (abi::ATTRIBUTE_NUMBER, *number, StrRef::EMPTY)
                    }
                    AttributeValue::Text(text) => {
                        (abi::ATTRIBUTE_TEXT, 0.0, StrRef::from_str(text))
                    }
                };
                attributes.push(abi::Attribute {
                    name: StrRef::from_str(name),
                    kind,
                    reserved: 0,
                    number,
                    text,
                });
            }
            attribute_arrays.push(attributes);
        }
        let inputs: Vec<abi::ScoreInput> = requests
            .iter()
            .zip(&attribute_arrays)
            .map(|(request, attributes)| score_input(request.features.as_ref(), attributes))
            .collect();
        // SAFETY: all-zero bytes are a valid `ScoreOutput`.
        let mut outputs: Vec<abi::ScoreOutput> =
            (0..inputs.len()).map(|_| unsafe { std::mem::zeroed() }).collect();
        let mut count = 0usize;
        self.call(|error| {
            // SAFETY: inputs, their attributes and strings live until the call returns; the
            // outputs are host-owned with `inputs.len()` entries at the given stride.
            unsafe {
                score_batch(
                    self.handle,
                    inputs.as_ptr(),
                    size_of::<abi::ScoreInput>(),
                    inputs.len(),
                    outputs.as_mut_ptr(),
                    size_of::<abi::ScoreOutput>(),
                    &mut count,
                    error,
                )
            }
        })?;
        if inputs.len() < count {
            return Err(PluginCallError::TooManyOutputs {
                plugin: self.name(),
                count,
                count_max: inputs.len(),
            });
        }
        if count < inputs.len() {
            return Err(PluginCallError::MissingOutputs {
                plugin: self.name(),
                count,
                expected: inputs.len(),
            });
        }
        outputs
            .iter()
            .enumerate()
            .map(|(offset, output)| self.check_score(first + offset, output))
            .collect()
    }

    #[cold]
    fn input_error(&self, index: usize, reason: &'static str) -> PluginCallError {
        PluginCallError::Input { plugin: self.name(), index, reason }
    }

    fn check_score(
        &self,
        index: usize,
        output: &abi::ScoreOutput,
    ) -> Result<PluginScore, PluginCallError> {
        let points = output.points;
        if !points.is_finite() {
            return Err(PluginCallError::NonFiniteScore { plugin: self.name(), index });
        }
        if !(abi::SCORE_POINTS_MIN..=abi::SCORE_POINTS_MAX).contains(&points) {
            return Err(PluginCallError::ScoreOutOfRange { plugin: self.name(), index, points });
        }
        let bad =
            |reason: String| PluginCallError::BadReason { plugin: self.name(), index, reason };
        let reason_count = output.reason_count as usize;
        if abi::REASONS_MAX < reason_count {
            return Err(bad(format!("{reason_count} reason codes, at most {}", abi::REASONS_MAX)));
        }
        let mut reasons = Vec::with_capacity(reason_count);
        for code in output.reasons.iter().take(reason_count) {
            let bytes = code.bytes.get(..code.len_bytes as usize).ok_or_else(|| {
                bad(format!("reason code longer than {} bytes", abi::REASON_CODE_BYTES_MAX))
            })?;
            let text = match std::str::from_utf8(bytes) {
                Ok(text) if !text.is_empty() && text.is_ascii() => text,
                _ => return Err(bad("reason code empty or not ASCII".to_owned())),
            };
            if let Some(declared) = &self.declared_reasons {
                if !declared.contains(text) {
                    return Err(bad(format!("reason code {text:?} is not declared")));
                }
            }
            reasons.push(text.to_owned());
        }
        Ok(PluginScore { points, reasons })
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

    fn propose_chunk(
        &self,
        requests: &[ContactRequest],
        histories: &[Vec<ContactAttempt>],
        first: usize,
    ) -> Result<Vec<ContactProposal>, PluginCallError> {
        let Some(propose) = self.plugin.inner.descriptor.propose_contacts_batch else {
            return Err(PluginCallError::Unsupported {
                plugin: self.name(),
                call: "propose_contacts_batch",
            });
        };
        let mut steps: Vec<Vec<abi::ContactStepInput>> = Vec::with_capacity(requests.len());
        let mut points: Vec<Vec<abi::ContactPointInput>> = Vec::with_capacity(requests.len());
        let mut history: Vec<Vec<abi::ContactHistoryEntry>> = Vec::with_capacity(requests.len());
        for (offset, request) in requests.iter().enumerate() {
            let past = histories.get(offset).map_or(&[][..], Vec::as_slice);
            let past = past.get(past.len().saturating_sub(abi::REQUEST_ITEMS_MAX)..).unwrap_or(&[]);
            if abi::REQUEST_ITEMS_MAX < request.steps.len().max(request.contact_points.len()) {
                return Err(self.input_error(first + offset, "more than REQUEST_ITEMS_MAX items"));
            }
            let too_long =
                request.steps.iter().any(|step| abi::STRING_BYTES_MAX < step.template.len())
                    || request
                        .contact_points
                        .iter()
                        .any(|point| abi::STRING_BYTES_MAX < point.address.len());
            if too_long {
                return Err(self.input_error(first + offset, "string longer than STRING_BYTES_MAX"));
            }
            steps.push(
                request
                    .steps
                    .iter()
                    .map(|step| abi::ContactStepInput {
                        template: StrRef::from_str(&step.template),
                        channel: channel_code(step.channel),
                        reserved: 0,
                    })
                    .collect(),
            );
            points.push(
                request
                    .contact_points
                    .iter()
                    .map(|point| abi::ContactPointInput {
                        address: StrRef::from_str(&point.address),
                        channel: channel_code(point.channel),
                        kind: match point.kind {
                            ContactPointKind::Personal => abi::CONTACT_POINT_PERSONAL,
                            ContactPointKind::Work => abi::CONTACT_POINT_WORK,
                            ContactPointKind::EmployerProvided => {
                                abi::CONTACT_POINT_EMPLOYER_PROVIDED
                            }
                        },
                        consent: u8::from(point.consent),
                        opted_out: u8::from(point.opted_out),
                        reserved: [0; 6],
                    })
                    .collect(),
            );
            history.push(
                past.iter()
                    .map(|attempt| abi::ContactHistoryEntry {
                        at_unix_us: attempt.at.timestamp_micros(),
                        channel: channel_code(attempt.channel),
                        right_party: u8::from(matches!(
                            attempt.outcome,
                            ContactOutcome::RightParty
                                | ContactOutcome::PromiseCaptured
                                | ContactOutcome::DisputeRaised
                                | ContactOutcome::PaymentTaken
                        )),
                        inbound: u8::from(attempt.inbound),
                        reserved: [0; 2],
                    })
                    .collect(),
            );
        }
        let inputs: Vec<abi::ContactRequestInput> = requests
            .iter()
            .enumerate()
            .map(|(offset, request)| {
                let steps = steps.get(offset).map_or(&[][..], Vec::as_slice);
                let points = points.get(offset).map_or(&[][..], Vec::as_slice);
                let history = history.get(offset).map_or(&[][..], Vec::as_slice);
                abi::ContactRequestInput {
                    debtor_id: request.debtor.0,
                    as_of_days: days_since_epoch(request.as_of),
                    utc_offset_minutes: utc_offset_minutes(request),
                    score_points: request.score.as_ref().map_or(0.0, |score| score.points),
                    has_score: u32::from(request.score.is_some()),
                    reserved: 0,
                    steps: steps.as_ptr(),
                    step_count: steps.len(),
                    contact_points: points.as_ptr(),
                    contact_point_count: points.len(),
                    history: history.as_ptr(),
                    history_count: history.len(),
                }
            })
            .collect();
        let capacity = inputs.len() * PROPOSALS_PER_REQUEST_MAX;
        // SAFETY: all-zero bytes are a valid `ContactProposalOutput`.
        let mut outputs: Vec<abi::ContactProposalOutput> =
            (0..capacity).map(|_| unsafe { std::mem::zeroed() }).collect();
        let mut count = 0usize;
        self.call(|error| {
            // SAFETY: inputs and everything they point to live until the call returns; the
            // outputs are host-owned with `capacity` entries at the given stride.
            unsafe {
                propose(
                    self.handle,
                    inputs.as_ptr(),
                    size_of::<abi::ContactRequestInput>(),
                    inputs.len(),
                    outputs.as_mut_ptr(),
                    size_of::<abi::ContactProposalOutput>(),
                    capacity,
                    &mut count,
                    error,
                )
            }
        })?;
        if capacity < count {
            return Err(PluginCallError::TooManyOutputs {
                plugin: self.name(),
                count,
                count_max: capacity,
            });
        }
        let mut per_request = vec![0usize; requests.len()];
        let mut proposals = Vec::with_capacity(count);
        for (index, output) in outputs.iter().take(count).enumerate() {
            let bad = |reason: String| PluginCallError::BadProposal {
                plugin: self.name(),
                index,
                reason,
            };
            let request_index = output.request_index as usize;
            let (Some(request), Some(proposed)) =
                (requests.get(request_index), per_request.get_mut(request_index))
            else {
                return Err(bad(format!("no request {request_index}")));
            };
            *proposed += 1;
            if PROPOSALS_PER_REQUEST_MAX < *proposed {
                return Err(bad("more than PROPOSALS_PER_REQUEST_MAX for a request".to_owned()));
            }
            let Some(channel) = channel_from_code(output.channel) else {
                return Err(bad(format!("unknown channel {}", output.channel)));
            };
            let Some(point) = request.contact_points.get(output.contact_point_index as usize)
            else {
                return Err(bad(format!("no contact point {}", output.contact_point_index)));
            };
            if point.channel != channel {
                return Err(bad(format!(
                    "channel {} is not the contact point's ({})",
                    channel.name(),
                    point.channel.name()
                )));
            }
            let template = output
                .template
                .get(..output.template_len_bytes as usize)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .filter(|text| !text.is_empty() && text.is_ascii());
            let Some(template) = template else {
                return Err(bad("template id empty, too long or not ASCII".to_owned()));
            };
            let day_start_us = i64::from(days_since_epoch(request.as_of)) * MICROS_PER_DAY;
            let earliest_us = day_start_us - MICROS_PER_DAY;
            let latest_us = day_start_us + PROPOSAL_HORIZON_DAYS_MAX * MICROS_PER_DAY;
            let at = DateTime::<Utc>::from_timestamp_micros(output.at_unix_us)
                .filter(|_| (earliest_us..latest_us).contains(&output.at_unix_us));
            let Some(at) = at else {
                return Err(PluginCallError::BadTime {
                    plugin: self.name(),
                    index,
                    at_unix_us: output.at_unix_us,
                });
            };
            proposals.push(ContactProposal {
                debtor: request.debtor,
                accounts: request.accounts.clone(),
                channel,
                address: point.address.clone(),
                template: template.to_owned(),
                at,
            });
        }
        Ok(proposals)
    }
}

fn score_input(features: Option<&Features>, attributes: &[abi::Attribute]) -> abi::ScoreInput {
    let mut input = arrears_plugin_sdk::score_input(attributes);
    if let Some(features) = features {
        input.account_id = features.account.0;
        input.debtor_id = features.debtor.0;
        input.days_past_due = features.days_past_due;
        input.total_outstanding_minor = features.total_outstanding_minor;
        input.past_due_minor = features.past_due_minor;
        input.credit_limit_minor = features.credit_limit_minor.unwrap_or(0);
        input.has_credit_limit = u8::from(features.credit_limit_minor.is_some());
        input.paid_90d_minor = features.paid_90d_minor;
        input.months_on_book = features.months_on_book;
        input.payments_90d = features.payments_90d;
        input.reversals_90d = features.reversals_90d;
        input.broken_promises = features.broken_promises;
        input.kept_promises = features.kept_promises;
        input.attempts_30d = features.attempts_30d;
        input.right_party_contacts_30d = features.right_party_contacts_30d;
    }
    input
}

fn days_since_epoch(day: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((day - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The UTC offset of the debtor's likeliest time zone at noon UTC on the review date.
fn utc_offset_minutes(request: &ContactRequest) -> i32 {
    let zone = request.time_zones.first().and_then(|zone| zone.parse::<chrono_tz::Tz>().ok());
    let noon = request.as_of.and_hms_opt(12, 0, 0).map(|noon| noon.and_utc());
    match (zone, noon) {
        (Some(zone), Some(noon)) => {
            zone.offset_from_utc_datetime(&noon.naive_utc()).fix().local_minus_utc() / 60
        }
        _ => 0,
    }
}

/// The ABI's code of a channel (`abi::CHANNEL_*`), as the host passes it to plugins.
///
/// ```
/// use arrears::model::ContactChannel;
/// use arrears::plugin_host::channel_code;
/// assert_ne!(channel_code(ContactChannel::Email), channel_code(ContactChannel::Sms));
/// ```
pub fn channel_code(channel: ContactChannel) -> u32 {
    match channel {
        ContactChannel::Phone => abi::CHANNEL_PHONE,
        ContactChannel::Sms => abi::CHANNEL_SMS,
        ContactChannel::Email => abi::CHANNEL_EMAIL,
        ContactChannel::Postal => abi::CHANNEL_POSTAL,
        ContactChannel::Messaging => abi::CHANNEL_MESSAGING,
    }
}

fn channel_from_code(code: u32) -> Option<ContactChannel> {
    Some(match code {
        abi::CHANNEL_PHONE => ContactChannel::Phone,
        abi::CHANNEL_SMS => ContactChannel::Sms,
        abi::CHANNEL_EMAIL => ContactChannel::Email,
        abi::CHANNEL_POSTAL => ContactChannel::Postal,
        abi::CHANNEL_MESSAGING => ContactChannel::Messaging,
        _ => return None,
    })
}

/// The band of a score, with the built-in scorer's names and thresholds.
pub fn band(points: f64) -> &'static str {
    match points {
        p if p >= 700.0 => "low_risk",
        p if p >= 600.0 => "medium_risk",
        p if p >= 500.0 => "elevated_risk",
        p if p >= 400.0 => "high_risk",
        _ => "very_high_risk",
    }
}

/// A plugin instance as the engine's [`Scorer`], registered under `name` (what policy arms
/// name in `scorer`).
#[derive(Debug, Clone)]
pub struct PluginScorer {
    name: String,
    instance: Arc<PluginInstance>,
}

impl PluginScorer {
    /// The adapter; the instance's plugin must be a scorer.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if it is not.
    pub fn new(name: &str, instance: Arc<PluginInstance>) -> Result<PluginScorer, PluginLoadError> {
        if instance.plugin().capabilities() & abi::CAPABILITY_SCORER == 0 {
            return Err(PluginLoadError::MissingCapability {
                plugin: instance.plugin().name().to_owned(),
                capability: "scorer",
            });
        }
        Ok(PluginScorer { name: name.to_owned(), instance })
    }
}

impl Scorer for PluginScorer {
    fn name(&self) -> &str {
        &self.name
    }

    fn score_batch(&self, features: &[Features]) -> Result<Vec<Score>, StrategyError> {
        let requests: Vec<ScoreRequest> = features
            .iter()
            .map(|features| ScoreRequest {
                features: Some(features.clone()),
                attributes: Vec::new(),
            })
            .collect();
        let scores = self.instance.score_batch(&requests).map_err(|error| StrategyError {
            component: self.name.clone(),
            reason: error.to_string(),
        })?;
        Ok(scores
            .into_iter()
            .map(|score| Score {
                band: band(score.points).to_owned(),
                points: score.points,
                reasons: score.reasons,
            })
            .collect())
    }
}

/// A plugin instance as the engine's [`ContactStrategy`], registered under `name` (what
/// policy arms name in `strategy`).
#[derive(Debug, Clone)]
pub struct PluginStrategy {
    name: String,
    instance: Arc<PluginInstance>,
}

impl PluginStrategy {
    /// The adapter; the instance's plugin must be a contact strategy.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if it is not.
    pub fn new(
        name: &str,
        instance: Arc<PluginInstance>,
    ) -> Result<PluginStrategy, PluginLoadError> {
        if instance.plugin().capabilities() & abi::CAPABILITY_CONTACT_STRATEGY == 0 {
            return Err(PluginLoadError::MissingCapability {
                plugin: instance.plugin().name().to_owned(),
                capability: "contact strategy",
            });
        }
        Ok(PluginStrategy { name: name.to_owned(), instance })
    }
}

impl ContactStrategy for PluginStrategy {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose_batch(
        &self,
        requests: &[ContactRequest],
    ) -> Result<Vec<ContactProposal>, StrategyError> {
        let histories: Vec<Vec<ContactAttempt>> =
            requests.iter().map(|request| request.history.clone()).collect();
        self.instance.propose_batch(requests, &histories).map_err(|error| StrategyError {
            component: self.name.clone(),
            reason: error.to_string(),
        })
    }
}
