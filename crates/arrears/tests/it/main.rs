//! Integration tests of the engine through its public API, on real store files.
//!
//! Goal: every command is atomic and idempotent, back-dated events are journaled as
//! corrections, `verify` finds damage, and the books always agree with an independent model.

mod backup;
mod bad_api_input;
mod carried;
mod collection_defects;
mod collections;
mod commands;
mod crash;
mod credit;
mod credit_cases;
mod detect;
mod faults;
mod feed;
mod fixture;
mod group_commit;
mod guardrails;
mod hot_cold;
mod inputs;
mod isolation;
mod journal;
mod lifecycle;
mod lifecycle_cases;
mod lists;
mod messages;
mod migrate;
mod model;
mod overlay;
mod plugins;
mod queue_cases;
mod registry;
mod regulatory;
mod regulatory_cases;
mod replays;
mod reports;
mod shared;
mod support;
mod suspense;
mod tidy;
mod verify;
