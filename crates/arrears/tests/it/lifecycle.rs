//! Property test of the collection lifecycle: random sequences of charges, payments (some
//! back-dated), reversals, promises, plans, disputes, hardship, settlements, placements and
//! time passing (the daily cycle) on the real engine. After every step: no command fails with
//! an error (refusals are outcomes), `verify` is clean (ledger, indexes, audit chain), and
//! after every review the account's state agrees with its ledger, and every round trip
//! through a hold (a dispute, a hardship) returns to the state it left (issue 14 point 8).

use arrears::case::ContactOutcome;
use arrears::collection::CollectionState;
use arrears::ids::EventSeq;
use arrears::ledger::ReversalReason;
use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction,
    LateFeeRule, ProductKind, Terms,
};
use arrears::money::Currency;
use arrears::plan::Frequency;
use arrears::{Command, NewAccount, NewDebtor, NewPlan, Outcome, PromiseLine};
use chrono::NaiveDate;
use proptest::prelude::*;

use crate::support::*;

#[derive(Debug, Clone)]
enum Op {
    Charge { amount: i64, due_in_days: u16 },
    Pay { amount: i64, back_days: u16 },
    Reverse { pick: usize },
    Promise { amount: i64, in_days: u16 },
    Plan { installments: u32, income: i64 },
    Dispute,
    Resolve,
    Hardship { days: u16 },
    Settle { share_percent: i64 },
    Place,
    Recall,
    Legal,
    Pass { days: u16 },
    Acknowledge { outcome: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1i64..80_000, 0u16..40).prop_map(|(amount, due_in_days)| Op::Charge { amount, due_in_days }),
        4 => (1i64..60_000, prop_oneof![3 => Just(0u16), 1 => 1u16..30]).prop_map(|(amount, back_days)| Op::Pay { amount, back_days }),
        1 => any::<usize>().prop_map(|pick| Op::Reverse { pick }),
        2 => (1i64..60_000, 0u16..20).prop_map(|(amount, in_days)| Op::Promise { amount, in_days }),
        1 => (1u32..8, 50_000i64..500_000).prop_map(|(installments, income)| Op::Plan { installments, income }),
        1 => Just(Op::Dispute),
        1 => Just(Op::Resolve),
        1 => (1u16..40).prop_map(|days| Op::Hardship { days }),
        2 => (30i64..100).prop_map(|share_percent| Op::Settle { share_percent }),
        2 => Just(Op::Place),
        1 => Just(Op::Recall),
        1 => Just(Op::Legal),
        6 => prop_oneof![3 => 1u16..20, 1 => 20u16..90].prop_map(|days| Op::Pass { days }),
        1 => (0usize..10).prop_map(|outcome| Op::Acknowledge { outcome }),
    ]
}

fn days(n: u16) -> chrono::Days {
    chrono::Days::new(u64::from(n))
}

fn run(ops: Vec<Op>, product: ProductKind) -> Result<(), TestCaseError> {
    let (_dir, books) = open_temp();
    let debtor = match books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Pat".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: None },
                time_zones: vec!["America/New_York".into()],
                language: "en".into(),
                contact_points: vec![
                    ContactPoint {
                        channel: ContactChannel::Email,
                        address: "pat@example.com".into(),
                        kind: ContactPointKind::Personal,
                        consent: true,
                        opted_out: false,
                    },
                    ContactPoint {
                        channel: ContactChannel::Sms,
                        address: "+15550001".into(),
                        kind: ContactPointKind::Personal,
                        consent: true,
                        opted_out: false,
                    },
                    ContactPoint {
                        channel: ContactChannel::Phone,
                        address: "+15550001".into(),
                        kind: ContactPointKind::Personal,
                        consent: true,
                        opted_out: false,
                    },
                ],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome
    {
        Outcome::DebtorCreated(id) => id,
        other => panic!("{other:?}"),
    };
    let terms = Terms {
        grace_days: 3,
        late_fee: LateFeeRule::Flat { amount_minor: 1_500 },
        ..Terms::default()
    };
    let account = match books
        .execute(
            "account",
            &Command::OpenAccount(NewAccount {
                external_ref: None,
                debtor,
                product,
                credit_limit: None,
                currency: Currency::USD,
                opened_on: d(1, 1),
                terms,
            }),
        )
        .unwrap()
        .outcome
    {
        Outcome::AccountOpened(id) => id,
        other => panic!("{other:?}"),
    };
    let mut today = d(1, 1);
    let mut payments: Vec<EventSeq> = Vec::new();
    // The case as it was when the holds in force began.
    let mut before_hold: Option<arrears::case::CollectionCase> = None;
    // A recall taken during the hold: the placement (or referral) it interrupted is over.
    let mut recalled_in_hold = false;
    for (index, op) in ops.into_iter().enumerate() {
        let key = format!("op-{index}");
        let case_before = books.case(account).unwrap();
        let mut reviewed = false;
        let command = match op {
            Op::Charge { amount, due_in_days } => {
                Some(charge_command(account, today, today + days(due_in_days), amount))
            }
            Op::Pay { amount, back_days } => {
                let on = (today - days(back_days)).max(d(1, 1));
                Some(Command::Payment {
                    account,
                    effective_on: on,
                    amount: usd(amount),
                    directed_to: None,
                })
            }
            Op::Reverse { pick } => {
                payments.get(pick % payments.len().max(1)).map(|payment| Command::Reversal {
                    account,
                    payment: *payment,
                    effective_on: today,
                    reason: ReversalReason::Returned,
                })
            }
            Op::Promise { amount, in_days } => Some(Command::Promise {
                account,
                made_on: today,
                payments: vec![PromiseLine { on: today + days(in_days), amount: usd(amount) }],
            }),
            Op::Plan { installments, income } => Some(Command::CreatePlan(NewPlan {
                account,
                created_on: today,
                installments,
                frequency: Frequency::Monthly,
                first_due: today + days(10),
                annual_rate: "0".parse().unwrap(),
                monthly_income: usd(income),
                monthly_expenses: usd(40_000),
            })),
            Op::Dispute => {
                Some(Command::OpenDispute { account, obligations: Vec::new(), on: today })
            }
            Op::Resolve => Some(Command::ResolveDispute { account, on: today }),
            Op::Hardship { days: length } => {
                Some(Command::GrantHardship { account, on: today, until: today + days(length) })
            }
            Op::Settle { share_percent } => {
                let owed = books.account_view(account, today).unwrap().total_outstanding_minor;
                let offer = Command::OfferSettlement {
                    account,
                    offered_on: today,
                    amount: usd(owed * share_percent / 100),
                };
                if !books.execute(&format!("{key}-offer"), &offer).unwrap().outcome.is_rejected() {
                    Some(Command::AcceptSettlement { account, accepted_on: today })
                } else {
                    None
                }
            }
            Op::Place => Some(Command::Place {
                account,
                on: today,
                agency: "Agency".into(),
                commission_rate: "0.2".parse().unwrap(),
            }),
            Op::Recall => Some(Command::Recall { account, on: today }),
            Op::Legal => Some(Command::ReferToLegal { account, on: today }),
            Op::Pass { days: length } => {
                today = today + days(length);
                let report = books.run_cycle(today).unwrap();
                prop_assert!(report.complete);
                reviewed = books.case(account).unwrap().last_review_on == Some(today);
                None
            }
            Op::Acknowledge { outcome } => {
                books.pending_actions(1).unwrap().first().map(|action| Command::Acknowledge {
                    action: action.id,
                    outcome: ContactOutcome::ALL[outcome % ContactOutcome::ALL.len()],
                    at: action.scheduled_at,
                })
            }
        };
        if let Some(command) = command {
            let receipt = books.execute(&key, &command).unwrap();
            if matches!(command, Command::Recall { .. })
                && !receipt.outcome.is_rejected()
                && case_before.state.is_hold()
            {
                recalled_in_hold = true;
            }
            if let (Command::Payment { .. }, Outcome::Posted(posted)) = (&command, &receipt.outcome)
            {
                payments.push(posted.event);
            }
        }
        let report = books.verify().unwrap();
        prop_assert!(report.is_clean(), "after op {}: {:?}", index, report.problems);
        let case = books.case(account).unwrap();
        let view = books.account_view(account, today).unwrap();
        prop_assert_eq!(
            case.state == CollectionState::InPlan,
            case.plan.is_some() && case.state == CollectionState::InPlan
        );
        if case.state == CollectionState::Promised {
            prop_assert!(case.promise.is_some());
        }
        // What the holds interrupted is remembered exactly while a hold is in force.
        prop_assert_eq!(case.state.is_hold(), !case.interrupted.is_empty());
        if !case_before.state.is_hold() && case.state.is_hold() {
            before_hold = Some(case_before.clone());
            recalled_in_hold = false;
        }
        if case_before.state.is_hold() && !case.state.is_hold() {
            // Every round trip through a hold returns to the state it left: a placement or a
            // referral with something owed carries on, the placement unchanged; a promise or a
            // plan still on record, owed and not charged off, too.
            let left = before_hold.take().expect("a hold was entered");
            let owed = view.total_outstanding_minor > 0;
            let resumes = match &left.state {
                CollectionState::Placed { .. } | CollectionState::Legal => {
                    owed && !recalled_in_hold
                }
                CollectionState::Promised => {
                    owed && view.charged_off_on.is_none() && case.promise.is_some()
                }
                CollectionState::InPlan => {
                    owed && view.charged_off_on.is_none() && case.plan.is_some()
                }
                _ => false,
            };
            if resumes {
                prop_assert_eq!(&case.state, &left.state, "after op {}", index);
                prop_assert_eq!(&case.placement, &left.placement);
            } else {
                prop_assert!(
                    matches!(
                        case.state,
                        CollectionState::Current
                            | CollectionState::Delinquent { .. }
                            | CollectionState::ChargedOff
                            | CollectionState::Paid
                    ),
                    "after op {}: a hold over {:?} ended in {:?}",
                    index,
                    left.state,
                    case.state
                );
            }
        }
        if matches!(case.state, CollectionState::Paid | CollectionState::Settled) {
            prop_assert_eq!(view.total_outstanding_minor, 0, "{:?} with money owed", case.state);
        }
        if case.state == CollectionState::ChargedOff {
            prop_assert!(view.charged_off_on.is_some());
        }
        if view.charged_off_on.is_some() {
            prop_assert!(
                !matches!(
                    case.state,
                    CollectionState::Current
                        | CollectionState::Delinquent { .. }
                        | CollectionState::Promised
                        | CollectionState::InPlan
                ),
                "charged off but {:?}",
                case.state
            );
        }
        if reviewed && case.decided_on == today {
            // Right after a review the derived states agree with the ledger on that day.
            match case.state {
                CollectionState::Current => prop_assert_eq!(view.aging.days_past_due, 0),
                CollectionState::Delinquent { stage } => {
                    prop_assert!(view.aging.days_past_due > 0);
                    prop_assert!(stage >= 1);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_lifecycles_keep_the_books_and_the_states_consistent(
        ops in proptest::collection::vec(op(), 5..40),
        revolving in any::<bool>(),
    ) {
        run(ops, if revolving { ProductKind::Revolving } else { ProductKind::Installment })?;
    }
}

#[test]
fn fixed_dates_are_not_reviewed_twice() {
    // A cycle on a date already cycled reviews nothing.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "A");
    charge(&books, "c", account, d(1, 1), d(1, 31), 10_000);
    let first = books.run_cycle(d(2, 2)).unwrap();
    assert_eq!(first.reviewed, 1);
    let second = books.run_cycle(d(2, 2)).unwrap();
    assert_eq!(second.reviewed, 0);
    let _ = NaiveDate::MIN;
}

/// A payment's state decision reads the debtor's jurisdiction from the account's record
/// (issue 16), which follows the debtor: after the debtor moves to Massachusetts, the next
/// payment on a delinquent account puts it in the policy's Massachusetts stage, as the cycle's
/// review on the same day does.
#[test]
fn a_payment_decides_with_the_debtor_s_jurisdiction_after_a_move() {
    let (_dir, books) = open_temp();
    let text = include_str!("../../../../examples/policies/standard.toml");
    let policy = arrears::policy::Policy::from_toml(text, "standard.toml").unwrap();
    let set = Command::SetPolicy { file: "standard.toml".into(), text: text.into() };
    assert!(!books.execute("policy", &set).unwrap().outcome.is_rejected());
    let stage_of = |name: &str| {
        let at = policy.stages().iter().position(|stage| stage.name == name).unwrap();
        CollectionState::Delinquent { stage: u8::try_from(at + 1).unwrap() }
    };
    let account = account(&books, "A-MOVE");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    charge(&books, "charge", account, d(1, 1), d(1, 10), 10_000);
    books.run_cycle(d(1, 15)).unwrap();
    assert_eq!(books.case(account).unwrap().state, stage_of("early"));

    let moved = arrears::DebtorChanges {
        jurisdiction: Some(Jurisdiction { country: "US".into(), region: Some("MA".into()) }),
        ..arrears::DebtorChanges::default()
    };
    let receipt = books.execute("move", &Command::UpdateDebtor { debtor, changes: moved }).unwrap();
    assert!(matches!(receipt.outcome, Outcome::DebtorUpdated { .. }), "{:?}", receipt.outcome);
    pay(&books, "part", account, d(1, 16), 1_000);
    assert_eq!(books.case(account).unwrap().state, stage_of("early_us_ma"));

    // And back: the record follows every move.
    let back = arrears::DebtorChanges {
        jurisdiction: Some(Jurisdiction { country: "US".into(), region: None }),
        ..arrears::DebtorChanges::default()
    };
    let receipt = books.execute("back", &Command::UpdateDebtor { debtor, changes: back }).unwrap();
    assert!(matches!(receipt.outcome, Outcome::DebtorUpdated { .. }), "{:?}", receipt.outcome);
    pay(&books, "part 2", account, d(1, 17), 1_000);
    assert_eq!(books.case(account).unwrap().state, stage_of("early"));
}
