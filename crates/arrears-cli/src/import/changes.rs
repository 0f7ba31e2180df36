//! `arrears import changes`: debtor upkeep from a file, one change per row: contact points set
//! or removed, profile updates, contact restrictions, flags, attorneys, notes, limitation dates,
//! inbound contacts and callbacks, payer accounts registered or removed. Each row is the command `arrears contact | debtor | flag |
//! limitation` would execute, under the row's `key`.
//!
//! Rows are planned against the debtor as the store holds it, but every change is partial (the
//! engine applies it to the debtor as it stands when the row executes), so two rows of one file
//! changing the same debtor compose in file order.

use anyhow::Result;
use chrono::{DateTime, Utc};

use arrears::cash::{PayerAccount, PayerScheme};
use arrears::ids::{AccountId, DebtorId};
use arrears::model::{Attorney, ContactChannel, ContactPoint, ContactPointKind, Jurisdiction};
use arrears::{CallConsent, Command, ConsentEvidence, DebtorChanges, Flag, RestrictionChanges};

use super::{Action, Planned, Planner, KEY_LEN_MAX};
use crate::input::{self, Columns, Fields, Row};

/// The columns of a changes file.
pub(super) const CHANGES: Columns =
    Columns { required: &["key", "debtor", "change"], optional: &OPTIONAL };

/// The optional columns, for "not used by this change" checks.
const OPTIONAL: [&str; 33] = [
    "channel",
    "address",
    "address_kind",
    "consent",
    "opted_out",
    "consent_at",
    "consent_source",
    "name",
    "country",
    "region",
    "language",
    "time_zones",
    "work_contact_prohibited",
    "litigation_served",
    "call_consent_at",
    "opted_out_channels",
    "flag",
    "on",
    "firm",
    "phone",
    "email",
    "postal_address",
    "account",
    "at",
    "author",
    "text",
    "outcome",
    "signal",
    "expires_on",
    "source",
    "evidence",
    "scheme",
    "number",
];

/// The optional columns a change uses; the others must be empty.
fn used(change: &str) -> Option<&'static [&'static str]> {
    Some(match change {
        "contact_set" => &[
            "channel",
            "address",
            "address_kind",
            "consent",
            "opted_out",
            "consent_at",
            "consent_source",
        ],
        "contact_remove" => &["channel", "address"],
        "update" => &["name", "country", "region", "language", "time_zones"],
        "restrict" => &[
            "work_contact_prohibited",
            "litigation_served",
            "call_consent_at",
            "opted_out_channels",
        ],
        "flag" => &["flag", "on"],
        "attorney" => &["name", "firm", "phone", "email", "postal_address", "on"],
        "note" => &["account", "at", "author", "text"],
        "limitation" => &["account", "on"],
        "inbound" => &["account", "channel", "address", "at", "outcome"],
        "callback" => &["account", "channel", "address", "at"],
        "signal" => &["signal", "on", "expires_on", "source", "evidence"],
        "payer_account" => &["scheme", "number"],
        "payer_account_remove" => &["number"],
        _ => return None,
    })
}

/// Every change, for messages.
const CHANGES_NAMES: &str = "contact_set, contact_remove, update, restrict, flag, attorney, \
                             note, limitation, inbound, callback, signal, payer_account, \
                             payer_account_remove";

impl Planner<'_> {
    /// Checks and plans one row of a changes file.
    pub(super) fn plan_change(&mut self, row: &Row) -> Result<Option<Planned>> {
        let mut fields = Fields::new(row);
        let key = fields.text("key").map(str::to_owned);
        if let Some(key) = &key {
            self.unique_key(&mut fields, key)?;
        }
        let debtor = self.debtor_column(&mut fields)?;
        let change = fields.text("change");
        let uses = change.and_then(used);
        if let (Some(change), None) = (change, uses) {
            fields.error(Some("change"), format!("{change:?} is not one of {CHANGES_NAMES}"));
        }
        let command = match (change, uses, debtor) {
            (Some(change), Some(uses), Some(debtor)) => {
                let unused: Vec<&'static str> =
                    OPTIONAL.iter().copied().filter(|column| !uses.contains(column)).collect();
                fields.unused(&unused, &format!("change {change}"));
                self.change_command(&mut fields, change, debtor)?
            }
            _ => None,
        };
        let line = row.line;
        if !self.finish(fields) {
            return Ok(None);
        }
        let (Some(key), Some(command)) = (key, command) else { return Ok(None) };
        Ok(Some(Planned::new(line, key, None, Action::Ready(command))))
    }

    /// The `key` column: 1 to 128 bytes, once in the file.
    fn unique_key(&mut self, fields: &mut Fields<'_>, key: &str) -> Result<()> {
        if key.len() > KEY_LEN_MAX {
            fields.error(
                Some("key"),
                format!("is {} bytes long, at most {KEY_LEN_MAX} allowed", key.len()),
            );
        }
        if let Some(first) = self.keys.first_line(key, fields.line())? {
            fields.error(
                Some("key"),
                format!("{key:?} appears twice in the file (first on line {first})"),
            );
        }
        Ok(())
    }

    /// The debtor column: an external id of a debtor in the store, or its id (`D3`).
    fn debtor_column(&mut self, fields: &mut Fields<'_>) -> Result<Option<DebtorId>> {
        let Some(reference) = fields.text("debtor") else { return Ok(None) };
        let found = match self.books.find_debtor(reference)? {
            Some(id) => Some(id),
            None => match reference.strip_prefix('D').and_then(|digits| digits.parse().ok()) {
                Some(id) if self.books.debtor(DebtorId(id))?.is_some() => Some(DebtorId(id)),
                _ => None,
            },
        };
        if found.is_none() {
            fields.error(
                Some("debtor"),
                format!("no debtor with external id or id {reference:?} in the store (import debtors first)"),
            );
        }
        Ok(found)
    }

    /// The accounts of the `account` column (`|`-separated): the debtor's.
    fn debtor_accounts(
        &mut self,
        fields: &mut Fields<'_>,
        debtor: DebtorId,
        one: bool,
    ) -> Result<Option<Vec<AccountId>>> {
        let Some(text) = fields.text("account") else { return Ok(None) };
        let references: Vec<&str> = text.split('|').map(str::trim).collect();
        if one && references.len() > 1 {
            fields.error(Some("account"), "names one account");
            return Ok(None);
        }
        let mut accounts = Vec::new();
        for reference in references {
            match self.account_by_ref(reference)? {
                Some(account) if account.debtor == debtor => accounts.push(account.id),
                Some(_) => {
                    fields.error(
                        Some("account"),
                        format!("account {reference:?} is not an account of debtor {debtor}"),
                    );
                    return Ok(None);
                }
                None => {
                    fields.error(
                        Some("account"),
                        format!("no account with external id {reference:?} in the store"),
                    );
                    return Ok(None);
                }
            }
        }
        Ok(Some(accounts))
    }

    /// The command of a change whose columns were checked; `None` if a field is bad (its
    /// error recorded).
    fn change_command(
        &mut self,
        fields: &mut Fields<'_>,
        change: &str,
        debtor: DebtorId,
    ) -> Result<Option<Command>> {
        // The accounts first (they are read from the store), then the other fields.
        let accounts = match change {
            "note" if !fields.is_set("account") => Some(Vec::new()),
            "note" | "limitation" => self.debtor_accounts(fields, debtor, true)?,
            "inbound" | "callback" => self.debtor_accounts(fields, debtor, false)?,
            _ => None,
        };
        Ok(command_of(fields, change, debtor, accounts))
    }
}

/// The command of a change, given the accounts its `account` column names (for the changes
/// that have one).
fn command_of(
    fields: &mut Fields<'_>,
    change: &str,
    debtor: DebtorId,
    accounts: Option<Vec<AccountId>>,
) -> Option<Command> {
    match change {
        "contact_set" => contact_set(fields, debtor),
        "contact_remove" => {
            let (channel, address) = (fields.parse("channel", channel), address(fields));
            Some(Command::RemoveContactPoint { debtor, channel: channel?, address: address? })
        }
        "update" => update(fields, debtor),
        "restrict" => restrict(fields, debtor),
        "flag" => {
            let (flag, on) = (fields.parse("flag", flag), fields.parse("on", input::date));
            Some(Command::SetFlag { debtor, flag: flag?, on: on? })
        }
        "attorney" => attorney(fields, debtor),
        "signal" => {
            let signal = fields.parse("signal", crate::upkeep::parse_signal);
            let observed_on = fields.parse("on", input::date);
            let expires_on = fields.maybe("expires_on", input::date);
            let source = fields.parse("source", short);
            let evidence = fields.maybe("evidence", short);
            let report = arrears::model::ReportedSignal {
                signal: signal?,
                observed_on: observed_on?,
                expires_on: expires_on.ok()?,
                source: source?,
                evidence: evidence.ok()?.unwrap_or_default(),
            };
            Some(Command::ReportSignal { debtor, report })
        }
        "payer_account" => payer_account(fields, debtor),
        "payer_account_remove" => {
            let number = fields.parse("number", payer_number)?;
            Some(Command::RemovePayerAccount { debtor, number: number.0 })
        }
        "note" => {
            let at = fields.parse("at", instant);
            let author = fields.parse("author", short);
            let text = fields.text("text").map(str::to_owned);
            let account = accounts?.first().copied();
            let note = arrears::case::Note { account, at: at?, author: author?, text: text? };
            Some(Command::AddNote { debtor, note })
        }
        "limitation" => {
            let on = fields.parse("on", |text| match text {
                "none" => Ok(None),
                text => input::date(text).map(Some),
            });
            Some(Command::SetLimitationDate { account: *accounts?.first()?, on: on? })
        }
        _ => {
            let (channel, address) = (fields.parse("channel", channel), address(fields));
            let at = fields.parse("at", instant);
            let outcome = match change {
                "inbound" => Some(fields.parse("outcome", |text| text.parse())?),
                _ => None,
            };
            let (accounts, channel, address, at) = (accounts?, channel?, address?, at?);
            Some(match outcome {
                Some(outcome) => {
                    Command::RecordInbound { debtor, accounts, channel, address, at, outcome }
                }
                None => Command::RequestCallback { debtor, accounts, channel, address, at },
            })
        }
    }
}

/// A `payer_account` row: the number with its check digits right, of the `scheme` given
/// (default: the one it reads as).
fn payer_account(fields: &mut Fields<'_>, debtor: DebtorId) -> Option<Command> {
    let number = fields.parse("number", payer_number);
    let scheme = fields.maybe("scheme", |text| {
        PayerScheme::from_name(text).ok_or_else(|| {
            let names: Vec<&str> = PayerScheme::ALL.iter().map(|scheme| scheme.name()).collect();
            format!("{text:?} is not one of {}", names.join(", "))
        })
    });
    let (number, read_as) = number?;
    let scheme = scheme.ok()?.unwrap_or(read_as);
    if scheme != read_as {
        fields.error(
            Some("scheme"),
            format!("number {number:?} reads as {}, not {}", read_as.name(), scheme.name()),
        );
        return None;
    }
    Some(Command::RegisterPayerAccount { debtor, scheme, number })
}

/// A payer account number as written, and the scheme it reads as (check digits verified).
fn payer_number(text: &str) -> Result<(String, PayerScheme), String> {
    let account = PayerAccount::parse(text).map_err(|error| error.to_string())?;
    if account.id().is_empty() {
        return Err(format!("{text:?} has no letters or digits"));
    }
    Ok((text.to_owned(), account.scheme()))
}

fn contact_set(fields: &mut Fields<'_>, debtor: DebtorId) -> Option<Command> {
    let (channel, address) = (fields.parse("channel", channel), address(fields));
    // As a debtors import checks its `email` column: the engine takes any address.
    if let (Some(ContactChannel::Email), Some(address)) = (channel, &address) {
        if !address.contains('@') {
            fields.error(Some("address"), format!("{address:?} is not an e-mail address"));
        }
    }
    let kind = fields.maybe("address_kind", |text| match text {
        "personal" => Ok(ContactPointKind::Personal),
        "work" => Ok(ContactPointKind::Work),
        "employer_provided" => Ok(ContactPointKind::EmployerProvided),
        _ => Err(format!("{text:?} is not one of personal, work, employer_provided")),
    });
    let consent = fields.maybe("consent", input::boolean);
    let opted_out = fields.maybe("opted_out", input::boolean);
    let consent_at = fields.maybe("consent_at", instant);
    let source = fields.maybe("consent_source", short);
    let evidence = match (consent_at, source) {
        (Ok(Some(at)), Ok(Some(source))) => Some(ConsentEvidence { at, source }),
        (Ok(None), Ok(None)) => None,
        (Ok(Some(_)), Ok(None)) => {
            fields.error(Some("consent_source"), "required with consent_at");
            None
        }
        (Ok(None), Ok(Some(_))) => {
            fields.error(Some("consent_at"), "required with consent_source");
            None
        }
        _ => None,
    };
    let point = ContactPoint {
        channel: channel?,
        address: address?,
        kind: kind.ok()?.unwrap_or(ContactPointKind::Personal),
        consent: consent.ok()?.unwrap_or(false),
        opted_out: opted_out.ok()?.unwrap_or(false),
    };
    Some(Command::SetContactPoint { debtor, point, evidence })
}

fn update(fields: &mut Fields<'_>, debtor: DebtorId) -> Option<Command> {
    let name = fields.maybe("name", short);
    let country = fields.maybe("country", |text| {
        let code = text.to_ascii_uppercase();
        arrears::model::locale::check_country(&code)
            .map(|()| code)
            .map_err(|_| format!("{text:?} is not an ISO 3166-1 alpha-2 country code such as US"))
    });
    let region = fields.maybe("region", short);
    let language = fields.maybe("language", |text| {
        arrears::model::locale::check_language(text)
            .map(|()| text.to_owned())
            .map_err(|error| error.to_string())
    });
    let time_zones = fields.maybe("time_zones", |text| {
        text.split('|').map(crate::args::parse_time_zone).collect::<Result<Vec<_>, _>>()
    });
    let (name, country, region, language, time_zones) =
        (name.ok()?, country.ok()?, region.ok()?, language.ok()?, time_zones.ok()?);
    if region.is_some() && country.is_none() {
        fields.error(Some("region"), "needs country");
        return None;
    }
    let changes = DebtorChanges {
        name,
        jurisdiction: country.map(|country| Jurisdiction { country, region }),
        language,
        time_zones,
    };
    if changes == DebtorChanges::default() {
        fields.error(None, "nothing to change: give name, country, language or time_zones");
        return None;
    }
    Some(Command::UpdateDebtor { debtor, changes })
}

fn restrict(fields: &mut Fields<'_>, debtor: DebtorId) -> Option<Command> {
    let work = fields.maybe("work_contact_prohibited", input::boolean);
    let litigation = fields.maybe("litigation_served", input::boolean);
    let call_consent = fields.maybe("call_consent_at", |text| match text {
        "none" => Ok(CallConsent::Cleared),
        text => instant(text).map(CallConsent::GivenAt),
    });
    let channels = fields
        .maybe("opted_out_channels", |text| crate::upkeep::channel_list(&text.replace('|', ",")));
    let changes = RestrictionChanges {
        work_contact_prohibited: work.ok()?,
        litigation_served: litigation.ok()?,
        call_consent: call_consent.ok()?,
        opted_out_channels: channels.ok()?,
    };
    if changes == RestrictionChanges::default() {
        fields.error(
            None,
            "nothing to change: give work_contact_prohibited, litigation_served, \
             call_consent_at or opted_out_channels",
        );
        return None;
    }
    Some(Command::ChangeRestrictions { debtor, changes })
}

fn attorney(fields: &mut Fields<'_>, debtor: DebtorId) -> Option<Command> {
    let name = fields.parse("name", short);
    let [firm, phone, email, postal_address] =
        ["firm", "phone", "email", "postal_address"].map(|column| fields.maybe(column, short));
    let since = fields.parse("on", input::date);
    let attorney = Attorney {
        name: name?,
        firm: firm.ok()?,
        phone: phone.ok()?,
        email: email.ok()?,
        postal_address: postal_address.ok()?,
        since: since?,
    };
    // The engine checks them again; checked here so that every bad row is reported.
    if let Err((field, reason)) = attorney.check() {
        let column = match field {
            "attorney.email" => Some("email"),
            "attorney" => None,
            _ => field.strip_prefix("attorney."),
        };
        fields.error(column, reason);
        return None;
    }
    Some(Command::SetAttorney { debtor, attorney })
}

fn channel(text: &str) -> Result<ContactChannel, String> {
    match text {
        "phone" => Ok(ContactChannel::Phone),
        "sms" => Ok(ContactChannel::Sms),
        "email" => Ok(ContactChannel::Email),
        "postal" => Ok(ContactChannel::Postal),
        "messaging" => Ok(ContactChannel::Messaging),
        _ => Err(format!("{text:?} is not one of phone, sms, email, postal, messaging")),
    }
}

fn address(fields: &mut Fields<'_>) -> Option<String> {
    fields.parse("address", short)
}

fn flag(text: &str) -> Result<Flag, String> {
    match text {
        "cease" => Ok(Flag::CeaseCommunication),
        "attorney" => Ok(Flag::AttorneyRepresented),
        "bankruptcy" => Ok(Flag::BankruptcyFiled),
        "bankruptcy_discharged" => Ok(Flag::BankruptcyDischarged),
        "bankruptcy_dismissed" => Ok(Flag::BankruptcyDismissed),
        "deceased" => Ok(Flag::Deceased),
        "attorney_withdrawn" => Ok(Flag::AttorneyWithdrawn),
        _ => Err(format!(
            "{text:?} is not one of cease, attorney, bankruptcy, bankruptcy_discharged, \
             bankruptcy_dismissed, deceased, attorney_withdrawn"
        )),
    }
}

fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    crate::args::parse_instant(text)
}

fn short(text: &str) -> Result<String, String> {
    super::short_text(text).map(str::to_owned)
}
