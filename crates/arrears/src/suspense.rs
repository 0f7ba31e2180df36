//! Cash received from the bank: lines held in suspense and applied to accounts later
//! (`Command::ReceiveCash`, `Command::ApplyCash`; docs/CASH.md, "Suspense"), and the payer
//! accounts registered on debtors for matching (`Command::RegisterPayerAccount`,
//! `Command::RemovePayerAccount`), lines returned by the bank (`Command::ReturnCash`) and the
//! rules kept for matching (`Command::SetBankRules`).

use arrears_core::cash::{
    AppliedPart, BankLine, HeldLine, LineMatch, PayerAccount, PayerScheme, RegisteredPayer,
    ReturnedPart,
};
use arrears_core::collection::CollectionEvent;
use arrears_core::ids::{AccountId, DebtorId, EventSeq};
use arrears_core::ledger::EventKind;
use arrears_core::money::Money;
use arrears_store::{AccountRecord, Reads};
use chrono::NaiveDate;

use crate::command::{Outcome, Rejection, BANK_RULES_LEN_MAX};
use crate::context::{jurisdiction_of, load_account_record, minor, text, Env};
use crate::error::CommandError;
use crate::lifecycle::ledger_command;

/// `Command::ReceiveCash`: keeps the line under its bank reference, all of it held.
pub(crate) fn receive_cash(env: &mut Env<'_>, line: &BankLine) -> Result<Outcome, CommandError> {
    text("line.bank_ref", &line.bank_ref, true)?;
    text("line.payer_name", line.payer_name.as_deref().unwrap_or(""), false)?;
    text("line.payer_account", line.payer_account.as_deref().unwrap_or(""), false)?;
    text("line.remittance", &line.remittance, false)?;
    let currency = line.amount.currency();
    let amount_minor = minor("line.amount", &line.amount, currency)?;
    if amount_minor <= 0 || amount_minor > arrears_core::money::AMOUNT_MINOR_MAX {
        return Err(CommandError::Invalid {
            field: "line.amount",
            reason: format!("must be positive and at most the maximum amount, got {}", line.amount),
        });
    }
    if env.txn.bank_line(&line.bank_ref)?.is_some() {
        return Ok(Outcome::Rejected(Rejection::BankLineReceived { line: line.bank_ref.clone() }));
    }
    let held = HeldLine {
        bank_ref: line.bank_ref.clone(),
        value_on: line.value_on,
        currency,
        amount_minor,
        payer_name: line.payer_name.clone(),
        payer_account: line.payer_account.clone(),
        remittance: line.remittance.clone(),
        received_at: env.now,
        applied: Vec::new(),
        returned: Vec::new(),
    };
    env.txn.put_bank_line(&held)?;
    Ok(Outcome::CashHeld { line: held.bank_ref, held: Money::from_minor(amount_minor, currency) })
}

/// What `Command::ApplyCash` applies.
pub(crate) struct Application<'a> {
    pub(crate) line: &'a str,
    pub(crate) account: AccountId,
    pub(crate) amount: &'a Money,
    pub(crate) effective_on: NaiveDate,
}

/// `Command::ApplyCash`: posts the part as a payment on the account, then records it on the
/// line (only once the payment is accepted, so that a refusal writes nothing).
pub(crate) fn apply_cash(
    env: &mut Env<'_>,
    application: &Application<'_>,
) -> Result<Outcome, CommandError> {
    let Some(mut held) = env.txn.bank_line(application.line)? else {
        return Err(CommandError::Invalid {
            field: "line",
            reason: format!("no bank line {:?} was received", application.line),
        });
    };
    not_before_receipt(&held, application.effective_on)?;
    let amount_minor = minor("amount", application.amount, held.currency)?;
    let record = load_account_record(env.txn, application.account)?;
    let AccountRecord { account, debtor_jurisdiction } = &*record;
    minor("amount", application.amount, account.currency)?;
    if amount_minor > held.held_minor() {
        return Ok(Outcome::Rejected(Rejection::SuspenseShort {
            held_minor: held.held_minor(),
            line: held.bank_ref,
            asked_minor: amount_minor,
        }));
    }
    let kind = EventKind::Payment { amount_minor, directed_to: None };
    let jurisdiction = jurisdiction_of(env.txn, account, debtor_jurisdiction.as_ref())?;
    let outcome = ledger_command(
        env,
        account,
        &jurisdiction,
        application.effective_on,
        kind,
        Vec::new(),
        Some(CollectionEvent::PaymentPosted),
    )?;
    if let Outcome::Posted(posted) = &outcome {
        held.applied.push(AppliedPart {
            account: account.id,
            event: posted.event,
            amount_minor,
            effective_on: application.effective_on,
        });
        env.txn.put_bank_line(&held)?;
    }
    Ok(outcome)
}

/// A payment reversed in error (`ReversalReason::Error`) that was applied from a held line:
/// the bank still has its cash, which the reversal credits out of the books while the line
/// counts the part as applied. The part is held again, as a line of its own keyed
/// `<line>/reversed/<account>/<event>` (everything else as the line's), to be applied again:
/// the line to write once the reversal is posted, `None` for a payment that came from no
/// line. Called before the reversal writes anything, so that a key it cannot take is an
/// error that writes nothing.
pub(crate) fn held_again(
    env: &Env<'_>,
    account: AccountId,
    payment: EventSeq,
) -> Result<Option<HeldLine>, CommandError> {
    let lines = env.txn.bank_lines()?;
    let applied = lines.into_iter().find_map(|line| {
        let part =
            line.applied.iter().find(|part| part.account == account && part.event == payment);
        let amount_minor = part.map(|part| part.amount_minor)?;
        Some((line, amount_minor))
    });
    let Some((line, amount_minor)) = applied else { return Ok(None) };
    let again = HeldLine {
        bank_ref: format!("{}/reversed/{account}/{}", line.bank_ref, payment.0),
        amount_minor,
        received_at: env.now,
        applied: Vec::new(),
        returned: Vec::new(),
        ..line
    };
    text("line.bank_ref", &again.bank_ref, true)?;
    Ok(Some(again))
}

/// Refuses to apply or return a held line's cash with effect before its value date: the
/// money was not there yet (a payment back-dated before it arrived would cure a delinquency,
/// or save interest and fees, for days it did not pay).
fn not_before_receipt(held: &HeldLine, effective_on: NaiveDate) -> Result<(), CommandError> {
    if effective_on >= held.value_on {
        return Ok(());
    }
    Err(CommandError::Invalid {
        field: "effective_on",
        reason: format!(
            "{effective_on} is before the value date {} of bank line {:?}: its cash cannot be \
             applied or returned before it was received",
            held.value_on, held.bank_ref
        ),
    })
}

/// `Command::ReturnCash`: the part returned leaves suspense, recorded on the line.
pub(crate) fn return_cash(
    env: &mut Env<'_>,
    line: &str,
    amount: &Money,
    effective_on: NaiveDate,
) -> Result<Outcome, CommandError> {
    let Some(mut held) = env.txn.bank_line(line)? else {
        return Err(CommandError::Invalid {
            field: "line",
            reason: format!("no bank line {line:?} was received"),
        });
    };
    not_before_receipt(&held, effective_on)?;
    let amount_minor = minor("amount", amount, held.currency)?;
    if amount_minor <= 0 {
        return Err(CommandError::Invalid {
            field: "amount",
            reason: format!("must be positive, got {amount}"),
        });
    }
    if amount_minor > held.held_minor() {
        return Ok(Outcome::Rejected(Rejection::SuspenseShort {
            held_minor: held.held_minor(),
            line: held.bank_ref,
            asked_minor: amount_minor,
        }));
    }
    held.returned.push(ReturnedPart { amount_minor, effective_on });
    env.txn.put_bank_line(&held)?;
    Ok(Outcome::CashReturned {
        returned: Money::from_minor(amount_minor, held.currency),
        held: Money::from_minor(held.held_minor(), held.currency),
        line: held.bank_ref,
    })
}

/// What `Command::RecordBankMatch` records.
pub(crate) struct Matched<'a> {
    pub(crate) line: &'a str,
    pub(crate) value_on: NaiveDate,
    pub(crate) amount: &'a Money,
    pub(crate) rule: &'a Option<String>,
    pub(crate) posted: &'a Money,
}

/// `Command::RecordBankMatch`: the line's amount positive, what was posted between nothing
/// and it, in the same currency.
pub(crate) fn record_bank_match(
    env: &mut Env<'_>,
    matched: &Matched<'_>,
) -> Result<Outcome, CommandError> {
    text("line", matched.line, true)?;
    if let Some(rule) = matched.rule {
        text("rule", rule, true)?;
    }
    let currency = matched.amount.currency();
    let amount_minor = minor("amount", matched.amount, currency)?;
    let posted_minor = minor("posted", matched.posted, currency)?;
    if amount_minor <= 0 || amount_minor > arrears_core::money::AMOUNT_MINOR_MAX {
        return Err(CommandError::Invalid {
            field: "amount",
            reason: format!(
                "must be positive and at most the maximum amount, got {}",
                matched.amount
            ),
        });
    }
    if !(0..=amount_minor).contains(&posted_minor) {
        return Err(CommandError::Invalid {
            field: "posted",
            reason: format!(
                "must be between 0 and the amount {}, got {}",
                matched.amount, matched.posted
            ),
        });
    }
    let record = LineMatch {
        bank_ref: matched.line.to_owned(),
        value_on: matched.value_on,
        currency,
        amount_minor,
        rule: matched.rule.clone(),
        posted_minor,
    };
    env.txn.put_bank_match(&record)?;
    Ok(Outcome::BankMatchRecorded { line: record.bank_ref })
}

/// `Command::RegisterPayerAccount`: the number read with its check digits, of the scheme
/// given, kept under its normalized form for the debtor.
pub(crate) fn register_payer_account(
    env: &mut Env<'_>,
    debtor: DebtorId,
    scheme: PayerScheme,
    number: &str,
) -> Result<Outcome, CommandError> {
    env.txn.debtor(debtor)?.ok_or(CommandError::UnknownDebtor(debtor))?;
    let account = payer_number(number)?;
    if account.scheme() != scheme {
        return Err(CommandError::Invalid {
            field: "scheme",
            reason: format!(
                "number {number:?} reads as {}, not {}",
                account.scheme().name(),
                scheme.name()
            ),
        });
    }
    let payer = RegisteredPayer { debtor, scheme, number: account.id().to_owned() };
    env.txn.put_payer_account(&payer)?;
    Ok(Outcome::DebtorUpdated { debtor, cancelled: Vec::new() })
}

/// `Command::RemovePayerAccount`: an account not registered on the debtor is an error.
pub(crate) fn remove_payer_account(
    env: &mut Env<'_>,
    debtor: DebtorId,
    number: &str,
) -> Result<Outcome, CommandError> {
    env.txn.debtor(debtor)?.ok_or(CommandError::UnknownDebtor(debtor))?;
    let account = payer_number(number)?;
    if !env.txn.remove_payer_account(account.id(), debtor)? {
        return Err(CommandError::Invalid {
            field: "number",
            reason: format!("debtor {debtor} has no payer account {:?}", account.id()),
        });
    }
    Ok(Outcome::DebtorUpdated { debtor, cancelled: Vec::new() })
}

/// Reads a payer account number: not empty, not too long, check digits right for the scheme
/// its shape names.
fn payer_number(number: &str) -> Result<PayerAccount, CommandError> {
    text("number", number, true)?;
    if number.len() > PAYER_NUMBER_LEN_MAX {
        return Err(CommandError::Invalid {
            field: "number",
            reason: format!("is {} bytes, at most {PAYER_NUMBER_LEN_MAX} allowed", number.len()),
        });
    }
    let account = PayerAccount::parse(number)
        .map_err(|error| CommandError::Invalid { field: "number", reason: error.to_string() })?;
    if account.id().is_empty() {
        return Err(CommandError::Invalid {
            field: "number",
            reason: format!("{number:?} has no letters or digits"),
        });
    }
    Ok(account)
}

/// `Command::SetBankRules`: the text kept as given under [`BANK_RULES_CONFIG`], once
/// arrears-bank's schema reads it (so that no stored rules fail the next import).
pub(crate) fn set_bank_rules(
    env: &mut Env<'_>,
    file: &str,
    text: &str,
) -> Result<Outcome, CommandError> {
    crate::context::text("file", file, true)?;
    if text.trim().is_empty() || text.len() > BANK_RULES_LEN_MAX {
        return Err(CommandError::Invalid {
            field: "text",
            reason: format!(
                "is {} bytes, 1 to {BANK_RULES_LEN_MAX} allowed (not only white space)",
                text.len()
            ),
        });
    }
    if let Err(error) = arrears_bank::matching::MatchRules::from_toml(text, file) {
        return Err(CommandError::Invalid { field: "text", reason: error.to_string() });
    }
    env.txn.put_config(BANK_RULES_CONFIG, text.as_bytes())?;
    Ok(Outcome::BankRulesSet { file: file.to_owned() })
}

/// The config entry of the bank matching rules.
pub(crate) const BANK_RULES_CONFIG: &str = "bank_rules";

/// The longest payer account number accepted, as written (an IBAN printed in groups is 42).
const PAYER_NUMBER_LEN_MAX: usize = 64;
