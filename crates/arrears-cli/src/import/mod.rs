//! `arrears import`: a file in batches of `--batch-rows` rows, each all or nothing.
//!
//! Two passes over the file, neither keeping its rows. First every row is parsed and checked
//! (formats, references to records already in the store, references to earlier rows of the
//! file), and every error found is reported; what is kept per key (duplicates, references to
//! earlier rows) is kept on disk, in scratch files next to the store (`keys`), and in memory
//! only the first [`input::ERRORS_MAX`] errors: memory does not grow with the file. Only if there is none is the
//! file read again and each row executed as soon as it is planned, in [`arrears::Batch`]es of
//! `--batch-rows` rows (one for the whole file with `--atomic`); the first command error or
//! rejection drops its batch and stops the import, the batches before it staying committed.
//! Every row has a deterministic idempotency key, so importing the file again resumes.

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use rust_decimal::Decimal;

use arrears::ids::{AccountId, EventSeq, ObligationId};
use arrears::model::locale;
use arrears::model::{
    Account, ContactChannel, ContactPoint, ContactPointKind, DayCount, DebtorFlags, DebtorKind,
    InterestBase, InterestTerms, Jurisdiction, LateFeeRule, ObligationKind, ProductKind, Terms,
    Waterfall, TEXT_LEN_MAX, TIME_ZONES_MAX,
};
use arrears::money::{Currency, RoundingRule, AMOUNT_MINOR_MAX};
use arrears::{
    Arrears, Command, CommandError, NewAccount, NewCharge, NewDebtor, Outcome, Rejection,
};

use crate::args::{ImportArgs, ImportKind};
use crate::horizon::Horizon;
use crate::input::{self, Columns, Fields, FileErrors, Row, RowError, Sign};
use crate::output;
use crate::Status;

mod changes;
mod keys;
mod postings;

use keys::{Keys, Links, PostedRef};
use postings::{posting_command, PostingKind, PostingType};

/// Longest idempotency key the store accepts, in bytes. `arrears` does not re-export
/// `arrears_store::KEY_LEN_MAX`, so it is repeated here.
const KEY_LEN_MAX: usize = 128;

const DEBTORS: Columns = Columns {
    required: &["external_id", "kind", "name", "country", "time_zones", "language"],
    optional: &[
        "region",
        "email",
        "phone",
        "mobile",
        "email_consent",
        "phone_consent",
        "sms_consent",
    ],
};

const ACCOUNTS: Columns = Columns {
    required: &["external_id", "debtor", "product", "currency", "opened_on"],
    optional: &[
        "credit_limit",
        "grace_days",
        "late_fee",
        "annual_rate",
        "day_count",
        "interest_base",
        "waterfall",
    ],
};

const OBLIGATIONS: Columns = Columns {
    required: &["external_id", "account", "kind", "issued_on", "due_on", "principal"],
    optional: &["interest", "fee"],
};

const POSTINGS: Columns = Columns {
    required: &["key", "account", "type", "effective_on"],
    optional: &["amount", "obligation", "component", "reverses", "reason", "due_on", "directed_to"],
};

/// The optional posting columns, for "not used by this type" checks.
const POSTING_OPTIONAL: [&str; 7] =
    ["amount", "obligation", "component", "reverses", "reason", "due_on", "directed_to"];

/// Most accounts the planner keeps decoded; past it, it forgets them all and reads again.
const ACCOUNTS_CACHED_MAX: usize = 65_536;

/// Imports `args.file`; what it remembers per key is kept in scratch files in `scratch_dir`
/// (the store's directory).
pub(crate) fn run(
    books: &Arrears,
    scratch_dir: &Path,
    horizon: &Horizon,
    args: &ImportArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    if args.batch_rows == 0 {
        return Err(crate::args::out_of_range("--batch-rows", 0, "a batch holds at least 1 row"));
    }
    let file = args.file.display().to_string();
    let columns = match args.kind {
        ImportKind::Debtors => DEBTORS,
        ImportKind::Accounts => ACCOUNTS,
        ImportKind::Obligations => OBLIGATIONS,
        ImportKind::Postings => POSTINGS,
        ImportKind::Changes => changes::CHANGES,
    };
    let mut planner = Planner {
        books,
        errors: Vec::new(),
        keys: Keys::create(scratch_dir)?,
        accounts: HashMap::new(),
    };
    // Pass 1: every row is read and checked, and dropped; only the keys that later rows refer
    // to are kept, for the execution to remember what their rows recorded.
    let mut errors = Errors::default();
    let mut links = Links::create(scratch_dir)?;
    input::read(&args.file, columns, &mut |row| {
        match row {
            Ok(row) => {
                if let Some(planned) = planner.plan(args.kind, &row, None)? {
                    if let Action::Posting { kind, .. } = &planned.action {
                        for key in kind.row_refs() {
                            links.refer(key)?;
                        }
                    }
                }
                for error in planner.errors.drain(..) {
                    errors.push(error);
                }
            }
            Err(error) => errors.push(error),
        }
        Ok(())
    })?;
    if errors.count > 0 {
        let (errors, more) = errors.into_first();
        return Err(FileErrors { file, errors, more, executing: false, committed: 0 }.into());
    }
    // Pass 2: the rows are read and planned again (the checks of pass 1 found nothing, and the
    // store is read through the same caches), each executed as soon as it is planned.
    planner.restart(scratch_dir)?;
    let batch_rows = if args.atomic { u64::MAX } else { args.batch_rows };
    let mut executor = Executor::new(books, horizon, args.kind, &file, batch_rows, links);
    input::read(&args.file, columns, &mut |row| {
        let planned = match row {
            Ok(row) => planner.plan(args.kind, &row, Some(&executor.links))?,
            Err(error) => return Err(executor.changed(&error)),
        };
        if let Some(error) = planner.errors.first() {
            return Err(executor.changed(error));
        }
        match planned {
            Some(planned) => executor.row(planned),
            None => Ok(()),
        }
    })?;
    let counts = executor.finish()?;
    if json {
        let value = serde_json::json!({
            "file": file,
            "kind": args.kind.name(),
            "rows": counts.created + counts.replayed,
            "created": counts.created,
            "replayed": counts.replayed,
        });
        output::json(out, &value)?;
    } else {
        writeln!(
            out,
            "imported {} {} from {file}: {} created, {} replayed",
            counts.created + counts.replayed,
            args.kind.name(),
            counts.created,
            counts.replayed
        )?;
    }
    Ok(Status::Ok)
}

/// A row ready to execute.
struct Planned {
    line: u64,
    key: String,
    /// The currency of the account concerned, for messages.
    currency: Option<Currency>,
    action: Action,
    /// Counts the planned rows alive, in tests.
    _live: Live,
}

impl Planned {
    fn new(line: u64, key: String, currency: Option<Currency>, action: Action) -> Planned {
        Planned { line, key, currency, action, _live: Live::new() }
    }
}

/// A token counted while it lives, in tests: no more than one batch of planned rows may be
/// alive at a time (the import streams the file).
struct Live;

impl Live {
    fn new() -> Live {
        #[cfg(test)]
        LIVE.with(|live| {
            let (now, max) = live.get();
            live.set((now + 1, max.max(now + 1)));
        });
        Live
    }
}

#[cfg(test)]
impl Drop for Live {
    fn drop(&mut self) {
        LIVE.with(|live| {
            let (now, max) = live.get();
            live.set((now - 1, max));
        });
    }
}

#[cfg(test)]
thread_local! {
    /// Planned rows alive now, and the most alive at once.
    static LIVE: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// The first [`input::ERRORS_MAX`] errors of a file by line (in the order found within a
/// line), and how many there are: a file with a million bad rows keeps fifty.
#[derive(Default)]
struct Errors {
    first: BinaryHeap<ErrorAt>,
    count: usize,
}

struct ErrorAt {
    line: u64,
    seq: usize,
    error: RowError,
}

impl PartialEq for ErrorAt {
    fn eq(&self, other: &Self) -> bool {
        (self.line, self.seq) == (other.line, other.seq)
    }
}

impl Eq for ErrorAt {}

impl PartialOrd for ErrorAt {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ErrorAt {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.line, self.seq).cmp(&(other.line, other.seq))
    }
}

impl Errors {
    fn push(&mut self, error: RowError) {
        let at = ErrorAt { line: error.line, seq: self.count, error };
        self.count += 1;
        self.first.push(at);
        if self.first.len() > input::ERRORS_MAX {
            self.first.pop();
        }
    }

    /// The first errors in order, and how many more there are.
    fn into_first(self) -> (Vec<RowError>, usize) {
        let more = self.count - self.first.len();
        let errors = self.first.into_sorted_vec().into_iter().map(|at| at.error).collect();
        (errors, more)
    }
}

enum Action {
    /// A command fully known before execution.
    Ready(Command),
    /// A posting whose references to earlier rows are resolved during execution.
    Posting { account: AccountId, kind: PostingKind, posting: PostingType },
}

/// A reference known from the store, or to be taken from the outcome of an earlier row.
#[derive(Debug, Clone)]
enum Ref<T> {
    Known(T),
    Row(String),
}

fn names<const N: usize>(names: [&str; N]) -> String {
    names.join(", ")
}

struct Planner<'a> {
    books: &'a Arrears,
    errors: Vec<RowError>,
    /// The external ids (or keys) seen so far with their line; postings: the rows read so far
    /// by key, for references to them, and the payments reversed.
    keys: Keys,
    /// Accounts looked up by external id, at most [`ACCOUNTS_CACHED_MAX`].
    accounts: HashMap<String, Option<Account>>,
}

impl Planner<'_> {
    /// Checks and plans one row; its errors are added to `errors`. `referred` is `None` in the
    /// first pass, and in the second the keys that later rows of the file refer to.
    fn plan(
        &mut self,
        kind: ImportKind,
        row: &Row,
        referred: Option<&Links>,
    ) -> Result<Option<Planned>> {
        match kind {
            ImportKind::Debtors => self.plan_debtor(row),
            ImportKind::Accounts => self.plan_account(row),
            ImportKind::Obligations => self.plan_obligation(row),
            ImportKind::Postings => self.plan_posting(row, referred),
            ImportKind::Changes => self.plan_change(row),
        }
    }

    /// Forgets the rows read, for a second pass over the same file. The second pass reads
    /// the store again: if it changed in a way the file's rows depend on, the row that reads
    /// differently stops the import (see [`Executor::changed`]).
    fn restart(&mut self, scratch_dir: &Path) -> Result<()> {
        self.errors.clear();
        self.keys = Keys::create(scratch_dir)?;
        Ok(())
    }

    fn finish(&mut self, fields: Fields<'_>) -> bool {
        let ok = !fields.has_errors();
        self.errors.extend(fields.into_errors());
        ok
    }

    /// Checks an external id (or key) and that it is the first of its value in the file; returns
    /// the idempotency key `prefix` + id.
    fn unique_id(
        &mut self,
        fields: &mut Fields<'_>,
        column: &'static str,
        id: &str,
        prefix: &str,
    ) -> Result<String> {
        let key = format!("{prefix}{id}");
        if id.len() > TEXT_LEN_MAX {
            fields.error(
                Some(column),
                format!("is {} bytes long, at most {TEXT_LEN_MAX} allowed", id.len()),
            );
        } else if key.len() > KEY_LEN_MAX {
            fields.error(
                Some(column),
                format!(
                    "is {} bytes long; the key {prefix}... may be at most {KEY_LEN_MAX} bytes",
                    id.len()
                ),
            );
        }
        if let Some(first) = self.keys.first_line(id, fields.line())? {
            fields.error(
                Some(column),
                format!("{id:?} appears twice in the file (first on line {first})"),
            );
        }
        Ok(key)
    }

    /// The account with an external id, from the store.
    fn account_by_ref(&mut self, reference: &str) -> Result<Option<Account>> {
        if let Some(account) = self.accounts.get(reference) {
            return Ok(account.clone());
        }
        let account = match self.books.find_account(reference)? {
            Some(id) => self.books.account(id)?,
            None => None,
        };
        if self.accounts.len() == ACCOUNTS_CACHED_MAX {
            self.accounts.clear();
        }
        self.accounts.insert(reference.to_owned(), account.clone());
        Ok(account)
    }

    /// The account column: an external id of an account in the store.
    fn account_column(&mut self, fields: &mut Fields<'_>) -> Result<Option<Account>> {
        let Some(reference) = fields.text("account") else { return Ok(None) };
        let account = self.account_by_ref(reference)?;
        if account.is_none() {
            fields.error(Some("account"), format!("no account with external id {reference:?} in the store (import accounts first)"));
        }
        Ok(account)
    }

    /// The posting command recorded in the store under `key` on `account`: its name and the
    /// obligation it created, if any.
    fn stored_posting(
        &self,
        account: AccountId,
        key: &str,
    ) -> Result<Option<(&'static str, Option<ObligationId>)>> {
        Ok(match self.books.recorded(key)? {
            Some(recorded) => match &recorded.outcome {
                Outcome::Posted(posted) if posted.account == account => {
                    Some((recorded.command.name(), posted.obligation))
                }
                _ => None,
            },
            None => None,
        })
    }

    /// The event of the payment recorded in the store under `key`, if that is a payment.
    fn stored_payment(&self, key: &str) -> Result<Option<EventSeq>> {
        Ok(match self.books.recorded(key)? {
            Some(recorded) => match (&recorded.command, &recorded.outcome) {
                (Command::Payment { .. }, Outcome::Posted(posted)) => Some(posted.event),
                _ => None,
            },
            None => None,
        })
    }

    fn plan_debtor(&mut self, row: &Row) -> Result<Option<Planned>> {
        let mut fields = Fields::new(row);
        let external_id = fields.text("external_id");
        let key = external_id
            .map(|id| self.unique_id(&mut fields, "external_id", id, "debtor:"))
            .transpose()?;
        let kind = fields.parse("kind", |text| match text {
            "person" => Ok(DebtorKind::Person),
            "business" => Ok(DebtorKind::Business),
            _ => Err(format!("{text:?} is not person or business")),
        });
        let name = fields.parse("name", |text| short_text(text).map(str::to_owned));
        // The engine checks both again; checked here too, so that every bad row is reported.
        let country = fields.parse("country", |text| {
            let code = text.to_ascii_uppercase();
            match locale::check_country(&code) {
                Ok(()) => Ok(code),
                Err(_) => {
                    Err(format!("{text:?} is not an ISO 3166-1 alpha-2 country code such as US"))
                }
            }
        });
        let region = fields.optional("region", |text| short_text(text).map(str::to_owned));
        let time_zones = fields.parse("time_zones", |text| {
            let zones: Vec<String> = text.split('|').map(|zone| zone.trim().to_owned()).collect();
            if zones.iter().any(String::is_empty) {
                return Err(format!("{text:?} has an empty time zone; separate IANA names with |"));
            }
            if zones.len() > TIME_ZONES_MAX {
                return Err(format!(
                    "{} time zones, at most {TIME_ZONES_MAX} allowed",
                    zones.len()
                ));
            }
            Ok(zones)
        });
        let language = fields.parse("language", |text| {
            let tag = short_text(text)?;
            locale::check_language(tag).map_err(|error| error.to_string())?;
            Ok(tag.to_owned())
        });
        let mut contact_points = Vec::new();
        for (column, consent_column, channel) in [
            ("email", "email_consent", ContactChannel::Email),
            ("phone", "phone_consent", ContactChannel::Phone),
            ("mobile", "sms_consent", ContactChannel::Sms),
        ] {
            let consent = fields.optional(consent_column, input::boolean).unwrap_or(false);
            let address = fields.optional(column, |text| {
                if column == "email" && !text.contains('@') {
                    return Err(format!("{text:?} is not an e-mail address"));
                }
                short_text(text).map(str::to_owned)
            });
            match address {
                Some(address) => contact_points.push(ContactPoint {
                    channel,
                    address,
                    kind: ContactPointKind::Personal,
                    consent,
                    opted_out: false,
                }),
                None if consent && !fields.is_set(column) => {
                    fields.error(Some(consent_column), format!("is true but {column} is empty"));
                }
                None => {}
            }
        }
        let line = row.line;
        if !self.finish(fields) {
            return Ok(None);
        }
        let (
            Some(external_id),
            Some(key),
            Some(kind),
            Some(name),
            Some(country),
            Some(time_zones),
            Some(language),
        ) = (external_id, key, kind, name, country, time_zones, language)
        else {
            return Ok(None);
        };
        let command = Command::CreateDebtor(NewDebtor {
            external_ref: Some(external_id.to_owned()),
            kind,
            name,
            jurisdiction: Jurisdiction { country, region },
            time_zones,
            language,
            contact_points,
            flags: DebtorFlags::default(),
        });
        Ok(Some(Planned::new(line, key, None, Action::Ready(command))))
    }

    fn plan_account(&mut self, row: &Row) -> Result<Option<Planned>> {
        let mut fields = Fields::new(row);
        let external_id = fields.text("external_id");
        let key = external_id
            .map(|id| self.unique_id(&mut fields, "external_id", id, "account:"))
            .transpose()?;
        let debtor = match fields.text("debtor") {
            Some(reference) => {
                let found = self.books.find_debtor(reference)?;
                if found.is_none() {
                    fields.error(Some("debtor"), format!("no debtor with external id {reference:?} in the store (import debtors first)"));
                }
                found
            }
            None => None,
        };
        let product = fields.parse("product", |text| {
            let all = [
                ProductKind::Revolving,
                ProductKind::Installment,
                ProductKind::TradeCredit,
                ProductKind::Bnpl,
                ProductKind::Utility,
            ];
            all.into_iter().find(|product| product.name() == text).ok_or_else(|| {
                format!("{text:?} is not one of {}", names(all.map(ProductKind::name)))
            })
        });
        let currency = fields.parse("currency", input::currency);
        let opened_on = fields.parse("opened_on", input::date);
        let mut credit_limit = None;
        let mut late_fee = Some(LateFeeRule::None);
        if let Some(currency) = currency {
            credit_limit = fields
                .maybe("credit_limit", |text| input::amount(text, currency, Sign::NonNegative))
                .ok();
            late_fee = fields
                .maybe("late_fee", |text| late_fee_rule(text, currency))
                .ok()
                .map(|rule| rule.unwrap_or(LateFeeRule::None));
        }
        let grace_days = fields
            .optional("grace_days", |text| {
                text.parse::<u16>()
                    .map_err(|_| format!("{text:?} is not a number of days (0 to 65535)"))
            })
            .unwrap_or(0);
        let annual_rate = fields.optional("annual_rate", |text| {
            let rate = input::decimal(text)?;
            if rate.is_sign_negative() || rate > Decimal::from(10) {
                return Err(format!("{text} is outside 0 to 10 (write 24.99% as 0.2499)"));
            }
            Ok(rate)
        });
        let day_count = fields.optional("day_count", |text| match text {
            "actual_365" => Ok(DayCount::Actual365),
            "actual_360" => Ok(DayCount::Actual360),
            "thirty_360" => Ok(DayCount::Thirty360),
            _ => Err(format!("{text:?} is not one of actual_365, actual_360, thirty_360")),
        });
        let base = fields.optional("interest_base", |text| match text {
            "outstanding_principal" => Ok(InterestBase::OutstandingPrincipal),
            "past_due_principal" => Ok(InterestBase::PastDuePrincipal),
            _ => Err(format!("{text:?} is not one of outstanding_principal, past_due_principal")),
        });
        if annual_rate.is_none() && !fields.is_set("annual_rate") {
            for column in ["day_count", "interest_base"] {
                if fields.is_set(column) {
                    fields.error(Some(column), "is set but annual_rate is empty (no interest)");
                }
            }
        }
        let waterfall = fields
            .optional("waterfall", |text| {
                let all = [Waterfall::FeesInterestPrincipal, Waterfall::PrincipalFirst];
                all.into_iter().find(|waterfall| waterfall.name() == text).ok_or_else(|| {
                    format!("{text:?} is not one of {}", names(all.map(Waterfall::name)))
                })
            })
            .unwrap_or(Waterfall::FeesInterestPrincipal);
        let line = row.line;
        if !self.finish(fields) {
            return Ok(None);
        }
        let (
            Some(external_id),
            Some(key),
            Some(debtor),
            Some(product),
            Some(currency),
            Some(opened_on),
            Some(credit_limit),
            Some(late_fee),
        ) = (external_id, key, debtor, product, currency, opened_on, credit_limit, late_fee)
        else {
            return Ok(None);
        };
        let interest = annual_rate.map(|annual_rate| InterestTerms {
            annual_rate,
            day_count: day_count.unwrap_or(DayCount::Actual365),
            base: base.unwrap_or(InterestBase::OutstandingPrincipal),
            rounding: RoundingRule::default(),
        });
        let planned_currency = Some(currency);
        let command = Command::OpenAccount(NewAccount {
            external_ref: Some(external_id.to_owned()),
            debtor,
            product,
            credit_limit,
            currency,
            opened_on,
            terms: Terms { grace_days, late_fee, interest, waterfall },
        });
        Ok(Some(Planned::new(line, key, planned_currency, Action::Ready(command))))
    }

    fn plan_obligation(&mut self, row: &Row) -> Result<Option<Planned>> {
        let mut fields = Fields::new(row);
        let external_id = fields.text("external_id");
        let key = external_id
            .map(|id| self.unique_id(&mut fields, "external_id", id, "obligation:"))
            .transpose()?;
        let account = self.account_column(&mut fields)?;
        let kind = fields.parse("kind", |text| match text {
            "invoice" => Ok(ObligationKind::Invoice),
            "installment" => Ok(ObligationKind::Installment),
            "statement" => Ok(ObligationKind::Statement),
            _ => Err(format!("{text:?} is not one of invoice, installment, statement")),
        });
        let issued_on = fields.parse("issued_on", input::date);
        let due_on = fields.parse("due_on", input::date);
        if let (Some(issued_on), Some(due_on)) = (issued_on, due_on) {
            if due_on < issued_on {
                fields.error(Some("due_on"), format!("{due_on} is before issued_on {issued_on}"));
            }
        }
        let mut amounts = None;
        if let Some(account) = &account {
            if let Some(issued_on) = issued_on {
                if issued_on < account.opened_on {
                    fields.error(
                        Some("issued_on"),
                        format!(
                            "{issued_on} is before the account opened on {}",
                            account.opened_on
                        ),
                    );
                }
            }
            let currency = account.currency;
            let principal =
                fields.parse("principal", |text| input::amount(text, currency, Sign::NonNegative));
            let interest =
                fields.maybe("interest", |text| input::amount(text, currency, Sign::NonNegative));
            let fee = fields.maybe("fee", |text| input::amount(text, currency, Sign::NonNegative));
            if let (Some(principal), Ok(interest), Ok(fee)) = (principal, interest, fee) {
                let zero = arrears::money::Money::zero(currency);
                let (interest, fee) = (interest.unwrap_or(zero), fee.unwrap_or(zero));
                let total: Decimal = principal.amount() + interest.amount() + fee.amount();
                if total.is_zero() {
                    fields.error(Some("principal"), "principal, interest and fee are all zero");
                }
                amounts = Some((principal, interest, fee));
            }
        }
        let line = row.line;
        if !self.finish(fields) {
            return Ok(None);
        }
        let (
            Some(external_id),
            Some(key),
            Some(account),
            Some(kind),
            Some(issued_on),
            Some(due_on),
            Some((principal, interest, fee)),
        ) = (external_id, key, account, kind, issued_on, due_on, amounts)
        else {
            return Ok(None);
        };
        let planned_currency = Some(account.currency);
        let command = Command::Charge(NewCharge {
            account: account.id,
            external_ref: Some(external_id.to_owned()),
            kind,
            issued_on,
            due_on,
            principal,
            interest,
            fee,
        });
        Ok(Some(Planned::new(line, key, planned_currency, Action::Ready(command))))
    }
}

/// A late-fee rule: empty or `none`, `flat:25.00`, or
/// `percent:0.05[:min=5.00][:max=40.00][:rounding=half_even]`.
fn late_fee_rule(text: &str, currency: Currency) -> Result<LateFeeRule, String> {
    let usage = "expected none, flat:AMOUNT or percent:RATE[:min=AMOUNT][:max=AMOUNT][:rounding=half_even|half_up|toward_zero]";
    let mut parts = text.split(':').map(str::trim);
    let kind = parts.next().unwrap_or_default();
    match kind {
        "none" => {
            if parts.next().is_some() {
                return Err(format!("{text:?}: {usage}"));
            }
            Ok(LateFeeRule::None)
        }
        "flat" => {
            let amount = parts.next().ok_or_else(|| format!("{text:?}: {usage}"))?;
            if parts.next().is_some() {
                return Err(format!("{text:?}: {usage}"));
            }
            let money = input::amount(amount, currency, Sign::NonNegative)?;
            let amount_minor = money.to_minor().map_err(|error| error.to_string())?;
            Ok(LateFeeRule::Flat { amount_minor })
        }
        "percent" => {
            let rate = input::decimal(parts.next().ok_or_else(|| format!("{text:?}: {usage}"))?)?;
            if rate.is_sign_negative() || rate > Decimal::ONE {
                return Err(format!("rate {rate} is outside 0 to 1 (write 5% as 0.05)"));
            }
            let mut min_minor = 0;
            let mut max_minor = AMOUNT_MINOR_MAX;
            let mut rounding = RoundingRule::default();
            let mut given = BTreeMap::new();
            for part in parts {
                let Some((name, value)) = part.split_once('=') else {
                    return Err(format!("{part:?}: {usage}"));
                };
                if given.insert(name, value).is_some() {
                    return Err(format!("{name} is given twice"));
                }
                let bound = || -> Result<i64, String> {
                    let money = input::amount(value, currency, Sign::NonNegative)
                        .map_err(|reason| format!("{name}: {reason}"))?;
                    money.to_minor().map_err(|error| error.to_string())
                };
                match name {
                    "min" => min_minor = bound()?,
                    "max" => max_minor = bound()?,
                    "rounding" => rounding = value.parse()?,
                    _ => return Err(format!("{part:?}: {usage}")),
                }
            }
            if max_minor < min_minor {
                return Err(format!("max is below min in {text:?}"));
            }
            Ok(LateFeeRule::Percent { rate, min_minor, max_minor, rounding })
        }
        _ => Err(format!("{text:?}: {usage}")),
    }
}

/// Free text no longer than the engine accepts.
fn short_text(text: &str) -> Result<&str, String> {
    if text.len() > TEXT_LEN_MAX {
        Err(format!("is {} bytes long, at most {TEXT_LEN_MAX} allowed", text.len()))
    } else {
        Ok(text)
    }
}

struct Counts {
    created: usize,
    replayed: usize,
}

/// Executes planned rows in batches of `batch_rows` rows, in order, as they come. A batch
/// commits only if every row of it succeeded (and something is new); the first failure drops
/// its batch and stops the import, the batches before it staying committed. A file of at most
/// `batch_rows` rows is one batch: all or nothing.
struct Executor<'a> {
    books: &'a Arrears,
    horizon: &'a Horizon,
    kind: ImportKind,
    file: &'a str,
    batch_rows: u64,
    /// The open batch, if any.
    batch: Option<arrears::Batch<'a>>,
    counts: Counts,
    /// The keys later rows refer to, and what their rows recorded.
    links: Links,
    /// Rows committed in earlier batches, rows of the open batch, and whether it holds a new one.
    committed: u64,
    batch_len: u64,
    batch_created: bool,
}

impl<'a> Executor<'a> {
    fn new(
        books: &'a Arrears,
        horizon: &'a Horizon,
        kind: ImportKind,
        file: &'a str,
        batch_rows: u64,
        links: Links,
    ) -> Executor<'a> {
        Executor {
            books,
            horizon,
            kind,
            file,
            batch_rows,
            batch: None,
            counts: Counts { created: 0, replayed: 0 },
            links,
            committed: 0,
            batch_len: 0,
            batch_created: false,
        }
    }

    fn fail(&self, error: RowError) -> anyhow::Error {
        let file = self.file.to_owned();
        FileErrors {
            file,
            errors: vec![error],
            more: 0,
            executing: true,
            committed: self.committed,
        }
        .into()
    }

    /// The file read differently the second time: it changed during the import.
    fn changed(&self, error: &RowError) -> anyhow::Error {
        anyhow::anyhow!(
            "{}:{}: the file changed during the import ({}); {}",
            self.file,
            error.line,
            error.reason,
            commit_context(self.file, self.committed)
        )
    }

    fn row(&mut self, item: Planned) -> Result<()> {
        if self.batch_len == self.batch_rows {
            // The batch ends before the next begins: a store has one write transaction at a time.
            if let Some(batch) = self.batch.take() {
                if self.batch_created {
                    batch.commit().with_context(|| commit_context(self.file, self.committed))?;
                }
            }
            self.committed += self.batch_len;
            self.batch_len = 0;
            self.batch_created = false;
        }
        self.batch_len += 1;
        let (command, posting) = match item.action {
            Action::Ready(command) => (command, None),
            Action::Posting { account, kind, posting } => (
                posting_command(account, kind, &self.links)?
                    .map_err(|reason| self.fail(RowError::new(item.line, None, reason)))?,
                Some(posting),
            ),
        };
        // A value date beyond the horizon: the row's date column names it.
        let date_column = |field: &str| match self.kind {
            ImportKind::Accounts => "opened_on",
            ImportKind::Obligations => "issued_on",
            ImportKind::Debtors | ImportKind::Postings => "effective_on",
            ImportKind::Changes => match field {
                "call_consent" => "call_consent_at",
                "attorney.since" | "on" | "report.observed_on" => "on",
                "note.at" => "at",
                _ => "at",
            },
        };
        if let Some((field, reason)) =
            self.horizon.command_refusal(&command, |field| date_column(field).to_owned())
        {
            let date_column = date_column(field);
            return Err(self.fail(RowError::new(item.line, Some(date_column), reason)));
        }
        let mut batch = match self.batch.take() {
            Some(batch) => batch,
            None => self.books.batch()?,
        };
        let executed = batch.execute(&item.key, &command);
        self.batch = Some(batch);
        let receipt = match executed {
            Ok(receipt) => receipt,
            Err(error) => {
                let column = error_column(self.kind, &error);
                return Err(self.fail(RowError::new(
                    item.line,
                    column,
                    format!("{:#}", anyhow::Error::from(error)),
                )));
            }
        };
        match receipt.outcome {
            Outcome::Rejected(rejection) => {
                let column = rejection_column(self.kind, posting, &rejection);
                let reason = format!("rejected: {}", output::rejection(&rejection, item.currency));
                return Err(self.fail(RowError::new(item.line, column, reason)));
            }
            Outcome::Posted(posted) if self.links.is_referred(&item.key)? => {
                let posted = PostedRef { event: posted.event, obligation: posted.obligation };
                self.links.keep_posted(&item.key, posted)?;
            }
            _ => {}
        }
        if receipt.replayed {
            self.counts.replayed += 1;
        } else {
            self.counts.created += 1;
            self.batch_created = true;
        }
        Ok(())
    }

    fn finish(self) -> Result<Counts> {
        if let Some(batch) = self.batch {
            if self.batch_created {
                batch.commit().with_context(|| commit_context(self.file, self.committed))?;
            }
        }
        Ok(self.counts)
    }
}

/// What a failed commit of a batch left behind.
fn commit_context(file: &str, committed: u64) -> String {
    if committed == 0 {
        format!("{file}: nothing was imported")
    } else {
        format!(
            "{file}: the {committed} rows before this batch were imported; import the same file \
             again to resume"
        )
    }
}

/// The file column an engine error is about, if known.
fn error_column(kind: ImportKind, error: &CommandError) -> Option<&'static str> {
    let id_column = match kind {
        ImportKind::Postings | ImportKind::Changes => "key",
        _ => "external_id",
    };
    match error {
        CommandError::UnknownAccount(_) => Some("account"),
        CommandError::UnknownDebtor(_) => Some("debtor"),
        CommandError::IdempotencyConflict { .. } => Some(id_column),
        CommandError::Money { field, .. } | CommandError::Invalid { field, .. } => match *field {
            "key" | "external_ref" => Some(id_column),
            "terms.late_fee" => Some("late_fee"),
            "terms.interest.annual_rate" => Some("annual_rate"),
            "point.address" | "address" => Some("address"),
            "evidence.source" => Some("consent_source"),
            "evidence.at" => Some("consent_at"),
            "note.text" => Some("text"),
            "note.author" => Some("author"),
            "note.at" => Some("at"),
            "accounts" => Some("account"),
            "attorney.name" => Some("name"),
            "attorney.firm" => Some("firm"),
            "attorney.phone" => Some("phone"),
            "attorney.email" => Some("email"),
            "attorney.postal_address" => Some("postal_address"),
            "report.signal" => Some("signal"),
            "report.source" => Some("source"),
            "report.evidence" => Some("evidence"),
            "report.expires_on" => Some("expires_on"),
            "debtor" => Some("debtor"),
            "attorney" => None,
            field => [
                "name",
                "language",
                "country",
                "time_zones",
                "credit_limit",
                "principal",
                "interest",
                "fee",
                "amount",
            ]
            .into_iter()
            .find(|column| *column == field),
        },
        _ => None,
    }
}

/// The file column a rejection is about, if known.
fn rejection_column(
    kind: ImportKind,
    posting: Option<PostingType>,
    rejection: &Rejection,
) -> Option<&'static str> {
    use arrears::ledger::Rejection as Ledger;
    let date = if kind == ImportKind::Obligations { "issued_on" } else { "effective_on" };
    let amount = if kind == ImportKind::Obligations { "principal" } else { "amount" };
    let obligation =
        if posting == Some(PostingType::Payment) { "directed_to" } else { "obligation" };
    match rejection {
        Rejection::ExternalRefTaken { .. } => Some("external_id"),
        Rejection::Ledger(ledger) => match ledger {
            Ledger::EffectiveBeforeOpened { .. }
            | Ledger::ChargeOffBackdated { .. }
            | Ledger::AccrualNotAfterLast { .. }
            | Ledger::ReversalBeforePayment { .. } => Some(date),
            Ledger::AmountNotPositive { field, .. } | Ledger::AmountTooLarge { field, .. } => {
                if kind == ImportKind::Obligations {
                    ["principal", "interest", "fee"]
                        .into_iter()
                        .find(|column| column == field)
                        .or(Some("principal"))
                } else {
                    Some("amount")
                }
            }
            Ledger::CreditLimitExceeded { .. } | Ledger::ExceedsOutstanding { .. } => Some(amount),
            Ledger::DueBeforeIssue { .. } => Some("due_on"),
            Ledger::UnknownObligation { .. }
            | Ledger::ObligationNotYetIssued { .. }
            | Ledger::DisputeUnchanged { .. } => Some(obligation),
            Ledger::UnknownPayment { .. } | Ledger::AlreadyReversed { .. } => Some("reverses"),
            Ledger::ChargedOff { .. } | Ledger::NoInterestTerms => {
                if kind == ImportKind::Postings {
                    Some("type")
                } else {
                    Some("account")
                }
            }
            Ledger::TooManyEvents => Some("account"),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests;
