//! The daily cycle over N accounts (`ARREARS_BENCH_ACCOUNTS`, comma-separated, default
//! 10,000): a day on which every account is reviewed, and a day on which 5% are due (the
//! `review_due` index makes it cheaper). Also the build rate, peak memory, point reads,
//! open time and bytes on disk per account of the same store.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::time::Instant;

use arrears::Arrears;
use arrears_benches::cycle_peer::{PeerDay, SqliteCycle};
use arrears_benches::{
    accounts_from_env, build_portfolio, day, median, options, pages_written, peak_rss_kib, quick,
    summary,
};

/// 5% of the accounts have an invoice due on Jan 5 (reviewed again on Jan 6); the others one
/// due on Jun 30 (reviewed again after the policy's cadence for current accounts).
fn charges(n: usize) -> Vec<(chrono::NaiveDate, chrono::NaiveDate, i64, i64, i64)> {
    let due = if n % 20 == 0 { day(1, 5) } else { day(6, 30) };
    vec![(day(1, 1), due, 120_00, 0, 0)]
}

fn main() {
    let sizes = if quick() { vec![100] } else { accounts_from_env(10_000) };
    let history_accounts = if quick() {
        50
    } else {
        std::env::var("ARREARS_BENCH_HISTORY_ACCOUNTS")
            .ok()
            .and_then(|text| text.replace('_', "").parse().ok())
            .unwrap_or(2_000)
    };
    if history_accounts > 0 {
        year_of_history(history_accounts);
    }
    for accounts in sizes {
        run(accounts);
    }
}

/// Twelve monthly invoices of 100.00 (issued on the 1st, due on the 28th).
fn monthly(_: usize) -> Vec<(chrono::NaiveDate, chrono::NaiveDate, i64, i64, i64)> {
    (1..=12).map(|month| (day(month, 1), day(month, 28), 100_00, 0, 0)).collect()
}

/// Bytes on disk per account, and point reads, after a year of history: twelve invoices,
/// twelve payments (the one of June late), and the cycle run twice a month.
fn year_of_history(accounts: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("year.redb");
    let start = Instant::now();
    let (books, ids) = build_portfolio(&path, accounts, &monthly);
    for month in 1..=12 {
        books.run_cycle(day(month, 1)).expect("cycle");
        let paid_on = if month == 6 { day(7, 10) } else { day(month, 20) };
        for (chunk_index, chunk) in ids.chunks(1_000).enumerate() {
            let mut batch = books.batch().expect("batch");
            for (offset, id) in chunk.iter().enumerate() {
                let key = format!("y{month}:{chunk_index}:{offset}");
                let command = arrears::Command::Payment {
                    account: *id,
                    effective_on: paid_on,
                    amount: arrears_benches::usd(100_00),
                    directed_to: None,
                };
                let receipt = batch.execute(&key, &command).expect("payment");
                assert!(!receipt.outcome.is_rejected(), "{:?}", receipt.outcome);
            }
            batch.commit().expect("commit");
        }
        books.run_cycle(day(month, 25)).expect("cycle");
    }
    let build = start.elapsed();
    let reads = ids.len().min(2_000);
    let mut samples = Vec::with_capacity(reads);
    for k in 0..reads {
        let id = ids[(k * 7_919) % ids.len()];
        let start = Instant::now();
        let view = books.account_view(id, day(12, 31)).expect("view");
        samples.push(start.elapsed());
        assert_eq!(view.total_outstanding_minor, 0);
    }
    let read_median = median(samples);
    let events = books.events(ids[0]).expect("events").len();
    let space = books.space().expect("space");
    drop(books);
    let bytes = std::fs::metadata(&path).expect("size").len();
    summary(serde_json::json!({
        "bench": "year_of_history",
        "accounts": accounts,
        "events_per_account": events,
        "build_s": build.as_secs_f64(),
        "account_view_median_us": read_median.as_secs_f64() * 1e6,
        "file_bytes": bytes,
        "bytes_per_account": bytes / accounts as u64,
        "allocated_bytes_per_account": space.allocated_bytes / accounts as u64,
        "stored_bytes_per_account": space.stored_bytes / accounts as u64,
    }));
}

fn run(accounts: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.redb");
    let start = Instant::now();
    let (books, ids) = build_portfolio(&path, accounts, &charges);
    let build = start.elapsed();
    // Reopened, so that the days are measured as a process that opens the store finds it:
    // the first commits after the build, in the same handle, also write out what the
    // build's commits left to free (twice the full day's pages, none of its time).
    drop(books);
    let books = Arrears::open_with(&path, options()).expect("open");

    let start = Instant::now();
    let (all, all_pages) = pages_written(|| books.run_cycle(day(1, 1)).expect("cycle"));
    let all_day = start.elapsed();
    assert_eq!(all.reviewed, accounts as u64, "every account is due on the first day");

    let start = Instant::now();
    let (some, some_pages) = pages_written(|| books.run_cycle(day(1, 6)).expect("cycle"));
    let some_day = start.elapsed();

    let start = Instant::now();
    let (none, none_pages) = pages_written(|| books.run_cycle(day(1, 7)).expect("cycle"));
    let none_day = start.elapsed();

    // The engine's high-water mark, before the peer adds its own to the process's.
    let peak_rss_mib = peak_rss_kib().map(|kib| kib / 1024);

    // The peer's same three days, on the same accounts, after the engine's.
    let peer_path = dir.path().join("peer.sqlite");
    let due = |n: usize| charges(n).into_iter().map(|(_, due_on, amount, _, _)| (due_on, amount));
    let mut peer = SqliteCycle::create(&peer_path, accounts, day(1, 1), &|n| due(n).collect());
    let mut peer_days = Vec::new();
    for (as_of, engine_reviewed) in
        [(day(1, 1), all.reviewed), (day(1, 6), some.reviewed), (day(1, 7), none.reviewed)]
    {
        let start = Instant::now();
        let peer_day = peer.run_day(as_of);
        let elapsed = start.elapsed();
        assert_eq!(peer_day.reviewed, engine_reviewed, "the peer reviews what the engine does");
        peer_days.push((peer_day, elapsed));
    }
    assert_eq!(peer_days[1].0.transitions, some.transitions, "the same changes of stage");
    drop(peer);
    let peer_rate = |(peer_day, elapsed): (PeerDay, std::time::Duration)| {
        (peer_day.reviewed as f64 / elapsed.as_secs_f64()).round()
    };
    let all_rate = all.reviewed as f64 / all_day.as_secs_f64();
    let some_rate = some.reviewed as f64 / some_day.as_secs_f64();

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
    let space = books.space().expect("space");
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
        // Pages of 4 KiB written (the 5% day's target: at most 7% of the full day's).
        "all_due_pages": all_pages.map(f64::round),
        "five_pct_pages": some_pages.map(f64::round),
        "none_due_pages": none_pages.map(f64::round),
        "five_pct_pages_ratio": all_pages.zip(some_pages).map(|(all, some)| some / all),
        "five_pct_time_ratio": some_day.as_secs_f64() / all_day.as_secs_f64(),
        // The engine's days (the peer runs after this is read).
        "peak_rss_mib": peak_rss_mib,
    }));
    // The SQLite peer's days (benches/src/cycle_peer.rs: the same reads and writes, a simpler
    // decision), and the engine's rates against it.
    summary(serde_json::json!({
        "bench": "cycle_peer",
        "accounts": accounts,
        "peer_all_due_reviews_per_sec": peer_rate(peer_days[0]),
        "peer_five_pct_reviews_per_sec": peer_rate(peer_days[1]),
        "peer_none_due_ms": peer_days[2].1.as_secs_f64() * 1e3,
        "peer_five_pct_transitions": peer_days[1].0.transitions,
        "all_due_vs_peer": all_rate / peer_rate(peer_days[0]),
        "five_pct_vs_peer": some_rate / peer_rate(peer_days[1]),
        "none_due_vs_peer": peer_days[2].1.as_secs_f64() / none_day.as_secs_f64(),
    }));
    summary(serde_json::json!({
        "bench": "reads",
        "accounts": accounts,
        "account_view_median_us": read_median.as_secs_f64() * 1e6,
        "open_ms": open.as_secs_f64() * 1e3,
        "first_read_after_open_us": first_read.as_secs_f64() * 1e6,
        "file_bytes": bytes,
        "bytes_per_account": bytes / accounts as u64,
        "allocated_bytes_per_account": space.allocated_bytes / accounts as u64,
        "stored_bytes_per_account": space.stored_bytes / accounts as u64,
    }));
}
