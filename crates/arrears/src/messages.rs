//! Payment links (issue 19 point 2): the integrator's hook ([`PaymentLinks`]) and the built-in
//! rule of the policy (`[messages] payment_link`), which issue one link per outbox action,
//! recorded on the action and filled into its message's `{payment_link}` (docs/MESSAGES.md).

use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::ContactChannel;
use arrears_core::money::Currency;

/// What a payment link is issued for: one outbox action.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct LinkRequest<'a> {
    /// The action's id (deterministic: the same cycle on the same data gives the same id), the
    /// natural key of a link at the payment provider.
    pub action: u64,
    /// The debtor.
    pub debtor: DebtorId,
    /// The accounts the contact is about.
    pub accounts: &'a [AccountId],
    /// The channel of the contact.
    pub channel: ContactChannel,
    /// The amount the message asks for, in minor units of `currency`.
    pub amount_due_minor: i64,
    /// The currency of `amount_due_minor`.
    pub currency: Currency,
}

/// A payment provider's hook: issues the link a debtor pays an action's amount through.
///
/// Register one with [`Arrears::register_payment_links`](crate::Arrears::register_payment_links);
/// without one, the policy's `[messages] payment_link` rule builds the link from the action
/// id. The cycle calls the hook once for each action it writes (and for each action a dry run
/// would write), inside the cycle's write transaction, so it should be quick and idempotent by
/// action id: a provider that creates a link per call should key it on
/// [`LinkRequest::action`].
///
/// # Example
///
/// ```
/// use arrears::{LinkRequest, PaymentLinks};
///
/// struct Provider;
/// impl PaymentLinks for Provider {
///     fn link(&self, request: &LinkRequest<'_>) -> Option<String> {
///         Some(format!("https://psp.example.com/checkout/{}", request.action))
///     }
/// }
/// let provider: std::sync::Arc<dyn PaymentLinks> = std::sync::Arc::new(Provider);
/// # let _ = provider;
/// ```
pub trait PaymentLinks: Send + Sync {
    /// The link for `request`, or `None` to fall back on the policy's rule (if it has one).
    fn link(&self, request: &LinkRequest<'_>) -> Option<String>;
}

/// The link of an action: the hook's, else the policy rule's (`{action_id}` and `{debtor_id}`
/// filled in), else none.
pub(crate) fn issue_link(
    hook: Option<&dyn PaymentLinks>,
    rule: Option<&str>,
    request: &LinkRequest<'_>,
) -> Option<String> {
    hook.and_then(|hook| hook.link(request)).or_else(|| {
        rule.map(|rule| {
            rule.replace("{action_id}", &request.action.to_string())
                .replace("{debtor_id}", &request.debtor.0.to_string())
        })
    })
}

#[cfg(test)]
mod tests;
