//! The validated policy: [`Policy`] and its parts (stages with their entry conditions and
//! actions, the promise, plan, settlement, review and charge-off rules, the arms), the limits
//! every policy keeps, stage selection by specificity and the stable arm hash.
//!
//! Nothing here parses: `load.rs` builds a [`Policy`] from TOML and is the only code that
//! writes its private fields.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{ContactChannel, ProductKind, TEXT_LEN_MAX};
use crate::money::Currency;
use crate::plan::Frequency;

/// A policy amount: a figure per currency, in major units of each (issue 14 point 8: an
/// amount without its currency meant 50 dollars, 50 euros and 50 yen at once).
///
/// Written `{ amount = "50.00", currency = "USD" }`, `{ USD = "50.00", EUR = "45.00" }`, or
/// `"50.00"` in a policy that states its `currency`. An amount applies only to accounts in a
/// currency it names: a balance condition without a figure for the account's currency does
/// not hold, and a `plan.min_installment` without one sets no minimum. `policy set` refuses a
/// policy whose amounts name no figure for a currency of the portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Amount {
    by_currency: BTreeMap<Currency, Decimal>,
}

impl Amount {
    /// An amount with these figures; empty when none is given (it then applies nowhere).
    pub fn new(by_currency: BTreeMap<Currency, Decimal>) -> Amount {
        Amount { by_currency }
    }

    /// The same figure in every currency: what a bare amount meant in a policy stored before
    /// amounts stated their currency ([`Policy::from_stored_toml`]).
    pub fn in_every_currency(figure: Decimal) -> Amount {
        Amount { by_currency: Currency::all().map(|currency| (currency, figure)).collect() }
    }

    /// The figure for `currency`, if the amount names one.
    pub fn in_currency(&self, currency: Currency) -> Option<Decimal> {
        self.by_currency.get(&currency).copied()
    }

    /// The currencies the amount names, in code order.
    pub fn currencies(&self) -> impl Iterator<Item = Currency> + '_ {
        self.by_currency.keys().copied()
    }

    /// Returns true if and only if the amount names no currency.
    pub fn is_empty(&self) -> bool {
        self.by_currency.is_empty()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut figures = self.by_currency.values();
        if let Some(first) = figures.next() {
            if self.by_currency.len() == Currency::all().count() && figures.all(|f| f == first) {
                return write!(f, "{first} in any currency");
            }
        }
        for (index, (currency, figure)) in self.by_currency.iter().enumerate() {
            if index > 0 {
                f.write_str(" / ")?;
            }
            write!(f, "{figure} {}", currency.code())?;
        }
        Ok(())
    }
}

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
/// Default of `[dates] future_days_max`: how many days after today a date given to the tool
/// may be without `--allow-future`.
pub const FUTURE_DAYS_DEFAULT: u32 = 31;
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
const _: () = assert!(FUTURE_DAYS_DEFAULT <= DELAY_DAYS_MAX);
const _: () = assert!(0 < ARMS_MAX);
const _: () = assert!(0 < ARM_WEIGHT_MAX);
// The total weight of all arms must fit in u64 for the multiply-shift of `Policy::arm_for`.
const _: () = assert!((ARM_WEIGHT_MAX as u64) <= u64::MAX / (ARMS_MAX as u64));
const _: () = assert!(NAME_LEN_MAX <= TEXT_LEN_MAX);

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
/// use arrears_core::money::Currency;
/// use arrears_core::policy::{Policy, StageFacts};
/// use rust_decimal::Decimal;
///
/// let policy = Policy::default_policy();
/// let facts = StageFacts {
///     days_past_due: 45,
///     balance: Decimal::new(120_000, 2),
///     currency: Currency::USD,
///     product: ProductKind::Revolving,
///     country: "US",
///     region: None,
///     score_band: None,
///     signals: &[],
///     tenure_months: 14,
///     lifetime_paid: Decimal::new(90_000, 2),
/// };
/// let stage = policy.select_stage(&facts).expect("the standard policy covers 45 days");
/// assert_eq!(stage.name, "mid");
/// let arm = policy.arm_for(42);
/// assert!(policy.arms().iter().any(|known| known.name == arm.name));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(super) name: String,
    pub(super) version: u32,
    pub(super) creditor: Creditor,
    /// Canonical order: `min_dpd`, then most specific first, then name. Never file order.
    pub(super) stages: Vec<Stage>,
    pub(super) charge_off: ChargeOffRules,
    pub(super) promise: PromiseRules,
    pub(super) plan: PlanRules,
    pub(super) settlement: SettlementRules,
    pub(super) review: ReviewRules,
    pub(super) dates: DateRules,
    /// File order, which the traffic split depends on.
    pub(super) arms: Vec<Arm>,
    /// File order: the first rule that matches an account assigns it.
    pub(super) assignments: Vec<Assignment>,
    /// The templates, disclosures and payment link rule (docs/MESSAGES.md).
    pub(super) messages: crate::message::Messages,
    /// `[credit]`: the credit rules (file order) and the review schedule.
    pub(super) credit: crate::credit::CreditPolicy,
    /// `[detectors]`: the detectors' parameters.
    pub(super) detectors: crate::detect::DetectorPolicy,
    /// True if and only if a stage reads the customer's lifetime value (derived from
    /// `stages` when loaded: every decision asks).
    pub(super) reads_lifetime_value: bool,
}

/// Most `[[assignment]]` rules in a policy.
pub const ASSIGNMENTS_MAX: usize = 64;

/// An `[[assignment]]` rule: accounts in one of its stages whose debtor and product its
/// conditions allow are work for its team, ordered by its priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The team (it must exist in the store when the policy is set).
    pub team: String,
    /// Stage names; empty for every stage (an account in no stage is never work).
    pub stages: Vec<String>,
    /// The debtor's language, product and jurisdiction the rule applies to (an empty list
    /// allows any).
    pub conditions: crate::work::Skills,
    /// How the team's queue is ordered.
    pub priority: Priority,
    /// The share of the balance expected to be recovered, 0 to 1 (for
    /// [`Priority::ExpectedRecovery`]), for an account whose score band has no rate of its
    /// own in `recovery_rates` (or that was never scored).
    pub recovery_rate: Decimal,
    /// The share expected back by the account's latest score band (`low_risk = "0.8"`...).
    pub recovery_rates: std::collections::BTreeMap<String, Decimal>,
}

/// How a team's queue is ordered, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// The outstanding balance times the rule's recovery rate, in minor units (rounded down).
    ExpectedRecovery,
    /// The outstanding balance, in minor units.
    Balance,
    /// Days past due.
    DaysPastDue,
}

impl Priority {
    /// Every priority.
    pub const ALL: [Priority; 3] =
        [Priority::ExpectedRecovery, Priority::Balance, Priority::DaysPastDue];

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Priority::ExpectedRecovery => "expected_recovery",
            Priority::Balance => "balance",
            Priority::DaysPastDue => "days_past_due",
        }
    }

    /// An account's priority under this rule: higher is worked first. Exact: integers only.
    pub fn of(self, recovery_rate: Decimal, outstanding_minor: i64, days_past_due: i64) -> i64 {
        match self {
            Priority::ExpectedRecovery => (Decimal::from(outstanding_minor) * recovery_rate)
                .floor()
                .try_into()
                .unwrap_or(outstanding_minor),
            Priority::Balance => outstanding_minor,
            Priority::DaysPastDue => days_past_due,
        }
    }
}

impl Assignment {
    /// The recovery rate of an account whose latest score band is `band`: the band's own
    /// rate, else the rule's `recovery_rate`.
    pub fn recovery_rate_for(&self, band: Option<&str>) -> Decimal {
        band.and_then(|band| self.recovery_rates.get(band)).copied().unwrap_or(self.recovery_rate)
    }

    /// Returns true if and only if the rule assigns an account in `stage`, of `product`, owed
    /// by `debtor`.
    pub fn matches(
        &self,
        stage: &str,
        debtor: &crate::model::Debtor,
        product: ProductKind,
    ) -> bool {
        (self.stages.is_empty() || self.stages.iter().any(|name| name == stage))
            && self.conditions.allow(debtor, product)
    }
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
    /// Lowest balance, inclusive, per currency ([`Amount`]).
    pub min_balance: Option<Amount>,
    /// Highest balance, inclusive, per currency ([`Amount`]).
    pub max_balance: Option<Amount>,
    /// The products the stage applies to, or `None` for all.
    pub products: Option<Vec<ProductKind>>,
    /// The jurisdictions the stage applies to, or `None` for all.
    pub jurisdictions: Option<Vec<JurisdictionPattern>>,
    /// The score bands the stage applies to, or `None` for all (including unscored accounts).
    pub score_bands: Option<Vec<String>>,
    /// Signals that must all be present; empty when none is required.
    pub signals: Vec<Signal>,
    /// The customer's attributes (issue 19 point 4): tenure and lifetime value.
    pub customer: CustomerConditions,
}

/// Stage conditions on the customer (issue 19 point 4): how long the account has been on the
/// books and how much the customer has paid on it. Complaints are a reported signal
/// ([`Signal::Complaint`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CustomerConditions {
    /// Fewest whole months on book, inclusive.
    pub min_tenure_months: Option<u32>,
    /// Most whole months on book, inclusive.
    pub max_tenure_months: Option<u32>,
    /// Least paid on the account over its life (payments not reversed), per currency.
    pub min_lifetime_value: Option<Amount>,
}

impl CustomerConditions {
    fn matches(&self, facts: &StageFacts<'_>) -> bool {
        self.min_tenure_months.is_none_or(|min| i64::from(min) <= facts.tenure_months)
            && self.max_tenure_months.is_none_or(|max| facts.tenure_months <= i64::from(max))
            && self.min_lifetime_value.as_ref().is_none_or(|min| {
                min.in_currency(facts.currency).is_some_and(|min| min <= facts.lifetime_paid)
            })
    }

    fn count(&self) -> u32 {
        u32::from(self.min_tenure_months.is_some())
            + u32::from(self.max_tenure_months.is_some())
            + u32::from(self.min_lifetime_value.is_some())
    }

    /// Tenure ranges overlap (a lifetime value has only a minimum, so two always overlap).
    fn can_match_together(&self, other: &CustomerConditions) -> bool {
        let low = self.min_tenure_months.max(other.min_tenure_months).unwrap_or(0);
        [self.max_tenure_months, other.max_tenure_months]
            .into_iter()
            .flatten()
            .all(|max| low <= max)
    }
}

impl StageConditions {
    /// Returns true if and only if every condition that is set holds for `facts`.
    pub fn matches(&self, facts: &StageFacts<'_>) -> bool {
        let dpd = facts.days_past_due;
        self.min_dpd <= dpd
            && self.max_dpd.is_none_or(|max_dpd| dpd <= max_dpd)
            && self.min_balance.as_ref().is_none_or(|min_balance| {
                min_balance.in_currency(facts.currency).is_some_and(|min| min <= facts.balance)
            })
            && self.max_balance.as_ref().is_none_or(|max_balance| {
                max_balance.in_currency(facts.currency).is_some_and(|max| facts.balance <= max)
            })
            && self.products.as_ref().is_none_or(|products| products.contains(&facts.product))
            && self.jurisdictions.as_ref().is_none_or(|jurisdictions| {
                jurisdictions.iter().any(|pattern| pattern.matches(facts.country, facts.region))
            })
            && self.score_bands.as_ref().is_none_or(|bands| {
                facts.score_band.is_some_and(|band| bands.iter().any(|known| known == band))
            })
            && self.signals.iter().all(|signal| facts.signals.contains(signal))
            && self.customer.matches(facts)
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
            + signal_count
            + self.customer.count();
        let dpd_range_days =
            self.max_dpd.map(|max_dpd| (max_dpd - self.min_dpd + 1).unsigned_abs());
        Specificity { condition_count, dpd_range_days }
    }

    /// Returns true if and only if some account could meet both `self` and `other`: every
    /// dimension's ranges overlap or lists intersect (signals never conflict, as an account
    /// may show all of them).
    pub(super) fn can_match_together(&self, other: &StageConditions) -> bool {
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
        // The balances overlap in some currency both stages can apply to (a stage with a
        // balance condition applies only to the currencies it names a figure for).
        let bounds = [&self.min_balance, &self.max_balance, &other.min_balance, &other.max_balance];
        let mut currencies: Vec<Option<Currency>> = bounds
            .iter()
            .filter_map(|bound| bound.as_ref())
            .flat_map(Amount::currencies)
            .map(Some)
            .collect();
        if currencies.is_empty() {
            currencies.push(None);
        }
        let balance_overlap = currencies.into_iter().any(|currency| {
            let figure = |bound: &Option<Amount>| -> Result<Option<Decimal>, ()> {
                match (bound, currency) {
                    (None, _) => Ok(None),
                    (Some(amount), Some(currency)) => {
                        amount.in_currency(currency).map(Some).ok_or(())
                    }
                    (Some(_), None) => Err(()),
                }
            };
            let (Ok(self_min), Ok(self_max), Ok(other_min), Ok(other_max)) = (
                figure(&self.min_balance),
                figure(&self.max_balance),
                figure(&other.min_balance),
                figure(&other.max_balance),
            ) else {
                return false;
            };
            match (self_min.max(other_min), self_max, other_max) {
                (Some(low), Some(left), Some(right)) => low <= left.min(right),
                (Some(low), Some(bound), None) | (Some(low), None, Some(bound)) => low <= bound,
                _ => true,
            }
        });
        dpd_overlap
            && balance_overlap
            && lists_intersect(self.products.as_ref(), other.products.as_ref(), |a, b| a == b)
            && lists_intersect(
                self.jurisdictions.as_ref(),
                other.jurisdictions.as_ref(),
                JurisdictionPattern::overlaps,
            )
            && lists_intersect(self.score_bands.as_ref(), other.score_bands.as_ref(), |a, b| a == b)
            && self.customer.can_match_together(&other.customer)
    }
}

/// How specific a stage is. Greater is more specific, and the most specific matching stage is
/// selected.
///
/// The order: more conditions first, then the narrower days-past-due range (an open-ended
/// range is the widest). `condition_count` counts one for each of `min_balance`,
/// `max_balance`, `products` and `score_bands` when set, one for each required signal, one for
/// each customer condition (`min_tenure_months`, `max_tenure_months`, `min_lifetime_value`), and for
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

    pub(super) fn covers(&self, other: &JurisdictionPattern) -> bool {
        self.country == other.country && self.region.is_none() && other.region.is_some()
    }

    pub(super) fn parse(text: &str) -> Option<JurisdictionPattern> {
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
    /// The customer complained (reported with `Command::ReportSignal`, for any debtor).
    Complaint,
    /// More of what the debtor buys comes back or is credited (the `returns_pattern`
    /// detector).
    ReturnsPatternChange,
    /// The debtor pays later and later after the due dates (the `payment_drift` detector).
    PaymentDrift,
}

impl Signal {
    /// Every signal, in a fixed order.
    pub const ALL: [Signal; 11] = [
        Signal::BrokenPromise,
        Signal::UnreturnedCalls,
        Signal::ExtensionRequest,
        Signal::PurchasePatternChange,
        Signal::ManagementResignation,
        Signal::StaffTurnover,
        Signal::AssetSales,
        Signal::LateFiling,
        Signal::Complaint,
        Signal::ReturnsPatternChange,
        Signal::PaymentDrift,
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
            Signal::Complaint => "complaint",
            Signal::ReturnsPatternChange => "returns_pattern_change",
            Signal::PaymentDrift => "payment_drift",
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
    /// The agency's commission on what it recovers (`0.25` for 25%; 0 when the policy says
    /// none), recorded with the placement as `Command::Place` records its own.
    pub commission_rate: Decimal,
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
    /// Smallest installment, per currency ([`Amount`]); a currency it names no figure for
    /// has no minimum. Default 25.00 in the policy's `currency`, none without one.
    pub min_installment: Amount,
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
            min_installment: Amount::default(),
            frequencies: vec![Frequency::Weekly, Frequency::Fortnightly, Frequency::Monthly],
            default_after_missed: 2,
            max_annual_rate: Decimal::ZERO,
        }
    }
}

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

/// How far dates given by a user may run ahead of today.
///
/// The engine itself never reads the clock, so it does not apply this rule: the command-line
/// tool does, with today from the system clock (or `--recorded-at`), and refuses a cycle date
/// or a value date more than `future_days_max` days after today unless `--allow-future` is
/// given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DateRules {
    /// Most days after today a cycle date or a value date may be. Default
    /// [`FUTURE_DAYS_DEFAULT`], at most [`DELAY_DAYS_MAX`].
    pub future_days_max: u32,
}

impl Default for DateRules {
    fn default() -> DateRules {
        DateRules { future_days_max: FUTURE_DAYS_DEFAULT }
    }
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
    /// A built-in scorer that scores the accounts the arm's scorer failed to score (an error,
    /// a crash, a deadline, outputs the engine refused), or `None`: they stay unscored.
    pub scorer_fallback: Option<String>,
    /// A built-in strategy that proposes the contacts of a debtor the arm's strategy failed
    /// for, or `None`: the debtor is not contacted that day.
    pub strategy_fallback: Option<String>,
    /// The language every message of the arm is written in (one the policy serves), or
    /// `None`: each debtor's own language, with fallback (docs/MESSAGES.md, "An arm's house
    /// style").
    pub language: Option<String>,
    /// The tone every message of the arm has, or `None`: each step's own template. A step
    /// whose template has another tone is written with the policy's first template of this
    /// tone for the step's channel ([`crate::message::Messages::house_template`]).
    pub tone: Option<crate::message::Tone>,
}

impl Arm {
    /// The scorer and strategy names the arm uses, by policy key (`scorer`, `strategy`,
    /// `scorer_fallback`, `strategy_fallback`); `None` where the arm names none.
    pub fn components(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("scorer", self.scorer.as_deref()),
            ("strategy", self.strategy.as_deref()),
            ("scorer_fallback", self.scorer_fallback.as_deref()),
            ("strategy_fallback", self.strategy_fallback.as_deref()),
        ]
    }
}

/// What stage selection needs to know about an account.
#[derive(Debug, Clone, Copy)]
pub struct StageFacts<'a> {
    /// Days past due of the oldest unpaid obligation; negative before its due date.
    pub days_past_due: i64,
    /// Balance, in major units of the account's currency.
    pub balance: Decimal,
    /// The account's currency: the balance conditions compare with their figure in it.
    pub currency: Currency,
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
    /// Whole months the account has been on the books.
    pub tenure_months: i64,
    /// What the customer has paid on the account over its life (payments not reversed), in
    /// major units of its currency. Read only when [`Policy::reads_lifetime_value`]: a caller
    /// may leave it zero otherwise (summing every payment of a long history costs each
    /// decision).
    pub lifetime_paid: Decimal,
}

impl Policy {
    /// Every amount the policy states, with the rule that states it (`stage "late"
    /// min_balance`, `plan.min_installment`), in canonical stage order. An unstated
    /// `plan.min_installment` (no minimum) is not listed.
    pub fn amounts(&self) -> Vec<(String, &Amount)> {
        let mut amounts = Vec::new();
        for stage in &self.stages {
            if let Some(amount) = &stage.conditions.min_balance {
                amounts.push((format!("stage {:?} min_balance", stage.name), amount));
            }
            if let Some(amount) = &stage.conditions.max_balance {
                amounts.push((format!("stage {:?} max_balance", stage.name), amount));
            }
            if let Some(amount) = &stage.conditions.customer.min_lifetime_value {
                amounts.push((format!("stage {:?} min_lifetime_value", stage.name), amount));
            }
        }
        if !self.plan.min_installment.is_empty() {
            amounts.push(("plan.min_installment".to_owned(), &self.plan.min_installment));
        }
        amounts
    }

    /// The first amount of the policy that names no figure for `currency`: its rule, if any.
    /// A policy whose amounts cannot apply to a currency of the portfolio is refused.
    pub fn rule_without(&self, currency: Currency) -> Option<String> {
        self.amounts()
            .into_iter()
            .find(|(_, amount)| amount.in_currency(currency).is_none())
            .map(|(rule, _)| rule)
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

    /// The horizon of dates given by a user.
    pub fn dates(&self) -> &DateRules {
        &self.dates
    }

    /// The arms, in file order (at least one).
    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// The messages: templates, disclosures and the payment link rule (docs/MESSAGES.md);
    /// without templates in a policy that defines none.
    pub fn messages(&self) -> &crate::message::Messages {
        &self.messages
    }

    /// The `[credit]` section: the credit rules, in file order, and the review schedule.
    pub fn credit(&self) -> &crate::credit::CreditPolicy {
        &self.credit
    }

    /// The `[detectors]` section: the detectors' parameters (defaults when absent).
    pub fn detectors(&self) -> &crate::detect::DetectorPolicy {
        &self.detectors
    }

    /// The `[[assignment]]` rules, in file order.
    pub fn assignments(&self) -> &[Assignment] {
        &self.assignments
    }

    /// The first assignment rule that assigns an account in `stage`, of `product`, owed by
    /// `debtor`, if any.
    pub fn assignment_for(
        &self,
        stage: &str,
        debtor: &crate::model::Debtor,
        product: ProductKind,
    ) -> Option<&Assignment> {
        self.assignments.iter().find(|rule| rule.matches(stage, debtor, product))
    }

    /// True if and only if a stage's conditions read the customer's lifetime value
    /// (`min_lifetime_value`): only then must [`StageFacts::lifetime_paid`] be filled, which
    /// counts every payment of the account's life.
    ///
    /// ```
    /// use arrears_core::policy::Policy;
    ///
    /// let text = "name = \"p\"\nversion = 1\ncreditor = \"first_party\"\n\n[[stage]]\nname = \"late\"\nmin_dpd = 1\n";
    /// let policy = Policy::from_toml(text, "p.toml").unwrap();
    /// assert!(!policy.reads_lifetime_value());
    /// let text = format!("{text}min_lifetime_value = {{ USD = \"10.00\" }}\n");
    /// assert!(Policy::from_toml(&text, "p.toml").unwrap().reads_lifetime_value());
    /// ```
    pub fn reads_lifetime_value(&self) -> bool {
        self.reads_lifetime_value
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

    /// The arm a debtor belongs to, by a stable hash of the debtor's id and the policy name.
    ///
    /// The unit is the debtor, not the account: contacts are coordinated per debtor, so every
    /// account of a debtor must run under one arm's strategy, or the experiment is
    /// contaminated (issue 14 point 8). With `hash = arm_hash(debtor_id, name)` and `total` the sum of the weights, the bucket
    /// is `(hash * total) >> 64` (a 128-bit product, so the well-mixed high bits decide), and
    /// the arm is the first, in file order, whose running weight total exceeds the bucket. The
    /// same id, policy name and arms always give the same arm, on every platform and version.
    pub fn arm_for(&self, debtor_id: u64) -> &Arm {
        let total_weight: u64 = self.arms.iter().map(|arm| u64::from(arm.weight)).sum();
        assert!(0 < total_weight, "a policy has at least one arm of positive weight");
        let hash = arm_hash(debtor_id, &self.name);
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

/// The stable hash that assigns debtors to arms: FNV-1a 64 over the 8 little-endian bytes of
/// `debtor_id`, then the UTF-8 bytes of `policy_name`.
///
/// FNV-1a 64 starts from `0xcbf29ce484222325` and, for each byte, XORs it in and multiplies by
/// `0x100000001b3` (wrapping). It is fixed forever: changing it would move debtors between
/// arms mid-experiment. (Before issue 14 point 8 the same function was fed account ids.)
///
/// # Example
///
/// ```
/// use arrears_core::policy::arm_hash;
/// assert_eq!(arm_hash(1, "standard"), arm_hash(1, "standard"));
/// assert_ne!(arm_hash(1, "standard"), arm_hash(1, "challenger"));
/// ```
pub fn arm_hash(debtor_id: u64, policy_name: &str) -> u64 {
    fnv1a_64(debtor_id.to_le_bytes().iter().chain(policy_name.as_bytes()).copied())
}

pub(super) fn fnv1a_64(bytes: impl IntoIterator<Item = u8>) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.into_iter().fold(OFFSET_BASIS, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}
