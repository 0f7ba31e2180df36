use arrears_plugin_sdk::abi::{
    ContactHistoryEntry, ContactRequestInput, CHANNEL_EMAIL, CHANNEL_PHONE, CHANNEL_SMS,
};
use arrears_plugin_sdk::{ContactPointView, ContactRequestView, Host, Plugin, Proposal};

use super::ContactLadder;

/// 2026-03-02, a Monday.
const MONDAY: i32 = 20_514;

fn raw(score: Option<f64>) -> ContactRequestInput {
    ContactRequestInput {
        debtor_id: 1,
        as_of_days: MONDAY,
        utc_offset_minutes: -300,
        score_points: score.unwrap_or(0.0),
        has_score: u32::from(score.is_some()),
        reserved: 0,
        steps: std::ptr::null(),
        step_count: 0,
        contact_points: std::ptr::null(),
        contact_point_count: 0,
        history: std::ptr::null(),
        history_count: 0,
    }
}

fn point(channel: u32, consent: bool, opted_out: bool) -> ContactPointView<'static> {
    ContactPointView { address: "x", channel, kind: 0, consent, opted_out }
}

fn attempt(local_hour: i64, days_before: i64, right_party: bool) -> ContactHistoryEntry {
    let local = (i64::from(MONDAY) - days_before) * 86_400 + local_hour * 3600;
    ContactHistoryEntry {
        at_unix_us: (local + 300 * 60) * 1_000_000,
        channel: CHANNEL_PHONE,
        right_party: u8::from(right_party),
        inbound: 0,
        reserved: [0; 2],
    }
}

fn check(
    score: Option<f64>,
    points: Vec<ContactPointView<'static>>,
    history: &[ContactHistoryEntry],
) -> Option<(usize, String, i64)> {
    let ladder = ContactLadder::init("", Host::none()).unwrap();
    let raw = raw(score);
    let view = ContactRequestView {
        raw: &raw,
        steps: vec![(CHANNEL_EMAIL, "email_1"), (CHANNEL_SMS, "sms_1"), (CHANNEL_PHONE, "call_1")],
        step_tones: vec![arrears_plugin_sdk::abi::TONE_NONE; 3],
        contact_points: points,
        history,
    };
    let proposals = ladder.propose(&view).unwrap();
    proposals.first().map(|Proposal { contact_point_index, template, at_unix_us }| {
        let local_hour = (at_unix_us / 1_000_000 - 300 * 60).rem_euclid(86_400) / 3600;
        (*contact_point_index, template.clone(), local_hour)
    })
}

#[test]
fn escalates_by_score_and_respects_consent() {
    let points = || {
        vec![
            point(CHANNEL_EMAIL, false, true),
            point(CHANNEL_SMS, false, false),
            point(CHANNEL_PHONE, false, false),
            point(CHANNEL_SMS, true, false),
        ]
    };
    // E-mail is opted out, the first SMS address lacks consent.
    assert_eq!(check(None, points(), &[]), Some((3, "sms_1".to_owned(), 10)));
    assert_eq!(check(Some(300.0), points(), &[]), Some((2, "call_1".to_owned(), 10)));
    assert_eq!(check(Some(800.0), points(), &[]), Some((3, "sms_1".to_owned(), 10)));
    assert_eq!(check(None, vec![point(CHANNEL_SMS, false, false)], &[]), None);
}

#[test]
fn send_hour_follows_right_party_contacts() {
    let history: Vec<ContactHistoryEntry> = (1..=4)
        .flat_map(|week| [attempt(9, 7 * week, false), attempt(18, 7 * week, true)])
        .collect();
    let phone_only = || vec![point(CHANNEL_PHONE, false, false)];
    assert_eq!(check(Some(300.0), phone_only(), &history), Some((0, "call_1".to_owned(), 18)));
    // Three unanswered calls in two weeks: escalate to the next channel when there is one.
    let unanswered = [attempt(9, 3, false), attempt(9, 2, false), attempt(9, 1, false)];
    let both = vec![point(CHANNEL_PHONE, false, false), point(CHANNEL_EMAIL, true, false)];
    assert_eq!(check(Some(300.0), both, &unanswered), Some((1, "email_1".to_owned(), 10)));
}
