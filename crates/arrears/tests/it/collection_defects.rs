//! Regression tests of issue 14 point 8, "collection defects found by probes": arms assigned
//! per debtor, holds that return to the state they interrupted, affordability counted over
//! the debtor's commitments, and policy amounts that state their currency.
//!
//! Method: each test drives the real engine through its public API on a temporary store and
//! asserts the behaviour the issue asks for; each failed before its fix.

use std::collections::BTreeMap;

use arrears::collection::CollectionState;
use arrears::ids::DebtorId;
use arrears::ledger::Book;
use arrears::model::Terms;
use arrears::{Arrears, Command, PromiseLine};

use crate::support::*;

/// A policy with two arms of equal weight and no contact steps.
fn two_arm_policy() -> Command {
    let text = "name = \"split\"\nversion = 1\ncreditor = \"first_party\"\n\n\
                [[stage]]\nname = \"all\"\nmin_dpd = 1\n\n\
                [[arm]]\nname = \"champion\"\nweight = 1\n\n\
                [[arm]]\nname = \"challenger\"\nweight = 1\n";
    Command::SetPolicy { file: "split.toml".into(), text: text.into() }
}

#[test]
fn issue_14_a_debtor_with_two_accounts_runs_under_one_arm() {
    // https://github.com/arrears/arrears/issues/14 point 8: arms were assigned per account
    // while contacts are made per debtor, so a debtor with one account in each arm was
    // contacted by the champion's strategy for both.
    let (_dir, books) = open_temp();
    books.execute("policy", &two_arm_policy()).unwrap();
    let mut arms_by_debtor: BTreeMap<DebtorId, Vec<String>> = BTreeMap::new();
    for debtor_index in 0..24 {
        let debtor = debtor(&books, &format!("D{debtor_index}"));
        for account_index in 0..2 {
            let reference = format!("A{debtor_index}-{account_index}");
            let account = account_with(&books, debtor, &reference, Terms::default(), None);
            arms_by_debtor.entry(debtor).or_default().push(books.case(account).unwrap().arm);
        }
    }
    for (debtor, arms) in &arms_by_debtor {
        assert_eq!(arms[0], arms[1], "debtor {debtor:?} has accounts in two arms");
    }
    let policy = books.policy().unwrap();
    for (debtor, arms) in &arms_by_debtor {
        assert_eq!(arms[0], policy.arm_for(debtor.0).name, "the arm is the debtor's hash");
    }
    let used: std::collections::BTreeSet<&String> = arms_by_debtor.values().flatten().collect();
    assert_eq!(used.len(), 2, "both arms get debtors: {used:?}");
}

fn run(books: &Arrears, key: &str, command: &Command) {
    let outcome = books.execute(key, command).unwrap().outcome;
    assert!(!outcome.is_rejected(), "{key}: {outcome:?}");
}

#[test]
fn issue_14_a_dispute_during_a_placement_returns_to_the_agency() {
    // https://github.com/arrears/arrears/issues/14 point 8: a dispute opened and resolved
    // while an account was placed returned the case to delinquent while the placement stayed
    // and commission was still booked. Every round trip through a hold returns to the state
    // it left, the placement and its commission unchanged.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(3, 10)).unwrap();
    let agency = "Acme Recovery".to_owned();
    let place = Command::Place {
        account,
        on: d(3, 11),
        agency: agency.clone(),
        commission_rate: "0.25".parse().unwrap(),
    };
    run(&books, "place", &place);
    let placed = books.case(account).unwrap();
    assert_eq!(placed.state, CollectionState::Placed { agency: agency.clone() });
    let open = Command::OpenDispute { account, obligations: Vec::new(), on: d(3, 12) };
    run(&books, "dispute", &open);
    let disputed = books.case(account).unwrap();
    assert_eq!(disputed.state, CollectionState::Disputed);
    assert_eq!(disputed.interrupted, vec![placed.state.clone()]);
    run(&books, "resolve", &Command::ResolveDispute { account, on: d(3, 14) });
    let resolved = books.case(account).unwrap();
    assert_eq!(resolved.state, CollectionState::Placed { agency });
    assert_eq!(resolved.placement, placed.placement);
    assert!(resolved.interrupted.is_empty());
    // The agency still works the file: its commission on what it recovers, and a recall.
    pay(&books, "p1", account, d(3, 20), 10_000);
    let view = books.account_view(account, d(3, 31)).unwrap();
    assert_eq!(view.books_minor[&Book::AgencyCommission], 2_500);
    run(&books, "recall", &Command::Recall { account, on: d(3, 25) });
    assert!(matches!(books.case(account).unwrap().state, CollectionState::Delinquent { .. }));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn issue_14_holds_return_to_legal_and_to_an_open_promise() {
    // https://github.com/arrears/arrears/issues/14 point 8: the same round trip for a legal
    // referral (through a dispute) and for a promise (through a hardship, then a dispute
    // opened during the hardship, which returns to the hardship first).
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "L");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    let promised = crate::support::account(&books, "P");
    charge(&books, "c2", promised, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(3, 10)).unwrap();
    run(&books, "legal", &Command::ReferToLegal { account, on: d(3, 11) });
    assert_eq!(books.case(account).unwrap().state, CollectionState::Legal);
    run(&books, "d1", &Command::OpenDispute { account, obligations: Vec::new(), on: d(3, 12) });
    run(&books, "r1", &Command::ResolveDispute { account, on: d(3, 13) });
    assert_eq!(books.case(account).unwrap().state, CollectionState::Legal);

    let promise = Command::Promise {
        account: promised,
        made_on: d(3, 11),
        payments: vec![PromiseLine { on: d(3, 20), amount: usd(20_000) }],
    };
    run(&books, "promise", &promise);
    assert_eq!(books.case(promised).unwrap().state, CollectionState::Promised);
    let until = d(3, 31);
    run(&books, "h", &Command::GrantHardship { account: promised, on: d(3, 12), until });
    let open = Command::OpenDispute { account: promised, obligations: Vec::new(), on: d(3, 13) };
    run(&books, "d2", &open);
    let disputed = books.case(promised).unwrap();
    let hardship = CollectionState::Hardship { until };
    assert_eq!(disputed.interrupted, vec![CollectionState::Promised, hardship.clone()]);
    run(&books, "r2", &Command::ResolveDispute { account: promised, on: d(3, 14) });
    assert_eq!(books.case(promised).unwrap().state, hardship);
    run(&books, "e", &Command::EndHardship { account: promised, on: d(3, 15) });
    let back = books.case(promised).unwrap();
    assert_eq!(back.state, CollectionState::Promised);
    assert!(back.promise.is_some());
    assert!(books.verify().unwrap().is_clean());
}
