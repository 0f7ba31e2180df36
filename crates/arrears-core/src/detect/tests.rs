//! Unit tests of the detectors: each fires on a crafted history and stays quiet on a steady
//! one, with the figures that fired it as evidence.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::*;
use crate::case::{ContactAttempt, ContactOutcome};
use crate::ids::{AccountId, DebtorId, EventSeq, ObligationId};
use crate::ledger::{replay, CreditNoteReason, Event, EventKind};
use crate::model::{Account, ContactChannel, ObligationKind, ProductKind, Terms};
use crate::money::Currency;

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(n)
}

fn account() -> Account {
    Account {
        id: AccountId(1),
        external_ref: None,
        debtor: DebtorId(1),
        product: ProductKind::TradeCredit,
        currency: Currency::USD,
        credit_limit_minor: None,
        opened_on: day(0),
        terms: Terms::default(),
    }
}

/// A ledger built event by event, with obligation ids in charge order.
#[derive(Default)]
struct Books {
    events: Vec<Event>,
    obligations: u64,
}

impl Books {
    fn push(&mut self, on: NaiveDate, kind: EventKind) {
        let seq = EventSeq(u32::try_from(self.events.len() + 1).unwrap());
        self.events.push(Event { seq, effective_on: on, kind });
    }

    /// An invoice of `amount_minor` issued on day `issued`, due `net` days later.
    fn invoice(&mut self, issued: u64, net: u64, amount_minor: i64) -> ObligationId {
        self.obligations += 1;
        let obligation = ObligationId(self.obligations);
        let kind = EventKind::Charge {
            obligation,
            kind: ObligationKind::Invoice,
            due_on: day(issued + net),
            amounts_minor: [amount_minor, 0, 0],
        };
        self.push(day(issued), kind);
        obligation
    }

    fn pay(&mut self, on: u64, amount_minor: i64, obligation: ObligationId) {
        self.push(day(on), EventKind::Payment { amount_minor, directed_to: Some(obligation) });
    }

    fn credit(&mut self, on: u64, amount_minor: i64, obligation: Option<ObligationId>) {
        let kind =
            EventKind::CreditNote { obligation, amount_minor, reason: CreditNoteReason::Return };
        self.push(day(on), kind);
    }

    fn run(&self, as_of: u64, contacts: &[ContactAttempt], requests: &[NaiveDate]) -> Vec<Finding> {
        let state = replay(&account(), &self.events, Some(day(as_of))).state;
        let history = History {
            as_of: day(as_of),
            events: &self.events,
            state: &state,
            contacts,
            account: AccountId(1),
            time_requests_on: requests,
        };
        detect(&DetectorPolicy::default(), &history)
    }
}

fn fired(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|finding| finding.detector.name()).collect()
}

/// An invoice of 1,000.00 every ten days from day 0, net 30, each paid `late(n)` days after
/// its due date, through day `through`.
fn trading(through: u64, late: impl Fn(u64) -> u64) -> Books {
    let mut books = Books::default();
    for n in 0..=through / 10 {
        let obligation = books.invoice(n * 10, 30, 100_000);
        books.pay(n * 10 + 30 + late(n), 100_000, obligation);
    }
    books
}

#[test]
fn a_steady_customer_fires_nothing() {
    let books = trading(200, |_| 0);
    assert_eq!(fired(&books.run(180, &[], &[])), Vec::<&str>::new());
}

#[test]
fn buying_less_fires_the_buying_pattern_with_its_figures() {
    // Steady to day 150, then one invoice in the last 30 days (instead of three).
    let mut books = trading(150, |_| 0);
    books.invoice(165, 30, 100_000);
    let findings = books.run(180, &[], &[]);
    assert_eq!(fired(&findings), ["buying_pattern"]);
    assert_eq!(
        findings[0].evidence,
        "charges 100000 minor in 30 days against 900000 minor in 90 days before: ratio 0.33 < 0.5"
    );
    assert_eq!(findings[0].detector.source(), "detector:buying_pattern");
    assert_eq!(findings[0].detector.signal(), Signal::PurchasePatternChange);
}

#[test]
fn buying_needs_a_baseline() {
    // A new customer: two invoices in the baseline are fewer than the three needed.
    let mut books = Books::default();
    books.invoice(70, 30, 100_000);
    books.invoice(80, 30, 100_000);
    assert!(buying_pattern(&DetectorPolicy::default().buying, &history_of(&books, 180)).is_none());
}

fn history_of(books: &Books, as_of: u64) -> History<'_> {
    // The state is not read by the window detectors; an empty replay stands for it.
    let state: &'static AccountState = Box::leak(Box::new(replay(&account(), &[], None).state));
    History {
        as_of: day(as_of),
        events: &books.events,
        state,
        contacts: &[],
        account: AccountId(1),
        time_requests_on: &[],
    }
}

#[test]
fn more_returns_fire_the_returns_pattern_and_steady_returns_do_not() {
    // A tenth of every invoice comes back all along: steady.
    let mut steady = trading(180, |_| 0);
    for n in 0..=18 {
        steady.credit(n * 10 + 5, 10_000, None);
    }
    assert!(!fired(&steady.run(180, &[], &[])).contains(&"returns_pattern"));
    // Nothing comes back, then half of the last month's invoices.
    let mut books = trading(180, |_| 0);
    books.credit(175, 150_000, None);
    let findings = books.run(180, &[], &[]);
    assert_eq!(fired(&findings), ["returns_pattern"]);
    assert_eq!(
        findings[0].evidence,
        "credit notes 150000 minor of 300000 minor charged in 30 days (share 0.5) against 0 of 900000 in 90 days before (share 0)"
    );
}

#[test]
fn paying_later_fires_the_payment_drift() {
    // On time for the first invoices, then 20 days late from the 13th.
    let books = trading(200, |n| if n >= 13 { 20 } else { 0 });
    let findings = books.run(200, &[], &[]);
    assert_eq!(fired(&findings), ["payment_drift"]);
    assert_eq!(
        findings[0].evidence,
        "mean days from due to payment 20 over the last 3 paid obligations against 0 over the 3 before: up 20 >= 10"
    );
    // Always 20 days late is a slow payer, not a drift.
    let slow = trading(200, |_| 20);
    assert!(!fired(&slow.run(200, &[], &[])).contains(&"payment_drift"));
}

#[test]
fn days_to_pay_leave_out_obligations_not_paid_by_a_payment() {
    let mut books = Books::default();
    let first = books.invoice(0, 30, 100_000);
    books.pay(35, 100_000, first);
    let second = books.invoice(10, 30, 50_000);
    books.credit(12, 50_000, Some(second));
    let state = replay(&account(), &books.events, None).state;
    assert_eq!(days_to_pay(&state, day(60)), vec![(day(35), 5)]);
}

#[test]
fn requests_for_time_fire_from_the_second_in_the_window() {
    let books = trading(200, |_| 0);
    assert!(books.run(180, &[], &[day(170)]).is_empty());
    let findings = books.run(180, &[], &[day(100), day(150), day(170)]);
    assert_eq!(fired(&findings), ["extension_requests"]);
    assert_eq!(
        findings[0].evidence,
        "2 requests for time (promises, plans, agent outcomes) in 60 days >= 2"
    );
}

fn attempt(
    on: u64,
    channel: ContactChannel,
    inbound: bool,
    outcome: ContactOutcome,
) -> ContactAttempt {
    let at: DateTime<Utc> = day(on).and_hms_opt(10, 0, 0).unwrap().and_utc();
    ContactAttempt {
        accounts: vec![AccountId(1)],
        channel,
        address: "x".into(),
        at,
        inbound,
        outcome,
        action: None,
    }
}

#[test]
fn unreturned_calls_count_calls_only_and_clear_on_contact_back() {
    let books = trading(200, |_| 0);
    let calls: Vec<ContactAttempt> = [160, 165, 170]
        .into_iter()
        .map(|on| attempt(on, ContactChannel::Phone, false, ContactOutcome::NoAnswer))
        .collect();
    let findings = books.run(180, &calls, &[]);
    assert_eq!(fired(&findings), ["unreturned_calls"]);
    assert_eq!(findings[0].evidence, "3 calls in 30 days since 2026-06-10, no contact back");
    // Delivered e-mails are not calls.
    let emails: Vec<ContactAttempt> = [160, 165, 170]
        .into_iter()
        .map(|on| attempt(on, ContactChannel::Email, false, ContactOutcome::Delivered))
        .collect();
    assert!(books.run(180, &emails, &[]).is_empty());
    // The debtor calls back.
    let mut returned = calls.clone();
    returned.push(attempt(172, ContactChannel::Phone, true, ContactOutcome::RightParty));
    assert!(books.run(180, &returned, &[]).is_empty());
}

#[test]
fn a_detector_is_known_by_its_source() {
    for detector in Detector::ALL {
        assert_eq!(Detector::from_source(&detector.source()), Some(detector));
    }
    assert_eq!(Detector::from_source("bureau:acme"), None);
}

/// A history drawn by the property test: invoices (some paid, some credited), calls and
/// contacts back, and requests for time, on days 0 to 299.
#[derive(Debug, Clone)]
struct Drawn {
    invoices: Vec<(u64, i64, Option<u64>, Option<i64>)>,
    contacts: Vec<(u64, bool, bool)>,
    requests: Vec<u64>,
}

fn drawn() -> impl proptest::strategy::Strategy<Value = Drawn> {
    use proptest::prelude::*;
    let invoice =
        (0..300_u64, 1..50_i64, proptest::option::of(0..80_u64), proptest::option::of(1..20_i64));
    (
        proptest::collection::vec(invoice, 0..24),
        proptest::collection::vec((0..300_u64, any::<bool>(), any::<bool>()), 0..12),
        proptest::collection::vec(0..300_u64, 0..4),
    )
        .prop_map(|(invoices, contacts, requests)| Drawn { invoices, contacts, requests })
}

impl Drawn {
    fn books(&self) -> Books {
        let mut books = Books::default();
        for (issued, thousands, paid_after, credited) in &self.invoices {
            let obligation = books.invoice(*issued, 30, thousands * 100_000);
            if let Some(credited) = credited {
                books.credit(*issued + 3, credited * 1_000, Some(obligation));
            }
            if let Some(after) = paid_after {
                books.pay(issued + after, thousands * 100_000, obligation);
            }
        }
        books
    }

    fn contacts(&self) -> Vec<ContactAttempt> {
        let attempt_of = |(on, call, reached): &(u64, bool, bool)| {
            let channel = if *call { ContactChannel::Phone } else { ContactChannel::Email };
            let outcome =
                if *reached { ContactOutcome::RightParty } else { ContactOutcome::NoAnswer };
            attempt(*on, channel, false, outcome)
        };
        self.contacts.iter().map(attempt_of).collect()
    }
}

/// Short windows and low thresholds, so that drawn histories fire often.
fn eager_policy() -> DetectorPolicy {
    let mut policy = DetectorPolicy::default();
    policy.buying.recent_days = 20;
    policy.buying.baseline_days = 40;
    policy.buying.baseline_charges_min = 1;
    policy.returns.recent_days = 15;
    policy.returns.baseline_days = 30;
    policy.drift.obligations = 1;
    policy.drift.days_min = 3;
    policy.extension.requests_min = 1;
    policy.unreturned.calls_min = 1;
    policy
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// What the detectors find on any day from `as_of` up to `next_change` is what they find
    /// on `as_of`: the engine's reason to skip those days.
    #[test]
    fn findings_hold_until_the_next_change(drawn in drawn()) {
        let books = drawn.books();
        let contacts = drawn.contacts();
        let requests: Vec<NaiveDate> = drawn.requests.iter().map(|on| day(*on)).collect();
        for policy in [DetectorPolicy::default(), eager_policy()] {
            let run = |as_of: u64| {
                let state = replay(&account(), &books.events, Some(day(as_of))).state;
                let history = History {
                    as_of: day(as_of),
                    events: &books.events,
                    state: &state,
                    contacts: &contacts,
                    account: AccountId(1),
                    time_requests_on: &requests,
                };
                (detect(&policy, &history), next_change(&policy, &history))
            };
            for as_of in (0..400).step_by(13) {
                let (found, next) = run(as_of);
                let until = next.map_or(as_of + 120, |next| (next - day(0)).num_days() as u64);
                for later in as_of + 1..until.min(as_of + 120) {
                    proptest::prop_assert_eq!(&run(later).0, &found, "day {} from {}", later, as_of);
                }
            }
        }
    }
}

/// The fingerprint the store keeps in `DetectionMark::inputs` must not change with the Rust
/// release or the platform: these values were computed outside Rust (FNV-1a 64 over the
/// encoding `DetectorPolicy::fingerprint` documents), so a change of algorithm or encoding
/// fails here.
#[test]
fn the_detector_policy_fingerprint_is_pinned() {
    let policy = DetectorPolicy::default();
    assert_eq!(policy.fingerprint(), 0x715c_d188_1700_ba9b);
    let decayed = DetectorPolicy { decay_days: 61, ..DetectorPolicy::default() };
    assert_eq!(decayed.fingerprint(), 0x6a2e_1f0f_f61e_abae);
    // Equal decimals written with another scale give the same fingerprint.
    let mut rescaled = DetectorPolicy::default();
    rescaled.buying.drop_ratio = Decimal::new(50, 2);
    assert_eq!(rescaled.fingerprint(), policy.fingerprint());
    // Every field counts.
    let mut other = DetectorPolicy::default();
    other.unreturned.calls_min = 4;
    assert_ne!(other.fingerprint(), policy.fingerprint());
}

#[test]
fn fingerprint_is_fnv1a_64_over_its_encoding() {
    assert_eq!(Fingerprint::new().finish(), 0xcbf2_9ce4_8422_2325);
    assert_eq!(Fingerprint::new().bytes(b"a").finish(), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(Fingerprint::new().bytes(b"foobar").finish(), 0x8594_4171_f739_67e8);
    let day = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
    assert_eq!(Fingerprint::new().date(day), Fingerprint::new().u32(1));
    assert_eq!(Fingerprint::new().text("ab"), Fingerprint::new().u64(2).bytes(b"ab"));
    assert_eq!(
        Fingerprint::new().option(None::<u64>, Fingerprint::u64),
        Fingerprint::new().bytes(&[0])
    );
    assert_eq!(
        Fingerprint::new().option(Some(7_u64), Fingerprint::u64),
        Fingerprint::new().bytes(&[1]).u64(7)
    );
}
