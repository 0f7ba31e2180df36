//! An audit record's format-1 bytes written by hand: what the audit hash is taken over, for the
//! record every command appends.
//!
//! The reference is `codec::encode_record_format_1(RecordKind::Audit, record)`: the record's
//! [`AuditRecordRow`] serialized by bincode under [`crate::rows::with_strings`], version byte 1,
//! CRC-32. That path builds the row (a copy of every string), goes through serde, and formats
//! the instant with chrono's RFC 3339 writer into a fresh `String`; together a few percent of a
//! payment's instructions. [`encode_format_1_into`] writes the same bytes straight from the
//! record, for every [`AuditKind`] variant (there is no fallback: each variant is a handful of
//! strings and integers). The tests compare the two over arbitrary records of every variant,
//! and the golden tests of `codec/tests.rs` freeze the bytes.
//!
//! The form, field by field (bincode's standard configuration, as in `rows::snapshot::bytes`):
//! an unsigned integer is a varint (one byte up to 250, else a marker byte 251, 252 or 253
//! then 2, 4 or 8 little-endian bytes); an `Option`'s tag is one byte (0 or 1); an enum's
//! variant is its index as a varint, then its fields; a string is its length then its UTF-8
//! bytes; a `[u8; 32]` is its 32 bytes, no length; a struct is its fields in order. Format 1
//! writes a date as the string `%Y-%m-%d` ([`crate::rows::DayText`]) and an instant as chrono's
//! RFC 3339 text with `Z` and as many fractional digits as it needs
//! ([`crate::rows::InstantText`]).

#[cfg(doc)]
use arrears_core::case::AuditKind;
use arrears_core::case::AuditRecord;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use super::audit_kind::{write_kind, KindWriter};
#[cfg(doc)]
use super::AuditRecordRow;
use crate::codec::{crc32, RecordKind, RECORD_LEN_MAX};
use crate::rows::bytes::SINGLE_BYTE_MAX;

/// The version byte of a format-1 record, whatever version stores the record today.
const FORMAT_1_VERSION: u8 = 1;

/// Longest RFC 3339 text of an instant: a signed six-digit year, nine fractional digits
/// (`-262143-01-01T00:00:00.000000001Z`). Shorter than a one-byte length.
const INSTANT_TEXT_LEN_MAX: usize = 33;
const _: () = assert!(INSTANT_TEXT_LEN_MAX <= SINGLE_BYTE_MAX as usize);

/// Longest text of a date (`-262143-01-01`). Shorter than a one-byte length.
const DAY_TEXT_LEN_MAX: usize = 13;
const _: () = assert!(DAY_TEXT_LEN_MAX <= SINGLE_BYTE_MAX as usize);

/// Appends to `out` the bytes of `codec::encode_record_format_1(RecordKind::Audit, record)`:
/// version byte 1, the payload, the CRC-32 of both.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(crate) fn encode_format_1_into(record: &AuditRecord, out: &mut Vec<u8>) {
    let start = out.len();
    let mut writer = Out(out);
    writer.0.push(FORMAT_1_VERSION);
    writer.record(record);
    let record_bytes = &out[start..];
    let kind = RecordKind::Audit;
    assert!(record_bytes.len() + 4 <= RECORD_LEN_MAX, "{} record too long", kind.name());
    let checksum = crc32(record_bytes);
    out.extend_from_slice(&checksum.to_le_bytes());
}

/// The bytes written so far, after whatever the caller's buffer held.
struct Out<'a>(&'a mut Vec<u8>);

impl Out<'_> {
    /// A text no longer than [`SINGLE_BYTE_MAX`] bytes, written by `write` after a one-byte
    /// length that is patched in afterwards, so that the text needs no buffer of its own.
    fn short_text(&mut self, len_max: usize, write: impl FnOnce(&mut Self)) {
        let at = self.0.len();
        self.0.push(0);
        write(self);
        let text_len = self.0.len() - at - 1;
        assert!(text_len <= len_max, "a date's or an instant's text is short");
        self.0[at] = text_len as u8;
    }

    /// A date as format 1 writes it: the string `%Y-%m-%d` (`crate::rows::DayText`).
    fn day(&mut self, day: NaiveDate) {
        self.short_text(DAY_TEXT_LEN_MAX, |out| out.date_digits(day));
    }

    /// An instant as format 1 writes it: the string of chrono's
    /// `to_rfc3339_opts(SecondsFormat::AutoSi, true)` (`crate::rows::InstantText`).
    fn instant(&mut self, instant: DateTime<Utc>) {
        self.short_text(INSTANT_TEXT_LEN_MAX, |out| out.instant_digits(instant));
    }

    /// `YYYY-MM-DD`, the year as chrono writes it in both `%Y` and RFC 3339: four digits from
    /// 0 to 9999, else a sign and at least four digits (`-0001`, `+10000`).
    fn date_digits(&mut self, day: NaiveDate) {
        let year = day.year();
        if (0..=9999).contains(&year) {
            self.digits(year.unsigned_abs(), 4);
        } else {
            self.0.push(if year < 0 { b'-' } else { b'+' });
            self.digits(year.unsigned_abs(), 4);
        }
        self.0.push(b'-');
        self.two_digits(day.month());
        self.0.push(b'-');
        self.two_digits(day.day());
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z`: the fraction in as few of 0, 3, 6 or 9
    /// digits as are exact, and a leap second (chrono's nanoseconds of 1e9 or more, only
    /// ever in the 59th second of a minute) as second 60.
    fn instant_digits(&mut self, instant: DateTime<Utc>) {
        let naive = instant.naive_utc();
        self.date_digits(naive.date());
        self.0.push(b'T');
        let time = naive.time();
        let seconds_from_midnight = time.num_seconds_from_midnight();
        let mut second = seconds_from_midnight % 60;
        let mut nano = time.nanosecond();
        if nano >= 1_000_000_000 {
            second += 1;
            nano -= 1_000_000_000;
        }
        self.two_digits(seconds_from_midnight / 3600);
        self.0.push(b':');
        self.two_digits(seconds_from_midnight / 60 % 60);
        self.0.push(b':');
        self.two_digits(second);
        let fraction = if nano == 0 {
            None
        } else if nano % 1_000_000 == 0 {
            Some((nano / 1_000_000, 3))
        } else if nano % 1_000 == 0 {
            Some((nano / 1_000, 6))
        } else {
            Some((nano, 9))
        };
        if let Some((value, width)) = fraction {
            self.0.push(b'.');
            self.digits(value, width);
        }
        self.0.push(b'Z');
    }

    /// `value`, below 100, as two decimal digits: the month, day, hour, minute and second,
    /// without [`Out::digits`]' loop.
    #[inline]
    fn two_digits(&mut self, value: u32) {
        debug_assert!(value < 100, "{value} has two digits");
        self.0.extend_from_slice(&[b'0' + (value / 10) as u8, b'0' + (value % 10) as u8]);
    }

    /// `value` in decimal, zero-padded to at least `width_min` digits.
    fn digits(&mut self, value: u32, width_min: usize) {
        // `u32::MAX` has 10 digits; widths asked for are at most 9.
        let mut buffer = [b'0'; 10];
        let mut start = buffer.len();
        let mut rest = value;
        while rest > 0 {
            start -= 1;
            buffer[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let start = start.min(buffer.len() - width_min);
        self.0.extend_from_slice(&buffer[start..]);
    }

    /// `AuditRecordRow`'s fields, in its order.
    fn record(&mut self, record: &AuditRecord) {
        // Destructured without `..`: a field added to the record fails to compile here, as it
        // does in the row's conversion.
        let AuditRecord { seq, recorded_at, account, kind, prev_hash } = record;
        self.unsigned(*seq);
        self.instant(*recorded_at);
        self.0.push(u8::from(account.is_some()));
        if let Some(account) = account {
            self.unsigned(account.0);
        }
        write_kind(self, kind);
        self.0.extend_from_slice(prev_hash);
    }
}

impl KindWriter for Out<'_> {
    fn buffer(&mut self) -> &mut Vec<u8> {
        self.0
    }

    fn day(&mut self, day: NaiveDate) {
        Out::day(self, day);
    }

    fn option_instant(&mut self, instant: Option<DateTime<Utc>>) {
        self.0.push(u8::from(instant.is_some()));
        if let Some(instant) = instant {
            self.instant(instant);
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
