//! The two tutorials of docs/PLUGIN_ABI.md, re-run as written (issue 15 point 5): the Rust
//! plugin is built by cargo from the tutorial's `Cargo.toml` and `src/lib.rs`, the C plugin by
//! the system compiler from the tutorial's source and `sh` lines, and both score a small CSV
//! through `arrears score`, reading its columns: different rows get different scores.
//!
//! Method: the code blocks and the commands are taken from the document, not copied here. The
//! one substitution: the Rust crate's relative path to the SDK becomes the absolute path of
//! this workspace's SDK (the tutorial's crate sits next to `crates/`, this one in a temporary
//! directory). The C tutorial's commands run in a directory where `crates` links to this
//! workspace's, so its `-I crates/arrears-plugin-sdk/include` resolves as written.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The section of docs/PLUGIN_ABI.md under the level-2 `heading`, up to the next one.
fn section(heading: &str) -> String {
    let doc = std::fs::read_to_string(workspace_root().join("docs/PLUGIN_ABI.md")).unwrap();
    let start = doc.find(heading).unwrap_or_else(|| panic!("{heading:?} in docs/PLUGIN_ABI.md"));
    let rest = &doc[start + heading.len()..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_owned()
}

/// The fenced code blocks of `language` in `text`, in order, without their indentation.
fn code_blocks(text: &str, language: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start() != format!("```{language}") {
            continue;
        }
        let mut block = String::new();
        for line in lines.by_ref() {
            if line.trim_start() == "```" {
                break;
            }
            block.push_str(line.get(indent..).unwrap_or(""));
            block.push('\n');
        }
        blocks.push(block);
    }
    blocks
}

/// The inline code spans of `text`, outside its fenced blocks, that start with `prefix`.
fn commands(text: &str, prefix: &str) -> Vec<String> {
    let mut fenced = false;
    let mut spans = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            let inline = line.split('`').skip(1).step_by(2);
            spans.extend(inline.filter(|span| span.starts_with(prefix)).map(String::from));
        }
    }
    spans
}

/// Runs a shell command line in `dir`, with this build's `arrears` first on the `PATH`.
fn sh(dir: &Path, line: &str) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_arrears")).parent().unwrap().to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let output = Command::new("sh")
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("ARREARS_RECORDED_AT")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{line}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Rows 0, 30 and 90 days past due, with a text column the scorers ignore.
const ACCOUNTS: &str = "name,days_past_due\nAda,0\nBo,30\nCy,90\n";

#[test]
fn the_rust_tutorial_builds_and_scores_each_row_by_its_columns() {
    let text = section("## Tutorial: a Rust plugin");
    let dir = tempfile::tempdir().unwrap();
    let [manifest] = &code_blocks(&text, "toml")[..] else { panic!("one toml block") };
    let sdk = workspace_root().join("crates/arrears-plugin-sdk");
    let manifest = manifest.replace("../crates/arrears-plugin-sdk", sdk.to_str().unwrap());
    assert!(manifest.contains(sdk.to_str().unwrap()), "the SDK path changed:\n{manifest}");
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    let rust = code_blocks(&text, "rust");
    let lib = rust.iter().find(|block| block.contains("export_plugin!")).expect("the plugin");
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
    std::fs::write(dir.path().join("base.txt"), "620").unwrap();
    std::fs::write(dir.path().join("accounts.csv"), ACCOUNTS).unwrap();

    let build = commands(&text, "cargo build");
    assert_eq!(build, ["cargo build --release"]);
    sh(dir.path(), &build[0].replacen("cargo", env!("CARGO"), 1));
    let [inspect] = &commands(&text, "arrears plugin inspect")[..] else { panic!("inspect") };
    assert!(sh(dir.path(), inspect).contains("my-scorer"));
    let [score] = &commands(&text, "arrears score --plugin")[..] else {
        panic!("one score command")
    };
    sh(dir.path(), score);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("scores.csv")).unwrap(),
        "row,score,reason_1,reason_2,reason_3,reason_4\n\
         1,620,,,,\n\
         2,560,days_past_due,,,\n\
         3,440,days_past_due,,,\n"
    );
}

#[test]
fn the_c_tutorial_builds_and_scores_each_row_by_its_columns() {
    let text = section("## Tutorial: a C plugin");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(workspace_root().join("crates"), dir.path().join("crates")).unwrap();
    let [source] = &code_blocks(&text, "c")[..] else { panic!("one c block") };
    std::fs::write(dir.path().join("my_c_scorer.c"), source).unwrap();
    std::fs::write(dir.path().join("accounts.csv"), ACCOUNTS).unwrap();

    let [script] = &code_blocks(&text, "sh")[..] else { panic!("one sh block") };
    let lines: Vec<&str> = script.lines().filter(|line| !line.trim().is_empty()).collect();
    assert_eq!(lines.len(), 3, "{script}");
    for line in lines {
        sh(dir.path(), line);
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("scores.csv")).unwrap(),
        "row,score,reason_1,reason_2,reason_3,reason_4\n\
         1,600,,,,\n\
         2,540,,,,\n\
         3,420,,,,\n"
    );
}
