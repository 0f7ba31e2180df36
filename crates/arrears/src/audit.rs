//! The append-only, hash-chained audit log: every command and every state transition.
//!
//! Each record's hash is SHA-256 over the previous record's hash and the record's canonical
//! encoding (which itself carries the previous hash), so editing, removing or reordering any
//! record breaks every hash after it. `verify` recomputes the chain.

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use arrears_core::case::{AuditKind, AuditRecord};
use arrears_core::ids::AccountId;
use arrears_store::codec::encode_audit_format_1_into;
use arrears_store::Reads;
use arrears_store::{AuditEntry, IdempotencyRecord, StorageError, WriteTxn};

/// Largest capacity, in bytes, that [`HASH_INPUT`] keeps between hashes: far more than a
/// record of names, keys and a date takes, so that one long record (an error's text) does not
/// hold its memory for the thread's life.
const HASH_INPUT_CAPACITY_BYTES_MAX: usize = 4096;

thread_local! {
    /// The bytes [`hash`] hashes, reused: every command hashes at least one record, and
    /// `verify` one per record in the log.
    static HASH_INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The hash of a record: SHA-256 of its previous hash then its encoding.
pub(crate) fn hash(record: &AuditRecord) -> [u8; 32] {
    HASH_INPUT.with_borrow_mut(|input| {
        input.clear();
        input.extend_from_slice(&record.prev_hash);
        // Over the format-1 form, `codec::encode_record_format_1(RecordKind::Audit, record)`
        // (written by hand, the same bytes): the chain verifies across record versions.
        encode_audit_format_1_into(record, input);
        let hash = Sha256::digest(input.as_slice()).into();
        input.clear();
        input.shrink_to(HASH_INPUT_CAPACITY_BYTES_MAX);
        hash
    })
}

/// Appends a record to the log.
pub(crate) fn append(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    kind: AuditKind,
) -> Result<(), StorageError> {
    append_entry(txn, now, account, kind, None)
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
    append_entry(txn, now, account, kind, Some(replay))
}

fn append_entry(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    kind: AuditKind,
    replay: Option<IdempotencyRecord>,
) -> Result<(), StorageError> {
    let (seq, prev_hash) = match txn.audit_head()? {
        Some(head) => (head.seq + 1, head.hash),
        None => (1, [0; 32]),
    };
    let record = AuditRecord { seq, recorded_at: now, account, kind, prev_hash };
    let hash = hash(&record);
    txn.append_audit(&AuditEntry { record, hash, replay })
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
