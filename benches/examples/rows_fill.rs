//! How full the leaves of `account_rows` are (store format 15), before and after payments,
//! against the redb floor's table of the same rows written in key order, and after the
//! engine's table is rewritten in key order.
//!
//! redb splits a leaf into two halves when a row that grew no longer fits, and never joins
//! leaves that rows did not leave; so when every account's row grows at once (here, its
//! snapshot part, which keeps the account's payments until they move to a cold part: 71
//! bytes when opened, 130 to 140 after the payments; the account and case parts hardly change)
//! nearly every leaf is split and the
//! table ends about half full, while rows inserted in ascending order into an empty table
//! fill each leaf before they start the next. A commit that writes most of the accounts
//! writes every leaf, so the half-full table costs it pages (docs/BENCHMARKS.md, "Session
//! 42"). Prints one line per table and moment:
//! `{"bench":"rows_fill","store":..,"when":..,"rows":..,"leaf_pages":..,"stored_bytes":..,"free_bytes":..}`.
//!
//! `ARREARS_BENCH_ACCOUNTS` sets the accounts (default 2,000); the payments are eleven commits
//! of 1,000, the stream `post_payments` posts.

use std::path::Path;

use arrears_benches::floor::{self, RedbFloor};
use arrears_benches::{arrears_post, build_portfolio, payment_charges, summary, CACHE_BYTES};

fn report(path: &Path, table: &str, store: &str, when: &str) {
    let fill = floor::fill(path, table);
    summary(serde_json::json!({
        "bench": "rows_fill",
        "store": store,
        "when": when,
        "rows": fill.rows,
        "leaf_pages": fill.leaf_pages,
        "branch_pages": fill.branch_pages,
        "stored_bytes": fill.stored_bytes,
        "free_bytes": fill.free_bytes,
    }));
}

fn main() {
    let accounts = std::env::var("ARREARS_BENCH_ACCOUNTS")
        .ok()
        .and_then(|text| text.replace(['_', ','], "").parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let (sizes, backlog) = arrears_benches::engine_sizes(dir.path());
    let books_path = dir.path().join("books.redb");
    let floor_path = dir.path().join("floor.redb");
    let (books, ids) = build_portfolio(&books_path, accounts, &payment_charges);
    drop(books);
    report(&books_path, "account_rows", "engine", "opened");
    let books = arrears::Arrears::open_with(&books_path, arrears_benches::options()).expect("open");
    let mut floor = RedbFloor::create(&floor_path, accounts, sizes, backlog, CACHE_BYTES);
    let mut next = 0;
    for _ in 0..11 {
        arrears_post(&books, &ids, next, 1_000);
        floor.post(next, 1_000);
        next += 1_000;
    }
    drop((books, floor));
    report(&books_path, "account_rows", "engine", "after payments");
    report(&floor_path, "hot", "redb floor", "after payments");
    floor::rewrite_in_order(&books_path, "account_rows");
    report(&books_path, "account_rows", "engine", "rewritten in key order");
}
