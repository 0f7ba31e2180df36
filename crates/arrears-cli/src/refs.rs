//! Resolving what a user names on the command line: an external reference or a store id
//! (`A12`, `O7`, `#3`).

use anyhow::{anyhow, bail, Result};

use arrears::ids::{AccountId, DebtorId, EventSeq, ObligationId};
use arrears::ledger::EventKind;
use arrears::model::{Account, Debtor, Obligation};
use arrears::Arrears;

/// `A12` -> 12 for prefix `A`.
fn prefixed_id(text: &str, prefix: char) -> Option<u64> {
    let digits = text.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The account named by `text`: its external reference first, then an id such as `A12`.
/// `flag` names where the text came from, for the error.
pub(crate) fn account(books: &Arrears, text: &str, flag: &str) -> Result<Account> {
    let text = text.trim();
    let id = match books.find_account(text)? {
        Some(id) => Some(id),
        None => prefixed_id(text, 'A').map(AccountId),
    };
    match id {
        Some(id) => books.account(id)?.ok_or_else(|| anyhow!("{flag}: no account {id}")),
        None => bail!("{flag}: no account with external reference or id {text:?}"),
    }
}

/// The debtor named by `text`: its external reference first, then an id such as `D3`.
pub(crate) fn debtor(books: &Arrears, text: &str, flag: &str) -> Result<Debtor> {
    let text = text.trim();
    let id = match books.find_debtor(text)? {
        Some(id) => Some(id),
        None => prefixed_id(text, 'D').map(DebtorId),
    };
    match id {
        Some(id) => books.debtor(id)?.ok_or_else(|| anyhow!("{flag}: no debtor {id}")),
        None => bail!("{flag}: no debtor with external reference or id {text:?}"),
    }
}

/// `D3 (C-1001)`, or `D3` without an external reference.
pub(crate) fn describe_debtor(debtor: &Debtor) -> String {
    format!("{}{}", debtor.id, describe_ref(debtor.external_ref.as_deref()))
}

/// The obligation of `account` named by `text`: its external reference first, then an id such
/// as `O7`.
pub(crate) fn obligation(
    books: &Arrears,
    account: &Account,
    text: &str,
    flag: &str,
) -> Result<ObligationId> {
    let text = text.trim();
    let id = match books.find_obligation(text)? {
        Some(id) => id,
        None => match prefixed_id(text, 'O') {
            Some(id) => ObligationId(id),
            None => bail!("{flag}: no obligation with external reference or id {text:?}"),
        },
    };
    let Some(obligation) = books.obligation(id)? else {
        bail!("{flag}: no obligation {id}");
    };
    check_owner(&obligation, account).map_err(|reason| anyhow!("{flag}: {reason}"))?;
    Ok(id)
}

/// An error unless the obligation belongs to the account.
pub(crate) fn check_owner(obligation: &Obligation, account: &Account) -> Result<(), String> {
    if obligation.account == account.id {
        Ok(())
    } else {
        Err(format!(
            "obligation {}{} belongs to account {}, not to {}",
            obligation.id,
            describe_ref(obligation.external_ref.as_deref()),
            obligation.account,
            describe_account(account)
        ))
    }
}

/// `A3 (TC-8001)`, or `A3` without an external reference.
pub(crate) fn describe_account(account: &Account) -> String {
    format!("{}{}", account.id, describe_ref(account.external_ref.as_deref()))
}

fn describe_ref(reference: Option<&str>) -> String {
    reference.map(|reference| format!(" ({reference})")).unwrap_or_default()
}

/// The payment event named by `text`: `#3` or `3`, or the idempotency key it was recorded
/// under.
pub(crate) fn payment(
    books: &Arrears,
    account: &Account,
    text: &str,
    flag: &str,
) -> Result<EventSeq> {
    let text = text.trim();
    let digits = text.strip_prefix('#').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        let seq = digits.parse().map_err(|_| anyhow!("{flag}: {text:?} is not an event number"))?;
        return Ok(EventSeq(seq));
    }
    match event_by_key(books, account.id, text)? {
        Some((seq, EventKind::Payment { .. })) => Ok(seq),
        Some((seq, kind)) => {
            bail!(
                "{flag}: event {seq} recorded under key {text:?} is a {}, not a payment",
                kind.name()
            )
        }
        None => bail!(
            "{flag}: no event #N and no event recorded under key {text:?} on account {}",
            describe_account(account)
        ),
    }
}

/// The event of an account recorded under an idempotency key.
pub(crate) fn event_by_key(
    books: &Arrears,
    account: AccountId,
    key: &str,
) -> Result<Option<(EventSeq, EventKind)>> {
    Ok(books
        .events(account)?
        .into_iter()
        .find(|record| record.key == key)
        .map(|record| (record.event.seq, record.event.kind)))
}
