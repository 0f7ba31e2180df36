//! `arrears contact set | remove`: a debtor's contact points after import. An opt-out, a
//! consent withdrawn or a removed address takes effect at once: the pending outbox actions to
//! that address are cancelled, and the command lists them.

use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use arrears::model::{ContactChannel, ContactPoint, ContactPointKind};
use arrears::{Arrears, Command, Outcome};

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

/// `arrears contact set | remove`.
pub(crate) fn run(
    books: &Arrears,
    command: &ContactCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (address, engine_command, verb) = match command {
        ContactCommand::Set(args) => {
            let debtor = refs::debtor(books, &args.address.debtor, "--debtor")?;
            let point = ContactPoint {
                channel: args.address.channel.into(),
                address: args.address.address.clone(),
                kind: args.kind.into(),
                consent: args.consent,
                opted_out: args.opted_out,
            };
            (&args.address, Command::SetContactPoint { debtor: debtor.id, point }, "set")
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
    };
    let receipt = collect::execute(books, &address.key, &engine_command)?;
    if json {
        return collect::print_json(&address.key, &receipt, None, out);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    if let Outcome::DebtorUpdated { debtor, cancelled } = &receipt.outcome {
        let channel = ContactChannel::from(address.channel).name();
        writeln!(out, "debtor {debtor}: {channel} {} {verb}{replayed}", address.address)?;
        if cancelled.is_empty() {
            writeln!(out, "  no pending action cancelled")?;
        } else {
            let ids: Vec<String> = cancelled.iter().map(u64::to_string).collect();
            writeln!(out, "  cancelled pending actions: {}", ids.join(", "))?;
        }
    }
    Ok(Status::Ok)
}
