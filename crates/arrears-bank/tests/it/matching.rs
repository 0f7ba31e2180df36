//! Matching and apportioning on a parsed statement: the rules file of docs/CASH.md loaded as
//! written, the credits of a hand-written MT940 file matched against in-memory engine data,
//! and a matched line apportioned as its remittance directs.

use arrears_bank::apportion::{apportion, ApportionMethod};
use arrears_bank::matching::{
    match_line, referenced_obligations, Decision, InMemoryMatchData, LineField, MatchData,
    MatchRules, MatchTarget, OpenObligation, TargetScope,
};
use arrears_bank::Direction;
use arrears_core::ids::{AccountId, DebtorId, ObligationId};
use chrono::NaiveDate;

use crate::read;

fn docs_rules() -> MatchRules {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CASH.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let section = doc.find("## Matching rules").expect("a Matching rules section");
    let start = section + doc[section..].find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    MatchRules::from_toml(&doc[start..end], "CASH.md").unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn the_rules_of_docs_cash_md_load() {
    let rules = docs_rules();
    assert_eq!(rules.rules().len(), 5);
    assert_eq!(rules.apportion(), ApportionMethod::OldestDue);
}

#[test]
fn mt940_credits_are_matched_by_reference_and_apportioned_as_remitted() {
    let statement = &read("mt940_sepa_codes.sta")[0];
    let eur = statement.currency;
    let mut data = InMemoryMatchData::default();
    let open = |id, day, outstanding_minor| OpenObligation {
        obligation: ObligationId(id),
        account: AccountId(10),
        due_on: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        outstanding_minor,
        currency: eur,
    };
    data.add_external_reference(
        "2026/114",
        MatchTarget::obligation(DebtorId(1), ObligationId(114)),
    );
    data.add_obligation(DebtorId(1), open(113, 1, 100_000));
    data.add_obligation(DebtorId(1), open(114, 20, 120_000));
    data.add_creditor_reference("RF18 5390 0754 7034", MatchTarget::debtor(DebtorId(2)));
    let rules = docs_rules();
    let credits: Vec<_> = statement
        .lines
        .iter()
        .filter(|line| line.direction == Direction::Credit && !line.is_reversal)
        .collect();
    assert_eq!(credits.len(), 2);
    let outcome = match_line(&rules, credits[0], eur, &data);
    let target = MatchTarget {
        debtor: DebtorId(1),
        scope: TargetScope::Obligations(vec![ObligationId(114)]),
    };
    assert_eq!(outcome.decision, Decision::Post(target));
    assert_eq!(outcome.steps[0].rule, "invoice number in text");
    assert_eq!(outcome.steps[0].fields[0].field, LineField::Remittance);
    let outcome = match_line(&rules, credits[1], eur, &data);
    assert_eq!(outcome.decision, Decision::Post(MatchTarget::debtor(DebtorId(2))));
    assert_eq!(outcome.steps[0].kind, "creditor_reference");

    // 1500.25 EUR for invoice 2026-114 (1200.00) first, the rest to the oldest (113).
    let line = credits[0];
    let directed = referenced_obligations(line, &data);
    let obligations = data.open_obligations(DebtorId(1));
    let split = apportion(
        &line.bank_reference,
        line.amount_minor,
        eur,
        &obligations,
        ApportionMethod::AsRemitted,
        &directed,
    )
    .unwrap();
    let parts: Vec<(u64, i64)> =
        split.parts.iter().map(|part| (part.obligation.get(), part.amount_minor)).collect();
    assert_eq!(parts, [(114, 120_000), (113, 30_025)]);
    assert_eq!(split.unapplied_minor, 0);
    assert_eq!(split.parts[1].bank_reference, "B6L01ABCD000001");
    assert_eq!(split.parts[1].part_number, 2);
}
