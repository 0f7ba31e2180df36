//! Text helpers shared by the line-based formats: decoding, dates.

use chrono::NaiveDate;

use crate::error::Problem;

/// The DOS end-of-file byte (Ctrl-Z) that some banks' systems still write after the last
/// line of a Norma 43 or MT940 file.
const DOS_END_OF_FILE: u8 = 0x1a;

/// Decodes a file's bytes: UTF-8 when valid (a leading BOM dropped), else ISO-8859-1, the
/// encoding of most MT940 files from German banks (Norma 43 also reads code page 850, see
/// [`decode_latin1_or_cp850`]). A DOS end-of-file
/// byte after the last line (Ctrl-Z, with only line ends after it) is no content and is
/// dropped; anywhere else it stays, for the format's checks to refuse.
pub(crate) fn decode(bytes: &[u8]) -> String {
    let bytes = without_end_of_file(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// Decodes as [`decode`] does, but reads a file that is not UTF-8 as code page 850 (MS-DOS
/// Latin-1, which many Spanish banks' systems still write: N-tilde is 0xA5, E-acute 0x90)
/// when that reads more of its bytes above 127 as letters than ISO-8859-1 does (where they
/// are 0xD1 and 0xC9), else as ISO-8859-1. Both are one byte a character, so fixed positions
/// hold either way.
pub(crate) fn decode_latin1_or_cp850(bytes: &[u8]) -> String {
    let bytes = without_end_of_file(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.trim_start_matches('\u{feff}').to_owned();
    }
    let cp850 = |byte: u8| match byte {
        0..=0x7f => char::from(byte),
        _ => CP850_HIGH[usize::from(byte - 0x80)],
    };
    let letters = |read: &dyn Fn(u8) -> char| {
        // 0x80 is C-cedilla in CP850 but the euro sign in Windows-1252, which banks also write; it
        // counts for neither.
        bytes.iter().filter(|&&byte| byte > 0x80 && read(byte).is_alphabetic()).count()
    };
    if letters(&cp850) > letters(&char::from) {
        bytes.iter().map(|&byte| cp850(byte)).collect()
    } else {
        bytes.iter().map(|&byte| char::from(byte)).collect()
    }
}

/// The bytes without a DOS end-of-file byte after the last line.
fn without_end_of_file(bytes: &[u8]) -> &[u8] {
    match bytes.iter().rposition(|&byte| byte == DOS_END_OF_FILE) {
        Some(at) if bytes[at + 1..].iter().all(|&byte| matches!(byte, b'\r' | b'\n')) => {
            let before = bytes[..at].iter().rposition(|&byte| byte != DOS_END_OF_FILE);
            &bytes[..before.map_or(0, |last| last + 1)]
        }
        _ => bytes,
    }
}

/// Code page 850, bytes 0x80 to 0xFF.
#[rustfmt::skip]
const CP850_HIGH: [char; 128] = [
    '\u{c7}', '\u{fc}', '\u{e9}', '\u{e2}', '\u{e4}', '\u{e0}', '\u{e5}', '\u{e7}',
    '\u{ea}', '\u{eb}', '\u{e8}', '\u{ef}', '\u{ee}', '\u{ec}', '\u{c4}', '\u{c5}',
    '\u{c9}', '\u{e6}', '\u{c6}', '\u{f4}', '\u{f6}', '\u{f2}', '\u{fb}', '\u{f9}',
    '\u{ff}', '\u{d6}', '\u{dc}', '\u{f8}', '\u{a3}', '\u{d8}', '\u{d7}', '\u{192}',
    '\u{e1}', '\u{ed}', '\u{f3}', '\u{fa}', '\u{f1}', '\u{d1}', '\u{aa}', '\u{ba}',
    '\u{bf}', '\u{ae}', '\u{ac}', '\u{bd}', '\u{bc}', '\u{a1}', '\u{ab}', '\u{bb}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{c1}', '\u{c2}', '\u{c0}',
    '\u{a9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{a2}', '\u{a5}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}', '\u{253c}', '\u{e3}', '\u{c3}',
    '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256c}', '\u{a4}',
    '\u{f0}', '\u{d0}', '\u{ca}', '\u{cb}', '\u{c8}', '\u{131}', '\u{cd}', '\u{ce}',
    '\u{cf}', '\u{2518}', '\u{250c}', '\u{2588}', '\u{2584}', '\u{a6}', '\u{cc}', '\u{2580}',
    '\u{d3}', '\u{df}', '\u{d4}', '\u{d2}', '\u{f5}', '\u{d5}', '\u{b5}', '\u{fe}',
    '\u{de}', '\u{da}', '\u{db}', '\u{d9}', '\u{fd}', '\u{dd}', '\u{af}', '\u{b4}',
    '\u{ad}', '\u{b1}', '\u{2017}', '\u{be}', '\u{b6}', '\u{a7}', '\u{f7}', '\u{b8}',
    '\u{b0}', '\u{a8}', '\u{b7}', '\u{b9}', '\u{b3}', '\u{b2}', '\u{25a0}', '\u{a0}',
];

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
