//! Cases built from the documented contract of the work queues (docs/COLLECTIONS.md, "Work
//! queues"), the outbox's claims and reports (docs/COLLECTIONS.md, "The outbox" and "Sending
//! each action exactly once") and the messages (docs/MESSAGES.md), through the public API only.
//! Each test names the lines it checks. What the CLI tests already play (`arrears-cli`'s
//! `work.rs` and `queue.rs`) is not repeated.

use std::sync::{Arc, Mutex};

use arrears::case::{ActionStatus, ContactOutcome};
use arrears::collection::CollectionState;
use arrears::ids::{AccountId, DebtorId};
use arrears::model::{
    ContactChannel, DebtorFlags, DebtorKind, Jurisdiction, ObligationKind, ProductKind, Terms,
};
use arrears::money::Currency;
use arrears::policy::Signal;
use arrears::work::{Agent, Skills, Team, WorkOutcomeCode};
use arrears::{
    Arrears, Clock, Command, CommandError, LinkRequest, NewAccount, NewCharge, NewDebtor, Outcome,
    PaymentLinks, PromiseLine, Rejection, WorkDone,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::messages::{debtor_owing, point, set_policy, POLICY as MESSAGES_POLICY};
use crate::support::*;

/// An engine clock the test sets.
#[derive(Clone)]
struct Manual(Arc<Mutex<DateTime<Utc>>>);

impl Clock for Manual {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

const STANDARD: &str = include_str!("../../../../examples/policies/standard.toml");

/// Spanish speakers in `early` to `spanish` by days past due; everyone else in `early` to
/// `collections` by balance.
const RULES: &str = "
[[assignment]]
team = \"spanish\"
stages = [\"early\"]
languages = [\"es\"]
priority = \"days_past_due\"

[[assignment]]
team = \"collections\"
stages = [\"early\"]
priority = \"balance\"
";

const NUMBER: [&str; 3] = ["+15125550101", "+15125550102", "+15125550103"];

/// A floor on 2026-02-10: three debtors late since Feb 1, reviewed by the cycle that day
/// (stage `early`, one SMS action each), two teams and four agents.
struct Floor {
    _dir: tempfile::TempDir,
    books: Arrears,
    clock: Arc<Mutex<DateTime<Utc>>>,
    /// English, trade credit, 500.00 (the best `collections` item).
    big: AccountId,
    /// English, installment loan, 200.00.
    small: AccountId,
    /// Spanish (es-MX), trade credit, 300.00: the `spanish` team's item.
    spanish: AccountId,
    debtors: [DebtorId; 3],
}

impl Floor {
    fn set_now(&self, at: &str) {
        *self.clock.lock().unwrap() = at.parse().unwrap();
    }

    fn now(&self) -> DateTime<Utc> {
        *self.clock.lock().unwrap()
    }

    fn claim(&self, agent: &str, lease_seconds: u32, as_of: NaiveDate) -> Option<AccountId> {
        self.books.claim_work(agent, lease_seconds, as_of).unwrap().map(|entry| entry.account)
    }

    fn entry(&self, account: AccountId, as_of: NaiveDate) -> arrears::queue::QueueEntry {
        let queue = self.books.work_queue(&[], as_of).unwrap();
        queue.into_iter().find(|entry| entry.account == account).expect("in the queue")
    }

    fn record(&self, key: &str, done: WorkDone) -> Result<Outcome, CommandError> {
        self.books.execute(key, &Command::RecordWork(done)).map(|receipt| receipt.outcome)
    }

    /// Records `done`, which must be accepted.
    fn work(&self, key: &str, done: WorkDone) -> Outcome {
        let outcome = self.record(key, done).unwrap();
        assert!(!outcome.is_rejected(), "{outcome:?}");
        outcome
    }

    /// What a refused command must leave as it was: each debtor's contacts, notes and
    /// actions, the work log, the audit log and the queue.
    fn written(&self) -> String {
        let mut all = String::new();
        for debtor in self.debtors {
            let view = self.books.debtor_view(debtor, d(2, 10)).unwrap();
            all += &format!("{:?}\n{:?}\n{:?}\n", view.contacts, view.notes, view.cases);
            all += &format!("{:?}\n", self.books.actions_of(debtor).unwrap());
        }
        all += &format!("{:?}\n", self.books.report_productivity(d(1, 1), d(12, 31)).unwrap());
        all += &format!("{}\n", self.books.audit_log(None).unwrap().len());
        all += &format!("{:?}\n", self.books.work_queue(&[], d(2, 10)).unwrap());
        all
    }
}

fn done(agent: &str, account: AccountId, code: WorkOutcomeCode, at: &str) -> WorkDone {
    WorkDone {
        agent: agent.to_owned(),
        account,
        code,
        at: at.parse().unwrap(),
        promise: Vec::new(),
        next_action_on: None,
        address: None,
        note: None,
    }
}

fn agent(id: &str, teams: &[&str], skills: Skills) -> Command {
    Command::DefineAgent(Agent {
        id: id.to_owned(),
        name: format!("Agent {id}"),
        teams: teams.iter().map(|team| (*team).to_owned()).collect(),
        skills,
        active: true,
    })
}

fn person(
    books: &Arrears,
    index: usize,
    language: &str,
    country: &str,
    (product, principal_minor): (ProductKind, i64),
) -> (DebtorId, AccountId) {
    let reference = format!("Q{index}");
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.clone()),
        kind: DebtorKind::Person,
        name: format!("Debtor {reference}"),
        jurisdiction: Jurisdiction { country: country.into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: language.into(),
        // The mobile number is both a phone and an SMS contact point, phone first.
        contact_points: vec![
            point(ContactChannel::Phone, NUMBER[index]),
            point(ContactChannel::Sms, NUMBER[index]),
            point(ContactChannel::Email, &format!("q{index}@example.com")),
        ],
        flags: DebtorFlags::default(),
    });
    let Outcome::DebtorCreated(debtor) =
        books.execute(&format!("d:{reference}"), &command).unwrap().outcome
    else {
        panic!("no debtor")
    };
    let command = Command::OpenAccount(NewAccount {
        external_ref: Some(reference.clone()),
        debtor,
        product,
        credit_limit: None,
        currency: Currency::USD,
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
        external_ref: None,
        kind: ObligationKind::Installment,
        issued_on: d(1, 1),
        due_on: d(2, 1),
        principal: usd(principal_minor),
        interest: usd(0),
        fee: usd(0),
    });
    books.execute(&format!("c:{reference}"), &charge).unwrap().accepted().unwrap();
    (debtor, account)
}

fn floor() -> Floor {
    let clock = Arc::new(Mutex::new("2026-02-10T12:00:00Z".parse().unwrap()));
    let (dir, books) = open_temp_with(Box::new(Manual(clock.clone())));
    let teams = [
        Team { name: "collections".into(), skills: Skills::default() },
        Team {
            name: "spanish".into(),
            skills: Skills { languages: vec!["es".into()], ..Skills::default() },
        },
    ];
    for team in teams {
        let key = format!("team:{}", team.name);
        books.execute(&key, &Command::DefineTeam(team)).unwrap().accepted().unwrap();
    }
    let policy =
        Command::SetPolicy { file: "work.toml".into(), text: format!("{STANDARD}{RULES}") };
    books.execute("policy", &policy).unwrap().accepted().unwrap();
    let spanish_only = Skills { languages: vec!["es".into()], ..Skills::default() };
    let loans_only = Skills { products: vec![ProductKind::Installment], ..Skills::default() };
    let agents = [
        agent("sam", &["collections"], Skills::default()),
        agent("kim", &["collections"], Skills::default()),
        agent("rosa", &["spanish", "collections"], spanish_only),
        agent("lena", &["collections"], loans_only),
    ];
    for (index, command) in agents.iter().enumerate() {
        books.execute(&format!("agent:{index}"), command).unwrap().accepted().unwrap();
    }
    let (first, big) = person(&books, 0, "en", "US", (ProductKind::TradeCredit, 50_000));
    let (second, small) = person(&books, 1, "en-US", "US", (ProductKind::Installment, 20_000));
    let (third, spanish) = person(&books, 2, "es-MX", "MX", (ProductKind::TradeCredit, 30_000));
    books.run_cycle(d(2, 10)).unwrap();
    Floor { _dir: dir, books, clock, big, small, spanish, debtors: [first, second, third] }
}

/// COLLECTIONS.md, "Work queues", 1: "An agent asking again gets the item it holds (its lease
/// renewed)"; "the lease ends `lease_seconds` after the engine clock's now"; "Two agents never
/// hold the same item".
#[test]
fn asking_again_gives_the_same_item_with_a_lease_from_now() {
    let floor = floor();
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    assert_eq!(floor.claim("kim", 600, d(2, 10)), Some(floor.small));
    floor.set_now("2026-02-10T12:05:00Z");
    let again = floor.books.claim_work("sam", 600, d(2, 10)).unwrap().expect("an item");
    assert_eq!(again.account, floor.big);
    let claim = again.claim.expect("held");
    assert_eq!((claim.agent.as_str(), claim.until), ("sam", floor.now() + Duration::seconds(600)));
    // Kim's item is still Kim's, and nothing else is left for a third agent of the team but
    // what neither holds (the queue has two `collections` items).
    assert_eq!(floor.claim("lena", 600, d(2, 10)), None);
    assert_eq!(floor.entry(floor.small, d(2, 10)).claim.unwrap().agent, "kim");
}

/// COLLECTIONS.md, "Work queues", 1: "a lease that ended without an outcome returns the item to
/// the queue, and the next agent to ask takes it"; 2: RecordWork "is refused (an error,
/// nothing written) unless the agent ... holds the item's claim (a lease that ended still
/// counts while nobody else took the item)".
#[test]
fn an_ended_lease_still_counts_until_another_agent_takes_the_item() {
    let floor = floor();
    assert_eq!(floor.claim("sam", 60, d(2, 10)), Some(floor.big));
    floor.set_now("2026-02-10T12:02:00Z");
    // Nobody took it: Sam's outcome is recorded.
    let at = "2026-02-10T12:02:00Z";
    let outcome = floor.record("w1", done("sam", floor.big, WorkOutcomeCode::Refusal, at));
    assert!(matches!(outcome, Ok(Outcome::Worked { .. })), "{outcome:?}");
    // Another item: Kim takes it once Sam's lease ended, and Sam can no longer record on it.
    assert_eq!(floor.claim("sam", 60, d(2, 10)), Some(floor.small));
    floor.set_now("2026-02-10T12:04:00Z");
    assert_eq!(floor.claim("kim", 60, d(2, 10)), Some(floor.small));
    let before = floor.written();
    let at = "2026-02-10T12:04:00Z";
    let refused = floor.record("w2", done("sam", floor.small, WorkOutcomeCode::Refusal, at));
    assert!(matches!(refused, Err(CommandError::Invalid { field: "account", .. })), "{refused:?}");
    assert_eq!(floor.written(), before);
}

/// COLLECTIONS.md, "Work queues": teams and agents "each with skills: languages, products,
/// jurisdictions"; `claim_work` "claims the best item of the agent's teams that the team's
/// and the agent's skills allow".
#[test]
fn the_team_and_the_agent_skills_restrict_what_is_claimed() {
    let floor = floor();
    // Rosa (Spanish only, in both teams) never gets an English speaker's item.
    assert_eq!(floor.claim("rosa", 600, d(2, 10)), Some(floor.spanish));
    floor.set_now("2026-02-10T12:20:00Z");
    let at = "2026-02-10T12:20:00Z";
    floor.work("w1", done("rosa", floor.spanish, WorkOutcomeCode::Excuse, at));
    assert_eq!(floor.claim("rosa", 600, d(2, 10)), None);
    // Lena works installment loans only: the smaller loan, not the bigger trade credit.
    assert_eq!(floor.claim("lena", 600, d(2, 10)), Some(floor.small));
    // Sam (no skills) is in `collections` only: never the `spanish` item.
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    let queue = floor.books.work_queue(&["spanish".to_owned()], d(2, 10)).unwrap();
    let items: Vec<AccountId> = queue.iter().map(|entry| entry.account).collect();
    assert_eq!(items, vec![floor.spanish]);
}

/// COLLECTIONS.md, "Work queues", 1: an item is claimed only when its "next-action date is on or
/// before `as_of`"; 2: `callback` "sets the day to call back", and the next-action date
/// "becomes the day given".
#[test]
fn a_callback_day_keeps_the_item_until_that_day() {
    let floor = floor();
    assert_eq!(floor.claim("rosa", 600, d(2, 10)), Some(floor.spanish));
    let mut callback =
        done("rosa", floor.spanish, WorkOutcomeCode::Callback, "2026-02-10T12:00:00Z");
    callback.next_action_on = Some(d(2, 13));
    match floor.work("w1", callback) {
        Outcome::Worked { next_action_on, .. } => assert_eq!(next_action_on, Some(d(2, 13))),
        other => panic!("{other:?}"),
    }
    assert_eq!(floor.entry(floor.spanish, d(2, 12)).next_action_on, Some(d(2, 13)));
    assert_eq!(floor.claim("rosa", 600, d(2, 12)), None);
    assert_eq!(floor.claim("rosa", 600, d(2, 13)), Some(floor.spanish));
}

/// COLLECTIONS.md, "Work queues", 2: the next-action date "becomes the day given, else the day
/// after the last promised payment (to see whether it was kept), else the next day".
#[test]
fn the_next_action_is_the_day_given_else_after_the_last_promised_payment_else_tomorrow() {
    let floor = floor();
    let at = "2026-02-10T12:00:00Z";
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    floor.work("w1", done("sam", floor.big, WorkOutcomeCode::Refusal, at));
    assert_eq!(floor.entry(floor.big, d(2, 10)).next_action_on, Some(d(2, 11)));
    assert_eq!(floor.claim("kim", 600, d(2, 10)), Some(floor.small));
    let mut promise = done("kim", floor.small, WorkOutcomeCode::Promise, at);
    promise.promise = vec![
        PromiseLine { on: d(2, 20), amount: usd(10_000) },
        PromiseLine { on: d(2, 15), amount: usd(10_000) },
    ];
    floor.work("w2", promise.clone());
    assert_eq!(floor.entry(floor.small, d(2, 10)).next_action_on, Some(d(2, 21)));
    // A day given wins over the promise's.
    assert_eq!(floor.claim("rosa", 600, d(2, 10)), Some(floor.spanish));
    promise.agent = "rosa".into();
    promise.account = floor.spanish;
    promise.promise = vec![PromiseLine { on: d(2, 20), amount: usd(30_000) }];
    promise.next_action_on = Some(d(2, 12));
    floor.work("w3", promise);
    assert_eq!(floor.entry(floor.spanish, d(2, 10)).next_action_on, Some(d(2, 12)));
}

/// COLLECTIONS.md, "Work queues", 2: RecordWork "is refused (an error, nothing written) unless
/// the agent is active and holds the item's claim".
#[test]
fn record_work_without_the_claim_or_by_an_inactive_agent_writes_nothing() {
    let floor = floor();
    let at = "2026-02-10T12:00:00Z";
    let mut refusal = done("sam", floor.big, WorkOutcomeCode::Refusal, at);
    refusal.address = Some(NUMBER[0].into());
    refusal.note = Some("never claimed".into());
    let before = floor.written();
    let unclaimed = floor.record("w1", refusal.clone());
    assert!(matches!(unclaimed, Err(CommandError::Invalid { field: "account", .. })));
    assert_eq!(floor.written(), before);
    assert!(floor.books.recorded("w1").unwrap().is_none());
    // Sam holds the item, then is deactivated: refused too.
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    let mut inactive = match agent("sam", &["collections"], Skills::default()) {
        Command::DefineAgent(agent) => agent,
        _ => unreachable!(),
    };
    inactive.active = false;
    floor.books.execute("off", &Command::DefineAgent(inactive)).unwrap().accepted().unwrap();
    let before = floor.written();
    let refused = floor.record("w2", refusal);
    assert!(matches!(refused, Err(CommandError::Invalid { field: "agent", .. })), "{refused:?}");
    assert_eq!(floor.written(), before);
}

/// COLLECTIONS.md, "Work queues", 2: "`promise` records the promise (`Command::Promise`: the
/// policy's promise rules apply, and a refusal records nothing at all, not even the
/// outcome)": not the contact, not the note, and the lease is not ended.
#[test]
fn a_promise_the_policy_refuses_records_nothing_at_all() {
    let floor = floor();
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    let mut promise = done("sam", floor.big, WorkOutcomeCode::Promise, "2026-02-10T12:01:00Z");
    // `promise.max_days_out` is 14: a payment 30 days out is refused.
    promise.promise = vec![PromiseLine { on: d(3, 12), amount: usd(50_000) }];
    promise.address = Some(NUMBER[0].into());
    promise.note = Some("will pay next month".into());
    let before = floor.written();
    let outcome = floor.record("w1", promise).unwrap();
    assert!(matches!(outcome, Outcome::Rejected(Rejection::Policy(_))), "{outcome:?}");
    assert_eq!(floor.written(), before);
    assert_eq!(floor.books.case(floor.big).unwrap().state.name(), "delinquent");
    assert_eq!(floor.entry(floor.big, d(2, 10)).claim.unwrap().agent, "sam");
}

/// COLLECTIONS.md, "Work queues", 2: a promise goes through `Command::Promise`; "The contact
/// (with `--address`) enters the debtor's contact history, a note enters the debtor's notes,
/// the lease ends"; RecordWork is "audited like every command", and claims "are not audited".
#[test]
fn a_promise_is_the_case_promise_with_the_contact_the_note_and_the_audit() {
    let floor = floor();
    let audit_before = floor.books.audit_log(None).unwrap().len();
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    assert_eq!(floor.books.audit_log(None).unwrap().len(), audit_before, "a claim is not audited");
    let mut promise = done("sam", floor.big, WorkOutcomeCode::Promise, "2026-02-10T12:01:00Z");
    promise.promise = vec![PromiseLine { on: d(2, 17), amount: usd(20_000) }];
    promise.address = Some(NUMBER[0].into());
    promise.note = Some("pays Tuesday".into());
    floor.work("w1", promise);
    let case = floor.books.case(floor.big).unwrap();
    assert_eq!(case.state, CollectionState::Promised);
    let view = floor.books.debtor_view(floor.debtors[0], d(2, 10)).unwrap();
    let last = view.contacts.last().expect("the agent's contact");
    assert_eq!(
        (last.address.as_str(), last.outcome, last.inbound),
        (NUMBER[0], ContactOutcome::PromiseCaptured, false)
    );
    assert_eq!(view.notes.last().map(|note| note.text.as_str()), Some("pays Tuesday"));
    assert_eq!(floor.entry(floor.big, d(2, 10)).claim, None, "the lease ended");
    let audited = floor.books.audit_log(None).unwrap().into_iter().any(|record| {
        matches!(&record.kind, arrears::case::AuditKind::CommandExecuted { name, key, .. }
            if name == "record_work" && key == "w1")
    });
    assert!(audited, "RecordWork is audited");
}

/// COLLECTIONS.md, "Work queues", 2: `wrong_party` removes the address that reached someone
/// else, on every channel: a mobile number that is a phone, an SMS and a messaging point
/// (written another way there) loses all three (12 CFR 1006.6(d): no communication with a
/// third party about the debt), and the e-mail address stays.
#[test]
fn a_wrong_party_removes_every_point_at_the_address() {
    let floor = floor();
    // The same number, written as a national number, on a messaging point too.
    let messaging = Command::SetContactPoint {
        debtor: floor.debtors[0],
        point: point(ContactChannel::Messaging, "(512) 555-0101"),
        evidence: None,
    };
    floor.books.execute("messaging", &messaging).unwrap().accepted().unwrap();
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    let mut wrong = done("sam", floor.big, WorkOutcomeCode::WrongParty, "2026-02-10T12:01:00Z");
    wrong.address = Some(NUMBER[0].into());
    floor.work("w-wrong", wrong);
    let debtor = floor.books.debtor(floor.debtors[0]).unwrap().unwrap();
    let left: Vec<_> = debtor.contact_points.iter().map(|point| point.channel).collect();
    assert_eq!(left, [ContactChannel::Email], "{:?}", debtor.contact_points);
    let view = floor.books.debtor_view(floor.debtors[0], d(2, 10)).unwrap();
    let last = view.contacts.last().expect("the agent's contact");
    assert_eq!((last.channel, last.address.as_str()), (ContactChannel::Phone, NUMBER[0]));
}

/// COLLECTIONS.md, "Work queues", 2: "`extension_requested` raises the `extension_request`
/// signal for 30 days, which ... `list accounts --signal` see[s]".
#[test]
fn an_extension_request_is_a_signal_for_30_days() {
    let floor = floor();
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    let asked = done("sam", floor.big, WorkOutcomeCode::ExtensionRequested, "2026-02-10T12:00:00Z");
    floor.work("w1", asked);
    let with_signal = |on: NaiveDate| -> Vec<AccountId> {
        let mut filter = arrears::lists::AccountFilter::default();
        filter.signal = Some(Signal::ExtensionRequest);
        let rows = floor.books.list_accounts(filter, on).unwrap();
        rows.map(|row| row.unwrap().account).collect()
    };
    assert_eq!(with_signal(d(2, 9)), Vec::<AccountId>::new());
    assert_eq!(with_signal(d(2, 10)), vec![floor.big]);
    // Thirty days: Feb 10 to Mar 11.
    assert_eq!(with_signal(d(3, 11)), vec![floor.big]);
    assert_eq!(with_signal(d(3, 12)), Vec::<AccountId>::new());
}

/// `reports::Productivity`: "Items worked: distinct accounts"; "Collected: for each promise,
/// the payments on its account effective from the promise's day to the end of the period,
/// reversed payments excluded, capped at the amount promised"; "Per team (the team an item
/// belonged to when it was worked)".
#[test]
fn productivity_counts_payments_from_the_promise_day_capped_at_the_promise() {
    let floor = floor();
    // A payment the day before the promise does not count toward it.
    floor.set_now("2026-02-09T12:00:00Z");
    pay(&floor.books, "p0", floor.big, d(2, 9), 5_000);
    floor.set_now("2026-02-10T12:00:00Z");
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    floor.work("w1", done("sam", floor.big, WorkOutcomeCode::Refusal, "2026-02-10T12:00:00Z"));
    floor.set_now("2026-02-11T12:00:00Z");
    assert_eq!(floor.claim("sam", 600, d(2, 11)), Some(floor.big));
    let mut promise = done("sam", floor.big, WorkOutcomeCode::Promise, "2026-02-11T12:00:00Z");
    promise.promise = vec![PromiseLine { on: d(2, 18), amount: usd(20_000) }];
    floor.work("w2", promise);
    floor.set_now("2026-02-12T12:00:00Z");
    pay(&floor.books, "p1", floor.big, d(2, 12), 10_000);
    let report = floor.books.report_productivity(d(2, 1), d(2, 12)).unwrap();
    let collected = |report: &arrears::reports::ProductivityReport| {
        report.agents[0].collected_minor.get(&Currency::USD).copied()
    };
    assert_eq!(collected(&report), Some(10_000), "the payment before the promise's day counts not");
    // More than promised: capped at the promise.
    floor.set_now("2026-02-13T12:00:00Z");
    pay(&floor.books, "p2", floor.big, d(2, 13), 15_000);
    let report = floor.books.report_productivity(d(2, 1), d(2, 28)).unwrap();
    let sam = report.agents.iter().find(|row| row.name == "sam").expect("sam worked");
    assert_eq!(sam.items_worked, 1);
    assert_eq!(sam.outcomes.get("refusal"), Some(&1));
    assert_eq!(sam.outcomes.get("promise"), Some(&1));
    assert_eq!(sam.promises, 1);
    assert_eq!(sam.promised_minor.get(&Currency::USD), Some(&20_000));
    assert_eq!(sam.collected_minor.get(&Currency::USD), Some(&20_000));
    let team = report.teams.iter().find(|row| row.name == "collections").expect("the team");
    assert_eq!((team.items_worked, team.promises), (1, 1));
    // A period that ends before the payments: nothing collected yet.
    let early = floor.books.report_productivity(d(2, 1), d(2, 11)).unwrap();
    assert_eq!(collected(&early), Some(0));
}

/// COLLECTIONS.md, "Sending each action exactly once": claim "gives the sender pending actions
/// in due order with a lease; no other sender gets them until the lease ends"; after
/// `MarkSent` "The action leaves the pending list and is never claimed again"; MarkSent
/// "Reporting it again keeps the first instant" (`Command::MarkSent`).
#[test]
fn a_sent_action_is_never_claimed_again_and_a_second_report_keeps_the_first_instant() {
    let floor = floor();
    let first = floor.books.claim_actions("s1", 60, None, 1).unwrap();
    assert_eq!(first.len(), 1);
    let others = floor.books.claim_actions("s2", 60, None, 10).unwrap();
    assert!(others.iter().all(|action| action.id != first[0].id), "{others:?}");
    assert!(!others.is_empty());
    let id = first[0].id;
    let sent_at: DateTime<Utc> = "2026-02-10T12:00:30Z".parse().unwrap();
    let sent = floor.books.execute("sent-1", &Command::MarkSent { action: id, at: sent_at });
    assert!(matches!(sent.unwrap().outcome, Outcome::Sent { at, .. } if at == sent_at));
    let later = Command::MarkSent { action: id, at: sent_at + Duration::minutes(5) };
    let again = floor.books.execute("sent-2", &later).unwrap().outcome;
    assert!(matches!(again, Outcome::Sent { at, .. } if at == sent_at), "{again:?}");
    // Every lease has ended: the sent action is not claimed, the others are.
    floor.set_now("2026-02-10T13:00:00Z");
    let after = floor.books.claim_actions("s3", 60, None, 10).unwrap();
    assert!(after.iter().all(|action| action.id != id), "{after:?}");
    assert_eq!(after.len(), others.len());
    assert!(floor.books.pending_actions(10).unwrap().iter().all(|action| action.id != id));
}

/// COLLECTIONS.md, "The outbox": "A pending action can be cancelled before it is sent: a change
/// to the debtor that makes its address unusable cancels it at once"; "Sending each action
/// exactly once", 3: after MarkSent "The action leaves the pending list". An action reported
/// sent was sent: an opt-out afterwards does not turn it into a cancelled one, and it stays a
/// contact the guardrails count (docs/COLLECTIONS.md: the guardrails count "pending actions
/// counted as outbound contacts that reached the debtor").
#[test]
fn an_opt_out_cancels_what_was_not_sent_and_leaves_what_was() {
    let floor = floor();
    let debtor = floor.debtors[0];
    let sms = floor.books.actions_of(debtor).unwrap();
    assert_eq!(sms.len(), 1, "{sms:?}");
    let id = sms[0].id;
    let claimed = floor.books.claim_actions("s1", 60, None, 10).unwrap();
    assert!(claimed.iter().any(|action| action.id == id), "{claimed:?}");
    let at: DateTime<Utc> = "2026-02-10T12:00:30Z".parse().unwrap();
    floor.books.execute("sent", &Command::MarkSent { action: id, at }).unwrap().accepted().unwrap();
    let counted = floor.books.guardrail_inputs(debtor, &[]).unwrap().history.len();
    // The debtor opts out of SMS at that number.
    let mut opted_out = point(ContactChannel::Sms, NUMBER[0]);
    opted_out.opted_out = true;
    let command = Command::SetContactPoint { debtor, point: opted_out, evidence: None };
    let outcome = floor.books.execute("opt-out", &command).unwrap().outcome;
    assert!(
        matches!(&outcome, Outcome::DebtorUpdated { cancelled, .. } if cancelled.is_empty()),
        "{outcome:?}"
    );
    let action = floor.books.action(id).unwrap().unwrap();
    assert_eq!((action.status, action.sent_at), (ActionStatus::Pending, Some(at)));
    assert_eq!(floor.books.guardrail_inputs(debtor, &[]).unwrap().history.len(), counted);
    // The second debtor's SMS, claimed but not sent, is cancelled by its opt-out and can
    // neither be claimed again nor reported sent.
    let debtor = floor.debtors[1];
    let id = floor.books.actions_of(debtor).unwrap()[0].id;
    let mut opted_out = point(ContactChannel::Sms, NUMBER[1]);
    opted_out.opted_out = true;
    let command = Command::SetContactPoint { debtor, point: opted_out, evidence: None };
    let outcome = floor.books.execute("opt-out-2", &command).unwrap().outcome;
    assert!(
        matches!(&outcome, Outcome::DebtorUpdated { cancelled, .. } if cancelled == &vec![id]),
        "{outcome:?}"
    );
    assert!(floor.books.claim_actions("s1", 60, None, 10).unwrap().iter().all(|a| a.id != id));
    let sent = floor.books.execute("sent-2", &Command::MarkSent { action: id, at });
    assert!(matches!(sent, Err(CommandError::Invalid { field: "action", .. })), "{sent:?}");
}

/// MESSAGES.md, "Load-time checks": "a contact step names an undefined template" is a load
/// error with file, line and field: `unknown template "missing" (known: ...)`; and "A policy
/// with templates must define every template its contact steps name".
#[test]
fn a_step_naming_an_undefined_template_is_refused_naming_it() {
    let (_dir, books) = open_temp();
    let text = MESSAGES_POLICY.replace("template = \"early.sms\"", "template = \"early.missing\"");
    assert_ne!(text, MESSAGES_POLICY);
    let command = Command::SetPolicy { file: "t.toml".into(), text };
    let error = match books.execute("policy", &command) {
        Err(CommandError::Policy(error)) => error.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(error.contains("t.toml:"), "{error}");
    assert!(error.contains("unknown template \"early.missing\""), "{error}");
    assert!(error.contains("known: "), "{error}");
    assert!(books.recorded("policy").unwrap().is_none());
}

/// A hook that never has a link.
struct NoLinks;

impl PaymentLinks for NoLinks {
    fn link(&self, _request: &LinkRequest<'_>) -> Option<String> {
        None
    }
}

/// MESSAGES.md, "Payment links": "else (or when the hook returns `None`) the policy's
/// `payment_link` rule, with `{action_id}` and `{debtor_id}` filled in".
#[test]
fn a_hook_without_a_link_falls_back_to_the_policy_rule() {
    let (_dir, mut books) = open_temp();
    books.register_payment_links(Arc::new(NoLinks));
    set_policy(&books);
    debtor_owing(&books, "nolink", ("US", "en", Currency::USD), 9_900);
    books.run_cycle(d(2, 2)).unwrap();
    let actions = books.pending_actions(10).unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    let link = format!("https://pay.example.com/a/{}", actions[0].id);
    assert_eq!(actions[0].payment_link.as_deref(), Some(link.as_str()));
    let text = &actions[0].message.as_ref().expect("rendered").text;
    assert!(text.contains(&link), "{text}");
}

/// MESSAGES.md, "Languages and fallback": "the tag itself (`es-CO`), then each shorter prefix
/// (`es`), then the policy's `default_language`. Tags compare without case (`ES-co` is
/// `es-CO`)"; the action records the language used and the template's tone (the late stage's
/// letter is a `final_notice`).
#[test]
fn a_tag_in_any_case_finds_its_variant_and_the_stage_gives_the_tone() {
    let (_dir, books) = open_temp();
    set_policy(&books);
    debtor_owing(&books, "upper", ("US", "ES-co", Currency::USD), 9_900);
    debtor_owing(&books, "mx", ("US", "es-mx", Currency::USD), 9_900);
    books.run_cycle(d(3, 5)).unwrap();
    let mut seen: Vec<(String, String, arrears::message::Tone)> = books
        .pending_actions(10)
        .unwrap()
        .into_iter()
        .map(|action| {
            let message = action.message.expect("rendered");
            (action.address, message.language, message.tone)
        })
        .collect();
    seen.sort();
    let letters: Vec<(&str, &str)> = seen
        .iter()
        .filter(|(address, _, _)| address == "1 Main St")
        .map(|(_, language, _)| ("letter", language.as_str()))
        .collect();
    assert_eq!(letters.len(), 2, "{seen:?}");
    assert!(
        seen.iter().all(|(_, _, tone)| *tone == arrears::message::Tone::FinalNotice),
        "{seen:?}"
    );
    // `late.final` has `en` and `es` variants: both Spanish speakers get `es`.
    assert!(letters.iter().all(|(_, language)| *language == "es"), "{seen:?}");
}

/// COLLECTIONS.md, "Work queues": the queue "is computed when asked ..., from the cases, so it
/// can never disagree with them: a payment that cures an account takes it out of the queue at
/// once".
#[test]
fn a_payment_that_cures_the_account_takes_it_out_of_the_queue_at_once() {
    let floor = floor();
    let owed = floor.entry(floor.small, d(2, 10)).outstanding_minor;
    pay(&floor.books, "cure", floor.small, d(2, 10), owed);
    let queue = floor.books.work_queue(&[], d(2, 10)).unwrap();
    assert!(queue.iter().all(|entry| entry.account != floor.small), "{queue:?}");
    // Lena works installment loans only: nothing is left for her.
    assert_eq!(floor.claim("lena", 600, d(2, 10)), None);
}

/// COLLECTIONS.md, "Work queues", 2: RecordWork "records the outcome, under an idempotency key
/// and audited like every command"; DESIGN.md: "a replay returns the original result; the same
/// key with different content is a conflict error".
#[test]
fn record_work_replays_under_its_key_and_logs_the_outcome_once() {
    let floor = floor();
    assert_eq!(floor.claim("sam", 600, d(2, 10)), Some(floor.big));
    let refusal = done("sam", floor.big, WorkOutcomeCode::Refusal, "2026-02-10T12:00:00Z");
    let first = floor.work("w1", refusal.clone());
    let again = floor.books.execute("w1", &Command::RecordWork(refusal.clone())).unwrap();
    assert!(again.replayed);
    assert_eq!(again.outcome, first);
    let report = floor.books.report_productivity(d(2, 1), d(2, 28)).unwrap();
    assert_eq!(report.agents[0].outcomes.get("refusal"), Some(&1));
    let mut other = refusal;
    other.code = WorkOutcomeCode::Excuse;
    let conflict = floor.books.execute("w1", &Command::RecordWork(other));
    assert!(matches!(conflict, Err(CommandError::IdempotencyConflict { .. })), "{conflict:?}");
}

/// COLLECTIONS.md, "Work queues": an account a flag forbids collecting (cease, a bankruptcy
/// stay or discharge) is nobody's work; it was handed to agents to call.
#[test]
fn an_account_no_one_may_collect_is_not_in_the_queue() {
    let floor = floor();
    let flagged = [
        (floor.debtors[0], floor.big, arrears::Flag::CeaseCommunication),
        (floor.debtors[1], floor.small, arrears::Flag::BankruptcyFiled),
        (floor.debtors[2], floor.spanish, arrears::Flag::BankruptcyDischarged),
    ];
    for (n, (debtor, account, flag)) in flagged.into_iter().enumerate() {
        assert_eq!(floor.entry(account, d(2, 10)).account, account);
        let command = Command::SetFlag { debtor, flag, on: d(2, 10) };
        floor.books.execute(&format!("flag-{n}"), &command).unwrap().accepted().unwrap();
        let queue = floor.books.work_queue(&[], d(2, 10)).unwrap();
        assert!(queue.iter().all(|entry| entry.account != account), "{flag:?}: {queue:?}");
    }
    assert_eq!(floor.claim("sam", 600, d(2, 10)), None);
    // The stay dismissed, the loan is worked again.
    let dismissed = Command::SetFlag {
        debtor: floor.debtors[1],
        flag: arrears::Flag::BankruptcyDismissed,
        on: d(2, 11),
    };
    floor.books.execute("dismissed", &dismissed).unwrap().accepted().unwrap();
    assert_eq!(floor.claim("sam", 600, d(2, 11)), Some(floor.small));
}

/// 12 CFR 1006.14(b)(2)(i)(B) (V1): no call within 7 days after a telephone conversation about
/// the debt. An agent's conversation recorded with `RecordWork` was appended to the history
/// but did not cancel the call the cycle had queued for later that day (RecordInbound,
/// RecordOutbound and acknowledgements did): the queued call went out inside the cool-down.
/// It is cancelled now (`conversation_cooldown`), as after any other recorded conversation.
#[test]
fn an_agents_conversation_cancels_the_call_queued_in_its_cooldown() {
    let floor = floor();
    // A debt collector's floor: Regulation F applies (to a creditor collecting its own debts
    // it does not).
    let collector = format!("{STANDARD}{RULES}")
        .replace("creditor = \"first_party\"", "creditor = \"third_party\"");
    let policy = Command::SetPolicy { file: "collector.toml".into(), text: collector };
    floor.books.execute("policy:collector", &policy).unwrap().accepted().unwrap();
    // The early stage calls 10 days in: the cycles run until the call is queued.
    let mut day = d(2, 11);
    let call = loop {
        floor.set_now(&format!("{day}T06:00:00Z"));
        floor.books.run_cycle(day).unwrap();
        let actions = floor.books.actions_of(floor.debtors[0]).unwrap();
        let queued = actions.into_iter().find(|action| {
            action.channel == ContactChannel::Phone && action.status == ActionStatus::Pending
        });
        if let Some(call) = queued {
            break call;
        }
        day = day.succ_opt().unwrap();
        assert!(day < d(3, 31), "no call queued");
    };
    // Half an hour before it, an agent calls the debtor and they speak about the debt.
    let at = call.scheduled_at - Duration::minutes(30);
    floor.set_now(&at.to_rfc3339());
    assert_eq!(floor.claim("sam", 600, at.date_naive()), Some(floor.big));
    let mut spoke = done("sam", floor.big, WorkOutcomeCode::Refusal, &at.to_rfc3339());
    spoke.address = Some(NUMBER[0].to_owned());
    floor.work("w-spoke", spoke);
    let after = floor.books.actions_of(floor.debtors[0]).unwrap();
    let status = &after.iter().find(|action| action.id == call.id).unwrap().status;
    assert!(
        matches!(
            status,
            ActionStatus::Cancelled {
                reason: arrears::case::CancelReason::ConversationCooldown,
                ..
            }
        ),
        "{status:?}"
    );
}
