//! The account's and the debtor's records have two ways to their bytes (the row through serde,
//! the hand-written form): they write the same bytes and read the same value, over arbitrary
//! accounts and debtors of every variant and optional part, and the hand-written readers never
//! disagree with serde on damaged bytes.

use std::fmt::Debug;

use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::{
    Account, Attorney, ConsentRecord, ContactChannel, ContactPoint, ContactPointKind,
    ContactRestrictions, DayCount, Debtor, DebtorFlags, DebtorKind, InterestBase, InterestTerms,
    Jurisdiction, LateFeeRule, ProductKind, ReportedSignal, Terms, Waterfall,
};
use arrears_core::money::{Currency, RoundingRule};
use arrears_core::policy::Signal;
use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use super::*;
use crate::codec::{crc32, encode, DecodeError};
use crate::rows::model::{AccountRecordRow, DebtorRow};
use crate::rows::strategies::{arb_day, arb_decimal, arb_i64, arb_instant, arb_text, arb_u64};
use crate::rows::Record;
use crate::AccountRecord;

const ACCOUNT: RecordKind = RecordKind::Account;
const DEBTOR: RecordKind = RecordKind::Debtor;

/// Short strings, empty, ASCII or not, for the strings of a debtor's lists: every string is
/// read and written by the same leaf, and the strings of [`arb_text`]'s long classes, slow to
/// generate, are tried in the debtor's other fields.
fn arb_short_text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z_]{0,12}", "\\PC{0,12}"]
}

/// Each variant of a fieldless enum, from its row's table.
fn arb_variant<R, T>(rows: &'static [R]) -> impl Strategy<Value = T>
where
    R: Clone,
    T: Stored<R> + Debug,
{
    (0..rows.len()).prop_map(move |index| T::from_row(rows[index].clone()))
}

fn arb_rounding() -> impl Strategy<Value = RoundingRule> {
    arb_variant(&ROUNDING_RULE_ROWS)
}

fn arb_channel() -> impl Strategy<Value = ContactChannel> {
    arb_variant(&CONTACT_CHANNEL_ROWS)
}

fn arb_late_fee() -> impl Strategy<Value = LateFeeRule> {
    prop_oneof![
        Just(LateFeeRule::None),
        arb_i64().prop_map(|amount_minor| LateFeeRule::Flat { amount_minor }),
        (arb_decimal(), arb_i64(), arb_i64(), arb_rounding()).prop_map(
            |(rate, min_minor, max_minor, rounding)| LateFeeRule::Percent {
                rate,
                min_minor,
                max_minor,
                rounding
            }
        ),
    ]
}

fn arb_interest() -> impl Strategy<Value = InterestTerms> {
    (arb_decimal(), arb_variant(&DAY_COUNT_ROWS), arb_variant(&INTEREST_BASE_ROWS), arb_rounding())
        .prop_map(|(annual_rate, day_count, base, rounding): (_, DayCount, InterestBase, _)| {
            InterestTerms { annual_rate, day_count, base, rounding }
        })
}

fn arb_terms() -> impl Strategy<Value = Terms> {
    let grace_days = prop_oneof![0_u16..300, any::<u16>(), Just(u16::MAX)];
    (grace_days, arb_late_fee(), proptest::option::of(arb_interest()), arb_variant(&WATERFALL_ROWS))
        .prop_map(|(grace_days, late_fee, interest, waterfall): (_, _, _, Waterfall)| Terms {
            grace_days,
            late_fee,
            interest,
            waterfall,
        })
}

fn arb_account() -> BoxedStrategy<AccountRecord> {
    (
        arb_u64(),
        proptest::option::of(arb_text()),
        arb_u64(),
        arb_variant(&PRODUCT_KIND_ROWS),
        prop::sample::select(Currency::all().collect::<Vec<_>>()),
        proptest::option::of(arb_i64()),
        arb_day(),
        arb_terms(),
        proptest::option::of((arb_short_text(), proptest::option::of(arb_short_text()))),
    )
        .prop_map(
            |(
                id,
                external_ref,
                debtor,
                product,
                currency,
                limit,
                opened_on,
                terms,
                jurisdiction,
            ): (_, _, _, ProductKind, _, _, _, _, _)| AccountRecord {
                account: Account {
                    id: AccountId(id),
                    external_ref,
                    debtor: DebtorId(debtor),
                    product,
                    currency,
                    credit_limit_minor: limit,
                    opened_on,
                    terms,
                },
                debtor_jurisdiction: jurisdiction
                    .map(|(country, region)| Jurisdiction { country, region }),
            },
        )
        .boxed()
}

fn arb_contact_point() -> impl Strategy<Value = ContactPoint> {
    (arb_channel(), arb_short_text(), arb_variant(&CONTACT_POINT_KIND_ROWS), any::<[bool; 2]>())
        .prop_map(|(channel, address, kind, [consent, opted_out]): (_, _, ContactPointKind, _)| {
            ContactPoint { channel, address, kind, consent, opted_out }
        })
}

fn arb_consent() -> impl Strategy<Value = ConsentRecord> {
    (arb_channel(), arb_short_text(), any::<bool>(), arb_instant(), arb_short_text()).prop_map(
        |(channel, address, consent, at, source)| ConsentRecord {
            channel,
            address,
            consent,
            at,
            source,
        },
    )
}

fn arb_restrictions() -> BoxedStrategy<ContactRestrictions> {
    (
        any::<[bool; 2]>(),
        proptest::option::of(arb_instant()),
        proptest::collection::vec(arb_channel(), 0..4),
        proptest::collection::vec(arb_consent(), 0..3),
    )
        .prop_map(
            |(
                [work_contact_prohibited, litigation_served],
                call_consent_given_at,
                channels,
                consents,
            )| {
                ContactRestrictions {
                    work_contact_prohibited,
                    litigation_served,
                    call_consent_given_at,
                    opted_out_channels: channels,
                    consents,
                }
            },
        )
        .boxed()
}

fn arb_attorney() -> BoxedStrategy<Attorney> {
    (
        arb_text(),
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
        arb_day(),
    )
        .prop_map(|(name, firm, phone, email, postal_address, since)| Attorney {
            name,
            firm,
            phone,
            email,
            postal_address,
            since,
        })
        .boxed()
}

fn arb_signal() -> impl Strategy<Value = ReportedSignal> {
    (
        arb_variant(&SIGNAL_ROWS),
        arb_day(),
        proptest::option::of(arb_day()),
        arb_short_text(),
        arb_short_text(),
    )
        .prop_map(
            |(signal, observed_on, expires_on, source, evidence): (Signal, _, _, _, _)| {
                ReportedSignal { signal, observed_on, expires_on, source, evidence }
            },
        )
}

fn arb_debtor() -> BoxedStrategy<Debtor> {
    let head = (
        arb_u64(),
        proptest::option::of(arb_text()),
        arb_variant(&DEBTOR_KIND_ROWS),
        arb_text(),
        (arb_text(), proptest::option::of(arb_text())),
        proptest::collection::vec(arb_short_text(), 0..4),
        arb_text(),
    );
    let tail = (
        proptest::collection::vec(arb_contact_point(), 0..4),
        any::<[bool; 4]>(),
        arb_restrictions(),
        proptest::option::of(arb_attorney()),
        proptest::collection::vec(arb_signal(), 0..3),
    );
    (head, tail)
        .prop_map(|(head, tail)| {
            let (id, external_ref, kind, name, (country, region), time_zones, language): (
                _,
                _,
                DebtorKind,
                _,
                _,
                _,
                _,
            ) = head;
            let (contact_points, flags, restrictions, attorney, reported_signals) = tail;
            let [cease_communication, attorney_represented, bankruptcy, deceased] = flags;
            Debtor {
                id: DebtorId(id),
                external_ref,
                kind,
                name,
                jurisdiction: Jurisdiction { country, region },
                time_zones,
                language,
                contact_points,
                flags: DebtorFlags {
                    cease_communication,
                    attorney_represented,
                    bankruptcy,
                    deceased,
                },
                restrictions,
                attorney,
                reported_signals,
            }
        })
        // Boxed: the strategy's type is deep enough to overflow a test thread's stack otherwise.
        .boxed()
}

/// The account the serde reader (the reference: the row, then its conversion) gives.
fn serde_account(bytes: &[u8]) -> Result<AccountRecord, DecodeError> {
    crate::codec::decode::<AccountRecordRow>(ACCOUNT, bytes).map(AccountRecord::from_row)
}

/// The debtor the serde reader gives.
fn serde_debtor(bytes: &[u8]) -> Result<Debtor, DecodeError> {
    crate::codec::decode::<DebtorRow>(DEBTOR, bytes).map(Debtor::from_row)
}

/// Checks that the hand-written reader's answer for `bytes`, if it has one, is serde's, down to
/// the bytes it writes back (a decimal's scale, which equality ignores), and that the record's
/// reader gives serde's value or error.
fn check_agrees<T: Record + PartialEq + Debug>(
    kind: RecordKind,
    bytes: &[u8],
    by_hand: Option<T>,
    by_serde: Result<T, DecodeError>,
) -> Result<(), TestCaseError> {
    if let Some(value) = &by_hand {
        prop_assert_eq!(Ok(value), by_serde.as_ref());
        if let Ok(reference) = &by_serde {
            prop_assert_eq!(encode(kind, &value.to_row()), encode(kind, &reference.to_row()));
        }
    }
    prop_assert_eq!(T::decode_value(kind, bytes), by_serde);
    Ok(())
}

proptest! {
    #[test]
    fn both_ways_write_the_rows_bytes_and_read_the_account(account in arb_account()) {
        let row_bytes = encode(ACCOUNT, &account.to_row());
        prop_assert_eq!(&encode_account(ACCOUNT, &account), &row_bytes);
        prop_assert_eq!(&account.encode_value(ACCOUNT), &row_bytes);
        prop_assert_eq!(decode_account(ACCOUNT, &row_bytes), Some(account.clone()));
        prop_assert_eq!(&serde_account(&row_bytes).unwrap(), &account);
        prop_assert_eq!(&AccountRecord::decode_value(ACCOUNT, &row_bytes).unwrap(), &account);
    }

    #[test]
    fn both_ways_write_the_rows_bytes_and_read_the_debtor(debtor in arb_debtor()) {
        let row_bytes = encode(DEBTOR, &debtor.to_row());
        prop_assert_eq!(&encode_debtor(DEBTOR, &debtor), &row_bytes);
        prop_assert_eq!(&debtor.encode_value(DEBTOR), &row_bytes);
        prop_assert_eq!(decode_debtor(DEBTOR, &row_bytes), Some(debtor.clone()));
        prop_assert_eq!(&serde_debtor(&row_bytes).unwrap(), &debtor);
        prop_assert_eq!(&Debtor::decode_value(DEBTOR, &row_bytes).unwrap(), &debtor);
    }
}

/// Edits to the payload of a record: bytes set (near the edges of the forms: flags and tags,
/// small varints, variant indexes, varint markers), a cut, bytes appended, and a checksum.
#[derive(Debug, Clone)]
struct Damage {
    edits: Vec<(prop::sample::Index, u8)>,
    cut: prop::sample::Index,
    truncate: bool,
    trailing: Vec<u8>,
    fix_checksum: bool,
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    (
        proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop_oneof![0_u8..4, 10_u8..14, 248_u8..=255, any::<u8>()],
            ),
            0..3,
        ),
        any::<prop::sample::Index>(),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..3),
        prop_oneof![9 => Just(true), 1 => Just(false)],
    )
        .prop_map(|(edits, cut, truncate, trailing, fix_checksum)| Damage {
            edits,
            cut,
            truncate,
            trailing,
            fix_checksum,
        })
}

impl Damage {
    /// The record `bytes` damaged; in a valid frame around the damaged payload, so that the
    /// readers get past the checksum, or with the old checksum, which no longer matches if
    /// anything changed.
    fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        let mut body = bytes[..bytes.len() - 4].to_vec();
        for (index, value) in &self.edits {
            let at = index.index(body.len());
            body[at] = *value;
        }
        if self.truncate {
            body.truncate(1 + self.cut.index(body.len()));
        }
        body.extend_from_slice(&self.trailing);
        let checksum = if self.fix_checksum {
            crc32(&body).to_le_bytes()
        } else {
            bytes[bytes.len() - 4..].try_into().unwrap()
        };
        body.extend_from_slice(&checksum);
        body
    }
}

proptest! {
    // Damage that reaches the hand-written reader is rare per value: many values.
    #![proptest_config(ProptestConfig::with_cases(2_048))]

    #[test]
    fn damaged_account_bytes_read_as_serde_reads_them(
        account in arb_account(),
        damage in arb_damage(),
    ) {
        let bytes = damage.apply(&encode_account(ACCOUNT, &account));
        check_agrees(ACCOUNT, &bytes, decode_account(ACCOUNT, &bytes), serde_account(&bytes))?;
    }
}

proptest! {
    // A debtor has many strings, slow to generate: each is damaged eight ways.
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn damaged_debtor_bytes_read_as_serde_reads_them(
        debtor in arb_debtor(),
        damages in proptest::collection::vec(arb_damage(), 8),
    ) {
        let bytes = encode_debtor(DEBTOR, &debtor);
        for damage in damages {
            let bytes = damage.apply(&bytes);
            check_agrees(DEBTOR, &bytes, decode_debtor(DEBTOR, &bytes), serde_debtor(&bytes))?;
        }
    }
}

/// Checks that each row of `rows` is at its index: serde writes its index there.
fn check_table<R: Serialize + Debug>(rows: &[R]) {
    for (index, row) in rows.iter().enumerate() {
        assert_eq!(
            bincode::serde::encode_to_vec(row, bincode::config::standard()).unwrap(),
            [index as u8],
            "{row:?}"
        );
    }
}

#[test]
fn the_variant_tables_list_each_variant_at_its_index() {
    check_table(&DEBTOR_KIND_ROWS);
    check_table(&CONTACT_CHANNEL_ROWS);
    check_table(&CONTACT_POINT_KIND_ROWS);
    check_table(&SIGNAL_ROWS);
    check_table(&PRODUCT_KIND_ROWS);
    check_table(&ROUNDING_RULE_ROWS);
    check_table(&DAY_COUNT_ROWS);
    check_table(&INTEREST_BASE_ROWS);
    check_table(&WATERFALL_ROWS);
    // The one table whose enum lists its variants: every signal is in it.
    assert_eq!(SIGNAL_ROWS.len(), Signal::ALL.len());
    // The late fee's variants, written by hand, start with their indexes as serde writes them.
    let late_fees = [
        LateFeeRule::None,
        LateFeeRule::Flat { amount_minor: 1 },
        LateFeeRule::Percent {
            rate: Decimal::ONE,
            min_minor: 0,
            max_minor: 0,
            rounding: RoundingRule::HalfUp,
        },
    ];
    for (index, late_fee) in late_fees.iter().enumerate() {
        let row = bincode::serde::encode_to_vec(late_fee.to_row(), bincode::config::standard());
        assert_eq!(row.unwrap()[0], index as u8);
    }
}

fn day(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days).unwrap()
}

/// An account with no interest and no limit, its debtor's jurisdiction not kept.
fn plain_account() -> AccountRecord {
    AccountRecord {
        account: Account {
            id: AccountId(3),
            external_ref: None,
            debtor: DebtorId(7),
            product: ProductKind::TradeCredit,
            currency: Currency::USD,
            credit_limit_minor: None,
            opened_on: day(739_600),
            terms: Terms::default(),
        },
        debtor_jurisdiction: None,
    }
}

/// An account with every optional part present, its debtor's jurisdiction with a region.
fn full_account() -> AccountRecord {
    AccountRecord {
        account: full_account_itself(),
        debtor_jurisdiction: Some(Jurisdiction { country: "US".into(), region: Some("MA".into()) }),
    }
}

fn full_account_itself() -> Account {
    Account {
        external_ref: Some("AC-3".into()),
        product: ProductKind::Revolving,
        currency: Currency::KWD,
        credit_limit_minor: Some(500_000),
        terms: Terms {
            grace_days: 300,
            late_fee: LateFeeRule::Percent {
                rate: Decimal::new(5, 2),
                min_minor: 500,
                max_minor: 4_000,
                rounding: RoundingRule::HalfUp,
            },
            interest: Some(InterestTerms {
                annual_rate: Decimal::new(2_499, 4),
                day_count: DayCount::Thirty360,
                base: InterestBase::PastDuePrincipal,
                rounding: RoundingRule::TowardZero,
            }),
            waterfall: Waterfall::PrincipalFirst,
        },
        ..plain_account().account
    }
}

/// A debtor with every optional part absent and every vector empty.
fn plain_debtor() -> Debtor {
    Debtor {
        id: DebtorId(7),
        external_ref: None,
        kind: DebtorKind::Person,
        name: "Ana".into(),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: Vec::new(),
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
        restrictions: ContactRestrictions::default(),
        attorney: None,
        reported_signals: Vec::new(),
    }
}

/// A debtor with every optional part present and one item in each vector.
fn full_debtor() -> Debtor {
    let at = DateTime::from_timestamp(1_769_961_600, 250_000_000).unwrap();
    Debtor {
        external_ref: Some("C-7".into()),
        kind: DebtorKind::Business,
        jurisdiction: Jurisdiction { country: "US".into(), region: Some("MA".into()) },
        time_zones: vec!["America/New_York".into()],
        contact_points: vec![ContactPoint {
            channel: ContactChannel::Email,
            address: "ana@example.com".into(),
            kind: ContactPointKind::Work,
            consent: true,
            opted_out: false,
        }],
        flags: DebtorFlags { attorney_represented: true, ..DebtorFlags::default() },
        restrictions: ContactRestrictions {
            work_contact_prohibited: true,
            litigation_served: false,
            call_consent_given_at: Some(at),
            opted_out_channels: vec![ContactChannel::Messaging],
            consents: vec![ConsentRecord {
                channel: ContactChannel::Phone,
                address: "+15550100".into(),
                consent: true,
                at,
                source: "web form".into(),
            }],
        },
        attorney: Some(Attorney {
            name: "J. Doe".into(),
            firm: Some("Doe & Roe".into()),
            phone: None,
            email: Some("jdoe@example.com".into()),
            postal_address: None,
            since: day(739_640),
        }),
        reported_signals: vec![ReportedSignal {
            signal: Signal::LateFiling,
            observed_on: day(739_650),
            expires_on: Some(day(739_700)),
            source: "bureau:acme".into(),
            evidence: String::new(),
        }],
        ..plain_debtor()
    }
}

#[test]
fn text_dates_and_older_versions_take_the_serde_way() {
    let account = full_account();
    let text = crate::rows::with_strings(|| account.encode_value(ACCOUNT));
    assert_eq!(text, crate::rows::with_strings(|| encode(ACCOUNT, &account.to_row())));
    assert_ne!(text, account.encode_value(ACCOUNT));
    assert_eq!(
        crate::rows::with_strings(|| AccountRecord::decode_value(ACCOUNT, &text)).unwrap(),
        account
    );
    let debtor = full_debtor();
    let text = crate::rows::with_strings(|| debtor.encode_value(DEBTOR));
    assert_eq!(text, crate::rows::with_strings(|| encode(DEBTOR, &debtor.to_row())));
    assert_ne!(text, debtor.encode_value(DEBTOR));
    assert_eq!(crate::rows::with_strings(|| Debtor::decode_value(DEBTOR, &text)).unwrap(), debtor);
    // A version-4 debtor (before `reported_signals`) is not the hand-written form's, and reads
    // through serde with no signals.
    let debtor = Debtor { reported_signals: Vec::new(), ..full_debtor() };
    let current = debtor.encode_value(DEBTOR);
    let mut older = current[..current.len() - 5].to_vec();
    older[0] = 4;
    let checksum = crc32(&older);
    older.extend_from_slice(&checksum.to_le_bytes());
    assert_eq!(decode_debtor(DEBTOR, &older), None);
    assert_eq!(Debtor::decode_value(DEBTOR, &older).unwrap(), debtor);
}

#[test]
fn a_non_canonical_varint_is_left_to_serde() {
    // The id, 3 or 7, as a two-byte varint: not what either writer writes. Serde reads it (or
    // refuses it); the hand-written reader leaves it to serde either way.
    fn pad_id(current: &[u8]) -> Vec<u8> {
        let mut padded = vec![current[0], 251, current[1], 0];
        padded.extend_from_slice(&current[2..current.len() - 4]);
        let checksum = crc32(&padded);
        padded.extend_from_slice(&checksum.to_le_bytes());
        padded
    }
    let padded = pad_id(&plain_account().encode_value(ACCOUNT));
    assert_eq!(decode_account(ACCOUNT, &padded), None);
    assert_eq!(AccountRecord::decode_value(ACCOUNT, &padded), serde_account(&padded));
    let padded = pad_id(&plain_debtor().encode_value(DEBTOR));
    assert_eq!(decode_debtor(DEBTOR, &padded), None);
    assert_eq!(Debtor::decode_value(DEBTOR, &padded), serde_debtor(&padded));
}

/// Checks each payload byte of `bytes` set to each of the 256 values, in a valid frame.
fn check_every_byte<T: Record + PartialEq + Debug>(
    kind: RecordKind,
    bytes: &[u8],
    by_hand: fn(RecordKind, &[u8]) -> Option<T>,
    by_serde: fn(&[u8]) -> Result<T, DecodeError>,
) {
    let body_len = bytes.len() - 4;
    for at in 1..body_len {
        for value in 0..=u8::MAX {
            let mut body = bytes[..body_len].to_vec();
            body[at] = value;
            let checksum = crc32(&body);
            body.extend_from_slice(&checksum.to_le_bytes());
            let agrees = check_agrees(kind, &body, by_hand(kind, &body), by_serde(&body));
            assert!(agrees.is_ok(), "byte {at} set to {value}: {agrees:?}");
        }
    }
}

#[test]
fn every_single_byte_changed_reads_as_serde_reads_it() {
    // Damage the random edits above reach only by chance (a variant index one past the last, a
    // tag of 2 at one place, a currency code one letter off) is tried at every place here.
    for account in [plain_account(), full_account()] {
        check_every_byte(ACCOUNT, &account.encode_value(ACCOUNT), decode_account, serde_account);
    }
    for debtor in [plain_debtor(), full_debtor()] {
        check_every_byte(DEBTOR, &debtor.encode_value(DEBTOR), decode_debtor, serde_debtor);
    }
}

/// `record` (which keeps no jurisdiction) as account record version 2 wrote it: version 3's
/// bytes without the trailing `None`, under version byte 2.
fn version_2(record: &AccountRecord) -> Vec<u8> {
    assert_eq!(record.debtor_jurisdiction, None);
    let bytes = record.encode_value(ACCOUNT);
    // Drop the checksum and the `None` tag before it.
    let mut body = bytes[..bytes.len() - 5].to_vec();
    body[0] = 2;
    let checksum = crc32(&body);
    body.extend_from_slice(&checksum.to_le_bytes());
    body
}

/// The accounts of stores older than account record version 3 are read by hand too, with no
/// jurisdiction, as serde reads them (it appends the `None`), damage included.
#[test]
fn version_2_accounts_are_read_by_hand_as_serde_reads_them() {
    let full = AccountRecord { debtor_jurisdiction: None, ..full_account() };
    for account in [plain_account(), full] {
        let bytes = version_2(&account);
        assert_eq!(decode_account(ACCOUNT, &bytes), Some(account.clone()));
        assert_eq!(serde_account(&bytes).unwrap(), account);
        check_every_byte(ACCOUNT, &bytes, decode_account, serde_account);
    }
}
