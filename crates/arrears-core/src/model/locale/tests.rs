//! Country codes and language tags: the issue 21 examples, the edges of RFC 5646's grammar,
//! and property tests over the whole code list and generated well-formed tags.

use proptest::prelude::*;

use super::*;

#[test]
fn assigned_country_codes_only() {
    for code in ["US", "CO", "MX", "CL", "PE", "ES", "GB", "AX", "SS", "ZW"] {
        assert_eq!(check_country(code), Ok(()), "{code}");
    }
    // User-assigned (ZZ, XK), reserved (UK, EU), withdrawn (AN, YU), lower case, alpha-3.
    for code in ["ZZ", "XK", "UK", "EU", "AN", "YU", "us", "Us", "USA", "U", "", "U1"] {
        assert!(!is_country_code(code), "{code}");
    }
    let error = check_country("ZZ").unwrap_err();
    assert_eq!(error.field(), "country");
    assert_eq!(
        error.to_string(),
        "\"ZZ\" is not an ISO 3166-1 alpha-2 country code such as \"US\""
    );
}

#[test]
fn the_code_list_is_sorted_and_two_capital_letters() {
    assert!(COUNTRY_CODES.windows(2).all(|pair| pair[0] < pair[1]));
    for code in COUNTRY_CODES {
        assert!(code.len() == 2 && code.bytes().all(|byte| byte.is_ascii_uppercase()), "{code}");
    }
}

#[test]
fn well_formed_language_tags() {
    for tag in [
        "en",
        "es-CO",
        "zh-Hant-TW",
        "es-419",
        "EN-us",
        "sr-Latn-RS",
        "de-CH-1996",
        "sl-rozaj-biske",
        "zh-yue-HK",
        "ar-aao-abc-def",
        "hy-Latn-IT-arevela",
        "en-US-u-ca-gregory",
        "en-a-bbb-x-a-ccc",
        "en-US-x-twain",
        "x-whatever",
        "i-klingon",
        "en-GB-oed",
        "zh-min-nan",
        "haw",
        "abcde",
    ] {
        assert_eq!(check_language(tag), Ok(()), "{tag}");
    }
}

#[test]
fn malformed_language_tags() {
    let misplaced = |index: usize, text: &str| Subtag::Misplaced { index, text: text.to_owned() };
    for (tag, subtag) in [
        ("xx-!!", misplaced(1, "!!")),
        ("", misplaced(0, "")),
        ("e", misplaced(0, "e")),
        ("en-", misplaced(1, "")),
        ("-en", misplaced(0, "")),
        ("en--US", misplaced(1, "")),
        ("en_US", misplaced(0, "en_US")),
        ("en US", misplaced(0, "en US")),
        ("engl", misplaced(0, "engl")),
        ("toolongla", misplaced(0, "toolongla")),
        ("12", misplaced(0, "12")),
        ("en-US-Latn", misplaced(2, "Latn")),
        ("zh-Hant-Hans", misplaced(2, "Hans")),
        ("en-US-GB", misplaced(2, "GB")),
        ("ar-aao-abc-def-ghi", misplaced(4, "ghi")),
        ("en-12", misplaced(1, "12")),
        ("en-123456789", misplaced(1, "123456789")),
        ("en-a", Subtag::Missing),
        ("en-a-x-y", misplaced(2, "x")),
        ("en-a-b", misplaced(2, "b")),
        ("en-x", Subtag::Missing),
        ("x", Subtag::Missing),
        ("en-x-toolongpart", misplaced(2, "toolongpart")),
        ("es-CO\u{e9}", misplaced(1, "CO\u{e9}")),
    ] {
        assert_eq!(
            check_language(tag),
            Err(LocaleError::Language { tag: tag.to_owned(), subtag }),
            "{tag:?}"
        );
    }
    let error = check_language("xx-!!").unwrap_err();
    assert_eq!(error.field(), "language");
    assert_eq!(
        error.to_string(),
        "\"xx-!!\" is not a well-formed BCP 47 language tag such as \"es-CO\" \
         (subtag 2 \"!!\" does not fit there)"
    );
    assert_eq!(
        check_language("en-").unwrap_err().to_string(),
        "\"en-\" is not a well-formed BCP 47 language tag such as \"es-CO\" (subtag 2 is empty)"
    );
}

#[test]
fn a_debtor_needs_both() {
    assert_eq!(check_locale("CO", "es-CO"), Ok(()));
    assert_eq!(check_locale("ZZ", "xx-!!").unwrap_err().field(), "country");
    assert_eq!(check_locale("CO", "xx-!!").unwrap_err().field(), "language");
}

/// A well-formed tag from generated subtags, with the parts in RFC 5646's order.
fn language_tag() -> impl Strategy<Value = String> {
    let short_language = ("[a-zA-Z]{2,3}", proptest::collection::vec("[a-zA-Z]{3}", 0..=3))
        .prop_map(|(language, extlangs)| {
            std::iter::once(language).chain(extlangs).collect::<Vec<String>>()
        });
    let long_language = "[a-zA-Z]{5,8}".prop_map(|language| vec![language]);
    let variant = prop_oneof!["[a-zA-Z0-9]{5,8}", "[0-9][a-zA-Z0-9]{3}"];
    let extension = ("[0-9a-wyzA-WYZ]", proptest::collection::vec("[a-zA-Z0-9]{2,8}", 1..=3))
        .prop_map(|(singleton, subtags)| {
            std::iter::once(singleton).chain(subtags).collect::<Vec<String>>()
        });
    let private_use = proptest::collection::vec("[a-zA-Z0-9]{1,8}", 1..=3)
        .prop_map(|subtags| std::iter::once("x".to_owned()).chain(subtags).collect::<Vec<_>>());
    (
        prop_oneof![short_language, long_language],
        proptest::option::of("[a-zA-Z]{4}"),
        proptest::option::of(prop_oneof!["[a-zA-Z]{2}", "[0-9]{3}"]),
        proptest::collection::vec(variant, 0..=2),
        proptest::collection::vec(extension, 0..=2),
        proptest::option::of(private_use),
    )
        .prop_map(|(language, script, region, variants, extensions, private_use)| {
            let mut subtags: Vec<String> = language;
            subtags.extend(script);
            subtags.extend(region);
            subtags.extend(variants);
            subtags.extend(extensions.into_iter().flatten());
            subtags.extend(private_use.into_iter().flatten());
            subtags.join("-")
        })
}

proptest! {
    #[test]
    fn every_assigned_country_code_is_accepted(code in proptest::sample::select(&COUNTRY_CODES[..])) {
        prop_assert_eq!(check_country(code), Ok(()));
        prop_assert!(!is_country_code(&code.to_ascii_lowercase()));
    }

    #[test]
    fn generated_well_formed_tags_are_accepted(tag in language_tag()) {
        prop_assert_eq!(check_language(&tag), Ok(()));
        // Its subtags are all 1 to 8 letters and digits, so after `x-` they are private use.
        let private_use = format!("x-{tag}");
        prop_assert!(is_language_tag(&private_use), "{:?}", private_use);
    }

    #[test]
    fn a_bad_character_anywhere_is_refused(
        tag in language_tag(),
        position in any::<proptest::sample::Index>(),
        bad in "[^a-zA-Z0-9-]",
    ) {
        let mut tag = tag;
        let at = position.index(tag.len() + 1);
        tag.insert_str(at, &bad);
        prop_assert!(!is_language_tag(&tag), "{:?}", tag);
    }
}
