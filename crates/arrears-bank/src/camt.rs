//! ISO 20022 camt.053 (bank-to-customer statement) and camt.054 (debit/credit notification),
//! versions 001.02 to 001.14.
//!
//! Read with `quick-xml` into a small element tree (names without namespace prefix, each with
//! its line and element path), then walked by element name. The versions differ in their
//! namespace (`urn:iso:std:iso:20022:tech:xsd:camt.053.001.08`) and in a few places this
//! reader handles: `Sts` is text up to 001.05 and `Sts/Cd` after; a party's name is
//! `Dbtr/Nm` up to 001.07 and `Dbtr/Pty/Nm` after; a transaction's amount is
//! `TxDtls/AmtDtls/TxAmt/Amt` in 001.02 and also `TxDtls/Amt` after (a batch may also give
//! only the instructed amount or the counter value in `AmtDtls`).
//!
//! The `Document` may be the root or sit in an envelope (SWIFT's `Envelope` with the business
//! application header `AppHdr` beside it).
//!
//! The remittance text is `RmtInf/Ustrd`; without it, the numbers of the documents the
//! structured remittance refers to (`Strd/RfrdDocInf/Nb`), else `TxDtls/AddtlTxInf`, else (an
//! entry of one movement) the entry's `AddtlNtryInf`.
//!
//! Only booked entries (`Sts` `BOOK`) become lines; pending and information entries are
//! skipped. An entry with several `TxDtls` (a batch) gives one line per transaction, whose
//! amounts must add up to the entry's; a batch booked net, whose transactions give both
//! directions in their `CdtDbtInd`, reads each one's, and its credits minus debits must.
//! A batch whose amount is its transactions' less (or plus) the charges it declares
//! (`Chrgs`, at the entry or per transaction) gives one more line, the charges as a fee
//! (code `CHRG`, reference the entry's with `/charges`), so that the transactions are the
//! payments as made and the lines still add up to the entry; a difference its charges do not
//! explain is refused with the figures. An entry of one transaction whose amount is more
//! (or less) than the entry's by exactly its declared charges reads the same way.
//! [`crate::StatementLine::bank_reference`] is the
//! transaction's `Refs/AcctSvcrRef`; else the entry's `AcctSvcrRef`, else its `NtryRef` (with
//! `/k` for the k-th transaction of a batch); else the `EndToEndId` unless `NOTPROVIDED`, the
//! `UETR`, the `TxId` or the `InstrId`; else the statement's `Id` and the entry's ordinal
//! (`STMT-1/3`, with `/k` in a batch), for every reference is optional in the schema. Only an
//! `AcctSvcrRef` is the servicer's ([`crate::ReferenceKind::Servicer`]), which names one
//! entry; a `NtryRef` is unique within its statement only.
//!
//! Checks: every `Amt` in the statement's currency (`Acct/Ccy`, else the first balance's);
//! camt.053's opening (`OPBD`, else `PRCD`, else a page's first `ITBD`) plus entries equals
//! its closing (`CLBD`, else a page's last `ITBD`);
//! `TxsSummry` entry counts and credit and debit sums when present.

use arrears_core::money::Currency;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::amount::decimal_to_minor;
use crate::check::{self, Totals};
use crate::error::{Failure, Location, Problem};
use crate::text::xml_date;
use crate::{Direction, Format, ReferenceKind, Statement, StatementLine};

/// Elements that repeat, shown with their 1-based index in element paths.
const INDEXED: &[&str] =
    &["Stmt", "Ntfctn", "Bal", "Ntry", "NtryDtls", "TxDtls", "Ustrd", "Strd", "Chrgs", "Rcrd"];

/// The deepest element nesting accepted. camt documents nest about 12 deep; the bound keeps a
/// hostile file from building a tree whose recursive drop would overflow the stack.
const XML_DEPTH_MAX: usize = 64;

/// The camt versions read (the `NN` of `camt.053.001.NN`). The reader walks elements by
/// name, so a version reads as the others when the elements it takes keep their names and
/// places: in 001.14 as in 001.13, `Stmt` (`Ntfctn`), `Bal`, `TxsSummry`, `Ntry` with `Amt`,
/// `CdtDbtInd`, `RvslInd`, `Sts/Cd`, `BookgDt`, `ValDt`, `AcctSvcrRef`, `BkTxCd`, `Chrgs` and
/// `NtryDtls/TxDtls` with `Refs`, `Amt`, `AmtDtls`, `RltdPties`, `RmtInf`, `RtrInf`. A later
/// version is refused until it has been checked so: a renamed element would otherwise read as
/// absent.
const VERSIONS: std::ops::RangeInclusive<u32> = 2..=14;

/// One XML element, its namespace prefix dropped.
#[derive(Debug)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
    line: u32,
    path: String,
}

impl Node {
    fn at(&self) -> Location {
        Location { line: self.line, element: Some(self.path.clone()) }
    }

    fn fail(&self, problem: Problem) -> Failure {
        (self.at(), problem)
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|child| child.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The node at a `/`-separated path below this one.
    fn find(&self, path: &str) -> Option<&Node> {
        path.split('/').try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at a path, when present and not empty.
    fn text_at(&self, path: &str) -> Option<String> {
        self.find(path).map(|node| node.text.trim().to_owned()).filter(|text| !text.is_empty())
    }

    fn require(&self, path: &str, what: &'static str) -> Result<&Node, Failure> {
        self.find(path).ok_or_else(|| self.fail(Problem::Missing { what }))
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

pub(crate) fn parse(bytes: &[u8], format: Format) -> Result<Vec<Statement>, Failure> {
    let text = text_of(bytes)?;
    let root = tree(&text)?;
    let (message, found) = message(&root)?;
    if found != format {
        let found = format!("a {} message", found.name());
        return Err(root.fail(Problem::Unexpected { found, expected: "the format asked for" }));
    }
    let message_id = message.text_at("GrpHdr/MsgId");
    let part = if format == Format::Camt053 { "Stmt" } else { "Ntfctn" };
    message.all(part).map(|node| statement(node, format, message_id.clone())).collect()
}

/// The document's text: UTF-8 (a leading BOM dropped), as ISO 20022 requires, or ISO-8859-1
/// when the XML declaration says so (some banks' systems write it). Other bytes that are not
/// UTF-8 are refused at the line of the first bad one.
fn text_of(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, Failure> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.trim_start_matches('\u{feff}').into()),
        Err(_) if declares_latin1(bytes) => {
            Ok(bytes.iter().map(|&byte| char::from(byte)).collect())
        }
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let line = valid.iter().filter(|&&byte| byte == b'\n').count() + 1;
            let line = u32::try_from(line).unwrap_or(u32::MAX);
            Err((Location::line(line), Problem::Encoding { encoding: "UTF-8" }))
        }
    }
}

/// Returns true if and only if the file starts with an XML declaration naming ISO-8859-1.
fn declares_latin1(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(256)];
    let Some(end) = head.windows(2).position(|pair| pair == b"?>") else { return false };
    let declaration =
        String::from_utf8_lossy(&head[..end]).to_ascii_lowercase().replace('\'', "\"");
    declaration.starts_with("<?xml")
        && ["iso-8859-1", "iso8859-1", "latin1", "l1"]
            .iter()
            .any(|name| declaration.contains(&format!("encoding=\"{name}\"")))
}

/// Builds the element tree with each element's line and path.
fn tree(text: &str) -> Result<Node, Failure> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut lines = LineCounter::default();
    loop {
        let position = reader.buffer_position() as usize;
        let line = lines.line_at(text, position);
        let event = reader.read_event().map_err(|error| {
            xml_error(lines.line_at(text, reader.error_position() as usize), error)
        })?;
        match event {
            Event::Start(start) => {
                if stack.len() >= XML_DEPTH_MAX {
                    let problem = Problem::Xml {
                        message: format!("elements nested deeper than {XML_DEPTH_MAX}"),
                    };
                    return Err((Location::line(line), problem));
                }
                let node = element(&start, line, stack.last())?;
                stack.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| {
                    (
                        Location::line(line),
                        Problem::Xml { message: "unbalanced end tag".to_owned() },
                    )
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return after_root(&mut reader, text, &mut lines).map(|()| node),
                }
            }
            Event::Text(content) => {
                let decoded = content.xml10_content().map_err(|error| xml_error(line, error))?;
                push_text(&mut stack, &decoded);
            }
            Event::CData(content) => {
                let decoded = content.decode().map_err(|error| xml_error(line, error))?;
                push_text(&mut stack, &decoded);
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve(&reference).ok_or_else(|| {
                    let name = String::from_utf8_lossy(&reference);
                    let message = format!("unknown entity &{name};");
                    (Location::line(line), Problem::Xml { message })
                })?;
                push_text(&mut stack, &resolved);
            }
            Event::Eof => {
                return Err((
                    Location::line(line),
                    Problem::UnexpectedEnd { what: "the end of the XML document" },
                ));
            }
            _ => {}
        }
    }
}

/// Reads what follows the root element to the end: only comments, processing instructions
/// and blanks may. Anything else (a second `Document`, two files joined into one) is refused,
/// for it would otherwise be dropped unread.
fn after_root(
    reader: &mut Reader<&[u8]>,
    text: &str,
    lines: &mut LineCounter,
) -> Result<(), Failure> {
    loop {
        let position = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|error| {
            xml_error(lines.line_at(text, reader.error_position() as usize), error)
        })?;
        match event {
            Event::Eof => return Ok(()),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Text(content) if content.iter().all(u8::is_ascii_whitespace) => {}
            _ => {
                // The event starts after any blanks the reader skipped before it.
                let rest = text.get(position..).unwrap_or("");
                let start = position + rest.len() - rest.trim_start().len();
                let problem = Problem::Xml { message: "content after the root element".to_owned() };
                return Err((Location::line(lines.line_at(text, start)), problem));
            }
        }
    }
}

/// A new element with its attributes (values normalized as XML 1.0 says), line and path.
fn element(start: &BytesStart<'_>, line: u32, parent: Option<&Node>) -> Result<Node, Failure> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| xml_error(line, error))?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| xml_error(line, error))?;
        attributes.push((
            String::from_utf8_lossy(attribute.key.as_ref()).into_owned(),
            value.into_owned(),
        ));
    }
    let path = path_of(parent, &name);
    Ok(Node { name, attributes, text: String::new(), children: Vec::new(), line, path })
}

fn push_text(stack: &mut [Node], text: &str) {
    if let Some(node) = stack.last_mut() {
        node.text.push_str(text);
    }
}

/// A character reference or one of XML's five predefined entities. Entities a DTD declares
/// are not expanded: a statement has none, and expanding them is how XML bombs work.
fn resolve(reference: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return Some(c.to_string());
    }
    let name = reference.decode().ok()?;
    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned)
}

#[cold]
fn xml_error(line: u32, error: impl std::fmt::Display) -> Failure {
    (Location::line(line), Problem::Xml { message: error.to_string() })
}

fn path_of(parent: Option<&Node>, name: &str) -> String {
    let Some(parent) = parent else { return name.to_owned() };
    if INDEXED.contains(&name) {
        let index = parent.all(name).count() + 1;
        format!("{}/{name}[{index}]", parent.path)
    } else {
        format!("{}/{name}", parent.path)
    }
}

/// Line numbers from byte offsets, counting newlines incrementally.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: u32,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, offset: usize) -> u32 {
        let offset = offset.min(text.len());
        if offset >= self.offset {
            self.line +=
                text.as_bytes()[self.offset..offset].iter().filter(|&&b| b == b'\n').count() as u32;
            self.offset = offset;
        }
        self.line + 1
    }
}

/// The element holding the message: the root `Document`, or a `Document` inside an envelope
/// (SWIFT's, with the business application header `AppHdr` beside it, or a bank's own).
fn document(node: &Node) -> Option<&Node> {
    if node.child("BkToCstmrStmt").is_some() || node.child("BkToCstmrDbtCdtNtfctn").is_some() {
        return Some(node);
    }
    node.children.iter().find_map(document)
}

/// The message element and which format it is, its namespace version checked.
fn message(top: &Node) -> Result<(&Node, Format), Failure> {
    let root = document(top).unwrap_or(top);
    // Only namespace declarations: `xsi:schemaLocation` also starts with the namespace.
    let namespace = root
        .attributes
        .iter()
        .filter(|(key, _)| key == "xmlns" || key.starts_with("xmlns:"))
        .map(|(_, value)| value.as_str())
        .find(|value| value.starts_with("urn:iso:std:iso:20022:tech:xsd:"));
    let unsupported = |namespace: &str| {
        root.fail(Problem::UnsupportedVersion { namespace: namespace.to_owned() })
    };
    let (node, format, message) = if let Some(node) = root.child("BkToCstmrStmt") {
        (node, Format::Camt053, "camt.053.001.")
    } else if let Some(node) = root.child("BkToCstmrDbtCdtNtfctn") {
        (node, Format::Camt054, "camt.054.001.")
    } else {
        return Err(unsupported(&format!(
            "root {} without BkToCstmrStmt or BkToCstmrDbtCdtNtfctn",
            root.name
        )));
    };
    if let Some(namespace) = namespace {
        let version = namespace
            .strip_prefix("urn:iso:std:iso:20022:tech:xsd:")
            .and_then(|rest| rest.strip_prefix(message))
            .and_then(|version| version.parse::<u32>().ok());
        if !version.is_some_and(|version| VERSIONS.contains(&version)) {
            return Err(unsupported(namespace));
        }
    }
    Ok((node, format))
}

fn statement(
    node: &Node,
    format: Format,
    message_id: Option<String>,
) -> Result<Statement, Failure> {
    let account = node
        .text_at("Acct/Id/IBAN")
        .or_else(|| node.text_at("Acct/Id/Othr/Id"))
        .ok_or_else(|| node.fail(Problem::Missing { what: "Acct/Id/IBAN or Acct/Id/Othr/Id" }))?;
    let currency = currency_of(node)?;
    let mut lines = Vec::new();
    let mut entries = Totals::default();
    let mut entry_count = 0u64;
    let statement_id = node.text_at("Id");
    for (index, entry) in node.all("Ntry").enumerate() {
        if !is_booked(entry)? {
            continue;
        }
        // The entry's place, the last resort of a bank reference.
        let place = statement_id.as_ref().map(|id| format!("{id}/{}", index + 1));
        let (direction, amount_minor) = entry_lines(entry, currency, place, &mut lines)?;
        entries.add(direction, amount_minor);
        entry_count += 1;
    }
    if let Some(summary) = node.child("TxsSummry") {
        summary_checks(summary, currency, entry_count, entries)?;
    }
    let mut statement = Statement {
        format,
        message_id,
        statement_id,
        account,
        currency,
        opening_balance_minor: None,
        closing_balance_minor: None,
        lines,
    };
    if format == Format::Camt053 {
        balances(node, &mut statement, entries)?;
    }
    Ok(statement)
}

fn currency_of(node: &Node) -> Result<Currency, Failure> {
    let (code, at) = match node.find("Acct/Ccy") {
        Some(ccy) => (ccy.text.trim().to_owned(), ccy),
        None => {
            let amount = node
                .all("Bal")
                .chain(node.all("Ntry"))
                .find_map(|parent| parent.child("Amt"))
                .ok_or_else(|| {
                    node.fail(Problem::Missing { what: "Acct/Ccy (the statement's currency)" })
                })?;
            (amount.attribute("Ccy").unwrap_or("").to_owned(), amount)
        }
    };
    Currency::from_code(&code).map_err(|_| at.fail(Problem::UnknownCurrency { code }))
}

/// Returns true if and only if the entry's `Sts` is `BOOK`: text up to 001.05, `Sts/Cd` after.
/// `Sts` is mandatory, and an entry without a status the versions define is refused rather
/// than skipped as pending: it may well be booked, and nothing else would catch its absence
/// in a camt.054, which has no balances.
fn is_booked(entry: &Node) -> Result<bool, Failure> {
    let status =
        entry.child("Sts").ok_or_else(|| entry.fail(Problem::Missing { what: "Ntry/Sts" }))?;
    let code = status.text_at("Cd").unwrap_or_else(|| status.text.trim().to_owned());
    match code.as_str() {
        "BOOK" => Ok(true),
        "PDNG" | "INFO" | "FUTR" => Ok(false),
        _ => {
            let found = status.text_at("Prtry").map_or(code, |code| format!("Prtry {code}"));
            Err(status.fail(Problem::Malformed {
                what: "Ntry/Sts",
                found,
                expected: "BOOK, PDNG, INFO or FUTR",
            }))
        }
    }
}

/// An `Amt` element in minor units, its `Ccy` checked against the statement's currency.
fn amount(node: &Node, currency: Currency) -> Result<i64, Failure> {
    let code = node
        .attribute("Ccy")
        .ok_or_else(|| node.fail(Problem::Missing { what: "Ccy attribute" }))?;
    if code != currency.code() {
        return Err(
            node.fail(Problem::CurrencyMismatch { expected: currency, found: code.to_owned() })
        );
    }
    decimal_to_minor(node.text.trim(), currency, "Amt").map_err(|problem| node.fail(problem))
}

fn direction(node: &Node) -> Result<Direction, Failure> {
    let indicator = node.require("CdtDbtInd", "CdtDbtInd")?;
    match indicator.text.trim() {
        "CRDT" => Ok(Direction::Credit),
        "DBIT" => Ok(Direction::Debit),
        found => Err(indicator.fail(Problem::Malformed {
            what: "CdtDbtInd",
            found: found.to_owned(),
            expected: "CRDT or DBIT",
        })),
    }
}

/// `RvslInd`, an `xs:boolean`: `true` or `1`, `false` or `0`; absent is not a reversal.
fn reversal(entry: &Node) -> Result<bool, Failure> {
    xs_boolean(entry, "RvslInd", false)
}

/// The `xs:boolean` child `name` of `node` (`true` or `1`, `false` or `0`, blanks around
/// ignored), `absent` when there is none; anything else is refused at the child.
fn xs_boolean(node: &Node, name: &'static str, absent: bool) -> Result<bool, Failure> {
    let Some(indicator) = node.child(name) else { return Ok(absent) };
    match indicator.text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        found => Err(indicator.fail(Problem::Malformed {
            what: name,
            found: found.to_owned(),
            expected: "true, false, 1 or 0",
        })),
    }
}

/// A `DateAndDateTimeChoice` (`BookgDt`, `ValDt`, `Bal/Dt`): its `Dt` or its `DtTm`.
fn date_at(node: &Node, path: &str) -> Result<Option<chrono::NaiveDate>, Failure> {
    let Some(date) = node.find(path) else { return Ok(None) };
    let (text, with_time) = match (date.child("Dt"), date.child("DtTm")) {
        (Some(day), _) => (day.text.trim(), false),
        (None, Some(moment)) => (moment.text.trim(), true),
        (None, None) => return Err(date.fail(Problem::Missing { what: "Dt or DtTm" })),
    };
    xml_date(text, with_time, "date").map(Some).map_err(|problem| date.fail(problem))
}

/// Adds an entry's lines (one per transaction, and one for the charges a batch's amount
/// deducts); returns its direction and amount.
fn entry_lines(
    entry: &Node,
    currency: Currency,
    place: Option<String>,
    lines: &mut Vec<StatementLine>,
) -> Result<(Direction, i64), Failure> {
    let amount_minor = amount(entry.require("Amt", "Ntry/Amt")?, currency)?;
    let direction = direction(entry)?;
    let booking_on = date_at(entry, "BookgDt")?;
    let value_on = date_at(entry, "ValDt")?;
    let booking_on = booking_on
        .or(value_on)
        .ok_or_else(|| entry.fail(Problem::Missing { what: "BookgDt or ValDt" }))?;
    let template = StatementLine {
        location: entry.at(),
        booking_on,
        value_on: value_on.unwrap_or(booking_on),
        amount_minor,
        direction,
        bank_reference: String::new(),
        reference_kind: ReferenceKind::Composed,
        repeat: None,
        remittance_unstructured: None,
        creditor_reference: None,
        payer_name: None,
        payer_account: None,
        return_reason: None,
        is_reversal: reversal(entry)?,
        end_to_end_id: None,
        owner_reference: None,
        transaction_code: entry.find("BkTxCd").and_then(transaction_code),
    };
    let transactions: Vec<&Node> =
        entry.all("NtryDtls").flat_map(|details| details.all("TxDtls")).collect();
    let entry_reference = match entry.text_at("AcctSvcrRef") {
        Some(servicer) => Some((servicer, ReferenceKind::Servicer)),
        None => entry.text_at("NtryRef").map(|entry| (entry, ReferenceKind::Given)),
    };
    if transactions.len() <= 1 {
        let mut line = template;
        if let Some(transaction) = transactions.first() {
            transaction_fields(transaction, &mut line);
        }
        // An entry of one movement may carry its description only at the entry's level.
        if line.remittance_unstructured.is_none() {
            line.remittance_unstructured = entry.text_at("AddtlNtryInf");
        }
        (line.bank_reference, line.reference_kind) = reference(
            transactions.first().copied(),
            entry_reference.clone(),
            place.as_deref(),
            None,
        )
        .ok_or_else(|| entry.fail(missing_reference()))?;
        let gross = match transactions.first() {
            Some(transaction) => {
                gross_of_one(entry, transaction, currency, direction, amount_minor)?
            }
            None => None,
        };
        let Some((transaction_minor, charges_minor, at)) = gross else {
            lines.push(line);
            return Ok((direction, amount_minor));
        };
        line.amount_minor = transaction_minor;
        let own = (line.bank_reference.clone(), line.reference_kind);
        let charges = charges_line(&line, charges_minor, at, entry_reference.or(Some(own)), None);
        lines.push(line);
        lines.push(charges.ok_or_else(|| entry.fail(missing_reference()))?);
        return Ok((direction, amount_minor));
    }
    // A batch booked net (sales and refunds in one entry) gives each transaction's direction;
    // only then are they read. A batch whose transactions all give one direction keeps the
    // entry's, for a reversal's transactions may give the direction of what they reverse.
    let indicated = transactions
        .iter()
        .map(|transaction| transaction.child("CdtDbtInd").map(|_| self::direction(transaction)))
        .map(Option::transpose)
        .collect::<Result<Vec<Option<Direction>>, Failure>>()?;
    let is_net =
        indicated.contains(&Some(Direction::Credit)) && indicated.contains(&Some(Direction::Debit));
    // Summed in the entry's direction: credits minus debits for a credit entry.
    let mut summed_minor = 0i64;
    for (index, transaction) in transactions.iter().enumerate() {
        let mut line = template.clone();
        line.location = transaction.at();
        line.amount_minor = transaction_amount(transaction, currency)?;
        if is_net {
            line.direction = indicated[index].unwrap_or(direction);
        }
        summed_minor = if line.direction == direction {
            summed_minor.saturating_add(line.amount_minor)
        } else {
            summed_minor.saturating_sub(line.amount_minor)
        };
        transaction_fields(transaction, &mut line);
        (line.bank_reference, line.reference_kind) = reference(
            Some(transaction),
            entry_reference.clone(),
            place.as_deref(),
            Some(index + 1),
        )
        .ok_or_else(|| transaction.fail(missing_reference()))?;
        lines.push(line);
    }
    if summed_minor == amount_minor {
        return Ok((direction, amount_minor));
    }
    // The difference, signed as credits (positive when the entry brought more than its
    // transactions): the bank's charges, when the statement declares them so.
    let difference_minor = signed(direction, amount_minor.saturating_sub(summed_minor));
    let what = "Ntry/Amt of a batch against its TxDtls amounts";
    let Some(charges) = batch_charges(entry, &transactions, currency)? else {
        return Err((
            entry.at(),
            Problem::TotalMismatch { what, declared_minor: amount_minor, summed_minor },
        ));
    };
    let Some((charges_minor, at)) =
        charges.iter().find(|(charges_minor, _)| *charges_minor == difference_minor).cloned()
    else {
        return Err((
            entry.at(),
            Problem::BatchChargesMismatch {
                entry_minor: signed(direction, amount_minor),
                transactions_minor: signed(direction, summed_minor),
                difference_minor,
                charges_minor: charges.iter().map(|(charges_minor, _)| *charges_minor).collect(),
            },
        ));
    };
    let line = charges_line(&template, charges_minor, at, entry_reference, place)
        .ok_or_else(|| entry.fail(missing_reference()))?;
    lines.push(line);
    Ok((direction, amount_minor))
}

/// The line of the charges the bank deducted from an entry (or, signed as a credit,
/// refunded), so that the transactions are the payments as made and the lines still add up
/// to the entry: a fee as the statement would book it in an entry of its own. Its reference
/// is `reference` (the entry's, else the line's) or else `place` with `/charges`; none when
/// neither is given.
fn charges_line(
    template: &StatementLine,
    charges_minor: i64,
    at: Location,
    reference: Option<(String, ReferenceKind)>,
    place: Option<String>,
) -> Option<StatementLine> {
    let (bank_reference, reference_kind) = match (reference, place) {
        (Some((reference, kind)), _) => (format!("{reference}/charges"), kind),
        (None, Some(place)) => (format!("{place}/charges"), ReferenceKind::Composed),
        (None, None) => return None,
    };
    Some(StatementLine {
        location: at,
        amount_minor: charges_minor.saturating_abs(),
        direction: if charges_minor < 0 { Direction::Debit } else { Direction::Credit },
        bank_reference,
        reference_kind,
        repeat: None,
        remittance_unstructured: Some(CHARGES_TEXT.to_owned()),
        creditor_reference: None,
        payer_name: None,
        payer_account: None,
        return_reason: None,
        // A charge reverses no payment, even in a reversed entry.
        is_reversal: false,
        end_to_end_id: None,
        owner_reference: None,
        transaction_code: Some(CHARGES_CODE.to_owned()),
        ..template.clone()
    })
}

/// An entry of one transaction booked net of the charges the bank took: its transaction's
/// amount (in the statement's currency), the charges and where they are declared, when the
/// entry's amount is that amount with the charges it (or its transaction) declares exactly.
/// None otherwise, and then the entry's amount is the line's, as it always was: a
/// transaction's amount is optional there, and it may be what was instructed in another
/// sense than what was booked.
fn gross_of_one(
    entry: &Node,
    transaction: &Node,
    currency: Currency,
    direction: Direction,
    amount_minor: i64,
) -> Result<Option<(i64, i64, Location)>, Failure> {
    if entry.child("Chrgs").is_none() && transaction.child("Chrgs").is_none() {
        return Ok(None);
    }
    let Ok(transaction_minor) = transaction_amount(transaction, currency) else { return Ok(None) };
    if transaction_minor == amount_minor {
        return Ok(None);
    }
    let difference_minor = signed(direction, amount_minor.saturating_sub(transaction_minor));
    let charges = batch_charges(entry, &[transaction], currency)?.unwrap_or_default();
    Ok(charges
        .into_iter()
        .find(|(charges_minor, _)| *charges_minor == difference_minor)
        .map(|(charges_minor, at)| (transaction_minor, charges_minor, at)))
}

/// The transaction code of the line a batch's deducted charges become (ISO 20022's bank
/// transaction sub-family code for charges).
const CHARGES_CODE: &str = "CHRG";

/// The remittance text of that line.
const CHARGES_TEXT: &str = "bank charges of the entry (Chrgs)";

/// An amount signed by its direction: positive for a credit.
fn signed(direction: Direction, amount_minor: i64) -> i64 {
    match direction {
        Direction::Credit => amount_minor,
        Direction::Debit => amount_minor.saturating_neg(),
    }
}

/// What a batch's declared charges may take from its entry's amount, signed as credits (a
/// charge taken from the account is negative), each with the place it is declared: the
/// entry's own `Chrgs` (its records included in the amount, else its total of charges and
/// taxes), then those its transactions declare (each one's records, else its total), then
/// both together. None when neither the entry nor any transaction declares charges.
fn batch_charges(
    entry: &Node,
    transactions: &[&Node],
    currency: Currency,
) -> Result<Option<Vec<(i64, Location)>>, Failure> {
    let mut explanations = Vec::new();
    let own = declared_charges(entry, currency)?;
    if let Some(own) = &own {
        explanations.extend(own.candidates.iter().map(|minor| (*minor, own.at.clone())));
    }
    let mut transactions_minor: Option<(i64, Location)> = None;
    for transaction in transactions {
        let Some(declared) = declared_charges(transaction, currency)? else { continue };
        let Some(&first) = declared.candidates.first() else { continue };
        transactions_minor = Some(match transactions_minor {
            None => (first, declared.at),
            Some((sum, at)) => (sum.saturating_add(first), at),
        });
    }
    if let Some((minor, at)) = &transactions_minor {
        explanations.push((*minor, at.clone()));
        if let Some(own) = &own {
            if let Some(first) = own.candidates.first() {
                explanations.push((first.saturating_add(*minor), own.at.clone()));
            }
        }
    }
    Ok((own.is_some() || transactions_minor.is_some()).then_some(explanations))
}

/// The charges one entry or transaction declares.
struct Declared {
    /// What they take from the amount, signed as credits: the records' sum first, then the
    /// total of charges and taxes, when they differ.
    candidates: Vec<i64>,
    /// The first `Chrgs` element.
    at: Location,
}

/// The `Chrgs` of an entry or a transaction: from 001.03, `TtlChrgsAndTaxAmt` and `Rcrd`s
/// (`Amt`, `CdtDbtInd`, `ChrgInclInd`); in 001.02, `Chrgs` repeated, each with its `Amt`.
/// A record is counted unless `ChrgInclInd` says it is not included in the entry's amount
/// (`false`: pre-advised, or booked in an entry of its own), as a debit unless `CdtDbtInd`
/// is `CRDT`. A record or total in another currency than the statement's is not counted:
/// no amount of the account's can hold it. None when nothing is declared.
fn declared_charges(holder: &Node, currency: Currency) -> Result<Option<Declared>, Failure> {
    let Some(first) = holder.child("Chrgs") else { return Ok(None) };
    let in_currency = |node: &Node| node.attribute("Ccy") == Some(currency.code());
    let mut records: Option<i64> = None;
    let mut total: Option<i64> = None;
    for charges in holder.all("Chrgs") {
        if let Some(node) = charges.child("TtlChrgsAndTaxAmt").filter(|node| in_currency(node)) {
            let minor = amount(node, currency)?;
            total = Some(total.unwrap_or(0).saturating_sub(minor));
        }
        // 001.02's `ChargesInformation6` has its `Amt` in `Chrgs` itself.
        let legacy = charges.child("Amt").map(|_| charges);
        for record in charges.all("Rcrd").chain(legacy) {
            if !charge_included(record)? {
                continue;
            }
            let node = record.require("Amt", "Chrgs/Rcrd/Amt")?;
            if !in_currency(node) {
                continue;
            }
            let minor = amount(node, currency)?;
            let direction = match record.child("CdtDbtInd") {
                Some(_) => self::direction(record)?,
                None => Direction::Debit,
            };
            records = Some(records.unwrap_or(0).saturating_add(signed(direction, minor)));
        }
    }
    let mut candidates: Vec<i64> = records.into_iter().chain(total).collect();
    candidates.dedup();
    Ok(Some(Declared { candidates, at: first.at() }))
}

/// `ChrgInclInd`, an `xs:boolean`: true when absent (a record given with an entry is taken
/// as part of it unless it says otherwise).
fn charge_included(record: &Node) -> Result<bool, Failure> {
    xs_boolean(record, "ChrgInclInd", true)
}

#[cold]
fn missing_reference() -> Problem {
    Problem::Missing {
        what: "a bank reference (AcctSvcrRef, NtryRef, EndToEndId, UETR, TxId or InstrId) or \
               the statement's Id",
    }
}

/// A batched transaction's amount: `TxDtls/Amt`, else `AmtDtls/TxAmt/Amt` (001.02), else the
/// counter value `AmtDtls/CntrValAmt/Amt`, else the instructed `AmtDtls/InstdAmt/Amt` (which
/// SEPA batches often give alone); of those given, the first in the statement's currency (a
/// transaction paid in another currency gives its `Amt` or `InstdAmt` in that currency and
/// its booked amount as `TxAmt` or `CntrValAmt`). None in the statement's currency is refused
/// at the first. The batch total checks what is taken.
fn transaction_amount(transaction: &Node, currency: Currency) -> Result<i64, Failure> {
    let given = [
        transaction.child("Amt"),
        transaction.find("AmtDtls/TxAmt/Amt"),
        transaction.find("AmtDtls/CntrValAmt/Amt"),
        transaction.find("AmtDtls/InstdAmt/Amt"),
    ];
    let node = (given.iter().flatten())
        .find(|node| node.attribute("Ccy") == Some(currency.code()))
        .or_else(|| given.iter().flatten().next())
        .ok_or_else(|| {
            transaction.fail(Problem::Missing {
                what: "the amount of a batched transaction (TxDtls/Amt or AmtDtls)",
            })
        })?;
    amount(node, currency)
}

/// A line's bank reference and whose it is: the transaction's `Refs/AcctSvcrRef`; else the
/// entry's `AcctSvcrRef` or `NtryRef` (`entry`, with its kind); else the transaction's
/// `EndToEndId` (unless `NOTPROVIDED`), `UETR`, `TxId` or `InstrId`; else `place`, the
/// statement's id and the entry's ordinal. The entry's reference and its place get `/k` for
/// the k-th transaction of a batch. Every one of them is optional in the schema.
fn reference(
    transaction: Option<&Node>,
    entry: Option<(String, ReferenceKind)>,
    place: Option<&str>,
    batch_index: Option<usize>,
) -> Option<(String, ReferenceKind)> {
    if let Some(own) = transaction.and_then(|t| t.text_at("Refs/AcctSvcrRef")) {
        return Some((own, ReferenceKind::Servicer));
    }
    let in_batch = |reference: &str| match batch_index {
        Some(index) => format!("{reference}/{index}"),
        None => reference.to_owned(),
    };
    if let Some((entry, kind)) = entry {
        return Some((in_batch(&entry), kind));
    }
    let by_transaction = transaction.and_then(|transaction| {
        ["Refs/EndToEndId", "Refs/UETR", "Refs/TxId", "Refs/InstrId"]
            .into_iter()
            .filter_map(|path| transaction.text_at(path))
            .find(|id| id != "NOTPROVIDED")
    });
    match by_transaction {
        Some(given) => Some((given, ReferenceKind::Given)),
        None => place.map(|place| (in_batch(place), ReferenceKind::Composed)),
    }
}

/// Remittance, counterparty and return fields of one `TxDtls`.
fn transaction_fields(transaction: &Node, line: &mut StatementLine) {
    let remittance = transaction.child("RmtInf");
    let unstructured: Vec<String> = remittance
        .into_iter()
        .flat_map(|rmt| rmt.all("Ustrd"))
        .map(|node| node.text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .collect();
    // Without free text, what else names what was paid: the numbers of the documents the
    // structured remittance refers to (`Strd/RfrdDocInf/Nb`, invoice numbers), else the
    // transaction's additional information.
    let referred: Vec<String> = remittance
        .into_iter()
        .flat_map(|rmt| rmt.all("Strd"))
        .flat_map(|strd| strd.all("RfrdDocInf"))
        .filter_map(|document| document.text_at("Nb"))
        .collect();
    line.remittance_unstructured = if !unstructured.is_empty() {
        Some(unstructured.join(" "))
    } else if !referred.is_empty() {
        Some(referred.join(" "))
    } else {
        transaction.text_at("AddtlTxInf")
    };
    line.creditor_reference = remittance
        .into_iter()
        .flat_map(|rmt| rmt.all("Strd"))
        .find_map(|strd| strd.text_at("CdtrRefInf/Ref"));
    let (party, account) = match line.direction {
        Direction::Credit => ("RltdPties/Dbtr", "RltdPties/DbtrAcct/Id"),
        Direction::Debit => ("RltdPties/Cdtr", "RltdPties/CdtrAcct/Id"),
    };
    line.payer_name =
        transaction.find(party).and_then(|p| p.text_at("Nm").or_else(|| p.text_at("Pty/Nm")));
    line.payer_account = transaction
        .find(account)
        .and_then(|id| id.text_at("IBAN").or_else(|| id.text_at("Othr/Id")));
    line.end_to_end_id = transaction.text_at("Refs/EndToEndId").filter(|id| id != "NOTPROVIDED");
    if let Some(code) = transaction.find("BkTxCd").and_then(transaction_code) {
        line.transaction_code = Some(code);
    }
    line.return_reason =
        transaction.text_at("RtrInf/Rsn/Cd").or_else(|| transaction.text_at("RtrInf/Rsn/Prtry"));
}

/// `BkTxCd` as `Domain/Family/SubFamily`, else its proprietary code.
fn transaction_code(code: &Node) -> Option<String> {
    let domain = code.text_at("Domn/Cd");
    let family = code.text_at("Domn/Fmly/Cd");
    let sub_family = code.text_at("Domn/Fmly/SubFmlyCd");
    match (domain, family, sub_family) {
        (Some(domain), Some(family), Some(sub_family)) => {
            Some(format!("{domain}/{family}/{sub_family}"))
        }
        _ => code.text_at("Prtry/Cd"),
    }
}

/// `TxsSummry`: entry count, sum and net, credit and debit counts and sums, when given.
fn summary_checks(
    summary: &Node,
    currency: Currency,
    entry_count: u64,
    entries: Totals,
) -> Result<(), Failure> {
    let count_at = |path: &str, what: &'static str, counted: u64| -> Result<(), Failure> {
        let Some(node) = summary.find(path) else { return Ok(()) };
        let declared = node.text.trim().parse::<u64>().map_err(|_| {
            node.fail(Problem::Malformed { what, found: node.text.clone(), expected: "a count" })
        })?;
        check::count(what, declared, counted, &node.at())
    };
    let sum_at = |path: &str, what: &'static str, summed: i64| -> Result<(), Failure> {
        let Some(node) = summary.find(path) else { return Ok(()) };
        let declared =
            decimal_to_minor(node.text.trim(), currency, what).map_err(|p| node.fail(p))?;
        check::total(what, declared, summed, &node.at())
    };
    count_at("TtlNtries/NbOfNtries", "TxsSummry/TtlNtries/NbOfNtries", entry_count)?;
    count_at("TtlCdtNtries/NbOfNtries", "TxsSummry/TtlCdtNtries/NbOfNtries", entries.credit_count)?;
    sum_at("TtlCdtNtries/Sum", "TxsSummry/TtlCdtNtries/Sum", entries.credits_minor)?;
    count_at("TtlDbtNtries/NbOfNtries", "TxsSummry/TtlDbtNtries/NbOfNtries", entries.debit_count)?;
    sum_at("TtlDbtNtries/Sum", "TxsSummry/TtlDbtNtries/Sum", entries.debits_minor)?;
    let all_minor = entries.credits_minor.saturating_add(entries.debits_minor);
    sum_at("TtlNtries/Sum", "TxsSummry/TtlNtries/Sum", all_minor)?;
    // The net is `TtlNetNtry` (`Amt` and `CdtDbtInd`) from 001.03; 001.02 writes
    // `TtlNetNtryAmt` with `CdtDbtInd` beside it in `TtlNtries`.
    let net_minor = entries.credits_minor.saturating_sub(entries.debits_minor);
    let what = "TxsSummry/TtlNtries net (credits - debits)";
    if let Some(net) = summary.find("TtlNtries/TtlNetNtry") {
        let declared = signed_amount(net.require("Amt", "TtlNetNtry/Amt")?, net, currency, what)?;
        check::total(what, declared, net_minor, &net.at())?;
    } else if let Some(amount) = summary.find("TtlNtries/TtlNetNtryAmt") {
        let totals = summary.require("TtlNtries", "TtlNtries")?;
        let declared = signed_amount(amount, totals, currency, what)?;
        check::total(what, declared, net_minor, &amount.at())?;
    }
    Ok(())
}

/// A summary's net amount (a decimal without `Ccy`), signed by the `CdtDbtInd` of
/// `indicator_parent` (which may be left out of a zero net).
fn signed_amount(
    amount: &Node,
    indicator_parent: &Node,
    currency: Currency,
    what: &'static str,
) -> Result<i64, Failure> {
    let minor = decimal_to_minor(amount.text.trim(), currency, what).map_err(|p| amount.fail(p))?;
    if minor == 0 && indicator_parent.child("CdtDbtInd").is_none() {
        return Ok(0);
    }
    Ok(match direction(indicator_parent)? {
        Direction::Credit => minor,
        Direction::Debit => -minor,
    })
}

/// camt.053's opening and closing balances and the balance check.
///
/// A page of a paginated statement has interim booked balances (`ITBD`) where the statement
/// has none of its own: the first page `OPBD` and an `ITBD`, a middle page two `ITBD`s, the
/// last page an `ITBD` and `CLBD`. So without `OPBD` or `PRCD` the first `ITBD` opens, and
/// without `CLBD` the last other `ITBD` closes; the balance check holds either way.
fn balances(node: &Node, statement: &mut Statement, entries: Totals) -> Result<(), Failure> {
    let currency = statement.currency;
    let mut opening = None;
    let mut closing = None;
    let mut interim = Vec::new();
    for balance in node.all("Bal") {
        let code = balance
            .text_at("Tp/CdOrPrtry/Cd")
            .or_else(|| balance.text_at("Tp/CdOrPrtry/Prtry"))
            .unwrap_or_default();
        let signed = || -> Result<i64, Failure> {
            let minor = amount(balance.require("Amt", "Bal/Amt")?, currency)?;
            date_at(balance, "Dt")?;
            Ok(match direction(balance)? {
                Direction::Credit => minor,
                Direction::Debit => -minor,
            })
        };
        match code.as_str() {
            "OPBD" => opening = Some(signed()?),
            "PRCD" if opening.is_none() => opening = Some(signed()?),
            "CLBD" => closing = Some((signed()?, balance.at())),
            "ITBD" => interim.push((signed()?, balance.at())),
            _ => {}
        }
    }
    let mut interim = interim.into_iter();
    let opening = opening.or_else(|| interim.next().map(|(minor, _)| minor)).ok_or_else(|| {
        node.fail(Problem::Missing { what: "Bal OPBD, PRCD or ITBD (opening balance)" })
    })?;
    let (closing, at) = closing.or_else(|| interim.next_back()).ok_or_else(|| {
        node.fail(Problem::Missing { what: "Bal CLBD or ITBD (closing balance)" })
    })?;
    check::balance(currency, opening, entries, closing, &at)?;
    statement.opening_balance_minor = Some(opening);
    statement.closing_balance_minor = Some(closing);
    Ok(())
}
