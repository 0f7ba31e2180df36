//! Cycles run per shard in parallel, and reports merged across shards.
//!
//! A debtor's accounts all live on one shard, so every figure that counts or sums accounts
//! (aging amounts and account counts, roll-rate cells, cycle counters) is the sum of the
//! shards' figures; ratios (roll rates) are recomputed from the summed counts.

use chrono::NaiveDate;

use arrears::ids::AccountId;
use arrears::reports::RollRates;
use arrears::reports::CHARGED_OFF;
use arrears::{Arrears, CycleError, CycleReport, PortfolioAging, QueryError};

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
        let reports = self.on_each_shard(threads_max, |_, store| store.run_cycle(as_of))?;
        let mut total = CycleReport { complete: true, ..CycleReport::default() };
        for (_, report) in &reports {
            add_cycle(&mut total, report);
        }
        Ok(PortfolioCycle { as_of, shards: reports, total })
    }

    /// Portfolio aging over every shard: per currency, the sum of the shards' rows, each
    /// shard's without the accounts it holds for a debtor the manifest places elsewhere (the
    /// closed copies a move leaves in its source, the partial copy in the target of a move
    /// under way), so each account counts once.
    ///
    /// # Errors
    ///
    /// The first shard whose read failed.
    pub fn portfolio_aging(
        &self,
        as_of: NaiveDate,
    ) -> Result<PortfolioAging, ShardError<QueryError>> {
        let agings = self.on_each_shard(self.shards.len(), |index, store| {
            let mut aging = store.portfolio_aging(as_of)?;
            for account in self.left_out(index, store)? {
                leave_out_of_aging(store, account, &mut aging)?;
            }
            Ok(aging)
        })?;
        let mut merged = agings[0].1.clone();
        merged.rows.clear();
        for (_, aging) in &agings {
            for row in &aging.rows {
                match merged.rows.iter_mut().find(|merged_row| merged_row.currency == row.currency)
                {
                    Some(merged_row) => add_aging_row(merged_row, row),
                    None => merged.rows.push(row.clone()),
                }
            }
        }
        merged.rows.retain(|row| row.accounts.iter().sum::<u64>() + row.charged_off_accounts > 0);
        merged.rows.sort_by_key(|row| row.currency);
        Ok(merged)
    }

    /// Roll rates over every shard for the same month ends: the cells' counts summed (each
    /// shard's without the accounts it holds for a debtor placed elsewhere, as
    /// [`Portfolio::portfolio_aging`]), the rates recomputed by row.
    ///
    /// # Errors
    ///
    /// The first shard whose read failed.
    pub fn roll_rates(
        &self,
        month_ends: &[NaiveDate],
    ) -> Result<RollRates, ShardError<QueryError>> {
        let all = self.on_each_shard(self.shards.len(), |index, store| {
            let mut rates = store.roll_rates(month_ends)?;
            for account in self.left_out(index, store)? {
                leave_out_of_roll_rates(store, account, &mut rates)?;
            }
            Ok(rates)
        })?;
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
                row.iter()
                    .map(|cell| if total == 0 { 0.0 } else { *cell as f64 / total as f64 })
                    .collect()
            })
            .collect();
        Ok(merged)
    }

    /// The accounts shard `index` holds for debtors the manifest places on another shard:
    /// debtors pinned elsewhere by `[debtors]` (moved away), and debtors being moved here.
    fn left_out(&self, index: usize, store: &Arrears) -> Result<Vec<AccountId>, QueryError> {
        let elsewhere = self
            .manifest
            .debtors
            .iter()
            .filter(|(_, shard)| self.manifest.shard_index(shard) != Some(index))
            .map(|(reference, _)| reference);
        let arriving = self
            .manifest
            .moving
            .iter()
            .filter(|(_, moving)| self.manifest.shard_index(&moving.to) == Some(index))
            .map(|(reference, _)| reference);
        let mut accounts = Vec::new();
        for reference in elsewhere.chain(arriving) {
            if let Some(debtor) = store.find_debtor(reference)? {
                accounts.extend(store.accounts_of(debtor)?);
            }
        }
        Ok(accounts)
    }

    /// Runs `work` on every shard, `threads_max` shards at a time, and returns the results by
    /// shard name in manifest order, or the first error.
    fn on_each_shard<T: Send, E: std::error::Error + Send + 'static>(
        &self,
        threads_max: usize,
        work: impl Fn(usize, &Arrears) -> Result<T, E> + Sync,
    ) -> Result<Vec<(String, T)>, ShardError<E>> {
        let mut results = Vec::with_capacity(self.shards.len());
        let work = &work;
        let chunk_len = threads_max.max(1);
        for (chunk_index, chunk) in self.shards.chunks(chunk_len).enumerate() {
            let chunk_results: Vec<Result<T, E>> = std::thread::scope(|scope| {
                let handles: Vec<_> = chunk
                    .iter()
                    .enumerate()
                    .map(|(place, store)| {
                        let index = chunk_index * chunk_len + place;
                        scope.spawn(move || work(index, store))
                    })
                    .collect();
                // A shard's panic is the engine's bug, not a user error: pass it on.
                handles
                    .into_iter()
                    .map(|handle| {
                        handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
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

/// Takes one account out of a shard's aging, as the engine's `portfolio_aging` put it in.
fn leave_out_of_aging(
    store: &Arrears,
    account: AccountId,
    aging: &mut PortfolioAging,
) -> Result<(), QueryError> {
    let Some(record) = store.account(account)? else { return Ok(()) };
    if record.opened_on > aging.as_of {
        return Ok(());
    }
    let view = store.account_view(account, aging.as_of)?;
    let Some(row) = aging.rows.iter_mut().find(|row| row.currency == record.currency) else {
        return Ok(());
    };
    if view.charged_off_on.is_some() {
        row.charged_off_accounts = row.charged_off_accounts.saturating_sub(1);
        row.charged_off_owed_minor -= view.total_outstanding_minor;
        return Ok(());
    }
    for (amount, own) in row.amounts_minor.iter_mut().zip(view.aging.amounts_minor) {
        *amount -= own;
    }
    let bucket = view.aging.bucket.index();
    row.accounts[bucket] = row.accounts[bucket].saturating_sub(1);
    row.total_minor -= view.aging.amounts_minor.iter().sum::<i64>();
    row.disputed_minor -= view.aging.disputed_minor;
    Ok(())
}

/// Takes one account's transitions out of a shard's roll rates, as the engine's
/// `roll_rates` counted them (its state at each month end it was open by).
fn leave_out_of_roll_rates(
    store: &Arrears,
    account: AccountId,
    rates: &mut RollRates,
) -> Result<(), QueryError> {
    let Some(record) = store.account(account)? else { return Ok(()) };
    let mut states = Vec::with_capacity(rates.month_ends.len());
    for on in &rates.month_ends {
        states.push(if record.opened_on <= *on {
            let view = store.account_view(account, *on)?;
            Some(if view.charged_off_on.is_some() {
                CHARGED_OFF
            } else {
                view.aging.bucket.index()
            })
        } else {
            None
        });
    }
    for pair in states.windows(2) {
        if let [Some(before), Some(after)] = pair {
            let cell = &mut rates.counts[*before][*after];
            *cell = cell.saturating_sub(1);
        }
    }
    Ok(())
}
