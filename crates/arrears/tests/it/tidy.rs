//! Tidy: architecture invariants of the workspace, checked by reading its files.
//!
//! - Dependency direction: arrears-core <- arrears-store <- arrears <- arrears-cli, never reversed.
//! - Only arrears-store names redb (in its manifest or its code), in crates/, plugins/,
//!   benches/, examples/ and fuzz/; one benchmark file (the redb floor) is allowed to.
//! - arrears-core cannot read the clock: no `clock` feature of chrono in its manifest, and no
//!   clock call in its code (a workspace build unifies chrono's features, so it would compile).
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
        // The engine checks stored bank matching rules with arrears-bank's schema.
        ("arrears", &["arrears-core", "arrears-store", "arrears-plugin-sdk", "arrears-bank"]),
        // The CLI reads bank statements (`arrears bank import`) with arrears-bank, relays
        // the change feed (`arrears relay postgres`) with arrears-relay, and runs portfolios
        // of stores (`arrears portfolio`) with arrears-portfolio.
        (
            "arrears-cli",
            &[
                "arrears",
                "arrears-bank",
                "arrears-relay",
                "arrears-portfolio",
                "arrears-scorecard",
                "arrears-contact-ladder",
            ],
        ),
        // The relay reads the engine's public API only.
        ("arrears-relay", &["arrears"]),
        // So does the portfolio: each shard is an ordinary store.
        ("arrears-portfolio", &["arrears"]),
        // The bank statement formats need only the currency table.
        ("arrears-bank", &["arrears-core"]),
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
    // The benches may depend on redb for the floor (the same B-tree writes without the engine),
    // and only the floor's file names it.
    let benches = std::fs::read_to_string(root.join("benches/Cargo.toml")).unwrap();
    assert!(internal_dependencies(&benches).iter().all(|name| name != "arrears-store"));
    let fuzz = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
    assert!(!internal_dependencies(&fuzz).iter().any(|name| name == "redb"), "fuzz names redb");
    // The store, and three studies of redb itself with no engine code: the storage floor of a
    // payment, the reproduction of its page-cache behaviour, and what its commit allows one
    // caller.
    let allowed_redb = [
        root.join("crates/arrears-store"),
        root.join("benches/src/floor.rs"),
        root.join("benches/examples/redb_cache_flush.rs"),
        root.join("benches/examples/redb_commit_floor.rs"),
    ];
    let mut files = Vec::new();
    for dir in ["crates", "plugins", "benches", "examples", "fuzz"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.iter().any(|file| file.starts_with(root.join("fuzz"))));
    assert!(files.iter().any(|file| file.starts_with(root.join("benches"))));
    for file in files {
        if allowed_redb.iter().any(|allowed| file.starts_with(allowed))
            || file.ends_with("tests/it/tidy.rs")
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
fn the_core_cannot_read_the_clock() {
    let root = workspace_root();
    let manifest = std::fs::read_to_string(root.join("crates/arrears-core/Cargo.toml")).unwrap();
    let chrono = manifest.lines().find(|line| line.trim_start().starts_with("chrono")).unwrap();
    assert!(!chrono.contains("clock"), "arrears-core enables chrono's clock: {chrono}");
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let chrono = workspace.lines().find(|line| line.starts_with("chrono =")).unwrap();
    assert!(
        chrono.contains("default-features = false") && !chrono.contains("clock"),
        "the workspace's chrono must not enable the clock for every crate: {chrono}"
    );
    let clippy = std::fs::read_to_string(root.join("crates/arrears-core/clippy.toml")).unwrap();
    for method in ["chrono::Utc::now", "chrono::Local::now", "std::time::SystemTime::now"] {
        assert!(clippy.contains(method), "arrears-core's clippy.toml must disallow {method}");
    }
    let mut files = Vec::new();
    rust_files(&root.join("crates/arrears-core"), &mut files);
    let calls = [
        ["Utc::", "now"].concat(),
        ["Local::", "now"].concat(),
        ["SystemTime::", "now"].concat(),
        ["Instant::", "now"].concat(),
    ];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for call in &calls {
                assert!(
                    !code.contains(call.as_str()),
                    "{} reads the clock ({call}); the core takes instants as arguments",
                    file.display()
                );
            }
        }
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
        root.join("crates/arrears/src/plugin_host/os.rs"),
        // The journal's `sync_file_range`, which neither std nor a well-kept crate wraps.
        root.join("crates/arrears/src/journal/os.rs"),
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

/// The engine's modules (crates/arrears/src) in their one-way order: each may name
/// (`crate::module`) only the modules before it. The leaves first (the plugin host and the
/// store's plugin registry, which the errors name, then commands, errors, the clock, the audit
/// chain, the guardrails' inputs), then the command context, the
/// ledger's two steps, the state machine's door, the collection commands, the outbox, the
/// dispatcher and the cycle, and the read side. Nothing below `lib.rs` names an item of
/// `lib.rs` (such as `crate::Arrears`). docs/ARCHITECTURE.md says why this order.
const ENGINE_MODULE_ORDER: &[&str] = &[
    "plugin_host",
    "registry",
    "command",
    "error",
    "scratch",
    "group",
    "journal",
    "clock",
    "audit",
    "guardrails",
    "messages",
    "context",
    "ledger_write",
    "lifecycle",
    "collections",
    "outbox",
    "upkeep",
    "queue",
    "suspense",
    "detection",
    "underwriting",
    "execute",
    "cycle",
    "query",
    "feed",
    "backup",
    "lists",
    "verify",
    "reports",
    "credit_reports",
];

/// The names a source text gives after `crate::`, outside comments, including each first
/// name of a `crate::{a, b::c}` group.
fn crate_paths(text: &str) -> Vec<String> {
    let ident = |rest: &str| -> String {
        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
    };
    let mut names = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let name = ident(part.trim());
                    if !name.is_empty() {
                        names.push(name);
                    }
                }
            } else {
                names.push(ident(rest));
            }
        }
    }
    names
}

#[test]
fn engine_modules_import_one_way() {
    let src = workspace_root().join("crates/arrears/src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared: Vec<String> = lib
        .lines()
        .filter_map(|line| {
            let line = line.trim().strip_prefix("pub ").unwrap_or(line.trim());
            line.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect();
    let mut listed: Vec<String> = ENGINE_MODULE_ORDER.iter().map(|name| name.to_string()).collect();
    listed.sort();
    let mut declared_sorted = declared.clone();
    declared_sorted.sort();
    assert_eq!(declared_sorted, listed, "lib.rs's modules and ENGINE_MODULE_ORDER differ");
    for (rank, module) in ENGINE_MODULE_ORDER.iter().enumerate() {
        let mut files = Vec::new();
        if src.join(format!("{module}.rs")).exists() {
            files.push(src.join(format!("{module}.rs")));
        }
        if src.join(module).is_dir() {
            rust_files(&src.join(module), &mut files);
        }
        assert!(!files.is_empty(), "module {module} has no file");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in crate_paths(&text) {
                let shown = file.strip_prefix(&src).unwrap().display();
                let Some(target) = ENGINE_MODULE_ORDER.iter().position(|m| *m == name) else {
                    panic!("{shown} names crate::{name}, an item of lib.rs; modules never do");
                };
                assert!(
                    target < rank,
                    "{shown} names crate::{name}, which comes after {module} in the module order"
                );
            }
        }
    }
}

#[test]
fn crate_paths_finds_plain_and_grouped_names() {
    let text = "use crate::a::B;\nuse crate::{c, d::E};\n// crate::comment\nlet x = crate::f(1);";
    assert_eq!(crate_paths(text), ["a", "c", "d", "f"]);
}

/// Every stored record kind, and every ledger event kind, has a golden-bytes test: in the
/// store's codec tests, or (commands and outcomes, the idempotency records' content) in the
/// engine's `command/tests.rs`.
#[test]
fn every_stored_record_kind_has_golden_bytes() {
    let root = workspace_root();
    let variants = |path: &str, enum_name: &str| -> Vec<String> {
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        let start = text.find(&format!("pub enum {enum_name} {{")).unwrap();
        let body = &text[start..start + text[start..].find("\n}").unwrap()];
        body.lines()
            .filter(|line| line.starts_with("    ") && !line.starts_with("     "))
            .map(|line| line.trim())
            .filter(|line| line.starts_with(|c: char| c.is_ascii_uppercase()))
            .map(|line| line.split(|c: char| !c.is_alphanumeric()).next().unwrap().to_owned())
            .collect()
    };
    let golden = [
        std::fs::read_to_string(root.join("crates/arrears-store/src/codec/tests.rs")).unwrap(),
        std::fs::read_to_string(root.join("crates/arrears/src/command/tests.rs")).unwrap(),
    ]
    .concat();
    let kinds = variants("crates/arrears-store/src/codec.rs", "RecordKind");
    assert!(kinds.len() >= 14, "{kinds:?}");
    for kind in kinds {
        assert!(
            golden.contains(&format!("RecordKind::{kind}")),
            "record kind {kind} has no golden test"
        );
    }
    let events = variants("crates/arrears-core/src/ledger.rs", "EventKind");
    assert!(events.len() >= 11, "{events:?}");
    for event in events {
        assert!(
            golden.contains(&format!("EventKind::{event}")),
            "event kind {event} has no golden test"
        );
    }
}

/// The public API of `arrears` exposes no store type: its only re-exports from arrears-store are
/// the error types every operation nests (`OpenError`, `StorageError`, which hold no redb
/// type), the migration's error and report (`MigrateError`, `Migration`: paths, numbers and the
/// same two errors) and, behind the `fault-injection` testing feature, the faulty disk. The raw store
/// (`Arrears::store`, `Arrears::from_store`) is behind that feature too.
#[test]
fn the_engine_api_exposes_no_store_type() {
    let src = workspace_root().join("crates/arrears/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("").trim();
            let gated = index > 0 && lines[index - 1].contains("feature = \"fault-injection\"");
            if code.starts_with("pub use arrears_store::") {
                let allowed = code
                    == "pub use arrears_store::{MigrateError, Migration, OpenError, StorageError};"
                    || (gated && code == "pub use arrears_store::fault;");
                assert!(allowed, "{}: {code}", file.display());
            }
            if code.starts_with("pub fn") && (code.contains("Store") || code.contains("Txn")) {
                assert!(gated, "{}: {code} is public without the testing feature", file.display());
            }
        }
    }
}

/// A test that returns early when an environment variable is unset always passes in CI: such a
/// helper is an example or a helper process instead (issue 13). Knobs that only tune a test
/// (how many kills, which seed) are fine.
#[test]
fn no_test_is_gated_by_the_environment() {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["crates", "plugins"] {
        rust_files(&root.join(dir), &mut files);
    }
    let test_attribute = ["#[", "test]"].concat();
    let env_read = ["env::", "var"].concat();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if line.trim() != test_attribute {
                continue;
            }
            // The first lines of the test's body.
            let head: Vec<&str> = lines.iter().skip(index + 2).take(4).copied().collect();
            let gated = head.iter().any(|line| line.contains(&env_read))
                && head.iter().any(|line| line.contains("return"));
            assert!(
                !gated,
                "{}:{} returns early on an environment variable",
                file.display(),
                index + 1
            );
        }
    }
}
