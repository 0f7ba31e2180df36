//! The one error of reading a statement file: where, and which check failed.

use std::fmt;

use arrears_core::money::Currency;
use serde::Serialize;

/// Where in a file something is: a 1-based line, and for XML the element path
/// (`Stmt[1]/Ntry[2]/NtryDtls/TxDtls[1]`, sibling indices 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    /// The 1-based line number.
    pub line: u32,
    /// The XML element path, for camt files.
    pub element: Option<String>,
}

impl Location {
    /// A line of a text file.
    pub fn line(line: u32) -> Location {
        Location { line, element: None }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.element {
            Some(element) => write!(f, "line {} ({element})", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

/// A statement file could not be read, or one of its checks failed.
///
/// Nothing is returned for a file with an error: the caller writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {at}: {problem}")]
pub struct StatementError {
    /// The file as named by the caller.
    pub file: String,
    /// Where the problem is.
    pub at: Location,
    /// What is wrong: the check that failed or the field that could not be read.
    pub problem: Problem,
}

impl StatementError {
    #[cold]
    pub(crate) fn new(file: &str, at: Location, problem: Problem) -> StatementError {
        StatementError { file: file.to_owned(), at, problem }
    }
}

/// What is wrong with a statement file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The format could not be detected from the content.
    #[error(
        "format not recognized (not camt.053/054 XML, MT940 or Norma 43; CSV needs a mapping)"
    )]
    UnknownFormat,
    /// CSV was asked for without a mapping file.
    #[error("a CSV statement needs a mapping file")]
    MappingRequired,
    /// The bytes are not text in the expected encoding.
    #[error("not valid {encoding} text")]
    Encoding {
        /// The expected encoding.
        encoding: &'static str,
    },
    /// The XML is not well formed.
    #[error("malformed XML: {message}")]
    Xml {
        /// The XML reader's message.
        message: String,
    },
    /// The camt namespace names a message or version this crate does not read.
    #[error(
        "unsupported message {namespace:?} (camt.053 and camt.054, versions 001.02 to 001.14)"
    )]
    UnsupportedVersion {
        /// The namespace or root found.
        namespace: String,
    },
    /// A mandatory field or element is missing.
    #[error("missing {what}")]
    Missing {
        /// The field.
        what: &'static str,
    },
    /// A field does not follow its format.
    #[error("{what} {found:?} does not match the format {expected}")]
    Malformed {
        /// The field.
        what: &'static str,
        /// The text found.
        found: String,
        /// The format expected.
        expected: &'static str,
    },
    /// A date that does not exist or is malformed.
    #[error("{what} {found:?} is not a valid date")]
    BadDate {
        /// The field.
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// An amount that is not a number.
    #[error("{what} {found:?} is not an amount")]
    BadAmount {
        /// The field.
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// An amount with more decimals than the currency's minor unit (never rounded).
    #[error(
        "amount {found:?} is finer than the minor unit of {currency} ({minor_units} decimals)"
    )]
    FinerThanMinorUnit {
        /// The amount as given.
        found: String,
        /// The statement's currency.
        currency: Currency,
        /// Its number of minor units.
        minor_units: u32,
    },
    /// An amount beyond what a posting may carry.
    #[error("amount {found:?} is out of range")]
    AmountOutOfRange {
        /// The amount as given.
        found: String,
    },
    /// A currency code not in the Arrears currency table.
    #[error("unknown currency {code:?}")]
    UnknownCurrency {
        /// The code as given (alphabetic or, in Norma 43, numeric).
        code: String,
    },
    /// An amount in another currency than the statement's.
    #[error("currency {found} differs from the statement's currency {expected}")]
    CurrencyMismatch {
        /// The statement's currency.
        expected: Currency,
        /// The currency found.
        found: String,
    },
    /// Opening balance plus credits minus debits is not the closing balance.
    #[error(
        "balance check failed: opening {opening_minor} + credits {credits_minor} - debits \
         {debits_minor} = {computed_minor}, but the closing balance is {closing_minor} \
         (minor units of {currency})"
    )]
    BalanceMismatch {
        /// The currency.
        currency: Currency,
        /// Opening balance, signed minor units.
        opening_minor: i64,
        /// Sum of credits.
        credits_minor: i64,
        /// Sum of debits.
        debits_minor: i64,
        /// Opening + credits - debits.
        computed_minor: i64,
        /// The declared closing balance.
        closing_minor: i64,
    },
    /// A declared count differs from the records or entries counted.
    #[error("count check failed: {what} declares {declared}, counted {counted}")]
    CountMismatch {
        /// The declared count.
        what: &'static str,
        /// The value declared by the file.
        declared: u64,
        /// The value counted.
        counted: u64,
    },
    /// A declared total differs from the sum of the amounts.
    #[error(
        "total check failed: {what} declares {declared_minor}, summed {summed_minor} (minor units)"
    )]
    TotalMismatch {
        /// The declared total.
        what: &'static str,
        /// The value declared by the file.
        declared_minor: i64,
        /// The value summed.
        summed_minor: i64,
    },
    /// A camt batch (an entry of several transactions) whose amount is not what its
    /// transactions add up to, and whose declared charges (`Chrgs`) do not explain the
    /// difference either. Amounts are signed minor units, credits positive.
    #[error(
        "batch check failed: Ntry/Amt is {entry_minor}, its TxDtls add up to \
         {transactions_minor}, a difference of {difference_minor} that the charges it declares \
         (Chrgs, taken as {charges_minor:?}) do not explain (signed minor units, credits \
         positive)"
    )]
    BatchChargesMismatch {
        /// The entry's amount.
        entry_minor: i64,
        /// Its transactions' amounts added up.
        transactions_minor: i64,
        /// The entry's amount minus its transactions'.
        difference_minor: i64,
        /// What the declared charges could take from the entry (see docs/CASH.md, "Checks"):
        /// the entry's own, its transactions', both together.
        charges_minor: Vec<i64>,
    },
    /// A fixed-width record shorter than its mandatory fields.
    #[error("truncated record {record}: {length} characters, at least {needed} needed")]
    TruncatedRecord {
        /// The record code.
        record: String,
        /// Its length.
        length: usize,
        /// The length its mandatory fields need.
        needed: usize,
    },
    /// A fixed-width record longer than the format allows.
    #[error("record of {length} characters, at most {length_max} allowed")]
    RecordTooLong {
        /// Its length.
        length: usize,
        /// The format's record length.
        length_max: usize,
    },
    /// A record or field out of place.
    #[error("unexpected {found} ({expected})")]
    Unexpected {
        /// What was found.
        found: String,
        /// What the format expects there.
        expected: &'static str,
    },
    /// The end of the file came before the statement ended.
    #[error("file ends inside a statement: missing {what}")]
    UnexpectedEnd {
        /// What was still expected.
        what: &'static str,
    },
    /// A CSV row could not be read.
    #[error("CSV: {message}")]
    Csv {
        /// The CSV reader's message.
        message: String,
    },
    /// The file holds no statement.
    #[error("no statement in the file")]
    Empty,
}

/// A parser's failure before the file name is attached.
pub(crate) type Failure = (Location, Problem);
