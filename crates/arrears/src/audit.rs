//! The append-only, hash-chained audit log: every command and every state transition.
//!
//! The chain is a sequence of groups of records, each hashed once: SHA-256 over the previous
//! group's hash and each record's canonical encoding (which itself carries the previous hash),
//! so editing, removing or reordering any record breaks every hash after it. Up to format 9
//! every record was a group of its own; from format 10 a group is what one commit appended,
//! hashed at commit by the store (`arrears_store::chain`). `verify` recomputes the chain.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use arrears_core::case::AuditKind;
use arrears_core::ids::AccountId;
use arrears_store::chain::group_hash;
use arrears_store::{AuditEntry, IdempotencyRecord, StorageError, WriteTxn};

/// Appends a record to the log.
pub(crate) fn append(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    kind: AuditKind,
) -> Result<(), StorageError> {
    txn.append_audit(now, account, kind, None).map(drop)
}

/// Appends a command's record to the log, with what its idempotency key replays: the store
/// points the key at this entry (format 5: the command log and the idempotency records are
/// one append-only table). `kind` is the command's `CommandExecuted`, whose content digest
/// covers `replay`.
pub(crate) fn append_command(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    kind: AuditKind,
    replay: IdempotencyRecord,
) -> Result<(), StorageError> {
    txn.append_audit(now, account, kind, Some(replay)).map(drop)
}

/// SHA-256 over an idempotency record's content: the command's length (8 bytes, little-endian),
/// the command's bytes, the outcome's bytes (what `AuditKind::CommandExecuted` holds).
pub(crate) fn content_digest(command: &[u8], result: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((command.len() as u64).to_le_bytes());
    hasher.update(command);
    hasher.update(result);
    hasher.finalize().into()
}

/// Problems with the chain: `(seq, what is wrong)`.
///
/// The groups of the chain are runs of consecutive entries with the same hash (a commit's,
/// from format 10; one entry each before): every entry of a group must link to the hash of the
/// group before, and the group's hash must be the hash of its records after it.
pub(crate) fn check_chain(entries: &[AuditEntry]) -> Vec<(u64, String)> {
    let mut problems = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        let expected_seq = position as u64 + 1;
        if entry.record.seq != expected_seq {
            problems.push((
                entry.record.seq,
                format!("sequence {} where {expected_seq} was expected", entry.record.seq),
            ));
        }
    }
    let mut prev_hash = [0_u8; 32];
    for group in entries.chunk_by(|one, next| one.hash == next.hash) {
        let first = &group[0];
        let last = &group[group.len() - 1];
        if let Some(entry) = group.iter().find(|entry| entry.record.prev_hash != prev_hash) {
            problems.push((entry.record.seq, "previous-hash link broken".to_owned()));
        }
        if group_hash(&prev_hash, group.iter().map(|entry| &entry.record)) != first.hash {
            let what = if group.len() == 1 {
                "hash does not match the record".to_owned()
            } else {
                format!(
                    "hash does not match the records of its commit ({} to {})",
                    first.record.seq, last.record.seq
                )
            };
            problems.push((last.record.seq, what));
        }
        prev_hash = first.hash;
    }
    problems
}

/// A point of the audit chain to anchor outside the store (a log, a notary, a ticket): the
/// sequence of a record and its hash. Written `HASH@SEQ`, the hash in 64 lowercase hex digits.
/// A store that still holds the record `seq` with that hash extends the anchored chain: nothing
/// before it was changed, removed or reordered (`Arrears::check_anchor`).
///
/// # Example
///
/// ```
/// let anchor: arrears::AuditAnchor = format!("{}@42", "ab".repeat(32)).parse()?;
/// assert_eq!(anchor.seq, 42);
/// assert_eq!(anchor.to_string(), format!("{}@42", "ab".repeat(32)));
/// assert!("abc@1".parse::<arrears::AuditAnchor>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditAnchor {
    /// The record's sequence number, from 1.
    pub seq: u64,
    /// The record's hash.
    pub hash: [u8; 32],
}

impl std::fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for byte in self.hash {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "@{}", self.seq)
    }
}

/// Why a text is not an anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an audit anchor is HASH@SEQ (64 hex digits, then a sequence number from 1): {text:?}")]
pub struct AnchorParseError {
    /// The text given.
    pub text: String,
}

impl std::str::FromStr for AuditAnchor {
    type Err = AnchorParseError;

    fn from_str(text: &str) -> Result<AuditAnchor, AnchorParseError> {
        let error = || AnchorParseError { text: text.to_owned() };
        let (hex, seq) = text.split_once('@').ok_or_else(error)?;
        let seq: u64 = seq.parse().map_err(|_| error())?;
        if hex.len() != 64 || seq == 0 || !hex.is_ascii() {
            return Err(error());
        }
        let mut hash = [0_u8; 32];
        for (index, byte) in hash.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[index * 2..index * 2 + 2], 16).map_err(|_| error())?;
        }
        Ok(AuditAnchor { seq, hash })
    }
}
