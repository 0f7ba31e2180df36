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

/// Reads an XML Schema date as camt writes it: an `xs:date` (`Dt`: `2026-12-03`, with an
/// optional time zone `Z` or `+01:00`) or, when `with_time`, an `xs:dateTime` (`DtTm`:
/// `2026-12-03T09:30:00`, with optional fractional seconds and time zone). The date is taken
/// as written, in the bank's time zone. Anything else after the date is refused.
pub(crate) fn xml_date(
    text: &str,
    with_time: bool,
    what: &'static str,
) -> Result<NaiveDate, Problem> {
    let bad = || Problem::BadDate { what, found: text.to_owned() };
    let bytes = text.as_bytes();
    let digits_at = |at: usize, count: usize| {
        bytes.get(at..at + count).is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let number = |at: usize, count: usize| -> u32 {
        bytes[at..at + count].iter().fold(0, |sum, byte| sum * 10 + u32::from(byte - b'0'))
    };
    let is_date = digits_at(0, 4)
        && bytes.get(4) == Some(&b'-')
        && digits_at(5, 2)
        && bytes.get(7) == Some(&b'-')
        && digits_at(8, 2);
    if !is_date {
        return Err(bad());
    }
    let date =
        NaiveDate::from_ymd_opt(number(0, 4) as i32, number(5, 2), number(8, 2)).ok_or_else(bad)?;
    let mut at = 10;
    if with_time {
        let is_time = bytes.get(10) == Some(&b'T')
            && digits_at(11, 2)
            && bytes.get(13) == Some(&b':')
            && digits_at(14, 2)
            && bytes.get(16) == Some(&b':')
            && digits_at(17, 2);
        if !is_time || number(11, 2) > 23 || number(14, 2) > 59 || number(17, 2) > 59 {
            return Err(bad());
        }
        at = 19;
        if bytes.get(at) == Some(&b'.') {
            let fraction = bytes[at + 1..].iter().take_while(|byte| byte.is_ascii_digit()).count();
            if fraction == 0 {
                return Err(bad());
            }
            at += 1 + fraction;
        }
    }
    let zone = &bytes[at..];
    let is_zone = match zone {
        [] | [b'Z'] => true,
        [b'+' | b'-', ..] => {
            zone.len() == 6
                && digits_at(at + 1, 2)
                && zone[3] == b':'
                && digits_at(at + 4, 2)
                && number(at + 1, 2) <= 14
                && number(at + 4, 2) <= 59
        }
        _ => false,
    };
    if !is_zone {
        return Err(bad());
    }
    Ok(date)
}
