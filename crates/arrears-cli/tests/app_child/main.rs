//! `arrears-app-child STORE post COUNT`, `... check COUNT` and `... hold MS`: the application
//! of the several-processes test (`tests/it/shared.rs`).
//!
//! `post` holds the store open, as an embedding application does (writable, default sharing),
//! and posts `COUNT` payments of one minor unit's hundredfold (1.00 in the account's
//! currency) round-robin over every account of the store, one command per transaction, printing
//! `ACK n` after each command returns `Ok`. `check` opens the store and executes the same
//! commands again: each must answer `replayed`, so every acknowledged payment is in the store
//! exactly once; it prints `REPLAYED COUNT` at the end. `hold` begins a batch (a write
//! transaction), prints `HELD`, keeps it `MS` milliseconds and drops it (nothing written).
//!
//! It is a binary of this package, built only with the feature `app-child`, which the
//! package's dev-dependency on itself turns on: `cargo test` builds it and hands its path to
//! the test as `CARGO_BIN_EXE_arrears-app-child`.

use std::io::Write;

use arrears::case::AuditKind;
use arrears::money::Money;
use arrears::{Arrears, Command};

/// The value date of every payment: the sample portfolio's "today".
const PAID_ON: &str = "2026-11-20";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, mode, count] = args.as_slice() else {
        eprintln!("usage: arrears-app-child STORE post|check COUNT");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT is a number");
    let books = Arrears::open(path).expect("open the store");
    if mode == "hold" {
        let batch = books.batch().expect("the write lock");
        println!("HELD");
        std::io::stdout().flush().expect("stdout");
        std::thread::sleep(std::time::Duration::from_millis(count));
        drop(batch);
        return;
    }
    let accounts = books.account_ids().expect("account ids");
    assert!(!accounts.is_empty(), "the store has accounts");
    let paid_on = PAID_ON.parse().expect("date");
    let stdout = std::io::stdout();
    for n in 0..count {
        let account = accounts[(n % accounts.len() as u64) as usize];
        let currency = books.account(account).expect("account").expect("known account").currency;
        let command = Command::Payment {
            account,
            effective_on: paid_on,
            amount: Money::from_minor(100, currency),
            directed_to: None,
        };
        let receipt = books.execute(&format!("app-payment-{n}"), &command).expect("payment");
        assert!(!receipt.outcome.is_rejected(), "payment {n} refused: {:?}", receipt.outcome);
        match mode.as_str() {
            "post" => {
                assert!(!receipt.replayed, "payment {n} was new");
                let mut out = stdout.lock();
                writeln!(out, "ACK {n}").expect("stdout");
                out.flush().expect("stdout");
            }
            "check" => assert!(receipt.replayed, "payment {n} is not in the store"),
            other => panic!("unknown mode {other:?}"),
        }
    }
    if mode == "check" {
        println!("REPLAYED {count}");
        // Where the first cycle record sits among the payments: how many came before it.
        let log = books.audit_log(None).expect("audit log");
        let cycle_at = log.iter().position(|record| matches!(record.kind, AuditKind::Cycle { .. }));
        let before = cycle_at.map_or(0, |at| {
            log[..at]
                .iter()
                .filter(|record| {
                    matches!(&record.kind, AuditKind::CommandExecuted { key, .. } if key.starts_with("app-"))
                })
                .count()
        });
        println!("CYCLE_AFTER {before}");
    }
}
