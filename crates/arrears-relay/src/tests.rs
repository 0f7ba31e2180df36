//! The relay's pure parts: how a change is named in the outbox and the audit table, which
//! changes may have written dispute events. The relay against a real PostgreSQL is tested in
//! crates/arrears-cli/tests/it/relay.rs.

use arrears::case::AuditKind;
use arrears::ids::{AccountId, DebtorId};
use arrears::{Arrears, ChangeKind};

use crate::apply::{aggregate, change_type, dispute_accounts, name};

#[test]
fn changes_are_named_by_command_or_audit_kind_and_grouped_by_account_or_debtor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let (debtor, account) = arrears::doc_fixture(&path).unwrap();
    let books = Arrears::open(&path).unwrap();
    let page = books.changes(0, 10).unwrap();
    assert_eq!(page.changes.len(), 2);
    let created = &page.changes[0];
    assert_eq!(change_type(created), "create_debtor");
    assert_eq!(aggregate("s1", created), ("debtor", format!("s1:{}", debtor.0)));
    let opened = &page.changes[1];
    assert_eq!(change_type(opened), "open_account");
    assert_eq!(aggregate("s1", opened), ("account", format!("s1:{}", account.0)));
    assert_ne!(debtor, DebtorId(0));
    assert_ne!(account, AccountId(0));
}

#[test]
fn audit_records_are_named_by_their_kind() {
    let on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let kind = AuditKind::Cycle { as_of: on, reviewed: 1, actions: 0 };
    assert_eq!(name(&kind), "cycle");
    assert_eq!(name(&arrears::ledger::Book::UnappliedCash), "unapplied_cash");
    assert!(matches!(ChangeKind::Audit(kind), ChangeKind::Audit(AuditKind::Cycle { .. })));
}

#[test]
fn latest_keeps_one_row_per_key_the_last_given_in_the_order_keys_first_came() {
    let mut rows = crate::rows::Latest::default();
    rows.put(7, "seven, first");
    rows.put(3, "three");
    rows.put(7, "seven, second");
    rows.put(9, "nine");
    rows.put(7, "seven, third");
    assert_eq!(rows.rows(), ["seven, third", "three", "nine"]);
}

/// Executes `command` under `key` and returns the change it wrote.
fn executed(books: &Arrears, key: &str, command: arrears::Command) -> arrears::Change {
    let receipt = books.execute(key, &command).unwrap();
    assert!(!receipt.outcome.is_rejected(), "{key}: {:?}", receipt.outcome);
    let head = books.audit_head().unwrap().expect("a log").seq;
    books.changes(head - 1, 1).unwrap().changes.remove(0)
}

#[test]
fn only_changes_that_may_write_dispute_events_name_accounts_to_read() {
    use arrears::money::Money;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let (_, account) = arrears::doc_fixture(&path).unwrap();
    let books = Arrears::open(&path).unwrap();
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 2, d).unwrap();
    let usd = |minor| Money::from_minor(minor, arrears::money::Currency::USD);
    let charge = executed(
        &books,
        "charge",
        arrears::Command::Charge(arrears::NewCharge {
            account,
            external_ref: Some("INV-1".into()),
            kind: arrears::model::ObligationKind::Invoice,
            issued_on: day(1),
            due_on: day(10),
            principal: usd(10_000),
            interest: usd(0),
            fee: usd(0),
        }),
    );
    let payment = arrears::Command::Payment {
        account,
        effective_on: day(2),
        amount: usd(1_000),
        directed_to: None,
    };
    let paid = executed(&books, "pay", payment);
    let obligation = books.obligations_of(account).unwrap()[0].id;
    let on = day(12);
    let opened = arrears::Command::OpenDispute { account, obligations: Vec::new(), on };
    let opened = executed(&books, "open", opened);
    let resolved = executed(&books, "resolve", arrears::Command::ResolveDispute { account, on });
    let disputed =
        arrears::Command::Dispute { account, obligation, disputed: true, effective_on: on };
    let dispute = executed(&books, "dispute", disputed);
    assert_eq!(dispute_accounts(&charge), []);
    assert_eq!(dispute_accounts(&paid), []);
    assert_eq!(dispute_accounts(&dispute), [account]);
    assert_eq!(dispute_accounts(&resolved), [account]);
    assert_eq!(dispute_accounts(&opened), [account]);
}
