//! Portfolio ids, and rewriting the ids a command or an outcome names.
//!
//! A store numbers its debtors, accounts and obligations on its own, so the same number names
//! different records in two shards. At the portfolio level an id carries its shard: the
//! shard's index in the manifest in the top 16 bits, the store's own id in the low 48
//! (`portfolio_id = index << 48 | local_id`). Shard 0's ids are therefore the store's own.
//!
//! Commands and outcomes are rewritten through their serde JSON form: every integer (or array
//! of integers) under a key that names a debtor, an account or an obligation is mapped.
//! Event sequences, journal entries and outbox actions stay the store's own numbers.

use serde_json::Value;

/// The bits of a store's own id in a portfolio id.
pub const LOCAL_BITS: u32 = 48;

/// The largest store id a portfolio id can carry.
pub const LOCAL_ID_MAX: u64 = (1 << LOCAL_BITS) - 1;

/// The keys whose integer values are debtor, account or obligation ids, in the serde form of
/// commands and outcomes (`debtor_created` and `account_opened` are outcome variants).
const ID_KEYS: [&str; 11] = [
    "account",
    "accounts",
    "debtor",
    "debtor_created",
    "account_opened",
    "disputed",
    "obligation",
    "obligations",
    "directed_to",
    "installments",
    "late_fees_assessed",
];

/// The portfolio id of a store's id in a shard.
///
/// ```
/// assert_eq!(arrears_portfolio::portfolio_id(2, 7), Some((2 << 48) | 7));
/// assert_eq!(arrears_portfolio::split_id((2 << 48) | 7), (2, 7));
/// ```
pub fn portfolio_id(shard: usize, local_id: u64) -> Option<u64> {
    let shard = u64::try_from(shard).ok().filter(|shard| *shard < (1 << (64 - LOCAL_BITS)))?;
    (local_id <= LOCAL_ID_MAX).then_some((shard << LOCAL_BITS) | local_id)
}

/// The shard index and the store's own id of a portfolio id.
pub fn split_id(id: u64) -> (usize, u64) {
    // The shard part has 16 bits, so it always fits a usize of 32 bits or more.
    let shard = usize::try_from(id >> LOCAL_BITS).unwrap_or(usize::MAX);
    (shard, id & LOCAL_ID_MAX)
}

/// Calls `map` on every id in `value` (see the module documentation) and replaces it by what
/// `map` returns; stops at the first `Err`.
pub(crate) fn map_ids<E>(
    value: &mut Value,
    map: &mut impl FnMut(&str, u64) -> Result<u64, E>,
) -> Result<(), E> {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if ID_KEYS.contains(&key.as_str()) {
                    map_id_value(key, field, map)?;
                } else {
                    map_ids(field, map)?;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                map_ids(item, map)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Maps an id-named field: an integer, an array of integers, or a structure to descend into.
fn map_id_value<E>(
    key: &str,
    field: &mut Value,
    map: &mut impl FnMut(&str, u64) -> Result<u64, E>,
) -> Result<(), E> {
    match field {
        Value::Number(number) => {
            if let Some(id) = number.as_u64() {
                *field = Value::from(map(key, id)?);
            }
        }
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            for item in items {
                if let Some(id) = item.as_u64() {
                    *item = Value::from(map(key, id)?);
                }
            }
        }
        _ => map_ids(field, map)?,
    }
    Ok(())
}

/// The kind of record an id key names.
pub(crate) fn key_names_debtor(key: &str) -> bool {
    matches!(key, "debtor" | "debtor_created")
}
