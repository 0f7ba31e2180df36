//! The core nouns: debtors, accounts with their terms, and obligations.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, DebtorId, ObligationId};
use crate::money::{Currency, RoundingRule, AMOUNT_MINOR_MAX};

pub mod locale;

/// Longest accepted free-text field (names, references, keys), in bytes.
pub const TEXT_LEN_MAX: usize = 256;
/// Most contact points one debtor may have.
pub const CONTACT_POINTS_MAX: usize = 32;
/// Most candidate time zones one debtor may have.
pub const TIME_ZONES_MAX: usize = 8;

/// A person or a business that owes money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debtor {
    /// Store-assigned id.
    pub id: DebtorId,
    /// The caller's reference, unique among debtors.
    pub external_ref: Option<String>,
    /// Person or business.
    pub kind: DebtorKind,
    /// Display name.
    pub name: String,
    /// Where the debtor lives (for a person) or is registered (for a business).
    pub jurisdiction: Jurisdiction,
    /// Candidate IANA time zones (the debtor may be in any of them); at least one.
    pub time_zones: Vec<String>,
    /// Preferred language, as a BCP 47 tag (`en`, `es-CO`); new debtors are checked by
    /// [`locale::check_language`].
    pub language: String,
    /// How the debtor can be reached.
    pub contact_points: Vec<ContactPoint>,
    /// Sticky flags that restrict collection.
    pub flags: DebtorFlags,
    /// What else restricts contacting the debtor (appended in debtor record version 3;
    /// `Command::SetContactRestrictions` sets it).
    pub restrictions: ContactRestrictions,
    /// The attorney who represents the debtor, with contact details, once known (appended in
    /// debtor record version 4; `Command::SetAttorney` sets it with the attorney flag).
    pub attorney: Option<Attorney>,
    /// Warning signals reported about the debtor from outside the books (a bureau, a
    /// monitoring service, an analyst), the latest [`REPORTED_SIGNALS_MAX`] (appended in debtor
    /// record version 5; `Command::ReportSignal` adds them). Stage conditions see each from
    /// its observation day until it expires.
    pub reported_signals: Vec<ReportedSignal>,
}

/// Most reported signals kept per debtor; the oldest are dropped past it.
pub const REPORTED_SIGNALS_MAX: usize = 32;

/// A warning signal reported about a debtor, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedSignal {
    /// The signal.
    pub signal: crate::policy::Signal,
    /// The day it was observed (a filing's due date passed, a resignation published).
    pub observed_on: NaiveDate,
    /// The day it stops counting, if it does (exclusive); `None`: until reported otherwise.
    pub expires_on: Option<NaiveDate>,
    /// Who reported it (`bureau:acme`, `analyst:jdoe`), 1 to [`TEXT_LEN_MAX`] bytes.
    pub source: String,
    /// What shows it (a filing reference, a link), up to [`TEXT_LEN_MAX`] bytes; may be empty.
    pub evidence: String,
}

impl ReportedSignal {
    /// The signals that can be reported from outside the books: those about a business that
    /// only others see.
    pub const REPORTABLE: [crate::policy::Signal; 5] = [
        crate::policy::Signal::ManagementResignation,
        crate::policy::Signal::StaffTurnover,
        crate::policy::Signal::AssetSales,
        crate::policy::Signal::LateFiling,
        crate::policy::Signal::Complaint,
    ];

    /// True if and only if the signal counts on `as_of`.
    pub fn in_force(&self, as_of: NaiveDate) -> bool {
        self.observed_on <= as_of && self.expires_on.is_none_or(|expires| as_of < expires)
    }
}

/// The attorney who represents a debtor about its debts, as the debtor or the attorney gave
/// it. Communication about the debt then goes to the attorney (a party the contact rules
/// exempt), not to the debtor; these are the addresses to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attorney {
    /// The attorney's name, 1 to [`TEXT_LEN_MAX`] bytes.
    pub name: String,
    /// The law firm, if any.
    pub firm: Option<String>,
    /// A telephone number.
    pub phone: Option<String>,
    /// An e-mail address (it contains `@`).
    pub email: Option<String>,
    /// A postal address.
    pub postal_address: Option<String>,
    /// The day the collector learned of the representation.
    pub since: NaiveDate,
}

impl Attorney {
    /// Checks the shape of the details: the name and every text given within 1 to
    /// [`TEXT_LEN_MAX`] bytes without NUL, an e-mail address with an `@`, at least one way to
    /// reach the attorney. `Err` names the field and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let texts = [
            ("attorney.name", Some(&self.name)),
            ("attorney.firm", self.firm.as_ref()),
            ("attorney.phone", self.phone.as_ref()),
            ("attorney.email", self.email.as_ref()),
            ("attorney.postal_address", self.postal_address.as_ref()),
        ];
        for (field, text) in texts {
            if let Some(text) = text {
                if text.trim().is_empty() || text.len() > TEXT_LEN_MAX {
                    return Err((field, format!("must be 1 to {TEXT_LEN_MAX} bytes, not blank")));
                }
                if text.contains('\0') {
                    return Err((field, "has the character U+0000 (NUL)".to_owned()));
                }
            }
        }
        if self.email.as_ref().is_some_and(|email| !email.contains('@')) {
            return Err(("attorney.email", "an e-mail address contains @".to_owned()));
        }
        if self.phone.is_none() && self.email.is_none() && self.postal_address.is_none() {
            return Err((
                "attorney",
                "give at least one way to reach the attorney: phone, e-mail or postal address"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

/// Restrictions on contacting a debtor that the compliance guardrails apply, set after the
/// debtor was created.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactRestrictions {
    /// The employer prohibits communication at work, or the debtor asked for none there:
    /// work addresses may not be used.
    pub work_contact_prohibited: bool,
    /// The debtor was served in a collection suit (rules that depend on it apply).
    pub litigation_served: bool,
    /// When the debtor last gave prior consent, directly to the collector, to be called
    /// (Regulation F's call-frequency presumption does not count such calls within the
    /// consent's days).
    pub call_consent_given_at: Option<DateTime<Utc>>,
    /// Channels the debtor asked not to be used at all (every address on them).
    pub opted_out_channels: Vec<ContactChannel>,
    /// Evidence of consent given or withdrawn per address, oldest first (at most
    /// [`CONSENTS_MAX`]; the oldest are dropped past it).
    pub consents: Vec<ConsentRecord>,
}

/// Most consent records kept per debtor.
pub const CONSENTS_MAX: usize = 64;

/// When and how a debtor gave or withdrew consent to be contacted at an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// The channel.
    pub channel: ContactChannel,
    /// The address.
    pub address: String,
    /// Given (`true`) or withdrawn.
    pub consent: bool,
    /// When.
    pub at: DateTime<Utc>,
    /// How (`web form`, `recorded call 2026-11-20`, `signed application`...).
    pub source: String,
}

/// Person or business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebtorKind {
    /// A natural person (consumer debt rules apply).
    Person,
    /// A company or sole trader (commercial debt).
    Business,
}

/// Country (ISO 3166-1 alpha-2) and optional region (ISO 3166-2 subdivision code or a city
/// code that a compliance pack recognises, such as `MA` or `NYC`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Jurisdiction {
    /// `US`, `CO`, `MX`...; new debtors are checked by [`locale::check_country`].
    pub country: String,
    /// `MA`, `NYC`, `CDMX`..., or `None`.
    pub region: Option<String>,
}

/// One way to reach a debtor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPoint {
    /// Channel of this address.
    pub channel: ContactChannel,
    /// Phone number, e-mail address, postal address or handle.
    pub address: String,
    /// Whose address it is.
    pub kind: ContactPointKind,
    /// True if and only if the debtor consented to be contacted there on this channel.
    pub consent: bool,
    /// True if and only if the debtor opted out of this address.
    pub opted_out: bool,
}

/// A channel of communication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    /// Voice call to a landline or mobile.
    Phone,
    /// SMS text message.
    Sms,
    /// E-mail.
    Email,
    /// Postal letter.
    Postal,
    /// Messaging app (WhatsApp and the like).
    Messaging,
}

impl ContactChannel {
    /// The name as written in files (`phone`, `sms`, `email`, `postal`, `messaging`).
    pub fn name(self) -> &'static str {
        match self {
            ContactChannel::Phone => "phone",
            ContactChannel::Sms => "sms",
            ContactChannel::Email => "email",
            ContactChannel::Postal => "postal",
            ContactChannel::Messaging => "messaging",
        }
    }
}

/// Whose address a contact point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactPointKind {
    /// The debtor's own.
    Personal,
    /// The debtor's at work.
    Work,
    /// Provided by the debtor's employer (an employer e-mail account).
    EmployerProvided,
}

/// Sticky flags on a debtor. Once set they stay until explicitly cleared by a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DebtorFlags {
    /// The debtor asked that communication cease.
    pub cease_communication: bool,
    /// The debtor is represented by an attorney.
    pub attorney_represented: bool,
    /// A bankruptcy stay is in force.
    pub bankruptcy: bool,
    /// The debtor is deceased.
    pub deceased: bool,
}

/// A credit relationship: one product, one currency, one set of terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Store-assigned id.
    pub id: AccountId,
    /// The caller's reference, unique among accounts.
    pub external_ref: Option<String>,
    /// The primary debtor.
    pub debtor: DebtorId,
    /// The product.
    pub product: ProductKind,
    /// Every amount of the account is in this currency.
    pub currency: Currency,
    /// The credit limit in minor units, or `None` for no limit (closed-end products).
    pub credit_limit_minor: Option<i64>,
    /// The day the account was opened; no event may take effect before it.
    pub opened_on: NaiveDate,
    /// The contractual terms.
    pub terms: Terms,
}

/// The product of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Revolving line or card.
    Revolving,
    /// Closed-end installment loan.
    Installment,
    /// Trade credit with invoices.
    TradeCredit,
    /// Buy now, pay later.
    Bnpl,
    /// Utility service billing.
    Utility,
}

impl ProductKind {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            ProductKind::Revolving => "revolving",
            ProductKind::Installment => "installment",
            ProductKind::TradeCredit => "trade_credit",
            ProductKind::Bnpl => "bnpl",
            ProductKind::Utility => "utility",
        }
    }
}

/// Contractual terms of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// Days after a due date before a late fee may be assessed.
    pub grace_days: u16,
    /// The late fee assessed after the grace days.
    pub late_fee: LateFeeRule,
    /// Interest terms, or `None` if the account bears no interest.
    pub interest: Option<InterestTerms>,
    /// Order in which payments settle what is owed.
    pub waterfall: Waterfall,
}

impl Default for Terms {
    fn default() -> Terms {
        Terms {
            grace_days: 0,
            late_fee: LateFeeRule::None,
            interest: None,
            waterfall: Waterfall::FeesInterestPrincipal,
        }
    }
}

/// How a late fee is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateFeeRule {
    /// No late fee.
    None,
    /// A flat amount in minor units.
    Flat {
        /// The fee in minor units.
        amount_minor: i64,
    },
    /// A share of the past-due amount, bounded.
    Percent {
        /// The share, `0.05` for 5%.
        #[serde(deserialize_with = "crate::money::deserialize_plain_decimal")]
        rate: Decimal,
        /// Lower bound in minor units.
        min_minor: i64,
        /// Upper bound in minor units.
        max_minor: i64,
        /// Rounding of the computed fee.
        rounding: RoundingRule,
    },
}

impl LateFeeRule {
    /// The late fee for a past-due amount, in minor units of `currency`.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::model::LateFeeRule;
    /// use arrears_core::money::{Currency, RoundingRule};
    /// let rule = LateFeeRule::Percent {
    ///     rate: "0.05".parse()?,
    ///     min_minor: 500,
    ///     max_minor: 4_000,
    ///     rounding: RoundingRule::HalfUp,
    /// };
    /// assert_eq!(rule.fee_minor(1_000, Currency::USD), 500);
    /// assert_eq!(rule.fee_minor(20_010, Currency::USD), 1_001);
    /// assert_eq!(rule.fee_minor(1_000_000, Currency::USD), 4_000);
    /// assert_eq!(rule.fee_minor(0, Currency::USD), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fee_minor(&self, past_due_minor: i64, currency: Currency) -> i64 {
        if past_due_minor <= 0 {
            return 0;
        }
        match self {
            LateFeeRule::None => 0,
            LateFeeRule::Flat { amount_minor } => *amount_minor,
            LateFeeRule::Percent { rate, min_minor, max_minor, rounding } => {
                let base = Decimal::new(past_due_minor, currency.minor_units());
                // A share too large for the product (terms written before `check` refused
                // them) is capped at the bound, as a rounded fee out of range is.
                let fee = base
                    .checked_mul(*rate)
                    .and_then(|fee| rounding.round(fee, currency).ok())
                    .unwrap_or(*max_minor);
                fee.clamp(*min_minor, (*max_minor).max(*min_minor))
            }
        }
    }

    /// Checks that the cycle can assess the fee: a flat fee, and the bounds of a share, from 0
    /// to [`AMOUNT_MINOR_MAX`] minor units with the lower bound at most the upper one, and a
    /// share from 0 to 1 (100% of what is past due). `OpenAccount` refuses terms that fail it.
    ///
    /// # Errors
    ///
    /// The reason, for the first part out of range.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::model::LateFeeRule;
    /// assert!(LateFeeRule::Flat { amount_minor: 1_500 }.check().is_ok());
    /// assert!(LateFeeRule::Flat { amount_minor: -1_500 }.check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), String> {
        let amount = |name: &str, minor: i64| match (0..=AMOUNT_MINOR_MAX).contains(&minor) {
            true => Ok(()),
            false => Err(format!("{name} {minor} is outside 0 to {AMOUNT_MINOR_MAX} minor units")),
        };
        match self {
            LateFeeRule::None => Ok(()),
            LateFeeRule::Flat { amount_minor } => amount("amount_minor", *amount_minor),
            LateFeeRule::Percent { rate, min_minor, max_minor, .. } => {
                if rate.is_sign_negative() || Decimal::ONE < *rate {
                    return Err(format!("rate {rate} is outside 0 to 1 (100%)"));
                }
                amount("min_minor", *min_minor)?;
                amount("max_minor", *max_minor)?;
                if max_minor < min_minor {
                    return Err(format!("min_minor {min_minor} is above max_minor {max_minor}"));
                }
                Ok(())
            }
        }
    }
}

/// Interest terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestTerms {
    /// Nominal annual rate, `0.2499` for 24.99%.
    #[serde(deserialize_with = "crate::money::deserialize_plain_decimal")]
    pub annual_rate: Decimal,
    /// Day-count convention.
    pub day_count: DayCount,
    /// Which balance bears interest.
    pub base: InterestBase,
    /// Rounding applied when accrued interest is posted.
    pub rounding: RoundingRule,
}

/// Day-count convention for interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Actual days over 365.
    Actual365,
    /// Actual days over 360.
    Actual360,
    /// 30/360 US (bond basis): every month counts 30 days, the year 360. A period of interest
    /// runs from the day after the last accrual (or the opening day) through the accrual's
    /// date, and counts the days between its ends by [`DayCount::days`] however many events
    /// split it: each piece between two events counts its days from the period's first day
    /// (the days from the period's start to its end, less those to its start), so that the
    /// pieces sum to the period and an event that moves no balance changes no interest.
    Thirty360,
    /// 30/360 US as store format 11 and earlier applied it: each piece of a period between
    /// two events counts the days between its own ends, so an event on the 31st of a month
    /// adds a day to a period that started before the 30th (1,000.00 at 36% from January 15
    /// to February 14 accrues 31.00, not 30.00, when a dispute is opened on January 31). An
    /// account opened with `thirty_360` before format 12 keeps this rule, so that the
    /// interest already recorded replays as recorded (`arrears verify`); new accounts take
    /// [`DayCount::Thirty360`]. The CLI's files do not name it (its name is `thirty_360_by_piece`);
    /// the engine accepts it, so that the opening of such an account re-executes as recorded.
    Thirty360ByPiece,
}

impl DayCount {
    /// The denominator: days in a year under this convention.
    pub fn year_days(self) -> i64 {
        match self {
            DayCount::Actual365 => 365,
            DayCount::Actual360 | DayCount::Thirty360 | DayCount::Thirty360ByPiece => 360,
        }
    }

    /// Days from `start` (inclusive) to `end` (exclusive) under this convention.
    ///
    /// # Example
    ///
    /// ```
    /// use arrears_core::model::DayCount;
    /// use chrono::NaiveDate;
    /// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// assert_eq!(DayCount::Actual365.days(d(2026, 1, 31), d(2026, 3, 1)), 29);
    /// assert_eq!(DayCount::Thirty360.days(d(2026, 1, 31), d(2026, 3, 1)), 31);
    /// assert_eq!(DayCount::Thirty360.days(d(2026, 1, 15), d(2026, 2, 15)), 30);
    /// ```
    pub fn days(self, start: NaiveDate, end: NaiveDate) -> i64 {
        use chrono::Datelike;
        match self {
            DayCount::Actual365 | DayCount::Actual360 => (end - start).num_days(),
            DayCount::Thirty360 | DayCount::Thirty360ByPiece => {
                let mut d1 = i64::from(start.day());
                let mut d2 = i64::from(end.day());
                if d1 == 31 {
                    d1 = 30;
                }
                if d2 == 31 && d1 == 30 {
                    d2 = 30;
                }
                360 * i64::from(end.year() - start.year())
                    + 30 * (i64::from(end.month()) - i64::from(start.month()))
                    + (d2 - d1)
            }
        }
    }
}

/// Which balance bears interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestBase {
    /// All outstanding principal (revolving products).
    OutstandingPrincipal,
    /// Only principal of obligations past their due date (default interest on invoices and
    /// installments whose schedule already carries contractual interest).
    PastDuePrincipal,
}

/// The order in which a payment settles what is owed.
///
/// Obligations are always taken oldest due date first (then lowest obligation id), and
/// disputed obligations are skipped. A customer-directed payment first settles the obligation
/// it names. Excess goes to unapplied cash, which is applied to obligations created or
/// undisputed later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Waterfall {
    /// Obligation by obligation; within each, fees, then interest, then principal.
    FeesInterestPrincipal,
    /// All principal first (oldest due first), then all interest, then all fees.
    PrincipalFirst,
}

impl Waterfall {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Waterfall::FeesInterestPrincipal => "fees_interest_principal",
            Waterfall::PrincipalFirst => "principal_first",
        }
    }
}

/// A component of a receivable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Principal: goods, services or money lent.
    Principal,
    /// Interest.
    Interest,
    /// Fees.
    Fee,
}

impl Component {
    /// All components, in a fixed order.
    pub const ALL: [Component; 3] = [Component::Principal, Component::Interest, Component::Fee];

    /// Index into per-component arrays.
    pub fn index(self) -> usize {
        match self {
            Component::Principal => 0,
            Component::Interest => 1,
            Component::Fee => 2,
        }
    }

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Component::Principal => "principal",
            Component::Interest => "interest",
            Component::Fee => "fee",
        }
    }
}

/// An amount due on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    /// Store-assigned id.
    pub id: ObligationId,
    /// The account it belongs to.
    pub account: AccountId,
    /// The caller's reference (invoice number), unique among obligations.
    pub external_ref: Option<String>,
    /// What kind of obligation.
    pub kind: ObligationKind,
    /// The day it was issued (its charge takes effect then).
    pub issued_on: NaiveDate,
    /// The day it falls due; days past due count from here, never from the issue date.
    pub due_on: NaiveDate,
    /// Original amounts due by component, in minor units `[principal, interest, fee]`.
    pub original_minor: [i64; 3],
}

/// The kind of an obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationKind {
    /// A trade-credit or utility invoice.
    Invoice,
    /// A loan or plan installment.
    Installment,
    /// A revolving statement balance.
    Statement,
    /// A fee (late fee, returned-payment fee).
    Fee,
    /// Posted interest.
    Interest,
    /// A refund of the debtor's credit ([`crate::ledger::EventKind::Refund`]): money paid back
    /// out of unapplied cash, which that cash settles at once. It is owed only where the cash
    /// turns out not to have been there (a payment it came from is returned later). Appended
    /// last, so that the stored encodings of the other kinds do not change; made by refunds
    /// only, never charged.
    Refund,
}

impl ObligationKind {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            ObligationKind::Invoice => "invoice",
            ObligationKind::Installment => "installment",
            ObligationKind::Statement => "statement",
            ObligationKind::Fee => "fee",
            ObligationKind::Interest => "interest",
            ObligationKind::Refund => "refund",
        }
    }

    /// Returns true if and only if a principal charge of this kind extends new credit (an
    /// invoice: a new purchase or drawdown on the account), which a credit hold refuses.
    /// Installments and statements bill credit already extended, and fees and interest are no
    /// credit at all: a hold lets them through, since it stops new credit, not the billing of
    /// what is owed.
    pub fn extends_credit(self) -> bool {
        match self {
            ObligationKind::Invoice => true,
            ObligationKind::Installment
            | ObligationKind::Statement
            | ObligationKind::Fee
            | ObligationKind::Interest
            | ObligationKind::Refund => false,
        }
    }
}

impl DayCount {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            DayCount::Actual365 => "actual_365",
            DayCount::Actual360 => "actual_360",
            DayCount::Thirty360 => "thirty_360",
            DayCount::Thirty360ByPiece => "thirty_360_by_piece",
        }
    }
}

impl InterestBase {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            InterestBase::OutstandingPrincipal => "outstanding_principal",
            InterestBase::PastDuePrincipal => "past_due_principal",
        }
    }
}
