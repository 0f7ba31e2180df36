//! `arrears bank rules show | set FILE`: the matching rules kept in the store, used by `bank
//! import` when it is given no `--rules` (docs/CASH.md, "Stored rules").

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};

use arrears::{Arrears, Command, CommandError, Outcome};
use arrears_bank::matching::MatchRules;

use crate::{collect, Status};

/// The rules in force while none are stored: the references that identify a payment by
/// themselves.
const DEFAULT_RULES: &str = "\
# The default rules (none stored): `arrears bank rules set FILE` replaces them.
[[rule]]
name = \"RF reference\"
kind = \"creditor_reference\"

[[rule]]
name = \"reference in remittance\"
kind = \"reference_in_remittance\"
";

/// The name stored rules are reported under in messages.
const STORED: &str = "stored bank rules";

/// `arrears bank rules`.
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Print the rules in force (TOML): the stored ones, else the default.
    Show,
    /// Check a rules file and store it; `bank import` uses it when given no `--rules`.
    Set(SetArgs),
}

/// `arrears bank rules set`.
#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    /// The rules file (TOML, docs/CASH.md "Matching rules").
    pub(crate) file: PathBuf,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears bank rules ...`.
pub(crate) fn run(
    books: &Arrears,
    command: &RulesCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    match command {
        RulesCommand::Show => {
            let text = books.bank_rules()?.unwrap_or_else(|| DEFAULT_RULES.to_owned());
            if json {
                let rules = MatchRules::from_toml(&text, STORED).map_err(|e| anyhow!("{e}"))?;
                crate::output::json(out, &rules)?;
            } else {
                write!(out, "{text}")?;
            }
            Ok(Status::Ok)
        }
        RulesCommand::Set(args) => set(books, args, json, out),
    }
}

fn set(books: &Arrears, args: &SetArgs, json: bool, out: &mut dyn Write) -> Result<Status> {
    let file = args.file.display().to_string();
    // Not UTF-8: the line and byte are named, as in every file the tool reads.
    let text = crate::input::read_text(&args.file).context("the rules file")?;
    // The engine keeps the text as given: every check is made here, before it is written.
    let rules = MatchRules::from_toml(&text, &file).map_err(|error| anyhow!("{error}"))?;
    let command = Command::SetBankRules { file: file.clone(), text };
    // The engine refuses an empty or oversized text by its field, `text`: that is the file.
    let receipt = collect::execute(books, &args.key, &command).map_err(|error| {
        let text_refused = matches!(
            error.downcast_ref::<CommandError>(),
            Some(CommandError::Invalid { field: "text", .. })
        );
        if text_refused {
            error.context(file.clone())
        } else {
            error
        }
    })?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    if let Outcome::BankRulesSet { .. } = receipt.outcome {
        let count = rules.rules().len();
        writeln!(out, "bank rules set from {file}: {count} rules{replayed}")?;
    }
    Ok(Status::Ok)
}

/// The rules an import uses: those of `--rules` when given, else the stored ones, else the
/// default.
pub(crate) fn in_force(books: &Arrears, path: Option<&PathBuf>) -> Result<MatchRules> {
    let (text, name) = match path {
        Some(path) => {
            let text = crate::input::read_text(path).context("the rules file")?;
            (text, path.display().to_string())
        }
        None => match books.bank_rules()? {
            Some(text) => (text, STORED.to_owned()),
            None => (DEFAULT_RULES.to_owned(), "default rules".to_owned()),
        },
    };
    MatchRules::from_toml(&text, &name).map_err(|error| anyhow!("{error}"))
}
