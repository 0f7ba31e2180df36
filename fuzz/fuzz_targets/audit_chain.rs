//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::audit_chain`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::audit_chain(data);
});
