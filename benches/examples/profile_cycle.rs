//! A fixed workload for instruction-count profiles of the cycle: 20,000 accounts (5% due on
//! Jan 5, as in the cycle benchmark), the full day of Jan 1, then the 5% day of Jan 6 and the
//! day after. Each day is its own function, to be profiled with callgrind's
//! `--toggle-collect=profile_cycle::<day>` (see docs/BENCHMARKS.md).

use arrears::Arrears;
use arrears_benches::{build_portfolio, day};

fn charges(n: usize) -> Vec<(chrono::NaiveDate, chrono::NaiveDate, i64, i64, i64)> {
    let due = if n % 20 == 0 { day(1, 5) } else { day(6, 30) };
    vec![(day(1, 1), due, 12_000, 0, 0)]
}

#[inline(never)]
fn full_day(books: &Arrears) {
    let report = books.run_cycle(day(1, 1)).expect("cycle");
    eprintln!("full day: {report:?}");
}

#[inline(never)]
fn five_pct_day(books: &Arrears) {
    let report = books.run_cycle(day(1, 6)).expect("cycle");
    eprintln!("5% day: {report:?}");
}

#[inline(never)]
fn day_after(books: &Arrears) {
    let report = books.run_cycle(day(1, 7)).expect("cycle");
    eprintln!("day after: {report:?}");
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (books, _) = build_portfolio(&dir.path().join("books.redb"), 20_000, &charges);
    full_day(&books);
    five_pct_day(&books);
    day_after(&books);
}
