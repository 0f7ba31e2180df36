//! Regulatory cases a checker built from the published rules would try, beyond those of
//! `regulatory.rs`: each test names the rule and its citation (the research notes,
//! `../shared/reference/compliance.md`) and asserts what the rule requires, through the
//! public API (`compliance::evaluate` with the packs `packs_for` gives, and a few through
//! `Arrears`).

use std::sync::Arc;

use arrears::case::ContactOutcome;
use arrears::compliance::{
    ActionKind, ChannelGroup, Direction, Flags, HistoryEntry, Outcome as Heard, Pack, Recipient,
};
use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction, Terms,
};
use arrears::policy::Creditor;
use arrears::{CallConsent, Command, DebtorChanges, NewDebtor, Outcome, RestrictionChanges};

use crate::guardrails::{aggressive_policy, Rogue};
use crate::regulatory::{
    ask, assert_allowed, assert_refused, assert_refused_until, call, local, none, packs, placed,
    sent, us, utc, BOGOTA, CHICAGO, LIMA, MADRID, MEXICO_CITY, NEW_YORK, SANTIAGO,
};
use crate::support::*;

const HONOLULU: &str = "Pacific/Honolulu";
const CANCUN: &str = "America/Cancun";
const CANARY: &str = "Atlantic/Canary";

/// The entry, as a contact the person made.
fn inbound(mut entry: HistoryEntry) -> HistoryEntry {
    entry.direction = Direction::Inbound;
    entry
}

// ---------------------------------------------------------------------------------------------
// United States: Regulation F call frequency
// ---------------------------------------------------------------------------------------------

/// 12 CFR 1006.14(b)(2)(i)(A): "more than seven times within seven consecutive days". Calls
/// already scheduled count at their instants (the engine passes its pending actions), but
/// the rule looks at 7 consecutive days, not 13: four calls on Mon 2 to Thu 5 Feb and three
/// scheduled on Wed 11 to Fri 13 Feb leave room for a call on Sun 8 Feb (no 7 consecutive
/// days would then hold more than 5). With a fourth scheduled call on Sat 14 Feb, no window
/// holds 8 either, so the call is still allowed; with a fifth past call on Mon 2 Feb the
/// window 2 to 8 Feb would hold 8, and the call is refused.
#[test]
fn reg_f_1006_14_b_2_i_a_the_window_is_seven_days_not_thirteen() {
    let packs = us();
    let sunday = local(CHICAGO, (2026, 2, 8), 10, 0);
    let mut history: Vec<HistoryEntry> = [2, 3, 4, 5, 11, 12, 13]
        .into_iter()
        .map(|day| placed(local(CHICAGO, (2026, 2, day), 10, 0), Heard::NoAnswer))
        .collect();
    assert_allowed(&call(CHICAGO).at(&packs, sunday, &history, &none()));
    history.push(placed(local(CHICAGO, (2026, 2, 14), 10, 0), Heard::Voicemail));
    assert_allowed(&call(CHICAGO).at(&packs, sunday, &history, &none()));
    for hour in [11, 12, 13] {
        history.push(placed(local(CHICAGO, (2026, 2, 2), hour, 0), Heard::NoAnswer));
    }
    // 2 to 8 Feb now holds 7 calls before the proposal: refused.
    assert_refused(&call(CHICAGO).at(&packs, sunday, &history, &none()), "us-federal.call-7-in-7");
}

/// 12 CFR 1006.14(b)(3)(ii) and comment 14(b)(3)(ii)-1: a call counts once connected to the
/// dialled number, whoever answers: calls answered by someone other than the person (wrong
/// party) were placed to the person and connected, so seven of them fill the count.
#[test]
fn reg_f_1006_14_b_3_ii_calls_answered_by_someone_else_count() {
    let packs = us();
    let history: Vec<HistoryEntry> = (2..=8)
        .map(|day| placed(local(CHICAGO, (2026, 2, day), 10, 0), Heard::WrongParty))
        .collect();
    assert_refused_until(
        &call(CHICAGO).at(&packs, local(CHICAGO, (2026, 2, 8), 12, 0), &history, &none()),
        "us-federal.call-7-in-7",
        local(CHICAGO, (2026, 2, 9), 8, 0),
    );
}

/// 12 CFR 1006.14(b)(2)(i)(B): the cool-down follows a *telephone* conversation. A text
/// exchange, or a conversation in person, is not one and does not stop calls.
#[test]
fn reg_f_1006_14_b_2_i_b_only_a_telephone_conversation_starts_the_cooldown() {
    let packs = us();
    let monday = local(CHICAGO, (2026, 2, 2), 10, 0);
    let tuesday = local(CHICAGO, (2026, 2, 3), 10, 0);
    for channel in [ChannelGroup::Text, ChannelGroup::Email, ChannelGroup::Visit] {
        let history = [inbound(sent(channel, monday, Heard::Conversation))];
        assert_allowed(&call(CHICAGO).at(&packs, tuesday, &history, &none()));
    }
    let history = [inbound(placed(monday, Heard::Conversation))];
    assert_refused(
        &call(CHICAGO).at(&packs, tuesday, &history, &none()),
        "us-federal.call-after-conversation",
    );
}

/// 12 CFR 1006.14(b)(2)(i)(B) limits *calls* only (and 1006.14(a) leaves other media to the
/// general harassment rule): after a telephone conversation, an e-mail or a text the next
/// day is not refused by the cool-down.
#[test]
fn reg_f_1006_14_b_2_i_b_the_cooldown_does_not_stop_other_media() {
    let packs = us();
    let history = [placed(local(CHICAGO, (2026, 2, 2), 10, 0), Heard::Conversation)];
    let tuesday = local(CHICAGO, (2026, 2, 3), 10, 0);
    for channel in [ChannelGroup::Email, ChannelGroup::Text, ChannelGroup::Letter] {
        assert_allowed(&ask(channel, CHICAGO).at(&packs, tuesday, &history, &none()));
    }
}

// ---------------------------------------------------------------------------------------------
// United States: time and place
// ---------------------------------------------------------------------------------------------

/// Comment 6(b)(1)(i) (UNVERIFIED, high confidence): with candidate zones New York and
/// Honolulu (winter: UTC-5 and UTC-10), the window is the intersection, 13:00 to 21:00
/// Eastern (08:00 Hawaii to 21:00 New York).
#[test]
fn reg_f_1006_6_b_1_i_intersection_with_hawaii() {
    let packs = us();
    let both = call(NEW_YORK).zones(&[NEW_YORK, HONOLULU]);
    assert_refused_until(
        &both.at(&packs, local(NEW_YORK, (2026, 2, 3), 12, 59), &[], &none()),
        "us-federal.hours",
        local(NEW_YORK, (2026, 2, 3), 13, 0),
    );
    assert_allowed(&both.at(&packs, local(NEW_YORK, (2026, 2, 3), 13, 0), &[], &none()));
    assert_allowed(&both.at(&packs, local(NEW_YORK, (2026, 2, 3), 20, 59), &[], &none()));
    assert_refused(
        &both.at(&packs, local(NEW_YORK, (2026, 2, 3), 21, 0), &[], &none()),
        "us-federal.hours",
    );
}

/// FDCPA 1692c(c); 12 CFR 1006.6(c): the notices a cease request still allows are
/// communications with the consumer, and 1006.6(b)(1)(i) still applies to them: a remedy
/// notice at 22:00 is refused by the hours (and moved to 08:00), at 10:00 allowed.
#[test]
fn fdcpa_1692c_c_notices_after_cease_keep_the_hours() {
    let packs = us();
    let cease = Flags { cease: true, ..Flags::default() };
    let notice = ask(ChannelGroup::Letter, CHICAGO).action(ActionKind::TerminationOrRemedyNotice);
    assert_refused_until(
        &notice.at(&packs, local(CHICAGO, (2026, 2, 3), 22, 0), &[], &cease),
        "us-federal.hours",
        local(CHICAGO, (2026, 2, 4), 8, 0),
    );
    assert_allowed(&notice.at(&packs, local(CHICAGO, (2026, 2, 4), 10, 0), &[], &cease));
    assert_refused(
        &ask(ChannelGroup::Letter, CHICAGO).at(
            &packs,
            local(CHICAGO, (2026, 2, 4), 10, 0),
            &[],
            &cease,
        ),
        "us-federal.cease",
    );
}

/// FDCPA 1692c(c) stops communication "with the consumer"; FDCPA 1692b still allows a
/// location contact with a third party (once). A cease request by the consumer does not
/// stop it; an attorney does (1692b(6)).
#[test]
fn fdcpa_1692c_c_cease_leaves_a_location_contact_with_a_third_party() {
    let packs = us();
    let at = local(CHICAGO, (2026, 2, 3), 10, 0);
    let neighbour = call(CHICAGO).to(Recipient::ThirdParty).person(900);
    let cease = Flags { cease: true, ..Flags::default() };
    assert_allowed(&neighbour.at(&packs, at, &[], &cease));
    let attorney = Flags { attorney: true, ..Flags::default() };
    assert_refused(&neighbour.at(&packs, at, &[], &attorney), "us-federal.attorney");
}

/// FDCPA 1692b(3): the collector must not "communicate" with a third party more than once.
/// A call that rang unanswered communicated nothing: a second attempt is allowed; after a
/// conversation, the next is refused.
#[test]
fn fdcpa_1692b_3_an_unanswered_call_to_a_third_party_is_not_the_one_communication() {
    let packs = us();
    let neighbour = call(CHICAGO).to(Recipient::ThirdParty).person(900);
    let mut first = placed(local(CHICAGO, (2026, 2, 2), 10, 0), Heard::NoAnswer);
    first.person = 900;
    first.recipient = Recipient::ThirdParty;
    let at = local(CHICAGO, (2026, 2, 3), 10, 0);
    assert_allowed(&neighbour.at(&packs, at, &[first.clone()], &none()));
    first.outcome = Heard::Conversation;
    assert_refused(&neighbour.at(&packs, at, &[first], &none()), "us-federal.location-once");
}

/// 12 CFR 1006.6(e), 1006.14(h)(1): the opt-out is of "that address or number". The same
/// number written another way (spaces, dashes, brackets, no `+`, no country code) is the
/// same number and stays refused.
#[test]
fn reg_f_1006_14_h_1_an_opt_out_holds_however_the_number_is_written() {
    let packs = us();
    let at = local(CHICAGO, (2026, 2, 3), 10, 0);
    let text = ask(ChannelGroup::Text, CHICAGO).address("+15125550100", ContactPointKind::Personal);
    for written in
        ["+1 (512) 555-0100", "1 512 555 0100", "(512) 555-0100", "512.555.0100", "001 512 5550100"]
    {
        let flags = Flags { opted_out_addresses: vec![written.to_owned()], ..Flags::default() };
        assert_refused(&text.at(&packs, at, &[], &flags), "us-federal.opt-out");
        // The opt-out is of that number only.
        let other = text.clone().address("+15125550101", ContactPointKind::Personal);
        assert_allowed(&other.at(&packs, at, &[], &flags));
    }
    // Another country's number with the same national digits is another number when both
    // are written in international form.
    let flags =
        Flags { opted_out_addresses: vec!["+44 512 555 0100".to_owned()], ..Flags::default() };
    assert_allowed(&text.at(&packs, at, &[], &flags));
}

/// 12 CFR 1006.30(a)(1): speaking to the consumer about the debt by telephone is enough,
/// whoever placed the call: a conversation on a call the consumer made allows the report; a
/// voicemail (no conversation) does not.
#[test]
fn reg_f_1006_30_a_1_an_inbound_phone_conversation_allows_a_report() {
    let packs = us();
    let report = call(CHICAGO).action(ActionKind::CreditReport);
    let at = local(CHICAGO, (2026, 2, 4), 10, 0);
    let spoke = [inbound(placed(local(CHICAGO, (2026, 2, 3), 10, 0), Heard::Conversation))];
    assert_allowed(&report.at(&packs, at, &spoke, &none()));
    let message = [placed(local(CHICAGO, (2026, 2, 3), 10, 0), Heard::Voicemail)];
    assert_refused(
        &report.at(&packs, at, &message, &none()),
        "us-federal.credit-report-precondition",
    );
}

// ---------------------------------------------------------------------------------------------
// Massachusetts and New York City
// ---------------------------------------------------------------------------------------------

/// 940 CMR 7.04(1)(f) "in each seven-day period", with calls already scheduled: a call on
/// Mon 2 Feb and one scheduled on Fri 13 Feb are 11 days apart; a call on Sun 8 Feb makes 2
/// in every 7-day period (2 to 8, 8 to 14 Feb), within the cap of 2.
#[test]
fn ma_940_cmr_7_04_1_f_the_period_is_seven_days_with_scheduled_calls() {
    let packs = packs("US", Some("MA"), Creditor::FirstParty);
    let history = [
        placed(local(NEW_YORK, (2026, 2, 2), 10, 0), Heard::NoAnswer),
        placed(local(NEW_YORK, (2026, 2, 13), 10, 0), Heard::Voicemail),
    ];
    assert_allowed(&call(NEW_YORK).at(
        &packs,
        local(NEW_YORK, (2026, 2, 8), 10, 0),
        &history,
        &none(),
    ));
    // With a call on Tue 3 Feb as well, 2 to 8 Feb would hold 3: refused.
    let mut more = history.to_vec();
    more.push(placed(local(NEW_YORK, (2026, 2, 3), 10, 0), Heard::NoAnswer));
    assert_refused(
        &call(NEW_YORK).at(&packs, local(NEW_YORK, (2026, 2, 8), 10, 0), &more, &none()),
        "us-ma.calls-personal-7d",
    );
}

/// 940 CMR 7.04(1)(f), AG guidance: an attempt that does not reach the debtor and cannot
/// leave a message (busy, not in service) is not a communication: two of them leave both
/// of the week's calls.
#[test]
fn ma_940_cmr_7_04_1_f_calls_not_connected_do_not_count() {
    let packs = packs("US", Some("MA"), Creditor::ThirdParty);
    let history = [
        placed(local(NEW_YORK, (2026, 2, 2), 10, 0), Heard::NotConnected),
        placed(local(NEW_YORK, (2026, 2, 2), 12, 0), Heard::NotConnected),
        placed(local(NEW_YORK, (2026, 2, 3), 10, 0), Heard::NoAnswer),
    ];
    assert_allowed(&call(NEW_YORK).at(
        &packs,
        local(NEW_YORK, (2026, 2, 4), 10, 0),
        &history,
        &none(),
    ));
}

/// 940 CMR 7.04(1)(f): at most 2 calls per 30 days to a number other than the personal
/// ones. The engine tells a recorded call's number by the debtor's contact point there,
/// however the integrator wrote it: two calls recorded at "(617) 555-0111", the work number
/// "+16175550111", are work calls, and a third within 30 days is refused.
#[test]
fn ma_940_cmr_7_04_1_f_recorded_work_calls_count_however_the_number_is_written() {
    let (_dir, books) = open_temp();
    let point = |address: &str, kind| ContactPoint {
        channel: ContactChannel::Phone,
        address: address.to_owned(),
        kind,
        consent: true,
        opted_out: false,
    };
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Pat".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("MA".into()) },
                time_zones: vec![NEW_YORK.into()],
                language: "en".into(),
                contact_points: vec![
                    point("+16175550100", ContactPointKind::Personal),
                    point("+16175550111", ContactPointKind::Work),
                ],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-MA", Terms::default(), None);
    for day in [2, 20] {
        let outbound = Command::RecordOutbound {
            debtor,
            accounts: vec![account],
            channel: ContactChannel::Phone,
            address: "(617) 555-0111".into(),
            at: local(NEW_YORK, (2026, 2, day), 10, 0),
            outcome: ContactOutcome::NoAnswer,
        };
        books.execute(&format!("call-{day}"), &outbound).unwrap().accepted().unwrap();
    }
    let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
    let debt = account.to_string();
    let work_call = call(NEW_YORK)
        .address("+16175550111", ContactPointKind::Work)
        .person(debtor.get())
        .debts(&[debt.as_str()]);
    let at = local(NEW_YORK, (2026, 3, 3), 10, 0);
    assert_refused_until(
        &work_call.at(&inputs.packs, at, &inputs.history, &inputs.flags),
        "us-ma.calls-other-30d",
        local(NEW_YORK, (2026, 3, 4), 8, 0),
    );
}

/// NYC DCWP rules, 6 RCNY 5-77 (V2): "contacts or attempts": a busy signal is an attempt
/// and counts towards the 3 in 7 days.
#[test]
fn nyc_6_rcny_5_77_attempts_count_even_when_not_connected() {
    let packs = packs("US", Some("NYC"), Creditor::FirstParty);
    let history: Vec<HistoryEntry> = [2, 3, 4]
        .into_iter()
        .map(|day| placed(local(NEW_YORK, (2026, 2, day), 10, 0), Heard::NotConnected))
        .collect();
    assert_refused_until(
        &call(NEW_YORK).at(&packs, local(NEW_YORK, (2026, 2, 5), 10, 0), &history, &none()),
        "us-nyc.contacts-3-in-7",
        local(NEW_YORK, (2026, 2, 9), 8, 0),
    );
}

// ---------------------------------------------------------------------------------------------
// Colombia
// ---------------------------------------------------------------------------------------------

fn colombia() -> Vec<Pack> {
    packs("CO", None, Creditor::FirstParty)
}

/// Ley 2300 de 2023, art. 3 (V2): no contact on holidays; Ley 51 de 1983 moves them to
/// Monday. 2025: Corpus Christi Mon 23 Jun, Sagrado Corazon and San Pedro y San Pablo
/// both Mon 30 Jun; 2027 (Easter 28 Mar): Jueves Santo 25 Mar, Ascension Mon 10 May,
/// San Pedro (Tue 29 Jun) moved to Mon 5 Jul; the Tuesday 29 Jun 2027 is a working day.
#[test]
fn co_ley_2300_art_3_holidays_of_2025_and_2027() {
    let packs = colombia();
    for date in [(2025, 6, 23), (2025, 6, 30), (2027, 3, 25), (2027, 5, 10), (2027, 7, 5)] {
        assert_refused(
            &call(BOGOTA).at(&packs, local(BOGOTA, date, 10, 0), &[], &none()),
            "co.hours",
        );
    }
    assert_allowed(&call(BOGOTA).at(&packs, local(BOGOTA, (2027, 6, 29), 10, 0), &[], &none()));
}

/// Ley 2300 de 2023, art. 3 (V2): after Saturday 15:00, the next allowed instant skips
/// Sunday and a Monday holiday (San Jose, Mon 23 Mar 2026): Tuesday 07:00.
#[test]
fn co_ley_2300_art_3_next_opening_skips_sunday_and_a_monday_holiday() {
    assert_refused_until(
        &call(BOGOTA).at(&colombia(), local(BOGOTA, (2026, 3, 21), 15, 0), &[], &none()),
        "co.hours",
        local(BOGOTA, (2026, 3, 24), 7, 0),
    );
}

/// Ley 2300 de 2023, art. 3 (V2): once contact is made, not again the same day, whatever
/// the debt: the limit is the consumer's, not the account's.
#[test]
fn co_ley_2300_art_3_one_contact_per_day_whatever_the_debt() {
    let packs = colombia();
    let history = [placed(local(BOGOTA, (2026, 3, 17), 9, 0), Heard::Conversation)];
    assert_refused(
        &call(BOGOTA).debts(&["debt-b"]).at(
            &packs,
            local(BOGOTA, (2026, 3, 17), 15, 0),
            &history,
            &none(),
        ),
        "co.one-contact-per-day",
    );
}

// ---------------------------------------------------------------------------------------------
// Mexico, Chile, Peru, Spain
// ---------------------------------------------------------------------------------------------

/// CONDUSEF rules (V2): 07:00 to 22:00 in the debtor's zone. Mexico City has kept UTC-6 all
/// year since the end of daylight saving time (Oct 2022), and Cancun UTC-5: in July 2026,
/// 07:00 in Mexico City is 13:00 UTC and in Cancun 12:00 UTC.
#[test]
fn mx_condusef_hours_without_daylight_saving_time() {
    let packs = packs("MX", None, Creditor::FirstParty);
    assert_refused_until(
        &call(MEXICO_CITY).at(&packs, utc("2026-07-15T12:59:00Z"), &[], &none()),
        "mx.hours",
        utc("2026-07-15T13:00:00Z"),
    );
    assert_allowed(&call(MEXICO_CITY).at(&packs, utc("2026-07-16T03:59:00Z"), &[], &none()));
    assert_refused(
        &call(MEXICO_CITY).at(&packs, utc("2026-07-16T04:00:00Z"), &[], &none()),
        "mx.hours",
    );
    assert_refused(&call(CANCUN).at(&packs, utc("2026-07-15T11:59:00Z"), &[], &none()), "mx.hours");
    assert_allowed(&call(CANCUN).at(&packs, utc("2026-07-15T12:00:00Z"), &[], &none()));
}

fn chile() -> Vec<Pack> {
    packs("CL", None, Creditor::FirstParty)
}

/// Ley 19.496 art. 37 (V2): Monday to Saturday 08:00 to 20:00 in Chile's local time. Chile
/// starts summer time on Sunday 6 Sep 2026 (UTC-4 to UTC-3): Monday 7 Sep 08:00 is 11:00
/// UTC, Saturday 5 Sep 08:00 was 12:00 UTC.
#[test]
fn cl_ley_19_496_art_37_hours_across_chiles_clock_change() {
    let packs = chile();
    assert_refused(
        &call(SANTIAGO).at(&packs, utc("2026-09-05T11:59:00Z"), &[], &none()),
        "cl.hours",
    );
    assert_allowed(&call(SANTIAGO).at(&packs, utc("2026-09-05T12:00:00Z"), &[], &none()));
    assert_refused_until(
        &call(SANTIAGO).at(&packs, local(SANTIAGO, (2026, 9, 5), 20, 0), &[], &none()),
        "cl.hours",
        utc("2026-09-07T11:00:00Z"),
    );
}

/// Ley 19.496 art. 37 (V2): holidays moved by Ley 19.668: San Pedro y San Pablo on Tuesday
/// 29 Jun 2027 is kept on Monday 28 Jun; Encuentro de Dos Mundos on Tuesday 12 Oct 2027 on
/// Monday 11 Oct. Pueblos Indigenas: Friday 20 Jun 2025 (the solstice).
#[test]
fn cl_ley_19_496_art_37_moved_holidays() {
    let packs = chile();
    for date in [(2027, 6, 28), (2027, 10, 11), (2025, 6, 20)] {
        assert_refused(
            &call(SANTIAGO).at(&packs, local(SANTIAGO, date, 10, 0), &[], &none()),
            "cl.hours",
        );
    }
    for date in [(2027, 6, 29), (2027, 10, 12)] {
        assert_allowed(&call(SANTIAGO).at(&packs, local(SANTIAGO, date, 10, 0), &[], &none()));
    }
}

/// Ley 19.496 art. 37 (V2): "more than one phone contact or visit per week": a busy signal
/// is not a phone contact.
#[test]
fn cl_ley_21_320_a_call_not_connected_is_not_a_phone_contact() {
    let packs = chile();
    let history = [placed(local(SANTIAGO, (2026, 3, 16), 10, 0), Heard::NotConnected)];
    assert_allowed(&call(SANTIAGO).at(
        &packs,
        local(SANTIAGO, (2026, 3, 17), 10, 0),
        &history,
        &none(),
    ));
}

/// Ley 29571 art. 62(b) (V2): no calls on Saturdays, Sundays or holidays; after Friday
/// 20:00 on 26 Jun 2026, Monday 29 Jun is San Pedro y San Pablo: Tuesday 30 Jun 07:00. Also
/// holidays added by law: Batalla de Junin (Thu 6 Aug 2026), Batalla de Ayacucho (Wed 9 Dec
/// 2026), Dia de la Fuerza Aerea (Thu 23 Jul 2026).
#[test]
fn pe_ley_29571_art_62_b_holidays_and_the_next_opening() {
    let packs = packs("PE", None, Creditor::FirstParty);
    assert_refused_until(
        &call(LIMA).at(&packs, local(LIMA, (2026, 6, 26), 20, 0), &[], &none()),
        "pe.hours",
        local(LIMA, (2026, 6, 30), 7, 0),
    );
    for date in [(2026, 8, 6), (2026, 12, 9), (2026, 7, 23)] {
        assert_refused(&call(LIMA).at(&packs, local(LIMA, date, 10, 0), &[], &none()), "pe.hours");
    }
}

/// Spain (UNVERIFIED benchmark hours, 09:00 to 21:00 local): the Canary Islands are an hour
/// behind the peninsula; 09:00 in Las Palmas is 10:00 in Madrid. A debtor who may be in
/// either is called from 09:00 Canary time.
#[test]
fn es_hours_in_the_canary_islands() {
    let packs = packs("ES", None, Creditor::FirstParty);
    let both = call(MADRID).zones(&[MADRID, CANARY]);
    assert_refused_until(
        &both.at(&packs, utc("2026-02-03T08:30:00Z"), &[], &none()),
        "es.hours",
        utc("2026-02-03T09:00:00Z"),
    );
    assert_allowed(&both.at(&packs, utc("2026-02-03T09:00:00Z"), &[], &none()));
}

// ---------------------------------------------------------------------------------------------
// Through the engine
// ---------------------------------------------------------------------------------------------

/// 12 CFR 1006.38(d)(2); FDCPA 1692g(b): a dispute stops collection of *the disputed debt*
/// until verification. A debtor with two delinquent accounts disputes one: the cycle keeps
/// contacting the debtor about the other (and never about the disputed one).
#[test]
fn reg_f_1006_38_d_2_a_dispute_pauses_only_the_disputed_debt_in_the_cycle() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec![CHICAGO.into()],
                language: "en".into(),
                contact_points: vec![ContactPoint {
                    channel: ContactChannel::Phone,
                    address: "+15125550100".into(),
                    kind: ContactPointKind::Personal,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let kept = account_with(&books, debtor, "A-KEPT", Terms::default(), None);
    let disputed = account_with(&books, debtor, "A-DISPUTED", Terms::default(), None);
    charge(&books, "c1", kept, d(1, 1), d(1, 31), 90_000);
    charge(&books, "c2", disputed, d(1, 1), d(1, 31), 50_000);
    let dispute = Command::OpenDispute { account: disputed, obligations: Vec::new(), on: d(3, 1) };
    books.execute("dispute", &dispute).unwrap().accepted().unwrap();
    books.run_cycle(d(3, 16)).unwrap();
    let actions = books.actions().unwrap();
    assert!(
        actions.iter().all(|action| !action.accounts.contains(&disputed)),
        "contact about the disputed account: {actions:?}"
    );
    assert!(
        actions.iter().any(|action| action.accounts.contains(&kept)),
        "no contact about the undisputed account: {actions:?}"
    );
    // The same through the inputs the engine gives for one account.
    let inputs = books.guardrail_inputs(debtor, &[kept]).unwrap();
    assert!(!inputs.flags.dispute);
}

/// 12 CFR 1006.14(b)(2)(i)(B) (CFPB FAQ highlights, V2), through the engine: a call the
/// debtor made, recorded with `RecordInbound` as a right-party conversation, starts the
/// cool-down in the inputs the engine assembles; it is not counted among placed calls.
#[test]
fn reg_f_1006_14_b_2_i_b_engine_recorded_inbound_conversation_starts_the_cooldown() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A-IN");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let at = local(CHICAGO, (2026, 2, 2), 10, 0);
    let record = Command::RecordInbound {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15125550100".into(),
        at,
        outcome: ContactOutcome::RightParty,
    };
    books.execute("inbound", &record).unwrap().accepted().unwrap();
    let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
    let proposal = call(CHICAGO).person(debtor.get()).debts(&[&account.to_string()]);
    let packs = us();
    assert_refused_until(
        &proposal.at(&packs, local(CHICAGO, (2026, 2, 8), 10, 0), &inputs.history, &inputs.flags),
        "us-federal.call-after-conversation",
        local(CHICAGO, (2026, 2, 9), 8, 0),
    );
}

/// Ley 2300 de 2023, art. 2 (V2): contact only through the channels the person authorised,
/// per channel and address (`ContactPoint::consent`: "on this channel"). A debtor who
/// authorised texts to a mobile number but not calls to it: the cycle texts the number and
/// never calls it, whichever of the two contact points is listed first.
#[test]
fn co_ley_2300_art_2_consent_to_texts_is_not_consent_to_calls_at_the_number() {
    for sms_first in [true, false] {
        let (_dir, mut books) = open_temp();
        books.register_strategy(Arc::new(Rogue));
        let policy =
            Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
        assert!(matches!(
            books.execute("policy", &policy).unwrap().outcome,
            Outcome::PolicySet { .. }
        ));
        let point = |channel, consent| ContactPoint {
            channel,
            address: "+573001234567".into(),
            kind: ContactPointKind::Personal,
            consent,
            opted_out: false,
        };
        let mut contact_points =
            vec![point(ContactChannel::Sms, true), point(ContactChannel::Phone, false)];
        if !sms_first {
            contact_points.reverse();
        }
        let created = books
            .execute(
                "debtor",
                &Command::CreateDebtor(NewDebtor {
                    external_ref: None,
                    kind: DebtorKind::Person,
                    name: "Ana".into(),
                    jurisdiction: Jurisdiction { country: "CO".into(), region: None },
                    time_zones: vec![BOGOTA.into()],
                    language: "es".into(),
                    contact_points,
                    flags: DebtorFlags::default(),
                }),
            )
            .unwrap()
            .outcome;
        let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
        let account = account_with(&books, debtor, "A-CO", Terms::default(), None);
        charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);
        // Tuesday 3 March 2026: an ordinary working day in Colombia.
        let report = books.run_cycle(d(3, 3)).unwrap();
        let actions = books.actions().unwrap();
        assert!(
            actions.iter().all(|action| action.channel != ContactChannel::Phone),
            "a call without consent to calls (sms first: {sms_first}): {actions:?}"
        );
        assert!(
            actions.iter().any(|action| action.channel == ContactChannel::Sms),
            "no text though texts are authorised (sms first: {sms_first}): {actions:?}"
        );
        // Blocked (reported under the first rule that blocks it, the 03:00 hour of the
        // strategy), not rescheduled: no hour makes the call allowed.
        assert_eq!(report.blocked.values().sum::<u64>(), 1, "sms first: {sms_first}: {report:?}");
    }
}

/// 12 CFR 1006.38(d)(2); FDCPA 1692g(b) (V1): once the consumer disputes the debt, the
/// collector stops collecting it until it sends verification. Outbox actions already queued
/// about the disputed account must not go out: the dispute cancels them (those about the
/// other account stay).
#[test]
fn reg_f_1006_38_d_2_a_dispute_cancels_pending_actions_about_the_disputed_debt() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec![CHICAGO.into()],
                language: "en".into(),
                contact_points: vec![ContactPoint {
                    channel: ContactChannel::Phone,
                    address: "+15125550100".into(),
                    kind: ContactPointKind::Personal,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let disputed = account_with(&books, debtor, "A-DISPUTED", Terms::default(), None);
    charge(&books, "c1", disputed, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(3, 16)).unwrap();
    let pending = books.pending_actions(100).unwrap();
    assert!(pending.iter().any(|action| action.accounts.contains(&disputed)), "{pending:?}");
    let dispute = Command::OpenDispute { account: disputed, obligations: Vec::new(), on: d(3, 16) };
    books.execute("dispute", &dispute).unwrap().accepted().unwrap();
    let pending = books.pending_actions(100).unwrap();
    assert!(
        pending.iter().all(|action| !action.accounts.contains(&disputed)),
        "an action about the disputed account is still pending: {pending:?}"
    );
}

/// 12 CFR 1006.14(b)(2)(i)(B) (V1; an inbound conversation starts it: CFPB FAQ, V2): no call
/// within 7 consecutive days after a telephone conversation about the debt. The cycle queued
/// a call for 08:00; the debtor phoned in at 07:30 and spoke about the debt: the queued call
/// must not go out (it is cancelled, reason `conversation_cooldown`); a call the debtor asked
/// for stays.
#[test]
fn reg_f_1006_14_b_2_i_b_a_conversation_cancels_the_calls_queued_in_its_cooldown() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec![CHICAGO.into()],
                language: "en".into(),
                contact_points: vec![ContactPoint {
                    channel: ContactChannel::Phone,
                    address: "+15125550100".into(),
                    kind: ContactPointKind::Personal,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-CALL", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    // Monday 16 March 2026: a call queued for 08:00 in Chicago.
    books.run_cycle(d(3, 16)).unwrap();
    let queued: Vec<_> = books
        .pending_actions(100)
        .unwrap()
        .into_iter()
        .filter(|action| action.channel == ContactChannel::Phone)
        .collect();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].scheduled_at, local(CHICAGO, (2026, 3, 16), 8, 0));
    // A callback the debtor asks for on Wednesday, at 10:00.
    let callback = Command::RequestCallback {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15125550100".into(),
        at: local(CHICAGO, (2026, 3, 18), 10, 0),
    };
    books.execute("callback", &callback).unwrap().accepted().unwrap();
    let inbound = Command::RecordInbound {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15125550100".into(),
        at: local(CHICAGO, (2026, 3, 16), 7, 30),
        outcome: ContactOutcome::RightParty,
    };
    books.execute("inbound", &inbound).unwrap().accepted().unwrap();
    let calls: Vec<_> = books
        .pending_actions(100)
        .unwrap()
        .into_iter()
        .filter(|action| action.channel == ContactChannel::Phone)
        .collect();
    assert!(calls.iter().all(|action| action.id != queued[0].id), "still queued: {calls:?}");
    assert!(calls.iter().any(|action| action.template == "callback"), "{calls:?}");
}

/// Ley 19.496, art. 37, as amended by Ley 21.320 (V2): extrajudicial collection stops at once
/// when the debtor is served in a collection suit. A Chilean debtor with a call and a text
/// queued is served: both are cancelled (reason `litigation_served`), as the guardrails block
/// any new one.
#[test]
fn cl_ley_19_496_art_37_service_of_suit_cancels_queued_contacts() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let point = |channel| ContactPoint {
        channel,
        address: "+56912345678".into(),
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
                name: "Ana".into(),
                jurisdiction: Jurisdiction { country: "CL".into(), region: None },
                time_zones: vec![SANTIAGO.into()],
                language: "es".into(),
                contact_points: vec![point(ContactChannel::Phone), point(ContactChannel::Sms)],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-CL", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);
    // Monday 16 March 2026.
    books.run_cycle(d(3, 16)).unwrap();
    assert!(!books.pending_actions(100).unwrap().is_empty());
    let served = Command::ChangeRestrictions {
        debtor,
        changes: RestrictionChanges {
            litigation_served: Some(true),
            ..RestrictionChanges::default()
        },
    };
    books.execute("served", &served).unwrap().accepted().unwrap();
    let pending = books.pending_actions(100).unwrap();
    assert!(pending.is_empty(), "still queued after service of the suit: {pending:?}");
}

/// 12 CFR 1006.6(b)(1)(i); FDCPA 1692c(a)(1) (V1): no communication before 08:00 or after
/// 21:00 at the consumer's location, in every zone the consumer may be in. The cycle queued a
/// call for 08:00 in Chicago; the debtor turns out to be possibly in Honolulu too (04:00
/// there): once the zones are updated the queued call must not go out (cancelled, reason
/// `outside_hours`); the next cycle schedules within the new hours.
#[test]
fn fdcpa_1692c_a_1_new_time_zones_cancel_calls_queued_outside_their_hours() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec![CHICAGO.into()],
                language: "en".into(),
                contact_points: vec![ContactPoint {
                    channel: ContactChannel::Phone,
                    address: "+15125550100".into(),
                    kind: ContactPointKind::Personal,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-TZ", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(3, 16)).unwrap();
    let queued = books.pending_actions(100).unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].scheduled_at, local(CHICAGO, (2026, 3, 16), 8, 0));
    let update = Command::UpdateDebtor {
        debtor,
        changes: DebtorChanges {
            name: None,
            jurisdiction: None,
            language: None,
            time_zones: Some(vec![CHICAGO.into(), HONOLULU.into()]),
        },
    };
    books.execute("zones", &update).unwrap().accepted().unwrap();
    let pending = books.pending_actions(100).unwrap();
    assert!(pending.is_empty(), "a call at 04:00 in Honolulu is still queued: {pending:?}");
}

/// 12 CFR 1006.14(b)(2)(i)(A) (V1): the 7 consecutive days hold the calls placed in them. A
/// queued call reported sent a day late (scheduled Monday 2 Feb, sent Tuesday 3 Feb, not yet
/// acknowledged) was placed on Tuesday: with six calls on 4 to 9 Feb, 3 to 9 Feb holds seven
/// and an eighth on Monday 9 Feb is refused.
#[test]
fn reg_f_1006_14_b_2_i_a_a_call_reported_sent_counts_when_it_was_sent() {
    let (_dir, books) = open_temp();
    let account = account(&books, "A-SENT");
    let debtor = books.account(account).unwrap().unwrap().debtor;
    let point = Command::SetContactPoint {
        debtor,
        point: ContactPoint {
            channel: ContactChannel::Phone,
            address: "+15125550100".into(),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        },
        evidence: None,
    };
    books.execute("point", &point).unwrap().accepted().unwrap();
    let callback = Command::RequestCallback {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15125550100".into(),
        at: local(CHICAGO, (2026, 2, 2), 10, 0),
    };
    let scheduled = books.execute("callback", &callback).unwrap().outcome;
    let Outcome::Scheduled { action } = scheduled else { panic!("{scheduled:?}") };
    let sent = Command::MarkSent { action, at: local(CHICAGO, (2026, 2, 3), 10, 0) };
    books.execute("sent", &sent).unwrap().accepted().unwrap();
    for day in 4..=9 {
        let outbound = Command::RecordOutbound {
            debtor,
            accounts: vec![account],
            channel: ContactChannel::Phone,
            address: "+15125550100".into(),
            at: local(CHICAGO, (2026, 2, day), 10, 0),
            outcome: ContactOutcome::NoAnswer,
        };
        books.execute(&format!("call-{day}"), &outbound).unwrap().accepted().unwrap();
    }
    let inputs = books.guardrail_inputs(debtor, &[]).unwrap();
    let proposal = call(CHICAGO).person(debtor.get()).debts(&[&account.to_string()]);
    assert_refused(
        &proposal.at(&us(), local(CHICAGO, (2026, 2, 9), 15, 0), &inputs.history, &inputs.flags),
        "us-federal.call-7-in-7",
    );
}

/// A debtor in Texas with a phone point, collected by a third-party collector (Regulation F
/// applies) whose policy calls, texts and e-mails every day ([`Rogue`]).
fn texas_debtor_called_daily(
    books: &mut arrears::Arrears,
) -> (arrears::ids::DebtorId, arrears::ids::AccountId) {
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec![CHICAGO.into()],
                language: "en".into(),
                contact_points: vec![ContactPoint {
                    channel: ContactChannel::Phone,
                    address: "+15125550100".into(),
                    kind: ContactPointKind::Personal,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(books, debtor, "A-CONSENT", Terms::default(), None);
    charge(books, "c1", account, d(1, 1), d(1, 31), 50_000);
    (debtor, account)
}

/// 12 CFR 1006.14(b)(3)(i) (V1; the consent can end early: CFPB FAQ, V2): calls placed with
/// the person's prior consent are excluded from the 7-in-7 count and the conversation
/// cool-down, for as long as the consent holds. The debtor consents at 07:00 on Monday and
/// speaks about the debt on the phone at 07:30; the cycle then queues a call for 08:00, which
/// the consent allows. The consent is withdrawn before the call goes out: the call is now in
/// the conversation's cool-down (1006.14(b)(2)(i)(B)) and is cancelled (reason
/// `consent_withdrawn`); the next cycle does not queue one before the cool-down ends.
#[test]
fn reg_f_1006_14_b_3_i_withdrawn_consent_cancels_the_calls_it_allowed() {
    let (_dir, mut books) = open_temp();
    let (debtor, account) = texas_debtor_called_daily(&mut books);
    let consent = |call_consent| Command::ChangeRestrictions {
        debtor,
        changes: RestrictionChanges {
            call_consent: Some(call_consent),
            ..RestrictionChanges::default()
        },
    };
    let given = consent(CallConsent::GivenAt(local(CHICAGO, (2026, 3, 16), 7, 0)));
    books.execute("consent", &given).unwrap().accepted().unwrap();
    let conversation = Command::RecordInbound {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15125550100".into(),
        at: local(CHICAGO, (2026, 3, 16), 7, 30),
        outcome: ContactOutcome::RightParty,
    };
    books.execute("inbound", &conversation).unwrap().accepted().unwrap();
    books.run_cycle(d(3, 16)).unwrap();
    let calls = |books: &arrears::Arrears| -> Vec<_> {
        books
            .pending_actions(100)
            .unwrap()
            .into_iter()
            .filter(|action| action.channel == ContactChannel::Phone)
            .collect()
    };
    let queued = calls(&books);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].scheduled_at, local(CHICAGO, (2026, 3, 16), 8, 0));
    let withdrawn = books.execute("withdrawn", &consent(CallConsent::Cleared)).unwrap().outcome;
    let Outcome::DebtorUpdated { cancelled, .. } = withdrawn else { panic!("{withdrawn:?}") };
    assert_eq!(cancelled, vec![queued[0].id]);
    assert!(calls(&books).is_empty(), "{:?}", calls(&books));
    books.run_cycle(d(3, 17)).unwrap();
    let requeued = calls(&books);
    assert!(
        requeued.iter().all(|action| local(CHICAGO, (2026, 3, 23), 0, 0) <= action.scheduled_at),
        "a call queued inside the cool-down: {requeued:?}"
    );
}

/// 12 CFR 1006.14(b)(2)(i)(A) (V1): more than 7 calls within 7 consecutive days is presumed
/// to violate the rule, whoever placed them. Six calls were made on Tuesday 10 to Sunday 15
/// March and the cycle queued a seventh for Monday 16 March, 08:00; an agent then calls at
/// 07:45 outside the outbox (`RecordOutbound`): the queued call would be the eighth in 10 to
/// 16 March and is cancelled (reason `contact_cap`); a call the debtor asked for stays.
#[test]
fn reg_f_1006_14_b_2_i_a_a_call_made_outside_the_outbox_cancels_the_queued_eighth() {
    let (_dir, mut books) = open_temp();
    let (debtor, account) = texas_debtor_called_daily(&mut books);
    let record = |books: &arrears::Arrears, key: &str, at| {
        let outbound = Command::RecordOutbound {
            debtor,
            accounts: vec![account],
            channel: ContactChannel::Phone,
            address: "+15125550100".into(),
            at,
            outcome: ContactOutcome::NoAnswer,
        };
        books.execute(key, &outbound).unwrap().outcome
    };
    for day in 10..=15 {
        record(&books, &format!("call-{day}"), local(CHICAGO, (2026, 3, day), 10, 0));
    }
    books.run_cycle(d(3, 16)).unwrap();
    let calls = |books: &arrears::Arrears| -> Vec<_> {
        books
            .pending_actions(100)
            .unwrap()
            .into_iter()
            .filter(|action| action.channel == ContactChannel::Phone)
            .collect()
    };
    let queued = calls(&books);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].scheduled_at, local(CHICAGO, (2026, 3, 16), 8, 0));
    // A callback the debtor asks for on Saturday 21 March: the debtor's request stays.
    let callback = Command::RequestCallback {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+15125550100".into(),
        at: local(CHICAGO, (2026, 3, 21), 10, 0),
    };
    books.execute("callback", &callback).unwrap().accepted().unwrap();
    let recorded = record(&books, "agent", local(CHICAGO, (2026, 3, 16), 7, 45));
    let Outcome::DebtorUpdated { cancelled, .. } = recorded else { panic!("{recorded:?}") };
    assert_eq!(cancelled, vec![queued[0].id]);
    let left = calls(&books);
    assert!(left.iter().all(|action| action.template == "callback"), "{left:?}");
    assert_eq!(left.len(), 1, "{left:?}");
}

/// 12 CFR 1006.14(h)(1) (V1): no communication through a medium the person asked not to be
/// used. The guardrails read texts as one medium (SMS and messaging apps, `ChannelGroup::Text`):
/// an SMS opt-out at a number refuses a messaging-app message to it. A message queued on a
/// messaging app before the debtor opted out of texts at the number (the number written
/// another way), or of SMS as a channel, must not go out either: it is cancelled (reason
/// `opted_out`), while the call queued to the number stays.
#[test]
fn reg_f_1006_14_h_1_a_text_opt_out_cancels_queued_messaging_app_messages() {
    for by_channel in [false, true] {
        let (_dir, mut books) = open_temp();
        books.register_strategy(Arc::new(Rogue));
        let text = aggressive_policy().replace("\"sms\"", "\"messaging\"");
        let policy = Command::SetPolicy { file: "aggressive.toml".into(), text };
        let set = books.execute("policy", &policy).unwrap().outcome;
        assert!(matches!(set, Outcome::PolicySet { .. }), "{set:?}");
        let point = |channel, address: &str| ContactPoint {
            channel,
            address: address.into(),
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
                    name: "Rae".into(),
                    jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                    time_zones: vec![CHICAGO.into()],
                    language: "en".into(),
                    contact_points: vec![
                        point(ContactChannel::Phone, "+15125550100"),
                        point(ContactChannel::Messaging, "+15125550100"),
                        point(ContactChannel::Sms, "(512) 555-0100"),
                    ],
                    flags: DebtorFlags::default(),
                }),
            )
            .unwrap()
            .outcome;
        let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
        let account = account_with(&books, debtor, "A-TEXT", Terms::default(), None);
        charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
        books.run_cycle(d(3, 16)).unwrap();
        let on = |books: &arrears::Arrears, channel| -> Vec<_> {
            books
                .pending_actions(100)
                .unwrap()
                .into_iter()
                .filter(|action| action.channel == channel)
                .collect()
        };
        let queued = on(&books, ContactChannel::Messaging);
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert_eq!(on(&books, ContactChannel::Phone).len(), 1);
        let command = if by_channel {
            Command::ChangeRestrictions {
                debtor,
                changes: RestrictionChanges {
                    opted_out_channels: Some(vec![ContactChannel::Sms]),
                    ..RestrictionChanges::default()
                },
            }
        } else {
            Command::SetContactPoint {
                debtor,
                point: ContactPoint {
                    opted_out: true,
                    ..point(ContactChannel::Sms, "(512) 555-0100")
                },
                evidence: None,
            }
        };
        let changed = books.execute("stop", &command).unwrap().outcome;
        let Outcome::DebtorUpdated { cancelled, .. } = changed else { panic!("{changed:?}") };
        assert_eq!(cancelled, vec![queued[0].id], "by channel: {by_channel}");
        assert!(on(&books, ContactChannel::Messaging).is_empty());
        assert_eq!(on(&books, ContactChannel::Phone).len(), 1);
    }
}

/// 6 RCNY 5-77 (V2): no more than 3 contacts or attempts per account in any 7-day period,
/// across all channels. The cycle queues a call, an e-mail and a text for Monday 08:00 (three
/// attempts); an agent's call recorded at 07:00 makes four: one queued action is cancelled
/// (reason `contact_cap`), not all three, since two of them with the agent's call are within
/// the cap.
#[test]
fn nyc_6_rcny_5_77_a_recorded_call_cancels_only_the_queued_action_over_the_cap() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let point = |channel, address: &str| ContactPoint {
        channel,
        address: address.into(),
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
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("NYC".into()) },
                time_zones: vec![NEW_YORK.into()],
                language: "en".into(),
                contact_points: vec![
                    point(ContactChannel::Phone, "+12125550100"),
                    point(ContactChannel::Email, "rae@example.com"),
                    point(ContactChannel::Sms, "+12125550100"),
                ],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-NYC", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(3, 16)).unwrap();
    let queued = books.pending_actions(100).unwrap();
    assert_eq!(queued.len(), 3, "{queued:?}");
    let outbound = Command::RecordOutbound {
        debtor,
        accounts: vec![account],
        channel: ContactChannel::Phone,
        address: "+12125550100".into(),
        at: local(NEW_YORK, (2026, 3, 16), 7, 0),
        outcome: ContactOutcome::NoAnswer,
    };
    let recorded = books.execute("agent", &outbound).unwrap().outcome;
    let Outcome::DebtorUpdated { cancelled, .. } = recorded else { panic!("{recorded:?}") };
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(books.pending_actions(100).unwrap().len(), 2);
}

/// Ley 2300 de 2023, art. 3 (V2): once contact is made, no further contact the same day, on
/// any channel. The cycle queued a call, an e-mail and a text for Monday 08:00 for a debtor in
/// Texas; the debtor is found to live in Colombia (`UpdateDebtor`): only one of the three may
/// go out that day, the others are cancelled (reason `contact_cap`).
#[test]
fn co_ley_2300_art_3_a_move_to_colombia_cancels_the_contacts_over_one_a_day() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let point = |channel, address: &str| ContactPoint {
        channel,
        address: address.into(),
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
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec![CHICAGO.into()],
                language: "en".into(),
                contact_points: vec![
                    point(ContactChannel::Phone, "+573001234567"),
                    point(ContactChannel::Email, "rae@example.com"),
                    point(ContactChannel::Sms, "+573001234567"),
                ],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-CO", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(3, 16)).unwrap();
    let queued = books.pending_actions(100).unwrap();
    assert_eq!(queued.len(), 3, "{queued:?}");
    let update = Command::UpdateDebtor {
        debtor,
        changes: DebtorChanges {
            name: None,
            jurisdiction: Some(Jurisdiction { country: "CO".into(), region: None }),
            language: None,
            time_zones: Some(vec![BOGOTA.into()]),
        },
    };
    let updated = books.execute("moved", &update).unwrap().outcome;
    let Outcome::DebtorUpdated { cancelled, .. } = updated else { panic!("{updated:?}") };
    assert_eq!(cancelled.len(), 2, "{cancelled:?}");
    assert_eq!(books.pending_actions(100).unwrap().len(), 1);
}

/// Ley 2300 de 2023, art. 2 (V2): a collector contacts a Colombian debtor only through the
/// channels the debtor authorised. A call queued for a debtor in Texas, to a number the debtor
/// never authorised for calls, still went out after the debtor was found to live in Colombia:
/// the move checked the hours and the caps only. It is cancelled now (reason
/// `jurisdiction_rules`), before the caps count what is left, so the authorised e-mail stays
/// (before, the one-a-day cap kept the call and cancelled the e-mail).
#[test]
fn co_ley_2300_art_2_a_move_to_colombia_cancels_contacts_on_unauthorised_channels() {
    let (_dir, mut books) = open_temp();
    books.register_strategy(Arc::new(Rogue));
    let policy = Command::SetPolicy { file: "aggressive.toml".into(), text: aggressive_policy() };
    assert!(matches!(books.execute("policy", &policy).unwrap().outcome, Outcome::PolicySet { .. }));
    let point = |channel, address: &str, consent| ContactPoint {
        channel,
        address: address.into(),
        kind: ContactPointKind::Personal,
        consent,
        opted_out: false,
    };
    let created = books
        .execute(
            "debtor",
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: "Rae".into(),
                jurisdiction: Jurisdiction { country: "US".into(), region: Some("TX".into()) },
                time_zones: vec![CHICAGO.into()],
                language: "en".into(),
                contact_points: vec![
                    point(ContactChannel::Phone, "+573001234567", false),
                    point(ContactChannel::Email, "rae@example.com", true),
                    point(ContactChannel::Sms, "+573001234567", false),
                ],
                flags: DebtorFlags::default(),
            }),
        )
        .unwrap()
        .outcome;
    let Outcome::DebtorCreated(debtor) = created else { panic!("{created:?}") };
    let account = account_with(&books, debtor, "A-CO", Terms::default(), None);
    charge(&books, "c1", account, d(1, 1), d(1, 31), 50_000);
    books.run_cycle(d(3, 16)).unwrap();
    // The call and the e-mail (a text needs the consent the number lacks, in Texas too).
    let channels = |actions: Vec<arrears::case::Action>| {
        actions.into_iter().map(|action| action.channel).collect::<Vec<_>>()
    };
    let queued = channels(books.pending_actions(100).unwrap());
    assert!(queued.contains(&ContactChannel::Phone), "{queued:?}");
    assert!(queued.contains(&ContactChannel::Email), "{queued:?}");
    let update = Command::UpdateDebtor {
        debtor,
        changes: DebtorChanges {
            name: None,
            jurisdiction: Some(Jurisdiction { country: "CO".into(), region: None }),
            language: None,
            time_zones: Some(vec![BOGOTA.into()]),
        },
    };
    let updated = books.execute("moved", &update).unwrap().outcome;
    let Outcome::DebtorUpdated { cancelled, .. } = updated else { panic!("{updated:?}") };
    assert_eq!(cancelled.len(), queued.len() - 1, "{cancelled:?}");
    assert_eq!(channels(books.pending_actions(100).unwrap()), [ContactChannel::Email]);
    for action in books.actions_of(debtor).unwrap() {
        if action.channel != ContactChannel::Email {
            assert!(
                matches!(
                    action.status,
                    arrears::case::ActionStatus::Cancelled {
                        reason: arrears::case::CancelReason::JurisdictionRules,
                        ..
                    }
                ),
                "{action:?}"
            );
        }
    }
}
