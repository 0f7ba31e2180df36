//! Issue 21, point 1: a command that writes a file never writes it onto a store, and never
//! leaves it torn.
//!
//! Method: point `report html --out`, `score --output` and the demo's report at the open store
//! (under its own name, another spelling of it, and a hard link) and at another store, and
//! check that each is refused with exit 1 and that the stores still verify; make `score` fail
//! after it has written thousands of rows and check that the target is as it was; and check
//! that a successful write replaces an existing file by a rename (a hard link to the old file
//! still holds the old content) and leaves no temporary file behind.

use std::path::Path;
use std::process::Command;

use crate::{example, path, Env, Run};

/// Score rows before the bad one: more than one plugin batch (4,096 rows), so that the
/// command has written rows when it fails.
const GOOD_ROWS: usize = 5_000;

/// The variables of examples/plugins/behaviour-card.csv.
const APPLICANTS_HEADER: &str =
    "days_past_due,broken_promises,payments_90d,reversals_90d,right_party_contacts_30d\n";

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the directory")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn report_html(env: &Env, out: &Path) -> Run {
    env.run(&["report", "html", "--from", "2026-10-01", "--to", "2026-11-20", "--out", path(out)])
}

/// `arrears --db DB score` with the built-in scorecard on `input`, into `output`.
fn score(db: &Path, input: &Path, output: &Path) -> Run {
    let card = example("plugins/behaviour-card.csv");
    let run = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["--db", path(db), "score", "--plugin", "scorecard", "--config", path(&card)])
        .args(["--input", path(input), "--output", path(output)])
        .output()
        .expect("run arrears");
    Run::from(run)
}

/// Asserts that `run` was refused with `reason`, and that the store still verifies and shows
/// what it showed before.
#[track_caller]
fn assert_refused(env: &Env, before: &str, run: &Run, reason: &str) {
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains(reason), "expected {reason:?} in:\n{}", run.stderr);
    assert_eq!(env.snapshot(), before);
}

/// Issue 21: `report html --out books.redb` replaced the open store with the HTML page.
#[test]
fn issue_21_report_html_onto_the_open_store_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    let run = report_html(&env, env.db());
    let reason = format!(
        "error: refusing to write the report to {}: it is the Arrears store --db names",
        env.db().display()
    );
    assert_refused(&env, &before, &run, &reason);

    // Another spelling of the same path, relative to the working directory.
    std::fs::create_dir(env.dir().join("sub")).expect("a directory");
    let run = Run::from(
        Command::new(env!("CARGO_BIN_EXE_arrears"))
            .current_dir(env.dir())
            .args(["--db", "books.redb", "report", "html", "--from", "2026-10-01"])
            .args(["--to", "2026-11-20", "--out", "./sub/../books.redb"])
            .output()
            .expect("run arrears"),
    );
    assert_refused(&env, &before, &run, "it is the Arrears store --db names");

    // A hard link to the store.
    let link = env.dir().join("link.html");
    std::fs::hard_link(env.db(), &link).expect("a hard link");
    let run = report_html(&env, &link);
    assert_refused(&env, &before, &run, "it is the Arrears store --db names");
}

#[test]
fn issue_21_report_html_onto_another_store_is_refused() {
    let env = Env::sample();
    let other = Env::sample();
    let before = other.snapshot();
    let run = report_html(&env, other.db());
    let reason = format!(
        "error: refusing to write the report to {}: it is an Arrears store file",
        other.db().display()
    );
    assert_refused(&other, &before, &run, &reason);
    // Wherever the store is and whatever its name.
    let renamed = env.dir().join("report.html");
    std::fs::rename(other.db(), &renamed).expect("rename the store");
    let run = report_html(&env, &renamed);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("it is an Arrears store file"), "{}", run.stderr);
    std::fs::rename(&renamed, other.db()).expect("rename the store back");
    assert_eq!(other.snapshot(), before);
}

#[test]
fn issue_21_score_output_onto_a_store_is_refused() {
    let env = Env::sample();
    let before = env.snapshot();
    let input = env.write("applicants.csv", &format!("{APPLICANTS_HEADER}3,0,1,0,0\n"));
    // The store --db names, and another store with --db elsewhere.
    let run = score(env.db(), &input, env.db());
    assert_refused(&env, &before, &run, "refusing to write the scores to");
    assert!(run.stderr.contains("it is the Arrears store --db names"), "{}", run.stderr);
    let run = score(&env.dir().join("elsewhere.redb"), &input, env.db());
    assert_refused(&env, &before, &run, "it is an Arrears store file");
    assert_eq!(names(env.dir()), ["applicants.csv", "books.redb"]);
}

#[test]
fn issue_21_the_demo_report_is_never_written_onto_its_store() {
    let dir = tempfile::tempdir().expect("a directory");
    let db = dir.path().join("arrears-demo.html");
    let run = Run::from(
        Command::new(env!("CARGO_BIN_EXE_arrears"))
            .args(["--db", path(&db), "demo", "--accounts", "2", "--days", "2"])
            .args(["--out", path(dir.path())])
            .output()
            .expect("run arrears"),
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("refusing to write the demo report to"), "{}", run.stderr);
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// Issue 21: `score --output` wrote in place, so a failure half way left a partial file.
#[test]
fn issue_21_a_failing_score_leaves_no_partial_output() {
    let env = Env::empty();
    let mut rows = String::from(APPLICANTS_HEADER);
    for row in 0..GOOD_ROWS {
        rows.push_str(&format!("{},0,1,0,0\n", row % 90));
    }
    // A row with three fields under a header of five: the run fails here, after the first
    // batch of scores was written.
    rows.push_str("1,2,3\n");
    let input = env.write("applicants.csv", &rows);
    let fresh = env.dir().join("fresh.csv");
    let run = score(env.db(), &input, &fresh);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains(&format!("applicants.csv:{}: ", GOOD_ROWS + 2)), "{}", run.stderr);
    assert!(!fresh.exists(), "a partial file was left");

    let previous = env.write("previous.csv", "row,score\n1,600\n");
    let run = score(env.db(), &input, &previous);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(&previous).expect("the previous file"),
        "row,score\n1,600\n"
    );
    assert_eq!(names(env.dir()), ["applicants.csv", "previous.csv"]);
}

#[test]
fn issue_21_a_successful_write_replaces_the_file_by_a_rename() {
    let env = Env::sample();
    let report = env.write("report.html", "old report");
    let keep = env.dir().join("keep.html");
    std::fs::hard_link(&report, &keep).expect("a hard link");
    report_html(&env, &report).ok();
    let page = std::fs::read_to_string(&report).expect("the report");
    assert!(page.contains("<svg"), "{page}");
    // Replaced, not rewritten in place: the old file is intact under its other name.
    assert_eq!(std::fs::read_to_string(&keep).expect("the old file"), "old report");

    let input = env.write("applicants.csv", &format!("{APPLICANTS_HEADER}3,0,1,0,0\n40,2,0,1,0\n"));
    let scores = env.write("scores.csv", "old scores");
    let keep_scores = env.dir().join("keep.csv");
    std::fs::hard_link(&scores, &keep_scores).expect("a hard link");
    score(env.db(), &input, &scores).ok();
    let written = std::fs::read_to_string(&scores).expect("the scores");
    assert!(written.starts_with("row,score,reason_1"), "{written}");
    assert_eq!(written.lines().count(), 3, "{written}");
    assert_eq!(std::fs::read_to_string(&keep_scores).expect("the old file"), "old scores");
    assert_eq!(
        names(env.dir()),
        ["applicants.csv", "books.redb", "keep.csv", "keep.html", "report.html", "scores.csv"]
    );
}
