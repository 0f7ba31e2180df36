//! What a consumer of the change feed costs the write path (issue 20 point 1): payments posted
//! in commits of `ARREARS_FEED_COMMIT` (default 100) on 2,000 accounts, alone and while a
//! consumer follows the feed as a relay would (pages of 1,000 changes from its cursor,
//! decoding every command and outcome, sleeping `ARREARS_FEED_POLL_MS` (default 1) when caught
//! up), in alternating rounds (a round of each kind, alone first in even rounds and the
//! consumer's first in odd ones). Prints one JSON line per round and a summary with the median
//! ratio of the rates, their spread, and the median ratio of the writer thread's CPU time:
//! `cargo run --release -p arrears-benches --example feed_cost`.
//!
//! `ARREARS_FEED_CONSUMER` says where the consumer runs:
//!
//! - `thread` (the default): a second thread of the writer's process, on the same handle (the
//!   store opened `Sharing::Exclusive`, as every other benchmark);
//! - `process`: another process, as `arrears relay` runs beside an application: this example
//!   again (`feed_cost --consume PATH CURSOR`), which opens the store read-only and follows the
//!   feed until its standard input closes. The writer then opens the store in a mode other
//!   processes may share: `ARREARS_FEED_SHARING` `multi` (the default, `Sharing::MultiWriter`,
//!   what `Arrears::open` gives) or `single` (`Sharing::SingleWriter`). Both kinds of round use
//!   that same handle, so the ratio is the consumer's cost alone, not the mode's (section 8 of
//!   docs/BENCHMARKS.md measures the modes).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::{Arrears, Options, Sharing};
use arrears_benches::{
    add_accounts, arrears_post, day, options, payment_charges, summary, CACHE_BYTES,
};

/// Payments per round, unless `ARREARS_FEED_ROUND` says otherwise.
const ROUND: usize = 4_000;
/// Rounds of each kind, unless `ARREARS_FEED_ROUNDS` says otherwise (at least 1).
const ROUNDS: usize = 5;
/// Accounts of the portfolio.
const ACCOUNTS: usize = 2_000;

/// Where the consumer runs.
#[derive(Clone, Copy, PartialEq)]
enum Consumer {
    Thread,
    Process(Sharing),
}

impl Consumer {
    fn from_env() -> Consumer {
        match std::env::var("ARREARS_FEED_CONSUMER").as_deref() {
            Ok("process") => match std::env::var("ARREARS_FEED_SHARING").as_deref() {
                Ok("single") => Consumer::Process(Sharing::SingleWriter),
                _ => Consumer::Process(Sharing::MultiWriter),
            },
            _ => Consumer::Thread,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Consumer::Thread => "thread",
            Consumer::Process(Sharing::SingleWriter) => "process, single_writer",
            Consumer::Process(_) => "process, multi_writer",
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|text| text.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, path, cursor] = args.as_slice() {
        if flag == "--consume" {
            consume(Path::new(path), cursor.parse().expect("a cursor"));
            return;
        }
    }
    let round_size = env_number("ARREARS_FEED_ROUND", ROUND).max(1);
    let commit = env_number("ARREARS_FEED_COMMIT", 100).clamp(1, round_size);
    let rounds = env_number("ARREARS_FEED_ROUNDS", ROUNDS).max(1);
    let consumer = Consumer::from_env();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("feed.redb");
    let mut opened = options();
    if let Consumer::Process(sharing) = consumer {
        opened.sharing = sharing;
    }
    let books = Arrears::create_with(&path, opened).expect("create store");
    let ids = add_accounts(&books, 0..ACCOUNTS, day(1, 1), &payment_charges);
    let mut next = 0;
    // The writer's own CPU time too (its thread's), which the machine's other load changes
    // less than the wall clock.
    let writer_ticks = std::cell::Cell::new(0_u64);
    let mut post_round = |books: &Arrears| -> Duration {
        let (start, ticks) = (Instant::now(), thread_cpu_ticks());
        for from in (next..next + round_size).step_by(commit) {
            arrears_post(books, &ids, from, commit.min(next + round_size - from));
        }
        next += round_size;
        writer_ticks.set(thread_cpu_ticks().zip(ticks).map_or(0, |(end, start)| end - start));
        start.elapsed()
    };
    let mut ratios = Vec::new();
    let mut cpu_ratios = Vec::new();
    // The consumer starts caught up with the portfolio's creation and keeps its cursor from
    // round to round, as a relay does.
    let mut cursor = books.changes(0, 1).expect("feed").head;
    for round in 0..rounds {
        // The two kinds alternate which goes first (alone first in even rounds), so that what
        // a round leaves to the next (the disk's write-back, a consumer process exiting) does
        // not always fall on the same kind.
        let alone_round = |post_round: &mut dyn FnMut(&Arrears) -> Duration| {
            let alone = post_round(&books);
            (alone, writer_ticks.get())
        };
        let first_alone = round % 2 == 0;
        let mut alone = if first_alone { Some(alone_round(&mut post_round)) } else { None };
        let Followed { followed, reached, read, cpu_s } = match consumer {
            Consumer::Thread => in_thread(&books, cursor, &mut post_round),
            Consumer::Process(_) => in_process(&books, &path, cursor, &mut post_round),
        };
        let followed_ticks = writer_ticks.get();
        let (alone, alone_ticks) = *alone.get_or_insert_with(|| alone_round(&mut post_round));
        // The changes of the round alone too: the consumer reads, from its cursor, what was
        // committed since.
        cursor = reached;
        let ratio = alone.as_secs_f64() / followed.as_secs_f64();
        ratios.push(ratio);
        cpu_ratios.push(alone_ticks as f64 / followed_ticks.max(1) as f64);
        summary(serde_json::json!({
            "bench": "feed_cost",
            "consumer": consumer.name(),
            "round": round,
            "alone_first": first_alone,
            "commit": commit,
            "payments_per_s_alone": (round_size as f64 / alone.as_secs_f64()).round(),
            "payments_per_s_with_consumer": (round_size as f64 / followed.as_secs_f64()).round(),
            "writer_cpu_s_alone": alone_ticks as f64 / 100.0,
            "writer_cpu_s_with_consumer": followed_ticks as f64 / 100.0,
            "changes_read": read,
            "consumer_cursor": reached,
            "consumer_cpu_s": cpu_s,
        }));
    }
    ratios.sort_by(f64::total_cmp);
    cpu_ratios.sort_by(f64::total_cmp);
    let rounded = |ratio: f64| (ratio * 1000.0).round() / 1000.0;
    summary(serde_json::json!({
        "bench": "feed_cost",
        "consumer": consumer.name(),
        "rounds": rounds,
        "median_rate_with_consumer_over_alone": rounded(ratios[rounds / 2]),
        "lowest": rounded(ratios[0]),
        "highest": rounded(ratios[rounds - 1]),
        // The writer's CPU time alone over its CPU time with the consumer: below 1, the
        // consumer makes each payment cost the writer more CPU.
        "median_writer_cpu_alone_over_with_consumer": rounded(cpu_ratios[rounds / 2]),
    }));
}

/// What one round with a consumer measured.
struct Followed {
    /// The time the writer took for the round.
    followed: Duration,
    /// The consumer's cursor at the end.
    reached: u64,
    /// The changes it read.
    read: u64,
    /// The CPU time (user and system) of the consumer process, in seconds; `None` for a
    /// thread.
    cpu_s: Option<f64>,
}

/// One round followed by a thread of this process on the writer's handle.
fn in_thread(
    books: &Arrears,
    start_at: u64,
    post_round: &mut dyn FnMut(&Arrears) -> Duration,
) -> Followed {
    let stop = AtomicBool::new(false);
    let read = AtomicU64::new(0);
    let (followed, reached) = std::thread::scope(|scope| {
        let consumer = scope.spawn(|| follow(books, start_at, &stop, &read));
        let followed = post_round(books);
        stop.store(true, Ordering::Relaxed);
        (followed, consumer.join().expect("consumer"))
    });
    Followed { followed, reached, read: read.load(Ordering::Relaxed), cpu_s: None }
}

/// One round followed by another process: this example with `--consume`, started before the
/// round and timed only once it has the store open (as a relay that is already running).
fn in_process(
    books: &Arrears,
    path: &Path,
    start_at: u64,
    post_round: &mut dyn FnMut(&Arrears) -> Duration,
) -> Followed {
    let exe = std::env::current_exe().expect("this example");
    let mut child: Child = std::process::Command::new(exe)
        .arg("--consume")
        .arg(path)
        .arg(start_at.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the consumer process");
    let mut lines: BufReader<ChildStdout> =
        BufReader::new(child.stdout.take().expect("its output"));
    let mut line = String::new();
    lines.read_line(&mut line).expect("ready");
    assert_eq!(line.trim(), "ready", "the consumer did not start");
    let followed = post_round(books);
    // Closing its input stops it; it answers with its cursor, the changes it read and its CPU
    // time.
    drop(child.stdin.take());
    line.clear();
    lines.read_line(&mut line).expect("its cursor");
    let status = child.wait().expect("the consumer's exit");
    assert!(status.success(), "the consumer failed: {status}");
    let mut words = line.split_whitespace().map(|word| word.parse::<u64>().expect("a number"));
    let (reached, read) = (words.next().expect("a cursor"), words.next().expect("a count"));
    let cpu_s = words.next().map(|ticks| ticks as f64 / 100.0);
    Followed { followed, reached, read, cpu_s }
}

/// This process's CPU time, user and system, in clock ticks (`/proc/self/stat`, Linux: 100 a
/// second on the machines measured), if it can be read.
fn cpu_ticks() -> Option<u64> {
    ticks_of("/proc/self/stat")
}

/// The calling thread's CPU time, as [`cpu_ticks`].
fn thread_cpu_ticks() -> Option<u64> {
    ticks_of("/proc/thread-self/stat")
}

fn ticks_of(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The fields after the command name (in parentheses, which may hold spaces): utime and
    // stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Follows the feed of `books` from `cursor` until `stop`, counting the changes read into
/// `read`; returns the cursor reached.
fn follow(books: &Arrears, mut cursor: u64, stop: &AtomicBool, read: &AtomicU64) -> u64 {
    let poll = Duration::from_millis(env_number("ARREARS_FEED_POLL_MS", 1) as u64);
    while !stop.load(Ordering::Relaxed) {
        let page = books.changes(cursor, 1_000).expect("feed");
        read.fetch_add(page.changes.len() as u64, Ordering::Relaxed);
        if page.next == page.head {
            std::thread::sleep(poll);
        }
        cursor = page.next;
    }
    cursor
}

/// The consumer process: opens the store at `path` read-only, says `ready`, follows the feed
/// from `cursor` until its standard input closes, then prints its cursor, the changes read and
/// its CPU time in clock ticks.
fn consume(path: &Path, cursor: u64) {
    let books = Arrears::open_read_only_with(
        path,
        Options { cache_size_bytes: CACHE_BYTES, ..Options::default() },
    )
    .expect("open the store read-only");
    let stop = Arc::new(AtomicBool::new(false));
    let read = AtomicU64::new(0);
    let watcher = Arc::clone(&stop);
    std::thread::spawn(move || {
        // Reads until the writer closes the pipe.
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        watcher.store(true, Ordering::Relaxed);
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").and_then(|()| out.flush()).expect("stdout");
    let reached = follow(&books, cursor, &stop, &read);
    let ticks = cpu_ticks().map(|ticks| format!(" {ticks}")).unwrap_or_default();
    writeln!(out, "{reached} {}{ticks}", read.load(Ordering::Relaxed))
        .and_then(|()| out.flush())
        .expect("stdout");
}
