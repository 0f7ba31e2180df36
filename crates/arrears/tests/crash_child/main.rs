//! `arrears-crash-child STORE FROM [journaled]`: the helper process of the crash test
//! (`tests/it/crash.rs`). It opens the store (with `Durability::Journaled` and exclusive
//! sharing if told so) and executes the command stream from command number `FROM` on,
//! printing `START n` before and `ACK n` after each command returns `Ok`, until the test kills
//! it. `arrears-crash-child STORE migrate [ACCOUNTS]` migrates the store
//! instead, in steps of `ACCOUNTS` accounts (ten unless given), and prints `MIGRATED` when it
//! is done.
//!
//! It is a binary of this package, built only with the feature `crash-child`, which the
//! package's dev-dependency on itself turns on: `cargo test` builds it and hands its path to
//! the test as `CARGO_BIN_EXE_arrears-crash-child`.

mod stream;

use arrears::Arrears;

use stream::{account_ids, command, date, options};

fn cycle_day(n: u64) -> chrono::NaiveDate {
    date(2, 2) + chrono::Days::new(n / 10)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(from)) = (args.next(), args.next()) else {
        eprintln!("usage: arrears-crash-child STORE FROM");
        std::process::exit(2);
    };
    if from == "migrate" {
        let options = arrears_store::StoreOptions::default();
        let path = std::path::Path::new(&path);
        let step = args.next().map_or(10, |step| step.parse().expect("ACCOUNTS is a number"));
        let done = arrears_store::Store::migrate_in_steps(path, options, step, u64::MAX).unwrap();
        println!("MIGRATED {}", done.accounts);
        return;
    }
    let from: u64 = from.parse().expect("FROM is a command number");
    let options = match args.next().as_deref() {
        Some("journaled") => arrears::Options {
            durability: arrears::Durability::Journaled,
            sharing: arrears::Sharing::Exclusive,
            ..options()
        },
        _ => options(),
    };
    let books = Arrears::open_with(&path, options).unwrap();
    let ids = account_ids(&books);
    for n in from.. {
        println!("START {n}");
        match command(n, &ids) {
            Some(command) => {
                let receipt = books.execute(&format!("k{n}"), &command).unwrap();
                assert!(!receipt.outcome.is_rejected());
            }
            None => {
                books.run_cycle(cycle_day(n)).unwrap();
            }
        }
        println!("ACK {n}");
    }
}
