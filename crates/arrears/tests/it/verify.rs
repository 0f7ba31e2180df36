//! `verify` reports damage with ids and repairs nothing.

use arrears::ids::EntryId;
use arrears::ledger::Posting;
use arrears_store::codec::{encode_record, RecordKind};
use arrears_store::Reads;

use crate::support::*;

fn sample(
) -> (tempfile::TempDir, arrears::Arrears, arrears::ids::AccountId, arrears::ids::ObligationId) {
    let (dir, books) = open_temp();
    let account = account(&books, "A");
    let obligation = charge(&books, "c1", account, d(1, 1), d(1, 31), 10_000);
    pay(&books, "p1", account, d(2, 1), 2_500);
    (dir, books, account, obligation)
}

#[test]
fn a_clean_store_verifies_clean() {
    let (_dir, books, _, _) = sample();
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.accounts_checked, 1);
    assert_eq!(report.entries_checked, 2);
}

#[test]
fn a_flipped_byte_in_an_entry_is_reported_not_answered() {
    let (_dir, books, _, _) = sample();
    let entry = books.ledger(books.account_ids().unwrap()[0]).unwrap()[1].clone();
    let mut txn = books.store().write().unwrap();
    let (seq, row) = txn.ledger_row_of_entry(entry.id.get()).unwrap();
    let mut bytes = encode_record(RecordKind::LedgerRow, &row);
    bytes[6] ^= 0x01;
    txn.raw_overwrite("ledger_log", seq, &bytes).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.check == "read" && problem.detail.contains("checksum")),
        "{:?}",
        report.problems
    );
    // Reading the damaged ledger is an error, never wrong data.
    assert!(books.ledger(entry.account).is_err());
}

#[test]
fn a_well_formed_but_wrong_entry_is_reported() {
    let (_dir, books, account, obligation) = sample();
    let mut entry = books.ledger(account).unwrap()[1].clone();
    // Take one cent off what the payment settled: the record decodes, but the entry no longer
    // balances and no longer matches what the event derives.
    entry.postings =
        arrears::ledger::normalize(entry.postings.into_iter().map(|posting: Posting| {
            if posting.obligation == Some(obligation) {
                Posting { amount_minor: posting.amount_minor + 1, ..posting }
            } else {
                posting
            }
        }));
    let mut txn = books.store().write().unwrap();
    let (seq, mut row) = txn.ledger_row_of_entry(entry.id.get()).unwrap();
    let held = row.entries.iter_mut().find(|held| held.id == entry.id).unwrap();
    *held = entry.clone();
    txn.raw_overwrite("ledger_log", seq, &encode_record(RecordKind::LedgerRow, &row)).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    let checks: Vec<_> = report.problems.iter().map(|problem| problem.check).collect();
    assert!(checks.contains(&"entry_balance"), "{checks:?}");
    assert!(checks.contains(&"journal_balance"), "{checks:?}");
    assert!(checks.contains(&"journal"), "{checks:?}");
    assert!(report
        .problems
        .iter()
        .any(|problem| problem.subject == format!("{}", EntryId(entry.id.get()))));
}

#[test]
fn a_missing_index_row_is_reported() {
    let (_dir, books, account, obligation) = sample();
    let mut txn = books.store().write().unwrap();
    txn.raw_remove_obligation_index(account, obligation).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].check, "index");
    assert_eq!(report.problems[0].subject, format!("{account} {obligation}"));
    // verify repairs nothing: a second run finds the same.
    assert_eq!(books.verify().unwrap().problems, report.problems);
}

#[test]
fn a_wrong_or_damaged_snapshot_is_reported() {
    let (_dir, books, account, _) = sample();
    let mut snapshot = books.store().read().unwrap().snapshot(account).unwrap().unwrap();
    // A well-formed snapshot that owes one cent less than the events say.
    let obligation = snapshot.obligations.values_mut().next().unwrap();
    obligation.outstanding_minor[0] -= 1;
    let ledger_head = books.store().read().unwrap().ledger_head(account).unwrap().unwrap();
    let snapshot = arrears_store::SnapshotRecord { state: snapshot, ledger_head };
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("snapshots", account.get(), &encode_record(RecordKind::Snapshot, &snapshot))
        .unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert!(
        report.problems.iter().any(|problem| problem.check == "snapshot"
            && problem.subject == account.to_string()
            && problem.detail.contains("differs")),
        "{:?}",
        report.problems
    );
    // A flipped bit in the snapshot is a read error, never an answer.
    let mut bytes = encode_record(RecordKind::Snapshot, &snapshot);
    bytes[7] ^= 0x10;
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("snapshots", account.get(), &bytes).unwrap();
    txn.commit().unwrap();
    assert!(books.account_view(account, d(3, 1)).is_err());
    let report = books.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.check == "read" && problem.detail.contains("snapshot")),
        "{:?}",
        report.problems
    );
}

/// Format 6: the head of an account's chain in the ledger log is kept in its snapshot row. A
/// row whose head points at an earlier row of the account (a well-formed record, its state
/// right) hides the later rows from every read of the account's history: verify reports each
/// entry the chain no longer reaches.
#[test]
fn a_snapshot_row_with_a_wrong_ledger_head_is_reported() {
    let (_dir, books, account, _) = sample();
    let read = books.store().read().unwrap();
    let state = read.snapshot(account).unwrap().unwrap();
    let head = read.ledger_head(account).unwrap().unwrap();
    let previous = read.ledger_rows(account).unwrap().iter().rev().nth(1).unwrap().0;
    let last_entries = read.ledger_rows(account).unwrap().last().unwrap().1.entries.len();
    assert!(last_entries > 0, "the sample's last event posts");
    drop(read);
    let stale = arrears_store::SnapshotRecord { state: state.clone(), ledger_head: previous };
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("snapshots", account.get(), &encode_record(RecordKind::Snapshot, &stale))
        .unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    let unreached = report
        .problems
        .iter()
        .filter(|problem| {
            problem.check == "index" && problem.detail == "entry missing from the account index"
        })
        .count();
    assert_eq!(unreached, last_entries, "{:?}", report.problems);
    // Its head back, the store verifies clean again.
    let right = arrears_store::SnapshotRecord { state, ledger_head: head };
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("snapshots", account.get(), &encode_record(RecordKind::Snapshot, &right))
        .unwrap();
    txn.commit().unwrap();
    assert!(books.verify().unwrap().is_clean());
}

/// Format 7 reads the entry sequence from `meta` and the ledger log's last row. After an event
/// that posts nothing (a dispute) the last row shows no entry, so `meta` alone holds the
/// sequence: set below the last entry (a damaged `meta`), the next entry would reuse an id,
/// and verify says so; set back, the store verifies clean.
#[test]
fn an_entry_sequence_below_the_last_entry_is_reported() {
    let (_dir, books, account, obligation) = sample();
    let dispute =
        arrears::Command::Dispute { account, obligation, disputed: true, effective_on: d(2, 2) };
    books.execute("d1", &dispute).unwrap().accepted().unwrap();
    let read = books.store().read().unwrap();
    let rows = read.ledger_rows(account).unwrap();
    assert!(rows.last().unwrap().1.entries.is_empty(), "the dispute posts nothing");
    let last = rows.iter().flat_map(|(_, row)| &row.entries).map(|entry| entry.id.get()).max();
    let last = last.unwrap();
    assert_eq!(read.stored_sequence(arrears_store::Sequence::Entry).unwrap(), last);
    drop(read);
    let mut txn = books.store().write().unwrap();
    txn.raw_set_sequence(arrears_store::Sequence::Entry, last - 1).unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    let problems: Vec<_> =
        report.problems.iter().map(|problem| (problem.check, problem.subject.as_str())).collect();
    assert_eq!(problems, [("sequence", "entry")], "{:?}", report.problems);
    assert!(report.problems[0].detail.contains(&format!("below entry {last}")));
    let mut txn = books.store().write().unwrap();
    txn.raw_set_sequence(arrears_store::Sequence::Entry, last).unwrap();
    txn.commit().unwrap();
    assert!(books.verify().unwrap().is_clean());
}

/// A store whose log has commits of several entries: `sample`'s, then three payments in one
/// batch (one commit, three command entries).
fn sample_with_a_batch() -> (tempfile::TempDir, arrears::Arrears) {
    let (dir, books, account, _) = sample();
    let mut batch = books.batch().unwrap();
    for (n, on) in [d(2, 2), d(2, 3), d(2, 4)].into_iter().enumerate() {
        let command = arrears::Command::Payment {
            account,
            effective_on: on,
            amount: usd(100),
            directed_to: None,
        };
        batch.execute(&format!("b{n}"), &command).unwrap().accepted().unwrap();
    }
    batch.commit().unwrap();
    pay(&books, "p2", account, d(2, 5), 100);
    (dir, books)
}

/// The log's commits (format 10): runs of entries with one hash, `(first, last)` sequences.
fn commits(log: &[arrears_store::AuditEntry]) -> Vec<(u64, u64)> {
    log.chunk_by(|one, next| one.hash == next.hash)
        .map(|group| (group[0].record.seq, group[group.len() - 1].record.seq))
        .collect()
}

/// Rewrites the entries of the commit `first` to `last` with `change` applied to the record
/// `seq`, and the commit's hash taken again over them: a consistent rewrite, which the chain
/// of that commit alone cannot tell. Returns the new hash. The commit's last entry keeps its
/// hash (record version 4); the others keep none (version 5).
fn rewrite_commit(
    books: &arrears::Arrears,
    (first, last): (u64, u64),
    seq: u64,
    change: impl FnOnce(&mut arrears::case::AuditRecord),
) -> [u8; 32] {
    let log = books.store().read().unwrap().audit_log().unwrap();
    let mut group: Vec<arrears_store::AuditEntry> = log[first as usize - 1..last as usize].to_vec();
    change(&mut group[(seq - first) as usize].record);
    let prev = group[0].record.prev_hash;
    let hash = arrears_store::chain::group_hash(&prev, group.iter().map(|entry| &entry.record));
    let mut txn = books.store().write().unwrap();
    for entry in &mut group {
        entry.hash = hash;
        let bytes = if entry.record.seq == last {
            encode_record(RecordKind::Audit, &*entry)
        } else {
            arrears_store::encode_audit_entry_format_10(&entry.record, entry.replay.as_ref())
        };
        txn.raw_overwrite("audit", entry.record.seq, &bytes).unwrap();
    }
    txn.commit().unwrap();
    hash
}

fn problems(books: &arrears::Arrears) -> Vec<String> {
    books.verify().unwrap().problems.iter().map(ToString::to_string).collect()
}

/// Issue 21: the audit chain covers each command's content, and its head can be anchored
/// outside the store. A consistent rewrite of the last record (its commit's hash recomputed,
/// so the chain still verifies) is caught by the anchor taken before it.
#[test]
fn issue_21_an_anchored_chain_catches_a_consistent_rewrite() {
    let (_dir, books) = sample_with_a_batch();
    let head = books.audit_head().unwrap().unwrap();
    assert!(books.check_anchor(&head).unwrap());
    // Each command's record holds the digest of its idempotency record.
    let log = books.audit_log(None).unwrap();
    let executed = log
        .iter()
        .filter(|record| matches!(record.kind, arrears::case::AuditKind::CommandExecuted { .. }))
        .count();
    assert_eq!(executed, 8, "{log:?}");
    // Rewrite the last record consistently: another instant, its commit's hash recomputed.
    let entries = books.store().read().unwrap().audit_log().unwrap();
    let last = *commits(&entries).last().unwrap();
    let hash = rewrite_commit(&books, last, head.seq, |record| {
        record.recorded_at += chrono::Duration::hours(1);
    });
    assert!(books.verify().unwrap().is_clean(), "the chain alone cannot see it");
    assert!(!books.check_anchor(&head).unwrap(), "the anchor does");
    let moved = books.audit_head().unwrap().unwrap();
    assert_eq!((moved.seq, moved.hash), (head.seq, hash));
    assert!(books.check_anchor(&moved).unwrap());
}

/// Format 10: the chain is hashed once per commit, and an entry's hash is its commit's. A
/// consistent rewrite of an entry of a commit in the middle of the chain (its commit's hash
/// recomputed) is caught by the next commit, whose recomputed hash no longer matches; a
/// commit's stored hash changed alone is caught twice, by the commit and by the next; an
/// anchor at any entry of a commit is its commit's hash.
#[test]
fn format_10_a_rewrite_in_a_commit_in_the_middle_of_the_chain_breaks_the_next_link() {
    let (_dir, books) = sample_with_a_batch();
    let original = books.store().read().unwrap().audit_log().unwrap();
    let groups = commits(&original);
    // The batch: its three payments' entries.
    let at = groups.iter().position(|(first, last)| last - first == 2).unwrap();
    let (batch, next) = (groups[at], groups[at + 1]);
    // An anchor at the batch's middle entry: its commit's hash.
    let middle = batch.0 + 1;
    let anchor = arrears::AuditAnchor { seq: middle, hash: original[middle as usize - 1].hash };
    assert_eq!(anchor.hash, original[batch.1 as usize - 1].hash);
    assert!(books.check_anchor(&anchor).unwrap());
    let alone = books.store().read().unwrap().audit_entry(middle).unwrap().unwrap();
    assert_eq!(alone, original[middle as usize - 1]);

    let hash = rewrite_commit(&books, batch, middle, |record| {
        record.recorded_at += chrono::Duration::hours(1);
    });
    let found = problems(&books);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains(&format!("audit {}", next.1)), "{found:?}");
    assert!(found[0].contains("hash does not match"), "{found:?}");
    assert!(!books.check_anchor(&anchor).unwrap());
    // The next commit's entries read with the rewritten hash as their link.
    let read = books.store().read().unwrap();
    let after = read.audit_entry(next.0).unwrap().unwrap();
    assert_eq!(after.record.prev_hash, hash);
    drop(read);

    // Put the batch back, then change its stored hash alone.
    rewrite_commit(&books, batch, middle, |record| {
        record.recorded_at = original[middle as usize - 1].record.recorded_at;
    });
    assert!(books.verify().unwrap().is_clean());
    let kept = |hash: [u8; 32]| {
        let sealed = arrears_store::AuditEntry { hash, ..original[batch.1 as usize - 1].clone() };
        let mut txn = books.store().write().unwrap();
        txn.raw_overwrite("audit", batch.1, &encode_record(RecordKind::Audit, &sealed)).unwrap();
        txn.commit().unwrap();
    };
    kept([3; 32]);
    let found = problems(&books);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|text| text.contains("hash does not match")), "{found:?}");
    assert!(found[0].contains("its commit"), "{found:?}");
    kept(original[batch.1 as usize - 1].hash);
    assert!(books.verify().unwrap().is_clean());
    assert!(books.check_anchor(&anchor).unwrap());
}

/// Format 10: a commit's last entry keeps the commit's hash (record version 4), its other
/// entries none (version 5). A last entry whose hash is lost (written without it) joins its
/// commit to the next one, whose recomputed hash then does not match; at the end of the log,
/// it leaves entries that no hash follows, and the log does not read (`verify` says so).
#[test]
fn format_10_a_lost_commit_hash_is_reported() {
    let (_dir, books) = sample_with_a_batch();
    let rows = books.store().read().unwrap().audit_log().unwrap();
    let groups = commits(&rows);
    let at = groups.iter().position(|(first, last)| last - first == 2).unwrap();
    let (batch, next) = (groups[at], groups[at + 1]);
    let without_hash = |seq: u64| {
        let entry = &rows[seq as usize - 1];
        let bytes =
            arrears_store::encode_audit_entry_format_10(&entry.record, entry.replay.as_ref());
        let mut txn = books.store().write().unwrap();
        txn.raw_overwrite("audit", seq, &bytes).unwrap();
        txn.commit().unwrap();
    };
    let restore = |seq: u64| {
        let mut txn = books.store().write().unwrap();
        let bytes = encode_record(RecordKind::Audit, &rows[seq as usize - 1]);
        txn.raw_overwrite("audit", seq, &bytes).unwrap();
        txn.commit().unwrap();
    };
    without_hash(batch.1);
    let found = problems(&books);
    let joined = format!("its commit ({} to {})", batch.0, next.1);
    assert!(found.iter().any(|text| text.contains(&joined)), "{found:?}");
    restore(batch.1);
    assert!(books.verify().unwrap().is_clean());

    let head = rows.last().unwrap().record.seq;
    without_hash(head);
    let error = books.audit_log(None).unwrap_err().to_string();
    assert!(error.contains(&format!("corrupted audit record at key {head}")), "{error}");
    let found = problems(&books);
    assert!(found.iter().any(|text| text.contains("last entry is lost")), "{found:?}");
    restore(head);
    assert!(books.verify().unwrap().is_clean());
}

/// Format 9: a retried command replays from its own audit entry alone. The previous hash,
/// which the entry before keeps, is not needed to replay, so a damaged neighbour does not stop
/// the retry (`verify` reports the damage).
#[test]
fn format_9_a_replay_reads_its_own_entry_only() {
    let (_dir, books, _, _) = sample();
    let log = books.store().read().unwrap().audit_log().unwrap();
    let (seq, key) = log
        .iter()
        .rev()
        .find_map(|entry| match &entry.record.kind {
            arrears::case::AuditKind::CommandExecuted { key, .. } if entry.record.seq > 1 => {
                Some((entry.record.seq, key.clone()))
            }
            _ => None,
        })
        .unwrap();
    let recorded = books.recorded(&key).unwrap().unwrap();
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("audit", seq - 1, b"damaged").unwrap();
    txn.commit().unwrap();
    let replay = books.execute(&key, &recorded.command).unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.outcome, recorded.outcome);
    let report = books.verify().unwrap();
    assert!(!report.is_clean());
    assert!(report.problems.iter().any(|problem| problem.to_string().contains("audit")));
}

/// Issue 21: one lost idempotency row, or one flipped bit in its key, used to leave `verify`
/// clean, and a retry of the acknowledged payment then posted it a second time. Now `verify`
/// reports the event without its record and the command's audit record without it.
#[test]
fn issue_21_a_lost_or_moved_idempotency_record_is_reported() {
    let (_dir, books, _, _) = sample();
    let mut txn = books.store().write().unwrap();
    txn.raw_move_idempotency("p1", None).unwrap();
    txn.commit().unwrap();
    let problems = books.verify().unwrap().problems;
    let details: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        details.iter().any(|text| text.contains("key \"p1\" has no idempotency record")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|text| text.contains("under key \"p1\" has no idempotency record")),
        "{details:?}"
    );

    let (_dir, books, _, _) = sample();
    let mut txn = books.store().write().unwrap();
    // The row of "p1" moved under the row key of "p0" (a flipped bit in the row's key): the row
    // reaches "p1"'s command, whose key has another row key, so "p1" has no row of its own.
    txn.raw_move_idempotency("p1", Some("p0")).unwrap();
    txn.commit().unwrap();
    let details: Vec<String> =
        books.verify().unwrap().problems.iter().map(ToString::to_string).collect();
    assert!(
        details
            .iter()
            .any(|text| text.starts_with("idempotency: p1: a row of another key's row key")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|text| text.contains("under key \"p1\" has no idempotency record")),
        "{details:?}"
    );
}

/// Issue 21: an idempotency record whose content was changed (consistently re-encoded) no
/// longer matches the digest the audit chain holds.
#[test]
fn issue_21_a_changed_idempotency_record_breaks_the_audit_digest() {
    let (_dir, books, _, _) = sample();
    let read = books.store().read().unwrap();
    let seq = read.idempotency_seq("p1").unwrap().unwrap();
    let mut entry = read.audit_entry(seq).unwrap().unwrap();
    drop(read);
    // The command's bytes (which verify does not decode): only the digest can tell. The
    // replay is outside the entry's hash, so the chain itself still verifies.
    let record = entry.replay.as_mut().unwrap();
    let last = record.command.len() - 5;
    record.command[last] ^= 0x01;
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("audit", seq, &encode_record(RecordKind::Audit, &entry)).unwrap();
    txn.commit().unwrap();
    let details: Vec<String> =
        books.verify().unwrap().problems.iter().map(ToString::to_string).collect();
    assert!(
        details.iter().any(|text| text.contains("is not the one the audit chain holds")),
        "{details:?}"
    );
}

/// The debtor's jurisdiction an account's record keeps is derived state: a record that keeps
/// another than the debtor's is reported (it would decide payments under the wrong stage),
/// and one that keeps none (written before account record version 3) is not.
#[test]
fn an_account_record_keeping_another_jurisdiction_is_reported() {
    let (_dir, books, account, _) = sample();
    let mut record = books.store().read().unwrap().account_record(account).unwrap().unwrap();
    assert_eq!(
        record.debtor_jurisdiction,
        Some(arrears::model::Jurisdiction { country: "US".into(), region: None })
    );
    record.debtor_jurisdiction =
        Some(arrears::model::Jurisdiction { country: "US".into(), region: Some("MA".into()) });
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("accounts", account.get(), &encode_record(RecordKind::Account, &record))
        .unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(problem.check, "debtor_facts");
    assert_eq!(problem.subject, account.to_string());
    assert!(
        problem.detail.contains("as US-MA") && problem.detail.ends_with("is in US"),
        "{problem}"
    );

    record.debtor_jurisdiction = None;
    let mut txn = books.store().write().unwrap();
    txn.raw_overwrite("accounts", account.get(), &encode_record(RecordKind::Account, &record))
        .unwrap();
    txn.commit().unwrap();
    let report = books.verify().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    // And a payment on it reads the debtor instead.
    pay(&books, "p2", account, d(2, 2), 100);
}

/// A lost snapshot row (a damaged page) leaves an account with obligations and no ledger head,
/// the head being kept in that row: the account's reads and commands are an error that says
/// so, never the balance of an account without a history (zero), and `verify` reports it.
#[test]
fn a_lost_snapshot_row_is_an_error_not_a_zero_balance() {
    let (_dir, books, account, _) = sample();
    let mut txn = books.store().write().unwrap();
    txn.raw_remove_snapshot(account).unwrap();
    txn.commit().unwrap();
    let error = books.account_view(account, d(12, 31)).unwrap_err().to_string();
    assert!(error.contains("obligations but no ledger head"), "{error}");
    let command = arrears::Command::Payment {
        account,
        effective_on: d(3, 1),
        amount: usd(100),
        directed_to: None,
    };
    let refused = books.execute("p-lost", &command).unwrap_err().to_string();
    assert!(refused.contains("obligations but no ledger head"), "{refused}");
    assert!(!books.verify().unwrap().is_clean());
}
