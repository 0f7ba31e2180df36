//! Postings files: rows of many kinds, which may name earlier rows of the same file.

use anyhow::Result;
use chrono::NaiveDate;

use arrears::ids::{AccountId, EventSeq, ObligationId};
use arrears::ledger::ReversalReason;
use arrears::model::{Account, Component};
use arrears::money::Money;
use arrears::Command;

use super::keys::{Links, PostedRef};
use super::{names, Action, Planned, Planner, Ref, KEY_LEN_MAX, POSTING_OPTIONAL};
use crate::input::{self, Fields, Row, Sign};

pub(super) enum PostingKind {
    Payment {
        effective_on: NaiveDate,
        amount: Money,
        directed_to: Option<Ref<ObligationId>>,
    },
    Fee {
        effective_on: NaiveDate,
        due_on: NaiveDate,
        amount: Money,
    },
    Reversal {
        effective_on: NaiveDate,
        payment: Ref<EventSeq>,
        reason: ReversalReason,
    },
    Waiver {
        effective_on: NaiveDate,
        obligation: Ref<ObligationId>,
        component: Component,
        amount: Money,
    },
    Adjustment {
        effective_on: NaiveDate,
        obligation: Ref<ObligationId>,
        component: Component,
        amount: Money,
    },
    AccrueInterest {
        through_on: NaiveDate,
        due_on: NaiveDate,
    },
    ChargeOff {
        effective_on: NaiveDate,
    },
    Dispute {
        effective_on: NaiveDate,
        obligation: Ref<ObligationId>,
        disputed: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PostingType {
    Payment,
    Fee,
    Reversal,
    Waiver,
    Adjustment,
    AccrueInterest,
    ChargeOff,
    Dispute,
    Undispute,
}

impl PostingType {
    /// The type's position in [`PostingType::ALL`], as the import's scratch file stores it.
    pub(super) fn code(self) -> u8 {
        PostingType::ALL.iter().position(|posting| *posting == self).unwrap_or(0) as u8
    }

    pub(super) fn from_code(code: u8) -> Option<PostingType> {
        PostingType::ALL.get(usize::from(code)).copied()
    }

    const ALL: [PostingType; 9] = [
        PostingType::Payment,
        PostingType::Fee,
        PostingType::Reversal,
        PostingType::Waiver,
        PostingType::Adjustment,
        PostingType::AccrueInterest,
        PostingType::ChargeOff,
        PostingType::Dispute,
        PostingType::Undispute,
    ];

    fn name(self) -> &'static str {
        match self {
            PostingType::Payment => "payment",
            PostingType::Fee => "fee",
            PostingType::Reversal => "reversal",
            PostingType::Waiver => "waiver",
            PostingType::Adjustment => "adjustment",
            PostingType::AccrueInterest => "accrue_interest",
            PostingType::ChargeOff => "charge_off",
            PostingType::Dispute => "dispute",
            PostingType::Undispute => "undispute",
        }
    }

    fn parse(text: &str) -> Result<PostingType, String> {
        PostingType::ALL.into_iter().find(|kind| kind.name() == text).ok_or_else(|| {
            format!("{text:?} is not one of {}", names(PostingType::ALL.map(PostingType::name)))
        })
    }

    /// The optional columns this type uses.
    fn columns(self) -> &'static [&'static str] {
        match self {
            PostingType::Payment => &["amount", "directed_to"],
            PostingType::Fee => &["amount", "due_on"],
            PostingType::Reversal => &["reverses", "reason"],
            PostingType::Waiver | PostingType::Adjustment => &["obligation", "component", "amount"],
            PostingType::AccrueInterest => &["due_on"],
            PostingType::ChargeOff => &[],
            PostingType::Dispute | PostingType::Undispute => &["obligation"],
        }
    }

    /// True if rows of this type create an obligation that later rows may name by key.
    fn creates_obligation(self) -> bool {
        matches!(self, PostingType::Fee | PostingType::AccrueInterest)
    }
}

impl PostingKind {
    /// The keys of earlier rows of the file this row refers to.
    pub(super) fn row_refs(&self) -> impl Iterator<Item = &str> {
        let (obligation, payment) = match self {
            PostingKind::Payment { directed_to, .. } => (directed_to.as_ref(), None),
            PostingKind::Waiver { obligation, .. }
            | PostingKind::Adjustment { obligation, .. }
            | PostingKind::Dispute { obligation, .. } => (Some(obligation), None),
            PostingKind::Reversal { payment, .. } => (None, Some(payment)),
            PostingKind::Fee { .. }
            | PostingKind::AccrueInterest { .. }
            | PostingKind::ChargeOff { .. } => (None, None),
        };
        let obligation = obligation.and_then(|reference| match reference {
            Ref::Row(key) => Some(key.as_str()),
            Ref::Known(_) => None,
        });
        let payment = payment.and_then(|reference| match reference {
            Ref::Row(key) => Some(key.as_str()),
            Ref::Known(_) => None,
        });
        obligation.into_iter().chain(payment)
    }
}

/// What an earlier row of a postings file is, for references to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EarlierRow {
    pub(super) line: u64,
    pub(super) account: Option<AccountId>,
    pub(super) posting: Option<PostingType>,
    pub(super) effective_on: Option<NaiveDate>,
}

impl Planner<'_> {
    /// Checks and plans one row of a postings file, after the rows before it.
    ///
    /// The first pass (`referred` is `None`) remembers every row by key, to refuse a key that
    /// repeats and to check references to earlier rows. The second (`referred` holds the keys
    /// that rows refer to) remembers only the rows referred to: the first found no key twice,
    /// and remembering every key again cost, in a file whose keys are not in the file's order
    /// (rows of many accounts interleaved), a write of the scratch file's every page per flush
    /// (issue 21 point 5). Should the file have changed in between, the store still refuses a
    /// repeated key with another command (its idempotency record).
    pub(super) fn plan_posting(
        &mut self,
        row: &Row,
        referred: Option<&Links>,
    ) -> Result<Option<Planned>> {
        let mut fields = Fields::new(row);
        let key = fields.text("key");
        if let Some(key) = key {
            if key.len() > KEY_LEN_MAX {
                fields.error(
                    Some("key"),
                    format!("is {} bytes long, at most {KEY_LEN_MAX} allowed", key.len()),
                );
            }
            if referred.is_some() {
                // Checked by the first pass.
            } else if let Some(first) = self.keys.earlier(key)? {
                fields.error(
                    Some("key"),
                    format!("{key:?} appears twice in the file (first on line {})", first.line),
                );
            }
        }
        let account = self.account_column(&mut fields)?;
        let posting = fields.parse("type", PostingType::parse);
        let effective_on = fields.parse("effective_on", input::date);
        if let (Some(account), Some(effective_on)) = (&account, effective_on) {
            if effective_on < account.opened_on {
                fields.error(
                    Some("effective_on"),
                    format!("{effective_on} is before the account opened on {}", account.opened_on),
                );
            }
        }
        let kind = match (posting, &account, effective_on) {
            (Some(posting), Some(account), Some(effective_on)) => {
                let unused: Vec<&'static str> = POSTING_OPTIONAL
                    .into_iter()
                    .filter(|column| !posting.columns().contains(column))
                    .collect();
                fields.unused(&unused, posting.name());
                self.posting_kind(&mut fields, posting, account, effective_on)?
            }
            _ => None,
        };
        let remembered = match (key, referred) {
            (Some(key), Some(links)) => links.is_referred(key)?,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if let (Some(key), true) = (key, remembered) {
            let earlier = EarlierRow {
                line: row.line,
                account: account.as_ref().map(|account| account.id),
                posting,
                effective_on,
            };
            self.keys.keep_earlier(key, &earlier)?;
        }
        let line = row.line;
        if !self.finish(fields) {
            return Ok(None);
        }
        if let (Some(key), Some(account), Some(posting), Some(kind)) = (key, account, posting, kind)
        {
            let action = Action::Posting { account: account.id, kind, posting };
            return Ok(Some(Planned::new(line, key.to_owned(), Some(account.currency), action)));
        }
        Ok(None)
    }

    fn posting_kind(
        &mut self,
        fields: &mut Fields<'_>,
        posting: PostingType,
        account: &Account,
        effective_on: NaiveDate,
    ) -> Result<Option<PostingKind>> {
        let currency = account.currency;
        let amount = |fields: &mut Fields<'_>, sign: Sign| {
            fields.parse("amount", |text| input::amount(text, currency, sign))
        };
        let due_on = |fields: &mut Fields<'_>| -> Option<NaiveDate> {
            match fields.maybe("due_on", input::date) {
                Ok(Some(due_on)) if due_on < effective_on => {
                    fields.error(
                        Some("due_on"),
                        format!("{due_on} is before effective_on {effective_on}"),
                    );
                    None
                }
                Ok(due_on) => Some(due_on.unwrap_or(effective_on)),
                Err(()) => None,
            }
        };
        let component = |fields: &mut Fields<'_>| {
            fields.parse("component", |text| {
                Component::ALL
                    .into_iter()
                    .find(|component| component.name() == text)
                    .ok_or_else(|| format!("{text:?} is not one of principal, interest, fee"))
            })
        };
        Ok(match posting {
            PostingType::Payment => {
                let amount = amount(fields, Sign::Positive);
                let directed_to = match fields.optional_text("directed_to") {
                    Some(text) => self
                        .obligation_ref(fields, "directed_to", text, account, effective_on)?
                        .map(Some),
                    None => Some(None),
                };
                match (amount, directed_to) {
                    (Some(amount), Some(directed_to)) => {
                        Some(PostingKind::Payment { effective_on, amount, directed_to })
                    }
                    _ => None,
                }
            }
            PostingType::Fee => {
                let amount = amount(fields, Sign::Positive);
                let due_on = due_on(fields);
                match (amount, due_on) {
                    (Some(amount), Some(due_on)) => {
                        Some(PostingKind::Fee { effective_on, due_on, amount })
                    }
                    _ => None,
                }
            }
            PostingType::Reversal => {
                let reason = fields
                    .maybe("reason", |text| match text {
                        "returned" => Ok(ReversalReason::Returned),
                        "chargeback" => Ok(ReversalReason::Chargeback),
                        "error" => Ok(ReversalReason::Error),
                        _ => Err(format!("{text:?} is not one of returned, chargeback, error")),
                    })
                    .ok()
                    .map(|reason| reason.unwrap_or(ReversalReason::Returned));
                let payment = match fields.text("reverses") {
                    Some(text) => self.payment_ref(fields, text, account, effective_on)?,
                    None => None,
                };
                match (payment, reason) {
                    (Some(payment), Some(reason)) => {
                        Some(PostingKind::Reversal { effective_on, payment, reason })
                    }
                    _ => None,
                }
            }
            PostingType::Waiver | PostingType::Adjustment => {
                let obligation = match fields.text("obligation") {
                    Some(text) => {
                        self.obligation_ref(fields, "obligation", text, account, effective_on)?
                    }
                    None => None,
                };
                let component = component(fields);
                let sign =
                    if posting == PostingType::Waiver { Sign::Positive } else { Sign::NonZero };
                let amount = amount(fields, sign);
                match (obligation, component, amount) {
                    (Some(obligation), Some(component), Some(amount))
                        if posting == PostingType::Waiver =>
                    {
                        Some(PostingKind::Waiver { effective_on, obligation, component, amount })
                    }
                    (Some(obligation), Some(component), Some(amount)) => {
                        Some(PostingKind::Adjustment {
                            effective_on,
                            obligation,
                            component,
                            amount,
                        })
                    }
                    _ => None,
                }
            }
            PostingType::AccrueInterest => {
                if account.terms.interest.is_none() {
                    fields.error(
                        Some("type"),
                        format!(
                            "account {:?} bears no interest (no annual_rate)",
                            account.external_ref.as_deref().unwrap_or("")
                        ),
                    );
                }
                due_on(fields)
                    .map(|due_on| PostingKind::AccrueInterest { through_on: effective_on, due_on })
            }
            PostingType::ChargeOff => Some(PostingKind::ChargeOff { effective_on }),
            PostingType::Dispute | PostingType::Undispute => {
                let obligation = match fields.text("obligation") {
                    Some(text) => {
                        self.obligation_ref(fields, "obligation", text, account, effective_on)?
                    }
                    None => None,
                };
                obligation.map(|obligation| PostingKind::Dispute {
                    effective_on,
                    obligation,
                    disputed: posting == PostingType::Dispute,
                })
            }
        })
    }

    /// An obligation named in a postings row: an obligation external id in the store, or the
    /// key of a fee or accrue_interest posting (an earlier row of this file, or an event of the
    /// account in the store).
    fn obligation_ref(
        &mut self,
        fields: &mut Fields<'_>,
        column: &'static str,
        text: &str,
        account: &Account,
        effective_on: NaiveDate,
    ) -> Result<Option<Ref<ObligationId>>> {
        if let Some(id) = self.books.find_obligation(text)? {
            let Some(obligation) = self.books.obligation(id)? else {
                fields.error(
                    Some(column),
                    format!("obligation {text:?} is indexed but has no record"),
                );
                return Ok(None);
            };
            if let Err(reason) = crate::refs::check_owner(&obligation, account) {
                fields.error(Some(column), reason);
                return Ok(None);
            }
            if obligation.issued_on > effective_on {
                fields.error(
                    Some(column),
                    format!(
                        "obligation {text:?} is issued on {}, after effective_on {effective_on}",
                        obligation.issued_on
                    ),
                );
                return Ok(None);
            }
            return Ok(Some(Ref::Known(id)));
        }
        if let Some(row) = self.keys.earlier(text)? {
            return Ok(match (row.posting, row.account) {
                (Some(posting), _) if !posting.creates_obligation() => {
                    fields.error(
                        Some(column),
                        format!("{text:?} (line {}) is a {} row, which creates no obligation; name an obligation external id or the key of a fee or accrue_interest row", row.line, posting.name()),
                    );
                    None
                }
                (_, Some(other)) if other != account.id => {
                    fields.error(
                        Some(column),
                        format!("{text:?} (line {}) is a posting to another account", row.line),
                    );
                    None
                }
                _ => {
                    if row.effective_on.is_some_and(|issued_on| issued_on > effective_on) {
                        fields.error(
                            Some(column),
                            format!(
                                "{text:?} (line {}) takes effect after effective_on {effective_on}",
                                row.line
                            ),
                        );
                        None
                    } else {
                        Some(Ref::Row(text.to_owned()))
                    }
                }
            });
        }
        match self.stored_posting(account.id, text)? {
            Some((_, Some(obligation))) => Ok(Some(Ref::Known(obligation))),
            Some((command, None)) => {
                fields.error(Some(column), format!("the command recorded under key {text:?} is a {command}, which creates no obligation"));
                Ok(None)
            }
            None => {
                fields.error(
                    Some(column),
                    format!("no obligation with external id {text:?}, and no fee or accrue_interest posting with that key on this account"),
                );
                Ok(None)
            }
        }
    }

    /// The payment a reversal row names: the key of an earlier payment row of this file, or of
    /// a payment of the account in the store, or its event number (`#3`).
    fn payment_ref(
        &mut self,
        fields: &mut Fields<'_>,
        text: &str,
        account: &Account,
        effective_on: NaiveDate,
    ) -> Result<Option<Ref<EventSeq>>> {
        let reference = if let Some(row) = self.keys.earlier(text)? {
            if row.posting.is_some_and(|posting| posting != PostingType::Payment) {
                fields.error(
                    Some("reverses"),
                    format!("{text:?} (line {}) is not a payment row", row.line),
                );
                return Ok(None);
            }
            if row.account.is_some_and(|other| other != account.id) {
                fields.error(
                    Some("reverses"),
                    format!("{text:?} (line {}) is a payment to another account", row.line),
                );
                return Ok(None);
            }
            if let Some(paid_on) = row.effective_on.filter(|paid_on| *paid_on > effective_on) {
                fields.error(
                    Some("effective_on"),
                    format!("{effective_on} is before the payment {text:?} on {paid_on}"),
                );
                return Ok(None);
            }
            Ref::Row(text.to_owned())
        } else if let Some((command, _)) = self.stored_posting(account.id, text)? {
            let Some(event) = self.stored_payment(text)? else {
                fields.error(
                    Some("reverses"),
                    format!(
                        "the command recorded under key {text:?} is a {command}, not a payment"
                    ),
                );
                return Ok(None);
            };
            Ref::Known(event)
        } else if let Some(seq) =
            text.strip_prefix('#').and_then(|digits| digits.parse::<u32>().ok())
        {
            Ref::Known(EventSeq(seq))
        } else {
            fields.error(
                Some("reverses"),
                format!("no payment with key {text:?} earlier in this file or on this account"),
            );
            return Ok(None);
        };
        let identity = match &reference {
            Ref::Row(key) => format!("row:{key}"),
            Ref::Known(seq) => format!("{}:{}", account.id, seq.0),
        };
        if !self.keys.reverse(&identity)? {
            fields.error(Some("reverses"), format!("{text:?} is reversed twice in this file"));
            return Ok(None);
        }
        Ok(Some(reference))
    }
}

fn resolve<T: Copy>(
    reference: &Ref<T>,
    links: &Links,
    pick: impl Fn(&PostedRef) -> Option<T>,
) -> Result<Result<T, String>> {
    Ok(match reference {
        Ref::Known(value) => Ok(*value),
        Ref::Row(key) => links.posted(key)?.as_ref().and_then(pick).ok_or_else(|| {
            format!("the row with key {key:?} did not record what this row refers to")
        }),
    })
}

/// The command of a planned posting, its references to earlier rows resolved: `Ok(Err(why))`
/// if an earlier row did not record what this one refers to.
pub(super) fn posting_command(
    account: AccountId,
    kind: PostingKind,
    links: &Links,
) -> Result<Result<Command, String>> {
    match posting_command_with(account, kind, links) {
        Ok(command) => Ok(Ok(command)),
        Err(Unresolved::Row(reason)) => Ok(Err(reason)),
        Err(Unresolved::Scratch(error)) => Err(error),
    }
}

enum Unresolved {
    Row(String),
    Scratch(anyhow::Error),
}

fn resolved<T>(result: Result<Result<T, String>>) -> Result<T, Unresolved> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(reason)) => Err(Unresolved::Row(reason)),
        Err(error) => Err(Unresolved::Scratch(error)),
    }
}

fn posting_command_with(
    account: AccountId,
    kind: PostingKind,
    links: &Links,
) -> Result<Command, Unresolved> {
    let obligation = |reference: &Ref<ObligationId>| {
        resolved(resolve(reference, links, |posted| posted.obligation))
    };
    Ok(match kind {
        PostingKind::Payment { effective_on, amount, directed_to } => Command::Payment {
            account,
            effective_on,
            amount,
            directed_to: directed_to.as_ref().map(obligation).transpose()?,
        },
        PostingKind::Fee { effective_on, due_on, amount } => {
            Command::Fee { account, effective_on, due_on, amount }
        }
        PostingKind::Reversal { effective_on, payment, reason } => Command::Reversal {
            account,
            payment: resolved(resolve(&payment, links, |posted| Some(posted.event)))?,
            effective_on,
            reason,
        },
        PostingKind::Waiver { effective_on, obligation: reference, component, amount } => {
            Command::Waiver {
                account,
                obligation: obligation(&reference)?,
                component,
                amount,
                effective_on,
            }
        }
        PostingKind::Adjustment { effective_on, obligation: reference, component, amount } => {
            Command::Adjustment {
                account,
                obligation: obligation(&reference)?,
                component,
                amount,
                effective_on,
            }
        }
        PostingKind::AccrueInterest { through_on, due_on } => {
            Command::AccrueInterest { account, through_on, due_on }
        }
        PostingKind::ChargeOff { effective_on } => Command::ChargeOff { account, effective_on },
        PostingKind::Dispute { effective_on, obligation: reference, disputed } => {
            Command::Dispute {
                account,
                obligation: obligation(&reference)?,
                disputed,
                effective_on,
            }
        }
    })
}
