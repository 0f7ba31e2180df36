//! `arrears check contact`: asks the compliance guardrails whether an action (a contact, a
//! credit report, a suit) is allowed at an instant and, if not, when it next would be.
//!
//! Without `--debtor` everything comes from the command line and the files it names (packs,
//! zones, debts, a history file, flags) and no store is opened. With `--debtor` the debtor's
//! zones, contact points, flags, contact history and pending outbox actions, and the packs of
//! its jurisdiction, come from the store, as the cycle assembles them; the command line adds
//! to them (or replaces them: `--pack`, `--tz`).

use std::fmt;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use arrears::compliance::{
    self, ActionKind, ChannelGroup, Decision, Direction, Flags, HistoryEntry, Outcome, Pack,
    Proposal, Recipient,
};
use arrears::ids::AccountId;
use arrears::model::{Account, ContactPointKind, Debtor};
use arrears::Arrears;

use crate::args::{parse_instant, CheckContactArgs, CheckFlag};
use crate::input::{LineErrors, RowError, ERRORS_MAX};
use crate::output;
use crate::refs;
use crate::Status;

/// The person of a storeless check: any number does, as long as the history uses the same.
const STORELESS_PERSON: u64 = 0;

/// The fields of a history line.
const HISTORY_FIELDS: [&str; 9] = [
    "at",
    "channel",
    "direction",
    "outcome",
    "debt",
    "debts",
    "recipient",
    "address_kind",
    "consented",
];

const CHANNEL_NAMES: [(&str, ChannelGroup); 9] = [
    ("call", ChannelGroup::Call),
    ("phone", ChannelGroup::Call),
    ("sms", ChannelGroup::Text),
    ("text", ChannelGroup::Text),
    ("messaging", ChannelGroup::Text),
    ("email", ChannelGroup::Email),
    ("letter", ChannelGroup::Letter),
    ("postal", ChannelGroup::Letter),
    ("visit", ChannelGroup::Visit),
];

const DIRECTION_NAMES: [(&str, Direction); 2] =
    [("outbound", Direction::Outbound), ("inbound", Direction::Inbound)];

const OUTCOME_NAMES: [(&str, Outcome); 8] = [
    ("not_connected", Outcome::NotConnected),
    ("no_answer", Outcome::NoAnswer),
    ("voicemail", Outcome::Voicemail),
    ("wrong_party", Outcome::WrongParty),
    ("conversation", Outcome::Conversation),
    ("delivered", Outcome::Delivered),
    ("bounced", Outcome::Bounced),
    ("pending", Outcome::Pending),
];

const RECIPIENT_NAMES: [(&str, Recipient); 3] = [
    ("consumer", Recipient::Consumer),
    ("exempt_party", Recipient::ExemptParty),
    ("third_party", Recipient::ThirdParty),
];

const ADDRESS_KIND_NAMES: [(&str, ContactPointKind); 3] = [
    ("personal", ContactPointKind::Personal),
    ("work", ContactPointKind::Work),
    ("employer_provided", ContactPointKind::EmployerProvided),
];

/// Everything one evaluation needs, owned.
struct Check {
    packs: Vec<Pack>,
    person: u64,
    debts: Vec<String>,
    time_zones: Vec<String>,
    address: Option<String>,
    address_kind: ContactPointKind,
    address_consent: bool,
    history: Vec<HistoryEntry>,
    flags: Flags,
}

/// Runs `check contact`: on the store `books` if `--debtor` names a stored debtor (the caller
/// opens it only then), on the command line alone otherwise.
pub(crate) fn contact(
    books: Option<&Arrears>,
    args: &CheckContactArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let pack_files = args.pack_files.iter().map(|path| load_pack(path)).collect::<Result<_>>()?;
    let check = match (books, &args.debtor) {
        (Some(books), Some(debtor)) => stored(books, debtor, args, pack_files)?,
        (None, None) => storeless(args, pack_files)?,
        _ => bail!("internal: a store is opened if and only if --debtor is given"),
    };
    let proposal = Proposal {
        person: check.person,
        debts: &check.debts,
        action: ActionKind::from(args.action),
        channel: ChannelGroup::from(args.channel),
        recipient: Recipient::from(args.recipient),
        address: check.address.as_deref(),
        address_kind: check.address_kind,
        address_consent: check.address_consent,
        at: args.at,
        time_zones: &check.time_zones,
    };
    let decision = compliance::evaluate(&check.packs, &proposal, &check.history, &check.flags);
    print(&decision, json, out)?;
    // The answer is the output, allowed or blocked.
    Ok(Status::Ok)
}

/// A pack file, loaded and validated by the engine (errors are `file:line: field: reason`).
fn load_pack(path: &Path) -> Result<Pack> {
    let text = crate::input::read_text(path).context("--pack-file")?;
    Ok(Pack::from_toml(&text, &path.display().to_string())?)
}

/// The packs checked: the files first, in the order given, then `base` less the packs the
/// files replace (same id) and less repeats.
fn packs(files: Vec<Pack>, base: Vec<Pack>) -> Vec<Pack> {
    let mut packs = files;
    for pack in base {
        if !packs.iter().any(|known| known.id() == pack.id()) {
            packs.push(pack);
        }
    }
    packs
}

fn storeless(args: &CheckContactArgs, pack_files: Vec<Pack>) -> Result<Check> {
    let mut debts: Vec<String> = Vec::new();
    for debt in &args.debts {
        let debt = debt.trim();
        if debt.is_empty() {
            bail!("--debt: must not be empty");
        }
        if !debts.iter().any(|known| known == debt) {
            debts.push(debt.to_owned());
        }
    }
    let history = match &args.history {
        Some(path) => {
            read_history(path, STORELESS_PERSON, &|debt: &str| Ok(debt.trim().to_owned()))?
        }
        None => Vec::new(),
    };
    Ok(Check {
        packs: packs(pack_files, args.packs.clone()),
        person: STORELESS_PERSON,
        debts,
        time_zones: args.time_zones.clone(),
        address: args.address.clone(),
        address_kind: args.address_kind.map_or(ContactPointKind::Personal, Into::into),
        address_consent: args.address_consent,
        history,
        flags: given_flags(args, Flags::default()),
    })
}

/// The check of a stored debtor: the history and flags from `Arrears::guardrail_inputs` (the
/// same the cycle uses), then what the command line adds.
fn stored(
    books: &Arrears,
    debtor_text: &str,
    args: &CheckContactArgs,
    pack_files: Vec<Pack>,
) -> Result<Check> {
    let debtor = refs::debtor(books, debtor_text, "--debtor")?;
    let mut accounts: Vec<Account> = Vec::new();
    for id in books.accounts_of(debtor.id)? {
        accounts.push(books.account(id)?.ok_or_else(|| anyhow!("no account {id}"))?);
    }
    let resolve = |text: &str| debt_of(&debtor, &accounts, text);
    // The debts: those named, or every account of the debtor; ids as the engine writes them.
    let mut debt_ids: Vec<AccountId> = Vec::new();
    for text in &args.debts {
        let id = resolve(text).map_err(|reason| anyhow!("--debt: {reason}"))?;
        if !debt_ids.contains(&id) {
            debt_ids.push(id);
        }
    }
    if debt_ids.is_empty() {
        debt_ids = accounts.iter().map(|account| account.id).collect();
    }
    let base_packs = if args.packs.is_empty() {
        compliance::packs_for(&debtor.jurisdiction, books.policy()?.creditor())
    } else {
        args.packs.clone()
    };
    let time_zones = if args.time_zones.is_empty() {
        debtor.time_zones.clone()
    } else {
        args.time_zones.clone()
    };
    let group = ChannelGroup::from(args.channel);
    // The contact point: the one on the channel with the address given, or the debtor's first
    // usable one on the channel (the first one on it if none is usable). The consent is the
    // one given on the channel: a consent to texts at a number is no consent to calls to it.
    let point = match &args.address {
        Some(address) => debtor
            .contact_points
            .iter()
            .find(|point| ChannelGroup::from(point.channel) == group && point.address == *address),
        None => debtor
            .contact_points
            .iter()
            .filter(|point| ChannelGroup::from(point.channel) == group)
            .min_by_key(|point| !arrears::strategy::usable(point, point.channel)),
    };
    let address = args.address.clone().or_else(|| point.map(|point| point.address.clone()));
    // The kind is the address's, on any channel (a work number is a work number for texts
    // too), when no point on the channel has it.
    let address_kind = match args.address_kind {
        Some(kind) => kind.into(),
        None => point
            .or_else(|| {
                let address = address.as_deref()?;
                debtor.contact_points.iter().find(|point| point.address == address)
            })
            .map_or(ContactPointKind::Personal, |point| point.kind),
    };
    let address_consent = args.address_consent || point.is_some_and(|point| point.consent);

    // The history and flags exactly as the cycle assembles them.
    let inputs = books.guardrail_inputs(debtor.id, &debt_ids)?;
    let mut history = inputs.history;
    if let Some(path) = &args.history {
        let resolve_text = |text: &str| resolve(text).map(|id| id.to_string());
        history.extend(read_history(path, debtor.id.0, &resolve_text)?);
    }
    let flags = given_flags(args, inputs.flags);
    Ok(Check {
        packs: packs(pack_files, base_packs),
        person: debtor.id.0,
        debts: debt_ids.iter().map(ToString::to_string).collect(),
        time_zones,
        address,
        address_kind,
        address_consent,
        history,
        flags,
    })
}

/// The account of `debtor` named by `text`: its external reference or its id (`A4`).
fn debt_of(debtor: &Debtor, accounts: &[Account], text: &str) -> Result<AccountId, String> {
    let text = text.trim();
    accounts
        .iter()
        .find(|account| account.external_ref.as_deref() == Some(text))
        .or_else(|| accounts.iter().find(|account| account.id.to_string() == text))
        .map(|account| account.id)
        .ok_or_else(|| {
            let known: Vec<String> = accounts.iter().map(refs::describe_account).collect();
            let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            format!(
                "{text:?} is not an account of debtor {} (its accounts: {known})",
                refs::describe_debtor(debtor)
            )
        })
}

/// `flags` with what `--flag`, `--opted-out` and `--opted-out-channel` add.
fn given_flags(args: &CheckContactArgs, mut flags: Flags) -> Flags {
    for flag in &args.flags {
        match flag {
            CheckFlag::Cease => flags.cease = true,
            CheckFlag::Dispute => flags.dispute = true,
            CheckFlag::Attorney => flags.attorney = true,
            CheckFlag::Bankruptcy => flags.bankruptcy = true,
            CheckFlag::Consent => flags.call_consent_given_at = Some(args.at),
            CheckFlag::Deceased => flags.deceased = true,
            CheckFlag::TimeBarred => flags.time_barred = true,
            CheckFlag::LitigationServed => flags.litigation_served = true,
            CheckFlag::WorkContactProhibited => flags.work_contact_prohibited = true,
            CheckFlag::ForbearanceAssessed => flags.forbearance_assessed = true,
        }
    }
    flags.opted_out_addresses.extend(args.opted_out.iter().cloned());
    for channel in &args.opted_out_channels {
        let group = ChannelGroup::from(*channel);
        if !flags.opted_out_channels.contains(&group) {
            flags.opted_out_channels.push(group);
        }
    }
    flags
}

// ---------------------------------------------------------------------------------------------
// The history file
// ---------------------------------------------------------------------------------------------

/// The errors of a history file: `file:line: field: reason`.
#[derive(Debug)]
struct HistoryErrors {
    file: String,
    errors: Vec<RowError>,
    /// Errors found beyond [`ERRORS_MAX`], not listed.
    more: usize,
}

impl fmt::Display for HistoryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, error: &RowError| -> fmt::Result {
            write!(f, "{}:{}: ", self.file, error.line)?;
            if let Some(column) = &error.column {
                write!(f, "{column}: ")?;
            }
            write!(f, "{}", error.reason)
        };
        if let ([error], 0) = (self.errors.as_slice(), self.more) {
            return line(f, error);
        }
        write!(f, "{}: {} errors", self.file, self.errors.len() + self.more)?;
        for error in &self.errors {
            writeln!(f)?;
            line(f, error)?;
        }
        if self.more > 0 {
            write!(f, "\n{}: ... and {} more errors", self.file, self.more)?;
        }
        Ok(())
    }
}

impl std::error::Error for HistoryErrors {}

/// Reads a JSON Lines history file (blank lines skipped), every entry about `person`, its
/// debts named through `resolve`. Every bad line is an error; none is skipped.
fn read_history(
    path: &Path,
    person: u64,
    resolve: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Vec<HistoryEntry>> {
    let text = crate::input::read_text(path).context("--history")?;
    let mut entries = Vec::new();
    let mut errors: Vec<RowError> = Vec::new();
    for (index, line_text) in text.lines().enumerate() {
        if line_text.trim().is_empty() {
            continue;
        }
        let line = u64::try_from(index + 1).unwrap_or(u64::MAX);
        match history_entry(line_text, person, resolve) {
            Ok(entry) => entries.push(entry),
            Err(found) => errors.extend(
                found
                    .into_iter()
                    .map(|(field, reason)| RowError::new(line, field.as_deref(), reason)),
            ),
        }
    }
    if errors.is_empty() {
        return Ok(entries);
    }
    let more = errors.len().saturating_sub(ERRORS_MAX);
    errors.truncate(ERRORS_MAX);
    Err(HistoryErrors { file: path.display().to_string(), errors, more }.into())
}

/// One history line.
fn history_entry(
    text: &str,
    person: u64,
    resolve: &dyn Fn(&str) -> Result<String, String>,
) -> Result<HistoryEntry, LineErrors> {
    let object = crate::input::json_object(text)?;
    let mut errors: LineErrors = Vec::new();
    for key in object.keys() {
        if !HISTORY_FIELDS.contains(&key.as_str()) {
            let reason = format!("unknown field (known: {})", HISTORY_FIELDS.join(", "));
            errors.push((Some(key.clone()), reason));
        }
    }
    let mut fields = LineFields { object: &object, errors };
    let at = fields.required("at", parse_instant);
    let channel = fields.required("channel", |text| named(text, &CHANNEL_NAMES));
    let direction = fields.required("direction", |text| named(text, &DIRECTION_NAMES));
    let outcome = fields.required("outcome", |text| named(text, &OUTCOME_NAMES));
    let recipient =
        fields.optional("recipient", |text| named(text, &RECIPIENT_NAMES), Recipient::Consumer);
    let address_kind = fields.optional(
        "address_kind",
        |text| named(text, &ADDRESS_KIND_NAMES),
        ContactPointKind::Personal,
    );
    let consented = fields.consented();
    let debts = fields.debts(resolve);
    match (at, channel, direction, outcome, recipient, address_kind, consented, debts) {
        (
            Some(at),
            Some(channel),
            Some(direction),
            Some(outcome),
            Some(recipient),
            Some(address_kind),
            Some(consented),
            Some(debts),
        ) if fields.errors.is_empty() => Ok(HistoryEntry {
            at,
            person,
            debts,
            channel,
            recipient,
            address_kind,
            direction,
            consented,
            outcome,
        }),
        _ => Err(fields.errors),
    }
}

/// The fields of one history line, with the errors found so far.
struct LineFields<'a> {
    object: &'a Map<String, Value>,
    errors: LineErrors,
}

impl<'a> LineFields<'a> {
    /// The field's value; `null` is absent.
    fn get(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|value| !value.is_null())
    }

    /// A string field parsed by `parse`; `None` (and an error) if missing or bad.
    fn required<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let Some(value) = self.get(field) else {
            self.errors.push((Some(field.to_owned()), "required".to_owned()));
            return None;
        };
        self.parse(field, value, parse)
    }

    /// An optional string field parsed by `parse`, `default` if absent; `None` if bad.
    fn optional<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
        default: T,
    ) -> Option<T> {
        match self.get(field) {
            None => Some(default),
            Some(value) => self.parse(field, value, parse),
        }
    }

    fn parse<T>(
        &mut self,
        field: &'static str,
        value: &Value,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let result = match value {
            Value::String(text) => parse(text),
            other => Err(format!("must be a string, not {other}")),
        };
        result.map_err(|reason| self.errors.push((Some(field.to_owned()), reason))).ok()
    }

    /// `consented`: a boolean, false if absent.
    fn consented(&mut self) -> Option<bool> {
        match self.get("consented") {
            None => Some(false),
            Some(Value::Bool(consented)) => Some(*consented),
            Some(other) => {
                self.errors.push((
                    Some("consented".to_owned()),
                    format!("must be true or false, not {other}"),
                ));
                None
            }
        }
    }

    /// `debt` (one) or `debts` (a non-empty array), each named through `resolve`.
    fn debts(&mut self, resolve: &dyn Fn(&str) -> Result<String, String>) -> Option<Vec<String>> {
        let (field, texts): (&'static str, Vec<&Value>) =
            match (self.get("debt"), self.get("debts")) {
                (Some(_), Some(_)) => {
                    self.errors.push((
                        Some("debts".to_owned()),
                        "give debt or debts, not both".to_owned(),
                    ));
                    return None;
                }
                (Some(debt), None) => ("debt", vec![debt]),
                (None, Some(Value::Array(debts))) if !debts.is_empty() => {
                    ("debts", debts.iter().collect())
                }
                (None, Some(Value::Array(_))) => {
                    self.errors
                        .push((Some("debts".to_owned()), "must name at least one debt".to_owned()));
                    return None;
                }
                (None, Some(other)) => {
                    self.errors.push((
                        Some("debts".to_owned()),
                        format!("must be an array of strings, not {other}"),
                    ));
                    return None;
                }
                (None, None) => {
                    self.errors.push((
                        Some("debt".to_owned()),
                        "required (or debts, an array)".to_owned(),
                    ));
                    return None;
                }
            };
        let mut debts: Vec<String> = Vec::new();
        for value in texts {
            let debt = match value {
                Value::String(text) if text.trim().is_empty() => {
                    Err("a debt must not be empty".to_owned())
                }
                Value::String(text) => resolve(text),
                other => Err(format!("a debt must be a string, not {other}")),
            };
            match debt {
                Ok(debt) if debts.contains(&debt) => {}
                Ok(debt) => debts.push(debt),
                Err(reason) => {
                    self.errors.push((Some(field.to_owned()), reason));
                    return None;
                }
            }
        }
        Some(debts)
    }
}

/// The value named `text` (case and `-` or `_` do not matter) in `names`.
fn named<T: Copy>(text: &str, names: &[(&str, T)]) -> Result<T, String> {
    let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
    names.iter().find(|(name, _)| *name == wanted).map(|(_, value)| *value).ok_or_else(|| {
        let known: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
        format!("{text:?} is not one of {}", known.join(", "))
    })
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// The decision as printed with `--json`.
#[derive(Serialize)]
struct DecisionJson<'a> {
    allowed: bool,
    rule: Option<&'a str>,
    reason: &'a str,
    next_allowed_at: Option<String>,
    also_blocked_by: &'a [String],
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn print(decision: &Decision, json: bool, out: &mut dyn Write) -> Result<()> {
    if json {
        return output::json(
            out,
            &DecisionJson {
                allowed: decision.allowed,
                rule: decision.rule.as_deref(),
                reason: &decision.reason,
                next_allowed_at: decision.next_allowed_at.map(instant),
                also_blocked_by: &decision.also_blocked_by,
            },
        );
    }
    if decision.allowed {
        writeln!(out, "allowed")?;
        return Ok(());
    }
    let rule = decision.rule.as_deref().unwrap_or("an unnamed rule");
    let next = match decision.next_allowed_at {
        Some(at) => format!("next allowed at {}", instant(at)),
        None => format!(
            "no next allowed instant within {} days as things stand",
            compliance::HORIZON_DAYS
        ),
    };
    write!(out, "blocked by {rule}: {}; {next}", decision.reason)?;
    if !decision.also_blocked_by.is_empty() {
        write!(out, "; also blocked by {}", decision.also_blocked_by.join(", "))?;
    }
    writeln!(out)?;
    Ok(())
}
