//! Loading a policy's messages (`[messages]`, `[[template]]`, `[[disclosure]]`;
//! docs/MESSAGES.md): every text parsed, every language the policy serves covered, every
//! variable a tone needs present in every variant, every template a stage names defined for
//! its channel. Each error names the file, the line and the field.

use std::collections::BTreeMap;

use toml::Spanned;

use super::load::Loader;
use super::raw::{
    RawDisclosure, RawExperience, RawMessages, RawPolicy, RawTemplate, RawTexts, SpannedList,
};
use super::Arm;
use super::{PolicyError, PolicyErrorReason};
use crate::compliance::Status;
use crate::message::{
    canonical_tag, fallback_chain, parse_text, Disclosure, ExperienceBudget, InvoiceDelivery,
    Messages, Segment, Template, Tone, Variable, Variant, CONTACTS_PER_WEEK_MAX, DISCLOSURES_MAX,
    TEMPLATES_MAX, TEMPLATE_TEXT_BYTES_MAX, VARIANTS_MAX,
};
use crate::model::ContactChannel;

const TONE_NAMES: &str = "friendly, firm, final_notice, plan_offer, settlement_offer";
const STATUS_NAMES: &str = "V1, V2, UNVERIFIED, CONVENTION";
/// The longest `source` of a disclosure, in bytes.
const SOURCE_BYTES_MAX: usize = 512;
/// The longest payment link rule, in bytes.
const PAYMENT_LINK_BYTES_MAX: usize = 512;

impl Loader<'_> {
    /// The policy's messages, then the check that every contact step names a defined template
    /// of its channel (only in a policy that defines templates: one without any keeps ids
    /// only, as before templates were data).
    pub(super) fn messages(&self, raw: &RawPolicy) -> Result<Messages, PolicyError> {
        let mut messages = self.messages_section(raw.messages.as_ref())?;
        if let Some(list) = &raw.template {
            self.check_len(list, "template", TEMPLATES_MAX)?;
            for (index, entry) in list.get_ref().iter().enumerate() {
                let path = format!("template[{index}]");
                let template = self.template(&messages, entry.get_ref(), &path)?;
                if let Some(first) = messages.templates.iter().position(|t| t.id == template.id) {
                    let first_line = self.line(list.get_ref()[first].get_ref().id.span().start);
                    let reason = PolicyErrorReason::Duplicate { name: template.id, first_line };
                    return Err(self.error(
                        entry.get_ref().id.span(),
                        &format!("{path}.id"),
                        reason,
                    ));
                }
                messages.templates.push(template);
            }
        }
        if let Some(list) = &raw.disclosure {
            self.check_len(list, "disclosure", DISCLOSURES_MAX)?;
            for (index, entry) in list.get_ref().iter().enumerate() {
                let path = format!("disclosure[{index}]");
                let disclosure = self.disclosure(&messages, entry.get_ref(), &path)?;
                messages.disclosures.push(disclosure);
            }
        }
        if let Some(experience) = &raw.experience {
            messages.experience = self.experience(experience.get_ref())?;
        }
        if !messages.templates.is_empty() {
            self.check_steps(raw, &messages)?;
            self.check_invoice(raw, &messages)?;
        }
        Ok(messages)
    }

    fn check_len<T>(
        &self,
        list: &SpannedList<T>,
        field: &str,
        max: usize,
    ) -> Result<(), PolicyError> {
        if max < list.get_ref().len() {
            let reason = PolicyErrorReason::TooMany { count: list.get_ref().len(), count_max: max };
            return Err(self.error(list.span(), field, reason));
        }
        Ok(())
    }

    fn messages_section(
        &self,
        raw: Option<&Spanned<RawMessages>>,
    ) -> Result<Messages, PolicyError> {
        let mut messages = Messages::default();
        let Some(raw) = raw.map(Spanned::get_ref) else { return Ok(messages) };
        if let Some(tag) = &raw.default_language {
            messages.default_language =
                canonical_tag(&self.language(tag, "messages.default_language")?);
        }
        messages.languages = match &raw.languages {
            Some(list) => self.list(list, "messages.languages", |entry, field| {
                let tag = canonical_tag(&self.language(entry, field)?);
                Ok((tag.clone(), tag))
            })?,
            None => Vec::new(),
        };
        if !messages.languages.contains(&messages.default_language) {
            messages.languages.insert(0, messages.default_language.clone());
        }
        if let Some(link) = &raw.payment_link {
            messages.payment_link = Some(self.payment_link(link)?);
        }
        if let Some(invoice) = &raw.invoice {
            let invoice = invoice.get_ref();
            messages.invoice = Some(InvoiceDelivery {
                channel: self.channel(&invoice.channel, "messages.invoice.channel")?,
                template: self.name(
                    &invoice.template,
                    "messages.invoice.template",
                    "template id",
                )?,
            });
        }
        Ok(messages)
    }

    /// A payment link rule: an `https://` (or `http://`) URL that names `{action_id}`, so that
    /// each action gets its own link; `{debtor_id}` may appear too.
    fn payment_link(&self, link: &Spanned<String>) -> Result<String, PolicyError> {
        let text = link.get_ref();
        let field = "messages.payment_link";
        let placeholders_ok = {
            let rest = text.replace("{action_id}", "").replace("{debtor_id}", "");
            !rest.contains('{') && !rest.contains('}')
        };
        let valid = (text.starts_with("https://") || text.starts_with("http://"))
            && text.contains("{action_id}")
            && placeholders_ok
            && text.len() <= PAYMENT_LINK_BYTES_MAX
            && !text.chars().any(char::is_whitespace);
        if !valid {
            let rule = "a payment link is an https:// URL of at most 512 bytes, without spaces, \
                        that names {action_id} (and optionally {debtor_id}), such as \
                        \"https://pay.example.com/a/{action_id}\"";
            return Err(self.constraint(link.span(), field, rule));
        }
        Ok(text.clone())
    }

    fn template(
        &self,
        messages: &Messages,
        raw: &RawTemplate,
        path: &str,
    ) -> Result<Template, PolicyError> {
        let id = self.name(&raw.id, &format!("{path}.id"), "template id")?;
        let channel = self.channel(&raw.channel, &format!("{path}.channel"))?;
        let tone = self.tone(&raw.tone, &format!("{path}.tone"))?;
        let variants = self.variants(messages, &raw.text, &format!("{path}.text"))?;
        let needed_by = format!("the tone {}", tone.name());
        self.check_needs(&raw.text, &variants, &format!("{path}.text"), tone.needs(), &needed_by)?;
        self.check_payment_link(messages, &raw.text, &variants, &format!("{path}.text"))?;
        Ok(Template { id, channel, tone, variants })
    }

    /// A tone by its name as written in files.
    pub(super) fn tone(&self, value: &Spanned<String>, field: &str) -> Result<Tone, PolicyError> {
        Tone::from_name(value.get_ref()).ok_or_else(|| {
            let reason = PolicyErrorReason::Unknown {
                what: "tone",
                name: value.get_ref().clone(),
                known: TONE_NAMES.to_owned(),
            };
            self.error(value.span(), field, reason)
        })
    }

    /// An arm's house style (`language`, `tone`) must be one the messages can write: the
    /// language one the policy serves, the tone one with a template for every channel the
    /// stages' contact steps use, so the cycle never lacks a text for it.
    pub(super) fn check_arm_messages(
        &self,
        raw: &RawPolicy,
        arms: &[Arm],
        messages: &Messages,
    ) -> Result<(), PolicyError> {
        let raw_arms = raw.arm.as_ref().map(|list| list.get_ref().as_slice()).unwrap_or_default();
        for (index, (arm, entry)) in arms.iter().zip(raw_arms).enumerate() {
            let entry = entry.get_ref();
            if let (Some(language), Some(tag)) = (&arm.language, &entry.language) {
                if !messages.languages.contains(language) {
                    let reason = PolicyErrorReason::Unknown {
                        what: "language of the policy",
                        name: tag.get_ref().clone(),
                        known: messages.languages.join(", "),
                    };
                    return Err(self.error(tag.span(), &format!("arm[{index}].language"), reason));
                }
            }
            if let (Some(tone), Some(value)) = (arm.tone, &entry.tone) {
                if let Some((stage, channel)) = self.channel_without(raw, messages, tone) {
                    let reason = PolicyErrorReason::NoTemplateOfTone {
                        tone: tone.name(),
                        channel: channel.name(),
                        stage,
                    };
                    return Err(self.error(value.span(), &format!("arm[{index}].tone"), reason));
                }
            }
        }
        Ok(())
    }

    /// The first stage and channel of a contact step with no template of `tone` on it.
    fn channel_without(
        &self,
        raw: &RawPolicy,
        messages: &Messages,
        tone: Tone,
    ) -> Option<(String, ContactChannel)> {
        let stages = raw.stage.as_ref().map(|list| list.get_ref().as_slice()).unwrap_or_default();
        stages.iter().find_map(|stage| {
            let stage = stage.get_ref();
            let steps = stage.actions.as_ref().and_then(|actions| actions.contact.as_ref())?;
            steps.get_ref().iter().find_map(|step| {
                let channel = self.channel(&step.get_ref().channel, "").ok()?;
                messages
                    .house_template(channel, tone)
                    .is_none()
                    .then(|| (stage.name.get_ref().clone(), channel))
            })
        })
    }

    fn disclosure(
        &self,
        messages: &Messages,
        raw: &RawDisclosure,
        path: &str,
    ) -> Result<Disclosure, PolicyError> {
        let id = self.name(&raw.id, &format!("{path}.id"), "disclosure id")?;
        let jurisdictions =
            self.jurisdictions(&raw.jurisdictions, &format!("{path}.jurisdictions"))?;
        let channels = match &raw.channels {
            Some(list) => self.list(list, &format!("{path}.channels"), |entry, field| {
                let channel = self.channel(entry, field)?;
                Ok((channel, channel.name().to_owned()))
            })?,
            None => Vec::new(),
        };
        let source = raw.source.get_ref().trim().to_owned();
        if source.is_empty() || SOURCE_BYTES_MAX < source.len() {
            let rule = "a disclosure names its source (the law or rule), in 1 to 512 bytes";
            return Err(self.constraint(raw.source.span(), &format!("{path}.source"), rule));
        }
        let status = self.status(&raw.status, &format!("{path}.status"))?;
        let variants = self.variants(messages, &raw.text, &format!("{path}.text"))?;
        self.check_payment_link(messages, &raw.text, &variants, &format!("{path}.text"))?;
        let creditor = raw.creditor.as_ref().map(|creditor| *creditor.get_ref());
        Ok(Disclosure { id, jurisdictions, channels, creditor, source, status, variants })
    }

    fn status(&self, value: &Spanned<String>, field: &str) -> Result<Status, PolicyError> {
        [Status::V1, Status::V2, Status::Unverified, Status::Convention]
            .into_iter()
            .find(|status| status.name() == value.get_ref())
            .ok_or_else(|| {
                let reason = PolicyErrorReason::Unknown {
                    what: "status",
                    name: value.get_ref().clone(),
                    known: STATUS_NAMES.to_owned(),
                };
                self.error(value.span(), field, reason)
            })
    }

    /// The variants by language, each text parsed; every language the policy serves has a
    /// variant (its own or its base language's), and every variant uses the variables of the
    /// default language's variant.
    fn variants(
        &self,
        messages: &Messages,
        raw: &RawTexts,
        field: &str,
    ) -> Result<BTreeMap<String, Variant>, PolicyError> {
        self.check_len_map(raw, field)?;
        let mut variants = BTreeMap::new();
        for (tag, text) in self.in_file_order(raw) {
            let entry_field = format!("{field}.{}", tag.get_ref());
            let language = canonical_tag(&self.language(tag, &entry_field)?);
            if TEMPLATE_TEXT_BYTES_MAX < text.get_ref().len() {
                let reason = PolicyErrorReason::TooMany {
                    count: text.get_ref().len(),
                    count_max: TEMPLATE_TEXT_BYTES_MAX,
                };
                return Err(self.error(text.span(), &entry_field, reason));
            }
            let pieces = parse_text(text.get_ref()).map_err(|error| {
                self.error(text.span(), &entry_field, PolicyErrorReason::Text { error })
            })?;
            variants.insert(language, Variant { text: text.get_ref().clone(), pieces });
        }
        for language in &messages.languages {
            if !fallback_chain(language).iter().any(|tag| variants.contains_key(tag)) {
                let reason = PolicyErrorReason::MissingVariant {
                    language: language.clone(),
                    languages: messages.languages.join(", "),
                };
                return Err(self.error(raw.span(), field, reason));
            }
        }
        if let Some(original) = variants.get(&messages.default_language) {
            let needs = original.variables();
            let needed_by =
                format!("the default language's ({}) variant", messages.default_language);
            self.check_needs(raw, &variants, field, &needs, &needed_by)?;
        }
        Ok(variants)
    }

    fn check_len_map(&self, raw: &RawTexts, field: &str) -> Result<(), PolicyError> {
        let count = raw.get_ref().len();
        if count == 0 {
            return Err(self.error(raw.span(), field, PolicyErrorReason::Empty));
        }
        if VARIANTS_MAX < count {
            let reason = PolicyErrorReason::TooMany { count, count_max: VARIANTS_MAX };
            return Err(self.error(raw.span(), field, reason));
        }
        Ok(())
    }

    fn in_file_order<'r>(
        &self,
        raw: &'r RawTexts,
    ) -> Vec<(&'r Spanned<String>, &'r Spanned<String>)> {
        let mut entries: Vec<_> = raw.get_ref().iter().collect();
        entries.sort_by_key(|(tag, _)| tag.span().start);
        entries
    }

    /// Every variant uses every variable of `needs`; the first that lacks one (in file order)
    /// is the error.
    fn check_needs(
        &self,
        raw: &RawTexts,
        variants: &BTreeMap<String, Variant>,
        field: &str,
        needs: &[Variable],
        needed_by: &str,
    ) -> Result<(), PolicyError> {
        for (tag, text) in self.in_file_order(raw) {
            let Some(variant) = variants.get(&canonical_tag(tag.get_ref())) else {
                continue;
            };
            let used = variant.variables();
            if let Some(missing) = needs.iter().find(|needed| !used.contains(needed)) {
                let reason = PolicyErrorReason::MissingVariable {
                    variable: missing.name(),
                    needed_by: needed_by.to_owned(),
                };
                return Err(self.error(text.span(), &format!("{field}.{}", tag.get_ref()), reason));
            }
        }
        Ok(())
    }

    /// `{payment_link}` needs a link to fill in: the policy's `payment_link`.
    fn check_payment_link(
        &self,
        messages: &Messages,
        raw: &RawTexts,
        variants: &BTreeMap<String, Variant>,
        field: &str,
    ) -> Result<(), PolicyError> {
        if messages.payment_link.is_some() {
            return Ok(());
        }
        for (tag, text) in self.in_file_order(raw) {
            let uses = variants
                .get(&canonical_tag(tag.get_ref()))
                .is_some_and(|variant| variant.variables().contains(&Variable::PaymentLink));
            if uses {
                let rule = "{payment_link} needs [messages] payment_link (the built-in link, \
                            which an integrator's hook may replace)";
                return Err(self.constraint(
                    text.span(),
                    &format!("{field}.{}", tag.get_ref()),
                    rule,
                ));
            }
        }
        Ok(())
    }

    /// The experience budget: at most `CONTACTS_PER_WEEK_MAX` contacts a week, segments with
    /// unique names.
    fn experience(&self, raw: &RawExperience) -> Result<ExperienceBudget, PolicyError> {
        let range = (0, CONTACTS_PER_WEEK_MAX);
        let contacts_per_week = match &raw.contacts_per_week {
            Some(value) => {
                Some(self.count(Some(value), "experience.contacts_per_week", range, 0)?)
            }
            None => None,
        };
        let mut segments: Vec<Segment> = Vec::new();
        for (index, entry) in raw.segment.iter().flat_map(|list| list.get_ref()).enumerate() {
            let path = format!("experience.segment[{index}]");
            let entry = entry.get_ref();
            let name = self.name(&entry.name, &format!("{path}.name"), "segment name")?;
            if segments.iter().any(|segment| segment.name == name) || name == "default" {
                let rule = "segment names are unique and not \"default\"";
                return Err(self.constraint(entry.name.span(), &format!("{path}.name"), rule));
            }
            let tenure = |value: Option<&Spanned<i64>>, key: &str| {
                let field = format!("{path}.{key}");
                value.map(|value| self.count(Some(value), &field, (0, 1200), 0)).transpose()
            };
            segments.push(Segment {
                name,
                products: match &entry.products {
                    Some(list) => {
                        self.named_list(list, &format!("{path}.products"), |p| p.name())?
                    }
                    None => Vec::new(),
                },
                score_bands: match &entry.score_bands {
                    Some(list) => {
                        self.list(list, &format!("{path}.score_bands"), |band, field| {
                            let band = self.name(band, field, "score band")?;
                            Ok((band.clone(), band))
                        })?
                    }
                    None => Vec::new(),
                },
                min_tenure_months: tenure(entry.min_tenure_months.as_ref(), "min_tenure_months")?,
                max_tenure_months: tenure(entry.max_tenure_months.as_ref(), "max_tenure_months")?,
                contacts_per_week: self.count(
                    Some(&entry.contacts_per_week),
                    &format!("{path}.contacts_per_week"),
                    range,
                    0,
                )?,
            });
        }
        Ok(ExperienceBudget { contacts_per_week, segments })
    }

    /// The invoice template is defined, for the invoice channel.
    fn check_invoice(&self, raw: &RawPolicy, messages: &Messages) -> Result<(), PolicyError> {
        let (Some(invoice), Some(raw)) = (
            &messages.invoice,
            raw.messages.as_ref().and_then(|raw| raw.get_ref().invoice.as_ref()),
        ) else {
            return Ok(());
        };
        let span = raw.get_ref().template.span();
        let field = "messages.invoice.template";
        match messages.template(&invoice.template) {
            None => {
                let mut known: Vec<&str> =
                    messages.templates.iter().map(|template| template.id.as_str()).collect();
                known.sort_unstable();
                let reason = PolicyErrorReason::Unknown {
                    what: "template",
                    name: invoice.template.clone(),
                    known: known.join(", "),
                };
                Err(self.error(span, field, reason))
            }
            Some(template) if template.channel != invoice.channel => {
                let reason = PolicyErrorReason::TemplateChannel {
                    template: invoice.template.clone(),
                    template_channel: template.channel.name(),
                    step_channel: invoice.channel.name(),
                };
                Err(self.error(span, field, reason))
            }
            Some(_) => Ok(()),
        }
    }

    /// Every stage's contact step names a defined template written for the step's channel.
    fn check_steps(&self, raw: &RawPolicy, messages: &Messages) -> Result<(), PolicyError> {
        let stages = raw.stage.as_ref().map(|list| list.get_ref().as_slice()).unwrap_or_default();
        for (stage_index, stage) in stages.iter().enumerate() {
            let steps =
                stage.get_ref().actions.as_ref().and_then(|actions| actions.contact.as_ref());
            for (step_index, step) in
                steps.map(|list| list.get_ref().as_slice()).unwrap_or_default().iter().enumerate()
            {
                let step = step.get_ref();
                let field = format!("stage[{stage_index}].actions.contact[{step_index}].template");
                let id = step.template.get_ref();
                let Some(template) = messages.template(id) else {
                    let mut known: Vec<&str> =
                        messages.templates.iter().map(|template| template.id.as_str()).collect();
                    known.sort_unstable();
                    let reason = PolicyErrorReason::Unknown {
                        what: "template",
                        name: id.clone(),
                        known: known.join(", "),
                    };
                    return Err(self.error(step.template.span(), &field, reason));
                };
                let step_channel = self.channel(&step.channel, &field)?;
                if template.channel != step_channel {
                    let reason = PolicyErrorReason::TemplateChannel {
                        template: id.clone(),
                        template_channel: template.channel.name(),
                        step_channel: step_channel.name(),
                    };
                    return Err(self.error(step.template.span(), &field, reason));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
