//! Cases a checker would build from the documented contract (docs/LEDGER.md,
//! docs/COLLECTIONS.md, docs/STATE_MACHINE.md, docs/POLICY.md) rather than from the code:
//! the allocation waterfall, unapplied cash, reversals that undo a cure, interest across a
//! back-dated payment, promises kept and broken at the grace boundary, plan affordability at
//! the threshold, missed installments, disputes holding cash, settlements, charge-off and
//! recoveries, placement by policy, and the state machine's refusals.
//!
//! Each test names the document line it checks and asserts what the document promises, under
//! the built-in standard policy (examples/policies/standard.toml) unless it says otherwise.

use arrears::collection::{CollectionState, RefusalReason};
use arrears::ids::{AccountId, ObligationId};
use arrears::ledger::{Book, ReversalReason};
use arrears::model::{
    Component, DayCount, InterestBase, InterestTerms, LateFeeRule, ObligationKind, ProductKind,
    Terms, Waterfall,
};
use arrears::money::{Currency, RoundingRule};
use arrears::plan::{Frequency, Unaffordable};
use arrears::{
    Arrears, Command, NewAccount, NewCharge, NewPlan, Outcome, PolicyRefusal, Posted, PromiseLine,
    Rejection,
};
use chrono::NaiveDate;

use crate::support::*;

fn open(books: &Arrears, reference: &str, product: ProductKind, terms: Terms) -> AccountId {
    let debtor = debtor(books, &format!("D-{reference}"));
    let command = Command::OpenAccount(NewAccount {
        external_ref: Some(reference.to_owned()),
        debtor,
        product,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: d(1, 1),
        terms,
    });
    match books.execute(&format!("account:{reference}"), &command).unwrap().outcome {
        Outcome::AccountOpened(id) => id,
        other => panic!("account not opened: {other:?}"),
    }
}

/// A charge with every component.
fn charge_parts(
    books: &Arrears,
    key: &str,
    account: AccountId,
    due_on: NaiveDate,
    [principal, interest, fee]: [i64; 3],
) -> ObligationId {
    let command = Command::Charge(NewCharge {
        account,
        external_ref: None,
        kind: ObligationKind::Invoice,
        issued_on: d(1, 1),
        due_on,
        principal: usd(principal),
        interest: usd(interest),
        fee: usd(fee),
    });
    posted(books.execute(key, &command).unwrap().outcome).obligation.unwrap()
}

/// What a posting list credits to the receivable, by (obligation, component), as positive
/// amounts, in posting order.
fn settled(posted: &Posted) -> Vec<(ObligationId, Component, i64)> {
    posted
        .postings
        .iter()
        .filter(|p| p.book == Book::Receivable && p.amount_minor < 0)
        .map(|p| (p.obligation.unwrap(), p.component.unwrap(), -p.amount_minor))
        .collect()
}

fn settled_on(posted: &Posted, obligation: ObligationId, component: Component) -> i64 {
    settled(posted)
        .iter()
        .filter(|(o, c, _)| *o == obligation && *c == component)
        .map(|(_, _, amount)| amount)
        .sum()
}

fn state(books: &Arrears, account: AccountId) -> CollectionState {
    books.case(account).unwrap().state
}

fn view(books: &Arrears, account: AccountId, on: NaiveDate) -> arrears::AccountView {
    books.account_view(account, on).unwrap()
}

fn book(books: &Arrears, account: AccountId, on: NaiveDate, which: Book) -> i64 {
    view(books, account, on).books_minor.get(&which).copied().unwrap_or(0)
}

fn ok(books: &Arrears, key: &str, command: &Command) -> Outcome {
    let outcome = books.execute(key, command).unwrap().outcome;
    assert!(!outcome.is_rejected(), "{key}: {outcome:?}");
    outcome
}

fn clean(books: &Arrears) {
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

/// Runs the daily cycle on every day from `from` through `to`, as a scheduler would.
fn daily(books: &Arrears, from: NaiveDate, to: NaiveDate) {
    let mut day = from;
    while day <= to {
        assert!(books.run_cycle(day).unwrap().complete);
        day = day.succ_opt().unwrap();
    }
}

fn payment(account: AccountId, on: NaiveDate, amount: i64) -> Command {
    Command::Payment { account, effective_on: on, amount: usd(amount), directed_to: None }
}

// --- Allocation -------------------------------------------------------------------------------

/// docs/LEDGER.md, "Allocation waterfall": "Obligations are taken oldest due date first ...
/// `fees_interest_principal` (default): obligation by obligation; within each, fees, then
/// interest, then principal."
#[test]
fn a_payment_settles_the_oldest_obligation_fees_then_interest_then_principal() {
    let (_dir, books) = open_temp();
    let account = open(&books, "W1", ProductKind::TradeCredit, Terms::default());
    // The newer obligation is recorded first: order is by due date, not by recording.
    let newer = charge_parts(&books, "c2", account, d(2, 28), [10_000, 1_000, 500]);
    let older = charge_parts(&books, "c1", account, d(1, 31), [10_000, 1_000, 500]);
    let paid = pay(&books, "p1", account, d(3, 5), 12_000);
    assert_eq!(settled_on(&paid, older, Component::Fee), 500);
    assert_eq!(settled_on(&paid, older, Component::Interest), 1_000);
    assert_eq!(settled_on(&paid, older, Component::Principal), 10_000);
    assert_eq!(settled_on(&paid, newer, Component::Fee), 500);
    assert_eq!(settled_on(&paid, newer, Component::Interest), 0);
    assert_eq!(settled_on(&paid, newer, Component::Principal), 0);
    // Every leg names the payment: the trace of where each cent went.
    let event = paid.event;
    assert!(paid
        .postings
        .iter()
        .filter(|p| p.book == Book::Receivable)
        .all(|p| p.source == Some(event)));
    assert_eq!(view(&books, account, d(3, 5)).outstanding_minor, [10_000, 1_000, 0]);
    clean(&books);
}

/// docs/LEDGER.md, "Allocation waterfall": "`principal_first`: all principal (oldest first),
/// then all interest, then all fees."
#[test]
fn principal_first_takes_every_principal_before_any_interest_or_fee() {
    let (_dir, books) = open_temp();
    let terms = Terms { waterfall: Waterfall::PrincipalFirst, ..Terms::default() };
    let account = open(&books, "W2", ProductKind::TradeCredit, terms);
    let older = charge_parts(&books, "c1", account, d(1, 31), [10_000, 1_000, 500]);
    let newer = charge_parts(&books, "c2", account, d(2, 28), [10_000, 1_000, 500]);
    let paid = pay(&books, "p1", account, d(3, 5), 21_500);
    assert_eq!(settled_on(&paid, older, Component::Principal), 10_000);
    assert_eq!(settled_on(&paid, newer, Component::Principal), 10_000);
    assert_eq!(settled_on(&paid, older, Component::Interest), 1_000);
    assert_eq!(settled_on(&paid, newer, Component::Interest), 500);
    assert_eq!(settled_on(&paid, older, Component::Fee), 0);
    assert_eq!(settled_on(&paid, newer, Component::Fee), 0);
    clean(&books);
}

/// docs/LEDGER.md, "Allocation waterfall": "A customer-directed payment first settles the
/// obligation it names (even if disputed), then the rest as usual."
#[test]
fn a_directed_payment_settles_its_obligation_first_even_if_disputed() {
    let (_dir, books) = open_temp();
    let account = open(&books, "W3", ProductKind::TradeCredit, Terms::default());
    let older = charge_parts(&books, "c1", account, d(1, 31), [10_000, 0, 0]);
    let newer = charge_parts(&books, "c2", account, d(2, 28), [10_000, 1_000, 500]);
    let dispute =
        Command::Dispute { account, obligation: newer, disputed: true, effective_on: d(3, 1) };
    ok(&books, "dispute", &dispute);
    let directed = Command::Payment {
        account,
        effective_on: d(3, 5),
        amount: usd(12_000),
        directed_to: Some(newer),
    };
    let paid = posted(ok(&books, "p1", &directed));
    assert_eq!(settled_on(&paid, newer, Component::Fee), 500);
    assert_eq!(settled_on(&paid, newer, Component::Interest), 1_000);
    assert_eq!(settled_on(&paid, newer, Component::Principal), 10_000);
    assert_eq!(settled_on(&paid, older, Component::Principal), 500);
    clean(&books);
}

/// docs/LEDGER.md, "Allocation waterfall": "Payments settle obligations that are not yet due
/// too (after every older one)"; "What is left after every open obligation is settled goes to
/// unapplied cash ... When an obligation is created ... unapplied cash is applied to it".
#[test]
fn a_prepayment_settles_what_is_not_yet_due_and_the_excess_waits_for_the_next_charge() {
    let (_dir, books) = open_temp();
    let account = open(&books, "W4", ProductKind::TradeCredit, Terms::default());
    let first = charge_parts(&books, "c1", account, d(1, 31), [10_000, 0, 0]);
    let second = charge_parts(&books, "c2", account, d(3, 1), [10_000, 0, 0]);
    let paid = pay(&books, "p1", account, d(1, 15), 25_000);
    assert_eq!(settled_on(&paid, first, Component::Principal), 10_000);
    assert_eq!(settled_on(&paid, second, Component::Principal), 10_000);
    let unapplied: i64 = paid
        .postings
        .iter()
        .filter(|p| p.book == Book::UnappliedCash)
        .map(|p| p.amount_minor)
        .sum();
    assert_eq!(unapplied, -5_000);
    assert_eq!(view(&books, account, d(1, 15)).unapplied_minor, 5_000);
    // A new charge takes the unapplied cash at once, traced to the payment.
    let third = charge(&books, "c3", account, d(2, 1), d(3, 31), 3_000);
    let on = d(2, 1);
    let now = view(&books, account, on);
    assert_eq!(now.unapplied_minor, 2_000);
    assert_eq!(now.total_outstanding_minor, 0);
    let applied = books
        .ledger(account)
        .unwrap()
        .into_iter()
        .flat_map(|entry| entry.postings)
        .filter(|p| p.book == Book::Receivable && p.obligation == Some(third) && p.amount_minor < 0)
        .map(|p| (p.source, p.amount_minor))
        .collect::<Vec<_>>();
    assert_eq!(applied, vec![(Some(paid.event), -3_000)]);
    clean(&books);
}

// --- Reversals and back-dating ----------------------------------------------------------------

/// docs/STATE_MACHINE.md, `delinquent`: "a payment in full cures the account to `current` (or
/// `paid`)"; `paid`: "a new charge or a returned payment makes the account `delinquent` (or
/// `charged_off`) again"; docs/LEDGER.md: a reversal "re-opens" what the payment settled.
#[test]
fn a_returned_payment_that_had_cured_the_account_makes_it_delinquent_again() {
    let (_dir, books) = open_temp();
    for (reference, product, cured) in [
        ("R-INST", ProductKind::Installment, CollectionState::Paid),
        ("R-REV", ProductKind::Revolving, CollectionState::Current),
    ] {
        let account = open(&books, reference, product, Terms::default());
        charge(&books, &format!("{reference}:c"), account, d(1, 1), d(1, 31), 50_000);
        books.run_cycle(d(2, 10)).unwrap();
        assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
        let paid = pay(&books, &format!("{reference}:p"), account, d(2, 11), 50_000);
        assert_eq!(state(&books, account), cured, "{reference}");
        let reverse = Command::Reversal {
            account,
            payment: paid.event,
            effective_on: d(2, 13),
            reason: ReversalReason::Returned,
        };
        ok(&books, &format!("{reference}:r"), &reverse);
        assert!(
            matches!(state(&books, account), CollectionState::Delinquent { stage } if stage >= 1),
            "{reference}: {:?}",
            state(&books, account)
        );
        let now = view(&books, account, d(2, 13));
        assert_eq!(now.total_outstanding_minor, 50_000);
        assert_eq!(now.aging.days_past_due, 13);
    }
    clean(&books);
}

/// docs/LEDGER.md, "Interest": "Interest accrues daily on each day's closing balance ... A
/// back-dated payment inside an accrued period lowers that accrual's interest through a
/// correction entry." 36.5% a year on actual/365 is 0.1% a day.
#[test]
fn a_back_dated_payment_inside_an_accrued_period_lowers_the_interest() {
    let (_dir, books) = open_temp();
    let terms = Terms {
        interest: Some(InterestTerms {
            annual_rate: "0.365".parse().unwrap(),
            day_count: DayCount::Actual365,
            base: InterestBase::OutstandingPrincipal,
            rounding: RoundingRule::HalfEven,
        }),
        ..Terms::default()
    };
    let account = open(&books, "I1", ProductKind::Revolving, terms);
    charge(&books, "c", account, d(1, 1), d(2, 15), 100_000);
    let accrue = Command::AccrueInterest { account, through_on: d(1, 31), due_on: d(2, 15) };
    ok(&books, "accrue", &accrue);
    // 31 days (Jan 1 to Jan 31) at 1,000.00: 31.00.
    assert_eq!(view(&books, account, d(1, 31)).outstanding_minor, [100_000, 3_100, 0]);
    // A payment of 500.00 on Jan 16, recorded afterwards: 15 days at 1,000.00 and 16 at 500.00.
    let paid = pay(&books, "p", account, d(1, 16), 50_000);
    assert!(!paid.corrections.is_empty(), "the accrual is corrected");
    assert_eq!(view(&books, account, d(1, 31)).outstanding_minor, [50_000, 2_300, 0]);
    assert_eq!(book(&books, account, d(1, 31), Book::InterestIncome), -2_300);
    // As of the day before the payment, the books stood as they did then.
    assert_eq!(view(&books, account, d(1, 15)).total_outstanding_minor, 100_000);
    clean(&books);
}

/// docs/LEDGER.md, "Charge-off and recoveries": "payments after charge-off settle them through
/// the same waterfall, crediting `recoveries` instead of `receivable`"; "Effective dates and
/// back-dating": a back-dated event restates what every later event derives, so a payment
/// dated before the charge-off lowers what the charge-off wrote off.
#[test]
fn a_payment_back_dated_before_the_charge_off_lowers_the_bad_debt_not_the_recoveries() {
    let (_dir, books) = open_temp();
    let account = open(&books, "B1", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 50_000);
    // 120 days past due on May 31 (closed-end): the cycle charges it off.
    books.run_cycle(d(5, 31)).unwrap();
    assert_eq!(view(&books, account, d(5, 31)).charged_off_on, Some(d(5, 31)));
    assert_eq!(book(&books, account, d(5, 31), Book::BadDebt), 50_000);
    // A recovery after the charge-off.
    pay(&books, "recovery", account, d(6, 10), 5_000);
    assert_eq!(book(&books, account, d(6, 10), Book::Recoveries), -5_000);
    assert_eq!(book(&books, account, d(6, 10), Book::Receivable), 0);
    // A payment dated May 1, recorded now: it settled the receivable before the charge-off.
    pay(&books, "late-news", account, d(5, 1), 10_000);
    let after = view(&books, account, d(6, 10));
    assert_eq!(after.books_minor.get(&Book::BadDebt).copied(), Some(40_000));
    assert_eq!(after.books_minor.get(&Book::Recoveries).copied(), Some(-5_000));
    assert_eq!(after.total_outstanding_minor, 35_000);
    assert_eq!(view(&books, account, d(5, 15)).total_outstanding_minor, 40_000);
    clean(&books);
}

// --- Promises ---------------------------------------------------------------------------------

fn promised_account(books: &Arrears, reference: &str) -> AccountId {
    let account = open(books, reference, ProductKind::Installment, Terms::default());
    charge(books, &format!("{reference}:c"), account, d(1, 1), d(1, 31), 100_000);
    books.run_cycle(d(2, 8)).unwrap();
    let promise = Command::Promise {
        account,
        made_on: d(2, 8),
        payments: vec![PromiseLine { on: d(2, 12), amount: usd(30_000) }],
    };
    ok(books, &format!("{reference}:promise"), &promise);
    assert_eq!(state(books, account), CollectionState::Promised);
    account
}

/// docs/COLLECTIONS.md, `Promise`: "kept when payments made after `made_on` cover each dated
/// amount by its date plus `promise.grace_days` ... (a partial payment counts toward the
/// earliest amounts ...)"; POLICY.md `grace_days` = 2 in the standard policy.
#[test]
fn a_promise_paid_in_two_parts_by_the_end_of_grace_is_kept() {
    let (_dir, books) = open_temp();
    let account = promised_account(&books, "PK");
    pay(&books, "p1", account, d(2, 12), 10_000);
    assert_eq!(state(&books, account), CollectionState::Promised, "a part keeps it open");
    pay(&books, "p2", account, d(2, 14), 20_000);
    let case = books.case(account).unwrap();
    assert!(matches!(case.state, CollectionState::Delinquent { .. }), "{:?}", case.state);
    assert_eq!((case.kept_promises, case.broken_promises), (1, 0));
    assert!(case.promise.is_none());
    books.run_cycle(d(2, 15)).unwrap();
    assert_eq!(books.case(account).unwrap().broken_promises, 0);
    clean(&books);
}

/// docs/COLLECTIONS.md, `Promise`: "broken otherwise (... a shortfall past grace breaks the
/// promise even if made up later)"; POLICY.md: "Broken 2 days after the promised date if
/// unpaid."
#[test]
fn a_promise_short_by_a_cent_breaks_the_day_after_grace_and_stays_broken() {
    let (_dir, books) = open_temp();
    let account = promised_account(&books, "PB");
    pay(&books, "p1", account, d(2, 12), 29_999);
    daily(&books, d(2, 9), d(2, 14));
    assert_eq!(state(&books, account), CollectionState::Promised, "still within grace");
    daily(&books, d(2, 15), d(2, 15));
    let case = books.case(account).unwrap();
    assert!(matches!(case.state, CollectionState::Delinquent { .. }), "{:?}", case.state);
    assert_eq!((case.kept_promises, case.broken_promises), (0, 1));
    pay(&books, "p2", account, d(2, 15), 1);
    let case = books.case(account).unwrap();
    assert_eq!((case.kept_promises, case.broken_promises), (0, 1));
    clean(&books);
}

/// docs/POLICY.md, `[promise]`: `max_days_out` "Latest promised date, in days after the day the
/// promise is made" (14); `min_share` "Smallest promised amount, as a share of the past-due
/// amount" (0.25).
#[test]
fn a_promise_at_the_limits_is_taken_and_one_past_them_refused() {
    let (_dir, books) = open_temp();
    let account = open(&books, "PL", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 100_001);
    let promise = |on: NaiveDate, amount: i64| Command::Promise {
        account,
        made_on: d(2, 8),
        payments: vec![PromiseLine { on, amount: usd(amount) }],
    };
    // 25% of 1,000.01 is 250.0025: 250.00 is below it.
    for (key, command) in [("far", promise(d(2, 23), 25_001)), ("small", promise(d(2, 22), 25_000))]
    {
        let outcome = books.execute(key, &command).unwrap().outcome;
        assert!(
            matches!(outcome, Outcome::Rejected(Rejection::Policy(PolicyRefusal::Promise(_)))),
            "{key}: {outcome:?}"
        );
    }
    ok(&books, "limits", &promise(d(2, 22), 25_001));
    assert_eq!(state(&books, account), CollectionState::Promised);
}

// --- Plans ------------------------------------------------------------------------------------

fn plan_command(
    account: AccountId,
    installments: u32,
    frequency: Frequency,
    income: i64,
    expenses: i64,
) -> Command {
    Command::CreatePlan(NewPlan {
        account,
        created_on: d(2, 10),
        installments,
        frequency,
        first_due: d(3, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(income),
        monthly_expenses: usd(expenses),
    })
}

/// docs/POLICY.md, `[plan]` `affordable_share` ("0.40"): "Share of stated monthly income minus
/// expenses that the installment's monthly equivalent may take ... The monthly equivalent is
/// the installment times 52/12 (weekly)". 3,000.00 - 1,800.00 = 1,200.00; 40% is 480.00.
#[test]
fn a_plan_at_exactly_the_affordable_share_is_taken_and_a_cent_more_refused() {
    let (_dir, books) = open_temp();
    let cases = [
        // (reference, balance, installments, frequency, accepted)
        ("AF-M-EQ", 96_000, 2, Frequency::Monthly, true),
        ("AF-M-UP", 96_002, 2, Frequency::Monthly, false),
        // 110.76 a week is 479.96 a month; 110.77 is 480.0033, above 480.00.
        ("AF-W-EQ", 44_304, 4, Frequency::Weekly, true),
        ("AF-W-UP", 44_308, 4, Frequency::Weekly, false),
    ];
    for (reference, balance, installments, frequency, accepted) in cases {
        let account = open(&books, reference, ProductKind::Installment, Terms::default());
        charge(&books, &format!("{reference}:c"), account, d(1, 1), d(1, 31), balance);
        let command = plan_command(account, installments, frequency, 300_000, 180_000);
        let outcome = books.execute(&format!("{reference}:plan"), &command).unwrap().outcome;
        if accepted {
            assert!(!outcome.is_rejected(), "{reference}: {outcome:?}");
            assert_eq!(state(&books, account), CollectionState::InPlan);
        } else {
            assert!(
                matches!(
                    &outcome,
                    Outcome::Rejected(Rejection::Policy(PolicyRefusal::PlanUnaffordable(
                        Unaffordable::AboveAffordableShare { affordable_minor: 48_000, .. }
                    )))
                ),
                "{reference}: {outcome:?}"
            );
        }
    }
    clean(&books);
}

/// docs/COLLECTIONS.md, "The cycle" step 1: "plan installments missed (`installment_missed`,
/// once per newly missed installment after the account's grace days), plan defaulted after
/// `plan.default_after_missed`" (2 in the standard policy); STATE_MACHINE.md `in_plan`:
/// "`plan_defaulted` ... go[es] to the derived state".
#[test]
fn a_plan_defaults_on_the_second_missed_installment_after_grace() {
    let (_dir, books) = open_temp();
    let terms = Terms { grace_days: 5, ..Terms::default() };
    let account = open(&books, "PD", ProductKind::Installment, terms);
    charge(&books, "c", account, d(1, 1), d(1, 31), 40_000);
    ok(&books, "plan", &plan_command(account, 4, Frequency::Monthly, 300_000, 180_000));
    // March 1 plus 5 grace days: not missed through March 6.
    daily(&books, d(2, 11), d(3, 6));
    assert_eq!(books.case(account).unwrap().plan.as_ref().unwrap().missed, 0);
    daily(&books, d(3, 7), d(3, 7));
    let case = books.case(account).unwrap();
    assert_eq!(case.state, CollectionState::InPlan);
    assert_eq!(case.plan.as_ref().unwrap().missed, 1);
    daily(&books, d(3, 8), d(4, 6));
    assert_eq!(state(&books, account), CollectionState::InPlan);
    daily(&books, d(4, 7), d(4, 7));
    let case = books.case(account).unwrap();
    assert!(matches!(case.state, CollectionState::Delinquent { .. }), "{:?}", case.state);
    assert!(case.plan.is_none());
    let events: Vec<String> = books
        .audit_log(Some(account))
        .unwrap()
        .into_iter()
        .filter_map(|record| match record.kind {
            arrears::case::AuditKind::Transition { event, .. } => Some(event),
            _ => None,
        })
        .collect();
    assert!(events.iter().any(|event| event == "plan_defaulted"), "{events:?}");
    clean(&books);
}

// --- Disputes ---------------------------------------------------------------------------------

/// docs/LEDGER.md, events: `dispute` "the obligation is skipped by allocation while disputed,
/// and gets unapplied cash when resolved"; STATE_MACHINE.md, context: days past due are "of
/// the oldest undisputed unpaid obligation".
#[test]
fn cash_paid_during_a_dispute_waits_and_is_applied_when_it_is_resolved() {
    let (_dir, books) = open_temp();
    let account = open(&books, "DS", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 40_000);
    books.run_cycle(d(2, 10)).unwrap();
    ok(&books, "open", &Command::OpenDispute { account, obligations: Vec::new(), on: d(2, 10) });
    assert_eq!(state(&books, account), CollectionState::Disputed);
    assert_eq!(view(&books, account, d(2, 11)).aging.days_past_due, 0);
    pay(&books, "p", account, d(2, 11), 15_000);
    let during = view(&books, account, d(2, 11));
    assert_eq!((during.unapplied_minor, during.total_outstanding_minor), (15_000, 40_000));
    assert_eq!(state(&books, account), CollectionState::Disputed);
    ok(&books, "resolve", &Command::ResolveDispute { account, on: d(2, 12) });
    let after = view(&books, account, d(2, 12));
    assert_eq!((after.unapplied_minor, after.total_outstanding_minor), (0, 25_000));
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
    clean(&books);
}

// --- Settlements ------------------------------------------------------------------------------

fn late_account(books: &Arrears, reference: &str) -> AccountId {
    let account = open(books, reference, ProductKind::Installment, Terms::default());
    charge(books, &format!("{reference}:c"), account, d(1, 1), d(1, 31), 100_000);
    books.run_cycle(d(4, 15)).unwrap();
    assert_eq!(books.case(account).unwrap().stage.as_deref(), Some("late"));
    account
}

/// docs/POLICY.md, `[settlement]` `min_share` "Smallest settlement, as a share of the balance"
/// (late = 0.70); docs/COLLECTIONS.md: "completion when payments from the offer date to expiry
/// reach the amount: the rest is written off and the case is `settled`".
#[test]
fn a_settlement_at_the_minimum_share_paid_before_acceptance_completes_when_accepted() {
    let (_dir, books) = open_temp();
    let account = late_account(&books, "ST");
    let offer = |amount: i64| Command::OfferSettlement {
        account,
        offered_on: d(4, 16),
        amount: usd(amount),
    };
    let below = books.execute("low", &offer(69_999)).unwrap().outcome;
    assert!(
        matches!(
            below,
            Outcome::Rejected(Rejection::Policy(PolicyRefusal::SettlementShare { .. }))
        ),
        "{below:?}"
    );
    ok(&books, "offer", &offer(70_000));
    pay(&books, "p", account, d(4, 17), 70_000);
    ok(&books, "accept", &Command::AcceptSettlement { account, accepted_on: d(4, 18) });
    assert_eq!(state(&books, account), CollectionState::Settled);
    let after = view(&books, account, d(4, 18));
    assert_eq!(after.total_outstanding_minor, 0);
    assert_eq!(after.books_minor.get(&Book::Waivers).copied(), Some(30_000));
    clean(&books);
}

/// docs/COLLECTIONS.md: completion needs "payments from the offer date to expiry"
/// (`offer_expiry_days` = 30); a payment after expiry completes nothing.
#[test]
fn a_settlement_paid_after_its_expiry_is_not_completed() {
    let (_dir, books) = open_temp();
    let account = late_account(&books, "SX");
    let offer = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(75_000) };
    ok(&books, "offer", &offer);
    ok(&books, "accept", &Command::AcceptSettlement { account, accepted_on: d(4, 17) });
    pay(&books, "p1", account, d(5, 10), 40_000);
    pay(&books, "p2", account, d(5, 17), 35_000);
    assert_ne!(state(&books, account), CollectionState::Settled);
    assert_eq!(view(&books, account, d(5, 17)).total_outstanding_minor, 25_000);
    clean(&books);
}

/// docs/STATE_MACHINE.md, `settled`: "a reversal (the settlement payment was returned) voids
/// the settlement and goes to the derived state"; docs/LEDGER.md, `reversal`: "Dr everything
/// the payment settled (re-opening it)", and `write_off_reversed`: what the settlement's
/// write-off forgave is owed again. The debtor owes what was owed before the settlement.
#[test]
fn a_returned_settlement_payment_voids_the_settlement_and_its_write_off() {
    let (_dir, books) = open_temp();
    let account = late_account(&books, "SR");
    let owed = view(&books, account, d(4, 16)).total_outstanding_minor;
    let offer = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(75_000) };
    ok(&books, "offer", &offer);
    ok(&books, "accept", &Command::AcceptSettlement { account, accepted_on: d(4, 17) });
    let paid = pay(&books, "p", account, d(4, 20), 75_000);
    assert_eq!(state(&books, account), CollectionState::Settled);
    assert_eq!(book(&books, account, d(4, 20), Book::Waivers), owed - 75_000);
    let reverse = Command::Reversal {
        account,
        payment: paid.event,
        effective_on: d(4, 24),
        reason: ReversalReason::Returned,
    };
    ok(&books, "returned", &reverse);
    assert!(
        matches!(state(&books, account), CollectionState::Delinquent { .. }),
        "{:?}",
        state(&books, account)
    );
    assert!(books.case(account).unwrap().settlement.is_none());
    let after = view(&books, account, d(4, 24));
    assert_eq!(after.total_outstanding_minor, owed);
    assert_eq!(after.books_minor.get(&Book::Waivers).copied().unwrap_or(0), 0);
    assert_eq!(after.books_minor.get(&Book::Receivable).copied(), Some(owed));
    // The write-off's reversal is an event of the returned payment's command, after it.
    let history = books.events(account).unwrap();
    let kinds: Vec<&str> = history.iter().map(|record| record.event.kind.name()).collect();
    assert_eq!(kinds[kinds.len() - 3..], ["write_off_remainder", "reversal", "write_off_reversed"]);
    // A replay of the key changes nothing; the books verify.
    let again = books.execute("returned", &reverse).unwrap();
    assert!(again.replayed);
    assert_eq!(view(&books, account, d(4, 24)).total_outstanding_minor, owed);
    // The next review puts the account back in its stage, by what it owes and since when.
    books.run_cycle(d(4, 25)).unwrap();
    assert_eq!(books.case(account).unwrap().stage.as_deref(), Some("late"));
    clean(&books);
}

/// The write-off's reversal owes again what the replay finds the write-off forgave: a payment
/// recorded after the settlement was voided, dated before its completion (a bank statement read
/// late), is not owed twice.
#[test]
fn a_payment_dated_before_a_voided_settlement_lowers_what_is_owed_again() {
    let (_dir, books) = open_temp();
    let account = late_account(&books, "SB");
    let owed = view(&books, account, d(4, 16)).total_outstanding_minor;
    let offer = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(75_000) };
    ok(&books, "offer", &offer);
    ok(&books, "accept", &Command::AcceptSettlement { account, accepted_on: d(4, 17) });
    let paid = pay(&books, "p", account, d(4, 20), 75_000);
    let reverse = Command::Reversal {
        account,
        payment: paid.event,
        effective_on: d(4, 24),
        reason: ReversalReason::Returned,
    };
    ok(&books, "returned", &reverse);
    pay(&books, "late-statement", account, d(4, 18), 10_000);
    let after = view(&books, account, d(4, 24));
    assert_eq!(after.total_outstanding_minor, owed - 10_000);
    assert_eq!(after.books_minor.get(&Book::Waivers).copied().unwrap_or(0), 0);
    clean(&books);
}

/// A settlement completed again after a voided one writes off again, and a second return voids
/// that write-off, not the first (which is reversed already).
#[test]
fn a_second_settlement_after_a_voided_one_is_written_off_and_voided_on_its_own() {
    let (_dir, books) = open_temp();
    let account = late_account(&books, "S2");
    let owed = view(&books, account, d(4, 16)).total_outstanding_minor;
    let settle = |tag: &str, on: NaiveDate| {
        books.run_cycle(on).unwrap();
        let offer = Command::OfferSettlement { account, offered_on: on, amount: usd(75_000) };
        ok(&books, &format!("{tag}-offer"), &offer);
        let accept = Command::AcceptSettlement { account, accepted_on: on };
        ok(&books, &format!("{tag}-accept"), &accept);
        let paid = pay(&books, &format!("{tag}-pay"), account, on, 75_000);
        assert_eq!(state(&books, account), CollectionState::Settled);
        paid
    };
    let returned = |tag: &str, paid: &Posted, on: NaiveDate| {
        let reverse = Command::Reversal {
            account,
            payment: paid.event,
            effective_on: on,
            reason: ReversalReason::Returned,
        };
        ok(&books, &format!("{tag}-returned"), &reverse);
        assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
        assert_eq!(view(&books, account, on).total_outstanding_minor, owed);
    };
    let first = settle("one", d(4, 20));
    returned("one", &first, d(4, 24));
    let second = settle("two", d(5, 4));
    assert_eq!(book(&books, account, d(5, 4), Book::Waivers), owed - 75_000);
    returned("two", &second, d(5, 8));
    assert_eq!(book(&books, account, d(5, 8), Book::Waivers), 0);
    clean(&books);
}

/// docs/LEDGER.md, `apply_unapplied`: a returned payment re-opens what it settled; a credit
/// the debtor held (a later payment's excess, unapplied cash) pays it at once, as it would have
/// paid a new charge, so the account is not past due for money the debtor has on it.
#[test]
fn a_credit_the_debtor_holds_pays_what_a_returned_payment_re_opened() {
    let (_dir, books) = open_temp();
    let account = open(&books, "RC", ProductKind::Installment, Terms::default());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let first = pay(&books, "p1", account, d(1, 20), 10_000);
    pay(&books, "p2", account, d(1, 25), 12_000);
    assert_eq!(view(&books, account, d(1, 25)).unapplied_minor, 12_000);
    let reverse = Command::Reversal {
        account,
        payment: first.event,
        effective_on: d(2, 3),
        reason: ReversalReason::Returned,
    };
    ok(&books, "p1-returned", &reverse);
    let after = view(&books, account, d(2, 3));
    assert_eq!(after.total_outstanding_minor, 0, "the credit paid it");
    assert_eq!(after.unapplied_minor, 2_000);
    assert_eq!(after.aging.days_past_due, 0);
    let kinds: Vec<&str> =
        books.events(account).unwrap().iter().map(|record| record.event.kind.name()).collect();
    assert_eq!(kinds[kinds.len() - 2..], ["reversal", "apply_unapplied"]);
    // Without a credit, a returned payment re-opens its debt and applies nothing.
    let plain = open(&books, "RP", ProductKind::Installment, Terms::default());
    charge(&books, "c2", plain, d(1, 1), d(1, 31), 10_000);
    let paid = pay(&books, "p3", plain, d(1, 20), 10_000);
    let reverse = Command::Reversal {
        account: plain,
        payment: paid.event,
        effective_on: d(2, 3),
        reason: ReversalReason::Returned,
    };
    ok(&books, "p3-returned", &reverse);
    assert_eq!(view(&books, plain, d(2, 3)).total_outstanding_minor, 10_000);
    let last = books.events(plain).unwrap().last().unwrap().event.kind.name();
    assert_eq!(last, "reversal");
    assert!(matches!(state(&books, plain), CollectionState::Delinquent { .. }));
    assert_eq!(state(&books, account), CollectionState::Paid);
    clean(&books);
}

/// A payment made after the settlement's completion (an overpayment) did not count toward it:
/// its return leaves the settlement and its write-off standing (found by review).
#[test]
fn returning_an_overpayment_after_a_settlement_keeps_the_write_off() {
    let (_dir, books) = open_temp();
    let account = late_account(&books, "RVS");
    let owed = view(&books, account, d(4, 16)).total_outstanding_minor;
    let offer = Command::OfferSettlement { account, offered_on: d(4, 16), amount: usd(75_000) };
    ok(&books, "offer", &offer);
    ok(&books, "accept", &Command::AcceptSettlement { account, accepted_on: d(4, 17) });
    pay(&books, "p", account, d(4, 20), 75_000);
    assert_eq!(state(&books, account), CollectionState::Settled);
    let extra = pay(&books, "extra", account, d(4, 21), 5_000);
    assert_eq!(view(&books, account, d(4, 21)).unapplied_minor, 5_000);
    let reverse = Command::Reversal {
        account,
        payment: extra.event,
        effective_on: d(4, 24),
        reason: ReversalReason::Returned,
    };
    ok(&books, "extra-returned", &reverse);
    let after = view(&books, account, d(4, 24));
    assert_eq!(after.total_outstanding_minor, 0, "the settlement was paid and stands");
    assert_eq!(after.unapplied_minor, 0);
    assert_eq!(book(&books, account, d(4, 24), Book::Waivers), owed - 75_000);
    assert_eq!(state(&books, account), CollectionState::Settled);
    clean(&books);
}

/// On a charged-off account a fee a back-dated payment shows unearned is waived (a charged-off
/// account takes no withdrawal), as before withdrawals (found by review).
#[test]
fn a_back_dated_payment_takes_an_unearned_fee_back_on_a_charged_off_account() {
    let (_dir, books) = open_temp();
    let account = open(&books, "RCO", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    charge(&books, "c2", account, d(1, 1), d(2, 28), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    assert_eq!(books.case(account).unwrap().late_fee_charges.len(), 1);
    ok(&books, "charge-off", &Command::ChargeOff { account, effective_on: d(2, 10) });
    assert_eq!(view(&books, account, d(2, 10)).total_outstanding_minor, 22_500);
    ok(&books, "p-jan", &payment(account, d(1, 30), 10_000));
    let after = view(&books, account, d(2, 12));
    assert_eq!(after.total_outstanding_minor, 10_000, "only the second installment is owed");
    clean(&books);
}

/// The order in which a return and a payment dated before it are recorded does not matter:
/// the credit the payment left pays what the return re-opened either way (found by review).
#[test]
fn a_back_dated_credit_pays_what_an_earlier_recorded_return_re_opened() {
    let (_dir, books) = open_temp();
    let account = open(&books, "RVC", ProductKind::Installment, Terms::default());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let first = pay(&books, "p1", account, d(1, 20), 10_000);
    let reverse = Command::Reversal {
        account,
        payment: first.event,
        effective_on: d(2, 3),
        reason: ReversalReason::Returned,
    };
    ok(&books, "p1-returned", &reverse);
    pay(&books, "p2", account, d(1, 25), 12_000);
    let after = view(&books, account, d(2, 5));
    assert_eq!(after.total_outstanding_minor, 0, "the credit paid it");
    assert_eq!(after.unapplied_minor, 2_000);
    assert_eq!(after.aging.days_past_due, 0);
    // Dated on the return's day: as of the day before, the debt was paid by the first payment.
    let kinds: Vec<&str> =
        books.events(account).unwrap().iter().map(|record| record.event.kind.name()).collect();
    assert_eq!(kinds[kinds.len() - 1], "apply_unapplied");
    clean(&books);
}

// --- Charge-off, placement --------------------------------------------------------------------

/// docs/POLICY.md, `[charge_off]` `revolving_dpd` (180): "Days past due at which a revolving
/// account is charged off"; STATE_MACHINE.md `charged_off`: "when nothing is owed any more it
/// goes to `paid` (even on a revolving product ...)"; LEDGER.md: payments after charge-off
/// credit `recoveries`.
#[test]
fn a_revolving_account_is_charged_off_at_180_days_and_paid_off_as_recoveries() {
    let (_dir, books) = open_temp();
    let account = open(&books, "CO", ProductKind::Revolving, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 50_000);
    // January 31 plus 179 days is July 29.
    books.run_cycle(d(7, 29)).unwrap();
    assert_eq!(view(&books, account, d(7, 29)).charged_off_on, None);
    books.run_cycle(d(7, 30)).unwrap();
    let off = view(&books, account, d(7, 30));
    assert_eq!(off.charged_off_on, Some(d(7, 30)));
    assert_eq!(off.books_minor.get(&Book::BadDebt).copied(), Some(50_000));
    assert_eq!(off.total_outstanding_minor, 50_000, "still owed by the debtor");
    pay(&books, "p", account, d(8, 3), 50_000);
    let paid = view(&books, account, d(8, 3));
    assert_eq!(paid.books_minor.get(&Book::Recoveries).copied(), Some(-50_000));
    assert_eq!(paid.books_minor.get(&Book::BadDebt).copied(), Some(50_000));
    assert_eq!(paid.total_outstanding_minor, 0);
    assert_eq!(state(&books, account), CollectionState::Paid);
    clean(&books);
}

/// docs/POLICY.md, actions: `place_after_days` "Place the account with an agency this many
/// days after entry" and "Every delay counts days from the day the account entered the stage"
/// (standard `late`: min_dpd 60, place_after_days 30, Northwind Recovery).
#[test]
fn the_policy_places_the_account_thirty_days_after_it_entered_the_late_stage() {
    let (_dir, books) = open_temp();
    let account = open(&books, "PP", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 100_000);
    // January 31 plus 60 days is April 1.
    books.run_cycle(d(4, 1)).unwrap();
    let case = books.case(account).unwrap();
    assert_eq!((case.stage.as_deref(), case.stage_entered_on), (Some("late"), Some(d(4, 1))));
    daily(&books, d(4, 2), d(4, 30));
    assert!(matches!(state(&books, account), CollectionState::Delinquent { .. }));
    daily(&books, d(5, 1), d(5, 1));
    assert_eq!(
        state(&books, account),
        CollectionState::Placed { agency: "Northwind Recovery".into() }
    );
    clean(&books);
}

/// docs/POLICY.md, actions: `place_after_days = 0` places on the day the account enters the
/// stage, although its last review (before the due date) stored it `current`: the review
/// brings the case up to the ledger's state before the stage's placement.
#[test]
fn a_stage_placing_at_once_places_on_the_first_review_in_it() {
    let (_dir, books) = open_temp();
    let standard = include_str!("../../../../examples/policies/standard.toml");
    let text = standard.replacen(
        "late_fee = true\n",
        "late_fee = true\nplace_after_days = 0\nagency = \"Fast Agency\"\n",
        1,
    );
    assert_ne!(text, standard);
    let policy = Command::SetPolicy { file: "fast.toml".into(), text };
    books.execute("policy", &policy).unwrap().accepted().unwrap();
    let account = open(&books, "FAST", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(1, 20)).unwrap();
    assert_eq!(state(&books, account), CollectionState::Current);
    daily(&books, d(1, 21), d(2, 10));
    let case = books.case(account).unwrap();
    assert_eq!(case.state, CollectionState::Placed { agency: "Fast Agency".into() });
    let placed_on = case.placement.as_ref().unwrap().placed_on;
    assert_eq!(case.stage.as_deref(), Some("early"));
    assert_eq!(Some(placed_on), case.stage_entered_on, "placed on the first review in the stage");
    clean(&books);
}

/// docs/POLICY.md, actions: `commission_rate` is the agency's commission on what it recovers
/// for the accounts the policy places; a payment while placed records it, as for a placement by
/// command (docs/LEDGER.md, `commission`).
#[test]
fn a_placement_by_policy_records_the_policy_s_commission() {
    let (_dir, books) = open_temp();
    let standard = include_str!("../../../../examples/policies/standard.toml");
    let text = standard.replacen(
        "agency = \"Northwind Recovery\"\n",
        "agency = \"Northwind Recovery\"\ncommission_rate = \"0.2\"\n",
        1,
    );
    assert_ne!(text, standard);
    let policy = Command::SetPolicy { file: "commission.toml".into(), text };
    books.execute("policy", &policy).unwrap().accepted().unwrap();
    let account = open(&books, "PC", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 100_000);
    books.run_cycle(d(4, 1)).unwrap();
    daily(&books, d(4, 2), d(5, 1));
    let case = books.case(account).unwrap();
    let placement = case.placement.expect("placed by the policy");
    assert_eq!((placement.agency.as_str(), placement.placed_on), ("Northwind Recovery", d(5, 1)));
    assert_eq!(placement.commission_rate, "0.2".parse().unwrap());
    pay(&books, "p", account, d(5, 2), 10_000);
    let view = view(&books, account, d(5, 2));
    assert_eq!(view.books_minor.get(&Book::AgencyCommission).copied(), Some(2_000));
    clean(&books);
}

// --- The state machine's refusals -------------------------------------------------------------

fn refused_with(books: &Arrears, key: &str, command: &Command, reason: RefusalReason) {
    let audit = books.audit_log(None).unwrap().len();
    let outcome = books.execute(key, command).unwrap().outcome;
    assert!(
        matches!(&outcome, Outcome::Rejected(Rejection::State { reason: got, .. }) if *got == reason),
        "{key}: expected {reason:?}, got {outcome:?}"
    );
    assert_eq!(books.audit_log(None).unwrap().len(), audit, "{key}: a refusal writes nothing");
}

/// docs/STATE_MACHINE.md, "Rejection reasons": each refusal names its reason from the fixed
/// vocabulary, and writes nothing (COLLECTIONS.md: "checked completely before it writes
/// anything").
#[test]
fn the_state_machine_refuses_what_the_table_forbids_with_its_reason() {
    let (_dir, books) = open_temp();
    let on = d(2, 10);
    // Owed, not yet due: current.
    let current = open(&books, "SM-C", ProductKind::Installment, Terms::default());
    charge(&books, "c1", current, d(1, 1), d(3, 31), 10_000);
    let place = |account| Command::Place {
        account,
        on,
        agency: "Acme".into(),
        commission_rate: "0.2".parse().unwrap(),
    };
    refused_with(&books, "place-current", &place(current), RefusalReason::NothingPastDue);
    refused_with(
        &books,
        "legal-current",
        &Command::ReferToLegal { account: current, on },
        RefusalReason::NothingPastDue,
    );
    refused_with(
        &books,
        "close-owed",
        &Command::Close { account: current, on },
        RefusalReason::BalanceOutstanding,
    );
    refused_with(
        &books,
        "reopen-open",
        &Command::Reopen { account: current, on },
        RefusalReason::NotClosed,
    );
    refused_with(
        &books,
        "resolve-none",
        &Command::ResolveDispute { account: current, on },
        RefusalReason::NoDispute,
    );
    refused_with(
        &books,
        "hardship-past",
        &Command::GrantHardship { account: current, on, until: d(2, 9) },
        RefusalReason::HardshipInPast,
    );
    // Past due, placed: no promise, no second placement, no hardship.
    let placed = open(&books, "SM-P", ProductKind::Installment, Terms::default());
    charge(&books, "c2", placed, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(on).unwrap();
    ok(&books, "place", &place(placed));
    refused_with(&books, "place-again", &place(placed), RefusalReason::AlreadyPlaced);
    let promise = |account| Command::Promise {
        account,
        made_on: on,
        payments: vec![PromiseLine { on: d(2, 15), amount: usd(10_000) }],
    };
    refused_with(&books, "promise-placed", &promise(placed), RefusalReason::Placed);
    refused_with(
        &books,
        "hardship-placed",
        &Command::GrantHardship { account: placed, on, until: d(3, 1) },
        RefusalReason::Placed,
    );
    // Promised: no legal referral.
    let promised = open(&books, "SM-R", ProductKind::Installment, Terms::default());
    charge(&books, "c3", promised, d(1, 1), d(1, 31), 10_000);
    ok(&books, "promise", &promise(promised));
    refused_with(
        &books,
        "legal-promised",
        &Command::ReferToLegal { account: promised, on },
        RefusalReason::PromiseOpen,
    );
    // Charged off: no hardship, no second charge-off by command either.
    let off = open(&books, "SM-O", ProductKind::Installment, Terms::default());
    charge(&books, "c4", off, d(1, 1), d(1, 31), 10_000);
    ok(&books, "charge-off", &Command::ChargeOff { account: off, effective_on: on });
    assert_eq!(state(&books, off), CollectionState::ChargedOff);
    refused_with(
        &books,
        "hardship-off",
        &Command::GrantHardship { account: off, on, until: d(3, 1) },
        RefusalReason::ChargedOff,
    );
    // Closed-end, paid: nothing to arrange, close, not reopen.
    let paid = open(&books, "SM-D", ProductKind::Installment, Terms::default());
    charge(&books, "c5", paid, d(1, 1), d(1, 31), 10_000);
    pay(&books, "p5", paid, d(2, 1), 10_000);
    assert_eq!(state(&books, paid), CollectionState::Paid);
    refused_with(&books, "promise-paid", &promise(paid), RefusalReason::Paid);
    ok(&books, "close", &Command::Close { account: paid, on });
    refused_with(
        &books,
        "reopen-closed-end",
        &Command::Reopen { account: paid, on },
        RefusalReason::NotRevolving,
    );
    refused_with(&books, "pay-closed", &payment(paid, on, 100), RefusalReason::Closed);
    clean(&books);
}

/// docs/LEDGER.md, events: a fee charge is `charge_posted` through the state machine; COLLECTIONS.md
/// "The cycle" step 4: the late fee is assessed "once per obligation past its due date plus
/// grace days": with 5 grace days, not on the fifth day after the due date, and on the sixth.
#[test]
fn the_late_fee_falls_on_the_first_day_after_grace_for_each_late_obligation_once() {
    let (_dir, books) = open_temp();
    let terms = Terms {
        grace_days: 5,
        late_fee: LateFeeRule::Flat { amount_minor: 2_500 },
        ..Terms::default()
    };
    let account = open(&books, "LF", ProductKind::Installment, terms);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    charge(&books, "c2", account, d(1, 1), d(2, 3), 10_000);
    books.run_cycle(d(2, 5)).unwrap();
    assert_eq!(view(&books, account, d(2, 5)).outstanding_minor[2], 0);
    books.run_cycle(d(2, 6)).unwrap();
    assert_eq!(view(&books, account, d(2, 6)).outstanding_minor[2], 2_500);
    books.run_cycle(d(2, 8)).unwrap();
    assert_eq!(view(&books, account, d(2, 8)).outstanding_minor[2], 2_500);
    books.run_cycle(d(2, 9)).unwrap();
    assert_eq!(view(&books, account, d(2, 9)).outstanding_minor[2], 5_000);
    books.run_cycle(d(2, 20)).unwrap();
    assert_eq!(view(&books, account, d(2, 20)).outstanding_minor[2], 5_000);
    clean(&books);
}

/// Late-fee terms of the fee tests: 5 grace days, a flat fee of 25.00.
fn flat_fee_terms() -> Terms {
    Terms { grace_days: 5, late_fee: LateFeeRule::Flat { amount_minor: 2_500 }, ..Terms::default() }
}

/// docs/COLLECTIONS.md, "The cycle" step 4: a late fee is what the cycle would have assessed
/// had it known every event dated on or before the day it assessed. A payment dated within
/// the grace days that is recorded after the fee (a bank statement a few days late) takes it
/// back whole: the fee is waived as of the day it was assessed, nothing is owed, and the
/// obligation no longer counts as charged.
#[test]
fn a_payment_dated_within_grace_and_recorded_after_the_fee_takes_it_back() {
    let (_dir, books) = open_temp();
    let account = open(&books, "LFB", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    // January 31 plus 5 grace days is February 5: the fee falls on February 6.
    books.run_cycle(d(2, 6)).unwrap();
    assert_eq!(view(&books, account, d(2, 6)).outstanding_minor[2], 2_500);
    assert_eq!(books.case(account).unwrap().late_fee_charges.len(), 1);
    // A payment dated February 4 arrives on the 8th.
    pay(&books, "p-late-statement", account, d(2, 4), 10_000);
    let after = view(&books, account, d(2, 8));
    assert_eq!(after.total_outstanding_minor, 0);
    assert_eq!(after.books_minor.get(&Book::Waivers).copied(), Some(2_500));
    // As of the day of the assessment too: the waiver is dated then.
    assert_eq!(view(&books, account, d(2, 6)).outstanding_minor[2], 0);
    let case = books.case(account).unwrap();
    assert!(case.late_fee_charges.is_empty() && case.late_fees_assessed.is_empty());
    // The next reviews assess nothing: the obligation was paid in time.
    daily(&books, d(2, 8), d(2, 20));
    assert_eq!(view(&books, account, d(2, 20)).total_outstanding_minor, 0);
    clean(&books);
}

/// The same rule's other side: a payment dated after the grace days (on the day of the
/// assessment itself), or one that leaves the obligation owing, leaves a flat fee as it was.
#[test]
fn a_payment_dated_after_grace_or_short_leaves_the_fee() {
    let (_dir, books) = open_temp();
    let late = open(&books, "LFL", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c1", late, d(1, 1), d(1, 31), 10_000);
    let short = open(&books, "LFS", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c2", short, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    pay(&books, "p-after-grace", late, d(2, 6), 10_000);
    pay(&books, "p-short", short, d(2, 3), 9_999);
    for account in [late, short] {
        let now = view(&books, account, d(2, 8));
        assert_eq!(now.books_minor.get(&Book::Waivers).copied().unwrap_or(0), 0);
        assert_eq!(books.case(account).unwrap().late_fee_charges.len(), 1);
    }
    // The payment after grace paid the fee first (fees, interest, principal), the short one
    // left the fee owing.
    assert_eq!(view(&books, short, d(2, 8)).outstanding_minor, [1, 0, 2_500]);
    clean(&books);
}

/// A percentage fee shrinks to what the owed balance at the end of the assessment day gives:
/// 10% of 10,000 is 1,000; a payment of 6,000 dated within grace leaves 4,000, whose 10% is
/// 400, so 600 is waived. A second back-dated payment that clears the rest takes back the 400.
#[test]
fn a_percentage_fee_shrinks_with_a_back_dated_partial_payment() {
    let (_dir, books) = open_temp();
    let terms = Terms {
        grace_days: 5,
        late_fee: LateFeeRule::Percent {
            rate: "0.10".parse().unwrap(),
            min_minor: 0,
            max_minor: 100_000,
            rounding: RoundingRule::HalfEven,
        },
        ..Terms::default()
    };
    let account = open(&books, "LFP", ProductKind::Installment, terms);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    assert_eq!(view(&books, account, d(2, 6)).outstanding_minor[2], 1_000);
    pay(&books, "p1", account, d(2, 2), 6_000);
    assert_eq!(view(&books, account, d(2, 8)).outstanding_minor, [4_000, 0, 400]);
    assert_eq!(books.case(account).unwrap().late_fee_charges[0].fee_minor, 400);
    pay(&books, "p2", account, d(2, 5), 4_000);
    assert_eq!(view(&books, account, d(2, 8)).total_outstanding_minor, 0);
    assert_eq!(
        view(&books, account, d(2, 8)).books_minor.get(&Book::Waivers).copied(),
        Some(1_000)
    );
    assert!(books.case(account).unwrap().late_fee_charges.is_empty());
    clean(&books);
}

/// A fee that a payment dated after it had already paid is still taken back: the waiver is
/// dated on the assessment day, so the later payment is allocated again, here to nothing (it
/// becomes unapplied cash, the debtor's credit).
#[test]
fn a_fee_already_paid_is_taken_back_and_its_payment_allocated_again() {
    let (_dir, books) = open_temp();
    let account = open(&books, "LFR", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    // February 10: 12,500 paid, the obligation and the fee.
    pay(&books, "p-all", account, d(2, 10), 12_500);
    assert_eq!(view(&books, account, d(2, 10)).outstanding_minor, [0, 0, 0]);
    // Then the statement of February 4 shows the 10,000 paid in time: the 12,500 of
    // February 10 paid nothing that was owed.
    pay(&books, "p-in-time", account, d(2, 4), 10_000);
    let after = view(&books, account, d(2, 12));
    assert_eq!(after.outstanding_minor, [0, 0, 0]);
    assert_eq!(after.unapplied_minor, 12_500);
    assert_eq!(after.books_minor.get(&Book::Waivers).copied(), Some(2_500));
    clean(&books);
}

/// docs/COLLECTIONS.md, step 4: a fee taken back whole is withdrawn, so the money that paid it
/// on its own day is the debtor's again: the credit a payment dated in time left (which the
/// fee took the moment it was charged), and a payment dated on the day of the assessment.
#[test]
fn a_fee_taken_back_gives_back_the_money_that_paid_it_on_its_day() {
    let (_dir, books) = open_temp();
    let credit = open(&books, "LFC", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c1", credit, d(1, 1), d(1, 31), 10_000);
    let same_day = open(&books, "LFD", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c2", same_day, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    // The fee's day: the second account is paid in full, its fee included.
    pay(&books, "p-fee-day", same_day, d(2, 6), 12_500);
    assert_eq!(view(&books, same_day, d(2, 6)).total_outstanding_minor, 0);
    // The statement of February 4 arrives: 120.00 on the first, 100.00 on the second.
    pay(&books, "p-over", credit, d(2, 4), 12_000);
    pay(&books, "p-in-time", same_day, d(2, 4), 10_000);
    for (account, credit_minor) in [(credit, 2_000), (same_day, 12_500)] {
        let after = view(&books, account, d(2, 8));
        assert_eq!(after.total_outstanding_minor, 0);
        assert_eq!(after.unapplied_minor, credit_minor, "the debtor's money is the debtor's");
        assert_eq!(after.books_minor.get(&Book::Waivers).copied(), Some(2_500));
        assert!(books.case(account).unwrap().late_fee_charges.is_empty());
        let history = books.events(account).unwrap();
        assert_eq!(history.last().unwrap().event.kind.name(), "charge_withdrawn");
    }
    clean(&books);
}

/// docs/COLLECTIONS.md, step 4: a fee stays linked to its late obligation for
/// `LATE_FEE_LINK_DAYS` (92) after its assessment; the next fee assessed after that drops the
/// link, so the case keeps a few months of fees, and a payment dated before the old fee,
/// recorded that late, leaves it (`withdraw_charge` takes it back by hand).
#[test]
fn a_late_fee_stays_linked_for_ninety_two_days() {
    let (_dir, books) = open_temp();
    let account = open(&books, "LFK", ProductKind::Installment, flat_fee_terms());
    // Three installments, each paid late with its fee (the stage that charges fees is `early`,
    // 1 to 29 days past due).
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    pay(&books, "p1", account, d(2, 10), 12_500);
    // May 3 plus 5 grace days: the second fee on May 9, 92 days after February 6.
    charge(&books, "c2", account, d(4, 1), d(5, 3), 10_000);
    books.run_cycle(d(5, 9)).unwrap();
    pay(&books, "p2", account, d(5, 12), 12_500);
    let linked = |books: &Arrears| -> Vec<NaiveDate> {
        let case = books.case(account).unwrap();
        case.late_fee_charges.iter().map(|charge| charge.assessed_on).collect()
    };
    assert_eq!(linked(&books), [d(2, 6), d(5, 9)], "92 days: still linked");
    charge(&books, "c3", account, d(5, 1), d(6, 1), 10_000);
    books.run_cycle(d(6, 7)).unwrap();
    assert_eq!(linked(&books), [d(5, 9), d(6, 7)], "the February fee is 121 days old");
    // A payment dated January 30 is recorded now. Its money, and what it frees of the later
    // payments, pays each installment before its fee fell due: the two fees still linked are
    // taken back (2 x 25.00), the first, no longer linked, stays.
    pay(&books, "p-january", account, d(1, 30), 10_000);
    assert_eq!(book(&books, account, d(6, 8), Book::Waivers), 5_000);
    assert!(linked(&books).is_empty());
    clean(&books);
}

/// docs/COLLECTIONS.md, step 4: a plan agreed before the day of a late fee's assessment and
/// entered after it replaced the late obligation before the fee fell due, so the cycle would
/// not have charged the fee: it is taken back, and the plan's installments owe what the
/// obligation owed.
#[test]
fn a_plan_dated_before_a_fees_assessment_takes_the_fee_back() {
    let (_dir, books) = open_temp();
    let account = open(&books, "LFPL", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    assert_eq!(view(&books, account, d(2, 6)).outstanding_minor[2], 2_500);
    let plan = Command::CreatePlan(NewPlan {
        account,
        created_on: d(2, 4),
        installments: 4,
        frequency: Frequency::Monthly,
        first_due: d(3, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(300_000),
        monthly_expenses: usd(100_000),
    });
    ok(&books, "plan-on-the-phone", &plan);
    let after = view(&books, account, d(2, 8));
    assert_eq!(after.outstanding_minor, [10_000, 0, 0]);
    assert_eq!(after.books_minor.get(&Book::Waivers).copied(), Some(2_500));
    let case = books.case(account).unwrap();
    assert!(case.late_fee_charges.is_empty() && case.late_fees_assessed.is_empty());
    assert_eq!(case.state, CollectionState::InPlan);
    // A plan dated on the day of the assessment leaves the fee: the obligation was late.
    let other = open(&books, "LFPL2", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c2", other, d(1, 1), d(1, 31), 10_000);
    // Its first review, February 7, assesses its fee.
    books.run_cycle(d(2, 7)).unwrap();
    assert_eq!(books.case(other).unwrap().late_fee_charges[0].assessed_on, d(2, 7));
    let plan = Command::CreatePlan(NewPlan {
        account: other,
        created_on: d(2, 7),
        installments: 4,
        frequency: Frequency::Monthly,
        first_due: d(3, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(300_000),
        monthly_expenses: usd(100_000),
    });
    ok(&books, "plan-after-grace", &plan);
    assert_eq!(view(&books, other, d(2, 8)).total_outstanding_minor, 12_500);
    assert_eq!(books.case(other).unwrap().late_fee_charges.len(), 1);
    clean(&books);
}

/// docs/LEDGER.md, `check`: a back-dated waiver may forgive what its obligation's component
/// owed at the end of its day, although a payment recorded since paid it (the payment is then
/// allocated again); not more than that.
#[test]
fn a_back_dated_waiver_may_forgive_what_was_owed_on_its_date() {
    let (_dir, books) = open_temp();
    let account = open(&books, "BDW", ProductKind::Installment, Terms::default());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let fee = posted(
        books
            .execute(
                "fee",
                &Command::Fee {
                    account,
                    effective_on: d(2, 6),
                    due_on: d(2, 6),
                    amount: usd(2_500),
                },
            )
            .unwrap()
            .outcome,
    )
    .obligation
    .unwrap();
    pay(&books, "p-all", account, d(2, 10), 12_500);
    assert_eq!(view(&books, account, d(2, 10)).total_outstanding_minor, 0);
    let waiver = |amount| Command::Waiver {
        account,
        obligation: fee,
        component: Component::Fee,
        amount: usd(amount),
        effective_on: d(2, 6),
    };
    let too_much = books.execute("w-too-much", &waiver(2_501)).unwrap().outcome;
    assert!(matches!(too_much, Outcome::Rejected(Rejection::Ledger(_))), "{too_much:?}");
    ok(&books, "w", &waiver(2_500));
    let after = view(&books, account, d(2, 12));
    assert_eq!((after.total_outstanding_minor, after.unapplied_minor), (0, 2_500));
    // Dated after the payment that paid it, the fee owes nothing on the waiver's date.
    let late = Command::Waiver {
        account,
        obligation: fee,
        component: Component::Fee,
        amount: usd(1),
        effective_on: d(2, 11),
    };
    let refused = books.execute("w-late", &late).unwrap().outcome;
    assert!(matches!(refused, Outcome::Rejected(Rejection::Ledger(_))), "{refused:?}");
    clean(&books);
}

/// A payment that took a fee back and is then returned leaves the obligation late after all:
/// the next review assesses its fee again, dated that day.
#[test]
fn a_returned_payment_lets_the_cycle_assess_the_fee_again() {
    let (_dir, books) = open_temp();
    let account = open(&books, "LFX", ProductKind::Installment, flat_fee_terms());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    books.run_cycle(d(2, 6)).unwrap();
    let payment = pay(&books, "p", account, d(2, 4), 10_000);
    assert_eq!(view(&books, account, d(2, 8)).total_outstanding_minor, 0);
    ok(
        &books,
        "returned",
        &Command::Reversal {
            account,
            payment: payment.event,
            effective_on: d(2, 9),
            reason: ReversalReason::Returned,
        },
    );
    daily(&books, d(2, 9), d(2, 12));
    let now = view(&books, account, d(2, 12));
    assert_eq!(now.outstanding_minor, [10_000, 0, 2_500]);
    let case = books.case(account).unwrap();
    assert_eq!(case.late_fee_charges.len(), 1);
    assert!(case.late_fee_charges[0].assessed_on >= d(2, 9));
    clean(&books);
}

/// docs/COLLECTIONS.md, "Agencies": a recall is a person's decision that the policy does not
/// undo. The standard policy places a `late` account 30 days after it entered the stage; once
/// recalled, the cycle leaves it in house for the rest of the stage, and a command may still
/// place it again.
#[test]
fn a_recalled_account_is_not_placed_again_by_the_policy_in_the_same_stage() {
    let (_dir, books) = open_temp();
    let account = open(&books, "RC", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 100_000);
    books.run_cycle(d(4, 1)).unwrap();
    daily(&books, d(4, 2), d(5, 1));
    assert_eq!(
        state(&books, account),
        CollectionState::Placed { agency: "Northwind Recovery".into() }
    );
    ok(&books, "recall", &Command::Recall { account, on: d(5, 5) });
    assert_eq!(books.case(account).unwrap().recalled_on, Some(d(5, 5)));
    // Reviewed every day up to May 28 (117 days past due, before the charge-off stage).
    daily(&books, d(5, 5), d(5, 28));
    assert!(
        matches!(state(&books, account), CollectionState::Delinquent { .. }),
        "{:?}",
        state(&books, account)
    );
    let place = Command::Place {
        account,
        on: d(5, 29),
        agency: "Second Look".into(),
        commission_rate: "0.3".parse().unwrap(),
    };
    ok(&books, "place-again", &place);
    assert_eq!(state(&books, account), CollectionState::Placed { agency: "Second Look".into() });
    clean(&books);
}

/// docs/STATE_MACHINE.md, `current`: "Nothing is past due"; `delinquent`: "Every collection
/// activity may start here: ... placement, legal referral"; docs/COLLECTIONS.md: a command is
/// checked by "the state machine with the facts (`Context`) the ledger gives on the decision
/// date: days past due, ...". An account that fell past due since its last review is past due
/// on the command's date, so it may be placed, although no cycle has run since.
#[test]
fn an_account_past_due_since_its_last_review_may_be_placed_and_referred() {
    let (_dir, books) = open_temp();
    let account = open(&books, "STALE", ProductKind::Installment, Terms::default());
    charge(&books, "c", account, d(1, 1), d(1, 31), 10_000);
    let other = open(&books, "STALE-2", ProductKind::Installment, Terms::default());
    charge(&books, "c2", other, d(1, 1), d(1, 31), 10_000);
    // Reviewed before the due date: current, with nothing past due then.
    books.run_cycle(d(1, 20)).unwrap();
    assert_eq!(state(&books, account), CollectionState::Current);
    let on = d(2, 20);
    assert_eq!(view(&books, account, on).aging.days_past_due, 20);
    let place = Command::Place {
        account,
        on,
        agency: "Acme".into(),
        commission_rate: "0.2".parse().unwrap(),
    };
    ok(&books, "place", &place);
    assert_eq!(state(&books, account), CollectionState::Placed { agency: "Acme".into() });
    ok(&books, "legal", &Command::ReferToLegal { account: other, on });
    assert_eq!(state(&books, other), CollectionState::Legal);
    clean(&books);
}

/// A payment: (day of February, amount, recorded before the cycle of February 6).
type FebruaryPayment = (u32, i64, bool);

/// A payment's amount: often a round share of the 100.00 owed, so that the payments often pay
/// it off exactly (where the fee's fate turns), else any amount up to 40.00.
fn amount() -> impl proptest::strategy::Strategy<Value = i64> {
    use proptest::prelude::*;
    prop_oneof![Just(2_500_i64), Just(5_000), Just(10_000), 1_i64..=4_000]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(256))]

    /// The late fee's model (docs/COLLECTIONS.md, step 4): payments dated from February 1 to
    /// 10, some recorded before the cycle of February 6 and some after it, in any order, never
    /// more than the 100.00 owed (so no credit pays the fee). The cycle charges the flat fee if
    /// the obligation (due January 31, 5 grace days) still owed something on February 6 by the
    /// payments it knew; it stands if the obligation still owed something at the end of
    /// February 5 by every payment, and is waived whole otherwise.
    #[test]
    fn prop_a_flat_late_fee_stands_only_if_owed_when_assessed_and_the_day_before(
        payments in proptest::collection::vec((1_u32..=10, amount(), proptest::bool::ANY), 0..6)
    ) {
        let payments: Vec<FebruaryPayment> = payments
            .into_iter()
            .scan(0_i64, |total, (day, amount, before)| {
                *total += amount;
                Some((*total <= 10_000).then_some((day, amount, before)))
            })
            .flatten()
            .collect();
        let (_dir, books) = open_temp();
        let account = open(&books, "PLF", ProductKind::Installment, flat_fee_terms());
        charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
        let mut recorded = 0;
        let mut record = |(day, amount, _): FebruaryPayment| {
            recorded += 1;
            pay(&books, &format!("p{recorded}"), account, d(2, day), amount);
        };
        for payment in payments.iter().filter(|payment| payment.2) {
            record(*payment);
        }
        books.run_cycle(d(2, 6)).unwrap();
        for payment in payments.iter().filter(|payment| !payment.2) {
            record(*payment);
        }
        let paid = |until: u32, known: bool| -> i64 {
            payments
                .iter()
                .filter(|(day, _, before)| *day <= until && (*before || !known))
                .map(|(_, amount, _)| amount)
                .sum()
        };
        let assessed = if 10_000 - paid(6, true) > 0 { 2_500 } else { 0 };
        let stands = if assessed > 0 && 10_000 - paid(5, false) > 0 { 2_500 } else { 0 };
        let now = view(&books, account, d(2, 28));
        proptest::prop_assert_eq!(now.outstanding_minor[2], stands, "{:?}", payments);
        let waived = now.books_minor.get(&Book::Waivers).copied().unwrap_or(0);
        proptest::prop_assert_eq!(waived, assessed - stands, "{:?}", payments);
        clean(&books);
    }
}
