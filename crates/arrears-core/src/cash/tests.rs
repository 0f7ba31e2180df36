use proptest::prelude::*;

use super::*;
use crate::ledger::is_balanced;

fn line(amount_minor: i64, parts: &[i64]) -> HeldLine {
    returned_line(amount_minor, parts, &[])
}

fn returned_line(amount_minor: i64, parts: &[i64], returned: &[i64]) -> HeldLine {
    HeldLine {
        bank_ref: "NTRF-1".into(),
        value_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        currency: Currency::EUR,
        amount_minor,
        payer_name: Some("Ana Ruiz".into()),
        payer_account: None,
        remittance: "factura F-1".into(),
        received_at: "2026-03-02T09:00:00Z".parse().unwrap(),
        applied: parts
            .iter()
            .enumerate()
            .map(|(index, amount_minor)| AppliedPart {
                account: AccountId(index as u64 + 1),
                event: EventSeq(1),
                amount_minor: *amount_minor,
                effective_on: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            })
            .collect(),
        returned: returned
            .iter()
            .map(|amount_minor| ReturnedPart {
                amount_minor: *amount_minor,
                effective_on: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            })
            .collect(),
    }
}

fn suspense_minor(held: &HeldLine) -> i64 {
    held.postings()
        .iter()
        .flatten()
        .filter(|posting| posting.book == Book::Suspense)
        .map(|posting| posting.amount_minor)
        .sum()
}

#[test]
fn a_line_received_is_held_whole_and_applying_moves_it_out_of_suspense() {
    let received = line(10_000, &[]);
    assert_eq!(received.held_minor(), 10_000);
    assert_eq!(suspense_minor(&received), -10_000);
    let applied = line(10_000, &[2_500, 7_500]);
    assert_eq!(applied.held_minor(), 0);
    assert_eq!(suspense_minor(&applied), 0);
    assert_eq!(applied.postings().len(), 3);
    let returned = returned_line(10_000, &[2_500], &[7_500]);
    assert_eq!(returned.held_minor(), 0);
    assert_eq!(suspense_minor(&returned), 0);
    assert_eq!(returned.postings().len(), 3);
}

proptest! {
    #[test]
    fn prop_every_suspense_entry_balances_and_suspense_is_what_is_held(
        parts in proptest::collection::vec(1i64..1_000_000, 0..6),
        returned in proptest::collection::vec(1i64..1_000_000, 0..3),
        rest in 0i64..1_000_000,
    ) {
        let received = parts.iter().sum::<i64>() + returned.iter().sum::<i64>() + rest;
        let held = returned_line(received, &parts, &returned);
        prop_assert!(held.postings().iter().all(|entry| is_balanced(entry)));
        prop_assert_eq!(held.held_minor(), rest);
        prop_assert_eq!(suspense_minor(&held), -rest);
    }
}
