use arrears_core::ids::{AccountId, ObligationId};
use arrears_core::money::Currency;
use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn eur() -> Currency {
    Currency::from_code("EUR").unwrap()
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

fn amounts(split: &Apportionment) -> Vec<(u64, i64)> {
    split.parts.iter().map(|part| (part.obligation.get(), part.amount_minor)).collect()
}

fn run(
    amount_minor: i64,
    obligations: &[OpenObligation],
    method: ApportionMethod,
    directed: &[ObligationId],
) -> Apportionment {
    apportion("REF9", amount_minor, eur(), obligations, method, directed).unwrap()
}

#[test]
fn oldest_due_first_across_accounts_and_the_excess_is_unapplied() {
    let obligations = [open(1, 2, 20, 500), open(2, 1, 5, 300), open(3, 3, 5, 100)];
    let split = run(700, &obligations, ApportionMethod::OldestDue, &[]);
    // Day 5 (account 1 before account 3), then day 20.
    assert_eq!(amounts(&split), [(2, 300), (3, 100), (1, 300)]);
    assert_eq!(split.unapplied_minor, 0);
    let split = run(1_000, &obligations, ApportionMethod::OldestDue, &[]);
    assert_eq!(split.unapplied_minor, 100);
    let numbers: Vec<u32> = split.parts.iter().map(|part| part.part_number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(split.parts.iter().all(|part| part.bank_reference == "REF9"));
}

#[test]
fn pro_rata_gives_leftover_units_to_largest_remainders_then_oldest() {
    // Equal outstanding, 100 over 3: 33.33 each, the one unit left goes to the oldest.
    let equal = [open(1, 1, 3, 50), open(2, 1, 1, 50), open(3, 1, 2, 50)];
    assert_eq!(
        amounts(&run(100, &equal, ApportionMethod::ProRata, &[])),
        [(2, 34), (3, 33), (1, 33)]
    );
    // 10 over 1:2:7 of 100 is exact.
    let exact = [open(1, 1, 1, 10), open(2, 1, 2, 20), open(3, 1, 3, 70)];
    assert_eq!(amounts(&run(10, &exact, ApportionMethod::ProRata, &[])), [(1, 1), (2, 2), (3, 7)]);
    // Remainders 0.6 and 0.4 of one unit: the larger gets it even though it is newer.
    let uneven = [open(1, 1, 1, 2), open(2, 1, 2, 3)];
    assert_eq!(amounts(&run(1, &uneven, ApportionMethod::ProRata, &[])), [(2, 1)]);
}

#[test]
fn as_remitted_pays_named_obligations_first_then_oldest() {
    let obligations = [open(1, 1, 1, 100), open(2, 1, 2, 100), open(3, 2, 3, 100)];
    let directed = [ObligationId(3), ObligationId(9), ObligationId(3)];
    let split = run(150, &obligations, ApportionMethod::AsRemitted, &directed);
    assert_eq!(amounts(&split), [(3, 100), (1, 50)]);
    // The other methods ignore the directions.
    assert_eq!(
        amounts(&run(150, &obligations, ApportionMethod::OldestDue, &directed)),
        [(1, 100), (2, 50)]
    );
}

#[test]
fn other_currencies_and_settled_obligations_are_left_out() {
    let usd =
        OpenObligation { currency: Currency::from_code("USD").unwrap(), ..open(1, 1, 1, 100) };
    let obligations = [usd, open(2, 1, 2, 0), open(3, 1, 3, 40)];
    let split = run(100, &obligations, ApportionMethod::ProRata, &[]);
    assert_eq!(amounts(&split), [(3, 40)]);
    assert_eq!(split.unapplied_minor, 60);
    assert_eq!(run(0, &obligations, ApportionMethod::OldestDue, &[]).parts, []);
}

#[test]
fn bad_input_is_an_error() {
    let one = [open(1, 1, 1, 100)];
    let negative = apportion("R", -1, eur(), &one, ApportionMethod::OldestDue, &[]);
    assert!(matches!(negative, Err(ApportionError::NegativeAmount { amount_minor: -1, .. })));
    let owed = [open(1, 1, 1, -5)];
    let owed = apportion("R", 1, eur(), &owed, ApportionMethod::OldestDue, &[]);
    assert!(matches!(owed, Err(ApportionError::NegativeOutstanding { .. })));
    let twice = [open(1, 1, 1, 5), open(1, 2, 2, 5)];
    let twice = apportion("R", 1, eur(), &twice, ApportionMethod::ProRata, &[]);
    assert!(matches!(twice, Err(ApportionError::DuplicateObligation { .. })));
}

fn obligations_strategy() -> impl Strategy<Value = Vec<OpenObligation>> {
    prop::collection::vec((1_u64..4, 1_u32..29, 0_i64..1_000_000_000), 0..12).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(index, (account, day, outstanding))| {
                open(index as u64 + 1, account, day, outstanding)
            })
            .collect()
    })
}

fn method_strategy() -> impl Strategy<Value = ApportionMethod> {
    prop_oneof![
        Just(ApportionMethod::OldestDue),
        Just(ApportionMethod::ProRata),
        Just(ApportionMethod::AsRemitted)
    ]
}

proptest! {
    #[test]
    fn parts_and_remainder_add_up_and_no_part_exceeds_its_outstanding(
        obligations in obligations_strategy(),
        amount_minor in 0_i64..20_000_000_000,
        method in method_strategy(),
        directed in prop::collection::vec(1_u64..14, 0..4),
    ) {
        let directed: Vec<ObligationId> = directed.into_iter().map(ObligationId).collect();
        let split = run(amount_minor, &obligations, method, &directed);
        let applied: i64 = split.parts.iter().map(|part| part.amount_minor).sum();
        prop_assert_eq!(applied + split.unapplied_minor, amount_minor);
        prop_assert!(split.unapplied_minor >= 0);
        let owed: i64 = obligations.iter().map(|obligation| obligation.outstanding_minor).sum();
        prop_assert_eq!(split.unapplied_minor, (amount_minor - owed).max(0));
        for part in &split.parts {
            let obligation = obligations.iter().find(|o| o.obligation == part.obligation).unwrap();
            prop_assert!(0 < part.amount_minor && part.amount_minor <= obligation.outstanding_minor);
        }
        let mut ids: Vec<ObligationId> = split.parts.iter().map(|part| part.obligation).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), split.parts.len());
    }

    #[test]
    fn pro_rata_is_within_one_minor_unit_of_the_exact_share(
        obligations in obligations_strategy(),
        amount_minor in 0_i64..20_000_000_000,
    ) {
        let split = run(amount_minor, &obligations, ApportionMethod::ProRata, &[]);
        let total: i128 = obligations.iter().map(|o| i128::from(o.outstanding_minor)).sum();
        let amount = i128::from(amount_minor).min(total);
        for obligation in &obligations {
            let part = split.parts.iter().find(|part| part.obligation == obligation.obligation);
            let paid = i128::from(part.map_or(0, |part| part.amount_minor));
            // |paid - amount * outstanding / total| < 1, in integers.
            let exact = amount * i128::from(obligation.outstanding_minor);
            prop_assert!((paid * total - exact).abs() < total.max(1));
        }
    }

    #[test]
    fn apportioning_is_deterministic_whatever_the_input_order(
        obligations in obligations_strategy(),
        amount_minor in 0_i64..20_000_000_000,
        method in method_strategy(),
        rotate in 0_usize..12,
    ) {
        let directed = [ObligationId(2), ObligationId(1)];
        let split = run(amount_minor, &obligations, method, &directed);
        let mut shuffled = obligations.clone();
        shuffled.reverse();
        let len = shuffled.len().max(1);
        shuffled.rotate_left(rotate % len);
        prop_assert_eq!(run(amount_minor, &shuffled, method, &directed), split);
    }

    #[test]
    fn oldest_due_pays_a_later_obligation_only_when_every_earlier_one_is_paid(
        obligations in obligations_strategy(),
        amount_minor in 0_i64..20_000_000_000,
    ) {
        let split = run(amount_minor, &obligations, ApportionMethod::OldestDue, &[]);
        for pair in split.parts.windows(2) {
            let earlier = obligations.iter().find(|o| o.obligation == pair[0].obligation).unwrap();
            prop_assert_eq!(pair[0].amount_minor, earlier.outstanding_minor);
        }
    }
}
