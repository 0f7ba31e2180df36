//! `arrears bank`: bank statements in (cash application, docs/CASH.md). A statement's credit
//! lines are matched by the rules; a matched line is apportioned over the debtor's open
//! obligations and each part posted as a payment keyed `bank:<bank ref>/<part>`; what no rule
//! posts (and what exceeds what is owed) is held in suspense keyed `bank:<bank ref>`.

mod payer;
mod report;
mod rules;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;

use arrears::cash::BankLine;
use arrears::ids::{AccountId, DebtorId};
use arrears::money::{Currency, Money};
use arrears::{Arrears, Command, Outcome};
use arrears_bank::apportion::apportion;
use arrears_bank::matching::{
    match_line, normalize_reference, referenced_obligations, Decision, MatchData, MatchRules,
    MatchTarget, OpenObligation, PayerAccount, TargetScope,
};
use arrears_bank::{CsvMapping, Direction, FormatChoice, Repeat, Statement, StatementLine};
use chrono::NaiveDate;

use crate::horizon::Horizon;
use crate::output::money;
use crate::{collect, refs, Status};

/// `arrears bank`.
#[derive(Debug, Subcommand)]
pub(crate) enum BankCommand {
    /// Import a bank statement: post the credits the rules match, hold the rest in suspense.
    Import(ImportArgs),
    /// The review list: bank lines with cash still held in suspense.
    Unmatched,
    /// Apply a line held in suspense to an account, as a payment.
    Match(MatchArgs),
    /// The accounts debtors pay from, for the `payer_account` rule: add, remove, list.
    #[command(subcommand)]
    Payer(payer::PayerCommand),
    /// The matching rules kept in the store: show, set.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Match rate by rule (lines and money) and suspense aging.
    Report(report::ReportArgs),
}

/// `arrears bank import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The statement file.
    pub(crate) file: PathBuf,
    /// The format: auto, camt053, camt054, mt940, n43, n43-sepa (Norma 43 with mode 3 read by
    /// the AEB's annex 4) or csv.
    #[arg(long, default_value = "auto")]
    pub(crate) format: FormatChoice,
    /// The CSV mapping (TOML), for `csv`.
    #[arg(long, value_name = "FILE")]
    pub(crate) mapping: Option<PathBuf>,
    /// The matching rules (TOML); default: the stored ones (`bank rules set`), else RF
    /// references, then references in the remittance.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
}

/// `arrears bank match`.
#[derive(Debug, Args)]
pub(crate) struct MatchArgs {
    /// The line's bank reference.
    pub(crate) line: String,
    /// The account: its external reference, or its id (`A12`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) account: String,
    /// The amount to apply; default: all the line still holds.
    #[arg(long, value_parser = crate::args::parse_amount, allow_negative_numbers = true)]
    pub(crate) amount: Option<String>,
    /// The payment's value date; default: the line's.
    #[arg(long, value_parser = crate::args::parse_date)]
    pub(crate) on: Option<NaiveDate>,
    /// The idempotency key; default: `bank:<line>/match/<n>`, n the parts applied before + 1.
    #[arg(long)]
    pub(crate) key: Option<String>,
}

/// `arrears bank ...`.
pub(crate) fn run(
    books: &Arrears,
    command: &BankCommand,
    (horizon, today, json): (&Horizon, NaiveDate, bool),
    out: &mut dyn Write,
) -> Result<Status> {
    match command {
        BankCommand::Import(args) => import(books, horizon, args, json, out),
        BankCommand::Unmatched => unmatched(books, json, out),
        BankCommand::Match(args) => apply(books, args, json, out),
        BankCommand::Payer(command) => payer::run(books, command, json, out),
        BankCommand::Rules(command) => rules::run(books, command, json, out),
        BankCommand::Report(args) => report::run(books, args, today, json, out),
    }
}

fn read_text(path: &std::path::Path, what: &str) -> Result<String> {
    // The file is named by `read_text`'s errors; `what` says which file it is.
    crate::input::read_text(path).with_context(|| format!("the {what} file"))
}

/// What an import did, as printed.
#[derive(Debug, Default, Serialize)]
struct Summary {
    lines_read: u64,
    credits: u64,
    credits_minor: BTreeMap<String, i64>,
    matched_by_rule: BTreeMap<String, u64>,
    apportioned: u64,
    payments_posted: u64,
    posted_minor: BTreeMap<String, i64>,
    held_in_suspense: u64,
    suspense_minor: BTreeMap<String, i64>,
    returned: u64,
    payments_reversed: u64,
    suspense_returned: u64,
    returns_unmatched: Vec<String>,
    /// Why a return that named a line did not undo it (its amount, currency or direction).
    returns_not_undone: Vec<String>,
    debits: u64,
    /// Credit lines of no amount: nothing to post or hold, nothing written.
    zero_amount: u64,
    already_imported: u64,
    /// Lines whose bank reference was imported before for another line, imported under
    /// another key.
    references_reused: Vec<String>,
    /// Lines that repeat a movement of an earlier statement of the file (same servicer's
    /// reference, account, currency, direction, amount and value date: two statements that
    /// overlap): one movement, imported once, with the first. Counted in `lines_read` only.
    repeated_in_file: u64,
    /// Lines giving a servicer's reference an earlier line of the file gave for another
    /// movement: imported as lines of their own, under the reference with `#n`.
    references_repeated_in_file: Vec<String>,
    held_after_refusal: Vec<String>,
    rejected: Vec<String>,
}

fn import(
    books: &Arrears,
    horizon: &Horizon,
    args: &ImportArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("statement {file}"))?;
    let mapping = match &args.mapping {
        Some(path) => Some(
            CsvMapping::from_toml(&read_text(path, "mapping")?, &path.display().to_string())
                .map_err(|error| anyhow!("{error}"))?,
        ),
        None => None,
    };
    let rules = rules::in_force(books, args.rules.as_ref())?;
    // Every check of the file runs here, before anything is written.
    let statements = arrears_bank::parse(&file, &bytes, args.format, mapping.as_ref())?;
    beyond_horizon(&file, &statements, horizon)?;
    let mut summary = Summary::default();
    let steps = plan(books, &statements, &rules, &mut summary)?;
    execute(books, steps, &mut summary)?;
    if json {
        crate::output::json(out, &summary)?;
    } else {
        print_summary(&summary, out)?;
    }
    Ok(if summary.rejected.is_empty() { Status::Ok } else { Status::Failed })
}

/// Refuses a statement with a line booked or valued beyond the horizon of dates (a typo such
/// as 2062 for 2026), naming the first such line: its cash would post as paid years ahead or
/// wait in suspense for a date that never comes, and the balances matching reads are taken
/// as of the statement's latest value date, so one such line would move every other line's
/// match. Nothing is written. `--allow-future` lets the file in when the dates are right.
fn beyond_horizon(file: &str, statements: &[Statement], horizon: &Horizon) -> Result<()> {
    for line in statements.iter().flat_map(|statement| &statement.lines) {
        for (what, date) in [("value date", line.value_on), ("booking date", line.booking_on)] {
            if let Some(reason) = horizon.refusal(what, date) {
                bail!(
                    "statement {file}, {} (bank reference {}): {reason}; nothing was imported",
                    line.location,
                    line.bank_reference
                );
            }
        }
    }
    Ok(())
}

/// What an import executes, decided before anything is executed.
enum Step {
    /// A command under its key (the reversals and returns of a returned line).
    Run(String, Command),
    /// A credit line: its payments, each under its key, and what it holds in suspense (its
    /// amount may be zero), to which any payment refused is added; `alias`, the key under which
    /// its match record is recorded again for its end-to-end id (see [`end_to_end_key`]).
    Line {
        payments: Vec<(String, Command)>,
        hold: BankLine,
        matched: Command,
        alias: Option<String>,
    },
    /// A return of a line of the same import, `line`: what that line posted is reversed and
    /// what it held returned once it has executed, each keyed `bank:<return>/<n>`.
    ReturnPlanned { bank_ref: String, line: String, effective_on: NaiveDate },
}

/// The steps of an import, decided before any is executed.
fn plan(
    books: &Arrears,
    statements: &[Statement],
    rules: &MatchRules,
    summary: &mut Summary,
) -> Result<Vec<Step>> {
    let as_of = statements
        .iter()
        .flat_map(|statement| statement.lines.iter().map(|line| line.value_on))
        .max()
        .unwrap_or(arrears::dates::DATE_MIN);
    let mut portfolio = Portfolio::load(books, as_of)?;
    let mut commands = Vec::new();
    let mut planned = Planned::default();
    for statement in statements {
        let currency = statement.currency;
        for line in &statement.lines {
            summary.lines_read += 1;
            match &line.repeat {
                Some(Repeat::Overlap { .. }) => {
                    summary.repeated_in_file += 1;
                    continue;
                }
                Some(Repeat::Distinct { first, reference }) => {
                    let sign = if line.direction == Direction::Debit { "-" } else { "" };
                    summary.references_repeated_in_file.push(format!(
                        "bank reference {reference} of {first} is given again at {} for another \
                         movement ({}, {sign}{}); that line is imported as {}",
                        line.location,
                        line.value_on,
                        describe(Money::from_minor(line.amount_minor, currency))?,
                        line.bank_reference
                    ));
                }
                _ => {}
            }
            let amount = Money::from_minor(line.amount_minor, currency);
            if line.is_reversal || line.return_reason.is_some() {
                summary.returned += 1;
                let Some(line) = keyed(books, line, amount, true, summary)? else { continue };
                let line = &*line;
                match reversals(books, line, amount, &planned, &mut summary.rejected)? {
                    Undo::Commands(undo) => {
                        for (_, command) in &undo {
                            match command {
                                Command::ReturnCash { .. } => summary.suspense_returned += 1,
                                _ => summary.payments_reversed += 1,
                            }
                        }
                        commands
                            .extend(undo.into_iter().map(|(key, command)| Step::Run(key, command)));
                    }
                    Undo::Planned(original) => commands.push(Step::ReturnPlanned {
                        bank_ref: line.bank_reference.clone(),
                        line: original,
                        effective_on: line.value_on,
                    }),
                    Undo::Nothing(why) => {
                        summary.returns_unmatched.push(line.bank_reference.clone());
                        summary.returns_not_undone.extend(why);
                    }
                }
                continue;
            }
            if line.direction == Direction::Debit {
                summary.debits += 1;
                continue;
            }
            summary.credits += 1;
            *summary.credits_minor.entry(currency.to_string()).or_insert(0) += line.amount_minor;
            if line.amount_minor == 0 {
                summary.zero_amount += 1;
                continue;
            }
            let Some(line) = keyed(books, line, amount, false, summary)? else { continue };
            let line = &*line;
            let line_plan = portfolio.plan_line(rules, line, currency)?;
            line_plan.count(summary);
            let alias = planned.alias(books, line)?;
            commands.push(line_plan.step(line, currency, alias));
            planned.insert(line, amount);
        }
    }
    Ok(commands)
}

/// What a line imported before under `line`'s bank reference brought (value date and
/// amount), if it can be told: the line's match record, else (a line imported before those
/// were recorded) its payments and what it held in suspense.
fn imported_line(books: &Arrears, bank_ref: &str) -> Result<Option<(NaiveDate, Money)>> {
    if let Some(recorded) = books.recorded(&format!("bank:{bank_ref}/matched"))? {
        if let Command::RecordBankMatch { value_on, amount, .. } = recorded.command {
            return Ok(Some((value_on, amount)));
        }
    }
    let mut found: Option<(NaiveDate, Currency, i64)> = None;
    if let Some(held) = books.bank_lines()?.into_iter().find(|held| held.bank_ref == bank_ref) {
        found = Some((held.value_on, held.currency, held.amount_minor));
    }
    for part in 1.. {
        let Some(recorded) = books.recorded(&format!("bank:{bank_ref}/{part}"))? else { break };
        let Command::Payment { effective_on, amount, .. } = recorded.command else {
            return Ok(None);
        };
        if matches!(recorded.outcome, Outcome::Rejected(_)) {
            // A refused part is in what the line holds.
            continue;
        }
        let (value_on, currency, sum) = found.get_or_insert((effective_on, amount.currency(), 0));
        if *currency != amount.currency() || *value_on != effective_on {
            return Ok(None);
        }
        *sum += amount.to_minor()?;
    }
    Ok(found.map(|(value_on, currency, sum)| (value_on, Money::from_minor(sum, currency))))
}

/// The line as this import keys it, or None if it was imported before (counted). A bank's
/// reference is unique for one account at most and composed keys repeat (`:20:/:28C:/n` of a
/// bank that writes the same `:20:` every day): a line whose reference was imported before
/// for another line (another value date or amount, or a return's reference for a credit
/// line's, or the other way round) is keyed `<ref>@<value date>/<signed amount>` instead,
/// reported in `references_reused`; so each is imported, once.
fn keyed<'a>(
    books: &Arrears,
    line: &'a StatementLine,
    amount: Money,
    is_return: bool,
    summary: &mut Summary,
) -> Result<Option<Cow<'a, StatementLine>>> {
    let bank_ref = &line.bank_reference;
    if !already_imported(books, bank_ref)? {
        return Ok(Some(Cow::Borrowed(line)));
    }
    let before = imported_line(books, bank_ref)?;
    let same = if is_return {
        // A return is recorded by what it undid, dated on its value date.
        let first = books.recorded(&format!("bank:{bank_ref}/1"))?.map(|recorded| recorded.command);
        matches!(
            first,
            Some(Command::Reversal { effective_on, .. } | Command::ReturnCash { effective_on, .. })
                if effective_on == line.value_on
        )
    } else {
        before.is_some_and(|(value_on, before)| value_on == line.value_on && before == amount)
    };
    if same {
        summary.already_imported += 1;
        return Ok(None);
    }
    let alternative = format!("{bank_ref}@{}/{}", line.value_on, line.signed_minor());
    if already_imported(books, &alternative)? {
        summary.already_imported += 1;
        return Ok(None);
    }
    let earlier = match before {
        Some((value_on, amount)) => format!("{value_on}, {}", describe(amount)?),
        None => "a return".to_owned(),
    };
    summary.references_reused.push(format!(
        "bank reference {bank_ref} was imported before for another line ({earlier}); this line \
         ({}, {}) is imported as {alternative}",
        line.value_on,
        describe(amount)?
    ));
    Ok(Some(Cow::Owned(StatementLine { bank_reference: alternative, ..line.clone() })))
}

fn describe(amount: Money) -> Result<String> {
    Ok(format!("{} {}", money(amount.to_minor()?, amount.currency()), amount.currency()))
}

/// What a returned or reversed line undoes.
enum Undo {
    /// The commands, each under its key, undoing a line imported before.
    Commands(Vec<(String, Command)>),
    /// A line of this import, by its bank reference: undone once it has executed.
    Planned(String),
    /// Nothing: no line found, or why the line found is not undone.
    Nothing(Option<String>),
}

/// The credit lines of this import planned so far, for the returns later in it.
#[derive(Default)]
struct Planned {
    /// By bank reference: the amount (and currency).
    amounts: BTreeMap<String, Money>,
    /// By end-to-end id: the bank reference, None when two lines give the id.
    by_end_to_end: BTreeMap<String, Option<String>>,
    /// By end-to-end id: how many credit lines recorded it, imported before and planned in
    /// this import.
    end_to_end_lines: BTreeMap<String, u32>,
}

/// The key under which the match record of the `n`th credit line (from 1) giving the
/// end-to-end id `id` is recorded again: `bank-e2e:<id>`, then `bank-e2e:<id>#<n>`. A return
/// in a later statement gives the collection's end-to-end id, not its bank reference (a SEPA
/// direct debit returned: camt `RtrInf`, MT940 `/RTRN/`); these records find the line. None
/// when the key would be longer than [`arrears::KEY_LEN_MAX`] (the line is then found by
/// its bank reference only).
fn end_to_end_key(id: &str, n: u32) -> Option<String> {
    let key = if n == 1 { format!("bank-e2e:{id}") } else { format!("bank-e2e:{id}#{n}") };
    (key.len() <= arrears::KEY_LEN_MAX && !id.contains('\0')).then_some(key)
}

/// The bank references of the credit lines imported before that gave the end-to-end id `id`,
/// in the order they were imported.
fn lines_by_end_to_end(books: &Arrears, id: &str) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for n in 1.. {
        let Some(key) = end_to_end_key(id, n) else { break };
        let Some(recorded) = books.recorded(&key)? else { break };
        if let Command::RecordBankMatch { line, .. } = recorded.command {
            lines.push(line);
        }
    }
    Ok(lines)
}

impl Planned {
    /// The key under which `line`'s match record is recorded again for its end-to-end id, if
    /// it gives one other than its bank reference.
    fn alias(&mut self, books: &Arrears, line: &StatementLine) -> Result<Option<String>> {
        let Some(id) = line.end_to_end_id.as_ref().filter(|id| **id != line.bank_reference) else {
            return Ok(None);
        };
        let before = match self.end_to_end_lines.get(id) {
            Some(count) => *count,
            None => lines_by_end_to_end(books, id)?.len() as u32,
        };
        self.end_to_end_lines.insert(id.clone(), before + 1);
        Ok(end_to_end_key(id, before + 1))
    }

    fn insert(&mut self, line: &StatementLine, amount: Money) {
        self.amounts.insert(line.bank_reference.clone(), amount);
        if let Some(id) = &line.end_to_end_id {
            // A second line with the id: neither is found by it.
            let only = !self.by_end_to_end.contains_key(id);
            self.by_end_to_end.insert(id.clone(), only.then(|| line.bank_reference.clone()));
        }
    }
}

/// What a returned or reversed line undoes, from the line whose bank reference it gives as
/// its end-to-end id, creditor reference or a word of its remittance: the payments imported
/// from that line reversed, and if it was held in suspense, the payments applied from it
/// reversed and what it still holds returned; each keyed `bank:<return's bank ref>/<n>`. Only
/// a debit (cash going back) undoes a line, and only a line of its amount and currency: the
/// first candidate that finds such a line, imported before or earlier in this import, decides.
fn reversals(
    books: &Arrears,
    line: &StatementLine,
    amount: Money,
    planned: &Planned,
    refused: &mut Vec<String>,
) -> Result<Undo> {
    if line.direction != Direction::Debit {
        return Ok(Undo::Nothing(None));
    }
    let words = line.remittance_unstructured.iter().flat_map(|text| {
        text.split(|c: char| c.is_whitespace() || c == '/' || c == ',' || c == ';')
    });
    // A line of this import giving the return's end-to-end id (the payer's, which a SEPA
    // return carries as the original's) comes first.
    let same_end_to_end =
        line.end_to_end_id.as_ref().and_then(|id| planned.by_end_to_end.get(id)?.as_ref());
    // Then the lines of earlier imports that gave it, the latest first (a collection
    // presented again under its end-to-end id, returned again).
    let earlier_end_to_end = match &line.end_to_end_id {
        Some(id) => lines_by_end_to_end(books, id)?,
        None => Vec::new(),
    };
    let candidates: Vec<&str> = same_end_to_end
        .into_iter()
        .chain(earlier_end_to_end.iter().rev())
        .chain(
            [line.end_to_end_id.as_ref(), line.creditor_reference.as_ref()].into_iter().flatten(),
        )
        .map(String::as_str)
        .chain(words)
        .filter(|word| !word.is_empty() && *word != line.bank_reference)
        .collect();
    let held_lines = books.bank_lines()?;
    let mut not_undone = None;
    for candidate in candidates {
        let reverse = |account, payment| Command::Reversal {
            account,
            payment,
            effective_on: line.value_on,
            reason: arrears::ledger::ReversalReason::Returned,
        };
        let mut undo = Vec::new();
        let mut early = None;
        // What the line brought: its payments posted and what it held in suspense.
        let mut brought: Option<(Currency, i64)> = None;
        for part in 1.. {
            let Some(recorded) = books.recorded(&format!("bank:{candidate}/{part}"))? else {
                break;
            };
            if let (Outcome::Posted(posted), Command::Payment { amount, .. }) =
                (recorded.outcome, recorded.command)
            {
                undo.push(reverse(posted.account, posted.event));
                let (_, sum) = brought.get_or_insert((amount.currency(), 0));
                *sum += amount.to_minor()?;
            }
        }
        if let Some(held) = held_lines.iter().find(|held| held.bank_ref == candidate) {
            undo.extend(held.applied.iter().map(|part| reverse(part.account, part.event)));
            if held.held_minor() > 0 && line.value_on < held.value_on {
                // The engine refuses it (an error, which would fail the whole import).
                let on = line.value_on;
                early = Some(early_return(&line.bank_reference, candidate, on, held.value_on));
            } else if held.held_minor() > 0 {
                undo.push(Command::ReturnCash {
                    line: held.bank_ref.clone(),
                    amount: Money::from_minor(held.held_minor(), held.currency),
                    effective_on: line.value_on,
                });
            }
            let (_, sum) = brought.get_or_insert((held.currency, 0));
            *sum += held.amount_minor;
        }
        let brought = match brought {
            Some((currency, sum)) => Some(Money::from_minor(sum, currency)),
            None => planned.amounts.get(candidate).copied(),
        };
        let Some(brought) = brought else { continue };
        if brought != amount {
            not_undone.get_or_insert(format!(
                "return {}: {}; line {candidate} brought {}, not undone",
                line.bank_reference,
                describe(amount)?,
                describe(brought)?
            ));
            continue;
        }
        if planned.amounts.contains_key(candidate) {
            return Ok(Undo::Planned(candidate.to_owned()));
        }
        if !undo.is_empty() || early.is_some() {
            refused.extend(early);
            let keyed = undo.into_iter().enumerate().map(|(index, command)| {
                (format!("bank:{}/{}", line.bank_reference, index + 1), command)
            });
            return Ok(Undo::Commands(keyed.collect()));
        }
    }
    Ok(Undo::Nothing(not_undone))
}

/// Why a return from suspense is not made: the return is dated before the held line's value
/// date, which `Command::ReturnCash` refuses.
fn early_return(bank_ref: &str, held: &str, on: NaiveDate, held_on: NaiveDate) -> String {
    format!(
        "bank:{bank_ref}: return of bank line {held} from suspense on {on} is before its value \
         date {held_on}: not returned"
    )
}

fn already_imported(books: &Arrears, bank_ref: &str) -> Result<bool> {
    Ok(books.recorded(&format!("bank:{bank_ref}"))?.is_some()
        || books.recorded(&format!("bank:{bank_ref}/1"))?.is_some())
}

/// What to do with one credit line.
struct LinePlan {
    /// The rule that decided a post, if one did.
    rule: Option<String>,
    /// The parts: account, obligation, amount.
    parts: Vec<(AccountId, arrears::ids::ObligationId, i64)>,
    /// What goes to suspense.
    held_minor: i64,
}

impl LinePlan {
    /// Counts the rule that decided and whether the line is apportioned; what is posted and
    /// held is counted as it executes.
    fn count(&self, summary: &mut Summary) {
        if let Some(rule) = &self.rule {
            *summary.matched_by_rule.entry(rule.clone()).or_insert(0) += 1;
        }
        if self.parts.len() > 1 {
            summary.apportioned += 1;
        }
    }

    fn step(&self, line: &StatementLine, currency: Currency, alias: Option<String>) -> Step {
        let bank_ref = &line.bank_reference;
        let payments = self
            .parts
            .iter()
            .enumerate()
            .map(|(index, (account, obligation, amount_minor))| {
                let command = Command::Payment {
                    account: *account,
                    effective_on: line.value_on,
                    amount: Money::from_minor(*amount_minor, currency),
                    directed_to: Some(*obligation),
                };
                (format!("bank:{bank_ref}/{}", index + 1), command)
            })
            .collect();
        let remittance = [&line.remittance_unstructured, &line.creditor_reference]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let hold = BankLine {
            bank_ref: bank_ref.clone(),
            value_on: line.value_on,
            amount: Money::from_minor(self.held_minor, currency),
            payer_name: line.payer_name.as_deref().map(held_text),
            payer_account: line.payer_account.as_deref().map(held_text),
            remittance: held_text(&remittance),
        };
        // What was posted is filled in as the payments execute.
        let matched = Command::RecordBankMatch {
            line: bank_ref.clone(),
            value_on: line.value_on,
            amount: Money::from_minor(line.amount_minor, currency),
            rule: self.rule.clone(),
            posted: Money::from_minor(0, currency),
        };
        Step::Line { payments, hold, matched, alias }
    }
}

/// What a credit line of this import wrote: its payments posted (account and event) and
/// what it holds in suspense, for a return later in the same import.
struct Executed {
    value_on: NaiveDate,
    posted: Vec<(AccountId, arrears::ids::EventSeq)>,
    held: Option<Money>,
}

/// A line's text as a held line keeps it: at most [`arrears::model::TEXT_LEN_MAX`] bytes, cut
/// at a character boundary (an MT940 `:86:` runs to 390 characters, a camt `Ustrd` repeats;
/// matching has read the whole text).
fn held_text(text: &str) -> String {
    let mut end = text.len().min(arrears::model::TEXT_LEN_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Executes one credit line's payments; holds what is not posted (what the plan holds and
/// every payment refused) in suspense; records how the line was matched.
fn execute_line(
    batch: &mut arrears::Batch<'_>,
    (payments, mut hold): (Vec<(String, Command)>, BankLine),
    (mut matched, alias): (Command, Option<String>),
    summary: &mut Summary,
) -> Result<Executed> {
    let currency = hold.amount.currency();
    let mut held_minor = hold.amount.to_minor()?;
    let mut posted_minor = 0;
    let mut executed = Executed { value_on: hold.value_on, posted: Vec::new(), held: None };
    for (key, command) in payments {
        let receipt = batch.execute(&key, &command).with_context(|| format!("key {key}"))?;
        let Command::Payment { amount, .. } = &command else { continue };
        let amount_minor = amount.to_minor()?;
        match &receipt.outcome {
            Outcome::Rejected(rejection) => {
                held_minor += amount_minor;
                let reason = rejection.describe(currency);
                summary.held_after_refusal.push(format!("{key}: {reason}"));
            }
            outcome => {
                if let Outcome::Posted(posted) = outcome {
                    executed.posted.push((posted.account, posted.event));
                }
                summary.payments_posted += 1;
                posted_minor += amount_minor;
            }
        }
    }
    if posted_minor > 0 {
        *summary.posted_minor.entry(currency.to_string()).or_insert(0) += posted_minor;
    }
    let bank_ref = hold.bank_ref.clone();
    if held_minor > 0 {
        summary.held_in_suspense += 1;
        *summary.suspense_minor.entry(currency.to_string()).or_insert(0) += held_minor;
        hold.amount = Money::from_minor(held_minor, currency);
        let key = format!("bank:{bank_ref}");
        let receipt = batch
            .execute(&key, &Command::ReceiveCash { line: hold })
            .with_context(|| format!("key {key}"))?;
        if let Outcome::Rejected(rejection) = &receipt.outcome {
            summary.rejected.push(format!("{key}: {rejection}"));
        } else {
            executed.held = Some(Money::from_minor(held_minor, currency));
        }
    }
    if let Command::RecordBankMatch { posted, .. } = &mut matched {
        *posted = Money::from_minor(posted_minor, currency);
    }
    // The record again under the line's end-to-end id, for a return in a later statement
    // that gives only that (the record replaces itself: the same bank reference).
    let keys = std::iter::once(format!("bank:{bank_ref}/matched")).chain(alias);
    for key in keys {
        let receipt = batch.execute(&key, &matched).with_context(|| format!("key {key}"))?;
        if let Outcome::Rejected(rejection) = &receipt.outcome {
            summary.rejected.push(format!("{key}: {rejection}"));
        }
    }
    Ok(executed)
}

/// The commands undoing a line of this import once it has executed: its payments reversed and
/// what it held returned, each keyed `bank:<return's bank ref>/<n>`.
fn undo_executed(
    executed: &Executed,
    line: &str,
    bank_ref: &str,
    effective_on: NaiveDate,
) -> Vec<(String, Command)> {
    let reversals = executed.posted.iter().map(|(account, payment)| Command::Reversal {
        account: *account,
        payment: *payment,
        effective_on,
        reason: arrears::ledger::ReversalReason::Returned,
    });
    let returned = executed.held.iter().map(|amount| Command::ReturnCash {
        line: line.to_owned(),
        amount: *amount,
        effective_on,
    });
    let commands = reversals.chain(returned).enumerate();
    commands.map(|(index, command)| (format!("bank:{bank_ref}/{}", index + 1), command)).collect()
}

/// Executes the steps in one transaction, all or nothing. A payment the engine refuses is
/// held in suspense with the rest of its line instead (reported in `held_after_refusal`), so
/// that posted plus held is always the statement's credits; a refused reversal or return is
/// reported in `rejected`.
fn execute(books: &Arrears, steps: Vec<Step>, summary: &mut Summary) -> Result<()> {
    let mut batch = books.batch()?;
    let mut executed: BTreeMap<String, Executed> = BTreeMap::new();
    for step in steps {
        let commands = match step {
            Step::Run(key, command) => vec![(key, command)],
            Step::Line { payments, hold, matched, alias } => {
                let bank_ref = hold.bank_ref.clone();
                let line = execute_line(&mut batch, (payments, hold), (matched, alias), summary)?;
                executed.insert(bank_ref, line);
                continue;
            }
            Step::ReturnPlanned { bank_ref, line, effective_on } => {
                let Some(done) = executed.get_mut(&line) else { continue };
                if done.held.is_some() && effective_on < done.value_on {
                    done.held = None;
                    let message = early_return(&bank_ref, &line, effective_on, done.value_on);
                    summary.rejected.push(message);
                }
                summary.payments_reversed += done.posted.len() as u64;
                summary.suspense_returned += u64::from(done.held.is_some());
                undo_executed(done, &line, &bank_ref, effective_on)
            }
        };
        for (key, command) in commands {
            let receipt = batch.execute(&key, &command).with_context(|| format!("key {key}"))?;
            if let Outcome::Rejected(rejection) = &receipt.outcome {
                summary.rejected.push(format!("{key}: {rejection}"));
            }
        }
    }
    batch.commit()?;
    Ok(())
}

fn print_summary(summary: &Summary, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "lines read: {}", summary.lines_read)?;
    writeln!(out, "credits: {}", summary.credits)?;
    for (rule, count) in &summary.matched_by_rule {
        writeln!(out, "matched by {rule}: {count}")?;
    }
    writeln!(out, "apportioned over several obligations: {}", summary.apportioned)?;
    writeln!(out, "payments posted: {}", summary.payments_posted)?;
    writeln!(out, "held in suspense: {}", summary.held_in_suspense)?;
    for (currency, amount_minor) in &summary.suspense_minor {
        let currency: Currency = currency.parse().map_err(|error| anyhow!("{error}"))?;
        writeln!(out, "  {} {currency}", money(*amount_minor, currency))?;
    }
    writeln!(out, "returned: {}", summary.returned)?;
    writeln!(out, "payments reversed: {}", summary.payments_reversed)?;
    writeln!(out, "returned from suspense: {}", summary.suspense_returned)?;
    for line in &summary.returns_unmatched {
        let prefix = format!("return {line}: ");
        match summary.returns_not_undone.iter().find(|why| why.starts_with(&prefix)) {
            Some(why) => writeln!(out, "{why}")?,
            None => writeln!(out, "{prefix}no payment imported from the line it returns")?,
        }
    }
    writeln!(out, "debits: {}", summary.debits)?;
    writeln!(out, "already imported: {}", summary.already_imported)?;
    if summary.zero_amount > 0 {
        writeln!(out, "zero-amount lines (no cash): {}", summary.zero_amount)?;
    }
    for reused in &summary.references_reused {
        writeln!(out, "reference reused: {reused}")?;
    }
    if summary.repeated_in_file > 0 {
        writeln!(out, "repeated in the file (imported once): {}", summary.repeated_in_file)?;
    }
    for repeated in &summary.references_repeated_in_file {
        writeln!(out, "reference repeated: {repeated}")?;
    }
    for refused in &summary.held_after_refusal {
        writeln!(out, "held in suspense after a refusal: {refused}")?;
    }
    for rejected in &summary.rejected {
        writeln!(out, "rejected: {rejected}")?;
    }
    Ok(())
}

/// The store's data that matching reads, loaded once per import.
struct Portfolio {
    names: Vec<(DebtorId, String)>,
    references: BTreeMap<String, Vec<MatchTarget>>,
    rf: BTreeMap<String, Vec<MatchTarget>>,
    open: BTreeMap<DebtorId, Vec<OpenObligation>>,
    /// The debtors registered on each payer account, by normalized number.
    payers: BTreeMap<String, Vec<DebtorId>>,
    /// The issue date of each open obligation: a line pays only those issued by its value date.
    issued: BTreeMap<arrears::ids::ObligationId, NaiveDate>,
}

impl Portfolio {
    fn load(books: &Arrears, as_of: NaiveDate) -> Result<Portfolio> {
        let mut portfolio = Portfolio {
            names: Vec::new(),
            references: BTreeMap::new(),
            rf: BTreeMap::new(),
            open: BTreeMap::new(),
            payers: BTreeMap::new(),
            issued: BTreeMap::new(),
        };
        for payer in books.payer_accounts(None)? {
            portfolio.payers.entry(payer.number).or_default().push(payer.debtor);
        }
        let mut debtors = std::collections::BTreeSet::new();
        for id in books.account_ids()? {
            let view = books.account_view(id, as_of)?;
            let debtor = view.account.debtor;
            debtors.insert(debtor);
            portfolio.reference(view.account.external_ref.as_deref(), || {
                MatchTarget::account(debtor, id)
            });
            for obligation in &view.obligations {
                let target = || MatchTarget::obligation(debtor, obligation.obligation.id);
                portfolio.reference(obligation.obligation.external_ref.as_deref(), target);
                let outstanding_minor: i64 = obligation.outstanding_minor.iter().sum();
                if outstanding_minor > 0 && !obligation.disputed {
                    portfolio
                        .issued
                        .insert(obligation.obligation.id, obligation.obligation.issued_on);
                    portfolio.open.entry(debtor).or_default().push(OpenObligation {
                        obligation: obligation.obligation.id,
                        account: id,
                        due_on: obligation.obligation.due_on,
                        outstanding_minor,
                        currency: view.account.currency,
                    });
                }
            }
        }
        for debtor in debtors {
            if let Some(found) = books.debtor(debtor)? {
                portfolio.names.push((debtor, found.name));
            }
        }
        Ok(portfolio)
    }

    /// Indexes an external reference, and the RF reference derived from it (or the reference
    /// itself, when it is an RF reference: an invoice issued with one).
    fn reference(&mut self, reference: Option<&str>, target: impl Fn() -> MatchTarget) {
        let Some(reference) = reference else { return };
        let normalized = normalize_reference(reference);
        if arrears_bank::rf::is_valid(&normalized) {
            self.rf.entry(normalized.clone()).or_default().push(target());
        } else if let Ok(rf) = arrears_bank::rf::rf_reference(&normalized) {
            self.rf.entry(rf).or_default().push(target());
        }
        self.references.entry(normalized).or_default().push(target());
    }

    fn plan_line(
        &mut self,
        rules: &MatchRules,
        line: &StatementLine,
        currency: Currency,
    ) -> Result<LinePlan> {
        let outcome = match_line(rules, line, currency, &*self);
        let Decision::Post(target) = &outcome.decision else {
            return Ok(LinePlan { rule: None, parts: Vec::new(), held_minor: line.amount_minor });
        };
        let rule = outcome.steps.last().map(|step| step.rule.clone());
        let open: Vec<OpenObligation> = self
            .open
            .get(&target.debtor)
            .into_iter()
            .flatten()
            .filter(|open| in_scope(&target.scope, open))
            // The balances are taken as of the statement's latest value date: an obligation
            // issued after this line's value date is not yet owed on it (the engine refuses a
            // payment to it), so the line does not pay it.
            .filter(|open| self.issued.get(&open.obligation).is_none_or(|on| *on <= line.value_on))
            .cloned()
            .collect();
        let directed = referenced_obligations(line, &*self);
        let spread = apportion(
            &line.bank_reference,
            line.amount_minor,
            currency,
            &open,
            rules.apportion(),
            &directed,
        )?;
        let parts: Vec<_> = spread
            .parts
            .iter()
            .map(|part| (part.account, part.obligation, part.amount_minor))
            .collect();
        // Later lines of the same import see what this one paid.
        for open in self.open.entry(target.debtor).or_default() {
            for part in spread.parts.iter().filter(|part| part.obligation == open.obligation) {
                open.outstanding_minor -= part.amount_minor;
            }
        }
        Ok(LinePlan { rule, parts, held_minor: spread.unapplied_minor })
    }
}

fn in_scope(scope: &TargetScope, open: &OpenObligation) -> bool {
    match scope {
        TargetScope::Debtor => true,
        TargetScope::Account(account) => open.account == *account,
        TargetScope::Obligations(obligations) => obligations.contains(&open.obligation),
    }
}

impl MatchData for Portfolio {
    fn by_creditor_reference(&self, reference: &str) -> Vec<MatchTarget> {
        self.rf.get(reference).cloned().unwrap_or_default()
    }

    fn by_external_reference(&self, token: &str) -> Vec<MatchTarget> {
        self.references.get(token).cloned().unwrap_or_default()
    }

    fn by_payer_account(&self, account: &PayerAccount) -> Vec<DebtorId> {
        self.payers.get(account.id()).cloned().unwrap_or_default()
    }

    fn open_obligations(&self, debtor: DebtorId) -> Vec<OpenObligation> {
        let open = self.open.get(&debtor).into_iter().flatten();
        open.filter(|open| open.outstanding_minor > 0).cloned().collect()
    }

    fn debtor_names(&self, _payer_name: &str) -> Vec<(DebtorId, String)> {
        self.names.clone()
    }
}

/// `arrears bank unmatched`.
fn unmatched(books: &Arrears, json: bool, out: &mut dyn Write) -> Result<Status> {
    let held: Vec<_> =
        books.bank_lines()?.into_iter().filter(|line| line.held_minor() > 0).collect();
    if json {
        crate::output::json(out, &held)?;
        return Ok(Status::Ok);
    }
    let mut table =
        crate::output::Table::new(&["line", "value date", "held", "payer", "remittance"])
            .numeric(&["held"]);
    for line in &held {
        table.row(vec![
            line.bank_ref.clone(),
            line.value_on.to_string(),
            money(line.held_minor(), line.currency),
            line.payer_name.clone().unwrap_or_default(),
            line.remittance.clone(),
        ]);
    }
    if table.is_empty() {
        writeln!(out, "nothing held in suspense")?;
    } else {
        table.write(out, "")?;
    }
    Ok(Status::Ok)
}

/// `arrears bank match`.
fn apply(books: &Arrears, args: &MatchArgs, json: bool, out: &mut dyn Write) -> Result<Status> {
    let Some(held) = books.bank_lines()?.into_iter().find(|line| line.bank_ref == args.line) else {
        return Err(anyhow!("LINE: no bank line {:?} was received", args.line));
    };
    let account = refs::account(books, &args.account, "--account")?;
    let amount = match &args.amount {
        Some(text) => {
            Money::parse(text, held.currency).map_err(|error| anyhow!("--amount: {error}"))?
        }
        None => Money::from_minor(held.held_minor(), held.currency),
    };
    let key = args
        .key
        .clone()
        .unwrap_or_else(|| format!("bank:{}/match/{}", held.bank_ref, held.applied.len() + 1));
    let command = Command::ApplyCash {
        line: held.bank_ref.clone(),
        account: account.id,
        amount,
        effective_on: args.on.unwrap_or(held.value_on),
    };
    let receipt = collect::execute(books, &key, &command)?;
    if json {
        return collect::print_json(&key, &receipt, Some(held.currency), out);
    }
    if let Outcome::Rejected(rejection) = &receipt.outcome {
        writeln!(out, "rejected: {}", rejection.describe(held.currency))?;
        return Ok(Status::Failed);
    }
    let replayed = if receipt.replayed { " (replayed: already recorded)" } else { "" };
    writeln!(
        out,
        "applied {} of bank line {} to account {}{replayed}",
        money(amount.to_minor()?, held.currency),
        held.bank_ref,
        refs::describe_account(&account)
    )?;
    Ok(Status::Ok)
}
