//! The hand-written format-1 bytes of an audit record are `codec::encode_record_format_1`'s,
//! over arbitrary records of every variant (the chain of every existing store depends on it),
//! and the RFC 3339 text of an instant is chrono's at each edge: every precision, leap
//! seconds, and years outside 0 to 9999.

use arrears_core::case::{AuditKind, AuditRecord};
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::ContactChannel;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use expect_test::{expect, Expect};
use proptest::prelude::*;

use super::{encode_format_1_into, Out};
use crate::codec::{encode_record_format_1, RecordKind};
use crate::rows::strategies::{arb_day, arb_instant, arb_u64};

/// The reference: the row, serde and chrono.
fn reference(record: &AuditRecord) -> Vec<u8> {
    encode_record_format_1(RecordKind::Audit, record)
}

fn by_hand(record: &AuditRecord) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_format_1_into(record, &mut bytes);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Strings of any characters, short (one-byte lengths) and long (two-byte lengths).
fn arb_text() -> BoxedStrategy<String> {
    prop_oneof![any::<String>(), "[a-z_.-]{0,16}", "\\PC{0,8}", "\\PC{200,320}", "[a-z]{245,256}",]
        .boxed()
}

pub(in crate::rows::case) fn arb_hash() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![any::<[u8; 32]>(), Just([0; 32])]
}

fn arb_channel() -> impl Strategy<Value = ContactChannel> {
    prop::sample::select(vec![
        ContactChannel::Phone,
        ContactChannel::Sms,
        ContactChannel::Email,
        ContactChannel::Postal,
        ContactChannel::Messaging,
    ])
}

fn arb_action() -> impl Strategy<Value = arrears_core::compliance::ActionKind> {
    use arrears_core::compliance::ActionKind;
    prop::sample::select(vec![
        ActionKind::Contact,
        ActionKind::TerminationOrRemedyNotice,
        ActionKind::SuitThreat,
        ActionKind::Suit,
        ActionKind::CreditReport,
    ])
}

// Each arm boxed: the unboxed strategy overflows a test thread's stack in a debug build.
fn arb_kind() -> impl Strategy<Value = AuditKind> {
    let command = (arb_text(), arb_text()).prop_map(|(name, key)| AuditKind::Command { name, key });
    let transition = (arb_text(), arb_text(), arb_text(), arb_day())
        .prop_map(|(event, from, to, on)| AuditKind::Transition { event, from, to, on });
    let cycle = (arb_day(), arb_u64(), arb_u64())
        .prop_map(|(as_of, reviewed, actions)| AuditKind::Cycle { as_of, reviewed, actions });
    let contact_blocked =
        (arb_u64(), arb_channel(), arb_text(), arb_text(), proptest::option::of(arb_instant()))
            .prop_map(|(debtor, channel, template, rule, next_allowed_at)| {
                AuditKind::ContactBlocked {
                    debtor: DebtorId(debtor),
                    channel,
                    template,
                    rule,
                    next_allowed_at,
                }
            });
    let component_failed = (arb_text(), arb_text(), arb_text(), arb_u64(), arb_text()).prop_map(
        |(arm, component, name, accounts, error)| AuditKind::ComponentFailed {
            arm,
            component,
            name,
            accounts,
            error,
        },
    );
    let command_executed = (arb_text(), arb_text(), arb_hash())
        .prop_map(|(name, key, content)| AuditKind::CommandExecuted { name, key, content });
    let plugin_added =
        (arb_text(), arb_hash()).prop_map(|(name, entry)| AuditKind::PluginAdded { name, entry });
    let plugin_removed =
        (arb_text(), arb_hash()).prop_map(|(name, entry)| AuditKind::PluginRemoved { name, entry });
    let action_blocked =
        (arb_u64(), arb_action(), arb_text(), arb_day()).prop_map(|(debtor, action, rule, on)| {
            AuditKind::ActionBlocked { debtor: DebtorId(debtor), action, rule, on }
        });
    prop_oneof![
        command.boxed(),
        transition.boxed(),
        cycle.boxed(),
        contact_blocked.boxed(),
        component_failed.boxed(),
        command_executed.boxed(),
        plugin_added.boxed(),
        plugin_removed.boxed(),
        action_blocked.boxed(),
    ]
}

pub(in crate::rows::case) fn arb_record() -> impl Strategy<Value = AuditRecord> {
    (arb_u64(), arb_instant(), proptest::option::of(arb_u64()), arb_kind(), arb_hash()).prop_map(
        |(seq, recorded_at, account, kind, prev_hash)| AuditRecord {
            seq,
            recorded_at,
            account: account.map(AccountId),
            kind,
            prev_hash,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_048))]

    #[test]
    fn the_hand_written_bytes_are_the_rows_format_1_bytes(
        record in arb_record(),
        before in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        // Appended after what the buffer held, which is left as it was.
        let mut bytes = before.clone();
        encode_format_1_into(&record, &mut bytes);
        prop_assert_eq!(&bytes[..before.len()], &before[..]);
        prop_assert_eq!(hex(&bytes[before.len()..]), hex(&reference(&record)));
    }

    #[test]
    fn an_instant_and_a_date_read_as_chrono_writes_them(instant in arb_instant()) {
        let mut bytes = Vec::new();
        Out(&mut bytes).instant(instant);
        prop_assert_eq!(usize::from(bytes[0]), bytes.len() - 1);
        prop_assert_eq!(
            std::str::from_utf8(&bytes[1..]).unwrap(),
            instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        );
        bytes.clear();
        Out(&mut bytes).day(instant.date_naive());
        prop_assert_eq!(usize::from(bytes[0]), bytes.len() - 1);
        prop_assert_eq!(
            std::str::from_utf8(&bytes[1..]).unwrap(),
            instant.date_naive().format("%Y-%m-%d").to_string()
        );
    }
}

/// `instant`'s text as format 1 writes it, checked against chrono's and against `expect`; and
/// its date's, checked against chrono's `%Y-%m-%d`.
fn check(instant: DateTime<Utc>, expect: Expect) {
    let mut bytes = Vec::new();
    Out(&mut bytes).instant(instant);
    let text = std::str::from_utf8(&bytes[1..]).unwrap();
    assert_eq!(usize::from(bytes[0]), text.len());
    assert_eq!(text, instant.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    expect.assert_eq(text);
    let mut day_bytes = Vec::new();
    Out(&mut day_bytes).day(instant.date_naive());
    let day_text = std::str::from_utf8(&day_bytes[1..]).unwrap();
    assert_eq!(usize::from(day_bytes[0]), day_text.len());
    assert_eq!(day_text, instant.date_naive().format("%Y-%m-%d").to_string());
    assert!(text.starts_with(&format!("{day_text}T")), "{text} {day_text}");
}

/// The instant at a date and time; `nano` from 1e9 is a leap second (second 59 only).
fn at(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nano: u32,
) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|date| date.and_hms_nano_opt(hour, minute, second, nano))
        .unwrap()
        .and_utc()
}

#[test]
fn rfc_3339_precisions() {
    check(at(2026, 3, 5, 10, 0, 0, 0), expect!["2026-03-05T10:00:00Z"]);
    check(at(2026, 3, 5, 10, 0, 0, 250_000_000), expect!["2026-03-05T10:00:00.250Z"]);
    check(at(2026, 3, 5, 10, 0, 0, 1_000_000), expect!["2026-03-05T10:00:00.001Z"]);
    check(at(2026, 3, 5, 10, 0, 0, 1_000), expect!["2026-03-05T10:00:00.000001Z"]);
    check(at(2026, 3, 5, 10, 0, 0, 123_456_000), expect!["2026-03-05T10:00:00.123456Z"]);
    check(at(2026, 3, 5, 10, 0, 0, 1), expect!["2026-03-05T10:00:00.000000001Z"]);
    check(at(2026, 3, 5, 10, 0, 0, 123_456_789), expect!["2026-03-05T10:00:00.123456789Z"]);
    check(at(2026, 12, 31, 23, 59, 59, 999_999_999), expect!["2026-12-31T23:59:59.999999999Z"]);
    check(DateTime::UNIX_EPOCH, expect!["1970-01-01T00:00:00Z"]);
    check(DateTime::from_timestamp(-1, 500_000_000).unwrap(), expect!["1969-12-31T23:59:59.500Z"]);
}

#[test]
fn rfc_3339_leap_seconds() {
    check(at(2016, 12, 31, 23, 59, 59, 1_000_000_000), expect!["2016-12-31T23:59:60Z"]);
    check(at(2016, 12, 31, 23, 59, 59, 1_500_000_000), expect!["2016-12-31T23:59:60.500Z"]);
    check(at(2016, 12, 31, 23, 59, 59, 1_999_999_999), expect!["2016-12-31T23:59:60.999999999Z"]);
    // Chrono allows one in any minute's 59th second.
    check(at(2026, 3, 5, 10, 41, 59, 1_000_001_000), expect!["2026-03-05T10:41:60.000001Z"]);
}

#[test]
fn rfc_3339_years_outside_four_digits() {
    check(at(0, 1, 1, 0, 0, 0, 0), expect!["0000-01-01T00:00:00Z"]);
    check(at(1, 1, 1, 0, 0, 0, 0), expect!["0001-01-01T00:00:00Z"]);
    check(at(999, 12, 31, 23, 59, 59, 0), expect!["0999-12-31T23:59:59Z"]);
    check(at(9999, 12, 31, 23, 59, 59, 999_999_999), expect!["9999-12-31T23:59:59.999999999Z"]);
    check(at(-1, 12, 31, 23, 59, 59, 0), expect!["-0001-12-31T23:59:59Z"]);
    check(at(-999, 6, 15, 12, 0, 0, 10_000_000), expect!["-0999-06-15T12:00:00.010Z"]);
    check(at(-12_345, 1, 1, 0, 0, 0, 0), expect!["-12345-01-01T00:00:00Z"]);
    check(at(10_000, 1, 1, 0, 0, 0, 0), expect!["+10000-01-01T00:00:00Z"]);
    check(DateTime::<Utc>::MIN_UTC, expect!["-262143-01-01T00:00:00Z"]);
    check(DateTime::<Utc>::MAX_UTC, expect!["+262142-12-31T23:59:59.999999999Z"]);
    check(
        DateTime::<Utc>::MIN_UTC + chrono::Duration::nanoseconds(1),
        expect!["-262143-01-01T00:00:00.000000001Z"],
    );
}

/// A `CommandExecuted` record, the one every command appends.
fn command_executed(recorded_at: DateTime<Utc>, key: String) -> AuditRecord {
    AuditRecord {
        seq: 5,
        recorded_at,
        account: Some(AccountId(3)),
        kind: AuditKind::CommandExecuted { name: "payment".into(), key, content: [5; 32] },
        prev_hash: [7; 32],
    }
}

#[test]
fn golden_command_executed() {
    // Frozen: the chain of every existing store was hashed over these bytes.
    let record = command_executed(at(2026, 2, 1, 0, 0, 0, 0), "pay-1".into());
    assert_eq!(hex(&by_hand(&record)), hex(&reference(&record)));
    expect!["010514323032362d30322d30315430303a30303a30305a010305077061796d656e74057061792d3105050505050505050505050505050505050505050505050505050505050505050707070707070707070707070707070707070707070707070707070707070707aa2c93fd"]
    .assert_eq(&hex(&by_hand(&record)));
}

#[test]
fn lengths_and_integers_at_every_varint_width() {
    // A key of 70,000 bytes takes a four-byte length, one of 300 a two-byte length.
    for key_len in [0, 250, 251, 300, 65_535, 65_536, 70_000] {
        let record = command_executed(at(2026, 2, 1, 0, 0, 0, 1), "k".repeat(key_len));
        assert_eq!(by_hand(&record), reference(&record), "{key_len}");
    }
    for value in
        [0, 250, 251, 65_535, 65_536, u64::from(u32::MAX), u64::from(u32::MAX) + 1, u64::MAX]
    {
        let record = AuditRecord {
            seq: value,
            recorded_at: at(2026, 2, 1, 0, 0, 0, 0),
            account: Some(AccountId(value)),
            kind: AuditKind::Cycle { as_of: NaiveDate::MIN, reviewed: value, actions: value },
            prev_hash: [0; 32],
        };
        assert_eq!(by_hand(&record), reference(&record), "{value}");
    }
}
