//! Cycles run per shard in parallel, and reports merged across shards.
//!
//! A debtor's accounts all live on one shard, so every figure that counts or sums accounts
//! (aging amounts and account counts, roll-rate cells, cycle counters) is the sum of the
//! shards' figures; ratios (roll rates) are recomputed from the summed counts.

use chrono::NaiveDate;

use arrears::reports::RollRates;
use arrears::{CycleError, CycleReport, PortfolioAging, QueryError};

use crate::Portfolio;

/// What the cycles of every shard did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortfolioCycle {
    /// The cycle date.
    pub as_of: NaiveDate,
    /// Each shard's report, by shard name, in manifest order.
    pub shards: Vec<(String, CycleReport)>,
    /// The sum of the shards' reports (`complete` if and only if every shard's is).
    pub total: CycleReport,
}

/// A shard whose cycle or report failed; the other shards' work stands.
#[derive(Debug, thiserror::Error)]
#[error("shard {shard}: {source}")]
pub struct ShardError<E: std::error::Error + 'static> {
    /// The shard's name.
    pub shard: String,
    /// The engine's error.
    pub source: E,
}

impl Portfolio {
    /// Runs the cycle of every shard for `as_of`, at most `threads_max` shards at a time
    /// (one thread each), and sums the reports.
    ///
    /// # Errors
    ///
    /// The first failed shard's [`CycleError`] (in manifest order). The other shards' cycles
    /// ran and committed: a cycle is idempotent per date, so run it again.
    pub fn run_cycles(
        &self,
        as_of: NaiveDate,
        threads_max: usize,
    ) -> Result<PortfolioCycle, ShardError<CycleError>> {
        let reports = self.on_each_shard(threads_max, |store| store.run_cycle(as_of))?;
        let mut total = CycleReport { complete: true, ..CycleReport::default() };
        for (_, report) in &reports {
            add_cycle(&mut total, report);
        }
        Ok(PortfolioCycle { as_of, shards: reports, total })
    }

    /// Portfolio aging over every shard: per currency, the sum of the shards' rows.
    ///
    /// # Errors
    ///
    /// The first shard whose read failed.
    pub fn portfolio_aging(&self, as_of: NaiveDate) -> Result<PortfolioAging, ShardError<QueryError>> {
        let agings = self.on_each_shard(self.shards.len(), |store| store.portfolio_aging(as_of))?;
        let mut merged = agings[0].1.clone();
        for (_, aging) in &agings[1..] {
            for row in &aging.rows {
                match merged.rows.iter_mut().find(|merged_row| merged_row.currency == row.currency) {
                    Some(merged_row) => add_aging_row(merged_row, row),
                    None => merged.rows.push(row.clone()),
                }
            }
        }
        merged.rows.sort_by(|left, right| left.currency.cmp(&right.currency));
        Ok(merged)
    }

    /// Roll rates over every shard for the same month ends: the cells' counts summed, the
    /// rates recomputed by row.
    ///
    /// # Errors
    ///
    /// The first shard whose read failed.
    pub fn roll_rates(&self, month_ends: &[NaiveDate]) -> Result<RollRates, ShardError<QueryError>> {
        let all = self.on_each_shard(self.shards.len(), |store| store.roll_rates(month_ends))?;
        let mut merged = all[0].1.clone();
        for (_, rates) in &all[1..] {
            for (merged_row, row) in merged.counts.iter_mut().zip(&rates.counts) {
                for (merged_cell, cell) in merged_row.iter_mut().zip(row) {
                    *merged_cell += cell;
                }
            }
        }
        merged.rates = merged
            .counts
            .iter()
            .map(|row| {
                let total: u64 = row.iter().sum();
                // Rates are ratios of counts, not money: a float is the report's own type.
                #[allow(clippy::cast_precision_loss)]
                row.iter().map(|cell| if total == 0 { 0.0 } else { *cell as f64 / total as f64 }).collect()
            })
            .collect();
        Ok(merged)
    }

    /// Runs `work` on every shard, `threads_max` shards at a time, and returns the results by
    /// shard name in manifest order, or the first error.
    fn on_each_shard<T: Send, E: std::error::Error + Send + 'static>(
        &self,
        threads_max: usize,
        work: impl Fn(&arrears::Arrears) -> Result<T, E> + Sync,
    ) -> Result<Vec<(String, T)>, ShardError<E>> {
        let mut results = Vec::with_capacity(self.shards.len());
        for chunk in self.shards.chunks(threads_max.max(1)) {
            let chunk_results: Vec<Result<T, E>> = std::thread::scope(|scope| {
                let handles: Vec<_> =
                    chunk.iter().map(|store| scope.spawn(|| work(store))).collect();
                // A shard's panic is the engine's bug, not a user error: pass it on.
                handles.into_iter().map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
            });
            results.extend(chunk_results);
        }
        self.manifest
            .shards
            .iter()
            .zip(results)
            .map(|(shard, result)| match result {
                Ok(value) => Ok((shard.name.clone(), value)),
                Err(source) => Err(ShardError { shard: shard.name.clone(), source }),
            })
            .collect()
    }
}

fn add_aging_row(merged: &mut arrears::AgingRow, row: &arrears::AgingRow) {
    for (merged_amount, amount) in merged.amounts_minor.iter_mut().zip(row.amounts_minor) {
        *merged_amount += amount;
    }
    for (merged_count, count) in merged.accounts.iter_mut().zip(row.accounts) {
        *merged_count += count;
    }
    merged.total_minor += row.total_minor;
    merged.disputed_minor += row.disputed_minor;
    merged.charged_off_accounts += row.charged_off_accounts;
    merged.charged_off_owed_minor += row.charged_off_owed_minor;
}

fn add_cycle(total: &mut CycleReport, report: &CycleReport) {
    total.batches += report.batches;
    total.reviewed += report.reviewed;
    total.transitions += report.transitions;
    total.fees_assessed += report.fees_assessed;
    total.charged_off += report.charged_off;
    total.actions += report.actions;
    total.proposals_refused += report.proposals_refused;
    for (rule, count) in &report.blocked {
        *total.blocked.entry(rule.clone()).or_default() += count;
    }
    total.rescheduled += report.rescheduled;
    total.deferred += report.deferred;
    total.component_failures.extend(report.component_failures.iter().cloned());
    total.complete &= report.complete;
    total.credit_reviews.extend(report.credit_reviews.iter().cloned());
}
