//! The load error of a policy file, [`PolicyError`] (file, line, field), and why it failed,
//! [`PolicyErrorReason`].

use rust_decimal::Decimal;

/// A policy file failed to load: where, and why.
///
/// Displayed as `file:line: field: reason`, for example
/// `standard.toml:31: stage[2].max_dpd: 10 is below min_dpd = 30`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
#[non_exhaustive]
pub struct PolicyError {
    /// The file name given to [`Policy::from_toml`](super::Policy::from_toml).
    pub file: String,
    /// 1-based line of the offending key or value (of the table header for a missing key).
    pub line: usize,
    /// Path of the field, such as `stage[2].min_dpd` (indexes are 0-based, in file order);
    /// `(document)` when no field applies.
    pub field: String,
    /// Why.
    pub reason: PolicyErrorReason,
}

/// Why a policy failed to load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyErrorReason {
    /// The text is not valid TOML.
    #[error("invalid toml: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// The TOML does not have the policy's shape: an unknown field, a missing required field,
    /// a value of the wrong type, or an unknown name (product, signal, frequency, creditor).
    #[error("{message}")]
    Schema {
        /// The deserializer's message.
        message: String,
    },
    /// A decimal string that does not parse.
    #[error("{text:?} is not a decimal number")]
    NotADecimal {
        /// The text as written.
        text: String,
    },
    /// A TOML float where a decimal is expected.
    #[error("a float is inexact: write the decimal as a string, such as \"0.25\"")]
    Float,
    /// A number outside its allowed range.
    #[error("{value} is out of range {min}..={max}")]
    OutOfRange {
        /// The value as given.
        value: Decimal,
        /// The smallest allowed value.
        min: Decimal,
        /// The largest allowed value.
        max: Decimal,
    },
    /// An upper bound below its lower bound.
    #[error("{value} is below {min_field} = {min}")]
    BelowMin {
        /// The upper bound as given.
        value: Decimal,
        /// The key of the lower bound.
        min_field: &'static str,
        /// The lower bound.
        min: Decimal,
    },
    /// An empty list where at least one value is needed.
    #[error("must not be empty (omit the key to use the default)")]
    Empty,
    /// A list longer than its `*_MAX`.
    #[error("{count} entries, at most {count_max}")]
    TooMany {
        /// Entries given.
        count: usize,
        /// The limit.
        count_max: usize,
    },
    /// A name or value given twice where they must be unique.
    #[error("{name:?} appears twice (first at line {first_line})")]
    Duplicate {
        /// The repeated name.
        name: String,
        /// Line of the first occurrence.
        first_line: usize,
    },
    /// A reference to something that does not exist.
    #[error("unknown {what} {name:?} (known: {known})")]
    Unknown {
        /// What kind of name (`channel`, `stage`).
        what: &'static str,
        /// The name as written.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// A name that breaks its format.
    #[error("{name:?} is not a valid {what}: {rule}")]
    InvalidName {
        /// What kind of name.
        what: &'static str,
        /// The name as written.
        name: String,
        /// The format rule.
        rule: &'static str,
    },
    /// A list entry already covered by another entry of the same list.
    #[error("{name:?} is already covered by {covered_by:?}")]
    Redundant {
        /// The redundant entry.
        name: String,
        /// The entry that covers it.
        covered_by: String,
    },
    /// An amount without its currency, in a policy that states no `currency`.
    #[error(
        "amount {text} has no currency: write {{ amount = \"{text}\", currency = \"USD\" }}, \
         a figure per currency {{ USD = \"{text}\" }}, or state currency = \"USD\" at the top of \
         the policy"
    )]
    AmountWithoutCurrency {
        /// The amount as written.
        text: String,
    },
    /// A currency code the currency table does not know.
    #[error("unknown currency {code:?}")]
    UnknownCurrency {
        /// The code as written.
        code: String,
    },
    /// A rule between keys is broken.
    #[error("{rule}")]
    Constraint {
        /// The rule, as a message.
        rule: &'static str,
    },
    /// Two stages are equally specific and could match the same account.
    #[error(
        "stages {first:?} (line {first_line}) and {second:?} are equally specific and can match \
         the same account: add a condition or make their ranges disjoint"
    )]
    Ambiguous {
        /// The stage that comes first in the file.
        first: String,
        /// Its line.
        first_line: usize,
        /// The stage that comes second (the error's line is this one's).
        second: String,
    },
    /// A template or disclosure text that does not parse (an unknown variable, a lone brace).
    #[error("{error}")]
    Text {
        /// What is wrong with the text.
        error: crate::message::TextError,
    },
    /// A template or disclosure without a variant for a language the policy serves.
    #[error(
        "no variant for language {language:?} or its base language (the policy serves: \
         {languages})"
    )]
    MissingVariant {
        /// The language the policy serves.
        language: String,
        /// The policy's languages, comma separated.
        languages: String,
    },
    /// A variant that lacks a variable its template needs: one its tone needs, or one the
    /// default language's variant uses (a translation must say as much as the original).
    #[error("lacks {{{variable}}}, which {needed_by} needs")]
    MissingVariable {
        /// The variable's name.
        variable: &'static str,
        /// What needs it (`the tone final_notice`, `the default language's variant`).
        needed_by: String,
    },
    /// A contact step naming a template written for another channel.
    #[error("template {template:?} is written for {template_channel}, not {step_channel}")]
    TemplateChannel {
        /// The template.
        template: String,
        /// Its channel.
        template_channel: &'static str,
        /// The step's channel.
        step_channel: &'static str,
    },
    /// An arm's house tone with no template of that tone for a channel a stage uses.
    #[error(
        "no {tone} template for {channel}, which stage {stage:?} sends: an arm's tone needs a \
         template of that tone for every channel the stages use"
    )]
    NoTemplateOfTone {
        /// The arm's tone.
        tone: &'static str,
        /// The channel without a template of that tone.
        channel: &'static str,
        /// The first stage with a contact step on that channel.
        stage: String,
    },
}

// Results stay small (clippy's `result_large_err` limit): box a payload before growing past it.
const _: () = assert!(size_of::<PolicyError>() <= 128);
