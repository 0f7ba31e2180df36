//! `arrears_cli::run_args`: the same commands in-process (the fuzz targets' way in).

use arrears_cli::{run_args, Status};

#[test]
fn commands_run_in_process_and_usage_errors_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.redb");
    let db = db.to_str().unwrap();
    let mut out = Vec::new();
    assert_eq!(run_args(["arrears", "--db", db, "init"], &mut out).unwrap(), Status::Ok);
    assert_eq!(String::from_utf8(out).unwrap(), format!("created {db}\n"));
    let mut out = Vec::new();
    assert_eq!(
        run_args(["arrears", "--db", db, "--json", "verify"], &mut out).unwrap(),
        Status::Ok
    );
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    // A usage error is returned, not an exit of the process.
    let error = run_args(["arrears", "--db", db, "no-such-command"], &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("no-such-command"), "{error}");
    // A command's failure is an error too, and a second init leaves the store alone.
    let error = run_args(["arrears", "--db", db, "init"], &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("already exists"), "{error}");
}
