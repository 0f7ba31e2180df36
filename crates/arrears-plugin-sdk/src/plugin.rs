//! The safe Rust side: the [`Plugin`] trait and the borrowed views of ABI inputs it receives.
//!
//! A plugin author implements [`Plugin`] and calls [`crate::export_plugin!`]; the SDK turns
//! raw pointers into these views (checking lengths and UTF-8) and writes outputs back.

use crate::abi::{self, ContactHistoryEntry, ContactRequestInput, HostApi, ScoreInput, Status};

/// An error a plugin returns; becomes a status code and a message in the host's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    status: Status,
    message: String,
}

impl PluginError {
    /// An error with an explicit status.
    pub fn new(status: Status, message: impl Into<String>) -> PluginError {
        PluginError { status, message: message.into() }
    }

    /// The configuration is not valid.
    #[cold]
    pub fn invalid_config(message: impl Into<String>) -> PluginError {
        PluginError::new(Status::InvalidConfig, message)
    }

    /// An input cannot be handled.
    #[cold]
    pub fn bad_input(message: impl Into<String>) -> PluginError {
        PluginError::new(Status::BadInput, message)
    }

    /// The call is not implemented.
    #[cold]
    pub fn unsupported(message: impl Into<String>) -> PluginError {
        PluginError::new(Status::Unsupported, message)
    }

    /// The status code.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.status, self.message)
    }
}

impl std::error::Error for PluginError {}

/// The host's services, as given to [`Plugin::init`].
#[derive(Debug, Clone, Copy)]
pub struct Host {
    log: Option<abi::LogFn>,
}

impl Host {
    /// A host with no services (for tests and static use without a host table).
    pub fn none() -> Host {
        Host { log: None }
    }

    /// Reads the services the table's `struct_size` covers.
    pub(crate) fn from_table(table: Option<&HostApi>) -> Host {
        let log = table.and_then(|table| {
            let needed = core::mem::offset_of!(HostApi, log) + core::mem::size_of::<usize>();
            if (table.struct_size as usize) < needed {
                None
            } else {
                table.log
            }
        });
        Host { log }
    }

    /// Logs a message through the host (nothing if the host gave no logger).
    pub fn log(&self, level: u32, message: &str) {
        if let Some(log) = self.log {
            // SAFETY: the host promised the callback is valid for the instance's life and
            // callable from any thread; the message is borrowed for the call only.
            #[allow(unsafe_code)]
            unsafe {
                log(level, abi::StrRef::from_str(message))
            };
        }
    }
}

/// A named attribute's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttributeValue<'a> {
    /// No value (an empty cell).
    Missing,
    /// A number.
    Number(f64),
    /// Text.
    Text(&'a str),
}

/// One score input, borrowed for the call.
#[derive(Debug)]
pub struct ScoreRecord<'a> {
    /// The raw fixed fields (ids, money in minor units, counts).
    pub raw: &'a ScoreInput,
    /// The named attributes, in the order the host gave them.
    pub attributes: Vec<(&'a str, AttributeValue<'a>)>,
}

impl<'a> ScoreRecord<'a> {
    /// The attribute named `name`, if the host gave one.
    pub fn attribute(&self, name: &str) -> Option<AttributeValue<'a>> {
        self.attributes.iter().find(|(key, _)| *key == name).map(|(_, value)| *value)
    }

    /// The engine's feature named `name` (`days_past_due`, `total_outstanding`, `past_due`,
    /// `months_on_book`, `payments_90d`, `broken_promises`, `kept_promises`, `reversals_90d`,
    /// `attempts_30d`, `right_party_contacts_30d`, `credit_limit`, `paid_90d`), as a number.
    pub fn feature(&self, name: &str) -> Option<f64> {
        let raw = self.raw;
        Some(match name {
            "days_past_due" => raw.days_past_due as f64,
            "total_outstanding" => raw.total_outstanding_minor as f64,
            "past_due" => raw.past_due_minor as f64,
            "credit_limit" if raw.has_credit_limit == 1 => raw.credit_limit_minor as f64,
            "paid_90d" => raw.paid_90d_minor as f64,
            "months_on_book" => raw.months_on_book as f64,
            "payments_90d" => f64::from(raw.payments_90d),
            "broken_promises" => f64::from(raw.broken_promises),
            "kept_promises" => f64::from(raw.kept_promises),
            "reversals_90d" => f64::from(raw.reversals_90d),
            "attempts_30d" => f64::from(raw.attempts_30d),
            "right_party_contacts_30d" => f64::from(raw.right_party_contacts_30d),
            _ => return None,
        })
    }

    /// The currency of the record's amounts: the account's ISO 4217 code, or `XXX` for a row
    /// that is not an account (or a code that is not ASCII letters).
    pub fn currency(&self) -> &'a str {
        let raw: &'a ScoreInput = self.raw;
        let code = &raw.currency;
        match core::str::from_utf8(code) {
            Ok(text) if code.iter().all(u8::is_ascii_uppercase) => text,
            _ => "XXX",
        }
    }

    /// The scoring date, in days since 1970-01-01 (0 when the host gave none).
    pub fn as_of_days(&self) -> i32 {
        self.raw.as_of_days
    }

    /// A named attribute if present, else the feature of that name.
    pub fn value(&self, name: &str) -> Option<AttributeValue<'a>> {
        self.attribute(name).or_else(|| self.feature(name).map(AttributeValue::Number))
    }
}

/// A score as a plugin returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Points from 0 to 1000.
    pub points: f64,
    /// Up to [`abi::REASONS_MAX`] reason codes, strongest first (extra ones are an error),
    /// each non-empty ASCII without control characters of at most
    /// [`abi::REASON_CODE_BYTES_MAX`] bytes, not starting with `=`, `+`, `-` or `@` (which a
    /// spreadsheet runs as a formula).
    pub reasons: Vec<String>,
}

/// A contact point as a strategy sees it.
#[derive(Debug, Clone, Copy)]
pub struct ContactPointView<'a> {
    /// The address.
    pub address: &'a str,
    /// `CHANNEL_*`.
    pub channel: u32,
    /// `CONTACT_POINT_*`.
    pub kind: u32,
    /// True if and only if the debtor consented.
    pub consent: bool,
    /// True if and only if the debtor opted out.
    pub opted_out: bool,
}

/// One contact request, borrowed for the call.
#[derive(Debug)]
pub struct ContactRequestView<'a> {
    /// The raw fixed fields (debtor, date, UTC offset, score).
    pub raw: &'a ContactRequestInput,
    /// Steps as `(channel, template)`, most urgent first.
    pub steps: Vec<(u32, &'a str)>,
    /// The tone of each step's template, `TONE_*`, in the order of `steps` (ABI 1.2;
    /// `TONE_NONE` from an older host, or for a template only the integrator knows).
    pub step_tones: Vec<u32>,
    /// Contact points.
    pub contact_points: Vec<ContactPointView<'a>>,
    /// Past attempts, oldest first.
    pub history: &'a [ContactHistoryEntry],
}

impl ContactRequestView<'_> {
    /// The lowest score among the accounts, if scored.
    pub fn score(&self) -> Option<f64> {
        (self.raw.has_score == 1).then_some(self.raw.score_points)
    }
}

/// A proposal as a strategy returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// Index into the request's contact points.
    pub contact_point_index: usize,
    /// The template id (non-empty ASCII without control characters, at most
    /// [`abi::TEMPLATE_BYTES_MAX`] bytes).
    pub template: String,
    /// When, in unix microseconds.
    pub at_unix_us: i64,
}

/// A plugin: created from configuration text, then called in batches, possibly from several
/// threads when it declares [`abi::CAPABILITY_THREAD_SAFE`] (hence `Sync`).
pub trait Plugin: Sized + Send + Sync + 'static {
    /// Creates an instance from configuration text.
    ///
    /// # Errors
    ///
    /// A [`PluginError`] (usually [`PluginError::invalid_config`]).
    fn init(config: &str, host: Host) -> Result<Self, PluginError>;

    /// The reason codes this instance may return (the host rejects others).
    fn reason_codes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Scores one record.
    ///
    /// # Errors
    ///
    /// A [`PluginError`]; the whole batch then fails.
    fn score(&self, record: &ScoreRecord<'_>) -> Result<Scored, PluginError> {
        let _ = record;
        Err(PluginError::unsupported("this plugin does not score"))
    }

    /// Proposes contacts for one request (at most [`abi::PROPOSALS_PER_REQUEST_MAX`]).
    ///
    /// # Errors
    ///
    /// A [`PluginError`]; the whole batch then fails.
    fn propose(&self, request: &ContactRequestView<'_>) -> Result<Vec<Proposal>, PluginError> {
        let _ = request;
        Err(PluginError::unsupported("this plugin does not propose contacts"))
    }

    /// Proposes contacts for one request, each with the tone the plugin chose (`TONE_*`, ABI
    /// 1.2): the engine then uses the due step on the proposal's channel whose template has
    /// that tone ([`ContactRequestView::step_tones`]). `TONE_NONE` keeps the proposal's
    /// template. By default, [`Plugin::propose`] with no tone chosen; a plugin that chooses
    /// tones implements this one (the SDK calls only this).
    ///
    /// # Errors
    ///
    /// A [`PluginError`]; the whole batch then fails.
    fn propose_with_tone(
        &self,
        request: &ContactRequestView<'_>,
    ) -> Result<Vec<(Proposal, u32)>, PluginError> {
        Ok(self.propose(request)?.into_iter().map(|proposal| (proposal, abi::TONE_NONE)).collect())
    }
}
