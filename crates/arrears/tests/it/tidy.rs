//! Tidy: architecture invariants of the workspace, checked by reading its files.
//!
//! - Dependency direction: arrears-core <- arrears-store <- arrears <- arrears-cli, never reversed.
//! - Only arrears-store names redb (in its manifest or its code).
//! - `unsafe` appears only in arrears-plugin-sdk, plugins/*, and the engine's plugin host module.
//! - No should-panic and no ignored tests anywhere: check for `Err` instead.
//! - Sources are ASCII, and every library module starts with a `//!` doc comment.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap().to_owned()
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

fn internal_dependencies(manifest: &str) -> Vec<String> {
    let mut dependencies = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies {
            let name = line.split(['=', '.', ' ']).next().unwrap_or("");
            if name.starts_with("arrears") || name == "redb" {
                dependencies.push(name.to_owned());
            }
        }
    }
    dependencies
}

#[test]
fn dependency_direction_and_the_redb_boundary() {
    let root = workspace_root();
    let allowed: &[(&str, &[&str])] = &[
        ("arrears-core", &[]),
        ("arrears-store", &["arrears-core", "redb"]),
        ("arrears-plugin-sdk", &[]),
        ("arrears", &["arrears-core", "arrears-store", "arrears-plugin-sdk"]),
        ("arrears-cli", &["arrears", "arrears-scorecard", "arrears-contact-ladder"]),
        ("../plugins/scorecard", &["arrears-plugin-sdk"]),
        ("../plugins/scorecard/cdylib", &["arrears-plugin-sdk", "arrears-scorecard"]),
        ("../plugins/contact-ladder", &["arrears-plugin-sdk"]),
        ("../plugins/contact-ladder/cdylib", &["arrears-plugin-sdk", "arrears-contact-ladder"]),
    ];
    for (krate, allowed) in allowed {
        let manifest =
            std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml")).unwrap();
        for dependency in internal_dependencies(&manifest) {
            assert!(
                allowed.contains(&dependency.as_str()),
                "{krate} must not depend on {dependency}"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    for file in files {
        if file.starts_with(root.join("crates/arrears-store")) || file.ends_with("tests/it/tidy.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let names_redb = text.lines().any(|line| {
            let code = line.split("//").next().unwrap_or("");
            code.contains("redb::") || code.contains("use redb")
        });
        assert!(!names_redb, "{} names redb; only arrears-store may", file.display());
    }
}

#[test]
fn sources_follow_the_house_rules() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    assert!(files.len() > 10);
    let should_panic = ["#[should", "_panic]"].concat();
    let ignore = ["#[ig", "nore]"].concat();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(&root).unwrap().display();
        assert!(text.is_ascii(), "{shown} has non-ASCII characters");
        if file.ends_with("tests/it/tidy.rs") {
            continue;
        }
        assert!(!text.contains(&should_panic), "{shown} uses should_panic; check for Err instead");
        assert!(
            !text.contains(&ignore),
            "{shown} ignores a test; fix it or assert the current behaviour with a FIXME"
        );
        let in_src = file.components().any(|component| component.as_os_str() == "src");
        let is_test_module = file.file_name().is_some_and(|name| name == "tests.rs");
        if in_src && !is_test_module {
            assert!(text.starts_with("//!"), "{shown} must start with a //! module doc comment");
        }
    }
}

#[test]
fn unsafe_code_only_at_the_plugin_boundary() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    rust_files(&root.join("plugins"), &mut files);
    let allowed = [
        root.join("crates/arrears-plugin-sdk"),
        root.join("plugins"),
        root.join("crates/arrears/src/plugin_host/load.rs"),
        root.join("crates/arrears/src/plugin_host/ffi.rs"),
    ];
    let word = ["uns", "afe"].concat();
    for file in files {
        if allowed.iter().any(|prefix| file.starts_with(prefix))
            || file.ends_with("tests/it/tidy.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let uses_unsafe = text.lines().any(|line| {
            let code = line.split("//").next().unwrap_or("");
            code.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|token| token == word)
        });
        let shown = file.strip_prefix(&root).unwrap().display();
        assert!(!uses_unsafe, "{shown} uses unsafe; only the plugin boundary may");
    }
}
