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
//!    replay creates them in the same order); the cycle's late fees and charge-offs are
//!    executed as `fee` and `charge_off` commands (key `move:<source>:a<account>:e<event>`)
//!    at their place in the account's event order, so event numbers match.
//! 4. **Compare**: every account's outstanding, by obligation and component, and its ledger
//!    length are equal in both shards on the move date.
//! 5. **Hand over in the source**: every outstanding component is adjusted to zero and every
//!    account closed, on the move date, under keys `move-out:<target>:<account>:...`.
//! 6. **Pin**: the manifest's `[debtors]` maps the debtor to the target, `[moving]` loses it.
//!
//! Every write is a command under a key derived from the move, and the engine's idempotency
//! makes a command run twice under its key a replay, so running the move again after a crash
//! at any step finishes it and doubles nothing. The manifest is rewritten atomically.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde_json::Value;

use arrears::ids::{AccountId, DebtorId, ObligationId};
use arrears::ledger::{EventKind, EventRecord};
use arrears::model::{Component, ObligationKind};
use arrears::money::{Currency, Money};
use arrears::{Arrears, ChangeKind, Command, Outcome};

use crate::{ids, ManifestError, MoveEntry, Portfolio, RouteError};

/// Changes read from the feed per page while collecting a debtor's commands.
const FEED_PAGE_LEN_MAX: usize = 1_000;

/// The commands a move copies: those that name nothing but the debtor, its accounts and its
/// obligations (ids the move rewrites). A debtor with any other command in its feed (cash
/// lines, bank matches, payer accounts, credit decisions, work records: records of the whole
/// store) is refused before anything is written.
const COPIED: [&str; 40] = [
    "create_debtor",
    "open_account",
    "charge",
    "fee",
    "payment",
    "reversal",
    "waiver",
    "adjustment",
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
    "request_callback",
    "set_contact_restrictions",
    "add_note",
    "set_limitation_date",
    "set_attorney",
    "change_restrictions",
    "report_signal",
    "channel_payment",
    "set_credit_terms",
];

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
    /// Commands of the source left out: outbox acknowledgements and sends, whose actions
    /// stay in the source's outbox and audit log.
    pub skipped: u64,
    /// Handover commands in the source (adjustments to zero, closures of the accounts the
    /// state machine lets close).
    pub handed_over: u64,
    /// True if and only if the debtor was already pinned to the target (nothing to do).
    pub already_done: bool,
}

/// One command of the debtor, as the source's feed holds it.
struct Step {
    seq: u64,
    command: Command,
    /// The account events its outcome posted: (source account, event).
    posted: Vec<(u64, u32)>,
}

/// What the source's feed holds of the debtor.
#[derive(Default)]
struct Feed {
    steps: Vec<Step>,
    skipped: u64,
    /// Events posted by this move's handover adjustments (a rerun after step 5 began).
    handover_events: Vec<(u64, u32)>,
    /// True if and only if a handover closure is in the feed.
    closed: bool,
}

/// The debtor as the source holds it: its id, accounts, commands and the engine's events.
struct Copy {
    debtor: DebtorId,
    accounts: Vec<AccountId>,
    steps: Vec<Step>,
    skipped: u64,
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
        let feed = self.debtor_steps(debtor, &account_set)?;
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
                if record.event.effective_on > self.on {
                    return Err(self.cannot(format!(
                        "account {account} has an event on {}, after the move date {}",
                        record.event.effective_on, self.on
                    )));
                }
                if posted.contains(&(account.get(), record.event.seq.0)) {
                    continue;
                }
                if engine_command(*account, &record, currency).is_none() {
                    return Err(self.cannot(format!(
                        "account {account} event {} (key {:?}) was made by neither a command of \
                         the feed nor a cycle's late fee or charge-off",
                        record.event.seq.0, record.key
                    )));
                }
                made.push(record);
            }
            engine_events.insert(account.get(), made);
        }
        Ok(Copy {
            debtor,
            accounts,
            steps: feed.steps,
            skipped: feed.skipped,
            handover_started: !feed.handover_events.is_empty() || feed.closed,
            engine_events,
        })
    }

    /// The source's feed, read through: the commands naming or touching the debtor or its
    /// accounts, in order, apart from those left out (outbox acknowledgements) and this
    /// move's own handover commands.
    fn debtor_steps(&self, debtor: DebtorId, accounts: &BTreeSet<u64>) -> Result<Feed, MoveError> {
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
                    feed.closed |= matches!(command.as_ref(), Command::Close { .. });
                    continue;
                }
                if matches!(
                    command.as_ref(),
                    Command::Acknowledge { .. } | Command::MarkSent { .. }
                ) {
                    feed.skipped += 1;
                    continue;
                }
                if !COPIED.contains(&command.name()) {
                    return Err(self.cannot(format!(
                        "its {} command (feed seq {}) names records of the whole store",
                        command.name(),
                        change.seq
                    )));
                }
                let posted = posted_events(outcome);
                feed.steps.push(Step { seq: change.seq, command: without_action(command), posted });
            }
            if page.changes.is_empty() || page.next >= page.head {
                return Ok(feed);
            }
            after = page.next;
        }
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
            handed_over: 0,
            already_done: false,
        };
        let mut done: BTreeMap<u64, usize> = BTreeMap::new();
        for step in &copy.steps {
            for &(account, event) in &step.posted {
                self.engine_events_before(copy, account, Some(event), &mut done, &mut report)?;
            }
            let command = self.to_target(copy, &step.command)?;
            self.execute(
                self.target,
                &self.to_name,
                &format!("move:{}:{}", self.from_name, step.seq),
                &command,
            )?;
            report.copied += 1;
        }
        for account in &copy.accounts {
            self.engine_events_before(copy, account.get(), None, &mut done, &mut report)?;
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
            let target_account = self.target_account(copy, AccountId(account))?;
            let currency = self.currency_of(AccountId(account))?;
            let command = engine_command(target_account, record, currency).ok_or_else(|| {
                self.cannot(format!("event {} of account {account}", record.event.seq.0))
            })?;
            let key = format!("move:{}:a{account}:e{}", self.from_name, record.event.seq.0);
            self.execute(self.target, &self.to_name, &key, &command)?;
            report.copied += 1;
            report.engine_events += 1;
            *next += 1;
        }
        Ok(())
    }

    /// A source command with its ids rewritten to the target's.
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
    /// length, equal in both shards on the move date.
    fn compare(&self, copy: &Copy) -> Result<(), MoveError> {
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
                    let command = Command::Adjustment {
                        account: *account,
                        obligation: obligation.obligation.id,
                        component,
                        amount: Money::from_minor(-outstanding, view.account.currency),
                        effective_on: self.on,
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

/// The command as the target executes it: a channel payment loses the outbox action it
/// is attributed to (an action of the source's outbox); its ledger effect is the same.
fn without_action(command: &Command) -> Command {
    let mut command = command.clone();
    if let Command::ChannelPayment { action, .. } = &mut command {
        *action = None;
    }
    command
}

/// The command that makes the same event as a cycle's late fee or charge-off, for
/// `account` in the target (`None` for any other event).
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
