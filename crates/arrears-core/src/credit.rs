//! Credit management: applications, the policy's credit rules, decisions and what a debtor is
//! granted (its limit and terms, and whether the creditor still trades with it).
//!
//! A [`CreditApplication`] asks for a limit and [`CreditTerms`] on a product. The policy's
//! `[[credit.rule]]` list ([`CreditRule`], in file order) is read against the application, the
//! debtor's score and the signals in force: the first rule whose conditions all hold fires and
//! gives the [`Verdict`], caps the limit and tightens the terms ([`decide`]). The same rules
//! decide the periodic credit reviews of a debtor's standing. Everything here is pure: the
//! engine gathers the score and the signals, stores the [`CreditDecision`] and audits it.
//!
//! Money stays exact: limits are minor units of the application's currency once decided, rates
//! and deposit shares are decimals.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::DebtorId;
use crate::model::ProductKind;
use crate::money::{Currency, Money};
use crate::policy::{Amount, Signal};
use crate::strategy::Features;

/// Most reason codes a decision carries (as adverse-action notices need them).
pub const DECISION_REASONS_MAX: usize = 4;
/// Most `[[credit.rule]]` entries in a policy.
pub const CREDIT_RULES_MAX: usize = 64;
/// Most attributes an application carries.
pub const ATTRIBUTES_MAX: usize = 32;
/// Longest net-days term.
pub const NET_DAYS_MAX: u16 = 3650;

/// The reason code of a decision no rule fired for (it is referred to a person).
pub const REASON_NO_RULE: &str = "no_rule_matched";
/// The reason code of a decision taken without a score (the scorer failed).
pub const REASON_UNSCORED: &str = "score_unavailable";

/// The terms of trade credit: when invoices fall due, what is paid up front, and the interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditTerms {
    /// Days from invoice to due date (`net 30`).
    pub net_days: u16,
    /// The share of each order paid before delivery, 0 to 1.
    #[serde(deserialize_with = "crate::money::deserialize_plain_decimal")]
    pub deposit_share: Decimal,
    /// True if and only if every order is paid on delivery.
    pub cash_on_delivery: bool,
    /// The annual interest rate on overdue amounts, 0 to 1 (`0.08`).
    #[serde(deserialize_with = "crate::money::deserialize_plain_decimal")]
    pub interest_rate: Decimal,
}

impl CreditTerms {
    /// Checks the ranges; the name of the field that is out of range, and why.
    ///
    /// # Errors
    ///
    /// `(field, reason)` for the first field out of range.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.net_days > NET_DAYS_MAX {
            return Err(("terms.net_days", format!("{} is above {NET_DAYS_MAX}", self.net_days)));
        }
        for (field, share) in [
            ("terms.deposit_share", self.deposit_share),
            ("terms.interest_rate", self.interest_rate),
        ] {
            if share < Decimal::ZERO || Decimal::ONE < share {
                return Err((field, format!("{share} is not between 0 and 1")));
            }
        }
        Ok(())
    }

    /// Returns true if and only if `self` is at least as strict as `other` in every term.
    pub fn at_least_as_strict_as(&self, other: &CreditTerms) -> bool {
        self.net_days <= other.net_days
            && self.deposit_share >= other.deposit_share
            && (self.cash_on_delivery || !other.cash_on_delivery)
            && self.interest_rate >= other.interest_rate
    }
}

/// A request for credit: a debtor, a product, a limit and terms, and what else the applicant
/// states (sector, years trading...), which rules may test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditApplication {
    /// The applicant (an existing debtor).
    pub debtor: DebtorId,
    /// The product asked for.
    pub product: ProductKind,
    /// The limit asked for; its currency is the currency of the decision.
    pub limit: Money,
    /// The terms asked for.
    pub terms: CreditTerms,
    /// The day of the application: the score and the signals are as of it.
    pub applied_on: NaiveDate,
    /// Stated attributes, by name (at most [`ATTRIBUTES_MAX`]).
    pub attributes: BTreeMap<String, String>,
}

/// What a decision or a review says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Credit granted, with the rule's caps applied.
    Approve,
    /// Credit refused; in a review, stop new business with the debtor.
    Decline,
    /// A person decides; in a review, hold the terms as they are.
    Refer,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 3] = [Verdict::Approve, Verdict::Decline, Verdict::Refer];

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Decline => "decline",
            Verdict::Refer => "refer",
        }
    }
}

/// A `[[credit.rule]]` of the policy: conditions (all must hold; an absent one always holds),
/// the verdict, the caps it puts on the limit and terms, and its reason codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRule {
    /// The rule's name, shown with every decision it fires for.
    pub name: String,
    /// What the rule decides.
    pub verdict: Verdict,
    /// The products it applies to (empty: any).
    pub products: Vec<ProductKind>,
    /// The score bands it applies to (empty: any; a band list never matches an unscored
    /// debtor).
    pub score_bands: Vec<String>,
    /// It applies only when the score is below this (an unscored debtor never matches).
    pub score_below: Option<i32>,
    /// It applies only when the score is at least this (an unscored debtor never matches).
    pub score_at_least: Option<i32>,
    /// It applies when any of these signals is in force (empty: always).
    pub signals: Vec<Signal>,
    /// It applies only when the limit asked for (or held, in a review) is above this.
    pub limit_above: Option<Amount>,
    /// It applies only when the application states each of these attributes with this value.
    pub attributes: BTreeMap<String, String>,
    /// The largest limit it grants.
    pub limit_max: Option<Amount>,
    /// The longest net days it grants.
    pub net_days_max: Option<u16>,
    /// The smallest deposit share it grants.
    pub deposit_share_min: Option<Decimal>,
    /// True if and only if it imposes cash on delivery.
    pub cash_on_delivery: bool,
    /// The lowest interest rate it grants.
    pub interest_rate_min: Option<Decimal>,
    /// Its reason codes, the strongest first.
    pub reasons: Vec<String>,
}

/// The credit section of a policy: the rules in file order and when reviews are due.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreditPolicy {
    /// The `[[credit.rule]]` entries, in file order: the first that matches fires.
    pub rules: Vec<CreditRule>,
    /// `[credit.review]`: when a debtor's standing is reviewed.
    pub review: CreditReviewRules,
}

/// When a debtor's credit standing is reviewed (`[credit.review]`); with none of them set, only
/// the first review of a standing happens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreditReviewRules {
    /// A review is due this many days after the last one.
    pub every_days: Option<u32>,
    /// A review is due when one of these signals comes into force since the last one.
    pub on_signals: Vec<Signal>,
    /// A review is due when the score fell by at least this many points since the last one
    /// (the score is computed each time `arrears credit review` runs).
    pub score_drop: Option<i32>,
}

/// The facts a credit rule is read against.
#[derive(Debug, Clone, Copy)]
pub struct CreditFacts<'a> {
    /// The product.
    pub product: ProductKind,
    /// The limit asked for (a decision) or held (a review).
    pub limit: Money,
    /// The debtor's score, if scored.
    pub score: Option<&'a CreditScore>,
    /// The signals in force.
    pub signals: &'a [Signal],
    /// The stated attributes.
    pub attributes: &'a BTreeMap<String, String>,
}

impl CreditRule {
    /// Returns true if and only if every condition of the rule holds for `facts`.
    pub fn matches(&self, facts: &CreditFacts<'_>) -> bool {
        let points = facts.score.map(|score| score.points);
        let band = facts.score.map(|score| score.band.as_str());
        (self.products.is_empty() || self.products.contains(&facts.product))
            && (self.score_bands.is_empty()
                || band.is_some_and(|band| self.score_bands.iter().any(|known| known == band)))
            && self.score_below.is_none_or(|below| points.is_some_and(|points| points < below))
            && self.score_at_least.is_none_or(|least| points.is_some_and(|points| points >= least))
            && (self.signals.is_empty()
                || self.signals.iter().any(|signal| facts.signals.contains(signal)))
            && self.limit_above.as_ref().is_none_or(|above| {
                above
                    .in_currency(facts.limit.currency())
                    .is_some_and(|above| facts.limit.amount() > above)
            })
            && self.attributes.iter().all(|(name, value)| facts.attributes.get(name) == Some(value))
    }

    /// `terms` with the rule's caps applied: never looser than either.
    pub fn tighten(&self, terms: &CreditTerms) -> CreditTerms {
        CreditTerms {
            net_days: self.net_days_max.map_or(terms.net_days, |max| terms.net_days.min(max)),
            deposit_share: self
                .deposit_share_min
                .map_or(terms.deposit_share, |min| terms.deposit_share.max(min)),
            cash_on_delivery: terms.cash_on_delivery || self.cash_on_delivery,
            interest_rate: self
                .interest_rate_min
                .map_or(terms.interest_rate, |min| terms.interest_rate.max(min)),
        }
    }

    /// `limit_minor` (in `currency`) capped by the rule's `limit_max` in that currency, if it
    /// states one.
    pub fn cap_limit(&self, limit_minor: i64, currency: Currency) -> i64 {
        let Some(max) = self.limit_max.as_ref().and_then(|max| max.in_currency(currency)) else {
            return limit_minor;
        };
        let max_minor = Money::new(max, currency).to_minor().unwrap_or(i64::MAX);
        limit_minor.min(max_minor)
    }
}

/// The score a decision or review used: the scorer's name and pin, the points rounded to a
/// whole point, the band and the scorer's reason codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditScore {
    /// The scorer (as the policy arm names it).
    pub scorer: String,
    /// The SHA-256 of the scorer's library, when it is a library of the store's registry;
    /// `None` for a component linked into the application.
    pub sha256: Option<[u8; 32]>,
    /// The points, rounded to the nearest whole point.
    pub points: i32,
    /// The band.
    pub band: String,
    /// The scorer's reason codes, the strongest first.
    pub reasons: Vec<String>,
}

/// What the rules decided: the verdict, the rule that fired, the granted limit and terms, and
/// the reason codes in explaining order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    /// The verdict.
    pub verdict: Verdict,
    /// The rule that fired (`None`: none did; the verdict is then `Refer`).
    pub rule: Option<String>,
    /// The limit granted, in minor units of the application's currency (0 when declined).
    pub limit_minor: i64,
    /// The terms granted.
    pub terms: CreditTerms,
    /// Up to [`DECISION_REASONS_MAX`] reason codes: the rule's, then the scorer's.
    pub reasons: Vec<String>,
}

/// Reads `rules` in order against `facts` and decides: the first rule that matches fires; its
/// caps apply to `limit_minor` and `terms` (what was asked for, or the standing's baseline in a
/// review). No rule firing refers the application with [`REASON_NO_RULE`].
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
/// use arrears_core::credit::{decide, CreditFacts, CreditTerms, Verdict};
/// use arrears_core::model::ProductKind;
/// use arrears_core::money::{Currency, Money};
/// let terms = CreditTerms {
///     net_days: 30,
///     deposit_share: "0".parse()?,
///     cash_on_delivery: false,
///     interest_rate: "0.08".parse()?,
/// };
/// let attributes = BTreeMap::new();
/// let facts = CreditFacts {
///     product: ProductKind::TradeCredit,
///     limit: Money::parse("5000", Currency::USD)?,
///     score: None,
///     signals: &[],
///     attributes: &attributes,
/// };
/// let decided = decide(&[], &facts, 500_000, &terms);
/// assert_eq!(decided.verdict, Verdict::Refer);
/// assert_eq!(decided.reasons, ["no_rule_matched", "score_unavailable"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decide(
    rules: &[CreditRule],
    facts: &CreditFacts<'_>,
    limit_minor: i64,
    terms: &CreditTerms,
) -> Decided {
    let fired = rules.iter().find(|rule| rule.matches(facts));
    let mut reasons: Vec<String> = match fired {
        Some(rule) => rule.reasons.clone(),
        None => vec![REASON_NO_RULE.to_owned()],
    };
    match facts.score {
        Some(score) => reasons.extend(score.reasons.iter().cloned()),
        None => reasons.push(REASON_UNSCORED.to_owned()),
    }
    let mut explaining: Vec<String> = Vec::new();
    for reason in reasons {
        if !explaining.contains(&reason) && explaining.len() < DECISION_REASONS_MAX {
            explaining.push(reason);
        }
    }
    let Some(rule) = fired else {
        return Decided {
            verdict: Verdict::Refer,
            rule: None,
            limit_minor,
            terms: terms.clone(),
            reasons: explaining,
        };
    };
    let limit_minor = match rule.verdict {
        Verdict::Decline => 0,
        Verdict::Approve | Verdict::Refer => rule.cap_limit(limit_minor, facts.limit.currency()),
    };
    Decided {
        verdict: rule.verdict,
        rule: Some(rule.name.clone()),
        limit_minor,
        terms: rule.tighten(terms),
        reasons: explaining,
    }
}

/// A stored credit decision (the `credit_decisions` table): the application, everything the
/// rules read (the features scored, the score, the signals), the policy, and what was decided.
/// `arrears explain decision` shows it and decides it again from the same inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditDecision {
    /// The decision's id (1, 2, ...).
    pub id: u64,
    /// The application.
    pub application: CreditApplication,
    /// When the engine decided it.
    pub decided_at: DateTime<Utc>,
    /// The policy's name and version.
    pub policy: (String, u32),
    /// The features the scorer was given, one per account of the debtor (or one for an
    /// applicant with no account yet).
    pub features: Vec<Features>,
    /// The debtor's score: the lowest of its accounts' (`None`: the scorer failed).
    pub score: Option<CreditScore>,
    /// The signals in force on the application day.
    pub signals: Vec<Signal>,
    /// What the rules decided.
    pub decided: Decided,
}

/// A debtor's credit standing (the `credit_standings` table): the limit and terms last granted
/// (by an approved decision or `SetCreditTerms`: the baseline reviews tighten from and loosen
/// back to), the limit and terms in force, whether the creditor still trades with the debtor,
/// and the last review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditStanding {
    /// The debtor.
    pub debtor: DebtorId,
    /// The product the standing is for.
    pub product: ProductKind,
    /// The currency of the limits.
    pub currency: Currency,
    /// The limit granted, in minor units.
    pub granted_limit_minor: i64,
    /// The terms granted.
    pub granted_terms: CreditTerms,
    /// The limit in force, in minor units (at most the granted one).
    pub limit_minor: i64,
    /// The terms in force (at least as strict as the granted ones).
    pub terms: CreditTerms,
    /// True if and only if new business with the debtor is refused: new accounts and new
    /// credit on its accounts are rejected.
    pub refuse_to_trade: bool,
    /// True if and only if refuse to trade was set by hand (`SetCreditTerms`): reviews then
    /// hold the standing as it is, and only another `SetCreditTerms` lifts it.
    pub stopped_by_hand: bool,
    /// The day the standing was granted or last set.
    pub granted_on: NaiveDate,
    /// The last review, if any.
    pub last_review: Option<ReviewMark>,
    /// What the detectors' last run for the debtor left, so that the next runs only when
    /// something changed (appended in credit standing record version 2; `None` for a new
    /// standing: the next run runs them).
    pub detected: Option<crate::detect::DetectionMark>,
}

/// What a review leaves for the next one to compare with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewMark {
    /// The review day.
    pub reviewed_on: NaiveDate,
    /// The score's points then, if scored.
    pub points: Option<i32>,
    /// The signals in force then.
    pub signals: Vec<Signal>,
}

/// Why a review was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewTrigger {
    /// The standing was never reviewed.
    First,
    /// `every_days` passed since the last review.
    Schedule,
    /// A signal of `on_signals` came into force.
    Signal,
    /// The score fell by `score_drop` or more.
    ScoreDrop,
}

impl ReviewTrigger {
    /// The name as shown.
    pub fn name(self) -> &'static str {
        match self {
            ReviewTrigger::First => "first",
            ReviewTrigger::Schedule => "schedule",
            ReviewTrigger::Signal => "signal",
            ReviewTrigger::ScoreDrop => "score_drop",
        }
    }
}

/// What a review did to the standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// The limit or terms in force became stricter.
    Tighten,
    /// The limit or terms in force became looser (back towards the granted ones), or trade
    /// resumed.
    Loosen,
    /// Referred: the standing is held as it is, for a person to decide.
    Hold,
    /// Declined: new business with the debtor stops (refuse to trade).
    Stop,
    /// Nothing changed.
    Unchanged,
}

impl ReviewAction {
    /// The name as shown.
    pub fn name(self) -> &'static str {
        match self {
            ReviewAction::Tighten => "tighten",
            ReviewAction::Loosen => "loosen",
            ReviewAction::Hold => "hold",
            ReviewAction::Stop => "stop",
            ReviewAction::Unchanged => "unchanged",
        }
    }
}

/// One credit review of a debtor's standing, stored with its score and reasons (the
/// `credit_reviews` table, keyed by debtor and sequence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditReview {
    /// The debtor.
    pub debtor: DebtorId,
    /// The review's sequence among the debtor's (1, 2, ...).
    pub seq: u64,
    /// The review day.
    pub reviewed_on: NaiveDate,
    /// Why it was due.
    pub trigger: ReviewTrigger,
    /// The score (`None`: the scorer failed).
    pub score: Option<CreditScore>,
    /// The signals in force.
    pub signals: Vec<Signal>,
    /// What the rules decided, from the granted limit and terms.
    pub decided: Decided,
    /// What it did to the standing.
    pub action: ReviewAction,
    /// The limit in force before, in minor units.
    pub limit_before_minor: i64,
}

/// The standing after a review that decided `decided`, and what the review did: a decline
/// stops new business; a referral holds the standing as it is; an approval puts the decided
/// limit and terms (the granted ones with the rule's caps) in force and resumes trade. A
/// standing stopped by hand is held whatever the rules say.
pub fn apply_review(
    standing: &CreditStanding,
    decided: &Decided,
) -> (CreditStanding, ReviewAction) {
    let mut next = standing.clone();
    if standing.stopped_by_hand {
        return (next, ReviewAction::Hold);
    }
    match decided.verdict {
        Verdict::Refer => return (next, ReviewAction::Hold),
        Verdict::Decline => {
            next.refuse_to_trade = true;
            let action =
                if standing.refuse_to_trade { ReviewAction::Unchanged } else { ReviewAction::Stop };
            return (next, action);
        }
        Verdict::Approve => {
            next.refuse_to_trade = false;
            next.limit_minor = decided.limit_minor.min(standing.granted_limit_minor);
            next.terms = decided.terms.clone();
        }
    }
    let looser = standing.refuse_to_trade
        || next.limit_minor > standing.limit_minor
        || !next.terms.at_least_as_strict_as(&standing.terms);
    let stricter = next.limit_minor < standing.limit_minor
        || !standing.terms.at_least_as_strict_as(&next.terms);
    let action = match (stricter, looser) {
        (true, _) => ReviewAction::Tighten,
        (false, true) => ReviewAction::Loosen,
        (false, false) => ReviewAction::Unchanged,
    };
    (next, action)
}

/// Why a review is due on `as_of` for `standing` under `rules`, given today's score points and
/// signals; `None` if it is not due.
pub fn review_due(
    rules: &CreditReviewRules,
    standing: &CreditStanding,
    points: Option<i32>,
    signals: &[Signal],
    as_of: NaiveDate,
) -> Option<ReviewTrigger> {
    let Some(last) = &standing.last_review else { return Some(ReviewTrigger::First) };
    if last.reviewed_on >= as_of {
        return None;
    }
    let new_signal = signals
        .iter()
        .any(|signal| rules.on_signals.contains(signal) && !last.signals.contains(signal));
    if new_signal {
        return Some(ReviewTrigger::Signal);
    }
    if let (Some(drop), Some(before), Some(now)) = (rules.score_drop, last.points, points) {
        if before - now >= drop {
            return Some(ReviewTrigger::ScoreDrop);
        }
    }
    let every = rules.every_days?;
    let days = (as_of - last.reviewed_on).num_days();
    (days >= i64::from(every)).then_some(ReviewTrigger::Schedule)
}

#[cfg(test)]
mod tests;
