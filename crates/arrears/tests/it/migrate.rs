//! Issue 16 point 2: the migrations to formats 4, 5 and 6 on accounts with years of history. A store
//! written by this build is rewritten as format 2 wrote it (whole snapshots, no cold parts,
//! version 2), migrated in small steps stopped and resumed again and again, and must then read,
//! verify and go on exactly as the store that was never rewritten.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use arrears::ids::{AccountId, EventSeq};
use arrears::model::Component;
use arrears::{Arrears, Command, Durability, FixedClock, Options, Outcome, Sharing};
use arrears_store::Reads;
use chrono::{Months, NaiveDate};

use crate::support::{account, charge_command, posted, usd};

const ACCOUNTS: usize = 12;
const MONTHS: u32 = 30;

fn options() -> Options {
    Options {
        durability: Durability::Immediate,
        sharing: Sharing::Exclusive,
        clock: Box::new(FixedClock("2029-01-01T00:00:00Z".parse().unwrap())),
        ..Options::default()
    }
}

fn month(m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Months::new(m)
}

fn run(books: &Arrears, key: &str, command: &Command) -> Outcome {
    books.execute(key, command).unwrap().outcome
}

/// Accounts charged every month and paid in full, in part or in excess, with a reversal now
/// and then: years of settled obligations and payments.
fn build(books: &Arrears) -> Vec<AccountId> {
    let ids: Vec<AccountId> = (0..ACCOUNTS).map(|n| account(books, &format!("M-{n}"))).collect();
    for m in 0..MONTHS {
        for (n, &id) in ids.iter().enumerate() {
            let charge = charge_command(id, month(m), month(m) + chrono::Days::new(20), 100_00);
            run(books, &format!("c:{n}:{m}"), &charge);
            let amount = match (n + m as usize) % 5 {
                0 => 60_00,
                1 => 140_00,
                _ => 100_00,
            };
            let on = month(m) + chrono::Days::new(10);
            let payment = Command::Payment {
                account: id,
                effective_on: on,
                amount: usd(amount),
                directed_to: None,
            };
            let paid = posted(run(books, &format!("p:{n}:{m}"), &payment));
            if (n + m as usize) % 7 == 3 {
                let reversal = Command::Reversal {
                    account: id,
                    payment: paid.event,
                    effective_on: on + chrono::Days::new(2),
                    reason: arrears::ledger::ReversalReason::Returned,
                };
                run(books, &format!("r:{n}:{m}"), &reversal);
            }
        }
    }
    ids
}

/// What a reader sees of the portfolio: each account's view today and a year ago, and the
/// portfolio's aging.
fn views(books: &Arrears, ids: &[AccountId]) -> String {
    let mut seen = String::new();
    for &id in ids {
        for on in [month(MONTHS), month(MONTHS - 12)] {
            seen.push_str(&format!("{:?}\n", books.account_view(id, on).unwrap()));
        }
    }
    seen.push_str(&format!("{:?}", books.portfolio_aging(month(MONTHS)).unwrap()));
    seen
}

/// What happens next: a payment (hot), a reversal of a payment of the first year and a waiver
/// of an old obligation (both read cold parts), on every account.
fn go_on(books: &Arrears, ids: &[AccountId]) -> String {
    let mut outcomes = String::new();
    for (n, &id) in ids.iter().enumerate() {
        let on = month(MONTHS) + chrono::Days::new(3);
        let payment = Command::Payment {
            account: id,
            effective_on: on,
            amount: usd(35_00),
            directed_to: None,
        };
        let reversal = Command::Reversal {
            account: id,
            payment: EventSeq(4),
            effective_on: on,
            reason: arrears::ledger::ReversalReason::Returned,
        };
        let obligation = books.account_view(id, on).unwrap().obligations[1].obligation.id;
        let waiver = Command::Waiver {
            account: id,
            obligation,
            component: Component::Principal,
            amount: usd(1_00),
            effective_on: on,
        };
        for (kind, command) in [("pay", payment), ("reverse", reversal), ("waive", waiver)] {
            outcomes
                .push_str(&format!("{:?}\n", run(books, &format!("next:{kind}:{n}"), &command)));
        }
    }
    outcomes + &views(books, ids)
}

#[test]
fn a_migrated_store_reads_verifies_and_goes_on_as_one_never_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    let split = ids.iter().filter(|id| {
        let read = books.store().read().unwrap();
        read.snapshot(**id).unwrap().is_some_and(|state| state.cold_parts > 0)
    });
    assert_eq!(split.count(), ACCOUNTS, "years of settled items have moved to cold parts");
    let before = views(&books, &ids);
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();

    let older = Arrears::open_with(&migrated, options()).unwrap();
    older.store().rewrite_as_format_2().unwrap();
    drop(older);
    let refused = Arrears::open_with(&migrated, options()).unwrap_err();
    assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 2, .. }), "{refused}");
    // Stopped after every commit, as a kill would stop it, and resumed each time.
    let store = arrears_store::StoreOptions::default();
    let (mut runs, mut rewritten, mut moved, mut runs_from_14) = (0, 0, 0, 0);
    loop {
        let step = arrears_store::Store::migrate_in_steps(&migrated, store, 5, 1).unwrap();
        runs += 1;
        rewritten += step.accounts;
        moved += step.commands;
        if step.from == 14 {
            // The steps to 15 start afresh after the step to 14, and resume each other.
            assert_eq!(step.resumed_at.is_some(), runs_from_14 > 0, "run {runs}: {step:?}");
            runs_from_14 += 1;
        } else if step.to < 4 || step.accounts > 0 {
            assert_eq!(step.resumed_at.is_some(), runs > 1, "run {runs}: {step:?}");
        }
        if step.to == arrears_store::FORMAT_VERSION {
            break;
        }
    }
    // Steps of 5 accounts to format 4, then of 50 audit records to format 5, then of 5
    // accounts to format 6 (which find every snapshot written with its head already: the
    // ledger's move to the log wrote them), then one each to formats 7 to 13, then of 50 audit
    // records to format 14 (which find no row of `idempotency_keys` to move: the step to 5
    // wrote each key's row in the index of format 14), then of 5 accounts to format 15 (each
    // account's row of `account_rows`).
    let commands = commands(&control);
    let audit_records = audit_records(&control);
    assert_eq!(
        (runs, rewritten, moved),
        (
            (ACCOUNTS.div_ceil(5) * 3 + audit_records.div_ceil(50) * 2 + 7) as u64,
            2 * ACCOUNTS as u64,
            commands as u64
        )
    );

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let report = after.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(views(&after, &ids), before);
    let control = Arrears::open_with(&control, options()).unwrap();
    let expected = go_on(&control, &ids);
    assert_eq!(go_on(&after, &ids), expected);
    assert!(after.verify().unwrap().is_clean());
    assert!(control.verify().unwrap().is_clean());
}

/// How many commands a store's idempotency index holds.
fn commands(path: &std::path::Path) -> usize {
    let store = arrears_store::Store::open(path, arrears_store::StoreOptions::default()).unwrap();
    let read = store.read().unwrap();
    read.idempotency_index().unwrap().len()
}

/// How many records a store's audit log holds.
fn audit_records(path: &std::path::Path) -> usize {
    let store = arrears_store::Store::open(path, arrears_store::StoreOptions::default()).unwrap();
    let read = store.read().unwrap();
    read.audit_log().unwrap().len()
}

/// Format 7: the log and entry sequences are read from the ledger log's last row as well as
/// from `meta`, which a payment's commit no longer writes. A format-6 store (its `meta`
/// exact) migrates in one commit that rewrites nothing, verifies, and goes on giving the same
/// ids as one never migrated: both read the same sequences afterwards, the entry sequence at
/// the last entry written.
#[test]
fn a_format_6_store_takes_formats_7_and_8_and_its_ids_go_on() {
    use arrears_store::{Reads, Sequence};
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    let before = views(&books, &ids);
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();
    let older = Arrears::open_with(&migrated, options()).unwrap();
    older.store().rewrite_as_format_6().unwrap();
    drop(older);
    let refused = Arrears::open_with(&migrated, options()).unwrap_err();
    assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 6, .. }), "{refused}");
    let step = Arrears::migrate(&migrated, options()).unwrap();
    // One commit to format 7, one to format 8 (the empty case overlay), one to format 9, one
    // to format 10, one to format 11, one to format 12, one to format 13, one to format 14
    // (each command's row of the idempotency index written again with the key's hash), one to
    // format 15 (each account's row of `account_rows`).
    let commands = commands(&control) as u64;
    assert_eq!(
        (step.from, step.to, step.accounts, step.commands, step.steps),
        (6, 15, ACCOUNTS as u64, commands, 9)
    );

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let report = after.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(views(&after, &ids), before);
    let control = Arrears::open_with(&control, options()).unwrap();
    assert_eq!(go_on(&after, &ids), go_on(&control, &ids));
    assert!(after.verify().unwrap().is_clean());
    let sequences = |books: &Arrears| {
        let read = books.store().read().unwrap();
        let all = read.all_entries().unwrap();
        let last_entry = all.last().unwrap().id.get();
        let stored = read.stored_sequence(Sequence::Entry).unwrap();
        (stored, last_entry, read.stored_sequence(Sequence::Log).unwrap())
    };
    let (stored, last_entry, _) = sequences(&control);
    assert_eq!(stored, last_entry);
    assert_eq!(sequences(&after), sequences(&control));
}

/// Issue 16 point 1 (format 6): each account's ledger head moves from the `ledger_heads`
/// table into its snapshot row. A format-5 store migrates in steps stopped after every commit
/// (each stop a store of format 5 no open accepts), and then reads its accounts' histories,
/// verifies, and goes on as one never migrated.
#[test]
fn a_format_5_store_moves_its_ledger_heads_into_the_snapshot_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    let before = views(&books, &ids);
    let histories: Vec<_> = ids.iter().map(|id| books.events(*id).unwrap()).collect();
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();
    let older = Arrears::open_with(&migrated, options()).unwrap();
    older.store().rewrite_as_format_5().unwrap();
    drop(older);
    let refused = Arrears::open_with(&migrated, options()).unwrap_err();
    assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 5, .. }), "{refused}");

    let store = arrears_store::StoreOptions::default();
    let (mut runs, mut rewritten) = (0, 0);
    loop {
        let step = arrears_store::Store::migrate_in_steps(&migrated, store, 5, 1).unwrap();
        runs += 1;
        rewritten += step.accounts;
        assert!(matches!((step.from, step.commands), (5..=12, 0) | (13, _) | (14, 0)), "{step:?}");
        if step.from == 5 {
            assert_eq!(step.resumed_at.is_some(), runs > 1, "run {runs}: {step:?}");
        }
        if step.to == arrears_store::FORMAT_VERSION {
            break;
        }
        let refused = Arrears::open_with(&migrated, options()).unwrap_err();
        assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 5..=14, .. }));
    }
    // Steps of 5 accounts to format 6, then one each to formats 7 to 13, then of 50 audit
    // records to format 14, then of 5 accounts to format 15.
    let steps_to_14 = audit_records(&control).div_ceil(50);
    assert_eq!(
        (runs, rewritten),
        ((ACCOUNTS.div_ceil(5) * 2 + 7 + steps_to_14) as u64, 2 * ACCOUNTS as u64)
    );

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let report = after.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(views(&after, &ids), before);
    let read = after.store().read().unwrap();
    let control_store = Arrears::open_with(&control, options()).unwrap();
    let control_read = control_store.store().read().unwrap();
    for (id, history) in ids.iter().zip(&histories) {
        assert_eq!(&after.events(*id).unwrap(), history, "{id}");
        assert_eq!(read.ledger_head(*id).unwrap(), control_read.ledger_head(*id).unwrap(), "{id}");
    }
    drop((read, control_read));
    assert_eq!(go_on(&after, &ids), go_on(&control_store, &ids));
    assert!(after.verify().unwrap().is_clean());
}

/// A run that starts a migration is no resumption, even when its first steps rewrite no
/// account (accounts without events have no snapshot): it reported the mark its own first step
/// left ("resumed at account 2001") before. A run that takes over from a stopped one is.
#[test]
fn a_migration_started_afresh_is_not_reported_as_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let books = Arrears::create_with(&path, options()).unwrap();
    let quiet: Vec<AccountId> = (0..3).map(|n| account(&books, &format!("Q-{n}"))).collect();
    let busy = account(&books, "B-0");
    run(&books, "c:b", &charge_command(busy, month(0), month(0) + chrono::Days::new(20), 100_00));
    assert!(quiet.iter().all(|id| books.events(*id).unwrap().is_empty()));
    books.store().rewrite_as_format_5().unwrap();
    drop(books);
    let store = arrears_store::StoreOptions::default();
    let whole = arrears_store::Store::migrate_in_steps(&path, store, 1, u64::MAX).unwrap();
    // One snapshot rewritten by the step to 6, four rows written by the step to 15.
    assert_eq!((whole.from, whole.accounts, whole.resumed_at), (5, 5, None), "{whole:?}");

    let books = Arrears::open_with(&path, options()).unwrap();
    books.store().rewrite_as_format_5().unwrap();
    drop(books);
    let first = arrears_store::Store::migrate_in_steps(&path, store, 2, 1).unwrap();
    assert_eq!((first.to, first.accounts, first.resumed_at), (5, 0, None), "{first:?}");
    let rest = arrears_store::Store::migrate_in_steps(&path, store, 2, u64::MAX).unwrap();
    assert_eq!((rest.accounts, rest.resumed_at), (5, Some(quiet[2].0)), "{rest:?}");
    assert!(Arrears::open_with(&path, options()).unwrap().verify().unwrap().is_clean());
}

/// Issue 16 point 1 (format 5): the idempotency records move into their commands' audit
/// entries. A format-4 store migrates in steps stopped after every commit; each key then
/// replays what it replayed before (a retry is no conflict and posts nothing), the feed reads
/// the same commands, and the store verifies and goes on as one never migrated.
#[test]
fn a_format_4_store_moves_its_idempotency_records_into_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    let feed_before = books.changes(0, usize::MAX).unwrap();
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();
    let older = Arrears::open_with(&migrated, options()).unwrap();
    older.store().rewrite_as_format_4().unwrap();
    drop(older);
    let refused = Arrears::open_with(&migrated, options()).unwrap_err();
    assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 4, .. }), "{refused}");

    let store = arrears_store::StoreOptions::default();
    let (mut runs, mut moved, mut rewritten) = (0, 0, 0);
    loop {
        let step = arrears_store::Store::migrate_in_steps(&migrated, store, 3, 1).unwrap();
        runs += 1;
        moved += step.commands;
        rewritten += step.accounts;
        assert!((4..=14).contains(&step.from), "{step:?}");
        if step.to == arrears_store::FORMAT_VERSION {
            break;
        }
        let refused = Arrears::open_with(&migrated, options()).unwrap_err();
        assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 4..=14, .. }));
    }
    // Steps of 30 audit records to format 5, then of 3 accounts to format 6, then one each
    // to 7, 8, 9, 10, 11, 12 and 13, then of 30 audit records to 14 (which move no row: the
    // step to 5 wrote them in the index of format 14), then of 3 accounts to 15.
    let audit_steps = audit_records(&control).div_ceil(30);
    assert_eq!(runs, (audit_steps * 2 + ACCOUNTS.div_ceil(3) * 2 + 7) as u64);
    assert_eq!(moved, commands(&control) as u64);
    assert_eq!(rewritten, 2 * ACCOUNTS as u64);

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let report = after.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(after.changes(0, usize::MAX).unwrap(), feed_before);
    let control = Arrears::open_with(&control, options()).unwrap();
    replays_and_goes_on(&after, &control, &ids);
}

/// Format 9: an audit entry keeps no previous hash of its own (audit record version 4), the
/// reader takes the hash of the entry before. A format-8 store (every entry with its previous
/// hash, record version 3) migrates in commits that rewrite nothing; its old entries and the
/// new ones appended after them read, anchor and verify as one chain.
#[test]
fn a_format_8_store_keeps_its_audit_entries_and_links_the_new_ones_to_them() {
    an_older_store_keeps_its_audit_entries_and_links_the_new_ones_to_them(8);
}

/// Format 10: the chain is hashed once per commit (audit record version 5, the hash in the
/// commit's last entry). A format-9 store (every entry hashed on its own) migrates in one commit
/// that rewrites nothing; its old entries read as they were, and the first commit after links
/// to the last of them.
#[test]
fn a_format_9_store_keeps_its_audit_entries_and_links_its_commits_to_them() {
    an_older_store_keeps_its_audit_entries_and_links_the_new_ones_to_them(9);
}

/// Format 11: a commit's entries are written in chunks, several to a row of `audit`. A
/// format-10 store (every entry in a row of its own) migrates in one commit that rewrites
/// nothing: its entries read as they were, with the same hashes (format 10's chain is format
/// 11's), alone and in the log; the commits after it write chunks again, the chain goes on
/// from the old head, and the store verifies.
#[test]
fn a_format_10_store_keeps_its_audit_rows_and_its_commits_after_write_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    // A commit of several ledger events, whose rows format 11 writes in one chunk.
    let mut batch = books.batch().unwrap();
    for (n, &id) in ids.iter().enumerate().take(3) {
        let due = month(MONTHS) + chrono::Days::new(20);
        let charge = charge_command(id, month(MONTHS), due, 10_00);
        assert!(!batch.execute(&format!("batch:{n}"), &charge).unwrap().outcome.is_rejected());
    }
    batch.commit().unwrap();
    let log = |books: &Arrears| books.store().read().unwrap().audit_log().unwrap();
    let ledger = |books: &Arrears| books.store().read().unwrap().all_ledger_rows().unwrap();
    let entries = log(&books).len();
    let (rows, chunks) = books.store().audit_rows_and_chunks().unwrap();
    assert!(chunks > 0 && rows < entries, "{rows} rows, {chunks} chunks, {entries} entries");
    let ledger_rows = ledger(&books).len();
    let (rows, chunks) = books.store().ledger_rows_and_chunks().unwrap();
    assert!(chunks > 0 && rows < ledger_rows, "{rows} rows, {chunks} chunks, {ledger_rows}");
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();
    let older = Arrears::open_with(&migrated, options()).unwrap();
    older.store().rewrite_as_format_10().unwrap();
    drop(older);
    let refused = Arrears::open_with(&migrated, options()).unwrap_err();
    assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 10, .. }), "{refused}");
    let step = Arrears::migrate(&migrated, options()).unwrap();
    let commands = commands(&control) as u64;
    assert_eq!(
        (step.from, step.to, step.accounts, step.commands, step.steps),
        (10, 15, ACCOUNTS as u64, commands, 5)
    );

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let control = Arrears::open_with(&control, options()).unwrap();
    assert_eq!(after.store().audit_rows_and_chunks().unwrap(), (entries, 0));
    assert_eq!(after.store().ledger_rows_and_chunks().unwrap(), (ledger_rows, 0));
    assert_eq!(log(&after), log(&control));
    assert_eq!(ledger(&after), ledger(&control));
    let old_head = after.audit_head().unwrap().unwrap();
    assert_eq!(go_on(&after, &ids), go_on(&control, &ids));
    let all = log(&after);
    assert_eq!(all, log(&control));
    let (rows, chunks) = after.store().audit_rows_and_chunks().unwrap();
    assert!(chunks > 0 && rows > entries && rows < all.len(), "{rows} rows, {chunks} chunks");
    let read = after.store().read().unwrap();
    for (seq, entry) in (1..).zip(&all) {
        assert_eq!(read.audit_entry(seq).unwrap().as_ref(), Some(entry), "entry {seq}");
    }
    assert_eq!(read.audit_entry(all.len() as u64 + 1).unwrap(), None);
    drop(read);
    assert!(after.check_anchor(&old_head).unwrap());
    assert!(after.check_anchor(&after.audit_head().unwrap().unwrap()).unwrap());
    assert_eq!(after.changes(0, usize::MAX).unwrap(), control.changes(0, usize::MAX).unwrap());
    assert!(after.verify().unwrap().is_clean());
}

/// `log` with the chain taken one record at a time, as formats 1 to 9 took it.
fn chained_per_entry(log: &[arrears_store::AuditEntry]) -> Vec<arrears_store::AuditEntry> {
    let mut prev = [0; 32];
    let mut chained = log.to_vec();
    for entry in &mut chained {
        entry.record.prev_hash = prev;
        entry.hash = arrears_store::chain::group_hash(&prev, [&entry.record]);
        prev = entry.hash;
    }
    chained
}

/// An entry without its hashes, to compare logs whose chains were taken differently.
fn unhashed(entry: &arrears_store::AuditEntry) -> arrears_store::AuditEntry {
    let mut entry = entry.clone();
    entry.record.prev_hash = [0; 32];
    entry.hash = [0; 32];
    entry
}

/// A store of format `format` (8 or 9, written from a store of this build, whose chain is
/// taken again one record at a time) migrates without rewriting its audit entries: they read
/// as that chain, alone and in the log; the commands run after it append entries of format 10,
/// one hash a commit, the first linked to the last old entry's hash; the commits group the
/// same entries as the store never rewritten does; the old head anchors the new chain, and the
/// store verifies.
fn an_older_store_keeps_its_audit_entries_and_links_the_new_ones_to_them(format: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();
    let older = Arrears::open_with(&migrated, options()).unwrap();
    match format {
        8 => older.store().rewrite_as_format_8().unwrap(),
        9 => older.store().rewrite_as_format_9().unwrap(),
        _ => unreachable!("formats 8 and 9"),
    }
    drop(older);
    let refused = Arrears::open_with(&migrated, options()).unwrap_err();
    assert!(
        matches!(refused, arrears::OpenError::NeedsMigration { found, .. } if found == format),
        "{refused}"
    );
    let step = Arrears::migrate(&migrated, options()).unwrap();
    let steps = arrears_store::FORMAT_VERSION - format;
    let commands = commands(&control) as u64;
    assert_eq!(
        (step.from, step.to, step.accounts, step.commands, step.steps),
        (format, arrears_store::FORMAT_VERSION, ACCOUNTS as u64, commands, steps)
    );

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let control = Arrears::open_with(&control, options()).unwrap();
    let log = |books: &Arrears| books.store().read().unwrap().audit_log().unwrap();
    let old_log = chained_per_entry(&log(&control));
    let old_entries = old_log.len() as u64;
    assert_eq!(log(&after), old_log);
    let old_head = after.audit_head().unwrap().unwrap();
    assert_eq!(old_head.hash, old_log.last().unwrap().hash);
    assert_eq!(go_on(&after, &ids), go_on(&control, &ids));
    // The log now holds old entries then new ones: each reads alone as in the log, the first
    // new one linked to the last old one's hash.
    let entries = log(&after);
    let control_entries = log(&control);
    assert_eq!(entries[..old_entries as usize], old_log[..]);
    assert_eq!(
        entries.iter().map(unhashed).collect::<Vec<_>>(),
        control_entries.iter().map(unhashed).collect::<Vec<_>>()
    );
    assert!(entries.len() as u64 > old_entries + 1);
    let read = after.store().read().unwrap();
    for seq in [1, 2, old_entries, old_entries + 1, old_entries + 2, entries.len() as u64] {
        let alone = read.audit_entry(seq).unwrap().unwrap();
        assert_eq!(alone, entries[seq as usize - 1], "entry {seq}");
    }
    assert_eq!(read.audit_entry(entries.len() as u64 + 1).unwrap(), None);
    drop(read);
    let new = &entries[old_entries as usize..];
    assert_eq!(new[0].record.prev_hash, old_head.hash);
    // The new entries group as the control's: by commit.
    let groups = |entries: &[arrears_store::AuditEntry]| {
        entries.chunk_by(|one, next| one.hash == next.hash).map(<[_]>::len).collect::<Vec<_>>()
    };
    assert_eq!(groups(new), groups(&control_entries[old_entries as usize..]));
    assert!(groups(new).iter().any(|&len| len > 1), "{:?}", groups(new));
    assert!(after.check_anchor(&old_head).unwrap());
    let head = after.audit_head().unwrap().unwrap();
    assert_eq!(head.hash, entries.last().unwrap().hash);
    assert!(after.check_anchor(&head).unwrap());
    assert_eq!(after.changes(0, usize::MAX).unwrap(), control.changes(0, usize::MAX).unwrap());
    assert!(after.verify().unwrap().is_clean());
}

/// A format-4 store holding an idempotency record that no command's audit record names (a
/// damaged store: the key could not replay in format 5) is refused by the migration's last
/// step, which writes nothing: the store stays at format 4.
#[test]
fn a_format_4_idempotency_record_without_its_command_stops_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let books = Arrears::create_with(&path, options()).unwrap();
    let id = account(&books, "M-0");
    run(&books, "c:0", &charge_command(id, month(0), month(0) + chrono::Days::new(20), 100_00));
    books.store().rewrite_as_format_4().unwrap();
    let mut txn = books.store().write().unwrap();
    // The record of "c:0" copied under a key that no audit record names.
    txn.raw_copy_format_4_idempotency("c:0", "c:orphan").unwrap();
    txn.commit().unwrap();
    drop(books);
    let error = arrears_store::Store::migrate(&path, arrears_store::StoreOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("\"c:orphan\" is named by no command's audit record"), "{error}");
    let refused = Arrears::open_with(&path, options()).unwrap_err();
    assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 4, .. }), "{refused}");
}

/// Issue 16 (format 14): the idempotency index is keyed by each key's hash and its command's
/// audit sequence, fixed-width rows. A format-13 store (its index by the keys' text) migrates
/// in steps stopped after every commit, each stop a store of format 13 that no open accepts and
/// whose `idempotency_keys` is whole; then every key replays what it replayed before, byte for
/// byte, and the store verifies and goes on as one never migrated.
#[test]
fn a_format_13_store_writes_its_idempotency_index_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    let before = views(&books, &ids);
    let feed_before = books.changes(0, usize::MAX).unwrap();
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();
    let older = Arrears::open_with(&migrated, options()).unwrap();
    older.store().rewrite_as_format_13().unwrap();
    drop(older);

    let store = arrears_store::StoreOptions::default();
    let (mut runs, mut moved) = (0, 0);
    loop {
        let step = arrears_store::Store::migrate_in_steps(&migrated, store, 4, 1).unwrap();
        runs += 1;
        moved += step.commands;
        assert!(matches!(step.from, 13 | 14), "{step:?}");
        if step.to == arrears_store::FORMAT_VERSION {
            break;
        }
        let refused = Arrears::open_with(&migrated, options()).unwrap_err();
        assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 13 | 14, .. }));
    }
    // Steps of 40 audit records to 14, then of 4 accounts to 15.
    assert_eq!(runs, (audit_records(&control).div_ceil(40) + ACCOUNTS.div_ceil(4)) as u64);
    assert_eq!(moved, commands(&control) as u64);
    assert_eq!(commands(&migrated), commands(&control));

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let report = after.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(views(&after, &ids), before);
    assert_eq!(after.changes(0, usize::MAX).unwrap(), feed_before);
    let control = Arrears::open_with(&control, options()).unwrap();
    replays_and_goes_on(&after, &control, &ids);
}

/// Issue 16 point 1: a store of format 14 (each account's record, case and snapshot in the
/// tables `accounts`, `cases` and `snapshots`) migrates to format 15's account rows in steps of
/// 4 accounts stopped after every commit, each stop a store of format 14 that no open accepts;
/// then it reads (views, the change feed), verifies, replays and goes on as one never migrated.
#[test]
fn a_format_14_store_moves_each_account_into_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let (control, migrated) = (dir.path().join("control.redb"), dir.path().join("migrated.redb"));
    let books = Arrears::create_with(&control, options()).unwrap();
    let ids = build(&books);
    let before = views(&books, &ids);
    let feed_before = books.changes(0, usize::MAX).unwrap();
    drop(books);
    std::fs::copy(&control, &migrated).unwrap();
    let older = Arrears::open_with(&migrated, options()).unwrap();
    older.store().rewrite_as_format_14().unwrap();
    drop(older);

    let store = arrears_store::StoreOptions::default();
    let (mut runs, mut moved) = (0, 0);
    loop {
        let step = arrears_store::Store::migrate_in_steps(&migrated, store, 4, 1).unwrap();
        runs += 1;
        moved += step.accounts;
        assert_eq!(step.from, 14, "{step:?}");
        if step.to == arrears_store::FORMAT_VERSION {
            break;
        }
        let refused = Arrears::open_with(&migrated, options()).unwrap_err();
        assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 14, .. }));
    }
    assert_eq!(runs, ACCOUNTS.div_ceil(4) as u64);
    assert_eq!(moved, ACCOUNTS as u64);

    let after = Arrears::open_with(&migrated, options()).unwrap();
    let report = after.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(views(&after, &ids), before);
    assert_eq!(after.changes(0, usize::MAX).unwrap(), feed_before);
    let control = Arrears::open_with(&control, options()).unwrap();
    replays_and_goes_on(&after, &control, &ids);
}

/// A row of a format-13 store's `idempotency_keys` that reaches no command of its key (here the
/// key `c:orphan` pointing at the command of `c:0`) stops the migration to 14 at its last
/// step, which writes nothing: the store stays at format 13, its index as it was.
#[test]
fn a_format_13_index_row_without_its_command_stops_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let books = Arrears::create_with(&path, options()).unwrap();
    let id = account(&books, "M-0");
    run(&books, "c:0", &charge_command(id, month(0), month(0) + chrono::Days::new(20), 100_00));
    let seq = books.store().read().unwrap().idempotency_seq("c:0").unwrap().unwrap();
    books.store().rewrite_as_format_13().unwrap();
    let mut txn = books.store().write().unwrap();
    txn.raw_insert_format_13_idempotency("c:orphan", seq).unwrap();
    txn.commit().unwrap();
    drop(books);
    let error = arrears_store::Store::migrate(&path, arrears_store::StoreOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("\"c:orphan\" is named by no command's audit record"), "{error}");
    let refused = Arrears::open_with(&path, options()).unwrap_err();
    assert!(matches!(refused, arrears::OpenError::NeedsMigration { found: 13, .. }), "{refused}");
    // Nothing of the failed step was written: a second run starts again and stops the same.
    let again = arrears_store::Store::migrate(&path, arrears_store::StoreOptions::default());
    assert_eq!(again.unwrap_err().to_string(), error);
}

/// Keys of commands of every kind (the first charge, a payment, a reversal, the last payment)
/// hold on the migrated store `after` the record they hold on `control`, and a retry of each
/// replays its outcome; then both go on alike, and `after` verifies.
fn replays_and_goes_on(after: &Arrears, control: &Arrears, ids: &[AccountId]) {
    for key in ["c:0:0", "p:3:7", "r:3:0", "p:11:29"] {
        let recorded = after.recorded(key).unwrap().unwrap();
        assert_eq!(Some(&recorded), control.recorded(key).unwrap().as_ref(), "{key}");
        let replay = after.execute(key, &recorded.command).unwrap();
        assert!(replay.replayed, "{key}");
        assert_eq!(replay.outcome, recorded.outcome, "{key}");
    }
    assert_eq!(go_on(after, ids), go_on(control, ids));
    assert!(after.verify().unwrap().is_clean());
}
