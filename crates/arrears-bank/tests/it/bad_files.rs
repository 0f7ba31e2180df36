//! Bad files for every check: each names the file, the line (or element) and the check.

use arrears_bank::{
    parse, CsvMapping, FormatChoice, Location, MappingError, MappingErrorReason, Problem,
    StatementError,
};
use arrears_core::money::Currency;

use super::*;

/// Parses `name`'s data with `from` replaced by `to` (the replacement must apply).
fn broken(name: &str, from: &str, to: &str) -> StatementError {
    broken_with(name, from, to, None)
}

fn broken_with(name: &str, from: &str, to: &str, mapping: Option<&CsvMapping>) -> StatementError {
    let text = String::from_utf8(data(name)).unwrap();
    assert!(text.contains(from), "{name} lacks {from:?}");
    let text = text.replacen(from, to, 1);
    parse(name, text.as_bytes(), FormatChoice::Auto, mapping)
        .expect_err("the broken file was accepted")
}

fn at_line(error: &StatementError, line: u32) {
    assert_eq!(error.at.line, line, "{error}");
}

#[test]
fn camt_balance_mismatch_names_the_closing_balance_element() {
    let error = broken("camt053_v02_batch.xml", "1790.10", "1790.11");
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Bal[2]"));
    at_line(&error, 22);
    assert_eq!(
        error.to_string(),
        "camt053_v02_batch.xml: line 22 (Document/BkToCstmrStmt/Stmt[1]/Bal[2]): balance check \
         failed: opening 100000 + credits 80000 - debits 990 = 179010, but the closing balance \
         is 179011 (minor units of EUR)"
    );
}

#[test]
fn camt_summary_counts_and_sums_and_batch_totals_are_checked() {
    let error =
        broken("camt053_v02_batch.xml", "<NbOfNtries>3</NbOfNtries>", "<NbOfNtries>4</NbOfNtries>");
    assert_eq!(
        error.problem,
        Problem::CountMismatch { what: "TxsSummry/TtlNtries/NbOfNtries", declared: 4, counted: 3 }
    );
    at_line(&error, 29);
    let error = broken("camt053_v02_batch.xml", "<Sum>9.90</Sum>", "<Sum>9.91</Sum>");
    assert!(
        matches!(
            error.problem,
            Problem::TotalMismatch { declared_minor: 991, summed_minor: 990, .. }
        ),
        "{error}"
    );
    let error = broken(
        "camt053_v02_batch.xml",
        r#"<Amt Ccy="EUR">200.00</Amt>"#,
        r#"<Amt Ccy="EUR">199.00</Amt>"#,
    );
    assert!(
        error.to_string().contains(
            "Ntry/Amt of a batch against its TxDtls amounts declares 50000, summed 49900"
        ),
        "{error}"
    );
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]"));
}

#[test]
fn camt_currency_minor_unit_date_and_version_checks() {
    let error = broken(
        "camt053_v02_batch.xml",
        r#"<Amt Ccy="EUR">300.00</Amt>
        <CdtDbtInd>"#,
        r#"<Amt Ccy="USD">300.00</Amt>
        <CdtDbtInd>"#,
    );
    assert_eq!(
        error.problem,
        Problem::CurrencyMismatch { expected: Currency::EUR, found: "USD".to_owned() }
    );
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt"));
    at_line(&error, 63);
    let error = broken(
        "camt053_v08_return_kwd.xml",
        "250.125</ns2:Amt><ns2:CdtDbtInd>CRDT</ns2:CdtDbtInd>\n<ns2:Sts>",
        "250.1255</ns2:Amt><ns2:CdtDbtInd>CRDT</ns2:CdtDbtInd>\n<ns2:Sts>",
    );
    assert_eq!(error.to_string(), "camt053_v08_return_kwd.xml: line 20 (Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt): amount \"250.1255\" is finer than the minor unit of KWD (3 decimals)");
    let error = broken(
        "camt054_v04_clp.xml",
        "<Amt Ccy=\"CLP\">150000</Amt>\n        <CdtDbtInd>",
        "<Amt Ccy=\"CLP\">150000.5</Amt>\n        <CdtDbtInd>",
    );
    assert!(matches!(error.problem, Problem::FinerThanMinorUnit { minor_units: 0, .. }), "{error}");
    let error =
        broken("camt053_v02_batch.xml", "<ValDt><Dt>2026-12-02</Dt>", "<ValDt><Dt>2026-02-30</Dt>");
    assert_eq!(error.problem, Problem::BadDate { what: "date", found: "2026-02-30".to_owned() });
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/ValDt"));
    let error = broken("camt053_v02_batch.xml", "camt.053.001.02", "camt.053.001.01");
    assert!(matches!(error.problem, Problem::UnsupportedVersion { .. }), "{error}");
    let error = broken("camt053_v02_batch.xml", "<Cd>CLBD</Cd>", "<Cd>CLAV</Cd>");
    assert_eq!(error.problem, Problem::Missing { what: "Bal CLBD or ITBD (closing balance)" });
    let error = broken("camt054_v04_clp.xml", "<Ccy>CLP</Ccy>", "<Ccy>XXX</Ccy>");
    assert_eq!(error.problem, Problem::UnknownCurrency { code: "XXX".to_owned() });
}

#[test]
fn camt_malformed_and_truncated_xml() {
    let error = broken("camt054_v04_clp.xml", "</Ntfctn>", "</Ntfctnx>");
    assert!(matches!(error.problem, Problem::Xml { .. }), "{error}");
    at_line(&error, 24);
    let text = String::from_utf8(data("camt054_v04_clp.xml")).unwrap();
    let cut = &text[..text.len() / 2];
    let error = parse("cut.xml", cut.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert!(
        matches!(error.problem, Problem::UnexpectedEnd { .. } | Problem::Xml { .. }),
        "{error}"
    );
}

#[test]
fn mt940_balance_currency_amount_and_date_checks() {
    let error =
        broken("mt940_sepa_codes.sta", ":62F:C261231EUR13834,75", ":62F:C261231EUR13834,76");
    at_line(&error, 15);
    assert!(
        error
            .to_string()
            .starts_with("mt940_sepa_codes.sta: line 15: balance check failed: opening 1250000"),
        "{error}"
    );
    let error = broken("mt940_sepa_codes.sta", ":62F:C261231EUR", ":62F:C261231USD");
    assert_eq!(
        error.problem,
        Problem::CurrencyMismatch { expected: Currency::EUR, found: "USD".to_owned() }
    );
    let error = broken("mt940_sepa_codes.sta", "C80,00NTRF", "C80,005NTRF");
    assert_eq!(error.to_string(), "mt940_sepa_codes.sta: line 13: amount \"80,005\" is finer than the minor unit of EUR (2 decimals)");
    let error = broken("mt940_sepa_codes.sta", ":61:2612311231C80", ":61:2613311231C80");
    assert_eq!(
        error.to_string(),
        "mt940_sepa_codes.sta: line 13: value date \"261331\" is not a valid date"
    );
    let error = broken("mt940_sepa_codes.sta", ":61:2612311231C80", ":61:2612310231C80");
    assert_eq!(error.problem, Problem::BadDate { what: "entry date", found: "0231".to_owned() });
    let error = broken("mt940_sepa_codes.sta", ":60F:C261130EUR", ":60F:C261130XEU");
    assert_eq!(error.problem, Problem::UnknownCurrency { code: "XEU".to_owned() });
    at_line(&error, 4);
    let error = broken("mt940_sepa_codes.sta", "C1500,25NTRF", "X1500,25NTRF");
    assert!(
        error.to_string().contains("does not match the format a mark C, D, RC or RD"),
        "{error}"
    );
    let error = broken("mt940_sepa_codes.sta", ":62F:C261231EUR13834,75", ":64:C261231EUR13834,75");
    assert_eq!(error.problem, Problem::UnexpectedEnd { what: ":62F: or :62M: (closing balance)" });
}

#[test]
fn norma43_totals_counts_balance_and_currency_checks() {
    // Record 33 of the first account: debit count, debit total, credit count, closing.
    let record_33 = "33210004180200051332000010000000000125000002000000000350002000000001337509";
    let error = broken("n43_two_accounts.n43", record_33, &record_33.replacen("00001", "00002", 1));
    assert_eq!(error.to_string(), "n43_two_accounts.n43: line 8: count check failed: record 33 debit count declares 2, counted 1");
    let error = broken(
        "n43_two_accounts.n43",
        record_33,
        &record_33.replacen("00000000001250", "00000000001251", 1),
    );
    assert_eq!(
        error.problem,
        Problem::TotalMismatch {
            what: "record 33 debit total",
            declared_minor: 1251,
            summed_minor: 1250
        }
    );
    let error = broken(
        "n43_two_accounts.n43",
        record_33,
        &record_33.replacen("00000000133750", "00000000133751", 1),
    );
    assert!(
        matches!(
            error.problem,
            Problem::BalanceMismatch { computed_minor: 133_750, closing_minor: 133_751, .. }
        ),
        "{error}"
    );
    at_line(&error, 8);
    let error = broken("n43_two_accounts.n43", "133750978", "133750840");
    assert_eq!(
        error.problem,
        Problem::CurrencyMismatch { expected: Currency::EUR, found: "USD".to_owned() }
    );
    let error = broken("n43_two_accounts.n43", "00000000100000978", "00000000100000999");
    assert_eq!(error.problem, Problem::UnknownCurrency { code: "999".to_owned() });
    at_line(&error, 1);
    let error =
        broken("n43_two_accounts.n43", "88999999999999999999000011", "88999999999999999999000012");
    assert_eq!(error.to_string(), "n43_two_accounts.n43: line 12: count check failed: record 88 record count declares 12, counted 11");
}

#[test]
fn norma43_truncated_records_bad_dates_and_misplaced_records() {
    let movement = "22    0418261203261203170011000000000012";
    let error = broken("n43_two_accounts.n43", &format!("{movement}50"), &format!("{movement}  "));
    assert_eq!(
        error.to_string(),
        "n43_two_accounts.n43: line 4: movement amount \"000000000012  \" is not an amount"
    );
    // The record cut after its 40th character loses the amount's last two digits.
    let text = String::from_utf8(data("n43_two_accounts.n43")).unwrap();
    let line = text.lines().nth(3).unwrap();
    let cut = text.replacen(line, &line[..40], 1);
    let error = parse("cut.n43", cut.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cut.n43: line 4: truncated record 22: 40 characters, at least 42 needed"
    );
    let error = broken("n43_two_accounts.n43", "0418261205261206", "0418261205261306");
    assert_eq!(
        error.to_string(),
        "n43_two_accounts.n43: line 6: value date \"261306\" is not a valid date"
    );
    let error = broken("n43_two_accounts.n43", "2301COMISION", "2801COMISION");
    assert!(error.to_string().contains("line 5: unexpected record code \"28\""), "{error}");
    let without_end: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    let error = parse("noend.n43", without_end.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.problem, Problem::UnexpectedEnd { what: "record 88 (end of file)" });
    let long = text.replacen(line, &format!("{line}X"), 1);
    let error = parse("long.n43", long.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.problem, Problem::RecordTooLong { length: 81, length_max: 80 });
}

#[test]
fn norma43_jpy_amount_with_non_zero_implied_decimals_is_refused() {
    let error = broken("n43_two_accounts.n43", "00000000100000978", "00000000100001392");
    assert_eq!(
        error.to_string(),
        "n43_two_accounts.n43: line 1: amount \"00000000100001\" is finer than the minor unit of JPY (0 decimals)"
    );
}

#[test]
fn csv_rows_are_checked_and_mappings_are_validated() {
    let mapping = es_mapping();
    let error = broken_with("csv_es.csv", "9,90", "9,901", Some(&mapping));
    assert_eq!(
        error.to_string(),
        "csv_es.csv: line 4: amount \"9,901\" is finer than the minor unit of EUR (2 decimals)"
    );
    let error =
        broken_with("csv_es.csv", "02/12/2026;03/12/2026", "30/02/2026;03/12/2026", Some(&mapping));
    assert_eq!(
        error.problem,
        Problem::BadDate { what: "booking date", found: "30/02/2026".to_owned() }
    );
    let error = broken_with("csv_es.csv", "COMISION;9,90;", "COMISION;9,90;1,00", Some(&mapping));
    assert!(
        error
            .to_string()
            .starts_with("csv_es.csv: line 4: unexpected both a debit (9,90) and a credit"),
        "{error}"
    );
    let error = broken_with("csv_es.csv", "Abono", "Haber", Some(&mapping));
    assert_eq!(
        error.to_string(),
        "csv_es.csv: line 2: CSV: no column named \"Abono\" in the header"
    );
    let error = read_with("csv_es.csv", None).unwrap_err();
    assert_eq!(error.problem, Problem::UnknownFormat);
    let error = parse(
        "csv_es.csv",
        &data("csv_es.csv"),
        FormatChoice::Given(arrears_bank::Format::Csv),
        None,
    )
    .unwrap_err();
    assert_eq!(error.problem, Problem::MappingRequired);
    assert!(matches!(
        CsvMapping::from_toml("account = 1", "m.toml"),
        Err(MappingError { line: 1, reason: MappingErrorReason::Schema { .. }, .. })
    ));
}

/// Every error of a mapping file names the file, the line and the setting, as the policy and
/// the rules files do, instead of the TOML reader's caret diagram.
#[test]
fn a_bad_mapping_file_is_located_by_line_and_setting() {
    let error = |text: &str| CsvMapping::from_toml(text, "m.toml").unwrap_err().to_string();
    let good = "account = \"A\"\ncurrency = \"EUR\"\n[columns]\nbooking_date = 1\namount = 2\n";
    assert!(CsvMapping::from_toml(good, "m.toml").is_ok());
    assert_eq!(
        error(&good.replace("amount = 2", "amont = 2")),
        "m.toml:5: columns.amont: unknown field `amont`, expected one of `booking_date`, \
         `value_date`, `amount`, `debit`, `credit`, `reference`, `remittance`, \
         `creditor_reference`, `payer_name`, `payer_account`, `currency`, `balance`"
    );
    assert_eq!(
        error(&format!("skip_rows = \"two\"\n{good}")),
        "m.toml:1: skip_rows: invalid type: string \"two\", expected usize"
    );
    assert_eq!(
        error(&format!("skip_rows = 99999999999\n{good}")),
        "m.toml:1: skip_rows: must be at most 1000 (rows before the header)"
    );
    assert_eq!(
        error(&good.replace("= \"EUR\"", "= \"EUR")),
        "m.toml:2: currency: invalid toml: invalid basic string, expected `\"`"
    );
    assert_eq!(
        error(&format!("{good}debit = 3\ncredit = 4\n")),
        "m.toml:5: columns.amount: give either amount, or both debit and credit"
    );
    assert_eq!(error(&good.replace("EUR", "SEK")), "m.toml:2: currency: unknown currency \"SEK\"");
    assert_eq!(
        error(&good.replace("booking_date = 1", "booking_date = 0")),
        "m.toml:4: columns.booking_date: column numbers start at 1"
    );
    assert_eq!(
        error(&good.replace("booking_date = 1\n", "")),
        "m.toml:3: columns.booking_date: is required"
    );
    assert_eq!(
        error(&format!("header = false\n{}", good.replace("amount = 2", "amount = \"Monto\""))),
        "m.toml:6: columns.amount: names a column but header = false"
    );
    assert_eq!(
        error(&good.replace("currency = \"EUR\"\n", "")),
        "m.toml:1: currency: give a fixed currency or a currency column"
    );
}

#[test]
fn csv_currency_column_must_agree() {
    let mapping = CsvMapping::from_toml(
        "account = \"MX-1\"\nheader = false\n[columns]\nbooking_date = 1\namount = 2\ncurrency = 3\nreference = 4\n",
        "mx.toml",
    )
    .unwrap();
    let good = "2026-12-01,100.50,MXN,R1\n2026-12-02,-20.00,MXN,R2\n";
    let statements = parse("mx.csv", good.as_bytes(), FormatChoice::Auto, Some(&mapping)).unwrap();
    assert_eq!(statements[0].currency, Currency::MXN);
    assert_eq!(statements[0].net_minor(), 8_050);
    let bad = "2026-12-01,100.50,MXN,R1\n2026-12-02,-20.00,USD,R2\n";
    let error = parse("mx.csv", bad.as_bytes(), FormatChoice::Auto, Some(&mapping)).unwrap_err();
    assert_eq!(error.at, Location::line(2));
    assert_eq!(
        error.problem,
        Problem::CurrencyMismatch { expected: Currency::MXN, found: "USD".to_owned() }
    );
}

#[test]
fn unknown_and_empty_files() {
    let error = parse("x.bin", b"\x00\x01garbage", FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.to_string(), "x.bin: line 1: format not recognized (not camt.053/054 XML, MT940 or Norma 43; CSV needs a mapping)");
    let error =
        parse("e.sta", b"", FormatChoice::Given(arrears_bank::Format::Mt940), None).unwrap_err();
    assert_eq!(error.problem, Problem::Empty);
}

#[test]
fn csv_running_balance_oldest_or_newest_first_and_a_row_that_breaks_it() {
    let mapping = CsvMapping::from_toml(
        "account = \"UY-1\"\ncurrency = \"UYU\"\n[columns]\nbooking_date = \"date\"\n\
         amount = \"amount\"\nbalance = \"balance\"\n",
        "u.toml",
    )
    .unwrap();
    let oldest_first =
        "date,amount,balance\n2026-12-01,100.00,1100.00\n2026-12-02,-30.50,1069.50\n";
    let statement =
        &parse("u.csv", oldest_first.as_bytes(), FormatChoice::Auto, Some(&mapping)).unwrap()[0];
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(100_000), Some(106_950))
    );
    let newest_first =
        "date,amount,balance\n2026-12-02,-30.50,1069.50\n2026-12-01,100.00,1100.00\n";
    let statement =
        &parse("u.csv", newest_first.as_bytes(), FormatChoice::Auto, Some(&mapping)).unwrap()[0];
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(100_000), Some(106_950))
    );
    let broken = "date,amount,balance\n2026-12-01,100.00,1100.00\n2026-12-02,-30.50,1069.00\n";
    let error = parse("u.csv", broken.as_bytes(), FormatChoice::Auto, Some(&mapping)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "u.csv: line 3: balance check failed: opening 110000 + credits 0 - debits 3050 = 106950, \
         but the closing balance is 106900 (minor units of UYU)"
    );
    let missing = "date,amount,balance\n2026-12-01,100.00,\n";
    let error = parse("u.csv", missing.as_bytes(), FormatChoice::Auto, Some(&mapping)).unwrap_err();
    assert_eq!((error.at.line, error.problem), (2, Problem::Missing { what: "balance" }));
}
