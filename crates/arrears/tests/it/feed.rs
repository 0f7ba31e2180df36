//! The change feed: every command and every audited change, in order, from any cursor, with
//! the command and its outcome as executed, read from what the store writes anyway.

use arrears::case::AuditKind;
use arrears::{Arrears, ChangeKind, Command};

use crate::support::*;

/// A store with commands, a back-dated payment (corrections), a refused command and a cycle.
fn busy_store() -> (tempfile::TempDir, Arrears) {
    let (dir, books) = open_temp();
    let first = account(&books, "A-1");
    let second = account(&books, "A-2");
    charge(&books, "c1", first, d(1, 5), d(2, 4), 10_000);
    charge(&books, "c2", first, d(1, 20), d(2, 19), 5_000);
    charge(&books, "c3", second, d(1, 5), d(1, 20), 7_000);
    pay(&books, "p1", first, d(3, 1), 4_000);
    pay(&books, "p2", first, d(2, 1), 10_000);
    let refused = Command::Payment {
        account: second,
        effective_on: d(3, 1),
        amount: usd(0),
        directed_to: None,
    };
    assert!(books.execute("refused", &refused).unwrap().outcome.is_rejected());
    books.run_cycle(d(3, 10)).unwrap();
    (dir, books)
}

#[test]
fn the_feed_pages_through_the_audit_log_in_order_with_commands_and_outcomes() {
    let (_dir, books) = busy_store();
    let log = books.audit_log(None).unwrap();
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let page = books.changes(cursor, 3).unwrap();
        assert_eq!(page.head, log.len() as u64);
        assert!(page.changes.len() <= 3);
        if page.changes.is_empty() {
            assert_eq!(page.next, cursor);
            break;
        }
        cursor = page.next;
        seen.extend(page.changes);
    }
    assert_eq!(seen.len(), log.len());
    for (change, record) in seen.iter().zip(&log) {
        assert_eq!(
            (change.seq, change.recorded_at, change.account),
            (record.seq, record.recorded_at, record.account)
        );
        match (&change.kind, &record.kind) {
            (
                ChangeKind::Command { key, name, command, outcome },
                AuditKind::CommandExecuted { key: k, name: n, .. },
            ) => {
                assert_eq!((key, name), (k, n));
                let recorded = books.recorded(key).unwrap().unwrap();
                assert_eq!((**command).clone(), recorded.command);
                assert_eq!((**outcome).clone(), recorded.outcome);
                assert!(!outcome.is_rejected());
            }
            (ChangeKind::Audit(kind), other) => assert_eq!(kind, other),
            (change, record) => panic!("{change:?} for {record:?}"),
        }
    }
    let keys: Vec<&str> = seen
        .iter()
        .filter_map(|change| match &change.kind {
            ChangeKind::Command { key, .. } => Some(key.as_str()),
            ChangeKind::Audit(_) => None,
            _ => panic!("unknown change kind"),
        })
        .collect();
    assert_eq!(
        keys,
        [
            "debtor:D-A-1",
            "account:A-1",
            "debtor:D-A-2",
            "account:A-2",
            "c1",
            "c2",
            "c3",
            "p1",
            "p2"
        ]
    );
    assert!(seen
        .iter()
        .any(|change| matches!(change.kind, ChangeKind::Audit(AuditKind::Transition { .. }))));
    assert!(seen
        .iter()
        .any(|change| matches!(change.kind, ChangeKind::Audit(AuditKind::Cycle { .. }))));
}

#[test]
fn a_back_dated_payment_names_its_account_and_its_corrections() {
    let (_dir, books) = busy_store();
    let page = books.changes(0, 1_000).unwrap();
    let p2 = page
        .changes
        .iter()
        .find(|change| matches!(&change.kind, ChangeKind::Command { key, .. } if key == "p2"))
        .unwrap();
    let account = books.find_account("A-1").unwrap().unwrap();
    assert_eq!(p2.account, Some(account));
    assert!(p2.affected().accounts.contains(&account));
    let ChangeKind::Command { outcome, .. } = &p2.kind else { unreachable!() };
    let arrears::Outcome::Posted(posted) = &**outcome else { panic!("{outcome:?}") };
    assert!(!posted.corrections.is_empty(), "p2 is back-dated before p1");
}

#[test]
fn changes_round_trip_through_json_and_resume_from_any_cursor() {
    let (_dir, books) = busy_store();
    let all = books.changes(0, usize::MAX).unwrap();
    for change in &all.changes {
        let text = serde_json::to_string(change).unwrap();
        let back: arrears::Change = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, change, "{text}");
    }
    let json = serde_json::to_value(&all.changes[0]).unwrap();
    assert_eq!(json["seq"], 1);
    assert_eq!(json["kind"]["command"]["name"], "create_debtor");
    for cursor in 0..=all.head {
        let page = books.changes(cursor, 2).unwrap();
        let expected: Vec<u64> = (cursor + 1..=all.head.min(cursor + 2)).collect();
        assert_eq!(page.changes.iter().map(|change| change.seq).collect::<Vec<_>>(), expected);
    }
    assert!(books.changes(all.head + 5, 10).unwrap().changes.is_empty());
}

#[test]
fn the_feed_is_a_read_it_works_on_a_read_only_handle_and_changes_nothing() {
    let (dir, books) = busy_store();
    let before = books.changes(0, usize::MAX).unwrap();
    drop(books);
    let path = dir.path().join("books.redb");
    let reader = Arrears::open_read_only(&path).unwrap();
    assert_eq!(reader.changes(0, usize::MAX).unwrap(), before);
    drop(reader);
    assert!(Arrears::open(&path).unwrap().verify().unwrap().is_clean());
}

mod model {
    use arrears::{ChangeKind, Command, Outcome};
    use proptest::prelude::*;

    use crate::support::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever the commands and however the feed is paged, it gives every accepted
        /// command once, in the order executed, with the outcome its receipt gave, and no
        /// refused one; the sequence has no gap.
        #[test]
        fn paging_the_feed_gives_every_accepted_command_once_in_order(
            commands in proptest::collection::vec((any::<bool>(), 0_i64..20_000, 1_u32..28), 1..24),
            limits in proptest::collection::vec(1_usize..7, 1..8),
        ) {
            let (_dir, books) = open_temp();
            let account = account(&books, "A-1");
            let mut model: Vec<(String, Outcome)> = Vec::new();
            for (index, (is_charge, amount, day)) in commands.into_iter().enumerate() {
                let key = format!("k{index}");
                let command = if is_charge {
                    charge_command(account, d(3, day), d(4, day), amount)
                } else {
                    Command::Payment { account, effective_on: d(3, day), amount: usd(amount), directed_to: None }
                };
                let outcome = books.execute(&key, &command).unwrap().outcome;
                if !outcome.is_rejected() {
                    model.push((key, outcome));
                }
            }
            let mut seen = Vec::new();
            let mut cursor = 0;
            for limit in limits.iter().cycle() {
                let page = books.changes(cursor, *limit).unwrap();
                if page.changes.is_empty() {
                    break;
                }
                cursor = page.next;
                seen.extend(page.changes);
            }
            let seqs: Vec<u64> = seen.iter().map(|change| change.seq).collect();
            prop_assert_eq!(seqs, (1..=seen.len() as u64).collect::<Vec<_>>());
            let commands: Vec<(String, Outcome)> = seen
                .into_iter()
                .filter_map(|change| match change.kind {
                    ChangeKind::Command { key, outcome, .. } => Some((key, *outcome)),
                    _ => None,
                })
                .filter(|(key, _)| key.starts_with('k'))
                .collect();
            prop_assert_eq!(commands, model);
        }
    }
}

/// The feed reads its page of the log in one range read (format 9: each entry's link is in the
/// entry before); an entry missing below the head is a damaged log, named, not the end of the
/// page; a page that starts after the gap reads on.
#[test]
fn an_entry_missing_below_the_head_is_an_error_naming_it() {
    let (_dir, books) = busy_store();
    let all = books.changes(0, usize::MAX).unwrap();
    assert!(all.changes.len() > 6);
    let gap = all.changes[3].seq;
    let mut txn = books.store().write().unwrap();
    txn.raw_remove_audit_entry(gap).unwrap();
    txn.commit().unwrap();
    for (after, limit) in [(0, usize::MAX), (0, 4), (gap - 1, 1)] {
        let error = books.changes(after, limit).unwrap_err().to_string();
        assert!(error.contains("audit") && error.contains(&gap.to_string()), "{error}");
    }
    // A page that ends before the gap, and one that starts after it, read as before.
    assert_eq!(books.changes(0, 3).unwrap().changes, all.changes[..3]);
    assert_eq!(books.changes(gap, usize::MAX).unwrap().changes, all.changes[4..]);
}
