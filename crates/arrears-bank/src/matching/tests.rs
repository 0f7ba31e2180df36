use arrears_core::ids::{AccountId, DebtorId, ObligationId};
use arrears_core::money::Currency;
use chrono::NaiveDate;

use super::text::{name_similarity_percent, reference_tokens, rf_references};
use super::*;
use crate::{Direction, Location};

fn eur() -> Currency {
    Currency::from_code("EUR").unwrap()
}

fn line(amount_minor: i64) -> StatementLine {
    let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    StatementLine {
        location: Location::line(1),
        booking_on: on,
        value_on: on,
        amount_minor,
        direction: Direction::Credit,
        bank_reference: "BANKREF1".to_owned(),
        reference_kind: crate::ReferenceKind::Servicer,
        repeat: None,
        remittance_unstructured: None,
        creditor_reference: None,
        payer_name: None,
        payer_account: None,
        return_reason: None,
        is_reversal: false,
        end_to_end_id: None,
        owner_reference: None,
        transaction_code: None,
    }
}

fn open(id: u64, account: u64, day: u32, outstanding_minor: i64) -> OpenObligation {
    OpenObligation {
        obligation: ObligationId(id),
        account: AccountId(account),
        due_on: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        outstanding_minor,
        currency: eur(),
    }
}

const ALL_RULES: &str = r#"
[[rule]]
name = "rf"
kind = "creditor_reference"

[[rule]]
name = "invoice number"
kind = "reference_in_remittance"

[[rule]]
name = "payer iban"
kind = "payer_account"

[[rule]]
name = "exact amount"
kind = "amount"
tolerance_minor = 0

[[rule]]
name = "name"
kind = "fuzzy_name"
threshold_percent = 80
"#;

fn rules(text: &str) -> MatchRules {
    MatchRules::from_toml(text, "rules.toml").unwrap()
}

fn one_rule(kind_lines: &str) -> MatchRules {
    rules(&format!("[[rule]]\nname = \"only\"\n{kind_lines}\n"))
}

#[test]
fn creditor_reference_in_its_field_or_in_the_text_posts_to_what_it_was_issued_for() {
    let mut data = InMemoryMatchData::default();
    let target = MatchTarget::obligation(DebtorId(1), ObligationId(11));
    data.add_creditor_reference("RF18539007547034", target.clone());
    let rules = one_rule("kind = \"creditor_reference\"");
    let structured =
        StatementLine { creditor_reference: Some("RF18539007547034".into()), ..line(100) };
    let outcome = match_line(&rules, &structured, eur(), &data);
    assert_eq!(outcome.decision, Decision::Post(target.clone()));
    assert_eq!(outcome.steps[0].fields[0].field, LineField::CreditorReference);
    assert!(outcome.steps[0].posts);
    let printed = StatementLine {
        remittance_unstructured: Some("pago rf18 5390 0754 7034 gracias".into()),
        ..line(100)
    };
    let outcome = match_line(&rules, &printed, eur(), &data);
    assert_eq!(outcome.decision, Decision::Post(target));
    assert_eq!(outcome.steps[0].fields[0].value, "RF18539007547034");
}

#[test]
fn creditor_reference_with_bad_check_digits_does_not_match_and_is_reported() {
    let mut data = InMemoryMatchData::default();
    data.add_creditor_reference("RF19539007547034", MatchTarget::debtor(DebtorId(1)));
    let rules = one_rule("kind = \"creditor_reference\"");
    let bad = StatementLine { creditor_reference: Some("RF19539007547034".into()), ..line(100) };
    let outcome = match_line(&rules, &bad, eur(), &data);
    assert_eq!(outcome.decision, Decision::Unmatched);
    assert!(outcome.steps.is_empty());
    let refused = RefusedSignal {
        field: LineField::CreditorReference,
        value: "RF19539007547034".into(),
        scheme: "RF",
    };
    assert_eq!(outcome.refused, [refused]);
}

#[test]
fn rf_references_in_text_compact_or_grouped() {
    let seen = rf_references("RF18 5390 0754 7034 and RF18539007547034, RF71A; RF1");
    let compact: Vec<(&str, bool)> =
        seen.iter().map(|seen| (seen.reference.as_str(), seen.valid)).collect();
    assert_eq!(compact, [("RF18539007547034", true), ("RF71A", false)]);
    assert!(rf_references("REFERENCE 42").is_empty());
}

#[test]
fn external_reference_token_normalized_posts_and_short_tokens_are_ignored() {
    assert_eq!(
        reference_tokens("Fra. INV-2026/0042, pago 42; inv-2026/0042"),
        ["FRA", "INV20260042", "PAGO"]
    );
    let mut data = InMemoryMatchData::default();
    let target = MatchTarget::account(DebtorId(2), AccountId(20));
    data.add_external_reference("inv 2026.0042", target.clone());
    let rules = one_rule("kind = \"reference_in_remittance\"");
    let paid = StatementLine {
        remittance_unstructured: Some("Factura Inv-2026/0042".into()),
        ..line(100)
    };
    let outcome = match_line(&rules, &paid, eur(), &data);
    assert_eq!(outcome.decision, Decision::Post(target));
    assert_eq!(
        outcome.steps[0].fields,
        [MatchedField { field: LineField::Remittance, value: "INV20260042".into() }]
    );
    let by_end_to_end = StatementLine { end_to_end_id: Some("INV-2026-0042".into()), ..line(100) };
    assert!(match_line(&rules, &by_end_to_end, eur(), &data).posts());
    // The MT940 owner's reference is read as the end-to-end id is.
    let by_owner = StatementLine { owner_reference: Some("INV-2026-0042".into()), ..line(100) };
    let outcome = match_line(&rules, &by_owner, eur(), &data);
    assert!(outcome.posts());
    assert_eq!(
        outcome.steps[0].fields,
        [MatchedField { field: LineField::OwnerReference, value: "INV20260042".into() }]
    );
}

#[test]
fn references_of_two_debtors_are_ambiguous_and_do_not_post() {
    let mut data = InMemoryMatchData::default();
    data.add_external_reference("A-100", MatchTarget::debtor(DebtorId(1)));
    data.add_external_reference("B-200", MatchTarget::debtor(DebtorId(2)));
    let rules = one_rule("kind = \"reference_in_remittance\"");
    let both = StatementLine { remittance_unstructured: Some("A-100 B-200".into()), ..line(100) };
    let outcome = match_line(&rules, &both, eur(), &data);
    assert!(matches!(&outcome.decision, Decision::Ambiguous(targets) if targets.len() == 2));
    assert!(!outcome.posts());
    assert!(!outcome.steps[0].posts);
}

#[test]
fn two_references_of_one_debtor_join_into_one_target() {
    let mut data = InMemoryMatchData::default();
    data.add_external_reference("INV-1", MatchTarget::obligation(DebtorId(1), ObligationId(1)));
    data.add_external_reference("INV-2", MatchTarget::obligation(DebtorId(1), ObligationId(2)));
    let rules = one_rule("kind = \"reference_in_remittance\"");
    let both = StatementLine { remittance_unstructured: Some("INV-2 INV-1".into()), ..line(100) };
    let scope = TargetScope::Obligations(vec![ObligationId(2), ObligationId(1)]);
    let expected = Decision::Post(MatchTarget { debtor: DebtorId(1), scope });
    assert_eq!(match_line(&rules, &both, eur(), &data).decision, expected);
    assert_eq!(referenced_obligations(&both, &data), [ObligationId(2), ObligationId(1)]);
}

#[test]
fn payer_accounts_are_normalized_and_checked() {
    let cases = [
        (
            "ES91 2100 0418 4502 0005 1332",
            Ok(PayerAccount::Iban("ES9121000418450200051332".into())),
        ),
        ("DE89370400440532013000", Ok(PayerAccount::Iban("DE89370400440532013000".into()))),
        ("032180000118359719", Ok(PayerAccount::Clabe("032180000118359719".into()))),
        ("2850590940090418135201", Ok(PayerAccount::Cbu("2850590940090418135201".into()))),
        ("12.345.678-5", Ok(PayerAccount::Rut("12345678-5".into()))),
        ("8.765.432-k", Ok(PayerAccount::Rut("8765432-K".into()))),
        ("ACC-77", Ok(PayerAccount::Other("ACC77".into()))),
        ("ES92 2100 0418 4502 0005 1332", Err("IBAN")),
        ("032180000118359718", Err("CLABE")),
        ("2850590840090418135201", Err("CBU")),
        ("2850590940090418135202", Err("CBU")),
        ("12.345.678-6", Err("RUT")),
        ("8.765.432-0", Err("RUT")),
        // Bare digits failing the RUT check are another account number, not an error.
        ("123456786", Ok(PayerAccount::Other("123456786".into()))),
        ("123456785", Ok(PayerAccount::Rut("12345678-5".into()))),
    ];
    for (text, expected) in cases {
        let parsed = PayerAccount::parse(text).map_err(|error| error.scheme);
        assert_eq!(parsed, expected, "{text}");
    }
}

#[test]
fn rut_check_character_k_and_zero() {
    // 8.765.432: weights 2..7 from the right give 8*2+7*3+6*4+5*5+4*6+3*7+2*2+... computed
    // independently: a brute force over the 11 check characters finds exactly one valid.
    for number in ["8765432", "11111111", "7654321", "30686957"] {
        let valid: Vec<char> = "0123456789K"
            .chars()
            .filter(|check| PayerAccount::parse(&format!("{number}-{check}")).is_ok())
            .collect();
        assert_eq!(valid.len(), 1, "{number}");
    }
}

#[test]
fn payer_account_posts_and_a_bad_one_is_refused() {
    let mut data = InMemoryMatchData::default();
    data.add_payer_account("ES9121000418450200051332", DebtorId(3)).unwrap();
    assert!(data.add_payer_account("ES9221000418450200051332", DebtorId(3)).is_err());
    let rules = one_rule("kind = \"payer_account\"");
    let paid =
        StatementLine { payer_account: Some("es91 2100 0418 4502 0005 1332".into()), ..line(100) };
    assert_eq!(
        match_line(&rules, &paid, eur(), &data).decision,
        Decision::Post(MatchTarget::debtor(DebtorId(3)))
    );
    let bad = StatementLine { payer_account: Some("ES9221000418450200051332".into()), ..line(100) };
    let outcome = match_line(&rules, &bad, eur(), &data);
    assert_eq!(outcome.decision, Decision::Unmatched);
    assert_eq!(outcome.refused[0].scheme, "IBAN");
}

#[test]
fn payer_account_of_two_debtors_is_settled_by_a_later_amount_rule() {
    let mut data = InMemoryMatchData::default();
    for debtor in [DebtorId(1), DebtorId(2)] {
        data.add_payer_account("DE89370400440532013000", debtor).unwrap();
    }
    data.add_obligation(DebtorId(1), open(1, 10, 1, 5_000));
    data.add_obligation(DebtorId(2), open(2, 20, 1, 7_500));
    let paid =
        StatementLine { payer_account: Some("DE89370400440532013000".into()), ..line(7_500) };
    let outcome = match_line(&rules(ALL_RULES), &paid, eur(), &data);
    let target =
        MatchTarget { debtor: DebtorId(2), scope: TargetScope::Obligations(vec![ObligationId(2)]) };
    assert_eq!(outcome.decision, Decision::Post(target));
    let kinds: Vec<&str> = outcome.steps.iter().map(|step| step.kind).collect();
    assert_eq!(kinds, ["payer_account", "amount"]);
    // Without an amount that settles it, the line stays ambiguous.
    let unsettled = StatementLine { amount_minor: 1_234, ..paid };
    let outcome = match_line(&rules(ALL_RULES), &unsettled, eur(), &data);
    assert!(matches!(outcome.decision, Decision::Ambiguous(ref targets) if targets.len() == 2));
}

#[test]
fn amount_matches_a_combination_within_tolerance_preferring_the_closest_then_fewest() {
    // Oldest first: 1 (300), 2 (200), 3 (500).
    assert_eq!(best_combination(500, &[300, 200, 500], 0), Some((vec![2], 500)));
    assert_eq!(best_combination(800, &[300, 200, 500], 0), Some((vec![0, 2], 800)));
    assert_eq!(best_combination(1_001, &[300, 200, 500], 0), None);
    assert_eq!(best_combination(1_001, &[300, 200, 500], 1), Some((vec![0, 1, 2], 1_000)));
    assert_eq!(best_combination(500, &[250, 250, 250], 0), Some((vec![0, 1], 500)));
    assert_eq!(best_combination(5, &[], 10), None);
}

#[test]
fn amount_rule_needs_a_candidate_and_respects_obligations_max_and_currency() {
    let mut data = InMemoryMatchData::default();
    data.add_payer_account("GB82 WEST 1234 5698 7654 32", DebtorId(4)).unwrap();
    data.add_obligation(DebtorId(4), open(1, 40, 1, 100));
    data.add_obligation(DebtorId(4), open(2, 40, 2, 200));
    let usd =
        OpenObligation { currency: Currency::from_code("USD").unwrap(), ..open(3, 40, 3, 900) };
    data.add_obligation(DebtorId(4), usd);
    let rules = one_rule("kind = \"amount\"\nobligations_max = 1");
    let no_payer = line(100);
    assert_eq!(match_line(&rules, &no_payer, eur(), &data).decision, Decision::Unmatched);
    let paid = StatementLine { payer_account: Some("GB82WEST12345698765432".into()), ..line(100) };
    assert!(match_line(&rules, &paid, eur(), &data).posts());
    let beyond_max = StatementLine { amount_minor: 300, ..paid.clone() };
    assert_eq!(match_line(&rules, &beyond_max, eur(), &data).decision, Decision::Unmatched);
    let other_currency = StatementLine { amount_minor: 900, ..paid };
    assert_eq!(match_line(&rules, &other_currency, eur(), &data).decision, Decision::Unmatched);
}

#[test]
fn fuzzy_name_only_proposes() {
    let mut data = InMemoryMatchData::default();
    data.set_name(DebtorId(5), "Garc\u{ed}a L\u{f3}pez, Mar\u{ed}a");
    data.set_name(DebtorId(6), "Construcciones Perez SL");
    let rules = one_rule("kind = \"fuzzy_name\"\nthreshold_percent = 85");
    let paid = StatementLine { payer_name: Some("MARIA GARCIA LOPEZ".into()), ..line(100) };
    let outcome = match_line(&rules, &paid, eur(), &data);
    assert_eq!(outcome.decision, Decision::Propose(MatchTarget::debtor(DebtorId(5))));
    assert!(!outcome.posts());
    assert!(!outcome.steps[0].posts);
    let far = StatementLine { payer_name: Some("Transportes Ruiz".into()), ..line(100) };
    assert_eq!(match_line(&rules, &far, eur(), &data).decision, Decision::Unmatched);
}

#[test]
fn fuzzy_name_tie_between_debtors_is_ambiguous() {
    let mut data = InMemoryMatchData::default();
    data.set_name(DebtorId(1), "Ana Torres");
    data.set_name(DebtorId(2), "Torres Ana");
    let rules = one_rule("kind = \"fuzzy_name\"\nthreshold_percent = 90");
    let paid = StatementLine { payer_name: Some("ana torres".into()), ..line(100) };
    assert!(matches!(match_line(&rules, &paid, eur(), &data).decision, Decision::Ambiguous(_)));
}

#[test]
fn name_similarity_is_symmetric_and_ignores_legal_forms_and_accents() {
    assert_eq!(name_similarity_percent("ACME S.L.", "Acme"), 100);
    assert_eq!(name_similarity_percent("Mu\u{f1}oz", "MUNOZ"), 100);
    let (a, b) = ("Transportes Ruiz", "Transportes Ruis");
    assert_eq!(name_similarity_percent(a, b), name_similarity_percent(b, a));
    assert!((80..100).contains(&name_similarity_percent(a, b)));
    assert_eq!(name_similarity_percent("", ""), 0);
}

#[test]
fn first_rule_that_matches_decides_and_currency_restricts_rules() {
    let mut data = InMemoryMatchData::default();
    data.add_creditor_reference("RF18539007547034", MatchTarget::debtor(DebtorId(1)));
    data.add_payer_account("ES9121000418450200051332", DebtorId(2)).unwrap();
    let paid = StatementLine {
        creditor_reference: Some("RF18539007547034".into()),
        payer_account: Some("ES9121000418450200051332".into()),
        ..line(100)
    };
    let outcome = match_line(&rules(ALL_RULES), &paid, eur(), &data);
    assert_eq!(outcome.decision, Decision::Post(MatchTarget::debtor(DebtorId(1))));
    assert_eq!(outcome.steps.len(), 1);
    let restricted = ALL_RULES.replacen(
        "kind = \"creditor_reference\"",
        "kind = \"creditor_reference\"\ncurrencies = [\"CLP\"]",
        1,
    );
    let outcome = match_line(&rules(&restricted), &paid, eur(), &data);
    assert_eq!(outcome.decision, Decision::Post(MatchTarget::debtor(DebtorId(2))));
    assert_eq!(outcome.steps[0].rule, "payer iban");
}

#[test]
fn rules_file_loads_with_defaults() {
    let loaded = rules(ALL_RULES);
    assert_eq!(loaded.rules().len(), 5);
    assert_eq!(loaded.apportion(), crate::apportion::ApportionMethod::OldestDue);
    assert_eq!(
        loaded.rules()[3].kind,
        RuleKind::Amount { tolerance_minor: 0, obligations_max: 12 }
    );
    let pro_rata = rules(&format!("apportion = \"pro_rata\"\n{ALL_RULES}"));
    assert_eq!(pro_rata.apportion(), crate::apportion::ApportionMethod::ProRata);
    assert!(rules("").rules().is_empty());
}

#[test]
fn rules_file_errors_are_located() {
    let cases = [
        ("[[rule]]\nname = \"a\"\nkind = \"iban\"\n", "rules.toml:3: rule[0].kind: unknown kind \"iban\""),
        ("[[rule]]\nname = \"a\"\nkind = \"amount\"\n[[rule]]\nname = \"a\"\nkind = \"payer_account\"\n", "rules.toml:5: rule[1].name: rule name \"a\" is used twice"),
        ("[[rule]]\nname = \"a\"\nkind = \"payer_account\"\ncurrencies = [\"EUR\", \"XXX\"]\n", "rules.toml:4: rule[0].currencies: currency \"XXX\" is unknown or repeated"),
        ("[[rule]]\nname = \"a\"\nkind = \"payer_account\"\ntolerance_minor = 5\n", "rules.toml:4: rule[0].tolerance_minor: not a parameter of kind payer_account"),
        ("[[rule]]\nname = \"a\"\nkind = \"fuzzy_name\"\n", "rules.toml:3: rule[0].kind: kind fuzzy_name requires threshold_percent"),
        ("[[rule]]\nname = \"a\"\nkind = \"fuzzy_name\"\nthreshold_percent = 101\n", "rules.toml:4: rule[0].threshold_percent: 101 is out of range 1..=100"),
        ("[[rule]]\nname = \"a\"\nkind = \"amount\"\nobligations_max = 13\n", "rules.toml:4: rule[0].obligations_max: 13 is out of range 1..=12"),
        ("[[rule]]\nname = \"\"\nkind = \"amount\"\n", "rules.toml:2: rule[0].name: rule name must have 1 to 64 characters"),
        ("[[rule]]\nname = \"  \"\nkind = \"amount\"\n", "rules.toml:2: rule[0].name: rule name must not be blank or hold control characters"),
        ("[[rule]]\nname = \"a\\u001b[2K\"\nkind = \"amount\"\n", "rules.toml:2: rule[0].name: rule name must not be blank or hold control characters"),
        ("[[rule]]\nname = \"a\"\nkind = \"amount\"\ncurrencies = []\n", "rules.toml:4: rule[0].currencies: must name at least one currency (leave currencies out for every currency)"),
        ("apportion = \"newest\"\n", "rules.toml:1: apportion: unknown apportioning \"newest\" (oldest_due, pro_rata, as_remitted)"),
    ];
    for (text, expected) in cases {
        let error = MatchRules::from_toml(text, "rules.toml").unwrap_err();
        assert!(error.to_string().starts_with(expected), "{error}");
    }
}

#[test]
fn rules_file_syntax_and_shape_errors_are_located() {
    let unknown =
        "[[rule]]\nname = \"a\"\nkind = \"amount\"\n\n[[rule]]\nname = \"b\"\nkinds = \"amount\"\n";
    let error = MatchRules::from_toml(unknown, "r.toml").unwrap_err();
    assert!(matches!(error.reason, RulesErrorReason::Schema { .. }), "{error}");
    assert_eq!((error.line, error.field.as_str()), (7, "rule[1]"));
    let syntax = "[[rule]]\nname = \"a\nkind = \"amount\"\n";
    let error = MatchRules::from_toml(syntax, "r.toml").unwrap_err();
    assert!(matches!(error.reason, RulesErrorReason::Syntax { .. }), "{error}");
    assert_eq!(error.line, 2);
}

#[test]
fn rules_built_in_code_are_checked_too() {
    let rule = |name: &str, kind| MatchRule { name: name.into(), kind, currencies: Vec::new() };
    let method = crate::apportion::ApportionMethod::OldestDue;
    let twice = vec![rule("a", RuleKind::PayerAccount), rule("a", RuleKind::PayerAccount)];
    assert!(matches!(MatchRules::new(twice, method), Err(RulesErrorReason::DuplicateName { .. })));
    let wide = vec![rule("a", RuleKind::Amount { tolerance_minor: 0, obligations_max: 40 })];
    assert!(matches!(
        MatchRules::new(wide, method),
        Err(RulesErrorReason::OutOfRange { value: 40, .. })
    ));
    assert!(MatchRules::new(vec![rule("a", RuleKind::CreditorReference)], method).is_ok());
}

proptest::proptest! {
    #[test]
    fn any_line_text_is_matched_without_panicking_and_fuzzy_never_posts(
        remittance in "\\PC{0,60}",
        reference in "(RF[0-9]{2}[A-Z0-9 ]{0,25})|\\PC{0,20}",
        account in "[A-Z0-9 .-]{0,30}|\\PC{0,12}",
        name in "\\PC{0,30}",
        amount_minor in 0_i64..1_000_000,
    ) {
        let mut data = InMemoryMatchData::default();
        data.set_name(DebtorId(1), &name);
        data.set_name(DebtorId(2), "Ana Torres");
        let paid = StatementLine {
            remittance_unstructured: Some(remittance),
            creditor_reference: Some(reference),
            payer_account: Some(account),
            payer_name: Some(name),
            ..line(amount_minor)
        };
        let outcome = match_line(&rules(ALL_RULES), &paid, eur(), &data);
        // Nothing but names is registered, so only the fuzzy rule can find anything.
        proptest::prop_assert!(!outcome.posts());
        proptest::prop_assert!(referenced_obligations(&paid, &data).is_empty());
    }
}

#[test]
fn merged_scopes_of_one_debtor() {
    let account = |id| MatchTarget::account(DebtorId(1), AccountId(id));
    assert_eq!(merge(vec![account(1), account(1)]), account(1));
    assert_eq!(merge(vec![account(1), account(2)]), MatchTarget::debtor(DebtorId(1)));
    let mixed = vec![account(1), MatchTarget::obligation(DebtorId(1), ObligationId(5))];
    assert_eq!(merge(mixed), MatchTarget::debtor(DebtorId(1)));
}

#[test]
fn amount_matching_two_candidates_stays_ambiguous() {
    let mut data = InMemoryMatchData::default();
    for debtor in [DebtorId(1), DebtorId(2)] {
        data.add_payer_account("DE89370400440532013000", debtor).unwrap();
        data.add_obligation(debtor, open(debtor.get(), 1, 1, 900));
    }
    let paid = StatementLine { payer_account: Some("DE89370400440532013000".into()), ..line(900) };
    let outcome = match_line(&rules(ALL_RULES), &paid, eur(), &data);
    assert!(matches!(outcome.decision, Decision::Ambiguous(ref targets) if targets.len() == 2));
    let kinds: Vec<&str> = outcome.steps.iter().map(|step| step.kind).collect();
    assert_eq!(kinds, ["payer_account", "amount"]);
    assert!(outcome.steps.iter().all(|step| !step.posts));
}

#[test]
fn too_many_rules_is_located_at_the_first_one_over() {
    let text: String = (0..=RULES_MAX)
        .map(|index| format!("[[rule]]\nname = \"r{index}\"\nkind = \"payer_account\"\n"))
        .collect();
    let error = MatchRules::from_toml(&text, "big.toml").unwrap_err();
    assert_eq!(error.reason, RulesErrorReason::TooManyRules { count: RULES_MAX + 1 });
    assert_eq!((error.line, error.field), (3 * RULES_MAX + 2, format!("rule[{RULES_MAX}]")));
}

#[test]
fn after_an_ambiguity_later_rules_count_only_the_candidates_in_targets_and_fields() {
    let mut data = InMemoryMatchData::default();
    for debtor in [DebtorId(1), DebtorId(2)] {
        data.add_payer_account("DE89370400440532013000", debtor).unwrap();
    }
    data.add_external_reference("OTHER-9", MatchTarget::debtor(DebtorId(3)));
    data.add_external_reference("MINE-2", MatchTarget::debtor(DebtorId(2)));
    let text = "[[rule]]\nname = \"iban\"\nkind = \"payer_account\"\n\n\
                [[rule]]\nname = \"ref\"\nkind = \"reference_in_remittance\"\n";
    let paid = StatementLine {
        payer_account: Some("DE89370400440532013000".into()),
        remittance_unstructured: Some("OTHER-9 MINE-2".into()),
        ..line(100)
    };
    let outcome = match_line(&rules(text), &paid, eur(), &data);
    assert_eq!(outcome.decision, Decision::Post(MatchTarget::debtor(DebtorId(2))));
    let last = &outcome.steps[1];
    assert_eq!(last.fields, [MatchedField { field: LineField::Remittance, value: "MINE2".into() }]);
}

/// An `amount` rule searched only the first 16 candidate debtors (by id) and dropped the rest
/// in silence: a payer account shared by 20 debtors, of which the 3rd and the 18th owe the
/// line's amount, posted to the 3rd as if it were the only one. More candidates than it
/// searches, the rule finds nothing (it cannot tell them apart) and the line stays ambiguous.
#[test]
fn amount_rule_over_more_candidates_than_it_searches_does_not_post() {
    let mut data = InMemoryMatchData::default();
    for id in 1..=20 {
        let debtor = DebtorId(id);
        data.add_payer_account("DE89370400440532013000", debtor).unwrap();
        let owed = if id == 3 || id == 18 { 900 } else { 100 + i64::try_from(id).unwrap() };
        data.add_obligation(debtor, open(id, id, 1, owed));
    }
    let paid = StatementLine { payer_account: Some("DE89370400440532013000".into()), ..line(900) };
    let outcome = match_line(&rules(ALL_RULES), &paid, eur(), &data);
    assert!(
        matches!(outcome.decision, Decision::Ambiguous(ref targets) if targets.len() == 20),
        "{:?}",
        outcome.decision
    );
    assert!(outcome.steps.iter().all(|step| !step.posts));
    // Without the payer-account rule, the amount rule's candidates are the account's debtors.
    let amount_only = one_rule("kind = \"amount\"");
    let outcome = match_line(&amount_only, &paid, eur(), &data);
    assert_eq!(outcome.decision, Decision::Unmatched);
}
