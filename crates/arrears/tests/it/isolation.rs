//! Isolated plugins (issue 15): the misbehaviour matrix against a plugin in a runner process,
//! the restart budget, libraries that fail to load in the runner, and the in-process
//! watchdog.
//!
//! Method: `tests/it/plugins/hostile.c`, compiled by the system compiler, misbehaves as its
//! configuration says; the runner is this package's `arrears-runner-child` (any binary that
//! calls `runner::serve`). Each misbehaviour must come back as its typed error, with the
//! runner killed and reaped, and the host alive.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::ids::{AccountId, DebtorId};
use arrears::model::{ContactChannel, ContactPoint, ContactPointKind, ProductKind};
use arrears::plugin_host::{
    AttributeValue, IsolatedInstance, IsolationOptions, LoadedPlugin, PluginOptions, PluginScorer,
    PluginStrategy, ScoreRequest,
};
use arrears::strategy::{ContactRequest, ContactStep, ContactStrategy, Features, Scorer};
use arrears::{PluginCallError, PluginLoadError};
use sha2::Digest;

use crate::plugins::{compile_c, workspace_root};

const DEADLINE_MS: u64 = 300;

fn options() -> IsolationOptions {
    IsolationOptions {
        runner: Some(PathBuf::from(env!("CARGO_BIN_EXE_arrears-runner-child"))),
        call_deadline_ms: DEADLINE_MS,
        memory_limit_bytes: 128 << 20,
        restart_budget: 3,
    }
}

/// The hostile plugin, compiled into a new directory, and its SHA-256.
fn hostile() -> (tempfile::TempDir, PathBuf, [u8; 32]) {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/plugins/hostile.c");
    let path = compile_c(&source, &dir.path().join("libhostile.so"), &[]);
    let sha256 = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap().sha256().unwrap();
    (dir, path, sha256)
}

fn requests(count: usize) -> Vec<ScoreRequest> {
    let features = Features {
        account: AccountId(7),
        debtor: DebtorId(3),
        as_of: "2026-11-20".parse().unwrap(),
        currency: arrears::money::Currency::USD,
        product: ProductKind::TradeCredit,
        days_past_due: 30,
        total_outstanding_minor: 15_000,
        past_due_minor: 5_000,
        credit_limit_minor: None,
        months_on_book: 14,
        payments_90d: 1,
        paid_90d_minor: 2_000,
        reversals_90d: 0,
        broken_promises: 0,
        kept_promises: 0,
        attempts_30d: 2,
        right_party_contacts_30d: 0,
        calls_30d: 0,
    };
    vec![ScoreRequest { features: Some(features), as_of: None, attributes: Vec::new() }; count]
}

fn contact_request() -> ContactRequest {
    ContactRequest {
        debtor: DebtorId(3),
        accounts: vec![AccountId(7)],
        as_of: "2026-03-02".parse().unwrap(),
        steps: vec![ContactStep {
            channel: ContactChannel::Email,
            template: "email_1".into(),
            tone: None,
        }],
        contact_points: vec![ContactPoint {
            channel: ContactChannel::Email,
            address: "a@example.com".into(),
            kind: ContactPointKind::Personal,
            consent: true,
            opted_out: false,
        }],
        time_zones: vec!["UTC".into()],
        score: None,
        history: Vec::new(),
    }
}

/// What a case's error must be.
type Expected = fn(&PluginCallError) -> bool;

/// True if and only if the process `pid` is gone (reaped, not a zombie).
fn reaped(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn an_isolated_plugin_answers_as_in_process() {
    let (_dir, path, sha256) = hostile();
    let instance = IsolatedInstance::start(&path, sha256, "print", &options()).unwrap();
    assert_eq!((instance.name(), instance.version()), ("hostile", "0.0.1"));
    // "print" writes to standard output: the frames are not corrupted by it.
    let scores = instance.score_batch(&requests(5_000)).unwrap();
    assert_eq!(scores.len(), 5_000);
    assert!(scores.iter().all(|score| score.points == 500.0));
    let proposals = instance.propose_batch(&[contact_request()], &[]).unwrap();
    assert_eq!(proposals.len(), 1);
    assert_eq!(
        (proposals[0].channel, proposals[0].template.as_str()),
        (ContactChannel::Email, "email_1")
    );
    assert_eq!(instance.failures(), 0);
}

/// Issue 15 point 3: each misbehaviour, in a scorer call and in a strategy call, is a typed
/// error; the runner is killed and reaped; the next call gets a new runner.
#[test]
fn every_misbehaviour_is_a_typed_error_and_the_runner_is_reaped() {
    let (_dir, path, sha256) = hostile();
    let cases: [(&str, Expected); 8] = [
        ("segv", |e| matches!(e, PluginCallError::Crashed { signal: 11, .. })),
        ("abort", |e| matches!(e, PluginCallError::Crashed { signal: 6, .. })),
        ("exit", |e| matches!(e, PluginCallError::Exited { code: 0, .. })),
        ("loop", |e| {
            matches!(e, PluginCallError::DeadlineExceeded { deadline_ms: DEADLINE_MS, .. })
        }),
        ("alloc", |e| matches!(e, PluginCallError::Crashed { signal: 11 | 6, .. })),
        ("overrun", |e| matches!(e, PluginCallError::Crashed { signal: 11 | 7 | 6, .. })),
        ("garbage", |e| {
            matches!(
                e,
                PluginCallError::NonFiniteScore { .. } | PluginCallError::BadProposal { .. }
            )
        }),
        ("slow", |_| false),
    ];
    for (mode, expected) in cases {
        for call in ["score", "propose"] {
            let config = format!("{call}:{mode}");
            // Short for the loop; the others end by themselves, however busy the machine.
            let deadline_ms = if mode == "loop" { DEADLINE_MS } else { 5_000 };
            let options = IsolationOptions { call_deadline_ms: deadline_ms, ..options() };
            let instance = IsolatedInstance::start(&path, sha256, &config, &options).unwrap();
            let pid = instance.runner_id().unwrap();
            let started = Instant::now();
            let answer = match call {
                "score" => instance.score_batch(&requests(3)).map(|scores| scores.len()),
                _ => instance.propose_batch(&[contact_request()], &[]).map(|found| found.len()),
            };
            match answer {
                Ok(count) => {
                    assert_eq!((mode, count), ("slow", if call == "score" { 3 } else { 1 }))
                }
                Err(error) => {
                    assert!(expected(&error), "{config}: {error:?}");
                    let crashed = !matches!(
                        error,
                        PluginCallError::NonFiniteScore { .. }
                            | PluginCallError::BadProposal { .. }
                    );
                    assert_eq!(instance.failures(), u32::from(crashed), "{config}");
                    assert_eq!(instance.runner_id().is_none(), crashed, "{config}");
                    assert_eq!(reaped(pid), crashed, "{config}: runner {pid}");
                }
            }
            assert!(started.elapsed() < Duration::from_secs(6), "{config}");
        }
    }
}

/// A failing plugin is restarted within its budget, then poisoned: no runner is started
/// again.
#[test]
fn a_failing_plugin_is_restarted_within_its_budget_then_poisoned() {
    let (_dir, path, sha256) = hostile();
    let options = IsolationOptions { restart_budget: 2, ..options() };
    let instance = IsolatedInstance::start(&path, sha256, "score:abort", &options).unwrap();
    let mut runners = Vec::new();
    for _ in 0..3 {
        runners.push(instance.runner_id());
        let error = instance.score_batch(&requests(1)).unwrap_err();
        assert!(matches!(error, PluginCallError::Crashed { signal: 6, .. }), "{error}");
    }
    // A new runner each time (the first from `start`, two restarts).
    assert!(runners[0].is_some() && runners[1].is_none() && runners[2].is_none());
    assert_eq!(instance.failures(), 3);
    assert!(instance.is_poisoned());
    let error = instance.score_batch(&requests(1)).unwrap_err();
    assert_eq!(error, PluginCallError::RestartsExhausted { plugin: "hostile".into(), restarts: 2 });
    assert_eq!(instance.runner_id(), None);
    // The strategy side of the same instance still answers nothing: it is poisoned too.
    assert!(matches!(
        instance.propose_batch(&[contact_request()], &[]),
        Err(PluginCallError::RestartsExhausted { .. })
    ));
}

/// Issue 15 point 3: a library that fails to load in the runner (a pin mismatch, a file
/// that is not a library) is a typed load error; one that stops loading after a crash (the
/// file replaced) fails the restart, counted against the budget.
#[test]
fn a_library_that_fails_to_load_in_the_runner() {
    let (dir, path, sha256) = hostile();
    let mut wrong = sha256;
    wrong[0] ^= 1;
    let error = IsolatedInstance::start(&path, wrong, "", &options()).unwrap_err();
    assert!(matches!(error, PluginLoadError::PinMismatch { .. }), "{error}");
    let text = dir.path().join("libtext.so");
    std::fs::write(&text, "not a library").unwrap();
    let sha_text: [u8; 32] = sha2::Sha256::digest(b"not a library").into();
    let error = IsolatedInstance::start(&text, sha_text, "", &options()).unwrap_err();
    assert!(
        matches!(&error, PluginLoadError::Runner { reason, .. } if reason.contains("cannot load")),
        "{error}"
    );

    let instance = IsolatedInstance::start(&path, sha256, "score:segv", &options()).unwrap();
    assert!(matches!(instance.score_batch(&requests(1)), Err(PluginCallError::Crashed { .. })));
    std::fs::write(&path, "replaced").unwrap();
    let error = instance.score_batch(&requests(1)).unwrap_err();
    assert!(
        matches!(&error, PluginCallError::RestartFailed { reason, .. } if reason.contains("has SHA-256")),
        "{error}"
    );
    assert_eq!(instance.failures(), 2);

    let missing = IsolationOptions { runner: Some(dir.path().join("no-runner")), ..options() };
    let error = IsolatedInstance::start(&path, sha256, "", &missing).unwrap_err();
    assert!(matches!(error, PluginLoadError::RunnerNotFound { how: "the runner option", .. }));
}

/// Issue 15 point 3: a Rust plugin built with `panic = "abort"` that panics takes only its
/// runner down.
#[test]
fn a_rust_plugin_built_to_abort_on_panic_crashes_only_its_runner() {
    let dir = tempfile::tempdir().unwrap();
    let sdk = workspace_root().join("crates/arrears-plugin-sdk");
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"aborting\"\nversion = \"0.0.1\"\nedition = \"2021\"\n\
             [lib]\ncrate-type = [\"cdylib\"]\npath = \"src/lib.rs\"\n\
             [dependencies]\narrears-plugin-sdk = {{ path = {:?} }}\n[workspace]\n\
             [profile.dev]\npanic = \"abort\"\n",
            sdk.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/plugins/panicking.rs"),
        dir.path().join("src/lib.rs"),
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let target =
        exe.parent().unwrap().parent().unwrap().parent().unwrap().join("plugin-tests-abort");
    let status = Command::new(env!("CARGO"))
        .current_dir(dir.path())
        .args(["build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .status()
        .unwrap();
    assert!(status.success(), "building the aborting plugin failed");
    let path = target.join("debug/libaborting.so");
    let sha256 = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap().sha256().unwrap();
    // The panic message and backtrace are printed before the abort: a generous deadline, and
    // room for the symbols (under the tests' 128 MiB the allocator fails while printing, and
    // the plugin then hangs in its own panic handler: caught by the deadline, but not this
    // test's point).
    let options = IsolationOptions {
        call_deadline_ms: 5_000,
        memory_limit_bytes: arrears::plugin_host::MEMORY_LIMIT_BYTES_DEFAULT,
        ..options()
    };
    let instance = IsolatedInstance::start(&path, sha256, "", &options).unwrap();
    let mut unlucky = requests(2);
    unlucky[1].features.as_mut().unwrap().days_past_due = 13;
    let error = instance.score_batch(&unlucky).unwrap_err();
    assert!(matches!(error, PluginCallError::Crashed { signal: 6, .. }), "{error}");
    // Restarted: the next call is answered.
    assert_eq!(instance.score_batch(&requests(1)).unwrap()[0].points, 700.0);
}

/// Issue 15 point 2: in-process, a call past its deadline returns `DeadlineExceeded` and
/// poisons the instance (the call itself is abandoned: here it ends 50 ms later).
#[test]
fn the_in_process_watchdog_stops_waiting_at_the_deadline() {
    let (_dir, path, _) = hostile();
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let instance = Arc::new(plugin.instantiate("score:slow").unwrap());
    let features = requests(1)[0].features.clone().unwrap();
    let patient = PluginScorer::new("hostile", instance.clone())
        .unwrap()
        .with_deadline(Some(Duration::from_millis(2_000)));
    assert_eq!(patient.score_batch(std::slice::from_ref(&features)).unwrap()[0].points, 500.0);
    let hasty = patient.with_deadline(Some(Duration::from_millis(10)));
    let started = Instant::now();
    let error = hasty.score_batch(std::slice::from_ref(&features)).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(45), "{:?}", started.elapsed());
    assert_eq!(error.reason, "plugin \"hostile\" did not answer within 10 ms");
    assert!(instance.is_poisoned());
    let error = hasty.score_batch(&[features]).unwrap_err();
    assert!(error.reason.contains("poisoned"), "{}", error.reason);
}

/// Runs `call` on three threads at once and returns what each returned, with its time.
fn three_at_once<T: Send + 'static>(
    call: impl Fn() -> T + Send + Sync + 'static,
) -> Vec<(T, Duration)> {
    let call = Arc::new(call);
    let start = Arc::new(std::sync::Barrier::new(3));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (call, start) = (Arc::clone(&call), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                let started = Instant::now();
                let result = call();
                (result, started.elapsed())
            })
        })
        .collect();
    threads.into_iter().map(|thread| thread.join().unwrap()).collect()
}

/// Calls queued on one instance (three threads, a plugin that takes 1 s, a deadline of 1.5 s):
/// the first answers, the second waits for it and answers with its whole deadline, the third
/// gives up waiting at its deadline with `Busy`, nothing asked of the plugin, and the instance
/// is not blamed. Before, an isolated call waited for every call before it (here 3 s), and an
/// in-process one under the watchdog poisoned the instance for the other thread's call.
#[test]
fn calls_queued_on_one_instance_wait_at_most_their_deadline_and_blame_nobody() {
    let (_dir, path, sha256) = hostile();
    let deadline = Duration::from_millis(1_500);
    let check = |results: Vec<(Result<(), String>, Duration)>| {
        let answered = results.iter().filter(|(result, _)| result.is_ok()).count();
        assert_eq!(answered, 2, "{results:?}");
        let (error, waited) = results.iter().find(|(result, _)| result.is_err()).unwrap();
        let error = error.as_ref().unwrap_err();
        assert!(error.contains("was busy with other calls for 1"), "{error}");
        assert!(error.contains("it was not made"), "{error}");
        // Gave up at its deadline, while the second call still ran.
        assert!(*waited >= deadline && *waited < Duration::from_millis(1_950), "{waited:?}");
    };

    let options = IsolationOptions { call_deadline_ms: 1_500, ..options() };
    let instance =
        Arc::new(IsolatedInstance::start(&path, sha256, "sleep 1000", &options).unwrap());
    let runner = instance.runner_id();
    let shared = Arc::clone(&instance);
    check(three_at_once(move || {
        shared.score_batch(&requests(1)).map(|_| ()).map_err(|error| error.to_string())
    }));
    assert_eq!(instance.failures(), 0);
    assert_eq!(instance.runner_id(), runner, "the runner was not restarted");

    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let instance = Arc::new(plugin.instantiate("sleep 1000").unwrap());
    let scorer =
        PluginScorer::new("hostile", instance.clone()).unwrap().with_deadline(Some(deadline));
    let features = requests(1)[0].features.clone().unwrap();
    check(three_at_once(move || {
        scorer.score_batch(std::slice::from_ref(&features)).map(|_| ()).map_err(|e| e.reason)
    }));
    assert!(!instance.is_poisoned());
}

/// Runs `call` on a thread and waits for it at most `limit`: a call that hangs fails the test
/// instead of hanging it.
fn within<T: Send + 'static>(limit: Duration, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(call());
    });
    answer.recv_timeout(limit).expect("the call hung")
}

/// A plugin that closes every descriptor of its runner, or writes garbage to every one, takes
/// only its runner down: a typed error, the runner reaped, the next call restarts it.
#[test]
fn a_plugin_that_closes_or_scribbles_on_every_descriptor_ends_only_its_runner() {
    let (_dir, path, sha256) = hostile();
    let options = IsolationOptions { call_deadline_ms: 5_000, ..options() };
    for mode in ["closefds", "scribble"] {
        for call in ["score", "propose"] {
            let config = format!("{call}:{mode}");
            let instance = IsolatedInstance::start(&path, sha256, &config, &options).unwrap();
            let pid = instance.runner_id().unwrap();
            let started = Instant::now();
            let error = match call {
                "score" => instance.score_batch(&requests(3)).map(|_| ()),
                _ => instance.propose_batch(&[contact_request()], &[]).map(|_| ()),
            }
            .unwrap_err();
            assert!(
                matches!(
                    error,
                    PluginCallError::Exited { .. }
                        | PluginCallError::Protocol { .. }
                        | PluginCallError::Crashed { .. }
                ),
                "{config}: {error:?}"
            );
            assert!(started.elapsed() < Duration::from_secs(2), "{config}");
            assert!(reaped(pid), "{config}");
            assert_eq!(instance.failures(), 1, "{config}");
        }
    }
}

/// Score requests with an attribute each, large enough that a batch of 4,096 fills a pipe
/// many times over (several hundred KiB).
fn large_requests() -> Vec<ScoreRequest> {
    let mut large = requests(4_096);
    for request in &mut large {
        request.attributes.push(("note".into(), AttributeValue::Text("n".repeat(200))));
    }
    large
}

/// A plugin that puts another pipe in place of its runner's input (dup2) and keeps the real
/// one open, unread: the host's next request, larger than the pipe holds, meets the deadline
/// in the write; a restart answers.
#[test]
fn a_runner_whose_input_the_plugin_replaced() {
    let (_dir, path, sha256) = hostile();
    let instance =
        Arc::new(IsolatedInstance::start(&path, sha256, "score:steal-input", &options()).unwrap());
    let pid = instance.runner_id().unwrap();
    assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
    let calling = instance.clone();
    let started = Instant::now();
    let error = within(Duration::from_secs(20), move || calling.score_batch(&large_requests()))
        .unwrap_err();
    assert!(matches!(error, PluginCallError::DeadlineExceeded { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(reaped(pid));
    assert_eq!(instance.propose_batch(&[contact_request()], &[]).unwrap().len(), 1);
}

/// A plugin that closes its runner's input: the host's next write meets a closed pipe, a
/// typed error (never a SIGPIPE that kills the host), and a restart answers.
#[test]
fn a_runner_whose_input_the_plugin_closed() {
    let (_dir, path, sha256) = hostile();
    let instance = IsolatedInstance::start(&path, sha256, "score:close-stdin", &options()).unwrap();
    assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
    std::thread::sleep(Duration::from_millis(100));
    let error = instance.score_batch(&large_requests()).unwrap_err();
    assert!(
        matches!(error, PluginCallError::Exited { .. } | PluginCallError::Protocol { .. }),
        "{error:?}"
    );
    assert_eq!(instance.failures(), 1);
    assert_eq!(instance.propose_batch(&[contact_request()], &[]).unwrap().len(), 1);
}

/// Threads a plugin leaves running after a call returns: one that crashes the runner later
/// makes the next call `Crashed` (and the one after that restarts); one that keeps calling
/// the host's `log` after the call does no harm, isolated or in-process.
#[test]
fn threads_that_outlive_the_call() {
    let (_dir, path, sha256) = hostile();
    let instance = IsolatedInstance::start(&path, sha256, "score:crash-later", &options()).unwrap();
    assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
    std::thread::sleep(Duration::from_millis(300));
    let error = instance.score_batch(&requests(1)).unwrap_err();
    assert!(matches!(error, PluginCallError::Crashed { signal: 11, .. }), "{error:?}");
    assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);

    let instance = IsolatedInstance::start(&path, sha256, "log-later", &options()).unwrap();
    for _ in 0..3 {
        assert_eq!(instance.score_batch(&requests(2)).unwrap().len(), 2);
        assert_eq!(instance.propose_batch(&[contact_request()], &[]).unwrap().len(), 1);
    }
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let in_process = plugin.instantiate("log-later").unwrap();
    assert_eq!(in_process.score_batch(&requests(2)).unwrap().len(), 2);
    // Destroyed while its thread still logs.
    drop(in_process);
    std::thread::sleep(Duration::from_millis(400));
}

/// Megabytes of log in one call, a message over STRING_BYTES_MAX, one not UTF-8 and one with
/// a null pointer: the call answers, isolated and in-process.
#[test]
fn a_log_flood_and_bad_log_messages_are_survived() {
    let (_dir, path, sha256) = hostile();
    let options = IsolationOptions { call_deadline_ms: 5_000, ..options() };
    let instance = IsolatedInstance::start(&path, sha256, "log-flood", &options).unwrap();
    assert_eq!(instance.score_batch(&requests(2)).unwrap().len(), 2);
    assert_eq!(instance.propose_batch(&[contact_request()], &[]).unwrap().len(), 1);
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let in_process = plugin.instantiate("log-flood").unwrap();
    assert_eq!(in_process.score_batch(&requests(2)).unwrap().len(), 2);
}

/// An error message that is not UTF-8 and claims more bytes than the buffer: the call fails
/// with the plugin's status and the buffer's bytes, decoded lossily, never more.
#[test]
fn an_error_message_that_is_not_utf8_or_too_long() {
    let (_dir, path, sha256) = hostile();
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let in_process = plugin.instantiate("bad-error").unwrap();
    let isolated = IsolatedInstance::start(&path, sha256, "bad-error", &options()).unwrap();
    let errors = [
        in_process.score_batch(&requests(1)).unwrap_err(),
        in_process.propose_batch(&[contact_request()], &[]).unwrap_err(),
        isolated.score_batch(&requests(1)).unwrap_err(),
        isolated.propose_batch(&[contact_request()], &[]).unwrap_err(),
    ];
    for error in errors {
        let PluginCallError::Failed { status: 8, message, .. } = &error else {
            panic!("{error:?}")
        };
        assert!(message.contains(" oops") && message.len() <= 1024 * 3, "{message:?}");
    }
    // The runner lives on: a plugin's error status is not a failure of the runner.
    assert_eq!(isolated.failures(), 0);
}

/// Outputs at exactly the ABI's limits are accepted (scores 0 and 1000, four reason codes of
/// 60 bytes, a template id of 48 bytes), and one byte past them refused, in and out of
/// process.
#[test]
fn outputs_at_the_limits_and_one_past() {
    let (_dir, path, sha256) = hostile();
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let in_process = plugin.instantiate("edges").unwrap();
    let isolated = IsolatedInstance::start(&path, sha256, "edges", &options()).unwrap();
    for scores in [in_process.score_batch(&requests(2)), isolated.score_batch(&requests(2))] {
        let scores = scores.unwrap();
        assert_eq!((scores[0].points, scores[1].points), (0.0, 1000.0));
        // The plugin's negative zero comes back as zero: "0", never "-0", in outputs.
        assert!(scores[0].points.is_sign_positive());
        assert_eq!(scores[0].points.to_string(), "0");
        assert_eq!(scores[1].reasons.len(), 4);
        assert!(scores[1].reasons.iter().all(|code| code.len() == 60));
    }
    for proposals in [
        in_process.propose_batch(&[contact_request()], &[]),
        isolated.propose_batch(&[contact_request()], &[]),
    ] {
        assert_eq!(proposals.unwrap()[0].template, "t".repeat(48));
    }
    let in_process = plugin.instantiate("edges-over").unwrap();
    let isolated = IsolatedInstance::start(&path, sha256, "edges-over", &options()).unwrap();
    for error in [
        in_process.score_batch(&requests(2)).unwrap_err(),
        isolated.score_batch(&requests(2)).unwrap_err(),
    ] {
        assert!(matches!(error, PluginCallError::BadReason { index: 0, .. }), "{error:?}");
    }
    for error in [
        in_process.propose_batch(&[contact_request()], &[]).unwrap_err(),
        isolated.propose_batch(&[contact_request()], &[]).unwrap_err(),
    ] {
        assert!(matches!(error, PluginCallError::BadProposal { index: 0, .. }), "{error:?}");
    }
    let in_process = plugin.instantiate("points-over").unwrap();
    let isolated = IsolatedInstance::start(&path, sha256, "points-over", &options()).unwrap();
    for error in [
        in_process.score_batch(&requests(2)).unwrap_err(),
        isolated.score_batch(&requests(2)).unwrap_err(),
    ] {
        let expected =
            PluginCallError::ScoreOutOfRange { plugin: "hostile".into(), index: 0, points: -0.001 };
        assert_eq!(error, expected);
    }
}

/// `init` that returns OK without an instance, that takes a while, or that never returns.
#[test]
fn init_without_an_instance_slow_or_hanging() {
    let (_dir, path, sha256) = hostile();
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let error = plugin.instantiate("init-null").unwrap_err();
    assert!(matches!(error, PluginLoadError::Init { status: 0, .. }), "{error:?}");
    let error = IsolatedInstance::start(&path, sha256, "init-null", &options()).unwrap_err();
    assert!(
        matches!(&error, PluginLoadError::Runner { reason, .. } if reason.contains("status 0")),
        "{error:?}"
    );
    // A start has at least 5 s, whatever the call deadline (300 ms here).
    let instance = IsolatedInstance::start(&path, sha256, "init-slow", &options()).unwrap();
    assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
    let started = Instant::now();
    let error = IsolatedInstance::start(&path, sha256, "init-hang", &options()).unwrap_err();
    assert!(
        matches!(&error, PluginLoadError::Runner { reason, .. } if reason.contains("did not answer within 5000 ms")),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}

/// `destroy` that hangs or crashes, isolated: the runner is killed without calling it, so
/// dropping the instance neither hangs nor crashes the host.
#[test]
fn an_isolated_destroy_that_hangs_or_crashes_is_never_waited_for() {
    let (_dir, path, sha256) = hostile();
    for mode in ["destroy-hang", "destroy-segv"] {
        let instance = IsolatedInstance::start(&path, sha256, mode, &options()).unwrap();
        let pid = instance.runner_id().unwrap();
        assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
        let started = Instant::now();
        within(Duration::from_secs(10), move || drop(instance));
        assert!(started.elapsed() < Duration::from_secs(1), "{mode}");
        assert!(reaped(pid), "{mode}");
    }
}

/// A runner that stops (SIGSTOP), in a call or between calls, meets the deadline: the host
/// does not block writing a large request to a runner that no longer reads.
#[test]
fn a_stopped_runner_meets_the_deadline_even_while_the_host_writes() {
    let (_dir, path, sha256) = hostile();
    let instance = IsolatedInstance::start(&path, sha256, "score:stop", &options()).unwrap();
    let pid = instance.runner_id().unwrap();
    let error = instance.score_batch(&requests(1)).unwrap_err();
    assert!(matches!(error, PluginCallError::DeadlineExceeded { .. }), "{error:?}");
    assert!(reaped(pid));

    let instance =
        Arc::new(IsolatedInstance::start(&path, sha256, "score:stop-later", &options()).unwrap());
    let pid = instance.runner_id().unwrap();
    assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
    // The runner stops itself 100 ms after answering.
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let calling = instance.clone();
    let error = within(Duration::from_secs(20), move || calling.score_batch(&large_requests()))
        .unwrap_err();
    assert!(matches!(error, PluginCallError::DeadlineExceeded { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(reaped(pid));
}

/// The same in a host whose SIGPIPE has its default action (an application that restored it,
/// as command-line tools often do): the write to the closed pipe must not kill it. Runs in a
/// child process of this test binary, started with a preloaded library that keeps Rust's
/// runtime from ignoring SIGPIPE before `main`.
#[test]
fn a_host_with_the_default_sigpipe_survives_a_closed_runner_input() {
    const CHILD: &str = "ARREARS_TEST_SIGPIPE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let ignored = status.lines().find_map(|line| line.strip_prefix("SigIgn:")).unwrap();
        let ignored = u64::from_str_radix(ignored.trim(), 16).unwrap();
        assert_eq!(ignored & (1 << (13 - 1)), 0, "SIGPIPE is ignored: the premise fails");
        let (_dir, path, sha256) = hostile();
        let instance =
            IsolatedInstance::start(&path, sha256, "score:close-stdin", &options()).unwrap();
        assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
        std::thread::sleep(Duration::from_millis(100));
        let error = instance.score_batch(&large_requests()).unwrap_err();
        println!("survived: {error}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("keep_sigpipe.c");
    std::fs::write(
        &keep,
        "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <signal.h>\n\
         typedef void (*handler_t)(int);\n\
         handler_t signal(int sig, handler_t handler) {\n\
           handler_t (*real)(int, handler_t) = (handler_t(*)(int, handler_t))dlsym(RTLD_NEXT, \"signal\");\n\
           if (sig == SIGPIPE) return SIG_DFL;\n\
           return real(sig, handler);\n\
         }\n",
    )
    .unwrap();
    let preload = compile_c(&keep, &dir.path().join("libkeep_sigpipe.so"), &[]);
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "isolation::a_host_with_the_default_sigpipe_survives_a_closed_runner_input",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1")
        .env("LD_PRELOAD", &preload)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("survived:"),
        "{:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The pid a `fork-segv` or `setsid-segv` plugin wrote.
fn forked_pid(file: &Path) -> u32 {
    std::fs::read_to_string(file).unwrap().trim().parse().unwrap()
}

/// True if the process `pid` ends (or is a zombie) within two seconds.
fn ends(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state is the field after the command's closing parenthesis.
        let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
        if stat.is_empty() || state == Some(Some('Z')) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A plugin that forks a child keeping the runner's pipes open, then crashes: the call is
/// `Crashed` at once (not a missed deadline: the pipes do not close while the child lives),
/// and the child, in the runner's process group, is killed with it.
#[test]
fn a_crash_is_reported_at_once_and_the_runners_children_killed() {
    let (dir, path, sha256) = hostile();
    let options = IsolationOptions { call_deadline_ms: 5_000, ..options() };
    for call in ["score", "propose"] {
        let file = dir.path().join(format!("{call}.pid"));
        let config = format!("{call}:fork-segv {}", file.display());
        let instance = IsolatedInstance::start(&path, sha256, &config, &options).unwrap();
        let pid = instance.runner_id().unwrap();
        let started = Instant::now();
        let error = within(Duration::from_secs(20), move || match call {
            "score" => instance.score_batch(&requests(3)).map(|_| ()),
            _ => instance.propose_batch(&[contact_request()], &[]).map(|_| ()),
        })
        .unwrap_err();
        assert!(matches!(error, PluginCallError::Crashed { signal: 11, .. }), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(reaped(pid));
        assert!(ends(forked_pid(&file)), "the runner's child outlived it");
    }
}

/// A child that left the runner's process group (`setsid`) is beyond the host's kill, but
/// the call still returns at once with the crash, and the host's threads on the runner's
/// pipes end. Runs in a child process of this test binary, whose threads it counts.
#[test]
fn a_crash_is_reported_at_once_when_a_child_escapes_to_its_own_session() {
    const CHILD: &str = "ARREARS_TEST_SETSID_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let name = "isolation::a_crash_is_reported_at_once_when_a_child_escapes_to_its_own_session";
        let output = Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{:?}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let (dir, path, sha256) = hostile();
    let options = IsolationOptions { call_deadline_ms: 5_000, ..options() };
    let file = dir.path().join("setsid.pid");
    let config = format!("score:setsid-segv {}", file.display());
    let instance = IsolatedInstance::start(&path, sha256, &config, &options).unwrap();
    let started = Instant::now();
    let error =
        within(Duration::from_secs(20), move || instance.score_batch(&requests(3))).unwrap_err();
    let elapsed = started.elapsed();
    // The host's threads that read the runner's pipes end, though the child keeps them open.
    let until = Instant::now() + Duration::from_secs(2);
    while 0 < plugin_threads() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    let threads = plugin_threads();
    // Clean up the escaped child before asserting.
    let child = forked_pid(&file);
    let _ = Command::new("kill").args(["-9", &child.to_string()]).status();
    assert!(matches!(error, PluginCallError::Crashed { signal: 11, .. }), "{error:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(threads, 0, "threads of the host still wait on the runner's pipes");
}

/// The threads of this process whose name starts as the plugin host's do.
fn plugin_threads() -> usize {
    let tasks = std::fs::read_dir("/proc/self/task").unwrap();
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("arrears-plugin"))
        .count()
}

/// In-process (a trusted library), `init` and `destroy` have a deadline too, when the
/// instance is created with one (as the store's registry does): an `init` that never returns
/// is `InitDeadlineExceeded`, a `destroy` that never returns is abandoned, and neither holds
/// the host.
#[test]
fn in_process_init_and_destroy_that_hang_are_abandoned_at_the_deadline() {
    let (_dir, path, _) = hostile();
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let deadline = Some(Duration::from_millis(300));
    let started = Instant::now();
    let hanging = plugin.clone();
    let error = within(Duration::from_secs(10), move || {
        hanging.instantiate_within("init-hang", deadline).map(|_| ())
    })
    .unwrap_err();
    assert!(
        matches!(error, PluginLoadError::InitDeadlineExceeded { deadline_ms: 300, .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    let instance = plugin.instantiate_within("destroy-hang", deadline).unwrap();
    assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
    let started = Instant::now();
    within(Duration::from_secs(10), move || drop(instance));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    // Without a deadline, as `instantiate`, and a `destroy` that returns is waited for.
    let instance = plugin.instantiate_within("", None).unwrap();
    assert_eq!(instance.score_batch(&requests(1)).unwrap()[0].points, 500.0);
    drop(instance);
}

/// A host killed while its runner is busy in the plugin (an endless loop here): the runner
/// does not outlive it. Runs the host in a child process of this test binary, killed with
/// SIGKILL.
#[test]
fn a_runner_does_not_outlive_its_host() {
    const CHILD: &str = "ARREARS_TEST_ORPHAN_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let (_dir, path, sha256) = hostile();
        let options = IsolationOptions { call_deadline_ms: 60_000, ..options() };
        let instance = IsolatedInstance::start(&path, sha256, "score:loop", &options).unwrap();
        println!("runner {}", instance.runner_id().unwrap());
        let _ = instance.score_batch(&requests(1));
        return;
    }
    let mut host = Command::new(std::env::current_exe().unwrap())
        .args(["isolation::a_runner_does_not_outlive_its_host", "--exact", "--nocapture"])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(host.stdout.take().unwrap()));
    let runner: u32 = loop {
        let line = lines.next().expect("the host printed no runner").unwrap();
        if let Some(pid) = line.strip_prefix("runner ") {
            break pid.trim().parse().unwrap();
        }
    };
    // The runner is in the plugin's loop by now, or soon.
    std::thread::sleep(Duration::from_millis(200));
    host.kill().unwrap();
    host.wait().unwrap();
    let ended = ends(runner);
    if !ended {
        let _ = Command::new("kill").args(["-9", &runner.to_string()]).status();
    }
    assert!(ended, "the runner {runner} outlived its host");
}

/// A plugin that writes a frame of 200 MiB on its runner's channel to the host (a pipe it can
/// find among its descriptors) is refused at the frame's length, before the host allocates or
/// reads it: answers are at most `ANSWER_BYTES_MAX` (16 MiB, ten times the largest answer).
/// Before, the host took answers up to the 256 MiB it allows the requests it sends, and read
/// all 200 MiB into its own memory, past the runner's memory limit (128 MiB here).
#[test]
fn a_frame_larger_than_any_answer_is_refused_at_its_length() {
    let (_dir, path, sha256) = hostile();
    let options = IsolationOptions { call_deadline_ms: 10_000, ..options() };
    let instance = IsolatedInstance::start(&path, sha256, "score:huge-frame", &options).unwrap();
    let pid = instance.runner_id().unwrap();
    let error = instance.score_batch(&requests(3)).unwrap_err();
    assert!(
        matches!(&error, PluginCallError::Protocol { reason, .. }
            if reason.contains("a frame of 209715200 bytes")),
        "{error:?}"
    );
    assert!(reaped(pid));
    // The next call starts a new runner, which misbehaves the same way.
    assert!(instance.score_batch(&requests(3)).is_err());
    assert_eq!(instance.failures(), 2);
}

/// An isolated plugin may signal its own runner process (and its process group) but no other
/// process: not the host (its parent), not every process of the user (`kill(-1, ...)`). The
/// plugin probes with signal 0, which sends nothing. Before, a plugin could kill or stop the
/// host that isolation was protecting, with one `kill(getppid(), SIGKILL)`.
#[test]
fn an_isolated_plugin_cannot_signal_its_host_or_other_processes() {
    let (_dir, path, sha256) = hostile();
    let instance =
        IsolatedInstance::start(&path, sha256, "score:signal-probe", &options()).unwrap();
    let scores = instance.score_batch(&requests(1)).unwrap();
    assert_eq!(scores[0].points, 500.0, "the plugin could signal another process");
}

/// The deadline is that of one call of at most `BATCH_LEN_MAX` inputs, in-process as isolated:
/// a batch of 9,000 accounts is three calls of a plugin that takes 400 ms each, and each
/// has the whole deadline of 1 s. Before, the in-process watchdog gave the whole batch one
/// deadline: a trusted plugin that answers every call in time was poisoned for a large
/// batch (`arrears cycle --batch 9000`), which the same plugin isolated scored.
#[test]
fn the_in_process_deadline_is_per_call_of_at_most_batch_len_max_inputs() {
    let (_dir, path, sha256) = hostile();
    let features: Vec<Features> =
        requests(9_000).into_iter().map(|request| request.features.unwrap()).collect();
    let options = IsolationOptions { call_deadline_ms: 1_000, ..options() };
    let isolated = IsolatedInstance::start(&path, sha256, "sleep 400", &options).unwrap();
    let isolated = PluginScorer::isolated("hostile", Arc::new(isolated)).unwrap();
    assert_eq!(isolated.score_batch(&features).unwrap().len(), 9_000);

    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let instance = Arc::new(plugin.instantiate("sleep 400").unwrap());
    let in_process = PluginScorer::new("hostile", instance.clone())
        .unwrap()
        .with_deadline(Some(Duration::from_millis(1_000)));
    assert_eq!(in_process.score_batch(&features).unwrap().len(), 9_000);
    assert!(!instance.is_poisoned());
    let strategy = PluginStrategy::new("hostile", instance)
        .unwrap()
        .with_deadline(Some(Duration::from_millis(1_000)));
    let requests = vec![contact_request(); 9_000];
    assert_eq!(strategy.propose_batch(&requests).unwrap().len(), 9_000);
}

/// A plugin's error message is text the host prints and stores (the cycle's report on
/// standard output, the audit log): its control characters come back escaped (`\u{1b}`,
/// `\r`, `\n`), in and out of process, from a call or from `init`. Before, a message with a
/// terminal escape sequence and a newline reached `arrears cycle`'s report as written: it
/// could erase the line it was on and forge another, from an isolated plugin that otherwise
/// cannot write to the host's standard output.
#[test]
fn control_characters_in_a_plugin_error_message_are_escaped() {
    let (_dir, path, sha256) = hostile();
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let in_process = plugin.instantiate("escape-error").unwrap();
    let isolated = IsolatedInstance::start(&path, sha256, "escape-error", &options()).unwrap();
    let escaped = r"\u{1b}[2K\r  arm champion: all fine\n";
    let errors = [
        in_process.score_batch(&requests(1)).unwrap_err(),
        in_process.propose_batch(&[contact_request()], &[]).unwrap_err(),
        isolated.score_batch(&requests(1)).unwrap_err(),
        isolated.propose_batch(&[contact_request()], &[]).unwrap_err(),
    ];
    for error in errors {
        let PluginCallError::Failed { status: 8, message, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(message, escaped);
    }
    let error = plugin.instantiate("init-escape").unwrap_err();
    assert!(
        matches!(&error, PluginLoadError::Init { status: 2, message, .. } if message == escaped),
        "{error:?}"
    );
    let error = IsolatedInstance::start(&path, sha256, "init-escape", &options()).unwrap_err();
    let text = error.to_string();
    assert!(text.contains(escaped) && !text.chars().any(char::is_control), "{text:?}");
}

/// An isolated plugin does not see its host's environment: its runner starts with an empty
/// one plus the few variables of docs/PLUGIN_ABI.md ("Isolation", the runner's environment).
/// A secret of the host (`ARREARS_RELAY_DSN`, a PostgreSQL DSN with its password, or any
/// other variable) is not in the plugin's; an allowed variable (`TZ`) is, with the host's
/// value. The host runs in a child process of this test binary, the variables set on that
/// process only (never in this multi-threaded one); the same plugin trusted, in the host's
/// own process, sees them, which shows they were set. Before, the runner inherited the whole
/// environment, and a plugin read the DSN with one `getenv`.
#[test]
fn an_isolated_plugin_does_not_see_its_hosts_environment() {
    const CHILD: &str = "ARREARS_TEST_ENVIRONMENT_CHILD";
    const SECRET: &str = "postgres://arrears:hunter2@db.internal/arrears";
    const ZONE: &str = "America/Bogota";
    // The plugin scores 0 for a variable it does not see, else 1 plus its value's length.
    let seen = |value: &str| 1.0 + value.len() as f64;
    if std::env::var_os(CHILD).is_some() {
        let (_dir, path, sha256) = hostile();
        let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
        let probe = |name: &str| {
            let config = format!("score:env-probe {name}");
            let isolated = IsolatedInstance::start(&path, sha256, &config, &options()).unwrap();
            let in_process = plugin.instantiate(&config).unwrap();
            let isolated = isolated.score_batch(&requests(1)).unwrap()[0].points;
            let in_process = in_process.score_batch(&requests(1)).unwrap()[0].points;
            (isolated, in_process)
        };
        for name in ["ARREARS_RELAY_DSN", "ARREARS_TEST_SECRET"] {
            assert_eq!(probe(name), (0.0, seen(SECRET)), "{name}: (isolated, in-process)");
        }
        assert_eq!(probe("TZ"), (seen(ZONE), seen(ZONE)), "TZ: (isolated, in-process)");
        println!("checked");
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "isolation::an_isolated_plugin_does_not_see_its_hosts_environment",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("ARREARS_RELAY_DSN", SECRET)
        .env("ARREARS_TEST_SECRET", SECRET)
        .env("TZ", ZONE)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("checked"),
        "{:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A host whose standard error is a pipe nobody reads still gets its isolated plugin's
/// answers: a plugin that writes 4 MiB to its standard error (which its runner's pipe carries
/// to the host, whose thread copies it to the host's standard error) answers every call, and
/// nothing is counted against it. The host runs in a child process of this test binary whose
/// standard error is a pipe this test never reads. Before, the host's thread blocked on the
/// full pipe, stopped reading the runner's, the runner blocked in its own write, and each call
/// met its deadline (`DeadlineExceeded`, a restart, and at the budget's end a poisoned
/// instance), though the plugin had answered; without a deadline the host hung.
#[test]
fn a_host_whose_standard_error_nobody_reads_still_gets_its_answers() {
    const CHILD: &str = "ARREARS_TEST_UNREAD_STDERR_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let (_dir, path, sha256) = hostile();
        let options = IsolationOptions { call_deadline_ms: 5_000, ..options() };
        let instance = IsolatedInstance::start(&path, sha256, "stderr-flood", &options).unwrap();
        for call in 0..3 {
            // Printed before any assertion: a failed one writes to the full pipe.
            let scores = instance.score_batch(&requests(2)).map(|scores| scores.len());
            let proposals =
                instance.propose_batch(&[contact_request()], &[]).map(|found| found.len());
            println!("call {call}: {scores:?} {proposals:?} failures {}", instance.failures());
        }
        println!("done");
        return;
    }
    let mut host = Command::new(std::env::current_exe().unwrap())
        .args([
            "isolation::a_host_whose_standard_error_nobody_reads_still_gets_its_answers",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kept open and never read.
    let _stderr = host.stderr.take().unwrap();
    let mut stdout = host.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let started = Instant::now();
    let finished = loop {
        if let Some(status) = host.try_wait().unwrap() {
            break Some(status);
        }
        if Duration::from_secs(60) < started.elapsed() {
            host.kill().unwrap();
            host.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = reader.join().unwrap();
    assert!(finished.is_some_and(|status| status.success()), "{finished:?}\n{stdout}");
    for call in 0..3 {
        let expected = format!("call {call}: Ok(2) Ok(1) failures 0");
        assert!(stdout.contains(&expected), "{expected:?} in\n{stdout}");
    }
    assert!(stdout.contains("done"), "{stdout}");
}

/// What an isolated plugin writes to its standard output or error reaches its host's standard
/// error (through the runner's pipe and the host's one writing thread). The host runs in a
/// child process of this test binary, whose standard error this test reads.
#[test]
fn an_isolated_plugins_standard_output_reaches_the_hosts_standard_error() {
    const CHILD: &str = "ARREARS_TEST_PRINT_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let (_dir, path, sha256) = hostile();
        let instance = IsolatedInstance::start(&path, sha256, "score:print", &options()).unwrap();
        assert_eq!(instance.score_batch(&requests(1)).unwrap().len(), 1);
        // The bytes are copied by threads of the host: give them time before it exits.
        std::thread::sleep(Duration::from_millis(500));
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "isolation::an_isolated_plugins_standard_output_reaches_the_hosts_standard_error",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stderr.contains("hello from the plugin\n"), "{stderr}");
}
