//! Credit management in the engine (docs/CREDIT.md): deciding applications
//! (`Command::DecideCredit`), setting a debtor's limit and terms by hand
//! (`Command::SetCreditTerms`), the periodic credit reviews (`Command::ReviewCredit`), and the
//! refuse-to-trade check that new accounts and new credit pass.
//!
//! A debtor's score for credit is its arm's scorer over the features of each of its accounts
//! (or of the application alone, for a debtor with no account yet), the lowest score standing
//! for the debtor, as contact requests do. The rules themselves are `arrears_core::credit`'s.
//!
//! In the engine's module order it comes after the commands it shares the dispatcher with
//! (`queue` for the extension signal) and before `execute`, which dispatches to it.

use std::sync::Arc;

use chrono::NaiveDate;

use arrears_core::credit::{
    apply_review, decide, review_due, CreditApplication, CreditDecision, CreditFacts, CreditReview,
    CreditScore, CreditStanding, CreditTerms, ReviewMark, ATTRIBUTES_MAX,
};
use arrears_core::ids::{AccountId, DebtorId};
use arrears_core::model::{Debtor, ProductKind};
use arrears_core::money::{Currency, Money};
use arrears_core::policy::Signal;
use arrears_core::strategy::{Features, Score, Scorer, REASONS_MAX, SCORE_MAX, SCORE_MIN};
use arrears_store::{Reads, WriteTxn};

use crate::command::{Outcome, ReviewDone};
use crate::context::{components_for, minor, text, Components, Env, DEFAULT_SCORER};
use crate::error::CommandError;
use crate::registry::Registry;

/// The components a credit command scores with: this process's, then the store's registry.
pub(crate) struct Scoring<'a> {
    pub(crate) components: &'a Components,
    pub(crate) registry: &'a Registry,
}

/// What the engine knows of a debtor on a day, for credit: the features scored, the score and
/// the signals in force.
pub(crate) struct Picture {
    pub(crate) features: Vec<Features>,
    pub(crate) score: Option<CreditScore>,
    pub(crate) signals: Vec<Signal>,
}

/// What a picture of a debtor is taken for: the product and limit of an application (or of a
/// standing, in a review), and the day.
struct Subject {
    product: ProductKind,
    currency: Currency,
    limit_minor: i64,
    as_of: NaiveDate,
}

/// The debtor's picture on `subject.as_of`: each account's features and signals (the reported
/// signals alone for a debtor with no account), scored in one call by the debtor's arm's scorer.
fn picture(
    env: &Env<'_>,
    scoring: &Scoring<'_>,
    resolved: &Components,
    debtor: &Debtor,
    subject: &Subject,
) -> Result<Picture, CommandError> {
    let txn: &WriteTxn = env.txn;
    let contacts = txn.contacts(debtor.id)?;
    let mut features = Vec::new();
    let mut signals: Vec<Signal> = Vec::new();
    for account_id in txn.accounts_of(debtor.id)? {
        let Some(account) = txn.account(account_id)? else { continue };
        let case = crate::lifecycle::load_case(txn, env.policy, &account)?;
        // The features read the payments of the last 90 days and what is owed: the hot part
        // of the state holds them (format 3), so no cold part is merged for a review.
        let payments_from = arrears_core::dates::days_before(subject.as_of, 90);
        let state = txn.open_state(&account, subject.as_of, payments_from)?;
        let account_features =
            crate::lifecycle::features(&contacts, &account, &case, &state, subject.as_of);
        let extension = crate::queue::extension_requested(txn, account.id, subject.as_of)?;
        let account_signals =
            crate::lifecycle::signals(&case, debtor, &account_features, subject.as_of, extension);
        signals.extend(account_signals);
        features.push(account_features);
    }
    if features.is_empty() {
        features.push(applicant_features(debtor.id, subject));
        signals.extend(
            debtor
                .reported_signals
                .iter()
                .filter(|reported| reported.in_force(subject.as_of))
                .map(|reported| reported.signal),
        );
    }
    signals.sort_by_key(|signal| Signal::ALL.iter().position(|known| known == signal));
    signals.dedup();
    let score = score(env, scoring, resolved, debtor.id, &features)?;
    Ok(Picture { features, score, signals })
}

/// The features of an applicant with no account: a new account of the product, nothing owed.
fn applicant_features(debtor: DebtorId, subject: &Subject) -> Features {
    Features {
        account: AccountId(0),
        debtor,
        product: subject.product,
        as_of: subject.as_of,
        currency: subject.currency,
        days_past_due: 0,
        total_outstanding_minor: 0,
        past_due_minor: 0,
        credit_limit_minor: Some(subject.limit_minor),
        months_on_book: 0,
        payments_90d: 0,
        paid_90d_minor: 0,
        reversals_90d: 0,
        broken_promises: 0,
        kept_promises: 0,
        attempts_30d: 0,
        right_party_contacts_30d: 0,
        calls_30d: 0,
    }
}

/// The debtor's score: the lowest of its features' scores by its arm's scorer; `None` if the
/// scorer fails or answers outside the score range (a decision is then taken unscored).
fn score(
    env: &Env<'_>,
    scoring: &Scoring<'_>,
    resolved: &Components,
    debtor: DebtorId,
    features: &[Features],
) -> Result<Option<CreditScore>, CommandError> {
    let (name, scorer) = scorer_of(env, resolved, debtor)?;
    let sha256 = match scoring.components.scorers.contains_key(&name) {
        true => None,
        false => match env.txn.plugin_entry(&name)?.map(|row| row.source) {
            Some(arrears_store::PluginSourceRow::Library { sha256, .. }) => Some(sha256),
            _ => None,
        },
    };
    let Some(lowest) = lowest_score(scorer, features) else { return Ok(None) };
    Ok(Some(CreditScore {
        scorer: name,
        sha256,
        points: lowest.points.round() as i32,
        band: lowest.band,
        reasons: lowest.reasons,
    }))
}

/// The components the policy's arms name, resolved: this process's, then the store's
/// registry. A credit command resolves them once, not per debtor (a registry read each).
fn resolve(env: &Env<'_>, scoring: &Scoring<'_>) -> Result<Components, CommandError> {
    Ok(components_for(scoring.components, scoring.registry, env.policy, &*env.txn)?)
}

/// The name and the scorer of the debtor's arm; an error if the arm names a scorer that does
/// not resolve.
fn scorer_of<'c>(
    env: &Env<'_>,
    resolved: &'c Components,
    debtor: DebtorId,
) -> Result<(String, &'c Arc<dyn Scorer>), CommandError> {
    let arm = env.policy.arm_for(debtor.0);
    let name = arm.scorer.clone().unwrap_or_else(|| DEFAULT_SCORER.to_owned());
    match resolved.scorers.get(&name) {
        Some(scorer) => Ok((name, scorer)),
        None => Err(CommandError::UnknownComponent { arm: arm.name.clone(), kind: "scorer", name }),
    }
}

/// The lowest valid score of `features` by `scorer`; `None` if the call fails or any score is
/// invalid (a plugin's output is input to check, never trusted).
fn lowest_score(scorer: &Arc<dyn Scorer>, features: &[Features]) -> Option<Score> {
    let scores = scorer.score_batch(features).ok()?;
    if scores.len() != features.len() {
        return None;
    }
    let valid = |score: &Score| {
        score.points.is_finite()
            && (SCORE_MIN..=SCORE_MAX).contains(&score.points)
            && score.reasons.len() <= REASONS_MAX
    };
    if !scores.iter().all(valid) {
        return None;
    }
    scores.into_iter().min_by(|left, right| left.points.total_cmp(&right.points))
}

/// Checks an application: the debtor exists, the limit is positive in its currency's minor
/// units, the terms are in range, the attributes are few and short. The limit in minor units.
fn check_application(env: &Env<'_>, application: &CreditApplication) -> Result<i64, CommandError> {
    if env.txn.debtor(application.debtor)?.is_none() {
        return Err(CommandError::UnknownDebtor(application.debtor));
    }
    let limit_minor = check_limit("application.limit", &application.limit)?;
    application.terms.check().map_err(|(field, reason)| CommandError::Invalid { field, reason })?;
    if ATTRIBUTES_MAX < application.attributes.len() {
        return Err(CommandError::Invalid {
            field: "application.attributes",
            reason: format!(
                "{} attributes, at most {ATTRIBUTES_MAX}",
                application.attributes.len()
            ),
        });
    }
    for (name, value) in &application.attributes {
        text("application.attributes", name, true)?;
        text("application.attributes", value, false)?;
    }
    Ok(limit_minor)
}

/// A limit in minor units: not negative, exact in its currency.
fn check_limit(field: &'static str, limit: &Money) -> Result<i64, CommandError> {
    let limit_minor = minor(field, limit, limit.currency())?;
    if limit_minor < 0 {
        return Err(CommandError::Invalid { field, reason: "must not be negative".to_owned() });
    }
    Ok(limit_minor)
}

/// `Command::DecideCredit`.
pub(crate) fn decide_credit(
    env: &mut Env<'_>,
    scoring: &Scoring<'_>,
    application: &CreditApplication,
) -> Result<Outcome, CommandError> {
    let limit_minor = check_application(env, application)?;
    let debtor = crate::context::load_debtor_id(env.txn, application.debtor)?;
    let currency = application.limit.currency();
    let subject = Subject {
        product: application.product,
        currency,
        limit_minor,
        as_of: application.applied_on,
    };
    let resolved = resolve(env, scoring)?;
    let picture = picture(env, scoring, &resolved, &debtor, &subject)?;
    let facts = CreditFacts {
        product: application.product,
        limit: application.limit,
        score: picture.score.as_ref(),
        signals: &picture.signals,
        attributes: &application.attributes,
    };
    let decided = decide(&env.policy.credit().rules, &facts, limit_minor, &application.terms);
    let id = env.txn.last_credit_decision_id()? + 1;
    let verdict = decided.verdict;
    if verdict == arrears_core::credit::Verdict::Approve {
        // A stop set by hand is lifted only by hand (`SetCreditTerms`), not by the rules: the
        // approval grants its limit and terms, and the debtor stays refused.
        let stopped_by_hand =
            env.txn.credit_standing(debtor.id)?.is_some_and(|standing| standing.stopped_by_hand);
        let standing = CreditStanding {
            debtor: debtor.id,
            product: application.product,
            currency,
            granted_limit_minor: decided.limit_minor,
            granted_terms: decided.terms.clone(),
            limit_minor: decided.limit_minor,
            terms: decided.terms.clone(),
            refuse_to_trade: stopped_by_hand,
            stopped_by_hand,
            granted_on: application.applied_on,
            last_review: Some(mark(application.applied_on, &picture)),
            detected: None,
        };
        env.txn.put_credit_standing(&standing)?;
    }
    let decision = CreditDecision {
        id,
        application: application.clone(),
        decided_at: env.now,
        policy: (env.policy.name().to_owned(), env.policy.version()),
        features: picture.features,
        score: picture.score,
        signals: picture.signals,
        decided,
    };
    env.txn.put_credit_decision(&decision)?;
    Ok(Outcome::CreditDecided { decision: id, verdict })
}

/// What a review leaves for the next one.
fn mark(reviewed_on: NaiveDate, picture: &Picture) -> ReviewMark {
    ReviewMark {
        reviewed_on,
        points: picture.score.as_ref().map(|score| score.points),
        signals: picture.signals.clone(),
    }
}

/// A stored credit decision with the same decision taken again now: the rules of the policy in
/// force on the stored inputs, and the scorer on the stored features
/// (`Arrears::explain_decision`; `arrears explain decision ID` prints it).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionExplained {
    /// The decision as stored, with everything it read.
    pub decision: CreditDecision,
    /// The name and version of the policy in force now.
    pub policy_now: (String, u32),
    /// The rules in force now, on the stored application, score and signals.
    pub redecided: arrears_core::credit::Decided,
    /// The scorer the decision used, as it resolves now, on the stored features (`None`: it
    /// no longer resolves, or fails).
    pub rescored_points: Option<i32>,
}

impl DecisionExplained {
    /// Returns true if and only if the decision reproduces: the same verdict, rule, limit,
    /// terms and reasons now, and the same score points.
    pub fn reproduces(&self) -> bool {
        self.redecided == self.decision.decided
            && self.rescored_points == self.decision.score.as_ref().map(|score| score.points)
    }
}

/// The decision of `decision` taken again from its stored inputs (application, score,
/// signals) under `rules`: what `arrears explain decision` compares with the stored one.
pub(crate) fn redecide(
    rules: &[arrears_core::credit::CreditRule],
    decision: &CreditDecision,
    score: Option<&CreditScore>,
) -> Result<arrears_core::credit::Decided, CommandError> {
    let application = &decision.application;
    let limit_minor = check_limit("application.limit", &application.limit)?;
    let facts = CreditFacts {
        product: application.product,
        limit: application.limit,
        score,
        signals: &decision.signals,
        attributes: &application.attributes,
    };
    Ok(decide(rules, &facts, limit_minor, &application.terms))
}

/// The lowest score of `features` by the scorer `name` as this process resolves it, for
/// `arrears explain decision` to show whether the stored score reproduces.
pub(crate) fn rescore(
    scoring: &Scoring<'_>,
    policy: &arrears_core::policy::Policy,
    reads: &impl Reads,
    name: &str,
    features: &[Features],
) -> Result<Option<i32>, CommandError> {
    let Ok(resolved) = components_for(scoring.components, scoring.registry, policy, reads) else {
        return Ok(None);
    };
    let Some(scorer) = resolved.scorers.get(name) else { return Ok(None) };
    Ok(lowest_score(scorer, features).map(|score| score.points.round() as i32))
}

/// `Command::SetCreditTerms`.
pub(crate) fn set_credit_terms(
    env: &mut Env<'_>,
    debtor: DebtorId,
    product: ProductKind,
    limit: &Money,
    terms: &CreditTerms,
    (refuse_to_trade, effective_on): (bool, NaiveDate),
) -> Result<Outcome, CommandError> {
    let limit_minor = check_limit("limit", limit)?;
    terms.check().map_err(|(field, reason)| CommandError::Invalid { field, reason })?;
    let record = crate::context::load_debtor_id(env.txn, debtor)?;
    // Set by hand counts as a review on its day: the next one is due from it, and compares
    // with the signals in force that day (a person looked at them). No score is taken: the
    // last review's points stay.
    let last_review = env.txn.credit_standing(debtor)?.and_then(|standing| standing.last_review);
    let mut signals = signals_of(env, &record, &Signal::ALL, effective_on)?;
    signals.sort_by_key(|signal| Signal::ALL.iter().position(|known| known == signal));
    signals.dedup();
    let last_review = Some(ReviewMark {
        reviewed_on: effective_on,
        points: last_review.as_ref().and_then(|mark| mark.points),
        signals,
    });
    let standing = CreditStanding {
        debtor,
        product,
        currency: limit.currency(),
        granted_limit_minor: limit_minor,
        granted_terms: terms.clone(),
        limit_minor,
        terms: terms.clone(),
        refuse_to_trade,
        stopped_by_hand: refuse_to_trade,
        granted_on: effective_on,
        last_review,
        detected: None,
    };
    env.txn.put_credit_standing(&standing)?;
    Ok(Outcome::CreditTermsSet { debtor })
}

/// `Command::SetCreditStanding`: the standing stored as given, once checked as `verify`
/// checks a standing (its debtor exists, its limits are not negative and the one in force is
/// at most the granted one, both terms valid and those in force at least as strict as the
/// granted ones). Nothing is written on an error.
pub(crate) fn set_credit_standing(
    env: &mut Env<'_>,
    standing: &CreditStanding,
) -> Result<Outcome, CommandError> {
    let invalid = |field: &'static str, reason: String| CommandError::Invalid { field, reason };
    if standing.granted_limit_minor < 0 {
        return Err(invalid("standing.granted_limit_minor", "must not be negative".to_owned()));
    }
    if !(0..=standing.granted_limit_minor).contains(&standing.limit_minor) {
        return Err(invalid(
            "standing.limit_minor",
            format!(
                "{} is not between 0 and the granted limit {}",
                standing.limit_minor, standing.granted_limit_minor
            ),
        ));
    }
    for (field, terms) in
        [("standing.granted_terms", &standing.granted_terms), ("standing.terms", &standing.terms)]
    {
        terms.check().map_err(|(part, reason)| invalid(field, format!("{part}: {reason}")))?;
    }
    if !standing.terms.at_least_as_strict_as(&standing.granted_terms) {
        return Err(invalid("standing.terms", "looser than the granted terms".to_owned()));
    }
    if standing.last_review.as_ref().is_some_and(|mark| mark.reviewed_on < standing.granted_on) {
        return Err(invalid(
            "standing.last_review",
            "the last review is before the standing was granted".to_owned(),
        ));
    }
    crate::context::load_debtor_id(env.txn, standing.debtor)?;
    env.txn.put_credit_standing(standing)?;
    Ok(Outcome::CreditTermsSet { debtor: standing.debtor })
}

/// `Command::ReviewCredit`: every standing the policy makes due on `as_of`, decided by the
/// credit rules from its granted limit and terms, stored with its score and reasons.
///
/// A standing is scored only when a review may be due ([`may_be_due`], from what is cheap to
/// read): scoring every standing each day to find the few due was most of a daily cycle's
/// credit work. The reviews are the same as scoring them all.
pub(crate) fn review_credit(
    env: &mut Env<'_>,
    scoring: &Scoring<'_>,
    as_of: NaiveDate,
) -> Result<Outcome, CommandError> {
    let mut reviews = Vec::new();
    let standings = env.txn.credit_standings()?;
    if standings.is_empty() {
        return Ok(Outcome::CreditReviewed { reviews });
    }
    let resolved = resolve(env, scoring)?;
    for standing in standings {
        let Some(debtor) = env.txn.debtor(standing.debtor)? else {
            return Err(CommandError::UnknownDebtor(standing.debtor));
        };
        // An arm whose scorer does not resolve fails the review whether or not it is due.
        scorer_of(env, &resolved, debtor.id)?;
        if !may_be_due(env, &standing, &debtor, as_of)? {
            continue;
        }
        if let Some(done) = review_one(env, scoring, &resolved, &standing, &debtor, as_of)? {
            reviews.push(done);
        }
    }
    Ok(Outcome::CreditReviewed { reviews })
}

/// False only if `review_due` cannot answer a trigger on `as_of` whatever the score: the
/// standing was reviewed that day or later, or no schedule, score drop or new signal can be
/// due. The score is needed only for a score drop; the signals are read only as far as a new
/// one of the review's could be among them.
fn may_be_due(
    env: &Env<'_>,
    standing: &CreditStanding,
    debtor: &Debtor,
    as_of: NaiveDate,
) -> Result<bool, CommandError> {
    let rules = &env.policy.credit().review;
    let Some(last) = &standing.last_review else { return Ok(true) };
    if last.reviewed_on >= as_of {
        return Ok(false);
    }
    let scheduled = rules
        .every_days
        .is_some_and(|every| (as_of - last.reviewed_on).num_days() >= i64::from(every));
    if scheduled || (rules.score_drop.is_some() && last.points.is_some()) {
        return Ok(true);
    }
    let wanted: Vec<Signal> =
        rules.on_signals.iter().filter(|signal| !last.signals.contains(signal)).copied().collect();
    if wanted.is_empty() {
        return Ok(false);
    }
    let signals = signals_of(env, debtor, &wanted, as_of)?;
    Ok(signals.iter().any(|signal| wanted.contains(signal)))
}

/// The debtor's signals on `as_of` as [`picture`] finds them, without its features and score:
/// the reported ones in force, and each account's case signals, unreturned calls (read only if
/// `wanted`) and extension request (likewise).
fn signals_of(
    env: &Env<'_>,
    debtor: &Debtor,
    wanted: &[Signal],
    as_of: NaiveDate,
) -> Result<Vec<Signal>, CommandError> {
    let mut signals: Vec<Signal> = debtor
        .reported_signals
        .iter()
        .filter(|reported| reported.in_force(as_of))
        .map(|reported| reported.signal)
        .collect();
    let txn: &WriteTxn = env.txn;
    let calls_wanted = wanted.contains(&Signal::UnreturnedCalls);
    let contacts = if calls_wanted { txn.contacts(debtor.id)? } else { Vec::new() };
    for account_id in txn.accounts_of(debtor.id)? {
        let Some(account) = txn.account(account_id)? else { continue };
        let case = crate::lifecycle::load_case(txn, env.policy, &account)?;
        signals.extend(case.signals(as_of));
        let recent = crate::lifecycle::recent_contacts(&contacts, account.id, as_of);
        if calls_wanted && crate::lifecycle::unreturned_calls(recent.calls, recent.right_party) {
            signals.push(Signal::UnreturnedCalls);
        }
        if wanted.contains(&Signal::ExtensionRequest)
            && crate::queue::extension_requested(txn, account.id, as_of)?
        {
            signals.push(Signal::ExtensionRequest);
        }
    }
    Ok(signals)
}

/// One standing's review, if due.
fn review_one(
    env: &mut Env<'_>,
    scoring: &Scoring<'_>,
    resolved: &Components,
    standing: &CreditStanding,
    debtor: &Debtor,
    as_of: NaiveDate,
) -> Result<Option<ReviewDone>, CommandError> {
    let subject = Subject {
        product: standing.product,
        currency: standing.currency,
        limit_minor: standing.granted_limit_minor,
        as_of,
    };
    let picture = picture(env, scoring, resolved, debtor, &subject)?;
    let points = picture.score.as_ref().map(|score| score.points);
    let review_rules = &env.policy.credit().review;
    let Some(trigger) = review_due(review_rules, standing, points, &picture.signals, as_of) else {
        return Ok(None);
    };
    let no_attributes = std::collections::BTreeMap::new();
    let facts = CreditFacts {
        product: standing.product,
        limit: Money::from_minor(standing.granted_limit_minor, standing.currency),
        score: picture.score.as_ref(),
        signals: &picture.signals,
        attributes: &no_attributes,
    };
    let rules = &env.policy.credit().rules;
    let decided = decide(rules, &facts, standing.granted_limit_minor, &standing.granted_terms);
    let (mut next, action) = apply_review(standing, &decided);
    next.last_review = Some(mark(as_of, &picture));
    let seq = env.txn.credit_reviews(Some(debtor.id))?.last().map_or(0, |review| review.seq) + 1;
    let review = CreditReview {
        debtor: debtor.id,
        seq,
        reviewed_on: as_of,
        trigger,
        score: picture.score,
        signals: picture.signals,
        decided,
        action,
        limit_before_minor: standing.limit_minor,
    };
    env.txn.put_credit_review(&review)?;
    env.txn.put_credit_standing(&next)?;
    Ok(Some(ReviewDone { debtor: debtor.id, seq, action }))
}
