//! Rows of the engine's commands and outcomes (conversions in the engine's `command::rows`).

use serde::{Deserialize, Serialize};

use super::case::*;
use super::cash::*;
use super::credit::*;
use super::ledger::*;
use super::model::*;
use super::work::*;
use super::{CurrencyCode, Day, DayText, DecimalText, Instant, InstantText};

/// The record of a payment command (`CommandRow::Payment` in a record of `kind`), written by
/// hand from its fields: the bytes `codec::encode` of the row writes, without building the row
/// or going through serde. Every payment encodes its command twice (its idempotency record, and
/// on a journaled handle the journal's record); this path saves about 450 instructions a
/// payment of the two (callgrind, `profile_payments`), the frame and checksum staying. `None` where dates are written as text
/// ([`super::with_strings`]), which only serde writes. The tests compare the two.
pub fn encode_payment_command(
    kind: crate::RecordKind,
    account: u64,
    effective_on: chrono::NaiveDate,
    amount: &arrears_core::money::Money,
    directed_to: Option<u64>,
) -> Option<Vec<u8>> {
    if super::strings_mode() {
        return None;
    }
    Some(super::bytes::encode(kind, |out| {
        out.variant(PAYMENT_VARIANT);
        out.unsigned(account);
        out.day(effective_on);
        out.decimal(amount.amount());
        out.currency(amount.currency());
        out.flag(directed_to.is_some());
        if let Some(obligation) = directed_to {
            out.unsigned(obligation);
        }
    }))
}

/// `CommandRow::Payment`'s index among the row's variants.
const PAYMENT_VARIANT: u32 = 4;

/// The stored form of `arrears::command::Command`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CommandRow {
    CreateDebtor(NewDebtorRow),
    OpenAccount(NewAccountRow),
    Charge(NewChargeRow),
    Fee {
        account: u64,
        effective_on: Day,
        due_on: Day,
        amount: MoneyRow,
    },
    Payment {
        account: u64,
        effective_on: Day,
        amount: MoneyRow,
        directed_to: Option<u64>,
    },
    Reversal {
        account: u64,
        payment: u32,
        effective_on: Day,
        reason: ReversalReasonRow,
    },
    Waiver {
        account: u64,
        obligation: u64,
        component: ComponentRow,
        amount: MoneyRow,
        effective_on: Day,
    },
    Adjustment {
        account: u64,
        obligation: u64,
        component: ComponentRow,
        amount: MoneyRow,
        effective_on: Day,
    },
    AccrueInterest {
        account: u64,
        through_on: Day,
        due_on: Day,
    },
    ChargeOff {
        account: u64,
        effective_on: Day,
    },
    Dispute {
        account: u64,
        obligation: u64,
        disputed: bool,
        effective_on: Day,
    },
    Promise {
        account: u64,
        made_on: Day,
        payments: Vec<PromiseLineRow>,
    },
    CreatePlan(NewPlanRow),
    OfferSettlement {
        account: u64,
        offered_on: Day,
        amount: MoneyRow,
    },
    AcceptSettlement {
        account: u64,
        accepted_on: Day,
    },
    OpenDispute {
        account: u64,
        obligations: Vec<u64>,
        on: Day,
    },
    ResolveDispute {
        account: u64,
        on: Day,
    },
    GrantHardship {
        account: u64,
        on: Day,
        until: Day,
    },
    EndHardship {
        account: u64,
        on: Day,
    },
    Place {
        account: u64,
        on: Day,
        agency: String,
        commission_rate: DecimalText,
    },
    Recall {
        account: u64,
        on: Day,
    },
    ReferToLegal {
        account: u64,
        on: Day,
    },
    SetFlag {
        debtor: u64,
        flag: CommandFlagRow,
        on: Day,
    },
    Close {
        account: u64,
        on: Day,
    },
    Reopen {
        account: u64,
        on: Day,
    },
    Acknowledge {
        action: u64,
        outcome: ContactOutcomeRow,
        at: InstantText,
    },
    SetPolicy {
        file: String,
        text: String,
    },
    ReverseChargeOff {
        account: u64,
        on: Day,
        reason: String,
    },
    SetContactPoint {
        debtor: u64,
        point: ContactPointRow,
        evidence: Option<ConsentEvidenceRow>,
    },
    RemoveContactPoint {
        debtor: u64,
        channel: ContactChannelRow,
        address: String,
    },
    UpdateDebtor {
        debtor: u64,
        changes: DebtorChangesRow,
    },
    RecordInbound {
        debtor: u64,
        accounts: Vec<u64>,
        channel: ContactChannelRow,
        address: String,
        at: Instant,
        outcome: ContactOutcomeRow,
    },
    RequestCallback {
        debtor: u64,
        accounts: Vec<u64>,
        channel: ContactChannelRow,
        address: String,
        at: Instant,
    },
    SetContactRestrictions {
        debtor: u64,
        restrictions: ContactRestrictionsRow,
    },
    SetLimitationDate {
        account: u64,
        on: Option<Day>,
    },
    AddNote {
        debtor: u64,
        note: NoteRow,
    },
    MarkSent {
        action: u64,
        at: Instant,
    },
    SetAttorney {
        debtor: u64,
        attorney: AttorneyRow,
    },
    ChangeRestrictions {
        debtor: u64,
        changes: RestrictionChangesRow,
    },
    DefineTeam(TeamRow),
    DefineAgent(AgentRow),
    RecordWork(WorkDoneRow),
    ReportSignal {
        debtor: u64,
        report: ReportedSignalRow,
    },
    ReceiveCash {
        line: BankLineRow,
    },
    ApplyCash {
        line: String,
        account: u64,
        amount: MoneyRow,
        effective_on: Day,
    },
    RegisterPayerAccount {
        debtor: u64,
        scheme: PayerSchemeRow,
        number: String,
    },
    RemovePayerAccount {
        debtor: u64,
        number: String,
    },
    SetBankRules {
        file: String,
        text: String,
    },
    ReturnCash {
        line: String,
        amount: MoneyRow,
        effective_on: Day,
    },
    RecordBankMatch {
        line: String,
        value_on: Day,
        amount: MoneyRow,
        rule: Option<String>,
        posted: MoneyRow,
    },
    DecideCredit {
        application: CreditApplicationRow,
    },
    SetCreditTerms {
        debtor: u64,
        product: ProductKindRow,
        limit: MoneyRow,
        terms: CreditTermsRow,
        refuse_to_trade: bool,
        effective_on: Day,
    },
    ReviewCredit {
        as_of: Day,
    },
    ChannelPayment {
        account: u64,
        effective_on: Day,
        amount: MoneyRow,
        directed_to: Option<u64>,
        channel: PaymentChannelRow,
        agent: Option<String>,
        action: Option<u64>,
    },
    CreditNote {
        account: u64,
        obligation: Option<u64>,
        effective_on: Day,
        amount: MoneyRow,
        reason: CreditNoteReasonRow,
        external_ref: Option<String>,
    },
    DetectSignals {
        as_of: Day,
    },
    RecordOutbound {
        debtor: u64,
        accounts: Vec<u64>,
        channel: ContactChannelRow,
        address: String,
        at: Instant,
        outcome: ContactOutcomeRow,
    },
    SetCreditStanding {
        standing: CreditStandingRow,
    },
    WithdrawCharge {
        account: u64,
        obligation: u64,
        effective_on: Day,
    },
    /// Appended in session 35 (format 12).
    Refund {
        account: u64,
        effective_on: Day,
        amount: MoneyRow,
        external_ref: Option<String>,
    },
    RecordForbearanceAssessed {
        account: u64,
        on: Day,
        reason: String,
    },
}

/// The stored form of `arrears::command::Outcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CommandOutcomeRow {
    DebtorCreated(u64),
    AccountOpened(u64),
    Posted(PostedRow),
    Cases(Vec<CaseChangedRow>),
    Acknowledged { action: u64, disputed: Vec<u64> },
    PolicySet { name: String },
    Rejected(CommandRejectionRow),
    DebtorUpdated { debtor: u64, cancelled: Vec<u64> },
    Sent { action: u64, at: Instant },
    Scheduled { action: u64 },
    WorkDefined { name: String },
    Worked { account: u64, next_action_on: Option<Day>, cases: Vec<CaseChangedRow> },
    CashHeld { line: String, held: MoneyRow },
    BankRulesSet { file: String },
    CashReturned { line: String, returned: MoneyRow, held: MoneyRow },
    BankMatchRecorded { line: String },
    CreditDecided { decision: u64, verdict: VerdictRow },
    CreditTermsSet { debtor: u64 },
    CreditReviewed { reviews: Vec<ReviewDoneRow> },
    SignalsDetected { changes: Vec<SignalChangedRow> },
}

/// The stored form of `arrears::command::NewDebtor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewDebtorRow {
    pub external_ref: Option<String>,
    pub kind: DebtorKindRow,
    pub name: String,
    pub jurisdiction: JurisdictionRow,
    pub time_zones: Vec<String>,
    pub language: String,
    pub contact_points: Vec<ContactPointRow>,
    pub flags: DebtorFlagsRow,
}

/// The stored form of `arrears::command::NewAccount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewAccountRow {
    pub external_ref: Option<String>,
    pub debtor: u64,
    pub product: ProductKindRow,
    pub credit_limit: Option<MoneyRow>,
    pub currency: CurrencyCode,
    pub opened_on: Day,
    pub terms: TermsRow,
}

/// The stored form of `arrears::command::NewCharge`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewChargeRow {
    pub account: u64,
    pub external_ref: Option<String>,
    pub kind: ObligationKindRow,
    pub issued_on: Day,
    pub due_on: Day,
    pub principal: MoneyRow,
    pub interest: MoneyRow,
    pub fee: MoneyRow,
}

/// The stored form of `arrears::command::PromiseLine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PromiseLineRow {
    pub on: Day,
    pub amount: MoneyRow,
}

/// The stored form of `arrears::command::NewPlan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewPlanRow {
    pub account: u64,
    pub created_on: Day,
    pub installments: u32,
    pub frequency: FrequencyRow,
    pub first_due: Day,
    pub annual_rate: DecimalText,
    pub monthly_income: MoneyRow,
    pub monthly_expenses: MoneyRow,
}

/// The stored form of `arrears::command::Flag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CommandFlagRow {
    CeaseCommunication,
    AttorneyRepresented,
    BankruptcyFiled,
    BankruptcyDischarged,
    Deceased,
    BankruptcyDismissed,
    AttorneyWithdrawn,
}

/// The stored form of `arrears::command::ConsentEvidence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ConsentEvidenceRow {
    pub at: Instant,
    pub source: String,
}

/// The stored form of `arrears::command::DebtorChanges`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DebtorChangesRow {
    pub name: Option<String>,
    pub jurisdiction: Option<JurisdictionRow>,
    pub language: Option<String>,
    pub time_zones: Option<Vec<String>>,
}

/// The stored form of `arrears::command::RestrictionChanges`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RestrictionChangesRow {
    pub work_contact_prohibited: Option<bool>,
    pub litigation_served: Option<bool>,
    pub call_consent: Option<CallConsentRow>,
    pub opted_out_channels: Option<Vec<ContactChannelRow>>,
}

/// The stored form of `arrears::command::WorkDone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkDoneRow {
    pub agent: String,
    pub account: u64,
    pub code: WorkOutcomeCodeRow,
    pub at: Instant,
    pub promise: Vec<PromiseLineRow>,
    pub next_action_on: Option<Day>,
    pub address: Option<String>,
    pub note: Option<String>,
}

/// The stored form of `arrears::command::PaymentChannel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PaymentChannelRow {
    Card,
    BankTransfer,
    DirectDebit,
    Cash,
    Check,
    PaymentLink,
}

/// The stored form of `arrears::command::Posted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PostedRow {
    pub account: u64,
    pub event: u32,
    pub obligation: Option<u64>,
    pub entry: Option<u64>,
    pub postings: Vec<PostingRow>,
    pub corrections: Vec<u64>,
}

/// The stored form of `arrears::command::CaseChanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CaseChangedRow {
    pub account: u64,
    pub from: String,
    pub to: String,
    pub posted: Vec<PostedRow>,
}

/// The stored form of `arrears::command::Rejection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CommandRejectionRow {
    Ledger(RejectionRow),
    State {
        state: CollectionStateRow,
        event: CollectionEventRow,
        reason: RefusalReasonRow,
    },
    Policy(PolicyRefusalRow),
    CreditHold {
        stage: String,
    },
    AlreadyAcknowledged {
        action: u64,
    },
    ExternalRefTaken {
        kind: String,
        reference: String,
        existing: u64,
    },
    PaymentAhead {
        effective_on: DayText,
        recorded_on: DayText,
        days_ahead: i64,
        future_days_max: u32,
    },
    BankLineReceived {
        line: String,
    },
    SuspenseShort {
        line: String,
        held_minor: i64,
        asked_minor: i64,
    },
    RefusedToTrade {
        debtor: u64,
    },
    Guardrail {
        action: ActionKindRow,
        rule: String,
        citation: String,
        reason: String,
    },
    RefundAhead {
        effective_on: DayText,
        recorded_on: DayText,
        days_ahead: i64,
        future_days_max: u32,
    },
}

/// The stored form of `arrears::command::ReviewDone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ReviewDoneRow {
    pub debtor: u64,
    pub seq: u64,
    pub action: ReviewActionRow,
}

/// The stored form of `arrears::command::SignalChanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SignalChangedRow {
    pub debtor: u64,
    pub signal: SignalRow,
    pub source: String,
    pub raised: bool,
    pub evidence: String,
}

/// The stored form of `arrears::command::CallConsent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CallConsentRow {
    GivenAt(Instant),
    Cleared,
}

/// The stored form of `arrears::command::PolicyRefusal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PolicyRefusalRow {
    Promise(PromiseRefusedRow),
    PromiseOpen { made_on: DayText },
    PromiseAmounts { asked: usize, allowed: usize },
    PlanInstallments { asked: u32, allowed: u32 },
    PlanFrequency { frequency: FrequencyRow },
    PlanRate { asked: DecimalText, allowed: DecimalText },
    PlanQuote(QuoteErrorRow),
    PlanMinInstallment { installment_minor: i64, min_minor: i64 },
    PlanUnaffordable(UnaffordableRow),
    SettlementNotOffered { stage: String },
    SettlementShare { offered_minor: i64, min_minor: i64, share: DecimalText, owed_minor: i64 },
    SettlementNotLess { offered_minor: i64, owed_minor: i64 },
    NoSettlementOffer,
    SettlementAccepted,
    SettlementExpired { offered_on: DayText, expires_on: DayText, asked_on: DayText },
}

#[cfg(test)]
mod tests {
    use arrears_core::money::{Currency, Money};
    use proptest::prelude::*;

    use super::{encode_payment_command, CommandRow};
    use crate::codec::RecordKind;
    use crate::rows::model::MoneyRow;
    use crate::rows::strategies::{arb_day, arb_decimal, arb_u64};
    use crate::rows::{CurrencyCode, Day, DecimalText};

    proptest! {
        /// The payment command written by hand is the row's serde record, for every field.
        #[test]
        fn a_payment_command_written_by_hand_is_the_rows_bytes(
            account in arb_u64(),
            effective_on in arb_day(),
            amount in arb_decimal(),
            currency in prop_oneof![Just("USD"), Just("JPY"), Just("MXN"), Just("EUR"), Just("COP")],
            directed_to in proptest::option::of(arb_u64()),
        ) {
            let currency = Currency::from_code(currency).unwrap();
            let money = Money::new(amount, currency);
            let row = CommandRow::Payment {
                account,
                effective_on: Day(effective_on),
                amount: MoneyRow { amount: DecimalText(money.amount()), currency: CurrencyCode(currency) },
                directed_to,
            };
            let by_hand =
                encode_payment_command(RecordKind::Command, account, effective_on, &money, directed_to);
            prop_assert_eq!(by_hand, Some(crate::codec::encode(RecordKind::Command, &row)));
        }
    }

    #[test]
    fn dates_as_text_are_left_to_serde() {
        let money =
            Money::new(rust_decimal::Decimal::new(1050, 2), Currency::from_code("USD").unwrap());
        let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let encoded = crate::rows::with_strings(|| {
            encode_payment_command(RecordKind::Command, 1, on, &money, None)
        });
        assert_eq!(encoded, None);
    }
}
