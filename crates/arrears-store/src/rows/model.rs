//! Rows of debtors, accounts, obligations, terms, money.

use arrears_core::model::{
    Account, Attorney, Component, ConsentRecord, ContactChannel, ContactPoint, ContactPointKind,
    ContactRestrictions, DayCount, Debtor, DebtorFlags, DebtorKind, InterestBase, InterestTerms,
    Jurisdiction, LateFeeRule, Obligation, ObligationKind, ProductKind, ReportedSignal, Terms,
    Waterfall,
};
use arrears_core::money::{Money, RoundingRule};
use arrears_core::policy::Signal;
use serde::{Deserialize, Serialize};

use super::Stored;
use crate::stored;

use super::{CurrencyCode, Day, DecimalText, Instant};

pub(super) mod bytes;

/// The stored form of `arrears_core::model::Debtor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DebtorRow {
    pub id: u64,
    pub external_ref: Option<String>,
    pub kind: DebtorKindRow,
    pub name: String,
    pub jurisdiction: JurisdictionRow,
    pub time_zones: Vec<String>,
    pub language: String,
    pub contact_points: Vec<ContactPointRow>,
    pub flags: DebtorFlagsRow,
    pub restrictions: ContactRestrictionsRow,
    pub attorney: Option<AttorneyRow>,
    pub reported_signals: Vec<ReportedSignalRow>,
}

/// The stored form of `arrears_core::model::Account`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AccountRow {
    pub id: u64,
    pub external_ref: Option<String>,
    pub debtor: u64,
    pub product: ProductKindRow,
    pub currency: CurrencyCode,
    pub credit_limit_minor: Option<i64>,
    pub opened_on: Day,
    pub terms: TermsRow,
}

/// The stored form of [`crate::AccountRecord`]: the account's row, then (account record
/// version 3) the jurisdiction of its debtor; bincode writes the nested row's fields in
/// place, so the bytes are the account row's with the jurisdiction appended, and an older
/// record reads with none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AccountRecordRow {
    pub account: AccountRow,
    pub debtor_jurisdiction: Option<JurisdictionRow>,
}

impl Stored<AccountRecordRow> for crate::AccountRecord {
    fn to_row(&self) -> AccountRecordRow {
        AccountRecordRow {
            account: self.account.to_row(),
            debtor_jurisdiction: self.debtor_jurisdiction.to_row(),
        }
    }

    fn from_row(row: AccountRecordRow) -> Self {
        crate::AccountRecord {
            account: Stored::from_row(row.account),
            debtor_jurisdiction: Stored::from_row(row.debtor_jurisdiction),
        }
    }
}

/// The stored form of `arrears_core::model::Obligation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ObligationRow {
    pub id: u64,
    pub account: u64,
    pub external_ref: Option<String>,
    pub kind: ObligationKindRow,
    pub issued_on: Day,
    pub due_on: Day,
    pub original_minor: [i64; 3],
}

/// The stored form of `arrears_core::model::DebtorKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum DebtorKindRow {
    Person,
    Business,
}

/// The stored form of `arrears_core::model::Jurisdiction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct JurisdictionRow {
    pub country: String,
    pub region: Option<String>,
}

/// The stored form of `arrears_core::model::ContactPoint`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ContactPointRow {
    pub channel: ContactChannelRow,
    pub address: String,
    pub kind: ContactPointKindRow,
    pub consent: bool,
    pub opted_out: bool,
}

/// The stored form of `arrears_core::model::DebtorFlags`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DebtorFlagsRow {
    pub cease_communication: bool,
    pub attorney_represented: bool,
    pub bankruptcy: bool,
    pub deceased: bool,
}

/// The stored form of `arrears_core::model::ContactRestrictions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ContactRestrictionsRow {
    pub work_contact_prohibited: bool,
    pub litigation_served: bool,
    pub call_consent_given_at: Option<Instant>,
    pub opted_out_channels: Vec<ContactChannelRow>,
    pub consents: Vec<ConsentRecordRow>,
}

/// The stored form of `arrears_core::model::Attorney`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AttorneyRow {
    pub name: String,
    pub firm: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub since: Day,
}

/// The stored form of `arrears_core::model::ReportedSignal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ReportedSignalRow {
    pub signal: SignalRow,
    pub observed_on: Day,
    pub expires_on: Option<Day>,
    pub source: String,
    pub evidence: String,
}

/// The stored form of `arrears_core::model::ProductKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ProductKindRow {
    Revolving,
    Installment,
    TradeCredit,
    Bnpl,
    Utility,
}

/// The stored form of `arrears_core::model::Terms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct TermsRow {
    pub grace_days: u16,
    pub late_fee: LateFeeRuleRow,
    pub interest: Option<InterestTermsRow>,
    pub waterfall: WaterfallRow,
}

/// The stored form of `arrears_core::model::ObligationKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ObligationKindRow {
    Invoice,
    Installment,
    Statement,
    Fee,
    Interest,
    /// Appended in session 35 (format 12): a refund's obligation.
    Refund,
}

/// The stored form of `arrears_core::model::Component`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ComponentRow {
    Principal,
    Interest,
    Fee,
}

/// The stored form of `arrears_core::money::Money`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct MoneyRow {
    pub amount: DecimalText,
    pub currency: CurrencyCode,
}

/// The stored form of `arrears_core::model::ContactChannel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ContactChannelRow {
    Phone,
    Sms,
    Email,
    Postal,
    Messaging,
}

/// The stored form of `arrears_core::policy::model::Signal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SignalRow {
    BrokenPromise,
    UnreturnedCalls,
    ExtensionRequest,
    PurchasePatternChange,
    ManagementResignation,
    StaffTurnover,
    AssetSales,
    LateFiling,
    Complaint,
    ReturnsPatternChange,
    PaymentDrift,
}

/// The stored form of `arrears_core::model::ContactPointKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ContactPointKindRow {
    Personal,
    Work,
    EmployerProvided,
}

/// The stored form of `arrears_core::model::ConsentRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ConsentRecordRow {
    pub channel: ContactChannelRow,
    pub address: String,
    pub consent: bool,
    pub at: Instant,
    pub source: String,
}

/// The stored form of `arrears_core::model::LateFeeRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum LateFeeRuleRow {
    None,
    Flat { amount_minor: i64 },
    Percent { rate: DecimalText, min_minor: i64, max_minor: i64, rounding: RoundingRuleRow },
}

/// The stored form of `arrears_core::model::InterestTerms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct InterestTermsRow {
    pub annual_rate: DecimalText,
    pub day_count: DayCountRow,
    pub base: InterestBaseRow,
    pub rounding: RoundingRuleRow,
}

/// The stored form of `arrears_core::model::Waterfall`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum WaterfallRow {
    FeesInterestPrincipal,
    PrincipalFirst,
}

/// The stored form of `arrears_core::money::RoundingRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RoundingRuleRow {
    HalfEven,
    HalfUp,
    TowardZero,
}

/// The stored form of `arrears_core::model::DayCount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum DayCountRow {
    Actual365,
    Actual360,
    /// `thirty_360` as format 11 and earlier wrote it: the by-piece rule
    /// (`DayCount::Thirty360ByPiece`), which the accounts opened then keep.
    Thirty360,
    /// `thirty_360` from format 12: pieces counted from the period's first day
    /// (`DayCount::Thirty360`). Appended, so that the older variants keep their encodings.
    Thirty360FromPeriodStart,
}

/// The stored form of `arrears_core::model::InterestBase`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum InterestBaseRow {
    OutstandingPrincipal,
    PastDuePrincipal,
}

stored!(struct Debtor => DebtorRow { id, external_ref, kind, name, jurisdiction, time_zones, language, contact_points, flags, restrictions, attorney, reported_signals });
stored!(struct Account => AccountRow { id, external_ref, debtor, product, currency, credit_limit_minor, opened_on, terms });
stored!(struct Obligation => ObligationRow { id, account, external_ref, kind, issued_on, due_on, original_minor });
stored!(enum DebtorKind => DebtorKindRow { Person, Business });
stored!(struct Jurisdiction => JurisdictionRow { country, region });
stored!(struct ContactPoint => ContactPointRow { channel, address, kind, consent, opted_out });
stored!(struct DebtorFlags => DebtorFlagsRow { cease_communication, attorney_represented, bankruptcy, deceased });
stored!(struct ContactRestrictions => ContactRestrictionsRow { work_contact_prohibited, litigation_served, call_consent_given_at, opted_out_channels, consents });
stored!(struct Attorney => AttorneyRow { name, firm, phone, email, postal_address, since });
stored!(struct ReportedSignal => ReportedSignalRow { signal, observed_on, expires_on, source, evidence });
stored!(enum ProductKind => ProductKindRow { Revolving, Installment, TradeCredit, Bnpl, Utility });
stored!(struct Terms => TermsRow { grace_days, late_fee, interest, waterfall });
stored!(enum ObligationKind => ObligationKindRow { Invoice, Installment, Statement, Fee, Interest, Refund });
stored!(enum Component => ComponentRow { Principal, Interest, Fee });

impl Stored<MoneyRow> for Money {
    fn to_row(&self) -> MoneyRow {
        MoneyRow { amount: DecimalText(self.amount()), currency: CurrencyCode(self.currency()) }
    }

    fn from_row(row: MoneyRow) -> Self {
        Money::new(row.amount.0, row.currency.0)
    }
}
stored!(enum ContactChannel => ContactChannelRow { Phone, Sms, Email, Postal, Messaging });
stored!(enum Signal => SignalRow { BrokenPromise, UnreturnedCalls, ExtensionRequest, PurchasePatternChange, ManagementResignation, StaffTurnover, AssetSales, LateFiling, Complaint, ReturnsPatternChange, PaymentDrift });
stored!(enum ContactPointKind => ContactPointKindRow { Personal, Work, EmployerProvided });
stored!(struct ConsentRecord => ConsentRecordRow { channel, address, consent, at, source });
stored!(enum LateFeeRule => LateFeeRuleRow { None, Flat { amount_minor }, Percent { rate, min_minor, max_minor, rounding } });
stored!(struct InterestTerms => InterestTermsRow { annual_rate, day_count, base, rounding });
stored!(enum Waterfall => WaterfallRow { FeesInterestPrincipal, PrincipalFirst });
stored!(enum RoundingRule => RoundingRuleRow { HalfEven, HalfUp, TowardZero });
impl super::Stored<DayCountRow> for DayCount {
    fn to_row(&self) -> DayCountRow {
        match self {
            DayCount::Actual365 => DayCountRow::Actual365,
            DayCount::Actual360 => DayCountRow::Actual360,
            DayCount::Thirty360 => DayCountRow::Thirty360FromPeriodStart,
            DayCount::Thirty360ByPiece => DayCountRow::Thirty360,
        }
    }

    fn from_row(row: DayCountRow) -> Self {
        match row {
            DayCountRow::Actual365 => DayCount::Actual365,
            DayCountRow::Actual360 => DayCount::Actual360,
            DayCountRow::Thirty360FromPeriodStart => DayCount::Thirty360,
            DayCountRow::Thirty360 => DayCount::Thirty360ByPiece,
        }
    }
}
stored!(enum InterestBase => InterestBaseRow { OutstandingPrincipal, PastDuePrincipal });
