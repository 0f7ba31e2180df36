//! Where a debtor lives and what language they speak: ISO 3166-1 alpha-2 country codes and
//! BCP 47 language tags, checked when a debtor is created.
//!
//! A country must be one of the 249 officially assigned alpha-2 codes, in upper case (`US`,
//! `CO`); user-assigned codes (`ZZ`, `XK`) and reserved ones (`UK`, `EU`) are refused. A
//! language must be a well-formed tag by the syntax of RFC 5646 (any case): a primary language
//! subtag of 2 to 3 letters (with up to three 3-letter extended language subtags) or 5 to 8
//! letters, then an optional 4-letter script, an optional region (2 letters or 3 digits),
//! variants, extensions and a private-use part; or a private-use tag (`x-...`) or one of the
//! grandfathered tags. Subtags are not looked up in the IANA registry, so `qq-QQ` passes; the
//! 4-letter primary language subtag that RFC 5646 reserves for future use is refused.
//!
//! Only new input is checked: a debtor stored before these checks, or with a code withdrawn
//! later, still opens.

use std::fmt;

/// The officially assigned ISO 3166-1 alpha-2 codes, sorted.
pub const COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Returns true if and only if `code` is an officially assigned ISO 3166-1 alpha-2 code in
/// upper case.
pub fn is_country_code(code: &str) -> bool {
    COUNTRY_CODES.binary_search(&code).is_ok()
}

/// Returns true if and only if `tag` is a well-formed BCP 47 language tag (see the module
/// documentation).
pub fn is_language_tag(tag: &str) -> bool {
    language_tag_problem(tag).is_none()
}

/// Checks a new debtor's country, then its language: what creating a debtor requires.
///
/// # Errors
///
/// The first of [`check_country`]'s and [`check_language`]'s errors.
pub fn check_locale(country: &str, language: &str) -> Result<(), LocaleError> {
    check_country(country)?;
    check_language(language)
}

/// Checks a debtor's country.
///
/// # Errors
///
/// [`LocaleError::Country`] if `code` is not an assigned ISO 3166-1 alpha-2 code.
pub fn check_country(code: &str) -> Result<(), LocaleError> {
    if is_country_code(code) {
        Ok(())
    } else {
        Err(LocaleError::Country { code: code.to_owned() })
    }
}

/// Checks a debtor's language.
///
/// # Errors
///
/// [`LocaleError::Language`] if `tag` is not a well-formed BCP 47 tag.
pub fn check_language(tag: &str) -> Result<(), LocaleError> {
    match language_tag_problem(tag) {
        None => Ok(()),
        Some(subtag) => Err(LocaleError::Language { tag: tag.to_owned(), subtag }),
    }
}

/// A country or language that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocaleError {
    /// Not an assigned ISO 3166-1 alpha-2 code.
    #[error("{code:?} is not an ISO 3166-1 alpha-2 country code such as \"US\"")]
    Country {
        /// The code given.
        code: String,
    },
    /// Not a well-formed BCP 47 language tag.
    #[error("{tag:?} is not a well-formed BCP 47 language tag such as \"es-CO\" ({subtag})")]
    Language {
        /// The tag given.
        tag: String,
        /// Where it goes wrong.
        subtag: Subtag,
    },
}

impl LocaleError {
    /// The field of a debtor at fault: `country` or `language`.
    pub fn field(&self) -> &'static str {
        match self {
            LocaleError::Country { .. } => "country",
            LocaleError::Language { .. } => "language",
        }
    }
}

/// Where a language tag goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subtag {
    /// The subtag at this index (from 0) does not fit where it stands, or is not 1 to 8
    /// letters and digits.
    Misplaced {
        /// Its index among the subtags.
        index: usize,
        /// The subtag.
        text: String,
    },
    /// The tag ends where a subtag must follow (after an extension or private-use singleton).
    Missing,
}

impl fmt::Display for Subtag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subtag::Misplaced { index, text } if text.is_empty() => {
                write!(f, "subtag {} is empty", index + 1)
            }
            Subtag::Misplaced { index, text } => {
                write!(f, "subtag {} {text:?} does not fit there", index + 1)
            }
            Subtag::Missing => f.write_str("it ends where a subtag must follow"),
        }
    }
}

/// The tags RFC 5646 section 2.1 lists as grandfathered, in lower case: well-formed as a
/// whole though their subtags do not follow the grammar.
const GRANDFATHERED: [&str; 26] = [
    "art-lojban",
    "cel-gaulish",
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "no-bok",
    "no-nyn",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

fn alpha(subtag: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&subtag.len()) && subtag.bytes().all(|byte| byte.is_ascii_alphabetic())
}

fn digits(subtag: &str, length: usize) -> bool {
    subtag.len() == length && subtag.bytes().all(|byte| byte.is_ascii_digit())
}

fn alphanumeric(subtag: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&subtag.len()) && subtag.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// `5*8alphanum / (DIGIT 3alphanum)`.
fn variant(subtag: &str) -> bool {
    alphanumeric(subtag, 5..=8)
        || (alphanumeric(subtag, 4..=4) && subtag.as_bytes()[0].is_ascii_digit())
}

/// A single letter or digit but `x`.
fn singleton(subtag: &str) -> bool {
    alphanumeric(subtag, 1..=1) && !subtag.eq_ignore_ascii_case("x")
}

/// `None` if `tag` is well-formed, else where it goes wrong: a walk through RFC 5646's
/// `langtag` production, each subtag taking the first place that fits it.
fn language_tag_problem(tag: &str) -> Option<Subtag> {
    if GRANDFATHERED.iter().any(|grandfathered| grandfathered.eq_ignore_ascii_case(tag)) {
        return None;
    }
    let subtags: Vec<&str> = tag.split('-').collect();
    let misplaced = |index: usize| {
        Some(Subtag::Misplaced {
            index,
            text: subtags.get(index).copied().unwrap_or("").to_owned(),
        })
    };
    if let Some(index) = subtags.iter().position(|subtag| !alphanumeric(subtag, 1..=8)) {
        return misplaced(index);
    }
    let at = |index: usize| subtags.get(index).copied();
    let private_use = |start: usize| -> Option<Subtag> {
        // `x` then one or more subtags of 1 to 8: all of them are (checked above).
        if start + 1 < subtags.len() {
            None
        } else {
            Some(Subtag::Missing)
        }
    };
    if at(0).is_some_and(|first| first.eq_ignore_ascii_case("x")) {
        return private_use(0);
    }
    // language = 2*3ALPHA ["-" extlang] / 5*8ALPHA (4ALPHA is reserved for future use).
    let language = at(0).unwrap_or("");
    let mut index = 1;
    if alpha(language, 2..=3) {
        // extlang = 3ALPHA *2("-" 3ALPHA)
        while index < 4 && at(index).is_some_and(|subtag| alpha(subtag, 3..=3)) {
            index += 1;
        }
    } else if !alpha(language, 5..=8) {
        return misplaced(0);
    }
    // script = 4ALPHA
    if at(index).is_some_and(|subtag| alpha(subtag, 4..=4)) {
        index += 1;
    }
    // region = 2ALPHA / 3DIGIT
    if at(index).is_some_and(|subtag| alpha(subtag, 2..=2) || digits(subtag, 3)) {
        index += 1;
    }
    while at(index).is_some_and(variant) {
        index += 1;
    }
    // extension = singleton 1*("-" (2*8alphanum))
    while at(index).is_some_and(singleton) {
        index += 1;
        if !at(index).is_some_and(|subtag| alphanumeric(subtag, 2..=8)) {
            return if index < subtags.len() { misplaced(index) } else { Some(Subtag::Missing) };
        }
        while at(index).is_some_and(|subtag| alphanumeric(subtag, 2..=8)) {
            index += 1;
        }
    }
    match at(index) {
        None => None,
        Some(subtag) if subtag.eq_ignore_ascii_case("x") => private_use(index),
        Some(_) => misplaced(index),
    }
}

#[cfg(test)]
mod tests;
