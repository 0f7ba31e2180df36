//! The `plugin_output` target: plugin outputs as the host validates them.
//!
//! A static in-process plugin (both capabilities, ABI 1.1) follows the calling convention
//! exactly, writing only inside the buffers and capacities the host passes, but every value it
//! writes comes from the fuzz input: scores, reason codes, proposal fields, the output count,
//! the status, the error text, even its declared reason codes and whether `init` succeeds. The
//! host (`arrears::plugin_host`) must turn every bad output into a `PluginCallError`, never
//! into data and never into a panic, and pass every good output through unchanged; this
//! module asserts both, on a fresh instance per call.
//!
//! The input is one byte stream, read front to back by the harness and the plugin in call
//! order; reads past its end give zeros. "count" below is a byte below `0xF0`, else any
//! little-endian `u64` after it; "index" is the byte's low three bits below `0xF0`, else any
//! `u32` after it. Per input, up to [`CALLS_MAX`] rounds (at least one) of:
//!
//! 1. harness, `op`: bit 0 clear scores, set proposes; `1 + (op >> 1) % 3` inputs.
//! 2. `init`: low nibble `0xF` fails (bit 4 clear: status `byte % 10` and error text; set: OK
//!    with no instance), else OK.
//! 3. `reason_codes`, `mode & 3`: 0 declares nothing (shape checks only), 1 every
//!    [`KNOWN_CODES`], 2 the first `(mode >> 2) % 6 + 1`, 3 an odd list (`byte % 5` entries,
//!    each a byte picking from [`ODD_CODES`], then a count; bit 7 adds a status `byte % 10`).
//! 4. the call's `shape`: bits 0-1 the reported count (0 or 1: as written, 2: capacity + 1,
//!    3: a count); bits 2-3 the status (0 or 1: OK, 2: `byte % 10`, 3: any `u32`); bit 4
//!    writes `byte` outputs (at most the capacity) instead of one per input; bit 5 adds error
//!    text. Then the outputs, then the count, status and error text the shape asks for.
//!    A poisoned instance is called once more, which reads nothing: it must refuse
//!    without calling the plugin.
//!
//! A score output is 8 bytes of `f64` points, a reason count byte, then a tag byte for each of
//! the first `min(count, 4)` reasons: bit 7 clear picks a known code, set gives raw bytes
//! (length `tag & 0x7F`, or a `u32` after a tag of `0xFF`; at most 60 bytes copied). A
//! proposal output is a request index, a contact point index, a channel tag (below `0x80`:
//! the named contact point's channel when it exists; below `0xF0`: `tag & 7`; else a `u32`),
//! a time tag (below `0xC0`: the named request's day start plus `tag - 32` times six hours;
//! else any `i64`) and a template length tag (`tag & 0x3F`, or a `u32` after `0xFF`) followed
//! by at most 48 template bytes. Error text is a count, then at most the buffer's capacity of
//! bytes (the claimed length is reported even when larger).
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::c_void;
use std::mem::{align_of, size_of};
use std::sync::OnceLock;

use arrears::ids::{AccountId, DebtorId};
use arrears::model::{ContactChannel, ContactPoint, ContactPointKind, ProductKind};
use arrears::plugin_host::{
    channel_code, LoadedPlugin, PluginInstance, ScoreRequest, PROPOSALS_PER_REQUEST_MAX,
    PROPOSAL_HORIZON_DAYS_MAX,
};
use arrears::strategy::{ContactRequest, ContactStep, Features, Score};
use arrears::PluginCallError;
use arrears_plugin_sdk::abi::{
    self, ContactPointInput, ContactProposalOutput, ContactRequestInput, ErrorBuffer, HostApi,
    PluginDescriptor, ReasonCode, ScoreInput, ScoreOutput, Status, StrRef,
};
use arrears_plugin_sdk::StaticPlugin;
use chrono::NaiveDate;

/// Most host calls per input.
const CALLS_MAX: usize = 8;
/// Most outputs the plugin writes in one call (the harness's batches are smaller).
const WRITTEN_MAX: usize = 16;
const MICROS_PER_DAY: i64 = 86_400_000_000;
const SIX_HOURS_US: i64 = MICROS_PER_DAY / 4;

/// Shape bit: write `byte` outputs rather than one per input.
const SHAPE_PARTIAL: u8 = 1 << 4;
/// Shape bit: write error text.
const SHAPE_ERROR_TEXT: u8 = 1 << 5;

/// Reason codes the plugin writes and declares (all shorter than `REASON_CODE_BYTES_MAX`).
const KNOWN_CODES: [&str; 6] = [
    "late",
    "broken_promises",
    "days_past_due",
    "high_utilization",
    "no_recent_payment",
    "reversals",
];
static LONG_CODE: [u8; abi::REASON_CODE_BYTES_MAX + 1] = [b'x'; abi::REASON_CODE_BYTES_MAX + 1];
/// Declared reason codes of the odd list: valid, not UTF-8, too long, empty.
static ODD_CODES: [&[u8]; 4] = [b"late", b"\xff\xfe", &LONG_CODE, b""];

const EMPTY_REASON: ReasonCode =
    ReasonCode { len_bytes: 0, bytes: [0; abi::REASON_CODE_BYTES_MAX] };
/// A score output as the host allocates it: zeroed.
const ZERO_SCORE: ScoreOutput =
    ScoreOutput { points: 0.0, reason_count: 0, reserved: 0, reasons: [EMPTY_REASON; 4] };
/// A proposal output as the host allocates it: zeroed.
const ZERO_PROPOSAL: ContactProposalOutput = ContactProposalOutput {
    at_unix_us: 0,
    request_index: 0,
    channel: 0,
    contact_point_index: 0,
    template_len_bytes: 0,
    template: [0; abi::TEMPLATE_BYTES_MAX],
    tone: 0,
    reserved: 0,
};

/// The fuzz input as the harness and the plugin read it, and what the plugin did with it.
#[derive(Default)]
struct Script {
    bytes: Vec<u8>,
    at: usize,
    /// Score and propose calls the plugin answered.
    calls: usize,
    /// The status of the plugin's last score or propose call.
    status: u32,
    /// The output count it reported.
    count: usize,
    /// The score outputs it wrote, in order.
    scores: Vec<ScoreOutput>,
    /// The proposal outputs it wrote, in order.
    proposals: Vec<ContactProposalOutput>,
}

impl Script {
    fn byte(&mut self) -> u8 {
        let Some(&byte) = self.bytes.get(self.at) else { return 0 };
        self.at += 1;
        byte
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        for byte in &mut bytes {
            *byte = self.byte();
        }
        u64::from_le_bytes(bytes)
    }

    /// A count or length: the byte below `0xF0`, else any `u64`.
    fn count(&mut self) -> usize {
        let byte = self.byte();
        if byte < 0xF0 {
            usize::from(byte)
        } else {
            self.u64() as usize
        }
    }

    /// An index: 0 to 7 for a byte below `0xF0`, else any `u32`.
    fn index(&mut self) -> u32 {
        let byte = self.byte();
        if byte < 0xF0 {
            u32::from(byte & 7)
        } else {
            self.u32()
        }
    }

    fn exhausted(&self) -> bool {
        self.bytes.len() <= self.at
    }
}

thread_local! {
    static SCRIPT: RefCell<Script> = RefCell::new(Script::default());
}

/// Runs `body` on this thread's script. Never nested: the harness holds no borrow while it
/// calls the host, and the host calls the plugin on the caller's thread.
fn script<T>(body: impl FnOnce(&mut Script) -> T) -> T {
    SCRIPT.with_borrow_mut(body)
}

/// A descriptor in a `static`.
struct Descriptor(PluginDescriptor);

// SAFETY: the descriptor is never mutated, and its pointers point to `'static` strings and
// functions.
unsafe impl Sync for Descriptor {}

static DESCRIPTOR: Descriptor = Descriptor(PluginDescriptor {
    magic: abi::MAGIC,
    struct_size: size_of::<PluginDescriptor>() as u32,
    abi_major: abi::ABI_VERSION_MAJOR,
    abi_minor: abi::ABI_VERSION_MINOR,
    capabilities: abi::CAPABILITY_SCORER | abi::CAPABILITY_CONTACT_STRATEGY,
    name: StrRef::from_str("fuzz-output"),
    version: StrRef::from_str("0.0.0"),
    build_fingerprint: StrRef::from_str("arrears-fuzz plugin_output abi 1.1"),
    init: Some(init),
    destroy: Some(destroy),
    score_batch: Some(score_batch),
    propose_contacts_batch: Some(propose_contacts_batch),
    reason_codes: Some(reason_codes),
});

/// The instance handle `init` hands out: the plugin keeps its state in the script.
static INSTANCE: u8 = 0;

extern "C" fn entry() -> *const PluginDescriptor {
    &DESCRIPTOR.0
}

fn plugin() -> &'static LoadedPlugin {
    static PLUGIN: OnceLock<LoadedPlugin> = OnceLock::new();
    PLUGIN.get_or_init(|| {
        // SAFETY: `entry` is callable from any thread and returns a static descriptor whose
        // strings and functions live for the process; the functions follow the ABI.
        let entry = unsafe { StaticPlugin::new_unchecked(entry) };
        LoadedPlugin::from_static(entry).expect("the fuzz plugin's descriptor is valid")
    })
}

fn stride_fits<T>(stride_bytes: usize) -> bool {
    // Alignments are powers of two.
    size_of::<T>() <= stride_bytes && stride_bytes & (align_of::<T>() - 1) == 0
}

/// Writes error text from the input: a claimed length, reported as is, and at most
/// `capacity_bytes` bytes.
///
/// # Safety
///
/// `error` must be null or a valid buffer descriptor whose `ptr` is null or valid for
/// `capacity_bytes` writes.
unsafe fn write_error(error: *mut ErrorBuffer, script: &mut Script) {
    // SAFETY: per this function's contract.
    let Some(buffer) = (unsafe { error.as_mut() }) else { return };
    let claimed = script.count();
    if buffer.ptr.is_null() {
        return;
    }
    for offset in 0..claimed.min(buffer.capacity_bytes) {
        // SAFETY: `offset < capacity_bytes`.
        unsafe { buffer.ptr.add(offset).write(script.byte()) };
    }
    buffer.len_bytes = claimed;
}

/// `init`: see [`abi::InitFn`].
///
/// # Safety
///
/// As the ABI: `instance_out` valid for a write, `error` null or a valid buffer.
unsafe extern "C" fn init(
    _host: *const HostApi,
    _config: StrRef,
    instance_out: *mut *mut c_void,
    error: *mut ErrorBuffer,
) -> u32 {
    if instance_out.is_null() {
        return Status::InvalidArgument.code();
    }
    script(|script| {
        let mode = script.byte();
        if mode & 0x0F != 0x0F {
            // SAFETY: checked non-null; the host passes a valid out-pointer.
            unsafe { instance_out.write(std::ptr::addr_of!(INSTANCE).cast_mut().cast()) };
            return Status::Ok.code();
        }
        if mode & 0x10 != 0 {
            return Status::Ok.code();
        }
        let status = u32::from(script.byte() % 10);
        // SAFETY: the host passes null or a valid error buffer.
        unsafe { write_error(error, script) };
        status
    })
}

/// `destroy`: see [`abi::DestroyFn`]. Nothing to free.
///
/// # Safety
///
/// None needed: the handle is not dereferenced.
unsafe extern "C" fn destroy(_instance: *mut c_void) {}

/// `reason_codes`: see [`abi::ReasonCodesFn`].
///
/// # Safety
///
/// As the ABI: `codes_out` valid for `capacity` writes, `count_out` for one.
unsafe extern "C" fn reason_codes(
    _instance: *mut c_void,
    codes_out: *mut StrRef,
    capacity: usize,
    count_out: *mut usize,
) -> u32 {
    if count_out.is_null() || (capacity > 0 && codes_out.is_null()) {
        return Status::InvalidArgument.code();
    }
    script(|script| {
        let mode = script.byte();
        let known = |take: usize| KNOWN_CODES.iter().take(take).map(|code| StrRef::from_str(code));
        let mut status = Status::Ok.code();
        let mut count = None;
        let codes: Vec<StrRef> = match mode & 3 {
            0 => Vec::new(),
            1 => known(KNOWN_CODES.len()).collect(),
            2 => known(usize::from(mode >> 2) % KNOWN_CODES.len() + 1).collect(),
            _ => {
                let odd: Vec<StrRef> = (0..script.byte() % 5)
                    .map(|_| {
                        let code = ODD_CODES[usize::from(script.byte()) % ODD_CODES.len()];
                        StrRef { ptr: code.as_ptr(), len_bytes: code.len() }
                    })
                    .collect();
                count = Some(script.count());
                if mode & 0x80 != 0 {
                    status = u32::from(script.byte() % 10);
                }
                odd
            }
        };
        for (index, code) in codes.iter().take(capacity).enumerate() {
            // SAFETY: `index < capacity`; the strings are static, so they outlive the instance.
            unsafe { codes_out.add(index).write(*code) };
        }
        // SAFETY: checked non-null.
        unsafe { count_out.write(count.unwrap_or(codes.len())) };
        status
    })
}

/// Reports the count, status and error text `shape` asks for, and records them.
///
/// # Safety
///
/// `count_out` valid for a write; `error` null or a valid buffer.
unsafe fn finish(
    script: &mut Script,
    shape: u8,
    written: usize,
    capacity: usize,
    count_out: *mut usize,
    error: *mut ErrorBuffer,
) -> u32 {
    let count = match shape & 3 {
        2 => capacity.saturating_add(1),
        3 => script.count(),
        _ => written,
    };
    let status = match (shape >> 2) & 3 {
        2 => u32::from(script.byte() % 10),
        3 => script.u32(),
        _ => Status::Ok.code(),
    };
    if shape & SHAPE_ERROR_TEXT != 0 {
        // SAFETY: per this function's contract.
        unsafe { write_error(error, script) };
    }
    // SAFETY: per this function's contract.
    unsafe { count_out.write(count) };
    script.count = count;
    script.status = status;
    status
}

fn reason_code(script: &mut Script) -> ReasonCode {
    let tag = script.byte();
    let mut code = EMPTY_REASON;
    if tag & 0x80 == 0 {
        let known = KNOWN_CODES[usize::from(tag) % KNOWN_CODES.len()];
        for (byte, known) in code.bytes.iter_mut().zip(known.as_bytes()) {
            *byte = *known;
        }
        code.len_bytes = known.len() as u32;
    } else {
        code.len_bytes = if tag == 0xFF { script.u32() } else { u32::from(tag & 0x7F) };
        for byte in code.bytes.iter_mut().take(code.len_bytes as usize) {
            *byte = script.byte();
        }
    }
    code
}

fn score_output(script: &mut Script) -> ScoreOutput {
    let mut output = ZERO_SCORE;
    output.points = f64::from_bits(script.u64());
    output.reason_count = u32::from(script.byte());
    for reason in output.reasons.iter_mut().take(output.reason_count as usize) {
        *reason = reason_code(script);
    }
    output
}

/// `score_batch`: see [`abi::ScoreBatchFn`]. Ignores the inputs.
///
/// # Safety
///
/// As the ABI: `input_count` outputs at `output_stride_bytes`, `output_count_out` valid for a
/// write, `error` null or a valid buffer.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn score_batch(
    _instance: *mut c_void,
    _inputs: *const ScoreInput,
    _input_stride_bytes: usize,
    input_count: usize,
    outputs: *mut ScoreOutput,
    output_stride_bytes: usize,
    output_count_out: *mut usize,
    error: *mut ErrorBuffer,
) -> u32 {
    if output_count_out.is_null()
        || !stride_fits::<ScoreOutput>(output_stride_bytes)
        || (input_count > 0 && outputs.is_null())
    {
        return Status::InvalidArgument.code();
    }
    script(|script| {
        script.calls += 1;
        script.scores.clear();
        let shape = script.byte();
        let wanted =
            if shape & SHAPE_PARTIAL != 0 { usize::from(script.byte()) } else { input_count };
        let written = wanted.min(input_count).min(WRITTEN_MAX);
        for index in 0..written {
            let output = score_output(script);
            // SAFETY: `index < input_count`: the host owns that many outputs at this stride.
            unsafe {
                outputs
                    .cast::<u8>()
                    .add(index * output_stride_bytes)
                    .cast::<ScoreOutput>()
                    .write(output);
            }
            script.scores.push(output);
        }
        // SAFETY: `output_count_out` checked non-null; `error` as the ABI.
        unsafe { finish(script, shape, written, input_count, output_count_out, error) }
    })
}

/// The request at `index`, if there is one.
///
/// # Safety
///
/// `requests` valid for `request_count` requests at `stride_bytes` (checked by the caller to
/// fit the struct) for `'a`.
unsafe fn request_at<'a>(
    requests: *const ContactRequestInput,
    stride_bytes: usize,
    request_count: usize,
    index: u32,
) -> Option<&'a ContactRequestInput> {
    let index = usize::try_from(index).ok().filter(|index| *index < request_count)?;
    // SAFETY: `index < request_count`, per this function's contract.
    Some(unsafe { &*requests.cast::<u8>().add(index * stride_bytes).cast::<ContactRequestInput>() })
}

/// The contact point at `index` of `request`, if there is one.
///
/// # Safety
///
/// `request`'s contact point array must be valid for `contact_point_count` reads.
unsafe fn point_at(
    request: Option<&ContactRequestInput>,
    index: u32,
) -> Option<&ContactPointInput> {
    let request = request?;
    let index = usize::try_from(index).ok().filter(|index| *index < request.contact_point_count)?;
    if request.contact_points.is_null() {
        return None;
    }
    // SAFETY: `index < contact_point_count`, per this function's contract.
    Some(unsafe { &*request.contact_points.add(index) })
}

/// # Safety
///
/// As [`request_at`], with each request's arrays valid for the call.
unsafe fn proposal_output(
    script: &mut Script,
    requests: *const ContactRequestInput,
    stride_bytes: usize,
    request_count: usize,
) -> ContactProposalOutput {
    let mut output = ZERO_PROPOSAL;
    output.request_index = script.index();
    output.contact_point_index = script.index();
    // SAFETY: per this function's contract.
    let request =
        unsafe { request_at(requests, stride_bytes, request_count, output.request_index) };
    let channel_tag = script.byte();
    // SAFETY: the host's request arrays are valid for the call.
    let point = unsafe { point_at(request, output.contact_point_index) };
    output.channel = match (channel_tag, point) {
        (0..0x80, Some(point)) => point.channel,
        (0..0xF0, _) => u32::from(channel_tag & 7),
        _ => script.u32(),
    };
    let time_tag = script.byte();
    output.at_unix_us = if time_tag < 0xC0 {
        let day_start_us = i64::from(request.map_or(0, |request| request.as_of_days))
            .saturating_mul(MICROS_PER_DAY);
        day_start_us.saturating_add((i64::from(time_tag) - 32) * SIX_HOURS_US)
    } else {
        script.u64() as i64
    };
    let len_tag = script.byte();
    output.template_len_bytes =
        if len_tag == 0xFF { script.u32() } else { u32::from(len_tag & 0x3F) };
    for byte in output.template.iter_mut().take(output.template_len_bytes as usize) {
        *byte = script.byte();
    }
    output
}

/// `propose_contacts_batch`: see [`abi::ProposeContactsBatchFn`].
///
/// # Safety
///
/// As the ABI: `request_count` requests at `request_stride_bytes` valid for the call,
/// `output_capacity` outputs at `output_stride_bytes`, `output_count_out` valid for a write,
/// `error` null or a valid buffer.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn propose_contacts_batch(
    _instance: *mut c_void,
    requests: *const ContactRequestInput,
    request_stride_bytes: usize,
    request_count: usize,
    outputs: *mut ContactProposalOutput,
    output_stride_bytes: usize,
    output_capacity: usize,
    output_count_out: *mut usize,
    error: *mut ErrorBuffer,
) -> u32 {
    if output_count_out.is_null()
        || !stride_fits::<ContactRequestInput>(request_stride_bytes)
        || !stride_fits::<ContactProposalOutput>(output_stride_bytes)
        || (request_count > 0 && requests.is_null())
        || (output_capacity > 0 && outputs.is_null())
    {
        return Status::InvalidArgument.code();
    }
    script(|script| {
        script.calls += 1;
        script.proposals.clear();
        let shape = script.byte();
        let wanted =
            if shape & SHAPE_PARTIAL != 0 { usize::from(script.byte()) } else { request_count };
        let written = wanted.min(output_capacity).min(WRITTEN_MAX);
        for index in 0..written {
            // SAFETY: the host passes `request_count` requests at this (checked) stride, and
            // their arrays, valid for the call.
            let output =
                unsafe { proposal_output(script, requests, request_stride_bytes, request_count) };
            // SAFETY: `index < output_capacity`: the host owns that many outputs at this stride.
            unsafe {
                outputs
                    .cast::<u8>()
                    .add(index * output_stride_bytes)
                    .cast::<ContactProposalOutput>()
                    .write(output);
            }
            script.proposals.push(output);
        }
        // SAFETY: `output_count_out` checked non-null; `error` as the ABI.
        unsafe { finish(script, shape, written, output_capacity, output_count_out, error) }
    })
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn features() -> Vec<Features> {
    let account = |id: u64, days_past_due: i64, credit_limit_minor: Option<i64>| Features {
        account: AccountId(id),
        debtor: DebtorId(id / 2),
        product: ProductKind::TradeCredit,
        as_of: day("2026-11-20"),
        currency: arrears::money::Currency::EUR,
        days_past_due,
        total_outstanding_minor: 15_000,
        past_due_minor: 5_000,
        credit_limit_minor,
        months_on_book: 14,
        payments_90d: 1,
        paid_90d_minor: 2_000,
        reversals_90d: 0,
        broken_promises: 2,
        kept_promises: 0,
        attempts_30d: 2,
        right_party_contacts_30d: 0,
        calls_30d: 0,
    };
    vec![account(7, 45, None), account(8, 0, Some(50_000)), account(9, 400, Some(0))]
}

fn point(channel: ContactChannel, address: &str, consent: bool) -> ContactPoint {
    ContactPoint {
        channel,
        address: address.into(),
        kind: ContactPointKind::Personal,
        consent,
        opted_out: false,
    }
}

/// Three debtors: two contact points, one, and none (any proposal for it is bad).
fn contact_requests() -> Vec<ContactRequest> {
    let steps = vec![
        ContactStep { channel: ContactChannel::Sms, template: "sms_reminder".into(), tone: None },
        ContactStep { channel: ContactChannel::Phone, template: "call_1".into(), tone: None },
    ];
    let score = Score { points: 300.0, band: "very_high_risk".into(), reasons: Vec::new() };
    vec![
        ContactRequest {
            debtor: DebtorId(3),
            accounts: vec![AccountId(7)],
            as_of: day("2026-03-02"),
            steps: steps.clone(),
            contact_points: vec![
                point(ContactChannel::Sms, "+15550001", true),
                point(ContactChannel::Phone, "+15550002", false),
            ],
            time_zones: vec!["America/Chicago".into()],
            score: Some(score),
            history: Vec::new(),
        },
        ContactRequest {
            debtor: DebtorId(4),
            accounts: vec![AccountId(8), AccountId(9)],
            as_of: day("2026-03-02"),
            steps: steps.clone(),
            contact_points: vec![point(ContactChannel::Email, "a@example.com", true)],
            time_zones: vec!["Europe/Berlin".into()],
            score: None,
            history: Vec::new(),
        },
        ContactRequest {
            debtor: DebtorId(5),
            accounts: vec![AccountId(10)],
            as_of: day("2025-12-31"),
            steps,
            contact_points: Vec::new(),
            time_zones: Vec::new(),
            score: None,
            history: Vec::new(),
        },
    ]
}

/// A status other than OK is never data: it is `Failed` with that status, or `Panicked` /
/// `Poisoned` with the instance poisoned. An OK status never poisons.
fn check_status<T>(instance: &PluginInstance, status: u32, result: &Result<T, PluginCallError>) {
    if status == Status::Ok.code() {
        assert!(!instance.is_poisoned(), "an OK status poisoned the instance");
        return;
    }
    let Err(error) = result else { panic!("status {status} came back as data") };
    let expected = match Status::from_code(status) {
        Some(Status::Panicked) => {
            matches!(error, PluginCallError::Panicked { .. }) && instance.is_poisoned()
        }
        Some(Status::Poisoned) => {
            matches!(error, PluginCallError::Poisoned { .. }) && instance.is_poisoned()
        }
        _ => matches!(error, PluginCallError::Failed { status: found, .. } if *found == status),
    };
    assert!(expected, "status {status} came back as {error:?}");
}

fn check_scores(instance: &PluginInstance, batch: usize) {
    let requests: Vec<ScoreRequest> = features()
        .into_iter()
        .take(batch)
        .map(|features| ScoreRequest {
            features: Some(features),
            as_of: None,
            attributes: Vec::new(),
        })
        .collect();
    script(|script| script.status = Status::Ok.code());
    let result = instance.score_batch(&requests);
    let (status, written) = script(|script| (script.status, std::mem::take(&mut script.scores)));
    check_status(instance, status, &result);
    let Ok(scores) = result else { return };
    assert_eq!(scores.len(), requests.len(), "one score per input");
    for (index, score) in scores.iter().enumerate() {
        assert!(score.points.is_finite(), "{score:?}");
        assert!(
            (abi::SCORE_POINTS_MIN..=abi::SCORE_POINTS_MAX).contains(&score.points),
            "{score:?}"
        );
        assert!(score.reasons.len() <= abi::REASONS_MAX, "{score:?}");
        for reason in &score.reasons {
            assert!(!reason.is_empty() && reason.is_ascii(), "{reason:?}");
            assert!(reason.len() <= abi::REASON_CODE_BYTES_MAX, "{reason:?}");
            if let Some(declared) = instance.declared_reasons() {
                assert!(declared.contains(reason), "{reason:?} is not declared");
            }
        }
        // Exactly what the plugin wrote (the host's buffer starts zeroed), but a negative zero,
        // which the host keeps as zero (it prints "0").
        let output = written.get(index).copied().unwrap_or(ZERO_SCORE);
        let points = if output.points == 0.0 { 0.0 } else { output.points };
        assert_eq!(score.points.to_bits(), points.to_bits(), "score {index}");
        let expected: Vec<&[u8]> = output
            .reasons
            .iter()
            .take(output.reason_count as usize)
            .map(|code| code.bytes.get(..code.len_bytes as usize).unwrap_or(&[]))
            .collect();
        let found: Vec<&[u8]> = score.reasons.iter().map(|reason| reason.as_bytes()).collect();
        assert_eq!(found, expected, "reasons of score {index}");
    }
}

fn check_proposals(instance: &PluginInstance, batch: usize) {
    let mut requests = contact_requests();
    requests.truncate(batch);
    script(|script| script.status = Status::Ok.code());
    let result = instance.propose_batch(&requests, &[]);
    let (status, count, written) =
        script(|script| (script.status, script.count, std::mem::take(&mut script.proposals)));
    check_status(instance, status, &result);
    let Ok(proposals) = result else { return };
    assert!(proposals.len() <= requests.len() * PROPOSALS_PER_REQUEST_MAX, "{proposals:?}");
    assert_eq!(proposals.len(), count, "one proposal per reported output");
    let epoch = day("1970-01-01");
    let mut per_request = vec![0usize; requests.len()];
    for (index, proposal) in proposals.iter().enumerate() {
        // What any caller may rely on: a request's debtor and accounts, one of its contact
        // points (channel and address), a non-empty ASCII template, a time in the window.
        let offered = requests.iter().any(|request| {
            request.debtor == proposal.debtor
                && request.accounts == proposal.accounts
                && request.contact_points.iter().any(|point| {
                    point.channel == proposal.channel && point.address == proposal.address
                })
        });
        assert!(offered, "proposal {index} was not offered: {proposal:?}");
        assert!(!proposal.template.is_empty() && proposal.template.is_ascii(), "{proposal:?}");
        assert!(proposal.template.len() <= abi::TEMPLATE_BYTES_MAX, "{proposal:?}");
        // Exactly what the plugin wrote (the host's buffer starts zeroed).
        let output = written.get(index).copied().unwrap_or(ZERO_PROPOSAL);
        let request_index = output.request_index as usize;
        let Some(request) = requests.get(request_index) else {
            panic!("proposal {index} answers no request: {output:?}")
        };
        per_request[request_index] += 1;
        assert!(per_request[request_index] <= PROPOSALS_PER_REQUEST_MAX, "request {request_index}");
        assert_eq!((proposal.debtor, &proposal.accounts), (request.debtor, &request.accounts));
        let Some(point) = request.contact_points.get(output.contact_point_index as usize) else {
            panic!("proposal {index} names no contact point: {output:?}")
        };
        assert_eq!((proposal.channel, proposal.address.as_str()), (point.channel, &*point.address));
        assert_eq!(channel_code(proposal.channel), output.channel, "proposal {index}");
        let template = output.template.get(..output.template_len_bytes as usize);
        assert_eq!(Some(proposal.template.as_bytes()), template, "proposal {index}");
        let at_unix_us = proposal.at.timestamp_micros();
        assert_eq!(at_unix_us, output.at_unix_us, "proposal {index}");
        let day_start_us = (request.as_of - epoch).num_days() * MICROS_PER_DAY;
        let window = day_start_us - MICROS_PER_DAY
            ..=day_start_us + PROPOSAL_HORIZON_DAYS_MAX * MICROS_PER_DAY;
        assert!(window.contains(&at_unix_us), "proposal {index} at {at_unix_us}");
    }
}

/// Plugin outputs as the host validates them: a plugin writing the input's bytes, called
/// through `arrears::plugin_host` on fresh instances. Every error is fine; every `Ok` holds
/// exactly what the plugin wrote and satisfies the ABI's limits; nothing panics.
pub fn plugin_output(data: &[u8]) {
    let plugin = plugin();
    script(|script| *script = Script { bytes: data.to_vec(), ..Script::default() });
    for round in 0..CALLS_MAX {
        let (exhausted, op) = script(|script| (script.exhausted(), script.byte()));
        if round > 0 && exhausted {
            break;
        }
        // A fresh instance per call: a poisoned one refuses everything after.
        let Ok(instance) = plugin.instantiate("") else { continue };
        if let Some(declared) = instance.declared_reasons() {
            assert!(!declared.is_empty(), "an empty declared list declares nothing");
        }
        let batch = usize::from(op >> 1) % 3 + 1;
        if op & 1 == 0 {
            check_scores(&instance, batch);
        } else {
            check_proposals(&instance, batch);
        }
        if instance.is_poisoned() {
            // A poisoned instance refuses without calling the plugin.
            let calls = script(|script| script.calls);
            let again = instance.score_batch(&[ScoreRequest::default()]);
            assert!(matches!(again, Err(PluginCallError::Poisoned { .. })), "{again:?}");
            assert_eq!(script(|script| script.calls), calls, "a poisoned instance was called");
        }
    }
}
