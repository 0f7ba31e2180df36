//! Writes the format fixture of the current format version,
//! `tests/fixtures/v{FORMAT_VERSION}/sample.redb`, which the `fixture` integration tests open
//! with every later build: two accounts, three charges, two payments and a cycle, at a fixed
//! instant (and from format 11 a third account with two charges in one commit, from format 12
//! a fourth whose interest is counted 30/360).
//!
//! Run it only when a format change is intended and its version has no fixture yet:
//! `cargo run -p arrears --example write_fixture`. It refuses to replace an existing file,
//! because a released version's fixture is never rewritten (docs/DURABILITY.md). An optional
//! argument writes to another path instead, to compare with the checked-in file.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::PathBuf;
use std::process::ExitCode;

use arrears::model::{DayCount, InterestBase, InterestTerms, Terms};
use arrears::money::RoundingRule;
use arrears::{Arrears, Command, Durability, FixedClock, Options};

// The integration tests' helpers, so that the fixture holds exactly the commands (keys,
// debtors, accounts) the tests issue. The example does not use all of them.
#[allow(dead_code)]
#[path = "../tests/it/support.rs"]
mod support;

use support::{account, charge, d, pay};

fn main() -> ExitCode {
    let path = std::env::args_os().nth(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/fixtures/v{}/sample.redb", arrears_store::FORMAT_VERSION))
        },
        PathBuf::from,
    );
    if path.exists() {
        eprintln!(
            "{} exists; a fixture is never rewritten (remove it first only if its format \
             version was never released)",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the fixture's directory");
    }
    write(&path);
    eprintln!("wrote {}", path.display());
    ExitCode::SUCCESS
}

fn write(path: &std::path::Path) {
    let options = Options {
        durability: Durability::Immediate,
        clock: Box::new(FixedClock("2026-03-01T00:00:00Z".parse().unwrap())),
        ..Options::default()
    };
    let books = Arrears::create_with(path, options).unwrap();
    let first = account(&books, "FX-1");
    let second = account(&books, "FX-2");
    charge(&books, "fx-c1", first, d(1, 1), d(1, 31), 250_00);
    charge(&books, "fx-c2", first, d(2, 1), d(2, 28), 100_00);
    charge(&books, "fx-c3", second, d(1, 15), d(2, 15), 80_00);
    pay(&books, "fx-p1", first, d(2, 10), 300_00);
    pay(&books, "fx-p2", second, d(2, 20), 30_00);
    books.run_cycle(d(3, 1)).unwrap();
    // From format 11: a commit of two ledger events (a third account's two charges in one
    // batch), which writes its ledger rows in one chunk.
    let third = account(&books, "FX-3");
    let mut batch = books.batch().unwrap();
    for (key, issued_on) in [("fx-c4", d(3, 1)), ("fx-c5", d(3, 2))] {
        let charge = support::charge_command(third, issued_on, d(3, 31), 40_00);
        assert!(!batch.execute(key, &charge).unwrap().outcome.is_rejected());
    }
    batch.commit().unwrap();
    // From format 12: a `thirty_360` account (the day count's new stored variant) with a
    // payment on the 31st and an accrual: 28.60 of interest.
    let terms = Terms {
        interest: Some(InterestTerms {
            annual_rate: "0.36".parse().unwrap(),
            day_count: DayCount::Thirty360,
            base: InterestBase::OutstandingPrincipal,
            rounding: RoundingRule::HalfEven,
        }),
        ..Terms::default()
    };
    let debtor = support::debtor(&books, "D-FX-4");
    let fourth = support::account_with(&books, debtor, "FX-4", terms, None);
    charge(&books, "fx-c6", fourth, d(1, 15), d(2, 15), 1_000_00);
    pay(&books, "fx-p5", fourth, d(1, 31), 100_00);
    let accrue = Command::AccrueInterest { account: fourth, through_on: d(2, 14), due_on: d(3, 1) };
    assert!(!books.execute("fx-i1", &accrue).unwrap().outcome.is_rejected());
    assert!(books.verify().unwrap().is_clean());
}
