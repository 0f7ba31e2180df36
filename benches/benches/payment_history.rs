//! What a payment costs as the account's history grows: accounts with H monthly installments,
//! each paid in full, take one more installment and then one more payment (dated after the
//! history, so that it continues the account's snapshot); then as many new accounts in the
//! same store pay their first installment, which separates the account's own history from the
//! store's size. Format 2's snapshot kept every payment's allocations and every obligation and
//! its events were keyed by account, so a payment's cost grew with H; format 3 moved settled
//! items to cold parts and format 4 appends the ledger to one log: this bench measures what
//! is left.
//!
//! Prints one JSON line per history length: `{"bench":"payment_history","history_months":H,
//! "us_per_payment":..,"us_per_payment_new_account_same_store":..,"snapshot_bytes":..}`.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::time::{Duration, Instant};

use arrears::ids::AccountId;
use arrears::{Arrears, Command};
use arrears_benches::{
    accounts_from_env, add_accounts, build_portfolio_opened, floor, median, quick, summary, usd,
};
use chrono::{Months, NaiveDate};

/// The first day of month `m` after January 2000.
fn month(m: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") + Months::new(m as u32)
}

/// An installment of 100.00 issued on the 1st of month `m`, due on the 28th.
fn installment(m: usize) -> (NaiveDate, NaiveDate, i64, i64, i64) {
    (month(m), month(m) + chrono::Days::new(27), 100_00, 0, 0)
}

/// Posts one payment of 100.00 on the 20th of month `m` to every account, in batches of 100,
/// and returns the time of each batch divided by its payments.
fn pay_month(books: &Arrears, ids: &[AccountId], m: usize, tag: &str) -> Vec<Duration> {
    let mut per_payment = Vec::new();
    for (chunk_index, chunk) in ids.chunks(100).enumerate() {
        let start = Instant::now();
        let mut batch = books.batch().expect("batch");
        for (offset, &account) in chunk.iter().enumerate() {
            let command = Command::Payment {
                account,
                effective_on: month(m) + chrono::Days::new(19),
                amount: usd(100_00),
                directed_to: None,
            };
            let key = format!("{tag}:{m}:{chunk_index}:{offset}");
            let receipt = batch.execute(&key, &command).expect("payment");
            assert!(!receipt.outcome.is_rejected(), "{:?}", receipt.outcome);
        }
        batch.commit().expect("commit");
        per_payment.push(start.elapsed() / chunk.len() as u32);
    }
    per_payment
}

/// The timed month of the accounts with history: its own function, so that a callgrind run
/// can count it alone (`--toggle-collect=payment_history::pay_timed_history`).
#[inline(never)]
fn pay_timed_history(books: &Arrears, ids: &[AccountId], m: usize) -> Vec<Duration> {
    pay_month(books, ids, m, "t")
}

/// The new accounts' first payment (`--toggle-collect=payment_history::pay_timed_fresh`).
#[inline(never)]
fn pay_timed_fresh(books: &Arrears, ids: &[AccountId], m: usize) -> Vec<Duration> {
    pay_month(books, ids, m, "n")
}

/// Charges every account the installment of month `m`, in batches of 1,000 accounts.
fn charge_month(books: &Arrears, ids: &[AccountId], m: usize) {
    for (chunk_index, chunk) in ids.chunks(1_000).enumerate() {
        let mut batch = books.batch().expect("batch");
        for (offset, &account) in chunk.iter().enumerate() {
            let (issued_on, due_on, principal, _, _) = installment(m);
            let command = Command::Charge(arrears::NewCharge {
                account,
                external_ref: None,
                kind: arrears::model::ObligationKind::Installment,
                issued_on,
                due_on,
                principal: usd(principal),
                interest: usd(0),
                fee: usd(0),
            });
            let receipt =
                batch.execute(&format!("c:{m}:{chunk_index}:{offset}"), &command).expect("charge");
            assert!(!receipt.outcome.is_rejected(), "{:?}", receipt.outcome);
        }
        batch.commit().expect("commit");
    }
}

fn run(history: usize, accounts: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.redb");
    let (books, ids) = build_portfolio_opened(&path, accounts, month(0), &|_| vec![installment(0)]);
    // Month by month, in date order, as a servicer posts them: each payment follows the
    // account's history and continues its snapshot.
    for m in 0..history {
        if m > 0 {
            charge_month(&books, &ids, m);
        }
        pay_month(&books, &ids, m, "h");
    }
    if history > 0 {
        charge_month(&books, &ids, history);
    }
    // The timed month: every account pays the installment of month `history`, one payment
    // each, in commits of 100 (the median of the commits, per payment).
    let timed = median(pay_timed_history(&books, &ids, history));
    // As many new accounts in the same store, each with one installment of the same month,
    // and their first payment: the same tables, the same sizes, no history of their own. The
    // ratio of the two separates what an account's own history costs a payment from what the
    // store's size costs every payment.
    let fresh = add_accounts(&books, accounts..2 * accounts, month(history), &|_| {
        vec![installment(history)]
    });
    let fresh_timed = median(pay_timed_fresh(&books, &fresh, history));
    drop(books);
    let sizes = floor::measure(&path);
    summary(serde_json::json!({
        "bench": "payment_history",
        "history_months": history,
        "accounts": accounts,
        "us_per_payment": (timed.as_secs_f64() * 1e6 * 10.0).round() / 10.0,
        "us_per_payment_new_account_same_store":
            (fresh_timed.as_secs_f64() * 1e6 * 10.0).round() / 10.0,
        "snapshot_bytes": sizes.snapshot,
    }));
}

/// `ARREARS_BENCH_HISTORY_MONTHS` (comma-separated) and `ARREARS_BENCH_ACCOUNTS` override the
/// history lengths (0, 12, 60, 240) and the accounts (1,000).
fn main() {
    if quick() {
        for history in [0, 12] {
            run(history, 20);
        }
        return;
    }
    let histories: Vec<usize> = std::env::var("ARREARS_BENCH_HISTORY_MONTHS")
        .map(|text| text.split(',').filter_map(|part| part.trim().parse().ok()).collect())
        .unwrap_or_else(|_| vec![0, 12, 60, 240]);
    let accounts = accounts_from_env(1_000)[0];
    for history in histories {
        run(history, accounts);
    }
}
