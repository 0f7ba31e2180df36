//! Several processes on one store (issue 14 point 2): an application holds the store open and
//! posts payments while other processes read it (`report`, `show`, `verify`, `actions list`)
//! and a scheduler runs `arrears cycle` against it, all real processes.
//!
//! Method: the application is `arrears-app-child` (tests/app_child/), which prints `ACK n`
//! after each payment commits; the readers and the cycle are the `arrears` binary. Every
//! process runs under a deadline and the test fails, naming it, if one is passed (a hang or a
//! deadlock). At the end every acknowledged payment must replay (`check`: it is in the store
//! exactly once), `verify` must be clean (the audit chain included) and the cycle complete.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::{Env, Run, RECORDED_AT};

/// Longest any one process may run before the test calls it hung.
const DEADLINE: Duration = Duration::from_secs(60);

/// Payments the application posts.
const PAYMENTS: u64 = 120;

/// Acknowledged payments after which the scheduler starts the cycle.
const CYCLE_AFTER_ACKS: usize = 20;

/// Output files of bounded runs, numbered so that concurrent runs never share one.
static RUNS: AtomicUsize = AtomicUsize::new(0);

fn app_child() -> Command {
    Command::new(env!("CARGO_BIN_EXE_arrears-app-child"))
}

/// Waits for `child` until [`DEADLINE`]; past it kills it and fails, naming `what`.
fn wait_bounded(mut child: Child, what: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} ran for more than {DEADLINE:?}: hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `arrears --db <store> --recorded-at <fixed> ARGS` under the deadline, its output in
/// files (a pipe that fills would stop the process, which the deadline would call a hang).
fn run_bounded(env: &Env, args: &[&str]) -> Run {
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let stdout: PathBuf = env.dir().join(format!("run-{n}.out"));
    let stderr: PathBuf = env.dir().join(format!("run-{n}.err"));
    let child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("--db")
        .arg(env.db())
        .arg("--recorded-at")
        .arg(RECORDED_AT)
        .args(args)
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("run arrears");
    let status = wait_bounded(child, &format!("arrears {}", args.join(" ")));
    let read = |path: &Path| std::fs::read_to_string(path).expect("output");
    Run { code: status.code().unwrap_or(-1), stdout: read(&stdout), stderr: read(&stderr) }
}

/// The commands a reader runs, in turn.
const READS: [&[&str]; 4] = [
    &["report", "aging", "--as-of", "2026-11-20", "--json"],
    &["show", "account", "TC-8001", "--json"],
    &["verify", "--json"],
    &["actions", "list", "--json"],
];

#[test]
fn an_application_writes_while_readers_report_and_a_scheduled_cycle_runs() {
    let env = Env::sample();
    let started = Instant::now();
    let mut app = app_child()
        .arg(env.db())
        .args(["post", &PAYMENTS.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the application");
    let app_out = app.stdout.take().expect("piped");
    let writing = AtomicBool::new(true);
    let reads = AtomicUsize::new(0);
    let (acks, cycle) = std::thread::scope(|scope| {
        // The application's acknowledgements, read as they come (the pipe never fills).
        // The cycle starts once the application is well under way.
        let (under_way, wait_under_way) = std::sync::mpsc::channel();
        let acks = scope.spawn(move || {
            use std::io::BufRead;
            let mut acks = Vec::new();
            for line in std::io::BufReader::new(app_out).lines() {
                let line = line.expect("stdout line");
                if let Some(n) = line.strip_prefix("ACK ") {
                    acks.push(n.parse::<u64>().expect("n"));
                    if acks.len() == CYCLE_AFTER_ACKS {
                        let _ = under_way.send(());
                    }
                }
            }
            acks
        });
        for reader in 0..2 {
            let (env, writing, reads) = (&env, &writing, &reads);
            scope.spawn(move || {
                let mut turn = reader;
                while writing.load(Ordering::Relaxed) {
                    let args = READS[turn % READS.len()];
                    let run = run_bounded(env, args);
                    // Every read sees one commit whole: `verify` is clean at every point.
                    let value = run.json();
                    if args[0] == "verify" {
                        assert_eq!(value["problems"], serde_json::json!([]), "{value}");
                    }
                    reads.fetch_add(1, Ordering::Relaxed);
                    turn += 1;
                }
            });
        }
        // The scheduler's cycle, against the store the application holds.
        let env = &env;
        let cycle = scope.spawn(move || {
            let _ = wait_under_way.recv();
            run_bounded(env, &["cycle", "--as-of", "2026-11-20", "--json"])
        });
        let status = wait_bounded(app, "the application");
        assert!(status.success(), "the application failed: {status}");
        writing.store(false, Ordering::Relaxed);
        (acks.join().expect("acks"), cycle.join().expect("cycle"))
    });
    let elapsed = started.elapsed();
    eprintln!(
        "{} payments acknowledged, {} reads, cycle done, in {elapsed:?}",
        acks.len(),
        reads.load(Ordering::Relaxed)
    );
    assert_eq!(acks, (0..PAYMENTS).collect::<Vec<u64>>());
    assert!(0 < reads.load(Ordering::Relaxed), "no reader ran while the application wrote");
    let cycle = cycle.json();
    assert_eq!(cycle["complete"], true, "{cycle}");
    assert_eq!(cycle["reviewed"], 15, "every account is due on its first cycle: {cycle}");

    // Nothing acknowledged is lost: every payment replays (it is there, exactly once).
    let check =
        app_child().arg(env.db()).args(["check", &PAYMENTS.to_string()]).output().expect("check");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let check = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(check.lines().any(|line| line == format!("REPLAYED {PAYMENTS}")), "{check}");
    // Reported, not asserted (the scheduler decides): how far the application had got when the
    // cycle's first batch committed.
    let cycle_after = check.lines().find_map(|line| line.strip_prefix("CYCLE_AFTER "));
    eprintln!("the cycle committed after {} of {PAYMENTS} payments", cycle_after.unwrap_or("?"));
    // The books, the indexes, the idempotency records and the audit chain verify.
    let verify = run_bounded(&env, &["verify", "--json"]).json();
    assert_eq!(verify["problems"], serde_json::json!([]), "{verify}");
    // A second cycle for the same date finds nothing due: the first one was not lost either.
    let again = run_bounded(&env, &["cycle", "--as-of", "2026-11-20", "--json"]).json();
    assert_eq!(again["reviewed"], 0, "{again}");
}

/// A writer that finds the write lock held longer than `--write-wait-ms` fails with an error
/// that says so, after about that wait, and writes nothing; readers are not held up at all.
#[test]
fn a_write_lock_held_too_long_is_a_clear_error_not_a_hang() {
    let env = Env::sample();
    let before = env.snapshot();
    let mut holder = app_child()
        .arg(env.db())
        .args(["hold", "3000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the holder");
    {
        use std::io::BufRead;
        let mut line = String::new();
        let mut out = std::io::BufReader::new(holder.stdout.take().expect("piped"));
        out.read_line(&mut line).expect("HELD");
        assert_eq!(line.trim(), "HELD");
    }
    let started = Instant::now();
    let payment = run_bounded(
        &env,
        &[
            "--write-wait-ms",
            "200",
            "post",
            "payment",
            "--account",
            "TC-8001",
            "--amount",
            "1.00",
            "--on",
            "2026-11-20",
            "--key",
            "BUSY-PAY",
        ],
    );
    let waited = started.elapsed();
    assert_eq!(payment.code, 1, "{}", payment.stdout);
    assert!(
        payment.stderr.contains("another writer held the store's write lock for 200 ms"),
        "{}",
        payment.stderr
    );
    assert!(waited < Duration::from_millis(2_500), "waited {waited:?}");
    // Readers do not wait for the writer.
    run_bounded(&env, &["verify"]).ok();
    assert!(wait_bounded(holder, "the holder").success());
    assert_eq!(env.snapshot(), before, "the refused payment wrote nothing");
}

/// A store file without write permission opens read-only for the commands that only read, and
/// none of them changes a byte of it.
#[test]
fn read_only_commands_work_on_a_read_only_file_and_never_write() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::sample();
    env.run(&["cycle", "--as-of", "2026-11-20"]).ok();
    std::fs::set_permissions(env.db(), std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let before = std::fs::read(env.db()).expect("store bytes");
    for args in READS {
        run_bounded(&env, args).json();
    }
    for args in [
        &["verify"][..],
        &["audit", "head"],
        &["policy", "show"],
        &["report", "kpis", "--from", "2026-11-01", "--to", "2026-11-20"],
    ] {
        run_bounded(&env, args).ok();
    }
    assert_eq!(std::fs::read(env.db()).expect("store bytes"), before);
}
