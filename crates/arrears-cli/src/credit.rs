//! `arrears credit decide | terms | review | show | check` and `arrears explain decision`:
//! credit applications decided by the policy's credit rules, a debtor's limit and terms set by
//! hand, the periodic credit reviews, an order checked against the limit in force, and a
//! decision explained and recomputed (docs/CREDIT.md).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use serde::Deserialize;

use arrears::credit::{CreditApplication, CreditTerms, Decided};
use arrears::credit_reports::CreditVerdict;
use arrears::model::ProductKind;
use arrears::money::{Currency, Money};
use arrears::{Arrears, Command, Outcome};

use crate::output::{self, Table};
use crate::{collect, refs, Status};

/// `arrears credit`.
#[derive(Debug, Subcommand)]
pub(crate) enum CreditCommand {
    /// Decide a credit application by the policy's [[credit.rule]] list and the debtor's
    /// score: from a JSON file, or from flags.
    Decide(DecideArgs),
    /// Set a debtor's credit limit and terms by hand, and whether to refuse to trade with it.
    Terms(TermsArgs),
    /// Review every credit standing the policy's [credit.review] makes due on a date.
    Review(ReviewArgs),
    /// A debtor's credit standing and its reviews, with their scores and reasons.
    Show(ShowArgs),
    /// Whether an order fits a debtor's limit in force, with its exposure on a day (exit 1 if
    /// it does not fit).
    Check(CheckArgs),
}

/// `arrears explain`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExplainCommand {
    /// A credit decision: its inputs, score, scorer and SHA-256, the rule that fired, and the
    /// same decision taken again now (exit 1 if it does not reproduce).
    Decision(ExplainArgs),
}

/// The terms, as flags.
#[derive(Debug, Args)]
pub(crate) struct TermsFlags {
    /// Days from invoice to due date.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub(crate) net_days: u16,
    /// The share of each order paid up front, 0 to 1.
    #[arg(long, value_name = "SHARE", default_value = "0", value_parser = crate::args::parse_decimal, allow_negative_numbers = true)]
    pub(crate) deposit: Decimal,
    /// Every order is paid on delivery.
    #[arg(long)]
    pub(crate) cod: bool,
    /// The annual interest rate on overdue amounts, 0 to 1.
    #[arg(long, value_name = "RATE", default_value = "0", value_parser = crate::args::parse_decimal, allow_negative_numbers = true)]
    pub(crate) interest: Decimal,
}

impl TermsFlags {
    fn terms(&self) -> CreditTerms {
        CreditTerms {
            net_days: self.net_days,
            deposit_share: self.deposit,
            cash_on_delivery: self.cod,
            interest_rate: self.interest,
        }
    }
}

/// `arrears credit decide`.
#[derive(Debug, Args)]
pub(crate) struct DecideArgs {
    /// The application as JSON (docs/CREDIT.md); the flags below are then not used.
    #[arg(value_name = "FILE", conflicts_with_all = ["debtor", "limit"])]
    pub(crate) file: Option<PathBuf>,
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID", required_unless_present = "file")]
    pub(crate) debtor: Option<String>,
    /// The product asked for.
    #[arg(long, default_value = "trade_credit", value_parser = parse_product)]
    pub(crate) product: ProductKind,
    /// The limit asked for, in --currency.
    #[arg(
        long,
        required_unless_present = "file",
        value_parser = crate::args::parse_decimal,
        allow_negative_numbers = true
    )]
    pub(crate) limit: Option<Decimal>,
    /// The limit's currency.
    #[arg(long, default_value = "USD", value_parser = crate::input::currency)]
    pub(crate) currency: Currency,
    #[command(flatten)]
    pub(crate) terms: TermsFlags,
    /// A stated attribute, `NAME=VALUE`; repeat for several.
    #[arg(long = "attribute", value_name = "NAME=VALUE", value_parser = parse_attribute)]
    pub(crate) attributes: Vec<(String, String)>,
    /// The day of the application (the score and signals are as of it); default: today.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) on: Option<NaiveDate>,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears credit terms`.
#[derive(Debug, Args)]
pub(crate) struct TermsArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The product the limit is for.
    #[arg(long, default_value = "trade_credit", value_parser = parse_product)]
    pub(crate) product: ProductKind,
    /// The limit.
    #[arg(long, value_parser = crate::args::parse_decimal, allow_negative_numbers = true)]
    pub(crate) limit: Decimal,
    /// The limit's currency.
    #[arg(long, default_value = "USD", value_parser = crate::input::currency)]
    pub(crate) currency: Currency,
    #[command(flatten)]
    pub(crate) terms: TermsFlags,
    /// Refuse new business with the debtor: new accounts and new credit are rejected.
    #[arg(long)]
    pub(crate) refuse_to_trade: bool,
    /// The day it takes effect.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) on: NaiveDate,
    /// The idempotency key.
    #[arg(long)]
    pub(crate) key: String,
}

/// `arrears credit review`.
#[derive(Debug, Args)]
pub(crate) struct ReviewArgs {
    /// The review day; default: today.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
    /// The idempotency key; default: `credit-review:DATE` (one review run per day).
    #[arg(long)]
    pub(crate) key: Option<String>,
}

/// `arrears credit show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
}

/// `arrears credit check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The debtor: its external reference, or its id (`D3`).
    #[arg(long, value_name = "REF_OR_ID")]
    pub(crate) debtor: String,
    /// The order's amount, in --currency.
    #[arg(long, value_parser = crate::args::parse_decimal, allow_negative_numbers = true)]
    pub(crate) amount: Decimal,
    /// The order's currency.
    #[arg(long, default_value = "USD", value_parser = crate::input::currency)]
    pub(crate) currency: Currency,
    /// The day of the exposure; default: today.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

/// `arrears explain decision`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The decision's id (as `credit decide` printed it).
    pub(crate) id: u64,
}

/// `arrears report exposure`.
#[derive(Debug, Args)]
pub(crate) struct ExposureArgs {
    /// The date (default: today).
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

/// `arrears report psi`.
#[derive(Debug, Args)]
pub(crate) struct PsiArgs {
    /// The first date: each debtor's latest review score on or before it.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) from: NaiveDate,
    /// The second date.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) to: NaiveDate,
}

/// `arrears report signals`.
#[derive(Debug, Args)]
pub(crate) struct SignalsArgs {
    /// The first date: signals in force then are compared with those on --as-of.
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) since: NaiveDate,
    /// The report date (default: today).
    #[arg(long, value_name = "DATE", value_parser = crate::args::parse_date)]
    pub(crate) as_of: Option<NaiveDate>,
}

/// A product by its name in files (`trade_credit`).
fn parse_product(text: &str) -> Result<ProductKind, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned())).map_err(|_| {
        format!("{text:?} is not a product; products: revolving, installment, trade_credit, bnpl, utility")
    })
}

/// `NAME=VALUE`.
fn parse_attribute(text: &str) -> Result<(String, String), String> {
    let (name, value) =
        text.split_once('=').ok_or_else(|| format!("{text:?} is not NAME=VALUE"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// An application file, as written (docs/CREDIT.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationFile {
    debtor: String,
    #[serde(default = "trade_credit")]
    product: ProductKind,
    #[serde(deserialize_with = "file_limit")]
    limit: Decimal,
    currency: String,
    #[serde(deserialize_with = "file_applied_on")]
    applied_on: NaiveDate,
    terms: FileTerms,
    #[serde(default, deserialize_with = "file_attributes")]
    attributes: BTreeMap<String, String>,
}

/// The terms of an application file: [`CreditTerms`], its decimals read by the engine's rule,
/// and no field it does not know (a misspelt `interest` is an error, not ignored).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTerms {
    net_days: u16,
    #[serde(deserialize_with = "file_deposit_share")]
    deposit_share: Decimal,
    cash_on_delivery: bool,
    #[serde(deserialize_with = "file_interest_rate")]
    interest_rate: Decimal,
}

impl From<FileTerms> for CreditTerms {
    fn from(terms: FileTerms) -> CreditTerms {
        CreditTerms {
            net_days: terms.net_days,
            deposit_share: terms.deposit_share,
            cash_on_delivery: terms.cash_on_delivery,
            interest_rate: terms.interest_rate,
        }
    }
}

fn trade_credit() -> ProductKind {
    ProductKind::TradeCredit
}

fn file_limit<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    file_decimal(deserializer, "limit")
}

fn file_deposit_share<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Decimal, D::Error> {
    file_decimal(deserializer, "terms.deposit_share")
}

fn file_interest_rate<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Decimal, D::Error> {
    file_decimal(deserializer, "terms.interest_rate")
}

/// The day of an application file, `YYYY-MM-DD` as every date the tool reads: chrono's own
/// serde takes `26-11-20` as the year 26.
fn file_applied_on<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<NaiveDate, D::Error> {
    use serde::de::Error;
    let text = String::deserialize(deserializer)?;
    crate::input::date(&text)
        .map_err(|reason| D::Error::custom(format_args!("applied_on: {reason}")))
}

/// The attributes of an application file, refusing one named twice: a map keeps the last of
/// two values without a word, and a credit rule may test it.
fn file_attributes<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    struct Attributes;

    impl<'de> serde::de::Visitor<'de> for Attributes {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("an object of attribute names and string values")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            use serde::de::Error;
            let mut attributes = BTreeMap::new();
            while let Some((name, value)) = map.next_entry::<String, String>()? {
                if attributes.contains_key(&name) {
                    return Err(A::Error::custom(format_args!(
                        "attributes.{name}: attribute named twice"
                    )));
                }
                attributes.insert(name, value);
            }
            Ok(attributes)
        }
    }

    deserializer.deserialize_map(Attributes)
}

/// A decimal of an application file at `field`: a string by the engine's plain-decimal rule
/// (`"20000.00"`; `rust_decimal`'s own reading would take `"1_000.00"` as 1000), or a JSON
/// integer. A JSON number with a fraction is refused: it is read as a binary float, which
/// holds most decimals inexactly (`1000000000000000.01` would be read as 1000000000000000).
/// The message starts with the field, as the file's errors do (`FILE:LINE: FIELD: REASON`).
fn file_decimal<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    field: &str,
) -> Result<Decimal, D::Error> {
    use serde::de::Error;
    let text = match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => text,
        serde_json::Value::Number(number) if number.is_i64() || number.is_u64() => {
            number.to_string()
        }
        serde_json::Value::Number(_) => {
            return Err(D::Error::custom(format_args!(
                "{field}: a JSON number with a fraction is read as a binary float, which holds \
                 most decimals inexactly; write the decimal as a string, such as \"0.08\""
            )))
        }
        _ => return Err(D::Error::custom(format_args!("{field}: must be a decimal string"))),
    };
    crate::input::plain_decimal(&text)
        .ok_or_else(|| D::Error::custom(format_args!("{field}: {text:?} is not a decimal number")))
}

/// A JSON error of the file `path` as `FILE:LINE: REASON` (the reason naming the field when
/// one is at fault), instead of serde_json's `REASON at line L column C`.
#[cold]
fn json_error(path: &std::path::Path, error: &serde_json::Error) -> anyhow::Error {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let reason = text.strip_suffix(&position).unwrap_or(&text);
    anyhow!("{}:{}: {reason}", path.display(), error.line())
}

/// The application the arguments describe.
fn application(books: &Arrears, args: &DecideArgs, today: NaiveDate) -> Result<CreditApplication> {
    if let Some(path) = &args.file {
        // A byte-order mark is skipped and a Latin-1 file located, as in every file read.
        let text = crate::input::read_text(path)?;
        let file: ApplicationFile =
            serde_json::from_str(&text).map_err(|error| json_error(path, &error))?;
        let currency = crate::input::currency(&file.currency)
            .map_err(|error| anyhow!("{}: currency: {error}", path.display()))?;
        let debtor = refs::debtor(books, &file.debtor, "debtor")?;
        return Ok(CreditApplication {
            debtor: debtor.id,
            product: file.product,
            limit: Money::new(file.limit, currency),
            terms: file.terms.into(),
            applied_on: file.applied_on,
            attributes: file.attributes,
        });
    }
    let (Some(debtor), Some(limit)) = (&args.debtor, args.limit) else {
        bail!("give an application FILE, or --debtor and --limit");
    };
    let debtor = refs::debtor(books, debtor, "--debtor")?;
    Ok(CreditApplication {
        debtor: debtor.id,
        product: args.product,
        limit: Money::new(limit, args.currency),
        terms: args.terms.terms(),
        applied_on: args.on.unwrap_or(today),
        attributes: args.attributes.iter().cloned().collect(),
    })
}

/// `arrears credit ...`.
pub(crate) fn run(
    books: &Arrears,
    horizon: &crate::horizon::Horizon,
    today: NaiveDate,
    command_args: &CreditCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let (key, command) = match command_args {
        CreditCommand::Decide(args) => {
            let application = application(books, args, today)?;
            (args.key.clone(), Command::DecideCredit { application })
        }
        CreditCommand::Terms(args) => {
            let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
            let command = Command::SetCreditTerms {
                debtor: debtor.id,
                product: args.product,
                limit: Money::new(args.limit, args.currency),
                terms: args.terms.terms(),
                refuse_to_trade: args.refuse_to_trade,
                effective_on: args.on,
            };
            (args.key.clone(), command)
        }
        CreditCommand::Review(args) => {
            let as_of = args.as_of.unwrap_or(today);
            let key = args.key.clone().unwrap_or_else(|| format!("credit-review:{as_of}"));
            (key, Command::ReviewCredit { as_of })
        }
        CreditCommand::Show(args) => return show(books, args, json, out),
        CreditCommand::Check(args) => return check(books, args, today, json, out),
    };
    // An application from a file: its errors name the file (and its field), not the flags
    // that would have given the same values.
    let file = match command_args {
        CreditCommand::Decide(args) => args.file.as_deref(),
        _ => None,
    };
    let date_name = |_| match file {
        Some(path) => format!("{}: applied_on", path.display()),
        None => "--on".to_owned(),
    };
    if let Some((_, reason)) = horizon.command_refusal(&command, date_name) {
        bail!("{reason}");
    }
    let receipt = match file {
        Some(path) => books.execute(&key, &command).map_err(|error| match error {
            arrears::CommandError::IdempotencyConflict { .. } => {
                anyhow::Error::from(error).context("--key")
            }
            arrears::CommandError::Invalid { field: "key", .. } => {
                anyhow::Error::from(error).context("--key")
            }
            other => anyhow::Error::from(other).context(path.display().to_string()),
        })?,
        None => collect::execute(books, &key, &command)?,
    };
    if json || receipt.outcome.is_rejected() {
        return match json {
            true => collect::print_json(&key, &receipt, None, out),
            false => collect::print_receipt(books, &key, &receipt, None, out),
        };
    }
    if receipt.replayed {
        writeln!(out, "replayed: key {key:?} was already executed; nothing was written")?;
    }
    print_outcome(books, &receipt.outcome, out)
}

/// What a credit command did, as a person reads it.
fn print_outcome(books: &Arrears, outcome: &Outcome, out: &mut dyn Write) -> Result<Status> {
    match outcome {
        Outcome::CreditDecided { decision, .. } => {
            let Some(stored) = books.credit_decision(*decision)? else {
                bail!("decision {decision} is not stored");
            };
            writeln!(out, "decision {decision}:")?;
            print_decided(&stored.decided, stored.application.limit.currency(), "  ", out)?;
        }
        Outcome::CreditTermsSet { debtor } => writeln!(out, "debtor {debtor}: credit terms set")?,
        Outcome::CreditReviewed { reviews } => {
            writeln!(out, "{} standings reviewed", reviews.len())?;
            for review in reviews {
                writeln!(
                    out,
                    "  {} review {}: {}",
                    review.debtor,
                    review.seq,
                    review.action.name()
                )?;
            }
        }
        other => writeln!(out, "{other:?}")?,
    }
    Ok(Status::Ok)
}

/// A decision's verdict, rule, limit, terms and reasons, one per line.
fn print_decided(
    decided: &Decided,
    currency: Currency,
    indent: &str,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "{indent}verdict: {}", decided.verdict.name())?;
    writeln!(out, "{indent}rule: {}", decided.rule.as_deref().unwrap_or("(none matched)"))?;
    writeln!(out, "{indent}limit: {} {currency}", output::money(decided.limit_minor, currency))?;
    writeln!(out, "{indent}terms: {}", describe_terms(&decided.terms))?;
    writeln!(out, "{indent}reasons: {}", decided.reasons.join(", "))?;
    Ok(())
}

/// `net 30, deposit 0.25, cash on delivery, interest 0.08`.
fn describe_terms(terms: &CreditTerms) -> String {
    let mut parts = vec![format!("net {}", terms.net_days)];
    if !terms.deposit_share.is_zero() {
        parts.push(format!("deposit {}", terms.deposit_share));
    }
    if terms.cash_on_delivery {
        parts.push("cash on delivery".to_owned());
    }
    parts.push(format!("interest {}", terms.interest_rate));
    parts.join(", ")
}

/// `arrears credit show`.
fn show(books: &Arrears, args: &ShowArgs, json: bool, out: &mut dyn Write) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let standing = books.credit_standing(debtor.id)?;
    let reviews = books.credit_reviews(Some(debtor.id))?;
    if json {
        let value = serde_json::json!({ "standing": standing, "reviews": reviews });
        output::json(out, &value)?;
        return Ok(Status::Ok);
    }
    let Some(standing) = standing else {
        writeln!(out, "debtor {}: no credit standing", refs::describe_debtor(&debtor))?;
        return Ok(Status::Ok);
    };
    let currency = standing.currency;
    writeln!(out, "debtor {}: {}", refs::describe_debtor(&debtor), standing.product.name())?;
    writeln!(
        out,
        "  granted: {} {currency}, {}",
        output::money(standing.granted_limit_minor, currency),
        describe_terms(&standing.granted_terms)
    )?;
    writeln!(
        out,
        "  in force: {} {currency}, {}",
        output::money(standing.limit_minor, currency),
        describe_terms(&standing.terms)
    )?;
    writeln!(out, "  refuse to trade: {}", if standing.refuse_to_trade { "yes" } else { "no" })?;
    let mut table = Table::new(&["seq", "on", "trigger", "score", "band", "action", "reasons"]);
    for review in &reviews {
        table.row(vec![
            review.seq.to_string(),
            review.reviewed_on.to_string(),
            review.trigger.name().to_owned(),
            output::opt(review.score.as_ref().map(|score| score.points)),
            output::opt(review.score.as_ref().map(|score| score.band.clone())),
            review.action.name().to_owned(),
            review.decided.reasons.join(" "),
        ]);
    }
    if !table.is_empty() {
        table.write(out, "  ")?;
    }
    Ok(Status::Ok)
}

/// `arrears credit check`: exit 0 if the order fits, 1 if not (over the limit, refused trade,
/// no standing, or a standing in another currency).
fn check(
    books: &Arrears,
    args: &CheckArgs,
    today: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let debtor = refs::debtor(books, &args.debtor, "--debtor")?;
    let as_of = args.as_of.unwrap_or(today);
    let order = Money::new(args.amount, args.currency);
    let check = books.credit_check(debtor.id, order, as_of).map_err(|error| match error {
        arrears::QueryError::Invalid { reason, .. } => anyhow!("--amount: {reason}"),
        other => other.into(),
    })?;
    let status = if check.verdict == CreditVerdict::Fits { Status::Ok } else { Status::Failed };
    if json {
        output::json(out, &check)?;
        return Ok(status);
    }
    let currency = check.currency;
    let money = |minor| format!("{} {currency}", output::money(minor, currency));
    writeln!(
        out,
        "debtor {}: order {} on {as_of}",
        refs::describe_debtor(&debtor),
        money(check.order_minor)
    )?;
    writeln!(out, "  exposure: {}", money(check.exposure_minor))?;
    if let (Some(limit), Some(available)) = (check.limit_minor, check.available_minor) {
        writeln!(out, "  limit in force: {}", money(limit))?;
        writeln!(out, "  available: {}", money(available))?;
    }
    let verdict = match &check.verdict {
        CreditVerdict::Fits => "fits".to_owned(),
        CreditVerdict::OverLimit { by_minor } => {
            format!("over the limit by {}", money(*by_minor))
        }
        CreditVerdict::RefusedToTrade => "refused: the debtor is refused trade".to_owned(),
        CreditVerdict::NoStanding => "no credit standing: no limit was granted".to_owned(),
        CreditVerdict::OtherCurrency { standing } => {
            format!("the limit is in {standing}, the order in {currency}")
        }
        other => format!("{other:?}"),
    };
    writeln!(out, "  verdict: {verdict}")?;
    Ok(status)
}

/// `arrears explain decision ID`.
pub(crate) fn explain(
    books: &Arrears,
    command: &ExplainCommand,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let ExplainCommand::Decision(args) = command;
    let Some(explained) = books.explain_decision(args.id)? else {
        bail!("no credit decision {}", args.id);
    };
    let status = if explained.reproduces() { Status::Ok } else { Status::Failed };
    if json {
        let value = serde_json::json!({
            "decision": explained.decision,
            "policy_now": explained.policy_now,
            "redecided": explained.redecided,
            "rescored_points": explained.rescored_points,
            "reproduces": explained.reproduces(),
        });
        output::json(out, &value)?;
        return Ok(status);
    }
    let decision = &explained.decision;
    let application = &decision.application;
    let currency = application.limit.currency();
    writeln!(out, "decision {} of {} at {}", decision.id, application.debtor, decision.decided_at)?;
    writeln!(out, "policy: {} version {}", decision.policy.0, decision.policy.1)?;
    writeln!(out, "inputs:")?;
    writeln!(out, "  product: {}", application.product.name())?;
    writeln!(
        out,
        "  asked: {} {currency}, {}",
        application.limit.amount(),
        describe_terms(&application.terms)
    )?;
    writeln!(out, "  applied on: {}", application.applied_on)?;
    for (name, value) in &application.attributes {
        writeln!(out, "  attribute {name}: {value}")?;
    }
    let signals: Vec<&str> = decision.signals.iter().map(|signal| signal.name()).collect();
    writeln!(
        out,
        "  signals: {}",
        if signals.is_empty() { "none".to_owned() } else { signals.join(", ") }
    )?;
    writeln!(out, "  accounts scored: {}", decision.features.len())?;
    match &decision.score {
        Some(score) => {
            writeln!(out, "score: {} ({}) by {}", score.points, score.band, score.scorer)?;
            let pin = score.sha256.map_or("built in (no library)".to_owned(), hex);
            writeln!(out, "  sha-256: {pin}")?;
            writeln!(out, "  reasons: {}", score.reasons.join(", "))?;
        }
        None => writeln!(out, "score: none (the scorer failed)")?,
    }
    writeln!(out, "decided:")?;
    print_decided(&decision.decided, currency, "  ", out)?;
    writeln!(
        out,
        "recomputed now (policy {} version {}):",
        explained.policy_now.0, explained.policy_now.1
    )?;
    writeln!(out, "  score: {}", output::opt(explained.rescored_points))?;
    print_decided(&explained.redecided, currency, "  ", out)?;
    let verdict = if explained.reproduces() { "reproduces" } else { "does NOT reproduce" };
    writeln!(out, "the decision {verdict}")?;
    Ok(status)
}

fn hex(bytes: [u8; 32]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `arrears report exposure`.
pub(crate) fn exposure(
    books: &Arrears,
    args: &ExposureArgs,
    today: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let rows = books.report_exposure(args.as_of.unwrap_or(today))?;
    if json {
        output::json(out, &rows)?;
        return Ok(Status::Ok);
    }
    let mut table =
        Table::new(&["band", "currency", "debtors", "exposure", "limit", "utilisation"])
            .numeric(&["debtors", "exposure", "limit", "utilisation"]);
    for row in &rows {
        table.row(vec![
            row.band.clone(),
            row.currency.to_string(),
            row.debtors.to_string(),
            output::money(row.exposure_minor, row.currency),
            output::money(row.limit_minor, row.currency),
            output::opt(row.utilisation),
        ]);
    }
    table.write(out, "")?;
    Ok(Status::Ok)
}

/// `arrears report psi`.
pub(crate) fn psi(
    books: &Arrears,
    args: &PsiArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let psi = books.report_psi(args.from, args.to)?;
    if json {
        output::json(out, &psi)?;
        return Ok(Status::Ok);
    }
    let mut table = Table::new(&["points", "from", "to", "contribution"]).numeric(&[
        "from",
        "to",
        "contribution",
    ]);
    for bin in &psi.bins {
        table.row(vec![
            format!("{}-{}", bin.points_min, bin.points_min + 99),
            bin.from_count.to_string(),
            bin.to_count.to_string(),
            format!("{:.4}", bin.contribution),
        ]);
    }
    table.write(out, "")?;
    let (before, after) = psi.debtors;
    match psi.psi {
        Some(index) => writeln!(
            out,
            "psi {index:.4} ({before} debtors scored by {}, {after} by {})",
            psi.from, psi.to
        )?,
        None => writeln!(out, "psi: no review scores on or before one of the dates")?,
    }
    Ok(Status::Ok)
}

/// `arrears report signals`.
pub(crate) fn signals(
    books: &Arrears,
    args: &SignalsArgs,
    today: NaiveDate,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let as_of = args.as_of.unwrap_or(today);
    let changes = books.report_signal_changes(args.since, as_of)?;
    if json {
        output::json(out, &changes)?;
        return Ok(Status::Ok);
    }
    let names = |signals: &[arrears::policy::Signal]| {
        signals.iter().map(|signal| signal.name()).collect::<Vec<_>>().join(" ")
    };
    let mut table = Table::new(&["account", "reference", "debtor", "added", "removed"]);
    for change in &changes {
        table.row(vec![
            change.account.to_string(),
            change.external_ref.clone().unwrap_or_default(),
            change.debtor.to_string(),
            names(&change.added),
            names(&change.removed),
        ]);
    }
    if changes.is_empty() {
        writeln!(out, "no account's signals changed from {} to {as_of}", args.since)?;
    } else {
        table.write(out, "")?;
    }
    for change in &changes {
        for shown in &change.evidence {
            writeln!(
                out,
                "{} {} from {} by {}: {}",
                change.account,
                shown.signal.name(),
                shown.observed_on,
                shown.source,
                if shown.evidence.is_empty() { "no evidence given" } else { &shown.evidence }
            )?;
        }
    }
    Ok(Status::Ok)
}
