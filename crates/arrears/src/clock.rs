//! The engine's clock: where `recorded_at` comes from. No balance or decision depends on it.

use chrono::{DateTime, Utc};

/// Where the engine gets the instant it records as `recorded_at`. The ledger never reads it:
/// balances and aging depend only on effective dates.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always says the same instant (tests, replays, simulations).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
