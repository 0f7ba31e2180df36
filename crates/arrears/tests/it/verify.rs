//! `verify` reports damage with ids and repairs nothing.

use arrears::ids::EntryId;
use arrears::ledger::Posting;
use arrears_store::codec::{encode, RecordKind};
use arrears_store::Reads;

use crate::support::*;

fn sample(
) -> (tempfile::TempDir, arrears::Arrears, arrears::ids::AccountId, arrears::ids::ObligationId) {
    let (dir, books) = open_temp();
    let account = account(&books, "A");
    let obligation = charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    pay(&books, "p1", account, d(2, 1), 2_500);
    (dir, books, account, obligation)
}

#[test]
fn a_clean_store_verifies_clean() {
    let (_dir, books, _, _) = sample();
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.accounts_checked, 1);
    assert_eq!(report.entries_checked, 2);
}

#[test]
fn a_flipped_byte_in_an_entry_is_reported_not_answered() {
    let (_dir, books, _, _) = sample();
    let entry = books.ledger(books.account_ids().unwrap()[0]).unwrap()[1].clone();
    let mut bytes = encode(RecordKind::Entry, &entry);
    bytes[6] ^= 0x01;
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("journal", entry.id.get(), &bytes).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.check == "read" && problem.detail.contains("checksum")),
        "{:?}",
        report.problems
    );
    // Reading the damaged ledger is an error, never wrong data.
    assert!(books.ledger(entry.account).is_err());
}

#[test]
fn a_well_formed_but_wrong_entry_is_reported() {
    let (_dir, books, account, obligation) = sample();
    let mut entry = books.ledger(account).unwrap()[1].clone();
    // Take one cent off what the payment settled: the record decodes, but the entry no longer
    // balances and no longer matches what the event derives.
    entry.postings =
        arrears::ledger::normalize(entry.postings.into_iter().map(|posting: Posting| {
            if posting.obligation == Some(obligation) {
                Posting { amount_minor: posting.amount_minor + 1, ..posting }
            } else {
                posting
            }
        }));
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("journal", entry.id.get(), &encode(RecordKind::Entry, &entry)).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    let checks: Vec<_> = report.problems.iter().map(|problem| problem.check).collect();
    assert!(checks.contains(&"entry_balance"), "{checks:?}");
    assert!(checks.contains(&"journal_balance"), "{checks:?}");
    assert!(checks.contains(&"journal"), "{checks:?}");
    assert!(report
        .problems
        .iter()
        .any(|problem| problem.subject == format!("{}", EntryId(entry.id.get()))));
}

#[test]
fn a_missing_index_row_is_reported() {
    let (_dir, books, account, obligation) = sample();
    let mut txn = books.store().write().unwrap();
    txn.raw_remove_obligation_index(account, obligation).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].check, "index");
    assert_eq!(report.problems[0].subject, format!("{account} {obligation}"));
    // verify repairs nothing: a second run finds the same.
    assert_eq!(books.verify().unwrap().problems, report.problems);
}

#[test]
fn a_wrong_or_damaged_snapshot_is_reported() {
    let (_dir, books, account, _) = sample();
    let mut snapshot = books.store().read().unwrap().snapshot(account).unwrap().unwrap();
    // A well-formed snapshot that owes one cent less than the events say.
    let obligation = snapshot.obligations.values_mut().next().unwrap();
    obligation.outstanding_minor[0] -= 1;
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("snapshots", account.get(), &encode(RecordKind::Snapshot, &snapshot))
        .unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert!(
        report.problems.iter().any(|problem| problem.check == "snapshot"
            && problem.subject == account.to_string()
            && problem.detail.contains("differs")),
        "{:?}",
        report.problems
    );
    // A flipped bit in the snapshot is a read error, never an answer.
    let mut bytes = encode(RecordKind::Snapshot, &snapshot);
    bytes[7] ^= 0x10;
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("snapshots", account.get(), &bytes).unwrap();
    txn.commit().unwrap();
    assert!(books.account_view(account, d(3, 1)).is_err());
    let report = books.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.check == "read" && problem.detail.contains("snapshot")),
        "{:?}",
        report.problems
    );
}
