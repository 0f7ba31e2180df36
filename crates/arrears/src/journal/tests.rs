//! The journal's file format: records round-trip, and a scan takes exactly the records after
//! the store's sequence, stopping at a torn or stale record.

use std::io;

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::*;
use crate::command::Command;

/// A journal file in memory.
struct Memory(std::sync::Mutex<Vec<u8>>);

impl Memory {
    fn new(bytes: Vec<u8>) -> Memory {
        Memory(std::sync::Mutex::new(bytes))
    }

    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

impl JournalFile for Memory {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.lock().unwrap().len() as u64)
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let bytes = self.0.lock().unwrap();
        let start = offset as usize;
        out.copy_from_slice(&bytes[start..start + out.len()]);
        Ok(())
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut bytes = self.0.lock().unwrap();
        let end = offset as usize + data.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[offset as usize..end].copy_from_slice(data);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A file shared by a journal (which owns a box of it) and the test.
#[derive(Clone)]
struct Shared(std::sync::Arc<Memory>);

impl JournalFile for Shared {
    fn len(&self) -> io::Result<u64> {
        self.0.len()
    }
    fn read_at(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.0.read_at(offset, out)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.0.write_at(offset, data)
    }
    fn sync(&self) -> io::Result<()> {
        self.0.sync()
    }
}

fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, nanos).unwrap()
}

fn note(n: u64) -> Command {
    Command::Payment {
        account: arrears_core::ids::AccountId(n % 7 + 1),
        effective_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1 + (n % 28) as u32).unwrap(),
        amount: arrears_core::money::Money::new(
            rust_decimal::Decimal::new(n as i64 * 37 + 1, 2),
            arrears_core::money::Currency::USD,
        ),
        directed_to: None,
    }
}

/// A journal started on an empty shared file, in `epoch`.
fn started(epoch: u64) -> (Journal, Shared) {
    let file = Shared(std::sync::Arc::new(Memory::new(Vec::new())));
    let journal = Journal::start(Box::new(file.clone()), "mem".into(), epoch).unwrap();
    (journal, file)
}

/// The records a scan returns when the store holds those up to sequence `through`.
fn scan_through(file: &dyn JournalFile, through: u64) -> Result<Vec<Record>, String> {
    scan(file, &mut |record| Ok(held_if(record.seq <= through))).map(|scan| scan.records)
}

fn held_if(held: bool) -> Presence {
    if held {
        Presence::Held
    } else {
        Presence::Lacked
    }
}

/// Appends an exact record of `count` commands under the journal's next sequence number.
fn append(journal: &mut Journal, count: u64) -> Record {
    append_kind(journal, count, false)
}

/// Appends a record of `count` commands, tentative or exact.
fn append_kind(journal: &mut Journal, count: u64, tentative: bool) -> Record {
    let commands: Vec<(String, Command)> =
        (0..count).map(|n| (format!("k{}-{n}", journal.next_seq), note(n))).collect();
    let refs: Vec<(&str, &Command)> = commands.iter().map(|(k, c)| (k.as_str(), c)).collect();
    let now = at(1_780_000_000 + journal.next_seq as i64, 123);
    // Any first audit sequence: the scan does not read it.
    let first_seq = 10 * journal.next_seq;
    let head = Head { epoch: journal.epoch, seq: journal.next_seq, now, first_seq, tentative };
    let bytes = encode(head, &refs).unwrap();
    let record = Record {
        epoch: journal.epoch,
        seq: journal.next_seq,
        now,
        first_seq: Some(first_seq),
        tentative,
        commands: commands
            .iter()
            .map(|(key, command)| {
                let bytes = arrears_store::codec::encode_record(
                    arrears_store::RecordKind::Command,
                    command,
                );
                (key.clone(), bytes)
            })
            .collect(),
    };
    assert!(journal.fits(&bytes));
    journal.append(&bytes).unwrap();
    record
}

#[test]
fn a_started_journal_is_the_header_and_zeros() {
    let (_journal, file) = started(7);
    let bytes = file.0.bytes();
    assert_eq!(bytes.len() as u64, JOURNAL_BYTES);
    assert_eq!(&bytes[..16], MAGIC);
    assert_eq!(bytes[16..24], 7_u64.to_le_bytes());
    assert!(bytes[24..].iter().all(|byte| *byte == 0));
    let scanned = scan(&file, &mut |_| Ok(Presence::Lacked)).unwrap();
    assert_eq!(scanned, Scan { records: Vec::new(), epoch: 7 });
}

#[test]
fn an_empty_file_holds_nothing_and_another_file_is_refused() {
    assert_eq!(scan_through(&Memory::new(Vec::new()), 5).unwrap(), Vec::new());
    let error =
        scan_through(&Memory::new(b"some other file, long enough".to_vec()), 0).unwrap_err();
    assert!(error.contains("not an Arrears journal"), "{error}");
    let error = scan_through(&Memory::new(b"short".to_vec()), 0).unwrap_err();
    assert!(error.contains("not an Arrears journal"), "{error}");
}

#[test]
fn a_journal_whose_creation_stopped_before_its_header_holds_nothing() {
    for len in [1, 15, 16, 4096, 1 << 20] {
        assert_eq!(scan_through(&Memory::new(vec![0; len]), 3).unwrap(), Vec::new(), "{len} zeros");
    }
}

#[test]
fn a_scan_takes_the_records_the_store_lacks_and_refuses_one_held_after_one_lacking() {
    let (mut journal, file) = started(1);
    let records: Vec<Record> = (0..5).map(|n| append(&mut journal, n % 3 + 1)).collect();
    assert_eq!(scan_through(&file, 0).unwrap(), records);
    assert_eq!(scan_through(&file, 2).unwrap(), records[2..].to_vec());
    assert_eq!(scan_through(&file, 5).unwrap(), Vec::new());
    assert_eq!(scan_through(&file, 40).unwrap(), Vec::new());
    // The store holds record 4 but not 2: not the store this journal was written for.
    let error =
        scan(&file, &mut |record| Ok(held_if(record.seq == 1 || record.seq == 4))).unwrap_err();
    assert!(error.contains("record 4 is in the store, but record 2"), "{error}");
    // What the store says fails the scan.
    let error = scan(&file, &mut |_| Err("the store failed".into())).unwrap_err();
    assert_eq!(error, "the store failed");
}

/// A record of version 1 (the builds before session 45): no first audit sequence, no kind.
fn encode_v1(epoch: u64, seq: u64, now: DateTime<Utc>, commands: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&epoch.to_le_bytes());
    body.extend_from_slice(&seq.to_le_bytes());
    body.extend_from_slice(&now.timestamp().to_le_bytes());
    body.extend_from_slice(&now.timestamp_subsec_nanos().to_le_bytes());
    body.extend_from_slice(&(commands.len() as u32).to_le_bytes());
    for (key, record) in commands {
        body.extend_from_slice(&(key.len() as u16).to_le_bytes());
        body.extend_from_slice(key.as_bytes());
        body.extend_from_slice(&(record.len() as u32).to_le_bytes());
        body.extend_from_slice(record);
    }
    let mut bytes = (body.len() as u32).to_le_bytes().to_vec();
    bytes.extend_from_slice(&checksum(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

#[test]
fn a_journal_of_version_1_is_read_as_exact_records_and_an_unknown_version_is_refused() {
    let command =
        |n| arrears_store::codec::encode_record(arrears_store::RecordKind::Command, &note(n));
    let records: Vec<Record> = (1..=3)
        .map(|seq| Record {
            epoch: 4,
            seq,
            now: at(1_780_000_000 + seq as i64, 9),
            first_seq: None,
            tentative: false,
            commands: (0..seq).map(|n| (format!("v1-{seq}-{n}"), command(n))).collect(),
        })
        .collect();
    let mut file = b"arrears journal\x01".to_vec();
    file.extend_from_slice(&4_u64.to_le_bytes());
    for record in &records {
        file.extend_from_slice(&encode_v1(record.epoch, record.seq, record.now, &record.commands));
    }
    file.extend_from_slice(&[0; 100]);
    assert_eq!(scan_through(&Memory::new(file.clone()), 1).unwrap(), records[1..].to_vec());
    file[15] = 3;
    let error = scan_through(&Memory::new(file), 0).unwrap_err();
    assert!(error.contains("version 3"), "{error}");
}

#[test]
fn a_tentative_record_the_store_went_on_past_is_not_taken_and_nothing_may_follow_it() {
    let (mut journal, file) = started(1);
    let records: Vec<Record> = (0..3).map(|n| append_kind(&mut journal, 2, n == 2)).collect();
    assert!(records[2].tentative && !records[1].tentative);
    let passed_at = |seq: u64, held: u64| {
        move |record: &Record| {
            Ok(if record.seq == seq { Presence::Passed } else { held_if(record.seq <= held) })
        }
    };
    // The store holds records 1 and 2 and went on past 3 (a group that wrote nothing).
    let scanned = scan(&file, &mut passed_at(3, 2)).unwrap();
    assert_eq!(scanned.records, Vec::new());
    // A record after one passed, or one passed after one lacked: not this store's journal.
    let error = scan(&file, &mut passed_at(2, 1)).unwrap_err();
    assert!(error.contains("record 3 follows record 2"), "{error}");
    let error = scan(&file, &mut passed_at(3, 1)).unwrap_err();
    assert!(error.contains("past record 3, but lacks record 2"), "{error}");
}

#[test]
fn records_of_an_older_epoch_are_not_taken() {
    let (mut journal, file) = started(1);
    for _ in 0..4 {
        append(&mut journal, 2);
    }
    // The next start: the file keeps the older records, the header says epoch 2.
    let mut journal = Journal::start(Box::new(file.clone()), "mem".into(), 2).unwrap();
    assert_eq!(scan_through(&file, 0).unwrap(), Vec::new());
    let newer = append(&mut journal, 1);
    assert_eq!(newer.seq, 1);
    assert_eq!(scan_through(&file, 0).unwrap(), vec![newer]);
}

#[test]
fn after_a_checkpoint_the_older_records_behind_the_newest_are_not_taken() {
    let (mut journal, file) = started(1);
    for _ in 0..6 {
        append(&mut journal, 3);
    }
    journal.checkpointed();
    // Right after the checkpoint, the older round is all the file holds, all of it held.
    assert_eq!(scan_through(&file, 6).unwrap(), Vec::new());
    // Shorter records over the start: what is left of the older round follows them.
    let newer: Vec<Record> = (0..2).map(|_| append(&mut journal, 1)).collect();
    assert_eq!(scan_through(&file, 6).unwrap(), newer);
    assert_eq!(scan_through(&file, 7).unwrap(), newer[1..].to_vec());
    assert_eq!(scan_through(&file, 8).unwrap(), Vec::new());
}

#[test]
fn a_record_too_large_for_the_journal_is_not_encoded() {
    let keys: Vec<String> = (0..40_000).map(|n| format!("{n:0>100}")).collect();
    let command = note(1);
    let refs: Vec<(&str, &Command)> = keys.iter().map(|key| (key.as_str(), &command)).collect();
    let head = Head { epoch: 1, seq: 1, now: at(0, 0), first_seq: 1, tentative: true };
    assert_eq!(encode(head, &refs), None);
    let (mut journal, _file) = started(1);
    // A record that fits the file but not what is left of it.
    while journal.fits(&[0; 200_000]) {
        append(&mut journal, 1);
        journal.offset += 200_000;
    }
    assert!(!journal.fits(&[0; 200_000]));
    journal.checkpointed();
    assert!(journal.fits(&[0; 200_000]));
}

/// What a journal becomes after a sequence of appends and checkpoints.
#[derive(Debug, Clone)]
enum Step {
    Append(u64),
    Checkpoint,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![4 => (1_u64..4).prop_map(Step::Append), 1 => Just(Step::Checkpoint)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Model: the store holds every record up to the last checkpoint's, and, of those after
    /// it, the first `held` (its unsynced commits that reached the disk); the scan returns
    /// exactly the records after what the store holds, whatever older rounds left in the file
    /// and wherever the file is torn past the last synced record.
    #[test]
    fn a_scan_returns_exactly_the_records_the_store_lacks(
        steps in proptest::collection::vec(step(), 1..40),
        held_share in 0.0_f64..1.0,
        tear in proptest::option::of((0_usize..64, any::<u8>())),
    ) {
        let (mut journal, file) = started(1);
        let mut since_checkpoint: Vec<Record> = Vec::new();
        let mut checkpointed_seq = 0;
        for step in steps {
            match step {
                Step::Append(count) => since_checkpoint.push(append(&mut journal, count)),
                Step::Checkpoint => {
                    checkpointed_seq = journal.next_seq - 1;
                    since_checkpoint.clear();
                    journal.checkpointed();
                }
            }
        }
        let held = (since_checkpoint.len() as f64 * held_share) as usize;
        let stored_seq = checkpointed_seq + held as u64;
        // A torn write after the last record: bytes of a next record that never synced.
        if let Some((len, byte)) = tear {
            let garbage = vec![byte; len];
            file.write_at(journal.offset, &garbage).unwrap();
        }
        let scanned = scan_through(&file, stored_seq).unwrap();
        prop_assert_eq!(scanned, since_checkpoint[held..].to_vec());
    }

    /// Any bytes after the header: the scan never panics, and takes only records whose
    /// framing and checksum hold (none here: the chance of a random checksum is nil).
    #[test]
    fn arbitrary_bytes_scan_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2_000)) {
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&1_u64.to_le_bytes());
        file.extend_from_slice(&bytes);
        prop_assert_eq!(scan_through(&Memory::new(file), 0).unwrap(), Vec::new());
    }

    /// Any body, framed with its length and a checksum that holds: the decoder reads it or
    /// says what is wrong and where (the record's offset), and never panics.
    #[test]
    fn an_arbitrary_checked_body_decodes_or_is_refused(
        body in proptest::collection::vec(any::<u8>(), 1..600),
        stored in 0_u64..3,
    ) {
        // The header's epoch is the body's, so that a body that decodes is taken.
        let mut file = MAGIC.to_vec();
        let mut epoch = [0_u8; 8];
        let n = body.len().min(8);
        epoch[..n].copy_from_slice(&body[..n]);
        file.extend_from_slice(&epoch);
        file.extend_from_slice(&(body.len() as u32).to_le_bytes());
        file.extend_from_slice(&checksum(&body).to_le_bytes());
        file.extend_from_slice(&body);
        match scan_through(&Memory::new(file), stored) {
            Ok(records) => {
                for record in records {
                    prop_assert!(record.seq > stored);
                }
            }
            Err(reason) => prop_assert!(reason.starts_with("at byte 24"), "{}", reason),
        }
    }

    /// Flipping any byte of the newest record stops the scan before it: a record is taken
    /// whole or not at all.
    #[test]
    fn a_damaged_record_is_not_taken(count in 1_u64..4, flip in any::<prop::sample::Index>()) {
        let (mut journal, file) = started(1);
        let first = append(&mut journal, 2);
        let start = journal.offset;
        append(&mut journal, count);
        let end = journal.offset;
        let at_byte = start + flip.index((end - start) as usize) as u64;
        let mut byte = [0_u8];
        file.read_at(at_byte, &mut byte).unwrap();
        file.write_at(at_byte, &[byte[0] ^ 0x5a]).unwrap();
        let scanned = scan_through(&file, 0);
        // Only the length, the checksum or a body the checksum then rejects were hit.
        prop_assert_eq!(scanned.unwrap(), vec![first]);
    }
}
