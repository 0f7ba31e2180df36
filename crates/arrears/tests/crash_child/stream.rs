//! The crash test's command stream, shared by the child that executes it
//! (`tests/crash_child/main.rs`) and the test that checks what survived each kill
//! (`tests/it/crash.rs`).

use arrears::ids::AccountId;
use arrears::money::{Currency, Money};
use arrears::{Arrears, Command, Durability, Options};
use chrono::NaiveDate;

/// Accounts in the store, with the external references `K0`, `K1`...
pub(crate) const ACCOUNTS: usize = 20;

pub(crate) fn options() -> Options {
    Options { durability: Durability::Immediate, ..Options::default() }
}

pub(crate) fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// The `n`-th command of the stream: `None` for a cycle (every tenth), else a payment.
pub(crate) fn command(n: u64, ids: &[AccountId]) -> Option<Command> {
    if n % 10 == 9 {
        return None;
    }
    Some(Command::Payment {
        account: ids[(n % ids.len() as u64) as usize],
        effective_on: date(2, 1),
        amount: Money::from_minor(100 + (n % 50) as i64, Currency::USD),
        directed_to: None,
    })
}

/// The accounts, in the order `command` picks them.
pub(crate) fn account_ids(books: &Arrears) -> Vec<AccountId> {
    (0..ACCOUNTS).map(|i| books.find_account(&format!("K{i}")).unwrap().unwrap()).collect()
}
