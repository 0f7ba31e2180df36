//! Locating things in TOML text: the line of a byte offset, and the dotted field path
//! (`stage[2].min_dpd`) of a span, so that every loader's errors name file, line and field.
//! Shared by the policy and the compliance-pack loaders.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The 1-based line of byte `offset` in `text` (past the end: the last line).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
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
pub(crate) fn field_at_span(table: &DeTable<'_>, span: &Range<usize>) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    walk_table(table, "", 0, &mut |path, depth, candidate| {
        if candidate == *span && best.as_ref().is_none_or(|(best_depth, _)| *best_depth < depth) {
            best = Some((depth, path.to_owned()));
        }
    });
    best.map(|(_, path)| path)
}

/// The deepest path whose key or value span contains `offset` (where syntax errors point).
pub(crate) fn field_containing(table: &DeTable<'_>, offset: usize) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    walk_table(table, "", 0, &mut |path, depth, candidate| {
        // Parsers report an unterminated value at its end, so the end is inclusive.
        let contains = candidate.start <= offset && offset <= candidate.end;
        if contains && best.as_ref().is_none_or(|(best_depth, _)| *best_depth < depth) {
            best = Some((depth, path.to_owned()));
        }
    });
    best.map(|(_, path)| path)
}

/// Where a serde (schema) error points: its span, and the field path it concerns. A missing
/// field is reported at its table, so the path then names the missing field itself;
/// `(document)` when nothing narrower applies.
pub(crate) fn schema_field(table: &DeTable<'_>, error: &toml::de::Error) -> (Range<usize>, String) {
    let span = error.span().unwrap_or(0..0);
    let message = error.message();
    let mut field = field_at_span(table, &span).unwrap_or_default();
    if let Some(missing) =
        message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next())
    {
        field = if field.is_empty() { missing.to_owned() } else { format!("{field}.{missing}") };
    }
    if field.is_empty() {
        "(document)".clone_into(&mut field);
    }
    (span, field)
}
