//! The shape of a policy file as written, before validation: serde structs that keep every
//! key's and value's span, so that `load.rs` can locate each error by line and field.
//!
//! Every table denies unknown keys. Names the deserializer can check itself (products,
//! signals, frequencies, the creditor) are typed here; everything else is checked in
//! `load.rs`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::{Creditor, Frequency, Signal};
use crate::model::ProductKind;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub(super) name: Spanned<String>,
    pub(super) version: Spanned<i64>,
    pub(super) creditor: Spanned<Creditor>,
    /// The currency of amounts written without one (`"50.00"`).
    #[serde(default)]
    pub(super) currency: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) stage: Option<Spanned<Vec<Spanned<RawStage>>>>,
    #[serde(default)]
    pub(super) charge_off: Option<RawChargeOff>,
    #[serde(default)]
    pub(super) promise: Option<RawPromise>,
    #[serde(default)]
    pub(super) plan: Option<RawPlan>,
    #[serde(default)]
    pub(super) settlement: Option<RawSettlement>,
    #[serde(default)]
    pub(super) review: Option<RawReview>,
    #[serde(default)]
    pub(super) dates: Option<RawDates>,
    #[serde(default)]
    pub(super) arm: Option<Spanned<Vec<Spanned<RawArm>>>>,
    #[serde(default)]
    pub(super) assignment: Option<SpannedList<RawAssignment>>,
    #[serde(default)]
    pub(super) messages: Option<Spanned<RawMessages>>,
    #[serde(default)]
    pub(super) template: Option<SpannedList<RawTemplate>>,
    #[serde(default)]
    pub(super) disclosure: Option<SpannedList<RawDisclosure>>,
    #[serde(default)]
    pub(super) experience: Option<Spanned<RawExperience>>,
    #[serde(default)]
    pub(super) credit: Option<Spanned<RawCredit>>,
    #[serde(default)]
    pub(super) detectors: Option<Spanned<RawDetectors>>,
}

/// `[detectors]`: the decay and one table per detector, every key optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDetectors {
    #[serde(default)]
    pub(super) decay_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) buying_pattern: Option<RawWindowed>,
    #[serde(default)]
    pub(super) returns_pattern: Option<RawWindowed>,
    #[serde(default)]
    pub(super) payment_drift: Option<RawDrift>,
    #[serde(default)]
    pub(super) extension_requests: Option<RawCounted>,
    #[serde(default)]
    pub(super) unreturned_calls: Option<RawCounted>,
}

/// A detector comparing a recent window with a baseline.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWindowed {
    #[serde(default)]
    pub(super) recent_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) baseline_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) drop_ratio: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) surge_ratio: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) baseline_charges_min: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) share_min: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) ratio: Option<Spanned<RawDecimal>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDrift {
    #[serde(default)]
    pub(super) obligations: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) days_min: Option<Spanned<i64>>,
}

/// A detector counting events in a window.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCounted {
    #[serde(default)]
    pub(super) window_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) requests_min: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) calls_min: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExperience {
    #[serde(default)]
    pub(super) contacts_per_week: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) segment: Option<SpannedList<RawSegment>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSegment {
    pub(super) name: Spanned<String>,
    pub(super) contacts_per_week: Spanned<i64>,
    #[serde(default)]
    pub(super) products: Option<SpannedList<ProductKind>>,
    #[serde(default)]
    pub(super) score_bands: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) min_tenure_months: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) max_tenure_months: Option<Spanned<i64>>,
}

/// Text by language tag: `{ en = "...", es-CO = "..." }`.
pub(super) type RawTexts = Spanned<BTreeMap<Spanned<String>, Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMessages {
    #[serde(default)]
    pub(super) default_language: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) languages: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) payment_link: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) invoice: Option<Spanned<RawInvoice>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInvoice {
    pub(super) channel: Spanned<String>,
    pub(super) template: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplate {
    pub(super) id: Spanned<String>,
    pub(super) channel: Spanned<String>,
    pub(super) tone: Spanned<String>,
    pub(super) text: RawTexts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisclosure {
    pub(super) id: Spanned<String>,
    pub(super) jurisdictions: SpannedList<String>,
    #[serde(default)]
    pub(super) channels: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) creditor: Option<Spanned<Creditor>>,
    pub(super) source: Spanned<String>,
    pub(super) status: Spanned<String>,
    pub(super) text: RawTexts,
}

/// `[credit]`: `[[credit.rule]]` and `[credit.review]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCredit {
    #[serde(default)]
    pub(super) rule: Option<SpannedList<RawCreditRule>>,
    #[serde(default)]
    pub(super) review: Option<RawCreditReview>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCreditRule {
    pub(super) name: Spanned<String>,
    pub(super) decision: Spanned<String>,
    #[serde(default)]
    pub(super) products: Option<SpannedList<ProductKind>>,
    #[serde(default)]
    pub(super) score_bands: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) score_below: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) score_at_least: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) signals: Option<SpannedList<Signal>>,
    #[serde(default)]
    pub(super) limit_above: Option<Spanned<RawAmount>>,
    #[serde(default)]
    pub(super) attributes: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    pub(super) limit_max: Option<Spanned<RawAmount>>,
    #[serde(default)]
    pub(super) net_days_max: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) deposit_share_min: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) cash_on_delivery: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) interest_rate_min: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) reasons: Option<SpannedList<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCreditReview {
    #[serde(default)]
    pub(super) every_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) on_signals: Option<SpannedList<Signal>>,
    #[serde(default)]
    pub(super) score_drop: Option<Spanned<i64>>,
}

pub(super) type SpannedList<T> = Spanned<Vec<Spanned<T>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStage {
    pub(super) name: Spanned<String>,
    pub(super) min_dpd: Spanned<i64>,
    #[serde(default)]
    pub(super) max_dpd: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) min_balance: Option<Spanned<RawAmount>>,
    #[serde(default)]
    pub(super) max_balance: Option<Spanned<RawAmount>>,
    #[serde(default)]
    pub(super) products: Option<SpannedList<ProductKind>>,
    #[serde(default)]
    pub(super) jurisdictions: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) score_bands: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) signals: Option<SpannedList<Signal>>,
    #[serde(default)]
    pub(super) min_tenure_months: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) max_tenure_months: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) min_lifetime_value: Option<Spanned<RawAmount>>,
    #[serde(default)]
    pub(super) actions: Option<RawActions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawActions {
    #[serde(default)]
    pub(super) contact: Option<SpannedList<RawContact>>,
    #[serde(default)]
    pub(super) late_fee: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) credit_hold: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) place_after_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) agency: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) commission_rate: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) legal_after_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) charge_off: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContact {
    pub(super) channel: Spanned<String>,
    pub(super) template: Spanned<String>,
    #[serde(default)]
    pub(super) after_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChargeOff {
    #[serde(default)]
    pub(super) revolving_dpd: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) closed_end_dpd: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPromise {
    #[serde(default)]
    pub(super) max_days_out: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) min_share: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) grace_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) max_open: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlan {
    #[serde(default)]
    pub(super) affordable_share: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) max_installments: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) min_installment: Option<Spanned<RawAmount>>,
    #[serde(default)]
    pub(super) frequencies: Option<SpannedList<Frequency>>,
    #[serde(default)]
    pub(super) default_after_missed: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) max_annual_rate: Option<Spanned<RawDecimal>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettlement {
    #[serde(default)]
    pub(super) min_share: Option<Spanned<BTreeMap<Spanned<String>, Spanned<RawDecimal>>>>,
    #[serde(default)]
    pub(super) offer_expiry_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReview {
    #[serde(default)]
    pub(super) cadence_days: Option<RawCadenceDays>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDates {
    #[serde(default)]
    pub(super) future_days_max: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCadenceDays {
    #[serde(default)]
    pub(super) current: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) delinquent: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) promised: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) in_plan: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) disputed: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) hardship: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) placed: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) legal: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) charged_off: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArm {
    pub(super) name: Spanned<String>,
    pub(super) weight: Spanned<i64>,
    #[serde(default)]
    pub(super) scorer: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) strategy: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) scorer_fallback: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) strategy_fallback: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) language: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) tone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAssignment {
    pub(super) team: Spanned<String>,
    #[serde(default)]
    pub(super) stages: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) languages: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) products: Option<SpannedList<ProductKind>>,
    #[serde(default)]
    pub(super) jurisdictions: Option<SpannedList<String>>,
    #[serde(default)]
    pub(super) priority: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) recovery_rate: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    pub(super) recovery_rates:
        Option<Spanned<std::collections::BTreeMap<String, Spanned<RawDecimal>>>>,
}

/// A decimal as written: a string (exact), an integer (exact) or a float (rejected when
/// converted, so the error is located and typed).
pub(super) enum RawDecimal {
    Text(String),
    Integer(i64),
    Float,
}

impl<'de> Deserialize<'de> for RawDecimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawDecimal, D::Error> {
        struct RawDecimalVisitor;
        impl serde::de::Visitor<'_> for RawDecimalVisitor {
            type Value = RawDecimal;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a decimal string such as \"0.25\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawDecimal, E> {
                Ok(RawDecimal::Text(text.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<RawDecimal, E> {
                Ok(RawDecimal::Integer(value))
            }
            fn visit_f64<E: serde::de::Error>(self, _value: f64) -> Result<RawDecimal, E> {
                Ok(RawDecimal::Float)
            }
        }
        deserializer.deserialize_any(RawDecimalVisitor)
    }
}

/// An amount as written: a bare decimal (in the policy's `currency`), or an inline table,
/// either `{ amount = "50.00", currency = "USD" }` or a figure per currency
/// `{ USD = "50.00", EUR = "45.00" }` (the loader tells them apart by their keys).
pub(super) enum RawAmount {
    Bare(RawDecimal),
    Table(Vec<(String, RawDecimal)>),
}

impl<'de> Deserialize<'de> for RawAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawAmount, D::Error> {
        struct RawAmountVisitor;
        impl<'de> serde::de::Visitor<'de> for RawAmountVisitor {
            type Value = RawAmount;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(
                    "an amount such as { amount = \"50.00\", currency = \"USD\" } or \
                     { USD = \"50.00\" }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawAmount, E> {
                Ok(RawAmount::Bare(RawDecimal::Text(text.to_owned())))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<RawAmount, E> {
                Ok(RawAmount::Bare(RawDecimal::Integer(value)))
            }
            fn visit_f64<E: serde::de::Error>(self, _value: f64) -> Result<RawAmount, E> {
                Ok(RawAmount::Bare(RawDecimal::Float))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<RawAmount, M::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, RawDecimal>()? {
                    entries.push((key, value));
                }
                Ok(RawAmount::Table(entries))
            }
        }
        deserializer.deserialize_any(RawAmountVisitor)
    }
}
