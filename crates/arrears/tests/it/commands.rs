//! Commands: idempotency, atomic batches, back-dated corrections, rejections, as-of views.

use arrears::ledger::{Book, EntryKind};
use arrears::model::{Component, Terms};
use arrears::money::{Currency, Money};
use arrears::{Command, CommandError, Outcome, Rejection};
use chrono::NaiveDate;

use crate::support::*;

/// `recorded` answers what a key recorded, in canonical form, without reading the account's
/// history; a refused command records nothing.
#[test]
fn recorded_returns_the_command_and_outcome_under_a_key() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let command = Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: Money::parse("40.000", Currency::USD).unwrap(),
        directed_to: None,
    };
    let receipt = books.execute("p1", &command).unwrap();
    let recorded = books.recorded("p1").unwrap().expect("recorded");
    assert_eq!(recorded.outcome, receipt.outcome);
    assert_eq!(
        recorded.command,
        Command::Payment { account, effective_on: d(2, 1), amount: usd(4_000), directed_to: None },
        "the canonical amount"
    );
    assert!(books.recorded("p2").unwrap().is_none());
    // Refused: more than outstanding is waived; nothing is recorded under the key.
    let refused = Command::Waiver {
        account,
        obligation: posted(books.recorded("c1").unwrap().unwrap().outcome).obligation.unwrap(),
        component: Component::Principal,
        amount: usd(1_000_000),
        effective_on: d(2, 2),
    };
    assert!(books.execute("w1", &refused).unwrap().outcome.is_rejected());
    assert!(books.recorded("w1").unwrap().is_none());
}

#[test]
fn replaying_a_key_returns_the_first_outcome_and_writes_nothing() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let command =
        Command::Payment { account, effective_on: d(2, 1), amount: usd(4_000), directed_to: None };
    let first = books.execute("p1", &command).unwrap();
    assert!(!first.replayed);
    let entries_before = books.ledger(account).unwrap().len();
    // The same amount spelled differently is the same command.
    let respelled = Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: Money::parse("40.000", Currency::USD).unwrap(),
        directed_to: None,
    };
    let second = books.execute("p1", &respelled).unwrap();
    assert!(second.replayed);
    assert_eq!(second.outcome, first.outcome);
    assert_eq!(books.ledger(account).unwrap().len(), entries_before);
    assert_eq!(books.account_view(account, d(2, 1)).unwrap().total_outstanding_minor, 6_000);
    // The same key with other content is a conflict, and writes nothing.
    let other =
        Command::Payment { account, effective_on: d(2, 1), amount: usd(4_001), directed_to: None };
    assert!(
        matches!(books.execute("p1", &other), Err(CommandError::IdempotencyConflict { key }) if key == "p1")
    );
    assert_eq!(books.account_view(account, d(2, 1)).unwrap().total_outstanding_minor, 6_000);
}

#[test]
fn a_rejected_command_writes_nothing_and_leaves_its_key_free() {
    let (_dir, books) = open_temp();
    let debtor = debtor(&books, "D");
    let account = account_with(&books, debtor, "A", Terms::default(), Some(10_000));
    let too_much = charge_command(account, d(1, 2), d(2, 1), 10_001);
    let receipt = books.execute("c1", &too_much).unwrap();
    assert!(matches!(
        receipt.outcome,
        Outcome::Rejected(Rejection::Ledger(arrears::ledger::Rejection::CreditLimitExceeded {
            limit_minor: 10_000,
            outstanding_minor: 0,
            requested_minor: 10_001
        }))
    ));
    assert!(books.ledger(account).unwrap().is_empty());
    assert!(books.events(account).unwrap().is_empty());
    // The key is still free for a corrected command.
    let ok = charge_command(account, d(1, 2), d(2, 1), 10_000);
    assert!(!books.execute("c1", &ok).unwrap().outcome.is_rejected());
    // The obligation got id 1: the rejected command consumed no id.
    assert_eq!(
        books.obligation(arrears::ids::ObligationId(1)).unwrap().unwrap().original_minor,
        [10_000, 0, 0]
    );
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    let finer = Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: Money::parse("1.005", Currency::USD).unwrap(),
        directed_to: None,
    };
    let error = books.execute("p", &finer).unwrap_err();
    assert!(matches!(error, CommandError::Money { field: "amount", .. }));
    let euros = Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: Money::from_minor(100, Currency::EUR),
        directed_to: None,
    };
    assert!(matches!(books.execute("p", &euros), Err(CommandError::Money { field: "amount", .. })));
    assert!(matches!(books.execute("", &finer), Err(CommandError::Invalid { field: "key", .. })));
    let missing = Command::Payment {
        account: arrears::ids::AccountId(99),
        effective_on: d(2, 1),
        amount: usd(1),
        directed_to: None,
    };
    assert!(matches!(books.execute("p", &missing), Err(CommandError::UnknownAccount(_))));
    assert!(books.events(account).unwrap().is_empty());
}

#[test]
fn a_batch_commits_all_or_nothing() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    {
        let mut batch = books.batch().unwrap();
        batch
            .execute("c1", &charge_command(account, d(1, 1), d(1, 31), 1_000))
            .unwrap()
            .accepted()
            .unwrap();
        batch
            .execute("c2", &charge_command(account, d(1, 2), d(2, 28), 2_000))
            .unwrap()
            .accepted()
            .unwrap();
        // Dropped without commit.
    }
    assert!(books.events(account).unwrap().is_empty());
    let mut batch = books.batch().unwrap();
    batch
        .execute("c1", &charge_command(account, d(1, 1), d(1, 31), 1_000))
        .unwrap()
        .accepted()
        .unwrap();
    let bad =
        Command::Payment { account, effective_on: d(2, 1), amount: usd(-5), directed_to: None };
    // A rejection inside a batch is an outcome; the caller decides whether to commit.
    assert!(batch.execute("p1", &bad).unwrap().outcome.is_rejected());
    let missing =
        Command::ChargeOff { account: arrears::ids::AccountId(42), effective_on: d(3, 1) };
    assert!(matches!(batch.execute("x", &missing), Err(CommandError::UnknownAccount(_))));
    // Issue 13: after a failure the batch says which command failed, and does not invent an
    // inner error.
    let after = batch.execute("c3", &charge_command(account, d(1, 3), d(2, 28), 3_000));
    assert!(matches!(&after, Err(CommandError::BatchAborted { index: 2, key }) if key == "x"));
    let commit = batch.commit();
    assert!(matches!(&commit, Err(arrears::BatchError::Aborted { index: 2, key }) if key == "x"));
    assert!(std::error::Error::source(&commit.unwrap_err()).is_none());
    assert!(books.events(account).unwrap().is_empty());
}

#[test]
fn a_back_dated_payment_is_journaled_with_corrections_and_changes_past_aging() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    let first = charge(&books, "c1", account, d(1, 1), d(2, 1), 10_000);
    let second = charge(&books, "c2", account, d(1, 1), d(3, 1), 10_000);
    // Recorded first: a payment on March 10 settles the oldest obligation.
    let late = pay(&books, "p-mar", account, d(3, 10), 10_000);
    assert!(late
        .postings
        .iter()
        .any(|posting| posting.obligation == Some(first) && posting.amount_minor == -10_000));
    assert_eq!(books.account_view(account, d(2, 20)).unwrap().aging.days_past_due, 19);
    // Then a payment dated February 5 arrives.
    let early = pay(&books, "p-feb", account, d(2, 5), 10_000);
    assert_eq!(early.corrections.len(), 1);
    let ledger = books.ledger(account).unwrap();
    let correction = ledger.iter().find(|entry| entry.kind == EntryKind::Correction).unwrap();
    assert_eq!(correction.event, late.event);
    assert_eq!(correction.effective_on, d(3, 10));
    let moved: Vec<_> =
        correction.postings.iter().map(|p| (p.obligation, p.component, p.amount_minor)).collect();
    assert!(moved.contains(&(Some(first), Some(Component::Principal), 10_000)));
    assert!(moved.contains(&(Some(second), Some(Component::Principal), -10_000)));
    // As of February 20 the account is now current; on March 5 the second one is late.
    let february = books.account_view(account, d(2, 20)).unwrap();
    assert_eq!(february.aging.days_past_due, 0);
    assert_eq!(february.total_outstanding_minor, 10_000);
    assert_eq!(books.account_view(account, d(3, 5)).unwrap().aging.days_past_due, 4);
    assert_eq!(books.account_view(account, d(3, 10)).unwrap().total_outstanding_minor, 0);
    // Before the first payment the view is unchanged.
    assert_eq!(books.account_view(account, d(2, 4)).unwrap().aging.days_past_due, 3);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn reversal_reopens_and_charge_off_then_recovery() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    let payment = pay(&books, "p1", account, d(2, 10), 20_000);
    let reversal = Command::Reversal {
        account,
        payment: payment.event,
        effective_on: d(2, 15),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    books.execute("r1", &reversal).unwrap().accepted().unwrap();
    assert_eq!(books.account_view(account, d(2, 12)).unwrap().total_outstanding_minor, 30_000);
    assert_eq!(books.account_view(account, d(2, 15)).unwrap().total_outstanding_minor, 50_000);
    let again = books.execute("r2", &reversal).unwrap();
    assert!(matches!(
        again.outcome,
        Outcome::Rejected(Rejection::Ledger(arrears::ledger::Rejection::AlreadyReversed { .. }))
    ));
    books
        .execute("co", &Command::ChargeOff { account, effective_on: d(7, 30) })
        .unwrap()
        .accepted()
        .unwrap();
    let recovery = pay(&books, "p2", account, d(8, 15), 5_000);
    assert!(recovery
        .postings
        .iter()
        .any(|p| p.book == Book::Recoveries && p.amount_minor == -5_000));
    let view = books.account_view(account, d(8, 31)).unwrap();
    assert_eq!(view.charged_off_on, Some(d(7, 30)));
    assert_eq!(view.total_outstanding_minor, 45_000);
    assert_eq!(view.books_minor.get(&Book::Receivable).copied().unwrap_or(0), 0);
    assert_eq!(view.books_minor[&Book::BadDebt], 50_000);
    let aging = books.portfolio_aging(d(8, 31)).unwrap();
    assert_eq!(aging.rows[0].charged_off_accounts, 1);
    assert_eq!(aging.rows[0].charged_off_owed_minor, 45_000);
    assert_eq!(aging.rows[0].total_minor, 0);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn duplicate_external_references_are_rejected() {
    let (_dir, books) = open_temp();
    let debtor = debtor(&books, "D1");
    let command = Command::CreateDebtor(arrears::NewDebtor {
        external_ref: Some("D1".into()),
        kind: arrears::model::DebtorKind::Person,
        name: "Someone else".into(),
        jurisdiction: arrears::model::Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/New_York".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: arrears::model::DebtorFlags::default(),
    });
    let receipt = books.execute("another-key", &command).unwrap();
    assert!(
        matches!(receipt.outcome, Outcome::Rejected(Rejection::ExternalRefTaken { existing, .. }) if existing == debtor.get())
    );
    assert_eq!(books.find_debtor("D1").unwrap(), Some(debtor));
    let mut bad_zone = command.clone();
    if let Command::CreateDebtor(new) = &mut bad_zone {
        new.external_ref = Some("D2".into());
        new.time_zones = vec!["Mars/Olympus".into()];
    }
    assert!(matches!(
        books.execute("k2", &bad_zone),
        Err(CommandError::Invalid { field: "time_zones", .. })
    ));
}

/// Issue 21: country `ZZ` and language `xx-!!` were accepted. The engine checks every new
/// debtor, whoever calls it; a debtor stored before the check still reads and still works.
#[test]
fn issue_21_a_debtor_needs_an_assigned_country_and_a_well_formed_language() {
    let (_dir, books) = open_temp();
    let new = |reference: &str, country: &str, language: &str| {
        Command::CreateDebtor(arrears::NewDebtor {
            external_ref: Some(reference.into()),
            kind: arrears::model::DebtorKind::Person,
            name: "Someone".into(),
            jurisdiction: arrears::model::Jurisdiction { country: country.into(), region: None },
            time_zones: vec!["America/Bogota".into()],
            language: language.into(),
            contact_points: Vec::new(),
            flags: arrears::model::DebtorFlags::default(),
        })
    };
    for (country, language, field, reason) in [
        ("ZZ", "en", "country", "\"ZZ\" is not an ISO 3166-1 alpha-2 country code such as \"US\""),
        ("co", "es", "country", "\"co\" is not an ISO 3166-1 alpha-2 country code such as \"US\""),
        (
            "CO",
            "xx-!!",
            "language",
            "\"xx-!!\" is not a well-formed BCP 47 language tag such as \"es-CO\" \
             (subtag 2 \"!!\" does not fit there)",
        ),
        (
            "CO",
            "",
            "language",
            "\"\" is not a well-formed BCP 47 language tag such as \"es-CO\" (subtag 1 is empty)",
        ),
    ] {
        let error = books.execute("bad", &new("BAD", country, language)).unwrap_err();
        assert!(
            matches!(&error, CommandError::Invalid { field: found, reason: why } if *found == field && why == reason),
            "{country} {language}: {error:?}"
        );
    }
    assert_eq!(books.find_debtor("BAD").unwrap(), None);
    for (reference, language) in [("ES", "es-CO"), ("EN", "en"), ("ZH", "zh-Hant-TW")] {
        let receipt = books.execute(reference, &new(reference, "CO", language)).unwrap();
        assert!(matches!(receipt.outcome, Outcome::DebtorCreated(_)), "{language}");
    }

    // A debtor stored with values the check now refuses (written under the engine) still
    // reads, and can still be given an account.
    let old = debtor(&books, "OLD");
    let mut stored = books.debtor(old).unwrap().unwrap();
    stored.jurisdiction.country = "ZZ".into();
    stored.language = "xx-!!".into();
    let mut txn = books.store().write().unwrap();
    txn.put_debtor(&stored).unwrap();
    txn.commit().unwrap();
    assert_eq!(books.debtor(old).unwrap(), Some(stored));
    account_with(&books, old, "OLD-A", Terms::default(), None);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn store_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let account;
    {
        let books = arrears::Arrears::create(&path).unwrap();
        account = crate::support::account(&books, "A");
        charge(&books, "c1", account, d(1, 1), d(1, 31), 12_345);
    }
    let books = arrears::Arrears::open(&path).unwrap();
    assert_eq!(books.account_view(account, d(3, 1)).unwrap().total_outstanding_minor, 12_345);
    // The default sharing lets a second handle (or process) in; an exclusive one is refused.
    let second = arrears::Arrears::open(&path).unwrap();
    assert_eq!(second.account_view(account, d(3, 1)).unwrap().total_outstanding_minor, 12_345);
    let exclusive =
        arrears::Options { sharing: arrears::Sharing::Exclusive, ..arrears::Options::default() };
    assert!(matches!(
        arrears::Arrears::open_with(&path, exclusive),
        Err(arrears::OpenError::AlreadyOpen { .. })
    ));
    assert!(matches!(
        arrears::Arrears::create(&path),
        Err(arrears::OpenError::AlreadyExists { .. })
    ));
}

/// Issue 13: a stored policy that no longer loads is a `QueryError::Policy` (and a
/// `CommandError::Policy` for commands) whose source is the located `PolicyError`, with its
/// file, line and field, not a string.
#[test]
fn issue_13_a_stored_policy_that_does_not_load_keeps_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    drop(arrears::Arrears::create(&path).unwrap());
    {
        let store =
            arrears_store::Store::open(&path, arrears_store::StoreOptions::default()).unwrap();
        let mut txn = store.write().unwrap();
        txn.put_config("policy", b"name = \"p\"\nversion = 1\n\n[[stage]]\nname = 3\n").unwrap();
        txn.commit().unwrap();
    }
    let books = arrears::Arrears::open(&path).unwrap();
    let error = books.policy().unwrap_err();
    let arrears::QueryError::Policy(policy) = &error else { panic!("{error:?}") };
    assert_eq!(policy.file, "stored policy");
    assert_eq!((policy.line, policy.field.as_str()), (5, "stage[0].name"));
    let source = std::error::Error::source(&error).unwrap();
    assert!(source.to_string().contains("stored policy"), "{source}");
    let command = charge_command(arrears::ids::AccountId(1), d(1, 1), d(1, 31), 100);
    assert!(matches!(books.execute("k", &command), Err(CommandError::Policy(_))));
}

/// Issue 21 (import at scale): a batch writes each account's snapshot once, at commit,
/// however many of the account's events it records, so a payment's cost does not grow with
/// the payments before it in the batch. Refused commands in between leave the batch's
/// snapshot as it was, and a dropped batch writes none.
#[test]
fn issue_21_a_batch_writes_each_snapshot_once() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    let obligation = charge(&books, "c1", account, d(1, 1), d(1, 31), 1_000_000);
    let payment = |amount: i64| Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: usd(amount),
        directed_to: None,
    };
    let waiver = Command::Waiver {
        account,
        obligation,
        component: Component::Principal,
        effective_on: d(2, 1),
        amount: usd(2_000_000),
    };
    let written_before = books.store().snapshots_written();
    let mut batch = books.batch().unwrap();
    for index in 0..500 {
        let receipt = batch.execute(&format!("p{index}"), &payment(100)).unwrap();
        assert!(!receipt.outcome.is_rejected());
        if index % 100 == 50 {
            // Refused by the ledger's check, after the batch changed the snapshot.
            let receipt = batch.execute(&format!("w{index}"), &waiver).unwrap();
            assert!(receipt.outcome.is_rejected());
        }
    }
    batch.commit().unwrap();
    assert_eq!(books.store().snapshots_written() - written_before, 1);
    let view = books.account_view(account, d(2, 1)).unwrap();
    assert_eq!(view.total_outstanding_minor, 1_000_000 - 500 * 100);
    assert!(books.verify().unwrap().is_clean());

    // A dropped batch writes no snapshot and changes nothing.
    let written_before = books.store().snapshots_written();
    let mut batch = books.batch().unwrap();
    for index in 0..10 {
        batch.execute(&format!("q{index}"), &payment(100)).unwrap().accepted().unwrap();
    }
    drop(batch);
    assert_eq!(books.store().snapshots_written(), written_before);
    let view = books.account_view(account, d(2, 1)).unwrap();
    assert_eq!(view.total_outstanding_minor, 1_000_000 - 500 * 100);
    assert!(books.verify().unwrap().is_clean());
}

/// Issue 21 point 5: a file whose rows interleave accounts commits a batch per day of each
/// account's payments, so each batch rewrites each account's snapshot; what it writes must not
/// grow with the account's history. Two accounts paid every day, one batch a day, at the
/// default cold-part size: the snapshot bytes a batch writes after 180 days are no more than
/// after 60 (before, the hot row kept every payment of the last 92 days, and it grew).
#[test]
fn issue_21_a_days_batch_writes_snapshots_that_do_not_grow_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let options = arrears::Options {
        durability: arrears::Durability::Eventual,
        sharing: arrears::Sharing::Exclusive,
        clock: Box::new(arrears::FixedClock("2026-12-01T00:00:00Z".parse().unwrap())),
        ..arrears::Options::default()
    };
    let books = arrears::Arrears::create_with(dir.path().join("books.redb"), options).unwrap();
    let accounts = [account(&books, "A"), account(&books, "B")];
    for (index, account) in accounts.iter().enumerate() {
        charge(&books, &format!("c{index}"), *account, d(1, 1), d(12, 31), 100_000_000);
    }
    let mut written_by_day = Vec::new();
    for day in 0..240_u64 {
        let on = d(1, 2) + chrono::Days::new(day);
        let written_before = books.store().snapshot_bytes_written();
        let mut batch = books.batch().unwrap();
        for account in accounts {
            let payment =
                Command::Payment { account, effective_on: on, amount: usd(100), directed_to: None };
            batch
                .execute(&format!("p{}-{day}", account.get()), &payment)
                .unwrap()
                .accepted()
                .unwrap();
        }
        batch.commit().unwrap();
        written_by_day.push(books.store().snapshot_bytes_written() - written_before);
    }
    // The compact snapshot (record version 4) writes counts and distances in days as varints,
    // which take a byte more past 127: after 180 days the event counts and the obligation's
    // distance from the latest payment do. That is a few bytes a snapshot for good, not a
    // payment's worth a day (a hot row that kept every payment would grow by about 10 bytes a
    // day).
    let early_max = written_by_day[..60].iter().max().copied().unwrap();
    let late_max = written_by_day[180..].iter().max().copied().unwrap();
    let varints_longer = 8 * accounts.len() as u64;
    assert!(
        late_max <= early_max + varints_longer,
        "{late_max} bytes a day after 180 days, {early_max} before 60"
    );
    let view = books.account_view(accounts[0], d(12, 1)).unwrap();
    assert_eq!(view.total_outstanding_minor, 100_000_000 - 240 * 100);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn issue_14_a_thread_holding_a_batch_gets_an_error_instead_of_waiting_for_itself() {
    // https://github.com/arrears/arrears/issues/14 (point 7): holding a `Batch` and calling
    // `execute` on the same thread blocked forever. The calls run on a helper thread, so that
    // a wait fails the test after a timeout instead of hanging it.
    let (_dir, books) = open_temp();
    let books = std::sync::Arc::new(books);
    let account = account(&books, "A");
    let worker = {
        let books = std::sync::Arc::clone(&books);
        move || {
            let mut batch = books.batch().unwrap();
            let charge = charge_command(account, d(1, 1), d(1, 31), 10_000);
            assert!(matches!(batch.execute("c1", &charge).unwrap().outcome, Outcome::Posted(_)));
            let payment = Command::Payment {
                account,
                effective_on: d(2, 1),
                amount: usd(1_000),
                directed_to: None,
            };
            let execute = books.execute("p1", &payment);
            let second = books.batch().map(|_| ());
            let cycle = books.run_cycle(d(2, 2)).map(|_| ());
            let message = match &execute {
                Err(error) => error.to_string(),
                Ok(_) => String::new(),
            };
            // The batch itself is unharmed, and once it ends the thread writes again.
            batch.commit().unwrap();
            let after = books.execute("p1", &payment).map(|receipt| receipt.outcome);
            (execute.map(|_| ()), second, cycle, message, after)
        }
    };
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // The receiver is gone only after a timeout, which fails the test anyway.
        let _ = send.send(worker());
    });
    let (execute, second, cycle, message, after) = receive
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a thread holding a batch waited for itself");
    assert!(matches!(execute, Err(CommandError::ThreadHoldsBatch)), "{execute:?}");
    assert!(matches!(second, Err(arrears::BatchError::ThreadHoldsBatch)), "{second:?}");
    assert!(matches!(cycle, Err(arrears::CycleError::ThreadHoldsBatch)), "{cycle:?}");
    assert!(message.starts_with("this thread holds an open batch of this store"), "{message}");
    assert!(matches!(after, Ok(Outcome::Posted(_))), "{after:?}");
    assert_eq!(books.account_view(account, d(2, 2)).unwrap().total_outstanding_minor, 9_000);

    // Another thread waits for the batch to end, then writes: no error there.
    let batch = books.batch().unwrap();
    let other = {
        let books = std::sync::Arc::clone(&books);
        let payment = Command::Payment {
            account,
            effective_on: d(2, 3),
            amount: usd(500),
            directed_to: None,
        };
        std::thread::spawn(move || books.execute("p2", &payment).map(|receipt| receipt.outcome))
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    drop(batch);
    assert!(matches!(other.join().unwrap(), Ok(Outcome::Posted(_))));
}

#[test]
fn issue_14_a_payment_dated_after_its_recording_day_beyond_the_horizon_is_refused() {
    // https://github.com/arrears/arrears/issues/14 (point 7): a payment dated 2099 was
    // accepted. The clock of `open_temp` says 2026-12-01; the default horizon is 31 days.
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let payment = |on: NaiveDate| Command::Payment {
        account,
        effective_on: on,
        amount: usd(1_000),
        directed_to: None,
    };
    let far = NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
    let outcome = books.execute("p-2099", &payment(far)).unwrap().outcome;
    let Outcome::Rejected(rejection) = outcome else { panic!("{outcome:?}") };
    assert!(
        matches!(
            rejection,
            Rejection::PaymentAhead { days_ahead: 26_329, future_days_max: 31, .. }
        ),
        "{rejection:?}"
    );
    assert_eq!(
        rejection.to_string(),
        "payment dated 2099-01-01 is 26329 days after the day it is recorded (2026-12-01), \
         beyond the policy's horizon of 31 days ([dates] future_days_max): a payment scheduled \
         in the future is a promise, not a payment"
    );
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    assert!(matches!(
        books.execute("p-max", &payment(last)).unwrap().outcome,
        Outcome::Rejected(Rejection::PaymentAhead { .. })
    ));
    // Nothing was written, and the keys stay free.
    assert_eq!(books.account_view(account, d(12, 1)).unwrap().total_outstanding_minor, 10_000);
    // Within the horizon (the last day of it), and in the past, payments are posted.
    let edge = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    assert!(matches!(books.execute("p-edge", &payment(edge)).unwrap().outcome, Outcome::Posted(_)));
    let late = NaiveDate::from_ymd_opt(2027, 1, 2).unwrap();
    assert!(books.execute("p-late", &payment(late)).unwrap().outcome.is_rejected());
    assert!(matches!(
        books.execute("p-past", &payment(d(2, 1))).unwrap().outcome,
        Outcome::Posted(_)
    ));
}

#[test]
fn issue_14_absurd_dates_are_errors_never_panics() {
    // https://github.com/arrears/arrears/issues/14 (point 7): `run_cycle(NaiveDate::MAX)`
    // panicked in date arithmetic. Dates are years 1 to 9999; outside, a clear error; at the
    // edges, the arithmetic saturates.
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    let error = books.run_cycle(NaiveDate::MAX).unwrap_err();
    assert!(matches!(error, arrears::CycleError::DateOutOfRange { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "cycle date +262142-12-31 is outside the supported dates 0001-01-01 to 9999-12-31"
    );
    assert!(matches!(
        books.run_cycle(NaiveDate::MIN),
        Err(arrears::CycleError::DateOutOfRange { .. })
    ));
    for (key, issued_on, due_on, field) in [
        ("c-max", NaiveDate::MAX, NaiveDate::MAX, "issued_on"),
        ("c-min", NaiveDate::MIN, d(1, 31), "issued_on"),
        ("c-due-max", d(2, 1), NaiveDate::MAX, "due_on"),
    ] {
        let error =
            books.execute(key, &charge_command(account, issued_on, due_on, 1_000)).unwrap_err();
        assert!(
            matches!(&error, CommandError::Invalid { field: named, .. } if *named == field),
            "{key}: {error:?}"
        );
        assert!(error.to_string().contains("is outside the supported dates 0001-01-01 to"));
    }
    // The last supported day: an obligation due then, and a cycle on it, run without a panic.
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    let late = books.execute("c-last", &charge_command(account, d(2, 1), last, 1_000)).unwrap();
    assert!(matches!(late.outcome, Outcome::Posted(_)));
    books.run_cycle(last).unwrap();
    books.run_cycle(NaiveDate::from_ymd_opt(1, 1, 1).unwrap()).unwrap();
    books.account_view(account, last).unwrap();
    books.portfolio_aging(last).unwrap();
    // Queries refuse what commands and the cycle refuse (report_experience panicked on it).
    assert!(matches!(
        books.account_view(account, NaiveDate::MAX),
        Err(arrears::QueryError::DateOutOfRange { field: "as_of", .. })
    ));
    assert!(matches!(
        books.portfolio_aging(NaiveDate::MAX),
        Err(arrears::QueryError::DateOutOfRange { field: "as_of", .. })
    ));
    assert!(books.verify().unwrap().is_clean());
}

/// docs/LEDGER.md, "Refunds": a refund pays back unapplied cash, is refused above it, replays
/// under its key, and is owed again when the payment it came from is returned.
#[test]
fn a_refund_pays_back_unapplied_cash_and_is_owed_again_when_its_payment_returns() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A-RF");
    charge(&books, "inv", account, d(1, 5), d(2, 5), 10_000);
    let paid = pay(&books, "pay", account, d(1, 10), 15_000);
    let refund = |amount: i64, reference: &str| Command::Refund {
        account,
        effective_on: d(1, 20),
        amount: usd(amount),
        external_ref: Some(reference.to_owned()),
    };
    let refused = books.execute("rf-big", &refund(5_001, "RF-0")).unwrap().outcome;
    assert!(
        matches!(
            &refused,
            Outcome::Rejected(Rejection::Ledger(
                arrears::ledger::Rejection::RefundExceedsUnapplied {
                    unapplied_minor: 5_000,
                    requested_minor: 5_001,
                }
            ))
        ),
        "{refused:?}"
    );
    let receipt = books.execute("rf", &refund(3_000, "RF-1")).unwrap();
    let refunded = posted(receipt.outcome.clone());
    let obligation = refunded.obligation.expect("a refund is its own obligation");
    let again = books.execute("rf", &refund(3_000, "RF-1")).unwrap();
    assert!(again.replayed);
    assert_eq!(again.outcome, receipt.outcome);
    // Money leaves when it is refunded: a refund dated beyond the horizon is refused.
    let ahead = Command::Refund {
        account,
        effective_on: NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(),
        amount: usd(100),
        external_ref: None,
    };
    let refused = books.execute("rf-ahead", &ahead).unwrap().outcome;
    assert!(matches!(refused, Outcome::Rejected(Rejection::RefundAhead { .. })), "{refused:?}");
    // Its reference is an obligation's: taken.
    let taken = books.execute("rf-2", &refund(100, "RF-1")).unwrap().outcome;
    assert!(matches!(taken, Outcome::Rejected(Rejection::ExternalRefTaken { .. })), "{taken:?}");
    let view = books.account_view(account, d(1, 20)).unwrap();
    assert_eq!(view.unapplied_minor, 2_000);
    assert_eq!(view.total_outstanding_minor, 0);
    assert_eq!(view.books_minor[&Book::Cash], 12_000);
    let refund_view = view.obligations.iter().find(|o| o.obligation.id == obligation).unwrap();
    assert_eq!(refund_view.obligation.kind, arrears::model::ObligationKind::Refund);
    assert_eq!(refund_view.outstanding_minor, [0, 0, 0]);
    // The payment is returned: the invoice and the refund made out of it are owed again.
    let reversal = Command::Reversal {
        account,
        payment: paid.event,
        effective_on: d(2, 1),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    books.execute("ret", &reversal).unwrap().accepted().unwrap();
    let view = books.account_view(account, d(2, 1)).unwrap();
    assert_eq!(view.total_outstanding_minor, 13_000);
    assert_eq!(view.unapplied_minor, 0);
    let refund_view = view.obligations.iter().find(|o| o.obligation.id == obligation).unwrap();
    assert_eq!(refund_view.outstanding_minor, [3_000, 0, 0]);
    // As of the refund's day, the books are as they were.
    assert_eq!(books.account_view(account, d(1, 20)).unwrap().unapplied_minor, 2_000);
    assert!(books.verify().unwrap().is_clean());
}
