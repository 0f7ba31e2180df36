//! The relay's pure parts: how a change is named in the outbox and the audit table. The
//! relay against a real PostgreSQL is tested in crates/arrears-cli/tests/it/relay.rs.

use arrears::case::AuditKind;
use arrears::ids::{AccountId, DebtorId};
use arrears::{Arrears, ChangeKind};

use crate::apply::{aggregate, change_type, name};

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
