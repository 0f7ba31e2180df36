//! Store files written by every format version, kept in tests/fixtures/v{N}/sample.redb: this
//! build must migrate each older one (`Arrears::migrate`; no open migrates), open it and read
//! the same balances.
//! `cargo run -p arrears --example write_fixture` writes the current version's file (only when
//! the format changes on purpose; older files are never rewritten).

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::PathBuf;

use arrears::{Arrears, Durability, FixedClock, Options};
use arrears_store::{Reads, FORMAT_VERSION};

use crate::support::{d, pay};

fn fixture(version: u64) -> PathBuf {
    fixture_file(version, "sample.redb")
}

fn fixture_file(version: u64, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/v{version}/{name}"))
}

fn options() -> Options {
    Options {
        durability: Durability::Immediate,
        clock: Box::new(FixedClock("2026-03-01T00:00:00Z".parse().unwrap())),
        ..Options::default()
    }
}

/// Opens a copy of the fixture of `version` and checks what it holds, that it is now at the
/// current version, and that a new payment continues from the migrated snapshot.
fn open_fixture(version: u64) {
    open_fixture_file(version, "sample.redb");
}

/// [`open_fixture`] of the fixture `name` of `version` (the same store, written by another
/// build of that version).
fn open_fixture_file(version: u64, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("sample.redb");
    std::fs::copy(fixture_file(version, name), &copy).expect("the fixture is missing");
    if version < arrears_store::FORMAT_VERSION {
        let error = Arrears::open_with(&copy, options()).unwrap_err();
        assert!(
            matches!(error, arrears::OpenError::NeedsMigration { found, current, .. } if found == version && current == FORMAT_VERSION),
            "{error}"
        );
        assert!(error.to_string().contains("arrears --db"), "{error}");
        let migration = Arrears::migrate(&copy, options()).unwrap();
        // Formats before 4 rewrite both accounts' ledgers and snapshots, formats 4 and 5 both
        // snapshots (each with its ledger head); every format before 5 moves the idempotency
        // records of the fixture's commands into their audit entries; format 6 only takes the
        // new version (its sequences are read as they are), format 7 only creates the empty
        // case overlay with it, and format 8 keeps its audit entries as they are (each with
        // its previous hash, which the entries appended after the migration leave out); every
        // format before 14 writes the commands' rows of the index of format 14; every format
        // before 15 writes both accounts' rows of `account_rows`.
        let store = arrears_store::Store::open_read_only(&copy, Default::default()).unwrap();
        let rows = store.read().unwrap().account_ids().unwrap().len() as u64;
        drop(store);
        let snapshots = if version < 6 { 2 } else { 0 };
        assert_eq!(
            (migration.from, migration.to, migration.accounts),
            (version, FORMAT_VERSION, snapshots + rows)
        );
        assert_eq!(migration.commands > 0, version < 14, "{migration:?}");
    }
    let twice = Arrears::migrate(&copy, options()).unwrap_err();
    assert!(
        matches!(twice, arrears::MigrateError::AlreadyCurrent { version: FORMAT_VERSION, .. }),
        "{twice}"
    );
    // Snapshots are written compact from format 13 (record version 4), and by a migration
    // from a format before 6, which rewrites them; a store of formats 6 to 12 keeps its rows
    // (version 3) until each account's next write.
    let versions = snapshot_versions(&copy);
    let expected = if (6..13).contains(&version) { 3 } else { 4 };
    assert!(versions.iter().all(|(_, found)| *found == expected), "v{version}: {versions:?}");
    // From format 13 a payment's idempotency record points at its ledger row (a few bytes);
    // before, it holds the outcome, and keeps it through the migration.
    let result = {
        let store = arrears_store::Store::open(&copy, Default::default()).unwrap();
        let read = store.read().unwrap();
        read.idempotency("fx-p1").unwrap().unwrap().result
    };
    assert_eq!(result.len() <= 8 && result[0] == 0xC1, version >= 13, "v{version}: {result:?}");
    let books = Arrears::open_with(&copy, options()).unwrap();
    let first = books.find_account("FX-1").unwrap().unwrap();
    let second = books.find_account("FX-2").unwrap().unwrap();
    // Every account record keeps its debtor's jurisdiction (account record version 3): the
    // migration to format 6 wrote it into the older records.
    let read = books.store().read().unwrap();
    for account in [first, second] {
        let record = read.account_record(account).unwrap().unwrap();
        let debtor = read.debtor(record.account.debtor).unwrap().unwrap();
        assert_eq!(record.debtor_jurisdiction, Some(debtor.jurisdiction), "v{version} {account}");
    }
    drop(read);
    let view = books.account_view(first, d(3, 1)).unwrap();
    assert_eq!(view.total_outstanding_minor, 50_00);
    let view = books.account_view(second, d(3, 1)).unwrap();
    assert_eq!(view.total_outstanding_minor, 50_00);
    assert_eq!(view.aging.days_past_due, 14);
    // Before the last event: the replay, not the snapshot, answers.
    let view = books.account_view(first, d(2, 5)).unwrap();
    assert_eq!(view.total_outstanding_minor, 350_00);
    assert_eq!(books.events(first).unwrap().len(), 3);
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    // A retry of a command recorded by the older version replays; it is no conflict.
    let retry = arrears::Command::Payment {
        account: first,
        effective_on: d(2, 10),
        amount: crate::support::usd(300_00),
        directed_to: None,
    };
    assert!(books.execute("fx-p1", &retry).unwrap().replayed);
    pay(&books, "fx-p3", first, d(3, 2), 20_00);
    // Back-dated before the payment of Feb 20: the whole history is replayed.
    pay(&books, "fx-p4", second, d(2, 18), 10_00);
    assert_eq!(books.account_view(first, d(3, 2)).unwrap().total_outstanding_minor, 30_00);
    assert_eq!(books.account_view(second, d(3, 2)).unwrap().total_outstanding_minor, 40_00);
    assert!(books.verify().unwrap().is_clean());
    drop(books);
    // The accounts just paid have compact snapshots; the others keep theirs, and all verify.
    for (account, found) in snapshot_versions(&copy) {
        let paid = account == first.0 || account == second.0;
        assert_eq!(found, if paid { 4 } else { expected }, "v{version} account {account}");
    }
    let store = arrears_store::Store::open(&copy, arrears_store::StoreOptions::default()).unwrap();
    let found = store.read().unwrap().format_version().unwrap();
    assert_eq!(found, Some(arrears_store::FORMAT_VERSION));
}

/// The record version of each account's snapshot row in the store at `path`.
fn snapshot_versions(path: &std::path::Path) -> Vec<(u64, u8)> {
    let store = arrears_store::Store::open(path, arrears_store::StoreOptions::default()).unwrap();
    store.snapshot_record_versions().unwrap()
}

#[test]
fn version_1_fixture_migrates_with_known_balances() {
    open_fixture(1);
}

#[test]
fn version_2_fixture_migrates_with_known_balances() {
    open_fixture(2);
}

/// The same store written by the last build of format 2 (commit 58395a3 of 2026-12-03, by
/// its own `write_fixture` example), whose snapshot records of version 1 carry one more field,
/// the state's `cold_parts` (always 0), appended without a new record version: a store of
/// that build must migrate as any other of format 2 (it was refused as "1 trailing bytes
/// after the record" before).
#[test]
fn version_2_fixture_of_the_last_format_2_build_migrates_with_known_balances() {
    open_fixture_file(2, "last-format-2-build.redb");
}

#[test]
fn version_3_fixture_migrates_with_known_balances() {
    open_fixture(3);
}

#[test]
fn version_4_fixture_migrates_with_known_balances() {
    open_fixture(4);
}

#[test]
fn version_5_fixture_migrates_with_known_balances() {
    open_fixture(5);
}

#[test]
fn version_6_fixture_migrates_with_known_balances() {
    open_fixture(6);
}

#[test]
fn version_7_fixture_migrates_with_known_balances() {
    open_fixture(7);
}

#[test]
fn version_8_fixture_migrates_with_known_balances() {
    open_fixture(8);
}

#[test]
fn version_9_fixture_migrates_with_known_balances() {
    open_fixture(9);
}

#[test]
fn version_10_fixture_migrates_with_known_balances() {
    open_fixture(10);
}

#[test]
fn version_11_fixture_migrates_with_known_balances() {
    open_fixture(11);
}

/// The fixture of format 12 holds its cycle's commit in chunks (several records in a row, as
/// from format 11), and its snapshots at record version 3.
#[test]
fn version_12_fixture_migrates_with_known_balances() {
    open_fixture(12);
    // The migration to 13 writes the version only: the chunks stay as format 12 wrote them.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("v12.redb");
    std::fs::copy(fixture(12), &copy).unwrap();
    Arrears::migrate(&copy, self::options()).unwrap();
    let store = arrears_store::Store::open_read_only(&copy, Default::default()).unwrap();
    let (rows, chunks) = store.audit_rows_and_chunks().unwrap();
    assert!(chunks > 0 && rows < store.read().unwrap().audit_log().unwrap().len(), "{rows}");
    let (rows, chunks) = store.ledger_rows_and_chunks().unwrap();
    let ledger = store.read().unwrap().all_ledger_rows().unwrap().len();
    assert!(chunks > 0 && rows < ledger, "{rows} rows, {ledger} ledger rows");
    drop(store);
    // Its fourth account was opened with `thirty_360` by format 12: the new rule.
    let books = Arrears::open_read_only(&copy).unwrap();
    let fourth = books.find_account("FX-4").unwrap().unwrap();
    let day_count = books.account(fourth).unwrap().unwrap().terms.interest.unwrap().day_count;
    assert_eq!(day_count, arrears::model::DayCount::Thirty360);
    assert_eq!(last_interest(&books, fourth), 28_60);
}

/// The fixture of format 13: its snapshots are compact (record version 4).
#[test]
fn version_13_fixture_migrates_with_known_balances() {
    open_fixture(13);
}

/// The fixture of format 14: its idempotency index is keyed by the keys' hashes.
#[test]
fn version_14_fixture_migrates_with_known_balances() {
    open_fixture(14);
}

/// The fixture of format 15: each account's record, case and snapshot in one row.
#[test]
fn version_15_fixture_opens_with_known_balances() {
    open_fixture(15);
}

/// A `thirty_360` account with 36% interest: 1,000.00 charged on January 15, 100.00 paid on
/// January 31, interest accrued through February 14. `tests/fixtures/v11/thirty_360.redb` is
/// this history as the last build of format 11 (f10fe88) wrote it for `TH-1`, at the fixture
/// clock's instant (its keys were `th-c1`, `th-p1` and `th-i1`).
fn thirty_360_history(books: &Arrears, reference: &str) -> arrears::ids::AccountId {
    use arrears::model::{DayCount, InterestBase, InterestTerms, Terms};
    let terms = Terms {
        interest: Some(InterestTerms {
            annual_rate: "0.36".parse().unwrap(),
            day_count: DayCount::Thirty360,
            base: InterestBase::OutstandingPrincipal,
            rounding: arrears::money::RoundingRule::HalfEven,
        }),
        ..Terms::default()
    };
    let debtor = crate::support::debtor(books, &format!("D-{reference}"));
    let account = crate::support::account_with(books, debtor, reference, terms, None);
    let key = reference.to_lowercase();
    crate::support::charge(books, &format!("{key}-c1"), account, d(1, 15), d(2, 15), 1_000_00);
    pay(books, &format!("{key}-p1"), account, d(1, 31), 100_00);
    accrue(books, &format!("{key}-i1"), account, d(2, 14), d(3, 1));
    account
}

fn accrue(
    books: &Arrears,
    key: &str,
    account: arrears::ids::AccountId,
    through_on: chrono::NaiveDate,
    due_on: chrono::NaiveDate,
) {
    let command = arrears::Command::AccrueInterest { account, through_on, due_on };
    crate::support::posted(books.execute(key, &command).unwrap().outcome);
}

/// The interest an account's last journal entry posted.
fn last_interest(books: &Arrears, account: arrears::ids::AccountId) -> i64 {
    let ledger = books.ledger(account).unwrap();
    let entry = ledger.last().unwrap();
    entry
        .postings
        .iter()
        .filter(|posting| posting.book == arrears::ledger::Book::InterestIncome)
        .map(|posting| -posting.amount_minor)
        .sum()
}

/// Format 12 counts 30/360 pieces from the period's first day, so a payment on the 31st no
/// longer adds a day. A `thirty_360` account of format 11 keeps the rule its interest was
/// recorded by (`Thirty360ByPiece`): after the migration it verifies clean, its accrual stays
/// 29.50, and its next period is counted by that rule; an account opened after the migration
/// with the same history accrues 28.60.
#[test]
fn a_thirty_360_account_of_format_11_keeps_its_rule_and_new_accounts_take_the_new_one() {
    use arrears::model::DayCount;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("thirty_360.redb");
    std::fs::copy(fixture_file(11, "thirty_360.redb"), &copy).unwrap();
    let migration = Arrears::migrate(&copy, options()).unwrap();
    assert_eq!((migration.from, migration.to), (11, FORMAT_VERSION));
    let books = Arrears::open_with(&copy, options()).unwrap();
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let older = books.find_account("TH-1").unwrap().unwrap();
    let terms =
        |account| books.account(account).unwrap().unwrap().terms.interest.unwrap().day_count;
    assert_eq!(terms(older), DayCount::Thirty360ByPiece);
    assert_eq!(last_interest(&books, older), 29_50);
    // 900.00 from February 15 to March 30 (46 days) and 800.00 from March 31 to April 14
    // (15 days by piece; 14 for the period's own count).
    pay(&books, "th-1-p2", older, d(3, 31), 100_00);
    accrue(&books, "th-1-i2", older, d(4, 14), d(5, 1));
    assert_eq!(last_interest(&books, older), 53_40);
    // A retry of its opening under its key replays only with the rule it was recorded with:
    // `thirty_360` now names the other rule, so that retry is another command.
    let mut opening = books.account(older).unwrap().unwrap();
    let reopen = |terms: arrears::model::Terms| {
        arrears::Command::OpenAccount(arrears::NewAccount {
            external_ref: opening.external_ref.clone(),
            debtor: opening.debtor,
            product: opening.product,
            credit_limit: None,
            currency: opening.currency,
            opened_on: opening.opened_on,
            terms,
        })
    };
    assert!(books.execute("account:TH-1", &reopen(opening.terms.clone())).unwrap().replayed);
    opening.terms.interest.as_mut().unwrap().day_count = DayCount::Thirty360;
    let conflict = books.execute("account:TH-1", &reopen(opening.terms.clone())).unwrap_err();
    assert!(matches!(conflict, arrears::CommandError::IdempotencyConflict { .. }), "{conflict}");

    let newer = thirty_360_history(&books, "TH-2");
    assert_eq!(terms(newer), DayCount::Thirty360);
    assert_eq!(last_interest(&books, newer), 28_60);
    pay(&books, "th-2-p2", newer, d(3, 31), 100_00);
    accrue(&books, "th-2-i2", newer, d(4, 14), d(5, 1));
    assert_eq!(last_interest(&books, newer), 52_60);
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

/// A migration stopped after its first commit (as a kill would stop it) leaves a store of the
/// older format, which no open accepts; the next migration resumes where it stopped.
#[test]
fn a_stopped_migration_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("sample.redb");
    std::fs::copy(fixture(2), &copy).unwrap();
    let store = arrears_store::StoreOptions::default();
    let first = arrears_store::Store::migrate_in_steps(&copy, store, 1, 1).unwrap();
    assert_eq!((first.from, first.to, first.accounts, first.resumed_at), (2, 2, 1, None));
    let error = Arrears::open_with(&copy, options()).unwrap_err();
    assert!(matches!(error, arrears::OpenError::NeedsMigration { found: 2, .. }), "{error}");
    let rest = Arrears::migrate(&copy, options()).unwrap();
    assert_eq!(
        (rest.from, rest.to, rest.accounts, rest.resumed_at),
        // The second snapshot to format 4, then both accounts' rows to format 15.
        (2, FORMAT_VERSION, 3, Some(2))
    );
    let books = Arrears::open_with(&copy, options()).unwrap();
    assert!(books.verify().unwrap().is_clean());
    let first = books.find_account("FX-1").unwrap().unwrap();
    assert_eq!(books.account_view(first, d(3, 1)).unwrap().total_outstanding_minor, 50_00);
}

/// A read-only open never migrates (no open does): the version 1 file is refused with
/// instructions and left byte for byte as it was; the current version's file opens read-only
/// and verifies clean.
#[test]
fn a_read_only_open_reads_the_current_format_and_never_migrates_an_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("v1.redb");
    std::fs::copy(fixture(1), &copy).expect("the fixture is missing");
    let before = std::fs::read(&copy).unwrap();
    let error = Arrears::open_read_only(&copy).unwrap_err();
    assert!(
        matches!(
            error,
            arrears::OpenError::NeedsMigration { found: 1, current: FORMAT_VERSION, .. }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("migrate"), "{error}");
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    let current = dir.path().join("current.redb");
    std::fs::copy(fixture(FORMAT_VERSION), &current).unwrap();
    let books = Arrears::open_read_only(&current).unwrap();
    assert!(books.is_read_only());
    let first = books.find_account("FX-1").unwrap().unwrap();
    assert_eq!(books.account_view(first, d(3, 1)).unwrap().total_outstanding_minor, 50_00);
    assert!(books.verify().unwrap().is_clean());
}

/// A restore from a backup taken before a format-11 `thirty_360` account was opened, replaying
/// the migrated store's own feed, opens it with the rule it was recorded with (the command's
/// stored bytes name the older variant), so its accrual gives the recorded 29.50 and the
/// restore's check of each outcome against the original passes.
#[test]
fn a_restore_replays_a_format_11_thirty_360_account_under_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("thirty_360.redb");
    std::fs::copy(fixture_file(11, "thirty_360.redb"), &copy).unwrap();
    Arrears::migrate(&copy, options()).unwrap();
    let books = Arrears::open_with(&copy, options()).unwrap();
    let empty = Arrears::create_with(dir.path().join("empty.redb"), options()).unwrap();
    let backup = dir.path().join("backup.redb");
    assert_eq!(empty.backup(&backup).unwrap().seq, 0);
    drop(empty);
    let out = dir.path().join("restored.redb");
    let target = arrears::RestoreTarget::Seq(u64::MAX);
    let restored = Arrears::restore(&backup, books.changes_after(0), target, &out).unwrap();
    assert_eq!(restored.commands, 5, "{restored:?}");
    let restored = Arrears::open(&out).unwrap();
    let account = restored.find_account("TH-1").unwrap().unwrap();
    let day_count = restored.account(account).unwrap().unwrap().terms.interest.unwrap().day_count;
    assert_eq!(day_count, arrears::model::DayCount::Thirty360ByPiece);
    assert_eq!(last_interest(&restored, account), 29_50);
    assert!(restored.verify().unwrap().is_clean());
}
