//! The `import_rows` target: CSV and JSON Lines import files, through `arrears import` run
//! in-process, against a store that already holds the example portfolio (so that references
//! to debtors, accounts and obligations can resolve).
//!
//! The first byte picks the kind (debtors, accounts, obligations, postings) and the format
//! (CSV or JSON Lines); the rest is the file. The import either succeeds, leaving a store that
//! `verify` finds clean, or fails with an error, leaving the store exactly as it was: no
//! debtor, account, obligation, journal entry, case or idempotency record of a failed file is
//! written. It never panics.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arrears::{Arrears, FixedClock, Options};
use arrears_store::Reads;

const KINDS: [&str; 4] = ["debtors", "accounts", "obligations", "postings"];

/// Everything a failed import must leave untouched, as counts and sums.
#[derive(Debug, PartialEq, Eq)]
struct Digest {
    debtors: usize,
    accounts: usize,
    obligations: usize,
    entries: usize,
    posted_minor: i64,
    cases: usize,
    external_refs: usize,
}

fn digest(path: &Path) -> Digest {
    let books = Arrears::open_with(path, options()).expect("open the copy");
    let read = books.store().read().expect("read");
    let entries = read.all_entries().expect("entries");
    let posted_minor = entries
        .iter()
        .flat_map(|entry| &entry.postings)
        .map(|posting| posting.amount_minor.abs())
        .sum();
    Digest {
        debtors: read.all_debtors().expect("debtors").len(),
        accounts: read.all_accounts().expect("accounts").len(),
        obligations: read.all_obligations().expect("obligations").len(),
        entries: entries.len(),
        posted_minor,
        cases: read.all_cases().expect("cases").len(),
        external_refs: read.all_external_refs().expect("refs").len(),
    }
}

fn options() -> Options {
    Options {
        clock: Box::new(FixedClock("2026-11-01T00:00:00Z".parse().expect("instant"))),
        ..Options::default()
    }
}

/// Runs `arrears --db <db> --recorded-at ... <args>` in-process.
fn arrears(db: &Path, args: &[&str]) -> anyhow::Result<arrears_cli::Status> {
    let db = db.to_str().expect("UTF-8 path");
    let mut all = vec!["arrears", "--db", db, "--recorded-at", "2026-11-01T00:00:00Z"];
    all.extend_from_slice(args);
    arrears_cli::run_args(all, &mut std::io::sink())
}

/// A store with the example portfolio (examples/data), built once per process; each input
/// imports into a copy of it.
fn template() -> &'static (tempfile::TempDir, PathBuf, Digest) {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf, Digest)> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("template.redb");
        arrears(&db, &["init"]).expect("init");
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
        for kind in KINDS {
            let file = data.join(format!("{kind}.csv"));
            let status = arrears(&db, &["import", kind, file.to_str().expect("path")])
                .unwrap_or_else(|error| panic!("importing the example {kind}: {error:#}"));
            assert_eq!(status, arrears_cli::Status::Ok);
        }
        let before = digest(&db);
        (dir, db, before)
    })
}

/// See the module documentation.
pub fn import_rows(data: &[u8]) {
    let Some((&selector, file)) = data.split_first() else { return };
    let kind = KINDS[usize::from(selector % 4)];
    let extension = if selector & 4 == 0 { "csv" } else { "jsonl" };
    let (_dir, template, before) = template();
    let work = tempfile::tempdir().expect("tempdir");
    let db = work.path().join("books.redb");
    std::fs::copy(template, &db).expect("copy the template");
    let path = work.path().join(format!("rows.{extension}"));
    std::fs::write(&path, file).expect("write the file");
    let result = arrears(&db, &["import", kind, path.to_str().expect("path")]);
    let books = Arrears::open_with(&db, options()).expect("reopen");
    let report = books.verify().expect("verify");
    assert!(report.is_clean(), "{kind} import left problems: {:?}", report.problems);
    drop(books);
    if !matches!(result, Ok(arrears_cli::Status::Ok)) {
        assert_eq!(&digest(&db), before, "a failed {kind} import wrote something");
    }
}
