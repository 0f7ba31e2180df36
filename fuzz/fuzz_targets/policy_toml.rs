//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::policy_toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::policy_toml(data);
});
