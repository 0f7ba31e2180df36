//! Bad input through the library API, as an embedding application could give it: extreme
//! amounts, rates and dates, texts no downstream system can hold, fields that contradict each
//! other.
//!
//! Goal: every such call is refused with an error naming the field (or a typed refusal), never
//! a panic, and a refused command changes nothing. Method: real store files through the public
//! API only; each refusal is checked for its field, and the audit head and `verify` before and
//! after show that nothing was written.

use std::panic::{catch_unwind, AssertUnwindSafe};

use arrears::ids::{AccountId, ObligationId};
use arrears::model::Component;
use arrears::model::{
    Attorney, DebtorFlags, DebtorKind, Jurisdiction, LateFeeRule, ObligationKind, Terms,
};
use arrears::money::Money;
use arrears::money::{Currency, RoundingRule};
use arrears::{
    Arrears, Command, CommandError, DebtorChanges, NewAccount, NewCharge, NewDebtor, QueryError,
};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::*;

/// Executes `command` under `key`, which must be refused as invalid `field`, and checks that
/// nothing was written.
fn refused(books: &Arrears, key: &str, command: &Command, field: &str) {
    let head = books.audit_head().unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| books.execute(key, command)));
    let Ok(result) = result else { panic!("{} panicked on bad input", command.name()) };
    match result {
        Err(CommandError::Invalid { field: named, .. })
        | Err(CommandError::Money { field: named, .. }) => {
            assert_eq!(named, field, "{} named the wrong field", command.name());
        }
        other => panic!("{} was not refused as invalid {field}: {other:?}", command.name()),
    }
    assert_eq!(books.audit_head().unwrap(), head, "a refused {} wrote", command.name());
    assert!(books.recorded(key).unwrap().is_none());
}

fn open_with_terms(debtor: arrears::ids::DebtorId, terms: Terms) -> Command {
    Command::OpenAccount(NewAccount {
        external_ref: None,
        debtor,
        product: arrears::model::ProductKind::TradeCredit,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: d(1, 1),
        terms,
    })
}

/// A late fee the cycle could never assess (negative, beyond the largest amount, a share whose
/// product with a balance overflows) was accepted when the account was opened; the last made the
/// cycle panic on the first late obligation. It is refused at the door, naming the field.
#[test]
fn a_late_fee_that_cannot_be_assessed_is_refused_when_the_account_opens() {
    let (_dir, books) = open_temp();
    let debtor = debtor(&books, "D-1");
    let late_fees = [
        LateFeeRule::Flat { amount_minor: -500 },
        LateFeeRule::Flat { amount_minor: i64::MAX },
        LateFeeRule::Percent {
            rate: Decimal::MAX,
            min_minor: 0,
            max_minor: 1_000,
            rounding: RoundingRule::HalfUp,
        },
        LateFeeRule::Percent {
            rate: Decimal::TWO,
            min_minor: 0,
            max_minor: 1_000,
            rounding: RoundingRule::HalfUp,
        },
        LateFeeRule::Percent {
            rate: "0.05".parse().unwrap(),
            min_minor: 0,
            max_minor: i64::MAX,
            rounding: RoundingRule::HalfUp,
        },
    ];
    for (index, late_fee) in late_fees.into_iter().enumerate() {
        let command = open_with_terms(debtor, Terms { late_fee, ..Terms::default() });
        refused(&books, &format!("open-{index}"), &command, "terms.late_fee");
    }
    assert!(books.verify().unwrap().is_clean());
}

/// A late fee share is a share of what is past due: the cycle assesses it without a panic even
/// when terms stored before the check above hold a share that overflows.
#[test]
fn a_percent_late_fee_never_overflows() {
    let rule = LateFeeRule::Percent {
        rate: Decimal::MAX,
        min_minor: 0,
        max_minor: 4_000,
        rounding: RoundingRule::HalfUp,
    };
    let fee = catch_unwind(|| rule.fee_minor(arrears::money::AMOUNT_MINOR_MAX, Currency::USD));
    assert_eq!(fee.ok(), Some(4_000));
}

/// Queries dated outside the supported calendar (years 1 to 9999) are refused naming the date,
/// as the cycle refuses them; `report_experience` panicked on `NaiveDate::MAX` and `MIN`.
#[test]
fn a_query_dated_outside_the_calendar_is_refused() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A-1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    for date in [NaiveDate::MAX, NaiveDate::MIN, arrears::dates::DATE_MAX.succ_opt().unwrap()] {
        let results: Vec<(&str, Result<(), QueryError>)> = vec![
            ("as_of", books.account_view(account, date).map(drop)),
            ("as_of", books.portfolio_aging(date).map(drop)),
            ("to", books.report_kpis(d(1, 1), date).map(drop)),
            ("to", books.report_experience(date).map(drop)),
            ("to", books.report_productivity(d(1, 1), date).map(drop)),
            ("month_ends", books.roll_rates(&[d(1, 31), date]).map(drop)),
            ("dates", books.aging_series(&[date]).map(drop)),
            ("as_of", books.list_accounts(Default::default(), date).map(drop)),
            ("as_of", books.debtor_view(debtor, date).map(drop)),
            ("as_of", books.work_queue(&[], date).map(drop)),
            ("as_of", books.report_exposure(date).map(drop)),
            ("to", books.report_psi(d(1, 1), date).map(drop)),
            ("as_of", books.report_signal_changes(d(1, 1), date).map(drop)),
        ];
        for (index, (field, result)) in results.into_iter().enumerate() {
            assert!(
                matches!(&result, Err(QueryError::DateOutOfRange { field: named, date: given, .. })
                    if named == &field && *given == date),
                "query {index} on {date}: {result:?}"
            );
        }
    }
}

/// A work claim dated outside the calendar is refused naming `as_of`, before the agent is
/// looked up.
#[test]
fn a_work_claim_dated_outside_the_calendar_is_refused() {
    let (_dir, books) = open_temp();
    let claimed = books.claim_work("agent-1", 60, NaiveDate::MAX);
    assert!(matches!(claimed, Err(CommandError::Invalid { field: "as_of", .. })), "{claimed:?}");
}

/// A lease of 0 seconds ends as it begins: the next caller would get the same work at once.
/// Both claims refuse it naming `lease_seconds` (the CLI refused it already, the library did
/// not).
#[test]
fn a_claim_with_a_lease_of_zero_seconds_is_refused() {
    let (_dir, books) = open_temp();
    let claimed = books.claim_actions("gateway", 0, None, 10);
    let error = claimed.unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "lease_seconds", .. }), "{error}");
    let claimed = books.claim_work("agent-1", 0, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    let error = claimed.unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "lease_seconds", .. }), "{error}");
    assert!(books.claim_actions("gateway", 1, None, 10).unwrap().is_empty());
}

/// A text with the character NUL (a C string's end, or a corrupted buffer) was stored: a
/// debtor's name, an invoice number, an agency, a note, an attorney, even the idempotency key.
/// PostgreSQL's text and jsonb cannot hold it, so the relay could never apply such a command
/// and stopped at it for good. Every one is refused naming its field, and nothing is written.
#[test]
fn a_text_with_nul_is_refused_naming_its_field() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A-1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let payment =
        Command::Payment { account, effective_on: d(2, 1), amount: usd(100), directed_to: None };
    refused(&books, "pay\0ment", &payment, "key");
    let person = Command::CreateDebtor(NewDebtor {
        external_ref: Some("P-1".into()),
        kind: DebtorKind::Person,
        name: "Ada\0Lovelace".into(),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    });
    refused(&books, "debtor-nul", &person, "name");
    let rename = Command::UpdateDebtor {
        debtor,
        changes: DebtorChanges { name: Some("\0".into()), ..DebtorChanges::default() },
    };
    refused(&books, "rename-nul", &rename, "name");
    let invoice = Command::Charge(NewCharge {
        account,
        external_ref: Some("INV-1\0".into()),
        kind: ObligationKind::Invoice,
        issued_on: d(1, 1),
        due_on: d(1, 31),
        principal: usd(100),
        interest: usd(0),
        fee: usd(0),
    });
    refused(&books, "charge-nul", &invoice, "external_ref");
    let place = Command::Place {
        account,
        on: d(2, 1),
        agency: "Agency\0".into(),
        commission_rate: "0.2".parse().unwrap(),
    };
    refused(&books, "place-nul", &place, "agency");
    let note = arrears::case::Note {
        account: None,
        at: "2026-02-01T00:00:00Z".parse().unwrap(),
        author: "agent-1".into(),
        text: "called\0".into(),
    };
    refused(&books, "note-nul", &Command::AddNote { debtor, note }, "note.text");
    let attorney = Attorney {
        name: "Counsel".into(),
        firm: Some("Firm\0".into()),
        phone: Some("+15125550100".into()),
        email: None,
        postal_address: None,
        since: d(2, 1),
    };
    refused(&books, "attorney-nul", &Command::SetAttorney { debtor, attorney }, "attorney.firm");
    assert!(books.verify().unwrap().is_clean());
}

/// An amount at an edge: negative, zero, finer than a cent, the largest amount and beyond it,
/// the largest decimal, or an ordinary one; in the account's currency or another.
fn extreme_money() -> impl Strategy<Value = Money> {
    let amount = prop_oneof![
        Just(Decimal::NEGATIVE_ONE),
        Just(Decimal::ZERO),
        Just(Decimal::new(1, 28)),
        Just(Decimal::new(arrears::money::AMOUNT_MINOR_MAX, 2)),
        Just(Decimal::new(arrears::money::AMOUNT_MINOR_MAX + 1, 2)),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        (1i64..1_000_000).prop_map(|minor| Decimal::new(minor, 2)),
    ];
    let currency =
        prop_oneof![4 => Just(Currency::USD), 1 => Just(Currency::EUR), 1 => Just(Currency::JPY)];
    (amount, currency).prop_map(|(amount, currency)| Money::new(amount, currency))
}

/// A date at an edge of chrono's calendar or of the supported one, or an ordinary one.
fn extreme_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
        Just(arrears::dates::DATE_MIN),
        Just(arrears::dates::DATE_MAX),
        (0u64..400).prop_map(|days| d(1, 1) + chrono::Days::new(days)),
    ]
}

/// A text at an edge: empty, blank, with NUL, 1 MB, or ordinary.
fn extreme_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        Just("a\0b".to_owned()),
        Just("x".repeat(1 << 20)),
        "[A-Za-z0-9 -]{1,20}",
    ]
}

/// The account of the test (1), one that does not exist, or the largest id.
fn some_account() -> impl Strategy<Value = AccountId> {
    prop_oneof![4 => Just(AccountId(1)), 1 => Just(AccountId(0)), 1 => Just(AccountId(u64::MAX))]
}

fn extreme_command() -> impl Strategy<Value = Command> {
    let obligation = prop_oneof![Just(ObligationId(1)), Just(ObligationId(u64::MAX))];
    prop_oneof![
        (some_account(), extreme_date(), extreme_money()).prop_map(|(account, on, amount)| {
            Command::Payment { account, effective_on: on, amount, directed_to: None }
        }),
        (some_account(), extreme_date(), extreme_date(), extreme_money(), extreme_text()).prop_map(
            |(account, issued_on, due_on, principal, reference)| {
                Command::Charge(NewCharge {
                    account,
                    external_ref: Some(reference),
                    kind: ObligationKind::Invoice,
                    issued_on,
                    due_on,
                    principal,
                    interest: usd(0),
                    fee: usd(0),
                })
            }
        ),
        (some_account(), extreme_date(), extreme_date(), extreme_money()).prop_map(
            |(account, effective_on, due_on, amount)| Command::Fee {
                account,
                effective_on,
                due_on,
                amount
            }
        ),
        (some_account(), obligation.clone(), extreme_money(), extreme_date()).prop_map(
            |(account, obligation, amount, effective_on)| Command::Waiver {
                account,
                obligation,
                component: Component::Principal,
                amount,
                effective_on,
            }
        ),
        (some_account(), obligation, extreme_money(), extreme_date()).prop_map(
            |(account, obligation, amount, effective_on)| Command::Adjustment {
                account,
                obligation,
                component: Component::Fee,
                amount,
                effective_on,
            }
        ),
        (some_account(), extreme_date(), extreme_money()).prop_map(|(account, on, amount)| {
            Command::OfferSettlement { account, offered_on: on, amount }
        }),
        (some_account(), extreme_date(), extreme_date(), extreme_money()).prop_map(
            |(account, made_on, on, amount)| Command::Promise {
                account,
                made_on,
                payments: vec![arrears::PromiseLine { on, amount }],
            }
        ),
        (some_account(), extreme_date(), extreme_date(), any::<u32>(), extreme_money()).prop_map(
            |(account, created_on, first_due, installments, income)| {
                Command::CreatePlan(arrears::NewPlan {
                    account,
                    created_on,
                    installments,
                    frequency: arrears::plan::Frequency::Monthly,
                    first_due,
                    annual_rate: Decimal::ZERO,
                    monthly_income: income,
                    monthly_expenses: usd(0),
                })
            }
        ),
        (some_account(), extreme_date(), extreme_date())
            .prop_map(|(account, on, until)| { Command::GrantHardship { account, on, until } }),
        (some_account(), extreme_date(), extreme_text()).prop_map(|(account, on, agency)| {
            Command::Place { account, on, agency, commission_rate: "0.25".parse().unwrap() }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Commands with extreme fields: none panics; an error names what is wrong (a field, or
    /// the unknown account); a refused or failed command writes nothing; the books verify.
    #[test]
    fn extreme_commands_are_refused_cleanly(commands in proptest::collection::vec(extreme_command(), 1..12)) {
        let (_dir, books) = open_temp();
        let account = account(&books, "A-1");
        prop_assert_eq!(account, AccountId(1));
        charge(&books, "charge", account, d(1, 1), d(1, 31), 50_000);
        for (index, command) in commands.iter().enumerate() {
            let key = format!("command-{index}");
            let head = books.audit_head().unwrap();
            let result = catch_unwind(AssertUnwindSafe(|| books.execute(&key, command)));
            prop_assert!(result.is_ok(), "{} panicked", command.name());
            let written = books.audit_head().unwrap() != head;
            match result.unwrap() {
                Ok(receipt) => prop_assert_eq!(receipt.outcome.is_rejected(), !written),
                Err(error) => {
                    prop_assert!(
                        matches!(
                            error,
                            CommandError::Invalid { .. }
                                | CommandError::Money { .. }
                                | CommandError::UnknownAccount(_)
                        ),
                        "{}: {:?}", command.name(), error
                    );
                    prop_assert!(!written, "{} failed after writing", command.name());
                }
            }
        }
        prop_assert!(books.verify().unwrap().is_clean());
    }
}
