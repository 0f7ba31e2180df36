//! The append-only, hash-chained audit log: every command and every state transition.
//!
//! Each record's hash is SHA-256 over the previous record's hash and the record's canonical
//! encoding (which itself carries the previous hash), so editing, removing or reordering any
//! record breaks every hash after it. `verify` recomputes the chain.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use arrears_core::case::{AuditKind, AuditRecord};
use arrears_core::ids::AccountId;
use arrears_store::codec::{encode_format_1, RecordKind};
use arrears_store::Reads;
use arrears_store::{AuditEntry, StorageError, WriteTxn};

/// The hash of a record: SHA-256 of its previous hash then its encoding.
pub(crate) fn hash(record: &AuditRecord) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(record.prev_hash);
    // Over the format-1 form: the chain verifies across record versions.
    hasher.update(encode_format_1(RecordKind::Audit, record));
    hasher.finalize().into()
}

/// Appends a record to the log.
pub(crate) fn append(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    kind: AuditKind,
) -> Result<(), StorageError> {
    let (seq, prev_hash) = match txn.last_audit()? {
        Some(last) => (last.record.seq + 1, last.hash),
        None => (1, [0; 32]),
    };
    let record = AuditRecord { seq, recorded_at: now, account, kind, prev_hash };
    let hash = hash(&record);
    txn.append_audit(&AuditEntry { record, hash })
}

/// Problems with the chain: `(seq, what is wrong)`.
pub(crate) fn check_chain(entries: &[AuditEntry]) -> Vec<(u64, String)> {
    let mut problems = Vec::new();
    let mut prev_hash = [0_u8; 32];
    for (position, entry) in entries.iter().enumerate() {
        let expected_seq = position as u64 + 1;
        if entry.record.seq != expected_seq {
            problems.push((
                entry.record.seq,
                format!("sequence {} where {expected_seq} was expected", entry.record.seq),
            ));
        }
        if entry.record.prev_hash != prev_hash {
            problems.push((entry.record.seq, "previous-hash link broken".to_owned()));
        }
        if hash(&entry.record) != entry.hash {
            problems.push((entry.record.seq, "hash does not match the record".to_owned()));
        }
        prev_hash = entry.hash;
    }
    problems
}
