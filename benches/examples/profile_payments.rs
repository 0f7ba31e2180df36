//! A fixed workload for instruction-count profiles of posting payments (the machine's wall
//! clock is too noisy to compare small changes): 2,000 accounts, then 8 commits of 1,000
//! payments. Run under callgrind with `--toggle-collect=arrears_benches::arrears_post`, see
//! docs/BENCHMARKS.md.

use arrears_benches::{arrears_post, build_portfolio, payment_charges};

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (books, ids) = build_portfolio(&dir.path().join("books.redb"), 2_000, &payment_charges);
    for commit in 0..8 {
        arrears_post(&books, &ids, commit * 1_000, 1_000);
    }
}
