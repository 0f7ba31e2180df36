//! Executing commands inside a write transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use arrears_core::case::AuditKind;
use arrears_core::ids::{AccountId, DebtorId, ObligationId};
use arrears_core::ledger::EventKind;
use arrears_core::model::{Account, Debtor, ObligationKind};
use arrears_core::policy::Policy;
use arrears_store::codec::{decode_record, encode_record};
use arrears_store::Reads;
use arrears_store::{
    AccountRecord, IdempotencyRecord, RecordKind, RefKind, Sequence, WriteTxn, KEY_LEN_MAX,
};

use crate::collections;
use crate::command::{Command, NewAccount, NewDebtor, Outcome, Receipt, Rejection};
use crate::context::{
    components_for, jurisdiction_of, load_account_record, minor, text, Components, Env,
    PolicyCache, POLICY_CONFIG,
};
use crate::error::CommandError;
use crate::ledger_write::NewObligation;
use crate::lifecycle::{self, ledger_command};
use crate::registry::Registry;

/// The plugins a policy being set may name: this process's components and the store's
/// registry (whose entries are read in the command's transaction).
pub(crate) struct Plugins<'a> {
    pub(crate) components: &'a Components,
    pub(crate) registry: &'a Registry,
}

pub(crate) fn execute(
    txn: &mut WriteTxn,
    now: DateTime<Utc>,
    key: &str,
    command: &Command,
    policies: &PolicyCache,
    plugins: &Plugins<'_>,
) -> Result<Receipt, CommandError> {
    if key.is_empty() || key.len() > KEY_LEN_MAX {
        return Err(CommandError::Invalid {
            field: "key",
            reason: format!("must be 1 to {KEY_LEN_MAX} bytes, got {}", key.len()),
        });
    }
    crate::context::no_nul("key", key)?;
    if let Some((field, date)) =
        command.dates().into_iter().find(|(_, date)| !arrears_core::dates::is_supported(*date))
    {
        return Err(CommandError::Invalid { field, reason: unsupported_date(date) });
    }
    let command_bytes = encode_record(RecordKind::Command, &command.canonical());
    if let Some(record) = txn.idempotency(key)? {
        if !same_command(key, &record.command, &command_bytes)? {
            return Err(CommandError::IdempotencyConflict { key: key.to_owned() });
        }
        let rebuilt = crate::audit::rebuilt_outcome(&*txn, &BTreeMap::new(), key, &record.result)?;
        let outcome: Outcome = match rebuilt {
            Some(outcome) => outcome,
            None => decode_record(RecordKind::Outcome, &record.result).map_err(|reason| {
                arrears_store::StorageError::Corrupted {
                    table: "idempotency",
                    key: format!("{key:?}"),
                    reason,
                }
            })?,
        };
        return Ok(Receipt { outcome, replayed: true });
    }
    if let Command::SetPolicy { file, text } = command {
        // A policy naming a plugin that does not resolve is refused now, not at cycle time.
        // (A text that does not load is refused by the command itself, with its location.)
        if let Ok(policy) = Policy::from_toml(text, file) {
            components_for(plugins.components, plugins.registry, &policy, &*txn)?;
            // Likewise a policy assigning work to a team that does not exist.
            crate::queue::check_policy_teams(txn, &policy, file)?;
        }
    }
    let policy = policies.get(txn)?;
    let mut env = Env { txn, now, key, policy: &policy, rebuilt_from: None };
    let scoring =
        crate::underwriting::Scoring { components: plugins.components, registry: plugins.registry };
    let outcome = dispatch(&mut env, &scoring, command)?;
    if !outcome.is_rejected() {
        let account = command_account(command, &outcome);
        let result = encode_record(RecordKind::Outcome, &outcome);
        // The digest covers the outcome's record whatever the idempotency record keeps: a
        // pointer to the ledger row it is rebuilt from (format 13), when it is rebuilt exactly.
        let content = crate::audit::content_digest(&command_bytes, &result);
        let result = match (&outcome, env.rebuilt_from) {
            (Outcome::Posted(posted), Some((account, event, row)))
                if posted.account == account && posted.event == event =>
            {
                crate::audit::row_pointer(crate::audit::RowPointer { row, account, event })
            }
            _ => result,
        };
        let record = IdempotencyRecord { command: command_bytes, result };
        let kind = AuditKind::CommandExecuted {
            name: command.name().to_owned(),
            key: key.to_owned(),
            content,
        };
        crate::audit::append_command(env.txn, now, account, kind, record)?;
    }
    Ok(Receipt { outcome, replayed: false })
}

/// The account a command concerns, for the audit log.
fn command_account(command: &Command, outcome: &Outcome) -> Option<AccountId> {
    match (command, outcome) {
        (_, Outcome::AccountOpened(id)) => Some(*id),
        (_, Outcome::Posted(posted)) => Some(posted.account),
        (_, Outcome::Worked { account, .. }) => Some(*account),
        (_, Outcome::Cases(cases)) if cases.len() == 1 => cases.first().map(|case| case.account),
        _ => None,
    }
}

fn dispatch(
    env: &mut Env<'_>,
    scoring: &crate::underwriting::Scoring<'_>,
    command: &Command,
) -> Result<Outcome, CommandError> {
    use arrears_core::collection::CollectionEvent as Event;
    Ok(match command {
        Command::CreateDebtor(new) => create_debtor(env.txn, new)?,
        Command::OpenAccount(new) => open_account(env, new)?,
        Command::Charge(new) => {
            let record = load_account_record(env.txn, new.account)?;
            let account = &record.account;
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
            ledger_on(
                env,
                &record,
                new.issued_on,
                kind,
                vec![obligation],
                Some(Event::ChargePosted),
            )?
        }
        Command::Fee { account, effective_on, due_on, amount } => {
            let record = load_account_record(env.txn, *account)?;
            let account = &record.account;
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
            ledger_on(env, &record, *effective_on, kind, vec![new], Some(Event::ChargePosted))?
        }
        Command::ChannelPayment {
            account,
            effective_on,
            amount,
            directed_to,
            agent,
            action,
            ..
        } => {
            if let Some(agent) = agent {
                if env.txn.agent(agent)?.is_none() {
                    let reason = format!("no agent {agent:?}");
                    return Err(CommandError::Invalid { field: "agent", reason });
                }
            }
            if let Some(action) = action {
                env.txn.action(*action)?.ok_or(CommandError::UnknownAction(*action))?;
            }
            let payment = Command::Payment {
                account: *account,
                effective_on: *effective_on,
                amount: *amount,
                directed_to: *directed_to,
            };
            return dispatch(env, scoring, &payment);
        }
        Command::Payment { account, effective_on, amount, directed_to } => {
            let record = load_account_record(env.txn, *account)?;
            let account = &record.account;
            let amount_minor = minor("amount", amount, account.currency)?;
            if let Some(rejection) = payment_ahead(env, *effective_on) {
                return Ok(Outcome::Rejected(rejection));
            }
            let kind = EventKind::Payment { amount_minor, directed_to: *directed_to };
            ledger_on(env, &record, *effective_on, kind, Vec::new(), Some(Event::PaymentPosted))?
        }
        Command::Reversal { account, payment, effective_on, reason } => {
            let record = load_account_record(env.txn, *account)?;
            let kind = EventKind::Reversal { payment: *payment, reason: *reason };
            let in_error = *reason == arrears_core::ledger::ReversalReason::Error;
            let again =
                if in_error { crate::suspense::held_again(env, *account, *payment)? } else { None };
            let outcome = ledger_on(
                env,
                &record,
                *effective_on,
                kind,
                Vec::new(),
                Some(Event::ReversalPosted),
            )?;
            if let (Some(again), Outcome::Posted(_)) = (again, &outcome) {
                env.txn.put_bank_line(&again)?;
            }
            outcome
        }
        Command::Waiver { account, obligation, component, amount, effective_on } => {
            let record = load_account_record(env.txn, *account)?;
            let account = &record.account;
            let amount_minor = minor("amount", amount, account.currency)?;
            let kind =
                EventKind::Waiver { obligation: *obligation, component: *component, amount_minor };
            ledger_on(env, &record, *effective_on, kind, Vec::new(), None)?
        }
        Command::CreditNote { account, obligation, effective_on, amount, reason, external_ref } => {
            let record = load_account_record(env.txn, *account)?;
            let account = &record.account;
            let amount_minor = minor("amount", amount, account.currency)?;
            if let Some(reference) = external_ref {
                crate::context::text("external_ref", reference, true)?;
            }
            let kind =
                EventKind::CreditNote { obligation: *obligation, amount_minor, reason: *reason };
            ledger_on(env, &record, *effective_on, kind, Vec::new(), None)?
        }
        Command::Refund { account, effective_on, amount, external_ref } => {
            if let Some((recorded_on, days_ahead, future_days_max)) =
                beyond_horizon(env, *effective_on)
            {
                let effective_on = *effective_on;
                let ahead = Rejection::RefundAhead {
                    effective_on,
                    recorded_on,
                    days_ahead,
                    future_days_max,
                };
                return Ok(Outcome::Rejected(ahead));
            }
            let record = load_account_record(env.txn, *account)?;
            let amount_minor = minor("amount", amount, record.account.currency)?;
            let kind = EventKind::Refund { obligation: ObligationId(0), amount_minor };
            let new = NewObligation {
                external_ref: external_ref.clone(),
                kind: ObligationKind::Refund,
                due_on: *effective_on,
                amounts_minor: [amount_minor, 0, 0],
            };
            ledger_on(env, &record, *effective_on, kind, vec![new], None)?
        }
        Command::WithdrawCharge { account, obligation, effective_on } => {
            let record = load_account_record(env.txn, *account)?;
            let kind = EventKind::ChargeWithdrawn { obligation: *obligation };
            ledger_on(env, &record, *effective_on, kind, Vec::new(), None)?
        }
        Command::DetectSignals { as_of } => crate::detection::detect_signals(env, *as_of)?,
        Command::Adjustment { account, obligation, component, amount, effective_on } => {
            let record = load_account_record(env.txn, *account)?;
            let account = &record.account;
            let amount_minor = minor("amount", amount, account.currency)?;
            let kind = EventKind::Adjustment {
                obligation: *obligation,
                component: *component,
                amount_minor,
            };
            ledger_on(env, &record, *effective_on, kind, Vec::new(), None)?
        }
        Command::AccrueInterest { account, through_on, due_on } => {
            let record = load_account_record(env.txn, *account)?;
            let kind = EventKind::AccrueInterest { obligation: ObligationId(0), due_on: *due_on };
            let new = NewObligation {
                external_ref: None,
                kind: ObligationKind::Interest,
                due_on: *due_on,
                amounts_minor: [0, 0, 0],
            };
            ledger_on(env, &record, *through_on, kind, vec![new], Some(Event::ChargePosted))?
        }
        Command::ChargeOff { account, effective_on } => {
            let record = load_account_record(env.txn, *account)?;
            ledger_on(
                env,
                &record,
                *effective_on,
                EventKind::ChargeOff,
                Vec::new(),
                Some(Event::ChargeOff),
            )?
        }
        Command::Dispute { account, obligation, disputed, effective_on } => {
            let record = load_account_record(env.txn, *account)?;
            let kind = EventKind::Dispute { obligation: *obligation, disputed: *disputed };
            ledger_on(env, &record, *effective_on, kind, Vec::new(), None)?
        }
        Command::Promise { account, made_on, payments } => {
            collections::promise(env, *account, *made_on, payments)?
        }
        Command::CreatePlan(new) => collections::create_plan(env, new)?,
        Command::OfferSettlement { account, offered_on, amount } => {
            collections::offer_settlement(env, *account, *offered_on, amount)?
        }
        Command::AcceptSettlement { account, accepted_on } => {
            collections::accept_settlement(env, *account, *accepted_on)?
        }
        Command::OpenDispute { account, obligations, on } => {
            collections::open_dispute(env, *account, obligations, *on)?
        }
        Command::ResolveDispute { account, on } => {
            collections::resolve_dispute(env, *account, *on)?
        }
        Command::GrantHardship { account, on, until } => {
            collections::grant_hardship(env, *account, *on, *until)?
        }
        Command::EndHardship { account, on } => collections::end_hardship(env, *account, *on)?,
        Command::Place { account, on, agency, commission_rate } => {
            collections::place(env, *account, *on, agency, *commission_rate)?
        }
        Command::Recall { account, on } => collections::recall(env, *account, *on)?,
        Command::ReferToLegal { account, on } => collections::refer_to_legal(env, *account, *on)?,
        Command::SetFlag { debtor, flag, on } => {
            let outcome = collections::set_flag(env, *debtor, *flag, *on)?;
            if !outcome.is_rejected() {
                // A flag that stops contact cancels the debtor's pending actions at once.
                crate::upkeep::after_flag(env, *debtor, *flag)?;
            }
            outcome
        }
        Command::SetContactPoint { debtor, point, evidence } => {
            crate::upkeep::set_contact_point(env, *debtor, point, evidence.as_ref())?
        }
        Command::RemoveContactPoint { debtor, channel, address } => {
            crate::upkeep::remove_contact_point(env, *debtor, *channel, address)?
        }
        Command::MarkSent { action, at } => crate::outbox::mark_sent(env, *action, *at)?,
        Command::AddNote { debtor, note } => crate::upkeep::add_note(env, *debtor, note)?,
        Command::DefineTeam(team) => crate::queue::define_team(env, team)?,
        Command::DefineAgent(agent) => crate::queue::define_agent(env, agent)?,
        Command::RecordWork(done) => crate::queue::record_work(env, done)?,
        Command::ReceiveCash { line } => crate::suspense::receive_cash(env, line)?,
        Command::RegisterPayerAccount { debtor, scheme, number } => {
            crate::suspense::register_payer_account(env, *debtor, *scheme, number)?
        }
        Command::RemovePayerAccount { debtor, number } => {
            crate::suspense::remove_payer_account(env, *debtor, number)?
        }
        Command::SetBankRules { file, text } => crate::suspense::set_bank_rules(env, file, text)?,
        Command::ReturnCash { line, amount, effective_on } => {
            crate::suspense::return_cash(env, line, amount, *effective_on)?
        }
        Command::RecordBankMatch { line, value_on, amount, rule, posted } => {
            let matched =
                crate::suspense::Matched { line, value_on: *value_on, amount, rule, posted };
            crate::suspense::record_bank_match(env, &matched)?
        }
        Command::ApplyCash { line, account, amount, effective_on } => {
            if let Some(rejection) = payment_ahead(env, *effective_on) {
                return Ok(Outcome::Rejected(rejection));
            }
            let application = crate::suspense::Application {
                line,
                account: *account,
                amount,
                effective_on: *effective_on,
            };
            crate::suspense::apply_cash(env, &application)?
        }
        Command::RecordForbearanceAssessed { account, on, reason } => {
            collections::record_forbearance_assessed(env, *account, *on, reason)?
        }
        Command::SetLimitationDate { account, on } => {
            crate::upkeep::set_limitation_date(env, *account, *on)?
        }
        Command::SetContactRestrictions { debtor, restrictions } => {
            crate::upkeep::set_contact_restrictions(env, *debtor, restrictions)?
        }
        Command::ChangeRestrictions { debtor, changes } => {
            crate::upkeep::change_restrictions(env, *debtor, changes)?
        }
        Command::SetAttorney { debtor, attorney } => {
            crate::upkeep::set_attorney(env, *debtor, attorney)?
        }
        Command::SetCreditTerms {
            debtor,
            product,
            limit,
            terms,
            refuse_to_trade,
            effective_on,
        } => crate::underwriting::set_credit_terms(
            env,
            *debtor,
            *product,
            limit,
            terms,
            (*refuse_to_trade, *effective_on),
        )?,
        Command::DecideCredit { application } => {
            crate::underwriting::decide_credit(env, scoring, application)?
        }
        Command::ReviewCredit { as_of } => {
            crate::underwriting::review_credit(env, scoring, *as_of)?
        }
        Command::ReportSignal { debtor, report } => {
            crate::upkeep::report_signal(env, *debtor, report)?
        }
        Command::RequestCallback { debtor, accounts, channel, address, at } => {
            let callback =
                crate::upkeep::Callback { accounts, channel: *channel, address, at: *at };
            crate::upkeep::request_callback(env, *debtor, &callback)?
        }
        Command::UpdateDebtor { debtor, changes } => {
            crate::upkeep::update_debtor(env, *debtor, changes)?
        }
        Command::RecordInbound { debtor, accounts, channel, address, at, outcome }
        | Command::RecordOutbound { debtor, accounts, channel, address, at, outcome } => {
            let contact = crate::upkeep::Contact {
                accounts,
                channel: *channel,
                address,
                at: *at,
                outcome: *outcome,
                inbound: matches!(command, Command::RecordInbound { .. }),
            };
            crate::upkeep::record_contact(env, *debtor, &contact)?
        }
        Command::SetCreditStanding { standing } => {
            crate::underwriting::set_credit_standing(env, standing)?
        }
        Command::Close { account, on } => collections::close(env, *account, *on)?,
        Command::Reopen { account, on } => collections::reopen(env, *account, *on)?,
        Command::Acknowledge { action, outcome, at } => {
            crate::outbox::acknowledge(env, *action, *outcome, *at)?
        }
        Command::ReverseChargeOff { account, on, reason } => {
            collections::reverse_charge_off(env, *account, *on, reason)?
        }
        Command::SetPolicy { file, text } => {
            let policy = Policy::from_toml(text, file)
                .map_err(|error| CommandError::Policy(Box::new(error)))?;
            // Every amount must apply to every currency the portfolio holds accounts in.
            let mut currencies = std::collections::BTreeSet::new();
            for account_id in env.txn.account_ids()? {
                if let Some(account) = env.txn.account(account_id)? {
                    currencies.insert(account.currency);
                }
            }
            for currency in currencies {
                if let Some(rule) = policy.rule_without(currency) {
                    return Err(CommandError::PolicyCurrency {
                        file: file.clone(),
                        rule,
                        currency,
                    });
                }
            }
            env.txn.put_config(POLICY_CONFIG, text.as_bytes())?;
            Outcome::PolicySet { name: policy.name().to_owned() }
        }
    })
}

/// True if the command recorded under `key` (`stored`, as written then) is the one encoded as
/// `current` now. The bytes are compared; a command recorded in an older record version
/// (format 1 wrote dates as strings) is decoded and re-encoded first, so a retry after an
/// upgrade still replays instead of conflicting.
fn same_command(key: &str, stored: &[u8], current: &[u8]) -> Result<bool, CommandError> {
    if stored == current {
        return Ok(true);
    }
    if stored.first() == current.first() {
        return Ok(false);
    }
    let command: Command = decode_record(RecordKind::Command, stored).map_err(|reason| {
        arrears_store::StorageError::Corrupted {
            table: "idempotency",
            key: format!("{key:?}"),
            reason,
        }
    })?;
    Ok(encode_record(RecordKind::Command, &command) == current)
}

fn create_debtor(txn: &mut WriteTxn, new: &NewDebtor) -> Result<Outcome, CommandError> {
    use arrears_core::model::CONTACT_POINTS_MAX;
    crate::context::check_debtor_profile(
        &new.name,
        &new.jurisdiction,
        &new.language,
        &new.time_zones,
    )?;
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
        restrictions: arrears_core::model::ContactRestrictions::default(),
        attorney: None,
        reported_signals: Vec::new(),
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

fn open_account(env: &mut Env<'_>, new: &NewAccount) -> Result<Outcome, CommandError> {
    let txn = &mut *env.txn;
    let Some(debtor) = txn.debtor(new.debtor)? else {
        return Err(CommandError::UnknownDebtor(new.debtor));
    };
    if let Some(rejection) = crate::context::refused_to_trade(txn, new.debtor)? {
        return Ok(Outcome::Rejected(rejection));
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
    new.terms
        .late_fee
        .check()
        .map_err(|reason| CommandError::Invalid { field: "terms.late_fee", reason })?;
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
    // The debtor's flags are facts about the debtor, so about each of its accounts, those
    // opened after a flag was set included (a bankruptcy stay covers them all).
    let mut case = lifecycle::new_case(env.policy, &account);
    case.flags.cease_communication = debtor.flags.cease_communication;
    case.flags.attorney_represented = debtor.flags.attorney_represented;
    case.flags.bankruptcy_stay = debtor.flags.bankruptcy;
    case.flags.deceased = debtor.flags.deceased;
    txn.put_case(&case)?;
    Ok(Outcome::AccountOpened(id))
}

/// The refusal of a payment dated after the day it is recorded by more than the policy's
/// horizon, if it is.
fn payment_ahead(env: &Env<'_>, effective_on: chrono::NaiveDate) -> Option<Rejection> {
    beyond_horizon(env, effective_on).map(|(recorded_on, days_ahead, future_days_max)| {
        Rejection::PaymentAhead { effective_on, recorded_on, days_ahead, future_days_max }
    })
}

/// The day a money movement is recorded, how many days after it `effective_on` falls and the
/// policy's horizon (`[dates] future_days_max`), if the date is beyond the horizon: money moves
/// on its value date, and is recorded then.
fn beyond_horizon(
    env: &Env<'_>,
    effective_on: chrono::NaiveDate,
) -> Option<(chrono::NaiveDate, i64, u32)> {
    let recorded_on = env.now.date_naive();
    let future_days_max = env.policy.dates().future_days_max;
    let days_ahead = (effective_on - recorded_on).num_days();
    (days_ahead > i64::from(future_days_max)).then_some((recorded_on, days_ahead, future_days_max))
}

/// Why a date outside the supported range is refused.
#[cold]
pub(crate) fn unsupported_date(date: chrono::NaiveDate) -> String {
    format!(
        "{date} is outside the supported dates {} to {}",
        arrears_core::dates::DATE_MIN,
        arrears_core::dates::DATE_MAX
    )
}

/// [`ledger_command`] on the account of `record`, with the debtor jurisdiction the record keeps
/// (the one debtor fact the gate reads: the debtor is read only if the record keeps none,
/// `jurisdiction_of`).
fn ledger_on(
    env: &mut Env<'_>,
    record: &AccountRecord,
    effective_on: NaiveDate,
    kind: EventKind,
    new_obligations: Vec<NewObligation>,
    event: Option<arrears_core::collection::CollectionEvent>,
) -> Result<Outcome, CommandError> {
    let account = &record.account;
    let jurisdiction = jurisdiction_of(env.txn, account, record.debtor_jurisdiction.as_ref())?;
    ledger_command(env, account, &jurisdiction, effective_on, kind, new_obligations, event)
}
