//! A fixed workload for instruction-count profiles of posting payments (the machine's wall
//! clock is too noisy to compare small changes): 2,000 accounts, then 8,000 payments in
//! commits of `ARREARS_PROFILE_COMMIT` payments (default 1,000). Run under callgrind with
//! `--toggle-collect=arrears_benches::arrears_post`, see docs/BENCHMARKS.md.

use arrears_benches::{arrears_post, build_portfolio, payment_charges};

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (books, ids) = build_portfolio(&dir.path().join("books.redb"), 2_000, &payment_charges);
    let commit: usize = std::env::var("ARREARS_PROFILE_COMMIT")
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .unwrap_or(1_000)
        .clamp(1, 8_000);
    for from in (0..8_000).step_by(commit) {
        arrears_post(&books, &ids, from, commit.min(8_000 - from));
    }
}
