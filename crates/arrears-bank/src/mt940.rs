//! SWIFT MT940 customer statements, written here rather than taken from a crate: the MT940
//! crates on the registry read amounts into `f64`, and money never touches a float.
//!
//! A message runs from `:20:` (transaction reference) through `:25:` or `:25P:` (account;
//! option P adds the account servicer's BIC on a second line), `:28C:`
//! (statement number), `:60F:`/`:60M:` (opening balance), repeated `:61:` (statement line)
//! each optionally followed by `:86:` (information to the account owner, several lines), to
//! `:62F:`/`:62M:` (closing balance). SWIFT blocks (`{1:...}{4:` ... `-}`, the trailer
//! `{5:...}` after `-}` on the same line or the next) are accepted around the text block, each
//! message possibly framed in SOH and ETX (0x01, 0x03: the DOS-PCC file format) or separated
//! by `$` (the RJE file format), and so are a bank's header lines before a message's `:20:`
//! (ABN AMRO's BIC and `940` lines before each message, Rabobank's `:940:`, ING's
//! `0000 01INGBNL2AXXXX00001` twice and `940 00`) and ING's trailer `-XXX` (or `XXX`) ending
//! a message. Lines end in LF, CRLF or CR alone. A file may hold several messages; each is
//! one [`Statement`].
//!
//! `:61:` is `6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]` and a second line `[34x]`: value date
//! `YYMMDD`, optional entry date `MMDD`, mark `C`, `D`, `RC` (reversal of a credit, booked as
//! a debit) or `RD` (reversal of a debit, a credit), the funds code (third letter of the
//! currency), the amount with a decimal comma, the transaction type (`NTRF`, `S202`...), the
//! account owner's reference, `//` and the bank's reference, and supplementary details.
//!
//! [`StatementLine::bank_reference`] is the `//` bank reference; without one, the owner's
//! reference unless it is `NONREF`, which is kept either way as
//! [`StatementLine::owner_reference`]; without either, `:20:/:28C:/n` (the line's ordinal in the
//! message). Only the `//` reference (other than `NONREF`) is the servicer's
//! ([`crate::ReferenceKind::Servicer`]), which names one movement. `:86:` is read as German structured fields (`?20`-`?29` remittance, `?31`
//! account, `?32`-`?33` name), as SEPA slash codes (`/EREF/`, `/REMI/`, `/NAME/`, `/IBAN/`,
//! `/CDTRREF/`, `/RTRN/`, ING's positional `/CNTP/`) or else as free text.

use arrears_core::money::Currency;
use chrono::{Datelike, NaiveDate};

use crate::amount::to_minor;
use crate::check::{self, Totals};
use crate::error::{Failure, Location, Problem};
use crate::text::{decode, yymmdd};
use crate::{Direction, Format, ReferenceKind, Statement, StatementLine};

/// The bytes that frame a message in a DOS-PCC file: start of heading and end of text.
const FRAMING: [char; 2] = ['\u{1}', '\u{3}'];

/// One tagged field: `:61:` and its continuation lines.
struct Field {
    tag: String,
    line: u32,
    value: String,
}

impl Field {
    fn at(&self) -> Location {
        Location::line(self.line)
    }

    fn fail(&self, problem: Problem) -> Failure {
        (self.at(), problem)
    }
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Statement>, Failure> {
    let text = decode(bytes);
    // Line ends: LF, CRLF, or CR alone (old systems' exports).
    let text =
        if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n") } else { text };
    // A SWIFT file in the DOS-PCC format frames each message in SOH (0x01) and ETX (0x03):
    // framing, not text.
    let text = if text.contains(FRAMING) { text.replace(FRAMING, "") } else { text };
    let fields = fields(&text)?;
    let mut statements = Vec::new();
    let mut message: Vec<Field> = Vec::new();
    for field in fields {
        if field.tag == "20" && !message.is_empty() {
            statements.push(statement(std::mem::take(&mut message))?);
        }
        message.push(field);
    }
    if !message.is_empty() {
        statements.push(statement(message)?);
    }
    Ok(statements)
}

/// Splits the text into tagged fields, dropping blank lines, SWIFT block headers, the `-}`
/// end of block 4 with any trailer block after it, and a bank's header lines before a
/// message's `:20:` (ABN AMRO's `ABNANL2A` / `940` / `ABNANL2A` before each message,
/// Rabobank's `:940:` before the first).
fn fields(text: &str) -> Result<Vec<Field>, Failure> {
    let lines: Vec<&str> = text.lines().collect();
    // Header lines are dropped where they lead to a `:20:` (between messages they would
    // otherwise be read as the previous field's continuation), and ING's trailer where it
    // ends a message: before the next message, its header or the end of the file.
    let mut skipped = vec![false; lines.len()];
    let mut leads = false;
    let mut next: Option<&str> = None;
    for (index, line) in lines.iter().enumerate().rev() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        leads = if trimmed.starts_with(":20:") { true } else { leads && is_header(trimmed) };
        let ends_message = next.is_none_or(|next| {
            next.starts_with(":20:") || next.starts_with("{1:") || next == "$" || is_header(next)
        });
        skipped[index] = (leads && !trimmed.starts_with(":20:"))
            || (ends_message && matches!(trimmed, "-XXX" | "XXX"));
        next = Some(trimmed);
    }
    let mut fields: Vec<Field> = Vec::new();
    for (index, raw) in lines.into_iter().enumerate() {
        if skipped[index] {
            continue;
        }
        let number = index as u32 + 1;
        let mut line = raw;
        // The RJE file format separates messages with `$` (not in the SWIFT character set), on
        // a line of its own or before the next message's `{1:`.
        if line.starts_with("${") {
            line = &line[1..];
        }
        if let Some(start) = line.find("{4:") {
            line = &line[start + 3..];
        }
        // `-}` ends block 4 and may carry the trailer block on the same line (`-}{5:...}`).
        let trimmed = line.trim_end();
        if trimmed.is_empty()
            || line.starts_with('{')
            || trimmed.starts_with("-}")
            || trimmed == "-"
            || trimmed == "$"
        {
            continue;
        }
        if let Some((tag, rest)) = tag_of(line) {
            fields.push(Field { tag: tag.to_owned(), line: number, value: rest.to_owned() });
        } else if let Some(field) = fields.last_mut() {
            field.value.push('\n');
            field.value.push_str(line);
        } else {
            let found = format!("text {line:?} before the first field");
            return Err((
                Location::line(number),
                Problem::Unexpected { found, expected: ":20: first" },
            ));
        }
    }
    Ok(fields)
}

/// A bank's header line before a message: the message type (`940`, Rabobank's `:940:`,
/// ING's `940 00`), a BIC (ABN AMRO writes `ABNANL2A`, `940`, `ABNANL2A` before each `:20:`)
/// or ING's export line (`0000 01`, the 12-character logical terminal address such as
/// `INGBNL2AXXXX`, and a 5-digit export number, written twice before `940 00`).
fn is_header(line: &str) -> bool {
    let is_address = |text: &str, lengths: &[usize]| {
        lengths.contains(&text.len())
            && text.bytes().take(6).all(|byte| byte.is_ascii_uppercase())
            && text.bytes().skip(6).all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
    };
    let is_ing_export = line.strip_prefix("0000 01").is_some_and(|rest| {
        rest.len() == 17
            && rest.is_char_boundary(12)
            && is_address(&rest[..12], &[12])
            && rest[12..].bytes().all(|byte| byte.is_ascii_digit())
    });
    matches!(line, "940" | ":940:" | "MT940" | "940 00")
        || is_address(line, &[8, 11])
        || is_ing_export
}

/// `:61:rest` gives `("61", "rest")`: a tag is two digits and an optional letter.
fn tag_of(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let tag = &rest[..end];
    let bytes = tag.as_bytes();
    let well_formed = (2..=3).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_digit)
        && bytes.get(2).is_none_or(u8::is_ascii_alphabetic);
    well_formed.then(|| (tag, &rest[end + 1..]))
}

/// What a message has given so far.
struct Message {
    message_id: String,
    account: Option<String>,
    number: Option<String>,
    opening: Option<(Currency, i64)>,
    lines: Vec<StatementLine>,
    last_was_line: bool,
}

fn statement(fields: Vec<Field>) -> Result<Statement, Failure> {
    let first = &fields[0];
    if first.tag != "20" {
        let found = format!("field :{}:", first.tag);
        return Err(first.fail(Problem::Unexpected { found, expected: ":20: starts a message" }));
    }
    let mut message = Message {
        message_id: first.value.trim().to_owned(),
        account: None,
        number: None,
        opening: None,
        lines: Vec::new(),
        last_was_line: false,
    };
    for (index, field) in fields.iter().enumerate().skip(1) {
        let was_line = std::mem::replace(&mut message.last_was_line, false);
        // Two messages run together (the first's `:62F:` and the second's `:20:` lost) would
        // otherwise read as one, the second's account and opening replacing the first's.
        let repeated = match field.tag.as_str() {
            "25" | "25P" => message.account.is_some(),
            "28" | "28C" => message.number.is_some(),
            "60F" | "60M" => message.opening.is_some(),
            _ => false,
        };
        if repeated {
            return Err(field.fail(Problem::Unexpected {
                found: format!("a second :{}:", field.tag),
                expected: "one per message; a :62F: and a :20: may be missing before it",
            }));
        }
        match field.tag.as_str() {
            // `:25P:` gives the account servicer's BIC on a second line.
            "25" | "25P" => {
                let account = field.value.lines().next().unwrap_or("").trim();
                if account.is_empty() {
                    return Err(field.fail(Problem::Missing { what: ":25: account" }));
                }
                message.account = Some(account.to_owned());
            }
            "28" | "28C" => message.number = Some(field.value.trim().to_owned()),
            "60F" | "60M" => message.opening = Some(balance(field)?),
            "61" => {
                let currency = message.opening.ok_or_else(|| {
                    field.fail(Problem::Unexpected {
                        found: ":61: before :60F:".to_owned(),
                        expected: ":60F: or :60M: first",
                    })
                })?;
                let ordinal = message.lines.len() + 1;
                let mut line = statement_line(field, currency.0)?;
                if line.bank_reference.is_empty() {
                    let number = message.number.as_deref().unwrap_or("");
                    line.bank_reference = format!("{}/{number}/{ordinal}", message.message_id);
                }
                message.lines.push(line);
                message.last_was_line = true;
            }
            "86" if was_line => {
                if let Some(line) = message.lines.last_mut() {
                    // `:86:` supersedes the supplementary details as remittance information,
                    // unless it carries none (only codes: a payer's name or account).
                    let supplementary = line.remittance_unstructured.take();
                    information(&field.value, line);
                    if line.remittance_unstructured.is_none() {
                        line.remittance_unstructured = supplementary;
                    }
                }
            }
            "62F" | "62M" => {
                let statement = close(message, field)?;
                after_close(&fields[index + 1..], statement.currency)?;
                return Ok(statement);
            }
            _ => {}
        }
    }
    let end = fields.last().map_or(first.at(), Field::at);
    Err((end, Problem::UnexpectedEnd { what: ":62F: or :62M: (closing balance)" }))
}

/// Only `:64:`, `:65:` and `:86:` may follow the closing balance: any other field (a `:61:`,
/// or the `:25:` of a next message whose `:20:` is missing) would otherwise be dropped. The
/// available balances `:64:` and `:65:` are not carried over, but must be well formed and in
/// the statement's `currency`.
fn after_close(rest: &[Field], currency: Currency) -> Result<(), Failure> {
    for field in rest {
        match field.tag.as_str() {
            "64" | "65" => {
                let (found, _) = balance(field)?;
                if found != currency {
                    let found = found.code().to_owned();
                    return Err(field.fail(Problem::CurrencyMismatch { expected: currency, found }));
                }
            }
            "86" => {}
            tag => {
                return Err(field.fail(Problem::Unexpected {
                    found: format!("field :{tag}: after the closing balance"),
                    expected: "only :64:, :65: or :86: after :62F: or :62M:, or :20: to start a \
                               message",
                }))
            }
        }
    }
    Ok(())
}

/// Ends a message at its closing balance: the currency and balance checks.
fn close(message: Message, field: &Field) -> Result<Statement, Failure> {
    let account =
        message.account.ok_or_else(|| field.fail(Problem::Missing { what: ":25: account" }))?;
    let (currency, opening) = message
        .opening
        .ok_or_else(|| field.fail(Problem::Missing { what: ":60F: opening balance" }))?;
    let (closing_currency, closing) = balance(field)?;
    if closing_currency != currency {
        let problem = Problem::CurrencyMismatch {
            expected: currency,
            found: closing_currency.code().to_owned(),
        };
        return Err(field.fail(problem));
    }
    check::balance(currency, opening, Totals::of(&message.lines), closing, &field.at())?;
    Ok(Statement {
        format: Format::Mt940,
        message_id: Some(message.message_id),
        statement_id: message.number,
        account,
        currency,
        opening_balance_minor: Some(opening),
        closing_balance_minor: Some(closing),
        lines: message.lines,
    })
}

/// A balance field (`60F`, `62F`...): `1!a6!n3!a15d`, mark, date, currency, amount.
fn balance(field: &Field) -> Result<(Currency, i64), Failure> {
    let value = field.value.trim();
    let malformed = || {
        field.fail(Problem::Malformed {
            what: "balance",
            found: value.to_owned(),
            expected: "C|D YYMMDD CCY amount",
        })
    };
    let sign = match value.get(..1) {
        Some("C") => 1,
        Some("D") => -1,
        _ => return Err(malformed()),
    };
    let date = value.get(1..7).ok_or_else(malformed)?;
    yymmdd(date, "balance date").map_err(|p| field.fail(p))?;
    let code = value.get(7..10).ok_or_else(malformed)?;
    let currency = Currency::from_code(code)
        .map_err(|_| field.fail(Problem::UnknownCurrency { code: code.to_owned() }))?;
    let amount =
        to_minor(&value[10..], ',', currency, "balance amount").map_err(|p| field.fail(p))?;
    Ok((currency, sign * amount))
}

/// A cursor over the first line of a `:61:` field.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn take_while(&mut self, max: usize, keep: impl Fn(char) -> bool) -> &'a str {
        let end = self.rest.char_indices().take(max).find(|(_, c)| !keep(*c)).map_or_else(
            || self.rest.char_indices().nth(max).map_or(self.rest.len(), |(i, _)| i),
            |(i, _)| i,
        );
        let (taken, rest) = self.rest.split_at(end);
        self.rest = rest;
        taken
    }
}

fn statement_line(field: &Field, currency: Currency) -> Result<StatementLine, Failure> {
    let (first, supplementary) = field.value.split_once('\n').unwrap_or((&field.value, ""));
    let malformed = |expected| {
        field.fail(Problem::Malformed {
            what: ":61: statement line",
            found: first.to_owned(),
            expected,
        })
    };
    let mut cursor = Cursor { rest: first.trim_end() };
    let value_text = cursor.take_while(6, |c| c.is_ascii_digit());
    let value_on = yymmdd(value_text, "value date").map_err(|p| field.fail(p))?;
    let entry = cursor.take_while(4, |c| c.is_ascii_digit());
    let booking_on = match entry.len() {
        0 => value_on,
        4 => entry_date(value_on, entry).ok_or_else(|| {
            field.fail(Problem::BadDate { what: "entry date", found: entry.to_owned() })
        })?,
        _ => return Err(malformed("an entry date of 4 digits (MMDD)")),
    };
    // `R` starts a two-letter reversal mark; `C` or `D` alone may be followed by a funds code
    // letter (`CR1000,` is a credit with funds code R).
    let mark_len = if cursor.rest.starts_with('R') { 2 } else { 1 };
    let (direction, is_reversal) = match cursor.take_while(mark_len, |c| c.is_ascii_alphabetic()) {
        "C" => (Direction::Credit, false),
        "D" => (Direction::Debit, false),
        "RC" => (Direction::Debit, true),
        "RD" => (Direction::Credit, true),
        _ => return Err(malformed("a mark C, D, RC or RD")),
    };
    cursor.take_while(1, |c| c.is_ascii_alphabetic());
    let amount_text = cursor.take_while(15, |c| c.is_ascii_digit() || c == ',');
    if !amount_text.contains(',') {
        return Err(malformed("an amount with a decimal comma"));
    }
    let amount_minor = to_minor(amount_text, ',', currency, "amount").map_err(|p| field.fail(p))?;
    // `1!a3!c`: `S` (a SWIFT message type), `N` (non-SWIFT) or `F` (first advice) and three
    // characters. The letter also catches an amount longer than its 15 characters, whose
    // last digit would otherwise start the type.
    let kind = cursor.take_while(4, |c| c.is_ascii_alphanumeric());
    if kind.len() != 4 || !kind.starts_with(['S', 'N', 'F']) {
        return Err(malformed("a transaction type of S, N or F and 3 characters (NTRF, S202...)"));
    }
    let (owner, bank) = cursor.rest.split_once("//").unwrap_or((cursor.rest, ""));
    // A `//NONREF` (which a few banks write) is kept as the key it always was, but it names
    // no movement.
    // The owner's reference stays beside the bank's: on a credit it is often the payer's own
    // reference, which matching reads as it reads an end-to-end id.
    let owner_reference = Some(owner.trim())
        .filter(|owner| !owner.is_empty() && *owner != "NONREF" && *owner != NOT_PROVIDED)
        .map(str::to_owned);
    let (bank_reference, reference_kind) = match (bank.trim(), owner.trim()) {
        ("", "NONREF") | ("", "") => (String::new(), ReferenceKind::Composed),
        ("", owner) => (owner.to_owned(), ReferenceKind::Given),
        ("NONREF", _) => ("NONREF".to_owned(), ReferenceKind::Given),
        (bank, _) => (bank.to_owned(), ReferenceKind::Servicer),
    };
    let supplementary = supplementary.trim();
    Ok(StatementLine {
        location: field.at(),
        booking_on,
        value_on,
        amount_minor,
        direction,
        bank_reference,
        reference_kind,
        repeat: None,
        remittance_unstructured: (!supplementary.is_empty()).then(|| supplementary.to_owned()),
        creditor_reference: None,
        payer_name: None,
        payer_account: None,
        return_reason: None,
        is_reversal,
        end_to_end_id: None,
        owner_reference,
        transaction_code: Some(kind.to_owned()),
    })
}

/// The entry date `MMDD` in the year that puts it nearest the value date (a line valued on
/// 31 December may be booked on 2 January). A day that does not exist in that year (`0229`
/// beside a value date of 2027) is none, not the same day of another year.
fn entry_date(value_on: NaiveDate, mmdd: &str) -> Option<NaiveDate> {
    let month: u32 = mmdd.get(..2)?.parse().ok()?;
    let day: u32 = mmdd.get(2..)?.parse().ok()?;
    if !(1..=31).contains(&day) {
        return None;
    }
    // The year is chosen by where the month and day fall, 29 February as 28 February.
    let year = [value_on.year(), value_on.year() + 1, value_on.year() - 1]
        .into_iter()
        .filter_map(|year| {
            let near = NaiveDate::from_ymd_opt(year, month, day)
                .or_else(|| NaiveDate::from_ymd_opt(year, month, day.min(28)))?;
            Some((year, (near - value_on).num_days().abs()))
        })
        .min_by_key(|(_, distance)| *distance)?
        .0;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Reads `:86:` into the line: German `?NN` subfields, SEPA slash codes or free text.
fn information(value: &str, line: &mut StatementLine) {
    // Lines are joined as written, for a structured field may break anywhere (a German
    // subfield's 27 characters, a 65-character line); blanks at a line's end are padding or one
    // word's end, so they become one space (`?20PAYMENT FOR ` then `?21INVOICE 42` is
    // `PAYMENT FOR INVOICE 42`).
    let joined: String = value
        .lines()
        .map(|part| {
            let text = part.trim_end();
            if text.len() < part.len() {
                format!("{text} ")
            } else {
                text.to_owned()
            }
        })
        .collect();
    let is_german = joined.len() > 3
        && joined.as_bytes()[..3].iter().all(u8::is_ascii_digit)
        && joined[3..].starts_with('?');
    if is_german {
        german(&joined, line);
    } else if joined.starts_with('/') && slash_codes(&joined, line) {
        // read as codes
    } else {
        let text = value.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        append_remittance(line, text.trim());
    }
}

fn german(joined: &str, line: &mut StatementLine) {
    for part in joined[3..].split('?').skip(1) {
        let split = part.char_indices().nth(2).map_or(part.len(), |(index, _)| index);
        let (code, text) = part.split_at(split);
        match code {
            "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29" | "60" | "61"
            | "62" | "63" => append_remittance_raw(line, text),
            "31" => line.payer_account = Some(text.trim().to_owned()),
            "32" | "33" => {
                let before = line.payer_name.take().unwrap_or_default();
                line.payer_name = Some(format!("{before}{text}").trim().to_owned());
            }
            _ => {}
        }
    }
    line.end_to_end_id = line.remittance_unstructured.as_deref().and_then(sepa_eref);
}

/// The value of `EREF+` in German SEPA remittance text, up to the next `XXXX+` keyword
/// (`SVWZ+`, `KREF+`, `MREF+`...); none for `NOTPROVIDED`.
fn sepa_eref(text: &str) -> Option<String> {
    let start = text.find("EREF+")? + "EREF+".len();
    let rest = &text[start..];
    let bytes = rest.as_bytes();
    let end = (0..bytes.len())
        .find(|&i| {
            bytes.get(i + 4) == Some(&b'+') && bytes[i..i + 4].iter().all(u8::is_ascii_uppercase)
        })
        .unwrap_or(rest.len());
    let value = rest[..end].trim();
    (!value.is_empty() && value != NOT_PROVIDED).then(|| value.to_owned())
}

/// The SEPA placeholder for a missing end-to-end id, which is no reference.
const NOT_PROVIDED: &str = "NOTPROVIDED";

/// The SEPA codes read from `:86:`; others (`/BIC/`, `/TRTP/`...) are skipped.
const SLASH_CODES: &[&str] = &[
    "CNTP",
    "EREF",
    "REMI",
    "USTD",
    "STRD",
    "NAME",
    "IBAN",
    "CDTRREF",
    "CDTRREFTP",
    "CD",
    "ISSR",
    "RTRN",
    "BIC",
    "TRTP",
    "ORDP",
    "BENM",
    "MARF",
    "CSID",
    "ADDR",
    "ISDT",
    "SVCL",
    "PURP",
    "CUR",
];

/// Reads `/CODE/value/CODE/value/`; false when the text holds no known code.
fn slash_codes(joined: &str, line: &mut StatementLine) -> bool {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for token in joined.split('/') {
        if SLASH_CODES.contains(&token) {
            pairs.push((token, String::new()));
        } else if let Some((_, value)) = pairs.last_mut() {
            if !value.is_empty() || !token.is_empty() {
                if !value.is_empty() {
                    value.push('/');
                }
                value.push_str(token);
            }
        }
    }
    let value = |code: &str| {
        pairs
            .iter()
            .find(|(c, v)| *c == code && !v.trim_matches('/').is_empty())
            .map(|(_, v)| v.trim_matches('/').trim().to_owned())
    };
    if pairs.is_empty() {
        return false;
    }
    if let Some(text) = value("USTD").or_else(|| value("REMI")) {
        append_remittance(line, &text);
    }
    let (counterparty_account, counterparty_name) = counterparty(joined);
    line.payer_name = value("NAME").or(counterparty_name);
    line.payer_account = value("IBAN").or(counterparty_account);
    line.creditor_reference = value("CDTRREF");
    line.return_reason = value("RTRN");
    line.end_to_end_id = value("EREF").filter(|id| id != NOT_PROVIDED);
    true
}

/// Appends a `?2x` piece as is: German banks cut the text at fixed widths, mid-word.
fn append_remittance_raw(line: &mut StatementLine, text: &str) {
    let before = line.remittance_unstructured.take().unwrap_or_default();
    line.remittance_unstructured = Some(format!("{before}{text}"));
}

/// ING's `/CNTP/account/BIC/name/city/`: positional, any part may be empty.
fn counterparty(joined: &str) -> (Option<String>, Option<String>) {
    let Some(start) = joined.find("/CNTP/") else { return (None, None) };
    let mut parts = joined[start + "/CNTP/".len()..].split('/').map(str::trim);
    let mut next = || parts.next().filter(|part| !part.is_empty()).map(str::to_owned);
    let account = next();
    let _bic = next();
    (account, next())
}

fn append_remittance(line: &mut StatementLine, text: &str) {
    if text.is_empty() {
        return;
    }
    line.remittance_unstructured = Some(match line.remittance_unstructured.take() {
        Some(before) => format!("{before} {text}"),
        None => text.to_owned(),
    });
}
