//! The HTML report: one self-contained file with the KPIs, the money per currency (by month,
//! aging, by arm, with the channel mix and its assumed cost), and the charts: aging over time,
//! recovery curve and champion against challenger drawn with plotters as inline SVG, the
//! roll-rate heat maps (by count and by balance) written as plain SVG. A chart without data is
//! replaced by a "not enough data" note. After a counterfactual run, the early-warning table.

use std::fmt::Write as _;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use arrears::money::Currency;
use arrears::reports::{AgingPoint, Kpis, RollRates, STATE_LABELS};

use super::money::{self, CurrencyMoney, Money, CONTACT_COST_USD_CENTS};
use super::warning::EarlyWarning;

fn chart_error<E: std::fmt::Debug>(error: E) -> anyhow::Error {
    anyhow!("cannot draw chart: {error:?}")
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "n/a".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

const SERIES: [(&str, &[usize], RGBColor); 5] = [
    ("1-30", &[1], RGBColor(230, 159, 0)),
    ("31-60", &[2], RGBColor(213, 94, 0)),
    ("61-90", &[3], RGBColor(204, 121, 167)),
    ("91+", &[4, 5, 6], RGBColor(0, 114, 178)),
    ("charged off", &[7], RGBColor(60, 60, 60)),
];

/// Delinquent accounts by bucket over time.
pub(crate) fn aging_chart(points: &[AgingPoint]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let days = points.len().max(2) as i32;
        let top = points
            .iter()
            .flat_map(|point| {
                SERIES.iter().map(|(_, set, _)| set.iter().map(|i| point.accounts[*i]).sum::<u64>())
            })
            .max()
            .unwrap_or(1)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption("Delinquent accounts by bucket", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0..days - 1, 0..(top + top / 10 + 1))
            .map_err(chart_error)?;
        let labels: Vec<String> = points.iter().map(|point| point.as_of.to_string()).collect();
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&|index| labels.get(*index as usize).cloned().unwrap_or_default())
            .y_desc("accounts")
            .draw()
            .map_err(chart_error)?;
        for (name, set, color) in SERIES {
            let line = points
                .iter()
                .enumerate()
                .map(|(index, point)| (index as i32, set.iter().map(|i| point.accounts[*i]).sum()));
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(2)))
                .map_err(chart_error)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Cumulative share of the delinquent amount recovered by days since delinquency.
pub(crate) fn recovery_chart(curve: &[f64]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let top = curve.iter().copied().fold(0.0f64, f64::max).max(0.05) * 110.0;
        let mut chart = ChartBuilder::on(&root)
            .caption("Recovery curve", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0..curve.len().max(2) as i32 - 1, 0.0..top)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc("days since the account became delinquent")
            .y_desc("% of delinquent amount recovered")
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(LineSeries::new(
                curve.iter().enumerate().map(|(day, rate)| (day as i32, rate * 100.0)),
                RGBColor(0, 114, 178).stroke_width(2),
            ))
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Size of a heat-map cell and of the label margins, in SVG pixels.
const CELL: (i32, i32) = (84, 40);
const ROW_LABELS: i32 = 96;
const COLUMN_LABELS: i32 = 28;

/// A transition matrix as a heat map, drawn as plain SVG so that every label is centred on
/// its cell (text anchored in the middle, baseline central): row labels on the middle of
/// their row, column labels over the middle of their column, each rate in the middle of its
/// cell. Rows without data are grey and say so.
pub(crate) fn heatmap(
    id: &str,
    labels: &[String],
    rates: &[Vec<f64>],
    rows_with_data: &[bool],
) -> String {
    let size = labels.len() as i32;
    let (width, height) = (ROW_LABELS + size * CELL.0 + 4, COLUMN_LABELS + size * CELL.1 + 4);
    let mut svg = format!(
        "<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    let centre = |index: i32, origin: i32, step: i32| origin + index * step + step / 2;
    for (index, label) in labels.iter().enumerate() {
        let index = index as i32;
        let _ = writeln!(
            svg,
            "<text class=\"column\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>",
            centre(index, ROW_LABELS, CELL.0),
            COLUMN_LABELS / 2,
            escape(label)
        );
        let _ = writeln!(
            svg,
            "<text class=\"row\" x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"central\">{}</text>",
            ROW_LABELS - 8,
            centre(index, COLUMN_LABELS, CELL.1),
            escape(label)
        );
    }
    for (from, row) in rates.iter().enumerate() {
        let has_data = rows_with_data.get(from).copied().unwrap_or(false);
        for (to, rate) in row.iter().enumerate() {
            let (x, y) = (ROW_LABELS + to as i32 * CELL.0, COLUMN_LABELS + from as i32 * CELL.1);
            let shade = (255.0 - rate.clamp(0.0, 1.0) * 200.0) as u8;
            let fill =
                if has_data { format!("rgb({shade},{shade},255)") } else { "#eee".to_owned() };
            let text =
                if has_data { format!("{:.1}%", rate * 100.0) } else { "no data".to_owned() };
            let ink = if *rate > 0.6 && has_data { "#fff" } else { "#222" };
            let _ = writeln!(
                svg,
                "<rect class=\"cell\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#fff\"/>\n\
                 <text class=\"rate\" x=\"{}\" y=\"{}\" fill=\"{ink}\" text-anchor=\"middle\" dominant-baseline=\"central\">{text}</text>",
                CELL.0,
                CELL.1,
                x + CELL.0 / 2,
                y + CELL.1 / 2,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The roll-rate matrix by count as a heat map.
pub(crate) fn roll_chart(rolls: &RollRates) -> String {
    let with_data: Vec<bool> = rolls.counts.iter().map(|row| row.iter().sum::<u64>() > 0).collect();
    heatmap("roll-count", &rolls.states, &rolls.rates, &with_data)
}

/// Cure rate per arm with 95% intervals.
pub(crate) fn arms_chart(kpis: &Kpis) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let arms: Vec<_> = kpis.by_arm.iter().filter(|arm| arm.became_delinquent > 0).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption("Cure rate by arm, with 95% intervals", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0..(arms.len().max(1) as i32 * 2), 0.0..100.0)
            .map_err(chart_error)?;
        let names: Vec<String> = arms.iter().map(|arm| arm.arm.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(arms.len() * 2 + 1)
            .x_label_formatter(&|x| {
                if x % 2 == 1 {
                    names.get((*x / 2) as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("% of delinquent accounts cured")
            .draw()
            .map_err(chart_error)?;
        let colors = [RGBColor(0, 114, 178), RGBColor(230, 159, 0), RGBColor(0, 158, 115)];
        for (index, arm) in arms.iter().enumerate() {
            let p = arm.cure_rate.unwrap_or(0.0);
            let n = arm.became_delinquent as f64;
            let half = 1.96 * (p * (1.0 - p) / n).sqrt();
            let x = index as i32 * 2;
            let color = colors[index % colors.len()];
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, 0.0), (x + 2, p * 100.0)],
                    color.mix(0.7).filled(),
                )))
                .map_err(chart_error)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x + 1, (p - half) * 100.0), (x + 1, (p + half) * 100.0)],
                    BLACK.stroke_width(2),
                )))
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// What replaces a chart that would be blank.
const NOT_ENOUGH: &str =
    "<p class=\"no-data\"><em>Not enough data for this chart in this period.</em></p>";

/// The charts by count, each or a "not enough data" note.
fn count_charts(
    kpis: &Kpis,
    aging: &[AgingPoint],
    rolls: &RollRates,
) -> Result<Vec<(String, String)>> {
    let has_rolls = rolls.counts.iter().any(|row| row.iter().sum::<u64>() > 0);
    let has_arms = kpis.by_arm.iter().any(|arm| arm.became_delinquent > 0);
    let charts = vec![
        (
            "Aging over time (accounts)",
            if aging.len() >= 2 { aging_chart(aging)? } else { NOT_ENOUGH.to_owned() },
        ),
        (
            "Recovery curve",
            if kpis.recovery_rate.is_some() {
                recovery_chart(&kpis.recovery_curve)?
            } else {
                NOT_ENOUGH.to_owned()
            },
        ),
        (
            "Roll rates by count, month end to month end (row: from, column: to)",
            if has_rolls { roll_chart(rolls) } else { NOT_ENOUGH.to_owned() },
        ),
        (
            "Champion against challenger: cure rate with 95% intervals",
            if has_arms { arms_chart(kpis)? } else { NOT_ENOUGH.to_owned() },
        ),
    ];
    Ok(charts.into_iter().map(|(heading, svg)| (heading.to_owned(), svg)).collect())
}

/// One table row of cells (the first left-aligned by the style sheet).
fn row(html: &mut String, cells: &[String]) {
    html.push_str("<tr>");
    for cell in cells {
        let _ = write!(html, "<td>{}</td>", escape(cell));
    }
    html.push_str("</tr>\n");
}

fn header(html: &mut String, cells: &[&str]) {
    html.push_str("<table>\n<tr>");
    for cell in cells {
        let _ = write!(html, "<th>{}</th>", escape(cell));
    }
    html.push_str("</tr>\n");
}

/// Month by month per currency: delinquent balance at the month's end, collected, charged
/// off; then the aging in money at each month end.
fn money_by_month(html: &mut String, money: &Money) {
    if money.currencies.is_empty() {
        html.push_str(NOT_ENOUGH);
        return;
    }
    for (currency, figures) in &money.currencies {
        let amount = |minor: i64| crate::output::money(minor, *currency);
        let _ = writeln!(html, "<h3>{}: by month</h3>", currency.code());
        header(html, &["month", "end of", "delinquent balance", "collected", "charged off"]);
        for (month, label) in money.months.iter().enumerate() {
            let point = figures.aging.get(month).copied().unwrap_or_default();
            row(
                html,
                &[
                    label.clone(),
                    money.points[month + 1].to_string(),
                    amount(CurrencyMoney::delinquent(&point)),
                    amount(figures.collected.get(month).copied().unwrap_or(0)),
                    amount(figures.charged_off.get(month).copied().unwrap_or(0)),
                ],
            );
        }
        let total = |series: &[i64]| amount(series.iter().sum());
        row(
            html,
            &[
                "period".to_owned(),
                String::new(),
                String::new(),
                total(&figures.collected),
                total(&figures.charged_off),
            ],
        );
        html.push_str("</table>\n");
        let _ = writeln!(
            html,
            "<h3>{}: aging in money (outstanding by account state at each month end)</h3>",
            currency.code()
        );
        let mut columns = vec!["end of"];
        columns.extend(STATE_LABELS);
        header(html, &columns);
        for (month, point) in figures.aging.iter().enumerate() {
            let mut cells = vec![money.points[month + 1].to_string()];
            cells.extend(point.iter().map(|minor| amount(*minor)));
            row(html, &cells);
        }
        html.push_str("</table>\n");
    }
}

/// Per arm and currency: the money, then the contacts by channel and their assumed cost.
fn money_by_arm(html: &mut String, money: &Money) {
    if money.arms.is_empty() {
        html.push_str(NOT_ENOUGH);
        return;
    }
    header(html, &["arm", "currency", "delinquent balance at the end", "collected", "charged off"]);
    for (arm, figures) in &money.arms {
        for (currency, [delinquent, collected, charged]) in &figures.by_currency {
            let amount = |minor: i64| crate::output::money(minor, *currency);
            row(
                html,
                &[
                    arm.clone(),
                    currency.code().to_owned(),
                    amount(*delinquent),
                    amount(*collected),
                    amount(*charged),
                ],
            );
        }
    }
    html.push_str("</table>\n<h3>Channel mix and cost per arm</h3>\n");
    let mut columns = vec!["arm"];
    columns.extend(CONTACT_COST_USD_CENTS.iter().map(|(channel, _)| *channel));
    columns.extend(["contacts", "assumed cost (USD)", "cost per account (USD)"]);
    header(html, &columns);
    for (arm, figures) in &money.arms {
        let mut cells = vec![arm.clone()];
        cells.extend(
            CONTACT_COST_USD_CENTS.iter().map(|(channel, _)| {
                figures.contacts.get(*channel).copied().unwrap_or(0).to_string()
            }),
        );
        let cost = figures.contact_cost_usd_cents();
        cells.push(figures.contacts.values().sum::<u64>().to_string());
        cells.push(crate::output::money(cost, Currency::USD));
        cells.push(crate::output::money(cost / figures.accounts.max(1) as i64, Currency::USD));
        row(html, &cells);
    }
    html.push_str("</table>\n<p>Costs per contact are assumed, not measured or sourced: ");
    let costs: Vec<String> = CONTACT_COST_USD_CENTS
        .iter()
        .map(|(channel, cents)| {
            format!("{channel} {}", crate::output::money(*cents, Currency::USD))
        })
        .collect();
    let _ = writeln!(html, "{} (US dollars; docs/DEMO.md).</p>", costs.join(", "));
    arm_differences(html, money);
}

/// Champion minus challenger per account, with 95% intervals: money collected and contacts.
fn arm_differences(html: &mut String, money: &Money) {
    let Some(differences) = money.arm_differences("champion", "challenger") else { return };
    let amount = |value: f64| {
        let minor = value.round() as i64;
        let sign = if minor < 0 { "-" } else { "+" };
        format!("{sign}{}", crate::output::money(minor.abs(), differences.currency))
    };
    let verdict = |significant: bool| {
        if significant {
            "the interval excludes 0"
        } else {
            "the interval includes 0: no difference shown at this size"
        }
    };
    let (collected, contacts) = (&differences.collected_minor, &differences.contacts);
    let _ = writeln!(
        html,
        "<h3>Champion minus challenger, per account</h3>\n<p>Collected: {} {} (95% interval \
         [{}, {}]; {}), adjusted for the principal that fell due in the period (docs/DEMO.md). Contacts: {:+.2} \
         (95% interval [{:+.2}, {:+.2}]; {}).</p>",
        amount(collected.difference),
        differences.currency.code(),
        amount(collected.low),
        amount(collected.high),
        verdict(collected.significant()),
        contacts.difference,
        contacts.low,
        contacts.high,
        verdict(contacts.significant()),
    );
    let Some(paired) = &differences.paired else { return };
    let (collected, contacts) = (&paired.collected_minor, &paired.contacts);
    let _ = writeln!(
        html,
        "<p>The same {} accounts under both strategies (a twin run of the same seed with the \
         arms' strategies swapped): collected {} {} per account (95% interval [{}, {}]; {}), \
         contacts {:+.2} (95% interval [{:+.2}, {:+.2}]; {}).</p>",
        paired.accounts,
        amount(collected.difference),
        differences.currency.code(),
        amount(collected.low),
        amount(collected.high),
        verdict(collected.significant()),
        contacts.difference,
        contacts.low,
        contacts.high,
        verdict(contacts.significant()),
    );
}

/// Roll rates weighted by balance, one heat map per currency.
fn rolls_by_balance(html: &mut String, money: &Money) {
    let labels = money::state_labels();
    let mut drawn = false;
    for (currency, figures) in &money.currencies {
        let with_data: Vec<bool> =
            figures.roll_balance.iter().map(|row| row.iter().sum::<i64>() > 0).collect();
        if !with_data.iter().any(|row| *row) {
            continue;
        }
        drawn = true;
        let _ = writeln!(
            html,
            "<h3>{}: share of the balance at a month end by state at the next</h3>",
            currency.code()
        );
        let id = format!("roll-balance-{}", currency.code());
        html.push_str(&heatmap(&id, &labels, &money::rates(&figures.roll_balance), &with_data));
        html.push('\n');
    }
    if !drawn {
        html.push_str(NOT_ENOUGH);
    }
}

/// The counts of each champion/challenger arm (the table is left open).
fn arm_table(html: &mut String, kpis: &Kpis) {
    header(
        html,
        &[
            "arm",
            "accounts",
            "became delinquent",
            "cured",
            "cure rate",
            "recovery rate",
            "promises kept",
            "promises broken",
        ],
    );
    for arm in &kpis.by_arm {
        row(
            html,
            &[
                arm.arm.clone(),
                arm.accounts.to_string(),
                arm.became_delinquent.to_string(),
                arm.cured.to_string(),
                percent(arm.cure_rate),
                percent(arm.recovery_rate),
                arm.promises_kept.to_string(),
                arm.promises_broken.to_string(),
            ],
        );
    }
}

/// The trade debtors with red flags under the policy's credit rules and in the counterfactual
/// run without them (docs/DEMO.md, "Early warning").
fn early_warning(html: &mut String, figures: &EarlyWarning) {
    let code = figures.currency.code();
    let amount = |minor: i64| crate::output::money(minor, figures.currency);
    let _ = write!(
        html,
        "<h2>Early warning</h2>\n<p>{} trade debtors had red flags reported ({} went bad, {} \
         false alarms); {} went bad with no flag. The same seed was run again without the \
         policy's credit rules (the counterfactual). Amounts in {code}.</p>\n",
        figures.flagged_debtors,
        figures.flagged_defaults,
        figures.flagged_debtors - figures.flagged_defaults,
        figures.unflagged_defaults
    );
    header(html, &["flagged debtors", "with early warning", "without", "without minus with"]);
    let (with, without) = (&figures.with_early_warning, &figures.without_early_warning);
    let lines = [
        (
            "invoiced to those that went bad",
            with.invoiced_to_defaulters_minor,
            without.invoiced_to_defaulters_minor,
        ),
        ("exposure at default", with.exposure_at_default_minor, without.exposure_at_default_minor),
        ("charged off", with.charged_off_minor, without.charged_off_minor),
        ("delinquent at the end", with.delinquent_minor, without.delinquent_minor),
        ("charged off + delinquent", with.loss_minor(), without.loss_minor()),
        (
            "invoiced to false alarms",
            with.invoiced_to_false_alarms_minor,
            without.invoiced_to_false_alarms_minor,
        ),
    ];
    for (name, with, without) in lines {
        row(html, &[name.to_owned(), amount(with), amount(without), amount(without - with)]);
    }
    html.push_str("</table>\n");
}

/// The whole page.
pub(crate) fn page(
    title: &str,
    summary_rows: &[(String, String)],
    kpis: &Kpis,
    aging: &[AgingPoint],
    rolls: &RollRates,
    (money, warning): (&Money, Option<&EarlyWarning>),
) -> Result<String> {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:0.5em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}figure{{margin:1.5em 0}}</style></head><body>\n\
         <h1>{title}</h1>\n<h2>Summary</h2>\n<table>\n",
        title = escape(title)
    );
    for (name, value) in summary_rows {
        row(&mut html, &[name.clone(), value.clone()]);
    }
    html.push_str("</table>\n<h2>Money by month</h2>\n<p>Amounts per currency; amounts of different currencies are never added.</p>\n");
    money_by_month(&mut html, money);
    html.push_str("<h2>Champion and challenger</h2>\n");
    arm_table(&mut html, kpis);
    html.push_str("</table>\n<h3>Money by arm</h3>\n");
    money_by_arm(&mut html, money);
    for (heading, svg) in count_charts(kpis, aging, rolls)? {
        let _ = write!(html, "<figure><h2>{}</h2>\n{svg}\n</figure>\n", escape(&heading));
    }
    html.push_str("<h2>Roll rates by balance</h2>\n");
    rolls_by_balance(&mut html, money);
    if let Some(warning) = warning {
        early_warning(&mut html, warning);
    }
    html.push_str("<h2>Contacts blocked by compliance rule</h2>\n");
    if kpis.contacts_blocked.is_empty() {
        html.push_str("<p>None in this period.</p>\n");
    } else {
        header(&mut html, &["rule", "blocked"]);
        for (rule, count) in &kpis.contacts_blocked {
            row(&mut html, &[rule.clone(), count.to_string()]);
        }
        html.push_str("</table>\n");
    }
    html.push_str("<p>Definitions: docs/DEMO.md and the rustdoc of <code>arrears::reports</code>.</p>\n</body></html>\n");
    Ok(html)
}
