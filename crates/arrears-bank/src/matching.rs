//! Matching statement lines to debtors by rules given as data (issue 17, point 2).
//!
//! [`MatchRules`] is an ordered list of rules loaded from TOML ([`MatchRules::from_toml`]);
//! [`match_line`] evaluates them on one [`StatementLine`] against the engine's data, reached
//! through the [`MatchData`] trait, and returns a [`MatchOutcome`]: the [`Decision`] (post,
//! propose, ambiguous, unmatched) and the rules that found something, with the fields they
//! read and the targets they found. Everything here is pure: no clock, no storage, no posting.
//!
//! Evaluation, in rule order (rules restricted to other currencies skipped):
//! - A rule that finds targets of one debtor decides: [`Decision::Post`] when its kind may
//!   post, [`Decision::Propose`] for `fuzzy_name`.
//! - A rule that finds two or more debtors does not post; its debtors become the candidates,
//!   and later rules only count targets among them, so a later rule can settle the ambiguity
//!   (an `amount` rule picking the one candidate with an obligation of that amount). When no
//!   later rule does, the decision is [`Decision::Ambiguous`].
//! - An `amount` rule looks at the candidates of an earlier ambiguity, else at the debtors
//!   registered on the payer's account; it finds nothing without one of those.
//!
//! ```
//! use arrears_bank::matching::{match_line, Decision, InMemoryMatchData, MatchRules, MatchTarget};
//! use arrears_bank::{parse, FormatChoice};
//! use arrears_core::ids::DebtorId;
//!
//! let mt940 = ":20:S1\n:25:ES9121000418450200051332\n:28C:1\n:60F:C261201EUR0,00\n\
//!              :61:2612011201C250,00NTRFNONREF//BANKREF0001\n:86:Invoice RF18 5390 0754 7034\n\
//!              :62F:C261201EUR250,00\n";
//! let statement = &parse("day.sta", mt940.as_bytes(), FormatChoice::Auto, None)?[0];
//! let rules = "[[rule]]\nname = \"rf\"\nkind = \"creditor_reference\"\n";
//! let rules = MatchRules::from_toml(rules, "rules.toml")?;
//! let mut data = InMemoryMatchData::default();
//! data.add_creditor_reference("RF18539007547034", MatchTarget::debtor(DebtorId(7)));
//! let outcome = match_line(&rules, &statement.lines[0], statement.currency, &data);
//! assert_eq!(outcome.decision, Decision::Post(MatchTarget::debtor(DebtorId(7))));
//! assert_eq!(outcome.steps[0].rule, "rf");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod data;
mod rules;
mod text;

use std::collections::BTreeSet;

use arrears_core::ids::{AccountId, DebtorId, ObligationId};
use arrears_core::money::Currency;
use chrono::NaiveDate;
use serde::Serialize;

use crate::StatementLine;

pub use arrears_core::cash::{AccountCheckError, PayerAccount};
pub use data::InMemoryMatchData;
pub use rules::{
    MatchRule, MatchRules, RuleKind, RulesError, RulesErrorReason, AMOUNT_OBLIGATIONS_MAX,
    AMOUNT_TOLERANCE_MINOR_MAX, RULES_MAX, RULE_NAME_LEN_MAX,
};
pub use text::{normalize_reference, REFERENCE_TOKEN_LEN_MIN};

/// The most candidate debtors an `amount` rule searches (each up to 2^12 combinations); with
/// more, it finds nothing.
pub const AMOUNT_CANDIDATES_MAX: usize = 16;

/// What a match points at: a debtor, and within it an account or some obligations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct MatchTarget {
    /// The debtor.
    pub debtor: DebtorId,
    /// How narrow the match is.
    pub scope: TargetScope,
}

/// How narrow a [`MatchTarget`] is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "scope", content = "ids", rename_all = "snake_case")]
pub enum TargetScope {
    /// The debtor as a whole.
    Debtor,
    /// One of the debtor's accounts.
    Account(AccountId),
    /// Some of the debtor's obligations, in the order found.
    Obligations(Vec<ObligationId>),
}

impl MatchTarget {
    /// The debtor as a whole.
    pub fn debtor(debtor: DebtorId) -> MatchTarget {
        MatchTarget { debtor, scope: TargetScope::Debtor }
    }

    /// One account of the debtor.
    pub fn account(debtor: DebtorId, account: AccountId) -> MatchTarget {
        MatchTarget { debtor, scope: TargetScope::Account(account) }
    }

    /// One obligation of the debtor.
    pub fn obligation(debtor: DebtorId, obligation: ObligationId) -> MatchTarget {
        MatchTarget { debtor, scope: TargetScope::Obligations(vec![obligation]) }
    }
}

/// An open obligation as the engine reports it for matching and apportioning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenObligation {
    /// The obligation.
    pub obligation: ObligationId,
    /// The account it belongs to.
    pub account: AccountId,
    /// Its due date.
    pub due_on: NaiveDate,
    /// What is still owed on it, in minor units (positive).
    pub outstanding_minor: i64,
    /// Its currency.
    pub currency: Currency,
}

/// The engine's data that matching reads. Lookups take normalized keys: RF references in
/// their electronic form ([`crate::rf::normalize`]), external references as
/// [`normalize_reference`] makes them, payer accounts as [`PayerAccount::parse`] makes them;
/// the engine stores its keys normalized the same way.
pub trait MatchData {
    /// The targets an RF reference was issued for (normally one).
    fn by_creditor_reference(&self, reference: &str) -> Vec<MatchTarget>;
    /// The targets (accounts or obligations) whose external reference is `token`.
    fn by_external_reference(&self, token: &str) -> Vec<MatchTarget>;
    /// The debtors that registered this account as theirs.
    fn by_payer_account(&self, account: &PayerAccount) -> Vec<DebtorId>;
    /// A debtor's open obligations, in any currency and order.
    fn open_obligations(&self, debtor: DebtorId) -> Vec<OpenObligation>;
    /// Debtors and their names to compare with `payer_name`; may be every debtor, or the
    /// engine's own preselection (a superset of the similar ones).
    fn debtor_names(&self, payer_name: &str) -> Vec<(DebtorId, String)>;
}

/// A field of a statement line that a rule read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineField {
    /// [`StatementLine::creditor_reference`].
    CreditorReference,
    /// [`StatementLine::remittance_unstructured`].
    Remittance,
    /// [`StatementLine::end_to_end_id`].
    EndToEndId,
    /// [`StatementLine::owner_reference`].
    OwnerReference,
    /// [`StatementLine::payer_account`].
    PayerAccount,
    /// [`StatementLine::payer_name`].
    PayerName,
    /// [`StatementLine::amount_minor`].
    Amount,
}

/// A field a rule matched on, and the value that matched (normalized).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedField {
    /// Which field.
    pub field: LineField,
    /// The value that matched: the RF reference, the token, the account, the name with its
    /// similarity, the amount and the sum it matched.
    pub value: String,
}

/// One rule that found something, in evaluation order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// The rule's name.
    pub rule: String,
    /// The rule's kind (`creditor_reference`...).
    pub kind: &'static str,
    /// The fields it matched on.
    pub fields: Vec<MatchedField>,
    /// The targets it found (among the candidates of an earlier ambiguity, if any).
    pub targets: Vec<MatchTarget>,
    /// Whether this step posts the line (a decision by a kind that may post).
    pub posts: bool,
}

/// The decision for one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", content = "targets", rename_all = "snake_case")]
pub enum Decision {
    /// Post to this target.
    Post(MatchTarget),
    /// A `fuzzy_name` rule proposes this target for review; nothing is posted.
    Propose(MatchTarget),
    /// Rules found two or more debtors and none settled it; nothing is posted.
    Ambiguous(Vec<MatchTarget>),
    /// No rule found anything.
    Unmatched,
}

/// A signal seen on the line but refused: an RF reference or a payer account whose check
/// digits are wrong. Reported so that a reviewer sees why a line did not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedSignal {
    /// Where it was.
    pub field: LineField,
    /// The value as seen.
    pub value: String,
    /// The scheme whose check failed (`RF`, `IBAN`, `CLABE`, `CBU`, `RUT`).
    pub scheme: &'static str,
}

/// The result of [`match_line`]: the decision and its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchOutcome {
    /// What to do with the line.
    pub decision: Decision,
    /// The rules that found something, in order; the last one decided (or left it
    /// ambiguous).
    pub steps: Vec<RuleMatch>,
    /// Signals refused for bad check digits.
    pub refused: Vec<RefusedSignal>,
}

impl MatchOutcome {
    /// Returns true if and only if the decision is to post.
    pub fn posts(&self) -> bool {
        matches!(self.decision, Decision::Post(_))
    }
}

/// What the line offers to the rules, read once.
struct Signals<'a> {
    line: &'a StatementLine,
    /// Valid RF references and the field each came from.
    rf_references: Vec<(LineField, String)>,
    /// Reference tokens and the field each came from.
    tokens: Vec<(LineField, String)>,
    /// The payer's account, when given and valid.
    payer_account: Option<PayerAccount>,
    refused: Vec<RefusedSignal>,
}

impl<'a> Signals<'a> {
    fn read(line: &'a StatementLine) -> Signals<'a> {
        let mut signals = Signals {
            line,
            rf_references: Vec::new(),
            tokens: Vec::new(),
            payer_account: None,
            refused: Vec::new(),
        };
        let texts = [
            (LineField::CreditorReference, line.creditor_reference.as_deref()),
            (LineField::Remittance, line.remittance_unstructured.as_deref()),
            (LineField::EndToEndId, line.end_to_end_id.as_deref()),
            (LineField::OwnerReference, line.owner_reference.as_deref()),
        ];
        for (field, text) in texts {
            let Some(text) = text else { continue };
            for seen in text::rf_references(text) {
                if seen.valid {
                    signals.rf_references.push((field, seen.reference));
                } else {
                    let refused = RefusedSignal { field, value: seen.reference, scheme: "RF" };
                    signals.refused.push(refused);
                }
            }
            let tokens = text::reference_tokens(text);
            signals.tokens.extend(tokens.into_iter().map(|token| (field, token)));
        }
        if let Some(account) = line.payer_account.as_deref().filter(|text| !text.trim().is_empty())
        {
            match PayerAccount::parse(account) {
                Ok(account) => signals.payer_account = Some(account),
                Err(error) => signals.refused.push(RefusedSignal {
                    field: LineField::PayerAccount,
                    value: error.found,
                    scheme: error.scheme,
                }),
            }
        }
        signals
    }
}

/// What one rule found: the fields it matched on and its targets, both only among the
/// candidates of an earlier ambiguity when there is one.
type Found = (Vec<MatchedField>, Vec<MatchTarget>);

/// Evaluates `rules` in order on `line` (whose statement is in `currency`) against `data`.
/// See the module documentation for the evaluation; docs/CASH.md "Matching rules" for each
/// kind.
///
/// The caller decides which lines to match (normally credits that are neither returns nor
/// reversals); this function looks at any line it is given.
pub fn match_line(
    rules: &MatchRules,
    line: &StatementLine,
    currency: Currency,
    data: &dyn MatchData,
) -> MatchOutcome {
    let signals = Signals::read(line);
    let mut steps: Vec<RuleMatch> = Vec::new();
    let mut candidates: Option<BTreeSet<DebtorId>> = None;
    let mut ambiguous: Vec<MatchTarget> = Vec::new();
    for rule in rules.rules().iter().filter(|rule| rule.applies_to(currency)) {
        let (fields, targets) = evaluate(rule, &signals, currency, candidates.as_ref(), data);
        if targets.is_empty() {
            continue;
        }
        let debtors: BTreeSet<DebtorId> = targets.iter().map(|target| target.debtor).collect();
        let posts = debtors.len() == 1 && rule.kind.may_post();
        steps.push(RuleMatch {
            rule: rule.name.clone(),
            kind: rule.kind.name(),
            fields,
            targets: targets.clone(),
            posts,
        });
        if debtors.len() == 1 {
            let target = merge(targets);
            let decision = if posts { Decision::Post(target) } else { Decision::Propose(target) };
            return MatchOutcome { decision, steps, refused: signals.refused };
        }
        ambiguous = targets;
        candidates = Some(debtors);
    }
    let decision =
        if ambiguous.is_empty() { Decision::Unmatched } else { Decision::Ambiguous(ambiguous) };
    MatchOutcome { decision, steps, refused: signals.refused }
}

/// The targets of one debtor as one: obligations joined when every target names
/// obligations, the account when all name the same one, else the debtor.
fn merge(targets: Vec<MatchTarget>) -> MatchTarget {
    let debtor = targets[0].debtor;
    let mut obligations: Vec<ObligationId> = Vec::new();
    let mut accounts: BTreeSet<AccountId> = BTreeSet::new();
    let mut whole = false;
    for target in targets {
        match target.scope {
            TargetScope::Debtor => whole = true,
            TargetScope::Account(account) => {
                accounts.insert(account);
            }
            TargetScope::Obligations(ids) => {
                for id in ids {
                    if !obligations.contains(&id) {
                        obligations.push(id);
                    }
                }
            }
        }
    }
    let only_account = if accounts.len() == 1 { accounts.first().copied() } else { None };
    let scope = match (whole, only_account) {
        (false, Some(account)) if obligations.is_empty() => TargetScope::Account(account),
        (false, None) if accounts.is_empty() && !obligations.is_empty() => {
            TargetScope::Obligations(obligations)
        }
        _ => TargetScope::Debtor,
    };
    MatchTarget { debtor, scope }
}

fn evaluate(
    rule: &MatchRule,
    signals: &Signals<'_>,
    currency: Currency,
    candidates: Option<&BTreeSet<DebtorId>>,
    data: &dyn MatchData,
) -> Found {
    let keep = |target: &MatchTarget| candidates.is_none_or(|set| set.contains(&target.debtor));
    match rule.kind {
        RuleKind::CreditorReference => {
            by_lookup(&signals.rf_references, keep, |key| data.by_creditor_reference(key))
        }
        RuleKind::ReferenceInRemittance => {
            by_lookup(&signals.tokens, keep, |key| data.by_external_reference(key))
        }
        RuleKind::PayerAccount => by_payer_account(signals, keep, data),
        RuleKind::Amount { tolerance_minor, obligations_max } => {
            let debtors = amount_candidates(signals, candidates, data);
            let limits = (tolerance_minor, obligations_max);
            by_amount(signals.line.amount_minor, currency, &debtors, limits, data)
        }
        RuleKind::FuzzyName { threshold_percent } => {
            by_name(signals, threshold_percent, candidates, data)
        }
    }
}

/// Looks every key up and keeps the targets `keep` accepts; the fields are the keys that found
/// one.
fn by_lookup(
    keys: &[(LineField, String)],
    keep: impl Fn(&MatchTarget) -> bool,
    lookup: impl Fn(&str) -> Vec<MatchTarget>,
) -> Found {
    let mut fields = Vec::new();
    let mut targets: Vec<MatchTarget> = Vec::new();
    for (field, key) in keys {
        let found: Vec<MatchTarget> = lookup(key).into_iter().filter(&keep).collect();
        if found.is_empty() {
            continue;
        }
        fields.push(MatchedField { field: *field, value: key.clone() });
        for target in found {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    (fields, targets)
}

fn by_payer_account(
    signals: &Signals<'_>,
    keep: impl Fn(&MatchTarget) -> bool,
    data: &dyn MatchData,
) -> Found {
    let Some(account) = &signals.payer_account else {
        return (Vec::new(), Vec::new());
    };
    let targets: Vec<MatchTarget> =
        data.by_payer_account(account).into_iter().map(MatchTarget::debtor).filter(keep).collect();
    if targets.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let field = MatchedField { field: LineField::PayerAccount, value: account.id().to_owned() };
    (vec![field], targets)
}

/// The candidates of an earlier ambiguity, else the debtors on the payer's account.
fn amount_candidates(
    signals: &Signals<'_>,
    candidates: Option<&BTreeSet<DebtorId>>,
    data: &dyn MatchData,
) -> Vec<DebtorId> {
    let debtors: BTreeSet<DebtorId> = match (candidates, &signals.payer_account) {
        (Some(set), _) => set.clone(),
        (None, Some(account)) => data.by_payer_account(account).into_iter().collect(),
        (None, None) => BTreeSet::new(),
    };
    // Searching only some of them could post to one while another, not searched, owes the
    // same: more candidates than the rule searches, it finds nothing.
    if debtors.len() > AMOUNT_CANDIDATES_MAX {
        return Vec::new();
    }
    debtors.into_iter().collect()
}

/// Each candidate's best combination of open obligations (see [`best_combination`]); the
/// debtors with one are the targets.
fn by_amount(
    amount_minor: i64,
    currency: Currency,
    debtors: &[DebtorId],
    (tolerance_minor, obligations_max): (i64, usize),
    data: &dyn MatchData,
) -> Found {
    let mut fields = Vec::new();
    let mut targets = Vec::new();
    for &debtor in debtors {
        let mut open: Vec<OpenObligation> = data
            .open_obligations(debtor)
            .into_iter()
            .filter(|obligation| {
                obligation.currency == currency && obligation.outstanding_minor > 0
            })
            .collect();
        open.sort_by_key(|obligation| (obligation.due_on, obligation.obligation));
        open.truncate(obligations_max.min(AMOUNT_OBLIGATIONS_MAX));
        let outstanding: Vec<i64> =
            open.iter().map(|obligation| obligation.outstanding_minor).collect();
        if let Some((chosen, sum_minor)) =
            best_combination(amount_minor, &outstanding, tolerance_minor)
        {
            let value = format!("{amount_minor} matches {sum_minor} owed by {debtor}");
            fields.push(MatchedField { field: LineField::Amount, value });
            let ids = chosen.into_iter().map(|index| open[index].obligation).collect();
            targets.push(MatchTarget { debtor, scope: TargetScope::Obligations(ids) });
        }
    }
    (fields, targets)
}

/// The combination of `outstanding` (indexes, oldest due first) whose sum is within
/// `tolerance_minor` of `amount_minor`, and its sum: the smallest difference, then the fewest
/// obligations, then the oldest (the lexicographically first list of indexes). At most
/// [`AMOUNT_OBLIGATIONS_MAX`] entries are searched, so at most 4095 combinations.
fn best_combination(
    amount_minor: i64,
    outstanding: &[i64],
    tolerance_minor: i64,
) -> Option<(Vec<usize>, i64)> {
    let count = outstanding.len().min(AMOUNT_OBLIGATIONS_MAX);
    let mut best: Option<(i128, usize, Vec<usize>, i64)> = None;
    for mask in 1_u32..(1 << count) {
        let chosen: Vec<usize> = (0..count).filter(|index| mask & (1 << index) != 0).collect();
        let sum: i128 = chosen.iter().map(|&index| i128::from(outstanding[index])).sum();
        let difference = (sum - i128::from(amount_minor)).abs();
        if difference > i128::from(tolerance_minor) {
            continue;
        }
        let key = (difference, chosen.len(), chosen);
        if best.as_ref().is_none_or(|(d, n, c, _)| key < (*d, *n, c.clone())) {
            let sum = i64::try_from(sum).unwrap_or(i64::MAX);
            best = Some((key.0, key.1, key.2, sum));
        }
    }
    best.map(|(_, _, chosen, sum)| (chosen, sum))
}

/// The debtors whose names score highest, at or above the threshold.
fn by_name(
    signals: &Signals<'_>,
    threshold_percent: u32,
    candidates: Option<&BTreeSet<DebtorId>>,
    data: &dyn MatchData,
) -> Found {
    let Some(payer_name) =
        signals.line.payer_name.as_deref().filter(|name| !name.trim().is_empty())
    else {
        return (Vec::new(), Vec::new());
    };
    let mut best: Vec<(DebtorId, String)> = Vec::new();
    let mut best_percent = threshold_percent;
    for (debtor, name) in data.debtor_names(payer_name) {
        if candidates.is_some_and(|set| !set.contains(&debtor)) {
            continue;
        }
        let percent = text::name_similarity_percent(payer_name, &name);
        if percent > best_percent {
            best.clear();
            best_percent = percent;
        }
        if percent == best_percent && !best.iter().any(|(id, _)| *id == debtor) {
            best.push((debtor, name));
        }
    }
    let fields = best
        .iter()
        .map(|(debtor, name)| MatchedField {
            field: LineField::PayerName,
            value: format!("{payer_name:?} is {best_percent}% like {name:?} ({debtor})"),
        })
        .collect();
    (fields, best.into_iter().map(|(debtor, _)| MatchTarget::debtor(debtor)).collect())
}

/// The obligations a line's references point at (RF references, then external references, in
/// text order), each once: what [`crate::apportion::ApportionMethod::AsRemitted`] pays first.
pub fn referenced_obligations(line: &StatementLine, data: &dyn MatchData) -> Vec<ObligationId> {
    let signals = Signals::read(line);
    let every = |_: &MatchTarget| true;
    let (_, by_rf) =
        by_lookup(&signals.rf_references, every, |key| data.by_creditor_reference(key));
    let (_, by_token) = by_lookup(&signals.tokens, every, |key| data.by_external_reference(key));
    let mut obligations: Vec<ObligationId> = Vec::new();
    for target in by_rf.into_iter().chain(by_token) {
        if let TargetScope::Obligations(ids) = target.scope {
            for id in ids {
                if !obligations.contains(&id) {
                    obligations.push(id);
                }
            }
        }
    }
    obligations
}

#[cfg(test)]
mod tests;
