//! Golden action ids: an action's id is stored (the outbox is keyed by it) and recomputed by a
//! cycle resumed on the same date, so it must never change for the same date, debtor and
//! contact. Never edit an expected id: a change needs a format note and a migration.

use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::ContactChannel;
use arrears_core::strategy::ContactProposal;

use super::action_id;

#[test]
fn action_ids_are_frozen() {
    let as_of: chrono::NaiveDate = "2026-02-01".parse().unwrap();
    let proposal = |channel, address: &str| ContactProposal {
        debtor: DebtorId(7),
        accounts: vec![AccountId(3)],
        channel,
        address: address.to_owned(),
        template: "reminder_1".to_owned(),
        at: "2026-02-01T15:00:00Z".parse().unwrap(),
        tone: None,
    };
    let ids: Vec<u64> = [
        (ContactChannel::Phone, "+15550001"),
        (ContactChannel::Sms, "+15550001"),
        (ContactChannel::Email, "a@example.com"),
        (ContactChannel::Postal, "1 Main St"),
        (ContactChannel::Messaging, "+15550001"),
    ]
    .into_iter()
    .map(|(channel, address)| action_id(as_of, DebtorId(7), &proposal(channel, address)))
    .collect();
    assert_eq!(
        ids,
        [5826090915395608, 735847182466793, 8416912633452484, 6196386289382516, 2313756487498388]
    );
}
