//! The manifest: a portfolio's shards, how debtors are assigned to them, and the moves under
//! way. A TOML file, rewritten atomically (a temporary file, synced, then renamed over it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use arrears::located_toml::{LocatedError, TomlSource};

use crate::ManifestError;

/// Shards in a portfolio, at most: a portfolio id keeps the shard's index in its top 16 bits.
pub const SHARDS_MAX: usize = 1 << 16;

/// How a debtor not in the explicit map is assigned to a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// By [`stable_hash`] of the debtor's external reference, modulo the number of shards.
    Hash,
    /// Only by the explicit map (`[debtors]`): a debtor not in it cannot be routed.
    Map,
}

/// One shard: a name and the path of its store (relative paths are relative to the
/// manifest's directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    /// The shard's name, unique in the portfolio (the relay's `--shard` too).
    pub name: String,
    /// The store file.
    pub path: PathBuf,
}

/// A move of a debtor between shards that has started and not finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveEntry {
    /// The shard the debtor leaves.
    pub from: String,
    /// The shard the debtor goes to.
    pub to: String,
    /// The date of the move: the source's handover adjustments and closures take effect on it.
    pub on: chrono::NaiveDate,
}

/// A portfolio's manifest, as its TOML file holds it.
///
/// ```toml
/// assignment = "hash"
///
/// [[shards]]
/// name = "east"
/// path = "east.redb"
///
/// [[shards]]
/// name = "west"
/// path = "west.redb"
///
/// [debtors]
/// "D-1001" = "west"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// How debtors absent from `debtors` are assigned.
    pub assignment: Assignment,
    /// The shards, in order: a shard's index is its place here.
    #[serde(default)]
    pub shards: Vec<ShardEntry>,
    /// The explicit map, debtor external reference to shard name; it wins over the hash
    /// (a moved debtor is pinned here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub debtors: BTreeMap<String, String>,
    /// Moves under way, by debtor external reference. A debtor here cannot be routed until
    /// the move is finished (`Portfolio::move_debtor` run again).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moving: BTreeMap<String, MoveEntry>,
}

/// The stable hash of an external reference: 64-bit FNV-1a of its UTF-8 bytes (offset basis
/// `0xcbf29ce484222325`, prime `0x100000001b3`). Fixed forever: changing it would send every
/// hashed debtor to another shard. Rust's `DefaultHasher` is not used because its output may
/// change between Rust releases.
///
/// ```
/// assert_eq!(arrears_portfolio::stable_hash(""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(arrears_portfolio::stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub fn stable_hash(reference: &str) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    reference.bytes().fold(OFFSET_BASIS, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

/// Where in a manifest's text a problem is, and what it is, before the path is attached.
struct Located {
    line: usize,
    field: String,
    reason: Reason,
}

/// A problem of a manifest's text: not TOML of a manifest's shape, or inconsistent.
enum Reason {
    Parse(String),
    Invalid(String),
}

impl LocatedError for Located {
    type Reason = Reason;

    fn located(_file: String, line: usize, field: String, reason: Reason) -> Located {
        Located { line, field, reason }
    }

    fn syntax(message: String) -> Reason {
        Reason::Parse(format!("invalid toml: {message}"))
    }

    fn schema(message: String) -> Reason {
        Reason::Parse(message.trim_end().to_owned())
    }
}

impl Located {
    fn error(self, path: &Path) -> ManifestError {
        let Located { line, field, reason } = self;
        let path = path.to_owned();
        match reason {
            Reason::Parse(message) => ManifestError::Parse { path, line, field, message },
            Reason::Invalid(message) => ManifestError::Invalid { path, line, field, message },
        }
    }
}

impl Manifest {
    /// Reads and checks a manifest file (UTF-8; a byte-order mark is skipped).
    ///
    /// # Errors
    ///
    /// [`ManifestError::Io`] if the file cannot be read; [`ManifestError::Parse`] if it is not
    /// UTF-8 or not TOML of a manifest's shape, and [`ManifestError::Invalid`] if it is
    /// inconsistent, both located by line and field.
    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let bytes = std::fs::read(path)
            .map_err(|source| ManifestError::Io { path: path.to_owned(), source })?;
        let text = String::from_utf8(bytes).map_err(|error| {
            let valid_len = error.utf8_error().valid_up_to();
            let before = &error.as_bytes()[..valid_len];
            ManifestError::Parse {
                path: path.to_owned(),
                line: before.iter().filter(|byte| **byte == b'\n').count() + 1,
                field: "(document)".to_owned(),
                message: format!(
                    "not valid UTF-8 at byte {valid_len} (from the start of the file); save the \
                     file as UTF-8 (it may be Latin-1 or Windows-1252)"
                ),
            }
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // The engine's loader of located TOML (policies, packs): the file name is the path's,
        // attached below.
        let source = TomlSource::new("", text);
        let manifest: Manifest =
            source.deserialize::<Manifest, Located>().map_err(|located| located.error(path))?;
        manifest.check().map_err(|(field, message)| {
            source.error_at_field::<Located>(&field, Reason::Invalid(message)).error(path)
        })?;
        Ok(manifest)
    }

    /// Writes the manifest atomically: to a temporary file beside it, synced, then renamed
    /// over it, and the directory synced, so a crash leaves the old or the new one, whole.
    ///
    /// # Errors
    ///
    /// [`ManifestError::Io`] if a step fails (the old manifest is then still in place).
    pub fn write(&self, path: &Path) -> Result<(), ManifestError> {
        let io = |source| ManifestError::Io { path: path.to_owned(), source };
        let text = toml::to_string(self).map_err(|error| ManifestError::Unwritable {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        let temporary = path.with_extension("toml.tmp");
        let mut file = std::fs::File::create(&temporary).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&temporary, path).map_err(io)?;
        let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty());
        std::fs::File::open(directory.unwrap_or(Path::new(".")))
            .and_then(|dir| dir.sync_all())
            .map_err(io)
    }

    /// The index of the shard named `name`.
    pub fn shard_index(&self, name: &str) -> Option<usize> {
        self.shards.iter().position(|shard| shard.name == name)
    }

    /// Checks the manifest's own consistency: at least one shard and at most [`SHARDS_MAX`],
    /// unique names, the map and the moves naming listed shards. The error is the field at
    /// fault (`shards[1].name`) and what is wrong.
    fn check(&self) -> Result<(), (String, String)> {
        if self.shards.is_empty() || self.shards.len() > SHARDS_MAX {
            let message =
                format!("{} shards: a portfolio has 1 to {SHARDS_MAX}", self.shards.len());
            return Err(("shards".to_owned(), message));
        }
        for (index, shard) in self.shards.iter().enumerate() {
            if self.shard_index(&shard.name) != Some(index) {
                let message = format!("shard name {:?} is listed twice", shard.name);
                return Err((format!("shards[{index}].name"), message));
            }
        }
        for (debtor, shard) in &self.debtors {
            if self.shard_index(shard).is_none() {
                let message = format!("names shard {shard:?}, not listed in [[shards]]");
                return Err((format!("debtors.{debtor}"), message));
            }
        }
        for (debtor, moving) in &self.moving {
            for (key, shard) in [("from", &moving.from), ("to", &moving.to)] {
                if self.shard_index(shard).is_none() {
                    let message = format!("names shard {shard:?}, not listed in [[shards]]");
                    return Err((format!("moving.{debtor}.{key}"), message));
                }
            }
        }
        Ok(())
    }
}
