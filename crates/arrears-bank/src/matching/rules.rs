//! The matching rules file (TOML): loading with located errors (file, line, field).

use std::ops::Range;

use arrears_core::money::Currency;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::apportion::ApportionMethod;

/// The most rules a file may hold.
pub const RULES_MAX: usize = 64;
/// The longest rule name, in characters.
pub const RULE_NAME_LEN_MAX: usize = 64;
/// The most open obligations of one debtor an `amount` rule combines (2^12 subsets at most).
pub const AMOUNT_OBLIGATIONS_MAX: usize = 12;
/// The largest `amount` tolerance, in minor units.
pub const AMOUNT_TOLERANCE_MINOR_MAX: i64 = 1_000_000;

/// The default of `obligations_max` of an `amount` rule.
const AMOUNT_OBLIGATIONS_DEFAULT: usize = AMOUNT_OBLIGATIONS_MAX;
const _: () = assert!(AMOUNT_OBLIGATIONS_DEFAULT <= AMOUNT_OBLIGATIONS_MAX);

/// An ordered list of matching rules and the apportioning method; load with
/// [`MatchRules::from_toml`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRules {
    rules: Vec<MatchRule>,
    apportion: ApportionMethod,
}

/// One matching rule: its name (reported in explanations), its kind and the currencies it
/// applies to (all when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRule {
    /// The rule's name, unique in its file.
    pub name: String,
    /// What it looks at.
    pub kind: RuleKind,
    /// The currencies of the lines it applies to; empty means every currency.
    pub currencies: Vec<Currency>,
}

/// What a rule looks at; see docs/CASH.md "Matching rules".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleKind {
    /// A valid ISO 11649 RF reference in the creditor reference, the remittance text, the
    /// end-to-end id or the MT940 owner's reference, issued for a debtor, account or
    /// obligation.
    CreditorReference,
    /// An obligation's or account's external reference as a token of the remittance text, the
    /// end-to-end id or the MT940 owner's reference.
    ReferenceInRemittance,
    /// The payer's account (check digits verified) registered on a debtor.
    PayerAccount,
    /// The amount equals an open obligation, or a combination of open obligations, of a
    /// candidate debtor within a tolerance.
    Amount {
        /// The largest difference accepted, in minor units.
        tolerance_minor: i64,
        /// The most open obligations (oldest due first) combined per debtor.
        obligations_max: usize,
    },
    /// The payer's name resembles one debtor's name: proposes only, never posts.
    FuzzyName {
        /// The least similarity, in percent (1 to 100).
        threshold_percent: u32,
    },
}

impl RuleKind {
    /// The kind's name in the rules file.
    pub fn name(self) -> &'static str {
        match self {
            RuleKind::CreditorReference => "creditor_reference",
            RuleKind::ReferenceInRemittance => "reference_in_remittance",
            RuleKind::PayerAccount => "payer_account",
            RuleKind::Amount { .. } => "amount",
            RuleKind::FuzzyName { .. } => "fuzzy_name",
        }
    }

    /// Returns true if and only if a match by this kind may post (every kind but
    /// `fuzzy_name`).
    pub fn may_post(self) -> bool {
        !matches!(self, RuleKind::FuzzyName { .. })
    }
}

impl MatchRule {
    /// Returns true if and only if the rule applies to lines in `currency`.
    pub fn applies_to(&self, currency: Currency) -> bool {
        self.currencies.is_empty() || self.currencies.contains(&currency)
    }
}

/// A rules file that cannot be used, located by file, line and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct RulesError {
    /// The file name given to [`MatchRules::from_toml`].
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// The field path, such as `rule[2].tolerance_minor` (0-based index in file order).
    pub field: String,
    /// What is wrong.
    pub reason: RulesErrorReason,
}

/// Why a rules file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RulesErrorReason {
    /// Not TOML.
    #[error("{message}")]
    Syntax {
        /// The TOML parser's message.
        message: String,
    },
    /// An unknown or missing key, or a value of the wrong type.
    #[error("{message}")]
    Schema {
        /// The deserializer's message.
        message: String,
    },
    /// The kind names no rule kind.
    #[error("unknown kind {found:?} (creditor_reference, reference_in_remittance, payer_account, amount, fuzzy_name)")]
    UnknownKind {
        /// The kind as given.
        found: String,
    },
    /// The apportioning method names none.
    #[error("unknown apportioning {found:?} (oldest_due, pro_rata, as_remitted)")]
    UnknownApportion {
        /// The method as given.
        found: String,
    },
    /// The name is empty or longer than [`RULE_NAME_LEN_MAX`].
    #[error("rule name must have 1 to {RULE_NAME_LEN_MAX} characters")]
    NameLength,
    /// The name is only blanks, or holds a control character: explanations and reports
    /// print it.
    #[error("rule name must not be blank or hold control characters")]
    NameBlank,
    /// `currencies` is given as an empty list: leave it out for every currency.
    #[error("must name at least one currency (leave currencies out for every currency)")]
    NoCurrency,
    /// Another rule has the same name.
    #[error("rule name {name:?} is used twice")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A currency outside the Arrears currency table, or named twice.
    #[error("currency {code:?} is unknown or repeated")]
    BadCurrency {
        /// The code as given.
        code: String,
    },
    /// A number out of its range.
    #[error("{value} is out of range {min}..={max}")]
    OutOfRange {
        /// The value given.
        value: i64,
        /// The least allowed.
        min: i64,
        /// The most allowed.
        max: i64,
    },
    /// A parameter given to a kind that has no such parameter.
    #[error("not a parameter of kind {kind}")]
    ParameterNotForKind {
        /// The rule's kind.
        kind: &'static str,
    },
    /// A parameter the kind requires is missing.
    #[error("kind {kind} requires {parameter}")]
    MissingParameter {
        /// The rule's kind.
        kind: &'static str,
        /// The parameter.
        parameter: &'static str,
    },
    /// More than [`RULES_MAX`] rules.
    #[error("{count} rules; at most {RULES_MAX}")]
    TooManyRules {
        /// How many were given.
        count: usize,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    apportion: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    kind: Spanned<String>,
    currencies: Option<Spanned<Vec<Spanned<String>>>>,
    tolerance_minor: Option<Spanned<i64>>,
    obligations_max: Option<Spanned<i64>>,
    threshold_percent: Option<Spanned<i64>>,
}

/// A text being loaded and the file name its errors report.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    /// The 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|byte| **byte == b'\n').count() + 1
    }

    #[cold]
    fn error(&self, span: Range<usize>, field: String, reason: RulesErrorReason) -> RulesError {
        RulesError { file: self.file.to_owned(), line: self.line(span.start), field, reason }
    }

    /// The field of a TOML error at `offset`: `rule[i]` for the i-th `[[rule]]` table that
    /// holds it, else the document.
    fn field_at(&self, offset: usize) -> String {
        let before = self.text.get(..offset).unwrap_or(self.text);
        let tables =
            before.lines().filter(|line| line.trim_start().starts_with("[[rule]]")).count();
        match tables.checked_sub(1) {
            Some(index) => format!("rule[{index}]"),
            None => "(document)".to_owned(),
        }
    }
}

impl MatchRules {
    /// Parses and validates a rules file. `file` names the text in error messages only.
    ///
    /// # Errors
    ///
    /// The first [`RulesError`] found: TOML syntax, shape (unknown or missing keys, wrong
    /// types), then each rule in file order (name, kind, currencies, parameters).
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_bank::matching::MatchRules;
    ///
    /// let text = "[[rule]]\nname = \"rf\"\nkind = \"creditor_reference\"\n\n\
    ///             [[rule]]\nname = \"sum\"\nkind = \"amount\"\ntolerance_minor = -1\n";
    /// let error = MatchRules::from_toml(text, "rules.toml").unwrap_err();
    /// assert_eq!(error.to_string(), "rules.toml:8: rule[1].tolerance_minor: -1 is out of range 0..=1000000");
    /// let rules = MatchRules::from_toml(&text.replace("-1", "100"), "rules.toml")?;
    /// assert_eq!(rules.rules()[1].kind.name(), "amount");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml(text: &str, file: &str) -> Result<MatchRules, RulesError> {
        let source = Source { file, text };
        let raw: RawRules = toml::from_str(text).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            let field = source.field_at(span.start);
            let message = error.message().to_owned();
            let is_syntax = toml::from_str::<toml::Table>(text).is_err();
            let reason = if is_syntax {
                RulesErrorReason::Syntax { message }
            } else {
                RulesErrorReason::Schema { message }
            };
            source.error(span, field, reason)
        })?;
        let apportion = match &raw.apportion {
            None => ApportionMethod::OldestDue,
            Some(method) => ApportionMethod::from_name(method.get_ref()).ok_or_else(|| {
                let found = method.get_ref().clone();
                source.error(
                    method.span(),
                    "apportion".into(),
                    RulesErrorReason::UnknownApportion { found },
                )
            })?,
        };
        if raw.rule.len() > RULES_MAX {
            let span = raw.rule[RULES_MAX].name.span();
            let reason = RulesErrorReason::TooManyRules { count: raw.rule.len() };
            return Err(source.error(span, format!("rule[{RULES_MAX}]"), reason));
        }
        let mut rules: Vec<MatchRule> = Vec::with_capacity(raw.rule.len());
        for (index, raw_rule) in raw.rule.iter().enumerate() {
            let rule = load_rule(&source, index, raw_rule)?;
            if rules.iter().any(|earlier| earlier.name == rule.name) {
                let reason = RulesErrorReason::DuplicateName { name: rule.name };
                return Err(source.error(
                    raw_rule.name.span(),
                    format!("rule[{index}].name"),
                    reason,
                ));
            }
            rules.push(rule);
        }
        Ok(MatchRules { rules, apportion })
    }

    /// Rules built in code (no file): the same checks as the file, but for locations.
    ///
    /// # Errors
    ///
    /// [`RulesErrorReason`] of the first rule that breaks one.
    pub fn new(
        rules: Vec<MatchRule>,
        apportion: ApportionMethod,
    ) -> Result<MatchRules, RulesErrorReason> {
        if rules.len() > RULES_MAX {
            return Err(RulesErrorReason::TooManyRules { count: rules.len() });
        }
        for (index, rule) in rules.iter().enumerate() {
            check_name(&rule.name)?;
            if rules[..index].iter().any(|earlier| earlier.name == rule.name) {
                return Err(RulesErrorReason::DuplicateName { name: rule.name.clone() });
            }
            check_kind(rule.kind)?;
        }
        Ok(MatchRules { rules, apportion })
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[MatchRule] {
        &self.rules
    }

    /// How a matched line's amount is apportioned (`apportion`, default `oldest_due`).
    pub fn apportion(&self) -> ApportionMethod {
        self.apportion
    }
}

fn check_name(name: &str) -> Result<(), RulesErrorReason> {
    let len = name.chars().count();
    if len == 0 || len > RULE_NAME_LEN_MAX {
        return Err(RulesErrorReason::NameLength);
    }
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(RulesErrorReason::NameBlank);
    }
    Ok(())
}

/// The parameter ranges, shared by the file loader and [`MatchRules::new`].
fn check_kind(kind: RuleKind) -> Result<(), RulesErrorReason> {
    match kind {
        RuleKind::Amount { tolerance_minor, obligations_max } => {
            in_range(tolerance_minor, 0, AMOUNT_TOLERANCE_MINOR_MAX)?;
            in_range(obligations_max as i64, 1, AMOUNT_OBLIGATIONS_MAX as i64)
        }
        RuleKind::FuzzyName { threshold_percent } => in_range(i64::from(threshold_percent), 1, 100),
        _ => Ok(()),
    }
}

fn in_range(value: i64, min: i64, max: i64) -> Result<(), RulesErrorReason> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(RulesErrorReason::OutOfRange { value, min, max })
    }
}

fn load_rule(source: &Source<'_>, index: usize, raw: &RawRule) -> Result<MatchRule, RulesError> {
    let at = |field: &str, span: Range<usize>, reason| {
        source.error(span, format!("rule[{index}].{field}"), reason)
    };
    check_name(raw.name.get_ref()).map_err(|reason| at("name", raw.name.span(), reason))?;
    let kind = load_kind(raw).map_err(|(field, span, reason)| at(field, span, reason))?;
    if let Some(given) = raw.currencies.as_ref().filter(|given| given.get_ref().is_empty()) {
        return Err(at("currencies", given.span(), RulesErrorReason::NoCurrency));
    }
    let mut currencies = Vec::new();
    for code in raw.currencies.iter().flat_map(|given| given.get_ref()) {
        let bad = || RulesErrorReason::BadCurrency { code: code.get_ref().clone() };
        let currency = Currency::from_code(code.get_ref())
            .map_err(|_| at("currencies", code.span(), bad()))?;
        if currencies.contains(&currency) {
            return Err(at("currencies", code.span(), bad()));
        }
        currencies.push(currency);
    }
    Ok(MatchRule { name: raw.name.get_ref().clone(), kind, currencies })
}

type KindError = (&'static str, Range<usize>, RulesErrorReason);

/// The kind and its parameters: each parameter only where its kind has it, each in range.
fn load_kind(raw: &RawRule) -> Result<RuleKind, KindError> {
    let kind_name = raw.kind.get_ref().as_str();
    let params = [
        ("tolerance_minor", &raw.tolerance_minor, "amount"),
        ("obligations_max", &raw.obligations_max, "amount"),
        ("threshold_percent", &raw.threshold_percent, "fuzzy_name"),
    ];
    let kind_static = match kind_name {
        "creditor_reference" => "creditor_reference",
        "reference_in_remittance" => "reference_in_remittance",
        "payer_account" => "payer_account",
        "amount" => "amount",
        "fuzzy_name" => "fuzzy_name",
        _ => {
            let reason = RulesErrorReason::UnknownKind { found: kind_name.to_owned() };
            return Err(("kind", raw.kind.span(), reason));
        }
    };
    for (field, value, owner) in params {
        if let Some(value) = value {
            if owner != kind_static {
                let reason = RulesErrorReason::ParameterNotForKind { kind: kind_static };
                return Err((field, value.span(), reason));
            }
        }
    }
    let ranged = |field: &'static str, value: &Spanned<i64>, min: i64, max: i64| {
        in_range(*value.get_ref(), min, max)
            .map(|()| *value.get_ref())
            .map_err(|reason| (field, value.span(), reason))
    };
    Ok(match kind_static {
        "creditor_reference" => RuleKind::CreditorReference,
        "reference_in_remittance" => RuleKind::ReferenceInRemittance,
        "payer_account" => RuleKind::PayerAccount,
        "amount" => {
            let tolerance_minor = match &raw.tolerance_minor {
                Some(value) => ranged("tolerance_minor", value, 0, AMOUNT_TOLERANCE_MINOR_MAX)?,
                None => 0,
            };
            let obligations_max = match &raw.obligations_max {
                Some(value) => {
                    ranged("obligations_max", value, 1, AMOUNT_OBLIGATIONS_MAX as i64)? as usize
                }
                None => AMOUNT_OBLIGATIONS_DEFAULT,
            };
            RuleKind::Amount { tolerance_minor, obligations_max }
        }
        _ => {
            let Some(value) = &raw.threshold_percent else {
                let reason = RulesErrorReason::MissingParameter {
                    kind: "fuzzy_name",
                    parameter: "threshold_percent",
                };
                return Err(("kind", raw.kind.span(), reason));
            };
            RuleKind::FuzzyName {
                threshold_percent: ranged("threshold_percent", value, 1, 100)? as u32,
            }
        }
    })
}
