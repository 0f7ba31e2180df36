//! Group commit (issue 16 point 3): many threads, each posting one payment per
//! `Arrears::execute`, against one thread doing the same, and against the disk's fsync rate
//! measured in the same run. Concurrent callers share write transactions and commits, so the
//! rate can pass the fsync rate that bounds one caller.
//!
//! Prints one JSON line per number of callers:
//! `{"bench":"concurrent_payments","callers":16,"per_sec":..,"p50_us":..,"p99_us":..,
//! "vs_one_caller":..,"vs_fsync":..}`. No SQLite peer yet (one connection per caller is left to
//! the format-3 work of issue 16, docs/BENCHMARKS.md section 9).

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use arrears::Command;
use arrears_benches::{
    build_portfolio, fsync_rate, payment, payment_charges, payment_day, quick, summary, usd,
};

fn main() {
    let quick = quick();
    let accounts = if quick { 64 } else { 2_000 };
    let callers: &[usize] = if quick { &[1, 4] } else { &[1, 16, 256] };
    let per_caller_budget = if quick { 4 } else { 0 };
    let total = if quick { 16 } else { 4_096 };

    let dir = tempfile::tempdir().expect("tempdir");
    let fsyncs = fsync_rate(dir.path(), Duration::from_millis(if quick { 100 } else { 3_000 }));
    summary(serde_json::json!({"bench": "fsync", "fsync_per_sec": fsyncs.round()}));
    let (books, ids) = build_portfolio(&dir.path().join("books.redb"), accounts, &payment_charges);
    let books = Arc::new(books);
    let ids = Arc::new(ids);

    let mut next = 0usize;
    let mut one_caller = None;
    for &count in callers {
        // Each caller posts `each` payments, one per execute; the stream is split so that no
        // two callers pay the same account at once more than the round-robin makes them.
        let each = if per_caller_budget > 0 { per_caller_budget } else { (total / count).max(8) };
        let barrier = Arc::new(Barrier::new(count));
        let started = Instant::now();
        let handles: Vec<_> = (0..count)
            .map(|caller| {
                let (books, ids, barrier) = (books.clone(), ids.clone(), barrier.clone());
                let first = next + caller * each;
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut latencies = Vec::with_capacity(each);
                    for n in first..first + each {
                        let (index, amount) = payment(n, ids.len());
                        let command = Command::Payment {
                            account: ids[index],
                            effective_on: payment_day(),
                            amount: usd(amount),
                            directed_to: None,
                        };
                        let start = Instant::now();
                        let receipt = books.execute(&format!("p{n}"), &command).expect("payment");
                        latencies.push(start.elapsed());
                        assert!(!receipt.replayed && !receipt.outcome.is_rejected());
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies: Vec<Duration> =
            handles.into_iter().flat_map(|handle| handle.join().expect("caller")).collect();
        let elapsed = started.elapsed();
        next += count * each;
        latencies.sort();
        let at = |share: f64| {
            latencies[((latencies.len() as f64 * share) as usize).min(latencies.len() - 1)]
        };
        let per_sec = latencies.len() as f64 / elapsed.as_secs_f64();
        let one = *one_caller.get_or_insert(per_sec);
        summary(serde_json::json!({
            "bench": "concurrent_payments",
            "callers": count,
            "payments": latencies.len(),
            "accounts": accounts,
            "per_sec": per_sec.round(),
            "p50_us": at(0.50).as_micros() as u64,
            "p99_us": at(0.99).as_micros() as u64,
            "vs_one_caller": (per_sec / one * 100.0).round() / 100.0,
            "vs_fsync": (per_sec / fsyncs * 100.0).round() / 100.0,
        }));
    }
    assert!(books.verify().expect("verify").is_clean());
}
