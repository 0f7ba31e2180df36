//! Files shaped as banks send them, against the published layouts: each test names what was
//! misread before.

use arrears_bank::{parse, CsvMapping, Direction, FormatChoice, Problem, Statement};

fn csv(mapping: &str, text: &str) -> Result<Vec<Statement>, arrears_bank::StatementError> {
    let mapping = CsvMapping::from_toml(mapping, "m.toml").unwrap_or_else(|e| panic!("{e}"));
    parse("x.csv", text.as_bytes(), FormatChoice::Auto, Some(&mapping))
}

/// One line's date, direction, amount and line number.
fn brief(statement: &Statement) -> Vec<(String, Direction, i64, u32)> {
    let line = |l: &arrears_bank::StatementLine| {
        (l.booking_on.to_string(), l.direction, l.amount_minor, l.location.line)
    };
    statement.lines.iter().map(line).collect()
}

/// `skip_rows` counts the lines before the header, blank ones included, as CASH.md says
/// ("titles, blank rows"). The csv reader gives no record for a blank line, so a title, a
/// blank line and `skip_rows = 2` took the header as a title and the first movement as the
/// header: with columns by number that movement was dropped without a word. And a bank that
/// writes `0,00` in the column a row does not use had every row refused as both a debit and
/// a credit.
#[test]
fn csv_skip_rows_counts_blank_lines_and_a_zero_in_the_unused_column_is_no_amount() {
    let mapping = "account = \"ES9121000418450200051332\"\ncurrency = \"EUR\"\n\
                   delimiter = \";\"\nskip_rows = 2\ndecimal_separator = \",\"\n\
                   thousands_separator = \".\"\ndate_format = \"%d/%m/%Y\"\n[columns]\n\
                   booking_date = 1\ndebit = 4\ncredit = 5\n";
    let text = "Movimientos de la cuenta;;;;\n\nFecha;Fecha valor;Concepto;Cargo;Abono\n\
                01/12/2026;01/12/2026;A;0,00;1.250,00\n02/12/2026;02/12/2026;B;9,90;0,00\n\
                ;;;;\n03/12/2026;03/12/2026;C;;5,00\n";
    let statements = csv(mapping, text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        brief(&statements[0]),
        [
            ("2026-12-01".to_owned(), Direction::Credit, 125_000, 4),
            ("2026-12-02".to_owned(), Direction::Debit, 990, 5),
            ("2026-12-03".to_owned(), Direction::Credit, 500, 7),
        ]
    );
    // Named columns find the header after the blank line too.
    let named = mapping
        .replace("booking_date = 1", "booking_date = \"Fecha\"")
        .replace("debit = 4", "debit = \"Cargo\"");
    assert_eq!(csv(&named, text).unwrap()[0].lines.len(), 3);
    // Two amounts that are not zero stay refused, at their line.
    let error = csv(mapping, &text.replace("B;9,90;0,00", "B;9,90;1,00")).unwrap_err();
    assert_eq!(error.at.line, 5);
    assert!(matches!(error.problem, Problem::Unexpected { .. }), "{error}");
}
