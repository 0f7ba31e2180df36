//! An in-memory [`MatchData`], for tests and examples; the engine implements the trait over
//! its store.

use std::collections::BTreeMap;

use arrears_core::ids::DebtorId;

use super::{
    normalize_reference, AccountCheckError, MatchData, MatchTarget, OpenObligation, PayerAccount,
};
use crate::rf;

/// [`MatchData`] held in maps; keys are normalized when added, as the trait expects.
#[derive(Debug, Clone, Default)]
pub struct InMemoryMatchData {
    creditor_references: BTreeMap<String, Vec<MatchTarget>>,
    external_references: BTreeMap<String, Vec<MatchTarget>>,
    payer_accounts: BTreeMap<PayerAccount, Vec<DebtorId>>,
    obligations: BTreeMap<DebtorId, Vec<OpenObligation>>,
    names: BTreeMap<DebtorId, String>,
}

impl InMemoryMatchData {
    /// Records an RF reference issued for `target` (any printed form; stored normalized).
    pub fn add_creditor_reference(&mut self, reference: &str, target: MatchTarget) {
        self.creditor_references.entry(rf::normalize(reference)).or_default().push(target);
    }

    /// Records an external reference of an account or obligation (stored normalized).
    pub fn add_external_reference(&mut self, reference: &str, target: MatchTarget) {
        self.external_references.entry(normalize_reference(reference)).or_default().push(target);
    }

    /// Registers a payer account on a debtor.
    ///
    /// # Errors
    ///
    /// [`AccountCheckError`] when the account's check digits are wrong.
    pub fn add_payer_account(
        &mut self,
        account: &str,
        debtor: DebtorId,
    ) -> Result<(), AccountCheckError> {
        let account = PayerAccount::parse(account)?;
        self.payer_accounts.entry(account).or_default().push(debtor);
        Ok(())
    }

    /// Adds an open obligation of a debtor.
    pub fn add_obligation(&mut self, debtor: DebtorId, obligation: OpenObligation) {
        self.obligations.entry(debtor).or_default().push(obligation);
    }

    /// Sets a debtor's name.
    pub fn set_name(&mut self, debtor: DebtorId, name: &str) {
        self.names.insert(debtor, name.to_owned());
    }
}

impl MatchData for InMemoryMatchData {
    fn by_creditor_reference(&self, reference: &str) -> Vec<MatchTarget> {
        self.creditor_references.get(reference).cloned().unwrap_or_default()
    }

    fn by_external_reference(&self, token: &str) -> Vec<MatchTarget> {
        self.external_references.get(token).cloned().unwrap_or_default()
    }

    fn by_payer_account(&self, account: &PayerAccount) -> Vec<DebtorId> {
        self.payer_accounts.get(account).cloned().unwrap_or_default()
    }

    fn open_obligations(&self, debtor: DebtorId) -> Vec<OpenObligation> {
        self.obligations.get(&debtor).cloned().unwrap_or_default()
    }

    fn debtor_names(&self, _payer_name: &str) -> Vec<(DebtorId, String)> {
        self.names.iter().map(|(debtor, name)| (*debtor, name.clone())).collect()
    }
}
