//! The records a committed write transaction hands to the next one on a handle that is the
//! file's only writer (`arrears_store`'s carried cache): what the next transaction reads
//! from it must be what the file holds, whatever the last one refused, dropped or made whole.
//! Every test here runs the same commands on a handle that carries (`Sharing::Exclusive`) and
//! on one that does not (`Sharing::MultiWriter`), and wants the same outcomes, the same views
//! and a clean `verify` of both.

use arrears::ids::AccountId;
use arrears::model::Component;
use arrears::{Arrears, Command, Durability, FixedClock, Options, Outcome, Sharing};
use arrears_store::Reads;

use crate::support::{account, charge_command, d, usd};

fn open(dir: &tempfile::TempDir, sharing: Sharing) -> Arrears {
    let options = Options {
        durability: Durability::Immediate,
        sharing,
        clock: Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap())),
        cold_items_min: 1,
        ..Options::default()
    };
    Arrears::create_with(dir.path().join(format!("{sharing:?}.redb")), options).unwrap()
}

fn payment(account: AccountId, on: chrono::NaiveDate, minor: i64) -> Command {
    Command::Payment { account, effective_on: on, amount: usd(minor), directed_to: None }
}

/// Ten monthly invoices, each paid on its due date: the invoices and payments settled more than
/// 92 days before a payment move to a new cold part at each.
fn account_with_cold_parts(books: &Arrears, reference: &str) -> AccountId {
    let id = account(books, reference);
    for (n, month) in (1..=10).enumerate() {
        let charge = charge_command(id, d(1, 1), d(month, 10), 10_000);
        books.execute(&format!("{reference}:charge:{n}"), &charge).unwrap().accepted().unwrap();
    }
    for (n, month) in (1..=10).enumerate() {
        let pay = payment(id, d(month, 10), 10_000);
        books.execute(&format!("{reference}:pay:{n}"), &pay).unwrap().accepted().unwrap();
    }
    let read = books.store().read().unwrap();
    let state = read.snapshot(id).unwrap().unwrap();
    assert!(state.cold_parts >= 2, "the settled months moved to cold parts: {state:?}");
    id
}

fn views(books: &Arrears, ids: &[AccountId]) -> String {
    ids.iter().map(|id| format!("{:?}\n", books.account_view(*id, d(12, 1)).unwrap())).collect()
}

/// A waiver of a settled invoice reads the account's cold parts (its whole state) and is
/// refused; the batch commits another account's payment. The account's whole state is then
/// in the transaction's cache while its row still counts its cold parts: handed to the next
/// transaction as the account's snapshot, the next write of the account would leave the old
/// parts behind, uncounted.
#[test]
fn a_state_made_whole_by_a_refused_command_is_not_handed_on() {
    let mut seen = Vec::new();
    for sharing in [Sharing::Exclusive, Sharing::MultiWriter] {
        let dir = tempfile::tempdir().unwrap();
        let books = open(&dir, sharing);
        let first = account_with_cold_parts(&books, "A-1");
        let other = account(&books, "A-2");
        books
            .execute("A-2:charge", &charge_command(other, d(1, 1), d(2, 1), 5_000))
            .unwrap()
            .accepted()
            .unwrap();
        let obligation = books.account_view(first, d(12, 1)).unwrap().obligations[0].obligation.id;
        let waiver = Command::Waiver {
            account: first,
            obligation,
            component: Component::Principal,
            amount: usd(100),
            effective_on: d(10, 10),
        };
        let mut batch = books.batch().unwrap();
        let refused = batch.execute("A-1:waive", &waiver).unwrap();
        assert!(matches!(refused.outcome, Outcome::Rejected(_)), "{refused:?}");
        batch.execute("A-2:pay", &payment(other, d(2, 1), 2_000)).unwrap().accepted().unwrap();
        batch.commit().unwrap();

        // The next transactions write the account whose state was made whole.
        books
            .execute("A-1:charge:late", &charge_command(first, d(10, 11), d(11, 10), 4_000))
            .unwrap()
            .accepted()
            .unwrap();
        books
            .execute("A-1:pay:late", &payment(first, d(10, 12), 1_500))
            .unwrap()
            .accepted()
            .unwrap();
        let report = books.verify().unwrap();
        assert!(report.is_clean(), "{sharing:?}: {:?}", report.problems);
        seen.push(views(&books, &[first, other]));
    }
    assert_eq!(seen[0], seen[1]);
}

/// A batch dropped without its commit, and one that failed, hand nothing on: the next
/// transaction reads the accounts as the file holds them, not as the dropped one left them.
#[test]
fn a_transaction_that_does_not_commit_hands_nothing_on() {
    let mut seen = Vec::new();
    for sharing in [Sharing::Exclusive, Sharing::MultiWriter] {
        let dir = tempfile::tempdir().unwrap();
        let books = open(&dir, sharing);
        let id = account_with_cold_parts(&books, "B-1");
        books
            .execute("B-1:charge:late", &charge_command(id, d(10, 11), d(11, 10), 8_000))
            .unwrap()
            .accepted()
            .unwrap();
        // Read into the cache by a commit, then changed by a batch that is dropped.
        books.execute("B-1:late:1", &payment(id, d(10, 12), 1_000)).unwrap().accepted().unwrap();
        {
            let mut batch = books.batch().unwrap();
            batch
                .execute("B-1:dropped", &payment(id, d(10, 13), 3_000))
                .unwrap()
                .accepted()
                .unwrap();
            drop(batch);
        }
        // A batch whose second command fails (an unknown account) commits nothing.
        {
            let mut batch = books.batch().unwrap();
            batch
                .execute("B-1:failed", &payment(id, d(10, 14), 2_500))
                .unwrap()
                .accepted()
                .unwrap();
            let unknown = batch.execute("B-1:unknown", &payment(AccountId(999), d(10, 14), 100));
            assert!(unknown.is_err());
            assert!(batch.commit().is_err());
        }
        let next = books.execute("B-1:late:2", &payment(id, d(10, 15), 500)).unwrap();
        let report = books.verify().unwrap();
        assert!(report.is_clean(), "{sharing:?}: {:?}", report.problems);
        let view = books.account_view(id, d(12, 1)).unwrap();
        let owed = view.total_outstanding_minor;
        assert_eq!(owed, 8_000 - 1_000 - 500, "{sharing:?}: only the committed payments count");
        seen.push(format!("{next:?}\n{}", views(&books, &[id])));
    }
    assert_eq!(seen[0], seen[1]);
}
