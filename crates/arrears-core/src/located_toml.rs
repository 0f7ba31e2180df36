//! Loading TOML with located errors, shared by the policy and the compliance-pack loaders and
//! by arrears-bank's CSV mapping files.
//!
//! A [`TomlSource`] is a text and the file name its errors report. It parses the text with
//! spans and deserializes it into a loader's raw (spanned) shape, turning the first syntax
//! error, or the first shape error (unknown key, missing key, wrong type, unknown name), into
//! the loader's own error type located by file, 1-based line and field path
//! (`stage[2].min_dpd`, 0-based indexes in file order). The loaders then validate the raw shape
//! and build their errors with [`TomlSource::error`], from the span of the offending key or
//! value.
//!
//! Each loader keeps its own error type, with its own reasons; [`LocatedError`] is what this
//! module needs of one. A loader that validates a plain (unspanned) shape locates its errors by
//! field path with [`TomlSource::error_at_field`].
//!
//! ```
//! use arrears_core::located_toml::{LocatedError, TomlSource};
//!
//! #[derive(Debug, PartialEq)]
//! struct Error(String, usize, String, String);
//!
//! impl LocatedError for Error {
//!     type Reason = String;
//!     fn located(file: String, line: usize, field: String, reason: String) -> Error {
//!         Error(file, line, field, reason)
//!     }
//!     fn syntax(message: String) -> String {
//!         message
//!     }
//!     fn schema(message: String) -> String {
//!         message
//!     }
//! }
//!
//! #[derive(Debug, serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Shape {
//!     size: u32,
//! }
//!
//! let source = TomlSource::new("shape.toml", "# a shape\nsize = \"big\"\n");
//! let error = source.deserialize::<Shape, Error>().unwrap_err();
//! assert_eq!((error.1, error.2.as_str()), (2, "size"));
//! let source = TomlSource::new("shape.toml", "\nsize = 0\n");
//! let shape: Shape = source.deserialize::<Shape, Error>()?;
//! let error: Error = source.error_at_field("size", format!("{} is too small", shape.size));
//! assert_eq!(error, Error("shape.toml".into(), 2, "size".into(), "0 is too small".into()));
//! # Ok::<(), Error>(())
//! ```

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The field path reported when no narrower field applies.
const DOCUMENT_FIELD: &str = "(document)";

/// A loader's error: where (file, line, field) and why, with the two reasons every TOML
/// loader reports before its own validation starts.
pub trait LocatedError {
    /// Why a load failed, as the loader types it.
    type Reason;

    /// The error at `line` of `file`, for the field at `field`.
    fn located(file: String, line: usize, field: String, reason: Self::Reason) -> Self;

    /// The reason for a TOML syntax error, from the parser's message.
    fn syntax(message: String) -> Self::Reason;

    /// The reason for a shape error (an unknown or missing key, a wrong type, an unknown
    /// name), from the deserializer's message.
    fn schema(message: String) -> Self::Reason;
}

/// A TOML text and the name of its file, which only error messages use.
#[derive(Debug, Clone, Copy)]
pub struct TomlSource<'a> {
    file: &'a str,
    text: &'a str,
}

impl<'a> TomlSource<'a> {
    /// The text `text`, whose errors name `file` (nothing is read from disk).
    pub fn new(file: &'a str, text: &'a str) -> TomlSource<'a> {
        TomlSource { file, text }
    }

    /// Parses the text and deserializes it into `Raw`, the loader's spanned shape of a file.
    ///
    /// # Errors
    ///
    /// The first syntax error in file order, located at the innermost field that contains it
    /// (parsing recovers, so the fields before and around it are known); otherwise the shape
    /// error, located at the key or value it points at (a missing key: at its table, the
    /// field path naming the missing key).
    pub fn deserialize<Raw: DeserializeOwned, E: LocatedError>(&self) -> Result<Raw, E> {
        let (table, syntax_errors) = DeTable::parse_recoverable(self.text);
        if let Some(error) =
            syntax_errors.iter().min_by_key(|error| error.span().map_or(0, |span| span.start))
        {
            let span = error.span().unwrap_or(0..0);
            let field = field_containing(table.get_ref(), span.start)
                .unwrap_or_else(|| DOCUMENT_FIELD.to_owned());
            return Err(self.error(span, &field, E::syntax(error.message().to_owned())));
        }
        toml::from_str(self.text).map_err(|error| self.schema_error(table.get_ref(), &error))
    }

    /// The 1-based line of byte `offset` (past the end: the last line).
    pub fn line(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    /// The error for the key or value at `span`, whose field path is `field`.
    #[cold]
    pub fn error<E: LocatedError>(&self, span: Range<usize>, field: &str, reason: E::Reason) -> E {
        E::located(self.file.to_owned(), self.line(span.start), field.to_owned(), reason)
    }

    /// The error for the field at the path `field` (`columns.amount`, `shard[1].name`), at the
    /// line of its key; for a field the text does not have (a missing setting), at the line of
    /// the deepest table of its path that it has, else at the first line.
    #[cold]
    pub fn error_at_field<E: LocatedError>(&self, field: &str, reason: E::Reason) -> E {
        let (table, _) = DeTable::parse_recoverable(self.text);
        let mut path = field;
        let span = loop {
            if let Some(span) = first_span(table.get_ref(), path) {
                break span;
            }
            match path.rfind(['.', '[']) {
                Some(end) => path = &path[..end],
                None => break 0..0,
            }
        };
        self.error(span, field, reason)
    }

    #[cold]
    fn schema_error<E: LocatedError>(&self, table: &DeTable<'_>, error: &toml::de::Error) -> E {
        let (span, field) = schema_field(table, error);
        self.error(span, &field, E::schema(error.message().to_owned()))
    }
}

/// The 1-based line of byte `offset` in `text` (past the end: the last line).
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(1, |before| before.iter().filter(|byte| **byte == b'\n').count() + 1)
}

/// Calls `visit(path, depth, span)` for every key, value and array item of `table`.
fn walk_table(
    table: &DeTable<'_>,
    prefix: &str,
    depth: usize,
    visit: &mut dyn FnMut(&str, usize, Range<usize>),
) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        visit(&path, depth, key.span());
        walk_value(value, &path, depth, visit);
    }
}

fn walk_value(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    depth: usize,
    visit: &mut dyn FnMut(&str, usize, Range<usize>),
) {
    visit(path, depth, value.span());
    match value.get_ref() {
        DeValue::Table(table) => walk_table(table, path, depth + 1, visit),
        DeValue::Array(array) => {
            for (index, item) in array.iter().enumerate() {
                walk_value(item, &format!("{path}[{index}]"), depth + 1, visit);
            }
        }
        _ => {}
    }
}

/// The span of the key at `path` (of the item, for an array item), as the walk meets it first.
fn first_span(table: &DeTable<'_>, path: &str) -> Option<Range<usize>> {
    let mut found = None;
    walk_table(table, "", 0, &mut |candidate, _, span| {
        if found.is_none() && candidate == path {
            found = Some(span);
        }
    });
    found
}

/// The deepest path whose key or value span is exactly `span` (where serde errors point).
fn field_at_span(table: &DeTable<'_>, span: &Range<usize>) -> Option<String> {
    deepest_field(table, |candidate| candidate == span)
}

/// The deepest path whose key or value span contains `offset` (where syntax errors point).
fn field_containing(table: &DeTable<'_>, offset: usize) -> Option<String> {
    // Parsers report an unterminated value at its end, so the end is inclusive.
    deepest_field(table, |candidate| candidate.start <= offset && offset <= candidate.end)
}

/// The deepest path of `table` whose key or value span satisfies `wanted` (of equally deep
/// ones, the first the walk visits).
fn deepest_field(table: &DeTable<'_>, wanted: impl Fn(&Range<usize>) -> bool) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    walk_table(table, "", 0, &mut |path, depth, candidate| {
        if wanted(&candidate) && best.as_ref().is_none_or(|(best_depth, _)| *best_depth < depth) {
            best = Some((depth, path.to_owned()));
        }
    });
    best.map(|(_, path)| path)
}

/// Where a serde (schema) error points: its span, and the field path it concerns. A missing
/// field is reported at its table, so the path then names the missing field itself;
/// `(document)` when nothing narrower applies.
fn schema_field(table: &DeTable<'_>, error: &toml::de::Error) -> (Range<usize>, String) {
    let span = error.span().unwrap_or(0..0);
    let message = error.message();
    let mut field = field_at_span(table, &span).unwrap_or_default();
    if let Some(missing) =
        message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next())
    {
        field = if field.is_empty() { missing.to_owned() } else { format!("{field}.{missing}") };
    }
    if field.is_empty() {
        DOCUMENT_FIELD.clone_into(&mut field);
    }
    (span, field)
}
