//! Conformance with the published layouts: statement files written from the ISO 20022 camt.053
//! message definitions (001.06 and 001.10), the SWIFT MT940 field specifications (FIN blocks,
//! `:61:` subfields, German `:86:` subfields) and the AEB Norma 43 record layout, with the
//! variants banks send (CRLF, trailing blanks trimmed, Latin-1, several accounts, reversals,
//! batches, 0 and 3 decimal currencies), and bad files whose errors must say what and where.

use arrears_bank::{
    parse, Direction, Format, FormatChoice, Problem, ReferenceKind, Repeat, StatementError,
};
use arrears_core::money::Currency;

use super::*;

/// One line as text: every field the parser fills, so that a test compares them all at once.
fn describe(line: &arrears_bank::StatementLine) -> String {
    let direction = match line.direction {
        Direction::Credit => "C",
        Direction::Debit => "D",
    };
    let field = |name: &str, value: &Option<String>| match value {
        Some(value) => format!(" {name}={value}"),
        None => String::new(),
    };
    format!(
        "{} {}/{} {direction}{} ref={}{}{}{}{}{}{}{}{}",
        line.location.line,
        line.booking_on,
        line.value_on,
        line.amount_minor,
        line.bank_reference,
        if line.is_reversal { " reversal" } else { "" },
        field("code", &line.transaction_code),
        field("e2e", &line.end_to_end_id),
        field("name", &line.payer_name),
        field("account", &line.payer_account),
        field("cref", &line.creditor_reference),
        field("return", &line.return_reason),
        field("rmt", &line.remittance_unstructured),
    )
}

fn describe_all(statement: &Statement) -> Vec<String> {
    statement.lines.iter().map(describe).collect()
}

/// Parses text, detecting the format.
fn parse_text(name: &str, text: &str) -> Result<Vec<Statement>, StatementError> {
    parse(name, text.as_bytes(), FormatChoice::Auto, None)
}

/// Parses a data file with `from` replaced by `to` (the replacement must apply).
fn variant(name: &str, from: &str, to: &str) -> Result<Vec<Statement>, StatementError> {
    let bytes = data(name);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains(from), "{name} lacks {from:?}");
    parse_text(name, &text.replacen(from, to, 1))
}

// camt.053 ---------------------------------------------------------------------------------

const CAMT_V10: &str = "camt053_v10_batch_reversal.xml";

#[test]
fn camt053_v10_batch_reversal_pending_entry_and_fee() {
    let statements = read(CAMT_V10);
    assert_eq!(statements.len(), 1);
    let statement = &statements[0];
    assert_eq!(statement.format, Format::Camt053);
    assert_eq!(statement.message_id.as_deref(), Some("COBA-053-20261203-01"));
    assert_eq!(statement.statement_id.as_deref(), Some("2026-12-03-337"));
    assert_eq!(statement.account, "DE89370400440532013000");
    assert_eq!(statement.currency, Currency::EUR);
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(100_000), Some(225_015))
    );
    assert_eq!(
        describe_all(statement),
        [
            "137 2026-12-03/2026-12-04 C100000 ref=COBA-TX-0001-1 code=PMNT/RCDT/ESCT \
             e2e=INV-2026-0042 name=Muster AG account=DE44500105175407324931 \
             rmt=Rechnung INV-2026-0042 Kunde 7781",
            "166 2026-12-03/2026-12-04 C40050 ref=COBA-20261203-0001/2 code=PMNT/RCDT/ESCT \
             name=Beispiel KG cref=RF18539007547034",
            "193 2026-12-03/2026-12-04 C10000 ref=COBA-20261203-0001/3 code=PMNT/RCDT/ESCT",
            "199 2026-12-03/2026-12-01 D25000 ref=0002 reversal code=PMNT/RDDT/UPDD \
             e2e=E2E-OLD-7 return=MD06",
            "247 2026-12-03/2026-12-03 D35 ref=COBA-FEE-0003 code=NCHG",
        ]
    );
    assert_eq!(
        statement.lines[0].location.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[1]")
    );
    assert_eq!(
        statement.lines[4].location.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[4]")
    );
}

const CAMT_V14: &str = "camt053_v14_sepa.xml";

/// camt.053.001.14 reads as 001.13: the elements read (`Bal`, `TxsSummry`, `Ntry`, `Sts/Cd`,
/// `BookgDt`, `ValDt`, `AcctSvcrRef`, `BkTxCd`, `TxDtls` with `Refs/EndToEndId`, `Amt`,
/// `RltdPties/Dbtr/Pty`, `RmtInf/Strd`) keep their names and places. camt.054.001.14 too. A
/// later version is still refused, naming the namespace, at the `Document`.
#[test]
fn camt053_v14_reads_as_v13_and_a_later_version_is_refused() {
    let statements = read(CAMT_V14);
    let statement = &statements[0];
    assert_eq!(statement.format, Format::Camt053);
    assert_eq!(statement.account, "NL91ABNA0417164300");
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(250_000), Some(321_235))
    );
    assert_eq!(
        describe_all(statement),
        [
            "52 2026-12-07/2026-12-07 C72500 ref=NLBK2026120700017 code=PMNT/RCDT/ESCT \
             e2e=VDB-2026-0881 name=Van den Berg Logistiek BV account=NL02ABNA0123456789 \
             cref=RF18539007547034",
            "115 2026-12-07/2026-12-07 D1265 ref=NLBK2026120700018 code=ACMT/MDOP/CHRG \
             rmt=ACCOUNT FEES NOVEMBER 2026",
        ]
    );
    assert_eq!(statement.lines[0].reference_kind, ReferenceKind::Servicer);

    // The same entries notified in a camt.054.001.14.
    let notification = String::from_utf8(data(CAMT_V14))
        .unwrap()
        .replace("camt.053.001.14", "camt.054.001.14")
        .replace("BkToCstmrStmt>", "BkToCstmrDbtCdtNtfctn>")
        .replace("<Stmt>", "<Ntfctn>")
        .replace("</Stmt>", "</Ntfctn>");
    let notified = parse_text("n.xml", &notification).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(notified[0].format, Format::Camt054);
    assert_eq!(describe_all(&notified[0]), describe_all(statement));

    for later in ["camt.053.001.15", "camt.053.001.99"] {
        let error = variant(CAMT_V14, "camt.053.001.14", later).unwrap_err();
        assert_eq!(error.at.line, 2, "{error}");
        assert_eq!(error.at.element.as_deref(), Some("Document"), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "camt053_v14_sepa.xml: line 2 (Document): unsupported message \
                 \"urn:iso:std:iso:20022:tech:xsd:{later}\" (camt.053 and camt.054, versions \
                 001.02 to 001.14)"
            )
        );
    }
}

#[test]
fn camt053_schema_location_written_before_the_namespace_declaration() {
    // Attribute order is free in XML; some banks write `xsi:schemaLocation` (whose value also
    // starts with the ISO namespace) before `xmlns`.
    let header = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.10\" \
                  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                  xsi:schemaLocation=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.10 \
                  camt.053.001.10.xsd\">";
    let reordered = "<Document xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                     xsi:schemaLocation=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.10 \
                     camt.053.001.10.xsd\" \
                     xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.10\">";
    let statements = variant(CAMT_V10, header, reordered).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].lines.len(), 5);
    // The version is still checked from the namespace declaration itself.
    let error = variant(CAMT_V10, header, &reordered.replace("001.10\">", "001.99\">"))
        .expect_err("camt.053.001.99 was accepted");
    assert!(
        matches!(&error.problem, Problem::UnsupportedVersion { namespace }
            if namespace == "urn:iso:std:iso:20022:tech:xsd:camt.053.001.99"),
        "{error}"
    );
    assert_eq!(error.at.line, 2, "{error}");
}

#[test]
fn camt053_reversal_indicator_as_xml_boolean_1() {
    // RvslInd is an xs:boolean: `1` and `true` both mean a reversal, `0` and `false` not.
    let reversal = |indicator: &str| {
        let statements = variant(
            CAMT_V10,
            "<RvslInd>true</RvslInd>",
            &format!("<RvslInd>{indicator}</RvslInd>"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        statements[0].lines[3].is_reversal
    };
    assert!(reversal("1"));
    assert!(reversal(" true "));
    assert!(!reversal("0"));
    assert!(!reversal("false"));
    let error = variant(CAMT_V10, "<RvslInd>true</RvslInd>", "<RvslInd>yes</RvslInd>")
        .expect_err("RvslInd yes was accepted");
    assert_eq!(error.at.line, 203, "{error}");
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/RvslInd"));
    assert!(matches!(error.problem, Problem::Malformed { what: "RvslInd", .. }), "{error}");
}

#[test]
fn camt053_v06_jpy_amounts_without_decimals_text_status_and_other_account_id() {
    let statement = &read("camt053_v06_jpy_no_decimals.xml")[0];
    assert_eq!((statement.account.as_str(), statement.currency), ("1234567", Currency::JPY));
    assert_eq!(
        (statement.opening_balance_minor, statement.closing_balance_minor),
        (Some(0), Some(147_500))
    );
    assert_eq!(
        describe_all(statement),
        [
            "11 2026-12-03/2026-12-03 C150000 ref=MZ2026120300001 name=YAMADA SHOJI KK \
             account=0012345 rmt=INV 88",
            "20 2026-12-03/2026-12-03 D2500 ref=MZ2026120300002",
        ]
    );
}

#[test]
fn camt053_document_in_an_envelope_with_a_business_application_header() {
    let text = String::from_utf8(data("camt053_v06_jpy_no_decimals.xml")).unwrap();
    let (declaration, document) = text.split_once('\n').unwrap();
    let wrapped = format!(
        "{declaration}\n<Envelope xmlns=\"urn:swift:xsd:envelope\">\n\
         <AppHdr xmlns=\"urn:iso:std:iso:20022:tech:xsd:head.001.001.02\"><Fr><FIId><FinInstnId>\
         <BICFI>MHCBJPJTXXX</BICFI></FinInstnId></FIId></Fr><To><FIId><FinInstnId>\
         <BICFI>ACMEJPJTXXX</BICFI></FinInstnId></FIId></To><BizMsgIdr>MIZU0000012345</BizMsgIdr>\
         <MsgDefIdr>camt.053.001.06</MsgDefIdr><CreDt>2026-12-04T08:00:00+09:00</CreDt></AppHdr>\n\
         {document}</Envelope>\n"
    );
    let statements = parse_text("enveloped.xml", &wrapped).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].lines.len(), 2);
    assert_eq!(statements[0].closing_balance_minor, Some(147_500));
    assert_eq!(
        statements[0].lines[0].location.element.as_deref(),
        Some("Envelope/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]")
    );
    assert_eq!(statements[0].lines[0].location.line, 13);
    // The version of the enveloped document is still checked.
    let error =
        parse_text("enveloped.xml", &wrapped.replace("camt.053.001.06\">", "camt.053.001.01\">"))
            .unwrap_err();
    assert!(matches!(error.problem, Problem::UnsupportedVersion { .. }), "{error}");
    assert_eq!(error.at.element.as_deref(), Some("Envelope/Document"));
}

#[test]
fn camt_bad_amounts_dates_and_currencies_name_the_element() {
    let jpy = "camt053_v06_jpy_no_decimals.xml";
    let error = variant(jpy, ">150000<", ">150000.5<").unwrap_err();
    assert_eq!(error.at.line, 12, "{error}");
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"));
    assert!(
        matches!(&error.problem, Problem::FinerThanMinorUnit { found, minor_units: 0, .. }
            if found == "150000.5"),
        "{error}"
    );

    let error = variant(CAMT_V10, ">1000<", ">1,000<").unwrap_err();
    assert_eq!(
        error.at.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[1]/Amt")
    );
    assert_eq!(error.at.line, 142, "{error}");
    assert!(matches!(&error.problem, Problem::BadAmount { found, .. } if found == "1,000"));

    let error =
        variant(CAMT_V10, "<Amt Ccy=\"EUR\">400.50", "<Amt Ccy=\"USD\">400.50").unwrap_err();
    assert_eq!(error.at.line, 170, "{error}");
    assert!(
        matches!(&error.problem, Problem::CurrencyMismatch { expected: Currency::EUR, found }
            if found == "USD"),
        "{error}"
    );

    let error =
        variant(CAMT_V10, "2026-12-03T09:30:00+01:00", "2026-02-30T09:30:00+01:00").unwrap_err();
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt"));
    assert!(matches!(error.problem, Problem::BadDate { .. }), "{error}");

    // The batch's transactions must add up to the entry.
    let error = variant(CAMT_V10, ">100.0<", ">100.01<").unwrap_err();
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]"));
    assert!(
        matches!(
            error.problem,
            Problem::TotalMismatch { declared_minor: 150_050, summed_minor: 150_051, .. }
        ),
        "{error}"
    );

    // Without CLBD the last interim balance closes, and must hold: here the first ITBD
    // (2500.50) is a snapshot, the closing one is the CLBD turned into ITBD.
    let statements = variant(CAMT_V10, "<Cd>CLBD</Cd>", "<Cd>ITBD</Cd>").unwrap();
    assert_eq!(statements[0].closing_balance_minor, Some(225_015));
    let error = variant(CAMT_V10, "<Cd>CLBD</Cd>", "<Cd>CLAV</Cd>").unwrap_err();
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Bal[2]"));
    assert!(
        matches!(error.problem, Problem::BalanceMismatch { closing_minor: 250_050, .. }),
        "{error}"
    );
}

/// One page of a paginated camt.053.001.08: its balances (code, amount) and entries (credit
/// or debit, amount, reference), in that order.
fn camt_page(
    page: u32,
    last: bool,
    balances: &[(&str, &str)],
    entries: &[(&str, &str, &str)],
) -> String {
    let balances: String = balances
        .iter()
        .map(|(code, amount)| {
            format!(
                "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}</Amt>\
                 <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-03</Dt></Dt></Bal>\n"
            )
        })
        .collect();
    let entries: String = entries
        .iter()
        .map(|(indicator, amount, reference)| {
            format!(
                "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>\
                 <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
                 <AcctSvcrRef>{reference}</AcctSvcrRef></Ntry>\n"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n<BkToCstmrStmt>\n\
         <GrpHdr><MsgId>PAGED-{page}</MsgId><CreDtTm>2026-12-04T06:00:00</CreDtTm>\
         <MsgPgntn><PgNb>{page}</PgNb><LastPgInd>{last}</LastPgInd></MsgPgntn></GrpHdr>\n\
         <Stmt><Id>STMT-337</Id><StmtPgntn><PgNb>{page}</PgNb><LastPgInd>{last}</LastPgInd>\
         </StmtPgntn>\n<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n\
         {balances}{entries}</Stmt>\n</BkToCstmrStmt>\n</Document>\n"
    )
}

#[test]
fn camt053_paginated_statement_pages_balance_on_their_interim_balances() {
    let balances = |text: &str| {
        let statement = &parse_text("page.xml", text).unwrap_or_else(|e| panic!("{e}"))[0];
        (statement.opening_balance_minor, statement.closing_balance_minor, statement.lines.len())
    };
    let first =
        camt_page(1, false, &[("OPBD", "100.00"), ("ITBD", "150.00")], &[("CRDT", "50.00", "P1")]);
    assert_eq!(balances(&first), (Some(10_000), Some(15_000), 1));
    let middle =
        camt_page(2, false, &[("ITBD", "150.00"), ("ITBD", "120.00")], &[("DBIT", "30.00", "P2")]);
    assert_eq!(balances(&middle), (Some(15_000), Some(12_000), 1));
    let last =
        camt_page(3, true, &[("ITBD", "120.00"), ("CLBD", "130.00")], &[("CRDT", "10.00", "P3")]);
    assert_eq!(balances(&last), (Some(12_000), Some(13_000), 1));

    // One interim balance cannot both open and close a page.
    let alone = camt_page(2, false, &[("ITBD", "150.00")], &[]);
    let error = parse_text("page.xml", &alone).unwrap_err();
    assert_eq!(error.problem, Problem::Missing { what: "Bal CLBD or ITBD (closing balance)" });
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]"));
    // Interim balances in the wrong order fail the balance check at the closing one.
    let swapped =
        camt_page(2, false, &[("ITBD", "120.00"), ("ITBD", "150.00")], &[("DBIT", "30.00", "P2")]);
    let error = parse_text("page.xml", &swapped).unwrap_err();
    assert_eq!(error.at.element.as_deref(), Some("Document/BkToCstmrStmt/Stmt[1]/Bal[2]"));
    assert!(matches!(error.problem, Problem::BalanceMismatch { .. }), "{error}");
}

#[test]
fn camt_truncated_file_is_refused_at_its_end() {
    let text = String::from_utf8(data(CAMT_V10)).unwrap();
    let cut: String = text.lines().take(150).map(|line| format!("{line}\n")).collect();
    let error = parse_text(CAMT_V10, &cut).unwrap_err();
    assert_eq!(error.at.line, 151, "{error}");
    assert!(matches!(error.problem, Problem::UnexpectedEnd { .. }), "{error}");
}

// MT940 ------------------------------------------------------------------------------------

const MT940_FIN: &str = "mt940_swift_fin_crlf.sta";

/// The MT940 example of the crate's docs with one field replaced.
fn mt940_with(from: &str, to: &str) -> StatementError {
    let text = ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
                :61:2612011201C5,00NTRFNONREF//R1\n:86:INV 42\n:62F:C261201EUR15,00\n";
    assert!(text.contains(from), "{from:?}");
    parse_text("bad.sta", &text.replacen(from, to, 1)).expect_err("the broken file was accepted")
}

#[test]
fn mt940_block_5_trailer_right_after_the_closing_balance() {
    // A FIN message ends block 4 with `-}` and may carry the trailer block on the same line.
    let text =
        "{1:F01BANKDEFFAXXX0000000000}{2:O9401200261201BANKDEFFAXXX00000000002612011200N}{4:\r\n\
                :20:S1\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n:60F:C261201EUR10,00\r\n\
                :61:261201C5,00NTRFNONREF//R1\r\n:62F:C261201EUR15,00\r\n\
                -}{5:{MAC:00000000}{CHK:1A2B3C4D5E6F}}\r\n";
    let statements = parse_text("fin.sta", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].closing_balance_minor, Some(1_500));
    assert_eq!(describe_all(&statements[0]), ["6 2026-12-01/2026-12-01 C500 ref=R1 code=NTRF"]);
}

#[test]
fn mt940_end_to_end_notprovided_is_no_reference() {
    // As in camt, `NOTPROVIDED` is the SEPA placeholder for a missing end-to-end id.
    let statements = read(MT940_FIN);
    assert_eq!(statements[1].lines[0].end_to_end_id, None);
    let german = ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
                  :61:261201C5,00NTRFNONREF//R1\n\
                  :86:166?00SEPA-GUTSCHRIFT?20EREF+NOTPROVIDED?21SVWZ+INV 42?32ACME\n\
                  :62F:C261201EUR15,00\n";
    let line = &parse_text("de.sta", german).unwrap()[0].lines[0];
    assert_eq!(line.end_to_end_id, None);
    assert_eq!(line.remittance_unstructured.as_deref(), Some("EREF+NOTPROVIDEDSVWZ+INV 42"));
}

#[test]
fn mt940_swift_fin_blocks_crlf_two_accounts_reversals_and_german_86() {
    let statements = read(MT940_FIN);
    assert_eq!(statements.len(), 2);
    let (eur, kwd) = (&statements[0], &statements[1]);
    assert_eq!(eur.format, Format::Mt940);
    assert_eq!(
        (eur.message_id.as_deref(), eur.statement_id.as_deref(), eur.account.as_str()),
        (Some("STARTUMS"), Some("00337/001"), "37040044/0532013000")
    );
    assert_eq!(
        (eur.currency, eur.opening_balance_minor, eur.closing_balance_minor),
        (Currency::EUR, Some(100_000), Some(225_015))
    );
    assert_eq!(
        describe_all(eur),
        [
            "6 2026-12-03/2026-12-03 C150050 ref=COBA000001 code=NTRF e2e=INV-2026-0042 \
             name=Muster AG account=DE44500105175407324931 \
             rmt=EREF+INV-2026-0042SVWZ+Rechnung INV-2026-0042 Kunde 7781",
            "10 2026-12-03/2026-12-03 D25000 ref=COBA000002 reversal code=NDDT e2e=E2E-OLD-7 \
             name=Beispiel KG rmt=EREF+E2E-OLD-7SVWZ+Rueckgabe MD06",
            "13 2026-12-03/2026-12-03 D35 ref=STARTUMS/00337/001/3 code=NCHG",
        ]
    );
    assert_eq!(
        (kwd.account.as_str(), kwd.currency, kwd.statement_id.as_deref()),
        ("KW81CBKU0000000000001234560101", Currency::KWD, Some("912/1"))
    );
    assert_eq!(
        (kwd.opening_balance_minor, kwd.closing_balance_minor),
        (Some(-10_500), Some(244_625))
    );
    assert_eq!(
        describe_all(kwd),
        [
            "25 2026-12-03/2026-12-03 C250125 ref=NBK-TX-77001 code=NTRF name=Al Salem Trading \
             rmt=INV 5521",
            "27 2026-12-03/2026-12-03 C5000 ref=NBK-TX-77003 reversal code=NMSC \
             rmt=REVERSAL OF CHARGE OCT 2026",
        ]
    );
}

#[test]
fn mt940_malformed_fields_are_refused_with_their_line() {
    let error = mt940_with("C5,00NTRF", "C5.00NTRF");
    assert_eq!(error.at.line, 5, "{error}");
    assert!(matches!(error.problem, Problem::Malformed { what: ":61: statement line", .. }));

    let error = mt940_with("C5,00NTRF", "C5,005NTRF");
    assert_eq!(error.at.line, 5, "{error}");
    assert!(
        matches!(&error.problem, Problem::FinerThanMinorUnit { found, .. } if found == "5,005"),
        "{error}"
    );

    let error = mt940_with("C5,00NTRF", "X5,00NTRF");
    assert!(matches!(error.problem, Problem::Malformed { expected: "a mark C, D, RC or RD", .. }));

    let error = mt940_with(":61:261201", ":61:261301");
    assert!(matches!(error.problem, Problem::BadDate { what: "value date", .. }), "{error}");

    let error = mt940_with("EUR15,00", "EUR15,0O");
    assert_eq!(error.at.line, 7, "{error}");
    assert!(matches!(error.problem, Problem::BadAmount { .. }), "{error}");

    let error = mt940_with("C5,00NTRF", "C6,00NTRF");
    assert_eq!(error.at.line, 7, "{error}");
    assert!(matches!(error.problem, Problem::BalanceMismatch { .. }), "{error}");

    let error = mt940_with("C261201EUR15,00", "C261201USD15,00");
    assert!(matches!(error.problem, Problem::CurrencyMismatch { .. }), "{error}");
}

#[test]
fn mt940_fields_after_the_closing_balance_are_refused_not_dropped() {
    // A second message that lost its `:20:` must not vanish behind the first one's `:62F:`.
    let text = ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
                :61:261201C5,00NTRFNONREF//R1\n:62F:C261201EUR15,00\n:64:C261201EUR15,00\n\
                :86:end of statement 1\n\
                :25:DE89370400440532013000\n:28C:2/1\n:60F:C261202EUR15,00\n\
                :61:261202C7,00NTRFNONREF//R2\n:62F:C261202EUR22,00\n";
    let error = parse_text("lost20.sta", text).expect_err("a message without :20: was dropped");
    assert_eq!(error.at.line, 9, "{error}");
    assert!(
        matches!(&error.problem, Problem::Unexpected { found, .. }
            if found == "field :25: after the closing balance"),
        "{error}"
    );
    // With its `:20:` the same file is two statements.
    let whole = text.replacen(
        ":25:DE89370400440532013000\n:28C:2/1",
        ":20:S2\n:25:DE89370400440532013000\n:28C:2/1",
        1,
    );
    let statements = parse_text("two.sta", &whole).unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[1].lines[0].bank_reference, "R2");
    let error =
        mt940_with(":62F:C261201EUR15,00\n", ":62F:C261201EUR15,00\n:61:261201C1,00NTRFX\n");
    assert_eq!(error.at.line, 8, "{error}");
}

#[test]
fn mt940_lines_without_bank_reference_citing_one_owner_reference_stay_two_lines() {
    // Two instalments paying one invoice: no `//` bank reference, the same owner's reference.
    let text = ":20:S1\n:25:DE89370400440532013000\n:28C:7/1\n:60F:C261201EUR0,00\n\
                :61:261201C5,00NTRFINV42\n:61:261201C5,00NTRFINV42\n:61:261201C1,00NTRFINV42#2\n\
                :62F:C261201EUR11,00\n";
    let statements = parse_text("owner.sta", text).unwrap();
    let references: Vec<&str> =
        statements[0].lines.iter().map(|line| line.bank_reference.as_str()).collect();
    assert_eq!(references, ["INV42", "INV42#3", "INV42#2"]);
}

#[test]
fn camt_repeated_references_across_the_file_are_made_unique() {
    let jpy = "camt053_v06_jpy_no_decimals.xml";
    let statements = variant(jpy, "MZ2026120300002", "MZ2026120300001").unwrap();
    let references: Vec<&str> =
        statements[0].lines.iter().map(|line| line.bank_reference.as_str()).collect();
    assert_eq!(references, ["MZ2026120300001", "MZ2026120300001#2"]);
}

/// A camt entry: its `AcctSvcrRef` if any, `EndToEndId`, amount and day of December 2026.
type CamtEntry<'a> = (Option<&'a str>, &'a str, &'a str, u32);

/// A camt.053.001.08 file of several statements, each given as its id, its account (an IBAN)
/// and its entries: credits of an amount on a day (booked and valued so), each with an
/// `AcctSvcrRef` when given and an `EndToEndId`. Each statement opens at zero.
fn camt_statements(statements: &[(&str, &str, &[CamtEntry])]) -> String {
    let statements: String = statements
        .iter()
        .map(|(id, iban, entries)| {
            let closing: i64 = entries
                .iter()
                .map(|(_, _, amount, _)| amount.replace('.', "").parse::<i64>().unwrap())
                .sum();
            let balance = |code: &str, minor: i64| {
                format!(
                    "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>\
                     <Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                     <Dt><Dt>2026-12-03</Dt></Dt></Bal>\n",
                    minor / 100,
                    minor % 100
                )
            };
            let entries: String = entries
                .iter()
                .map(|(servicer, end_to_end, amount, day)| {
                    let servicer = servicer
                        .map(|reference| format!("<AcctSvcrRef>{reference}</AcctSvcrRef>"))
                        .unwrap_or_default();
                    format!(
                        "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                         <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-{day:02}</Dt></BookgDt>\
                         <ValDt><Dt>2026-12-{day:02}</Dt></ValDt>{servicer}\
                         <NtryDtls><TxDtls><Refs><EndToEndId>{end_to_end}</EndToEndId></Refs>\
                         </TxDtls></NtryDtls></Ntry>\n"
                    )
                })
                .collect();
            format!(
                "<Stmt><Id>{id}</Id>\n<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n\
                 {}{}{entries}</Stmt>\n",
                balance("OPBD", 0),
                balance("CLBD", closing)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n<BkToCstmrStmt>\n\
         <GrpHdr><MsgId>OVERLAP-1</MsgId><CreDtTm>2026-12-04T06:00:00</CreDtTm></GrpHdr>\n\
         {statements}</BkToCstmrStmt>\n</Document>\n"
    )
}

const IBAN_DE: &str = "DE89370400440532013000";
const IBAN_ES: &str = "ES9121000418450200051332";

/// Every line's key and whether it repeats an earlier line (`=` the same movement at that
/// line, `+` another movement under that line's reference).
fn keys(statements: &[Statement]) -> Vec<Vec<String>> {
    statements
        .iter()
        .map(|statement| {
            (statement.lines.iter())
                .map(|line| match &line.repeat {
                    None => line.bank_reference.clone(),
                    Some(Repeat::Overlap { first }) => {
                        format!("{} ={}", line.bank_reference, first.line)
                    }
                    Some(Repeat::Distinct { first, reference }) => {
                        format!("{} +{} {reference}", line.bank_reference, first.line)
                    }
                    Some(other) => panic!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

/// Two statements of one account in one camt.053 whose days overlap (a statement sent again
/// with the next day's, an intraday and an end-of-day statement) both give the entry of the
/// day they share, under its `AcctSvcrRef`, which identifies the entry for the bank: it got
/// `#2` and was imported twice, doubling its cash. It is one movement: the second line keeps
/// the first's key and is marked a repeat. A payer's `EndToEndId` repeating is two movements;
/// a servicer's reference with another amount, or on another account's statement, is another
/// movement, suffixed and marked.
#[test]
fn camt_two_statements_sharing_an_entry_give_it_once() {
    let text = camt_statements(&[
        (
            "S-1",
            IBAN_DE,
            &[
                (Some("SVC-1"), "E-1", "100.00", 1),
                (Some("SVC-2"), "E-2", "50.00", 2),
                (None, "INV-42", "5.00", 2),
            ],
        ),
        (
            "S-2",
            IBAN_DE,
            &[
                (Some("SVC-2"), "E-2", "50.00", 2),
                (None, "INV-42", "5.00", 2),
                (Some("SVC-3"), "E-3", "20.00", 3),
                (Some("SVC-1"), "E-9", "70.00", 3),
            ],
        ),
        ("S-3", IBAN_ES, &[(Some("SVC-2"), "E-2", "50.00", 2)]),
    ]);
    let statements = parse_text("overlap.xml", &text).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        keys(&statements),
        [
            vec!["SVC-1", "SVC-2", "INV-42"],
            vec!["SVC-2 =10", "INV-42#2", "SVC-3", "SVC-1#2 +9 SVC-1"],
            vec!["SVC-2#2 +10 SVC-2"],
        ]
    );
    assert_eq!(statements[1].lines[0].reference_kind, ReferenceKind::Servicer);
    assert_eq!(statements[1].lines[1].reference_kind, ReferenceKind::Given);
    // Each statement still balances on all its lines, the repeat included.
    assert_eq!(statements[1].net_minor(), statements[1].closing_balance_minor.unwrap());
}

/// A statement whose own entries give one `AcctSvcrRef` twice, alike in every field: its
/// balance counts both, so they are two movements, not an overlap. A later statement giving
/// the reference twice repeats both, each once.
#[test]
fn camt_a_servicer_reference_twice_in_one_statement_is_two_movements() {
    let twice: &[CamtEntry] =
        &[(Some("SVC-7"), "E-7", "10.00", 1), (Some("SVC-7"), "E-7", "10.00", 1)];
    let text = camt_statements(&[("S-1", IBAN_DE, twice), ("S-2", IBAN_DE, twice)]);
    let statements = parse_text("twice.xml", &text).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        keys(&statements),
        [vec!["SVC-7", "SVC-7#2 +9 SVC-7"], vec!["SVC-7 =9", "SVC-7#2 =10"]]
    );
}

/// Two MT940 messages of one account whose days overlap both give a `:61:` with the same
/// `//` bank reference (the account servicing institution's): one movement, the second
/// marked a repeat under the first's key. The owner's reference (the payer's) repeating is
/// two movements, `#2` as before; so is the `:20:/:28C:/n` fallback.
#[test]
fn mt940_two_messages_sharing_a_bank_reference_give_the_movement_once() {
    let text = ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR0,00\n\
                :61:2612011201C100,00NTRFNONREF//B-1\n:86:/EREF/E-1/REMI/INV 1\n\
                :61:2612021202C50,00NTRFNONREF//B-2\n\
                :61:2612021202C5,00NTRFINV42\n:62F:C261202EUR155,00\n\
                :20:S2\n:25:DE89370400440532013000\n:28C:2/1\n:60F:C261201EUR100,00\n\
                :61:2612021202C50,00NTRFNONREF//B-2\n\
                :61:2612021202C5,00NTRFINV42\n\
                :61:2612031203C9,00NTRFNONREF//B-1\n:62F:C261203EUR164,00\n";
    let statements = parse_text("two.sta", text).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        keys(&statements),
        [vec!["B-1", "B-2", "INV42"], vec!["B-2 =7", "INV42#2", "B-1#2 +5 B-1"]]
    );
    // `//NONREF` names no movement: two lines giving it are two.
    let text = ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR0,00\n\
                :61:2612011201C1,00NTRFNONREF//NONREF\n:62F:C261201EUR1,00\n\
                :20:S2\n:25:DE89370400440532013000\n:28C:2/1\n:60F:C261201EUR1,00\n\
                :61:2612011201C1,00NTRFNONREF//NONREF\n:62F:C261201EUR2,00\n";
    let statements = parse_text("nonref.sta", text).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(keys(&statements), [vec!["NONREF"], vec!["NONREF#2"]]);
}

#[test]
fn mt940_truncated_file_ends_inside_a_statement() {
    let text = String::from_utf8(data(MT940_FIN)).unwrap();
    let cut: String = text.split_inclusive('\n').take(28).collect();
    let error = parse_text(MT940_FIN, &cut).unwrap_err();
    assert_eq!(error.at.line, 28, "{error}");
    assert!(matches!(error.problem, Problem::UnexpectedEnd { .. }), "{error}");
}

// Norma 43 ---------------------------------------------------------------------------------

const N43_TRIMMED: &str = "n43_trimmed_latin1.n43";

/// The trimmed Norma 43 file with its record at `line` replaced.
fn n43_with_record(line: usize, record: &str) -> StatementError {
    let text = crate::data(N43_TRIMMED);
    let mut records: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    records[line - 1] = format!("{record}\r").into_bytes();
    let bytes = records.join(&b'\n');
    parse(N43_TRIMMED, &bytes, FormatChoice::Auto, None).expect_err("the broken file was accepted")
}

#[test]
fn norma43_records_with_trailing_blanks_trimmed_latin1_crlf_two_accounts() {
    let statements = read(N43_TRIMMED);
    assert_eq!(statements.len(), 2);
    let (first, overdrawn) = (&statements[0], &statements[1]);
    assert_eq!(first.format, Format::Norma43);
    assert_eq!(first.account, "ES9121000418450200051332");
    assert_eq!(first.statement_id.as_deref(), Some("210004180200051332/2026-12-01"));
    assert_eq!(
        (first.currency, first.opening_balance_minor, first.closing_balance_minor),
        (Currency::EUR, Some(100_000), Some(348_800))
    );
    assert_eq!(
        describe_all(first),
        [
            "2 2026-12-02/2026-12-02 C150050 \
             ref=210004180200051332/261202/02015/0000000042/000000000042/FACTURA 42 \
             code=02/015 rmt=TRANSFERENCIA DE MU\u{d1}OZ Y C\u{cd}A FRA 42 RF18539007547034 \
             ORDENANTE: JOS\u{c9} IB\u{c1}\u{d1}EZ",
            "5 2026-12-03/2026-12-03 D1250 ref=210004180200051332/261203/17011/// code=17/011",
            "6 2026-12-05/2026-12-06 C100000 \
             ref=210004180200051332/261205/02015/0000000043/000000000043/ code=02/015",
        ]
    );
    assert_eq!(overdrawn.statement_id.as_deref(), Some("210004180200099999/2026-12-01"));
    assert_eq!(
        (overdrawn.opening_balance_minor, overdrawn.closing_balance_minor),
        (Some(-5_000), Some(3_000))
    );
    assert_eq!(
        describe_all(overdrawn),
        ["10 2026-12-10/2026-12-10 C8000 \
          ref=210004180200099999/261210/02015/0000000077/000000000077/ code=02/015"]
    );
    // The same file with every record padded to 80 characters reads the same.
    let padded: Vec<u8> = crate::data(N43_TRIMMED)
        .split(|&b| b == b'\n')
        .filter(|record| !record.is_empty())
        .flat_map(|record| {
            let record = record.strip_suffix(b"\r").unwrap_or(record);
            let mut record = record.to_vec();
            record.resize(80, b' ');
            record.extend_from_slice(b"\r\n");
            record
        })
        .collect();
    assert_eq!(parse(N43_TRIMMED, &padded, FormatChoice::Auto, None).unwrap(), statements);
}

#[test]
fn norma43_equivalence_in_a_currency_outside_the_arrears_table() {
    // Record 24 gives the movement's amount in its original currency, which may be any:
    // 752 is SEK, 504 MAD.
    for numeric in ["752", "504"] {
        let text = crate::data(N43_TRIMMED);
        let mut records: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        records[6] = format!("2401{numeric}00000000108000\r").into_bytes();
        let statements = parse(N43_TRIMMED, &records.join(&b'\n'), FormatChoice::Auto, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(statements[0].lines.len(), 3);
    }
    let error = n43_with_record(7, "2401SEK00000000108000");
    assert_eq!(error.at.line, 7, "{error}");
    assert!(
        matches!(&error.problem, Problem::Malformed { what: "record 24 original currency", found, .. }
            if found == "SEK"),
        "{error}"
    );
    let error = n43_with_record(7, "2401752000000001080");
    assert_eq!(
        error.problem,
        Problem::TruncatedRecord { record: "24".to_owned(), length: 19, needed: 21 }
    );
    let error = n43_with_record(7, "24017520000000010800O");
    assert!(
        matches!(error.problem, Problem::BadAmount { what: "equivalent amount", .. }),
        "{error}"
    );
}

#[test]
fn norma43_record_33_totals_that_do_not_match_the_movements() {
    let record_33 = |debit_count: &str, debit_total: &str, credit_total: &str, closing: &str| {
        format!("33210004180200051332{debit_count}{debit_total}00002{credit_total}2{closing}978")
    };
    let error = n43_with_record(
        8,
        &record_33("00001", "00000000001250", "00000000250049", "00000000348800"),
    );
    assert_eq!(error.at.line, 8, "{error}");
    assert_eq!(
        error.problem,
        Problem::TotalMismatch {
            what: "record 33 credit total",
            declared_minor: 250_049,
            summed_minor: 250_050
        }
    );
    let error = n43_with_record(
        8,
        &record_33("00002", "00000000001250", "00000000250050", "00000000348800"),
    );
    assert_eq!(
        error.problem,
        Problem::CountMismatch { what: "record 33 debit count", declared: 2, counted: 1 }
    );
    let error = n43_with_record(
        8,
        &record_33("00001", "00000000001250", "00000000250050", "00000000348900"),
    );
    assert_eq!(error.at.line, 8, "{error}");
    assert!(
        matches!(
            error.problem,
            Problem::BalanceMismatch { computed_minor: 348_800, closing_minor: 348_900, .. }
        ),
        "{error}"
    );
}

#[test]
fn norma43_malformed_amount_truncated_record_and_truncated_file() {
    let error = n43_with_record(5, "22    041826120326120317011100000000001Z50");
    assert_eq!(error.at.line, 5, "{error}");
    assert!(
        matches!(&error.problem, Problem::BadAmount { what: "movement amount", found } if found == "00000000001Z50"),
        "{error}"
    );
    let error = n43_with_record(5, "22    04182612032612031701110000000");
    assert_eq!(error.at.line, 5, "{error}");
    assert_eq!(
        error.problem,
        Problem::TruncatedRecord { record: "22".to_owned(), length: 35, needed: 42 }
    );
    let error = n43_with_record(12, "88999999999999999999000012");
    assert_eq!(
        error.problem,
        Problem::CountMismatch { what: "record 88 record count", declared: 12, counted: 11 }
    );

    let text = crate::data(N43_TRIMMED);
    let cut: Vec<u8> = text.split_inclusive(|&b| b == b'\n').take(9).flatten().copied().collect();
    let error = parse(N43_TRIMMED, &cut, FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.at.line, 9, "{error}");
    assert_eq!(error.problem, Problem::UnexpectedEnd { what: "record 33 (end of account)" });
}

/// Some banks' systems end a Norma 43 or MT940 file with the DOS end-of-file byte (Ctrl-Z,
/// 0x1A), with or without a line end after it: the file reads as without it. A Ctrl-Z with
/// records after it is refused at its line, as any other stray byte.
#[test]
fn a_dos_end_of_file_byte_after_the_last_record_is_no_content() {
    let n43 = crate::data(N43_TRIMMED);
    let expected = read(N43_TRIMMED);
    for tail in [&b"\x1a"[..], b"\x1a\r\n", b"\x1a\x1a"] {
        let mut bytes = n43.clone();
        bytes.extend_from_slice(tail);
        assert_eq!(parse(N43_TRIMMED, &bytes, FormatChoice::Auto, None).unwrap(), expected);
    }
    let mt940 = crate::data("mt940_swift_fin_crlf.sta");
    let mut bytes = mt940.clone();
    bytes.push(0x1a);
    assert_eq!(
        parse("mt940_swift_fin_crlf.sta", &bytes, FormatChoice::Auto, None).unwrap(),
        read("mt940_swift_fin_crlf.sta")
    );

    let at = n43.windows(3).position(|window| window == b"\n33").map(|at| at + 1);
    let mut inside = n43.clone();
    inside.insert(at.expect("a record 33"), 0x1a);
    let error = parse(N43_TRIMMED, &inside, FormatChoice::Auto, None).unwrap_err();
    assert_ne!(error.at.line, 0, "{error}");
}

/// Dutch banks' exports: ABN AMRO writes its BIC, `940` and its BIC again before `:20:`,
/// Rabobank a `:940:` line; an old system's export ends its lines with CR alone. Each reads as
/// the bare message; any other text before the first field is refused at its line.
#[test]
fn mt940_bank_header_lines_and_cr_line_ends() {
    let message = ":20:S1\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C261201EUR10,00\n\
                   :61:2612011201C5,00NTRFNONREF//R1\n:86:INV 42\n:62F:C261201EUR15,00\n";
    let bare = parse_text("bare.sta", message).unwrap();
    let lines = |statements: &[Statement]| describe_all(&statements[0]);
    let abn = format!("ABNANL2A\n940\nABNANL2A\n{message}");
    let abn = parse_text("abn.sta", &abn).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines(&abn), ["8 2026-12-01/2026-12-01 C500 ref=R1 code=NTRF rmt=INV 42"]);
    assert_eq!(
        (abn[0].account.as_str(), abn[0].closing_balance_minor),
        ("NL91ABNA0417164300", Some(1_500))
    );
    let rabo = parse_text("rabo.sta", &format!(":940:\r\n{}", message.replace('\n', "\r\n")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines(&rabo), ["6 2026-12-01/2026-12-01 C500 ref=R1 code=NTRF rmt=INV 42"]);
    let cr = parse_text("cr.sta", &message.replace('\n', "\r")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines(&cr), lines(&bare));
    assert_eq!(lines(&bare), ["5 2026-12-01/2026-12-01 C500 ref=R1 code=NTRF rmt=INV 42"]);

    let error = parse_text("junk.sta", &format!("HELLO WORLD\n{message}")).unwrap_err();
    assert_eq!(error.at.line, 1, "{error}");
    assert!(matches!(error.problem, Problem::Unexpected { .. }), "{error}");

    // ABN AMRO repeats its header before every message of the file.
    let second = message.replace(":20:S1", ":20:S2").replace("//R1", "//R2");
    let two = format!("ABNANL2A\n940\nABNANL2A\n{message}ABNANL2A\n940\nABNANL2A\n{second}");
    let two = parse_text("abn2.sta", &two).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(two.len(), 2);
    assert_eq!(lines(&two[1..]), ["18 2026-12-01/2026-12-01 C500 ref=R2 code=NTRF rmt=INV 42"]);
    assert_eq!(two[1].closing_balance_minor, Some(1_500));
}

/// `:86:` is joined line to line as written (a German subfield of 27 characters, or a SEPA
/// code's value, may break inside a word), but a line that ends in blanks ended a word: the
/// break is one space, not none (it was none: `PAYMENT FORINVOICE 42`).
#[test]
fn mt940_information_lines_ending_in_a_blank_keep_the_space_at_the_break() {
    let german = mt940_line(":86:166?00SEPA GUTSCHRIFT?20EREF+E-77?21SVWZ+PAYMENT FOR \n?22INVOICE 42?23 RF18539007547034");
    assert_eq!(
        german.remittance_unstructured.as_deref(),
        Some("EREF+E-77SVWZ+PAYMENT FOR INVOICE 42 RF18539007547034")
    );
    assert_eq!(german.end_to_end_id.as_deref(), Some("E-77"));
    let wrapped = mt940_line(":86:166?00SEPA GUTSCHRIFT?20SVWZ+RECHNUNG 4\n?2117 VOM 01.12.");
    assert_eq!(wrapped.remittance_unstructured.as_deref(), Some("SVWZ+RECHNUNG 417 VOM 01.12."));
    let slash = mt940_line(":86:/EREF/E-78/REMI/PAYMENT FOR     \nINVOICE 43/NAME/ACME BV/");
    assert_eq!(slash.remittance_unstructured.as_deref(), Some("PAYMENT FOR INVOICE 43"));
    assert_eq!(slash.payer_name.as_deref(), Some("ACME BV"));
}

/// `:61:` gives the account owner's reference before `//` and the bank's after it: both are
/// kept, the bank's as the key and the owner's as [`StatementLine::owner_reference`], which
/// matching reads (the owner's was dropped whenever a bank's reference was there). A German
/// (DK) `:86:` gives the SEPA end-to-end id as `EREF+` in `?20`-`?29`, read as camt's
/// `EndToEndId`. `NONREF` is no owner's reference; without `//` the owner's is also the key.
#[test]
fn mt940_keeps_the_owner_reference_beside_the_bank_reference() {
    let text = ":20:STA-20261207\n:25:DE89370400440532013000\n:28C:341/1\n\
                :60F:C261206EUR1000,00\n\
                :61:2612071207C1250,00NTRFINV-2026-0042//BK26120700123\n\
                :86:166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-7781-01?21SVWZ+RECHNUNG 2026-004\n\
                ?222 KD 7781?30COBADEFFXXX?31DE44500105175407324931?32MUSTER GMBH\n\
                :61:2612071207C300,00NTRFNONREF//BK26120700124\n\
                :61:2612071207D12,50NCHGPREF-77\n:86:KONTOFUEHRUNG\n\
                :62F:C261207EUR2537,50\n";
    let statements = parse_text("dk.sta", text).unwrap_or_else(|e| panic!("{e}"));
    let fields = |line: &arrears_bank::StatementLine| {
        (
            line.bank_reference.clone(),
            line.reference_kind,
            line.owner_reference.clone(),
            line.end_to_end_id.clone(),
        )
    };
    let lines: Vec<_> = statements[0].lines.iter().map(fields).collect();
    assert_eq!(
        lines,
        [
            (
                "BK26120700123".to_owned(),
                ReferenceKind::Servicer,
                Some("INV-2026-0042".to_owned()),
                Some("E2E-7781-01".to_owned())
            ),
            ("BK26120700124".to_owned(), ReferenceKind::Servicer, None, None),
            ("PREF-77".to_owned(), ReferenceKind::Given, Some("PREF-77".to_owned()), None),
        ]
    );
    let first = &statements[0].lines[0];
    assert_eq!(
        first.remittance_unstructured.as_deref(),
        Some("EREF+E2E-7781-01SVWZ+RECHNUNG 2026-0042 KD 7781")
    );
    assert_eq!(first.payer_name.as_deref(), Some("MUSTER GMBH"));

    // A `:61:` whose transaction type is missing (the owner's reference run into it) is
    // refused at its line, naming the field.
    let broken = text.replace("NTRFINV-2026-0042//", "INV-2026-0042//");
    let error = parse_text("dk.sta", &broken).unwrap_err();
    assert_eq!(error.at.line, 5, "{error}");
    assert!(
        matches!(&error.problem, Problem::Malformed { what: ":61: statement line", found, .. }
            if found == "2612071207C1250,00INV-2026-0042//BK26120700123"),
        "{error}"
    );
}

/// The one line of a small MT940 message whose `:86:` is `information`.
fn mt940_line(information: &str) -> arrears_bank::StatementLine {
    let text = format!(
        ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
         :61:2612011201C5,00NTRFNONREF//R1\n{information}\n:62F:C261201EUR15,00\n"
    );
    let mut statements = parse_text("info.sta", &text).unwrap_or_else(|e| panic!("{e}"));
    statements.remove(0).lines.remove(0)
}

/// A camt entry of one movement with the given inner XML after its reference.
fn camt_entry(inner: &str) -> arrears_bank::StatementLine {
    let text = camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "150.00")], &[]).replace(
        "</Stmt>",
        &format!(
            "<Ntry><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                 <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
                 <AcctSvcrRef>R-1</AcctSvcrRef>{inner}</Ntry>\n</Stmt>"
        ),
    );
    let mut statements = parse_text("one.xml", &text).unwrap_or_else(|e| panic!("{e}"));
    statements.remove(0).lines.remove(0)
}

/// Without `Ustrd`, the remittance is what else names what was paid: the numbers of the
/// documents the structured remittance refers to (invoice numbers), else the transaction's
/// `AddtlTxInf`, else the entry's `AddtlNtryInf`; `Ustrd` wins when there is one.
#[test]
fn camt_remittance_falls_back_to_referred_documents_and_additional_information() {
    let details = |tx: &str| format!("<NtryDtls><TxDtls>{tx}</TxDtls></NtryDtls>");
    let referred = camt_entry(&details(
        "<RmtInf><Strd><RfrdDocInf><Nb>INV-2026-0042</Nb></RfrdDocInf>\
         <RfrdDocInf><Nb>INV-2026-0043</Nb></RfrdDocInf></Strd></RmtInf>",
    ));
    assert_eq!(referred.remittance_unstructured.as_deref(), Some("INV-2026-0042 INV-2026-0043"));
    let both = camt_entry(&details(
        "<RmtInf><Ustrd>FACTURA 42</Ustrd><Strd><RfrdDocInf><Nb>INV-42</Nb></RfrdDocInf>\
         <CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>",
    ));
    assert_eq!(both.remittance_unstructured.as_deref(), Some("FACTURA 42"));
    assert_eq!(both.creditor_reference.as_deref(), Some("RF18539007547034"));
    let additional = camt_entry(&details("<AddtlTxInf>CONTRACT 77 JANUARY</AddtlTxInf>"));
    assert_eq!(additional.remittance_unstructured.as_deref(), Some("CONTRACT 77 JANUARY"));
    let entry_level = camt_entry("<AddtlNtryInf>SEPA CT CONTRACT 78</AddtlNtryInf>");
    assert_eq!(entry_level.remittance_unstructured.as_deref(), Some("SEPA CT CONTRACT 78"));
    assert_eq!(camt_entry("").remittance_unstructured, None);
}

/// A batch whose transaction was paid in another currency gives its `TxDtls/Amt` in that
/// currency and the amount as booked in `AmtDtls/TxAmt`: the booked one is taken (the batch
/// total checks it). A transaction with no amount in the statement's currency is refused.
#[test]
fn camt_batch_transaction_in_another_currency_reads_its_booked_amount() {
    let batch = |second: &str| {
        camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "180.00")], &[]).replace(
            "</Stmt>",
            &format!(
                "<Ntry><Amt Ccy=\"EUR\">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                 <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
                 <AcctSvcrRef>B-1</AcctSvcrRef><NtryDtls>\
                 <TxDtls><Amt Ccy=\"EUR\">30.00</Amt></TxDtls>\
                 <TxDtls>{second}</TxDtls></NtryDtls></Ntry>\n</Stmt>"
            ),
        )
    };
    let foreign = batch(
        "<Amt Ccy=\"USD\">55.00</Amt><AmtDtls><InstdAmt><Amt Ccy=\"USD\">55.00</Amt></InstdAmt>\
         <TxAmt><Amt Ccy=\"EUR\">50.00</Amt></TxAmt></AmtDtls>",
    );
    let statements = parse_text("batch.xml", &foreign).unwrap_or_else(|e| panic!("{e}"));
    let amounts: Vec<i64> = statements[0].lines.iter().map(|line| line.amount_minor).collect();
    assert_eq!(amounts, [3_000, 5_000]);
    let error = parse_text("batch.xml", &batch("<Amt Ccy=\"USD\">55.00</Amt>")).unwrap_err();
    assert!(
        matches!(&error.problem, Problem::CurrencyMismatch { found, .. } if found == "USD"),
        "{error}"
    );
}

/// A Norma 43 file may begin with the header `00`, which the layout leaves out of the record
/// 88 count; a bank that counts it is read too. Any other count is refused.
#[test]
fn norma43_record_88_count_with_or_without_the_file_header() {
    let text = crate::data(N43_TRIMMED);
    let end = b"88999999999999999999000011";
    let at = text.windows(end.len()).position(|window| window == end).expect("the record 88");
    // The file is Latin-1: the record is replaced in its bytes.
    let with_count = |count: &str| {
        let mut bytes = b"002100261201\r\n".to_vec();
        let mut replaced = text.clone();
        replaced.splice(at..at + end.len(), format!("88{}{count}", "9".repeat(18)).into_bytes());
        bytes.extend(replaced);
        parse(N43_TRIMMED, &bytes, FormatChoice::Auto, None)
    };
    let lines = |statements: &[Statement]| -> Vec<(String, i64)> {
        statements
            .iter()
            .flat_map(|statement| &statement.lines)
            .map(|line| (line.bank_reference.clone(), line.amount_minor))
            .collect()
    };
    let expected = lines(&read(N43_TRIMMED));
    assert_eq!(expected.len(), 4);
    assert_eq!(lines(&with_count("000011").unwrap()), expected);
    assert_eq!(lines(&with_count("000012").unwrap()), expected);
    let error = with_count("000013").unwrap_err();
    assert_eq!(
        error.problem,
        Problem::CountMismatch { what: "record 88 record count", declared: 13, counted: 11 }
    );
}

/// Formats without a bank reference compose one from a line's fields, and two movements alike
/// in every field (two transfers of one amount, one day, one document) compose the same:
/// the repeat gets `#2`, by the same pass that makes every format's references unique.
#[test]
fn composed_references_that_repeat_get_a_suffix_in_norma_43_and_csv() {
    let n43 = crate::data(N43_TRIMMED);
    let text = String::from_utf8_lossy(&n43);
    let movement = text.lines().find(|line| line.starts_with("22")).unwrap().to_owned();
    let at = n43.windows(movement.len()).position(|w| w == movement.as_bytes()).unwrap();
    let mut doubled = n43[..at].to_vec();
    doubled.extend_from_slice(movement.as_bytes());
    doubled.extend_from_slice(b"\r\n");
    doubled.extend_from_slice(&n43[at..]);
    // The account's totals and the file's count now include the second movement.
    let doubled = String::from_utf8_lossy(&doubled)
        .replace(
            "3321000418020005133200001000000000012500000200000000250050",
            "3321000418020005133200001000000000012500000300000000400100",
        )
        .replace("00000000348800978", "00000000498850978")
        .replace("88999999999999999999000011", "88999999999999999999000012");
    let statements = parse_text(N43_TRIMMED, &doubled).unwrap_or_else(|e| panic!("{e}"));
    let first = &statements[0].lines;
    assert_eq!(first[1].bank_reference, format!("{}#2", first[0].bank_reference));

    let mapping = arrears_bank::CsvMapping::from_toml(
        "account = \"ES9121000418450200051332\"\ncurrency = \"EUR\"\ndelimiter = \";\"\n\
         header = true\ndecimal_separator = \",\"\ndate_format = \"%d/%m/%Y\"\n\n[columns]\n\
         booking_date = \"Fecha\"\namount = \"Importe\"\n",
        "twice.toml",
    )
    .unwrap();
    let csv = "Fecha;Importe\n01/12/2026;10,00\n01/12/2026;10,00\n01/12/2026;10,00\n";
    let statements =
        parse("twice.csv", csv.as_bytes(), FormatChoice::Auto, Some(&mapping)).unwrap();
    let references: Vec<&str> =
        statements[0].lines.iter().map(|line| line.bank_reference.as_str()).collect();
    let key = "ES9121000418450200051332/2026-12-01/1000";
    assert_eq!(references, [key.to_owned(), format!("{key}#2"), format!("{key}#3")]);
}

// Review against the published layouts ------------------------------------------------------

/// An XML document has one root element. A second `Document` after the first (two files
/// joined into one) was dropped without a word, and its statement never imported; it is
/// refused at its line. Comments, processing instructions and blanks after the root are fine.
#[test]
fn camt_content_after_the_root_element_is_refused_not_dropped() {
    let page =
        camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "150.00")], &[("CRDT", "50.00", "P1")]);
    let (_, document) = page.split_once('\n').unwrap();
    let joined = format!("{page}{document}");
    let error = parse_text("joined.xml", &joined).expect_err("a second root was accepted");
    assert_eq!(error.at.line, page.lines().count() as u32 + 1, "{error}");
    assert!(
        matches!(&error.problem, Problem::Xml { message } if message.contains("after the root")),
        "{error}"
    );
    let trailing = format!("{page}<!-- end of statement -->\n<?bank done?>\n\n");
    assert_eq!(parse_text("trailing.xml", &trailing).unwrap()[0].lines.len(), 1);
}

/// `Sts` is mandatory on every entry (`BOOK`, `PDNG`, `INFO`, and `FUTR` from 001.08). An entry
/// without one, or with a status no version defines, was skipped as if pending: in a camt.054,
/// which has no balances to catch it, a booked payment vanished. It is refused at the entry.
#[test]
fn camt_entry_status_missing_or_unknown_is_refused_not_skipped() {
    let clp = "camt054_v04_clp.xml";
    let error = variant(clp, "<Sts>BOOK</Sts>", "").expect_err("an entry without Sts was read");
    assert_eq!(
        error.at.element.as_deref(),
        Some("Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]")
    );
    assert_eq!(error.at.line, 8, "{error}");
    assert!(matches!(error.problem, Problem::Missing { what: "Ntry/Sts" }), "{error}");
    for status in ["<Sts>BOOKED</Sts>", "<Sts><Prtry>GEBUCHT</Prtry></Sts>", "<Sts/>"] {
        let error = variant(clp, "<Sts>BOOK</Sts>", status).expect_err(status);
        assert_eq!(error.at.line, 11, "{status}: {error}");
        assert!(
            matches!(error.problem, Problem::Malformed { what: "Ntry/Sts", .. }),
            "{status}: {error}"
        );
    }
    for skipped in ["<Sts>PDNG</Sts>", "<Sts><Cd>INFO</Cd></Sts>", "<Sts><Cd>FUTR</Cd></Sts>"] {
        let statements = variant(clp, "<Sts>BOOK</Sts>", skipped).unwrap_or_else(|e| panic!("{e}"));
        assert!(statements[0].lines.is_empty(), "{skipped}");
    }
    assert_eq!(read(clp)[0].lines.len(), 1);
}

/// `Dt` is an `xs:date` (`2026-12-03`, with an optional time zone) and `DtTm` an
/// `xs:dateTime`. Anything after the first ten characters was ignored, so `2026-12-03x`,
/// `2026-12-031` and a date-time in `Dt` were read, and a single-digit day or month too.
#[test]
fn camt_dates_follow_xml_schema_dates_and_date_times() {
    let booked = |dates: &str| -> Result<(chrono::NaiveDate, chrono::NaiveDate), StatementError> {
        let text = camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "150.00")], &[]).replace(
            "</Stmt>",
            &format!(
                "<Ntry><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                     <Sts><Cd>BOOK</Cd></Sts>{dates}<AcctSvcrRef>R-1</AcctSvcrRef></Ntry>\n\
                     </Stmt>"
            ),
        );
        let line = parse_text("dates.xml", &text)?.remove(0).lines.remove(0);
        Ok((line.booking_on, line.value_on))
    };
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    for (dates, booking, value) in [
        ("<BookgDt><Dt>2026-12-03</Dt></BookgDt>", "2026-12-03", "2026-12-03"),
        ("<BookgDt><Dt>2026-12-03Z</Dt></BookgDt>", "2026-12-03", "2026-12-03"),
        ("<BookgDt><Dt>2026-12-03+01:00</Dt></BookgDt>", "2026-12-03", "2026-12-03"),
        (
            "<BookgDt><DtTm>2026-12-31T23:30:00-05:00</DtTm></BookgDt>\
             <ValDt><DtTm>2027-01-02T00:00:00.123Z</DtTm></ValDt>",
            "2026-12-31",
            "2027-01-02",
        ),
        ("<BookgDt><DtTm>2026-12-03T09:30:00</DtTm></BookgDt>", "2026-12-03", "2026-12-03"),
    ] {
        let got = booked(dates).unwrap_or_else(|e| panic!("{dates}: {e}"));
        assert_eq!(got, (day(booking), day(value)), "{dates}");
    }
    for bad in [
        "<BookgDt><Dt>2026-12-03x</Dt></BookgDt>",
        "<BookgDt><Dt>2026-12-031</Dt></BookgDt>",
        "<BookgDt><Dt>2026-12-3</Dt></BookgDt>",
        "<BookgDt><Dt>2026-12-03T10:00:00</Dt></BookgDt>",
        "<BookgDt><DtTm>2026-12-03</DtTm></BookgDt>",
        "<BookgDt><DtTm>2026-12-03 10:00:00</DtTm></BookgDt>",
        "<BookgDt><DtTm>2026-12-03T25:00:00</DtTm></BookgDt>",
        "<BookgDt><DtTm>2026-12-03T10:00:00+1</DtTm></BookgDt>",
        "<BookgDt><Dt>2026-02-30</Dt></BookgDt>",
    ] {
        let error = booked(bad).expect_err(bad);
        assert_eq!(
            error.at.element.as_deref(),
            Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt"),
            "{bad}: {error}"
        );
        assert!(matches!(error.problem, Problem::BadDate { .. }), "{bad}: {error}");
    }
    // A date element that holds neither `Dt` nor `DtTm` says so.
    let error = booked("<BookgDt><Dat>2026-12-03</Dat></BookgDt>").unwrap_err();
    assert!(matches!(error.problem, Problem::Missing { what: "Dt or DtTm" }), "{error}");
}

/// An amount is an `xs:decimal`: `+50.00` and `.50` are valid lexical forms (rare, but the
/// schema allows them) and were refused; a sign of minus, an exponent or blanks inside stay
/// refused.
#[test]
fn camt_amounts_in_every_xml_decimal_form() {
    let amount = |text: &str| {
        let page = camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "150.00")], &[])
            .replace(
                "</Stmt>",
                &format!(
                    "<Ntry><Amt Ccy=\"EUR\">{text}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                     <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
                     <AcctSvcrRef>R-1</AcctSvcrRef></Ntry>\n</Stmt>"
                ),
            )
            .replace(">150.00<", ">100.50<");
        parse_text("amounts.xml", &page).map(|mut s| s.remove(0).lines.remove(0).amount_minor)
    };
    for text in ["0.50", ".50", "+0.5", "+.5", "0.500", "00.50000", " 0.50 "] {
        assert_eq!(amount(text).unwrap_or_else(|e| panic!("{text}: {e}")), 50, "{text}");
    }
    for bad in ["-0.50", "0,50", "5e-1", ".", "+", "++0.5", "0 .50", "0.5.0"] {
        let error = amount(bad).expect_err(bad);
        assert!(matches!(error.problem, Problem::BadAmount { .. }), "{bad}: {error}");
    }
}

/// `TxsSummry/TtlNtries` also gives the sum of every entry's amount (`Sum`) and the net
/// (`TtlNetNtry`, in 001.02 `TtlNetNtryAmt` and `CdtDbtInd`); they were not checked, so a
/// file whose summary disagreed with its entries passed when its balances happened to agree.
#[test]
fn camt_summary_sum_and_net_are_checked() {
    let v10 = "<Sum>1750.85</Sum>";
    let error = variant(CAMT_V10, v10, "<Sum>1750.86</Sum>").expect_err("a wrong Sum passed");
    assert_eq!(
        error.at.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/TxsSummry/TtlNtries/Sum")
    );
    assert!(
        matches!(
            error.problem,
            Problem::TotalMismatch { declared_minor: 175_086, summed_minor: 175_085, .. }
        ),
        "{error}"
    );
    let error = variant(CAMT_V10, "<Amt>1250.15</Amt>", "<Amt>1250.10</Amt>").unwrap_err();
    assert_eq!(
        error.at.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/TxsSummry/TtlNtries/TtlNetNtry")
    );
    assert!(matches!(error.problem, Problem::TotalMismatch { .. }), "{error}");
    let error = variant(
        CAMT_V10,
        "<CdtDbtInd>CRDT</CdtDbtInd>\n          </TtlNetNtry>",
        "<CdtDbtInd>DBIT</CdtDbtInd>\n          </TtlNetNtry>",
    )
    .unwrap_err();
    assert!(
        matches!(
            error.problem,
            Problem::TotalMismatch { declared_minor: -125_015, summed_minor: 125_015, .. }
        ),
        "{error}"
    );
    // 001.02 writes the net as `TtlNetNtryAmt` with its own `CdtDbtInd`.
    let v02 = "camt053_v02_batch.xml";
    let net = "<TtlNtries><NbOfNtries>3</NbOfNtries><Sum>809.90</Sum>\
               <TtlNetNtryAmt>790.10</TtlNetNtryAmt><CdtDbtInd>CRDT</CdtDbtInd></TtlNtries>";
    let statements = variant(v02, "<TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries>", net)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].lines.len(), 4);
    let error = variant(
        v02,
        "<TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries>",
        &net.replace("790.10", "790.01"),
    )
    .unwrap_err();
    assert!(matches!(error.problem, Problem::TotalMismatch { .. }), "{error}");
    let error = variant(
        v02,
        "<TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries>",
        &net.replace("CRDT", "SIDEWAYS"),
    )
    .unwrap_err();
    assert!(matches!(error.problem, Problem::Malformed { what: "CdtDbtInd", .. }), "{error}");
}

/// Field 25 has two options: `:25:` (35x) and `:25P:` (35x, then the account servicer's BIC
/// on a second line). A statement with `:25P:` was refused as missing its account.
#[test]
fn mt940_account_identification_option_p_with_a_bic() {
    let text = ":20:S1\n:25P:DE89370400440532013000\nCOBADEFFXXX\n:28C:1/1\n\
                :60F:C261201EUR10,00\n:61:2612011201C5,00NTRFNONREF//R1\n:62F:C261201EUR15,00\n";
    let statements = parse_text("25p.sta", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].account, "DE89370400440532013000");
    assert_eq!(statements[0].lines[0].location.line, 6);
    let error = parse_text("25p.sta", &text.replace(":25P:DE89370400440532013000", ":25P:"))
        .expect_err("an empty :25P: was accepted");
    assert_eq!(error.at.line, 2, "{error}");
    assert!(matches!(error.problem, Problem::Missing { what: ":25: account" }), "{error}");
}

/// `:64:` (closing available balance) and `:65:` (forward available balances, repeatable)
/// have the layout of a balance, in the statement's currency. They were skipped unread, so
/// a malformed one or one in another currency passed.
#[test]
fn mt940_available_balances_are_read_and_checked() {
    let closing = ":62F:C261201EUR15,00\n";
    let available = ":62F:C261201EUR15,00\n:64:C261201EUR15,00\n:65:C261202EUR15,00\n\
                     :65:D261203EUR0,50\n:86:end of statement\n";
    let text = ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
                :61:2612011201C5,00NTRFNONREF//R1\n:86:INV 42\n:62F:C261201EUR15,00\n";
    let statements = parse_text("ok.sta", &text.replace(closing, available)).unwrap();
    assert_eq!(statements[0].closing_balance_minor, Some(1_500));
    for (bad, line) in [
        (":64:C261201USD15,00", 8),
        (":64:C261201EUR15.00", 8),
        (":65:C261232EUR15,00", 9),
        (":65:X261202EUR15,00", 9),
    ] {
        let tag = &bad[..4];
        let good = available.lines().find(|field| field.starts_with(tag)).unwrap();
        let error = mt940_with(closing, &available.replacen(good, bad, 1));
        assert_eq!(error.at.line, line, "{bad}: {error}");
        assert!(
            matches!(
                error.problem,
                Problem::CurrencyMismatch { .. }
                    | Problem::BadAmount { .. }
                    | Problem::BadDate { .. }
                    | Problem::Malformed { what: "balance", .. }
            ),
            "{bad}: {error}"
        );
    }
}

/// The transaction type of `:61:` is `1!a3!c`: `S` (a SWIFT message type), `N` (a
/// non-SWIFT transfer) or `F` (first advice), then three characters. Any four letters or
/// digits were taken, so an amount longer than its 15 characters was cut and its last digit
/// read as the type's first (`0000000000005,00NTRF` as 5,0 with type `0NTR`), without a word.
#[test]
fn mt940_transaction_type_starts_with_s_n_or_f() {
    for kind in ["S202", "NTRF", "FCHK"] {
        let line = mt940_line_of(&format!("C5,00{kind}NONREF//R1"));
        assert_eq!(line.transaction_code.as_deref(), Some(kind));
    }
    for bad in ["C5,00XTRFNONREF//R1", "C0000000000005,00NTRFNONREF//R1"] {
        let error = mt940_with("C5,00NTRFNONREF//R1", bad);
        assert_eq!(error.at.line, 5, "{bad}: {error}");
        assert!(
            matches!(error.problem, Problem::Malformed { what: ":61: statement line", .. }),
            "{bad}: {error}"
        );
    }
}

/// The one line of a small MT940 message whose `:61:` after its dates is `rest`.
fn mt940_line_of(rest: &str) -> arrears_bank::StatementLine {
    let text = format!(
        ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
         :61:2612011201{rest}\n:62F:C261201EUR15,00\n"
    );
    let mut statements = parse_text("line.sta", &text).unwrap_or_else(|e| panic!("{e}"));
    statements.remove(0).lines.remove(0)
}

/// A record 23 carries its data code in positions 3-4: `01` to `05`, one per complementary
/// concept. Any two characters were taken, so a record 23 whose code was damaged (or a
/// record of another layout starting `23`) was read as concept text.
#[test]
fn norma43_record_23_data_code_is_01_to_05() {
    for bad in ["2306ORDENANTE: JOSE", "23  ORDENANTE: JOSE", "23X1ORDENANTE: JOSE", "2300"] {
        let error = n43_with_record(4, bad);
        assert_eq!(error.at.line, 4, "{bad}: {error}");
        assert!(
            matches!(&error.problem, Problem::Malformed { what: "record 23 data code", found, .. }
                if *found == bad[2..4]),
            "{bad}: {error}"
        );
    }
    let error = n43_with_record(4, "23");
    assert!(matches!(error.problem, Problem::TruncatedRecord { needed: 4, .. }), "{error}");
}

/// Record 11 gives the statement's period, first date (21-26) then last date (27-32); a
/// last date before the first was read without a word.
#[test]
fn norma43_period_last_date_before_first_is_refused() {
    let header = "11210004180200051332261231261201200000000100000978";
    let error = n43_with_record(1, header);
    assert_eq!(error.at.line, 1, "{error}");
    assert!(
        matches!(&error.problem, Problem::Malformed { what: "record 11 last date", found, .. }
            if found == "261201"),
        "{error}"
    );
    // One day is a period.
    let text = String::from_utf8_lossy(&crate::data(N43_TRIMMED)).into_owned();
    let one_day = text.replacen("261201261231", "261202261202", 1);
    let statements = parse("one.n43", one_day.as_bytes(), FormatChoice::Auto, None).unwrap();
    assert_eq!(statements.len(), 2);
}

/// Records of 80 characters come with a line end (CRLF or LF), with the line end of old
/// systems (CR alone), or with none at all (fixed-length records, as host transfers deliver
/// them), and some tools pad a line with blanks past 80. A CR-only file and one without
/// line ends were refused as one overlong record, and blanks past 80 as too long.
#[test]
fn norma43_records_with_cr_or_no_line_ends_and_blanks_past_80() {
    let bytes = crate::data(N43_TRIMMED);
    let expected = parse(N43_TRIMMED, &bytes, FormatChoice::Auto, None).unwrap();
    let records: Vec<&[u8]> = bytes
        .split(|&byte| byte == b'\n')
        .map(|record| record.strip_suffix(b"\r").unwrap_or(record))
        .filter(|record| !record.is_empty())
        .collect();
    let padded: Vec<Vec<u8>> = records
        .iter()
        .map(|record| {
            let mut record = record.to_vec();
            record.resize(80, b' ');
            record
        })
        .collect();
    let cr_only = records.join(&b'\r');
    let statements =
        parse("cr.n43", &cr_only, FormatChoice::Auto, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements, expected);
    let fixed: Vec<u8> = padded.concat();
    let statements =
        parse("fixed.n43", &fixed, FormatChoice::Auto, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[0].lines.len(), expected[0].lines.len());
    assert_eq!(statements[1].closing_balance_minor, expected[1].closing_balance_minor);
    // Without line ends, the records are numbered as lines in file order.
    assert_eq!(statements[0].lines[1].location.line, 5);
    // Blanks past position 80 are no content; anything else there stays refused.
    let wide: Vec<u8> =
        padded.iter().flat_map(|record| [record.as_slice(), b"   \r\n"].concat()).collect();
    let statements =
        parse("wide.n43", &wide, FormatChoice::Auto, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements.len(), 2);
    let error = n43_with_record(10, &format!("{:<80}  X", String::from_utf8_lossy(records[9])));
    assert_eq!(error.at.line, 10, "{error}");
    assert_eq!(error.problem, Problem::RecordTooLong { length: 83, length_max: 80 });
    // Fixed-length records whose total is not a multiple of 80 are not split.
    let error = parse("ragged.n43", &fixed[..fixed.len() - 1], FormatChoice::Auto, None)
        .expect_err("ragged fixed-length records were read");
    assert!(matches!(error.problem, Problem::RecordTooLong { .. }), "{error}");
}

/// The business application header of an enveloped camt message may be signed: an XML
/// signature with its certificate runs to several kilobytes before the `Document`. The
/// format was detected from the first 4 KiB only, so such a file was refused as a format not
/// recognized; the message's root is now looked for in the whole XML file.
#[test]
fn camt_detected_behind_a_signed_application_header() {
    let text = String::from_utf8(data("camt053_v06_jpy_no_decimals.xml")).unwrap();
    let (declaration, document) = text.split_once('\n').unwrap();
    let certificate = "MIIB".repeat(2_000);
    let wrapped = format!(
        "{declaration}\n<Envelope xmlns=\"urn:swift:xsd:envelope\">\n\
         <AppHdr xmlns=\"urn:iso:std:iso:20022:tech:xsd:head.001.001.02\">\
         <BizMsgIdr>MIZU0000012345</BizMsgIdr><MsgDefIdr>camt.053.001.06</MsgDefIdr>\
         <CreDt>2026-12-04T08:00:00+09:00</CreDt><Sgntr>\
         <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:KeyInfo><ds:X509Data>\
         <ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         </ds:Signature></Sgntr></AppHdr>\n{document}</Envelope>\n"
    );
    assert_eq!(arrears_bank::detect(wrapped.as_bytes(), false), Some(Format::Camt053));
    let statements = parse_text("signed.xml", &wrapped).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].lines.len(), 2);
    let notification = wrapped
        .replace("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn")
        .replace("<Stmt>", "<Ntfctn>")
        .replace("</Stmt>", "</Ntfctn>")
        .replace("camt.053.001.06", "camt.054.001.06");
    assert_eq!(arrears_bank::detect(notification.as_bytes(), false), Some(Format::Camt054));
}

/// Every reference of an entry is optional in the schema: `AcctSvcrRef`, `NtryRef` and the
/// transaction's `Refs`, whose `EndToEndId` may be `NOTPROVIDED`. Such an entry made the whole
/// file refused. The transaction's `UETR`, `TxId` and `InstrId` are tried after the
/// end-to-end id, and without any reference the key is composed from the statement's id
/// and the entry's place in it (as MT940's `:20:/:28C:/n`), `/k` for a batch's k-th.
#[test]
fn camt_entry_without_a_bank_reference_falls_back_to_other_ids_then_its_place() {
    let reference = |inner: &str| -> String {
        let text = camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "150.00")], &[]).replace(
            "</Stmt>",
            &format!(
                "<Ntry><Amt Ccy=\"EUR\">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                     <Sts><Cd>PDNG</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt></Ntry>\n\
                     <Ntry><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                     <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
                     {inner}</Ntry>\n</Stmt>"
            ),
        );
        let statements = parse_text("refs.xml", &text).unwrap_or_else(|e| panic!("{inner}: {e}"));
        let references: Vec<&str> =
            statements[0].lines.iter().map(|line| line.bank_reference.as_str()).collect();
        references.join(" ")
    };
    let refs = |refs: &str| {
        format!(
            "<NtryDtls><TxDtls><Refs>{refs}</Refs><Amt Ccy=\"EUR\">50.00</Amt></TxDtls></NtryDtls>"
        )
    };
    let e2e = "<EndToEndId>NOTPROVIDED</EndToEndId>";
    assert_eq!(
        reference(&refs(&format!(
            "{e2e}<UETR>3c3b1ef0-5c4e-4e2a-9f1e-2b6b8a0d7c11</UETR><TxId>TX-1</TxId>"
        ))),
        "3c3b1ef0-5c4e-4e2a-9f1e-2b6b8a0d7c11"
    );
    assert_eq!(reference(&refs(&format!("<InstrId>I-1</InstrId>{e2e}<TxId>TX-1</TxId>"))), "TX-1");
    assert_eq!(reference(&refs(&format!("<InstrId>I-1</InstrId>{e2e}"))), "I-1");
    assert_eq!(reference(&refs("<EndToEndId>E-1</EndToEndId><TxId>TX-1</TxId>")), "E-1");
    // Nothing at all: the statement's id and the entry's place (the second entry).
    assert_eq!(reference(&refs(e2e)), "STMT-337/2");
    assert_eq!(reference(""), "STMT-337/2");
    let batch = "<NtryDtls><TxDtls><Amt Ccy=\"EUR\">20.00</Amt></TxDtls>\
                 <TxDtls><Refs><TxId>TX-2</TxId></Refs><Amt Ccy=\"EUR\">30.00</Amt></TxDtls></NtryDtls>";
    assert_eq!(reference(batch), "STMT-337/2/1 TX-2");
}

/// XML's five predefined entities and character references are read; an entity a DTD
/// declares is not expanded (a statement has no DTD, and expansion is how XML bombs
/// work). Refusing it said only `unknown entity`; the error now names it and its line.
#[test]
fn camt_undeclared_entity_is_named_in_the_error() {
    let page =
        camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "150.00")], &[("CRDT", "50.00", "P1")]);
    let with_dtd = page
        .replacen("<Document", "<!DOCTYPE Document [<!ENTITY acme \"ACME SL\">]>\n<Document", 1)
        .replacen(
            "<AcctSvcrRef>P1</AcctSvcrRef>",
            "<AcctSvcrRef>P1</AcctSvcrRef><AddtlNtryInf>&lt;&#x20AC;&gt; &acme;</AddtlNtryInf>",
            1,
        );
    let error = parse_text("entity.xml", &with_dtd).expect_err("an entity was expanded");
    assert_eq!(error.at.line, 10, "{error}");
    assert_eq!(error.problem, Problem::Xml { message: "unknown entity &acme;".to_owned() });
    let predefined = with_dtd.replace(" &acme;", " &amp;&#65;");
    let line = parse_text("entity.xml", &predefined).unwrap().remove(0).lines.remove(0);
    assert_eq!(line.remittance_unstructured.as_deref(), Some("<\u{20ac}> &A"));
}

/// Many Spanish banks' systems still write Norma 43 in code page 850 (MS-DOS), where N-tilde
/// is 0xA5 and E-acute 0x90, rather than ISO-8859-1 (0xD1, 0xC9). Read as ISO-8859-1, a
/// CP850 file kept its positions but its names and concepts were garbled (A-acute and N-tilde
/// read as micro and yen signs), and the matching rules read those. A file that is not UTF-8
/// is now read as CP850 when that reads more of its high bytes as letters, else as ISO-8859-1.
#[test]
fn norma43_in_code_page_850_reads_its_accented_letters() {
    let latin1 = crate::data(N43_TRIMMED);
    let expected = parse(N43_TRIMMED, &latin1, FormatChoice::Auto, None).unwrap();
    let cp850: Vec<u8> = latin1
        .iter()
        .map(|&byte| match byte {
            0xC1 => 0xB5, // A-acute
            0xC9 => 0x90, // E-acute
            0xCD => 0xD6, // I-acute
            0xD1 => 0xA5, // N-tilde
            other => {
                assert!(other < 0x80, "the test maps {other:#x}");
                other
            }
        })
        .collect();
    let statements = parse("cp850.n43", &cp850, FormatChoice::Auto, None).unwrap();
    assert_eq!(statements, expected);
    assert_eq!(
        statements[0].lines[0].remittance_unstructured.as_deref(),
        Some("TRANSFERENCIA DE MU\u{d1}OZ Y C\u{cd}A FRA 42 RF18539007547034 ORDENANTE: JOS\u{c9} IB\u{c1}\u{d1}EZ")
    );
    // Lower case too: n-tilde is 0xA4 in CP850, a currency sign in ISO-8859-1.
    let lower = [b"2302".as_slice(), b"PAGO DE MU\xa4OZ"].concat();
    let text = String::from_utf8_lossy(&cp850).replace("\u{fffd}", "?");
    let at = text.find("2302").unwrap();
    let end = at + text[at..].find('\r').unwrap();
    let lower_file = [&cp850[..at], &lower, &cp850[end..]].concat();
    let statements = parse("lower.n43", &lower_file, FormatChoice::Auto, None).unwrap();
    let remittance = statements[0].lines[0].remittance_unstructured.as_deref().unwrap();
    assert!(remittance.ends_with("PAGO DE MU\u{f1}OZ"), "{remittance}");
}

/// A batched transaction may give its amount only in `AmtDtls`: as instructed (`InstdAmt`,
/// which SEPA batches of 001.02 often give alone) or, when it was converted, as the counter
/// value in the account's currency (`CntrValAmt`). Only `TxDtls/Amt` and `AmtDtls/TxAmt`
/// were read, so such a batch was refused as missing its amounts. Of all those given, the
/// first in the statement's currency is taken; the batch total checks it.
#[test]
fn camt_batch_amounts_given_only_as_instructed_or_counter_value() {
    let batch = |first: &str, second: &str| {
        let page = camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "180.00")], &[]).replace(
            "</Stmt>",
            &format!(
                "<Ntry><Amt Ccy=\"EUR\">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                 <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
                 <AcctSvcrRef>B-1</AcctSvcrRef><NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>\
                 <TxDtls><AmtDtls>{first}</AmtDtls></TxDtls>\
                 <TxDtls><AmtDtls>{second}</AmtDtls></TxDtls></NtryDtls></Ntry>\n</Stmt>"
            ),
        );
        parse_text("batch.xml", &page).map(|statements| {
            statements[0].lines.iter().map(|line| line.amount_minor).collect::<Vec<_>>()
        })
    };
    let instructed = |amount: &str| format!("<InstdAmt><Amt Ccy=\"EUR\">{amount}</Amt></InstdAmt>");
    let amounts =
        batch(&instructed("30.00"), &instructed("50.00")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(amounts, [3_000, 5_000]);
    let converted = "<InstdAmt><Amt Ccy=\"USD\">55.00</Amt></InstdAmt>\
                     <CntrValAmt><Amt Ccy=\"EUR\">50.00</Amt><CcyXchg><SrcCcy>USD</SrcCcy>\
                     <XchgRate>1.1</XchgRate></CcyXchg></CntrValAmt>";
    let amounts = batch(&instructed("30.00"), converted).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(amounts, [3_000, 5_000]);
    let error = batch(&instructed("30.00"), &instructed("49.00")).unwrap_err();
    assert!(matches!(error.problem, Problem::TotalMismatch { .. }), "{error}");
    let error = batch(&instructed("30.00"), "").unwrap_err();
    assert_eq!(
        error.at.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[2]")
    );
    assert!(matches!(error.problem, Problem::Missing { .. }), "{error}");
}

/// ISO 20022 messages are UTF-8, but some banks' systems write ISO-8859-1 and say so in the
/// XML declaration, as XML allows. Such a file was refused as not UTF-8, at line 1 whatever
/// the line of the offending byte. A file that declares ISO-8859-1 is now read so; one that
/// declares nothing or UTF-8 and is not UTF-8 is refused at the line of the first bad byte.
#[test]
fn camt_declared_latin1_is_read_and_bad_utf8_is_located() {
    let page = camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "150.00")], &[]).replace(
        "</Stmt>",
        "<Ntry><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
         <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
         <AcctSvcrRef>R-1</AcctSvcrRef><AddtlNtryInf>PAGO DE MU\u{d1}OZ</AddtlNtryInf></Ntry>\n\
         </Stmt>",
    );
    let latin1: Vec<u8> = page
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let statements =
        parse("latin1.xml", &latin1, FormatChoice::Auto, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        statements[0].lines[0].remittance_unstructured.as_deref(),
        Some("PAGO DE MU\u{d1}OZ")
    );
    let undeclared: Vec<u8> = page.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let error = parse("bad.xml", &undeclared, FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.problem, Problem::Encoding { encoding: "UTF-8" });
    assert_eq!(error.at.line, 9, "{error}");
}

/// A message has one account, one statement number and one opening balance. Two messages
/// run together (the first's `:62F:` and the second's `:20:` lost) read as one: the second
/// `:25:` and `:60F:` replaced the first's, and the file failed, if at all, on a balance
/// that named neither message. A repeated `:25:`, `:28C:` or `:60F:` is refused at its line.
#[test]
fn mt940_repeated_account_number_or_opening_balance_is_refused() {
    let text = ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
                :61:261201C5,00NTRFNONREF//R1\n\
                :25:DE89370400440532013000\n:28C:2/1\n:60F:C261201EUR15,00\n\
                :61:261202C7,00NTRFNONREF//R2\n:62F:C261202EUR22,00\n";
    let error = parse_text("joined.sta", text).expect_err("two messages were read as one");
    assert_eq!(
        error.to_string(),
        "joined.sta: line 6: unexpected a second :25: (one per message; a :62F: and a :20: may \
         be missing before it)"
    );
    for (field, line) in
        [(":28C:2/1\n", 7), (":60F:C261201EUR10,00\n", 7), (":60M:C261201EUR10,00\n", 7)]
    {
        let error = mt940_with(":86:INV 42\n", &format!(":86:INV 42\n{field}"));
        assert_eq!(error.at.line, line, "{field}: {error}");
        assert!(matches!(error.problem, Problem::Unexpected { .. }), "{field}: {error}");
    }
}

/// A batch may be booked net: card sales and refunds in one entry, each `TxDtls` with its
/// own `CdtDbtInd`. Every transaction took the entry's direction, so the refunds read as
/// credits and the batch failed its total (or, had the amounts agreed, misread). In a batch
/// whose transactions give both directions, each line now takes its own, and credits minus
/// debits must be the entry's amount. A batch whose transactions all give one direction keeps
/// the entry's (a reversal's transactions may give the original direction).
#[test]
fn camt_batch_booked_net_reads_each_transactions_direction() {
    let batch = |first: &str, second: &str| {
        let page = camt_page(1, true, &[("OPBD", "100.00"), ("CLBD", "180.00")], &[]).replace(
            "</Stmt>",
            &format!(
                "<Ntry><Amt Ccy=\"EUR\">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                 <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>\
                 <AcctSvcrRef>NET-1</AcctSvcrRef><NtryDtls>\
                 <TxDtls><Amt Ccy=\"EUR\">100.00</Amt>{first}\
                 <RltdPties><Dbtr><Nm>CARD SALES</Nm></Dbtr></RltdPties></TxDtls>\
                 <TxDtls><Amt Ccy=\"EUR\">20.00</Amt>{second}\
                 <RltdPties><Cdtr><Nm>REFUND TO J DOE</Nm></Cdtr></RltdPties></TxDtls>\
                 </NtryDtls></Ntry>\n</Stmt>"
            ),
        );
        parse_text("net.xml", &page)
    };
    let credit = "<CdtDbtInd>CRDT</CdtDbtInd>";
    let debit = "<CdtDbtInd>DBIT</CdtDbtInd>";
    let statements = batch(credit, debit).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        describe_all(&statements[0]),
        [
            "9 2026-12-03/2026-12-03 C10000 ref=NET-1/1 name=CARD SALES",
            "9 2026-12-03/2026-12-03 D2000 ref=NET-1/2 name=REFUND TO J DOE",
        ]
    );
    assert_eq!(statements[0].net_minor(), 8_000);
    // One direction given throughout (or only some, all alike): the entry's, and the
    // amounts must add up as before.
    for (first, second) in [(credit, credit), ("", debit), (debit, debit)] {
        let error = batch(first, second).unwrap_err();
        assert!(
            matches!(
                error.problem,
                Problem::TotalMismatch { declared_minor: 8_000, summed_minor: 12_000, .. }
            ),
            "{first} {second}: {error}"
        );
    }
    let error = batch(credit, "<CdtDbtInd>DEBIT</CdtDbtInd>").unwrap_err();
    assert_eq!(
        error.at.element.as_deref(),
        Some("Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[2]/CdtDbtInd")
    );
}

/// The supplementary details of `:61:` (its second line, subfield 9) were dropped whenever a
/// `:86:` followed, even one that carries only codes (a payer's name, no remittance text):
/// the line then had no remittance text at all for the matcher. `:86:` text still wins.
#[test]
fn mt940_supplementary_details_stay_when_86_carries_no_remittance_text() {
    let text = |information: &str| {
        format!(
            ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261201EUR10,00\n\
             :61:2612011201C5,00NTRFNONREF//R1\nINV 42 ACME\n:86:{information}\n\
             :62F:C261201EUR15,00\n"
        )
    };
    let line_of = |information: &str| {
        let mut statements = parse_text("line.sta", &text(information)).unwrap();
        statements.remove(0).lines.remove(0)
    };
    let codes_only = line_of("/NAME/ACME HARDWARE");
    assert_eq!(codes_only.remittance_unstructured.as_deref(), Some("INV 42 ACME"));
    assert_eq!(codes_only.payer_name.as_deref(), Some("ACME HARDWARE"));
    let with_text = line_of("INVOICE 43");
    assert_eq!(with_text.remittance_unstructured.as_deref(), Some("INVOICE 43"));
}
