//! Messages as data: templates with a tone and language variants, the content a jurisdiction
//! requires, and rendering a template for one debtor (issue 19 point 1).
//!
//! A policy's `[messages]` section and its `[[template]]` and `[[disclosure]]` tables
//! (`docs/MESSAGES.md`) are loaded with the policy (`policy/templates.rs`), so a template a
//! stage names that lacks a language variant or a variable its tone needs is a load error with
//! its file, line and field, never a surprise when the cycle writes the action.
//!
//! Rendering ([`Messages::render`]) is pure: the caller gives the values ([`Values`]); amounts
//! are formatted exactly from minor units in the account's currency for the language
//! ([`format_amount`]), dates in the language's local order ([`format_date`]).
//!
//! Architecture invariant: nothing here reads the clock, a file or the environment.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::compliance::Status;
use crate::model::ContactChannel;
use crate::money::Currency;
use crate::policy::{Creditor, JurisdictionPattern};

/// Most templates one policy may define.
pub const TEMPLATES_MAX: usize = 256;
/// Most disclosures one policy may define.
pub const DISCLOSURES_MAX: usize = 64;
/// Longest text of one language variant, in bytes (a letter fits; an SMS is much shorter).
pub const TEMPLATE_TEXT_BYTES_MAX: usize = 8192;
/// Most language variants of one template or disclosure.
pub const VARIANTS_MAX: usize = 64;

/// How a message speaks: the tones a policy's templates choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// A friendly reminder (before the due date, or the first days after it).
    Friendly,
    /// A firm request to pay.
    Firm,
    /// The last notice before a serious step (placement, legal referral, charge-off).
    FinalNotice,
    /// An offer of a payment plan.
    PlanOffer,
    /// An offer to settle for less than what is owed.
    SettlementOffer,
}

impl Tone {
    /// Every tone, in the order of its code.
    pub const ALL: [Tone; 5] =
        [Tone::Friendly, Tone::Firm, Tone::FinalNotice, Tone::PlanOffer, Tone::SettlementOffer];

    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Tone::Friendly => "friendly",
            Tone::Firm => "firm",
            Tone::FinalNotice => "final_notice",
            Tone::PlanOffer => "plan_offer",
            Tone::SettlementOffer => "settlement_offer",
        }
    }

    /// The tone named `name` as written in files.
    pub fn from_name(name: &str) -> Option<Tone> {
        Tone::ALL.into_iter().find(|tone| tone.name() == name)
    }

    /// The code of the tone in the plugin ABI (`TONE_*`, from 1; 0 is "no tone").
    pub fn code(self) -> u32 {
        match self {
            Tone::Friendly => 1,
            Tone::Firm => 2,
            Tone::FinalNotice => 3,
            Tone::PlanOffer => 4,
            Tone::SettlementOffer => 5,
        }
    }

    /// The tone of an ABI code, `None` for 0 or an unknown code.
    pub fn from_code(code: u32) -> Option<Tone> {
        Tone::ALL.into_iter().find(|tone| tone.code() == code)
    }

    /// The variables a template of this tone must use in every language: a final notice states
    /// the amount and the date, an offer states what is offered.
    pub fn needs(self) -> &'static [Variable] {
        match self {
            Tone::Friendly | Tone::Firm => &[],
            Tone::FinalNotice => &[Variable::AmountDue, Variable::DueDate],
            Tone::PlanOffer => &[Variable::AmountDue],
            Tone::SettlementOffer => &[Variable::SettlementAmount, Variable::SettlementExpires],
        }
    }
}

/// A value a template may name in braces (`{amount_due}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variable {
    /// The debtor's name.
    Name,
    /// The past-due amount of the accounts the contact is about (before the due date, the
    /// amount coming due), in their currency, formatted for the language.
    AmountDue,
    /// The earliest due date of what is owed, in the language's local format.
    DueDate,
    /// The payment link issued for the action (the policy's `payment_link`, or the
    /// integrator's hook).
    PaymentLink,
    /// The open promise's total.
    PromiseAmount,
    /// The open promise's last date.
    PromiseDate,
    /// The plan's installment.
    PlanInstallment,
    /// The plan's next installment date.
    PlanNextDate,
    /// The open settlement offer's amount.
    SettlementAmount,
    /// The day the open settlement offer expires.
    SettlementExpires,
    /// The invoice the amount and due date refer to: its external reference (`INV-10644`),
    /// else its id (`O7`); empty when the earliest open obligation is not an invoice.
    Invoice,
}

impl Variable {
    /// Every variable.
    pub const ALL: [Variable; 11] = [
        Variable::Name,
        Variable::AmountDue,
        Variable::DueDate,
        Variable::PaymentLink,
        Variable::PromiseAmount,
        Variable::PromiseDate,
        Variable::PlanInstallment,
        Variable::PlanNextDate,
        Variable::SettlementAmount,
        Variable::SettlementExpires,
        Variable::Invoice,
    ];

    /// The name as written in templates, without braces.
    pub fn name(self) -> &'static str {
        match self {
            Variable::Name => "name",
            Variable::AmountDue => "amount_due",
            Variable::DueDate => "due_date",
            Variable::PaymentLink => "payment_link",
            Variable::PromiseAmount => "promise_amount",
            Variable::PromiseDate => "promise_date",
            Variable::PlanInstallment => "plan_installment",
            Variable::PlanNextDate => "plan_next_date",
            Variable::SettlementAmount => "settlement_amount",
            Variable::SettlementExpires => "settlement_expires",
            Variable::Invoice => "invoice",
        }
    }

    /// The variable written `name` in a template.
    pub fn from_name(name: &str) -> Option<Variable> {
        Variable::ALL.into_iter().find(|variable| variable.name() == name)
    }
}

/// A piece of a template's text: literal text, or a variable to fill in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Written as is (`{{` and `}}` in the file are single braces here).
    Text(String),
    /// Replaced by the variable's value.
    Variable(Variable),
}

/// Why a template text does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// `{name}` names no known variable.
    #[error("unknown variable {{{name}}} (known: {known})")]
    UnknownVariable {
        /// The name between the braces.
        name: String,
        /// The known variables, comma separated.
        known: String,
    },
    /// A `{` without its `}`, or a lone `}` (write `{{` and `}}` for braces).
    #[error("unbalanced brace at byte {offset} (write {{{{ and }}}} for a literal brace)")]
    UnbalancedBrace {
        /// Byte offset in the text.
        offset: usize,
    },
}

/// Parses a template text into pieces.
///
/// # Errors
///
/// [`TextError`] for an unknown variable or an unbalanced brace.
///
/// # Example
///
/// ```
/// use arrears_core::message::{parse_text, Piece, Variable};
/// let pieces = parse_text("Hi {name}, {{ok}}")?;
/// assert_eq!(pieces[1], Piece::Variable(Variable::Name));
/// assert_eq!(pieces[2], Piece::Text(", {ok}".to_owned()));
/// # Ok::<(), arrears_core::message::TextError>(())
/// ```
pub fn parse_text(text: &str) -> Result<Vec<Piece>, TextError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text.char_indices().peekable();
    while let Some((offset, character)) = rest.next() {
        match character {
            '{' if rest.peek().is_some_and(|(_, next)| *next == '{') => {
                rest.next();
                literal.push('{');
            }
            '}' if rest.peek().is_some_and(|(_, next)| *next == '}') => {
                rest.next();
                literal.push('}');
            }
            '{' => {
                let close =
                    text[offset..].find('}').ok_or(TextError::UnbalancedBrace { offset })?;
                let name = &text[offset + 1..offset + close];
                let variable = Variable::from_name(name).ok_or_else(|| {
                    TextError::UnknownVariable { name: name.to_owned(), known: known_variables() }
                })?;
                while rest.peek().is_some_and(|(index, _)| *index <= offset + close) {
                    rest.next();
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Variable(variable));
            }
            '}' => return Err(TextError::UnbalancedBrace { offset }),
            _ => literal.push(character),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

fn known_variables() -> String {
    Variable::ALL.map(Variable::name).join(", ")
}

/// One language variant of a template or a disclosure, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The text as written.
    pub text: String,
    /// The text, parsed.
    pub pieces: Vec<Piece>,
}

impl Variant {
    /// The variables the text uses, each once, in [`Variable`] order.
    pub fn variables(&self) -> Vec<Variable> {
        let mut used: Vec<Variable> = self
            .pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Variable(variable) => Some(*variable),
                Piece::Text(_) => None,
            })
            .collect();
        used.sort();
        used.dedup();
        used
    }
}

/// A message template: its id (what stages name), channel, tone and text by language.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Template {
    /// Unique within the policy; what a stage's contact step names.
    pub id: String,
    /// The channel it is written for.
    pub channel: ContactChannel,
    /// How it speaks.
    pub tone: Tone,
    /// The text by language tag (`en`, `es`, `es-CO`); always one for the policy's default
    /// language.
    pub variants: BTreeMap<String, Variant>,
}

/// Content a jurisdiction requires in collection messages (a validation notice, a
/// mini-Miranda), appended to every message it applies to, marked with its source and status
/// like the rules of the compliance packs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Disclosure {
    /// Unique within the policy.
    pub id: String,
    /// The jurisdictions that require it.
    pub jurisdictions: Vec<JurisdictionPattern>,
    /// The channels it applies to; empty for all.
    pub channels: Vec<ContactChannel>,
    /// Who must include it; `None` for every creditor.
    pub creditor: Option<Creditor>,
    /// The law or rule that requires it (`15 U.S.C. 1692e(11)`).
    pub source: String,
    /// How well the requirement is established.
    pub status: Status,
    /// The text by language tag; always one for the policy's default language.
    pub variants: BTreeMap<String, Variant>,
}

impl Disclosure {
    /// Returns true if and only if the disclosure applies to a message on `channel` to a
    /// debtor in `country` and `region`, sent by a `creditor`.
    pub fn applies(
        &self,
        channel: ContactChannel,
        country: &str,
        region: Option<&str>,
        creditor: Creditor,
    ) -> bool {
        self.jurisdictions.iter().any(|pattern| pattern.matches(country, region))
            && (self.channels.is_empty() || self.channels.contains(&channel))
            && self.creditor.is_none_or(|required| required == creditor)
    }
}

/// A policy's messages: the default language, the payment link rule, the templates and the
/// disclosures. Empty (no templates) in a policy that defines none: its actions then carry
/// the template id only, as before templates were data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Messages {
    /// The language of last resort (`[messages] default_language`, `en` by default).
    pub default_language: String,
    /// The languages every template and disclosure must serve (a variant of the tag or of
    /// its base language); always holds the default language.
    pub languages: Vec<String>,
    /// The built-in payment link: a URL with `{action_id}` (and optionally `{debtor_id}`) to
    /// fill in, or `None` when the policy issues no links.
    pub payment_link: Option<String>,
    /// The templates, in file order.
    pub templates: Vec<Template>,
    /// The disclosures, in file order.
    pub disclosures: Vec<Disclosure>,
    /// How invoices are sent: each invoice becomes an action on its issue date, on this
    /// channel with this template (`[messages] invoice`); `None` when the policy sends none.
    pub invoice: Option<InvoiceDelivery>,
    /// The experience budget (`[experience]`).
    pub experience: ExperienceBudget,
}

/// The experience budget (issue 19 point 4): how many contacts a debtor may get in any 7 days,
/// by segment, below what the law allows (`[experience]`, docs/MESSAGES.md). The engine
/// enforces the lower of the two: the compliance guardrails and this budget both apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ExperienceBudget {
    /// The budget of a debtor in no segment; `None` for no budget (the law's caps only).
    pub contacts_per_week: Option<u32>,
    /// The segments, in file order: a debtor is in the first that matches.
    pub segments: Vec<Segment>,
}

/// A segment of debtors with its own contact budget.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Segment {
    /// Unique within the policy; what reports show.
    pub name: String,
    /// The products it covers; empty for all.
    pub products: Vec<crate::model::ProductKind>,
    /// The score bands it covers; empty for all (including unscored debtors).
    pub score_bands: Vec<String>,
    /// Its debtors' shortest tenure, in whole months on book; `None` for any.
    pub min_tenure_months: Option<u32>,
    /// Its debtors' longest tenure, in whole months on book; `None` for any.
    pub max_tenure_months: Option<u32>,
    /// Contacts (outbound, any channel, counted as the guardrails count them) a debtor may
    /// get in any 7 days.
    pub contacts_per_week: u32,
}

impl Segment {
    /// Returns true if and only if a debtor whose most urgent account is of `product`, scored
    /// `score_band`, `tenure_months` on book, is in the segment.
    pub fn matches(
        &self,
        product: crate::model::ProductKind,
        score_band: Option<&str>,
        tenure_months: i64,
    ) -> bool {
        (self.products.is_empty() || self.products.contains(&product))
            && (self.score_bands.is_empty()
                || score_band.is_some_and(|band| self.score_bands.iter().any(|b| b == band)))
            && self.min_tenure_months.is_none_or(|min| i64::from(min) <= tenure_months)
            && self.max_tenure_months.is_none_or(|max| tenure_months <= i64::from(max))
    }
}

impl ExperienceBudget {
    /// The segment's name and its contacts per week for such a debtor: the first segment that
    /// matches, else the default budget (named `default`); `None` without a budget.
    pub fn for_debtor(
        &self,
        product: crate::model::ProductKind,
        score_band: Option<&str>,
        tenure_months: i64,
    ) -> Option<(&str, u32)> {
        self.segments
            .iter()
            .find(|segment| segment.matches(product, score_band, tenure_months))
            .map(|segment| (segment.name.as_str(), segment.contacts_per_week))
            .or_else(|| self.contacts_per_week.map(|allowed| ("default", allowed)))
    }
}

/// Most contacts a week a budget may allow: Regulation F's presumption for calls, seven in
/// seven days, is the highest cap the compliance packs know; a budget is meant to be below it.
pub const CONTACTS_PER_WEEK_MAX: u32 = 7;

/// How the cycle sends invoices (issue 19 point 3): `[messages] invoice = { channel = "email",
/// template = "invoice.email" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvoiceDelivery {
    /// The channel.
    pub channel: ContactChannel,
    /// The template (a policy template of that channel, in a policy that defines templates).
    pub template: String,
}

impl Default for Messages {
    fn default() -> Messages {
        Messages {
            default_language: "en".to_owned(),
            languages: vec!["en".to_owned()],
            payment_link: None,
            templates: Vec::new(),
            disclosures: Vec::new(),
            invoice: None,
            experience: ExperienceBudget::default(),
        }
    }
}

/// What a template is filled in with, for one action. Amounts are in minor units of
/// `currency`; a value the account does not have (no promise, no plan) is `None` and renders
/// as an empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    /// The debtor's name.
    pub name: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// [`Variable::AmountDue`].
    pub amount_due_minor: i64,
    /// [`Variable::DueDate`].
    pub due_on: Option<NaiveDate>,
    /// [`Variable::PaymentLink`].
    pub payment_link: Option<String>,
    /// [`Variable::PromiseAmount`] and [`Variable::PromiseDate`].
    pub promise: Option<(i64, NaiveDate)>,
    /// [`Variable::PlanInstallment`] and [`Variable::PlanNextDate`].
    pub plan: Option<(i64, NaiveDate)>,
    /// [`Variable::SettlementAmount`] and [`Variable::SettlementExpires`].
    pub settlement: Option<(i64, NaiveDate)>,
    /// [`Variable::Invoice`].
    pub invoice: Option<String>,
}

/// A rendered message: what the outbox action carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The language of the variant used (the debtor's, its base language, or the policy's
    /// default).
    pub language: String,
    /// The text, with the disclosures that apply appended, one paragraph each.
    pub text: String,
}

/// Where rendering goes: the debtor and the sender, for the language and the disclosures.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    /// The debtor's language tag.
    pub language: &'a str,
    /// The debtor's country.
    pub country: &'a str,
    /// The debtor's region, if any.
    pub region: Option<&'a str>,
    /// Who collects.
    pub creditor: Creditor,
}

impl Messages {
    /// The template `id`, if the policy defines it.
    pub fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|template| template.id == id)
    }

    /// The template an arm with a house tone (`[[arm]] tone`) writes on `channel`: the
    /// policy's first template, in file order, of that channel and tone, other than the
    /// invoice template (an invoice is a document, not a collection message). `None` when
    /// there is none: a policy whose arm has a tone is refused at load unless every channel
    /// its stages use has one.
    pub fn house_template(&self, channel: ContactChannel, tone: Tone) -> Option<&Template> {
        let invoice = self.invoice.as_ref().map(|invoice| invoice.template.as_str());
        self.templates.iter().find(|template| {
            template.channel == channel
                && template.tone == tone
                && Some(template.id.as_str()) != invoice
        })
    }

    /// Renders template `id` for `audience` with `values`; `None` when the policy defines no
    /// such template (a policy without templates).
    ///
    /// The variant is the debtor's language, else its base language (`es-CO`, then `es`),
    /// else the default language, which every template has (checked at load).
    pub fn render(&self, id: &str, audience: Audience<'_>, values: &Values) -> Option<Rendered> {
        let template = self.template(id)?;
        let (language, variant) = self.variant_for(&template.variants, audience.language)?;
        let mut text = fill(&variant.pieces, language, values);
        for disclosure in &self.disclosures {
            let applies = disclosure.applies(
                template.channel,
                audience.country,
                audience.region,
                audience.creditor,
            );
            if let (true, Some((_, variant))) =
                (applies, self.variant_for(&disclosure.variants, language))
            {
                text.push_str("\n\n");
                text.push_str(&fill(&variant.pieces, language, values));
            }
        }
        Some(Rendered { language: language.to_owned(), text })
    }

    /// The variant for `language`: its own, its base language's, or the default language's.
    fn variant_for<'v>(
        &self,
        variants: &'v BTreeMap<String, Variant>,
        language: &str,
    ) -> Option<(&'v str, &'v Variant)> {
        fallback_chain(language)
            .into_iter()
            .chain(std::iter::once(self.default_language.clone()))
            .find_map(|tag| variants.get_key_value(&tag))
            .map(|(tag, variant)| (tag.as_str(), variant))
    }
}

/// A tag and its shorter prefixes, longest first: `es-CO` gives `es-CO`, `es`. Tags are
/// compared as BCP 47 does, ignoring case: the primary language in lower case, a region in
/// upper case.
pub fn fallback_chain(language: &str) -> Vec<String> {
    let canonical = canonical_tag(language);
    let mut chain = vec![canonical.clone()];
    let mut rest = canonical.as_str();
    while let Some((shorter, _)) = rest.rsplit_once('-') {
        chain.push(shorter.to_owned());
        rest = shorter;
    }
    chain
}

/// A language tag in its usual case: `ES-co` is `es-CO` (two-letter and three-digit subtags
/// after the first are regions, upper case; others lower case).
pub fn canonical_tag(language: &str) -> String {
    language
        .split('-')
        .enumerate()
        .map(|(index, subtag)| {
            if index > 0 && subtag.len() == 2 {
                subtag.to_ascii_uppercase()
            } else {
                subtag.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn fill(pieces: &[Piece], language: &str, values: &Values) -> String {
    let amount = |amount_minor: i64| format_amount(amount_minor, values.currency, language);
    let date = |on: NaiveDate| format_date(on, language);
    let mut text = String::new();
    for piece in pieces {
        let value = match piece {
            Piece::Text(literal) => literal.clone(),
            Piece::Variable(variable) => match variable {
                Variable::Name => values.name.clone(),
                Variable::AmountDue => amount(values.amount_due_minor),
                Variable::DueDate => values.due_on.map(date).unwrap_or_default(),
                Variable::PaymentLink => values.payment_link.clone().unwrap_or_default(),
                Variable::PromiseAmount => {
                    values.promise.map(|(a, _)| amount(a)).unwrap_or_default()
                }
                Variable::PromiseDate => values.promise.map(|(_, on)| date(on)).unwrap_or_default(),
                Variable::PlanInstallment => {
                    values.plan.map(|(a, _)| amount(a)).unwrap_or_default()
                }
                Variable::PlanNextDate => values.plan.map(|(_, on)| date(on)).unwrap_or_default(),
                Variable::SettlementAmount => {
                    values.settlement.map(|(a, _)| amount(a)).unwrap_or_default()
                }
                Variable::SettlementExpires => {
                    values.settlement.map(|(_, on)| date(on)).unwrap_or_default()
                }
                Variable::Invoice => values.invoice.clone().unwrap_or_default(),
            },
        };
        text.push_str(&value);
    }
    text
}

/// How a language writes numbers and amounts.
struct NumberStyle {
    group: &'static str,
    decimal: &'static str,
    /// The symbol before the figure (`$12.50`) rather than after it (`12,50` and the euro sign).
    symbol_first: bool,
}

fn number_style(language: &str) -> NumberStyle {
    let primary = canonical_tag(language);
    let primary = primary.split('-').next().unwrap_or("");
    match primary {
        "en" | "ja" | "zh" | "ko" | "he" | "th" => {
            NumberStyle { group: ",", decimal: ".", symbol_first: true }
        }
        "fr" | "sv" | "nb" | "fi" | "pl" | "cs" | "ru" | "uk" => {
            NumberStyle { group: "\u{a0}", decimal: ",", symbol_first: false }
        }
        _ => NumberStyle { group: ".", decimal: ",", symbol_first: false },
    }
}

/// The currency's sign as the language writes it: `$` for dollars and pesos in English and
/// in the countries of the peso (`es`), the euro and yen signs, else the ISO code.
fn currency_sign(currency: Currency, language: &str) -> String {
    let canonical = canonical_tag(language);
    let primary = canonical.split('-').next().unwrap_or("");
    let sign = match currency.code() {
        "USD" if primary == "en" => "$",
        "USD" => "US$",
        "MXN" | "COP" | "CLP" if primary == "es" => "$",
        "EUR" => "\u{20ac}",
        "JPY" => "\u{a5}",
        code => code,
    };
    sign.to_owned()
}

/// An amount in minor units of `currency`, exactly, as `language` writes it: `$1,234.50`
/// (`en`), `$ 1.234,50` (`es-CO`, pesos), `1.234,50` then the euro sign (`es`, `de`),
/// `1 234,50` then the euro sign (`fr`, with a no-break space). Never through a float.
///
/// # Example
///
/// ```
/// use arrears_core::message::format_amount;
/// use arrears_core::money::Currency;
/// assert_eq!(format_amount(123_450, Currency::USD, "en-US"), "$1,234.50");
/// assert_eq!(format_amount(123_450, Currency::EUR, "es"), "1.234,50 \u{20ac}");
/// assert_eq!(format_amount(1_500_000, Currency::CLP, "es-CL"), "$ 1.500.000");
/// assert_eq!(format_amount(-5, Currency::KWD, "en"), "-KWD 0.005");
/// ```
pub fn format_amount(amount_minor: i64, currency: Currency, language: &str) -> String {
    let style = number_style(language);
    let digits = amount_minor.unsigned_abs().to_string();
    let minor_units = currency.minor_units() as usize;
    let padded = format!("{digits:0>width$}", width = minor_units + 1);
    let (whole, fraction) = padded.split_at(padded.len() - minor_units);
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push_str(style.group);
        }
        grouped.push(digit);
    }
    let figure =
        if fraction.is_empty() { grouped } else { format!("{grouped}{}{fraction}", style.decimal) };
    let sign = if amount_minor < 0 { "-" } else { "" };
    let symbol = currency_sign(currency, language);
    // English writes the sign first (`$1,234.50`, `KWD 0.005` for a code); the languages of
    // the peso write a dollar sign first with a space (`$ 1.234,50`); the others after the
    // figure (`1.234,50` and the euro sign).
    let letters = symbol.chars().all(|c| c.is_ascii_alphabetic());
    if style.symbol_first && !letters {
        format!("{sign}{symbol}{figure}")
    } else if style.symbol_first || symbol.ends_with('$') {
        format!("{sign}{symbol} {figure}")
    } else {
        format!("{sign}{figure} {symbol}")
    }
}

/// A date as `language` writes it with numbers: `03/15/2026` in US English, `2026-03-15` in
/// Japanese, Chinese, Korean and Swedish, `15.03.2026` in German, and `15/03/2026` elsewhere.
///
/// # Example
///
/// ```
/// use arrears_core::message::format_date;
/// use chrono::NaiveDate;
/// let on = NaiveDate::from_ymd_opt(2026, 3, 15).expect("a valid date");
/// assert_eq!(format_date(on, "en-US"), "03/15/2026");
/// assert_eq!(format_date(on, "es-CO"), "15/03/2026");
/// assert_eq!(format_date(on, "de"), "15.03.2026");
/// ```
pub fn format_date(on: NaiveDate, language: &str) -> String {
    let canonical = canonical_tag(language);
    let primary = canonical.split('-').next().unwrap_or("");
    let (year, month, day) = (on.year(), on.month(), on.day());
    match primary {
        "en" if canonical == "en" || canonical.starts_with("en-US") => {
            format!("{month:02}/{day:02}/{year}")
        }
        "ja" | "zh" | "ko" | "sv" => format!("{year}-{month:02}-{day:02}"),
        "de" | "fi" | "nb" | "pl" | "cs" | "ru" | "uk" => format!("{day:02}.{month:02}.{year}"),
        _ => format!("{day:02}/{month:02}/{year}"),
    }
}

impl fmt::Display for Tone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
