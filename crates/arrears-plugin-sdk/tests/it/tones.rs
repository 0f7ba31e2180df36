//! ABI 1.2's tones through the SDK glue: a plugin reads each step's tone and returns the tone
//! it chose; to a host of ABI 1.0 or 1.1, which passes the smaller output stride, it writes
//! only the bytes of that ABI's output (the tone dropped), never past them.
//!
//! The test calls the raw ABI, as a host would, so it needs `unsafe`.
#![allow(unsafe_code)]

use std::ffi::c_void;

use arrears_plugin_sdk::abi::{self, ContactPointInput, ContactStepInput, ErrorBuffer, StrRef};
use arrears_plugin_sdk::{runtime, ContactRequestView, Host, Plugin, PluginError, Proposal};

/// Proposes the first step, choosing the tone after it (a firm step gets a final notice).
struct Escalating;

impl Plugin for Escalating {
    fn init(_config: &str, _host: Host) -> Result<Escalating, PluginError> {
        Ok(Escalating)
    }

    fn propose_with_tone(
        &self,
        request: &ContactRequestView<'_>,
    ) -> Result<Vec<(Proposal, u32)>, PluginError> {
        let (_, template) = request.steps[0];
        let proposal = Proposal {
            contact_point_index: 0,
            template: template.to_owned(),
            at_unix_us: i64::from(request.raw.as_of_days) * 86_400_000_000,
        };
        Ok(vec![(proposal, request.step_tones[0] + 1)])
    }
}

/// Calls `propose_contacts_batch` for one request with one firm SMS step, with outputs at
/// `stride_bytes` in a buffer of 0xAA bytes; returns the status and the buffer.
fn propose(stride_bytes: usize) -> (u32, Vec<u64>) {
    let mut instance: *mut c_void = std::ptr::null_mut();
    let mut message = [0u8; 256];
    let mut error =
        ErrorBuffer { ptr: message.as_mut_ptr(), capacity_bytes: message.len(), len_bytes: 0 };
    let status = unsafe {
        runtime::init::<Escalating>(std::ptr::null(), StrRef::EMPTY, &mut instance, &mut error)
    };
    assert_eq!(status, 0);
    let step = ContactStepInput {
        template: StrRef::from_str("sms_1"),
        channel: abi::CHANNEL_SMS,
        tone: abi::TONE_FIRM,
    };
    let point = ContactPointInput {
        address: StrRef::from_str("+15550100"),
        channel: abi::CHANNEL_SMS,
        kind: abi::CONTACT_POINT_PERSONAL,
        consent: 1,
        opted_out: 0,
        reserved: [0; 6],
    };
    let request = abi::ContactRequestInput {
        debtor_id: 1,
        as_of_days: 20_000,
        utc_offset_minutes: 0,
        score_points: 0.0,
        has_score: 0,
        reserved: 0,
        steps: &step,
        step_count: 1,
        contact_points: &point,
        contact_point_count: 1,
        history: std::ptr::null(),
        history_count: 0,
    };
    // Room for one output of the current size and a tail, all 0xAA.
    let mut buffer = vec![u64::from_le_bytes([0xAA; 8]); 12];
    let mut count = 0usize;
    let status = unsafe {
        runtime::propose_contacts_batch::<Escalating>(
            instance,
            &request,
            size_of::<abi::ContactRequestInput>(),
            1,
            buffer.as_mut_ptr().cast(),
            stride_bytes,
            1,
            &mut count,
            &mut error,
        )
    };
    unsafe { runtime::destroy::<Escalating>(instance) };
    assert_eq!(count, usize::from(status == 0));
    (status, buffer)
}

fn bytes(buffer: &[u64]) -> Vec<u8> {
    buffer.iter().flat_map(|word| word.to_le_bytes()).collect()
}

#[test]
fn a_host_of_abi_1_2_gets_the_chosen_tone() {
    let (status, buffer) = propose(size_of::<abi::ContactProposalOutput>());
    assert_eq!(status, 0);
    let output = unsafe { &*buffer.as_ptr().cast::<abi::ContactProposalOutput>() };
    assert_eq!((output.tone, output.template_len_bytes), (abi::TONE_FINAL_NOTICE, 5));
}

#[test]
fn a_host_of_abi_1_1_gets_its_72_bytes_and_nothing_past_them() {
    let (status, buffer) = propose(abi::PROPOSAL_OUTPUT_SIZE_V1_1);
    assert_eq!(status, 0);
    let bytes = bytes(&buffer);
    assert_eq!(&bytes[20..25], b"\x05\x00\x00\x00s", "template_len_bytes, then the id");
    assert!(bytes[abi::PROPOSAL_OUTPUT_SIZE_V1_1..].iter().all(|byte| *byte == 0xAA));
    // A stride below ABI 1.0's output is refused.
    let (status, _) = propose(64);
    assert_eq!(status, abi::Status::InvalidArgument.code());
}
