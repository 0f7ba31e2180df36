//! Collection policies as data: stages with entry conditions and actions, promise, plan,
//! settlement and review rules, charge-off days, and champion/challenger arms, read from TOML.
//!
//! A [`Policy`] is only ever built by [`Policy::from_toml`], which validates everything at load
//! time, so code that holds a `Policy` never meets an invalid rule. Every load error is a
//! [`PolicyError`] that names the file, the 1-based line, the field path (`stage[2].min_dpd`,
//! 0-based indexes in file order) and a reason: `standard.toml:14: stage[2].min_dpd: ...`.
//!
//! Stage selection is by specificity, never by order in the file: among the stages whose entry
//! conditions an account meets, the one with the most conditions wins, then the one with the
//! narrower days-past-due range. Two stages that tie on both and could match the same account
//! are rejected at load time, so [`Policy::select_stage`] always has a single answer. The
//! traffic split between arms is a stable FNV-1a hash of the account id and the policy name
//! ([`arm_hash`]). `docs/POLICY.md` documents every key.
//!
//! Architecture invariant: this module is pure. It parses a string (the caller reads the file)
//! and never touches the clock, the file system or a random source.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use crate::located_toml::{LocatedError, TomlSource};
use crate::model::{ContactChannel, ProductKind, TEXT_LEN_MAX};
use crate::money::AMOUNT_MINOR_MAX;

/// Most stages one policy may define.
pub const STAGES_MAX: usize = 64;
/// Most contact steps one stage may define.
pub const CONTACT_STEPS_PER_STAGE_MAX: usize = 32;
/// Most values in one list (`products`, `jurisdictions`, `score_bands`, `signals`,
/// `frequencies`, `settlement.min_share`).
pub const LIST_LEN_MAX: usize = 64;
/// Most champion/challenger arms one policy may define.
pub const ARMS_MAX: usize = 16;
/// Largest weight of one arm.
pub const ARM_WEIGHT_MAX: u32 = 1_000_000;
/// Longest name (policy, stage, arm, template, score band, scorer, strategy), in bytes.
pub const NAME_LEN_MAX: usize = 64;
/// Largest days past due a stage bound or a charge-off day may name (ten years).
pub const DPD_MAX: u32 = 3_650;
/// Most days before the due date a courtesy stage may start: `min_dpd >= -PRE_DUE_DAYS_MAX`.
pub const PRE_DUE_DAYS_MAX: u32 = 60;
/// Longest delay, in days, of anything a policy schedules: contact steps, placement and legal
/// referral after stage entry, promise horizon and grace, settlement offer expiry.
pub const DELAY_DAYS_MAX: u32 = 3_650;
/// Longest review cadence, in days.
pub const REVIEW_CADENCE_DAYS_MAX: u32 = 365;
/// Most installments of a payment plan.
pub const INSTALLMENTS_MAX: u32 = 360;
/// Most promises to pay that may be open at once.
pub const OPEN_PROMISES_MAX: u32 = 8;
/// Most missed installments a plan may tolerate before it defaults.
pub const MISSED_INSTALLMENTS_MAX: u32 = 12;

const _: () = assert!(0 < PRE_DUE_DAYS_MAX);
const _: () = assert!(PRE_DUE_DAYS_MAX < DPD_MAX);
const _: () = assert!(0 < REVIEW_CADENCE_DAYS_MAX);
const _: () = assert!(REVIEW_CADENCE_DAYS_MAX <= DELAY_DAYS_MAX);
const _: () = assert!(0 < ARMS_MAX);
const _: () = assert!(0 < ARM_WEIGHT_MAX);
// The total weight of all arms must fit in u64 for the multiply-shift of `Policy::arm_for`.
const _: () = assert!((ARM_WEIGHT_MAX as u64) <= u64::MAX / (ARMS_MAX as u64));
const _: () = assert!(NAME_LEN_MAX <= TEXT_LEN_MAX);

/// The stage name reserved for the settlement share of charged-off accounts.
const CHARGED_OFF: &str = "charged_off";

/// The built-in policy, the same file as `examples/policies/standard.toml`.
const STANDARD_TOML: &str = include_str!("../../../examples/policies/standard.toml");

// ---------------------------------------------------------------------------------------------
// The validated policy
// ---------------------------------------------------------------------------------------------

/// A validated collection policy.
///
/// Built only by [`Policy::from_toml`] (or [`Policy::default_policy`]); every rule it holds has
/// passed validation. The parts are read through getters; the part types have public fields
/// for reading but are `#[non_exhaustive]`, so only this module constructs them.
///
/// # Example
///
/// ```
/// use arrears_core::model::ProductKind;
/// use arrears_core::policy::{Policy, StageFacts};
/// use rust_decimal::Decimal;
///
/// let policy = Policy::default_policy();
/// let facts = StageFacts {
///     days_past_due: 45,
///     balance: Decimal::new(120_000, 2),
///     product: ProductKind::Revolving,
///     country: "US",
///     region: None,
///     score_band: None,
///     signals: &[],
/// };
/// let stage = policy.select_stage(&facts).expect("the standard policy covers 45 days");
/// assert_eq!(stage.name, "mid");
/// let arm = policy.arm_for(42);
/// assert!(policy.arms().iter().any(|known| known.name == arm.name));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    name: String,
    version: u32,
    creditor: Creditor,
    /// Canonical order: `min_dpd`, then most specific first, then name. Never file order.
    stages: Vec<Stage>,
    charge_off: ChargeOffRules,
    promise: PromiseRules,
    plan: PlanRules,
    settlement: SettlementRules,
    review: ReviewRules,
    /// File order, which the traffic split depends on.
    arms: Vec<Arm>,
}

/// Who collects: the creditor itself or a third party (an agency or debt buyer).
///
/// Compliance packs use it: several rules (US Regulation F among them) apply to third-party
/// debt collectors only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Creditor {
    /// The original creditor collects its own debt.
    FirstParty,
    /// A collection agency or debt buyer collects.
    ThirdParty,
}

impl Creditor {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Creditor::FirstParty => "first_party",
            Creditor::ThirdParty => "third_party",
        }
    }
}

/// A collection stage: when an account enters it, and what happens there.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stage {
    /// Unique within the policy.
    pub name: String,
    /// Entry conditions.
    pub conditions: StageConditions,
    /// What the stage does.
    pub actions: StageActions,
}

impl Stage {
    /// How specific the stage is; the most specific matching stage is selected.
    pub fn specificity(&self) -> Specificity {
        self.conditions.specificity()
    }
}

/// The entry conditions of a stage. All conditions that are set must hold; an unset condition
/// matches everything.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageConditions {
    /// Lowest days past due, inclusive. Negative for a courtesy stage before the due date
    /// (`-3` is three days before it).
    pub min_dpd: i64,
    /// Highest days past due, inclusive, or `None` for no upper bound.
    pub max_dpd: Option<i64>,
    /// Lowest balance, inclusive, in major units of the account's currency.
    pub min_balance: Option<Decimal>,
    /// Highest balance, inclusive, in major units of the account's currency.
    pub max_balance: Option<Decimal>,
    /// The products the stage applies to, or `None` for all.
    pub products: Option<Vec<ProductKind>>,
    /// The jurisdictions the stage applies to, or `None` for all.
    pub jurisdictions: Option<Vec<JurisdictionPattern>>,
    /// The score bands the stage applies to, or `None` for all (including unscored accounts).
    pub score_bands: Option<Vec<String>>,
    /// Signals that must all be present; empty when none is required.
    pub signals: Vec<Signal>,
}

impl StageConditions {
    /// Returns true if and only if every condition that is set holds for `facts`.
    pub fn matches(&self, facts: &StageFacts<'_>) -> bool {
        let dpd = facts.days_past_due;
        self.min_dpd <= dpd
            && self.max_dpd.is_none_or(|max_dpd| dpd <= max_dpd)
            && self.min_balance.is_none_or(|min_balance| min_balance <= facts.balance)
            && self.max_balance.is_none_or(|max_balance| facts.balance <= max_balance)
            && self.products.as_ref().is_none_or(|products| products.contains(&facts.product))
            && self.jurisdictions.as_ref().is_none_or(|jurisdictions| {
                jurisdictions.iter().any(|pattern| pattern.matches(facts.country, facts.region))
            })
            && self.score_bands.as_ref().is_none_or(|bands| {
                facts.score_band.is_some_and(|band| bands.iter().any(|known| known == band))
            })
            && self.signals.iter().all(|signal| facts.signals.contains(signal))
    }

    /// The specificity key: see [`Specificity`].
    pub fn specificity(&self) -> Specificity {
        let jurisdiction_count = match &self.jurisdictions {
            None => 0,
            Some(patterns) if patterns.iter().all(|pattern| pattern.region.is_some()) => 2,
            Some(_) => 1,
        };
        let signal_count = u32::try_from(self.signals.len()).unwrap_or(u32::MAX);
        let condition_count = u32::from(self.min_balance.is_some())
            + u32::from(self.max_balance.is_some())
            + u32::from(self.products.is_some())
            + jurisdiction_count
            + u32::from(self.score_bands.is_some())
            + signal_count;
        let dpd_range_days =
            self.max_dpd.map(|max_dpd| (max_dpd - self.min_dpd + 1).unsigned_abs());
        Specificity { condition_count, dpd_range_days }
    }

    /// Returns true if and only if some account could meet both `self` and `other`: every
    /// dimension's ranges overlap or lists intersect (signals never conflict, as an account
    /// may show all of them).
    fn can_match_together(&self, other: &StageConditions) -> bool {
        fn lists_intersect<T>(
            left: Option<&Vec<T>>,
            right: Option<&Vec<T>>,
            meet: impl Fn(&T, &T) -> bool,
        ) -> bool {
            match (left, right) {
                (Some(left), Some(right)) => {
                    left.iter().any(|left_value| right.iter().any(|right| meet(left_value, right)))
                }
                _ => true,
            }
        }
        let dpd_low = self.min_dpd.max(other.min_dpd);
        let dpd_overlap = match (self.max_dpd, other.max_dpd) {
            (Some(left), Some(right)) => dpd_low <= left.min(right),
            (Some(bound), None) | (None, Some(bound)) => dpd_low <= bound,
            (None, None) => true,
        };
        let balance_low = self.min_balance.max(other.min_balance);
        let balance_overlap = match (balance_low, self.max_balance, other.max_balance) {
            (Some(low), Some(left), Some(right)) => low <= left.min(right),
            (Some(low), Some(bound), None) | (Some(low), None, Some(bound)) => low <= bound,
            _ => true,
        };
        dpd_overlap
            && balance_overlap
            && lists_intersect(self.products.as_ref(), other.products.as_ref(), |a, b| a == b)
            && lists_intersect(
                self.jurisdictions.as_ref(),
                other.jurisdictions.as_ref(),
                JurisdictionPattern::overlaps,
            )
            && lists_intersect(self.score_bands.as_ref(), other.score_bands.as_ref(), |a, b| a == b)
    }
}

/// How specific a stage is. Greater is more specific, and the most specific matching stage is
/// selected.
///
/// The order: more conditions first, then the narrower days-past-due range (an open-ended
/// range is the widest). `condition_count` counts one for each of `min_balance`,
/// `max_balance`, `products` and `score_bands` when set, one for each required signal, and for
/// `jurisdictions` two when every entry names a region (`US-MA`: country and region) or one
/// otherwise (`US`). The days-past-due range is the base condition of every stage and does not
/// count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Specificity {
    /// Number of entry conditions set.
    pub condition_count: u32,
    /// Days in the days-past-due range (`max_dpd - min_dpd + 1`), or `None` when it has no
    /// upper bound.
    pub dpd_range_days: Option<u64>,
}

impl Ord for Specificity {
    fn cmp(&self, other: &Specificity) -> Ordering {
        self.condition_count.cmp(&other.condition_count).then_with(|| {
            match (self.dpd_range_days, other.dpd_range_days) {
                // Narrower is more specific.
                (Some(left), Some(right)) => right.cmp(&left),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            }
        })
    }
}

impl PartialOrd for Specificity {
    fn partial_cmp(&self, other: &Specificity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A jurisdiction in a stage condition: a country (`US`), or a country and a region (`US-MA`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct JurisdictionPattern {
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: String,
    /// Region code (ISO 3166-2 subdivision or a city code such as `NYC`), upper case, or
    /// `None` for the whole country.
    pub region: Option<String>,
}

impl JurisdictionPattern {
    /// Returns true if and only if an account in `country` and `region` is covered: same
    /// country, and the pattern names no region or the same region.
    pub fn matches(&self, country: &str, region: Option<&str>) -> bool {
        self.country == country
            && self.region.as_deref().is_none_or(|own_region| region == Some(own_region))
    }

    fn overlaps(&self, other: &JurisdictionPattern) -> bool {
        self.country == other.country
            && match (&self.region, &other.region) {
                (Some(left), Some(right)) => left == right,
                _ => true,
            }
    }

    fn covers(&self, other: &JurisdictionPattern) -> bool {
        self.country == other.country && self.region.is_none() && other.region.is_some()
    }

    fn parse(text: &str) -> Option<JurisdictionPattern> {
        let (country, region) = match text.split_once('-') {
            Some((country, region)) => (country, Some(region)),
            None => (text, None),
        };
        let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
        let region_ok = region.is_none_or(|region| {
            (1..=6).contains(&region.len())
                && region.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        });
        (country_ok && region_ok).then(|| JurisdictionPattern {
            country: country.to_owned(),
            region: region.map(str::to_owned),
        })
    }
}

impl fmt::Display for JurisdictionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.region {
            Some(region) => write!(f, "{}-{region}", self.country),
            None => f.write_str(&self.country),
        }
    }
}

/// A behavioural signal that a stage may require. The engine (or a plugin) detects them; the
/// policy only names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Signal {
    /// A promise to pay was broken.
    BrokenPromise,
    /// Calls and messages go unanswered.
    UnreturnedCalls,
    /// The debtor asked for more time.
    ExtensionRequest,
    /// The debtor's purchases changed (a business customer buying less, paying slower).
    PurchasePatternChange,
    /// A manager or director of a business debtor resigned.
    ManagementResignation,
    /// A business debtor loses staff.
    StaffTurnover,
    /// A business debtor sells assets.
    AssetSales,
    /// A business debtor filed accounts or returns late.
    LateFiling,
}

impl Signal {
    /// Every signal, in a fixed order.
    pub const ALL: [Signal; 8] = [
        Signal::BrokenPromise,
        Signal::UnreturnedCalls,
        Signal::ExtensionRequest,
        Signal::PurchasePatternChange,
        Signal::ManagementResignation,
        Signal::StaffTurnover,
        Signal::AssetSales,
        Signal::LateFiling,
    ];

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Signal::BrokenPromise => "broken_promise",
            Signal::UnreturnedCalls => "unreturned_calls",
            Signal::ExtensionRequest => "extension_request",
            Signal::PurchasePatternChange => "purchase_pattern_change",
            Signal::ManagementResignation => "management_resignation",
            Signal::StaffTurnover => "staff_turnover",
            Signal::AssetSales => "asset_sales",
            Signal::LateFiling => "late_filing",
        }
    }
}

/// What a stage does. Every delay counts days from the day the account entered the stage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StageActions {
    /// Contact steps, ordered by `after_days` (ties keep file order).
    pub contact: Vec<ContactStep>,
    /// True if and only if the stage assesses the account's late fee.
    pub late_fee: bool,
    /// True if and only if the stage puts the account on credit hold (no new purchases).
    pub credit_hold: bool,
    /// Placement with an agency, if the stage places.
    pub placement: Option<Placement>,
    /// Days after stage entry to refer the account to legal, if the stage does.
    pub legal_after_days: Option<u32>,
    /// True if and only if entering the stage charges the account off.
    pub charge_off: bool,
}

/// One contact step of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContactStep {
    /// The channel (`letter` in files is [`ContactChannel::Postal`]).
    pub channel: ContactChannel,
    /// The message template id, resolved by the integrator.
    pub template: String,
    /// Days after stage entry.
    pub after_days: u32,
}

/// Placement of an account with a collection agency.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Placement {
    /// Days after stage entry.
    pub after_days: u32,
    /// The agency's name.
    pub agency: String,
}

/// Days past due at which an account is charged off, by kind of product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChargeOffRules {
    /// For revolving products. Default 180.
    pub revolving_dpd: u32,
    /// For closed-end products (installment, trade credit, BNPL, utility). Default 120.
    pub closed_end_dpd: u32,
}

impl ChargeOffRules {
    /// The charge-off day for `product`.
    pub fn dpd_for(&self, product: ProductKind) -> u32 {
        match product {
            ProductKind::Revolving => self.revolving_dpd,
            ProductKind::Installment
            | ProductKind::TradeCredit
            | ProductKind::Bnpl
            | ProductKind::Utility => self.closed_end_dpd,
        }
    }
}

impl Default for ChargeOffRules {
    fn default() -> ChargeOffRules {
        ChargeOffRules { revolving_dpd: 180, closed_end_dpd: 120 }
    }
}

/// Rules for promises to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromiseRules {
    /// Latest promised date, in days after the day the promise is made. Default 14.
    pub max_days_out: u32,
    /// Smallest promised amount as a share of the past-due amount, in `[0, 1]`. Default 0.25.
    pub min_share: Decimal,
    /// Days after the promised date before an unkept promise counts as broken. Default 2.
    pub grace_days: u32,
    /// Most promises open at once. Default 1.
    pub max_open: u32,
}

impl Default for PromiseRules {
    fn default() -> PromiseRules {
        PromiseRules {
            max_days_out: 14,
            min_share: Decimal::new(25, 2),
            grace_days: 2,
            max_open: 1,
        }
    }
}

/// Rules for payment plans.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanRules {
    /// Share of monthly income minus expenses that the monthly equivalent of the installment
    /// may take, in `[0, 1]`. Default 0.40.
    pub affordable_share: Decimal,
    /// Most installments. Default 12.
    pub max_installments: u32,
    /// Smallest installment, in major units of the account's currency. Default 25.00.
    pub min_installment: Decimal,
    /// Allowed frequencies, without duplicates, in file order. Default all three.
    pub frequencies: Vec<Frequency>,
    /// Missed installments after which the plan defaults. Default 2.
    pub default_after_missed: u32,
    /// Highest annual interest rate a plan may carry, in `[0, 1]`. Default 0 (interest-free).
    pub max_annual_rate: Decimal,
}

impl Default for PlanRules {
    fn default() -> PlanRules {
        PlanRules {
            affordable_share: Decimal::new(40, 2),
            max_installments: 12,
            min_installment: Decimal::new(2_500, 2),
            frequencies: vec![Frequency::Weekly, Frequency::Fortnightly, Frequency::Monthly],
            default_after_missed: 2,
            max_annual_rate: Decimal::ZERO,
        }
    }
}

/// How often plan installments fall due: the same type as plan quotes use.
pub use crate::plan::Frequency;

/// Rules for settlements (accepting less than the balance in full satisfaction).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettlementRules {
    /// Smallest settlement as a share of the balance, by stage name. A stage without an entry
    /// offers no settlement.
    pub min_share_by_stage: BTreeMap<String, Decimal>,
    /// Smallest settlement share for charged-off accounts, or `None` for no settlement.
    pub charged_off_min_share: Option<Decimal>,
    /// Days an offer stays open. Default 30.
    pub offer_expiry_days: u32,
}

impl SettlementRules {
    /// The smallest settlement share in stage `stage_name`, or `None` if it offers none.
    pub fn min_share_for_stage(&self, stage_name: &str) -> Option<Decimal> {
        self.min_share_by_stage.get(stage_name).copied()
    }
}

impl Default for SettlementRules {
    fn default() -> SettlementRules {
        SettlementRules {
            min_share_by_stage: BTreeMap::new(),
            charged_off_min_share: None,
            offer_expiry_days: 30,
        }
    }
}

/// When accounts are reviewed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ReviewRules {
    /// Days until the next review, by collection state.
    pub cadence_days: CadenceDays,
}

/// Days until the next review, by collection state; each in `1..=REVIEW_CADENCE_DAYS_MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CadenceDays {
    /// Not past due. Default 30.
    pub current: u32,
    /// Past due, no arrangement. Default 1.
    pub delinquent: u32,
    /// A promise to pay is open. Default 1.
    pub promised: u32,
    /// A payment plan is running. Default 7.
    pub in_plan: u32,
    /// The debt is disputed. Default 7.
    pub disputed: u32,
    /// A hardship arrangement is in force. Default 14.
    pub hardship: u32,
    /// Placed with an agency. Default 7.
    pub placed: u32,
    /// Referred to legal. Default 14.
    pub legal: u32,
    /// Charged off. Default 30.
    pub charged_off: u32,
}

impl Default for CadenceDays {
    fn default() -> CadenceDays {
        CadenceDays {
            current: 30,
            delinquent: 1,
            promised: 1,
            in_plan: 7,
            disputed: 7,
            hardship: 14,
            placed: 7,
            legal: 14,
            charged_off: 30,
        }
    }
}

/// A champion/challenger arm: a share of the traffic and the plugins it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Arm {
    /// Unique within the policy.
    pub name: String,
    /// Relative weight, in `1..=ARM_WEIGHT_MAX`; weights need not sum to 100.
    pub weight: u32,
    /// Scorer plugin name, or `None` for the host default.
    pub scorer: Option<String>,
    /// Contact strategy plugin name, or `None` for the host default.
    pub strategy: Option<String>,
}

/// What stage selection needs to know about an account.
#[derive(Debug, Clone, Copy)]
pub struct StageFacts<'a> {
    /// Days past due of the oldest unpaid obligation; negative before its due date.
    pub days_past_due: i64,
    /// Balance, in major units of the account's currency.
    pub balance: Decimal,
    /// The account's product.
    pub product: ProductKind,
    /// The debtor's country code (`US`).
    pub country: &'a str,
    /// The debtor's region code (`MA`), if any.
    pub region: Option<&'a str>,
    /// The account's score band, if scored.
    pub score_band: Option<&'a str>,
    /// Signals present on the account.
    pub signals: &'a [Signal],
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A policy file failed to load: where, and why.
///
/// Displayed as `file:line: field: reason`, for example
/// `standard.toml:31: stage[2].max_dpd: 10 is below min_dpd = 30`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
#[non_exhaustive]
pub struct PolicyError {
    /// The file name given to [`Policy::from_toml`].
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
}

// Results stay small (clippy's `result_large_err` limit): box a payload before growing past it.
const _: () = assert!(size_of::<PolicyError>() <= 128);

// ---------------------------------------------------------------------------------------------
// Policy: loading and queries
// ---------------------------------------------------------------------------------------------

impl Policy {
    /// Parses and validates a policy. `file` names the text in error messages only; nothing
    /// is read from disk.
    ///
    /// # Errors
    ///
    /// The first [`PolicyError`] found, in this order: TOML syntax, shape (unknown or missing
    /// fields, wrong types, unknown names), then the rules of each section in file order, then
    /// stage ambiguity.
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
        Loader { source: TomlSource::new(file, text) }.load()
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

    /// The policy name (part of the arm hash).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy version, as written by its author.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// First or third party.
    pub fn creditor(&self) -> Creditor {
        self.creditor
    }

    /// The stages, ordered by `min_dpd`, then most specific first, then name; the order does
    /// not depend on the file.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The stage named `name`.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.name == name)
    }

    /// Charge-off days by kind of product.
    pub fn charge_off(&self) -> &ChargeOffRules {
        &self.charge_off
    }

    /// Promise rules.
    pub fn promise(&self) -> &PromiseRules {
        &self.promise
    }

    /// Payment plan rules.
    pub fn plan(&self) -> &PlanRules {
        &self.plan
    }

    /// Settlement rules.
    pub fn settlement(&self) -> &SettlementRules {
        &self.settlement
    }

    /// Review cadence.
    pub fn review(&self) -> &ReviewRules {
        &self.review
    }

    /// The arms, in file order (at least one).
    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// The stage for an account: the most specific stage whose conditions all hold, or `None`
    /// when no stage matches.
    ///
    /// The answer is unique, because loading rejects two stages that are equally specific
    /// (see [`Specificity`]) and could match the same account; it never depends on the order
    /// of the stages in the file.
    pub fn select_stage(&self, facts: &StageFacts<'_>) -> Option<&Stage> {
        let mut selected: Option<&Stage> = None;
        for stage in &self.stages {
            if !stage.conditions.matches(facts) {
                continue;
            }
            selected = match selected {
                Some(best) => match stage.specificity().cmp(&best.specificity()) {
                    Ordering::Greater => Some(stage),
                    Ordering::Less => Some(best),
                    Ordering::Equal => {
                        debug_assert!(false, "ambiguous stages {} and {}", best.name, stage.name);
                        // Deterministic even if the load-time check were bypassed.
                        Some(if stage.name < best.name { stage } else { best })
                    }
                },
                None => Some(stage),
            };
        }
        selected
    }

    /// The arm an account belongs to, by a stable hash of its id and the policy name.
    ///
    /// With `hash = arm_hash(account_id, name)` and `total` the sum of the weights, the bucket
    /// is `(hash * total) >> 64` (a 128-bit product, so the well-mixed high bits decide), and
    /// the arm is the first, in file order, whose running weight total exceeds the bucket. The
    /// same id, policy name and arms always give the same arm, on every platform and version.
    pub fn arm_for(&self, account_id: u64) -> &Arm {
        let total_weight: u64 = self.arms.iter().map(|arm| u64::from(arm.weight)).sum();
        assert!(0 < total_weight, "a policy has at least one arm of positive weight");
        let hash = arm_hash(account_id, &self.name);
        let product = u128::from(hash) * u128::from(total_weight);
        let bucket = u64::try_from(product >> 64).unwrap_or(u64::MAX);
        debug_assert!(bucket < total_weight);
        let mut running_weight = 0_u64;
        for arm in &self.arms {
            running_weight += u64::from(arm.weight);
            if bucket < running_weight {
                return arm;
            }
        }
        unreachable!("bucket {bucket} is below the total weight {total_weight}")
    }
}

/// The stable hash that assigns accounts to arms: FNV-1a 64 over the 8 little-endian bytes of
/// `account_id`, then the UTF-8 bytes of `policy_name`.
///
/// FNV-1a 64 starts from `0xcbf29ce484222325` and, for each byte, XORs it in and multiplies by
/// `0x100000001b3` (wrapping). It is fixed forever: changing it would move accounts between
/// arms mid-experiment.
///
/// # Example
///
/// ```
/// use arrears_core::policy::arm_hash;
/// assert_eq!(arm_hash(1, "standard"), arm_hash(1, "standard"));
/// assert_ne!(arm_hash(1, "standard"), arm_hash(1, "challenger"));
/// ```
pub fn arm_hash(account_id: u64, policy_name: &str) -> u64 {
    fnv1a_64(account_id.to_le_bytes().iter().chain(policy_name.as_bytes()).copied())
}

fn fnv1a_64(bytes: impl IntoIterator<Item = u8>) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.into_iter().fold(OFFSET_BASIS, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

// ---------------------------------------------------------------------------------------------
// Raw (spanned) shape of the file
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: Spanned<String>,
    version: Spanned<i64>,
    creditor: Spanned<Creditor>,
    #[serde(default)]
    stage: Option<Spanned<Vec<Spanned<RawStage>>>>,
    #[serde(default)]
    charge_off: Option<RawChargeOff>,
    #[serde(default)]
    promise: Option<RawPromise>,
    #[serde(default)]
    plan: Option<RawPlan>,
    #[serde(default)]
    settlement: Option<RawSettlement>,
    #[serde(default)]
    review: Option<RawReview>,
    #[serde(default)]
    arm: Option<Spanned<Vec<Spanned<RawArm>>>>,
}

type SpannedList<T> = Spanned<Vec<Spanned<T>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    name: Spanned<String>,
    min_dpd: Spanned<i64>,
    #[serde(default)]
    max_dpd: Option<Spanned<i64>>,
    #[serde(default)]
    min_balance: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    max_balance: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    products: Option<SpannedList<ProductKind>>,
    #[serde(default)]
    jurisdictions: Option<SpannedList<String>>,
    #[serde(default)]
    score_bands: Option<SpannedList<String>>,
    #[serde(default)]
    signals: Option<SpannedList<Signal>>,
    #[serde(default)]
    actions: Option<RawActions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActions {
    #[serde(default)]
    contact: Option<SpannedList<RawContact>>,
    #[serde(default)]
    late_fee: Option<Spanned<bool>>,
    #[serde(default)]
    credit_hold: Option<Spanned<bool>>,
    #[serde(default)]
    place_after_days: Option<Spanned<i64>>,
    #[serde(default)]
    agency: Option<Spanned<String>>,
    #[serde(default)]
    legal_after_days: Option<Spanned<i64>>,
    #[serde(default)]
    charge_off: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContact {
    channel: Spanned<String>,
    template: Spanned<String>,
    #[serde(default)]
    after_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChargeOff {
    #[serde(default)]
    revolving_dpd: Option<Spanned<i64>>,
    #[serde(default)]
    closed_end_dpd: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPromise {
    #[serde(default)]
    max_days_out: Option<Spanned<i64>>,
    #[serde(default)]
    min_share: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    grace_days: Option<Spanned<i64>>,
    #[serde(default)]
    max_open: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    #[serde(default)]
    affordable_share: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    max_installments: Option<Spanned<i64>>,
    #[serde(default)]
    min_installment: Option<Spanned<RawDecimal>>,
    #[serde(default)]
    frequencies: Option<SpannedList<Frequency>>,
    #[serde(default)]
    default_after_missed: Option<Spanned<i64>>,
    #[serde(default)]
    max_annual_rate: Option<Spanned<RawDecimal>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettlement {
    #[serde(default)]
    min_share: Option<Spanned<BTreeMap<Spanned<String>, Spanned<RawDecimal>>>>,
    #[serde(default)]
    offer_expiry_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    #[serde(default)]
    cadence_days: Option<RawCadenceDays>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCadenceDays {
    #[serde(default)]
    current: Option<Spanned<i64>>,
    #[serde(default)]
    delinquent: Option<Spanned<i64>>,
    #[serde(default)]
    promised: Option<Spanned<i64>>,
    #[serde(default)]
    in_plan: Option<Spanned<i64>>,
    #[serde(default)]
    disputed: Option<Spanned<i64>>,
    #[serde(default)]
    hardship: Option<Spanned<i64>>,
    #[serde(default)]
    placed: Option<Spanned<i64>>,
    #[serde(default)]
    legal: Option<Spanned<i64>>,
    #[serde(default)]
    charged_off: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArm {
    name: Spanned<String>,
    weight: Spanned<i64>,
    #[serde(default)]
    scorer: Option<Spanned<String>>,
    #[serde(default)]
    strategy: Option<Spanned<String>>,
}

/// A decimal as written: a string (exact), an integer (exact) or a float (rejected when
/// converted, so the error is located and typed).
enum RawDecimal {
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

// ---------------------------------------------------------------------------------------------
// Loading: raw to validated, with located errors
// ---------------------------------------------------------------------------------------------

const NAME_RULE: &str = "use 1 to 64 characters among a-z, A-Z, 0-9, '_', '-' and '.'";
const JURISDICTION_RULE: &str =
    "expected a country code such as \"US\", or a country and a region such as \"US-MA\"";
const CHANNEL_NAMES: &str = "sms, email, phone, letter, messaging";

struct Loader<'a> {
    source: TomlSource<'a>,
}

/// A stage being loaded, with what the ambiguity check reports.
struct LoadedStage {
    stage: Stage,
    index: usize,
    /// The span of its `[[stage]]` table, whose line the ambiguity check reports.
    header_span: Range<usize>,
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
        self.policy(&raw)
    }

    fn line(&self, offset: usize) -> usize {
        self.source.line(offset)
    }

    #[cold]
    fn error(&self, span: Range<usize>, field: &str, reason: PolicyErrorReason) -> PolicyError {
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

    fn count(
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
        let number = match value.get_ref() {
            RawDecimal::Text(text) => match Decimal::from_str_exact(text.trim()) {
                Ok(number) => number,
                Err(_) => {
                    let reason = PolicyErrorReason::NotADecimal { text: text.clone() };
                    return Err(self.error(value.span(), field, reason));
                }
            },
            RawDecimal::Integer(number) => Decimal::from(*number),
            RawDecimal::Float => {
                return Err(self.error(value.span(), field, PolicyErrorReason::Float));
            }
        };
        if min <= number && number <= max {
            Ok(number)
        } else {
            let reason = PolicyErrorReason::OutOfRange { value: number, min, max };
            Err(self.error(value.span(), field, reason))
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

    fn amount(&self, value: &Spanned<RawDecimal>, field: &str) -> Result<Decimal, PolicyError> {
        self.decimal(value, field, Decimal::ZERO, Decimal::from(AMOUNT_MINOR_MAX))
    }

    fn name(
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

    fn constraint(&self, span: Range<usize>, field: &str, rule: &'static str) -> PolicyError {
        self.error(span, field, PolicyErrorReason::Constraint { rule })
    }

    /// Checks a list's length and converts each entry; duplicates are errors.
    fn list<T, U: PartialEq>(
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

    fn named_list<T: Copy + PartialEq>(
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
        let arms = self.arms(raw.arm.as_ref())?;
        self.check_ambiguity(&stages)?;
        stages.sort_by(|left, right| {
            let (left, right) = (&left.stage, &right.stage);
            left.conditions
                .min_dpd
                .cmp(&right.conditions.min_dpd)
                .then_with(|| right.specificity().cmp(&left.specificity()))
                .then_with(|| left.name.cmp(&right.name))
        });
        let stages = stages.into_iter().map(|loaded| loaded.stage).collect();
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
            arms,
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
        let name = self.name(&raw.name, &format!("{path}.name"), "stage name")?;
        if name == CHARGED_OFF {
            let rule = "\"charged_off\" is reserved (settlement.min_share uses it)";
            return Err(self.constraint(raw.name.span(), &format!("{path}.name"), rule));
        }
        let dpd_min = -i64::from(PRE_DUE_DAYS_MAX);
        let dpd_max = i64::from(DPD_MAX);
        let min_dpd = self.integer(&raw.min_dpd, &format!("{path}.min_dpd"), dpd_min, dpd_max)?;
        let max_dpd = match &raw.max_dpd {
            Some(value) => {
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
                Some(max_dpd)
            }
            None => None,
        };
        let min_balance = match &raw.min_balance {
            Some(value) => Some(self.amount(value, &format!("{path}.min_balance"))?),
            None => None,
        };
        let max_balance = match &raw.max_balance {
            Some(value) => {
                let field = format!("{path}.max_balance");
                let max_balance = self.amount(value, &field)?;
                if let Some(min_balance) = min_balance.filter(|min| max_balance < *min) {
                    let reason = PolicyErrorReason::BelowMin {
                        value: max_balance,
                        min_field: "min_balance",
                        min: min_balance,
                    };
                    return Err(self.error(value.span(), &field, reason));
                }
                Some(max_balance)
            }
            None => None,
        };
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
        let conditions = StageConditions {
            min_dpd,
            max_dpd,
            min_balance,
            max_balance,
            products,
            jurisdictions,
            score_bands,
            signals,
        };
        let actions = match &raw.actions {
            Some(actions) => self.actions(&path, min_dpd, actions)?,
            None => StageActions::default(),
        };
        Ok(Stage { name, conditions, actions })
    }

    fn jurisdictions(
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
        let delay_range = (0, DELAY_DAYS_MAX);
        // Actions that presume the account is late make no sense in a stage that can match
        // before the due date.
        let require_past_due = |span: Range<usize>, key: &str, rule: &'static str| {
            if min_dpd < 1 {
                Err(self.constraint(span, &format!("{path}.{key}"), rule))
            } else {
                Ok(())
            }
        };
        let mut contact = Vec::new();
        if let Some(list) = &raw.contact {
            let field = format!("{path}.contact");
            if CONTACT_STEPS_PER_STAGE_MAX < list.get_ref().len() {
                let reason = PolicyErrorReason::TooMany {
                    count: list.get_ref().len(),
                    count_max: CONTACT_STEPS_PER_STAGE_MAX,
                };
                return Err(self.error(list.span(), &field, reason));
            }
            for (index, step) in list.get_ref().iter().enumerate() {
                let step_path = format!("{field}[{index}]");
                let step = step.get_ref();
                let channel = self.channel(&step.channel, &format!("{step_path}.channel"))?;
                let template =
                    self.name(&step.template, &format!("{step_path}.template"), "template id")?;
                let after_field = format!("{step_path}.after_days");
                let after_days =
                    self.count(step.after_days.as_ref(), &after_field, delay_range, 0)?;
                if let Some(previous) = contact.last().map(|step: &ContactStep| step.after_days) {
                    if after_days < previous {
                        let span =
                            step.after_days.as_ref().map_or(step.channel.span(), Spanned::span);
                        let reason = PolicyErrorReason::BelowMin {
                            value: after_days.into(),
                            min_field: "the previous step's after_days",
                            min: previous.into(),
                        };
                        return Err(self.error(span, &after_field, reason));
                    }
                }
                contact.push(ContactStep { channel, template, after_days });
            }
        }
        let late_fee = raw.late_fee.as_ref().is_some_and(|value| *value.get_ref());
        if let Some(value) = raw.late_fee.as_ref().filter(|value| *value.get_ref()) {
            require_past_due(
                value.span(),
                "late_fee",
                "late_fee requires the stage's min_dpd >= 1",
            )?;
        }
        let credit_hold = raw.credit_hold.as_ref().is_some_and(|value| *value.get_ref());
        let placement = match (&raw.place_after_days, &raw.agency) {
            (Some(days), Some(agency)) => {
                let field = format!("{path}.place_after_days");
                let after_days = self.count(Some(days), &field, delay_range, 0)?;
                require_past_due(
                    days.span(),
                    "place_after_days",
                    "placement requires the stage's min_dpd >= 1",
                )?;
                let agency = self.agency(agency, &format!("{path}.agency"))?;
                Some(Placement { after_days, agency })
            }
            (Some(days), None) => {
                let rule = "place_after_days requires agency = \"name\"";
                return Err(self.constraint(
                    days.span(),
                    &format!("{path}.place_after_days"),
                    rule,
                ));
            }
            (None, Some(agency)) => {
                let rule = "agency requires place_after_days";
                return Err(self.constraint(agency.span(), &format!("{path}.agency"), rule));
            }
            (None, None) => None,
        };
        let legal_after_days = match &raw.legal_after_days {
            Some(days) => {
                let field = format!("{path}.legal_after_days");
                let after_days = self.count(Some(days), &field, delay_range, 0)?;
                require_past_due(
                    days.span(),
                    "legal_after_days",
                    "legal referral requires the stage's min_dpd >= 1",
                )?;
                Some(after_days)
            }
            None => None,
        };
        let charge_off = raw.charge_off.as_ref().is_some_and(|value| *value.get_ref());
        if let Some(value) = raw.charge_off.as_ref().filter(|value| *value.get_ref()) {
            require_past_due(
                value.span(),
                "charge_off",
                "charge_off requires the stage's min_dpd >= 1",
            )?;
        }
        Ok(StageActions { contact, late_fee, credit_hold, placement, legal_after_days, charge_off })
    }

    fn channel(&self, value: &Spanned<String>, field: &str) -> Result<ContactChannel, PolicyError> {
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
        let defaults = PlanRules::default();
        let Some(raw) = raw else { return Ok(defaults) };
        let min_installment = match &raw.min_installment {
            Some(value) => self.amount(value, "plan.min_installment")?,
            None => defaults.min_installment,
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
            let scorer = match &entry.scorer {
                Some(value) => Some(self.name(value, &format!("{path}.scorer"), "scorer name")?),
                None => None,
            };
            let strategy = match &entry.strategy {
                Some(value) => {
                    Some(self.name(value, &format!("{path}.strategy"), "strategy name")?)
                }
                None => None,
            };
            arms.push(Arm { name, weight, scorer, strategy });
        }
        Ok(arms)
    }
}

#[cfg(test)]
mod tests;
