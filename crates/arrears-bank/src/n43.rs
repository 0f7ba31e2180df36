//! AEB Norma 43 (Cuaderno 43): the Spanish banks' statement of 80-character records.
//!
//! Records, by their first two characters (positions 1-based, inclusive, as the AEB layout
//! gives them):
//! - `11` account header: entity 3-6, office 7-10, account 11-20, first date 21-26 and last
//!   date 27-32 (`YYMMDD`), balance key 33 (`1` debit, `2` credit), opening balance 34-47
//!   (14 digits, 2 implied decimals), currency 48-50 (ISO 4217 numeric), information mode 51,
//!   short name 52-77.
//! - `22` movement: origin office 7-10, operation date 11-16, value date 17-22, common concept
//!   23-24, own concept 25-27, key 28 (`1` debit, `2` credit), amount 29-42, document number
//!   43-52, reference 1 53-64, reference 2 65-80.
//! - `23` complementary concept (up to five per movement, data codes `01`-`05`): code 3-4, two
//!   concept texts 5-42 and 43-80, in every information mode, for banks' mode 3 files mostly
//!   keep the two concepts; read as [`crate::FormatChoice::Norma43Sepa`], an account of mode
//!   3 has its records 23 read by the AEB's annex 4 instead (the SEPA data of transfers and
//!   direct debits across them; see `annex_4`).
//! - `24` amount equivalence: code 3-4, original currency 5-7, amount 8-21.
//! - `33` end of account: entity, office, account 3-20, debit count 21-25, debit total 26-39,
//!   credit count 40-44, credit total 45-58, closing key 59, closing balance 60-73, currency
//!   74-76.
//! - `88` end of file: nines 3-20, record count 21-26 (every record from 11 to 33; not the
//!   88 itself nor the optional file header `00`: entity 3-6, date 7-12, that some banks send
//!   first, and may count: a count that includes it is accepted too).
//!
//! A record may come with its trailing blanks trimmed (many banks and tools do): it reads as
//! if padded to 80 characters, as long as its mandatory fields are there. Blanks past the
//! 80th character are padding too. Records end in LF, CRLF or CR alone, or, in a file without
//! line ends, follow each other every 80 characters.
//!
//! The statement's account is the IBAN computed from entity, office and number (with the CCC
//! control digits); the statement id keeps the 18 digits as given.
//!
//! Norma 43 has no unique movement reference: [`crate::StatementLine::bank_reference`] is
//! composed as `account/operation date/concepts/document/reference 1/reference 2`
//! ([`crate::ReferenceKind::Composed`]), with `#2`, `#3` added to repeats in the file.

use arrears_core::money::Currency;

use crate::amount::implied_to_minor;
use crate::check::{self, Totals};
use crate::error::{Failure, Location, Problem};
use crate::text::{decode_latin1_or_cp850, yymmdd};
use crate::{Direction, Format, ReferenceKind, Statement, StatementLine};

/// The length of every Norma 43 record.
const RECORD_LEN: usize = 80;

/// The most complementary-concept records (23) one movement may have.
const CONCEPTS_PER_MOVEMENT_MAX: usize = 5;

/// ISO 4217 numeric codes of the Arrears currency table, as record 11 and 33 give them.
const NUMERIC_CURRENCIES: &[(&str, &str)] = &[
    ("032", "ARS"),
    ("036", "AUD"),
    ("124", "CAD"),
    ("152", "CLP"),
    ("156", "CNY"),
    ("170", "COP"),
    ("356", "INR"),
    ("392", "JPY"),
    ("414", "KWD"),
    ("484", "MXN"),
    ("604", "PEN"),
    ("756", "CHF"),
    ("826", "GBP"),
    ("840", "USD"),
    ("858", "UYU"),
    ("978", "EUR"),
    ("986", "BRL"),
];

/// The ISO 4217 numeric code of a currency (for writers).
#[cfg(test)]
pub(crate) fn numeric_code(currency: Currency) -> &'static str {
    NUMERIC_CURRENCIES.iter().find(|(_, code)| *code == currency.code()).map_or("000", |(n, _)| n)
}

/// One record: its line number and characters.
struct Record {
    line: u32,
    chars: Vec<char>,
}

impl Record {
    fn at(&self) -> Location {
        Location::line(self.line)
    }

    /// Positions `first..=last`, 1-based as in the layout; a record whose trailing blanks
    /// were trimmed gives what it has of the field (blanks are no content).
    fn field(&self, first: usize, last: usize) -> String {
        let last = last.min(self.chars.len());
        self.chars.get(first - 1..last).map_or_else(String::new, |chars| chars.iter().collect())
    }

    fn code(&self) -> String {
        self.field(1, 2)
    }

    fn fail(&self, problem: Problem) -> Failure {
        (self.at(), problem)
    }

    /// Refuses a record shorter than its mandatory fields or longer than 80.
    fn require_len(&self, needed: usize) -> Result<(), Failure> {
        let length = self.chars.len();
        if length > RECORD_LEN {
            return Err(self.fail(Problem::RecordTooLong { length, length_max: RECORD_LEN }));
        }
        if length < needed {
            return Err(self.fail(Problem::TruncatedRecord {
                record: self.code(),
                length,
                needed,
            }));
        }
        Ok(())
    }

    fn number(&self, first: usize, last: usize, what: &'static str) -> Result<u64, Failure> {
        let text = self.field(first, last);
        text.parse::<u64>().map_err(|_| {
            self.fail(Problem::Malformed { what, found: text.clone(), expected: "digits" })
        })
    }

    fn amount(
        &self,
        first: usize,
        last: usize,
        currency: Currency,
        what: &'static str,
    ) -> Result<i64, Failure> {
        implied_to_minor(&self.field(first, last), 2, currency, what).map_err(|p| self.fail(p))
    }

    fn direction(&self, position: usize, what: &'static str) -> Result<Direction, Failure> {
        match self.field(position, position).as_str() {
            "1" => Ok(Direction::Debit),
            "2" => Ok(Direction::Credit),
            found => Err(self.fail(Problem::Malformed {
                what,
                found: found.to_owned(),
                expected: "1 (debit) or 2 (credit)",
            })),
        }
    }

    fn date(&self, first: usize, what: &'static str) -> Result<chrono::NaiveDate, Failure> {
        yymmdd(&self.field(first, first + 5), what).map_err(|p| self.fail(p))
    }

    fn currency(&self, first: usize) -> Result<Currency, Failure> {
        let code = self.field(first, first + 2);
        NUMERIC_CURRENCIES
            .iter()
            .find(|(numeric, _)| *numeric == code)
            .and_then(|(_, alpha)| Currency::from_code(alpha).ok())
            .ok_or_else(|| self.fail(Problem::UnknownCurrency { code }))
    }
}

/// An account being read: its header and the movements so far.
struct Open {
    statement: Statement,
    key: String,
    concepts: usize,
    /// Its records 23 are read by the AEB's annex 4 (asked for, and information mode 3).
    annex_4: bool,
    /// The current movement's SEPA data so far, when read by annex 4.
    sepa: Sepa,
}

/// How a file's records 23 are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concepts {
    /// As the general layout's two concepts of 38 characters, in every information mode.
    General,
    /// In accounts of information mode 3, as the AEB's annex 4 (June 2012) lays out the SEPA
    /// data of transfers and direct debits; other modes as the general layout.
    Annex4,
}

/// The SEPA data of one movement's records 23 read by annex 4.
#[derive(Debug, Default)]
struct Sepa {
    /// 23-01 opens with a direct debit's scheme (`CORE`, `B2B`): annex 4 section 2, else a
    /// transfer (section 1).
    is_direct_debit: bool,
    /// The concept (AT-05 of a transfer, AT-22 of a direct debit): 23-03 from 13, going on
    /// in 23-04 from 5 to 76.
    concept: String,
    /// The concept of 23-03 ran to position 80, so 23-04 goes on with the same word.
    concept_runs_on: bool,
    /// A transfer's 23-05, free text for the beneficiary.
    additional: String,
}

/// The reader's state across records.
struct Reader {
    concepts: Concepts,
    statements: Vec<Statement>,
    open: Option<Open>,
    records_before_end: u64,
    ended: bool,
    /// A record has been read (the file header `00` may only come first).
    started: bool,
    /// The file began with the optional header `00`.
    file_header: bool,
}

pub(crate) fn parse(bytes: &[u8], concepts: Concepts) -> Result<Vec<Statement>, Failure> {
    let text = decode_latin1_or_cp850(bytes);
    let mut reader = Reader {
        concepts,
        statements: Vec::new(),
        open: None,
        records_before_end: 0,
        ended: false,
        started: false,
        file_header: false,
    };
    let mut last_line = 0;
    for (index, line) in records_of(&text).into_iter().enumerate() {
        last_line = index as u32 + 1;
        let mut chars: Vec<char> = line.chars().collect();
        // Blanks past the 80th character are padding, not content.
        if chars.get(RECORD_LEN..).is_some_and(|past| past.iter().all(|&c| c == ' ')) {
            chars.truncate(RECORD_LEN);
        }
        let record = Record { line: last_line, chars };
        if record.chars.iter().all(|c| c.is_whitespace()) {
            continue;
        }
        if reader.ended {
            let found = format!("record {} after the end of file", record.code());
            return Err(
                record.fail(Problem::Unexpected { found, expected: "nothing after record 88" })
            );
        }
        reader.record(&record)?;
    }
    let end = Location::line(last_line.max(1));
    if reader.open.is_some() {
        return Err((end, Problem::UnexpectedEnd { what: "record 33 (end of account)" }));
    }
    if !reader.ended {
        return Err((end, Problem::UnexpectedEnd { what: "record 88 (end of file)" }));
    }
    Ok(reader.statements)
}

/// The file's records: its lines, ending in LF, CRLF or CR alone (old systems); or, in a file
/// without any line end whose length is a multiple of 80, its 80-character records (fixed-length
/// records, as host-to-host transfers deliver them).
fn records_of(text: &str) -> Vec<&str> {
    if !text.contains(['\n', '\r']) {
        let length = text.chars().count();
        if length > RECORD_LEN && length % RECORD_LEN == 0 {
            let starts: Vec<usize> =
                text.char_indices().map(|(at, _)| at).step_by(RECORD_LEN).collect();
            let ends = starts.iter().skip(1).copied().chain([text.len()]);
            return starts.iter().zip(ends).map(|(&start, end)| &text[start..end]).collect();
        }
    }
    let mut lines: Vec<&str> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        lines.push(&rest[..end]);
        let after = &rest[end..];
        rest = after.strip_prefix("\r\n").or_else(|| after.get(1..)).unwrap_or("");
    }
    lines
}

impl Reader {
    fn record(&mut self, record: &Record) -> Result<(), Failure> {
        let first = !std::mem::replace(&mut self.started, true);
        match record.code().as_str() {
            "00" => return self.file_header(record, first),
            "11" => self.header(record)?,
            "22" => self.movement(record)?,
            "23" => self.concept(record)?,
            "24" => self.equivalence(record)?,
            "33" => self.end_of_account(record)?,
            "88" => return self.end_of_file(record),
            code => {
                let found = format!("record code {code:?}");
                return Err(record
                    .fail(Problem::Unexpected { found, expected: "11, 22, 23, 24, 33 or 88" }));
            }
        }
        self.records_before_end += 1;
        Ok(())
    }

    /// The optional file header `00` (entity 3-6, date 7-12), which some banks send before
    /// the first account: only the first record may be one, and the record 88 count leaves it
    /// out.
    fn file_header(&mut self, record: &Record, first: bool) -> Result<(), Failure> {
        if !first {
            let found = "record 00".to_owned();
            return Err(
                record.fail(Problem::Unexpected { found, expected: "record 00 only first" })
            );
        }
        record.require_len(12)?;
        record.date(7, "file date")?;
        self.file_header = true;
        Ok(())
    }

    fn header(&mut self, record: &Record) -> Result<(), Failure> {
        if self.open.is_some() {
            let found = "record 11".to_owned();
            return Err(record.fail(Problem::Unexpected {
                found,
                expected: "record 33 before the next account",
            }));
        }
        record.require_len(50)?;
        let key = record.field(3, 20);
        if !key.chars().all(|c| c.is_ascii_digit()) {
            let problem = Problem::Malformed {
                what: "entity, office and account",
                found: key,
                expected: "18 digits",
            };
            return Err(record.fail(problem));
        }
        let first_on = record.date(21, "first date")?;
        if record.date(27, "last date")? < first_on {
            return Err(record.fail(Problem::Malformed {
                what: "record 11 last date",
                found: record.field(27, 32),
                expected: "a date on or after the first date (positions 21-26)",
            }));
        }
        let currency = record.currency(48)?;
        let sign = record.direction(33, "opening balance key")?;
        let opening = record.amount(34, 47, currency, "opening balance")?;
        let statement = Statement {
            format: Format::Norma43,
            message_id: None,
            statement_id: Some(format!("{key}/{}", first_on.format("%Y-%m-%d"))),
            account: spanish_iban(&key),
            currency,
            opening_balance_minor: Some(signed(sign, opening)),
            closing_balance_minor: None,
            lines: Vec::new(),
        };
        let annex_4 = self.concepts == Concepts::Annex4 && record.field(51, 51) == "3";
        self.open = Some(Open { statement, key, concepts: 0, annex_4, sepa: Sepa::default() });
        Ok(())
    }

    fn open_account(&mut self, record: &Record) -> Result<&mut Open, Failure> {
        let found = format!("record {}", record.code());
        self.open.as_mut().ok_or_else(|| {
            record.fail(Problem::Unexpected { found, expected: "a record 11 first" })
        })
    }

    fn movement(&mut self, record: &Record) -> Result<(), Failure> {
        let open = self.open.as_mut().ok_or_else(|| {
            let found = "record 22".to_owned();
            record.fail(Problem::Unexpected { found, expected: "a record 11 first" })
        })?;
        record.require_len(42)?;
        let currency = open.statement.currency;
        let booking_on = record.date(11, "operation date")?;
        let value_on = record.date(17, "value date")?;
        let direction = record.direction(28, "movement key")?;
        let amount_minor = record.amount(29, 42, currency, "movement amount")?;
        let trimmed = |first, last| record.field(first, last).trim().to_owned();
        let composed = format!(
            "{}/{}/{}{}/{}/{}/{}",
            open.key,
            record.field(11, 16),
            record.field(23, 24),
            record.field(25, 27),
            trimmed(43, 52),
            trimmed(53, 64),
            trimmed(65, 80)
        );
        open.statement.lines.push(StatementLine {
            location: record.at(),
            booking_on,
            value_on,
            amount_minor,
            direction,
            bank_reference: composed,
            reference_kind: ReferenceKind::Composed,
            repeat: None,
            remittance_unstructured: None,
            creditor_reference: None,
            payer_name: None,
            payer_account: None,
            return_reason: None,
            is_reversal: false,
            end_to_end_id: None,
            owner_reference: None,
            transaction_code: Some(format!("{}/{}", record.field(23, 24), record.field(25, 27))),
        });
        open.concepts = 0;
        open.sepa = Sepa::default();
        Ok(())
    }

    fn concept(&mut self, record: &Record) -> Result<(), Failure> {
        let open = self.open_account(record)?;
        record.require_len(4)?;
        let Some(line) = open.statement.lines.last_mut() else {
            let found = "record 23".to_owned();
            return Err(record.fail(Problem::Unexpected { found, expected: "a record 22 first" }));
        };
        let code = record.field(3, 4);
        if !matches!(code.as_str(), "01" | "02" | "03" | "04" | "05") {
            let problem = Problem::Malformed {
                what: "record 23 data code",
                found: code,
                expected: "01 to 05",
            };
            return Err(record.fail(problem));
        }
        open.concepts += 1;
        if open.concepts > CONCEPTS_PER_MOVEMENT_MAX {
            let declared = CONCEPTS_PER_MOVEMENT_MAX as u64;
            let problem = Problem::CountMismatch {
                what: "records 23 per movement (at most)",
                declared,
                counted: open.concepts as u64,
            };
            return Err(record.fail(problem));
        }
        if open.annex_4 {
            annex_4(record, &code, &mut open.sepa, line);
            return Ok(());
        }
        let text = format!("{} {}", record.field(5, 42).trim(), record.field(43, 80).trim());
        let text = text.trim();
        if !text.is_empty() {
            let joined = match line.remittance_unstructured.take() {
                Some(before) => format!("{before} {text}"),
                None => text.to_owned(),
            };
            line.remittance_unstructured = Some(joined);
        }
        Ok(())
    }

    fn equivalence(&mut self, record: &Record) -> Result<(), Failure> {
        let open = self.open_account(record)?;
        record.require_len(21)?;
        if open.statement.lines.is_empty() {
            let found = "record 24".to_owned();
            return Err(record.fail(Problem::Unexpected { found, expected: "a record 22 first" }));
        }
        // The equivalent is in the original currency and is not a movement of the account:
        // only its form is checked. The original currency may be any (a payment from Sweden
        // or Morocco), not only those of the Arrears table that a statement may be kept in.
        let digits = |text: &str, length: usize| {
            text.len() == length && text.bytes().all(|byte| byte.is_ascii_digit())
        };
        let original = record.field(5, 7);
        if !digits(&original, 3) {
            return Err(record.fail(Problem::Malformed {
                what: "record 24 original currency",
                found: original,
                expected: "an ISO 4217 numeric code of 3 digits",
            }));
        }
        let amount = record.field(8, 21);
        if !digits(&amount, 14) {
            return Err(
                record.fail(Problem::BadAmount { what: "equivalent amount", found: amount })
            );
        }
        Ok(())
    }

    fn end_of_account(&mut self, record: &Record) -> Result<(), Failure> {
        let Open { mut statement, key, .. } = self.open.take().ok_or_else(|| {
            let found = "record 33".to_owned();
            record.fail(Problem::Unexpected { found, expected: "a record 11 first" })
        })?;
        record.require_len(76)?;
        if record.field(3, 20) != key {
            let found = format!("account {} in record 33", record.field(3, 20));
            return Err(
                record.fail(Problem::Unexpected { found, expected: "the account of record 11" })
            );
        }
        let currency = statement.currency;
        let found = record.currency(74)?;
        if found != currency {
            let problem =
                Problem::CurrencyMismatch { expected: currency, found: found.code().to_owned() };
            return Err(record.fail(problem));
        }
        let totals = Totals::of(&statement.lines);
        let at = record.at();
        check::count(
            "record 33 debit count",
            record.number(21, 25, "debit count")?,
            totals.debit_count,
            &at,
        )?;
        check::total(
            "record 33 debit total",
            record.amount(26, 39, currency, "debit total")?,
            totals.debits_minor,
            &at,
        )?;
        check::count(
            "record 33 credit count",
            record.number(40, 44, "credit count")?,
            totals.credit_count,
            &at,
        )?;
        check::total(
            "record 33 credit total",
            record.amount(45, 58, currency, "credit total")?,
            totals.credits_minor,
            &at,
        )?;
        let sign = record.direction(59, "closing balance key")?;
        let closing = signed(sign, record.amount(60, 73, currency, "closing balance")?);
        let opening = statement.opening_balance_minor.unwrap_or(0);
        check::balance(currency, opening, totals, closing, &at)?;
        statement.closing_balance_minor = Some(closing);
        self.statements.push(statement);
        Ok(())
    }

    fn end_of_file(&mut self, record: &Record) -> Result<(), Failure> {
        if self.open.is_some() {
            let found = "record 88".to_owned();
            return Err(record.fail(Problem::Unexpected {
                found,
                expected: "record 33 before the end of file",
            }));
        }
        record.require_len(26)?;
        let nines = record.field(3, 20);
        if nines != "9".repeat(18) {
            let problem =
                Problem::Malformed { what: "record 88 filler", found: nines, expected: "18 nines" };
            return Err(record.fail(problem));
        }
        let declared = record.number(21, 26, "record count")?;
        // The layout counts the records from 11 to 33; a bank that sends the header `00`
        // may count it too.
        let with_header = self.file_header && declared == self.records_before_end + 1;
        if !with_header {
            check::count(
                "record 88 record count",
                declared,
                self.records_before_end,
                &record.at(),
            )?;
        }
        self.ended = true;
        Ok(())
    }
}

/// Reads one record 23 of a mode 3 movement by the AEB's annex 4 (June 2012) into its line.
///
/// A SEPA transfer (section 1): 23-01 the originator's name (AT-02) 5-70 and code 71-80;
/// 23-02 the originator's reference (AT-41, the end-to-end id) 5-39 and the name of the party
/// it pays on behalf of (AT-08) 40-80; 23-03 purpose (AT-44) 5-8, its category (AT-45) 9-12
/// and the concept (AT-05) 13-80, going on in 23-04 at 5-76; 23-05 free text for the
/// beneficiary 5-80. A SEPA direct debit (section 2), told by its scheme (AT-20, `CORE` or
/// `B2B`) at 5-8 of 23-01: the creditor's name (AT-03) 9-78; 23-02 the creditor's id (AT-02)
/// 5-39 and the mandate (AT-01) 40-74; 23-03 and 23-04 its concept (AT-22) as a transfer's;
/// 23-05 the creditor's reference (AT-10, the end-to-end id of the collection) 5-39 and the
/// debtor's name (AT-14) 40-80.
///
/// The line's payer is the other party: the originator or debtor of a credit, the
/// beneficiary's creditor of a debit. Its remittance is the concept, a transfer's free text
/// after it; its end-to-end id the AT-41 or AT-10 (none when `NOTPROVIDED`).
fn annex_4(record: &Record, code: &str, sepa: &mut Sepa, line: &mut StatementLine) {
    let trimmed = |first, last| record.field(first, last).trim().to_owned();
    let some = |text: String| (!text.is_empty()).then_some(text);
    let end_to_end = |text: String| some(text).filter(|id| id != "NOTPROVIDED");
    let is_credit = line.direction == Direction::Credit;
    match code {
        "01" => {
            sepa.is_direct_debit = matches!(trimmed(5, 8).as_str(), "CORE" | "B2B");
            if sepa.is_direct_debit {
                if !is_credit {
                    line.payer_name = some(trimmed(9, 78));
                }
            } else if is_credit {
                line.payer_name = some(trimmed(5, 70));
            }
        }
        "02" if !sepa.is_direct_debit => line.end_to_end_id = end_to_end(trimmed(5, 39)),
        "03" => {
            sepa.concept = trimmed(13, 80);
            // A record trimmed of its trailing blanks ended its concept before position 80.
            sepa.concept_runs_on = record.chars.len() >= 80 && record.chars[79] != ' ';
        }
        "04" => {
            let more = trimmed(5, 76);
            if !more.is_empty() {
                let joint = if sepa.concept_runs_on || sepa.concept.is_empty() { "" } else { " " };
                sepa.concept = format!("{}{joint}{more}", sepa.concept);
            }
        }
        "05" if sepa.is_direct_debit => {
            line.end_to_end_id = end_to_end(trimmed(5, 39));
            if is_credit {
                line.payer_name = some(trimmed(40, 80));
            }
        }
        "05" => sepa.additional = trimmed(5, 80),
        _ => {}
    }
    let text = [sepa.concept.as_str(), sepa.additional.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    line.remittance_unstructured = some(text.split_whitespace().collect::<Vec<_>>().join(" "));
}

/// The IBAN of a Spanish account from its entity, office and number (18 digits): the two
/// CCC control digits (weights 1, 2, 4, 8, 5, 10, 9, 7, 3, 6 modulo 11, over `00` + entity +
/// office and over the number), then `ES` and the IBAN check digits (mod 97).
fn spanish_iban(key: &str) -> String {
    let control = |digits: &str| {
        let weights = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
        let sum: u32 = digits.bytes().zip(weights).map(|(d, w)| u32::from(d - b'0') * w).sum();
        match 11 - sum % 11 {
            11 => 0,
            10 => 1,
            digit => digit,
        }
    };
    let (bank, number) = key.split_at(8);
    let ccc = format!("{bank}{}{}{number}", control(&format!("00{bank}")), control(number));
    let check = 98 - crate::rf::remainder_97(&format!("{ccc}ES00"));
    format!("ES{check:02}{ccc}")
}

/// A balance signed by its key: a debit balance (overdrawn) is negative.
fn signed(direction: Direction, amount_minor: i64) -> i64 {
    match direction {
        Direction::Credit => amount_minor,
        Direction::Debit => -amount_minor,
    }
}
