//! `verify`: an independent check of everything the store holds. It reports every problem it
//! finds and repairs nothing.
//!
//! The checks run as named steps, each appending to one report in a fixed order: the journal's
//! balance, each account replayed against its stored snapshot and journal (`ledger.rs`), then
//! the indexes, the references between records and the audit chain (`indexes.rs`), the bank
//! lines held in suspense against the payments applied from them (`suspense.rs`), the credit
//! decisions, standings and reviews (`credit.rs`). A table
//! that cannot be read is a problem of its own, and the steps that need it are skipped.

mod credit;
mod idempotency;
mod indexes;
mod ledger;
mod suspense;

use std::fmt;

use serde::Serialize;

use arrears_core::ledger::JournalEntry;
use arrears_core::model::{Account, Debtor, Obligation};
use arrears_store::{ReadTxn, Reads, StorageError};

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

/// The report as the steps build it.
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
                self.problem("read", what, crate::error::error_text(&error));
                None
            }
        }
    }
}

/// The records every step may need, read once; a table that cannot be read is empty here
/// (and a `read` problem in the report).
struct Records {
    entries: Vec<JournalEntry>,
    accounts: Vec<Account>,
    debtors: Vec<Debtor>,
    obligations: Vec<Obligation>,
}

impl Records {
    fn read(report: &mut Report, read: &ReadTxn) -> Records {
        Records {
            entries: report.read("journal", read.all_entries()).unwrap_or_default(),
            accounts: report.read("accounts", read.all_accounts()).unwrap_or_default(),
            debtors: report.read("debtors", read.all_debtors()).unwrap_or_default(),
            obligations: report.read("obligations", read.all_obligations()).unwrap_or_default(),
        }
    }
}

pub(crate) fn verify(read: &ReadTxn) -> Result<VerifyReport, StorageError> {
    let mut report = Report { report: VerifyReport::default() };
    let records = Records::read(&mut report, read);
    let mut journaled = ledger::entries_and_journal_balance(&mut report, &records.entries);
    ledger::entry_ids(&mut report, read, &records.entries);
    let event_keys = ledger::accounts(&mut report, read, &records, &mut journaled);
    ledger::entries_without_event(&mut report, &journaled);
    indexes::owner_indexes(&mut report, read, &records);
    indexes::debtor_facts(&mut report, read, &records);
    indexes::obligation_accounts(&mut report, &records);
    indexes::audit_chain(&mut report, read);
    indexes::cases_and_review_index(&mut report, read, &records);
    indexes::outbox_indexes(&mut report, read);
    indexes::external_refs(&mut report, read, &records);
    suspense::bank_lines(&mut report, read, &records);
    credit::credit_records(&mut report, read, &records);
    idempotency::idempotency_records(&mut report, read, &event_keys);
    Ok(report.report)
}
