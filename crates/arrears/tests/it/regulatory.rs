//! Regulatory boundary cases: for each parameter of the research notes
//! (`../shared/reference/compliance.md`), the guardrails allow exactly what the rule allows
//! and refuse, under the rule's id, what it refuses, at the edges of its numbers (the 7th
//! and 8th call, 07:59 and 08:00, the last day of a cool-down, the days of a DST change, a
//! Sunday, a holiday). The packs are those `packs_for` gives the debtor's jurisdiction, so a
//! wrong pack mapping fails here too; a few cases go through `Arrears` (commands, the inputs
//! the engine assembles, the cycle with a plugged-in strategy).

use std::sync::Arc;

use arrears::case::ContactOutcome;
use arrears::compliance::{
    evaluate, packs_for, ActionKind, ChannelGroup, Decision, Direction, Flags, HistoryEntry,
    Outcome as Heard, Pack, Proposal, Recipient,
};
use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction, Terms,
};
use arrears::policy::Creditor;
use arrears::{CallConsent, Command, NewDebtor, Outcome, RestrictionChanges};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::guardrails::{aggressive_policy, Rogue};
use crate::support::*;

pub(crate) const PERSON: u64 = 7;
pub(crate) const CHICAGO: &str = "America/Chicago";
pub(crate) const NEW_YORK: &str = "America/New_York";
const LOS_ANGELES: &str = "America/Los_Angeles";
pub(crate) const BOGOTA: &str = "America/Bogota";
pub(crate) const MEXICO_CITY: &str = "America/Mexico_City";
const TIJUANA: &str = "America/Tijuana";
pub(crate) const SANTIAGO: &str = "America/Santiago";
pub(crate) const LIMA: &str = "America/Lima";
pub(crate) const MADRID: &str = "Europe/Madrid";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The instant of a local wall-clock time in `zone` (the first one, if repeated).
pub(crate) fn local(zone: &str, date: (i32, u32, u32), hour: u32, minute: u32) -> DateTime<Utc> {
    let zone: Tz = zone.parse().unwrap();
    zone.with_ymd_and_hms(date.0, date.1, date.2, hour, minute, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

pub(crate) fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

pub(crate) fn packs(country: &str, region: Option<&str>, creditor: Creditor) -> Vec<Pack> {
    let jurisdiction =
        Jurisdiction { country: country.into(), region: region.map(ToOwned::to_owned) };
    packs_for(&jurisdiction, creditor)
}

pub(crate) fn us() -> Vec<Pack> {
    packs("US", Some("TX"), Creditor::ThirdParty)
}

fn pack_ids(packs: &[Pack]) -> Vec<&str> {
    packs.iter().map(Pack::id).collect()
}

/// One proposal, built up and evaluated.
#[derive(Clone)]
pub(crate) struct Ask {
    debts: Vec<String>,
    action: ActionKind,
    channel: ChannelGroup,
    recipient: Recipient,
    address: Option<String>,
    address_kind: ContactPointKind,
    address_consent: bool,
    person: u64,
    zones: Vec<String>,
}

pub(crate) fn ask(channel: ChannelGroup, zone: &str) -> Ask {
    Ask {
        debts: vec!["debt-a".to_owned()],
        action: ActionKind::Contact,
        channel,
        recipient: Recipient::Consumer,
        address: Some(match channel {
            ChannelGroup::Email => "rae@example.com".to_owned(),
            _ => "+15125550100".to_owned(),
        }),
        address_kind: ContactPointKind::Personal,
        address_consent: true,
        person: PERSON,
        zones: vec![zone.to_owned()],
    }
}

pub(crate) fn call(zone: &str) -> Ask {
    ask(ChannelGroup::Call, zone)
}

impl Ask {
    pub(crate) fn debts(mut self, debts: &[&str]) -> Ask {
        self.debts = debts.iter().map(|debt| (*debt).to_owned()).collect();
        self
    }

    pub(crate) fn action(mut self, action: ActionKind) -> Ask {
        self.action = action;
        self
    }

    pub(crate) fn to(mut self, recipient: Recipient) -> Ask {
        self.recipient = recipient;
        self
    }

    /// The person the proposal reaches (a third party is a person of its own).
    pub(crate) fn person(mut self, person: u64) -> Ask {
        self.person = person;
        self
    }

    pub(crate) fn address(mut self, address: &str, kind: ContactPointKind) -> Ask {
        self.address = Some(address.to_owned());
        self.address_kind = kind;
        self
    }

    pub(crate) fn consent(mut self, consent: bool) -> Ask {
        self.address_consent = consent;
        self
    }

    pub(crate) fn zones(mut self, zones: &[&str]) -> Ask {
        self.zones = zones.iter().map(|zone| (*zone).to_owned()).collect();
        self
    }

    pub(crate) fn at(
        &self,
        packs: &[Pack],
        at: DateTime<Utc>,
        history: &[HistoryEntry],
        flags: &Flags,
    ) -> Decision {
        let proposal = Proposal {
            person: self.person,
            debts: &self.debts,
            action: self.action,
            channel: self.channel,
            recipient: self.recipient,
            address: self.address.as_deref(),
            address_kind: self.address_kind,
            address_consent: self.address_consent,
            at,
            time_zones: &self.zones,
        };
        evaluate(packs, &proposal, history, flags)
    }
}

/// A past outbound communication with the person about `debt-a`.
pub(crate) fn sent(channel: ChannelGroup, at: DateTime<Utc>, outcome: Heard) -> HistoryEntry {
    HistoryEntry {
        at,
        person: PERSON,
        debts: vec!["debt-a".to_owned()],
        channel,
        recipient: Recipient::Consumer,
        address_kind: ContactPointKind::Personal,
        direction: Direction::Outbound,
        consented: false,
        outcome,
    }
}

pub(crate) fn placed(at: DateTime<Utc>, outcome: Heard) -> HistoryEntry {
    sent(ChannelGroup::Call, at, outcome)
}

fn about(mut entry: HistoryEntry, debts: &[&str]) -> HistoryEntry {
    entry.debts = debts.iter().map(|debt| (*debt).to_owned()).collect();
    entry
}

#[track_caller]
pub(crate) fn assert_allowed(decision: &Decision) {
    assert!(decision.allowed, "expected allowed: {decision:?}");
}

#[track_caller]
pub(crate) fn assert_refused(decision: &Decision, rule: &str) {
    assert!(!decision.allowed, "expected refused by {rule}: {decision:?}");
    assert_eq!(decision.rule.as_deref(), Some(rule), "{decision:?}");
}

#[track_caller]
pub(crate) fn assert_refused_until(decision: &Decision, rule: &str, next: DateTime<Utc>) {
    assert_refused(decision, rule);
    assert_eq!(decision.next_allowed_at, Some(next), "{decision:?}");
}

pub(crate) fn none() -> Flags {
    Flags::default()
}

/// Seven connected calls about `debt-a`, at 10:00 Chicago time on 2 to 8 Feb 2026 (Monday to
/// Sunday).
fn seven_calls() -> Vec<HistoryEntry> {
    (2..=8).map(|day| placed(local(CHICAGO, (2026, 2, day), 10, 0), Heard::NoAnswer)).collect()
}

// ---------------------------------------------------------------------------------------------
// Which packs apply
// ---------------------------------------------------------------------------------------------

/// FDCPA 15 U.S.C. 1692a(6) and Regulation F cover third-party debt collectors, generally not
/// original creditors (compliance.md section 1, Scope); Massachusetts (940 CMR 7.00) and New
/// York City (DCWP) cover creditors too; California's Rosenthal Act (Civ. Code 1788.17)
/// makes creditors comply with the FDCPA; the Latin American and Spanish packs apply to
/// whoever collects; `core` always comes last.
#[test]
fn packs_for_each_debtor_jurisdiction_and_creditor_kind() {
    let third = Creditor::ThirdParty;
    let first = Creditor::FirstParty;
    assert_eq!(pack_ids(&packs("US", Some("TX"), third)), ["us-federal", "core"]);
    assert_eq!(pack_ids(&packs("US", None, first)), ["baseline", "core"]);
    assert_eq!(pack_ids(&packs("US", Some("CA"), first)), ["us-federal", "core"]);
    assert_eq!(pack_ids(&packs("US", Some("MA"), third)), ["us-federal", "us-ma", "core"]);
    assert_eq!(pack_ids(&packs("US", Some("US-MA"), first)), ["us-ma", "baseline", "core"]);
    assert_eq!(pack_ids(&packs("us", Some("nyc"), third)), ["us-federal", "us-nyc", "core"]);
    assert_eq!(pack_ids(&packs("US", Some("NYC"), first)), ["us-nyc", "baseline", "core"]);
    for (country, pack) in [("CO", "co"), ("MX", "mx"), ("CL", "cl"), ("PE", "pe"), ("ES", "es")] {
        assert_eq!(pack_ids(&packs(country, None, third)), [pack, "core"]);
        assert_eq!(pack_ids(&packs(country, None, first)), [pack, "core"]);
    }
    assert_eq!(pack_ids(&packs("BR", None, third)), ["baseline", "core"]);
}

// ---------------------------------------------------------------------------------------------
// United States: Regulation F call frequency
// ---------------------------------------------------------------------------------------------

/// 12 CFR 1006.14(b)(2)(i)(A): more than 7 calls to a person about a debt within 7
/// consecutive days is presumed to violate the rule; 7 are presumed to comply. The 7th call
/// is allowed, the 8th refused until the oldest call leaves the window.
#[test]
fn reg_f_1006_14_b_2_i_a_seventh_call_allowed_eighth_refused() {
    let packs = us();
    let history = seven_calls();
    let sunday = local(CHICAGO, (2026, 2, 8), 15, 0);
    assert_allowed(&call(CHICAGO).at(&packs, sunday, &history[..6], &none()));
    let decision = call(CHICAGO).at(&packs, sunday, &history, &none());
    // The call of Monday 2 Feb leaves the window on Monday 9 Feb, at 08:00 (the hours).
    assert_refused_until(&decision, "us-federal.call-7-in-7", local(CHICAGO, (2026, 2, 9), 8, 0));
    assert!(decision.reason.contains("1006.14(b)(2)(i)(A)"), "{}", decision.reason);
    assert_allowed(&call(CHICAGO).at(
        &packs,
        local(CHICAGO, (2026, 2, 9), 8, 0),
        &history,
        &none(),
    ));
}

/// 12 CFR 1006.14(b)(2)(i)(A): the 7 consecutive days are the debtor's local days (docs:
/// "7 consecutive local dates"). Seven calls from 20:30 Pacific on Monday 2 Feb (already
/// Tuesday in UTC) leave the window at local midnight on Monday 9 Feb, not a UTC day later.
#[test]
fn reg_f_1006_14_b_2_i_a_window_rolls_in_the_debtors_local_days() {
    let packs = us();
    let history: Vec<HistoryEntry> = (2..=8)
        .map(|day| placed(local(LOS_ANGELES, (2026, 2, day), 20, 30), Heard::Voicemail))
        .collect();
    let monday = local(LOS_ANGELES, (2026, 2, 9), 8, 0);
    assert_eq!(monday, utc("2026-02-09T16:00:00Z"));
    assert_eq!(history[0].at, utc("2026-02-03T04:30:00Z"));
    assert_allowed(&call(LOS_ANGELES).at(&packs, monday, &history, &none()));
    assert_refused(
        &call(LOS_ANGELES).at(&packs, local(LOS_ANGELES, (2026, 2, 8), 20, 45), &history, &none()),
        "us-federal.call-7-in-7",
    );
}

/// 12 CFR 1006.14(b)(2)(i)(A) across the spring-forward change (New York, 8 Mar 2026): the
/// 7 consecutive days are local dates, whatever their length; the call of Monday 2 Mar
/// leaves the window at the start of Monday 9 Mar.
#[test]
fn reg_f_1006_14_b_2_i_a_window_across_a_dst_change() {
    let packs = us();
    let history: Vec<HistoryEntry> = (2..=8)
        .map(|day| placed(local(NEW_YORK, (2026, 3, day), 10, 0), Heard::NoAnswer))
        .collect();
    assert_refused_until(
        &call(NEW_YORK).at(&packs, local(NEW_YORK, (2026, 3, 8), 20, 59), &history, &none()),
        "us-federal.call-7-in-7",
        local(NEW_YORK, (2026, 3, 9), 8, 0),
    );
    assert_allowed(&call(NEW_YORK).at(
        &packs,
        local(NEW_YORK, (2026, 3, 9), 8, 0),
        &history,
        &none(),
    ));
}

/// 12 CFR 1006.14(b)(2)(i)(B): the conversation's day is the debtor's local date. A
/// conversation at 23:30 Pacific on Monday 2 Feb (Tuesday in UTC) blocks through Sunday 8
/// Feb local; Monday 9 Feb at 08:00 Pacific is allowed.
#[test]
fn reg_f_1006_14_b_2_i_b_conversation_day_is_the_debtors_local_date() {
    let packs = us();
    let late = local(LOS_ANGELES, (2026, 2, 2), 23, 30);
    assert_eq!(late, utc("2026-02-03T07:30:00Z"));
    let history = [placed(late, Heard::Conversation)];
    let monday = local(LOS_ANGELES, (2026, 2, 9), 8, 0);
    assert_refused_until(
        &call(LOS_ANGELES).at(&packs, local(LOS_ANGELES, (2026, 2, 8), 20, 0), &history, &none()),
        "us-federal.call-after-conversation",
        monday,
    );
    assert_allowed(&call(LOS_ANGELES).at(&packs, monday, &history, &none()));
}

/// 12 CFR 1006.14(b)(3)(ii) and comment 14(b)(3)(ii)-1: calls not connected to the dialled
/// number (busy, not in service) do not count; calls that ring unanswered or reach voicemail
/// are connected and count.
#[test]
fn reg_f_1006_14_b_3_ii_unconnected_calls_do_not_count_unanswered_ones_do() {
    let packs = us();
    let sunday = local(CHICAGO, (2026, 2, 8), 15, 0);
    let mut history = seven_calls();
    history[0].outcome = Heard::NotConnected;
    assert_allowed(&call(CHICAGO).at(&packs, sunday, &history, &none()));
    history[0].outcome = Heard::NoAnswer;
    history[1].outcome = Heard::Voicemail;
    assert_refused(&call(CHICAGO).at(&packs, sunday, &history, &none()), "us-federal.call-7-in-7");
}

/// 12 CFR 1006.14(b)(2) (calls "placed" by the collector; CFPB FAQ, insidearm 27 Jul 2022):
/// calls the consumer makes to the collector do not count toward the 7.
#[test]
fn reg_f_1006_14_b_2_inbound_calls_do_not_count() {
    let packs = us();
    let mut history = seven_calls();
    history[3].direction = Direction::Inbound;
    history[3].outcome = Heard::NoAnswer;
    assert_allowed(&call(CHICAGO).at(
        &packs,
        local(CHICAGO, (2026, 2, 8), 15, 0),
        &history,
        &none(),
    ));
}

/// 12 CFR 1006.14(b)(2) ("a particular person ... a particular debt"): the counters key on
/// the person and the debt, not the number. Calls about another debt, or to another person,
/// have their own counters; a call about two debts is refused if either counter is full.
#[test]
fn reg_f_1006_14_b_2_counters_are_per_person_and_per_debt() {
    let packs = us();
    let history = seven_calls();
    let sunday = local(CHICAGO, (2026, 2, 8), 15, 0);
    assert_allowed(&call(CHICAGO).debts(&["debt-b"]).at(&packs, sunday, &history, &none()));
    assert_refused(
        &call(CHICAGO).debts(&["debt-b", "debt-a"]).at(&packs, sunday, &history, &none()),
        "us-federal.call-7-in-7",
    );
    let mut spouse = call(CHICAGO);
    spouse.person = PERSON + 1;
    assert_allowed(&spouse.at(&packs, sunday, &history, &none()));
    // Seven calls to seven different numbers of the same person count the same: the history
    // names the person, and the proposal's number does not matter.
    let other_number = call(CHICAGO).address("+13125550199", ContactPointKind::Personal);
    assert_refused(&other_number.at(&packs, sunday, &history, &none()), "us-federal.call-7-in-7");
}

/// 12 CFR 1006.14(b)(3)(iii): calls to the consumer's attorney, a consumer reporting agency,
/// the creditor or the collectors' attorneys do not count, and the presumption does not
/// limit them.
#[test]
fn reg_f_1006_14_b_3_iii_calls_to_exempt_parties_are_not_counted_or_capped() {
    let packs = us();
    let sunday = local(CHICAGO, (2026, 2, 8), 15, 0);
    let mut history = seven_calls();
    assert_allowed(&call(CHICAGO).to(Recipient::ExemptParty).at(&packs, sunday, &history, &none()));
    history[0].recipient = Recipient::ExemptParty;
    assert_allowed(&call(CHICAGO).at(&packs, sunday, &history, &none()));
}

/// 12 CFR 1006.14(b)(2)(i)(B) (NAFCU worked example): no call within 7 consecutive days
/// after a telephone conversation about the debt, the conversation's day being day 1. A
/// conversation on Monday blocks calls through Sunday 23:59; Monday 08:00 is allowed.
#[test]
fn reg_f_1006_14_b_2_i_b_no_call_for_seven_days_after_a_conversation() {
    let packs = us();
    let history = [placed(local(CHICAGO, (2026, 2, 2), 10, 0), Heard::Conversation)];
    let later_same_day = local(CHICAGO, (2026, 2, 2), 18, 0);
    let sunday_late = local(CHICAGO, (2026, 2, 8), 20, 59);
    let monday_open = local(CHICAGO, (2026, 2, 9), 8, 0);
    for at in [later_same_day, sunday_late] {
        assert_refused_until(
            &call(CHICAGO).at(&packs, at, &history, &none()),
            "us-federal.call-after-conversation",
            monday_open,
        );
    }
    assert_allowed(&call(CHICAGO).at(&packs, monday_open, &history, &none()));
    // Texts and e-mails are not calls: the cool-down does not reach them.
    assert_allowed(&ask(ChannelGroup::Email, CHICAGO).at(
        &packs,
        later_same_day,
        &history,
        &none(),
    ));
}

/// 12 CFR 1006.14(b)(2)(i)(B) (CFPB FAQ highlights, insidearm 27 Jul 2022): a conversation
/// on a call the consumer made also starts the cool-down.
#[test]
fn reg_f_1006_14_b_2_i_b_an_inbound_conversation_starts_the_cooldown() {
    let packs = us();
    let mut conversation = placed(local(CHICAGO, (2026, 2, 2), 10, 0), Heard::Conversation);
    conversation.direction = Direction::Inbound;
    assert_refused(
        &call(CHICAGO).at(&packs, local(CHICAGO, (2026, 2, 5), 10, 0), &[conversation], &none()),
        "us-federal.call-after-conversation",
    );
}

/// 12 CFR 1006.14(b)(2)(i)(B); CFPB FAQ Presumptions Q6 (comment 14(b)(4)-1.ii): one
/// conversation about several debts starts the cool-down for each debt discussed, and only
/// for those.
#[test]
fn reg_f_1006_14_b_2_i_b_a_conversation_about_several_debts_cools_each_of_them() {
    let packs = us();
    let history = [about(
        placed(local(CHICAGO, (2026, 2, 2), 10, 0), Heard::Conversation),
        &["debt-a", "debt-b"],
    )];
    let at = local(CHICAGO, (2026, 2, 4), 10, 0);
    for debt in ["debt-a", "debt-b"] {
        assert_refused(
            &call(CHICAGO).debts(&[debt]).at(&packs, at, &history, &none()),
            "us-federal.call-after-conversation",
        );
    }
    assert_allowed(&call(CHICAGO).debts(&["debt-c"]).at(&packs, at, &history, &none()));
}

/// 12 CFR 1006.14(b)(3)(i): calls placed with the person's prior consent given directly to
/// the collector, within 7 consecutive days of the consent (its day being day 1), do not
/// count. Seven calls placed before the consent and eight planned from its day 7 on: before
/// the consent is given the 8th call is refused; from its instant to the end of day 7 calls
/// are allowed (without the consent, a call late on day 7 would make 8 in days 7 to 13); on
/// day 8 the consent no longer covers them (8 in days 8 to 14).
#[test]
fn reg_f_1006_14_b_3_i_consent_covers_seven_days_from_the_day_given() {
    let packs = us();
    let given = local(CHICAGO, (2026, 2, 2), 9, 0);
    let flags = Flags { call_consent_given_at: Some(given), ..Flags::default() };
    let before = (27..=31)
        .map(|day| local(CHICAGO, (2026, 1, day), 10, 0))
        .chain([local(CHICAGO, (2026, 2, 1), 10, 0), local(CHICAGO, (2026, 2, 2), 8, 30)]);
    let planned = (8..=15).map(|day| local(CHICAGO, (2026, 2, day), 10, 0));
    let history: Vec<HistoryEntry> =
        before.chain(planned).map(|at| placed(at, Heard::NoAnswer)).collect();
    assert_refused(
        &call(CHICAGO).at(&packs, local(CHICAGO, (2026, 2, 2), 8, 45), &history, &flags),
        "us-federal.call-7-in-7",
    );
    assert_allowed(&call(CHICAGO).at(&packs, given, &history, &flags));
    let day_7 = local(CHICAGO, (2026, 2, 8), 20, 59);
    assert_refused(&call(CHICAGO).at(&packs, day_7, &history, &none()), "us-federal.call-7-in-7");
    assert_allowed(&call(CHICAGO).at(&packs, day_7, &history, &flags));
    let day_8 = local(CHICAGO, (2026, 2, 9), 8, 0);
    assert_refused(&call(CHICAGO).at(&packs, day_8, &history, &flags), "us-federal.call-7-in-7");
}

/// 12 CFR 1006.14(b)(3)(i) with the cool-down of (b)(2)(i)(B): while the consent covers a
/// call, a conversation days before does not block it.
#[test]
fn reg_f_1006_14_b_3_i_consent_lifts_the_conversation_cooldown() {
    let packs = us();
    let history = [placed(local(CHICAGO, (2026, 2, 2), 10, 0), Heard::Conversation)];
    let flags = Flags {
        call_consent_given_at: Some(local(CHICAGO, (2026, 2, 3), 9, 0)),
        ..Flags::default()
    };
    let at = local(CHICAGO, (2026, 2, 3), 8, 30);
    assert_refused(
        &call(CHICAGO).at(&packs, at, &history, &flags),
        "us-federal.call-after-conversation",
    );
    assert_allowed(&call(CHICAGO).at(&packs, local(CHICAGO, (2026, 2, 3), 9, 0), &history, &flags));
}

/// 12 CFR 1006.14(b)(3)(i): the calls placed with consent stay out of the count after the
/// consent lapsed (history entries marked as placed with consent).
#[test]
fn reg_f_1006_14_b_3_i_calls_placed_with_consent_never_count() {
    let packs = us();
    let mut history: Vec<HistoryEntry> = seven_calls();
    for entry in &mut history[..4] {
        entry.consented = true;
    }
    // Three counted calls in the window: the 4th, 5th, 6th and 7th are allowed.
    let sunday = local(CHICAGO, (2026, 2, 8), 15, 0);
    assert_allowed(&call(CHICAGO).at(&packs, sunday, &history, &none()));
}

// ---------------------------------------------------------------------------------------------
// United States: Regulation F and FDCPA, time
// ---------------------------------------------------------------------------------------------

/// FDCPA 1692c(a)(1); 12 CFR 1006.6(b)(1)(i): before 8:00 a.m. and after 9:00 p.m. local
/// time at the consumer's location is inconvenient, encoded as allowed from 08:00 included
/// to 21:00 excluded. 07:59 and 21:00 are refused, 08:00 and 20:59 allowed, every day of the
/// week (Sunday included: no day restriction in the rule).
#[test]
fn fdcpa_1692c_a_1_calls_only_from_08_00_to_before_21_00_local() {
    let packs = us();
    for day in [2, 8] {
        let date = (2026, 2, day);
        assert_refused_until(
            &call(CHICAGO).at(&packs, local(CHICAGO, date, 7, 59), &[], &none()),
            "us-federal.hours",
            local(CHICAGO, date, 8, 0),
        );
        assert_allowed(&call(CHICAGO).at(&packs, local(CHICAGO, date, 8, 0), &[], &none()));
        assert_allowed(&call(CHICAGO).at(&packs, local(CHICAGO, date, 20, 59), &[], &none()));
        let next_day = (2026, 2, day + 1);
        assert_refused_until(
            &call(CHICAGO).at(&packs, local(CHICAGO, date, 21, 0), &[], &none()),
            "us-federal.hours",
            local(CHICAGO, next_day, 8, 0),
        );
    }
}

/// 12 CFR 1006.6(b)(1)(i) ("local time at the consumer's location"; Mondaq: all media): the
/// debtor's zone decides, not the collector's. 08:30 in New York is 05:30 in Los Angeles,
/// refused for a call, a text and an e-mail alike.
#[test]
fn fdcpa_1692c_a_1_hours_are_the_debtors_not_the_collectors_for_every_medium() {
    let packs = us();
    let at = local(NEW_YORK, (2026, 2, 3), 8, 30);
    for channel in [ChannelGroup::Call, ChannelGroup::Text, ChannelGroup::Email] {
        assert_refused_until(
            &ask(channel, LOS_ANGELES).at(&packs, at, &[], &none()),
            "us-federal.hours",
            local(LOS_ANGELES, (2026, 2, 3), 8, 0),
        );
        assert_allowed(&ask(channel, NEW_YORK).at(&packs, at, &[], &none()));
    }
}

/// FDCPA 1692c(a)(1) on the day clocks spring forward (New York, 8 Mar 2026): 08:00 is
/// 08:00 on the wall clock (12:00 UTC, EDT), 07:59 EDT is refused.
#[test]
fn fdcpa_1692c_a_1_spring_forward_day_uses_the_wall_clock() {
    let packs = us();
    assert_refused_until(
        &call(NEW_YORK).at(&packs, utc("2026-03-08T11:59:00Z"), &[], &none()),
        "us-federal.hours",
        utc("2026-03-08T12:00:00Z"),
    );
    assert_allowed(&call(NEW_YORK).at(&packs, utc("2026-03-08T12:00:00Z"), &[], &none()));
    // 20:59 EDT is allowed, 21:00 EDT (01:00 UTC) refused.
    assert_allowed(&call(NEW_YORK).at(&packs, utc("2026-03-09T00:59:00Z"), &[], &none()));
    assert_refused(
        &call(NEW_YORK).at(&packs, utc("2026-03-09T01:00:00Z"), &[], &none()),
        "us-federal.hours",
    );
}

/// FDCPA 1692c(a)(1) on the day clocks fall back (New York, 1 Nov 2026): 08:00 EST is 13:00
/// UTC; 12:59 UTC is 07:59 EST, refused; 21:00 EST is 02:00 UTC the next day.
#[test]
fn fdcpa_1692c_a_1_fall_back_day_uses_the_wall_clock() {
    let packs = us();
    assert_refused_until(
        &call(NEW_YORK).at(&packs, utc("2026-11-01T12:59:00Z"), &[], &none()),
        "us-federal.hours",
        utc("2026-11-01T13:00:00Z"),
    );
    assert_allowed(&call(NEW_YORK).at(&packs, utc("2026-11-01T13:00:00Z"), &[], &none()));
    assert_allowed(&call(NEW_YORK).at(&packs, utc("2026-11-02T01:59:00Z"), &[], &none()));
    assert_refused(
        &call(NEW_YORK).at(&packs, utc("2026-11-02T02:00:00Z"), &[], &none()),
        "us-federal.hours",
    );
}

/// Comment 6(b)(1)(i) (UNVERIFIED, high confidence): with ambiguous location information
/// (an address in one zone, an area code in another), contact only at a time convenient in
/// every candidate location: Los Angeles and New York give 11:00 to 21:00 Eastern.
#[test]
fn reg_f_1006_6_b_1_i_ambiguous_location_is_the_intersection_of_the_zones() {
    let packs = us();
    let both = call(NEW_YORK).zones(&[NEW_YORK, LOS_ANGELES]);
    assert_refused_until(
        &both.at(&packs, local(NEW_YORK, (2026, 2, 3), 10, 59), &[], &none()),
        "us-federal.hours",
        local(NEW_YORK, (2026, 2, 3), 11, 0),
    );
    assert_allowed(&both.at(&packs, local(NEW_YORK, (2026, 2, 3), 11, 0), &[], &none()));
    assert_allowed(&both.at(&packs, local(NEW_YORK, (2026, 2, 3), 20, 59), &[], &none()));
    assert_refused_until(
        &both.at(&packs, local(NEW_YORK, (2026, 2, 3), 21, 0), &[], &none()),
        "us-federal.hours",
        local(NEW_YORK, (2026, 2, 4), 11, 0),
    );
}

/// Comment 6(b)(1)(i) with no location information at all (UNVERIFIED in the notes): the
/// engine's documented reading is the most conservative one, no contact at all until a zone
/// is known, rather than a guessed window (docs/COMPLIANCE.md, "Checks before any pack").
#[test]
fn reg_f_1006_6_b_1_i_unknown_time_zone_allows_no_contact() {
    let packs = us();
    let at = local(CHICAGO, (2026, 2, 3), 14, 0);
    for zones in [&[][..], &["Mars/Olympus_Mons"][..]] {
        let decision = call(CHICAGO).zones(zones).at(&packs, at, &[], &none());
        assert_refused(&decision, "core.time-zone-unknown");
        assert_eq!(decision.next_allowed_at, None);
    }
}

// ---------------------------------------------------------------------------------------------
// United States: cease, disputes, attorneys, opt-outs, workplace, third parties
// ---------------------------------------------------------------------------------------------

/// FDCPA 1692c(c); 12 CFR 1006.6(c): after a written cease request the collector stops
/// communicating, except to say efforts are ending or that a remedy may or will be invoked.
/// A suit is not a communication and stays allowed.
#[test]
fn fdcpa_1692c_c_cease_blocks_communication_except_termination_and_remedy_notices() {
    let packs = us();
    let flags = Flags { cease: true, ..Flags::default() };
    let at = local(CHICAGO, (2026, 2, 3), 14, 0);
    for channel in [ChannelGroup::Call, ChannelGroup::Letter, ChannelGroup::Email] {
        let decision = ask(channel, CHICAGO).at(&packs, at, &[], &flags);
        assert_refused(&decision, "us-federal.cease");
        assert_eq!(decision.next_allowed_at, None);
        assert!(decision.also_blocked_by.contains(&"core.cease".to_owned()), "{decision:?}");
    }
    assert_refused(
        &ask(ChannelGroup::Letter, CHICAGO).action(ActionKind::SuitThreat).at(
            &packs,
            at,
            &[],
            &flags,
        ),
        "us-federal.cease",
    );
    let notice = ask(ChannelGroup::Letter, CHICAGO).action(ActionKind::TerminationOrRemedyNotice);
    assert_allowed(&notice.at(&packs, at, &[], &flags));
    assert_allowed(&call(CHICAGO).action(ActionKind::Suit).at(&packs, at, &[], &flags));
    // The notice still meets the hours.
    assert_refused(
        &notice.at(&packs, local(CHICAGO, (2026, 2, 3), 22, 0), &[], &flags),
        "us-federal.hours",
    );
}

/// 12 CFR 1006.38(d)(2); FDCPA 1692g(b): a dispute (or an original-creditor request,
/// 1006.38(c)) stops collection of the debt until verification is sent: contacts, suit
/// threats, suits and credit reports are refused while the flag holds, and allowed once it
/// is cleared.
#[test]
fn reg_f_1006_38_dispute_pauses_collection_until_verification() {
    let packs = us();
    let flags = Flags { dispute: true, ..Flags::default() };
    let at = local(CHICAGO, (2026, 3, 3), 14, 0);
    let letter = sent(ChannelGroup::Letter, local(CHICAGO, (2026, 2, 2), 10, 0), Heard::Delivered);
    for action in
        [ActionKind::Contact, ActionKind::SuitThreat, ActionKind::Suit, ActionKind::CreditReport]
    {
        let proposal = ask(ChannelGroup::Letter, CHICAGO).action(action);
        let decision = proposal.at(&packs, at, std::slice::from_ref(&letter), &flags);
        assert_refused(&decision, "us-federal.dispute");
        assert_eq!(decision.next_allowed_at, None);
        assert_allowed(&proposal.at(&packs, at, std::slice::from_ref(&letter), &none()));
    }
    // Through the engine: a disputed case sets the flag the cycle and checks use.
    let (_dir, books) = open_temp();
    let account = account(&books, "A-1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);
    let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
    assert!(!inputs.flags.dispute);
    let open = Command::OpenDispute { account, obligations: Vec::new(), on: d(3, 2) };
    books.execute("dispute", &open).unwrap().accepted().unwrap();
    let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
    let debts = [account.to_string()];
    let check = |inputs: &arrears::GuardrailInputs| {
        let mut proposal = call(CHICAGO);
        proposal.person = debtor.get();
        proposal.debts = debts.to_vec();
        proposal.at(&inputs.packs, at, &inputs.history, &inputs.flags)
    };
    // The default policy collects first party: outside California, `core` holds the flag.
    assert_refused(&check(&inputs), "core.dispute");
    let resolve = Command::ResolveDispute { account, on: d(3, 3) };
    books.execute("resolve", &resolve).unwrap().accepted().unwrap();
    assert_allowed(&check(&books.guardrail_inputs(debtor, &[]).unwrap()));
}

/// FDCPA 1692c(a)(2), 1692b(6); 12 CFR 1006.6(b)(2): a consumer represented by an attorney
/// for the debt is reached through the attorney only: the consumer and third parties are
/// refused, the attorney (an exempt party) is not.
#[test]
fn fdcpa_1692c_a_2_attorney_representation_routes_contact_to_the_attorney() {
    let packs = us();
    let flags = Flags { attorney: true, ..Flags::default() };
    let at = local(CHICAGO, (2026, 2, 3), 14, 0);
    assert_refused(&call(CHICAGO).at(&packs, at, &[], &flags), "us-federal.attorney");
    assert_refused(
        &call(CHICAGO).to(Recipient::ThirdParty).at(&packs, at, &[], &flags),
        "us-federal.attorney",
    );
    assert_refused(
        &ask(ChannelGroup::Letter, CHICAGO).action(ActionKind::TerminationOrRemedyNotice).at(
            &packs,
            at,
            &[],
            &flags,
        ),
        "us-federal.attorney",
    );
    assert_allowed(&call(CHICAGO).to(Recipient::ExemptParty).at(&packs, at, &[], &flags));
}

/// 12 CFR 1006.6(e), 1006.14(h)(1): an opt-out of electronic messages is stored per address
/// or number: that address is refused, another address of the same person is not; a medium
/// the person asked not to be used is refused on every address.
#[test]
fn reg_f_1006_6_e_electronic_opt_out_is_per_address_and_medium() {
    let packs = us();
    let at = local(CHICAGO, (2026, 2, 3), 14, 0);
    let flags = Flags {
        opted_out_addresses: vec!["Rae@Example.com".to_owned(), "+1 (512) 555-0100".to_owned()],
        ..Flags::default()
    };
    let email = ask(ChannelGroup::Email, CHICAGO);
    let decision = email.at(&packs, at, &[], &flags);
    assert_refused(&decision, "us-federal.opt-out");
    assert_eq!(decision.next_allowed_at, None);
    assert_allowed(&email.clone().address("rae@home.example", ContactPointKind::Personal).at(
        &packs,
        at,
        &[],
        &flags,
    ));
    assert_refused(
        &ask(ChannelGroup::Text, CHICAGO).at(&packs, at, &[], &flags),
        "us-federal.opt-out",
    );
    let texts_off = Flags { opted_out_channels: vec![ChannelGroup::Text], ..Flags::default() };
    let other_number =
        ask(ChannelGroup::Text, CHICAGO).address("+15125550199", ContactPointKind::Personal);
    assert_refused(&other_number.at(&packs, at, &[], &texts_off), "us-federal.opt-out");
    assert_allowed(&call(CHICAGO).at(&packs, at, &[], &texts_off));
}

/// 12 CFR 1006.6(e), 1006.14(h)(1), through the engine: a debtor who opted out of texts at a
/// number (its SMS contact point opted out) asked not to be texted there, not to be called:
/// a call to the same number stays allowed, a text to it is refused.
#[test]
fn reg_f_1006_14_h_1_a_text_opt_out_does_not_stop_calls_to_the_number() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A-1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let number = "+15125550100";
    for (index, (channel, opted_out)) in
        [(ContactChannel::Phone, false), (ContactChannel::Sms, true)].into_iter().enumerate()
    {
        let point = ContactPoint {
            channel,
            address: number.to_owned(),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out,
        };
        let set = Command::SetContactPoint { debtor, point, evidence: None };
        assert!(!books.execute(&format!("point-{index}"), &set).unwrap().outcome.is_rejected());
    }
    let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
    let at = local(CHICAGO, (2026, 2, 3), 14, 0);
    let check = |channel| {
        let mut proposal = ask(channel, CHICAGO).address(number, ContactPointKind::Personal);
        proposal.person = debtor.get();
        proposal.debts = vec![account.to_string()];
        proposal.at(&inputs.packs, at, &inputs.history, &inputs.flags)
    };
    assert_refused(&check(ChannelGroup::Text), "core.opt-out");
    assert_allowed(&check(ChannelGroup::Call));
}

/// 12 CFR 1006.22(f)(3) (UNVERIFIED): no e-mail to an address the employer provides.
/// FDCPA 1692c(a)(3); 12 CFR 1006.6(b)(3): no communication at work when the employer
/// prohibits it (flag), allowed otherwise.
#[test]
fn reg_f_1006_22_f_3_employer_email_and_1692c_a_3_workplace() {
    let packs = us();
    let at = local(CHICAGO, (2026, 2, 3), 14, 0);
    let employer_email = ask(ChannelGroup::Email, CHICAGO)
        .address("rae@employer.example", ContactPointKind::EmployerProvided);
    assert_refused(&employer_email.at(&packs, at, &[], &none()), "us-federal.employer-email");
    let work_call = call(CHICAGO).address("+15125550111", ContactPointKind::Work);
    assert_allowed(&work_call.at(&packs, at, &[], &none()));
    let prohibited = Flags { work_contact_prohibited: true, ..Flags::default() };
    assert_refused(&work_call.at(&packs, at, &[], &prohibited), "us-federal.workplace");
    assert_allowed(&call(CHICAGO).at(&packs, at, &[], &prohibited));
}

/// FDCPA 1692b(3): a third party contacted for location information is contacted once; a
/// second contact with the same person is refused, another third party is not.
#[test]
fn fdcpa_1692b_3_location_contact_with_a_third_party_only_once() {
    let packs = us();
    let mut reached = placed(local(CHICAGO, (2026, 2, 2), 10, 0), Heard::Conversation);
    reached.recipient = Recipient::ThirdParty;
    let third = call(CHICAGO).to(Recipient::ThirdParty);
    let later = local(CHICAGO, (2027, 1, 5), 10, 0);
    assert_allowed(&third.at(&packs, local(CHICAGO, (2026, 2, 2), 9, 0), &[], &none()));
    assert_refused(
        &third.at(&packs, later, std::slice::from_ref(&reached), &none()),
        "us-federal.location-once",
    );
    let mut another = third.clone();
    another.person = PERSON + 1;
    assert_allowed(&another.at(&packs, later, std::slice::from_ref(&reached), &none()));
}

/// 12 CFR 1006.30(a)(1) and comment 30(a)(1)-2: no furnishing to a credit bureau until the
/// collector spoke to the consumer about the debt, or sent a letter or electronic message
/// about it and waited 14 consecutive days with no notice of undeliverability.
#[test]
fn reg_f_1006_30_a_1_credit_report_after_a_conversation_or_a_14_day_wait() {
    let packs = us();
    let report = call(CHICAGO).action(ActionKind::CreditReport);
    let mailed_at = utc("2026-02-02T15:00:00Z");
    let letter = [sent(ChannelGroup::Letter, mailed_at, Heard::Delivered)];
    let day_13 = utc("2026-02-16T14:59:00Z");
    let day_14 = utc("2026-02-16T15:00:00Z");
    assert_refused_until(
        &report.at(&packs, day_13, &letter, &none()),
        "us-federal.credit-report-precondition",
        day_14,
    );
    assert_allowed(&report.at(&packs, day_14, &letter, &none()));
    let bounced = [sent(ChannelGroup::Letter, mailed_at, Heard::Bounced)];
    assert_refused(
        &report.at(&packs, day_14, &bounced, &none()),
        "us-federal.credit-report-precondition",
    );
    // A letter still in the outbox was not mailed: no notice, however long it waits.
    let queued = [sent(ChannelGroup::Letter, mailed_at, Heard::Pending)];
    assert_refused(
        &report.at(&packs, day_14 + chrono::Duration::days(30), &queued, &none()),
        "us-federal.credit-report-precondition",
    );
    let spoke = [placed(mailed_at, Heard::Conversation)];
    assert_allowed(&report.at(&packs, mailed_at, &spoke, &none()));
    assert_refused(
        &report.at(&packs, day_14, &[], &none()),
        "us-federal.credit-report-precondition",
    );
}

/// 12 CFR 1006.26(b), through the engine: once the limitation date set with
/// `SetLimitationDate` is reached, the cycle's review marks the case time-barred (as
/// documented) and a suit or a threat of suit on the debt is refused; the day before it,
/// the review does not.
#[test]
fn reg_f_1006_26_b_engine_marks_the_debt_time_barred_from_its_limitation_date() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A-1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);
    let limit = Command::SetLimitationDate { account, on: Some(d(3, 10)) };
    books.execute("limit", &limit).unwrap().accepted().unwrap();
    let suit = |books: &arrears::Arrears| {
        let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
        let mut proposal = ask(ChannelGroup::Letter, CHICAGO).action(ActionKind::Suit);
        proposal.person = debtor.get();
        proposal.debts = vec![account.to_string()];
        proposal.at(
            &inputs.packs,
            local(CHICAGO, (2026, 3, 10), 12, 0),
            &inputs.history,
            &inputs.flags,
        )
    };
    books.run_cycle(d(3, 9)).unwrap();
    assert_allowed(&suit(&books));
    assert!(!books.guardrail_inputs(debtor, &[]).unwrap().flags.time_barred);
    books.run_cycle(d(3, 10)).unwrap();
    assert!(books.guardrail_inputs(debtor, &[]).unwrap().flags.time_barred);
    // The default policy collects first party, outside Regulation F: the flag, once set, is
    // still honoured by the core pack.
    assert_refused(&suit(&books), "core.time-barred");
}

/// 12 CFR 1006.26(b): no suit and no threat of suit on a time-barred debt; ordinary
/// collection contacts are not barred by the rule.
#[test]
fn reg_f_1006_26_b_no_suit_or_threat_of_suit_on_time_barred_debt() {
    let packs = us();
    let flags = Flags { time_barred: true, ..Flags::default() };
    let at = local(CHICAGO, (2026, 2, 3), 14, 0);
    let letter = ask(ChannelGroup::Letter, CHICAGO);
    assert_refused(
        &letter.clone().action(ActionKind::Suit).at(&packs, at, &[], &flags),
        "us-federal.time-barred",
    );
    assert_refused(
        &letter.clone().action(ActionKind::SuitThreat).at(&packs, at, &[], &flags),
        "us-federal.time-barred",
    );
    assert_allowed(&letter.clone().action(ActionKind::Suit).at(&packs, at, &[], &none()));
    assert_allowed(&letter.at(&packs, at, &[], &flags));
}

/// 12 CFR 1006.14(b)(3)(i), through the engine: the debtor's consent recorded with
/// `ChangeRestrictions`, calls recorded while it held, then the inputs the engine assembles
/// (`guardrail_inputs`). After the consent lapsed, the calls placed with it still do not
/// count: an 8th call on day 8 is allowed, since none of the 7 placed with consent counts.
#[test]
fn reg_f_1006_14_b_3_i_engine_does_not_count_calls_placed_with_consent() {
    let (_dir, mut books) = open_temp();
    // A third-party collector: Regulation F applies.
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let account = account(&books, "A-1");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let given = local(CHICAGO, (2026, 2, 2), 9, 0);
    let consent = Command::ChangeRestrictions {
        debtor,
        changes: RestrictionChanges {
            call_consent: Some(CallConsent::GivenAt(given)),
            ..RestrictionChanges::default()
        },
    };
    books.execute("consent", &consent).unwrap().accepted().unwrap();
    // Seven calls on days 2 to 7 of the consent (3 to 8 Feb), two on the last.
    let calls = (3..=8).map(|day| local(CHICAGO, (2026, 2, day), 10, 0)).chain([local(
        CHICAGO,
        (2026, 2, 8),
        15,
        0,
    )]);
    for (index, at) in calls.enumerate() {
        let outbound = Command::RecordOutbound {
            debtor,
            accounts: vec![account],
            channel: ContactChannel::Phone,
            address: "+15125550100".into(),
            at,
            outcome: ContactOutcome::NoAnswer,
        };
        books.execute(&format!("call-{index}"), &outbound).unwrap().accepted().unwrap();
    }
    let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
    let mut proposal = call(CHICAGO);
    proposal.person = debtor.get();
    proposal.debts = vec![account.to_string()];
    // Day 8 (Monday 9 Feb): the consent no longer covers the call, and the seven calls in
    // the window, all placed with it, are not counted.
    let day_8 = local(CHICAGO, (2026, 2, 9), 9, 0);
    assert_allowed(&proposal.at(&inputs.packs, day_8, &inputs.history, &inputs.flags));
    // The same seven calls without consent: the 8th is refused.
    let without = Flags { call_consent_given_at: None, ..inputs.flags.clone() };
    let history: Vec<HistoryEntry> = inputs
        .history
        .iter()
        .cloned()
        .map(|entry| HistoryEntry { consented: false, ..entry })
        .collect();
    assert_refused(
        &proposal.at(&inputs.packs, day_8, &history, &without),
        "us-federal.call-7-in-7",
    );
}

// ---------------------------------------------------------------------------------------------
// Massachusetts and New York City
// ---------------------------------------------------------------------------------------------

/// 940 CMR 7.04(1)(f); 209 CMR 18.16(1)(a): at most 2 communications initiated by telephone,
/// texts included, per 7-day period to a personal number, per debt; the 3rd is refused, and
/// allowed again once the first leaves the 7 days.
#[test]
fn ma_940_cmr_7_04_1_f_two_calls_or_texts_per_7_days_to_personal_numbers() {
    let packs = packs("US", Some("MA"), Creditor::FirstParty);
    let history = [
        placed(local(NEW_YORK, (2026, 2, 2), 10, 0), Heard::NoAnswer),
        sent(ChannelGroup::Text, local(NEW_YORK, (2026, 2, 3), 10, 0), Heard::Delivered),
    ];
    let wednesday = local(NEW_YORK, (2026, 2, 4), 10, 0);
    assert_allowed(&call(NEW_YORK).at(&packs, wednesday, &history[..1], &none()));
    assert_refused_until(
        &call(NEW_YORK).at(&packs, wednesday, &history, &none()),
        "us-ma.calls-personal-7d",
        local(NEW_YORK, (2026, 2, 9), 8, 0),
    );
    assert_refused(
        &ask(ChannelGroup::Text, NEW_YORK).at(&packs, wednesday, &history, &none()),
        "us-ma.calls-personal-7d",
    );
    assert_allowed(&call(NEW_YORK).debts(&["debt-b"]).at(&packs, wednesday, &history, &none()));
    assert_allowed(&call(NEW_YORK).at(
        &packs,
        local(NEW_YORK, (2026, 2, 9), 8, 0),
        &history,
        &none(),
    ));
}

/// 940 CMR 7.04(1)(f): at most 2 per 30-day period to numbers other than the residence,
/// cell or personal number (a work number).
#[test]
fn ma_940_cmr_7_04_1_f_two_calls_per_30_days_to_other_numbers() {
    let packs = packs("US", Some("MA"), Creditor::ThirdParty);
    let work = |at| {
        let mut entry = placed(at, Heard::NoAnswer);
        entry.address_kind = ContactPointKind::Work;
        entry
    };
    let history =
        [work(local(NEW_YORK, (2026, 2, 2), 10, 0)), work(local(NEW_YORK, (2026, 2, 20), 10, 0))];
    let work_call = call(NEW_YORK).address("+16175550111", ContactPointKind::Work);
    assert_refused_until(
        &work_call.at(&packs, local(NEW_YORK, (2026, 3, 3), 10, 0), &history, &none()),
        "us-ma.calls-other-30d",
        local(NEW_YORK, (2026, 3, 4), 8, 0),
    );
    assert_allowed(&work_call.at(&packs, local(NEW_YORK, (2026, 3, 4), 8, 0), &history, &none()));
    // The work calls do not use up the personal number's 2 per 7 days.
    assert_allowed(&call(NEW_YORK).at(
        &packs,
        local(NEW_YORK, (2026, 2, 20), 12, 0),
        &history,
        &none(),
    ));
}

/// 209 CMR 18.16(1)(c); 940 CMR 7.05(3)(e): 8:00 a.m. to 9:00 p.m. at the consumer's
/// location, for a first-party creditor too (no federal pack).
#[test]
fn ma_209_cmr_18_16_1_c_hours_apply_to_first_party_creditors() {
    let packs = packs("US", Some("MA"), Creditor::FirstParty);
    assert_refused(
        &call(NEW_YORK).at(&packs, local(NEW_YORK, (2026, 2, 3), 7, 59), &[], &none()),
        "us-ma.hours",
    );
    assert_allowed(&call(NEW_YORK).at(&packs, local(NEW_YORK, (2026, 2, 3), 8, 0), &[], &none()));
    assert_refused(
        &call(NEW_YORK).at(&packs, local(NEW_YORK, (2026, 2, 3), 21, 0), &[], &none()),
        "us-ma.hours",
    );
}

/// NYC DCWP rules, 6 RCNY 5-77 (V2): no more than 3 contacts or attempts in any 7-day period
/// across all channels, per account: a call, a letter and an e-mail use the 3; the 4th, on
/// any channel, is refused.
#[test]
fn nyc_6_rcny_5_77_three_contacts_in_7_days_across_all_channels() {
    let packs = packs("US", Some("NYC"), Creditor::FirstParty);
    let history = [
        placed(local(NEW_YORK, (2026, 2, 2), 10, 0), Heard::NotConnected),
        sent(ChannelGroup::Letter, local(NEW_YORK, (2026, 2, 3), 10, 0), Heard::Delivered),
        sent(ChannelGroup::Email, local(NEW_YORK, (2026, 2, 4), 10, 0), Heard::Bounced),
    ];
    let friday = local(NEW_YORK, (2026, 2, 6), 10, 0);
    assert_allowed(&ask(ChannelGroup::Letter, NEW_YORK).at(&packs, friday, &history[..2], &none()));
    for channel in [ChannelGroup::Call, ChannelGroup::Letter, ChannelGroup::Email] {
        assert_refused(
            &ask(channel, NEW_YORK).at(&packs, friday, &history, &none()),
            "us-nyc.contacts-3-in-7",
        );
    }
    assert_allowed(&call(NEW_YORK).debts(&["debt-b"]).at(&packs, friday, &history, &none()));
    assert_allowed(&call(NEW_YORK).at(
        &packs,
        local(NEW_YORK, (2026, 2, 9), 8, 0),
        &history,
        &none(),
    ));
}

/// NYC DCWP rules, 6 RCNY 5-77 (V2): electronic contact needs the consumer's written,
/// revocable consent to that address.
#[test]
fn nyc_6_rcny_5_77_electronic_contact_needs_consent() {
    let packs = packs("US", Some("NYC"), Creditor::ThirdParty);
    let at = local(NEW_YORK, (2026, 2, 3), 10, 0);
    for channel in [ChannelGroup::Text, ChannelGroup::Email] {
        assert_refused(
            &ask(channel, NEW_YORK).consent(false).at(&packs, at, &[], &none()),
            "us-nyc.electronic-consent",
        );
        assert_allowed(&ask(channel, NEW_YORK).at(&packs, at, &[], &none()));
    }
    assert_allowed(&call(NEW_YORK).consent(false).at(&packs, at, &[], &none()));
}

// ---------------------------------------------------------------------------------------------
// Colombia: Ley 2300 de 2023
// ---------------------------------------------------------------------------------------------

fn colombia() -> Vec<Pack> {
    packs("CO", None, Creditor::FirstParty)
}

/// Ley 2300 de 2023, art. 3 (V2): contact Monday to Friday 07:00 to 19:00 and Saturday
/// 08:00 to 15:00, the debtor's local time; 06:59, 19:00, Saturday 07:59 and 15:00 are
/// refused, on every channel.
#[test]
fn co_ley_2300_art_3_weekday_and_saturday_hours() {
    let packs = colombia();
    for channel in [ChannelGroup::Call, ChannelGroup::Text] {
        let proposal = ask(channel, BOGOTA);
        let tuesday = (2026, 2, 3);
        assert_refused_until(
            &proposal.at(&packs, local(BOGOTA, tuesday, 6, 59), &[], &none()),
            "co.hours",
            local(BOGOTA, tuesday, 7, 0),
        );
        assert_allowed(&proposal.at(&packs, local(BOGOTA, tuesday, 7, 0), &[], &none()));
        assert_allowed(&proposal.at(&packs, local(BOGOTA, tuesday, 18, 59), &[], &none()));
        assert_refused_until(
            &proposal.at(&packs, local(BOGOTA, tuesday, 19, 0), &[], &none()),
            "co.hours",
            local(BOGOTA, (2026, 2, 4), 7, 0),
        );
        let saturday = (2026, 2, 7);
        assert_refused_until(
            &proposal.at(&packs, local(BOGOTA, saturday, 7, 59), &[], &none()),
            "co.hours",
            local(BOGOTA, saturday, 8, 0),
        );
        assert_allowed(&proposal.at(&packs, local(BOGOTA, saturday, 8, 0), &[], &none()));
        assert_allowed(&proposal.at(&packs, local(BOGOTA, saturday, 14, 59), &[], &none()));
        // Saturday 15:00: closed until Monday 07:00 (Sunday is closed all day).
        assert_refused_until(
            &proposal.at(&packs, local(BOGOTA, saturday, 15, 0), &[], &none()),
            "co.hours",
            local(BOGOTA, (2026, 2, 9), 7, 0),
        );
    }
}

/// Ley 2300 de 2023, art. 3 (V2): no contact on Sundays or Colombian public holidays
/// (festivos, moved to Monday by Ley Emiliani: San Jose on Monday 23 Mar 2026, Reyes on
/// Monday 12 Jan 2026).
#[test]
fn co_ley_2300_art_3_no_contact_on_sundays_and_holidays() {
    let packs = colombia();
    assert_refused_until(
        &call(BOGOTA).at(&packs, local(BOGOTA, (2026, 2, 8), 10, 0), &[], &none()),
        "co.hours",
        local(BOGOTA, (2026, 2, 9), 7, 0),
    );
    for holiday in [(2026, 1, 12), (2026, 3, 23), (2026, 12, 8)] {
        let decision = call(BOGOTA).at(&packs, local(BOGOTA, holiday, 10, 0), &[], &none());
        assert_refused(&decision, "co.hours");
        assert!(decision.reason.contains("holiday"), "{}", decision.reason);
    }
    // The next day is open at 07:00.
    assert_allowed(&call(BOGOTA).at(&packs, local(BOGOTA, (2026, 3, 24), 7, 0), &[], &none()));
    // Sunday 19 Mar 2026 (San Jose's own date, moved): 19 Mar is a Thursday and open.
    assert_allowed(&call(BOGOTA).at(&packs, local(BOGOTA, (2026, 3, 19), 10, 0), &[], &none()));
}

/// Ley 2300 de 2023, art. 3 (V2; exact wording UNVERIFIED): once contact is made, not
/// again the same day, on any channel; the next local day is allowed. Unanswered attempts
/// are not contacts (the pack's documented reading).
#[test]
fn co_ley_2300_art_3_one_contact_per_day() {
    let packs = colombia();
    let monday = (2026, 2, 2);
    let delivered = [sent(ChannelGroup::Text, local(BOGOTA, monday, 9, 0), Heard::Delivered)];
    assert_refused_until(
        &ask(ChannelGroup::Text, BOGOTA).at(
            &packs,
            local(BOGOTA, monday, 15, 0),
            &delivered,
            &none(),
        ),
        "co.one-contact-per-day",
        local(BOGOTA, (2026, 2, 3), 7, 0),
    );
    assert_allowed(&ask(ChannelGroup::Text, BOGOTA).at(
        &packs,
        local(BOGOTA, (2026, 2, 3), 7, 0),
        &delivered,
        &none(),
    ));
    let unanswered = [placed(local(BOGOTA, monday, 9, 0), Heard::NoAnswer)];
    assert_allowed(&call(BOGOTA).at(&packs, local(BOGOTA, monday, 15, 0), &unanswered, &none()));
}

/// Ley 2300 de 2023, art. 3 (V2: "ni utilizar mas de un canal en la misma semana"; the
/// week read as the local calendar week, Monday to Sunday, UNVERIFIED): after a contact by
/// text, no contact by another channel the same week; the same channel on another day is
/// allowed, and any channel the next Monday.
#[test]
fn co_ley_2300_art_3_one_channel_per_week() {
    let packs = colombia();
    let delivered = [sent(ChannelGroup::Text, local(BOGOTA, (2026, 2, 2), 9, 0), Heard::Delivered)];
    let wednesday = local(BOGOTA, (2026, 2, 4), 10, 0);
    for channel in [ChannelGroup::Call, ChannelGroup::Email, ChannelGroup::Letter] {
        assert_refused_until(
            &ask(channel, BOGOTA).at(&packs, wednesday, &delivered, &none()),
            "co.one-channel-per-week",
            local(BOGOTA, (2026, 2, 9), 7, 0),
        );
    }
    assert_allowed(&ask(ChannelGroup::Text, BOGOTA).at(&packs, wednesday, &delivered, &none()));
    assert_allowed(&call(BOGOTA).at(
        &packs,
        local(BOGOTA, (2026, 2, 9), 7, 0),
        &delivered,
        &none(),
    ));
}

/// Ley 2300 de 2023, art. 2 (V2): only channels the consumer authorised; and (V2) never
/// references or other third parties, and no visits.
#[test]
fn co_ley_2300_authorized_channels_no_references_no_visits() {
    let packs = colombia();
    let at = local(BOGOTA, (2026, 2, 3), 10, 0);
    assert_refused(
        &call(BOGOTA).consent(false).at(&packs, at, &[], &none()),
        "co.authorized-channels",
    );
    assert_refused(
        &call(BOGOTA).to(Recipient::ThirdParty).at(&packs, at, &[], &none()),
        "co.no-references",
    );
    assert_refused(&ask(ChannelGroup::Visit, BOGOTA).at(&packs, at, &[], &none()), "co.no-visits");
    assert_allowed(&call(BOGOTA).at(&packs, at, &[], &none()));
}

/// Ley 1266 de 2008, art. 12, as amended by Ley 2157 de 2021 (V2): a negative report no
/// earlier than 20 calendar days after the prior communication; a conversation does not
/// replace the communication.
#[test]
fn co_ley_1266_art_12_negative_report_20_days_after_notice() {
    let packs = colombia();
    let report = call(BOGOTA).action(ActionKind::CreditReport);
    let notice_at = utc("2026-02-02T15:00:00Z");
    let notice = [sent(ChannelGroup::Letter, notice_at, Heard::Delivered)];
    assert_refused_until(
        &report.at(&packs, utc("2026-02-22T14:59:00Z"), &notice, &none()),
        "co.credit-report-notice",
        utc("2026-02-22T15:00:00Z"),
    );
    assert_allowed(&report.at(&packs, utc("2026-02-22T15:00:00Z"), &notice, &none()));
    let spoke = [placed(notice_at, Heard::Conversation)];
    assert_refused(
        &report.at(&packs, utc("2026-03-30T15:00:00Z"), &spoke, &none()),
        "co.credit-report-notice",
    );
}

// ---------------------------------------------------------------------------------------------
// Mexico, Chile, Peru, Spain
// ---------------------------------------------------------------------------------------------

/// CONDUSEF Despachos de Cobranza rules (DOF 7 Oct 2014; V2): contact only 07:00 to 22:00
/// in the debtor's time zone (22:01 to 06:59 abusive), every day: no day restriction is
/// applied (sources conflict: UNVERIFIED).
#[test]
fn mx_condusef_2014_hours_07_00_to_22_00_every_day() {
    let packs = packs("MX", None, Creditor::ThirdParty);
    for date in [(2026, 2, 3), (2026, 2, 8)] {
        assert_refused_until(
            &call(MEXICO_CITY).at(&packs, local(MEXICO_CITY, date, 6, 59), &[], &none()),
            "mx.hours",
            local(MEXICO_CITY, date, 7, 0),
        );
        assert_allowed(&call(MEXICO_CITY).at(&packs, local(MEXICO_CITY, date, 7, 0), &[], &none()));
        assert_allowed(&call(MEXICO_CITY).at(
            &packs,
            local(MEXICO_CITY, date, 21, 59),
            &[],
            &none(),
        ));
        assert_refused(
            &call(MEXICO_CITY).at(&packs, local(MEXICO_CITY, date, 22, 0), &[], &none()),
            "mx.hours",
        );
    }
}

/// CONDUSEF rules (V2): "in the debtor's time zone", and Mexico has several: a debtor who
/// may be in Tijuana or Mexico City is contacted only when it is 07:00 or later in Tijuana.
#[test]
fn mx_condusef_2014_hours_in_every_candidate_zone() {
    let packs = packs("MX", None, Creditor::ThirdParty);
    let both = call(MEXICO_CITY).zones(&[MEXICO_CITY, TIJUANA]);
    let open = local(TIJUANA, (2026, 2, 3), 7, 0);
    assert_refused_until(
        &both.at(&packs, local(TIJUANA, (2026, 2, 3), 6, 59), &[], &none()),
        "mx.hours",
        open,
    );
    assert_allowed(&both.at(&packs, open, &[], &none()));
    assert_refused(
        &both.at(&packs, local(MEXICO_CITY, (2026, 2, 3), 22, 0), &[], &none()),
        "mx.hours",
    );
}

/// CONDUSEF rules, Cap. II, Cuarta obligacion, fracc. VII (V2): no collection from third
/// parties (references, beneficiaries); guarantors and joint obligors are contacted as
/// consumers.
#[test]
fn mx_condusef_no_collection_from_third_parties() {
    let packs = packs("MX", None, Creditor::ThirdParty);
    let at = local(MEXICO_CITY, (2026, 2, 3), 10, 0);
    assert_refused(
        &call(MEXICO_CITY).to(Recipient::ThirdParty).at(&packs, at, &[], &none()),
        "mx.third-parties",
    );
    assert_allowed(&call(MEXICO_CITY).at(&packs, at, &[], &none()));
}

fn chile() -> Vec<Pack> {
    packs("CL", None, Creditor::ThirdParty)
}

/// Ley 19.496 art. 37 as amended by Ley 21.320 (V2): no more than one phone contact or
/// visit per week (read as any 7 consecutive local days): a call on Monday blocks calls and
/// visits through Sunday; the next Monday is allowed.
#[test]
fn cl_ley_21_320_one_call_or_visit_per_week() {
    let packs = chile();
    let history = [placed(local(SANTIAGO, (2026, 2, 2), 10, 0), Heard::NoAnswer)];
    let saturday = local(SANTIAGO, (2026, 2, 7), 10, 0);
    for channel in [ChannelGroup::Call, ChannelGroup::Visit] {
        assert_refused_until(
            &ask(channel, SANTIAGO).at(&packs, saturday, &history, &none()),
            "cl.calls-visits-weekly",
            local(SANTIAGO, (2026, 2, 9), 8, 0),
        );
    }
    assert_allowed(&call(SANTIAGO).at(
        &packs,
        local(SANTIAGO, (2026, 2, 9), 8, 0),
        &history,
        &none(),
    ));
    // A text is another medium, with its own limits.
    assert_allowed(&ask(ChannelGroup::Text, SANTIAGO).at(&packs, saturday, &history, &none()));
}

/// Ley 19.496 art. 37 as amended by Ley 21.320 (V2): letters, texts, e-mails: at most 2 a
/// week, at least 2 days apart (Monday then Wednesday, not Monday then Tuesday).
#[test]
fn cl_ley_21_320_other_media_two_a_week_two_days_apart() {
    let packs = chile();
    let text = ask(ChannelGroup::Text, SANTIAGO);
    let monday = [sent(ChannelGroup::Text, local(SANTIAGO, (2026, 2, 2), 10, 0), Heard::Delivered)];
    assert_refused_until(
        &text.at(&packs, local(SANTIAGO, (2026, 2, 3), 10, 0), &monday, &none()),
        "cl.other-media-gap",
        local(SANTIAGO, (2026, 2, 4), 8, 0),
    );
    assert_allowed(&text.at(&packs, local(SANTIAGO, (2026, 2, 4), 8, 0), &monday, &none()));
    let two = [
        monday[0].clone(),
        sent(ChannelGroup::Email, local(SANTIAGO, (2026, 2, 4), 10, 0), Heard::Delivered),
    ];
    assert_refused_until(
        &ask(ChannelGroup::Letter, SANTIAGO).at(
            &packs,
            local(SANTIAGO, (2026, 2, 6), 10, 0),
            &two,
            &none(),
        ),
        "cl.other-media-weekly",
        local(SANTIAGO, (2026, 2, 9), 8, 0),
    );
}

/// Ley 19.496 art. 37 (V2; emerix.net citing CPC art. 59): Monday to Saturday 08:00 to 20:00;
/// no contact on Sundays or Chilean holidays (Glorias Navales, Thursday 21 May 2026).
#[test]
fn cl_ley_19_496_art_37_hours_days_and_holidays() {
    let packs = chile();
    let saturday = (2026, 2, 7);
    assert_refused(
        &call(SANTIAGO).at(&packs, local(SANTIAGO, saturday, 7, 59), &[], &none()),
        "cl.hours",
    );
    assert_allowed(&call(SANTIAGO).at(&packs, local(SANTIAGO, saturday, 8, 0), &[], &none()));
    assert_allowed(&call(SANTIAGO).at(&packs, local(SANTIAGO, saturday, 19, 59), &[], &none()));
    assert_refused_until(
        &call(SANTIAGO).at(&packs, local(SANTIAGO, saturday, 20, 0), &[], &none()),
        "cl.hours",
        local(SANTIAGO, (2026, 2, 9), 8, 0),
    );
    assert_refused(
        &ask(ChannelGroup::Email, SANTIAGO).at(
            &packs,
            local(SANTIAGO, (2026, 2, 8), 12, 0),
            &[],
            &none(),
        ),
        "cl.hours",
    );
    assert_refused(
        &call(SANTIAGO).at(&packs, local(SANTIAGO, (2026, 5, 21), 12, 0), &[], &none()),
        "cl.hours",
    );
    assert_allowed(&call(SANTIAGO).at(&packs, local(SANTIAGO, (2026, 5, 22), 12, 0), &[], &none()));
}

/// Ley 19.496 art. 37 (V2): extrajudicial collection stops once the consumer is served in a
/// collection suit or insolvency proceedings begin.
#[test]
fn cl_ley_19_496_art_37_stop_on_lawsuit_or_insolvency() {
    let packs = chile();
    let at = local(SANTIAGO, (2026, 2, 3), 10, 0);
    let served = Flags { litigation_served: true, ..Flags::default() };
    assert_refused(&call(SANTIAGO).at(&packs, at, &[], &served), "cl.litigation-served");
    let insolvent = Flags { bankruptcy: true, ..Flags::default() };
    assert_refused(&call(SANTIAGO).at(&packs, at, &[], &insolvent), "cl.insolvency");
}

/// Ley 29571 art. 62(b) (V2): no visits or calls between 20:00 and 07:00, nor on Saturdays,
/// Sundays or holidays (Independence Day, Tuesday 28 Jul 2026).
#[test]
fn pe_ley_29571_art_62_b_weekdays_07_00_to_20_00_only() {
    let packs = packs("PE", None, Creditor::ThirdParty);
    let friday = (2026, 2, 6);
    assert_refused(&call(LIMA).at(&packs, local(LIMA, friday, 6, 59), &[], &none()), "pe.hours");
    assert_allowed(&call(LIMA).at(&packs, local(LIMA, friday, 7, 0), &[], &none()));
    assert_allowed(&call(LIMA).at(&packs, local(LIMA, friday, 19, 59), &[], &none()));
    assert_refused_until(
        &call(LIMA).at(&packs, local(LIMA, friday, 20, 0), &[], &none()),
        "pe.hours",
        local(LIMA, (2026, 2, 9), 7, 0),
    );
    for day in [(2026, 2, 7), (2026, 2, 8), (2026, 7, 28)] {
        assert_refused(&call(LIMA).at(&packs, local(LIMA, day, 10, 0), &[], &none()), "pe.hours");
    }
}

/// Spain: the commercial-call benchmark hours (UNVERIFIED for collection, a convention) and
/// CCD2 art. 35(1) (V1): reasonable forbearance assessed before enforcement; LOPDGDD art.
/// 20 (V1): no bureau report of a disputed debt.
#[test]
fn es_benchmark_hours_and_ccd2_art_35_forbearance_before_suit() {
    let packs = packs("ES", None, Creditor::FirstParty);
    let tuesday = (2026, 2, 3);
    assert_refused(
        &call(MADRID).at(&packs, local(MADRID, tuesday, 8, 59), &[], &none()),
        "es.hours",
    );
    assert_allowed(&call(MADRID).at(&packs, local(MADRID, tuesday, 9, 0), &[], &none()));
    assert_refused(
        &call(MADRID).at(&packs, local(MADRID, tuesday, 21, 0), &[], &none()),
        "es.hours",
    );
    assert_refused(
        &call(MADRID).at(&packs, local(MADRID, (2026, 2, 7), 12, 0), &[], &none()),
        "es.hours",
    );
    let suit = call(MADRID).action(ActionKind::Suit);
    let at = local(MADRID, tuesday, 12, 0);
    assert_refused(&suit.at(&packs, at, &[], &none()), "es.forbearance-before-enforcement");
    let assessed = Flags { forbearance_assessed: true, ..Flags::default() };
    assert_allowed(&suit.at(&packs, at, &[], &assessed));
    let disputed = Flags { dispute: true, forbearance_assessed: true, ..Flags::default() };
    assert_refused(
        &call(MADRID).action(ActionKind::CreditReport).at(&packs, at, &[], &disputed),
        "es.credit-report-disputed",
    );
}

/// A debtor in Spain (the `es` pack), in Madrid.
fn spanish_debtor(books: &arrears::Arrears, reference: &str) -> arrears::ids::DebtorId {
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: DebtorKind::Person,
        name: format!("Deudor {reference}"),
        jurisdiction: Jurisdiction { country: "ES".into(), region: None },
        time_zones: vec![MADRID.into()],
        language: "es".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    });
    match books.execute(&format!("debtor:{reference}"), &command).unwrap().outcome {
        Outcome::DebtorCreated(id) => id,
        other => panic!("debtor not created: {other:?}"),
    }
}

/// The rejection of a legal referral by Spain's forbearance rule: the rule's id, its citation
/// (CCD2 art. 35(1)) and the action, a suit.
fn assert_refused_for_forbearance(outcome: &Outcome) {
    match outcome {
        Outcome::Rejected(arrears::Rejection::Guardrail { action, rule, citation, reason }) => {
            assert_eq!(*action, ActionKind::Suit);
            assert_eq!(rule, "es.forbearance-before-enforcement");
            assert!(citation.contains("Directive (EU) 2023/2225, art. 35(1)"), "{citation}");
            assert!(reason.contains("forbearance"), "{reason}");
            let message = outcome_message(outcome);
            assert!(message.contains("es.forbearance-before-enforcement"), "{message}");
            assert!(message.contains("2023/2225"), "{message}");
        }
        other => panic!("expected the forbearance rule's refusal, got {other:?}"),
    }
}

fn outcome_message(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Rejected(rejection) => rejection.to_string(),
        other => format!("{other:?}"),
    }
}

/// CCD2 art. 35(1) (V1), through the engine: a legal referral is a suit, and a Spanish
/// debtor's account is referred only once forbearance was considered for it. Without a
/// forbearance fact the referral is refused under `es.forbearance-before-enforcement`, with
/// its citation, and the case stays where it is; each forbearance measure the engine records
/// (a hardship granted, a settlement offered, a payment plan) and the explicit
/// `RecordForbearanceAssessed` let it through, on that account only. A US debtor's referral
/// is decided as before, without any forbearance.
#[test]
fn ccd2_art_35_1_engine_refers_a_spanish_account_only_after_forbearance() {
    use arrears::case::{ForbearanceMeasure, ForbearanceRecord};
    use arrears::collection::CollectionState;
    let (_dir, books) = open_temp();
    let debtor = spanish_debtor(&books, "ES-1");
    let [bare, held, offered, planned] = ["ES-1A", "ES-1B", "ES-1C", "ES-1D"]
        .map(|reference| account_with(&books, debtor, reference, Terms::default(), None));
    let american = account(&books, "US-1A");
    for (index, account) in [bare, held, offered, planned, american].into_iter().enumerate() {
        charge(&books, &format!("charge-{index}"), account, d(1, 1), d(1, 31), 90_000);
    }
    // A review puts each account in its stage (a settlement's least share is the stage's).
    books.run_cycle(d(3, 2)).unwrap();
    let refer = |key: &str, account, on| {
        books.execute(key, &Command::ReferToLegal { account, on }).unwrap().outcome
    };
    let state = |account| books.case(account).unwrap().state;
    let forbearance = |account| books.case(account).unwrap().forbearance;
    let assessed = |accounts: &[arrears::ids::AccountId]| {
        books.guardrail_inputs(debtor, accounts).unwrap().flags.forbearance_assessed
    };
    assert!(!assessed(&[]));

    // Nothing recorded: refused, and nothing written (the key stays free).
    assert_refused_for_forbearance(&refer("legal-bare", bare, d(3, 3)));
    assert!(matches!(state(bare), CollectionState::Delinquent { .. }));
    assert_eq!(forbearance(bare), None);
    // Recorded by a person for a documented reason: the same key now refers it.
    let record = Command::RecordForbearanceAssessed {
        account: bare,
        on: d(3, 3),
        reason: "restructuring offered by letter of 3 March, declined".into(),
    };
    assert!(matches!(books.execute("assessed-bare", &record).unwrap().outcome, Outcome::Cases(_)));
    assert_eq!(
        forbearance(bare),
        Some(ForbearanceRecord { on: d(3, 3), measure: ForbearanceMeasure::Assessed })
    );
    assert!(assessed(&[bare]));
    assert!(!assessed(&[]), "the debtor's other accounts have no forbearance recorded");
    assert!(matches!(refer("legal-bare", bare, d(3, 3)), Outcome::Cases(_)));
    assert_eq!(state(bare), CollectionState::Legal);
    // An empty reason is refused as bad input.
    let empty =
        Command::RecordForbearanceAssessed { account: held, on: d(3, 3), reason: " ".into() };
    assert!(books.execute("assessed-empty", &empty).is_err());

    // A hardship granted (a payment holiday), ended early: the referral goes through.
    assert_refused_for_forbearance(&refer("legal-held-0", held, d(3, 3)));
    let grant = Command::GrantHardship { account: held, on: d(3, 3), until: d(3, 31) };
    books.execute("grant", &grant).unwrap().accepted().unwrap();
    books
        .execute("end", &Command::EndHardship { account: held, on: d(3, 4) })
        .unwrap()
        .accepted()
        .unwrap();
    assert_eq!(
        forbearance(held),
        Some(ForbearanceRecord { on: d(3, 3), measure: ForbearanceMeasure::Hardship })
    );
    assert!(matches!(refer("legal-held", held, d(3, 4)), Outcome::Cases(_)));
    assert_eq!(state(held), CollectionState::Legal);

    // A settlement offered (partial forgiveness): the case stays delinquent, and is referred.
    let offer =
        Command::OfferSettlement { account: offered, offered_on: d(3, 3), amount: usd(88_000) };
    books.execute("offer", &offer).unwrap().accepted().unwrap();
    assert_eq!(
        forbearance(offered).map(|record| record.measure),
        Some(ForbearanceMeasure::Settlement)
    );
    assert!(matches!(refer("legal-offered", offered, d(3, 4)), Outcome::Cases(_)));
    assert_eq!(state(offered), CollectionState::Legal);

    // A payment plan (the debt rescheduled); charged off later, the account is referred.
    let plan = Command::CreatePlan(arrears::NewPlan {
        account: planned,
        created_on: d(3, 3),
        installments: 4,
        frequency: arrears::plan::Frequency::Monthly,
        first_due: d(4, 1),
        annual_rate: "0".parse().unwrap(),
        monthly_income: usd(1_000_000),
        monthly_expenses: usd(100_000),
    });
    books.execute("plan", &plan).unwrap().accepted().unwrap();
    assert_eq!(forbearance(planned).map(|record| record.measure), Some(ForbearanceMeasure::Plan));
    assert!(assessed(&[planned]));
    assert!(assessed(&[]), "every account of the debtor has a forbearance fact now");
    let charge_off = Command::ChargeOff { account: planned, effective_on: d(3, 4) };
    books.execute("charge-off", &charge_off).unwrap().accepted().unwrap();
    assert!(matches!(refer("legal-planned", planned, d(3, 4)), Outcome::Cases(_)));
    assert_eq!(state(planned), CollectionState::Legal);

    // The United States: no rule asks for forbearance; the referral is decided as before.
    assert_eq!(forbearance(american), None);
    assert!(matches!(refer("legal-american", american, d(3, 3)), Outcome::Cases(_)));
    assert_eq!(state(american), CollectionState::Legal);
}

/// CCD2 art. 35(1) (V1), through the cycle: the stage's legal referral of a Spanish debtor's
/// account is blocked while no forbearance was recorded for it; the case stays where it is,
/// the report counts the block under the rule and the audit log records it
/// (`ActionBlocked`), and the cycle goes on (a US account in the same stage is referred).
/// Once forbearance is recorded, the next review refers it.
#[test]
fn ccd2_art_35_1_cycle_leaves_a_spanish_case_unreferred_until_forbearance_and_says_why() {
    use arrears::case::AuditKind;
    use arrears::collection::CollectionState;
    let (_dir, books) = open_temp();
    let debtor = spanish_debtor(&books, "ES-2");
    let spanish = account_with(&books, debtor, "ES-2A", Terms::default(), None);
    let american = account(&books, "US-2A");
    for (index, account) in [spanish, american].into_iter().enumerate() {
        charge(&books, &format!("charge-{index}"), account, d(1, 1), d(1, 31), 90_000);
    }
    // 120 days past due on 31 May: the final stage, whose referral is due 14 days in.
    books.run_cycle(d(6, 1)).unwrap();
    let entered = books.case(spanish).unwrap();
    assert_eq!(entered.stage.as_deref(), Some("final"), "{entered:?}");
    let due_on = books.case(spanish).unwrap().next_review_on.max(d(6, 15));
    let report = books.run_cycle(due_on).unwrap();
    let rule = "es.forbearance-before-enforcement".to_owned();
    assert_eq!(report.referrals_blocked, std::collections::BTreeMap::from([(rule.clone(), 1)]));
    assert!(report.complete);
    assert_eq!(books.case(american).unwrap().state, CollectionState::Legal);
    let left = books.case(spanish).unwrap();
    assert_ne!(left.state, CollectionState::Legal);
    assert_eq!(left.state, entered.state);
    let blocked: Vec<AuditKind> = books
        .audit_log(Some(spanish))
        .unwrap()
        .into_iter()
        .map(|record| record.kind)
        .filter(|kind| matches!(kind, AuditKind::ActionBlocked { .. }))
        .collect();
    assert_eq!(
        blocked,
        vec![AuditKind::ActionBlocked { debtor, action: ActionKind::Suit, rule, on: due_on }]
    );

    let record = Command::RecordForbearanceAssessed {
        account: spanish,
        on: due_on,
        reason: "six-month payment holiday offered by phone, no answer".into(),
    };
    books.execute("assessed", &record).unwrap().accepted().unwrap();
    let next = books.case(spanish).unwrap().next_review_on;
    let report = books.run_cycle(next).unwrap();
    assert!(report.referrals_blocked.is_empty(), "{report:?}");
    assert_eq!(books.case(spanish).unwrap().state, CollectionState::Legal);
}

/// Core guardrails (engine convention, docs/COMPLIANCE.md): in a jurisdiction with no pack
/// (Brazil), the sticky flags and opt-outs still hold, and the baseline hours apply.
#[test]
fn core_flags_hold_where_no_jurisdiction_pack_applies() {
    let packs = packs("BR", None, Creditor::ThirdParty);
    let zone = "America/Sao_Paulo";
    let at = local(zone, (2026, 2, 3), 10, 0);
    for (flags, rule) in [
        (Flags { cease: true, ..Flags::default() }, "core.cease"),
        (Flags { attorney: true, ..Flags::default() }, "core.attorney"),
        (Flags { dispute: true, ..Flags::default() }, "core.dispute"),
        (Flags { bankruptcy: true, ..Flags::default() }, "core.bankruptcy"),
        (Flags { deceased: true, ..Flags::default() }, "core.deceased"),
        (
            Flags { opted_out_channels: vec![ChannelGroup::Call], ..Flags::default() },
            "core.opt-out",
        ),
    ] {
        assert_refused(&call(zone).at(&packs, at, &[], &flags), rule);
    }
    assert_allowed(&call(zone).at(&packs, at, &[], &none()));
    assert_refused(
        &call(zone).at(&packs, local(zone, (2026, 2, 3), 21, 0), &[], &none()),
        "baseline.hours",
    );
    let barred = Flags { time_barred: true, ..Flags::default() };
    let suit = ask(ChannelGroup::Letter, zone).action(ActionKind::Suit);
    assert_refused(&suit.at(&packs, at, &[], &barred), "core.time-barred");
    assert_allowed(&suit.at(&packs, at, &[], &none()));
}

// ---------------------------------------------------------------------------------------------
// A plug-in strategy cannot bypass the guardrails
// ---------------------------------------------------------------------------------------------

/// Ley 2300 de 2023, art. 3 (V2), through the cycle: a plug-in strategy that proposes a
/// call, a text and an e-mail at 03:00 every day of two weeks (a Sunday and the San Jose
/// holiday, Monday 23 Mar 2026, among them) gets out only what the law allows, every
/// outcome being a contact: one contact a local day, one channel a calendar week, inside
/// the hours, none on Sundays or holidays.
#[test]
fn co_ley_2300_art_3_a_plugin_strategy_cannot_bypass_the_colombian_limits() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let point = |channel, address: &str| ContactPoint {
        channel,
        address: address.to_owned(),
        kind: ContactPointKind::Personal,
        consent: true,
        opted_out: false,
    };
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Camila".into(),
                jurisdiction: Jurisdiction { country: "CO".into(), region: None },
                time_zones: vec![BOGOTA.into()],
                language: "es".into(),
                contact_points: vec![
                    point(ContactChannel::Phone, "+576015550100"),
                    point(ContactChannel::Sms, "+573005550100"),
                    point(ContactChannel::Email, "camila@example.co"),
                ],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-CO", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);

    for day in 0..14 {
        let today = d(3, 16) + chrono::Days::new(day);
        books.run_cycle(today).unwrap();
        let due: Vec<_> = books
            .pending_actions(100)
            .unwrap()
            .into_iter()
            .filter(|action| action.scheduled_at.date_naive() <= today)
            .collect();
        for action in due {
            let outcome = if action.channel == ContactChannel::Phone {
                ContactOutcome::RightParty
            } else {
                ContactOutcome::Delivered
            };
            let ack = Command::Acknowledge { action: action.id, outcome, at: action.scheduled_at };
            books.execute(&format!("ack:{}", action.id), &ack).unwrap().accepted().unwrap();
        }
    }
    let bogota: Tz = BOGOTA.parse().unwrap();
    let actions = books.actions().unwrap();
    assert!(!actions.is_empty());
    let mut days: std::collections::BTreeMap<NaiveDate, u32> = Default::default();
    let mut weeks: std::collections::BTreeMap<chrono::IsoWeek, Vec<ContactChannel>> =
        Default::default();
    for action in &actions {
        use chrono::{Datelike, Timelike};
        let at = action.scheduled_at.with_timezone(&bogota);
        let date = at.date_naive();
        let minutes = at.hour() * 60 + at.minute();
        let allowed = match date.weekday() {
            chrono::Weekday::Sun => false,
            chrono::Weekday::Sat => (8 * 60..15 * 60).contains(&minutes),
            _ => (7 * 60..19 * 60).contains(&minutes),
        };
        assert!(allowed, "{:?} at {at}", action.channel);
        assert_ne!(date, NaiveDate::from_ymd_opt(2026, 3, 23).unwrap(), "a holiday: {action:?}");
        *days.entry(date).or_default() += 1;
        let week = weeks.entry(date.iso_week()).or_default();
        if !week.contains(&action.channel) {
            week.push(action.channel);
        }
    }
    assert!(days.values().all(|count| *count == 1), "contacts per local day: {days:?}");
    assert!(weeks.values().all(|channels| channels.len() == 1), "channels per week: {weeks:?}");
    assert!(books.verify().unwrap().is_clean());
}
