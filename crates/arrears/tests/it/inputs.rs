//! What plugins are given, and the proposal window (issue 15 point 5): in a cycle a scorer sees
//! the review date and each account's own currency, a contact strategy the review date; and
//! one window, a day before the review date to 31 days after it (both ends included), for
//! every strategy: the plugin host's check and the engine's agree, at the microsecond.
//!
//! Method: the C plugin `plugins/inputs.c` echoes the date and currency it was given as reason
//! codes and proposes at an offset from the review date set by its configuration; a Rust
//! strategy does the same through the engine's own path. Real store files, real cycles.

use std::path::Path;
use std::sync::{Arc, Mutex};

use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction,
    ObligationKind, ProductKind, Terms,
};
use arrears::money::{Currency, Money};
use arrears::plugin_host::{
    LoadedPlugin, PluginInstance, PluginOptions, PluginScorer, PluginStrategy,
};
use arrears::strategy::{
    ContactProposal, ContactRequest, ContactStep, ContactStrategy, Features, Score, Scorer,
    StrategyError,
};
use arrears::{Arrears, Command, NewAccount, NewCharge, NewDebtor, Outcome, PluginCallError};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::plugins::compile_c;
use crate::support::{d, open_temp};

/// The review date of every cycle here.
fn review_day() -> NaiveDate {
    d(2, 10)
}

/// 00:00 UTC on the review date plus `offset`.
fn at(offset: TimeDelta) -> DateTime<Utc> {
    review_day().and_hms_opt(0, 0, 0).unwrap().and_utc() + offset
}

fn days_since_epoch(day: NaiveDate) -> i64 {
    (day - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
}

/// The `inputs` plugin, compiled into `dir`, instantiated with `config`.
fn inputs_plugin(dir: &Path, config: &str) -> Arc<PluginInstance> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/plugins/inputs.c");
    let library = dir.join("libinputs.so");
    let library = if library.exists() { library } else { compile_c(&source, &library, &[]) };
    let plugin = LoadedPlugin::load(&library, &PluginOptions::default()).unwrap();
    Arc::new(plugin.instantiate(config).unwrap())
}

/// A policy with one stage (one e-mail step on entering it) and one arm.
fn set_policy(books: &Arrears, scorer: &str, strategy: &str) {
    let text = format!(
        "name = \"inputs\"\nversion = 1\ncreditor = \"first_party\"\n\n[[stage]]\nname = \"all\"\n\
         min_dpd = 1\n[stage.actions]\ncontact = [ {{ channel = \"email\", template = \"remind\", \
         after_days = 0 }} ]\n\n[[arm]]\nname = \"only\"\nweight = 1\nscorer = \"{scorer}\"\n\
         strategy = \"{strategy}\"\n"
    );
    let command = Command::SetPolicy { file: "inputs.toml".into(), text };
    assert!(matches!(
        books.execute("policy", &command).unwrap().outcome,
        Outcome::PolicySet { .. }
    ));
}

/// A debtor with a consented e-mail address and one account in `currency`, 10 days past due on
/// the review date.
fn delinquent(books: &Arrears, reference: &str, currency: Currency) {
    let debtor = match books
        .execute(
            &format!("debtor:{reference}"),
            &Command::CreateDebtor(NewDebtor {
                external_ref: Some(reference.to_owned()),
                kind: DebtorKind::Person,
                name: format!("Debtor {reference}"),
                jurisdiction: Jurisdiction { country: "US".into(), region: None },
                time_zones: vec!["America/Chicago".into()],
                language: "en".into(),
                contact_points: vec![ContactPoint {
                    channel: ContactChannel::Email,
                    address: format!("{reference}@example.com"),
                    kind: ContactPointKind::Personal,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome
    {
        Outcome::DebtorCreated(id) => id,
        other => panic!("{other:?}"),
    };
    let open = Command::OpenAccount(NewAccount {
        external_ref: Some(reference.to_owned()),
        debtor,
        product: ProductKind::TradeCredit,
        credit_limit: None,
        currency,
        opened_on: d(1, 1),
        terms: Terms::default(),
    });
    let account = match books.execute(&format!("account:{reference}"), &open).unwrap().outcome {
        Outcome::AccountOpened(id) => id,
        other => panic!("{other:?}"),
    };
    let charge = Command::Charge(NewCharge {
        account,
        external_ref: None,
        kind: ObligationKind::Invoice,
        issued_on: d(1, 1),
        due_on: d(1, 31),
        principal: Money::from_minor(90_000, currency),
        interest: Money::from_minor(0, currency),
        fee: Money::from_minor(0, currency),
    });
    assert!(matches!(
        books.execute(&format!("charge:{reference}"), &charge).unwrap().outcome,
        Outcome::Posted(_)
    ));
}

/// A scorer that records what another scorer answered.
struct Recording {
    inner: PluginScorer,
    scores: Mutex<Vec<Score>>,
}

impl Scorer for Recording {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn score_batch(&self, features: &[Features]) -> Result<Vec<Score>, StrategyError> {
        let scores = self.inner.score_batch(features)?;
        self.scores.lock().unwrap().extend(scores.iter().cloned());
        Ok(scores)
    }
}

#[test]
fn issue_15_a_plugin_sees_the_review_date_and_each_accounts_currency_in_a_cycle() {
    let plugin_dir = tempfile::tempdir().unwrap();
    let instance = inputs_plugin(plugin_dir.path(), "");
    let (_dir, mut books) = open_temp();
    let recording = Arc::new(Recording {
        inner: PluginScorer::new("inputs", instance.clone()).unwrap(),
        scores: Mutex::new(Vec::new()),
    });
    books.register_scorer(recording.clone());
    books.register_strategy(Arc::new(PluginStrategy::new("inputs", instance).unwrap()));
    set_policy(&books, "inputs", "inputs");
    delinquent(&books, "EU-1", Currency::EUR);
    delinquent(&books, "JP-1", Currency::JPY);

    let report = books.run_cycle(review_day()).unwrap();
    assert!(report.component_failures.is_empty(), "{:?}", report.component_failures);
    assert_eq!(report.reviewed, 2);
    let date = format!("d{}", days_since_epoch(review_day()));
    let mut seen: Vec<Vec<String>> =
        recording.scores.lock().unwrap().iter().map(|score| score.reasons.clone()).collect();
    seen.sort();
    assert_eq!(seen, [vec![date.clone(), "cEUR".to_owned()], vec![date, "cJPY".to_owned()]]);
    // The strategy proposed at 15:00 UTC on the date it was given: the review date.
    let scheduled: Vec<_> =
        books.actions().unwrap().iter().map(|action| action.scheduled_at).collect();
    assert_eq!(scheduled, [at(TimeDelta::hours(15)); 2]);
    assert!(books.verify().unwrap().is_clean());
}

/// One contact request of the review date, with an e-mail step and address.
fn request() -> ContactRequest {
    ContactRequest {
        debtor: arrears::ids::DebtorId(1),
        accounts: vec![arrears::ids::AccountId(1)],
        as_of: review_day(),
        steps: vec![ContactStep {
            channel: ContactChannel::Email,
            template: "remind".into(),
            tone: None,
        }],
        contact_points: vec![ContactPoint {
            channel: ContactChannel::Email,
            address: "a@example.com".into(),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        }],
        time_zones: vec!["America/Chicago".into()],
        score: None,
        history: Vec::new(),
    }
}

/// The window's two ends and one microsecond (and one second) past each.
fn boundaries() -> [(TimeDelta, bool); 6] {
    let last = TimeDelta::days(31);
    let first = -TimeDelta::days(1);
    let micro = TimeDelta::microseconds(1);
    let second = TimeDelta::seconds(1);
    [
        (last, true),
        (last + micro, false),
        (last + second, false),
        (first, true),
        (first - micro, false),
        (first - second, false),
    ]
}

#[test]
fn issue_15_the_plugin_host_accepts_the_whole_31_day_window_and_nothing_past_it() {
    let plugin_dir = tempfile::tempdir().unwrap();
    for (offset, accepted) in boundaries() {
        let config = offset.num_microseconds().unwrap().to_string();
        let result = inputs_plugin(plugin_dir.path(), &config).propose_batch(&[request()], &[]);
        if accepted {
            let proposals = result.unwrap();
            assert_eq!(proposals.len(), 1, "{offset}");
            assert_eq!(proposals[0].at, at(offset));
        } else {
            let at_unix_us = at(offset).timestamp_micros();
            assert!(
                matches!(&result, Err(PluginCallError::BadTime { index: 0, at_unix_us: got, .. })
                    if *got == at_unix_us),
                "{offset}: {result:?}"
            );
        }
    }
}

/// Proposes the first step on the first address of its channel at 00:00 UTC on the review
/// date plus `offset`: the engine's own path, with no plugin host in between.
struct Offset(TimeDelta);

impl ContactStrategy for Offset {
    fn name(&self) -> &str {
        "offset"
    }

    fn propose_batch(
        &self,
        requests: &[ContactRequest],
    ) -> Result<Vec<ContactProposal>, StrategyError> {
        let day_start = |request: &ContactRequest| request.as_of.and_hms_opt(0, 0, 0).unwrap();
        Ok(requests
            .iter()
            .map(|request| ContactProposal {
                debtor: request.debtor,
                accounts: request.accounts.clone(),
                channel: request.steps[0].channel,
                address: request.contact_points[0].address.clone(),
                template: request.steps[0].template.clone(),
                at: day_start(request).and_utc() + self.0,
                tone: None,
            })
            .collect())
    }
}

/// The cycle of the review date with `strategy` registered under the arm's strategy name:
/// the report, and the actions it wrote.
fn cycle_with(strategy: Arc<dyn ContactStrategy>) -> (arrears::CycleReport, Vec<DateTime<Utc>>) {
    let (_dir, mut books) = open_temp();
    let name = strategy.name().to_owned();
    books.register_strategy(strategy);
    set_policy(&books, "rules", &name);
    delinquent(&books, "US-1", Currency::USD);
    let report = books.run_cycle(review_day()).unwrap();
    assert!(books.verify().unwrap().is_clean());
    let scheduled = books.actions().unwrap().iter().map(|action| action.scheduled_at).collect();
    (report, scheduled)
}

#[test]
fn issue_15_the_engine_admits_the_same_window_from_any_strategy() {
    let plugin_dir = tempfile::tempdir().unwrap();
    for (offset, accepted) in boundaries() {
        // Built in (a Rust strategy): refused proposals are counted, not errors.
        let (report, scheduled) = cycle_with(Arc::new(Offset(offset)));
        assert!(report.component_failures.is_empty(), "{offset}: {report:?}");
        if accepted {
            assert_eq!((report.proposals_refused, scheduled), (0, vec![at(offset)]), "{offset}");
        } else {
            assert_eq!((report.proposals_refused, scheduled), (1, vec![]), "{offset}");
        }
        // Plugged in: past the window the host fails the call, a component failure.
        let config = offset.num_microseconds().unwrap().to_string();
        let instance = inputs_plugin(plugin_dir.path(), &config);
        let (report, scheduled) =
            cycle_with(Arc::new(PluginStrategy::new("inputs", instance).unwrap()));
        assert_eq!(report.proposals_refused, 0, "{offset}");
        if accepted {
            assert!(report.component_failures.is_empty(), "{offset}: {report:?}");
            assert_eq!(scheduled, [at(offset)], "{offset}");
        } else {
            assert_eq!(report.component_failures.len(), 1, "{offset}");
            assert!(
                report.component_failures[0].last_error.contains("outside the allowed window"),
                "{report:?}"
            );
            assert!(scheduled.is_empty(), "{offset}");
        }
    }
}
