//! `arrears post`: the allocation trace, replays, rejections and input errors.

use crate::Env;

#[test]
fn payment_prints_the_allocation_trace() {
    let env = Env::sample();
    // Northwind owes INV-10644 (7,240.25, due 2026-10-15) and 2,480.00 of INV-10791: the
    // payment settles the oldest first.
    let args = [
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "7500.00",
        "--on",
        "2026-11-19",
        "--key",
        "NW-PAY-1119",
    ];
    let run = env.run(&args);
    let expected = "\
payment on account A1 (TC-8001): event #8, entry J88

book        obligation  component  source    debit   credit
receivable  O3          principal  #8               7240.25
receivable  O4          principal  #8                259.75
cash                               #8      7500.00
";
    assert_eq!(run.ok(), expected);

    // The same key and command again: the first outcome, nothing written.
    let again = env.run(&args);
    assert!(again
        .ok()
        .contains("replayed: key \"NW-PAY-1119\" was already executed; nothing was written"));
    assert!(again.stdout.contains("receivable  O4          principal  #8                259.75"));

    // The same key with another command is an error about --key.
    let mut other = args;
    other[5] = "7600.00";
    let conflict = env.run(&other);
    assert_eq!(conflict.code, 1);
    assert_eq!(
        conflict.stderr,
        "error: --key: idempotency key \"NW-PAY-1119\" was already used for a different command\n"
    );

    // --json prints the receipt.
    let json = env
        .run(&[
            "post",
            "payment",
            "--account",
            "A1",
            "--amount",
            "1",
            "--on",
            "2026-11-20",
            "--key",
            "NW-PAY-1120",
            "--json",
        ])
        .json();
    assert_eq!(json["replayed"], false);
    assert_eq!(json["outcome"]["posted"]["account"], 1);
    assert_eq!(json["outcome"]["posted"]["postings"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_rejected_command_exits_1() {
    let env = Env::sample();
    let before = env.snapshot();
    let args = [
        "post",
        "waiver",
        "--account",
        "CC-7002",
        "--obligation",
        "ST-7002-2610",
        "--component",
        "principal",
        "--amount",
        "500.00",
        "--on",
        "2026-11-20",
        "--key",
        "CC2-WVR",
    ];
    let run = env.run(&args);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "rejected: 500.00 USD requested but only 198.99 outstanding on O24 principal\n"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let json = env.run(&json_args);
    assert_eq!(json.code, 1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        value["outcome"]["rejected"]["ledger"]["exceeds_outstanding"]["requested_minor"],
        50_000
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn other_postings() {
    let env = Env::sample();
    let charge = env.run(&[
        "post",
        "charge",
        "--account",
        "UT-9003",
        "--amount",
        "80.25",
        "--issued-on",
        "2026-11-20",
        "--due-on",
        "2026-12-10",
        "--ref",
        "UT-9003-2612",
        "--key",
        "UT3-2612",
    ]);
    assert!(charge.ok().contains("obligation created: O52"), "{}", charge.stdout);
    let adjustment = env.run(&[
        "post",
        "adjustment",
        "--account",
        "UT-9003",
        "--obligation",
        "UT-9003-2612",
        "--component",
        "principal",
        "--amount",
        "-0.25",
        "--on",
        "2026-11-20",
        "--key",
        "UT3-ADJ",
    ]);
    assert!(
        adjustment.ok().contains("adjustments  O52         principal           0.25"),
        "{}",
        adjustment.stdout
    );
    let dispute = env.run(&[
        "post",
        "dispute",
        "--account",
        "UT-9003",
        "--obligation",
        "O52",
        "--on",
        "2026-11-20",
        "--key",
        "UT3-DSP",
    ]);
    assert!(dispute.ok().contains("no entry (moves no money)"), "{}", dispute.stdout);
    let accrue = env.run(&[
        "post",
        "accrue",
        "--account",
        "CC-7002",
        "--on",
        "2026-11-20",
        "--key",
        "CC2-INT",
    ]);
    assert!(accrue.ok().contains("interest_income"), "{}", accrue.stdout);
    let reversal = env.run(&[
        "post",
        "reversal",
        "--account",
        "CC-7002",
        "--reverses",
        "CC2-PAY-0925",
        "--on",
        "2026-11-20",
        "--key",
        "CC2-REV",
    ]);
    assert!(reversal.ok().starts_with("reversal on account A6 (CC-7002)"), "{}", reversal.stdout);
    let twice = env.run(&[
        "post",
        "reversal",
        "--account",
        "CC-7002",
        "--reverses",
        "#5",
        "--on",
        "2026-11-20",
        "--key",
        "CC2-REV2",
    ]);
    assert_eq!(twice.code, 1);
    assert!(
        twice.stdout.starts_with("rejected: payment #5 is already reversed"),
        "{}",
        twice.stdout
    );
    let charge_off = env.run(&[
        "post",
        "charge-off",
        "--account",
        "BN-6001",
        "--on",
        "2026-11-20",
        "--key",
        "BN1-CO",
    ]);
    assert!(charge_off.ok().contains("bad_debt"), "{}", charge_off.stdout);
    let fee = env.run(&[
        "post",
        "fee",
        "--account",
        "BN-6001",
        "--amount",
        "5",
        "--on",
        "2026-11-20",
        "--key",
        "BN1-FEE",
    ]);
    assert_eq!(fee.code, 1);
    assert!(
        fee.stdout.starts_with("rejected: the account was charged off on 2026-11-20"),
        "{}",
        fee.stdout
    );
    env.run(&["verify"]).ok();
}

#[test]
fn bad_input_names_the_flag() {
    let env = Env::sample();
    let post = |account: &str, amount: &str, on: &str| {
        env.run(&[
            "post",
            "payment",
            "--account",
            account,
            "--amount",
            amount,
            "--on",
            on,
            "--key",
            "K",
        ])
    };
    let fine = post("TC-8001", "1.005", "2026-11-20");
    assert_eq!(fine.code, 1);
    assert_eq!(
        fine.stderr,
        "error: --amount: amount 1.005 is finer than the minor unit of USD (2 decimals)\n"
    );
    let negative = post("TC-8001", "-3", "2026-11-20");
    assert_eq!(negative.code, 1);
    assert_eq!(negative.stderr, "error: --amount: -3 must be greater than zero\n");
    let unknown = post("NOPE", "1", "2026-11-20");
    assert_eq!(
        unknown.stderr,
        "error: --account: no account with external reference or id \"NOPE\"\n"
    );
    let date = post("TC-8001", "1", "2026-13-01");
    assert_eq!(date.code, 2, "a bad date is a usage error");
    assert!(date.stderr.contains("'--on <DATE>'"), "{}", date.stderr);
    let obligation = env.run(&[
        "post",
        "waiver",
        "--account",
        "TC-8001",
        "--obligation",
        "INV-30077",
        "--component",
        "principal",
        "--amount",
        "1",
        "--on",
        "2026-11-20",
        "--key",
        "K",
    ]);
    assert_eq!(
        obligation.stderr,
        "error: --obligation: obligation O9 (INV-30077) belongs to account A3, not to A1 (TC-8001)\n"
    );
    let missing = env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "1",
        "--on",
        "2026-11-20",
    ]);
    assert_eq!(missing.code, 2, "--key is required");
}

/// Issue 18 point 3: a credit note lowers an invoice's principal against originations, moves
/// no cash, and is refused above the principal owed.
#[test]
fn a_credit_note_lowers_the_principal_against_originations() {
    let env = Env::sample();
    let charge = [
        "post",
        "charge",
        "--account",
        "UT-9003",
        "--amount",
        "80.25",
        "--issued-on",
        "2026-11-20",
        "--due-on",
        "2026-12-10",
        "--ref",
        "UT-9003-2612",
        "--key",
        "UT3-2612",
    ];
    env.run(&charge).ok();
    let note = [
        "post",
        "credit-note",
        "--account",
        "UT-9003",
        "--obligation",
        "UT-9003-2612",
        "--amount",
        "30.00",
        "--on",
        "2026-11-21",
        "--reason",
        "return",
        "--ref",
        "CN-2611",
        "--key",
        "UT3-CN-1121",
    ];
    let expected = "\
credit_note on account A12 (UT-9003): event #3, entry J89

book          obligation  component  source  debit  credit
receivable    O52         principal                  30.00
originations  O52         principal          30.00
";
    assert_eq!(env.run(&note).ok(), expected);
    let too_much = [
        "post",
        "credit-note",
        "--account",
        "UT-9003",
        "--obligation",
        "O52",
        "--amount",
        "60.00",
        "--on",
        "2026-11-21",
        "--key",
        "UT3-CN-1121-B",
    ];
    let refused = env.run(&too_much);
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stdout,
        "rejected: credit note of 60.00 USD but only 50.25 principal owed on O52\n"
    );
}

/// `post withdraw-charge` takes a fee charged in error back whole: the payment that paid it
/// gets its money back, which pays the account's other debt; a second withdrawal finds
/// nothing to take back.
#[test]
fn a_withdrawn_charge_gives_its_payment_back_to_the_other_debt() {
    let env = Env::sample();
    let fee = [
        "post",
        "fee",
        "--account",
        "UT-9003",
        "--amount",
        "15.00",
        "--on",
        "2026-11-20",
        "--key",
        "UT3-FEE",
    ];
    env.run(&fee).ok();
    let pay = [
        "post",
        "payment",
        "--account",
        "UT-9003",
        "--amount",
        "15.00",
        "--on",
        "2026-11-20",
        "--directed-to",
        "O52",
        "--key",
        "UT3-PAY-FEE",
    ];
    env.run(&pay).ok();
    let withdraw = [
        "post",
        "withdraw-charge",
        "--account",
        "UT-9003",
        "--obligation",
        "O52",
        "--on",
        "2026-11-21",
        "--key",
        "UT3-WD",
    ];
    // The payment's 15.00 leaves the fee for O40, the oldest debt, through unapplied cash; the
    // fee is forgiven.
    let expected = "\
withdraw_charge on account A12 (UT-9003): event #4, entry J90

book            obligation  component  source  debit  credit
receivable      O40         principal  #3              15.00
receivable      O52         fee                        15.00
receivable      O52         fee        #3      15.00
unapplied_cash  O40         principal  #3      15.00
unapplied_cash  O52         fee        #3              15.00
waivers         O52         fee                15.00
";
    assert_eq!(env.run(&withdraw).ok(), expected);
    let mut again = withdraw;
    again[9] = "UT3-WD-2";
    let refused = env.run(&again);
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stdout,
        "rejected: obligation O52 owes nothing and no payment paid it: nothing to withdraw\n"
    );
}

/// `post refund` pays unapplied cash back: its own obligation, settled at once by the
/// payment's cash (docs/LEDGER.md, "Refunds"), and refused above what is held.
#[test]
fn a_refund_pays_back_unapplied_cash() {
    let env = Env::sample();
    let pay = [
        "post",
        "payment",
        "--account",
        "UT-9003",
        "--amount",
        "5000.00",
        "--on",
        "2026-11-21",
        "--key",
        "UT3-PAY-BIG",
    ];
    env.run(&pay).ok();
    let shown = env.run(&["show", "account", "UT-9003", "--as-of", "2026-11-21"]);
    let held = shown.ok().lines().find(|line| line.contains("unapplied")).unwrap().to_owned();
    assert!(held.ends_with(" 4925.90"), "{held}");
    let refund = [
        "post",
        "refund",
        "--account",
        "UT-9003",
        "--amount",
        "100.00",
        "--on",
        "2026-11-22",
        "--ref",
        "RF-2611",
        "--key",
        "UT3-RF-1122",
    ];
    let expected = "\
refund on account A12 (UT-9003): event #3, entry J89
obligation created: O52

book            obligation  component  source   debit  credit
receivable      O52         principal          100.00
receivable      O52         principal  #2              100.00
cash            O52                                    100.00
unapplied_cash  O52         principal  #2      100.00
";
    assert_eq!(env.run(&refund).ok(), expected);
    let too_much = [
        "post",
        "refund",
        "--account",
        "UT-9003",
        "--amount",
        "5000.00",
        "--on",
        "2026-11-22",
        "--key",
        "UT3-RF-1122-B",
    ];
    let refused = env.run(&too_much);
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stdout,
        "rejected: refund of 5000.00 USD but only 4825.90 unapplied cash held\n"
    );
    // What is still held, and since when.
    let report = ["report", "credit-balances", "--as-of", "2026-11-30"];
    let expected = "\
account        debtor  unapplied  currency  held_since  days  owed  charged_off
A12 (UT-9003)  D7        4825.90  USD       2026-11-21     9  0.00  no
";
    assert_eq!(env.run(&report).ok(), expected);
    let older = ["report", "credit-balances", "--as-of", "2026-11-30", "--held-days", "10"];
    assert_eq!(env.run(&older).ok(), "no unapplied cash held 10 days or more on 2026-11-30\n");
}
