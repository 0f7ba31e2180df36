//! Unit tests of a policy's messages: a policy with templates loads and renders, and every
//! message error names the file, the line and the field.

use crate::message::{Audience, Tone, Values};
use crate::model::ContactChannel;
use crate::money::Currency;
use crate::policy::{Creditor, Policy, PolicyErrorReason};

/// A policy with one stage of two steps, messages in English and Spanish, two templates and a
/// disclosure. Line numbers matter: the tests below edit single lines.
const TEXT: &str = r#"name = "t"
version = 1
creditor = "third_party"
[messages]
default_language = "en"
languages = ["en", "es"]
payment_link = "https://pay.example.com/a/{action_id}"
[[stage]]
name = "early"
min_dpd = 1
[stage.actions]
contact = [{ channel = "sms", template = "early.sms" }, { channel = "letter", template = "final" }]
[[template]]
id = "early.sms"
channel = "sms"
tone = "friendly"
[template.text]
en = "Hi {name}, {amount_due} was due on {due_date}. Pay: {payment_link}"
es = "Hola {name}, {amount_due} vencio el {due_date}. Pague: {payment_link}"
es-CO = "Hola {name}, su pago de {amount_due} vencio el {due_date}: {payment_link}"
[[template]]
id = "final"
channel = "letter"
tone = "final_notice"
text = { en = "Final notice: pay {amount_due} by {due_date}.", es = "Aviso final: pague {amount_due} antes del {due_date}." }
[[disclosure]]
id = "mini_miranda"
jurisdictions = ["US"]
creditor = "third_party"
source = "15 U.S.C. 1692e(11)"
status = "V2"
text = { en = "This is an attempt to collect a debt.", es = "Este es un intento de cobrar una deuda." }
"#;

/// `TEXT` with line `line` (1-based) replaced.
fn with_line(line: usize, replacement: &str) -> String {
    let mut lines: Vec<&str> = TEXT.lines().collect();
    lines[line - 1] = replacement;
    lines.join("\n") + "\n"
}

fn check_error(text: &str, line: usize, field: &str) -> PolicyErrorReason {
    let error = match Policy::from_toml(text, "t.toml") {
        Ok(_) => panic!("expected an error at line {line}, field {field}, for:\n{text}"),
        Err(error) => error,
    };
    assert_eq!((error.line, error.field.as_str()), (line, field), "{error}");
    assert!(error.to_string().starts_with(&format!("t.toml:{line}: {field}: ")), "{error}");
    error.reason
}

#[test]
fn a_policy_with_templates_loads_and_renders() {
    let policy = Policy::from_toml(TEXT, "t.toml").expect("valid");
    let messages = policy.messages();
    assert_eq!(messages.languages, ["en", "es"]);
    let sms = messages.template("early.sms").expect("defined");
    assert_eq!((sms.channel, sms.tone), (ContactChannel::Sms, Tone::Friendly));
    assert_eq!(messages.template("final").expect("defined").tone, Tone::FinalNotice);
    let values = Values {
        name: "Ana".to_owned(),
        currency: Currency::USD,
        amount_due_minor: 4_550,
        due_on: chrono::NaiveDate::from_ymd_opt(2026, 2, 1),
        payment_link: Some("https://pay.example.com/a/7".to_owned()),
        promise: None,
        plan: None,
        settlement: None,
        invoice: None,
    };
    let audience =
        Audience { language: "es-US", country: "US", region: None, creditor: Creditor::ThirdParty };
    let rendered = messages.render("final", audience, &values).expect("defined");
    assert_eq!(rendered.language, "es");
    assert_eq!(
        rendered.text,
        "Aviso final: pague US$ 45,50 antes del 01/02/2026.\n\nEste es un intento de cobrar una \
         deuda."
    );
}

#[test]
fn a_policy_without_templates_keeps_template_ids_only() {
    let policy = Policy::default_policy();
    assert!(policy.messages().templates.is_empty());
    assert_eq!(policy.messages().payment_link, None);
}

#[test]
fn a_missing_language_variant_is_a_load_error() {
    let text = with_line(25, "text = { en = \"Final notice: pay {amount_due} by {due_date}.\" }");
    let reason = check_error(&text, 25, "template[1].text");
    assert!(
        matches!(reason, PolicyErrorReason::MissingVariant { language, .. } if language == "es")
    );
    // A regional variant does not serve its base language.
    let text =
        with_line(19, "es-MX = \"Hola {name}, {amount_due} vencio el {due_date}. {payment_link}\"");
    check_error(&text, 17, "template[0].text");
}

#[test]
fn a_variant_lacking_a_variable_is_a_load_error() {
    // A translation that drops the payment link says less than the default language's.
    let text = with_line(19, "es = \"Hola {name}, {amount_due} vencio el {due_date}.\"");
    let reason = check_error(&text, 19, "template[0].text.es");
    assert!(matches!(reason, PolicyErrorReason::MissingVariable { variable: "payment_link", .. }));
    // A final notice states the date in every language.
    let text = with_line(
        25,
        "text = { en = \"Final notice: pay {amount_due}.\", es = \"Aviso final: pague {amount_due}.\" }",
    );
    let reason = check_error(&text, 25, "template[1].text.en");
    assert_eq!(reason.to_string(), "lacks {due_date}, which the tone final_notice needs");
}

#[test]
fn unknown_variables_tones_templates_and_channels_are_load_errors() {
    let text = with_line(18, "en = \"Hi {first_name}\"");
    let reason = check_error(&text, 18, "template[0].text.en");
    assert!(reason.to_string().starts_with("unknown variable {first_name}"), "{reason}");
    let text = with_line(16, "tone = \"stern\"");
    check_error(&text, 16, "template[0].tone");
    let text = with_line(
        12,
        "contact = [{ channel = \"sms\", template = \"early.sms\" }, { channel = \"letter\", template = \"missing\" }]",
    );
    let reason = check_error(&text, 12, "stage[0].actions.contact[1].template");
    assert!(matches!(reason, PolicyErrorReason::Unknown { what: "template", .. }));
    let text = with_line(12, "contact = [{ channel = \"email\", template = \"early.sms\" }]");
    let reason = check_error(&text, 12, "stage[0].actions.contact[0].template");
    assert_eq!(reason.to_string(), "template \"early.sms\" is written for sms, not email");
}

#[test]
fn a_payment_link_needs_its_rule() {
    let text = with_line(7, "");
    let reason = check_error(&text, 18, "template[0].text.en");
    assert!(reason.to_string().starts_with("{payment_link} needs [messages] payment_link"));
    let text = with_line(7, "payment_link = \"https://pay.example.com/a/{account}\"");
    check_error(&text, 7, "messages.payment_link");
    let text = with_line(7, "payment_link = \"ftp://pay.example.com/{action_id}\"");
    check_error(&text, 7, "messages.payment_link");
}

#[test]
fn a_disclosure_names_its_source_and_status() {
    let text = with_line(31, "status = \"maybe\"");
    let reason = check_error(&text, 31, "disclosure[0].status");
    assert!(matches!(reason, PolicyErrorReason::Unknown { what: "status", .. }));
    let text = with_line(30, "source = \" \"");
    check_error(&text, 30, "disclosure[0].source");
    let text = with_line(28, "jurisdictions = [\"USA\"]");
    check_error(&text, 28, "disclosure[0].jurisdictions[0]");
}

/// `text` with an arm after it (its keys from line 36 of `TEXT`): `keys` are the arm's lines
/// after its name and weight.
fn with_arm(text: &str, keys: &str) -> String {
    format!("{text}[[arm]]\nname = \"house\"\nweight = 1\n{keys}\n")
}

#[test]
fn an_arm_may_fix_the_language_and_tone_of_its_messages() {
    // A stage that sends letters only: the final notice is a letter.
    let letters = with_line(12, "contact = [{ channel = \"letter\", template = \"final\" }]");
    let text = with_arm(&letters, "language = \"EN\"\ntone = \"final_notice\"");
    let policy = Policy::from_toml(&text, "t.toml").expect("valid");
    let arm = &policy.arms()[0];
    assert_eq!((arm.language.as_deref(), arm.tone), (Some("en"), Some(Tone::FinalNotice)));
    let messages = policy.messages();
    let letter = messages.house_template(ContactChannel::Postal, Tone::FinalNotice);
    assert_eq!(letter.map(|template| template.id.as_str()), Some("final"));
    assert_eq!(messages.house_template(ContactChannel::Sms, Tone::Firm), None);
    // Without the keys, the debtor's language and each step's template.
    let policy = Policy::from_toml(&with_arm(TEXT, ""), "t.toml").expect("valid");
    assert_eq!((policy.arms()[0].language.as_deref(), policy.arms()[0].tone), (None, None));
}

#[test]
fn an_arm_language_the_policy_does_not_serve_is_a_load_error() {
    let text = with_arm(TEXT, "language = \"fr\"");
    let reason = check_error(&text, 36, "arm[0].language");
    assert_eq!(reason.to_string(), "unknown language of the policy \"fr\" (known: en, es)");
}

#[test]
fn an_arm_tone_without_a_template_for_a_channel_the_stages_use_is_a_load_error() {
    // The stage sends SMS and letters; there is a friendly SMS and a final-notice letter only.
    let text = with_arm(TEXT, "tone = \"firm\"");
    let reason = check_error(&text, 36, "arm[0].tone");
    assert_eq!(
        reason.to_string(),
        "no firm template for sms, which stage \"early\" sends: an arm's tone needs a template \
         of that tone for every channel the stages use"
    );
    let text = with_arm(TEXT, "tone = \"stern\"");
    check_error(&text, 36, "arm[0].tone");
}
