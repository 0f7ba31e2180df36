use chrono::NaiveDate;

use super::*;

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

#[test]
fn points_are_the_day_before_each_month_end_and_the_last_day() {
    assert_eq!(
        points(day("2026-01-01"), day("2026-03-15")),
        [day("2025-12-31"), day("2026-01-31"), day("2026-02-28"), day("2026-03-15")]
    );
    // A period ending on a month end has it once.
    assert_eq!(
        points(day("2026-02-10"), day("2026-02-28")),
        [day("2026-02-09"), day("2026-02-28")]
    );
}

#[test]
fn months_are_the_differences_between_points_and_rolls_weigh_by_balance() {
    let snapshot =
        |state, outstanding, cash, bad_debt| Snapshot { state, outstanding, cash, bad_debt };
    let mut figures = CurrencyMoney::default();
    let at_points =
        [snapshot(0, 100, 0, 0), snapshot(1, 80, 20, 0), snapshot(CHARGED_OFF, 80, 20, 80)];
    add_account(&mut figures, &at_points, &at_points);
    assert_eq!(figures.collected, [20, 0]);
    assert_eq!(figures.charged_off, [0, 80]);
    assert_eq!(CurrencyMoney::delinquent(&figures.aging[0]), 80);
    assert_eq!(CurrencyMoney::delinquent(&figures.aging[1]), 0);
    assert_eq!(figures.aging[1][CHARGED_OFF], 80);
    assert_eq!(figures.roll_balance[0][1], 100);
    assert_eq!(figures.roll_balance[1][CHARGED_OFF], 80);
    let rates = rates(&figures.roll_balance);
    assert_eq!(rates[0][1], 1.0);
    assert_eq!(rates[2], vec![0.0; STATES]);
    let mut arm = ArmMoney::default();
    add_to_arm(&mut arm, Currency::USD, &at_points[..2]);
    assert_eq!(arm.by_currency[&Currency::USD], [80, 20, 0]);
    arm.contacts.insert("postal".to_owned(), 2);
    arm.contacts.insert("email".to_owned(), 3);
    assert_eq!(arm.contact_cost_usd_cents(), 2 * 85 + 3);
}
