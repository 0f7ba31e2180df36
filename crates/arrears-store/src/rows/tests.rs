use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::*;

fn bincode_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap()
}

fn from_bincode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(value, _)| value)
        .map_err(|error| error.to_string())
}

fn instants() -> Vec<DateTime<Utc>> {
    [
        "2026-03-05T10:00:00Z",
        "2026-03-05T10:00:00.250Z",
        "2026-03-05T10:00:00.000001Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
    ]
    .iter()
    .map(|text| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
    .collect()
}

#[test]
fn text_leaves_write_what_chrono_rust_decimal_and_the_core_wrote() {
    // The rows replaced the core's serde forms: the bytes must be the same ones.
    for date in ["0001-01-01", "0999-12-31", "2026-03-05", "9999-12-31"] {
        let date: NaiveDate = date.parse().unwrap();
        assert_eq!(bincode_bytes(&DayText(date)), bincode_bytes(&date));
        assert_eq!(from_bincode::<DayText>(&bincode_bytes(&date)).unwrap(), DayText(date));
        assert_eq!(
            serde_json::to_string(&Day(date)).unwrap(),
            serde_json::to_string(&date).unwrap()
        );
    }
    for instant in instants() {
        assert_eq!(bincode_bytes(&InstantText(instant)), bincode_bytes(&instant));
        assert_eq!(from_bincode::<InstantText>(&bincode_bytes(&instant)).unwrap().0, instant);
        assert_eq!(
            serde_json::to_string(&Instant(instant)).unwrap(),
            serde_json::to_string(&instant).unwrap()
        );
    }
    for text in ["0", "0.25", "100.00", "-12.5000", "79228162514264337593543950335"] {
        let decimal: Decimal = text.parse().unwrap();
        assert_eq!(bincode_bytes(&DecimalText(decimal)), bincode_bytes(&decimal));
        assert_eq!(
            from_bincode::<DecimalText>(&bincode_bytes(&decimal)).unwrap().0.to_string(),
            text
        );
    }
    for code in ["USD", "JPY", "MXN"] {
        let currency = Currency::from_code(code).unwrap();
        assert_eq!(bincode_bytes(&CurrencyCode(currency)), bincode_bytes(&currency));
    }
}

#[test]
fn days_and_instants_are_integers_in_the_store_and_strings_in_format_1() {
    let date: NaiveDate = "2026-03-05".parse().unwrap();
    let days = bincode_bytes(&Day(date));
    assert_eq!(days, bincode_bytes(&739_680_i32));
    assert_eq!(from_bincode::<Day>(&days).unwrap(), Day(date));
    let text = with_strings(|| bincode_bytes(&Day(date)));
    assert_eq!(text, bincode_bytes(&"2026-03-05"));
    assert_eq!(with_strings(|| from_bincode::<Day>(&text)).unwrap(), Day(date));
    for instant in instants() {
        let pair = bincode_bytes(&Instant(instant));
        assert_eq!(pair, bincode_bytes(&(instant.timestamp(), instant.timestamp_subsec_nanos())));
        assert_eq!(from_bincode::<Instant>(&pair).unwrap(), Instant(instant));
        let text = with_strings(|| bincode_bytes(&Instant(instant)));
        assert_eq!(with_strings(|| from_bincode::<Instant>(&text)).unwrap(), Instant(instant));
    }
    // The switch is restored after the closure.
    assert_eq!(bincode_bytes(&Day(date)), days);
}

#[test]
fn leaves_that_are_not_values_say_what_they_are() {
    let error = from_bincode::<Day>(&bincode_bytes(&i32::MAX)).unwrap_err();
    assert!(error.contains("day number 2147483647 is not a date"), "{error}");
    let error = from_bincode::<Instant>(&bincode_bytes(&(i64::MAX, 0_u32))).unwrap_err();
    assert!(error.contains("is not an instant"), "{error}");
    let error = from_bincode::<DayText>(&bincode_bytes(&"2026-02-30")).unwrap_err();
    assert!(error.contains("2026-02-30") && error.contains("is not a date"), "{error}");
    let error = from_bincode::<DecimalText>(&bincode_bytes(&"1.2.3")).unwrap_err();
    assert!(error.contains("1.2.3") && error.contains("is not a decimal"), "{error}");
    assert!(from_bincode::<CurrencyCode>(&bincode_bytes(&"XYZ")).is_err());
}

#[test]
fn containers_convert_element_by_element() {
    let dates: Vec<NaiveDate> = vec!["2026-03-05".parse().unwrap(), "2026-04-05".parse().unwrap()];
    let rows: Vec<Day> = dates.to_row();
    assert_eq!(<Vec<NaiveDate>>::from_row(rows.clone()), dates);
    let map: BTreeMap<EventSeq, (AccountId, Option<Decimal>)> =
        BTreeMap::from([(EventSeq(3), (AccountId(7), Some(Decimal::new(25, 2))))]);
    let row: BTreeMap<u32, (u64, Option<DecimalText>)> = map.to_row();
    assert_eq!(row[&3], (7, Some(DecimalText(Decimal::new(25, 2)))));
    assert_eq!(<BTreeMap<EventSeq, (AccountId, Option<Decimal>)>>::from_row(row), map);
}

#[test]
fn a_map_row_is_stored_as_its_map() {
    let map: BTreeMap<EventSeq, i64> = BTreeMap::from([(EventSeq(9), -5), (EventSeq(2), 300)]);
    let row: MapRow<u32, i64> = map.to_row();
    assert_eq!(row, vec![(2, 300), (9, -5)]);
    let as_map: BTreeMap<u32, i64> = map.to_row();
    assert_eq!(bincode_bytes(&row), bincode_bytes(&as_map));
    assert_eq!(
        <BTreeMap<EventSeq, i64>>::from_row(
            from_bincode::<MapRow<u32, i64>>(&bincode_bytes(&as_map)).unwrap()
        ),
        map
    );
}

#[test]
fn text_formatted_on_the_stack_is_the_text_at_every_length() {
    // `serialize_display` formats into a fixed buffer and falls back to `collect_str` past it:
    // both ways, and at the boundary, the bytes are the string's.
    struct Shown<'a>(&'a str);
    impl Serialize for Shown<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serialize_display(serializer, &self.0)
        }
    }
    for len in [0, 1, 63, 64, 65, 200] {
        let text = "7".repeat(len);
        assert_eq!(bincode_bytes(&Shown(&text)), bincode_bytes(&text), "{len} bytes");
        assert_eq!(
            serde_json::to_string(&Shown(&text)).unwrap(),
            serde_json::to_string(&text).unwrap()
        );
    }
    let accented = "\u{e9}".repeat(40);
    assert_eq!(bincode_bytes(&Shown(&accented)), bincode_bytes(&accented));
}

proptest::proptest! {
    /// The decimal's text written by hand is `Display`'s, for every mantissa, scale and sign
    /// (negative zero included).
    #[test]
    fn a_decimal_text_is_what_display_writes(
        lo in proptest::prelude::any::<u32>(),
        mid in proptest::prelude::any::<u32>(),
        hi in proptest::prelude::any::<u32>(),
        negative in proptest::prelude::any::<bool>(),
        scale in 0_u32..=28,
        small in proptest::prelude::any::<bool>(),
    ) {
        // Half the cases amounts of a few digits, where the scale pads with zeros.
        let (mid, hi) = if small { (0, 0) } else { (mid, hi) };
        let lo = if small { lo % 100_000 } else { lo };
        let decimal = Decimal::from_parts(lo, mid, hi, negative, scale);
        let digits = DecimalDigits::of(decimal);
        proptest::prop_assert_eq!(digits.text(), decimal.to_string());
        proptest::prop_assert_eq!(bincode_bytes(&DecimalText(decimal)), bincode_bytes(&decimal));
    }
}

#[test]
fn decimal_texts_at_the_edges() {
    for (decimal, text) in [
        (Decimal::ZERO, "0"),
        (Decimal::new(0, 2), "0.00"),
        (Decimal::new(5, 2), "0.05"),
        (Decimal::new(-5, 1), "-0.5"),
        (Decimal::new(1050, 2), "10.50"),
        (Decimal::new(100, 0), "100"),
        (Decimal::MAX, "79228162514264337593543950335"),
        (Decimal::MIN, "-79228162514264337593543950335"),
        (
            Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 28),
            "7.9228162514264337593543950335",
        ),
        (Decimal::from_parts(1, 0, 0, true, 28), "-0.0000000000000000000000000001"),
    ] {
        assert_eq!(decimal.to_string(), text, "Display itself");
        assert_eq!(DecimalDigits::of(decimal).text(), text);
    }
    // A zero with its sign set (which `from_parts` clears): whatever `Display` writes.
    for scale in [0, 3] {
        let mut zero = Decimal::new(0, scale);
        zero.set_sign_negative(true);
        assert_eq!(DecimalDigits::of(zero).text(), zero.to_string());
    }
}
