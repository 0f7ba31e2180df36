//! Executing commands inside a write transaction.

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{
    check, difference, replay, Book, EntryKind, Event, EventKind, EventRecord, JournalEntry,
};
use arrears_core::model::{Account, Component, Debtor, Obligation, ObligationKind, TEXT_LEN_MAX};
use arrears_core::money::{Currency, Money};
use arrears_store::codec::{decode, encode};
use arrears_store::{IdempotencyRecord, RecordKind, RefKind, Sequence, WriteTxn, KEY_LEN_MAX};

use crate::command::{
    Command, NewAccount, NewCharge, NewDebtor, Outcome, Posted, Receipt, Rejection,
};
use crate::error::CommandError;

pub(crate) fn execute(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    key: &str,
    command: &Command,
) -> Result<Receipt, CommandError> {
    if key.is_empty() || key.len() > KEY_LEN_MAX {
        return Err(CommandError::Invalid {
            field: "key",
            reason: format!("must be 1 to {KEY_LEN_MAX} bytes, got {}", key.len()),
        });
    }
    let command_bytes = encode(RecordKind::Command, &command.canonical());
    if let Some(record) = txn.idempotency(key)? {
        if record.command != command_bytes {
            return Err(CommandError::IdempotencyConflict { key: key.to_owned() });
        }
        let outcome: Outcome = decode(RecordKind::Outcome, &record.result).map_err(|reason| {
            arrears_store::StorageError::Corrupted {
                table: "idempotency",
                key: format!("{key:?}"),
                reason,
            }
        })?;
        return Ok(Receipt { outcome, replayed: true });
    }
    let outcome = match command {
        Command::CreateDebtor(new) => create_debtor(txn, new)?,
        Command::OpenAccount(new) => open_account(txn, new)?,
        Command::Charge(new) => charge(txn, now, key, new)?,
        Command::Fee { account, effective_on, due_on, amount } => {
            let account = load_account(txn, *account)?;
            let fee_minor = minor("amount", amount, account.currency)?;
            let new = NewObligation {
                external_ref: None,
                kind: ObligationKind::Fee,
                due_on: *due_on,
                amounts_minor: [0, 0, fee_minor],
            };
            let kind = EventKind::Charge {
                obligation: ObligationId(0),
                kind: ObligationKind::Fee,
                due_on: *due_on,
                amounts_minor: new.amounts_minor,
            };
            record_event(txn, now, key, &account, *effective_on, kind, Some(new))?
        }
        Command::Payment { account, effective_on, amount, directed_to } => {
            let account = load_account(txn, *account)?;
            let amount_minor = minor("amount", amount, account.currency)?;
            let kind = EventKind::Payment { amount_minor, directed_to: *directed_to };
            record_event(txn, now, key, &account, *effective_on, kind, None)?
        }
        Command::Reversal { account, payment, effective_on, reason } => {
            let account = load_account(txn, *account)?;
            let kind = EventKind::Reversal { payment: *payment, reason: *reason };
            record_event(txn, now, key, &account, *effective_on, kind, None)?
        }
        Command::Waiver { account, obligation, component, amount, effective_on } => {
            let account = load_account(txn, *account)?;
            let amount_minor = minor("amount", amount, account.currency)?;
            let kind =
                EventKind::Waiver { obligation: *obligation, component: *component, amount_minor };
            record_event(txn, now, key, &account, *effective_on, kind, None)?
        }
        Command::Adjustment { account, obligation, component, amount, effective_on } => {
            let account = load_account(txn, *account)?;
            let amount_minor = minor("amount", amount, account.currency)?;
            let kind = EventKind::Adjustment {
                obligation: *obligation,
                component: *component,
                amount_minor,
            };
            record_event(txn, now, key, &account, *effective_on, kind, None)?
        }
        Command::AccrueInterest { account, through_on, due_on } => {
            let account = load_account(txn, *account)?;
            let kind = EventKind::AccrueInterest { obligation: ObligationId(0), due_on: *due_on };
            let new = NewObligation {
                external_ref: None,
                kind: ObligationKind::Interest,
                due_on: *due_on,
                amounts_minor: [0, 0, 0],
            };
            record_event(txn, now, key, &account, *through_on, kind, Some(new))?
        }
        Command::ChargeOff { account, effective_on } => {
            let account = load_account(txn, *account)?;
            record_event(txn, now, key, &account, *effective_on, EventKind::ChargeOff, None)?
        }
        Command::Dispute { account, obligation, disputed, effective_on } => {
            let account = load_account(txn, *account)?;
            let kind = EventKind::Dispute { obligation: *obligation, disputed: *disputed };
            record_event(txn, now, key, &account, *effective_on, kind, None)?
        }
    };
    if !outcome.is_rejected() {
        let record = IdempotencyRecord {
            command: command_bytes,
            result: encode(RecordKind::Outcome, &outcome),
        };
        txn.put_idempotency(key, &record)?;
    }
    Ok(Receipt { outcome, replayed: false })
}

fn load_account(txn: &WriteTxn, id: AccountId) -> Result<Account, CommandError> {
    txn.account(id)?.ok_or(CommandError::UnknownAccount(id))
}

fn minor(field: &'static str, amount: &Money, currency: Currency) -> Result<i64, CommandError> {
    if amount.currency() != currency {
        return Err(CommandError::Money {
            field,
            source: arrears_core::money::MoneyError::CurrencyMismatch {
                left: amount.currency(),
                right: currency,
            },
        });
    }
    amount.to_minor().map_err(|source| CommandError::Money { field, source })
}

fn text(field: &'static str, value: &str, required: bool) -> Result<(), CommandError> {
    if required && value.trim().is_empty() {
        return Err(CommandError::Invalid { field, reason: "must not be empty".to_owned() });
    }
    if value.len() > TEXT_LEN_MAX {
        return Err(CommandError::Invalid {
            field,
            reason: format!("is {} bytes, at most {TEXT_LEN_MAX} allowed", value.len()),
        });
    }
    Ok(())
}

fn create_debtor(txn: &mut WriteTxn, new: &NewDebtor) -> Result<Outcome, CommandError> {
    use arrears_core::model::{CONTACT_POINTS_MAX, TIME_ZONES_MAX};
    text("name", &new.name, true)?;
    text("language", &new.language, false)?;
    let country = &new.jurisdiction.country;
    if country.len() != 2 || !country.bytes().all(|byte| byte.is_ascii_uppercase()) {
        return Err(CommandError::Invalid {
            field: "country",
            reason: format!("{country:?} is not an ISO 3166-1 alpha-2 code such as \"US\""),
        });
    }
    if new.time_zones.is_empty() || new.time_zones.len() > TIME_ZONES_MAX {
        return Err(CommandError::Invalid {
            field: "time_zones",
            reason: format!(
                "1 to {TIME_ZONES_MAX} IANA time zones required, got {}",
                new.time_zones.len()
            ),
        });
    }
    for zone in &new.time_zones {
        if zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(CommandError::Invalid {
                field: "time_zones",
                reason: format!("{zone:?} is not an IANA time zone such as \"America/Chicago\""),
            });
        }
    }
    if new.contact_points.len() > CONTACT_POINTS_MAX {
        return Err(CommandError::Invalid {
            field: "contact_points",
            reason: format!("at most {CONTACT_POINTS_MAX}, got {}", new.contact_points.len()),
        });
    }
    for point in &new.contact_points {
        text("contact_points.address", &point.address, true)?;
    }
    if let Some(rejection) = ref_taken(txn, RefKind::Debtor, new.external_ref.as_deref())? {
        return Ok(Outcome::Rejected(rejection));
    }
    let id = DebtorId(txn.next_id(Sequence::Debtor)?);
    claim(txn, RefKind::Debtor, new.external_ref.as_deref(), id.0)?;
    let debtor = Debtor {
        id,
        external_ref: new.external_ref.clone(),
        kind: new.kind,
        name: new.name.clone(),
        jurisdiction: new.jurisdiction.clone(),
        time_zones: new.time_zones.clone(),
        language: new.language.clone(),
        contact_points: new.contact_points.clone(),
        flags: new.flags,
    };
    txn.put_debtor(&debtor)?;
    Ok(Outcome::DebtorCreated(id))
}

/// The rejection if another record already holds the external reference. Checked before any
/// write, so that a rejected command writes nothing, not even an id.
fn ref_taken(
    txn: &WriteTxn,
    kind: RefKind,
    reference: Option<&str>,
) -> Result<Option<Rejection>, CommandError> {
    let Some(reference) = reference else { return Ok(None) };
    text("external_ref", reference, true)?;
    Ok(txn.external_ref(kind, reference)?.map(|existing| Rejection::ExternalRefTaken {
        kind: format!("{kind:?}").to_lowercase(),
        reference: reference.to_owned(),
        existing,
    }))
}

/// Claims an external reference that [`ref_taken`] found free in this transaction.
fn claim(
    txn: &mut WriteTxn,
    kind: RefKind,
    reference: Option<&str>,
    id: u64,
) -> Result<(), CommandError> {
    let Some(reference) = reference else { return Ok(()) };
    let existing = txn.claim_external_ref(kind, reference, id)?;
    assert!(
        existing.is_none(),
        "external reference {reference:?} was checked free in this transaction"
    );
    Ok(())
}

fn open_account(txn: &mut WriteTxn, new: &NewAccount) -> Result<Outcome, CommandError> {
    if txn.debtor(new.debtor)?.is_none() {
        return Err(CommandError::UnknownDebtor(new.debtor));
    }
    let credit_limit_minor = match &new.credit_limit {
        Some(limit) => {
            let limit_minor = minor("credit_limit", limit, new.currency)?;
            if limit_minor < 0 {
                return Err(CommandError::Invalid {
                    field: "credit_limit",
                    reason: "must not be negative".to_owned(),
                });
            }
            Some(limit_minor)
        }
        None => None,
    };
    if let arrears_core::model::LateFeeRule::Percent { rate, min_minor, max_minor, .. } =
        &new.terms.late_fee
    {
        if rate.is_sign_negative() || *min_minor < 0 || *max_minor < *min_minor {
            return Err(CommandError::Invalid {
                field: "terms.late_fee",
                reason: "rate and bounds must be non-negative with min <= max".to_owned(),
            });
        }
    }
    if let Some(interest) = &new.terms.interest {
        if interest.annual_rate.is_sign_negative()
            || interest.annual_rate > rust_decimal::Decimal::from(10)
        {
            return Err(CommandError::Invalid {
                field: "terms.interest.annual_rate",
                reason: format!("{} is outside 0 to 10 (1000%)", interest.annual_rate),
            });
        }
    }
    if let Some(rejection) = ref_taken(txn, RefKind::Account, new.external_ref.as_deref())? {
        return Ok(Outcome::Rejected(rejection));
    }
    let id = AccountId(txn.next_id(Sequence::Account)?);
    claim(txn, RefKind::Account, new.external_ref.as_deref(), id.0)?;
    let account = Account {
        id,
        external_ref: new.external_ref.clone(),
        debtor: new.debtor,
        product: new.product,
        currency: new.currency,
        credit_limit_minor,
        opened_on: new.opened_on,
        terms: new.terms.clone(),
    };
    txn.put_account(&account)?;
    Ok(Outcome::AccountOpened(id))
}

fn charge(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    key: &str,
    new: &NewCharge,
) -> Result<Outcome, CommandError> {
    let account = load_account(txn, new.account)?;
    let amounts_minor = [
        minor("principal", &new.principal, account.currency)?,
        minor("interest", &new.interest, account.currency)?,
        minor("fee", &new.fee, account.currency)?,
    ];
    let obligation = NewObligation {
        external_ref: new.external_ref.clone(),
        kind: new.kind,
        due_on: new.due_on,
        amounts_minor,
    };
    let kind = EventKind::Charge {
        obligation: ObligationId(0),
        kind: new.kind,
        due_on: new.due_on,
        amounts_minor,
    };
    record_event(txn, now, key, &account, new.issued_on, kind, Some(obligation))
}

struct NewObligation {
    external_ref: Option<String>,
    kind: ObligationKind,
    due_on: NaiveDate,
    amounts_minor: [i64; 3],
}

/// Checks and records one event, then journals what it derives and any corrections that a
/// back-dated event causes for events recorded before it.
fn record_event(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    key: &str,
    account: &Account,
    effective_on: NaiveDate,
    mut kind: EventKind,
    new_obligation: Option<NewObligation>,
) -> Result<Outcome, CommandError> {
    let mut events: Vec<Event> =
        txn.events(account.id)?.into_iter().map(|record| record.event).collect();
    let before = replay(account, &events, None);
    if let Err(rejection) = check(account, &events, &before.state, effective_on, &kind) {
        return Ok(Outcome::Rejected(rejection.into()));
    }
    if let Some(new) = &new_obligation {
        if let Some(rejection) = ref_taken(txn, RefKind::Obligation, new.external_ref.as_deref())? {
            return Ok(Outcome::Rejected(rejection));
        }
    }
    // Every check has passed: from here on the command writes.
    let mut obligation_id = None;
    if let Some(new) = &new_obligation {
        let id = ObligationId(txn.next_id(Sequence::Obligation)?);
        claim(txn, RefKind::Obligation, new.external_ref.as_deref(), id.0)?;
        match &mut kind {
            EventKind::Charge { obligation, .. } | EventKind::AccrueInterest { obligation, .. } => {
                *obligation = id
            }
            _ => unreachable!("only charges and accruals create obligations"),
        }
        obligation_id = Some(id);
    }
    let seq = EventSeq(events.iter().map(|event| event.seq.0).max().unwrap_or(0) + 1);
    events.push(Event { seq, effective_on, kind });
    let after = replay(account, &events, None);
    let stored = txn.derived(account.id)?;
    let mut entry = None;
    let mut corrections = Vec::new();
    for (event_seq, derived) in &after.derived {
        let journaled = stored.get(event_seq).map_or(&[][..], Vec::as_slice);
        let postings = difference(journaled, derived);
        if postings.is_empty() {
            continue;
        }
        let id = EntryId(txn.next_id(Sequence::Entry)?);
        let event_effective_on = events
            .iter()
            .find(|event| event.seq == *event_seq)
            .map_or(effective_on, |event| event.effective_on);
        let entry_kind = if *event_seq == seq {
            entry = Some(id);
            EntryKind::Original
        } else {
            corrections.push(id);
            EntryKind::Correction
        };
        txn.append_entry(&JournalEntry {
            id,
            account: account.id,
            event: *event_seq,
            kind: entry_kind,
            effective_on: event_effective_on,
            recorded_at: now,
            postings,
        })?;
        txn.put_derived(account.id, *event_seq, derived)?;
    }
    let postings = after.derived.get(&seq).cloned().unwrap_or_default();
    let event = events.pop().unwrap_or_else(|| unreachable!("the new event was just pushed"));
    txn.append_event(account.id, &EventRecord { event, recorded_at: now, key: key.to_owned() })?;
    if let (Some(new), Some(id)) = (new_obligation, obligation_id) {
        let mut original_minor = new.amounts_minor;
        if new.kind == ObligationKind::Interest {
            // The amount of posted interest is derived; record it as first posted.
            original_minor[Component::Interest.index()] = -postings
                .iter()
                .filter(|posting| posting.book == Book::InterestIncome)
                .map(|posting| posting.amount_minor)
                .sum::<i64>();
        }
        txn.put_obligation(&Obligation {
            id,
            account: account.id,
            external_ref: new.external_ref,
            kind: new.kind,
            issued_on: effective_on,
            due_on: new.due_on,
            original_minor,
        })?;
    }
    Ok(Outcome::Posted(Posted {
        account: account.id,
        event: seq,
        obligation: obligation_id,
        entry,
        postings,
        corrections,
    }))
}
