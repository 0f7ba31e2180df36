//! Messages as data (issue 19 points 1 and 2): the cycle renders each action's template in the
//! debtor's language, with the amount in the account's currency and the payment link issued
//! for the action, and records them on the action.

use std::sync::Arc;

use chrono::NaiveDate;

use arrears::case::Action;
use arrears::collection::CollectionState;
use arrears::message::Tone;
use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction,
    ProductKind, Terms,
};
use arrears::money::{Currency, Money};
use arrears::{
    Arrears, Command, LinkRequest, NewAccount, NewCharge, NewDebtor, Outcome, PaymentChannel,
    PaymentLinks,
};

use crate::support::*;

pub(crate) const POLICY: &str = include_str!("../../../../examples/policies/messages.toml");

pub(crate) fn point(channel: ContactChannel, address: &str) -> ContactPoint {
    ContactPoint {
        channel,
        address: address.to_owned(),
        kind: ContactPointKind::Personal,
        consent: true,
        opted_out: false,
    }
}

/// A debtor in `country` speaking `language` with one account in `currency`, charged
/// `principal_minor` issued Jan 1 and due Feb 1.
pub(crate) fn debtor_owing(
    books: &Arrears,
    reference: &str,
    (country, language, currency): (&str, &str, Currency),
    principal_minor: i64,
) -> arrears::ids::AccountId {
    let time_zone = if country == "CO" { "America/Bogota" } else { "America/Chicago" };
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: DebtorKind::Person,
        name: format!("Ana {reference}"),
        jurisdiction: Jurisdiction { country: country.into(), region: None },
        time_zones: vec![time_zone.into()],
        language: language.into(),
        contact_points: vec![
            point(ContactChannel::Email, &format!("{reference}@example.com")),
            point(ContactChannel::Sms, "+15125550100"),
            point(ContactChannel::Postal, "1 Main St"),
        ],
        flags: DebtorFlags::default(),
    });
    let Outcome::DebtorCreated(debtor) =
        books.execute(&format!("d:{reference}"), &command).unwrap().outcome
    else {
        panic!("no debtor")
    };
    let command = Command::OpenAccount(NewAccount {
        external_ref: Some(reference.to_owned()),
        debtor,
        product: ProductKind::Installment,
        credit_limit: None,
        currency,
        opened_on: d(1, 1),
        terms: Terms::default(),
    });
    let Outcome::AccountOpened(account) =
        books.execute(&format!("a:{reference}"), &command).unwrap().outcome
    else {
        panic!("no account")
    };
    let charge = Command::Charge(NewCharge {
        account,
        external_ref: Some(format!("INV-{reference}")),
        kind: arrears::model::ObligationKind::Invoice,
        issued_on: d(1, 1),
        due_on: d(2, 1),
        principal: Money::from_minor(principal_minor, currency),
        interest: Money::zero(currency),
        fee: Money::zero(currency),
    });
    books.execute(&format!("c:{reference}"), &charge).unwrap().accepted().unwrap();
    account
}

pub(crate) fn set_policy(books: &Arrears) {
    let command = Command::SetPolicy { file: "messages.toml".into(), text: POLICY.into() };
    books.execute("policy", &command).unwrap().accepted().unwrap();
}

fn only_action(books: &Arrears) -> Action {
    let mut actions = books.pending_actions(10).unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    actions.remove(0)
}

#[test]
fn the_courtesy_reminder_speaks_the_debtors_language_with_amount_date_and_link() {
    let (_dir, books) = open_temp();
    set_policy(&books);
    debtor_owing(&books, "co", ("CO", "es-CO", Currency::COP), 15_000_000);
    books.run_cycle(d(1, 29)).unwrap();
    // The invoice, issued on Jan 1 and not sent yet, goes out too (see below).
    let mut actions = books.pending_actions(10).unwrap();
    actions.retain(|action| action.template != "invoice.email");
    assert_eq!(actions.len(), 1, "{actions:?}");
    let action = actions.remove(0);
    assert_eq!(action.template, "courtesy.email");
    let link = format!("https://pay.example.com/a/{}", action.id);
    assert_eq!(action.payment_link.as_deref(), Some(link.as_str()));
    let message = action.message.expect("the policy defines the template");
    assert_eq!((message.tone, message.language.as_str()), (Tone::Friendly, "es-CO"));
    // A first-party jurisdiction rule does not apply in Colombia: no disclosure.
    assert_eq!(
        message.text,
        format!(
            "Hola Ana co, le recordamos que su factura INV-co por $ 150.000,00 vence el \
             01/02/2026. Pague en l\u{ed}nea: {link}."
        )
    );
}

#[test]
fn a_language_without_a_variant_gets_the_default_and_the_us_disclosure() {
    let (_dir, books) = open_temp();
    set_policy(&books);
    debtor_owing(&books, "us", ("US", "fr", Currency::USD), 12_345);
    books.run_cycle(d(2, 2)).unwrap();
    let action = only_action(&books);
    assert_eq!(action.template, "early.sms");
    let message = action.message.expect("rendered");
    assert_eq!((message.tone, message.language.as_str()), (Tone::Firm, "en"));
    let link = action.payment_link.expect("a link");
    assert!(
        message.text.starts_with(&format!(
            "Ana us, your payment of $123.45 due 02/01/2026 is late. Pay now: {link}\n\nThis \
             communication is from a debt collector."
        )),
        "{}",
        message.text
    );
}

struct Provider;

impl PaymentLinks for Provider {
    fn link(&self, request: &LinkRequest<'_>) -> Option<String> {
        Some(format!(
            "https://psp.test/{}?amount={}&currency={}",
            request.action,
            request.amount_due_minor,
            request.currency.code()
        ))
    }
}

#[test]
fn an_integrators_hook_issues_the_link() {
    let (_dir, mut books) = open_temp();
    books.register_payment_links(Arc::new(Provider));
    set_policy(&books);
    debtor_owing(&books, "hook", ("US", "es-MX", Currency::USD), 9_900);
    books.run_cycle(d(2, 2)).unwrap();
    let action = only_action(&books);
    let link = format!("https://psp.test/{}?amount=9900&currency=USD", action.id);
    assert_eq!(action.payment_link.as_deref(), Some(link.as_str()));
    let message = action.message.expect("rendered");
    assert_eq!(message.language, "es");
    assert!(message.text.contains(&link), "{}", message.text);
    assert!(message.text.contains("US$ 99,00"), "{}", message.text);
}

#[test]
fn a_policy_without_templates_writes_ids_only() {
    let (_dir, books) = open_temp();
    debtor_owing(&books, "plain", ("US", "en", Currency::USD), 9_900);
    books.run_cycle(d(2, 2)).unwrap();
    let action = only_action(&books);
    assert_eq!((action.message, action.payment_link), (None, None));
}

/// A strategy that proposes the first step's template on the first usable contact point, at
/// 15:00 UTC on the review date, with the tone it was made with.
struct Toner(Option<Tone>);

impl arrears::strategy::ContactStrategy for Toner {
    fn name(&self) -> &str {
        "toner"
    }

    fn propose_batch(
        &self,
        requests: &[arrears::strategy::ContactRequest],
    ) -> Result<Vec<arrears::strategy::ContactProposal>, arrears::strategy::StrategyError> {
        let mut proposals = Vec::new();
        for request in requests {
            let step = &request.steps[0];
            let Some(point) = request.contact_points.iter().find(|p| p.channel == step.channel)
            else {
                continue;
            };
            proposals.push(arrears::strategy::ContactProposal {
                debtor: request.debtor,
                accounts: request.accounts.clone(),
                channel: step.channel,
                address: point.address.clone(),
                template: step.template.clone(),
                at: request.as_of.and_hms_opt(15, 0, 0).unwrap().and_utc(),
                tone: self.0,
            });
        }
        Ok(proposals)
    }
}

/// The example policy with a second SMS step in `early`, a plan offer, and the `toner`
/// strategy on its one arm.
fn policy_with_an_offer() -> String {
    let steps = "contact = [{ channel = \"sms\", template = \"early.sms\" }, \
                 { channel = \"sms\", template = \"early.offer\" }]";
    let text = POLICY.replace(
        "contact = [{ channel = \"sms\", template = \"early.sms\", after_days = 0 }]",
        steps,
    );
    text + "
[[template]]
id = \"early.offer\"
channel = \"sms\"
tone = \"plan_offer\"
text = { en = \"{name}, we can spread {amount_due} over a few months.\", es = \"{name}, podemos repartir {amount_due} en unos meses.\" }

[[arm]]
name = \"champion\"
weight = 1
strategy = \"toner\"
"
}

fn with_strategy(tone: Option<Tone>) -> (tempfile::TempDir, Arrears) {
    let (dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Toner(tone)));
    let command = Command::SetPolicy { file: "offer.toml".into(), text: policy_with_an_offer() };
    books.execute("policy", &command).unwrap().accepted().unwrap();
    debtor_owing(&books, "tone", ("US", "en", Currency::USD), 9_900);
    books.run_cycle(d(2, 2)).unwrap();
    (dir, books)
}

#[test]
fn a_strategy_chooses_the_tone_and_the_engine_the_template() {
    let (_dir, books) = with_strategy(Some(Tone::PlanOffer));
    let action = only_action(&books);
    assert_eq!(action.template, "early.offer");
    let message = action.message.expect("rendered");
    assert_eq!(message.tone, Tone::PlanOffer);
    assert!(message.text.starts_with("Ana tone, we can spread $99.00 over"), "{}", message.text);
    // No tone chosen: the proposed template as it is.
    let (_dir, books) = with_strategy(None);
    assert_eq!(only_action(&books).template, "early.sms");
}

#[test]
fn a_tone_no_due_step_has_is_refused() {
    let (_dir, books) = with_strategy(Some(Tone::SettlementOffer));
    assert!(books.pending_actions(10).unwrap().is_empty());
}

#[test]
fn a_card_payment_an_agent_takes_by_phone_posts_with_its_channel() {
    let (_dir, books) = open_temp();
    set_policy(&books);
    let account = debtor_owing(&books, "card", ("US", "en", Currency::USD), 9_900);
    books.run_cycle(d(2, 2)).unwrap();
    let action = only_action(&books);
    let team = arrears::work::Team { name: "phones".into(), skills: Default::default() };
    books.execute("team", &Command::DefineTeam(team)).unwrap().accepted().unwrap();
    let agent = arrears::work::Agent {
        id: "agent-7".into(),
        name: "Rosa".into(),
        teams: vec!["phones".into()],
        skills: Default::default(),
        active: true,
    };
    books.execute("agent", &Command::DefineAgent(agent)).unwrap().accepted().unwrap();
    let payment = |agent: &str, action: u64| Command::ChannelPayment {
        account,
        effective_on: d(2, 3),
        amount: Money::from_minor(9_900, Currency::USD),
        directed_to: None,
        channel: PaymentChannel::Card,
        agent: Some(agent.to_owned()),
        action: Some(action),
    };
    // An unknown agent or action is an error, and writes nothing.
    let error = books.execute("p0", &payment("agent-9", action.id)).unwrap_err();
    assert!(error.to_string().contains("no agent \"agent-9\""), "{error}");
    let error = books.execute("p0", &payment("agent-7", 12345)).unwrap_err();
    assert!(matches!(error, arrears::CommandError::UnknownAction(12345)), "{error}");
    assert!(books.recorded("p0").unwrap().is_none());
    // The payment posts as any payment does, and the channel is recorded with it.
    let receipt = books.execute("p1", &payment("agent-7", action.id)).unwrap();
    let Outcome::Posted(posted) = receipt.outcome else { panic!("not posted") };
    assert_eq!(posted.account, account);
    assert_eq!(books.account_view(account, d(2, 3)).unwrap().total_outstanding_minor, 0);
    let recorded = books.recorded("p1").unwrap().expect("recorded");
    assert!(matches!(
        recorded.command,
        Command::ChannelPayment { channel: PaymentChannel::Card, ref agent, .. }
            if agent.as_deref() == Some("agent-7")
    ));
}

fn charge_ahead(books: &Arrears, account: arrears::ids::AccountId) -> arrears::ids::ObligationId {
    let charge = Command::Charge(NewCharge {
        account,
        external_ref: Some("INV-2".into()),
        kind: arrears::model::ObligationKind::Invoice,
        issued_on: d(1, 20),
        due_on: d(2, 20),
        principal: Money::from_minor(5_000, Currency::USD),
        interest: Money::zero(Currency::USD),
        fee: Money::zero(Currency::USD),
    });
    let Outcome::Posted(posted) = books.execute("ahead", &charge).unwrap().outcome else {
        panic!("not posted")
    };
    posted.obligation.expect("an obligation")
}

#[test]
fn invoices_are_sent_on_their_issue_date_and_reminders_refer_to_them() {
    use arrears::case::{ActionStatus, ContactOutcome};
    let (_dir, books) = open_temp();
    set_policy(&books);
    let account = debtor_owing(&books, "inv", ("US", "en", Currency::USD), 12_000);
    let ahead = charge_ahead(&books, account);
    // Jan 5: the invoice issued on Jan 1 goes out, the one issued ahead (Jan 20) does not.
    books.run_cycle(d(1, 5)).unwrap();
    let first = only_action(&books);
    assert_eq!((first.template.as_str(), first.channel), ("invoice.email", ContactChannel::Email));
    let first_invoice = first.invoice.expect("the invoice it sends");
    let message = first.message.clone().expect("rendered");
    let link = first.payment_link.clone().expect("a link");
    assert_eq!(
        message.text.lines().next(),
        Some(
            format!(
                "Hello Ana inv, here is invoice INV-inv for $120.00, due on 02/01/2026. Pay at \
                 {link}."
            )
            .as_str()
        )
    );
    // Its delivery is tracked like any action's.
    let ack = Command::Acknowledge {
        action: first.id,
        outcome: ContactOutcome::Delivered,
        at: first.scheduled_at,
    };
    books.execute("ack-invoice", &ack).unwrap().accepted().unwrap();
    let delivered = books.actions().unwrap().into_iter().find(|a| a.id == first.id).unwrap();
    assert!(matches!(
        delivered.status,
        ActionStatus::Acknowledged { outcome: ContactOutcome::Delivered, .. }
    ));
    // Jan 20: the invoice issued ahead becomes an action on its date, once.
    books.run_cycle(d(1, 20)).unwrap();
    let second = only_action(&books);
    assert_eq!((second.invoice, second.created_for), (Some(ahead), d(1, 20)));
    assert!(second.message.expect("rendered").text.contains("invoice INV-2 for $50.00"));
    books
        .execute(
            "ack-2",
            &Command::Acknowledge {
                action: second.id,
                outcome: ContactOutcome::Bounced,
                at: second.scheduled_at,
            },
        )
        .unwrap()
        .accepted()
        .unwrap();
    // Jan 29: the courtesy reminder refers to the invoice its amount is about.
    books.run_cycle(d(1, 29)).unwrap();
    let reminder = only_action(&books);
    assert_eq!(
        (reminder.template.as_str(), reminder.invoice),
        ("courtesy.email", Some(first_invoice))
    );
    assert!(reminder.message.expect("rendered").text.contains("invoice INV-inv for $120.00"));
}

/// The example policy with an e-mail a day after the SMS in `early`, and a budget of one
/// contact a week (two for BNPL debtors).
fn policy_with_a_budget() -> String {
    let steps = "contact = [{ channel = \"sms\", template = \"early.sms\" }, \
                 { channel = \"email\", template = \"courtesy.email\", after_days = 1 }]";
    let text = POLICY.replace(
        "contact = [{ channel = \"sms\", template = \"early.sms\", after_days = 0 }]",
        steps,
    );
    text + "
[experience]
contacts_per_week = 1

[[experience.segment]]
name = \"bnpl\"
products = [\"bnpl\"]
contacts_per_week = 2
"
}

#[test]
fn the_experience_budget_blocks_contacts_beyond_it_and_is_reported() {
    use arrears::case::ContactOutcome;
    let (_dir, books) = open_temp();
    let command = Command::SetPolicy { file: "budget.toml".into(), text: policy_with_a_budget() };
    books.execute("policy", &command).unwrap().accepted().unwrap();
    debtor_owing(&books, "budget", ("US", "en", Currency::USD), 9_900);
    let report = books.run_cycle(d(2, 2)).unwrap();
    assert_eq!(report.blocked.get("experience.contacts_per_week"), None);
    let sms = only_action(&books);
    let ack = Command::Acknowledge {
        action: sms.id,
        outcome: ContactOutcome::Delivered,
        at: sms.scheduled_at,
    };
    books.execute("ack", &ack).unwrap().accepted().unwrap();
    // The e-mail the next day would be the second contact in 7 days: blocked, and audited.
    let report = books.run_cycle(d(2, 3)).unwrap();
    assert_eq!(report.blocked.get("experience.contacts_per_week"), Some(&1));
    assert!(books.pending_actions(10).unwrap().is_empty());
    let experience = books.report_experience(d(2, 3)).unwrap();
    let rows: Vec<(&str, u64, u64, u64, u64)> = experience
        .segments
        .iter()
        .map(|row| {
            let segment = row.segment.as_str();
            (segment, row.debtors, row.contacts_allowed, row.contacts_used, row.debtors_at_budget)
        })
        .collect();
    assert_eq!(rows, [("bnpl", 0, 0, 0, 0), ("default", 1, 1, 1, 1)]);
    // A week after the SMS, the budget allows the e-mail.
    books.run_cycle(d(2, 10)).unwrap();
    assert_eq!(only_action(&books).channel, ContactChannel::Email);
}

#[test]
fn a_budget_above_the_highest_legal_cap_is_a_load_error() {
    let text = POLICY.to_owned() + "\n[experience]\ncontacts_per_week = 8\n";
    let error = arrears::policy::Policy::from_toml(&text, "t.toml").unwrap_err();
    assert_eq!(error.field, "experience.contacts_per_week");
    assert!(error.to_string().contains("8 is out of range 0..=7"), "{error}");
}

/// The example policy with two more stages: one for customers of a month or more who paid at
/// least $10, one for customers of a month or more who complained (more specific: three
/// conditions).
pub(crate) fn policy_with_customer_stages() -> String {
    POLICY.to_owned()
        + "
[[stage]]
name = \"early_loyal\"
min_dpd = 1
max_dpd = 29
min_tenure_months = 1
min_lifetime_value = { USD = \"10.00\" }

[stage.actions]
contact = [{ channel = \"sms\", template = \"early.sms\" }]

[[stage]]
name = \"complained\"
min_dpd = 1
signals = [\"complaint\"]
products = [\"installment\"]
min_tenure_months = 1

[stage.actions]
contact = [{ channel = \"letter\", template = \"late.final\" }]
"
}

#[test]
fn tenure_lifetime_value_and_complaints_select_stages() {
    let (_dir, books) = open_temp();
    let command =
        Command::SetPolicy { file: "customer.toml".into(), text: policy_with_customer_stages() };
    books.execute("policy", &command).unwrap().accepted().unwrap();
    let account = debtor_owing(&books, "loyal", ("US", "en", Currency::USD), 9_900);
    let stage = |books: &Arrears| books.case(account).unwrap().stage;
    // A month on book but nothing paid yet: the plain early stage.
    books.run_cycle(d(2, 2)).unwrap();
    assert_eq!(stage(&books).as_deref(), Some("early"));
    // After paying $20 of it, the loyal customer's stage.
    let pay = Command::Payment {
        account,
        effective_on: d(2, 3),
        amount: Money::from_minor(2_000, Currency::USD),
        directed_to: None,
    };
    books.execute("pay", &pay).unwrap().accepted().unwrap();
    books.run_cycle(d(2, 4)).unwrap();
    assert_eq!(stage(&books).as_deref(), Some("early_loyal"));
    // A complaint, reported for a person, selects the complaint stage.
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let report = arrears::model::ReportedSignal {
        signal: arrears::policy::Signal::Complaint,
        observed_on: d(2, 4),
        expires_on: None,
        source: "crm".into(),
        evidence: "called to complain about the calls".into(),
    };
    let command = Command::ReportSignal { debtor, report };
    books.execute("complaint", &command).unwrap().accepted().unwrap();
    books.run_cycle(d(2, 5)).unwrap();
    assert_eq!(stage(&books).as_deref(), Some("complained"));
}

/// A customer's lifetime value counts every payment, also those the store moved out of the
/// account's row (its cold parts: settled payments more than 92 days before the account's
/// latest event, but the last two). Here nine of the eleven payments, $90.00, move out; the two
/// left in the row, $9.00, are below the loyal stage's $10.00. The stage must be the loyal one,
/// in the review and in the state a payment's transition is decided from.
#[test]
fn the_lifetime_value_counts_the_payments_moved_out_of_the_accounts_row() {
    let (_dir, books) = open_temp();
    let command =
        Command::SetPolicy { file: "customer.toml".into(), text: policy_with_customer_stages() };
    books.execute("policy", &command).unwrap().accepted().unwrap();
    let account = debtor_owing(&books, "loyal", ("US", "en", Currency::USD), 9_900);
    let pay = |key: &str, on: NaiveDate, minor: i64| {
        let pay = Command::Payment {
            account,
            effective_on: on,
            amount: Money::from_minor(minor, Currency::USD),
            directed_to: None,
        };
        books.execute(key, &pay).unwrap().accepted().unwrap();
    };
    // The first invoice paid before its due date, nine times $10.00 and twice $4.50.
    for day in 10..19 {
        pay(&format!("pay-{day}"), d(1, day), 1_000);
    }
    pay("pay-19", d(1, 19), 450);
    pay("pay-20", d(1, 20), 450);
    // A second invoice in June: the account's latest event moves on by more than 92 days.
    let charge = Command::Charge(NewCharge {
        account,
        external_ref: Some("INV-2".into()),
        kind: arrears::model::ObligationKind::Invoice,
        issued_on: d(6, 1),
        due_on: d(7, 1),
        principal: Money::from_minor(5_000, Currency::USD),
        interest: Money::zero(Currency::USD),
        fee: Money::zero(Currency::USD),
    });
    books.execute("c:INV-2", &charge).unwrap().accepted().unwrap();
    let stage = |books: &Arrears| books.case(account).unwrap().stage;
    // Past due: the loyal customer's early stage, by the $99.00 paid in January.
    books.run_cycle(d(7, 4)).unwrap();
    assert_eq!(stage(&books).as_deref(), Some("early_loyal"));
    let reviewed = books.case(account).unwrap().state;
    assert!(matches!(reviewed, CollectionState::Delinquent { .. }), "{reviewed:?}");
    // A part payment's transition keeps the stage the review chose (its $0.50 and the last
    // two of January, in the row, are below $10.00).
    pay("pay-part", d(7, 5), 50);
    assert_eq!(books.case(account).unwrap().state, reviewed);
    books.run_cycle(d(7, 6)).unwrap();
    assert_eq!(stage(&books).as_deref(), Some("early_loyal"));
}

/// The example policy with one arm whose house style is English and firm, and the firm
/// e-mail and letter its tone needs (the example's SMS is firm already).
fn policy_with_a_house_style() -> String {
    POLICY.to_owned()
        + "
[[template]]
id = \"house.email\"
channel = \"email\"
tone = \"firm\"
text = { en = \"{name}, pay {amount_due} due {due_date} now: {payment_link}\", es = \"{name}, pague {amount_due} del {due_date} ya: {payment_link}\" }

[[template]]
id = \"house.letter\"
channel = \"letter\"
tone = \"firm\"
text = { en = \"Dear {name}, pay {amount_due} due {due_date}.\", es = \"Estimado/a {name}, pague {amount_due} del {due_date}.\" }

[[arm]]
name = \"house\"
weight = 1
language = \"en\"
tone = \"firm\"
"
}

#[test]
fn an_arm_with_a_house_style_writes_its_language_and_tone_to_every_debtor() {
    let (_dir, books) = open_temp();
    let command =
        Command::SetPolicy { file: "house.toml".into(), text: policy_with_a_house_style() };
    books.execute("policy", &command).unwrap().accepted().unwrap();
    debtor_owing(&books, "co", ("CO", "es-CO", Currency::COP), 15_000_000);
    books.run_cycle(d(1, 29)).unwrap();
    let contacts = |books: &Arrears| {
        let mut actions = books.pending_actions(10).unwrap();
        actions.retain(|action| action.template != "invoice.email");
        actions
    };
    // The courtesy step's friendly e-mail is written with the house's firm e-mail, in English
    // to a Spanish speaker.
    let actions = contacts(&books);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].template, "house.email");
    let message = actions[0].message.clone().expect("rendered");
    assert_eq!((message.tone, message.language.as_str()), (Tone::Firm, "en"));
    // English writes pesos with their code, dates month first.
    let link = actions[0].payment_link.clone().expect("issued");
    assert_eq!(message.text, format!("Ana co, pay COP 150,000.00 due 02/01/2026 now: {link}"));
    // The courtesy step counts as issued: the next review writes no second e-mail.
    books.run_cycle(d(1, 30)).unwrap();
    assert_eq!(contacts(&books).len(), 1);
    // Past due, the early SMS is firm already: its own template, in English.
    books.run_cycle(d(2, 2)).unwrap();
    let sms: Vec<Action> = contacts(&books)
        .into_iter()
        .filter(|action| action.channel == ContactChannel::Sms)
        .collect();
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0].template, "early.sms");
    let message = sms[0].message.clone().expect("rendered");
    assert_eq!((message.tone, message.language.as_str()), (Tone::Firm, "en"));
}
