//! Text helpers shared by the line-based formats: decoding, dates.

use chrono::NaiveDate;

use crate::error::Problem;

/// The DOS end-of-file byte (Ctrl-Z) that some banks' systems still write after the last
/// line of a Norma 43 or MT940 file.
const DOS_END_OF_FILE: u8 = 0x1a;

/// Decodes a file's bytes: UTF-8 when valid (a leading BOM dropped), else ISO-8859-1, the
/// encoding of most Norma 43 and MT940 files from Spanish and German banks. A DOS end-of-file
/// byte after the last line (Ctrl-Z, with only line ends after it) is no content and is
/// dropped; anywhere else it stays, for the format's checks to refuse.
pub(crate) fn decode(bytes: &[u8]) -> String {
    let bytes = match bytes.iter().rposition(|&byte| byte == DOS_END_OF_FILE) {
        Some(at) if bytes[at + 1..].iter().all(|&byte| matches!(byte, b'\r' | b'\n')) => {
            let before = bytes[..at].iter().rposition(|&byte| byte != DOS_END_OF_FILE);
            &bytes[..before.map_or(0, |last| last + 1)]
        }
        _ => bytes,
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// Reads a `YYMMDD` date (MT940, Norma 43); years 00-79 are 2000-2079, 80-99 are 1980-1999.
pub(crate) fn yymmdd(text: &str, what: &'static str) -> Result<NaiveDate, Problem> {
    let bad = || Problem::BadDate { what, found: text.to_owned() };
    if text.len() != 6 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| bad());
    let year = number(0..2)?;
    let year = if year < 80 { 2000 + year } else { 1900 + year };
    NaiveDate::from_ymd_opt(year as i32, number(2..4)?, number(4..6)?).ok_or_else(bad)
}

/// Reads an ISO date `YYYY-MM-DD` (camt), also the date part of an ISO date-time.
pub(crate) fn iso_date(text: &str, what: &'static str) -> Result<NaiveDate, Problem> {
    let date = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| Problem::BadDate { what, found: text.to_owned() })
}
