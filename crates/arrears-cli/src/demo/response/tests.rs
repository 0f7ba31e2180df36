use super::*;

const HOURS: std::ops::Range<u32> = 0..24;
const DAYS: [i64; 9] = [-3, 0, 1, 15, 30, 31, 60, 90, 150];
const TONES: [Option<Tone>; 6] = [
    None,
    Some(Tone::Friendly),
    Some(Tone::Firm),
    Some(Tone::FinalNotice),
    Some(Tone::PlanOffer),
    Some(Tone::SettlementOffer),
];

fn contact(in_language: Option<bool>, tone: Option<Tone>, days_past_due: i64) -> Contact {
    Contact { channel: ContactChannel::Sms, local_hour: 10, in_language, tone, days_past_due }
}

#[test]
fn a_message_in_the_debtors_language_never_lowers_the_chance_to_act() {
    for tone in TONES {
        for days in DAYS {
            let native = contact(Some(true), tone, days).acting();
            let foreign = contact(Some(false), tone, days).acting();
            let generic = contact(None, tone, days).acting();
            assert!(native > foreign, "{tone:?} at {days} days");
            assert!(native > generic, "{tone:?} at {days} days");
        }
    }
}

#[test]
fn older_debts_are_less_likely_to_be_paid() {
    let mut last = f64::INFINITY;
    for days in -5..400 {
        let factor = age(days);
        assert!(factor <= last, "{days} days: {factor} after {last}");
        assert!(factor > 0.0);
        last = factor;
    }
    // The CCAA's survey: 74% at 90 days against 94% for current balances.
    assert!((age(90) - 74.0 / 94.0).abs() < 1e-12);
    assert_eq!(age(0), 1.0);
}

#[test]
fn an_offer_helps_late_and_a_friendly_reminder_helps_early() {
    assert!(tone(Some(Tone::PlanOffer), 60) > tone(Some(Tone::Friendly), 60));
    assert!(tone(Some(Tone::SettlementOffer), 90) > tone(Some(Tone::Firm), 90) * 1.1);
    assert!(tone(Some(Tone::Friendly), -2) > tone(Some(Tone::Firm), -2));
    assert!(tone(Some(Tone::Friendly), 10) > tone(Some(Tone::FinalNotice), 10));
    assert!(tone(Some(Tone::FinalNotice), 90) > tone(Some(Tone::Friendly), 90));
}

#[test]
fn calls_reach_best_in_the_late_afternoon_and_never_at_night() {
    for hour in HOURS {
        assert!(call_hour(hour) <= call_hour(16), "{hour}:00");
        assert!((0.0..=1.0).contains(&call_hour(hour)));
    }
    // Oldroyd et al. (HBR 2011): 164% more contacts at 4-5 pm than at 1-2 pm.
    assert!((call_hour(16) / call_hour(13) - 2.64).abs() < 1e-9);
    for hour in (0..8).chain(21..24) {
        assert_eq!(call_hour(hour), 0.0, "{hour}:00");
    }
}

#[test]
fn texts_are_read_far_more_than_emails_and_the_hour_does_not_matter_to_them() {
    assert!(read_rate(ContactChannel::Sms) > 4.0 * read_rate(ContactChannel::Email));
    for hour in HOURS {
        let mut text = contact(Some(true), None, 5);
        text.local_hour = hour;
        assert_eq!(text.reach(), 0.98);
        let call = Contact { channel: ContactChannel::Phone, ..text };
        assert_eq!(call.reach(), call_hour(hour));
    }
}

#[test]
fn languages_compare_by_their_primary_subtag() {
    assert!(same_language("es", "es-CO"));
    assert!(same_language("ES-mx", "es"));
    assert!(same_language("en", "en"));
    assert!(!same_language("en", "es"));
    assert!(!same_language("es", "en-US"));
}
