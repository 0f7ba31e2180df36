//! The audit chain's hash.
//!
//! The chain is a sequence of groups of consecutive audit records, each group hashed once:
//! SHA-256 of the previous group's hash (zeros before the first), then the format-1 bytes of
//! each record of the group in order (`codec::encode_record_format_1(RecordKind::Audit,
//! record)`, self-delimiting, each record's `prev_hash` being that previous hash). Every record
//! of a group has the group's hash as its hash and the previous group's as its previous hash.
//!
//! Formats 1 to 9 hashed every record on its own: groups of one, whose hash is SHA-256 of the
//! previous hash and the record, as before. From format 10 a group is what one commit appended
//! ([`crate::rows::case::CommittedAuditEntryRow`]): the commit's hash is taken once and kept
//! once, in its last entry (written at record version 4, as a record hashed on its own was).
//! A group of one record is hashed the same way under both rules, so a chain that starts in
//! format 1 and goes on in format 10 verifies as one, and a reader tells the groups apart by
//! their hashes alone: consecutive records with the same hash are one group.

use arrears_core::case::AuditRecord;
use sha2::{Digest, Sha256};

use crate::codec::encode_audit_format_1_into;

/// The hash of a group of consecutive records after the group whose hash is `prev` (every
/// record's `prev_hash`, in a sound chain).
///
/// # Example
///
/// ```
/// use arrears_core::case::{AuditKind, AuditRecord};
/// use arrears_store::chain::group_hash;
///
/// let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
/// let record = |seq, prev_hash| AuditRecord {
///     seq,
///     recorded_at: at,
///     account: None,
///     kind: AuditKind::Command { name: "post_payment".into(), key: format!("p{seq}") },
///     prev_hash,
/// };
/// let first = group_hash(&[0; 32], [&record(1, [0; 32])]);
/// // Two records of one commit share one hash; each alone would be hashed differently.
/// let both = group_hash(&first, [&record(2, first), &record(3, first)]);
/// assert_ne!(both, group_hash(&first, [&record(2, first)]));
/// ```
pub fn group_hash<'a>(
    prev: &[u8; 32],
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> [u8; 32] {
    let mut hasher = GroupHasher::new(*prev);
    for record in records {
        hasher.add(record);
    }
    hasher.hash()
}

/// Largest capacity, in bytes, that a [`GroupHasher`]'s buffer keeps between records: far more
/// than a record of names, keys and a date takes, so that one long record (an error's text)
/// does not hold its memory for the rest of a commit.
const INPUT_CAPACITY_BYTES_MAX: usize = 4096;

/// A group's hash taken record by record, as a commit appends them.
#[derive(Clone)]
pub(crate) struct GroupHasher {
    sha: Sha256,
    /// The previous group's hash, every record's `prev_hash`.
    prev: [u8; 32],
    /// A record's format-1 bytes, reused.
    input: Vec<u8>,
}

impl GroupHasher {
    /// A group after the one whose hash is `prev`.
    pub(crate) fn new(prev: [u8; 32]) -> GroupHasher {
        let mut sha = Sha256::new();
        sha.update(prev);
        GroupHasher { sha, prev, input: Vec::new() }
    }

    /// The previous group's hash.
    pub(crate) fn prev(&self) -> [u8; 32] {
        self.prev
    }

    /// Adds `record` (whose `prev_hash` is [`GroupHasher::prev`] in a sound chain; a record
    /// that says otherwise, read from a damaged log, is hashed as it is).
    pub(crate) fn add(&mut self, record: &AuditRecord) {
        self.input.clear();
        encode_audit_format_1_into(record, &mut self.input);
        self.sha.update(&self.input);
        self.input.clear();
        self.input.shrink_to(INPUT_CAPACITY_BYTES_MAX);
    }

    /// The group's hash with the records added so far.
    pub(crate) fn hash(&self) -> [u8; 32] {
        self.sha.clone().finalize().into()
    }
}
