//! Format 8's case overlay (issue 16 point 4, the 5% day's pages): a day of the cycle on which
//! the due accounts are far apart writes their cases to the overlay, where they shadow the rows
//! of `cases`; every read finds them there, a later command writes them where they are, a
//! day of accounts close together takes them back into `cases`, and `verify` is clean
//! throughout.

// Amounts are written in cents: `120_00` is 120.00.
#![allow(clippy::inconsistent_digit_grouping)]

use arrears::collection::CollectionState;
use arrears::ids::AccountId;
use arrears::{Arrears, Durability, FixedClock, Options, Sharing};
use arrears_store::Reads;

use crate::support::*;

fn options() -> Options {
    Options {
        durability: Durability::Immediate,
        sharing: Sharing::Exclusive,
        clock: Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap())),
        ..Options::default()
    }
}

fn overlaid(books: &Arrears) -> u64 {
    books.store().read().unwrap().cases_overlaid().unwrap()
}

fn assert_clean(books: &Arrears) {
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

/// `count` accounts of one invoice each; every tenth falls due on Jan 5 (returned), the rest
/// on Jun 30.
fn portfolio(books: &Arrears, count: usize) -> Vec<AccountId> {
    let ids: Vec<_> = (0..count)
        .map(|n| {
            let id = account(books, &format!("OV-{n}"));
            let due = if n % 10 == 0 { d(1, 5) } else { d(6, 30) };
            charge(books, &format!("charge-{n}"), id, d(1, 1), due, 120_00);
            id
        })
        .collect();
    ids.into_iter().step_by(10).collect()
}

#[test]
fn a_sparse_day_writes_its_cases_to_the_overlay_and_a_full_day_takes_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let books = Arrears::create_with(&path, options()).unwrap();
    let due = portfolio(&books, 200);

    // Every account is due on its opening day: accounts close together, into `cases`.
    assert_eq!(books.run_cycle(d(1, 1)).unwrap().reviewed, 200);
    assert_eq!(overlaid(&books), 0);
    let before = books.store().read().unwrap().all_cases().unwrap();

    // One in ten due, far apart: their cases go to the overlay, the others stay as they were.
    let report = books.run_cycle(d(1, 6)).unwrap();
    assert_eq!((report.reviewed, report.transitions), (20, 20));
    assert_eq!(overlaid(&books), 20);
    let read = books.store().read().unwrap();
    let after = read.all_cases().unwrap();
    assert_eq!(after.len(), 200);
    for (old, new) in before.iter().zip(&after) {
        if due.contains(&new.account) {
            assert!(matches!(new.state, CollectionState::Delinquent { .. }), "{}", new.account);
            assert_eq!(new.last_review_on, Some(d(1, 6)));
            assert_eq!(read.case(new.account).unwrap().as_ref(), Some(new));
        } else {
            assert_eq!(old, new);
        }
    }
    // The review index follows the overlay's cases: the due accounts are due again tomorrow.
    assert_eq!(read.due_for_review(d(1, 7), usize::MAX).unwrap(), due);
    let page = read.cases_after(Some(due[3]), 5).unwrap();
    assert_eq!(page, after[31..36].to_vec());
    drop(read);
    assert_clean(&books);

    // A payment writes the case where it is: still in the overlay, paid up.
    pay(&books, "pay-0", due[0], d(1, 7), 120_00);
    assert_eq!(overlaid(&books), 20);
    let paid = books.case(due[0]).unwrap();
    assert_eq!(paid.state, CollectionState::Paid);
    assert_clean(&books);

    // Kept across a reopen.
    drop(books);
    let books = Arrears::open_with(&path, options()).unwrap();
    assert_eq!(overlaid(&books), 20);
    assert_eq!(books.case(due[0]).unwrap(), paid);
    let report = books.run_cycle(d(1, 7)).unwrap();
    assert_eq!(report.reviewed, 20);
    assert_eq!(overlaid(&books), 20);
    assert_clean(&books);

    // Every account due again (Jun 30): accounts close together, back into `cases`.
    let report = books.run_cycle(d(7, 1)).unwrap();
    assert_eq!(report.reviewed, 200);
    assert_eq!(overlaid(&books), 0);
    let read = books.store().read().unwrap();
    for case in read.all_cases().unwrap() {
        assert_eq!(case.last_review_on, Some(d(7, 1)), "{}", case.account);
    }
    drop(read);
    assert_clean(&books);
}

/// A damaged row of the overlay is an error where it is read, never a case of `cases` in its
/// place, and `verify` reports it with its table and key.
#[test]
fn a_damaged_overlay_row_is_reported_not_read_past() {
    let (_dir, books) = open_temp();
    let due = portfolio(&books, 100);
    books.run_cycle(d(1, 1)).unwrap();
    books.run_cycle(d(1, 6)).unwrap();
    assert_eq!(overlaid(&books), 10);
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("cases_overlay", due[2].get(), b"not a case").unwrap();
    txn.commit().unwrap();
    let error = books.case(due[2]).unwrap_err().to_string();
    assert!(error.contains("cases_overlay"), "{error}");
    assert!(books.case(due[1]).is_ok());
    let report = books.verify().unwrap();
    assert!(
        report.problems.iter().any(|problem| problem.check == "read"
            && problem.detail.contains(&format!("cases_overlay record at key {}", due[2].get()))),
        "{:?}",
        report.problems
    );
}
