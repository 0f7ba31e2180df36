//! The account snapshot's record written from, and read into, `AccountState` directly.
//!
//! Version 4 (format 13) is [`compact`]'s form, written and read by hand only: the one the
//! store writes. Versions 1 to 3 are bincode's standard form of [`AccountStateRow`], still read
//! (a store migrated from format 12 or earlier keeps its rows until each account's next write):
//! [`bytes`] reads version 3 by hand, and serde reads the rest. Every payment reads its
//! account's snapshot and writes the next one, so the row's conversions were once a tenth of a
//! payment's instructions: [`StateView`] serializes a state as its version-3 row would, field
//! for field and pair for pair, borrowing it, and [`StateDirect`] reads the row's bytes straight
//! into the state's maps. [`AccountStateRow`] stays the definition of the version-3 bytes: the
//! tests check that every path agrees with it, and the golden tests freeze both versions.

use std::collections::VecDeque;
use std::fmt;

use arrears_core::ids::{EventSeq, ObligationId};
use arrears_core::ledger::{AccountState, Allocations, Book, ObligationState, PaymentState};
use arrears_core::model::Component;
use arrears_core::vec_map::VecMap;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(doc)]
use super::ledger::AccountStateRow;
use super::ledger::{BookRow, ObligationStateRow, ReplayKeyRow};
use super::model::ComponentRow;
use super::{Day, DecimalText, Stored};
use crate::codec::{DecodeError, RecordKind};

use super::strings_mode;

mod bytes;
mod compact;

/// Encodes `state` and the account's ledger head as its snapshot record: version 4, the
/// [`compact`] form. In [`crate::rows::with_strings`] mode (the tests' way to write what an
/// older build wrote) it writes the version-3 bytes of `codec::encode` of the row, with text
/// dates.
pub(crate) fn encode_state(kind: RecordKind, state: &AccountState, ledger_head: u64) -> Vec<u8> {
    if strings_mode() {
        return encode_version_3(kind, state, ledger_head);
    }
    crate::rows::bytes::encode_at(kind, compact::VERSION, |out| {
        compact::encode(out.buffer(), state, ledger_head);
    })
}

/// The version-3 record of `state` and `ledger_head`, as a build of formats 6 to 12 wrote it
/// (and, in [`crate::rows::with_strings`] mode, with text dates).
pub(crate) fn encode_version_3(
    kind: RecordKind,
    state: &AccountState,
    ledger_head: u64,
) -> Vec<u8> {
    if strings_mode() {
        return crate::codec::encode_serialized_at(
            kind,
            3,
            &(StateView(state), ledger_head.to_le_bytes()),
        );
    }
    bytes::encode(kind, state, ledger_head)
}

/// Decodes a snapshot record of any version into the state and the ledger head, as
/// `SnapshotRecord::from_row` of its decoded row would for versions 1 to 3, without building
/// the row.
pub(crate) fn decode_state(
    kind: RecordKind,
    bytes: &[u8],
) -> Result<(AccountState, u64), DecodeError> {
    if bytes.first() == Some(&compact::VERSION) {
        let payload = crate::codec::checked_payload(kind, bytes)?;
        return compact::decode(payload)
            .map_err(|reason| DecodeError::Payload { kind: kind.name(), reason });
    }
    if !strings_mode() {
        if let Some(decoded) = self::bytes::decode(kind, bytes) {
            return Ok(decoded);
        }
    }
    crate::codec::decode_deserialized::<(StateDirect, [u8; 8])>(kind, bytes)
        .map(|(state, head)| (state.into_state(), u64::from_le_bytes(head)))
}

/// The ledger head of a snapshot record of version 3 or 4, read from the last eight bytes of
/// its payload without decoding the state, after the frame's checks (length, checksum,
/// version). A record of version 1 or 2 holds no head (0).
pub(crate) fn decode_head(kind: RecordKind, bytes: &[u8]) -> Result<u64, DecodeError> {
    let payload = crate::codec::checked_payload(kind, bytes)?;
    if bytes[0] < 3 {
        return Ok(0);
    }
    let Some(head) = payload.len().checked_sub(8).and_then(|start| payload.get(start..)) else {
        return Err(DecodeError::Payload {
            kind: kind.name(),
            reason: format!("a payload of {} bytes holds no ledger head", payload.len()),
        });
    };
    let mut le = [0; 8];
    le.copy_from_slice(head);
    Ok(u64::from_le_bytes(le))
}

/// The fields of [`AccountStateRow`], in its order, borrowed from the state.
struct StateView<'a>(&'a AccountState);

impl Serialize for StateView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Destructured without `..`: a field added to the state fails to compile here, as it
        // does in the row's conversion.
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
        } = self.0;
        let view = StateFields {
            obligations: Pairs::new(obligations, |(id, obligation)| (id.0, obligation.to_row())),
            payments: Pairs::new(payments, |(seq, payment)| (seq.0, PaymentView(payment))),
            unapplied: Items::new(unapplied, |(seq, amount_minor)| (seq.0, *amount_minor)),
            charged_off_on: charged_off_on.map(Day),
            interest_cursor: Day(*interest_cursor),
            balance_days: *balance_days,
            interest_carry: DecimalText(*interest_carry),
            book_balances_minor: Pairs::new(book_balances_minor, |(book, amount)| {
                (book.to_row(), *amount)
            }),
            events_replayed: *events_replayed,
            max_seq: max_seq.0,
            latest_on: latest_on.map(Day),
            accrued_through: accrued_through.map(Day),
            last: last.as_ref().map(Stored::to_row),
            cold_parts: *cold_parts,
            cold_through: cold_through.map(Day),
        };
        view.serialize(serializer)
    }
}

/// [`AccountStateRow`] with its vectors borrowed from the state's collections.
#[derive(Serialize)]
struct StateFields<O, P, U, B> {
    obligations: O,
    payments: P,
    unapplied: U,
    charged_off_on: Option<Day>,
    interest_cursor: Day,
    balance_days: i128,
    interest_carry: DecimalText,
    book_balances_minor: B,
    events_replayed: u32,
    max_seq: u32,
    latest_on: Option<Day>,
    accrued_through: Option<Day>,
    last: Option<ReplayKeyRow>,
    cold_parts: u32,
    cold_through: Option<Day>,
}

/// The fields of `PaymentStateRow`, in its order, borrowed from the payment.
struct PaymentView<'a>(&'a PaymentState);

impl Serialize for PaymentView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let PaymentState {
            paid_on,
            amount_minor,
            reversed,
            reversed_on,
            allocated,
            unapplied_minor,
        } = self.0;
        #[derive(Serialize)]
        struct PaymentFields<A> {
            paid_on: Day,
            amount_minor: i64,
            reversed: bool,
            reversed_on: Option<Day>,
            allocated: A,
            unapplied_minor: i64,
        }
        PaymentFields {
            paid_on: Day(*paid_on),
            amount_minor: *amount_minor,
            reversed: *reversed,
            reversed_on: reversed_on.map(Day),
            allocated: Pairs::new(allocated, |((book, obligation, component), amount)| {
                ((book.to_row(), obligation.0, component.to_row()), *amount)
            }),
            unapplied_minor: *unapplied_minor,
        }
        .serialize(serializer)
    }
}

/// A map serialized as the sequence of its pairs in key order, each converted by the function
/// (what a `MapRow` of the converted pairs serializes as).
struct Pairs<'a, K, V, F, const N: usize>(&'a VecMap<K, V, N>, F);

impl<'a, K, V, F, const N: usize> Pairs<'a, K, V, F, N> {
    /// Names the closure's argument type, which the struct literal would leave to inference.
    fn new<T>(map: &'a VecMap<K, V, N>, convert: F) -> Self
    where
        F: Fn((&'a K, &'a V)) -> T,
    {
        Pairs(map, convert)
    }
}

impl<'a, K, V, F, T, const N: usize> Serialize for Pairs<'a, K, V, F, N>
where
    F: Fn((&'a K, &'a V)) -> T,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for pair in self.0 {
            seq.serialize_element(&(self.1)(pair))?;
        }
        seq.end()
    }
}

/// A queue serialized as the sequence of its items, each converted by the function.
struct Items<'a, T, F>(&'a VecDeque<T>, F);

impl<'a, T, F> Items<'a, T, F> {
    /// Names the closure's argument type, which the struct literal would leave to inference.
    fn new<R>(queue: &'a VecDeque<T>, convert: F) -> Self
    where
        F: Fn(&'a T) -> R,
    {
        Items(queue, convert)
    }
}

impl<'a, T, F, R> Serialize for Items<'a, T, F>
where
    F: Fn(&'a T) -> R,
    R: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&(self.1)(item))?;
        }
        seq.end()
    }
}

/// [`AccountStateRow`] as read: its maps built as the sequences are read, with no vector of
/// rows in between.
#[derive(Deserialize)]
struct StateDirect {
    #[serde(deserialize_with = "obligations")]
    obligations: VecMap<ObligationId, ObligationState>,
    #[serde(deserialize_with = "payments")]
    payments: VecMap<EventSeq, PaymentState>,
    unapplied: VecDeque<(u32, i64)>,
    charged_off_on: Option<Day>,
    interest_cursor: Day,
    balance_days: i128,
    interest_carry: DecimalText,
    #[serde(deserialize_with = "book_balances")]
    book_balances_minor: VecMap<Book, i64>,
    events_replayed: u32,
    max_seq: u32,
    latest_on: Option<Day>,
    accrued_through: Option<Day>,
    last: Option<ReplayKeyRow>,
    cold_parts: u32,
    cold_through: Option<Day>,
}

impl StateDirect {
    fn into_state(self) -> AccountState {
        let StateDirect {
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
        } = self;
        AccountState {
            obligations,
            payments,
            unapplied: unapplied.into_iter().map(|(seq, amount)| (EventSeq(seq), amount)).collect(),
            charged_off_on: charged_off_on.map(|day| day.0),
            interest_cursor: interest_cursor.0,
            balance_days,
            interest_carry: interest_carry.0,
            book_balances_minor,
            events_replayed,
            max_seq: EventSeq(max_seq),
            latest_on: latest_on.map(|day| day.0),
            accrued_through: accrued_through.map(|day| day.0),
            last: last.map(Stored::from_row),
            cold_parts,
            cold_through: cold_through.map(|day| day.0),
        }
    }
}

/// `PaymentStateRow` as read, its allocations built as a map directly.
#[derive(Deserialize)]
struct PaymentDirect {
    paid_on: Day,
    amount_minor: i64,
    reversed: bool,
    reversed_on: Option<Day>,
    #[serde(deserialize_with = "allocations")]
    allocated: Allocations,
    unapplied_minor: i64,
}

impl PaymentDirect {
    fn into_payment(self) -> PaymentState {
        let PaymentDirect {
            paid_on,
            amount_minor,
            reversed,
            reversed_on,
            allocated,
            unapplied_minor,
        } = self;
        PaymentState {
            paid_on: paid_on.0,
            amount_minor,
            reversed,
            reversed_on: reversed_on.map(|day| day.0),
            allocated,
            unapplied_minor,
        }
    }
}

fn obligations<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<VecMap<ObligationId, ObligationState>, D::Error> {
    map_of_pairs(deserializer, |id: u64, row: ObligationStateRow| {
        (ObligationId(id), ObligationState::from_row(row))
    })
}

fn payments<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<VecMap<EventSeq, PaymentState>, D::Error> {
    map_of_pairs(deserializer, |seq: u32, row: PaymentDirect| (EventSeq(seq), row.into_payment()))
}

fn book_balances<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<VecMap<Book, i64>, D::Error> {
    map_of_pairs(deserializer, |book: BookRow, amount: i64| (Book::from_row(book), amount))
}

fn allocations<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Allocations, D::Error> {
    map_of_pairs(deserializer, |key: (BookRow, u64, ComponentRow), amount: i64| {
        (<(Book, ObligationId, Component)>::from_row(key), amount)
    })
}

/// Reads a sequence of `(KR, VR)` pairs (a `MapRow`) into a map, each pair converted by
/// `convert`, as `VecMap::from_row` does (a key repeated keeps its last value).
fn map_of_pairs<'de, D, KR, VR, K, V, const N: usize>(
    deserializer: D,
    convert: fn(KR, VR) -> (K, V),
) -> Result<VecMap<K, V, N>, D::Error>
where
    D: Deserializer<'de>,
    KR: DeserializeOwned,
    VR: DeserializeOwned,
    K: Ord,
{
    struct PairsVisitor<KR, VR, K, V, const N: usize>(fn(KR, VR) -> (K, V));

    impl<'de, KR, VR, K, V, const N: usize> Visitor<'de> for PairsVisitor<KR, VR, K, V, N>
    where
        KR: DeserializeOwned,
        VR: DeserializeOwned,
        K: Ord,
    {
        type Value = VecMap<K, V, N>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a sequence of key and value pairs")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut map = VecMap::new();
            while let Some((key, value)) = seq.next_element::<(KR, VR)>()? {
                let (key, value) = (self.0)(key, value);
                map.insert(key, value);
            }
            Ok(map)
        }
    }

    deserializer.deserialize_seq(PairsVisitor(convert))
}

#[cfg(test)]
mod tests;
