//! Unidentified cash: bank lines received into suspense and applied to accounts later.

use arrears::cash::{BankLine, PayerScheme};
use arrears::ledger::Book;
use arrears::money::Currency;
use arrears::{Command, CommandError, Outcome, Rejection};

use crate::support::{account, charge, d, open_temp, posted, usd};

fn line(bank_ref: &str, amount_minor: i64) -> BankLine {
    BankLine {
        bank_ref: bank_ref.to_owned(),
        value_on: d(3, 2),
        amount: usd(amount_minor),
        payer_name: Some("Ana Ruiz".into()),
        payer_account: Some("ES9121000418450200051332".into()),
        remittance: "pago varios".into(),
    }
}

fn receive(bank_ref: &str, amount_minor: i64) -> Command {
    Command::ReceiveCash { line: line(bank_ref, amount_minor) }
}

fn apply(bank_ref: &str, account: arrears::ids::AccountId, amount_minor: i64) -> Command {
    Command::ApplyCash {
        line: bank_ref.to_owned(),
        account,
        amount: usd(amount_minor),
        effective_on: d(3, 5),
    }
}

#[test]
fn a_received_line_is_held_once_and_replays_under_its_key() {
    let (_dir, books) = open_temp();
    let first = books.execute("bank:B1", &receive("B1", 12_500)).unwrap();
    assert_eq!(first.outcome, Outcome::CashHeld { line: "B1".into(), held: usd(12_500) });
    let again = books.execute("bank:B1", &receive("B1", 12_500)).unwrap();
    assert!(again.replayed);
    assert_eq!(again.outcome, first.outcome);
    let other_key = books.execute("other", &receive("B1", 12_500)).unwrap();
    assert_eq!(
        other_key.outcome,
        Outcome::Rejected(Rejection::BankLineReceived { line: "B1".into() })
    );
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&12_500));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn applying_moves_the_part_from_suspense_to_the_account_as_a_payment() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A1");
    charge(&books, "c1", account, d(2, 1), d(3, 1), 10_000);
    books.execute("bank:B1", &receive("B1", 12_500)).unwrap().accepted().unwrap();
    let payment = posted(books.execute("apply-1", &apply("B1", account, 10_000)).unwrap().outcome);
    let received: i64 = payment
        .postings
        .iter()
        .filter(|posting| posting.book == Book::Receivable)
        .map(|posting| posting.amount_minor)
        .sum();
    assert_eq!(received, -10_000);
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&2_500));
    let held = &books.bank_lines().unwrap()[0];
    assert_eq!(held.applied.len(), 1);
    assert_eq!(held.applied[0].event, payment.event);
    assert_eq!(books.account_view(account, d(3, 10)).unwrap().total_outstanding_minor, 0);
    // Suspense entries and the account's journal balance together: cash counted once.
    let suspense_cash: i64 = held
        .postings()
        .iter()
        .flatten()
        .filter(|posting| posting.book == Book::Cash)
        .map(|posting| posting.amount_minor)
        .sum();
    let view = books.account_view(account, d(3, 10)).unwrap();
    assert_eq!(suspense_cash + view.books_minor[&Book::Cash], 12_500);
    assert!(books.verify().unwrap().is_clean());
}

/// Cash held in suspense is applied or returned on or after its value date, never before:
/// a payment back-dated before the money arrived would cure days it did not pay.
#[test]
fn cash_is_not_applied_or_returned_before_its_value_date() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A1");
    charge(&books, "c1", account, d(2, 1), d(3, 1), 10_000);
    books.execute("bank:B1", &receive("B1", 12_500)).unwrap().accepted().unwrap();
    let early = Command::ApplyCash {
        line: "B1".into(),
        account,
        amount: usd(10_000),
        effective_on: d(3, 1),
    };
    let error = books.execute("apply-early", &early).unwrap_err();
    let CommandError::Invalid { field: "effective_on", reason } = &error else { panic!("{error}") };
    assert!(reason.contains("before the value date 2026-03-02 of bank line \"B1\""), "{reason}");
    let early_return =
        Command::ReturnCash { line: "B1".into(), amount: usd(100), effective_on: d(2, 28) };
    let error = books.execute("return-early", &early_return).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "effective_on", .. }), "{error}");
    // Nothing was written: the line holds all it received, the account owes all it owed.
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&12_500));
    assert!(books.bank_lines().unwrap()[0].applied.is_empty());
    assert_eq!(books.account_view(account, d(3, 10)).unwrap().total_outstanding_minor, 10_000);
    // On the value date itself it is applied.
    let on_time = Command::ApplyCash {
        line: "B1".into(),
        account,
        amount: usd(10_000),
        effective_on: d(3, 2),
    };
    books.execute("apply-on-time", &on_time).unwrap().accepted().unwrap();
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&2_500));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn more_than_is_held_is_refused_and_writes_nothing() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A1");
    books.execute("bank:B1", &receive("B1", 5_000)).unwrap().accepted().unwrap();
    books.execute("apply-1", &apply("B1", account, 3_000)).unwrap().accepted().unwrap();
    let refused = books.execute("apply-2", &apply("B1", account, 2_001)).unwrap();
    assert_eq!(
        refused.outcome,
        Outcome::Rejected(Rejection::SuspenseShort {
            line: "B1".into(),
            held_minor: 2_000,
            asked_minor: 2_001
        })
    );
    assert_eq!(books.events(account).unwrap().len(), 1);
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&2_000));
    books.execute("apply-3", &apply("B1", account, 2_000)).unwrap().accepted().unwrap();
    assert!(books.suspense().unwrap().is_empty());
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn bad_lines_and_unknown_lines_are_errors_naming_the_field() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A1");
    let error = books.execute("k1", &receive("", 100)).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "line.bank_ref", .. }), "{error}");
    let error = books.execute("k2", &receive("B0", 0)).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "line.amount", .. }), "{error}");
    let error = books.execute("k3", &apply("nope", account, 100)).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "line", .. }), "{error}");
    books.execute("bank:B1", &receive("B1", 100)).unwrap().accepted().unwrap();
    let euros = Command::ApplyCash {
        line: "B1".into(),
        account,
        amount: arrears::money::Money::from_minor(100, Currency::EUR),
        effective_on: d(3, 5),
    };
    let error = books.execute("k4", &euros).unwrap_err();
    assert!(matches!(error, CommandError::Money { field: "amount", .. }), "{error}");
    assert!(books.bank_lines().unwrap().iter().all(|line| line.applied.is_empty()));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn verify_reports_a_part_applied_that_is_no_such_payment() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A1");
    books.execute("bank:B1", &receive("B1", 5_000)).unwrap().accepted().unwrap();
    books.execute("apply-1", &apply("B1", account, 3_000)).unwrap().accepted().unwrap();
    assert!(books.verify().unwrap().is_clean());
    let mut held = books.bank_lines().unwrap().remove(0);
    held.applied[0].amount_minor = 3_001;
    let mut txn = books.store().write().unwrap();
    txn.put_bank_line(&held).unwrap();
    txn.commit().unwrap();
    let problems = books.verify().unwrap().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].check, "suspense");
    assert!(problems[0].detail.contains("is not a payment of 3001"), "{problems:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Random receipts and applications (some too large) against a model: suspense is always
    /// what the model holds, every refused application writes nothing, verify stays clean.
    #[test]
    fn prop_suspense_is_what_was_received_less_what_was_applied(
        lines in proptest::collection::vec(1i64..50_000, 1..5),
        applications in proptest::collection::vec((0usize..5, 1i64..60_000), 0..10),
    ) {
        let (_dir, books) = open_temp();
        let account = account(&books, "A1");
        charge(&books, "c1", account, d(2, 1), d(3, 1), 100_000);
        let mut held: Vec<i64> = lines.clone();
        for (index, amount_minor) in lines.iter().enumerate() {
            let bank_ref = format!("B{index}");
            books.execute(&format!("bank:{bank_ref}"), &receive(&bank_ref, *amount_minor))
                .unwrap().accepted().unwrap();
        }
        for (step, (index, amount_minor)) in applications.iter().enumerate() {
            let index = index % lines.len();
            let command = apply(&format!("B{index}"), account, *amount_minor);
            let outcome = books.execute(&format!("apply-{step}"), &command).unwrap().outcome;
            if *amount_minor <= held[index] {
                proptest::prop_assert!(matches!(outcome, Outcome::Posted(_)), "{outcome:?}");
                held[index] -= amount_minor;
            } else {
                proptest::prop_assert!(outcome.is_rejected(), "{outcome:?}");
            }
        }
        let total: i64 = held.iter().sum();
        let suspense = books.suspense().unwrap().get(&Currency::USD).copied().unwrap_or(0);
        proptest::prop_assert_eq!(suspense, total);
        let lines_held: Vec<i64> =
            books.bank_lines().unwrap().iter().map(|line| line.held_minor()).collect();
        proptest::prop_assert_eq!(lines_held, held);
        let report = books.verify().unwrap();
        proptest::prop_assert!(report.is_clean(), "{:?}", report.problems);
    }
}

fn register(debtor: arrears::ids::DebtorId, scheme: PayerScheme, number: &str) -> Command {
    Command::RegisterPayerAccount { debtor, scheme, number: number.to_owned() }
}

#[test]
fn payer_accounts_register_normalized_and_remove() {
    let (_dir, books) = open_temp();
    let first = crate::support::debtor(&books, "D-1");
    let second = crate::support::debtor(&books, "D-2");
    let iban = "es91 2100 0418 4502 0005 1332";
    let outcome = books.execute("p1", &register(first, PayerScheme::Iban, iban)).unwrap();
    assert_eq!(outcome.outcome, Outcome::DebtorUpdated { debtor: first, cancelled: vec![] });
    // Registering again changes nothing; another debtor may register the same account.
    books
        .execute("p1-again", &register(first, PayerScheme::Iban, iban))
        .unwrap()
        .accepted()
        .unwrap();
    books.execute("p2", &register(second, PayerScheme::Iban, iban)).unwrap().accepted().unwrap();
    books
        .execute("p3", &register(second, PayerScheme::Rut, "12.345.678-5"))
        .unwrap()
        .accepted()
        .unwrap();
    let found = books.payer_accounts(Some("ES9121000418450200051332")).unwrap();
    let debtors: Vec<_> = found.iter().map(|payer| payer.debtor).collect();
    assert_eq!(debtors, vec![first, second]);
    assert_eq!(found[0].number, "ES9121000418450200051332");
    assert_eq!(books.payer_accounts(None).unwrap().len(), 3);
    assert_eq!(books.payer_accounts(Some("12345678-5")).unwrap()[0].scheme, PayerScheme::Rut);
    let remove = Command::RemovePayerAccount { debtor: first, number: iban.into() };
    books.execute("r1", &remove).unwrap().accepted().unwrap();
    let left: Vec<_> =
        books.payer_accounts(Some(iban)).unwrap().into_iter().map(|payer| payer.debtor).collect();
    assert_eq!(left, vec![second]);
    let audited = command_names(&books);
    assert!(audited.iter().any(|name| name == "register_payer_account"));
    assert!(audited.iter().any(|name| name == "remove_payer_account"));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn payer_accounts_with_wrong_check_digits_or_scheme_are_refused_writing_nothing() {
    let (_dir, books) = open_temp();
    let debtor = crate::support::debtor(&books, "D-1");
    let cases = [
        (PayerScheme::Iban, "ES9221000418450200051332", "number", "wrong check digits"),
        (PayerScheme::Clabe, "032180000118359718", "number", "wrong check digits"),
        (PayerScheme::Clabe, "ES9121000418450200051332", "scheme", "reads as iban, not clabe"),
        (PayerScheme::Rut, "12.345.678-6", "number", "RUT"),
        (PayerScheme::Other, " - ", "number", "no letters or digits"),
        (PayerScheme::Other, "", "number", "must not be empty"),
    ];
    for (scheme, number, field, reason) in cases {
        let error = books.execute("bad", &register(debtor, scheme, number)).unwrap_err();
        match error {
            CommandError::Invalid { field: got, reason: why } => {
                assert_eq!(got, field, "{number}");
                assert!(why.contains(reason), "{number}: {why}");
            }
            other => panic!("{number}: {other:?}"),
        }
    }
    let unknown = arrears::ids::DebtorId(999);
    let error = books.execute("bad", &register(unknown, PayerScheme::Other, "X1")).unwrap_err();
    assert!(matches!(error, CommandError::UnknownDebtor(_)), "{error:?}");
    let remove = Command::RemovePayerAccount { debtor, number: "ES9121000418450200051332".into() };
    let error = books.execute("bad", &remove).unwrap_err();
    assert!(error.to_string().contains("has no payer account"), "{error}");
    assert!(books.payer_accounts(None).unwrap().is_empty());
    assert!(command_names(&books).iter().all(|name| name != "register_payer_account"));
}

/// The names of the commands in the audit log, in order.
fn command_names(books: &arrears::Arrears) -> Vec<String> {
    let records = books.audit_log(None).unwrap();
    records
        .into_iter()
        .filter_map(|record| match record.kind {
            arrears::case::AuditKind::Command { name, .. }
            | arrears::case::AuditKind::CommandExecuted { name, .. } => Some(name),
            _ => None,
        })
        .collect()
}

#[test]
fn bank_rules_are_kept_as_given_and_empty_or_unreadable_text_is_refused() {
    let (_dir, books) = open_temp();
    assert_eq!(books.bank_rules().unwrap(), None);
    let text = "[[rule]]\nname = \"rf\"\nkind = \"creditor_reference\"\n";
    let set = Command::SetBankRules { file: "rules.toml".into(), text: text.into() };
    let outcome = books.execute("rules-1", &set).unwrap().outcome;
    assert_eq!(outcome, Outcome::BankRulesSet { file: "rules.toml".into() });
    assert_eq!(books.bank_rules().unwrap().as_deref(), Some(text));
    let empty = Command::SetBankRules { file: "rules.toml".into(), text: " \n".into() };
    let error = books.execute("rules-2", &empty).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "text", .. }), "{error:?}");
    assert_eq!(books.bank_rules().unwrap().as_deref(), Some(text));
    // Rules the import could not read are refused where they are given, located.
    let unknown = "[[rule]]\nname = \"rf\"\nkind = \"creditor_reference\"\n\n[[rule]]\nname = \"x\"\nkind = \"telepathy\"\n";
    let bad = Command::SetBankRules { file: "rules.toml".into(), text: unknown.into() };
    let error = books.execute("rules-3", &bad).unwrap_err();
    match &error {
        CommandError::Invalid { field: "text", reason } => {
            assert!(reason.starts_with("rules.toml:7: rule[1].kind: unknown kind"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(books.bank_rules().unwrap().as_deref(), Some(text));
    assert!(command_names(&books).iter().any(|name| name == "set_bank_rules"));
}

#[test]
fn a_returned_part_leaves_suspense_and_more_than_is_held_is_refused() {
    let (_dir, books) = open_temp();
    books.execute("bank:B1", &receive("B1", 12_500)).unwrap().accepted().unwrap();
    let give_back = |amount_minor| Command::ReturnCash {
        line: "B1".into(),
        amount: usd(amount_minor),
        effective_on: d(3, 9),
    };
    let refused = books.execute("ret-1", &give_back(12_501)).unwrap().outcome;
    assert_eq!(
        refused,
        Outcome::Rejected(Rejection::SuspenseShort {
            line: "B1".into(),
            held_minor: 12_500,
            asked_minor: 12_501
        })
    );
    let returned = books.execute("ret-1", &give_back(12_500)).unwrap().outcome;
    assert_eq!(
        returned,
        Outcome::CashReturned { line: "B1".into(), returned: usd(12_500), held: usd(0) }
    );
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), None);
    let line = &books.bank_lines().unwrap()[0];
    assert_eq!(line.returned.len(), 1);
    assert!(line
        .postings()
        .iter()
        .all(|entry| entry.iter().map(|p| p.amount_minor).sum::<i64>() == 0));
    let unknown = Command::ReturnCash { line: "B9".into(), amount: usd(1), effective_on: d(3, 9) };
    let error = books.execute("ret-2", &unknown).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "line", .. }), "{error:?}");
    assert!(command_names(&books).iter().any(|name| name == "return_cash"));
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn bank_matches_are_recorded_and_a_posted_amount_above_the_line_is_an_error() {
    let (_dir, books) = open_temp();
    let record = |posted_minor| Command::RecordBankMatch {
        line: "B1".into(),
        value_on: d(3, 2),
        amount: usd(12_500),
        rule: Some("RF reference".into()),
        posted: usd(posted_minor),
    };
    let error = books.execute("m-1", &record(12_501)).unwrap_err();
    assert!(matches!(error, CommandError::Invalid { field: "posted", .. }), "{error:?}");
    assert!(books.bank_matches().unwrap().is_empty());
    books.execute("m-1", &record(10_000)).unwrap().accepted().unwrap();
    let stored = books.bank_matches().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].amount_minor, stored[0].posted_minor), (12_500, 10_000));
    assert_eq!(stored[0].rule.as_deref(), Some("RF reference"));
}

/// A part applied from suspense to the wrong account and reversed as posted in error: the
/// reversal credits cash, the line still counted the part as applied, so the cash left the
/// books (suspense 2,500 where the bank holds 12,500) and no review list showed it. Reversed
/// in error, the part is held again, as a line of its own, `<ref>/reversed/<account>/<event>`,
/// to be applied again; reversed as returned (the bank took it back), it leaves.
#[test]
fn a_part_applied_from_suspense_and_reversed_in_error_is_held_again() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A1");
    charge(&books, "c1", account, d(2, 1), d(3, 1), 10_000);
    books.execute("bank:B1", &receive("B1", 12_500)).unwrap().accepted().unwrap();
    let payment = posted(books.execute("apply-1", &apply("B1", account, 10_000)).unwrap().outcome);
    let reversal = |reason| Command::Reversal {
        account,
        payment: payment.event,
        effective_on: d(3, 6),
        reason,
    };
    books
        .execute("rev-1", &reversal(arrears::ledger::ReversalReason::Error))
        .unwrap()
        .accepted()
        .unwrap();
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&12_500));
    let lines = books.bank_lines().unwrap();
    let again = lines.iter().find(|line| line.bank_ref != "B1").unwrap();
    assert_eq!(again.bank_ref, format!("B1/reversed/{account}/{}", payment.event.0));
    assert_eq!((again.held_minor(), again.value_on), (10_000, d(3, 2)));
    assert_eq!(books.account_view(account, d(3, 10)).unwrap().total_outstanding_minor, 10_000);
    assert!(books.verify().unwrap().is_clean());
    // Applied again from the new line.
    let reapply = apply(&again.bank_ref, account, 10_000);
    books.execute("apply-2", &reapply).unwrap().accepted().unwrap();
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&2_500));
    assert!(books.verify().unwrap().is_clean());

    // Returned by the bank: the cash leaves, nothing is held again.
    let (_dir, books) = open_temp();
    let account = crate::support::account(&books, "A1");
    charge(&books, "c1", account, d(2, 1), d(3, 1), 10_000);
    books.execute("bank:B1", &receive("B1", 12_500)).unwrap().accepted().unwrap();
    let payment = posted(books.execute("apply-1", &apply("B1", account, 10_000)).unwrap().outcome);
    let returned = Command::Reversal {
        account,
        payment: payment.event,
        effective_on: d(3, 6),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    books.execute("rev-1", &returned).unwrap().accepted().unwrap();
    assert_eq!(books.suspense().unwrap().get(&Currency::USD), Some(&2_500));
    assert_eq!(books.bank_lines().unwrap().len(), 1);
    assert!(books.verify().unwrap().is_clean());
}
