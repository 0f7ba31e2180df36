//! The guardrails in the cycle: a strategy that proposes violations (calls at 03:00, e-mail to
//! an employer-provided address, SMS to an opted-out number, calls during the cool-down after a
//! conversation) gets none of them through. What reaches the outbox is re-evaluated here,
//! independently, against the packs with the history before it.

use std::sync::Arc;

use arrears::case::{ActionStatus, ContactOutcome};
use arrears::compliance::{self, ChannelGroup, Direction, Recipient};
use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction,
    ProductKind, Terms,
};
use arrears::money::Currency;
use arrears::strategy::{ContactProposal, ContactRequest, ContactStrategy, StrategyError};
use arrears::{Command, NewAccount, NewDebtor, Outcome};
use chrono::Timelike;

use crate::support::*;

/// Proposes every step on every address of its channel, at 03:00 local time (also the
/// regulatory tests' strategy that tries to get past the guardrails).
pub(crate) struct Rogue;

impl ContactStrategy for Rogue {
    fn name(&self) -> &str {
        "rogue"
    }

    fn propose_batch(
        &self,
        requests: &[ContactRequest],
    ) -> Result<Vec<ContactProposal>, StrategyError> {
        let mut proposals = Vec::new();
        for request in requests {
            let at =
                arrears::strategy::local_instant(request.as_of, 3, &request.time_zones[0]).unwrap();
            for step in &request.steps {
                for point in
                    request.contact_points.iter().filter(|point| point.channel == step.channel)
                {
                    proposals.push(ContactProposal {
                        debtor: request.debtor,
                        accounts: request.accounts.clone(),
                        channel: step.channel,
                        address: point.address.clone(),
                        template: step.template.clone(),
                        at,
                        tone: None,
                    });
                }
            }
        }
        Ok(proposals)
    }
}

/// A third-party collector's policy with a call, an e-mail and a text due on each of ten
/// days, all proposed by [`Rogue`].
pub(crate) fn aggressive_policy() -> String {
    let mut steps = Vec::new();
    for day in 0..10 {
        steps.push(format!(
            "{{ channel = \"phone\", template = \"call.{day}\", after_days = {day} }}"
        ));
        steps.push(format!(
            "{{ channel = \"email\", template = \"email.{day}\", after_days = {day} }}"
        ));
        steps
            .push(format!("{{ channel = \"sms\", template = \"sms.{day}\", after_days = {day} }}"));
    }
    format!(
        "name = \"aggressive\"\nversion = 1\ncreditor = \"third_party\"\n\n[[stage]]\nname = \"all\"\nmin_dpd = 1\n[stage.actions]\ncontact = [\n  {}\n]\n\n[[arm]]\nname = \"only\"\nweight = 1\nscorer = \"rules\"\nstrategy = \"rogue\"\n",
        steps.join(",\n  ")
    )
}

fn point(
    channel: ContactChannel,
    address: &str,
    kind: ContactPointKind,
    opted_out: bool,
) -> ContactPoint {
    ContactPoint { channel, address: address.to_owned(), kind, consent: true, opted_out }
}

#[test]
fn a_strategy_proposing_violations_gets_none_through() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let debtor = match books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec!["America/Chicago".into()],
                language: "en".into(),
                contact_points: vec![
                    point(ContactChannel::Phone, "+15125550100", ContactPointKind::Personal, false),
                    point(
                        ContactChannel::Email,
                        "rae@employer.example",
                        ContactPointKind::EmployerProvided,
                        false,
                    ),
                    point(ContactChannel::Sms, "+15125550199", ContactPointKind::Personal, true),
                ],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome
    {
        Outcome::DebtorCreated(id) => id,
        other => panic!("{other:?}"),
    };
    let account = match books
        .execute(
            "account",
            &Command::OpenAccount(NewAccount {
                external_ref: None,
                debtor,
                product: ProductKind::Installment,
                credit_limit: None,
                currency: Currency::USD,
                opened_on: d(1, 1),
                terms: Terms::default(),
            }),
        )
        .unwrap()
        .outcome
    {
        Outcome::AccountOpened(id) => id,
        other => panic!("{other:?}"),
    };
    charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);

    let mut blocked: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut rescheduled = 0;
    let mut refused = 0;
    let mut calls = 0;
    for day in 1..=25 {
        let today = d(2, 1) + chrono::Days::new(day - 1);
        let report = books.run_cycle(today).unwrap();
        for (rule, count) in report.blocked {
            *blocked.entry(rule).or_insert(0) += count;
        }
        rescheduled += report.rescheduled;
        refused += report.proposals_refused;
        // Executed when due: actions rescheduled to a later day wait for it.
        let due: Vec<_> = books
            .pending_actions(100)
            .unwrap()
            .into_iter()
            .filter(|action| action.scheduled_at.date_naive() <= today)
            .collect();
        for action in due {
            // Every third call is a conversation, which starts the 7-day cool-down.
            let outcome = if action.channel == ContactChannel::Phone {
                calls += 1;
                if calls % 3 == 1 {
                    ContactOutcome::RightParty
                } else {
                    ContactOutcome::NoAnswer
                }
            } else {
                ContactOutcome::Delivered
            };
            let ack = Command::Acknowledge { action: action.id, outcome, at: action.scheduled_at };
            books.execute(&format!("ack:{}", action.id), &ack).unwrap().accepted().unwrap();
        }
    }
    // The violations were stopped: the employer e-mails blocked for good (reported under the
    // first rule that blocks them, the 03:00 hour; the employer rule is among the others), the
    // opted-out SMS refused before the guardrails (not a usable address), 03:00 calls moved
    // to 08:00.
    assert!(blocked.values().sum::<u64>() >= 10, "{blocked:?}");
    assert!(refused > 0);
    assert!(rescheduled > 0);

    let actions = books.actions().unwrap();
    assert!(!actions.is_empty());
    let chicago: chrono_tz::Tz = "America/Chicago".parse().unwrap();
    for action in &actions {
        assert_eq!(action.channel, ContactChannel::Phone, "only calls may go out: {action:?}");
        let local = action.scheduled_at.with_timezone(&chicago);
        assert!((8..21).contains(&local.hour()), "call at {local}");
    }
    // Independently: each action is allowed given everything scheduled before it.
    let mut ordered = actions.clone();
    ordered.sort_by_key(|action| action.scheduled_at);
    let packs = compliance::packs_for(
        &Jurisdiction { country: "US".into(), region: Some("TX".into()) },
        arrears::policy::Creditor::ThirdParty,
    );
    let debts = vec![account.to_string()];
    let zones = vec!["America/Chicago".to_owned()];
    for (index, action) in ordered.iter().enumerate() {
        let history: Vec<compliance::HistoryEntry> = ordered[..index]
            .iter()
            .map(|earlier| compliance::HistoryEntry {
                at: earlier.scheduled_at,
                person: debtor.get(),
                debts: debts.clone(),
                channel: ChannelGroup::Call,
                recipient: Recipient::Consumer,
                address_kind: ContactPointKind::Personal,
                direction: Direction::Outbound,
                consented: false,
                outcome: match &earlier.status {
                    ActionStatus::Acknowledged { outcome, .. } => (*outcome).into(),
                    ActionStatus::Pending | ActionStatus::Cancelled { .. } => {
                        compliance::Outcome::NoAnswer
                    }
                },
            })
            .collect();
        let proposal = compliance::Proposal {
            person: debtor.get(),
            debts: &debts,
            action: compliance::ActionKind::Contact,
            channel: ChannelGroup::Call,
            recipient: Recipient::Consumer,
            address: Some(&action.address),
            address_kind: ContactPointKind::Personal,
            address_consent: true,
            at: action.scheduled_at,
            time_zones: &zones,
        };
        let decision =
            compliance::evaluate(&packs, &proposal, &history, &compliance::Flags::default());
        assert!(
            decision.allowed,
            "action {} at {} got through: {decision:?}",
            action.id, action.scheduled_at
        );
    }
    assert!(books.verify().unwrap().is_clean());
}

/// A scorer and a strategy that always fail, under the names a policy arm gives them.
struct Broken;

impl arrears::strategy::Scorer for Broken {
    fn name(&self) -> &str {
        "broken"
    }

    fn score_batch(
        &self,
        _features: &[arrears::strategy::Features],
    ) -> Result<Vec<arrears::strategy::Score>, StrategyError> {
        Err(StrategyError { component: "broken".into(), reason: "model file missing".into() })
    }
}

impl ContactStrategy for Broken {
    fn name(&self) -> &str {
        "broken"
    }

    fn propose_batch(
        &self,
        _requests: &[ContactRequest],
    ) -> Result<Vec<ContactProposal>, StrategyError> {
        Err(StrategyError { component: "broken".into(), reason: "vendor timed out".into() })
    }
}

/// Issue 13 (a failing scorer or strategy inside the cycle was dropped silently): each failed
/// call is counted in the cycle report by arm and component and written to the audit log, and
/// the cycle goes on (the account is still reviewed and rescheduled).
#[test]
fn issue_13_failing_components_are_counted_and_audited() {
    let (_dir, mut books) = open_temp();
    books.register_scorer(Arc::new(Broken));
    books.register_strategy(Arc::new(Broken));
    let text = aggressive_policy()
        .replace("scorer = \"rules\"", "scorer = \"broken\"")
        .replace("strategy = \"rogue\"", "strategy = \"broken\"");
    let policy = Command::SetPolicy { file: "broken.toml".into(), text };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let account = account(&books, "A-1");
    charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);

    let report = books.run_cycle(d(2, 10)).unwrap();
    assert_eq!(report.reviewed, 1);
    assert_eq!(report.actions, 0);
    let failures: Vec<_> = report
        .component_failures
        .iter()
        .map(|f| (f.arm.as_str(), f.component, f.name.as_str(), f.calls, f.accounts))
        .collect();
    assert_eq!(
        failures,
        [("only", "scorer", "broken", 1, 1), ("only", "strategy", "broken", 1, 1)]
    );
    assert_eq!(report.component_failures[0].last_error, "broken failed: model file missing");
    let audited: Vec<_> = books
        .audit_log(None)
        .unwrap()
        .into_iter()
        .filter_map(|record| match record.kind {
            arrears::case::AuditKind::ComponentFailed { component, accounts, error, .. } => {
                Some((component, accounts, error))
            }
            _ => None,
        })
        .collect();
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert_eq!(audited[1].0, "strategy");
    assert!(audited[1].2.contains("vendor timed out"), "{audited:?}");
    assert!(books.verify().unwrap().is_clean());
}

/// Issue 15 point 1: the policy says what replaces a failed component. With
/// `scorer_fallback` and `strategy_fallback`, the built-in fallbacks take over: the account
/// is scored and contacted, the failures are still counted (with the fallback named) and
/// audited. A fallback that is a plugin library, or names nothing, is refused at policy set.
#[test]
fn issue_15_a_failed_component_falls_back_to_the_named_built_in() {
    let (_dir, mut books) = open_temp();
    books.register_scorer(Arc::new(Broken));
    books.register_strategy(Arc::new(Broken));
    let text = aggressive_policy()
        .replace("scorer = \"rules\"", "scorer = \"broken\"\nscorer_fallback = \"rules\"")
        .replace("strategy = \"rogue\"", "strategy = \"broken\"\nstrategy_fallback = \"ladder\"");
    let policy = Command::SetPolicy { file: "fallback.toml".into(), text: text.clone() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let account = account(&books, "A-1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let point = point(ContactChannel::Email, "a1@example.com", ContactPointKind::Personal, false);
    let set = Command::SetContactPoint { debtor, point, evidence: None };
    assert!(!books.execute("email", &set).unwrap().outcome.is_rejected());
    charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);

    let report = books.run_cycle(d(2, 10)).unwrap();
    assert_eq!(report.reviewed, 1);
    assert!(report.actions > 0, "the fallback ladder proposed contacts: {report:?}");
    let failures: Vec<_> = report
        .component_failures
        .iter()
        .map(|f| (f.component, f.name.as_str(), f.calls, f.fallback.as_deref()))
        .collect();
    assert_eq!(
        failures,
        [("scorer", "broken", 1, Some("rules")), ("strategy", "broken", 1, Some("ladder"))],
        "no failure of a fallback"
    );
    // No `scorer_fallback` failure: the built-in scored the account.
    let audited: Vec<String> = books
        .audit_log(None)
        .unwrap()
        .into_iter()
        .filter_map(|record| match record.kind {
            arrears::case::AuditKind::ComponentFailed { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert!(audited[0].ends_with("rules took over"), "{audited:?}");
    assert!(books.verify().unwrap().is_clean());

    // A fallback that resolves to nothing is refused when the policy is set.
    let unknown = text.replace("strategy_fallback = \"ladder\"", "strategy_fallback = \"nope\"");
    let policy = Command::SetPolicy { file: "unknown.toml".into(), text: unknown };
    let error = books.execute("policy-2", &policy).unwrap_err();
    assert!(error.to_string().contains("strategy_fallback"), "{error}");
}

/// A contact recorded by `record_outbound` (made outside the outbox, or carried from another
/// shard) enters the history the guardrails count, as an outbound contact with its outcome;
/// `record_inbound` the same as inbound. An account that is not the debtor's is refused.
#[test]
fn an_outbound_contact_recorded_by_hand_counts_in_the_guardrails_history() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let other = account_with(&books, debtor_of_other(&books), "B1", Terms::default(), None);
    let at: chrono::DateTime<chrono::Utc> = "2026-02-03T15:04:05Z".parse().unwrap();
    let outbound = Command::RecordOutbound {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15550100".into(),
        at,
        outcome: ContactOutcome::RightParty,
    };
    let receipt = books.execute("out-1", &outbound).unwrap();
    assert!(matches!(receipt.outcome, Outcome::DebtorUpdated { .. }), "{:?}", receipt.outcome);
    let inbound = Command::RecordInbound {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15550100".into(),
        at: at + chrono::Duration::hours(1),
        outcome: ContactOutcome::PromiseCaptured,
    };
    books.execute("in-1", &inbound).unwrap().accepted().unwrap();
    let contacts = books.contacts(debtor).unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(!contacts[0].inbound && contacts[0].at == at && contacts[0].action.is_none());
    assert!(contacts[1].inbound);
    let history = books.guardrail_inputs(debtor, &[]).unwrap().history;
    let directions: Vec<_> =
        history.iter().map(|entry| (entry.at, entry.direction, entry.outcome)).collect();
    assert_eq!(
        directions,
        vec![
            (at, Direction::Outbound, compliance::Outcome::from(ContactOutcome::RightParty)),
            (
                at + chrono::Duration::hours(1),
                Direction::Inbound,
                compliance::Outcome::from(ContactOutcome::PromiseCaptured),
            ),
        ]
    );
    assert_eq!(history[0].channel, ChannelGroup::Call);
    // Another debtor's account: refused, nothing written.
    let wrong = Command::RecordOutbound {
        debtor,
        accounts: vec![other],
        channel: ContactChannel::Phone,
        address: "+15550100".into(),
        at,
        outcome: ContactOutcome::NoAnswer,
    };
    assert!(books.execute("out-2", &wrong).is_err());
    assert!(books.recorded("out-2").unwrap().is_none());
    assert_eq!(books.contacts(debtor).unwrap().len(), 2);
}

fn debtor_of_other(books: &arrears::Arrears) -> arrears::ids::DebtorId {
    debtor(books, "OTHER")
}
