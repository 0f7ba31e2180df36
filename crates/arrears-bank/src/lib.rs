//! Bank statements in: ISO 20022 camt.053 and camt.054, SWIFT MT940, AEB Norma 43 (Cuaderno 43)
//! and CSV through a mapping file, parsed into one normalized, checked [`Statement`] model.
//!
//! This crate is the format and matching layer of cash application (issue 17): it reads bytes
//! and returns statements whose own checks have passed (opening balance plus entries equals
//! closing balance, declared counts and totals, currency agreement, amounts within the
//! currency's minor unit, valid dates), and it matches lines to debtors and apportions their
//! amounts as pure functions over data the engine supplies. It never posts or stores anything;
//! the engine does that with the lines returned here, keyed on
//! [`StatementLine::bank_reference`].
//!
//! - [`parse`] reads a file in a given [`Format`] (or detects it, [`FormatChoice::Auto`]).
//! - [`rf`] validates and generates ISO 11649 `RF` creditor references.
//! - [`CsvMapping`] describes a bank's CSV export in TOML.
//! - [`matching`] evaluates matching rules (TOML) on a line against the engine's data.
//! - [`apportion`] spreads a matched line's amount across a debtor's open obligations.
//!
//! # Example
//!
//! ```
//! use arrears_bank::{parse, Direction, FormatChoice, Format};
//!
//! let mt940 = "\
//! :20:STMT0001
//! :25:ES9121000418450200051332
//! :28C:1/1
//! :60F:C261201EUR1000,00
//! :61:2612011201C250,00NTRFNONREF//BANKREF0001
//! :86:Invoice 42 ACME SL
//! :62F:C261201EUR1250,00
//! ";
//! let statements = parse("day.sta", mt940.as_bytes(), FormatChoice::Auto, None)?;
//! assert_eq!(statements[0].format, Format::Mt940);
//! let line = &statements[0].lines[0];
//! assert_eq!((line.amount_minor, line.direction), (25_000, Direction::Credit));
//! assert_eq!(line.bank_reference, "BANKREF0001");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod amount;
pub mod apportion;
mod camt;
mod check;
mod csv_map;
mod error;
pub mod matching;
mod mt940;
mod n43;
pub mod rf;
mod text;

use arrears_core::money::Currency;
use chrono::NaiveDate;
use serde::Serialize;

pub use csv_map::{Column, Columns, CsvMapping, MappingError, MappingErrorReason, SKIP_ROWS_MAX};
pub use error::{Location, Problem, StatementError};

/// A statement format this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// ISO 20022 `camt.053` bank-to-customer statement (versions .001.02 to .001.14).
    Camt053,
    /// ISO 20022 `camt.054` debit/credit notification (versions .001.02 to .001.14).
    Camt054,
    /// SWIFT MT940 customer statement.
    Mt940,
    /// AEB Norma 43 (Cuaderno 43), the Spanish banks' fixed-width statement.
    Norma43,
    /// Any bank's CSV export, read through a [`CsvMapping`].
    Csv,
}

impl Format {
    /// The name used on the command line (`camt053`, `camt054`, `mt940`, `n43`, `csv`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Camt053 => "camt053",
            Format::Camt054 => "camt054",
            Format::Mt940 => "mt940",
            Format::Norma43 => "n43",
            Format::Csv => "csv",
        }
    }
}

/// Which format to read a file as: one named, or detected from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// Detect by content: an XML root and namespace, MT940 `:20:` tags, a Norma 43 record 11;
    /// CSV when a mapping is given and nothing else matched.
    Auto,
    /// This format.
    Given(Format),
    /// Norma 43 whose accounts of information mode 3 have their records 23 read by the AEB's
    /// annex 4 (June 2012): the SEPA data of transfers and direct debits, such as the
    /// end-to-end reference, the payer's name and the concept, in the annex's positions. Only
    /// when asked for (`n43-sepa`): a file does not say whether its bank follows the annex or
    /// keeps the general layout's two concepts in mode 3, as many do; see docs/CASH.md.
    Norma43Sepa,
}

/// A `--format` value that names no format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {name:?} (auto, camt053, camt054, mt940, n43, n43-sepa, csv)")]
pub struct UnknownFormat {
    /// The value as given.
    pub name: String,
}

impl std::str::FromStr for FormatChoice {
    type Err = UnknownFormat;

    /// Parses the CLI's `--format` value: `auto`, `camt053`, `camt054`, `mt940`, `n43`,
    /// `n43-sepa`, `csv`.
    fn from_str(text: &str) -> Result<FormatChoice, UnknownFormat> {
        let formats =
            [Format::Camt053, Format::Camt054, Format::Mt940, Format::Norma43, Format::Csv];
        match text {
            "auto" => return Ok(FormatChoice::Auto),
            "n43-sepa" => return Ok(FormatChoice::Norma43Sepa),
            _ => {}
        }
        formats
            .into_iter()
            .find(|format| format.name() == text)
            .map(FormatChoice::Given)
            .ok_or_else(|| UnknownFormat { name: text.to_owned() })
    }
}

/// Credit (money in) or debit (money out), as booked on the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Money into the account.
    Credit,
    /// Money out of the account.
    Debit,
}

/// One account's statement (or notification) for a period, its checks passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The format it was read from.
    pub format: Format,
    /// The file-level message id: camt `GrpHdr/MsgId`, MT940 `:20:`; none in Norma 43 and CSV.
    pub message_id: Option<String>,
    /// The statement's own id: camt `Stmt/Id` (`Ntfctn/Id`), MT940 `:28C:`, Norma 43 the
    /// account and the period's first date; none in CSV.
    pub statement_id: Option<String>,
    /// The account as the bank names it: an IBAN (camt `Acct/Id/IBAN`, MT940 `:25:`, Norma 43
    /// computed from entity, office and number) or another id (camt `Acct/Id/Othr/Id`, MT940
    /// `:25:` as given; CSV the mapping's `account`).
    pub account: String,
    /// The statement's currency; every amount in it is in this currency.
    pub currency: Currency,
    /// The opening balance in signed minor units (negative when overdrawn); none in camt.054
    /// and CSV, which carry no balances.
    pub opening_balance_minor: Option<i64>,
    /// The closing balance in signed minor units; none in camt.054 and CSV.
    pub closing_balance_minor: Option<i64>,
    /// The lines, in file order.
    pub lines: Vec<StatementLine>,
}

impl Statement {
    /// The sum of the lines' signed amounts (credits minus debits), in minor units.
    pub fn net_minor(&self) -> i64 {
        self.lines.iter().map(StatementLine::signed_minor).sum()
    }
}

/// One booked movement of a statement, normalized across formats.
///
/// A camt entry with several transactions (a batch) gives one line per `TxDtls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// Where the line is in the file: its line number, and for camt the element path.
    pub location: Location,
    /// The booking (entry) date.
    pub booking_on: NaiveDate,
    /// The value date; the booking date when the file gives none.
    pub value_on: NaiveDate,
    /// The amount in minor units of the statement's currency, never negative.
    pub amount_minor: i64,
    /// Credit or debit, as booked (a reversal of a credit is a debit).
    pub direction: Direction,
    /// The bank's unique reference of the movement, the key of idempotent import. Which field
    /// it comes from depends on the format; see docs/CASH.md "Statement formats". Unique
    /// within the file among the lines that are not [`Repeat::Overlap`]: a reference that
    /// repeats gets `#2`, `#3`... on its repeats, except that the same movement under the
    /// same servicer's reference in two statements of the file is one movement, and its
    /// second line keeps the first's reference (see [`StatementLine::repeat`]).
    pub bank_reference: String,
    /// Whose reference [`StatementLine::bank_reference`] is, and so what a repeat of it in
    /// the file means.
    pub reference_kind: ReferenceKind,
    /// Set when this line's servicer's reference ([`ReferenceKind::Servicer`]) was an earlier
    /// line's of the file: the same movement again ([`Repeat::Overlap`], to be imported once)
    /// or another movement ([`Repeat::Distinct`], keyed with `#2`). None for every other line.
    pub repeat: Option<Repeat>,
    /// Free-text remittance information (camt `Ustrd`, MT940 `:86:`, Norma 43 records 23).
    pub remittance_unstructured: Option<String>,
    /// A structured creditor reference (camt `Strd/CdtrRefInf/Ref`, such as an ISO 11649 RF
    /// reference), as given; not validated here (see [`rf::is_valid`]).
    pub creditor_reference: Option<String>,
    /// The counterparty's name: the debtor of a credit, the creditor of a debit.
    pub payer_name: Option<String>,
    /// The counterparty's account as given (IBAN, CLABE, CBU, RUT or other id).
    pub payer_account: Option<String>,
    /// A return reason code (camt `RtrInf/Rsn/Cd` or `Prtry`), for returned items.
    pub return_reason: Option<String>,
    /// The bank marks this line as a reversal (camt `RvslInd`, MT940 `RC`/`RD`).
    pub is_reversal: bool,
    /// The payer's own reference, carried end to end (camt `Refs/EndToEndId`, MT940 `/EREF/`
    /// or `EREF+`; never the SEPA placeholder `NOTPROVIDED`); often an invoice number.
    pub end_to_end_id: Option<String>,
    /// The account owner's reference of the movement: the MT940 `:61:` reference before `//`
    /// ("Reference for the Account Owner", up to 16 characters; on a credit often the payer's
    /// own reference, such as an invoice number), kept beside the bank's reference after `//`;
    /// never `NONREF`. None in the other formats, whose payer's reference is
    /// [`StatementLine::end_to_end_id`].
    pub owner_reference: Option<String>,
    /// The bank's transaction code: camt `BkTxCd` as `Domain/Family/SubFamily` (or its
    /// proprietary code), MT940 the `:61:` transaction type (`NTRF`, `NCHG`...), Norma 43 the
    /// common and own concepts (`02/015`); lets rules tell transfers from fees.
    pub transaction_code: Option<String>,
}

/// Whose reference a line's [`StatementLine::bank_reference`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReferenceKind {
    /// The account servicer's own reference of the movement, which identifies it uniquely for
    /// the servicer (ISO 20022 `AcctSvcrRef`, the entry's or the transaction's; the MT940
    /// `:61:` reference after `//`, "Reference of the Account Servicing Institution"): the
    /// same reference with the same movement in two statements is one movement.
    Servicer,
    /// A reference given in the file that does not identify a movement: the payer's (camt
    /// `EndToEndId`, `UETR`, `TxId`, `InstrId`, the MT940 owner's reference), the camt
    /// `NtryRef` (unique within a statement only), a CSV reference column, or an MT940 `//`
    /// reference of `NONREF`. Two lines giving one are two movements.
    Given,
    /// Composed from the line's fields or place: Norma 43, CSV without a reference, the MT940
    /// `:20:/:28C:/n` and the camt `Id/ordinal` fallbacks. Two lines composing one are two
    /// movements.
    Composed,
}

/// How a line whose servicer's reference an earlier line of the file gave relates to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Repeat {
    /// The same movement as the line at `first`, in another statement of the file (two
    /// statements whose periods overlap, two MT940 messages covering one day): same servicer's
    /// reference, account, currency, direction, amount and value date. It is one movement;
    /// this line keeps the first's [`StatementLine::bank_reference`] and is not to be posted
    /// again. Both statements' balances count it, each once.
    Overlap {
        /// Where the first line of the movement is.
        first: Location,
    },
    /// Another movement under the servicer's reference of the line at `first` (another
    /// account, currency, direction, amount or value date, or a second entry of one
    /// statement, which its balance counts twice): kept as a line of its own, its
    /// [`StatementLine::bank_reference`] given `#2`, `#3`..., and to be reported, for the
    /// reference was to be unique.
    Distinct {
        /// Where the first line with the reference is.
        first: Location,
        /// The servicer's reference as given, before `#n` was appended.
        reference: String,
    },
}

impl StatementLine {
    /// The amount signed by direction: positive for a credit, negative for a debit.
    pub fn signed_minor(&self) -> i64 {
        match self.direction {
            Direction::Credit => self.amount_minor,
            Direction::Debit => -self.amount_minor,
        }
    }
}

/// Reads a statement file: parses it in the chosen format and runs every check.
///
/// `file` names the file in errors. `mapping` is required for CSV. A file may hold several
/// statements (several accounts or periods); all are returned, or none: one failed check fails
/// the whole file.
///
/// # Errors
///
/// [`StatementError`] naming the file, the line (and XML element) and the [`Problem`]: the
/// check that failed or the field that could not be read.
///
/// # Example
///
/// ```
/// use arrears_bank::{parse, FormatChoice, Problem};
///
/// let unbalanced = ":20:S1\n:25:DE89370400440532013000\n:28C:1\n:60F:C261201EUR10,00\n\
///                   :61:261201C5,00NTRFNONREF//R1\n:62F:C261201EUR16,00\n";
/// let error = parse("x.sta", unbalanced.as_bytes(), FormatChoice::Auto, None).unwrap_err();
/// assert!(matches!(error.problem, Problem::BalanceMismatch { .. }));
/// assert_eq!(error.at.line, 6);
/// ```
pub fn parse(
    file: &str,
    bytes: &[u8],
    choice: FormatChoice,
    mapping: Option<&CsvMapping>,
) -> Result<Vec<Statement>, StatementError> {
    let fail = |at: Location, problem: Problem| StatementError::new(file, at, problem);
    let (format, concepts) = match choice {
        FormatChoice::Given(format) => (format, n43::Concepts::General),
        FormatChoice::Norma43Sepa => (Format::Norma43, n43::Concepts::Annex4),
        FormatChoice::Auto => detect(bytes, mapping.is_some())
            .map(|format| (format, n43::Concepts::General))
            .ok_or_else(|| fail(Location::line(1), Problem::UnknownFormat))?,
    };
    let mut statements = match format {
        Format::Camt053 | Format::Camt054 => camt::parse(bytes, format),
        Format::Mt940 => mt940::parse(bytes),
        Format::Norma43 => n43::parse(bytes, concepts),
        Format::Csv => match mapping {
            Some(mapping) => csv_map::parse(bytes, mapping),
            None => Err((Location::line(1), Problem::MappingRequired)),
        },
    }
    .map_err(|(at, problem)| fail(at, problem))?;
    if statements.is_empty() {
        return Err(fail(Location::line(1), Problem::Empty));
    }
    unique_references(&mut statements);
    Ok(statements)
}

/// Makes every line's bank reference unique within the file, for every format: a repeat gets
/// `#2`, `#3`... (a suffix no other line of the file has). Two lines of one file are two
/// movements, and the engine keys a line on its reference; a reference composed from a line's
/// fields (Norma 43, CSV without a reference column) or a payer's reference such as the MT940
/// owner's reference or the camt `EndToEndId` can repeat (two instalments citing one invoice).
///
/// Except for one case: a servicer's reference ([`ReferenceKind::Servicer`]) identifies the
/// movement for the bank, so when a later statement of the file gives it again with the same
/// movement (account, currency, direction, amount, value date), the two statements overlap and
/// it is one movement: the later line keeps the earlier's key and is marked
/// [`Repeat::Overlap`]. The k-th such line of a statement pairs with the k-th of the earlier
/// statements, so that a movement a statement books twice (its balance counts both) stays
/// two. A servicer's reference repeated for anything else is suffixed as any other and marked
/// [`Repeat::Distinct`].
fn unique_references(statements: &mut [Statement]) {
    use std::collections::{HashMap, HashSet};

    /// What makes two lines under one servicer's reference one movement.
    #[derive(Clone, PartialEq, Eq, Hash)]
    struct Movement {
        reference: String,
        account: String,
        currency: Currency,
        direction: Direction,
        amount_minor: i64,
        value_on: NaiveDate,
    }

    let given: HashSet<String> = statements
        .iter()
        .flat_map(|statement| &statement.lines)
        .map(|line| line.bank_reference.clone())
        .collect();
    // Every key given so far, and where its line is.
    let mut seen: HashMap<String, Location> = HashMap::new();
    let mut repeats: HashMap<String, u32> = HashMap::new();
    // The keys given to each servicer's movement, in file order, with their lines.
    let mut movements: HashMap<Movement, Vec<(String, Location)>> = HashMap::new();
    for statement in statements.iter_mut() {
        let mut in_statement: HashMap<Movement, usize> = HashMap::new();
        for line in &mut statement.lines {
            let movement = (line.reference_kind == ReferenceKind::Servicer).then(|| Movement {
                reference: line.bank_reference.clone(),
                account: statement.account.clone(),
                currency: statement.currency,
                direction: line.direction,
                amount_minor: line.amount_minor,
                value_on: line.value_on,
            });
            if let Some(movement) = &movement {
                let ordinal = in_statement.entry(movement.clone()).or_insert(0);
                *ordinal += 1;
                // Only an earlier statement's lines are found here: this statement's k-th
                // line of the movement is put at k-1 or later.
                if let Some((key, first)) =
                    movements.get(movement).and_then(|keyed| keyed.get(*ordinal - 1))
                {
                    line.bank_reference = key.clone();
                    line.repeat = Some(Repeat::Overlap { first: first.clone() });
                    continue;
                }
            }
            let key = match seen.get(&line.bank_reference) {
                None => line.bank_reference.clone(),
                Some(first) => {
                    let count = repeats.entry(line.bank_reference.clone()).or_insert(1);
                    let unique = loop {
                        *count += 1;
                        let candidate = format!("{}#{count}", line.bank_reference);
                        if !given.contains(&candidate) && !seen.contains_key(&candidate) {
                            break candidate;
                        }
                    };
                    if movement.is_some() {
                        line.repeat = Some(Repeat::Distinct {
                            first: first.clone(),
                            reference: line.bank_reference.clone(),
                        });
                    }
                    unique
                }
            };
            seen.insert(key.clone(), line.location.clone());
            if let Some(movement) = movement {
                movements.entry(movement).or_default().push((key.clone(), line.location.clone()));
            }
            line.bank_reference = key;
        }
    }
}

/// Detects the format of a file by its content, or `None` when nothing matches.
///
/// XML whose root holds `BkToCstmrStmt` is camt.053, `BkToCstmrDbtCdtNtfctn` camt.054; a line
/// starting `:20:` (or a SWIFT block `{1:`) is MT940; a first line starting `11` followed by
/// digits (or a Norma 43 file header `00`) is Norma 43; anything else is CSV when `has_mapping`.
pub fn detect(bytes: &[u8], has_mapping: bool) -> Option<Format> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    // A byte-order mark, or the SOH that frames a message in a SWIFT DOS-PCC file.
    let trimmed = head.trim_start_matches(['\u{feff}', '\u{1}']).trim_start();
    if trimmed.starts_with('<') {
        // The whole file is searched: an envelope's signed application header may run to
        // kilobytes before the message. The root that comes first names the message.
        let find = |name: &[u8]| bytes.windows(name.len()).position(|window| window == name);
        return match (find(b"BkToCstmrStmt"), find(b"BkToCstmrDbtCdtNtfctn")) {
            (Some(statement), Some(notification)) if notification < statement => {
                Some(Format::Camt054)
            }
            (Some(_), _) => Some(Format::Camt053),
            (None, Some(_)) => Some(Format::Camt054),
            (None, None) => None,
        };
    }
    if trimmed.starts_with("{1:")
        || trimmed.split(['\n', '\r']).any(|line| line.starts_with(":20:"))
    {
        return Some(Format::Mt940);
    }
    let first = trimmed.lines().next().unwrap_or("").as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        first.get(range).is_some_and(|bytes| bytes.iter().all(u8::is_ascii_digit))
    };
    let is_n43 = (first.starts_with(b"11") && digits(2..20) && first.len() >= 50)
        || (first.starts_with(b"00") && digits(2..12));
    if is_n43 {
        return Some(Format::Norma43);
    }
    has_mapping.then_some(Format::Csv)
}

#[cfg(test)]
mod tests;
