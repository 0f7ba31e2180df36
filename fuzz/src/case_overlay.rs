//! The `case_overlay` target: collection cases written into a store under every placement of
//! format 8 (`arrears_store::CasePlacement`: in place, into the case overlay, settled into
//! `cases`; docs/FORMAT.md), with commits, dropped transactions and power losses between them.
//! After every step, each case read alone, all cases together, a page of them and the review
//! index agree with a model of the committed (or, inside a transaction, the written) cases:
//! whichever table holds a case, the store reads the same.

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use arrears_core::case::CollectionCase;
use arrears_core::collection::{CollectionState, StickyFlags};
use arrears_core::ids::AccountId;
use arrears_store::{CasePlacement, Durability, Reads, StoreOptions};

use crate::{day, End, Session};

/// Accounts the target writes cases for (ids 1 to 12: few, so that the same account's case
/// moves between the tables).
const ACCOUNTS: u8 = 12;

#[derive(Arbitrary, Debug)]
enum Op {
    /// The case of account `1 + account % 12`, next reviewed `day % 30` days after Jan 1.
    Put {
        account: u8,
        day: u8,
    },
    /// Where the transaction's next writes go: in place, the overlay, settled (`which % 3`).
    Place(u8),
    Commit,
    Drop,
    /// The disk keeps only what was synced; the store is opened again on it.
    PowerLoss,
}

/// Each account's next review, as an offset in days.
type Model = BTreeMap<u64, u8>;

fn case(account: u64, offset: u8) -> CollectionCase {
    CollectionCase {
        account: AccountId(account),
        state: CollectionState::Current,
        flags: StickyFlags::default(),
        stage: None,
        stage_entered_on: None,
        arm: "default".to_owned(),
        next_review_on: day(offset, 30),
        last_review_on: None,
        decided_on: day(0, 1),
        promise: None,
        plan: None,
        settlement: None,
        placement: None,
        credit_hold: false,
        broken_promises: 0,
        promise_broken_on: None,
        kept_promises: u32::from(offset),
        steps_issued: Vec::new(),
        late_fees_assessed: Vec::new(),
        interrupted: Vec::new(),
        capacity: None,
        time_barred_on: None,
        score: None,
        recalled_on: None,
        late_fee_charges: Vec::new(),
        forbearance: None,
        hardship_ended_on: None,
    }
}

fn check(reads: &impl Reads, model: &Model) {
    let expected: Vec<CollectionCase> =
        model.iter().map(|(&account, &offset)| case(account, offset)).collect();
    for account in 1..=u64::from(ACCOUNTS) {
        let found = reads.case(AccountId(account)).expect("case");
        assert_eq!(found, model.get(&account).map(|&offset| case(account, offset)), "{account}");
    }
    assert_eq!(reads.all_cases().expect("all cases"), expected);
    let page = reads.cases_after(Some(AccountId(3)), 5).expect("page");
    let first: Vec<_> =
        expected.iter().filter(|case| case.account.0 > 3).take(5).cloned().collect();
    assert_eq!(page, first);
    let due = reads.due_for_review(day(14, 30), usize::MAX).expect("due");
    let mut by_day: Vec<(u8, u64)> = model
        .iter()
        .filter(|(_, &offset)| offset <= 14)
        .map(|(&account, &offset)| (offset, account))
        .collect();
    by_day.sort_unstable();
    let expected_due: Vec<AccountId> =
        by_day.into_iter().map(|(_, account)| AccountId(account)).collect();
    assert_eq!(due, expected_due);
}

pub fn case_overlay(data: &[u8]) {
    let ops: Vec<Op> = crate::ops(data, 200);
    let options = StoreOptions {
        cache_size_bytes: 1 << 20,
        durability: Durability::Immediate,
        ..StoreOptions::default()
    };
    let mut session: Session<Model> = Session::new(options);
    for op in ops {
        match op {
            Op::Put { account, day: offset } => {
                let account = 1 + u64::from(account % ACCOUNTS);
                let (txn, written) = session.write();
                txn.put_case(&case(account, offset % 30)).expect("put");
                written.insert(account, offset % 30);
                check(txn, written);
            }
            Op::Place(which) => {
                let (txn, _) = session.write();
                txn.place_cases(match which % 3 {
                    0 => CasePlacement::InPlace,
                    1 => CasePlacement::Overlay,
                    _ => CasePlacement::Settled,
                });
            }
            Op::Commit => session.end(End::Commit, check),
            Op::Drop => session.end(End::Drop, check),
            Op::PowerLoss => session.end(End::PowerLoss, check),
        }
    }
}
