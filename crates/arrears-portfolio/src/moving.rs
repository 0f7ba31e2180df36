//! Moving a debtor from one shard to another, crash-safely.
//!
//! The move copies the debtor by replaying, in the target, the commands that made it in the
//! source (read from the source's change feed), then hands its balances over in the source
//! with audited commands, then pins the debtor to the target in the manifest. Steps:
//!
//! 1. **Check, write nothing**: the debtor is on the source; every event of its ledger can be
//!    copied (one a command made, or a late fee or charge-off the cycle made); none is dated
//!    after the move date.
//! 2. **Mark the move under way** in the manifest (`[moving]`): from now on the router refuses
//!    commands for the debtor on either shard, so nothing is written to the source that the
//!    copy would miss.
//! 3. **Copy**: each of the debtor's commands in feed order, executed in the target under the
//!    key `move:<source shard>:<feed seq>`, with the source's ids rewritten to the target's
//!    (the debtor by reference, accounts and obligations by their place in id order, as the
//!    replay creates them in the same order). A command of the whole store is copied as what
//!    it did to the debtor: cash applied from a bank line as a `payment`, an acknowledged
//!    outbox action as a `record_outbound` contact, an agent's work as its promise, dispute,
//!    removed address, contact and note (extra keys `move:<source>:<feed seq>.<n>`). Events no
//!    command names (the cycle's late fees and charge-offs, the disputes an acknowledgement
//!    opened) are executed as `fee`, `charge_off` and `open_dispute` commands (key
//!    `move:<source>:a<account>:e<event>`) at their place in the account's event order, so
//!    event numbers match; the disputes a call-in opened (`record_inbound` with the outcome
//!    `dispute_raised`) are opened again by the copy of the call, at their place. Then the
//!    contacts of outbox actions sent but not acknowledged (`record_outbound`, key
//!    `move:<source>:sent:<action>`) and the credit standing (`set_credit_standing`, key
//!    `move:<source>:credit`).
//! 4. **Compare**: every account's outstanding, by obligation and component, and its ledger
//!    length, the contact history, the payer accounts and the credit standing are equal in
//!    both shards on the move date.
//! 5. **Hand over in the source**: every outstanding component is adjusted to zero and every
//!    account closed, and the debtor's payer accounts and contact points removed (which
//!    cancels its pending outbox actions), on the move date, under keys
//!    `move-out:<target>:...`.
//! 6. **Pin**: the manifest's `[debtors]` maps the debtor to the target, `[moving]` loses it.
//!
//! Every write is a command under a key derived from the move, and the engine's idempotency
//! makes a command run twice under its key a replay, so running the move again after a crash
//! at any step finishes it and doubles nothing. The manifest is rewritten atomically.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde_json::Value;

use arrears::case::{Action, ActionStatus, ContactAttempt, ContactOutcome, Note};
use arrears::ids::{AccountId, DebtorId, ObligationId};
use arrears::ledger::{EventKind, EventRecord};
use arrears::model::{Component, ObligationKind};
use arrears::money::{Currency, Money};
use arrears::work::WorkOutcomeCode;
use arrears::{Arrears, ChangeKind, Command, Outcome, WorkDone};

use crate::{ids, ManifestError, MoveEntry, Portfolio, RouteError};

/// Changes read from the feed per page while collecting a debtor's commands.
const FEED_PAGE_LEN_MAX: usize = 1_000;

/// The commands a move copies as they are (with ids rewritten): those that name nothing but
/// the debtor, its accounts and its obligations. The commands of the whole store that touch a
/// debtor are copied as what they did to it ([`Move::translate`]); any other is refused before
/// anything is written.
const COPIED: &[&str] = &[
    "create_debtor",
    "open_account",
    "charge",
    "fee",
    "payment",
    "reversal",
    "waiver",
    "adjustment",
    "credit_note",
    "refund",
    "accrue_interest",
    "charge_off",
    "dispute",
    "resolve_dispute",
    "promise",
    "create_plan",
    "offer_settlement",
    "accept_settlement",
    "open_dispute",
    "resolve_account_dispute",
    "grant_hardship",
    "end_hardship",
    "place",
    "recall",
    "refer_to_legal",
    "set_flag",
    "close",
    "reopen",
    "reverse_charge_off",
    "set_contact_point",
    "remove_contact_point",
    "update_debtor",
    "record_inbound",
    "record_outbound",
    "request_callback",
    "set_contact_restrictions",
    "add_note",
    "set_limitation_date",
    "record_forbearance_assessed",
    "set_attorney",
    "change_restrictions",
    "report_signal",
    "channel_payment",
    "register_payer_account",
    "remove_payer_account",
];

/// The credit commands whose effect on the debtor is its credit standing, carried whole at the
/// end of the copy (`set_credit_standing`); their decisions and reviews stay in the source.
const CREDIT: &[&str] = &["decide_credit", "set_credit_terms", "review_credit", "detect_signals"];

/// A move that could not be done or finished. If the move was marked under way (step 2),
/// it stays so until it is run again and finishes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MoveError {
    /// Routing the debtor failed (an unknown shard, a map assignment without the debtor).
    #[error(transparent)]
    Route(#[from] RouteError),
    /// The manifest could not be written.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// No shard of this name.
    #[error("no shard named {shard} in the manifest")]
    UnknownShard {
        /// The name given.
        shard: String,
    },
    /// The debtor is not on its shard.
    #[error("debtor {reference}: not found on shard {shard}")]
    NotFound {
        /// The debtor's reference.
        reference: String,
        /// The shard it is assigned to.
        shard: String,
    },
    /// The debtor is already on the target shard.
    #[error("debtor {reference}: already on shard {shard}")]
    SameShard {
        /// The debtor's reference.
        reference: String,
        /// The shard.
        shard: String,
    },
    /// Another move of the debtor is under way.
    #[error("debtor {reference}: a move to {to} is under way; finish it first")]
    OtherMove {
        /// The debtor's reference.
        reference: String,
        /// Its target.
        to: String,
    },
    /// The debtor's records cannot be copied (checked before anything is written, except
    /// where it says otherwise).
    #[error("debtor {reference}: cannot be moved: {reason}")]
    CannotCopy {
        /// The debtor's reference.
        reference: String,
        /// Why.
        reason: String,
    },
    /// A shard refused a command of the move (the move stays under way).
    #[error("shard {shard}: {command} under key {key} refused: {rejection}")]
    Refused {
        /// The shard.
        shard: String,
        /// The command's name.
        command: String,
        /// Its key.
        key: String,
        /// The refusal.
        rejection: Box<arrears::Rejection>,
    },
    /// A shard's engine failed on a command of the move (the move stays under way).
    #[error("shard {shard}: key {key}: {source}")]
    Command {
        /// The shard.
        shard: String,
        /// The key.
        key: String,
        /// The engine's error.
        source: Box<arrears::CommandError>,
    },
    /// A read failed.
    #[error("shard {shard}: {source}")]
    Query {
        /// The shard.
        shard: String,
        /// The engine's error.
        source: Box<arrears::QueryError>,
    },
    /// The move stopped after [`MoveOptions::writes_max`] writes; run it again to go on.
    #[error("debtor {reference}: move stopped after {writes} writes, as asked")]
    Stopped {
        /// The debtor's reference.
        reference: String,
        /// Writes done by this run.
        writes: u64,
    },
    /// After the copy, the debtor's contact history, payer accounts or credit standing differ
    /// between the shards (the move stays under way and the source is untouched).
    #[error("debtor {reference}: its {what} differs after the copy: {detail}")]
    DebtorMismatch {
        /// The debtor's reference.
        reference: String,
        /// What differs.
        what: &'static str,
        /// How.
        detail: String,
    },
    /// After the copy, an account differs between the shards (the move stays under way and
    /// the source is untouched).
    #[error("debtor {reference}: account {account} differs after the copy: {detail}")]
    Mismatch {
        /// The debtor's reference.
        reference: String,
        /// The source's account id.
        account: u64,
        /// What differs.
        detail: String,
    },
}

/// How a move runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveOptions {
    /// Stop with [`MoveError::Stopped`] after this many writes (the manifest marked, or a
    /// command that was not a replay): what a crash at that point leaves, for the tests and
    /// for a move done in several sittings. `None`: run to the end.
    pub writes_max: Option<u64>,
}

/// What a move did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MoveReport {
    /// The debtor's reference.
    pub reference: String,
    /// The source shard.
    pub from: String,
    /// The target shard.
    pub to: String,
    /// Commands copied into the target (replays of an earlier run included).
    pub copied: u64,
    /// Of those, the cycle's late fees and charge-offs.
    pub engine_events: u64,
    /// Commands of the source left out: outbox sends (`mark_sent`; the contact is carried
    /// when acknowledged, or at the end if it never was) and the credit commands, whose
    /// result is carried as the credit standing.
    pub skipped: u64,
    /// Contacts of outbox actions sent but never acknowledged, carried as `record_outbound`,
    /// and the credit standing (`set_credit_standing`), if the debtor has one.
    pub carried: u64,
    /// Handover commands in the source (adjustments to zero, closures of the accounts the
    /// state machine lets close).
    pub handed_over: u64,
    /// True if and only if the debtor was already pinned to the target (nothing to do).
    pub already_done: bool,
}

/// One command of the debtor, as the source's feed holds it, and what the target executes
/// for it (with the source's ids).
struct Step {
    seq: u64,
    /// The command itself, or what a command of the whole store did to the debtor.
    commands: Vec<Command>,
    /// The account events its outcome posted: (source account, event); for a
    /// `record_inbound` that raised a dispute, the disputes it opened (its outcome names none).
    posted: Vec<(u64, u32)>,
    /// The command's key in the source.
    key: String,
    /// The address a `record_work` with outcome `wrong_party` named: the engine removes every
    /// contact point at it, which the target does too once the step's commands ran (the points
    /// the debtor had then are the target's, not known when the feed is read).
    wrong_party: Option<String>,
}

/// What the source's feed holds of the debtor.
#[derive(Default)]
struct Feed {
    steps: Vec<Step>,
    skipped: u64,
    /// Events posted by this move's handover adjustments (a rerun after step 5 began).
    handover_events: Vec<(u64, u32)>,
    /// True if and only if a handover command is in the feed.
    handed_over: bool,
    /// The source keys of the steps' commands: the events the engine derived under one of
    /// them (`derived_again`) are derived again by the target's copy.
    keys: BTreeSet<String>,
    /// The source keys of the steps' `record_inbound` commands with the outcome
    /// `dispute_raised`: the disputes the engine opened under one of them are opened again by
    /// the target's copy of the command.
    inbound_disputes: BTreeSet<String>,
}

/// The debtor's records outside its accounts that the copy reads, as the source holds them.
struct Records {
    /// Its contact history.
    contacts: Vec<ContactAttempt>,
    /// Its outbox actions, by id.
    actions: BTreeMap<u64, Action>,
}

impl Records {
    /// One of the debtor's outbox actions, by id.
    fn action(&self, id: u64) -> Option<&Action> {
        self.actions.get(&id)
    }
}

/// The debtor as the source holds it: its id, accounts, commands and the engine's events.
struct Copy {
    debtor: DebtorId,
    accounts: Vec<AccountId>,
    steps: Vec<Step>,
    skipped: u64,
    /// Its contact history in the source.
    contacts: Vec<ContactAttempt>,
    /// Its outbox actions sent and never acknowledged (contacts made, not yet in the history).
    sent: Vec<Action>,
    /// Its credit standing, if it has one.
    standing: Option<arrears::credit::CreditStanding>,
    /// True if and only if the source has handover commands of this move already (a rerun
    /// after step 5 began: the comparison of step 4 passed before it).
    handover_started: bool,
    /// Per source account, the events no copied command posted, ascending.
    engine_events: BTreeMap<u64, Vec<EventRecord>>,
}

/// The shards and names of one move.
struct Move<'portfolio> {
    reference: &'portfolio str,
    on: NaiveDate,
    /// Writes done by this run, and the most it may do ([`MoveOptions::writes_max`]).
    writes: std::cell::Cell<u64>,
    writes_max: Option<u64>,
    source: &'portfolio Arrears,
    target: &'portfolio Arrears,
    from_name: String,
    to_name: String,
}

impl Portfolio {
    /// Moves the debtor with external reference `reference` to the shard `to`, handing its
    /// balances over in the source on `on` (see the module documentation of the steps).
    /// Running it again after a failure or a crash finishes the move.
    ///
    /// # Errors
    ///
    /// [`MoveError`]: refused before anything is written (no such debtor or shard, a ledger
    /// the move cannot copy), or failed part-way (then the manifest keeps the move under way,
    /// the debtor is refused by the router, and running the move again resumes it).
    pub fn move_debtor(
        &mut self,
        reference: &str,
        to: &str,
        on: NaiveDate,
    ) -> Result<MoveReport, MoveError> {
        self.move_debtor_with(reference, to, on, MoveOptions::default())
    }

    /// [`Portfolio::move_debtor`], stopping after a number of writes.
    ///
    /// # Errors
    ///
    /// As [`Portfolio::move_debtor`], and [`MoveError::Stopped`].
    pub fn move_debtor_with(
        &mut self,
        reference: &str,
        to: &str,
        on: NaiveDate,
        options: MoveOptions,
    ) -> Result<MoveReport, MoveError> {
        let to_index = self
            .manifest
            .shard_index(to)
            .ok_or_else(|| MoveError::UnknownShard { shard: to.to_owned() })?;
        let (from, on) = match self.manifest.moving.get(reference) {
            Some(entry) if entry.to == to => {
                let from = self.manifest.shard_index(&entry.from).unwrap_or(to_index);
                (from, entry.on)
            }
            Some(entry) => {
                return Err(MoveError::OtherMove {
                    reference: reference.to_owned(),
                    to: entry.to.clone(),
                })
            }
            None => (self.assigned_shard(reference)?, on),
        };
        if from == to_index {
            if self.manifest.debtors.get(reference).map(String::as_str) == Some(to) {
                return Ok(self.done_report(reference, from, to_index));
            }
            return Err(MoveError::SameShard {
                reference: reference.to_owned(),
                shard: to.to_owned(),
            });
        }
        // Step 1 checks before anything is written; the copy reads the feed again once the
        // move is marked, so that a command that reached the source in between is copied.
        let plan = self.plan_move(reference, from, to_index, on, options);
        plan.collect()?;
        let marked = self.manifest.moving.contains_key(reference);
        if !marked
            && plan
                .target
                .find_debtor(reference)
                .map_err(|source| plan.target_query(source))?
                .is_some()
        {
            return Err(plan.cannot(format!("shard {to} has a debtor with this reference already")));
        }
        let mut writes = 0;
        if !marked {
            let entry =
                MoveEntry { from: self.manifest.shards[from].name.clone(), to: to.to_owned(), on };
            let mut manifest = self.manifest.clone();
            manifest.moving.insert(reference.to_owned(), entry);
            manifest.write(&self.manifest_path)?;
            self.manifest = manifest;
            writes = 1;
            if options.writes_max.is_some_and(|max| writes >= max) {
                return Err(MoveError::Stopped { reference: reference.to_owned(), writes });
            }
        }
        let plan = self.plan_move(reference, from, to_index, on, options);
        let copy = plan.collect()?;
        plan.writes.set(writes);
        let report = plan.run(&copy)?;
        self.pin(reference, to)?;
        Ok(report)
    }

    fn plan_move<'portfolio>(
        &'portfolio self,
        reference: &'portfolio str,
        from: usize,
        to: usize,
        on: NaiveDate,
        options: MoveOptions,
    ) -> Move<'portfolio> {
        Move {
            reference,
            on,
            writes: std::cell::Cell::new(0),
            writes_max: options.writes_max,
            source: &self.shards[from],
            target: &self.shards[to],
            from_name: self.manifest.shards[from].name.clone(),
            to_name: self.manifest.shards[to].name.clone(),
        }
    }

    fn done_report(&self, reference: &str, from: usize, to: usize) -> MoveReport {
        MoveReport {
            reference: reference.to_owned(),
            from: self.manifest.shards[from].name.clone(),
            to: self.manifest.shards[to].name.clone(),
            copied: 0,
            engine_events: 0,
            skipped: 0,
            carried: 0,
            handed_over: 0,
            already_done: true,
        }
    }

    /// Step 6: the debtor pinned to the target, the move no longer under way.
    fn pin(&mut self, reference: &str, to: &str) -> Result<(), ManifestError> {
        let mut manifest = self.manifest.clone();
        manifest.moving.remove(reference);
        manifest.debtors.insert(reference.to_owned(), to.to_owned());
        manifest.write(&self.manifest_path)?;
        self.manifest = manifest;
        Ok(())
    }
}

impl Move<'_> {
    /// The currency of a source account.
    fn currency_of(&self, account: AccountId) -> Result<Currency, MoveError> {
        let record = self.source.account(account).map_err(|source| self.source_query(source))?;
        record
            .map(|account| account.currency)
            .ok_or_else(|| self.cannot(format!("account {account} vanished from the source")))
    }

    fn cannot(&self, reason: String) -> MoveError {
        MoveError::CannotCopy { reference: self.reference.to_owned(), reason }
    }

    fn source_query(&self, source: arrears::QueryError) -> MoveError {
        MoveError::Query { shard: self.from_name.clone(), source: Box::new(source) }
    }

    fn target_query(&self, source: arrears::QueryError) -> MoveError {
        MoveError::Query { shard: self.to_name.clone(), source: Box::new(source) }
    }

    /// Step 1: the debtor's commands from the source's feed, and the events the cycle made;
    /// refuses what the move cannot copy. Reads only.
    fn collect(&self) -> Result<Copy, MoveError> {
        let query = |source| self.source_query(source);
        let debtor = self.source.find_debtor(self.reference).map_err(query)?.ok_or_else(|| {
            MoveError::NotFound {
                reference: self.reference.to_owned(),
                shard: self.from_name.clone(),
            }
        })?;
        let accounts = self.source.accounts_of(debtor).map_err(query)?;
        let account_set: BTreeSet<u64> = accounts.iter().map(|account| account.get()).collect();
        let records = Records {
            contacts: self.source.contacts(debtor).map_err(query)?,
            actions: (self.source.actions_of(debtor).map_err(query)?.into_iter())
                .map(|action| (action.id, action))
                .collect(),
        };
        let mut feed = self.debtor_steps(debtor, &account_set, &records)?;
        let posted: BTreeSet<(u64, u32)> = feed
            .steps
            .iter()
            .flat_map(|step| step.posted.iter().copied())
            .chain(feed.handover_events.iter().copied())
            .collect();
        let mut engine_events = BTreeMap::new();
        for account in &accounts {
            let mut made = Vec::new();
            let currency = self.currency_of(*account)?;
            for record in self.source.events(*account).map_err(query)? {
                // This move's own hand-over (a rerun after step 5 began): interest accrued on
                // the move date is handed over the day after.
                if feed.handover_events.contains(&(account.get(), record.event.seq.0)) {
                    continue;
                }
                if record.event.effective_on > self.on {
                    return Err(self.cannot(format!(
                        "account {account} has an event on {}, after the move date {}",
                        record.event.effective_on, self.on
                    )));
                }
                if posted.contains(&(account.get(), record.event.seq.0)) {
                    continue;
                }
                if derived_again(&record) && feed.keys.contains(&record.key) {
                    continue;
                }
                // The disputes a call-in opened are opened again by the target's copy of the
                // call, which comes where they were in the account's events.
                let inbound_dispute =
                    matches!(record.event.kind, EventKind::Dispute { disputed: true, .. });
                if inbound_dispute && feed.inbound_disputes.contains(&record.key) {
                    if let Some(step) = feed.steps.iter_mut().find(|step| step.key == record.key) {
                        step.posted.push((account.get(), record.event.seq.0));
                    }
                    continue;
                }
                if engine_command(*account, &record, currency).is_none() {
                    return Err(self.cannot(format!(
                        "account {account} event {} (key {:?}) was made by neither a command of \
                         the feed nor a cycle's late fee, its reversal or a charge-off, nor is it \
                         a settlement's write-off, its reversal, a credit applied after a \
                         return or an agency's commission or its reversal made within a command \
                         of the feed, or a dispute an \
                         acknowledgement opened",
                        record.event.seq.0, record.key
                    )));
                }
                made.push(record);
            }
            engine_events.insert(account.get(), made);
        }
        let sent = (records.actions.values())
            .filter(|action| action.sent_at.is_some() && action.status == ActionStatus::Pending)
            .cloned()
            .collect();
        Ok(Copy {
            debtor,
            accounts,
            steps: feed.steps,
            skipped: feed.skipped,
            contacts: records.contacts,
            sent,
            standing: self.source.credit_standing(debtor).map_err(query)?,
            handover_started: !feed.handover_events.is_empty() || feed.handed_over,
            engine_events,
        })
    }

    /// The source's feed, read through: the commands naming or touching the debtor or its
    /// accounts, in order, as the target executes them, apart from those left out (outbox
    /// sends, credit commands) and this move's own handover commands. (A command the engine
    /// rejected wrote nothing, its record included, so it is not in the feed.)
    fn debtor_steps(
        &self,
        debtor: DebtorId,
        accounts: &BTreeSet<u64>,
        records: &Records,
    ) -> Result<Feed, MoveError> {
        let mut feed = Feed::default();
        let mut after = 0;
        let handover_prefix = format!("move-out:{}:", self.to_name);
        loop {
            let page = self
                .source
                .changes(after, FEED_PAGE_LEN_MAX)
                .map_err(|source| self.source_query(source))?;
            for change in &page.changes {
                let ChangeKind::Command { command, outcome, key, .. } = &change.kind else {
                    continue;
                };
                let affected = change.affected();
                let mut touches = affected.debtors.contains(&debtor)
                    || affected.accounts.iter().any(|account| accounts.contains(&account.get()));
                // An outbox command names only its action: the debtor's if the action is.
                if let Command::Acknowledge { action, .. } | Command::MarkSent { action, .. } =
                    command.as_ref()
                {
                    touches |= records.action(*action).is_some();
                }
                let mut command_value =
                    serde_json::to_value(command.as_ref()).unwrap_or(Value::Null);
                let _ = ids::map_ids(&mut command_value, &mut |key: &str, id: u64| {
                    touches |= (ids::key_names_debtor(key) && id == debtor.get())
                        || (matches!(key, "account" | "accounts") && accounts.contains(&id));
                    Ok::<u64, ()>(id)
                });
                if !touches {
                    continue;
                }
                if key.starts_with(&handover_prefix) {
                    feed.handover_events.extend(posted_events(outcome));
                    feed.handed_over = true;
                    continue;
                }
                let Some(commands) = self.translate(command, outcome, change.seq, records)? else {
                    feed.skipped += 1;
                    continue;
                };
                let posted = posted_events(outcome);
                let wrong_party = match command.as_ref() {
                    Command::RecordWork(done) if done.code == WorkOutcomeCode::WrongParty => {
                        done.address.clone()
                    }
                    _ => None,
                };
                if matches!(
                    command.as_ref(),
                    Command::RecordInbound { outcome: ContactOutcome::DisputeRaised, .. }
                ) {
                    feed.inbound_disputes.insert(key.clone());
                }
                feed.keys.insert(key.clone());
                feed.steps.push(Step {
                    seq: change.seq,
                    commands,
                    posted,
                    key: key.clone(),
                    wrong_party,
                });
            }
            if page.changes.is_empty() || page.next >= page.head {
                return Ok(feed);
            }
            after = page.next;
        }
    }

    /// What the target executes for a command of the source (with the source's ids), or
    /// `None` for one left out (an outbox send, a callback already made or cancelled, a credit
    /// command: the standing is carried whole at the end). Refuses a command of the whole
    /// store this does not know.
    fn translate(
        &self,
        command: &Command,
        outcome: &Outcome,
        seq: u64,
        records: &Records,
    ) -> Result<Option<Vec<Command>>, MoveError> {
        let debtors_action = |id: u64| {
            records.action(id).ok_or_else(|| {
                self.cannot(format!("outbox action {id} (feed seq {seq}) is not the debtor's"))
            })
        };
        Ok(Some(match command {
            Command::MarkSent { .. } => return Ok(None),
            // A callback still to make is scheduled again in the target (the handover cancels
            // the source's); one made, sent or cancelled is not: its contact, if it was made,
            // is carried with its acknowledgement or as a sent action.
            Command::RequestCallback { .. } => {
                let Outcome::Scheduled { action } = outcome else {
                    return Err(self.cannot(format!(
                        "its request_callback command (feed seq {seq}) scheduled nothing"
                    )));
                };
                let action = debtors_action(*action)?;
                if action.status != ActionStatus::Pending || action.sent_at.is_some() {
                    return Ok(None);
                }
                vec![command.clone()]
            }
            command if CREDIT.contains(&command.name()) => return Ok(None),
            // A settlement's smallest share is the stage's, which the source's cycle set by
            // review and a replay does not carry (docs/SCALE.md, "What a replay does not
            // carry"): the target would refuse the offer half-way through the copy. A charged-off
            // account's share does not depend on a stage (its charge-off is copied).
            Command::OfferSettlement { account, offered_on, .. } => {
                let view = self
                    .source
                    .account_view(*account, *offered_on)
                    .map_err(|source| self.source_query(source))?;
                if view.charged_off_on.is_none() {
                    return Err(self.cannot(format!(
                        "its offer_settlement command (feed seq {seq}) on account {account} was \
                         offered by the stage the source's cycle gave the account, which a \
                         replay does not carry"
                    )));
                }
                vec![command.clone()]
            }
            // The cash came through the source's suspense; on the account it is a payment.
            Command::ApplyCash { account, amount, effective_on, .. } => vec![Command::Payment {
                account: *account,
                effective_on: *effective_on,
                amount: *amount,
                directed_to: None,
            }],
            // The action is the source's; the contact it made is the debtor's. The disputes
            // an acknowledgement opened are copied with the account's events.
            Command::Acknowledge { action, outcome, at } => {
                vec![outbound(debtors_action(*action)?, *at, *outcome)]
            }
            Command::RecordWork(done) => self.worked(done, seq, &records.contacts)?,
            // The outbox action and the agent are the source's.
            Command::ChannelPayment { .. } => vec![without_source_records(command)],
            command if COPIED.contains(&command.name()) => vec![command.clone()],
            command => {
                return Err(self.cannot(format!(
                    "its {} command (feed seq {seq}) names records of the whole store",
                    command.name()
                )))
            }
        }))
    }

    /// What an agent's recorded work did to the debtor, as commands: the outcome's promise,
    /// dispute or removed address, then the contact and the note, as `record_work` does them.
    /// The work log entry and the item's schedule are the source's queue's.
    fn worked(
        &self,
        done: &WorkDone,
        seq: u64,
        contacts: &[ContactAttempt],
    ) -> Result<Vec<Command>, MoveError> {
        let account = self
            .source
            .account(done.account)
            .map_err(|source| self.source_query(source))?
            .ok_or_else(|| self.cannot(format!("account {} vanished", done.account)))?;
        let debtor = account.debtor;
        let on = done.at.date_naive();
        // The channel of the address the agent used, from the contact it left in the history
        // (a wrong party's address is removed from the debtor by the same command).
        let contact = match &done.address {
            Some(address) => Some(
                contacts
                    .iter()
                    .find(|attempt| {
                        !attempt.inbound
                            && attempt.action.is_none()
                            && attempt.at == done.at
                            && attempt.address == *address
                    })
                    .map(|attempt| (attempt.channel, address.clone()))
                    .ok_or_else(|| {
                        self.cannot(format!(
                            "the contact of its record_work command (feed seq {seq}) is not in \
                             its contact history"
                        ))
                    })?,
            ),
            None => None,
        };
        let mut commands = Vec::new();
        match done.code {
            WorkOutcomeCode::Promise => commands.push(Command::Promise {
                account: done.account,
                made_on: on,
                payments: done.promise.clone(),
            }),
            WorkOutcomeCode::Dispute => commands.push(Command::OpenDispute {
                account: done.account,
                obligations: Vec::new(),
                on,
            }),
            WorkOutcomeCode::WrongParty => {
                if let Some((channel, address)) = &contact {
                    commands.push(Command::RemoveContactPoint {
                        debtor,
                        channel: *channel,
                        address: address.clone(),
                    });
                }
            }
            WorkOutcomeCode::Refusal
            | WorkOutcomeCode::Excuse
            | WorkOutcomeCode::Callback
            | WorkOutcomeCode::ExtensionRequested => {}
        }
        if let Some((channel, address)) = contact {
            commands.push(Command::RecordOutbound {
                debtor,
                accounts: vec![done.account],
                channel,
                address,
                at: done.at,
                outcome: done.code.contact_outcome(),
            });
        }
        if let Some(text) = &done.note {
            let note = Note {
                account: Some(done.account),
                at: done.at,
                author: done.agent.clone(),
                text: text.clone(),
            };
            commands.push(Command::AddNote { debtor, note });
        }
        Ok(commands)
    }

    /// Steps 3 to 5.
    fn run(&self, copy: &Copy) -> Result<MoveReport, MoveError> {
        let mut report = MoveReport {
            reference: self.reference.to_owned(),
            from: self.from_name.clone(),
            to: self.to_name.clone(),
            copied: 0,
            engine_events: 0,
            skipped: copy.skipped,
            carried: 0,
            handed_over: 0,
            already_done: false,
        };
        let mut done: BTreeMap<u64, usize> = BTreeMap::new();
        for step in &copy.steps {
            for &(account, event) in &step.posted {
                self.engine_events_before(copy, account, Some(event), &mut done, &mut report)?;
            }
            for (index, command) in step.commands.iter().enumerate() {
                let command = self.to_target(copy, command)?;
                let key = match index {
                    0 => format!("move:{}:{}", self.from_name, step.seq),
                    _ => format!("move:{}:{}.{index}", self.from_name, step.seq),
                };
                self.execute(self.target, &self.to_name, &key, &command)?;
            }
            if let Some(address) = &step.wrong_party {
                self.remove_every_point_at(address, step.seq)?;
            }
            report.copied += 1;
        }
        for account in &copy.accounts {
            self.engine_events_before(copy, account.get(), None, &mut done, &mut report)?;
        }
        for action in &copy.sent {
            let at = action.sent_at.unwrap_or(action.scheduled_at);
            // Counted as the source counted it while pending.
            let outcome = ContactOutcome::until_acknowledged(action.channel);
            let command = self.to_target(copy, &outbound(action, at, outcome))?;
            let key = format!("move:{}:sent:{}", self.from_name, action.id);
            self.execute(self.target, &self.to_name, &key, &command)?;
            report.carried += 1;
        }
        if let Some(standing) = &copy.standing {
            let command = Command::SetCreditStanding { standing: self.carried_standing(standing)? };
            self.execute(
                self.target,
                &self.to_name,
                &format!("move:{}:credit", self.from_name),
                &command,
            )?;
            report.carried += 1;
        }
        if !copy.handover_started {
            self.compare(copy)?;
        }
        report.handed_over = self.hand_over(copy)?;
        Ok(report)
    }

    /// Copies the engine-made events of `account` numbered before `event` (all of them for
    /// `None`) that are not copied yet.
    fn engine_events_before(
        &self,
        copy: &Copy,
        account: u64,
        event: Option<u32>,
        done: &mut BTreeMap<u64, usize>,
        report: &mut MoveReport,
    ) -> Result<(), MoveError> {
        let Some(events) = copy.engine_events.get(&account) else { return Ok(()) };
        let next = done.entry(account).or_default();
        while let Some(record) = events.get(*next) {
            if event.is_some_and(|event| record.event.seq.0 >= event) {
                break;
            }
            let currency = self.currency_of(AccountId(account))?;
            let mut command =
                engine_command(AccountId(account), record, currency).ok_or_else(|| {
                    self.cannot(format!("event {} of account {account}", record.event.seq.0))
                })?;
            let mut taken = 1;
            // The disputes one command opened (an acknowledgement's, one event per obligation
            // in a row, on one day) are opened again by one command, so that the case moves
            // once, as it did.
            if let Command::OpenDispute { obligations, on, .. } = &mut command {
                while let Some(following) = events.get(*next + taken) {
                    let in_a_row = following.event.seq.0 == record.event.seq.0 + taken as u32;
                    let before = event.is_none_or(|event| following.event.seq.0 < event);
                    match &following.event.kind {
                        EventKind::Dispute { obligation, disputed: true }
                            if in_a_row && before && following.event.effective_on == *on =>
                        {
                            obligations.push(*obligation);
                            taken += 1;
                        }
                        _ => break,
                    }
                }
            }
            let command = self.to_target(copy, &command)?;
            let key = format!("move:{}:a{account}:e{}", self.from_name, record.event.seq.0);
            self.execute(self.target, &self.to_name, &key, &command)?;
            report.copied += 1;
            report.engine_events += taken as u64;
            *next += taken;
        }
        Ok(())
    }

    /// A source command with its ids rewritten to the target's.
    /// The rest of a `wrong_party` outcome's effect in the target: every contact point of the
    /// debtor still at `address` is removed, as the engine removed them in the source, each
    /// under a key of its own (a rerun finds them removed and runs none).
    fn remove_every_point_at(&self, address: &str, seq: u64) -> Result<(), MoveError> {
        let query = |source| self.target_query(source);
        let Some(debtor) = self.target.find_debtor(self.reference).map_err(query)? else {
            return Err(self.cannot("the debtor is not in the target yet".to_owned()));
        };
        let points = self.target.debtor(debtor).map_err(query)?.map(|d| d.contact_points);
        let found = arrears::compliance::points_at(&points.unwrap_or_default(), address);
        for (channel, point_address) in found {
            // The point's own address may be written otherwise than the agent's; its hash keeps
            // the key short and the same on a rerun.
            let key = format!(
                "move:{}:{seq}.wrong_party.{}.{:016x}",
                self.from_name,
                channel.name(),
                crate::stable_hash(&point_address)
            );
            let command = Command::RemoveContactPoint { debtor, channel, address: point_address };
            self.execute(self.target, &self.to_name, &key, &command)?;
        }
        Ok(())
    }

    fn to_target(&self, copy: &Copy, command: &Command) -> Result<Command, MoveError> {
        let mut value =
            serde_json::to_value(command).map_err(|error| self.cannot(error.to_string()))?;
        ids::map_ids(&mut value, &mut |key: &str, id: u64| self.target_id(copy, key, id))?;
        serde_json::from_value(value).map_err(|error| self.cannot(error.to_string()))
    }

    fn target_id(&self, copy: &Copy, key: &str, id: u64) -> Result<u64, MoveError> {
        if ids::key_names_debtor(key) {
            if id != copy.debtor.get() {
                return Err(self.cannot(format!("a command names another debtor ({id})")));
            }
            let found = self
                .target
                .find_debtor(self.reference)
                .map_err(|source| self.target_query(source))?;
            return found
                .map(DebtorId::get)
                .ok_or_else(|| self.cannot("the debtor is not in the target yet".to_owned()));
        }
        if matches!(key, "account" | "accounts" | "disputed") {
            return self.target_account(copy, AccountId(id)).map(AccountId::get);
        }
        self.target_obligation(copy, ObligationId(id)).map(ObligationId::get)
    }

    /// The target's account at the same place in the debtor's accounts (id order).
    fn target_account(&self, copy: &Copy, account: AccountId) -> Result<AccountId, MoveError> {
        let index = copy.accounts.iter().position(|own| *own == account).ok_or_else(|| {
            self.cannot(format!("a command names account {account}, not the debtor's"))
        })?;
        let debtor =
            self.target.find_debtor(self.reference).map_err(|source| self.target_query(source))?;
        let target_accounts = match debtor {
            Some(debtor) => {
                self.target.accounts_of(debtor).map_err(|source| self.target_query(source))?
            }
            None => Vec::new(),
        };
        target_accounts
            .get(index)
            .copied()
            .ok_or_else(|| self.cannot(format!("account {account} is not in the target yet")))
    }

    /// The target's obligation at the same place among its account's obligations (id order).
    fn target_obligation(
        &self,
        copy: &Copy,
        obligation: ObligationId,
    ) -> Result<ObligationId, MoveError> {
        let record =
            self.source.obligation(obligation).map_err(|source| self.source_query(source))?;
        let record =
            record.ok_or_else(|| self.cannot(format!("obligation {obligation} is unknown")))?;
        let own = self
            .source
            .obligations_of(record.account)
            .map_err(|source| self.source_query(source))?;
        let index =
            own.iter().position(|candidate| candidate.id == obligation).unwrap_or(usize::MAX);
        let account = self.target_account(copy, record.account)?;
        let theirs =
            self.target.obligations_of(account).map_err(|source| self.target_query(source))?;
        theirs
            .get(index)
            .map(|found| found.id)
            .ok_or_else(|| self.cannot(format!("obligation {obligation} is not in the target yet")))
    }

    /// Step 4: each account's outstanding by obligation and component, and its ledger
    /// length, equal in both shards on the move date; the debtor's contact history (the
    /// target's, less the contacts of sent actions carried after it), payer accounts and
    /// credit standing equal.
    fn compare(&self, copy: &Copy) -> Result<(), MoveError> {
        self.compare_debtor(copy)?;
        for account in &copy.accounts {
            let theirs = self.target_account(copy, *account)?;
            let source = self
                .source
                .account_view(*account, self.on)
                .map_err(|source| self.source_query(source))?;
            let target = self
                .target
                .account_view(theirs, self.on)
                .map_err(|source| self.target_query(source))?;
            let figures = |view: &arrears::AccountView| {
                let owed: Vec<[i64; 3]> = view
                    .obligations
                    .iter()
                    .map(|obligation| obligation.outstanding_minor)
                    .collect();
                (owed, view.unapplied_minor, view.charged_off_on)
            };
            let source_events =
                self.source.events(*account).map_err(|source| self.source_query(source))?.len();
            let target_events =
                self.target.events(theirs).map_err(|source| self.target_query(source))?.len();
            if figures(&source) != figures(&target) || source_events != target_events {
                return Err(MoveError::Mismatch {
                    reference: self.reference.to_owned(),
                    account: account.get(),
                    detail: format!(
                        "source {:?} with {source_events} events, target {:?} with {target_events}",
                        figures(&source),
                        figures(&target)
                    ),
                });
            }
        }
        Ok(())
    }

    /// The debtor's records outside its accounts, compared as step 4 says.
    fn compare_debtor(&self, copy: &Copy) -> Result<(), MoveError> {
        let theirs = self.target_debtor()?;
        let differs =
            |what: &'static str, source: String, target: String| MoveError::DebtorMismatch {
                reference: self.reference.to_owned(),
                what,
                detail: format!("source {source}, target {target}"),
            };
        let target_contacts =
            self.target.contacts(theirs).map_err(|source| self.target_query(source))?;
        let mut expected = Vec::new();
        for attempt in &copy.contacts {
            let accounts = attempt
                .accounts
                .iter()
                .map(|account| self.target_account(copy, *account))
                .collect::<Result<Vec<_>, _>>()?;
            expected.push(ContactAttempt { accounts, action: None, ..attempt.clone() });
        }
        let copied = &target_contacts[..target_contacts.len().min(expected.len())];
        if copied != expected.as_slice()
            || target_contacts.len() != expected.len() + copy.sent.len()
        {
            return Err(differs(
                "contact history",
                format!("{} contacts and {} sent actions", expected.len(), copy.sent.len()),
                format!("{} contacts, differing", target_contacts.len()),
            ));
        }
        let points = |store: &Arrears, debtor| -> Result<String, arrears::QueryError> {
            Ok(format!("{:?}", store.debtor(debtor)?.map(|found| found.contact_points)))
        };
        let source_points =
            points(self.source, copy.debtor).map_err(|source| self.source_query(source))?;
        let target_points =
            points(self.target, theirs).map_err(|source| self.target_query(source))?;
        if source_points != target_points {
            return Err(differs("contact points", source_points, target_points));
        }
        let payers = |found: Vec<arrears::cash::RegisteredPayer>| -> Vec<String> {
            (found.into_iter()).map(|payer| format!("{:?}", (payer.scheme, payer.number))).collect()
        };
        let source_payers = payers(
            payers_of(self.source, copy.debtor).map_err(|source| self.source_query(source))?,
        );
        let target_payers =
            payers(payers_of(self.target, theirs).map_err(|source| self.target_query(source))?);
        if source_payers != target_payers {
            return Err(differs(
                "payer accounts",
                source_payers.join(", "),
                target_payers.join(", "),
            ));
        }
        let standing =
            self.target.credit_standing(theirs).map_err(|source| self.target_query(source))?;
        let expected =
            copy.standing.as_ref().map(|standing| self.carried_standing(standing)).transpose()?;
        if standing != expected {
            return Err(differs(
                "credit standing",
                format!("{expected:?}"),
                format!("{standing:?}"),
            ));
        }
        Ok(())
    }

    /// The debtor's id in the target.
    fn target_debtor(&self) -> Result<DebtorId, MoveError> {
        self.target
            .find_debtor(self.reference)
            .map_err(|source| self.target_query(source))?
            .ok_or_else(|| self.cannot("the debtor is not in the target yet".to_owned()))
    }

    /// The source's standing as the target gets it: on the target's debtor, with no detection
    /// mark, so that the target's next cycle runs the detectors for the debtor and raises its
    /// signals again from the copied books.
    fn carried_standing(
        &self,
        standing: &arrears::credit::CreditStanding,
    ) -> Result<arrears::credit::CreditStanding, MoveError> {
        Ok(arrears::credit::CreditStanding {
            debtor: self.target_debtor()?,
            detected: None,
            ..standing.clone()
        })
    }

    /// Step 5: in the source, every outstanding component adjusted to zero and every account
    /// closed, on the move date. A key already recorded is not computed again (its amount
    /// would now be zero).
    fn hand_over(&self, copy: &Copy) -> Result<u64, MoveError> {
        let mut commands = 0;
        for account in &copy.accounts {
            let view = self
                .source
                .account_view(*account, self.on)
                .map_err(|source| self.source_query(source))?;
            for obligation in &view.obligations {
                for (component, outstanding) in
                    [Component::Principal, Component::Interest, Component::Fee]
                        .into_iter()
                        .zip(obligation.outstanding_minor)
                {
                    let key = format!(
                        "move-out:{}:{}:{}:{component:?}",
                        self.to_name,
                        account.get(),
                        obligation.obligation.id.get()
                    );
                    if outstanding == 0 || self.recorded(&key)? {
                        continue;
                    }
                    // Interest accrued on the move date exists for the events of the following
                    // days only (accruals are replayed last within their day): it is brought
                    // to zero the day after.
                    let accrued_that_day = obligation.obligation.kind == ObligationKind::Interest
                        && obligation.obligation.issued_on == self.on;
                    let effective_on = if accrued_that_day {
                        self.on.succ_opt().unwrap_or(self.on)
                    } else {
                        self.on
                    };
                    // A charged-off account takes no adjustment (docs/LEDGER.md, `check`); what
                    // it still owes is off the books (bad debt holds it), and a waiver brings it
                    // to zero with no posting.
                    let command = if view.charged_off_on.is_some() {
                        Command::Waiver {
                            account: *account,
                            obligation: obligation.obligation.id,
                            component,
                            amount: Money::from_minor(outstanding, view.account.currency),
                            effective_on,
                        }
                    } else {
                        Command::Adjustment {
                            account: *account,
                            obligation: obligation.obligation.id,
                            component,
                            amount: Money::from_minor(-outstanding, view.account.currency),
                            effective_on,
                        }
                    };
                    self.execute(self.source, &self.from_name, &key, &command)?;
                    commands += 1;
                }
            }
            let key = format!("move-out:{}:{}:close", self.to_name, account.get());
            let case = self.source.case(*account).map_err(|source| self.source_query(source))?;
            if !self.recorded(&key)? && case.state != arrears::collection::CollectionState::Closed {
                let close = Command::Close { account: *account, on: self.on };
                match self.execute(self.source, &self.from_name, &key, &close) {
                    Ok(()) => commands += 1,
                    // The state machine closes only a current or paid account: a delinquent
                    // one stays open, owing nothing, until its next review; the portfolio
                    // leaves it out of merged reports either way.
                    Err(MoveError::Refused { rejection, .. })
                        if matches!(*rejection, arrears::Rejection::State { .. }) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        commands += self.hand_over_debtor(copy)?;
        Ok(commands)
    }

    /// The rest of step 5: the debtor's payer accounts and contact points removed in the
    /// source, so that its bank lines no longer match the debtor there and its pending outbox
    /// actions are cancelled (`address_removed`) with nothing new scheduled.
    fn hand_over_debtor(&self, copy: &Copy) -> Result<u64, MoveError> {
        let mut commands = 0;
        let debtor = copy.debtor;
        let payers = payers_of(self.source, debtor).map_err(|source| self.source_query(source))?;
        for payer in payers {
            let key = format!(
                "move-out:{}:{debtor}:payer:{:016x}",
                self.to_name,
                crate::stable_hash(&payer.number)
            );
            let command = Command::RemovePayerAccount { debtor, number: payer.number };
            self.execute(self.source, &self.from_name, &key, &command)?;
            commands += 1;
        }
        let record = self.source.debtor(debtor).map_err(|source| self.source_query(source))?;
        for point in record.map(|record| record.contact_points).unwrap_or_default() {
            let key = format!(
                "move-out:{}:{debtor}:contact:{:016x}",
                self.to_name,
                crate::stable_hash(&format!("{:?}:{}", point.channel, point.address))
            );
            let command = Command::RemoveContactPoint {
                debtor,
                channel: point.channel,
                address: point.address,
            };
            self.execute(self.source, &self.from_name, &key, &command)?;
            commands += 1;
        }
        Ok(commands)
    }

    fn recorded(&self, key: &str) -> Result<bool, MoveError> {
        Ok(self.source.recorded(key).map_err(|source| self.source_query(source))?.is_some())
    }

    fn execute(
        &self,
        store: &Arrears,
        shard: &str,
        key: &str,
        command: &Command,
    ) -> Result<(), MoveError> {
        let receipt = store.execute(key, command).map_err(|source| MoveError::Command {
            shard: shard.to_owned(),
            key: key.to_owned(),
            source: Box::new(source),
        })?;
        if let Outcome::Rejected(rejection) = receipt.outcome {
            return Err(MoveError::Refused {
                shard: shard.to_owned(),
                command: command.name().to_owned(),
                key: key.to_owned(),
                rejection: Box::new(rejection),
            });
        }
        if !receipt.replayed {
            self.writes.set(self.writes.get() + 1);
            if self.writes_max.is_some_and(|max| self.writes.get() >= max) {
                return Err(MoveError::Stopped {
                    reference: self.reference.to_owned(),
                    writes: self.writes.get(),
                });
            }
        }
        Ok(())
    }
}

/// The command as the target executes it: a channel payment loses the outbox action and
/// the agent it is attributed to (records of the source); its ledger effect is the same.
fn without_source_records(command: &Command) -> Command {
    let mut command = command.clone();
    if let Command::ChannelPayment { action, agent, .. } = &mut command {
        *action = None;
        *agent = None;
    }
    command
}

/// The payer accounts registered on `debtor` (the store keeps them by number).
fn payers_of(
    store: &Arrears,
    debtor: DebtorId,
) -> Result<Vec<arrears::cash::RegisteredPayer>, arrears::QueryError> {
    let mut payers = store.payer_accounts(None)?;
    payers.retain(|payer| payer.debtor == debtor);
    Ok(payers)
}

/// The contact an outbox action made (with the source's ids), as `record_outbound`.
fn outbound(
    action: &Action,
    at: chrono::DateTime<chrono::Utc>,
    outcome: ContactOutcome,
) -> Command {
    Command::RecordOutbound {
        debtor: action.debtor,
        accounts: action.accounts.clone(),
        channel: action.channel,
        address: action.address.clone(),
        at,
        outcome,
    }
}

/// True for an event the engine derives within a command, which the target's copy of the
/// command derives again from the same books and agreements (the agreements being copied by
/// their own commands): a settlement's write-off (when its payment or its acceptance completes
/// it), that write-off's reversal (when a returned payment voids the settlement), the
/// application of the debtor's credit to what a returned payment re-opened, and an agency's
/// commission on a payment while placed and its reversal when the payment is returned. The
/// compare step checks that it did (step 4: the same events and figures).
fn derived_again(record: &EventRecord) -> bool {
    matches!(
        record.event.kind,
        EventKind::WriteOffRemainder
            | EventKind::WriteOffReversed { .. }
            | EventKind::ApplyUnapplied
            | EventKind::Commission { .. }
            | EventKind::CommissionOnSettled { .. }
            | EventKind::CommissionReversed { .. }
    )
}

/// The command that makes the same event as a cycle's late fee or charge-off, or a dispute
/// an acknowledgement opened, for `account` (`None` for any other event).
fn engine_command(account: AccountId, record: &EventRecord, currency: Currency) -> Option<Command> {
    let effective_on = record.event.effective_on;
    match &record.event.kind {
        EventKind::Charge {
            kind: ObligationKind::Fee,
            due_on,
            amounts_minor: [0, 0, fee_minor],
            ..
        } => Some(Command::Fee {
            account,
            effective_on,
            due_on: *due_on,
            amount: Money::from_minor(*fee_minor, currency),
        }),
        EventKind::ChargeOff => Some(Command::ChargeOff { account, effective_on }),
        // A late fee taken back because a payment recorded later was dated in time
        // (`lifecycle::reverse_unearned_late_fees`): the target's copy of the fee was made by a
        // command, so its payment does not take it back on its own.
        EventKind::Waiver { obligation, component: Component::Fee, amount_minor } => {
            Some(Command::Waiver {
                account,
                obligation: *obligation,
                component: Component::Fee,
                amount: Money::from_minor(*amount_minor, currency),
                effective_on,
            })
        }
        // A late fee taken back whole, with the money that paid it (the same reason).
        EventKind::ChargeWithdrawn { obligation } => {
            Some(Command::WithdrawCharge { account, obligation: *obligation, effective_on })
        }
        EventKind::Dispute { obligation, disputed: true } => {
            Some(Command::OpenDispute { account, obligations: vec![*obligation], on: effective_on })
        }
        _ => None,
    }
}

/// The (account, event) pairs an outcome posted: every object with integer `account` and
/// `event` fields (`posted`, and the `posted` of each case of a collection command).
fn posted_events(outcome: &Outcome) -> Vec<(u64, u32)> {
    fn walk(value: &Value, found: &mut Vec<(u64, u32)>) {
        match value {
            Value::Object(fields) => {
                if let (Some(account), Some(event)) = (
                    fields.get("account").and_then(Value::as_u64),
                    fields
                        .get("event")
                        .and_then(Value::as_u64)
                        .and_then(|event| u32::try_from(event).ok()),
                ) {
                    found.push((account, event));
                }
                fields.values().for_each(|field| walk(field, found));
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(&serde_json::to_value(outcome).unwrap_or(Value::Null), &mut found);
    found.sort_unstable();
    found.dedup();
    found
}
