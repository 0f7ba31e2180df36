//! Integration tests: real runs of the `arrears` binary on a store in a temporary directory.

mod audit;
mod backup;
mod bad_input;
mod bank;
mod check;
mod collections;
mod credit;
mod cycle;
mod demo;
mod docs;
mod import;
mod in_process;
mod isolation;
mod list;
mod messages;
mod outputs;
mod pg;
mod plan;
mod plugin_registry;
mod plugin_tutorials;
mod policy;
mod portfolio;
mod post;
mod queue;
mod relay;
mod relay_rolls;
mod sample;
mod scale;
mod score;
mod shared;
mod show;
mod upkeep;
mod work;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fixed recording instant, so that runs are reproducible.
pub(crate) const RECORDED_AT: &str = "2026-11-20T12:00:00Z";

/// A store in a temporary directory and a way to run the binary on it.
pub(crate) struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
}

/// The result of one run.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts exit code 0 and returns stdout.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts exit code 0 and parses stdout as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        let stdout = self.ok();
        serde_json::from_str(stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{stdout}"))
    }
}

impl Env {
    /// An empty directory with no store yet.
    pub(crate) fn empty() -> Env {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = dir.path().join("books.redb");
        Env { dir, db }
    }

    /// A new store.
    pub(crate) fn new() -> Env {
        let env = Env::empty();
        env.run(&["init"]).ok();
        env
    }

    /// A store with the whole sample portfolio imported.
    pub(crate) fn sample() -> Env {
        let env = Env::new();
        for kind in ["debtors", "accounts", "obligations", "postings"] {
            let file = data(&format!("{kind}.csv"));
            env.run(&["import", kind, path(&file)]).ok();
        }
        env
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The store's path (it need not exist).
    pub(crate) fn db(&self) -> &Path {
        &self.db
    }

    /// Runs `arrears --db <store> --recorded-at <fixed> ARGS`.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_from(Path::new("."), args)
    }

    /// Runs `arrears --db <store> --recorded-at <fixed> ARGS` in the directory `cwd` (the
    /// documents' examples name files from the repository's root).
    pub(crate) fn run_from(&self, cwd: &Path, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_arrears"))
            .current_dir(cwd)
            .arg("--db")
            .arg(&self.db)
            .arg("--recorded-at")
            .arg(RECORDED_AT)
            .args(args)
            .output()
            .expect("run arrears");
        Run::from(output)
    }

    /// Writes a file in the directory and returns its path.
    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let file = self.dir.path().join(name);
        std::fs::write(&file, text).expect("write file");
        file
    }

    /// Everything the store shows: portfolio aging and a few accounts, as JSON, to compare
    /// before and after a command that must change nothing.
    pub(crate) fn snapshot(&self) -> String {
        let mut all =
            self.run(&["report", "aging", "--as-of", "2026-11-20", "--json"]).ok().to_owned();
        for account in ["TC-8001", "CC-7001", "LN-5001", "MX-1201"] {
            all.push_str(self.run(&["show", "account", account, "--json"]).ok());
        }
        all.push_str(self.run(&["verify"]).ok());
        all
    }
}

/// A file of examples/ (`policies/challenger.toml`).
pub(crate) fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

/// True if a line of `text` has exactly the words of `words`, however aligned.
pub(crate) fn has_line(text: &str, words: &str) -> bool {
    let words: Vec<&str> = words.split_whitespace().collect();
    text.lines().any(|line| line.split_whitespace().collect::<Vec<_>>() == words)
}

/// A file of the sample portfolio in examples/data.
pub(crate) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data").join(name)
}

pub(crate) fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}
