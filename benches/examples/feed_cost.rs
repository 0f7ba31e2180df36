//! What a consumer of the change feed costs the write path (issue 20 point 1): payments posted
//! in commits of `ARREARS_FEED_COMMIT` (default 100) on 2,000 accounts, alone and while a
//! second thread follows the feed as a relay would (pages of 1,000 changes from its cursor,
//! decoding every command and outcome, sleeping 1 ms when caught up), in alternating rounds.
//! Prints one JSON line per round and a summary with the median ratio of the rates:
//! `cargo run --release -p arrears-benches --example feed_cost`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrears_benches::{arrears_post, build_portfolio, payment_charges, summary};

/// Payments per round.
const ROUND: usize = 4_000;
/// Rounds of each kind.
const ROUNDS: usize = 5;

fn main() {
    let commit: usize = std::env::var("ARREARS_FEED_COMMIT")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100)
        .clamp(1, ROUND);
    let dir = tempfile::tempdir().expect("tempdir");
    let (books, ids) = build_portfolio(&dir.path().join("feed.redb"), 2_000, &payment_charges);
    let mut next = 0;
    let mut post_round = |books: &arrears::Arrears| -> Duration {
        let start = Instant::now();
        for from in (next..next + ROUND).step_by(commit) {
            arrears_post(books, &ids, from, commit.min(next + ROUND - from));
        }
        next += ROUND;
        start.elapsed()
    };
    let mut ratios = Vec::new();
    // The consumer starts caught up with the portfolio's creation and keeps its cursor from
    // round to round, as a relay does.
    let mut cursor = books.changes(0, 1).expect("feed").head;
    for round in 0..ROUNDS {
        let alone = post_round(&books);
        let stop = AtomicBool::new(false);
        let read = AtomicU64::new(0);
        let start_at = cursor;
        let (followed, reached) = std::thread::scope(|scope| {
            let consumer = scope.spawn(|| {
                let mut cursor = start_at;
                while !stop.load(Ordering::Relaxed) {
                    let page = books.changes(cursor, 1_000).expect("feed");
                    read.fetch_add(page.changes.len() as u64, Ordering::Relaxed);
                    if page.next == page.head {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    cursor = page.next;
                }
                cursor
            });
            let followed = post_round(&books);
            stop.store(true, Ordering::Relaxed);
            (followed, consumer.join().expect("consumer"))
        });
        // The changes of the round alone too: it reads what was committed since its cursor.
        cursor = reached;
        let ratio = alone.as_secs_f64() / followed.as_secs_f64();
        ratios.push(ratio);
        summary(serde_json::json!({
            "bench": "feed_cost",
            "round": round,
            "commit": commit,
            "payments_per_s_alone": (ROUND as f64 / alone.as_secs_f64()).round(),
            "payments_per_s_with_consumer": (ROUND as f64 / followed.as_secs_f64()).round(),
            "changes_read": read.load(Ordering::Relaxed),
            "consumer_cursor": reached,
        }));
    }
    ratios.sort_by(f64::total_cmp);
    summary(serde_json::json!({
        "bench": "feed_cost",
        "median_rate_with_consumer_over_alone": (ratios[ROUNDS / 2] * 1000.0).round() / 1000.0,
    }));
}
