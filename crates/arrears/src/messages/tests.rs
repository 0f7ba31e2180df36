use super::*;

struct Provider;

impl PaymentLinks for Provider {
    fn link(&self, request: &LinkRequest<'_>) -> Option<String> {
        (request.amount_due_minor > 0).then(|| format!("https://psp.test/{}", request.action))
    }
}

fn request(amount_due_minor: i64) -> LinkRequest<'static> {
    LinkRequest {
        action: 81,
        debtor: DebtorId(7),
        accounts: &[],
        channel: ContactChannel::Sms,
        amount_due_minor,
        currency: Currency::USD,
    }
}

#[test]
fn the_hook_comes_first_then_the_policy_rule() {
    let rule = Some("https://pay.test/{debtor_id}/{action_id}");
    assert_eq!(issue_link(None, rule, &request(5)).as_deref(), Some("https://pay.test/7/81"));
    assert_eq!(
        issue_link(Some(&Provider), rule, &request(5)).as_deref(),
        Some("https://psp.test/81")
    );
    // The hook declines: the rule applies; without a rule, no link.
    assert_eq!(
        issue_link(Some(&Provider), rule, &request(0)).as_deref(),
        Some("https://pay.test/7/81")
    );
    assert_eq!(issue_link(Some(&Provider), None, &request(0)), None);
    assert_eq!(issue_link(None, None, &request(5)), None);
}
