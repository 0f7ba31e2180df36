//! The conversions between the engine's commands and outcomes and their stored rows
//! (`arrears_store::rows::command`), which the idempotency records hold. Each destructures its
//! type without `..`: a field or variant added to a command or an outcome fails to compile
//! here until its stored form is decided (and, if the row changes, the record kind's version
//! bumped with a golden test).

use arrears_store::rows::command::*;
use arrears_store::rows::{Record, Stored};
use arrears_store::stored;

use super::{
    CallConsent, CaseChanged, Command, ConsentEvidence, DebtorChanges, Flag, NewAccount, NewCharge,
    NewDebtor, NewPlan, Outcome, PaymentChannel, PolicyRefusal, Posted, PromiseLine, Rejection,
    RestrictionChanges, ReviewDone, SignalChanged, WorkDone,
};

impl Record for Command {
    type Row = CommandRow;

    /// A payment's record is written by hand (`arrears_store::rows::command::
    /// encode_payment_command`: the row's bytes, without the row); every other command's
    /// through its row.
    fn encode_value(&self, kind: arrears_store::RecordKind) -> Vec<u8> {
        if let Command::Payment { account, effective_on, amount, directed_to } = self {
            let directed_to = directed_to.map(|obligation| obligation.0);
            if let Some(bytes) =
                encode_payment_command(kind, account.0, *effective_on, amount, directed_to)
            {
                return bytes;
            }
        }
        arrears_store::codec::encode(kind, &self.to_row())
    }
}

impl Record for Outcome {
    type Row = CommandOutcomeRow;
}

stored!(enum Command => CommandRow { CreateDebtor(a0), OpenAccount(a0), Charge(a0), Fee { account, effective_on, due_on, amount }, Payment { account, effective_on, amount, directed_to }, Reversal { account, payment, effective_on, reason }, Waiver { account, obligation, component, amount, effective_on }, Adjustment { account, obligation, component, amount, effective_on }, AccrueInterest { account, through_on, due_on }, ChargeOff { account, effective_on }, Dispute { account, obligation, disputed, effective_on }, Promise { account, made_on, payments }, CreatePlan(a0), OfferSettlement { account, offered_on, amount }, AcceptSettlement { account, accepted_on }, OpenDispute { account, obligations, on }, ResolveDispute { account, on }, GrantHardship { account, on, until }, EndHardship { account, on }, Place { account, on, agency, commission_rate }, Recall { account, on }, ReferToLegal { account, on }, SetFlag { debtor, flag, on }, Close { account, on }, Reopen { account, on }, Acknowledge { action, outcome, at }, SetPolicy { file, text }, ReverseChargeOff { account, on, reason }, SetContactPoint { debtor, point, evidence }, RemoveContactPoint { debtor, channel, address }, UpdateDebtor { debtor, changes }, RecordInbound { debtor, accounts, channel, address, at, outcome }, RequestCallback { debtor, accounts, channel, address, at }, SetContactRestrictions { debtor, restrictions }, SetLimitationDate { account, on }, AddNote { debtor, note }, MarkSent { action, at }, SetAttorney { debtor, attorney }, ChangeRestrictions { debtor, changes }, DefineTeam(a0), DefineAgent(a0), RecordWork(a0), ReportSignal { debtor, report }, ReceiveCash { line }, ApplyCash { line, account, amount, effective_on }, RegisterPayerAccount { debtor, scheme, number }, RemovePayerAccount { debtor, number }, SetBankRules { file, text }, ReturnCash { line, amount, effective_on }, RecordBankMatch { line, value_on, amount, rule, posted }, DecideCredit { application }, SetCreditTerms { debtor, product, limit, terms, refuse_to_trade, effective_on }, ReviewCredit { as_of }, ChannelPayment { account, effective_on, amount, directed_to, channel, agent, action }, CreditNote { account, obligation, effective_on, amount, reason, external_ref }, DetectSignals { as_of }, RecordOutbound { debtor, accounts, channel, address, at, outcome }, SetCreditStanding { standing }, WithdrawCharge { account, obligation, effective_on }, Refund { account, effective_on, amount, external_ref }, RecordForbearanceAssessed { account, on, reason } });
stored!(enum Outcome => CommandOutcomeRow { DebtorCreated(a0), AccountOpened(a0), Posted(a0), Cases(a0), Acknowledged { action, disputed }, PolicySet { name }, Rejected(a0), DebtorUpdated { debtor, cancelled }, Sent { action, at }, Scheduled { action }, WorkDefined { name }, Worked { account, next_action_on, cases }, CashHeld { line, held }, BankRulesSet { file }, CashReturned { line, returned, held }, BankMatchRecorded { line }, CreditDecided { decision, verdict }, CreditTermsSet { debtor }, CreditReviewed { reviews }, SignalsDetected { changes } });
stored!(struct NewDebtor => NewDebtorRow { external_ref, kind, name, jurisdiction, time_zones, language, contact_points, flags });
stored!(struct NewAccount => NewAccountRow { external_ref, debtor, product, credit_limit, currency, opened_on, terms });
stored!(struct NewCharge => NewChargeRow { account, external_ref, kind, issued_on, due_on, principal, interest, fee });
stored!(struct PromiseLine => PromiseLineRow { on, amount });
stored!(struct NewPlan => NewPlanRow { account, created_on, installments, frequency, first_due, annual_rate, monthly_income, monthly_expenses });
stored!(enum Flag => CommandFlagRow { CeaseCommunication, AttorneyRepresented, BankruptcyFiled, BankruptcyDischarged, Deceased, BankruptcyDismissed, AttorneyWithdrawn });
stored!(struct ConsentEvidence => ConsentEvidenceRow { at, source });
stored!(struct DebtorChanges => DebtorChangesRow { name, jurisdiction, language, time_zones });
stored!(struct RestrictionChanges => RestrictionChangesRow { work_contact_prohibited, litigation_served, call_consent, opted_out_channels });
stored!(struct WorkDone => WorkDoneRow { agent, account, code, at, promise, next_action_on, address, note });
stored!(enum PaymentChannel => PaymentChannelRow { Card, BankTransfer, DirectDebit, Cash, Check, PaymentLink });
stored!(struct Posted => PostedRow { account, event, obligation, entry, postings, corrections });
stored!(struct CaseChanged => CaseChangedRow { account, from, to, posted });
stored!(enum Rejection => CommandRejectionRow { Ledger(a0), State { state, event, reason }, Policy(a0), CreditHold { stage }, AlreadyAcknowledged { action }, ExternalRefTaken { kind, reference, existing }, PaymentAhead { effective_on, recorded_on, days_ahead, future_days_max }, BankLineReceived { line }, SuspenseShort { line, held_minor, asked_minor }, RefusedToTrade { debtor }, Guardrail { action, rule, citation, reason }, RefundAhead { effective_on, recorded_on, days_ahead, future_days_max } });
stored!(struct ReviewDone => ReviewDoneRow { debtor, seq, action });
stored!(struct SignalChanged => SignalChangedRow { debtor, signal, source, raised, evidence });
stored!(enum CallConsent => CallConsentRow { GivenAt(a0), Cleared });
stored!(enum PolicyRefusal => PolicyRefusalRow { Promise(a0), PromiseOpen { made_on }, PromiseAmounts { asked, allowed }, PlanInstallments { asked, allowed }, PlanFrequency { frequency }, PlanRate { asked, allowed }, PlanQuote(a0), PlanMinInstallment { installment_minor, min_minor }, PlanUnaffordable(a0), SettlementNotOffered { stage }, SettlementShare { offered_minor, min_minor, share, owed_minor }, SettlementNotLess { offered_minor, owed_minor }, NoSettlementOffer, SettlementAccepted, SettlementExpired { offered_on, expires_on, asked_on } });
