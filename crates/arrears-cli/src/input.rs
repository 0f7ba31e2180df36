//! Reading import files: CSV or JSON Lines into flat rows of named text fields, and parsing
//! those fields with errors that name the line and the column.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use arrears::money::{Currency, Money};

/// Most row errors reported for one file.
pub(crate) const ERRORS_MAX: usize = 50;

/// One data row: its line in the file (for CSV the header is line 1) and its non-empty
/// fields, trimmed.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) line: u64,
    fields: BTreeMap<String, String>,
}

impl Row {
    /// The field's text, or `None` if absent or empty.
    pub(crate) fn get(&self, column: &str) -> Option<&str> {
        self.fields.get(column).map(String::as_str).filter(|text| !text.is_empty())
    }
}

/// An error in a file: `file:line: column: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    pub(crate) line: u64,
    pub(crate) column: Option<String>,
    pub(crate) reason: String,
}

impl RowError {
    pub(crate) fn new(line: u64, column: Option<&str>, reason: impl Into<String>) -> RowError {
        RowError { line, column: column.map(str::to_owned), reason: reason.into() }
    }
}

/// The errors found in one file; nothing of it was written, except the rows of the batches
/// committed before a failure (`committed`).
#[derive(Debug)]
pub(crate) struct FileErrors {
    pub(crate) file: String,
    pub(crate) errors: Vec<RowError>,
    /// Errors found beyond [`ERRORS_MAX`], not listed.
    pub(crate) more: usize,
    /// True if the errors came from executing the rows rather than from reading them (only
    /// the first such error is reported: the batch stops there).
    pub(crate) executing: bool,
    /// Rows committed in earlier batches before the failing one (zero: nothing was written).
    pub(crate) committed: u64,
}

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len() + self.more;
        let rows = if count == 1 { "1 error" } else { &format!("{count} errors") };
        if self.committed == 0 {
            write!(f, "{}: {rows}; nothing was imported", self.file)?;
        } else {
            write!(
                f,
                "{}: {rows}; the {} rows before it were imported in earlier batches, none after",
                self.file, self.committed
            )?;
        }
        for error in &self.errors {
            write!(f, "\n{}:{}: ", self.file, error.line)?;
            if let Some(column) = &error.column {
                write!(f, "{column}: ")?;
            }
            write!(f, "{}", error.reason)?;
        }
        if self.more > 0 {
            write!(f, "\n{}: ... and {} more errors", self.file, self.more)?;
        }
        if self.executing {
            write!(
                f,
                "\n(the rows are executed in order and the import stops at the first failure)"
            )?;
        }
        if self.committed > 0 {
            write!(
                f,
                "\n(fix the row and import the same file again: the imported rows replay under \
                 their keys and the import resumes there)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for FileErrors {}

/// The columns a file kind accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns {
    /// Columns every row must have: a CSV header must name them.
    pub(crate) required: &'static [&'static str],
    /// Columns a row may have.
    pub(crate) optional: &'static [&'static str],
}

impl Columns {
    fn knows(&self, column: &str) -> bool {
        self.required.contains(&column) || self.optional.contains(&column)
    }

    fn list(&self) -> String {
        self.required.iter().chain(self.optional).copied().collect::<Vec<_>>().join(", ")
    }
}

/// Streams every row of a CSV or JSON Lines file (by extension) to `each`, in file order,
/// without keeping them. Structural problems (unknown or missing columns, malformed lines) are
/// passed as row errors. A file that is not UTF-8 is refused whole before any row is passed.
pub(crate) fn read(
    path: &Path,
    columns: Columns,
    each: &mut dyn FnMut(Result<Row, RowError>) -> Result<()>,
) -> Result<()> {
    let extension =
        path.extension().and_then(|extension| extension.to_str()).map(str::to_ascii_lowercase);
    let csv = match extension.as_deref() {
        Some("csv") => true,
        Some("jsonl" | "ndjson") => false,
        _ => bail!(
            "cannot tell the format of {}: name it .csv, or .jsonl / .ndjson for JSON Lines",
            path.display()
        ),
    };
    check_utf8(path)?;
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    if csv {
        read_csv(path, file, columns, each)
    } else {
        read_jsonl(BufReader::new(file), columns, each)
            .with_context(|| format!("cannot read {}", path.display()))?
    }
}

/// The byte-order mark some editors put at the start of a UTF-8 file.
const BOM: char = '\u{feff}';

/// The text of a whole file (a policy, a pack, a contact history, a plugin's configuration),
/// without a leading byte-order mark.
///
/// # Errors
///
/// The file cannot be read, or is not UTF-8: then the error names the file, the line and the
/// byte offset of the first byte that is not (a Latin-1 file, most often).
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(match text.strip_prefix(BOM) {
            Some(rest) => rest.to_owned(),
            None => text,
        }),
        Err(error) => {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            Err(not_utf8(path, line_count(valid) + 1, valid.len() as u64))
        }
    }
}

/// Newlines in `bytes`.
fn line_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|byte| **byte == b'\n').count() as u64
}

/// `FILE:LINE: not valid UTF-8 at byte OFFSET`, as row errors name a place.
#[cold]
fn not_utf8(path: &Path, line: u64, byte_offset: u64) -> anyhow::Error {
    anyhow::anyhow!(
        "{}:{line}: not valid UTF-8 at byte {byte_offset} (from the start of the file); save \
         the file as UTF-8 (it may be Latin-1 or Windows-1252)",
        path.display()
    )
}

/// Fails if the file is not UTF-8, naming the line and byte offset of the first bad byte,
/// reading it in chunks.
pub(crate) fn check_utf8(path: &Path) -> Result<()> {
    let cannot_read = || format!("cannot read {}", path.display());
    let mut file = File::open(path).with_context(cannot_read)?;
    let mut buffer = vec![0; 64 * 1024];
    // Bytes of a character cut at the end of the previous chunk, moved to the front.
    let mut carried = 0;
    // Bytes checked before the buffer's first one, and the newlines among them.
    let (mut checked, mut newlines) = (0_u64, 0_u64);
    loop {
        let read = file.read(&mut buffer[carried..]).with_context(cannot_read)?;
        let filled = carried + read;
        match std::str::from_utf8(&buffer[..filled]) {
            Ok(_) => {
                newlines += line_count(&buffer[..filled]);
                checked += filled as u64;
                carried = 0;
            }
            // A cut character at the very end: keep its bytes for the next chunk (at EOF it
            // is invalid).
            Err(error) if error.error_len().is_none() && read > 0 => {
                let valid = error.valid_up_to();
                newlines += line_count(&buffer[..valid]);
                checked += valid as u64;
                buffer.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(error) => {
                let valid = &buffer[..error.valid_up_to()];
                let line = newlines + line_count(valid) + 1;
                return Err(not_utf8(path, line, checked + valid.len() as u64));
            }
        }
        if read == 0 {
            return Ok(());
        }
    }
}

/// The line each CSV record starts on. The csv crate places a record where its reader stood
/// when it began it: on the line end of the record before (a CRLF file's rows were each placed
/// a line early) and before the blank lines it skipped. So a second reader of the file follows
/// the first, counting newlines up to that place and then over the line ends after it.
pub(crate) struct CsvLines<R> {
    reader: R,
    /// Bytes read from the start of the file.
    offset: u64,
    /// The line of the byte at `offset`, from 1.
    line: u64,
}

impl<R: BufRead> CsvLines<R> {
    pub(crate) fn new(reader: R) -> CsvLines<R> {
        CsvLines { reader, offset: 0, line: 1 }
    }

    /// The line of the first byte at or after `byte` (the csv crate's position of a record or
    /// an error, which only grows) that is not a line end.
    pub(crate) fn line_at(&mut self, byte: u64) -> std::io::Result<u64> {
        loop {
            let buffer = self.reader.fill_buf()?;
            let mut used = 0;
            for &next in buffer {
                if byte <= self.offset && next != b'\r' && next != b'\n' {
                    break;
                }
                self.line += u64::from(next == b'\n');
                self.offset += 1;
                used += 1;
            }
            let done = buffer.is_empty() || used < buffer.len();
            self.reader.consume(used);
            if done {
                return Ok(self.line);
            }
        }
    }
}

fn read_csv(
    path: &Path,
    file: File,
    columns: Columns,
    each: &mut dyn FnMut(Result<Row, RowError>) -> Result<()>,
) -> Result<()> {
    let cannot_read = || format!("cannot read {}", path.display());
    let mut lines = CsvLines::new(BufReader::new(File::open(path).with_context(cannot_read)?));
    let mut line_at = |position: Option<&csv::Position>| match position {
        Some(position) => lines.line_at(position.byte()).with_context(cannot_read),
        None => Ok(0),
    };
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(file);
    let mut errors = Vec::new();
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => return each(Err(RowError::new(1, None, csv_reason(&error)))),
    };
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return each(Err(RowError::new(1, None, "no header line")));
    }
    let mut seen = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        if header.is_empty() {
            let reason = format!("column {} has no name (a trailing comma?)", index + 1);
            errors.push(RowError::new(1, None, reason));
        } else if !columns.knows(header) {
            errors.push(RowError::new(
                1,
                Some(header),
                format!("unknown column (known: {})", columns.list()),
            ));
        } else if seen.contains(&header) {
            errors.push(RowError::new(1, Some(header), "column named twice in the header"));
        }
        seen.push(header);
    }
    for required in columns.required {
        if !seen.contains(required) {
            errors.push(RowError::new(
                1,
                Some(required),
                "required column missing from the header",
            ));
        }
    }
    if !errors.is_empty() {
        for error in errors {
            each(Err(error))?;
        }
        return Ok(());
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = line_at(error.position())?;
                each(Err(RowError::new(line, None, csv_reason(&error))))?;
                if !matches!(error.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
                continue;
            }
        }
        let line = line_at(record.position())?;
        if record.len() != headers.len() {
            each(Err(RowError::new(
                line,
                None,
                format!("{} fields, but the header has {}", record.len(), headers.len()),
            )))?;
            continue;
        }
        let fields = headers
            .iter()
            .zip(record.iter())
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        each(Ok(Row { line, fields }))?;
    }
    Ok(())
}

fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("not valid UTF-8 ({err})"),
        csv::ErrorKind::Io(err) => err.to_string(),
        _ => error.to_string(),
    }
}

/// The lines of a JSON Lines file as [`str::lines`] splits them. The outer error is a read
/// error, the inner one what `each` returned.
fn read_jsonl(
    mut reader: impl BufRead,
    columns: Columns,
    each: &mut dyn FnMut(Result<Row, RowError>) -> Result<()>,
) -> std::io::Result<Result<()>> {
    let mut buffer = String::new();
    let mut line: u64 = 0;
    loop {
        buffer.clear();
        if reader.read_line(&mut buffer)? == 0 {
            return Ok(Ok(()));
        }
        line = line.saturating_add(1);
        let mut line_text = buffer.as_str();
        if line == 1 {
            // A byte-order mark, as the CSV reader skips it.
            line_text = line_text.strip_prefix(BOM).unwrap_or(line_text);
        }
        if let Some(text) = line_text.strip_suffix('\n') {
            line_text = text.strip_suffix('\r').unwrap_or(text);
        }
        if let Err(error) = jsonl_line(line, line_text, columns, each) {
            return Ok(Err(error));
        }
    }
}

fn jsonl_line(
    line: u64,
    line_text: &str,
    columns: Columns,
    each: &mut dyn FnMut(Result<Row, RowError>) -> Result<()>,
) -> Result<()> {
    if line_text.trim().is_empty() {
        return Ok(());
    }
    let object = match json_object(line_text) {
        Ok(object) => object,
        Err(found) => {
            for (column, reason) in found {
                each(Err(RowError { line, column, reason }))?;
            }
            return Ok(());
        }
    };
    // `Value` holds a number as an f64 (`1.0000000000000001` as 1, `125.50` as 125.5): the
    // text of each top-level number is read again, as written, for the exact parsers of the
    // fields. Only lines with a number pay for the second parse.
    let mut numbers = if object.values().any(serde_json::Value::is_number) {
        match strict_json::number_texts(line_text) {
            Ok(numbers) => numbers,
            Err(error) => {
                return each(Err(RowError::new(line, None, format!("not valid JSON: {error}"))))
            }
        }
    } else {
        BTreeMap::new()
    };
    let mut fields = BTreeMap::new();
    let mut ok = true;
    for (name, value) in object {
        if !columns.knows(&name) {
            each(Err(RowError::new(
                line,
                Some(&name),
                format!("unknown field (known: {})", columns.list()),
            )))?;
            ok = false;
            continue;
        }
        let number_text = numbers.remove(&name);
        match json_text(&value, number_text) {
            Ok(Some(text)) => {
                fields.insert(name, text);
            }
            Ok(None) => {}
            Err(reason) => {
                each(Err(RowError::new(line, Some(&name), reason)))?;
                ok = false;
            }
        }
    }
    if ok {
        each(Ok(Row { line, fields }))?;
    }
    Ok(())
}

/// Why a JSON Lines line is not a row: the field at fault (`None` for the whole line) and the
/// reason, for each problem found.
pub(crate) type LineErrors = Vec<(Option<String>, String)>;

/// One line of a JSON Lines file as an object, refusing what `serde_json::Value` would let
/// through silently: an object that names a field twice (`Value` keeps the last value, so
/// `{"amount":"1.00","amount":"9000.00"}` would read as 9000.00). A field named twice at the
/// top is reported by name, once however often it repeats; one named twice in a nested object
/// makes the line invalid JSON.
pub(crate) fn json_object(
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, LineErrors> {
    let entries = match serde_json::from_str::<strict_json::Line>(text) {
        Ok(strict_json::Line::Object(entries)) => entries,
        Ok(strict_json::Line::Other) => return Err(vec![(None, "not a JSON object".to_owned())]),
        Err(error) => return Err(vec![(None, format!("not valid JSON: {error}"))]),
    };
    let mut object = serde_json::Map::new();
    let mut errors: LineErrors = Vec::new();
    for (name, value) in entries {
        if object.contains_key(&name) {
            if !errors.iter().any(|(field, _)| field.as_deref() == Some(name.as_str())) {
                errors.push((Some(name), "field named twice in the object".to_owned()));
            }
            continue;
        }
        object.insert(name, value);
    }
    if errors.is_empty() {
        Ok(object)
    } else {
        Err(errors)
    }
}

/// JSON parsing that keeps every field of an object, so that duplicates can be refused, and
/// the text of its numbers as written.
mod strict_json {
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::value::RawValue;
    use serde_json::{Map, Number, Value};

    /// The text of each top-level number of an object, exactly as written (`125.50`, `1e2`), by
    /// field name: `Value` holds a number as an f64. The `raw_value` feature of serde_json
    /// gives the text of a value without changing how any other crate reads numbers, where
    /// `arbitrary_precision` would (features are unified across the workspace). The line must
    /// have passed [`super::json_object`] (every name once): a name repeated here keeps its
    /// last text.
    pub(super) fn number_texts(text: &str) -> serde_json::Result<BTreeMap<String, String>> {
        let RawObject(entries) = serde_json::from_str(text)?;
        Ok(entries
            .into_iter()
            .filter(|(_, raw)| {
                raw.get().starts_with(|first: char| first == '-' || first.is_ascii_digit())
            })
            .map(|(name, raw)| (name, raw.get().to_owned()))
            .collect())
    }

    /// The top-level fields of an object, each value as its text in the line.
    struct RawObject<'a>(Vec<(String, &'a RawValue)>);

    impl<'de> Deserialize<'de> for RawObject<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawObject<'de>, D::Error> {
            deserializer.deserialize_map(RawObjectVisitor)
        }
    }

    struct RawObjectVisitor;

    impl<'de> Visitor<'de> for RawObjectVisitor {
        type Value = RawObject<'de>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject<'de>, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                entries.push(entry);
            }
            Ok(RawObject(entries))
        }
    }

    /// A line: an object with every field in order, repeated ones included, or anything else.
    pub(super) enum Line {
        Object(Vec<(String, Value)>),
        Other,
    }

    impl<'de> Deserialize<'de> for Line {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Line, D::Error> {
            deserializer.deserialize_any(LineVisitor)
        }
    }

    struct LineVisitor;

    impl<'de> Visitor<'de> for LineVisitor {
        type Value = Line;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a JSON value")
        }

        fn visit_bool<E>(self, _: bool) -> Result<Line, E> {
            Ok(Line::Other)
        }

        fn visit_i64<E>(self, _: i64) -> Result<Line, E> {
            Ok(Line::Other)
        }

        fn visit_u64<E>(self, _: u64) -> Result<Line, E> {
            Ok(Line::Other)
        }

        fn visit_f64<E>(self, _: f64) -> Result<Line, E> {
            Ok(Line::Other)
        }

        fn visit_str<E>(self, _: &str) -> Result<Line, E> {
            Ok(Line::Other)
        }

        fn visit_unit<E>(self) -> Result<Line, E> {
            Ok(Line::Other)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Line, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Line::Other)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line, A::Error> {
            let mut entries = Vec::new();
            while let Some(name) = map.next_key::<String>()? {
                let Strict(value) = map.next_value()?;
                entries.push((name, value));
            }
            Ok(Line::Object(entries))
        }
    }

    /// A JSON value in which no object names a field twice (else a parse error).
    struct Strict(Value);

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
            deserializer.deserialize_any(StrictVisitor)
        }
    }

    struct StrictVisitor;

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Strict;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a JSON value")
        }

        fn visit_bool<E>(self, value: bool) -> Result<Strict, E> {
            Ok(Strict(Value::Bool(value)))
        }

        fn visit_i64<E>(self, value: i64) -> Result<Strict, E> {
            Ok(Strict(Value::Number(value.into())))
        }

        fn visit_u64<E>(self, value: u64) -> Result<Strict, E> {
            Ok(Strict(Value::Number(value.into())))
        }

        fn visit_f64<E>(self, value: f64) -> Result<Strict, E> {
            // JSON text has no infinities or NaN, so this is always a number.
            Ok(Strict(Number::from_f64(value).map_or(Value::Null, Value::Number)))
        }

        fn visit_str<E>(self, value: &str) -> Result<Strict, E> {
            Ok(Strict(Value::String(value.to_owned())))
        }

        fn visit_string<E>(self, value: String) -> Result<Strict, E> {
            Ok(Strict(Value::String(value)))
        }

        fn visit_unit<E>(self) -> Result<Strict, E> {
            Ok(Strict(Value::Null))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
            let mut items = Vec::new();
            while let Some(Strict(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Strict(Value::Array(items)))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
            let mut object = Map::new();
            while let Some(name) = map.next_key::<String>()? {
                if object.contains_key(&name) {
                    return Err(de::Error::custom(format_args!(
                        "field {name:?} named twice in a nested object"
                    )));
                }
                let Strict(value) = map.next_value()?;
                object.insert(name, value);
            }
            Ok(Strict(Value::Object(object)))
        }
    }
}

/// A JSON value as the text a CSV field would hold: a number as written (`number_text`, which
/// [`strict_json::number_texts`] read for it), so that `125.50` stays `125.50` and
/// `1.0000000000000001` is not rounded to 1. Arrays of strings (time zones) are joined with
/// `|`.
fn json_text(
    value: &serde_json::Value,
    number_text: Option<String>,
) -> Result<Option<String>, String> {
    use serde_json::Value;
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text.trim().to_owned())),
        // Both parses read the same text, which has the same top-level fields: the text of a
        // number is always there.
        Value::Number(_) => {
            Ok(Some(number_text.expect("every top-level number has its text, as written")))
        }
        Value::Bool(flag) => Ok(Some(flag.to_string())),
        Value::Array(items) => {
            let mut parts = Vec::new();
            for item in items {
                match item {
                    Value::String(text) => parts.push(text.trim().to_owned()),
                    _ => return Err("an array must hold strings only".to_owned()),
                }
            }
            Ok(Some(parts.join("|")))
        }
        Value::Object(_) => {
            Err("must be a string, number, boolean or array of strings, not an object".to_owned())
        }
    }
}

/// Parses the fields of one row, collecting an error per bad field.
pub(crate) struct Fields<'a> {
    row: &'a Row,
    errors: Vec<RowError>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(row: &'a Row) -> Fields<'a> {
        Fields { row, errors: Vec::new() }
    }

    pub(crate) fn line(&self) -> u64 {
        self.row.line
    }

    /// Records an error on a column (or on the row, with `None`).
    pub(crate) fn error(&mut self, column: Option<&str>, reason: impl Into<String>) {
        self.errors.push(RowError::new(self.row.line, column, reason));
    }

    pub(crate) fn is_set(&self, column: &str) -> bool {
        self.row.get(column).is_some()
    }

    /// A required text field.
    pub(crate) fn text(&mut self, column: &'static str) -> Option<&'a str> {
        let value = self.row.get(column);
        if value.is_none() {
            self.error(Some(column), "required");
        }
        value
    }

    /// An optional text field.
    pub(crate) fn optional_text(&self, column: &str) -> Option<&'a str> {
        self.row.get(column)
    }

    /// A required field parsed by `parse`.
    pub(crate) fn parse<T>(
        &mut self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.text(column)?;
        self.take(column, parse(text))
    }

    /// An optional field parsed by `parse`; `None` if absent or bad (the error is recorded).
    pub(crate) fn optional<T>(
        &mut self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.row.get(column)?;
        self.take(column, parse(text))
    }

    /// An optional field that is parsed, and `Err(())` if it was present but bad.
    pub(crate) fn maybe<T>(
        &mut self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ()> {
        match self.row.get(column) {
            None => Ok(None),
            Some(text) => self.take(column, parse(text)).map(Some).ok_or(()),
        }
    }

    fn take<T>(&mut self, column: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(reason) => {
                self.error(Some(column), reason);
                None
            }
        }
    }

    /// Records an error for each of `columns` that is set: they mean nothing for `what`.
    pub(crate) fn unused(&mut self, columns: &[&'static str], what: &str) {
        for column in columns {
            if self.is_set(column) {
                self.error(Some(column), format!("not used by {what}; leave it empty"));
            }
        }
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub(crate) fn into_errors(self) -> Vec<RowError> {
        self.errors
    }
}

/// A date as `YYYY-MM-DD`, with exactly those digits: chrono's `%Y` also reads `26-11-20` as
/// the year 26 and takes a sign, and a year typed short must not be read as another year.
pub(crate) fn date(text: &str) -> Result<NaiveDate, String> {
    let digits = |range: std::ops::Range<usize>| {
        text.as_bytes().get(range).is_some_and(|bytes| bytes.iter().all(u8::is_ascii_digit))
    };
    let shaped = text.len() == "YYYY-MM-DD".len()
        && digits(0..4)
        && text.as_bytes()[4] == b'-'
        && digits(5..7)
        && text.as_bytes()[7] == b'-'
        && digits(8..10);
    if !shaped {
        return Err(format!("{text:?} is not a date as YYYY-MM-DD (4, 2 and 2 digits)"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| format!("{text:?} is not a date as YYYY-MM-DD ({error})"))
}

/// `true`/`false` (also `yes`/`no`, `1`/`0`).
pub(crate) fn boolean(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

/// A plain decimal number.
pub(crate) fn decimal(text: &str) -> Result<Decimal, String> {
    plain_decimal(text).ok_or_else(|| {
        let hint = exponent_hint(text).unwrap_or_default();
        format!("{text:?} is not a decimal number{hint}")
    })
}

/// What to write instead of a number with an exponent (`1e2`, which JSON allows in a number,
/// and which a JSON Lines row keeps as written): amounts and rates are plain decimals, and an
/// exponent is refused rather than read as the number it makes. `None` for any other text.
fn exponent_hint(text: &str) -> Option<String> {
    let text = text.trim();
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let mantissa = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || exponent.is_empty()
        || !digits(exponent)
    {
        return None;
    }
    Some(match Decimal::from_scientific(text) {
        Ok(value) => format!(" (it has an exponent: write it as a plain decimal, {value})"),
        Err(_) => " (it has an exponent: write it as a plain decimal)".to_owned(),
    })
}

/// `text`, trimmed, as a plain decimal number (digits, a point, a sign), or `None`: the
/// engine's rule (`arrears::money::plain_decimal`), which refuses a digit separator.
pub(crate) fn plain_decimal(text: &str) -> Option<Decimal> {
    arrears::money::plain_decimal(text)
}

/// A currency code of the Arrears table.
pub(crate) fn currency(text: &str) -> Result<Currency, String> {
    Currency::from_code(&text.to_ascii_uppercase()).map_err(|error| error.to_string())
}

/// Which amounts a field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    /// Greater than zero.
    Positive,
    /// Zero or more.
    NonNegative,
    /// Anything but zero.
    NonZero,
}

/// An amount of `currency`: a decimal no finer than its minor unit, with the sign `sign` asks
/// for. Returns the exact `Money` as written.
pub(crate) fn amount(text: &str, currency: Currency, sign: Sign) -> Result<Money, String> {
    let money = Money::parse(text, currency).map_err(|error| {
        let hint = exponent_hint(text).unwrap_or_default();
        format!("{error}{hint}")
    })?;
    let minor = money.to_minor().map_err(|error| error.to_string())?;
    let wrong = match sign {
        Sign::Positive => (minor <= 0).then_some("must be greater than zero"),
        Sign::NonNegative => (minor < 0).then_some("must not be negative"),
        Sign::NonZero => (minor == 0).then_some("must not be zero"),
    };
    match wrong {
        Some(reason) => Err(format!("{text} {reason}")),
        None => Ok(money),
    }
}

#[cfg(test)]
mod tests;
