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
