//! How a simulated debtor responds to what it is sent (issue 19 point 5): the chance that a
//! contact reaches the debtor and that the debtor then acts on it depends on the channel, the
//! local hour, whether the message is in the debtor's language and addresses the debtor by
//! name, the tone for the debtor's stage, and the days since the due date.
//!
//! Each factor is a multiplier of the debtor's own propensities
//! ([`super::generator::Behaviour`]). The values come from published evidence where it exists, and say
//! `ASSUMED` where none was found; docs/DEMO.md ("How the simulated debtors respond") cites
//! each one. The functions are pure: the simulator draws against them with its seeded
//! generator, so the simulation stays deterministic.

use arrears::message::Tone;
use arrears::model::ContactChannel;

/// Share of delivered messages the debtor reads, by channel. SMS 98% (Gartner, 2023) and
/// e-mail 21.3% (Mailchimp, 2023 average open rate), both as quoted by FareText (2022,
/// "SMS Open Rates vs Email: The Numbers That Matter"). Messaging apps: ASSUMED as SMS (the
/// same lock-screen notification). A letter: ASSUMED 50%. A call: 1 (its reach is the
/// answer, [`call_hour`]).
pub(crate) fn read_rate(channel: ContactChannel) -> f64 {
    match channel {
        ContactChannel::Sms | ContactChannel::Messaging => 0.98,
        ContactChannel::Email => 0.213,
        ContactChannel::Postal => 0.5,
        _ => 1.0,
    }
}

/// How likely a call at `local_hour` is answered, relative to the best hour (16:00-17:00).
/// Oldroyd, McElheran and Elkington (Harvard Business Review, 2011, as quoted by Hito,
/// 2017): contact rates 164% higher calling at 4-5 pm than at 1-2 pm, so 1-2 pm is
/// 1 / 2.64 = 0.38 of 4-5 pm. The other hours are ASSUMED: mornings 0.7; the evening
/// 17:00-20:00 0.9 (the "prime time" outside working hours for employed debtors, Hito 2017,
/// unquantified); 8:00 and 20:00 0.6; outside 8:00-21:00 (when US law forbids calls) 0.
pub(crate) fn call_hour(local_hour: u32) -> f64 {
    match local_hour {
        16 => 1.0,
        17..=19 => 0.9,
        9..=11 | 14..=15 => 0.7,
        13 => 1.0 / 2.64,
        12 => 0.5,
        8 | 20 => 0.6,
        _ => 0.0,
    }
}

/// How the language and the personal touch of a message change the chance the debtor acts on
/// it. `None`: the action carries no rendered message (a policy without templates: a
/// generic reminder that does not name the debtor), 1 / 1.43 = 0.70 (Haynes, Green,
/// Gallagher, John and Torgerson, 2013: 33% paid after a text naming the recipient against
/// 23% after the standard text, J-PAL "Assessing the effectiveness of alternative text
/// messages"). `Some(true)`: a message naming the debtor in the debtor's language, 1.
/// `Some(false)`: in another language, ASSUMED 0.5 (the CFPB's survey of consumer
/// experiences with debt collection found 79% of those contacted could communicate in their
/// preferred language, as quoted by the NCLC; no study measured the effect on payment).
pub(crate) fn language(in_language: Option<bool>) -> f64 {
    match in_language {
        None => 1.0 / 1.43,
        Some(true) => 1.0,
        Some(false) => 0.5,
    }
}

/// How well a tone fits the days past due. ASSUMED values (no study quantifies them), in the
/// direction of Dewies et al. (2022, Behavioural Public Policy, "Call first, pay later"): an
/// invitation to agree a plan raised responses and plans among debtors who could not pay at
/// once (N = 3,330), so a plan or settlement offer once 30 days late is worth 1.2; a friendly
/// reminder fits the first month and fades after (0.8 to 60 days, 0.6 beyond); a firm one
/// before the due date is 0.7 and 0.9 in the first month; a final notice before 60 days is
/// 0.8. No tone (no templates): 1.
pub(crate) fn tone(tone: Option<Tone>, days_past_due: i64) -> f64 {
    match (tone, days_past_due) {
        (None, _) => 1.0,
        (Some(Tone::Friendly), ..=30) => 1.0,
        (Some(Tone::Friendly), 31..=60) => 0.8,
        (Some(Tone::Friendly), _) => 0.6,
        (Some(Tone::Firm), ..=0) => 0.7,
        (Some(Tone::Firm), 1..=30) => 0.9,
        (Some(Tone::Firm), _) => 1.0,
        (Some(Tone::FinalNotice), ..=59) => 0.8,
        (Some(Tone::FinalNotice), _) => 1.0,
        (Some(Tone::PlanOffer | Tone::SettlementOffer), 30..) => 1.2,
        (Some(Tone::PlanOffer | Tone::SettlementOffer), _) => 1.0,
    }
}

/// How the days past due lower the chance of collecting: the Commercial Collection Agency
/// Association's survey (as quoted by Caine & Weiner and Kaplan Collection Agency) puts the
/// likelihood of collecting at 94% for a current balance and 74% at 90 days past due, so
/// each 90 days multiplies it by 74 / 94 (smoothly, per day). 1 before the due date.
pub(crate) fn age(days_past_due: i64) -> f64 {
    if days_past_due <= 0 {
        return 1.0;
    }
    (74.0_f64 / 94.0).powf(days_past_due as f64 / 90.0)
}

/// What the simulator knows of one contact when it draws the debtor's response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Contact {
    /// The channel.
    pub(crate) channel: ContactChannel,
    /// The local hour in the debtor's time zone.
    pub(crate) local_hour: u32,
    /// Whether the rendered message is in the debtor's language; `None` without a message.
    pub(crate) in_language: Option<bool>,
    /// The message's tone, if it has one.
    pub(crate) tone: Option<Tone>,
    /// Days past due of the account on the day of the contact.
    pub(crate) days_past_due: i64,
}

impl Contact {
    /// The multiplier of the debtor's propensity to act (pay after a message, agree in a
    /// conversation): language and personal touch, tone for the stage, and age of the debt.
    pub(crate) fn acting(&self) -> f64 {
        language(self.in_language) * tone(self.tone, self.days_past_due) * age(self.days_past_due)
    }

    /// The multiplier of the debtor's chance of being reached: read rate of the channel, and
    /// for a call the hour (outside the debtor's own reachable hours, the simulator does not
    /// ask).
    pub(crate) fn reach(&self) -> f64 {
        match self.channel {
            ContactChannel::Phone => call_hour(self.local_hour),
            channel => read_rate(channel),
        }
    }
}

/// Whether a rendered message in language `sent` serves a debtor whose language is `spoken`:
/// the same language, by its primary subtag (`es-CO` is served by `es`), without case.
pub(crate) fn same_language(sent: &str, spoken: &str) -> bool {
    let primary = |tag: &str| tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    primary(sent) == primary(spoken)
}

#[cfg(test)]
mod tests;
