//! The binary interface: `#[repr(C)]` types, limits, capability bits and status codes.
//!
//! Everything here mirrors `include/arrears_plugin.h` byte for byte; the layout test in
//! `tests/it/layout.rs` compiles C code against the header and compares sizes and offsets, and
//! the `const _: () = assert!(..)` lines below fail the build if a Rust layout changes.
//!
//! Versioning: a plugin and a host agree if and only if their ABI major versions are equal.
//! Within a major, structs only grow at the end (each carries its size or is addressed with an
//! explicit stride) and new status codes, capability bits and descriptor entries are appended.
//! A reader reads `min(struct_size, known size)` bytes and treats missing trailing entries as
//! absent.

use core::ffi::c_void;
use core::mem::{align_of, offset_of, size_of};

/// `"ARREARS1"` read as a little-endian `u64`: the first field of every descriptor.
pub const MAGIC: u64 = u64::from_le_bytes(*b"ARREARS1");
/// The ABI major version. A host refuses a plugin with another major.
pub const ABI_VERSION_MAJOR: u32 = 1;
/// The ABI minor version this SDK writes. Minor 1 added [`PluginDescriptor::reason_codes`];
/// minor 2 the tone of a step ([`ContactStepInput::tone`]) and of a proposal
/// ([`ContactProposalOutput::tone`]).
pub const ABI_VERSION_MINOR: u32 = 2;
/// The one symbol a plugin library exports (a [`EntryFn`]).
pub const ENTRY_SYMBOL_NAME: &str = "arrears_plugin_entry_v1";

/// Capability bit: the plugin implements `score_batch`.
pub const CAPABILITY_SCORER: u32 = 1 << 0;
/// Capability bit: the plugin implements `propose_contacts_batch`.
pub const CAPABILITY_CONTACT_STRATEGY: u32 = 1 << 1;
/// Capability bit: one instance may be called from several threads at once.
pub const CAPABILITY_THREAD_SAFE: u32 = 1 << 2;
/// Capability bit: the same inputs always give the same outputs.
pub const CAPABILITY_DETERMINISTIC: u32 = 1 << 3;
/// Every capability bit this version defines; a host ignores the others.
pub const CAPABILITIES_KNOWN: u32 = CAPABILITY_SCORER
    | CAPABILITY_CONTACT_STRATEGY
    | CAPABILITY_THREAD_SAFE
    | CAPABILITY_DETERMINISTIC;

/// Most inputs in one batch call.
pub const BATCH_LEN_MAX: usize = 4096;
/// Most proposals a strategy may return per request.
pub const PROPOSALS_PER_REQUEST_MAX: usize = 4;
/// Most proposals in one batch call.
pub const PROPOSALS_MAX: usize = BATCH_LEN_MAX * PROPOSALS_PER_REQUEST_MAX;
/// Most reason codes per score.
pub const REASONS_MAX: usize = 4;
/// Longest reason code, in bytes.
pub const REASON_CODE_BYTES_MAX: usize = 60;
/// Longest template id in a proposal, in bytes.
pub const TEMPLATE_BYTES_MAX: usize = 48;
/// Longest name, version, fingerprint, attribute name or text, in bytes.
pub const STRING_BYTES_MAX: usize = 4096;
/// Most named attributes per score input.
pub const ATTRIBUTES_MAX: usize = 1024;
/// Most reason codes a plugin may declare.
pub const DECLARED_REASON_CODES_MAX: usize = 4096;
/// Most steps, contact points or history entries per contact request.
pub const REQUEST_ITEMS_MAX: usize = 1024;
/// Size of the error buffer a host passes, in bytes.
pub const ERROR_MESSAGE_BYTES_MAX: usize = 1024;
/// Largest configuration text, in bytes.
pub const CONFIG_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Lowest valid score.
pub const SCORE_POINTS_MIN: f64 = 0.0;
/// Highest valid score.
pub const SCORE_POINTS_MAX: f64 = 1000.0;

/// Channel code: voice call.
pub const CHANNEL_PHONE: u32 = 0;
/// Channel code: SMS.
pub const CHANNEL_SMS: u32 = 1;
/// Channel code: e-mail.
pub const CHANNEL_EMAIL: u32 = 2;
/// Channel code: postal letter.
pub const CHANNEL_POSTAL: u32 = 3;
/// Channel code: messaging app.
pub const CHANNEL_MESSAGING: u32 = 4;
/// Number of channel codes; a channel is valid if and only if it is below this.
pub const CHANNEL_COUNT: u32 = 5;

/// No tone: a step whose template only the integrator knows, or a proposal that keeps its
/// template (ABI 1.2).
pub const TONE_NONE: u32 = 0;
/// Tone code: a friendly reminder (ABI 1.2).
pub const TONE_FRIENDLY: u32 = 1;
/// Tone code: a firm request to pay (ABI 1.2).
pub const TONE_FIRM: u32 = 2;
/// Tone code: a final notice (ABI 1.2).
pub const TONE_FINAL_NOTICE: u32 = 3;
/// Tone code: an offer of a payment plan (ABI 1.2).
pub const TONE_PLAN_OFFER: u32 = 4;
/// Tone code: an offer to settle (ABI 1.2).
pub const TONE_SETTLEMENT_OFFER: u32 = 5;
/// Number of tone codes; a tone is valid if and only if it is below this.
pub const TONE_COUNT: u32 = 6;

/// Contact point kind: the debtor's own.
pub const CONTACT_POINT_PERSONAL: u32 = 0;
/// Contact point kind: the debtor's at work.
pub const CONTACT_POINT_WORK: u32 = 1;
/// Contact point kind: provided by the debtor's employer.
pub const CONTACT_POINT_EMPLOYER_PROVIDED: u32 = 2;

/// Attribute kind: no value (an empty CSV cell).
pub const ATTRIBUTE_MISSING: u32 = 0;
/// Attribute kind: a number in [`Attribute::number`].
pub const ATTRIBUTE_NUMBER: u32 = 1;
/// Attribute kind: text in [`Attribute::text`].
pub const ATTRIBUTE_TEXT: u32 = 2;

/// Log level: error.
pub const LOG_ERROR: u32 = 1;
/// Log level: warning.
pub const LOG_WARN: u32 = 2;
/// Log level: information.
pub const LOG_INFO: u32 = 3;
/// Log level: debugging detail.
pub const LOG_DEBUG: u32 = 4;

/// The result of every ABI call. Discriminants are stable: never renumbered, never reused;
/// new codes are appended. Across the boundary a status travels as a plain `u32`, and a reader
/// maps unknown numbers to an error of its own with [`Status::from_code`].
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A null pointer, a bad stride or another broken calling convention.
    InvalidArgument = 1,
    /// The configuration given to `init` is not valid.
    InvalidConfig = 2,
    /// An input cannot be handled (such as a value outside every bin).
    BadInput = 3,
    /// The plugin does not implement this call.
    Unsupported = 4,
    /// The plugin panicked; the instance is now poisoned.
    Panicked = 5,
    /// The instance panicked earlier and refuses every call.
    Poisoned = 6,
    /// Output capacity too small.
    BufferTooSmall = 7,
    /// Any other failure inside the plugin.
    Internal = 8,
}

impl Status {
    /// The status for a raw code, or `None` for a code this version does not know.
    pub fn from_code(code: u32) -> Option<Status> {
        Some(match code {
            0 => Status::Ok,
            1 => Status::InvalidArgument,
            2 => Status::InvalidConfig,
            3 => Status::BadInput,
            4 => Status::Unsupported,
            5 => Status::Panicked,
            6 => Status::Poisoned,
            7 => Status::BufferTooSmall,
            8 => Status::Internal,
            _ => return None,
        })
    }

    /// The raw code.
    pub fn code(self) -> u32 {
        self as u32
    }
}

/// A borrowed UTF-8 string: `ptr` to `len_bytes` bytes, no terminator. Valid for the duration
/// of the call it is passed to (or, for descriptor strings, for the life of the process).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct StrRef {
    /// The first byte; may be null when `len_bytes` is 0.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len_bytes: usize,
}

impl StrRef {
    /// The empty string.
    pub const EMPTY: StrRef = StrRef { ptr: core::ptr::null(), len_bytes: 0 };

    /// Borrows `text` (the caller keeps `text` alive as long as the `StrRef` is used).
    pub const fn from_str(text: &str) -> StrRef {
        StrRef { ptr: text.as_ptr(), len_bytes: text.len() }
    }
}

/// A caller-owned buffer for an error message. The callee writes at most `capacity_bytes`
/// UTF-8 bytes at `ptr` and sets `len_bytes`; it never frees or keeps the buffer.
#[repr(C)]
#[derive(Debug)]
pub struct ErrorBuffer {
    /// Start of the buffer (host-owned).
    pub ptr: *mut u8,
    /// Its capacity.
    pub capacity_bytes: usize,
    /// Bytes written by the callee.
    pub len_bytes: usize,
}

/// A logging callback: `level` is one of the `LOG_*` constants, the message is borrowed for
/// the call. Callable from any thread.
pub type LogFn = unsafe extern "C" fn(level: u32, message: StrRef);

/// The table of host services given to `init`. It starts with its size; fields are appended
/// only, and a plugin reads a field only if `struct_size` covers it. Valid for the life of
/// the instance.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostApi {
    /// `size_of::<HostApi>()` as the host knows it.
    pub struct_size: u32,
    /// The host's ABI major version.
    pub abi_major: u32,
    /// The host's ABI minor version.
    pub abi_minor: u32,
    /// Zero.
    pub reserved: u32,
    /// Logging, or null.
    pub log: Option<LogFn>,
}

/// The exported entry point: returns a pointer to a descriptor that lives as long as the
/// library (in practice a `static`). Called once per load; thread-safe; cannot fail other than
/// by returning null.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginDescriptor;

/// Creates an instance from configuration text (borrowed for the call). On success writes
/// the opaque instance into `*instance_out` and returns 0; on failure writes a message into
/// `error` and returns a status.
pub type InitFn = unsafe extern "C" fn(
    host: *const HostApi,
    config: StrRef,
    instance_out: *mut *mut c_void,
    error: *mut ErrorBuffer,
) -> u32;

/// Destroys an instance created by `init`. Called at most once, when no call is running.
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);

/// Scores `input_count` inputs. Input `i` is at `inputs + i * input_stride_bytes`, output `i`
/// at `outputs + i * output_stride_bytes` (host-owned, zeroed). Writes the number of outputs
/// written (exactly `input_count` on success) into `*output_count_out`.
pub type ScoreBatchFn = unsafe extern "C" fn(
    instance: *mut c_void,
    inputs: *const ScoreInput,
    input_stride_bytes: usize,
    input_count: usize,
    outputs: *mut ScoreOutput,
    output_stride_bytes: usize,
    output_count_out: *mut usize,
    error: *mut ErrorBuffer,
) -> u32;

/// Proposes contacts for `request_count` requests into at most `output_capacity` host-owned
/// outputs; writes the number written into `*output_count_out`.
pub type ProposeContactsBatchFn = unsafe extern "C" fn(
    instance: *mut c_void,
    requests: *const ContactRequestInput,
    request_stride_bytes: usize,
    request_count: usize,
    outputs: *mut ContactProposalOutput,
    output_stride_bytes: usize,
    output_capacity: usize,
    output_count_out: *mut usize,
    error: *mut ErrorBuffer,
) -> u32;

/// Lists the reason codes an instance may return (ABI 1.1). Writes up to `capacity` strings,
/// owned by the instance and valid until `destroy`, and the total number in `*count_out`.
pub type ReasonCodesFn = unsafe extern "C" fn(
    instance: *mut c_void,
    codes_out: *mut StrRef,
    capacity: usize,
    count_out: *mut usize,
) -> u32;

/// What the entry point returns. Fields are appended only; `struct_size` says how many bytes
/// the plugin wrote. Function pointers may be null (absent).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginDescriptor {
    /// [`MAGIC`].
    pub magic: u64,
    /// `size_of::<PluginDescriptor>()` as the plugin knows it.
    pub struct_size: u32,
    /// [`ABI_VERSION_MAJOR`] the plugin was built for.
    pub abi_major: u32,
    /// ABI minor the plugin was built for.
    pub abi_minor: u32,
    /// `CAPABILITY_*` bits.
    pub capabilities: u32,
    /// The plugin's name (UTF-8, static).
    pub name: StrRef,
    /// The plugin's version (UTF-8, static).
    pub version: StrRef,
    /// A build fingerprint (UTF-8, static): crate, version and SDK version.
    pub build_fingerprint: StrRef,
    /// Creates an instance (ABI 1.0).
    pub init: Option<InitFn>,
    /// Destroys an instance (ABI 1.0).
    pub destroy: Option<DestroyFn>,
    /// Scores a batch (ABI 1.0).
    pub score_batch: Option<ScoreBatchFn>,
    /// Proposes contacts for a batch (ABI 1.0).
    pub propose_contacts_batch: Option<ProposeContactsBatchFn>,
    /// Lists the instance's reason codes (ABI 1.1).
    pub reason_codes: Option<ReasonCodesFn>,
}

/// Size of a descriptor written by an ABI 1.0 plugin (everything before `reason_codes`).
pub const DESCRIPTOR_SIZE_V1_0: usize = offset_of!(PluginDescriptor, reason_codes);
/// The smallest descriptor a host accepts: ABI 1.0's.
pub const DESCRIPTOR_SIZE_MIN: usize = DESCRIPTOR_SIZE_V1_0;

/// A named attribute of a score input (application or custom data).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    /// The name.
    pub name: StrRef,
    /// `ATTRIBUTE_*`.
    pub kind: u32,
    /// Zero.
    pub reserved: u32,
    /// The value when `kind` is [`ATTRIBUTE_NUMBER`].
    pub number: f64,
    /// The value when `kind` is [`ATTRIBUTE_TEXT`].
    pub text: StrRef,
}

/// One account to score. Money in minor units of `currency` (ISO 4217 letters: the account's
/// currency; `XXX` for a row that is not an account), dates in days since 1970-01-01.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScoreInput {
    /// The account id (0 for rows that are not accounts).
    pub account_id: u64,
    /// The debtor id (0 when unknown).
    pub debtor_id: u64,
    /// Days past due.
    pub days_past_due: i64,
    /// Total outstanding.
    pub total_outstanding_minor: i64,
    /// Past due.
    pub past_due_minor: i64,
    /// Credit limit when `has_credit_limit` is 1.
    pub credit_limit_minor: i64,
    /// Paid in the last 90 days.
    pub paid_90d_minor: i64,
    /// Whole months on book.
    pub months_on_book: i64,
    /// The scoring date: the review date in a cycle; for a row that is not an account, the
    /// date the host gives (`arrears score --as-of`), or 0 when it gives none.
    pub as_of_days: i32,
    /// The account's currency code (`XXX` for a row that is not an account).
    pub currency: [u8; 3],
    /// 1 if `credit_limit_minor` is meaningful.
    pub has_credit_limit: u8,
    /// Payments in the last 90 days.
    pub payments_90d: u32,
    /// Reversals in the last 90 days.
    pub reversals_90d: u32,
    /// Promises broken.
    pub broken_promises: u32,
    /// Promises kept.
    pub kept_promises: u32,
    /// Contact attempts in the last 30 days.
    pub attempts_30d: u32,
    /// Right-party contacts in the last 30 days.
    pub right_party_contacts_30d: u32,
    /// Named attributes, borrowed for the call.
    pub attributes: *const Attribute,
    /// Number of attributes (at most [`ATTRIBUTES_MAX`]).
    pub attribute_count: usize,
}

/// A reason code written inline into a host buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ReasonCode {
    /// Bytes used.
    pub len_bytes: u32,
    /// ASCII bytes without control characters, the first not `=`, `+`, `-` or `@` (the host
    /// refuses others: a spreadsheet runs a cell starting with one of those as a formula).
    pub bytes: [u8; REASON_CODE_BYTES_MAX],
}

/// One score, written by the plugin into a host-owned, zeroed buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScoreOutput {
    /// The score, finite, from [`SCORE_POINTS_MIN`] to [`SCORE_POINTS_MAX`].
    pub points: f64,
    /// Reason codes used (at most [`REASONS_MAX`]), strongest first.
    pub reason_count: u32,
    /// Zero.
    pub reserved: u32,
    /// The reason codes.
    pub reasons: [ReasonCode; REASONS_MAX],
}

/// One of the debtor's contact points.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ContactPointInput {
    /// The address (borrowed for the call).
    pub address: StrRef,
    /// `CHANNEL_*`.
    pub channel: u32,
    /// `CONTACT_POINT_*`.
    pub kind: u32,
    /// 1 if the debtor consented to contact on this channel at this address.
    pub consent: u8,
    /// 1 if the debtor opted out of this address.
    pub opted_out: u8,
    /// Zero.
    pub reserved: [u8; 6],
}

/// One contact step a policy stage asks for.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ContactStepInput {
    /// The template id (borrowed for the call).
    pub template: StrRef,
    /// `CHANNEL_*`.
    pub channel: u32,
    /// The template's tone, `TONE_*` (ABI 1.2: the `reserved` zero of 1.0 and 1.1, so an
    /// older host passes `TONE_NONE`).
    pub tone: u32,
}

/// One past contact attempt.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ContactHistoryEntry {
    /// When, in unix microseconds.
    pub at_unix_us: i64,
    /// `CHANNEL_*`.
    pub channel: u32,
    /// 1 if the right party was reached.
    pub right_party: u8,
    /// 1 if the debtor contacted us.
    pub inbound: u8,
    /// Zero.
    pub reserved: [u8; 2],
}

/// A request for contact proposals for one debtor.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ContactRequestInput {
    /// The debtor id.
    pub debtor_id: u64,
    /// The review date.
    pub as_of_days: i32,
    /// The debtor's UTC offset on that date, in minutes (local = UTC + offset).
    pub utc_offset_minutes: i32,
    /// The lowest score among the accounts when `has_score` is 1.
    pub score_points: f64,
    /// 1 if `score_points` is meaningful.
    pub has_score: u32,
    /// Zero.
    pub reserved: u32,
    /// Steps, most urgent first.
    pub steps: *const ContactStepInput,
    /// Number of steps.
    pub step_count: usize,
    /// Contact points.
    pub contact_points: *const ContactPointInput,
    /// Number of contact points.
    pub contact_point_count: usize,
    /// Past attempts, oldest first.
    pub history: *const ContactHistoryEntry,
    /// Number of past attempts.
    pub history_count: usize,
}

/// One proposed contact, written by the plugin into a host-owned, zeroed buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ContactProposalOutput {
    /// When, in unix microseconds: from 00:00 UTC the day before the review date to 00:00 UTC
    /// 31 days after it, both included.
    pub at_unix_us: i64,
    /// Index of the request it answers.
    pub request_index: u32,
    /// `CHANNEL_*`; must equal the chosen contact point's channel.
    pub channel: u32,
    /// Index of the contact point in the request.
    pub contact_point_index: u32,
    /// Bytes used in `template`.
    pub template_len_bytes: u32,
    /// The template id (non-empty ASCII without control characters).
    pub template: [u8; TEMPLATE_BYTES_MAX],
    /// The tone the strategy chose, `TONE_*` (ABI 1.2): the engine then uses the due step on
    /// this channel with that tone. `TONE_NONE` (what a 1.0 or 1.1 plugin leaves in the
    /// zeroed buffer) keeps `template`.
    pub tone: u32,
    /// Zero.
    pub reserved: u32,
}

/// The size of [`ContactProposalOutput`] in ABI 1.0 and 1.1, before `tone`: what an older
/// plugin writes, and the smallest output stride a plugin of this SDK accepts (it then writes
/// only these bytes).
pub const PROPOSAL_OUTPUT_SIZE_V1_1: usize = offset_of!(ContactProposalOutput, tone);

// Layouts, one fact per line; the C header states the same numbers (64-bit targets).
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<StrRef>() == 16);
    assert!(size_of::<ErrorBuffer>() == 24);
    assert!(size_of::<HostApi>() == 24);
    assert!(size_of::<PluginDescriptor>() == 112);
    assert!(DESCRIPTOR_SIZE_V1_0 == 104);
    assert!(size_of::<Attribute>() == 48);
    assert!(size_of::<ScoreInput>() == 112);
    assert!(size_of::<ReasonCode>() == 64);
    assert!(size_of::<ScoreOutput>() == 272);
    assert!(size_of::<ContactPointInput>() == 32);
    assert!(size_of::<ContactStepInput>() == 24);
    assert!(size_of::<ContactHistoryEntry>() == 16);
    assert!(size_of::<ContactRequestInput>() == 80);
    assert!(size_of::<ContactProposalOutput>() == 80);
    assert!(PROPOSAL_OUTPUT_SIZE_V1_1 == 72);
    assert!(align_of::<PluginDescriptor>() == 8);
    assert!(align_of::<ScoreOutput>() == 8);
};
const _: () = assert!(REASONS_MAX <= 8);
const _: () = assert!(PROPOSALS_PER_REQUEST_MAX <= PROPOSALS_MAX);
const _: () = assert!(BATCH_LEN_MAX <= PROPOSALS_MAX);
const _: () = assert!(REASON_CODE_BYTES_MAX <= STRING_BYTES_MAX);
const _: () = assert!(DESCRIPTOR_SIZE_MIN <= size_of::<PluginDescriptor>());
