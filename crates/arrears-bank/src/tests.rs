//! Round trips (a generated statement written in each format and read back gives the same
//! lines, and the balance invariant holds) and robustness (arbitrary or mutated bytes never
//! panic). The writers here exist for these tests only.

use arrears_core::money::Currency;
use chrono::{Duration, NaiveDate};
use proptest::prelude::*;

use crate::amount::minor_to_text;
use crate::{
    parse, CsvMapping, Direction, Format, FormatChoice, Location, Statement, StatementLine,
};

/// A generated line: the fields every format can carry.
#[derive(Debug, Clone)]
struct Gen {
    booking_days: i64,
    value_days: i64,
    amount_minor: i64,
    direction: Direction,
    reference: String,
    remittance: Option<String>,
    reversal: bool,
}

fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn gen_line() -> impl Strategy<Value = Gen> {
    (
        0i64..25,
        0i64..5,
        1i64..1_000_000_000,
        prop::bool::ANY,
        "[A-Z][A-Z0-9]{0,11}",
        prop::option::of("[A-Z][A-Za-z0-9]{0,8}( [A-Za-z0-9]{1,8}){0,3}"),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(booking_days, lag, amount_minor, credit, reference, remittance, reversal)| Gen {
                booking_days,
                value_days: booking_days + lag,
                amount_minor,
                direction: if credit { Direction::Credit } else { Direction::Debit },
                reference,
                remittance,
                reversal,
            },
        )
}

fn gen_statement(
    currencies: &'static [Currency],
) -> impl Strategy<Value = (Currency, i64, Vec<Gen>)> {
    (
        prop::sample::select(currencies),
        -1_000_000_000i64..1_000_000_000,
        prop::collection::vec(gen_line(), 0..8),
    )
        .prop_map(|(currency, opening, mut lines)| {
            // References unique within the file, as a bank's are.
            for (index, line) in lines.iter_mut().enumerate() {
                line.reference = format!("{}{index}", line.reference);
            }
            (currency, opening, lines)
        })
}

fn closing(opening: i64, lines: &[Gen]) -> i64 {
    opening
        + lines
            .iter()
            .map(
                |l| if l.direction == Direction::Credit { l.amount_minor } else { -l.amount_minor },
            )
            .sum::<i64>()
}

fn day(days: i64) -> NaiveDate {
    base_day() + Duration::days(days)
}

/// The line the parser should give for `line`, `bank_reference` and `location` aside.
fn expected(line: &Gen) -> (NaiveDate, NaiveDate, i64, Direction, Option<String>) {
    (
        day(line.booking_days),
        day(line.value_days),
        line.amount_minor,
        line.direction,
        line.remittance.clone(),
    )
}

fn got(line: &StatementLine) -> (NaiveDate, NaiveDate, i64, Direction, Option<String>) {
    (
        line.booking_on,
        line.value_on,
        line.amount_minor,
        line.direction,
        line.remittance_unstructured.clone(),
    )
}

fn balance_holds(statement: &Statement) -> bool {
    match (statement.opening_balance_minor, statement.closing_balance_minor) {
        (Some(opening), Some(closing)) => opening + statement.net_minor() == closing,
        _ => true,
    }
}

fn mark(amount_minor: i64) -> (&'static str, i64) {
    if amount_minor < 0 {
        ("DBIT", -amount_minor)
    } else {
        ("CRDT", amount_minor)
    }
}

fn write_camt053(currency: Currency, opening: i64, lines: &[Gen]) -> String {
    let amount = |minor: i64| minor_to_text(minor, currency, '.');
    let balance = |code: &str, minor: i64| {
        let (indicator, minor) = mark(minor);
        format!(
            "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{}</Amt>\
             <CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>2026-12-31</Dt></Dt></Bal>\n",
            amount(minor)
        )
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.04\">\n\
         <BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>\n<Stmt><Id>S1</Id>\n\
         <Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id></Acct>\n",
    );
    xml += &balance("OPBD", opening);
    xml += &balance("CLBD", closing(opening, lines));
    for line in lines {
        let indicator = if line.direction == Direction::Credit { "CRDT" } else { "DBIT" };
        let remittance = line
            .remittance
            .as_ref()
            .map_or(String::new(), |text| format!("<RmtInf><Ustrd>{text}</Ustrd></RmtInf>"));
        xml += &format!(
            "<Ntry><Amt Ccy=\"{currency}\">{}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{}<Sts>BOOK</Sts>\
             <BookgDt><Dt>{}</Dt></BookgDt><ValDt><Dt>{}</Dt></ValDt>\n<NtryDtls><TxDtls>\
             <Refs><AcctSvcrRef>{}</AcctSvcrRef></Refs>{remittance}</TxDtls></NtryDtls></Ntry>\n",
            amount(line.amount_minor),
            if line.reversal { "<RvslInd>true</RvslInd>" } else { "" },
            day(line.booking_days),
            day(line.value_days),
            line.reference,
        );
    }
    xml + "</Stmt></BkToCstmrStmt></Document>\n"
}

/// The account owner's reference an MT940 line is written with (at most 16 characters),
/// `NONREF` (none) for every other line.
fn owner_reference(line: &Gen) -> Option<String> {
    (line.reference.len() % 2 == 1).then(|| format!("OWN-{}", line.reference))
}

fn write_mt940(currency: Currency, opening: i64, lines: &[Gen]) -> String {
    let balance = |tag: &str, minor: i64| {
        let sign = if minor < 0 { "D" } else { "C" };
        format!(":{tag}:{sign}261231{currency}{}\n", minor_to_text(minor.abs(), currency, ','))
    };
    let mut text = format!(":20:M1\n:25:NL91ABNA0417164300\n:28C:1/1\n{}", balance("60F", opening));
    for line in lines {
        let mark = match (line.direction, line.reversal) {
            (Direction::Credit, false) => "C",
            (Direction::Debit, false) => "D",
            (Direction::Debit, true) => "RC",
            (Direction::Credit, true) => "RD",
        };
        let mut amount = minor_to_text(line.amount_minor, currency, ',');
        if currency.minor_units() == 0 {
            amount.push(',');
        }
        text += &format!(
            ":61:{}{}{mark}{amount}NTRF{}//{}\n",
            day(line.value_days).format("%y%m%d"),
            day(line.booking_days).format("%m%d"),
            owner_reference(line).as_deref().unwrap_or("NONREF"),
            line.reference
        );
        if let Some(remittance) = &line.remittance {
            text += &format!(":86:{remittance}\n");
        }
    }
    text + &balance("62F", closing(opening, lines))
}

fn write_n43(currency: Currency, opening: i64, lines: &[Gen]) -> String {
    // Norma 43 amounts have 2 decimals: currencies with fewer are written with ".00".
    let digits = |minor: i64| {
        let scaled = minor.abs() * 10i64.pow(2 - currency.minor_units());
        format!("{scaled:014}")
    };
    let key = |minor: i64| if minor < 0 { "1" } else { "2" };
    let numeric = crate::n43::numeric_code(currency);
    let pad = |record: String| format!("{record:<80}\r\n");
    let mut text = pad(format!(
        "11210004180200051332261201261231{}{}{numeric}3ROUND TRIP",
        key(opening),
        digits(opening)
    ));
    let mut records = 1;
    let (mut debits, mut credits) = ((0u32, 0i64), (0u32, 0i64));
    for line in lines {
        let (signed, total) = match line.direction {
            Direction::Credit => (line.amount_minor, &mut credits),
            Direction::Debit => (-line.amount_minor, &mut debits),
        };
        total.0 += 1;
        total.1 += line.amount_minor;
        text += &pad(format!(
            "22    0418{}{}02015{}{}{:10}{:12}{:<16}",
            day(line.booking_days).format("%y%m%d"),
            day(line.value_days).format("%y%m%d"),
            key(signed),
            digits(line.amount_minor),
            "",
            "",
            line.reference
        ));
        records += 1;
        if let Some(remittance) = &line.remittance {
            text += &pad(format!("2301{remittance:<38}"));
            records += 1;
        }
    }
    let closing = closing(opening, lines);
    text += &pad(format!(
        "33210004180200051332{:05}{}{:05}{}{}{}{numeric}",
        debits.0,
        digits(debits.1),
        credits.0,
        digits(credits.1),
        key(closing),
        digits(closing)
    ));
    text + &pad(format!("88{}{:06}", "9".repeat(18), records + 1))
}

fn csv_mapping() -> CsvMapping {
    CsvMapping::from_toml(
        "account = \"A-1\"\ndelimiter = \";\"\ndecimal_separator = \",\"\n\
         [columns]\nbooking_date = \"booked\"\nvalue_date = \"value\"\namount = \"amount\"\n\
         currency = \"ccy\"\nreference = \"ref\"\nremittance = \"text\"\nbalance = \"balance\"\n",
        "mapping.toml",
    )
    .unwrap()
}

fn write_csv(currency: Currency, opening: i64, lines: &[Gen]) -> String {
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    writer.write_record(["booked", "value", "amount", "ccy", "ref", "text", "balance"]).unwrap();
    let mut balance = opening;
    for line in lines {
        let signed = if line.direction == Direction::Credit {
            line.amount_minor
        } else {
            -line.amount_minor
        };
        writer
            .write_record([
                day(line.booking_days).to_string(),
                day(line.value_days).to_string(),
                minor_to_text(signed, currency, ','),
                currency.code().to_owned(),
                line.reference.clone(),
                line.remittance.clone().unwrap_or_default(),
                {
                    balance += signed;
                    minor_to_text(balance, currency, ',')
                },
            ])
            .unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn read(
    format: Format,
    text: &str,
    mapping: Option<&CsvMapping>,
) -> Result<Vec<Statement>, TestCaseError> {
    parse("generated", text.as_bytes(), FormatChoice::Given(format), mapping)
        .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))
}

const ANY: &[Currency] =
    &[Currency::EUR, Currency::USD, Currency::CLP, Currency::JPY, Currency::KWD];
const TWO_OR_FEWER: &[Currency] = &[Currency::EUR, Currency::USD, Currency::CLP, Currency::JPY];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn camt053_round_trip((currency, opening, lines) in gen_statement(ANY)) {
        let statements = read(Format::Camt053, &write_camt053(currency, opening, &lines), None)?;
        let statement = &statements[0];
        prop_assert!(balance_holds(statement));
        prop_assert_eq!(statement.currency, currency);
        prop_assert_eq!(statement.lines.len(), lines.len());
        for (line, generated) in statement.lines.iter().zip(&lines) {
            prop_assert_eq!(got(line), expected(generated));
            prop_assert_eq!(&line.bank_reference, &generated.reference);
            prop_assert_eq!(line.is_reversal, generated.reversal);
        }
    }

    #[test]
    fn mt940_round_trip((currency, opening, lines) in gen_statement(ANY)) {
        let statements = read(Format::Mt940, &write_mt940(currency, opening, &lines), None)?;
        let statement = &statements[0];
        prop_assert!(balance_holds(statement));
        prop_assert_eq!(statement.opening_balance_minor, Some(opening));
        for (line, generated) in statement.lines.iter().zip(&lines) {
            prop_assert_eq!(got(line), expected(generated));
            prop_assert_eq!(&line.bank_reference, &generated.reference);
            prop_assert_eq!(&line.owner_reference, &owner_reference(generated));
            prop_assert_eq!(line.is_reversal, generated.reversal);
        }
        prop_assert_eq!(statement.lines.len(), lines.len());
    }

    /// ING's old export framing (its header lines before `:20:`, `-XXX` after the message)
    /// changes nothing in what is read but the lines' numbers.
    #[test]
    fn mt940_in_ing_framing_reads_the_same(
        (currency, opening, lines) in gen_statement(ANY),
        trailer in prop::sample::select(vec!["-XXX\n", "XXX\n", "-XXX"]),
    ) {
        let plain = write_mt940(currency, opening, &lines);
        let header = "0000 01INGBNL2AXXXX00001\n0000 01INGBNL2AXXXX00001\n940 00\n";
        let framed = format!("{header}{plain}{trailer}");
        let mut expected = read(Format::Mt940, &plain, None)?;
        let got = read(Format::Mt940, &framed, None)?;
        for line in expected.iter_mut().flat_map(|statement| statement.lines.iter_mut()) {
            line.location.line += 3;
        }
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn norma43_round_trip((currency, opening, lines) in gen_statement(TWO_OR_FEWER)) {
        let statements = read(Format::Norma43, &write_n43(currency, opening, &lines), None)?;
        let statement = &statements[0];
        prop_assert!(balance_holds(statement));
        prop_assert_eq!(statement.lines.len(), lines.len());
        for (line, generated) in statement.lines.iter().zip(&lines) {
            prop_assert_eq!(got(line), expected(generated));
            let reference = format!(
                "210004180200051332/{}/02015///{}",
                day(generated.booking_days).format("%y%m%d"),
                generated.reference
            );
            prop_assert_eq!(&line.bank_reference, &reference);
        }
    }

    /// Reading by the AEB's annex 4 (`n43-sepa`) changes nothing in accounts of information
    /// modes 1 and 2, and in mode 3 only the fields the annex defines (payer, end-to-end id,
    /// remittance): amounts, dates, references and balances read the same.
    #[test]
    fn norma43_annex_4_reads_only_mode_3_and_only_its_text(
        (currency, opening, lines) in gen_statement(TWO_OR_FEWER),
        mode in prop::sample::select(vec!['1', '2', '3']),
    ) {
        let mut text = write_n43(currency, opening, &lines);
        text.replace_range(50..51, &mode.to_string());
        let general = read(Format::Norma43, &text, None)?;
        let annex = parse("generated", text.as_bytes(), FormatChoice::Norma43Sepa, None)
            .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;
        if mode == '3' {
            let text_fields_cleared = |statements: &[Statement]| {
                let mut statements = statements.to_vec();
                for line in statements.iter_mut().flat_map(|statement| statement.lines.iter_mut()) {
                    line.payer_name = None;
                    line.end_to_end_id = None;
                    line.remittance_unstructured = None;
                }
                statements
            };
            prop_assert_eq!(text_fields_cleared(&annex), text_fields_cleared(&general));
        } else {
            prop_assert_eq!(annex, general);
        }
    }

    #[test]
    fn csv_round_trip((currency, opening, lines) in gen_statement(ANY)) {
        let mapping = csv_mapping();
        let statements = read(Format::Csv, &write_csv(currency, opening, &lines), Some(&mapping));
        if lines.is_empty() {
            // No row, so no currency and no statement: the file is refused as empty.
            prop_assert!(statements.is_err());
            return Ok(());
        }
        let statements = statements?;
        prop_assert!(balance_holds(&statements[0]));
        // The writer puts rows oldest first, which the reader tries first.
        prop_assert_eq!(statements[0].opening_balance_minor, Some(opening));
        for (line, generated) in statements[0].lines.iter().zip(&lines) {
            prop_assert_eq!(got(line), expected(generated));
            prop_assert_eq!(&line.bank_reference, &generated.reference);
        }
        prop_assert_eq!(statements[0].lines.len(), lines.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for choice in choices() {
            let _ = parse("random", &bytes, choice, Some(&csv_mapping()));
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(
        (currency, opening, lines) in gen_statement(TWO_OR_FEWER),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let files = [
            write_camt053(currency, opening, &lines),
            write_mt940(currency, opening, &lines),
            write_n43(currency, opening, &lines),
            write_csv(currency, opening, &lines),
        ];
        for file in files {
            let mut bytes = file.into_bytes();
            for (index, byte, kind) in &edits {
                if bytes.is_empty() {
                    break;
                }
                let at = index.index(bytes.len());
                match kind {
                    0 => bytes[at] = *byte,
                    1 => { bytes.remove(at); }
                    _ => bytes.insert(at, *byte),
                }
            }
            for choice in choices() {
                if let Ok(statements) = parse("mutated", &bytes, choice, Some(&csv_mapping())) {
                    // Whatever is accepted has passed its checks.
                    prop_assert!(statements.iter().all(balance_holds));
                }
            }
        }
    }
}

fn choices() -> [FormatChoice; 6] {
    [
        FormatChoice::Auto,
        FormatChoice::Given(Format::Camt053),
        FormatChoice::Given(Format::Camt054),
        FormatChoice::Given(Format::Mt940),
        FormatChoice::Given(Format::Norma43),
        FormatChoice::Given(Format::Csv),
    ]
}

#[test]
fn deeply_nested_xml_is_refused_not_overflowed() {
    let depth = 100_000;
    let xml = format!("<Document>{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let error =
        parse("deep.xml", xml.as_bytes(), FormatChoice::Given(Format::Camt053), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "deep.xml: line 1: malformed XML: elements nested deeper than 64"
    );
}

#[test]
fn locations_display_line_and_element() {
    assert_eq!(Location::line(7).to_string(), "line 7");
    let at = Location { line: 3, element: Some("Stmt[1]/Ntry[2]".to_owned()) };
    assert_eq!(at.to_string(), "line 3 (Stmt[1]/Ntry[2])");
}

proptest! {
    /// Every date written as an `xs:date` or `xs:dateTime`, with any time, fraction and zone,
    /// reads back as the date written; a character more after it is refused.
    #[test]
    fn xml_dates_read_as_written_and_nothing_more(
        days in -40_000i64..40_000,
        seconds in 0u32..86_400,
        fraction in prop::option::of("[0-9]{1,9}"),
        zone in prop::sample::select(vec!["", "Z", "+01:00", "-05:30", "+14:00", "-12:00"]),
        junk in "[0-9A-Za-z :.+-]",
    ) {
        let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + Duration::days(days);
        let time = format!("{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
        let fraction = fraction.map_or(String::new(), |digits| format!(".{digits}"));
        let day = format!("{}{zone}", date.format("%Y-%m-%d"));
        let moment = format!("{}T{time}{fraction}{zone}", date.format("%Y-%m-%d"));
        prop_assert_eq!(crate::text::xml_date(&day, false, "Dt"), Ok(date));
        prop_assert_eq!(crate::text::xml_date(&moment, true, "DtTm"), Ok(date));
        prop_assert!(crate::text::xml_date(&moment, false, "Dt").is_err());
        let longer = format!("{moment}{junk}");
        // A digit after a fraction only lengthens it, and `Z` after no zone is one.
        let still_valid = (junk.chars().all(|c| c.is_ascii_digit()) && !fraction.is_empty())
            || (zone.is_empty() && junk == "Z");
        if !still_valid {
            prop_assert!(crate::text::xml_date(&longer, true, "DtTm").is_err(), "{}", longer);
        }
    }
}
