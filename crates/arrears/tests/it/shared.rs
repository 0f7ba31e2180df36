//! Several handles on one store file (issue 14 point 2). redb's locks are per open file, so two
//! handles of one process share a file exactly as two processes do: what holds here holds
//! across processes (the real-process test is the CLI's `tests/it/shared.rs`).
//!
//! Goal: nothing a handle keeps in memory goes stale when another commits. Method: random
//! interleavings of commands over two writable handles, against a model of what was
//! committed: every id is taken once, each account's balance is what the model paid, the
//! audit chain is one unbroken sequence, a read-only handle sees every commit, and `verify`
//! is clean.

use arrears::{Arrears, Command, FixedClock, Options, Outcome};
use proptest::prelude::*;

use crate::support::*;

#[derive(Debug, Clone)]
enum Op {
    /// A new debtor with one account, on handle `on`.
    Open { on: usize },
    /// A payment to the `pick`-th account opened so far.
    Pay { on: usize, pick: usize, amount: i64 },
    /// The daily cycle (it writes cases, audit records and perhaps actions).
    Cycle { on: usize, day: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0usize..2).prop_map(|on| Op::Open { on }),
        5 => (0usize..2, any::<usize>(), 1i64..5_000).prop_map(|(on, pick, amount)| Op::Pay { on, pick, amount }),
        1 => (0usize..2, 1u32..28).prop_map(|(on, day)| Op::Cycle { on, day }),
    ]
}

fn options() -> Options {
    Options {
        clock: Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap())),
        ..Options::default()
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    drop(Arrears::create_with(&path, options()).unwrap());
    let handles = [
        Arrears::open_with(&path, options()).unwrap(),
        Arrears::open_with(&path, options()).unwrap(),
    ];
    let reader = Arrears::open_read_only(&path).unwrap();
    // The model: each account opened, with what was paid to it.
    let mut accounts: Vec<(arrears::ids::AccountId, i64)> = Vec::new();
    let mut audited = 0;
    for (n, op) in ops.iter().enumerate() {
        match *op {
            Op::Open { on } => {
                let books = &handles[on];
                let account = account(books, &format!("S-{n}"));
                charge(books, &format!("charge-{n}"), account, d(1, 1), d(1, 31), 100_000);
                prop_assert!(
                    accounts.iter().all(|(other, _)| *other != account),
                    "id {account} reused"
                );
                accounts.push((account, 0));
            }
            Op::Pay { on, pick, amount } => {
                if accounts.is_empty() {
                    continue;
                }
                let len = accounts.len();
                let (account, paid) = &mut accounts[pick % len];
                let command = Command::Payment {
                    account: *account,
                    effective_on: d(2, 1),
                    amount: usd(amount),
                    directed_to: None,
                };
                let receipt = handles[on].execute(&format!("pay-{n}"), &command).unwrap();
                prop_assert!(
                    matches!(receipt.outcome, Outcome::Posted(_)),
                    "{:?}",
                    receipt.outcome
                );
                *paid += amount;
            }
            Op::Cycle { on, day } => {
                handles[on].run_cycle(d(2, day)).unwrap();
            }
        }
        // The other handle and the reader see this commit, and the chain only grows.
        let head = reader.audit_head().unwrap().map_or(0, |anchor| anchor.seq);
        prop_assert!(audited <= head);
        audited = head;
        prop_assert_eq!(handles[0].audit_head().unwrap(), handles[1].audit_head().unwrap());
    }
    for &(account, paid) in &accounts {
        for books in handles.iter().chain([&reader]) {
            let view = books.account_view(account, d(2, 1)).unwrap();
            prop_assert_eq!(view.total_outstanding_minor - view.unapplied_minor, 100_000 - paid);
        }
    }
    let log = reader.audit_log(None).unwrap();
    let seqs: Vec<u64> = log.iter().map(|record| record.seq).collect();
    prop_assert_eq!(seqs, (1..=log.len() as u64).collect::<Vec<u64>>());
    let report = reader.verify().unwrap();
    prop_assert!(report.is_clean(), "{:?}", report);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn two_writers_interleaved_keep_ids_balances_and_the_audit_chain(ops in proptest::collection::vec(op(), 1..20)) {
        run(&ops)?;
    }
}
