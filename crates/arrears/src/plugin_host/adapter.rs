//! Plugins as the engine's strategies: [`PluginScorer`] is a [`Scorer`], [`PluginStrategy`]
//! a [`ContactStrategy`], and `Arrears::register_plugin` registers an instance as either or
//! both according to its capabilities. A plugin's error reaches the engine as a
//! [`StrategyError`] naming the registered component.

use std::sync::Arc;

use arrears_core::case::ContactAttempt;
use arrears_core::strategy::{
    ContactProposal, ContactRequest, ContactStrategy, Features, Score, Scorer, StrategyError,
};
use arrears_plugin_sdk::abi;

use super::error::PluginLoadError;
use super::instance::PluginInstance;
use super::marshal::ScoreRequest;

/// The band of a score, with the built-in scorer's names and thresholds.
pub fn band(points: f64) -> &'static str {
    match points {
        p if p >= 700.0 => "low_risk",
        p if p >= 600.0 => "medium_risk",
        p if p >= 500.0 => "elevated_risk",
        p if p >= 400.0 => "high_risk",
        _ => "very_high_risk",
    }
}

/// A plugin instance as the engine's [`Scorer`], registered under `name` (what policy arms
/// name in `scorer`).
#[derive(Debug, Clone)]
pub struct PluginScorer {
    name: String,
    instance: Arc<PluginInstance>,
}

impl PluginScorer {
    /// The adapter; the instance's plugin must be a scorer.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if it is not.
    pub fn new(name: &str, instance: Arc<PluginInstance>) -> Result<PluginScorer, PluginLoadError> {
        if instance.plugin().capabilities() & abi::CAPABILITY_SCORER == 0 {
            return Err(PluginLoadError::MissingCapability {
                plugin: instance.plugin().name().to_owned(),
                capability: "scorer",
            });
        }
        Ok(PluginScorer { name: name.to_owned(), instance })
    }
}

impl Scorer for PluginScorer {
    fn name(&self) -> &str {
        &self.name
    }

    fn score_batch(&self, features: &[Features]) -> Result<Vec<Score>, StrategyError> {
        let requests: Vec<ScoreRequest> = features
            .iter()
            .map(|features| ScoreRequest {
                features: Some(features.clone()),
                as_of: Some(features.as_of),
                attributes: Vec::new(),
            })
            .collect();
        let scores = self.instance.score_batch(&requests).map_err(|error| StrategyError {
            component: self.name.clone(),
            reason: error.to_string(),
        })?;
        Ok(scores
            .into_iter()
            .map(|score| Score {
                band: band(score.points).to_owned(),
                points: score.points,
                reasons: score.reasons,
            })
            .collect())
    }
}

/// A plugin instance as the engine's [`ContactStrategy`], registered under `name` (what
/// policy arms name in `strategy`).
#[derive(Debug, Clone)]
pub struct PluginStrategy {
    name: String,
    instance: Arc<PluginInstance>,
}

impl PluginStrategy {
    /// The adapter; the instance's plugin must be a contact strategy.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if it is not.
    pub fn new(
        name: &str,
        instance: Arc<PluginInstance>,
    ) -> Result<PluginStrategy, PluginLoadError> {
        if instance.plugin().capabilities() & abi::CAPABILITY_CONTACT_STRATEGY == 0 {
            return Err(PluginLoadError::MissingCapability {
                plugin: instance.plugin().name().to_owned(),
                capability: "contact strategy",
            });
        }
        Ok(PluginStrategy { name: name.to_owned(), instance })
    }
}

impl ContactStrategy for PluginStrategy {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose_batch(
        &self,
        requests: &[ContactRequest],
    ) -> Result<Vec<ContactProposal>, StrategyError> {
        let histories: Vec<Vec<ContactAttempt>> =
            requests.iter().map(|request| request.history.clone()).collect();
        self.instance.propose_batch(requests, &histories).map_err(|error| StrategyError {
            component: self.name.clone(),
            reason: error.to_string(),
        })
    }
}
