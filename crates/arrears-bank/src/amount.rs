//! Exact amounts: decimal text to minor units of a currency, refusing anything finer.

use arrears_core::money::{Currency, AMOUNT_MINOR_MAX};

use crate::error::Problem;

/// Reads an unsigned decimal amount (`1234,56`, `1234.5`, `1234`) into minor units of
/// `currency`, with `separator` as the decimal separator.
///
/// Digits beyond the minor unit must be zeros (`100,00` JPY is 100 yen); anything else is
/// refused, never rounded.
pub(crate) fn to_minor(
    text: &str,
    separator: char,
    currency: Currency,
    what: &'static str,
) -> Result<i64, Problem> {
    let bad = || Problem::BadAmount { what, found: text.to_owned() };
    let (whole, fraction) = match text.split_once(separator) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(bad());
    }
    let minor_units = currency.minor_units() as usize;
    let (kept, beyond) = fraction.split_at(fraction.len().min(minor_units));
    if beyond.bytes().any(|byte| byte != b'0') {
        return Err(Problem::FinerThanMinorUnit {
            found: text.to_owned(),
            currency,
            minor_units: currency.minor_units(),
        });
    }
    let out_of_range = || Problem::AmountOutOfRange { found: text.to_owned() };
    let whole = whole.trim_start_matches('0');
    if whole.len() > 18 {
        return Err(out_of_range());
    }
    let mut minor: i64 = whole.parse::<i64>().unwrap_or(0);
    for position in 0..minor_units {
        let digit = kept.as_bytes().get(position).map_or(0, |byte| i64::from(byte - b'0'));
        minor =
            minor.checked_mul(10).and_then(|m| m.checked_add(digit)).ok_or_else(out_of_range)?;
    }
    if minor > AMOUNT_MINOR_MAX {
        return Err(out_of_range());
    }
    Ok(minor)
}

/// Reads an `xs:decimal` amount (camt's `Amt`, `Sum`) into minor units of `currency`. Besides
/// `1234.56`, the schema's lexical forms include a leading `+` and a missing whole part
/// (`.56`); a minus sign (amounts are never negative there) and exponents are refused.
pub(crate) fn decimal_to_minor(
    text: &str,
    currency: Currency,
    what: &'static str,
) -> Result<i64, Problem> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let whole_given = match unsigned.strip_prefix('.') {
        Some(fraction) if fraction.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("0.{fraction}")
        }
        _ => unsigned.to_owned(),
    };
    to_minor(&whole_given, '.', currency, what).map_err(|problem| as_found(problem, text))
}

/// The same problem, naming the amount as the file gave it.
fn as_found(problem: Problem, text: &str) -> Problem {
    let found = text.to_owned();
    match problem {
        Problem::BadAmount { what, .. } => Problem::BadAmount { what, found },
        Problem::FinerThanMinorUnit { currency, minor_units, .. } => {
            Problem::FinerThanMinorUnit { found, currency, minor_units }
        }
        Problem::AmountOutOfRange { .. } => Problem::AmountOutOfRange { found },
        other => other,
    }
}

/// Reads a fixed-width amount of digits with `decimals` implied decimals (Norma 43: 14 digits,
/// 2 implied) into minor units of `currency`.
pub(crate) fn implied_to_minor(
    digits: &str,
    decimals: usize,
    currency: Currency,
    what: &'static str,
) -> Result<i64, Problem> {
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(Problem::BadAmount { what, found: digits.to_owned() });
    }
    let split = digits.len().saturating_sub(decimals);
    let whole = if split == 0 { "0" } else { &digits[..split] };
    let text = format!("{whole}.{}", &digits[split..]);
    to_minor(&text, '.', currency, what).map_err(|problem| as_found(problem, digits))
}

/// Writes minor units as a decimal with `separator` (for the test writers' round trips).
#[cfg(test)]
pub(crate) fn minor_to_text(amount_minor: i64, currency: Currency, separator: char) -> String {
    let units = currency.minor_units() as usize;
    let digits = format!("{:0>width$}", amount_minor.unsigned_abs(), width = units + 1);
    let (whole, fraction) = digits.split_at(digits.len() - units);
    let sign = if amount_minor < 0 { "-" } else { "" };
    if units == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}{separator}{fraction}")
    }
}

#[cfg(test)]
mod tests;
