//! Issue 16 point 3: concurrent `execute` callers share write transactions (group commit).
//! Each caller gets its own receipt; a refused command and a failing command take nothing of
//! the others with them; read-your-writes holds when `execute` returns; the books verify.

use std::sync::{Arc, Barrier};

use arrears::{Command, CommandError, Outcome};

use crate::support::*;

#[test]
fn concurrent_callers_each_get_their_own_receipt_and_nothing_leaks_between_them() {
    let (_dir, books) = open_temp();
    let threads = 8;
    let accounts: Vec<_> = (0..threads)
        .map(|index| {
            let account = account(&books, &format!("G-{index}"));
            charge(&books, &format!("c{index}"), account, d(1, 1), d(1, 31), 100_000);
            account
        })
        .collect();
    let books = Arc::new(books);
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(index, &account)| {
            let (books, barrier) = (books.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut paid = 0;
                for round in 0..40i64 {
                    let key = format!("pay-{index}-{round}");
                    let amount = 100 + round;
                    let payment = Command::Payment {
                        account,
                        effective_on: d(2, 1),
                        amount: usd(amount),
                        directed_to: None,
                    };
                    let receipt = books.execute(&key, &payment).unwrap();
                    assert!(matches!(receipt.outcome, Outcome::Posted(_)), "{receipt:?}");
                    paid += amount;
                    // Read-your-writes: the payment is visible as soon as execute returns.
                    let view = books.account_view(account, d(2, 1)).unwrap();
                    assert_eq!(view.total_outstanding_minor, 100_000 - paid);
                    // A refusal (more than owed on a waiver) and an error (an unknown
                    // account) in the same groups write nothing and harm no one.
                    let too_much = Command::Waiver {
                        account,
                        obligation: arrears::ids::ObligationId(u64::MAX),
                        component: arrears::model::Component::Principal,
                        effective_on: d(2, 1),
                        amount: usd(1),
                    };
                    let refused = books.execute(&format!("waive-{index}-{round}"), &too_much);
                    assert!(
                        matches!(refused, Ok(ref receipt) if receipt.outcome.is_rejected())
                            || matches!(refused, Err(CommandError::Invalid { .. })),
                        "{refused:?}"
                    );
                    let unknown = Command::Payment {
                        account: arrears::ids::AccountId(u64::MAX),
                        effective_on: d(2, 1),
                        amount: usd(1),
                        directed_to: None,
                    };
                    let error = books.execute(&format!("bad-{index}-{round}"), &unknown);
                    assert!(matches!(error, Err(CommandError::UnknownAccount(_))), "{error:?}");
                    // The same key again replays.
                    let again = books.execute(&key, &payment).unwrap();
                    assert!(again.replayed);
                }
                paid
            })
        })
        .collect();
    let paid: Vec<i64> = handles.into_iter().map(|handle| handle.join().unwrap()).collect();
    for (account, paid) in accounts.iter().zip(paid) {
        let view = books.account_view(*account, d(2, 1)).unwrap();
        assert_eq!(view.total_outstanding_minor, 100_000 - paid);
    }
    // The keys of the refused and failed commands stay free.
    let free = Command::Payment {
        account: accounts[0],
        effective_on: d(2, 1),
        amount: usd(1),
        directed_to: None,
    };
    assert!(!books.execute("bad-0-0", &free).unwrap().replayed);
    assert!(books.verify().unwrap().is_clean());
}

/// Issue 16 point 3: every refusal happens before the first write. The engine checks it on
/// every command (a refused or replayed command that changed the transaction aborts the batch
/// with `CommandError::WroteBeforeRefusing`); here refusals of each source (the ledger, the
/// state machine, the credit limit) inside a batch that already wrote come back as refusals,
/// and the batch commits only what the accepted commands wrote.
#[test]
fn every_refusal_happens_before_the_first_write() {
    let (_dir, books) = open_temp();
    let account = account(&books, "R-1");
    let limited = account_with(
        &books,
        debtor(&books, "D-R-2"),
        "R-2",
        arrears::model::Terms::default(),
        Some(1_000),
    );
    let obligation = charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    let before = books.account_view(account, d(2, 1)).unwrap().total_outstanding_minor;
    let mut batch = books.batch().unwrap();
    let pay =
        Command::Payment { account, effective_on: d(2, 1), amount: usd(1_000), directed_to: None };
    assert!(!batch.execute("pay", &pay).unwrap().outcome.is_rejected());
    let refusals = [
        // The ledger: more than is owed.
        Command::Waiver {
            account,
            obligation,
            component: arrears::model::Component::Principal,
            effective_on: d(2, 1),
            amount: usd(900_000),
        },
        // The ledger: before the account opened.
        Command::Payment {
            account,
            effective_on: d(1, 1) - chrono::Days::new(400),
            amount: usd(5),
            directed_to: None,
        },
        // The state machine: a closed-end account cannot be reopened.
        Command::Reopen { account, on: d(2, 1) },
        // The credit limit.
        charge_command(limited, d(1, 2), d(2, 1), 5_000),
    ];
    for (index, command) in refusals.iter().enumerate() {
        let receipt = batch.execute(&format!("refused-{index}"), command).unwrap();
        assert!(receipt.outcome.is_rejected(), "{index}: {receipt:?}");
    }
    batch.commit().unwrap();
    let after = books.account_view(account, d(2, 1)).unwrap().total_outstanding_minor;
    assert_eq!(after, before - 1_000, "only the payment was written");
    assert_eq!(books.account_view(limited, d(2, 1)).unwrap().total_outstanding_minor, 0);
    for index in 0..refusals.len() {
        assert!(books.recorded(&format!("refused-{index}")).unwrap().is_none(), "key {index} free");
    }
    assert!(books.verify().unwrap().is_clean());
}

/// `execute_all`: one caller's commands as one commit, each with its own result, as a group of
/// concurrent callers: an error (a key used for another command) and a refusal write nothing
/// and take nothing of the others with them; the same call again replays every command made;
/// a thread that holds a batch is told so for each command.
#[test]
fn execute_all_answers_each_command_as_a_group_of_callers_is_answered() {
    let (_dir, books) = open_temp();
    let account = account(&books, "EA-1");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 100_000);
    let pay = |amount: i64| Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: usd(amount),
        directed_to: None,
    };
    let refused = Command::Waiver {
        account,
        obligation: arrears::ids::ObligationId(u64::MAX),
        component: arrears::model::Component::Principal,
        effective_on: d(2, 1),
        amount: usd(1),
    };
    let commands = vec![
        ("p1".to_owned(), pay(1_000)),
        ("c1".to_owned(), pay(7)), // the charge's key: a conflict
        ("w1".to_owned(), refused),
        ("p2".to_owned(), pay(2_000)),
    ];
    let results = books.execute_all(&commands);
    assert_eq!(results.len(), 4);
    assert!(matches!(&results[0], Ok(receipt) if !receipt.outcome.is_rejected()), "{results:?}");
    assert!(matches!(&results[1], Err(CommandError::IdempotencyConflict { .. })), "{results:?}");
    assert!(
        matches!(&results[2], Ok(receipt) if receipt.outcome.is_rejected())
            || matches!(&results[2], Err(CommandError::Invalid { .. })),
        "{results:?}"
    );
    assert!(matches!(&results[3], Ok(receipt) if !receipt.outcome.is_rejected()), "{results:?}");
    let view = books.account_view(account, d(2, 1)).unwrap();
    assert_eq!(view.total_outstanding_minor, 100_000 - 3_000);

    let again = books.execute_all(&[commands[0].clone(), commands[3].clone()]);
    assert!(again.iter().all(|result| matches!(result, Ok(receipt) if receipt.replayed)));
    assert!(books.execute_all(&[]).is_empty());
    let batch = books.batch().unwrap();
    let held = books.execute_all(&[("p3".to_owned(), pay(1))]);
    assert!(matches!(held[..], [Err(CommandError::ThreadHoldsBatch)]), "{held:?}");
    drop(batch);
    assert_eq!(books.account_view(account, d(2, 1)).unwrap().total_outstanding_minor, 97_000);
    assert!(books.verify().unwrap().is_clean());
}

/// A clock that moves a minute each time it is read: each write transaction of a group gets
/// its own instant.
struct Ticking(std::sync::Mutex<chrono::DateTime<chrono::Utc>>);

impl arrears::Clock for Ticking {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let mut now = self.0.lock().unwrap();
        *now += chrono::Duration::minutes(1);
        *now
    }
}

/// A command of a group that fails without writing (a key used for another command) leaves the
/// group's transaction as it was: the others are made in it, at its instant, not run again in
/// a new transaction at a later one.
#[test]
fn a_command_that_fails_without_writing_does_not_make_the_others_run_again() {
    let start: chrono::DateTime<chrono::Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
    let (_dir, books) = open_temp_with(Box::new(Ticking(std::sync::Mutex::new(start))));
    let account = account(&books, "NR-1");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 100_000);
    let pay = |amount: i64| Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: usd(amount),
        directed_to: None,
    };
    let before = books.events(account).unwrap().len();
    let results = books.execute_all(&[
        ("p1".to_owned(), pay(1_000)),
        ("c1".to_owned(), pay(7)), // the charge's key: a conflict, nothing written
        ("p2".to_owned(), pay(2_000)),
    ]);
    assert!(matches!(&results[1], Err(CommandError::IdempotencyConflict { .. })), "{results:?}");
    let events = books.events(account).unwrap();
    let made: Vec<_> = events[before..].iter().map(|record| record.recorded_at).collect();
    assert_eq!(made.len(), 2, "{events:?}");
    assert_eq!(made[0], made[1], "one transaction, one instant");
    // The instant the group's one transaction read, right after the set-up's.
    let setup_last = events[before - 1].recorded_at;
    assert_eq!(made[0], setup_last + chrono::Duration::minutes(1), "{made:?} after {setup_last}");
}
