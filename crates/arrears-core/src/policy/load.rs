//! Loading a policy: [`Policy::from_toml`] deserializes the text into the raw shape of
//! `raw.rs` through the shared located-TOML loader (`crate::located_toml`), then validates it
//! section by section into the model, so that every error names the file, the line and the
//! field.

use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::Decimal;
use toml::Spanned;

use super::raw::{
    RawActions, RawAmount, RawArm, RawAssignment, RawChargeOff, RawContact, RawDates, RawDecimal,
    RawPlan, RawPolicy, RawPromise, RawReview, RawSettlement, RawStage, SpannedList,
};
use super::{
    Amount, Arm, Assignment, CadenceDays, ChargeOffRules, ContactStep, CustomerConditions,
    DateRules, Frequency, JurisdictionPattern, Placement, PlanRules, Policy, PolicyError,
    PolicyErrorReason, Priority, PromiseRules, ReviewRules, SettlementRules, Signal, Stage,
    StageActions, StageConditions, ARMS_MAX, ARM_WEIGHT_MAX, ASSIGNMENTS_MAX,
    CONTACT_STEPS_PER_STAGE_MAX, DELAY_DAYS_MAX, DPD_MAX, INSTALLMENTS_MAX, LIST_LEN_MAX,
    MISSED_INSTALLMENTS_MAX, NAME_LEN_MAX, OPEN_PROMISES_MAX, PRE_DUE_DAYS_MAX,
    REVIEW_CADENCE_DAYS_MAX, STAGES_MAX,
};
use crate::located_toml::{LocatedError, TomlSource};
use crate::model::{ContactChannel, ProductKind, TEXT_LEN_MAX};
use crate::money::{Currency, AMOUNT_MINOR_MAX};

/// The longest tenure a stage condition may name, in months (a century).
const TENURE_MONTHS_MAX: u32 = 1_200;

mod credit;
mod detectors;

/// The stage name reserved for the settlement share of charged-off accounts.
const CHARGED_OFF: &str = "charged_off";

/// The built-in policy, the same file as `examples/policies/standard.toml`.
const STANDARD_TOML: &str = include_str!("../../../../examples/policies/standard.toml");

impl Policy {
    /// Parses and validates a policy. `file` names the text in error messages only; nothing
    /// is read from disk.
    ///
    /// # Errors
    ///
    /// The first [`PolicyError`] found, in this order: TOML syntax, shape (unknown or missing
    /// fields, wrong types, unknown names), then the rules in a fixed order whatever the layout
    /// of the file (`name`, `version`, each stage in file order with its actions, then
    /// `charge_off`, `promise`, `plan`, `settlement`, `review` and the arms), then stage
    /// ambiguity.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::policy::Policy;
    /// let text = "name = \"tiny\"\nversion = 1\ncreditor = \"first_party\"\n\
    ///             [[stage]]\nname = \"late\"\nmin_dpd = -90\n";
    /// let error = Policy::from_toml(text, "tiny.toml").unwrap_err();
    /// assert_eq!(error.to_string(), "tiny.toml:6: stage[0].min_dpd: -90 is out of range -60..=3650");
    /// let policy = Policy::from_toml(&text.replace("-90", "1"), "tiny.toml")?;
    /// assert_eq!(policy.arms()[0].name, "champion");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml(text: &str, file: &str) -> Result<Policy, PolicyError> {
        let currency = std::cell::Cell::new(None);
        Loader { source: TomlSource::new(file, text), currency, stored_before_currencies: false }
            .load()
    }

    /// A policy as a store holds it: [`Policy::from_toml`], except that a policy set before
    /// amounts stated their currency keeps the meaning it had when it was set. In such a
    /// policy (no top-level `currency`) a bare amount (`max_balance = "50.00"`) applies in
    /// every currency, as it did then, instead of being a load error. Setting a policy
    /// (`Command::SetPolicy`) always uses the strict [`Policy::from_toml`], so only policies
    /// stored by earlier versions are read this way.
    ///
    /// # Errors
    ///
    /// As [`Policy::from_toml`], but for bare amounts.
    pub fn from_stored_toml(text: &str, file: &str) -> Result<Policy, PolicyError> {
        let currency = std::cell::Cell::new(None);
        Loader { source: TomlSource::new(file, text), currency, stored_before_currencies: true }
            .load()
    }

    /// The built-in policy: `examples/policies/standard.toml`, compiled in.
    ///
    /// # Panics
    ///
    /// Never in practice: a unit test loads the same text, so an invalid built-in file fails
    /// the test suite before it ships.
    pub fn default_policy() -> Policy {
        match Policy::from_toml(STANDARD_TOML, "standard.toml") {
            Ok(policy) => policy,
            Err(error) => panic!("the built-in policy is invalid: {error}"),
        }
    }
}

const NAME_RULE: &str = "use 1 to 64 characters among a-z, A-Z, 0-9, '_', '-' and '.'";
const JURISDICTION_RULE: &str =
    "expected a country code such as \"US\", or a country and a region such as \"US-MA\"";
const CHANNEL_NAMES: &str = "sms, email, phone, letter, messaging";

pub(super) struct Loader<'a> {
    source: TomlSource<'a>,
    /// The policy's `currency`, once read: the currency of amounts written without one.
    currency: std::cell::Cell<Option<Currency>>,
    /// A stored policy: a bare amount in a policy without `currency` applies in every
    /// currency ([`Policy::from_stored_toml`]).
    stored_before_currencies: bool,
}

/// A stage being loaded, with what the ambiguity check reports.
struct LoadedStage {
    stage: Stage,
    index: usize,
    /// The span of its `[[stage]]` table, whose line the ambiguity check reports.
    header_span: Range<usize>,
}

/// The stage whose actions are being loaded, for the actions that presume the account is late.
struct PastDueStage<'a> {
    /// The actions' field path, `stage[i].actions`.
    path: &'a str,
    min_dpd: i64,
}

impl PastDueStage<'_> {
    /// Actions that presume the account is late make no sense in a stage that can match
    /// before the due date (`min_dpd < 1`).
    fn require(
        &self,
        loader: &Loader<'_>,
        span: Range<usize>,
        key: &str,
        rule: &'static str,
    ) -> Result<(), PolicyError> {
        if self.min_dpd < 1 {
            Err(loader.constraint(span, &format!("{}.{key}", self.path), rule))
        } else {
            Ok(())
        }
    }
}

impl LocatedError for PolicyError {
    type Reason = PolicyErrorReason;

    fn located(file: String, line: usize, field: String, reason: PolicyErrorReason) -> PolicyError {
        PolicyError { file, line, field, reason }
    }

    fn syntax(message: String) -> PolicyErrorReason {
        PolicyErrorReason::Syntax { message }
    }

    fn schema(message: String) -> PolicyErrorReason {
        PolicyErrorReason::Schema { message }
    }
}

impl Loader<'_> {
    fn load(&self) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = self.source.deserialize()?;
        if let Some(code) = &raw.currency {
            self.currency.set(Some(self.currency_code(code.get_ref(), code.span(), "currency")?));
        }
        self.policy(&raw)
    }

    fn currency_code(
        &self,
        code: &str,
        span: Range<usize>,
        field: &str,
    ) -> Result<Currency, PolicyError> {
        Currency::from_code(code.trim()).map_err(|_| {
            self.error(span, field, PolicyErrorReason::UnknownCurrency { code: code.to_owned() })
        })
    }

    /// An amount with its currency ([`Amount`]): `{ amount = "50.00", currency = "USD" }`, a
    /// figure per currency `{ USD = "50.00", EUR = "45.00" }`, or a bare `"50.00"` in the
    /// policy's `currency` (an error in a policy that states none).
    fn money(&self, value: &Spanned<RawAmount>, field: &str) -> Result<Amount, PolicyError> {
        let span = value.span();
        let mut by_currency = BTreeMap::new();
        match value.get_ref() {
            RawAmount::Bare(raw) => {
                let figure = self.amount_at(raw, span.clone(), field)?;
                let Some(currency) = self.currency.get() else {
                    if self.stored_before_currencies {
                        return Ok(Amount::in_every_currency(figure));
                    }
                    let text = match raw {
                        RawDecimal::Text(text) => text.clone(),
                        RawDecimal::Integer(number) => number.to_string(),
                        RawDecimal::Float => String::new(),
                    };
                    let reason = PolicyErrorReason::AmountWithoutCurrency { text };
                    return Err(self.error(span, field, reason));
                };
                by_currency.insert(currency, figure);
            }
            RawAmount::Table(entries) => {
                let keys: Vec<&str> = entries.iter().map(|(key, _)| key.as_str()).collect();
                let tagged = keys.contains(&"amount") || keys.contains(&"currency");
                if tagged {
                    let amount = entries.iter().find(|(key, _)| key == "amount");
                    let currency = entries.iter().find(|(key, _)| key == "currency");
                    let (Some((_, amount)), Some((_, RawDecimal::Text(code))), 2) =
                        (amount, currency, entries.len())
                    else {
                        let rule = "an amount is { amount = \"50.00\", currency = \"USD\" } or \
                                    a figure per currency { USD = \"50.00\" }";
                        return Err(self.constraint(span, field, rule));
                    };
                    let currency = self.currency_code(code, span.clone(), field)?;
                    by_currency.insert(currency, self.amount_at(amount, span, field)?);
                } else {
                    if entries.is_empty() {
                        let rule = "an amount names at least one currency";
                        return Err(self.constraint(span, field, rule));
                    }
                    for (code, figure) in entries {
                        let entry_field = format!("{field}.{code}");
                        let currency = self.currency_code(code, span.clone(), &entry_field)?;
                        let figure = self.amount_at(figure, span.clone(), &entry_field)?;
                        by_currency.insert(currency, figure);
                    }
                }
            }
        }
        Ok(Amount::new(by_currency))
    }

    pub(super) fn line(&self, offset: usize) -> usize {
        self.source.line(offset)
    }

    #[cold]
    pub(super) fn error(
        &self,
        span: Range<usize>,
        field: &str,
        reason: PolicyErrorReason,
    ) -> PolicyError {
        self.source.error(span, field, reason)
    }

    // -- Scalars ------------------------------------------------------------------------------

    fn integer(
        &self,
        value: &Spanned<i64>,
        field: &str,
        min: i64,
        max: i64,
    ) -> Result<i64, PolicyError> {
        let number = *value.get_ref();
        if (min..=max).contains(&number) {
            Ok(number)
        } else {
            let reason = PolicyErrorReason::OutOfRange {
                value: number.into(),
                min: min.into(),
                max: max.into(),
            };
            Err(self.error(value.span(), field, reason))
        }
    }

    pub(super) fn count(
        &self,
        value: Option<&Spanned<i64>>,
        field: &str,
        range: (u32, u32),
        default: u32,
    ) -> Result<u32, PolicyError> {
        let Some(value) = value else { return Ok(default) };
        let number = self.integer(value, field, range.0.into(), range.1.into())?;
        Ok(u32::try_from(number).unwrap_or(range.1))
    }

    fn decimal(
        &self,
        value: &Spanned<RawDecimal>,
        field: &str,
        min: Decimal,
        max: Decimal,
    ) -> Result<Decimal, PolicyError> {
        self.decimal_at(value.get_ref(), value.span(), field, min, max)
    }

    fn decimal_at(
        &self,
        value: &RawDecimal,
        span: Range<usize>,
        field: &str,
        min: Decimal,
        max: Decimal,
    ) -> Result<Decimal, PolicyError> {
        let number = match value {
            RawDecimal::Text(text) => match crate::money::plain_decimal(text) {
                Some(number) => number,
                None => {
                    let reason = PolicyErrorReason::NotADecimal { text: text.clone() };
                    return Err(self.error(span, field, reason));
                }
            },
            RawDecimal::Integer(number) => Decimal::from(*number),
            RawDecimal::Float => {
                return Err(self.error(span, field, PolicyErrorReason::Float));
            }
        };
        if min <= number && number <= max {
            Ok(number)
        } else {
            let reason = PolicyErrorReason::OutOfRange { value: number, min, max };
            Err(self.error(span, field, reason))
        }
    }

    fn share(
        &self,
        value: Option<&Spanned<RawDecimal>>,
        field: &str,
        default: Decimal,
    ) -> Result<Decimal, PolicyError> {
        match value {
            Some(value) => self.decimal(value, field, Decimal::ZERO, Decimal::ONE),
            None => Ok(default),
        }
    }

    fn amount_at(
        &self,
        value: &RawDecimal,
        span: Range<usize>,
        field: &str,
    ) -> Result<Decimal, PolicyError> {
        self.decimal_at(value, span, field, Decimal::ZERO, Decimal::from(AMOUNT_MINOR_MAX))
    }

    pub(super) fn name(
        &self,
        value: &Spanned<String>,
        field: &str,
        what: &'static str,
    ) -> Result<String, PolicyError> {
        let name = value.get_ref();
        let valid = (1..=NAME_LEN_MAX).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if valid {
            Ok(name.clone())
        } else {
            let reason =
                PolicyErrorReason::InvalidName { what, name: name.clone(), rule: NAME_RULE };
            Err(self.error(value.span(), field, reason))
        }
    }

    pub(super) fn constraint(
        &self,
        span: Range<usize>,
        field: &str,
        rule: &'static str,
    ) -> PolicyError {
        self.error(span, field, PolicyErrorReason::Constraint { rule })
    }

    /// Checks a list's length and converts each entry; duplicates are errors.
    pub(super) fn list<T, U: PartialEq>(
        &self,
        list: &SpannedList<T>,
        field: &str,
        mut convert: impl FnMut(&Spanned<T>, &str) -> Result<(U, String), PolicyError>,
    ) -> Result<Vec<U>, PolicyError> {
        let entries = list.get_ref();
        if entries.is_empty() {
            return Err(self.error(list.span(), field, PolicyErrorReason::Empty));
        }
        if LIST_LEN_MAX < entries.len() {
            let reason =
                PolicyErrorReason::TooMany { count: entries.len(), count_max: LIST_LEN_MAX };
            return Err(self.error(list.span(), field, reason));
        }
        let mut converted: Vec<(U, usize)> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let entry_field = format!("{field}[{index}]");
            let (value, name) = convert(entry, &entry_field)?;
            if let Some((_, first_start)) = converted.iter().find(|(known, _)| *known == value) {
                let reason =
                    PolicyErrorReason::Duplicate { name, first_line: self.line(*first_start) };
                return Err(self.error(entry.span(), &entry_field, reason));
            }
            converted.push((value, entry.span().start));
        }
        Ok(converted.into_iter().map(|(value, _)| value).collect())
    }

    pub(super) fn named_list<T: Copy + PartialEq>(
        &self,
        list: &SpannedList<T>,
        field: &str,
        name_of: fn(T) -> &'static str,
    ) -> Result<Vec<T>, PolicyError> {
        self.list(list, field, |entry, _| {
            Ok((*entry.get_ref(), name_of(*entry.get_ref()).to_owned()))
        })
    }

    // -- Sections -----------------------------------------------------------------------------

    fn policy(&self, raw: &RawPolicy) -> Result<Policy, PolicyError> {
        let name = self.name(&raw.name, "name", "policy name")?;
        let version_max = i64::from(u32::MAX);
        let version = self.integer(&raw.version, "version", 1, version_max)?;
        let version = u32::try_from(version).unwrap_or(u32::MAX);
        let creditor = *raw.creditor.get_ref();
        let mut stages = self.stages(raw.stage.as_ref())?;
        let charge_off = self.charge_off(raw.charge_off.as_ref())?;
        let promise = self.promise(raw.promise.as_ref())?;
        let plan = self.plan(raw.plan.as_ref())?;
        let settlement = self.settlement(raw.settlement.as_ref(), &stages)?;
        let review = self.review(raw.review.as_ref())?;
        let dates = self.dates(raw.dates.as_ref())?;
        let arms = self.arms(raw.arm.as_ref())?;
        let assignments = self.assignments(raw.assignment.as_ref(), &stages)?;
        let messages = self.messages(raw)?;
        self.check_arm_messages(raw, &arms, &messages)?;
        let credit = self.credit(raw.credit.as_ref())?;
        let detectors = self.detectors(raw.detectors.as_ref())?;
        self.check_ambiguity(&stages)?;
        stages.sort_by(|left, right| {
            let (left, right) = (&left.stage, &right.stage);
            left.conditions
                .min_dpd
                .cmp(&right.conditions.min_dpd)
                .then_with(|| right.specificity().cmp(&left.specificity()))
                .then_with(|| left.name.cmp(&right.name))
        });
        let stages: Vec<Stage> = stages.into_iter().map(|loaded| loaded.stage).collect();
        let reads_lifetime_value =
            stages.iter().any(|stage| stage.conditions.customer.min_lifetime_value.is_some());
        Ok(Policy {
            name,
            version,
            creditor,
            stages,
            charge_off,
            promise,
            plan,
            settlement,
            review,
            dates,
            arms,
            assignments,
            messages,
            credit,
            detectors,
            reads_lifetime_value,
        })
    }

    fn stages(&self, raw: Option<&SpannedList<RawStage>>) -> Result<Vec<LoadedStage>, PolicyError> {
        let Some(raw) = raw.filter(|raw| !raw.get_ref().is_empty()) else {
            let span = raw.map_or(0..0, Spanned::span);
            return Err(self.constraint(span, "stage", "a policy needs at least one [[stage]]"));
        };
        if STAGES_MAX < raw.get_ref().len() {
            let reason =
                PolicyErrorReason::TooMany { count: raw.get_ref().len(), count_max: STAGES_MAX };
            return Err(self.error(raw.span(), "stage", reason));
        }
        let mut loaded: Vec<LoadedStage> = Vec::with_capacity(raw.get_ref().len());
        let mut name_lines: BTreeMap<String, usize> = BTreeMap::new();
        for (index, raw_stage) in raw.get_ref().iter().enumerate() {
            let stage = self.stage(index, raw_stage.get_ref())?;
            let name_span = raw_stage.get_ref().name.span();
            if let Some(first_line) = name_lines.get(&stage.name) {
                let reason =
                    PolicyErrorReason::Duplicate { name: stage.name, first_line: *first_line };
                return Err(self.error(name_span, &format!("stage[{index}].name"), reason));
            }
            name_lines.insert(stage.name.clone(), self.line(name_span.start));
            loaded.push(LoadedStage { stage, index, header_span: raw_stage.span() });
        }
        Ok(loaded)
    }

    fn stage(&self, index: usize, raw: &RawStage) -> Result<Stage, PolicyError> {
        let path = format!("stage[{index}]");
        let name = self.stage_name(&path, raw)?;
        let conditions = self.conditions(&path, raw)?;
        let actions = match &raw.actions {
            Some(actions) => self.actions(&path, conditions.min_dpd, actions)?,
            None => StageActions::default(),
        };
        Ok(Stage { name, conditions, actions })
    }

    fn stage_name(&self, path: &str, raw: &RawStage) -> Result<String, PolicyError> {
        let field = format!("{path}.name");
        let name = self.name(&raw.name, &field, "stage name")?;
        if name == CHARGED_OFF {
            let rule = "\"charged_off\" is reserved (settlement.min_share uses it)";
            return Err(self.constraint(raw.name.span(), &field, rule));
        }
        Ok(name)
    }

    /// A stage's entry conditions, checked in the order of the keys in `docs/POLICY.md`.
    fn conditions(&self, path: &str, raw: &RawStage) -> Result<StageConditions, PolicyError> {
        let (min_dpd, max_dpd) = self.dpd_range(path, raw)?;
        let (min_balance, max_balance) = self.balance_range(path, raw)?;
        let products = match &raw.products {
            Some(list) => {
                Some(self.named_list(list, &format!("{path}.products"), ProductKind::name)?)
            }
            None => None,
        };
        let jurisdictions = match &raw.jurisdictions {
            Some(list) => Some(self.jurisdictions(list, &format!("{path}.jurisdictions"))?),
            None => None,
        };
        let score_bands = match &raw.score_bands {
            Some(list) => {
                Some(self.list(list, &format!("{path}.score_bands"), |entry, field| {
                    let band = self.name(entry, field, "score band")?;
                    Ok((band.clone(), band))
                })?)
            }
            None => None,
        };
        let signals = match &raw.signals {
            Some(list) => self.named_list(list, &format!("{path}.signals"), Signal::name)?,
            None => Vec::new(),
        };
        Ok(StageConditions {
            min_dpd,
            max_dpd,
            min_balance,
            max_balance,
            products,
            jurisdictions,
            score_bands,
            signals,
            customer: self.customer(path, raw)?,
        })
    }

    /// `min_tenure_months`, `max_tenure_months` (not below the minimum) and
    /// `min_lifetime_value`.
    fn customer(&self, path: &str, raw: &RawStage) -> Result<CustomerConditions, PolicyError> {
        let months = |value: Option<&Spanned<i64>>, key: &str| {
            let field = format!("{path}.{key}");
            value
                .map(|value| self.count(Some(value), &field, (0, TENURE_MONTHS_MAX), 0))
                .transpose()
        };
        let min_tenure_months = months(raw.min_tenure_months.as_ref(), "min_tenure_months")?;
        let max_tenure_months = months(raw.max_tenure_months.as_ref(), "max_tenure_months")?;
        if let (Some(min), Some(max), Some(value)) =
            (min_tenure_months, max_tenure_months, raw.max_tenure_months.as_ref())
        {
            if max < min {
                let reason = PolicyErrorReason::BelowMin {
                    value: max.into(),
                    min_field: "min_tenure_months",
                    min: min.into(),
                };
                return Err(self.error(value.span(), &format!("{path}.max_tenure_months"), reason));
            }
        }
        let min_lifetime_value = match &raw.min_lifetime_value {
            Some(value) => Some(self.money(value, &format!("{path}.min_lifetime_value"))?),
            None => None,
        };
        Ok(CustomerConditions { min_tenure_months, max_tenure_months, min_lifetime_value })
    }

    /// `min_dpd` and `max_dpd`, each in range, the upper bound not below the lower.
    fn dpd_range(&self, path: &str, raw: &RawStage) -> Result<(i64, Option<i64>), PolicyError> {
        let dpd_min = -i64::from(PRE_DUE_DAYS_MAX);
        let dpd_max = i64::from(DPD_MAX);
        let min_dpd = self.integer(&raw.min_dpd, &format!("{path}.min_dpd"), dpd_min, dpd_max)?;
        let Some(value) = &raw.max_dpd else { return Ok((min_dpd, None)) };
        let field = format!("{path}.max_dpd");
        let max_dpd = self.integer(value, &field, dpd_min, dpd_max)?;
        if max_dpd < min_dpd {
            let reason = PolicyErrorReason::BelowMin {
                value: max_dpd.into(),
                min_field: "min_dpd",
                min: min_dpd.into(),
            };
            return Err(self.error(value.span(), &field, reason));
        }
        Ok((min_dpd, Some(max_dpd)))
    }

    /// `min_balance` and `max_balance`, each an amount, the upper bound not below the lower.
    fn balance_range(
        &self,
        path: &str,
        raw: &RawStage,
    ) -> Result<(Option<Amount>, Option<Amount>), PolicyError> {
        let min_balance = match &raw.min_balance {
            Some(value) => Some(self.money(value, &format!("{path}.min_balance"))?),
            None => None,
        };
        let Some(value) = &raw.max_balance else { return Ok((min_balance, None)) };
        let field = format!("{path}.max_balance");
        let max_balance = self.money(value, &field)?;
        if let Some(min_balance) = &min_balance {
            for currency in max_balance.currencies() {
                let (Some(max), Some(min)) =
                    (max_balance.in_currency(currency), min_balance.in_currency(currency))
                else {
                    continue;
                };
                if max < min {
                    let reason =
                        PolicyErrorReason::BelowMin { value: max, min_field: "min_balance", min };
                    return Err(self.error(value.span(), &field, reason));
                }
            }
        }
        Ok((min_balance, Some(max_balance)))
    }

    pub(super) fn jurisdictions(
        &self,
        list: &SpannedList<String>,
        field: &str,
    ) -> Result<Vec<JurisdictionPattern>, PolicyError> {
        let patterns =
            self.list(list, field, |entry, entry_field| {
                match JurisdictionPattern::parse(entry.get_ref()) {
                    Some(pattern) => Ok((pattern, entry.get_ref().clone())),
                    None => {
                        let reason = PolicyErrorReason::InvalidName {
                            what: "jurisdiction",
                            name: entry.get_ref().clone(),
                            rule: JURISDICTION_RULE,
                        };
                        Err(self.error(entry.span(), entry_field, reason))
                    }
                }
            })?;
        // A region listed beside its own country adds nothing and would blur specificity.
        for (index, pattern) in patterns.iter().enumerate() {
            if let Some(covering) = patterns.iter().find(|other| other.covers(pattern)) {
                let reason = PolicyErrorReason::Redundant {
                    name: pattern.to_string(),
                    covered_by: covering.to_string(),
                };
                let span = list.get_ref().get(index).map_or(list.span(), Spanned::span);
                return Err(self.error(span, &format!("{field}[{index}]"), reason));
            }
        }
        Ok(patterns)
    }

    fn actions(
        &self,
        stage_path: &str,
        min_dpd: i64,
        raw: &RawActions,
    ) -> Result<StageActions, PolicyError> {
        let path = format!("{stage_path}.actions");
        let past_due = PastDueStage { path: &path, min_dpd };
        let contact = match &raw.contact {
            Some(list) => self.contact_steps(list, &format!("{path}.contact"))?,
            None => Vec::new(),
        };
        let late_fee = self.past_due_flag(
            &past_due,
            raw.late_fee.as_ref(),
            "late_fee",
            "late_fee requires the stage's min_dpd >= 1",
        )?;
        let credit_hold = raw.credit_hold.as_ref().is_some_and(|value| *value.get_ref());
        let placement = self.placement(&past_due, raw)?;
        let legal_after_days = match &raw.legal_after_days {
            Some(days) => Some(self.past_due_delay(
                &past_due,
                days,
                "legal_after_days",
                "legal referral requires the stage's min_dpd >= 1",
            )?),
            None => None,
        };
        let charge_off = self.past_due_flag(
            &past_due,
            raw.charge_off.as_ref(),
            "charge_off",
            "charge_off requires the stage's min_dpd >= 1",
        )?;
        Ok(StageActions { contact, late_fee, credit_hold, placement, legal_after_days, charge_off })
    }

    /// Contact steps: at most `CONTACT_STEPS_PER_STAGE_MAX`, in non-decreasing `after_days`.
    fn contact_steps(
        &self,
        list: &SpannedList<RawContact>,
        field: &str,
    ) -> Result<Vec<ContactStep>, PolicyError> {
        if CONTACT_STEPS_PER_STAGE_MAX < list.get_ref().len() {
            let reason = PolicyErrorReason::TooMany {
                count: list.get_ref().len(),
                count_max: CONTACT_STEPS_PER_STAGE_MAX,
            };
            return Err(self.error(list.span(), field, reason));
        }
        let mut contact: Vec<ContactStep> = Vec::with_capacity(list.get_ref().len());
        for (index, step) in list.get_ref().iter().enumerate() {
            let previous_after_days = contact.last().map(|step| step.after_days);
            let step_path = format!("{field}[{index}]");
            contact.push(self.contact_step(step.get_ref(), &step_path, previous_after_days)?);
        }
        Ok(contact)
    }

    fn contact_step(
        &self,
        step: &RawContact,
        step_path: &str,
        previous_after_days: Option<u32>,
    ) -> Result<ContactStep, PolicyError> {
        let channel = self.channel(&step.channel, &format!("{step_path}.channel"))?;
        let template =
            self.name(&step.template, &format!("{step_path}.template"), "template id")?;
        let after_field = format!("{step_path}.after_days");
        let after_days =
            self.count(step.after_days.as_ref(), &after_field, (0, DELAY_DAYS_MAX), 0)?;
        if let Some(previous) = previous_after_days.filter(|previous| after_days < *previous) {
            let span = step.after_days.as_ref().map_or(step.channel.span(), Spanned::span);
            let reason = PolicyErrorReason::BelowMin {
                value: after_days.into(),
                min_field: "the previous step's after_days",
                min: previous.into(),
            };
            return Err(self.error(span, &after_field, reason));
        }
        Ok(ContactStep { channel, template, after_days })
    }

    /// `place_after_days` and `agency`, which come together or not at all, and the optional
    /// `commission_rate` (0 to 1, only with them).
    fn placement(
        &self,
        past_due: &PastDueStage<'_>,
        raw: &RawActions,
    ) -> Result<Option<Placement>, PolicyError> {
        let path = past_due.path;
        if let (Some(rate), None) = (&raw.commission_rate, &raw.agency) {
            let rule = "commission_rate requires place_after_days and agency";
            return Err(self.constraint(rate.span(), &format!("{path}.commission_rate"), rule));
        }
        match (&raw.place_after_days, &raw.agency) {
            (Some(days), Some(agency)) => {
                let after_days = self.past_due_delay(
                    past_due,
                    days,
                    "place_after_days",
                    "placement requires the stage's min_dpd >= 1",
                )?;
                let agency = self.agency(agency, &format!("{path}.agency"))?;
                let commission_rate = self.share(
                    raw.commission_rate.as_ref(),
                    &format!("{path}.commission_rate"),
                    Decimal::ZERO,
                )?;
                Ok(Some(Placement { after_days, agency, commission_rate }))
            }
            (Some(days), None) => {
                let rule = "place_after_days requires agency = \"name\"";
                Err(self.constraint(days.span(), &format!("{path}.place_after_days"), rule))
            }
            (None, Some(agency)) => {
                let rule = "agency requires place_after_days";
                Err(self.constraint(agency.span(), &format!("{path}.agency"), rule))
            }
            (None, None) => Ok(None),
        }
    }

    /// A flag that presumes the account is late: `true` needs a stage with `min_dpd >= 1`.
    fn past_due_flag(
        &self,
        past_due: &PastDueStage<'_>,
        value: Option<&Spanned<bool>>,
        key: &str,
        rule: &'static str,
    ) -> Result<bool, PolicyError> {
        match value.filter(|value| *value.get_ref()) {
            Some(value) => {
                past_due.require(self, value.span(), key, rule)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A delay after stage entry for an action that presumes the account is late: in
    /// `0..=DELAY_DAYS_MAX`, then only in a stage with `min_dpd >= 1`.
    fn past_due_delay(
        &self,
        past_due: &PastDueStage<'_>,
        days: &Spanned<i64>,
        key: &str,
        rule: &'static str,
    ) -> Result<u32, PolicyError> {
        let field = format!("{}.{key}", past_due.path);
        let after_days = self.count(Some(days), &field, (0, DELAY_DAYS_MAX), 0)?;
        past_due.require(self, days.span(), key, rule)?;
        Ok(after_days)
    }

    pub(super) fn channel(
        &self,
        value: &Spanned<String>,
        field: &str,
    ) -> Result<ContactChannel, PolicyError> {
        let channel = match value.get_ref().as_str() {
            "sms" => ContactChannel::Sms,
            "email" => ContactChannel::Email,
            "phone" => ContactChannel::Phone,
            "letter" => ContactChannel::Postal,
            "messaging" => ContactChannel::Messaging,
            other => {
                let reason = PolicyErrorReason::Unknown {
                    what: "channel",
                    name: other.to_owned(),
                    known: CHANNEL_NAMES.to_owned(),
                };
                return Err(self.error(value.span(), field, reason));
            }
        };
        Ok(channel)
    }

    fn agency(&self, value: &Spanned<String>, field: &str) -> Result<String, PolicyError> {
        let agency = value.get_ref();
        let valid = !agency.trim().is_empty()
            && agency.len() <= TEXT_LEN_MAX
            && !agency.chars().any(char::is_control);
        if valid {
            Ok(agency.clone())
        } else {
            let rule = "use 1 to 256 bytes of text without control characters";
            let reason =
                PolicyErrorReason::InvalidName { what: "agency", name: agency.clone(), rule };
            Err(self.error(value.span(), field, reason))
        }
    }

    fn check_ambiguity(&self, stages: &[LoadedStage]) -> Result<(), PolicyError> {
        for (position, second) in stages.iter().enumerate() {
            for first in &stages[..position] {
                let (first_stage, second_stage) = (&first.stage, &second.stage);
                if first_stage.specificity() == second_stage.specificity()
                    && first_stage.conditions.can_match_together(&second_stage.conditions)
                {
                    let reason = PolicyErrorReason::Ambiguous {
                        first: first_stage.name.clone(),
                        first_line: self.line(first.header_span.start),
                        second: second_stage.name.clone(),
                    };
                    let field = format!("stage[{}]", second.index);
                    return Err(self.error(second.header_span.clone(), &field, reason));
                }
            }
        }
        Ok(())
    }

    fn charge_off(&self, raw: Option<&RawChargeOff>) -> Result<ChargeOffRules, PolicyError> {
        let defaults = ChargeOffRules::default();
        let Some(raw) = raw else { return Ok(defaults) };
        let range = (1, DPD_MAX);
        Ok(ChargeOffRules {
            revolving_dpd: self.count(
                raw.revolving_dpd.as_ref(),
                "charge_off.revolving_dpd",
                range,
                defaults.revolving_dpd,
            )?,
            closed_end_dpd: self.count(
                raw.closed_end_dpd.as_ref(),
                "charge_off.closed_end_dpd",
                range,
                defaults.closed_end_dpd,
            )?,
        })
    }

    fn promise(&self, raw: Option<&RawPromise>) -> Result<PromiseRules, PolicyError> {
        let defaults = PromiseRules::default();
        let Some(raw) = raw else { return Ok(defaults) };
        Ok(PromiseRules {
            max_days_out: self.count(
                raw.max_days_out.as_ref(),
                "promise.max_days_out",
                (1, DELAY_DAYS_MAX),
                defaults.max_days_out,
            )?,
            min_share: self.share(
                raw.min_share.as_ref(),
                "promise.min_share",
                defaults.min_share,
            )?,
            grace_days: self.count(
                raw.grace_days.as_ref(),
                "promise.grace_days",
                (0, DELAY_DAYS_MAX),
                defaults.grace_days,
            )?,
            max_open: self.count(
                raw.max_open.as_ref(),
                "promise.max_open",
                (1, OPEN_PROMISES_MAX),
                defaults.max_open,
            )?,
        })
    }

    fn plan(&self, raw: Option<&RawPlan>) -> Result<PlanRules, PolicyError> {
        let mut defaults = PlanRules::default();
        // 25.00 in the policy's currency; without one, no minimum is known in any currency.
        if let Some(currency) = self.currency.get() {
            defaults.min_installment =
                Amount::new(BTreeMap::from([(currency, Decimal::new(2_500, 2))]));
        }
        let Some(raw) = raw else { return Ok(defaults) };
        let min_installment = match &raw.min_installment {
            Some(value) => self.money(value, "plan.min_installment")?,
            None => defaults.min_installment.clone(),
        };
        let frequencies = match &raw.frequencies {
            Some(list) => self.named_list(list, "plan.frequencies", Frequency::name)?,
            None => defaults.frequencies,
        };
        Ok(PlanRules {
            affordable_share: self.share(
                raw.affordable_share.as_ref(),
                "plan.affordable_share",
                defaults.affordable_share,
            )?,
            max_installments: self.count(
                raw.max_installments.as_ref(),
                "plan.max_installments",
                (1, INSTALLMENTS_MAX),
                defaults.max_installments,
            )?,
            min_installment,
            frequencies,
            default_after_missed: self.count(
                raw.default_after_missed.as_ref(),
                "plan.default_after_missed",
                (1, MISSED_INSTALLMENTS_MAX),
                defaults.default_after_missed,
            )?,
            max_annual_rate: self.share(
                raw.max_annual_rate.as_ref(),
                "plan.max_annual_rate",
                defaults.max_annual_rate,
            )?,
        })
    }

    fn settlement(
        &self,
        raw: Option<&RawSettlement>,
        stages: &[LoadedStage],
    ) -> Result<SettlementRules, PolicyError> {
        let defaults = SettlementRules::default();
        let Some(raw) = raw else { return Ok(defaults) };
        let mut min_share_by_stage = BTreeMap::new();
        let mut charged_off_min_share = None;
        if let Some(table) = &raw.min_share {
            if LIST_LEN_MAX < table.get_ref().len() {
                let reason = PolicyErrorReason::TooMany {
                    count: table.get_ref().len(),
                    count_max: LIST_LEN_MAX,
                };
                return Err(self.error(table.span(), "settlement.min_share", reason));
            }
            // Report problems in file order, not key order.
            let mut entries: Vec<_> = table.get_ref().iter().collect();
            entries.sort_by_key(|(key, _)| key.span().start);
            for (key, value) in entries {
                let stage_name = key.get_ref();
                let field = format!("settlement.min_share.{stage_name}");
                let share = self.decimal(value, &field, Decimal::ZERO, Decimal::ONE)?;
                if stage_name == CHARGED_OFF {
                    charged_off_min_share = Some(share);
                } else if stages.iter().any(|loaded| loaded.stage.name == *stage_name) {
                    min_share_by_stage.insert(stage_name.clone(), share);
                } else {
                    let mut known: Vec<&str> =
                        stages.iter().map(|loaded| loaded.stage.name.as_str()).collect();
                    known.sort_unstable();
                    known.push(CHARGED_OFF);
                    let reason = PolicyErrorReason::Unknown {
                        what: "stage",
                        name: stage_name.clone(),
                        known: known.join(", "),
                    };
                    return Err(self.error(key.span(), &field, reason));
                }
            }
        }
        Ok(SettlementRules {
            min_share_by_stage,
            charged_off_min_share,
            offer_expiry_days: self.count(
                raw.offer_expiry_days.as_ref(),
                "settlement.offer_expiry_days",
                (1, DELAY_DAYS_MAX),
                defaults.offer_expiry_days,
            )?,
        })
    }

    fn dates(&self, raw: Option<&RawDates>) -> Result<DateRules, PolicyError> {
        let defaults = DateRules::default();
        let Some(raw) = raw else { return Ok(defaults) };
        let future_days_max = self.count(
            raw.future_days_max.as_ref(),
            "dates.future_days_max",
            (0, DELAY_DAYS_MAX),
            defaults.future_days_max,
        )?;
        Ok(DateRules { future_days_max })
    }

    fn review(&self, raw: Option<&RawReview>) -> Result<ReviewRules, PolicyError> {
        let defaults = CadenceDays::default();
        let Some(raw) = raw.and_then(|raw| raw.cadence_days.as_ref()) else {
            return Ok(ReviewRules::default());
        };
        let cadence = |value: Option<&Spanned<i64>>, key: &str, default: u32| {
            let field = format!("review.cadence_days.{key}");
            self.count(value, &field, (1, REVIEW_CADENCE_DAYS_MAX), default)
        };
        let cadence_days = CadenceDays {
            current: cadence(raw.current.as_ref(), "current", defaults.current)?,
            delinquent: cadence(raw.delinquent.as_ref(), "delinquent", defaults.delinquent)?,
            promised: cadence(raw.promised.as_ref(), "promised", defaults.promised)?,
            in_plan: cadence(raw.in_plan.as_ref(), "in_plan", defaults.in_plan)?,
            disputed: cadence(raw.disputed.as_ref(), "disputed", defaults.disputed)?,
            hardship: cadence(raw.hardship.as_ref(), "hardship", defaults.hardship)?,
            placed: cadence(raw.placed.as_ref(), "placed", defaults.placed)?,
            legal: cadence(raw.legal.as_ref(), "legal", defaults.legal)?,
            charged_off: cadence(raw.charged_off.as_ref(), "charged_off", defaults.charged_off)?,
        };
        Ok(ReviewRules { cadence_days })
    }

    fn arms(&self, raw: Option<&SpannedList<RawArm>>) -> Result<Vec<Arm>, PolicyError> {
        let Some(raw) = raw else {
            return Ok(vec![Arm {
                name: "champion".to_owned(),
                weight: 1,
                scorer: None,
                strategy: None,
                scorer_fallback: None,
                strategy_fallback: None,
                language: None,
                tone: None,
            }]);
        };
        let entries = raw.get_ref();
        if entries.is_empty() {
            return Err(self.error(raw.span(), "arm", PolicyErrorReason::Empty));
        }
        if ARMS_MAX < entries.len() {
            let reason = PolicyErrorReason::TooMany { count: entries.len(), count_max: ARMS_MAX };
            return Err(self.error(raw.span(), "arm", reason));
        }
        let mut arms: Vec<Arm> = Vec::with_capacity(entries.len());
        let mut name_lines: BTreeMap<String, usize> = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let path = format!("arm[{index}]");
            let entry = entry.get_ref();
            let name = self.name(&entry.name, &format!("{path}.name"), "arm name")?;
            if let Some(first_line) = name_lines.get(&name) {
                let reason = PolicyErrorReason::Duplicate { name, first_line: *first_line };
                return Err(self.error(entry.name.span(), &format!("{path}.name"), reason));
            }
            name_lines.insert(name.clone(), self.line(entry.name.span().start));
            let weight =
                self.count(Some(&entry.weight), &format!("{path}.weight"), (1, ARM_WEIGHT_MAX), 1)?;
            let component = |value: &Option<Spanned<String>>, key: &str, what: &'static str| {
                value
                    .as_ref()
                    .map(|value| self.name(value, &format!("{path}.{key}"), what))
                    .transpose()
            };
            let scorer = component(&entry.scorer, "scorer", "scorer name")?;
            let strategy = component(&entry.strategy, "strategy", "strategy name")?;
            let scorer_fallback =
                component(&entry.scorer_fallback, "scorer_fallback", "scorer name")?;
            let strategy_fallback =
                component(&entry.strategy_fallback, "strategy_fallback", "strategy name")?;
            let language = entry
                .language
                .as_ref()
                .map(|tag| {
                    self.language(tag, &format!("{path}.language"))
                        .map(|tag| crate::message::canonical_tag(&tag))
                })
                .transpose()?;
            let tone = entry
                .tone
                .as_ref()
                .map(|tone| self.tone(tone, &format!("{path}.tone")))
                .transpose()?;
            arms.push(Arm {
                name,
                weight,
                scorer,
                strategy,
                scorer_fallback,
                strategy_fallback,
                language,
                tone,
            });
        }
        Ok(arms)
    }
}

impl Loader<'_> {
    fn assignments(
        &self,
        raw: Option<&SpannedList<RawAssignment>>,
        stages: &[LoadedStage],
    ) -> Result<Vec<Assignment>, PolicyError> {
        let Some(raw) = raw else { return Ok(Vec::new()) };
        if ASSIGNMENTS_MAX < raw.get_ref().len() {
            let reason = PolicyErrorReason::TooMany {
                count: raw.get_ref().len(),
                count_max: ASSIGNMENTS_MAX,
            };
            return Err(self.error(raw.span(), "assignment", reason));
        }
        let mut rules = Vec::with_capacity(raw.get_ref().len());
        for (index, entry) in raw.get_ref().iter().enumerate() {
            rules.push(self.assignment(
                &format!("assignment[{index}]"),
                entry.get_ref(),
                stages,
            )?);
        }
        Ok(rules)
    }

    fn assignment(
        &self,
        path: &str,
        raw: &RawAssignment,
        stages: &[LoadedStage],
    ) -> Result<Assignment, PolicyError> {
        let team = self.name(&raw.team, &format!("{path}.team"), "team name")?;
        let stage_names = match &raw.stages {
            Some(list) => self.list(list, &format!("{path}.stages"), |entry, field| {
                self.known_stage(entry, field, stages).map(|name| (name.clone(), name))
            })?,
            None => Vec::new(),
        };
        let languages = match &raw.languages {
            Some(list) => self.list(list, &format!("{path}.languages"), |entry, field| {
                self.language(entry, field).map(|tag| (tag.to_ascii_lowercase(), tag))
            })?,
            None => Vec::new(),
        };
        let products = match &raw.products {
            Some(list) => self.named_list(list, &format!("{path}.products"), ProductKind::name)?,
            None => Vec::new(),
        };
        let jurisdictions = match &raw.jurisdictions {
            Some(list) => self
                .jurisdictions(list, &format!("{path}.jurisdictions"))?
                .iter()
                .map(ToString::to_string)
                .collect(),
            None => Vec::new(),
        };
        let priority = match &raw.priority {
            Some(value) => self.priority(value, &format!("{path}.priority"))?,
            None => Priority::ExpectedRecovery,
        };
        let recovery_rate =
            self.share(raw.recovery_rate.as_ref(), &format!("{path}.recovery_rate"), Decimal::ONE)?;
        let mut recovery_rates = std::collections::BTreeMap::new();
        for (band, rate) in
            raw.recovery_rates.as_ref().map(|rates| rates.get_ref().iter()).into_iter().flatten()
        {
            let field = format!("{path}.recovery_rates.{band}");
            recovery_rates.insert(band.clone(), self.share(Some(rate), &field, Decimal::ONE)?);
        }
        Ok(Assignment {
            team,
            stages: stage_names,
            conditions: crate::work::Skills { languages, products, jurisdictions },
            priority,
            recovery_rate,
            recovery_rates,
        })
    }

    fn known_stage(
        &self,
        entry: &Spanned<String>,
        field: &str,
        stages: &[LoadedStage],
    ) -> Result<String, PolicyError> {
        let name = entry.get_ref();
        if stages.iter().any(|loaded| loaded.stage.name == *name) {
            return Ok(name.clone());
        }
        let mut known: Vec<&str> = stages.iter().map(|loaded| loaded.stage.name.as_str()).collect();
        known.sort_unstable();
        let reason = PolicyErrorReason::Unknown {
            what: "stage",
            name: name.clone(),
            known: known.join(", "),
        };
        Err(self.error(entry.span(), field, reason))
    }

    pub(super) fn language(
        &self,
        entry: &Spanned<String>,
        field: &str,
    ) -> Result<String, PolicyError> {
        let tag = entry.get_ref();
        match crate::model::locale::check_language(tag) {
            Ok(()) => Ok(tag.clone()),
            Err(_) => {
                let reason = PolicyErrorReason::InvalidName {
                    what: "language",
                    name: tag.clone(),
                    rule: "expected a BCP 47 language tag such as \"es\" or \"es-MX\"",
                };
                Err(self.error(entry.span(), field, reason))
            }
        }
    }

    fn priority(&self, value: &Spanned<String>, field: &str) -> Result<Priority, PolicyError> {
        Priority::ALL.into_iter().find(|priority| priority.name() == value.get_ref()).ok_or_else(
            || {
                let known: Vec<&str> =
                    Priority::ALL.iter().map(|priority| priority.name()).collect();
                let reason = PolicyErrorReason::Unknown {
                    what: "priority",
                    name: value.get_ref().clone(),
                    known: known.join(", "),
                };
                self.error(value.span(), field, reason)
            },
        )
    }
}
