//! Loading the `[detectors]` section: the decay of detected signals and each detector's
//! parameters, every key optional (its default), every error located by line and field.

use rust_decimal::Decimal;
use toml::Spanned;

use super::super::raw::{RawCounted, RawDecimal, RawDetectors, RawDrift, RawWindowed};
use super::super::PolicyError;
use super::Loader;
use crate::detect::{
    BuyingPattern, DetectorPolicy, ExtensionRequests, PaymentDrift, ReturnsPattern,
    UnreturnedCalls, DETECTOR_WINDOW_DAYS_MAX,
};

/// The largest ratio a detector compares with.
const RATIO_MAX: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// The most paid obligations, requests or calls a detector counts.
const COUNT_MAX: u32 = 1000;

impl Loader<'_> {
    pub(super) fn detectors(
        &self,
        raw: Option<&Spanned<RawDetectors>>,
    ) -> Result<DetectorPolicy, PolicyError> {
        let mut policy = DetectorPolicy::default();
        let Some(raw) = raw.map(Spanned::get_ref) else { return Ok(policy) };
        let days = (1, DETECTOR_WINDOW_DAYS_MAX);
        policy.decay_days =
            self.count(raw.decay_days.as_ref(), "detectors.decay_days", days, policy.decay_days)?;
        if let Some(buying) = &raw.buying_pattern {
            policy.buying = self.buying(buying, &policy.buying)?;
        }
        if let Some(returns) = &raw.returns_pattern {
            policy.returns = self.returns(returns, &policy.returns)?;
        }
        if let Some(drift) = &raw.payment_drift {
            policy.drift = self.drift(drift, &policy.drift)?;
        }
        if let Some(extension) = &raw.extension_requests {
            policy.extension = self.extension(extension, &policy.extension)?;
        }
        if let Some(unreturned) = &raw.unreturned_calls {
            policy.unreturned = self.unreturned(unreturned, &policy.unreturned)?;
        }
        Ok(policy)
    }

    fn ratio(
        &self,
        value: Option<&Spanned<RawDecimal>>,
        field: &str,
        default: Decimal,
    ) -> Result<Decimal, PolicyError> {
        match value {
            Some(value) => self.decimal(value, field, Decimal::ZERO, RATIO_MAX),
            None => Ok(default),
        }
    }

    fn buying(
        &self,
        raw: &RawWindowed,
        default: &BuyingPattern,
    ) -> Result<BuyingPattern, PolicyError> {
        let section = "detectors.buying_pattern";
        self.only(raw.share_min.as_ref().map(Spanned::span), section, "share_min")?;
        self.only(raw.ratio.as_ref().map(Spanned::span), section, "ratio")?;
        let days = (1, DETECTOR_WINDOW_DAYS_MAX);
        Ok(BuyingPattern {
            recent_days: self.count(
                raw.recent_days.as_ref(),
                &format!("{section}.recent_days"),
                days,
                default.recent_days,
            )?,
            baseline_days: self.count(
                raw.baseline_days.as_ref(),
                &format!("{section}.baseline_days"),
                days,
                default.baseline_days,
            )?,
            drop_ratio: self.ratio(
                raw.drop_ratio.as_ref(),
                &format!("{section}.drop_ratio"),
                default.drop_ratio,
            )?,
            surge_ratio: self.ratio(
                raw.surge_ratio.as_ref(),
                &format!("{section}.surge_ratio"),
                default.surge_ratio,
            )?,
            baseline_charges_min: self.count(
                raw.baseline_charges_min.as_ref(),
                &format!("{section}.baseline_charges_min"),
                (1, COUNT_MAX),
                default.baseline_charges_min,
            )?,
        })
    }

    fn returns(
        &self,
        raw: &RawWindowed,
        default: &ReturnsPattern,
    ) -> Result<ReturnsPattern, PolicyError> {
        let section = "detectors.returns_pattern";
        self.only(raw.drop_ratio.as_ref().map(Spanned::span), section, "drop_ratio")?;
        self.only(raw.surge_ratio.as_ref().map(Spanned::span), section, "surge_ratio")?;
        self.only(
            raw.baseline_charges_min.as_ref().map(Spanned::span),
            section,
            "baseline_charges_min",
        )?;
        let days = (1, DETECTOR_WINDOW_DAYS_MAX);
        Ok(ReturnsPattern {
            recent_days: self.count(
                raw.recent_days.as_ref(),
                &format!("{section}.recent_days"),
                days,
                default.recent_days,
            )?,
            baseline_days: self.count(
                raw.baseline_days.as_ref(),
                &format!("{section}.baseline_days"),
                days,
                default.baseline_days,
            )?,
            share_min: self.share(
                raw.share_min.as_ref(),
                &format!("{section}.share_min"),
                default.share_min,
            )?,
            ratio: self.ratio(raw.ratio.as_ref(), &format!("{section}.ratio"), default.ratio)?,
        })
    }

    fn drift(&self, raw: &RawDrift, default: &PaymentDrift) -> Result<PaymentDrift, PolicyError> {
        Ok(PaymentDrift {
            obligations: self.count(
                raw.obligations.as_ref(),
                "detectors.payment_drift.obligations",
                (1, COUNT_MAX),
                default.obligations,
            )?,
            days_min: self.count(
                raw.days_min.as_ref(),
                "detectors.payment_drift.days_min",
                (1, DETECTOR_WINDOW_DAYS_MAX),
                default.days_min,
            )?,
        })
    }

    fn extension(
        &self,
        raw: &RawCounted,
        default: &ExtensionRequests,
    ) -> Result<ExtensionRequests, PolicyError> {
        let section = "detectors.extension_requests";
        self.only(raw.calls_min.as_ref().map(Spanned::span), section, "calls_min")?;
        Ok(ExtensionRequests {
            window_days: self.count(
                raw.window_days.as_ref(),
                &format!("{section}.window_days"),
                (1, DETECTOR_WINDOW_DAYS_MAX),
                default.window_days,
            )?,
            requests_min: self.count(
                raw.requests_min.as_ref(),
                &format!("{section}.requests_min"),
                (1, COUNT_MAX),
                default.requests_min,
            )?,
        })
    }

    fn unreturned(
        &self,
        raw: &RawCounted,
        default: &UnreturnedCalls,
    ) -> Result<UnreturnedCalls, PolicyError> {
        let section = "detectors.unreturned_calls";
        self.only(raw.requests_min.as_ref().map(Spanned::span), section, "requests_min")?;
        Ok(UnreturnedCalls {
            window_days: self.count(
                raw.window_days.as_ref(),
                &format!("{section}.window_days"),
                (1, DETECTOR_WINDOW_DAYS_MAX),
                default.window_days,
            )?,
            calls_min: self.count(
                raw.calls_min.as_ref(),
                &format!("{section}.calls_min"),
                (1, COUNT_MAX),
                default.calls_min,
            )?,
        })
    }

    /// A key that the detector's table shares with others but this detector does not take.
    fn only(
        &self,
        span: Option<std::ops::Range<usize>>,
        section: &str,
        key: &str,
    ) -> Result<(), PolicyError> {
        match span {
            Some(span) => Err(self.constraint(
                span,
                &format!("{section}.{key}"),
                "this detector has no such key",
            )),
            None => Ok(()),
        }
    }
}
