//! Collection policies as data: stages with entry conditions and actions, promise, plan,
//! settlement and review rules, charge-off days, and champion/challenger arms, read from TOML.
//!
//! A [`Policy`] is only ever built by [`Policy::from_toml`], which validates everything at load
//! time, so code that holds a `Policy` never meets an invalid rule. Every load error is a
//! [`PolicyError`] that names the file, the 1-based line, the field path (`stage[2].min_dpd`,
//! 0-based indexes in file order) and a reason: `standard.toml:14: stage[2].min_dpd: ...`.
//!
//! Stage selection is by specificity, never by order in the file: among the stages whose entry
//! conditions an account meets, the one with the most conditions wins, then the one with the
//! narrower days-past-due range. Two stages that tie on both and could match the same account
//! are rejected at load time, so [`Policy::select_stage`] always has a single answer. The
//! traffic split between arms is a stable FNV-1a hash of the debtor id and the policy name
//! ([`arm_hash`]). `docs/POLICY.md` documents every key.
//!
//! Architecture invariant: this module is pure. It parses a string (the caller reads the file)
//! and never touches the clock, the file system or a random source.
//!
//! The module's files: `model.rs` (the validated types, selection and the arm hash),
//! `error.rs` ([`PolicyError`]), `raw.rs` (the file's shape as written, before validation) and
//! `load.rs` ([`Policy::from_toml`]: raw to validated, with located errors).

mod error;
mod load;
mod model;
mod raw;
mod templates;

pub use error::{PolicyError, PolicyErrorReason};
pub use model::{
    arm_hash, Amount, Arm, Assignment, CadenceDays, ChargeOffRules, ContactStep, Creditor,
    CustomerConditions, DateRules, JurisdictionPattern, Placement, PlanRules, Policy, Priority,
    PromiseRules, ReviewRules, SettlementRules, Signal, Specificity, Stage, StageActions,
    StageConditions, StageFacts, ARMS_MAX, ARM_WEIGHT_MAX, ASSIGNMENTS_MAX,
    CONTACT_STEPS_PER_STAGE_MAX, DELAY_DAYS_MAX, DPD_MAX, FUTURE_DAYS_DEFAULT, INSTALLMENTS_MAX,
    LIST_LEN_MAX, MISSED_INSTALLMENTS_MAX, NAME_LEN_MAX, OPEN_PROMISES_MAX, PRE_DUE_DAYS_MAX,
    REVIEW_CADENCE_DAYS_MAX, STAGES_MAX,
};

/// How often plan installments fall due: the same type as plan quotes use.
pub use crate::plan::Frequency;

// The unit tests see this module's names through `use super::*`; these are the other names
// they use.
#[cfg(test)]
use {
    crate::model::{ContactChannel, ProductKind},
    model::fnv1a_64,
    rust_decimal::Decimal,
    std::cmp::Ordering,
};

#[cfg(test)]
mod tests;
