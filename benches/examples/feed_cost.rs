//! What a consumer of the change feed costs the write path (issue 20 point 1): payments posted
//! in commits of `ARREARS_FEED_COMMIT` (default 100) on 2,000 accounts, rounds of
//! `ARREARS_FEED_ROUND` payments (default 4,000), alone and while a consumer follows the feed
//! from its cursor, in alternating rounds (`ARREARS_FEED_ROUNDS` of each kind, default 5;
//! alone first in even rounds and the consumer's first in odd ones). Prints one JSON line per
//! round and a summary: the median ratio of the rates and their spread, the median ratio of
//! the writer thread's CPU time, and the same ratios over all rounds summed, with the
//! writer's write calls and dirtied bytes:
//! `cargo run --release -p arrears-benches --example feed_cost` (docs/BENCHMARKS.md, section
//! 12).
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
//! - `relay`: another process as `process` (the same sharing modes), that reads as `arrears
//!   relay postgres` does (crates/arrears-relay), PostgreSQL left out: batches of
//!   `ARREARS_FEED_BATCH` changes (default 500, the relay's `--batch`) and as many new outbox
//!   actions, every change turned into JSON and the accounts, cases, debtors it touched read
//!   back, with the obligations and journal entries past the last ones it read of each account
//!   (as the relay reads past what PostgreSQL holds), then the next batch at once, or a pause of
//!   `ARREARS_FEED_POLL_MS` (default 1,000, the relay's `--poll-ms`) once caught up. With
//!   `ARREARS_FEED_APPLY_MS`, it also pauses that long after every batch, standing for the
//!   PostgreSQL transaction a relay commits before it reads the next (default 0); with
//!   `ARREARS_FEED_RELAY_STATE=0`, it reads the changes only, not the state. A batch's reads
//!   share one read snapshot (`Arrears::snapshot`), dropped when the batch is read, so no
//!   snapshot is held open between batches or while it pauses.
//! - `none`: the control: the writer opens the store as for `process`, and the rounds "with
//!   the consumer" run none, so their ratio to the rounds alone is the machine's noise.
//!
//! `ARREARS_FEED_CONSUMER_CPUS` runs a consumer process under `taskset -c` with that CPU list:
//! `taskset -c 0 feed_cost` with `ARREARS_FEED_CONSUMER_CPUS=1` gives the writer and the
//! consumer a core each, so the consumer's CPU does not compete with the writer's.
//!
//! The flat-out consumers (`thread`, `process`) read pages of `ARREARS_FEED_BATCH` changes
//! (default 1,000) and pause `ARREARS_FEED_POLL_MS` (default 1) when caught up. Per round,
//! the example also prints what the writer's process handed to the kernel to write
//! (`/proc/self/io`: `syscw` write calls, `wchar` bytes, `write_bytes` bytes it dirtied for
//! the disk), so the pages a reader's snapshot keeps from being reused show.

use std::collections::{BTreeSet, HashMap};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use arrears::ids::{AccountId, EntryId, ObligationId};
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

/// Where the consumer runs, and how it reads.
#[derive(Clone, Copy, PartialEq)]
enum Consumer {
    /// A thread of the writer's process, reading flat out.
    Thread,
    /// Another process, the writer's handle opened with this sharing mode.
    Process(Sharing, Pace),
    /// No consumer at all, the writer's handle opened as for [`Consumer::Process`].
    None(Sharing),
}

/// How a consumer reads the feed.
#[derive(Clone, Copy, PartialEq)]
enum Pace {
    /// Pages of changes as fast as it can, polling every millisecond when caught up.
    FlatOut,
    /// As `arrears relay postgres` reads: batches with the state they touched, polling every
    /// second when caught up.
    Relay,
}

impl Consumer {
    fn from_env() -> Consumer {
        let sharing = match std::env::var("ARREARS_FEED_SHARING").as_deref() {
            Ok("single") => Sharing::SingleWriter,
            _ => Sharing::MultiWriter,
        };
        match std::env::var("ARREARS_FEED_CONSUMER").as_deref() {
            Ok("process") => Consumer::Process(sharing, Pace::FlatOut),
            Ok("relay") => Consumer::Process(sharing, Pace::Relay),
            Ok("none") => Consumer::None(sharing),
            _ => Consumer::Thread,
        }
    }

    fn name(self) -> String {
        let mode = |sharing: Sharing| match sharing {
            Sharing::SingleWriter => "single_writer",
            _ => "multi_writer",
        };
        match self {
            Consumer::Thread => "thread".to_owned(),
            Consumer::Process(sharing, Pace::FlatOut) => format!("process, {}", mode(sharing)),
            Consumer::Process(sharing, Pace::Relay) => format!("relay, {}", mode(sharing)),
            Consumer::None(sharing) => format!("none, {}", mode(sharing)),
        }
    }

    fn pace(self) -> Pace {
        match self {
            Consumer::Process(_, Pace::Relay) => Pace::Relay,
            _ => Pace::FlatOut,
        }
    }
}

impl Pace {
    /// The most changes read at a time.
    fn batch(self) -> usize {
        let default = if self == Pace::Relay { 500 } else { 1_000 };
        env_number("ARREARS_FEED_BATCH", default).max(1)
    }

    /// The pause after each batch read, standing for the time PostgreSQL takes to apply it
    /// (`ARREARS_FEED_APPLY_MS`, default 0: none, the consumer reads as fast as the store
    /// gives). Flat-out consumers never pause there.
    fn apply(self) -> Duration {
        let millis = if self == Pace::Relay { env_number("ARREARS_FEED_APPLY_MS", 0) } else { 0 };
        Duration::from_millis(millis as u64)
    }

    /// The pause once caught up.
    fn poll(self) -> Duration {
        let default = if self == Pace::Relay { 1_000 } else { 1 };
        Duration::from_millis(env_number("ARREARS_FEED_POLL_MS", default) as u64)
    }
}

/// The consumer's stop signal, which also ends its pause at once (so a consumer pausing a
/// second does not delay the next round).
#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    fn set(&self) {
        *self.stopped.lock().expect("stop") = true;
        self.wake.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.stopped.lock().expect("stop")
    }

    /// Waits `pause` or until stopped.
    fn pause(&self, pause: Duration) {
        let stopped = self.stopped.lock().expect("stop");
        let _ = self.wake.wait_timeout_while(stopped, pause, |stopped| !*stopped);
    }
}

/// What the writer's process handed to the kernel to write (`/proc/self/io`).
#[derive(Clone, Copy, Default)]
struct Io {
    /// Write calls (`pwrite64` for the store; `syscw`).
    calls: u64,
    /// Bytes passed to them (`wchar`).
    bytes: u64,
    /// Bytes of the page cache it dirtied, bound for the disk (`write_bytes`).
    dirtied: u64,
}

impl Io {
    fn now() -> Io {
        let text = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(": ")?.parse().ok())
                .unwrap_or(0)
        };
        Io { calls: field("syscw"), bytes: field("wchar"), dirtied: field("write_bytes") }
    }

    fn since(self, start: Io) -> Io {
        Io {
            calls: self.calls - start.calls,
            bytes: self.bytes - start.bytes,
            dirtied: self.dirtied - start.dirtied,
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
    let load_before = load_average();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("feed.redb");
    let mut opened = options();
    if let Consumer::Process(sharing, _) | Consumer::None(sharing) = consumer {
        opened.sharing = sharing;
    }
    let books = Arrears::create_with(&path, opened).expect("create store");
    let ids = add_accounts(&books, 0..ACCOUNTS, day(1, 1), &payment_charges);
    let mut next = 0;
    // The writer's own CPU time too (its thread's), which the machine's other load changes
    // less than the wall clock, and what its process handed the kernel to write.
    let writer_ticks = std::cell::Cell::new(0_u64);
    let writer_io = std::cell::Cell::new(Io::default());
    let mut post_round = |books: &Arrears| -> Duration {
        let (start, ticks, io) = (Instant::now(), thread_cpu_ticks(), Io::now());
        for from in (next..next + round_size).step_by(commit) {
            arrears_post(books, &ids, from, commit.min(next + round_size - from));
        }
        next += round_size;
        writer_io.set(Io::now().since(io));
        writer_ticks.set(thread_cpu_ticks().zip(ticks).map_or(0, |(end, start)| end - start));
        start.elapsed()
    };
    let mut figures = Figures::default();
    // The consumer starts caught up with the portfolio's creation and keeps its cursor from
    // round to round, as a relay does.
    let mut cursor = books.changes(0, 1).expect("feed").head;
    for round in 0..rounds {
        // The two kinds alternate which goes first (alone first in even rounds), so that what
        // a round leaves to the next (the disk's write-back, a consumer process exiting) does
        // not always fall on the same kind.
        let alone_round = |post_round: &mut dyn FnMut(&Arrears) -> Duration| {
            let alone = post_round(&books);
            (alone, writer_ticks.get(), writer_io.get())
        };
        let first_alone = round % 2 == 0;
        let mut alone = if first_alone { Some(alone_round(&mut post_round)) } else { None };
        let Followed { followed, reached, read, cpu_s } = match consumer {
            Consumer::Thread => in_thread(&books, cursor, &mut post_round),
            Consumer::Process(..) => in_process(&books, &path, cursor, &mut post_round),
            Consumer::None(_) => {
                Followed { followed: post_round(&books), reached: cursor, read: 0, cpu_s: None }
            }
        };
        let (followed_ticks, followed_io) = (writer_ticks.get(), writer_io.get());
        let (alone, alone_ticks, alone_io) =
            *alone.get_or_insert_with(|| alone_round(&mut post_round));
        // The changes of the round alone too: the consumer reads, from its cursor, what was
        // committed since.
        cursor = reached;
        figures.add((alone, followed), (alone_ticks, followed_ticks), (alone_io, followed_io));
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
            "writer_write_calls_alone": alone_io.calls,
            "writer_write_calls_with_consumer": followed_io.calls,
            "writer_write_mib_alone": mib(alone_io.bytes),
            "writer_write_mib_with_consumer": mib(followed_io.bytes),
            "writer_dirtied_mib_alone": mib(alone_io.dirtied),
            "writer_dirtied_mib_with_consumer": mib(followed_io.dirtied),
            "changes_read": read,
            "consumer_cursor": reached,
            "consumer_cpu_s": cpu_s,
        }));
    }
    figures.print(&consumer.name(), (load_before, load_average()));
}

/// The one-minute load average (`/proc/loadavg`), if it can be read.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

fn mib(bytes: u64) -> f64 {
    (bytes as f64 / 1024.0 / 1024.0 * 100.0).round() / 100.0
}

/// The ratios of all rounds, and the sums of all rounds of each kind, for the summary. The
/// sums over an even number of rounds cancel a drift that grows linearly from round to round
/// (the store grows, so each round writes more pages than the one before): the kinds go
/// alone-consumer, consumer-alone, so each pair of rounds puts both kinds equally early.
#[derive(Default)]
struct Figures {
    /// Time alone and with the consumer, in seconds; CPU ticks; write calls; bytes dirtied.
    sums: [[f64; 2]; 4],
    /// The rate with the consumer over the rate alone.
    rates: Vec<f64>,
    /// The writer's CPU time alone over its CPU time with the consumer.
    cpu: Vec<f64>,
    /// The writer's write calls with the consumer over alone.
    write_calls: Vec<f64>,
    /// The bytes the writer dirtied with the consumer over alone.
    dirtied: Vec<f64>,
}

impl Figures {
    fn add(&mut self, (alone, followed): (Duration, Duration), ticks: (u64, u64), io: (Io, Io)) {
        let (alone_ticks, followed_ticks) = ticks;
        let (alone_io, followed_io) = io;
        self.rates.push(alone.as_secs_f64() / followed.as_secs_f64());
        self.cpu.push(alone_ticks as f64 / followed_ticks.max(1) as f64);
        self.write_calls.push(followed_io.calls as f64 / alone_io.calls.max(1) as f64);
        self.dirtied.push(followed_io.dirtied as f64 / alone_io.dirtied.max(1) as f64);
        let kinds = [
            [alone.as_secs_f64(), followed.as_secs_f64()],
            [alone_ticks as f64, followed_ticks as f64],
            [alone_io.calls as f64, followed_io.calls as f64],
            [alone_io.dirtied as f64, followed_io.dirtied as f64],
        ];
        for (sum, [alone, followed]) in self.sums.iter_mut().zip(kinds) {
            sum[0] += alone;
            sum[1] += followed;
        }
    }

    fn print(mut self, consumer: &str, (load_before, load_after): (Option<f64>, Option<f64>)) {
        let rounds = self.rates.len();
        for ratios in [&mut self.rates, &mut self.cpu, &mut self.write_calls, &mut self.dirtied] {
            ratios.sort_by(f64::total_cmp);
        }
        let rounded = |ratio: f64| (ratio * 1000.0).round() / 1000.0;
        let median = |ratios: &[f64]| rounded(ratios[rounds / 2]);
        summary(serde_json::json!({
            "bench": "feed_cost",
            "consumer": consumer,
            "rounds": rounds,
            "median_rate_with_consumer_over_alone": median(&self.rates),
            "lowest": rounded(self.rates[0]),
            "highest": rounded(self.rates[rounds - 1]),
            // The writer's CPU time alone over its CPU time with the consumer: below 1, the
            // consumer makes each payment cost the writer more CPU.
            "median_writer_cpu_alone_over_with_consumer": median(&self.cpu),
            "cpu_lowest": rounded(self.cpu[0]),
            "cpu_highest": rounded(self.cpu[rounds - 1]),
            // Above 1, the writer wrote more pages while the consumer read.
            "median_write_calls_with_consumer_over_alone": median(&self.write_calls),
            "median_dirtied_with_consumer_over_alone": median(&self.dirtied),
            // All rounds of each kind summed: time alone over time with the consumer (the
            // rate with it over the rate alone), CPU alone over CPU with it, and write calls
            // and bytes dirtied with it over alone.
            "all_rounds_rate_with_consumer_over_alone": rounded(self.sums[0][0] / self.sums[0][1]),
            "all_rounds_writer_cpu_alone_over_with_consumer":
                rounded(self.sums[1][0] / self.sums[1][1].max(1.0)),
            "all_rounds_write_calls_with_consumer_over_alone":
                rounded(self.sums[2][1] / self.sums[2][0].max(1.0)),
            "all_rounds_dirtied_with_consumer_over_alone":
                rounded(self.sums[3][1] / self.sums[3][0].max(1.0)),
            "load_average_before": load_before,
            "load_average_after": load_after,
        }));
    }
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
    let stop = Stop::default();
    let read = AtomicU64::new(0);
    let (followed, reached) = std::thread::scope(|scope| {
        let consumer = scope.spawn(|| follow(books, start_at, Pace::FlatOut, &stop, &read));
        let followed = post_round(books);
        stop.set();
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
    // `ARREARS_FEED_CONSUMER_CPUS` (a `taskset` list such as `1`) runs the consumer on those
    // CPUs only; run the writer with `taskset -c 0` to give each a core of its own.
    let mut command = match std::env::var("ARREARS_FEED_CONSUMER_CPUS") {
        Ok(cpus) => {
            let mut taskset = std::process::Command::new("taskset");
            taskset.arg("-c").arg(cpus).arg(exe);
            taskset
        }
        Err(_) => std::process::Command::new(exe),
    };
    let mut child: Child = command
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

/// Follows the feed of `books` from `cursor` at `pace` until `stop`, counting the changes
/// read into `read`; returns the cursor reached.
fn follow(books: &Arrears, mut cursor: u64, pace: Pace, stop: &Stop, read: &AtomicU64) -> u64 {
    let (batch, apply, poll) = (pace.batch(), pace.apply(), pace.poll());
    // The relay's outbox cursor; the payments of this bench create no actions.
    let mut action_seq = 0;
    // What the relay finds already copied in PostgreSQL, per account: the last journal entry
    // and obligation (it asks with one query per batch; kept here instead).
    let mut copied = Copied::new();
    while !stop.is_set() {
        let caught_up = match pace {
            Pace::FlatOut => {
                let page = books.changes(cursor, batch).expect("feed");
                read.fetch_add(page.changes.len() as u64, Ordering::Relaxed);
                cursor = page.next;
                page.next == page.head
            }
            Pace::Relay => {
                relay_batch(books, (&mut cursor, &mut action_seq), &mut copied, batch, read)
            }
        };
        // A relay applies what it read before it reads again; no read transaction is open
        // meanwhile (each call above ended its own).
        if !apply.is_zero() {
            stop.pause(apply);
        }
        if caught_up {
            stop.pause(poll);
        }
    }
    cursor
}

/// The last journal entry and obligation copied, per account.
type Copied = HashMap<AccountId, (EntryId, ObligationId)>;

/// Reads one batch as `arrears relay postgres` does before writing it to PostgreSQL
/// (crates/arrears-relay/src/apply.rs): at most `batch` changes after the cursor and as many
/// new outbox actions, each change as JSON, then the state the changes touched: each
/// account with its case, its obligations and journal entries past the last ones copied, and
/// each debtor, all in one read snapshot. Moves the cursors; returns true if it has caught up.
fn relay_batch(
    books: &Arrears,
    (cursor, action_seq): (&mut u64, &mut u64),
    copied: &mut Copied,
    batch: usize,
    read: &AtomicU64,
) -> bool {
    // One read snapshot for the batch, as the relay reads (dropped when the batch is read).
    let books = &books.snapshot().expect("snapshot");
    let page = books.changes(*cursor, batch).expect("feed");
    let actions = books.actions_after(*action_seq, batch).expect("outbox");
    let (mut accounts, mut debtors) = (BTreeSet::new(), BTreeSet::new());
    for change in &page.changes {
        black_box(serde_json::to_value(change).expect("change as JSON"));
        let touched = change.affected();
        accounts.extend(touched.accounts);
        debtors.extend(touched.debtors);
    }
    // `ARREARS_FEED_RELAY_STATE=0` leaves the state out, to tell its cost from the feed's.
    if env_number("ARREARS_FEED_RELAY_STATE", 1) == 0 {
        accounts.clear();
        debtors.clear();
    }
    for id in accounts {
        let Some(account) = books.account(id).expect("account") else { continue };
        debtors.insert(account.debtor);
        black_box(serde_json::to_value(&account).expect("account as JSON"));
        black_box(serde_json::to_value(books.case(id).expect("case")).expect("case as JSON"));
        let last = copied.entry(id).or_insert((EntryId(0), ObligationId(0)));
        let obligations = books.obligations_after(id, last.1).expect("obligations");
        let entries = books.ledger_after(id, last.0).expect("journal");
        last.1 = obligations.last().map_or(last.1, |obligation| obligation.id);
        last.0 = entries.last().map_or(last.0, |entry| entry.id);
        black_box((obligations, entries));
    }
    for id in debtors {
        black_box(serde_json::to_value(books.debtor(id).expect("debtor")).expect("JSON"));
    }
    for action in &actions {
        black_box(serde_json::to_value(action).expect("action as JSON"));
    }
    read.fetch_add(page.changes.len() as u64, Ordering::Relaxed);
    *cursor = page.next;
    *action_seq = actions.iter().map(|action| action.seq).max().unwrap_or(*action_seq);
    page.next == page.head && actions.len() < batch
}

/// The consumer process: opens the store at `path` read-only, says `ready`, follows the feed
/// at the pace `ARREARS_FEED_CONSUMER` says
/// from `cursor` until its standard input closes, then prints its cursor, the changes read and
/// its CPU time in clock ticks.
fn consume(path: &Path, cursor: u64) {
    let books = Arrears::open_read_only_with(
        path,
        Options { cache_size_bytes: CACHE_BYTES, ..Options::default() },
    )
    .expect("open the store read-only");
    let stop = Arc::new(Stop::default());
    let read = AtomicU64::new(0);
    let watcher = Arc::clone(&stop);
    std::thread::spawn(move || {
        // Reads until the writer closes the pipe.
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        watcher.set();
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").and_then(|()| out.flush()).expect("stdout");
    let reached = follow(&books, cursor, Consumer::from_env().pace(), &stop, &read);
    let ticks = cpu_ticks().map(|ticks| format!(" {ticks}")).unwrap_or_default();
    writeln!(out, "{reached} {}{ticks}", read.load(Ordering::Relaxed))
        .and_then(|()| out.flush())
        .expect("stdout");
}
