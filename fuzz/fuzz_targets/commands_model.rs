//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::commands_model`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::commands_model(data);
});
