//! The day-by-day simulator: the generated portfolio runs on the real engine and store.
//!
//! Each simulated day, in this order:
//!
//! 1. one batch with the day's bills (`Charge`: card statements, loan installments, invoices)
//!    and the payments debtors decided to make today (on-time payments, self-cures, kept
//!    promises, plan installments, answers to messages);
//! 2. the daily cycle (`Arrears::run_cycle`), whose report is summed;
//! 3. one batch acknowledging the outbox actions due today, with an outcome drawn from the
//!    debtor's behaviour (reachable hours, channel sensitivity) and the response model
//!    ([`super::response`]: channel, local hour, language and tone of the action's message,
//!    days past due), followed by what a conversation leads to: a payment taken, a promise,
//!    sometimes a plan, rarely a dispute (`dispute_raised`, which the engine turns into a
//!    dispute of the account); a message read may lead to a payment within days.
//!
//! The engine's clock is set to noon UTC of the simulated day, so every record is
//! reproducible: the same seed gives the same store contents and the same report.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike, Utc};
use serde::Serialize;

use arrears::case::{Action, ActionStatus, ContactOutcome};
use arrears::credit::CreditTerms;
use arrears::ids::{AccountId, DebtorId};
use arrears::model::{ContactChannel, ObligationKind, ProductKind, ReportedSignal};
use arrears::money::{Currency, Money};
use arrears::plan::Frequency;
use arrears::{Arrears, Batch, Clock, Command, NewAccount, NewCharge, NewDebtor, NewPlan};
use arrears::{Outcome, PromiseLine};

use super::generator::{channel_index, SimDebtor, SplitMix64};
use super::response::{self, Contact};

/// A clock the simulator moves from day to day (the engine's `FixedClock`, one per day).
#[derive(Debug, Clone, Default)]
pub(crate) struct SimClock(Arc<AtomicI64>);

impl SimClock {
    pub(crate) fn set(&self, day: NaiveDate) {
        let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
        self.0.store(noon.timestamp(), Ordering::Relaxed);
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0.load(Ordering::Relaxed), 0).unwrap_or_default()
    }
}

/// What the simulation did, beyond what the store records.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Activity {
    /// Bills issued.
    pub(crate) bills: u64,
    /// Payments made.
    pub(crate) payments: u64,
    /// Of those, partial payments.
    pub(crate) partial_payments: u64,
    /// Promises recorded.
    pub(crate) promises: u64,
    /// Plans created.
    pub(crate) plans: u64,
    /// Disputes raised.
    pub(crate) disputes: u64,
    /// Actions acknowledged.
    pub(crate) acknowledged: u64,
    /// Commands the engine refused, by command name.
    pub(crate) rejected: BTreeMap<String, u64>,
    /// Cycle totals over every day.
    pub(crate) reviewed: u64,
    /// Actions the cycles wrote to the outbox (contacts allowed).
    pub(crate) actions: u64,
    /// Proposals refused as malformed.
    pub(crate) proposals_refused: u64,
    /// Proposals blocked by compliance rule.
    pub(crate) blocked: BTreeMap<String, u64>,
    /// Proposals moved to a later allowed instant.
    pub(crate) rescheduled: u64,
    /// Proposals deferred behind a pending action.
    pub(crate) deferred: u64,
    /// Failed scorer and strategy calls, by arm and component (`arm component name`).
    pub(crate) component_failures: BTreeMap<String, u64>,
    /// Late fees assessed.
    pub(crate) fees_assessed: u64,
    /// Accounts charged off.
    pub(crate) charged_off: u64,
    /// Red flags reported about business debtors (`ReportSignal`, as a monitoring service).
    pub(crate) signals_reported: u64,
    /// Credit reviews the cycles ran, by what they did (`tighten`, `stop`, `loosen`, ...).
    pub(crate) credit_reviews: BTreeMap<String, u64>,
    /// Orders invoiced for less than asked, to stay within the limit in force.
    pub(crate) orders_capped: u64,
    /// Orders not invoiced at all: the limit in force was used up.
    pub(crate) orders_over_limit: u64,
}

/// Per-account simulation state.
struct Live {
    debtor: DebtorId,
    account: AccountId,
    bills: u32,
    last_bill_minor: i64,
    /// True when a bill went unpaid and nothing has caught it up since.
    behind: bool,
    /// Payments the debtor will make: (date, amount; `None` for what is past due then).
    scheduled: Vec<(NaiveDate, Option<i64>)>,
}

/// Runs `days` days from `start` on `books`, whose clock is `clock`. `tick` is called after
/// each day.
pub(crate) fn run(
    books: &Arrears,
    clock: &SimClock,
    debtors: &[SimDebtor],
    seed: u64,
    start: NaiveDate,
    days: u32,
    tick: &mut dyn FnMut(u32),
) -> Result<Activity> {
    let mut activity = Activity::default();
    clock.set(start);
    let (mut live, by_debtor) = open_accounts(books, debtors, seed, start)?;
    for day in 0..days {
        let on = start + Days::new(u64::from(day));
        clock.set(on);
        let mut batch = books.batch()?;
        for (index, debtor) in debtors.iter().enumerate() {
            let mut rng = stream(seed ^ 0x5EED, day, index, 0);
            report_flags(&mut batch, debtor, &live[index], (day, on), &mut activity)?;
            let state = &mut live[index];
            bill(books, &mut batch, debtor, state, (start, on), &mut rng, &mut activity)?;
            pay(books, &mut batch, debtor, &mut live[index], (start, on), &mut rng, &mut activity)?;
        }
        batch.commit()?;
        let report = books.run_cycle(on)?;
        activity.reviewed += report.reviewed;
        activity.actions += report.actions;
        activity.proposals_refused += report.proposals_refused;
        activity.rescheduled += report.rescheduled;
        activity.deferred += report.deferred;
        activity.fees_assessed += report.fees_assessed;
        activity.charged_off += report.charged_off;
        for review in &report.credit_reviews {
            let action = format!("{:?}", review.action).to_lowercase();
            *activity.credit_reviews.entry(action).or_insert(0) += 1;
        }
        for (rule, count) in report.blocked {
            *activity.blocked.entry(rule).or_insert(0) += count;
        }
        for failures in report.component_failures {
            let key = format!("{} {} {}", failures.arm, failures.component, failures.name);
            *activity.component_failures.entry(key).or_insert(0) += failures.calls;
        }
        acknowledge(books, (debtors, &mut live, &by_debtor), (seed, day, on), &mut activity)?;
        tick(day + 1);
    }
    Ok(activity)
}

/// The random stream of one debtor on one day (and one contact, `slot`): each debtor draws
/// from its own streams, so that two runs of the same seed under different strategies draw
/// the same numbers for a debtor until its own history differs (common random numbers: the
/// twin run of the paired comparison, docs/DEMO.md).
fn stream(seed: u64, day: u32, index: usize, slot: u64) -> SplitMix64 {
    let label = (u64::from(day) << 40) ^ ((index as u64) << 8) ^ slot;
    SplitMix64::derive(seed, label)
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

fn open_accounts(
    books: &Arrears,
    debtors: &[SimDebtor],
    seed: u64,
    start: NaiveDate,
) -> Result<(Vec<Live>, BTreeMap<DebtorId, usize>)> {
    let mut live = Vec::with_capacity(debtors.len());
    let mut by_debtor = BTreeMap::new();
    for (chunk_index, chunk) in debtors.chunks(1000).enumerate() {
        let mut batch = books.batch()?;
        for (offset, debtor) in chunk.iter().enumerate() {
            let index = chunk_index * 1000 + offset;
            let mut rng = SplitMix64::derive(seed ^ 0x0FE4, index as u64);
            let receipt = batch.execute(
                &format!("sim:debtor:{}", debtor.reference),
                &Command::CreateDebtor(NewDebtor {
                    external_ref: Some(debtor.reference.clone()),
                    kind: debtor.kind,
                    name: debtor.name.clone(),
                    jurisdiction: debtor.jurisdiction.clone(),
                    time_zones: vec![debtor.time_zone.clone()],
                    language: debtor.language.clone(),
                    contact_points: debtor.contact_points.clone(),
                    flags: super::generator::flags(),
                }),
            )?;
            let Outcome::DebtorCreated(debtor_id) = receipt.outcome else {
                bail!("debtor {} not created: {:?}", debtor.reference, receipt.outcome);
            };
            let account = &debtor.account;
            let receipt = batch.execute(
                &format!("sim:account:{}", account.reference),
                &Command::OpenAccount(NewAccount {
                    external_ref: Some(account.reference.clone()),
                    debtor: debtor_id,
                    product: account.product,
                    credit_limit: account.credit_limit_minor.map(usd),
                    currency: Currency::USD,
                    opened_on: start - Days::new(rng.range(30, 900) as u64),
                    terms: account.terms.clone(),
                }),
            )?;
            let Outcome::AccountOpened(account_id) = receipt.outcome else {
                bail!("account {} not opened: {:?}", account.reference, receipt.outcome);
            };
            by_debtor.insert(debtor_id, index);
            if account.product == ProductKind::TradeCredit {
                grant_trade_credit(&mut batch, debtor, debtor_id, start)?;
            }
            live.push(Live {
                debtor: debtor_id,
                account: account_id,
                bills: 0,
                last_bill_minor: 0,
                behind: false,
                scheduled: Vec::new(),
            });
        }
        batch.commit()?;
    }
    Ok((live, by_debtor))
}

/// The trade-credit limit every trade debtor starts with: four typical invoices, net 30 (the
/// simulator invoices within the limit in force; docs/DEMO.md, "Early warning").
const TRADE_LIMIT_BILLS: i64 = 4;

/// Grants a trade debtor its credit standing (`SetCreditTerms`): the limit and terms the
/// credit reviews of the policy tighten, and the simulator's invoices respect.
fn grant_trade_credit(
    batch: &mut Batch<'_>,
    debtor: &SimDebtor,
    debtor_id: DebtorId,
    start: NaiveDate,
) -> Result<()> {
    let account = &debtor.account;
    let command = Command::SetCreditTerms {
        debtor: debtor_id,
        product: account.product,
        limit: usd(account.bill_minor * TRADE_LIMIT_BILLS),
        terms: CreditTerms {
            net_days: u16::try_from(account.due_days).unwrap_or(30),
            deposit_share: rust_decimal::Decimal::ZERO,
            cash_on_delivery: false,
            interest_rate: rust_decimal::Decimal::ZERO,
        },
        refuse_to_trade: false,
        effective_on: start,
    };
    let receipt = batch.execute(&format!("sim:terms:{}", debtor.reference), &command)?;
    if receipt.outcome.is_rejected() {
        bail!("credit terms of {} refused: {:?}", debtor.reference, receipt.outcome);
    }
    Ok(())
}

/// Reports the red flags observed about the debtor today (`ReportSignal`), as a monitoring
/// service feeding the books would; each counts for 90 days.
fn report_flags(
    batch: &mut Batch<'_>,
    debtor: &SimDebtor,
    state: &Live,
    (day, on): (u32, NaiveDate),
    activity: &mut Activity,
) -> Result<()> {
    let today = debtor
        .behaviour
        .red_flags
        .iter()
        .filter(|(flag_day, _)| *flag_day == i64::from(day) || (day == 0 && *flag_day < 0));
    for (number, (_, signal)) in today.enumerate() {
        let report = ReportedSignal {
            signal: *signal,
            observed_on: on,
            expires_on: Some(on + Days::new(90)),
            source: "monitor:sim".to_owned(),
            evidence: format!("{} reported about {}", signal.name(), debtor.name),
        };
        let key = format!("sim:signal:{}:{on}:{number}", debtor.reference);
        let receipt =
            batch.execute(&key, &Command::ReportSignal { debtor: state.debtor, report })?;
        if receipt.outcome.is_rejected() {
            *activity.rejected.entry("report_signal".to_owned()).or_insert(0) += 1;
        } else {
            activity.signals_reported += 1;
        }
    }
    Ok(())
}

/// Whether the debtor has gone bad by `on`: from its default day it pays nothing more.
fn defaulted(debtor: &SimDebtor, start: NaiveDate, on: NaiveDate) -> bool {
    debtor.behaviour.default_day.is_some_and(|day| (on - start).num_days() >= day)
}

/// What a trade debtor's order of `amount` may be invoiced for under its credit standing:
/// `None` if the limit in force is used up (the order is not shipped), else the amount,
/// capped at what is left of the limit, and the net days in force.
fn within_limit(
    books: &Arrears,
    state: &Live,
    (amount, due_days, on): (i64, i64, NaiveDate),
    activity: &mut Activity,
) -> Result<Option<(i64, i64)>> {
    let Some(standing) = books.credit_standing(state.debtor)? else {
        return Ok(Some((amount, due_days)));
    };
    let owed = books.account_view(state.account, on)?.total_outstanding_minor;
    let left = standing.limit_minor - owed;
    let due_days = due_days.min(i64::from(standing.terms.net_days));
    if left <= 0 {
        activity.orders_over_limit += 1;
        return Ok(None);
    }
    if left < amount {
        activity.orders_capped += 1;
    }
    Ok(Some((amount.min(left), due_days)))
}

/// Whether a hardship shock weighs on the debtor on `on` (for about two months).
fn shocked(debtor: &SimDebtor, start: NaiveDate, on: NaiveDate) -> bool {
    debtor.behaviour.shock_day.is_some_and(|shock| {
        let day = (on - start).num_days();
        (shock..shock + 60).contains(&day)
    })
}

fn bill(
    books: &Arrears,
    batch: &mut Batch<'_>,
    debtor: &SimDebtor,
    state: &mut Live,
    (start, on): (NaiveDate, NaiveDate),
    rng: &mut SplitMix64,
    activity: &mut Activity,
) -> Result<()> {
    let account = &debtor.account;
    if on.day() != account.cycle_day {
        return Ok(());
    }
    if account.product == ProductKind::Installment && state.bills >= account.installments {
        return Ok(());
    }
    let amount = match account.product {
        ProductKind::Installment => account.bill_minor,
        _ => ((account.bill_minor as f64) * rng.between(0.5, 1.5)) as i64 + 1,
    };
    let kind = match account.product {
        ProductKind::Revolving => ObligationKind::Statement,
        ProductKind::Installment => ObligationKind::Installment,
        _ => ObligationKind::Invoice,
    };
    let mut due_days = account.due_days;
    let mut amount = amount;
    if account.product == ProductKind::TradeCredit {
        let Some(allowed) = within_limit(books, state, (amount, due_days, on), activity)? else {
            return Ok(());
        };
        (amount, due_days) = allowed;
    }
    let due_on = on + Days::new(due_days as u64);
    state.bills += 1;
    let receipt = batch.execute(
        &format!("sim:bill:{}:{}", account.reference, state.bills),
        &Command::Charge(NewCharge {
            account: state.account,
            external_ref: None,
            kind,
            issued_on: on,
            due_on,
            principal: usd(amount),
            interest: usd(0),
            fee: usd(0),
        }),
    )?;
    if let Outcome::Rejected(_) = receipt.outcome {
        *activity.rejected.entry("charge".to_owned()).or_insert(0) += 1;
        return Ok(());
    }
    activity.bills += 1;
    state.last_bill_minor = amount;
    let on_time = if defaulted(debtor, start, on) {
        0.0
    } else if shocked(debtor, start, on) {
        debtor.behaviour.on_time * 0.3
    } else {
        debtor.behaviour.on_time
    };
    if rng.chance(on_time) {
        let pay_on = due_on - Days::new(rng.range(0, 5) as u64);
        let catch_up = if state.behind { None } else { Some(amount) };
        state.scheduled.push((pay_on.max(on), catch_up));
    } else {
        state.behind = true;
    }
    Ok(())
}

fn pay(
    books: &Arrears,
    batch: &mut Batch<'_>,
    debtor: &SimDebtor,
    state: &mut Live,
    (start, on): (NaiveDate, NaiveDate),
    rng: &mut SplitMix64,
    activity: &mut Activity,
) -> Result<()> {
    if defaulted(debtor, start, on) {
        state.scheduled.clear();
        state.behind = true;
        return Ok(());
    }
    let mut due: Vec<Option<i64>> = Vec::new();
    state.scheduled.retain(|(date, amount)| {
        if *date <= on {
            due.push(*amount);
            false
        } else {
            true
        }
    });
    if state.behind && due.is_empty() && rng.chance(debtor.behaviour.self_cure) {
        due.push(None);
    }
    for amount in due {
        let (amount, partial) = match amount {
            Some(amount) => (amount, false),
            None => {
                let view = books.account_view(state.account, on)?;
                let owed = view
                    .past_due_minor
                    .max(state.last_bill_minor.min(view.total_outstanding_minor));
                if owed <= 0 {
                    state.behind = false;
                    continue;
                }
                if rng.chance(0.3) {
                    ((owed as f64 * rng.between(0.3, 0.7)) as i64 + 1, true)
                } else {
                    state.behind = false;
                    (owed, false)
                }
            }
        };
        let key = format!("sim:pay:{}:{}:{}", debtor.account.reference, on, activity.payments);
        let receipt = batch.execute(
            &key,
            &Command::Payment {
                account: state.account,
                effective_on: on,
                amount: usd(amount),
                directed_to: None,
            },
        )?;
        if let Outcome::Rejected(_) = receipt.outcome {
            *activity.rejected.entry("payment".to_owned()).or_insert(0) += 1;
        } else {
            activity.payments += 1;
            activity.partial_payments += u64::from(partial);
        }
    }
    Ok(())
}

/// What the response model needs of an action: channel, local hour, language and tone of its
/// message; the days past due are filled in when the debtor is reached.
fn contact_of(debtor: &SimDebtor, action: &Action) -> Contact {
    let zone: chrono_tz::Tz = debtor.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let message = action.message.as_ref();
    Contact {
        channel: action.channel,
        local_hour: action.scheduled_at.with_timezone(&zone).hour(),
        in_language: message
            .map(|message| response::same_language(&message.language, &debtor.language)),
        tone: message.map(|message| message.tone),
        days_past_due: 0,
    }
}

/// Whether the contact reaches the debtor: a call picked up (in the debtor's reachable hours,
/// more often at the better hours), a chat answered, or only a message delivered.
fn outcome(debtor: &SimDebtor, contact: &Contact, rng: &mut SplitMix64) -> ContactOutcome {
    let behaviour = &debtor.behaviour;
    let sensitivity = behaviour.sensitivity[channel_index(contact.channel)];
    match contact.channel {
        ContactChannel::Phone => {
            let (from, to) = behaviour.reachable;
            if rng.chance(0.03) {
                ContactOutcome::WrongParty
            } else if (from..to).contains(&contact.local_hour)
                && rng.chance(sensitivity * contact.reach())
            {
                ContactOutcome::RightParty
            } else if rng.chance(0.5) {
                ContactOutcome::NoAnswer
            } else {
                ContactOutcome::Voicemail
            }
        }
        ContactChannel::Messaging if rng.chance(contact.reach() * sensitivity * 0.5) => {
            ContactOutcome::RightParty
        }
        ContactChannel::Email if rng.chance(0.02) => ContactOutcome::Bounced,
        _ => ContactOutcome::Delivered,
    }
}

/// What a conversation with a debtor who owes `past_due` leads to: rarely a dispute; if the
/// debtor agrees (willingness times the response model's factors), a payment taken, a
/// promise, or a plan. Returns the outcome to acknowledge and the command that follows.
fn converse(
    books: &Arrears,
    debtor: &SimDebtor,
    state: &mut Live,
    (contact, past_due, on): (&Contact, i64, NaiveDate),
    rng: &mut SplitMix64,
    activity: &mut Activity,
) -> Result<(ContactOutcome, Option<Command>)> {
    if rng.chance(0.01) {
        activity.disputes += 1;
        return Ok((ContactOutcome::DisputeRaised, None));
    }
    let willing = (debtor.behaviour.willingness * contact.acting()).min(1.0);
    if !rng.chance(willing) {
        return Ok((ContactOutcome::RightParty, None));
    }
    let roll = rng.unit();
    if roll < 0.35 {
        let payment = Command::Payment {
            account: state.account,
            effective_on: on,
            amount: usd(past_due),
            directed_to: None,
        };
        return Ok((ContactOutcome::PaymentTaken, Some(payment)));
    }
    if roll < 0.9 || past_due < 30_000 {
        let promised_on = on + Days::new(rng.range(2, 10) as u64);
        if rng.chance(debtor.behaviour.promise_reliability) {
            state.scheduled.push((promised_on - Days::new(rng.range(0, 1) as u64), None));
        } else if rng.chance(0.3) {
            state.scheduled.push((promised_on, Some(past_due / 3 + 1)));
        }
        let promise = Command::Promise {
            account: state.account,
            made_on: on,
            payments: vec![PromiseLine { on: promised_on, amount: usd(past_due) }],
        };
        return Ok((ContactOutcome::PromiseCaptured, Some(promise)));
    }
    let plan = offer_plan(books, debtor, state, (past_due, on), rng)?;
    Ok((ContactOutcome::PromiseCaptured, Some(plan)))
}

/// A plan of 3 to 6 monthly installments of what is outstanding; the debtor pays each with
/// its promise reliability.
fn offer_plan(
    books: &Arrears,
    debtor: &SimDebtor,
    state: &mut Live,
    (past_due, on): (i64, NaiveDate),
    rng: &mut SplitMix64,
) -> Result<Command> {
    let installments = rng.range(3, 6) as u32;
    let first_due = on + Days::new(14);
    let outstanding = books.account_view(state.account, on)?.total_outstanding_minor;
    let installment = outstanding / i64::from(installments) + 1;
    for number in 0..installments {
        if rng.chance(debtor.behaviour.promise_reliability) {
            let date =
                first_due.checked_add_months(chrono::Months::new(number)).unwrap_or(first_due);
            state.scheduled.push((date, Some(installment)));
        }
    }
    Ok(Command::CreatePlan(NewPlan {
        account: state.account,
        created_on: on,
        installments,
        frequency: Frequency::Monthly,
        first_due,
        annual_rate: rust_decimal::Decimal::ZERO,
        monthly_income: usd(past_due.max(100_000) * 2),
        monthly_expenses: usd(past_due.max(100_000)),
    }))
}

/// The debtor's response to one due action: the outcome to acknowledge and what follows it.
fn respond(
    books: &Arrears,
    debtor: &SimDebtor,
    state: &mut Live,
    (action, on, gone): (&Action, NaiveDate, bool),
    rng: &mut SplitMix64,
    activity: &mut Activity,
) -> Result<(ContactOutcome, Option<Command>)> {
    let mut contact = contact_of(debtor, action);
    let result = outcome(debtor, &contact, rng);
    let reached = result == ContactOutcome::RightParty;
    let read = result == ContactOutcome::Delivered && state.behind;
    // A debtor gone bad answers now and then, but neither pays nor promises.
    if gone || (!reached && !read) {
        return Ok((result, None));
    }
    let view = books.account_view(state.account, on)?;
    contact.days_past_due = view.aging.days_past_due;
    if reached && view.past_due_minor > 0 {
        return converse(books, debtor, state, (&contact, view.past_due_minor, on), rng, activity);
    }
    // A message read: the debtor pays what is past due within days, if it acts on it.
    let sensitivity = debtor.behaviour.sensitivity[channel_index(action.channel)];
    if read && rng.chance(contact.reach() * sensitivity * contact.acting()) {
        state.scheduled.push((on + Days::new(rng.range(1, 5) as u64), None));
    }
    Ok((result, None))
}

fn acknowledge(
    books: &Arrears,
    (debtors, live, by_debtor): (&[SimDebtor], &mut [Live], &BTreeMap<DebtorId, usize>),
    (seed, day, on): (u64, u32, NaiveDate),
    activity: &mut Activity,
) -> Result<()> {
    let pending = books.pending_actions(usize::MAX)?;
    let mut batch = books.batch()?;
    for action in pending {
        if action.scheduled_at.date_naive() > on || action.status != ActionStatus::Pending {
            continue;
        }
        let Some(&index) = by_debtor.get(&action.debtor) else { continue };
        let state = &mut live[index];
        let slot = 1 + channel_index(action.channel) as u64;
        let rng = &mut stream(seed ^ 0xAC4, day, index, slot);
        let debtor = &debtors[index];
        let gone = defaulted(debtor, on - Days::new(u64::from(day)), on);
        let (result, follow_up) =
            respond(books, debtor, state, (&action, on, gone), rng, activity)?;
        let receipt = batch
            .execute(
                &format!("sim:ack:{}", action.id),
                &Command::Acknowledge {
                    action: action.id,
                    outcome: result,
                    at: action.scheduled_at,
                },
            )
            .with_context(|| format!("acknowledging action {}", action.id))?;
        if let Outcome::Rejected(_) = receipt.outcome {
            *activity.rejected.entry("acknowledge".to_owned()).or_insert(0) += 1;
            continue;
        }
        activity.acknowledged += 1;
        if let Some(command) = follow_up {
            let name = command.name();
            let receipt = batch.execute(&format!("sim:{name}:{}", action.id), &command)?;
            if let Outcome::Rejected(_) = receipt.outcome {
                *activity.rejected.entry(name.to_owned()).or_insert(0) += 1;
            } else {
                match name {
                    "payment" => {
                        activity.payments += 1;
                        state.behind = false;
                    }
                    "promise" => activity.promises += 1,
                    _ => activity.plans += 1,
                }
            }
        }
    }
    batch.commit()?;
    Ok(())
}
