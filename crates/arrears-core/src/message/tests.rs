use super::*;

fn variant(text: &str) -> Variant {
    Variant { text: text.to_owned(), pieces: parse_text(text).expect("a valid text") }
}

fn messages() -> Messages {
    let template = Template {
        id: "reminder".to_owned(),
        channel: ContactChannel::Sms,
        tone: Tone::Friendly,
        variants: BTreeMap::from([
            ("en".to_owned(), variant("Hi {name}, {amount_due} is due on {due_date}.")),
            ("es".to_owned(), variant("Hola {name}, {amount_due} vence el {due_date}.")),
            (
                "es-CO".to_owned(),
                variant("Hola {name}, su cuota de {amount_due} vence el {due_date}."),
            ),
        ]),
    };
    let disclosure = Disclosure {
        id: "mini_miranda".to_owned(),
        jurisdictions: vec![JurisdictionPattern { country: "US".to_owned(), region: None }],
        channels: vec![],
        creditor: Some(Creditor::ThirdParty),
        source: "15 U.S.C. 1692e(11)".to_owned(),
        status: Status::V2,
        variants: BTreeMap::from([(
            "en".to_owned(),
            variant("This is an attempt to collect a debt."),
        )]),
    };
    Messages { templates: vec![template], disclosures: vec![disclosure], ..Messages::default() }
}

fn values() -> Values {
    Values {
        name: "Ana".to_owned(),
        currency: Currency::COP,
        amount_due_minor: 12_345_600,
        due_on: NaiveDate::from_ymd_opt(2026, 3, 5),
        payment_link: None,
        promise: None,
        plan: None,
        settlement: None,
        invoice: None,
    }
}

fn audience(language: &str) -> Audience<'_> {
    Audience { language, country: "CO", region: None, creditor: Creditor::FirstParty }
}

#[test]
fn a_language_falls_back_to_its_base_then_to_the_default() {
    let messages = messages();
    let rendered = messages.render("reminder", audience("es-CO"), &values()).expect("defined");
    assert_eq!(rendered.language, "es-CO");
    assert_eq!(rendered.text, "Hola Ana, su cuota de $ 123.456,00 vence el 05/03/2026.");
    let rendered = messages.render("reminder", audience("es-MX"), &values()).expect("defined");
    assert_eq!(rendered.language, "es");
    assert_eq!(rendered.text, "Hola Ana, $ 123.456,00 vence el 05/03/2026.");
    let rendered = messages.render("reminder", audience("fr-CA"), &values()).expect("defined");
    assert_eq!(rendered.language, "en");
    assert_eq!(rendered.text, "Hi Ana, COP 123,456.00 is due on 03/05/2026.");
    assert_eq!(messages.render("other", audience("en"), &values()), None);
}

#[test]
fn tags_compare_without_case() {
    assert_eq!(fallback_chain("ES-co"), ["es-CO", "es"]);
    assert_eq!(fallback_chain("zh-Hant-TW"), ["zh-hant-TW", "zh-hant", "zh"]);
}

#[test]
fn a_disclosure_is_appended_only_where_it_applies() {
    let messages = messages();
    let us_third_party = Audience {
        language: "en",
        country: "US",
        region: Some("NY"),
        creditor: Creditor::ThirdParty,
    };
    let rendered = messages.render("reminder", us_third_party, &values()).expect("defined");
    assert!(
        rendered.text.ends_with("\n\nThis is an attempt to collect a debt."),
        "{}",
        rendered.text
    );
    let us_first_party = Audience { creditor: Creditor::FirstParty, ..us_third_party };
    let rendered = messages.render("reminder", us_first_party, &values()).expect("defined");
    assert!(!rendered.text.contains("attempt to collect"));
}

#[test]
fn texts_with_unknown_variables_or_lone_braces_do_not_parse() {
    assert!(matches!(
        parse_text("Pay {amount} now"),
        Err(TextError::UnknownVariable { name, .. }) if name == "amount"
    ));
    assert_eq!(parse_text("Pay {amount_due"), Err(TextError::UnbalancedBrace { offset: 4 }));
    assert_eq!(parse_text("a } b"), Err(TextError::UnbalancedBrace { offset: 2 }));
    let pieces = parse_text("{{x}} {name}{name}").expect("valid");
    assert_eq!(
        pieces,
        [
            Piece::Text("{x} ".to_owned()),
            Piece::Variable(Variable::Name),
            Piece::Variable(Variable::Name)
        ]
    );
    assert_eq!(
        variant("{name} {name} {due_date}").variables(),
        [Variable::Name, Variable::DueDate]
    );
}

#[test]
fn amounts_are_exact_in_every_currency_and_style() {
    assert_eq!(format_amount(0, Currency::USD, "en"), "$0.00");
    assert_eq!(format_amount(7, Currency::USD, "en"), "$0.07");
    assert_eq!(format_amount(10_000_000_001, Currency::USD, "en"), "$100,000,000.01");
    assert_eq!(format_amount(-123_456, Currency::USD, "en"), "-$1,234.56");
    assert_eq!(format_amount(123_456, Currency::USD, "es"), "$ 1.234,56".replace('$', "US$"));
    assert_eq!(format_amount(123_456, Currency::EUR, "fr"), "1\u{a0}234,56 \u{20ac}");
    assert_eq!(format_amount(1_000, Currency::JPY, "ja"), "\u{a5}1,000");
    assert_eq!(format_amount(999, Currency::CLP, "es"), "$ 999");
    assert_eq!(format_amount(i64::MIN, Currency::USD, "en"), "-$92,233,720,368,547,758.08");
}

#[test]
fn tones_and_their_codes_round_trip() {
    for tone in Tone::ALL {
        assert_eq!(Tone::from_name(tone.name()), Some(tone));
        assert_eq!(Tone::from_code(tone.code()), Some(tone));
    }
    assert_eq!(Tone::from_code(0), None);
    assert_eq!(Tone::from_code(6), None);
    for variable in Variable::ALL {
        assert_eq!(Variable::from_name(variable.name()), Some(variable));
    }
}
