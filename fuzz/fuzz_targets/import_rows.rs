//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::import_rows`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::import_rows(data);
});
