//! What every command and the cycle work with: the command context (`Env`), the policy cache,
//! the registered components, and the validators shared by commands.
//!
//! In the engine's module order (docs/ARCHITECTURE.md) it comes after the leaves: it imports
//! `error` and `registry`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use arrears_core::ids::{AccountId, EventSeq};
use arrears_core::model::{Account, Debtor, Jurisdiction, TEXT_LEN_MAX};
use arrears_core::money::{Currency, Money};
use arrears_core::policy::Policy;
use arrears_core::strategy::{ContactStrategy, Scorer};
use arrears_store::Reads;
use arrears_store::{AccountRecord, WriteTxn};

use crate::error::{CommandError, CycleError};
use crate::registry::{PluginRegistryError, Registry};

/// What a command needs from its surroundings.
pub(crate) struct Env<'a> {
    pub(crate) txn: &'a mut WriteTxn,
    pub(crate) now: DateTime<Utc>,
    pub(crate) key: &'a str,
    pub(crate) policy: &'a Policy,
    /// The ledger row of the event a ledger command recorded, `(account, event, log
    /// sequence)`, when its `Posted` outcome is what `audit::posted_from_row` rebuilds from
    /// the row: the command's idempotency record then points at the row (format 13).
    pub(crate) rebuilt_from: Option<(AccountId, EventSeq, u64)>,
}

/// The config key under which the policy's TOML text is stored.
pub(crate) const POLICY_CONFIG: &str = "policy";

/// The policy in force, parsed once per distinct text.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    parsed: std::sync::Mutex<Option<(Vec<u8>, std::sync::Arc<Policy>)>>,
}

impl PolicyCache {
    /// The policy stored in the transaction's view of the store, or the built-in default.
    pub(crate) fn get(&self, txn: &WriteTxn) -> Result<std::sync::Arc<Policy>, CommandError> {
        self.for_text(txn.config(POLICY_CONFIG)?).map_err(CommandError::Policy)
    }

    /// The policy for a stored text (`None`: the built-in default).
    pub(crate) fn for_text(
        &self,
        text: Option<Vec<u8>>,
    ) -> Result<std::sync::Arc<Policy>, Box<arrears_core::policy::PolicyError>> {
        let Some(text) = text else {
            // Parsed once per process: parsing it for every command dominated batch costs.
            static DEFAULT: std::sync::OnceLock<std::sync::Arc<Policy>> =
                std::sync::OnceLock::new();
            return Ok(DEFAULT
                .get_or_init(|| std::sync::Arc::new(Policy::default_policy()))
                .clone());
        };
        let mut parsed = self.parsed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached, policy)) = parsed.as_ref() {
            if *cached == text {
                return Ok(policy.clone());
            }
        }
        let source = String::from_utf8_lossy(&text).into_owned();
        let policy = Policy::from_stored_toml(&source, "stored policy").map_err(Box::new)?;
        let policy = std::sync::Arc::new(policy);
        *parsed = Some((text, policy.clone()));
        Ok(policy)
    }
}

/// Scorers and strategies by name, as policy arms name them.
#[derive(Clone)]
pub(crate) struct Components {
    pub(crate) scorers: BTreeMap<String, Arc<dyn Scorer>>,
    pub(crate) strategies: BTreeMap<String, Arc<dyn ContactStrategy>>,
    /// The integrator's payment link hook, if one was registered.
    pub(crate) payment_links: Option<Arc<dyn crate::messages::PaymentLinks>>,
}

impl Default for Components {
    /// The built-in components: the `rules` scorer and the `ladder` and `evening` ladders.
    fn default() -> Components {
        let mut scorers: BTreeMap<String, Arc<dyn Scorer>> = BTreeMap::new();
        scorers.insert("rules".to_owned(), Arc::new(arrears_core::strategy::RulesScorer));
        let mut strategies: BTreeMap<String, Arc<dyn ContactStrategy>> = BTreeMap::new();
        for ladder in [
            arrears_core::strategy::ChannelLadder::default(),
            arrears_core::strategy::ChannelLadder::evening(),
        ] {
            strategies.insert(ladder.name.to_owned(), Arc::new(ladder));
        }
        Components { scorers, strategies, payment_links: None }
    }
}

/// The scorer an arm uses when it names none.
pub(crate) const DEFAULT_SCORER: &str = "rules";
/// The contact strategy an arm uses when it names none.
pub(crate) const DEFAULT_STRATEGY: &str = "ladder";

/// A name a policy arm uses that resolves to nothing usable.
#[derive(Debug)]
pub(crate) struct Unresolved {
    pub(crate) arm: String,
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    /// `None`: the name is neither registered in this process nor in the store's registry.
    pub(crate) source: Option<Box<PluginRegistryError>>,
}

impl From<Unresolved> for CommandError {
    fn from(unresolved: Unresolved) -> CommandError {
        let Unresolved { arm, kind, name, source } = unresolved;
        match source {
            None => CommandError::UnknownComponent { arm, kind, name },
            Some(source) => CommandError::Component { arm, kind, name, source },
        }
    }
}

impl From<Unresolved> for CycleError {
    fn from(unresolved: Unresolved) -> CycleError {
        let Unresolved { arm, kind, name, source } = unresolved;
        match source {
            None => CycleError::UnknownComponent { arm, kind, name },
            Some(source) => CycleError::Component { arm, kind, name, source },
        }
    }
}

/// The components `policy`'s arms name, resolved in precedence order: the components of this
/// process (the engine's own `rules`, `ladder`, `ladder_evening`, and what the application
/// registered with `register_scorer`, `register_strategy` or `register_plugin`), then the
/// store's plugin registry. Returns the in-process components with the registry's entries
/// the policy names added; an arm naming something neither has, or a registry entry that does
/// not load or lacks the capability the arm uses it for, is [`Unresolved`].
pub(crate) fn components_for(
    components: &Components,
    registry: &Registry,
    policy: &Policy,
    reads: &impl Reads,
) -> Result<Components, Unresolved> {
    let mut resolved = components.clone();
    for arm in policy.arms() {
        for (key, name) in arm.components() {
            let name = match (key, name) {
                (_, Some(name)) => name,
                ("scorer", None) => DEFAULT_SCORER,
                ("strategy", None) => DEFAULT_STRATEGY,
                _ => continue,
            };
            let unresolved = |source| Unresolved {
                arm: arm.name.clone(),
                kind: key,
                name: name.to_owned(),
                source,
            };
            resolve_one(&mut resolved, registry, reads, key, name).map_err(unresolved)?;
        }
    }
    Ok(resolved)
}

/// Adds the component `name` that an arm uses under policy key `key` to `resolved`, from the
/// store's registry, unless this process has it; a fallback must be built in. `Err` holds
/// why it does not resolve (`None`: nothing of that name).
fn resolve_one(
    resolved: &mut Components,
    registry: &Registry,
    reads: &impl Reads,
    key: &'static str,
    name: &str,
) -> Result<(), Option<Box<PluginRegistryError>>> {
    let scorer = key.starts_with("scorer");
    let present = match scorer {
        true => resolved.scorers.contains_key(name),
        false => resolved.strategies.contains_key(name),
    };
    if present {
        return Ok(());
    }
    let row = reads
        .plugin_entry(name)
        .map_err(|error| Some(Box::new(PluginRegistryError::Storage(error))))?
        .ok_or(None)?;
    if key.ends_with("fallback")
        && !matches!(row.source, arrears_store::PluginSourceRow::Builtin { .. })
    {
        return Err(Some(Box::new(PluginRegistryError::FallbackNotBuiltin {
            name: name.to_owned(),
        })));
    }
    let plugin = registry.resolve(&row).map_err(|error| Some(Box::new(error)))?;
    let missing = |capability| {
        Some(Box::new(PluginRegistryError::Load {
            name: name.to_owned(),
            source: crate::plugin_host::PluginLoadError::MissingCapability {
                plugin: name.to_owned(),
                capability,
            },
        }))
    };
    if scorer {
        let scorer = plugin.scorer.ok_or_else(|| missing("scorer"))?;
        resolved.scorers.insert(name.to_owned(), scorer);
    } else {
        let strategy = plugin.strategy.ok_or_else(|| missing("contact strategy"))?;
        resolved.strategies.insert(name.to_owned(), strategy);
    }
    Ok(())
}

/// The account `id`, or [`CommandError::UnknownAccount`].
pub(crate) fn load_account(txn: &WriteTxn, id: AccountId) -> Result<Account, CommandError> {
    txn.account(id)?.ok_or(CommandError::UnknownAccount(id))
}

/// The account `id` with the debtor facts its record keeps ([`AccountRecord`]), or
/// [`CommandError::UnknownAccount`]: shared with the transaction's cache, not copied.
pub(crate) fn load_account_record(
    txn: &WriteTxn,
    id: AccountId,
) -> Result<Arc<AccountRecord>, CommandError> {
    txn.shared_account_record(id)?.ok_or(CommandError::UnknownAccount(id))
}

/// The jurisdiction of `account`'s debtor, the one debtor fact the state machine's gate reads:
/// `kept`, as the account's record keeps it ([`AccountRecord`]), or the debtor's own when the
/// record keeps none (written before account record version 3; a store migrated to format 6
/// keeps none only for an account whose debtor does not exist, which is then the error).
pub(crate) fn jurisdiction_of<'a>(
    txn: &WriteTxn,
    account: &Account,
    kept: Option<&'a Jurisdiction>,
) -> Result<Cow<'a, Jurisdiction>, CommandError> {
    match kept {
        Some(jurisdiction) => Ok(Cow::Borrowed(jurisdiction)),
        None => Ok(Cow::Owned(load_debtor(txn, account)?.jurisdiction)),
    }
}

/// The debtor of `account`, or [`CommandError::UnknownDebtor`].
pub(crate) fn load_debtor(txn: &WriteTxn, account: &Account) -> Result<Debtor, CommandError> {
    txn.debtor(account.debtor)?.ok_or(CommandError::UnknownDebtor(account.debtor))
}

/// The debtor `id`, or [`CommandError::UnknownDebtor`].
pub(crate) fn load_debtor_id(
    txn: &WriteTxn,
    id: arrears_core::ids::DebtorId,
) -> Result<Debtor, CommandError> {
    txn.debtor(id)?.ok_or(CommandError::UnknownDebtor(id))
}

/// `amount` in minor units of `currency`: an amount in another currency, or finer than the
/// currency's minor unit, is an error naming `field`.
pub(crate) fn minor(
    field: &'static str,
    amount: &Money,
    currency: Currency,
) -> Result<i64, CommandError> {
    if amount.currency() != currency {
        return Err(CommandError::Money {
            field,
            source: arrears_core::money::MoneyError::CurrencyMismatch {
                left: amount.currency(),
                right: currency,
            },
        });
    }
    amount.to_minor().map_err(|source| CommandError::Money { field, source })
}

/// Checks a text field: not empty if `required`, at most [`TEXT_LEN_MAX`] bytes, no NUL.
pub(crate) fn text(field: &'static str, value: &str, required: bool) -> Result<(), CommandError> {
    if required && value.trim().is_empty() {
        return Err(CommandError::Invalid { field, reason: "must not be empty".to_owned() });
    }
    if value.len() > TEXT_LEN_MAX {
        return Err(CommandError::Invalid {
            field,
            reason: format!("is {} bytes, at most {TEXT_LEN_MAX} allowed", value.len()),
        });
    }
    no_nul(field, value)
}

/// Refuses a text with the character U+0000 (NUL): PostgreSQL's text and jsonb cannot hold it,
/// so the relay could never apply the command, and C strings (plugins, the CLI's output) end
/// at it.
pub(crate) fn no_nul(field: &'static str, value: &str) -> Result<(), CommandError> {
    match value.find('\0') {
        None => Ok(()),
        Some(at) => Err(nul_at(field, at)),
    }
}

#[cold]
fn nul_at(field: &'static str, at: usize) -> CommandError {
    let reason = format!("has the character U+0000 (NUL) at byte {at}, which no text may hold");
    CommandError::Invalid { field, reason }
}

/// Checks a debtor's name, jurisdiction, language and time zones, as `CreateDebtor` and
/// `UpdateDebtor` require them.
pub(crate) fn check_debtor_profile(
    name: &str,
    jurisdiction: &arrears_core::model::Jurisdiction,
    language: &str,
    time_zones: &[String],
) -> Result<(), CommandError> {
    use arrears_core::model::TIME_ZONES_MAX;
    text("name", name, true)?;
    text("language", language, false)?;
    arrears_core::model::locale::check_locale(&jurisdiction.country, language).map_err(
        |error| CommandError::Invalid { field: error.field(), reason: error.to_string() },
    )?;
    if time_zones.is_empty() || time_zones.len() > TIME_ZONES_MAX {
        return Err(CommandError::Invalid {
            field: "time_zones",
            reason: format!(
                "1 to {TIME_ZONES_MAX} IANA time zones required, got {}",
                time_zones.len()
            ),
        });
    }
    for zone in time_zones {
        if zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(CommandError::Invalid {
                field: "time_zones",
                reason: format!("{zone:?} is not an IANA time zone such as \"America/Chicago\""),
            });
        }
    }
    Ok(())
}

/// [`crate::command::Rejection::RefusedToTrade`] if the debtor's standing refuses new business.
pub(crate) fn refused_to_trade(
    txn: &WriteTxn,
    debtor: arrears_core::ids::DebtorId,
) -> Result<Option<crate::command::Rejection>, CommandError> {
    let refused = txn.credit_standing(debtor)?.is_some_and(|standing| standing.refuse_to_trade);
    Ok(refused.then_some(crate::command::Rejection::RefusedToTrade { debtor }))
}
