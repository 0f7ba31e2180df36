//! The store's plugin registry: the plugins a policy may name, kept in the store so that every
//! process that runs the cycle (the CLI, an application, a simulation) resolves the same names
//! to the same plugins.
//!
//! An entry maps a name to a built-in plugin (linked into the application, by its canonical
//! name; the application provides its built-ins with `Arrears::provide_builtin`) or to a
//! library (an absolute path and a required SHA-256 pin), with a configuration (the bytes of
//! the configuration file, stored so that the cycle does not depend on a file that moves).
//!
//! A library runs isolated, in a runner process (see `plugin_host::IsolatedInstance`), unless
//! its entry says [`Isolation::InProcess`] (a trusted library); built-ins always run in the
//! host's process. Every call has the deadline of the engine's `IsolationOptions` (in-process
//! under a watchdog).
//!
//! Resolution is lazy and cached per process: an entry is loaded and instantiated the first
//! time a cycle, a simulation or a policy check needs it, and again only if the stored entry
//! changes. The rows are storage's own type (`arrears_store::PluginEntryRow`); this module
//! converts them to and from the public [`PluginEntry`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrears_core::strategy::{ContactStrategy, Scorer};
use arrears_plugin_sdk::abi;
use arrears_store::{PluginEntryRow, PluginSourceRow, StorageError};

use crate::plugin_host::{
    sha256_hex, IsolatedInstance, IsolationOptions, LoadedPlugin, PluginInstance, PluginLoadError,
    PluginOptions, PluginScorer, PluginStrategy, StaticPlugin,
};

/// The longest registry entry name, in bytes.
pub const PLUGIN_NAME_LEN_MAX: usize = 64;

/// The largest configuration a registry entry stores, in bytes (the whole entry is one stored
/// record, at most 16 MiB).
pub const PLUGIN_CONFIG_BYTES_MAX: usize = 4 * 1024 * 1024;

/// One entry of the store's plugin registry: the name policy arms use, where the plugin comes
/// from, and its configuration.
///
/// # Example
///
/// ```
/// use arrears::PluginEntry;
///
/// let entry = PluginEntry::builtin("scorecard", "scorecard").with_config(b"score,1\n".to_vec());
/// assert_eq!(entry.name, "scorecard");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PluginEntry {
    /// The name policy arms use (`scorer = "..."`, `strategy = "..."`).
    pub name: String,
    /// Where the plugin comes from.
    pub source: PluginSource,
    /// The configuration passed to the plugin's `init` (UTF-8 text; empty for none).
    pub config: Vec<u8>,
    /// Where a library runs: [`Isolation::Isolated`] (the default) or in the host's process
    /// (trusted). Built-ins always run in-process, whatever this says.
    pub isolation: Isolation,
}

/// Where a registry entry's library runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// In a runner process: a crash, an exit, a hang or a runaway allocation ends the runner,
    /// not the host (the default for libraries).
    #[default]
    Isolated,
    /// In the host's process: the fastest, for a trusted library; a crash there is the host's.
    InProcess,
}

impl Isolation {
    /// `isolated` or `in_process`, as `plugin list` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Isolated => "isolated",
            Isolation::InProcess => "in_process",
        }
    }
}

/// Where a registry entry's plugin comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginSource {
    /// A plugin linked into the application, by its canonical name (see
    /// `Arrears::provide_builtin`).
    Builtin {
        /// The canonical built-in name.
        name: String,
    },
    /// A plugin library.
    Library {
        /// The library's absolute path, used as given (never searched for).
        path: PathBuf,
        /// The SHA-256 the library's bytes must have (checked on the bytes loaded).
        sha256: [u8; 32],
    },
}

impl PluginEntry {
    /// An entry `name` for the built-in plugin `builtin`, without configuration.
    pub fn builtin(name: &str, builtin: &str) -> PluginEntry {
        PluginEntry {
            name: name.to_owned(),
            source: PluginSource::Builtin { name: builtin.to_owned() },
            config: Vec::new(),
            isolation: Isolation::InProcess,
        }
    }

    /// An entry `name` for the library at `path` (absolute) pinned to `sha256`, without
    /// configuration.
    pub fn library(name: &str, path: &Path, sha256: [u8; 32]) -> PluginEntry {
        PluginEntry {
            name: name.to_owned(),
            source: PluginSource::Library { path: path.to_owned(), sha256 },
            config: Vec::new(),
            isolation: Isolation::Isolated,
        }
    }

    /// The same entry running in the host's process: a library the operator trusts (no
    /// effect on a built-in, which always does).
    #[must_use]
    pub fn trusted(self) -> PluginEntry {
        PluginEntry { isolation: Isolation::InProcess, ..self }
    }

    /// Where the entry's plugin runs: built-ins always in-process.
    pub fn runs(&self) -> Isolation {
        match self.source {
            PluginSource::Builtin { .. } => Isolation::InProcess,
            PluginSource::Library { .. } => self.isolation,
        }
    }

    /// The same entry with `config` as its configuration.
    #[must_use]
    pub fn with_config(self, config: Vec<u8>) -> PluginEntry {
        PluginEntry { config, ..self }
    }

    /// The stored row, after checking the entry's shape.
    pub(crate) fn to_row(&self) -> Result<PluginEntryRow, PluginRegistryError> {
        check_name(&self.name)?;
        let name = || self.name.clone();
        let source = match &self.source {
            PluginSource::Builtin { name } => PluginSourceRow::Builtin { name: name.clone() },
            PluginSource::Library { path, sha256 } => {
                if !path.is_absolute() {
                    return Err(PluginRegistryError::PathNotAbsolute {
                        name: name(),
                        path: path.clone(),
                    });
                }
                let Some(text) = path.to_str() else {
                    return Err(PluginRegistryError::PathNotUtf8 {
                        name: name(),
                        path: path.clone(),
                    });
                };
                PluginSourceRow::Library { path: text.to_owned(), sha256: *sha256 }
            }
        };
        if PLUGIN_CONFIG_BYTES_MAX < self.config.len() {
            return Err(PluginRegistryError::ConfigTooLarge {
                name: name(),
                len_bytes: self.config.len(),
                len_bytes_max: PLUGIN_CONFIG_BYTES_MAX,
            });
        }
        if std::str::from_utf8(&self.config).is_err() {
            return Err(PluginRegistryError::ConfigNotUtf8 { name: name() });
        }
        Ok(PluginEntryRow {
            name: self.name.clone(),
            source,
            config: self.config.clone(),
            in_process: self.runs() == Isolation::InProcess,
        })
    }

    /// The public form of a stored row.
    pub(crate) fn from_row(row: PluginEntryRow) -> PluginEntry {
        let source = match row.source {
            PluginSourceRow::Builtin { name } => PluginSource::Builtin { name },
            PluginSourceRow::Library { path, sha256 } => {
                PluginSource::Library { path: PathBuf::from(path), sha256 }
            }
        };
        let isolation = if row.in_process { Isolation::InProcess } else { Isolation::Isolated };
        let entry = PluginEntry { name: row.name, source, config: row.config, isolation };
        PluginEntry { isolation: entry.runs(), ..entry }
    }
}

impl std::fmt::Display for PluginSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginSource::Builtin { name } => write!(f, "built-in {name}"),
            PluginSource::Library { path, sha256 } => {
                write!(f, "library {} sha256 {}", path.display(), sha256_hex(sha256))
            }
        }
    }
}

/// Why a registry entry could not be added, removed, listed or resolved. Nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginRegistryError {
    /// The entry's name is empty, too long or has characters other than ASCII letters,
    /// digits, `_` and `-`.
    #[error("invalid plugin name {name:?}: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The name is one of the engine's own components (`rules`, `ladder`, `ladder_evening`),
    /// which policy arms always resolve to.
    #[error("plugin name {name:?} is the engine's built-in {kind}; choose another name")]
    Reserved {
        /// The name.
        name: String,
        /// `scorer` or `strategy`.
        kind: &'static str,
    },
    /// A policy arm's `scorer_fallback` or `strategy_fallback` names a plugin library: a
    /// fallback runs when a plugin failed, so it must be built in (the engine's own, one the
    /// application registered, or a built-in registry entry).
    #[error("plugin {name:?} is a library; a fallback must be a built-in component")]
    FallbackNotBuiltin {
        /// The entry's name.
        name: String,
    },
    /// An entry of that name exists.
    #[error("a plugin named {name:?} is already registered; remove it first")]
    AlreadyRegistered {
        /// The name.
        name: String,
    },
    /// No entry of that name.
    #[error("no plugin named {name:?} is registered")]
    NotRegistered {
        /// The name.
        name: String,
    },
    /// The stored policy names the entry, so it cannot be removed.
    #[error("plugin {name:?} is named by the policy's arm {arm:?}; set a policy without it first")]
    NamedByPolicy {
        /// The name.
        name: String,
        /// The first arm that names it.
        arm: String,
    },
    /// The entry names a built-in plugin the application did not provide.
    #[error("plugin {name:?}: {builtin:?} is not a built-in plugin here (built-ins: {known})")]
    UnknownBuiltin {
        /// The entry's name.
        name: String,
        /// The built-in it names.
        builtin: String,
        /// The built-ins provided, comma-separated.
        known: String,
    },
    /// A library path that is not absolute.
    #[error("plugin {name:?}: library path {path:?} is not absolute")]
    PathNotAbsolute {
        /// The entry's name.
        name: String,
        /// The path.
        path: PathBuf,
    },
    /// A library path that is not UTF-8 (the registry stores paths as UTF-8).
    #[error("plugin {name:?}: library path {path:?} is not UTF-8")]
    PathNotUtf8 {
        /// The entry's name.
        name: String,
        /// The path.
        path: PathBuf,
    },
    /// The configuration is not UTF-8 text.
    #[error("plugin {name:?}: the configuration is not UTF-8 text")]
    ConfigNotUtf8 {
        /// The entry's name.
        name: String,
    },
    /// The configuration is larger than [`PLUGIN_CONFIG_BYTES_MAX`].
    #[error("plugin {name:?}: the configuration is {len_bytes} bytes, at most {len_bytes_max}")]
    ConfigTooLarge {
        /// The entry's name.
        name: String,
        /// Its size.
        len_bytes: usize,
        /// The limit.
        len_bytes_max: usize,
    },
    /// The entry's plugin does not load or refuses its configuration (a pin mismatch, a file
    /// that is not a plugin, an `init` failure, neither a scorer nor a strategy).
    #[error("plugin {name:?} does not load")]
    Load {
        /// The entry's name.
        name: String,
        /// The cause.
        #[source]
        source: PluginLoadError,
    },
    /// The stored policy does not load (needed to know which entries it names).
    #[error("the stored policy does not load")]
    Policy(#[source] Box<arrears_core::policy::PolicyError>),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Checks an entry name: 1 to [`PLUGIN_NAME_LEN_MAX`] bytes of ASCII letters, digits, `_`
/// and `-`.
fn check_name(name: &str) -> Result<(), PluginRegistryError> {
    let invalid = |reason| Err(PluginRegistryError::InvalidName { name: name.to_owned(), reason });
    if name.is_empty() {
        return invalid("must not be empty");
    }
    if PLUGIN_NAME_LEN_MAX < name.len() {
        return invalid("longer than 64 bytes");
    }
    if !name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-') {
        return invalid("only ASCII letters, digits, '_' and '-' are allowed");
    }
    Ok(())
}

/// SHA-256 of a row's stored bytes, as the audit records of registry changes hold it.
pub(crate) fn row_digest(row: &PluginEntryRow) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(arrears_store::codec::encode(arrears_store::RecordKind::PluginEntry, row))
        .into()
}

/// A resolved entry: the plugin's adapters as the engine's components.
#[derive(Clone)]
pub(crate) struct Resolved {
    pub(crate) scorer: Option<Arc<dyn Scorer>>,
    pub(crate) strategy: Option<Arc<dyn ContactStrategy>>,
}

/// The built-ins the application provided, the entries resolved so far in this process, and
/// how plugins run.
#[derive(Default)]
pub(crate) struct Registry {
    builtins: BTreeMap<String, LoadedPlugin>,
    isolation: IsolationOptions,
    /// Each resolved entry with the row it was resolved from: a changed row resolves again.
    resolved: Mutex<BTreeMap<String, (PluginEntryRow, Resolved)>>,
}

impl Registry {
    /// Provides a built-in plugin under its canonical name.
    pub(crate) fn provide_builtin(
        &mut self,
        name: &str,
        plugin: StaticPlugin,
    ) -> Result<(), PluginLoadError> {
        self.builtins.insert(name.to_owned(), LoadedPlugin::from_static(plugin)?);
        Ok(())
    }

    /// The canonical names of the built-ins provided, in order.
    pub(crate) fn builtin_names(&self) -> Vec<String> {
        self.builtins.keys().cloned().collect()
    }

    /// A registry running plugins with `isolation`.
    pub(crate) fn new(isolation: IsolationOptions) -> Registry {
        Registry { isolation, ..Registry::default() }
    }

    /// The entry's plugin, loaded and instantiated (cached per process and row).
    pub(crate) fn resolve(&self, row: &PluginEntryRow) -> Result<Resolved, PluginRegistryError> {
        let mut resolved = self.resolved.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached, components)) = resolved.get(&row.name) {
            if cached == row {
                return Ok(components.clone());
            }
        }
        let Ok(config) = std::str::from_utf8(&row.config) else {
            return Err(PluginRegistryError::ConfigNotUtf8 { name: row.name.clone() });
        };
        let components = match &row.source {
            PluginSourceRow::Library { path, sha256 } if !row.in_process => {
                self.resolve_isolated(&row.name, Path::new(path), *sha256, config)?
            }
            _ => self.resolve_in_process(row, config)?,
        };
        resolved.insert(row.name.clone(), (row.clone(), components.clone()));
        Ok(components)
    }

    /// A built-in or a trusted library, in the host's process (a trusted library's calls
    /// under the watchdog).
    fn resolve_in_process(
        &self,
        row: &PluginEntryRow,
        config: &str,
    ) -> Result<Resolved, PluginRegistryError> {
        let load = |source| PluginRegistryError::Load { name: row.name.clone(), source };
        let plugin = match &row.source {
            PluginSourceRow::Builtin { name } => match self.builtins.get(name) {
                Some(plugin) => plugin.clone(),
                None => {
                    return Err(PluginRegistryError::UnknownBuiltin {
                        name: row.name.clone(),
                        builtin: name.clone(),
                        known: self.builtin_names().join(", "),
                    })
                }
            },
            PluginSourceRow::Library { path, sha256 } => {
                let options = PluginOptions { sha256_pin: Some(*sha256) };
                LoadedPlugin::load(Path::new(path), &options).map_err(load)?
            }
        };
        // A built-in is the application's own code, trusted like the engine: no watchdog
        // thread (it costs a hand-off per call, and the cycle calls a strategy per debtor).
        // A trusted library's `init` and `destroy` have the start's deadline, its calls the
        // call deadline.
        let (start_deadline, deadline) = match &row.source {
            PluginSourceRow::Builtin { .. } => (None, None),
            PluginSourceRow::Library { .. } => {
                (self.isolation.start_deadline(), self.isolation.deadline())
            }
        };
        let instance = plugin.instantiate_within(config, start_deadline).map_err(load)?;
        let instance: Arc<PluginInstance> = Arc::new(instance);
        let capabilities = plugin.capabilities();
        let mut components = Resolved { scorer: None, strategy: None };
        if capabilities & abi::CAPABILITY_SCORER != 0 {
            let scorer = PluginScorer::new(&row.name, instance.clone()).map_err(load)?;
            components.scorer = Some(Arc::new(scorer.with_deadline(deadline)));
        }
        if capabilities & abi::CAPABILITY_CONTACT_STRATEGY != 0 {
            let strategy = PluginStrategy::new(&row.name, instance).map_err(load)?;
            components.strategy = Some(Arc::new(strategy.with_deadline(deadline)));
        }
        neither(components, plugin.name()).map_err(load)
    }

    /// A library in a runner process.
    fn resolve_isolated(
        &self,
        name: &str,
        path: &Path,
        sha256: [u8; 32],
        config: &str,
    ) -> Result<Resolved, PluginRegistryError> {
        let load = |source| PluginRegistryError::Load { name: name.to_owned(), source };
        let instance =
            Arc::new(IsolatedInstance::start(path, sha256, config, &self.isolation).map_err(load)?);
        let capabilities = instance.capabilities();
        let mut components = Resolved { scorer: None, strategy: None };
        if capabilities & abi::CAPABILITY_SCORER != 0 {
            let scorer = PluginScorer::isolated(name, instance.clone()).map_err(load)?;
            components.scorer = Some(Arc::new(scorer));
        }
        if capabilities & abi::CAPABILITY_CONTACT_STRATEGY != 0 {
            let strategy = PluginStrategy::isolated(name, instance.clone()).map_err(load)?;
            components.strategy = Some(Arc::new(strategy));
        }
        neither(components, instance.name()).map_err(load)
    }
}

/// The components, or an error if the plugin is neither a scorer nor a strategy.
fn neither(components: Resolved, plugin: &str) -> Result<Resolved, PluginLoadError> {
    if components.scorer.is_none() && components.strategy.is_none() {
        return Err(PluginLoadError::MissingCapability {
            plugin: plugin.to_owned(),
            capability: "scorer or contact strategy",
        });
    }
    Ok(components)
}
