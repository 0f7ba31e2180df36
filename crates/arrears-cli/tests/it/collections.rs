//! The collection commands: promise, settle, dispute, hardship, place, recall, legal, flag,
//! close and reopen, and the case and audit trail of `show account`.

use serde_json::Value;

use crate::{has_line, Env};

#[test]
fn promise_moves_the_case_and_show_account_tells() {
    let env = Env::sample();
    let promise = env.run(&[
        "promise",
        "--account",
        "TC-8001",
        "--on",
        "2026-11-20",
        "--pay",
        "2026-11-25:3000.00",
        "--pay",
        "2026-11-30:4500.00",
        "--key",
        "NW-PTP-1120",
    ]);
    assert_eq!(promise.ok(), "A1: delinquent -> promised\n");

    let shown = env.run(&["show", "account", "TC-8001", "--json"]).json();
    let case = &shown["case"];
    assert_eq!(case["state"], "promised");
    assert_eq!(case["promise"]["made_on"], "2026-11-20");
    let payments = case["promise"]["payments"].as_array().expect("payments");
    assert_eq!(payments.len(), 2);
    assert_eq!(payments[0]["amount_minor"], 300_000);
    let audit = shown["audit"].as_array().expect("audit");
    let last_two: Vec<&Value> = audit.iter().rev().take(2).collect();
    // Since issue 21, a command's record also holds the digest of its idempotency record.
    assert_eq!(last_two[0]["kind"]["command_executed"]["name"], "promise");
    assert_eq!(last_two[0]["kind"]["command_executed"]["key"], "NW-PTP-1120");
    // Hex in JSON since issue 14.
    assert_eq!(last_two[0]["kind"]["command_executed"]["content"].as_str().unwrap().len(), 64);
    assert_eq!(last_two[1]["kind"]["transition"]["event"], "promise_made");
    assert_eq!(last_two[1]["kind"]["transition"]["to"], "promised");
    assert!(audit.iter().all(|record| record["account"] == 1));

    let text = env.run(&["show", "account", "TC-8001"]);
    let text = text.ok();
    assert!(has_line(text, "state promised"), "{text}");
    assert!(
        has_line(
            text,
            "promise made 2026-11-20: 3000.00 on 2026-11-25, 4500.00 on 2026-11-30; 2 grace days"
        ),
        "{text}"
    );
    assert!(text.contains("\naudit trail\n"), "{text}");
    assert!(has_line(text, "seq recorded_at kind details"), "{text}");
    assert!(text.contains("promise_made: delinquent -> promised on 2026-11-20"), "{text}");
    assert!(text.contains("command     promise  key NW-PTP-1120"), "{text}");

    // A promise too far out is refused by the policy, and writes nothing.
    let far = env.run(&[
        "promise",
        "--account",
        "UT-9001",
        "--on",
        "2026-11-20",
        "--pay",
        "2027-03-01:214.90",
        "--key",
        "UT1-PTP",
    ]);
    assert_eq!(far.code, 1);
    assert!(
        far.stdout.starts_with("rejected: policy promise: promised date 2027-03-01"),
        "{}",
        far.stdout
    );
    // Bad input names the flag.
    let bad = env.run(&[
        "promise",
        "--account",
        "UT-9001",
        "--on",
        "2026-11-20",
        "--pay",
        "2026-11-25:1.005",
        "--key",
        "UT1-PTP",
    ]);
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.stderr,
        "error: --pay: amount 1.005 is finer than the minor unit of USD (2 decimals)\n"
    );
    assert_eq!(
        env.run(&[
            "promise",
            "--account",
            "UT-9001",
            "--on",
            "2026-11-20",
            "--pay",
            "2026-11-25",
            "--key",
            "K"
        ])
        .code,
        2
    );
    env.run(&["verify"]).ok();
}

#[test]
fn collection_commands() {
    let env = Env::sample();
    let run = |args: &[&str]| env.run(args);
    // The cycle reviews every account first: a case moves to delinquent on review.
    run(&["cycle", "--as-of", "2026-11-20"]).ok();

    // Disputing the whole debt records a dispute event per open obligation.
    let dispute =
        run(&["dispute", "open", "--account", "CC-7002", "--on", "2026-11-20", "--key", "CC2-DSP"]);
    let dispute = dispute.ok();
    assert!(dispute.starts_with("A6: delinquent -> disputed\n  event #"), "{dispute}");
    assert!(dispute.contains(" dispute, no entry (moves no money)\n"), "{dispute}");
    let resolve = run(&[
        "dispute",
        "resolve",
        "--account",
        "CC-7002",
        "--on",
        "2026-11-21",
        "--key",
        "CC2-RES",
    ]);
    let resolve = resolve.ok();
    assert!(resolve.starts_with("A6: disputed -> delinquent\n"), "{resolve}");
    assert!(resolve.contains(" undispute, no entry (moves no money)\n"), "{resolve}");
    // One obligation only, by its reference.
    let one = run(&[
        "dispute",
        "open",
        "--account",
        "TC-8001",
        "--on",
        "2026-11-20",
        "--obligation",
        "INV-10644",
        "--key",
        "NW-DSP",
    ]);
    assert_eq!(one.ok().matches(" dispute, ").count(), 1, "{}", one.stdout);
    let foreign = run(&[
        "dispute",
        "open",
        "--account",
        "TC-8001",
        "--on",
        "2026-11-20",
        "--obligation",
        "ST-7002-2610",
        "--key",
        "NW-DSP-2",
    ]);
    assert_eq!(foreign.code, 1);
    assert!(foreign.stderr.starts_with("error: --obligation: obligation O"), "{}", foreign.stderr);

    let grant = run(&[
        "hardship",
        "grant",
        "--account",
        "LN-5001",
        "--on",
        "2026-11-20",
        "--until",
        "2026-12-31",
        "--key",
        "LN1-HS",
    ]);
    assert_eq!(grant.ok(), "A4: delinquent -> hardship\n");
    let shown = run(&["show", "account", "LN-5001"]);
    assert!(has_line(shown.ok(), "state hardship until 2026-12-31"), "{}", shown.stdout);
    assert_eq!(
        run(&["hardship", "end", "--account", "LN-5001", "--on", "2026-12-01", "--key", "LN1-HE"])
            .ok(),
        "A4: hardship -> delinquent\n"
    );

    let place = run(&[
        "place",
        "--account",
        "UT-9002",
        "--on",
        "2026-11-20",
        "--agency",
        "Northwind Recovery",
        "--commission",
        "0.25",
        "--key",
        "UT2-PLC",
    ]);
    assert_eq!(place.ok(), "A11: delinquent -> placed\n");
    let shown = run(&["show", "account", "UT-9002", "--json"]).json();
    assert_eq!(shown["case"]["state"]["placed"]["agency"], "Northwind Recovery");
    assert_eq!(shown["case"]["placement"]["commission_rate"], "0.25");
    let commission = run(&[
        "place",
        "--account",
        "UT-9002",
        "--on",
        "2026-11-20",
        "--agency",
        "X",
        "--commission",
        "1.5",
        "--key",
        "UT2-PLC-2",
    ]);
    assert_eq!(commission.code, 1);
    assert!(
        commission.stderr.starts_with("error: --commission: invalid commission_rate"),
        "{}",
        commission.stderr
    );
    assert_eq!(
        run(&["recall", "--account", "UT-9002", "--on", "2026-11-25", "--key", "UT2-RCL"]).ok(),
        "A11: placed -> delinquent\n"
    );
    assert_eq!(
        run(&["legal", "--account", "UT-9002", "--on", "2026-11-26", "--key", "UT2-LGL"]).ok(),
        "A11: delinquent -> legal\n"
    );

    // A flag applies to every account of the debtor (C-1001 holds LN-5001 and UT-9004).
    let flag = run(&[
        "flag",
        "--debtor",
        "C-1001",
        "--flag",
        "cease",
        "--on",
        "2026-11-20",
        "--key",
        "C1-CEASE",
    ]);
    let flag = flag.ok();
    assert!(flag.starts_with("flag cease_communication set on debtor D1 (C-1001)\n"), "{flag}");
    assert_eq!(flag.lines().count(), 3, "{flag}");
    let shown = run(&["show", "account", "UT-9004", "--json"]).json();
    assert_eq!(shown["case"]["flags"]["cease_communication"], true);
    let by_id =
        run(&["flag", "--debtor", "D99", "--flag", "deceased", "--on", "2026-11-20", "--key", "K"]);
    assert_eq!(by_id.code, 1);
    assert_eq!(by_id.stderr, "error: --debtor: no debtor D99\n");

    // BN-6002 owes nothing: it closes, but a BNPL plan is not revolving and does not reopen.
    assert_eq!(
        run(&["close", "--account", "BN-6002", "--on", "2026-11-20", "--key", "BN2-CLS"]).ok(),
        "A9: paid -> closed\n"
    );
    let reopen = run(&["reopen", "--account", "BN-6002", "--on", "2026-11-21", "--key", "BN2-RO"]);
    assert_eq!(reopen.code, 1);
    assert!(
        reopen.stdout.starts_with("rejected: reopen is not accepted in state closed"),
        "{}",
        reopen.stdout
    );

    // Settlements: refused below the stage's minimum share; JSON receipts like `post`.
    let low = run(&[
        "settle",
        "offer",
        "--account",
        "TC-8001",
        "--on",
        "2026-11-20",
        "--amount",
        "1000.00",
        "--key",
        "NW-SET-1",
        "--json",
    ]);
    assert_eq!(low.code, 1);
    let value: Value = serde_json::from_str(&low.stdout).expect("JSON");
    assert_eq!(value["key"], "NW-SET-1");
    assert_eq!(value["rule"], "settlement.min_share");
    let share = &value["outcome"]["rejected"]["policy"]["settlement_share"];
    assert_eq!(share["offered_minor"], 100_000, "{value}");
    // The reason a person reads has the account's currency (issue 14), the outcome minor units.
    let reason = value["reason"].as_str().unwrap();
    assert!(reason.starts_with("policy settlement.min_share: 1000.00 USD offered"), "{reason}");
    let accept = run(&[
        "settle",
        "accept",
        "--account",
        "TC-8001",
        "--on",
        "2026-11-21",
        "--key",
        "NW-SET-2",
    ]);
    assert_eq!(accept.code, 1);
    assert_eq!(accept.stdout, "rejected: policy settlement: no settlement was offered\n");

    env.run(&["verify"]).ok();
}

/// The attorney flag could be set and never cleared: `--flag attorney-withdrawn` clears it on
/// the debtor and its cases (FDCPA 1692c(a)(2): the attorney withdrew, fails to respond or
/// consents to direct contact).
/// Directive (EU) 2023/2225 art. 35(1): a debtor who moves to Spain is under the `es` pack,
/// whose `es.forbearance-before-enforcement` refuses a legal referral (a suit) until
/// forbearance was assessed; `arrears forbearance` records it for a documented reason, and the
/// same referral then goes through.
#[test]
fn a_spanish_referral_waits_for_forbearance_recorded_with_arrears_forbearance() {
    let env = Env::sample();
    let run = |args: &[&str]| env.run(args);
    run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let moved = ["debtor", "update", "--debtor", "C-1006", "--country", "ES"];
    run(&[&moved[..], &["--time-zones", "Europe/Madrid", "--key", "C6-ES"]].concat()).ok();
    let legal = ["legal", "--account", "UT-9002", "--on", "2026-11-26", "--key", "UT2-LGL"];
    let refused = run(&legal);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused.stdout.starts_with(
            "rejected: compliance rule es.forbearance-before-enforcement forbids a suit: "
        ),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("Directive (EU) 2023/2225, art. 35(1)"), "{}", refused.stdout);
    let shown = run(&["show", "account", "UT-9002", "--json"]).json();
    assert!(shown["case"]["state"]["delinquent"].is_object(), "{shown}");
    assert!(shown["case"]["forbearance"].is_null(), "{shown}");

    let forbearance = [
        "forbearance",
        "--account",
        "UT-9002",
        "--on",
        "2026-11-26",
        "--reason",
        "payment holiday offered by letter, declined",
        "--key",
        "UT2-FBA",
    ];
    assert_eq!(
        run(&forbearance).ok(),
        "forbearance assessed on account A11 (UT-9002) on 2026-11-26\nA11: delinquent -> delinquent\n"
    );
    let shown = run(&["show", "account", "UT-9002", "--json"]).json();
    assert_eq!(shown["case"]["forbearance"]["measure"], "assessed", "{shown}");
    assert_eq!(shown["case"]["forbearance"]["on"], "2026-11-26", "{shown}");
    let text = run(&["show", "account", "UT-9002"]);
    assert!(has_line(text.ok(), "forbearance assessed on 2026-11-26"), "{}", text.stdout);
    let audit = shown["audit"].as_array().expect("audit");
    let last = &audit[audit.len() - 1]["kind"]["command_executed"];
    assert_eq!(last["name"], "record_forbearance_assessed", "{shown}");
    // An empty reason is bad input.
    let mut empty = forbearance;
    empty[6] = " ";
    empty[8] = "UT2-FBA-2";
    let empty = run(&empty);
    assert_eq!(empty.code, 1, "{}", empty.stdout);
    assert!(empty.stderr.contains("reason"), "{}", empty.stderr);

    assert_eq!(run(&legal).ok(), "A11: delinquent -> legal\n");
    env.run(&["verify"]).ok();
}

#[test]
fn an_attorney_flag_is_set_and_withdrawn() {
    let env = Env::sample();
    let flag = |flag: &str, key: &str| {
        let args =
            ["flag", "--debtor", "B-2001", "--flag", flag, "--on", "2026-11-20", "--key", key];
        env.run(&args).ok().to_owned()
    };
    let represented = |expected: bool| {
        let shown = env.run(&["show", "account", "TC-8001", "--json"]).json();
        assert_eq!(shown["case"]["flags"]["attorney_represented"], expected, "{shown}");
    };
    let set = flag("attorney", "ATT-1");
    assert!(set.starts_with("flag attorney_represented set on debtor"), "{set}");
    represented(true);
    let cleared = flag("attorney-withdrawn", "ATT-2");
    assert!(cleared.starts_with("flag attorney_withdrawn set on debtor"), "{cleared}");
    represented(false);
    env.run(&["verify"]).ok();
}

#[test]
fn a_bankruptcy_is_dismissed_or_discharged() {
    // A dismissal lets collection resume; a discharge ends the stay and refuses collection on
    // the debtor's accounts for good (docs/STATE_MACHINE.md, "Sticky flags").
    let env = Env::sample();
    let flag = |debtor: &str, flag: &str, on: &str, key: &str| {
        env.run(&["flag", "--debtor", debtor, "--flag", flag, "--on", on, "--key", key])
            .ok()
            .to_owned()
    };
    let promise = |account: &str, key: &str| {
        let args = [
            "promise",
            "--account",
            account,
            "--on",
            "2026-11-22",
            "--pay",
            "2026-11-30:4500.00",
            "--key",
            key,
        ];
        env.run(&args)
    };
    // TC-8001's debtor: filed, then dismissed: collection resumes.
    let debtor = "B-2001".to_owned();
    flag(&debtor, "bankruptcy", "2026-11-20", "BK-1");
    let stayed = promise("TC-8001", "PTP-STAYED");
    assert_eq!(stayed.code, 1);
    assert!(stayed.stdout.contains("bankruptcy stay"), "{}", stayed.stdout);
    let dismissed = flag(&debtor, "bankruptcy-dismissed", "2026-11-21", "BK-2");
    assert!(dismissed.starts_with("flag bankruptcy_dismissed set on debtor"), "{dismissed}");
    assert_eq!(promise("TC-8001", "PTP-RESUMED").ok(), "A1: delinquent -> promised\n");
    // Then discharged: the promise to pay a debt no longer owed is over, the case keeps the
    // flag, and `show` says so.
    let discharged = flag(&debtor, "bankruptcy-discharged", "2026-11-23", "BK-3");
    assert!(discharged.contains("A1: promised -> delinquent"), "{discharged}");
    let shown = env.run(&["show", "account", "TC-8001", "--json"]).json();
    assert_eq!(shown["case"]["flags"]["bankruptcy_discharged"], true);
    assert_eq!(shown["case"]["flags"]["bankruptcy_stay"], false);
    assert_eq!(shown["case"]["promise"], Value::Null);
    let text = env.run(&["show", "account", "TC-8001"]).ok().to_owned();
    assert!(
        text.lines().any(|line| line.contains("flags") && line.contains("bankruptcy_discharged")),
        "{text}"
    );
    let refused = env.run(&[
        "place",
        "--account",
        "TC-8001",
        "--on",
        "2026-11-24",
        "--agency",
        "X",
        "--commission",
        "0.2",
        "--key",
        "PLC-DISCHARGED",
    ]);
    assert_eq!(refused.code, 1);
    assert!(refused.stdout.contains("bankruptcy discharged"), "{}", refused.stdout);
}
