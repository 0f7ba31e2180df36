//! The `journal_replay` target: a journal of arbitrary records beside a store, opened with
//! `Durability::Journaled` (docs/DURABILITY.md, "The journal", which documents the file this
//! builds: the header and its epoch, then records framed by a length and the first 8 bytes of
//! SHA-256 of the body). Records are framed with checksums that hold, so the fuzzer reaches the
//! decoder and the replay: files of version 1 and 2, sequences that follow or skip, epochs that
//! are the header's or not, first audit sequences that are the store's next or not, exact and
//! tentative records, commands that are well-formed payments and charges,
//! bytes that are no command, keys that repeat (a replay, or an idempotency conflict), and
//! damaged bytes and a tail of anything. The open either replays and verifies clean, or fails
//! with an error; it never panics, and the store alone verifies clean afterwards either way.

use arbitrary::{Arbitrary, Unstructured};
use arrears::model::ObligationKind;
use arrears::{Arrears, Command, FixedClock, NewCharge, Options};
use arrears_store::codec::{encode_record, RecordKind};
use arrears_store::fault::FaultyDisk;
use arrears_store::{Store, StoreOptions};
use sha2::{Digest, Sha256};

use crate::{day, open_account, usd};

/// The journal's header (docs/DURABILITY.md), without its version byte.
const MAGIC: &[u8; 15] = b"arrears journal";

#[derive(Arbitrary, Debug)]
struct Input {
    /// Version 2 (records with their first audit sequence and kind) or, when false, 1.
    version_2: bool,
    records: Vec<RecordSpec>,
    tail: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct RecordSpec {
    /// Added to the sequence that would follow (0: it follows).
    skip: u8,
    /// The record's epoch is the header's unless this is 3 (mod 8).
    epoch: u8,
    seconds: u32,
    commands: Vec<CommandSpec>,
    /// A byte of the framed record flipped (offset, bits).
    damage: Option<(u16, u8)>,
    /// Version 2: the record's first audit sequence, as an offset from the store's next (0:
    /// the store is as the record's group found it, for the first record).
    first_seq: u8,
    /// Version 2: a tentative record (every command of its group) rather than an exact one.
    tentative: bool,
}

#[derive(Arbitrary, Debug)]
enum CommandSpec {
    Pay { key: u8, account: u8, day: u8, amount: u32 },
    Charge { key: u8, account: u8, due: u8, amount: u32 },
    Bytes { key: u8, bytes: Vec<u8> },
}

fn clock() -> Box<FixedClock> {
    Box::new(FixedClock("2026-12-01T00:00:00Z".parse().expect("instant")))
}

fn store_options() -> StoreOptions {
    StoreOptions { cache_size_bytes: 1 << 20, ..StoreOptions::default() }
}

/// Opens a journal of arbitrary records beside a store of three accounts.
pub fn journal_replay(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut input) else { return };
    let disk = FaultyDisk::new();
    let books = Arrears::from_store(
        Store::create_with_backend(&disk, store_options()).expect("create"),
        clock(),
    );
    let ids: Vec<_> = (0..3).map(|i| open_account(&books, i)).collect();
    let next_seq = books.audit_head().expect("audit head").map_or(1, |head| head.seq + 1);
    drop(books);

    const EPOCH: u64 = 1;
    let mut image = MAGIC.to_vec();
    image.push(if input.version_2 { 2 } else { 1 });
    image.extend_from_slice(&EPOCH.to_le_bytes());
    let mut seq = 0_u64;
    for record in input.records.iter().take(16) {
        // One record in four jumps ahead (a gap, or a sequence the store's is behind).
        let gap = if record.skip % 4 == 3 { u64::from(record.skip) } else { 0 };
        seq += 1 + gap;
        let mut body = Vec::new();
        let epoch = if record.epoch % 8 == 3 { u64::from(record.epoch) } else { EPOCH };
        body.extend_from_slice(&epoch.to_le_bytes());
        body.extend_from_slice(&seq.to_le_bytes());
        body.extend_from_slice(&(1_780_000_000_i64 + i64::from(record.seconds)).to_le_bytes());
        body.extend_from_slice(&0_u32.to_le_bytes());
        if input.version_2 {
            body.extend_from_slice(&(next_seq + u64::from(record.first_seq)).to_le_bytes());
            body.push(u8::from(record.tentative));
        }
        let commands = &record.commands[..record.commands.len().min(8)];
        body.extend_from_slice(&(commands.len() as u32).to_le_bytes());
        for spec in commands {
            let (key, bytes) = match spec {
                CommandSpec::Pay { key, account, day: on, amount } => {
                    let command = Command::Payment {
                        account: ids[usize::from(account % 3)],
                        effective_on: day(*on, 120),
                        amount: usd(i64::from(*amount % 1_000_000) + 1),
                        directed_to: None,
                    };
                    (key, encode_record(RecordKind::Command, &command))
                }
                CommandSpec::Charge { key, account, due, amount } => {
                    let command = Command::Charge(NewCharge {
                        account: ids[usize::from(account % 3)],
                        external_ref: None,
                        kind: ObligationKind::Invoice,
                        issued_on: day(0, 1),
                        due_on: day(*due, 90),
                        principal: usd(i64::from(*amount % 1_000_000) + 1),
                        interest: usd(0),
                        fee: usd(0),
                    });
                    (key, encode_record(RecordKind::Command, &command))
                }
                CommandSpec::Bytes { key, bytes } => (key, bytes.clone()),
            };
            let key = format!("j{}", key % 32);
            body.extend_from_slice(&(key.len() as u16).to_le_bytes());
            body.extend_from_slice(key.as_bytes());
            body.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            body.extend_from_slice(&bytes);
        }
        let sum = Sha256::digest(&body);
        let start = image.len();
        image.extend_from_slice(&(body.len() as u32).to_le_bytes());
        image.extend_from_slice(&sum[..8]);
        image.extend_from_slice(&body);
        if let Some((offset, bits)) = record.damage {
            let at = start + usize::from(offset) % (image.len() - start);
            image[at] ^= bits;
        }
    }
    image.extend_from_slice(&input.tail[..input.tail.len().min(256)]);
    let journal = FaultyDisk::from_image(image);

    let options = Options { cache_size_bytes: 1 << 20, clock: clock(), ..Options::default() };
    if let Ok(books) = Arrears::open_journaled_with_backend(&disk, &journal, options) {
        let report = books.verify().expect("verify");
        assert!(report.is_clean(), "after the replay: {:?}", report.problems);
    }
    // Replayed or refused, the store alone is whole.
    let alone = Arrears::from_store(
        Store::open_with_backend(&disk, store_options()).expect("open"),
        clock(),
    );
    let report = alone.verify().expect("verify");
    assert!(report.is_clean(), "the store alone: {:?}", report.problems);
}
