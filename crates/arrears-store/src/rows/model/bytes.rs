//! The account's and the debtor's records written and read by hand: bincode's standard form of
//! [`AccountRecordRow`] (the account's row, then its debtor's jurisdiction) and [`DebtorRow`]
//! spelled out. The daily cycle reads both for every account it
//! reviews (on its prefetching thread), and every payment reads both; through the rows each read
//! built the row, copied each string out of it again, and went through serde's generic
//! machinery, about a fifth of the prefetching thread's instructions.
//!
//! Every field and every variant is hand-written: the terms (each [`LateFeeRule`] variant,
//! interest or none), the contact points, the restrictions and their consents, the attorney
//! and the reported signals, each optional part `None` or `Some`. There is no fallback for any
//! value: the encoders write every account and every debtor. The decoders read only what the
//! encoders write, the canonical form, in a frame of the current version (and, for accounts,
//! of version 2, the same without the debtor's jurisdiction); for anything else
//! (an older version, a non-canonical varint, an unknown variant or currency, invalid UTF-8,
//! an instant or a date chrono refuses, damage) they return `None`, and the caller decodes
//! with serde through the row, which stays the definition of the bytes and gives the same value
//! or the same error as before. In `rows::with_strings` mode (dates as text, format 1) the
//! caller goes to serde without asking this module. The tests compare the two paths over
//! arbitrary accounts and debtors and on damaged bytes, and the golden tests of
//! `codec/tests.rs` freeze the bytes.
//!
//! The form of each leaf is in [`crate::rows::bytes`]; the fields are the rows', in their
//! order.

use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::{
    Account, Attorney, ConsentRecord, ContactChannel, ContactPoint, ContactPointKind,
    ContactRestrictions, DayCount, Debtor, DebtorFlags, DebtorKind, InterestBase, InterestTerms,
    Jurisdiction, LateFeeRule, ProductKind, ReportedSignal, Terms, Waterfall,
};
use arrears_core::money::RoundingRule;
use arrears_core::policy::Signal;

#[cfg(doc)]
use super::{AccountRecordRow, DebtorRow};
use super::{
    ContactChannelRow, ContactPointKindRow, DayCountRow, DebtorKindRow, InterestBaseRow,
    ProductKindRow, RoundingRuleRow, SignalRow, WaterfallRow,
};
use crate::codec::RecordKind;
#[cfg(doc)]
use crate::codec::RECORD_LEN_MAX;
use crate::rows::bytes::{In, Out};
use crate::rows::Stored;
use crate::AccountRecord;

/// `DebtorKindRow`'s variants by index, for reading (writing casts the variant to its index);
/// the tables below likewise.
pub(super) const DEBTOR_KIND_ROWS: [DebtorKindRow; 2] =
    [DebtorKindRow::Person, DebtorKindRow::Business];
pub(super) const CONTACT_CHANNEL_ROWS: [ContactChannelRow; 5] = [
    ContactChannelRow::Phone,
    ContactChannelRow::Sms,
    ContactChannelRow::Email,
    ContactChannelRow::Postal,
    ContactChannelRow::Messaging,
];
pub(super) const CONTACT_POINT_KIND_ROWS: [ContactPointKindRow; 3] = [
    ContactPointKindRow::Personal,
    ContactPointKindRow::Work,
    ContactPointKindRow::EmployerProvided,
];
pub(super) const SIGNAL_ROWS: [SignalRow; 11] = [
    SignalRow::BrokenPromise,
    SignalRow::UnreturnedCalls,
    SignalRow::ExtensionRequest,
    SignalRow::PurchasePatternChange,
    SignalRow::ManagementResignation,
    SignalRow::StaffTurnover,
    SignalRow::AssetSales,
    SignalRow::LateFiling,
    SignalRow::Complaint,
    SignalRow::ReturnsPatternChange,
    SignalRow::PaymentDrift,
];
pub(super) const PRODUCT_KIND_ROWS: [ProductKindRow; 5] = [
    ProductKindRow::Revolving,
    ProductKindRow::Installment,
    ProductKindRow::TradeCredit,
    ProductKindRow::Bnpl,
    ProductKindRow::Utility,
];
pub(super) const ROUNDING_RULE_ROWS: [RoundingRuleRow; 3] =
    [RoundingRuleRow::HalfEven, RoundingRuleRow::HalfUp, RoundingRuleRow::TowardZero];
pub(super) const DAY_COUNT_ROWS: [DayCountRow; 4] = [
    DayCountRow::Actual365,
    DayCountRow::Actual360,
    DayCountRow::Thirty360,
    DayCountRow::Thirty360FromPeriodStart,
];
pub(super) const INTEREST_BASE_ROWS: [InterestBaseRow; 2] =
    [InterestBaseRow::OutstandingPrincipal, InterestBaseRow::PastDuePrincipal];
pub(super) const WATERFALL_ROWS: [WaterfallRow; 2] =
    [WaterfallRow::FeesInterestPrincipal, WaterfallRow::PrincipalFirst];

/// The account record of `account` (version byte, payload, CRC-32), as `codec::encode` of its
/// row writes it.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(in crate::rows) fn encode_account(kind: RecordKind, record: &AccountRecord) -> Vec<u8> {
    crate::rows::bytes::encode(kind, |out| {
        let AccountRecord { account, debtor_jurisdiction } = record;
        out.account(account);
        out.flag(debtor_jurisdiction.is_some());
        if let Some(jurisdiction) = debtor_jurisdiction {
            out.jurisdiction(jurisdiction);
        }
    })
}

/// The account of an account record of version 2 or 3 (the current) in canonical form; `None`
/// for anything else (the caller then decodes with serde).
pub(in crate::rows) fn decode_account(kind: RecordKind, bytes: &[u8]) -> Option<AccountRecord> {
    // Version 2 (every account of a store older than the debtor's jurisdiction in its record)
    // is version 3 without the jurisdiction: read by hand too, with none.
    crate::rows::bytes::decode_since(kind, bytes, 2, |input, version| {
        Some(AccountRecord {
            account: input.account()?,
            debtor_jurisdiction: if version >= 3 && input.flag()? {
                Some(input.jurisdiction()?)
            } else {
                None
            },
        })
    })
}

/// The debtor record of `debtor`, as `codec::encode` of its row writes it.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(in crate::rows) fn encode_debtor(kind: RecordKind, debtor: &Debtor) -> Vec<u8> {
    crate::rows::bytes::encode(kind, |out| out.debtor(debtor))
}

/// The debtor of a debtor record of the current version in canonical form; `None` for anything
/// else (the caller then decodes with serde).
pub(in crate::rows) fn decode_debtor(kind: RecordKind, bytes: &[u8]) -> Option<Debtor> {
    crate::rows::bytes::decode(kind, bytes, |input| input.debtor())
}

impl Out {
    fn account(&mut self, account: &Account) {
        // Destructured without `..`: a field added to the account fails to compile here, as it
        // does in the row's conversion; the nested types likewise.
        let Account {
            id,
            external_ref,
            debtor,
            product,
            currency,
            credit_limit_minor,
            opened_on,
            terms,
        } = account;
        self.unsigned(id.0);
        self.option_text(external_ref.as_deref());
        self.unsigned(debtor.0);
        self.variant(product.to_row() as u32);
        self.currency(*currency);
        self.flag(credit_limit_minor.is_some());
        if let Some(credit_limit_minor) = credit_limit_minor {
            self.signed(*credit_limit_minor);
        }
        self.day(*opened_on);
        let Terms { grace_days, late_fee, interest, waterfall } = terms;
        self.unsigned(u64::from(*grace_days));
        match late_fee {
            LateFeeRule::None => self.variant(0),
            LateFeeRule::Flat { amount_minor } => {
                self.variant(1);
                self.signed(*amount_minor);
            }
            LateFeeRule::Percent { rate, min_minor, max_minor, rounding } => {
                self.variant(2);
                self.decimal(*rate);
                self.signed(*min_minor);
                self.signed(*max_minor);
                self.variant(rounding.to_row() as u32);
            }
        }
        self.flag(interest.is_some());
        if let Some(InterestTerms { annual_rate, day_count, base, rounding }) = interest {
            self.decimal(*annual_rate);
            self.variant(day_count.to_row() as u32);
            self.variant(base.to_row() as u32);
            self.variant(rounding.to_row() as u32);
        }
        self.variant(waterfall.to_row() as u32);
    }

    fn jurisdiction(&mut self, jurisdiction: &Jurisdiction) {
        let Jurisdiction { country, region } = jurisdiction;
        self.text(country);
        self.option_text(region.as_deref());
    }

    fn debtor(&mut self, debtor: &Debtor) {
        let Debtor {
            id,
            external_ref,
            kind,
            name,
            jurisdiction,
            time_zones,
            language,
            contact_points,
            flags,
            restrictions,
            attorney,
            reported_signals,
        } = debtor;
        self.unsigned(id.0);
        self.option_text(external_ref.as_deref());
        self.variant(kind.to_row() as u32);
        self.text(name);
        self.jurisdiction(jurisdiction);
        self.len(time_zones.len());
        for time_zone in time_zones {
            self.text(time_zone);
        }
        self.text(language);
        self.len(contact_points.len());
        for ContactPoint { channel, address, kind, consent, opted_out } in contact_points {
            self.variant(channel.to_row() as u32);
            self.text(address);
            self.variant(kind.to_row() as u32);
            self.flag(*consent);
            self.flag(*opted_out);
        }
        let DebtorFlags { cease_communication, attorney_represented, bankruptcy, deceased } = flags;
        self.flag(*cease_communication);
        self.flag(*attorney_represented);
        self.flag(*bankruptcy);
        self.flag(*deceased);
        self.restrictions(restrictions);
        self.flag(attorney.is_some());
        if let Some(Attorney { name, firm, phone, email, postal_address, since }) = attorney {
            self.text(name);
            self.option_text(firm.as_deref());
            self.option_text(phone.as_deref());
            self.option_text(email.as_deref());
            self.option_text(postal_address.as_deref());
            self.day(*since);
        }
        self.len(reported_signals.len());
        for ReportedSignal { signal, observed_on, expires_on, source, evidence } in reported_signals
        {
            self.variant(signal.to_row() as u32);
            self.day(*observed_on);
            self.option_day(*expires_on);
            self.text(source);
            self.text(evidence);
        }
    }

    fn restrictions(&mut self, restrictions: &ContactRestrictions) {
        let ContactRestrictions {
            work_contact_prohibited,
            litigation_served,
            call_consent_given_at,
            opted_out_channels,
            consents,
        } = restrictions;
        self.flag(*work_contact_prohibited);
        self.flag(*litigation_served);
        self.option_instant(*call_consent_given_at);
        self.len(opted_out_channels.len());
        for channel in opted_out_channels {
            self.variant(channel.to_row() as u32);
        }
        self.len(consents.len());
        for ConsentRecord { channel, address, consent, at, source } in consents {
            self.variant(channel.to_row() as u32);
            self.text(address);
            self.flag(*consent);
            self.instant(*at);
            self.text(source);
        }
    }
}

impl In<'_> {
    fn account(&mut self) -> Option<Account> {
        // Fields are read in the row's order: a struct literal evaluates in the order written.
        Some(Account {
            id: AccountId(self.u64()?),
            external_ref: self.option_text()?,
            debtor: DebtorId(self.u64()?),
            product: ProductKind::from_row(self.variant_of(&PRODUCT_KIND_ROWS)?),
            currency: self.currency()?,
            credit_limit_minor: if self.flag()? { Some(self.i64()?) } else { None },
            opened_on: self.day()?,
            terms: Terms {
                grace_days: self.u16()?,
                late_fee: match self.variant()? {
                    0 => LateFeeRule::None,
                    1 => LateFeeRule::Flat { amount_minor: self.i64()? },
                    2 => LateFeeRule::Percent {
                        rate: self.decimal()?,
                        min_minor: self.i64()?,
                        max_minor: self.i64()?,
                        rounding: self.rounding()?,
                    },
                    _ => return None,
                },
                interest: if self.flag()? {
                    Some(InterestTerms {
                        annual_rate: self.decimal()?,
                        day_count: DayCount::from_row(self.variant_of(&DAY_COUNT_ROWS)?),
                        base: InterestBase::from_row(self.variant_of(&INTEREST_BASE_ROWS)?),
                        rounding: self.rounding()?,
                    })
                } else {
                    None
                },
                waterfall: Waterfall::from_row(self.variant_of(&WATERFALL_ROWS)?),
            },
        })
    }

    fn jurisdiction(&mut self) -> Option<Jurisdiction> {
        Some(Jurisdiction { country: self.text()?, region: self.option_text()? })
    }

    fn rounding(&mut self) -> Option<RoundingRule> {
        Some(RoundingRule::from_row(self.variant_of(&ROUNDING_RULE_ROWS)?))
    }

    fn channel(&mut self) -> Option<ContactChannel> {
        Some(ContactChannel::from_row(self.variant_of(&CONTACT_CHANNEL_ROWS)?))
    }

    fn debtor(&mut self) -> Option<Debtor> {
        Some(Debtor {
            id: DebtorId(self.u64()?),
            external_ref: self.option_text()?,
            kind: DebtorKind::from_row(self.variant_of(&DEBTOR_KIND_ROWS)?),
            name: self.text()?,
            jurisdiction: self.jurisdiction()?,
            time_zones: self.list(In::text)?,
            language: self.text()?,
            contact_points: self.list(|input| {
                Some(ContactPoint {
                    channel: input.channel()?,
                    address: input.text()?,
                    kind: ContactPointKind::from_row(input.variant_of(&CONTACT_POINT_KIND_ROWS)?),
                    consent: input.flag()?,
                    opted_out: input.flag()?,
                })
            })?,
            flags: DebtorFlags {
                cease_communication: self.flag()?,
                attorney_represented: self.flag()?,
                bankruptcy: self.flag()?,
                deceased: self.flag()?,
            },
            restrictions: self.restrictions()?,
            attorney: if self.flag()? {
                Some(Attorney {
                    name: self.text()?,
                    firm: self.option_text()?,
                    phone: self.option_text()?,
                    email: self.option_text()?,
                    postal_address: self.option_text()?,
                    since: self.day()?,
                })
            } else {
                None
            },
            reported_signals: self.list(|input| {
                Some(ReportedSignal {
                    signal: Signal::from_row(input.variant_of(&SIGNAL_ROWS)?),
                    observed_on: input.day()?,
                    expires_on: input.option_day()?,
                    source: input.text()?,
                    evidence: input.text()?,
                })
            })?,
        })
    }

    fn restrictions(&mut self) -> Option<ContactRestrictions> {
        Some(ContactRestrictions {
            work_contact_prohibited: self.flag()?,
            litigation_served: self.flag()?,
            call_consent_given_at: self.option_instant()?,
            opted_out_channels: self.list(In::channel)?,
            consents: self.list(|input| {
                Some(ConsentRecord {
                    channel: input.channel()?,
                    address: input.text()?,
                    consent: input.flag()?,
                    at: input.instant()?,
                    source: input.text()?,
                })
            })?,
        })
    }
}

#[cfg(test)]
mod tests;
