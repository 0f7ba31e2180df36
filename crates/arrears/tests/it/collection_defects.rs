//! Regression tests of issue 14 point 8, "collection defects found by probes": arms assigned
//! per debtor, holds that return to the state they interrupted, affordability counted over
//! the debtor's commitments, and policy amounts that state their currency.
//!
//! Method: each test drives the real engine through its public API on a temporary store and
//! asserts the behaviour the issue asks for; each failed before its fix.

use std::collections::BTreeMap;

use arrears::collection::CollectionState;
use arrears::ids::{AccountId, DebtorId};
use arrears::ledger::Book;
use arrears::model::Terms;
use arrears::plan::{Frequency, Unaffordable};
use arrears::{Arrears, Command, NewPlan, Outcome, PolicyRefusal, PromiseLine, Rejection};
use chrono::NaiveDate;
use proptest::prelude::*;

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
    books.execute("policy", &two_arm_policy()).unwrap().accepted().unwrap();
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

fn plan(
    account: AccountId,
    on: NaiveDate,
    installments: u32,
    income: i64,
    expenses: i64,
) -> Command {
    Command::CreatePlan(NewPlan {
        account,
        created_on: on,
        installments,
        frequency: Frequency::Monthly,
        first_due: on + chrono::Days::new(10),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(income),
        monthly_expenses: usd(expenses),
    })
}

fn unaffordable(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Rejected(Rejection::Policy(PolicyRefusal::PlanUnaffordable(
            Unaffordable::AboveDebtorCapacity { .. }
        )))
    )
}

#[test]
fn issue_14_two_plans_of_one_debtor_share_the_debtors_capacity() {
    // https://github.com/arrears/arrears/issues/14 point 8: affordability was checked per
    // account, so one debtor got two plans that together took 72% of the disposable income
    // the policy caps at 40%. Capacity to pay is the debtor's.
    let (_dir, books) = open_temp();
    let debtor = debtor(&books, "D");
    let first = account_with(&books, debtor, "A1", Terms::default(), None);
    let second = account_with(&books, debtor, "A2", Terms::default(), None);
    charge(&books, "c1", first, d(1, 1), d(1, 31), 36_000);
    charge(&books, "c2", second, d(1, 1), d(1, 31), 36_000);
    // 1,000.00 disposable a month, 400.00 affordable: one plan of 360.00 fits, two do not.
    run(&books, "plan-1", &plan(first, d(2, 10), 1, 200_000, 100_000));
    let outcome = books.execute("plan-2", &plan(second, d(2, 10), 1, 200_000, 100_000)).unwrap();
    assert!(unaffordable(&outcome.outcome), "{:?}", outcome.outcome);
    if let Outcome::Rejected(Rejection::Policy(refusal)) = &outcome.outcome {
        assert_eq!(refusal.rule(), "plan.affordable_share");
        assert_eq!(
            refusal.to_string(),
            "the debtor's commitments would cost 72000 a month with this one (36000), above \
             the affordable 40000 (0.40 of disposable 100000)"
        );
    }
    // A promise on the second account is counted against the same capacity: 360.00 + 100.00
    // is above 400.00.
    let promise = |key: &str| {
        let command = Command::Promise {
            account: second,
            made_on: d(2, 11),
            payments: vec![PromiseLine { on: d(2, 20), amount: usd(10_000) }],
        };
        books.execute(key, &command).unwrap().outcome
    };
    assert!(unaffordable(&promise("promise-1")));
    // Restructuring the first plan over two months replaces it rather than adding to it:
    // 180.00 + 100.00 fits.
    run(&books, "plan-3", &plan(first, d(2, 11), 2, 200_000, 100_000));
    let outcome = promise("promise-2");
    assert!(!outcome.is_rejected(), "{outcome:?}");
    assert!(books.verify().unwrap().is_clean());
}

#[derive(Debug, Clone)]
enum Commit {
    Plan { account: usize, installments: u32, income: i64 },
    Promise { account: usize, amount: i64 },
    Settle { account: usize, share_percent: i64 },
    Pass { days: u64 },
}

fn commit() -> impl Strategy<Value = Commit> {
    prop_oneof![
        (0usize..3, 1u32..6, 150_000i64..400_000).prop_map(|(account, installments, income)| {
            Commit::Plan { account, installments, income }
        }),
        (0usize..3, 1_000i64..40_000)
            .prop_map(|(account, amount)| Commit::Promise { account, amount }),
        (0usize..3, 40i64..95)
            .prop_map(|(account, share_percent)| Commit::Settle { account, share_percent }),
        (1u64..40).prop_map(|days| Commit::Pass { days }),
    ]
}

/// The sum of the debtor's open commitments a month, counted from the cases as
/// docs/COLLECTIONS.md describes it, and the cap of the capacity the debtor last stated.
fn commitments_and_cap(books: &Arrears, accounts: &[AccountId]) -> (i64, Option<i64>) {
    let mut committed = 0;
    let mut capacity: Option<arrears::case::StatedCapacity> = None;
    for account in accounts {
        let case = books.case(*account).unwrap();
        if let Some(plan) = &case.plan {
            let count = plan.installments.len() as i64;
            let level = (plan.total_minor + count - 1) / count;
            committed += level; // monthly plans: the level installment is the monthly cost
        }
        if let Some(promise) = &case.promise {
            committed += promise.payments.iter().map(|line| line.amount_minor).sum::<i64>();
        }
        if let Some(settlement) = &case.settlement {
            committed += settlement.amount_minor;
        }
        if let Some(stated) = case.capacity {
            if capacity.is_none_or(|known| known.stated_on <= stated.stated_on) {
                capacity = Some(stated);
            }
        }
    }
    let cap = capacity
        .map(|stated| (stated.monthly_income_minor - stated.monthly_expenses_minor) * 40 / 100);
    (committed, cap)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// For any sequence of plan, promise and settlement commands over a debtor's accounts,
    /// the debtor's open commitments never exceed the cap of the capacity the debtor stated.
    #[test]
    fn issue_14_a_debtors_commitments_never_exceed_the_cap(
        commits in proptest::collection::vec(commit(), 1..25),
    ) {
        let (_dir, books) = open_temp();
        let debtor = debtor(&books, "D");
        let accounts: Vec<AccountId> = (0..3)
            .map(|index| {
                let account = account_with(&books, debtor, &format!("A{index}"), Terms::default(), None);
                charge(&books, &format!("c{index}"), account, d(1, 1), d(1, 31), 60_000 + 10_000 * index as i64);
                account
            })
            .collect();
        let mut today = d(2, 10);
        for (index, commit) in commits.into_iter().enumerate() {
            let key = format!("op-{index}");
            let command = match commit {
                Commit::Plan { account, installments, income } => {
                    Some(plan(accounts[account], today, installments, income, 100_000))
                }
                Commit::Promise { account, amount } => Some(Command::Promise {
                    account: accounts[account],
                    made_on: today,
                    payments: vec![PromiseLine { on: today + chrono::Days::new(5), amount: usd(amount) }],
                }),
                Commit::Settle { account, share_percent } => {
                    let owed = books.account_view(accounts[account], today).unwrap().total_outstanding_minor;
                    Some(Command::OfferSettlement {
                        account: accounts[account],
                        offered_on: today,
                        amount: usd(owed * share_percent / 100),
                    })
                }
                Commit::Pass { days } => {
                    today = today + chrono::Days::new(days);
                    books.run_cycle(today).unwrap();
                    None
                }
            };
            if let Some(command) = command {
                // Refusals (over capacity) are part of the property: the cap must hold either way.
                let _receipt = books.execute(&key, &command).unwrap();
            }
            let (committed, cap) = commitments_and_cap(&books, &accounts);
            if let Some(cap) = cap {
                prop_assert!(committed <= cap, "after op {}: {} committed, cap {}", index, committed, cap);
            }
        }
    }
}

#[test]
fn issue_14_policy_set_refuses_amounts_that_cannot_apply_to_the_portfolio() {
    // https://github.com/arrears/arrears/issues/14 point 8: policy amount thresholds ignored
    // the currency. A policy whose amounts name no figure for a currency the portfolio holds
    // is refused at `policy set`, with the currency and the rule, and nothing is written.
    let (_dir, books) = open_temp();
    let debtor = debtor(&books, "D");
    let euros = Command::OpenAccount(arrears::NewAccount {
        external_ref: Some("E1".into()),
        debtor,
        product: arrears::model::ProductKind::TradeCredit,
        credit_limit: None,
        currency: arrears::money::Currency::EUR,
        opened_on: d(1, 1),
        terms: Terms::default(),
    });
    run(&books, "eur", &euros);
    let head = "name = \"amounts\"\nversion = 1\ncreditor = \"first_party\"\n\n\
                [[stage]]\nname = \"small\"\nmin_dpd = 1\n";
    let dollars = format!("{head}max_balance = {{ amount = \"50.00\", currency = \"USD\" }}\n");
    let command = Command::SetPolicy { file: "amounts.toml".into(), text: dollars };
    match books.execute("policy-usd", &command) {
        Err(arrears::CommandError::PolicyCurrency { file, rule, currency }) => {
            assert_eq!(file, "amounts.toml");
            assert_eq!(rule, "stage \"small\" max_balance");
            assert_eq!(currency, arrears::money::Currency::EUR);
        }
        other => panic!("expected a currency refusal, got {other:?}"),
    }
    assert_eq!(books.policy().unwrap().name(), "standard", "nothing was written");
    let both = format!("{head}max_balance = {{ USD = \"50.00\", EUR = \"45.00\" }}\n");
    let command = Command::SetPolicy { file: "amounts.toml".into(), text: both };
    run(&books, "policy-both", &command);
    assert_eq!(books.policy().unwrap().name(), "amounts");
}

/// A store whose policy was set before amounts stated their currency (written here under the
/// engine, as an older version stored it) still runs its cycle and shows its policy; the bare
/// amount keeps the meaning it had, every currency. Setting the same text again is refused.
#[test]
fn issue_14_a_policy_stored_before_currencies_still_loads() {
    let (_dir, books) = open_temp();
    let account = account(&books, "OLD-POLICY");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let text = "name = \"old\"\nversion = 1\ncreditor = \"first_party\"\n\
                [[stage]]\nname = \"small\"\nmin_dpd = 1\nmax_balance = \"500.00\"\n";
    let mut txn = books.store().write().unwrap();
    txn.put_config("policy", text.as_bytes()).unwrap();
    txn.commit().unwrap();
    let policy = books.policy().expect("the stored policy loads");
    let amount = policy.stages()[0].conditions.max_balance.clone().unwrap();
    assert_eq!(amount.to_string(), "500.00 in any currency");
    books.run_cycle(d(2, 15)).expect("the cycle runs");
    assert_eq!(books.case(account).unwrap().stage.as_deref(), Some("small"));
    let again = Command::SetPolicy { file: "old.toml".into(), text: text.into() };
    assert!(books.execute("policy-again", &again).is_err());
}

/// A four-month plan of 800.00 agreed on Feb 16, first installment due Mar 1.
fn plan_from_feb(account: AccountId) -> Command {
    Command::CreatePlan(NewPlan {
        account,
        created_on: d(2, 16),
        installments: 4,
        frequency: Frequency::Monthly,
        first_due: d(3, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(300_000),
        monthly_expenses: usd(180_000),
    })
}

#[test]
fn a_plan_paused_by_a_dispute_is_not_defaulted_by_the_installments_it_disputes() {
    // docs/STATE_MACHINE.md, `disputed`: the plan a dispute interrupts "is paused, not
    // ended", and its resolution returns to it. The cycle counted the disputed installments
    // (which payments skip, so the debtor could not even pay them) as missed and defaulted
    // the plan during the dispute, so its resolution found no plan to return to.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    run(&books, "plan", &plan_from_feb(account));
    assert_eq!(books.case(account).unwrap().state, CollectionState::InPlan);
    run(&books, "d", &Command::OpenDispute { account, obligations: Vec::new(), on: d(2, 20) });
    for month in 3..=5 {
        books.run_cycle(d(month, 10)).unwrap();
    }
    let disputed = books.case(account).unwrap();
    assert_eq!(disputed.state, CollectionState::Disputed);
    assert!(disputed.plan.is_some(), "the plan is paused, not ended: {disputed:?}");
    assert_eq!(disputed.broken_promises, 0);
    run(&books, "r", &Command::ResolveDispute { account, on: d(5, 12) });
    let resolved = books.case(account).unwrap();
    assert_eq!(resolved.state, CollectionState::InPlan);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_promise_paused_by_a_hold_is_not_broken_during_it() {
    // The same for a promise: a promise interrupted by a hardship (or a dispute) is paused,
    // not ended. The cycle broke it during the hold, counted a broken promise against the
    // debtor (a scoring fact and the `broken_promise` signal for 60 days) while collection was
    // paused for the debtor's protection, and the end of the hold found nothing to return to.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "P");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(3, 10)).unwrap();
    let promise = Command::Promise {
        account,
        made_on: d(3, 11),
        payments: vec![PromiseLine { on: d(3, 20), amount: usd(20_000) }],
    };
    run(&books, "promise", &promise);
    let until = d(4, 30);
    run(&books, "h", &Command::GrantHardship { account, on: d(3, 12), until });
    books.run_cycle(d(3, 25)).unwrap();
    books.run_cycle(d(4, 10)).unwrap();
    let held = books.case(account).unwrap();
    assert_eq!(held.state, CollectionState::Hardship { until });
    assert_eq!(held.broken_promises, 0, "no promise is broken during a hold: {held:?}");
    assert!(held.promise.is_some());
    run(&books, "e", &Command::EndHardship { account, on: d(4, 12) });
    assert_eq!(books.case(account).unwrap().state, CollectionState::Promised);
}

#[test]
fn a_payment_dated_before_the_placement_earns_the_agency_no_commission() {
    // docs/POLICY.md: the agency's commission is "on what it recovers". A payment the debtor
    // made to the creditor before the file went to the agency, recorded late (a statement
    // that arrives after the placement), booked the agency a commission on money it never
    // collected.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(3, 10)).unwrap();
    let place = Command::Place {
        account,
        on: d(3, 11),
        agency: "Acme Recovery".into(),
        commission_rate: "0.25".parse().unwrap(),
    };
    run(&books, "place", &place);
    pay(&books, "p-before", account, d(3, 5), 10_000);
    let view = books.account_view(account, d(3, 31)).unwrap();
    assert_eq!(view.books_minor.get(&Book::AgencyCommission).copied().unwrap_or(0), 0);
    // One dated on the day of the placement or later is the agency's recovery.
    pay(&books, "p-on", account, d(3, 11), 10_000);
    let view = books.account_view(account, d(3, 31)).unwrap();
    assert_eq!(view.books_minor[&Book::AgencyCommission], 2_500);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_settlement_completed_during_a_hardship_is_voided_by_its_returned_payment() {
    // docs/STATE_MACHINE.md, `settled`: a reversal of a payment that counted toward a
    // settlement voids it and reverses its write-off. A settlement completed while a hardship
    // held the case wrote the remainder off, but the state machine kept the hardship (it
    // refuses `settlement_completed` in a hold), and its end derived `paid`: the engine looked
    // for a write-off to reverse only in `settled`, so the returned payment left the debt
    // forgiven for money never received.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "S");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 100_000);
    books.run_cycle(d(4, 15)).unwrap();
    let offer = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(75_000) };
    run(&books, "s1", &offer);
    run(&books, "s2", &Command::AcceptSettlement { account, accepted_on: d(4, 17) });
    let until = d(5, 31);
    run(&books, "h", &Command::GrantHardship { account, on: d(4, 18), until });
    let paid = pay(&books, "p1", account, d(4, 20), 75_000);
    let view = books.account_view(account, d(4, 20)).unwrap();
    assert_eq!(view.total_outstanding_minor, 0, "the settlement is complete");
    let returned = Command::Reversal {
        account,
        payment: paid.event,
        effective_on: d(4, 25),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    run(&books, "r1", &returned);
    let view = books.account_view(account, d(4, 25)).unwrap();
    assert_eq!(view.total_outstanding_minor, 100_000, "nothing was paid, nothing is forgiven");
    run(&books, "e", &Command::EndHardship { account, on: d(4, 26) });
    let case = books.case(account).unwrap();
    assert!(matches!(case.state, CollectionState::Delinquent { .. }), "{:?}", case.state);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_cycle_for_a_day_before_the_case_was_decided_does_not_move_it_back_in_time() {
    // docs/COLLECTIONS.md, "The case": the state always reflects the latest known day rather
    // than jumping back in time. A cycle run late for a missed day (its date before a payment
    // in full already recorded and decided on) reviewed the account as of that day, without
    // the payment: the paid account went back to delinquent.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(3, 10)).unwrap();
    let due = books.case(account).unwrap().next_review_on;
    let later = due + chrono::Days::new(3);
    pay(&books, "p1", account, later, 80_000);
    let paid = books.case(account).unwrap();
    assert_eq!(paid.state, CollectionState::Paid);
    books.run_cycle(due).unwrap();
    let case = books.case(account).unwrap();
    assert_eq!(case.state, CollectionState::Paid, "{case:?}");
    assert!(case.stage.is_none(), "nothing to collect: {case:?}");
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_completed_settlement_ends_the_open_promise() {
    // docs/STATE_MACHINE.md, `settled`: the rest of the debt is forgiven and every collection
    // event is refused. A promise left open when a settlement completed stayed in the case:
    // it still counted among the debtor's commitments, and the next review broke it (a broken
    // promise counted against a debtor whose debt was settled, with the `broken_promise`
    // signal for 60 days).
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "S");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 100_000);
    books.run_cycle(d(4, 15)).unwrap();
    let promise = Command::Promise {
        account,
        made_on: d(4, 16),
        payments: vec![PromiseLine { on: d(4, 28), amount: usd(90_000) }],
    };
    run(&books, "promise", &promise);
    let offer = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(75_000) };
    run(&books, "s1", &offer);
    run(&books, "s2", &Command::AcceptSettlement { account, accepted_on: d(4, 17) });
    pay(&books, "p1", account, d(4, 20), 75_000);
    let settled = books.case(account).unwrap();
    assert_eq!(settled.state, CollectionState::Settled);
    assert!(settled.promise.is_none(), "the settlement replaced the promise: {settled:?}");
    books.run_cycle(d(5, 5)).unwrap();
    let later = books.case(account).unwrap();
    assert_eq!((later.broken_promises, later.promise_broken_on), (0, None));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_payment_returned_after_the_account_was_closed_is_recorded_and_owed_again() {
    // docs/STATE_MACHINE.md, "Why is a reversal accepted in settled and paid?": "A returned
    // payment is a fact". An account paid off and closed refused the bank's return of that
    // payment (`closed` refused every ledger event), and a closed-end account cannot be
    // reopened: the books kept cash the bank had taken back, and the debt it re-opened could
    // never be recorded nor paid again.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    let paid = pay(&books, "p1", account, d(2, 5), 80_000);
    assert_eq!(books.case(account).unwrap().state, CollectionState::Paid);
    run(&books, "close", &Command::Close { account, on: d(2, 6) });
    assert_eq!(books.case(account).unwrap().state, CollectionState::Closed);
    let returned = Command::Reversal {
        account,
        payment: paid.event,
        effective_on: d(2, 8),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    run(&books, "r1", &returned);
    assert!(matches!(books.case(account).unwrap().state, CollectionState::Delinquent { .. }));
    assert_eq!(books.account_view(account, d(2, 8)).unwrap().total_outstanding_minor, 80_000);
    // Collected again as any delinquent account, and closed again once paid.
    pay(&books, "p2", account, d(2, 20), 80_000);
    assert_eq!(books.case(account).unwrap().state, CollectionState::Paid);
    run(&books, "close-again", &Command::Close { account, on: d(2, 21) });
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn an_account_opened_for_a_debtor_in_bankruptcy_is_under_the_stay() {
    // docs/STATE_MACHINE.md, "Sticky flags": a bankruptcy stay refuses placement, legal
    // referral, promises, plans and settlement offers; docs/COLLECTIONS.md: `SetFlag` "sets
    // the flag on the debtor and every case". A case opened after the flag was set (an account
    // opened later, or a debtor created with its flags) started with none: its account could
    // be placed with an agency or referred to legal during the stay.
    let (_dir, books) = open_temp();
    let debtor = debtor(&books, "D");
    let first = account_with(&books, debtor, "A1", Terms::default(), None);
    let flag = Command::SetFlag { debtor, flag: arrears::Flag::BankruptcyFiled, on: d(1, 2) };
    run(&books, "bk", &flag);
    assert!(books.case(first).unwrap().flags.bankruptcy_stay);
    let later = account_with(&books, debtor, "A2", Terms::default(), None);
    assert!(books.case(later).unwrap().flags.bankruptcy_stay, "the debtor's stay covers it");
    charge(&books, "c1", later, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(3, 10)).unwrap();
    let place = Command::Place {
        account: later,
        on: d(3, 11),
        agency: "Acme Recovery".into(),
        commission_rate: "0.25".parse().unwrap(),
    };
    let outcome = books.execute("place", &place).unwrap().outcome;
    assert!(
        matches!(outcome, Outcome::Rejected(Rejection::State { reason, .. })
            if reason == arrears::collection::RefusalReason::BankruptcyStay),
        "{outcome:?}"
    );
}

/// A debtor with one e-mail address, in Texas.
fn debtor_with_email(books: &Arrears, reference: &str, email: &str) -> DebtorId {
    let command = Command::CreateDebtor(arrears::NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: arrears::model::DebtorKind::Person,
        name: format!("Debtor {reference}"),
        jurisdiction: arrears::model::Jurisdiction {
            country: "US".into(),
            region: Some("TX".into()),
        },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: vec![arrears::model::ContactPoint {
            channel: arrears::model::ContactChannel::Email,
            address: email.to_owned(),
            kind: arrears::model::ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        }],
        flags: arrears::model::DebtorFlags::default(),
    });
    match books.execute(&format!("debtor:{reference}"), &command).unwrap().outcome {
        Outcome::DebtorCreated(id) => id,
        other => panic!("debtor not created: {other:?}"),
    }
}

/// The pending e-mails to `debtor` scheduled on or after `from`.
fn emails_from(books: &Arrears, debtor: DebtorId, from: NaiveDate) -> usize {
    books
        .actions_of(debtor)
        .unwrap()
        .iter()
        .filter(|action| matches!(action.status, arrears::case::ActionStatus::Pending))
        .filter(|action| action.scheduled_at.date_naive() >= from)
        .count()
}

#[test]
fn a_discharged_debt_is_never_collected_again_and_a_dismissed_one_is() {
    // docs/STATE_MACHINE.md, "Sticky flags": a discharge recorded the end of the stay only,
    // so collection resumed on a debt the debtor no longer owes (placement, promises, legal
    // referral, contact: acts to collect a discharged debt, which the discharge injunction of
    // 11 U.S.C. 524(a)(2) forbids). A dismissal, which does let collection resume, could not
    // be told from it.
    let (_dir, books) = open_temp();
    let policy = "name = \"mail\"\nversion = 1\ncreditor = \"first_party\"\n\n\
                  [[stage]]\nname = \"all\"\nmin_dpd = 1\n[stage.actions]\ncontact = [\n  \
                  { channel = \"email\", template = \"first\", after_days = 0 },\n  \
                  { channel = \"email\", template = \"second\", after_days = 40 },\n]\n\n\
                  [[arm]]\nname = \"only\"\nweight = 1\n";
    let set = Command::SetPolicy { file: "mail.toml".into(), text: policy.into() };
    run(&books, "policy", &set);
    let discharged = debtor_with_email(&books, "DIS", "dis@example.com");
    let dismissed = debtor_with_email(&books, "DSM", "dsm@example.com");
    let old = account_with(&books, discharged, "A1", Terms::default(), None);
    let other = account_with(&books, dismissed, "B1", Terms::default(), None);
    charge(&books, "c-old", old, d(1, 1), d(1, 31), 80_000);
    charge(&books, "c-other", other, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(2, 2)).unwrap();
    assert_eq!(emails_from(&books, discharged, d(2, 2)), 1, "the policy writes to both");
    assert_eq!(emails_from(&books, dismissed, d(2, 2)), 1);
    for (key, debtor) in [("bk-dis", discharged), ("bk-dsm", dismissed)] {
        let filed = Command::SetFlag { debtor, flag: arrears::Flag::BankruptcyFiled, on: d(2, 10) };
        run(&books, key, &filed);
    }
    let discharge = Command::SetFlag {
        debtor: discharged,
        flag: arrears::Flag::BankruptcyDischarged,
        on: d(3, 1),
    };
    run(&books, "discharge", &discharge);
    let dismissal = Command::SetFlag {
        debtor: dismissed,
        flag: arrears::Flag::BankruptcyDismissed,
        on: d(3, 1),
    };
    run(&books, "dismissal", &dismissal);
    let flags = books.case(old).unwrap().flags;
    assert!(flags.bankruptcy_discharged && !flags.bankruptcy_stay, "{flags:?}");
    assert!(!books.debtor(discharged).unwrap().unwrap().flags.bankruptcy, "the stay ended");
    let flags = books.case(other).unwrap().flags;
    assert!(!flags.bankruptcy_discharged && !flags.bankruptcy_stay, "{flags:?}");

    // The second step falls due 40 days into the stage: written for the dismissed account
    // only.
    for day in [d(3, 2), d(3, 15), d(4, 1)] {
        books.run_cycle(day).unwrap();
    }
    assert_eq!(emails_from(&books, discharged, d(3, 1)), 0, "no contact about a discharged debt");
    assert_eq!(emails_from(&books, dismissed, d(3, 1)), 1, "collection resumed after dismissal");

    // Every act of collection is refused on the discharged account, and only there.
    let acts = |account| {
        [
            Command::Promise {
                account,
                made_on: d(4, 2),
                payments: vec![PromiseLine { on: d(4, 10), amount: usd(40_000) }],
            },
            Command::Place {
                account,
                on: d(4, 2),
                agency: "Acme Recovery".into(),
                commission_rate: "0.25".parse().unwrap(),
            },
            Command::ReferToLegal { account, on: d(4, 2) },
        ]
    };
    for (n, act) in acts(old).iter().enumerate() {
        let outcome = books.execute(&format!("act-old-{n}"), act).unwrap().outcome;
        assert!(
            matches!(outcome, Outcome::Rejected(Rejection::State { reason, .. })
                if reason == arrears::collection::RefusalReason::BankruptcyDischarged),
            "{outcome:?}"
        );
    }
    let promise = &acts(other)[0];
    run(&books, "act-other", promise);

    // A payment the debtor makes is still taken, and the books stay whole.
    pay(&books, "voluntary", old, d(4, 5), 5_000);
    // An account opened after the discharge is a new debt, collected as any other.
    let new = account_with(&books, discharged, "A2", Terms::default(), None);
    assert_eq!(books.case(new).unwrap().flags, arrears::collection::StickyFlags::default());
    charge(&books, "c-new", new, d(4, 1), d(4, 30), 20_000);
    let promise = Command::Promise {
        account: new,
        made_on: d(4, 6),
        payments: vec![PromiseLine { on: d(4, 20), amount: usd(20_000) }],
    };
    run(&books, "promise-new", &promise);
    // A new filing stays everything; its dismissal lifts the stay, not the discharge.
    let refiled =
        Command::SetFlag { debtor: discharged, flag: arrears::Flag::BankruptcyFiled, on: d(5, 1) };
    run(&books, "refiled", &refiled);
    let redismissed = Command::SetFlag {
        debtor: discharged,
        flag: arrears::Flag::BankruptcyDismissed,
        on: d(6, 1),
    };
    run(&books, "redismissed", &redismissed);
    assert!(books.case(old).unwrap().flags.bankruptcy_discharged);
    assert!(!books.case(new).unwrap().flags.bankruptcy_stay);
    let outcome = books.execute("act-old-again", &acts(old)[1]).unwrap().outcome;
    assert!(outcome.is_rejected(), "{outcome:?}");
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_discharge_cancels_what_is_pending_about_the_debt() {
    // Recorded with no filing before it (the integrator learns of the bankruptcy only at its
    // discharge), the discharge left the reminders already written pending.
    let (_dir, books) = open_temp();
    let policy = "name = \"mail\"\nversion = 1\ncreditor = \"first_party\"\n\n\
                  [[stage]]\nname = \"all\"\nmin_dpd = 1\n[stage.actions]\ncontact = [\n  \
                  { channel = \"email\", template = \"first\", after_days = 0 },\n]\n\n\
                  [[arm]]\nname = \"only\"\nweight = 1\n";
    run(&books, "policy", &Command::SetPolicy { file: "mail.toml".into(), text: policy.into() });
    let debtor = debtor_with_email(&books, "D", "d@example.com");
    let account = account_with(&books, debtor, "A", Terms::default(), None);
    charge(&books, "c", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(2, 2)).unwrap();
    assert_eq!(emails_from(&books, debtor, d(2, 2)), 1);
    let discharge =
        Command::SetFlag { debtor, flag: arrears::Flag::BankruptcyDischarged, on: d(2, 2) };
    run(&books, "discharge", &discharge);
    assert_eq!(emails_from(&books, debtor, d(2, 2)), 0);
    let cancelled = books.actions_of(debtor).unwrap();
    assert!(
        cancelled.iter().all(|action| matches!(
            action.status,
            arrears::case::ActionStatus::Cancelled {
                reason: arrears::case::CancelReason::Bankruptcy,
                ..
            }
        )),
        "{cancelled:?}"
    );
    // Nor can a callback be scheduled about the debt (the stay is over: the debtor's flag
    // is not what refuses it).
    let callback = Command::RequestCallback {
        debtor,
        accounts: vec![account],
        channel: arrears::model::ContactChannel::Email,
        address: "d@example.com".into(),
        at: "2026-02-03T15:00:00Z".parse().unwrap(),
    };
    let refused = books.execute("callback", &callback).unwrap_err();
    assert!(refused.to_string().contains("discharged in bankruptcy"), "{refused}");
}

#[test]
fn a_discharge_ends_the_promise_to_pay_the_debt_it_discharged() {
    // A promise open at the discharge stayed open: the next review broke it, counted it
    // against the debtor and raised the broken-promise signal, over a debt no longer owed.
    let (_dir, books) = open_temp();
    let debtor = debtor(&books, "D");
    let account = account_with(&books, debtor, "A", Terms::default(), None);
    charge(&books, "c", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(2, 10)).unwrap();
    let promise = Command::Promise {
        account,
        made_on: d(2, 10),
        payments: vec![PromiseLine { on: d(2, 20), amount: usd(40_000) }],
    };
    run(&books, "promise", &promise);
    assert_eq!(books.case(account).unwrap().state, CollectionState::Promised);
    let discharge =
        Command::SetFlag { debtor, flag: arrears::Flag::BankruptcyDischarged, on: d(2, 12) };
    run(&books, "discharge", &discharge);
    let case = books.case(account).unwrap();
    assert!(matches!(case.state, CollectionState::Delinquent { .. }), "{:?}", case.state);
    assert_eq!(case.promise, None);
    for day in [d(2, 25), d(3, 10)] {
        books.run_cycle(day).unwrap();
    }
    let case = books.case(account).unwrap();
    assert_eq!((case.broken_promises, case.promise_broken_on), (0, None));
    assert!(books.verify().unwrap().is_clean());
}

/// FDCPA 1692c(a)(2) (V1): no communication with a consumer known to be represented by an
/// attorney, unless the attorney fails to respond within a reasonable period or consents to
/// direct communication. The attorney flag could be set and never cleared (COMPLIANCE.md said
/// "clear the flag", and no command did): once an attorney was recorded, the consumer could
/// never be written to again, even after the attorney withdrew. The flag `attorney_withdrawn`
/// clears it on the debtor and every case, forgets the attorney's details, and the next step
/// of the stage is written again; recording an attorney again sets it again.
#[test]
fn an_attorneys_withdrawal_lets_contact_with_the_consumer_resume() {
    let (_dir, books) = open_temp();
    let policy = "name = \"mail\"\nversion = 1\ncreditor = \"third_party\"\n\n\
                  [[stage]]\nname = \"all\"\nmin_dpd = 1\n[stage.actions]\ncontact = [\n  \
                  { channel = \"email\", template = \"first\", after_days = 0 },\n  \
                  { channel = \"email\", template = \"second\", after_days = 40 },\n]\n\n\
                  [[arm]]\nname = \"only\"\nweight = 1\n";
    let set = Command::SetPolicy { file: "mail.toml".into(), text: policy.into() };
    run(&books, "policy", &set);
    let debtor = debtor_with_email(&books, "ATT", "att@example.com");
    let account = account_with(&books, debtor, "A1", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(2, 2)).unwrap();
    assert_eq!(emails_from(&books, debtor, d(2, 2)), 1);
    let represented =
        Command::SetFlag { debtor, flag: arrears::Flag::AttorneyRepresented, on: d(2, 10) };
    run(&books, "attorney", &represented);
    assert!(books.case(account).unwrap().flags.attorney_represented);
    let withdrawn =
        Command::SetFlag { debtor, flag: arrears::Flag::AttorneyWithdrawn, on: d(3, 1) };
    run(&books, "attorney-withdrawn", &withdrawn);
    assert!(!books.case(account).unwrap().flags.attorney_represented);
    let found = books.debtor(debtor).unwrap().unwrap();
    assert!(!found.flags.attorney_represented);
    assert_eq!(found.attorney, None);
    // The second step falls due 40 days into the stage: written again.
    for day in [d(3, 2), d(3, 15)] {
        books.run_cycle(day).unwrap();
    }
    assert_eq!(emails_from(&books, debtor, d(3, 1)), 1, "contact resumed");
    // Represented again: the flag is set again, and what is queued is cancelled.
    run(&books, "attorney-again", &represented);
    assert!(books.case(account).unwrap().flags.attorney_represented);
    assert!(books.verify().unwrap().is_clean());
}
