//! The daily cycle over N accounts (`ARREARS_BENCH_ACCOUNTS`, comma-separated, default
//! 10,000): a day on which every account is reviewed, and a day on which 5% are due (the
//! `review_due` index makes it cheaper). Also the build rate, peak memory, point reads,
//! open time and bytes on disk per account of the same store.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::time::Instant;

use arrears::Arrears;
use arrears_benches::{
    accounts_from_env, build_portfolio, day, median, options, peak_rss_kib, quick, summary,
};

/// 5% of the accounts have an invoice due on Jan 5 (reviewed again on Jan 6); the others one
/// due on Jun 30 (reviewed again after the policy's cadence for current accounts).
fn charges(n: usize) -> Vec<(chrono::NaiveDate, chrono::NaiveDate, i64, i64, i64)> {
    let due = if n % 20 == 0 { day(1, 5) } else { day(6, 30) };
    vec![(day(1, 1), due, 120_00, 0, 0)]
}

fn main() {
    let sizes = if quick() { vec![100] } else { accounts_from_env(10_000) };
    for accounts in sizes {
        run(accounts);
    }
}

fn run(accounts: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.redb");
    let start = Instant::now();
    let (books, ids) = build_portfolio(&path, accounts, &charges);
    let build = start.elapsed();

    let start = Instant::now();
    let all = books.run_cycle(day(1, 1)).expect("cycle");
    let all_day = start.elapsed();
    assert_eq!(all.reviewed, accounts as u64, "every account is due on the first day");

    let start = Instant::now();
    let some = books.run_cycle(day(1, 6)).expect("cycle");
    let some_day = start.elapsed();

    let start = Instant::now();
    let none = books.run_cycle(day(1, 7)).expect("cycle");
    let none_day = start.elapsed();

    // Point reads: account_view of accounts spread over the store.
    let reads = ids.len().min(2_000);
    let mut samples = Vec::with_capacity(reads);
    for k in 0..reads {
        let id = ids[(k * 7_919) % ids.len()];
        let start = Instant::now();
        let view = books.account_view(id, day(3, 1)).expect("view");
        samples.push(start.elapsed());
        assert!(view.total_outstanding_minor > 0);
    }
    let read_median = median(samples);
    drop(books);

    let bytes = std::fs::metadata(&path).expect("size").len();
    let start = Instant::now();
    let reopened = Arrears::open_with(&path, options()).expect("open");
    let open = start.elapsed();
    let start = Instant::now();
    let first = reopened.account_view(ids[ids.len() / 2], day(3, 1)).expect("view");
    let first_read = start.elapsed();
    assert!(first.total_outstanding_minor > 0);

    summary(serde_json::json!({
        "bench": "cycle",
        "accounts": accounts,
        "build_s": build.as_secs_f64(),
        "build_accounts_per_sec": (accounts as f64 / build.as_secs_f64()).round(),
        "all_due_reviewed": all.reviewed,
        "all_due_s": all_day.as_secs_f64(),
        "all_due_reviews_per_sec": (all.reviewed as f64 / all_day.as_secs_f64()).round(),
        "all_due_actions": all.actions,
        "five_pct_reviewed": some.reviewed,
        "five_pct_s": some_day.as_secs_f64(),
        "five_pct_reviews_per_sec": (some.reviewed as f64 / some_day.as_secs_f64()).round(),
        "none_due_reviewed": none.reviewed,
        "none_due_ms": none_day.as_secs_f64() * 1e3,
        "peak_rss_mib": peak_rss_kib().map(|kib| kib / 1024),
    }));
    summary(serde_json::json!({
        "bench": "reads",
        "accounts": accounts,
        "account_view_median_us": read_median.as_secs_f64() * 1e6,
        "open_ms": open.as_secs_f64() * 1e3,
        "first_read_after_open_us": first_read.as_secs_f64() * 1e6,
        "file_bytes": bytes,
        "bytes_per_account": bytes / accounts as u64,
    }));
}
