//! Loading TOML with located errors, shared by the policy and the compliance-pack loaders.
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
//! module needs of one.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The field path reported when no narrower field applies.
const DOCUMENT_FIELD: &str = "(document)";

/// A loader's error: where (file, line, field) and why, with the two reasons every TOML
/// loader reports before its own validation starts.
pub(crate) trait LocatedError {
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
pub(crate) struct TomlSource<'a> {
    file: &'a str,
    text: &'a str,
}

impl<'a> TomlSource<'a> {
    pub(crate) fn new(file: &'a str, text: &'a str) -> TomlSource<'a> {
        TomlSource { file, text }
    }

    /// Parses the text and deserializes it into `Raw`, the loader's spanned shape of a file.
    ///
    /// # Errors
    ///
    /// The first syntax error in file order, located at the innermost field that contains it
    /// (parsing recovers, so the fields before and around it are known); otherwise the shape
    /// error, located by [`schema_field`].
    pub(crate) fn deserialize<Raw: DeserializeOwned, E: LocatedError>(&self) -> Result<Raw, E> {
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
    pub(crate) fn line(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    /// The error for the key or value at `span`, whose field path is `field`.
    #[cold]
    pub(crate) fn error<E: LocatedError>(
        &self,
        span: Range<usize>,
        field: &str,
        reason: E::Reason,
    ) -> E {
        E::located(self.file.to_owned(), self.line(span.start), field.to_owned(), reason)
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
