//! A seeded synthetic portfolio: debtors in several jurisdictions and time zones, their
//! accounts (cards, installment loans, trade credit) and how each debtor behaves.
//!
//! Everything comes from one [`SplitMix64`] stream seeded by the caller, so the same seed
//! gives the same portfolio, byte for byte. No `rand` crate: the generator is ten lines and
//! its output is stable across platforms and versions.

use arrears::model::{
    ContactChannel, ContactPoint, ContactPointKind, DebtorFlags, DebtorKind, Jurisdiction,
    LateFeeRule, ProductKind, Terms,
};
use arrears::policy::Signal;

/// SplitMix64 (Steele, Lea and Flood, 2014; the seeding generator of xoshiro): a 64-bit state
/// advanced by the golden-ratio increment and mixed by two multiply-xorshift rounds. It passes
/// BigCrush, is trivially seedable (any seed, zero included) and is deterministic everywhere.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// An independent stream for one purpose (one debtor, one day), derived from a seed and a
    /// label, so that adding draws in one place does not shift every other.
    pub(crate) fn derive(seed: u64, label: u64) -> SplitMix64 {
        let mut mixer = SplitMix64::new(seed ^ label.wrapping_mul(0xD1B5_4A32_D192_ED03));
        SplitMix64(mixer.next_u64())
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `low..=high`.
    pub(crate) fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1).max(1) as u64;
        low + (self.next_u64() % span) as i64
    }

    /// Uniform in [low, high).
    pub(crate) fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// One of `items` by weight.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, weight)| weight).sum();
        let mut left = (self.next_u64() % u64::from(total.max(1))) as u32;
        for (item, weight) in items {
            if left < *weight {
                return item;
            }
            left -= weight;
        }
        &items[items.len() - 1].0
    }
}

/// Channels in a fixed order, for per-channel arrays.
pub(crate) const CHANNELS: [ContactChannel; 5] = [
    ContactChannel::Phone,
    ContactChannel::Sms,
    ContactChannel::Email,
    ContactChannel::Postal,
    ContactChannel::Messaging,
];

pub(crate) fn channel_index(channel: ContactChannel) -> usize {
    CHANNELS.iter().position(|candidate| *candidate == channel).unwrap_or(0)
}

/// How a debtor behaves.
#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    /// Probability of paying each bill in full by its due date.
    pub(crate) on_time: f64,
    /// Probability per day of paying something unprompted once past due.
    pub(crate) self_cure: f64,
    /// Per channel (order of [`CHANNELS`]): for a call, the probability of picking up when
    /// reachable at the best hour; for a message, of acting on it once read. The response
    /// model ([`super::response`]) scales both by the channel, hour, language, tone and age.
    pub(crate) sensitivity: [f64; 5],
    /// Local hours (inclusive start, exclusive end) when the debtor answers the phone.
    pub(crate) reachable: (u32, u32),
    /// Probability of agreeing to pay in a conversation.
    pub(crate) willingness: f64,
    /// Probability of keeping a promise.
    pub(crate) promise_reliability: f64,
    /// The day (from the start) a hardship shock hits, if any: from then on the debtor pays
    /// far less often for about two months.
    pub(crate) shock_day: Option<i64>,
    /// A trade debtor that goes bad: the day (from the start) it stops paying for good.
    pub(crate) default_day: Option<i64>,
    /// Red flags a monitoring service reports about a business debtor: the day (from the
    /// start) each is observed, and the signal. Before a default, most come weeks ahead; a few
    /// good debtors show one too (a false alarm).
    pub(crate) red_flags: Vec<(i64, Signal)>,
}

/// An account of a simulated debtor.
#[derive(Debug, Clone)]
pub(crate) struct SimAccount {
    pub(crate) reference: String,
    pub(crate) product: ProductKind,
    pub(crate) credit_limit_minor: Option<i64>,
    pub(crate) terms: Terms,
    /// Day of the month bills are issued (1 to 28).
    pub(crate) cycle_day: u32,
    /// Days from issue to due date.
    pub(crate) due_days: i64,
    /// Typical bill, minor units.
    pub(crate) bill_minor: i64,
    /// Bills left on an installment loan.
    pub(crate) installments: u32,
}

/// A simulated debtor.
#[derive(Debug, Clone)]
pub(crate) struct SimDebtor {
    pub(crate) reference: String,
    pub(crate) name: String,
    pub(crate) kind: DebtorKind,
    pub(crate) jurisdiction: Jurisdiction,
    pub(crate) time_zone: String,
    pub(crate) language: String,
    pub(crate) contact_points: Vec<ContactPoint>,
    pub(crate) behaviour: Behaviour,
    pub(crate) account: SimAccount,
}

/// Where debtors live: country, region, time zone, language, weight.
const PLACES: [(&str, Option<&str>, &str, &str, u32); 11] = [
    ("US", Some("TX"), "America/Chicago", "en", 14),
    ("US", Some("CA"), "America/Los_Angeles", "en", 12),
    ("US", Some("FL"), "America/New_York", "en", 10),
    ("US", Some("NYC"), "America/New_York", "en", 8),
    ("US", Some("MA"), "America/New_York", "en", 6),
    ("US", Some("IL"), "America/Chicago", "en", 6),
    ("US", Some("AZ"), "America/Phoenix", "en", 4),
    ("CO", None, "America/Bogota", "es", 10),
    ("MX", None, "America/Mexico_City", "es", 14),
    ("CL", None, "America/Santiago", "es", 8),
    ("PE", None, "America/Lima", "es", 8),
];

const FIRST: [&str; 12] = [
    "Ana", "Luis", "Maria", "James", "Sofia", "Carlos", "Emily", "Jorge", "Lucia", "Daniel",
    "Grace", "Mateo",
];
const LAST: [&str; 12] = [
    "Garcia", "Smith", "Rojas", "Johnson", "Torres", "Brown", "Silva", "Miller", "Vargas", "Davis",
    "Castro", "Lopez",
];

/// Generates `accounts` debtors with one account each.
pub(crate) fn portfolio(seed: u64, accounts: usize) -> Vec<SimDebtor> {
    (0..accounts).map(|index| debtor(seed, index)).collect()
}

fn debtor(seed: u64, index: usize) -> SimDebtor {
    let mut rng = SplitMix64::derive(seed, index as u64);
    let places = PLACES.map(|place| (place, place.4));
    let (country, region, zone, language, _) = *rng.pick(&places);
    let product = *rng.pick(&[
        (ProductKind::Revolving, 50),
        (ProductKind::Installment, 30),
        (ProductKind::TradeCredit, 20),
    ]);
    let kind =
        if product == ProductKind::TradeCredit { DebtorKind::Business } else { DebtorKind::Person };
    let number = index + 1;
    let name = if kind == DebtorKind::Business {
        format!("{} {} Supply {number}", LAST[rng.range(0, 11) as usize], FIRST[number % 12])
    } else {
        format!("{} {}", FIRST[rng.range(0, 11) as usize], LAST[rng.range(0, 11) as usize])
    };
    let reference = format!("SIM-D{number:06}");
    let phone = format!("+1555{number:07}");
    let mut contact_points = vec![
        ContactPoint {
            channel: ContactChannel::Email,
            address: format!("debtor{number}@example.com"),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: rng.chance(0.03),
        },
        ContactPoint {
            channel: ContactChannel::Phone,
            address: phone.clone(),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        },
        ContactPoint {
            channel: ContactChannel::Sms,
            address: phone.clone(),
            kind: ContactPointKind::Personal,
            consent: rng.chance(0.8),
            opted_out: false,
        },
        ContactPoint {
            channel: ContactChannel::Postal,
            address: format!("{number} Main St, {}", region.unwrap_or(country)),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        },
    ];
    if country != "US" || rng.chance(0.3) {
        contact_points.push(ContactPoint {
            channel: ContactChannel::Messaging,
            address: phone,
            kind: ContactPointKind::Personal,
            consent: rng.chance(0.85),
            opted_out: false,
        });
    }
    // Segments: most pay every bill; a few are fragile; a handful rarely pay at all.
    let segment = rng.unit();
    let on_time = if segment < 0.80 {
        rng.between(0.985, 0.999)
    } else if segment < 0.95 {
        rng.between(0.85, 0.95)
    } else {
        rng.between(0.4, 0.7)
    };
    let day_person = rng.unit();
    let reachable = if day_person < 0.35 {
        (8, 17)
    } else if day_person < 0.75 {
        (17, 21)
    } else {
        (8, 21)
    };
    let behaviour = Behaviour {
        on_time,
        self_cure: rng.between(0.005, 0.04) * on_time,
        // A call: the chance of answering in reachable hours at the best hour. A message:
        // the chance of acting on it once read (docs/DEMO.md, "How the simulated debtors
        // respond": the reach of each channel is the response model's).
        sensitivity: [
            rng.between(0.2, 0.8),
            rng.between(0.05, 0.35),
            rng.between(0.05, 0.35),
            rng.between(0.05, 0.35),
            rng.between(0.05, 0.35),
        ],
        reachable,
        willingness: rng.between(0.3, 0.9) * on_time.sqrt(),
        promise_reliability: rng.between(0.4, 0.95),
        shock_day: rng.chance(0.02).then(|| rng.range(0, 180)),
        default_day: None,
        red_flags: Vec::new(),
    };
    let behaviour = if product == ProductKind::TradeCredit {
        trade_distress(behaviour, seed, index)
    } else {
        behaviour
    };
    let (bill_minor, credit_limit_minor, terms, due_days, installments) = match product {
        ProductKind::Revolving => {
            let limit = rng.range(5, 100) * 10_000;
            (
                (limit as f64 * rng.between(0.03, 0.12)) as i64,
                Some(limit * 3),
                Terms {
                    grace_days: 3,
                    late_fee: LateFeeRule::Flat { amount_minor: 25_00 },
                    ..Terms::default()
                },
                25,
                0,
            )
        }
        ProductKind::Installment => (
            rng.range(80, 900) * 100,
            None,
            Terms {
                grace_days: 5,
                late_fee: LateFeeRule::Flat { amount_minor: 15_00 },
                ..Terms::default()
            },
            20,
            rng.range(12, 48) as u32,
        ),
        _ => (rng.range(5, 200) * 50_00, None, Terms::default(), 30, 0),
    };
    SimDebtor {
        reference,
        name,
        kind,
        jurisdiction: Jurisdiction {
            country: country.to_owned(),
            region: region.map(str::to_owned),
        },
        time_zone: zone.to_owned(),
        language: language.to_owned(),
        contact_points,
        behaviour,
        account: SimAccount {
            reference: format!("SIM-A{number:06}"),
            product,
            credit_limit_minor,
            terms,
            cycle_day: rng.range(1, 28) as u32,
            due_days,
            bill_minor,
            installments,
        },
    }
}

/// Share of trade debtors that go bad in the period.
const TRADE_DEFAULT_SHARE: f64 = 0.10;
/// Share of those whose red flags show before they stop paying (the rest go bad unannounced).
const FLAGGED_DEFAULT_SHARE: f64 = 0.85;
/// Share of good trade debtors that show one red flag anyway (a false alarm).
const FALSE_ALARM_SHARE: f64 = 0.04;
/// The warning signs that come first (weeks ahead) and those that come last.
const EARLY_FLAGS: [(Signal, u32); 2] = [(Signal::StaffTurnover, 1), (Signal::AssetSales, 1)];
const LATE_FLAGS: [(Signal, u32); 2] =
    [(Signal::LateFiling, 1), (Signal::ManagementResignation, 1)];
const FALSE_ALARMS: [(Signal, u32); 3] =
    [(Signal::StaffTurnover, 2), (Signal::AssetSales, 1), (Signal::LateFiling, 1)];

/// Whether a trade debtor goes bad, when, and the red flags a monitoring service reports
/// before. Drawn from a stream of its own, so that the rest of the portfolio is the same as
/// without it.
fn trade_distress(mut behaviour: Behaviour, seed: u64, index: usize) -> Behaviour {
    let mut rng = SplitMix64::derive(seed ^ 0xD15_7E55, index as u64);
    if rng.chance(TRADE_DEFAULT_SHARE) {
        let default_day = rng.range(75, 160);
        behaviour.default_day = Some(default_day);
        if rng.chance(FLAGGED_DEFAULT_SHARE) {
            behaviour.red_flags = vec![
                (default_day - rng.range(42, 70), *rng.pick(&EARLY_FLAGS)),
                (default_day - rng.range(14, 35), *rng.pick(&LATE_FLAGS)),
            ];
        }
    } else if rng.chance(FALSE_ALARM_SHARE) {
        behaviour.red_flags = vec![(rng.range(0, 170), *rng.pick(&FALSE_ALARMS))];
    }
    behaviour
}

/// The flags every simulated debtor starts with.
pub(crate) fn flags() -> DebtorFlags {
    DebtorFlags::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation by Vigna).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn the_same_seed_gives_the_same_portfolio() {
        let a = portfolio(7, 50);
        let b = portfolio(7, 50);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(format!("{a:?}"), format!("{:?}", portfolio(8, 50)));
    }

    #[test]
    fn only_trade_debtors_go_bad_and_their_flags_come_first() {
        let debtors = portfolio(42, 3000);
        let trade = |debtor: &&SimDebtor| debtor.account.product == ProductKind::TradeCredit;
        let bad: Vec<&SimDebtor> =
            debtors.iter().filter(|debtor| debtor.behaviour.default_day.is_some()).collect();
        assert!(bad.iter().all(trade));
        assert!(bad.len() > 20 && bad.len() < 100, "{} trade debtors go bad", bad.len());
        for debtor in &bad {
            let default_day = debtor.behaviour.default_day.unwrap_or_default();
            assert!(debtor.behaviour.red_flags.iter().all(|(day, _)| *day < default_day - 7));
        }
        let flagged_bad = bad.iter().filter(|debtor| !debtor.behaviour.red_flags.is_empty());
        let false_alarms = debtors.iter().filter(|debtor| {
            debtor.behaviour.default_day.is_none() && !debtor.behaviour.red_flags.is_empty()
        });
        let (flagged_bad, false_alarms) = (flagged_bad.count(), false_alarms.count());
        assert!(flagged_bad * 10 > bad.len() * 7, "{flagged_bad} of {} flagged", bad.len());
        assert!(false_alarms > 0 && false_alarms < flagged_bad, "{false_alarms} false alarms");
    }
}
