//! Loading the `[credit]` section: `[[credit.rule]]` (file order matters: the first rule that
//! matches fires) and `[credit.review]`, every error located by line and field like the rest
//! of the policy.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use toml::Spanned;

use super::super::raw::{RawCredit, RawCreditReview, RawCreditRule, SpannedList};
use super::super::{PolicyError, PolicyErrorReason, LIST_LEN_MAX};
use super::Loader;
use crate::credit::{
    CreditPolicy, CreditReviewRules, CreditRule, Verdict, ATTRIBUTES_MAX, CREDIT_RULES_MAX,
    DECISION_REASONS_MAX, NET_DAYS_MAX,
};
use crate::model::TEXT_LEN_MAX;

/// Longest review interval, in days.
const REVIEW_EVERY_DAYS_MAX: u32 = 3650;

impl Loader<'_> {
    pub(super) fn credit(
        &self,
        raw: Option<&Spanned<RawCredit>>,
    ) -> Result<CreditPolicy, PolicyError> {
        let Some(raw) = raw else { return Ok(CreditPolicy::default()) };
        let rules = match raw.get_ref().rule.as_ref() {
            Some(rules) => self.credit_rules(rules)?,
            None => Vec::new(),
        };
        let review = self.credit_review(raw.get_ref().review.as_ref())?;
        Ok(CreditPolicy { rules, review })
    }

    fn credit_rules(
        &self,
        raw: &SpannedList<RawCreditRule>,
    ) -> Result<Vec<CreditRule>, PolicyError> {
        let entries = raw.get_ref();
        if CREDIT_RULES_MAX < entries.len() {
            let reason =
                PolicyErrorReason::TooMany { count: entries.len(), count_max: CREDIT_RULES_MAX };
            return Err(self.error(raw.span(), "credit.rule", reason));
        }
        let mut rules: Vec<(CreditRule, usize)> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let path = format!("credit.rule[{index}]");
            let rule = self.credit_rule(&path, entry.get_ref())?;
            let name = entry.get_ref().name.span();
            if let Some((_, first)) = rules.iter().find(|(known, _)| known.name == rule.name) {
                let reason = PolicyErrorReason::Duplicate {
                    name: rule.name.clone(),
                    first_line: self.line(*first),
                };
                return Err(self.error(name, &format!("{path}.name"), reason));
            }
            rules.push((rule, name.start));
        }
        Ok(rules.into_iter().map(|(rule, _)| rule).collect())
    }

    fn credit_rule(&self, path: &str, raw: &RawCreditRule) -> Result<CreditRule, PolicyError> {
        let field = |key: &str| format!("{path}.{key}");
        let name = self.name(&raw.name, &field("name"), "credit rule name")?;
        let verdict = self.verdict(&raw.decision, &field("decision"))?;
        let products = match &raw.products {
            Some(list) => self.named_list(list, &field("products"), |kind| kind.name())?,
            None => Vec::new(),
        };
        let score_bands = match &raw.score_bands {
            Some(list) => self.list(list, &field("score_bands"), |entry, entry_field| {
                let band = self.name(entry, entry_field, "score band")?;
                Ok((band.clone(), band))
            })?,
            None => Vec::new(),
        };
        let score = |value: Option<&Spanned<i64>>, key: &str| {
            value.map(|value| self.integer(value, &field(key), 0, 1000)).transpose()
        };
        let score_below = score(raw.score_below.as_ref(), "score_below")?;
        let score_at_least = score(raw.score_at_least.as_ref(), "score_at_least")?;
        let signals = match &raw.signals {
            Some(list) => self.named_list(list, &field("signals"), |signal| signal.name())?,
            None => Vec::new(),
        };
        let limit_above =
            raw.limit_above.as_ref().map(|value| self.money(value, &field("limit_above")));
        let limit_max = raw.limit_max.as_ref().map(|value| self.money(value, &field("limit_max")));
        let net_days_max = raw
            .net_days_max
            .as_ref()
            .map(|value| self.integer(value, &field("net_days_max"), 0, NET_DAYS_MAX.into()))
            .transpose()?;
        let share = |value: Option<&Spanned<_>>, key: &str| {
            value.map(|value| self.decimal(value, &field(key), Decimal::ZERO, Decimal::ONE))
        };
        Ok(CreditRule {
            name,
            verdict,
            products,
            score_bands,
            score_below: score_below.map(points),
            score_at_least: score_at_least.map(points),
            signals,
            limit_above: limit_above.transpose()?,
            attributes: self.attributes(raw.attributes.as_ref(), &field("attributes"))?,
            limit_max: limit_max.transpose()?,
            net_days_max: net_days_max.map(|days| u16::try_from(days).unwrap_or(NET_DAYS_MAX)),
            deposit_share_min: share(raw.deposit_share_min.as_ref(), "deposit_share_min")
                .transpose()?,
            cash_on_delivery: raw.cash_on_delivery.as_ref().is_some_and(|value| *value.get_ref()),
            interest_rate_min: share(raw.interest_rate_min.as_ref(), "interest_rate_min")
                .transpose()?,
            reasons: self.reasons(raw.reasons.as_ref(), &field("reasons"))?,
        })
    }

    fn verdict(&self, value: &Spanned<String>, field: &str) -> Result<Verdict, PolicyError> {
        let text = value.get_ref().trim();
        Verdict::ALL.into_iter().find(|verdict| verdict.name() == text).ok_or_else(|| {
            let reason = PolicyErrorReason::Unknown {
                what: "decision",
                name: text.to_owned(),
                known: "approve, decline, refer".to_owned(),
            };
            self.error(value.span(), field, reason)
        })
    }

    fn attributes(
        &self,
        raw: Option<&Spanned<BTreeMap<String, Spanned<String>>>>,
        field: &str,
    ) -> Result<BTreeMap<String, String>, PolicyError> {
        let Some(raw) = raw else { return Ok(BTreeMap::new()) };
        if ATTRIBUTES_MAX < raw.get_ref().len() {
            let reason = PolicyErrorReason::TooMany {
                count: raw.get_ref().len(),
                count_max: ATTRIBUTES_MAX,
            };
            return Err(self.error(raw.span(), field, reason));
        }
        let mut attributes = BTreeMap::new();
        for (name, value) in raw.get_ref() {
            if TEXT_LEN_MAX < value.get_ref().len() {
                let reason = PolicyErrorReason::TooMany {
                    count: value.get_ref().len(),
                    count_max: TEXT_LEN_MAX,
                };
                return Err(self.error(value.span(), &format!("{field}.{name}"), reason));
            }
            attributes.insert(name.clone(), value.get_ref().clone());
        }
        Ok(attributes)
    }

    fn reasons(
        &self,
        raw: Option<&SpannedList<String>>,
        field: &str,
    ) -> Result<Vec<String>, PolicyError> {
        let Some(raw) = raw else { return Ok(Vec::new()) };
        const _: () = assert!(DECISION_REASONS_MAX <= LIST_LEN_MAX);
        if DECISION_REASONS_MAX < raw.get_ref().len() {
            let reason = PolicyErrorReason::TooMany {
                count: raw.get_ref().len(),
                count_max: DECISION_REASONS_MAX,
            };
            return Err(self.error(raw.span(), field, reason));
        }
        self.list(raw, field, |entry, entry_field| {
            let code = self.name(entry, entry_field, "reason code")?;
            Ok((code.clone(), code))
        })
    }

    fn credit_review(
        &self,
        raw: Option<&RawCreditReview>,
    ) -> Result<CreditReviewRules, PolicyError> {
        let Some(raw) = raw else { return Ok(CreditReviewRules::default()) };
        let every_days = raw
            .every_days
            .as_ref()
            .map(|value| {
                self.count(Some(value), "credit.review.every_days", (1, REVIEW_EVERY_DAYS_MAX), 1)
            })
            .transpose()?;
        let on_signals = match &raw.on_signals {
            Some(list) => {
                self.named_list(list, "credit.review.on_signals", |signal| signal.name())?
            }
            None => Vec::new(),
        };
        let score_drop = raw
            .score_drop
            .as_ref()
            .map(|value| self.integer(value, "credit.review.score_drop", 1, 1000))
            .transpose()?;
        Ok(CreditReviewRules { every_days, on_signals, score_drop: score_drop.map(points) })
    }
}

/// A score bound the loader checked to be within 0..=1000.
fn points(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
