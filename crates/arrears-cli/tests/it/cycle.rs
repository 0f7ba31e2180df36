//! `arrears cycle`, `arrears actions list` and `arrears actions ack`.

use serde_json::Value;

use crate::{has_line, Env};

fn ack(env: &Env, id: &str, outcome: &str, key: &str) -> crate::Run {
    env.run(&[
        "actions",
        "ack",
        id,
        "--outcome",
        outcome,
        "--at",
        "2026-11-20T16:05:00Z",
        "--key",
        key,
    ])
}

#[test]
fn cycle_writes_actions_that_are_acknowledged_once() {
    let env = Env::sample();
    let report = env.run(&["cycle", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(report["as_of"], "2026-11-20");
    assert_eq!(report["complete"], true);
    assert_eq!(report["reviewed"], 15, "every account is due on its first cycle: {report}");
    let written = report["actions"].as_u64().expect("actions");
    assert!(written > 0, "{report}");
    for field in ["batches", "transitions", "fees_assessed", "charged_off", "proposals_refused"] {
        assert!(report[field].is_u64(), "{field}: {report}");
    }

    let pending = env.run(&["actions", "list", "--json"]).json();
    let pending = pending.as_array().expect("array");
    assert_eq!(pending.len() as u64, written);
    for action in pending {
        assert_eq!(action["status"], "pending");
        assert_eq!(action["created_for"], "2026-11-20");
        assert!(action["id"].is_u64() && action["template"].is_string(), "{action}");
        let accounts = action["accounts"].as_array().expect("accounts");
        let refs = action["account_refs"].as_array().expect("account_refs");
        assert_eq!(accounts.len(), refs.len());
        assert!(refs.iter().all(Value::is_string), "sample accounts have references: {action}");
    }
    let limited = env.run(&["actions", "list", "--json", "--limit", "1"]).json();
    assert_eq!(limited.as_array().expect("array").len(), 1);

    // The table names accounts by their references.
    let table = env.run(&["actions", "list"]);
    let table = table.ok();
    assert!(
        table.lines().next().is_some_and(|header| header.split_whitespace().collect::<Vec<_>>()
            == [
                "id",
                "debtor",
                "accounts",
                "channel",
                "address",
                "template",
                "scheduled_at",
                "created_for",
                "status"
            ]),
        "{table}"
    );
    assert_eq!(table.lines().count() as u64, written + 1, "{table}");

    let id_number = pending[0]["id"].as_u64().expect("id");
    let id = id_number.to_string();
    let first = ack(&env, &id, "no_answer", "ACK-1");
    assert_eq!(
        first.ok(),
        format!("acknowledged action {id}: no_answer at 2026-11-20T16:05:00Z\n")
    );
    // The same key again is a replay, not an error.
    assert!(ack(&env, &id, "no_answer", "ACK-1").ok().contains("replayed: key \"ACK-1\""));
    // Another key: the action was already acknowledged.
    let second = ack(&env, &id, "right_party", "ACK-2");
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert_eq!(second.stdout, format!("rejected: action {id} was already acknowledged\n"));
    let json = env.run(&[
        "actions",
        "ack",
        &id,
        "--outcome",
        "right_party",
        "--at",
        "2026-11-20T16:05:00Z",
        "--key",
        "ACK-2",
        "--json",
    ]);
    assert_eq!(json.code, 1);
    let value: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["outcome"]["rejected"]["already_acknowledged"]["action"].to_string(), id);

    // Acknowledged: out of the pending list, in --all with its outcome.
    let pending_after = env.run(&["actions", "list", "--json"]).json();
    assert_eq!(pending_after.as_array().expect("array").len() as u64, written - 1);
    let all = env.run(&["actions", "list", "--all", "--json"]).json();
    let acked = all
        .as_array()
        .expect("array")
        .iter()
        .find(|action| action["id"] == id_number)
        .expect("the acknowledged action");
    assert_eq!(acked["status"]["acknowledged"]["outcome"], "no_answer");
    let all_text = env.run(&["actions", "list", "--all"]);
    assert!(all_text.ok().contains("no_answer 2026-11-20T16:05:00Z"), "{}", all_text.stdout);

    // An unknown outcome is a usage error that lists the valid ones; an unknown id an error.
    let unknown = ack(&env, &id, "hung_up", "ACK-3");
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown outcome \"hung_up\""), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains(
            "not_connected, no_answer, voicemail, right_party, wrong_party, delivered, bounced, \
             promise_captured, dispute_raised, payment_taken"
        ),
        "{}",
        unknown.stderr
    );
    let missing = ack(&env, "42", "voicemail", "ACK-4");
    assert_eq!(missing.code, 1);
    assert_eq!(missing.stderr, "error: no outbox action 42\n");

    // Run again for the same date: nothing is due any more, nothing is written twice.
    let again = env.run(&["cycle", "--as-of", "2026-11-20"]);
    let again = again.ok();
    assert!(again.starts_with("cycle 2026-11-20: complete\n"), "{again}");
    assert!(has_line(again, "actions 0"), "{again}");
    assert!(has_line(again, "reviewed 0"), "{again}");
    env.run(&["verify"]).ok();
}

#[test]
fn cycle_batches() {
    let env = Env::sample();
    let report = env.run(&["cycle", "--as-of", "2026-11-20", "--batch", "2", "--json"]).json();
    assert_eq!(report["complete"], true);
    assert!(report["batches"].as_u64().expect("batches") >= 6, "{report}");
    let zero = env.run(&["cycle", "--as-of", "2026-11-20", "--batch", "0"]);
    assert_eq!(zero.code, 1, "{}", zero.stdout);
    assert_eq!(zero.stderr, "error: --batch 0 is out of range: a batch holds at least 1 account\n");
}

#[test]
fn issue_21_a_cycle_date_beyond_the_horizon_is_refused_unless_allowed() {
    // https://github.com/arrears/arrears/issues/21 (point 2): `cycle --as-of 2027-11-20`, a
    // one-year typo, charged off 12 of 15 accounts.
    let env = Env::sample();
    let before = env.snapshot();
    let typo = env.run(&["cycle", "--as-of", "2027-11-20"]);
    assert_eq!(typo.code, 1, "{}", typo.stdout);
    assert_eq!(typo.stdout, "");
    assert_eq!(
        typo.stderr,
        "error: --as-of 2027-11-20 is 365 days after today (2026-11-20); the policy's horizon \
         is 31 days ([dates] future_days_max); pass --allow-future if the date is right\n"
    );
    assert_eq!(env.snapshot(), before, "a refused cycle writes nothing");

    // The last day of the horizon is accepted (and today comes from --recorded-at).
    let last = env.run(&["cycle", "--as-of", "2026-12-21", "--json"]).json();
    assert_eq!(last["complete"], true, "{last}");

    // A policy may widen the horizon; --allow-future accepts any date.
    let wide = std::fs::read_to_string(crate::example("policies/standard.toml"))
        .expect("standard policy")
        + "\n[dates]\nfuture_days_max = 400\n";
    let file = env.write("wide.toml", &wide);
    env.run(&["policy", "set", crate::path(&file), "--key", "POL-WIDE"]).ok();
    let shown = env.run(&["policy", "show", "--json"]).json();
    assert_eq!(shown["dates"]["future_days_max"], 400);
    assert!(env.run(&["policy", "show"]).ok().contains("dates       at most 400 days after today"));
    env.run(&["cycle", "--as-of", "2027-11-20", "--json"]).json();
    let far = env.run(&["cycle", "--as-of", "2028-11-20"]);
    assert!(far.stderr.contains("the policy's horizon is 400 days"), "{}", far.stderr);
    let allowed = env.run(&["cycle", "--as-of", "2028-11-20", "--allow-future", "--json"]).json();
    assert_eq!(allowed["complete"], true, "{allowed}");
}

#[test]
fn issue_21_value_dates_beyond_the_horizon_are_refused_unless_allowed() {
    // https://github.com/arrears/arrears/issues/21 (point 2): a value date years ahead is
    // refused by every command that takes one, naming the flag or the file's row and column.
    let env = Env::sample();
    let before = env.snapshot();
    let payment = env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "1.00",
        "--on",
        "2027-11-19",
        "--key",
        "FUTURE-PAY",
    ]);
    assert_eq!(payment.code, 1);
    assert!(
        payment.stderr.starts_with("error: --on 2027-11-19 is 364 days after today (2026-11-20)"),
        "{}",
        payment.stderr
    );
    // Issue 14: the engine refuses it whatever the flag, so the error does not suggest one.
    assert!(
        payment.stderr.contains(
            "a payment scheduled in the future is a promise, not a payment (record it with \
             `arrears promise`)"
        ),
        "{}",
        payment.stderr
    );
    let charge = env.run(&[
        "post",
        "charge",
        "--account",
        "TC-8001",
        "--amount",
        "1.00",
        "--issued-on",
        "2027-01-02",
        "--due-on",
        "2027-02-01",
        "--key",
        "FUTURE-CHARGE",
    ]);
    assert!(
        charge.stderr.starts_with("error: --issued-on 2027-01-02 is 43 days"),
        "{}",
        charge.stderr
    );
    let promise = env.run(&[
        "promise",
        "--account",
        "TC-8001",
        "--on",
        "2027-11-20",
        "--pay",
        "2027-11-25:10.00",
        "--key",
        "FUTURE-PROMISE",
    ]);
    assert!(promise.stderr.starts_with("error: --on 2027-11-20 is 365 days"), "{}", promise.stderr);
    let ack = env.run(&[
        "actions",
        "ack",
        "1",
        "--outcome",
        "no_answer",
        "--at",
        "2027-11-20T16:05:00Z",
        "--key",
        "FUTURE-ACK",
    ]);
    assert!(ack.stderr.starts_with("error: --at 2027-11-20 is 365 days"), "{}", ack.stderr);
    let recall = env.run(&["legal", "--account", "TC-8001", "--on", "2030-01-01", "--key", "L"]);
    assert!(recall.stderr.starts_with("error: --on 2030-01-01"), "{}", recall.stderr);
    let file = env.write(
        "future.csv",
        "key,account,type,effective_on,amount,obligation,component,reverses,reason,due_on,directed_to\n\
         OK-1,TC-8001,payment,2026-11-18,1.00,,,,,,\n\
         FAR-1,TC-8001,payment,2027-11-18,1.00,,,,,,\n",
    );
    let import = env.run(&["import", "postings", crate::path(&file)]);
    assert_eq!(import.code, 1);
    assert!(
        import.stderr.contains(":3: effective_on: effective_on 2027-11-18 is 363 days after today"),
        "{}",
        import.stderr
    );
    assert_eq!(env.snapshot(), before, "refused commands write nothing");

    // With --allow-future the same charge is posted; the payment is refused by the engine
    // (issue 14): beyond the policy's horizon after its recording day, a payment scheduled in
    // the future is a promise, not a payment.
    let allowed = env.run(&[
        "--allow-future",
        "post",
        "charge",
        "--account",
        "TC-8001",
        "--amount",
        "1.00",
        "--issued-on",
        "2027-01-02",
        "--due-on",
        "2027-02-01",
        "--key",
        "FUTURE-CHARGE",
    ]);
    assert!(allowed.ok().contains("charge on account A1 (TC-8001)"), "{}", allowed.stdout);
    let promise = env.run(&[
        "--allow-future",
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "1.00",
        "--on",
        "2027-11-19",
        "--key",
        "FUTURE-PAY",
    ]);
    assert_eq!(promise.code, 1, "{}", promise.stdout);
    let output = format!("{}{}", promise.stdout, promise.stderr);
    assert!(
        output.contains(
            "payment dated 2027-11-19 is 364 days after the day it is recorded (2026-11-20)"
        ) && output.contains("a payment scheduled in the future is a promise, not a payment"),
        "{output}"
    );
}

#[test]
fn issue_21_a_simulation_starting_beyond_the_horizon_is_refused() {
    // https://github.com/arrears/arrears/issues/21 (point 2): `simulate --start` is a date the
    // user chooses, like a cycle date.
    let env = Env::empty();
    let out = env.dir().join("sim");
    let run = env.run(&[
        "simulate",
        "--accounts",
        "1",
        "--days",
        "1",
        "--start",
        "2030-01-01",
        "--out",
        crate::path(&out),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error: --start 2030-01-01 is 1138 days after today"),
        "{}",
        run.stderr
    );
    assert!(!env.db().exists() && !out.join("arrears-demo.redb").exists());
}

#[test]
fn issue_21_cycle_dry_run_shows_the_day_and_writes_nothing() {
    // https://github.com/arrears/arrears/issues/21 (point 2): `arrears cycle --dry-run` shows
    // what a day would do without writing; the real run then does just that.
    let env = Env::sample();
    let before = env.snapshot();
    let outbox = env.run(&["actions", "list", "--all", "--json"]).ok().to_owned();
    let mut dry = env.run(&["cycle", "--as-of", "2026-11-20", "--dry-run", "--json"]).json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["reviewed"], 15, "{dry}");
    assert!(dry["actions"].as_u64().is_some_and(|actions| actions > 0), "{dry}");
    assert_eq!(env.snapshot(), before, "a dry run writes nothing");
    assert_eq!(env.run(&["actions", "list", "--all", "--json"]).ok(), outbox);
    let text = env.run(&["cycle", "--as-of", "2026-11-20", "--dry-run"]);
    assert!(
        text.ok().starts_with("cycle 2026-11-20 (dry run: nothing was written): complete\n"),
        "{}",
        text.stdout
    );
    // A dry run may look beyond the horizon: it cannot write anything.
    let far = env.run(&["cycle", "--as-of", "2027-11-20", "--dry-run", "--json"]).json();
    assert!(far["charged_off"].as_u64().is_some_and(|count| count > 0), "{far}");
    assert_eq!(env.snapshot(), before);

    let mut real = env.run(&["cycle", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(real["dry_run"], false);
    dry.as_object_mut().expect("object").remove("dry_run");
    real.as_object_mut().expect("object").remove("dry_run");
    assert_eq!(real, dry, "the dry run reported what the real run did");
    assert_ne!(env.snapshot(), before);
}

#[test]
fn issue_21_a_charge_off_by_a_wrong_cycle_date_is_reversed() {
    // https://github.com/arrears/arrears/issues/21 (point 2): after `cycle --as-of 2027-11-20`,
    // nothing undid the charge-offs, later charges were refused, and the right day's cycle
    // reviewed nothing.
    let env = Env::sample();
    let accounts = ["TC-8001", "CC-7001", "LN-5001", "MX-1201"];
    let view = |account: &str| {
        let shown =
            env.run(&["show", "account", account, "--as-of", "2026-11-20", "--json"]).json();
        let mut view = shown["view"].clone();
        if let Some(books) = view["books_minor"].as_object_mut() {
            books.retain(|_, balance| balance != 0);
        }
        view
    };
    let before: Vec<serde_json::Value> = accounts.iter().map(|account| view(account)).collect();
    let typo = env.run(&["cycle", "--as-of", "2027-11-20", "--allow-future", "--json"]).json();
    assert!(typo["charged_off"].as_u64().is_some_and(|count| count > 0), "{typo}");
    let charged_off: Vec<&str> = accounts
        .iter()
        .copied()
        .filter(|account| {
            let shown =
                env.run(&["show", "account", account, "--as-of", "2027-11-20", "--json"]).json();
            !shown["view"]["charged_off_on"].is_null()
        })
        .collect();
    assert!(!charged_off.is_empty());
    let account = charged_off[0];
    let charge = [
        "post",
        "charge",
        "--account",
        account,
        "--amount",
        "10.00",
        "--issued-on",
        "2026-11-21",
        "--due-on",
        "2026-12-21",
        "--key",
        "LATER-CHARGE",
    ];
    assert_eq!(env.run(&charge).code, 1, "a charged-off account takes no charge");
    for (index, account) in charged_off.iter().enumerate() {
        let key = format!("UNDO-{index}");
        let undo = env.run(&[
            "post",
            "charge-off-reversal",
            "--account",
            account,
            "--on",
            "2026-11-21",
            "--reason",
            "cycle run for 2027-11-20 by mistake",
            "--key",
            &key,
        ]);
        assert!(undo.ok().starts_with("reverse_charge_off on account "), "{}", undo.stdout);
        assert!(undo.stdout.contains("bad_debt"), "{}", undo.stdout);
    }
    let after: Vec<serde_json::Value> = accounts.iter().map(|account| view(account)).collect();
    for (account, (before, after)) in accounts.iter().zip(before.iter().zip(&after)) {
        if charged_off.contains(account) {
            assert_eq!(before, after, "{account}: as of 2026-11-20 the books are as they were");
        }
    }
    // Not charged off any more, charges are taken, and the right day reviews the account.
    let shown = env.run(&["show", "account", account, "--as-of", "2027-11-20", "--json"]).json();
    assert!(shown["view"]["charged_off_on"].is_null(), "{shown}");
    env.run(&charge).ok();
    let right_day = env.run(&["cycle", "--as-of", "2026-11-21", "--json"]).json();
    assert!(
        right_day["reviewed"].as_u64().is_some_and(|reviewed| reviewed >= charged_off.len() as u64),
        "{right_day}"
    );
    assert!(env.run(&["verify"]).ok().contains("ok"));
    // Nothing left to reverse.
    let again = env.run(&[
        "post",
        "charge-off-reversal",
        "--account",
        account,
        "--on",
        "2026-11-21",
        "--reason",
        "x",
        "--key",
        "UNDO-AGAIN",
    ]);
    assert_eq!(again.code, 1);
    assert!(again.stdout.contains("not charged off"), "{}", again.stdout);
}
