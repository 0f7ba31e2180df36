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

/// Norma 43 records padded to 80, joined with CRLF, with the record 88 count.
fn n43(records: &[String]) -> String {
    let mut text = String::new();
    for record in records {
        assert!(record.len() <= 80, "{record:?} is {} long", record.len());
        text.push_str(&format!("{record:<80}\r\n"));
    }
    text.push_str(&format!("{:<80}\r\n", format!("88{}{:06}", "9".repeat(18), records.len())));
    text
}

/// A Norma 43 record 11 of the review tests' account (entity 2100, office 0418), balance
/// zero, in euros, of information mode `mode`.
fn n43_header(mode: &str) -> String {
    format!("11{N43_ACCOUNT}261201261231{}{}978{mode}ACME COBROS SL", "2", n43_amount(0))
}

/// The review tests' Norma 43 account: entity, office, control digits and number.
const N43_ACCOUNT: &str = "210004180200051332";

/// 14 digits, 2 implied decimals.
fn n43_amount(minor: i64) -> String {
    format!("{minor:014}")
}

/// Records 23 are read as the general layout's two concepts of 38 characters (5-42, 43-80),
/// each trimmed and joined by one space, in every information mode. The AEB's annex 4 lays
/// out the SEPA data of mode 3 across them (a transfer's payer name 5-70, the concept from
/// 13 in 23-03), but banks writing mode 3 files keep the general layout (a payer name at 5 and
/// its tax id at 43, a second record with only data at 43), so it is not applied.
#[test]
fn norma43_records_23_are_two_concepts_of_38_in_every_mode() {
    let (account, header) = (N43_ACCOUNT, n43_header);
    let movement =
        format!("22    0418261202261202{}2{}{}", "04007", n43_amount(12_345), "6871166755");
    let name = "COMERCIALIZADORA INTERNACIONAL DE PROD";
    assert_eq!(name.len(), 38);
    let records = |mode: &str| {
        vec![
            header(mode),
            movement.clone(),
            format!("2301{:<38}{}", "MARIA NARANJO ENFLOR", "A48555633617"),
            format!("2302{:<38}{}", "", "01826874"),
            format!("2303{name}UCTOS AGRICOLAS SL"),
            format!(
                "33{account}{}{}{}{}2{}978",
                "00000",
                n43_amount(0),
                "00001",
                n43_amount(12_345),
                n43_amount(12_345)
            ),
        ]
    };
    for mode in ["1", "2", "3"] {
        let text = n43(&records(mode));
        let statements = parse("m.n43", text.as_bytes(), FormatChoice::Auto, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            statements[0].lines[0].remittance_unstructured.as_deref(),
            Some(
                "MARIA NARANJO ENFLOR A48555633617 01826874 COMERCIALIZADORA INTERNACIONAL DE \
                 PROD UCTOS AGRICOLAS SL"
            ),
            "mode {mode}"
        );
    }
}

/// An MT940 entry date `MMDD` takes the year nearest the value date. A `0229` beside a value
/// date of March 2027 was read as 29 February 2028, a year away, for the day exists in no
/// nearer year; it is refused as the date that does not exist. The year's turn still reads.
#[test]
fn mt940_entry_date_that_does_not_exist_in_the_nearest_year_is_refused() {
    let message = |line: &str| {
        format!(
            ":20:S1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C270228EUR0,00\n:61:{line}\n\
             :62F:C270301EUR1,00\n"
        )
    };
    let read = |line: &str| parse("x.sta", message(line).as_bytes(), FormatChoice::Auto, None);
    let error = read("2703010229C1,00NTRFNONREF//B1").unwrap_err();
    assert_eq!(error.at.line, 5);
    assert_eq!(error.problem, Problem::BadDate { what: "entry date", found: "0229".to_owned() });
    let leap = read("2803010229C1,00NTRFNONREF//B1").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(leap[0].lines[0].booking_on.to_string(), "2028-02-29");
    let turn = read("2612310102C1,00NTRFNONREF//B1").unwrap();
    assert_eq!(turn[0].lines[0].booking_on.to_string(), "2027-01-02");
    let back = read("2701021231C1,00NTRFNONREF//B1").unwrap();
    assert_eq!(back[0].lines[0].booking_on.to_string(), "2026-12-31");
}

/// A mapping whose thousands separator is its decimal separator had the separator dropped
/// from every amount: `9,90` read as 990 euros. The mapping is refused at the setting.
#[test]
fn csv_mapping_with_one_separator_for_thousands_and_decimals_is_refused() {
    let text = "account = \"A\"\ncurrency = \"EUR\"\ndecimal_separator = \",\"\n\
                thousands_separator = \",\"\n[columns]\nbooking_date = 1\namount = 2\n";
    let error = CsvMapping::from_toml(text, "m.toml").unwrap_err();
    assert_eq!(
        error.to_string(),
        "m.toml:4: thousands_separator: must differ from decimal_separator"
    );
}

/// A SWIFT file in the DOS-PCC format frames each message in SOH (0x01) and ETX (0x03), the
/// ETX followed by blanks to the end of a 512-byte sector. Around SWIFT blocks they went
/// unnoticed; a message without blocks had its SOH refused as text before the first field,
/// and an ETX after the closing `-` read as part of the `:64:` before it.
#[test]
fn mt940_messages_framed_in_soh_and_etx_are_read() {
    let message = |number: &str, opening: &str, closing: &str| {
        format!(
            "\u{1}{{1:F01BANKDEFFAXXX0000000000}}{{2:O9401200261201BANKDEFFXXXX00000000002612011200N}}{{4:\r\n\
             :20:STMT{number}\r\n:25:DE89370400440532013000\r\n:28C:{number}/1\r\n\
             :60F:C26120{number}EUR{opening}\r\n:61:26120{number}C5,00NTRFNONREF//B{number}\r\n\
             :86:INVOICE {number}\r\n:62F:C26120{number}EUR{closing}\r\n:64:C26120{number}EUR{closing}\r\n\
             -}}\u{3}{:<40}",
            ""
        )
    };
    let text = format!("{}{}", message("1", "10,00", "15,00"), message("2", "15,00", "20,00"));
    let statements = parse("pcc.fin", text.as_bytes(), FormatChoice::Auto, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[1].lines[0].bank_reference, "B2");
    assert_eq!(statements[1].lines[0].location.line, 15);
    // Without blocks: SOH on its own line, the message ending in `-` and ETX.
    let plain = "\u{1}\n:20:S1\n:25:PL29114010810000267002001002\n:28C:1/1\n:60F:C261201EUR0,40\n\
                 :61:2612011201CN0,01NTRFNONREF//MB1\n:62F:C261201EUR0,41\n:64:C261201EUR0,41\n-\u{3}\n";
    let statements = parse("mbank.sta", plain.as_bytes(), FormatChoice::Auto, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].lines[0].amount_minor, 1);
}

/// A SWIFT file in the RJE format separates its messages with `$`, a character the SWIFT set
/// does not have: on a line of its own after `-}`, or before the next message's `{1:`. The `$`
/// line was read as part of the `:64:` before it, and a `$` before `{1:` as a field's text.
#[test]
fn mt940_messages_separated_by_dollar_signs_are_read() {
    let message = |number: &str, opening: &str, closing: &str| {
        format!(
            "{{1:F01BANKDEFFAXXX0000000000}}{{2:O9401200261201BANKDEFFXXXX00000000002612011200N}}\n\
             {{4:\n:20:STMT{number}\n:25:DE89370400440532013000\n:28C:{number}/1\n\
             :60F:C26120{number}EUR{opening}\n:61:26120{number}C5,00NTRFNONREF//B{number}\n\
             :62F:C26120{number}EUR{closing}\n:64:C26120{number}EUR{closing}\n-}}\n"
        )
    };
    for separator in ["$\n", "$"] {
        let text = format!(
            "{}{separator}{}",
            message("1", "10,00", "15,00"),
            message("2", "15,00", "20,00")
        );
        let statements = parse("rje.fin", text.as_bytes(), FormatChoice::Auto, None)
            .unwrap_or_else(|e| panic!("{separator:?}: {e}"));
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[1].closing_balance_minor, Some(2_000));
    }
}

/// ING's old MT940 export (before its SEPA "structured" MT940) writes `0000 01`, its
/// 12-character logical terminal address and a 5-digit export number (twice), then `940 00`,
/// before each message's `:20:`, and ends a message with `-XXX`. Those lines were refused as
/// text before the first field (or, the trailer, read as the closing balance's continuation).
/// They are read as framing only where they can be nothing else: the header lines leading a
/// `:20:`, the trailer ending a message. A header line of another shape is still refused.
#[test]
fn mt940_ing_old_header_lines_and_trailer_are_read() {
    let message = |number: &str, opening: &str, closing: &str, trailer: &str| {
        format!(
            "0000 01INGBNL2AXXXX00001\r\n0000 01INGBNL2AXXXX00001\r\n940 00\r\n\
             :20:INGEB\r\n:25:0654321987\r\n:28C:{number}\r\n\
             :60F:C2612{number}EUR{opening}\r\n\
             :61:2612{number}C250,00N078NONREF\r\n\
             :86:0123456789 J. DE VRIES DORPSSTRAAT 12 1234 AB\r\nZWOLLE FACTUUR 2026-118\r\n\
             :62F:C2612{number}EUR{closing}\r\n:64:C2612{number}EUR{closing}\r\n{trailer}"
        )
    };
    // The last message's trailer may also end the file without a line end.
    for (trailer, last) in [("-XXX\r\n", "-XXX\r\n"), ("XXX\r\n", "XXX\r\n"), ("-XXX\r\n", "-XXX")]
    {
        let text = format!(
            "{}{}",
            message("07", "1000,00", "1250,00", trailer),
            message("08", "1250,00", "1500,00", last)
        );
        let statements = parse("ing.940", text.as_bytes(), FormatChoice::Auto, None)
            .unwrap_or_else(|e| panic!("{last:?}: {e}"));
        assert_eq!(statements.len(), 2, "{trailer:?}");
        assert_eq!(statements[1].account, "0654321987");
        assert_eq!(statements[1].closing_balance_minor, Some(150_000));
        let line = &statements[0].lines[0];
        assert_eq!(line.location.line, 8);
        assert_eq!(line.transaction_code.as_deref(), Some("N078"));
        assert_eq!(
            line.remittance_unstructured.as_deref(),
            Some("0123456789 J. DE VRIES DORPSSTRAAT 12 1234 AB ZWOLLE FACTUUR 2026-118")
        );
    }
    // An export number of four digits is no ING header: refused where it stands.
    let text = message("07", "1000,00", "1250,00", "-XXX\r\n").replacen(
        "0000 01INGBNL2AXXXX00001",
        "0000 01INGBNL2AXXXX0001",
        1,
    );
    let error = parse("ing.940", text.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.at.line, 1, "{error}");
    assert!(matches!(error.problem, Problem::Unexpected { .. }), "{error}");
    // A trailer inside a message (a field follows) is not dropped: it is read as the
    // continuation of the field before it, as any other text, and the bad balance is refused.
    let text = message("07", "1000,00", "1250,00", "").replace(":64:", "-XXX\r\n:64:");
    let error = parse("ing.940", text.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.at.line, 11, "{error}");
}

/// An MT940 amount is SWIFT's `15d`, whose decimal comma is mandatory. Written without one
/// (`C1250NTRF`), it could be 1,250.00 or 12.50 with the comma left out, and nothing in the
/// message says which: the line stays refused at its line, naming the field, rather than
/// read either way (see docs/CASH.md, "Left refused, and why").
#[test]
fn mt940_amount_without_a_decimal_comma_stays_refused() {
    let text = ":20:940S261207\n:25:NL58KNAB0123456789\n:28C:341\n:60F:C261206EUR100,00\n\
                :61:2612071207C1250NTRFNONREF//KN26120700042\n:86:/NAME/P. BAKKER/\n\
                :62F:C261207EUR1350,00\n";
    let error = parse("knab.sta", text.as_bytes(), FormatChoice::Auto, None).unwrap_err();
    assert_eq!(error.at.line, 5, "{error}");
    assert_eq!(
        error.to_string(),
        "knab.sta: line 5: :61: statement line \"2612071207C1250NTRFNONREF//KN26120700042\" \
         does not match the format an amount with a decimal comma"
    );
    let with_comma = text.replace("C1250NTRF", "C1250,NTRF");
    let statements = parse("knab.sta", with_comma.as_bytes(), FormatChoice::Auto, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statements[0].lines[0].amount_minor, 125_000);
}

/// Norma 43 read as `n43-sepa`: in an account of information mode 3, records 23 are read by
/// the AEB's annex 4 (June 2012). A SEPA transfer received gives its originator's name
/// (23-01, 5-70), its end-to-end reference (AT-41, 23-02, 5-39), the concept (23-03 from 13,
/// running on in 23-04 with the same word) and free text (23-05); a SEPA direct debit
/// collected, told by its scheme `CORE` at 23-01, gives the creditor's reference of the
/// collection (AT-10, 23-05, 5-39) as its end-to-end id and the debtor's name (23-05,
/// 40-80). Read as `n43` (or detected) the same file keeps the general layout's two
/// concepts, and an account of mode 1 or 2 reads the same either way.
#[test]
fn norma43_mode_3_read_by_annex_4_when_asked_for() {
    let (account, header) = (N43_ACCOUNT, n43_header);
    let transfer =
        format!("22    0418261202261202{}2{}{}", "04027", n43_amount(1_250_000), "0000000001");
    let collection =
        format!("22    0418261203261203{}2{}{}", "03021", n43_amount(8_990), "0000000002");
    let name = "COMERCIALIZADORA INTERNACIONAL DE PRODUCTOS AGRICOLAS DEL SUR SL";
    assert!(name.len() <= 66);
    let concept = "PAGO FACTURAS FRA-2026-000418 Y FRA-2026-000419 SEGUN ACUERDO DE PAGO";
    assert_eq!(concept.len(), 68 + 1);
    let records = |mode: &str| {
        vec![
            header(mode),
            transfer.clone(),
            format!("2301{name:<66}{:<10}", "B41234567"),
            format!("2302{:<35}{:<41}", "E2E-CISA-2026-0418", ""),
            format!("2303SUPP    {}", &concept[..68]),
            format!("2304{:<72}", &concept[68..]),
            format!("2305{:<76}", "REF PROVEEDOR 7781"),
            collection.clone(),
            format!("2301CORE{:<70}", "ACME COBROS SL"),
            format!("2302{:<35}{:<35}", "ES12000B12345678", "MANDATO-7781-01"),
            format!("2303        {:<68}", "CUOTA DICIEMBRE 2026"),
            format!("2305{:<35}{:<41}", "COB-2026-12-0042", "MARIA NARANJO ENFLOR"),
            format!(
                "33{account}{}{}{}{}2{}978",
                "00000",
                n43_amount(0),
                "00002",
                n43_amount(1_258_990),
                n43_amount(1_258_990)
            ),
        ]
    };
    let sepa = FormatChoice::Norma43Sepa;
    let text = n43(&records("3"));
    let statements = parse("m3.n43", text.as_bytes(), sepa, None).unwrap_or_else(|e| panic!("{e}"));
    let fields = |line: &arrears_bank::StatementLine| {
        [line.payer_name.clone(), line.end_to_end_id.clone(), line.remittance_unstructured.clone()]
    };
    let lines = &statements[0].lines;
    assert_eq!(
        fields(&lines[0]),
        [
            Some(name.to_owned()),
            Some("E2E-CISA-2026-0418".to_owned()),
            Some(format!("{concept} REF PROVEEDOR 7781")),
        ]
    );
    assert_eq!(
        fields(&lines[1]),
        [
            Some("MARIA NARANJO ENFLOR".to_owned()),
            Some("COB-2026-12-0042".to_owned()),
            Some("CUOTA DICIEMBRE 2026".to_owned()),
        ]
    );
    assert_eq!(lines[0].amount_minor, 1_250_000);

    // Detected, the same file reads as before: two concepts, no end-to-end id.
    let general = parse("m3.n43", text.as_bytes(), FormatChoice::Auto, None).unwrap();
    assert_eq!(general[0].lines[0].end_to_end_id, None);
    assert!(general[0].lines[0]
        .remittance_unstructured
        .as_deref()
        .is_some_and(|text| text.starts_with("COMERCIALIZADORA INTERNACIONAL DE PROD UCTOS")));
    // Modes 1 and 2 read the same either way.
    for mode in ["1", "2"] {
        let text = n43(&records(mode));
        assert_eq!(
            parse("m.n43", text.as_bytes(), sepa, None).unwrap(),
            parse("m.n43", text.as_bytes(), FormatChoice::Auto, None).unwrap(),
            "mode {mode}"
        );
    }
    // A record 23 with a data code out of 01-05 is still refused at its line.
    let mut bad = records("3");
    bad[6] = bad[6].replacen("2305", "2306", 1);
    let error = parse("m3.n43", n43(&bad).as_bytes(), sepa, None).unwrap_err();
    assert_eq!(error.at.line, 7, "{error}");
    assert!(
        matches!(&error.problem, Problem::Malformed { what: "record 23 data code", found, .. }
            if found == "06"),
        "{error}"
    );
    assert_eq!("n43-sepa".parse::<FormatChoice>(), Ok(FormatChoice::Norma43Sepa));
}
