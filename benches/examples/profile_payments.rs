//! A fixed workload for instruction-count profiles of posting payments (the machine's wall
//! clock is too noisy to compare small changes): 2,000 accounts, then 8,000 payments in
//! commits of `ARREARS_PROFILE_COMMIT` payments (default 1,000). Run under callgrind with
//! `--toggle-collect=arrears_benches::arrears_post`, see docs/BENCHMARKS.md.
//! `ARREARS_PROFILE_ROUNDS` (default 1) repeats the 8,000 payments (on the same accounts, at
//! the same commit size), so that a sampling profiler (`perf record`), which cannot leave the
//! setup out, sees mostly payments.

use arrears_benches::{arrears_post, build_portfolio, payment_charges};

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (books, ids) = build_portfolio(&dir.path().join("books.redb"), 2_000, &payment_charges);
    let commit: usize = std::env::var("ARREARS_PROFILE_COMMIT")
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .unwrap_or(1_000)
        .clamp(1, 8_000);
    let rounds: usize = std::env::var("ARREARS_PROFILE_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1)
        .clamp(1, 1_000);
    for round in 0..rounds {
        for from in (0..8_000).step_by(commit) {
            arrears_post(&books, &ids, round * 8_000 + from, commit.min(8_000 - from));
        }
    }
}
