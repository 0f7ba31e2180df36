//! Unit tests of the guardrails: the worked examples of the research notes (7-in-7 and its
//! exclusions, the conversation cool-down and its day counting, hours in several zones and
//! across daylight-saving changes, holidays, strictest-wins between packs, the sticky blocks),
//! the pack files and their located errors, and property tests that random contact sequences
//! never break the Regulation F caps and that `next_allowed_at` is always allowed.
//!
//! Every decision made through `decide` is also checked for the general contract: an allowed
//! decision's next instant is its own, and a blocked decision's next instant, when present,
//! is later, within the horizon, allowed, and the earliest (a second before it is blocked).

use chrono::{TimeZone, Timelike};
use proptest::prelude::*;

use super::*;

const NY: &str = "America/New_York";
const CHICAGO: &str = "America/Chicago";
const LA: &str = "America/Los_Angeles";
const BOGOTA: &str = "America/Bogota";
const SANTIAGO: &str = "America/Santiago";
const LIMA: &str = "America/Lima";
const MADRID: &str = "Europe/Madrid";
const MEXICO_CITY: &str = "America/Mexico_City";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, 0).unwrap()
}

/// The instant of a local wall-clock time (the earlier one if it occurs twice).
fn local(zone: &str, year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    let zone: Tz = zone.parse().unwrap();
    zone.with_ymd_and_hms(year, month, day, hour, minute, 0).earliest().unwrap().with_timezone(&Utc)
}

/// An owned proposal, so tests can build and change one freely.
#[derive(Debug, Clone)]
struct Draft {
    person: u64,
    debts: Vec<String>,
    action: ActionKind,
    channel: ChannelGroup,
    recipient: Recipient,
    address: Option<String>,
    address_kind: ContactPointKind,
    address_consent: bool,
    at: DateTime<Utc>,
    zones: Vec<String>,
}

impl Draft {
    /// A call to person 1 about debt "A" on a consented personal number in New York.
    fn call(at: DateTime<Utc>) -> Draft {
        Draft {
            person: 1,
            debts: vec!["A".to_owned()],
            action: ActionKind::Contact,
            channel: ChannelGroup::Call,
            recipient: Recipient::Consumer,
            address: Some("+1 (212) 555-0100".to_owned()),
            address_kind: ContactPointKind::Personal,
            address_consent: true,
            at,
            zones: vec![NY.to_owned()],
        }
    }

    fn via(mut self, channel: ChannelGroup, address: &str) -> Draft {
        self.channel = channel;
        self.address = Some(address.to_owned());
        self
    }

    fn about(mut self, debts: &[&str]) -> Draft {
        self.debts = debts.iter().map(|debt| (*debt).to_owned()).collect();
        self
    }

    fn in_zones(mut self, zones: &[&str]) -> Draft {
        self.zones = zones.iter().map(|zone| (*zone).to_owned()).collect();
        self
    }

    fn doing(mut self, action: ActionKind) -> Draft {
        self.action = action;
        self
    }

    fn to(mut self, recipient: Recipient) -> Draft {
        self.recipient = recipient;
        self
    }

    fn kind(mut self, address_kind: ContactPointKind) -> Draft {
        self.address_kind = address_kind;
        self
    }

    fn at(mut self, at: DateTime<Utc>) -> Draft {
        self.at = at;
        self
    }

    fn proposal(&self) -> Proposal<'_> {
        Proposal {
            person: self.person,
            debts: &self.debts,
            action: self.action,
            channel: self.channel,
            recipient: self.recipient,
            address: self.address.as_deref(),
            address_kind: self.address_kind,
            address_consent: self.address_consent,
            at: self.at,
            time_zones: &self.zones,
        }
    }
}

fn packs(ids: &[&str]) -> Vec<Pack> {
    ids.iter().map(|id| Pack::builtin(id).unwrap_or_else(|| panic!("no pack {id}"))).collect()
}

/// Evaluates `draft` and checks the general contract of a decision.
fn decide(ids: &[&str], draft: &Draft, history: &[HistoryEntry], flags: &Flags) -> Decision {
    let packs = packs(ids);
    let decision = evaluate(&packs, &draft.proposal(), history, flags);
    check_contract(&packs, draft, history, flags, &decision);
    decision
}

fn check_contract(
    packs: &[Pack],
    draft: &Draft,
    history: &[HistoryEntry],
    flags: &Flags,
    decision: &Decision,
) {
    if decision.allowed {
        assert_eq!(decision.rule, None, "{decision:?}");
        assert_eq!(decision.next_allowed_at, Some(draft.at), "{decision:?}");
        assert!(decision.also_blocked_by.is_empty(), "{decision:?}");
        return;
    }
    assert!(decision.rule.is_some(), "{decision:?}");
    assert!(!decision.reason.is_empty());
    if let Some(next) = decision.next_allowed_at {
        assert!(draft.at < next, "{decision:?}");
        assert!(next <= draft.at + TimeDelta::days(HORIZON_DAYS), "{decision:?}");
        let again = evaluate(packs, &draft.clone().at(next).proposal(), history, flags);
        assert!(again.allowed, "not allowed at next_allowed_at {next}: {again:?}");
        let before = next - TimeDelta::seconds(1);
        let early = evaluate(packs, &draft.clone().at(before).proposal(), history, flags);
        assert!(!early.allowed, "allowed before next_allowed_at {next}: {early:?}");
    }
}

#[track_caller]
fn assert_blocked(decision: &Decision, rule: &str, next: Option<DateTime<Utc>>) {
    assert!(!decision.allowed, "expected a block by {rule}: {decision:?}");
    assert_eq!(decision.rule.as_deref(), Some(rule), "{decision:?}");
    assert_eq!(decision.next_allowed_at, next, "{decision:?}");
}

#[track_caller]
fn assert_allowed(decision: &Decision) {
    assert!(decision.allowed, "expected allowed: {decision:?}");
}

/// An outbound call to person 1's personal number about debt "A".
fn call_at(at: DateTime<Utc>, outcome: Outcome) -> HistoryEntry {
    HistoryEntry {
        at,
        person: 1,
        debts: vec!["A".to_owned()],
        channel: ChannelGroup::Call,
        recipient: Recipient::Consumer,
        address_kind: ContactPointKind::Personal,
        direction: Direction::Outbound,
        consented: false,
        outcome,
    }
}

fn sent_at(at: DateTime<Utc>, channel: ChannelGroup, outcome: Outcome) -> HistoryEntry {
    HistoryEntry { channel, ..call_at(at, outcome) }
}

/// Seven voicemails about debt "A", one a day at 10:00 New York time, Monday 2 February 2026
/// to Sunday 8 February.
fn seven_calls_in_seven_days() -> Vec<HistoryEntry> {
    (2..=8).map(|day| call_at(local(NY, 2026, 2, day, 10, 0), Outcome::Voicemail)).collect()
}

const FEDERAL: &[&str] = &["us-federal", "core"];

// ---------------------------------------------------------------------------------------------
// Packs
// ---------------------------------------------------------------------------------------------

#[test]
fn every_builtin_pack_loads_with_cited_unique_rules() {
    let mut ids: Vec<String> = Vec::new();
    for id in Pack::builtin_ids() {
        let pack = Pack::builtin(id).unwrap();
        assert_eq!(pack.id(), id);
        assert!(!pack.name().is_empty() && !pack.citation().is_empty());
        assert!(!pack.rules().is_empty());
        for rule in pack.rules() {
            assert!(rule.id.starts_with(&format!("{id}.")), "{}", rule.id);
            assert!(!rule.citation.is_empty() && !rule.summary.is_empty(), "{}", rule.id);
            assert!(!ids.contains(&rule.id), "{} twice", rule.id);
            ids.push(rule.id.clone());
        }
    }
    assert!(Pack::builtin("nowhere").is_none());
}

#[test]
fn packs_carry_the_rule_ids_and_statuses_of_the_reference() {
    let status = |id: &str| {
        let pack = Pack::builtin(id.split('.').next().unwrap()).unwrap();
        pack.rules().iter().find(|rule| rule.id == id).unwrap_or_else(|| panic!("{id}")).status
    };
    assert_eq!(status("us-federal.call-7-in-7"), Status::V1);
    assert_eq!(status("us-federal.call-after-conversation"), Status::V1);
    assert_eq!(status("us-federal.hours"), Status::V1);
    assert_eq!(status("us-federal.employer-email"), Status::Unverified);
    assert_eq!(status("us-federal.electronic-messages"), Status::Convention);
    assert_eq!(status("us-ma.calls-personal-7d"), Status::V1);
    assert_eq!(status("us-nyc.contacts-3-in-7"), Status::V2);
    assert_eq!(status("co.hours"), Status::V2);
    assert_eq!(status("cl.other-media-gap"), Status::V2);
    assert_eq!(status("pe.hours"), Status::V2);
    assert_eq!(status("mx.hours"), Status::V2);
    assert_eq!(status("es.hours"), Status::Unverified);
    assert_eq!(status("es.contacts-per-week"), Status::Convention);
    assert_eq!(status("es.forbearance-before-enforcement"), Status::V1);
    assert_eq!(status("baseline.hours"), Status::Convention);
    assert_eq!(status("core.cease"), Status::Convention);
    let seven = Pack::builtin("us-federal").unwrap();
    let rule = seven.rules().iter().find(|rule| rule.id == "us-federal.call-7-in-7").unwrap();
    assert_eq!(
        rule.kind,
        RuleKind::FrequencyCap {
            scope: Scope::PersonDebt,
            window_days: 7,
            max: 7,
            counts: Counts::Connected,
            consent_days: Some(7),
        }
    );
    assert_eq!(rule.channels, vec![ChannelGroup::Call]);
}

#[test]
fn packs_for_follows_jurisdiction_and_creditor() {
    let ids = |country: &str, region: Option<&str>, creditor: Creditor| {
        let jurisdiction =
            Jurisdiction { country: country.to_owned(), region: region.map(str::to_owned) };
        packs_for(&jurisdiction, creditor)
            .iter()
            .map(|pack| pack.id().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("US", None, Creditor::ThirdParty), ["us-federal", "core"]);
    assert_eq!(ids("US", None, Creditor::FirstParty), ["baseline", "core"]);
    assert_eq!(ids("us", Some("ma"), Creditor::ThirdParty), ["us-federal", "us-ma", "core"]);
    assert_eq!(ids("US", Some("US-MA"), Creditor::FirstParty), ["us-ma", "baseline", "core"]);
    assert_eq!(ids("US", Some("NYC"), Creditor::ThirdParty), ["us-federal", "us-nyc", "core"]);
    assert_eq!(ids("US", Some("CA"), Creditor::FirstParty), ["us-federal", "core"]);
    assert_eq!(ids("CO", None, Creditor::FirstParty), ["co", "core"]);
    assert_eq!(ids("MX", Some("CDMX"), Creditor::ThirdParty), ["mx", "core"]);
    assert_eq!(ids("CL", None, Creditor::ThirdParty), ["cl", "core"]);
    assert_eq!(ids("PE", None, Creditor::FirstParty), ["pe", "core"]);
    assert_eq!(ids("ES", None, Creditor::FirstParty), ["es", "core"]);
    assert_eq!(ids("BR", None, Creditor::ThirdParty), ["baseline", "core"]);
}

// ---------------------------------------------------------------------------------------------
// Regulation F: 7 calls in 7 days
// ---------------------------------------------------------------------------------------------

#[test]
fn the_eighth_call_in_seven_days_is_blocked_until_the_first_leaves_the_window() {
    let history = seven_calls_in_seven_days();
    let sunday_evening = Draft::call(local(NY, 2026, 2, 8, 18, 0));
    let decision = decide(FEDERAL, &sunday_evening, &history, &Flags::default());
    // Monday's call leaves the window at midnight; the hours open at 08:00.
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
    assert!(decision.reason.contains("12 CFR 1006.14"), "{}", decision.reason);
    // Six calls are fine.
    let decision = decide(FEDERAL, &sunday_evening, &history[1..], &Flags::default());
    assert_allowed(&decision);
}

#[test]
fn seven_calls_on_one_day_block_the_same_weekday_until_the_next_week() {
    let history: Vec<HistoryEntry> =
        (9..16).map(|hour| call_at(local(NY, 2026, 2, 2, hour, 0), Outcome::NoAnswer)).collect();
    let decision =
        decide(FEDERAL, &Draft::call(local(NY, 2026, 2, 5, 12, 0)), &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
}

#[test]
fn calls_not_connected_do_not_count() {
    let mut history = seven_calls_in_seven_days();
    history[3].outcome = Outcome::NotConnected;
    let draft = Draft::call(local(NY, 2026, 2, 8, 18, 0));
    assert_allowed(&decide(FEDERAL, &draft, &history, &Flags::default()));
    // Unanswered calls are connected and count.
    history[3].outcome = Outcome::NoAnswer;
    let decision = decide(FEDERAL, &draft, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
}

#[test]
fn calls_with_prior_consent_do_not_count_and_consented_calls_are_not_blocked() {
    let mut history = seven_calls_in_seven_days();
    history[0].consented = true;
    let draft = Draft::call(local(NY, 2026, 2, 8, 18, 0));
    assert_allowed(&decide(FEDERAL, &draft, &history, &Flags::default()));
    // Consent given Saturday (day 1) covers Sunday's call.
    let history = seven_calls_in_seven_days();
    let consent =
        Flags { call_consent_given_at: Some(local(NY, 2026, 2, 7, 15, 0)), ..Flags::default() };
    assert_allowed(&decide(FEDERAL, &draft, &history, &consent));
    // Consent given on Sunday 1 February covers through Saturday 7 February, not Sunday 8.
    // The calls placed on 2 to 7 February under it never count, even after it lapsed
    // (12 CFR 1006.14(b)(3)(i)), although their entries do not say so.
    let expired =
        Flags { call_consent_given_at: Some(local(NY, 2026, 2, 1, 9, 0)), ..Flags::default() };
    assert_allowed(&decide(FEDERAL, &draft, &history, &expired));
    let mut talked = history.clone();
    talked.push(call_at(local(NY, 2026, 2, 8, 10, 0), Outcome::Conversation));
    let decision = decide(FEDERAL, &draft, &talked, &expired);
    assert_blocked(
        &decision,
        "us-federal.call-after-conversation",
        Some(local(NY, 2026, 2, 15, 8, 0)),
    );
    // The same consent given on 2 February covers Sunday's call.
    let covering =
        Flags { call_consent_given_at: Some(local(NY, 2026, 2, 2, 9, 0)), ..Flags::default() };
    assert_allowed(&decide(FEDERAL, &draft, &talked, &covering));
    // Without any consent, the seven calls count.
    let decision = decide(FEDERAL, &draft, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
    let saturday = draft.clone().at(local(NY, 2026, 2, 7, 20, 0));
    let mut eight = history.clone();
    eight.push(call_at(local(NY, 2026, 2, 7, 11, 0), Outcome::NoAnswer));
    assert_allowed(&decide(FEDERAL, &saturday, &eight, &expired));
}

#[test]
fn a_consent_given_later_that_day_is_the_next_allowed_instant() {
    // Seven calls fill the week; the person's consent, given directly at 15:00 (day 1 of
    // 7), lifts both prongs from then on (12 CFR 1006.14(b)(3)(i)): a call proposed for
    // 10:00 is next allowed at 15:00, not when the first call leaves the window.
    let history = seven_calls_in_seven_days();
    let consent_at = local(NY, 2026, 2, 8, 15, 0);
    let flags = Flags { call_consent_given_at: Some(consent_at), ..Flags::default() };
    let morning = Draft::call(local(NY, 2026, 2, 8, 10, 0));
    let decision = decide(FEDERAL, &morning, &history, &flags);
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(consent_at));
    let mut talked = history.clone();
    talked.push(call_at(local(NY, 2026, 2, 8, 9, 0), Outcome::Conversation));
    let decision = decide(FEDERAL, &morning, &talked, &flags);
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(consent_at));
    assert_eq!(decision.also_blocked_by, ["us-federal.call-after-conversation"]);
}

#[test]
fn inbound_calls_and_calls_to_exempt_parties_do_not_count() {
    let draft = Draft::call(local(NY, 2026, 2, 8, 18, 0));
    let mut history = seven_calls_in_seven_days();
    history[2].direction = Direction::Inbound;
    history[2].outcome = Outcome::NoAnswer;
    assert_allowed(&decide(FEDERAL, &draft, &history, &Flags::default()));
    let mut history = seven_calls_in_seven_days();
    history[4].recipient = Recipient::ExemptParty;
    assert_allowed(&decide(FEDERAL, &draft, &history, &Flags::default()));
    // A call to the person's attorney is not counted either.
    let history = seven_calls_in_seven_days();
    let attorney = draft.clone().to(Recipient::ExemptParty);
    assert_allowed(&decide(FEDERAL, &attorney, &history, &Flags::default()));
}

#[test]
fn calls_to_a_third_party_count_towards_its_own_seven_in_seven() {
    // 12 CFR 1006.14(b)(2)(i)(A) counts calls to "a particular person", not only to the
    // consumer; only the parties of (b)(3)(iii) are excluded. Seven unanswered calls to a
    // neighbour reach no one, so the once-only location contact does not stop an eighth.
    let neighbour =
        |entry: HistoryEntry| HistoryEntry { recipient: Recipient::ThirdParty, ..entry };
    let history: Vec<HistoryEntry> = (2..=8)
        .map(|day| neighbour(call_at(local(NY, 2026, 2, day, 10, 0), Outcome::NoAnswer)))
        .collect();
    let draft = Draft::call(local(NY, 2026, 2, 8, 18, 0)).to(Recipient::ThirdParty);
    let decision = decide(FEDERAL, &draft, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
    assert_allowed(&decide(FEDERAL, &draft, &history[1..], &Flags::default()));
}

/// The baseline borrows the federal count for jurisdictions without a pack, and so counts a
/// third party's calls on that person's own counter too: it has no location rule, so calls to
/// a neighbour were not capped at all.
#[test]
fn the_baseline_caps_calls_to_a_third_party_on_its_own_counter() {
    let neighbour =
        |entry: HistoryEntry| HistoryEntry { person: 2, recipient: Recipient::ThirdParty, ..entry };
    let history: Vec<HistoryEntry> = (2..=8)
        .map(|day| neighbour(call_at(local(NY, 2026, 2, day, 10, 0), Outcome::NoAnswer)))
        .collect();
    let baseline: &[&str] = &["baseline", "core"];
    let draft =
        Draft { person: 2, ..Draft::call(local(NY, 2026, 2, 8, 18, 0)).to(Recipient::ThirdParty) };
    let decision = decide(baseline, &draft, &history, &Flags::default());
    assert_blocked(&decision, "baseline.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
    assert_allowed(&decide(baseline, &draft, &history[1..], &Flags::default()));
    // The consumer's own counter is untouched by the neighbour's calls.
    let consumer = Draft::call(local(NY, 2026, 2, 8, 18, 0));
    assert_allowed(&decide(baseline, &consumer, &history, &Flags::default()));
}

#[test]
fn counters_key_on_person_and_debt_never_on_the_number() {
    let history = seven_calls_in_seven_days();
    let draft = Draft::call(local(NY, 2026, 2, 8, 18, 0));
    // Another number of the same person: still blocked.
    let other_number = draft.clone().via(ChannelGroup::Call, "+1 646 555 0199");
    let decision = decide(FEDERAL, &other_number, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
    // Another debt of the same person: its own counter.
    assert_allowed(&decide(FEDERAL, &draft.clone().about(&["B"]), &history, &Flags::default()));
    // A call about both debts is blocked by debt A's counter.
    let both = draft.clone().about(&["A", "B"]);
    let decision = decide(FEDERAL, &both, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
    // Another person (a spouse is a consumer too): their own counter.
    let spouse = Draft { person: 2, ..draft };
    assert_allowed(&decide(FEDERAL, &spouse, &history, &Flags::default()));
}

// ---------------------------------------------------------------------------------------------
// Regulation F: the conversation cool-down
// ---------------------------------------------------------------------------------------------

#[test]
fn a_monday_conversation_blocks_calls_through_sunday() {
    let history = vec![call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::Conversation)];
    let monday_after = local(NY, 2026, 2, 9, 8, 0);
    assert_eq!(monday_after, utc(2026, 2, 9, 13, 0));
    for (day, hour) in [(2, 15), (3, 9), (5, 12), (8, 20)] {
        let draft = Draft::call(local(NY, 2026, 2, day, hour, 0));
        let decision = decide(FEDERAL, &draft, &history, &Flags::default());
        assert_blocked(&decision, "us-federal.call-after-conversation", Some(monday_after));
    }
    assert_allowed(&decide(FEDERAL, &Draft::call(monday_after), &history, &Flags::default()));
    // A call earlier on the conversation's day is not after it.
    let before = Draft::call(local(NY, 2026, 2, 2, 9, 0));
    assert_allowed(&decide(FEDERAL, &before, &history, &Flags::default()));
}

#[test]
fn the_cooldown_counts_local_days_across_a_daylight_saving_change() {
    // Monday 2 March 2026 in New York; clocks spring forward on Sunday 8 March.
    let history = vec![call_at(local(NY, 2026, 3, 2, 10, 0), Outcome::Conversation)];
    let sunday = Draft::call(local(NY, 2026, 3, 8, 12, 0));
    let decision = decide(FEDERAL, &sunday, &history, &Flags::default());
    // 08:00 EDT is 12:00 UTC.
    assert_blocked(&decision, "us-federal.call-after-conversation", Some(utc(2026, 3, 9, 12, 0)));
}

#[test]
fn the_cooldown_covers_every_debt_discussed_and_no_other() {
    let mut conversation = call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::Conversation);
    conversation.debts = vec!["A".to_owned(), "B".to_owned()];
    let history = vec![conversation];
    let wednesday = Draft::call(local(NY, 2026, 2, 4, 12, 0));
    let next = Some(local(NY, 2026, 2, 9, 8, 0));
    for debts in [&["A"][..], &["B"], &["B", "C"]] {
        let decision =
            decide(FEDERAL, &wednesday.clone().about(debts), &history, &Flags::default());
        assert_blocked(&decision, "us-federal.call-after-conversation", next);
    }
    assert_allowed(&decide(FEDERAL, &wednesday.clone().about(&["C"]), &history, &Flags::default()));
}

#[test]
fn inbound_conversations_start_the_cooldown_and_voicemails_do_not() {
    let mut inbound = call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::Conversation);
    inbound.direction = Direction::Inbound;
    let wednesday = Draft::call(local(NY, 2026, 2, 4, 12, 0));
    let decision = decide(FEDERAL, &wednesday, &[inbound], &Flags::default());
    assert_blocked(
        &decision,
        "us-federal.call-after-conversation",
        Some(local(NY, 2026, 2, 9, 8, 0)),
    );
    let voicemail = call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::Voicemail);
    assert_allowed(&decide(FEDERAL, &wednesday, &[voicemail], &Flags::default()));
}

#[test]
fn the_cooldown_blocks_calls_only_and_not_consented_calls() {
    let history = vec![call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::Conversation)];
    let email = Draft::call(local(NY, 2026, 2, 4, 12, 0)).via(ChannelGroup::Email, "a@example.com");
    assert_allowed(&decide(FEDERAL, &email, &history, &Flags::default()));
    let consent =
        Flags { call_consent_given_at: Some(local(NY, 2026, 2, 3, 16, 0)), ..Flags::default() };
    let call = Draft::call(local(NY, 2026, 2, 4, 12, 0));
    assert_allowed(&decide(FEDERAL, &call, &history, &consent));
}

// ---------------------------------------------------------------------------------------------
// Hours and time zones
// ---------------------------------------------------------------------------------------------

#[test]
fn quiet_hours_apply_to_every_medium() {
    let early = Draft::call(local(NY, 2026, 2, 3, 7, 59));
    let opens = Some(local(NY, 2026, 2, 3, 8, 0));
    assert_blocked(&decide(FEDERAL, &early, &[], &Flags::default()), "us-federal.hours", opens);
    for (channel, address) in
        [(ChannelGroup::Text, "+12125550100"), (ChannelGroup::Email, "a@example.com")]
    {
        let draft = early.clone().via(channel, address);
        assert_blocked(&decide(FEDERAL, &draft, &[], &Flags::default()), "us-federal.hours", opens);
    }
    assert_allowed(&decide(
        FEDERAL,
        &early.clone().at(local(NY, 2026, 2, 3, 20, 59)),
        &[],
        &Flags::default(),
    ));
    let late = early.at(local(NY, 2026, 2, 3, 21, 0));
    let decision = decide(FEDERAL, &late, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(local(NY, 2026, 2, 4, 8, 0)));
}

#[test]
fn an_ambiguous_location_allows_only_the_intersection_of_the_windows() {
    let draft = Draft::call(local(NY, 2026, 2, 3, 10, 30)).in_zones(&[LA, NY]);
    // 10:30 in New York is 07:30 in Los Angeles; 11:00 ET is 08:00 PT.
    let decision = decide(FEDERAL, &draft, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(local(NY, 2026, 2, 3, 11, 0)));
    assert!(decision.reason.contains("America/Los_Angeles"), "{}", decision.reason);
    for (hour, minute) in [(11, 0), (15, 0), (20, 59)] {
        let inside = draft.clone().at(local(NY, 2026, 2, 3, hour, minute));
        assert_allowed(&decide(FEDERAL, &inside, &[], &Flags::default()));
    }
    let late = draft.at(local(NY, 2026, 2, 3, 21, 0));
    let decision = decide(FEDERAL, &late, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(local(NY, 2026, 2, 4, 11, 0)));
}

#[test]
fn spring_forward_days_in_new_york_and_chicago() {
    // Sunday 8 March 2026: 02:00 becomes 03:00.
    let before = Draft::call(utc(2026, 3, 8, 6, 30)); // 01:30 EST
    let decision = decide(FEDERAL, &before, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 3, 8, 12, 0))); // 08:00 EDT
    let day_before = Draft::call(utc(2026, 3, 7, 12, 30)); // 07:30 EST
    let decision = decide(FEDERAL, &day_before, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 3, 7, 13, 0))); // 08:00 EST
    assert_allowed(&decide(FEDERAL, &Draft::call(utc(2026, 3, 8, 12, 0)), &[], &Flags::default()));

    let chicago = Draft::call(utc(2026, 3, 8, 12, 59)).in_zones(&[CHICAGO]); // 07:59 CDT
    let decision = decide(FEDERAL, &chicago, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 3, 8, 13, 0)));
    let night = chicago.at(utc(2026, 3, 9, 2, 0)); // 21:00 CDT on Sunday
    let decision = decide(FEDERAL, &night, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 3, 9, 13, 0)));
}

#[test]
fn fall_back_days_in_new_york_and_chicago() {
    // Sunday 1 November 2026: 02:00 becomes 01:00 again.
    let ambiguous = Draft::call(utc(2026, 11, 1, 5, 30)); // 01:30 EDT, the first one
    let decision = decide(FEDERAL, &ambiguous, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 11, 1, 13, 0))); // 08:00 EST
    let evening = Draft::call(utc(2026, 11, 2, 1, 59)); // 20:59 EST
    assert_allowed(&decide(FEDERAL, &evening, &[], &Flags::default()));
    let late = Draft::call(utc(2026, 11, 2, 2, 0)); // 21:00 EST
    let decision = decide(FEDERAL, &late, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 11, 2, 13, 0)));

    let chicago = Draft::call(utc(2026, 11, 1, 6, 30)).in_zones(&[CHICAGO]); // 01:30 CDT
    let decision = decide(FEDERAL, &chicago, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 11, 1, 14, 0))); // 08:00 CST
    let second = chicago.at(utc(2026, 11, 1, 7, 30)); // 01:30 CST, the second one
    let decision = decide(FEDERAL, &second, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(utc(2026, 11, 1, 14, 0)));
}

#[test]
fn unknown_or_missing_time_zones_are_blocked_not_guessed() {
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0)).in_zones(&["Mars/Olympus_Mons"]);
    let decision = decide(FEDERAL, &draft, &[], &Flags::default());
    assert_blocked(&decision, RULE_TIME_ZONE_UNKNOWN, None);
    assert!(decision.reason.contains("Mars/Olympus_Mons"), "{}", decision.reason);
    let decision =
        decide(FEDERAL, &draft.clone().in_zones(&[NY, "Not/AZone"]), &[], &Flags::default());
    assert_blocked(&decision, RULE_TIME_ZONE_UNKNOWN, None);
    let decision = decide(FEDERAL, &draft.in_zones(&[]), &[], &Flags::default());
    assert_blocked(&decision, RULE_TIME_ZONE_UNKNOWN, None);
}

#[test]
fn proposals_that_cannot_be_checked_are_blocked() {
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    let decision = decide(FEDERAL, &draft.clone().about(&[]), &[], &Flags::default());
    assert_blocked(&decision, RULE_PROPOSAL_INVALID, None);
    let many: Vec<String> = (0..=DEBTS_MAX).map(|index| format!("D{index}")).collect();
    let too_many = Draft { debts: many, ..draft.clone() };
    assert_blocked(
        &decide(FEDERAL, &too_many, &[], &Flags::default()),
        RULE_PROPOSAL_INVALID,
        None,
    );
    let zones = [NY; TIME_ZONES_MAX + 1];
    let decision = decide(FEDERAL, &draft.clone().in_zones(&zones), &[], &Flags::default());
    assert_blocked(&decision, RULE_PROPOSAL_INVALID, None);
    let far = draft.at(utc(3500, 1, 1, 12, 0));
    assert_blocked(&decide(FEDERAL, &far, &[], &Flags::default()), RULE_PROPOSAL_INVALID, None);
}

// ---------------------------------------------------------------------------------------------
// Holidays and weekly windows (these need holidays.rs)
// ---------------------------------------------------------------------------------------------

#[test]
fn colombia_blocks_a_holiday_moved_to_monday() {
    // Epiphany (6 January 2026, a Tuesday) moves to Monday 12 January under Ley 51 de 1983.
    let draft = Draft::call(local(BOGOTA, 2026, 1, 12, 10, 0)).in_zones(&[BOGOTA]);
    let decision = decide(&["co", "core"], &draft, &[], &Flags::default());
    assert_blocked(&decision, "co.hours", Some(local(BOGOTA, 2026, 1, 13, 7, 0)));
    assert!(decision.reason.contains("holiday"), "{}", decision.reason);
    // The Tuesday itself is an ordinary day.
    let tuesday = draft.at(local(BOGOTA, 2026, 1, 6, 10, 0));
    assert_allowed(&decide(&["co", "core"], &tuesday, &[], &Flags::default()));
}

#[test]
fn colombia_allows_weekdays_and_saturday_mornings_only() {
    let co = &["co", "core"][..];
    let draft = Draft::call(local(BOGOTA, 2026, 2, 3, 18, 59)).in_zones(&[BOGOTA]);
    assert_allowed(&decide(co, &draft, &[], &Flags::default()));
    let evening = draft.clone().at(local(BOGOTA, 2026, 2, 3, 19, 0));
    let decision = decide(co, &evening, &[], &Flags::default());
    assert_blocked(&decision, "co.hours", Some(local(BOGOTA, 2026, 2, 4, 7, 0)));
    let saturday = draft.clone().at(local(BOGOTA, 2026, 2, 7, 14, 59));
    assert_allowed(&decide(co, &saturday, &[], &Flags::default()));
    let saturday_afternoon = draft.clone().at(local(BOGOTA, 2026, 2, 7, 15, 0));
    let decision = decide(co, &saturday_afternoon, &[], &Flags::default());
    assert_blocked(&decision, "co.hours", Some(local(BOGOTA, 2026, 2, 9, 7, 0)));
    let sunday = draft.at(local(BOGOTA, 2026, 2, 8, 10, 0));
    let decision = decide(co, &sunday, &[], &Flags::default());
    assert_blocked(&decision, "co.hours", Some(local(BOGOTA, 2026, 2, 9, 7, 0)));
}

#[test]
fn chile_peru_and_spain_block_their_national_holidays() {
    // Chile: 18 and 19 September 2026 (Friday, Saturday), then Sunday.
    let chile = Draft::call(local(SANTIAGO, 2026, 9, 18, 10, 0)).in_zones(&[SANTIAGO]);
    let decision = decide(&["cl", "core"], &chile, &[], &Flags::default());
    assert_blocked(&decision, "cl.hours", Some(local(SANTIAGO, 2026, 9, 21, 8, 0)));
    // Peru: 28 and 29 July 2026 (Tuesday, Wednesday).
    let peru = Draft::call(local(LIMA, 2026, 7, 28, 10, 0)).in_zones(&[LIMA]);
    let decision = decide(&["pe", "core"], &peru, &[], &Flags::default());
    assert_blocked(&decision, "pe.hours", Some(local(LIMA, 2026, 7, 30, 7, 0)));
    // Spain: 12 October 2026 (Monday).
    let spain = Draft::call(local(MADRID, 2026, 10, 12, 10, 0)).in_zones(&[MADRID]);
    let decision = decide(&["es", "core"], &spain, &[], &Flags::default());
    assert_blocked(&decision, "es.hours", Some(local(MADRID, 2026, 10, 13, 9, 0)));
}

#[test]
fn peru_and_chile_weekends() {
    let saturday = Draft::call(local(LIMA, 2026, 2, 7, 10, 0)).in_zones(&[LIMA]);
    let decision = decide(&["pe", "core"], &saturday, &[], &Flags::default());
    assert_blocked(&decision, "pe.hours", Some(local(LIMA, 2026, 2, 9, 7, 0)));
    let saturday = Draft::call(local(SANTIAGO, 2026, 2, 7, 10, 0)).in_zones(&[SANTIAGO]);
    assert_allowed(&decide(&["cl", "core"], &saturday, &[], &Flags::default()));
    let sunday = saturday.at(local(SANTIAGO, 2026, 2, 8, 10, 0));
    let decision = decide(&["cl", "core"], &sunday, &[], &Flags::default());
    assert_blocked(&decision, "cl.hours", Some(local(SANTIAGO, 2026, 2, 9, 8, 0)));
}

#[test]
fn us_federal_does_not_close_on_holidays() {
    // Friday 3 July 2026, the observed Independence Day.
    let draft = Draft::call(local(NY, 2026, 7, 3, 10, 0));
    assert_allowed(&decide(FEDERAL, &draft, &[], &Flags::default()));
}

#[test]
fn mexico_hours_and_third_parties() {
    let mx = &["mx", "core"][..];
    let draft = Draft::call(local(MEXICO_CITY, 2026, 2, 8, 7, 0)).in_zones(&[MEXICO_CITY]);
    assert_allowed(&decide(mx, &draft, &[], &Flags::default()));
    let late = draft.clone().at(local(MEXICO_CITY, 2026, 2, 8, 22, 0));
    let decision = decide(mx, &late, &[], &Flags::default());
    assert_blocked(&decision, "mx.hours", Some(local(MEXICO_CITY, 2026, 2, 9, 7, 0)));
    let reference = draft.to(Recipient::ThirdParty);
    assert_blocked(&decide(mx, &reference, &[], &Flags::default()), "mx.third-parties", None);
}

// ---------------------------------------------------------------------------------------------
// Other jurisdictions' caps
// ---------------------------------------------------------------------------------------------

#[test]
fn colombia_once_contact_is_made_no_other_contact_that_day() {
    let co = &["co", "core"][..];
    let monday = |hour| local(BOGOTA, 2026, 2, 2, hour, 0);
    let draft = Draft::call(monday(15)).in_zones(&[BOGOTA]);
    // An unanswered attempt does not start the limit.
    let attempt = vec![call_at(monday(9), Outcome::NoAnswer)];
    assert_allowed(&decide(co, &draft, &attempt, &Flags::default()));
    let contact = vec![call_at(monday(9), Outcome::Conversation)];
    let decision = decide(co, &draft, &contact, &Flags::default());
    assert_blocked(&decision, "co.one-contact-per-day", Some(local(BOGOTA, 2026, 2, 3, 7, 0)));
    // Another channel the same week is blocked until the next Monday.
    let email =
        draft.clone().at(local(BOGOTA, 2026, 2, 4, 10, 0)).via(ChannelGroup::Email, "a@b.co");
    let decision = decide(co, &email, &contact, &Flags::default());
    assert_blocked(&decision, "co.one-channel-per-week", Some(local(BOGOTA, 2026, 2, 9, 7, 0)));
    // The same channel on another day is fine.
    let call = draft.at(local(BOGOTA, 2026, 2, 4, 10, 0));
    assert_allowed(&decide(co, &call, &contact, &Flags::default()));
}

#[test]
fn colombia_needs_authorised_channels_and_forbids_visits_and_references() {
    let co = &["co", "core"][..];
    let draft = Draft::call(local(BOGOTA, 2026, 2, 3, 10, 0)).in_zones(&[BOGOTA]);
    let unauthorised = Draft { address_consent: false, ..draft.clone() };
    assert_blocked(
        &decide(co, &unauthorised, &[], &Flags::default()),
        "co.authorized-channels",
        None,
    );
    let visit = draft.clone().via(ChannelGroup::Visit, "Calle 1 # 2-3");
    assert_blocked(&decide(co, &visit, &[], &Flags::default()), "co.no-visits", None);
    let reference = draft.to(Recipient::ThirdParty);
    assert_blocked(&decide(co, &reference, &[], &Flags::default()), "co.no-references", None);
}

#[test]
fn chile_caps_calls_weekly_and_spaces_other_media() {
    let cl = &["cl", "core"][..];
    let monday = local(SANTIAGO, 2026, 2, 2, 10, 0);
    let draft = Draft::call(local(SANTIAGO, 2026, 2, 5, 10, 0)).in_zones(&[SANTIAGO]);
    let decision = decide(cl, &draft, &[call_at(monday, Outcome::NoAnswer)], &Flags::default());
    assert_blocked(&decision, "cl.calls-visits-weekly", Some(local(SANTIAGO, 2026, 2, 9, 8, 0)));
    let email = |at| sent_at(at, ChannelGroup::Email, Outcome::Delivered);
    let history = vec![email(monday)];
    let tuesday = draft
        .clone()
        .at(local(SANTIAGO, 2026, 2, 3, 10, 0))
        .via(ChannelGroup::Text, "+56 9 1234 5678");
    let decision = decide(cl, &tuesday, &history, &Flags::default());
    assert_blocked(&decision, "cl.other-media-gap", Some(local(SANTIAGO, 2026, 2, 4, 8, 0)));
    let wednesday = tuesday.clone().at(local(SANTIAGO, 2026, 2, 4, 10, 0));
    assert_allowed(&decide(cl, &wednesday, &history, &Flags::default()));
    let history = vec![email(monday), email(local(SANTIAGO, 2026, 2, 4, 10, 0))];
    let friday = tuesday.at(local(SANTIAGO, 2026, 2, 6, 10, 0));
    let decision = decide(cl, &friday, &history, &Flags::default());
    assert_blocked(&decision, "cl.other-media-weekly", Some(local(SANTIAGO, 2026, 2, 9, 8, 0)));
}

#[test]
fn spain_caps_contacts_by_convention_and_requires_forbearance_before_suit() {
    let es = &["es", "core"][..];
    let draft = Draft::call(local(MADRID, 2026, 2, 5, 10, 0)).in_zones(&[MADRID]);
    let history: Vec<HistoryEntry> = (2..=4)
        .map(|day| call_at(local(MADRID, 2026, 2, day, 10, 0), Outcome::Voicemail))
        .collect();
    let decision = decide(es, &draft, &history, &Flags::default());
    assert_blocked(&decision, "es.contacts-per-week", Some(local(MADRID, 2026, 2, 9, 9, 0)));
    let suit = draft.clone().doing(ActionKind::Suit);
    assert_blocked(
        &decide(es, &suit, &[], &Flags::default()),
        "es.forbearance-before-enforcement",
        None,
    );
    let assessed = Flags { forbearance_assessed: true, ..Flags::default() };
    assert_allowed(&decide(es, &suit, &[], &assessed));
}

// ---------------------------------------------------------------------------------------------
// Strictest wins
// ---------------------------------------------------------------------------------------------

#[test]
fn massachusetts_is_stricter_than_regulation_f() {
    let both = &["us-federal", "us-ma", "core"][..];
    let history = vec![
        call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::NoAnswer),
        call_at(local(NY, 2026, 2, 3, 10, 0), Outcome::Voicemail),
    ];
    let wednesday = Draft::call(local(NY, 2026, 2, 4, 10, 0));
    assert_allowed(&decide(FEDERAL, &wednesday, &history, &Flags::default()));
    let decision = decide(both, &wednesday, &history, &Flags::default());
    assert_blocked(&decision, "us-ma.calls-personal-7d", Some(local(NY, 2026, 2, 9, 8, 0)));
    // Texts count towards the two.
    let mixed = vec![
        call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::NoAnswer),
        sent_at(local(NY, 2026, 2, 3, 10, 0), ChannelGroup::Text, Outcome::Delivered),
    ];
    let decision = decide(both, &wednesday, &mixed, &Flags::default());
    assert_blocked(&decision, "us-ma.calls-personal-7d", Some(local(NY, 2026, 2, 9, 8, 0)));
    // A work number has its own counter: 2 per 30 days.
    let work = wednesday.clone().kind(ContactPointKind::Work);
    assert_allowed(&decide(both, &work, &history, &Flags::default()));
    let work_calls: Vec<HistoryEntry> = [2, 3]
        .into_iter()
        .map(|day| HistoryEntry {
            address_kind: ContactPointKind::Work,
            ..call_at(local(NY, 2026, 2, day, 10, 0), Outcome::NoAnswer)
        })
        .collect();
    let decision = decide(both, &work, &work_calls, &Flags::default());
    assert_blocked(&decision, "us-ma.calls-other-30d", Some(local(NY, 2026, 3, 4, 8, 0)));
    // The hours of both packs agree; a blocked call names the federal rule first.
    let early = wednesday.at(local(NY, 2026, 2, 4, 7, 0));
    let decision = decide(both, &early, &[], &Flags::default());
    assert_blocked(&decision, "us-federal.hours", Some(local(NY, 2026, 2, 4, 8, 0)));
    assert_eq!(decision.also_blocked_by, ["us-ma.hours"]);
}

#[test]
fn new_york_city_caps_all_channels_at_three_in_seven_days() {
    let nyc = &["us-federal", "us-nyc", "core"][..];
    let history = vec![
        call_at(local(NY, 2026, 2, 2, 10, 0), Outcome::NotConnected),
        sent_at(local(NY, 2026, 2, 3, 10, 0), ChannelGroup::Email, Outcome::Delivered),
        sent_at(local(NY, 2026, 2, 4, 10, 0), ChannelGroup::Letter, Outcome::Delivered),
    ];
    let thursday = Draft::call(local(NY, 2026, 2, 5, 10, 0));
    let decision = decide(nyc, &thursday, &history, &Flags::default());
    assert_blocked(&decision, "us-nyc.contacts-3-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
    let text = Draft { address_consent: false, ..thursday.via(ChannelGroup::Text, "+12125550100") };
    let decision = decide(nyc, &text, &[], &Flags::default());
    assert_blocked(&decision, "us-nyc.electronic-consent", None);
}

#[test]
fn the_latest_of_several_blocks_sets_the_next_instant() {
    // Seven calls, Wednesday's a conversation: on Sunday night the cap, the hours and the
    // cool-down all block; the cool-down ends last, on Wednesday 11 February.
    let mut history = seven_calls_in_seven_days();
    history[2].outcome = Outcome::Conversation;
    let draft = Draft::call(local(NY, 2026, 2, 8, 22, 0));
    let decision = decide(FEDERAL, &draft, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 11, 8, 0)));
    assert_eq!(
        decision.also_blocked_by,
        ["us-federal.call-after-conversation", "us-federal.hours"]
    );
}

#[test]
fn pending_actions_later_than_the_proposal_count_too() {
    // Calls on 2, 3, 4, 6, 7 and 8 Feb and one pending on 9 Feb: a call on 5 Feb makes 7 in
    // 2 to 8 Feb and 7 in 3 to 9 Feb, never 8 in 7 consecutive days: allowed.
    let mut history = seven_calls_in_seven_days();
    history.remove(3);
    history.push(call_at(local(NY, 2026, 2, 9, 10, 0), Outcome::Voicemail));
    let draft = Draft::call(local(NY, 2026, 2, 5, 12, 0));
    assert_allowed(&decide(FEDERAL, &draft, &history, &Flags::default()));
    // A second call on 2 Feb: 2 to 8 Feb already holds 7, so a call on 5 Feb would be the
    // eighth; so would one on 6, 7 or 8 Feb. On 9 Feb the runs that hold it (3 to 9 Feb and
    // later) hold at most 6, the pending call included.
    history.push(call_at(local(NY, 2026, 2, 2, 15, 0), Outcome::NoAnswer));
    let decision = decide(FEDERAL, &draft, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 9, 8, 0)));
}

#[test]
fn only_runs_of_seven_days_that_hold_the_proposal_count() {
    // 12 CFR 1006.14(b)(2)(i)(A) counts 7 consecutive days: four calls on 2 to 5 Feb and
    // three pending on 11 to 13 Feb are never more than 5 in a run of 7 days with a call on
    // 8 Feb, although all seven are less than 7 days from it.
    let history: Vec<HistoryEntry> = [2, 3, 4, 5, 11, 12, 13]
        .into_iter()
        .map(|day| call_at(local(NY, 2026, 2, day, 10, 0), Outcome::Voicemail))
        .collect();
    let draft = Draft::call(local(NY, 2026, 2, 8, 12, 0));
    assert_allowed(&decide(FEDERAL, &draft, &history, &Flags::default()));
    // Pending calls only: seven on 9 to 15 Feb fill every run that holds 9 Feb and later, so
    // a call on 8 Feb (run 8 to 14 Feb: 6 of them) is allowed, one on 9 Feb is not, and the
    // next allowed day is 16 Feb.
    let pending: Vec<HistoryEntry> =
        (9..=15).map(|day| call_at(local(NY, 2026, 2, day, 10, 0), Outcome::Voicemail)).collect();
    assert_allowed(&decide(FEDERAL, &draft, &pending, &Flags::default()));
    let ninth = Draft::call(local(NY, 2026, 2, 9, 12, 0));
    let decision = decide(FEDERAL, &ninth, &pending, &Flags::default());
    assert_blocked(&decision, "us-federal.call-7-in-7", Some(local(NY, 2026, 2, 16, 8, 0)));
}

// ---------------------------------------------------------------------------------------------
// Sticky blocks, opt-outs, addresses
// ---------------------------------------------------------------------------------------------

#[test]
fn cease_blocks_all_but_termination_and_remedy_notices() {
    let flags = Flags { cease: true, ..Flags::default() };
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    let decision = decide(FEDERAL, &draft, &[], &flags);
    assert_blocked(&decision, "us-federal.cease", None);
    assert_eq!(decision.also_blocked_by, ["core.cease"]);
    let threat = draft.clone().doing(ActionKind::SuitThreat);
    assert_blocked(&decide(FEDERAL, &threat, &[], &flags), "us-federal.cease", None);
    let notice =
        draft.via(ChannelGroup::Letter, "1 Main St").doing(ActionKind::TerminationOrRemedyNotice);
    assert_allowed(&decide(FEDERAL, &notice, &[], &flags));
}

#[test]
fn attorney_representation_sends_everything_to_the_attorney() {
    let flags = Flags { attorney: true, ..Flags::default() };
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    assert_blocked(&decide(FEDERAL, &draft, &[], &flags), "us-federal.attorney", None);
    let third_party = draft.clone().to(Recipient::ThirdParty);
    assert_blocked(&decide(FEDERAL, &third_party, &[], &flags), "us-federal.attorney", None);
    let attorney = draft.to(Recipient::ExemptParty);
    assert_allowed(&decide(FEDERAL, &attorney, &[], &flags));
}

#[test]
fn a_dispute_holds_contact_suit_and_credit_reporting() {
    let flags = Flags { dispute: true, ..Flags::default() };
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    for action in [ActionKind::Contact, ActionKind::Suit, ActionKind::CreditReport] {
        let decision = decide(FEDERAL, &draft.clone().doing(action), &[], &flags);
        assert_blocked(&decision, "us-federal.dispute", None);
    }
    let es = decide(
        &["es", "core"],
        &draft.in_zones(&[MADRID]).doing(ActionKind::CreditReport),
        &[],
        &flags,
    );
    assert_blocked(&es, "es.credit-report-disputed", None);
}

#[test]
fn no_remedy_notice_while_collection_is_stopped() {
    // A notice that a remedy may or will be invoked is collection: 12 CFR 1006.38(d)(2)
    // stops it until verification, a bankruptcy stay stops every act to collect, and Chile's
    // art. 37 stops extrajudicial collection once the consumer is served or insolvent. Under
    // a cease request alone it stays allowed (FDCPA 1692c(c)(2)-(3)).
    let notice = Draft::call(local(NY, 2026, 2, 3, 12, 0))
        .via(ChannelGroup::Letter, "1 Main St")
        .doing(ActionKind::TerminationOrRemedyNotice);
    let disputed = Flags { dispute: true, ..Flags::default() };
    let decision = decide(FEDERAL, &notice, &[], &disputed);
    assert_blocked(&decision, "us-federal.dispute", None);
    assert_eq!(decision.also_blocked_by, ["core.dispute"]);
    let bankrupt = Flags { bankruptcy: true, ..Flags::default() };
    assert_blocked(&decide(FEDERAL, &notice, &[], &bankrupt), "core.bankruptcy", None);
    let chile = notice.clone().in_zones(&[SANTIAGO]).at(local(SANTIAGO, 2026, 2, 3, 12, 0));
    let served = Flags { litigation_served: true, ..Flags::default() };
    assert_blocked(&decide(&["cl", "core"], &chile, &[], &served), "cl.litigation-served", None);
    assert_blocked(&decide(&["cl", "core"], &chile, &[], &bankrupt), "cl.insolvency", None);
    let cease = Flags { cease: true, ..Flags::default() };
    assert_allowed(&decide(FEDERAL, &notice, &[], &cease));
}

#[test]
fn bankruptcy_and_death_block_through_the_core_pack() {
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    let bankrupt = Flags { bankruptcy: true, ..Flags::default() };
    assert_blocked(&decide(FEDERAL, &draft, &[], &bankrupt), "core.bankruptcy", None);
    let report = draft.clone().doing(ActionKind::CreditReport);
    let spoke = vec![call_at(local(NY, 2026, 1, 5, 12, 0), Outcome::Conversation)];
    assert_blocked(&decide(FEDERAL, &report, &spoke, &bankrupt), "core.bankruptcy", None);
    let deceased = Flags { deceased: true, ..Flags::default() };
    assert_blocked(&decide(FEDERAL, &draft, &[], &deceased), "core.deceased", None);
    // Sticky flags hold whatever the jurisdiction.
    let anywhere =
        packs_for(&Jurisdiction { country: "BR".to_owned(), region: None }, Creditor::FirstParty);
    let decision = evaluate(&anywhere, &draft.proposal(), &[], &deceased);
    assert_blocked(&decision, "core.deceased", None);
}

#[test]
fn opt_outs_apply_per_address_and_per_channel() {
    let flags = Flags {
        opted_out_addresses: vec!["+12125550100".to_owned(), "Jane.Doe@Example.com".to_owned()],
        ..Flags::default()
    };
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    let text = draft.clone().via(ChannelGroup::Text, "+1 (212) 555-0100");
    assert_blocked(&decide(FEDERAL, &text, &[], &flags), "us-federal.opt-out", None);
    let other_number = draft.clone().via(ChannelGroup::Text, "+1 (212) 555-0101");
    assert_allowed(&decide(FEDERAL, &other_number, &[], &flags));
    let email = draft.clone().via(ChannelGroup::Email, " jane.doe@example.COM ");
    assert_blocked(&decide(FEDERAL, &email, &[], &flags), "us-federal.opt-out", None);
    let medium = Flags { opted_out_channels: vec![ChannelGroup::Call], ..Flags::default() };
    assert_blocked(&decide(FEDERAL, &draft, &[], &medium), "us-federal.opt-out", None);
    assert_allowed(&decide(FEDERAL, &email, &[], &medium));
}

#[test]
fn a_third_party_or_an_attorney_who_opted_out_is_not_contacted_there() {
    // 12 CFR 1006.14(h)(1) protects any "person" who asked that a medium not be used, not
    // only the consumer: a neighbour who asked not to be called, an attorney who asked for
    // no e-mail. The flags given with a proposal are those of its person.
    let neighbour = Draft::call(local(NY, 2026, 2, 3, 12, 0)).to(Recipient::ThirdParty);
    let objected =
        Flags { opted_out_addresses: vec!["+12125550100".to_owned()], ..Flags::default() };
    let decision = decide(FEDERAL, &neighbour, &[], &objected);
    assert_blocked(&decision, "us-federal.opt-out", None);
    assert_eq!(decision.also_blocked_by, ["core.opt-out"]);
    let madrid = neighbour.clone().in_zones(&[MADRID]).at(local(MADRID, 2026, 2, 3, 12, 0));
    assert_blocked(&decide(&["es", "core"], &madrid, &[], &objected), "core.opt-out", None);
    let attorney = Draft::call(local(NY, 2026, 2, 3, 12, 0))
        .to(Recipient::ExemptParty)
        .via(ChannelGroup::Email, "counsel@example.com");
    let no_email = Flags { opted_out_channels: vec![ChannelGroup::Email], ..Flags::default() };
    assert_blocked(&decide(FEDERAL, &attorney, &[], &no_email), "us-federal.opt-out", None);
    assert_allowed(&decide(FEDERAL, &attorney, &[], &objected));
}

#[test]
fn no_email_to_an_employer_address_and_no_work_contact_when_prohibited() {
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    let employer = draft
        .clone()
        .via(ChannelGroup::Email, "jane@employer.example")
        .kind(ContactPointKind::EmployerProvided);
    assert_blocked(
        &decide(FEDERAL, &employer, &[], &Flags::default()),
        "us-federal.employer-email",
        None,
    );
    let personal = employer.clone().kind(ContactPointKind::Personal);
    assert_allowed(&decide(FEDERAL, &personal, &[], &Flags::default()));
    let work_call = draft.kind(ContactPointKind::Work);
    assert_allowed(&decide(FEDERAL, &work_call, &[], &Flags::default()));
    let prohibited = Flags { work_contact_prohibited: true, ..Flags::default() };
    assert_blocked(&decide(FEDERAL, &work_call, &[], &prohibited), "us-federal.workplace", None);
}

#[test]
fn time_barred_debts_are_not_sued_on_nor_threatened() {
    let flags = Flags { time_barred: true, ..Flags::default() };
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    for action in [ActionKind::Suit, ActionKind::SuitThreat] {
        let decision = decide(FEDERAL, &draft.clone().doing(action), &[], &flags);
        assert_blocked(&decision, "us-federal.time-barred", None);
    }
    assert_allowed(&decide(FEDERAL, &draft, &[], &flags));
}

#[test]
fn a_third_party_is_contacted_for_location_once() {
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0)).to(Recipient::ThirdParty);
    let neighbour = draft.clone().proposal().person;
    let earlier = HistoryEntry {
        person: neighbour,
        recipient: Recipient::ThirdParty,
        ..call_at(local(NY, 2026, 1, 10, 12, 0), Outcome::Conversation)
    };
    assert_allowed(&decide(FEDERAL, &draft, &[], &Flags::default()));
    assert_blocked(
        &decide(FEDERAL, &draft, &[earlier], &Flags::default()),
        "us-federal.location-once",
        None,
    );
}

#[test]
fn suit_threats_and_remedy_notices_never_go_to_third_parties() {
    // FDCPA 1692b(2), 1692c(b): a third party may be contacted to locate the consumer, never
    // told of the debt; a suit threat or a remedy notice can only tell of it. Chile forbids
    // communications that reveal the delinquency to third parties; `core` holds everywhere.
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0)).to(Recipient::ThirdParty);
    assert_allowed(&decide(FEDERAL, &draft, &[], &Flags::default()));
    for action in [ActionKind::SuitThreat, ActionKind::TerminationOrRemedyNotice] {
        let disclosure = draft.clone().doing(action);
        let decision = decide(FEDERAL, &disclosure, &[], &Flags::default());
        assert_blocked(&decision, "us-federal.third-party-disclosure", None);
        assert_eq!(decision.also_blocked_by, ["core.third-party-disclosure"]);
        let chile = disclosure.clone().in_zones(&[SANTIAGO]).at(local(SANTIAGO, 2026, 2, 3, 12, 0));
        let decision = decide(&["cl", "core"], &chile, &[], &Flags::default());
        assert_blocked(&decision, "core.third-party-disclosure", None);
        let decision = decide(&["baseline", "core"], &disclosure, &[], &Flags::default());
        assert_blocked(&decision, "core.third-party-disclosure", None);
        // The consumer's attorney is not a third party.
        let attorney = disclosure.to(Recipient::ExemptParty);
        assert_allowed(&decide(FEDERAL, &attorney, &[], &Flags::default()));
    }
}

// ---------------------------------------------------------------------------------------------
// Credit reporting
// ---------------------------------------------------------------------------------------------

#[test]
fn credit_reporting_needs_a_conversation_or_a_notice_and_fourteen_days() {
    let report = Draft::call(local(NY, 2026, 2, 10, 3, 0)).doing(ActionKind::CreditReport);
    let rule = "us-federal.credit-report-precondition";
    assert_blocked(&decide(FEDERAL, &report, &[], &Flags::default()), rule, None);
    let letter_at = local(NY, 2026, 2, 7, 12, 0);
    let letter = vec![sent_at(letter_at, ChannelGroup::Letter, Outcome::Delivered)];
    let decision = decide(FEDERAL, &report, &letter, &Flags::default());
    // Not a communication: the hours do not apply, the 14 days are exact.
    assert_blocked(&decision, rule, Some(letter_at + TimeDelta::days(14)));
    let bounced = vec![sent_at(letter_at, ChannelGroup::Email, Outcome::Bounced)];
    assert_blocked(&decide(FEDERAL, &report, &bounced, &Flags::default()), rule, None);
    let conversation = vec![call_at(local(NY, 2026, 2, 9, 12, 0), Outcome::Conversation)];
    assert_allowed(&decide(FEDERAL, &report, &conversation, &Flags::default()));
    // Every debt of the report needs its own notice.
    let two = report.about(&["A", "B"]);
    assert_blocked(&decide(FEDERAL, &two, &conversation, &Flags::default()), rule, None);
}

#[test]
fn a_notice_that_reached_someone_else_does_not_allow_credit_reporting() {
    // 12 CFR 1006.30(a)(1)(ii): the message must be sent to the consumer, and the collector
    // waits for a sign that it was undeliverable. A text answered by a wrong party is such a
    // sign: the consumer did not get it.
    let report = Draft::call(local(NY, 2026, 3, 10, 12, 0)).doing(ActionKind::CreditReport);
    let rule = "us-federal.credit-report-precondition";
    let text_at = local(NY, 2026, 2, 7, 12, 0);
    let wrong = vec![sent_at(text_at, ChannelGroup::Text, Outcome::WrongParty)];
    assert_blocked(&decide(FEDERAL, &report, &wrong, &Flags::default()), rule, None);
    let delivered = vec![sent_at(text_at, ChannelGroup::Text, Outcome::Delivered)];
    assert_allowed(&decide(FEDERAL, &report, &delivered, &Flags::default()));
}

#[test]
fn a_later_conversation_allows_credit_reporting_from_its_instant() {
    // A text sent now must wait 14 days, but a conversation an hour later is enough on its
    // own (12 CFR 1006.30(a)(1)(i)): the next allowed instant is the conversation's.
    let report = Draft::call(local(NY, 2026, 2, 7, 12, 0)).doing(ActionKind::CreditReport);
    let talk_at = local(NY, 2026, 2, 7, 13, 0);
    let history = vec![
        sent_at(local(NY, 2026, 2, 7, 12, 0), ChannelGroup::Text, Outcome::Delivered),
        call_at(talk_at, Outcome::Conversation),
    ];
    let decision = decide(FEDERAL, &report, &history, &Flags::default());
    assert_blocked(&decision, "us-federal.credit-report-precondition", Some(talk_at));
}

#[test]
fn colombia_reports_twenty_days_after_a_written_notice() {
    let co = &["co", "core"][..];
    let report = Draft::call(local(BOGOTA, 2026, 2, 10, 12, 0))
        .in_zones(&[BOGOTA])
        .doing(ActionKind::CreditReport);
    let conversation = vec![call_at(local(BOGOTA, 2026, 2, 9, 12, 0), Outcome::Conversation)];
    assert_blocked(
        &decide(co, &report, &conversation, &Flags::default()),
        "co.credit-report-notice",
        None,
    );
    let sent = local(BOGOTA, 2026, 2, 1, 12, 0);
    let letter = vec![sent_at(sent, ChannelGroup::Letter, Outcome::Delivered)];
    let decision = decide(co, &report, &letter, &Flags::default());
    assert_blocked(&decision, "co.credit-report-notice", Some(sent + TimeDelta::days(20)));
}

// ---------------------------------------------------------------------------------------------
// Pack files
// ---------------------------------------------------------------------------------------------

/// The pack header: lines 1 to 3 of every text built by `pack_text`.
const HEAD: [&str; 3] = ["id = \"acme\"", "name = \"Acme\"", "citation = \"House rules\""];

/// A pack text: `HEAD`, then `body`, one entry per line, so `body[i]` is line `4 + i`.
fn pack_text(body: &[&str]) -> String {
    let mut lines: Vec<&str> = HEAD.to_vec();
    lines.extend_from_slice(body);
    lines.join("\n") + "\n"
}

const RULE_HEAD: [&str; 6] = [
    "[[rule]]",
    "id = \"acme.cap\"",
    "kind = \"frequency_cap\"",
    "status = \"CONVENTION\"",
    "citation = \"House rule 1\"",
    "summary = \"At most 2 a day\"",
];

/// A frequency-cap rule: `RULE_HEAD` (lines 4 to 9), then `rest` from line 10.
fn cap_text(rest: &[&str]) -> String {
    let mut body: Vec<&str> = RULE_HEAD.to_vec();
    body.extend_from_slice(rest);
    pack_text(&body)
}

fn check_error(text: &str, line: usize, field: &str) -> PackErrorReason {
    let error = match Pack::from_toml(text, "t.toml") {
        Ok(pack) => panic!("expected an error at line {line}, field {field}, got {pack:?}"),
        Err(error) => error,
    };
    assert_eq!(error.file, "t.toml", "{error}");
    assert_eq!((error.line, error.field.as_str()), (line, field), "{error}");
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("t.toml:{line}: {field}: ")), "{shown}");
    error.reason
}

const CAP_OK: [&str; 4] =
    ["scope = \"person\"", "window_days = 1", "max = 2", "counts = \"attempts\""];

#[test]
fn a_custom_pack_loads_and_applies() {
    let pack = Pack::from_toml(&cap_text(&CAP_OK), "t.toml").unwrap();
    assert_eq!(pack.id(), "acme");
    assert_eq!(pack.rules().len(), 1);
    let rule = &pack.rules()[0];
    assert_eq!(rule.actions, ActionKind::COMMUNICATIONS);
    assert_eq!(rule.channels, ChannelGroup::ALL);
    let history = vec![
        call_at(local(NY, 2026, 2, 3, 9, 0), Outcome::NotConnected),
        sent_at(local(NY, 2026, 2, 3, 10, 0), ChannelGroup::Email, Outcome::Bounced),
    ];
    let draft = Draft::call(local(NY, 2026, 2, 3, 12, 0));
    let decision = evaluate(&[pack], &draft.proposal(), &history, &Flags::default());
    assert_blocked(&decision, "acme.cap", Some(local(NY, 2026, 2, 4, 0, 0)));
}

#[test]
fn pack_errors_name_file_line_and_field() {
    let reason = check_error(
        &cap_text(&["scope = \"person\"", "window_days = 1", "max = 0", "counts = \"attempts\""]),
        12,
        "rule[0].max",
    );
    assert_eq!(reason, PackErrorReason::OutOfRange { value: 0, min: 1, max: 10_000 });
    let reason = check_error(
        &cap_text(&["scope = \"person\"", "max = 2", "counts = \"attempts\""]),
        6,
        "rule[0].window_days",
    );
    assert_eq!(reason, PackErrorReason::Missing { kind: "frequency_cap" });
    let reason = check_error(
        &cap_text(&[CAP_OK[0], CAP_OK[1], CAP_OK[2], CAP_OK[3], "days = 3"]),
        14,
        "rule[0].days",
    );
    assert_eq!(reason, PackErrorReason::NotApplicable { kind: "frequency_cap" });
    let reason = check_error(
        &cap_text(&[CAP_OK[0], CAP_OK[1], CAP_OK[2], CAP_OK[3], "colour = 3"]),
        14,
        "rule[0].colour",
    );
    assert!(matches!(reason, PackErrorReason::Schema { .. }), "{reason:?}");
    let reason = check_error(
        &cap_text(&["scope = \"household\"", CAP_OK[1], CAP_OK[2], CAP_OK[3]]),
        10,
        "rule[0].scope",
    );
    assert!(matches!(reason, PackErrorReason::Schema { .. }), "{reason:?}");
    let reason = check_error(
        &cap_text(&[CAP_OK[0], CAP_OK[1], CAP_OK[2], CAP_OK[3], "channels = [\"call\", \"call\"]"]),
        14,
        "rule[0].channels[1]",
    );
    assert_eq!(reason, PackErrorReason::Duplicate { name: "call".to_owned(), first_line: 14 });
    let reason = check_error(&pack_text(&["[[rule]]", "id = \"acme.x\""]), 4, "rule[0].kind");
    assert!(matches!(reason, PackErrorReason::Schema { .. }), "{reason:?}");
    let reason = check_error(&pack_text(&["scope = \"unterminated"]), 4, "scope");
    assert!(matches!(reason, PackErrorReason::Syntax { .. }), "{reason:?}");
    let mut extends = vec!["extends = \"atlantis\""];
    extends.extend_from_slice(&RULE_HEAD);
    extends.extend_from_slice(&CAP_OK);
    let reason = check_error(&pack_text(&extends), 4, "extends");
    assert_eq!(
        reason,
        PackErrorReason::Unknown { what: "built-in pack", name: "atlantis".to_owned() }
    );
    let reason = check_error(
        &cap_text(&[CAP_OK[0], CAP_OK[1], CAP_OK[2], CAP_OK[3], "note = \"\""]),
        14,
        "rule[0].note",
    );
    assert_eq!(reason, PackErrorReason::Empty);
}

#[test]
fn rule_ids_windows_and_duplicates_are_checked() {
    let mut body: Vec<&str> = RULE_HEAD.to_vec();
    body[1] = "id = \"other.cap\"";
    body.extend_from_slice(&CAP_OK);
    let reason = check_error(&pack_text(&body), 5, "rule[0].id");
    assert!(matches!(reason, PackErrorReason::InvalidId { .. }), "{reason:?}");
    let mut twice: Vec<&str> = RULE_HEAD.to_vec();
    twice.extend_from_slice(&CAP_OK);
    twice.extend_from_slice(&RULE_HEAD);
    twice.extend_from_slice(&CAP_OK);
    let reason = check_error(&pack_text(&twice), 15, "rule[1].id");
    assert_eq!(reason, PackErrorReason::Duplicate { name: "acme.cap".to_owned(), first_line: 5 });
    let hours = pack_text(&[
        "[[rule]]",
        "id = \"acme.hours\"",
        "kind = \"hours\"",
        "status = \"V2\"",
        "citation = \"x\"",
        "summary = \"y\"",
        "mon = \"21:00-08:00\"",
    ]);
    let reason = check_error(&hours, 10, "rule[0].mon");
    assert_eq!(reason, PackErrorReason::InvalidWindow { text: "21:00-08:00".to_owned() });
    let closed = hours.replace("mon = \"21:00-08:00\"\n", "");
    let reason = check_error(&closed, 6, "rule[0].kind");
    assert!(matches!(reason, PackErrorReason::Constraint { .. }), "{reason:?}");
    let reason = check_error(&pack_text(&[]), 1, "rule");
    assert_eq!(reason, PackErrorReason::Empty);
}

#[test]
fn an_override_extends_a_builtin_pack() {
    let text = "\
id = \"co\"
name = \"Colombia, as our counsel reads it\"
citation = \"Ley 2300 de 2023\"
extends = \"co\"
remove = [\"co.no-visits\"]

[[rule]]
id = \"co.one-contact-per-day\"
kind = \"frequency_cap\"
status = \"V2\"
citation = \"Ley 2300 de 2023, art. 3\"
summary = \"At most one attempt per day\"
scope = \"person\"
window_days = 1
max = 1
counts = \"attempts\"
";
    let pack = Pack::from_toml(text, "co-override.toml").unwrap();
    let builtin = Pack::builtin("co").unwrap();
    assert_eq!(pack.rules().len(), builtin.rules().len() - 1);
    assert!(pack.rules().iter().all(|rule| rule.id != "co.no-visits"));
    let position =
        |pack: &Pack| pack.rules().iter().position(|rule| rule.id == "co.one-contact-per-day");
    assert!(position(&pack).is_some());
    let draft = Draft::call(local(BOGOTA, 2026, 2, 2, 15, 0)).in_zones(&[BOGOTA]);
    let attempt = vec![call_at(local(BOGOTA, 2026, 2, 2, 9, 0), Outcome::NoAnswer)];
    let decision =
        evaluate(std::slice::from_ref(&pack), &draft.proposal(), &attempt, &Flags::default());
    assert_blocked(&decision, "co.one-contact-per-day", Some(local(BOGOTA, 2026, 2, 3, 7, 0)));
    let visit = draft.via(ChannelGroup::Visit, "Calle 1");
    assert_allowed(&evaluate(&[pack], &visit.proposal(), &[], &Flags::default()));
    let unknown = text.replace("[\"co.no-visits\"]", "[\"co.nothing\"]");
    let reason = check_error_named(&unknown, "co-override.toml", 5, "remove[0]");
    assert_eq!(
        reason,
        PackErrorReason::Unknown { what: "inherited rule", name: "co.nothing".to_owned() }
    );
}

fn check_error_named(text: &str, file: &str, line: usize, field: &str) -> PackErrorReason {
    let error = Pack::from_toml(text, file).unwrap_err();
    assert_eq!(
        (error.file.as_str(), error.line, error.field.as_str()),
        (file, line, field),
        "{error}"
    );
    error.reason
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const ZONES: [&str; 8] = [NY, CHICAGO, LA, BOGOTA, SANTIAGO, LIMA, MADRID, MEXICO_CITY];
const OUTCOMES: [Outcome; 5] = [
    Outcome::NotConnected,
    Outcome::NoAnswer,
    Outcome::Voicemail,
    Outcome::WrongParty,
    Outcome::Conversation,
];
const DEBT_SETS: [&[&str]; 3] = [&["A"], &["B"], &["A", "B"]];

/// Checks the Regulation F presumptions on a history built from allowed calls: no 7
/// consecutive local days hold more than 7 counted calls per debt, and no outbound call
/// follows a conversation about one of its debts within the conversation's 7 days.
fn check_regulation_f(history: &[HistoryEntry], zone: Tz) -> Result<(), TestCaseError> {
    let date = |entry: &HistoryEntry| local_date(entry.at, zone);
    for debt in ["A", "B"] {
        let counted: Vec<NaiveDate> = history
            .iter()
            .filter(|entry| {
                entry.direction == Direction::Outbound
                    && entry.outcome != Outcome::NotConnected
                    && entry.debts.iter().any(|known| known == debt)
            })
            .map(date)
            .collect();
        for first in &counted {
            let in_window = counted
                .iter()
                .filter(|other| (0..7).contains(&(**other - *first).num_days()))
                .count();
            prop_assert!(in_window <= 7, "{in_window} calls about {debt} from {first}");
        }
    }
    for (index, conversation) in history.iter().enumerate() {
        if conversation.outcome != Outcome::Conversation {
            continue;
        }
        for call in &history[index + 1..] {
            let shared = call.debts.iter().any(|debt| conversation.debts.contains(debt));
            if call.direction == Direction::Outbound && shared {
                let apart = (date(call) - date(conversation)).num_days();
                prop_assert!(7 <= apart, "a call {apart} days after a conversation");
            }
        }
    }
    for entry in history.iter().filter(|entry| entry.direction == Direction::Outbound) {
        let hour = entry.at.with_timezone(&zone).hour();
        prop_assert!((8..21).contains(&hour), "a call at {hour}:00");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn allowed_calls_never_break_the_regulation_f_presumptions(
        zone_index in 0usize..3,
        steps in proptest::collection::vec(
            (0i64..2_000, 0usize..3, 0usize..5, proptest::bool::weighted(0.1)),
            1..60,
        ),
    ) {
        let zone_name = ZONES[zone_index];
        let zone: Tz = zone_name.parse().unwrap();
        let packs = packs(FEDERAL);
        let zones = vec![zone_name.to_owned()];
        let flags = Flags::default();
        let mut history: Vec<HistoryEntry> = Vec::new();
        // Around the spring-forward change of 8 March 2026.
        let mut at = utc(2026, 3, 1, 12, 0);
        for (gap_minutes, debt_set, outcome, inbound_conversation) in steps {
            at += TimeDelta::minutes(gap_minutes);
            let debts: Vec<String> =
                DEBT_SETS[debt_set].iter().map(|debt| (*debt).to_owned()).collect();
            let draft = Draft { debts: debts.clone(), zones: zones.clone(), ..Draft::call(at) };
            let mut decision = evaluate(&packs, &draft.proposal(), &history, &flags);
            if !decision.allowed {
                let Some(next) = decision.next_allowed_at else {
                    prop_assert!(false, "no next instant for a plain call: {decision:?}");
                    return Ok(());
                };
                prop_assert!(at < next);
                at = next;
                decision = evaluate(&packs, &draft.clone().at(at).proposal(), &history, &flags);
                prop_assert!(decision.allowed, "not allowed at its next instant: {decision:?}");
            }
            history.push(HistoryEntry { debts: debts.clone(), ..call_at(at, OUTCOMES[outcome]) });
            if inbound_conversation {
                history.push(HistoryEntry {
                    debts,
                    direction: Direction::Inbound,
                    ..call_at(at, Outcome::Conversation)
                });
            }
        }
        check_regulation_f(&history, zone)?;
    }

    #[test]
    fn next_allowed_at_is_later_and_allowed(
        pack_mask in 1u32..(1 << 10),
        zone_picks in proptest::collection::vec(0usize..ZONES.len(), 1..4),
        at_minutes in 0i64..(60 * 24 * 365),
        entries in proptest::collection::vec(
            (
                -(60i64 * 24 * 20)..(60 * 24 * 5),
                0usize..5,
                0usize..7,
                0usize..3,
                any::<bool>(),
                0usize..3,
            ),
            0..25,
        ),
        action in 0usize..5,
        channel in 0usize..5,
        recipient in 0usize..3,
        address_kind in 0usize..3,
        consent_hours_before in proptest::option::of(-48i64..400),
    ) {
        let ids = Pack::builtin_ids();
        let chosen: Vec<&str> = ids
            .iter()
            .enumerate()
            .filter(|(index, _)| pack_mask & (1 << index) != 0)
            .map(|(_, id)| *id)
            .collect();
        let packs = packs(&chosen);
        let at = utc(2026, 1, 1, 0, 0) + TimeDelta::minutes(at_minutes);
        let kinds = [
            ContactPointKind::Personal,
            ContactPointKind::Work,
            ContactPointKind::EmployerProvided,
        ];
        let outcomes = [
            Outcome::NotConnected, Outcome::NoAnswer, Outcome::Voicemail, Outcome::WrongParty,
            Outcome::Conversation, Outcome::Delivered, Outcome::Bounced,
        ];
        let history: Vec<HistoryEntry> = entries
            .iter()
            .map(|(offset, channel, outcome, debt_set, inbound, kind)| HistoryEntry {
                at: at + TimeDelta::minutes(*offset),
                person: 1,
                debts: DEBT_SETS[*debt_set].iter().map(|debt| (*debt).to_owned()).collect(),
                channel: ChannelGroup::ALL[*channel],
                recipient: Recipient::Consumer,
                address_kind: kinds[*kind],
                direction: if *inbound { Direction::Inbound } else { Direction::Outbound },
                consented: false,
                outcome: outcomes[*outcome],
            })
            .collect();
        let zones: Vec<&str> = zone_picks.iter().map(|index| ZONES[*index]).collect();
        let draft = Draft {
            action: ActionKind::ALL[action],
            channel: ChannelGroup::ALL[channel],
            recipient: Recipient::ALL[recipient],
            address_kind: kinds[address_kind],
            ..Draft::call(at).in_zones(&zones)
        };
        let flags = Flags {
            call_consent_given_at: consent_hours_before.map(|hours| at - TimeDelta::hours(hours)),
            ..Flags::default()
        };
        let decision = evaluate(&packs, &draft.proposal(), &history, &flags);
        if decision.allowed {
            prop_assert_eq!(decision.next_allowed_at, Some(at));
        } else if let Some(next) = decision.next_allowed_at {
            prop_assert!(at < next && next <= at + TimeDelta::days(HORIZON_DAYS), "{:?}", decision);
            let again = evaluate(&packs, &draft.clone().at(next).proposal(), &history, &flags);
            prop_assert!(again.allowed, "blocked at next: {:?} then {:?}", decision, again);
            // The earliest such instant: a second before it, the proposal is still blocked.
            let before = next - TimeDelta::seconds(1);
            let early = evaluate(&packs, &draft.clone().at(before).proposal(), &history, &flags);
            prop_assert!(!early.allowed, "allowed before next: {:?} at {}", decision, before);
        }
    }

    #[test]
    fn no_input_makes_the_evaluator_panic(
        at_seconds in proptest::num::i64::ANY,
        entry_seconds in proptest::collection::vec(proptest::num::i64::ANY, 0..5),
        zones in proptest::collection::vec("[A-Za-z_/+-]{0,24}", 0..4),
        debts in proptest::collection::vec(".{0,8}", 0..3),
        address in proptest::option::of(".{0,16}"),
        use_real_zone in any::<bool>(),
    ) {
        let Some(at) = DateTime::<Utc>::from_timestamp(at_seconds % 10_000_000_000_000, 0) else {
            return Ok(());
        };
        let mut zones = zones;
        if use_real_zone {
            zones.push(NY.to_owned());
        }
        let history: Vec<HistoryEntry> = entry_seconds
            .iter()
            .filter_map(|seconds| DateTime::<Utc>::from_timestamp(seconds % 10_000_000_000_000, 0))
            .map(|entry_at| call_at(entry_at, Outcome::Conversation))
            .collect();
        let draft = Draft { debts, zones, address, ..Draft::call(at) };
        let flags = Flags {
            opted_out_addresses: vec![String::new(), "+".to_owned()],
            call_consent_given_at: Some(at),
            ..Flags::default()
        };
        let all: Vec<Pack> = Pack::builtin_ids().into_iter().filter_map(Pack::builtin).collect();
        let decision = evaluate(&all, &draft.proposal(), &history, &flags);
        prop_assert!(decision.allowed || decision.rule.is_some());
    }
}

/// The packs a debtor can get, each with `core`.
const PACK_SETS: [&[&str]; 9] = [
    &["us-federal", "core"],
    &["us-federal", "us-ma", "core"],
    &["us-federal", "us-nyc", "core"],
    &["baseline", "core"],
    &["co", "core"],
    &["mx", "core"],
    &["cl", "core"],
    &["pe", "core"],
    &["es", "core"],
];

/// Zones for the schedule proptest: the packs' own, and zones with odd clocks (Chile's
/// change at midnight, Lord Howe's half hour, Hawaii without DST).
const SCHEDULE_ZONES: [&str; 6] =
    [NY, BOGOTA, SANTIAGO, MEXICO_CITY, "Australia/Lord_Howe", "Pacific/Honolulu"];

/// Checks a schedule built from allowed contacts against a model of every hours, frequency,
/// cool-down and channels-per-week rule of `packs`, in every zone: no contact outside a
/// window or on a holiday, no run of `window_days` local days with more than `max` counted
/// contacts, no call within a cool-down, no week with more channel groups than allowed.
fn check_schedule(
    packs: &[Pack],
    history: &[HistoryEntry],
    zones: &[Tz],
) -> Result<(), TestCaseError> {
    let rules: Vec<&Rule> = packs.iter().flat_map(|pack| pack.rules()).collect();
    let outbound: Vec<&HistoryEntry> =
        history.iter().filter(|entry| entry.direction == Direction::Outbound).collect();
    let matches = |rule: &Rule, entry: &HistoryEntry| {
        rule.actions.contains(&ActionKind::Contact)
            && rule.channels.contains(&entry.channel)
            && rule.recipients.contains(&entry.recipient)
            && rule.address_kinds.contains(&entry.address_kind)
    };
    for zone in zones {
        let date = |entry: &HistoryEntry| local_date(entry.at, *zone);
        for rule in &rules {
            match &rule.kind {
                RuleKind::Hours { open, holidays } => {
                    for entry in outbound.iter().filter(|entry| matches(rule, entry)) {
                        let local = entry.at.with_timezone(zone);
                        let day = local.date_naive();
                        let window = open[day.weekday().num_days_from_monday() as usize];
                        let inside = window.is_some_and(|window| {
                            window.open <= local.time() && local.time() < window.close
                        });
                        let holiday =
                            holidays.is_some_and(|calendar| holidays::is_holiday(calendar, day));
                        prop_assert!(inside && !holiday, "{} at {local}", rule.id);
                    }
                }
                RuleKind::FrequencyCap { scope, window_days, max, counts, .. } => {
                    let groups: Vec<Option<&str>> = match scope {
                        Scope::Person => vec![None],
                        Scope::PersonDebt => vec![Some("A"), Some("B")],
                    };
                    for group in groups {
                        let dates: Vec<NaiveDate> = outbound
                            .iter()
                            .filter(|entry| matches(rule, entry) && counts.counts(entry.outcome))
                            .filter(|entry| {
                                group.is_none_or(|debt| {
                                    entry.debts.iter().any(|known| known == debt)
                                })
                            })
                            .map(|entry| date(entry))
                            .collect();
                        for first in &dates {
                            let held = dates
                                .iter()
                                .filter(|other| {
                                    (0..i64::from(*window_days))
                                        .contains(&(**other - *first).num_days())
                                })
                                .count();
                            prop_assert!(
                                held <= *max as usize,
                                "{}: {held} from {first} in {zone}",
                                rule.id
                            );
                        }
                    }
                }
                RuleKind::Cooldown { trigger_channels, days, .. } => {
                    for (index, talk) in history.iter().enumerate() {
                        if talk.outcome != Outcome::Conversation
                            || !trigger_channels.contains(&talk.channel)
                        {
                            continue;
                        }
                        // The contacts placed after it (the history is in order).
                        for later in history[index + 1..].iter().filter(|entry| {
                            entry.direction == Direction::Outbound
                                && matches(rule, entry)
                                && entry.debts.iter().any(|debt| talk.debts.contains(debt))
                        }) {
                            let apart = (date(later) - date(talk)).num_days();
                            prop_assert!(i64::from(*days) <= apart, "{}: {apart} days", rule.id);
                        }
                    }
                }
                RuleKind::ChannelsPerWeek { max, counts } => {
                    let counted: Vec<&&HistoryEntry> = outbound
                        .iter()
                        .filter(|entry| matches(rule, entry) && counts.counts(entry.outcome))
                        .collect();
                    for entry in &counted {
                        let week = week_start(date(entry));
                        let mut used: Vec<ChannelGroup> = counted
                            .iter()
                            .filter(|other| week_start(date(other)) == week)
                            .map(|other| other.channel)
                            .collect();
                        used.sort_unstable();
                        used.dedup();
                        prop_assert!(used.len() <= *max as usize, "{}: {used:?}", rule.id);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the pack set and the candidate zones, contacts made only when allowed (or
    /// at their next allowed instant) never break an hours, frequency, cool-down or
    /// channels-per-week rule, in any zone.
    #[test]
    fn scheduled_contacts_never_break_any_pack(
        pack_set in 0usize..PACK_SETS.len(),
        zone_picks in proptest::collection::vec(0usize..SCHEDULE_ZONES.len(), 1..3),
        start_minutes in 0i64..(60 * 24 * 365),
        steps in proptest::collection::vec(
            (0i64..3_000, 0usize..5, 0usize..7, 0usize..3, 0usize..2, proptest::bool::weighted(0.1)),
            1..40,
        ),
    ) {
        let packs = packs(PACK_SETS[pack_set]);
        let names: Vec<&str> = zone_picks.iter().map(|index| SCHEDULE_ZONES[*index]).collect();
        let zones: Vec<Tz> = names.iter().map(|name| name.parse().unwrap()).collect();
        let outcomes = [
            Outcome::NotConnected, Outcome::NoAnswer, Outcome::Voicemail, Outcome::WrongParty,
            Outcome::Conversation, Outcome::Delivered, Outcome::Bounced,
        ];
        let kinds = [ContactPointKind::Personal, ContactPointKind::Work];
        let flags = Flags::default();
        let mut history: Vec<HistoryEntry> = Vec::new();
        let mut at = utc(2026, 1, 1, 0, 0) + TimeDelta::minutes(start_minutes);
        for (gap_minutes, channel, outcome, debt_set, kind, inbound_conversation) in steps {
            at += TimeDelta::minutes(gap_minutes);
            let debts: Vec<String> =
                DEBT_SETS[debt_set].iter().map(|debt| (*debt).to_owned()).collect();
            let draft = Draft {
                debts: debts.clone(),
                channel: ChannelGroup::ALL[channel],
                address_kind: kinds[kind],
                ..Draft::call(at).in_zones(&names)
            };
            let decision = evaluate(&packs, &draft.proposal(), &history, &flags);
            if !decision.allowed {
                let Some(next) = decision.next_allowed_at else { continue };
                prop_assert!(at < next);
                at = next;
                let again = evaluate(&packs, &draft.clone().at(at).proposal(), &history, &flags);
                prop_assert!(again.allowed, "not allowed at its next instant: {again:?}");
            }
            history.push(HistoryEntry {
                debts: debts.clone(),
                channel: draft.channel,
                address_kind: draft.address_kind,
                ..call_at(at, outcomes[outcome])
            });
            if inbound_conversation {
                history.push(HistoryEntry {
                    debts,
                    direction: Direction::Inbound,
                    ..call_at(at, Outcome::Conversation)
                });
            }
        }
        check_schedule(&packs, &history, &zones)?;
    }
}
