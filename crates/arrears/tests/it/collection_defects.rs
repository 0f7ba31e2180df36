//! Regression tests of issue 14 point 8, "collection defects found by probes": arms assigned
//! per debtor, holds that return to the state they interrupted, affordability counted over
//! the debtor's commitments, and policy amounts that state their currency.
//!
//! Method: each test drives the real engine through its public API on a temporary store and
//! asserts the behaviour the issue asks for; each failed before its fix.

use std::collections::BTreeMap;

use arrears::ids::DebtorId;
use arrears::model::Terms;
use arrears::Command;

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
