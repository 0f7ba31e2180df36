//! Moving a debtor that has records of the whole store (issue 20 point 3): cash applied from
//! a bank line in suspense, payer accounts, outbox sends and acknowledgements and inbound
//! contacts, an agent's work outcome, credit decisions and reviews, and a command the source
//! refused. After the move the target holds what the source held of the debtor (figures,
//! contact history with the contacts of actions sent and never acknowledged after it, payer
//! accounts, credit standing but its detection mark, disputes, promises, notes), the source
//! owes nothing for it, both shards verify clean, a second run changes nothing, and a move
//! stopped after any single write finishes with the same end state as a move in one go.

use std::path::{Path, PathBuf};

use arrears::case::{ActionStatus, ContactOutcome, PromiseRecord};
use arrears::cash::{BankLine, PayerScheme};
use arrears::collection::CollectionState;
use arrears::compliance::{ChannelGroup, Direction};
use arrears::credit::{CreditApplication, CreditStanding, CreditTerms, Verdict};
use arrears::detect::DetectionMark;
use arrears::ids::{AccountId, DebtorId};
use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction,
    ProductKind,
};
use arrears::work::{Agent, Team, WorkOutcomeCode};
use arrears::{Arrears, Command, NewDebtor, Outcome, PromiseLine, WorkDone};
use arrears_portfolio::{split_id, MoveError, MoveOptions, MoveReport, Portfolio};
use chrono::{DateTime, NaiveDate, Utc};

use crate::portfolio::{charge, d, manifest, open_account, pay, usd};

/// The move date: after every event of the samples.
const ON: NaiveDate = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();

const PHONE: &str = "+15125550199";
const EMAIL: &str = "ana@example.com";
const IBAN: &str = "DE89370400440532013000";

/// Credit rules (docs/CREDIT.md) and a work queue for the team `phones`, added to the
/// standard policy.
const EXTRA_POLICY: &str = r#"
[[credit.rule]]
name = "standard"
decision = "approve"
limit_max = { USD = "20000" }
reasons = ["standard_terms"]

[credit.review]
every_days = 90
score_drop = 100

[[assignment]]
team = "phones"
priority = "balance"
"#;

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    d(month, day).and_hms_opt(hour, 0, 0).unwrap().and_utc()
}

/// A portfolio of 3 shards, each with the team `phones`, its agent `agent-1`, and the
/// standard policy with credit rules and a work queue.
fn wide_portfolio(dir: &Path) -> (PathBuf, Portfolio) {
    let path = manifest(dir, 3, "hash", "");
    let portfolio = Portfolio::init(&path).unwrap();
    let standard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/policies/standard.toml"
    ))
    .unwrap();
    let policy = format!("{standard}\n{EXTRA_POLICY}");
    for store in portfolio.shards() {
        let team = Team { name: "phones".into(), skills: Default::default() };
        store.execute("team", &Command::DefineTeam(team)).unwrap().accepted().unwrap();
        let agent = Agent {
            id: "agent-1".into(),
            name: "Rosa".into(),
            teams: vec!["phones".into()],
            skills: Default::default(),
            active: true,
        };
        store.execute("agent", &Command::DefineAgent(agent)).unwrap().accepted().unwrap();
        let command = Command::SetPolicy { file: "wide.toml".into(), text: policy.clone() };
        store.execute("policy", &command).unwrap().accepted().unwrap();
    }
    (path, portfolio)
}

fn point(channel: ContactChannel, address: &str) -> ContactPoint {
    ContactPoint {
        channel,
        address: address.to_owned(),
        kind: ContactPointKind::Personal,
        consent: true,
        opted_out: false,
    }
}

/// The debtor of a sample, on its source shard (local ids).
struct Sample {
    path: PathBuf,
    portfolio: Portfolio,
    reference: String,
    from: usize,
    debtor: DebtorId,
    account: AccountId,
}

impl Sample {
    fn source(&self) -> &Arrears {
        &self.portfolio.shards()[self.from]
    }

    fn to(&self) -> usize {
        (self.from + 1) % 3
    }

    fn execute(&self, key: &str, command: &Command) -> Outcome {
        let receipt = self.source().execute(key, command).unwrap();
        receipt.accepted().unwrap_or_else(|rejection| panic!("{key}: {rejection:?}"))
    }

    fn run_cycles(&self, dates: &[NaiveDate]) {
        for as_of in dates {
            self.source().run_cycle(*as_of).unwrap();
        }
    }

    fn move_now(&mut self) -> Result<MoveReport, MoveError> {
        let to = format!("s{}", self.to());
        self.portfolio.move_debtor(&self.reference, &to, ON)
    }
}

/// A debtor with a phone, an SMS number and an e-mail address, and a trade-credit account
/// charged in January and March; `credit`: a credit application approved on Jan 1, before
/// the account is opened.
fn sample(dir: &Path, reference: &str, credit: bool) -> Sample {
    let (path, portfolio) = wide_portfolio(dir);
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: DebtorKind::Business,
        name: format!("{reference} Ltd"),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: vec![
            point(ContactChannel::Phone, PHONE),
            point(ContactChannel::Sms, PHONE),
            point(ContactChannel::Email, EMAIL),
        ],
        flags: DebtorFlags::default(),
    });
    let Outcome::DebtorCreated(debtor) =
        portfolio.execute(&format!("debtor:{reference}"), &command).unwrap().receipt.outcome
    else {
        panic!("debtor not created")
    };
    let (from, local_debtor) = split_id(debtor.get());
    if credit {
        let application = CreditApplication {
            debtor: DebtorId(local_debtor),
            product: ProductKind::TradeCredit,
            limit: usd(5_000_000),
            terms: CreditTerms {
                net_days: 45,
                deposit_share: "0".parse().unwrap(),
                cash_on_delivery: false,
                interest_rate: "0.08".parse().unwrap(),
            },
            applied_on: d(1, 1),
            attributes: Default::default(),
        };
        let store = &portfolio.shards()[from];
        let decided = store.execute("apply", &Command::DecideCredit { application }).unwrap();
        assert!(
            matches!(decided.outcome, Outcome::CreditDecided { verdict: Verdict::Approve, .. }),
            "{decided:?}"
        );
    }
    let account = open_account(&portfolio, debtor.get(), &format!("{reference}-A"));
    charge(&portfolio, &format!("{reference}-INV-1"), account, d(1, 5), 10_000);
    charge(&portfolio, &format!("{reference}-INV-2"), account, d(3, 5), 6_000);
    Sample {
        path,
        portfolio,
        reference: reference.to_owned(),
        from,
        debtor: DebtorId(local_debtor),
        account: AccountId(split_id(account).1),
    }
}

/// The cycles that make the account delinquent and give the debtor outbox actions.
const CYCLES: [NaiveDate; 5] = [
    NaiveDate::from_ymd_opt(2026, 2, 5).unwrap(),
    NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(),
];

/// One contact of the history, its accounts by their place among the debtor's accounts.
#[derive(Debug, Clone, PartialEq)]
struct Contact {
    channel: ContactChannel,
    address: String,
    at: DateTime<Utc>,
    inbound: bool,
    outcome: ContactOutcome,
    accounts: Vec<usize>,
}

/// One account's figures on the move date, and what its case holds of disputes and promises.
#[derive(Debug, Clone, PartialEq)]
struct AccountState {
    /// Outstanding by component, and disputed, per obligation.
    obligations: Vec<([i64; 3], bool)>,
    unapplied: i64,
    events: usize,
    disputed: bool,
    promise: Option<PromiseRecord>,
}

/// What a shard holds of a debtor that the move must carry, with ids as places.
#[derive(Debug, Clone, PartialEq)]
struct DebtorState {
    accounts: Vec<AccountState>,
    contacts: Vec<Contact>,
    /// The guardrails' history of contacts made: (at, channel, direction, outcome).
    history: Vec<(DateTime<Utc>, ChannelGroup, Direction, arrears::compliance::Outcome)>,
    payers: Vec<(PayerScheme, String)>,
    /// The standing with the debtor id zeroed and without its detection mark.
    standing: Option<CreditStanding>,
    /// The standing's detection mark: a memo of the detectors' last run over this shard's
    /// books, which the move leaves behind (docs/SCALE.md, "Moving a debtor", step 3).
    detection: Option<DetectionMark>,
    /// (account place, at, author, text).
    notes: Vec<(Option<usize>, DateTime<Utc>, String, String)>,
}

fn state(store: &Arrears, reference: &str) -> DebtorState {
    let debtor = store.find_debtor(reference).unwrap().expect("the debtor is on the shard");
    let accounts = store.accounts_of(debtor).unwrap();
    let place = |account: AccountId| {
        accounts
            .iter()
            .position(|own| *own == account)
            .unwrap_or_else(|| panic!("account {account} is not the debtor's"))
    };
    let account_states = accounts
        .iter()
        .map(|account| {
            let view = store.account_view(*account, ON).unwrap();
            let case = store.case(*account).unwrap();
            AccountState {
                obligations: view
                    .obligations
                    .iter()
                    .map(|obligation| (obligation.outstanding_minor, obligation.disputed))
                    .collect(),
                unapplied: view.unapplied_minor,
                events: store.events(*account).unwrap().len(),
                disputed: case.state == CollectionState::Disputed,
                promise: case.promise,
            }
        })
        .collect();
    let contacts = store
        .contacts(debtor)
        .unwrap()
        .into_iter()
        .map(|attempt| Contact {
            channel: attempt.channel,
            address: attempt.address,
            at: attempt.at,
            inbound: attempt.inbound,
            outcome: attempt.outcome,
            accounts: attempt.accounts.iter().map(|account| place(*account)).collect(),
        })
        .collect();
    // The history without the entries of pending outbox actions (planned contacts, which
    // belong to the source's outbox).
    let mut history: Vec<_> = store
        .guardrail_inputs(debtor, &[])
        .unwrap()
        .history
        .into_iter()
        .map(|entry| (entry.at, entry.channel, entry.direction, entry.outcome))
        .collect();
    for action in store.actions_of(debtor).unwrap() {
        if action.status != ActionStatus::Pending {
            continue;
        }
        // A pending action counts as a contact that may yet reach the debtor: not made yet
        // until reported sent, then made (guardrails::history).
        let outcome = match (action.sent_at, ChannelGroup::from(action.channel)) {
            (None, _) => arrears::compliance::Outcome::Pending,
            (Some(_), ChannelGroup::Call) => arrears::compliance::Outcome::Voicemail,
            (Some(_), _) => arrears::compliance::Outcome::Delivered,
        };
        // At the instant it was reported sent, if it was (guardrails::history).
        let at = action.sent_at.unwrap_or(action.scheduled_at);
        let planned = (at, ChannelGroup::from(action.channel), Direction::Outbound, outcome);
        let found = history.iter().rposition(|entry| *entry == planned);
        history.remove(found.expect("a pending action is in the history"));
    }
    let payers = store
        .payer_accounts(None)
        .unwrap()
        .into_iter()
        .filter(|payer| payer.debtor == debtor)
        .map(|payer| (payer.scheme, payer.number))
        .collect();
    let mut detection = None;
    let standing = store.credit_standing(debtor).unwrap().map(|mut standing| {
        standing.debtor = DebtorId(0);
        detection = standing.detected.take();
        standing
    });
    let notes = store
        .debtor_view(debtor, ON)
        .unwrap()
        .notes
        .into_iter()
        .map(|note| (note.account.map(place), note.at, note.author, note.text))
        .collect();
    DebtorState { accounts: account_states, contacts, history, payers, standing, detection, notes }
}

/// Every shard's feed head and the manifest's text: what a second run must leave as it is.
fn heads(portfolio: &Portfolio, path: &Path) -> (Vec<u64>, String) {
    let heads = portfolio.shards().iter().map(|store| store.changes(0, 1).unwrap().head).collect();
    (heads, std::fs::read_to_string(path).unwrap())
}

/// The end state of a finished move: the target's debtor, the source's debtor after the
/// handover, and both shards' suspense.
#[derive(Debug, PartialEq)]
struct EndState {
    target: DebtorState,
    source: DebtorState,
    suspense: Vec<std::collections::BTreeMap<arrears::money::Currency, i64>>,
}

fn end_state(portfolio: &Portfolio, reference: &str, from: usize, to: usize) -> EndState {
    EndState {
        target: state(&portfolio.shards()[to], reference),
        source: state(&portfolio.shards()[from], reference),
        suspense: portfolio.shards().iter().map(|store| store.suspense().unwrap()).collect(),
    }
}

/// The contract of a finished move, given the source's state of the debtor before it.
fn check_moved(
    portfolio: &mut Portfolio,
    path: &Path,
    reference: &str,
    from: usize,
    before: &DebtorState,
) {
    let to = (from + 1) % 3;
    assert_eq!(portfolio.shard_of(reference).unwrap(), to, "the debtor is pinned to the target");
    let target = &portfolio.shards()[to];
    let after = state(target, reference);
    assert_eq!(after.accounts, before.accounts, "figures, disputes and promises");
    assert_eq!(after.contacts, before.contacts, "contact history");
    assert_eq!(after.history, before.history, "the guardrails' history");
    assert_eq!(after.payers, before.payers, "payer accounts");
    assert_eq!(after.standing, before.standing, "credit standing");
    assert_eq!(after.detection, None, "the target's next cycle runs the detectors");
    assert_eq!(after.notes, before.notes, "notes");
    let debtor = target.find_debtor(reference).unwrap().unwrap();
    for attempt in target.contacts(debtor).unwrap() {
        assert_eq!(attempt.action, None, "no action of the target's outbox: {attempt:?}");
    }
    let source = &portfolio.shards()[from];
    let old = source.find_debtor(reference).unwrap().unwrap();
    for account in source.accounts_of(old).unwrap() {
        let view = source.account_view(account, ON).unwrap();
        assert_eq!(view.total_outstanding_minor, 0, "the source owes nothing on {account}");
    }
    for store in [&portfolio.shards()[from], &portfolio.shards()[to]] {
        let report = store.verify().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
    // Running the move again changes nothing.
    let end = end_state(portfolio, reference, from, to);
    let written = heads(portfolio, path);
    let again = portfolio.move_debtor(reference, &format!("s{to}"), ON).unwrap();
    assert!(again.already_done, "{again:?}");
    assert_eq!(heads(portfolio, path), written, "a second run writes nothing");
    assert_eq!(end_state(portfolio, reference, from, to), end);
}

/// Scenario A's records: a payer account, a bank line into suspense and part of it applied to
/// the account, then a payment.
fn bank_cash(sample: &Sample) {
    let register = Command::RegisterPayerAccount {
        debtor: sample.debtor,
        scheme: PayerScheme::Iban,
        number: IBAN.into(),
    };
    sample.execute("payer", &register);
    let line = BankLine {
        bank_ref: "B1".into(),
        value_on: d(5, 1),
        amount: usd(20_000),
        payer_name: Some("W Ltd".into()),
        payer_account: Some(IBAN.into()),
        remittance: "various".into(),
    };
    sample.execute("bank:B1", &Command::ReceiveCash { line });
    let apply = Command::ApplyCash {
        line: "B1".into(),
        account: sample.account,
        amount: usd(4_000),
        effective_on: d(5, 2),
    };
    sample.execute("apply:B1", &apply);
    let payment = Command::Payment {
        account: sample.account,
        effective_on: d(5, 3),
        amount: usd(1_500),
        directed_to: None,
    };
    sample.execute("pay-after-cash", &payment);
}

#[test]
fn a_debtor_paid_from_a_bank_line_in_suspense_moves_with_its_payer_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-cash", false);
    bank_cash(&sample);
    assert_eq!(
        sample.source().suspense().unwrap().get(&arrears::money::Currency::USD),
        Some(&16_000)
    );
    let before = state(sample.source(), &sample.reference);
    assert_eq!(before.payers, [(PayerScheme::Iban, IBAN.to_owned())]);
    let suspense: Vec<_> =
        sample.portfolio.shards().iter().map(|store| store.suspense().unwrap()).collect();
    let report = sample.move_now().unwrap();
    assert!(!report.already_done);
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
    let after: Vec<_> =
        sample.portfolio.shards().iter().map(|store| store.suspense().unwrap()).collect();
    assert_eq!(after, suspense, "the line stays in the source's suspense, untouched");
    let target = &sample.portfolio.shards()[sample.to()];
    let moved = target.find_debtor(&sample.reference).unwrap().unwrap();
    let on_target = target.payer_accounts(Some(IBAN)).unwrap();
    assert_eq!(on_target.len(), 1, "{on_target:?}");
    assert_eq!(on_target[0].debtor, moved);
    assert!(
        sample.source().payer_accounts(Some(IBAN)).unwrap().is_empty(),
        "no longer on the source's debtor"
    );
}

/// The debtor's pending outbox actions in the source, in the order they are due.
fn pending_actions(sample: &Sample) -> Vec<arrears::case::Action> {
    let mut actions: Vec<_> = sample
        .source()
        .actions_of(sample.debtor)
        .unwrap()
        .into_iter()
        .filter(|action| action.status == ActionStatus::Pending)
        .collect();
    actions.sort_by_key(|action| (action.scheduled_at, action.id));
    actions
}

/// Scenario B's first records: an action sent and acknowledged with a conversation, and a
/// call the debtor made the next day.
fn contacts_made(sample: &Sample, on: DateTime<Utc>) {
    let actions = pending_actions(sample);
    assert!(!actions.is_empty(), "the cycles made outbox actions");
    sample.execute("sent-1", &Command::MarkSent { action: actions[0].id, at: on });
    let acknowledge =
        Command::Acknowledge { action: actions[0].id, outcome: ContactOutcome::RightParty, at: on };
    sample.execute("ack-1", &acknowledge);
    let inbound = Command::RecordInbound {
        debtor: sample.debtor,
        accounts: vec![sample.account],
        channel: ContactChannel::Phone,
        address: PHONE.into(),
        at: on + chrono::Duration::hours(26),
        outcome: ContactOutcome::RightParty,
    };
    sample.execute("inbound-1", &inbound);
}

/// Scenario B's dispute: the next pending action acknowledged with a dispute, which opens
/// one; returns the accounts it opened it on.
fn dispute_raised(sample: &Sample, on: DateTime<Utc>) -> Vec<AccountId> {
    let actions = pending_actions(sample);
    assert!(!actions.is_empty(), "the cycles made outbox actions");
    let dispute = Command::Acknowledge {
        action: actions[0].id,
        outcome: ContactOutcome::DisputeRaised,
        at: on,
    };
    match sample.execute("ack-2", &dispute) {
        Outcome::Acknowledged { disputed, .. } => disputed,
        other => panic!("not acknowledged: {other:?}"),
    }
}

#[test]
fn a_debtor_moves_with_its_contact_history_and_the_dispute_it_raised() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-contact", false);
    sample.run_cycles(&CYCLES);
    contacts_made(&sample, at(5, 2, 15));
    let disputed = dispute_raised(&sample, at(5, 6, 16));
    assert_eq!(disputed, [sample.account], "the acknowledgement opened a dispute");
    let before = state(sample.source(), &sample.reference);
    assert_eq!(before.contacts.len(), 3, "{:?}", before.contacts);
    assert_eq!(before.history.len(), 3, "{:?}", before.history);
    assert!(before.accounts[0].disputed);
    assert!(before.accounts[0].obligations.iter().all(|(_, disputed)| *disputed));
    let report = sample.move_now().unwrap();
    assert!(!report.already_done);
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
}

/// A debtor who called in and disputed the debt (`record_inbound` with `dispute_raised`, which
/// disputes the account under the contact's key) moves with the contact and the dispute: the
/// target's copy of the contact opens the dispute again, and the move adds no `open_dispute`
/// of its own for it.
#[test]
fn a_debtor_moves_with_the_dispute_it_raised_calling_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-inbound", false);
    sample.run_cycles(&CYCLES);
    let inbound = Command::RecordInbound {
        debtor: sample.debtor,
        accounts: vec![sample.account],
        channel: ContactChannel::Phone,
        address: PHONE.into(),
        at: at(5, 6, 16),
        outcome: ContactOutcome::DisputeRaised,
    };
    sample.execute("inbound-dispute", &inbound);
    let before = state(sample.source(), &sample.reference);
    assert!(before.accounts[0].disputed, "the call opened a dispute");
    assert!(before.accounts[0].obligations.iter().all(|(_, disputed)| *disputed));
    let report = sample.move_now().unwrap();
    assert!(!report.already_done);
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
}

/// Scenario C's records: the agent claims the debtor's account and records a promise of its
/// balance, with the call and a note.
fn work(sample: &Sample, on: NaiveDate) {
    let item = sample.source().claim_work("agent-1", 3_600, on).unwrap();
    let item = item.expect("the delinquent account is in the queue");
    assert_eq!(item.account, sample.account);
    let owed = sample.source().account_view(sample.account, on).unwrap().total_outstanding_minor;
    let done = WorkDone {
        agent: "agent-1".into(),
        account: sample.account,
        code: WorkOutcomeCode::Promise,
        at: on.and_hms_opt(15, 30, 0).unwrap().and_utc(),
        promise: vec![PromiseLine { on: on + chrono::Days::new(7), amount: usd(owed) }],
        next_action_on: None,
        address: Some(PHONE.into()),
        note: Some("will pay the balance next week".into()),
    };
    sample.execute("work-1", &Command::RecordWork(done));
}

#[test]
fn a_debtor_moves_with_the_promise_note_and_contact_of_an_agents_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-work", false);
    sample.run_cycles(&CYCLES);
    work(&sample, d(5, 20));
    let before = state(sample.source(), &sample.reference);
    let promise = before.accounts[0].promise.as_ref().expect("the work recorded a promise");
    assert_eq!(promise.made_on, d(5, 20));
    assert_eq!(before.notes.len(), 1, "{:?}", before.notes);
    assert_eq!(before.notes[0].1, at(5, 20, 15) + chrono::Duration::minutes(30));
    let contact = before.contacts.last().expect("the call is in the history");
    assert_eq!(
        (contact.channel, contact.outcome, contact.inbound),
        (ContactChannel::Phone, ContactOutcome::PromiseCaptured, false)
    );
    let report = sample.move_now().unwrap();
    assert!(!report.already_done);
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
}

/// An agent's `wrong_party` at the mobile number removed both its phone and its SMS points in
/// the source; the move removes both in the target too (docs/SCALE.md, "Moving a debtor").
#[test]
fn a_debtor_moves_without_the_points_a_wrong_party_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-wrong", false);
    sample.run_cycles(&CYCLES);
    let on = d(5, 20);
    let item = sample.source().claim_work("agent-1", 3_600, on).unwrap();
    assert_eq!(item.map(|item| item.account), Some(sample.account));
    let done = WorkDone {
        agent: "agent-1".into(),
        account: sample.account,
        code: WorkOutcomeCode::WrongParty,
        at: on.and_hms_opt(15, 30, 0).unwrap().and_utc(),
        promise: Vec::new(),
        next_action_on: None,
        address: Some(PHONE.into()),
        note: None,
    };
    sample.execute("work-wrong", &Command::RecordWork(done));
    let reference = sample.reference.clone();
    let channels = |store: &Arrears| {
        let debtor = store.find_debtor(&reference).unwrap().unwrap();
        let debtor = store.debtor(debtor).unwrap().unwrap();
        debtor.contact_points.iter().map(|point| point.channel).collect::<Vec<_>>()
    };
    assert_eq!(channels(sample.source()), [ContactChannel::Email]);
    let before = state(sample.source(), &sample.reference);
    let report = sample.move_now().unwrap();
    assert!(!report.already_done);
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
    let to = sample.portfolio.shard_of(&sample.reference).unwrap();
    assert_eq!(channels(&sample.portfolio.shards()[to]), [ContactChannel::Email]);
}

#[test]
fn a_debtor_moves_with_its_credit_standing() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-credit", true);
    // The cycles review the standing (`credit-review:DATE`) and run the detectors.
    sample.run_cycles(&CYCLES);
    assert!(!sample.source().credit_reviews(Some(sample.debtor)).unwrap().is_empty());
    let before = state(sample.source(), &sample.reference);
    let standing = before.standing.as_ref().expect("the approval is the debtor's standing");
    assert!(standing.limit_minor > 0);
    assert!(standing.last_review.is_some(), "{standing:?}");
    assert!(before.detection.is_some(), "the cycles ran the detectors for the debtor");
    let report = sample.move_now().unwrap();
    assert!(!report.already_done);
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
}

/// A payment dated before its account opened: the source refuses it.
fn refused_payment(sample: &Sample) {
    let head = sample.source().changes(0, 1).unwrap().head;
    let early = Command::Payment {
        account: sample.account,
        effective_on: NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
        amount: usd(2_000),
        directed_to: None,
    };
    let receipt = sample.source().execute("pay-before-opening", &early).unwrap();
    assert!(matches!(receipt.outcome, Outcome::Rejected(_)), "{receipt:?}");
    // A refused command writes nothing, not even its idempotency record or a feed entry.
    assert!(sample.source().recorded("pay-before-opening").unwrap().is_none());
    assert_eq!(sample.source().changes(0, 1).unwrap().head, head);
}

#[test]
fn a_command_the_source_rejected_leaves_nothing_to_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-rejected", false);
    refused_payment(&sample);
    pay(&sample.portfolio, "pay-ok", portfolio_account(&sample), d(2, 10), 2_000);
    refused_payment(&sample);
    let before = state(sample.source(), &sample.reference);
    let report = sample.move_now().unwrap();
    // create_debtor, open_account, 2 charges, the payment: the refused payments, which the
    // source never recorded, are not in its feed, and nothing is left out.
    assert_eq!((report.copied, report.skipped), (5, 0), "{report:?}");
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
}

fn portfolio_account(sample: &Sample) -> u64 {
    arrears_portfolio::portfolio_id(sample.from, sample.account.get()).unwrap()
}

/// Scenarios A to D on one debtor, and a rejected command.
fn combined(dir: &Path) -> Sample {
    let sample = sample(dir, "W-all", true);
    sample.run_cycles(&CYCLES);
    bank_cash(&sample);
    contacts_made(&sample, at(5, 4, 15));
    work(&sample, d(5, 20));
    let disputed = dispute_raised(&sample, at(5, 25, 16));
    assert_eq!(disputed, [sample.account], "the acknowledgement opened a dispute");
    refused_payment(&sample);
    sample
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        assert!(entry.file_type().unwrap().is_file(), "{entry:?}");
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_wide_move_stopped_after_any_write_finishes_as_a_move_in_one_go() {
    let base = tempfile::tempdir().unwrap();
    let sample = combined(base.path());
    let (reference, from) = (sample.reference.clone(), sample.from);
    let to = sample.to();
    let to_name = format!("s{to}");
    let before = state(sample.source(), &reference);
    assert_eq!(before.payers.len(), 1);
    assert!(before.standing.as_ref().is_some_and(|standing| standing.last_review.is_some()));
    assert_eq!(before.contacts.len(), 4, "{:?}", before.contacts);
    assert_eq!(before.notes.len(), 1);
    assert!(before.accounts[0].disputed);
    drop(sample);

    // The move in one go, on a copy of the sample.
    let one_go = tempfile::tempdir().unwrap();
    copy_dir(base.path(), one_go.path());
    let path = one_go.path().join("portfolio.toml");
    let mut portfolio = Portfolio::open(&path).unwrap();
    let report = portfolio.move_debtor(&reference, &to_name, ON).unwrap();
    assert!(report.skipped >= 2, "the send and the credit commands at least: {report:?}");
    check_moved(&mut portfolio, &path, &reference, from, &before);
    let expected = end_state(&portfolio, &reference, from, to);
    drop(portfolio);

    // Stopped after `writes` writes, in a new process, then run again to the end.
    let mut writes = 1;
    loop {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base.path(), dir.path());
        let path = dir.path().join("portfolio.toml");
        let options = MoveOptions { writes_max: Some(writes) };
        let first =
            Portfolio::open(&path).unwrap().move_debtor_with(&reference, &to_name, ON, options);
        let finished = match first {
            Err(MoveError::Stopped { writes: done, .. }) => {
                assert_eq!(done, writes);
                false
            }
            Ok(report) => {
                assert!(!report.already_done);
                true
            }
            Err(other) => panic!("stopped after {writes} writes: {other}"),
        };
        let mut portfolio = Portfolio::open(&path).unwrap();
        let report = portfolio.move_debtor(&reference, &to_name, ON).unwrap();
        assert_eq!(report.already_done, finished);
        check_moved(&mut portfolio, &path, &reference, from, &before);
        assert_eq!(
            end_state(&portfolio, &reference, from, to),
            expected,
            "stopped after {writes} writes"
        );
        if finished {
            break;
        }
        writes += 1;
        assert!(writes < 300, "the move makes progress");
    }
    assert!(writes > 10, "a write per step: {writes}");

    // One write per run, each in a new process, as after a crash at every step.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(base.path(), dir.path());
    let path = dir.path().join("portfolio.toml");
    let mut runs = 0;
    loop {
        let mut portfolio = Portfolio::open(&path).unwrap();
        let options = MoveOptions { writes_max: Some(1) };
        match portfolio.move_debtor_with(&reference, &to_name, ON, options) {
            Err(MoveError::Stopped { writes: 1, .. }) => runs += 1,
            Ok(report) => {
                assert!(!report.already_done);
                break;
            }
            Err(other) => panic!("after {runs} runs: {other}"),
        }
        assert!(runs < 300, "the move makes progress");
    }
    assert_eq!(runs + 1, writes, "as many runs as writes");
    let mut portfolio = Portfolio::open(&path).unwrap();
    check_moved(&mut portfolio, &path, &reference, from, &before);
    assert_eq!(end_state(&portfolio, &reference, from, to), expected);
}

#[test]
fn an_action_sent_and_never_acknowledged_moves_as_a_contact_the_caps_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-sent", false);
    sample.run_cycles(&CYCLES);
    let actions = pending_actions(&sample);
    assert!(actions.len() >= 2, "the cycles made outbox actions: {actions:?}");
    let acknowledge = Command::Acknowledge {
        action: actions[1].id,
        outcome: ContactOutcome::Voicemail,
        at: at(5, 2, 15),
    };
    sample.execute("ack-1", &acknowledge);
    let sent = &actions[0];
    sample.execute("sent-0", &Command::MarkSent { action: sent.id, at: at(5, 3, 14) });
    let before = state(sample.source(), &sample.reference);
    assert_eq!(before.contacts.len(), 1, "the sent action is no contact in the source yet");
    // The target: the source's contacts followed by the sent one at the instant sent, with an
    // outcome every counting rule counts, as the source counted it while pending (a voicemail
    // for a call, a delivered message otherwise: docs/SCALE.md, "Moving a debtor", step 3).
    let (outcome, heard) = match sent.channel {
        ContactChannel::Phone => {
            (ContactOutcome::Voicemail, arrears::compliance::Outcome::Voicemail)
        }
        _ => (ContactOutcome::Delivered, arrears::compliance::Outcome::Delivered),
    };
    let mut expected = before.clone();
    let accounts = sample.source().accounts_of(sample.debtor).unwrap();
    expected.contacts.push(Contact {
        channel: sent.channel,
        address: sent.address.clone(),
        at: at(5, 3, 14),
        inbound: false,
        outcome,
        accounts: sent
            .accounts
            .iter()
            .map(|account| accounts.iter().position(|own| own == account).unwrap())
            .collect(),
    });
    expected.history.push((
        at(5, 3, 14),
        ChannelGroup::from(sent.channel),
        Direction::Outbound,
        heard,
    ));
    let report = sample.move_now().unwrap();
    assert_eq!(report.carried, 1, "the sent contact: {report:?}");
    assert_eq!(report.skipped, 1, "the send: {report:?}");
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &expected);
}

/// A callback the debtor asked for that is still to make moves with it (scheduled again in
/// the target, cancelled in the source); one already made does not (its contact moves), or
/// the target's sender would call the debtor a second time.
#[test]
fn a_callback_still_to_make_moves_and_one_made_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-callback", false);
    let callback = |at: DateTime<Utc>| Command::RequestCallback {
        debtor: sample.debtor,
        accounts: vec![sample.account],
        channel: ContactChannel::Phone,
        address: PHONE.into(),
        at,
    };
    let scheduled = |outcome: Outcome| match outcome {
        Outcome::Scheduled { action } => action,
        other => panic!("no callback scheduled: {other:?}"),
    };
    let made = scheduled(sample.execute("callback-1", &callback(at(5, 4, 15))));
    let acknowledge = Command::Acknowledge {
        action: made,
        outcome: ContactOutcome::RightParty,
        at: at(5, 4, 15),
    };
    sample.execute("ack-callback-1", &acknowledge);
    let still = scheduled(sample.execute("callback-2", &callback(at(6, 3, 16))));
    let before = state(sample.source(), &sample.reference);
    let report = sample.move_now().unwrap();
    assert_eq!(report.carried, 0, "{report:?}");
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
    let target = &sample.portfolio.shards()[sample.to()];
    let moved = target.find_debtor(&sample.reference).unwrap().unwrap();
    let pending: Vec<_> = target
        .actions_of(moved)
        .unwrap()
        .into_iter()
        .filter(|action| action.status == ActionStatus::Pending)
        .map(|action| (action.scheduled_at, action.template, action.address))
        .collect();
    assert_eq!(pending, vec![(at(6, 3, 16), "callback".to_owned(), PHONE.to_owned())]);
    let source = &sample.portfolio.shards()[from];
    let status = |id: u64| source.action(id).unwrap().unwrap().status;
    assert!(matches!(status(still), ActionStatus::Cancelled { .. }), "{:?}", status(still));
    assert!(matches!(status(made), ActionStatus::Acknowledged { .. }));
}

/// A placed debtor with an agency's commissions (one taken back with its returned payment),
/// then charged off, waived on the charge-off's day and the charge-off reversed: the events
/// the engine derives (commission, commission reversed) are derived again in the target from
/// the copied commands, and the target's books are the source's, book by book.
#[test]
fn a_debtor_moves_with_its_agency_commissions_and_a_reversed_charge_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-agency", false);
    sample.run_cycles(&CYCLES);
    let account = sample.account;
    let place = Command::Place {
        account,
        on: d(5, 1),
        agency: "Acme Recovery".into(),
        commission_rate: "0.25".parse().unwrap(),
    };
    sample.execute("place", &place);
    let payment = |amount_minor: i64, day: u32| Command::Payment {
        account,
        effective_on: d(5, day),
        amount: usd(amount_minor),
        directed_to: None,
    };
    sample.execute("agency-pay-1", &payment(2_000, 2));
    let Outcome::Posted(returned) = sample.execute("agency-pay-2", &payment(1_000, 3)) else {
        panic!("not posted")
    };
    let reversal = Command::Reversal {
        account,
        payment: returned.event,
        effective_on: d(5, 4),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    sample.execute("agency-return", &reversal);
    sample.execute("charge-off", &Command::ChargeOff { account, effective_on: d(5, 5) });
    let obligation =
        sample.source().account_view(account, d(5, 5)).unwrap().obligations[0].obligation.id;
    let waiver = Command::Waiver {
        account,
        obligation,
        component: arrears::model::Component::Principal,
        amount: usd(500),
        effective_on: d(5, 5),
    };
    sample.execute("waiver", &waiver);
    let reverse = Command::ReverseChargeOff { account, on: d(5, 6), reason: "mistake".into() };
    sample.execute("undo-charge-off", &reverse);
    let books_of = |store: &Arrears, account| store.account_view(account, ON).unwrap().books_minor;
    let source_books = books_of(sample.source(), account);
    assert_eq!(source_books.get(&arrears::ledger::Book::AgencyCommission), Some(&500));
    assert_eq!(source_books.get(&arrears::ledger::Book::Waivers), Some(&500));
    let before = state(sample.source(), &sample.reference);
    let report = sample.move_now().unwrap();
    assert!(!report.already_done);
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
    let target = &sample.portfolio.shards()[(from + 1) % 3];
    let debtor = target.find_debtor(&sample.reference).unwrap().unwrap();
    let moved = target.accounts_of(debtor).unwrap()[0];
    assert_eq!(books_of(target, moved), source_books);
}

/// A refund of unapplied cash moves as its command, with its own obligation, and what a
/// returned payment makes owed on it moves too.
#[test]
fn a_debtor_moves_with_a_refund_owed_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut sample = sample(dir.path(), "W-refund", false);
    sample.run_cycles(&CYCLES);
    let account = sample.account;
    let overpay = Command::Payment {
        account,
        effective_on: d(5, 2),
        amount: usd(1_000_000),
        directed_to: None,
    };
    let Outcome::Posted(overpaid) = sample.execute("overpay", &overpay) else {
        panic!("not posted")
    };
    let refund = Command::Refund {
        account,
        effective_on: d(5, 3),
        amount: usd(40_000),
        external_ref: Some("RF-W".into()),
    };
    sample.execute("refund", &refund);
    let reversal = Command::Reversal {
        account,
        payment: overpaid.event,
        effective_on: d(5, 4),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    sample.execute("overpay-returned", &reversal);
    let view = sample.source().account_view(account, ON).unwrap();
    let owed_back = view
        .obligations
        .iter()
        .find(|o| o.obligation.kind == arrears::model::ObligationKind::Refund);
    assert_eq!(owed_back.unwrap().outstanding_minor, [40_000, 0, 0]);
    let books_of = |store: &Arrears, account| store.account_view(account, ON).unwrap().books_minor;
    let source_books = books_of(sample.source(), account);
    let before = state(sample.source(), &sample.reference);
    sample.move_now().unwrap();
    let (path, from) = (sample.path.clone(), sample.from);
    check_moved(&mut sample.portfolio, &path, &sample.reference, from, &before);
    let target = &sample.portfolio.shards()[(from + 1) % 3];
    let debtor = target.find_debtor(&sample.reference).unwrap().unwrap();
    let moved = target.accounts_of(debtor).unwrap()[0];
    assert_eq!(books_of(target, moved), source_books);
}
