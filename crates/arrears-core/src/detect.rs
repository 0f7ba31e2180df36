//! Detectors: red flags derived from the books (issue 18 point 3).
//!
//! Each detector is a pure function of an account's history as of a day and the policy's
//! `[detectors]` parameters ([`DetectorPolicy`]). It answers whether its signal fires and,
//! when it does, the figures that fired it as text (the evidence kept with the signal). The
//! engine runs them for the debtors it reviews and records a signal only when it is raised or
//! cleared, with the source `detector:NAME`.
//!
//! | detector | signal | fires when |
//! |---|---|---|
//! | `buying_pattern` | `purchase_pattern_change` | the charges of the recent window, per day, are below `drop_ratio` (or above `surge_ratio`) times those of the baseline window before it |
//! | `returns_pattern` | `returns_pattern_change` | credit notes are at least `share_min` of the recent window's charges and at least `ratio` times the baseline's share |
//! | `payment_drift` | `payment_drift` | the mean days from due date to payment of the last `obligations` paid obligations exceed those of the ones before by at least `days_min` |
//! | `extension_requests` | `extension_request` | at least `requests_min` promises, plans or agent outcomes asking for time in the last `window_days` |
//! | `unreturned_calls` | `unreturned_calls` | at least `calls_min` outbound calls in the last `window_days`, and no contact with the debtor since the first of them |

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::case::{ContactAttempt, ContactOutcome};
use crate::ledger::{AccountState, Event, EventKind};
use crate::model::{Component, ContactChannel, ObligationKind};
use crate::policy::Signal;

/// Longest window a detector looks back over, in days.
pub const DETECTOR_WINDOW_DAYS_MAX: u32 = 3650;

/// The policy's `[detectors]` section: each detector's parameters, with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DetectorPolicy {
    /// Days a raised signal stays in force unless cleared earlier (a detector that still
    /// fires after it raises the signal again). Default 60.
    pub decay_days: u32,
    /// `[detectors.buying_pattern]`.
    pub buying: BuyingPattern,
    /// `[detectors.returns_pattern]`.
    pub returns: ReturnsPattern,
    /// `[detectors.payment_drift]`.
    pub drift: PaymentDrift,
    /// `[detectors.extension_requests]`.
    pub extension: ExtensionRequests,
    /// `[detectors.unreturned_calls]`.
    pub unreturned: UnreturnedCalls,
}

/// Charge volume in a recent window against a trailing baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuyingPattern {
    /// The recent window, in days. Default 30.
    pub recent_days: u32,
    /// The baseline window just before it, in days. Default 90.
    pub baseline_days: u32,
    /// Fires when the recent volume per day is below this share of the baseline's. Default 0.5.
    pub drop_ratio: Decimal,
    /// Fires when the recent volume per day is above this multiple of the baseline's
    /// (stocking up before a failure). Default 3.
    pub surge_ratio: Decimal,
    /// The fewest charges the baseline needs for the comparison to mean anything. Default 3.
    pub baseline_charges_min: u32,
}

/// Credit notes against charges, recent against baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReturnsPattern {
    /// The recent window, in days. Default 30.
    pub recent_days: u32,
    /// The baseline window just before it, in days. Default 90.
    pub baseline_days: u32,
    /// The smallest share of the recent charges credited that fires. Default 0.1.
    pub share_min: Decimal,
    /// How many times the baseline's share the recent share must be. Default 2.
    pub ratio: Decimal,
}

/// Days from due date to payment, trending up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentDrift {
    /// How many paid obligations each mean takes (the last ones, and the ones before).
    /// Default 3.
    pub obligations: u32,
    /// The smallest rise of the mean, in days, that fires. Default 10.
    pub days_min: u32,
}

/// Requests for more time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtensionRequests {
    /// The window, in days. Default 60.
    pub window_days: u32,
    /// The fewest requests that fire. Default 2.
    pub requests_min: u32,
}

/// Calls the debtor does not return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnreturnedCalls {
    /// The window, in days. Default 30.
    pub window_days: u32,
    /// The fewest outbound calls that fire. Default 3.
    pub calls_min: u32,
}

impl Default for DetectorPolicy {
    fn default() -> Self {
        DetectorPolicy {
            decay_days: 60,
            buying: BuyingPattern {
                recent_days: 30,
                baseline_days: 90,
                drop_ratio: Decimal::new(5, 1),
                surge_ratio: Decimal::from(3),
                baseline_charges_min: 3,
            },
            returns: ReturnsPattern {
                recent_days: 30,
                baseline_days: 90,
                share_min: Decimal::new(1, 1),
                ratio: Decimal::from(2),
            },
            drift: PaymentDrift { obligations: 3, days_min: 10 },
            extension: ExtensionRequests { window_days: 60, requests_min: 2 },
            unreturned: UnreturnedCalls { window_days: 30, calls_min: 3 },
        }
    }
}

impl DetectorPolicy {
    /// A fingerprint of every parameter, stable across Rust releases and platforms: a
    /// [`Fingerprint`] of the fields in declaration order, each `u32` as its 4 little-endian
    /// bytes and each decimal as its normalized text (`0.5`, never `0.50`), length first. A
    /// field added to the policy must be added here (the pattern below does not compile
    /// without it), which changes the fingerprint of every policy: the detectors then run
    /// again once for every debtor, as after any change of the `[detectors]` section.
    pub fn fingerprint(&self) -> u64 {
        let DetectorPolicy { decay_days, buying, returns, drift, extension, unreturned } = self;
        let BuyingPattern {
            recent_days,
            baseline_days,
            drop_ratio,
            surge_ratio,
            baseline_charges_min,
        } = buying;
        let mut print = Fingerprint::new()
            .u32(*decay_days)
            .u32(*recent_days)
            .u32(*baseline_days)
            .decimal(drop_ratio)
            .decimal(surge_ratio)
            .u32(*baseline_charges_min);
        let ReturnsPattern { recent_days, baseline_days, share_min, ratio } = returns;
        print = print.u32(*recent_days).u32(*baseline_days).decimal(share_min).decimal(ratio);
        let PaymentDrift { obligations, days_min } = drift;
        let ExtensionRequests { window_days, requests_min } = extension;
        print = print.u32(*obligations).u32(*days_min).u32(*window_days).u32(*requests_min);
        let UnreturnedCalls { window_days, calls_min } = unreturned;
        print.u32(*window_days).u32(*calls_min).finish()
    }
}

/// A 64-bit FNV-1a hash (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`) over a
/// canonical byte encoding of what it is fed, for fingerprints the store keeps
/// ([`DetectionMark::inputs`]). Unlike `std`'s `DefaultHasher`, whose algorithm Rust does not
/// promise to keep, and `Hash` implementations, whose bytes may differ by release and
/// platform, its value is fixed forever: the tests pin it.
///
/// ```
/// use arrears_core::detect::Fingerprint;
/// assert_eq!(Fingerprint::new().finish(), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(Fingerprint::new().bytes(b"a").finish(), 0xaf63_dc4c_8601_ec8c);
/// // Text is fed with its length first, so ("ab", "c") and ("a", "bc") differ.
/// assert_ne!(
///     Fingerprint::new().text("ab").text("c").finish(),
///     Fingerprint::new().text("a").text("bc").finish()
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint::new()
    }
}

impl Fingerprint {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// The hash of nothing yet.
    pub const fn new() -> Fingerprint {
        Fingerprint(Fingerprint::OFFSET_BASIS)
    }

    /// Feeds raw bytes, as they are (no length: callers that feed several variable-length
    /// values use [`Fingerprint::text`] or feed the length first).
    #[must_use]
    pub fn bytes(self, bytes: &[u8]) -> Fingerprint {
        Fingerprint(
            bytes.iter().fold(self.0, |hash, byte| {
                (hash ^ u64::from(*byte)).wrapping_mul(Fingerprint::PRIME)
            }),
        )
    }

    /// Feeds a `u32` as its 4 little-endian bytes.
    #[must_use]
    pub fn u32(self, value: u32) -> Fingerprint {
        self.bytes(&value.to_le_bytes())
    }

    /// Feeds a `u64` as its 8 little-endian bytes.
    #[must_use]
    pub fn u64(self, value: u64) -> Fingerprint {
        self.bytes(&value.to_le_bytes())
    }

    /// Feeds text as its length in bytes (a `u64`) then its UTF-8 bytes.
    #[must_use]
    pub fn text(self, text: &str) -> Fingerprint {
        self.u64(text.len() as u64).bytes(text.as_bytes())
    }

    /// Feeds a date as its day number from 0001-01-01 (day 1), 4 little-endian bytes.
    #[must_use]
    pub fn date(self, date: NaiveDate) -> Fingerprint {
        use chrono::Datelike;
        self.bytes(&date.num_days_from_ce().to_le_bytes())
    }

    /// Feeds an optional value: a 0 byte for none, else a 1 byte and the value as `feed`
    /// feeds it.
    #[must_use]
    pub fn option<T>(
        self,
        value: Option<T>,
        feed: impl FnOnce(Fingerprint, T) -> Fingerprint,
    ) -> Fingerprint {
        match value {
            None => self.bytes(&[0]),
            Some(value) => feed(self.bytes(&[1]), value),
        }
    }

    /// Feeds a decimal as the text of its normalized value (equal decimals feed the same).
    #[must_use]
    pub fn decimal(self, value: &Decimal) -> Fingerprint {
        self.text(&value.normalize().to_string())
    }

    /// The hash.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// A detector, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Detector {
    /// Charge volume against a baseline.
    BuyingPattern,
    /// Credit notes against charges.
    ReturnsPattern,
    /// Days to pay trending up.
    PaymentDrift,
    /// Promises, plans and agent outcomes asking for time.
    ExtensionRequests,
    /// Calls with no contact back.
    UnreturnedCalls,
}

impl Detector {
    /// Every detector, in the order they run and report.
    pub const ALL: [Detector; 5] = [
        Detector::BuyingPattern,
        Detector::ReturnsPattern,
        Detector::PaymentDrift,
        Detector::ExtensionRequests,
        Detector::UnreturnedCalls,
    ];

    /// The name (`buying_pattern`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Detector::BuyingPattern => "buying_pattern",
            Detector::ReturnsPattern => "returns_pattern",
            Detector::PaymentDrift => "payment_drift",
            Detector::ExtensionRequests => "extension_requests",
            Detector::UnreturnedCalls => "unreturned_calls",
        }
    }

    /// The source a signal it raises carries (`detector:buying_pattern`).
    pub fn source(self) -> String {
        format!("detector:{}", self.name())
    }

    /// The detector whose source this is, if any.
    pub fn from_source(source: &str) -> Option<Detector> {
        let name = source.strip_prefix("detector:")?;
        Detector::ALL.into_iter().find(|detector| detector.name() == name)
    }

    /// The signal it raises.
    pub fn signal(self) -> Signal {
        match self {
            Detector::BuyingPattern => Signal::PurchasePatternChange,
            Detector::ReturnsPattern => Signal::ReturnsPatternChange,
            Detector::PaymentDrift => Signal::PaymentDrift,
            Detector::ExtensionRequests => Signal::ExtensionRequest,
            Detector::UnreturnedCalls => Signal::UnreturnedCalls,
        }
    }
}

/// What the detectors read of one account as of a day.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    /// The day.
    pub as_of: NaiveDate,
    /// The account's ledger events (any order; those after `as_of` are ignored).
    pub events: &'a [Event],
    /// The account's state as of `as_of`, whole (cold parts merged).
    pub state: &'a AccountState,
    /// The debtor's contact history (attempts about other accounts are ignored).
    pub contacts: &'a [ContactAttempt],
    /// The account.
    pub account: crate::ids::AccountId,
    /// The days the debtor asked for time: promises made, plans created, agent outcomes.
    pub time_requests_on: &'a [NaiveDate],
}

/// What a run of the detectors for a debtor leaves for the next run, on the debtor's credit
/// standing ([`crate::credit::CreditStanding::detected`]): the engine runs them again only when
/// their inputs changed or a day came on which their findings can change with no new input
/// (a charge leaving a window, a signal decaying). The findings of a day the mark holds for
/// are those of its day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectionMark {
    /// The day of the run.
    pub on: NaiveDate,
    /// The first day after it on which the findings or the signals in force can change with
    /// the same inputs ([`next_change`], and the days the debtor's signals start or stop
    /// counting); `None`: no such day.
    pub until: Option<NaiveDate>,
    /// A fingerprint of the inputs the engine read: the policy's `[detectors]`
    /// ([`DetectorPolicy::fingerprint`]), each account's last ledger entry, its promise, plan
    /// and extension days, the debtor's contact count and signals, hashed with
    /// [`Fingerprint`] (FNV-1a over a canonical encoding, stable across Rust releases). Only
    /// ever compared for equality; a different fingerprint means a new run. Marks stored
    /// before the fingerprint was stable (it hashed with `std`'s `DefaultHasher`) simply no
    /// longer match: the detectors run once more for each such debtor and leave a new mark,
    /// recording nothing new unless the findings changed.
    pub inputs: u64,
}

impl DetectionMark {
    /// True if and only if a run on `as_of` over inputs of fingerprint `inputs` would find
    /// what the marked run found: the same inputs, on or after its day and before `until`.
    pub fn holds(&self, as_of: NaiveDate, inputs: u64) -> bool {
        self.inputs == inputs && self.on <= as_of && self.until.is_none_or(|until| as_of < until)
    }
}

/// The first day after `history.as_of` on which [`detect`] can find otherwise in the same
/// history: a day an event, a payment, a contact attempt or a request for time starts to
/// count, or leaves a detector's window (`None`: no such day). Between `as_of` and that day
/// the findings, and their evidence, are those of `as_of`. `history.time_requests_on` may
/// hold days after `as_of` (the detectors ignore them until their day); it should, for them
/// to count here.
pub fn next_change(policy: &DetectorPolicy, history: &History<'_>) -> Option<NaiveDate> {
    let after = history.as_of;
    let mut next: Option<NaiveDate> = None;
    let mut consider = |on: NaiveDate, days: u32| {
        let Some(on) = on.checked_add_days(chrono::Days::new(days.into())) else { return };
        if on > after && next.is_none_or(|next| on < next) {
            next = Some(on);
        }
    };
    // A dated amount counts from its day, leaves the recent window `recent` days later and
    // the baseline `recent + baseline` days later.
    let spans = [
        (policy.buying.recent_days, policy.buying.baseline_days),
        (policy.returns.recent_days, policy.returns.baseline_days),
    ];
    for event in history.events {
        consider(event.effective_on, 0);
        for (recent, baseline) in spans {
            consider(event.effective_on, recent);
            consider(event.effective_on, recent.saturating_add(baseline));
        }
    }
    for payment in history.state.payments.values() {
        consider(payment.paid_on, 0);
        payment.reversed_on.into_iter().for_each(|on| consider(on, 0));
    }
    for attempt in history.contacts {
        consider(attempt.at.date_naive(), 0);
        consider(attempt.at.date_naive(), policy.unreturned.window_days);
    }
    for on in history.time_requests_on {
        consider(*on, 0);
        consider(*on, policy.extension.window_days);
    }
    next
}

/// A detector that fired: the figures that fired it, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The detector.
    pub detector: Detector,
    /// The figures (`charges 1200 in 30 days against 9000 in 90 days: ratio 0.40 < 0.5`).
    pub evidence: String,
}

/// Runs every detector on `history`; returns those that fire, in [`Detector::ALL`] order.
pub fn detect(policy: &DetectorPolicy, history: &History<'_>) -> Vec<Finding> {
    Detector::ALL
        .into_iter()
        .filter_map(|detector| {
            let evidence = match detector {
                Detector::BuyingPattern => buying_pattern(&policy.buying, history),
                Detector::ReturnsPattern => returns_pattern(&policy.returns, history),
                Detector::PaymentDrift => payment_drift(&policy.drift, history),
                Detector::ExtensionRequests => extension_requests(&policy.extension, history),
                Detector::UnreturnedCalls => unreturned_calls(&policy.unreturned, history),
            }?;
            Some(Finding { detector, evidence })
        })
        .collect()
}

/// The recent window `(as_of - recent, as_of]` and the baseline `(.. - baseline, .. - recent]`.
fn windows(as_of: NaiveDate, recent_days: u32, baseline_days: u32) -> [(NaiveDate, NaiveDate); 2] {
    let recent_from = crate::dates::days_before(as_of, recent_days.into());
    let baseline_from = crate::dates::days_before(recent_from, baseline_days.into());
    [(recent_from, as_of), (baseline_from, recent_from)]
}

fn within(on: NaiveDate, (after, through): (NaiveDate, NaiveDate)) -> bool {
    after < on && on <= through
}

/// Principal charged for sales (invoices, purchases, installments; not fees or interest),
/// as `(day, minor units)`.
fn sales(events: &[Event]) -> impl Iterator<Item = (NaiveDate, i64)> + '_ {
    events.iter().filter_map(|event| match &event.kind {
        EventKind::Charge { kind, amounts_minor, .. }
            if !matches!(
                kind,
                ObligationKind::Fee | ObligationKind::Interest | ObligationKind::Refund
            ) =>
        {
            Some((event.effective_on, amounts_minor[Component::Principal.index()]))
        }
        _ => None,
    })
}

/// The buying-pattern detector: recent charges per day against the baseline's.
pub fn buying_pattern(params: &BuyingPattern, history: &History<'_>) -> Option<String> {
    let [recent, baseline] = windows(history.as_of, params.recent_days, params.baseline_days);
    let mut totals = [0_i64; 2];
    let mut baseline_charges = 0_u32;
    for (on, amount) in sales(history.events) {
        if within(on, recent) {
            totals[0] += amount;
        } else if within(on, baseline) {
            totals[1] += amount;
            baseline_charges += 1;
        }
    }
    if baseline_charges < params.baseline_charges_min || totals[1] <= 0 {
        return None;
    }
    // recent / recent_days against baseline / baseline_days, exactly.
    let ratio = Decimal::from(totals[0]) * Decimal::from(params.baseline_days)
        / (Decimal::from(totals[1]) * Decimal::from(params.recent_days));
    let (fired, bound) = if ratio < params.drop_ratio {
        ("<", params.drop_ratio)
    } else if ratio > params.surge_ratio {
        (">", params.surge_ratio)
    } else {
        return None;
    };
    Some(format!(
        "charges {} minor in {} days against {} minor in {} days before: ratio {} {fired} {bound}",
        totals[0],
        params.recent_days,
        totals[1],
        params.baseline_days,
        ratio.round_dp(2).normalize(),
    ))
}

/// The returns-pattern detector: the share of charges credited, recent against baseline.
pub fn returns_pattern(params: &ReturnsPattern, history: &History<'_>) -> Option<String> {
    let windows = windows(history.as_of, params.recent_days, params.baseline_days);
    let mut charged = [0_i64; 2];
    let mut credited = [0_i64; 2];
    for (on, amount) in sales(history.events) {
        for (index, window) in windows.iter().enumerate() {
            if within(on, *window) {
                charged[index] += amount;
            }
        }
    }
    for event in history.events {
        if let EventKind::CreditNote { amount_minor, .. } = &event.kind {
            for (index, window) in windows.iter().enumerate() {
                if within(event.effective_on, *window) {
                    credited[index] += amount_minor;
                }
            }
        }
    }
    if charged[0] <= 0 || credited[0] <= 0 {
        return None;
    }
    let share = |index: usize| {
        if charged[index] <= 0 {
            Decimal::ZERO
        } else {
            Decimal::from(credited[index]) / Decimal::from(charged[index])
        }
    };
    let (recent, baseline) = (share(0), share(1));
    if recent < params.share_min || recent < baseline * params.ratio {
        return None;
    }
    Some(format!(
        "credit notes {} minor of {} minor charged in {} days (share {}) against {} of {} in {} days before (share {})",
        credited[0],
        charged[0],
        params.recent_days,
        recent.round_dp(2).normalize(),
        credited[1],
        charged[1],
        params.baseline_days,
        baseline.round_dp(2).normalize(),
    ))
}

/// The days from due date to payment of each obligation paid in full by payments on or
/// before `as_of`, in the order they were paid (then by due date). An obligation settled
/// otherwise (waived, credited) has no payment day and is left out.
pub fn days_to_pay(state: &AccountState, as_of: NaiveDate) -> Vec<(NaiveDate, i64)> {
    let mut paid = Vec::new();
    for obligation in state.obligations.values() {
        if obligation.total_minor() != 0 {
            continue;
        }
        let paid_on = state
            .payments
            .values()
            .filter(|payment| !payment.reversed && payment.paid_on <= as_of)
            .filter(|payment| payment.allocated.keys().any(|(_, id, _)| *id == obligation.id))
            .map(|payment| payment.paid_on)
            .max();
        if let Some(paid_on) = paid_on {
            paid.push((paid_on, obligation.due_on, (paid_on - obligation.due_on).num_days()));
        }
    }
    paid.sort();
    paid.into_iter().map(|(paid_on, _, days)| (paid_on, days)).collect()
}

/// The payment-drift detector: the mean days to pay of the last `obligations` paid
/// obligations against the `obligations` before them.
pub fn payment_drift(params: &PaymentDrift, history: &History<'_>) -> Option<String> {
    let count = usize::try_from(params.obligations).ok()?.max(1);
    let paid = days_to_pay(history.state, history.as_of);
    if paid.len() < 2 * count {
        return None;
    }
    let last = &paid[paid.len() - count..];
    let before = &paid[paid.len() - 2 * count..paid.len() - count];
    let mean = |part: &[(NaiveDate, i64)]| {
        Decimal::from(part.iter().map(|(_, days)| days).sum::<i64>()) / Decimal::from(part.len())
    };
    let (last_mean, before_mean) = (mean(last), mean(before));
    if last_mean - before_mean < Decimal::from(params.days_min) {
        return None;
    }
    Some(format!(
        "mean days from due to payment {} over the last {count} paid obligations against {} over the {count} before: up {} >= {}",
        last_mean.round_dp(1).normalize(),
        before_mean.round_dp(1).normalize(),
        (last_mean - before_mean).round_dp(1).normalize(),
        params.days_min,
    ))
}

/// The extension-requests detector: promises, plans and agent outcomes asking for time.
pub fn extension_requests(params: &ExtensionRequests, history: &History<'_>) -> Option<String> {
    let from = crate::dates::days_before(history.as_of, params.window_days.into());
    let count =
        history.time_requests_on.iter().filter(|on| within(**on, (from, history.as_of))).count();
    if count == 0 || (count as u64) < u64::from(params.requests_min) {
        return None;
    }
    Some(format!(
        "{count} requests for time (promises, plans, agent outcomes) in {} days >= {}",
        params.window_days, params.requests_min,
    ))
}

/// The unreturned-calls detector: outbound calls about the account in the window, and no
/// contact with the debtor (on any channel, either way) since the first of them. A
/// delivered e-mail or letter is not a call, and is not contact back either.
pub fn unreturned_calls(params: &UnreturnedCalls, history: &History<'_>) -> Option<String> {
    let from = crate::dates::days_before(history.as_of, params.window_days.into());
    let about = |attempt: &&ContactAttempt| {
        attempt.accounts.contains(&history.account)
            && within(attempt.at.date_naive(), (from, history.as_of))
    };
    let calls: Vec<&ContactAttempt> = history
        .contacts
        .iter()
        .filter(about)
        .filter(|attempt| !attempt.inbound && attempt.channel == ContactChannel::Phone)
        .collect();
    if calls.is_empty() || (calls.len() as u64) < u64::from(params.calls_min) {
        return None;
    }
    let first = calls.iter().map(|call| call.at).min()?;
    let reached = history.contacts.iter().any(|attempt| {
        attempt.at >= first
            && attempt.at.date_naive() <= history.as_of
            && (attempt.inbound || contact_made(attempt.outcome))
    });
    if reached {
        return None;
    }
    Some(format!(
        "{} calls in {} days since {}, no contact back",
        calls.len(),
        params.window_days,
        first.date_naive(),
    ))
}

/// True if and only if the attempt reached the debtor.
fn contact_made(outcome: ContactOutcome) -> bool {
    outcome.is_right_party()
}

#[cfg(test)]
mod tests;
