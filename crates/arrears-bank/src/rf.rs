//! ISO 11649 structured creditor references (`RF` references).
//!
//! An RF reference is `RF`, two check digits and a base of 1 to 21 letters and digits, such as
//! `RF18539007547034`. The check digits make the whole reference, its first four characters
//! moved to the end and letters read as numbers (`A` = 10 ... `Z` = 35), equal 1 modulo 97, so
//! a mistyped reference is caught before it matches the wrong debtor.
//!
//! ```
//! use arrears_bank::rf;
//!
//! let reference = rf::rf_reference("539007547034")?;
//! assert_eq!(reference, "RF18539007547034");
//! assert!(rf::is_valid(&reference));
//! assert!(rf::is_valid("RF18 5390 0754 7034")); // the printed form, in groups of four
//! assert!(!rf::is_valid("RF19539007547034"));
//! # Ok::<(), rf::RfError>(())
//! ```

/// The longest base of an RF reference, in characters (25 in all with `RF` and check digits).
pub const RF_BASE_LEN_MAX: usize = 21;

/// A base that cannot become an RF reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RfError {
    /// The base is empty or longer than [`RF_BASE_LEN_MAX`].
    #[error("RF reference base {base:?} has {len} characters; 1 to {RF_BASE_LEN_MAX} allowed")]
    Length {
        /// The base as given.
        base: String,
        /// Its length in characters.
        len: usize,
    },
    /// The base holds something else than letters A-Z and digits.
    #[error("RF reference base {base:?} may hold only letters A-Z and digits")]
    Character {
        /// The base as given.
        base: String,
    },
}

/// Makes the RF reference of `base` (letters are taken upper case): `RF`, the two check
/// digits, the base.
///
/// # Errors
///
/// [`RfError`] when the base is empty, too long or holds other characters than A-Z and 0-9.
pub fn rf_reference(base: &str) -> Result<String, RfError> {
    let base = base.to_ascii_uppercase();
    let len = base.chars().count();
    if len == 0 || len > RF_BASE_LEN_MAX {
        return Err(RfError::Length { base, len });
    }
    if !base.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit()) {
        return Err(RfError::Character { base });
    }
    let check = 98 - remainder_97(&format!("{base}RF00"));
    Ok(format!("RF{check:02}{base}"))
}

/// Whether `reference` is a valid RF reference: `RF`, two check digits, a base of 1 to 21
/// letters and digits, spaces ignored (the printed form groups by four), case ignored, and the
/// check digits right.
pub fn is_valid(reference: &str) -> bool {
    let compact = normalize(reference);
    let base_len = compact.len().saturating_sub(4);
    let shape = compact.starts_with("RF")
        && compact.len() > 4
        && base_len <= RF_BASE_LEN_MAX
        && compact.as_bytes()[2..4].iter().all(u8::is_ascii_digit)
        && compact.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
    shape && remainder_97(&format!("{}{}", &compact[4..], &compact[..4])) == 1
}

/// The electronic form of a reference: spaces removed, upper case.
pub fn normalize(reference: &str) -> String {
    reference.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

/// The remainder modulo 97 of the number a string of A-Z and 0-9 spells (letters as two
/// digits, `A` = 10), computed digit by digit so that no length overflows.
pub(crate) fn remainder_97(text: &str) -> u32 {
    let mut remainder = 0u32;
    for byte in text.bytes() {
        let value = match byte {
            b'0'..=b'9' => u32::from(byte - b'0'),
            _ => u32::from(byte.to_ascii_uppercase().wrapping_sub(b'A')) + 10,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder
}

#[cfg(test)]
mod tests;
