//! `arrears demo` / `simulate` and the portfolio reports: the same seed gives the same
//! numbers, and the reports read any store.

use crate::Env;

fn simulate(env: &Env, out: &str) -> serde_json::Value {
    let out = env.dir().join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut summary = env
        .run(&[
            "--json",
            "simulate",
            "--accounts",
            "200",
            "--days",
            "60",
            "--seed",
            "7",
            "--out",
            out,
        ])
        .json();
    // Wall-clock time and paths are the only fields allowed to differ.
    let object = summary.as_object_mut().expect("an object");
    for field in ["elapsed_seconds", "store", "html"] {
        object.remove(field);
    }
    summary
}

#[test]
fn the_same_seed_gives_the_same_numbers() {
    let env = Env::empty();
    let first = simulate(&env, "a");
    let second = simulate(&env, "b");
    assert_eq!(first, second);
    assert_eq!(first["kpis"]["accounts"], 200);
    assert!(first["simulation"]["bills"].as_u64().expect("bills") > 200);
    assert!(env.dir().join("a/arrears-demo.html").exists());
}

#[test]
fn the_reports_read_the_simulated_store() {
    let env = Env::empty();
    let out = env.dir().join("sim");
    let out = out.to_str().expect("utf-8 path");
    let summary = env
        .run(&[
            "--json",
            "simulate",
            "--accounts",
            "100",
            "--days",
            "40",
            "--seed",
            "3",
            "--out",
            out,
        ])
        .json();
    let kpis = env.run(&["--json", "report", "kpis"]).json();
    assert_eq!(kpis, summary["kpis"]);
    let rolls = env.run(&["--json", "report", "rollrates"]).json();
    assert_eq!(rolls, summary["roll_rates"]);
    let html = env.dir().join("report.html");
    let html = html.to_str().expect("utf-8 path");
    env.run(&["report", "html", "--out", html]).ok();
    let page = std::fs::read_to_string(html).expect("the report");
    assert!(page.contains("<svg") && page.contains("Roll rates"));
    // A store that is not a demo store is never overwritten.
    let other = Env::new();
    let refused = other.run(&["demo", "--accounts", "5", "--days", "2", "--out", out]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("not a demo store"), "{}", refused.stderr);
}

/// The value of attribute `name` in the start tag `tag` (the text after `<rect` or `<text`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(&tag[start..end])
}

fn number(tag: &str, name: &str) -> f64 {
    attribute(tag, name)
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name} in <{tag}>"))
}

/// The start tags of the `element`s in `svg`, and each one's text content for `<text>`.
fn elements<'a>(svg: &'a str, element: &str) -> Vec<(&'a str, &'a str)> {
    svg.split(&format!("<{element}"))
        .skip(1)
        .map(|rest| {
            let tag_end = rest.find('>').expect("a closed tag");
            let content = &rest[tag_end + 1..];
            (&rest[..tag_end], &content[..content.find('<').unwrap_or(content.len())])
        })
        .collect()
}

/// The first inline SVG after `heading` in the page.
fn svg_after<'a>(page: &'a str, heading: &str) -> &'a str {
    let from = page.find(heading).unwrap_or_else(|| panic!("no {heading:?} in the report"));
    let start = from + page[from..].find("<svg").expect("an svg after the heading");
    let end = start + page[start..].find("</svg>").expect("a closed svg");
    &page[start..end]
}

/// Every label of a heat map sits on the centre of a cell: rates on their cell's centre, row
/// labels on the middle of a row, column labels over the middle of a column, all anchored in
/// their middle (so the coordinates are the text's centre, not its corner).
fn assert_labels_centred(svg: &str) {
    let cells: Vec<(f64, f64, f64, f64)> = elements(svg, "rect")
        .iter()
        .map(|(tag, _)| {
            (number(tag, "x"), number(tag, "y"), number(tag, "width"), number(tag, "height"))
        })
        .collect();
    assert!(cells.len() >= 4, "no cells in {svg}");
    let centre = |(x, y, w, h): (f64, f64, f64, f64)| (x + w / 2.0, y + h / 2.0);
    let texts = elements(svg, "text");
    assert!(!texts.is_empty(), "no labels in {svg}");
    for (tag, content) in texts {
        assert_eq!(attribute(tag, "dominant-baseline"), Some("central"), "{tag}");
        let (x, y) = (number(tag, "x"), number(tag, "y"));
        let on_row = cells.iter().any(|cell| centre(*cell).1 == y);
        let on_column = cells.iter().any(|cell| centre(*cell).0 == x);
        let on_cell = cells.iter().any(|cell| centre(*cell) == (x, y));
        let is_rate = content.ends_with('%') || content == "no data";
        match (is_rate, attribute(tag, "text-anchor")) {
            (true, Some("middle")) => assert!(on_cell, "{content:?} at ({x}, {y}) off its cell"),
            // A row label: right-aligned left of the grid, vertically on its row's middle.
            (false, Some("end")) => {
                assert!(on_row && cells.iter().all(|cell| cell.0 > x), "row {content:?} at y {y}")
            }
            (false, Some("middle")) => assert!(
                on_column && cells.iter().all(|cell| cell.1 > y),
                "column {content:?} at x {x}"
            ),
            other => panic!("label {content:?} anchored {other:?}"),
        }
    }
}

/// Runs a small simulation and returns the HTML report.
fn simulated_report(env: &Env) -> std::path::PathBuf {
    let out = env.dir().join("sim");
    env.run(&[
        "simulate",
        "--accounts",
        "300",
        "--days",
        "70",
        "--seed",
        "5",
        "--out",
        out.to_str().expect("utf-8 path"),
    ])
    .ok();
    out.join("arrears-demo.html")
}

#[test]
fn the_roll_rate_labels_sit_on_their_cells() {
    let env = Env::empty();
    let page = std::fs::read_to_string(simulated_report(&env)).expect("the report");
    let by_count = svg_after(&page, "Roll rates by count");
    assert_labels_centred(by_count);
    // The first row is `current` (the top row of cells), the first column too.
    let first_cell = elements(by_count, "rect")[0].0;
    let current = elements(by_count, "text")
        .into_iter()
        .find(|(tag, content)| {
            *content == "current" && attribute(tag, "text-anchor") == Some("end")
        })
        .expect("a `current` row label");
    assert_eq!(
        number(current.0, "y"),
        number(first_cell, "y") + number(first_cell, "height") / 2.0
    );
    assert_labels_centred(svg_after(&page, "Roll rates by balance"));
}

#[test]
fn the_report_shows_money_per_currency_and_arm() {
    let env = Env::empty();
    let page = std::fs::read_to_string(simulated_report(&env)).expect("the report");
    for needle in [
        "USD: by month",
        "delinquent balance",
        "collected",
        "charged off",
        "USD: aging in money",
        "Money by arm",
        "Channel mix and cost per arm",
        "assumed",
        "share of the balance",
    ] {
        assert!(page.contains(needle), "no {needle:?} in the report");
    }
    // Money collected by month: a decimal amount on the row of the first month.
    let january = &page[page.find("<td>2026-01</td>").expect("a January row")..];
    let row = &january[..january.find("</tr>").expect("a row")];
    assert!(row.matches('.').count() >= 3, "amounts in {row}");
    // One row per arm in the money and the cost tables.
    assert!(page.matches("<td>champion</td>").count() >= 3);
    assert!(page.matches("<td>challenger</td>").count() >= 3);
    // The differences per account with their intervals, between the arms and on the same
    // accounts under both strategies (the twin run).
    assert!(page.contains("Champion minus challenger, per account"));
    assert!(page.contains("The same 300 accounts under both strategies"));
    assert_eq!(page.matches("95% interval [").count(), 4);
}

/// The (arm, tone, language) of every action of the simulated store that carries a message,
/// in action id order: the arm from `list accounts`, the message from `actions list`.
fn messages_by_arm(env: &Env) -> Vec<(String, String, String)> {
    let accounts = env.run(&["--json", "list", "accounts", "--all"]).json();
    let arm_of: std::collections::BTreeMap<u64, String> = accounts["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let arm = row["arm"].as_str().expect("an arm").to_owned();
            (row["debtor"].as_u64().expect("a debtor id"), arm)
        })
        .collect();
    let actions = env.run(&["--json", "actions", "list", "--all", "--limit", "100000"]).json();
    actions
        .as_array()
        .expect("actions")
        .iter()
        .filter(|action| !action["message"].is_null())
        .map(|action| {
            let arm = &arm_of[&action["debtor"].as_u64().expect("a debtor id")];
            let message = &action["message"];
            let text = |key: &str| message[key].as_str().expect("a string").to_owned();
            (arm.clone(), text("tone"), text("language"))
        })
        .collect()
}

#[test]
fn the_challenger_writes_in_the_default_language_and_one_tone() {
    let env = Env::empty();
    simulate(&env, "arms");
    let messages = messages_by_arm(&env);
    let of = |arm: &str| -> Vec<&(String, String, String)> {
        messages.iter().filter(|(name, _, _)| name == arm).collect()
    };
    let (champion, challenger) = (of("champion"), of("challenger"));
    assert!(champion.len() > 50 && challenger.len() > 50, "{messages:?}");
    // The challenger's house style (examples/policies/demo.toml): English and firm, always.
    for (_, tone, language) in &challenger {
        assert_eq!((tone.as_str(), language.as_str()), ("firm", "en"));
    }
    // The champion speaks each debtor's language, with a tone for the stage: not the same.
    assert!(champion.iter().any(|(_, _, language)| language == "es"), "{champion:?}");
    assert!(champion.iter().any(|(_, tone, _)| tone == "friendly"), "{champion:?}");
    // And the same seed writes the same messages again.
    let again = Env::empty();
    simulate(&again, "arms");
    assert_eq!(messages_by_arm(&again), messages);
}

#[test]
fn the_twin_run_compares_the_same_accounts_under_both_strategies() {
    let env = Env::empty();
    let summary = simulate(&env, "twin");
    let differences = &summary["per_account_champion_minus_challenger"];
    let paired = &differences["paired"];
    assert_eq!(paired["accounts"], 200);
    for figure in [&differences["collected_minor"], &paired["collected_minor"], &paired["contacts"]]
    {
        let (low, high) =
            (figure["low"].as_f64().expect("low"), figure["high"].as_f64().expect("high"));
        let difference = figure["difference"].as_f64().expect("difference");
        assert!(low <= difference && difference <= high, "{figure}");
    }
    // Pairing removes the spread between accounts: a far narrower interval on the same money.
    let width = |figure: &serde_json::Value| {
        figure["high"].as_f64().expect("high") - figure["low"].as_f64().expect("low")
    };
    assert!(width(&paired["collected_minor"]) < width(&differences["collected_minor"]) / 2.0);
    // The twin's store is gone.
    let names: Vec<String> = std::fs::read_dir(env.dir())
        .expect("the directory")
        .chain(std::fs::read_dir(env.dir().join("twin")).expect("the output directory"))
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|name| name.ends_with(".redb")), "{names:?}");
    assert!(!names.iter().any(|name| name.contains("twin.redb")), "{names:?}");
    // Without the twin run, the comparison between the arms only.
    let out = env.dir().join("alone");
    let alone = env
        .run(&[
            "--json",
            "simulate",
            "--accounts",
            "200",
            "--days",
            "60",
            "--seed",
            "7",
            "--no-twin",
            "--out",
            out.to_str().expect("utf-8 path"),
        ])
        .json();
    let between = &alone["per_account_champion_minus_challenger"];
    assert_eq!(between["paired"], serde_json::Value::Null);
    assert_eq!(between["collected_minor"], differences["collected_minor"]);
}

/// `simulate --json` of 200 accounts over 120 days (seed 33: four trade debtors go bad by day 100, after red flags) into `out`, with `extra` flags.
fn simulate_long(env: &Env, out: &str, extra: &[&str]) -> serde_json::Value {
    let out = env.dir().join(out);
    let mut args = vec!["--json", "simulate", "--accounts", "200", "--days", "120", "--seed", "33"];
    args.extend_from_slice(extra);
    args.extend(["--out", out.to_str().expect("utf-8 path")]);
    let mut summary = env.run(&args).json();
    let object = summary.as_object_mut().expect("an object");
    for field in ["elapsed_seconds", "store", "html"] {
        object.remove(field);
    }
    summary
}

#[test]
fn early_warning_saves_money_on_the_flagged_trade_debtors() {
    let env = Env::empty();
    let summary = simulate_long(&env, "warn", &["--no-twin"]);
    let figures = &summary["early_warning"];
    let minor = |value: &serde_json::Value| value.as_i64().expect("an amount");
    assert!(minor(&figures["flagged_defaults"]) > 0, "{figures}");
    // The credit reviews acted on the red flags the simulator reported.
    let simulation = &summary["simulation"];
    assert!(simulation["signals_reported"].as_u64().expect("signals") > 0, "{simulation}");
    assert!(simulation["credit_reviews"]["stop"].as_u64().unwrap_or(0) > 0, "{simulation}");
    assert!(simulation["rejected"]["charge"].as_u64().unwrap_or(0) > 0, "{simulation}");
    // The simulator respected them: less invoiced to the debtors that went bad, less owed
    // when they stopped paying, less lost at the end.
    let (with, without) = (&figures["with_early_warning"], &figures["without_early_warning"]);
    let invoiced = "invoiced_to_defaulters_minor";
    assert!(minor(&with[invoiced]) < minor(&without[invoiced]), "{figures}");
    assert!(minor(&figures["exposure_at_default_saved_minor"]) > 0, "{figures}");
    assert!(minor(&figures["loss_saved_minor"]) > 0, "{figures}");
    let loss = |run: &serde_json::Value| {
        minor(&run["charged_off_minor"]) + minor(&run["delinquent_minor"])
    };
    assert_eq!(minor(&figures["loss_saved_minor"]), loss(without) - loss(with));
    let page = std::fs::read_to_string(env.dir().join("warn/arrears-demo.html")).expect("html");
    assert!(page.contains("<h2>Early warning</h2>"), "no early-warning section");
    // The counterfactual's store is gone, and the same seed gives the same figures.
    assert!(!env.dir().join("warn/arrears-demo.counterfactual.redb").exists());
    let again = simulate_long(&env, "again", &["--no-twin"]);
    assert_eq!(again, summary);
    // Without the counterfactual: the same run, no comparison.
    let alone = simulate_long(&env, "alone", &["--no-twin", "--no-counterfactual"]);
    assert_eq!(alone["early_warning"], serde_json::Value::Null);
    assert_eq!(alone["simulation"], summary["simulation"]);
    let page = std::fs::read_to_string(env.dir().join("alone/arrears-demo.html")).expect("html");
    assert!(!page.contains("Early warning"));
}

#[test]
fn a_chart_without_data_says_so() {
    let env = Env::empty();
    let out = env.dir().join("tiny");
    // Two days: no month end to roll from, nobody delinquent yet.
    env.run(&[
        "simulate",
        "--accounts",
        "5",
        "--days",
        "2",
        "--out",
        out.to_str().expect("utf-8 path"),
    ])
    .ok();
    let page = std::fs::read_to_string(out.join("arrears-demo.html")).expect("the report");
    assert!(page.matches("Not enough data").count() >= 3, "{page}");
    assert!(!page.contains("id=\"roll-count\""));
}

/// A headless browser: chromium (CI installs it, see .ci/run), or Chrome.
fn browser() -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    panic!("no chromium on PATH: install it (apt-get install -y chromium), as .ci/run does");
}

/// Runs the browser on `args` with a deadline; returns (stdout, stderr). Its output goes to
/// files, not pipes: a DOM larger than a pipe's buffer would block it while we wait.
fn run_browser(profile: &std::path::Path, args: &[String]) -> (String, String) {
    use std::process::Command;
    std::fs::create_dir_all(profile).expect("the browser's profile");
    let (stdout, stderr) = (profile.join("stdout"), profile.join("stderr"));
    let mut child = Command::new(browser())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--enable-logging=stderr", "--v=0"])
        .args(args)
        .stdout(std::fs::File::create(&stdout).expect("a file for stdout"))
        .stderr(std::fs::File::create(&stderr).expect("a file for stderr"))
        .spawn()
        .expect("start the browser");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the browser") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().expect("stop the browser");
            panic!("the browser took more than 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    assert!(status.success(), "{}", read(&stderr));
    (read(&stdout), read(&stderr))
}

#[test]
fn the_report_renders_in_a_headless_browser() {
    let env = Env::empty();
    let report = simulated_report(&env);
    let url = format!("file://{}", report.display());
    let profile = env.dir().join("profile");
    // The DOM as the browser parsed it: every inline chart became an SVG element.
    let (dom, log) = run_browser(&profile, &["--dump-dom".to_owned(), url.clone()]);
    let source = std::fs::read_to_string(&report).expect("the report");
    assert_eq!(dom.matches("<svg").count(), source.matches("<svg").count(), "{dom}");
    assert!(dom.contains("id=\"roll-count\"") && dom.contains("USD: by month"));
    // A screenshot of a known size.
    let shot = env.dir().join("shot.png");
    let (_, shot_log) = run_browser(
        &profile,
        &["--window-size=1000,1400".to_owned(), format!("--screenshot={}", shot.display()), url],
    );
    for log in [&log, &shot_log] {
        for line in log.lines() {
            assert!(!line.contains("CONSOLE") && !line.contains("Uncaught"), "{line}");
        }
    }
    let png = std::fs::read(&shot).expect("the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!((size(16), size(20)), (1000, 1400), "the screenshot's width and height");
    // Not a blank page: a white PNG of that size compresses to a few kilobytes.
    assert!(png.len() > 40_000, "{} bytes", png.len());
}
