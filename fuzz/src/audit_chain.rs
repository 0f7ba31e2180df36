//! The `audit_chain` target: audit entries appended to a store as formats 10 and 11 write them
//! (record version 5, neither hash: both its commit's, kept by its last entry; format 11 puts a
//! commit's entries in chunks, several to a row, cut at about 4 KB: entries of any size from
//! about 100 bytes to 2 KB make chunks of one to about forty), after entries written
//! as format 9 wrote them (record version 4, no previous hash of its own: the hash of the entry
//! before) and as formats 5 to 8 wrote them (record version 3, the previous hash kept), in any
//! mix of those two, with commits, dropped transactions and power losses between them
//! (docs/FORMAT.md, formats 9 and 10). After every step the whole log, each entry read alone
//! (one past the end too) and the chain's head agree with a model of the committed (or, inside a
//! transaction, the written) entries: every entry reads with the hashes it was written with, or,
//! appended by format 10, with its commit's (the one it would have if the transaction committed
//! now, before it does), whichever version stores it and whichever read takes it.

use arbitrary::Arbitrary;
use arrears_core::case::{AuditKind, AuditRecord};
use arrears_core::ids::AccountId;
use arrears_store::chain::group_hash;
use arrears_store::codec::{encode_record, RecordKind};
use arrears_store::{AuditEntry, AuditHead, Durability, Reads, StoreOptions};
use chrono::DateTime;

use crate::{End, Session};

#[derive(Arbitrary, Debug)]
enum Op {
    /// An entry appended as this build writes it (the store takes its sequence and hashes it
    /// with the others of its commit), `account` none if 0, its event's name longer by `pad`
    /// times 8 bytes.
    Append {
        account: u8,
        pad: u8,
    },
    /// An entry written at record version 4, as format 9 wrote it; `hash` is its hash's bytes
    /// (the store does not check a hash, `verify` does). As `Append` once the log holds an
    /// entry of format 10, which only ever follows the older ones.
    AppendLinked {
        hash: u8,
        account: u8,
    },
    /// The same at record version 3, as formats 5 to 8 wrote it.
    AppendOld {
        hash: u8,
        account: u8,
    },
    Commit,
    Drop,
    /// The disk keeps only what was synced; the store is opened again on it.
    PowerLoss,
}

/// The entries as they read, and which of them format 10 appended.
#[derive(Clone, Default)]
struct Log {
    entries: Vec<AuditEntry>,
    appended: Vec<bool>,
}

/// The entry of sequence `seq` after `prev_hash`.
fn entry(seq: u64, prev_hash: [u8; 32], hash: u8, account: u8, pad: u8) -> AuditEntry {
    let mut hash = [hash; 32];
    // Distinct hashes, so that a read that takes the wrong entry's hash cannot pass.
    hash[..8].copy_from_slice(&seq.to_le_bytes());
    AuditEntry {
        record: AuditRecord {
            seq,
            recorded_at: DateTime::from_timestamp(1_769_904_000 + seq as i64, 0)
                .unwrap_or_default(),
            account: (account != 0).then_some(AccountId(u64::from(account))),
            kind: AuditKind::Transition {
                event: format!("review{}", "-padding".repeat(usize::from(pad))),
                from: "current".to_owned(),
                to: "delinquent".to_owned(),
                on: crate::day(0, 1),
            },
            prev_hash,
        },
        hash,
        replay: None,
    }
}

fn check(reads: &impl Reads, model: &[AuditEntry]) {
    assert_eq!(reads.audit_log().expect("log"), model);
    for (at, expected) in model.iter().enumerate() {
        let seq = at as u64 + 1;
        assert_eq!(reads.audit_entry(seq).expect("entry").as_ref(), Some(expected), "{seq}");
    }
    assert_eq!(reads.audit_entry(model.len() as u64 + 1).expect("past the end"), None);
    let head = model.last().map(|last| AuditHead { seq: last.record.seq, hash: last.hash });
    assert_eq!(reads.audit_head().expect("head"), head);
}

pub fn audit_chain(data: &[u8]) {
    let ops: Vec<Op> = crate::ops(data, 200);
    // A small cache, so that a long log spans leaves that are read back from the disk.
    let options = StoreOptions {
        cache_size_bytes: 64 << 10,
        durability: Durability::Immediate,
        ..StoreOptions::default()
    };
    let mut session: Session<Log> = Session::new(options);
    // Where the open transaction's entries of format 10 start in the log, if it wrote any.
    let mut group_from: Option<usize> = None;
    for op in ops {
        match op {
            Op::Append { account, pad } => append(&mut session, &mut group_from, account, pad),
            Op::AppendLinked { hash, account } | Op::AppendOld { hash, account } => {
                let (txn, written) = session.write();
                if written.appended.contains(&true) {
                    append(&mut session, &mut group_from, account, 0);
                    continue;
                }
                let prev_hash = written.entries.last().map_or([0; 32], |last| last.hash);
                let entry = entry(written.entries.len() as u64 + 1, prev_hash, hash, account, 0);
                let bytes = match op {
                    Op::AppendOld { .. } => arrears_store::encode_audit_entry_format_8(&entry),
                    _ => encode_record(RecordKind::Audit, &entry),
                };
                txn.raw_overwrite("audit", entry.record.seq, &bytes).expect("old entry");
                written.entries.push(entry);
                written.appended.push(false);
                check(txn, &written.entries);
            }
            Op::Commit | Op::Drop | Op::PowerLoss => {
                let end = match op {
                    Op::Commit => End::Commit,
                    Op::Drop => End::Drop,
                    _ => End::PowerLoss,
                };
                group_from = None;
                session.end(end, |reads, model| check(reads, &model.entries));
            }
        }
    }
}

/// Appends an entry as this build does, and gives every entry of the open transaction's group
/// the group's hash so far.
fn append(session: &mut Session<Log>, group_from: &mut Option<usize>, account: u8, pad: u8) {
    let (txn, written) = session.write();
    let seq = written.entries.len() as u64 + 1;
    let from = *group_from.get_or_insert(written.entries.len());
    let prev_hash = from.checked_sub(1).map_or([0; 32], |before| written.entries[before].hash);
    let entry = entry(seq, prev_hash, 0, account, pad);
    let record = txn
        .append_audit(
            entry.record.recorded_at,
            entry.record.account,
            entry.record.kind.clone(),
            None,
        )
        .expect("append");
    assert_eq!(record, entry.record);
    written.entries.push(entry.clone());
    written.appended.push(true);
    let group = &mut written.entries[from..];
    let hash = group_hash(&prev_hash, group.iter().map(|entry| &entry.record));
    for entry in group.iter_mut() {
        entry.hash = hash;
    }
    check(txn, &written.entries);
}
