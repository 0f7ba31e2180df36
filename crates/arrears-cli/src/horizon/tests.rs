//! The horizon's boundary and wording.

use chrono::TimeZone;

use super::*;

fn horizon(allow_future: bool) -> Horizon {
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 23, 59, 0).single().unwrap();
    Horizon::new(now, &Policy::default_policy(), allow_future)
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn the_last_day_of_the_horizon_is_accepted_and_the_next_refused() {
    let horizon = horizon(false);
    assert_eq!(horizon.refusal("--as-of", date("2026-04-01")), None);
    let refusal = horizon.refusal("--as-of", date("2026-04-02")).unwrap();
    assert_eq!(
        refusal,
        "--as-of 2026-04-02 is 32 days after today (2026-03-01); the policy's horizon is 31 \
         days ([dates] future_days_max); pass --allow-future if the date is right"
    );
    assert_eq!(horizon.refusal("--as-of", date("2020-01-01")), None);
}

#[test]
fn allow_future_accepts_any_date() {
    assert_eq!(horizon(true).refusal("--as-of", date("2099-01-01")), None);
}
