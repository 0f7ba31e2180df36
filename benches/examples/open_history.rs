//! What a payment costs as an account's payments to one open invoice pile up (issue 21 point
//! 5, issue 16): `ARREARS_BENCH_ACCOUNTS` accounts (default 1,000), each charged one invoice of
//! 100,000.00, then `ARREARS_BENCH_ROUNDS` rounds (default 400): round `r` pays every account
//! 1.00 on day `r` after 2020-03-01, one commit a round, as an import of a file interleaving
//! the accounts posts them. Prints one JSON line per checkpoint round: the median time of a
//! payment over the rounds since the last checkpoint, and the average hot row (snapshot) size.
//! Then as many new accounts in the same store pay 32 rounds (past the hot row's plateau of 24
//! payments) and the old accounts 8 more: one more JSON line, the medians of the new accounts'
//! rounds 25 to 32 and of the old accounts' 8. `ARREARS_BENCH_CHECKPOINTS=0` leaves the
//! checkpoints out (each closes and reopens the store to measure it). `ARREARS_BENCH_KEYS=
//! ordered` names the payments' keys in the order they arrive instead of by account.
//! Under callgrind, `--toggle-collect=open_history::pay_old` and `open_history::pay_fresh`
//! count the two timed legs' instructions alone (docs/BENCHMARKS.md section 6).

// Amounts are written in cents: `100_000_00` is 100,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::time::{Duration, Instant};

use arrears::ids::AccountId;
use arrears::{Arrears, Command};
use arrears_benches::{add_accounts, build_portfolio_opened, floor, median, options, summary, usd};
use chrono::NaiveDate;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|text| text.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() {
    let accounts = env("ARREARS_BENCH_ACCOUNTS", 1_000);
    let rounds = env("ARREARS_BENCH_ROUNDS", 400);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.redb");
    let opened = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
    let issued = NaiveDate::from_ymd_opt(2020, 1, 15).expect("date");
    let due = NaiveDate::from_ymd_opt(2020, 2, 15).expect("date");
    let start = NaiveDate::from_ymd_opt(2020, 3, 1).expect("date");
    let (mut books, ids) =
        build_portfolio_opened(&path, accounts, opened, &|_| vec![(issued, due, 100_000_00, 0, 0)]);
    let checkpoints = [1, 8, 16, 24, 32, 48, 64, 100, 150, 200, 300, 400, 600, 800, 1_000];
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..rounds {
        times.push(pay_round(&books, &ids, "P", start, round));
        let checkpoint = checkpoints.contains(&(round + 1)) || round + 1 == rounds;
        if checkpoint && !std::env::var("ARREARS_BENCH_CHECKPOINTS").is_ok_and(|on| on == "0") {
            drop(books);
            let sizes = floor::measure(&path);
            let bytes = std::fs::metadata(&path).expect("size").len();
            summary(serde_json::json!({
                "bench": "open_history",
                "payments_per_account": round + 1,
                "us_per_payment_median_since_last": (median(std::mem::take(&mut times)).as_secs_f64() * 1e7).round() / 10.0,
                "snapshot_bytes": sizes.snapshot,
                "file_mib": bytes >> 20,
            }));
            books = Arrears::open_with(&path, options()).expect("reopen");
        }
    }
    // As many new accounts in the same store, paid 32 rounds (past the hot row's plateau), then
    // the old accounts 8 more: the same store, one with a history and one without.
    let fresh = add_accounts(&books, accounts..2 * accounts, opened, &|_| {
        vec![(issued, due, 100_000_00, 0, 0)]
    });
    let fresh_times: Vec<Duration> = (0..32)
        .map(|round| match round {
            0..24 => pay_round(&books, &fresh, "F", start, round),
            _ => pay_fresh(&books, &fresh, start, round),
        })
        .collect();
    let old_times: Vec<Duration> =
        (rounds..rounds + 8).map(|round| pay_old(&books, &ids, start, round)).collect();
    summary(serde_json::json!({
        "bench": "open_history_same_store",
        "payments_per_account": rounds,
        "us_per_payment_fresh_rounds_25_32": (median(fresh_times[24..].to_vec()).as_secs_f64() * 1e7).round() / 10.0,
        "us_per_payment_old_next_8": (median(old_times).as_secs_f64() * 1e7).round() / 10.0,
    }));
}

/// The old accounts' timed rounds, a function of their own so that callgrind can count them
/// alone (`--toggle-collect=open_history::pay_old`).
#[inline(never)]
fn pay_old(books: &Arrears, ids: &[AccountId], start: NaiveDate, round: usize) -> Duration {
    pay_round(books, ids, "P", start, round)
}

/// The new accounts' timed rounds (`--toggle-collect=open_history::pay_fresh`).
#[inline(never)]
fn pay_fresh(books: &Arrears, ids: &[AccountId], start: NaiveDate, round: usize) -> Duration {
    pay_round(books, ids, "F", start, round)
}

/// Pays every account of `ids` 1.00 on day `round` after `start`, in one commit; returns the
/// time per payment.
fn pay_round(
    books: &Arrears,
    ids: &[AccountId],
    tag: &str,
    start: NaiveDate,
    round: usize,
) -> Duration {
    let began = Instant::now();
    let mut batch = books.batch().expect("batch");
    for (index, &account) in ids.iter().enumerate() {
        let command = Command::Payment {
            account,
            effective_on: start + chrono::Days::new(round as u64),
            amount: usd(1_00),
            directed_to: None,
        };
        // Keys by account (as an import file numbering each account's payments names them), or
        // with `ARREARS_BENCH_KEYS=ordered` in the order they arrive (appended to the key index).
        let key = if std::env::var("ARREARS_BENCH_KEYS").is_ok_and(|keys| keys == "ordered") {
            format!("{tag}{round:06}-{index:07}")
        } else {
            format!("{tag}{index}-{round}")
        };
        let receipt = batch.execute(&key, &command).expect("pay");
        assert!(!receipt.outcome.is_rejected(), "{:?}", receipt.outcome);
    }
    batch.commit().expect("commit");
    began.elapsed() / ids.len() as u32
}
