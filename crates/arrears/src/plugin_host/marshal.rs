//! What crosses the ABI: the requests in their `#[repr(C)]` forms, and the validation of every
//! output a plugin writes.
//!
//! [`ScoreInputs`] and [`ContactInputs`] own the arrays their `#[repr(C)]` inputs point into
//! and borrow the requests' strings, so everything a call reads stays alive and unmoved while
//! they are borrowed: `ffi.rs` relies on that. On the way back, every score and proposal is
//! checked against the ABI's limits before it becomes a [`PluginScore`] or a
//! [`ContactProposal`]; a bad one is a [`PluginCallError`], never data.

use std::collections::HashSet;
use std::marker::PhantomData;

use arrears_core::case::{ContactAttempt, ContactOutcome};
use arrears_core::model::{ContactChannel, ContactPointKind};
use arrears_core::money::Currency;
use arrears_core::strategy::{ContactProposal, ContactRequest, Features};
use arrears_plugin_sdk::abi::{self, StrRef};
use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};

use super::error::PluginCallError;

/// Most proposals the host accepts per request.
pub const PROPOSALS_PER_REQUEST_MAX: usize = abi::PROPOSALS_PER_REQUEST_MAX;
/// How far after the start of the review date (00:00 UTC) a proposed contact may be, in
/// days: the engine's one rule, [`arrears_core::strategy::proposal_window`].
pub const PROPOSAL_HORIZON_DAYS_MAX: i64 = arrears_core::strategy::PROPOSAL_HORIZON_DAYS_MAX;

/// A named attribute value for [`ScoreRequest`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum AttributeValue {
    /// No value.
    Missing,
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

/// One thing to score: the engine's features (if any), the scoring date and named attributes.
///
/// A plugin sees an account's date and currency from its [`Features`]; a row that is not an
/// account has no currency (`XXX`) and the date in [`ScoreRequest::as_of`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreRequest {
    /// The account's features (with its scoring date and currency), or `None` for rows that
    /// are not accounts (applications).
    pub features: Option<Features>,
    /// The scoring date of a row that is not an account (`None` passes `as_of_days` 0);
    /// ignored when `features` is given, whose date wins.
    pub as_of: Option<NaiveDate>,
    /// Named attributes (application or custom data).
    pub attributes: Vec<(String, AttributeValue)>,
}

/// A validated score from a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginScore {
    /// Finite, from 0 to 1000.
    pub points: f64,
    /// Up to four reason codes, strongest first.
    pub reasons: Vec<String>,
}

/// A request that cannot be passed through the ABI: its offset in the batch and why.
#[derive(Debug)]
pub(super) struct BadInput {
    pub(super) offset: usize,
    pub(super) reason: &'static str,
}

/// Score requests in the ABI's layout.
///
/// Invariant: every pointer in `inputs` points into `attribute_arrays` (whose heap buffers are
/// never changed after construction, so they do not move when `self` does) or into the
/// requests borrowed for `'a`.
#[derive(Debug)]
pub(super) struct ScoreInputs<'a> {
    attribute_arrays: Vec<Vec<abi::Attribute>>,
    inputs: Vec<abi::ScoreInput>,
    requests: PhantomData<&'a [ScoreRequest]>,
}

impl<'a> ScoreInputs<'a> {
    /// The inputs of `requests`.
    ///
    /// # Errors
    ///
    /// The first request with more than [`abi::ATTRIBUTES_MAX`] attributes or a string over
    /// [`abi::STRING_BYTES_MAX`].
    pub(super) fn new(requests: &'a [ScoreRequest]) -> Result<ScoreInputs<'a>, BadInput> {
        let mut attribute_arrays = Vec::with_capacity(requests.len());
        for (offset, request) in requests.iter().enumerate() {
            let attributes = attributes(request).map_err(|reason| BadInput { offset, reason })?;
            attribute_arrays.push(attributes);
        }
        let inputs = requests
            .iter()
            .zip(&attribute_arrays)
            .map(|(request, attributes)| score_input(request, attributes))
            .collect();
        Ok(ScoreInputs { attribute_arrays, inputs, requests: PhantomData })
    }

    /// The inputs, as the ABI lays them out.
    pub(super) fn as_slice(&self) -> &[abi::ScoreInput] {
        debug_assert_eq!(self.attribute_arrays.len(), self.inputs.len());
        &self.inputs
    }
}

/// Checks that every request can be passed through the ABI, as [`ScoreInputs::new`] does,
/// without building the inputs (the host of an isolated plugin refuses before sending).
///
/// # Errors
///
/// The first request that cannot.
pub(super) fn check_score_requests(requests: &[ScoreRequest]) -> Result<(), BadInput> {
    for (offset, request) in requests.iter().enumerate() {
        if abi::ATTRIBUTES_MAX < request.attributes.len() {
            return Err(BadInput { offset, reason: "more than ATTRIBUTES_MAX attributes" });
        }
        let too_long = request.attributes.iter().any(|(name, value)| {
            let text_len = if let AttributeValue::Text(text) = value { text.len() } else { 0 };
            abi::STRING_BYTES_MAX < name.len().max(text_len)
        });
        if too_long {
            return Err(BadInput { offset, reason: "attribute longer than STRING_BYTES_MAX" });
        }
    }
    Ok(())
}

/// Checks that every contact request can be passed through the ABI, as
/// [`ContactInputs::new`] does, without building the inputs.
///
/// # Errors
///
/// The first request that cannot.
pub(super) fn check_contact_requests(requests: &[ContactRequest]) -> Result<(), BadInput> {
    for (offset, request) in requests.iter().enumerate() {
        check_contact_request(request).map_err(|reason| BadInput { offset, reason })?;
    }
    Ok(())
}

/// A request's attributes in the ABI's layout, borrowing its names and texts.
fn attributes(request: &ScoreRequest) -> Result<Vec<abi::Attribute>, &'static str> {
    if abi::ATTRIBUTES_MAX < request.attributes.len() {
        return Err("more than ATTRIBUTES_MAX attributes");
    }
    let mut attributes = Vec::with_capacity(request.attributes.len());
    for (name, value) in &request.attributes {
        let text_len = if let AttributeValue::Text(text) = value { text.len() } else { 0 };
        if abi::STRING_BYTES_MAX < name.len().max(text_len) {
            return Err("attribute longer than STRING_BYTES_MAX");
        }
        let (kind, number, text) = match value {
            AttributeValue::Missing => (abi::ATTRIBUTE_MISSING, 0.0, StrRef::EMPTY),
            AttributeValue::Number(number) => (abi::ATTRIBUTE_NUMBER, *number, StrRef::EMPTY),
            AttributeValue::Text(text) => (abi::ATTRIBUTE_TEXT, 0.0, StrRef::from_str(text)),
        };
        attributes.push(abi::Attribute {
            name: StrRef::from_str(name),
            kind,
            reserved: 0,
            number,
            text,
        });
    }
    Ok(attributes)
}

/// The ABI input of `request`: an account's features, date and currency, or for another row
/// its date, currency `XXX` and zero features.
fn score_input(request: &ScoreRequest, attributes: &[abi::Attribute]) -> abi::ScoreInput {
    let mut input = arrears_plugin_sdk::score_input(attributes);
    input.as_of_days = request.as_of.map_or(0, days_since_epoch);
    if let Some(features) = &request.features {
        input.as_of_days = days_since_epoch(features.as_of);
        input.currency = currency_code(features.currency);
        input.account_id = features.account.0;
        input.debtor_id = features.debtor.0;
        input.days_past_due = features.days_past_due;
        input.total_outstanding_minor = features.total_outstanding_minor;
        input.past_due_minor = features.past_due_minor;
        input.credit_limit_minor = features.credit_limit_minor.unwrap_or(0);
        input.has_credit_limit = u8::from(features.credit_limit_minor.is_some());
        input.paid_90d_minor = features.paid_90d_minor;
        input.months_on_book = features.months_on_book;
        input.payments_90d = features.payments_90d;
        input.reversals_90d = features.reversals_90d;
        input.broken_promises = features.broken_promises;
        input.kept_promises = features.kept_promises;
        input.attempts_30d = features.attempts_30d;
        input.right_party_contacts_30d = features.right_party_contacts_30d;
    }
    input
}

/// The validated scores of a `score_batch` call on `input_count` inputs, the first of which
/// is input `first` of the whole batch.
///
/// # Errors
///
/// [`PluginCallError`] if the plugin reported another number of outputs than inputs, or for
/// the first invalid score.
pub(super) fn check_scores(
    plugin: &str,
    first: usize,
    outputs: &[abi::ScoreOutput],
    count: usize,
    declared: Option<&HashSet<String>>,
) -> Result<Vec<PluginScore>, PluginCallError> {
    let input_count = outputs.len();
    if input_count < count {
        return Err(PluginCallError::TooManyOutputs {
            plugin: plugin.to_owned(),
            count,
            count_max: input_count,
        });
    }
    if count < input_count {
        return Err(PluginCallError::MissingOutputs {
            plugin: plugin.to_owned(),
            count,
            expected: input_count,
        });
    }
    outputs
        .iter()
        .enumerate()
        .map(|(offset, output)| check_score(plugin, first + offset, output, declared))
        .collect()
}

fn check_score(
    plugin: &str,
    index: usize,
    output: &abi::ScoreOutput,
    declared: Option<&HashSet<String>>,
) -> Result<PluginScore, PluginCallError> {
    let points = output.points;
    if !points.is_finite() {
        return Err(PluginCallError::NonFiniteScore { plugin: plugin.to_owned(), index });
    }
    if !(abi::SCORE_POINTS_MIN..=abi::SCORE_POINTS_MAX).contains(&points) {
        return Err(PluginCallError::ScoreOutOfRange { plugin: plugin.to_owned(), index, points });
    }
    // A negative zero is in the range by comparison; it is kept as zero, which prints "0".
    let points = if points == 0.0 { 0.0 } else { points };
    let bad =
        |reason: String| PluginCallError::BadReason { plugin: plugin.to_owned(), index, reason };
    let reason_count = output.reason_count as usize;
    if abi::REASONS_MAX < reason_count {
        return Err(bad(format!("{reason_count} reason codes, at most {}", abi::REASONS_MAX)));
    }
    let mut reasons = Vec::with_capacity(reason_count);
    for code in output.reasons.iter().take(reason_count) {
        reasons.push(check_reason(code, declared).map_err(bad)?);
    }
    Ok(PluginScore { points, reasons })
}

/// Returns true if and only if `text` is non-empty ASCII without control characters: what
/// the host accepts as a reason code or template id, which are stored and printed as they
/// are (a NUL byte or a terminal escape sequence in them would reach reports and terminals).
fn printable_ascii(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii() && !byte.is_ascii_control())
}

/// The characters a reason code may not start with: a spreadsheet opening a file that holds
/// the code (the scores of `arrears score`, a report) takes a cell starting with one of them
/// as a formula and runs it (CSV or formula injection, OWASP; a tab and a carriage return,
/// the other two characters OWASP lists, are control characters, refused anyway).
const REASON_CODE_FIRST_REFUSED: [char; 4] = ['=', '+', '-', '@'];

/// A reason code: non-empty ASCII without control characters within its buffer, not starting
/// with one of [`REASON_CODE_FIRST_REFUSED`], and, if the instance declared a list, on it.
fn check_reason(
    code: &abi::ReasonCode,
    declared: Option<&HashSet<String>>,
) -> Result<String, String> {
    let bytes = code
        .bytes
        .get(..code.len_bytes as usize)
        .ok_or_else(|| format!("reason code longer than {} bytes", abi::REASON_CODE_BYTES_MAX))?;
    let text = match std::str::from_utf8(bytes) {
        Ok(text) if printable_ascii(text) => text,
        _ => return Err("reason code empty, not ASCII or with control characters".to_owned()),
    };
    if let Some(first) = text.chars().next().filter(|c| REASON_CODE_FIRST_REFUSED.contains(c)) {
        return Err(format!(
            "reason code {text:?} starts with {first:?}, which a spreadsheet runs as a formula"
        ));
    }
    if let Some(declared) = declared {
        if !declared.contains(text) {
            return Err(format!("reason code {text:?} is not declared"));
        }
    }
    Ok(text.to_owned())
}

/// The arrays one contact request's input points into.
#[derive(Debug)]
struct ContactArrays {
    steps: Vec<abi::ContactStepInput>,
    points: Vec<abi::ContactPointInput>,
    history: Vec<abi::ContactHistoryEntry>,
}

/// Contact requests in the ABI's layout.
///
/// Invariant: every pointer in `inputs` points into `arrays` (whose heap buffers are never
/// changed after construction, so they do not move when `self` does) or into the requests
/// borrowed for `'a`.
#[derive(Debug)]
pub(super) struct ContactInputs<'a> {
    arrays: Vec<ContactArrays>,
    inputs: Vec<abi::ContactRequestInput>,
    requests: PhantomData<&'a [ContactRequest]>,
}

impl<'a> ContactInputs<'a> {
    /// The inputs of `requests`, with `histories` (empty, or each request's contact history,
    /// oldest first; only the last [`abi::REQUEST_ITEMS_MAX`] entries are passed).
    ///
    /// # Errors
    ///
    /// The first request with more than [`abi::REQUEST_ITEMS_MAX`] steps or contact points,
    /// or a string over [`abi::STRING_BYTES_MAX`].
    pub(super) fn new(
        requests: &'a [ContactRequest],
        histories: &[Vec<ContactAttempt>],
    ) -> Result<ContactInputs<'a>, BadInput> {
        let mut arrays = Vec::with_capacity(requests.len());
        for (offset, request) in requests.iter().enumerate() {
            check_contact_request(request).map_err(|reason| BadInput { offset, reason })?;
            let past = histories.get(offset).map_or(&[][..], Vec::as_slice);
            let past = past.get(past.len().saturating_sub(abi::REQUEST_ITEMS_MAX)..).unwrap_or(&[]);
            arrays.push(ContactArrays {
                steps: step_inputs(request),
                points: contact_point_inputs(request),
                history: history_entries(past),
            });
        }
        let inputs = requests
            .iter()
            .zip(&arrays)
            .map(|(request, arrays)| contact_request_input(request, arrays))
            .collect();
        Ok(ContactInputs { arrays, inputs, requests: PhantomData })
    }

    /// The inputs, as the ABI lays them out.
    pub(super) fn as_slice(&self) -> &[abi::ContactRequestInput] {
        debug_assert_eq!(self.arrays.len(), self.inputs.len());
        &self.inputs
    }

    /// The number of proposal outputs the host passes: [`PROPOSALS_PER_REQUEST_MAX`] per
    /// request.
    pub(super) fn output_capacity(&self) -> usize {
        self.inputs.len() * PROPOSALS_PER_REQUEST_MAX
    }
}

fn check_contact_request(request: &ContactRequest) -> Result<(), &'static str> {
    if abi::REQUEST_ITEMS_MAX < request.steps.len().max(request.contact_points.len()) {
        return Err("more than REQUEST_ITEMS_MAX items");
    }
    let too_long = request.steps.iter().any(|step| abi::STRING_BYTES_MAX < step.template.len())
        || request.contact_points.iter().any(|point| abi::STRING_BYTES_MAX < point.address.len());
    if too_long {
        return Err("string longer than STRING_BYTES_MAX");
    }
    Ok(())
}

fn step_inputs(request: &ContactRequest) -> Vec<abi::ContactStepInput> {
    request
        .steps
        .iter()
        .map(|step| abi::ContactStepInput {
            template: StrRef::from_str(&step.template),
            channel: channel_code(step.channel),
            tone: step.tone.map_or(abi::TONE_NONE, arrears_core::message::Tone::code),
        })
        .collect()
}

fn contact_point_inputs(request: &ContactRequest) -> Vec<abi::ContactPointInput> {
    request
        .contact_points
        .iter()
        .map(|point| abi::ContactPointInput {
            address: StrRef::from_str(&point.address),
            channel: channel_code(point.channel),
            kind: match point.kind {
                ContactPointKind::Personal => abi::CONTACT_POINT_PERSONAL,
                ContactPointKind::Work => abi::CONTACT_POINT_WORK,
                ContactPointKind::EmployerProvided => abi::CONTACT_POINT_EMPLOYER_PROVIDED,
            },
            consent: u8::from(point.consent),
            opted_out: u8::from(point.opted_out),
            reserved: [0; 6],
        })
        .collect()
}

fn history_entries(past: &[ContactAttempt]) -> Vec<abi::ContactHistoryEntry> {
    past.iter()
        .map(|attempt| abi::ContactHistoryEntry {
            at_unix_us: attempt.at.timestamp_micros(),
            channel: channel_code(attempt.channel),
            right_party: u8::from(matches!(
                attempt.outcome,
                ContactOutcome::RightParty
                    | ContactOutcome::PromiseCaptured
                    | ContactOutcome::DisputeRaised
                    | ContactOutcome::PaymentTaken
            )),
            inbound: u8::from(attempt.inbound),
            reserved: [0; 2],
        })
        .collect()
}

fn contact_request_input(
    request: &ContactRequest,
    arrays: &ContactArrays,
) -> abi::ContactRequestInput {
    abi::ContactRequestInput {
        debtor_id: request.debtor.0,
        as_of_days: days_since_epoch(request.as_of),
        utc_offset_minutes: utc_offset_minutes(request),
        score_points: request.score.as_ref().map_or(0.0, |score| score.points),
        has_score: u32::from(request.score.is_some()),
        reserved: 0,
        steps: arrays.steps.as_ptr(),
        step_count: arrays.steps.len(),
        contact_points: arrays.points.as_ptr(),
        contact_point_count: arrays.points.len(),
        history: arrays.history.as_ptr(),
        history_count: arrays.history.len(),
    }
}

/// The validated proposals of a `propose_contacts_batch` call on `requests`, whose host-owned
/// outputs were `outputs` (the capacity passed).
///
/// # Errors
///
/// [`PluginCallError`] if the plugin reported more outputs than the capacity, or for the
/// first invalid proposal.
pub(super) fn check_proposals(
    plugin: &str,
    requests: &[ContactRequest],
    outputs: &[abi::ContactProposalOutput],
    count: usize,
) -> Result<Vec<ContactProposal>, PluginCallError> {
    let capacity = outputs.len();
    if capacity < count {
        return Err(PluginCallError::TooManyOutputs {
            plugin: plugin.to_owned(),
            count,
            count_max: capacity,
        });
    }
    let mut per_request = vec![0usize; requests.len()];
    let mut proposals = Vec::with_capacity(count);
    for (index, output) in outputs.iter().take(count).enumerate() {
        proposals.push(check_proposal(plugin, index, output, requests, &mut per_request)?);
    }
    Ok(proposals)
}

/// Proposal `index`: a request that has room for it (counted in `per_request`), a known
/// channel equal to that of an existing contact point, a template id and a time in the window.
fn check_proposal(
    plugin: &str,
    index: usize,
    output: &abi::ContactProposalOutput,
    requests: &[ContactRequest],
    per_request: &mut [usize],
) -> Result<ContactProposal, PluginCallError> {
    let bad =
        |reason: String| PluginCallError::BadProposal { plugin: plugin.to_owned(), index, reason };
    let request_index = output.request_index as usize;
    let (Some(request), Some(proposed)) =
        (requests.get(request_index), per_request.get_mut(request_index))
    else {
        return Err(bad(format!("no request {request_index}")));
    };
    *proposed += 1;
    if PROPOSALS_PER_REQUEST_MAX < *proposed {
        return Err(bad("more than PROPOSALS_PER_REQUEST_MAX for a request".to_owned()));
    }
    let Some(channel) = channel_from_code(output.channel) else {
        return Err(bad(format!("unknown channel {}", output.channel)));
    };
    let Some(point) = request.contact_points.get(output.contact_point_index as usize) else {
        return Err(bad(format!("no contact point {}", output.contact_point_index)));
    };
    if point.channel != channel {
        return Err(bad(format!(
            "channel {} is not the contact point's ({})",
            channel.name(),
            point.channel.name()
        )));
    }
    let Some(template) = proposal_template(output) else {
        return Err(bad(
            "template id empty, too long, not ASCII or with control characters".to_owned()
        ));
    };
    let Some(at) = proposal_time(request, output) else {
        return Err(PluginCallError::BadTime {
            plugin: plugin.to_owned(),
            index,
            at_unix_us: output.at_unix_us,
        });
    };
    let tone = match output.tone {
        abi::TONE_NONE => None,
        code => match arrears_core::message::Tone::from_code(code) {
            Some(tone) => Some(tone),
            None => return Err(bad(format!("unknown tone {code}"))),
        },
    };
    Ok(ContactProposal {
        debtor: request.debtor,
        accounts: request.accounts.clone(),
        channel,
        address: point.address.clone(),
        template: template.to_owned(),
        at,
        tone,
    })
}

/// The template id: non-empty ASCII without control characters within its buffer.
fn proposal_template(output: &abi::ContactProposalOutput) -> Option<&str> {
    output
        .template
        .get(..output.template_len_bytes as usize)
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .filter(|text| printable_ascii(text))
}

/// The proposed time, if it is in the review date's
/// [`proposal_window`](arrears_core::strategy::proposal_window): the same rule the engine
/// applies to every strategy, so what the host passes the engine does not refuse for its time.
fn proposal_time(
    request: &ContactRequest,
    output: &abi::ContactProposalOutput,
) -> Option<DateTime<Utc>> {
    let window = arrears_core::strategy::proposal_window(request.as_of)?;
    DateTime::<Utc>::from_timestamp_micros(output.at_unix_us).filter(|at| window.contains(at))
}

/// The three ASCII letters of `currency` (every code in the engine's table has three).
fn currency_code(currency: Currency) -> [u8; 3] {
    match currency.code().as_bytes() {
        &[a, b, c] => [a, b, c],
        _ => *b"XXX",
    }
}

fn days_since_epoch(day: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((day - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The UTC offset of the debtor's likeliest time zone at noon UTC on the review date.
fn utc_offset_minutes(request: &ContactRequest) -> i32 {
    let zone = request.time_zones.first().and_then(|zone| zone.parse::<chrono_tz::Tz>().ok());
    let noon = request.as_of.and_hms_opt(12, 0, 0).map(|noon| noon.and_utc());
    match (zone, noon) {
        (Some(zone), Some(noon)) => {
            zone.offset_from_utc_datetime(&noon.naive_utc()).fix().local_minus_utc() / 60
        }
        _ => 0,
    }
}

/// The ABI's code of a channel (`abi::CHANNEL_*`), as the host passes it to plugins.
///
/// ```
/// use arrears::model::ContactChannel;
/// use arrears::plugin_host::channel_code;
/// assert_ne!(channel_code(ContactChannel::Email), channel_code(ContactChannel::Sms));
/// ```
pub fn channel_code(channel: ContactChannel) -> u32 {
    match channel {
        ContactChannel::Phone => abi::CHANNEL_PHONE,
        ContactChannel::Sms => abi::CHANNEL_SMS,
        ContactChannel::Email => abi::CHANNEL_EMAIL,
        ContactChannel::Postal => abi::CHANNEL_POSTAL,
        ContactChannel::Messaging => abi::CHANNEL_MESSAGING,
    }
}

fn channel_from_code(code: u32) -> Option<ContactChannel> {
    Some(match code {
        abi::CHANNEL_PHONE => ContactChannel::Phone,
        abi::CHANNEL_SMS => ContactChannel::Sms,
        abi::CHANNEL_EMAIL => ContactChannel::Email,
        abi::CHANNEL_POSTAL => ContactChannel::Postal,
        abi::CHANNEL_MESSAGING => ContactChannel::Messaging,
        _ => return None,
    })
}
