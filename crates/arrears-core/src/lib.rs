//! Arrears domain: money, identifiers, debtors and accounts, the ledger rules and aging.
//!
//! This crate is pure and deterministic: it never reads the clock, the environment, the file
//! system or a random source. Dates and instants are arguments. Storage lives in
//! `arrears-store`; the embeddable API in `arrears`.
//!
//! The vocabulary, in reading order:
//! - [`money`]: `Currency`, `Money`, minor units, `RoundingRule`, exact splits.
//! - [`dates`]: the serde forms of dates and instants (strings for people, integers on disk).
//! - [`ids`]: `DebtorId`, `AccountId`, `ObligationId`, `EntryId`, `EventSeq`.
//! - [`model`]: `Debtor`, `Account`, `Terms`, `Obligation`; `model::locale` checks a debtor's
//!   country (ISO 3166-1 alpha-2) and language (BCP 47).
//! - [`ledger`]: `Event`, `Posting`, `Book`, `replay`, `check`, `Rejection`.
//! - [`aging`]: `Bucket`, `age`.
//! - [`case`]: an account's `CollectionCase`, outbox `Action`s, contact history, the audit record.
//! - [`collection`]: the collection state machine: `CollectionState`, `StickyFlags`,
//!   `CollectionEvent`, `transition`.
//! - [`policy`]: collection policies as data (TOML): stages, actions, rules, arms.
//! - [`plan`]: payment-plan schedules, affordability, promises and settlements.
//! - [`holidays`]: public holidays by rule, per jurisdiction.
//! - [`compliance`]: the contact guardrails and the jurisdiction packs.
//! - [`strategy`]: the `Scorer` and `ContactStrategy` traits and their built-in defaults.
//! - [`work`]: work for people: teams, agents, skills, work items, outcome codes.
//! - [`credit`]: credit applications, the policy's credit rules, decisions and reviews.
//! - [`detect`]: detectors deriving red-flag signals from the books.
//! - [`located_toml`]: TOML read with errors located by file, line and field (policies, packs,
//!   and arrears-bank's CSV mapping files).
#![deny(missing_docs)]

pub mod aging;
pub mod case;
pub mod cash;
pub mod collection;
pub mod compliance;
pub mod credit;
pub mod dates;
pub mod detect;
pub mod holidays;
pub mod ids;
pub mod ledger;
pub mod located_toml;
pub mod message;
pub mod model;
pub mod money;
pub mod plan;
pub mod policy;
pub mod strategy;
pub mod vec_map;
pub mod work;
