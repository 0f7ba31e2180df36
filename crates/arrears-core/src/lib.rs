//! Arrears domain: money, identifiers, debtors and accounts, the ledger rules and aging.
//!
//! This crate is pure and deterministic: it never reads the clock, the environment, the file
//! system or a random source. Dates and instants are arguments. Storage lives in
//! `arrears-store`; the embeddable API in `arrears`.
//!
//! The vocabulary, in reading order:
//! - [`money`]: `Currency`, `Money`, minor units, `RoundingRule`, exact splits.
//! - [`ids`]: `DebtorId`, `AccountId`, `ObligationId`, `EntryId`, `EventSeq`.
//! - [`model`]: `Debtor`, `Account`, `Terms`, `Obligation`.
//! - [`ledger`]: `Event`, `Posting`, `Book`, `replay`, `check`, `Rejection`.
//! - [`aging`]: `Bucket`, `age`.
#![deny(missing_docs)]

pub mod aging;
pub mod ids;
pub mod ledger;
pub mod model;
pub mod money;
