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
    let snapshot = |state, outstanding, cash, bad_debt| Snapshot {
        state,
        outstanding,
        cash,
        bad_debt,
        fallen_due: 0,
    };
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

#[test]
fn a_mean_difference_has_welchs_interval() {
    let first = [1.0, 2.0, 3.0, 4.0];
    let second = [0.0, 0.0, 1.0, 1.0];
    let difference = MeanDifference::of(&first, &second).expect("two samples");
    assert_eq!(difference.difference, 2.0);
    // Variances 5/3 and 1/3, four values each: error sqrt(0.5).
    let half_width = 1.96 * 0.5_f64.sqrt();
    assert!((difference.high - 2.0 - half_width).abs() < 1e-12);
    assert!((2.0 - difference.low - half_width).abs() < 1e-12);
    assert!(difference.significant());
    assert!(MeanDifference::of(&[1.0], &second).is_none());
    let same = MeanDifference::of(&second, &second).expect("two samples");
    assert!(!same.significant());
}

fn sample(arm: &str, fallen_due: i64, collected: i64, contacts: u64) -> AccountSample {
    AccountSample {
        account: AccountId(0),
        arm: arm.to_owned(),
        currency: Currency::USD,
        collected,
        fallen_due,
        contacts,
    }
}

#[test]
fn the_adjustment_for_what_fell_due_narrows_the_interval_and_keeps_the_difference() {
    // Each account pays what it is billed, and the champion's accounts 10 more: the bills
    // differ widely, so unadjusted the difference is lost in their spread.
    let mut accounts = Vec::new();
    for (index, billed) in [100, 5_000, 300, 20_000, 800, 1_000, 12_000, 50].iter().enumerate() {
        let wobble = (index % 3) as i64;
        accounts.push(sample("champion", *billed, billed + 10 + wobble, 2));
        accounts.push(sample("challenger", *billed + 7, billed + 7 + wobble, 3 + wobble as u64));
    }
    let money = Money { accounts, ..Money::default() };
    let differences = money.arm_differences("champion", "challenger").expect("two arms");
    assert!((differences.collected_minor.difference - 10.0).abs() < 0.5);
    assert!(differences.collected_minor.significant());
    assert!(!differences.collected_unadjusted_minor.significant());
    assert!(differences.contacts.difference < 0.0);
    assert!(differences.contacts.significant());
    assert!(money.arm_differences("champion", "nobody").is_none());
}
