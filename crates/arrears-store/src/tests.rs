//! Opening and creating stores: every refusal is a clear error, never a panic or a silent
//! reinitialisation.

use redb::TableDefinition;

use super::*;
use crate::schema::{Meta, TableId, META_FORMAT_VERSION};

fn options() -> StoreOptions {
    StoreOptions { cache_size_bytes: 1024 * 1024, ..StoreOptions::default() }
}

#[test]
fn create_then_open_reads_the_format_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    drop(Store::create(&path, options()).unwrap());
    let store = Store::open(&path, options()).unwrap();
    assert_eq!(store.read().unwrap().format_version().unwrap(), Some(FORMAT_VERSION));
}

#[test]
fn open_missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let error = Store::open(&dir.path().join("none.redb"), options()).unwrap_err();
    assert!(matches!(error, OpenError::NotFound { .. }));
    assert!(error.to_string().contains("arrears init"));
}

#[test]
fn create_over_existing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    std::fs::write(&path, b"precious").unwrap();
    assert!(matches!(Store::create(&path, options()), Err(OpenError::AlreadyExists { .. })));
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
}

#[test]
fn open_garbage_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    std::fs::write(&path, vec![0xAB; 8192]).unwrap();
    assert!(matches!(Store::open(&path, options()), Err(OpenError::Storage(_))));
}

fn sharing(sharing: Sharing) -> StoreOptions {
    StoreOptions { sharing, ..options() }
}

/// An exclusive handle keeps every other open out, writable or read-only; a single writer
/// keeps other writers out but lets readers in.
#[test]
fn open_twice_is_already_open_unless_shared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let first = Store::create(&path, sharing(Sharing::Exclusive)).unwrap();
    for mode in [Sharing::Exclusive, Sharing::SingleWriter, Sharing::MultiWriter] {
        assert!(matches!(Store::open(&path, sharing(mode)), Err(OpenError::AlreadyOpen { .. })));
    }
    assert!(matches!(Store::open_read_only(&path, options()), Err(OpenError::AlreadyOpen { .. })));
    drop(first);
    let _single = Store::open(&path, sharing(Sharing::SingleWriter)).unwrap();
    for mode in [Sharing::Exclusive, Sharing::SingleWriter, Sharing::MultiWriter] {
        assert!(matches!(Store::open(&path, sharing(mode)), Err(OpenError::AlreadyOpen { .. })));
    }
    assert!(Store::open_read_only(&path, options()).is_ok());
}

/// Two writable handles on one file (redb's locks are per open file, so two handles of one
/// process share it as two processes do): each write transaction begins from the latest commit,
/// whoever made it, so ids continue across handles instead of colliding, and a read-only
/// handle sees every commit.
#[test]
fn multi_writer_handles_continue_each_others_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let first = Store::create(&path, options()).unwrap();
    let second = Store::open(&path, options()).unwrap();
    let reader = Store::open_read_only(&path, options()).unwrap();
    let mut taken = Vec::new();
    for round in 0..6 {
        let store = if round % 2 == 0 { &first } else { &second };
        let mut txn = store.write().unwrap();
        taken.push(txn.next_id(Sequence::Entry).unwrap());
        taken.push(txn.next_id(Sequence::Entry).unwrap());
        txn.commit().unwrap();
        let seen = reader.read().unwrap().format_version().unwrap();
        assert_eq!(seen, Some(FORMAT_VERSION));
        let mut peek = reader.write().err();
        assert!(matches!(peek.take(), Some(StorageError::ReadOnly)));
    }
    assert_eq!(taken, (1..=12).collect::<Vec<u64>>());
}

/// A writer that cannot get the lock within its wait fails with a typed error naming the wait,
/// and writes nothing; once the lock is free it writes.
#[test]
fn a_writer_waits_at_most_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let holder = Store::create(&path, options()).unwrap();
    let waiter = Store::open(&path, StoreOptions { write_wait_ms_max: 30, ..options() }).unwrap();
    let mut held = holder.write().unwrap();
    held.next_id(Sequence::Account).unwrap();
    let error = waiter.write().err().unwrap();
    assert!(matches!(error, StorageError::WriterBusy { waited_ms: 30 }));
    assert!(error.to_string().contains("30 ms"));
    held.commit().unwrap();
    let mut txn = waiter.write().unwrap();
    assert_eq!(txn.next_id(Sequence::Account).unwrap(), 2);
}

/// Threads sharing one handle take turns: one waits while another holds a write transaction,
/// is refused past its bound, and otherwise gets its turn when the other's ends; and many
/// threads writing at once each get every transaction they ask for, ids never repeated.
#[test]
fn threads_of_one_handle_take_turns_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let impatient = StoreOptions { write_wait_ms_max: 20, ..options() };
    let store = Store::create(&dir.path().join("s.redb"), impatient).unwrap();
    let held = store.write().unwrap();
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| store.write().err());
        assert!(matches!(waiter.join().unwrap(), Some(StorageError::WriterBusy { waited_ms: 20 })));
    });
    drop(held);

    let patient = Store::open(&dir.path().join("s.redb"), options()).unwrap();
    drop(store);
    let taken = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..10 {
                    let mut txn = patient.write().unwrap();
                    let id = txn.next_id(Sequence::Entry).unwrap();
                    txn.commit().unwrap();
                    taken.lock().unwrap().push(id);
                }
            });
        }
    });
    let mut taken = taken.into_inner().unwrap();
    taken.sort_unstable();
    assert_eq!(taken, (1..=40).collect::<Vec<u64>>());
}

/// redb refuses non-durable commits where processes share the file; the store says so at open.
#[test]
fn eventual_durability_needs_exclusive_sharing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let eventual = StoreOptions { durability: Durability::Eventual, ..options() };
    let error = Store::create(&path, eventual).unwrap_err();
    assert!(matches!(error, OpenError::EventualNeedsExclusive { .. }));
    assert!(!path.exists() || std::fs::metadata(&path).unwrap().len() == 0);
    let store = Store::create(&path, StoreOptions { sharing: Sharing::Exclusive, ..eventual });
    assert!(store.is_ok());
}

/// A read-only open works on a file without write permission, never changes a byte of it, and
/// refuses writes with a typed error.
#[test]
fn read_only_open_never_writes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let store = Store::create(&path, options()).unwrap();
        let mut txn = store.write().unwrap();
        txn.next_id(Sequence::Debtor).unwrap();
        txn.commit().unwrap();
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&path).unwrap();
    {
        let mut store = Store::open_read_only(&path, options()).unwrap();
        assert!(store.is_read_only());
        assert_eq!(store.read().unwrap().format_version().unwrap(), Some(FORMAT_VERSION));
        assert!(matches!(store.write().err(), Some(StorageError::ReadOnly)));
        assert!(matches!(store.space(), Err(StorageError::ReadOnly)));
        assert!(matches!(store.check_pages(), Err(StorageError::ReadOnly)));
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_plain_redb_file_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(TableDefinition::<u64, u64>::new("other")).unwrap();
            table.insert(1, 2).unwrap();
        }
        txn.commit().unwrap();
    }
    assert!(matches!(Store::open(&path, options()), Err(OpenError::NotAStore { .. })));
}

#[test]
fn newer_and_older_formats_are_refused_with_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    drop(Store::create(&path, options()).unwrap());
    let set_version = |version: u64| {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(Meta::DEFINITION).unwrap();
            meta.insert(META_FORMAT_VERSION, version).unwrap();
        }
        txn.commit().unwrap();
    };
    set_version(FORMAT_VERSION + 1);
    let error = Store::open(&path, options()).unwrap_err();
    assert!(
        matches!(error, OpenError::FormatTooNew { found, supported } if found == FORMAT_VERSION + 1 && supported == FORMAT_VERSION)
    );
    assert!(error.to_string().contains("upgrade Arrears"));
    set_version(0);
    assert!(matches!(Store::open(&path, options()), Err(OpenError::FormatTooOld { found: 0, .. })));
}

/// Ids are kept in the transaction and written to `meta` at commit: the next transaction
/// continues where the committed one stopped, `peek_id` agrees with `next_id`, and each
/// sequence counts on its own.
#[test]
fn sequences_continue_after_commit_and_peek_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
    let mut txn = store.write().unwrap();
    assert_eq!(txn.peek_id(Sequence::Entry).unwrap(), 1);
    for expected in 1..=5 {
        assert_eq!(txn.next_id(Sequence::Entry).unwrap(), expected);
        assert_eq!(txn.peek_id(Sequence::Entry).unwrap(), expected + 1);
    }
    assert_eq!(txn.next_id(Sequence::Obligation).unwrap(), 1);
    txn.commit().unwrap();
    let mut txn = store.write().unwrap();
    assert_eq!(txn.peek_id(Sequence::Entry).unwrap(), 6);
    assert_eq!(txn.next_id(Sequence::Entry).unwrap(), 6);
    assert_eq!(txn.next_id(Sequence::Obligation).unwrap(), 2);
    assert_eq!(txn.next_id(Sequence::Debtor).unwrap(), 1);
    drop(txn);
    drop(store);
    let store = Store::open(&dir.path().join("s.redb"), options()).unwrap();
    let mut txn = store.write().unwrap();
    assert_eq!(txn.next_id(Sequence::Entry).unwrap(), 6, "the dropped transaction took nothing");
    assert_eq!(txn.next_id(Sequence::Obligation).unwrap(), 2);
}

#[test]
fn sequences_start_at_one_and_a_dropped_transaction_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
    {
        let mut txn = store.write().unwrap();
        assert_eq!(txn.next_id(Sequence::Account).unwrap(), 1);
        assert_eq!(txn.next_id(Sequence::Account).unwrap(), 2);
        assert_eq!(txn.claim_external_ref(RefKind::Account, "X", 1).unwrap(), None);
        // Dropped without commit.
    }
    let mut txn = store.write().unwrap();
    assert_eq!(txn.next_id(Sequence::Account).unwrap(), 1);
    assert_eq!(txn.external_ref(RefKind::Account, "X").unwrap(), None);
    assert_eq!(txn.claim_external_ref(RefKind::Account, "X", 1).unwrap(), None);
    assert_eq!(txn.claim_external_ref(RefKind::Account, "X", 2).unwrap(), Some(1));
    // Reference kinds are separate namespaces.
    assert_eq!(txn.claim_external_ref(RefKind::Debtor, "X", 9).unwrap(), None);
    txn.commit().unwrap();
}

/// A format 2 store written before the `plugins` table existed has no such table: a read
/// transaction finds an empty registry instead of failing, and the first write creates it.
#[test]
fn a_store_without_the_plugins_table_reads_an_empty_registry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    drop(Store::create(&path, options()).unwrap());
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let plugins = TableDefinition::<&str, &[u8]>::new("plugins");
        assert!(txn.delete_table(plugins).unwrap());
        txn.commit().unwrap();
    }
    let store = Store::open(&path, options()).unwrap();
    let read = store.read().unwrap();
    assert_eq!(read.plugin_entries().unwrap(), Vec::new());
    assert_eq!(read.plugin_entry("scorecard").unwrap(), None);
    drop(read);
    let entry = PluginEntryRow {
        name: "scorecard".into(),
        source: PluginSourceRow::Builtin { name: "scorecard".into() },
        config: b"card".to_vec(),
        in_process: true,
    };
    let mut write = store.write().unwrap();
    write.put_plugin_entry(&entry).unwrap();
    write.commit().unwrap();
    let read = store.read().unwrap();
    assert_eq!(read.plugin_entries().unwrap(), vec![entry.clone()]);
    assert_eq!(read.plugin_entry("scorecard").unwrap(), Some(entry));
    drop(read);
    let mut write = store.write().unwrap();
    assert!(write.remove_plugin_entry("scorecard").unwrap());
    assert!(!write.remove_plugin_entry("scorecard").unwrap());
    write.commit().unwrap();
    assert_eq!(store.read().unwrap().plugin_entries().unwrap(), Vec::new());
}

#[test]
fn a_store_without_the_work_tables_reads_no_work() {
    use arrears_core::ids::AccountId;
    use arrears_core::work::{Agent, Skills, Team, WorkItem, WorkLogEntry, WorkOutcomeCode};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    drop(Store::create(&path, options()).unwrap());
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        for name in ["teams", "agents"] {
            assert!(txn.delete_table(TableDefinition::<&str, &[u8]>::new(name)).unwrap());
        }
        for name in ["work_items", "work_log"] {
            assert!(txn.delete_table(TableDefinition::<u64, &[u8]>::new(name)).unwrap());
        }
        txn.commit().unwrap();
    }
    let store = Store::open(&path, options()).unwrap();
    let read = store.read().unwrap();
    assert_eq!(read.teams().unwrap(), Vec::new());
    assert_eq!(read.team("t").unwrap(), None);
    assert_eq!(read.agents().unwrap(), Vec::new());
    assert_eq!(read.agent("a").unwrap(), None);
    assert_eq!(read.work_item(AccountId(1)).unwrap(), None);
    assert_eq!(read.work_log().unwrap(), Vec::new());
    drop(read);
    let team = Team { name: "t".into(), skills: Skills::default() };
    let agent = Agent {
        id: "a".into(),
        name: "A".into(),
        teams: vec!["t".into()],
        skills: Skills::default(),
        active: true,
    };
    let item = WorkItem::new(AccountId(1));
    let entry = WorkLogEntry {
        agent: "a".into(),
        team: None,
        account: AccountId(1),
        code: WorkOutcomeCode::Refusal,
        at: "2026-02-02T15:10:00Z".parse().unwrap(),
        promised_minor: 0,
    };
    let mut write = store.write().unwrap();
    write.put_team(&team).unwrap();
    write.put_agent(&agent).unwrap();
    write.put_work_item(&item).unwrap();
    write.append_work_log(&entry).unwrap();
    write.append_work_log(&entry).unwrap();
    write.commit().unwrap();
    let read = store.read().unwrap();
    assert_eq!(read.teams().unwrap(), vec![team]);
    assert_eq!(read.agent("a").unwrap(), Some(agent));
    assert_eq!(read.work_item(AccountId(1)).unwrap(), Some(item));
    assert_eq!(read.work_log().unwrap(), vec![entry.clone(), entry]);
}

/// `WriteTxn::changes` counts what a transaction changed (the engine's check that a refused
/// command wrote nothing relies on it): reads change nothing; a table write, an id taken from
/// a sequence, a config value each count.
#[test]
fn changes_count_what_a_transaction_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
    let mut txn = store.write().unwrap();
    let start = txn.changes();
    assert_eq!(txn.format_version().unwrap(), Some(FORMAT_VERSION));
    assert!(txn.config("policy").unwrap().is_none());
    assert_eq!(txn.changes(), start, "reads change nothing");
    txn.next_id(Sequence::Debtor).unwrap();
    assert_eq!(txn.changes(), start + 1);
    txn.put_config("policy", b"name = \"p\"").unwrap();
    assert!(txn.changes() > start + 1);
}

/// The copy of a store is a store with the same entries: its sequences go on from where the
/// original's were when the copy's snapshot was taken, and later writes to the original are
/// not in it.
#[test]
fn a_copy_holds_every_table_as_of_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::create(&path, options()).unwrap();
    let mut txn = store.write().unwrap();
    assert_eq!(txn.next_id(Sequence::Entry).unwrap(), 1);
    txn.commit().unwrap();
    let copy_path = dir.path().join("copy.redb");
    let file = std::fs::File::create_new(&copy_path).unwrap();
    let snapshot = store.copy_into(file).unwrap();
    assert_eq!(snapshot.format_version().unwrap(), Some(FORMAT_VERSION));
    let mut later = store.write().unwrap();
    assert_eq!(later.next_id(Sequence::Entry).unwrap(), 2);
    later.commit().unwrap();
    let copy = Store::open(&copy_path, options()).unwrap();
    let mut txn = copy.write().unwrap();
    assert_eq!(txn.next_id(Sequence::Entry).unwrap(), 2);
}

/// The review index's rows that a case write leaves behind are removed, and those it adds
/// inserted, at commit, each in one sweep ([`WriteTxn::put_case`], `write_review_rows`). Whatever sequence of case writes, commits
/// and dropped transactions, the index read inside the transaction and after its commit holds
/// exactly each case's next review day.
mod review_index {
    use std::collections::BTreeMap;

    use arrears_core::case::CollectionCase;
    use arrears_core::ids::AccountId;
    use chrono::{Days, NaiveDate};
    use proptest::prelude::*;

    use super::*;
    use crate::CasePlacement;

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Days::new(n)
    }

    /// The case of `account` reviewed next on day `n`.
    fn case(account: u64, n: u64) -> CollectionCase {
        let mut case = crate::codec::tests::case();
        case.account = AccountId(account);
        case.next_review_on = day(n);
        case
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(u64, u64),
        /// The same through `put_case_replacing`.
        PutReplacing(u64, u64),
        /// Where the transaction's next case writes go (format 8's overlay).
        Place(CasePlacement),
        /// The pending rows written before the commit, as a transaction with many does.
        WriteRows,
        /// The cases waiting for their accounts' rows written before the commit (format 15),
        /// as a transaction with many does.
        WriteCases,
        /// An account's snapshot put (dirty until the commit): its case then waits for its row.
        Snapshot(u64),
        /// What the transaction holds of these accounts and has written dropped from its cache
        /// (`WriteTxn::forget`, as the cycle does after each step).
        Forget(Vec<u64>),
        Commit,
        Drop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0_u64..24, 0_u64..6).prop_map(|(account, n)| Op::Put(account, n)),
            2 => (0_u64..24, 0_u64..6).prop_map(|(account, n)| Op::PutReplacing(account, n)),
            2 => prop_oneof![
                Just(CasePlacement::InPlace),
                Just(CasePlacement::Overlay),
                Just(CasePlacement::Settled),
            ]
            .prop_map(Op::Place),
            1 => Just(Op::WriteRows),
            1 => Just(Op::WriteCases),
            2 => (0_u64..24).prop_map(Op::Snapshot),
            2 => proptest::collection::vec(0_u64..24, 0..6).prop_map(Op::Forget),
            2 => Just(Op::Commit),
            1 => Just(Op::Drop),
        ]
    }

    /// Each account's next review day.
    type Model = BTreeMap<u64, u64>;

    /// The rows of the case overlay and of `account_rows` (format 15's home of the cases).
    fn case_table_lens(read: &crate::ReadTxn) -> (u64, u64) {
        use redb::ReadableTableMetadata;

        use crate::txn::TableAccess;
        let len = |table: &dyn ReadableTableMetadata| table.len().map_err(crate::error::from_redb);
        let overlay = read.read_table(crate::schema::CasesOverlay, |table| len(table)).unwrap();
        let cases = read.read_table(crate::schema::AccountRows, |table| len(table)).unwrap();
        (overlay, cases)
    }

    fn check(reads: &impl Reads, model: &Model) -> Result<(), TestCaseError> {
        let mut expected: Vec<(i32, AccountId)> = model
            .iter()
            .map(|(account, n)| (crate::schema::date_key(day(*n)), AccountId(*account)))
            .collect();
        expected.sort();
        prop_assert_eq!(reads.review_index().unwrap(), expected.clone());
        for (as_of, limit) in [(0, usize::MAX), (2, usize::MAX), (5, 3)] {
            let due: Vec<AccountId> = expected
                .iter()
                .filter(|(key, _)| *key <= crate::schema::date_key(day(as_of)))
                .map(|(_, account)| *account)
                .take(limit)
                .collect();
            prop_assert_eq!(reads.due_for_review(day(as_of), limit).unwrap(), due);
        }
        // Each case, whichever table holds it (format 8: the overlay's row shadows the row of
        // `cases`), read alone, all together, and in pages.
        let cases: Vec<CollectionCase> =
            model.iter().map(|(account, n)| case(*account, *n)).collect();
        for account in 0..24 {
            let expected = model.get(&account).map(|n| case(account, *n));
            prop_assert_eq!(reads.case(AccountId(account)).unwrap(), expected);
        }
        prop_assert_eq!(&reads.all_cases().unwrap(), &cases);
        for (after, limit) in [(None, 5), (Some(3), 4), (Some(11), 100), (Some(23), 2)] {
            let page: Vec<CollectionCase> = cases
                .iter()
                .filter(|case| after.is_none_or(|after| case.account.0 > after))
                .take(limit)
                .cloned()
                .collect();
            prop_assert_eq!(reads.cases_after(after.map(AccountId), limit).unwrap(), page);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn the_index_holds_each_case_s_next_review(ops in proptest::collection::vec(op(), 1..60)) {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
            let (mut committed, mut pending) = (Model::new(), Model::new());
            let mut txn = None;
            for op in ops {
                match op {
                    Op::Put(account, n) => {
                        let txn = txn.get_or_insert_with(|| store.write().unwrap());
                        txn.put_case(&case(account, n)).unwrap();
                        pending.insert(account, n);
                        check(txn, &pending)?;
                    }
                    Op::PutReplacing(account, n) => {
                        let txn = txn.get_or_insert_with(|| store.write().unwrap());
                        let mut put = case(account, n);
                        let held = txn.case(AccountId(account)).unwrap();
                        txn.put_case_replacing(&mut put).unwrap();
                        // What comes back is what the transaction held, or the case put.
                        prop_assert_eq!(Some(put), held.or(Some(case(account, n))));
                        pending.insert(account, n);
                        check(txn, &pending)?;
                    }
                    Op::Place(placement) => {
                        let txn = txn.get_or_insert_with(|| store.write().unwrap());
                        txn.place_cases(placement);
                    }
                    Op::WriteRows => {
                        if let Some(txn) = &mut txn {
                            txn.write_review_rows().unwrap();
                            check(txn, &pending)?;
                        }
                    }
                    Op::WriteCases => {
                        if let Some(txn) = &mut txn {
                            txn.write_snapshots().unwrap();
                            let pending_cases =
                                crate::txn::TableAccess::pending_cases(&*txn, 0, usize::MAX);
                            prop_assert!(pending_cases.is_empty());
                            check(txn, &pending)?;
                        }
                    }
                    Op::Snapshot(account) => {
                        let txn = txn.get_or_insert_with(|| store.write().unwrap());
                        let opened = arrears_core::model::Account {
                            id: AccountId(account),
                            ..crate::codec::tests::account()
                        };
                        let state = arrears_core::ledger::AccountState::opening(&opened);
                        txn.put_snapshot(AccountId(account), state).unwrap();
                        check(txn, &pending)?;
                    }
                    Op::Forget(accounts) => {
                        if let Some(txn) = &mut txn {
                            txn.forget(accounts.into_iter().map(AccountId));
                            check(txn, &pending)?;
                        }
                    }
                    Op::Commit => {
                        if let Some(txn) = txn.take() {
                            txn.commit().unwrap();
                        }
                        committed = pending.clone();
                        let read = store.read().unwrap();
                        check(&read, &committed)?;
                        // A commit that grew the overlay past its bound folded it.
                        let (overlay, cases) = case_table_lens(&read);
                        prop_assert!(
                            overlay < crate::write::OVERLAY_FOLD_MIN
                                || overlay * crate::write::OVERLAY_FOLD_RATIO <= cases,
                            "{} in the overlay, {} in cases", overlay, cases
                        );
                    }
                    Op::Drop => {
                        txn = None;
                        pending = committed.clone();
                        check(&store.read().unwrap(), &committed)?;
                    }
                }
            }
        }
    }

    /// Rows to remove far apart, with many rows between them that stay, are removed one by
    /// one (a sweep would walk every row between); rows together are swept. Either way the
    /// index is exact after the commit.
    #[test]
    fn rows_far_apart_and_rows_together_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
        let mut txn = store.write().unwrap();
        for account in 0..1_000 {
            txn.put_case(&case(account, 1)).unwrap();
        }
        txn.commit().unwrap();
        // The first and the last move: 998 rows between them stay.
        let mut txn = store.write().unwrap();
        txn.put_case(&case(0, 3)).unwrap();
        txn.put_case(&case(999, 3)).unwrap();
        txn.commit().unwrap();
        let index = store.read().unwrap().review_index().unwrap();
        assert_eq!(index.len(), 1_000);
        assert_eq!(index[0], (crate::schema::date_key(day(1)), AccountId(1)));
        assert_eq!(index[998], (crate::schema::date_key(day(3)), AccountId(0)));
        // Accounts 100 to 599 move together, as a cycle's batch does.
        let mut txn = store.write().unwrap();
        for account in 100..600 {
            txn.put_case(&case(account, 2)).unwrap();
        }
        txn.commit().unwrap();
        let read = store.read().unwrap();
        assert_eq!(read.due_for_review(day(1), usize::MAX).unwrap().len(), 498);
        assert_eq!(read.due_for_review(day(2), usize::MAX).unwrap().len(), 998);
        assert_eq!(read.review_index().unwrap().len(), 1_000);
    }

    /// A case moved to another day and back within one transaction, whether it was new to the
    /// transaction's index or already in the table, ends up in the index once, on its day.
    #[test]
    fn a_case_moved_away_and_back_in_one_transaction_is_indexed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
        let mut txn = store.write().unwrap();
        txn.put_case(&case(1, 2)).unwrap();
        txn.commit().unwrap();
        let mut txn = store.write().unwrap();
        for (account, days) in [(1, [3, 2]), (2, [4, 5]), (2, [4, 4])] {
            for n in days {
                txn.put_case(&case(account, n)).unwrap();
            }
        }
        txn.put_case(&case(3, 1)).unwrap();
        txn.put_case(&case(3, 2)).unwrap();
        txn.put_case(&case(3, 1)).unwrap();
        let expected = vec![
            (crate::schema::date_key(day(1)), AccountId(3)),
            (crate::schema::date_key(day(2)), AccountId(1)),
            (crate::schema::date_key(day(4)), AccountId(2)),
        ];
        assert_eq!(txn.review_index().unwrap(), expected);
        txn.commit().unwrap();
        assert_eq!(store.read().unwrap().review_index().unwrap(), expected);
    }

    /// Rows inserted between rows that stay, some a few rows apart (the sweep walks to them)
    /// and some far apart (it seeks them afresh), and a run of rows into one gap, all land
    /// where they belong; the transaction's own reads see them before the commit.
    #[test]
    fn rows_inserted_between_rows_that_stay_land_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
        let mut txn = store.write().unwrap();
        for account in (0..1_000).step_by(2) {
            txn.put_case(&case(account, 2)).unwrap();
        }
        txn.commit().unwrap();
        let mut txn = store.write().unwrap();
        // Odd accounts: between even ones, every one (a row apart), then every 98th.
        let odd: Vec<u64> = (1..200).step_by(2).chain((201..1_000).step_by(98)).collect();
        for &account in &odd {
            txn.put_case(&case(account, 2)).unwrap();
        }
        // A run into one gap, after every row of day 2.
        for account in 1_000..1_300 {
            txn.put_case(&case(account, 3)).unwrap();
        }
        let mut expected: Vec<(i32, AccountId)> = (0..1_000)
            .step_by(2)
            .chain(odd.iter().copied())
            .map(|account| (crate::schema::date_key(day(2)), AccountId(account)))
            .chain(
                (1_000..1_300).map(|account| (crate::schema::date_key(day(3)), AccountId(account))),
            )
            .collect();
        expected.sort();
        assert_eq!(txn.review_index().unwrap(), expected);
        assert_eq!(
            txn.due_for_review(day(2), 3).unwrap(),
            [AccountId(0), AccountId(1), AccountId(2)]
        );
        txn.commit().unwrap();
        assert_eq!(store.read().unwrap().review_index().unwrap(), expected);
    }
}

/// `debtors_of` answers in the order asked, whether it walks the table (ids ascending and
/// close together) or looks each account up (ids far apart, or in any other order), and
/// refuses an account that does not exist either way.
#[test]
fn debtors_of_walks_or_looks_up_and_answers_in_order() {
    use arrears_core::ids::{AccountId, DebtorId};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
    let mut txn = store.write().unwrap();
    // Accounts 10, 12, ..., 208 (every other id), of debtors 1 to 7 in turn.
    for n in 0..100_u64 {
        let mut account = crate::codec::tests::account();
        account.id = AccountId(10 + 2 * n);
        account.debtor = DebtorId(1 + n % 7);
        txn.put_account(&account).unwrap();
    }
    txn.commit().unwrap();
    let debtor_of = |id: u64| DebtorId(1 + (id - 10) / 2 % 7);
    let read = store.read().unwrap();
    let asked: [Vec<u64>; 5] = [
        (10..=208).step_by(2).collect(), // every account: walked
        (50..=90).step_by(4).collect(),  // every other one: walked
        vec![10, 208],                   // far apart: looked up
        vec![100, 12, 100, 58],          // in no order, one twice: looked up
        vec![],
    ];
    for ids in asked {
        let accounts: Vec<AccountId> = ids.iter().map(|&id| AccountId(id)).collect();
        let expected: Vec<DebtorId> = ids.iter().map(|&id| debtor_of(id)).collect();
        assert_eq!(read.debtors_of(&accounts).unwrap(), expected, "{ids:?}");
    }
    // 11 lies between two accounts; 300 beyond the last.
    for (ids, missing) in [(vec![10, 11, 12], "11"), (vec![10, 300], "300"), (vec![300], "300")] {
        let accounts: Vec<AccountId> = ids.iter().map(|&id| AccountId(id)).collect();
        let error = read.debtors_of(&accounts).unwrap_err();
        assert!(
            matches!(&error, StorageError::Dangling { table: "account_rows", key } if key == missing),
            "{ids:?}: {error}"
        );
    }
}

/// Each account's record keeps its debtor's jurisdiction (`AccountRecord`), whatever happens
/// to the debtor after the account opened: against a model of debtors and their accounts,
/// over arbitrary sequences of debtors written (moved or not), accounts opened and
/// transactions committed or dropped.
mod account_facts {
    use std::collections::BTreeMap;

    use arrears_core::ids::{AccountId, DebtorId};
    use arrears_core::model::Jurisdiction;
    use proptest::prelude::*;

    use super::options;
    use crate::{Reads, Store};

    #[derive(Debug, Clone)]
    enum Step {
        /// Writes debtor `.0` (new or not) in jurisdiction `.1`, renamed `.2` times.
        PutDebtor(u64, usize, u8),
        /// Opens a new account for debtor `.0`, if it exists.
        Open(u64),
        Commit,
        Drop,
    }

    const PLACES: [(&str, Option<&str>); 4] =
        [("US", None), ("US", Some("MA")), ("US", Some("NY")), ("CO", None)];

    fn place(index: usize) -> Jurisdiction {
        let (country, region) = PLACES[index % PLACES.len()];
        Jurisdiction { country: country.into(), region: region.map(Into::into) }
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (1_u64..5, 0_usize..4, any::<u8>()).prop_map(|(d, p, n)| Step::PutDebtor(d, p, n)),
            4 => (1_u64..5).prop_map(Step::Open),
            2 => Just(Step::Commit),
            1 => Just(Step::Drop),
        ]
    }

    #[derive(Clone, Default)]
    struct Model {
        debtors: BTreeMap<u64, Jurisdiction>,
        accounts: BTreeMap<u64, u64>,
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn each_account_keeps_its_debtor_s_jurisdiction(steps in prop::collection::vec(step(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
            let (mut committed, mut pending) = (Model::default(), Model::default());
            let mut txn = store.write().unwrap();
            let mut next_account = 1;
            for step in steps {
                match step {
                    Step::PutDebtor(id, at, renamed) => {
                        let mut debtor = crate::codec::tests::debtor();
                        debtor.id = DebtorId(id);
                        debtor.name = format!("debtor {id} ({renamed})");
                        debtor.jurisdiction = place(at);
                        txn.put_debtor(&debtor).unwrap();
                        pending.debtors.insert(id, place(at));
                    }
                    Step::Open(debtor) => {
                        if !pending.debtors.contains_key(&debtor) {
                            continue;
                        }
                        let mut account = crate::codec::tests::account();
                        account.id = AccountId(next_account);
                        account.debtor = DebtorId(debtor);
                        next_account += 1;
                        txn.put_account(&account).unwrap();
                        pending.accounts.insert(account.id.0, debtor);
                    }
                    Step::Commit => {
                        txn.commit().unwrap();
                        committed = pending.clone();
                        txn = store.write().unwrap();
                    }
                    Step::Drop => {
                        drop(txn);
                        pending = committed.clone();
                        next_account = committed.accounts.keys().max().map_or(1, |max| max + 1);
                        txn = store.write().unwrap();
                    }
                }
                // Within the transaction, what it wrote.
                for (&account, &debtor) in &pending.accounts {
                    let record = txn.account_record(AccountId(account)).unwrap().unwrap();
                    prop_assert_eq!(record.account.debtor, DebtorId(debtor));
                    prop_assert_eq!(record.debtor_jurisdiction.as_ref(), pending.debtors.get(&debtor));
                }
            }
            txn.commit().unwrap();
            // After it, as committed.
            let read = store.read().unwrap();
            for (&account, &debtor) in &pending.accounts {
                let record = read.account_record(AccountId(account)).unwrap().unwrap();
                prop_assert_eq!(record.debtor_jurisdiction.as_ref(), pending.debtors.get(&debtor));
                prop_assert_eq!(read.account(AccountId(account)).unwrap(), Some(record.account));
            }
        }
    }

    /// A debtor written over a damaged record of itself is written, and its accounts keep its
    /// jurisdiction (rewritten as if it had moved: the former one cannot be read).
    #[test]
    fn a_debtor_written_over_its_damaged_record_keeps_its_accounts_right() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
        let mut txn = store.write().unwrap();
        let mut debtor = crate::codec::tests::debtor();
        txn.put_debtor(&debtor).unwrap();
        let mut account = crate::codec::tests::account();
        account.debtor = debtor.id;
        txn.put_account(&account).unwrap();
        let mut damaged = crate::codec::encode_record(crate::RecordKind::Debtor, &debtor);
        damaged[3] ^= 0x40;
        txn.raw_overwrite("debtors", debtor.id.0, &damaged).unwrap();
        assert!(txn.debtor(debtor.id).is_err());
        debtor.jurisdiction = place(3);
        txn.put_debtor(&debtor).unwrap();
        let record = txn.account_record(account.id).unwrap().unwrap();
        assert_eq!(record.debtor_jurisdiction, Some(place(3)));
        assert_eq!(txn.debtor(debtor.id).unwrap(), Some(debtor));
    }

    /// An account whose debtor does not exist keeps no jurisdiction (a reader then reads the
    /// debtor, and finds none).
    #[test]
    fn an_account_without_its_debtor_keeps_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
        let mut txn = store.write().unwrap();
        txn.put_account(&crate::codec::tests::account()).unwrap();
        let record = txn.account_record(AccountId(3)).unwrap().unwrap();
        assert_eq!(record.debtor_jurisdiction, None);
    }
}

/// Format 6: each account's ledger head lives in its snapshot row. Against a model of the
/// rows each account's chain holds: appends with and without the account's next snapshot,
/// the dirty snapshots written part way, the decoded records handed away, commits and dropped
/// transactions. Inside each transaction the head and the chain are its own; after the last
/// commit a reader sees the committed ones, in the rows and in `ledger_heads`.
/// A payment's event record, number `seq` of its account, for the tests of the ledger log.
fn payment_record(seq: u32) -> arrears_core::ledger::EventRecord {
    use arrears_core::ledger::{Event, EventKind, EventRecord};
    EventRecord {
        event: Event {
            seq: arrears_core::ids::EventSeq(seq),
            effective_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            kind: EventKind::Payment { amount_minor: 100, directed_to: None },
        },
        recorded_at: "2026-01-05T00:00:00Z".parse().unwrap(),
        key: format!("k{seq}"),
    }
}

mod ledger_heads {
    use std::collections::BTreeMap;

    use arrears_core::ids::AccountId;
    use proptest::prelude::*;

    use super::{options, payment_record as record};
    use crate::{Reads, Store};

    #[derive(Debug, Clone)]
    enum Step {
        /// Appends a row to account `.0`'s ledger; with `.1`, puts its next snapshot too.
        Append(u64, bool),
        /// Writes the dirty snapshots now, as a transaction holding too many does.
        Flush,
        Commit,
        Drop,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            8 => (1_u64..5, prop::bool::weighted(0.8)).prop_map(|(a, s)| Step::Append(a, s)),
            1 => Just(Step::Flush),
            2 => Just(Step::Commit),
            1 => Just(Step::Drop),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn each_snapshot_row_keeps_its_account_s_last_log_row(steps in prop::collection::vec(step(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
            let mut txn = store.write().unwrap();
            let accounts: Vec<_> = (1..5)
                .map(|id| {
                    let mut account = crate::codec::tests::account();
                    account.id = AccountId(id);
                    account.external_ref = None;
                    txn.put_account(&account).unwrap();
                    account
                })
                .collect();
            txn.commit().unwrap();
            // Each account's log sequences, in order.
            let (mut committed, mut pending): (BTreeMap<u64, Vec<u64>>, BTreeMap<u64, Vec<u64>>) =
                Default::default();
            let mut txn = store.write().unwrap();
            for step in steps {
                match step {
                    Step::Append(id, with_snapshot) => {
                        let account = &accounts[id as usize - 1];
                        let rows: &mut Vec<u64> = pending.entry(id).or_default();
                        let event = u32::try_from(rows.len()).unwrap() + 1;
                        let state = with_snapshot.then(|| txn.take_account_state(account).unwrap());
                        txn.append_ledger(account.id, &record(event), &[]).unwrap();
                        if let Some(state) = state {
                            txn.put_snapshot(account.id, state).unwrap();
                        }
                        rows.push(txn.peek_id(crate::Sequence::Log).unwrap() - 1);
                    }
                    Step::Flush => txn.write_snapshots().unwrap(),
                    Step::Commit => {
                        txn.commit().unwrap();
                        committed = pending.clone();
                        txn = store.write().unwrap();
                    }
                    Step::Drop => {
                        drop(txn);
                        pending = committed.clone();
                        txn = store.write().unwrap();
                    }
                }
                for account in &accounts {
                    let rows = pending.get(&account.id.0).cloned().unwrap_or_default();
                    prop_assert_eq!(txn.ledger_head(account.id).unwrap(), rows.last().copied());
                    let chain: Vec<u64> =
                        txn.ledger_rows(account.id).unwrap().into_iter().map(|(seq, _)| seq).collect();
                    prop_assert_eq!(chain, rows);
                }
                let heads: Vec<(AccountId, u64)> = pending
                    .iter()
                    .filter_map(|(id, rows)| Some((AccountId(*id), *rows.last()?)))
                    .collect();
                prop_assert_eq!(txn.ledger_heads().unwrap(), heads);
            }
            txn.commit().unwrap();
            let read = store.read().unwrap();
            let heads: Vec<(AccountId, u64)> = pending
                .iter()
                .filter_map(|(id, rows)| Some((AccountId(*id), *rows.last()?)))
                .collect();
            prop_assert_eq!(read.ledger_heads().unwrap(), heads);
            for account in &accounts {
                let rows = pending.get(&account.id.0).cloned().unwrap_or_default();
                prop_assert_eq!(read.ledger_head(account.id).unwrap(), rows.last().copied());
                prop_assert_eq!(read.events(account.id).unwrap().len(), rows.len());
            }
        }
    }
}

/// The log and entry sequences (format 7): a commit whose last ledger row shows them leaves
/// `meta` alone, and every transaction still continues them exactly, never reusing an id.
mod sequences {
    use arrears_core::ids::{AccountId, EntryId, EventSeq};
    use arrears_core::ledger::{EntryKind, JournalEntry};
    use proptest::prelude::*;
    use redb::ReadableTable;

    use super::{options, payment_record as record};
    use crate::schema::Meta;
    use crate::txn::TableAccess;
    use crate::{Reads, Sequence, Store, WriteTxn};

    #[derive(Debug, Clone)]
    enum Step {
        /// Takes `.0` entry ids (held until a row writes them).
        TakeEntries(usize),
        /// Appends a row to account `.0` with up to `.1` of the entry ids held, oldest first.
        Append(u64, usize),
        /// Takes a log id without writing a row.
        TakeLog,
        Commit,
        Drop,
        /// Closes the store and opens it again.
        Reopen,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0_usize..3).prop_map(Step::TakeEntries),
            6 => (1_u64..3, 0_usize..3).prop_map(|(a, n)| Step::Append(a, n)),
            1 => Just(Step::TakeLog),
            3 => Just(Step::Commit),
            1 => Just(Step::Drop),
            1 => Just(Step::Reopen),
        ]
    }

    fn entry(id: u64, account: AccountId, event: u32) -> JournalEntry {
        JournalEntry {
            id: EntryId(id),
            account,
            event: EventSeq(event),
            kind: EntryKind::Original,
            effective_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            recorded_at: "2026-01-05T00:00:00Z".parse().unwrap(),
            postings: crate::codec::tests::postings(),
        }
    }

    fn meta(txn: &WriteTxn, sequence: Sequence) -> u64 {
        txn.read_table(Meta, |meta| {
            Ok(meta.get(sequence.meta_key()).unwrap().map_or(0, |guard| guard.value()))
        })
        .unwrap()
    }

    fn store_with_accounts(path: &std::path::Path) -> Store {
        let store = Store::create(path, options()).unwrap();
        let mut txn = store.write().unwrap();
        for id in 1..3 {
            let mut account = crate::codec::tests::account();
            account.id = AccountId(id);
            account.external_ref = None;
            txn.put_account(&account).unwrap();
        }
        txn.commit().unwrap();
        store
    }

    /// A payment's commit: the row carries the entry it took, so neither sequence is written
    /// to `meta`, and the next transaction reads both from the row.
    #[test]
    fn a_commit_whose_last_row_shows_the_sequences_leaves_meta_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_accounts(&dir.path().join("s.redb"));
        for round in 1..=3_u32 {
            let mut txn = store.write().unwrap();
            let id = txn.next_id(Sequence::Entry).unwrap();
            assert_eq!(id, u64::from(round));
            txn.append_ledger(AccountId(1), &record(round), &[entry(id, AccountId(1), round)])
                .unwrap();
            txn.commit().unwrap();
            let txn = store.write().unwrap();
            assert_eq!((meta(&txn, Sequence::Entry), meta(&txn, Sequence::Log)), (0, 0));
            assert_eq!(txn.peek_id(Sequence::Entry).unwrap(), u64::from(round) + 1);
            assert_eq!(txn.peek_id(Sequence::Log).unwrap(), u64::from(round) + 1);
        }
        // A row that posts nothing hides the last entry id: the commit writes it.
        let mut txn = store.write().unwrap();
        txn.append_ledger(AccountId(2), &record(1), &[]).unwrap();
        txn.commit().unwrap();
        let txn = store.write().unwrap();
        assert_eq!((meta(&txn, Sequence::Entry), meta(&txn, Sequence::Log)), (3, 0));
        assert_eq!(txn.peek_id(Sequence::Entry).unwrap(), 4);
        assert_eq!(txn.peek_id(Sequence::Log).unwrap(), 5);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
        #[test]
        fn the_log_and_entry_sequences_continue_exactly(steps in prop::collection::vec(step(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.redb");
            let mut store = Some(store_with_accounts(&path));
            // The last (entry, log) ids taken, committed and in the open transaction.
            let (mut committed, mut pending) = ((0_u64, 0_u64), (0_u64, 0_u64));
            let mut held: Vec<u64> = Vec::new();
            let mut events = [0_u32; 2];
            let mut txn = Some(store.as_ref().unwrap().write().unwrap());
            for step in steps {
                let open = txn.as_mut().unwrap();
                match step {
                    Step::TakeEntries(n) => {
                        for _ in 0..n {
                            let id = open.next_id(Sequence::Entry).unwrap();
                            prop_assert_eq!(id, pending.0 + 1);
                            pending.0 = id;
                            held.push(id);
                        }
                    }
                    Step::Append(account, n) => {
                        let n = n.min(held.len());
                        let ids: Vec<u64> = held.drain(..n).collect();
                        let slot = &mut events[account as usize - 1];
                        *slot += 1;
                        let entries: Vec<JournalEntry> =
                            ids.iter().map(|&id| entry(id, AccountId(account), *slot)).collect();
                        open.append_ledger(AccountId(account), &record(*slot), &entries).unwrap();
                        pending.1 += 1;
                    }
                    Step::TakeLog => {
                        let id = open.next_id(Sequence::Log).unwrap();
                        pending.1 += 1;
                        prop_assert_eq!(id, pending.1);
                    }
                    Step::Commit => {
                        txn.take().unwrap().commit().unwrap();
                        committed = pending;
                        held.clear();
                        txn = Some(store.as_ref().unwrap().write().unwrap());
                    }
                    Step::Drop => {
                        drop(txn.take());
                        pending = committed;
                        held.clear();
                        txn = Some(store.as_ref().unwrap().write().unwrap());
                    }
                    Step::Reopen => {
                        drop(txn.take());
                        drop(store.take());
                        pending = committed;
                        held.clear();
                        store = Some(Store::open(&path, options()).unwrap());
                        txn = Some(store.as_ref().unwrap().write().unwrap());
                    }
                }
                let open = txn.as_ref().unwrap();
                prop_assert_eq!(open.peek_id(Sequence::Entry).unwrap(), pending.0 + 1);
                prop_assert_eq!(open.peek_id(Sequence::Log).unwrap(), pending.1 + 1);
                let read = store.as_ref().unwrap().read().unwrap();
                prop_assert_eq!(read.stored_sequence(Sequence::Entry).unwrap(), committed.0);
                prop_assert_eq!(read.stored_sequence(Sequence::Log).unwrap(), committed.1);
            }
        }
    }
}

/// redb 4.5's exclusive mode leaves the pages of its post-commit release in the write buffer,
/// and until the next synced commit every read that misses the full cache writes out a
/// buffered page, the running transaction's own included (`Store::write_buffered_pages`).
/// Transactions that read cases scattered over a table larger than the cache and append a
/// few rows each: the disk serves several times as many writes as without the release's
/// pages, which `write_buffered_pages` after each commit writes out. If a redb release stops
/// doing this, the first assertion fails, and the workaround can go.
#[test]
fn buffered_pages_written_after_a_commit_spare_the_next_transactions_pages() {
    use arrears_core::ids::AccountId;
    use arrears_core::work::WorkLogEntry;
    use chrono::DateTime;
    const ACCOUNTS: u64 = 6_000;
    let writes = |write_out: bool| {
        let disk = crate::fault::FaultyDisk::new();
        let options = StoreOptions {
            cache_size_bytes: 256 * 1024,
            sharing: Sharing::Exclusive,
            durability: Durability::Immediate,
            ..StoreOptions::default()
        };
        let store = Store::create_with_backend(&disk, options).unwrap();
        let mut txn = store.write().unwrap();
        for account in 0..ACCOUNTS {
            let mut case = crate::codec::tests::case();
            case.account = AccountId(account);
            txn.put_case(&case).unwrap();
        }
        txn.commit().unwrap();
        disk.set_plan(crate::fault::FaultPlan::default());
        for round in 0..30_u64 {
            let mut txn = store.write().unwrap();
            // Each read between two appends, as the cycle's reviews read and write in turn.
            for n in 0..150 {
                let account = (round * 7_919 + n * 104_729) % ACCOUNTS;
                assert!(txn.case(AccountId(account)).unwrap().is_some());
                let entry = WorkLogEntry {
                    agent: "agent-7".into(),
                    team: None,
                    account: AccountId(n),
                    code: arrears_core::work::WorkOutcomeCode::Promise,
                    at: DateTime::from_timestamp(1_769_904_000 + (round * 150 + n) as i64, 0)
                        .unwrap(),
                    promised_minor: 12_500,
                };
                txn.append_work_log(&entry).unwrap();
            }
            txn.commit().unwrap();
            if write_out {
                store.write_buffered_pages().unwrap();
            }
        }
        let stats = disk.stats();
        (stats.writes, stats.syncs)
    };
    let (left, left_syncs) = writes(false);
    let (written_out, written_out_syncs) = writes(true);
    eprintln!("{written_out} writes with the pages written out, {left} without");
    assert!(
        written_out * 3 < left,
        "{written_out} writes with the pages written out, {left} without"
    );
    // The price: one more sync a commit, the commit of nothing's.
    assert_eq!(written_out_syncs, left_syncs + 30);
    // A handle whose commits are not synced leaves its pages buffered on purpose: nothing.
    let disk = crate::fault::FaultyDisk::new();
    let eventual = StoreOptions {
        sharing: Sharing::Exclusive,
        durability: Durability::Eventual,
        ..StoreOptions::default()
    };
    let store = Store::create_with_backend(&disk, eventual).unwrap();
    disk.set_plan(crate::fault::FaultPlan::default());
    store.write_buffered_pages().unwrap();
    assert_eq!((disk.stats().writes, disk.stats().syncs), (0, 0));
}

/// The records a committed write transaction hands to the next on a handle that is the file's
/// only writer ([`crate::txn::Carried`]).
mod carried {
    use arrears_core::case::CollectionCase;
    use arrears_core::ids::AccountId;

    use super::*;

    fn case(account: u64) -> CollectionCase {
        let mut case = crate::codec::tests::case();
        case.account = AccountId(account);
        case
    }

    fn holds_case(txn: &WriteTxn, account: u64) -> bool {
        txn.cache.borrow().cases.contains_key(&account)
    }

    /// Carried under `Exclusive` and `SingleWriter`, never under `MultiWriter` (another process
    /// may write in between); never from a transaction dropped uncommitted; and what a carried
    /// record says is what the file holds.
    #[test]
    fn only_a_committed_transaction_of_the_only_writer_hands_its_records_on() {
        for (mode, carries) in [
            (Sharing::Exclusive, true),
            (Sharing::SingleWriter, true),
            (Sharing::MultiWriter, false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::create(&dir.path().join("s.redb"), sharing(mode)).unwrap();
            let mut txn = store.write().unwrap();
            txn.put_case(&case(7)).unwrap();
            txn.commit().unwrap();

            let mut txn = store.write().unwrap();
            assert_eq!(holds_case(&txn, 7), carries, "{mode:?}");
            assert_eq!(txn.case(AccountId(7)).unwrap(), Some(case(7)));
            // Changed, then dropped: the next transaction does not see the change.
            let mut changed = case(7);
            changed.broken_promises += 1;
            txn.put_case(&changed).unwrap();
            drop(txn);

            let txn = store.write().unwrap();
            assert!(!holds_case(&txn, 7), "{mode:?}: a dropped transaction hands nothing on");
            assert_eq!(txn.case(AccountId(7)).unwrap(), Some(case(7)), "{mode:?}");
            assert_eq!(store.read().unwrap().case(AccountId(7)).unwrap(), Some(case(7)));
        }
    }

    /// A transaction that wrote rows behind the cache (a test's raw damage) hands nothing on,
    /// so that the next transaction reads the damage as the file holds it.
    #[test]
    fn a_transaction_that_wrote_raw_rows_hands_nothing_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s.redb"), sharing(Sharing::Exclusive)).unwrap();
        let mut txn = store.write().unwrap();
        txn.put_case(&case(3)).unwrap();
        txn.raw_set_sequence(Sequence::Debtor, 9).unwrap();
        assert!(holds_case(&txn, 3), "the transaction still uses its own cache");
        txn.commit().unwrap();
        let txn = store.write().unwrap();
        assert!(!holds_case(&txn, 3));
    }
}

/// Format 14: keys that share a row (the same last 8 bytes and the same hash) each replay their
/// own command. The first to be used keeps the row of `idempotency_index`; the others get rows
/// of their own text in `idempotency_overflow`; a key of that row never used is not found,
/// before the commit and after. (The hashes are given: no test could find keys whose real
/// hashes collide.)
#[test]
fn keys_of_one_hash_each_find_their_own_command() {
    use crate::schema::test_hash;
    for key in ["a:00000001", "b:00000001", "c:00000001", "z:00000001"] {
        test_hash::set(key, 7);
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
    let mut txn = store.write().unwrap();
    let at: chrono::DateTime<chrono::Utc> = "2026-12-07T00:00:00Z".parse().unwrap();
    let mut seqs = Vec::new();
    for key in ["a:00000001", "other", "b:00000001", "c:00000001"] {
        let kind = arrears_core::case::AuditKind::Command { name: "test".into(), key: key.into() };
        let replay = IdempotencyRecord { command: key.as_bytes().to_vec(), result: vec![1] };
        seqs.push((key, txn.append_audit(at, None, kind, Some(replay)).unwrap().seq));
    }
    check_keys(&txn, &seqs);
    txn.commit().unwrap();
    let read = store.read().unwrap();
    check_keys(&read, &seqs);
    let overflow = read.idempotency_overflow().unwrap();
    let expected = vec![("b:00000001".to_owned(), seqs[2].1), ("c:00000001".to_owned(), seqs[3].1)];
    assert_eq!(overflow, expected);
    let index = read.idempotency_index().unwrap();
    let row = (u128::from(u64::from_be_bytes(*b"00000001")) << 64) | 7;
    assert_eq!(crate::idempotency_row("a:00000001"), row);
    assert!(index.contains(&(row, seqs[0].1)) && index.len() == 2, "{index:?}");
}

/// The hash the index of format 14 is keyed by is stored, so it must never change: FNV-1a 64
/// and MurmurHash3's `fmix64` (the figures computed apart, in Python).
#[test]
fn the_idempotency_hash_is_fnv_1a_then_fmix64() {
    assert_eq!(crate::idempotency_hash(""), 0xefd0_1f60_ba99_2926);
    assert_eq!(crate::idempotency_hash("a"), 0x82a2_a958_a9be_ce5b);
    assert_eq!(crate::idempotency_hash("p1"), 0xb849_493b_38a4_039c);
}

/// A row's key is the key's last 8 bytes above its hash, so keys that count up keep their
/// order in the index (a commit's new rows land together), and keys of one tail are told apart
/// by their hashes.
#[test]
fn an_idempotency_row_keeps_keys_that_count_up_in_order() {
    let rows: Vec<u128> = (990..1_010).map(|n| crate::idempotency_row(&format!("p{n}"))).collect();
    assert!(rows.windows(2).all(|pair| pair[0] < pair[1]), "{rows:x?}");
    let long: Vec<u128> =
        (0..20).map(|n| crate::idempotency_row(&format!("payment-2026-12-{n:06}"))).collect();
    assert!(long.windows(2).all(|pair| pair[0] < pair[1]));
    let (a, b) = (crate::idempotency_row("a:00000001"), crate::idempotency_row("b:00000001"));
    assert_eq!(a >> 64, b >> 64);
    assert_ne!(a, b);
    assert_eq!(crate::idempotency_row(""), u128::from(crate::idempotency_hash("")));
    let full = crate::idempotency_row("\u{ff}\u{ff}\u{ff}\u{ff}");
    assert_eq!(
        full >> 64,
        u128::from(u64::from_be_bytes([0xc3, 0xbf, 0xc3, 0xbf, 0xc3, 0xbf, 0xc3, 0xbf]))
    );
}

/// Each key of `seqs` finds its own command's sequence and record; keys never used find none.
fn check_keys(read: &impl Reads, seqs: &[(&str, u64)]) {
    for &(key, seq) in seqs {
        assert_eq!(read.idempotency_seq(key).unwrap(), Some(seq), "{key}");
        assert_eq!(read.idempotency(key).unwrap().unwrap().command, key.as_bytes(), "{key}");
    }
    assert_eq!(read.idempotency_seq("z:00000001").unwrap(), None);
    assert_eq!(read.idempotency_seq("unused").unwrap(), None);
}

/// Format 15's account rows, written as format 14 kept them and migrated back in steps of one
/// account, stopped after every step: each stop a store of format 14 that open refuses, and at
/// the end the rows of `account_rows` byte for byte what they were, a case of no account
/// (a damaged store's) kept in a row of its own, and the three tables of format 14 gone.
#[test]
fn account_rows_written_as_format_14_migrate_back_byte_for_byte() {
    use arrears_core::ids::AccountId;
    use redb::ReadableTable;

    use crate::txn::TableAccess;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let rows = |store: &Store| -> Vec<(u64, Vec<u8>)> {
        let read = store.read().unwrap();
        read.read_table(crate::schema::AccountRows, |table| {
            let rows = table.iter().map_err(crate::error::from_redb)?;
            Ok(rows.map(|row| row.unwrap()).map(|(k, v)| (k.value(), v.value().to_vec())).collect())
        })
        .unwrap()
    };
    let before = {
        let store = Store::create(&path, options()).unwrap();
        let mut txn = store.write().unwrap();
        for id in [3, 5, 9] {
            let account = arrears_core::model::Account {
                id: AccountId(id),
                ..crate::codec::tests::account()
            };
            txn.put_account(&account).unwrap();
            if id != 5 {
                let case = crate::codec::tests::case();
                txn.put_case(&arrears_core::case::CollectionCase {
                    account: AccountId(id),
                    ..case
                })
                .unwrap();
            }
            if id != 9 {
                let state = arrears_core::ledger::AccountState::opening(&account);
                txn.put_snapshot(AccountId(id), state).unwrap();
            }
        }
        // A case of no account.
        let orphan = crate::codec::tests::case();
        txn.put_case(&arrears_core::case::CollectionCase { account: AccountId(7), ..orphan })
            .unwrap();
        txn.commit().unwrap();
        let before = rows(&store);
        assert_eq!(before.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [3, 5, 7, 9]);
        store.rewrite_as_format_14().unwrap();
        assert!(rows(&store).is_empty());
        before
    };
    let mut steps = 0;
    loop {
        let step = Store::migrate_in_steps(&path, options(), 1, 1).unwrap();
        steps += 1;
        assert_eq!(step.from, 14, "{step:?}");
        if step.to == FORMAT_VERSION {
            break;
        }
        assert!(matches!(
            Store::open(&path, options()),
            Err(OpenError::NeedsMigration { found: 14, .. })
        ));
    }
    // One step an account record (3, 5 and 9); the last also writes the orphan's row.
    assert_eq!(steps, 3);
    let store = Store::open(&path, options()).unwrap();
    assert_eq!(rows(&store), before);
    let read = store.read().unwrap();
    for table in crate::schema::TABLES_OF_FORMAT_14 {
        let definition: TableDefinition<u64, &[u8]> = TableDefinition::new(table);
        assert!(read.txn.open_table(definition).is_err(), "{table} is dropped");
    }
    assert_eq!(read.account_ids().unwrap(), [AccountId(3), AccountId(5), AccountId(9)]);
    assert!(read.case(AccountId(7)).unwrap().is_some());
    assert!(read.account(AccountId(7)).unwrap().is_none());
    assert!(read.snapshot(AccountId(9)).unwrap().is_none());
    drop((read, store));
    assert!(matches!(
        Store::migrate(&path, options()),
        Err(MigrateError::AlreadyCurrent { version: 15, .. })
    ));
}

/// Account `id`, as the format-15 row tests write it.
fn row_account(id: u64) -> arrears_core::model::Account {
    arrears_core::model::Account {
        id: arrears_core::ids::AccountId(id),
        ..crate::codec::tests::account()
    }
}

/// Account `id`'s case, next reviewed on March `day`, 2026, as the format-15 row tests write it.
fn row_case(id: u64, day: u32) -> arrears_core::case::CollectionCase {
    arrears_core::case::CollectionCase {
        account: arrears_core::ids::AccountId(id),
        next_review_on: chrono::NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
        ..crate::codec::tests::case()
    }
}

/// `WriteTxn::forget` drops what a write transaction holds of some accounts and has written
/// (a case written at once, a snapshot and records only read), keeps what it has not (a dirty
/// snapshot and its moved head, a case waiting for its row), and every read after it gives
/// what it gave before, in the transaction and once it commits.
#[test]
fn forget_drops_what_a_transaction_wrote_and_keeps_what_it_has_not() {
    use arrears_core::ids::AccountId;
    use arrears_core::ledger::AccountState;

    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
    let (account, case) = (row_account, row_case);
    let mut txn = store.write().unwrap();
    for id in 1..=3 {
        txn.put_account(&account(id)).unwrap();
        txn.put_snapshot(AccountId(id), AccountState::opening(&account(id))).unwrap();
        txn.put_case(&case(id, 1)).unwrap();
    }
    txn.commit().unwrap();

    let mut txn = store.write().unwrap();
    let mut changed = AccountState::opening(&account(2));
    changed.charged_off_on = chrono::NaiveDate::from_ymd_opt(2026, 3, 2);
    txn.put_snapshot(AccountId(2), changed.clone()).unwrap();
    txn.put_case(&case(2, 4)).unwrap();
    txn.put_case(&case(1, 5)).unwrap();
    for id in 1..=3 {
        // Read, so that the transaction holds each.
        txn.case(AccountId(id)).unwrap();
        txn.shared_snapshot(AccountId(id)).unwrap();
        txn.account(AccountId(id)).unwrap();
    }
    let held = |txn: &WriteTxn, id: u64| {
        let cache = txn.cache.borrow();
        (cache.cases.contains_key(&id), cache.snapshots.contains_key(&id))
    };
    assert_eq!(
        (held(&txn, 1), held(&txn, 2), held(&txn, 3)),
        ((true, true), (true, true), (true, true))
    );
    txn.forget([1, 2, 3].map(AccountId));
    // Account 1's case was written at once and its snapshot only read; account 3 only read:
    // dropped. Account 2's snapshot is dirty and its case waits: kept.
    assert_eq!(
        (held(&txn, 1), held(&txn, 2), held(&txn, 3)),
        ((false, false), (true, true), (false, false))
    );
    assert!(txn.cache.borrow().accounts.is_empty());
    let check =
        |read: &dyn Fn(u64) -> (Option<arrears_core::case::CollectionCase>, AccountState)| {
            assert_eq!(read(1), (Some(case(1, 5)), AccountState::opening(&account(1))));
            assert_eq!(read(2), (Some(case(2, 4)), changed.clone()));
            assert_eq!(read(3), (Some(case(3, 1)), AccountState::opening(&account(3))));
        };
    check(&|id| {
        let case = txn.case(AccountId(id)).unwrap();
        (case, (*txn.shared_snapshot(AccountId(id)).unwrap().unwrap()).clone())
    });
    assert_eq!(txn.account(AccountId(3)).unwrap(), Some(account(3)));
    txn.commit().unwrap();
    let read = store.read().unwrap();
    check(&|id| {
        let case = read.case(AccountId(id)).unwrap();
        (case, (*read.shared_snapshot(AccountId(id)).unwrap().unwrap()).clone())
    });
}

/// Format 15: a case put in a write transaction whose account's snapshot it changed waits in
/// the transaction and is written into the account's row at commit, in the same write as the
/// snapshot, once however often it changed; every read of the transaction sees it meanwhile,
/// a scan of the cases included, and a transaction dropped writes nothing. A case alone is
/// written at once. More cases than the transaction holds back are written early, and none is
/// lost.
#[test]
fn a_case_waits_for_its_row_and_is_written_once_with_the_snapshot() {
    use arrears_core::ids::AccountId;
    use arrears_core::ledger::AccountState;
    use redb::ReadableTable;

    use crate::txn::TableAccess;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("s.redb"), options()).unwrap();
    let (account, case) = (row_account, row_case);
    // The case part of an account's row as the file holds it (empty: none).
    let row_case = |txn: &WriteTxn, id: u64| -> Vec<u8> {
        txn.read_table(crate::schema::AccountRows, |table| {
            let row = table.get(id).map_err(crate::error::from_redb)?.unwrap();
            Ok(crate::hot::parse(row.value()).unwrap().case.to_vec())
        })
        .unwrap()
    };
    let mut txn = store.write().unwrap();
    for id in 1..=3 {
        txn.put_account(&account(id)).unwrap();
        txn.put_snapshot(AccountId(id), AccountState::opening(&account(id))).unwrap();
    }
    txn.commit().unwrap();

    let snapshots_before = store.snapshots_written();
    let mut txn = store.write().unwrap();
    let mut state = AccountState::opening(&account(2));
    let charged_off_on = chrono::NaiveDate::from_ymd_opt(2026, 3, 2);
    state.charged_off_on = charged_off_on;
    txn.put_snapshot(AccountId(2), state.clone()).unwrap();
    txn.put_case(&case(2, 4)).unwrap();
    txn.put_case(&case(2, 5)).unwrap();
    txn.put_case(&case(3, 6)).unwrap();
    // Account 2's case is not in its row yet; account 3's, alone, is. Every read of the
    // transaction sees both.
    assert!(row_case(&txn, 2).is_empty());
    assert!(!row_case(&txn, 3).is_empty());
    assert_eq!(txn.pending_cases(0, usize::MAX), [case(2, 5)]);
    assert_eq!(txn.case(AccountId(2)).unwrap(), Some(case(2, 5)));
    assert_eq!(txn.all_cases().unwrap(), [case(2, 5), case(3, 6)]);
    assert_eq!(txn.cases_after(Some(AccountId(2)), 5).unwrap(), [case(3, 6)]);
    assert_eq!(txn.cases_after(None, 1).unwrap(), [case(2, 5)]);
    txn.commit().unwrap();
    // Account 2's snapshot written once, with its case.
    assert_eq!(store.snapshots_written() - snapshots_before, 1);
    let read = store.read().unwrap();
    assert_eq!(read.case(AccountId(2)).unwrap(), Some(case(2, 5)));
    assert_eq!(read.case(AccountId(3)).unwrap(), Some(case(3, 6)));
    assert_eq!(read.snapshot(AccountId(2)).unwrap().unwrap().charged_off_on, charged_off_on);
    assert_eq!(read.case(AccountId(1)).unwrap(), None);
    drop(read);

    // A transaction dropped writes none of its cases.
    let mut txn = store.write().unwrap();
    txn.put_case(&case(1, 9)).unwrap();
    drop(txn);
    assert_eq!(store.read().unwrap().case(AccountId(1)).unwrap(), None);

    // More cases than a transaction holds back: those beyond are written early, all kept.
    let many = crate::txn::TxnCache::DIRTY_MAX as u64 + 10;
    let mut txn = store.write().unwrap();
    for id in 10..10 + many {
        txn.put_account(&account(id)).unwrap();
        txn.put_snapshot(AccountId(id), AccountState::opening(&account(id))).unwrap();
        txn.put_case(&case(id, 1 + (id % 28) as u32)).unwrap();
    }
    assert!(txn.pending_cases(0, usize::MAX).len() < many as usize);
    txn.commit().unwrap();
    let read = store.read().unwrap();
    let cases = read.all_cases().unwrap();
    assert_eq!(cases.len() as u64, many + 2);
    for id in 10..10 + many {
        assert_eq!(read.case(AccountId(id)).unwrap(), Some(case(id, 1 + (id % 28) as u32)));
    }
}
