//! A command's idempotency record keeps a pointer to the ledger row its outcome is rebuilt from
//! (format 13), when the rebuild is exact, and the outcome a retry, the change feed and
//! `verify` read is the one the command returned, byte for byte.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use arrears::{ChangeKind, Command, Outcome};
use arrears_store::codec::{encode_record, RecordKind};
use arrears_store::Reads;

use crate::support::{account, charge, d, open_temp, pay, usd};

/// The recorded result of `key`'s command: its raw bytes, as the store keeps them.
fn stored_result(books: &arrears::Arrears, key: &str) -> Vec<u8> {
    books.store().read().unwrap().idempotency(key).unwrap().unwrap().result
}

/// The outcome the change feed carries for `key`'s command.
fn fed_outcome(books: &arrears::Arrears, key: &str) -> Outcome {
    let page = books.changes(0, 1_000).unwrap();
    page.changes
        .into_iter()
        .find_map(|change| match change.kind {
            ChangeKind::Command { key: found, outcome, .. } if found == key => Some(*outcome),
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_payment_points_at_its_ledger_row_and_replays_the_outcome_it_returned() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 300_00);
    charge(&books, "c2", account, d(1, 1), d(2, 28), 300_00);
    let first = pay(&books, "p1", account, d(2, 5), 120_00);
    let second = pay(&books, "p2", account, d(2, 20), 50_00);
    // Back-dated before the second: the second's allocation changes, so this one writes a
    // correction of it beside its own entry.
    let back_dated = pay(&books, "p3", account, d(2, 10), 400_00);
    assert!(!back_dated.corrections.is_empty(), "{back_dated:?}");

    for (key, outcome) in [("p1", &first), ("p2", &second), ("p3", &back_dated)] {
        // The marker and three small varints (the row, the account, the event), not the
        // outcome's record.
        let stored = stored_result(&books, key);
        assert!(stored.len() <= 8 && stored[0] == 0xC1, "{key}: {stored:?}");
        let command = Command::Payment {
            account,
            effective_on: match key {
                "p1" => d(2, 5),
                "p2" => d(2, 20),
                _ => d(2, 10),
            },
            amount: usd(match key {
                "p1" => 120_00,
                "p2" => 50_00,
                _ => 400_00,
            }),
            directed_to: None,
        };
        let retry = books.execute(key, &command).unwrap();
        assert!(retry.replayed);
        let expected = Outcome::Posted(outcome.clone());
        assert_eq!(retry.outcome, expected, "{key}");
        assert_eq!(
            encode_record(RecordKind::Outcome, &retry.outcome),
            encode_record(RecordKind::Outcome, &expected)
        );
        assert_eq!(fed_outcome(&books, key), expected, "{key}");
    }
    // A charge creates an obligation, which its row does not say: its outcome is kept whole.
    let stored = stored_result(&books, "c1");
    assert!(stored.len() > 20 && stored[0] < 16, "{stored:?}");
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

/// A pointer that reaches a row another command appended is damage: a retry under the key
/// fails with the store's error instead of answering with the other command's outcome, and
/// `verify` names the key whose command the row reaches. Here `p1`'s row of the index is moved
/// under the row key of `p0` (one flipped bit in it).
#[test]
fn a_pointer_to_another_commands_row_is_reported_not_replayed() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 300_00);
    pay(&books, "p1", account, d(2, 5), 120_00);
    let mut txn = books.store().write().unwrap();
    txn.raw_move_idempotency("p1", Some("p0")).unwrap();
    txn.commit().unwrap();

    let retry =
        Command::Payment { account, effective_on: d(2, 5), amount: usd(120_00), directed_to: None };
    // Refused by the index's own check (it reaches another key's audit entry) before the
    // pointer is followed; either way no outcome is answered.
    let error = books.execute("p0", &retry).unwrap_err();
    assert!(
        matches!(
            &error,
            arrears::CommandError::Storage(arrears::StorageError::Corrupted {
                table: "idempotency_index",
                ..
            })
        ),
        "{error:?}"
    );
    let report = books.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.subject == "p1"
                && problem.detail.contains("another key's row key")),
        "{:?}",
        report.problems
    );
}
