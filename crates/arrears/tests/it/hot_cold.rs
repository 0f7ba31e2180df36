//! The hot and the cold parts of an account's state (docs/FORMAT.md) change no decision: the
//! same random charges, payments (some back-dated) and days of the cycle, on an engine that
//! moves every settled item out at once (`cold_items_min` 1) and on one that never moves any,
//! give the same outcomes and leave the case in the same state and stage with the same balance,
//! under a policy whose stages read the customer's tenure and lifetime value (which counts every
//! payment, also those moved out). Measured when written: 18 of the 32 cases ended with cold
//! parts (up to 3). Its histories rarely reach the one that showed session 46's defect of the
//! lifetime value (an account in its early stage whose payments in the row sum below the stage's
//! minimum and all of them above it): the second test draws histories of that shape, and
//! catches the defect (with the lifetime value summed over the row's payments, it failed in each
//! of three runs, shrinking to three January payments and one or two recent ones);
//! `messages::the_lifetime_value_counts_...` is one such history, written out.

use arrears::ids::AccountId;
use arrears::model::ObligationKind;
use arrears::money::{Currency, Money};
use arrears::{Arrears, Command, FixedClock, NewCharge};
use chrono::{Days, NaiveDate};
use proptest::prelude::*;

use crate::messages::{debtor_owing, policy_with_customer_stages};
use crate::support::{d, open_temp_moving};

#[derive(Debug, Clone)]
enum Op {
    Charge { amount: i64, due_in_days: u16 },
    Pay { amount: i64, back_days: u16 },
    Pass { days: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (100..2_000_i64, 5..40_u16)
            .prop_map(|(amount, due_in_days)| Op::Charge { amount, due_in_days }),
        3 => (20..700_i64, 0..10_u16).prop_map(|(amount, back_days)| Op::Pay { amount, back_days }),
        2 => (1..60_u16).prop_map(|days| Op::Pass { days }),
    ]
}

fn engine(cold_items_min: usize) -> (tempfile::TempDir, Arrears) {
    let clock = Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap()));
    let (dir, books) = open_temp_moving(clock, cold_items_min);
    let policy =
        Command::SetPolicy { file: "customer.toml".into(), text: policy_with_customer_stages() };
    books.execute("policy", &policy).unwrap().accepted().unwrap();
    (dir, books)
}

fn apply(books: &Arrears, account: AccountId, n: usize, op: &Op, today: NaiveDate) -> String {
    let usd = |minor| Money::from_minor(minor, Currency::USD);
    let result = match *op {
        Op::Charge { amount, due_in_days } => {
            let charge = Command::Charge(NewCharge {
                account,
                external_ref: Some(format!("INV-{n}")),
                kind: ObligationKind::Invoice,
                issued_on: today,
                due_on: today + Days::new(u64::from(due_in_days)),
                principal: usd(amount),
                interest: Money::zero(Currency::USD),
                fee: Money::zero(Currency::USD),
            });
            books.execute(&format!("op{n}"), &charge)
        }
        Op::Pay { amount, back_days } => {
            let effective_on = (today - Days::new(u64::from(back_days))).max(d(1, 1));
            let pay =
                Command::Payment { account, effective_on, amount: usd(amount), directed_to: None };
            books.execute(&format!("op{n}"), &pay)
        }
        Op::Pass { .. } => {
            return format!("{:?}", books.run_cycle(today).map(|report| report.reviewed))
        }
    };
    format!("{:?}", result.map(|receipt| receipt.outcome))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn moving_settled_items_out_of_the_row_changes_no_decision(
        ops in proptest::collection::vec(op(), 5..40),
    ) {
        let engines = [engine(1), engine(usize::MAX)];
        let accounts: Vec<AccountId> = engines
            .iter()
            .map(|(_, books)| debtor_owing(books, "hc", ("US", "en", Currency::USD), 500))
            .collect();
        prop_assert_eq!(accounts[0], accounts[1]);
        let account = accounts[0];
        let mut today = d(1, 10);
        for (n, op) in ops.iter().enumerate() {
            if let Op::Pass { days } = op {
                today = today + Days::new(u64::from(*days));
            }
            let outcomes: Vec<String> =
                engines.iter().map(|(_, books)| apply(books, account, n, op, today)).collect();
            prop_assert_eq!(&outcomes[0], &outcomes[1], "step {} {:?}", n, op);
            let cases: Vec<_> = engines
                .iter()
                .map(|(_, books)| {
                    let case = books.case(account).unwrap();
                    let view = books.account_view(account, today).unwrap();
                    (case.state, case.stage, view.total_outstanding_minor)
                })
                .collect();
            prop_assert_eq!(&cases[0], &cases[1], "step {} {:?}", n, op);
        }
    }
}

/// A history shaped like the one behind session 46's defect, its amounts and dates random: a
/// first invoice paid exactly by three to eleven payments in January, a gap, a second invoice,
/// a few recent payments, and reviews while it is past due. The January payments move out of
/// the row once the account's latest event is more than 92 days after them (but the last two),
/// so an engine that moves them and counted the row's payments only would see a smaller
/// lifetime value than one that never moves them; the loyal stage's $10.00 often falls between
/// the two. Both engines must give the same outcomes, states and stages.
#[derive(Debug, Clone)]
struct Shaped {
    early: Vec<i64>,
    gap_days: u16,
    second_minor: i64,
    due_in_days: u16,
    recent: Vec<(u16, i64)>,
    reviews: Vec<u16>,
}

fn shaped() -> impl Strategy<Value = Shaped> {
    (
        proptest::collection::vec(100..1_000_i64, 3..12),
        60..200_u16,
        1_000..10_000_i64,
        10..40_u16,
        proptest::collection::vec((0..30_u16, 20..800_i64), 0..4),
        proptest::collection::vec(1..12_u16, 1..4),
    )
        .prop_map(|(early, gap_days, second_minor, due_in_days, recent, reviews)| Shaped {
            early,
            gap_days,
            second_minor,
            due_in_days,
            recent,
            reviews,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_lifetime_value_is_the_same_whether_old_payments_moved_out_or_not(
        history in shaped(),
    ) {
        let engines = [engine(1), engine(usize::MAX)];
        // The first invoice is what the January payments pay, exactly: they are all applied,
        // and it is settled.
        let first_minor = history.early.iter().sum();
        let accounts: Vec<AccountId> = engines
            .iter()
            .map(|(_, books)| debtor_owing(books, "lv", ("US", "en", Currency::USD), first_minor))
            .collect();
        prop_assert_eq!(accounts[0], accounts[1]);
        let account = accounts[0];
        let mut steps: Vec<(NaiveDate, Op)> = Vec::new();
        for (n, amount) in history.early.iter().enumerate() {
            steps.push((d(1, 10 + n as u32), Op::Pay { amount: *amount, back_days: 0 }));
        }
        let issued_on = d(1, 31) + Days::new(u64::from(history.gap_days));
        let due_on = issued_on + Days::new(u64::from(history.due_in_days));
        steps.push((
            issued_on,
            Op::Charge { amount: history.second_minor, due_in_days: history.due_in_days },
        ));
        for (after, amount) in &history.recent {
            steps.push((
                issued_on + Days::new(u64::from(*after)),
                Op::Pay { amount: *amount, back_days: 0 },
            ));
        }
        let mut review_on = due_on;
        for days in &history.reviews {
            review_on = review_on + Days::new(u64::from(*days));
            steps.push((review_on, Op::Pass { days: 0 }));
        }
        // In date order; a payment and a review of the same day: the payment first.
        steps.sort_by_key(|(on, op)| (*on, matches!(op, Op::Pass { .. })));
        for (n, (on, op)) in steps.iter().enumerate() {
            let outcomes: Vec<String> =
                engines.iter().map(|(_, books)| apply(books, account, n, op, *on)).collect();
            prop_assert_eq!(&outcomes[0], &outcomes[1], "step {} {:?} on {}", n, op, on);
            let cases: Vec<_> = engines
                .iter()
                .map(|(_, books)| {
                    let case = books.case(account).unwrap();
                    (case.state, case.stage)
                })
                .collect();
            prop_assert_eq!(&cases[0], &cases[1], "step {} {:?} on {}", n, op, on);
        }
    }
}
