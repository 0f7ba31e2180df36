//! The index steps of `verify`: each index agrees with the records it indexes, every record
//! names records that exist, each account record keeps its debtor's jurisdiction as the debtor
//! has it, and the audit log's hash chain is unbroken.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use arrears_core::case::ActionStatus;
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::Jurisdiction;
use arrears_store::{ReadTxn, Reads, RefKind, StorageError};

use super::{Records, Report};

/// The three owner indexes (debtor to accounts, account to obligations, and each account's
/// chain of ledger rows, which indexes its entries) hold exactly the pairs the records say: an
/// entry of the log that its account's chain does not reach is reported, as is a broken chain.
pub(super) fn owner_indexes(report: &mut Report, read: &ReadTxn, records: &Records) {
    pair_index(
        report,
        "debtor_accounts",
        read.debtor_account_index(),
        || records.accounts.iter().map(|account| (account.debtor, account.id)).collect(),
        [
            "account missing from the debtor index",
            "debtor index names an account that is not the debtor's",
        ],
    );
    pair_index(
        report,
        "account_obligations",
        read.account_obligation_index(),
        || {
            let obligations = records.obligations.iter();
            obligations.map(|obligation| (obligation.account, obligation.id)).collect()
        },
        [
            "obligation missing from the account index",
            "account index names an obligation that is not the account's",
        ],
    );
    pair_index(
        report,
        "ledger_heads",
        read.account_entry_index(),
        || records.entries.iter().map(|entry| (entry.account, entry.id)).collect(),
        [
            "entry missing from the account index",
            "account index names an entry that is not the account's",
        ],
    );
}

/// Each account's record keeps its debtor's jurisdiction (`arrears_store::AccountRecord`),
/// derived state the store rewrites when the debtor moves, which a payment's state decision
/// reads instead of the debtor: it must be the debtor's. A record that keeps none (written
/// before account record version 3) is read through the debtor and is not a problem; an
/// account whose debtor is missing is the debtor index's problem.
pub(super) fn debtor_facts(report: &mut Report, read: &ReadTxn, records: &Records) {
    let places: BTreeMap<DebtorId, &Jurisdiction> =
        records.debtors.iter().map(|debtor| (debtor.id, &debtor.jurisdiction)).collect();
    let place = |jurisdiction: &Jurisdiction| match &jurisdiction.region {
        Some(region) => format!("{}-{region}", jurisdiction.country),
        None => jurisdiction.country.clone(),
    };
    for account in &records.accounts {
        let Some(Some(record)) = report.read("accounts", read.account_record(account.id)) else {
            continue;
        };
        let (Some(kept), Some(&actual)) =
            (&record.debtor_jurisdiction, places.get(&account.debtor))
        else {
            continue;
        };
        if kept != actual {
            report.problem(
                "debtor_facts",
                account.id,
                format!(
                    "the account's record keeps its debtor's jurisdiction as {}, but {} is in {}",
                    place(kept),
                    account.debtor,
                    place(actual)
                ),
            );
        }
    }
}

/// One index of (owner, owned) pairs against the pairs `expected` computes from the records:
/// a missing pair is reported with `details[0]`, a pair too many with `details[1]`.
fn pair_index<Owner: Ord + Display, Owned: Ord + Display>(
    report: &mut Report,
    table: &str,
    indexed: Result<Vec<(Owner, Owned)>, StorageError>,
    expected: impl FnOnce() -> BTreeSet<(Owner, Owned)>,
    details: [&str; 2],
) {
    let Some(pairs) = report.read(table, indexed) else { return };
    let indexed: BTreeSet<_> = pairs.into_iter().collect();
    let expected = expected();
    for (owner, owned) in expected.difference(&indexed) {
        report.problem("index", format!("{owner} {owned}"), details[0]);
    }
    for (owner, owned) in indexed.difference(&expected) {
        report.problem("index", format!("{owner} {owned}"), details[1]);
    }
}

/// Every obligation belongs to an account that exists.
pub(super) fn obligation_accounts(report: &mut Report, records: &Records) {
    let account_ids: BTreeSet<_> = records.accounts.iter().map(|account| account.id).collect();
    for obligation in &records.obligations {
        if !account_ids.contains(&obligation.account) {
            report.problem(
                "reference",
                obligation.id,
                format!("account {} does not exist", obligation.account),
            );
        }
    }
}

/// The audit log's hash chain (`audit::check_chain`).
pub(super) fn audit_chain(report: &mut Report, read: &ReadTxn) {
    if let Some(entries) = report.read("audit", read.audit_log()) {
        for (seq, problem) in crate::audit::check_chain(&entries) {
            report.problem("audit", format!("audit {seq}"), problem);
        }
    }
}

/// The review index holds each case's next review date, and every case's account exists.
pub(super) fn cases_and_review_index(report: &mut Report, read: &ReadTxn, records: &Records) {
    let cases = report.read("cases", read.all_cases());
    let review_index = report.read("review_due", read.review_index());
    let (Some(cases), Some(index)) = (cases, review_index) else { return };
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
    let account_ids: BTreeSet<_> = records.accounts.iter().map(|account| account.id).collect();
    for case in &cases {
        if !account_ids.contains(&case.account) {
            report.problem("reference", case.account, "case of an account that does not exist");
        }
    }
}

/// The outbox's debtor index names each action under its debtor, the pending index holds
/// exactly the actions still to be sent (pending and not reported sent), and the feed index
/// each numbered action under its number.
pub(super) fn outbox_indexes(report: &mut Report, read: &ReadTxn) {
    let actions = report.read("outbox", read.all_actions());
    let pending = report.read("outbox_pending", read.pending_index());
    let (Some(actions), Some(pending)) = (actions, pending) else { return };
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
    let expected: BTreeSet<u64> = actions
        .iter()
        .filter(|action| matches!(action.status, ActionStatus::Pending))
        .filter(|action| action.sent_at.is_none())
        .map(|action| action.id)
        .collect();
    let indexed: BTreeSet<u64> = pending.into_iter().collect();
    for id in expected.symmetric_difference(&indexed) {
        report.problem(
            "index",
            format!("action {id}"),
            "pending-actions index disagrees with the action",
        );
    }
    // The feed: every numbered action under its number, and nothing else.
    let Some(fed) = report.read("outbox_by_seq", read.actions_after(0, usize::MAX)) else {
        return;
    };
    let expected: BTreeSet<(u64, u64)> = actions
        .iter()
        .filter(|action| action.seq > 0)
        .map(|action| (action.seq, action.id))
        .collect();
    let indexed: BTreeSet<(u64, u64)> = fed.iter().map(|action| (action.seq, action.id)).collect();
    for (seq, id) in expected.symmetric_difference(&indexed) {
        report.problem(
            "index",
            format!("action {id} seq {seq}"),
            "outbox feed index disagrees with the action",
        );
    }
}

/// Every row of the reference index names a record that holds that reference, and every
/// record with a reference has its row.
pub(super) fn external_refs(report: &mut Report, read: &ReadTxn, records: &Records) {
    let Some(refs) = report.read("external_refs", read.all_external_refs()) else { return };
    let mut seen: BTreeSet<(RefKind, u64)> = BTreeSet::new();
    for (kind, reference, id) in refs {
        match reference_held(records, kind, id) {
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
    let unseen = |kind: RefKind, id: u64, held: &Option<String>| {
        held.is_some() && !seen.contains(&(kind, id))
    };
    let missing = (records.debtors.iter())
        .filter(|debtor| unseen(RefKind::Debtor, debtor.id.0, &debtor.external_ref))
        .map(|debtor| debtor.id.to_string())
        .chain(
            (records.accounts.iter())
                .filter(|account| unseen(RefKind::Account, account.id.0, &account.external_ref))
                .map(|account| account.id.to_string()),
        )
        .chain(
            (records.obligations.iter())
                .filter(|obligation| {
                    unseen(RefKind::Obligation, obligation.id.0, &obligation.external_ref)
                })
                .map(|obligation| obligation.id.to_string()),
        );
    for subject in missing {
        report.problem("index", subject, "external reference missing from the reference index");
    }
}

/// The reference the record of `kind` and `id` holds: `None` if there is no such record.
fn reference_held(records: &Records, kind: RefKind, id: u64) -> Option<Option<String>> {
    match kind {
        RefKind::Debtor => (records.debtors.iter())
            .find(|debtor| debtor.id.0 == id)
            .map(|debtor| debtor.external_ref.clone()),
        RefKind::Account => (records.accounts.iter())
            .find(|account| account.id.0 == id)
            .map(|account| account.external_ref.clone()),
        RefKind::Obligation => (records.obligations.iter())
            .find(|obligation| obligation.id.0 == id)
            .map(|obligation| obligation.external_ref.clone()),
    }
}
