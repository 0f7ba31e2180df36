//! `verify`: an independent check of everything the store holds. It reports every problem it
//! finds and repairs nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use arrears_core::ids::{AccountId, DebtorId, EventSeq, ObligationId};
use arrears_core::ledger::{
    is_balanced, normalize, replay, Book, Event, EventKind, JournalEntry, Posting,
};
use arrears_core::model::Component;
use arrears_store::Reads;
use arrears_store::{ReadTxn, RefKind, StorageError};

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct VerifyReport {
    /// Accounts checked.
    pub accounts_checked: u64,
    /// Journal entries checked.
    pub entries_checked: u64,
    /// Every problem found; empty if the store is consistent.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Returns true if and only if no problem was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One inconsistency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Which check found it (`entry_balance`, `derived`, `receivable`, `index`...).
    pub check: &'static str,
    /// What it concerns (`A3`, `J17`, `A3 #4`...).
    pub subject: String,
    /// What is wrong.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.check, self.subject, self.detail)
    }
}

struct Report {
    report: VerifyReport,
}

impl Report {
    fn problem(
        &mut self,
        check: &'static str,
        subject: impl fmt::Display,
        detail: impl Into<String>,
    ) {
        self.report.problems.push(Problem {
            check,
            subject: subject.to_string(),
            detail: detail.into(),
        });
    }

    /// Records a read failure as a problem and returns `None`, so one damaged table does not
    /// hide problems elsewhere.
    fn read<T>(&mut self, what: &str, result: Result<T, StorageError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                let mut detail = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    detail.push_str(": ");
                    detail.push_str(&cause.to_string());
                    source = cause.source();
                }
                self.problem("read", what, detail);
                None
            }
        }
    }
}

pub(crate) fn verify(read: &ReadTxn) -> Result<VerifyReport, StorageError> {
    let mut report = Report { report: VerifyReport::default() };
    let entries = report.read("journal", read.all_entries()).unwrap_or_default();
    let accounts = report.read("accounts", read.all_accounts()).unwrap_or_default();
    let debtors = report.read("debtors", read.all_debtors()).unwrap_or_default();
    let obligations = report.read("obligations", read.all_obligations()).unwrap_or_default();

    // Every entry balanced, and the whole journal balanced.
    let mut global: i128 = 0;
    let mut by_event: BTreeMap<(AccountId, EventSeq), Vec<Posting>> = BTreeMap::new();
    for entry in &entries {
        report.report.entries_checked += 1;
        if !is_balanced(&entry.postings) {
            let sum: i64 = entry.postings.iter().map(|posting| posting.amount_minor).sum();
            report.problem("entry_balance", entry.id, format!("postings sum to {sum}, not 0"));
        }
        global +=
            entry.postings.iter().map(|posting| i128::from(posting.amount_minor)).sum::<i128>();
        by_event
            .entry((entry.account, entry.event))
            .or_default()
            .extend(entry.postings.iter().copied());
    }
    if global != 0 {
        report.problem(
            "journal_balance",
            "journal",
            format!("all postings sum to {global}, not 0"),
        );
    }

    let debtor_ids: BTreeSet<_> = debtors.iter().map(|debtor| debtor.id).collect();
    let account_ids: BTreeSet<_> = accounts.iter().map(|account| account.id).collect();
    let obligation_owner: BTreeMap<ObligationId, AccountId> =
        obligations.iter().map(|obligation| (obligation.id, obligation.account)).collect();

    for account in &accounts {
        report.report.accounts_checked += 1;
        if !debtor_ids.contains(&account.debtor) {
            report.problem(
                "reference",
                account.id,
                format!("debtor {} does not exist", account.debtor),
            );
        }
        let Some(records) =
            report.read(&format!("events of {}", account.id), read.events(account.id))
        else {
            continue;
        };
        let events: Vec<Event> = records.iter().map(|record| record.event.clone()).collect();
        for (position, event) in events.iter().enumerate() {
            if usize::try_from(event.seq.0).ok() != Some(position + 1) {
                report.problem(
                    "event_log",
                    account.id,
                    format!("event at position {} has sequence {}", position + 1, event.seq),
                );
            }
        }
        let replayed = replay(account, &events, None);
        if let Some(snapshot) =
            report.read(&format!("snapshot of {}", account.id), read.snapshot(account.id))
        {
            match snapshot {
                Some(snapshot) if snapshot != replayed.state => report.problem(
                    "snapshot",
                    account.id,
                    "the stored snapshot differs from a fresh replay of the events",
                ),
                None if !events.is_empty() => report.problem(
                    "snapshot",
                    account.id,
                    format!("no snapshot, but {} events", events.len()),
                ),
                _ => {}
            }
        }
        let empty = Vec::new();
        for event in &events {
            let subject = format!("{} {}", account.id, event.seq);
            let derived = replayed.derived.get(&event.seq).unwrap_or(&empty);
            let journaled =
                normalize(by_event.remove(&(account.id, event.seq)).unwrap_or_default());
            if &journaled != derived {
                report.problem(
                    "journal",
                    &subject,
                    "journal entries of the event do not sum to what the event derives",
                );
            }
            if let EventKind::Charge { obligation, .. }
            | EventKind::AccrueInterest { obligation, .. } = &event.kind
            {
                match obligation_owner.get(obligation) {
                    Some(owner) if owner == &account.id => {}
                    Some(owner) => report.problem(
                        "reference",
                        &subject,
                        format!("obligation {obligation} belongs to {owner}"),
                    ),
                    None => report.problem(
                        "reference",
                        &subject,
                        format!("obligation {obligation} has no record"),
                    ),
                }
            }
        }
        // Receivable books agree with what each obligation owes; other checks per payment.
        let state = &replayed.state;
        let mut receivable: BTreeMap<(ObligationId, Component), i64> = BTreeMap::new();
        for posting in replayed.derived.values().flatten() {
            if posting.book == Book::Receivable {
                if let (Some(obligation), Some(component)) = (posting.obligation, posting.component)
                {
                    *receivable.entry((obligation, component)).or_insert(0) += posting.amount_minor;
                }
            }
        }
        for (id, obligation) in &state.obligations {
            for component in Component::ALL {
                let books = receivable.get(&(*id, component)).copied().unwrap_or(0);
                let owed = obligation.outstanding_minor[component.index()];
                let expected = if state.charged_off_on.is_some() { 0 } else { owed };
                if books != expected {
                    report.problem(
                        "receivable",
                        format!("{} {id} {}", account.id, component.name()),
                        format!("receivable books {books}, expected {expected}"),
                    );
                }
                if owed < 0 {
                    report.problem(
                        "receivable",
                        format!("{} {id} {}", account.id, component.name()),
                        format!("negative outstanding {owed}"),
                    );
                }
            }
        }
        for (seq, payment) in &state.payments {
            if payment.reversed {
                continue;
            }
            let allocated: i64 = payment.allocated.values().sum();
            if allocated + payment.unapplied_minor != payment.amount_minor {
                report.problem(
                    "allocation",
                    format!("{} {seq}", account.id),
                    format!(
                        "allocated {allocated} + unapplied {} != payment {}",
                        payment.unapplied_minor, payment.amount_minor
                    ),
                );
            }
        }
        if state.unapplied_minor() != -state.book_balance_minor(Book::UnappliedCash) {
            report.problem("unapplied", account.id, "unapplied cash differs from its book");
        }
    }
    for (account, event) in by_event.keys() {
        report.problem(
            "journal",
            format!("{account} {event}"),
            "journal entries for an event that does not exist",
        );
    }

    // Indexes agree with the records they index.
    if let Some(pairs) = report.read("debtor_accounts", read.debtor_account_index()) {
        let indexed: BTreeSet<_> = pairs.into_iter().collect();
        let expected: BTreeSet<_> =
            accounts.iter().map(|account| (account.debtor, account.id)).collect();
        for (debtor, account) in expected.difference(&indexed) {
            report.problem(
                "index",
                format!("{debtor} {account}"),
                "account missing from the debtor index",
            );
        }
        for (debtor, account) in indexed.difference(&expected) {
            report.problem(
                "index",
                format!("{debtor} {account}"),
                "debtor index names an account that is not the debtor's",
            );
        }
    }
    if let Some(pairs) = report.read("account_obligations", read.account_obligation_index()) {
        let indexed: BTreeSet<_> = pairs.into_iter().collect();
        let expected: BTreeSet<_> =
            obligations.iter().map(|obligation| (obligation.account, obligation.id)).collect();
        for (account, obligation) in expected.difference(&indexed) {
            report.problem(
                "index",
                format!("{account} {obligation}"),
                "obligation missing from the account index",
            );
        }
        for (account, obligation) in indexed.difference(&expected) {
            report.problem(
                "index",
                format!("{account} {obligation}"),
                "account index names an obligation that is not the account's",
            );
        }
    }
    if let Some(pairs) = report.read("account_entries", read.account_entry_index()) {
        let indexed: BTreeSet<_> = pairs.into_iter().collect();
        let expected: BTreeSet<_> =
            entries.iter().map(|entry: &JournalEntry| (entry.account, entry.id)).collect();
        for (account, entry) in expected.difference(&indexed) {
            report.problem(
                "index",
                format!("{account} {entry}"),
                "entry missing from the account index",
            );
        }
        for (account, entry) in indexed.difference(&expected) {
            report.problem(
                "index",
                format!("{account} {entry}"),
                "account index names an entry that is not the account's",
            );
        }
    }
    for obligation in &obligations {
        if !account_ids.contains(&obligation.account) {
            report.problem(
                "reference",
                obligation.id,
                format!("account {} does not exist", obligation.account),
            );
        }
    }
    // The audit chain, the review index and the outbox index.
    if let Some(entries) = report.read("audit", read.audit_log()) {
        for (seq, problem) in crate::audit::check_chain(&entries) {
            report.problem("audit", format!("audit {seq}"), problem);
        }
    }
    let cases = report.read("cases", read.all_cases());
    let review_index = report.read("review_due", read.review_index());
    if let (Some(cases), Some(index)) = (cases, review_index) {
        let expected: BTreeSet<(i32, AccountId)> = cases
            .iter()
            .map(|case| (arrears_store::date_key(case.next_review_on), case.account))
            .collect();
        let indexed: BTreeSet<(i32, AccountId)> = index.into_iter().collect();
        for (_, account) in expected.difference(&indexed) {
            report.problem("index", account, "case missing from the review index");
        }
        for (_, account) in indexed.difference(&expected) {
            report.problem("index", account, "review index row without a matching case");
        }
        for case in &cases {
            if !account_ids.contains(&case.account) {
                report.problem("reference", case.account, "case of an account that does not exist");
            }
        }
    }
    let actions = report.read("outbox", read.all_actions());
    let pending = report.read("outbox_pending", read.pending_index());
    if let (Some(actions), Some(pending)) = (actions, pending) {
        let expected: BTreeSet<u64> = actions
            .iter()
            .filter(|action| matches!(action.status, arrears_core::case::ActionStatus::Pending))
            .map(|action| action.id)
            .collect();
        if let Some(by_debtor) = report.read("outbox_by_debtor", read.debtor_action_index()) {
            let expected: BTreeSet<(DebtorId, u64)> =
                actions.iter().map(|action| (action.debtor, action.id)).collect();
            let indexed: BTreeSet<(DebtorId, u64)> = by_debtor.into_iter().collect();
            for (debtor, id) in expected.symmetric_difference(&indexed) {
                report.problem(
                    "index",
                    format!("{debtor} action {id}"),
                    "outbox debtor index disagrees with the action",
                );
            }
        }
        let indexed: BTreeSet<u64> = pending.into_iter().collect();
        for id in expected.symmetric_difference(&indexed) {
            report.problem(
                "index",
                format!("action {id}"),
                "pending-actions index disagrees with the action",
            );
        }
    }
    if let Some(refs) = report.read("external_refs", read.all_external_refs()) {
        let mut seen: BTreeSet<(RefKind, u64)> = BTreeSet::new();
        for (kind, reference, id) in refs {
            let holder = match kind {
                RefKind::Debtor => debtors
                    .iter()
                    .find(|debtor| debtor.id.0 == id)
                    .map(|debtor| debtor.external_ref.clone()),
                RefKind::Account => accounts
                    .iter()
                    .find(|account| account.id.0 == id)
                    .map(|account| account.external_ref.clone()),
                RefKind::Obligation => obligations
                    .iter()
                    .find(|obligation| obligation.id.0 == id)
                    .map(|obligation| obligation.external_ref.clone()),
            };
            match holder {
                Some(Some(held)) if held == reference => {}
                Some(_) => report.problem(
                    "index",
                    format!("{kind:?} {reference:?}"),
                    format!("names {id}, whose reference differs"),
                ),
                None => report.problem(
                    "index",
                    format!("{kind:?} {reference:?}"),
                    format!("names {id}, which does not exist"),
                ),
            }
            seen.insert((kind, id));
        }
        let missing = debtors
            .iter()
            .filter(|debtor| {
                debtor.external_ref.is_some() && !seen.contains(&(RefKind::Debtor, debtor.id.0))
            })
            .map(|debtor| debtor.id.to_string())
            .chain(
                accounts
                    .iter()
                    .filter(|account| {
                        account.external_ref.is_some()
                            && !seen.contains(&(RefKind::Account, account.id.0))
                    })
                    .map(|account| account.id.to_string()),
            )
            .chain(
                obligations
                    .iter()
                    .filter(|obligation| {
                        obligation.external_ref.is_some()
                            && !seen.contains(&(RefKind::Obligation, obligation.id.0))
                    })
                    .map(|obligation| obligation.id.to_string()),
            );
        for subject in missing {
            report.problem("index", subject, "external reference missing from the reference index");
        }
    }
    Ok(report.report)
}
