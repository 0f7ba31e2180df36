//! Audit chunks (format 11): several consecutive audit entries of one commit in one row of
//! `audit`, keyed by the first one's sequence.
//!
//! A commit of many commands appended one row to `audit` per entry, each a B-tree insert of its
//! own. A chunk holds them together: the version byte [`AUDIT_CHUNK_VERSION`], then each
//! entry's record as it would be stored alone (its frame: version, payload, checksum), after
//! its length as an unsigned LEB128 varint. The entries' sequences are the row's key, then the
//! next ones in order; each record keeps its own sequence, which the reader checks against
//! that. A chunk is cut before the entry that would take it past [`AUDIT_CHUNK_BYTES_MAX`], so
//! that a chunk fits in one page of redb's, and a chunk of one entry is written as the entry
//! alone (what format 10 wrote): a commit of one command writes the same bytes as before.
//!
//! The chunk adds no checksum of its own: a damaged length splits the bytes wrongly, and the
//! records it cuts then fail their own checksums or lengths, or leave bytes over.

use crate::codec::DecodeError;

/// The version byte of an audit chunk, above every audit record version (1 to 5).
pub(crate) const AUDIT_CHUNK_VERSION: u8 = 6;

/// The bytes a chunk of several entries is kept within (a chunk of one entry may be longer:
/// it is the entry alone).
pub(crate) const AUDIT_CHUNK_BYTES_MAX: usize = 4_000;

/// True if `row` (a row of `audit`) is a chunk of several entries, not one entry's record.
pub(crate) fn is_chunk(row: &[u8]) -> bool {
    row.first() == Some(&AUDIT_CHUNK_VERSION)
}

/// The entries' records of a row of `audit`, in order: the row itself if it is one entry's
/// record, else the records of its chunk.
///
/// # Errors
///
/// A chunk whose lengths do not tile its bytes, or that holds fewer than two entries.
pub(crate) fn records(row: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    if !is_chunk(row) {
        return Ok(vec![row]);
    }
    let malformed = |reason: String| DecodeError::Payload { kind: "audit chunk", reason };
    let mut records = Vec::new();
    let mut rest = &row[1..];
    while !rest.is_empty() {
        let (len, used) = read_len(rest).ok_or_else(|| {
            malformed(format!("the length of record {} is cut off", records.len() + 1))
        })?;
        rest = &rest[used..];
        if len > rest.len() {
            return Err(malformed(format!(
                "record {} of {len} bytes runs past the chunk's end ({} bytes left)",
                records.len() + 1,
                rest.len()
            )));
        }
        records.push(&rest[..len]);
        rest = &rest[len..];
    }
    if records.len() < 2 {
        return Err(malformed(format!(
            "{} records (a chunk holds two or more; one is stored alone)",
            records.len()
        )));
    }
    Ok(records)
}

/// An unsigned LEB128 length at the start of `bytes`, and how many bytes it took.
fn read_len(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: u64 = 0;
    for (index, byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((usize::try_from(value).ok()?, index + 1));
        }
    }
    None
}

fn push_len(bytes: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        bytes.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    bytes.push(len as u8);
}

/// The chunk a write transaction is filling: the entries it appended since its last full
/// chunk, in chunk form whatever their number.
#[derive(Debug, Default)]
pub(crate) struct ChunkBuilder {
    /// The first entry's sequence (the row's key).
    first: u64,
    /// The version byte, then each record after its length.
    bytes: Vec<u8>,
    /// How many entries it holds.
    entries: usize,
    /// Where the last entry's length starts in `bytes`.
    last_at: usize,
    /// Where the last entry's record starts in `bytes`.
    last_record_at: usize,
}

impl ChunkBuilder {
    /// Adds the record of the entry `seq` (the next sequence, or the first of an empty
    /// builder). Returns the full chunk it cut first, as its key and row, if the record would
    /// have taken the chunk past [`AUDIT_CHUNK_BYTES_MAX`].
    pub(crate) fn push(&mut self, seq: u64, record: &[u8]) -> Option<(u64, Vec<u8>)> {
        let full = (self.entries > 0
            && self.bytes.len() + record.len() + 3 > AUDIT_CHUNK_BYTES_MAX)
            .then(|| self.take());
        if self.entries == 0 {
            self.first = seq;
            self.bytes.clear();
            self.bytes.push(AUDIT_CHUNK_VERSION);
        }
        debug_assert_eq!(seq, self.first + self.entries as u64, "entries in sequence");
        self.last_at = self.bytes.len();
        push_len(&mut self.bytes, record.len());
        self.last_record_at = self.bytes.len();
        self.bytes.extend_from_slice(record);
        self.entries += 1;
        full
    }

    /// The last entry's record.
    pub(crate) fn last(&self) -> &[u8] {
        &self.bytes[self.last_record_at..]
    }

    /// Puts `record` in place of the last entry's record (its commit's seal).
    pub(crate) fn replace_last(&mut self, record: &[u8]) {
        self.bytes.truncate(self.last_at);
        push_len(&mut self.bytes, record.len());
        self.last_record_at = self.bytes.len();
        self.bytes.extend_from_slice(record);
    }

    /// The first entry's sequence and the entries' bytes in chunk form (for the reads of a
    /// transaction's own entries), if it holds any.
    pub(crate) fn pending(&self) -> Option<(u64, &[u8])> {
        (self.entries > 0).then_some((self.first, self.bytes.as_slice()))
    }

    /// The row to write and its key, emptying the builder: the chunk, or the record alone if
    /// it holds one entry.
    ///
    /// # Panics
    ///
    /// If it holds no entry.
    pub(crate) fn take(&mut self) -> (u64, Vec<u8>) {
        assert!(self.entries > 0, "an audit chunk of no entry");
        let row = if self.entries == 1 {
            self.bytes[self.last_record_at..].to_vec()
        } else {
            std::mem::take(&mut self.bytes)
        };
        self.entries = 0;
        (self.first, row)
    }
}

/// The row of `audit` that holds `records` in order, whatever their sizes: the record alone
/// if there is one, else their chunk (for the hooks that write a damaged or older log).
#[cfg(any(test, feature = "fault-injection"))]
pub(crate) fn row_of(records: &[Vec<u8>]) -> Vec<u8> {
    if let [record] = records {
        return record.clone();
    }
    let mut row = vec![AUDIT_CHUNK_VERSION];
    for record in records {
        push_len(&mut row, record.len());
        row.extend_from_slice(record);
    }
    row
}

/// The records of `pending` (a [`ChunkBuilder::pending`]'s bytes, in chunk form whatever the
/// number of entries).
pub(crate) fn pending_records(pending: &[u8]) -> Vec<&[u8]> {
    let mut records = Vec::new();
    let mut rest = pending.get(1..).unwrap_or_default();
    while let Some((len, used)) = read_len(rest) {
        let Some(record) = rest.get(used..used + len) else { break };
        records.push(record);
        rest = &rest[used + len..];
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the records' sizes, the builder cuts chunks within the limit (or of one
        /// record), their keys follow the sequence, and reading the rows back gives every
        /// record in order.
        #[test]
        fn prop_chunks_read_back_as_the_records_pushed(
            sizes in prop::collection::vec(1usize..2_500, 1..60),
            first in 1u64..1_000,
            seal in 1usize..200,
        ) {
            let pushed: Vec<Vec<u8>> = sizes
                .iter()
                .enumerate()
                .map(|(index, &size)| vec![(index % 5) as u8 + 1; size])
                .collect();
            let mut builder = ChunkBuilder::default();
            let mut rows = Vec::new();
            for (index, record) in pushed.iter().enumerate() {
                rows.extend(builder.push(first + index as u64, record));
                prop_assert_eq!(builder.last(), record.as_slice());
            }
            let sealed = vec![9u8; seal];
            builder.replace_last(&sealed);
            let (pending_first, pending) = builder.pending().unwrap();
            let pending_count = pending_records(pending).len();
            prop_assert_eq!(pending_first + pending_count as u64, first + pushed.len() as u64);
            rows.push(builder.take());
            prop_assert!(builder.pending().is_none());
            let mut expected = pushed.clone();
            *expected.last_mut().unwrap() = sealed;
            let mut read = Vec::new();
            let mut next = first;
            for (key, row) in &rows {
                prop_assert_eq!(*key, next);
                let parts = records(row).unwrap();
                prop_assert!(parts.len() == 1 || row.len() <= AUDIT_CHUNK_BYTES_MAX);
                prop_assert_eq!(is_chunk(row), parts.len() > 1);
                next += parts.len() as u64;
                read.extend(parts.into_iter().map(<[u8]>::to_vec));
            }
            prop_assert_eq!(read, expected);
        }
    }

    #[test]
    fn a_damaged_chunk_is_an_error_not_other_records() {
        let mut builder = ChunkBuilder::default();
        assert!(builder.push(7, &[1; 10]).is_none());
        assert!(builder.push(8, &[2; 300]).is_none());
        let (key, row) = builder.take();
        assert_eq!((key, records(&row).unwrap().len()), (7, 2));
        // The second length (300: 0xac 0x02) made longer than what is left.
        let mut long = row.clone();
        long[12] = 0xff;
        assert!(records(&long).unwrap_err().to_string().contains("runs past the chunk's end"));
        // A length cut off at the end.
        let mut cut = row[..12].to_vec();
        cut.push(0x80);
        assert!(records(&cut).unwrap_err().to_string().contains("cut off"));
        // A chunk of one record is not how one is stored.
        assert!(records(&row[..12]).unwrap_err().to_string().contains("1 records"));
        assert!(records(&[AUDIT_CHUNK_VERSION]).is_err());
    }
}
