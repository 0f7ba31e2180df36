//! Invoices on a schedule (issue 19 point 3): with `[messages] invoice` in the policy, each
//! invoice (an obligation of kind `invoice`) becomes an outbox action on its issue date (or
//! the first review after it, while it is open and not yet due), on the policy's channel with
//! its template, recorded with the invoice it sends (`Action::invoice`); its delivery is
//! acknowledged like any action's (`delivered`, `bounced`). Reminders then refer to the invoice
//! their amount is about (`{invoice}`, `Action::invoice`).

use std::collections::BTreeSet;

use chrono::NaiveDate;

use arrears_core::case::{Action, ActionMessage, ActionStatus};
use arrears_core::ids::ObligationId;
use arrears_core::message::{Audience, InvoiceDelivery, Values};
use arrears_core::model::Debtor;
use arrears_core::strategy::{local_instant, usable};
use arrears_store::Reads;

use super::message::invoice_reference;
use super::review::Review;
use crate::context::Env;
use crate::error::CommandError;
use crate::messages::{issue_link, LinkRequest, PaymentLinks};
use crate::outbox::invoice_action_id;

/// The local hour invoices are sent at.
const INVOICE_LOCAL_HOUR: u32 = 9;

/// Writes an action for each invoice of the debtor's reviewed accounts issued on or before
/// `as_of`, still open and not past due, that no action has sent yet. Returns the actions
/// written. Nothing is sent to a debtor whose cases stop contact (cease, attorney,
/// bankruptcy stay, deceased) or who has no usable address on the channel, nor for an account
/// whose debt was discharged in bankruptcy.
pub(super) fn send_invoices(
    env: &mut Env<'_>,
    reviews: &[Review],
    hook: Option<&dyn PaymentLinks>,
    as_of: NaiveDate,
) -> Result<u64, CommandError> {
    let Some(delivery) = env.policy.messages().invoice.clone() else { return Ok(0) };
    let Some(first) = reviews.first() else { return Ok(0) };
    let debtor = first.debtor.clone();
    let stopped = reviews.iter().any(|review| {
        let flags = review.case.flags;
        flags.cease_communication
            || flags.attorney_represented
            || flags.bankruptcy_stay
            || flags.deceased
    });
    let point = debtor.contact_points.iter().find(|point| usable(point, delivery.channel));
    let (false, Some(point)) = (stopped, point) else { return Ok(0) };
    let address = point.address.clone();
    // The invoices already sent (reminders that refer to an invoice have other templates).
    let sent: BTreeSet<ObligationId> = env
        .txn
        .actions_of(debtor.id)?
        .iter()
        .filter(|action| action.template == delivery.template)
        .filter_map(|action| action.invoice)
        .collect();
    let mut written = 0;
    for review in reviews {
        // A debt discharged in bankruptcy is not billed; the debtor's other accounts (a debt
        // incurred after the discharge) are.
        if review.case.flags.bankruptcy_discharged {
            continue;
        }
        let state = env.txn.account_state(&review.account, Some(as_of))?;
        for obligation in state.obligations.values() {
            let due = obligation.total_minor() > 0
                && obligation.issued_on <= as_of
                && as_of <= obligation.due_on
                && !sent.contains(&obligation.id);
            if !due {
                continue;
            }
            let Some(reference) = invoice_reference(env, obligation.id)? else { continue };
            let invoice = Invoice {
                id: obligation.id,
                reference,
                amount_minor: obligation.total_minor(),
                due_on: obligation.due_on,
                currency: review.account.currency,
                account: review.account.id,
            };
            written += write(env, &debtor, (&delivery, &address), &invoice, hook, as_of)?;
        }
    }
    Ok(written)
}

/// One invoice to send.
struct Invoice {
    id: ObligationId,
    reference: String,
    amount_minor: i64,
    due_on: NaiveDate,
    currency: arrears_core::money::Currency,
    account: arrears_core::ids::AccountId,
}

/// Writes the action that sends `invoice`, with its payment link and rendered message.
fn write(
    env: &mut Env<'_>,
    debtor: &Debtor,
    (delivery, address): (&InvoiceDelivery, &str),
    invoice: &Invoice,
    hook: Option<&dyn PaymentLinks>,
    as_of: NaiveDate,
) -> Result<u64, CommandError> {
    let id = invoice_action_id(as_of, debtor.id, invoice.id);
    if env.txn.action(id)?.is_some() {
        return Ok(0);
    }
    let zone = debtor.time_zones.first().map_or("UTC", String::as_str);
    let scheduled_at = local_instant(as_of, INVOICE_LOCAL_HOUR, zone)
        .or_else(|| local_instant(as_of, INVOICE_LOCAL_HOUR, "UTC"))
        .unwrap_or_default();
    let request = LinkRequest {
        action: id,
        debtor: debtor.id,
        accounts: std::slice::from_ref(&invoice.account),
        channel: delivery.channel,
        amount_due_minor: invoice.amount_minor,
        currency: invoice.currency,
    };
    let messages = env.policy.messages();
    let payment_link = issue_link(hook, messages.payment_link.as_deref(), &request);
    let values = Values {
        name: debtor.name.clone(),
        currency: invoice.currency,
        amount_due_minor: invoice.amount_minor,
        due_on: Some(invoice.due_on),
        payment_link: payment_link.clone(),
        promise: None,
        plan: None,
        settlement: None,
        invoice: Some(invoice.reference.clone()),
    };
    let audience = Audience {
        language: &debtor.language,
        country: &debtor.jurisdiction.country,
        region: debtor.jurisdiction.region.as_deref(),
        creditor: env.policy.creditor(),
    };
    let message = messages.template(&delivery.template).and_then(|template| {
        let rendered = messages.render(&template.id, audience, &values)?;
        Some(ActionMessage {
            tone: template.tone,
            language: rendered.language,
            text: rendered.text,
        })
    });
    let seq = env.txn.next_id(arrears_store::Sequence::Action)?;
    env.txn.put_action(&Action {
        id,
        debtor: debtor.id,
        accounts: vec![invoice.account],
        channel: delivery.channel,
        address: address.to_owned(),
        template: delivery.template.clone(),
        scheduled_at,
        created_for: as_of,
        status: ActionStatus::Pending,
        claim: None,
        sent_at: None,
        seq,
        message,
        payment_link,
        invoice: Some(invoice.id),
    })?;
    Ok(1)
}
