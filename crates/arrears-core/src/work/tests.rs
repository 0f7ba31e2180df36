use chrono::{DateTime, Utc};

use super::*;
use crate::ids::DebtorId;
use crate::model::{ContactRestrictions, DebtorFlags, DebtorKind};

fn debtor(language: &str, country: &str, region: Option<&str>) -> Debtor {
    Debtor {
        id: DebtorId(1),
        external_ref: None,
        kind: DebtorKind::Person,
        name: "Ana".into(),
        jurisdiction: Jurisdiction { country: country.into(), region: region.map(Into::into) },
        time_zones: vec!["UTC".into()],
        language: language.into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
        restrictions: ContactRestrictions::default(),
        attorney: None,
        reported_signals: Vec::new(),
    }
}

#[test]
fn languages_cover_their_subtags_only() {
    assert!(language_covers("es", "es-MX"));
    assert!(language_covers("ES", "es"));
    assert!(language_covers("es-MX", "es-mx"));
    assert!(!language_covers("es", "est"));
    assert!(!language_covers("es-MX", "es"));
}

#[test]
fn jurisdictions_cover_regions_of_their_country() {
    let boston = Jurisdiction { country: "US".into(), region: Some("MA".into()) };
    let us = Jurisdiction { country: "US".into(), region: None };
    assert!(jurisdiction_covers("US", &boston));
    assert!(jurisdiction_covers("US-MA", &boston));
    assert!(!jurisdiction_covers("US-NY", &boston));
    assert!(!jurisdiction_covers("US-MA", &us));
    assert!(!jurisdiction_covers("CO", &us));
}

#[test]
fn skills_allow_when_every_list_allows() {
    let anything = Skills::default();
    let spanish_loans = Skills {
        languages: vec!["es".into()],
        products: vec![ProductKind::Installment],
        jurisdictions: vec!["US".into()],
    };
    let ana = debtor("es-MX", "US", Some("TX"));
    let bob = debtor("en", "US", None);
    assert!(anything.allow(&bob, ProductKind::Revolving));
    assert!(spanish_loans.allow(&ana, ProductKind::Installment));
    assert!(!spanish_loans.allow(&ana, ProductKind::Revolving));
    assert!(!spanish_loans.allow(&bob, ProductKind::Installment));
    assert!(!spanish_loans.allow(&debtor("es", "CO", None), ProductKind::Installment));
}

#[test]
fn a_lease_holds_against_others_until_it_ends() {
    let until: DateTime<Utc> = "2026-03-02T10:00:00Z".parse().unwrap();
    let mut item = WorkItem::new(AccountId(4));
    assert!(!item.held_by_other("b", until));
    item.claim = Some(WorkClaim { agent: "a".into(), until });
    let before: DateTime<Utc> = "2026-03-02T09:59:59Z".parse().unwrap();
    assert!(item.held_by_other("b", before));
    assert!(!item.held_by_other("a", before));
    assert!(!item.held_by_other("b", until));
}

#[test]
fn outcome_codes_round_trip_by_name() {
    for code in WorkOutcomeCode::ALL {
        assert_eq!(WorkOutcomeCode::from_name(code.name()), Some(code));
    }
    assert_eq!(WorkOutcomeCode::from_name("paid"), None);
}
