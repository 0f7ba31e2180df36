//! The message of an action the cycle writes (issue 19 points 1 and 2): the payment link
//! issued for it and its template rendered in the debtor's language, from the accounts the
//! contact is about, as of the review date.

use chrono::NaiveDate;

use arrears_core::case::ActionMessage;
use arrears_core::ids::ObligationId;
use arrears_core::message::{Audience, Values};
use arrears_core::model::Debtor;
use arrears_core::model::ObligationKind;
use arrears_core::policy::Arm;
use arrears_core::strategy::ContactProposal;
use arrears_store::Reads;

use super::review::Review;
use crate::context::Env;
use crate::error::CommandError;
use crate::messages::{issue_link, LinkRequest, PaymentLinks};

/// What the amounts of a message come to, over the proposal's accounts in the currency of its
/// first (most past due) one.
struct Dues {
    currency: arrears_core::money::Currency,
    amount_due_minor: i64,
    due_on: Option<NaiveDate>,
    /// The earliest open obligation, if it is an invoice, with its reference.
    invoice: Option<(ObligationId, String)>,
    promise: Option<(i64, NaiveDate)>,
    plan: Option<(i64, NaiveDate)>,
    settlement: Option<(i64, NaiveDate)>,
}

/// What an action carries besides its contact: its message, payment link and invoice.
#[derive(Default)]
pub(super) struct Written {
    pub(super) message: Option<ActionMessage>,
    pub(super) payment_link: Option<String>,
    pub(super) invoice: Option<ObligationId>,
    /// The template written, when it is not the proposal's: the arm's house template.
    pub(super) template: Option<String>,
}

/// The action's message, payment link and invoice: all `None` when the policy has neither
/// templates nor a link rule nor invoices (nor the integrator a hook), as before messages
/// were data. The debtor's arm may fix the language and the tone of its messages
/// (`[[arm]] language`, `tone`: docs/MESSAGES.md, "An arm's house style").
pub(super) fn message_for(
    env: &Env<'_>,
    reviews: &[Review],
    (debtor, arm): (&Debtor, Option<&Arm>),
    proposal: &ContactProposal,
    action: u64,
    hook: Option<&dyn PaymentLinks>,
) -> Result<Written, CommandError> {
    let messages = env.policy.messages();
    let template = messages.template(&proposal.template).map(|template| {
        match arm.and_then(|arm| arm.tone).filter(|tone| *tone != template.tone) {
            Some(tone) => messages.house_template(template.channel, tone).unwrap_or(template),
            None => template,
        }
    });
    let quiet = messages.payment_link.is_none() && messages.invoice.is_none() && hook.is_none();
    if template.is_none() && quiet {
        return Ok(Written::default());
    }
    let Some(dues) = dues(env, reviews, proposal)? else { return Ok(Written::default()) };
    let invoice = dues.invoice.as_ref().map(|(id, _)| *id);
    let request = LinkRequest {
        action,
        debtor: debtor.id,
        accounts: &proposal.accounts,
        channel: proposal.channel,
        amount_due_minor: dues.amount_due_minor,
        currency: dues.currency,
    };
    let payment_link = issue_link(hook, messages.payment_link.as_deref(), &request);
    let Some(template) = template else {
        return Ok(Written { message: None, payment_link, invoice, template: None });
    };
    let values = Values {
        name: debtor.name.clone(),
        currency: dues.currency,
        amount_due_minor: dues.amount_due_minor,
        due_on: dues.due_on,
        payment_link: payment_link.clone(),
        promise: dues.promise,
        plan: dues.plan,
        settlement: dues.settlement,
        invoice: dues.invoice.map(|(_, reference)| reference),
    };
    let audience = Audience {
        language: arm.and_then(|arm| arm.language.as_deref()).unwrap_or(&debtor.language),
        country: &debtor.jurisdiction.country,
        region: debtor.jurisdiction.region.as_deref(),
        creditor: env.policy.creditor(),
    };
    let message = messages.render(&template.id, audience, &values).map(|rendered| ActionMessage {
        tone: template.tone,
        language: rendered.language,
        text: rendered.text,
    });
    let template = (template.id != proposal.template).then(|| template.id.clone());
    Ok(Written { message, payment_link, invoice, template })
}

/// The amounts and dates of the proposal's accounts in the currency of the first one: the
/// past-due amount from its earliest due date, or before any is past due, what falls due on
/// the next due date (a courtesy reminder); the open promise, plan and settlement offer of
/// the first account that has one.
fn dues(
    env: &Env<'_>,
    reviews: &[Review],
    proposal: &ContactProposal,
) -> Result<Option<Dues>, CommandError> {
    let mut covered: Vec<&Review> =
        reviews.iter().filter(|review| proposal.accounts.contains(&review.account.id)).collect();
    covered.sort_by_key(|review| std::cmp::Reverse(review.features.days_past_due));
    let Some(first) = covered.first() else { return Ok(None) };
    let (currency, as_of) = (first.features.currency, first.features.as_of);
    covered.retain(|review| review.features.currency == currency);
    let mut past_due_minor = 0_i64;
    let mut open: Vec<(NaiveDate, i64, ObligationId)> = Vec::new();
    for review in &covered {
        past_due_minor = past_due_minor.saturating_add(review.features.past_due_minor);
        let state = env.txn.account_state(&review.account, Some(as_of))?;
        open.extend(
            state
                .obligations
                .values()
                .filter(|obligation| obligation.total_minor() > 0)
                .map(|obligation| (obligation.due_on, obligation.total_minor(), obligation.id)),
        );
    }
    open.sort_unstable();
    let due_on = open.first().map(|(on, _, _)| *on);
    let amount_due_minor = if past_due_minor > 0 {
        past_due_minor
    } else {
        open.iter().filter(|(on, _, _)| Some(*on) == due_on).map(|(_, amount, _)| *amount).sum()
    };
    let invoice = match open.first() {
        Some((_, _, id)) => invoice_reference(env, *id)?.map(|reference| (*id, reference)),
        None => None,
    };
    let promise = covered.iter().find_map(|review| {
        let promise = review.case.promise.as_ref()?;
        let total = promise.payments.iter().map(|payment| payment.amount_minor).sum();
        Some((total, promise.payments.iter().map(|payment| payment.on).max()?))
    });
    let plan = covered.iter().find_map(|review| {
        let plan = review.case.plan.as_ref()?;
        let next = open.iter().find(|(on, _, _)| *on >= as_of)?;
        let count = i64::try_from(plan.installments.len()).ok().filter(|count| *count > 0)?;
        Some((plan.total_minor.div_euclid(count), next.0))
    });
    let settlement = covered.iter().find_map(|review| {
        let offer = review.case.settlement.as_ref()?;
        Some((offer.amount_minor, offer.expires_on))
    });
    Ok(Some(Dues { currency, amount_due_minor, due_on, invoice, promise, plan, settlement }))
}

/// The reference of obligation `id` if it is an invoice: its external reference, else its id
/// as the tool writes it (`O7`).
pub(super) fn invoice_reference(
    env: &Env<'_>,
    id: ObligationId,
) -> Result<Option<String>, CommandError> {
    let Some(obligation) = env.txn.obligation(id)? else { return Ok(None) };
    if obligation.kind != ObligationKind::Invoice {
        return Ok(None);
    }
    Ok(Some(obligation.external_ref.unwrap_or_else(|| format!("O{}", id.0))))
}
