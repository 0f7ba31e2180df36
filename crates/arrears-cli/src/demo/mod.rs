//! `arrears demo`, `arrears simulate` and the portfolio reports (`report kpis`, `rollrates`,
//! `recovery`, `html`).
//!
//! The demo generates a seeded synthetic portfolio ([`generator`]), runs it day by day on the
//! real engine and store ([`simulator`]), then reads the store back through the library's
//! reports (`Arrears::report_kpis`, `roll_rates`, `aging_series`) and the account views (the
//! money per currency, [`money`]) and writes a summary and a self-contained HTML report
//! ([`html`]). See docs/DEMO.md.

mod generator;
mod html;
mod money;
mod response;
mod simulator;
mod warning;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{Days, NaiveDate};
use clap::Args;
use serde::Serialize;

use arrears::reports::{month_ends, Kpis, RateDifference, RollRates};
use arrears::{Arrears, Command, Durability, Options, PluginEntry};

use crate::output_file;
use crate::Status;

/// The store `--db` names when it is not given.
const DEFAULT_DB: &str = "./arrears.redb";

/// The most accounts `--accounts` may ask for: five times the largest store docs/BENCHMARKS.md
/// measures (1,000,000 accounts, 2.2 GB before any history). The demo generates the whole
/// portfolio in memory and simulates it in up to three stores (the twin and the
/// counterfactual beside the main one), so a larger figure is a typo, not a run.
const ACCOUNTS_MAX: usize = 5_000_000;

/// The most days `--days` may ask for: ten years of 366 days, more than any product of the
/// generated portfolio runs (loans of at most 48 months) and the longest history the reports
/// chart.
const DAYS_MAX: u32 = 3_660;

/// Options of `arrears demo` and `arrears simulate`.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Accounts in the portfolio (one debtor each), 1 to 5000000.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) accounts: usize,
    /// Days to simulate, 1 to 3660.
    #[arg(long, default_value_t = 180)]
    pub(crate) days: u32,
    /// Seed of the generator: the same seed gives the same portfolio and the same numbers.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// First simulated day.
    #[arg(long, value_name = "DATE", default_value = "2026-01-01", value_parser = crate::args::parse_date)]
    pub(crate) start: NaiveDate,
    /// A collection policy (TOML) instead of examples/policies/demo.toml (the standard stages;
    /// champion on the built-in `scorecard` and `contact_ladder` plugins, challenger on the
    /// engine's `rules` scorer and `ladder_evening`). Arms may name `scorecard`,
    /// `contact_ladder`, `rules`, `ladder` and `ladder_evening`.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Directory for the store (unless --db is given) and the HTML report.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) out: PathBuf,
    /// Skip the twin run (the same seed with the two arms' strategies swapped) that compares
    /// the same accounts under both strategies; it doubles the simulation time.
    #[arg(long)]
    pub(crate) no_twin: bool,
    /// Skip the counterfactual run (the same seed without the policy's credit rules) that
    /// shows what early warning saved on the trade debtors with red flags.
    #[arg(long)]
    pub(crate) no_counterfactual: bool,
}

/// Options of the period reports.
#[derive(Debug, Args)]
pub(crate) struct PeriodArgs {
    /// First day (default: the first day a cycle ran).
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) from: Option<NaiveDate>,
    /// Last day, inclusive (default: the last day a cycle ran).
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) to: Option<NaiveDate>,
}

/// Options of `arrears report html`.
#[derive(Debug, Args)]
pub(crate) struct HtmlArgs {
    #[command(flatten)]
    pub(crate) period: PeriodArgs,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE", default_value = "arrears-report.html")]
    pub(crate) out: PathBuf,
}

/// What `demo` and `simulate` print.
#[derive(Debug, Serialize)]
struct Summary {
    store: String,
    html: String,
    accounts: usize,
    days: u32,
    seed: u64,
    from: NaiveDate,
    to: NaiveDate,
    /// Wall-clock seconds of the simulation (not deterministic; every other field is).
    elapsed_seconds: f64,
    simulation: simulator::Activity,
    kpis: Kpis,
    cure_rate_champion_minus_challenger: Option<RateDifference>,
    /// Money collected and contacts used per account, champion minus challenger.
    per_account_champion_minus_challenger: Option<money::ArmDifferences>,
    /// The trade debtors with red flags, with and without early warning (the counterfactual
    /// run), in minor units; absent with `--no-counterfactual` or without credit rules.
    early_warning: Option<warning::EarlyWarning>,
    roll_rates: RollRates,
}

/// The store path: `--db` if given, else `<out>/arrears-demo.redb`.
fn store_path(db: &Path, args: &SimulateArgs) -> PathBuf {
    if db != Path::new(DEFAULT_DB) {
        db.to_path_buf()
    } else {
        args.out.join("arrears-demo.redb")
    }
}

/// Removes a previous demo store at `path`; refuses to touch any other store.
fn clear(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let is_demo = {
        let books = Arrears::open(path)
            .with_context(|| format!("{} exists and is not a demo store", path.display()))?;
        books.find_account("SIM-A000001")?.is_some()
    };
    if !is_demo {
        bail!("{} exists and is not a demo store; not overwriting it", path.display());
    }
    std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))
}

fn progress(days: u32, visible: bool) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(u64::from(days));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] day {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("simulating");
    bar
}

/// `arrears demo` and `arrears simulate`.
/// The demo's policy: the standard stages, champion on the first-party plugins, challenger on
/// the built-ins.
const DEMO_POLICY: &str = include_str!("../../../../examples/policies/demo.toml");
/// The behavioural scorecard the built-in `scorecard` plugin runs in the demo.
const DEMO_CARD: &str = include_str!("../../../../examples/plugins/behaviour-card.csv");
/// The built-in `contact_ladder` plugin's configuration in the demo.
const DEMO_LADDER: &str = include_str!("../../../../examples/plugins/contact-ladder.toml");

/// Adds the first-party plugins, linked into the CLI, to the store's plugin registry under the
/// names policies use: `scorecard` (with the demo's behavioural card) and `contact_ladder`
/// (with the demo's ladder). In the registry, not only in this process, so that `arrears
/// cycle` on the demo's store resolves them too.
fn register_builtin_plugins(books: &mut Arrears) -> Result<()> {
    crate::plugins::provide_builtins(books)?;
    for (name, config) in [("scorecard", DEMO_CARD), ("contact_ladder", DEMO_LADDER)] {
        let entry = PluginEntry::builtin(name, name).with_config(config.as_bytes().to_vec());
        books.add_plugin(&entry)?;
    }
    Ok(())
}

/// Runs `demo` or `simulate`. `now` and `allow_future` set the horizon of `--start` (the
/// simulated days then run on the simulation's own clock).
pub(crate) fn run(
    db: &Path,
    args: &SimulateArgs,
    (now, allow_future): (chrono::DateTime<chrono::Utc>, bool),
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    check_size(args)?;
    // The last simulated day must be a date the engine accepts: found out half way, the
    // stores would be left half simulated.
    let last = args.start.checked_add_days(Days::new(u64::from(args.days) - 1));
    if !last.is_some_and(arrears::dates::is_supported) {
        bail!(
            "--days {} from --start {} runs past {}, the last date supported",
            args.days,
            args.start,
            arrears::dates::DATE_MAX
        );
    }
    let (file, text) = match &args.policy {
        Some(file) => (file.display().to_string(), crate::input::read_text(file)?),
        None => ("examples/policies/demo.toml".to_owned(), DEMO_POLICY.to_owned()),
    };
    let policy = arrears::policy::Policy::from_toml(&text, &file)?;
    crate::horizon::Horizon::new(now, &policy, allow_future).check("--start", args.start)?;
    let path = store_path(db, args);
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Refused before the simulation rather than after it; written through `output_file`.
    let html_path = args.out.join("arrears-demo.html");
    output_file::check(&html_path, &path, "the demo report")?;
    let started = Instant::now();
    let debtors = generator::portfolio(args.seed, args.accounts);
    let bar = progress(args.days, !json && std::io::stdout().is_terminal());
    let twin_text = if args.no_twin { None } else { swapped_arms(&text)? };
    let plain_text =
        if args.no_counterfactual { None } else { warning::without_early_warning(&text)? };
    // The twin and the counterfactual are independent runs of the same portfolio, each on its
    // own store: they run beside the main one (2 cores: about half the wall time of running
    // the three one after the other).
    let twin_path = path.with_extension("twin.redb");
    let plain_path = path.with_extension("counterfactual.redb");
    let (main, twin, plain) = std::thread::scope(|scope| {
        let side = |side_path: &Path, side_text: String| {
            let side_path = side_path.to_path_buf();
            let (debtors, file) = (&debtors, file.clone());
            scope.spawn(move || {
                let hidden = indicatif::ProgressBar::hidden();
                simulate_into(&side_path, args, debtors, (file, side_text), &hidden)
            })
        };
        let twin = twin_text.map(|twin_text| side(&twin_path, twin_text));
        let plain = plain_text.map(|plain_text| side(&plain_path, plain_text));
        let main = simulate_into(&path, args, &debtors, (file.clone(), text), &bar);
        if twin.is_some() || plain.is_some() {
            bar.set_message("waiting for the twin and counterfactual runs");
        }
        (main, twin.map(joined), plain.map(joined))
    });
    let (books, activity) = main?;
    let period = (args.start, args.days);
    let flagged = warning::measure(&books, &debtors, period)?;
    bar.set_message("reporting");
    let from = args.start;
    let to = args.start + Days::new(u64::from(args.days - 1));
    let kpis = books.report_kpis(from, to)?;
    let rolls = books.roll_rates(&month_ends(from, to))?;
    let aging = books.aging_series(&weekly(from, to))?;
    let mut money = money::gather(&books, from, to, &rolls.month_ends)?;
    if let Some(twin) = twin {
        let (twin, _) = twin.context("the twin run")?;
        money.set_twin(money::samples(&twin, from, to)?);
        drop(twin);
        std::fs::remove_file(&twin_path)
            .with_context(|| format!("cannot remove {}", twin_path.display()))?;
    }
    let early_warning = match plain {
        Some(plain) => {
            let (plain, _) = plain.context("the run without early warning")?;
            let without = warning::measure(&plain, &debtors, period)?;
            drop(plain);
            std::fs::remove_file(&plain_path)
                .with_context(|| format!("cannot remove {}", plain_path.display()))?;
            Some(warning::EarlyWarning::compare(&debtors, args.days, flagged, without))
        }
        None => None,
    };
    let summary = Summary {
        store: path.display().to_string(),
        html: html_path.display().to_string(),
        accounts: args.accounts,
        days: args.days,
        seed: args.seed,
        from,
        to,
        elapsed_seconds: 0.0,
        cure_rate_champion_minus_challenger: kpis.cure_rate_difference("champion", "challenger"),
        per_account_champion_minus_challenger: money.arm_differences("champion", "challenger"),
        early_warning,
        simulation: activity,
        kpis,
        roll_rates: rolls,
    };
    let title = format!(
        "Arrears demo: {} accounts, {} days from {} (seed {})",
        args.accounts, args.days, args.start, args.seed
    );
    let page = html::page(
        &title,
        &summary_rows(&summary),
        &summary.kpis,
        &aging,
        &summary.roll_rates,
        (&money, summary.early_warning.as_ref()),
    )?;
    output_file::write(&html_path, &path, "the demo report", page.as_bytes())?;
    bar.finish_and_clear();
    let summary = Summary { elapsed_seconds: started.elapsed().as_secs_f64(), ..summary };
    if json {
        crate::output::json(out, &summary)?;
    } else {
        writeln!(out, "{title}")?;
        writeln!(out, "store {}, report {}", summary.store, summary.html)?;
        writeln!(out, "simulated and reported in {:.1} s", summary.elapsed_seconds)?;
        writeln!(out)?;
        for (name, value) in summary_rows(&summary) {
            writeln!(out, "{name:<44} {value}")?;
        }
        writeln!(out)?;
        write_rolls(out, &summary.roll_rates)?;
    }
    Ok(Status::Ok)
}

/// Refuses a portfolio of no account or of more than [`ACCOUNTS_MAX`], and a simulation of no
/// day or of more than [`DAYS_MAX`], before anything is written: `--accounts 99999999999`
/// would otherwise start generating a portfolio no memory holds.
fn check_size(args: &SimulateArgs) -> Result<()> {
    if !(1..=ACCOUNTS_MAX).contains(&args.accounts) {
        let rule = format!("the demo simulates 1 to {ACCOUNTS_MAX} accounts");
        return Err(crate::args::out_of_range("--accounts", args.accounts, &rule));
    }
    if !(1..=DAYS_MAX).contains(&args.days) {
        let rule = format!("the demo simulates 1 to {DAYS_MAX} days");
        return Err(crate::args::out_of_range("--days", args.days, &rule));
    }
    Ok(())
}

/// Creates the demo store at `path` (replacing a previous demo store) under the policy
/// `(file, text)` and runs the simulation of `debtors` in it.
/// What a side run's thread returned; its panic becomes an error.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    handle.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the run's thread panicked")))
}

fn simulate_into(
    path: &Path,
    args: &SimulateArgs,
    debtors: &[generator::SimDebtor],
    (file, text): (String, String),
    bar: &indicatif::ProgressBar,
) -> Result<(Arrears, simulator::Activity)> {
    clear(path)?;
    let clock = simulator::SimClock::default();
    let mut books = Arrears::create_with(
        path,
        Options {
            durability: Durability::Eventual,
            sharing: arrears::Sharing::Exclusive,
            clock: Box::new(clock.clone()),
            ..Options::default()
        },
    )
    .with_context(|| format!("cannot create {}", path.display()))?;
    clock.set(args.start);
    register_builtin_plugins(&mut books)?;
    let receipt = books.execute("sim:policy", &Command::SetPolicy { file, text })?;
    if receipt.outcome.is_rejected() {
        bail!("policy refused: {:?}", receipt.outcome);
    }
    let activity =
        simulator::run(&books, &clock, debtors, args.seed, args.start, args.days, &mut |day| {
            bar.set_position(u64::from(day))
        })?;
    Ok((books, activity))
}

/// The policy with its two arms' scorer and strategy (every key but the name and the weight)
/// swapped: every debtor, assigned to an arm by its id, the policy's name and the arms' names
/// and weights, stays in its arm but runs under the other arm's components. The twin run of
/// the same seed under this policy gives each account's outcome under the other strategy
/// (docs/DEMO.md, "Paired comparison"). `None` unless the policy has exactly two arms.
fn swapped_arms(text: &str) -> Result<Option<String>> {
    let mut policy: toml::Table = toml::from_str(text).context("the policy is not TOML")?;
    let Some(toml::Value::Array(arms)) = policy.get_mut("arm") else { return Ok(None) };
    let tables: Vec<toml::Table> = arms.iter().filter_map(|arm| arm.as_table().cloned()).collect();
    let [first, second] = tables.as_slice() else { return Ok(None) };
    let swap = |own: &toml::Table, other: &toml::Table| {
        let mut swapped: toml::Table = other
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "name" | "weight"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        for key in ["name", "weight"] {
            if let Some(value) = own.get(key) {
                swapped.insert(key.to_owned(), value.clone());
            }
        }
        toml::Value::Table(swapped)
    };
    *arms = vec![swap(first, second), swap(second, first)];
    Ok(Some(toml::to_string(&policy).context("the swapped policy")?))
}

/// Every 7 days from `from`, and `to`.
fn weekly(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> =
        from.iter_days().step_by(7).take_while(|day| *day <= to).collect();
    if dates.last() != Some(&to) {
        dates.push(to);
    }
    dates
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "n/a".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
}

fn summary_rows(summary: &Summary) -> Vec<(String, String)> {
    let kpis = &summary.kpis;
    let activity = &summary.simulation;
    let mut rows = vec![
        ("accounts".to_owned(), kpis.accounts.to_string()),
        ("period".to_owned(), format!("{} to {}", kpis.from, kpis.to)),
        ("bills issued".to_owned(), activity.bills.to_string()),
        (
            "payments (partial)".to_owned(),
            format!("{} ({})", activity.payments, activity.partial_payments),
        ),
        ("accounts that became delinquent".to_owned(), kpis.became_delinquent.to_string()),
        ("cure rate".to_owned(), format!("{} ({} cured)", percent(kpis.cure_rate), kpis.cured)),
        ("recovery rate".to_owned(), percent(kpis.recovery_rate)),
        (
            "promise-kept rate".to_owned(),
            format!(
                "{} ({} kept, {} broken, {} made)",
                percent(kpis.promise_kept_rate),
                kpis.promises_kept,
                kpis.promises_broken,
                activity.promises
            ),
        ),
        (
            "right-party-contact rate".to_owned(),
            format!(
                "{} ({} of {} contacts)",
                percent(kpis.right_party_contact_rate),
                kpis.right_party_contacts,
                kpis.contacts
            ),
        ),
        ("plans created".to_owned(), activity.plans.to_string()),
        ("disputes raised".to_owned(), activity.disputes.to_string()),
        ("late fees assessed".to_owned(), activity.fees_assessed.to_string()),
        ("accounts charged off".to_owned(), activity.charged_off.to_string()),
        ("red flags reported (business debtors)".to_owned(), activity.signals_reported.to_string()),
        ("credit reviews".to_owned(), counts(&activity.credit_reviews)),
        (
            "trade orders cut to the limit (not shipped)".to_owned(),
            format!("{} ({})", activity.orders_capped, activity.orders_over_limit),
        ),
        ("trade orders refused (refuse to trade)".to_owned(), refused_charges(activity)),
        ("reviews".to_owned(), activity.reviewed.to_string()),
        ("contacts allowed (outbox actions)".to_owned(), activity.actions.to_string()),
        ("proposals refused as malformed".to_owned(), activity.proposals_refused.to_string()),
        ("contacts rescheduled by the guardrails".to_owned(), activity.rescheduled.to_string()),
        ("contacts deferred behind a pending one".to_owned(), activity.deferred.to_string()),
    ];
    let blocked: u64 = activity.blocked.values().sum();
    rows.push(("contacts blocked by the guardrails".to_owned(), blocked.to_string()));
    for (rule, count) in &activity.blocked {
        rows.push((format!("  blocked by {rule}"), count.to_string()));
    }
    for (component, calls) in &activity.component_failures {
        rows.push((format!("failed calls of arm {component}"), calls.to_string()));
    }
    for arm in &kpis.by_arm {
        rows.push((
            format!("arm {} ({} accounts)", arm.arm, arm.accounts),
            format!(
                "cure {} ({}/{}), recovery {}",
                percent(arm.cure_rate),
                arm.cured,
                arm.became_delinquent,
                percent(arm.recovery_rate)
            ),
        ));
    }
    rows.push((
        "cure rate, champion minus challenger".to_owned(),
        match &summary.cure_rate_champion_minus_challenger {
            Some(d) => format!(
                "{:+.1} points, 95% CI [{:+.1}, {:+.1}]",
                d.difference * 100.0,
                d.low * 100.0,
                d.high * 100.0
            ),
            None => "n/a".to_owned(),
        },
    ));
    rows.extend(difference_rows(summary.per_account_champion_minus_challenger.as_ref()));
    rows.extend(summary.early_warning.as_ref().map(warning_rows).unwrap_or_default());
    rows
}

/// `tighten 12, stop 3` (none: `0`).
fn counts(by_name: &std::collections::BTreeMap<String, u64>) -> String {
    if by_name.is_empty() {
        return "0".to_owned();
    }
    let parts: Vec<String> =
        by_name.iter().map(|(name, count)| format!("{name} {count}")).collect();
    parts.join(", ")
}

/// Charges the engine refused (refuse to trade, or a collections stage's credit hold).
fn refused_charges(activity: &simulator::Activity) -> String {
    activity.rejected.get("charge").copied().unwrap_or(0).to_string()
}

/// The early-warning comparison, as summary rows.
fn warning_rows(figures: &warning::EarlyWarning) -> Vec<(String, String)> {
    let amount = |minor: i64| crate::output::money(minor, figures.currency);
    let code = figures.currency.code();
    let (with, without) = (&figures.with_early_warning, &figures.without_early_warning);
    let pair = |with: i64, without: i64, change: &str, by: i64| {
        format!("{} / {} {code} ({change} {})", amount(with), amount(without), amount(by))
    };
    vec![
        (
            "early warning: trade debtors with red flags".to_owned(),
            format!(
                "{} ({} went bad, {} false alarms; {} went bad unflagged)",
                figures.flagged_debtors,
                figures.flagged_defaults,
                figures.flagged_debtors - figures.flagged_defaults,
                figures.unflagged_defaults
            ),
        ),
        (
            "  exposure at default, with / without".to_owned(),
            pair(
                with.exposure_at_default_minor,
                without.exposure_at_default_minor,
                "saved",
                figures.exposure_at_default_saved_minor,
            ),
        ),
        (
            "  charged off + delinquent, with / without".to_owned(),
            pair(with.loss_minor(), without.loss_minor(), "saved", figures.loss_saved_minor),
        ),
        (
            "  invoiced to false alarms, with / without".to_owned(),
            pair(
                with.invoiced_to_false_alarms_minor,
                without.invoiced_to_false_alarms_minor,
                "forgone",
                figures.false_alarm_sales_forgone_minor,
            ),
        ),
    ]
}

/// The per-account differences between the arms, as summary rows.
fn difference_rows(differences: Option<&money::ArmDifferences>) -> Vec<(String, String)> {
    let Some(differences) = differences else { return Vec::new() };
    let signed = |value: f64| {
        let minor = value.round() as i64;
        let sign = if minor < 0 { "-" } else { "+" };
        format!("{sign}{}", crate::output::money(minor.abs(), differences.currency))
    };
    let code = differences.currency.code();
    let money = |d: &money::MeanDifference| {
        format!("{} {code}, 95% CI [{}, {}]", signed(d.difference), signed(d.low), signed(d.high))
    };
    let count = |d: &money::MeanDifference| {
        format!("{:+.2}, 95% CI [{:+.2}, {:+.2}]", d.difference, d.low, d.high)
    };
    let mut rows = vec![
        (
            "collected per account, champion - challenger".to_owned(),
            money(&differences.collected_minor),
        ),
        ("contacts per account, champion - challenger".to_owned(), count(&differences.contacts)),
    ];
    if let Some(paired) = &differences.paired {
        rows.push((
            "  same accounts, both strategies: collected".to_owned(),
            money(&paired.collected_minor),
        ));
        rows.push((
            "  same accounts, both strategies: contacts".to_owned(),
            count(&paired.contacts),
        ));
    }
    rows
}

pub(crate) fn write_rolls(out: &mut dyn Write, rolls: &RollRates) -> Result<()> {
    writeln!(out, "roll rates, month end to month end (row: from, column: to)")?;
    write!(out, "{:<12}", "")?;
    for label in &rolls.states {
        write!(out, "{label:>12}")?;
    }
    writeln!(out)?;
    for (from, row) in rolls.rates.iter().enumerate() {
        if rolls.counts[from].iter().sum::<u64>() == 0 {
            continue;
        }
        write!(out, "{:<12}", rolls.states[from])?;
        for rate in row {
            write!(out, "{:>11.1}%", rate * 100.0)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The period of a report: given, or the first and last cycle dates in the audit log.
fn period(books: &Arrears, args: &PeriodArgs) -> Result<(NaiveDate, NaiveDate)> {
    if let (Some(from), Some(to)) = (args.from, args.to) {
        check_period(("--from", from), ("--to", to))?;
        return Ok((from, to));
    }
    let mut first = None;
    let mut last = None;
    for record in books.audit_log(None)? {
        if let arrears::case::AuditKind::Cycle { as_of, .. } = record.kind {
            first = Some(first.map_or(as_of, |first: NaiveDate| first.min(as_of)));
            last = Some(last.map_or(as_of, |last: NaiveDate| last.max(as_of)));
        }
    }
    match (args.from.or(first), args.to.or(last)) {
        (Some(from), Some(to)) => {
            let from_label = if args.from.is_some() { "--from" } else { "the first cycle date" };
            let to_label = if args.to.is_some() { "--to" } else { "the last cycle date" };
            check_period((from_label, from), (to_label, to))?;
            Ok((from, to))
        }
        _ => bail!("no cycle has run on this store: give --from and --to"),
    }
}

/// Refuses a period that ends before it starts (`--from` after `--to`), which every report
/// would otherwise answer as an empty period; each bound is named as the user gave it (a flag,
/// or the default it took).
pub(crate) fn check_period(from: (&str, NaiveDate), to: (&str, NaiveDate)) -> Result<()> {
    if from.1 > to.1 {
        bail!("{} {} is after {} {}: the period would be empty", from.0, from.1, to.0, to.1);
    }
    Ok(())
}

/// `arrears report kpis`.
pub(crate) fn kpis(
    books: &Arrears,
    args: &PeriodArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (from, to) = period(books, args)?;
    let mut kpis = books.report_kpis(from, to)?;
    if json {
        crate::output::json(out, &kpis)?;
        return Ok(Status::Ok);
    }
    let difference = kpis.cure_rate_difference("champion", "challenger");
    kpis.recovery_curve.clear();
    writeln!(out, "kpis from {from} to {to}")?;
    let rows = [
        ("accounts", kpis.accounts.to_string()),
        ("became delinquent", kpis.became_delinquent.to_string()),
        ("cured", kpis.cured.to_string()),
        ("cure rate", percent(kpis.cure_rate)),
        ("recovery rate", percent(kpis.recovery_rate)),
        ("promises kept", kpis.promises_kept.to_string()),
        ("promises broken", kpis.promises_broken.to_string()),
        ("promise-kept rate", percent(kpis.promise_kept_rate)),
        ("contacts", kpis.contacts.to_string()),
        ("right-party contacts", kpis.right_party_contacts.to_string()),
        ("right-party-contact rate", percent(kpis.right_party_contact_rate)),
    ];
    for (name, value) in rows {
        writeln!(out, "{name:<28} {value}")?;
    }
    for (rule, count) in &kpis.contacts_blocked {
        writeln!(out, "{:<28} {count}", format!("blocked by {rule}"))?;
    }
    for arm in &kpis.by_arm {
        writeln!(
            out,
            "{:<28} cure {} ({}/{}), recovery {}",
            format!("arm {}", arm.arm),
            percent(arm.cure_rate),
            arm.cured,
            arm.became_delinquent,
            percent(arm.recovery_rate)
        )?;
    }
    if let Some(d) = difference {
        writeln!(
            out,
            "{:<28} {:+.1} points, 95% CI [{:+.1}, {:+.1}]",
            "champion - challenger cure",
            d.difference * 100.0,
            d.low * 100.0,
            d.high * 100.0
        )?;
    }
    Ok(Status::Ok)
}

/// `arrears report rollrates`.
pub(crate) fn rollrates(
    books: &Arrears,
    args: &PeriodArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (from, to) = period(books, args)?;
    let rolls = books.roll_rates(&month_ends(from, to))?;
    if json {
        crate::output::json(out, &rolls)?;
    } else {
        write_rolls(out, &rolls)?;
    }
    Ok(Status::Ok)
}

/// `arrears report recovery`.
pub(crate) fn recovery(
    books: &Arrears,
    args: &PeriodArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (from, to) = period(books, args)?;
    let kpis = books.report_kpis(from, to)?;
    if json {
        crate::output::json(
            out,
            &serde_json::json!({
                "from": from, "to": to, "recovery": kpis.recovery,
                "recovery_rate": kpis.recovery_rate, "curve": kpis.recovery_curve,
            }),
        )?;
        return Ok(Status::Ok);
    }
    writeln!(out, "recovery from {from} to {to}: {}", percent(kpis.recovery_rate))?;
    for row in &kpis.recovery {
        writeln!(
            out,
            "{}: {} entries, delinquent {}, recovered {} ({})",
            row.currency,
            row.entries,
            crate::output::money(row.delinquent_minor, row.currency),
            crate::output::money(row.recovered_minor, row.currency),
            percent(row.rate)
        )?;
    }
    writeln!(out, "days since delinquency    recovered")?;
    for (day, rate) in kpis.recovery_curve.iter().enumerate().step_by(15) {
        writeln!(out, "{day:>22}    {:>8.1}%", rate * 100.0)?;
    }
    Ok(Status::Ok)
}

/// `arrears report html`.
pub(crate) fn report_html(
    books: &Arrears,
    db: &Path,
    args: &HtmlArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    output_file::check(&args.out, db, "the report")?;
    let (from, to) = period(books, &args.period)?;
    let kpis = books.report_kpis(from, to)?;
    let rolls = books.roll_rates(&month_ends(from, to))?;
    let aging = books.aging_series(&weekly(from, to))?;
    let rows = vec![
        ("accounts".to_owned(), kpis.accounts.to_string()),
        ("cure rate".to_owned(), percent(kpis.cure_rate)),
        ("recovery rate".to_owned(), percent(kpis.recovery_rate)),
        ("promise-kept rate".to_owned(), percent(kpis.promise_kept_rate)),
        ("right-party-contact rate".to_owned(), percent(kpis.right_party_contact_rate)),
    ];
    let money = money::gather(books, from, to, &rolls.month_ends)?;
    let title = format!("Arrears report, {from} to {to}");
    let page = html::page(&title, &rows, &kpis, &aging, &rolls, (&money, None))?;
    output_file::write(&args.out, db, "the report", page.as_bytes())?;
    if json {
        crate::output::json(out, &serde_json::json!({ "html": args.out.display().to_string() }))?;
    } else {
        writeln!(out, "wrote {}", args.out.display())?;
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests;
