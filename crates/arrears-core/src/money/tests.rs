use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

#[test]
fn currency_table_has_the_required_codes() {
    for code in ["USD", "EUR", "GBP", "CAD", "MXN", "COP", "CLP", "PEN", "BRL", "ARS", "JPY", "KWD"]
    {
        let currency = Currency::from_code(code).unwrap();
        assert_eq!(currency.code(), code);
    }
    assert_eq!(Currency::from_code("JPY").unwrap().minor_units(), 0);
    assert_eq!(Currency::from_code("KWD").unwrap().minor_units(), 3);
    let error = Currency::from_code("XXX").unwrap_err();
    assert!(error.to_string().starts_with("unknown currency \"XXX\""));
}

#[test]
fn finer_than_minor_unit_is_an_error_but_trailing_zeros_are_not() {
    assert_eq!(Money::parse("1.230", Currency::USD).unwrap().to_minor(), Ok(123));
    assert!(matches!(
        Money::parse("1.234", Currency::USD).unwrap().to_minor(),
        Err(MoneyError::FinerThanMinorUnit { minor_units: 2, .. })
    ));
    assert!(matches!(
        Money::parse("5.5", Currency::CLP).unwrap().to_minor(),
        Err(MoneyError::FinerThanMinorUnit { minor_units: 0, .. })
    ));
    assert_eq!(Money::parse("1.005", Currency::KWD).unwrap().to_minor(), Ok(1005));
    assert!(Money::parse("abc", Currency::USD).is_err());
    assert!(matches!(
        Money::parse("100000000001", Currency::USD).unwrap().to_minor(),
        Err(MoneyError::OutOfRange { .. })
    ));
}

#[test]
fn mixing_currencies_is_an_error() {
    let usd = Money::from_minor(100, Currency::USD);
    let eur = Money::from_minor(100, Currency::EUR);
    assert!(matches!(usd.checked_add(eur), Err(MoneyError::CurrencyMismatch { .. })));
    assert!(matches!(usd.checked_sub(eur), Err(MoneyError::CurrencyMismatch { .. })));
}

#[test]
fn rounding_rules_at_midpoints() {
    let cases = [
        ("0.125", 12, 13, 12),
        ("0.135", 14, 14, 13),
        ("-0.125", -12, -13, -12),
        ("2.999", 300, 300, 299),
    ];
    for (text, half_even, half_up, toward_zero) in cases {
        let amount: Decimal = text.parse().unwrap();
        assert_eq!(RoundingRule::HalfEven.round(amount, Currency::USD), Ok(half_even), "{text}");
        assert_eq!(RoundingRule::HalfUp.round(amount, Currency::USD), Ok(half_up), "{text}");
        assert_eq!(RoundingRule::TowardZero.round(amount, Currency::USD), Ok(toward_zero));
    }
    assert_eq!(RoundingRule::HalfEven.round("2.5".parse().unwrap(), Currency::JPY), Ok(2));
    assert_eq!(RoundingRule::HalfUp.round("2.5".parse().unwrap(), Currency::JPY), Ok(3));
}

#[test]
fn split_examples() {
    assert_eq!(split_even(100, 3), vec![34, 33, 33]);
    assert_eq!(split_even(-100, 3), vec![-34, -33, -33]);
    assert_eq!(split_even(2, 3), vec![1, 1, 0]);
    assert_eq!(split_by_weights(1000, &[Decimal::ZERO, Decimal::ZERO]), vec![500, 500]);
    let weights: Vec<Decimal> = ["1", "2", "3"].iter().map(|w| w.parse().unwrap()).collect();
    assert_eq!(split_by_weights(100, &weights), vec![17, 33, 50]);
    assert!(split_by_weights(100, &[]).is_empty());
}

proptest! {
    #[test]
    fn split_parts_sum_to_the_whole(
        total in -AMOUNT_MINOR_MAX..AMOUNT_MINOR_MAX,
        weights in proptest::collection::vec(0u32..1_000_000, 1..20),
    ) {
        let weights: Vec<Decimal> = weights.into_iter().map(Decimal::from).collect();
        let parts = split_by_weights(total, &weights);
        prop_assert_eq!(parts.len(), weights.len());
        prop_assert_eq!(parts.iter().sum::<i64>(), total);
        // No part is more than one unit away from its exact share.
        let weight_sum: Decimal = weights.iter().copied().sum();
        if !weight_sum.is_zero() {
            for (part, weight) in parts.iter().zip(&weights) {
                let exact = Decimal::from(total) * *weight / weight_sum;
                prop_assert!((Decimal::from(*part) - exact).abs() < Decimal::ONE);
            }
        }
    }

    #[test]
    fn minor_round_trip(amount in -AMOUNT_MINOR_MAX..AMOUNT_MINOR_MAX) {
        for currency in Currency::all() {
            let money = Money::from_minor(amount, currency);
            prop_assert_eq!(money.to_minor(), Ok(amount));
            let text = format_minor(amount, currency);
            prop_assert_eq!(Money::parse(&text, currency).unwrap().to_minor(), Ok(amount));
        }
    }

    #[test]
    fn rounding_is_within_half_a_unit(units in -1_000_000_000i64..1_000_000_000, extra in 0u32..1000) {
        let amount = Decimal::new(units * 1000 + i64::from(extra), 5);
        for rule in [RoundingRule::HalfEven, RoundingRule::HalfUp, RoundingRule::TowardZero] {
            let rounded = rule.round(amount, Currency::USD).unwrap();
            let diff = (Decimal::new(rounded, 2) - amount).abs();
            prop_assert!(diff < Decimal::new(1, 2));
            if rule != RoundingRule::TowardZero {
                prop_assert!(diff <= Decimal::new(5, 3));
            }
        }
    }
}
