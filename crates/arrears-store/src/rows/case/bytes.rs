//! The collection case's record written and read by hand: bincode's standard form of
//! [`CollectionCaseRow`] spelled out, for the record every payment reads (and writes back when
//! the case moves) and every review of the daily cycle reads on the prefetching thread and
//! writes on the writing thread. Through the row it cost a conversion each way, each string
//! copied twice on the way in (into the row, then out of it), and serde's generic machinery.
//!
//! Everything is hand-written, every field and every variant: the state and the states
//! interrupted (each [`CollectionState`] variant), the flags, the stage, the arm, the dates and
//! counters, the late fee charges, and the optional parts, promise, plan, settlement,
//! placement, capacity, score, recall date, forbearance and the hardship's end, whether `None` or `Some`. Strings are read straight into the case's `String`s, one copy
//! from the record's bytes. There is no fallback for any value: [`encode`] writes every case.
//! [`decode`] reads only what [`encode`] writes, the canonical form, in a frame of the current
//! version; for anything else (an older version, a non-canonical varint, an unknown variant,
//! invalid UTF-8, damage) it returns `None`, and the caller decodes with serde through the row,
//! which stays the definition of the bytes and gives the same value or the same error as
//! before. In `rows::with_strings` mode (dates as text, format 1) the caller goes to serde
//! without asking this module. The tests compare the two paths over arbitrary cases and on
//! damaged bytes, and the golden tests of `codec/tests.rs` freeze the bytes.
//!
//! The form of each leaf is in [`crate::rows::bytes`]; the fields are [`CollectionCaseRow`]'s,
//! in its order.

use arrears_core::case::{
    CaseScore, CollectionCase, ForbearanceMeasure, ForbearanceRecord, LateFeeCharge, Placement,
    PlanRecord, PromiseRecord, SettlementRecord, StatedCapacity,
};
use arrears_core::collection::{CollectionState, StickyFlags};
use arrears_core::ids::{AccountId, ObligationId};
use arrears_core::plan::{Frequency, PromisedPayment};

#[cfg(doc)]
use super::CollectionCaseRow;
use super::{ForbearanceMeasureRow, FrequencyRow};
use crate::codec::RecordKind;
#[cfg(doc)]
use crate::codec::RECORD_LEN_MAX;
use crate::rows::bytes::{In, Out};
use crate::rows::Stored;

/// `FrequencyRow`'s variants by index, for reading (writing casts the variant to its index).
pub(super) const FREQUENCY_ROWS: [FrequencyRow; 3] =
    [FrequencyRow::Weekly, FrequencyRow::Fortnightly, FrequencyRow::Monthly];

/// `ForbearanceMeasureRow`'s variants by index, for reading (writing casts the variant to its
/// index).
pub(super) const FORBEARANCE_MEASURE_ROWS: [ForbearanceMeasureRow; 4] = [
    ForbearanceMeasureRow::Hardship,
    ForbearanceMeasureRow::Plan,
    ForbearanceMeasureRow::Settlement,
    ForbearanceMeasureRow::Assessed,
];

/// The case record of `case` (version byte, payload, CRC-32), as `codec::encode` of its row
/// writes it.
///
/// # Panics
///
/// If the record exceeds [`RECORD_LEN_MAX`], as `codec::encode` does.
pub(in crate::rows) fn encode(kind: RecordKind, case: &CollectionCase) -> Vec<u8> {
    crate::rows::bytes::encode(kind, |out| out.case(case))
}

/// The case of a case record of the current version in canonical form; `None` for anything
/// else (the caller then decodes with serde).
pub(in crate::rows) fn decode(kind: RecordKind, bytes: &[u8]) -> Option<CollectionCase> {
    crate::rows::bytes::decode(kind, bytes, |input| input.case())
}

impl Out {
    fn case(&mut self, case: &CollectionCase) {
        // Destructured without `..`: a field added to the case fails to compile here, as it
        // does in the row's conversion.
        let CollectionCase {
            account,
            state,
            flags,
            stage,
            stage_entered_on,
            arm,
            next_review_on,
            last_review_on,
            decided_on,
            promise,
            plan,
            settlement,
            placement,
            credit_hold,
            broken_promises,
            promise_broken_on,
            kept_promises,
            steps_issued,
            late_fees_assessed,
            interrupted,
            capacity,
            time_barred_on,
            score,
            recalled_on,
            late_fee_charges,
            forbearance,
            hardship_ended_on,
        } = case;
        self.unsigned(account.0);
        self.collection_state(state);
        let StickyFlags {
            cease_communication,
            attorney_represented,
            bankruptcy_stay,
            deceased,
            time_barred,
            bankruptcy_discharged,
        } = flags;
        self.flag(*cease_communication);
        self.flag(*attorney_represented);
        self.flag(*bankruptcy_stay);
        self.flag(*deceased);
        self.flag(*time_barred);
        self.option_text(stage.as_deref());
        self.option_day(*stage_entered_on);
        self.text(arm);
        self.day(*next_review_on);
        self.option_day(*last_review_on);
        self.day(*decided_on);
        self.flag(promise.is_some());
        if let Some(PromiseRecord { made_on, payments, grace_days }) = promise {
            self.day(*made_on);
            self.len(payments.len());
            for PromisedPayment { on, amount_minor } in payments {
                self.day(*on);
                self.signed(*amount_minor);
            }
            self.unsigned(u64::from(*grace_days));
        }
        self.flag(plan.is_some());
        if let Some(PlanRecord {
            created_on,
            frequency,
            installments,
            total_minor,
            missed,
            default_after_missed,
            grace_days,
        }) = plan
        {
            self.day(*created_on);
            self.variant(frequency.to_row() as u32);
            self.len(installments.len());
            for installment in installments {
                self.unsigned(installment.0);
            }
            self.signed(*total_minor);
            self.unsigned(u64::from(*missed));
            self.unsigned(u64::from(*default_after_missed));
            self.unsigned(u64::from(*grace_days));
        }
        self.flag(settlement.is_some());
        if let Some(SettlementRecord { offered_on, amount_minor, expires_on, accepted_on }) =
            settlement
        {
            self.day(*offered_on);
            self.signed(*amount_minor);
            self.day(*expires_on);
            self.option_day(*accepted_on);
        }
        self.flag(placement.is_some());
        if let Some(Placement { agency, placed_on, commission_rate }) = placement {
            self.text(agency);
            self.day(*placed_on);
            self.decimal(*commission_rate);
        }
        self.flag(*credit_hold);
        self.unsigned(u64::from(*broken_promises));
        self.option_day(*promise_broken_on);
        self.unsigned(u64::from(*kept_promises));
        self.len(steps_issued.len());
        for step in steps_issued {
            self.unsigned(u64::from(*step));
        }
        self.len(late_fees_assessed.len());
        for obligation in late_fees_assessed {
            self.unsigned(obligation.0);
        }
        self.len(interrupted.len());
        for state in interrupted {
            self.collection_state(state);
        }
        self.flag(capacity.is_some());
        if let Some(StatedCapacity { stated_on, monthly_income_minor, monthly_expenses_minor }) =
            capacity
        {
            self.day(*stated_on);
            self.signed(*monthly_income_minor);
            self.signed(*monthly_expenses_minor);
        }
        self.option_day(*time_barred_on);
        self.flag(score.is_some());
        if let Some(CaseScore { band, points, scored_on }) = score {
            self.text(band);
            self.signed(i64::from(*points));
            self.day(*scored_on);
        }
        self.option_day(*recalled_on);
        self.len(late_fee_charges.len());
        for LateFeeCharge { obligation, fee, assessed_on, fee_minor } in late_fee_charges {
            self.unsigned(obligation.0);
            self.unsigned(fee.0);
            self.day(*assessed_on);
            self.signed(*fee_minor);
        }
        // The last flag follows the fields of version 5 (version 6).
        self.flag(*bankruptcy_discharged);
        // Version 7.
        self.flag(forbearance.is_some());
        if let Some(ForbearanceRecord { on, measure }) = forbearance {
            self.day(*on);
            self.variant(measure.to_row() as u32);
        }
        // Version 8.
        self.option_day(*hardship_ended_on);
    }

    /// `CollectionStateRow`: its variant's index (in the row's order), then its fields.
    fn collection_state(&mut self, state: &CollectionState) {
        match state {
            CollectionState::Current => self.variant(0),
            CollectionState::Delinquent { stage } => {
                self.variant(1);
                self.byte(*stage);
            }
            CollectionState::Promised => self.variant(2),
            CollectionState::InPlan => self.variant(3),
            CollectionState::Disputed => self.variant(4),
            CollectionState::Hardship { until } => {
                self.variant(5);
                self.day(*until);
            }
            CollectionState::Placed { agency } => {
                self.variant(6);
                self.text(agency);
            }
            CollectionState::Legal => self.variant(7),
            CollectionState::ChargedOff => self.variant(8),
            CollectionState::Settled => self.variant(9),
            CollectionState::Paid => self.variant(10),
            CollectionState::Closed => self.variant(11),
        }
    }
}

impl In<'_> {
    fn case(&mut self) -> Option<CollectionCase> {
        // Fields are read in the row's order: a struct literal evaluates in the order written.
        let mut case = CollectionCase {
            account: AccountId(self.u64()?),
            state: self.collection_state()?,
            flags: StickyFlags {
                cease_communication: self.flag()?,
                attorney_represented: self.flag()?,
                bankruptcy_stay: self.flag()?,
                deceased: self.flag()?,
                time_barred: self.flag()?,
                // The record's last field, read below.
                bankruptcy_discharged: false,
            },
            stage: self.option_text()?,
            stage_entered_on: self.option_day()?,
            arm: self.text()?,
            next_review_on: self.day()?,
            last_review_on: self.option_day()?,
            decided_on: self.day()?,
            promise: if self.flag()? { Some(self.promise()?) } else { None },
            plan: if self.flag()? { Some(self.plan()?) } else { None },
            settlement: if self.flag()? {
                Some(SettlementRecord {
                    offered_on: self.day()?,
                    amount_minor: self.i64()?,
                    expires_on: self.day()?,
                    accepted_on: self.option_day()?,
                })
            } else {
                None
            },
            placement: if self.flag()? {
                Some(Placement {
                    agency: self.text()?,
                    placed_on: self.day()?,
                    commission_rate: self.decimal()?,
                })
            } else {
                None
            },
            credit_hold: self.flag()?,
            broken_promises: self.u32()?,
            promise_broken_on: self.option_day()?,
            kept_promises: self.u32()?,
            steps_issued: self.list(In::u32)?,
            late_fees_assessed: self.obligations()?,
            interrupted: self.list(In::collection_state)?,
            capacity: if self.flag()? {
                Some(StatedCapacity {
                    stated_on: self.day()?,
                    monthly_income_minor: self.i64()?,
                    monthly_expenses_minor: self.i64()?,
                })
            } else {
                None
            },
            time_barred_on: self.option_day()?,
            score: if self.flag()? {
                Some(CaseScore { band: self.text()?, points: self.i32()?, scored_on: self.day()? })
            } else {
                None
            },
            recalled_on: self.option_day()?,
            late_fee_charges: self.list(|input| {
                Some(LateFeeCharge {
                    obligation: ObligationId(input.u64()?),
                    fee: ObligationId(input.u64()?),
                    assessed_on: input.day()?,
                    fee_minor: input.i64()?,
                })
            })?,
            // Read below, after the flag that precedes it.
            forbearance: None,
            hardship_ended_on: None,
        };
        case.flags.bankruptcy_discharged = self.flag()?;
        case.forbearance = if self.flag()? { Some(self.forbearance()?) } else { None };
        case.hardship_ended_on = self.option_day()?;
        Some(case)
    }

    fn collection_state(&mut self) -> Option<CollectionState> {
        Some(match self.variant()? {
            0 => CollectionState::Current,
            1 => CollectionState::Delinquent { stage: self.byte()? },
            2 => CollectionState::Promised,
            3 => CollectionState::InPlan,
            4 => CollectionState::Disputed,
            5 => CollectionState::Hardship { until: self.day()? },
            6 => CollectionState::Placed { agency: self.text()? },
            7 => CollectionState::Legal,
            8 => CollectionState::ChargedOff,
            9 => CollectionState::Settled,
            10 => CollectionState::Paid,
            11 => CollectionState::Closed,
            _ => return None,
        })
    }

    fn promise(&mut self) -> Option<PromiseRecord> {
        let made_on = self.day()?;
        let payments = self
            .list(|input| Some(PromisedPayment { on: input.day()?, amount_minor: input.i64()? }))?;
        Some(PromiseRecord { made_on, payments, grace_days: self.u32()? })
    }

    fn plan(&mut self) -> Option<PlanRecord> {
        let created_on = self.day()?;
        let frequency_index = usize::try_from(self.variant()?).ok()?;
        let frequency = Frequency::from_row(FREQUENCY_ROWS.get(frequency_index)?.clone());
        Some(PlanRecord {
            created_on,
            frequency,
            installments: self.obligations()?,
            total_minor: self.i64()?,
            missed: self.u32()?,
            default_after_missed: self.u32()?,
            grace_days: self.u32()?,
        })
    }

    fn forbearance(&mut self) -> Option<ForbearanceRecord> {
        let on = self.day()?;
        let measure_index = usize::try_from(self.variant()?).ok()?;
        let measure =
            ForbearanceMeasure::from_row(FORBEARANCE_MEASURE_ROWS.get(measure_index)?.clone());
        Some(ForbearanceRecord { on, measure })
    }

    /// A sequence of obligation ids.
    fn obligations(&mut self) -> Option<Vec<ObligationId>> {
        self.list(|input| Some(ObligationId(input.u64()?)))
    }
}

#[cfg(test)]
mod tests;
