use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn request(
    balance_minor: i64,
    rate: &str,
    installments: u32,
    frequency: Frequency,
) -> QuoteRequest {
    QuoteRequest {
        balance_minor,
        currency: Currency::USD,
        annual_rate: rate.parse().unwrap(),
        installments,
        frequency,
        first_due: date("2027-01-01"),
        rounding: RoundingRule::HalfEven,
    }
}

#[test]
fn the_issue_example_schedule() {
    // 10,000 at 5% over 36 months: the textbook payment is 299.709..., so 299.71.
    let schedule = quote(&request(1_000_000, "0.05", 36, Frequency::Monthly)).unwrap();
    assert_eq!(schedule.installments.len(), 36);
    assert_eq!(schedule.level_minor, 29_971);
    let first = &schedule.installments[0];
    assert_eq!((first.n, first.due_on), (1, date("2027-01-01")));
    // Interest of the first month: 10,000 * 0.05 / 12 = 41.666... -> 41.67.
    assert_eq!(first.interest_minor, 4_167);
    assert_eq!(first.principal_minor, 29_971 - 4_167);
    assert_eq!(first.remaining_minor, 1_000_000 - (29_971 - 4_167));
    let last = schedule.installments.last().unwrap();
    assert_eq!(last.due_on, date("2029-12-01"));
    assert_eq!(last.remaining_minor, 0);
    // The last installment absorbs the rounding: within a few cents of the level.
    assert!((last.amount_minor - 29_971).abs() < 36);
    assert_eq!(
        schedule.total_minor,
        schedule.installments.iter().map(|i| i.amount_minor).sum::<i64>()
    );
    assert_eq!(schedule.total_minor - schedule.total_interest_minor, 1_000_000);
}

#[test]
fn zero_rate_splits_evenly() {
    let schedule = quote(&request(10_000, "0", 3, Frequency::Weekly)).unwrap();
    let amounts: Vec<i64> = schedule.installments.iter().map(|i| i.amount_minor).collect();
    assert_eq!(amounts, vec![3_334, 3_333, 3_333]);
    assert_eq!(schedule.installments[2].due_on, date("2027-01-15"));
    assert_eq!(schedule.total_interest_minor, 0);
}

#[test]
fn quote_refuses_out_of_range_requests() {
    assert_eq!(
        quote(&request(0, "0", 3, Frequency::Monthly)),
        Err(QuoteError::Balance { balance_minor: 0 })
    );
    assert_eq!(
        quote(&request(100, "0", 0, Frequency::Monthly)),
        Err(QuoteError::Installments { installments: 0 })
    );
    assert!(matches!(
        quote(&request(100, "-0.01", 3, Frequency::Monthly)),
        Err(QuoteError::Rate { .. })
    ));
    assert!(matches!(
        quote(&request(100, "0", INSTALLMENTS_MAX + 1, Frequency::Weekly)),
        Err(QuoteError::Installments { .. })
    ));
}

#[test]
fn affordability_uses_the_monthly_equivalent() {
    let share: Decimal = "0.40".parse().unwrap();
    assert_eq!(check_affordable(300_000, 180_000, 48_000, Frequency::Monthly, share), Ok(()));
    assert_eq!(
        check_affordable(300_000, 180_000, 48_001, Frequency::Monthly, share),
        Err(Unaffordable::AboveAffordableShare {
            monthly_minor: 48_001,
            affordable_minor: 48_000,
            share,
            disposable_minor: 120_000
        })
    );
    // 22,154 a fortnight is 48,000.33 a month, rounded up to 48,001.
    assert!(check_affordable(300_000, 180_000, 22_154, Frequency::Fortnightly, share).is_err());
    assert!(check_affordable(300_000, 180_000, 22_153, Frequency::Fortnightly, share).is_ok());
    assert!(matches!(
        check_affordable(100_000, 100_000, 1, Frequency::Monthly, share),
        Err(Unaffordable::NoDisposableIncome { .. })
    ));
}

#[test]
fn promise_rules() {
    let made_on = date("2026-11-01");
    let share: Decimal = "0.25".parse().unwrap();
    let one = |on: &str, amount_minor| vec![PromisedPayment { on: date(on), amount_minor }];
    assert_eq!(check_promise(&one("2026-11-10", 2_500), made_on, 10_000, 14, share), Ok(()));
    assert!(matches!(
        check_promise(&one("2026-11-10", 2_499), made_on, 10_000, 14, share),
        Err(PromiseRefused::BelowMinimumShare { min_minor: 2_500, .. })
    ));
    assert!(matches!(
        check_promise(&one("2026-11-16", 5_000), made_on, 10_000, 14, share),
        Err(PromiseRefused::TooFarOut { .. })
    ));
    assert!(matches!(
        check_promise(&one("2026-10-31", 5_000), made_on, 10_000, 14, share),
        Err(PromiseRefused::InThePast { .. })
    ));
    assert!(matches!(
        check_promise(&one("2026-11-02", 0), made_on, 10_000, 14, share),
        Err(PromiseRefused::AmountNotPositive { .. })
    ));
    assert_eq!(check_promise(&[], made_on, 10_000, 14, share), Err(PromiseRefused::Empty));
}

#[test]
fn promise_kept_broken_and_open() {
    let made_on = date("2026-11-01");
    let promised = [
        PromisedPayment { on: date("2026-11-05"), amount_minor: 1_000 },
        PromisedPayment { on: date("2026-11-12"), amount_minor: 1_000 },
    ];
    // Nothing paid: open until Nov 5 + 2 grace days, broken after.
    assert_eq!(promise_status(&promised, &[], made_on, 2, date("2026-11-07")), None);
    assert_eq!(promise_status(&promised, &[], made_on, 2, date("2026-11-08")), Some(false));
    // A partial payment counts toward the first date; still short, so broken after grace.
    let partial = [(date("2026-11-06"), 600)];
    assert_eq!(promise_status(&promised, &partial, made_on, 2, date("2026-11-08")), Some(false));
    // First covered, second open, then kept.
    let first = [(date("2026-11-04"), 1_000)];
    assert_eq!(promise_status(&promised, &first, made_on, 2, date("2026-11-10")), None);
    let both = [(date("2026-11-04"), 1_000), (date("2026-11-14"), 1_000)];
    assert_eq!(promise_status(&promised, &both, made_on, 2, date("2026-11-20")), Some(true));
    // Payments before the promise was made do not count.
    let early = [(date("2026-10-31"), 5_000)];
    assert_eq!(promise_status(&promised, &early, made_on, 2, date("2026-11-08")), Some(false));
}

proptest! {
    #[test]
    fn schedules_sum_exactly(
        balance_minor in 1i64..100_000_000,
        rate_bp in 0u32..5_000,
        installments in 1u32..120,
        frequency in prop_oneof![Just(Frequency::Weekly), Just(Frequency::Fortnightly), Just(Frequency::Monthly)],
    ) {
        let mut request = request(balance_minor, "0", installments, frequency);
        request.annual_rate = Decimal::new(i64::from(rate_bp), 4);
        let schedule = quote(&request).unwrap();
        prop_assert_eq!(schedule.installments.len(), installments as usize);
        let principal: i64 = schedule.installments.iter().map(|i| i.principal_minor).sum();
        prop_assert_eq!(principal, balance_minor);
        let total: i64 = schedule.installments.iter().map(|i| i.amount_minor).sum();
        prop_assert_eq!(total, schedule.total_minor);
        prop_assert_eq!(schedule.total_minor - schedule.total_interest_minor, balance_minor);
        prop_assert_eq!(schedule.installments.last().unwrap().remaining_minor, 0);
        let mut remaining = balance_minor;
        for (index, installment) in schedule.installments.iter().enumerate() {
            prop_assert!(installment.principal_minor >= 0 && installment.interest_minor >= 0);
            prop_assert_eq!(installment.amount_minor, installment.principal_minor + installment.interest_minor);
            remaining -= installment.principal_minor;
            prop_assert_eq!(installment.remaining_minor, remaining);
            if index + 1 < schedule.installments.len() && !request.annual_rate.is_zero() {
                prop_assert_eq!(installment.amount_minor, schedule.level_minor);
            }
        }
    }
}
