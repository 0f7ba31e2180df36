//! The `extern "C"` glue that [`crate::export_plugin!`] instantiates for a [`Plugin`].
//!
//! Every entry point checks its pointers, bounds its loops with the `*_MAX` limits, and runs
//! the plugin's code inside `catch_unwind`: a panic becomes [`Status::Panicked`] and poisons
//! the instance, which then answers every call with [`Status::Poisoned`]. Since Rust 1.81 a
//! panic escaping an `extern "C"` function aborts the process, so this is what keeps a host
//! alive.
#![allow(unsafe_code)]

use core::ffi::c_void;
use core::mem::{align_of, size_of};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::abi::{
    self, Attribute, ContactHistoryEntry, ContactPointInput, ContactProposalOutput,
    ContactRequestInput, ContactStepInput, EntryFn, ErrorBuffer, HostApi, PluginDescriptor,
    ReasonCode, ScoreInput, ScoreOutput, Status, StrRef,
};
use crate::plugin::{
    AttributeValue, ContactPointView, ContactRequestView, Host, Plugin, PluginError, ScoreRecord,
};

/// One instance: the plugin value, its poison flag and its declared reason codes (kept here
/// so the strings handed out by `reason_codes` live until `destroy`).
struct Instance<P> {
    plugin: P,
    poisoned: AtomicBool,
    reason_codes: Vec<String>,
}

/// A descriptor in a `static`. The raw pointers in it point to `'static` data, so sharing it
/// between threads is sound.
#[derive(Debug)]
pub struct StaticDescriptor(PluginDescriptor);

// SAFETY: the descriptor is immutable and its pointers point to `'static` strings and
// functions.
unsafe impl Sync for StaticDescriptor {}

impl StaticDescriptor {
    /// The descriptor of plugin `P` with the current ABI version.
    pub const fn new<P: Plugin>(
        name: &'static str,
        version: &'static str,
        build_fingerprint: &'static str,
        capabilities: u32,
    ) -> StaticDescriptor {
        let scores = capabilities & abi::CAPABILITY_SCORER != 0;
        let proposes = capabilities & abi::CAPABILITY_CONTACT_STRATEGY != 0;
        StaticDescriptor(PluginDescriptor {
            magic: abi::MAGIC,
            struct_size: size_of::<PluginDescriptor>() as u32,
            abi_major: abi::ABI_VERSION_MAJOR,
            abi_minor: abi::ABI_VERSION_MINOR,
            capabilities,
            name: StrRef::from_str(name),
            version: StrRef::from_str(version),
            build_fingerprint: StrRef::from_str(build_fingerprint),
            init: Some(init::<P>),
            destroy: Some(destroy::<P>),
            score_batch: if scores { Some(score_batch::<P>) } else { None },
            propose_contacts_batch: if proposes { Some(propose_contacts_batch::<P>) } else { None },
            reason_codes: Some(reason_codes::<P>),
        })
    }

    /// A pointer to the descriptor, valid for the life of the process.
    pub fn as_ptr(&'static self) -> *const PluginDescriptor {
        &self.0
    }
}

/// The entry point of a plugin linked into the host binary: the same vtable as a loaded
/// library, without `dlopen`.
#[derive(Debug, Clone, Copy)]
pub struct StaticPlugin {
    entry: EntryFn,
}

impl StaticPlugin {
    /// Wraps an entry function.
    ///
    /// # Safety
    ///
    /// `entry` must follow the ABI: callable with no arguments from any thread, returning
    /// null or a pointer to a descriptor, and the strings and functions it references, that
    /// stay valid for the life of the process. [`crate::export_plugin!`] generates such a
    /// function.
    pub const unsafe fn new_unchecked(entry: EntryFn) -> StaticPlugin {
        StaticPlugin { entry }
    }

    /// The entry function.
    pub fn entry(self) -> EntryFn {
        self.entry
    }
}

/// Writes `message` (truncated at a character boundary) into the caller's buffer.
fn write_error(error: *mut ErrorBuffer, message: &str) {
    // SAFETY: the caller passes null or a valid buffer descriptor, per the ABI.
    let Some(buffer) = (unsafe { error.as_mut() }) else { return };
    if buffer.ptr.is_null() {
        buffer.len_bytes = 0;
        return;
    }
    let mut end = message.len().min(buffer.capacity_bytes);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    // SAFETY: `ptr` is valid for `capacity_bytes` writes and `end <= capacity_bytes`.
    unsafe { core::ptr::copy_nonoverlapping(message.as_ptr(), buffer.ptr, end) };
    buffer.len_bytes = end;
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

/// Runs `body` for an instance: refuses if poisoned, catches panics and poisons.
fn guard(
    poisoned: Option<&AtomicBool>,
    error: *mut ErrorBuffer,
    body: impl FnOnce() -> Result<(), PluginError>,
) -> u32 {
    if poisoned.is_some_and(|flag| flag.load(Ordering::Acquire)) {
        write_error(error, "instance is poisoned: it panicked in an earlier call");
        return Status::Poisoned.code();
    }
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => Status::Ok.code(),
        Ok(Err(plugin_error)) => {
            write_error(error, plugin_error.message());
            plugin_error.status().code()
        }
        Err(payload) => {
            if let Some(flag) = poisoned {
                flag.store(true, Ordering::Release);
            }
            write_error(error, &format!("plugin panicked: {}", panic_text(&*payload)));
            Status::Panicked.code()
        }
    }
}

#[cold]
fn invalid(message: &str) -> PluginError {
    PluginError::new(Status::InvalidArgument, message)
}

fn check_stride<T>(stride_bytes: usize) -> Result<(), PluginError> {
    if stride_bytes < size_of::<T>() || stride_bytes % align_of::<T>() != 0 {
        return Err(invalid("stride smaller than the struct or misaligned"));
    }
    Ok(())
}

/// A borrowed string of at most `len_max` bytes.
///
/// # Safety
///
/// `text.ptr` must be valid for `text.len_bytes` reads for `'a` (or `len_bytes` 0).
unsafe fn text_from<'a>(text: StrRef, len_max: usize) -> Result<&'a str, PluginError> {
    if text.len_bytes == 0 {
        return Ok("");
    }
    if text.ptr.is_null() || len_max < text.len_bytes {
        return Err(invalid("string pointer null or string too long"));
    }
    // SAFETY: per this function's contract.
    let bytes = unsafe { core::slice::from_raw_parts(text.ptr, text.len_bytes) };
    core::str::from_utf8(bytes).map_err(|_| PluginError::bad_input("string is not UTF-8"))
}

/// A borrowed array of at most `count_max` items.
///
/// # Safety
///
/// `ptr` must be valid for `count` reads of `T` for `'a` (or `count` 0).
unsafe fn slice_from<'a, T>(
    ptr: *const T,
    count: usize,
    count_max: usize,
) -> Result<&'a [T], PluginError> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() || count_max < count || !ptr.is_aligned() {
        return Err(invalid("array pointer null or misaligned, or too many items"));
    }
    // SAFETY: per this function's contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, count) })
}

/// # Safety
///
/// `raw`'s pointers must be valid for the call, per the ABI.
unsafe fn score_record(raw: &ScoreInput) -> Result<ScoreRecord<'_>, PluginError> {
    // SAFETY: the host passes valid attribute arrays for the call.
    let attributes: &[Attribute] =
        unsafe { slice_from(raw.attributes, raw.attribute_count, abi::ATTRIBUTES_MAX)? };
    let mut decoded = Vec::with_capacity(attributes.len());
    for attribute in attributes {
        // SAFETY: as above, strings are borrowed for the call.
        let name = unsafe { text_from(attribute.name, abi::STRING_BYTES_MAX)? };
        let value = match attribute.kind {
            abi::ATTRIBUTE_MISSING => AttributeValue::Missing,
            abi::ATTRIBUTE_NUMBER => AttributeValue::Number(attribute.number),
            abi::ATTRIBUTE_TEXT => {
                // SAFETY: as above.
                AttributeValue::Text(unsafe { text_from(attribute.text, abi::STRING_BYTES_MAX)? })
            }
            _ => {
                return Err(PluginError::bad_input(format!("attribute {name:?} has unknown kind")))
            }
        };
        decoded.push((name, value));
    }
    Ok(ScoreRecord { raw, attributes: decoded })
}

fn reason_code(code: &str) -> Result<ReasonCode, PluginError> {
    let mut bytes = [0u8; abi::REASON_CODE_BYTES_MAX];
    let Some(target) = bytes.get_mut(..code.len()) else {
        return Err(PluginError::new(
            Status::Internal,
            format!("reason code {code:?} longer than {} bytes", abi::REASON_CODE_BYTES_MAX),
        ));
    };
    target.copy_from_slice(code.as_bytes());
    Ok(ReasonCode { len_bytes: code.len() as u32, bytes })
}

/// `init`: see [`abi::InitFn`].
///
/// # Safety
///
/// Pointers as in the ABI: `host` null or valid for the instance's life, `config` valid for
/// the call, `instance_out` and `error` valid for writes.
pub unsafe extern "C" fn init<P: Plugin>(
    host: *const HostApi,
    config: StrRef,
    instance_out: *mut *mut c_void,
    error: *mut ErrorBuffer,
) -> u32 {
    if instance_out.is_null() {
        write_error(error, "instance_out is null");
        return Status::InvalidArgument.code();
    }
    guard(None, error, || {
        // SAFETY: the host table is null or valid for the instance's life.
        let host = Host::from_table(unsafe { host.as_ref() });
        // SAFETY: the configuration is borrowed for the call.
        let config = unsafe { text_from(config, abi::CONFIG_BYTES_MAX)? };
        let plugin = P::init(config, host)?;
        let reason_codes = plugin.reason_codes();
        if abi::DECLARED_REASON_CODES_MAX < reason_codes.len() {
            return Err(PluginError::new(Status::Internal, "too many declared reason codes"));
        }
        let instance =
            Box::new(Instance { plugin, poisoned: AtomicBool::new(false), reason_codes });
        // SAFETY: checked non-null above; the host owns the handle until `destroy`.
        unsafe { instance_out.write(Box::into_raw(instance).cast()) };
        Ok(())
    })
}

/// `destroy`: see [`abi::DestroyFn`].
///
/// # Safety
///
/// `instance` must be null or come from [`init`] of the same `P`, and not be used again.
pub unsafe extern "C" fn destroy<P: Plugin>(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    // SAFETY: per this function's contract, the box came from `init::<P>`.
    let instance = unsafe { Box::from_raw(instance.cast::<Instance<P>>()) };
    // A panicking destructor must not unwind into the host.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
}

/// `score_batch`: see [`abi::ScoreBatchFn`].
///
/// # Safety
///
/// `instance` from [`init`] of the same `P`; arrays valid for the call with the given
/// strides; `output_count_out` and `error` valid for writes.
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn score_batch<P: Plugin>(
    instance: *mut c_void,
    inputs: *const ScoreInput,
    input_stride_bytes: usize,
    input_count: usize,
    outputs: *mut ScoreOutput,
    output_stride_bytes: usize,
    output_count_out: *mut usize,
    error: *mut ErrorBuffer,
) -> u32 {
    if instance.is_null() || output_count_out.is_null() {
        write_error(error, "instance or output_count_out is null");
        return Status::InvalidArgument.code();
    }
    // SAFETY: `instance` came from `init::<P>` and lives until `destroy`.
    let instance = unsafe { &*instance.cast::<Instance<P>>() };
    // SAFETY: checked non-null.
    unsafe { output_count_out.write(0) };
    guard(Some(&instance.poisoned), error, || {
        check_stride::<ScoreInput>(input_stride_bytes)?;
        check_stride::<ScoreOutput>(output_stride_bytes)?;
        if abi::BATCH_LEN_MAX < input_count {
            return Err(invalid("batch larger than BATCH_LEN_MAX"));
        }
        if input_count > 0 && (inputs.is_null() || outputs.is_null()) {
            return Err(invalid("inputs or outputs null"));
        }
        for index in 0..input_count {
            // SAFETY: the host passes `input_count` inputs at this stride.
            let raw = unsafe {
                &*inputs.cast::<u8>().add(index * input_stride_bytes).cast::<ScoreInput>()
            };
            // SAFETY: the input's pointers are valid for the call.
            let record = unsafe { score_record(raw)? };
            let scored = instance.plugin.score(&record)?;
            if abi::REASONS_MAX < scored.reasons.len() {
                return Err(PluginError::new(Status::Internal, "more than REASONS_MAX reasons"));
            }
            let mut output = ScoreOutput {
                points: scored.points,
                reason_count: scored.reasons.len() as u32,
                reserved: 0,
                reasons: [ReasonCode { len_bytes: 0, bytes: [0; abi::REASON_CODE_BYTES_MAX] };
                    abi::REASONS_MAX],
            };
            for (slot, code) in output.reasons.iter_mut().zip(&scored.reasons) {
                *slot = reason_code(code)?;
            }
            // SAFETY: the host owns `input_count` outputs at this stride.
            unsafe {
                outputs
                    .cast::<u8>()
                    .add(index * output_stride_bytes)
                    .cast::<ScoreOutput>()
                    .write(output);
                output_count_out.write(index + 1);
            }
        }
        Ok(())
    })
}

/// `propose_contacts_batch`: see [`abi::ProposeContactsBatchFn`].
///
/// # Safety
///
/// As [`score_batch`], with `output_capacity` outputs.
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn propose_contacts_batch<P: Plugin>(
    instance: *mut c_void,
    requests: *const ContactRequestInput,
    request_stride_bytes: usize,
    request_count: usize,
    outputs: *mut ContactProposalOutput,
    output_stride_bytes: usize,
    output_capacity: usize,
    output_count_out: *mut usize,
    error: *mut ErrorBuffer,
) -> u32 {
    if instance.is_null() || output_count_out.is_null() {
        write_error(error, "instance or output_count_out is null");
        return Status::InvalidArgument.code();
    }
    // SAFETY: `instance` came from `init::<P>` and lives until `destroy`.
    let instance = unsafe { &*instance.cast::<Instance<P>>() };
    // SAFETY: checked non-null.
    unsafe { output_count_out.write(0) };
    guard(Some(&instance.poisoned), error, || {
        check_stride::<ContactRequestInput>(request_stride_bytes)?;
        // An older host (ABI 1.0, 1.1) passes the smaller stride of outputs without `tone`:
        // those bytes are written, the tone dropped.
        if output_stride_bytes < abi::PROPOSAL_OUTPUT_SIZE_V1_1
            || output_stride_bytes % align_of::<ContactProposalOutput>() != 0
        {
            return Err(invalid("stride smaller than the struct or misaligned"));
        }
        let output_size_bytes = output_stride_bytes.min(size_of::<ContactProposalOutput>());
        if abi::BATCH_LEN_MAX < request_count {
            return Err(invalid("batch larger than BATCH_LEN_MAX"));
        }
        if request_count > 0 && requests.is_null() || output_capacity > 0 && outputs.is_null() {
            return Err(invalid("requests or outputs null"));
        }
        let mut written = 0usize;
        for index in 0..request_count {
            // SAFETY: the host passes `request_count` requests at this stride.
            let raw = unsafe {
                &*requests
                    .cast::<u8>()
                    .add(index * request_stride_bytes)
                    .cast::<ContactRequestInput>()
            };
            // SAFETY: the request's arrays and strings are valid for the call.
            let view = unsafe { request_view(raw)? };
            let proposals = instance.plugin.propose_with_tone(&view)?;
            if abi::PROPOSALS_PER_REQUEST_MAX < proposals.len() {
                return Err(PluginError::new(Status::Internal, "too many proposals for a request"));
            }
            for (proposal, tone) in proposals {
                if output_capacity <= written {
                    return Err(PluginError::new(Status::BufferTooSmall, "output capacity"));
                }
                let Some(point) = view.contact_points.get(proposal.contact_point_index) else {
                    return Err(PluginError::new(Status::Internal, "contact point out of range"));
                };
                let mut template = [0u8; abi::TEMPLATE_BYTES_MAX];
                let Some(target) = template.get_mut(..proposal.template.len()) else {
                    return Err(PluginError::new(Status::Internal, "template id too long"));
                };
                target.copy_from_slice(proposal.template.as_bytes());
                let output = ContactProposalOutput {
                    at_unix_us: proposal.at_unix_us,
                    request_index: index as u32,
                    channel: point.channel,
                    contact_point_index: proposal.contact_point_index as u32,
                    template_len_bytes: proposal.template.len() as u32,
                    template,
                    tone,
                    reserved: 0,
                };
                // SAFETY: `written < output_capacity` outputs at this stride are host-owned,
                // each at least `output_size_bytes` long.
                unsafe {
                    let target = outputs.cast::<u8>().add(written * output_stride_bytes);
                    write_prefix(&output, target, output_size_bytes);
                }
                written += 1;
                // SAFETY: checked non-null.
                unsafe { output_count_out.write(written) };
            }
        }
        Ok(())
    })
}

/// Writes the first `size_bytes` bytes of `output` (all of it, or ABI 1.1's prefix for an
/// older host) to `target`.
///
/// # Safety
///
/// `target` must be valid for `size_bytes` writes, and `size_bytes` at most the output's size.
unsafe fn write_prefix(output: &ContactProposalOutput, target: *mut u8, size_bytes: usize) {
    debug_assert!(size_bytes <= size_of::<ContactProposalOutput>());
    let source = core::ptr::from_ref(output).cast::<u8>();
    // SAFETY: per the caller; the source is a whole output, so `size_bytes` reads are valid.
    unsafe { core::ptr::copy_nonoverlapping(source, target, size_bytes) };
}

/// # Safety
///
/// `raw`'s pointers must be valid for the call, per the ABI.
unsafe fn request_view(raw: &ContactRequestInput) -> Result<ContactRequestView<'_>, PluginError> {
    // SAFETY (all three): the host passes arrays valid for the call.
    let steps: &[ContactStepInput] =
        unsafe { slice_from(raw.steps, raw.step_count, abi::REQUEST_ITEMS_MAX)? };
    let points: &[ContactPointInput] =
        unsafe { slice_from(raw.contact_points, raw.contact_point_count, abi::REQUEST_ITEMS_MAX)? };
    let history: &[ContactHistoryEntry] =
        unsafe { slice_from(raw.history, raw.history_count, abi::REQUEST_ITEMS_MAX)? };
    let mut step_views = Vec::with_capacity(steps.len());
    for step in steps {
        // SAFETY: strings are borrowed for the call.
        step_views
            .push((step.channel, unsafe { text_from(step.template, abi::STRING_BYTES_MAX)? }));
    }
    let step_tones = steps.iter().map(|step| step.tone).collect();
    let mut point_views = Vec::with_capacity(points.len());
    for point in points {
        point_views.push(ContactPointView {
            // SAFETY: strings are borrowed for the call.
            address: unsafe { text_from(point.address, abi::STRING_BYTES_MAX)? },
            channel: point.channel,
            kind: point.kind,
            consent: point.consent == 1,
            opted_out: point.opted_out == 1,
        });
    }
    Ok(ContactRequestView {
        raw,
        steps: step_views,
        step_tones,
        contact_points: point_views,
        history,
    })
}

/// `reason_codes`: see [`abi::ReasonCodesFn`].
///
/// # Safety
///
/// `instance` from [`init`] of the same `P`; `codes_out` valid for `capacity` writes;
/// `count_out` valid for a write.
pub unsafe extern "C" fn reason_codes<P: Plugin>(
    instance: *mut c_void,
    codes_out: *mut StrRef,
    capacity: usize,
    count_out: *mut usize,
) -> u32 {
    if instance.is_null() || count_out.is_null() || (capacity > 0 && codes_out.is_null()) {
        return Status::InvalidArgument.code();
    }
    // SAFETY: `instance` came from `init::<P>` and lives until `destroy`.
    let instance = unsafe { &*instance.cast::<Instance<P>>() };
    guard(Some(&instance.poisoned), core::ptr::null_mut(), || {
        // SAFETY: checked non-null.
        unsafe { count_out.write(instance.reason_codes.len()) };
        for (index, code) in instance.reason_codes.iter().take(capacity).enumerate() {
            // SAFETY: `index < capacity`; the strings live in the instance until `destroy`.
            unsafe { codes_out.add(index).write(StrRef::from_str(code)) };
        }
        Ok(())
    })
}
