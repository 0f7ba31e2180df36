//! Rows of bank lines, payer accounts and matches.

use arrears_core::cash::PayerScheme;
use arrears_core::cash::{
    AppliedPart, BankLine, HeldLine, LineMatch, RegisteredPayer, ReturnedPart,
};
use serde::{Deserialize, Serialize};

use crate::stored;

use super::model::*;
use super::{CurrencyCode, Day, Instant};

/// The stored form of `arrears_core::cash::HeldLine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct HeldLineRow {
    pub bank_ref: String,
    pub value_on: Day,
    pub currency: CurrencyCode,
    pub amount_minor: i64,
    pub payer_name: Option<String>,
    pub payer_account: Option<String>,
    pub remittance: String,
    pub received_at: Instant,
    pub applied: Vec<AppliedPartRow>,
    pub returned: Vec<ReturnedPartRow>,
}

/// The stored form of `arrears_core::cash::RegisteredPayer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RegisteredPayerRow {
    pub debtor: u64,
    pub scheme: PayerSchemeRow,
    pub number: String,
}

/// The stored form of `arrears_core::cash::LineMatch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct LineMatchRow {
    pub bank_ref: String,
    pub value_on: Day,
    pub currency: CurrencyCode,
    pub amount_minor: i64,
    pub rule: Option<String>,
    pub posted_minor: i64,
}

/// The stored form of `arrears_core::cash::BankLine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct BankLineRow {
    pub bank_ref: String,
    pub value_on: Day,
    pub amount: MoneyRow,
    pub payer_name: Option<String>,
    pub payer_account: Option<String>,
    pub remittance: String,
}

/// The stored form of `arrears_core::cash::payer::PayerScheme`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PayerSchemeRow {
    Iban,
    Clabe,
    Cbu,
    Rut,
    Other,
}

/// The stored form of `arrears_core::cash::AppliedPart`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AppliedPartRow {
    pub account: u64,
    pub event: u32,
    pub amount_minor: i64,
    pub effective_on: Day,
}

/// The stored form of `arrears_core::cash::ReturnedPart`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ReturnedPartRow {
    pub amount_minor: i64,
    pub effective_on: Day,
}

stored!(struct HeldLine => HeldLineRow { bank_ref, value_on, currency, amount_minor, payer_name, payer_account, remittance, received_at, applied, returned });
stored!(struct RegisteredPayer => RegisteredPayerRow { debtor, scheme, number });
stored!(struct LineMatch => LineMatchRow { bank_ref, value_on, currency, amount_minor, rule, posted_minor });
stored!(struct BankLine => BankLineRow { bank_ref, value_on, amount, payer_name, payer_account, remittance });
stored!(enum PayerScheme => PayerSchemeRow { Iban, Clabe, Cbu, Rut, Other });
stored!(struct AppliedPart => AppliedPartRow { account, event, amount_minor, effective_on });
stored!(struct ReturnedPart => ReturnedPartRow { amount_minor, effective_on });
