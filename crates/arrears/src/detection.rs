//! `Command::DetectSignals`: runs the detectors of `arrears_core::detect` over the books of
//! the debtors with a credit standing, and keeps what they find on the debtor record, next to
//! the signals reported from outside (same `ReportedSignal`, source `detector:NAME`), so that
//! stage conditions, credit decisions and reviews see both the same way.
//!
//! A signal is written only when it changes: raised when its detector fires and no signal of
//! that detector is in force, cleared (its expiry set to the day) when the detector no longer
//! fires. A second run of a day changes nothing. A raised signal decays after the policy's
//! `decay_days`; a detector still firing then raises it again with fresh evidence.
//!
//! Reads `queue` (requests for time through agents); `execute` dispatches to it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use arrears_core::detect::{detect, Detector, DetectorPolicy, Finding, History};
use arrears_core::ledger::Event;
use arrears_core::model::{Debtor, ReportedSignal, REPORTED_SIGNALS_MAX};
use arrears_store::{Reads, WriteTxn};

use crate::command::{Outcome, SignalChanged};
use crate::context::Env;
use crate::error::CommandError;

/// `Command::DetectSignals`: every debtor with a credit standing, in id order.
pub(crate) fn detect_signals(env: &mut Env<'_>, as_of: NaiveDate) -> Result<Outcome, CommandError> {
    let policy = env.policy.detectors().clone();
    let mut changes = Vec::new();
    for standing in env.txn.credit_standings()? {
        let Some(mut debtor) = env.txn.debtor(standing.debtor)? else {
            return Err(CommandError::UnknownDebtor(standing.debtor));
        };
        let findings = debtor_findings(env, &debtor, &policy, as_of)?;
        let before = changes.len();
        record(&mut debtor, &findings, &policy, as_of, &mut changes);
        if changes.len() > before {
            env.txn.put_debtor(&debtor)?;
        }
    }
    Ok(Outcome::SignalsDetected { changes })
}

/// What the detectors find on each of the debtor's accounts as of `as_of`: per detector, the
/// evidence of the first account it fires on (lowest id), prefixed with the account.
fn debtor_findings(
    env: &Env<'_>,
    debtor: &Debtor,
    policy: &DetectorPolicy,
    as_of: NaiveDate,
) -> Result<BTreeMap<Detector, String>, CommandError> {
    let txn: &WriteTxn = env.txn;
    let contacts = txn.contacts(debtor.id)?;
    let mut found: BTreeMap<Detector, String> = BTreeMap::new();
    for account_id in txn.accounts_of(debtor.id)? {
        let Some(account) = txn.account(account_id)? else { continue };
        let events: Vec<Event> =
            txn.events(account.id)?.into_iter().map(|record| record.event).collect();
        let state = txn.account_state(&account, Some(as_of))?;
        let requests = time_requests(env, &account, as_of)?;
        let history = History {
            as_of,
            events: &events,
            state: &state,
            contacts: &contacts,
            account: account.id,
            time_requests_on: &requests,
        };
        for Finding { detector, evidence } in detect(policy, &history) {
            found.entry(detector).or_insert_with(|| format!("account {}: {evidence}", account.id));
        }
    }
    Ok(found)
}

/// The days the debtor asked for time on `account`: its promise, its plan and the extension
/// an agent recorded (the case keeps the latest of each).
fn time_requests(
    env: &Env<'_>,
    account: &arrears_core::model::Account,
    as_of: NaiveDate,
) -> Result<Vec<NaiveDate>, CommandError> {
    let case = crate::lifecycle::load_case(env.txn, env.policy, account)?;
    let mut days: Vec<NaiveDate> = Vec::new();
    days.extend(case.promise.as_ref().map(|promise| promise.made_on));
    days.extend(case.plan.as_ref().map(|plan| plan.created_on));
    let item = env.txn.work_item(account.id)?;
    days.extend(item.and_then(|item| item.extension_requested_on));
    days.retain(|on| *on <= as_of);
    Ok(days)
}

/// Raises the signals of the detectors that fire and have none in force, and clears those in
/// force whose detector no longer fires; each change is pushed to `changes`.
fn record(
    debtor: &mut Debtor,
    findings: &BTreeMap<Detector, String>,
    policy: &DetectorPolicy,
    as_of: NaiveDate,
    changes: &mut Vec<SignalChanged>,
) {
    for detector in Detector::ALL {
        let source = detector.source();
        let in_force = debtor
            .reported_signals
            .iter_mut()
            .find(|signal| signal.source == source && signal.in_force(as_of));
        match (findings.get(&detector), in_force) {
            (Some(evidence), None) => {
                let raised = ReportedSignal {
                    signal: detector.signal(),
                    observed_on: as_of,
                    expires_on: Some(arrears_core::dates::days_after(
                        as_of,
                        policy.decay_days.into(),
                    )),
                    source: source.clone(),
                    evidence: evidence.clone(),
                };
                push_signal(&mut debtor.reported_signals, raised, as_of);
                changes.push(change(debtor, detector, true, evidence.clone()));
            }
            (None, Some(signal)) => {
                signal.expires_on = Some(as_of);
                let evidence = signal.evidence.clone();
                changes.push(change(debtor, detector, false, evidence));
            }
            _ => {}
        }
    }
}

fn change(debtor: &Debtor, detector: Detector, raised: bool, evidence: String) -> SignalChanged {
    SignalChanged {
        debtor: debtor.id,
        signal: detector.signal(),
        source: detector.source(),
        raised,
        evidence,
    }
}

/// Appends a signal, keeping at most `REPORTED_SIGNALS_MAX`: the oldest no longer in force
/// goes first, so that a detector never pushes out a reported signal still in force.
fn push_signal(signals: &mut Vec<ReportedSignal>, signal: ReportedSignal, as_of: NaiveDate) {
    signals.push(signal);
    if signals.len() > REPORTED_SIGNALS_MAX {
        let stale = signals.iter().position(|signal| !signal.in_force(as_of)).unwrap_or(0);
        signals.remove(stale);
    }
}
