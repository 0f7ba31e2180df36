//! Loading packs from TOML: the raw (spanned) shape of a file, its validation into a [`Pack`],
//! and errors located by file, line and field through the loader shared with policies
//! (`crate::located_toml`).

use std::ops::Range;

use chrono::NaiveTime;
use serde::Deserialize;
use toml::Spanned;

use super::{
    ActionKind, ChannelGroup, Counts, DayWindow, Flag, Pack, Recipient, Rule, RuleKind, Scope,
    Status, RULES_MAX, WINDOW_DAYS_MAX,
};
use crate::holidays::Calendar;
use crate::located_toml::{LocatedError, TomlSource};
use crate::model::ContactPointKind;

/// Longest free text of a pack or rule (name, citation, scope, summary, note), in bytes.
pub const PACK_TEXT_LEN_MAX: usize = 1_024;
/// Longest pack id, in bytes.
const PACK_ID_LEN_MAX: usize = 32;
/// Longest rule id, pack prefix included, in bytes.
const RULE_ID_LEN_MAX: usize = 96;
/// Longest cool-down, consent period or wait, in days.
const PERIOD_DAYS_MAX: i64 = 366;
/// Largest `max` of a counting rule.
const COUNT_MAX: i64 = 10_000;

const ID_RULE: &str = "use 1 to 32 characters among a-z, 0-9 and '-', starting with a letter";
const RULE_ID_RULE: &str = "write the pack id, a dot, then 1 or more characters among a-z, 0-9 \
                            and '-' (at most 96 in all)";
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A pack file failed to load: where, and why.
///
/// Displayed as `file:line: field: reason`, for example
/// `co.toml:12: rule[1].max: 0 is out of range 1..=10000`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
#[non_exhaustive]
pub struct PackError {
    /// The file name given to [`Pack::from_toml`].
    pub file: String,
    /// 1-based line of the offending key or value (of the table for a missing key).
    pub line: usize,
    /// Path of the field, such as `rule[2].max` (0-based indexes, in file order);
    /// `(document)` when no field applies.
    pub field: String,
    /// Why.
    pub reason: PackErrorReason,
}

/// Why a pack failed to load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackErrorReason {
    /// The text is not valid TOML.
    #[error("invalid toml: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// The TOML does not have a pack's shape: an unknown field, a missing required field, a
    /// value of the wrong type, or an unknown name (kind, channel, status, flag...).
    #[error("{message}")]
    Schema {
        /// The deserializer's message.
        message: String,
    },
    /// A number outside its allowed range.
    #[error("{value} is out of range {min}..={max}")]
    OutOfRange {
        /// The value as given.
        value: i64,
        /// The smallest allowed value.
        min: i64,
        /// The largest allowed value.
        max: i64,
    },
    /// An empty list or text where something is needed.
    #[error("must not be empty")]
    Empty,
    /// A list longer than its limit.
    #[error("{count} entries, at most {count_max}")]
    TooMany {
        /// Entries given.
        count: usize,
        /// The limit.
        count_max: usize,
    },
    /// A text longer than its limit.
    #[error("{len_bytes} bytes, at most {len_bytes_max}")]
    TooLong {
        /// Bytes given.
        len_bytes: usize,
        /// The limit.
        len_bytes_max: usize,
    },
    /// A value given twice where values must be unique.
    #[error("{name:?} appears twice (first at line {first_line})")]
    Duplicate {
        /// The repeated value.
        name: String,
        /// Line of the first occurrence.
        first_line: usize,
    },
    /// A reference to something that does not exist.
    #[error("unknown {what} {name:?}")]
    Unknown {
        /// What kind of name (`built-in pack`, `inherited rule`).
        what: &'static str,
        /// The name as written.
        name: String,
    },
    /// An id that breaks its format.
    #[error("{id:?} is not a valid id: {rule}")]
    InvalidId {
        /// The id as written.
        id: String,
        /// The format rule.
        rule: &'static str,
    },
    /// A field that the rule's kind does not use.
    #[error("does not apply to a {kind} rule")]
    NotApplicable {
        /// The rule's kind.
        kind: &'static str,
    },
    /// A field that the rule's kind needs.
    #[error("required by a {kind} rule")]
    Missing {
        /// The rule's kind.
        kind: &'static str,
    },
    /// A day window that is not `HH:MM-HH:MM` with the opening first.
    #[error("{text:?} is not a window such as \"08:00-21:00\" (opening before closing)")]
    InvalidWindow {
        /// The text as written.
        text: String,
    },
    /// A rule between keys is broken.
    #[error("{rule}")]
    Constraint {
        /// The rule, as a message.
        rule: &'static str,
    },
}

// ---------------------------------------------------------------------------------------------
// Raw (spanned) shape of a file
// ---------------------------------------------------------------------------------------------

type SpannedList<T> = Spanned<Vec<Spanned<T>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    id: Spanned<String>,
    name: Spanned<String>,
    citation: Spanned<String>,
    #[serde(default)]
    scope: Option<Spanned<String>>,
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    remove: Option<SpannedList<String>>,
    #[serde(default)]
    rule: Option<SpannedList<RawRule>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindName {
    FrequencyCap,
    Cooldown,
    Hours,
    FlagBlock,
    ContactBlock,
    OptOut,
    RequireConsent,
    ChannelsPerWeek,
    CreditReportNotice,
}

impl KindName {
    fn name(self) -> &'static str {
        match self {
            KindName::FrequencyCap => "frequency_cap",
            KindName::Cooldown => "cooldown",
            KindName::Hours => "hours",
            KindName::FlagBlock => "flag_block",
            KindName::ContactBlock => "contact_block",
            KindName::OptOut => "opt_out",
            KindName::RequireConsent => "require_consent",
            KindName::ChannelsPerWeek => "channels_per_week",
            KindName::CreditReportNotice => "credit_report_notice",
        }
    }

    /// The optional fields the kind uses, besides the common ones.
    fn fields(self) -> &'static [&'static str] {
        const FILTERS: [&str; 4] = ["actions", "channels", "recipients", "address_kinds"];
        match self {
            KindName::FrequencyCap => &[
                "actions",
                "channels",
                "recipients",
                "address_kinds",
                "scope",
                "window_days",
                "max",
                "counts",
                "consent_days",
            ],
            KindName::Cooldown => &[
                "actions",
                "channels",
                "recipients",
                "address_kinds",
                "trigger_channels",
                "days",
                "consent_days",
            ],
            KindName::Hours => &[
                "actions",
                "channels",
                "recipients",
                "address_kinds",
                "mon",
                "tue",
                "wed",
                "thu",
                "fri",
                "sat",
                "sun",
                "holidays",
            ],
            KindName::FlagBlock | KindName::ContactBlock => {
                &["actions", "channels", "recipients", "address_kinds", "flag"]
            }
            KindName::OptOut | KindName::RequireConsent => &FILTERS,
            KindName::ChannelsPerWeek => {
                &["actions", "channels", "recipients", "address_kinds", "max", "counts"]
            }
            KindName::CreditReportNotice => &["wait_days", "conversation_suffices"],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    kind: Spanned<KindName>,
    status: Spanned<Status>,
    citation: Spanned<String>,
    summary: Spanned<String>,
    #[serde(default)]
    note: Option<Spanned<String>>,
    #[serde(default)]
    actions: Option<SpannedList<ActionKind>>,
    #[serde(default)]
    channels: Option<SpannedList<ChannelGroup>>,
    #[serde(default)]
    recipients: Option<SpannedList<Recipient>>,
    #[serde(default)]
    address_kinds: Option<SpannedList<ContactPointKind>>,
    #[serde(default)]
    scope: Option<Spanned<Scope>>,
    #[serde(default)]
    window_days: Option<Spanned<i64>>,
    #[serde(default)]
    max: Option<Spanned<i64>>,
    #[serde(default)]
    counts: Option<Spanned<Counts>>,
    #[serde(default)]
    consent_days: Option<Spanned<i64>>,
    #[serde(default)]
    trigger_channels: Option<SpannedList<ChannelGroup>>,
    #[serde(default)]
    days: Option<Spanned<i64>>,
    #[serde(default)]
    mon: Option<Spanned<String>>,
    #[serde(default)]
    tue: Option<Spanned<String>>,
    #[serde(default)]
    wed: Option<Spanned<String>>,
    #[serde(default)]
    thu: Option<Spanned<String>>,
    #[serde(default)]
    fri: Option<Spanned<String>>,
    #[serde(default)]
    sat: Option<Spanned<String>>,
    #[serde(default)]
    sun: Option<Spanned<String>>,
    #[serde(default)]
    holidays: Option<Spanned<Calendar>>,
    #[serde(default)]
    flag: Option<Spanned<Flag>>,
    #[serde(default)]
    wait_days: Option<Spanned<i64>>,
    #[serde(default)]
    conversation_suffices: Option<Spanned<bool>>,
}

impl RawRule {
    /// The optional fields present, by name, with their spans.
    fn present(&self) -> Vec<(&'static str, Range<usize>)> {
        let mut present = Vec::new();
        let mut add = |name: &'static str, span: Option<Range<usize>>| {
            if let Some(span) = span {
                present.push((name, span));
            }
        };
        add("actions", self.actions.as_ref().map(Spanned::span));
        add("channels", self.channels.as_ref().map(Spanned::span));
        add("recipients", self.recipients.as_ref().map(Spanned::span));
        add("address_kinds", self.address_kinds.as_ref().map(Spanned::span));
        add("scope", self.scope.as_ref().map(Spanned::span));
        add("window_days", self.window_days.as_ref().map(Spanned::span));
        add("max", self.max.as_ref().map(Spanned::span));
        add("counts", self.counts.as_ref().map(Spanned::span));
        add("consent_days", self.consent_days.as_ref().map(Spanned::span));
        add("trigger_channels", self.trigger_channels.as_ref().map(Spanned::span));
        add("days", self.days.as_ref().map(Spanned::span));
        for (name, day) in DAYS.iter().zip(self.day_windows()) {
            add(name, day.map(Spanned::span));
        }
        add("holidays", self.holidays.as_ref().map(Spanned::span));
        add("flag", self.flag.as_ref().map(Spanned::span));
        add("wait_days", self.wait_days.as_ref().map(Spanned::span));
        add("conversation_suffices", self.conversation_suffices.as_ref().map(Spanned::span));
        present
    }

    fn day_windows(&self) -> [Option<&Spanned<String>>; 7] {
        [
            self.mon.as_ref(),
            self.tue.as_ref(),
            self.wed.as_ref(),
            self.thu.as_ref(),
            self.fri.as_ref(),
            self.sat.as_ref(),
            self.sun.as_ref(),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// Loads a pack; `builtins` resolves `extends` (`None` while the built-ins themselves load).
pub(super) fn load(text: &str, file: &str, builtins: Option<&[Pack]>) -> Result<Pack, PackError> {
    Loader { source: TomlSource::new(file, text) }.load(builtins)
}

/// What a rule applies to: its actions, channels, recipients and kinds of address.
struct RuleFilters {
    actions: Vec<ActionKind>,
    channels: Vec<ChannelGroup>,
    recipients: Vec<Recipient>,
    address_kinds: Vec<ContactPointKind>,
}

struct Loader<'a> {
    source: TomlSource<'a>,
}

impl LocatedError for PackError {
    type Reason = PackErrorReason;

    fn located(file: String, line: usize, field: String, reason: PackErrorReason) -> PackError {
        PackError { file, line, field, reason }
    }

    fn syntax(message: String) -> PackErrorReason {
        PackErrorReason::Syntax { message }
    }

    fn schema(message: String) -> PackErrorReason {
        PackErrorReason::Schema { message }
    }
}

impl Loader<'_> {
    fn load(&self, builtins: Option<&[Pack]>) -> Result<Pack, PackError> {
        let raw: RawPack = self.source.deserialize()?;
        self.pack(&raw, builtins)
    }

    fn line(&self, offset: usize) -> usize {
        self.source.line(offset)
    }

    #[cold]
    fn error(&self, span: Range<usize>, field: &str, reason: PackErrorReason) -> PackError {
        self.source.error(span, field, reason)
    }

    // -- Scalars ------------------------------------------------------------------------------

    fn integer(
        &self,
        value: &Spanned<i64>,
        field: &str,
        min: i64,
        max: i64,
    ) -> Result<u32, PackError> {
        let number = *value.get_ref();
        match u32::try_from(number) {
            Ok(converted) if (min..=max).contains(&number) => Ok(converted),
            _ => {
                let reason = PackErrorReason::OutOfRange { value: number, min, max };
                Err(self.error(value.span(), field, reason))
            }
        }
    }

    fn text(&self, value: &Spanned<String>, field: &str) -> Result<String, PackError> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.error(value.span(), field, PackErrorReason::Empty));
        }
        if PACK_TEXT_LEN_MAX < text.len() {
            let reason = PackErrorReason::TooLong {
                len_bytes: text.len(),
                len_bytes_max: PACK_TEXT_LEN_MAX,
            };
            return Err(self.error(value.span(), field, reason));
        }
        Ok(text.to_owned())
    }

    fn pack_id(&self, value: &Spanned<String>, field: &str) -> Result<String, PackError> {
        let id = value.get_ref();
        let valid = (1..=PACK_ID_LEN_MAX).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(id.clone())
        } else {
            let reason = PackErrorReason::InvalidId { id: id.clone(), rule: ID_RULE };
            Err(self.error(value.span(), field, reason))
        }
    }

    /// A list's entries, non-empty and free of duplicates.
    fn list<T: Copy + PartialEq>(
        &self,
        list: &SpannedList<T>,
        field: &str,
        name_of: fn(T) -> &'static str,
    ) -> Result<Vec<T>, PackError> {
        let entries = list.get_ref();
        if entries.is_empty() {
            return Err(self.error(list.span(), field, PackErrorReason::Empty));
        }
        let mut values: Vec<(T, usize)> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let value = *entry.get_ref();
            if let Some((_, first_start)) = values.iter().find(|(known, _)| *known == value) {
                let reason = PackErrorReason::Duplicate {
                    name: name_of(value).to_owned(),
                    first_line: self.line(*first_start),
                };
                return Err(self.error(entry.span(), &format!("{field}[{index}]"), reason));
            }
            values.push((value, entry.span().start));
        }
        Ok(values.into_iter().map(|(value, _)| value).collect())
    }

    fn window(&self, value: &Spanned<String>, field: &str) -> Result<DayWindow, PackError> {
        let text = value.get_ref();
        let parsed = text.split_once('-').and_then(|(open, close)| {
            let open = NaiveTime::parse_from_str(open.trim(), "%H:%M").ok()?;
            let close = NaiveTime::parse_from_str(close.trim(), "%H:%M").ok()?;
            (open < close).then_some(DayWindow { open, close })
        });
        parsed.ok_or_else(|| {
            let reason = PackErrorReason::InvalidWindow { text: text.clone() };
            self.error(value.span(), field, reason)
        })
    }

    // -- Sections -----------------------------------------------------------------------------

    fn pack(&self, raw: &RawPack, builtins: Option<&[Pack]>) -> Result<Pack, PackError> {
        let id = self.pack_id(&raw.id, "id")?;
        let name = self.text(&raw.name, "name")?;
        let citation = self.text(&raw.citation, "citation")?;
        let scope = raw.scope.as_ref().map(|scope| self.text(scope, "scope")).transpose()?;
        let rules = self.extended_rules(raw, builtins)?;
        let inherited: Vec<String> = rules.iter().map(|rule| rule.id.clone()).collect();
        let mut rules = self.remove_rules(raw, rules)?;
        if let Some(list) = &raw.rule {
            self.own_rules(list, &id, &inherited, &mut rules)?;
        }
        if rules.is_empty() {
            let span = raw.rule.as_ref().map_or(0..0, Spanned::span);
            return Err(self.error(span, "rule", PackErrorReason::Empty));
        }
        Ok(Pack { id, name, citation, scope, rules })
    }

    /// The rules of the built-in pack that `extends` names; none without `extends`.
    fn extended_rules(
        &self,
        raw: &RawPack,
        builtins: Option<&[Pack]>,
    ) -> Result<Vec<Rule>, PackError> {
        let Some(extends) = &raw.extends else { return Ok(Vec::new()) };
        let base =
            builtins.unwrap_or(&[]).iter().find(|pack| pack.id() == extends.get_ref()).ok_or_else(
                || {
                    let reason = PackErrorReason::Unknown {
                        what: "built-in pack",
                        name: extends.get_ref().clone(),
                    };
                    self.error(extends.span(), "extends", reason)
                },
            )?;
        Ok(base.rules().to_vec())
    }

    /// `rules` without those `remove` lists, each of which must be inherited.
    fn remove_rules(&self, raw: &RawPack, mut rules: Vec<Rule>) -> Result<Vec<Rule>, PackError> {
        let Some(remove) = &raw.remove else { return Ok(rules) };
        if raw.extends.is_none() {
            let rule = "remove needs extends: it drops rules of the extended pack";
            return Err(self.error(remove.span(), "remove", PackErrorReason::Constraint { rule }));
        }
        for (index, entry) in remove.get_ref().iter().enumerate() {
            let field = format!("remove[{index}]");
            let before = rules.len();
            rules.retain(|rule| rule.id != *entry.get_ref());
            if rules.len() == before {
                let reason = PackErrorReason::Unknown {
                    what: "inherited rule",
                    name: entry.get_ref().clone(),
                };
                return Err(self.error(entry.span(), &field, reason));
            }
        }
        Ok(rules)
    }

    /// Adds the pack's own `[[rule]]`s to `rules`: a rule with an inherited id replaces that
    /// rule, an id may appear once, and the total stays within `RULES_MAX`.
    fn own_rules(
        &self,
        list: &SpannedList<RawRule>,
        pack_id: &str,
        inherited: &[String],
        rules: &mut Vec<Rule>,
    ) -> Result<(), PackError> {
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (index, raw_rule) in list.get_ref().iter().enumerate() {
            let field = format!("rule[{index}]");
            let rule = self.rule(raw_rule.get_ref(), &field, pack_id, inherited)?;
            let id_start = raw_rule.get_ref().id.span().start;
            if let Some((_, first_start)) = seen.iter().find(|(known, _)| *known == rule.id) {
                let reason = PackErrorReason::Duplicate {
                    name: rule.id.clone(),
                    first_line: self.line(*first_start),
                };
                let span = raw_rule.get_ref().id.span();
                return Err(self.error(span, &format!("{field}.id"), reason));
            }
            seen.push((rule.id.clone(), id_start));
            match rules.iter_mut().find(|known| known.id == rule.id) {
                Some(known) => *known = rule,
                None => rules.push(rule),
            }
        }
        if RULES_MAX < rules.len() {
            let reason = PackErrorReason::TooMany { count: rules.len(), count_max: RULES_MAX };
            return Err(self.error(list.span(), "rule", reason));
        }
        Ok(())
    }

    fn rule(
        &self,
        raw: &RawRule,
        field: &str,
        pack_id: &str,
        inherited: &[String],
    ) -> Result<Rule, PackError> {
        let id = self.rule_id(raw, field, pack_id, inherited)?;
        let kind_name = *raw.kind.get_ref();
        for (name, span) in raw.present() {
            if !kind_name.fields().contains(&name) {
                let reason = PackErrorReason::NotApplicable { kind: kind_name.name() };
                return Err(self.error(span, &format!("{field}.{name}"), reason));
            }
        }
        let filters = self.filters(raw, field)?;
        let consent_days = raw
            .consent_days
            .as_ref()
            .map(|days| self.integer(days, &format!("{field}.consent_days"), 1, PERIOD_DAYS_MAX))
            .transpose()?;
        let kind = self.rule_kind(raw, field, consent_days)?;
        Ok(Rule {
            id,
            status: *raw.status.get_ref(),
            citation: self.text(&raw.citation, &format!("{field}.citation"))?,
            summary: self.text(&raw.summary, &format!("{field}.summary"))?,
            note: raw
                .note
                .as_ref()
                .map(|note| self.text(note, &format!("{field}.note")))
                .transpose()?,
            actions: filters.actions,
            channels: filters.channels,
            recipients: filters.recipients,
            address_kinds: filters.address_kinds,
            kind,
        })
    }

    /// A rule id: the pack's own prefix, or an inherited rule's id (to replace that rule).
    fn rule_id(
        &self,
        raw: &RawRule,
        field: &str,
        pack_id: &str,
        inherited: &[String],
    ) -> Result<String, PackError> {
        let id = raw.id.get_ref();
        let prefix = format!("{pack_id}.");
        let well_formed = id.len() <= RULE_ID_LEN_MAX
            && id.split_once('.').is_some_and(|(pack, name)| {
                !pack.is_empty()
                    && !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if !well_formed || !(id.starts_with(&prefix) || inherited.contains(id)) {
            let reason = PackErrorReason::InvalidId { id: id.clone(), rule: RULE_ID_RULE };
            return Err(self.error(raw.id.span(), &format!("{field}.id"), reason));
        }
        Ok(id.clone())
    }

    /// The error for a key that the rule's kind needs and the rule leaves out; it points at
    /// the rule's `kind`.
    #[cold]
    fn missing(&self, raw: &RawRule, field: &str, name: &str) -> PackError {
        let reason = PackErrorReason::Missing { kind: raw.kind.get_ref().name() };
        self.error(raw.kind.span(), &format!("{field}.{name}"), reason)
    }

    /// What a rule applies to, each list defaulting to everything the kind can apply to.
    fn filters(&self, raw: &RawRule, field: &str) -> Result<RuleFilters, PackError> {
        let kind_name = *raw.kind.get_ref();
        let actions = match &raw.actions {
            Some(list) => self.list(list, &format!("{field}.actions"), ActionKind::name)?,
            None if kind_name == KindName::FlagBlock => {
                return Err(self.missing(raw, field, "actions"))
            }
            None if kind_name == KindName::CreditReportNotice => vec![ActionKind::CreditReport],
            None => ActionKind::COMMUNICATIONS.to_vec(),
        };
        let channels = match &raw.channels {
            Some(list) => self.list(list, &format!("{field}.channels"), ChannelGroup::name)?,
            None => ChannelGroup::ALL.to_vec(),
        };
        let recipients = match &raw.recipients {
            Some(list) => self.list(list, &format!("{field}.recipients"), Recipient::name)?,
            None => Recipient::ALL.to_vec(),
        };
        let address_kinds = match &raw.address_kinds {
            Some(list) => self.list(list, &format!("{field}.address_kinds"), address_kind_name)?,
            None => vec![
                ContactPointKind::Personal,
                ContactPointKind::Work,
                ContactPointKind::EmployerProvided,
            ],
        };
        Ok(RuleFilters { actions, channels, recipients, address_kinds })
    }

    /// The kind-specific part of a rule, with the keys its kind needs.
    fn rule_kind(
        &self,
        raw: &RawRule,
        field: &str,
        consent_days: Option<u32>,
    ) -> Result<RuleKind, PackError> {
        let missing = |name: &str| self.missing(raw, field, name);
        let kind = match *raw.kind.get_ref() {
            KindName::FrequencyCap => {
                let scope = *raw.scope.as_ref().ok_or_else(|| missing("scope"))?.get_ref();
                let window = raw.window_days.as_ref().ok_or_else(|| missing("window_days"))?;
                let window_max = i64::from(WINDOW_DAYS_MAX);
                let window_days =
                    self.integer(window, &format!("{field}.window_days"), 1, window_max)?;
                let max = raw.max.as_ref().ok_or_else(|| missing("max"))?;
                let max = self.integer(max, &format!("{field}.max"), 1, COUNT_MAX)?;
                let counts = *raw.counts.as_ref().ok_or_else(|| missing("counts"))?.get_ref();
                RuleKind::FrequencyCap { scope, window_days, max, counts, consent_days }
            }
            KindName::Cooldown => {
                let triggers =
                    raw.trigger_channels.as_ref().ok_or_else(|| missing("trigger_channels"))?;
                let trigger_channels =
                    self.list(triggers, &format!("{field}.trigger_channels"), ChannelGroup::name)?;
                let days = raw.days.as_ref().ok_or_else(|| missing("days"))?;
                let days = self.integer(days, &format!("{field}.days"), 1, PERIOD_DAYS_MAX)?;
                RuleKind::Cooldown { trigger_channels, days, consent_days }
            }
            KindName::Hours => self.hours(raw, field)?,
            KindName::FlagBlock => {
                let flag = *raw.flag.as_ref().ok_or_else(|| missing("flag"))?.get_ref();
                RuleKind::FlagBlock { flag }
            }
            KindName::ContactBlock => {
                RuleKind::ContactBlock { flag: raw.flag.as_ref().map(|flag| *flag.get_ref()) }
            }
            KindName::OptOut => RuleKind::OptOut,
            KindName::RequireConsent => RuleKind::RequireConsent,
            KindName::ChannelsPerWeek => {
                let max = raw.max.as_ref().ok_or_else(|| missing("max"))?;
                let max_channels = i64::try_from(ChannelGroup::ALL.len()).unwrap_or(i64::MAX);
                let max = self.integer(max, &format!("{field}.max"), 1, max_channels)?;
                let counts = *raw.counts.as_ref().ok_or_else(|| missing("counts"))?.get_ref();
                RuleKind::ChannelsPerWeek { max, counts }
            }
            KindName::CreditReportNotice => {
                let wait = raw.wait_days.as_ref().ok_or_else(|| missing("wait_days"))?;
                let wait_days =
                    self.integer(wait, &format!("{field}.wait_days"), 0, PERIOD_DAYS_MAX)?;
                let conversation_suffices = *raw
                    .conversation_suffices
                    .as_ref()
                    .ok_or_else(|| missing("conversation_suffices"))?
                    .get_ref();
                RuleKind::CreditReportNotice { wait_days, conversation_suffices }
            }
        };
        Ok(kind)
    }

    /// An hours rule: the window of each day it opens (at least one), and its holidays.
    fn hours(&self, raw: &RawRule, field: &str) -> Result<RuleKind, PackError> {
        let mut open: [Option<DayWindow>; 7] = [None; 7];
        for ((slot, name), value) in open.iter_mut().zip(DAYS).zip(raw.day_windows()) {
            if let Some(value) = value {
                *slot = Some(self.window(value, &format!("{field}.{name}"))?);
            }
        }
        if open.iter().all(Option::is_none) {
            let rule = "an hours rule opens at least one day (mon to sun); use a contact_block \
                        rule to block everything";
            return Err(self.error(
                raw.kind.span(),
                &format!("{field}.kind"),
                PackErrorReason::Constraint { rule },
            ));
        }
        let holidays = raw.holidays.as_ref().map(|calendar| *calendar.get_ref());
        Ok(RuleKind::Hours { open, holidays })
    }
}

fn address_kind_name(kind: ContactPointKind) -> &'static str {
    match kind {
        ContactPointKind::Personal => "personal",
        ContactPointKind::Work => "work",
        ContactPointKind::EmployerProvided => "employer_provided",
    }
}
