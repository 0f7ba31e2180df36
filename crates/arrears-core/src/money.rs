//! Money: exact decimal amounts in an ISO 4217 currency, named rounding rules and exact splits.
//!
//! Amounts that become postings are held as `i64` minor units of the account's currency (cents
//! for USD, pesos for CLP, fils for KWD). `Money` is the decimal form used at the API boundary;
//! `Money::to_minor` refuses an amount finer than the currency's minor unit instead of rounding
//! it, because silently rounding a caller's amount would invent or lose money. Computed amounts
//! (interest, percentage fees, splits) are rounded by a named [`RoundingRule`] at the one point
//! where they become postings.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest absolute amount, in minor units, that a single posting may carry.
///
/// 10^13 minor units is a hundred billion dollars in cents. The bound keeps every per-account
/// sum (at most [`crate::ledger::EVENTS_PER_ACCOUNT_MAX`] postings) inside `i64`; that
/// relationship is asserted at compile time in the ledger module.
pub const AMOUNT_MINOR_MAX: i64 = 10_000_000_000_000;

const _: () = assert!(0 < AMOUNT_MINOR_MAX);

/// One row of the currency table: ISO 4217 code and number of minor-unit digits.
const CURRENCIES: &[(&str, u8)] = &[
    ("ARS", 2),
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("PEN", 2),
    ("USD", 2),
    ("UYU", 2),
];

/// An ISO 4217 currency from the Arrears currency table, with its number of minor units.
///
/// The table is ours and fixed: the scale of stored minor units must never change under an
/// existing store. Serialized as its three-letter code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

/// The currency code is not in the Arrears currency table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown currency {code:?} (known: {known})")]
pub struct UnknownCurrency {
    /// The code as given.
    pub code: String,
    /// The known codes, comma separated.
    pub known: String,
}

impl Currency {
    /// United States dollar (2 minor units).
    pub const USD: Currency = Currency { code: *b"USD", minor_units: 2 };
    /// Euro (2 minor units).
    pub const EUR: Currency = Currency { code: *b"EUR", minor_units: 2 };
    /// Mexican peso (2 minor units).
    pub const MXN: Currency = Currency { code: *b"MXN", minor_units: 2 };
    /// Colombian peso (2 minor units).
    pub const COP: Currency = Currency { code: *b"COP", minor_units: 2 };
    /// Chilean peso (0 minor units).
    pub const CLP: Currency = Currency { code: *b"CLP", minor_units: 0 };
    /// Japanese yen (0 minor units).
    pub const JPY: Currency = Currency { code: *b"JPY", minor_units: 0 };
    /// Kuwaiti dinar (3 minor units).
    pub const KWD: Currency = Currency { code: *b"KWD", minor_units: 3 };

    /// Looks up a currency by its ISO 4217 code (upper case, as in `"USD"`).
    ///
    /// # Errors
    ///
    /// [`UnknownCurrency`] if the code is not in the table.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::money::Currency;
    /// let clp = Currency::from_code("CLP")?;
    /// assert_eq!(clp.minor_units(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_code(code: &str) -> Result<Currency, UnknownCurrency> {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(known, minor_units)| {
                let bytes = known.as_bytes();
                Currency { code: [bytes[0], bytes[1], bytes[2]], minor_units: *minor_units }
            })
            .ok_or_else(|| unknown_currency(code))
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // The table holds ASCII codes only, so this never fails.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of decimal digits of the minor unit (2 for USD, 0 for CLP, 3 for KWD).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }

    /// All currencies of the table.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().filter_map(|(code, _)| Currency::from_code(code).ok())
    }
}

#[cold]
fn unknown_currency(code: &str) -> UnknownCurrency {
    let known: Vec<&str> = CURRENCIES.iter().map(|(code, _)| *code).collect();
    UnknownCurrency { code: code.to_owned(), known: known.join(", ") }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(code: &str) -> Result<Currency, UnknownCurrency> {
        Currency::from_code(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Currency, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// Errors of money arithmetic and conversion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// The currency of the left operand.
        left: Currency,
        /// The currency of the right operand.
        right: Currency,
    },
    /// The amount has more decimal places than the currency's minor unit.
    #[error("amount {amount} is finer than the minor unit of {currency} ({minor_units} decimals)")]
    FinerThanMinorUnit {
        /// The amount as given.
        amount: Decimal,
        /// The currency.
        currency: Currency,
        /// Its number of minor units.
        minor_units: u32,
    },
    /// The amount is beyond [`AMOUNT_MINOR_MAX`] minor units.
    #[error("amount {amount} {currency} is out of range (at most {AMOUNT_MINOR_MAX} minor units)")]
    OutOfRange {
        /// The amount as given.
        amount: Decimal,
        /// The currency.
        currency: Currency,
    },
    /// The text is not a decimal number.
    #[error("{text:?} is not a decimal amount")]
    NotANumber {
        /// The text as given.
        text: String,
    },
}

/// An exact amount of money in one currency.
///
/// # Example
///
/// ```
/// use arrears_core::money::{Currency, Money};
/// let a = Money::parse("10.25", Currency::USD)?;
/// let b = Money::from_minor(75, Currency::USD);
/// assert_eq!(a.checked_add(b)?.to_minor()?, 1100);
/// assert!(Money::parse("0.001", Currency::USD)?.to_minor().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    #[serde(deserialize_with = "deserialize_plain_decimal")]
    amount: Decimal,
    currency: Currency,
}

/// `text`, trimmed, as a plain decimal number (an optional sign, digits, an optional point
/// and digits), or `None`. `rust_decimal` alone also reads `1_000` as 1000, which no amount,
/// rate or share written by a person means: a digit separator is refused.
///
/// ```
/// use arrears_core::money::plain_decimal;
/// use rust_decimal::Decimal;
///
/// assert_eq!(plain_decimal(" -12.50 "), Some(Decimal::new(-1250, 2)));
/// assert_eq!(plain_decimal("1_000"), None);
/// assert_eq!(plain_decimal("12,50"), None);
/// ```
pub fn plain_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.contains('_') {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

/// Reads a decimal written as a string by [`plain_decimal`]'s rule, for a field marked
/// `#[serde(deserialize_with = "arrears_core::money::deserialize_plain_decimal")]`:
/// `rust_decimal`'s own serde reads `"1_000"` as 1000. It reads the form `rust_decimal`'s serde
/// writes (a string), so what the engine serialized reads back the same.
///
/// ```
/// use arrears_core::money::{Currency, Money};
///
/// let money: Money = serde_json::from_str(r#"{"amount": "1000.50", "currency": "USD"}"#)?;
/// assert_eq!(money, Money::parse("1000.50", Currency::USD)?);
/// let error = serde_json::from_str::<Money>(r#"{"amount": "1_000", "currency": "USD"}"#);
/// assert!(error.unwrap_err().to_string().starts_with("\"1_000\" is not a decimal number"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The deserializer's error for a value that is not a string or not a plain decimal.
pub fn deserialize_plain_decimal<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Decimal, D::Error> {
    let text = String::deserialize(deserializer)?;
    plain_decimal(&text)
        .ok_or_else(|| serde::de::Error::custom(format_args!("{text:?} is not a decimal number")))
}

impl Money {
    /// An amount in a currency. Any scale is accepted here; [`Money::to_minor`] checks it.
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Parses a decimal string such as `"1234.50"` or `"-3"`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::NotANumber`] if the text is not a plain decimal number.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let amount =
            plain_decimal(text).ok_or_else(|| MoneyError::NotANumber { text: text.to_owned() })?;
        Ok(Money { amount, currency })
    }

    /// An amount from minor units (cents for USD).
    pub fn from_minor(amount_minor: i64, currency: Currency) -> Money {
        Money { amount: Decimal::new(amount_minor, currency.minor_units()), currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::from_minor(0, currency)
    }

    /// The decimal amount.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units.
    ///
    /// # Errors
    ///
    /// [`MoneyError::FinerThanMinorUnit`] if the amount has more decimals than the currency's
    /// minor unit (after dropping trailing zeros), [`MoneyError::OutOfRange`] beyond
    /// [`AMOUNT_MINOR_MAX`].
    pub fn to_minor(&self) -> Result<i64, MoneyError> {
        let normalized = self.amount.normalize();
        let minor_units = self.currency.minor_units();
        if normalized.scale() > minor_units {
            return Err(MoneyError::FinerThanMinorUnit {
                amount: self.amount,
                currency: self.currency,
                minor_units,
            });
        }
        let scaled = normalized
            .checked_mul(Decimal::from(10_i64.pow(minor_units)))
            .ok_or(MoneyError::OutOfRange { amount: self.amount, currency: self.currency })?;
        let minor = i64::try_from(scaled)
            .map_err(|_| MoneyError::OutOfRange { amount: self.amount, currency: self.currency })?;
        if minor.unsigned_abs() > AMOUNT_MINOR_MAX.unsigned_abs() {
            return Err(MoneyError::OutOfRange { amount: self.amount, currency: self.currency });
        }
        Ok(minor)
    }

    /// Sum of two amounts of the same currency.
    ///
    /// # Errors
    ///
    /// [`MoneyError::CurrencyMismatch`] if the currencies differ.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(Money { amount: self.amount + other.amount, currency: self.currency })
    }

    /// Difference of two amounts of the same currency.
    ///
    /// # Errors
    ///
    /// [`MoneyError::CurrencyMismatch`] if the currencies differ.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(Money { amount: self.amount - other.amount, currency: self.currency })
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.amount.round_dp(self.currency.minor_units().max(self.amount.scale()));
        write!(f, "{shown} {}", self.currency)
    }
}

/// Formats minor units as a decimal string with exactly the currency's number of decimals.
///
/// # Example
///
/// ```
/// use arrears_core::money::{format_minor, Currency};
/// assert_eq!(format_minor(-1205, Currency::USD), "-12.05");
/// assert_eq!(format_minor(1205, Currency::CLP), "1205");
/// assert_eq!(format_minor(5, Currency::KWD), "0.005");
/// ```
pub fn format_minor(amount_minor: i64, currency: Currency) -> String {
    Decimal::new(amount_minor, currency.minor_units()).to_string()
}

/// A named rule for rounding a computed amount to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoundingRule {
    /// Round half to even (banker's rounding): 0.125 -> 0.12, 0.135 -> 0.14.
    #[default]
    HalfEven,
    /// Round half away from zero: 0.125 -> 0.13, -0.125 -> -0.13.
    HalfUp,
    /// Truncate toward zero: 0.129 -> 0.12, -0.129 -> -0.12.
    TowardZero,
}

impl RoundingRule {
    /// Rounds `amount` (in major units) to minor units of `currency`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::OutOfRange`] if the rounded amount exceeds [`AMOUNT_MINOR_MAX`].
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::money::{Currency, RoundingRule};
    /// use rust_decimal::Decimal;
    /// let x: Decimal = "0.125".parse()?;
    /// assert_eq!(RoundingRule::HalfEven.round(x, Currency::USD)?, 12);
    /// assert_eq!(RoundingRule::HalfUp.round(x, Currency::USD)?, 13);
    /// assert_eq!(RoundingRule::TowardZero.round(-x, Currency::USD)?, -12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn round(self, amount: Decimal, currency: Currency) -> Result<i64, MoneyError> {
        let strategy = match self {
            RoundingRule::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingRule::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingRule::TowardZero => RoundingStrategy::ToZero,
        };
        let rounded = amount.round_dp_with_strategy(currency.minor_units(), strategy);
        Money::new(rounded, currency).to_minor()
    }

    /// The rule's name as written in files (`half_even`, `half_up`, `toward_zero`).
    pub fn name(self) -> &'static str {
        match self {
            RoundingRule::HalfEven => "half_even",
            RoundingRule::HalfUp => "half_up",
            RoundingRule::TowardZero => "toward_zero",
        }
    }
}

impl FromStr for RoundingRule {
    type Err = String;
    fn from_str(text: &str) -> Result<RoundingRule, String> {
        match text {
            "half_even" => Ok(RoundingRule::HalfEven),
            "half_up" => Ok(RoundingRule::HalfUp),
            "toward_zero" => Ok(RoundingRule::TowardZero),
            _ => Err(format!("unknown rounding rule {text:?} (half_even, half_up, toward_zero)")),
        }
    }
}

/// Splits `total_minor` into parts proportional to `weights`, summing exactly to the total.
///
/// Uses the largest-remainder method: each part gets the floor of its exact share, and the
/// remaining minor units go one each to the parts with the largest remainders (ties to the
/// earlier part). A negative total is split as the negation of the split of its magnitude.
/// Returns an empty vector for no weights; all-zero weights are split evenly.
///
/// # Panics
///
/// If a weight is negative (a programmer error: weights come from our own computations).
///
/// # Example
///
/// ```
/// use arrears_core::money::split_by_weights;
/// use rust_decimal::Decimal;
/// let parts = split_by_weights(100, &[Decimal::ONE, Decimal::ONE, Decimal::ONE]);
/// assert_eq!(parts, vec![34, 33, 33]);
/// assert_eq!(parts.iter().sum::<i64>(), 100);
/// ```
pub fn split_by_weights(total_minor: i64, weights: &[Decimal]) -> Vec<i64> {
    assert!(weights.iter().all(|weight| !weight.is_sign_negative()), "negative split weight");
    if weights.is_empty() {
        return Vec::new();
    }
    if total_minor < 0 {
        return split_by_weights(-total_minor, weights).into_iter().map(|part| -part).collect();
    }
    let weight_sum: Decimal = weights.iter().copied().sum();
    if weight_sum.is_zero() {
        return split_by_weights(total_minor, &vec![Decimal::ONE; weights.len()]);
    }
    let total = Decimal::from(total_minor);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = total * *weight / weight_sum;
        let floor = exact.floor();
        parts.push(i64::try_from(floor).unwrap_or(0));
        remainders.push((exact - floor, index));
    }
    let assigned: i64 = parts.iter().sum();
    let mut left = total_minor - assigned;
    // Largest remainder first; ties go to the earlier part, so the result is deterministic.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders {
        if left <= 0 {
            break;
        }
        parts[index] += 1;
        left -= 1;
    }
    debug_assert_eq!(parts.iter().sum::<i64>(), total_minor);
    parts
}

/// Splits `total_minor` into `count` parts that differ by at most one minor unit and sum
/// exactly to the total; the earlier parts get the extra units.
///
/// # Example
///
/// ```
/// use arrears_core::money::split_even;
/// assert_eq!(split_even(1000, 3), vec![334, 333, 333]);
/// ```
pub fn split_even(total_minor: i64, count: usize) -> Vec<i64> {
    split_by_weights(total_minor, &vec![Decimal::ONE; count])
}

#[cfg(test)]
mod tests;
