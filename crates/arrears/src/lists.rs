//! Lists: accounts filtered by their collection facts, debtors found by name, reference or
//! address, and everything about one debtor.
//!
//! Lists are iterators over one read transaction (a consistent snapshot), in ascending id
//! order, that read the store a page of [`PAGE_LEN`] records at a time: a list of a million
//! accounts holds one page in memory, not the portfolio. The cheap filters (currency, state,
//! stage, arm, agency, promise, plan) are applied to the stored account and case before the
//! account's ledger state is read for the rest (days past due, bucket, balance, signals).
//! Paging is by cursor: a caller that stopped after account `A` resumes with
//! [`AccountFilter::after`] set to `A`.

use std::collections::VecDeque;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use arrears_core::aging::{age, Bucket};
use arrears_core::case::{Action, ActionStatus, CollectionCase, ContactAttempt};
use arrears_core::collection::CollectionState;
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::{Account, ContactPoint, Debtor};
use arrears_core::money::{Currency, Money};
use arrears_core::policy::Signal;
use arrears_store::{ReadTxn, Reads};

use crate::error::QueryError;

/// Records read from the store at a time by a list.
pub const PAGE_LEN: usize = 512;

/// A scan of a table by ascending id, a page of [`PAGE_LEN`] records at a time.
struct Pages<T, Id> {
    cursor: Option<Id>,
    page: VecDeque<T>,
    done: bool,
}

impl<T, Id: Copy> Pages<T, Id> {
    fn after(cursor: Option<Id>) -> Pages<T, Id> {
        Pages { cursor, page: VecDeque::new(), done: false }
    }

    /// The next record, reading the next page with `fetch` when the current one is used up;
    /// after an error, nothing more.
    fn next(
        &mut self,
        fetch: impl FnOnce(Option<Id>) -> Result<Vec<T>, arrears_store::StorageError>,
        id: impl Fn(&T) -> Id,
    ) -> Option<Result<T, QueryError>> {
        if self.page.is_empty() {
            if self.done {
                return None;
            }
            match fetch(self.cursor) {
                Ok(page) => {
                    self.done = page.len() < PAGE_LEN;
                    self.page = page.into();
                }
                Err(error) => {
                    self.stop();
                    return Some(Err(error.into()));
                }
            }
        }
        let record = self.page.pop_front()?;
        self.cursor = Some(id(&record));
        Some(Ok(record))
    }

    /// Ends the scan (after an error).
    fn stop(&mut self) {
        self.done = true;
        self.page.clear();
    }
}

/// Which accounts [`crate::Arrears::list_accounts`] yields. Every field set must hold (an
/// empty list or `None` holds for every account); the accounts are in ascending id order.
///
/// ```
/// use arrears::lists::AccountFilter;
/// let mut filter = AccountFilter::default();
/// filter.states = vec!["delinquent".to_owned(), "promised".to_owned()];
/// filter.days_past_due_min = Some(30);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountFilter {
    /// State names ([`CollectionState::name`]: `current`, `delinquent`, `placed`, ...), any of.
    pub states: Vec<String>,
    /// Policy stage names, any of.
    pub stages: Vec<String>,
    /// Aging buckets of the account's days past due, any of.
    pub buckets: Vec<Bucket>,
    /// Least days past due.
    pub days_past_due_min: Option<i64>,
    /// Most days past due.
    pub days_past_due_max: Option<i64>,
    /// Least total outstanding, in the account's currency (major units: `100.50`).
    pub balance_min: Option<Decimal>,
    /// Most total outstanding, in the account's currency.
    pub balance_max: Option<Decimal>,
    /// The account's currency.
    pub currency: Option<Currency>,
    /// The champion/challenger arm.
    pub arm: Option<String>,
    /// The agency the account is placed with.
    pub agency: Option<String>,
    /// With (`true`) or without (`false`) an open promise to pay.
    pub open_promise: Option<bool>,
    /// With (`true`) or without (`false`) a promise broken, ever.
    pub broken_promise: Option<bool>,
    /// With (`true`) or without (`false`) an active payment plan.
    pub plan: Option<bool>,
    /// With this signal present on the list's date.
    pub signal: Option<Signal>,
    /// Only accounts with ids above this one: the cursor of the next page.
    pub after: Option<AccountId>,
}

/// One account of a list, as of the list's date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccountRow {
    /// The account.
    pub account: AccountId,
    /// Its external reference.
    pub external_ref: Option<String>,
    /// Its debtor.
    pub debtor: DebtorId,
    /// Its currency.
    pub currency: Currency,
    /// The collection state's name.
    pub state: &'static str,
    /// The policy stage, if any.
    pub stage: Option<String>,
    /// The champion/challenger arm.
    pub arm: String,
    /// The agency it is placed with, if placed.
    pub agency: Option<String>,
    /// Days past due of the oldest undisputed unpaid obligation.
    pub days_past_due: i64,
    /// The bucket of `days_past_due`.
    pub bucket: Bucket,
    /// Total outstanding, minor units.
    pub outstanding_minor: i64,
    /// Past due, minor units.
    pub past_due_minor: i64,
    /// Whether a promise to pay is open.
    pub open_promise: bool,
    /// Whether a payment plan is active.
    pub plan: bool,
    /// Promises broken, ever.
    pub broken_promises: u32,
    /// The signals present on the list's date.
    pub signals: Vec<Signal>,
}

impl AccountRow {
    /// Total outstanding in the account's currency.
    pub fn outstanding(&self) -> Money {
        Money::from_minor(self.outstanding_minor, self.currency)
    }

    /// Past due in the account's currency.
    pub fn past_due(&self) -> Money {
        Money::from_minor(self.past_due_minor, self.currency)
    }
}

/// The accounts of a filter, as an iterator (see [`crate::Arrears::list_accounts`]).
pub struct AccountList {
    read: ReadTxn,
    filter: AccountFilter,
    as_of: NaiveDate,
    pages: Pages<Account, AccountId>,
}

impl std::fmt::Debug for AccountList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountList")
            .field("filter", &self.filter)
            .field("as_of", &self.as_of)
            .field("cursor", &self.pages.cursor)
            .finish_non_exhaustive()
    }
}

impl AccountList {
    pub(crate) fn new(read: ReadTxn, filter: AccountFilter, as_of: NaiveDate) -> AccountList {
        let pages = Pages::after(filter.after);
        AccountList { read, filter, as_of, pages }
    }

    /// The row of `account` and its case, if it passes the filter.
    fn row(&self, account: Account) -> Result<Option<(AccountRow, CollectionCase)>, QueryError> {
        let filter = &self.filter;
        if account.opened_on > self.as_of
            || filter.currency.is_some_and(|currency| currency != account.currency)
        {
            return Ok(None);
        }
        let Some(case) = self.read.case(account.id)? else { return Ok(None) };
        if !case_passes(filter, &case) {
            return Ok(None);
        }
        let state = crate::query::state_as_of(&self.read, &account, self.as_of)?;
        let aging = age(&state, self.as_of);
        let outstanding_minor = state.total_outstanding_minor();
        let outstanding = Money::from_minor(outstanding_minor, account.currency).amount();
        if !filter.buckets.is_empty() && !filter.buckets.contains(&aging.bucket)
            || filter.days_past_due_min.is_some_and(|min| aging.days_past_due < min)
            || filter.days_past_due_max.is_some_and(|max| aging.days_past_due > max)
            || filter.balance_min.is_some_and(|min| outstanding < min)
            || filter.balance_max.is_some_and(|max| outstanding > max)
        {
            return Ok(None);
        }
        let contacts = self.read.contacts(account.debtor)?;
        let features = crate::cycle::features(&contacts, &account, &case, &state, self.as_of);
        let extension = crate::queue::extension_requested(&self.read, account.id, self.as_of)?;
        let Some(debtor) = self.read.debtor(account.debtor)? else { return Ok(None) };
        let signals = crate::cycle::signals(&case, &debtor, &features, self.as_of, extension);
        if filter.signal.is_some_and(|signal| !signals.contains(&signal)) {
            return Ok(None);
        }
        let row = AccountRow {
            account: account.id,
            external_ref: account.external_ref.clone(),
            debtor: account.debtor,
            currency: account.currency,
            state: case.state.name(),
            stage: case.stage.clone(),
            arm: case.arm.clone(),
            agency: case.placement.as_ref().map(|placement| placement.agency.clone()),
            days_past_due: aging.days_past_due,
            bucket: aging.bucket,
            outstanding_minor,
            past_due_minor: state.past_due_minor(self.as_of),
            open_promise: case.promise.is_some(),
            plan: case.plan.is_some(),
            broken_promises: case.broken_promises,
            signals,
        };
        Ok(Some((row, case)))
    }
}

/// The filters that need only the stored case.
fn case_passes(filter: &AccountFilter, case: &CollectionCase) -> bool {
    let state = case.state.name();
    (filter.states.is_empty() || filter.states.iter().any(|name| name == state))
        && (filter.stages.is_empty()
            || case.stage.as_ref().is_some_and(|stage| filter.stages.contains(stage)))
        && filter.arm.as_ref().is_none_or(|arm| *arm == case.arm)
        && filter.agency.as_ref().is_none_or(|agency| {
            case.placement.as_ref().is_some_and(|placement| placement.agency == *agency)
        })
        && filter.open_promise.is_none_or(|open| open == case.promise.is_some())
        && filter.broken_promise.is_none_or(|broken| broken == (case.broken_promises > 0))
        && filter.plan.is_none_or(|plan| plan == case.plan.is_some())
}

impl Iterator for AccountList {
    type Item = Result<AccountRow, QueryError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let read = &self.read;
            let account = match self
                .pages
                .next(|after| read.accounts_after(after, PAGE_LEN), |account| account.id)?
            {
                Ok(account) => account,
                Err(error) => return Some(Err(error)),
            };
            match self.row(account) {
                Ok(Some((row, _))) => return Some(Ok(row)),
                Ok(None) => continue,
                Err(error) => {
                    self.pages.stop();
                    return Some(Err(error));
                }
            }
        }
    }
}

/// Which debtors [`crate::Arrears::list_debtors`] yields: every field set must match.
///
/// ```
/// use arrears::lists::DebtorFilter;
/// let mut filter = DebtorFilter::default();
/// filter.name = Some("gonzalez".to_owned());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DebtorFilter {
    /// A part of the name, in any case: both are lowercased (Unicode) before comparing, and
    /// accents count (`gonzalez` does not find a name written with an accented a).
    pub name: Option<String>,
    /// The external reference, exactly.
    pub external_ref: Option<String>,
    /// A phone number: its digits are compared with those of the debtor's phone and mobile
    /// numbers (`+1 (512) 555-0143` finds `+1-512-555-0143`), a suffix of at least 7 digits
    /// matching (a number written without its country code).
    pub phone: Option<String>,
    /// An e-mail address, in any case.
    pub email: Option<String>,
    /// Only debtors with ids above this one: the cursor of the next page.
    pub after: Option<DebtorId>,
}

/// One debtor of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DebtorRow {
    /// The debtor.
    pub debtor: DebtorId,
    /// The external reference.
    pub external_ref: Option<String>,
    /// The name.
    pub name: String,
    /// The country (ISO 3166-1 alpha-2).
    pub country: String,
    /// The language (BCP 47).
    pub language: String,
    /// The debtor's accounts, ascending.
    pub accounts: Vec<AccountId>,
}

/// The debtors of a filter, as an iterator (see [`crate::Arrears::list_debtors`]).
pub struct DebtorList {
    read: ReadTxn,
    filter: DebtorFilter,
    name: Option<String>,
    phone: Option<String>,
    pages: Pages<Debtor, DebtorId>,
}

impl std::fmt::Debug for DebtorList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebtorList")
            .field("filter", &self.filter)
            .field("cursor", &self.pages.cursor)
            .finish_non_exhaustive()
    }
}

/// The digits of a phone number.
fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Digits of a searched number that must match the end of a stored one at least.
const PHONE_SUFFIX_MIN: usize = 7;

fn phone_matches(wanted: &str, stored: &str) -> bool {
    let stored = digits(stored);
    if wanted.is_empty() || stored.is_empty() {
        return false;
    }
    wanted == stored
        || wanted.len() >= PHONE_SUFFIX_MIN && stored.ends_with(wanted)
        || stored.len() >= PHONE_SUFFIX_MIN && wanted.ends_with(&stored)
}

impl DebtorList {
    pub(crate) fn new(read: ReadTxn, filter: DebtorFilter) -> DebtorList {
        let name = filter.name.as_ref().map(|name| name.to_lowercase());
        let phone = filter.phone.as_deref().map(digits);
        let pages = Pages::after(filter.after);
        DebtorList { read, filter, name, phone, pages }
    }

    fn passes(&self, debtor: &Debtor) -> bool {
        use arrears_core::model::ContactChannel;
        let points = |channels: &'static [ContactChannel]| {
            debtor.contact_points.iter().filter(move |point| channels.contains(&point.channel))
        };
        self.name.as_ref().is_none_or(|name| debtor.name.to_lowercase().contains(name.as_str()))
            && self
                .filter
                .external_ref
                .as_ref()
                .is_none_or(|reference| debtor.external_ref.as_ref() == Some(reference))
            && self.phone.as_ref().is_none_or(|phone| {
                points(&[ContactChannel::Phone, ContactChannel::Sms])
                    .any(|point| phone_matches(phone, &point.address))
            })
            && self.filter.email.as_ref().is_none_or(|email| {
                points(&[ContactChannel::Email])
                    .any(|point| point.address.eq_ignore_ascii_case(email.trim()))
            })
    }
}

impl Iterator for DebtorList {
    type Item = Result<DebtorRow, QueryError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let read = &self.read;
            let debtor = match self
                .pages
                .next(|after| read.debtors_after(after, PAGE_LEN), |debtor| debtor.id)?
            {
                Ok(debtor) => debtor,
                Err(error) => return Some(Err(error)),
            };
            if !self.passes(&debtor) {
                continue;
            }
            let accounts = match self.read.accounts_of(debtor.id) {
                Ok(accounts) => accounts,
                Err(error) => {
                    self.pages.stop();
                    return Some(Err(error.into()));
                }
            };
            return Some(Ok(DebtorRow {
                debtor: debtor.id,
                external_ref: debtor.external_ref,
                name: debtor.name,
                country: debtor.jurisdiction.country.clone(),
                language: debtor.language,
                accounts,
            }));
        }
    }
}

/// Everything about one debtor on a date (see [`crate::Arrears::debtor_view`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DebtorView {
    /// The debtor, with its contact points (consent and opt-outs), jurisdiction and flags.
    pub debtor: Debtor,
    /// The date.
    pub as_of: NaiveDate,
    /// Each account with its balance and days past due on `as_of`, ascending.
    pub accounts: Vec<AccountRow>,
    /// Each account's case (promise, plan, settlement, placement), in the order of `accounts`.
    pub cases: Vec<CollectionCase>,
    /// Contact history, oldest first.
    pub contacts: Vec<ContactAttempt>,
    /// Outbox actions not yet acknowledged, by id.
    pub pending_actions: Vec<Action>,
    /// Notes, oldest first.
    pub notes: Vec<arrears_core::case::Note>,
}

impl DebtorView {
    /// The debtor's contact points.
    pub fn contact_points(&self) -> &[ContactPoint] {
        &self.debtor.contact_points
    }
}

pub(crate) fn debtor_view(
    read: ReadTxn,
    id: DebtorId,
    as_of: NaiveDate,
) -> Result<DebtorView, QueryError> {
    let debtor = read.debtor(id)?.ok_or(QueryError::UnknownDebtor(id))?;
    let contacts = read.contacts(id)?;
    let notes = read.notes(id)?;
    let pending_actions = read
        .actions_of(id)?
        .into_iter()
        .filter(|action| action.status == ActionStatus::Pending)
        .collect();
    let mut accounts = Vec::new();
    let mut cases = Vec::new();
    let list = AccountList::new(read, AccountFilter::default(), as_of);
    for account_id in list.read.accounts_of(id)? {
        let account = crate::query::load_account(&list.read, account_id)?;
        if let Some((row, case)) = list.row(account)? {
            accounts.push(row);
            cases.push(case);
        }
    }
    Ok(DebtorView { debtor, as_of, accounts, cases, contacts, pending_actions, notes })
}

/// The names [`AccountFilter::states`] accepts, in the state machine's order.
pub fn state_names() -> Vec<&'static str> {
    CollectionState::ALL_KINDS.iter().map(CollectionState::name).collect()
}

/// A pending outbox action with what a sender or an agent needs at hand (see
/// [`crate::Arrears::due_actions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DueAction {
    /// The action.
    pub action: Action,
    /// The debtor's name.
    pub debtor_name: String,
    /// The debtor's external reference.
    pub debtor_ref: Option<String>,
    /// Past due on the action's accounts on the day it is due, minor units of `currency`
    /// (accounts in other currencies than the first are left out of the sum).
    pub past_due_minor: i64,
    /// The currency of `past_due_minor` (the first account's).
    pub currency: Option<Currency>,
    /// The most days past due among the action's accounts on the day it is due.
    pub days_past_due: i64,
}

/// The pending actions due by `due_by` (all with `None`), in due order: scheduled instant,
/// then id; at most `limit`.
pub(crate) fn due_actions(
    read: &ReadTxn,
    due_by: Option<chrono::DateTime<chrono::Utc>>,
    limit: usize,
) -> Result<Vec<DueAction>, QueryError> {
    let mut actions = crate::outbox::pending_in_due_order(read, due_by)?;
    actions.truncate(limit);
    let mut due = Vec::with_capacity(actions.len());
    for action in actions {
        let debtor = read.debtor(action.debtor)?.ok_or(QueryError::UnknownDebtor(action.debtor))?;
        let on = action.scheduled_at.date_naive();
        let (mut past_due_minor, mut currency, mut days_past_due) = (0, None, 0);
        for id in &action.accounts {
            let account = crate::query::load_account(read, *id)?;
            let state = crate::query::state_as_of(read, &account, on)?;
            days_past_due = days_past_due.max(state.days_past_due(on));
            if currency.is_none_or(|currency| currency == account.currency) {
                currency = Some(account.currency);
                past_due_minor += state.past_due_minor(on);
            }
        }
        due.push(DueAction {
            action,
            debtor_name: debtor.name,
            debtor_ref: debtor.external_ref,
            past_due_minor,
            currency,
            days_past_due,
        });
    }
    Ok(due)
}
