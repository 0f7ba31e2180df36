//! `arrears policy set` and `arrears policy show`: the collection policy in force.

use std::io::Write;

use anyhow::Result;
use serde_json::{json, Value};

use arrears::policy::{Policy, Stage};
use arrears::{Arrears, Command, Outcome};

use crate::args::PolicySetArgs;
use crate::collect;
use crate::outbox::channel_name;
use crate::output::{self, Table};
use crate::Status;

pub(crate) fn set(
    books: &Arrears,
    args: &PolicySetArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<Status> {
    let file = args.file.display().to_string();
    let text = crate::input::read_text(&args.file)?;
    let command = Command::SetPolicy { file: file.clone(), text: text.clone() };
    let receipt = collect::execute(books, &args.key, &command)?;
    if json {
        return collect::print_json(&args.key, &receipt, None, out);
    }
    let Outcome::PolicySet { name } = &receipt.outcome else {
        return collect::print_receipt(books, &args.key, &receipt, None, out);
    };
    // The engine accepted the text, so it loads here too.
    let summary = Policy::from_toml(&text, &file)
        .map(|policy| {
            format!(
                " version {}: {}, {}",
                policy.version(),
                count(policy.stages().len(), "stage"),
                count(policy.arms().len(), "arm")
            )
        })
        .unwrap_or_default();
    writeln!(out, "policy {name}{summary}, set from {file}")?;
    if receipt.replayed {
        writeln!(out, "replayed: key {:?} was already executed; nothing was written", args.key)?;
    }
    Ok(Status::Ok)
}

pub(crate) fn show(books: &Arrears, json: bool, out: &mut dyn Write) -> Result<Status> {
    let policy = books.policy()?;
    if json {
        output::json(out, &policy_json(&policy))?;
        return Ok(Status::Ok);
    }
    writeln!(
        out,
        "policy {}  version {}  creditor {}",
        policy.name(),
        policy.version(),
        policy.creditor().name()
    )?;
    writeln!(out, "\nstages (in selection order; the most specific matching stage applies)")?;
    for stage in policy.stages() {
        writeln!(out, "  {}: {}", stage.name, conditions(stage).join(", "))?;
        for action in actions(stage) {
            writeln!(out, "    {action}")?;
        }
    }
    let charge_off = policy.charge_off();
    writeln!(
        out,
        "\ncharge off  revolving at {} dpd, closed-end at {} dpd",
        charge_off.revolving_dpd, charge_off.closed_end_dpd
    )?;
    let promise = policy.promise();
    writeln!(
        out,
        "promise     at most {} days out, at least {} of past due, {} grace days, {} open at most",
        promise.max_days_out, promise.min_share, promise.grace_days, promise.max_open
    )?;
    let plan = policy.plan();
    let frequencies: Vec<&str> =
        plan.frequencies.iter().map(|frequency| frequency.name()).collect();
    writeln!(
        out,
        "plan        at most {} installments of at least {}, {}, affordable share {}, \
         defaults after {} missed, annual rate at most {}",
        plan.max_installments,
        if plan.min_installment.is_empty() {
            "any amount".to_owned()
        } else {
            plan.min_installment.to_string()
        },
        frequencies.join("/"),
        plan.affordable_share,
        plan.default_after_missed,
        plan.max_annual_rate
    )?;
    let settlement = policy.settlement();
    let mut shares: Vec<String> = settlement
        .min_share_by_stage
        .iter()
        .map(|(stage, share)| format!("{stage} {share}"))
        .collect();
    if let Some(share) = settlement.charged_off_min_share {
        shares.push(format!("charged off {share}"));
    }
    let shares = if shares.is_empty() { "none offered".to_owned() } else { shares.join(", ") };
    writeln!(
        out,
        "settlement  minimum share: {shares}; offers expire after {} days",
        settlement.offer_expiry_days
    )?;
    let cadence = policy.review().cadence_days;
    writeln!(
        out,
        "review      every N days: current {}, delinquent {}, promised {}, in_plan {}, \
         disputed {}, hardship {}, placed {}, legal {}, charged_off {}",
        cadence.current,
        cadence.delinquent,
        cadence.promised,
        cadence.in_plan,
        cadence.disputed,
        cadence.hardship,
        cadence.placed,
        cadence.legal,
        cadence.charged_off
    )?;
    writeln!(
        out,
        "dates       at most {} days after today without --allow-future",
        policy.dates().future_days_max
    )?;
    arm_table(policy.arms(), out)?;
    credit_rules(policy.credit(), out)?;
    Ok(Status::Ok)
}

/// The arms, with their house language and tone when any arm sets one (docs/MESSAGES.md,
/// "An arm's house style").
fn arm_table(arms: &[arrears::policy::Arm], out: &mut dyn Write) -> Result<()> {
    writeln!(out, "\narms (champion/challenger split)")?;
    let styled = arms.iter().any(|arm| arm.language.is_some() || arm.tone.is_some());
    let mut columns = vec!["name", "weight", "scorer", "strategy"];
    if styled {
        columns.extend(["language", "tone"]);
    }
    let mut table = Table::new(&columns).numeric(&["weight"]);
    for arm in arms {
        let mut row = vec![
            arm.name.clone(),
            arm.weight.to_string(),
            arm.scorer.clone().unwrap_or_else(|| "(default)".to_owned()),
            arm.strategy.clone().unwrap_or_else(|| "(default)".to_owned()),
        ];
        if styled {
            row.push(arm.language.clone().unwrap_or_else(|| "(debtor's)".to_owned()));
            row.push(arm.tone.map_or("(step's)", |tone| tone.name()).to_owned());
        }
        table.row(row);
    }
    table.write(out, "  ")?;
    Ok(())
}

/// The `[credit]` section, when the policy has one (docs/CREDIT.md).
fn credit_rules(credit: &arrears::credit::CreditPolicy, out: &mut dyn Write) -> Result<()> {
    if credit.rules.is_empty() {
        return Ok(());
    }
    writeln!(out, "\ncredit rules (in file order; the first that matches fires)")?;
    for rule in &credit.rules {
        writeln!(out, "  {}: {}", rule.name, rule.verdict.name())?;
        let mut facts = Vec::new();
        if !rule.products.is_empty() {
            let names: Vec<&str> = rule.products.iter().map(|product| product.name()).collect();
            facts.push(format!("products {}", names.join("/")));
        }
        if !rule.score_bands.is_empty() {
            facts.push(format!("score bands {}", rule.score_bands.join("/")));
        }
        facts.extend(rule.score_below.map(|points| format!("score below {points}")));
        facts.extend(rule.score_at_least.map(|points| format!("score at least {points}")));
        if !rule.signals.is_empty() {
            let names: Vec<&str> = rule.signals.iter().map(|signal| signal.name()).collect();
            facts.push(format!("signals {}", names.join("/")));
        }
        facts.extend(
            rule.limit_above.as_ref().map(|amount| format!("limit above {}", amounts(amount))),
        );
        for (name, value) in &rule.attributes {
            facts.push(format!("{name} = {value}"));
        }
        if !facts.is_empty() {
            writeln!(out, "    when {}", facts.join(", "))?;
        }
        let mut grants = Vec::new();
        grants.extend(
            rule.limit_max.as_ref().map(|amount| format!("limit at most {}", amounts(amount))),
        );
        grants.extend(rule.net_days_max.map(|days| format!("net {days} days at most")));
        grants.extend(rule.deposit_share_min.map(|share| format!("deposit at least {share}")));
        if rule.cash_on_delivery {
            grants.push("cash on delivery".to_owned());
        }
        grants.extend(rule.interest_rate_min.map(|rate| format!("interest at least {rate}")));
        if !grants.is_empty() {
            writeln!(out, "    grants {}", grants.join(", "))?;
        }
        if !rule.reasons.is_empty() {
            writeln!(out, "    reasons {}", rule.reasons.join(", "))?;
        }
    }
    let review = &credit.review;
    let mut due = Vec::new();
    due.extend(review.every_days.map(|days| format!("every {days} days")));
    if !review.on_signals.is_empty() {
        let names: Vec<&str> = review.on_signals.iter().map(|signal| signal.name()).collect();
        due.push(format!("on signals {}", names.join("/")));
    }
    due.extend(review.score_drop.map(|points| format!("on a score drop of {points}")));
    if !due.is_empty() {
        writeln!(out, "  reviews {}", due.join(", "))?;
    }
    Ok(())
}

/// `50000.00 USD / 45000.00 EUR`.
fn amounts(amount: &arrears::policy::Amount) -> String {
    let figures: Vec<String> = amount
        .currencies()
        .filter_map(|currency| {
            amount.in_currency(currency).map(|figure| {
                let minor = arrears::money::Money::new(figure, currency).to_minor().unwrap_or(0);
                format!("{} {currency}", output::money(minor, currency))
            })
        })
        .collect();
    figures.join(" / ")
}

/// `1 stage`, `4 stages`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A stage's entry conditions, as text.
fn conditions(stage: &Stage) -> Vec<String> {
    let conditions = &stage.conditions;
    let mut parts = vec![match conditions.max_dpd {
        Some(max) => format!("dpd {} to {max}", conditions.min_dpd),
        None => format!("dpd {} and over", conditions.min_dpd),
    }];
    match (&conditions.min_balance, &conditions.max_balance) {
        (Some(min), Some(max)) => parts.push(format!("balance {min} to {max}")),
        (Some(min), None) => parts.push(format!("balance {min} and over")),
        (None, Some(max)) => parts.push(format!("balance up to {max}")),
        (None, None) => {}
    }
    if let Some(products) = &conditions.products {
        let names: Vec<&str> = products.iter().map(|product| product.name()).collect();
        parts.push(format!("products {}", names.join("/")));
    }
    if let Some(jurisdictions) = &conditions.jurisdictions {
        let names: Vec<String> = jurisdictions.iter().map(ToString::to_string).collect();
        parts.push(format!("jurisdictions {}", names.join("/")));
    }
    if let Some(bands) = &conditions.score_bands {
        parts.push(format!("score bands {}", bands.join("/")));
    }
    if !conditions.signals.is_empty() {
        let names: Vec<&str> = conditions.signals.iter().map(|signal| signal.name()).collect();
        parts.push(format!("signals {}", names.join("+")));
    }
    let customer = &conditions.customer;
    match (customer.min_tenure_months, customer.max_tenure_months) {
        (Some(min), Some(max)) => parts.push(format!("tenure {min} to {max} months")),
        (Some(min), None) => parts.push(format!("tenure {min} months and over")),
        (None, Some(max)) => parts.push(format!("tenure up to {max} months")),
        (None, None) => {}
    }
    if let Some(value) = &customer.min_lifetime_value {
        parts.push(format!("lifetime value {value} and over"));
    }
    parts
}

/// A stage's actions, one line each.
fn actions(stage: &Stage) -> Vec<String> {
    let actions = &stage.actions;
    let mut lines = Vec::new();
    for step in &actions.contact {
        lines.push(format!(
            "day {:>3}: {} {}",
            step.after_days,
            channel_name(step.channel),
            step.template
        ));
    }
    if actions.late_fee {
        lines.push("late fee".to_owned());
    }
    if actions.credit_hold {
        lines.push("credit hold".to_owned());
    }
    if let Some(placement) = &actions.placement {
        let commission = if placement.commission_rate.is_zero() {
            String::new()
        } else {
            format!(", commission {}", placement.commission_rate)
        };
        lines.push(format!(
            "day {:>3}: place with {}{commission}",
            placement.after_days, placement.agency
        ));
    }
    if let Some(days) = actions.legal_after_days {
        lines.push(format!("day {days:>3}: refer to legal"));
    }
    if actions.charge_off {
        lines.push("charge off".to_owned());
    }
    if lines.is_empty() {
        lines.push("no actions".to_owned());
    }
    lines
}

/// A stage's customer conditions as JSON, `null` when it has none (docs/MESSAGES.md).
fn customer_json(customer: &arrears::policy::CustomerConditions) -> Value {
    if customer == &arrears::policy::CustomerConditions::default() {
        return Value::Null;
    }
    json!({
        "min_tenure_months": customer.min_tenure_months,
        "max_tenure_months": customer.max_tenure_months,
        "min_lifetime_value": customer.min_lifetime_value,
    })
}

/// The policy as JSON (the engine's `Policy` is not serializable): the same fields as the
/// policy file, with decimals as strings.
fn policy_json(policy: &Policy) -> Value {
    let stages: Vec<Value> = policy
        .stages()
        .iter()
        .map(|stage| {
            let conditions = &stage.conditions;
            let actions = &stage.actions;
            json!({
                "name": stage.name,
                "conditions": {
                    "min_dpd": conditions.min_dpd,
                    "max_dpd": conditions.max_dpd,
                    "min_balance": conditions.min_balance,
                    "max_balance": conditions.max_balance,
                    "products": conditions.products.as_ref().map(|products| {
                        products.iter().map(|product| product.name()).collect::<Vec<_>>()
                    }),
                    "jurisdictions": conditions.jurisdictions.as_ref().map(|patterns| {
                        patterns.iter().map(ToString::to_string).collect::<Vec<_>>()
                    }),
                    "score_bands": conditions.score_bands,
                    "signals": conditions.signals,
                    "customer": customer_json(&conditions.customer),
                },
                "actions": {
                    "contact": actions.contact.iter().map(|step| json!({
                        "channel": channel_name(step.channel),
                        "template": step.template,
                        "after_days": step.after_days,
                    })).collect::<Vec<_>>(),
                    "late_fee": actions.late_fee,
                    "credit_hold": actions.credit_hold,
                    "placement": actions.placement.as_ref().map(|placement| json!({
                        "after_days": placement.after_days,
                        "agency": placement.agency,
                        "commission_rate": placement.commission_rate.to_string(),
                    })),
                    "legal_after_days": actions.legal_after_days,
                    "charge_off": actions.charge_off,
                },
            })
        })
        .collect();
    let promise = policy.promise();
    let plan = policy.plan();
    let settlement = policy.settlement();
    let cadence = policy.review().cadence_days;
    let arms: Vec<Value> = policy
        .arms()
        .iter()
        .map(|arm| {
            json!({
                "name": arm.name,
                "weight": arm.weight,
                "scorer": arm.scorer,
                "strategy": arm.strategy,
                "language": arm.language,
                "tone": arm.tone.map(|tone| tone.name()),
            })
        })
        .collect();
    json!({
        "name": policy.name(),
        "version": policy.version(),
        "creditor": policy.creditor(),
        "stages": stages,
        "charge_off": {
            "revolving_dpd": policy.charge_off().revolving_dpd,
            "closed_end_dpd": policy.charge_off().closed_end_dpd,
        },
        "promise": {
            "max_days_out": promise.max_days_out,
            "min_share": promise.min_share,
            "grace_days": promise.grace_days,
            "max_open": promise.max_open,
        },
        "plan": {
            "affordable_share": plan.affordable_share,
            "max_installments": plan.max_installments,
            "min_installment": plan.min_installment,
            "frequencies": plan.frequencies,
            "default_after_missed": plan.default_after_missed,
            "max_annual_rate": plan.max_annual_rate,
        },
        "settlement": {
            "min_share_by_stage": settlement.min_share_by_stage,
            "charged_off_min_share": settlement.charged_off_min_share,
            "offer_expiry_days": settlement.offer_expiry_days,
        },
        "review": {
            "cadence_days": {
                "current": cadence.current,
                "delinquent": cadence.delinquent,
                "promised": cadence.promised,
                "in_plan": cadence.in_plan,
                "disputed": cadence.disputed,
                "hardship": cadence.hardship,
                "placed": cadence.placed,
                "legal": cadence.legal,
                "charged_off": cadence.charged_off,
            },
        },
        "dates": { "future_days_max": policy.dates().future_days_max },
        "arms": arms,
        "credit": credit_json(policy.credit()),
    })
}

/// The `[credit]` section as JSON (`null` when the policy has none).
fn credit_json(credit: &arrears::credit::CreditPolicy) -> Value {
    if credit.rules.is_empty() {
        return Value::Null;
    }
    let amount = |amount: Option<&arrears::policy::Amount>| {
        amount.map(|amount| {
            amount
                .currencies()
                .map(|currency| (currency.to_string(), json!(amount.in_currency(currency))))
                .collect::<serde_json::Map<String, Value>>()
        })
    };
    let rules: Vec<Value> = credit
        .rules
        .iter()
        .map(|rule| {
            json!({
                "name": rule.name,
                "decision": rule.verdict.name(),
                "products": rule.products,
                "score_bands": rule.score_bands,
                "score_below": rule.score_below,
                "score_at_least": rule.score_at_least,
                "signals": rule.signals,
                "limit_above": amount(rule.limit_above.as_ref()),
                "attributes": rule.attributes,
                "limit_max": amount(rule.limit_max.as_ref()),
                "net_days_max": rule.net_days_max,
                "deposit_share_min": rule.deposit_share_min,
                "cash_on_delivery": rule.cash_on_delivery,
                "interest_rate_min": rule.interest_rate_min,
                "reasons": rule.reasons,
            })
        })
        .collect();
    let review = &credit.review;
    json!({
        "rules": rules,
        "review": {
            "every_days": review.every_days,
            "on_signals": review.on_signals,
            "score_drop": review.score_drop,
        },
    })
}
