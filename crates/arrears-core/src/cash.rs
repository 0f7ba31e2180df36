//! Cash received from the bank before (or without) knowing whose it is.
//!
//! A bank line that no rule matched is held in *suspense*, a portfolio-level book per
//! currency: receiving it debits cash and credits suspense. Applying it later to an account
//! debits suspense and credits cash for the part applied, and the account's own payment entry
//! (debit cash, credit the receivables through its waterfall) books the rest, so the cash is
//! counted once and suspense holds exactly what is not yet applied. A [`HeldLine`] is the
//! record of one bank line and of the parts applied from it; its [`HeldLine::postings`] are
//! its suspense entries.
//!
//! A debtor may register the accounts it pays from ([`PayerAccount`], read with its check
//! digits verified by [`PayerAccount::parse`]), so that matching a bank line by the payer's
//! account finds it ([`RegisteredPayer`]).
//!
//! Architecture invariant: pure, like the ledger.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, DebtorId, EventSeq};
use crate::ledger::{Book, Posting};
use crate::money::{Currency, Money};

mod payer;

pub use payer::{AccountCheckError, PayerAccount, PayerScheme};

/// A payer account registered on a debtor (the `payer_accounts` table): bank lines paid from
/// `number` are matched to the debtor by the `payer_account` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredPayer {
    /// The debtor.
    pub debtor: DebtorId,
    /// The scheme, as [`PayerAccount::parse`] reads the number.
    pub scheme: PayerScheme,
    /// The number, normalized ([`PayerAccount::id`]).
    pub number: String,
}

/// How an imported credit line was matched (the `bank_matches` table): the rule that decided
/// and what was posted, for the match-rate report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineMatch {
    /// The bank's transaction reference.
    pub bank_ref: String,
    /// The value date.
    pub value_on: NaiveDate,
    /// The currency.
    pub currency: Currency,
    /// The line's amount, positive, in minor units.
    pub amount_minor: i64,
    /// The rule that decided a post, if one did (none: unmatched, ambiguous or only proposed).
    pub rule: Option<String>,
    /// What was posted to accounts, in minor units (the rest was held in suspense).
    pub posted_minor: i64,
}

/// A credit line of a bank statement, as the engine receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    /// The bank's transaction reference: the line's key, unique among lines.
    pub bank_ref: String,
    /// The value date.
    pub value_on: NaiveDate,
    /// The amount credited, positive.
    pub amount: Money,
    /// The payer's name as the bank gives it.
    pub payer_name: Option<String>,
    /// The payer's account (IBAN, CLABE, CBU, RUT) as the bank gives it.
    pub payer_account: Option<String>,
    /// The remittance text.
    pub remittance: String,
}

/// A part of a held line applied to an account as a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedPart {
    /// The account.
    pub account: AccountId,
    /// The payment event recorded on it.
    pub event: EventSeq,
    /// The amount applied, positive, in minor units of the line's currency.
    pub amount_minor: i64,
    /// The payment's value date.
    pub effective_on: NaiveDate,
}

/// A bank line received into suspense and what was applied from it (the `bank_lines` table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLine {
    /// The bank's transaction reference.
    pub bank_ref: String,
    /// The value date.
    pub value_on: NaiveDate,
    /// The currency.
    pub currency: Currency,
    /// The amount received, positive, in minor units.
    pub amount_minor: i64,
    /// The payer's name.
    pub payer_name: Option<String>,
    /// The payer's account.
    pub payer_account: Option<String>,
    /// The remittance text.
    pub remittance: String,
    /// When it was received (the engine's clock).
    pub received_at: DateTime<Utc>,
    /// The parts applied to accounts, in order.
    pub applied: Vec<AppliedPart>,
    /// The parts the bank returned to the payer (a returned item or a reversal of the line),
    /// taken out of suspense, in order. Appended in record version 2 (older lines read with
    /// none).
    pub returned: Vec<ReturnedPart>,
}

/// A part of a held line the bank returned to the payer: taken out of suspense without
/// reaching an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedPart {
    /// The amount returned, positive, in minor units of the line's currency.
    pub amount_minor: i64,
    /// The return's value date.
    pub effective_on: NaiveDate,
}

impl HeldLine {
    /// What is still held in suspense, in minor units: what was received, less what was
    /// applied and what was returned.
    pub fn held_minor(&self) -> i64 {
        self.amount_minor
            - self.applied.iter().map(|part| part.amount_minor).sum::<i64>()
            - self.returned.iter().map(|part| part.amount_minor).sum::<i64>()
    }

    /// The line's suspense entries, each balanced: on receipt, cash debit and suspense
    /// credit; for each part applied, suspense debit and cash credit (the account's payment
    /// entry debits cash again); for each part returned, suspense debit and cash credit (the
    /// cash left with the bank's return). Their suspense legs sum to minus
    /// [`HeldLine::held_minor`].
    pub fn postings(&self) -> Vec<[Posting; 2]> {
        let leg = |book, amount_minor| Posting {
            book,
            obligation: None,
            component: None,
            source: None,
            amount_minor,
        };
        let out = self.applied.iter().map(|part| part.amount_minor);
        let out = out.chain(self.returned.iter().map(|part| part.amount_minor));
        std::iter::once([
            leg(Book::Cash, self.amount_minor),
            leg(Book::Suspense, -self.amount_minor),
        ])
        .chain(out.map(|amount_minor| {
            [leg(Book::Suspense, amount_minor), leg(Book::Cash, -amount_minor)]
        }))
        .collect()
    }
}

#[cfg(test)]
mod tests;
