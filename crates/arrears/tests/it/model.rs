//! Model test: random sequences of charges, fees, payments (some back-dated), reversals,
//! waivers, refunds of unapplied cash and a charge-off go to the real engine and store, and to a plain reference model
//! written independently of `arrears_core::ledger::replay` (straight-line loops over a list of
//! events, recomputed from scratch for every question). After every step the two must agree
//! to the cent on balances by component, unapplied cash, days past due and aging buckets as
//! of several dates, and on where each payment's money went; every entry must be balanced and
//! `verify` clean.

use std::collections::BTreeMap;

use arrears::aging::Bucket;
use arrears::ids::{AccountId, EventSeq, ObligationId};
use arrears::ledger::{Book, ReversalReason};
use arrears::model::{Component, ObligationKind};
use arrears::{Arrears, Command, NewCharge, Outcome};
use chrono::NaiveDate;
use proptest::prelude::*;

use crate::support::*;

#[derive(Debug, Clone)]
enum Op {
    Charge { advance_days: u16, due_in_days: u16, amounts: [i64; 3] },
    Fee { advance_days: u16, amount: i64 },
    Pay { advance_days: u16, back_days: u16, amount: i64 },
    Reverse { pick: usize, delay_days: u16 },
    Waive { pick: usize, component: usize, amount: i64 },
    ChargeOff { advance_days: u16 },
    Refund { advance_days: u16, back_days: u16, amount: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u16..20, 0u16..60, 0i64..50_000, 0i64..2_000, 0i64..1_000)
            .prop_map(|(advance_days, due_in_days, p, i, f)| Op::Charge { advance_days, due_in_days, amounts: [p, i, f] }),
        1 => (0u16..10, 1i64..5_000).prop_map(|(advance_days, amount)| Op::Fee { advance_days, amount }),
        5 => (0u16..20, prop_oneof![3 => Just(0u16), 1 => 1u16..90], 1i64..60_000)
            .prop_map(|(advance_days, back_days, amount)| Op::Pay { advance_days, back_days, amount }),
        1 => (any::<usize>(), 0u16..20).prop_map(|(pick, delay_days)| Op::Reverse { pick, delay_days }),
        1 => (any::<usize>(), 0usize..3, 1i64..20_000).prop_map(|(pick, component, amount)| Op::Waive { pick, component, amount }),
        1 => (0u16..30).prop_map(|advance_days| Op::ChargeOff { advance_days }),
        1 => (0u16..10, prop_oneof![3 => Just(0u16), 1 => 1u16..60], 1i64..60_000)
            .prop_map(|(advance_days, back_days, amount)| Op::Refund { advance_days, back_days, amount }),
    ]
}

/// The reference model's record of one event.
#[derive(Debug, Clone)]
enum Fact {
    Charge {
        obligation: u64,
        due_on: NaiveDate,
        amounts: [i64; 3],
    },
    Pay {
        amount: i64,
    },
    Reverse {
        payment: u32,
    },
    Waive {
        obligation: u64,
        component: usize,
        amount: i64,
    },
    ChargeOff,
    /// Money paid back out of the unapplied cash: an obligation of its own, due on its day,
    /// which the unapplied cash then pays as it pays a new charge.
    Refund {
        obligation: u64,
        amount: i64,
    },
    /// The unapplied cash applied to what is owed: what the engine records after a reversal
    /// when the debtor holds a credit and something is owed.
    ApplyPool,
}

#[derive(Debug, Default)]
struct ModelState {
    /// obligation -> (due date, outstanding [principal, interest, fee]).
    obligations: BTreeMap<u64, (NaiveDate, [i64; 3])>,
    /// payment -> money settled per (obligation, component).
    settled: BTreeMap<u32, BTreeMap<(u64, usize), i64>>,
    /// Unapplied cash by payment, oldest first.
    pool: Vec<(u32, i64)>,
    charged_off: bool,
    reversed: Vec<u32>,
}

impl ModelState {
    /// Settles `amount` of `payment` against obligations (all of them, or only `only`):
    /// oldest due first, then lowest id; fees, then interest, then principal.
    fn settle(&mut self, payment: u32, mut amount: i64, only: Option<u64>) -> i64 {
        let mut order: Vec<(NaiveDate, u64)> =
            self.obligations.iter().map(|(id, (due, _))| (*due, *id)).collect();
        order.sort();
        for (_, id) in order {
            if only.is_some_and(|only| only != id) {
                continue;
            }
            for component in [2, 1, 0] {
                let outstanding = &mut self.obligations.get_mut(&id).unwrap().1[component];
                let take = amount.min(*outstanding);
                if take > 0 {
                    *outstanding -= take;
                    amount -= take;
                    *self
                        .settled
                        .entry(payment)
                        .or_default()
                        .entry((id, component))
                        .or_insert(0) += take;
                }
            }
        }
        amount
    }

    fn apply_pool(&mut self, obligation: u64) {
        if self.charged_off {
            return;
        }
        let mut pool = std::mem::take(&mut self.pool);
        for (payment, amount) in &mut pool {
            *amount = self.settle(*payment, *amount, Some(obligation));
        }
        pool.retain(|(_, amount)| *amount > 0);
        self.pool = pool;
    }

    fn unapplied(&self) -> i64 {
        self.pool.iter().map(|(_, amount)| amount).sum()
    }

    fn total(&self) -> i64 {
        self.obligations.values().map(|(_, amounts)| amounts.iter().sum::<i64>()).sum()
    }
}

#[derive(Debug, Default)]
struct Model {
    /// (effective date, event sequence, fact), in recording order.
    facts: Vec<(NaiveDate, u32, Fact)>,
}

impl Model {
    fn state(&self, as_of: Option<NaiveDate>) -> ModelState {
        let mut facts: Vec<&(NaiveDate, u32, Fact)> = self.facts.iter().collect();
        facts.sort_by_key(|(on, seq, _)| (*on, *seq));
        let mut state = ModelState::default();
        for (on, seq, fact) in facts {
            if as_of.is_some_and(|as_of| *on > as_of) {
                break;
            }
            match fact {
                Fact::Charge { obligation, due_on, amounts } => {
                    state.obligations.insert(*obligation, (*due_on, *amounts));
                    state.apply_pool(*obligation);
                }
                Fact::Pay { amount } => {
                    let left = state.settle(*seq, *amount, None);
                    if left > 0 {
                        state.pool.push((*seq, left));
                    }
                }
                Fact::Reverse { payment } => {
                    for ((obligation, component), amount) in
                        state.settled.remove(payment).unwrap_or_default()
                    {
                        state.obligations.get_mut(&obligation).unwrap().1[component] += amount;
                    }
                    state.pool.retain(|(source, _)| source != payment);
                    state.reversed.push(*payment);
                }
                Fact::Waive { obligation, component, amount } => {
                    let outstanding =
                        &mut state.obligations.get_mut(obligation).unwrap().1[*component];
                    *outstanding -= (*amount).min(*outstanding);
                }
                Fact::ChargeOff => state.charged_off = true,
                Fact::Refund { obligation, amount } => {
                    state.obligations.insert(*obligation, (*on, [*amount, 0, 0]));
                    state.apply_pool(*obligation);
                }
                Fact::ApplyPool => {
                    if !state.charged_off {
                        let mut pool = std::mem::take(&mut state.pool);
                        for (payment, amount) in &mut pool {
                            *amount = state.settle(*payment, *amount, None);
                        }
                        pool.retain(|(_, amount)| *amount > 0);
                        state.pool = pool;
                    }
                }
            }
        }
        state
    }

    fn latest_on(&self) -> Option<NaiveDate> {
        self.facts.iter().map(|(on, _, _)| *on).max()
    }
}

fn days_past_due(state: &ModelState, as_of: NaiveDate) -> i64 {
    state
        .obligations
        .values()
        .filter(|(due, amounts)| *due < as_of && amounts.iter().sum::<i64>() > 0)
        .map(|(due, _)| (as_of - *due).num_days())
        .max()
        .unwrap_or(0)
}

fn bucket_amounts(state: &ModelState, as_of: NaiveDate) -> [i64; 7] {
    let mut amounts = [0; 7];
    for (due, outstanding) in state.obligations.values() {
        let total: i64 = outstanding.iter().sum();
        let days = (as_of - *due).num_days();
        let index = match days {
            i64::MIN..=0 => 0,
            1..=30 => 1,
            31..=60 => 2,
            61..=90 => 3,
            91..=120 => 4,
            121..=180 => 5,
            _ => 6,
        };
        amounts[index] += total;
    }
    amounts
}

fn compare(
    books: &Arrears,
    account: AccountId,
    model: &Model,
    today: NaiveDate,
) -> Result<(), TestCaseError> {
    let final_state = model.state(None);
    let far = d(12, 31) + chrono::Days::new(3650);
    let view = books.account_view(account, far).unwrap();
    for obligation in &view.obligations {
        let (_, expected) = final_state.obligations[&obligation.obligation.id.get()];
        prop_assert_eq!(
            obligation.outstanding_minor,
            expected,
            "obligation {}",
            obligation.obligation.id
        );
    }
    prop_assert_eq!(view.obligations.len(), final_state.obligations.len());
    prop_assert_eq!(view.unapplied_minor, final_state.unapplied());
    prop_assert_eq!(view.charged_off_on.is_some(), final_state.charged_off);
    let receivable = view.books_minor.get(&Book::Receivable).copied().unwrap_or(0);
    prop_assert_eq!(receivable, if final_state.charged_off { 0 } else { final_state.total() });

    // As of several dates, back-dated events included.
    for as_of in [
        d(1, 1),
        today - chrono::Days::new(45),
        today - chrono::Days::new(10),
        today,
        today + chrono::Days::new(40),
    ] {
        if as_of < d(1, 1) {
            continue;
        }
        let state = model.state(Some(as_of));
        let view = books.account_view(account, as_of).unwrap();
        prop_assert_eq!(view.total_outstanding_minor, state.total(), "total as of {}", as_of);
        prop_assert_eq!(view.unapplied_minor, state.unapplied(), "unapplied as of {}", as_of);
        prop_assert_eq!(
            view.aging.days_past_due,
            days_past_due(&state, as_of),
            "dpd as of {}",
            as_of
        );
        prop_assert_eq!(view.aging.bucket, Bucket::of_days(days_past_due(&state, as_of)));
        prop_assert_eq!(
            view.aging.amounts_minor,
            bucket_amounts(&state, as_of),
            "buckets as of {}",
            as_of
        );
        let portfolio = books.portfolio_aging(as_of).unwrap();
        if let Some(row) = portfolio.rows.first() {
            if state.charged_off {
                prop_assert_eq!(row.charged_off_owed_minor, state.total());
            } else {
                prop_assert_eq!(row.amounts_minor, bucket_amounts(&state, as_of));
            }
        }
    }

    // The journal past any of its entries, read without the history before it (what the relay
    // copies), is the journal's tail: back-dated events and their corrections included.
    let journal = books.ledger(account).unwrap();
    for cut in [0, journal.len() / 3, journal.len() / 2, journal.len().saturating_sub(1)] {
        let after = journal.get(cut).map_or(arrears::ids::EntryId(0), |entry| entry.id);
        let tail: Vec<_> = journal.iter().filter(|entry| entry.id > after).cloned().collect();
        prop_assert_eq!(books.ledger_after(account, after).unwrap(), tail, "after {}", after);
    }

    // Where each payment's money went, from the journal's allocation trace.
    let mut cash: BTreeMap<EventSeq, i64> = BTreeMap::new();
    let mut settled: BTreeMap<EventSeq, BTreeMap<(u64, usize), i64>> = BTreeMap::new();
    let mut other: BTreeMap<EventSeq, i64> = BTreeMap::new();
    for entry in books.ledger(account).unwrap() {
        prop_assert!(
            arrears::ledger::is_balanced(&entry.postings),
            "entry {} unbalanced",
            entry.id
        );
        for posting in entry.postings {
            let Some(source) = posting.source else { continue };
            match posting.book {
                Book::Cash => *cash.entry(source).or_insert(0) += posting.amount_minor,
                Book::Receivable | Book::Recoveries | Book::BadDebt => {
                    let key =
                        (posting.obligation.unwrap().get(), posting.component.unwrap().index());
                    *settled.entry(source).or_default().entry(key).or_insert(0) -=
                        posting.amount_minor;
                    *other.entry(source).or_insert(0) += posting.amount_minor;
                }
                _ => *other.entry(source).or_insert(0) += posting.amount_minor,
            }
        }
    }
    for (seq, _, fact) in model.facts.iter().map(|(on, seq, fact)| (EventSeq(*seq), on, fact)) {
        let Fact::Pay { amount } = fact else { continue };
        let reversed = final_state.reversed.contains(&seq.0);
        prop_assert_eq!(
            cash.get(&seq).copied().unwrap_or(0),
            if reversed { 0 } else { *amount },
            "cash of {}",
            seq
        );
        prop_assert_eq!(
            other.get(&seq).copied().unwrap_or(0),
            if reversed { 0 } else { -*amount },
            "trace of {}",
            seq
        );
        let mut traced: BTreeMap<(u64, usize), i64> = settled.remove(&seq).unwrap_or_default();
        traced.retain(|_, amount| *amount != 0);
        let expected: BTreeMap<(u64, usize), i64> = final_state
            .settled
            .get(&seq.0)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, amount)| *amount != 0)
            .collect();
        prop_assert_eq!(traced, expected, "allocation of {}", seq);
    }
    let report = books.verify().unwrap();
    prop_assert!(report.is_clean(), "{:?}", report.problems);
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (_dir, books) = open_temp();
    let account = account(&books, "A");
    let mut model = Model::default();
    let mut today = d(1, 1);
    let mut payments: Vec<(u32, NaiveDate)> = Vec::new();
    for (index, op) in ops.into_iter().enumerate() {
        let key = format!("op-{index}");
        let seq = u32::try_from(model.facts.len()).unwrap() + 1;
        let state = model.state(None);
        let (command, fact, on, expect_accepted) = match op {
            Op::Charge { advance_days, due_in_days, amounts } => {
                today = today + chrono::Days::new(u64::from(advance_days));
                let due_on = today + chrono::Days::new(u64::from(due_in_days));
                let command = Command::Charge(NewCharge {
                    account,
                    external_ref: None,
                    kind: ObligationKind::Invoice,
                    issued_on: today,
                    due_on,
                    principal: usd(amounts[0]),
                    interest: usd(amounts[1]),
                    fee: usd(amounts[2]),
                });
                let accepted = !state.charged_off && amounts.iter().sum::<i64>() > 0;
                (command, Fact::Charge { obligation: 0, due_on, amounts }, today, accepted)
            }
            Op::Fee { advance_days, amount } => {
                today = today + chrono::Days::new(u64::from(advance_days));
                let command = Command::Fee {
                    account,
                    effective_on: today,
                    due_on: today,
                    amount: usd(amount),
                };
                (
                    command,
                    Fact::Charge { obligation: 0, due_on: today, amounts: [0, 0, amount] },
                    today,
                    !state.charged_off,
                )
            }
            Op::Pay { advance_days, back_days, amount } => {
                today = today + chrono::Days::new(u64::from(advance_days));
                let on = (today - chrono::Days::new(u64::from(back_days))).max(d(1, 1));
                let command = Command::Payment {
                    account,
                    effective_on: on,
                    amount: usd(amount),
                    directed_to: None,
                };
                // The store's clock says 2026-12-01 and the policy's horizon is 31 days: a
                // payment dated later is a promise, refused (issue 14).
                let within_horizon = on <= NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
                (command, Fact::Pay { amount }, on, within_horizon)
            }
            Op::Reverse { pick, delay_days } => {
                if payments.is_empty() {
                    continue;
                }
                let (payment, paid_on) = payments[pick % payments.len()];
                let on = paid_on + chrono::Days::new(u64::from(delay_days));
                let command = Command::Reversal {
                    account,
                    payment: EventSeq(payment),
                    effective_on: on,
                    reason: ReversalReason::Returned,
                };
                let accepted = !state.reversed.contains(&payment);
                (command, Fact::Reverse { payment }, on, accepted)
            }
            Op::Waive { pick, component, amount } => {
                if state.obligations.is_empty() {
                    continue;
                }
                let ids: Vec<u64> = state.obligations.keys().copied().collect();
                let obligation = ids[pick % ids.len()];
                let issued_on = model
                    .facts
                    .iter()
                    .find_map(|(on, _, fact)| {
                        matches!(
                            fact,
                            Fact::Charge { obligation: o, .. } | Fact::Refund { obligation: o, .. }
                                if *o == obligation
                        )
                        .then_some(*on)
                    })
                    .unwrap();
                let on = today.max(issued_on);
                let command = Command::Waiver {
                    account,
                    obligation: ObligationId(obligation),
                    component: Component::ALL[component],
                    amount: usd(amount),
                    effective_on: on,
                };
                let accepted = amount <= state.obligations[&obligation].1[component];
                (command, Fact::Waive { obligation, component, amount }, on, accepted)
            }
            Op::ChargeOff { advance_days } => {
                today = today + chrono::Days::new(u64::from(advance_days));
                // The state machine refuses to charge off an account that owes nothing.
                let owes = model.state(Some(today)).total() > 0;
                let accepted = owes
                    && !state.charged_off
                    && model.latest_on().is_none_or(|latest| today >= latest);
                (
                    Command::ChargeOff { account, effective_on: today },
                    Fact::ChargeOff,
                    today,
                    accepted,
                )
            }
            Op::Refund { advance_days, back_days, amount } => {
                today = today + chrono::Days::new(u64::from(advance_days));
                let on = (today - chrono::Days::new(u64::from(back_days))).max(d(1, 1));
                // Mostly within the cash held, so that refunds get recorded; checked against
                // what is held after every event, whatever the refund's date.
                let held = state.unapplied();
                let amount = if held > 0 { amount.min(held) } else { amount };
                let command = Command::Refund {
                    account,
                    effective_on: on,
                    amount: usd(amount),
                    external_ref: None,
                };
                // Beyond the horizon (the store's clock says 2026-12-01) a refund is refused as
                // a payment is.
                let within_horizon = on <= NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
                let accepted = !state.charged_off && amount <= held && within_horizon;
                (command, Fact::Refund { obligation: 0, amount }, on, accepted)
            }
        };
        let receipt = books.execute(&key, &command).unwrap();
        prop_assert_eq!(
            !receipt.outcome.is_rejected(),
            expect_accepted,
            "op {}: {:?} -> {:?}",
            index,
            command,
            receipt.outcome
        );
        if let Outcome::Posted(posted) = receipt.outcome {
            prop_assert_eq!(posted.event, EventSeq(seq));
            let fact = match fact {
                Fact::Charge { due_on, amounts, .. } => {
                    Fact::Charge { obligation: posted.obligation.unwrap().get(), due_on, amounts }
                }
                Fact::Refund { amount, .. } => {
                    Fact::Refund { obligation: posted.obligation.unwrap().get(), amount }
                }
                other => other,
            };
            if matches!(fact, Fact::Pay { .. }) {
                payments.push((seq, on));
            }
            model.facts.push((on, seq, fact));
            // A credit the debtor holds beside debt (what a reversal re-opened) pays it, on the
            // day of the latest reversal, if it applies anything there.
            let after = model.state(None);
            if !after.charged_off && after.unapplied() > 0 && after.total() > 0 {
                let latest = model.latest_on().unwrap_or(on);
                let reversed_on = (model.facts.iter())
                    .filter(|(_, _, fact)| matches!(fact, Fact::Reverse { .. }))
                    .map(|(on, _, _)| *on)
                    .max()
                    .unwrap_or(latest);
                model.facts.push((reversed_on, seq + 1, Fact::ApplyPool));
                if model.state(None).unapplied() == after.unapplied() {
                    model.facts.pop();
                }
            }
        }
        compare(&books, account, &model, today)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_agrees_with_the_reference_model(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops)?;
    }
}
