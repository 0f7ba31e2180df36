//! `arrears backup` and `arrears restore`: a backup, then more writes, then a restore from the
//! backup plus the feed (archived, or read from --db) to a sequence, which equals the store at
//! that sequence; and the refusals, which leave every file as it was.

use std::path::Path;
use std::process::Command;

use crate::{path, Env, Run};

/// Runs `arrears --db DB ARGS` on another store than the environment's.
fn run_on(db: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run arrears");
    Run::from(output)
}

fn head(db: &Path) -> String {
    run_on(db, &["audit", "head"]).ok().to_owned()
}

#[test]
fn a_restore_to_a_sequence_equals_the_store_at_that_sequence() {
    let env = Env::sample();
    let backup = env.dir().join("early.redb");
    let taken = env.run(&["--json", "backup", "--to", path(&backup)]).json();
    let early = taken["seq"].as_u64().unwrap();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    let at = env.dir().join("at.redb");
    let at_seq = env.run(&["--json", "backup", "--to", path(&at)]).json()["seq"].as_u64().unwrap();
    assert!(at_seq > early);
    env.run(&[
        "post",
        "payment",
        "--account",
        "TC-8001",
        "--amount",
        "100.00",
        "--on",
        "2026-10-01",
        "--key",
        "late",
    ])
    .ok();
    let feed = env.dir().join("feed.jsonl");
    let lines = env.run(&["feed", "--json", "--limit", "100000"]);
    std::fs::write(&feed, lines.ok()).unwrap();

    let from_file = env.dir().join("from-file.redb");
    let seq = at_seq.to_string();
    let args = [
        "restore",
        "--from",
        path(&backup),
        "--feed",
        path(&feed),
        "--to-seq",
        &seq,
        "--out",
        path(&from_file),
    ];
    let restored = env.run(&args).ok().to_owned();
    assert!(restored.contains(&format!("backup at {early}, replayed to {at_seq}")), "{restored}");
    assert_eq!(head(&from_file), head(&at));
    run_on(&from_file, &["verify"]).ok();

    let from_db = env.dir().join("from-db.redb");
    let args =
        ["--json", "restore", "--from", path(&backup), "--to-seq", &seq, "--out", path(&from_db)];
    assert_eq!(env.run(&args).json()["seq"].as_u64(), Some(at_seq));
    assert_eq!(head(&from_db), head(&at));
}

#[test]
fn backup_and_restore_refuse_the_store_a_store_file_and_an_existing_output() {
    let env = Env::sample();
    let db = env.db().to_owned();
    let run = env.run(&["backup", "--to", path(&db)]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("it is the Arrears store --db names"), "{}", run.stderr);
    let other = env.dir().join("other.redb");
    run_on(&other, &["init"]).ok();
    let before = std::fs::read(&other).unwrap();
    let run = env.run(&["backup", "--to", path(&other)]);
    assert!(run.stderr.contains("it is an Arrears store file"), "{}", run.stderr);
    let notes = env.write("notes.txt", "precious");
    let run = env.run(&["backup", "--to", path(&notes)]);
    assert!(run.stderr.contains("a backup never replaces a file"), "{}", run.stderr);
    let backup = env.dir().join("b.redb");
    env.run(&["backup", "--to", path(&backup)]).ok();
    let run =
        env.run(&["restore", "--from", path(&backup), "--to-seq", "1", "--out", path(&notes)]);
    assert!(run.stderr.contains("a restore never replaces a file"), "{}", run.stderr);
    let run =
        env.run(&["restore", "--from", path(&backup), "--out", path(&env.dir().join("r.redb"))]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let bad = env.write("bad.jsonl", "{\"seq\": 1}\n");
    let out = env.dir().join("r.redb");
    let run = env.run(&[
        "restore",
        "--from",
        path(&backup),
        "--feed",
        path(&bad),
        "--to-seq",
        "9",
        "--out",
        path(&out),
    ]);
    assert!(run.stderr.contains("line 1: not a change"), "{}", run.stderr);
    assert!(!out.exists());
    assert_eq!(std::fs::read(&other).unwrap(), before);
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "precious");
}
