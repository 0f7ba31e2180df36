//! The `audit_chain` target: audit entries appended to a store as format 9 writes them (record
//! version 4, no previous hash of its own: the hash of the entry before) and as formats 5 to 8
//! wrote them (record version 3, the previous hash kept), in any mix, with commits, dropped
//! transactions and power losses between them (docs/FORMAT.md, format 9). After every step the
//! whole log, each entry read alone (one past the end too) and the chain's head agree with a
//! model of the committed (or, inside a transaction, the written) entries: every entry reads
//! with the previous hash it was written with, whichever version stores it and whichever read
//! takes it.

use arbitrary::Arbitrary;
use arrears_core::case::{AuditKind, AuditRecord};
use arrears_core::ids::AccountId;
use arrears_store::{AuditEntry, AuditHead, Durability, Reads, StoreOptions};
use chrono::DateTime;

use crate::{End, Session};

#[derive(Arbitrary, Debug)]
enum Op {
    /// An entry appended as this build writes it; `hash` is its hash's bytes (the store does
    /// not check a hash, `verify` does), `account` none if 0.
    Append {
        hash: u8,
        account: u8,
    },
    /// The same entry written at record version 3, as formats 5 to 8 wrote it.
    AppendOld {
        hash: u8,
        account: u8,
    },
    Commit,
    Drop,
    /// The disk keeps only what was synced; the store is opened again on it.
    PowerLoss,
}

/// The entry of sequence `seq` after `prev_hash`.
fn entry(seq: u64, prev_hash: [u8; 32], hash: u8, account: u8) -> AuditEntry {
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
                event: "review".to_owned(),
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
    let mut session: Session<Vec<AuditEntry>> = Session::new(options);
    for op in ops {
        match op {
            Op::Append { hash, account } | Op::AppendOld { hash, account } => {
                let old = matches!(op, Op::AppendOld { .. });
                let (txn, written) = session.write();
                let prev_hash = written.last().map_or([0; 32], |last| last.hash);
                let entry = entry(written.len() as u64 + 1, prev_hash, hash, account);
                if old {
                    let bytes = arrears_store::encode_audit_entry_format_8(&entry);
                    txn.raw_overwrite("audit", entry.record.seq, &bytes).expect("old entry");
                } else {
                    txn.append_audit(&entry).expect("append");
                }
                written.push(entry);
                check(txn, written);
            }
            Op::Commit => session.end(End::Commit, |reads, model| check(reads, model)),
            Op::Drop => session.end(End::Drop, |reads, model| check(reads, model)),
            Op::PowerLoss => session.end(End::PowerLoss, |reads, model| check(reads, model)),
        }
    }
}
