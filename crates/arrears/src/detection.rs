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

use arrears_core::detect::{
    detect, next_change, DetectionMark, Detector, DetectorPolicy, Finding, Fingerprint, History,
};
use arrears_core::ledger::Event;
use arrears_core::model::{Account, Debtor, ReportedSignal, REPORTED_SIGNALS_MAX};
use arrears_store::{Reads, WriteTxn};

use crate::command::{Outcome, SignalChanged};
use crate::context::Env;
use crate::error::CommandError;

/// `Command::DetectSignals`: every debtor with a credit standing, in id order.
///
/// The detectors read an account's whole ledger; a debtor's run is skipped when the mark its
/// last run left on the standing ([`DetectionMark`]) holds: the same inputs, and no day since
/// on which the findings or the signals in force can change by the date alone. What a skipped
/// run would record is nothing, as a second run of the marked day records nothing.
pub(crate) fn detect_signals(env: &mut Env<'_>, as_of: NaiveDate) -> Result<Outcome, CommandError> {
    let policy = env.policy.detectors().clone();
    let policy_print = policy.fingerprint();
    let mut changes = Vec::new();
    for mut standing in env.txn.credit_standings()? {
        let Some(mut debtor) = env.txn.debtor(standing.debtor)? else {
            return Err(CommandError::UnknownDebtor(standing.debtor));
        };
        let inputs = Inputs::read(env, &debtor, policy_print)?;
        let print = inputs.fingerprint(&debtor);
        if standing.detected.as_ref().is_some_and(|mark| mark.holds(as_of, print)) {
            continue;
        }
        let (findings, next) = debtor_findings(env, &debtor, &inputs, &policy, as_of)?;
        let before = changes.len();
        record(&mut debtor, &findings, &policy, as_of, &mut changes);
        if changes.len() > before {
            env.txn.put_debtor(&debtor)?;
        }
        let mark = settled(&debtor, &findings, as_of).then(|| DetectionMark {
            on: as_of,
            until: earliest(next, signals_change(&debtor.reported_signals, as_of)),
            inputs: inputs.fingerprint(&debtor),
        });
        if standing.detected != mark {
            standing.detected = mark;
            env.txn.put_credit_standing(&standing)?;
        }
    }
    Ok(Outcome::SignalsDetected { changes })
}

/// What the detectors read of a debtor that is cheap to read every day: its accounts with the
/// days it asked for time on each, and a fingerprint of those, of each account's last ledger
/// entry (the ledger is append-only, so its events and state are the same while it stays), of
/// the debtor's contact count (the history is append-only too) and of the policy's
/// `[detectors]`. The fingerprints are [`Fingerprint`]s, stable across Rust releases: the
/// store keeps them ([`DetectionMark::inputs`]).
struct Inputs {
    accounts: Vec<(Account, Vec<NaiveDate>)>,
    print: u64,
}

impl Inputs {
    fn read(env: &Env<'_>, debtor: &Debtor, policy_print: u64) -> Result<Inputs, CommandError> {
        let txn: &WriteTxn = env.txn;
        let mut print = Fingerprint::new().u64(policy_print).u64(txn.contacts_count(debtor.id)?);
        let mut accounts = Vec::new();
        for account_id in txn.accounts_of(debtor.id)? {
            let Some(account) = txn.account(account_id)? else { continue };
            let requests = time_requests(env, &account)?;
            print = print.u64(account.id.0).option(txn.ledger_head(account.id)?, Fingerprint::u64);
            print = requests
                .iter()
                .fold(print.u64(requests.len() as u64), |print, day| print.date(*day));
            accounts.push((account, requests));
        }
        Ok(Inputs { accounts, print: print.finish() })
    }

    /// The fingerprint of these inputs and of the debtor's signals as they are now (what
    /// recording reads of them: source, kind and days).
    fn fingerprint(&self, debtor: &Debtor) -> u64 {
        let signals = &debtor.reported_signals;
        let print = Fingerprint::new().u64(self.print).u64(signals.len() as u64);
        signals
            .iter()
            .fold(print, |print, signal| {
                print
                    .text(&signal.source)
                    .text(signal.signal.name())
                    .date(signal.observed_on)
                    .option(signal.expires_on, Fingerprint::date)
            })
            .finish()
    }
}

/// What the detectors find on each of the debtor's accounts as of `as_of`: per detector, the
/// evidence of the first account it fires on (lowest id), prefixed with the account; and the
/// first day after `as_of` on which that can change with the same inputs.
fn debtor_findings(
    env: &Env<'_>,
    debtor: &Debtor,
    inputs: &Inputs,
    policy: &DetectorPolicy,
    as_of: NaiveDate,
) -> Result<(BTreeMap<Detector, String>, Option<NaiveDate>), CommandError> {
    let txn: &WriteTxn = env.txn;
    let contacts = txn.contacts(debtor.id)?;
    let mut found: BTreeMap<Detector, String> = BTreeMap::new();
    let mut next = None;
    for (account, requests) in &inputs.accounts {
        let events: Vec<Event> =
            txn.events(account.id)?.into_iter().map(|record| record.event).collect();
        let state = txn.account_state(account, Some(as_of))?;
        let history = History {
            as_of,
            events: &events,
            state: &state,
            contacts: &contacts,
            account: account.id,
            time_requests_on: requests,
        };
        for Finding { detector, evidence } in detect(policy, &history) {
            found.entry(detector).or_insert_with(|| format!("account {}: {evidence}", account.id));
        }
        next = earliest(next, next_change(policy, &history));
    }
    Ok((found, next))
}

/// The days the debtor asked for time on `account`: its promise, its plan and the extension
/// an agent recorded (the case keeps the latest of each), including any after the day run
/// (the detector counts a request from its day).
fn time_requests(
    env: &Env<'_>,
    account: &arrears_core::model::Account,
) -> Result<Vec<NaiveDate>, CommandError> {
    let case = crate::lifecycle::load_case(env.txn, env.policy, account)?;
    let mut days: Vec<NaiveDate> = Vec::new();
    days.extend(case.promise.as_ref().map(|promise| promise.made_on));
    days.extend(case.plan.as_ref().map(|plan| plan.created_on));
    let item = env.txn.work_item(account.id)?;
    days.extend(item.and_then(|item| item.extension_requested_on));
    Ok(days)
}

/// True if and only if each detector that fires has a signal in force on `as_of` and each
/// that does not has none: a run of the day with the same findings records nothing. (Not so
/// when a raised signal pushed another detector's out of a full list.)
fn settled(debtor: &Debtor, findings: &BTreeMap<Detector, String>, as_of: NaiveDate) -> bool {
    Detector::ALL.into_iter().all(|detector| {
        let source = detector.source();
        let in_force = debtor
            .reported_signals
            .iter()
            .any(|signal| signal.source == source && signal.in_force(as_of));
        findings.contains_key(&detector) == in_force
    })
}

/// The first day after `as_of` on which one of `signals` starts or stops being in force.
fn signals_change(signals: &[ReportedSignal], as_of: NaiveDate) -> Option<NaiveDate> {
    signals
        .iter()
        .flat_map(|signal| [Some(signal.observed_on), signal.expires_on])
        .flatten()
        .filter(|on| *on > as_of)
        .min()
}

/// The earlier of two days, either of which may be absent.
fn earliest(left: Option<NaiveDate>, right: Option<NaiveDate>) -> Option<NaiveDate> {
    match (left, right) {
        (Some(left), Some(right)) => Some(left.min(right)),
        (left, right) => left.or(right),
    }
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
