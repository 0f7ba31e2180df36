use super::*;

const DEMO_POLICY: &str = include_str!("../../../../../examples/policies/demo.toml");

#[test]
fn the_counterfactual_policy_has_no_credit_rules_and_keeps_the_rest() {
    let without = without_early_warning(DEMO_POLICY).unwrap().expect("the demo has credit rules");
    let policy = arrears::policy::Policy::from_toml(&without, "demo.toml").unwrap();
    let original = arrears::policy::Policy::from_toml(DEMO_POLICY, "demo.toml").unwrap();
    assert!(!without.contains("[credit"), "{without}");
    assert!(policy.credit().rules.is_empty());
    assert_eq!(original.credit().rules.len(), 3);
    assert_eq!(policy.stages(), original.stages());
    assert_eq!(policy.arms(), original.arms());
    assert_eq!(policy.messages(), original.messages());
    assert_eq!(policy.review(), original.review());
}

#[test]
fn a_policy_without_credit_rules_has_no_counterfactual() {
    let without = without_early_warning(DEMO_POLICY).unwrap().unwrap_or_default();
    assert_eq!(without_early_warning(&without).unwrap(), None);
    assert!(without_early_warning("name = [").is_err());
}

#[test]
fn the_saving_is_the_difference_of_the_losses() {
    let debtors = super::super::generator::portfolio(42, 400);
    let with = Exposure {
        exposure_at_default_minor: 100,
        charged_off_minor: 30,
        delinquent_minor: 70,
        invoiced_to_false_alarms_minor: 900,
        ..Exposure::default()
    };
    let without = Exposure {
        exposure_at_default_minor: 400,
        charged_off_minor: 50,
        delinquent_minor: 350,
        invoiced_to_false_alarms_minor: 1000,
        ..Exposure::default()
    };
    let figures = EarlyWarning::compare(&debtors, 180, with, without);
    assert_eq!(figures.loss_saved_minor, 300);
    assert_eq!(figures.exposure_at_default_saved_minor, 300);
    assert_eq!(figures.false_alarm_sales_forgone_minor, 100);
    assert!(figures.flagged_debtors >= figures.flagged_defaults);
    assert!(figures.flagged_defaults > 0);
}
