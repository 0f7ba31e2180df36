//! The version-3 snapshot's bytes written and read by hand: bincode's standard form (little-endian,
//! varints) of `AccountStateRow`, spelled out for the one record every payment reads and
//! writes, where serde's generic machinery was most of the snapshot's cost.
//!
//! The serde path stays the reference. [`encode`] writes exactly its bytes (the tests compare
//! them over arbitrary states). [`decode`] accepts only what [`encode`] writes, the canonical
//! form, in a frame of version 3; anything else returns `None`, and the caller
//! decodes with serde ([`crate::rows::bytes`] has the form and the rules).

use std::collections::VecDeque;

use arrears_core::ids::{EventSeq, ObligationId};
use arrears_core::ledger::{AccountState, Book, ObligationState, PaymentState, ReplayKey};
use arrears_core::model::Component;
use arrears_core::vec_map::VecMap;

use crate::codec::RecordKind;
#[cfg(doc)]
use crate::codec::RECORD_LEN_MAX;
use crate::rows::bytes::{In, Out};
use crate::rows::ledger::BookRow;
use crate::rows::model::ComponentRow;
use crate::rows::Stored;

/// The record version of this form: version 3 (formats 6 to 12), which a store migrated from
/// those formats still holds until each account's next write (version 4 is `compact`'s).
const VERSION: u8 = 3;

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

/// The snapshot record of `state` and the account's ledger head (version byte, payload,
/// CRC-32), as `codec::encode` of its row (`SnapshotRow`) writes it: the state's fields, then
/// the head's eight little-endian bytes.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(super) fn encode(kind: RecordKind, state: &AccountState, ledger_head: u64) -> Vec<u8> {
    crate::rows::bytes::encode_at(kind, VERSION, |out| {
        out.state(state);
        out.array(&ledger_head.to_le_bytes());
    })
}

/// The state and ledger head of a snapshot record of version 3 in canonical form;
/// `None` for anything else (the caller then decodes with serde).
pub(super) fn decode(kind: RecordKind, bytes: &[u8]) -> Option<(AccountState, u64)> {
    crate::rows::bytes::decode_since(kind, bytes, VERSION, |input, version| {
        if version != VERSION {
            return None;
        }
        let state = input.state()?;
        Some((state, u64::from_le_bytes(input.array()?)))
    })
}

impl Out {
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

impl In<'_> {
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
