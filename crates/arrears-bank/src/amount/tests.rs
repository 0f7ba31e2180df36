use super::*;

#[test]
fn amounts_are_read_exactly_in_each_currencys_minor_unit() {
    let eur = Currency::EUR;
    assert_eq!(to_minor("1234,56", ',', eur, "amount"), Ok(123_456));
    assert_eq!(to_minor("1234,5", ',', eur, "amount"), Ok(123_450));
    assert_eq!(to_minor("1234,", ',', eur, "amount"), Ok(123_400));
    assert_eq!(to_minor("0.07", '.', eur, "amount"), Ok(7));
    assert_eq!(to_minor("1500", '.', Currency::CLP, "amount"), Ok(1500));
    assert_eq!(to_minor("1500,00", ',', Currency::JPY, "amount"), Ok(1500));
    assert_eq!(to_minor("1.234", '.', Currency::KWD, "amount"), Ok(1234));
}

#[test]
fn finer_amounts_and_non_numbers_are_refused() {
    assert!(matches!(
        to_minor("1500,5", ',', Currency::JPY, "amount"),
        Err(Problem::FinerThanMinorUnit { minor_units: 0, .. })
    ));
    assert!(matches!(
        to_minor("1.2345", '.', Currency::KWD, "amount"),
        Err(Problem::FinerThanMinorUnit { minor_units: 3, .. })
    ));
    for bad in ["", ",5", "1,2,3", "-1", "1e3", "12 3"] {
        assert!(
            matches!(to_minor(bad, ',', Currency::EUR, "amount"), Err(Problem::BadAmount { .. })),
            "{bad}"
        );
    }
    assert!(matches!(
        to_minor("99999999999999999999", '.', Currency::EUR, "amount"),
        Err(Problem::AmountOutOfRange { .. })
    ));
}

#[test]
fn implied_decimals_and_writing_back() {
    assert_eq!(implied_to_minor("00000000012345", 2, Currency::EUR, "importe"), Ok(12_345));
    assert_eq!(implied_to_minor("00000000012300", 2, Currency::JPY, "importe"), Ok(123));
    assert!(matches!(
        implied_to_minor("00000000012345", 2, Currency::JPY, "importe"),
        Err(Problem::FinerThanMinorUnit { .. })
    ));
    assert_eq!(minor_to_text(123_456, Currency::EUR, ','), "1234,56");
    assert_eq!(minor_to_text(5, Currency::EUR, '.'), "0.05");
    assert_eq!(minor_to_text(-1234, Currency::KWD, '.'), "-1.234");
    assert_eq!(minor_to_text(700, Currency::CLP, ','), "700");
}

#[test]
fn xml_decimal_forms_and_amount_errors_name_the_text_as_given() {
    let eur = Currency::EUR;
    assert_eq!(decimal_to_minor("+.5", eur, "Amt"), Ok(50));
    assert_eq!(decimal_to_minor("7.", eur, "Amt"), Ok(700));
    assert_eq!(
        decimal_to_minor("+.505", eur, "Amt"),
        Err(Problem::FinerThanMinorUnit {
            found: "+.505".to_owned(),
            currency: eur,
            minor_units: 2
        })
    );
    assert_eq!(
        implied_to_minor("0000000001Z345", 2, eur, "importe"),
        Err(Problem::BadAmount { what: "importe", found: "0000000001Z345".to_owned() })
    );
}

proptest::proptest! {
    /// Every amount in range, in every currency of the table, reads back exactly from the
    /// decimal text the engine writes for it (`Money::from_minor`, rust_decimal), with either
    /// separator, with trailing zeros, signed `+` as XML allows; a digit other than zero beyond
    /// the minor unit is refused, never rounded; Norma 43's implied decimals agree.
    #[test]
    fn amounts_read_exactly_and_never_round(
        minor in 0..=AMOUNT_MINOR_MAX,
        currency in proptest::sample::select(Currency::all().collect::<Vec<_>>()),
        zeros in 0usize..4,
        finer in 1u8..=9,
    ) {
        let text = arrears_core::money::Money::from_minor(minor, currency).amount().to_string();
        proptest::prop_assert_eq!(to_minor(&text, '.', currency, "amount"), Ok(minor));
        let comma = minor_to_text(minor, currency, ',');
        proptest::prop_assert_eq!(to_minor(&comma, ',', currency, "amount"), Ok(minor));
        let separator = if currency.minor_units() == 0 { "." } else { "" };
        let padded = format!("{text}{separator}{}", "0".repeat(zeros));
        proptest::prop_assert_eq!(decimal_to_minor(&format!("+{padded}"), currency, "Amt"), Ok(minor));
        let finer_text = format!("{text}{separator}{}{finer}", "0".repeat(zeros));
        let is_finer = matches!(
            decimal_to_minor(&finer_text, currency, "Amt"),
            Err(Problem::FinerThanMinorUnit { .. })
        );
        proptest::prop_assert!(is_finer, "{finer_text}");
        if currency.minor_units() <= 2 && minor < 10i64.pow(12) {
            let scaled = minor * 10i64.pow(2 - currency.minor_units());
            let digits = format!("{scaled:014}");
            proptest::prop_assert_eq!(implied_to_minor(&digits, 2, currency, "importe"), Ok(minor));
        }
    }
}
