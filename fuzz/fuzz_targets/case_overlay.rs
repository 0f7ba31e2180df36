//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::case_overlay`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::case_overlay(data);
});
