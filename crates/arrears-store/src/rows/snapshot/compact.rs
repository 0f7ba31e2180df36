//! The compact snapshot record (version 4, format 13): the account's hot row in about half the
//! bytes of version 3.
//!
//! Every payment writes its account's snapshot, and a B-tree insert costs in proportion to the
//! value it writes and the leaf it rebuilds: redb alone, doing a payment's writes with the
//! snapshot at 100 bytes instead of 198, ran 16% faster (docs/BENCHMARKS.md, session 37).
//! Version 3 spelled the state out in bincode's standard form, where a date takes five bytes, an
//! amount of 10.00 three, an obligation's id twice, and each book balance its book's index.
//! Version 4 keeps the same fields and drops the redundancy:
//!
//! - integers are LEB128 varints (seven bits a byte), signed ones zigzagged first;
//! - one date, the interest cursor, is the row's anchor (its day number from the common era);
//!   every other date is its distance in days from a nearby date already written (the anchor,
//!   or the obligation's issue date, or the payment's date);
//! - map keys that ascend (obligation ids, payment sequences) are written as the step from the
//!   previous key; an allocation's obligation as the step from the previous allocation's;
//! - presence and small booleans are bits of a flags byte; amounts that are zero are not written;
//! - an allocation's book and component are one byte; the book balances are a bit set of the
//!   books held, then their amounts;
//! - the decimal interest carry is its scale and sign in a byte, then its magnitude.
//!
//! The account's ledger head stays the last eight bytes of the payload, little-endian, as in
//! version 3, so that it is read without decoding the state ([`super::decode_head`]).
//!
//! Every state has exactly one encoding and it decodes to an equal state: the tests check that
//! over arbitrary states (ids that differ from their keys, dates at the ends of the range,
//! `i64::MIN` amounts, negative zero). The reader refuses anything the writer does not write
//! (unknown bits, a key that does not ascend, a date out of range, a varint longer than its
//! type, bytes left over) with a reason, never a panic.

use std::collections::VecDeque;

use arrears_core::ids::{EventSeq, ObligationId};
use arrears_core::ledger::{AccountState, Book, ObligationState, PaymentState, ReplayKey};
use arrears_core::model::Component;
use arrears_core::vec_map::VecMap;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::bytes::{BOOK_ROWS, COMPONENT_ROWS};
use crate::rows::Stored;

/// The record version of this form.
pub(crate) const VERSION: u8 = 4;

// The state's flags byte.
const CHARGED_OFF: u8 = 1;
const LATEST_ON: u8 = 1 << 1;
const ACCRUED_THROUGH: u8 = 1 << 2;
const LAST: u8 = 1 << 3;
const LAST_ACCRUAL: u8 = 1 << 4;
const COLD_THROUGH: u8 = 1 << 5;
const STATE_FLAGS: u8 = (1 << 6) - 1;

// An obligation's flags byte.
const DISPUTED: u8 = 1;
const ACCRUED: u8 = 1 << 1;
/// Bits 2, 3 and 4: the principal, interest and fee outstanding are not zero (and follow).
const OUTSTANDING_SHIFT: u8 = 2;
/// The obligation's `id` differs from its key in the map (and follows): never in a state the
/// ledger builds, but the form keeps any state exactly.
const OWN_ID: u8 = 1 << 5;
const OBLIGATION_FLAGS: u8 = (1 << 6) - 1;

// A payment's flags byte.
const REVERSED: u8 = 1;
const REVERSED_ON: u8 = 1 << 1;
const UNAPPLIED: u8 = 1 << 2;
const PAYMENT_FLAGS: u8 = (1 << 3) - 1;

/// The interest carry's byte: its scale in the low bits, its sign in the top one.
const NEGATIVE: u8 = 1 << 7;

/// A decimal's largest scale (rust_decimal's).
const SCALE_MAX: u8 = 28;

/// Writes the payload of the version-4 record of `state` and `ledger_head` to `out`.
pub(super) fn encode(out: &mut Vec<u8>, state: &AccountState, ledger_head: u64) {
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
    // Room for a typical state at once (a few bytes a field), so that the pushes seldom grow
    // the buffer.
    out.reserve(48 + 12 * obligations.len() + 16 * payments.len());
    let mut flags = 0;
    for (present, bit) in [
        (charged_off_on.is_some(), CHARGED_OFF),
        (latest_on.is_some(), LATEST_ON),
        (accrued_through.is_some(), ACCRUED_THROUGH),
        (last.is_some(), LAST),
        (last.is_some_and(|last| last.accrual), LAST_ACCRUAL),
        (cold_through.is_some(), COLD_THROUGH),
    ] {
        if present {
            flags |= bit;
        }
    }
    out.push(flags);
    let anchor = *interest_cursor;
    signed(out, i64::from(anchor.num_days_from_ce()));

    unsigned(out, obligations.len() as u64);
    let mut previous = 0_u64;
    for (key, obligation) in obligations {
        let ObligationState { id, issued_on, due_on, outstanding_minor, disputed, accrued } =
            obligation;
        unsigned(out, key.0.wrapping_sub(previous));
        previous = key.0;
        let mut flags = 0;
        if *disputed {
            flags |= DISPUTED;
        }
        if *accrued {
            flags |= ACCRUED;
        }
        for (component, amount_minor) in outstanding_minor.iter().enumerate() {
            if *amount_minor != 0 {
                flags |= 1 << (OUTSTANDING_SHIFT + component as u8);
            }
        }
        if id != key {
            flags |= OWN_ID;
        }
        out.push(flags);
        day(out, *issued_on, anchor);
        day(out, *due_on, *issued_on);
        for amount_minor in outstanding_minor {
            if *amount_minor != 0 {
                signed(out, *amount_minor);
            }
        }
        if id != key {
            unsigned(out, id.0);
        }
    }

    unsigned(out, payments.len() as u64);
    let mut previous_seq = 0_u32;
    // An allocation's obligation is written as the step from the one before (the first from the
    // first obligation held), so that a payment's usually takes a byte.
    let mut previous_obligation = obligations.iter().next().map_or(0, |(key, _)| key.0);
    for (seq, payment) in payments {
        let PaymentState {
            paid_on,
            amount_minor,
            reversed,
            reversed_on,
            allocated,
            unapplied_minor,
        } = payment;
        unsigned(out, u64::from(seq.0.wrapping_sub(previous_seq)));
        previous_seq = seq.0;
        let mut flags = 0;
        if *reversed {
            flags |= REVERSED;
        }
        if reversed_on.is_some() {
            flags |= REVERSED_ON;
        }
        if *unapplied_minor != 0 {
            flags |= UNAPPLIED;
        }
        out.push(flags);
        day(out, *paid_on, anchor);
        signed(out, *amount_minor);
        if let Some(reversed_on) = reversed_on {
            day(out, *reversed_on, *paid_on);
        }
        if *unapplied_minor != 0 {
            signed(out, *unapplied_minor);
        }
        unsigned(out, allocated.len() as u64);
        for ((book, obligation, component), amount_minor) in allocated {
            out.push(book.to_row() as u8 * COMPONENT_ROWS.len() as u8 + component.to_row() as u8);
            signed(out, obligation.0.wrapping_sub(previous_obligation) as i64);
            previous_obligation = obligation.0;
            signed(out, *amount_minor);
        }
    }

    unsigned(out, unapplied.len() as u64);
    for (seq, amount_minor) in unapplied {
        unsigned(out, u64::from(seq.0));
        signed(out, *amount_minor);
    }

    if let Some(charged_off_on) = charged_off_on {
        day(out, *charged_off_on, anchor);
    }
    signed_wide(out, *balance_days);
    decimal(out, *interest_carry);

    let mut balances = [None; BOOK_ROWS.len()];
    let mut held = 0_u64;
    for (book, amount_minor) in book_balances_minor {
        let index = book.to_row() as usize;
        balances[index] = Some(*amount_minor);
        held |= 1 << index;
    }
    unsigned(out, held);
    for amount_minor in balances.into_iter().flatten() {
        signed(out, amount_minor);
    }

    unsigned(out, u64::from(*events_replayed));
    unsigned(out, u64::from(max_seq.0));
    for date in [latest_on, accrued_through].into_iter().flatten() {
        day(out, *date, anchor);
    }
    if let Some(ReplayKey { effective_on, accrual: _, seq }) = last {
        day(out, *effective_on, anchor);
        unsigned(out, u64::from(seq.0));
    }
    unsigned(out, u64::from(*cold_parts));
    if let Some(cold_through) = cold_through {
        day(out, *cold_through, anchor);
    }
    out.extend_from_slice(&ledger_head.to_le_bytes());
}

/// The state and ledger head of a version-4 payload, or why the bytes are not one.
pub(super) fn decode(payload: &[u8]) -> Result<(AccountState, u64), String> {
    let Some(split) = payload.len().checked_sub(8) else {
        return Err(format!("a payload of {} bytes holds no ledger head", payload.len()));
    };
    let (body, head) = payload.split_at(split);
    let mut head_bytes = [0; 8];
    head_bytes.copy_from_slice(head);
    let mut input = Input { rest: body, at: 0, fault: std::cell::Cell::new(None) };
    let state = input.state().map_err(|Bad| input.fault.take().unwrap_or_default())?;
    if !input.rest.is_empty() {
        return Err(format!("{} bytes left after the state", input.rest.len()));
    }
    Ok((state, u64::from_le_bytes(head_bytes)))
}

/// Appends `value` as an unsigned LEB128 varint (the same bytes as [`unsigned_wide`]'s, in
/// 64-bit steps: most values here are a byte or two).
#[inline]
fn unsigned(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn unsigned_wide(out: &mut Vec<u8>, mut value: u128) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends `value` zigzagged (0, -1, 1, -2, ... as 0, 1, 2, 3, ...) as a varint.
fn signed(out: &mut Vec<u8>, value: i64) {
    unsigned(out, ((value << 1) ^ (value >> 63)) as u64);
}

fn signed_wide(out: &mut Vec<u8>, value: i128) {
    unsigned_wide(out, ((value << 1) ^ (value >> 127)) as u128);
}

/// Appends `date` as its distance in days from `from`.
#[inline]
fn day(out: &mut Vec<u8>, date: NaiveDate, from: NaiveDate) {
    signed(out, i64::from(date.num_days_from_ce()) - i64::from(from.num_days_from_ce()));
}

/// Appends a decimal: a byte of its scale and sign, then its mantissa's magnitude.
fn decimal(out: &mut Vec<u8>, value: Decimal) {
    let mut byte = value.scale() as u8;
    if value.is_sign_negative() {
        byte |= NEGATIVE;
    }
    out.push(byte);
    unsigned_wide(out, value.mantissa().unsigned_abs());
}

/// The bytes not read yet, and how many were read (for the reasons).
struct Input<'a> {
    rest: &'a [u8],
    at: usize,
    /// Why the bytes were refused, once they are: the reader's methods return [`Bad`] (as small
    /// as `None`, so that their results stay in registers) and leave the reason here.
    fault: std::cell::Cell<Option<String>>,
}

/// The bytes are refused; the reason is in [`Input::fault`].
#[derive(Debug)]
struct Bad;

impl Input<'_> {
    #[cold]
    fn fail(&self, reason: String) -> Bad {
        self.fault.set(Some(reason));
        Bad
    }

    fn byte(&mut self, what: &str) -> Result<u8, Bad> {
        let (&first, rest) = self
            .rest
            .split_first()
            .ok_or_else(|| self.fail(format!("the bytes end before {what}")))?;
        self.rest = rest;
        self.at += 1;
        Ok(first)
    }

    /// A varint of at most 64 significant bits: most are one byte or two (an amount up to
    /// 81.91), read here.
    #[inline(always)]
    fn u64(&mut self, what: &str) -> Result<u64, Bad> {
        match *self.rest {
            [first, ref rest @ ..] if first < 0x80 => {
                self.rest = rest;
                self.at += 1;
                Ok(u64::from(first))
            }
            [first, second, ref rest @ ..] if second < 0x80 && second != 0 => {
                self.rest = rest;
                self.at += 2;
                Ok(u64::from(first & 0x7f) | u64::from(second) << 7)
            }
            _ => self.u64_long(what),
        }
    }

    /// [`Input::u64`] of a varint of three bytes or more (or a damaged one, or none).
    #[inline(never)]
    fn u64_long(&mut self, what: &str) -> Result<u64, Bad> {
        self.varint(what, 64).map(|value| value as u64)
    }

    /// A varint of at most `bits` significant bits, in its shortest form (the long ones of
    /// [`Input::u64`], and the wide ones: balance-days, a decimal's mantissa).
    fn varint(&mut self, what: &str, bits: u32) -> Result<u128, Bad> {
        let start = self.at;
        let mut value = 0_u128;
        let mut shift = 0;
        loop {
            let byte = self.byte(what)?;
            let low = u128::from(byte & 0x7f);
            if shift >= bits || (bits - shift < 7 && low >> (bits - shift) != 0) {
                return Err(self.fail(format!("{what} at byte {start} is longer than its type")));
            }
            value |= low << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 7 {
                    return Err(
                        self.fail(format!("{what} at byte {start} is not in its shortest form"))
                    );
                }
                return Ok(value);
            }
        }
    }

    fn u32(&mut self, what: &str) -> Result<u32, Bad> {
        let start = self.at;
        u32::try_from(self.u64(what)?)
            .map_err(|_| self.fail(format!("{what} at byte {start} is past a 32-bit number")))
    }

    #[inline(always)]
    fn i64(&mut self, what: &str) -> Result<i64, Bad> {
        let zigzag = self.u64(what)?;
        Ok((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64))
    }

    fn i128(&mut self, what: &str) -> Result<i128, Bad> {
        let zigzag = self.varint(what, 128)?;
        Ok((zigzag >> 1) as i128 ^ -((zigzag & 1) as i128))
    }

    /// A count of items, each of which takes at least a byte: no more than the bytes left.
    fn len(&mut self, what: &str) -> Result<usize, Bad> {
        let start = self.at;
        let len = self.u64(what)?;
        usize::try_from(len).ok().filter(|len| *len <= self.rest.len()).ok_or_else(|| {
            self.fail(format!("{what} at byte {start} ({len}) is more than the bytes left"))
        })
    }

    /// A date written as its distance in days from the day number `from`, and its own day
    /// number (the base of the dates written from it).
    #[inline]
    fn day(&mut self, what: &str, from: i32) -> Result<(NaiveDate, i32), Bad> {
        let start = self.at;
        let days =
            i64::from(from).checked_add(self.i64(what)?).and_then(|days| i32::try_from(days).ok());
        days.and_then(|days| Some((NaiveDate::from_num_days_from_ce_opt(days)?, days))).ok_or_else(
            || self.fail(format!("{what} at byte {start} is out of the calendar's range")),
        )
    }

    fn flags(&mut self, what: &str, known: u8) -> Result<u8, Bad> {
        let start = self.at;
        let flags = self.byte(what)?;
        if flags & !known != 0 {
            return Err(
                self.fail(format!("{what} at byte {start} has unknown bits ({flags:#04x})"))
            );
        }
        Ok(flags)
    }

    fn state(&mut self) -> Result<AccountState, Bad> {
        let flags = self.flags("the state's flags", STATE_FLAGS)?;
        if flags & LAST_ACCRUAL != 0 && flags & LAST == 0 {
            return Err(self.fail("the state's flags mark an accrual of no last event".to_owned()));
        }
        let (anchor, anchor_days) = self.day("the interest cursor", 0)?;

        let obligations_len = self.len("the obligations' count")?;
        let mut obligations = VecMap::with_capacity(obligations_len);
        let mut previous = 0_u64;
        for index in 0..obligations_len {
            let start = self.at;
            let step = self.u64("an obligation's key")?;
            if index > 0 && step == 0 {
                return Err(
                    self.fail(format!("the obligation at byte {start} repeats the key before it"))
                );
            }
            let key = previous.checked_add(step).ok_or_else(|| {
                self.fail(format!("the obligation at byte {start} is past the largest id"))
            })?;
            previous = key;
            let flags = self.flags("an obligation's flags", OBLIGATION_FLAGS)?;
            let (issued_on, issued_days) = self.day("an obligation's issue date", anchor_days)?;
            let (due_on, _) = self.day("an obligation's due date", issued_days)?;
            let mut outstanding_minor = [0; 3];
            for (component, amount_minor) in outstanding_minor.iter_mut().enumerate() {
                if flags & (1 << (OUTSTANDING_SHIFT + component as u8)) != 0 {
                    *amount_minor = self.i64("an obligation's outstanding amount")?;
                    if *amount_minor == 0 {
                        return Err(self.fail(format!(
                            "the obligation at byte {start} writes an amount of zero"
                        )));
                    }
                }
            }
            let id = if flags & OWN_ID != 0 {
                let id = self.u64("an obligation's own id")?;
                if id == key {
                    return Err(
                        self.fail(format!("the obligation at byte {start} repeats its key as id"))
                    );
                }
                id
            } else {
                key
            };
            obligations.insert(
                ObligationId(key),
                ObligationState {
                    id: ObligationId(id),
                    issued_on,
                    due_on,
                    outstanding_minor,
                    disputed: flags & DISPUTED != 0,
                    accrued: flags & ACCRUED != 0,
                },
            );
        }

        let payments_len = self.len("the payments' count")?;
        let mut payments = VecMap::with_capacity(payments_len);
        let mut previous_seq = 0_u32;
        let mut previous_obligation = obligations.iter().next().map_or(0, |(key, _)| key.0);
        for index in 0..payments_len {
            let start = self.at;
            let step = self.u32("a payment's sequence")?;
            if index > 0 && step == 0 {
                return Err(self
                    .fail(format!("the payment at byte {start} repeats the sequence before it")));
            }
            let seq = previous_seq.checked_add(step).ok_or_else(|| {
                self.fail(format!("the payment at byte {start} is past the last sequence"))
            })?;
            previous_seq = seq;
            let flags = self.flags("a payment's flags", PAYMENT_FLAGS)?;
            let (paid_on, paid_days) = self.day("a payment's date", anchor_days)?;
            let amount_minor = self.i64("a payment's amount")?;
            let reversed_on = if flags & REVERSED_ON != 0 {
                Some(self.day("a payment's reversal date", paid_days)?.0)
            } else {
                None
            };
            let unapplied_minor = if flags & UNAPPLIED != 0 {
                let amount_minor = self.i64("a payment's unapplied amount")?;
                if amount_minor == 0 {
                    return Err(
                        self.fail(format!("the payment at byte {start} writes an amount of zero"))
                    );
                }
                amount_minor
            } else {
                0
            };
            let allocated_len = self.len("a payment's allocations' count")?;
            let mut allocated = VecMap::with_capacity(allocated_len);
            for _ in 0..allocated_len {
                let start = self.at;
                let tag = usize::from(self.byte("an allocation's book and component")?);
                let (book, component) = (tag / COMPONENT_ROWS.len(), tag % COMPONENT_ROWS.len());
                let book =
                    BOOK_ROWS.get(book).map(|row| Book::from_row(*row)).ok_or_else(|| {
                        self.fail(format!("the allocation at byte {start} names no book"))
                    })?;
                let component = Component::from_row(COMPONENT_ROWS[component]);
                let step = self.i64("an allocation's obligation")?;
                let obligation = previous_obligation.wrapping_add(step as u64);
                previous_obligation = obligation;
                let amount_minor = self.i64("an allocation's amount")?;
                // In the map's order, as written: another order would read as the same
                // allocations, so two records as one state.
                let key = (book, ObligationId(obligation), component);
                if allocated.keys().next_back().is_some_and(|last| *last >= key) {
                    return Err(
                        self.fail(format!("the allocation at byte {start} is out of order"))
                    );
                }
                allocated.insert(key, amount_minor);
            }
            payments.insert(
                EventSeq(seq),
                PaymentState {
                    paid_on,
                    amount_minor,
                    reversed: flags & REVERSED != 0,
                    reversed_on,
                    allocated,
                    unapplied_minor,
                },
            );
        }

        let unapplied_len = self.len("the unapplied cash's count")?;
        let mut unapplied = VecDeque::with_capacity(unapplied_len);
        for _ in 0..unapplied_len {
            let seq = EventSeq(self.u32("an unapplied payment's sequence")?);
            unapplied.push_back((seq, self.i64("an unapplied amount")?));
        }

        let charged_off_on = if flags & CHARGED_OFF != 0 {
            Some(self.day("the charge-off's date", anchor_days)?.0)
        } else {
            None
        };
        let balance_days = self.i128("the balance-days")?;
        let interest_carry = self.decimal()?;

        let start = self.at;
        let held = self.u64("the books held")?;
        if held >> BOOK_ROWS.len() != 0 {
            return Err(
                self.fail(format!("the books held at byte {start} name a book past the last"))
            );
        }
        let mut book_balances_minor = VecMap::with_capacity(held.count_ones() as usize);
        for (index, row) in BOOK_ROWS.iter().enumerate() {
            if held & (1 << index) != 0 {
                book_balances_minor.insert(Book::from_row(*row), self.i64("a book's balance")?);
            }
        }

        let events_replayed = self.u32("the events replayed")?;
        let max_seq = EventSeq(self.u32("the last sequence")?);
        let latest_on = if flags & LATEST_ON != 0 {
            Some(self.day("the latest event's date", anchor_days)?.0)
        } else {
            None
        };
        let accrued_through = if flags & ACCRUED_THROUGH != 0 {
            Some(self.day("the accrual's end", anchor_days)?.0)
        } else {
            None
        };
        let last = if flags & LAST != 0 {
            Some(ReplayKey {
                effective_on: self.day("the last event's date", anchor_days)?.0,
                accrual: flags & LAST_ACCRUAL != 0,
                seq: EventSeq(self.u32("the last event's sequence")?),
            })
        } else {
            None
        };
        let cold_parts = self.u32("the cold parts")?;
        let cold_through = if flags & COLD_THROUGH != 0 {
            Some(self.day("the cold parts' end", anchor_days)?.0)
        } else {
            None
        };
        Ok(AccountState {
            obligations,
            payments,
            unapplied,
            charged_off_on,
            interest_cursor: anchor,
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
        })
    }

    fn decimal(&mut self) -> Result<Decimal, Bad> {
        let start = self.at;
        let byte = self.byte("the interest carry")?;
        let scale = byte & !NEGATIVE;
        if scale > SCALE_MAX {
            return Err(self.fail(format!("the interest carry at byte {start} has scale {scale}")));
        }
        let magnitude = self.varint("the interest carry", 96)?;
        let mut value = Decimal::try_from_i128_with_scale(magnitude as i128, u32::from(scale))
            .map_err(|error| self.fail(format!("the interest carry at byte {start}: {error}")))?;
        value.set_sign_negative(byte & NEGATIVE != 0);
        Ok(value)
    }
}
