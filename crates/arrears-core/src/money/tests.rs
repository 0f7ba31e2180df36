use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::model::LateFeeRule;

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

/// Every decimal a command carries is read through serde by the plain-decimal rule: JSON from a
/// person (`arrears portfolio execute --command`, an application file) may not write `1_000`
/// for 1000, as `rust_decimal`'s own serde would read it. What serde wrote reads back the same,
/// in JSON and in bincode.
#[test]
fn decimals_read_through_serde_refuse_a_digit_separator() {
    use crate::credit::CreditTerms;
    use crate::model::{InterestTerms, Terms};

    let refused = |error: serde_json::Error| error.to_string();
    let money = serde_json::from_str::<Money>(r#"{"amount":"1_000.00","currency":"USD"}"#);
    assert!(refused(money.unwrap_err()).starts_with("\"1_000.00\" is not a decimal number"));
    let terms =
        r#"{"net_days":30,"deposit_share":"0_5","cash_on_delivery":false,"interest_rate":"0.08"}"#;
    let terms = serde_json::from_str::<CreditTerms>(terms);
    assert!(refused(terms.unwrap_err()).starts_with("\"0_5\" is not a decimal number"));
    let interest = r#"{"annual_rate":"0_2499","day_count":"actual365","base":"x","rounding":"x"}"#;
    let interest = serde_json::from_str::<InterestTerms>(interest);
    assert!(refused(interest.unwrap_err()).starts_with("\"0_2499\" is not a decimal number"));

    let late_fee = LateFeeRule::Percent {
        rate: Decimal::new(5, 2),
        min_minor: 500,
        max_minor: 4_000,
        rounding: RoundingRule::HalfUp,
    };
    let interest = InterestTerms {
        annual_rate: Decimal::new(2499, 4),
        day_count: crate::model::DayCount::Actual365,
        base: crate::model::InterestBase::OutstandingPrincipal,
        rounding: RoundingRule::HalfUp,
    };
    let terms = Terms { late_fee, interest: Some(interest), ..Terms::default() };
    let json = serde_json::to_string(&terms).unwrap();
    assert_eq!(serde_json::from_str::<Terms>(&json).unwrap(), terms);
    let separated = json.replace("\"0.05\"", "\"0_05\"");
    assert!(refused(serde_json::from_str::<Terms>(&separated).unwrap_err())
        .starts_with("\"0_05\" is not a decimal number"));
    let money = Money::parse("-1234.50", Currency::USD).unwrap();
    let config = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(money, config).unwrap();
    let (decoded, _): (Money, usize) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
    assert_eq!(decoded, money);
}
