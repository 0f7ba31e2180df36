//! A portfolio of real stores in a temporary directory: commands routed by reference and by
//! portfolio id, the refusals of commands that cannot be routed, cycles in parallel whose
//! merged report and merged aging and roll rates equal the sums of the shards' own, and a
//! debtor moved (in one go, and one write per run as after a crash at every step) with
//! nothing lost or doubled and both shards verifying clean.

use std::path::{Path, PathBuf};

use arrears::ids::{AccountId, DebtorId};
use arrears::model::{
    DebtorFlags, DebtorKind, Jurisdiction, LateFeeRule, ObligationKind, ProductKind, Terms,
};
use arrears::money::{Currency, Money};
use arrears::{Command, NewAccount, NewCharge, NewDebtor, Outcome};
use arrears_portfolio::{
    portfolio_id, split_id, stable_hash, MoveError, MoveOptions, Portfolio, RouteError,
};
use chrono::NaiveDate;

pub(crate) fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

pub(crate) fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

/// A manifest of `shards` shards in `dir`, with `extra` appended (a `[debtors]` map).
pub(crate) fn manifest(dir: &Path, shards: usize, assignment: &str, extra: &str) -> PathBuf {
    let mut text = format!("assignment = \"{assignment}\"\n");
    for index in 0..shards {
        text.push_str(&format!("[[shards]]\nname = \"s{index}\"\npath = \"s{index}.redb\"\n"));
    }
    text.push_str(extra);
    let path = dir.join("portfolio.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A portfolio whose shards all have the standard policy (late fees, charge-off).
fn portfolio(dir: &Path, shards: usize) -> (PathBuf, Portfolio) {
    let path = manifest(dir, shards, "hash", "");
    let portfolio = Portfolio::init(&path).unwrap();
    let policy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/policies/standard.toml"
    ))
    .unwrap();
    for store in portfolio.shards() {
        let command = Command::SetPolicy { file: "standard.toml".into(), text: policy.clone() };
        store.execute("policy", &command).unwrap().accepted().unwrap();
    }
    (path, portfolio)
}

fn create_debtor(portfolio: &Portfolio, reference: &str) -> u64 {
    let command = Command::CreateDebtor(NewDebtor {
        external_ref: Some(reference.to_owned()),
        kind: DebtorKind::Person,
        name: format!("Debtor {reference}"),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    });
    match portfolio.execute(&format!("debtor:{reference}"), &command).unwrap().receipt.outcome {
        Outcome::DebtorCreated(id) => id.get(),
        other => panic!("debtor not created: {other:?}"),
    }
}

pub(crate) fn open_account(portfolio: &Portfolio, debtor: u64, reference: &str) -> u64 {
    let terms = Terms { late_fee: LateFeeRule::Flat { amount_minor: 2_500 }, ..Terms::default() };
    let command = Command::OpenAccount(NewAccount {
        external_ref: Some(reference.to_owned()),
        debtor: DebtorId(debtor),
        product: ProductKind::TradeCredit,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: d(1, 1),
        terms,
    });
    match portfolio.execute(&format!("account:{reference}"), &command).unwrap().receipt.outcome {
        Outcome::AccountOpened(id) => id.get(),
        other => panic!("account not opened: {other:?}"),
    }
}

pub(crate) fn charge(
    portfolio: &Portfolio,
    key: &str,
    account: u64,
    issued_on: NaiveDate,
    principal: i64,
) {
    let command = Command::Charge(NewCharge {
        account: AccountId(account),
        external_ref: Some(key.to_owned()),
        kind: ObligationKind::Invoice,
        issued_on,
        due_on: issued_on + chrono::Days::new(30),
        principal: usd(principal),
        interest: usd(0),
        fee: usd(0),
    });
    portfolio.execute(key, &command).unwrap().receipt.accepted().unwrap();
}

pub(crate) fn pay(portfolio: &Portfolio, key: &str, account: u64, on: NaiveDate, amount: i64) {
    let command = Command::Payment {
        account: AccountId(account),
        effective_on: on,
        amount: usd(amount),
        directed_to: None,
    };
    portfolio.execute(key, &command).unwrap().receipt.accepted().unwrap();
}

/// `count` debtors with an account each, a charge in January and in March, part paid by
/// some; returns (reference, portfolio account id).
fn book(portfolio: &Portfolio, count: usize) -> Vec<(String, u64)> {
    (0..count)
        .map(|index| {
            let reference = format!("D-{index}");
            let debtor = create_debtor(portfolio, &reference);
            let account = open_account(portfolio, debtor, &format!("A-{index}"));
            let amount = 10_000 + 137 * i64::try_from(index).unwrap();
            charge(portfolio, &format!("INV-{index}-1"), account, d(1, 5), amount);
            charge(portfolio, &format!("INV-{index}-2"), account, d(3, 5), amount / 2);
            if index % 3 == 0 {
                pay(portfolio, &format!("pay-{index}"), account, d(2, 20), amount / 4);
            }
            (reference, account)
        })
        .collect()
}

#[test]
fn debtors_go_to_their_hashed_shard_and_ids_carry_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, portfolio) = portfolio(dir.path(), 3);
    let booked = book(&portfolio, 12);
    let mut shards_used = std::collections::BTreeSet::new();
    for (reference, account) in &booked {
        let shard = usize::try_from(stable_hash(reference) % 3).unwrap();
        shards_used.insert(shard);
        assert_eq!(portfolio.shard_of(reference).unwrap(), shard);
        let debtor = portfolio.find_debtor(reference).unwrap().unwrap();
        assert_eq!(split_id(debtor).0, shard, "{reference}");
        assert_eq!(split_id(*account).0, shard, "{reference}");
        let store = &portfolio.shards()[shard];
        let local = store.find_debtor(reference).unwrap().unwrap();
        assert_eq!(portfolio_id(shard, local.get()), Some(debtor));
        let reference_of_account = format!("A{}", &reference[1..]);
        assert_eq!(portfolio.find_account(&reference_of_account).unwrap(), Some(*account));
        for (other, store) in portfolio.shards().iter().enumerate() {
            assert_eq!(store.find_debtor(reference).unwrap().is_some(), other == shard);
        }
    }
    assert_eq!(shards_used.len(), 3, "12 debtors spread over the 3 shards");
}

#[test]
fn commands_that_cannot_be_routed_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, portfolio) = portfolio(dir.path(), 2);
    let booked = book(&portfolio, 6);
    let heads: Vec<_> =
        portfolio.shards().iter().map(|store| store.changes(0, 1).unwrap().head).collect();
    let policy = Command::SetPolicy { file: "p.toml".into(), text: String::new() };
    assert!(matches!(portfolio.execute("k1", &policy), Err(RouteError::NoRoute { .. })));
    let (on_0, on_1) = (
        booked.iter().find(|(_, account)| split_id(*account).0 == 0).unwrap().1,
        booked.iter().find(|(_, account)| split_id(*account).0 == 1).unwrap().1,
    );
    let mut both = Command::Payment {
        account: AccountId(on_0),
        effective_on: d(3, 1),
        amount: usd(100),
        directed_to: None,
    };
    if let Command::Payment { directed_to, .. } = &mut both {
        *directed_to = Some(arrears::ids::ObligationId(on_1));
    }
    assert!(matches!(portfolio.execute("k2", &both), Err(RouteError::SeveralShards { .. })));
    let unknown_shard = Command::Close { account: AccountId((7 << 48) | 1), on: d(3, 1) };
    assert!(matches!(
        portfolio.execute("k3", &unknown_shard),
        Err(RouteError::UnknownShard { index: 7, shards: 2, .. })
    ));
    let nobody = Command::CreateDebtor(NewDebtor {
        external_ref: None,
        kind: DebtorKind::Person,
        name: "Nobody".into(),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    });
    assert!(matches!(portfolio.execute("k4", &nobody), Err(RouteError::NoReference)));
    let after: Vec<_> =
        portfolio.shards().iter().map(|store| store.changes(0, 1).unwrap().head).collect();
    assert_eq!(heads, after, "a refused route writes nothing");

    let map_dir = tempfile::tempdir().unwrap();
    let path = manifest(map_dir.path(), 2, "map", "[debtors]\n\"D-1\" = \"s1\"\n");
    let mapped = Portfolio::init(&path).unwrap();
    assert_eq!(mapped.shard_of("D-1").unwrap(), 1);
    assert!(matches!(mapped.shard_of("D-2"), Err(RouteError::Unassigned { .. })));
}

#[test]
fn a_bad_manifest_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(dir.path(), 2, "hash", "[debtors]\n\"D-1\" = \"nowhere\"\n");
    let error = Portfolio::init(&path).err().unwrap().to_string();
    assert!(error.contains("\"nowhere\", not listed"), "{error}");
    let path = manifest(dir.path(), 0, "hash", "");
    let error = Portfolio::init(&path).err().unwrap().to_string();
    assert!(error.contains("0 shards"), "{error}");
    std::fs::write(&path, "assignment = \"modulo\"\n").unwrap();
    let error = Portfolio::init(&path).err().unwrap().to_string();
    assert!(error.contains("portfolio.toml"), "{error}");
}

#[test]
fn cycles_run_per_shard_and_merged_reports_are_the_sums_of_the_shards() {
    let dir = tempfile::tempdir().unwrap();
    let (_, portfolio) = portfolio(dir.path(), 3);
    book(&portfolio, 24);
    for as_of in [d(2, 20), d(3, 31), d(4, 30), d(5, 31)] {
        let cycle = portfolio.run_cycles(as_of, 2).unwrap();
        assert_eq!(cycle.shards.len(), 3);
        let reviewed: u64 = cycle.shards.iter().map(|(_, report)| report.reviewed).sum();
        let fees: u64 = cycle.shards.iter().map(|(_, report)| report.fees_assessed).sum();
        let actions: u64 = cycle.shards.iter().map(|(_, report)| report.actions).sum();
        assert_eq!(
            (cycle.total.reviewed, cycle.total.fees_assessed, cycle.total.actions),
            (reviewed, fees, actions)
        );
        assert!(cycle.total.complete);
    }
    let last = portfolio.run_cycles(d(5, 31), 2).unwrap();
    assert!(last.shards.iter().all(|(_, report)| report.reviewed == 0), "a cycle runs once a date");
    for as_of in [d(3, 31), d(5, 31), d(6, 30)] {
        let merged = portfolio.portfolio_aging(as_of).unwrap();
        let mut amounts = [0_i64; 7];
        let mut accounts = [0_u64; 7];
        for store in portfolio.shards() {
            for row in store.portfolio_aging(as_of).unwrap().rows {
                amounts.iter_mut().zip(row.amounts_minor).for_each(|(sum, amount)| *sum += amount);
                accounts.iter_mut().zip(row.accounts).for_each(|(sum, count)| *sum += count);
            }
        }
        assert_eq!(merged.rows.len(), 1);
        assert_eq!(merged.rows[0].amounts_minor, amounts);
        assert_eq!(merged.rows[0].accounts, accounts);
        assert_eq!(accounts.iter().sum::<u64>(), 24);
        assert_eq!(merged.rows[0].total_minor, amounts.iter().sum::<i64>());
    }
    let month_ends = [d(1, 31), d(2, 28), d(3, 31), d(4, 30), d(5, 31)];
    let merged = portfolio.roll_rates(&month_ends).unwrap();
    for (from, row) in merged.counts.iter().enumerate() {
        for (to, cell) in row.iter().enumerate() {
            let sum: u64 = portfolio
                .shards()
                .iter()
                .map(|store| store.roll_rates(&month_ends).unwrap().counts[from][to])
                .sum();
            assert_eq!(*cell, sum);
        }
        let total: u64 = row.iter().sum();
        if total > 0 {
            let rate_sum: f64 = merged.rates[from].iter().sum();
            assert!((rate_sum - 1.0).abs() < 1e-9);
        }
    }
    assert_eq!(merged.counts.iter().flatten().sum::<u64>(), 24 * 4);
}

/// Everything a debtor owes and has paid, by account reference, read from the shard its
/// manifest assigns: (outstanding by component, ledger events).
fn debtor_figures(
    portfolio: &Portfolio,
    reference: &str,
    as_of: NaiveDate,
) -> Vec<([i64; 3], usize)> {
    let shard = portfolio.shard_of(reference).unwrap();
    let store = &portfolio.shards()[shard];
    let debtor = store.find_debtor(reference).unwrap().unwrap();
    store
        .accounts_of(debtor)
        .unwrap()
        .into_iter()
        .map(|account| {
            (
                store.account_view(account, as_of).unwrap().outstanding_minor,
                store.events(account).unwrap().len(),
            )
        })
        .collect()
}

/// The sample for the move tests: 3 shards, 12 debtors, cycles with late fees; the moved
/// debtor gets a second account, a payment after the fees and a reversal of it.
fn moving_sample(dir: &Path) -> (PathBuf, Portfolio, String, usize) {
    let (path, portfolio) = portfolio(dir, 3);
    let booked = book(&portfolio, 12);
    let (reference, account) = booked[3].clone();
    let debtor = portfolio.find_debtor(&reference).unwrap().unwrap();
    let second = open_account(&portfolio, debtor, "A-3-second");
    charge(&portfolio, "INV-3-3", second, d(2, 1), 4_400);
    for as_of in [d(2, 20), d(3, 31), d(4, 30)] {
        portfolio.run_cycles(as_of, 3).unwrap();
    }
    pay(&portfolio, "pay-3-late", account, d(5, 2), 3_000);
    let reversal = Command::Reversal {
        account: AccountId(account),
        payment: last_payment(&portfolio, account),
        effective_on: d(5, 3),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    portfolio.execute("reverse-3", &reversal).unwrap().receipt.accepted().unwrap();
    pay(&portfolio, "pay-3-again", account, d(5, 4), 3_000);
    let from = portfolio.shard_of(&reference).unwrap();
    (path, portfolio, reference, from)
}

fn last_payment(portfolio: &Portfolio, account: u64) -> arrears::ids::EventSeq {
    let (shard, local) = split_id(account);
    let events = portfolio.shards()[shard].events(AccountId(local)).unwrap();
    let payment = events
        .iter()
        .rev()
        .find(|record| matches!(record.event.kind, arrears::ledger::EventKind::Payment { .. }));
    payment.unwrap().event.seq
}

/// Checks a finished move: the debtor's figures on the target equal those before, the
/// source's accounts owe nothing and are closed, the merged aging is unchanged, both shards
/// verify clean, and the router sends the debtor to the target.
fn check_moved(portfolio: &Portfolio, reference: &str, from: usize, to: usize, before: &Before) {
    let on = d(5, 31);
    assert_eq!(portfolio.shard_of(reference).unwrap(), to);
    assert_eq!(debtor_figures(portfolio, reference, on), before.figures);
    for (as_of, aging) in AGING_DATES.iter().zip(&before.aging) {
        let row = &portfolio.portfolio_aging(*as_of).unwrap().rows[0];
        assert_eq!(
            &(row.amounts_minor, row.accounts),
            aging,
            "nothing lost, nothing doubled on {as_of}"
        );
    }
    assert_eq!(portfolio.roll_rates(&MONTH_ENDS).unwrap().counts, before.roll_counts);
    let source = &portfolio.shards()[from];
    let old = source.find_debtor(reference).unwrap().unwrap();
    for account in source.accounts_of(old).unwrap() {
        assert_eq!(source.account_view(account, on).unwrap().total_outstanding_minor, 0);
    }
    for store in [&portfolio.shards()[from], &portfolio.shards()[to]] {
        let report = store.verify().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}

/// Dates before, on and after the move date.
const AGING_DATES: [NaiveDate; 3] = [
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(),
    NaiveDate::from_ymd_opt(2026, 7, 31).unwrap(),
];

const MONTH_ENDS: [NaiveDate; 4] = [
    NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(),
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
];

/// The figures a move must leave as they were.
struct Before {
    figures: Vec<([i64; 3], usize)>,
    aging: Vec<([i64; 7], [u64; 7])>,
    roll_counts: Vec<Vec<u64>>,
}

fn before(portfolio: &Portfolio, reference: &str) -> Before {
    let aging = AGING_DATES
        .iter()
        .map(|as_of| {
            let row = &portfolio.portfolio_aging(*as_of).unwrap().rows[0];
            (row.amounts_minor, row.accounts)
        })
        .collect();
    Before {
        figures: debtor_figures(portfolio, reference, d(5, 31)),
        aging,
        roll_counts: portfolio.roll_rates(&MONTH_ENDS).unwrap().counts,
    }
}

/// A late fee the engine took back whole (a payment recorded after the fee, dated the day before
/// it was assessed) is copied as a withdrawal of the fee's copy, at its place in the account's
/// events: the debtor's figures are the same on the target (docs/SCALE.md, "Moving a debtor").
#[test]
fn a_moved_debtor_keeps_a_late_fee_the_engine_took_back() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, mut portfolio, reference, from) = moving_sample(dir.path());
    // The debtor's second account: 44.00 due on March 3, its fee assessed on March 31.
    let account = portfolio.find_account("A-3-second").unwrap().unwrap();
    let (shard, local) = split_id(account);
    let store = &portfolio.shards()[shard];
    let charges = store.case(AccountId(local)).unwrap().late_fee_charges;
    assert_eq!(charges.len(), 1, "the sample's cycles charged one late fee");
    assert_eq!(charges[0].assessed_on, d(3, 31));
    // The bank statement shows the 44.00 paid on March 30.
    pay(&portfolio, "pay-3-in-time", account, d(3, 30), 4_400);
    let withdrawals = |store: &arrears::Arrears, account| {
        (store.events(account).unwrap().iter())
            .filter(|record| {
                matches!(record.event.kind, arrears::ledger::EventKind::ChargeWithdrawn { .. })
            })
            .count()
    };
    assert_eq!(withdrawals(&portfolio.shards()[shard], AccountId(local)), 1);
    let view = portfolio.shards()[shard].account_view(AccountId(local), d(5, 31)).unwrap();
    assert_eq!(view.total_outstanding_minor, 0, "the fee is taken back");
    let to = (from + 1) % 3;
    let before = before(&portfolio, &reference);
    let report = portfolio.move_debtor(&reference, &format!("s{to}"), d(5, 31)).unwrap();
    check_moved(&portfolio, &reference, from, to, &before);
    assert!(report.engine_events >= 3, "the fees and the withdrawal are copied: {report:?}");
    let target = &portfolio.shards()[to];
    let moved = target.find_account("A-3-second").unwrap().unwrap();
    assert_eq!(withdrawals(target, moved), 1);
}

/// Offers, accepts and pays a settlement of four fifths of what the debtor's second account owes on
/// May 5, then returns its payment on May 8; returns that account's portfolio id.
fn settle_and_return(portfolio: &Portfolio) -> u64 {
    let account = portfolio.find_account("A-3-second").unwrap().unwrap();
    let (shard, local) = split_id(account);
    let owed = portfolio.shards()[shard].account_view(AccountId(local), d(5, 5)).unwrap();
    let amount = owed.total_outstanding_minor * 4 / 5;
    let id = AccountId(account);
    let offer = Command::OfferSettlement { account: id, offered_on: d(5, 5), amount: usd(amount) };
    portfolio.execute("offer-3", &offer).unwrap().receipt.accepted().unwrap();
    let accept = Command::AcceptSettlement { account: id, accepted_on: d(5, 5) };
    portfolio.execute("accept-3", &accept).unwrap().receipt.accepted().unwrap();
    pay(portfolio, "settle-3", account, d(5, 6), amount);
    let reversal = Command::Reversal {
        account: id,
        payment: last_payment(portfolio, account),
        effective_on: d(5, 8),
        reason: arrears::ledger::ReversalReason::Returned,
    };
    portfolio.execute("settle-3-returned", &reversal).unwrap().receipt.accepted().unwrap();
    let view = portfolio.shards()[shard].account_view(AccountId(local), d(5, 31)).unwrap();
    assert_eq!(view.total_outstanding_minor, owed.total_outstanding_minor, "owed again");
    account
}

fn event_kinds(store: &arrears::Arrears, account: AccountId) -> Vec<&'static str> {
    (store.events(account).unwrap().iter()).map(|record| record.event.kind.name()).collect()
}

/// A settlement of a charged-off account, voided by its returned payment, moves as it stands:
/// the target derives the write-off and its reversal from the copied commands, and the debtor
/// owes there what it owed before the settlement (docs/SCALE.md, "Moving a debtor").
#[test]
fn a_moved_debtor_keeps_a_settlement_its_returned_payment_voided() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, mut portfolio, reference, from) = moving_sample(dir.path());
    let account = portfolio.find_account("A-3-second").unwrap().unwrap();
    let charge_off = Command::ChargeOff { account: AccountId(account), effective_on: d(5, 5) };
    portfolio.execute("charge-off-3", &charge_off).unwrap().receipt.accepted().unwrap();
    settle_and_return(&portfolio);
    let (shard, local) = split_id(account);
    let source_kinds = event_kinds(&portfolio.shards()[shard], AccountId(local));
    assert!(source_kinds.ends_with(&["write_off_remainder", "reversal", "write_off_reversed"]));
    let to = (from + 1) % 3;
    let before = before(&portfolio, &reference);
    portfolio.move_debtor(&reference, &format!("s{to}"), d(5, 31)).unwrap();
    check_moved(&portfolio, &reference, from, to, &before);
    let target = &portfolio.shards()[to];
    let moved = target.find_account("A-3-second").unwrap().unwrap();
    assert_eq!(event_kinds(target, moved), source_kinds);
}

/// A settlement paid before it was accepted is completed by its acceptance, whose command
/// carries the write-off: the target's copy of the acceptance derives it again (found by
/// review: the move refused it).
#[test]
fn a_settlement_completed_by_its_acceptance_moves() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, mut portfolio, reference, from) = moving_sample(dir.path());
    let account = portfolio.find_account("A-3-second").unwrap().unwrap();
    let id = AccountId(account);
    let charge_off = Command::ChargeOff { account: id, effective_on: d(5, 5) };
    portfolio.execute("charge-off-3", &charge_off).unwrap().receipt.accepted().unwrap();
    let (shard, local) = split_id(account);
    let owed = portfolio.shards()[shard].account_view(AccountId(local), d(5, 5)).unwrap();
    let amount = owed.total_outstanding_minor * 4 / 5;
    let offer = Command::OfferSettlement { account: id, offered_on: d(5, 5), amount: usd(amount) };
    portfolio.execute("offer-3", &offer).unwrap().receipt.accepted().unwrap();
    pay(&portfolio, "settle-3", account, d(5, 6), amount);
    let accept = Command::AcceptSettlement { account: id, accepted_on: d(5, 7) };
    portfolio.execute("accept-3", &accept).unwrap().receipt.accepted().unwrap();
    let kinds = event_kinds(&portfolio.shards()[shard], AccountId(local));
    assert_eq!(kinds.last(), Some(&"write_off_remainder"));
    let to = (from + 1) % 3;
    let before = before(&portfolio, &reference);
    portfolio.move_debtor(&reference, &format!("s{to}"), d(5, 31)).unwrap();
    check_moved(&portfolio, &reference, from, to, &before);
    let target = &portfolio.shards()[to];
    let moved = target.find_account("A-3-second").unwrap().unwrap();
    assert_eq!(event_kinds(target, moved), kinds);
}

/// A settlement offered by the stage the source's cycle set cannot be replayed (the target's
/// copy has no stage until its own cycle): the move refuses the debtor before writing anything,
/// where it used to stop half-way with the target refusing the offer.
#[test]
fn a_debtor_offered_a_settlement_by_its_stage_is_refused_before_the_move_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut portfolio, reference, from) = moving_sample(dir.path());
    portfolio.run_cycles(d(5, 5), 3).unwrap();
    settle_and_return(&portfolio);
    let manifest = std::fs::read_to_string(&path).unwrap();
    let to = (from + 1) % 3;
    let error = portfolio.move_debtor(&reference, &format!("s{to}"), d(5, 31)).unwrap_err();
    assert!(
        matches!(&error, arrears_portfolio::MoveError::CannotCopy { reason, .. } if reason.contains("offer_settlement")),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), manifest, "the move is not under way");
    assert_eq!(portfolio.shard_of(&reference).unwrap(), from);
    assert!(portfolio.shards()[to].find_debtor(&reference).unwrap().is_none());
}

#[test]
fn a_moved_debtor_loses_nothing_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut portfolio, reference, from) = moving_sample(dir.path());
    let to = (from + 1) % 3;
    let before = before(&portfolio, &reference);
    let old_account = portfolio.find_account("A-3").unwrap().unwrap();
    let report = portfolio.move_debtor(&reference, &format!("s{to}"), d(5, 31)).unwrap();
    assert!(report.engine_events >= 2, "the cycle's late fees are copied: {report:?}");
    assert!(report.handed_over >= 3, "{report:?}");
    check_moved(&portfolio, &reference, from, to, &before);

    let reopened = Portfolio::open(&path).unwrap();
    assert_eq!(reopened.manifest().debtors.get(&reference), Some(&format!("s{to}")));
    assert!(reopened.manifest().moving.is_empty());
    let stale = Command::Payment {
        account: AccountId(old_account),
        effective_on: d(6, 1),
        amount: usd(100),
        directed_to: None,
    };
    assert!(matches!(reopened.execute("stale", &stale), Err(RouteError::Moved { .. })));
    drop(reopened);

    let again = portfolio.move_debtor(&reference, &format!("s{to}"), d(5, 31)).unwrap();
    assert!(again.already_done);
    check_moved(&portfolio, &reference, from, to, &before);

    let new_account = portfolio.find_account("A-3").unwrap().unwrap();
    assert_eq!(split_id(new_account).0, to);
    pay(&portfolio, "pay-after-move", new_account, d(6, 1), 100);
    let target = &portfolio.shards()[to];
    let (on_move, after_pay) =
        (target.portfolio_aging(d(5, 31)).unwrap(), target.portfolio_aging(d(6, 1)).unwrap());
    assert_eq!(
        after_pay.rows[0].total_minor,
        on_move.rows[0].total_minor - 100,
        "the payment lands on the target"
    );
}

#[test]
fn a_move_stopped_after_any_write_finishes_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let (path, portfolio, reference, from) = moving_sample(dir.path());
    let to = (from + 2) % 3;
    let before = before(&portfolio, &reference);
    drop(portfolio);
    let mut runs = 0;
    loop {
        // A new process each time, as after a crash.
        let mut portfolio = Portfolio::open(&path).unwrap();
        let options = MoveOptions { writes_max: Some(1) };
        match portfolio.move_debtor_with(&reference, &format!("s{to}"), d(5, 31), options) {
            Err(MoveError::Stopped { writes: 1, .. }) => {
                runs += 1;
                assert!(matches!(portfolio.shard_of(&reference), Err(RouteError::Moving { .. })));
                assert!(matches!(
                    portfolio.find_debtor(&reference),
                    Err(RouteError::Moving { .. })
                ));
                assert!(matches!(portfolio.find_account("A-3"), Err(RouteError::Moving { .. })));
            }
            Ok(report) => {
                assert!(!report.already_done);
                break;
            }
            Err(other) => panic!("after {runs} runs: {other}"),
        }
        assert!(runs < 200, "the move makes progress");
    }
    assert!(runs > 10, "one write per run: {runs}");
    let portfolio = Portfolio::open(&path).unwrap();
    check_moved(&portfolio, &reference, from, to, &before);
}

#[test]
fn a_move_to_the_same_shard_or_an_unknown_one_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut portfolio, reference, from) = moving_sample(dir.path());
    let manifest_before = std::fs::read_to_string(&path).unwrap();
    assert!(matches!(
        portfolio.move_debtor(&reference, &format!("s{from}"), d(5, 31)),
        Err(MoveError::SameShard { .. })
    ));
    assert!(matches!(
        portfolio.move_debtor(&reference, "nowhere", d(5, 31)),
        Err(MoveError::UnknownShard { .. })
    ));
    assert!(matches!(
        portfolio.move_debtor("D-none", &format!("s{}", (from + 1) % 3), d(5, 31)),
        Err(MoveError::NotFound { .. })
    ));
    let early = portfolio.move_debtor(&reference, &format!("s{}", (from + 1) % 3), d(4, 1));
    assert!(
        matches!(early, Err(MoveError::CannotCopy { .. })),
        "events after the move date: {early:?}"
    );
    let taken = (from + 1) % 3;
    let on_taken = Command::CreateDebtor(arrears::NewDebtor {
        external_ref: Some(reference.clone()),
        kind: DebtorKind::Person,
        name: "Namesake".into(),
        jurisdiction: Jurisdiction { country: "US".into(), region: None },
        time_zones: vec!["America/Chicago".into()],
        language: "en".into(),
        contact_points: Vec::new(),
        flags: DebtorFlags::default(),
    });
    portfolio.shards()[taken].execute("namesake", &on_taken).unwrap().accepted().unwrap();
    let collision = portfolio.move_debtor(&reference, &format!("s{taken}"), d(5, 31));
    let Err(MoveError::CannotCopy { reason, .. }) = collision else { panic!("{collision:?}") };
    assert!(reason.contains("has a debtor with this reference already"), "{reason}");
    let other = portfolio.find_debtor("D-5").unwrap().unwrap();
    let payer = Command::RegisterPayerAccount {
        debtor: DebtorId(other),
        scheme: arrears::cash::PayerScheme::Iban,
        number: "DE89370400440532013000".into(),
    };
    portfolio.execute("payer-5", &payer).unwrap().receipt.accepted().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), manifest_before);
    // A payer account, a record of the whole store found by its number, goes with its
    // debtor: registered on the target's copy, removed from the source's.
    let (from, to) = (split_id(other).0, (split_id(other).0 + 1) % 3);
    portfolio.move_debtor("D-5", &format!("s{to}"), d(5, 31)).unwrap();
    let number = Some("DE89370400440532013000");
    let on_target = portfolio.shards()[to].payer_accounts(number).unwrap();
    let moved = portfolio.shards()[to].find_debtor("D-5").unwrap().unwrap();
    assert_eq!(on_target.iter().map(|payer| payer.debtor).collect::<Vec<_>>(), vec![moved]);
    assert!(portfolio.shards()[from].payer_accounts(number).unwrap().is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]

    /// A model: whatever the debtors, their charges and payments and the number of shards,
    /// each debtor lands on its hashed shard, and the merged aging's total is what the model
    /// says is owed and the sum of the shards' own totals.
    #[test]
    fn merged_aging_is_the_model_total_and_the_sum_of_the_shards(
        shards in 1_usize..5,
        debtors in proptest::collection::vec(
            ("[A-Z]{1,3}-[0-9]{1,4}", 1_i64..50_000, 0_i64..60_000),
            1..8,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = manifest(dir.path(), shards, "hash", "");
        let portfolio = Portfolio::init(&path).unwrap();
        let mut owed = 0;
        let mut seen = std::collections::BTreeSet::new();
        for (index, (reference, charged, paid)) in debtors.iter().enumerate() {
            if !seen.insert(reference.clone()) {
                continue;
            }
            let debtor = create_debtor(&portfolio, reference);
            let (shard, _) = split_id(debtor);
            proptest::prop_assert_eq!(shard as u64, stable_hash(reference) % shards as u64);
            let account = open_account(&portfolio, debtor, &format!("ACC-{index}"));
            charge(&portfolio, &format!("C-{index}"), account, d(2, 1), *charged);
            let paid = (*paid).min(*charged);
            if paid > 0 {
                pay(&portfolio, &format!("P-{index}"), account, d(3, 1), paid);
            }
            owed += charged - paid;
        }
        let merged = portfolio.portfolio_aging(d(6, 30)).unwrap();
        let total: i64 = merged.rows.iter().map(|row| row.total_minor).sum();
        let shards_total: i64 = portfolio
            .shards()
            .iter()
            .flat_map(|store| store.portfolio_aging(d(6, 30)).unwrap().rows)
            .map(|row| row.total_minor)
            .sum();
        proptest::prop_assert_eq!(total, owed);
        proptest::prop_assert_eq!(shards_total, owed);
    }
}

/// Interest accrued on the move date itself (a cycle of that day) creates an obligation that
/// exists for the events of the following days only: the hand-over brings it to zero the day
/// after (it used to stop the move at step 5, the copy made, the source not handed over), and a
/// move stopped after any write, that day's hand-over included, finishes when run again.
#[test]
fn a_debtor_with_interest_accrued_on_the_move_date_moves() {
    let dir = tempfile::tempdir().unwrap();
    let (path, portfolio, reference, from) = moving_sample(dir.path());
    let debtor = portfolio.find_debtor(&reference).unwrap().unwrap();
    let terms = Terms {
        interest: Some(arrears::model::InterestTerms {
            annual_rate: "0.2".parse().unwrap(),
            day_count: arrears::model::DayCount::Actual365,
            base: arrears::model::InterestBase::OutstandingPrincipal,
            rounding: arrears::money::RoundingRule::HalfEven,
        }),
        ..Terms::default()
    };
    let command = Command::OpenAccount(NewAccount {
        external_ref: Some("A-3-interest".to_owned()),
        debtor: DebtorId(debtor),
        product: ProductKind::TradeCredit,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: d(1, 1),
        terms,
    });
    let Outcome::AccountOpened(account) =
        portfolio.execute("account:A-3-interest", &command).unwrap().receipt.outcome
    else {
        panic!("not opened");
    };
    charge(&portfolio, "INV-3-I", account.get(), d(1, 5), 50_000);
    let accrue = Command::AccrueInterest { account, through_on: d(5, 31), due_on: d(6, 30) };
    portfolio.execute("accrue-3", &accrue).unwrap().receipt.accepted().unwrap();
    let to = (from + 1) % 3;
    let before = before(&portfolio, &reference);
    drop(portfolio);
    let mut runs = 0;
    loop {
        let mut portfolio = Portfolio::open(&path).unwrap();
        let options = MoveOptions { writes_max: Some(1) };
        match portfolio.move_debtor_with(&reference, &format!("s{to}"), d(5, 31), options) {
            Err(MoveError::Stopped { writes: 1, .. }) => runs += 1,
            Ok(_) => break,
            Err(other) => panic!("after {runs} runs: {other}"),
        }
        assert!(runs < 200, "the move makes progress");
    }
    let portfolio = Portfolio::open(&path).unwrap();
    assert_eq!(portfolio.shard_of(&reference).unwrap(), to);
    assert_eq!(debtor_figures(&portfolio, &reference, d(5, 31)), before.figures);
    let source = &portfolio.shards()[from];
    let old = source.find_debtor(&reference).unwrap().unwrap();
    for account in source.accounts_of(old).unwrap() {
        let owed = source.account_view(account, d(6, 1)).unwrap().total_outstanding_minor;
        assert_eq!(owed, 0, "handed over by June 1");
    }
    for store in [&portfolio.shards()[from], &portfolio.shards()[to]] {
        let report = store.verify().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}
