use arrears_bank::{detect, Direction, Format, FormatChoice};
use arrears_core::money::Currency;
use chrono::NaiveDate;

use super::*;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn camt053_v02_batch_gives_one_line_per_transaction_and_skips_pending_entries() {
    let statements = read("camt053_v02_batch.xml");
    assert_eq!(statements.len(), 1);
    let statement = &statements[0];
    assert_eq!(statement.format, Format::Camt053);
    assert_eq!(statement.message_id.as_deref(), Some("CAIXA-20261201-0001"));
    assert_eq!(statement.statement_id.as_deref(), Some("STMT-2026-335"));
    assert_eq!(statement.account, "ES9121000418450200051332");
    assert_eq!(statement.currency, Currency::EUR);
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(100_000), Some(179_010))
    );
    let references: Vec<&str> = statement.lines.iter().map(|l| l.bank_reference.as_str()).collect();
    assert_eq!(
        references,
        ["2026120100017/1", "2026120100017/2", "2026120100018", "2026120100019"]
    );
    let first = &statement.lines[0];
    assert_eq!(first.amount_minor, 30_000);
    assert_eq!(first.payer_name.as_deref(), Some("Juan P\u{e9}rez & Hijos"));
    assert_eq!(first.payer_account.as_deref(), Some("ES7620770024003102575766"));
    assert_eq!(first.creditor_reference.as_deref(), Some("RF18539007547034"));
    assert_eq!(first.location.line, 43);
    assert_eq!(
        first.location.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[1]")
    );
    let second = &statement.lines[1];
    assert_eq!(second.amount_minor, 20_000);
    assert_eq!(second.remittance_unstructured.as_deref(), Some("FACTURA 2026/118 Y 2026/119"));
    assert_eq!(statement.lines[2].value_on, day("2026-12-02"));
    assert_eq!(statement.lines[3].direction, Direction::Debit);
    assert_eq!(first.end_to_end_id.as_deref(), Some("E2E-A-1"));
    assert_eq!(first.transaction_code.as_deref(), Some("PMNT/RCDT/ESCT"));
    assert_eq!(statement.net_minor(), 79_010);
}

#[test]
fn camt053_v08_prefixed_namespace_kwd_previous_closing_and_a_returned_item() {
    let statement = &read("camt053_v08_return_kwd.xml")[0];
    assert_eq!(statement.currency, Currency::KWD);
    assert_eq!(statement.account, "2001234567");
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(-10_500), Some(114_125))
    );
    let (paid, returned) = (&statement.lines[0], &statement.lines[1]);
    assert_eq!((paid.amount_minor, paid.bank_reference.as_str()), (250_125, "NBK-TX-77001"));
    assert_eq!(paid.booking_on, day("2026-12-02"));
    assert_eq!(paid.payer_name.as_deref(), Some("Al Salem Trading"));
    assert_eq!(paid.end_to_end_id, None, "NOTPROVIDED is no reference");
    assert!(!paid.is_reversal);
    assert_eq!((returned.direction, returned.is_reversal), (Direction::Debit, true));
    assert_eq!(returned.return_reason.as_deref(), Some("AC04"));
    assert_eq!(returned.payer_name.as_deref(), Some("Gulf Parts Co"));
    assert_eq!(returned.value_on, returned.booking_on);
}

#[test]
fn camt053_v04_two_accounts_other_ids_instructed_amount_in_another_currency() {
    let statements = read("camt053_v04_two_accounts.xml");
    assert_eq!(statements.len(), 2);
    let (mxn, usd) = (&statements[0], &statements[1]);
    assert_eq!((mxn.account.as_str(), mxn.currency), ("012180001234567897", Currency::MXN));
    assert_eq!(mxn.closing_balance_minor, Some(1_734_560));
    let line = &mxn.lines[0];
    assert_eq!(line.amount_minor, 1_234_560);
    assert_eq!(line.booking_on, day("2026-12-01"));
    assert_eq!(line.payer_account.as_deref(), Some("002180700012345670"));
    assert_eq!(line.transaction_code.as_deref(), Some("SPEI-ABONO"));
    assert_eq!(line.bank_reference, "SPEI-7781200");
    assert_eq!((usd.currency, usd.lines.len()), (Currency::USD, 0));
    assert_eq!(usd.message_id.as_deref(), Some("BBVAMX-053-20261202"));
}

#[test]
fn camt054_notification_in_clp_has_no_balances() {
    let statement = &read("camt054_v04_clp.xml")[0];
    assert_eq!(statement.format, Format::Camt054);
    assert_eq!(statement.currency, Currency::CLP);
    assert_eq!(statement.opening_balance_minor, None);
    let line = &statement.lines[0];
    assert_eq!((line.amount_minor, line.bank_reference.as_str()), (150_000, "TEF-998877"));
    assert_eq!(line.payer_account.as_deref(), Some("12.345.678-5"));
    assert_eq!(line.payer_name.as_deref(), Some("Mar\u{ed}a Gonz\u{e1}lez"));
}

#[test]
fn mt940_with_sepa_codes_reads_names_accounts_returns_and_rf_references() {
    let statement = &read("mt940_sepa_codes.sta")[0];
    assert_eq!(statement.format, Format::Mt940);
    assert_eq!(statement.message_id.as_deref(), Some("STMT-2026-12-01"));
    assert_eq!(statement.statement_id.as_deref(), Some("00237/1"));
    assert_eq!(statement.account, "NL91ABNA0417164300");
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(1_250_000), Some(1_383_475))
    );
    let lines = &statement.lines;
    assert_eq!(lines.len(), 4);
    assert_eq!(
        (lines[0].amount_minor, lines[0].bank_reference.as_str()),
        (150_025, "B6L01ABCD000001")
    );
    assert_eq!(lines[0].payer_name.as_deref(), Some("JANSEN BV"));
    assert_eq!(lines[0].payer_account.as_deref(), Some("NL69INGB0123456789"));
    assert_eq!(lines[0].remittance_unstructured.as_deref(), Some("FACTUUR 2026-114"));
    assert_eq!(lines[0].end_to_end_id.as_deref(), Some("E2E-114"));
    assert_eq!(lines[1].transaction_code.as_deref(), Some("NCHG"));
    assert_eq!(
        lines[1].remittance_unstructured.as_deref(),
        Some("Kosten betalingsverkeer november")
    );
    assert_eq!((lines[2].direction, lines[2].is_reversal), (Direction::Debit, true));
    assert_eq!(lines[2].return_reason.as_deref(), Some("AC04"));
    assert_eq!(lines[3].creditor_reference.as_deref(), Some("RF18539007547034"));
    assert_eq!(lines[3].location.line, 13);
}

#[test]
fn mt940_in_swift_blocks_with_german_structured_86_and_two_messages() {
    let statements = read("mt940_german_blocks.sta");
    assert_eq!(statements.len(), 2);
    let first = &statements[0];
    assert_eq!(first.opening_balance_minor, Some(-25_000));
    let credit = &first.lines[0];
    assert_eq!((credit.amount_minor, credit.bank_reference.as_str()), (100_000, "3100017"));
    assert_eq!(
        credit.remittance_unstructured.as_deref(),
        Some("EREF+E2E-77SVWZ+Rechnung 2026-77 Mustermann")
    );
    assert_eq!(credit.payer_name.as_deref(), Some("MUSTERMANN GMBH"));
    assert_eq!(credit.end_to_end_id.as_deref(), Some("E2E-77"));
    assert_eq!(credit.payer_account.as_deref(), Some("DE44500105175407324931"));
    assert_eq!(first.lines[1].bank_reference, "0112261201/5/1/2");
    let second = &statements[1];
    assert_eq!(second.lines[0].bank_reference, "0112261204/5/2/1");
    assert_eq!(second.closing_balance_minor, Some(73_800));
}

#[test]
fn mt940_entry_date_across_the_year_end() {
    let text = ":20:Y\n:25:X\n:28C:1\n:60F:C261231EUR0,00\n:61:2612310102C1,00NTRFNONREF//R\n:62F:C270102EUR1,00\n";
    let line = &parse("y.sta", text.as_bytes(), FormatChoice::Auto, None).unwrap()[0].lines[0];
    assert_eq!((line.value_on, line.booking_on), (day("2026-12-31"), day("2027-01-02")));
}

#[test]
fn norma43_two_accounts_with_concepts_and_an_equivalence() {
    let statements = read("n43_two_accounts.n43");
    assert_eq!(statements.len(), 2);
    let first = &statements[0];
    assert_eq!(first.format, Format::Norma43);
    // The IBAN from entity 2100, office 0418, number 0200051332 and CCC control digits 45.
    assert_eq!(first.account, "ES9121000418450200051332");
    assert_eq!(first.statement_id.as_deref(), Some("210004180200051332/2026-12-01"));
    assert_eq!(
        (first.opening_balance_minor, first.closing_balance_minor),
        (Some(100_000), Some(133_750))
    );
    let line = &first.lines[0];
    assert_eq!((line.amount_minor, line.direction), (25_000, Direction::Credit));
    assert_eq!(
        line.bank_reference,
        "210004180200051332/261202/02015/0000000042/000000000042/FACTURA 42"
    );
    assert_eq!(
        line.remittance_unstructured.as_deref(),
        Some("TRANSFERENCIA DE JUAN PEREZ FRA 42 RF18539007547034")
    );
    assert_eq!(first.lines[1].direction, Direction::Debit);
    assert_eq!(first.lines[2].value_on, day("2026-12-06"));
    assert_eq!(first.lines[1].transaction_code.as_deref(), Some("17/001"));
    assert_eq!(first.lines[2].location.line, 6);
    let second = &statements[1];
    assert_eq!(
        (second.opening_balance_minor, second.closing_balance_minor),
        (Some(-5_000), Some(3_000))
    );
}

#[test]
fn csv_through_a_mapping_with_title_row_header_and_debit_credit_columns() {
    let statements = read_with("csv_es.csv", Some(&es_mapping())).unwrap();
    let statement = &statements[0];
    assert_eq!(statement.format, Format::Csv);
    let lines = &statement.lines;
    assert_eq!(lines.len(), 3);
    assert_eq!((lines[0].amount_minor, lines[0].direction), (125_000, Direction::Credit));
    assert_eq!(lines[0].payer_account.as_deref(), Some("ES7620770024003102575766"));
    assert_eq!(lines[0].payer_name.as_deref(), Some("Juan Perez"));
    assert_eq!((lines[1].amount_minor, lines[1].direction), (990, Direction::Debit));
    assert_eq!(lines[1].value_on, day("2026-12-03"));
    assert_eq!(lines[2].remittance_unstructured.as_deref(), Some("PAGO; CUENTA 7788"));
    assert_eq!(lines[2].bank_reference, "ES9121000418450200051332/2026-12-03/30000");
    assert_eq!(lines[2].location.line, 6);
}

#[test]
fn detection_by_content() {
    let cases = [
        ("camt053_v02_batch.xml", Some(Format::Camt053)),
        ("camt053_v08_return_kwd.xml", Some(Format::Camt053)),
        ("camt053_v04_two_accounts.xml", Some(Format::Camt053)),
        ("camt054_v04_clp.xml", Some(Format::Camt054)),
        ("mt940_sepa_codes.sta", Some(Format::Mt940)),
        ("mt940_german_blocks.sta", Some(Format::Mt940)),
        ("n43_two_accounts.n43", Some(Format::Norma43)),
        ("csv_es.csv", None),
    ];
    for (name, expected) in cases {
        assert_eq!(detect(&data(name), false), expected, "{name}");
    }
    assert_eq!(detect(&data("csv_es.csv"), true), Some(Format::Csv));
    assert_eq!("n43".parse::<FormatChoice>(), Ok(FormatChoice::Given(Format::Norma43)));
    assert!("ofx".parse::<FormatChoice>().is_err());
}

#[test]
fn norma43_in_latin1_keeps_its_positions() {
    let text = String::from_utf8(data("n43_two_accounts.n43")).unwrap();
    // "PEREZ" becomes "PE\u{d1}EZ" written as one ISO-8859-1 byte, as Spanish banks send it.
    let mut bytes = Vec::new();
    for c in text.replacen("JUAN PEREZ", "JUAN PE\u{d1}EZ", 1).chars() {
        bytes.push(u8::try_from(u32::from(c)).unwrap());
    }
    let statements = arrears_bank::parse("latin1.n43", &bytes, FormatChoice::Auto, None).unwrap();
    let remittance = statements[0].lines[0].remittance_unstructured.as_deref();
    assert_eq!(remittance, Some("TRANSFERENCIA DE JUAN PE\u{d1}EZ FRA 42 RF18539007547034"));
}

#[test]
fn the_csv_mapping_of_docs_cash_md_loads_and_reads_the_sample_export() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CASH.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find("```toml\n").expect("a toml block in docs/CASH.md") + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let mapping = CsvMapping::from_toml(&doc[start..end], "docs/CASH.md").unwrap();
    assert_eq!(mapping, es_mapping());
    let statements = read_with("csv_es.csv", Some(&mapping)).unwrap();
    assert_eq!(statements[0].lines.len(), 3);
}

#[test]
fn mt940_ing_counterparty_field() {
    let text = ":20:ING\n:25:NL20INGB0001234567\n:28C:1\n:60F:C261201EUR0,00\n\
                :61:2612011201C10,00NTRFEREF//2612010001\n\
                :86:/EREF/INV-9//CNTP/NL12RABO0300065264/RABONL2U/J. JANSEN/UTRECHT/\n\
                /REMI/USTD//Factuur 9/\n:62F:C261201EUR10,00\n";
    let line = &parse("ing.sta", text.as_bytes(), FormatChoice::Auto, None).unwrap()[0].lines[0];
    assert_eq!(line.payer_account.as_deref(), Some("NL12RABO0300065264"));
    assert_eq!(line.payer_name.as_deref(), Some("J. JANSEN"));
    assert_eq!(line.end_to_end_id.as_deref(), Some("INV-9"));
    assert_eq!(line.remittance_unstructured.as_deref(), Some("Factuur 9"));
}

#[test]
fn norma43_with_a_file_header_record_00() {
    let text = String::from_utf8(data("n43_two_accounts.n43")).unwrap();
    let with_header = format!("{:<80}\r\n{text}", "002100261231");
    let statements =
        arrears_bank::parse("h.n43", with_header.as_bytes(), FormatChoice::Auto, None).unwrap();
    assert_eq!(statements.len(), 2);
    let twice = format!("{:<80}\r\n{with_header}", "002100261231");
    let error =
        arrears_bank::parse("h.n43", twice.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.to_string(), "h.n43: line 2: unexpected record 00 (record 00 only first)");
}
