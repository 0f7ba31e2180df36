//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::decode_record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::decode_record(data);
});
