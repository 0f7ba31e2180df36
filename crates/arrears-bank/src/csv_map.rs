//! CSV statements read through a mapping file (TOML) that says which column holds what.
//!
//! ```toml
//! account = "ES9121000418450200051332"   # the statement's account (fixed)
//! currency = "EUR"                        # fixed; or name a `currency` column below
//! delimiter = ";"
//! skip_rows = 2                           # rows before the header (titles, blank rows)
//! header = true                           # the next row names the columns
//! decimal_separator = ","
//! thousands_separator = "."
//! date_format = "%d/%m/%Y"                # chrono strftime
//!
//! [columns]                               # by header name, or by 1-based number
//! booking_date = "Fecha"
//! value_date = "Fecha valor"
//! amount = "Importe"                      # signed: negative is a debit
//! # debit = "Cargo"                       # or two unsigned columns instead of `amount`
//! # credit = "Abono"
//! reference = "Referencia"
//! remittance = "Concepto"
//! payer_name = "Ordenante"
//! payer_account = 7
//! balance = "Saldo"                       # optional: the balance after each row
//! ```
//!
//! An optional `balance` column (the balance after each row, as many banks export) is checked:
//! each row's balance must follow from its neighbour's and its amount, rows oldest first or
//! newest first; the statement then has opening and closing balances.
//!
//! Without a `reference` column (or where it is empty), [`crate::StatementLine::bank_reference`]
//! is composed as `account/booking date/signed amount`, `#2`, `#3` added to repeats in the
//! file. Without a `balance` column there is no balance check; currency, amount and date
//! checks always apply.

use std::collections::HashMap;

use arrears_core::located_toml::{LocatedError, TomlSource};
use arrears_core::money::Currency;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::amount::to_minor;
use crate::check;
use crate::error::{Failure, Location, Problem};
use crate::text::decode;
use crate::{Direction, Format, ReferenceKind, Statement, StatementLine};

/// A column of a CSV file: by its header name or its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Column {
    /// The 1-based column number.
    Number(usize),
    /// The name in the header row.
    Name(String),
}

/// Which column holds what; see the module example for the TOML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// The booking date (required).
    pub booking_date: Option<Column>,
    /// The value date (else the booking date).
    pub value_date: Option<Column>,
    /// A signed amount, negative for debits.
    pub amount: Option<Column>,
    /// An unsigned debit amount (with `credit`, instead of `amount`).
    pub debit: Option<Column>,
    /// An unsigned credit amount (with `debit`, instead of `amount`).
    pub credit: Option<Column>,
    /// The bank's reference of the movement.
    pub reference: Option<Column>,
    /// Free-text remittance information.
    pub remittance: Option<Column>,
    /// A structured creditor reference (RF).
    pub creditor_reference: Option<Column>,
    /// The payer's name.
    pub payer_name: Option<Column>,
    /// The payer's account.
    pub payer_account: Option<Column>,
    /// The row's currency code.
    pub currency: Option<Column>,
    /// The account's balance after each row (signed), when the bank exports it: then every
    /// row's balance must follow from the previous one and its amount, rows oldest first or
    /// newest first, and the statement gets opening and closing balances.
    pub balance: Option<Column>,
}

/// How to read one bank's CSV export; load it with [`CsvMapping::from_toml`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// The statement's account.
    pub account: String,
    /// The currency of every row, when fixed.
    pub currency: Option<String>,
    /// The field delimiter, one ASCII character (default `,`).
    #[serde(default = "comma")]
    pub delimiter: String,
    /// Lines to skip before the header (or before the data without a header), blank lines
    /// included.
    #[serde(default)]
    pub skip_rows: usize,
    /// Whether a header row names the columns (default true).
    #[serde(default = "yes")]
    pub header: bool,
    /// The decimal separator (default `.`).
    #[serde(default = "dot")]
    pub decimal_separator: char,
    /// A thousands separator to drop, if the bank writes one.
    pub thousands_separator: Option<char>,
    /// The date format, chrono strftime (default `%Y-%m-%d`).
    #[serde(default = "iso")]
    pub date_format: String,
    /// The columns.
    pub columns: Columns,
}

fn comma() -> String {
    ",".to_owned()
}
fn yes() -> bool {
    true
}
fn dot() -> char {
    '.'
}
fn iso() -> String {
    "%Y-%m-%d".to_owned()
}

/// The most rows `skip_rows` may skip before the header: a bank's export puts a few title
/// rows there, and a larger figure is a typo that would read the whole file as titles.
pub const SKIP_ROWS_MAX: usize = 1_000;

/// A mapping file that cannot be used, located by file, line and setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct MappingError {
    /// The file name given to [`CsvMapping::from_toml`].
    pub file: String,
    /// The 1-based line of the setting (of its table for a missing one).
    pub line: usize,
    /// The setting's path, such as `columns.amount`; `(document)` when none applies.
    pub field: String,
    /// What is wrong.
    pub reason: MappingErrorReason,
}

/// Why a mapping file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingErrorReason {
    /// Not TOML.
    #[error("invalid toml: {message}")]
    Syntax {
        /// The TOML parser's message.
        message: String,
    },
    /// An unknown or missing setting, or a value of the wrong type.
    #[error("{message}")]
    Schema {
        /// The deserializer's message.
        message: String,
    },
    /// A setting is missing, contradictory or out of range.
    #[error("{problem}")]
    Invalid {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The fixed currency is not in the Arrears currency table.
    #[error("unknown currency {code:?}")]
    UnknownCurrency {
        /// The code as given.
        code: String,
    },
}

impl LocatedError for MappingError {
    type Reason = MappingErrorReason;

    fn located(file: String, line: usize, field: String, reason: MappingErrorReason) -> Self {
        MappingError { file, line, field, reason }
    }

    fn syntax(message: String) -> MappingErrorReason {
        MappingErrorReason::Syntax { message }
    }

    fn schema(message: String) -> MappingErrorReason {
        MappingErrorReason::Schema { message }
    }
}

impl CsvMapping {
    /// Reads and checks a mapping file. `file` names the text in error messages only; nothing
    /// is read from disk.
    ///
    /// # Errors
    ///
    /// [`MappingError`], located by file, line and setting, for invalid TOML, an unknown
    /// setting or a value of the wrong type, no amount column (or both a signed and
    /// debit/credit columns), no currency, a delimiter that is not one ASCII character, a
    /// thousands separator that is the decimal separator, a column number 0, more than
    /// [`SKIP_ROWS_MAX`] rows to skip.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_bank::{parse, CsvMapping, FormatChoice};
    ///
    /// let text = r#"
    ///     account = "CL-001"
    ///     currency = "CLP"
    ///     delimiter = ";"
    ///     date_format = "%d-%m-%Y"
    ///     [columns]
    ///     booking_date = "Fecha"
    ///     amount = "Monto"
    ///     reference = "Folio"
    ///     payer_account = "RUT"
    /// "#;
    /// let mapping = CsvMapping::from_toml(text, "cartola.toml")?;
    /// let csv = "Fecha;Monto;Folio;RUT\n01-12-2026;150000;F-1;12.345.678-5\n";
    /// let statements = parse("cartola.csv", csv.as_bytes(), FormatChoice::Auto, Some(&mapping))?;
    /// assert_eq!(statements[0].lines[0].amount_minor, 150_000);
    /// let error = CsvMapping::from_toml(&text.replace("\"Monto\"", "0"), "cartola.toml");
    /// assert_eq!(
    ///     error.unwrap_err().to_string(),
    ///     "cartola.toml:8: columns.amount: column numbers start at 1"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml(text: &str, file: &str) -> Result<CsvMapping, MappingError> {
        let source = TomlSource::new(file, text);
        let mapping: CsvMapping = source.deserialize()?;
        mapping.validate().map_err(|(field, reason)| source.error_at_field(field, reason))?;
        Ok(mapping)
    }

    /// The first setting that cannot be used, and why.
    fn validate(&self) -> Result<(), (&'static str, MappingErrorReason)> {
        let invalid = |field, problem| Err((field, MappingErrorReason::Invalid { problem }));
        if self.delimiter.len() != 1 || !self.delimiter.is_ascii() {
            return invalid("delimiter", "must be one ASCII character");
        }
        if self.skip_rows > SKIP_ROWS_MAX {
            return invalid("skip_rows", "must be at most 1000 (rows before the header)");
        }
        // A thousands separator that is also the decimal one would be dropped from every
        // amount: 9,90 would read as 990.
        if self.thousands_separator == Some(self.decimal_separator) {
            return invalid("thousands_separator", "must differ from decimal_separator");
        }
        let columns = &self.columns;
        if columns.booking_date.is_none() {
            return invalid("columns.booking_date", "is required");
        }
        match (&columns.amount, &columns.debit, &columns.credit) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => return invalid("columns.amount", "give either amount, or both debit and credit"),
        }
        match &self.currency {
            Some(code) if Currency::from_code(code).is_err() => {
                let reason = MappingErrorReason::UnknownCurrency { code: code.clone() };
                return Err(("currency", reason));
            }
            None if columns.currency.is_none() => {
                return invalid("currency", "give a fixed currency or a currency column")
            }
            Some(_) | None => {}
        }
        let all = [
            ("columns.booking_date", &columns.booking_date),
            ("columns.value_date", &columns.value_date),
            ("columns.amount", &columns.amount),
            ("columns.debit", &columns.debit),
            ("columns.credit", &columns.credit),
            ("columns.reference", &columns.reference),
            ("columns.remittance", &columns.remittance),
            ("columns.creditor_reference", &columns.creditor_reference),
            ("columns.payer_name", &columns.payer_name),
            ("columns.payer_account", &columns.payer_account),
            ("columns.currency", &columns.currency),
            ("columns.balance", &columns.balance),
        ];
        if let Some((field, _)) =
            all.iter().find(|(_, column)| matches!(column, Some(Column::Number(0))))
        {
            return invalid(field, "column numbers start at 1");
        }
        if !self.header {
            if let Some((field, _)) =
                all.iter().find(|(_, column)| matches!(column, Some(Column::Name(_))))
            {
                return invalid(field, "names a column but header = false");
            }
        }
        Ok(())
    }
}

/// Column positions (0-based) resolved against the header.
struct Resolved {
    positions: HashMap<&'static str, usize>,
}

impl Resolved {
    fn new(columns: &Columns, header: Option<&csv::StringRecord>) -> Result<Resolved, Problem> {
        let named = [
            ("booking_date", &columns.booking_date),
            ("value_date", &columns.value_date),
            ("amount", &columns.amount),
            ("debit", &columns.debit),
            ("credit", &columns.credit),
            ("reference", &columns.reference),
            ("remittance", &columns.remittance),
            ("creditor_reference", &columns.creditor_reference),
            ("payer_name", &columns.payer_name),
            ("payer_account", &columns.payer_account),
            ("currency", &columns.currency),
            ("balance", &columns.balance),
        ];
        let mut positions = HashMap::new();
        for (key, column) in named {
            let position = match column {
                None => continue,
                Some(Column::Number(number)) => number - 1,
                Some(Column::Name(name)) => header
                    .and_then(|header| header.iter().position(|cell| cell.trim() == name))
                    .ok_or_else(|| Problem::Csv {
                        message: format!("no column named {name:?} in the header"),
                    })?,
            };
            positions.insert(key, position);
        }
        Ok(Resolved { positions })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, key: &str) -> Option<&'r str> {
        self.positions
            .get(key)
            .and_then(|&position| record.get(position))
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
    }
}

pub(crate) fn parse(bytes: &[u8], mapping: &CsvMapping) -> Result<Vec<Statement>, Failure> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter.as_bytes()[0])
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // `skip_rows` counts the file's lines before the header, blank ones included (the csv
    // reader skips blank lines without giving a record for them); a row of empty cells is no
    // header and no movement.
    let skip_lines = u32::try_from(mapping.skip_rows).unwrap_or(u32::MAX);
    let mut rows = reader.records().filter_map(|row| match row {
        Ok(row) => {
            let line = line_of(&text, row.position());
            let blank = row.iter().all(|cell| cell.trim().is_empty());
            (line > skip_lines && !blank).then_some(Ok((row, line)))
        }
        Err(error) => Some(Err(csv_error(error))),
    });
    let header = match mapping.header {
        true => rows.next().transpose()?,
        false => None,
    };
    let header_line = header.as_ref().map_or(skip_lines.saturating_add(1), |(_, line)| *line);
    let resolved = Resolved::new(&mapping.columns, header.as_ref().map(|(row, _)| row))
        .map_err(|problem| (Location::line(header_line), problem))?;
    let fixed = mapping.currency.as_deref().and_then(|code| Currency::from_code(code).ok());
    let mut reader =
        Rows { mapping, resolved, currency: fixed, lines: Vec::new(), balances: Vec::new() };
    for row in rows {
        let (row, line) = row?;
        let at = Location::line(line);
        reader.row(&row, &at).map_err(|problem| (at, problem))?;
    }
    let currency = match reader.currency {
        Some(currency) => currency,
        None => return Ok(Vec::new()),
    };
    let (opening_balance_minor, closing_balance_minor) = match mapping.columns.balance {
        Some(_) => running_balances(currency, &reader.lines, &reader.balances)?,
        None => (None, None),
    };
    Ok(vec![Statement {
        format: Format::Csv,
        message_id: None,
        statement_id: None,
        account: mapping.account.clone(),
        currency,
        opening_balance_minor,
        closing_balance_minor,
        lines: reader.lines,
    }])
}

/// Checks a running-balance column, rows oldest first or else newest first; gives the opening
/// and closing balances. A row whose balance follows from neither neighbour fails the balance
/// check at that row (read oldest first).
fn running_balances(
    currency: Currency,
    lines: &[StatementLine],
    balances: &[i64],
) -> Result<(Option<i64>, Option<i64>), Failure> {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Ok((None, None));
    };
    let follows = |earlier: usize, later: usize| {
        balances[earlier].checked_add(lines[later].signed_minor()) == Some(balances[later])
    };
    let count = lines.len();
    let oldest_first = (1..count).find(|&i| !follows(i - 1, i));
    let Some(broken) = oldest_first else {
        return Ok((Some(balances[0] - first.signed_minor()), Some(balances[count - 1])));
    };
    if (1..count).all(|i| follows(i, i - 1)) {
        return Ok((Some(balances[count - 1] - last.signed_minor()), Some(balances[0])));
    }
    let line = &lines[broken];
    check::balance(
        currency,
        balances[broken - 1],
        check::Totals::of(std::slice::from_ref(line)),
        balances[broken],
        &line.location,
    )?;
    Ok((None, None))
}

/// The 1-based line of a record, from its byte offset: the csv crate's position of a record
/// after blank lines is that of the blank lines it skipped.
fn line_of(text: &str, position: Option<&csv::Position>) -> u32 {
    let mut offset = position.map_or(0, |p| p.byte() as usize).min(text.len());
    while matches!(text.as_bytes().get(offset), Some(b'\r' | b'\n')) {
        offset += 1;
    }
    text.as_bytes()[..offset].iter().filter(|&&byte| byte == b'\n').count() as u32 + 1
}

#[cold]
fn csv_error(error: csv::Error) -> Failure {
    let line = error.position().map_or(0, |p| p.line() as u32);
    (Location::line(line), Problem::Csv { message: error.to_string() })
}

/// The rows read so far.
struct Rows<'m> {
    mapping: &'m CsvMapping,
    resolved: Resolved,
    currency: Option<Currency>,
    lines: Vec<StatementLine>,
    /// The running balance of each line, when mapped.
    balances: Vec<i64>,
}

impl Rows<'_> {
    fn row(&mut self, row: &csv::StringRecord, at: &Location) -> Result<(), Problem> {
        let currency = self.row_currency(self.resolved.get(row, "currency"))?;
        let resolved = &self.resolved;
        let date = |key, what| -> Result<Option<NaiveDate>, Problem> {
            resolved
                .get(row, key)
                .map(|text| {
                    let bad = || Problem::BadDate { what, found: text.to_owned() };
                    let date = NaiveDate::parse_from_str(text, &self.mapping.date_format)
                        .map_err(|_| bad())?;
                    // chrono's `%Y` takes any number of digits: a year written short (`26` under
                    // `%d/%m/%Y`) would be the year 26, not a refusal.
                    let four_digits = (1000..=9999).contains(&date.year());
                    if self.mapping.date_format.contains("%Y") && !four_digits {
                        return Err(bad());
                    }
                    Ok(date)
                })
                .transpose()
        };
        let booking_on = date("booking_date", "booking date")?
            .ok_or(Problem::Missing { what: "booking date" })?;
        let value_on = date("value_date", "value date")?.unwrap_or(booking_on);
        let (direction, amount_minor) = self.amount(row, currency)?;
        let signed = match direction {
            Direction::Credit => amount_minor,
            Direction::Debit => -amount_minor,
        };
        let (bank_reference, reference_kind) = match resolved.get(row, "reference") {
            Some(reference) => (reference.to_owned(), ReferenceKind::Given),
            None => {
                (format!("{}/{booking_on}/{signed}", self.mapping.account), ReferenceKind::Composed)
            }
        };
        if resolved.positions.contains_key("balance") {
            let balance =
                resolved.get(row, "balance").ok_or(Problem::Missing { what: "balance" })?;
            self.balances.push(self.signed(balance, currency, "balance")?);
        }
        let resolved = &self.resolved;
        let text = |key: &str| resolved.get(row, key).map(str::to_owned);
        self.lines.push(StatementLine {
            location: at.clone(),
            booking_on,
            value_on,
            amount_minor,
            direction,
            bank_reference,
            reference_kind,
            repeat: None,
            remittance_unstructured: text("remittance"),
            creditor_reference: text("creditor_reference"),
            payer_name: text("payer_name"),
            payer_account: text("payer_account"),
            return_reason: None,
            is_reversal: false,
            end_to_end_id: None,
            owner_reference: None,
            transaction_code: None,
        });
        Ok(())
    }

    /// The row's currency: the fixed one or the first row's; every row must agree.
    fn row_currency(&mut self, code: Option<&str>) -> Result<Currency, Problem> {
        let Some(code) = code else {
            return self.currency.ok_or(Problem::Missing { what: "currency" });
        };
        let found = Currency::from_code(code)
            .map_err(|_| Problem::UnknownCurrency { code: code.to_owned() })?;
        match self.currency {
            Some(expected) if expected != found => {
                Err(Problem::CurrencyMismatch { expected, found: code.to_owned() })
            }
            _ => {
                self.currency = Some(found);
                Ok(found)
            }
        }
    }

    /// A signed amount (`-12,50`, `+3`, `7`) in minor units.
    fn signed(&self, text: &str, currency: Currency, what: &'static str) -> Result<i64, Problem> {
        let cleaned: String = match self.mapping.thousands_separator {
            Some(separator) => text.chars().filter(|&c| c != separator).collect(),
            None => text.to_owned(),
        };
        let separator = self.mapping.decimal_separator;
        match cleaned.strip_prefix('-') {
            Some(rest) => to_minor(rest, separator, currency, what).map(|minor| -minor),
            None => {
                to_minor(cleaned.strip_prefix('+').unwrap_or(&cleaned), separator, currency, what)
            }
        }
    }

    fn amount(
        &self,
        row: &csv::StringRecord,
        currency: Currency,
    ) -> Result<(Direction, i64), Problem> {
        let read = |text: &str, what| {
            let cleaned: String = match self.mapping.thousands_separator {
                Some(separator) => text.chars().filter(|&c| c != separator).collect(),
                None => text.to_owned(),
            };
            to_minor(&cleaned, self.mapping.decimal_separator, currency, what)
        };
        if let Some(text) = self.resolved.get(row, "amount") {
            return match text.strip_prefix('-') {
                Some(rest) => Ok((Direction::Debit, read(rest, "amount")?)),
                None => {
                    Ok((Direction::Credit, read(text.strip_prefix('+').unwrap_or(text), "amount")?))
                }
            };
        }
        let debit = self
            .resolved
            .get(row, "debit")
            .map(|debit| read(debit.trim_start_matches('-'), "debit").map(|minor| (debit, minor)))
            .transpose()?;
        let credit = self
            .resolved
            .get(row, "credit")
            .map(|credit| read(credit, "credit").map(|minor| (credit, minor)))
            .transpose()?;
        // Many exports write 0,00 in the column a row does not use: a zero there is no amount.
        match (debit, credit) {
            (Some((_, debit)), None) => Ok((Direction::Debit, debit)),
            (None, Some((_, credit))) => Ok((Direction::Credit, credit)),
            (None, None) => Err(Problem::Missing { what: "a debit or a credit amount" }),
            (Some((_, debit)), Some((_, 0))) => Ok((Direction::Debit, debit)),
            (Some((_, 0)), Some((_, credit))) => Ok((Direction::Credit, credit)),
            (Some((debit, _)), Some((credit, _))) => Err(Problem::Unexpected {
                found: format!("both a debit ({debit}) and a credit ({credit})"),
                expected: "one of debit and credit, the other empty or zero",
            }),
        }
    }
}
