//! `arrears contact set | remove | inbound` and `arrears debtor update`: a debtor's contact
//! points, inbound contacts and profile after import. An opt-out, a consent withdrawn or a
//! removed address takes effect at once: the pending outbox actions to that address are
//! cancelled, and the command lists them.

use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use arrears::model::{Attorney, ContactChannel, ContactPoint, ContactPointKind, Jurisdiction};
use arrears::{Arrears, CallConsent, Command, DebtorChanges, Outcome, RestrictionChanges};

use crate::collect;
use crate::refs;
use crate::Status;

/// `arrears contact ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ContactCommand {
    /// Add a contact point to a debtor, or change the one with the same channel and address
    /// (kind, consent, opt-out); pending actions to an address that can no longer be used are
    /// cancelled.
    Set(SetArgs),
    /// Remove a debtor's contact point; pending actions to it are cancelled.
    Remove(RemoveArgs),
    /// Record a contact the debtor made (a call or a message received).
    Inbound(InboundArgs),
    /// Schedule a callback the debtor asked for: an outbox action at that instant.
    Callback(CallbackArgs),
}

/// `arrears contact callback`.
#[derive(Debug, Args)]
pub(crate) struct CallbackArgs {
    #[command(flatten)]
    pub(crate) address: Address,
    /// The accounts it is about (external references or ids, comma-separated).
    #[arg(long = "account", value_name = "REF_OR_ID", value_delimiter = ',', required = true)]
    pub(crate) accounts: Vec<String>,
    /// When the debtor asked to be contacted.
    #[arg(long, value_name = "RFC3339", value_parser = crate::args::parse_instant)]
    pub(crate) at: chrono::DateTime<chrono::Utc>,
}

/// `arrears contact inbound`.
#[derive(Debug, Args)]
pub(crate) struct InboundArgs {
    #[command(flatten)]
    pub(crate) address: Address,
    /// The accounts it was about (external references or ids, comma-separated).
    #[arg(long = "account", value_name = "REF_OR_ID", value_delimiter = ',', required = true)]
    pub(crate) accounts: Vec<String>,
    /// When.
    #[arg(long, value_name = "RFC3339", value_parser = crate::args::parse_instant)]
    pub(crate) at: chrono::DateTime<chrono::Utc>,
    /// What happened: right_party, promise_captured, dispute_raised, payment_taken, ...
    #[arg(long, value_parser = crate::args::parse_outcome)]
    pub(crate) outcome: arrears::case::ContactOutcome,
}

/// `arrears debtor ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum DebtorCommand {
    /// Change a debtor's name, jurisdiction, language or time zones (the flags given).
    Update(UpdateArgs),
    /// Change what restricts contacting a debtor (the flags given; the others stay).
    Restrict(RestrictArgs),
    /// Add a note to a debtor (and one of its accounts).
    Note(NoteArgs),
    /// Record the attorney who represents a debtor, with contact details (sets the attorney
    /// flag; the debtor's pending actions are cancelled).
    Attorney(AttorneyArgs),
    /// Record a warning signal about a business debtor reported from outside the books
    /// (management_resignation, staff_turnover, asset_sales, late_filing), or a complaint
    /// about any debtor (complaint).
    Signal(SignalArgs),
}

/// `arrears debtor signal`.
#[derive(Debug, Args)]
pub(crate) struct SignalArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The signal: management_resignation, staff_turnover, asset_sales or late_filing.
    #[arg(long, value_parser = parse_signal)]
    pub(crate) signal: arrears::policy::Signal,
    /// The day it was observed.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) on: chrono::NaiveDate,
    /// The day it stops counting (exclusive); default: until reported otherwise.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) expires: Option<chrono::NaiveDate>,
    /// Who reported it (`bureau:acme`).
    #[arg(long)]
    pub(crate) source: String,
    /// What shows it (a filing reference, a link).
    #[arg(long, default_value = "")]
    pub(crate) evidence: String,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// A signal by its name in files (`late_filing`).
pub(crate) fn parse_signal(text: &str) -> Result<arrears::policy::Signal, String> {
    let text = text.trim();
    arrears::policy::Signal::ALL.into_iter().find(|signal| signal.name() == text).ok_or_else(|| {
        let names: Vec<&str> =
            arrears::model::ReportedSignal::REPORTABLE.iter().map(|signal| signal.name()).collect();
        format!("{text:?} is not a signal; reportable: {}", names.join(", "))
    })
}

/// `arrears debtor attorney`.
#[derive(Debug, Args)]
pub(crate) struct AttorneyArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The attorney's name.
    #[arg(long)]
    pub(crate) name: String,
    /// The law firm.
    #[arg(long)]
    pub(crate) firm: Option<String>,
    /// A telephone number.
    #[arg(long)]
    pub(crate) phone: Option<String>,
    /// An e-mail address.
    #[arg(long)]
    pub(crate) email: Option<String>,
    /// A postal address.
    #[arg(long = "address", value_name = "ADDRESS")]
    pub(crate) postal_address: Option<String>,
    /// The day the representation became known.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) since: chrono::NaiveDate,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears debtor note`.
#[derive(Debug, Args)]
pub(crate) struct NoteArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The account it is about (external reference or id), if one.
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) account: Option<String>,
    /// Who writes it.
    #[arg(long)]
    pub(crate) author: String,
    /// The note.
    #[arg(long)]
    pub(crate) text: String,
    /// When it was written (default: now, the --recorded-at instant if given).
    #[arg(long, value_name = "RFC3339", value_parser = crate::args::parse_instant)]
    pub(crate) at: Option<chrono::DateTime<chrono::Utc>>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears debtor restrict`.
#[derive(Debug, Args)]
pub(crate) struct RestrictArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// Contact at work is prohibited (the employer forbids it, or the debtor asked).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) work_contact_prohibited: Option<bool>,
    /// The debtor was served in a collection suit.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub(crate) litigation_served: Option<bool>,
    /// When the debtor gave prior consent, directly, to be called (`none` to clear it).
    #[arg(long, value_name = "RFC3339|none", value_parser = parse_consent_at)]
    pub(crate) call_consent_at: Option<ConsentAt>,
    /// The channels the debtor asked not to be used at all, comma-separated (`none` for no
    /// channel); replaces the list.
    #[arg(long, value_name = "CHANNELS|none", value_parser = parse_channel_list)]
    pub(crate) opted_out_channels: Option<ChannelList>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `--opted-out-channels`: channels, or none.
#[derive(Debug, Clone)]
pub(crate) struct ChannelList(Vec<ContactChannel>);

fn parse_channel_list(text: &str) -> Result<ChannelList, String> {
    channel_list(text).map(ChannelList)
}

/// `--call-consent-at`: an instant, or `none`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConsentAt(Option<chrono::DateTime<chrono::Utc>>);

fn parse_consent_at(text: &str) -> Result<ConsentAt, String> {
    if text.trim() == "none" {
        return Ok(ConsentAt(None));
    }
    crate::args::parse_instant(text).map(|at| ConsentAt(Some(at)))
}

/// `arrears debtor update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The display name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The country (ISO 3166-1 alpha-2); with `--region` or without one.
    #[arg(long, value_name = "CODE")]
    pub(crate) country: Option<String>,
    /// The region (ISO 3166-2 subdivision or a city code a compliance pack knows); needs
    /// `--country`.
    #[arg(long, value_name = "CODE", requires = "country")]
    pub(crate) region: Option<String>,
    /// The language (BCP 47).
    #[arg(long, value_name = "TAG")]
    pub(crate) language: Option<String>,
    /// The candidate IANA time zones, comma-separated.
    #[arg(long, value_name = "ZONES", value_delimiter = ',', value_parser = crate::args::parse_time_zone)]
    pub(crate) time_zones: Option<Vec<String>>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// The channel and address of a contact point.
#[derive(Debug, Args)]
pub(crate) struct Address {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The channel.
    #[arg(long, value_enum)]
    pub(crate) channel: ChannelArg,
    /// The phone number, e-mail address, postal address or handle.
    #[arg(long)]
    pub(crate) address: String,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears contact set`.
#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    #[command(flatten)]
    pub(crate) address: Address,
    /// Whose address it is.
    #[arg(long, value_enum, default_value_t = KindArg::Personal)]
    pub(crate) kind: KindArg,
    /// Whether the debtor consented to be contacted there on this channel (SMS and messaging
    /// need it).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, default_value_t = false)]
    pub(crate) consent: bool,
    /// Whether the debtor opted out of this address.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, default_value_t = false)]
    pub(crate) opted_out: bool,
    /// When the debtor gave (or withdrew) the consent: kept with `--consent-source` in the
    /// debtor's consent records.
    #[arg(long, value_name = "RFC3339", value_parser = crate::args::parse_instant, requires = "consent_source")]
    pub(crate) consent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How the consent was given (`web form`, `recorded call`...).
    #[arg(long, value_name = "TEXT", requires = "consent_at")]
    pub(crate) consent_source: Option<String>,
}

/// `arrears contact remove`.
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    #[command(flatten)]
    pub(crate) address: Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ChannelArg {
    Phone,
    Sms,
    Email,
    Postal,
    Messaging,
}

impl From<ChannelArg> for ContactChannel {
    fn from(channel: ChannelArg) -> ContactChannel {
        match channel {
            ChannelArg::Phone => ContactChannel::Phone,
            ChannelArg::Sms => ContactChannel::Sms,
            ChannelArg::Email => ContactChannel::Email,
            ChannelArg::Postal => ContactChannel::Postal,
            ChannelArg::Messaging => ContactChannel::Messaging,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// The debtor's own.
    Personal,
    /// The debtor's at work.
    Work,
    /// Provided by the debtor's employer.
    EmployerProvided,
}

impl From<KindArg> for ContactPointKind {
    fn from(kind: KindArg) -> ContactPointKind {
        match kind {
            KindArg::Personal => ContactPointKind::Personal,
            KindArg::Work => ContactPointKind::Work,
            KindArg::EmployerProvided => ContactPointKind::EmployerProvided,
        }
    }
}

/// The accounts `--account` names.
fn accounts(books: &Arrears, texts: &[String]) -> Result<Vec<arrears::ids::AccountId>> {
    texts.iter().map(|text| Ok(refs::account(books, text, "--account")?.id)).collect()
}

/// `arrears contact set | remove`.
pub(crate) fn run(
    books: &Arrears,
    horizon: &crate::horizon::Horizon,
    command: &ContactCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (address, engine_command, verb) = match command {
        ContactCommand::Set(args) => {
            let debtor = refs::debtor(books, &args.address.debtor, "--debtor")?;
            let channel = ContactChannel::from(args.address.channel);
            // As a debtors import checks its `email` column: the engine takes any address.
            if channel == ContactChannel::Email && !args.address.address.contains('@') {
                anyhow::bail!("--address: {:?} is not an e-mail address", args.address.address);
            }
            let point = ContactPoint {
                channel,
                address: args.address.address.clone(),
                kind: args.kind.into(),
                consent: args.consent,
                opted_out: args.opted_out,
            };
            let evidence = match (args.consent_at, &args.consent_source) {
                (Some(at), Some(source)) => {
                    Some(arrears::ConsentEvidence { at, source: source.clone() })
                }
                _ => None,
            };
            (&args.address, Command::SetContactPoint { debtor: debtor.id, point, evidence }, "set")
        }
        ContactCommand::Remove(args) => {
            let debtor = refs::debtor(books, &args.address.debtor, "--debtor")?;
            let command = Command::RemoveContactPoint {
                debtor: debtor.id,
                channel: args.address.channel.into(),
                address: args.address.address.clone(),
            };
            (&args.address, command, "removed")
        }
        ContactCommand::Inbound(args) => {
            let debtor = refs::debtor(books, &args.address.debtor, "--debtor")?;
            let accounts = accounts(books, &args.accounts)?;
            let command = Command::RecordInbound {
                debtor: debtor.id,
                accounts,
                channel: args.address.channel.into(),
                address: args.address.address.clone(),
                at: args.at,
                outcome: args.outcome,
            };
            (&args.address, command, "recorded as an inbound contact")
        }
        ContactCommand::Callback(args) => {
            let debtor = refs::debtor(books, &args.address.debtor, "--debtor")?;
            let accounts = accounts(books, &args.accounts)?;
            let command = Command::RequestCallback {
                debtor: debtor.id,
                accounts,
                channel: args.address.channel.into(),
                address: args.address.address.clone(),
                at: args.at,
            };
            (&args.address, command, "callback scheduled")
        }
    };
    // An inbound contact dated past the horizon is a typo, not a contact.
    if let Some((_, reason)) = horizon.command_refusal(&engine_command, crate::horizon::flag) {
        anyhow::bail!("{reason}");
    }
    let receipt = collect::execute(books, &address.key, &engine_command)?;
    if json {
        return collect::print_json(&address.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    if let Outcome::Scheduled { action } = &receipt.outcome {
        let channel = ContactChannel::from(address.channel).name();
        writeln!(
            out,
            "callback scheduled{replayed}: action {action}, {channel} {}",
            address.address
        )?;
    }
    if let Outcome::DebtorUpdated { debtor, cancelled } = &receipt.outcome {
        let channel = ContactChannel::from(address.channel).name();
        writeln!(out, "debtor {debtor}: {channel} {} {verb}{replayed}", address.address)?;
        let inbound = matches!(command, ContactCommand::Inbound(_));
        if !inbound && cancelled.is_empty() {
            writeln!(out, "  no pending action cancelled")?;
        } else if !inbound {
            let ids: Vec<String> = cancelled.iter().map(u64::to_string).collect();
            writeln!(out, "  cancelled pending actions: {}", ids.join(", "))?;
        }
    }
    Ok(Status::Ok)
}

/// `arrears debtor update`.
pub(crate) fn update(
    books: &Arrears,
    horizon: &crate::horizon::Horizon,
    now: chrono::DateTime<chrono::Utc>,
    command: &DebtorCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let args = match command {
        DebtorCommand::Update(args) => args,
        DebtorCommand::Restrict(args) => return restrict(books, args, json, out),
        DebtorCommand::Note(args) => return note(books, now, args, json, out),
        DebtorCommand::Attorney(args) => return attorney(books, horizon, args, json, out),
        DebtorCommand::Signal(args) => return signal(books, horizon, args, json, out),
    };
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let changes = DebtorChanges {
        name: args.name.clone(),
        jurisdiction: args.country.as_ref().map(|country| Jurisdiction {
            country: country.trim().to_ascii_uppercase(),
            region: args.region.clone(),
        }),
        language: args.language.clone(),
        time_zones: args.time_zones.clone(),
    };
    if changes == DebtorChanges::default() {
        anyhow::bail!("nothing to change: give --name, --country, --language or --time-zones");
    }
    let receipt =
        collect::execute(books, &args.key, &Command::UpdateDebtor { debtor: debtor.id, changes })?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    writeln!(out, "debtor {} updated{replayed}", refs::describe_debtor(&debtor))?;
    Ok(Status::Ok)
}

/// `arrears debtor restrict`: the restrictions given replace those stored; the others stay.
fn restrict(
    books: &Arrears,
    args: &RestrictArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let opted_out_channels =
        args.opted_out_channels.as_ref().map(|ChannelList(channels)| channels.clone());
    let changes = RestrictionChanges {
        work_contact_prohibited: args.work_contact_prohibited,
        litigation_served: args.litigation_served,
        call_consent: args.call_consent_at.map(|ConsentAt(at)| match at {
            Some(at) => CallConsent::GivenAt(at),
            None => CallConsent::Cleared,
        }),
        opted_out_channels,
    };
    if changes == RestrictionChanges::default() {
        anyhow::bail!(
            "nothing to change: give --work-contact-prohibited, --litigation-served, \
             --call-consent-at or --opted-out-channels"
        );
    }
    let command = Command::ChangeRestrictions { debtor: debtor.id, changes };
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    writeln!(out, "debtor {} restrictions set{replayed}", refs::describe_debtor(&debtor))?;
    if let Outcome::DebtorUpdated { cancelled, .. } = &receipt.outcome {
        if !cancelled.is_empty() {
            let ids: Vec<String> = cancelled.iter().map(u64::to_string).collect();
            writeln!(out, "  cancelled pending actions: {}", ids.join(", "))?;
        }
    }
    Ok(Status::Ok)
}

/// A list of channels, comma-separated, or `none` for no channel; without repeats.
pub(crate) fn channel_list(list: &str) -> Result<Vec<ContactChannel>, String> {
    let mut channels = Vec::new();
    if list.trim() == "none" {
        return Ok(channels);
    }
    for name in list.split(',') {
        let channel = ChannelArg::from_str(name.trim(), true).map_err(|_| {
            format!("{name:?} is not one of phone, sms, email, postal, messaging (or none)")
        })?;
        let channel = ContactChannel::from(channel);
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    Ok(channels)
}

/// `arrears debtor attorney`.
fn attorney(
    books: &Arrears,
    horizon: &crate::horizon::Horizon,
    args: &AttorneyArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let attorney = Attorney {
        name: args.name.clone(),
        firm: args.firm.clone(),
        phone: args.phone.clone(),
        email: args.email.clone(),
        postal_address: args.postal_address.clone(),
        since: args.since,
    };
    let command = Command::SetAttorney { debtor: debtor.id, attorney };
    if let Some((_, reason)) = horizon.command_refusal(&command, |_| "--since".to_owned()) {
        anyhow::bail!("{reason}");
    }
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    if let Outcome::Cases(changes) = &receipt.outcome {
        writeln!(
            out,
            "debtor {}: represented by {} since {}",
            refs::describe_debtor(&debtor),
            args.name,
            args.since
        )?;
        if changes.is_empty() && !receipt.replayed {
            writeln!(out, "  the attorney flag was already set: details replaced")?;
            return Ok(Status::Ok);
        }
    }
    collect::print_receipt(books, &args.key, &receipt, None, out)
}

/// `arrears debtor signal`.
fn signal(
    books: &Arrears,
    horizon: &crate::horizon::Horizon,
    args: &SignalArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let report = arrears::model::ReportedSignal {
        signal: args.signal,
        observed_on: args.on,
        expires_on: args.expires,
        source: args.source.clone(),
        evidence: args.evidence.clone(),
    };
    let command = Command::ReportSignal { debtor: debtor.id, report };
    if let Some((_, reason)) = horizon.command_refusal(&command, |_| "--on".to_owned()) {
        anyhow::bail!("{reason}");
    }
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    writeln!(
        out,
        "debtor {}: {} reported from {}{replayed}",
        refs::describe_debtor(&debtor),
        args.signal.name(),
        args.on
    )?;
    Ok(Status::Ok)
}

/// `arrears debtor note`.
fn note(
    books: &Arrears,
    now: chrono::DateTime<chrono::Utc>,
    args: &NoteArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let account = match &args.account {
        Some(text) => Some(refs::account(books, text, "--account")?.id),
        None => None,
    };
    let note = arrears::case::Note {
        account,
        at: args.at.unwrap_or(now),
        author: args.author.clone(),
        text: args.text.clone(),
    };
    let receipt =
        collect::execute(books, &args.key, &Command::AddNote { debtor: debtor.id, note })?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    writeln!(out, "note added to debtor {}{replayed}", refs::describe_debtor(&debtor))?;
    Ok(Status::Ok)
}

/// `arrears limitation`.
#[derive(Debug, Args)]
pub(crate) struct LimitationArgs {
    /// The account: its external reference, or its id (`A12`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) account: String,
    /// The day the statute of limitations runs on the debt (`none` clears it).
    #[arg(long, value_name = "DATE|none", value_parser = parse_limitation_on)]
    pub(crate) on: LimitationOn,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `limitation --on`: a date, or `none`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LimitationOn(Option<chrono::NaiveDate>);

fn parse_limitation_on(text: &str) -> Result<LimitationOn, String> {
    if text.trim() == "none" {
        return Ok(LimitationOn(None));
    }
    crate::args::parse_date(text).map(|on| LimitationOn(Some(on)))
}

/// `arrears limitation`: the account's statute-of-limitations date.
pub(crate) fn limitation(
    books: &Arrears,
    args: &LimitationArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let account = refs::account(books, &args.account, "--account")?;
    let LimitationOn(on) = args.on;
    let receipt = collect::execute(
        books,
        &args.key,
        &Command::SetLimitationDate { account: account.id, on },
    )?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    match on {
        Some(on) => writeln!(
            out,
            "account {}: time-barred from {on} (the cycle's review marks it){replayed}",
            refs::describe_account(&account)
        )?,
        None => writeln!(
            out,
            "account {}: no limitation date{replayed}",
            refs::describe_account(&account)
        )?,
    }
    Ok(Status::Ok)
}
