//! Golden bytes of the idempotency records: every command as it is stored (its canonical form,
//! `RecordKind::Command`) and every outcome that is stored (`RecordKind::Outcome`).
//!
//! A retry after an upgrade compares the stored command's bytes with the new encoding of the
//! same command, and replays the stored outcome: a field change without a record-version bump
//! and a migration would make every such retry an `IdempotencyConflict`, or fail to decode.
//! These tests fail on any such change. Never edit an expected string: bump the record kind's
//! version and migrate (AGENTS.md).

use arrears_core::case::ContactOutcome;
use arrears_core::ids::{AccountId, DebtorId, EntryId, EventSeq, ObligationId};
use arrears_core::ledger::{Book, Posting, ReversalReason};
use arrears_core::model::{
    Component, ContactChannel, ContactPoint, ContactPointKind, ContactRestrictions, DebtorFlags,
    DebtorKind, Jurisdiction, ObligationKind, ProductKind, Terms,
};
use arrears_core::money::{Currency, Money};
use arrears_store::codec::{decode_record, encode_record};
use arrears_store::RecordKind;
use chrono::NaiveDate;
use expect_test::{expect, Expect};

use super::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn usd(text: &str) -> Money {
    Money::parse(text, Currency::USD).unwrap()
}

/// The command's stored bytes (canonical form) are `expect`, and decode to the canonical form.
fn check_command(command: &Command, expect: Expect) {
    let canonical = command.canonical();
    let bytes = encode_record(RecordKind::Command, &canonical);
    expect.assert_eq(&hex(&bytes));
    let decoded: Command = decode_record(RecordKind::Command, &bytes).unwrap();
    assert_eq!(decoded, canonical);
}

fn check_outcome(outcome: &Outcome, expect: Expect) {
    let bytes = encode_record(RecordKind::Outcome, outcome);
    expect.assert_eq(&hex(&bytes));
    let decoded: Outcome = decode_record(RecordKind::Outcome, &bytes).unwrap();
    assert_eq!(&decoded, outcome);
}

/// The position of a command's variant. Exhaustive on purpose: a new variant fails to compile
/// here until it has a golden sample below.
fn command_variant(command: &Command) -> usize {
    match command {
        Command::CreateDebtor(_) => 0,
        Command::OpenAccount(_) => 1,
        Command::Charge(_) => 2,
        Command::Fee { .. } => 3,
        Command::Payment { .. } => 4,
        Command::Reversal { .. } => 5,
        Command::Waiver { .. } => 6,
        Command::Adjustment { .. } => 7,
        Command::AccrueInterest { .. } => 8,
        Command::ChargeOff { .. } => 9,
        Command::Dispute { .. } => 10,
        Command::Promise { .. } => 11,
        Command::CreatePlan(_) => 12,
        Command::OfferSettlement { .. } => 13,
        Command::AcceptSettlement { .. } => 14,
        Command::OpenDispute { .. } => 15,
        Command::ResolveDispute { .. } => 16,
        Command::GrantHardship { .. } => 17,
        Command::EndHardship { .. } => 18,
        Command::Place { .. } => 19,
        Command::Recall { .. } => 20,
        Command::ReferToLegal { .. } => 21,
        Command::SetFlag { .. } => 22,
        Command::Close { .. } => 23,
        Command::Reopen { .. } => 24,
        Command::Acknowledge { .. } => 25,
        Command::SetPolicy { .. } => 26,
        Command::ReverseChargeOff { .. } => 27,
        Command::SetContactPoint { .. } => 28,
        Command::RemoveContactPoint { .. } => 29,
        Command::UpdateDebtor { .. } => 30,
        Command::RecordInbound { .. } => 31,
        Command::MarkSent { .. } => 32,
        Command::RequestCallback { .. } => 33,
        Command::SetContactRestrictions { .. } => 34,
        Command::AddNote { .. } => 35,
        Command::SetLimitationDate { .. } => 36,
        Command::SetAttorney { .. } => 37,
        Command::ChangeRestrictions { .. } => 38,
        Command::DefineTeam(_) => 39,
        Command::DefineAgent(_) => 40,
        Command::RecordWork(_) => 41,
        Command::ReportSignal { .. } => 42,
        Command::ReceiveCash { .. } => 43,
        Command::ApplyCash { .. } => 44,
        Command::RegisterPayerAccount { .. } => 45,
        Command::RemovePayerAccount { .. } => 46,
        Command::SetBankRules { .. } => 47,
        Command::ReturnCash { .. } => 48,
        Command::RecordBankMatch { .. } => 49,
        Command::DecideCredit { .. } => 50,
        Command::SetCreditTerms { .. } => 51,
        Command::ReviewCredit { .. } => 52,
        Command::ChannelPayment { .. } => 53,
        Command::CreditNote { .. } => 54,
        Command::DetectSignals { .. } => 55,
        Command::RecordOutbound { .. } => 56,
        Command::SetCreditStanding { .. } => 57,
        Command::WithdrawCharge { .. } => 58,
        Command::Refund { .. } => 59,
        Command::RecordForbearanceAssessed { .. } => 60,
    }
}

const COMMAND_VARIANTS: usize = 61;

/// Like [`command_variant`], for outcomes. `Rejected` is never stored (a refused command writes
/// nothing, not even its idempotency record), so it has no golden sample and `Rejection` may
/// change shape freely.
fn outcome_variant(outcome: &Outcome) -> Option<usize> {
    match outcome {
        Outcome::DebtorCreated(_) => Some(0),
        Outcome::AccountOpened(_) => Some(1),
        Outcome::Posted(_) => Some(2),
        Outcome::Cases(_) => Some(3),
        Outcome::Acknowledged { .. } => Some(4),
        Outcome::PolicySet { .. } => Some(5),
        Outcome::Rejected(_) => None,
        Outcome::DebtorUpdated { .. } => Some(6),
        Outcome::Sent { .. } => Some(7),
        Outcome::Scheduled { .. } => Some(8),
        Outcome::WorkDefined { .. } => Some(9),
        Outcome::Worked { .. } => Some(10),
        Outcome::CashHeld { .. } => Some(11),
        Outcome::BankRulesSet { .. } => Some(12),
        Outcome::CashReturned { .. } => Some(13),
        Outcome::BankMatchRecorded { .. } => Some(14),
        Outcome::CreditDecided { .. } => Some(15),
        Outcome::CreditTermsSet { .. } => Some(16),
        Outcome::CreditReviewed { .. } => Some(17),
        Outcome::SignalsDetected { .. } => Some(18),
    }
}

const STORED_OUTCOME_VARIANTS: usize = 19;

fn credit_terms() -> arrears_core::credit::CreditTerms {
    arrears_core::credit::CreditTerms {
        net_days: 30,
        deposit_share: "0.250".parse().unwrap(),
        cash_on_delivery: true,
        interest_rate: "0.08".parse().unwrap(),
    }
}

fn commands() -> Vec<(Command, Expect)> {
    let account = AccountId(3);
    let on = date("2026-02-01");
    vec![
        (
            Command::CreateDebtor(NewDebtor {
                external_ref: Some("D-1".into()),
                kind: DebtorKind::Person,
                name: "Ana Diaz".into(),
                jurisdiction: Jurisdiction { country: "CO".into(), region: Some("DC".into()) },
                time_zones: vec!["America/Bogota".into()],
                language: "es-CO".into(),
                contact_points: vec![ContactPoint {
                    channel: ContactChannel::Sms,
                    address: "+5730000".into(),
                    kind: ContactPointKind::Personal,
                    consent: true,
                    opted_out: false,
                }],
                flags: DebtorFlags::default(),
            }),
            expect!["02000103442d310008416e61204469617a02434f01024443010e416d65726963612f426f676f74610565732d434f0101082b353733303030300001000000000035814015"],
        ),
        (
            Command::OpenAccount(NewAccount {
                external_ref: Some("A-1".into()),
                debtor: DebtorId(7),
                product: ProductKind::Installment,
                credit_limit: Some(usd("1000.50")),
                currency: Currency::USD,
                opened_on: on,
                terms: Terms::default(),
            }),
            expect!["02010103412d3107010106313030302e350355534403555344fc80921600000000007bff83c5"],
        ),
        (
            Command::Charge(NewCharge {
                account,
                external_ref: Some("INV-1".into()),
                kind: ObligationKind::Invoice,
                issued_on: on,
                due_on: date("2026-03-01"),
                principal: usd("250.00"),
                interest: usd("0"),
                fee: usd("1.5"),
            }),
            expect!["0202030105494e562d3100fc80921600fcb8921600033235300355534401300355534403312e35035553443b4d6873"],
        ),
        (
            Command::Fee { account, effective_on: on, due_on: on, amount: usd("25.00") },
            expect!["020303fc80921600fc8092160002323503555344bc22eea4"],
        ),
        (
            Command::Payment {
                account,
                effective_on: on,
                amount: usd("100.10"),
                directed_to: Some(ObligationId(4)),
            },
            expect!["020403fc80921600053130302e31035553440104b9296cfe"],
        ),
        (
            Command::Reversal {
                account,
                payment: EventSeq(2),
                effective_on: on,
                reason: ReversalReason::Returned,
            },
            expect!["02050302fc8092160000d374ac68"],
        ),
        (
            Command::Waiver {
                account,
                obligation: ObligationId(4),
                component: Component::Fee,
                amount: usd("5"),
                effective_on: on,
            },
            expect!["0206030402013503555344fc80921600b3557b76"],
        ),
        (
            Command::Adjustment {
                account,
                obligation: ObligationId(4),
                component: Component::Principal,
                amount: usd("-2.00"),
                effective_on: on,
            },
            expect!["0207030400022d3203555344fc809216003edae305"],
        ),
        (Command::AccrueInterest { account, through_on: on, due_on: on }, expect!["020803fc80921600fc809216003847da77"]),
        (Command::ChargeOff { account, effective_on: on }, expect!["020903fc80921600473d99b6"]),
        (
            Command::Dispute {
                account,
                obligation: ObligationId(4),
                disputed: true,
                effective_on: on,
            },
            expect!["020a030401fc80921600ae105f41"],
        ),
        (
            Command::Promise {
                account,
                made_on: on,
                payments: vec![PromiseLine { on: date("2026-02-15"), amount: usd("50.0") }],
            },
            expect!["020b03fc8092160001fc9c921600023530035553440e290401"],
        ),
        (
            Command::CreatePlan(NewPlan {
                account,
                created_on: on,
                installments: 6,
                frequency: arrears_core::plan::Frequency::Monthly,
                first_due: date("2026-03-01"),
                annual_rate: rust_decimal::Decimal::new(1250, 4),
                monthly_income: usd("3000"),
                monthly_expenses: usd("2100.00"),
            }),
            expect!["020c03fc809216000602fcb892160005302e31323504333030300355534404323130300355534408db9c57"],
        ),
        (Command::OfferSettlement { account, offered_on: on, amount: usd("400") }, expect!["020d03fc80921600033430300355534471fe414f"]),
        (Command::AcceptSettlement { account, accepted_on: on }, expect!["020e03fc80921600c9033e73"]),
        (Command::OpenDispute { account, obligations: vec![ObligationId(4)], on }, expect!["020f030104fc80921600f5eb3d09"]),
        (Command::ResolveDispute { account, on }, expect!["021003fc809216005ae4df44"]),
        (Command::GrantHardship { account, on, until: date("2026-05-01") }, expect!["021103fc80921600fc32931600737cd250"]),
        (Command::EndHardship { account, on }, expect!["021203fc8092160073f540d3"]),
        (
            Command::Place {
                account,
                on,
                agency: "Acme Recoveries".into(),
                commission_rate: rust_decimal::Decimal::new(2500, 4),
            },
            expect!["021303fc809216000f41636d65205265636f76657269657304302e32351a70e17e"],
        ),
        (Command::Recall { account, on }, expect!["021403fc8092160049c090b0"]),
        (Command::ReferToLegal { account, on }, expect!["021503fc80921600fdcbe716"]),
        (
            Command::SetFlag { debtor: DebtorId(7), flag: Flag::CeaseCommunication, on },
            expect!["02160700fc8092160024e81e35"],
        ),
        (Command::Close { account, on }, expect!["021703fc80921600d4da7881"]),
        (Command::Reopen { account, on }, expect!["021803fc809216003daa3077"]),
        (
            Command::Acknowledge {
                action: 0x0012_3456_789a,
                outcome: ContactOutcome::RightParty,
                at: "2026-02-01T15:30:00Z".parse().unwrap(),
            },
            expect!["0219fd9a785634120000000314323032362d30322d30315431353a33303a30305ac07f42fc"],
        ),
        (
            Command::ReverseChargeOff {
                account,
                on,
                reason: "cycle run for 2027 by mistake".into(),
            },
            expect!["021b03fc809216001d6379636c652072756e20666f722032303237206279206d697374616b65834e73de"],
        ),
        (
            Command::SetContactPoint {
                debtor: DebtorId(7),
                point: ContactPoint {
                    channel: ContactChannel::Sms,
                    address: "+15550100".into(),
                    kind: ContactPointKind::Personal,
                    consent: false,
                    opted_out: true,
                },
                evidence: Some(ConsentEvidence {
                    at: "2026-02-01T15:30:00Z".parse().unwrap(),
                    source: "recorded call".into(),
                }),
            },
            expect!["021c0701092b313535353031303000000101fcf0e2fed2000d7265636f726465642063616c6c89d8c1c4"],
        ),
        (
            Command::RemoveContactPoint {
                debtor: DebtorId(7),
                channel: ContactChannel::Email,
                address: "ana@example.com".into(),
            },
            expect!["021d07020f616e61406578616d706c652e636f6d71b472d8"],
        ),
        (
            Command::UpdateDebtor {
                debtor: DebtorId(7),
                changes: DebtorChanges {
                    name: Some("Ana Ruiz".into()),
                    jurisdiction: Some(Jurisdiction { country: "MX".into(), region: None }),
                    language: None,
                    time_zones: Some(vec!["America/Mexico_City".into()]),
                },
            },
            expect!["021e070108416e61205275697a01024d580000010113416d65726963612f4d657869636f5f43697479fd475bf8"],
        ),
        (
            Command::RecordInbound {
                debtor: DebtorId(7),
                accounts: vec![account],
                channel: ContactChannel::Phone,
                address: "+15550100".into(),
                at: "2026-02-01T15:30:00Z".parse().unwrap(),
                outcome: ContactOutcome::PromiseCaptured,
            },
            expect!["021f07010300092b3135353530313030fcf0e2fed2000719fc0533"],
        ),
        (
            Command::RequestCallback {
                debtor: DebtorId(7),
                accounts: vec![account],
                channel: ContactChannel::Phone,
                address: "+15550100".into(),
                at: "2026-02-02T17:00:00Z".parse().unwrap(),
            },
            expect!["022007010300092b3135353530313030fc20b001d3008a89c0d6"],
        ),
        (
            Command::SetContactRestrictions {
                debtor: DebtorId(7),
                restrictions: ContactRestrictions {
                    work_contact_prohibited: true,
                    litigation_served: true,
                    call_consent_given_at: Some("2026-02-01T15:30:00Z".parse().unwrap()),
                    opted_out_channels: vec![ContactChannel::Sms, ContactChannel::Phone],
            consents: vec![arrears_core::model::ConsentRecord {
                channel: ContactChannel::Sms,
                address: "+15550100".into(),
                consent: true,
                at: "2026-02-01T15:00:00Z".parse().unwrap(),
                source: "web form".into(),
            }],
                },
            },
            expect!["022107010101fcf0e2fed2000201000101092b313535353031303001fce0d4fed2000877656220666f726d46194196"],
        ),
        (Command::SetLimitationDate { account, on: Some(on) }, expect!["02220301fc8092160015428a0b"]),
        (
            Command::AddNote {
                debtor: DebtorId(7),
                note: arrears_core::case::Note {
                    account: Some(account),
                    at: "2026-02-02T15:10:00Z".parse().unwrap(),
                    author: "agent-7".into(),
                    text: "Asked to be called after payday".into(),
                },
            },
            expect!["0223070103fc907c01d300076167656e742d371f41736b656420746f2062652063616c6c656420616674657220706179646179b7a48354"],
        ),
        (
            Command::MarkSent { action: 0x0012_3456_789a, at: "2026-02-01T15:30:00Z".parse().unwrap() },
            expect!["0224fd9a78563412000000fcf0e2fed2000bc7e18f"],
        ),
        (
            Command::SetAttorney {
                debtor: DebtorId(7),
                attorney: arrears_core::model::Attorney {
                    name: "J. Doe".into(),
                    firm: Some("Doe & Roe".into()),
                    phone: Some("+15550199".into()),
                    email: None,
                    postal_address: None,
                    since: on,
                },
            },
            expect!["022507064a2e20446f650109446f65202620526f6501092b31353535303139390000fc809216000cdb7b4d"],
        ),
        (
            Command::ChangeRestrictions {
                debtor: DebtorId(7),
                changes: RestrictionChanges {
                    work_contact_prohibited: None,
                    litigation_served: Some(true),
                    call_consent: Some(CallConsent::GivenAt(
                        "2026-02-01T15:30:00Z".parse().unwrap(),
                    )),
                    opted_out_channels: Some(vec![ContactChannel::Sms]),
                },
            },
            expect!["0226070001010100fcf0e2fed200010101999a24ed"],
        ),
        (
            Command::ChangeRestrictions {
                debtor: DebtorId(7),
                changes: RestrictionChanges {
                    call_consent: Some(CallConsent::Cleared),
                    ..RestrictionChanges::default()
                },
            },
            expect!["02260700000101007cbfb68e"],
        ),
        (
            Command::DefineTeam(arrears_core::work::Team {
                name: "spanish".into(),
                skills: arrears_core::work::Skills {
                    languages: vec!["es".into()],
                    products: vec![ProductKind::Installment],
                    jurisdictions: vec!["US-TX".into()],
                },
            }),
            expect!["0227077370616e697368010265730101010555532d5458fba077f7"],
        ),
        (
            Command::DefineAgent(arrears_core::work::Agent {
                id: "agent-7".into(),
                name: "Rosa Diaz".into(),
                teams: vec!["spanish".into()],
                skills: arrears_core::work::Skills::default(),
                active: true,
            }),
            expect!["0228076167656e742d3709526f7361204469617a01077370616e69736800000001f0ae1c7e"],
        ),
        (
            Command::RecordWork(WorkDone {
                agent: "agent-7".into(),
                account,
                code: arrears_core::work::WorkOutcomeCode::Promise,
                at: "2026-02-01T15:30:00Z".parse().unwrap(),
                promise: vec![PromiseLine { on: date("2026-02-10"), amount: usd("125.50") }],
                next_action_on: Some(date("2026-02-11")),
                address: Some("+15550100".into()),
                note: Some("Pays on Fridays".into()),
            }),
            expect!["0229076167656e742d370300fcf0e2fed20001fc92921600053132352e350355534401fc9492160001092b3135353530313030010f50617973206f6e204672696461797326193413"],
        ),
        (
            Command::ReportSignal {
                debtor: DebtorId(7),
                report: arrears_core::model::ReportedSignal {
                    signal: arrears_core::policy::Signal::ManagementResignation,
                    observed_on: on,
                    expires_on: None,
                    source: "bureau:acme".into(),
                    evidence: "CFO resigned".into(),
                },
            },
            expect!["022a0704fc80921600000b6275726561753a61636d650c43464f2072657369676e656461c43470"],
        ),
        (
            Command::ReceiveCash {
                line: arrears_core::cash::BankLine {
                    bank_ref: "NTRF-1".into(),
                    value_on: date("2026-02-02"),
                    amount: usd("125.50"),
                    payer_name: Some("Ana Ruiz".into()),
                    payer_account: None,
                    remittance: "F-1".into(),
                },
            },
            expect!["022b064e5452462d31fc82921600053132352e35035553440108416e61205275697a0003462d31fc171082"],
        ),
        (
            Command::ApplyCash {
                line: "NTRF-1".into(),
                account,
                amount: usd("100"),
                effective_on: date("2026-02-03"),
            },
            expect!["022c064e5452462d31030331303003555344fc8492160017f7043e"],
        ),
        (
            Command::ChannelPayment {
                account,
                effective_on: date("2026-02-03"),
                amount: usd("45.50"),
                directed_to: None,
                channel: PaymentChannel::Card,
                agent: Some("agent-7".into()),
                action: Some(81),
            },
            expect!["023503fc849216000434352e3503555344000001076167656e742d370151a99cc9d2"],
        ),
        (
            Command::DecideCredit {
                application: arrears_core::credit::CreditApplication {
                    debtor: DebtorId(7),
                    product: ProductKind::TradeCredit,
                    limit: usd("10000.00"),
                    terms: credit_terms(),
                    applied_on: on,
                    attributes: [("sector".to_owned(), "retail".to_owned())].into(),
                },
            },
            expect!["02320702053130303030035553441e04302e32350104302e3038fc809216000106736563746f720672657461696c26a47191"],
        ),
        (
            Command::SetCreditTerms {
                debtor: DebtorId(7),
                product: ProductKind::TradeCredit,
                limit: usd("2500"),
                terms: credit_terms(),
                refuse_to_trade: true,
                effective_on: on,
            },
            expect!["023307020432353030035553441e04302e32350104302e303801fc80921600a3c7ab3e"],
        ),
        (Command::ReviewCredit { as_of: on }, expect!["0234fc80921600c2598a17"]),
        (
            Command::CreditNote {
                account,
                obligation: Some(ObligationId(2)),
                effective_on: on,
                amount: usd("125.00"),
                reason: arrears_core::ledger::CreditNoteReason::Return,
                external_ref: Some("CN-1".into()),
            },
            expect!["0236030102fc809216000331323503555344000104434e2d314e921c45"],
        ),
        (Command::DetectSignals { as_of: on }, expect!["0237fc809216006c2b1e91"]),
        (
            Command::RecordOutbound {
                debtor: DebtorId(7),
                accounts: vec![account],
                channel: ContactChannel::Sms,
                address: "+15550100".into(),
                at: "2026-02-03T15:04:05Z".parse().unwrap(),
                outcome: ContactOutcome::NoAnswer,
            },
            expect!["023807010301092b3135353530313030fcca1c04d300014d158e62"],
        ),
        (
            Command::SetCreditStanding {
                standing: arrears_core::credit::CreditStanding {
                    debtor: DebtorId(7),
                    product: ProductKind::TradeCredit,
                    currency: Currency::USD,
                    granted_limit_minor: 5_000_000,
                    granted_terms: arrears_core::credit::CreditTerms {
                        net_days: 30,
                        deposit_share: "0.1".parse().unwrap(),
                        cash_on_delivery: false,
                        interest_rate: "0.08".parse().unwrap(),
                    },
                    limit_minor: 2_500_000,
                    terms: arrears_core::credit::CreditTerms {
                        net_days: 15,
                        deposit_share: "0.1".parse().unwrap(),
                        cash_on_delivery: false,
                        interest_rate: "0.08".parse().unwrap(),
                    },
                    refuse_to_trade: false,
                    stopped_by_hand: false,
                    granted_on: on,
                    last_review: Some(arrears_core::credit::ReviewMark {
                        reviewed_on: on,
                        points: Some(612),
                        signals: Vec::new(),
                    }),
                    detected: None,
                },
            },
            expect!["0239070203555344fc809698001e03302e310004302e3038fc404b4c000f03302e310004302e30380000fc8092160001fc8092160001fbc8040000934ef989"],
        ),
        (
            Command::WithdrawCharge { account, obligation: ObligationId(3), effective_on: on },
            expect!["023a0303fc8092160080c91ce9"],
        ),
        (
            Command::Refund {
                account,
                effective_on: on,
                amount: usd("12.50"),
                external_ref: Some("RF-1".into()),
            },
            expect!["023b03fc809216000431322e3503555344010452462d31af538f0c"],
        ),
        (
            Command::RecordForbearanceAssessed {
                account,
                on,
                reason: "six-month payment holiday offered by letter".into(),
            },
            expect!["023c03fc809216002b7369782d6d6f6e7468207061796d656e7420686f6c69646179206f666665726564206279206c65747465723d497523"],
        ),
        (
            Command::RegisterPayerAccount {
                debtor: DebtorId(7),
                scheme: arrears_core::cash::PayerScheme::Iban,
                number: "ES91 2100 0418 4502 0005 1332".into(),
            },
            expect!["022d07001d4553393120323130302030343138203435303220303030352031333332eba0d84f"],
        ),
        (
            Command::RemovePayerAccount {
                debtor: DebtorId(7),
                number: "ES9121000418450200051332".into(),
            },
            expect!["022e0718455339313231303030343138343530323030303531333332b5b533ed"],
        ),
        (
            Command::SetBankRules {
                file: "rules.toml".into(),
                text: "[[rule]]\nname = \"rf\"\nkind = \"creditor_reference\"\n".into(),
            },
            expect!["022f0a72756c65732e746f6d6c315b5b72756c655d5d0a6e616d65203d20227266220a6b696e64203d20226372656469746f725f7265666572656e6365220a7007b426"],
        ),
        (
            Command::ReturnCash {
                line: "NTRF-1".into(),
                amount: usd("25.50"),
                effective_on: date("2026-02-09"),
            },
            expect!["0230064e5452462d310432352e3503555344fc909216000249e70b"],
        ),
        (
            Command::RecordBankMatch {
                line: "NTRF-1".into(),
                value_on: date("2026-02-02"),
                amount: usd("125.50"),
                rule: Some("RF reference".into()),
                posted: usd("100"),
            },
            expect!["0231064e5452462d31fc82921600053132352e3503555344010c5246207265666572656e63650331303003555344d2fd243d"],
        ),
        (
            Command::SetPolicy { file: "policy.toml".into(), text: "name = \"p\"\n".into() },
            expect!["021a0b706f6c6963792e746f6d6c0b6e616d65203d202270220aeb13fd3c"],
        ),
    ]
}

#[test]
fn golden_commands() {
    let samples = commands();
    let mut covered = [false; COMMAND_VARIANTS];
    for (command, expect) in samples {
        covered[command_variant(&command)] = true;
        check_command(&command, expect);
    }
    assert!(covered.iter().all(|covered| *covered), "a command variant has no golden sample");
}

#[test]
fn golden_outcomes() {
    let posted = Posted {
        account: AccountId(3),
        event: EventSeq(5),
        obligation: Some(ObligationId(4)),
        entry: Some(EntryId(9)),
        postings: vec![
            Posting {
                book: Book::Cash,
                obligation: None,
                component: None,
                source: Some(EventSeq(5)),
                amount_minor: 10_010,
            },
            Posting {
                book: Book::Receivable,
                obligation: Some(ObligationId(4)),
                component: Some(Component::Principal),
                source: Some(EventSeq(5)),
                amount_minor: -10_010,
            },
        ],
        corrections: vec![EntryId(8)],
    };
    let samples = vec![
        (Outcome::DebtorCreated(DebtorId(7)), expect!["020007df98a162"]),
        (Outcome::AccountOpened(AccountId(3)), expect!["020103876dd77c"]),
        (Outcome::Posted(posted.clone()), expect!["0202030501040109020100000105fb344e00010401000105fb334e0108ec1ec0cf"]),
        (
            Outcome::Cases(vec![CaseChanged {
                account: AccountId(3),
                from: "delinquent".into(),
                to: "promised".into(),
                posted: vec![posted],
            }]),
            expect!["020301030a64656c696e7175656e740870726f6d6973656401030501040109020100000105fb344e00010401000105fb334e0108db758be8"],
        ),
        (
            Outcome::Acknowledged { action: 0x0012_3456_789a, disputed: vec![AccountId(3)] },
            expect!["0204fd9a7856341200000001035b23e2b2"],
        ),
        (Outcome::PolicySet { name: "standard".into() }, expect!["0205087374616e646172649f69cf1b"]),
        (Outcome::Scheduled { action: 0x0012_3456_789a }, expect!["0209fd9a78563412000000e75be6bd"]),
        (
            Outcome::Sent { action: 0x0012_3456_789a, at: "2026-02-01T15:30:00Z".parse().unwrap() },
            expect!["0208fd9a78563412000000fcf0e2fed200be6ffc3f"],
        ),
        (Outcome::WorkDefined { name: "agent-7".into() }, expect!["020a076167656e742d371e04e001"]),
        (
            Outcome::Worked {
                account: AccountId(3),
                next_action_on: Some(date("2026-02-11")),
                cases: Vec::new(),
            },
            expect!["020b0301fc94921600009e84e604"],
        ),
        (
            Outcome::DebtorUpdated { debtor: DebtorId(7), cancelled: vec![0x0012_3456_789a] },
            expect!["02070701fd9a78563412000000fb1c51af"],
        ),
        (
            Outcome::CashHeld { line: "NTRF-1".into(), held: usd("125.50") },
            expect!["020c064e5452462d31063132352e3530035553449cd2819f"],
        ),
        (
            Outcome::CreditDecided {
                decision: 4,
                verdict: arrears_core::credit::Verdict::Decline,
            },
            expect!["0210040175410084"],
        ),
        (Outcome::CreditTermsSet { debtor: DebtorId(7) }, expect!["021107cfbb7831"]),
        (
            Outcome::CreditReviewed {
                reviews: vec![ReviewDone {
                    debtor: DebtorId(7),
                    seq: 2,
                    action: arrears_core::credit::ReviewAction::Tighten,
                }],
            },
            expect!["02120107020028d7ef69"],
        ),
        (
            Outcome::SignalsDetected {
                changes: vec![SignalChanged {
                    debtor: DebtorId(7),
                    signal: arrears_core::policy::Signal::PurchasePatternChange,
                    source: "detector:buying_pattern".into(),
                    raised: true,
                    evidence: "charges 100.00 vs 400.00".into(),
                }],
            },
            expect!["0213010703176465746563746f723a627579696e675f7061747465726e011863686172676573203130302e3030207673203430302e3030a2d0fddb"],
        ),
        (Outcome::BankRulesSet { file: "rules.toml".into() }, expect!["020d0a72756c65732e746f6d6c6fc2acc5"]),
        (Outcome::BankMatchRecorded { line: "NTRF-1".into() }, expect!["020f064e5452462d31277529ee"]),
        (
            Outcome::CashReturned {
                line: "NTRF-1".into(),
                returned: usd("25.50"),
                held: usd("100"),
            },
            expect!["020e064e5452462d310532352e3530035553440331303003555344e3103a5a"],
        ),
    ];
    let mut covered = [false; STORED_OUTCOME_VARIANTS];
    for (outcome, expect) in samples {
        covered[outcome_variant(&outcome).unwrap()] = true;
        check_outcome(&outcome, expect);
    }
    assert!(covered.iter().all(|covered| *covered), "a stored outcome has no golden sample");
}

proptest::proptest! {
    /// A payment's record is written by hand: the bytes of its row through serde, whatever its
    /// fields (the golden sample above freezes one).
    #[test]
    fn a_payment_record_is_its_rows_bytes(
        account in 1_u64..u64::MAX,
        days in 0_u64..3_000_000,
        mantissa in proptest::prelude::any::<i64>(),
        scale in 0_u32..=20,
        directed_to in proptest::option::of(1_u64..u64::MAX),
    ) {
        let payment = Command::Payment {
            account: AccountId(account),
            effective_on: NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Days::new(days),
            amount: Money::new(rust_decimal::Decimal::new(mantissa, scale), Currency::USD),
            directed_to: directed_to.map(ObligationId),
        };
        let row = arrears_store::rows::Stored::to_row(&payment);
        proptest::prop_assert_eq!(
            encode_record(RecordKind::Command, &payment),
            arrears_store::codec::encode(RecordKind::Command, &row)
        );
    }
}
