//! camt batches whose entry amount is the transactions' amounts less the charges the bank
//! deducted (`Chrgs`, at the entry or per transaction). Method: statements written by hand
//! from the ISO 20022 `Charges` structure (`TtlChrgsAndTaxAmt`, `Rcrd` with `Amt`,
//! `CdtDbtInd`, `ChrgInclInd`; 001.02's repeated `Chrgs` with `Amt`), read back as one line
//! per payment at its own amount plus one line for the charges; differences nothing in the
//! file explains stay refused with the figures; and a property test against a model: the
//! payments plus the included charges are the entry's amount.

use arrears_bank::{parse, Direction, FormatChoice, Problem, ReferenceKind, Statement};
use proptest::prelude::*;

/// A camt.053.001.`version` statement of one batched entry, `entry` its inner XML after
/// `NtryRef` (amount, direction, status, dates and details), balanced on `closing`.
fn statement(version: &str, opening: &str, closing: &str, entry: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}\">\n\
         <BkToCstmrStmt>\n\
         <GrpHdr><MsgId>BBVA-053-20261207</MsgId><CreDtTm>2026-12-08T06:00:00</CreDtTm></GrpHdr>\n\
         <Stmt>\n\
         <Id>2026-12-07</Id>\n\
         <Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id><Ccy>EUR</Ccy></Acct>\n\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{opening}</Amt>\
         <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-06</Dt></Dt></Bal>\n\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{closing}</Amt>\
         <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-07</Dt></Dt></Bal>\n\
         <Ntry>\n\
         <NtryRef>B-0001</NtryRef>\n\
         {entry}\
         </Ntry>\n\
         </Stmt>\n\
         </BkToCstmrStmt>\n\
         </Document>\n"
    )
}

/// The head of an entry: amount, direction, booked, dates, the servicer's reference and a
/// SEPA credit transfer code.
fn head(amount: &str, direction: &str) -> String {
    format!(
        "<Amt Ccy=\"EUR\">{amount}</Amt>\n<CdtDbtInd>{direction}</CdtDbtInd>\n\
         <Sts><Cd>BOOK</Cd></Sts>\n<BookgDt><Dt>2026-12-07</Dt></BookgDt>\n\
         <ValDt><Dt>2026-12-07</Dt></ValDt>\n<AcctSvcrRef>BBVA-LOTE-7781</AcctSvcrRef>\n\
         <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>\
         </Domn></BkTxCd>\n"
    )
}

/// One SEPA transfer of a batch, with its end-to-end id, payer and `extra` XML (its own
/// charges).
fn transfer(amount: &str, end_to_end: &str, payer: &str, extra: &str) -> String {
    format!(
        "<TxDtls>\n<Refs><EndToEndId>{end_to_end}</EndToEndId></Refs>\n\
         <Amt Ccy=\"EUR\">{amount}</Amt>\n<CdtDbtInd>CRDT</CdtDbtInd>\n{extra}\
         <RltdPties><Dbtr><Pty><Nm>{payer}</Nm></Pty></Dbtr></RltdPties>\n\
         <RmtInf><Ustrd>FACTURA {end_to_end}</Ustrd></RmtInf>\n</TxDtls>\n"
    )
}

/// A charges record: amount, direction (none when empty) and `ChrgInclInd` (none when
/// empty).
fn record(amount: &str, direction: &str, included: &str) -> String {
    let direction = match direction {
        "" => String::new(),
        direction => format!("<CdtDbtInd>{direction}</CdtDbtInd>"),
    };
    let included = match included {
        "" => String::new(),
        included => format!("<ChrgInclInd>{included}</ChrgInclInd>"),
    };
    format!(
        "<Rcrd><Amt Ccy=\"EUR\">{amount}</Amt>{direction}{included}\
         <Tp><Cd>COMM</Cd></Tp><Br>CRED</Br></Rcrd>"
    )
}

/// Three transfers of 500.00, 475.00 and 500.00 in an entry of 1,473.50: the bank took
/// 1.50.
fn three(extra: [&str; 3]) -> String {
    format!(
        "<NtryDtls>\n{}{}{}</NtryDtls>\n",
        transfer("500.00", "F-2026-0101", "Ferreteria Ruiz SL", extra[0]),
        transfer("475.00", "F-2026-0102", "Talleres Ibarra SA", extra[1]),
        transfer("500.00", "F-2026-0103", "Ana Torres Blanco", extra[2]),
    )
}

fn read(text: &str) -> Result<Vec<Statement>, arrears_bank::StatementError> {
    parse("lote.xml", text.as_bytes(), FormatChoice::Auto, None)
}

/// Each line as `amount direction reference code element`.
fn brief(statement: &Statement) -> Vec<String> {
    let line = |line: &arrears_bank::StatementLine| {
        let direction = if line.direction == Direction::Credit { "C" } else { "D" };
        format!(
            "{}{direction} {} {} {}",
            line.amount_minor,
            line.bank_reference,
            line.transaction_code.as_deref().unwrap_or("-"),
            line.location.element.as_deref().unwrap_or("-"),
        )
    };
    statement.lines.iter().map(line).collect()
}

const NTRY: &str = "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]";

/// The charges at the entry (`Ntry/Chrgs`, a record included in the amount, taken from the
/// account): the three payments keep their amounts, and the 1.50 is a debit line of its own
/// (code `CHRG`, at the `Chrgs` element, the entry's reference with `/charges`), so the
/// lines still add up to the entry and the statement balances.
#[test]
fn entry_charges_deducted_from_a_batch_become_a_line_of_their_own() {
    for version in ["08", "14"] {
        let charges = format!(
            "<Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">1.50</TtlChrgsAndTaxAmt>{}</Chrgs>\n",
            record("1.50", "DBIT", "true")
        );
        let entry = format!("{}{charges}{}", head("1473.50", "CRDT"), three(["", "", ""]));
        let statements = read(&statement(version, "1000.00", "2473.50", &entry))
            .unwrap_or_else(|e| panic!("001.{version}: {e}"));
        assert_eq!(
            brief(&statements[0]),
            [
                format!("50000C BBVA-LOTE-7781/1 PMNT/RCDT/ESCT {NTRY}/NtryDtls[1]/TxDtls[1]"),
                format!("47500C BBVA-LOTE-7781/2 PMNT/RCDT/ESCT {NTRY}/NtryDtls[1]/TxDtls[2]"),
                format!("50000C BBVA-LOTE-7781/3 PMNT/RCDT/ESCT {NTRY}/NtryDtls[1]/TxDtls[3]"),
                format!("150D BBVA-LOTE-7781/charges CHRG {NTRY}/Chrgs[1]"),
            ],
            "001.{version}"
        );
        let charge = &statements[0].lines[3];
        assert_eq!(charge.reference_kind, ReferenceKind::Servicer);
        assert_eq!(charge.end_to_end_id, None);
        assert_eq!(charge.payer_name, None);
        assert_eq!(
            charge.remittance_unstructured.as_deref(),
            Some("bank charges of the entry (Chrgs)")
        );
        assert!(!charge.is_reversal);
        assert_eq!(statements[0].net_minor(), 147_350);
        let payer = &statements[0].lines[1];
        assert_eq!(payer.end_to_end_id.as_deref(), Some("F-2026-0102"));
        assert_eq!(payer.payer_name.as_deref(), Some("Talleres Ibarra SA"));
    }
}

/// The charges per transaction (`TxDtls/Chrgs`), each record without `ChrgInclInd` or
/// `CdtDbtInd` (a charge taken), or only the total of charges and taxes, or 001.02's
/// `Chrgs/Amt`: the same lines, the charges' line at the first transaction's `Chrgs`.
#[test]
fn transaction_charges_and_the_other_forms_explain_the_batch() {
    let tx_charges = |amount: &str| format!("<Chrgs>{}</Chrgs>\n", record(amount, "", ""));
    let entry = format!(
        "{}{}",
        head("1473.50", "CRDT"),
        three([&tx_charges("0.50"), &tx_charges("0.50"), &tx_charges("0.50")])
    );
    let statements = read(&statement("10", "1000.00", "2473.50", &entry)).unwrap();
    assert_eq!(
        brief(&statements[0]).last().map(String::as_str),
        Some(
            format!("150D BBVA-LOTE-7781/charges CHRG {NTRY}/NtryDtls[1]/TxDtls[1]/Chrgs[1]")
                .as_str()
        )
    );
    assert_eq!(statements[0].lines.len(), 4);

    let total_only = "<Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">1.50</TtlChrgsAndTaxAmt></Chrgs>\n";
    let entry = format!("{}{total_only}{}", head("1473.50", "CRDT"), three(["", "", ""]));
    let statements = read(&statement("06", "1000.00", "2473.50", &entry)).unwrap();
    assert_eq!(statements[0].lines[3].amount_minor, 150);

    // 001.02: `Chrgs` repeated, each with its own `Amt`; and the transactions' amounts in
    // `AmtDtls/TxAmt`.
    let legacy = "<Chrgs><Amt Ccy=\"EUR\">1.00</Amt></Chrgs>\n\
                  <Chrgs><Amt Ccy=\"EUR\">0.50</Amt></Chrgs>\n";
    let entry = format!("{}{legacy}{}", head("1473.50", "CRDT"), three(["", "", ""]));
    let statements = read(&statement("02", "1000.00", "2473.50", &entry)).unwrap();
    assert_eq!(
        brief(&statements[0])[3],
        format!("150D BBVA-LOTE-7781/charges CHRG {NTRY}/Chrgs[1]")
    );

    // Charges given both at the entry (the total) and per transaction (its parts) are
    // counted once.
    let entry = format!(
        "{}{}{}",
        head("1473.50", "CRDT"),
        "<Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">1.50</TtlChrgsAndTaxAmt></Chrgs>\n",
        three([&tx_charges("0.50"), &tx_charges("0.50"), &tx_charges("0.50")])
    );
    let statements = read(&statement("10", "1000.00", "2473.50", &entry)).unwrap();
    assert_eq!(statements[0].net_minor(), 147_350);
    assert_eq!(statements[0].lines.len(), 4);
}

/// A batch of outgoing transfers: the bank debits the payments and its charge, so the entry
/// is more than the transactions; the charge is a debit line again.
#[test]
fn debit_batch_with_its_charge_added() {
    let payment = |amount: &str, id: &str| {
        format!(
            "<TxDtls><Refs><EndToEndId>{id}</EndToEndId></Refs><Amt Ccy=\"EUR\">{amount}</Amt>\
             <CdtDbtInd>DBIT</CdtDbtInd></TxDtls>\n"
        )
    };
    let entry = format!(
        "{}<Chrgs>{}</Chrgs>\n<NtryDtls>{}{}</NtryDtls>\n",
        head("1001.75", "DBIT"),
        record("1.75", "DBIT", "true"),
        payment("600.00", "PROV-11"),
        payment("400.00", "PROV-12"),
    );
    let statements = read(&statement("10", "2000.00", "998.25", &entry)).unwrap();
    let lines: Vec<(i64, Direction)> =
        statements[0].lines.iter().map(|line| (line.amount_minor, line.direction)).collect();
    assert_eq!(
        lines,
        [(60_000, Direction::Debit), (40_000, Direction::Debit), (175, Direction::Debit)]
    );
}

/// What nothing in the file explains stays refused, at the entry, with the figures: charges
/// declared as not included in the amount (`ChrgInclInd` false: pre-advised, or booked on
/// their own), charges of another amount, or no charges at all (the check as before). A
/// `ChrgInclInd` that is not an XML boolean is refused at the element.
#[test]
fn a_difference_the_charges_do_not_explain_is_refused_with_the_figures() {
    let with = |charges: &str| {
        let entry = format!("{}{charges}{}", head("1473.50", "CRDT"), three(["", "", ""]));
        read(&statement("10", "1000.00", "2473.50", &entry)).unwrap_err()
    };
    let error = with(&format!("<Chrgs>{}</Chrgs>\n", record("1.50", "DBIT", "false")));
    assert_eq!(error.at.element.as_deref(), Some(NTRY), "{error}");
    assert_eq!(error.at.line, 10, "{error}");
    assert_eq!(
        error.problem,
        Problem::BatchChargesMismatch {
            entry_minor: 147_350,
            transactions_minor: 147_500,
            difference_minor: -150,
            charges_minor: vec![],
        }
    );
    assert_eq!(
        error.to_string(),
        "lote.xml: line 10 (Document/BkToCstmrStmt/Stmt[1]/Ntry[1]): batch check failed: \
         Ntry/Amt is 147350, its TxDtls add up to 147500, a difference of -150 that the charges \
         it declares (Chrgs, taken as []) do not explain (signed minor units, credits positive)"
    );

    let error = with(&format!("<Chrgs>{}</Chrgs>\n", record("1.25", "DBIT", "true")));
    assert!(
        matches!(&error.problem, Problem::BatchChargesMismatch { charges_minor, .. }
            if charges_minor == &vec![-125]),
        "{error}"
    );
    // A charge credited (a refund of charges) does not explain an entry short of its
    // transactions.
    let error = with(&format!("<Chrgs>{}</Chrgs>\n", record("1.50", "CRDT", "1")));
    assert!(
        matches!(&error.problem, Problem::BatchChargesMismatch { charges_minor, .. }
            if charges_minor == &vec![150]),
        "{error}"
    );

    let error = with("");
    assert_eq!(
        error.problem,
        Problem::TotalMismatch {
            what: "Ntry/Amt of a batch against its TxDtls amounts",
            declared_minor: 147_350,
            summed_minor: 147_500,
        }
    );

    let error = with(&format!("<Chrgs>{}</Chrgs>\n", record("1.50", "DBIT", "yes")));
    assert_eq!(error.at.element.as_deref(), Some(&*format!("{NTRY}/Chrgs[1]/Rcrd[1]/ChrgInclInd")));
    assert!(
        matches!(&error.problem, Problem::Malformed { what: "ChrgInclInd", found, .. }
            if found == "yes"),
        "{error}"
    );
}

/// An entry of one transaction booked net of a charge the bank took (a transfer from abroad,
/// 100.00 sent, 98.50 credited): read as a batch of one, the payment at the transaction's
/// 100.00 and the charge a line. Without charges that explain it exactly, the entry's amount
/// is the line's, as it always was (a transaction's amount is optional there): not refused.
#[test]
fn one_transaction_booked_net_of_its_charge() {
    let one = |charges: &str| {
        let entry = format!(
            "{}<NtryDtls>\n{}</NtryDtls>\n",
            head("98.50", "CRDT"),
            transfer("100.00", "F-2026-0201", "Hans Becker", charges)
        );
        let statements = read(&statement("10", "0.00", "98.50", &entry))
            .unwrap_or_else(|e| panic!("{charges}: {e}"));
        brief(&statements[0])
    };
    let charged = format!("<Chrgs>{}</Chrgs>\n", record("1.50", "DBIT", "true"));
    assert_eq!(
        one(&charged),
        [
            format!("10000C BBVA-LOTE-7781 PMNT/RCDT/ESCT {NTRY}"),
            format!("150D BBVA-LOTE-7781/charges CHRG {NTRY}/NtryDtls[1]/TxDtls[1]/Chrgs[1]"),
        ]
    );
    assert_eq!(one(""), [format!("9850C BBVA-LOTE-7781 PMNT/RCDT/ESCT {NTRY}")]);
    let other = format!("<Chrgs>{}</Chrgs>\n", record("1.00", "DBIT", "true"));
    assert_eq!(one(&other), [format!("9850C BBVA-LOTE-7781 PMNT/RCDT/ESCT {NTRY}")]);
}

/// A generated batch: credit transfers in minor units, and charges records (amount, taken
/// or refunded, included in the entry or not).
fn batch() -> impl Strategy<Value = (Vec<i64>, Vec<(i64, bool, bool)>)> {
    (
        prop::collection::vec(1i64..50_000_000, 1..6),
        prop::collection::vec(
            (0i64..10_000, prop::bool::weighted(0.8), prop::bool::weighted(0.8)),
            0..4,
        ),
    )
}

fn decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

proptest! {
    /// The model: the entry's amount is the payments plus the included charges (taken ones
    /// negative). Read back, the payments are the transactions' amounts, the charges' line
    /// (if they come to anything) is what the model says, and all lines add up to the entry.
    /// One minor unit more on a batch's entry is refused.
    #[test]
    fn payments_plus_charges_are_the_entry((payments, records) in batch()) {
        let included_minor: i64 = records
            .iter()
            .filter(|(_, _, included)| *included)
            .map(|(minor, taken, _)| if *taken { -minor } else { *minor })
            .sum();
        let payments_minor: i64 = payments.iter().sum();
        let entry_minor = payments_minor + included_minor;
        prop_assume!(entry_minor > 0);
        let details: String = payments
            .iter()
            .enumerate()
            .map(|(index, minor)| transfer(&decimal(*minor), &format!("E-{index}"), "P", ""))
            .collect();
        let charges: String = records
            .iter()
            .map(|(minor, taken, included)| {
                record(&decimal(*minor), if *taken { "DBIT" } else { "CRDT" },
                       if *included { "true" } else { "false" })
            })
            .collect();
        let charges = if records.is_empty() { String::new() } else { format!("<Chrgs>{charges}</Chrgs>") };
        let text = |entry_minor: i64| {
            let entry = format!(
                "{}{charges}<NtryDtls>{details}</NtryDtls>",
                head(&decimal(entry_minor), "CRDT")
            );
            statement("14", "0.00", &decimal(entry_minor), &entry)
        };
        let statements = read(&text(entry_minor)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let lines = &statements[0].lines;
        let read_payments: Vec<i64> =
            lines.iter().take(payments.len()).map(|line| line.amount_minor).collect();
        prop_assert_eq!(&read_payments, &payments);
        prop_assert_eq!(statements[0].net_minor(), entry_minor);
        if included_minor == 0 {
            prop_assert_eq!(lines.len(), payments.len());
        } else {
            prop_assert_eq!(lines.len(), payments.len() + 1);
            let charge = &lines[payments.len()];
            prop_assert_eq!(charge.signed_minor(), included_minor);
            prop_assert_eq!(charge.transaction_code.as_deref(), Some("CHRG"));
        }
        if payments.len() == 1 {
            // An entry of one transaction that its charges do not explain keeps its own
            // amount, as it always did.
            let statements = read(&text(entry_minor + 1))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(statements[0].lines.len(), 1);
            prop_assert_eq!(statements[0].lines[0].amount_minor, entry_minor + 1);
        } else {
            let error = read(&text(entry_minor + 1)).unwrap_err();
            let refused = matches!(
                error.problem,
                Problem::BatchChargesMismatch { .. } | Problem::TotalMismatch { .. }
            );
            prop_assert!(refused, "{}", error);
        }
    }
}
