//! Issue 15: plugins that cannot take the engine down. The misbehaviour matrix through
//! `arrears cycle`: for a scorer (arm `champion`) and a strategy (arm `challenger`), isolated
//! (the default for libraries) and in-process (`plugin add --trusted`) where meaningful, the
//! cycle completes, the report counts the failures by arm and component, `verify` is clean,
//! and a rerun of the day finishes. And a library planted on the search path is not loaded.
//!
//! Method: real runs of the binary (which finds `arrears-plugin-runner` next to itself) on a
//! copy of one sample store; the hostile C plugin of the engine's tests
//! (`crates/arrears/tests/it/plugins/hostile.c`) misbehaves as its configuration says.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::{Env, Run};

/// Compiles a C file of the repository (path from the workspace root) to `out`.
fn compile_c(source: &str, out: &Path, defines: &[&str]) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut command = Command::new("cc");
    command.args(["-shared", "-fPIC", "-std=c11", "-Wall", "-Werror", "-I"]);
    command.arg(root.join("crates/arrears-plugin-sdk/include"));
    for define in defines {
        command.arg(format!("-D{define}"));
    }
    let output = command.arg(root.join(source)).arg("-o").arg(out).arg("-lm").output().unwrap();
    assert!(output.status.success(), "cc failed: {}", String::from_utf8_lossy(&output.stderr));
    out.to_owned()
}

/// The sample store, imported once and copied for each case.
fn sample() -> Env {
    static SAMPLE: OnceLock<Env> = OnceLock::new();
    let sample = SAMPLE.get_or_init(Env::sample);
    let env = Env::empty();
    std::fs::copy(sample.db(), env.db()).unwrap();
    env
}

/// A policy whose `champion` arm scores with `scorer` and whose `challenger` arm proposes
/// with `strategy` (the others are the engine's own).
fn policy(env: &Env, scorer: &str, strategy: &str) {
    let standard = std::fs::read_to_string(crate::example("policies/standard.toml")).unwrap();
    let stages = &standard[..standard.find("[[arm]]").unwrap()];
    let arms = format!(
        "[[arm]]\nname = \"champion\"\nweight = 50\nscorer = \"{scorer}\"\nstrategy = \"ladder\"\n\n\
         [[arm]]\nname = \"challenger\"\nweight = 50\nscorer = \"rules\"\nstrategy = \"{strategy}\"\n"
    );
    let file = env.write("policy.toml", &format!("{stages}{arms}"));
    env.run(&["policy", "set", crate::path(&file), "--key", "POLICY"]).ok();
}

/// The hostile C plugin built in `env`'s directory, and its SHA-256 as `plugin inspect` gives it.
fn hostile_library(env: &Env) -> (std::path::PathBuf, String) {
    let library = compile_c(
        "crates/arrears/tests/it/plugins/hostile.c",
        &env.dir().join("libhostile.so"),
        &[],
    );
    let shown = env.run(&["--json", "plugin", "inspect", crate::path(&library)]).json();
    let sha256 = shown["sha256"].as_str().unwrap().to_owned();
    (library, sha256)
}

/// Registers the hostile plugin twice: `hs` misbehaving in scoring, `hp` in proposing.
fn add_hostile(env: &Env, mode: &str, trusted: bool) {
    let (library, sha256) = hostile_library(env);
    let library = crate::path(&library);
    for (name, call) in [("hs", "score"), ("hp", "propose")] {
        let config = env.write(&format!("{name}.txt"), &format!("{call}:{mode}"));
        let mut args = vec!["plugin", "add", name, "--library", library, "--sha256", &sha256];
        args.extend(["--config", crate::path(&config)]);
        if trusted {
            args.push("--trusted");
        }
        env.run(&args).ok();
    }
    policy(env, "hs", "hp");
}

/// Runs the day's cycle with short plugin limits (a deadline of `deadline_ms`), checks the
/// failures it reports, that the store is verify-clean and that a rerun of the day finishes;
/// returns the report.
fn cycle(env: &Env, deadline_ms: &str, expected_error: Option<&str>) -> Value {
    let limits = ["--plugin-deadline-ms", deadline_ms, "--plugin-memory-mib", "128"];
    let mut args = vec!["--json", "cycle", "--as-of", "2026-11-20"];
    args.extend(limits);
    let report = env.run(&args).json();
    assert_eq!(report["complete"], true, "{report}");
    assert_eq!(report["reviewed"], 15, "{report}");
    let failures = report["component_failures"].as_array().unwrap();
    match expected_error {
        None => assert!(failures.is_empty(), "{report}"),
        Some(expected) => {
            let by_arm: Vec<(&str, &str, &str)> = failures
                .iter()
                .map(|f| {
                    (
                        f["arm"].as_str().unwrap(),
                        f["component"].as_str().unwrap(),
                        f["name"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                by_arm,
                [("challenger", "strategy", "hp"), ("champion", "scorer", "hs")],
                "{report}"
            );
            for failure in failures {
                assert!(failure["calls"].as_u64().unwrap() >= 1, "{report}");
                assert!(failure["accounts"].as_u64().unwrap() >= 1, "{report}");
                let error = failure["last_error"].as_str().unwrap();
                assert!(error.contains(expected), "{expected:?} in {error:?}");
            }
        }
    }
    assert!(env.run(&["verify"]).ok().starts_with("ok:"));
    let rerun = env.run(&args).json();
    assert_eq!(rerun["complete"], true, "{rerun}");
    report
}

/// One case of the matrix, on its own copy of the sample store.
fn case(mode: &str, trusted: bool, expected_error: Option<&str>) -> Value {
    let env = sample();
    add_hostile(&env, mode, trusted);
    // A short deadline only where the plugin never answers: elsewhere a loaded machine (a
    // runaway allocation taking its time to reach the limit) must not turn a crash into a
    // missed deadline.
    let deadline_ms = if mode == "loop" { "300" } else { "5000" };
    cycle(&env, deadline_ms, expected_error)
}

#[test]
fn isolated_crashes_and_exits_are_contained() {
    case("segv", false, Some("crashed its runner (signal 11)"));
    case("abort", false, Some("crashed its runner (signal 6)"));
    case("exit", false, Some("exited its runner (exit code 0)"));
}

/// A plugin that forks a child keeping its runner's pipes (and the standard error the runner
/// shares with `arrears`) and then crashes: each call reports the crash at once, the child
/// dies with its runner, and whoever reads `arrears`'s output is not held up by it.
#[test]
fn isolated_crashes_that_leave_a_forked_child_are_contained() {
    let started = std::time::Instant::now();
    case("fork-segv", false, Some("crashed its runner (signal 11)"));
    // Without the child killed, the output stays open for the child's 60 s.
    assert!(started.elapsed() < std::time::Duration::from_secs(40), "{:?}", started.elapsed());
}

/// The same with a child that moved to a session of its own (`setsid`), beyond the kill of
/// the runner's process group: it lives out its 60 s, but holds only the runner's standard
/// error pipe, which `arrears` forwards, not `arrears`'s own: the commands end at once.
#[test]
fn isolated_crashes_that_leave_a_detached_child_are_contained() {
    let started = std::time::Instant::now();
    case("setsid-segv", false, Some("crashed its runner (signal 11)"));
    assert!(started.elapsed() < std::time::Duration::from_secs(40), "{:?}", started.elapsed());
}

#[test]
fn isolated_hangs_runaway_memory_and_overruns_are_contained() {
    let report = case("loop", false, Some("did not answer within 300 ms"));
    // The strategy's calls: a deadline each, then a restart, until the budget is used up.
    let strategy = &report["component_failures"][0];
    assert!(strategy["calls"].as_u64().unwrap() >= 1, "{report}");
    case("alloc", false, Some("crashed its runner (signal 11)"));
    case("overrun", false, Some("crashed its runner"));
}

#[test]
fn garbage_slow_and_printing_plugins_isolated_and_in_process() {
    for trusted in [false, true] {
        case("garbage", trusted, Some("plugin \"hostile\" returned a"));
        let slow = case("slow", trusted, None);
        assert!(slow["actions"].as_u64().unwrap() > 0, "{slow}");
    }
    let printing = case("print", false, None);
    assert!(printing["actions"].as_u64().unwrap() > 0, "{printing}");
}

/// Issue 15 point 2: in-process, an endless loop is stopped waiting for at the deadline by
/// the watchdog; the instance is poisoned, the cycle completes (and the process exits, the
/// abandoned thread with it).
#[test]
fn an_in_process_endless_loop_is_cut_off_by_the_watchdog() {
    let report = case("loop", true, Some("failed: plugin \"hostile\""));
    let text = report.to_string();
    assert!(text.contains("did not answer within 300 ms"), "{text}");
}

/// A trusted library whose `destroy` never returns: `arrears` does not hang when it drops
/// the instance at the end of a command (the destroy is abandoned at the deadline); one whose
/// `init` never returns is refused by `plugin add` at the deadline.
#[test]
fn a_trusted_library_whose_init_or_destroy_hangs_does_not_hang_arrears() {
    let env = sample();
    let (library, sha256) = hostile_library(&env);
    let library = crate::path(&library);
    let started = std::time::Instant::now();
    for (name, mode) in [("hd", "destroy-hang"), ("hi", "init-hang")] {
        let config = env.write(&format!("{name}.txt"), mode);
        let mut args = vec!["--plugin-deadline-ms", "300", "plugin", "add", name];
        args.extend(["--library", library, "--sha256", &sha256]);
        args.extend(["--config", crate::path(&config), "--trusted"]);
        let run = env.run(&args);
        if mode == "init-hang" {
            assert_eq!(run.code, 1, "{}", run.stderr);
            assert!(run.stderr.contains("did not initialize within 5000 ms"), "{}", run.stderr);
        } else {
            run.ok();
        }
    }
    policy(&env, "hd", "ladder");
    let args = ["--json", "--plugin-deadline-ms", "300", "cycle", "--as-of", "2026-11-20"];
    let report = env.run(&args).json();
    assert_eq!(report["complete"], true, "{report}");
    assert_eq!(report["component_failures"], serde_json::json!([]), "{report}");
    // Three commands end with the instance dropped (5 s each at most), one refuses at 5 s.
    assert!(started.elapsed() < std::time::Duration::from_secs(40), "{:?}", started.elapsed());
}

/// Issue 15 point 6: a library of the same file name planted on the loader's search path
/// (LD_LIBRARY_PATH) and in the current directory is not what the runner, or the in-process
/// loader, loads: the cycle runs the registered library (the planted one would not even
/// load: its descriptor has a bad magic).
#[test]
fn a_library_planted_on_the_search_path_is_not_loaded() {
    for trusted in [false, true] {
        let env = sample();
        add_hostile(&env, "none", trusted);
        let planted = env.dir().join("planted");
        std::fs::create_dir_all(&planted).unwrap();
        compile_c(
            "crates/arrears/tests/it/plugins/misbehaving.c",
            &planted.join("libhostile.so"),
            &["MODE_BAD_MAGIC"],
        );
        let run = |args: &[&str]| {
            Run::from(
                Command::new(env!("CARGO_BIN_EXE_arrears"))
                    .current_dir(&planted)
                    .env("LD_LIBRARY_PATH", &planted)
                    .arg("--db")
                    .arg(env.db())
                    .args(["--recorded-at", crate::RECORDED_AT])
                    .args(args)
                    .output()
                    .unwrap(),
            )
        };
        let report = run(&["--json", "cycle", "--as-of", "2026-11-20"]).json();
        assert_eq!(report["component_failures"], serde_json::json!([]), "{report}");
        assert!(report["actions"].as_u64().unwrap() > 0, "{report}");
        let listed = run(&["--json", "plugin", "list"]).json();
        let runs = if trusted { "in_process" } else { "isolated" };
        assert_eq!(listed["plugins"][0]["runs"], runs);
    }
}

/// How `arrears` finds its runner: next to itself, else as `ARREARS_PLUGIN_RUNNER` names it;
/// never on PATH, and a clear error when there is none.
#[test]
fn the_runner_is_found_next_to_the_binary_or_named_never_searched() {
    let env = sample();
    let alone = env.dir().join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    let arrears = alone.join("arrears");
    std::fs::copy(env!("CARGO_BIN_EXE_arrears"), &arrears).unwrap();
    let library = compile_c(
        "crates/arrears/tests/it/plugins/hostile.c",
        &env.dir().join("libhostile.so"),
        &[],
    );
    let shown = env.run(&["--json", "plugin", "inspect", crate::path(&library)]).json();
    let sha256 = shown["sha256"].as_str().unwrap();
    let runner = Path::new(env!("CARGO_BIN_EXE_arrears")).with_file_name("arrears-plugin-runner");
    let add = |name: &str, runner_env: Option<&Path>| {
        let mut command = Command::new(&arrears);
        command.env_remove("ARREARS_PLUGIN_RUNNER");
        // The real runner's directory on PATH: never searched.
        command.env("PATH", runner.parent().unwrap());
        if let Some(runner) = runner_env {
            command.env("ARREARS_PLUGIN_RUNNER", runner);
        }
        let args = ["plugin", "add", name, "--library", crate::path(&library), "--sha256", sha256];
        Run::from(command.arg("--db").arg(env.db()).args(args).output().unwrap())
    };
    let refused = add("h1", None);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let expected = format!(
        "no plugin runner: {:?} (next to the current executable) is not a file",
        alone.join("arrears-plugin-runner")
    );
    assert!(refused.stderr.contains(&expected), "{}", refused.stderr);
    add("h2", Some(&runner)).ok();
    std::fs::copy(&runner, alone.join("arrears-plugin-runner")).unwrap();
    add("h3", None).ok();
}
