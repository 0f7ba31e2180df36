use super::*;

#[test]
fn the_twin_policy_swaps_the_arms_strategies_and_keeps_their_names_and_weights() {
    let twin = swapped_arms(DEMO_POLICY).expect("TOML").expect("two arms");
    let policy = arrears::policy::Policy::from_toml(&twin, "twin.toml").expect("a valid policy");
    let original = arrears::policy::Policy::from_toml(DEMO_POLICY, "demo.toml").expect("valid");
    let arms = policy.arms();
    let before = original.arms();
    assert_eq!(arms.len(), 2);
    for (index, other) in [(0, 1), (1, 0)] {
        assert_eq!(arms[index].name, before[index].name);
        assert_eq!(arms[index].weight, before[index].weight);
        assert_eq!(arms[index].scorer, before[other].scorer);
        assert_eq!(arms[index].strategy, before[other].strategy);
    }
    // Every debtor stays in its arm (by name), under the other arm's strategy.
    for debtor in 1..200 {
        assert_eq!(policy.arm_for(debtor).name, original.arm_for(debtor).name);
    }
    assert_eq!(policy.messages(), original.messages());
}

#[test]
fn a_policy_without_exactly_two_arms_has_no_twin() {
    let one = DEMO_POLICY.split("[[arm]]").next().expect("the part before the arms").to_owned()
        + "[[arm]]\nname = \"only\"\nweight = 1\n";
    assert_eq!(swapped_arms(&one).expect("TOML"), None);
    assert!(swapped_arms("not = [toml").is_err());
}
