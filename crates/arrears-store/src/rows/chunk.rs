//! Chunks (format 11): several consecutive records of one commit in one row of an append-only
//! table keyed by a sequence, `audit` or `ledger_log`, keyed by the first one's sequence.
//!
//! A commit of many commands appended one row per audit entry and one per ledger row, each a
//! B-tree insert of its own. A chunk holds them together: the byte [`CHUNK_MARKER`], then each
//! record as it would be stored alone (its frame: version, payload, checksum), after its length
//! as an unsigned LEB128 varint. The records' sequences are the row's key, then the next ones
//! in order. A chunk is cut before the record that would take it past [`CHUNK_BYTES_MAX`], so
//! that a chunk fits in one page of redb's, and a chunk of one record is written as the record
//! alone (what format 10 wrote): a commit of one command writes the same bytes as before.
//!
//! The chunk adds no checksum of its own: a damaged length splits the bytes wrongly, and the
//! records it cuts then fail their own checksums or lengths, or leave bytes over.

use crate::codec::DecodeError;

/// The first byte of a chunk: a value no record's version byte takes (they count from 1 and
/// are below 16), so a build of format 10 refuses a chunk as a record of an unknown version.
pub(crate) const CHUNK_MARKER: u8 = 0xc0;

/// The bytes a chunk of several records is kept within (a chunk of one record may be longer:
/// it is the record alone).
pub(crate) const CHUNK_BYTES_MAX: usize = 4_000;

/// True if `row` is a chunk of several records, not one record.
pub(crate) fn is_chunk(row: &[u8]) -> bool {
    row.first() == Some(&CHUNK_MARKER)
}

/// The records of a row, in order: the row itself if it is one record, else the records of
/// its chunk.
///
/// # Errors
///
/// A chunk whose lengths do not tile its bytes, or that holds fewer than two records.
pub(crate) fn records(row: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    if !is_chunk(row) {
        return Ok(vec![row]);
    }
    let malformed = |reason: String| DecodeError::Payload { kind: "chunk", reason };
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

/// An unsigned LEB128 length at the start of `bytes`, and how many bytes it took (also the
/// lengths of an account row's parts, `crate::hot`).
pub(crate) fn read_len(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: u64 = 0;
    for (index, byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((usize::try_from(value).ok()?, index + 1));
        }
    }
    None
}

/// Appends `len` as an unsigned LEB128 number.
pub(crate) fn push_len(bytes: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        bytes.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    bytes.push(len as u8);
}

/// The chunk a write transaction is filling: the records it appended to a table since its last
/// full chunk, in chunk form whatever their number.
#[derive(Debug, Default)]
pub(crate) struct ChunkBuilder {
    /// The first record's sequence (the row's key).
    first: u64,
    /// The marker, then each record after its length.
    bytes: Vec<u8>,
    /// How many records it holds.
    entries: usize,
    /// Where the last record's length starts in `bytes`.
    last_at: usize,
    /// Where the last record starts in `bytes`.
    last_record_at: usize,
}

impl ChunkBuilder {
    /// Adds the record of sequence `seq`, above the sequences it holds. Returns the chunk it
    /// cut first, as its key and row, if the record would have taken the chunk past
    /// [`CHUNK_BYTES_MAX`] or does not follow its last record (a sequence taken and not
    /// written: a chunk's records have consecutive sequences).
    pub(crate) fn push(&mut self, seq: u64, record: &[u8]) -> Option<(u64, Vec<u8>)> {
        let next = self.first + self.entries as u64;
        let cut = self.bytes.len() + record.len() + 3 > CHUNK_BYTES_MAX || seq != next;
        let full = (self.entries > 0 && cut).then(|| self.take());
        if self.entries == 0 {
            self.first = seq;
            self.bytes.clear();
            self.bytes.reserve(record.len() + 6);
            self.bytes.push(CHUNK_MARKER);
        }
        self.last_at = self.bytes.len();
        push_len(&mut self.bytes, record.len());
        self.last_record_at = self.bytes.len();
        self.bytes.extend_from_slice(record);
        self.entries += 1;
        full
    }

    /// The last record.
    pub(crate) fn last(&self) -> &[u8] {
        &self.bytes[self.last_record_at..]
    }

    /// Puts `record` in place of the last record (an audit commit's seal, longer than the
    /// record it replaces). Returns the chunk of the records before it, as its key and row, if
    /// `record` would take the chunk past [`CHUNK_BYTES_MAX`]: `record` then stays in the
    /// builder alone.
    ///
    /// # Panics
    ///
    /// If it holds no record.
    #[must_use = "a chunk cut here is a row to write"]
    pub(crate) fn replace_last(&mut self, record: &[u8]) -> Option<(u64, Vec<u8>)> {
        assert!(self.entries > 0, "no record to replace");
        self.bytes.truncate(self.last_at);
        let mut full = None;
        if self.entries > 1 && self.bytes.len() + record.len() + 3 > CHUNK_BYTES_MAX {
            // The records before the last, cut as `push` cuts: alone if there is one.
            let before = self.entries - 1;
            let mut row = std::mem::take(&mut self.bytes);
            if before == 1 {
                let (_, used) = read_len(&row[1..]).expect("a length the builder wrote");
                row.drain(..1 + used);
            }
            full = Some((self.first, row));
            self.first += before as u64;
            self.entries = 1;
            self.bytes.push(CHUNK_MARKER);
            self.last_at = self.bytes.len();
        }
        push_len(&mut self.bytes, record.len());
        self.last_record_at = self.bytes.len();
        self.bytes.extend_from_slice(record);
        full
    }

    /// The first record's sequence and the records in chunk form (for the reads of a
    /// transaction's own records), if it holds any.
    pub(crate) fn pending(&self) -> Option<(u64, &[u8])> {
        (self.entries > 0).then_some((self.first, self.bytes.as_slice()))
    }

    /// The row to write and its key, emptying the builder: the chunk, or the record alone if
    /// it holds one record.
    ///
    /// # Panics
    ///
    /// If it holds no record.
    pub(crate) fn take(&mut self) -> (u64, Vec<u8>) {
        assert!(self.entries > 0, "a chunk of no record");
        let mut row = std::mem::take(&mut self.bytes);
        if self.entries == 1 {
            // The record alone: its marker and length dropped, no new allocation.
            row.drain(..self.last_record_at);
        }
        self.entries = 0;
        (self.first, row)
    }
}

/// The row that holds `records` in order, whatever their sizes: the record alone
/// if there is one, else their chunk (for the hooks that write a damaged or older log).
#[cfg(any(test, feature = "fault-injection"))]
pub(crate) fn row_of(records: &[Vec<u8>]) -> Vec<u8> {
    if let [record] = records {
        return record.clone();
    }
    let mut row = vec![CHUNK_MARKER];
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
        /// Whatever the records' sizes and the gaps between their sequences, the builder cuts
        /// chunks within the limit (or of one record) whose records have consecutive
        /// sequences from the row's key, and reading the rows back gives every record, with
        /// its sequence, in order.
        #[test]
        fn prop_chunks_read_back_as_the_records_pushed(
            pushes in prop::collection::vec((1usize..2_500, 0u64..3), 1..60),
            first in 1u64..1_000,
            seal in 1usize..200,
        ) {
            // Each record with its sequence: the previous one's plus one, plus a gap.
            let mut seq = first;
            let mut pushed: Vec<(u64, Vec<u8>)> = Vec::new();
            for (index, &(size, gap)) in pushes.iter().enumerate() {
                seq += gap;
                pushed.push((seq, vec![(index % 5) as u8 + 1; size]));
                seq += 1;
            }
            let mut builder = ChunkBuilder::default();
            let mut rows = Vec::new();
            for (seq, record) in &pushed {
                rows.extend(builder.push(*seq, record));
                prop_assert_eq!(builder.last(), record.as_slice());
            }
            let sealed = vec![9u8; seal];
            rows.extend(builder.replace_last(&sealed));
            prop_assert_eq!(builder.last(), sealed.as_slice());
            let (pending_first, pending) = builder.pending().unwrap();
            let pending_count = pending_records(pending).len() as u64;
            prop_assert_eq!(pending_first + pending_count, pushed.last().unwrap().0 + 1);
            rows.push(builder.take());
            prop_assert!(builder.pending().is_none());
            let mut expected = pushed.clone();
            expected.last_mut().unwrap().1 = sealed;
            let mut read = Vec::new();
            for (key, row) in &rows {
                let parts = records(row).unwrap();
                prop_assert!(parts.len() == 1 || row.len() <= CHUNK_BYTES_MAX);
                prop_assert_eq!(is_chunk(row), parts.len() > 1);
                read.extend((*key..).zip(parts.into_iter().map(<[u8]>::to_vec)));
            }
            prop_assert_eq!(read, expected);
        }
    }

    /// The case CI found: a seal that takes a chunk past the limit once it replaces the last
    /// record (3,813 bytes, the seal 187 longer) cuts the records before it into their own row.
    #[test]
    fn a_seal_that_overfills_the_chunk_is_left_alone_in_its_row() {
        let mut builder = ChunkBuilder::default();
        assert!(builder.push(1, &[1; 1_983]).is_none());
        assert!(builder.push(2, &[2; 1_823]).is_none());
        assert!(builder.push(3, &[3; 1]).is_none());
        let (key, row) = builder.replace_last(&[9; 188]).expect("the chunk before the seal");
        assert_eq!(key, 1);
        assert!(row.len() <= CHUNK_BYTES_MAX);
        assert_eq!(records(&row).unwrap(), [&[1; 1_983][..], &[2; 1_823][..]]);
        assert_eq!(builder.take(), (3, vec![9; 188]));
        // One record before the seal: that record is cut alone, as `push` cuts it.
        let mut builder = ChunkBuilder::default();
        assert!(builder.push(5, &[1; 3_900]).is_none());
        assert!(builder.push(6, &[2; 10]).is_none());
        assert_eq!(builder.replace_last(&[9; 200]), Some((5, vec![1; 3_900])));
        assert_eq!(builder.take(), (6, vec![9; 200]));
        // A seal that fits stays in the chunk.
        let mut builder = ChunkBuilder::default();
        assert!(builder.push(5, &[1; 10]).is_none());
        assert!(builder.push(6, &[2; 10]).is_none());
        assert!(builder.replace_last(&[9; 50]).is_none());
        let (key, row) = builder.take();
        assert_eq!((key, records(&row).unwrap().len()), (5, 2));
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
        assert!(records(&[CHUNK_MARKER]).is_err());
    }
}
