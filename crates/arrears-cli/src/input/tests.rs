//! Unit tests of reading rows: a JSON Lines number is read as written, the errors of a JSON
//! line (a field named twice, at the top or nested, not an object, not JSON) keep their text,
//! and a CSV row is placed on its physical line whatever the line ends and blank lines.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::{amount, decimal, read_csv, read_jsonl, Columns, RowError, Sign};
use arrears::money::Currency;

const COLUMNS: Columns = Columns { required: &["amount"], optional: &["key", "time_zones"] };

/// Reads `text` as a JSON Lines file: each line's fields, or its errors.
fn rows(text: &str) -> Vec<Result<Vec<(String, String)>, RowError>> {
    let mut found = Vec::new();
    read_jsonl(text.as_bytes(), COLUMNS, &mut |row| {
        found.push(row.map(|row| row.fields.into_iter().collect()));
        Ok(())
    })
    .unwrap()
    .unwrap();
    found
}

/// The text `amount` holds in the one row of `line`.
fn amount_text(line: &str) -> String {
    match rows(line).as_slice() {
        [Ok(fields)] => {
            fields.iter().find(|(name, _)| name == "amount").expect("an amount").1.clone()
        }
        other => panic!("{line}: {other:?}"),
    }
}

/// The errors of the one line `line`, as `column: reason`.
fn errors(line: &str) -> Vec<String> {
    rows(line)
        .into_iter()
        .map(|row| {
            let error = row.expect_err(line);
            assert_eq!(error.line, 1);
            format!("{}: {}", error.column.as_deref().unwrap_or("-"), error.reason)
        })
        .collect()
}

#[test]
fn a_json_number_is_read_as_written() {
    for (line, expect) in [
        (r#"{"amount": 125.50}"#, "125.50"),
        (r#"{"amount":1.0000000000000001}"#, "1.0000000000000001"),
        (r#"{"amount": -0.5 , "key": "K"}"#, "-0.5"),
        (r#"{"key":"K","amount":100}"#, "100"),
        (r#"{"amount":12345678901234567.89}"#, "12345678901234567.89"),
        (r#"{"amount":123456789012345678901234567890}"#, "123456789012345678901234567890"),
        (r#"{"amount":1e2}"#, "1e2"),
        (r#"{"amount":-1.5E-3}"#, "-1.5E-3"),
        (r#"{"k\u0065y":7,"amount":0.10}"#, "0.10"),
        (r#"{"amount":"125.50"}"#, "125.50"),
    ] {
        assert_eq!(amount_text(line), expect, "{line}");
    }
    // Other fields of the line: a number as written, strings and arrays as before.
    let found = rows(r#"{"amount":1.10,"key":2.50,"time_zones":[" UTC ","Europe/Oslo"]}"#);
    let [Ok(fields)] = found.as_slice() else { panic!("not one row: {found:?}") };
    assert_eq!(
        *fields,
        [("amount", "1.10"), ("key", "2.50"), ("time_zones", "UTC|Europe/Oslo")]
            .map(|(name, text)| (name.to_owned(), text.to_owned()))
    );
}

#[test]
fn the_errors_of_a_line_with_numbers_keep_their_text_and_place() {
    assert_eq!(
        errors(r#"{"amount":1.5,"amount":2,"key":1,"key":"2"}"#),
        ["amount: field named twice in the object", "key: field named twice in the object"]
    );
    // Nested: the column is the line's, that of the second `"b"`'s closing quote.
    assert_eq!(
        errors(r#"{"amount":1.50,"key":[{"b":1,"b":2}]}"#),
        ["-: not valid JSON: field \"b\" named twice in a nested object at line 1 column 32"]
    );
    assert_eq!(errors("1.50"), ["-: not a JSON object"]);
    assert_eq!(errors("[1.50]"), ["-: not a JSON object"]);
    assert_eq!(
        errors(r#"{"amount":1.50,}"#),
        ["-: not valid JSON: trailing comma at line 1 column 16"]
    );
    assert_eq!(
        errors(r#"{"amount":01}"#),
        ["-: not valid JSON: invalid number at line 1 column 12"]
    );
    // A number nested in an array is refused as before; an object as before.
    assert_eq!(errors(r#"{"amount":[1.50]}"#), ["amount: an array must hold strings only"]);
    assert_eq!(
        errors(r#"{"amount":{"a":1.50}}"#),
        ["amount: must be a string, number, boolean or array of strings, not an object"]
    );
}

#[test]
fn a_number_with_an_exponent_is_refused_with_what_to_write() {
    assert_eq!(
        amount("1e2", Currency::USD, Sign::Positive).unwrap_err(),
        "\"1e2\" is not a decimal amount (it has an exponent: write it as a plain decimal, 100)"
    );
    assert_eq!(
        amount("-1.5E-3", Currency::USD, Sign::NonZero).unwrap_err(),
        "\"-1.5E-3\" is not a decimal amount (it has an exponent: write it as a plain decimal, \
         -0.0015)"
    );
    assert_eq!(
        amount("1e400", Currency::USD, Sign::Positive).unwrap_err(),
        "\"1e400\" is not a decimal amount (it has an exponent: write it as a plain decimal)"
    );
    assert_eq!(
        decimal("2.5e-1").unwrap_err(),
        "\"2.5e-1\" is not a decimal number (it has an exponent: write it as a plain decimal, \
         0.25)"
    );
    // Anything else keeps the plain message.
    assert_eq!(decimal("1e").unwrap_err(), "\"1e\" is not a decimal number");
    assert_eq!(decimal("e2").unwrap_err(), "\"e2\" is not a decimal number");
    assert_eq!(
        amount("12abc", Currency::USD, Sign::Positive).unwrap_err(),
        "\"12abc\" is not a decimal amount"
    );
    assert_eq!(decimal("0.25").unwrap(), Decimal::new(25, 2));
    // Read exactly, an amount finer than the minor unit is refused, as in a string.
    assert_eq!(
        amount("1.0000000000000001", Currency::USD, Sign::Positive).unwrap_err(),
        "amount 1.0000000000000001 is finer than the minor unit of USD (2 decimals)"
    );
}

proptest! {
    /// Any decimal literal written as a JSON number is the row's text, character for
    /// character, whatever the spaces around it and the fields beside it.
    #[test]
    fn a_decimal_literal_written_as_a_json_number_is_the_rows_text(
        literal in "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,40})?([eE][-+]?[0-9]{1,2})?",
        before in "[ \t]{0,2}",
        after in "[ \t]{0,2}",
        key_first in any::<bool>(),
    ) {
        let line = if key_first {
            format!("{{\"key\":\"K\",\"amount\":{before}{literal}{after}}}")
        } else {
            format!("{{\"amount\":{before}{literal}{after},\"key\":-1}}")
        };
        prop_assert_eq!(amount_text(&line), literal);
    }
}

const CSV_COLUMNS: Columns = Columns { required: &["a", "b"], optional: &[] };

/// The line of each row and row error of `text` read as a CSV file.
fn csv_lines(text: &str) -> Vec<u64> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, text).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut lines = Vec::new();
    read_csv(&path, file, CSV_COLUMNS, &mut |row| {
        lines.push(match row {
            Ok(row) => row.line,
            Err(error) => error.line,
        });
        Ok(())
    })
    .unwrap();
    lines
}

#[test]
fn a_csv_row_is_placed_on_its_physical_line() {
    for (text, expect) in [
        ("a,b\n1,2\n3,4\n", &[2, 3][..]),
        ("a,b\r\n1,2\r\n3,4\r\n", &[2, 3]),
        ("a,b\n\n1,2\n\n\n3,4", &[3, 6]),
        ("a,b\r\n\r\n1,2\r\n\r\n\r\n3,4\r\n\r\n", &[3, 6]),
        ("a,b\r\n1,\"x\r\ny\"\r\n\r\n3,4,5\r\n", &[2, 5]),
        ("\u{feff}a,b\n1,2\n", &[2]),
        // A lone CR ends a record but not a line, as `str::lines` and the errors' lines count.
        ("a,b\r1,2\r3,4\r", &[1, 1]),
    ] {
        assert_eq!(csv_lines(text), expect, "{text:?}");
    }
    // A file larger than the csv reader's buffer, so that records straddle its reads.
    let mut text = "a,b\r\n".to_owned();
    let (mut expect, mut line) = (Vec::new(), 2);
    for row in 0..5_000 {
        if row % 7 == 0 {
            text.push_str("\r\n");
            line += 1;
        }
        expect.push(line);
        // Two physical lines: a quoted field holds a line end.
        text.push_str(&format!("{row},\"{}\r\n\"\r\n", "x".repeat(row % 50)));
        line += 2;
    }
    assert_eq!(csv_lines(&text), expect);
}
