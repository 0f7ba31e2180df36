//! Bincode's standard form (little-endian, varints) written and read by hand: the frame and
//! the leaves, for the records whose bytes are spelled out on a hot path (`rows::snapshot`'s,
//! `rows::case`'s and `rows::model`'s `bytes` modules, which add their records' fields to
//! [`Out`] and [`In`], and `rows::case::entry`, which only writes).
//!
//! The serde path stays the reference: each record's tests compare the hand-written bytes with
//! its row's. A reader accepts only the canonical form, what [`Out`] writes, in a frame of the
//! current version; anything else (an older version, a non-canonical varint, a variant it does
//! not list, damage) is `None`, and the caller decodes with serde, which then gives the same
//! value or the same error as before.
//!
//! The form, field by field: an unsigned integer is a varint (one byte up to 250, else a
//! marker byte 251, 252, 253 or 254 then 2, 4, 8 or 16 little-endian bytes); a signed one is
//! its zigzag varint; a `u8` is its byte; a `bool` and an `Option`'s tag are one byte (0 or
//! 1); an enum's variant is its index as a varint, then its fields; a sequence is its length as
//! a varint then its items; a string is its length then its UTF-8 bytes; a struct or tuple is
//! its fields in order.

use arrears_core::money::Currency;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::codec::{crc32, RecordKind, RECORD_LEN_MAX};

/// Largest value written in one byte.
pub(super) const SINGLE_BYTE_MAX: u8 = 250;
/// Marker of a 2-byte value.
const U16_BYTE: u8 = 251;
/// Marker of a 4-byte value.
const U32_BYTE: u8 = 252;
/// Marker of an 8-byte value.
const U64_BYTE: u8 = 253;
/// Marker of a 16-byte value.
const U128_BYTE: u8 = 254;

/// A record of `kind` (version byte, the payload `write` writes, CRC-32), as `codec::encode`
/// of its row writes it.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
#[inline]
pub(super) fn encode(kind: RecordKind, write: impl FnOnce(&mut Out)) -> Vec<u8> {
    encode_at(kind, kind.version(), write)
}

/// [`encode`] at record version `version`, for a kind whose older version is still written
/// (an audit entry rewritten whole keeps its own hash, version 4).
pub(super) fn encode_at(kind: RecordKind, version: u8, write: impl FnOnce(&mut Out)) -> Vec<u8> {
    let mut out = Out(Vec::with_capacity(256));
    out.0.push(version);
    write(&mut out);
    assert!(out.0.len() + 4 <= RECORD_LEN_MAX, "{} record too long", kind.name());
    let checksum = crc32(&out.0);
    out.0.extend_from_slice(&checksum.to_le_bytes());
    out.0
}

/// What `read` reads from the payload of a record of `kind` of the current version, if it
/// reads the whole payload; `None` for a frame that is not one (a bad length or checksum,
/// another version), or if `read` gives up or leaves bytes.
#[inline]
pub(super) fn decode<T>(
    kind: RecordKind,
    bytes: &[u8],
    read: impl FnOnce(&mut In<'_>) -> Option<T>,
) -> Option<T> {
    decode_since(kind, bytes, kind.version(), |input, _| read(input))
}

/// [`decode`] for a kind whose versions from `oldest` to the current differ only by the
/// fields appended since (integer dates in all of them): `read` is given the record's version
/// and reads the fields it has, so that records of an older version are read by hand too.
#[inline]
pub(super) fn decode_since<T>(
    kind: RecordKind,
    bytes: &[u8],
    oldest: u8,
    read: impl FnOnce(&mut In<'_>, u8) -> Option<T>,
) -> Option<T> {
    if bytes.len() < 5 || bytes.len() > RECORD_LEN_MAX {
        return None;
    }
    let (framed, checksum) = bytes.split_at(bytes.len() - 4);
    if crc32(framed).to_le_bytes() != checksum {
        return None;
    }
    let (&version, payload) = framed.split_first()?;
    if !(oldest..=kind.version()).contains(&version) {
        return None;
    }
    let mut input = In(payload);
    let value = read(&mut input, version)?;
    input.0.is_empty().then_some(value)
}

/// Appends `value` as bincode's unsigned varint: one byte up to [`SINGLE_BYTE_MAX`], else a
/// marker byte and 2, 4 or 8 little-endian bytes. For writers that append to a buffer they do
/// not own (`rows::case::audit`) as well as [`Out`].
#[inline]
pub(super) fn push_unsigned(bytes: &mut Vec<u8>, value: u64) {
    if value <= u64::from(SINGLE_BYTE_MAX) {
        bytes.push(value as u8);
    } else if value <= u64::from(u16::MAX) {
        bytes.push(U16_BYTE);
        bytes.extend_from_slice(&(value as u16).to_le_bytes());
    } else if value <= u64::from(u32::MAX) {
        bytes.push(U32_BYTE);
        bytes.extend_from_slice(&(value as u32).to_le_bytes());
    } else {
        bytes.push(U64_BYTE);
        bytes.extend_from_slice(&value.to_le_bytes());
    }
}

/// The bytes written so far.
pub(super) struct Out(Vec<u8>);

impl Out {
    /// The bytes written so far, to append to (`rows::case::audit_kind`'s leaves).
    pub(super) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    /// An unsigned varint. Every integer of these records but one fits 64 bits, so this path
    /// does no 128-bit arithmetic ([`Out::unsigned_wide`] is the other).
    #[inline]
    pub(super) fn unsigned(&mut self, value: u64) {
        push_unsigned(&mut self.0, value);
    }

    /// A 128-bit unsigned varint: as [`Out::unsigned`] up to `u64::MAX`, then 16 bytes.
    pub(super) fn unsigned_wide(&mut self, value: u128) {
        match u64::try_from(value) {
            Ok(narrow) => self.unsigned(narrow),
            Err(_) => {
                self.0.push(U128_BYTE);
                self.0.extend_from_slice(&value.to_le_bytes());
            }
        }
    }

    /// A signed integer as its zigzag varint (bincode's: `!value * 2 + 1` when negative).
    #[inline]
    pub(super) fn signed(&mut self, value: i64) {
        let zigzag = if value < 0 { (!(value as u64)) * 2 + 1 } else { (value as u64) * 2 };
        self.unsigned(zigzag);
    }

    /// [`Out::signed`] of a 128-bit integer.
    pub(super) fn signed_wide(&mut self, value: i128) {
        let zigzag = if value < 0 { (!(value as u128)) * 2 + 1 } else { (value as u128) * 2 };
        self.unsigned_wide(zigzag);
    }

    /// A `u8`: its byte, not a varint.
    pub(super) fn byte(&mut self, value: u8) {
        self.0.push(value);
    }

    /// A `bool`, or an `Option`'s tag.
    pub(super) fn flag(&mut self, value: bool) {
        self.0.push(u8::from(value));
    }

    /// A sequence's length.
    pub(super) fn len(&mut self, len: usize) {
        self.unsigned(len as u64);
    }

    /// An enum's variant: its index, as serde gives it to bincode (a `u32`).
    pub(super) fn variant(&mut self, index: u32) {
        self.unsigned(u64::from(index));
    }

    /// A string: its length in bytes, then its bytes.
    pub(super) fn text(&mut self, text: &str) {
        self.len(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }

    /// An optional string.
    pub(super) fn option_text(&mut self, text: Option<&str>) {
        self.flag(text.is_some());
        if let Some(text) = text {
            self.text(text);
        }
    }

    /// A date as its day number (`rows::Day`: an `i32`).
    pub(super) fn day(&mut self, day: NaiveDate) {
        self.signed(i64::from(day.num_days_from_ce()));
    }

    pub(super) fn option_day(&mut self, day: Option<NaiveDate>) {
        self.flag(day.is_some());
        if let Some(day) = day {
            self.day(day);
        }
    }

    /// An instant as `rows::Instant` writes it: its seconds since the epoch (an `i64`), then
    /// its nanoseconds within the second (a `u32`, past 1e9 in a leap second).
    pub(super) fn instant(&mut self, instant: DateTime<Utc>) {
        self.signed(instant.timestamp());
        self.unsigned(u64::from(instant.timestamp_subsec_nanos()));
    }

    pub(super) fn option_instant(&mut self, instant: Option<DateTime<Utc>>) {
        self.flag(instant.is_some());
        if let Some(instant) = instant {
            self.instant(instant);
        }
    }

    /// A currency as its code (`rows::CurrencyCode`).
    pub(super) fn currency(&mut self, currency: Currency) {
        self.text(currency.code());
    }

    /// A fixed-size array of bytes (`[u8; N]`, a tuple to serde): its bytes, no length.
    pub(super) fn array(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// A `Vec<u8>` (a sequence to serde): its length, then its bytes, each a `u8`.
    pub(super) fn byte_seq(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// A decimal as its text (`rows::DecimalText`).
    pub(super) fn decimal(&mut self, value: Decimal) {
        self.text(super::DecimalDigits::of(value).text());
    }
}

/// The bytes not read yet.
pub(super) struct In<'a>(&'a [u8]);

impl In<'_> {
    /// A `u8`: one byte.
    pub(super) fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    /// A fixed-size array of bytes (`[u8; N]`): its bytes, no length.
    pub(super) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take()
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (taken, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*taken)
    }

    /// A varint in canonical form (the shortest) of at most 64 bits.
    #[inline]
    pub(super) fn u64(&mut self) -> Option<u64> {
        match self.byte()? {
            small @ 0..=SINGLE_BYTE_MAX => Some(u64::from(small)),
            U16_BYTE => Some(u64::from(u16::from_le_bytes(self.take()?)))
                .filter(|value| *value > u64::from(SINGLE_BYTE_MAX)),
            U32_BYTE => Some(u64::from(u32::from_le_bytes(self.take()?)))
                .filter(|value| *value > u64::from(u16::MAX)),
            U64_BYTE => {
                Some(u64::from_le_bytes(self.take()?)).filter(|value| *value > u64::from(u32::MAX))
            }
            _ => None,
        }
    }

    /// A 128-bit varint in canonical form.
    pub(super) fn u128(&mut self) -> Option<u128> {
        if self.0.first() == Some(&U128_BYTE) {
            self.byte()?;
            return Some(u128::from_le_bytes(self.take()?))
                .filter(|value| *value > u128::from(u64::MAX));
        }
        self.u64().map(u128::from)
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        u16::try_from(self.u64()?).ok()
    }

    /// A zigzag varint of at most 64 bits.
    #[inline]
    pub(super) fn i64(&mut self) -> Option<i64> {
        let zigzag = self.u64()?;
        Some(if zigzag & 1 == 1 { !((zigzag >> 1) as i64) } else { (zigzag >> 1) as i64 })
    }

    /// A zigzag varint of at most 32 bits.
    pub(super) fn i32(&mut self) -> Option<i32> {
        let zigzag = self.u32()?;
        Some(if zigzag & 1 == 1 { !((zigzag >> 1) as i32) } else { (zigzag >> 1) as i32 })
    }

    /// A zigzag varint of at most 128 bits.
    pub(super) fn i128(&mut self) -> Option<i128> {
        let zigzag = self.u128()?;
        Some(if zigzag & 1 == 1 { !((zigzag >> 1) as i128) } else { (zigzag >> 1) as i128 })
    }

    /// A sequence's length; each item takes at least one byte, so a length past the bytes
    /// left is damage.
    pub(super) fn len(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok().filter(|len| *len <= self.0.len())
    }

    /// A sequence: its length ([`In::len`]), then that many items as `item` reads each.
    #[inline]
    pub(super) fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let len = self.len()?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(item(self)?);
        }
        Some(items)
    }

    /// An enum's variant index.
    pub(super) fn variant(&mut self) -> Option<u32> {
        self.u32()
    }

    /// A fieldless enum's variant: the row at its index in `rows`, the row enum's variants in
    /// order (tables such as `rows::case::bytes::FREQUENCY_ROWS`).
    pub(super) fn variant_of<R: Clone>(&mut self, rows: &[R]) -> Option<R> {
        let index = usize::try_from(self.variant()?).ok()?;
        rows.get(index).cloned()
    }

    /// A `bool`, or an `Option`'s tag.
    pub(super) fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// A string's bytes, borrowed from the record's.
    fn text_bytes(&mut self) -> Option<&str> {
        let text_len = self.len()?;
        let (text, rest) = self.0.split_at_checked(text_len)?;
        self.0 = rest;
        std::str::from_utf8(text).ok()
    }

    /// A string, copied once from the record's bytes.
    pub(super) fn text(&mut self) -> Option<String> {
        self.text_bytes().map(str::to_owned)
    }

    pub(super) fn option_text(&mut self) -> Option<Option<String>> {
        Some(if self.flag()? { Some(self.text()?) } else { None })
    }

    pub(super) fn day(&mut self) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(self.i32()?)
    }

    pub(super) fn option_day(&mut self) -> Option<Option<NaiveDate>> {
        Some(if self.flag()? { Some(self.day()?) } else { None })
    }

    /// An instant as `rows::Instant` reads it: seconds, then nanoseconds, if chrono takes
    /// them.
    pub(super) fn instant(&mut self) -> Option<DateTime<Utc>> {
        let seconds = self.i64()?;
        DateTime::from_timestamp(seconds, self.u32()?)
    }

    pub(super) fn option_instant(&mut self) -> Option<Option<DateTime<Utc>>> {
        Some(if self.flag()? { Some(self.instant()?) } else { None })
    }

    pub(super) fn decimal(&mut self) -> Option<Decimal> {
        self.text_bytes()?.parse().ok()
    }

    /// A currency as its code (`rows::CurrencyCode`), if the table knows it.
    pub(super) fn currency(&mut self) -> Option<Currency> {
        Currency::from_code(self.text_bytes()?).ok()
    }
}
