//! Where in a manifest's text a problem is: its 1-based line and its field path
//! (`shards[1].name`, 0-based indexes in file order), the `FILE:LINE: FIELD: REASON` form of
//! every file the engine and the tool read. The engine's own loader of this kind
//! (`arrears_core::located_toml`) is not a dependency of this crate, which uses the engine's
//! public API only; this is the part of it a manifest needs.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The field path reported when no narrower field applies.
pub(crate) const DOCUMENT_FIELD: &str = "(document)";

/// A manifest's text, parsed with spans.
pub(crate) struct Located<'a> {
    text: &'a str,
    /// Every key, value and array item: its path, its depth and its span, in text order.
    fields: Vec<(String, usize, Range<usize>)>,
    /// The first syntax error in text order: its span and message.
    syntax: Option<(Range<usize>, String)>,
}

impl<'a> Located<'a> {
    pub(crate) fn new(text: &'a str) -> Located<'a> {
        let (table, errors) = DeTable::parse_recoverable(text);
        let mut fields = Vec::new();
        walk_table(table.get_ref(), "", 0, &mut fields);
        let syntax = errors
            .iter()
            .map(|error| (error.span().unwrap_or(0..0), error.message().to_owned()))
            .min_by_key(|(span, _)| span.start);
        Located { text, fields, syntax }
    }

    /// The line, the field and the message of the first syntax error, if the text is not
    /// TOML: the field is the deepest whose key or value holds it (parsing recovers, so the
    /// fields around it are known; an unterminated value is reported at its end).
    pub(crate) fn syntax_error(&self) -> Option<(usize, String, String)> {
        let (span, message) = self.syntax.as_ref()?;
        let field = self
            .deepest(|candidate| candidate.start <= span.start && span.start <= candidate.end)
            .unwrap_or(DOCUMENT_FIELD)
            .to_owned();
        Some((self.line(span.start), field, format!("invalid toml: {message}")))
    }

    /// The line and the field of a shape error (an unknown or missing field, a wrong type):
    /// the deepest field whose key or value is its span; a missing field is reported at its
    /// table, with the path naming the missing field.
    pub(crate) fn shape_error(&self, error: &toml::de::Error) -> (usize, String) {
        let span = error.span().unwrap_or(0..0);
        let mut field = self.deepest(|candidate| *candidate == span).unwrap_or("").to_owned();
        if let Some(missing) =
            error.message().strip_prefix("missing field `").and_then(|rest| rest.split('`').next())
        {
            field =
                if field.is_empty() { missing.to_owned() } else { format!("{field}.{missing}") };
        }
        if field.is_empty() {
            DOCUMENT_FIELD.clone_into(&mut field);
        }
        (self.line(span.start), field)
    }

    /// The deepest field whose key or value span is `wanted` (of equally deep ones, the first).
    fn deepest(&self, wanted: impl Fn(&Range<usize>) -> bool) -> Option<&str> {
        let mut best: Option<(usize, &str)> = None;
        for (path, depth, span) in &self.fields {
            if wanted(span) && best.is_none_or(|(best_depth, _)| best_depth < *depth) {
                best = Some((*depth, path));
            }
        }
        best.map(|(_, path)| path)
    }

    /// The line of the key at the path `field`; for a field the text does not have, of the
    /// deepest table of its path that it has, else the first line.
    pub(crate) fn line_of_field(&self, field: &str) -> usize {
        let mut path = field;
        loop {
            if let Some((_, _, span)) = self.fields.iter().find(|(candidate, ..)| candidate == path)
            {
                return self.line(span.start);
            }
            match path.rfind(['.', '[']) {
                Some(end) => path = &path[..end],
                None => return 1,
            }
        }
    }

    /// The 1-based line of byte `offset` (past the end: the last line).
    fn line(&self, offset: usize) -> usize {
        line_of(self.text.as_bytes(), offset)
    }
}

/// The 1-based line of byte `offset` of `bytes` (past the end: the last line).
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> usize {
    let before = &bytes[..offset.min(bytes.len())];
    before.iter().filter(|byte| **byte == b'\n').count() + 1
}

/// Every key, value and array item of `table` under `prefix`, keys before their values.
fn walk_table(
    table: &DeTable<'_>,
    prefix: &str,
    depth: usize,
    fields: &mut Vec<(String, usize, Range<usize>)>,
) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        fields.push((path.clone(), depth, key.span()));
        walk_value(value, &path, depth, fields);
    }
}

fn walk_value(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    depth: usize,
    fields: &mut Vec<(String, usize, Range<usize>)>,
) {
    fields.push((path.to_owned(), depth, value.span()));
    match value.get_ref() {
        DeValue::Table(table) => walk_table(table, path, depth + 1, fields),
        DeValue::Array(array) => {
            for (index, item) in array.iter().enumerate() {
                walk_value(item, &format!("{path}[{index}]"), depth + 1, fields);
            }
        }
        _ => {}
    }
}
