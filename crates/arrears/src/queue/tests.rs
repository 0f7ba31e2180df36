//! Unit tests of the work queue's own rules: what each outcome code requires, and when an item
//! is worked again.

use arrears_core::money::Money;

use super::*;
use crate::command::PromiseLine;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn done(code: WorkOutcomeCode) -> WorkDone {
    WorkDone {
        agent: "sam".into(),
        account: AccountId(1),
        code,
        at: "2026-11-20T12:00:00Z".parse().unwrap(),
        promise: Vec::new(),
        next_action_on: None,
        address: None,
        note: None,
    }
}

fn field(result: Result<i64, CommandError>) -> &'static str {
    match result {
        Err(CommandError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[test]
fn each_code_requires_what_it_needs() {
    let usd = Currency::USD;
    assert_eq!(field(check_work(&done(WorkOutcomeCode::Promise), usd)), "promise");
    assert_eq!(field(check_work(&done(WorkOutcomeCode::Callback), usd)), "next_action_on");
    assert_eq!(field(check_work(&done(WorkOutcomeCode::WrongParty), usd)), "address");
    assert_eq!(check_work(&done(WorkOutcomeCode::Refusal), usd).ok(), Some(0));
    let mut promise = done(WorkOutcomeCode::Promise);
    promise.promise = vec![
        PromiseLine { on: date("2026-11-27"), amount: Money::parse("100.50", usd).unwrap() },
        PromiseLine { on: date("2026-12-04"), amount: Money::parse("99.50", usd).unwrap() },
    ];
    assert_eq!(check_work(&promise, usd).ok(), Some(20_000));
    // Promised amounts belong to the outcome promise only, in the account's currency.
    let mut refusal = promise.clone();
    refusal.code = WorkOutcomeCode::Refusal;
    assert_eq!(field(check_work(&refusal, usd)), "promise");
    assert!(matches!(check_work(&promise, Currency::EUR), Err(CommandError::Money { .. })));
    let mut past = done(WorkOutcomeCode::Excuse);
    past.next_action_on = Some(date("2026-11-19"));
    assert_eq!(field(check_work(&past, usd)), "next_action_on");
}

#[test]
fn the_next_action_is_the_day_given_else_after_the_promise_else_tomorrow() {
    let on = date("2026-11-20");
    assert_eq!(next_action_on(&done(WorkOutcomeCode::Refusal), on), date("2026-11-21"));
    let mut callback = done(WorkOutcomeCode::Callback);
    callback.next_action_on = Some(date("2026-11-24"));
    assert_eq!(next_action_on(&callback, on), date("2026-11-24"));
    let mut promise = done(WorkOutcomeCode::Promise);
    let amount = Money::parse("1.00", Currency::USD).unwrap();
    promise.promise = vec![
        PromiseLine { on: date("2026-12-04"), amount },
        PromiseLine { on: date("2026-11-27"), amount },
    ];
    assert_eq!(next_action_on(&promise, on), date("2026-12-05"));
}

#[test]
fn names_follow_the_policy_rule() {
    assert!(check_name("team.name", "spanish-1.b_c").is_ok());
    assert!(check_name("team.name", "").is_err());
    assert!(check_name("team.name", "two words").is_err());
    assert!(check_name("team.name", &"x".repeat(65)).is_err());
}
