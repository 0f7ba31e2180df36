//! A contact strategy plugin: escalates channels by stage and score, and picks the send hour
//! from the debtor's contact history.
//!
//! - The policy stage gives the steps (channel and template id), most urgent first. The
//!   ladder reorders them by score: below `low_score`, voice first; at or above `high_score`,
//!   digital (e-mail, SMS, messaging) first; otherwise the stage's order.
//! - A channel tried `unanswered_max` times in the last 14 days without reaching the right
//!   party is skipped for the next one (escalation), unless nothing else is left.
//! - An address is used only if not opted out and, for SMS and messaging, consented (the
//!   engine checks again).
//! - The hour is the one of the review day's weekday, inside the calling window, with the best
//!   right-party-contact rate in the history (smoothed, so that untried hours keep a chance),
//!   in the debtor's local time; with no history, `default_local_hour`.
//!
//! Configuration is TOML (every key optional):
//!
//! ```toml
//! default_local_hour = 10
//! window_start_hour = 8
//! window_end_hour = 20
//! low_score = 450.0
//! high_score = 650.0
//! unanswered_max = 3
//! ```

use arrears_plugin_sdk::abi::{
    self, CHANNEL_EMAIL, CHANNEL_MESSAGING, CHANNEL_PHONE, CHANNEL_SMS, TEMPLATE_BYTES_MAX,
};
use arrears_plugin_sdk::{declare_plugin, ContactRequestView, Host, Plugin, PluginError, Proposal};

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
const HOURS_PER_WEEK: usize = 168;
/// How far back unanswered attempts count towards escalation.
const ESCALATION_WINDOW_DAYS: i64 = 14;

/// The ladder's settings.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LadderConfig {
    /// The local hour used when the history says nothing.
    pub default_local_hour: u32,
    /// First local hour contacts may be made.
    pub window_start_hour: u32,
    /// Local hour contacts must end by (exclusive).
    pub window_end_hour: u32,
    /// Below this score, voice comes first.
    pub low_score: f64,
    /// At or above this score, digital channels come first.
    pub high_score: f64,
    /// Unanswered attempts on a channel (14 days) before escalating past it.
    pub unanswered_max: u32,
}

impl Default for LadderConfig {
    fn default() -> LadderConfig {
        LadderConfig {
            default_local_hour: 10,
            window_start_hour: 8,
            window_end_hour: 20,
            low_score: 450.0,
            high_score: 650.0,
            unanswered_max: 3,
        }
    }
}

/// The plugin.
#[derive(Debug)]
pub struct ContactLadder {
    config: LadderConfig,
}

fn is_digital(channel: u32) -> bool {
    matches!(channel, CHANNEL_EMAIL | CHANNEL_SMS | CHANNEL_MESSAGING)
}

/// The day of week of a day number, 0 = Monday (1970-01-01 was a Thursday).
fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

impl ContactLadder {
    /// The ladder with `config`.
    ///
    /// # Errors
    ///
    /// [`PluginError::invalid_config`] for an empty or out-of-day calling window.
    pub fn new(config: LadderConfig) -> Result<ContactLadder, PluginError> {
        if 24 < config.window_end_hour
            || config.window_end_hour <= config.window_start_hour
            || 23 < config.default_local_hour
            || !config.low_score.is_finite()
            || !config.high_score.is_finite()
        {
            return Err(PluginError::invalid_config("calling window, hour or scores out of range"));
        }
        Ok(ContactLadder { config })
    }

    /// The best local hour on the review day for this request.
    fn local_hour(&self, request: &ContactRequestView<'_>) -> u32 {
        let offset_seconds = i64::from(request.raw.utc_offset_minutes) * 60;
        let mut attempts = [0u32; HOURS_PER_WEEK];
        let mut reached = [0u32; HOURS_PER_WEEK];
        for entry in request.history.iter().filter(|entry| entry.inbound == 0) {
            let local_seconds = entry.at_unix_us.div_euclid(MICROS_PER_SECOND) + offset_seconds;
            let day = local_seconds.div_euclid(SECONDS_PER_DAY);
            let hour = local_seconds.rem_euclid(SECONDS_PER_DAY) / 3600;
            let slot = (weekday(day) * 24 + hour) as usize;
            if let (Some(tried), Some(hit)) = (attempts.get_mut(slot), reached.get_mut(slot)) {
                *tried += 1;
                *hit += u32::from(entry.right_party == 1);
            }
        }
        let today = weekday(i64::from(request.raw.as_of_days));
        let mut best: Option<(f64, u32)> = None;
        for hour in self.config.window_start_hour..self.config.window_end_hour {
            let slot = (today * 24 + i64::from(hour)) as usize;
            let tried = attempts.get(slot).copied().unwrap_or(0);
            if tried == 0 {
                continue;
            }
            let hit = reached.get(slot).copied().unwrap_or(0);
            let rate = (f64::from(hit) + 1.0) / (f64::from(tried) + 2.0);
            if best.is_none_or(|(best_rate, _)| best_rate < rate) {
                best = Some((rate, hour));
            }
        }
        match best {
            Some((rate, hour)) if 0.5 <= rate => hour,
            _ => self.config.default_local_hour.clamp(
                self.config.window_start_hour,
                self.config.window_end_hour.saturating_sub(1),
            ),
        }
    }

    fn unanswered(&self, request: &ContactRequestView<'_>, channel: u32) -> u32 {
        let as_of_us = i64::from(request.raw.as_of_days) * SECONDS_PER_DAY * MICROS_PER_SECOND;
        let since_us = as_of_us - ESCALATION_WINDOW_DAYS * SECONDS_PER_DAY * MICROS_PER_SECOND;
        let recent = request.history.iter().filter(|entry| since_us <= entry.at_unix_us);
        let mut count = 0;
        for entry in recent {
            if entry.right_party == 1 || entry.inbound == 1 {
                count = 0;
            } else if entry.channel == channel {
                count += 1;
            }
        }
        count
    }
}

impl Plugin for ContactLadder {
    fn init(config: &str, _host: Host) -> Result<ContactLadder, PluginError> {
        let config: LadderConfig = toml::from_str(config).map_err(|error| {
            PluginError::invalid_config(format!("ladder configuration: {error}"))
        })?;
        ContactLadder::new(config)
    }

    fn propose(&self, request: &ContactRequestView<'_>) -> Result<Vec<Proposal>, PluginError> {
        let mut steps: Vec<(usize, u32, &str)> = request
            .steps
            .iter()
            .enumerate()
            .map(|(index, (channel, template))| (index, *channel, *template))
            .collect();
        // A stable sort keeps the stage's order within each group.
        match request.score() {
            Some(score) if score < self.config.low_score => {
                steps.sort_by_key(|(_, channel, _)| *channel != CHANNEL_PHONE);
            }
            Some(score) if self.config.high_score <= score => {
                steps.sort_by_key(|(_, channel, _)| !is_digital(*channel));
            }
            _ => {}
        }
        let usable = |channel: u32| {
            request.contact_points.iter().position(|point| {
                let needs_consent = matches!(channel, CHANNEL_SMS | CHANNEL_MESSAGING);
                point.channel == channel
                    && !point.opted_out
                    && (point.consent || !needs_consent)
                    && !point.address.is_empty()
            })
        };
        let candidates: Vec<(usize, u32, &str, usize)> = steps
            .iter()
            .filter(|(_, _, template)| {
                !template.is_empty() && template.len() <= TEMPLATE_BYTES_MAX && template.is_ascii()
            })
            .filter_map(|(index, channel, template)| {
                usable(*channel).map(|point| (*index, *channel, *template, point))
            })
            .collect();
        let fresh = candidates.iter().find(|(_, channel, _, _)| {
            self.unanswered(request, *channel) < self.config.unanswered_max
        });
        let Some((_, _, template, point)) = fresh.or(candidates.last()) else {
            return Ok(Vec::new());
        };
        let hour = i64::from(self.local_hour(request));
        let local_seconds = i64::from(request.raw.as_of_days) * SECONDS_PER_DAY + hour * 3600;
        let at_seconds = local_seconds - i64::from(request.raw.utc_offset_minutes) * 60;
        Ok(vec![Proposal {
            contact_point_index: *point,
            template: (*template).to_owned(),
            at_unix_us: at_seconds * MICROS_PER_SECOND,
        }])
    }
}

declare_plugin!(
    ContactLadder,
    name: "contact-ladder",
    version: env!("CARGO_PKG_VERSION"),
    capabilities: abi::CAPABILITY_CONTACT_STRATEGY
        | abi::CAPABILITY_THREAD_SAFE
        | abi::CAPABILITY_DETERMINISTIC,
);

#[cfg(test)]
mod tests;
