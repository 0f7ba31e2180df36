use proptest::prelude::*;

use super::*;

#[test]
fn the_standards_example_and_its_printed_form() {
    // ISO 11649's example: base 539007547034 has check digits 18.
    assert_eq!(rf_reference("539007547034").unwrap(), "RF18539007547034");
    assert!(is_valid("RF18539007547034"));
    assert!(is_valid("rf18 5390 0754 7034"));
    assert_eq!(rf_reference("a").unwrap(), rf_reference("A").unwrap());
}

#[test]
fn malformed_references_and_bases_are_refused() {
    for bad in ["", "RF", "RF18", "XX18539007547034", "RFAB539007547034", "RF18539007547035"] {
        assert!(!is_valid(bad), "{bad}");
    }
    assert!(!is_valid(&format!("RF00{}", "1".repeat(22))));
    assert!(matches!(rf_reference(""), Err(RfError::Length { len: 0, .. })));
    assert!(matches!(rf_reference(&"9".repeat(22)), Err(RfError::Length { len: 22, .. })));
    assert!(matches!(rf_reference("INV-42"), Err(RfError::Character { .. })));
    assert!(matches!(rf_reference("A\u{d1}O"), Err(RfError::Character { .. })));
}

proptest! {
    #[test]
    fn generated_references_validate_and_any_single_change_is_caught(
        base in "[A-Z0-9]{1,21}",
        position in any::<prop::sample::Index>(),
        digit in "[0-9]",
        letter in "[A-Z]",
    ) {
        let reference = rf_reference(&base).unwrap();
        prop_assert!(is_valid(&reference));
        prop_assert_eq!(&reference[4..], base.as_str());
        // Changing one character of the base for one of its kind (a digit for a digit, a letter
        // for a letter): the number changes by less than 97 times a power of ten, which 97,
        // a prime, never divides.
        let mut chars: Vec<char> = reference.chars().collect();
        let at = 4 + position.index(base.len());
        let kind = if chars[at].is_ascii_digit() { &digit } else { &letter };
        let new = kind.chars().next().unwrap();
        prop_assume!(chars[at] != new);
        chars[at] = new;
        let changed: String = chars.into_iter().collect();
        prop_assert!(!is_valid(&changed), "{} accepted", changed);
    }
}
