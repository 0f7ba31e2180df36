//! `Durability::Journaled`: each `execute` is durable through the journal's sync while the
//! store's commit is not synced. On the fault-injecting disks (one for the store, one for the
//! journal): a power loss after acknowledged commits loses none of them (the store's synced
//! image alone lacks them, the replay at open brings them back, exactly); an I/O failure of the
//! journal at any of its writes and syncs fences the store and loses nothing acknowledged; the
//! checkpoint syncs the store and starts the journal again. On real files: the journal's life
//! beside the store, and the opens that refuse.

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use arrears::ids::AccountId;
use arrears::{Arrears, Command, CommandError, Durability, FixedClock, Options, Sharing};
use arrears_store::fault::{FaultPlan, FaultyDisk};
use arrears_store::{Reads, StorageError, Store, StoreOptions};

use crate::support::{account, charge, charge_command, d, posted, usd};

fn options() -> Options {
    Options {
        cache_size_bytes: 4 * 1024 * 1024,
        durability: Durability::Journaled,
        sharing: Sharing::Exclusive,
        clock: Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap())),
        ..Options::default()
    }
}

fn open(disk: &FaultyDisk, journal: &FaultyDisk) -> Arrears {
    Arrears::open_journaled_with_backend(disk, journal, options()).unwrap()
}

/// The store alone, as its synced image holds it, with no journal replayed.
fn open_without_journal(disk: &FaultyDisk) -> Arrears {
    let store_options = StoreOptions { cache_size_bytes: 4 << 20, ..StoreOptions::default() };
    let store = Store::open_with_backend(disk, store_options).unwrap();
    Arrears::from_store(store, Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap())))
}

fn payment(account: AccountId, n: i64) -> Command {
    Command::Payment { account, effective_on: d(2, 1), amount: usd(1_00 + n), directed_to: None }
}

/// Each account's charge: more than all the payments of a test.
const CHARGED: i64 = 1_000_000_00;

/// A store disk with three accounts charged [`CHARGED`] each, all synced, and an empty journal
/// disk.
fn prepared() -> (FaultyDisk, FaultyDisk, Vec<AccountId>) {
    let disk = FaultyDisk::new();
    let store = Store::create_with_backend(&disk, StoreOptions::default()).unwrap();
    let books = Arrears::from_store(
        store,
        Box::new(FixedClock(d(1, 1).and_hms_opt(0, 0, 0).unwrap().and_utc())),
    );
    let ids: Vec<AccountId> = (0..3)
        .map(|i| {
            let id = account(&books, &format!("J{i}"));
            charge(&books, &format!("charge{i}"), id, d(1, 1), d(1, 31), CHARGED);
            id
        })
        .collect();
    drop(books);
    (disk, FaultyDisk::new(), ids)
}

fn balances(books: &Arrears, ids: &[AccountId]) -> Vec<i64> {
    ids.iter()
        .map(|&id| books.account_view(id, d(12, 31)).unwrap().total_outstanding_minor)
        .collect()
}

/// Pays `from..to` until one fails; returns the balances the acknowledged payments imply (from
/// `start`) and the failed payment's number.
fn pay(
    books: &Arrears,
    ids: &[AccountId],
    start: &[i64],
    from: i64,
    to: i64,
) -> (Vec<i64>, Option<i64>) {
    let mut expected = start.to_vec();
    for n in from..to {
        let index = (n % ids.len() as i64) as usize;
        match books.execute(&format!("pay{n}"), &payment(ids[index], n)) {
            Ok(receipt) => {
                assert!(!receipt.replayed && !receipt.outcome.is_rejected(), "pay{n}");
                expected[index] -= 1_00 + n;
            }
            Err(_) => return (expected, Some(n)),
        }
    }
    (expected, None)
}

/// The process dies: nothing of it closes (no checkpoint, no removal of the journal), and
/// the disks keep what was synced.
fn power_loss(books: Arrears, disk: &FaultyDisk, journal: &FaultyDisk) -> (FaultyDisk, FaultyDisk) {
    std::mem::forget(books);
    let survived = (disk.power_loss(), journal.power_loss());
    discard(disk, journal);
    survived
}

/// Frees the images of the disks a forgotten engine keeps alive (about 20 MB a power loss:
/// at a thousand cases of the model test below, the test process ran out of memory).
fn discard(disk: &FaultyDisk, journal: &FaultyDisk) {
    disk.discard();
    journal.discard();
}

#[test]
fn a_power_loss_loses_no_journaled_commit_and_the_replay_is_exact() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    let (expected, failed) = pay(&books, &ids, &start, 0, 60);
    assert_eq!(failed, None);
    // The same payments on a store synced at each commit, for the exact comparison.
    let (reference_disk, _, _) = prepared();
    let reference = open_without_journal(&reference_disk);
    let (reference_expected, _) = pay(&reference, &ids, &start, 0, 60);
    assert_eq!(reference_expected, expected);

    let (disk, journal) = power_loss(books, &disk, &journal);
    // The store's synced image alone does not have them: the journal is what kept them.
    {
        let alone = open_without_journal(&disk.power_loss());
        assert_eq!(balances(&alone, &ids), start, "the store was synced: nothing to replay");
    }
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, &ids), expected);
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    for n in 0..60_i64 {
        let receipt =
            books.execute(&format!("pay{n}"), &payment(ids[(n % 3) as usize], n)).unwrap();
        assert!(receipt.replayed, "pay{n} is there once");
    }
    // Replayed at its recorded time, under its key: the events are those of the reference.
    for &id in &ids {
        let events = |books: &Arrears| {
            books.events(id).unwrap().iter().map(|r| format!("{r:?}")).collect::<Vec<_>>()
        };
        assert_eq!(events(&books), events(&reference));
    }
    // The open synced the replay: a second power loss keeps it with no journal at all.
    drop(books);
    let alone = open_without_journal(&disk.power_loss());
    assert_eq!(balances(&alone, &ids), expected);
}

#[test]
fn a_failed_write_or_sync_of_the_journal_fences_the_store_and_loses_nothing_acknowledged() {
    let mut faults = 0;
    for k in 1..=6_u64 {
        for sync in [false, true] {
            let (disk, journal, ids) = prepared();
            let books = open(&disk, &journal);
            let start = balances(&books, &ids);
            let plan = if sync {
                FaultPlan { fail_sync: Some(k), ..FaultPlan::default() }
            } else {
                FaultPlan { fail_write: Some(k), ..FaultPlan::default() }
            };
            journal.set_plan(plan);
            let (expected, failed) = pay(&books, &ids, &start, 0, 10);
            let failed = failed.expect("the planned fault fails a payment");
            faults += 1;
            // Fenced: every later write is refused, and says why.
            let refused = books.execute("after", &payment(ids[0], 99));
            assert!(
                matches!(refused, Err(CommandError::Storage(StorageError::Fenced { .. }))),
                "k {k} sync {sync}: {refused:?}"
            );
            let (disk, journal) = power_loss(books, &disk, &journal);
            let books = open(&disk, &journal);
            let now = balances(&books, &ids);
            // Every acknowledged payment; the failed one all there or not at all.
            let index = (failed % 3) as usize;
            let mut with_failed = expected.clone();
            with_failed[index] -= 1_00 + failed;
            assert!(
                now == expected || now == with_failed,
                "k {k} sync {sync}: {now:?} {expected:?}"
            );
            assert!(books.verify().unwrap().is_clean());
            // And the store goes on.
            let (_, failed_again) = pay(&books, &ids, &now, 100, 105);
            assert_eq!(failed_again, None);
        }
    }
    assert_eq!(faults, 12);
}

#[test]
fn a_checkpoint_syncs_the_store_and_the_journal_starts_again() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    // Past one checkpoint (every 1,024 journaled commits) and into the next round.
    let (expected, failed) = pay(&books, &ids, &start, 0, 1_100);
    assert_eq!(failed, None);
    let (disk, journal) = power_loss(books, &disk, &journal);
    {
        // The store alone holds the first 1,024 (synced at the checkpoint), not the rest.
        let alone = open_without_journal(&disk.power_loss());
        let (at_checkpoint, _) = {
            let reference_disk = prepared().0;
            let reference = open_without_journal(&reference_disk);
            pay(&reference, &ids, &start, 0, 1_024)
        };
        assert_eq!(balances(&alone, &ids), at_checkpoint);
    }
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, &ids), expected);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn commands_that_ask_plugins_are_synced_in_the_store_not_journaled() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let policy = Command::SetPolicy {
        file: "plain.toml".into(),
        text: "name = \"plain\"\nversion = 1\ncreditor = \"first_party\"\n\n\
               [[stage]]\nname = \"all\"\nmin_dpd = 1\n"
            .into(),
    };
    books.execute("policy", &policy).unwrap().accepted().unwrap();
    books.execute("pay", &payment(ids[0], 0)).unwrap().accepted().unwrap();
    let (disk, journal) = power_loss(books, &disk, &journal);
    // The policy is in the store's synced image; the payment only in the journal.
    let alone = open_without_journal(&disk.power_loss());
    assert!(alone.execute("policy", &policy).unwrap().replayed);
    assert_eq!(balances(&alone, &ids)[0], CHARGED);
    drop(alone);
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, &ids)[0], CHARGED - 1_00);
}

#[test]
fn the_journal_lives_beside_the_store_while_it_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let journal_path = dir.path().join("books.redb.journal");
    let books = Arrears::create_with(&path, options()).unwrap();
    assert!(journal_path.exists());
    let id = account(&books, "L1");
    charge(&books, "charge", id, d(1, 1), d(1, 31), 1_000_00);
    books.execute("pay", &payment(id, 0)).unwrap().accepted().unwrap();
    drop(books);
    assert!(!journal_path.exists(), "a clean close syncs the store and removes the journal");
    // Opened with immediate durability, the store is what the journaled engine left.
    let books = Arrears::open(&path).unwrap();
    assert_eq!(books.account_view(id, d(12, 31)).unwrap().total_outstanding_minor, 1_000_00 - 1_00);
    assert!(!journal_path.exists());
    drop(books);

    // Journaled needs exclusive sharing.
    let shared = Options { sharing: Sharing::MultiWriter, ..options() };
    assert!(matches!(
        Arrears::open_with(&path, shared),
        Err(arrears::OpenError::EventualNeedsExclusive { .. })
    ));
    // A journal with no store is never replayed into a new one.
    let other = dir.path().join("other.redb");
    std::fs::write(dir.path().join("other.redb.journal"), b"anything").unwrap();
    let refused = Arrears::create_with(&other, options());
    assert!(matches!(refused, Err(arrears::OpenError::Journal { .. })), "{refused:?}");
    // A file beside the store that is not a journal is refused, and left alone.
    std::fs::write(&journal_path, b"not a journal at all").unwrap();
    let refused = Arrears::open(&path);
    let Err(arrears::OpenError::Journal { reason, .. }) = refused else { panic!("{refused:?}") };
    assert!(reason.contains("not an Arrears journal"), "{reason}");
    assert!(journal_path.exists());
}

#[test]
fn concurrent_callers_share_journal_records_and_a_power_loss_loses_none_of_them() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    let paid: Vec<(usize, i64)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4_i64)
            .map(|thread| {
                let (books, ids) = (&books, &ids);
                scope.spawn(move || {
                    (0..25_i64)
                        .map(|i| {
                            let n = thread * 100 + i;
                            let index = (n % 3) as usize;
                            let receipt =
                                books.execute(&format!("pay{n}"), &payment(ids[index], n)).unwrap();
                            assert!(!receipt.replayed && !receipt.outcome.is_rejected());
                            (index, 1_00 + n)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads.into_iter().flat_map(|thread| thread.join().unwrap()).collect()
    });
    let mut expected = start.clone();
    for (index, amount) in paid {
        expected[index] -= amount;
    }
    assert_eq!(balances(&books, &ids), expected);
    // Format 10 hashes the audit chain once per commit: the replay runs each record as the one
    // commit it was, so the log and the head an operator may have anchored are the same.
    let log = books.store().read().unwrap().audit_log().unwrap();
    let head = books.audit_head().unwrap().unwrap();
    assert!(log.chunk_by(|one, next| one.hash == next.hash).any(|commit| commit.len() > 1));
    let (disk, journal) = power_loss(books, &disk, &journal);
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, &ids), expected);
    assert!(books.verify().unwrap().is_clean());
    assert_eq!(books.store().read().unwrap().audit_log().unwrap(), log);
    assert!(books.check_anchor(&head).unwrap());
}

/// A clean store beside a journal holding records after its last journaled commit (what a
/// crash leaves, put together on real files from a copy taken before the commits and the
/// journal they wrote): a read-only open refuses it, saying how many records wait; a writable
/// open replays them, exactly, and removes the journal.
#[test]
fn a_pending_journal_on_real_files_is_refused_read_only_and_replayed_writable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let books = Arrears::create_with(&path, options()).unwrap();
    let id = account(&books, "R1");
    charge(&books, "charge", id, d(1, 1), d(1, 31), CHARGED);
    drop(books);
    let before = dir.path().join("before.redb");
    std::fs::copy(&path, &before).unwrap();

    let books = Arrears::open_with(&path, options()).unwrap();
    for n in 0..3 {
        books.execute(&format!("pay{n}"), &payment(id, n)).unwrap().accepted().unwrap();
    }
    // The journal as the three commits left it (synced), before the close checkpoints.
    std::fs::copy(dir.path().join("books.redb.journal"), dir.path().join("before.redb.journal"))
        .unwrap();
    let after = books.account_view(id, d(12, 31)).unwrap().total_outstanding_minor;
    let events = |books: &Arrears| {
        books.events(id).unwrap().iter().map(|r| format!("{r:?}")).collect::<Vec<_>>()
    };
    let expected_events = events(&books);
    drop(books);
    assert_eq!(after, CHARGED - 1_00 - 1_01 - 1_02);

    let refused = Arrears::open_read_only(&before);
    assert!(
        matches!(refused, Err(arrears::OpenError::JournalPending { records: 3, .. })),
        "{refused:?}"
    );
    let books = Arrears::open(&before).unwrap();
    assert_eq!(books.account_view(id, d(12, 31)).unwrap().total_outstanding_minor, after);
    assert_eq!(events(&books), expected_events);
    assert!(books.verify().unwrap().is_clean());
    drop(books);
    assert!(!dir.path().join("before.redb.journal").exists(), "replayed and removed");
    assert!(Arrears::open_read_only(&before).is_ok());
}

/// A backup of a journaled engine holds its commits the store's file does not yet (they are
/// read through the engine, not copied from the file).
#[test]
fn a_backup_of_a_journaled_engine_holds_its_unsynced_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let books = Arrears::create_with(&path, options()).unwrap();
    let id = account(&books, "B1");
    charge(&books, "charge", id, d(1, 1), d(1, 31), CHARGED);
    for n in 0..5 {
        books.execute(&format!("pay{n}"), &payment(id, n)).unwrap().accepted().unwrap();
    }
    let copy = dir.path().join("copy.redb");
    books.backup(&copy).unwrap();
    let expected = books.account_view(id, d(12, 31)).unwrap().total_outstanding_minor;
    let backup = Arrears::open(&copy).unwrap();
    assert_eq!(backup.account_view(id, d(12, 31)).unwrap().total_outstanding_minor, expected);
    assert_eq!(expected, CHARGED - (1_00 + 1_01 + 1_02 + 1_03 + 1_04));
    assert!(backup.verify().unwrap().is_clean());
}

/// A step of the model test.
#[derive(Debug, Clone)]
enum Step {
    /// A payment of `amount` cents to account `account % 3`, one `execute`.
    Pay { account: usize, amount: i64 },
    /// That many payments in one `Batch` (a synced commit).
    Batch(usize),
    /// That many payments in one `execute_all`, then as many again one `execute` each:
    /// journaled commits going on in the parked transaction, nothing read between them (the
    /// books are compared after the next step, so that a power loss finds them parked).
    Calls(usize),
    /// The daily cycle for day `day` of February (synced commits).
    Cycle(u32),
    /// A policy set (not journaled: synced).
    Policy,
    /// One call of a payment that is refused, a replay of the last `Pay` step's key (if there
    /// was one), and a new payment; or, when `alone`, the refusal alone (a group that writes
    /// nothing, whose tentative record stays where the next goes).
    Mixed { alone: bool },
    /// Power lost, torn by `seed` (or clean when `None`); then the journaled open.
    PowerLoss(Option<u64>),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        8 => (0_usize..3, 1_i64..5_000).prop_map(|(account, amount)| Step::Pay { account, amount }),
        1 => (1_usize..4).prop_map(Step::Batch),
        2 => (1_usize..5).prop_map(Step::Calls),
        1 => (2_u32..27).prop_map(Step::Cycle),
        1 => Just(Step::Policy),
        2 => any::<bool>().prop_map(|alone| Step::Mixed { alone }),
        2 => proptest::option::of(any::<u64>()).prop_map(Step::PowerLoss),
    ]
}

/// What the books say: each account's outstanding and its events.
fn books_state(books: &Arrears, ids: &[AccountId]) -> Vec<(i64, Vec<String>)> {
    ids.iter()
        .map(|&id| {
            let outstanding = books.account_view(id, d(12, 31)).unwrap().total_outstanding_minor;
            let events = books.events(id).unwrap().iter().map(|r| format!("{r:?}")).collect();
            (outstanding, events)
        })
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Model: a journaled engine and an engine synced at every commit run the same steps; at
    /// every power loss the journaled one loses its process (nothing closes) and its disks keep
    /// only what was synced, then opens again (replaying its journal). Every acknowledged
    /// write survives: after each step and each recovery both engines' books are the same,
    /// journaled commits (parked or not when the power goes), batches, cycles and policies
    /// interleaved in any order.
    #[test]
    fn a_journaled_engine_recovers_to_exactly_what_it_acknowledged(
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        let (mut disk, mut journal, ids) = prepared();
        let (reference_disk, _, _) = prepared();
        let reference = open_without_journal(&reference_disk);
        let mut books = open(&disk, &journal);
        let mut last_pay: Option<(String, Command)> = None;
        let policy = |n: usize| Command::SetPolicy {
            file: "plain.toml".into(),
            text: format!(
                "name = \"plain\"\nversion = {}\ncreditor = \"first_party\"\n\n\
                 [[stage]]\nname = \"all\"\nmin_dpd = 1\n",
                n + 1
            ),
        };
        for (n, step) in steps.into_iter().enumerate() {
            match step {
                Step::Pay { account, amount } => {
                    let command = Command::Payment {
                        account: ids[account],
                        effective_on: d(2, 1),
                        amount: usd(amount),
                        directed_to: None,
                    };
                    let key = format!("s{n}");
                    let ours = books.execute(&key, &command).unwrap();
                    let theirs = reference.execute(&key, &command).unwrap();
                    proptest::prop_assert_eq!(format!("{:?}", ours.outcome), format!("{:?}", theirs.outcome));
                    last_pay = Some((key, command));
                }
                Step::Mixed { alone } => {
                    let refused = directed(ids[n % 3], arrears::ids::ObligationId(999_999));
                    let mut commands = vec![(format!("s{n}r"), refused)];
                    if !alone {
                        commands.extend(last_pay.clone());
                        commands.push((format!("s{n}p"), payment(ids[(n + 1) % 3], n as i64)));
                    }
                    let ours = books.execute_all(&commands);
                    let theirs = reference.execute_all(&commands);
                    for (ours, theirs) in ours.into_iter().zip(theirs) {
                        let (ours, theirs) = (ours.unwrap(), theirs.unwrap());
                        proptest::prop_assert_eq!(ours.replayed, theirs.replayed);
                        proptest::prop_assert_eq!(format!("{:?}", ours.outcome), format!("{:?}", theirs.outcome));
                    }
                }
                Step::Batch(count) => {
                    for engine in [&books, &reference] {
                        let mut batch = engine.batch().unwrap();
                        for i in 0..count {
                            let command = payment(ids[i % 3], i as i64);
                            batch.execute(&format!("s{n}b{i}"), &command).unwrap().accepted().unwrap();
                        }
                        batch.commit().unwrap();
                    }
                }
                Step::Calls(count) => {
                    for engine in [&books, &reference] {
                        let commands: Vec<(String, Command)> = (0..count)
                            .map(|i| (format!("s{n}a{i}"), payment(ids[i % 3], i as i64 + 7)))
                            .collect();
                        for result in engine.execute_all(&commands) {
                            result.unwrap().accepted().unwrap();
                        }
                        for i in 0..count {
                            let command = payment(ids[(i + 1) % 3], i as i64 + 11);
                            engine.execute(&format!("s{n}e{i}"), &command).unwrap().accepted().unwrap();
                        }
                    }
                    continue;
                }
                Step::Cycle(day) => {
                    books.run_cycle(d(2, day)).unwrap();
                    reference.run_cycle(d(2, day)).unwrap();
                }
                Step::Policy => {
                    books.execute(&format!("s{n}"), &policy(n)).unwrap().accepted().unwrap();
                    reference.execute(&format!("s{n}"), &policy(n)).unwrap().accepted().unwrap();
                }
                Step::PowerLoss(seed) => {
                    std::mem::forget(books);
                    let survived = match seed {
                        Some(seed) => (disk.power_loss_torn(seed), journal.power_loss_torn(seed)),
                        None => (disk.power_loss(), journal.power_loss()),
                    };
                    discard(&disk, &journal);
                    (disk, journal) = survived;
                    books = open(&disk, &journal);
                    proptest::prop_assert!(books.verify().unwrap().is_clean());
                }
            }
            proptest::prop_assert_eq!(books_state(&books, &ids), books_state(&reference, &ids));
        }
        proptest::prop_assert_eq!(books_state(&books, &ids), books_state(&reference, &ids));
    }
}

/// Journaled commits go on in one write transaction, parked in the handle between them
/// (`Store::chain`): a read from another thread, answered after a payment was, sees it; a
/// command that fails without writing leaves the chain as it was, and the payments around it
/// are kept; a synced write of the handle (a batch) commits the parked transaction first, so
/// that after it the store alone holds every payment answered before, with no journal.
#[test]
fn journaled_commits_share_a_transaction_that_reads_and_synced_writes_commit_first() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    let mut expected = start.clone();
    let (paid, answered) = std::sync::mpsc::channel::<(usize, i64)>();
    std::thread::scope(|scope| {
        let (books, ids) = (&books, &ids);
        scope.spawn(move || {
            for n in 0..20_i64 {
                let index = (n % 3) as usize;
                books
                    .execute(&format!("pay{n}"), &payment(ids[index], n))
                    .unwrap()
                    .accepted()
                    .unwrap();
                paid.send((index, 1_00 + n)).unwrap();
            }
        });
        for (index, amount) in answered {
            expected[index] -= amount;
            // Read after the payment was answered, on this thread: it is there (the other
            // thread may have answered more since, so at most what is expected).
            let now = balances(books, ids);
            assert!(now[index] <= expected[index], "payment of {amount} not seen: {now:?}");
        }
    });
    assert_eq!(balances(&books, &ids), expected);

    // The same key for another command: refused with an error, nothing written.
    let conflict = books.execute("pay0", &payment(ids[1], 7));
    assert!(matches!(conflict, Err(CommandError::IdempotencyConflict { .. })), "{conflict:?}");
    books.execute("pay20", &payment(ids[2], 20)).unwrap().accepted().unwrap();
    expected[2] -= 1_00 + 20;
    assert_eq!(balances(&books, &ids), expected);

    // A synced write of the same handle: the parked commits are committed before it, and
    // its sync holds them.
    let mut batch = books.batch().unwrap();
    batch.execute("pay21", &payment(ids[0], 21)).unwrap().accepted().unwrap();
    batch.commit().unwrap();
    expected[0] -= 1_00 + 21;
    let (disk, journal) = power_loss(books, &disk, &journal);
    {
        let alone = open_without_journal(&disk.power_loss());
        assert_eq!(balances(&alone, &ids), expected, "the batch's sync held them all");
        assert!(alone.verify().unwrap().is_clean());
    }
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, &ids), expected);
    assert!(books.verify().unwrap().is_clean());
    discard(&disk, &journal);
}

/// `execute_all` on a journaled engine: each call one record of the journal, the calls going
/// on in one transaction; a power loss keeps every command answered, replayed exactly (the
/// audit log and its anchor are the same), and the store alone has none of them.
#[test]
fn execute_all_journals_each_call_as_one_record_and_a_power_loss_keeps_them() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    let mut expected = start.clone();
    for call in 0..4_i64 {
        let commands: Vec<(String, Command)> = (0..30_i64)
            .map(|i| {
                let n = call * 100 + i;
                let index = (n % 3) as usize;
                expected[index] -= 1_00 + n;
                (format!("pay{n}"), payment(ids[index], n))
            })
            .collect();
        for result in books.execute_all(&commands) {
            result.unwrap().accepted().unwrap();
        }
    }
    let log = books.store().read().unwrap().audit_log().unwrap();
    let head = books.audit_head().unwrap().unwrap();
    // One group of the audit chain a call: 30 entries with one hash.
    assert!(log.chunk_by(|one, next| one.hash == next.hash).any(|commit| commit.len() == 30));
    assert_eq!(balances(&books, &ids), expected);
    let (disk, journal) = power_loss(books, &disk, &journal);
    {
        let alone = open_without_journal(&disk.power_loss());
        assert_eq!(balances(&alone, &ids), start, "only the journal held them");
    }
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, &ids), expected);
    assert!(books.verify().unwrap().is_clean());
    assert_eq!(books.store().read().unwrap().audit_log().unwrap(), log);
    assert!(books.check_anchor(&head).unwrap());
    discard(&disk, &journal);
}

/// Loses power under `books` and opens the disks again: the journal's replay gives `expected`
/// balances and verifies clean.
fn assert_replays_to(
    books: Arrears,
    disk: &FaultyDisk,
    journal: &FaultyDisk,
    ids: &[AccountId],
    expected: &[i64],
) {
    let (disk, journal) = power_loss(books, disk, journal);
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, ids), expected, "the journal's replay");
    assert!(books.verify().unwrap().is_clean());
    discard(&disk, &journal);
}

/// Whether the handle holds journaled commits parked, not yet committed to redb: the chain's
/// next transaction is then the parked one.
fn parked(books: &Arrears) -> bool {
    let mut chain = books.store().chain().unwrap();
    let txn = chain.begin().unwrap();
    let parked = chain.acknowledged();
    chain.put_back(txn);
    parked
}

/// The point reads of a journaled handle read the parked transaction (`Store::view`) and
/// leave it parked: each sees every payment answered before it, with no commit of redb's in
/// between; a scan (`account_ids`) commits it first; a power loss after reads replays the
/// journal to the same books.
#[test]
fn point_reads_of_a_journaled_handle_read_the_parked_transaction_and_leave_it_parked() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let mut expected = balances(&books, &ids);
    assert!(!parked(&books), "nothing journaled yet");
    for n in 0..6_i64 {
        let index = (n % 3) as usize;
        let key = format!("pay{n}");
        books.execute(&key, &payment(ids[index], n)).unwrap().accepted().unwrap();
        expected[index] -= 1_00 + n;
        assert_eq!(balances(&books, &ids), expected, "account_view after payment {n}");
        let events = books.events(ids[index]).unwrap();
        assert_eq!(events.len(), 2 + n as usize / 3, "the charge and the payments");
        assert!(!books.ledger(ids[index]).unwrap().is_empty());
        assert_eq!(books.account(ids[index]).unwrap().unwrap().id, ids[index]);
        assert!(books.case(ids[index]).is_ok());
        let recorded = books.recorded(&key).unwrap().expect("recorded");
        assert!(matches!(recorded.command, Command::Payment { .. }));
        assert!(books.recorded("no such key").unwrap().is_none());
        assert!(parked(&books), "the reads after payment {n} committed nothing");
    }
    assert_eq!(books.account_ids().unwrap(), ids);
    assert!(!parked(&books), "a scan commits the parked transaction first");
    books.execute("pay6", &payment(ids[0], 6)).unwrap().accepted().unwrap();
    expected[0] -= 1_00 + 6;
    assert_eq!(balances(&books, &ids), expected);
    assert!(parked(&books));

    assert_replays_to(books, &disk, &journal, &ids, &expected);
}

/// Two reader threads and a writer on one journaled handle: every payment the writer was
/// answered for is seen by the next read of either reader (read-your-writes across threads,
/// whichever transaction the read lands in), nothing deadlocks, and a power loss afterwards
/// replays to the same books.
#[test]
fn readers_and_a_writer_of_a_journaled_handle_see_every_answered_payment() {
    // What payments 0 .. count (`payment(ids[n % 3], n)`) paid to account `index`.
    let paid_to = |index: usize, count: i64| {
        (0..count).filter(|n| n % 3 == index as i64).map(|n| 1_00 + n).sum::<i64>()
    };
    use std::sync::atomic::{AtomicI64, Ordering};
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    // The number of payments answered so far (their keys are pay0 .. pay{answered - 1}).
    let answered = AtomicI64::new(0);
    let payments = 120_i64;
    std::thread::scope(|scope| {
        let (books, ids, answered, start) = (&books, &ids, &answered, &start);
        for reader in 0..2_usize {
            scope.spawn(move || loop {
                let seen = answered.load(Ordering::Acquire);
                if seen > 0 {
                    let key = format!("pay{}", seen - 1);
                    assert!(books.recorded(&key).unwrap().is_some(), "{key} not seen");
                    let index = ((seen - 1) % 3) as usize;
                    let view = books.account_view(ids[index], d(12, 31)).unwrap();
                    let paid = paid_to(index, seen);
                    assert!(view.total_outstanding_minor <= start[index] - paid, "reader {reader}");
                }
                if seen == payments {
                    break;
                }
            });
        }
        for n in 0..payments {
            books
                .execute(&format!("pay{n}"), &payment(ids[(n % 3) as usize], n))
                .unwrap()
                .accepted()
                .unwrap();
            answered.store(n + 1, Ordering::Release);
        }
    });
    let expected: Vec<i64> = (0..3).map(|index| start[index] - paid_to(index, payments)).collect();
    assert_eq!(balances(&books, &ids), expected);
    assert_replays_to(books, &disk, &journal, &ids, &expected);
}

/// A payment directed at obligation `obligation` of `account`, for a few cents.
fn directed(account: AccountId, obligation: arrears::ids::ObligationId) -> Command {
    Command::Payment {
        account,
        effective_on: d(2, 1),
        amount: usd(3_00),
        directed_to: Some(obligation),
    }
}

/// A journaled group writes its record before its commands run (tentative, synced while they
/// run: journal.rs). A group none of whose commands wrote leaves that record where the next
/// goes; when the store then goes on (a synced write of the handle), a power loss must not
/// replay it: here the refused payment, directed at an obligation that did not exist yet,
/// would be made if it ran again after the charge that created the obligation.
#[test]
fn a_group_that_wrote_nothing_is_not_replayed_after_the_store_went_on_past_it() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let first = charge(&books, "charge-a", ids[0], d(1, 2), d(2, 2), 50_00);
    let next = arrears::ids::ObligationId(first.0 + 1);
    let refused = books.execute("early", &directed(ids[0], next)).unwrap();
    assert!(refused.outcome.is_rejected(), "{:?}", refused.outcome);
    // A synced write: the obligation the refused payment named now exists.
    let mut batch = books.batch().unwrap();
    let created = batch.execute("charge-b", &charge_command(ids[0], d(1, 2), d(2, 2), 70_00));
    assert_eq!(posted(created.unwrap().outcome).obligation, Some(next));
    batch.commit().unwrap();
    let expected = balances(&books, &ids);
    let (disk, journal) = power_loss(books, &disk, &journal);
    let books = open(&disk, &journal);
    assert_eq!(balances(&books, &ids), expected, "the refused payment was not made");
    assert!(books.verify().unwrap().is_clean());
    // Its key was never used: the same command is made now.
    let made = books.execute("early", &directed(ids[0], next)).unwrap();
    assert!(!made.replayed && !made.outcome.is_rejected(), "{:?}", made.outcome);
    discard(&disk, &journal);
}

/// Groups whose commands did not all write (a replay of a key used before, a refusal, first
/// in the group or among payments that wrote) commit an exact record of those that wrote over
/// their tentative one: a power loss keeps every payment made, once, and the next open finds
/// nothing to replay twice.
#[test]
fn groups_with_replays_and_refusals_are_journaled_exactly_and_a_power_loss_keeps_them() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let mut expected = balances(&books, &ids);
    books.execute("pay0", &payment(ids[0], 0)).unwrap().accepted().unwrap();
    expected[0] -= 1_00;
    let nowhere = arrears::ids::ObligationId(999_999);
    for call in 1..5_i64 {
        let mut commands = vec![
            (format!("pay{}", call - 1), payment(ids[((call - 1) % 3) as usize], call - 1)),
            (format!("refused{call}"), directed(ids[1], nowhere)),
        ];
        if call % 2 == 0 {
            // The refusal first.
            commands.swap(0, 1);
        }
        commands.push((format!("pay{call}"), payment(ids[(call % 3) as usize], call)));
        expected[(call % 3) as usize] -= 1_00 + call;
        let results = books.execute_all(&commands);
        let receipts: Vec<_> = results.into_iter().map(Result::unwrap).collect();
        let replayed = usize::from(call % 2 == 0);
        assert!(receipts[replayed].replayed, "call {call}");
        assert!(receipts[1 - replayed].outcome.is_rejected(), "call {call}");
        assert!(!receipts[2].replayed && !receipts[2].outcome.is_rejected(), "call {call}");
    }
    // A lone replay and a lone refusal: groups that write nothing.
    assert!(books.execute("pay4", &payment(ids[1], 4)).unwrap().replayed);
    assert!(books.execute("refused9", &directed(ids[2], nowhere)).unwrap().outcome.is_rejected());
    assert_eq!(balances(&books, &ids), expected);
    assert_replays_to(books, &disk, &journal, &ids, &expected);
}

/// A group cut off between its tentative record and the exact record written over it (a
/// refusal among its commands; the exact record's sync fails, so the callers are told it may or
/// may not have been made): whatever part of either write reached the disk, the next open
/// replays the acknowledged payments and this group's payment wholly or not at all, refusing
/// the refused command again (a tentative record replays as its group ran).
#[test]
fn a_group_cut_off_between_its_tentative_and_its_exact_record_replays_wholly_or_not_at_all() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    let (expected, failed) = pay(&books, &ids, &start, 0, 4);
    assert_eq!(failed, None);
    journal.set_plan(FaultPlan { fail_sync: Some(1), ..FaultPlan::default() });
    let nowhere = arrears::ids::ObligationId(999_999);
    let commands = vec![
        ("refused".to_owned(), directed(ids[1], nowhere)),
        ("cut".to_owned(), payment(ids[2], 50)),
    ];
    for result in books.execute_all(&commands) {
        assert!(matches!(result, Err(CommandError::Storage(StorageError::Fenced { .. }))));
    }
    std::mem::forget(books);
    let mut with_cut = expected.clone();
    with_cut[2] -= 1_00 + 50;
    let mut outcomes = [0; 2];
    let mut tentative_replayed = 0;
    for n in 0..24_u64 {
        // Seeds spread over the bits (the torn write-back's choice of the first pending write
        // depends on the seed's higher bits).
        let seed = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let (disk, journal) = (disk.power_loss_torn(seed), journal.power_loss_torn(seed));
        // The tentative record alone reached the disk (the exact one, written over it, has
        // no "refused" key).
        let tentative_only = !journal.find(b"refused").is_empty();
        let books = open(&disk, &journal);
        let now = balances(&books, &ids);
        assert!(now == expected || now == with_cut, "seed {seed}: {now:?}");
        outcomes[usize::from(now == with_cut)] += 1;
        tentative_replayed += usize::from(tentative_only && now == with_cut);
        assert!(books.verify().unwrap().is_clean(), "seed {seed}");
        // The refused command was not made: its key is free, and it is refused again.
        let again = books.execute("refused", &directed(ids[1], nowhere)).unwrap();
        assert!(!again.replayed && again.outcome.is_rejected(), "seed {seed}");
        drop(books);
        discard(&disk, &journal);
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "both outcomes reached: {outcomes:?}");
    assert!(tentative_replayed > 0, "a tentative record alone replayed");
    discard(&disk, &journal);
}

/// A recovery that fails part way (the store's or the journal's disk failing at its k-th
/// read, write or sync while the open replays the journal: a bad sector, a full disk, a disk
/// that went away) fails the open, says so, and leaves nothing half done: the next open, in
/// the same process on what the disks read now or after a power loss on what they synced,
/// replays every record, exact and tentative, to the balances the callers were answered, and
/// the books verify clean. The open's cache is small, so that redb reads pages back and writes
/// some out early (its best-effort writes may fail without failing the open: it writes them
/// again later). A failed read of a page a replayed command needs fails that command with a
/// storage error, which must fail the replay, not leave the acknowledged command out.
#[test]
fn a_recovery_that_fails_part_way_is_run_again_whole_by_the_next_open() {
    let (disk, journal, ids) = prepared();
    let books = open(&disk, &journal);
    let start = balances(&books, &ids);
    // Tentative records (groups whose commands all wrote) and exact ones (a refusal among them).
    let (mut expected, failed) = pay(&books, &ids, &start, 0, 30);
    assert_eq!(failed, None);
    let nowhere = arrears::ids::ObligationId(999_999);
    for n in 100..103_i64 {
        let commands = vec![
            (format!("refused{n}"), directed(ids[0], nowhere)),
            (format!("pay{n}"), payment(ids[(n % 3) as usize], n)),
        ];
        let receipts: Vec<_> =
            books.execute_all(&commands).into_iter().map(Result::unwrap).collect();
        assert!(receipts[0].outcome.is_rejected() && !receipts[1].outcome.is_rejected());
        expected[(n % 3) as usize] -= 1_00 + n;
    }
    let (disk, journal) = power_loss(books, &disk, &journal);
    let images = (disk.image(), journal.image());
    discard(&disk, &journal);
    // The store's synced image alone lacks the payments: the open replays them.
    let lacking = open_without_journal(&FaultyDisk::from_image(images.0.clone()));
    assert_eq!(balances(&lacking, &ids), start);
    drop(lacking);
    let small_cache = || Options { cache_size_bytes: 16 * 1024, ..options() };
    let copies =
        || (FaultyDisk::from_image(images.0.clone()), FaultyDisk::from_image(images.1.clone()));
    // The operations of an open that does not fail, on each disk.
    let (disk, journal) = copies();
    let books = Arrears::open_journaled_with_backend(&disk, &journal, small_cache()).unwrap();
    let counted = [disk.stats(), journal.stats()];
    assert_eq!(balances(&books, &ids), expected);
    drop(books);
    discard(&disk, &journal);
    let (mut failed_opens, mut replays_failed) = (0, 0);
    for (on_journal, stats) in [false, true].into_iter().zip(counted) {
        let plans = [
            (stats.reads, FaultPlan { fail_read: Some(0), ..FaultPlan::default() }),
            (stats.writes, FaultPlan { fail_write: Some(0), ..FaultPlan::default() }),
            (stats.syncs, FaultPlan { fail_sync: Some(0), ..FaultPlan::default() }),
        ];
        for (count, plan) in plans {
            // Every operation up to 24; beyond, 24 spread over them.
            let ks: Vec<u64> = if count <= 24 {
                (1..=count).collect()
            } else {
                (0..24).map(|i| 1 + i * (count - 1) / 23).collect()
            };
            for k in ks {
                let plan = FaultPlan {
                    fail_read: plan.fail_read.map(|_| k),
                    fail_write: plan.fail_write.map(|_| k),
                    fail_sync: plan.fail_sync.map(|_| k),
                    ..plan
                };
                for after_power_loss in [false, true] {
                    let (disk, journal) = copies();
                    let faulty = if on_journal { &journal } else { &disk };
                    faulty.set_plan(plan);
                    let what = format!("{plan:?} on the journal {on_journal}");
                    let (disk, journal) = match Arrears::open_journaled_with_backend(
                        &disk,
                        &journal,
                        small_cache(),
                    ) {
                        Ok(books) => {
                            // A best-effort write of redb's, failed and written again; a
                            // failed read or sync is never passed over.
                            let fired = faulty.fired();
                            assert!(plan.fail_write.is_some() || !fired, "{what}: swallowed");
                            faulty.set_plan(FaultPlan::default());
                            assert_eq!(balances(&books, &ids), expected, "{what}");
                            assert!(books.verify().unwrap().is_clean(), "{what}");
                            drop(books);
                            discard(&disk, &journal);
                            continue;
                        }
                        Err(error) => {
                            assert!(faulty.fired(), "{what}: {error}");
                            replays_failed +=
                                usize::from(error.to_string().contains("replaying record"));
                            failed_opens += 1;
                            faulty.set_plan(FaultPlan::default());
                            if after_power_loss {
                                let survived = (disk.power_loss(), journal.power_loss());
                                discard(&disk, &journal);
                                survived
                            } else {
                                (disk, journal)
                            }
                        }
                    };
                    let books = open(&disk, &journal);
                    let now = balances(&books, &ids);
                    assert_eq!(now, expected, "{what} power loss {after_power_loss}");
                    assert!(books.verify().unwrap().is_clean(), "{what}");
                    // The refused commands were not made: their keys are free.
                    let again = books.execute("refused100", &directed(ids[0], nowhere)).unwrap();
                    assert!(!again.replayed && again.outcome.is_rejected(), "{what}");
                    drop(books);
                    discard(&disk, &journal);
                }
            }
        }
    }
    // Of the store's reads, writes and syncs (795, 378 and 3 here) and the journal's (one
    // each), 24 spread over each kind, in both variants (most failed writes of the store are
    // redb's best-effort ones, which do not fail the open).
    assert!(failed_opens >= 60, "{failed_opens} opens failed");
    assert!(replays_failed >= 20, "{replays_failed} opens failed replaying a record");
}
