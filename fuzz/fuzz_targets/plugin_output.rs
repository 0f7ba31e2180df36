//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::plugin_output`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::plugin_output(data);
});
