//! Payer accounts: the counterparty account of a statement line read as an IBAN, a Mexican
//! CLABE, an Argentine CBU or a Chilean RUT, normalized and with its check digits verified, so
//! that a mistyped account never matches a debtor.

use serde::{Deserialize, Serialize};

/// The shortest and longest IBAN (Norway has 15 characters, Saint Lucia 32; ISO 13616 allows
/// 34).
const IBAN_LEN_MIN: usize = 15;
/// The longest IBAN ISO 13616 allows.
const IBAN_LEN_MAX: usize = 34;

/// A payer account, normalized: the electronic form without spaces, dots or dashes, letters
/// upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "scheme", content = "id", rename_all = "snake_case")]
pub enum PayerAccount {
    /// An IBAN (ISO 13616), check digits verified (mod 97).
    Iban(String),
    /// A Mexican CLABE, 18 digits, check digit verified (weights 3, 7, 1).
    Clabe(String),
    /// An Argentine CBU, 22 digits, both check digits verified.
    Cbu(String),
    /// A Chilean RUT: the number without leading zeros, a dash and the check character (`0`-`9`
    /// or `K`), verified (mod 11), such as `12345678-5`.
    Rut(String),
    /// Any other account id, normalized but not verified (no check digits are defined).
    Other(String),
}

/// The scheme of a payer account: which check digits its number carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayerScheme {
    /// An IBAN (ISO 13616).
    Iban,
    /// A Mexican CLABE.
    Clabe,
    /// An Argentine CBU.
    Cbu,
    /// A Chilean RUT.
    Rut,
    /// Any other account id (no check digits).
    Other,
}

impl PayerScheme {
    /// Every scheme, in declaration order.
    pub const ALL: [PayerScheme; 5] = [
        PayerScheme::Iban,
        PayerScheme::Clabe,
        PayerScheme::Cbu,
        PayerScheme::Rut,
        PayerScheme::Other,
    ];

    /// The name used in commands, files and messages: `iban`, `clabe`, `cbu`, `rut`, `other`.
    pub fn name(self) -> &'static str {
        match self {
            PayerScheme::Iban => "iban",
            PayerScheme::Clabe => "clabe",
            PayerScheme::Cbu => "cbu",
            PayerScheme::Rut => "rut",
            PayerScheme::Other => "other",
        }
    }

    /// The scheme named `name` (as [`PayerScheme::name`] writes it, case ignored).
    pub fn from_name(name: &str) -> Option<PayerScheme> {
        PayerScheme::ALL.into_iter().find(|scheme| scheme.name().eq_ignore_ascii_case(name))
    }
}

/// A payer account whose shape names a scheme but whose check digits are wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{scheme} {found:?} has wrong check digits")]
pub struct AccountCheckError {
    /// The scheme its shape names: `IBAN`, `CLABE`, `CBU` or `RUT`.
    pub scheme: &'static str,
    /// The account as given.
    pub found: String,
}

impl PayerAccount {
    /// Reads an account as a bank writes it: spaces, dots and dashes are dropped and letters
    /// taken upper case; then two letters and two digits make an IBAN, 18 digits a CLABE, 22
    /// digits a CBU, and 7 to 9 digits (the last may be `K`) whose RUT check holds a RUT;
    /// anything else is [`PayerAccount::Other`].
    ///
    /// # Errors
    ///
    /// [`AccountCheckError`] when the shape names a scheme whose check digits do not verify:
    /// an IBAN, a CLABE, a CBU, or a RUT written as one (a dash before the check character,
    /// or a check `K`). Bare digits that fail the RUT check are [`PayerAccount::Other`].
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::cash::PayerAccount;
    ///
    /// let iban = PayerAccount::parse("es91 2100 0418 4502 0005 1332")?;
    /// assert_eq!(iban, PayerAccount::Iban("ES9121000418450200051332".into()));
    /// let rut = PayerAccount::parse("12.345.678-5")?;
    /// assert_eq!(rut, PayerAccount::Rut("12345678-5".into()));
    /// assert!(PayerAccount::parse("ES9221000418450200051332").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<PayerAccount, AccountCheckError> {
        let trimmed: Vec<char> = text.trim().chars().collect();
        let had_dash = trimmed.len() >= 2 && trimmed[trimmed.len() - 2] == '-';
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '/'))
            .collect::<String>()
            .to_ascii_uppercase();
        let fail = |scheme| AccountCheckError { scheme, found: text.to_owned() };
        let all_digits = !compact.is_empty() && compact.bytes().all(|byte| byte.is_ascii_digit());
        let checked =
            |valid: bool, scheme, account| if valid { Ok(account) } else { Err(fail(scheme)) };
        if looks_like_iban(&compact) {
            return checked(iban_valid(&compact), "IBAN", PayerAccount::Iban(compact));
        }
        if all_digits && compact.len() == 18 {
            return checked(clabe_valid(&compact), "CLABE", PayerAccount::Clabe(compact));
        }
        if all_digits && compact.len() == 22 {
            return checked(cbu_valid(&compact), "CBU", PayerAccount::Cbu(compact));
        }
        if looks_like_rut(&compact) {
            match rut_normalized(&compact) {
                Some(rut) => return Ok(PayerAccount::Rut(rut)),
                // Written as a RUT (`12.345.678-5`, `...-K`): the check must hold. Bare digits
                // that fail it are some other account number.
                None if had_dash || compact.ends_with('K') => return Err(fail("RUT")),
                None => {}
            }
        }
        Ok(PayerAccount::Other(compact))
    }

    /// Its scheme.
    pub fn scheme(&self) -> PayerScheme {
        match self {
            PayerAccount::Iban(_) => PayerScheme::Iban,
            PayerAccount::Clabe(_) => PayerScheme::Clabe,
            PayerAccount::Cbu(_) => PayerScheme::Cbu,
            PayerAccount::Rut(_) => PayerScheme::Rut,
            PayerAccount::Other(_) => PayerScheme::Other,
        }
    }

    /// The normalized id, whatever the scheme.
    pub fn id(&self) -> &str {
        match self {
            PayerAccount::Iban(id)
            | PayerAccount::Clabe(id)
            | PayerAccount::Cbu(id)
            | PayerAccount::Rut(id)
            | PayerAccount::Other(id) => id,
        }
    }
}

/// Returns true if and only if `compact` has an IBAN's shape: two letters, two digits, then
/// letters and digits, 15 to 34 characters in all.
fn looks_like_iban(compact: &str) -> bool {
    let bytes = compact.as_bytes();
    (IBAN_LEN_MIN..=IBAN_LEN_MAX).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes.iter().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
}

/// ISO 13616: the first four characters moved to the end, letters as 10 to 35, mod 97 is 1.
fn iban_valid(compact: &str) -> bool {
    let rotated = format!("{}{}", &compact[4..], &compact[..4]);
    let remainder = rotated.chars().fold(0_u32, |remainder, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        }
    });
    remainder == 1
}

/// The check digit of `digits` weighted by `weights` (repeated), each product taken mod 10
/// (CLABE) or whole (CBU), as `(10 - sum mod 10) mod 10`.
fn weighted_check(digits: &[u8], weights: &[u32], product_mod_10: bool) -> u32 {
    let sum: u32 = digits
        .iter()
        .zip(weights.iter().cycle())
        .map(|(digit, weight)| {
            let product = u32::from(digit - b'0') * weight;
            if product_mod_10 {
                product % 10
            } else {
                product
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// CLABE: 17 digits weighted 3, 7, 1 (each product mod 10), then the check digit.
fn clabe_valid(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    weighted_check(&bytes[..17], &[3, 7, 1], true) == u32::from(bytes[17] - b'0')
}

/// CBU: block one is 7 digits weighted 7, 1, 3, 9 and a check digit; block two is 13 digits
/// weighted 3, 9, 7, 1 and a check digit.
fn cbu_valid(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    weighted_check(&bytes[..7], &[7, 1, 3, 9], false) == u32::from(bytes[7] - b'0')
        && weighted_check(&bytes[8..21], &[3, 9, 7, 1], false) == u32::from(bytes[21] - b'0')
}

/// Returns true if and only if `compact` has a RUT's shape: 7 to 9 characters, digits but for
/// a last digit or `K`.
fn looks_like_rut(compact: &str) -> bool {
    let bytes = compact.as_bytes();
    let Some((last, body)) = bytes.split_last() else {
        return false;
    };
    (7..=9).contains(&bytes.len())
        && body.iter().all(u8::is_ascii_digit)
        && (last.is_ascii_digit() || *last == b'K')
}

/// RUT mod 11: the number's digits from the right weighted 2 to 7 (repeated); the check is
/// `11 - sum mod 11`, 11 written `0` and 10 written `K`. Returns `number-check` when right.
fn rut_normalized(compact: &str) -> Option<String> {
    let (number, check) = compact.split_at(compact.len() - 1);
    let number = number.trim_start_matches('0');
    let sum: u32 = number
        .bytes()
        .rev()
        .zip([2, 3, 4, 5, 6, 7].iter().cycle())
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let expected = match 11 - sum % 11 {
        11 => '0',
        10 => 'K',
        digit => char::from_digit(digit, 10)?,
    };
    (!number.is_empty() && check.starts_with(expected)).then(|| format!("{number}-{check}"))
}
