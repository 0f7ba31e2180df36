//! Online backup and point-in-time restore: a backup taken while the store is written is a
//! consistent, clean store; a restore from an early backup plus the feed, to a sequence or an
//! instant, equals the store as it stood then (audit chain, books, cases, outbox); refusals
//! leave nothing behind.

use std::path::Path;
use std::sync::{Arc, Mutex};

use arrears::{
    Arrears, BackupError, Change, Clock, CycleOptions, Durability, Options, RestoreError,
    RestoreTarget, Sharing,
};
use chrono::{DateTime, Duration, Utc};

use crate::support::*;

/// A clock the test moves a minute per call, so that every change has its own instant.
#[derive(Clone)]
struct Ticking(Arc<Mutex<DateTime<Utc>>>);

impl Clock for Ticking {
    fn now(&self) -> DateTime<Utc> {
        let mut now = self.0.lock().unwrap();
        *now += Duration::minutes(1);
        *now
    }
}

fn open_ticking(path: &Path) -> Arrears {
    let start = "2026-06-01T08:00:00Z".parse().unwrap();
    let options = Options {
        durability: Durability::Eventual,
        sharing: Sharing::Exclusive,
        clock: Box::new(Ticking(Arc::new(Mutex::new(start)))),
        ..Options::default()
    };
    Arrears::create_with(path, options).unwrap()
}

/// Accounts with charges, payments (one back-dated) and a cycle in batches of 3 accounts.
fn round(books: &Arrears, round: u32, accounts: &[arrears::ids::AccountId]) {
    for (index, account) in accounts.iter().enumerate() {
        let key = format!("c{round}-{index}");
        // A charge on an account in a late stage is refused (a credit hold): refusals write
        // nothing and are not in the feed.
        let command = charge_command(*account, d(round, 1), d(round, 10), 10_000 + index as i64);
        let _refused_or_posted = books.execute(&key, &command).unwrap();
        if index % 3 == 0 {
            pay(books, &format!("p{round}-{index}"), *account, d(round, 12), 2_500);
        }
        if index % 4 == 1 && round > 1 {
            pay(books, &format!("b{round}-{index}"), *account, d(round - 1, 20), 1_000);
        }
    }
    let options = CycleOptions { batch_accounts_max: 3, ..CycleOptions::default() };
    books.run_cycle_with(d(round, 25), options).unwrap();
}

/// Everything a restored store must agree on with the original.
fn assert_same(restored: &Arrears, original: &Arrears) {
    assert_eq!(restored.audit_log(None).unwrap(), original.audit_log(None).unwrap());
    assert_eq!(restored.account_ids().unwrap(), original.account_ids().unwrap());
    for account in original.account_ids().unwrap() {
        assert_eq!(restored.ledger(account).unwrap(), original.ledger(account).unwrap());
        let (a, b) =
            (restored.account_view(account, d(6, 30)), original.account_view(account, d(6, 30)));
        assert_eq!(a.unwrap(), b.unwrap());
    }
    assert_eq!(
        restored.portfolio_aging(d(6, 30)).unwrap(),
        original.portfolio_aging(d(6, 30)).unwrap()
    );
    assert_eq!(
        restored.actions_after(0, 10_000).unwrap(),
        original.actions_after(0, 10_000).unwrap()
    );
    assert!(restored.verify().unwrap().is_clean());
}

/// The feed as `arrears feed --json` archives it, read back.
fn archived(books: &Arrears) -> Vec<Result<Change, serde_json::Error>> {
    let lines: Vec<String> = books
        .changes_after(0)
        .map(|change| serde_json::to_string(&change.unwrap()).unwrap())
        .collect();
    lines.iter().map(|line| serde_json::from_str(line)).collect()
}

#[test]
fn a_restore_from_an_early_backup_plus_the_feed_equals_the_store_at_that_point() {
    let dir = tempfile::tempdir().unwrap();
    let books = open_ticking(&dir.path().join("books.redb"));
    let accounts: Vec<_> = (0..10).map(|n| account(&books, &format!("A-{n}"))).collect();
    round(&books, 1, &accounts);
    let early = books.backup(&dir.path().join("early.redb")).unwrap();
    round(&books, 2, &accounts);
    round(&books, 3, &accounts);
    let at = books.backup(&dir.path().join("at.redb")).unwrap();
    assert!(early.seq > 0 && at.seq > early.seq, "{early:?} {at:?}");
    round(&books, 4, &accounts);
    let reference = Arrears::open(dir.path().join("at.redb")).unwrap();
    let at_time = reference.audit_log(None).unwrap().last().unwrap().recorded_at;

    let by_seq = dir.path().join("by-seq.redb");
    let restored = Arrears::restore(
        &dir.path().join("early.redb"),
        books.changes_after(0),
        RestoreTarget::Seq(at.seq),
        &by_seq,
    )
    .unwrap();
    assert_eq!((restored.backup_seq, restored.seq), (early.seq, at.seq));
    assert!(restored.commands > 0 && restored.cycle_batches >= 6, "{restored:?}");
    assert_same(&Arrears::open(&by_seq).unwrap(), &reference);

    let by_time = dir.path().join("by-time.redb");
    let from_file = archived(&books);
    let restored = Arrears::restore(
        &dir.path().join("early.redb"),
        from_file,
        RestoreTarget::Time(at_time),
        &by_time,
    )
    .unwrap();
    assert_eq!(restored.seq, at.seq);
    assert_same(&Arrears::open(&by_time).unwrap(), &reference);

    let whole = dir.path().join("whole.redb");
    let restored = Arrears::restore(
        &dir.path().join("early.redb"),
        books.changes_after(0),
        RestoreTarget::Seq(u64::MAX),
        &whole,
    )
    .unwrap();
    assert_eq!(restored.seq, books.audit_log(None).unwrap().len() as u64);
    assert_same(&Arrears::open(&whole).unwrap(), &books);
}

#[test]
fn a_backup_taken_while_another_thread_writes_is_a_clean_prefix_of_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options::default();
    let books = Arrears::create_with(dir.path().join("books.redb"), options).unwrap();
    let accounts: Vec<_> = (0..5).map(|n| account(&books, &format!("A-{n}"))).collect();
    let backups = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for n in 0..200 {
                let account = accounts[n % accounts.len()];
                charge(&books, &format!("c{n}"), account, d(1, 1), d(1, 20), 1_000 + n as i64);
            }
        });
        let mut backups = Vec::new();
        for n in 0..5 {
            let path = dir.path().join(format!("b{n}.redb"));
            backups.push((books.backup(&path).unwrap(), path));
        }
        writer.join().unwrap();
        backups
    });
    let log = books.audit_log(None).unwrap();
    for (backup, path) in backups {
        let copy = Arrears::open(&path).unwrap();
        assert!(copy.verify().unwrap().is_clean());
        let copied = copy.audit_log(None).unwrap();
        assert_eq!(copied.len() as u64, backup.seq);
        assert_eq!(copied[..], log[..copied.len()]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), backup.bytes);
    }
}

#[test]
fn a_backup_or_restore_never_replaces_a_file_and_a_gap_in_the_feed_is_refused() {
    let (dir, books) = open_temp();
    let account = account(&books, "A-1");
    charge(&books, "c1", account, d(1, 5), d(2, 4), 10_000);
    let target = dir.path().join("taken.txt");
    std::fs::write(&target, b"precious").unwrap();
    let refused = books.backup(&target).unwrap_err();
    assert!(matches!(refused, BackupError::TargetExists { .. }), "{refused}");
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    let store = dir.path().join("books.redb");
    assert!(matches!(books.backup(&store), Err(BackupError::TargetExists { .. })));

    let backup = dir.path().join("backup.redb");
    let taken = books.backup(&backup).unwrap();
    pay(&books, "p1", account, d(2, 1), 1_000);
    pay(&books, "p2", account, d(2, 2), 1_000);
    let mut feed: Vec<Result<Change, std::convert::Infallible>> =
        books.changes_after(taken.seq).map(|change| Ok(change.unwrap())).collect();
    feed.remove(0).unwrap();
    let out = dir.path().join("out.redb");
    let gap = Arrears::restore(&backup, feed, RestoreTarget::Seq(u64::MAX), &out).unwrap_err();
    assert!(
        matches!(gap, RestoreError::Gap { expected, .. } if expected == taken.seq + 1),
        "{gap}"
    );
    assert!(!out.exists());
    let over = Arrears::restore(&backup, books.changes_after(0), RestoreTarget::Seq(1), &target);
    assert!(matches!(over, Err(RestoreError::OutputExists { .. })));
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
