//! The suspense book: every bank line holds what it received less what was applied from it
//! and what was returned, every part applied is a payment of that amount on an account in the
//! line's currency, and every part returned is positive.

use std::collections::BTreeSet;

use arrears_core::cash::{AppliedPart, HeldLine};
use arrears_core::ledger::EventKind;
use arrears_store::{ReadTxn, Reads};

use super::{Records, Report};

pub(super) fn bank_lines(report: &mut Report, read: &ReadTxn, records: &Records) {
    let Some(lines) = report.read("bank_lines", read.bank_lines()) else {
        return;
    };
    let mut payments = BTreeSet::new();
    for line in &lines {
        let subject = format!("bank line {:?}", line.bank_ref);
        if line.amount_minor <= 0 || line.held_minor() < 0 || line.held_minor() > line.amount_minor
        {
            let detail = format!("holds {} of {} received", line.held_minor(), line.amount_minor);
            report.problem("suspense", &subject, detail);
        }
        for part in line.returned.iter().filter(|part| part.amount_minor <= 0) {
            let detail = format!("returns {} on {}", part.amount_minor, part.effective_on);
            report.problem("suspense", &subject, detail);
        }
        for part in &line.applied {
            if !payments.insert((part.account, part.event)) {
                let detail = format!("{} event {} is applied twice", part.account, part.event);
                report.problem("suspense", &subject, detail);
            }
            applied_part(report, read, records, line, part);
        }
    }
}

/// The part's account exists in the line's currency and its event is a payment of the part.
fn applied_part(
    report: &mut Report,
    read: &ReadTxn,
    records: &Records,
    line: &HeldLine,
    part: &AppliedPart,
) {
    let subject = format!("bank line {:?}", line.bank_ref);
    let Some(account) = records.accounts.iter().find(|account| account.id == part.account) else {
        report.problem("suspense", &subject, format!("applied to unknown {}", part.account));
        return;
    };
    if account.currency != line.currency {
        let detail = format!("applied to {} in {}", part.account, account.currency);
        report.problem("suspense", &subject, detail);
    }
    let Some(events) = report.read("events", read.events(part.account)) else {
        return;
    };
    let payment = events.iter().find(|record| record.event.seq == part.event);
    let matches = payment.is_some_and(|record| {
        record.event.effective_on == part.effective_on
            && matches!(record.event.kind, EventKind::Payment { amount_minor, .. }
                if amount_minor == part.amount_minor)
    });
    if !matches {
        let detail = format!(
            "{} event {} is not a payment of {} on {}",
            part.account, part.event, part.amount_minor, part.effective_on
        );
        report.problem("suspense", &subject, detail);
    }
}
