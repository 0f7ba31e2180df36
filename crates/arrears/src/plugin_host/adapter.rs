//! Plugins as the engine's strategies: [`PluginScorer`] is a [`Scorer`], [`PluginStrategy`]
//! a [`ContactStrategy`], and `Arrears::register_plugin` registers an instance as either or
//! both according to its capabilities. A plugin's error reaches the engine as a
//! [`StrategyError`] naming the registered component.
//!
//! An adapter calls an in-process [`PluginInstance`] (directly, or under a watchdog that
//! stops waiting at a deadline: see [`PluginScorer::with_deadline`]) or an
//! [`IsolatedInstance`] in its runner process.

use std::sync::Arc;
use std::time::Duration;

use arrears_core::case::ContactAttempt;
use arrears_core::strategy::{
    ContactProposal, ContactRequest, ContactStrategy, Features, Score, Scorer, StrategyError,
};
use arrears_plugin_sdk::abi;

use super::error::{PluginCallError, PluginLoadError};
use super::instance::{PluginInstance, BATCH_LEN_MAX};
use super::isolated::IsolatedInstance;
use super::marshal::{PluginScore, ScoreRequest};
use super::watchdog::{watched, Watch};

/// Where an adapter's calls go.
#[derive(Debug, Clone)]
enum Calls {
    /// An in-process instance; with a deadline, each call runs on a worker thread the caller
    /// waits for at most that long.
    InProcess { instance: Arc<PluginInstance>, watch: Option<Watch> },
    /// An instance in a runner process.
    Isolated(Arc<IsolatedInstance>),
}

impl Calls {
    fn capabilities(&self) -> (u32, &str) {
        match self {
            Calls::InProcess { instance, .. } => {
                (instance.plugin().capabilities(), instance.plugin().name())
            }
            Calls::Isolated(instance) => (instance.capabilities(), instance.name()),
        }
    }

    /// Under a watch, each call of at most [`BATCH_LEN_MAX`] requests has the whole deadline,
    /// as an isolated instance's calls have: the deadline is one call's, not one batch's.
    fn score_batch(
        &self,
        requests: Vec<ScoreRequest>,
    ) -> Result<Vec<PluginScore>, PluginCallError> {
        match self {
            Calls::InProcess { instance, watch: None } => instance.score_batch(&requests),
            Calls::InProcess { instance, watch } => {
                let mut scores = Vec::with_capacity(requests.len());
                for (first, chunk) in owned_chunks(requests) {
                    scores.extend(watched(instance, watch.as_ref(), move |instance| {
                        instance.score_chunk(&chunk, first)
                    })?);
                }
                Ok(scores)
            }
            Calls::Isolated(instance) => instance.score_batch(&requests),
        }
    }

    /// As [`Calls::score_batch`].
    fn propose_batch(
        &self,
        requests: &[ContactRequest],
        histories: Vec<Vec<ContactAttempt>>,
    ) -> Result<Vec<ContactProposal>, PluginCallError> {
        match self {
            Calls::InProcess { instance, watch: None } => {
                instance.propose_batch(requests, &histories)
            }
            Calls::InProcess { instance, watch } => {
                let mut proposals = Vec::new();
                let mut histories = owned_chunks(histories);
                for (first, chunk) in owned_chunks(requests.to_vec()) {
                    let chunk_histories =
                        histories.next().map(|(_, part)| part).unwrap_or_default();
                    proposals.extend(watched(instance, watch.as_ref(), move |instance| {
                        instance.propose_chunk(&chunk, &chunk_histories, first)
                    })?);
                }
                Ok(proposals)
            }
            Calls::Isolated(instance) => instance.propose_batch(requests, &histories),
        }
    }
}

/// `items` in chunks of at most [`BATCH_LEN_MAX`], each with the index of its first item,
/// moved rather than cloned (a batch of one chunk is `items` itself): the calls a watch times
/// one by one.
fn owned_chunks<T>(mut items: Vec<T>) -> impl Iterator<Item = (usize, Vec<T>)> {
    let mut first = 0;
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let rest = items.split_off(items.len().min(BATCH_LEN_MAX));
        let chunk = std::mem::replace(&mut items, rest);
        let at = first;
        first += chunk.len();
        Some((at, chunk))
    })
}

fn check_capability(
    calls: &Calls,
    bit: u32,
    capability: &'static str,
) -> Result<(), PluginLoadError> {
    let (capabilities, plugin) = calls.capabilities();
    if capabilities & bit == 0 {
        return Err(PluginLoadError::MissingCapability { plugin: plugin.to_owned(), capability });
    }
    Ok(())
}

/// The error's message, followed by the record its input is (`record` of its input index:
/// an account, a debtor), if it is about one input: an index into a batch the engine built
/// means nothing to whoever reads the cycle's report.
fn with_record(error: &PluginCallError, record: impl Fn(usize) -> Option<String>) -> String {
    match error.input_index().and_then(record) {
        Some(record) => format!("{error} ({record})"),
        None => error.to_string(),
    }
}

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
    calls: Calls,
}

impl PluginScorer {
    /// The adapter; the instance's plugin must be a scorer.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if it is not.
    pub fn new(name: &str, instance: Arc<PluginInstance>) -> Result<PluginScorer, PluginLoadError> {
        let calls = Calls::InProcess { instance, watch: None };
        check_capability(&calls, abi::CAPABILITY_SCORER, "scorer")?;
        Ok(PluginScorer { name: name.to_owned(), calls })
    }

    /// The adapter of an isolated instance; its plugin must be a scorer.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if it is not.
    pub fn isolated(
        name: &str,
        instance: Arc<IsolatedInstance>,
    ) -> Result<PluginScorer, PluginLoadError> {
        let calls = Calls::Isolated(instance);
        check_capability(&calls, abi::CAPABILITY_SCORER, "scorer")?;
        Ok(PluginScorer { name: name.to_owned(), calls })
    }

    /// The same adapter with a deadline on each call of an in-process instance (a watchdog:
    /// past it the instance is poisoned and the call fails with
    /// [`PluginCallError::DeadlineExceeded`]). No effect on an isolated instance, whose
    /// deadline is its options'.
    #[must_use]
    pub fn with_deadline(self, deadline: Option<Duration>) -> PluginScorer {
        let calls = match self.calls {
            Calls::InProcess { instance, .. } => {
                Calls::InProcess { instance, watch: deadline.map(Watch::new) }
            }
            isolated => isolated,
        };
        PluginScorer { calls, ..self }
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
        let scores = self.calls.score_batch(requests).map_err(|error| StrategyError {
            component: self.name.clone(),
            reason: with_record(&error, |index| {
                features.get(index).map(|features| format!("account {}", features.account))
            }),
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
    calls: Calls,
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
        let calls = Calls::InProcess { instance, watch: None };
        check_capability(&calls, abi::CAPABILITY_CONTACT_STRATEGY, "contact strategy")?;
        Ok(PluginStrategy { name: name.to_owned(), calls })
    }

    /// The adapter of an isolated instance; its plugin must be a contact strategy.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError::MissingCapability`] if it is not.
    pub fn isolated(
        name: &str,
        instance: Arc<IsolatedInstance>,
    ) -> Result<PluginStrategy, PluginLoadError> {
        let calls = Calls::Isolated(instance);
        check_capability(&calls, abi::CAPABILITY_CONTACT_STRATEGY, "contact strategy")?;
        Ok(PluginStrategy { name: name.to_owned(), calls })
    }

    /// As [`PluginScorer::with_deadline`].
    #[must_use]
    pub fn with_deadline(self, deadline: Option<Duration>) -> PluginStrategy {
        let calls = match self.calls {
            Calls::InProcess { instance, .. } => {
                Calls::InProcess { instance, watch: deadline.map(Watch::new) }
            }
            isolated => isolated,
        };
        PluginStrategy { calls, ..self }
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
        self.calls.propose_batch(requests, histories).map_err(|error| StrategyError {
            component: self.name.clone(),
            reason: with_record(&error, |index| {
                requests.get(index).map(|request| format!("debtor {}", request.debtor))
            }),
        })
    }
}

#[cfg(test)]
mod chunk_tests {
    use super::{owned_chunks, BATCH_LEN_MAX};

    #[test]
    fn owned_chunks_cut_at_the_batch_limit_and_keep_every_item_in_order() {
        for len in [0, 1, BATCH_LEN_MAX, BATCH_LEN_MAX + 1, 2 * BATCH_LEN_MAX + 7] {
            let chunks: Vec<(usize, Vec<usize>)> = owned_chunks((0..len).collect()).collect();
            let lens: Vec<usize> = chunks.iter().map(|(_, chunk)| chunk.len()).collect();
            assert!(lens.iter().all(|&chunk| (1..=BATCH_LEN_MAX).contains(&chunk)), "{lens:?}");
            assert_eq!(chunks.len(), len.div_ceil(BATCH_LEN_MAX), "{len}");
            for (first, chunk) in &chunks {
                assert_eq!(chunk.first(), Some(first), "{len}");
            }
            let all: Vec<usize> = chunks.into_iter().flat_map(|(_, chunk)| chunk).collect();
            assert_eq!(all, (0..len).collect::<Vec<_>>());
        }
    }
}
