//! The horizon of dates: the tool refuses a cycle date or a value date more than the policy's
//! `[dates] future_days_max` days after today, unless `--allow-future` is given.
//!
//! A one-year typo in a cycle date charges off most of a portfolio, and a payment dated years
//! ahead sits in the books as if received. The engine cannot catch either (it never reads the
//! clock, and any date may be right for a caller that means it), so the tool does: today is the
//! date of `--recorded-at` when given (reproducible runs), else of the system clock, in UTC.

use anyhow::{bail, Result};
use chrono::{DateTime, NaiveDate, Utc};

use arrears::policy::Policy;
use arrears::Command;

/// Today, the policy's horizon, and whether the user allowed dates beyond it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Horizon {
    today: NaiveDate,
    future_days_max: u32,
    allow_future: bool,
}

impl Horizon {
    /// The horizon of `policy`, from `now` (the instant of `--recorded-at` or the clock).
    pub(crate) fn new(now: DateTime<Utc>, policy: &Policy, allow_future: bool) -> Horizon {
        Horizon {
            today: now.date_naive(),
            future_days_max: policy.dates().future_days_max,
            allow_future,
        }
    }

    /// The last date accepted without `--allow-future`.
    fn last_on(&self) -> NaiveDate {
        self.today
            .checked_add_days(chrono::Days::new(u64::from(self.future_days_max)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Why `date`, given as `what` (a flag such as `--as-of`, or a file's row and column), is
    /// refused, or `None` when it is within the horizon or `--allow-future` was given.
    pub(crate) fn refusal(&self, what: &str, date: NaiveDate) -> Option<String> {
        self.refusal_with(what, date, "pass --allow-future if the date is right")
    }

    fn refusal_with(&self, what: &str, date: NaiveDate, hint: &str) -> Option<String> {
        if self.allow_future || date <= self.last_on() {
            return None;
        }
        let days_ahead = (date - self.today).num_days();
        Some(format!(
            "{what} {date} is {days_ahead} days after today ({today}); the policy's horizon is \
             {horizon} days ([dates] future_days_max); {hint}",
            today = self.today,
            horizon = self.future_days_max,
        ))
    }

    /// Refuses `date`, given as `what`, beyond the horizon.
    ///
    /// # Errors
    ///
    /// The refusal, as [`Horizon::refusal`] words it.
    pub(crate) fn check(&self, what: &str, date: NaiveDate) -> Result<()> {
        match self.refusal(what, date) {
            Some(reason) => bail!("{reason}"),
            None => Ok(()),
        }
    }

    /// The first value date of `command` beyond the horizon: the engine's field name and the
    /// refusal (worded with `name(field)` for what the user typed).
    pub(crate) fn command_refusal(
        &self,
        command: &Command,
        name: impl Fn(&'static str) -> String,
    ) -> Option<(&'static str, String)> {
        // The engine refuses a payment beyond the horizon whatever the flag: --allow-future
        // would not help, and the date is most likely a promise.
        let hint = match command {
            Command::Payment { .. } | Command::ChannelPayment { .. } => {
                "a payment scheduled in the future is a promise, not a payment (record it with \
                 `arrears promise`)"
            }
            _ => "pass --allow-future if the date is right",
        };
        value_dates(command).into_iter().find_map(|(field, date)| {
            self.refusal_with(&name(field), date, hint).map(|reason| (field, reason))
        })
    }
}

/// The flag the user typed a command's value date with, from the engine's field name.
pub(crate) fn flag(field: &'static str) -> String {
    match field {
        "issued_on" => "--issued-on",
        "at" => "--at",
        _ => "--on",
    }
    .to_owned()
}

/// A command's value dates, by the engine's field name: the dates from which it counts. Due
/// dates, plan schedules, promised dates and the end of a hardship are not value dates: they
/// are meant to be ahead.
fn value_dates(command: &Command) -> Vec<(&'static str, NaiveDate)> {
    match command {
        Command::OpenAccount(new) => vec![("opened_on", new.opened_on)],
        Command::Charge(new) => vec![("issued_on", new.issued_on)],
        Command::Fee { effective_on, .. }
        | Command::Payment { effective_on, .. }
        | Command::Reversal { effective_on, .. }
        | Command::Waiver { effective_on, .. }
        | Command::CreditNote { effective_on, .. }
        | Command::WithdrawCharge { effective_on, .. }
        | Command::Refund { effective_on, .. }
        | Command::Adjustment { effective_on, .. }
        | Command::ChargeOff { effective_on, .. }
        | Command::Dispute { effective_on, .. } => vec![("effective_on", *effective_on)],
        Command::AccrueInterest { through_on, .. } => vec![("through_on", *through_on)],
        Command::Promise { made_on, .. } => vec![("made_on", *made_on)],
        Command::CreatePlan(plan) => vec![("created_on", plan.created_on)],
        Command::OfferSettlement { offered_on, .. } => vec![("offered_on", *offered_on)],
        Command::AcceptSettlement { accepted_on, .. } => vec![("accepted_on", *accepted_on)],
        Command::OpenDispute { on, .. }
        | Command::ResolveDispute { on, .. }
        | Command::GrantHardship { on, .. }
        | Command::EndHardship { on, .. }
        | Command::Place { on, .. }
        | Command::Recall { on, .. }
        | Command::ReferToLegal { on, .. }
        | Command::SetFlag { on, .. }
        | Command::Close { on, .. }
        | Command::Reopen { on, .. } => vec![("on", *on)],
        Command::Acknowledge { at, .. }
        | Command::RecordInbound { at, .. }
        | Command::RecordOutbound { at, .. }
        | Command::MarkSent { at, .. }
        | Command::RequestCallback { at, .. } => {
            vec![("at", at.date_naive())]
        }
        Command::ReverseChargeOff { on, .. } | Command::RecordForbearanceAssessed { on, .. } => {
            vec![("on", *on)]
        }
        Command::SetAttorney { attorney, .. } => vec![("attorney.since", attorney.since)],
        Command::ReportSignal { report, .. } => vec![("report.observed_on", report.observed_on)],
        Command::AddNote { note, .. } => vec![("note.at", note.at.date_naive())],
        Command::ChangeRestrictions { changes, .. } => match changes.call_consent {
            Some(arrears::CallConsent::GivenAt(at)) => vec![("call_consent", at.date_naive())],
            _ => Vec::new(),
        },
        Command::RecordWork(done) => vec![("at", done.at.date_naive())],
        Command::ApplyCash { effective_on, .. }
        | Command::ReturnCash { effective_on, .. }
        | Command::ChannelPayment { effective_on, .. } => {
            vec![("effective_on", *effective_on)]
        }
        Command::ReceiveCash { line } => vec![("line.value_on", line.value_on)],
        Command::DecideCredit { application } => {
            vec![("application.applied_on", application.applied_on)]
        }
        Command::SetCreditTerms { effective_on, .. } => vec![("effective_on", *effective_on)],
        Command::ReviewCredit { as_of } => vec![("as_of", *as_of)],
        // Commands without a value date (and any the engine adds later, until listed here).
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
