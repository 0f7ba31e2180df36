//! The export glue: a panicking plugin returns `Panicked` and is then poisoned; errors come
//! back as status codes with their message in the caller's buffer.
//!
//! The test calls the raw ABI, as a host would, so it needs `unsafe`.
#![allow(unsafe_code)]

use std::ffi::c_void;

use arrears_plugin_sdk::abi::{self, ErrorBuffer, ScoreOutput, Status, StrRef};
use arrears_plugin_sdk::{export_plugin, Host, Plugin, PluginError, ScoreRecord, Scored};

struct Touchy;

impl Plugin for Touchy {
    fn init(config: &str, _host: Host) -> Result<Touchy, PluginError> {
        if config == "bad" {
            return Err(PluginError::invalid_config("config is bad"));
        }
        Ok(Touchy)
    }

    fn score(&self, record: &ScoreRecord<'_>) -> Result<Scored, PluginError> {
        if record.raw.days_past_due > 100 {
            panic!("too late");
        }
        Ok(Scored { points: 500.0, reasons: vec!["days_past_due".to_owned()] })
    }
}

export_plugin!(Touchy, name: "touchy", version: "0.0.1", capabilities: abi::CAPABILITY_SCORER);

#[allow(clippy::type_complexity)]
fn call(instance: *mut c_void, days_past_due: i64) -> (u32, String, Option<ScoreOutput>) {
    let descriptor = unsafe { &*arrears_plugin_entry_v1() };
    let mut input = arrears_plugin_sdk::score_input(&[]);
    input.days_past_due = days_past_due;
    let mut output: ScoreOutput = unsafe { std::mem::zeroed() };
    let mut count = 0usize;
    let mut message = [0u8; 256];
    let mut error =
        ErrorBuffer { ptr: message.as_mut_ptr(), capacity_bytes: message.len(), len_bytes: 0 };
    let status = unsafe {
        descriptor.score_batch.unwrap()(
            instance,
            &input,
            size_of::<abi::ScoreInput>(),
            1,
            &mut output,
            size_of::<ScoreOutput>(),
            &mut count,
            &mut error,
        )
    };
    let text = String::from_utf8(message[..error.len_bytes].to_vec()).unwrap();
    (status, text, (count == 1).then_some(output))
}

#[test]
fn panics_poison_and_errors_become_statuses() {
    let descriptor = unsafe { &*arrears_plugin_entry_v1() };
    assert_eq!(descriptor.magic, abi::MAGIC);
    let mut message = [0u8; 256];
    let mut error =
        ErrorBuffer { ptr: message.as_mut_ptr(), capacity_bytes: message.len(), len_bytes: 0 };
    let mut instance: *mut c_void = std::ptr::null_mut();
    let init = descriptor.init.unwrap();
    let status =
        unsafe { init(std::ptr::null(), StrRef::from_str("bad"), &mut instance, &mut error) };
    assert_eq!(status, Status::InvalidConfig.code());
    assert_eq!(&message[..error.len_bytes], b"config is bad");
    let status = unsafe { init(std::ptr::null(), StrRef::EMPTY, &mut instance, &mut error) };
    assert_eq!(status, Status::Ok.code());

    let (status, _, output) = call(instance, 3);
    assert_eq!(status, Status::Ok.code());
    let output = output.unwrap();
    assert_eq!(output.points, 500.0);
    assert_eq!(&output.reasons[0].bytes[..13], b"days_past_due");

    let (status, text, _) = call(instance, 300);
    assert_eq!(status, Status::Panicked.code());
    assert!(text.contains("too late"), "{text}");
    let (status, text, _) = call(instance, 3);
    assert_eq!(status, Status::Poisoned.code());
    assert!(text.contains("poisoned"), "{text}");
    unsafe { descriptor.destroy.unwrap()(instance) };
    let _ = arrears_plugin_static();
}

/// Issue 15 point 5: a record gives the scoring date and the currency the host passed, and
/// `XXX` for a currency that is not three upper-case letters.
#[test]
fn a_record_reads_its_scoring_date_and_currency() {
    let read = |as_of_days: i32, currency: [u8; 3]| {
        let mut raw = arrears_plugin_sdk::score_input(&[]);
        raw.as_of_days = as_of_days;
        raw.currency = currency;
        let record = ScoreRecord { raw: &raw, attributes: Vec::new() };
        (record.as_of_days(), record.currency().to_owned())
    };
    assert_eq!(read(0, *b"XXX"), (0, "XXX".to_owned()));
    assert_eq!(read(20_777, *b"EUR"), (20_777, "EUR".to_owned()));
    assert_eq!(read(1, *b"eur"), (1, "XXX".to_owned()));
    assert_eq!(read(1, [0xff, b'U', b'R']), (1, "XXX".to_owned()));
}
