//! Reading remittance text: reference tokens, RF references in free text, and name
//! similarity for `fuzzy_name`.

use crate::rf;

/// The shortest token compared with external references: shorter ones (`1`, `42`, `SL`) are
/// too common in remittance text to identify anything.
pub const REFERENCE_TOKEN_LEN_MIN: usize = 3;

/// Characters that separate tokens of remittance text.
fn is_token_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';'
                | ':'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '"'
                | '\''
                | '+'
                | '='
                | '*'
        )
}

/// The normalized form of an external reference or a token: letters upper case (Unicode
/// upper case), and the separators `-`, `/`, `.`, `_`, `#` and `\` dropped, so that
/// `inv-2026/0042`, `INV 2026.0042` written as one token and `INV20260042` are the same.
///
/// ```
/// use arrears_bank::matching::normalize_reference;
/// assert_eq!(normalize_reference("inv-2026/0042"), "INV20260042");
/// ```
pub fn normalize_reference(reference: &str) -> String {
    reference
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '/' | '.' | '_' | '#' | '\\'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// The tokens of `text`, normalized, at least [`REFERENCE_TOKEN_LEN_MIN`] characters long,
/// in text order, each once.
pub(crate) fn reference_tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for token in text.split(is_token_separator).map(normalize_reference) {
        if token.chars().count() >= REFERENCE_TOKEN_LEN_MIN && !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens
}

/// An RF reference seen in text: its electronic form, and whether its check digits hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RfSeen {
    pub(crate) reference: String,
    pub(crate) valid: bool,
}

/// Returns true if and only if `compact` looks like an RF reference: `RF`, two digits, 1 to
/// 21 letters and digits.
fn rf_shaped(compact: &str) -> bool {
    let bytes = compact.as_bytes();
    bytes.len() > 4
        && bytes.len() <= 4 + rf::RF_BASE_LEN_MAX
        && bytes.starts_with(b"RF")
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes.iter().all(u8::is_ascii_alphanumeric)
}

/// The reference starting with `word`: the word itself when it is more than `RF` and check
/// digits, else the printed form, groups of four while the previous group was complete; of
/// those, the longest whose check digits hold, else the longest.
fn printed_reference(word: &str, following: &[String]) -> String {
    let mut candidates = vec![word.to_owned()];
    if word.len() == 4 {
        let mut previous_len = 4;
        for group in following {
            let alphanumeric = group.bytes().all(|byte| byte.is_ascii_alphanumeric());
            if previous_len != 4 || group.len() > 4 || !alphanumeric {
                break;
            }
            let longer = format!("{}{group}", candidates[candidates.len() - 1]);
            candidates.push(longer);
            previous_len = group.len();
        }
    }
    let valid =
        candidates.iter().rev().find(|candidate| rf_shaped(candidate) && rf::is_valid(candidate));
    valid.or(candidates.last()).cloned().unwrap_or_default()
}

/// The RF references in `text`, written compact (`RF18539007547034`) or printed in groups of
/// four (`RF18 5390 0754 7034`, the last group 1 to 4 characters), in text order, each once.
pub(crate) fn rf_references(text: &str) -> Vec<RfSeen> {
    let words: Vec<String> = text
        .split(is_token_separator)
        .map(|word| word.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_ascii_uppercase())
        .filter(|word| !word.is_empty())
        .collect();
    let mut seen: Vec<RfSeen> = Vec::new();
    for (index, word) in words.iter().enumerate() {
        if !word.starts_with("RF") {
            continue;
        }
        let compact = printed_reference(word, &words[index + 1..]);
        if rf_shaped(&compact) && !seen.iter().any(|earlier| earlier.reference == compact) {
            seen.push(RfSeen { valid: rf::is_valid(&compact), reference: compact });
        }
    }
    seen
}

/// Legal forms and particles left out of names before comparing them.
const NAME_NOISE: &[&str] = &[
    "sa", "sl", "slu", "sau", "sas", "srl", "spa", "ltda", "ltd", "llc", "inc", "gmbh", "ag", "bv",
    "nv", "cv", "de", "del", "la", "las", "los", "y", "e", "the", "and", "mr", "mrs", "sr", "sra",
    "don", "dona",
];

/// A name for comparison: lower case, common Latin accents folded (a-acute as `a`, n-tilde as `n`),
/// dots dropped and other punctuation as spaces, legal forms and particles (`SL`, `GmbH`, `de`) dropped, the words
/// sorted so that word order does not matter.
pub(crate) fn normalize_name(name: &str) -> String {
    let folded: String = name.chars().flat_map(char::to_lowercase).map(fold_accent).collect();
    // Dots join (`S.L.` is `sl`); other punctuation separates words.
    let cleaned: String = folded
        .chars()
        .filter(|c| *c != '.')
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> =
        cleaned.split_whitespace().filter(|word| !NAME_NOISE.contains(word)).collect();
    words.sort_unstable();
    words.join(" ")
}

fn fold_accent(c: char) -> char {
    match c {
        '\u{e1}' | '\u{e0}' | '\u{e4}' | '\u{e2}' | '\u{e3}' | '\u{e5}' => 'a',
        '\u{e9}' | '\u{e8}' | '\u{eb}' | '\u{ea}' => 'e',
        '\u{ed}' | '\u{ec}' | '\u{ef}' | '\u{ee}' => 'i',
        '\u{f3}' | '\u{f2}' | '\u{f6}' | '\u{f4}' | '\u{f5}' | '\u{f8}' => 'o',
        '\u{fa}' | '\u{f9}' | '\u{fc}' | '\u{fb}' => 'u',
        '\u{f1}' => 'n',
        '\u{e7}' => 'c',
        '\u{df}' => 's',
        other => other,
    }
}

/// The similarity of two names in percent (0 to 100, rounded down): the Dice coefficient of
/// the character pairs of their normalized forms ([`normalize_name`]). Equal normalized
/// forms score 100; integer arithmetic, so the score is the same on every machine.
pub(crate) fn name_similarity_percent(left: &str, right: &str) -> u32 {
    let (left, right) = (normalize_name(left), normalize_name(right));
    if left == right {
        return if left.is_empty() { 0 } else { 100 };
    }
    let pairs = |text: &str| {
        let chars: Vec<char> = text.chars().collect();
        let mut pairs: Vec<(char, char)> =
            chars.windows(2).map(|pair| (pair[0], pair[1])).collect();
        pairs.sort_unstable();
        pairs
    };
    let (left_pairs, right_pairs) = (pairs(&left), pairs(&right));
    let total = left_pairs.len() + right_pairs.len();
    if total == 0 {
        return 0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0_usize);
    while i < left_pairs.len() && j < right_pairs.len() {
        match left_pairs[i].cmp(&right_pairs[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    u32::try_from(200 * common / total).unwrap_or(100)
}
