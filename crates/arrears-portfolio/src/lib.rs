//! A portfolio of partitioned Arrears stores (issue 20, point 3).
//!
//! A lender past one store runs several, each a shard holding whole debtors. A [`Portfolio`]
//! opens the shards a [`Manifest`] lists and:
//!
//! - routes each command to its shard: a new debtor by its external reference (the explicit
//!   map `[debtors]`, else [`stable_hash`] modulo the number of shards), any other command by
//!   the shard carried in the portfolio ids it names ([`portfolio_id`]);
//! - runs the daily cycle of every shard in parallel, one thread per shard, and sums the
//!   reports;
//! - merges reports across shards (portfolio aging, roll rates): each is the sum of the
//!   shards' own;
//! - moves a debtor from one shard to another, crash-safely ([`Portfolio::move_debtor`]).
//!
//! It is its own crate so that the engine (`arrears`) stays one store: the portfolio only
//! uses the engine's public API. docs/SCALE.md has the design, the failure modes and when to
//! partition.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let manifest = dir.path().join("portfolio.toml");
//! std::fs::write(&manifest, "assignment = \"hash\"\n\
//!     [[shards]]\nname = \"east\"\npath = \"east.redb\"\n\
//!     [[shards]]\nname = \"west\"\npath = \"west.redb\"\n")?;
//! let portfolio = arrears_portfolio::Portfolio::init(&manifest)?;
//! let aging = portfolio.portfolio_aging("2026-06-30".parse()?)?;
//! assert!(aging.rows.is_empty());
//! # Ok(())
//! # }
//! ```

mod ids;
mod manifest;
mod merge;
mod moving;

use std::path::{Path, PathBuf};

use arrears::{Arrears, Command, Options, Outcome, Receipt};
use serde_json::Value;

pub use ids::{portfolio_id, split_id, LOCAL_BITS, LOCAL_ID_MAX};
pub use manifest::{stable_hash, Assignment, Manifest, MoveEntry, ShardEntry, SHARDS_MAX};
pub use merge::{PortfolioCycle, ShardError};
pub use moving::{MoveError, MoveOptions, MoveReport};

/// Shards whose cycles run at the same time, at most, by default.
pub const CYCLE_THREADS_MAX_DEFAULT: usize = 8;

/// A manifest that cannot be read, written or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read or written.
    #[error("manifest {path}: {source}")]
    Io {
        /// The manifest's path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not UTF-8, not TOML, or not of a manifest's shape (an unknown or missing
    /// field, a value of the wrong type).
    #[error("{path}:{line}: {field}: {message}")]
    Parse {
        /// The manifest's path.
        path: PathBuf,
        /// The 1-based line of the field (of its table for a missing one).
        line: usize,
        /// The field's path, such as `shards[1].name`; `(document)` when none applies.
        field: String,
        /// The parser's message.
        message: String,
    },
    /// The manifest contradicts itself (no shard, a name twice, a map naming no shard...).
    #[error("{path}:{line}: {field}: {message}")]
    Invalid {
        /// The manifest's path.
        path: PathBuf,
        /// The 1-based line of the field at fault.
        line: usize,
        /// The field's path, such as `shards[1].name` or `debtors.D-1001`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The manifest could not be written as TOML.
    #[error("manifest {path}: cannot be written as TOML: {message}")]
    Unwritable {
        /// The manifest's path.
        path: PathBuf,
        /// The serializer's message.
        message: String,
    },
}

/// Opening a portfolio failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortfolioError {
    /// The manifest.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A shard's store could not be opened or created.
    #[error("shard {shard} ({path}): {source}")]
    Open {
        /// The shard's name.
        shard: String,
        /// Its store's path.
        path: PathBuf,
        /// Why.
        source: Box<arrears::OpenError>,
    },
}

/// A command that could not be routed to one shard, or failed there.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The command names no debtor reference and no debtor, account or obligation id
    /// (a policy, a team, an outbox action): run it on each shard with [`Portfolio::shard`].
    #[error("{command}: names no debtor, account or obligation, so no shard; run it on a shard")]
    NoRoute {
        /// The command's name.
        command: String,
    },
    /// A new debtor without an external reference: the reference is what assigns a shard.
    #[error(
        "create_debtor: a debtor of a portfolio needs an external reference, to pick its shard"
    )]
    NoReference,
    /// The ids a command names belong to different shards.
    #[error("{command}: names ids of shards {first} and {second}; a command runs on one shard")]
    SeveralShards {
        /// The command's name.
        command: String,
        /// One shard.
        first: String,
        /// Another.
        second: String,
    },
    /// An id's shard part names no shard of the manifest.
    #[error("{command}: {key} {id} names shard index {index}, and the portfolio has {shards}")]
    UnknownShard {
        /// The command's name.
        command: String,
        /// The field.
        key: String,
        /// The portfolio id.
        id: u64,
        /// Its shard index.
        index: usize,
        /// Shards in the manifest.
        shards: usize,
    },
    /// The assignment is `map` and the debtor is not in `[debtors]`.
    #[error("debtor {reference}: not in the manifest's [debtors] map (assignment = \"map\")")]
    Unassigned {
        /// The debtor's external reference.
        reference: String,
    },
    /// The debtor is being moved; run the move again to finish it first.
    #[error("debtor {reference}: being moved from {from} to {to}; finish the move first")]
    Moving {
        /// The debtor's external reference.
        reference: String,
        /// The source shard.
        from: String,
        /// The target shard.
        to: String,
    },
    /// The ids name records of a debtor that now lives on another shard (ids from before a
    /// move): find the debtor again by its reference.
    #[error(
        "debtor {reference}: lives on shard {assigned}, not {named}; ids from before its move"
    )]
    Moved {
        /// The debtor's external reference.
        reference: String,
        /// The shard the ids name.
        named: String,
        /// The shard the manifest assigns.
        assigned: String,
    },
    /// A named record does not exist on its shard.
    #[error("{command}: {key} {id} does not exist on shard {shard}")]
    Unknown {
        /// The command's name.
        command: String,
        /// The field.
        key: String,
        /// The portfolio id.
        id: u64,
        /// The shard.
        shard: String,
    },
    /// A store id does not fit in a portfolio id ([`LOCAL_ID_MAX`]).
    #[error("shard {shard}: id {id} is past the portfolio id's 48 bits")]
    IdTooLarge {
        /// The shard.
        shard: String,
        /// The store's id.
        id: u64,
    },
    /// The shard refused the command as an error (nothing written).
    #[error("shard {shard}: {source}")]
    Command {
        /// The shard.
        shard: String,
        /// The engine's error.
        source: Box<arrears::CommandError>,
    },
    /// A read of a shard failed.
    #[error("shard {shard}: {source}")]
    Query {
        /// The shard.
        shard: String,
        /// The engine's error.
        source: Box<arrears::QueryError>,
    },
}

/// A command's receipt, with the shard that executed it. The outcome's debtor, account and
/// obligation ids are portfolio ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// The shard's index in the manifest.
    pub shard: usize,
    /// The shard's name.
    pub shard_name: String,
    /// The shard's receipt.
    pub receipt: Receipt,
}

/// Several stores (shards) under one manifest: see the crate documentation.
pub struct Portfolio {
    manifest_path: PathBuf,
    manifest: Manifest,
    shards: Vec<Arrears>,
}

impl Portfolio {
    /// Opens the portfolio a manifest describes, and every shard's store.
    ///
    /// # Errors
    ///
    /// [`PortfolioError`] if the manifest is bad or a store cannot be opened.
    pub fn open(manifest_path: impl AsRef<Path>) -> Result<Portfolio, PortfolioError> {
        Portfolio::open_with(manifest_path, false, &Options::default)
    }

    /// Opens the portfolio, creating the stores of the shards that have no file yet.
    ///
    /// # Errors
    ///
    /// As [`Portfolio::open`].
    pub fn init(manifest_path: impl AsRef<Path>) -> Result<Portfolio, PortfolioError> {
        Portfolio::open_with(manifest_path, true, &Options::default)
    }

    /// Opens the portfolio with each shard's store opened with the options `options` makes
    /// (a clock, a durability), creating the missing stores if `create`.
    ///
    /// # Errors
    ///
    /// As [`Portfolio::open`].
    pub fn open_with(
        manifest_path: impl AsRef<Path>,
        create: bool,
        options: &dyn Fn() -> Options,
    ) -> Result<Portfolio, PortfolioError> {
        let manifest_path = manifest_path.as_ref();
        let manifest = Manifest::read(manifest_path)?;
        let base = manifest_path.parent().unwrap_or(Path::new("."));
        let mut shards = Vec::with_capacity(manifest.shards.len());
        for shard in &manifest.shards {
            let path = base.join(&shard.path);
            let opened = if create && !path.exists() {
                Arrears::create_with(&path, options())
            } else {
                Arrears::open_with(&path, options())
            };
            let store = opened.map_err(|source| PortfolioError::Open {
                shard: shard.name.clone(),
                path: path.clone(),
                source: Box::new(source),
            })?;
            shards.push(store);
        }
        Ok(Portfolio { manifest_path: manifest_path.to_owned(), manifest, shards })
    }

    /// The manifest as last read or written.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The shards' stores, in manifest order.
    pub fn shards(&self) -> &[Arrears] {
        &self.shards
    }

    /// The shards' stores, to register plugins and built-ins on each
    /// (`Arrears::provide_builtin`) before running cycles.
    pub fn shards_mut(&mut self) -> &mut [Arrears] {
        &mut self.shards
    }

    /// The store of the shard at `index`, to run a command on one shard (a policy) or read it.
    pub fn shard(&self, index: usize) -> Option<&Arrears> {
        self.shards.get(index)
    }

    /// The shard a debtor's external reference is assigned to: the explicit map, else the
    /// hash (with `assignment = "hash"`).
    ///
    /// # Errors
    ///
    /// [`RouteError::Moving`] while the debtor is being moved; [`RouteError::Unassigned`]
    /// with `assignment = "map"` and no entry.
    pub fn shard_of(&self, reference: &str) -> Result<usize, RouteError> {
        if let Some(moving) = self.manifest.moving.get(reference) {
            return Err(RouteError::Moving {
                reference: reference.to_owned(),
                from: moving.from.clone(),
                to: moving.to.clone(),
            });
        }
        self.assigned_shard(reference)
    }

    /// [`Portfolio::shard_of`] without the check for a move under way.
    fn assigned_shard(&self, reference: &str) -> Result<usize, RouteError> {
        if let Some(index) =
            self.manifest.debtors.get(reference).and_then(|name| self.manifest.shard_index(name))
        {
            return Ok(index);
        }
        match self.manifest.assignment {
            Assignment::Hash => {
                let shards = self.shards.len() as u64;
                // The remainder is below the number of shards, a usize.
                Ok(usize::try_from(stable_hash(reference) % shards).unwrap_or(0))
            }
            Assignment::Map => Err(RouteError::Unassigned { reference: reference.to_owned() }),
        }
    }

    /// The portfolio id of the debtor with this external reference, on its assigned shard.
    ///
    /// # Errors
    ///
    /// As [`Portfolio::shard_of`], or a failed read.
    pub fn find_debtor(&self, reference: &str) -> Result<Option<u64>, RouteError> {
        let shard = self.shard_of(reference)?;
        let found = self.shards[shard]
            .find_debtor(reference)
            .map_err(|source| self.query_error(shard, source))?;
        found.map(|debtor| self.to_portfolio(shard, debtor.get())).transpose()
    }

    /// The portfolio id of the account with this external reference: account references are
    /// not routed, so every shard is asked; a closed account left behind by a move is skipped.
    ///
    /// # Errors
    ///
    /// A failed read; [`RouteError::Moving`] while the account's debtor is being moved.
    pub fn find_account(&self, reference: &str) -> Result<Option<u64>, RouteError> {
        for (shard, store) in self.shards.iter().enumerate() {
            let Some(account) =
                store.find_account(reference).map_err(|source| self.query_error(shard, source))?
            else {
                continue;
            };
            match self.check_assigned(shard, store, None, Some(account.get())) {
                Ok(()) => return self.to_portfolio(shard, account.get()).map(Some),
                // The closed copy a move left behind: the account lives on another shard.
                Err(RouteError::Moved { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(None)
    }

    /// Routes a command to its shard and executes it there under `key`. Ids in the command
    /// are portfolio ids; ids in the receipt's outcome are too.
    ///
    /// # Errors
    ///
    /// [`RouteError`]: the command names no shard, or several, or a debtor being moved or
    /// moved away; or the shard's engine failed (nothing written).
    pub fn execute(&self, key: &str, command: &Command) -> Result<Routed, RouteError> {
        let name = command.name().to_owned();
        let mut value = serde_json::to_value(command)
            .map_err(|_| RouteError::NoRoute { command: name.clone() })?;
        let shard = self.route(&name, command, &mut value)?;
        let local: Command = serde_json::from_value(value)
            .map_err(|_| RouteError::NoRoute { command: name.clone() })?;
        let store = &self.shards[shard];
        let receipt = store.execute(key, &local).map_err(|source| RouteError::Command {
            shard: self.manifest.shards[shard].name.clone(),
            source: Box::new(source),
        })?;
        let outcome = self.outcome_to_portfolio(shard, &receipt.outcome)?;
        Ok(Routed {
            shard,
            shard_name: self.manifest.shards[shard].name.clone(),
            receipt: Receipt { outcome, replayed: receipt.replayed },
        })
    }

    /// Picks the shard of a command and rewrites its ids (in `value`) to the shard's own.
    fn route(&self, name: &str, command: &Command, value: &mut Value) -> Result<usize, RouteError> {
        if let Command::CreateDebtor(new_debtor) = command {
            let reference = new_debtor.external_ref.as_deref();
            let reference = reference.ok_or(RouteError::NoReference)?;
            return self.shard_of(reference);
        }
        let mut shard: Option<usize> = None;
        let (mut debtor, mut account) = (None, None);
        ids::map_ids(value, &mut |key: &str, id: u64| -> Result<u64, RouteError> {
            let (index, local) = split_id(id);
            if index >= self.shards.len() {
                return Err(RouteError::UnknownShard {
                    command: name.to_owned(),
                    key: key.to_owned(),
                    id,
                    index,
                    shards: self.shards.len(),
                });
            }
            match shard {
                Some(first) if first != index => {
                    return Err(RouteError::SeveralShards {
                        command: name.to_owned(),
                        first: self.manifest.shards[first].name.clone(),
                        second: self.manifest.shards[index].name.clone(),
                    })
                }
                _ => shard = Some(index),
            }
            if ids::key_names_debtor(key) {
                debtor.get_or_insert(local);
            } else if matches!(key, "account" | "accounts") {
                account.get_or_insert(local);
            }
            Ok(local)
        })?;
        let shard = shard.ok_or_else(|| RouteError::NoRoute { command: name.to_owned() })?;
        self.check_assigned(shard, &self.shards[shard], debtor, account)?;
        Ok(shard)
    }

    /// Checks that the debtor a command names (directly, or through an account) is assigned
    /// to the shard the ids name, and is not being moved.
    fn check_assigned(
        &self,
        shard: usize,
        store: &Arrears,
        debtor: Option<u64>,
        account: Option<u64>,
    ) -> Result<(), RouteError> {
        let query = |source| self.query_error(shard, source);
        let debtor = match (debtor, account) {
            (Some(debtor), _) => Some(arrears::ids::DebtorId(debtor)),
            (None, Some(account)) => store
                .account(arrears::ids::AccountId(account))
                .map_err(query)?
                .map(|account| account.debtor),
            (None, None) => None,
        };
        let Some(debtor) = debtor else { return Ok(()) };
        let Some(record) = store.debtor(debtor).map_err(query)? else { return Ok(()) };
        // A debtor without a reference stays where it was created: only references move.
        let Some(reference) = record.external_ref else { return Ok(()) };
        let assigned = self.shard_of(&reference)?;
        if assigned != shard {
            return Err(RouteError::Moved {
                reference,
                named: self.manifest.shards[shard].name.clone(),
                assigned: self.manifest.shards[assigned].name.clone(),
            });
        }
        Ok(())
    }

    /// An outcome with its shard-local ids made portfolio ids.
    fn outcome_to_portfolio(&self, shard: usize, outcome: &Outcome) -> Result<Outcome, RouteError> {
        let mut value = serde_json::to_value(outcome).unwrap_or(Value::Null);
        ids::map_ids(&mut value, &mut |_key: &str, id: u64| self.to_portfolio(shard, id))?;
        // The outcome was serialized from the same type a line above; it reads back.
        Ok(serde_json::from_value(value).unwrap_or_else(|_| outcome.clone()))
    }

    fn to_portfolio(&self, shard: usize, id: u64) -> Result<u64, RouteError> {
        portfolio_id(shard, id).ok_or_else(|| RouteError::IdTooLarge {
            shard: self.manifest.shards[shard].name.clone(),
            id,
        })
    }

    fn query_error(&self, shard: usize, source: arrears::QueryError) -> RouteError {
        RouteError::Query {
            shard: self.manifest.shards[shard].name.clone(),
            source: Box::new(source),
        }
    }
}

#[cfg(test)]
mod tests;
