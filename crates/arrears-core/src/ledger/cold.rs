//! The hot and the cold part of an account's state (store format 3).
//!
//! An account's [`AccountState`] holds every obligation and every payment it ever had, so a
//! state kept whole grows with the account's history, and so does the cost of reading and
//! writing it on each payment. But the events that continue a history (a payment not directed
//! at a settled obligation, a charge, an accrual, a charge-off) never read a settled obligation
//! or a payment whose cash is all applied: allocation skips what is settled, interest counts
//! principal that is owed, and only a reversal, a commission, a waiver, an adjustment, a
//! dispute, a plan or a charge-off's reversal look back.
//!
//! So the store keeps the *hot* part of the state in the account's row and moves what no
//! continuing event can read into *cold* parts, each written once and never rewritten. An event
//! that may look back ([`AccountState::needs_cold`]) first merges every cold part back
//! ([`AccountState::merge_cold`]): the merged state is exactly the whole state, so it takes the
//! same decisions and derives the same postings as if nothing had been moved.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{AccountState, EventKind, ObligationState, PaymentState};
use crate::ids::{EventSeq, ObligationId};
use crate::vec_map::VecMap;

/// How many items a cold part holds at least: a state moves its settled items out once this
/// many have gathered, so an account writes one cold part per about this many settled items.
/// Fewer keeps the hot row smaller (what a payment decodes and encodes: measured in
/// docs/BENCHMARKS.md section 5) for more parts to merge when the whole state is read.
pub const COLD_PART_ITEMS_MIN: usize = 8;

/// The payments with the highest sequences stay hot even when they could move: a reversal
/// (a returned cheque, a failed debit) usually comes days after the payment it returns, and
/// the reversal of a hot payment whose obligations are hot reads no cold part.
const RECENT_PAYMENTS_KEPT: usize = 2;

/// Payments received or reversed in the last this many days before the account's latest event
/// stay hot too (at most [`RECENT_PAYMENTS_HOT_MAX`] of them): the cycle's review reads the
/// payments of the last 90 days (its features) and promises and plans those since they were
/// made, and a state whose cold parts hold none of them answers from its hot part alone
/// ([`AccountState::has_payments_from`]); moving a recent payment out made the next review
/// merge every part back.
pub const RECENT_DAYS_KEPT: u64 = 92;

/// Most payments kept hot for being recent ([`RECENT_DAYS_KEPT`]): an account paid more often
/// than this many times in 92 days moves its older recent payments out too, so that the hot
/// row, which every event of the account decodes and every transaction that changes it
/// encodes and writes, stays bounded whatever the payments' rate (issue 21: an import paying
/// 10,000 accounts once a day rewrote each account's row once a batch, at 92 payments each).
/// Such an account's review then merges its parts back, as a review of any account did before
/// [`RECENT_DAYS_KEPT`]; sixteen keeps a weekly payer's quarter hot.
pub const RECENT_PAYMENTS_HOT_MAX: usize = 16;

const _: () = assert!(RECENT_PAYMENTS_KEPT <= RECENT_PAYMENTS_HOT_MAX);

/// Settled items moved out of an account's state: obligations owing nothing and payments
/// whose cash is all applied, as they were when moved. No event that continues the history
/// changes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColdPart {
    /// Settled obligations.
    pub obligations: Vec<ObligationState>,
    /// Payments with nothing left unapplied, by event.
    pub payments: Vec<(EventSeq, PaymentState)>,
}

/// A cold part that names an obligation or payment the state already holds: the parts and the
/// hot row disagree, so one of them is corrupted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a cold part holds {what} {id}, which the account's state holds already")]
pub struct ColdConflict {
    /// `"obligation"` or `"payment"`.
    pub what: &'static str,
    /// Its id or event sequence.
    pub id: u64,
}

impl AccountState {
    /// True if and only if some of this state's items are in cold parts and an event of
    /// `kind` may read one of them, so the parts must be merged back before it is checked or
    /// replayed.
    pub fn needs_cold(&self, kind: &EventKind) -> bool {
        if self.cold_parts == 0 {
            return false;
        }
        match kind {
            EventKind::Payment { directed_to: None, .. }
            | EventKind::Charge { .. }
            | EventKind::AccrueInterest { .. }
            | EventKind::ChargeOff
            // A refund reads the unapplied cash, whose payments stay hot.
            | EventKind::Refund { .. } => false,
            EventKind::Payment { directed_to: Some(obligation), .. } => {
                !self.obligations.contains_key(obligation)
            }
            // A reversal reads its payment and re-opens the obligations the payment settled.
            EventKind::Reversal { payment, .. } => self.payments.get(payment).is_none_or(|paid| {
                (paid.allocated.keys()).any(|(_, id, _)| !self.obligations.contains_key(id))
            }),
            _ => true,
        }
    }

    /// Merges cold parts back: with all of an account's parts, the result is the whole state.
    ///
    /// # Errors
    ///
    /// [`ColdConflict`] if a part holds an item the state holds already; the state is then
    /// unchanged.
    pub fn merge_cold(
        &mut self,
        parts: impl IntoIterator<Item = ColdPart>,
    ) -> Result<(), ColdConflict> {
        let mut obligations = VecMap::new();
        let mut payments = VecMap::new();
        for part in parts {
            for obligation in part.obligations {
                let id = obligation.id;
                if self.obligations.contains_key(&id)
                    || obligations.insert(id, obligation).is_some()
                {
                    return Err(ColdConflict { what: "obligation", id: id.0 });
                }
            }
            for (seq, payment) in part.payments {
                if self.payments.contains_key(&seq) || payments.insert(seq, payment).is_some() {
                    return Err(ColdConflict { what: "payment", id: u64::from(seq.0) });
                }
            }
        }
        self.obligations.append(&mut obligations);
        self.payments.append(&mut payments);
        self.cold_parts = 0;
        self.cold_through = None;
        Ok(())
    }

    /// True if and only if this state holds every payment received or reversed on or after
    /// `from`: it is whole, or its cold parts hold only payments of earlier days. A reader that
    /// needs the payments since `from`, and of the obligations only what they owe (totals,
    /// amounts past due, aging: a settled obligation owes nothing), may then read this state
    /// as it is.
    pub fn has_payments_from(&self, from: NaiveDate) -> bool {
        self.cold_parts == 0 || self.cold_through.is_none_or(|through| through < from)
    }

    /// Moves what no continuing event can read into a new cold part, once at least
    /// `items_min` items can move; `None` otherwise. Nothing moves from a charged-off account
    /// (the charge-off's reversal reads every payment recovered since).
    ///
    /// An obligation moves when it owes nothing, is not disputed, and its due date is before
    /// the interest cursor (so it can no longer split an interest period), unless a payment
    /// that stays settled part of it. A payment moves when none of its cash is unapplied, it
    /// is not among the latest two, and either it was received (and reversed, if it was) more
    /// than [`RECENT_DAYS_KEPT`] days before the account's latest event or it is not among the
    /// latest [`RECENT_PAYMENTS_HOT_MAX`]: so at most that many payments stay hot for being
    /// recent, and the hot part does not grow with the payments of a busy account.
    pub fn split_cold(&mut self, items_min: usize) -> Option<ColdPart> {
        // What moves is among the obligations and payments held: with fewer than the minimum,
        // nothing can, and the selection below need not run (every snapshot written asks).
        if self.charged_off_on.is_some()
            || self.obligations.len() + self.payments.len() < items_min.max(1)
        {
            return None;
        }
        let recent = self.payments.len().saturating_sub(RECENT_PAYMENTS_KEPT);
        let beyond_hot_max = self.payments.len().saturating_sub(RECENT_PAYMENTS_HOT_MAX);
        let old_before =
            self.latest_on.map(|latest| crate::dates::days_before(latest, RECENT_DAYS_KEPT));
        let is_old = |payment: &PaymentState| {
            old_before.is_some_and(|before| {
                payment.paid_on < before && payment.reversed_on.is_none_or(|on| on < before)
            })
        };
        let unapplied = &self.unapplied;
        let moves = |index: usize, seq: &EventSeq, payment: &PaymentState| {
            index < recent
                && payment.unapplied_minor == 0
                && !unapplied.iter().any(|(held, _)| held == seq)
                && (index < beyond_hot_max || is_old(payment))
        };
        let cursor = self.interest_cursor;
        // Whether an obligation moves, but for the payments kept (below).
        let settled = |obligation: &ObligationState| {
            obligation.outstanding_minor == [0; 3]
                && !obligation.disputed
                && obligation.due_on < cursor
        };
        // Counted first, with nothing allocated: in an account's steady state (its recent
        // payments hot, its settled items gone) fewer than the minimum can move, and this is
        // asked on every snapshot written.
        let payments_moving = (self.payments.iter().enumerate())
            .filter(|(index, (seq, payment))| moves(*index, seq, payment))
            .count();
        let obligations_settled = self.obligations.values().filter(|o| settled(o)).count();
        if payments_moving + obligations_settled < items_min.max(1) {
            return None;
        }
        let (payments, kept): (Vec<_>, Vec<_>) = (self.payments.iter().enumerate())
            .partition(|(index, (seq, payment))| moves(*index, seq, payment));
        let payments: Vec<EventSeq> = payments.into_iter().map(|(_, (seq, _))| *seq).collect();
        // What a kept payment settled stays with it, so that its reversal reads no cold part.
        let settled_by_kept: Vec<ObligationId> = (kept.iter())
            .flat_map(|(_, (_, payment))| payment.allocated.keys().map(|(_, id, _)| *id))
            .collect();
        let obligations: Vec<ObligationId> = (self.obligations.values())
            .filter(|obligation| settled(obligation) && !settled_by_kept.contains(&obligation.id))
            .map(|obligation| obligation.id)
            .collect();
        if obligations.len() + payments.len() < items_min.max(1) {
            return None;
        }
        let part = ColdPart {
            obligations: (obligations.iter())
                .filter_map(|id| self.obligations.remove(id))
                .collect(),
            payments: (payments.iter())
                .filter_map(|seq| self.payments.remove(seq).map(|payment| (*seq, payment)))
                .collect(),
        };
        let latest = (part.payments.iter())
            .flat_map(|(_, payment)| [Some(payment.paid_on), payment.reversed_on])
            .max()
            .flatten();
        self.cold_through = self.cold_through.max(latest);
        self.cold_parts += 1;
        Some(part)
    }
}
