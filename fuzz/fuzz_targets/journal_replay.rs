//! cargo-fuzz target: a thin wrapper over `arrears_fuzz::journal_replay`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arrears_fuzz::journal_replay(data);
});
