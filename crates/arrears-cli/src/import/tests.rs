//! The import streams: no more than one batch of planned rows alive at a time.

use std::path::{Path, PathBuf};

use super::{Errors, LIVE};
use crate::input::{RowError, ERRORS_MAX};
use crate::Status;

/// Runs `arrears --db <db> <args>` in-process.
fn arrears(db: &Path, args: &[&str]) -> anyhow::Result<Status> {
    let db = db.to_str().unwrap();
    let mut all = vec!["arrears", "--db", db, "--recorded-at", "2026-11-20T12:00:00Z"];
    all.extend_from_slice(args);
    crate::run_args(all, &mut std::io::sink())
}

/// A store with the example debtors, accounts and obligations.
fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.redb");
    arrears(&db, &["init"]).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data");
    for kind in ["debtors", "accounts", "obligations"] {
        let file = data.join(format!("{kind}.csv"));
        assert_eq!(arrears(&db, &["import", kind, file.to_str().unwrap()]).unwrap(), Status::Ok);
    }
    (dir, db)
}

/// Imports `text` as a postings file named `name` in batches of `batch_rows`; returns the
/// most planned rows alive at once.
fn most_alive(dir: &Path, db: &Path, name: &str, text: &str, batch_rows: &str) -> usize {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    LIVE.with(|live| live.set((0, 0)));
    let status =
        arrears(db, &["import", "postings", file.to_str().unwrap(), "--batch-rows", batch_rows])
            .unwrap();
    assert_eq!(status, Status::Ok);
    let (now, most) = LIVE.with(std::cell::Cell::get);
    assert_eq!(now, 0, "planned rows left alive");
    assert!(most >= 1, "no planned row counted");
    most
}

#[test]
fn planning_holds_at_most_one_batch_of_rows() {
    let (dir, db) = store();
    let header = "key,account,type,effective_on,amount,obligation,component,reverses,reason,due_on,directed_to\n";
    let mut csv = header.to_owned();
    let mut jsonl = String::new();
    for n in 0..9 {
        csv.push_str(&format!("S-PAY-{n},CC-7002,payment,2026-11-18,1.00,,,,,,\n"));
        jsonl.push_str(&format!(
            "{{\"key\":\"S-JPAY-{n}\",\"account\":\"CC-7002\",\"type\":\"payment\",\"effective_on\":\"2026-11-18\",\"amount\":\"1.00\"}}\n"
        ));
    }
    // A fee, a waiver of it and a reversal naming earlier rows: references resolve across
    // batches without the rows being kept.
    csv.push_str("S-FEE,CC-7002,fee,2026-11-18,5.00,,,,,,\n");
    csv.push_str("S-WVR,CC-7002,waiver,2026-11-19,5.00,S-FEE,fee,,,,\n");
    csv.push_str("S-REV,CC-7002,reversal,2026-11-19,,,,S-PAY-0,returned,,\n");
    assert!(most_alive(dir.path(), &db, "stream.csv", &csv, "2") <= 2);
    assert!(most_alive(dir.path(), &db, "stream.jsonl", &jsonl, "3") <= 3);
    // Imported again, every row replays.
    assert!(most_alive(dir.path(), &db, "stream.csv", &csv, "2") <= 2);
}

#[test]
fn errors_keep_the_first_by_line_and_count_the_rest() {
    let mut errors = Errors::default();
    for line in (2..200).rev() {
        errors.push(RowError::new(line, Some("a"), "first"));
        errors.push(RowError::new(line, Some("b"), "second"));
    }
    let (first, more) = errors.into_first();
    assert_eq!(first.len(), ERRORS_MAX);
    assert_eq!(more, 2 * 198 - ERRORS_MAX);
    assert_eq!(first[0], RowError::new(2, Some("a"), "first"));
    assert_eq!(first[1], RowError::new(2, Some("b"), "second"));
    assert_eq!(first[ERRORS_MAX - 1], RowError::new(26, Some("b"), "second"));
}
