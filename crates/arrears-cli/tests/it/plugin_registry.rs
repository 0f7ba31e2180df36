//! The store's plugin registry through the CLI (issue 14 point 1): `plugin add | remove |
//! list`, the demo's store runs `arrears cycle` in a later process, and a library path is
//! used as given.
//!
//! Method: real runs of the binary; the C plugins are compiled by the system compiler, as the
//! engine's plugin tests do.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Env, Run};

/// Compiles a C plugin of the repository (path from the workspace root) to `out`.
pub(crate) fn compile_c(source: &str, out: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new("cc")
        .args(["-shared", "-fPIC", "-std=c11", "-Wall", "-Werror", "-I"])
        .arg(root.join("crates/arrears-plugin-sdk/include"))
        .arg(root.join(source))
        .arg("-o")
        .arg(out)
        .arg("-lm")
        .output()
        .expect("run cc");
    assert!(output.status.success(), "cc failed: {}", String::from_utf8_lossy(&output.stderr));
    out.to_owned()
}

fn c_scorer(out: &Path) -> PathBuf {
    compile_c("plugins/c-scorer/c_scorer.c", out)
}

fn other_plugin(out: &Path) -> PathBuf {
    compile_c("crates/arrears/tests/it/plugins/misbehaving.c", out)
}

fn sha256_of(env: &Env, library: &Path) -> String {
    let shown = env.run(&["--json", "plugin", "inspect", library.to_str().unwrap()]).json();
    shown["sha256"].as_str().expect("a digest").to_owned()
}

/// Issue 14: after `arrears demo --out DIR`, `arrears --db DIR/arrears-demo.redb cycle` in a
/// later process resolves the demo's plugins from the store's registry (it failed with "the
/// policy's arm champion names scorer scorecard, which is not registered").
#[test]
fn issue_14_demo_then_cycle_on_its_store() {
    let env = Env::empty();
    let out = env.dir().join("demo");
    // Without --db the store is DIR/arrears-demo.redb; this harness always passes --db, which
    // the demo then uses as its store.
    env.run(&[
        "--json",
        "demo",
        "--accounts",
        "60",
        "--days",
        "20",
        "--out",
        out.to_str().unwrap(),
    ])
    .json();
    let listed = env.run(&["--json", "plugin", "list"]).json();
    let names: Vec<&str> =
        listed["plugins"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["contact_ladder", "scorecard"]);
    env.run(&["cycle", "--as-of", "2026-01-21"]).ok();
    let report = env.run(&["--json", "cycle", "--as-of", "2026-02-15"]).json();
    assert!(report["reviewed"].as_u64().unwrap() > 0, "{report}");
}

#[test]
fn add_list_remove_through_the_cli() {
    let env = Env::new();
    let card = env.write(
        "card.toml",
        "base_points = 600\n[[variable]]\nname = \"days_past_due\"\n\
         bins = [ { bin = \"[-inf,30)\", points = 50 }, { bin = \"[30,inf)\", points = -80 } ]\n",
    );
    let card = card.to_str().unwrap();
    // The old spelling is an alias: stored canonical.
    env.run(&["plugin", "add", "ladder2", "--builtin", "contact-ladder"]).ok();
    env.run(&["plugin", "add", "card", "--builtin", "scorecard", "--config", card]).ok();
    let library = c_scorer(&env.dir().join("libc_scorer.so"));
    let digest = sha256_of(&env, &library);
    let library_text = library.to_str().unwrap();
    env.run(&["plugin", "add", "c", "--library", library_text, "--sha256", &digest]).ok();
    let listed = env.run(&["--json", "plugin", "list"]).json();
    assert_eq!(listed["plugins"][0]["name"], "c");
    assert_eq!(listed["plugins"][0]["library"], library_text);
    assert_eq!(listed["plugins"][0]["sha256"], digest.as_str());
    assert_eq!(listed["plugins"][1]["builtin"], "scorecard");
    assert!(listed["plugins"][1]["config_bytes"].as_u64().unwrap() > 0);
    assert_eq!(listed["plugins"][2]["builtin"], "contact_ladder");

    // Refusals name the flag or the entry, exit 1, and write nothing.
    let wrong = format!("{}0", &digest[..63]);
    let refused = env.run(&["plugin", "add", "c2", "--library", library_text, "--sha256", &wrong]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("plugin \"c2\" does not load"), "{}", refused.stderr);
    let refused = env.run(&["plugin", "add", "x", "--builtin", "scorecards"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("--builtin \"scorecards\" is not a built-in"),
        "{}",
        refused.stderr
    );
    let bad_card = env.write("bad.toml", "[[variable");
    let refused = env.run(&[
        "plugin",
        "add",
        "x",
        "--builtin",
        "scorecard",
        "--config",
        bad_card.to_str().unwrap(),
    ]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains(&format!("--config {}: plugin \"x\" does not load", bad_card.display())),
        "{}",
        refused.stderr
    );
    let refused = env.run(&["plugin", "add", "x", "--library", library_text]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert_eq!(
        env.run(&["--json", "plugin", "list"]).json()["plugins"].as_array().unwrap().len(),
        3
    );

    // A policy naming an unregistered plugin is refused at set time, with the arm and name.
    let policy = |scorer: &str| {
        format!(
            "name = \"p\"\nversion = 1\ncreditor = \"first_party\"\n\n[[stage]]\nname = \"all\"\n\
             min_dpd = 1\n\n[[arm]]\nname = \"only\"\nweight = 1\nscorer = \"{scorer}\"\n"
        )
    };
    let unknown = env.write("unknown.toml", &policy("nowhere"));
    let refused = env.run(&["policy", "set", unknown.to_str().unwrap(), "--key", "p1"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("the policy's arm \"only\" names scorer \"nowhere\""),
        "{}",
        refused.stderr
    );
    let named = env.write("named.toml", &policy("c"));
    env.run(&["policy", "set", named.to_str().unwrap(), "--key", "p2"]).ok();
    let refused = env.run(&["plugin", "remove", "c"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("named by the policy's arm \"only\""), "{}", refused.stderr);
    env.run(&["plugin", "remove", "ladder2"]).ok();
    let text = env.run(&["plugin", "list"]).ok().to_owned();
    assert!(text.contains("card  built-in scorecard, config"), "{text}");
    assert!(!text.contains("ladder2"), "{text}");
}

/// Issue 14: a bare file name was hashed in the current directory but loaded from the library
/// search path, so a different library of the same name passed the pin. Now the path is made
/// absolute against the current directory and the very bytes hashed are loaded.
#[test]
fn issue_14_a_bare_file_name_is_not_searched_on_the_library_path() {
    let env = Env::empty();
    let here = env.dir().join("here");
    let elsewhere = env.dir().join("elsewhere");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let hashed = c_scorer(&here.join("libsame.so"));
    other_plugin(&elsewhere.join("libsame.so"));
    let digest = sha256_of(&env, &hashed);
    let run = |args: &[&str]| {
        Run::from(
            Command::new(env!("CARGO_BIN_EXE_arrears"))
                .current_dir(&here)
                .env("LD_LIBRARY_PATH", &elsewhere)
                .arg("--db")
                .arg(env.db())
                .args(args)
                .output()
                .expect("run arrears"),
        )
    };
    let shown = run(&["--json", "plugin", "inspect", "libsame.so", "--sha256", &digest]).json();
    assert_eq!(shown["name"], "c-scorer");
    run(&["init"]).ok();
    run(&["plugin", "add", "same", "--library", "libsame.so", "--sha256", &digest]).ok();
    let listed = run(&["--json", "plugin", "list"]).json();
    assert_eq!(listed["plugins"][0]["library"], hashed.to_str().unwrap());
}

/// Issue 15 point 1: a fallback must be built in: a policy whose `scorer_fallback` is a
/// plugin library is refused at set time; a built-in fallback behind a library is accepted,
/// and the fallback cannot be removed while the policy names it.
#[test]
fn a_fallback_must_be_built_in() {
    let env = Env::new();
    let library = c_scorer(&env.dir().join("libc_scorer.so"));
    let digest = sha256_of(&env, &library);
    env.run(&["plugin", "add", "c", "--library", library.to_str().unwrap(), "--sha256", &digest])
        .ok();
    let card = env.write(
        "card.toml",
        "base_points = 600\n[[variable]]\nname = \"days_past_due\"\n\
         bins = [ { bin = \"[-inf,30)\", points = 50 }, { bin = \"[30,inf)\", points = -80 } ]\n",
    );
    env.run(&[
        "plugin",
        "add",
        "card",
        "--builtin",
        "scorecard",
        "--config",
        card.to_str().unwrap(),
    ])
    .ok();
    let policy = |scorer: &str, fallback: &str| {
        format!(
            "name = \"p\"\nversion = 1\ncreditor = \"first_party\"\n\n[[stage]]\nname = \"all\"\n\
             min_dpd = 1\n\n[[arm]]\nname = \"only\"\nweight = 1\nscorer = \"{scorer}\"\n\
             scorer_fallback = \"{fallback}\"\n"
        )
    };
    let library_fallback = env.write("lib.toml", &policy("card", "c"));
    let refused = env.run(&["policy", "set", library_fallback.to_str().unwrap(), "--key", "p1"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("names scorer_fallback \"c\"")
            && refused.stderr.contains("a fallback must be a built-in component"),
        "{}",
        refused.stderr
    );
    let built_in = env.write("builtin.toml", &policy("c", "card"));
    env.run(&["policy", "set", built_in.to_str().unwrap(), "--key", "p2"]).ok();
    let refused = env.run(&["plugin", "remove", "card"]);
    assert!(refused.stderr.contains("named by the policy's arm \"only\""), "{}", refused.stderr);
}
