//! The journal of `Durability::Journaled`: a file beside the store to which each commit of
//! `Arrears::execute` appends its commands and which it syncs, one sequential write, while the
//! store's own commit is not synced; its replay at open, its checkpoints, and the fence after
//! a failure. docs/DURABILITY.md, "The journal", says why and what it guarantees.
//!
//! The order of a journaled commit ([`commit`]): the group runs in the handle's chain
//! (`Store::chain`: the transaction the last journaled commit parked, or a new one whose commit
//! is not synced); its record is written to the journal and synced; then the transaction is
//! sealed and parked again, not committed (a scan or another write of the handle commits it
//! first, `Store::settle`; a point read reads inside it, `Store::view`), and the callers get
//! their receipts. A crash before the journal's
//! sync loses a group nobody was told of; after it, the next open replays the record. A failure
//! of the journal, or of the seal or a commit after its record, leaves the file and the journal
//! holding what this process no longer knows: the store is fenced (it refuses every write)
//! until it is opened again.
//!
//! The file: a 24-byte header ([`MAGIC`], whose last byte is the file's version, then the
//! journal's epoch, a u64 LE that each start of the journal raises by one), then records, each
//!
//! ```text
//! body length  u32 LE (1 ..= RECORD_BODY_MAX)
//! checksum     u64 LE: the first 8 bytes of SHA-256 over the body
//! body         epoch u64 | seq u64 | now: seconds i64, nanoseconds u32 |
//!              first audit sequence u64 | kind u8 (0 exact, 1 tentative) | count u32 |
//!              count x (key length u16, key, command length u32, command record)
//! ```
//!
//! All little-endian; a command record is the store codec's record of the command
//! (`RecordKind::Command`, versioned and checked). Version 1 (the builds before session 45)
//! has neither the first audit sequence nor the kind: each of its records is exact. A file of
//! version 1 left by an older build is read and replayed as it was written.
//!
//! **Exact and tentative records.** A commit writes its record *before* it runs its commands,
//! with every command of the group (a *tentative* record), and starts its write-back to the
//! disk (`sync_file_range`), which goes on while the commands run and the transaction is
//! sealed; the sync after them then waits for little more than the disk's cache flush. Whether
//! a command writes is known only once it ran: if every command wrote, the tentative record is
//! the commit's; if some did not (a refusal, a replay of a key already used, an error), an
//! *exact* record of the commands that wrote is written over it and synced before the commit is
//! sealed (the cost of a commit before); if none did, the record is left where it is and the
//! next goes over it. The record's first audit sequence (the store's next when the group began)
//! tells them apart at a replay: a record is held by the store if its first command's key
//! points at an audit entry at or after it; a tentative record the store lacks is replayed if
//! the store's next audit sequence is its first (the store is as the group found it: running it
//! again gives the same outcomes, which nobody was told of if it was never confirmed), and
//! skipped if the store went on past it (a group none of whose commands wrote, followed by a
//! synced write of the handle; only the last record can be one). Within an epoch, sequence
//! numbers follow one another; after a checkpoint (a synced commit: the store then holds every
//! record written so far) the next record goes to the start again, over records the store
//! holds. So a scan takes the records of the header's epoch from the start while their
//! sequences follow each other, and stops at the first that does not, or whose length or
//! checksum is wrong (a torn write, or what an older round or epoch left). Which of them the
//! store holds is asked of the store: a record is in it if and only if its first command's
//! idempotency key is (each command of a record wrote when it ran, so its key was new then, and
//! the store after a crash holds a prefix of the commits); the store writes nothing per record,
//! so a journaled commit touches no table the commands do not.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use arrears_store::{Chain, OpenError, ReadTxn, Reads, StorageError, Store, WriteTxn};

use crate::command::Command;
use crate::error::error_text;

#[cfg(target_os = "linux")]
mod os;

/// The first 16 bytes of every journal file this build writes (its version is the last byte).
pub(crate) const MAGIC: &[u8; 16] = b"arrears journal\x02";

/// The versions of the file this build reads: 1 (records exact, without their first audit
/// sequence) and 2.
const VERSIONS: [u8; 2] = [1, 2];

/// The header: [`MAGIC`] and the epoch.
pub(crate) const HEADER_LEN: usize = 24;

/// The journal file's size, preallocated with zeros and synced when it is created, so that a
/// record's sync writes its page and no file metadata.
pub(crate) const JOURNAL_BYTES: u64 = 4 << 20;

/// Records after which a commit also checkpoints (a synced commit of the store) and the next
/// record starts the file again: this bounds the replay after a crash, the memory redb keeps
/// for unsynced commits, and the commits the parked transaction gathers (`Store::chain`).
pub(crate) const CHECKPOINT_RECORDS: u64 = 1_024;

/// A record's length and checksum.
const RECORD_HEAD: usize = 12;

/// The largest record body: a group whose record is larger commits synced instead.
const RECORD_BODY_MAX: usize = (JOURNAL_BYTES as usize) - HEADER_LEN - RECORD_HEAD;

/// The file the journal is written to: a real file, or (feature `fault-injection`) the
/// fault-injecting in-memory disk of durability tests.
pub(crate) trait JournalFile: Send {
    fn len(&self) -> io::Result<u64>;
    fn read_at(&self, offset: u64, out: &mut [u8]) -> io::Result<()>;
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    fn sync(&self) -> io::Result<()>;

    /// Starts writing `len` bytes at `offset` back to the disk and returns without waiting: a
    /// hint, which the [`JournalFile::sync`] after it does not depend on (it waits for what
    /// was started, and flushes the disk's cache).
    fn start_writeback(&self, _offset: u64, _len: usize) {}
}

impl JournalFile for std::fs::File {
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, out, offset)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(self, data, offset)
    }

    fn sync(&self) -> io::Result<()> {
        self.sync_data()
    }

    #[cfg(target_os = "linux")]
    fn start_writeback(&self, offset: u64, len: usize) {
        os::start_writeback(self, offset, len);
    }
}

#[cfg(feature = "fault-injection")]
impl JournalFile for arrears_store::fault::FaultyDisk {
    fn len(&self) -> io::Result<u64> {
        Ok(arrears_store::fault::FaultyDisk::len(self))
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        arrears_store::fault::FaultyDisk::read_at(self, offset, out)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        arrears_store::fault::FaultyDisk::write_at(self, offset, data)
    }

    fn sync(&self) -> io::Result<()> {
        self.sync_data()
    }
}

/// The journal of a store at `store`: the same path with `.journal` added.
pub(crate) fn path_of(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// One record: the commands of one commit, in the order they ran, and the clock's now they
/// ran with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub(crate) epoch: u64,
    pub(crate) seq: u64,
    pub(crate) now: DateTime<Utc>,
    /// The store's next audit sequence when the group began (`None` in a file of version 1).
    pub(crate) first_seq: Option<u64>,
    /// True if the record holds every command of its group, written before they ran (the
    /// module's documentation); false if it holds the commands that wrote.
    pub(crate) tentative: bool,
    /// Each command's idempotency key and its codec record.
    pub(crate) commands: Vec<(String, Vec<u8>)>,
}

/// Returns true if and only if `command` cannot be journaled (its commit is then synced in the
/// store instead): the commands whose execution depends on this process's plugins (their
/// answers are not in the record, and a replay at open has no plugins registered yet).
pub(crate) fn unjournaled(command: &Command) -> bool {
    matches!(
        command,
        Command::SetPolicy { .. } | Command::DecideCredit { .. } | Command::ReviewCredit { .. }
    )
}

/// What a record says of its group besides its commands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub(crate) epoch: u64,
    pub(crate) seq: u64,
    pub(crate) now: DateTime<Utc>,
    /// The store's next audit sequence when the group began.
    pub(crate) first_seq: u64,
    pub(crate) tentative: bool,
}

/// The bytes of a record (head and body, version 2), or `None` if its body is larger than a
/// record may be.
pub(crate) fn encode(head: Head, commands: &[(&str, &Command)]) -> Option<Vec<u8>> {
    let mut body = Vec::with_capacity(64 + commands.len() * 96);
    body.extend_from_slice(&head.epoch.to_le_bytes());
    body.extend_from_slice(&head.seq.to_le_bytes());
    body.extend_from_slice(&head.now.timestamp().to_le_bytes());
    body.extend_from_slice(&head.now.timestamp_subsec_nanos().to_le_bytes());
    body.extend_from_slice(&head.first_seq.to_le_bytes());
    body.push(u8::from(head.tentative));
    body.extend_from_slice(&u32::try_from(commands.len()).ok()?.to_le_bytes());
    for (key, command) in commands {
        let record =
            arrears_store::codec::encode_record(arrears_store::RecordKind::Command, *command);
        body.extend_from_slice(&u16::try_from(key.len()).ok()?.to_le_bytes());
        body.extend_from_slice(key.as_bytes());
        body.extend_from_slice(&u32::try_from(record.len()).ok()?.to_le_bytes());
        body.extend_from_slice(&record);
    }
    if body.is_empty() || body.len() > RECORD_BODY_MAX {
        return None;
    }
    let mut bytes = Vec::with_capacity(RECORD_HEAD + body.len());
    bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&checksum(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    Some(bytes)
}

fn checksum(body: &[u8]) -> u64 {
    let digest = Sha256::digest(body);
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// Reads little-endian fields off a record's body.
struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("{what} at byte {} runs past the record", self.at))?;
        let field = &self.bytes[self.at..end];
        self.at = end;
        Ok(field)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        Ok(self.take(N, what)?.try_into().expect("N bytes"))
    }
}

/// Decodes a record's body (its checksum already checked) of a file of `version`.
fn decode(body: &[u8], version: u8) -> Result<Record, String> {
    let mut fields = Fields { bytes: body, at: 0 };
    let epoch = u64::from_le_bytes(fields.array("epoch")?);
    let seq = u64::from_le_bytes(fields.array("sequence")?);
    let seconds = i64::from_le_bytes(fields.array("time")?);
    let nanos = u32::from_le_bytes(fields.array("time")?);
    let now = DateTime::from_timestamp(seconds, nanos)
        .ok_or_else(|| format!("record {seq}: time {seconds}.{nanos:09} out of range"))?;
    let (first_seq, tentative) = if version == 1 {
        (None, false)
    } else {
        let first_seq = u64::from_le_bytes(fields.array("first audit sequence")?);
        let tentative = match fields.array::<1>("kind")? {
            [0] => false,
            [1] => true,
            [other] => return Err(format!("record {seq}: kind {other} is neither 0 nor 1")),
        };
        (Some(first_seq), tentative)
    };
    let count = u32::from_le_bytes(fields.array("command count")?);
    let mut commands = Vec::new();
    for _ in 0..count {
        let key_len = u16::from_le_bytes(fields.array("key length")?);
        let key = fields.take(usize::from(key_len), "key")?;
        let key = std::str::from_utf8(key)
            .map_err(|_| format!("record {seq}: a key is not UTF-8"))?
            .to_owned();
        let len = u32::from_le_bytes(fields.array("command length")?);
        let command = fields.take(len as usize, "command")?.to_vec();
        commands.push((key, command));
    }
    if fields.at != body.len() {
        return Err(format!(
            "record {seq}: {} bytes after its last command",
            body.len() - fields.at
        ));
    }
    Ok(Record { epoch, seq, now, first_seq, tentative, commands })
}

/// What a scan found: the records the store lacks, and the file's epoch (0 for a file never
/// started).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Scan {
    pub(crate) records: Vec<Record>,
    pub(crate) epoch: u64,
}

/// Whether the store holds a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Held,
    Lacked,
    /// A tentative record the store lacks and went on past: its group wrote nothing (the
    /// module's documentation); it is not replayed.
    Passed,
}

/// The records of `file` that the store lacks, in order; `presence` says whether the store
/// holds a record.
///
/// # Errors
///
/// A file that is not a journal; a record whose checksum holds but which does not decode; a
/// record the store holds after one it lacks (the journal of another store, or one the store
/// went back behind); a record after one the store went on past; what `presence` fails with;
/// an I/O failure.
pub(crate) fn scan(
    file: &dyn JournalFile,
    presence: &mut dyn FnMut(&Record) -> Result<Presence, String>,
) -> Result<Scan, String> {
    let len = file.len().map_err(|error| format!("reading its length: {error}"))?;
    let len = usize::try_from(len).map_err(|_| "larger than memory".to_owned())?;
    let mut bytes = vec![0; len];
    file.read_at(0, &mut bytes).map_err(|error| format!("reading it: {error}"))?;
    if bytes[..len.min(HEADER_LEN)].iter().all(|byte| *byte == 0) {
        // Empty, or a journal whose start stopped before its header was synced
        // ([`Journal::start`] writes the zeros first): no record was ever written to it.
        return Ok(Scan::default());
    }
    let version = bytes.get(MAGIC.len() - 1).copied().unwrap_or(0);
    if len < HEADER_LEN || bytes[..MAGIC.len() - 1] != MAGIC[..MAGIC.len() - 1] {
        return Err("not an Arrears journal (its first 16 bytes are not the journal's)".into());
    }
    if !VERSIONS.contains(&version) {
        return Err(format!(
            "a journal of version {version}, which this build does not read (it reads 1 and 2)"
        ));
    }
    let epoch = u64::from_le_bytes(bytes[MAGIC.len()..HEADER_LEN].try_into().expect("8"));
    let mut at = HEADER_LEN;
    let mut taken: Vec<Record> = Vec::new();
    while at + RECORD_HEAD <= len {
        let body_len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
        let sum = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().expect("8"));
        let start = at + RECORD_HEAD;
        if body_len == 0 || body_len > RECORD_BODY_MAX || start + body_len > len {
            break;
        }
        let body = &bytes[start..start + body_len];
        if checksum(body) != sum {
            break;
        }
        let record = decode(body, version).map_err(|reason| format!("at byte {at}: {reason}"))?;
        let follows = taken.last().is_none_or(|last| record.seq == last.seq.wrapping_add(1));
        if record.epoch != epoch || !follows {
            // What an older epoch, or an older round of this one, left after the newest.
            break;
        }
        at = start + body_len;
        taken.push(record);
    }
    let mut records: Vec<Record> = Vec::new();
    let mut passed: Option<u64> = None;
    for record in taken {
        if let Some(passed) = passed {
            return Err(format!(
                "record {} follows record {passed}, which the store went on past without it \
                 (is this the journal of another store?)",
                record.seq
            ));
        }
        match presence(&record)? {
            Presence::Held => {
                if let Some(first) = records.first() {
                    return Err(format!(
                        "record {} is in the store, but record {} before it is not (is this \
                         the journal of another store?)",
                        record.seq, first.seq
                    ));
                }
            }
            Presence::Lacked => records.push(record),
            Presence::Passed => {
                if let Some(first) = records.first() {
                    return Err(format!(
                        "the store went on past record {}, but lacks record {} before it (is \
                         this the journal of another store?)",
                        record.seq, first.seq
                    ));
                }
                passed = Some(record.seq);
            }
        }
    }
    Ok(Scan { records, epoch })
}

/// The journal an engine appends to.
pub(crate) struct Journal {
    file: Box<dyn JournalFile>,
    pub(crate) path: PathBuf,
    /// Where the next record goes.
    offset: u64,
    /// Records written since the last checkpoint.
    since_checkpoint: u64,
    /// This start's epoch (the header's).
    pub(crate) epoch: u64,
    /// The next record's sequence number.
    pub(crate) next_seq: u64,
    /// Set when a write or sync of the journal, or a commit after it, failed: what the file
    /// and the store hold is then not known, and the engine refuses to write until it is
    /// opened again (which replays what the journal holds).
    pub(crate) failed: Option<String>,
    /// True if and only if the journal is a file of its own, removed when the engine closes.
    pub(crate) removable: bool,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("offset", &self.offset)
            .field("next_seq", &self.next_seq)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// A journal to append to from the start: `file` is made [`JOURNAL_BYTES`] long (zeros
    /// past its end), gets the header with `epoch` and is synced. Every record in the file
    /// must be in the store already, and `epoch` above the file's.
    pub(crate) fn start(
        file: Box<dyn JournalFile>,
        path: PathBuf,
        epoch: u64,
    ) -> io::Result<Journal> {
        let len = file.len()?;
        if len < JOURNAL_BYTES {
            let zeros = vec![0_u8; 1 << 20];
            let mut at = len;
            while at < JOURNAL_BYTES {
                let n = (JOURNAL_BYTES - at).min(zeros.len() as u64);
                file.write_at(at, &zeros[..n as usize])?;
                at += n;
            }
        }
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&epoch.to_le_bytes());
        file.write_at(0, &header)?;
        file.sync()?;
        Ok(Journal {
            file,
            path,
            offset: HEADER_LEN as u64,
            since_checkpoint: 0,
            epoch,
            next_seq: 1,
            failed: None,
            removable: false,
        })
    }

    /// Returns true if and only if `record` fits after the records written since the last
    /// checkpoint.
    pub(crate) fn fits(&self, record: &[u8]) -> bool {
        self.offset + record.len() as u64 <= JOURNAL_BYTES
    }

    /// Writes `record` (which must [`Journal::fits`]) and syncs it.
    pub(crate) fn append(&mut self, record: &[u8]) -> io::Result<()> {
        self.file.write_at(self.offset, record)?;
        self.file.sync()?;
        self.advance(record.len());
        Ok(())
    }

    /// Writes a tentative `record` (which must [`Journal::fits`]) where the next record goes
    /// and starts its write-back to the disk ([`JournalFile::start_writeback`]), so that it
    /// goes on while the group's commands run; [`Journal::sync`] makes it durable. The journal
    /// does not move on past it until [`Journal::advance`].
    pub(crate) fn write_tentative(&mut self, record: &[u8]) -> io::Result<()> {
        self.file.write_at(self.offset, record)?;
        self.file.start_writeback(self.offset, record.len());
        Ok(())
    }

    /// Syncs the file.
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.file.sync()
    }

    /// The journal moves on past a record of `len` bytes written and synced where the next
    /// record goes.
    pub(crate) fn advance(&mut self, len: usize) {
        self.offset += len as u64;
        self.since_checkpoint += 1;
        self.next_seq += 1;
    }

    /// Returns true if and only if enough records were written since the last checkpoint for
    /// the next one.
    pub(crate) fn checkpoint_due(&self) -> bool {
        self.since_checkpoint >= CHECKPOINT_RECORDS
    }

    /// After a checkpoint: the store holds every record written, so the next goes to the start.
    pub(crate) fn checkpointed(&mut self) {
        self.offset = HEADER_LEN as u64;
        self.since_checkpoint = 0;
    }
}

/// What recovery needs of the engine: its store, and a record's commands run again.
pub(crate) trait Replay {
    /// The engine's store.
    fn store(&self) -> &Store;

    /// Runs a record's commands again, in one transaction at the record's time, and commits
    /// it (unsynced where the handle may: the checkpoint after the replay syncs them all).
    /// Each command of an exact record must write again; those of a tentative record are
    /// run as its group was (a refusal, a replay or an error writes nothing and the others go
    /// on). Says what failed.
    fn replay(&self, record: &Record) -> Result<(), String>;
}

/// The store's next audit sequence, as `reads` sees it: where a group that begins now appends
/// its first entry (a record's first audit sequence).
pub(crate) fn next_audit_seq(reads: &impl Reads) -> Result<u64, StorageError> {
    Ok(reads.audit_head()?.map_or(1, |head| head.seq + 1))
}

/// Whether the store, as `read` sees it, holds `record`'s commit: its first command's key is
/// in the store, at or after the record's first audit sequence (see the module's documentation
/// for why that is exact). A tentative record the store lacks and went on past was a group
/// that wrote nothing.
fn presence(read: &ReadTxn, record: &Record) -> Result<Presence, String> {
    let Some((key, _)) = record.commands.first() else {
        return Err(format!("record {} has no command", record.seq));
    };
    let at = read.idempotency_seq(key).map_err(|cause| error_text(&cause))?;
    let Some(first_seq) = record.first_seq else {
        // Version 1: each command of a record wrote when it ran, so its key was new then.
        return Ok(if at.is_some() { Presence::Held } else { Presence::Lacked });
    };
    if at.is_some_and(|at| at >= first_seq) {
        return Ok(Presence::Held);
    }
    if record.tentative && next_audit_seq(read).map_err(|cause| error_text(&cause))? > first_seq {
        return Ok(Presence::Passed);
    }
    Ok(Presence::Lacked)
}

/// A journal beside a path where a store is being created belongs to no store that exists:
/// replaying it into the new one would write another store's commands.
pub(crate) fn refuse_orphan(path: &Path) -> Result<(), OpenError> {
    let journal_path = path_of(path);
    if std::fs::symlink_metadata(&journal_path).is_ok() {
        return Err(OpenError::Journal {
            path: journal_path,
            reason: "a journal is there but no store: remove it, or restore its store first".into(),
        });
    }
    Ok(())
}

/// Makes the directory entry of `path` (created or removed) durable.
fn sync_directory(path: &Path) -> io::Result<()> {
    let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty());
    std::fs::File::open(parent.unwrap_or_else(|| Path::new(".")))?.sync_all()
}

/// After a writable open of the store at `path`: replays the journal beside it, if there is
/// one, from the first record the store does not hold; then returns it to append to when
/// `keep` (creating it if need be), or else removes it.
///
/// # Errors
///
/// [`OpenError::Journal`] (the journal is not one, does not follow the store, a record does
/// not replay, an I/O failure), or a storage failure of a replay's commit.
pub(crate) fn open_beside(
    engine: &impl Replay,
    path: &Path,
    keep: bool,
) -> Result<Option<Journal>, OpenError> {
    let journal_path = path_of(path);
    let exists = std::fs::symlink_metadata(&journal_path).is_ok();
    if !keep && !exists {
        return Ok(None);
    }
    let error = |reason: String| OpenError::Journal { path: journal_path.clone(), reason };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(keep)
        .truncate(false)
        .open(&journal_path)
        .map_err(|cause| error(format!("opening it: {cause}")))?;
    match recover(engine, Box::new(file), journal_path.clone(), keep)? {
        Some(mut journal) => {
            if !exists {
                sync_directory(&journal_path)
                    .map_err(|cause| error(format!("syncing its directory: {cause}")))?;
            }
            journal.removable = true;
            Ok(Some(journal))
        }
        None => {
            std::fs::remove_file(&journal_path)
                .and_then(|()| sync_directory(&journal_path))
                .map_err(|cause| error(format!("removing it once replayed: {cause}")))?;
            Ok(None)
        }
    }
}

/// Replays the records of `file` the store lacks, then syncs the store; returns the journal
/// to append to from the start, in the next epoch, when `keep`.
///
/// # Errors
///
/// As [`open_beside`].
pub(crate) fn recover(
    engine: &impl Replay,
    file: Box<dyn JournalFile>,
    path: PathBuf,
    keep: bool,
) -> Result<Option<Journal>, OpenError> {
    let error = |reason: String| OpenError::Journal { path: path.clone(), reason };
    let scan = {
        let read = engine.store().read()?;
        scan(&*file, &mut |record| presence(&read, record)).map_err(error)?
    };
    for record in &scan.records {
        if let Some(first_seq) = record.first_seq {
            // A group begins where the one before it ended: the store, with the records
            // before this one replayed, must be as this record's group found it.
            let next = next_audit_seq(&engine.store().read()?)?;
            if next != first_seq {
                return Err(error(format!(
                    "record {} began at audit entry {first_seq}, but the store's next is {next} \
                     (is this the journal of another store?)",
                    record.seq
                )));
            }
        }
        engine
            .replay(record)
            .map_err(|reason| error(format!("replaying record {}: {reason}", record.seq)))?;
    }
    if !scan.records.is_empty() {
        checkpoint(engine.store())?;
    }
    if !keep {
        return Ok(None);
    }
    Journal::start(file, path.clone(), scan.epoch + 1)
        .map(Some)
        .map_err(|cause| error(format!("preparing it: {cause}")))
}

/// A read-only open cannot replay: it refuses a store whose journal holds commits the store
/// does not, which it would otherwise show as if they had never been made.
///
/// # Errors
///
/// [`OpenError::JournalPending`], [`OpenError::Journal`] if the journal cannot be read.
pub(crate) fn refuse_pending(store: &Store, path: &Path) -> Result<(), OpenError> {
    let journal_path = path_of(path);
    let file = match std::fs::File::open(&journal_path) {
        Ok(file) => file,
        Err(cause) if cause.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(cause) => {
            let reason = format!("opening it: {cause}");
            return Err(OpenError::Journal { path: journal_path, reason });
        }
    };
    let read = store.read()?;
    let scan = scan(&file, &mut |record| presence(&read, record))
        .map_err(|reason| OpenError::Journal { path: journal_path.clone(), reason })?;
    if !scan.records.is_empty() {
        let records = scan.records.len() as u64;
        return Err(OpenError::JournalPending { path: journal_path, records });
    }
    Ok(())
}

/// A group's tentative record (the module's documentation): the record of `commands` (every
/// command of the group, before they run) written where the next record goes, and its
/// write-back started. Returns the record's length, for [`commit_tentative`]; `None` if the
/// record does not fit in the journal (the group then commits as [`commit`] says, once it
/// ran).
///
/// # Errors
///
/// The store is fenced, or the journal's I/O failure (the store is then fenced).
pub(crate) fn begin_tentative(
    store: &Store,
    journal: &Mutex<Journal>,
    now: DateTime<Utc>,
    first_seq: u64,
    commands: &[(&str, &Command)],
) -> Result<Option<usize>, StorageError> {
    let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(reason) = &journal.failed {
        return Err(StorageError::Fenced { reason: reason.clone() });
    }
    let head =
        Head { epoch: journal.epoch, seq: journal.next_seq, now, first_seq, tentative: true };
    let Some(record) = encode(head, commands).filter(|record| journal.fits(record)) else {
        return Ok(None);
    };
    match journal.write_tentative(&record) {
        Ok(()) => Ok(Some(record.len())),
        Err(cause) => Err(fail(store, &mut journal, "writing its record", &cause)),
    }
}

/// Commits a group's transaction whose tentative record ([`begin_tentative`], `len` bytes)
/// holds exactly the commands that wrote: the transaction is sealed and parked while the
/// record's write-back goes on (the chain is held throughout, so no read sees the group before
/// its sync), then the journal is synced, moves on past the record, and checkpoints if a
/// checkpoint is due, as [`commit`] does.
///
/// # Errors
///
/// As [`commit`]; a failed sync fences the store and drops the parked transaction (the
/// journal may or may not hold the group: its callers are told it may or may not have been
/// made).
pub(crate) fn commit_tentative(
    store: &Store,
    journal: &Mutex<Journal>,
    chain: &mut Chain<'_>,
    txn: WriteTxn,
    len: usize,
) -> Result<(), StorageError> {
    let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
    let sealed = chain.park(txn);
    if let Err(cause) = journal.sync() {
        // No read may see the group: its record may not be on the disk. The parked
        // transaction (the group, and the commits before it, which the journal holds) is
        // dropped; the chain's drop fences the handle.
        if sealed.is_ok() {
            chain.begin().map(drop).ok();
        }
        return Err(fail(store, &mut journal, "syncing its record", &cause));
    }
    if let Err(cause) = sealed {
        return Err(fail(store, &mut journal, "sealing the commit after its record", &cause));
    }
    journal.advance(len);
    checkpoint_if_due(store, &mut journal, chain);
    Ok(())
}

/// Commits a group's transaction (the chain's, [`Store::chain`]) through the journal: the
/// exact record of `ran` (the commands that wrote, in order) written and synced (over the
/// group's tentative record, if it wrote one), then the transaction parked for the next
/// journaled commit, which goes on in it (redb's commit waits for a reader, another writer,
/// or the checkpoint); or, for a record the journal has no room for, the commit and a
/// checkpoint.
///
/// # Errors
///
/// A storage failure, or the journal's I/O failure (the store is then fenced).
pub(crate) fn commit(
    store: &Store,
    journal: &Mutex<Journal>,
    chain: &mut Chain<'_>,
    txn: WriteTxn,
    (now, first_seq): (DateTime<Utc>, u64),
    ran: &[(&str, &Command)],
) -> Result<(), StorageError> {
    let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(reason) = &journal.failed {
        return Err(StorageError::Fenced { reason: reason.clone() });
    }
    let head =
        Head { epoch: journal.epoch, seq: journal.next_seq, now, first_seq, tentative: false };
    let record = encode(head, ran).filter(|record| journal.fits(record));
    let Some(record) = record else {
        // No room: the store's own sync makes it durable, and holds every record written so
        // far, so the next starts the journal again.
        let synced = chain.commit(txn).and_then(|()| checkpoint(store));
        return match synced {
            Ok(()) => {
                journal.checkpointed();
                Ok(())
            }
            Err(cause) => Err(fail(store, &mut journal, "a commit and its sync", &cause)),
        };
    };
    if let Err(cause) = journal.append(&record) {
        // The transaction is dropped: the store does not have it; the journal may (a write
        // that reached the disk before a failed sync), and the next open replays it.
        drop(txn);
        return Err(fail(store, &mut journal, "writing its record", &cause));
    }
    park(store, &mut journal, chain, txn)
}

/// After a group's record is synced: its transaction sealed and parked, and a checkpoint if
/// one is due.
fn park(
    store: &Store,
    journal: &mut Journal,
    chain: &mut Chain<'_>,
    txn: WriteTxn,
) -> Result<(), StorageError> {
    if let Err(cause) = chain.park(txn) {
        return Err(fail(store, journal, "sealing the commit after its record", &cause));
    }
    checkpoint_if_due(store, journal, chain);
    Ok(())
}

/// A checkpoint, if enough records were written since the last. The group whose record was
/// synced last is durable in the journal: its callers are told so even if the checkpoint
/// fails (later writes are then refused).
fn checkpoint_if_due(store: &Store, journal: &mut Journal, chain: &mut Chain<'_>) {
    if journal.checkpoint_due() {
        match chain.commit_parked().and_then(|()| checkpoint(store)) {
            Ok(()) => journal.checkpointed(),
            Err(cause) => {
                fail(store, journal, "a checkpoint", &cause);
            }
        }
    }
}

/// Records a failure of the journal or of a commit after its record, and fences the store:
/// returns the error for the callers.
fn fail(
    store: &Store,
    journal: &mut Journal,
    what: &str,
    cause: &dyn std::error::Error,
) -> StorageError {
    let reason = format!(
        "the journal {:?} at {what}: {}; the commands of that commit may or may not have been \
         made: open the store again (which replays the journal) and execute them again under \
         the same keys",
        journal.path,
        error_text(cause)
    );
    journal.failed = Some(reason.clone());
    store.fence(reason.clone());
    StorageError::Fenced { reason }
}

/// A synced commit of the store (whatever its durability: a store opened with eventual
/// durability that replays a journal syncs the replay before it removes the journal): it then
/// holds every commit made before it.
pub(crate) fn checkpoint(store: &Store) -> Result<(), StorageError> {
    store.write_durable()?.commit()
}

/// Closing a journaled engine: the store synced and the journal removed (a store closed
/// cleanly has no journal beside it). After a failure the journal stays for the next open.
pub(crate) fn close(store: &Store, journal: Journal) {
    if journal.failed.is_some() || checkpoint(store).is_err() || !journal.removable {
        return;
    }
    // Removing it is tidiness: a journal whose records the store holds replays nothing.
    let _ = std::fs::remove_file(&journal.path).and_then(|()| sync_directory(&journal.path));
}

#[cfg(test)]
mod tests;
