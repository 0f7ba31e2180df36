//! The snapshot's bytes written and read by hand: bincode's standard form (little-endian,
//! varints) of `AccountStateRow`, spelled out for the one record every payment reads and
//! writes, where serde's generic machinery was most of the snapshot's cost.
//!
//! The serde path stays the reference. [`encode`] writes exactly its bytes (the tests compare
//! them over arbitrary states). [`decode`] accepts only what [`encode`] writes, the canonical
//! form, in a frame of the current version; anything else (an older version, a non-canonical
//! varint, a variant it does not list, damage) returns `None`, and the caller decodes with
//! serde, which then gives the same value or the same error as before.
//!
//! The form, field by field: an unsigned integer is a varint (one byte up to 250, else a
//! marker byte 251, 252, 253 or 254 then 2, 4, 8 or 16 little-endian bytes); a signed one is
//! its zigzag varint; a `bool` and an `Option`'s tag are one byte (0 or 1); a unit variant is
//! its index as a varint; a sequence is its length as a varint then its items; a string is
//! its length then its UTF-8 bytes; a struct or tuple is its fields in order.

use std::collections::VecDeque;
use std::fmt::Write as _;

use arrears_core::ids::{EventSeq, ObligationId};
use arrears_core::ledger::{AccountState, Book, ObligationState, PaymentState, ReplayKey};
use arrears_core::model::Component;
use arrears_core::vec_map::VecMap;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::codec::{crc32, RecordKind, RECORD_LEN_MAX};
use crate::rows::ledger::BookRow;
use crate::rows::model::ComponentRow;
use crate::rows::Stored;

/// Largest value written in one byte.
const SINGLE_BYTE_MAX: u8 = 250;
/// Marker of a 2-byte value.
const U16_BYTE: u8 = 251;
/// Marker of a 4-byte value.
const U32_BYTE: u8 = 252;
/// Marker of an 8-byte value.
const U64_BYTE: u8 = 253;
/// Marker of a 16-byte value.
const U128_BYTE: u8 = 254;

/// `BookRow`'s variants by index, for reading (writing casts the variant to its index).
pub(super) const BOOK_ROWS: [BookRow; 13] = [
    BookRow::Receivable,
    BookRow::Cash,
    BookRow::Originations,
    BookRow::InterestIncome,
    BookRow::FeeIncome,
    BookRow::UnappliedCash,
    BookRow::BadDebt,
    BookRow::Recoveries,
    BookRow::Waivers,
    BookRow::Adjustments,
    BookRow::AgencyCommission,
    BookRow::AgencyPayable,
    BookRow::Suspense,
];

/// `ComponentRow`'s variants by index.
pub(super) const COMPONENT_ROWS: [ComponentRow; 3] =
    [ComponentRow::Principal, ComponentRow::Interest, ComponentRow::Fee];

/// The snapshot record of `state` (version byte, payload, CRC-32), as `codec::encode` of its
/// row writes it.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(super) fn encode(kind: RecordKind, state: &AccountState) -> Vec<u8> {
    let mut out = Out(Vec::with_capacity(256));
    out.0.push(kind.version());
    out.state(state);
    assert!(out.0.len() + 4 <= RECORD_LEN_MAX, "{} record too long", kind.name());
    let checksum = crc32(&out.0);
    out.0.extend_from_slice(&checksum.to_le_bytes());
    out.0
}

/// The state of a snapshot record of the current version in canonical form; `None` for
/// anything else (the caller then decodes with serde).
pub(super) fn decode(kind: RecordKind, bytes: &[u8]) -> Option<AccountState> {
    if bytes.len() < 5 || bytes.len() > RECORD_LEN_MAX {
        return None;
    }
    let (framed, checksum) = bytes.split_at(bytes.len() - 4);
    if crc32(framed).to_le_bytes() != checksum {
        return None;
    }
    let (version, payload) = framed.split_first()?;
    if *version != kind.version() {
        return None;
    }
    let mut input = In(payload);
    let state = input.state()?;
    input.0.is_empty().then_some(state)
}

/// The bytes written so far.
struct Out(Vec<u8>);

impl Out {
    /// An unsigned varint. Every integer of the snapshot but one fits 64 bits, so this path
    /// does no 128-bit arithmetic ([`Out::unsigned_wide`] is the other).
    #[inline]
    fn unsigned(&mut self, value: u64) {
        if value <= u64::from(SINGLE_BYTE_MAX) {
            self.0.push(value as u8);
        } else if value <= u64::from(u16::MAX) {
            self.0.push(U16_BYTE);
            self.0.extend_from_slice(&(value as u16).to_le_bytes());
        } else if value <= u64::from(u32::MAX) {
            self.0.push(U32_BYTE);
            self.0.extend_from_slice(&(value as u32).to_le_bytes());
        } else {
            self.0.push(U64_BYTE);
            self.0.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A 128-bit unsigned varint: as [`Out::unsigned`] up to `u64::MAX`, then 16 bytes.
    fn unsigned_wide(&mut self, value: u128) {
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
    fn signed(&mut self, value: i64) {
        let zigzag = if value < 0 { (!(value as u64)) * 2 + 1 } else { (value as u64) * 2 };
        self.unsigned(zigzag);
    }

    /// [`Out::signed`] of a 128-bit integer.
    fn signed_wide(&mut self, value: i128) {
        let zigzag = if value < 0 { (!(value as u128)) * 2 + 1 } else { (value as u128) * 2 };
        self.unsigned_wide(zigzag);
    }

    fn flag(&mut self, value: bool) {
        self.0.push(u8::from(value));
    }

    fn len(&mut self, len: usize) {
        self.unsigned(len as u64);
    }

    fn day(&mut self, day: NaiveDate) {
        self.signed(i64::from(day.num_days_from_ce()));
    }

    fn option_day(&mut self, day: Option<NaiveDate>) {
        self.flag(day.is_some());
        if let Some(day) = day {
            self.day(day);
        }
    }

    /// A decimal as its text, written in place: its length fits one byte (at most 29 digits,
    /// a sign and a point), patched in once the text is written.
    fn decimal(&mut self, value: Decimal) {
        let at = self.0.len();
        self.0.push(0);
        write!(self, "{value}").unwrap_or_else(|_| unreachable!("writing to a Vec cannot fail"));
        let text_len = self.0.len() - at - 1;
        assert!(text_len <= usize::from(SINGLE_BYTE_MAX), "a decimal's text is short");
        self.0[at] = text_len as u8;
    }

    fn state(&mut self, state: &AccountState) {
        // Destructured without `..`: a field added to the state fails to compile here.
        let AccountState {
            obligations,
            payments,
            unapplied,
            charged_off_on,
            interest_cursor,
            balance_days,
            interest_carry,
            book_balances_minor,
            events_replayed,
            max_seq,
            latest_on,
            accrued_through,
            last,
            cold_parts,
            cold_through,
        } = state;
        self.len(obligations.len());
        for (id, obligation) in obligations {
            self.unsigned(id.0);
            self.obligation(obligation);
        }
        self.len(payments.len());
        for (seq, payment) in payments {
            self.unsigned(u64::from(seq.0));
            self.payment(payment);
        }
        self.len(unapplied.len());
        for (seq, amount_minor) in unapplied {
            self.unsigned(u64::from(seq.0));
            self.signed(*amount_minor);
        }
        self.option_day(*charged_off_on);
        self.day(*interest_cursor);
        self.signed_wide(*balance_days);
        self.decimal(*interest_carry);
        self.len(book_balances_minor.len());
        for (book, amount_minor) in book_balances_minor {
            self.unsigned(book.to_row() as u64);
            self.signed(*amount_minor);
        }
        self.unsigned(u64::from(*events_replayed));
        self.unsigned(u64::from(max_seq.0));
        self.option_day(*latest_on);
        self.option_day(*accrued_through);
        self.flag(last.is_some());
        if let Some(ReplayKey { effective_on, accrual, seq }) = last {
            self.day(*effective_on);
            self.flag(*accrual);
            self.unsigned(u64::from(seq.0));
        }
        self.unsigned(u64::from(*cold_parts));
        self.option_day(*cold_through);
    }

    fn obligation(&mut self, obligation: &ObligationState) {
        let ObligationState { id, issued_on, due_on, outstanding_minor, disputed, accrued } =
            obligation;
        self.unsigned(id.0);
        self.day(*issued_on);
        self.day(*due_on);
        for amount_minor in outstanding_minor {
            self.signed(*amount_minor);
        }
        self.flag(*disputed);
        self.flag(*accrued);
    }

    fn payment(&mut self, payment: &PaymentState) {
        let PaymentState {
            paid_on,
            amount_minor,
            reversed,
            reversed_on,
            allocated,
            unapplied_minor,
        } = payment;
        self.day(*paid_on);
        self.signed(*amount_minor);
        self.flag(*reversed);
        self.option_day(*reversed_on);
        self.len(allocated.len());
        for ((book, obligation, component), amount_minor) in allocated {
            self.unsigned(book.to_row() as u64);
            self.unsigned(obligation.0);
            self.unsigned(component.to_row() as u64);
            self.signed(*amount_minor);
        }
        self.signed(*unapplied_minor);
    }
}

impl std::fmt::Write for Out {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// The bytes not read yet.
struct In<'a>(&'a [u8]);

impl In<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (taken, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*taken)
    }

    /// A varint in canonical form (the shortest) of at most 64 bits.
    #[inline]
    fn u64(&mut self) -> Option<u64> {
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
    fn u128(&mut self) -> Option<u128> {
        if self.0.first() == Some(&U128_BYTE) {
            self.byte()?;
            return Some(u128::from_le_bytes(self.take()?))
                .filter(|value| *value > u128::from(u64::MAX));
        }
        self.u64().map(u128::from)
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    /// A zigzag varint of at most 64 bits.
    #[inline]
    fn i64(&mut self) -> Option<i64> {
        let zigzag = self.u64()?;
        Some(if zigzag & 1 == 1 { !((zigzag >> 1) as i64) } else { (zigzag >> 1) as i64 })
    }

    /// A zigzag varint of at most 128 bits.
    fn i128(&mut self) -> Option<i128> {
        let zigzag = self.u128()?;
        Some(if zigzag & 1 == 1 { !((zigzag >> 1) as i128) } else { (zigzag >> 1) as i128 })
    }

    /// A sequence's length; each item takes at least one byte, so a length past the bytes
    /// left is damage.
    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok().filter(|len| *len <= self.0.len())
    }

    fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn day(&mut self) -> Option<NaiveDate> {
        // An `i32` is the zigzag varint of at most 32 bits.
        let zigzag = u32::try_from(self.u64()?).ok()?;
        let days = if zigzag & 1 == 1 { !((zigzag >> 1) as i32) } else { (zigzag >> 1) as i32 };
        NaiveDate::from_num_days_from_ce_opt(days)
    }

    fn option_day(&mut self) -> Option<Option<NaiveDate>> {
        Some(if self.flag()? { Some(self.day()?) } else { None })
    }

    fn decimal(&mut self) -> Option<Decimal> {
        let text_len = self.len()?;
        let (text, rest) = self.0.split_at_checked(text_len)?;
        self.0 = rest;
        std::str::from_utf8(text).ok()?.parse().ok()
    }

    fn book(&mut self) -> Option<Book> {
        let index = usize::try_from(self.u32()?).ok()?;
        BOOK_ROWS.get(index).copied().map(Book::from_row)
    }

    fn component(&mut self) -> Option<Component> {
        let index = usize::try_from(self.u32()?).ok()?;
        COMPONENT_ROWS.get(index).copied().map(Component::from_row)
    }

    fn state(&mut self) -> Option<AccountState> {
        let obligations_len = self.len()?;
        let mut obligations = VecMap::with_capacity(obligations_len);
        for _ in 0..obligations_len {
            let id = ObligationId(self.u64()?);
            obligations.insert(id, self.obligation()?);
        }
        let payments_len = self.len()?;
        let mut payments = VecMap::with_capacity(payments_len);
        for _ in 0..payments_len {
            let seq = EventSeq(self.u32()?);
            payments.insert(seq, self.payment()?);
        }
        let unapplied_len = self.len()?;
        let mut unapplied = VecDeque::with_capacity(unapplied_len);
        for _ in 0..unapplied_len {
            unapplied.push_back((EventSeq(self.u32()?), self.i64()?));
        }
        let charged_off_on = self.option_day()?;
        let interest_cursor = self.day()?;
        let balance_days = self.i128()?;
        let interest_carry = self.decimal()?;
        let books_len = self.len()?;
        let mut book_balances_minor = VecMap::with_capacity(books_len);
        for _ in 0..books_len {
            let book = self.book()?;
            book_balances_minor.insert(book, self.i64()?);
        }
        Some(AccountState {
            obligations,
            payments,
            unapplied,
            charged_off_on,
            interest_cursor,
            balance_days,
            interest_carry,
            book_balances_minor,
            events_replayed: self.u32()?,
            max_seq: EventSeq(self.u32()?),
            latest_on: self.option_day()?,
            accrued_through: self.option_day()?,
            last: if self.flag()? {
                Some(ReplayKey {
                    effective_on: self.day()?,
                    accrual: self.flag()?,
                    seq: EventSeq(self.u32()?),
                })
            } else {
                None
            },
            cold_parts: self.u32()?,
            cold_through: self.option_day()?,
        })
    }

    fn obligation(&mut self) -> Option<ObligationState> {
        Some(ObligationState {
            id: ObligationId(self.u64()?),
            issued_on: self.day()?,
            due_on: self.day()?,
            outstanding_minor: [self.i64()?, self.i64()?, self.i64()?],
            disputed: self.flag()?,
            accrued: self.flag()?,
        })
    }

    fn payment(&mut self) -> Option<PaymentState> {
        let paid_on = self.day()?;
        let amount_minor = self.i64()?;
        let reversed = self.flag()?;
        let reversed_on = self.option_day()?;
        let allocated_len = self.len()?;
        let mut allocated = VecMap::with_capacity(allocated_len);
        for _ in 0..allocated_len {
            let key = (self.book()?, ObligationId(self.u64()?), self.component()?);
            allocated.insert(key, self.i64()?);
        }
        Some(PaymentState {
            paid_on,
            amount_minor,
            reversed,
            reversed_on,
            allocated,
            unapplied_minor: self.i64()?,
        })
    }
}
