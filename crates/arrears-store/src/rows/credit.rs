//! Rows of credit decisions, standings and reviews.

use std::collections::BTreeMap;

use arrears_core::credit::{
    CreditApplication, CreditDecision, CreditReview, CreditScore, CreditStanding, CreditTerms,
    Decided, ReviewAction, ReviewMark, ReviewTrigger, Verdict,
};
use arrears_core::detect::DetectionMark;
use arrears_core::strategy::Features;
use serde::{Deserialize, Serialize};

use super::Stored;
use crate::stored;

use super::model::*;
use super::{CurrencyCode, Day, DecimalText, Instant};

/// The stored form of `arrears_core::credit::CreditDecision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditDecisionRow {
    pub id: u64,
    pub application: CreditApplicationRow,
    pub decided_at: Instant,
    pub policy: (String, u32),
    pub features: Vec<FeaturesRow>,
    pub score: Option<CreditScoreRow>,
    pub signals: Vec<SignalRow>,
    pub decided: DecidedRow,
}

/// The stored form of `arrears_core::credit::CreditStanding`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditStandingRow {
    pub debtor: u64,
    pub product: ProductKindRow,
    pub currency: CurrencyCode,
    pub granted_limit_minor: i64,
    pub granted_terms: CreditTermsRow,
    pub limit_minor: i64,
    pub terms: CreditTermsRow,
    pub refuse_to_trade: bool,
    pub stopped_by_hand: bool,
    pub granted_on: Day,
    pub last_review: Option<ReviewMarkRow>,
    pub detected: Option<DetectionMarkRow>,
}

/// The stored form of `arrears_core::credit::CreditReview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditReviewRow {
    pub debtor: u64,
    pub seq: u64,
    pub reviewed_on: Day,
    pub trigger: ReviewTriggerRow,
    pub score: Option<CreditScoreRow>,
    pub signals: Vec<SignalRow>,
    pub decided: DecidedRow,
    pub action: ReviewActionRow,
    pub limit_before_minor: i64,
}

/// The stored form of `arrears_core::credit::CreditApplication`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditApplicationRow {
    pub debtor: u64,
    pub product: ProductKindRow,
    pub limit: MoneyRow,
    pub terms: CreditTermsRow,
    pub applied_on: Day,
    pub attributes: BTreeMap<String, String>,
}

/// The stored form of `arrears_core::credit::CreditTerms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditTermsRow {
    pub net_days: u16,
    pub deposit_share: DecimalText,
    pub cash_on_delivery: bool,
    pub interest_rate: DecimalText,
}

/// The stored form of `arrears_core::credit::Verdict`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum VerdictRow {
    Approve,
    Decline,
    Refer,
}

/// The stored form of `arrears_core::strategy::Features` in a credit decision: what the scorer
/// was given, which stops at `right_party_contacts_30d` (the plugin ABI's features).
/// `calls_30d`, which the stages' live rules count, is not a scorer input: decisions record it
/// as zero, and it is not stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct FeaturesRow {
    pub account: u64,
    pub debtor: u64,
    pub product: ProductKindRow,
    pub as_of: Day,
    pub currency: CurrencyCode,
    pub days_past_due: i64,
    pub total_outstanding_minor: i64,
    pub past_due_minor: i64,
    pub credit_limit_minor: Option<i64>,
    pub months_on_book: i64,
    pub payments_90d: u32,
    pub paid_90d_minor: i64,
    pub reversals_90d: u32,
    pub broken_promises: u32,
    pub kept_promises: u32,
    pub attempts_30d: u32,
    pub right_party_contacts_30d: u32,
}

/// The stored form of `arrears_core::credit::CreditScore`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditScoreRow {
    pub scorer: String,
    pub sha256: Option<[u8; 32]>,
    pub points: i32,
    pub band: String,
    pub reasons: Vec<String>,
}

/// The stored form of `arrears_core::credit::Decided`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DecidedRow {
    pub verdict: VerdictRow,
    pub rule: Option<String>,
    pub limit_minor: i64,
    pub terms: CreditTermsRow,
    pub reasons: Vec<String>,
}

/// The stored form of `arrears_core::credit::ReviewMark`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ReviewMarkRow {
    pub reviewed_on: Day,
    pub points: Option<i32>,
    pub signals: Vec<SignalRow>,
}

/// The stored form of `arrears_core::credit::ReviewTrigger`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ReviewTriggerRow {
    First,
    Schedule,
    Signal,
    ScoreDrop,
}

/// The stored form of `arrears_core::credit::ReviewAction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ReviewActionRow {
    Tighten,
    Loosen,
    Hold,
    Stop,
    Unchanged,
}

stored!(struct CreditDecision => CreditDecisionRow { id, application, decided_at, policy, features, score, signals, decided });
stored!(struct CreditStanding => CreditStandingRow { debtor, product, currency, granted_limit_minor, granted_terms, limit_minor, terms, refuse_to_trade, stopped_by_hand, granted_on, last_review, detected });
stored!(struct CreditReview => CreditReviewRow { debtor, seq, reviewed_on, trigger, score, signals, decided, action, limit_before_minor });
stored!(struct CreditApplication => CreditApplicationRow { debtor, product, limit, terms, applied_on, attributes });
stored!(struct CreditTerms => CreditTermsRow { net_days, deposit_share, cash_on_delivery, interest_rate });
stored!(enum Verdict => VerdictRow { Approve, Decline, Refer });
impl Stored<FeaturesRow> for Features {
    fn to_row(&self) -> FeaturesRow {
        let Features {
            account,
            debtor,
            product,
            as_of,
            currency,
            days_past_due,
            total_outstanding_minor,
            past_due_minor,
            credit_limit_minor,
            months_on_book,
            payments_90d,
            paid_90d_minor,
            reversals_90d,
            broken_promises,
            kept_promises,
            attempts_30d,
            right_party_contacts_30d,
            calls_30d: _,
        } = self;
        FeaturesRow {
            account: account.to_row(),
            debtor: debtor.to_row(),
            product: product.to_row(),
            as_of: as_of.to_row(),
            currency: currency.to_row(),
            days_past_due: *days_past_due,
            total_outstanding_minor: *total_outstanding_minor,
            past_due_minor: *past_due_minor,
            credit_limit_minor: *credit_limit_minor,
            months_on_book: *months_on_book,
            payments_90d: *payments_90d,
            paid_90d_minor: *paid_90d_minor,
            reversals_90d: *reversals_90d,
            broken_promises: *broken_promises,
            kept_promises: *kept_promises,
            attempts_30d: *attempts_30d,
            right_party_contacts_30d: *right_party_contacts_30d,
        }
    }

    fn from_row(row: FeaturesRow) -> Self {
        let FeaturesRow {
            account,
            debtor,
            product,
            as_of,
            currency,
            days_past_due,
            total_outstanding_minor,
            past_due_minor,
            credit_limit_minor,
            months_on_book,
            payments_90d,
            paid_90d_minor,
            reversals_90d,
            broken_promises,
            kept_promises,
            attempts_30d,
            right_party_contacts_30d,
        } = row;
        Features {
            account: Stored::from_row(account),
            debtor: Stored::from_row(debtor),
            product: Stored::from_row(product),
            as_of: Stored::from_row(as_of),
            currency: Stored::from_row(currency),
            days_past_due,
            total_outstanding_minor,
            past_due_minor,
            credit_limit_minor,
            months_on_book,
            payments_90d,
            paid_90d_minor,
            reversals_90d,
            broken_promises,
            kept_promises,
            attempts_30d,
            right_party_contacts_30d,
            calls_30d: 0,
        }
    }
}

/// A credit decision as the builds of 2026-12-03 between `Features::calls_30d`'s arrival and
/// the stored rows wrote it: version 1, with `calls_30d` (always zero in a decision) after each
/// feature set. Read only when a record does not decode as [`CreditDecisionRow`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditDecisionWithCallsRow {
    pub id: u64,
    pub application: CreditApplicationRow,
    pub decided_at: Instant,
    pub policy: (String, u32),
    pub features: Vec<(FeaturesRow, u32)>,
    pub score: Option<CreditScoreRow>,
    pub signals: Vec<SignalRow>,
    pub decided: DecidedRow,
}

impl From<CreditDecisionWithCallsRow> for CreditDecisionRow {
    fn from(row: CreditDecisionWithCallsRow) -> CreditDecisionRow {
        let CreditDecisionWithCallsRow {
            id,
            application,
            decided_at,
            policy,
            features,
            score,
            signals,
            decided,
        } = row;
        let features = features.into_iter().map(|(features, _calls)| features).collect();
        CreditDecisionRow { id, application, decided_at, policy, features, score, signals, decided }
    }
}
stored!(struct CreditScore => CreditScoreRow { scorer, sha256, points, band, reasons });
stored!(struct Decided => DecidedRow { verdict, rule, limit_minor, terms, reasons });
stored!(struct ReviewMark => ReviewMarkRow { reviewed_on, points, signals });
stored!(enum ReviewTrigger => ReviewTriggerRow { First, Schedule, Signal, ScoreDrop });
stored!(enum ReviewAction => ReviewActionRow { Tighten, Loosen, Hold, Stop, Unchanged });

/// The stored form of `arrears_core::detect::DetectionMark` (credit standing version 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DetectionMarkRow {
    pub on: Day,
    pub until: Option<Day>,
    pub inputs: u64,
}

stored!(struct DetectionMark => DetectionMarkRow { on, until, inputs });
