//! The HTML report: one self-contained file with the KPIs and four charts (aging over time,
//! recovery curve, roll-rate matrix, champion against challenger) drawn with plotters as
//! inline SVG.

use std::fmt::Write as _;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use arrears::reports::{AgingPoint, Kpis, RollRates, STATE_LABELS};

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

/// The roll-rate matrix as a heat map.
pub(crate) fn roll_chart(rolls: &RollRates) -> Result<String> {
    let mut svg = String::new();
    {
        let size = STATE_LABELS.len() as i32;
        let root = SVGBackend::with_string(&mut svg, (760, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Roll rates, month end to month end (row: from, column: to)",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(90)
            .build_cartesian_2d(0..size, 0..size)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(STATE_LABELS.len())
            .y_labels(STATE_LABELS.len())
            .x_label_formatter(&|x| STATE_LABELS.get(*x as usize).copied().unwrap_or("").to_owned())
            .y_label_formatter(&|y| {
                STATE_LABELS.get((size - 1 - *y) as usize).copied().unwrap_or("").to_owned()
            })
            .draw()
            .map_err(chart_error)?;
        for (from, row) in rolls.rates.iter().enumerate() {
            for (to, rate) in row.iter().enumerate() {
                let y = size - 1 - from as i32;
                let x = to as i32;
                let shade = (255.0 - rate * 200.0) as u8;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1, y + 1)],
                        RGBColor(shade, shade, 255).filled(),
                    )))
                    .map_err(chart_error)?;
                if rolls.counts[from].iter().sum::<u64>() > 0 {
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!("{:.1}%", rate * 100.0),
                            (x, y + 1),
                            ("sans-serif", 12),
                        )))
                        .map_err(chart_error)?;
                }
            }
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
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

/// The whole page.
pub(crate) fn page(
    title: &str,
    summary_rows: &[(String, String)],
    kpis: &Kpis,
    aging: &[AgingPoint],
    rolls: &RollRates,
) -> Result<String> {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <style>body{{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}figure{{margin:1.5em 0}}</style></head><body>\n\
         <h1>{title}</h1>\n<h2>Summary</h2>\n<table>\n",
        title = escape(title)
    );
    for (name, value) in summary_rows {
        let _ = writeln!(html, "<tr><td>{}</td><td>{}</td></tr>", escape(name), escape(value));
    }
    html.push_str("</table>\n<h2>Champion and challenger</h2>\n<table>\n<tr><th>arm</th><th>accounts</th><th>became delinquent</th><th>cured</th><th>cure rate</th><th>recovery rate</th><th>promises kept</th><th>promises broken</th></tr>\n");
    for arm in &kpis.by_arm {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&arm.arm),
            arm.accounts,
            arm.became_delinquent,
            arm.cured,
            percent(arm.cure_rate),
            percent(arm.recovery_rate),
            arm.promises_kept,
            arm.promises_broken
        );
    }
    html.push_str("</table>\n");
    for (heading, svg) in [
        ("Aging over time", aging_chart(aging)?),
        ("Recovery curve", recovery_chart(&kpis.recovery_curve)?),
        ("Roll rates", roll_chart(rolls)?),
        ("Champion against challenger", arms_chart(kpis)?),
    ] {
        let _ = write!(html, "<figure><h2>{heading}</h2>\n{svg}\n</figure>\n");
    }
    html.push_str("<h2>Contacts blocked by compliance rule</h2>\n<table>\n<tr><th>rule</th><th>blocked</th></tr>\n");
    for (rule, count) in &kpis.contacts_blocked {
        let _ = writeln!(html, "<tr><td>{}</td><td>{count}</td></tr>", escape(rule));
    }
    html.push_str("</table>\n<p>Definitions: docs/DEMO.md and the rustdoc of <code>arrears::reports</code>.</p>\n</body></html>\n");
    Ok(html)
}
