//! Credit records: every decision, standing and review belongs to a debtor that exists, and
//! holds what the rules can produce: a decision grants no more than was asked and nothing when
//! declined, with at most four reasons; a standing's limit and terms in force are never looser
//! than those granted; reviews of a debtor are numbered from 1 without gaps.

use std::collections::BTreeSet;

use arrears_core::credit::{Verdict, DECISION_REASONS_MAX};
use arrears_core::ids::DebtorId;
use arrears_store::{ReadTxn, Reads};

use super::{Records, Report};

pub(super) fn credit_records(report: &mut Report, read: &ReadTxn, records: &Records) {
    let debtors: BTreeSet<DebtorId> = records.debtors.iter().map(|debtor| debtor.id).collect();
    decisions(report, read, &debtors);
    let Some(standings) = report.read("credit_standings", read.credit_standings()) else {
        return;
    };
    for standing in &standings {
        let subject = format!("credit standing of {}", standing.debtor);
        if !debtors.contains(&standing.debtor) {
            report.problem("credit", &subject, "its debtor does not exist");
        }
        if standing.limit_minor < 0 || standing.granted_limit_minor < standing.limit_minor {
            let detail = format!(
                "limit in force {} is outside 0 to the granted {}",
                standing.limit_minor, standing.granted_limit_minor
            );
            report.problem("credit", &subject, detail);
        }
        if !standing.terms.at_least_as_strict_as(&standing.granted_terms) {
            report.problem("credit", &subject, "its terms in force are looser than granted");
        }
    }
    let Some(reviews) = report.read("credit_reviews", read.credit_reviews(None)) else {
        return;
    };
    let mut expected: Option<(DebtorId, u64)> = None;
    for review in &reviews {
        let seq = match expected {
            Some((debtor, last)) if debtor == review.debtor => last + 1,
            _ => 1,
        };
        if review.seq != seq || !debtors.contains(&review.debtor) {
            let subject = format!("credit review {} of {}", review.seq, review.debtor);
            let detail = format!("expected review {seq} of an existing debtor");
            report.problem("credit", subject, detail);
        }
        expected = Some((review.debtor, review.seq));
    }
}

/// Each stored decision, by id from 1.
fn decisions(report: &mut Report, read: &ReadTxn, debtors: &BTreeSet<DebtorId>) {
    let Some(last) = report.read("credit_decisions", read.last_credit_decision_id()) else {
        return;
    };
    for id in 1..=last {
        let Some(found) = report.read("credit_decisions", read.credit_decision(id)) else {
            continue;
        };
        let subject = format!("credit decision {id}");
        let Some(decision) = found else {
            report.problem("credit", &subject, "missing: decisions are numbered without gaps");
            continue;
        };
        let asked_minor = decision.application.limit.to_minor().unwrap_or(i64::MIN);
        let decided = &decision.decided;
        let wrong = if decision.id != id {
            Some(format!("holds id {}", decision.id))
        } else if !debtors.contains(&decision.application.debtor) {
            Some(format!("its debtor {} does not exist", decision.application.debtor))
        } else if decided.limit_minor < 0 || asked_minor < decided.limit_minor {
            Some(format!("grants {} of {asked_minor} asked", decided.limit_minor))
        } else if decided.verdict == Verdict::Decline && decided.limit_minor != 0 {
            Some(format!("a decline grants {}", decided.limit_minor))
        } else if DECISION_REASONS_MAX < decided.reasons.len() {
            Some(format!("{} reasons", decided.reasons.len()))
        } else {
            None
        };
        if let Some(detail) = wrong {
            report.problem("credit", &subject, detail);
        }
    }
}
