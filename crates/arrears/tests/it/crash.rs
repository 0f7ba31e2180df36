//! Crash test: a child process posts payments and runs cycles, printing each acknowledged
//! command; the parent kills it with SIGKILL at seeded random moments, reopens the store and
//! checks that every acknowledged command is there exactly once, that the command in flight
//! is all there or not at all, and that `verify` is clean.
//!
//! The child is this test binary itself, re-executed as `--exact crash::child` with
//! `ARREARS_CRASH_CHILD` set. `ARREARS_CRASH_KILLS` sets the number of kills (default 50;
//! the longer mode in docs/DURABILITY.md uses thousands).

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use arrears::ids::AccountId;
use arrears::{Arrears, Command, Durability, Options};

use crate::support::{account, charge, d, usd};

const ACCOUNTS: usize = 20;

fn options() -> Options {
    Options { durability: Durability::Immediate, ..Options::default() }
}

/// The `n`-th command of the stream: `None` for a cycle (every tenth), else a payment.
fn command(n: u64, ids: &[AccountId]) -> Option<Command> {
    if n % 10 == 9 {
        return None;
    }
    Some(Command::Payment {
        account: ids[(n % ids.len() as u64) as usize],
        effective_on: d(2, 1),
        amount: usd(100 + (n % 50) as i64),
        directed_to: None,
    })
}

fn cycle_day(n: u64) -> chrono::NaiveDate {
    d(2, 2) + chrono::Days::new(n / 10)
}

fn ids(books: &Arrears) -> Vec<AccountId> {
    (0..ACCOUNTS).map(|i| books.find_account(&format!("K{i}")).unwrap().unwrap()).collect()
}

/// The child: runs commands from `ARREARS_CRASH_FROM` on until killed.
#[test]
fn child() {
    let Ok(path) = std::env::var("ARREARS_CRASH_CHILD") else { return };
    let from: u64 = std::env::var("ARREARS_CRASH_FROM").unwrap().parse().unwrap();
    let books = Arrears::open_with(&path, options()).unwrap();
    let ids = ids(&books);
    for n in from.. {
        println!("START {n}");
        match command(n, &ids) {
            Some(command) => {
                let receipt = books.execute(&format!("k{n}"), &command).unwrap();
                assert!(!receipt.outcome.is_rejected());
            }
            None => {
                books.run_cycle(cycle_day(n)).unwrap();
            }
        }
        println!("ACK {n}");
    }
}

/// Xorshift, seeded: the kill moments.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

fn setup(path: &Path) {
    let books = Arrears::create_with(path, options()).unwrap();
    for i in 0..ACCOUNTS {
        let id = account(&books, &format!("K{i}"));
        charge(&books, &format!("charge{i}"), id, d(1, 1), d(1, 31), 1_000_000);
    }
}

/// Payment events recorded under an idempotency key. (A payment to an account placed with an
/// agency also records the agency's commission under the same key, and the cycles place
/// accounts once the stream reaches the spring.)
fn events_with_key(books: &Arrears, account: AccountId, key: &str) -> usize {
    books
        .events(account)
        .unwrap()
        .iter()
        .filter(|record| {
            record.key == key
                && matches!(record.event.kind, arrears::ledger::EventKind::Payment { .. })
        })
        .count()
}

#[test]
fn killed_child_loses_nothing_acknowledged() {
    let kills: u64 =
        std::env::var("ARREARS_CRASH_KILLS").ok().and_then(|text| text.parse().ok()).unwrap_or(50);
    let seed: u64 = std::env::var("ARREARS_CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0x5eed_c4a5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    setup(&path);
    let mut rng = Rng(seed);
    let mut next = 0_u64;
    let mut acknowledged_total = 0;
    let started = Instant::now();
    for kill in 0..kills {
        let delay = Duration::from_millis(10 + rng.below(140));
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash::child", "--nocapture", "--test-threads=1"])
            .env("ARREARS_CRASH_CHILD", &path)
            .env("ARREARS_CRASH_FROM", next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            let mut started = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("ACK ") {
                    acked.push(n.parse::<u64>().unwrap());
                } else if let Some(n) = line.strip_prefix("START ") {
                    started.push(n.parse::<u64>().unwrap());
                }
            }
            (acked, started)
        });
        std::thread::sleep(delay);
        // SIGKILL.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "kill {kill}: the child ended by itself: {status}");
        let (acked, started_commands) = reader.join().unwrap();
        acknowledged_total += acked.len();

        let books = Arrears::open_with(&path, options()).unwrap();
        let report = books.verify().unwrap();
        assert!(report.is_clean(), "kill {kill} (seed {seed}): {:?}", report.problems);
        let ids = ids(&books);
        for &n in &started_commands {
            let Some(command) = command(n, &ids) else { continue };
            let Command::Payment { account, .. } = &command else { unreachable!() };
            let key = format!("k{n}");
            let count = events_with_key(&books, *account, &key);
            if acked.contains(&n) {
                assert_eq!(count, 1, "kill {kill}: acknowledged {key} is there {count} times");
                let receipt = books.execute(&key, &command).unwrap();
                assert!(receipt.replayed, "kill {kill}: acknowledged {key} not replayed");
            } else {
                // In flight when killed: all of it or nothing.
                assert!(count <= 1, "kill {kill}: {key} in flight is there {count} times");
            }
        }
        // Commands in flight that did not land are simply issued again under new numbers.
        next = started_commands.iter().max().map_or(next, |max| max + 1);
    }
    assert!(acknowledged_total > 0, "no child acknowledged anything");
    eprintln!(
        "crash test: {kills} kills, {acknowledged_total} acknowledged commands, {:?}",
        started.elapsed()
    );
}
