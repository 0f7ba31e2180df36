//! Format 15's account rows: an account's record, its collection case and its snapshot in one
//! row of `account_rows`, so that a payment reads one row and rewrites one (issue 16's hot
//! row; docs/FORMAT.md, "AccountRow"). Formats 14 and older kept the three in the tables
//! `accounts`, `cases` and `snapshots`; a transaction on a store of such a format (the
//! migration's steps, the hooks that write older formats) reads and writes those tables
//! instead ([`TableAccess::hot_rows`]). Every read and write of the three records goes through
//! [`get_part`], [`scan_parts`] and [`put_part`], which know both layouts.
//!
//! A row is its version byte (1), then the account record's bytes and the case record's, each
//! after its length (a LEB128 varint; 0 when the row has none), then the snapshot record's
//! bytes to the end (none when the row ends there). Each part is a whole record as the older
//! tables held it (its own version byte and checksum), so a part decodes as it always did.

use std::ops::RangeBounds;

use redb::{ReadableTable, ReadableTableMetadata};

use crate::codec::DecodeError;
use crate::error::{from_redb, StorageError};
use crate::rows::chunk::{push_len, read_len};
use crate::schema::{AccountRows, Accounts, Cases, Snapshots};
use crate::txn::{TableAccess, WriteTxn};

/// The version byte of an account row.
const ROW_VERSION: u8 = 1;

/// The table that names account rows in errors.
pub(crate) const TABLE: &str = "account_rows";

/// One of the three records an account row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The account record (`RecordKind::Account`).
    Account,
    /// The collection case (`RecordKind::Case`); a case in `cases_overlay` shadows it.
    Case,
    /// The snapshot (`RecordKind::Snapshot`).
    Snapshot,
}

impl Part {
    /// The table of formats 14 and older that held this part.
    pub(crate) fn table_of_format_14(self) -> &'static str {
        match self {
            Part::Account => "accounts",
            Part::Case => "cases",
            Part::Snapshot => "snapshots",
        }
    }

    /// The table an error about this part names in a transaction of `hot_rows` or not.
    pub(crate) fn table(self, hot_rows: bool) -> &'static str {
        if hot_rows {
            TABLE
        } else {
            self.table_of_format_14()
        }
    }
}

/// The three parts of a row, each empty when the row has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    pub(crate) account: &'a [u8],
    pub(crate) case: &'a [u8],
    pub(crate) snapshot: &'a [u8],
}

impl<'a> Parts<'a> {
    /// `part`'s bytes, if the row has it.
    pub(crate) fn get(&self, part: Part) -> Option<&'a [u8]> {
        let bytes = match part {
            Part::Account => self.account,
            Part::Case => self.case,
            Part::Snapshot => self.snapshot,
        };
        (!bytes.is_empty()).then_some(bytes)
    }

    fn set(&mut self, part: Part, bytes: &'a [u8]) {
        match part {
            Part::Account => self.account = bytes,
            Part::Case => self.case = bytes,
            Part::Snapshot => self.snapshot = bytes,
        }
    }

    fn is_empty(&self) -> bool {
        self.account.is_empty() && self.case.is_empty() && self.snapshot.is_empty()
    }
}

fn malformed(reason: String) -> DecodeError {
    DecodeError::Payload { kind: "account row", reason }
}

/// Splits a row into its parts.
///
/// # Errors
///
/// A row of another version, or whose lengths run past its end.
pub(crate) fn parse(row: &[u8]) -> Result<Parts<'_>, DecodeError> {
    let Some((&version, mut rest)) = row.split_first() else {
        return Err(malformed("an empty row".into()));
    };
    if version != ROW_VERSION {
        return Err(DecodeError::Version { kind: "account row", found: version, expected: 1 });
    }
    let mut take = |what: &str| -> Result<&[u8], DecodeError> {
        let (len, used) = read_len(rest)
            .ok_or_else(|| malformed(format!("the {what} record's length is cut short")))?;
        let bytes = rest.get(used..used.saturating_add(len)).ok_or_else(|| {
            malformed(format!("the {what} record's length ({len}) runs past the row's end"))
        })?;
        rest = &rest[used + len..];
        Ok(bytes)
    };
    let account = take("account")?;
    let case = take("case")?;
    Ok(Parts { account, case, snapshot: rest })
}

/// The row of `parts`.
pub(crate) fn encode(parts: &Parts<'_>) -> Vec<u8> {
    let len = 1 + 10 + parts.account.len() + 10 + parts.case.len() + parts.snapshot.len();
    let mut row = Vec::with_capacity(len);
    row.push(ROW_VERSION);
    push_len(&mut row, parts.account.len());
    row.extend_from_slice(parts.account);
    push_len(&mut row, parts.case.len());
    row.extend_from_slice(parts.case);
    row.extend_from_slice(parts.snapshot);
    row
}

fn legacy_error(part: Part, key: u64, reason: DecodeError) -> StorageError {
    StorageError::Corrupted { table: part.table_of_format_14(), key: key.to_string(), reason }
}

fn row_error(key: u64, reason: DecodeError) -> StorageError {
    StorageError::Corrupted { table: TABLE, key: key.to_string(), reason }
}

/// Runs `decode` on `part` of account `key`'s row, or of its row in the part's table of format
/// 14 on a transaction of an older format; `None` when there is no such part.
///
/// # Errors
///
/// A storage failure, a malformed row, or `decode`'s error, as `Corrupted` with the key.
pub(crate) fn get_part<R: TableAccess + ?Sized, T>(
    read: &R,
    part: Part,
    key: u64,
    decode: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
) -> Result<Option<T>, StorageError> {
    if read.hot_rows() {
        return read.read_table(AccountRows, |table| {
            let Some(guard) = table.get(key).map_err(from_redb)? else { return Ok(None) };
            let parts = parse(guard.value()).map_err(|reason| row_error(key, reason))?;
            match parts.get(part) {
                Some(bytes) => decode(bytes).map(Some).map_err(|reason| row_error(key, reason)),
                None => Ok(None),
            }
        });
    }
    macro_rules! legacy {
        ($table:expr) => {
            read.read_table($table, |table| {
                let Some(guard) = table.get(key).map_err(from_redb)? else { return Ok(None) };
                decode(guard.value()).map(Some).map_err(|reason| legacy_error(part, key, reason))
            })
        };
    }
    match part {
        Part::Account => legacy!(Accounts),
        Part::Case => legacy!(Cases),
        Part::Snapshot => legacy!(Snapshots),
    }
}

/// Runs `decode` on `part` of each row with a key in `range`, in key order, passing over rows
/// without the part, until it has `limit` answers (`decode` sees the key and the part's
/// bytes).
///
/// # Errors
///
/// A storage failure, a malformed row, or `decode`'s error, as `Corrupted` with the key.
pub(crate) fn scan_parts<R: TableAccess + ?Sized, T>(
    read: &R,
    part: Part,
    range: impl RangeBounds<u64>,
    limit: usize,
    mut decode: impl FnMut(u64, &[u8]) -> Result<T, DecodeError>,
) -> Result<Vec<T>, StorageError> {
    let mut found = Vec::new();
    if limit == 0 {
        return Ok(found);
    }
    if read.hot_rows() {
        read.read_table(AccountRows, |table| {
            for row in table.range(range).map_err(from_redb)? {
                let (key, value) = row.map_err(from_redb)?;
                let key = key.value();
                let parts = parse(value.value()).map_err(|reason| row_error(key, reason))?;
                if let Some(bytes) = parts.get(part) {
                    found.push(decode(key, bytes).map_err(|reason| row_error(key, reason))?);
                    if found.len() >= limit {
                        break;
                    }
                }
            }
            Ok(())
        })?;
        return Ok(found);
    }
    macro_rules! legacy {
        ($table:expr) => {
            read.read_table($table, |table| {
                for row in table.range(range).map_err(from_redb)? {
                    let (key, value) = row.map_err(from_redb)?;
                    let key = key.value();
                    let decoded = decode(key, value.value())
                        .map_err(|reason| legacy_error(part, key, reason))?;
                    found.push(decoded);
                    if found.len() >= limit {
                        break;
                    }
                }
                Ok(())
            })?
        };
    }
    match part {
        Part::Account => legacy!(Accounts),
        Part::Case => legacy!(Cases),
        Part::Snapshot => legacy!(Snapshots),
    }
    Ok(found)
}

/// How many rows hold `part` or others: the rows of `account_rows`, or on a transaction of an
/// older format those of the part's table.
///
/// # Errors
///
/// A storage failure.
pub(crate) fn rows<R: TableAccess + ?Sized>(read: &R, part: Part) -> Result<u64, StorageError> {
    if read.hot_rows() {
        return read.read_table(AccountRows, |table| table.len().map_err(from_redb));
    }
    match part {
        Part::Account => read.read_table(Accounts, |table| table.len().map_err(from_redb)),
        Part::Case => read.read_table(Cases, |table| table.len().map_err(from_redb)),
        Part::Snapshot => read.read_table(Snapshots, |table| table.len().map_err(from_redb)),
    }
}

/// Writes `part` of account `key` as `bytes` (`None` removes it), keeping the row's other
/// parts as they are; a row left with no part is removed. On a transaction of an older format,
/// writes (or removes) the row of the part's table of format 14 instead.
///
/// # Errors
///
/// A storage failure, or a malformed row (then nothing is written).
pub(crate) fn put_part(
    txn: &mut WriteTxn,
    part: Part,
    key: u64,
    bytes: Option<&[u8]>,
) -> Result<(), StorageError> {
    put_parts(txn, key, &[(part, bytes)])
}

/// [`put_part`] of several parts of one account at once: the row is read, changed and written
/// once (on a transaction of an older format, each part's table once).
///
/// # Errors
///
/// A storage failure, or a malformed row (then nothing is written).
pub(crate) fn put_parts(
    txn: &mut WriteTxn,
    key: u64,
    parts: &[(Part, Option<&[u8]>)],
) -> Result<(), StorageError> {
    if !txn.hot_rows() {
        for &(part, bytes) in parts {
            macro_rules! legacy {
                ($table:expr) => {
                    txn.write_table($table, |table| {
                        match bytes {
                            Some(bytes) => drop(table.insert(key, bytes).map_err(from_redb)?),
                            None => drop(table.remove(key).map_err(from_redb)?),
                        }
                        Ok(())
                    })
                };
            }
            match part {
                Part::Account => legacy!(Accounts),
                Part::Case => legacy!(Cases),
                Part::Snapshot => legacy!(Snapshots),
            }?;
        }
        return Ok(());
    }
    txn.write_table(AccountRows, |table| {
        let row = {
            let guard = table.get(key).map_err(from_redb)?;
            let mut row = match &guard {
                Some(guard) => parse(guard.value()).map_err(|reason| row_error(key, reason))?,
                None => Parts::default(),
            };
            for &(part, bytes) in parts {
                row.set(part, bytes.unwrap_or_default());
            }
            (!row.is_empty()).then(|| encode(&row))
        };
        match row {
            Some(row) => drop(table.insert(key, row.as_slice()).map_err(from_redb)?),
            None => drop(table.remove(key).map_err(from_redb)?),
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any parts make a row that splits back into them; a row cut anywhere, or of another
    /// version, is an error, never a panic or other parts.
    #[test]
    fn rows_split_back_into_their_parts_and_cut_rows_are_errors() {
        let long = vec![7_u8; 300];
        let cases: [Parts<'_>; 5] = [
            Parts { account: b"account", case: b"case", snapshot: b"snapshot" },
            Parts { account: b"account", case: b"", snapshot: b"" },
            Parts { account: b"", case: b"case", snapshot: b"" },
            Parts { account: b"", case: b"", snapshot: &long },
            Parts { account: &long, case: &long, snapshot: &long },
        ];
        for parts in cases {
            let row = encode(&parts);
            assert_eq!(parse(&row).unwrap(), parts);
            for cut in 0..row.len() {
                match parse(&row[..cut]) {
                    Err(_) => {}
                    // Cut inside the snapshot, the rest is a shorter snapshot: the snapshot's
                    // own checksum tells.
                    Ok(short) => {
                        assert_eq!((short.account, short.case), (parts.account, parts.case));
                        assert!(short.snapshot.len() < parts.snapshot.len());
                    }
                }
            }
        }
        let mut other = encode(&cases[0]);
        other[0] = 2;
        assert!(matches!(parse(&other), Err(DecodeError::Version { found: 2, .. })));
        // A length past the end, and one that does not fit in 64 bits.
        assert!(parse(&[1, 0x05, 1, 2]).is_err());
        assert!(parse(&[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
    }

    proptest::proptest! {
        /// Any three parts make a row that splits back into exactly them.
        #[test]
        fn prop_a_row_round_trips(
            account in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            case in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            snapshot in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            let parts = Parts { account: &account, case: &case, snapshot: &snapshot };
            let row = encode(&parts);
            proptest::prop_assert_eq!(parse(&row).unwrap(), parts);
        }

        /// Any bytes split into parts that lie within them, or are an error: never a panic.
        #[test]
        fn prop_any_bytes_split_or_fail(
            row in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        ) {
            if let Ok(parts) = parse(&row) {
                let len = parts.account.len() + parts.case.len() + parts.snapshot.len();
                proptest::prop_assert!(len < row.len());
                proptest::prop_assert_eq!(encode(&parts).len() <= row.len(), true);
            }
        }
    }
}
