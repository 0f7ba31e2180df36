//! A fixed workload for profiles of the cycle: N accounts (`ARREARS_PROFILE_ACCOUNTS`,
//! default 20,000; 5% due on Jan 5, as in the cycle benchmark), the full day of Jan 1, then
//! the 5% day of Jan 6 and the day after. Each day is its own function, to be profiled with
//! callgrind's `--toggle-collect=profile_cycle::<day>` (see docs/BENCHMARKS.md).
//!
//! Building a large portfolio takes a minute per million accounts. With
//! `ARREARS_PROFILE_STORE=path`, the built store is kept at `path` the first time and copied
//! from there afterwards, so that repeated profiles of a 1,000,000-account cycle skip the build.

use std::time::Instant;

use arrears::Arrears;
use arrears_benches::{build_portfolio, day, options, pages_written};

fn charges(n: usize) -> Vec<(chrono::NaiveDate, chrono::NaiveDate, i64, i64, i64)> {
    let due = if n % 20 == 0 { day(1, 5) } else { day(6, 30) };
    vec![(day(1, 1), due, 12_000, 0, 0)]
}

/// Runs the cycle for `as_of` and says how long it took.
fn run_day(books: &Arrears, label: &str, as_of: chrono::NaiveDate) {
    let start = Instant::now();
    let (report, pages) = pages_written(|| books.run_cycle(as_of).expect("cycle"));
    let elapsed = start.elapsed();
    let pages = pages.map_or("?".to_owned(), |pages| format!("{pages:.0}"));
    eprintln!(
        "{label}: {elapsed:?}, {} reviewed, {} transitions, {pages} pages written",
        report.reviewed, report.transitions
    );
}

// One function per day, never inlined, so that callgrind can toggle on each by name.
#[inline(never)]
fn full_day(books: &Arrears) {
    run_day(books, "full day", day(1, 1));
}

#[inline(never)]
fn five_pct_day(books: &Arrears) {
    run_day(books, "5% day", day(1, 6));
}

#[inline(never)]
fn day_after(books: &Arrears) {
    run_day(books, "day after", day(1, 7));
}

fn main() {
    let accounts: usize = std::env::var("ARREARS_PROFILE_ACCOUNTS")
        .ok()
        .and_then(|text| text.replace('_', "").parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.redb");
    let kept = std::env::var_os("ARREARS_PROFILE_STORE").map(std::path::PathBuf::from);
    let books = match &kept {
        Some(kept) if kept.exists() => {
            std::fs::copy(kept, &path).expect("copy the kept store");
            Arrears::open_with(&path, options()).expect("open")
        }
        _ => {
            let (books, _) = build_portfolio(&path, accounts, &charges);
            if let Some(kept) = &kept {
                drop(books);
                std::fs::copy(&path, kept).expect("keep the store");
                Arrears::open_with(&path, options()).expect("open")
            } else {
                books
            }
        }
    };
    full_day(&books);
    five_pct_day(&books);
    day_after(&books);
}
