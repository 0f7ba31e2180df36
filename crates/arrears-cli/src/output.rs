//! Text tables and JSON on stdout.

use std::io::{self, Write};

use serde::Serialize;

use arrears::ledger::Posting;
use arrears::money::{format_minor, Currency};
use arrears::Rejection;

/// Writes `value` as pretty JSON and a newline.
pub(crate) fn json(out: &mut dyn Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A table with aligned columns. Columns marked numeric are right-aligned.
pub(crate) struct Table {
    headers: Vec<&'static str>,
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(headers: &[&'static str]) -> Table {
        Table { headers: headers.to_vec(), numeric: vec![false; headers.len()], rows: Vec::new() }
    }

    /// Right-aligns the named columns.
    pub(crate) fn numeric(mut self, columns: &[&str]) -> Table {
        for (index, header) in self.headers.iter().enumerate() {
            if columns.contains(header) {
                self.numeric[index] = true;
            }
        }
        self
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    pub(crate) fn headers(&self) -> &[&'static str] {
        &self.headers
    }

    pub(crate) fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header and the rows, each line prefixed by `indent`.
    pub(crate) fn write(&self, out: &mut dyn Write, indent: &str) -> io::Result<()> {
        let mut widths: Vec<usize> =
            self.headers.iter().map(|header| header.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let header: Vec<String> = self.headers.iter().map(|header| (*header).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::from(indent);
            for (index, cell) in row.iter().enumerate() {
                if index > 0 {
                    line.push_str("  ");
                }
                let pad = widths[index].saturating_sub(cell.chars().count());
                if self.numeric[index] {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// Money in minor units as a decimal string of the currency.
pub(crate) fn money(amount_minor: i64, currency: Currency) -> String {
    format_minor(amount_minor, currency)
}

/// `Some(x)` as text, `None` as an empty cell.
pub(crate) fn opt(value: Option<impl std::fmt::Display>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// Postings as an allocation trace: book, obligation, component, source payment, debit,
/// credit.
pub(crate) fn postings_table(postings: &[Posting], currency: Currency) -> Table {
    let mut table = Table::new(&["book", "obligation", "component", "source", "debit", "credit"])
        .numeric(&["debit", "credit"]);
    for posting in postings {
        let (debit, credit) = if posting.amount_minor >= 0 {
            (money(posting.amount_minor, currency), String::new())
        } else {
            (String::new(), money(-posting.amount_minor, currency))
        };
        table.row(vec![
            posting.book.name().to_owned(),
            opt(posting.obligation),
            opt(posting.component.map(|component| component.name())),
            opt(posting.source),
            debit,
            credit,
        ]);
    }
    table
}

/// Why a command was refused, with amounts in the account's currency where the engine gives
/// minor units ([`Rejection::describe`]).
pub(crate) fn rejection(rejection: &Rejection, currency: Option<Currency>) -> String {
    match currency {
        Some(currency) => rejection.describe(currency),
        None => rejection.to_string(),
    }
}
