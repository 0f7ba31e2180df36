//! Collections scenarios on the real engine under the built-in standard policy: a debtor's
//! story day by day (reminder before the due date, missed payment, late fee, promise,
//! broken promise, plan, completion), settlements, disputes, hardship, placement with
//! commission, credit hold, charge-off by the cycle, coordinated contact for a debtor with
//! several accounts, and the audit trail.

use arrears::case::{ActionStatus, ContactOutcome};
use arrears::collection::CollectionState;
use arrears::ids::{AccountId, DebtorId};
use arrears::ledger::Book;
use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction,
    LateFeeRule, ObligationKind, ProductKind, Terms,
};
use arrears::money::Currency;
use arrears::plan::Frequency;
use arrears::{
    Arrears, Command, NewAccount, NewDebtor, NewPlan, Outcome, PolicyRefusal, PromiseLine,
    Rejection,
};
use arrears_store::Reads;
use chrono::NaiveDate;

use crate::support::*;

fn point(channel: ContactChannel, address: &str) -> ContactPoint {
    ContactPoint {
        channel,
        address: address.to_owned(),
        kind: ContactPointKind::Personal,
        consent: true,
        opted_out: false,
    }
}

fn new_person(reference: &str) -> Command {
    Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: DebtorKind::Person,
        name: format!("Person {reference}"),
        jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: vec![
            point(ContactChannel::Email, &format!("{reference}@example.com")),
            point(ContactChannel::Sms, "+15125550100"),
            point(ContactChannel::Phone, "+15125550100"),
            point(ContactChannel::Postal, "1 Main St, Austin TX"),
        ],
        flags: DebtorFlags::default(),
    })
}

fn person(books: &Arrears, reference: &str) -> DebtorId {
    match books.execute(&format!("debtor:{reference}"), &new_person(reference)).unwrap().outcome {
        Outcome::DebtorCreated(id) => id,
        other => panic!("{other:?}"),
    }
}

fn open_loan(debtor: DebtorId, reference: &str) -> Command {
    let terms = Terms {
        grace_days: 5,
        late_fee: LateFeeRule::Flat { amount_minor: 2_500 },
        ..Terms::default()
    };
    Command::OpenAccount(NewAccount {
        external_ref: Some(reference.to_owned()),
        debtor,
        product: ProductKind::Installment,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: d(1, 1),
        terms,
    })
}

fn loan(books: &Arrears, debtor: DebtorId, reference: &str, product: ProductKind) -> AccountId {
    let mut command = open_loan(debtor, reference);
    if let Command::OpenAccount(new) = &mut command {
        new.product = product;
    }
    match books.execute(&format!("account:{reference}"), &command).unwrap().outcome {
        Outcome::AccountOpened(id) => id,
        other => panic!("{other:?}"),
    }
}

fn state(books: &Arrears, account: AccountId) -> CollectionState {
    books.case(account).unwrap().state
}

/// Runs the cycle on `day` and returns the templates of the actions it created, acknowledging
/// each as delivered.
fn cycle(books: &Arrears, day: NaiveDate) -> Vec<String> {
    let report = books.run_cycle(day).unwrap();
    assert!(report.complete);
    let mut templates = Vec::new();
    for action in books.pending_actions(1_000).unwrap() {
        assert_eq!(action.created_for, day);
        templates.push(action.template.clone());
        let command = Command::Acknowledge {
            action: action.id,
            outcome: ContactOutcome::Delivered,
            at: action.scheduled_at,
        };
        books.execute(&format!("ack:{}", action.id), &command).unwrap().accepted().unwrap();
    }
    templates
}

fn total(books: &Arrears, account: AccountId, day: NaiveDate) -> i64 {
    books.account_view(account, day).unwrap().total_outstanding_minor
}

#[test]
fn one_debtor_from_reminder_to_completed_plan() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "ana");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 100_000);

    // Three days before the due date: the courtesy e-mail, nothing past due.
    assert_eq!(cycle(&books, d(1, 28)), vec!["courtesy.reminder"]);
    assert_eq!(state(&books, account), CollectionState::Current);
    assert_eq!(books.case(account).unwrap().stage.as_deref(), Some("courtesy"));
    // The next review is the second courtesy step, two days later.
    assert_eq!(books.case(account).unwrap().next_review_on, d(1, 30));
    assert_eq!(cycle(&books, d(1, 29)), Vec::<String>::new());
    assert_eq!(cycle(&books, d(1, 30)), vec!["courtesy.reminder.sms"]);

    // The due date passes unpaid: early stage, an SMS nudge.
    assert_eq!(cycle(&books, d(2, 1)), vec!["early.nudge"]);
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
    assert_eq!(books.case(account).unwrap().stage.as_deref(), Some("early"));
    // After the 5 grace days the late fee is assessed, once.
    assert_eq!(total(&books, account, d(2, 5)), 100_000);
    cycle(&books, d(2, 5));
    assert_eq!(total(&books, account, d(2, 5)), 100_000);
    assert_eq!(cycle(&books, d(2, 6)), Vec::<String>::new());
    assert_eq!(total(&books, account, d(2, 6)), 102_500);
    cycle(&books, d(2, 7));
    assert_eq!(total(&books, account, d(2, 7)), 102_500);

    // A promise: 300.00 on February 12.
    let promise = Command::Promise {
        account,
        made_on: d(2, 8),
        payments: vec![PromiseLine { on: d(2, 12), amount: usd(30_000) }],
    };
    // Below the policy's 25% minimum share first.
    let too_small = Command::Promise {
        account,
        made_on: d(2, 8),
        payments: vec![PromiseLine { on: d(2, 12), amount: usd(1_000) }],
    };
    assert!(matches!(
        books.execute("promise-small", &too_small).unwrap().outcome,
        Outcome::Rejected(Rejection::Policy(PolicyRefusal::Promise(_)))
    ));
    books.execute("promise-1", &promise).unwrap().accepted().unwrap();
    assert_eq!(state(&books, account), CollectionState::Promised);
    // The standard policy allows one open promise: a second is refused, the first stands.
    // (Found by the CLI review: a second promise used to replace the open one silently.)
    let second = Command::Promise {
        account,
        made_on: d(2, 8),
        payments: vec![PromiseLine { on: d(2, 10), amount: usd(40_000) }],
    };
    assert!(matches!(
        books.execute("promise-2", &second).unwrap().outcome,
        Outcome::Rejected(Rejection::Policy(PolicyRefusal::PromiseOpen { made_on }))
            if made_on == d(2, 8)
    ));
    assert_eq!(books.case(account).unwrap().promise.unwrap().payments[0].amount_minor, 30_000);
    // No contact while the promise runs, and the next review is no later than the day after
    // the promise's deadline (February 12 plus 2 grace days).
    for day in 8..=14 {
        assert_eq!(cycle(&books, d(2, day)), Vec::<String>::new(), "day {day}");
        assert_eq!(state(&books, account), CollectionState::Promised);
        assert!(books.case(account).unwrap().next_review_on <= d(2, 15));
    }

    // Nothing paid by February 14 (12 + 2 grace days): broken on the 15th.
    cycle(&books, d(2, 15));
    let case = books.case(account).unwrap();
    assert!(matches!(case.state, CollectionState::Delinquent { .. }));
    assert_eq!(case.broken_promises, 1);
    assert!(case.promise.is_none());
    // The broken promise is a signal: the more specific stage takes over.
    assert_eq!(case.stage.as_deref(), Some("broken_promise"));

    // A plan: four monthly installments from March 1, affordable on 3,000 - 1,800 a month.
    let plan = Command::CreatePlan(NewPlan {
        account,
        created_on: d(2, 16),
        installments: 4,
        frequency: Frequency::Monthly,
        first_due: d(3, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(300_000),
        monthly_expenses: usd(180_000),
    });
    let unaffordable = Command::CreatePlan(NewPlan {
        account,
        created_on: d(2, 16),
        installments: 4,
        frequency: Frequency::Monthly,
        first_due: d(3, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(200_000),
        monthly_expenses: usd(180_000),
    });
    assert!(matches!(
        books.execute("plan-0", &unaffordable).unwrap().outcome,
        Outcome::Rejected(Rejection::Policy(refusal @ PolicyRefusal::PlanUnaffordable(_)))
            if refusal.rule() == "plan.affordable_share"
    ));
    books.execute("plan-1", &plan).unwrap().accepted().unwrap();
    assert_eq!(state(&books, account), CollectionState::InPlan);
    let view = books.account_view(account, d(2, 16)).unwrap();
    assert_eq!(view.total_outstanding_minor, 102_500);
    assert_eq!(view.aging.days_past_due, 0, "the plan replaced the past-due obligations");
    let installments: Vec<i64> = view
        .obligations
        .iter()
        .filter(|o| o.obligation.kind == arrears::model::ObligationKind::Installment)
        .map(|o| o.outstanding_minor.iter().sum())
        .collect();
    assert_eq!(installments, vec![25_625, 25_625, 25_625, 25_625]);

    // Pay each installment on its due date; the plan completes with the last.
    for (month, key) in [(3, "i1"), (4, "i2"), (5, "i3")] {
        pay(&books, key, account, d(month, 1), 25_625);
        cycle(&books, d(month, 2));
        assert_eq!(state(&books, account), CollectionState::InPlan, "month {month}");
    }
    pay(&books, "i4", account, d(6, 1), 25_625);
    assert_eq!(state(&books, account), CollectionState::Paid);
    assert_eq!(total(&books, account, d(6, 1)), 0);
    assert!(books.case(account).unwrap().plan.is_none());
    assert!(books.verify().unwrap().is_clean());

    // The audit trail has the story's transitions in order.
    let transitions: Vec<String> = books
        .audit_log(Some(account))
        .unwrap()
        .into_iter()
        .filter_map(|record| match record.kind {
            arrears::case::AuditKind::Transition { to, .. } => Some(to),
            _ => None,
        })
        .collect();
    let mut unique = transitions.clone();
    unique.dedup();
    assert_eq!(unique, vec!["delinquent", "promised", "delinquent", "in_plan", "paid"]);
}

#[test]
fn a_debtor_with_two_accounts_gets_one_coordinated_contact() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "bo");
    let first = loan(&books, debtor, "L-1", ProductKind::Installment);
    let second = loan(&books, debtor, "L-2", ProductKind::Installment);
    charge(&books, "c1", first, d(1, 1), d(1, 31), 50_000);
    charge(&books, "c2", second, d(1, 1), d(1, 31), 70_000);
    books.run_cycle(d(2, 1)).unwrap();
    let actions = books.pending_actions(100).unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].accounts, vec![first, second]);
    assert_eq!(actions[0].channel, ContactChannel::Sms);
    // 10:00 in Chicago is 16:00 UTC in February.
    assert_eq!(
        actions[0].scheduled_at,
        "2026-02-01T16:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap()
    );
}

/// `debtors` people with one to three installment loans each (debtor `n` has `1 + n % 3`),
/// each loan charged once, issued on Jan 1, with the due date and amount `charge(debtor,
/// account)` gives. Returns the accounts in creation order.
fn debtors_with_loans(
    books: &Arrears,
    prefix: &str,
    debtors: usize,
    charge_of: impl Fn(usize, usize) -> (NaiveDate, i64),
) -> Vec<AccountId> {
    let mut accounts = Vec::new();
    for debtor_index in 0..debtors {
        let debtor = person(books, &format!("{prefix}{debtor_index}"));
        for account_index in 0..(1 + debtor_index % 3) {
            let reference = format!("{prefix}-{debtor_index}-{account_index}");
            let account = loan(books, debtor, &reference, ProductKind::Installment);
            let (due, amount) = charge_of(debtor_index, account_index);
            charge(books, &format!("c:{reference}"), account, d(1, 1), due, amount);
            accounts.push(account);
        }
    }
    accounts
}

#[test]
fn a_cycle_killed_half_way_resumes_to_the_same_outbox() {
    fn portfolio(books: &Arrears) {
        debtors_with_loans(books, "L", 12, |debtor, account| {
            let due = d(1, 1) + chrono::Days::new(10 + 3 * (debtor + account) as u64);
            (due, 10_000 * (1 + account as i64))
        });
    }
    let (_dir_a, interrupted) = open_temp();
    let (_dir_b, straight) = open_temp();
    portfolio(&interrupted);
    portfolio(&straight);
    let options =
        arrears::CycleOptions { batch_accounts_max: 4, batches_max: Some(2), ..Default::default() };
    let partial = interrupted.run_cycle_with(d(2, 20), options).unwrap();
    assert!(!partial.complete);
    assert_eq!(partial.batches, 2);
    let rest = interrupted
        .run_cycle_with(
            d(2, 20),
            arrears::CycleOptions {
                batch_accounts_max: 4,
                batches_max: None,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(rest.complete);
    // Running again for the same date finds nothing due and writes nothing.
    let again = interrupted.run_cycle(d(2, 20)).unwrap();
    assert_eq!((again.reviewed, again.actions), (0, 0));
    let full = straight.run_cycle(d(2, 20)).unwrap();
    assert_eq!(partial.reviewed + rest.reviewed, full.reviewed);
    assert_eq!(partial.actions + rest.actions, full.actions);
    assert!(full.actions > 0);
    assert_eq!(interrupted.actions().unwrap(), straight.actions().unwrap());
    for account in interrupted.account_ids().unwrap() {
        assert_eq!(
            interrupted.case(account).unwrap(),
            straight.case(account).unwrap(),
            "{account}"
        );
    }
    assert!(interrupted.verify().unwrap().is_clean());
}

/// The cycle decodes a batch's records on a second thread and takes its debtors through the
/// steps 128 accounts at a time: over months of cycles on a few hundred accounts, that ends in
/// the same cases, outbox and balances as one debtor per batch (no prefetch ahead, one step).
#[test]
fn a_cycle_in_large_batches_equals_one_debtor_per_batch() {
    fn portfolio(books: &Arrears) -> Vec<AccountId> {
        debtors_with_loans(books, "Q", 160, |debtor, account| {
            let due = d(1, 1) + chrono::Days::new((7 * debtor + account) as u64 % 90);
            (due, 5_000 + 100 * debtor as i64)
        })
    }
    let (_dir_a, large) = open_temp();
    let (_dir_b, single) = open_temp();
    let accounts = portfolio(&large);
    assert_eq!(portfolio(&single), accounts);
    assert!(accounts.len() > 2 * 128, "more accounts than two steps");
    let one_debtor =
        arrears::CycleOptions { batch_accounts_max: 1, batches_max: None, ..Default::default() };
    let (mut total_actions, mut total_transitions, mut total_fees) = (0, 0, 0);
    for (month, day) in [(1, 20), (2, 10), (2, 25), (3, 15), (4, 10), (5, 20), (7, 1)] {
        let as_of = d(month, day);
        let a = large.run_cycle(as_of).unwrap();
        let b = single.run_cycle_with(as_of, one_debtor).unwrap();
        assert_eq!((a.reviewed, a.transitions, a.actions), (b.reviewed, b.transitions, b.actions));
        assert_eq!((a.fees_assessed, a.charged_off), (b.fees_assessed, b.charged_off));
        total_actions += a.actions;
        total_transitions += a.transitions;
        total_fees += a.fees_assessed;
    }
    eprintln!("{total_actions} actions, {total_transitions} transitions, {total_fees} fees");
    assert!(total_actions > 0, "the strategy proposed nothing");
    assert!(total_transitions > 0 && total_fees > 0, "nothing moved");
    assert_eq!(large.actions().unwrap(), single.actions().unwrap());
    for &account in &accounts {
        assert_eq!(large.case(account).unwrap(), single.case(account).unwrap(), "{account}");
        let (a, b) = (
            large.account_view(account, d(7, 1)).unwrap(),
            single.account_view(account, d(7, 1)).unwrap(),
        );
        assert_eq!(a.total_outstanding_minor, b.total_outstanding_minor, "{account}");
    }
    assert!(large.verify().unwrap().is_clean());
}

/// Past 4,096 due accounts the cycle looks their debtors up on two threads: every account is
/// reviewed once, grouped with its own debtor (a debtor's two accounts share one contact
/// request, so each debtor gets one courtesy action covering both), and a second run for the
/// same date finds nothing due.
#[test]
fn a_cycle_over_many_due_accounts_groups_each_with_its_debtor() {
    let (_dir, books) = open_temp();
    let mut batch = books.batch().unwrap();
    let debtors = 2_100;
    for n in 0..debtors {
        let debtor =
            match batch.execute(&format!("d{n}"), &new_person(&format!("M{n}"))).unwrap().outcome {
                Outcome::DebtorCreated(id) => id,
                other => panic!("{other:?}"),
            };
        for k in 0..2 {
            let open = open_loan(debtor, &format!("M{n}-{k}"));
            let account = match batch.execute(&format!("a{n}.{k}"), &open).unwrap().outcome {
                Outcome::AccountOpened(id) => id,
                other => panic!("{other:?}"),
            };
            let charge = charge_command(account, d(1, 1), d(1, 20), 10_000);
            assert!(!batch.execute(&format!("c{n}.{k}"), &charge).unwrap().outcome.is_rejected());
        }
    }
    batch.commit().unwrap();
    let report = books.run_cycle(d(1, 1)).unwrap();
    assert_eq!(report.reviewed, 2 * debtors as u64);
    assert!(report.complete);
    assert_eq!(books.run_cycle(d(1, 1)).unwrap().reviewed, 0);
    for account in books.account_ids().unwrap() {
        let case = books.case(account).unwrap();
        assert_eq!(case.last_review_on, Some(d(1, 1)), "{account}");
    }
    // The courtesy reminders before the due date: one action per debtor, for both accounts.
    let mut as_of = d(1, 2);
    while books.actions().unwrap().is_empty() && as_of < d(1, 20) {
        books.run_cycle(as_of).unwrap();
        as_of = as_of.succ_opt().unwrap();
    }
    let actions = books.actions().unwrap();
    assert_eq!(actions.len(), debtors, "one courtesy action per debtor");
    for action in &actions {
        assert_eq!(action.accounts.len(), 2, "{action:?}");
        for account in &action.accounts {
            assert_eq!(books.account(*account).unwrap().unwrap().debtor, action.debtor);
        }
    }
}

#[test]
fn settlement_offer_acceptance_and_completion_write_off_the_rest() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "cy");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 100_000);
    books.run_cycle(d(4, 15)).unwrap();
    let stage = books.case(account).unwrap().stage.unwrap();
    assert_eq!(stage, "late");
    // The standard policy's late stage accepts 70% at least.
    let low = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(60_000) };
    assert!(matches!(
        books.execute("s0", &low).unwrap().outcome,
        Outcome::Rejected(Rejection::Policy { .. })
    ));
    let owed = total(&books, account, d(4, 16));
    let offer = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(75_000) };
    books.execute("s1", &offer).unwrap().accepted().unwrap();
    books
        .execute("s2", &Command::AcceptSettlement { account, accepted_on: d(4, 17) })
        .unwrap()
        .accepted()
        .unwrap();
    pay(&books, "p1", account, d(4, 20), 75_000);
    assert_eq!(state(&books, account), CollectionState::Settled);
    // Settled leaves nothing to collect: no stage and no credit hold (found by the CLI review).
    let case = books.case(account).unwrap();
    assert_eq!((case.stage, case.credit_hold), (None, false));
    let view = books.account_view(account, d(4, 30)).unwrap();
    assert_eq!(view.total_outstanding_minor, 0);
    assert_eq!(view.books_minor[&Book::Waivers], owed - 75_000);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn disputes_stop_contact_and_skip_allocation() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "di");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    let disputed = charge(&books, "c1", account, d(1, 1), d(1, 31), 40_000);
    let other = charge(&books, "c2", account, d(1, 1), d(2, 10), 10_000);
    let open = Command::OpenDispute { account, obligations: vec![disputed], on: d(2, 1) };
    books.execute("d1", &open).unwrap().accepted().unwrap();
    assert_eq!(state(&books, account), CollectionState::Disputed);
    assert!(cycle(&books, d(2, 12)).is_empty());
    // A payment skips the disputed invoice.
    let posted = pay(&books, "p1", account, d(2, 13), 10_000);
    assert!(posted
        .postings
        .iter()
        .any(|p| p.obligation == Some(other) && p.amount_minor == -10_000));
    books
        .execute("d2", &Command::ResolveDispute { account, on: d(2, 20) })
        .unwrap()
        .accepted()
        .unwrap();
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
    assert!(!cycle(&books, d(2, 21)).is_empty());
}

#[test]
fn hardship_suspends_fees_and_contact_until_it_ends() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "ha");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 40_000);
    let grant = Command::GrantHardship { account, on: d(2, 2), until: d(2, 20) };
    books.execute("h1", &grant).unwrap().accepted().unwrap();
    assert!(matches!(state(&books, account), CollectionState::Hardship { .. }));
    for day in 3..=20 {
        assert!(cycle(&books, d(2, day)).is_empty(), "contact on day {day}");
    }
    assert_eq!(total(&books, account, d(2, 20)), 40_000, "no late fee during hardship");
    // The day after `until`, the review returns the account to its derived state.
    cycle(&books, d(2, 21));
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
}

/// A payment holiday defers what fell due before it ended. The installment due during the
/// hardship earned its late fee (25.00) at the first review after the holiday; it is late only
/// once the account's grace days (5) after the holiday's end have passed, and earns the fee
/// then if still unpaid. Its end is kept on the case (case record version 8).
#[test]
fn an_installment_missed_during_a_hardship_is_late_only_after_the_holiday_and_its_grace() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "hl");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(2, 5), 40_000);
    let grant = Command::GrantHardship { account, on: d(2, 2), until: d(2, 20) };
    books.execute("h1", &grant).unwrap().accepted().unwrap();
    for day in 3..=26 {
        books.run_cycle(d(2, day)).unwrap();
    }
    let case = books.case(account).unwrap();
    assert!(matches!(case.state, CollectionState::Delinquent { .. }), "{:?}", case.state);
    assert_eq!(case.hardship_ended_on, Some(d(2, 21)), "the day after `until`");
    assert_eq!(total(&books, account, d(2, 26)), 40_000, "no fee for the holiday or its grace");
    books.run_cycle(d(2, 27)).unwrap();
    assert_eq!(total(&books, account, d(2, 27)), 42_500, "late after the holiday and its grace");
    assert!(books.verify().unwrap().is_clean());
}

/// A hardship ended early by `end_hardship` ends on that day: the clock restarts there.
#[test]
fn a_hardship_ended_early_restarts_the_late_fee_clock_on_its_day() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "he");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(2, 5), 40_000);
    let grant = Command::GrantHardship { account, on: d(2, 2), until: d(3, 31) };
    books.execute("h1", &grant).unwrap().accepted().unwrap();
    let end = Command::EndHardship { account, on: d(2, 15) };
    books.execute("h2", &end).unwrap().accepted().unwrap();
    assert_eq!(books.case(account).unwrap().hardship_ended_on, Some(d(2, 15)));
    books.run_cycle(d(2, 20)).unwrap();
    assert_eq!(total(&books, account, d(2, 20)), 40_000);
    books.run_cycle(d(2, 21)).unwrap();
    assert_eq!(total(&books, account, d(2, 21)), 42_500);
}

/// A loan of 800.00 due Jan 31, reviewed on Mar 10, placed on Mar 11 with Acme Recovery at a
/// commission of 25%.
fn placed_loan(books: &Arrears, name: &str) -> AccountId {
    let debtor = person(books, name);
    let account = loan(books, debtor, "L-1", ProductKind::Installment);
    charge(books, "c1", account, d(1, 1), d(1, 31), 80_000);
    books.run_cycle(d(3, 10)).unwrap();
    let place = Command::Place {
        account,
        on: d(3, 11),
        agency: "Acme Recovery".into(),
        commission_rate: "0.25".parse().unwrap(),
    };
    books.execute("pl1", &place).unwrap().accepted().unwrap();
    account
}

#[test]
fn placement_records_the_agency_commission_on_recoveries() {
    let (_dir, books) = open_temp();
    let account = placed_loan(&books, "pl");
    assert!(matches!(state(&books, account), CollectionState::Placed { .. }));
    pay(&books, "p1", account, d(3, 20), 10_001);
    let view = books.account_view(account, d(3, 31)).unwrap();
    // 25% of 100.01 is 25.0025, rounded half up to 25.00.
    assert_eq!(view.books_minor[&Book::AgencyCommission], 2_500);
    assert_eq!(view.books_minor[&Book::AgencyPayable], -2_500);
    books.execute("r1", &Command::Recall { account, on: d(3, 25) }).unwrap().accepted().unwrap();
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
    pay(&books, "p2", account, d(3, 26), 10_000);
    assert_eq!(
        books.account_view(account, d(3, 31)).unwrap().books_minor[&Book::AgencyCommission],
        2_500
    );
    assert!(books.verify().unwrap().is_clean());
}

/// A placed account under dispute could not be recalled (`recalled` refused as `not placed`
/// in the dispute's hold): the agency kept the file, and booked its commission on what the
/// debtor paid, until the dispute was resolved, and the placement then resumed. A recall during
/// the dispute is taken: the placement ends at once (no commission on later payments), the
/// account stays disputed, and the dispute's end derives its state instead of resuming the
/// placement.
#[test]
fn a_placed_account_is_recalled_during_a_dispute() {
    let (_dir, books) = open_temp();
    let account = placed_loan(&books, "pd");
    let open = Command::OpenDispute { account, obligations: Vec::new(), on: d(3, 12) };
    books.execute("dp", &open).unwrap().accepted().unwrap();
    assert_eq!(state(&books, account), CollectionState::Disputed);
    books.execute("rc", &Command::Recall { account, on: d(3, 13) }).unwrap().accepted().unwrap();
    let case = books.case(account).unwrap();
    assert_eq!(case.state, CollectionState::Disputed);
    assert_eq!(case.placement, None);
    assert_eq!(case.recalled_on, Some(d(3, 13)));
    // Recalled once; a second recall finds nothing placed.
    let again = books.execute("rc2", &Command::Recall { account, on: d(3, 14) }).unwrap();
    assert!(again.outcome.is_rejected(), "{:?}", again.outcome);
    // A payment during the dispute earns the agency nothing.
    pay(&books, "p1", account, d(3, 20), 10_000);
    let view = books.account_view(account, d(3, 31)).unwrap();
    assert_eq!(view.books_minor.get(&Book::AgencyCommission).copied().unwrap_or(0), 0);
    let resolve = Command::ResolveDispute { account, on: d(3, 21) };
    books.execute("rs", &resolve).unwrap().accepted().unwrap();
    assert!(
        matches!(state(&books, account), CollectionState::Delinquent { .. }),
        "{:?}",
        state(&books, account)
    );
    assert!(books.verify().unwrap().is_clean());
}

/// An agency's commission was reckoned on the whole payment: a debtor who paid 50.00 more than
/// was owed earned the agency 12.50 on the debtor's own credit. It is on what the payment
/// settled now (`commission_on_settled`, named `commission` in outputs).
#[test]
fn an_agencys_commission_is_not_earned_on_an_overpayment() {
    let (_dir, books) = open_temp();
    let account = placed_loan(&books, "ov");
    let owed = books.account_view(account, d(3, 20)).unwrap().total_outstanding_minor;
    pay(&books, "p1", account, d(3, 20), owed + 5_000);
    let view = books.account_view(account, d(3, 31)).unwrap();
    assert_eq!(view.unapplied_minor, 5_000);
    let expected = (owed * 25 + 50) / 100;
    assert_eq!(view.books_minor[&Book::AgencyCommission], expected, "owed {owed}");
    assert_eq!(view.books_minor[&Book::AgencyPayable], -expected);
    let kinds: Vec<&str> =
        (books.events(account).unwrap().iter()).map(|record| record.event.kind.name()).collect();
    assert_eq!(kinds.last(), Some(&"commission"));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn a_returned_payment_takes_its_agency_commission_back() {
    // docs/COLLECTIONS.md: the commission booked on a payment the agency recovered stayed
    // booked when the payment was returned, although the agency recovered nothing.
    let (_dir, books) = open_temp();
    let account = placed_loan(&books, "rt");
    pay(&books, "p1", account, d(3, 20), 10_000);
    let returned = pay(&books, "p2", account, d(3, 21), 4_001);
    // Recalled before the return: the commission was the agency's all the same.
    books.execute("rc", &Command::Recall { account, on: d(3, 22) }).unwrap().accepted().unwrap();
    let books_on = |on| books.account_view(account, on).unwrap().books_minor;
    assert_eq!(books_on(d(3, 22))[&Book::AgencyCommission], 2_500 + 1_000);
    let reversal = Command::Reversal {
        account,
        payment: returned.event,
        effective_on: d(3, 25),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    books.execute("rv", &reversal).unwrap().accepted().unwrap();
    let after = books_on(d(3, 31));
    assert_eq!(after[&Book::AgencyCommission], 2_500, "only the kept payment's");
    assert_eq!(after[&Book::AgencyPayable], -2_500);
    // Dated on the return: the day before, the agency was owed both.
    assert_eq!(books_on(d(3, 24))[&Book::AgencyCommission], 3_500);
    let kinds: Vec<&str> =
        (books.events(account).unwrap().iter()).map(|record| record.event.kind.name()).collect();
    assert_eq!(kinds[kinds.len() - 2..], ["reversal", "commission_reversed"]);
    // The same key again is a replay: nothing is taken back twice.
    books.execute("rv", &reversal).unwrap().accepted().unwrap();
    assert_eq!(books_on(d(3, 31))[&Book::AgencyCommission], 2_500);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn credit_hold_refuses_new_charges_in_a_holding_stage() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "cr");
    let account = loan(&books, debtor, "R-1", ProductKind::Revolving);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 30_000);
    books.run_cycle(d(3, 5)).unwrap();
    assert_eq!(books.case(account).unwrap().stage.as_deref(), Some("mid"));
    let outcome =
        books.execute("c2", &charge_command(account, d(3, 6), d(4, 5), 1_000)).unwrap().outcome;
    assert!(
        matches!(outcome, Outcome::Rejected(Rejection::CreditHold { stage }) if stage == "mid")
    );
}

#[test]
fn issue_14_a_credit_hold_bills_what_is_owed_and_refuses_new_credit() {
    // https://github.com/arrears/arrears/issues/14 (point 7): the hold refused every principal
    // charge, so the installments of a loan and the statements of a card on hold were refused.
    let (_dir, books) = open_temp();
    let debtor = person(&books, "hold");
    for (reference, product, kind) in [
        ("L-1", ProductKind::Installment, ObligationKind::Installment),
        ("R-1", ProductKind::Revolving, ObligationKind::Statement),
    ] {
        let account = loan(&books, debtor, reference, product);
        charge(&books, &format!("{reference}:c1"), account, d(1, 1), d(1, 31), 30_000);
        books.run_cycle(d(3, 5)).unwrap();
        let case = books.case(account).unwrap();
        assert_eq!((case.stage.as_deref(), case.credit_hold), (Some("mid"), true), "{reference}");
        let mut bill = charge_command(account, d(3, 6), d(4, 5), 1_000);
        if let Command::Charge(new) = &mut bill {
            new.kind = kind;
        }
        let outcome = books.execute(&format!("{reference}:bill"), &bill).unwrap().outcome;
        assert!(matches!(outcome, Outcome::Posted(_)), "{reference}: {outcome:?}");
        // A new purchase on the same account is still refused.
        let purchase = charge_command(account, d(3, 6), d(4, 5), 1_000);
        let outcome = books.execute(&format!("{reference}:buy"), &purchase).unwrap().outcome;
        assert!(
            matches!(&outcome, Outcome::Rejected(Rejection::CreditHold { stage }) if stage == "mid"),
            "{reference}: {outcome:?}"
        );
    }
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn the_cycle_charges_off_at_the_policy_days_past_due() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "co");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(5, 30)).unwrap();
    assert!(books.account_view(account, d(5, 30)).unwrap().charged_off_on.is_none());
    // 120 days past due for closed-end products.
    let report = books.run_cycle(d(5, 31)).unwrap();
    assert_eq!(report.charged_off, 1);
    let view = books.account_view(account, d(5, 31)).unwrap();
    assert_eq!(view.charged_off_on, Some(d(5, 31)));
    assert_eq!(view.books_minor[&Book::BadDebt], view.total_outstanding_minor);
    assert_eq!(state(&books, account), CollectionState::ChargedOff);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn flags_stop_contact_and_the_audit_chain_detects_tampering() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "fl");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    let cease = Command::SetFlag { debtor, flag: arrears::Flag::CeaseCommunication, on: d(2, 1) };
    books.execute("f1", &cease).unwrap().accepted().unwrap();
    assert!(books.case(account).unwrap().flags.cease_communication);
    assert!(books.debtor(debtor).unwrap().unwrap().flags.cease_communication);
    assert!(cycle(&books, d(2, 2)).is_empty());
    let bankrupt = Command::SetFlag { debtor, flag: arrears::Flag::BankruptcyFiled, on: d(2, 3) };
    books.execute("f2", &bankrupt).unwrap().accepted().unwrap();
    let promise = Command::Promise {
        account,
        made_on: d(2, 4),
        payments: vec![PromiseLine { on: d(2, 10), amount: usd(20_000) }],
    };
    assert!(matches!(
        books.execute("pr", &promise).unwrap().outcome,
        Outcome::Rejected(Rejection::State { .. })
    ));
    assert!(books.verify().unwrap().is_clean());
    // Rewrite one audit record's account: its hash no longer matches.
    let entries = books.store().read().unwrap().audit_log().unwrap();
    let mut tampered = entries[1].clone();
    tampered.record.account = None;
    let bytes =
        arrears_store::codec::encode_record(arrears_store::codec::RecordKind::Audit, &tampered);
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("audit", tampered.record.seq, &bytes).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert!(
        report.problems.iter().any(|p| p.check == "audit" && p.subject == "audit 2"),
        "{:?}",
        report.problems
    );
}

#[test]
fn acknowledging_twice_is_refused_and_outcomes_feed_history() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "ac");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(2, 1)).unwrap();
    let action = books.pending_actions(10).unwrap().remove(0);
    let ack = Command::Acknowledge {
        action: action.id,
        outcome: ContactOutcome::DisputeRaised,
        at: action.scheduled_at,
    };
    assert!(!books.execute("a1", &ack).unwrap().outcome.is_rejected());
    assert!(books.execute("a1", &ack).unwrap().replayed);
    assert!(matches!(
        books.execute("a2", &ack).unwrap().outcome,
        Outcome::Rejected(Rejection::AlreadyAcknowledged { .. })
    ));
    assert!(books.pending_actions(10).unwrap().is_empty());
    assert!(matches!(books.actions().unwrap()[0].status, ActionStatus::Acknowledged { .. }));
    let history = books.contacts(debtor).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, ContactOutcome::DisputeRaised);
    // A raised dispute disputes the account.
    assert_eq!(state(&books, account), CollectionState::Disputed);
    assert!(books.verify().unwrap().is_clean());
}

/// A debtor who calls in (or writes) and disputes the debt disputes it, as an acknowledged
/// action with the outcome `dispute_raised` does: before, `record_inbound` entered the contact
/// and nothing else, so collection went on, the queued contacts about the debt among them. A
/// second such call finds the account disputed already and is recorded all the same. An
/// outbound contact recorded by hand stays a contact only.
#[test]
fn a_dispute_raised_calling_in_disputes_the_account() {
    let (_dir, books) = open_temp();
    let debtor = person(&books, "ib");
    let account = loan(&books, debtor, "L-1", ProductKind::Installment);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(2, 1)).unwrap();
    assert!(!books.pending_actions(10).unwrap().is_empty(), "the cycle queued a contact");
    let contact = |inbound: bool, at: &str| {
        let (accounts, channel, address) =
            (vec![account], ContactChannel::Phone, "+15125550100".to_owned());
        let (at, outcome) = (at.parse().unwrap(), ContactOutcome::DisputeRaised);
        if inbound {
            Command::RecordInbound { debtor, accounts, channel, address, at, outcome }
        } else {
            Command::RecordOutbound { debtor, accounts, channel, address, at, outcome }
        }
    };
    books.execute("out-1", &contact(false, "2026-02-01T19:00:00Z")).unwrap().accepted().unwrap();
    assert!(
        matches!(state(&books, account), CollectionState::Delinquent { .. }),
        "an outbound contact recorded by hand is a contact only"
    );
    for (n, at) in ["2026-02-01T20:00:00Z", "2026-02-02T20:00:00Z"].into_iter().enumerate() {
        books.execute(&format!("in-{n}"), &contact(true, at)).unwrap().accepted().unwrap();
        assert_eq!(state(&books, account), CollectionState::Disputed, "call {n}");
    }
    assert_eq!(books.contacts(debtor).unwrap().len(), 3);
    // What was queued about the disputed debt does not go out.
    assert!(books.pending_actions(10).unwrap().is_empty());
    let view = books.account_view(account, d(2, 3)).unwrap();
    assert!(view.obligations.iter().all(|obligation| obligation.disputed));
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

#[test]
fn issue_21_collection_commands_dated_before_the_account_opened_are_refused() {
    // https://github.com/arrears/arrears/issues/21 (point 2): collection commands dated years
    // before the account opened were accepted; money commands were already refused.
    let (_dir, books) = open_temp();
    let debtor = person(&books, "early");
    let account = loan(&books, debtor, "E-1", ProductKind::Revolving);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    let early = NaiveDate::from_ymd_opt(2023, 6, 1).unwrap();
    let plan = Command::CreatePlan(NewPlan {
        account,
        created_on: early,
        installments: 4,
        frequency: Frequency::Monthly,
        first_due: d(3, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(300_000),
        monthly_expenses: usd(180_000),
    });
    let promise = Command::Promise {
        account,
        made_on: early,
        payments: vec![PromiseLine { on: early, amount: usd(50_000) }],
    };
    let commands = [
        promise,
        plan,
        Command::OfferSettlement { account, offered_on: early, amount: usd(40_000) },
        Command::AcceptSettlement { account, accepted_on: early },
        Command::OpenDispute { account, obligations: Vec::new(), on: early },
        Command::ResolveDispute { account, on: early },
        Command::GrantHardship { account, on: early, until: d(2, 1) },
        Command::EndHardship { account, on: early },
        Command::Place {
            account,
            on: early,
            agency: "Northwind Recovery".into(),
            commission_rate: "0.25".parse().unwrap(),
        },
        Command::Recall { account, on: early },
        Command::ReferToLegal { account, on: early },
        Command::Close { account, on: early },
        Command::Reopen { account, on: early },
    ];
    let audit_len = books.audit_log(None).unwrap().len();
    for command in &commands {
        let outcome = books.execute(&format!("early:{}", command.name()), command).unwrap().outcome;
        assert!(
            matches!(
                &outcome,
                Outcome::Rejected(Rejection::Ledger(
                    arrears::ledger::Rejection::EffectiveBeforeOpened { effective_on, opened_on }
                )) if *effective_on == early && *opened_on == d(1, 1)
            ),
            "{}: {outcome:?}",
            command.name()
        );
    }
    assert_eq!(books.audit_log(None).unwrap().len(), audit_len, "a refusal writes nothing");
    assert_eq!(state(&books, account), CollectionState::Current);
    assert!(books.verify().unwrap().is_clean());
    // On the opening day itself, the same commands are taken.
    let outcome = books
        .execute(
            "dispute:opened",
            &Command::OpenDispute { account, obligations: Vec::new(), on: d(1, 1) },
        )
        .unwrap()
        .outcome;
    assert!(!outcome.is_rejected(), "{outcome:?}");
}

/// Everything a cycle may write, as text: the outbox, the audit log's length, and each
/// account's case, events and view on `day`.
fn everything(books: &Arrears, day: NaiveDate) -> String {
    let mut all =
        format!("{:?}\n{}\n", books.actions().unwrap(), books.audit_log(None).unwrap().len());
    for account in books.account_ids().unwrap() {
        all.push_str(&format!(
            "{:?}\n{:?}\n{:?}\n",
            books.case(account).unwrap(),
            books.events(account).unwrap(),
            books.account_view(account, day).unwrap()
        ));
    }
    all
}

#[test]
fn issue_21_a_dry_run_reports_what_the_cycle_then_does_and_writes_nothing() {
    // https://github.com/arrears/arrears/issues/21 (point 2): `arrears cycle --dry-run` shows
    // what a day would do (transitions, charge-offs, contacts, fees) without writing.
    let (_dir, books) = open_temp();
    debtors_with_loans(&books, "Y", 12, |debtor, account| {
        let due = d(1, 1) + chrono::Days::new(10 + 9 * (debtor + account) as u64);
        (due, 10_000 * (1 + account as i64))
    });
    cycle(&books, d(2, 20));
    let day = d(5, 31);
    let before = everything(&books, day);
    let options = arrears::CycleOptions { batch_accounts_max: 4, ..Default::default() };
    let dry =
        books.run_cycle_with(day, arrears::CycleOptions { dry_run: true, ..options }).unwrap();
    assert!(dry.complete && dry.batches > 1, "{dry:?}");
    assert!(dry.charged_off > 0 && dry.transitions > 0 && dry.actions > 0, "{dry:?}");
    assert_eq!(everything(&books, day), before, "a dry run writes nothing");
    assert!(books.verify().unwrap().is_clean());
    // Twice the same: the first dry run left nothing behind that the second would see.
    let again =
        books.run_cycle_with(day, arrears::CycleOptions { dry_run: true, ..options }).unwrap();
    assert_eq!(again, dry);
    let real = books.run_cycle_with(day, options).unwrap();
    assert_eq!(real, dry, "the dry run reported what the real run did");
    assert_ne!(everything(&books, day), before);
    assert!(books.verify().unwrap().is_clean());
}

/// An account's view on `day` without the books that hold zero (a book that held something
/// and was brought back to zero is listed with 0).
fn view_on(books: &Arrears, account: AccountId, day: NaiveDate) -> arrears::AccountView {
    let mut view = books.account_view(account, day).unwrap();
    view.books_minor.retain(|_, balance| *balance != 0);
    view
}

#[test]
fn issue_21_a_charge_off_is_reversed_exactly_and_the_account_is_reviewed_again() {
    // https://github.com/arrears/arrears/issues/21 (point 2): a cycle run for a date a year
    // off charged accounts off; nothing undid a charge-off, later charges were refused, and
    // the right day's cycle then reviewed nothing.
    fn portfolio(books: &Arrears) -> AccountId {
        let debtor = person(books, "typo");
        let account = loan(books, debtor, "T-1", ProductKind::Installment);
        charge(books, "c1", account, d(1, 1), d(1, 31), 50_000);
        let payment = Command::Payment {
            account,
            effective_on: d(2, 5),
            amount: usd(10_000),
            directed_to: None,
        };
        books.execute("p1", &payment).unwrap().accepted().unwrap();
        cycle(books, d(2, 20));
        account
    }
    let (_dir, books) = open_temp();
    let (_twin_dir, twin) = open_temp();
    // The recovery below is dated on the typo's day, a year after the clock's day: a policy
    // with a horizon that wide accepts it (issue 14: beyond the horizon, a payment is refused).
    let wide = include_str!("../../../../examples/policies/standard.toml").to_owned()
        + "\n[dates]\nfuture_days_max = 400\n";
    for store in [&books, &twin] {
        let policy = Command::SetPolicy { file: "wide.toml".into(), text: wide.clone() };
        store.execute("policy:wide", &policy).unwrap().accepted().unwrap();
    }
    let account = portfolio(&books);
    assert_eq!(portfolio(&twin), account);
    let typo_day = NaiveDate::from_ymd_opt(2027, 2, 20).unwrap();
    let report = books.run_cycle(typo_day).unwrap();
    assert_eq!(report.charged_off, 1);
    assert_eq!(state(&books, account), CollectionState::ChargedOff);
    let refused = books.execute("c2", &charge_command(account, d(2, 22), d(3, 22), 1_000)).unwrap();
    assert!(matches!(
        refused.outcome,
        Outcome::Rejected(Rejection::Ledger(arrears::ledger::Rejection::ChargedOff { .. }))
    ));
    // A recovery recorded while charged off, on the charge-off's day and after it.
    let recovery =
        Command::Payment { account, effective_on: typo_day, amount: usd(2_000), directed_to: None };
    books.execute("p2", &recovery).unwrap().accepted().unwrap();
    twin.execute("p2", &recovery).unwrap().accepted().unwrap();
    assert_eq!(books.run_cycle(d(2, 21)).unwrap().reviewed, 0, "the right day reviews nothing");

    let reverse = Command::ReverseChargeOff {
        account,
        on: d(2, 21),
        reason: "cycle run for 2027-02-20 by mistake".into(),
    };
    let receipt = books.execute("undo", &reverse).unwrap();
    let Outcome::Posted(posted) = &receipt.outcome else { panic!("{receipt:?}") };
    assert!(posted.postings.iter().any(|posting| posting.book == Book::BadDebt));
    let events = books.events(account).unwrap();
    let charge_off = events
        .iter()
        .find(|record| record.event.kind == arrears::ledger::EventKind::ChargeOff)
        .map(|record| record.event.seq)
        .unwrap();
    assert!(events.iter().any(|record| record.event.kind
        == arrears::ledger::EventKind::ChargeOffUndone {
            reason: "cycle run for 2027-02-20 by mistake".into(),
            charge_off,
        }
        && record.event.effective_on == typo_day));
    assert!(books.audit_log(Some(account)).unwrap().iter().any(|record| matches!(
        &record.kind,
        arrears::case::AuditKind::CommandExecuted { name, key, .. }
            if name == "reverse_charge_off" && key == "undo"
    )));
    // The same key again is a replay; another reversal finds nothing charged off.
    assert!(books.execute("undo", &reverse).unwrap().replayed);
    let again = books.execute("undo-2", &reverse).unwrap().outcome;
    assert!(matches!(
        again,
        Outcome::Rejected(Rejection::Ledger(arrears::ledger::Rejection::NotChargedOff))
    ));

    // Balances, obligations and aging are those of the twin that was never charged off, on
    // every date, and the books hold no bad debt and no recovery.
    for day in [d(2, 21), d(3, 1), typo_day, NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()] {
        assert_eq!(view_on(&books, account, day), view_on(&twin, account, day), "{day}");
    }
    assert!(!view_on(&books, account, typo_day).books_minor.contains_key(&Book::BadDebt));
    // The case is decided as of the reversal and due for review on it.
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
    let case = books.case(account).unwrap();
    assert_eq!((case.next_review_on, case.decided_on), (d(2, 21), d(2, 21)));
    let review = books.run_cycle(d(2, 21)).unwrap();
    assert_eq!(review.reviewed, 1, "{review:?}");
    assert_eq!(books.case(account).unwrap().last_review_on, Some(d(2, 21)));
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
    // Charges are taken again.
    let charge = books.execute("c3", &charge_command(account, d(2, 22), d(3, 22), 1_000)).unwrap();
    assert!(!charge.outcome.is_rejected(), "{:?}", charge.outcome);
    assert!(books.verify().unwrap().is_clean());
}

/// A waiver dated on the charge-off's own day and recorded before the charge-off's reversal
/// replayed while the account was charged off: it posted nothing, and the reversal then left
/// its loss in `bad_debt` instead of `waivers` (the totals right, the loss in the wrong book).
/// The reversal replays right after the charge-off now (`ChargeOffUndone`): the waiver is
/// booked as without the charge-off, the books are those of a twin never charged off, and
/// `verify` is clean.
#[test]
fn a_waiver_on_the_charge_offs_day_is_booked_as_without_it_once_reversed() {
    let (_dir, books) = open_temp();
    let (_twin_dir, twin) = open_temp();
    let mut accounts = Vec::new();
    for store in [&books, &twin] {
        let debtor = person(store, "same-day");
        let account = loan(store, debtor, "SD-1", ProductKind::Installment);
        charge(store, "c1", account, d(1, 1), d(1, 31), 50_000);
        accounts.push(account);
    }
    let account = accounts[0];
    assert_eq!(accounts[1], account);
    let charge_off = Command::ChargeOff { account, effective_on: d(3, 1) };
    books.execute("co", &charge_off).unwrap().accepted().unwrap();
    let obligation = books.account_view(account, d(3, 1)).unwrap().obligations[0].obligation.id;
    let waiver = Command::Waiver {
        account,
        obligation,
        component: arrears::model::Component::Principal,
        amount: usd(1_000),
        effective_on: d(3, 1),
    };
    for store in [&books, &twin] {
        store.execute("w1", &waiver).unwrap().accepted().unwrap();
    }
    let reverse = Command::ReverseChargeOff { account, on: d(3, 2), reason: "mistake".into() };
    books.execute("undo", &reverse).unwrap().accepted().unwrap();
    for day in [d(3, 1), d(3, 2), d(4, 1)] {
        assert_eq!(view_on(&books, account, day), view_on(&twin, account, day), "{day}");
    }
    let view = books.account_view(account, d(3, 2)).unwrap();
    assert_eq!(view.books_minor.get(&Book::Waivers), Some(&1_000), "{:?}", view.books_minor);
    assert_eq!(view.books_minor.get(&Book::BadDebt).copied().unwrap_or(0), 0);
    assert!(books.verify().unwrap().is_clean());
}

/// Issue 14 point 2: two processes run the cycle for the same date at the same time (here two
/// handles of this process, which redb's per-file locks keep apart exactly as they do two
/// processes), in batches of one debtor. Each lists the due accounts first and then reviews
/// them batch by batch, so its list goes stale as the other one commits: an account on the
/// list that the batch's own view no longer shows due was reviewed by the other cycle and is
/// skipped. So every account is reviewed once in all, and the cases and the outbox are those
/// of one cycle run alone.
#[test]
fn issue_14_two_cycles_at_once_review_each_account_once() {
    let (dir, books) = open_temp();
    let accounts = debtors_with_loans(&books, "T", 16, |debtor, account| {
        (d(1, 10) + chrono::Days::new((5 * debtor + account) as u64 % 40), 20_000)
    });
    drop(books);
    let path = dir.path().join("books.redb");
    let alone_path = dir.path().join("alone.redb");
    std::fs::copy(&path, &alone_path).unwrap();
    let options = || arrears::Options {
        clock: Box::new(arrears::FixedClock("2026-12-01T00:00:00Z".parse().unwrap())),
        ..arrears::Options::default()
    };
    let (first, second) = (
        Arrears::open_with(&path, options()).unwrap(),
        Arrears::open_with(&path, options()).unwrap(),
    );
    let one_debtor = arrears::CycleOptions { batch_accounts_max: 1, ..Default::default() };
    let as_of = d(3, 1);
    let start = std::sync::Barrier::new(2);
    let run = |books: &Arrears| {
        start.wait();
        books.run_cycle_with(as_of, one_debtor).unwrap()
    };
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| run(&first));
        let b = scope.spawn(|| run(&second));
        (a.join().unwrap(), b.join().unwrap())
    });
    eprintln!("reviewed {} and {} of {}", a.reviewed, b.reviewed, accounts.len());
    assert!(a.complete && b.complete);
    assert_eq!(a.reviewed + b.reviewed, accounts.len() as u64);
    assert!(first.verify().unwrap().is_clean());

    let alone = Arrears::open_with(&alone_path, options()).unwrap();
    let report = alone.run_cycle_with(as_of, one_debtor).unwrap();
    assert_eq!(report.reviewed, accounts.len() as u64);
    assert_eq!(a.actions + b.actions, report.actions);
    assert_eq!(second.actions().unwrap(), alone.actions().unwrap());
    for &account in &accounts {
        assert_eq!(first.case(account).unwrap(), alone.case(account).unwrap(), "{account}");
    }
}

/// 12 CFR 1006.30(a)(1)(ii): a message allows a credit report once it was sent and 14 days
/// passed with no notice that it was undeliverable. The guardrails count a message still in
/// the outbox against every cap, but it was not sent: it is no notice, however long it waits.
/// Reported sent (`MarkSent`), it is one from the instant it was sent.
#[test]
fn reg_f_1006_30_a_a_message_still_in_the_outbox_is_no_notice_before_a_credit_report() {
    use arrears::compliance::{self, ActionKind, ChannelGroup, Outcome as Heard, Recipient};
    let (_dir, books) = open_temp();
    let debtor = person(&books, "nia");
    let account = loan(&books, debtor, "L-N", ProductKind::Installment);
    charge(&books, "inst", account, d(1, 1), d(1, 10), 10_000);
    let mut message = None;
    for day in 1..=40 {
        books.run_cycle(d(1, 1) + chrono::Days::new(day)).unwrap();
        let pending = books.pending_actions(1_000).unwrap();
        message = pending.into_iter().find(|action| action.channel != ContactChannel::Phone);
        if message.is_some() {
            break;
        }
    }
    let message = message.expect("the standard policy sends a message within 40 days");
    let inputs = books.guardrail_inputs(debtor, &[account]).unwrap();
    let queued = inputs.history.iter().find(|entry| entry.at == message.scheduled_at).unwrap();
    assert_eq!(queued.outcome, Heard::Pending);
    let debts = vec![account.to_string()];
    let zones = vec!["America/Chicago".to_owned()];
    let report_at = |at| compliance::Proposal {
        person: debtor.0,
        debts: &debts,
        action: ActionKind::CreditReport,
        channel: ChannelGroup::Letter,
        recipient: Recipient::Consumer,
        address: None,
        address_kind: ContactPointKind::Personal,
        address_consent: true,
        at,
        time_zones: &zones,
    };
    // Furnishing is a debt collector's rule (Regulation F): the packs of a collection agency.
    let texas = Jurisdiction { country: "US".into(), region: Some("TX".into()) };
    let packs = compliance::packs_for(&texas, arrears::policy::Creditor::ThirdParty);
    let later = message.scheduled_at + chrono::Duration::days(20);
    let decision = compliance::evaluate(&packs, &report_at(later), &inputs.history, &inputs.flags);
    assert!(!decision.allowed, "{decision:?}");
    assert_eq!(decision.rule.as_deref(), Some("us-federal.credit-report-precondition"));
    // Reported sent: a notice from then.
    let sent = Command::MarkSent { action: message.id, at: message.scheduled_at };
    books.execute("sent", &sent).unwrap().accepted().unwrap();
    let inputs = books.guardrail_inputs(debtor, &[account]).unwrap();
    let decision = compliance::evaluate(&packs, &report_at(later), &inputs.history, &inputs.flags);
    assert!(decision.allowed, "{decision:?}");
}
