use super::*;
use crate::model::ContactPointKind;
use crate::money::Currency;

fn features(days_past_due: i64) -> Features {
    Features {
        account: AccountId(1),
        debtor: DebtorId(1),
        product: ProductKind::Revolving,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        currency: Currency::USD,
        days_past_due,
        total_outstanding_minor: 10_000,
        past_due_minor: 5_000,
        credit_limit_minor: Some(50_000),
        months_on_book: 12,
        payments_90d: 0,
        paid_90d_minor: 0,
        reversals_90d: 0,
        broken_promises: 0,
        kept_promises: 0,
        attempts_30d: 0,
        right_party_contacts_30d: 0,
        calls_30d: 0,
    }
}

fn point(channel: ContactChannel, consent: bool, opted_out: bool) -> ContactPoint {
    ContactPoint {
        channel,
        address: format!("{channel:?}"),
        kind: ContactPointKind::Personal,
        consent,
        opted_out,
    }
}

#[test]
fn rules_scorer_lowers_for_delinquency_and_names_the_reasons() {
    let current = RulesScorer::score(&features(0));
    assert_eq!(current.points, 600.0);
    assert_eq!(current.band, "medium_risk");
    assert!(current.reasons.is_empty());
    let mut late = features(60);
    late.broken_promises = 2;
    late.reversals_90d = 1;
    let score = RulesScorer::score(&late);
    assert_eq!(score.points, 600.0 - 90.0 - 120.0 - 50.0);
    assert_eq!(score.band, "very_high_risk");
    assert_eq!(score.reasons, vec!["broken_promises", "days_past_due", "reversed_payments"]);
    let mut payer = features(5);
    payer.payments_90d = 4;
    payer.kept_promises = 1;
    assert_eq!(RulesScorer::score(&payer).band, "low_risk");
    let mut worst = features(360);
    worst.broken_promises = 5;
    assert_eq!(RulesScorer::score(&worst).points, SCORE_MIN);
}

#[test]
fn ladder_takes_the_first_usable_step_at_ten_local() {
    let request = ContactRequest {
        debtor: DebtorId(9),
        accounts: vec![AccountId(2), AccountId(3)],
        as_of: "2026-11-23".parse().unwrap(),
        steps: vec![
            ContactStep { channel: ContactChannel::Sms, template: "sms-1".into(), tone: None },
            ContactStep { channel: ContactChannel::Email, template: "email-1".into(), tone: None },
        ],
        contact_points: vec![
            point(ContactChannel::Sms, false, false),
            point(ContactChannel::Email, false, false),
        ],
        time_zones: vec!["America/Chicago".into()],
        score: None,
        history: Vec::new(),
    };
    let proposals = ChannelLadder::default().propose_batch(std::slice::from_ref(&request)).unwrap();
    assert_eq!(proposals.len(), 1);
    // SMS without consent is skipped; e-mail needs none.
    assert_eq!(proposals[0].channel, ContactChannel::Email);
    assert_eq!(proposals[0].template, "email-1");
    assert_eq!(proposals[0].accounts, vec![AccountId(2), AccountId(3)]);
    assert_eq!(proposals[0].at, "2026-11-23T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
    let mut opted_out = request.clone();
    opted_out.contact_points = vec![point(ContactChannel::Email, true, true)];
    assert!(ChannelLadder::default().propose_batch(&[opted_out]).unwrap().is_empty());
}

#[test]
fn local_instants_across_daylight_saving() {
    // 2026-03-08: US clocks spring forward at 02:00; 02:00 does not exist in Chicago.
    let gap = local_instant("2026-03-08".parse().unwrap(), 2, "America/Chicago").unwrap();
    // 02:00 and 02:30 do not exist; 03:00 CDT (UTC-5) is the next valid local time.
    assert_eq!(gap, "2026-03-08T08:00:00Z".parse::<DateTime<Utc>>().unwrap());
    // 2026-11-01: 01:00 happens twice; the earlier one (CDT, UTC-5) is taken.
    let ambiguous = local_instant("2026-11-01".parse().unwrap(), 1, "America/Chicago").unwrap();
    assert_eq!(ambiguous, "2026-11-01T06:00:00Z".parse::<DateTime<Utc>>().unwrap());
    assert_eq!(local_instant("2026-11-01".parse().unwrap(), 10, "Mars/Base"), None);
}
