//! The logic of the fuzz targets, compiled on stable: each `fuzz_targets/*.rs` is a thin
//! wrapper over one function here, and `tests` replays the saved corpus in `corpus/<target>/`.
//!
//! Run long with nightly: `cargo +nightly fuzz run <target>` (see docs/DURABILITY.md).

// Amounts are written in cents: `1_000_00` is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use arrears::ids::AccountId;
use arrears::model::{DebtorFlags, DebtorKind, Jurisdiction, ObligationKind, ProductKind, Terms};
use arrears::money::{Currency, Money};
use arrears::{Arrears, Command, FixedClock, NewAccount, NewCharge, NewDebtor, Outcome};
use arrears_store::codec::{decode_record as decode_stored, RecordKind};
use arrears_store::fault::FaultyDisk;
use arrears_store::{Durability, ReadTxn, Store, StoreOptions, WriteTxn};
use chrono::NaiveDate;

mod audit_chain;
mod case_overlay;
mod import_rows;
mod journal_replay;
mod plugin_output;
pub use audit_chain::audit_chain;
pub use case_overlay::case_overlay;
pub use import_rows::import_rows;
pub use journal_replay::journal_replay;
pub use plugin_output::plugin_output;

/// The operations `data` spells, at most `max`, for the targets that replay a sequence of
/// operations against a model: every byte is used, and a tail too short for one more ends it.
fn ops<T: for<'a> Arbitrary<'a>>(data: &[u8], max: usize) -> Vec<T> {
    let mut input = Unstructured::new(data);
    let mut ops = Vec::new();
    while !input.is_empty() && ops.len() < max {
        let Ok(op) = T::arbitrary(&mut input) else { break };
        ops.push(op);
    }
    ops
}

/// A store on a fault-injecting disk under a sequence of operations, with the model of what
/// it holds: `written` as the open transaction sees it, `committed` as the disk keeps it. The
/// steps that end a transaction ([`Session::end`]) are the same for every operation-sequence
/// target.
struct Session<M> {
    options: StoreOptions,
    disk: FaultyDisk,
    /// `None` only while a power loss replaces it (the disk's image is taken after the store
    /// on it is dropped, as `FaultyDisk::power_loss` requires).
    store: Option<Store>,
    txn: Option<WriteTxn>,
    written: M,
    committed: M,
}

/// How a [`Session`]'s transaction ends.
enum End {
    Commit,
    Drop,
    /// The disk keeps only what was synced; the store is opened again on it.
    PowerLoss,
}

impl<M: Clone + Default> Session<M> {
    fn new(options: StoreOptions) -> Session<M> {
        let disk = FaultyDisk::new();
        let store = Some(Store::create_with_backend(&disk, options).expect("create"));
        Session { options, disk, store, txn: None, written: M::default(), committed: M::default() }
    }

    fn store(&self) -> &Store {
        self.store.as_ref().unwrap_or_else(|| unreachable!("replaced only within a power loss"))
    }

    /// The open transaction (begun if none is) and the model it writes to.
    fn write(&mut self) -> (&mut WriteTxn, &mut M) {
        let store = self.store.as_ref().unwrap_or_else(|| unreachable!("open"));
        let txn = self.txn.get_or_insert_with(|| store.write().expect("write"));
        (txn, &mut self.written)
    }

    /// Ends the open transaction (if any) as `end` says, and checks the store against the
    /// committed model with `check`.
    fn end(&mut self, end: End, check: impl Fn(&ReadTxn, &M)) {
        match end {
            End::Commit => {
                if let Some(txn) = self.txn.take() {
                    txn.commit().expect("commit");
                }
                self.committed = self.written.clone();
            }
            End::Drop => {
                self.txn = None;
                self.written = self.committed.clone();
            }
            End::PowerLoss => {
                self.txn = None;
                drop(self.store.take());
                self.disk = self.disk.power_loss();
                let store = Store::open_with_backend(&self.disk, self.options).expect("reopen");
                self.store = Some(store);
                self.written = self.committed.clone();
            }
        }
        check(&self.store().read().expect("read"), &self.committed);
    }
}

const KINDS: [RecordKind; 28] = [
    RecordKind::Debtor,
    RecordKind::Account,
    RecordKind::Obligation,
    RecordKind::Event,
    RecordKind::Derived,
    RecordKind::Entry,
    RecordKind::Idempotency,
    RecordKind::Command,
    RecordKind::Outcome,
    RecordKind::Case,
    RecordKind::Action,
    RecordKind::Contact,
    RecordKind::Audit,
    RecordKind::Snapshot,
    RecordKind::PluginEntry,
    RecordKind::Note,
    RecordKind::Team,
    RecordKind::Agent,
    RecordKind::WorkItem,
    RecordKind::WorkLog,
    RecordKind::BankLine,
    RecordKind::CreditDecision,
    RecordKind::CreditStanding,
    RecordKind::CreditReview,
    RecordKind::ColdPart,
    RecordKind::PayerAccount,
    RecordKind::BankMatch,
    RecordKind::LedgerRow,
];

/// CRC-32 (IEEE), as the record frame uses.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn decode_as(kind: RecordKind, bytes: &[u8]) -> bool {
    use arrears_core::case::{Action, CollectionCase, ContactAttempt};
    use arrears_core::ledger::{EventRecord, JournalEntry, Posting};
    use arrears_core::model::{Debtor, Obligation};
    match kind {
        RecordKind::Debtor => decode_stored::<Debtor>(kind, bytes).is_ok(),
        RecordKind::Account => decode_stored::<arrears_store::AccountRecord>(kind, bytes).is_ok(),
        RecordKind::Obligation => decode_stored::<Obligation>(kind, bytes).is_ok(),
        RecordKind::Event => decode_stored::<EventRecord>(kind, bytes).is_ok(),
        RecordKind::Derived => decode_stored::<Vec<Posting>>(kind, bytes).is_ok(),
        RecordKind::Entry => decode_stored::<JournalEntry>(kind, bytes).is_ok(),
        RecordKind::Idempotency => {
            decode_stored::<arrears_store::IdempotencyRecord>(kind, bytes).is_ok()
        }
        RecordKind::Command => decode_stored::<Command>(kind, bytes).is_ok(),
        RecordKind::Outcome => decode_stored::<Outcome>(kind, bytes).is_ok(),
        RecordKind::Case => decode_stored::<CollectionCase>(kind, bytes).is_ok(),
        RecordKind::Action => decode_stored::<Action>(kind, bytes).is_ok(),
        RecordKind::Contact => decode_stored::<ContactAttempt>(kind, bytes).is_ok(),
        RecordKind::Audit => decode_stored::<arrears_store::AuditEntry>(kind, bytes).is_ok(),
        RecordKind::Snapshot => decode_stored::<arrears_store::SnapshotRecord>(kind, bytes).is_ok(),
        RecordKind::PluginEntry => {
            decode_stored::<arrears_store::PluginEntryRow>(kind, bytes).is_ok()
        }
        RecordKind::Note => decode_stored::<arrears_core::case::Note>(kind, bytes).is_ok(),
        RecordKind::Team => decode_stored::<arrears_core::work::Team>(kind, bytes).is_ok(),
        RecordKind::Agent => decode_stored::<arrears_core::work::Agent>(kind, bytes).is_ok(),
        RecordKind::WorkItem => decode_stored::<arrears_core::work::WorkItem>(kind, bytes).is_ok(),
        RecordKind::WorkLog => {
            decode_stored::<arrears_core::work::WorkLogEntry>(kind, bytes).is_ok()
        }
        RecordKind::BankLine => decode_stored::<arrears_core::cash::HeldLine>(kind, bytes).is_ok(),
        RecordKind::CreditDecision => {
            decode_stored::<arrears_core::credit::CreditDecision>(kind, bytes).is_ok()
        }
        RecordKind::CreditStanding => {
            decode_stored::<arrears_core::credit::CreditStanding>(kind, bytes).is_ok()
        }
        RecordKind::CreditReview => {
            decode_stored::<arrears_core::credit::CreditReview>(kind, bytes).is_ok()
        }
        RecordKind::ColdPart => {
            decode_stored::<arrears_core::ledger::ColdPart>(kind, bytes).is_ok()
        }
        RecordKind::PayerAccount => {
            decode_stored::<arrears_core::cash::RegisteredPayer>(kind, bytes).is_ok()
        }
        RecordKind::BankMatch => {
            decode_stored::<arrears_core::cash::LineMatch>(kind, bytes).is_ok()
        }
        RecordKind::LedgerRow => decode_stored::<arrears_store::LedgerRow>(kind, bytes).is_ok(),
    }
}

/// Record decoding: the raw bytes as every record kind (almost always a checksum error), then
/// the bytes framed with a valid version and CRC so that the payload decoder itself is
/// exercised. Decoding must return a value or an error, never panic.
pub fn decode_record(data: &[u8]) {
    for kind in KINDS {
        decode_as(kind, data);
        let mut framed = vec![kind.version()];
        framed.extend_from_slice(data);
        let crc = crc32(&framed);
        framed.extend_from_slice(&crc.to_le_bytes());
        decode_as(kind, &framed);
    }
}

/// Policy and compliance pack files: parsing arbitrary text returns a value or a located
/// error, never a panic.
pub fn policy_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = arrears::policy::Policy::from_toml(text, "fuzz.toml");
    let _ = arrears::compliance::Pack::from_toml(text, "fuzz.toml");
}

/// One bounded operation of the command-sequence target.
#[derive(Debug, Arbitrary)]
pub enum Op {
    /// A charge to account `account % 3`, due `due % 90` days after Jan 1, of `amount` cents.
    Charge { account: u8, due: u8, amount: u16 },
    /// A payment to account `account % 3`, `day % 120` days after Jan 1.
    Pay { account: u8, day: u8, amount: u16 },
    /// The same key as operation `back % len` again (idempotent replay).
    Replay { back: u8 },
}

pub(crate) fn day(offset: u8, modulo: u8) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(offset % modulo))
}

pub(crate) fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

/// Command sequences against a model: the engine (on an in-memory disk) and a map of what each
/// account owes must agree after every operation, replays change nothing, and `verify` is
/// clean at the end.
pub fn commands_model(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok(ops) = Vec::<Op>::arbitrary(&mut input) else { return };
    let ops = &ops[..ops.len().min(64)];
    let disk = FaultyDisk::new();
    let options = StoreOptions {
        cache_size_bytes: 1 << 20,
        durability: Durability::Eventual,
        ..StoreOptions::default()
    };
    let store = Store::create_with_backend(&disk, options).expect("create");
    let clock = Box::new(FixedClock("2026-12-01T00:00:00Z".parse().expect("instant")));
    let books = Arrears::from_store(store, clock);
    let ids: Vec<AccountId> = (0..3).map(|i| open_account(&books, i)).collect();
    // Model: charged and paid per account (payments beyond what is owed are unapplied cash).
    let mut charged: BTreeMap<usize, i64> = BTreeMap::new();
    let mut paid: BTreeMap<usize, i64> = BTreeMap::new();
    let mut issued: Vec<(String, Command)> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        let (key, command, index, amount, is_charge) = match *op {
            Op::Charge { account, due, amount } => {
                let index = usize::from(account % 3);
                let amount = i64::from(amount) + 1;
                let command = Command::Charge(NewCharge {
                    account: ids[index],
                    external_ref: None,
                    kind: ObligationKind::Invoice,
                    issued_on: day(0, 1),
                    due_on: day(due, 90),
                    principal: usd(amount),
                    interest: usd(0),
                    fee: usd(0),
                });
                (format!("op{n}"), command, index, amount, true)
            }
            Op::Pay { account, day: on, amount } => {
                let index = usize::from(account % 3);
                let amount = i64::from(amount) + 1;
                let command = Command::Payment {
                    account: ids[index],
                    effective_on: day(on, 120),
                    amount: usd(amount),
                    directed_to: None,
                };
                (format!("op{n}"), command, index, amount, false)
            }
            Op::Replay { back } => {
                if issued.is_empty() {
                    continue;
                }
                let (key, command) = &issued[usize::from(back) % issued.len()];
                let receipt = books.execute(key, command).expect("replay");
                assert!(receipt.replayed, "{key} was not replayed");
                continue;
            }
        };
        let receipt = books.execute(&key, &command).expect("execute");
        assert!(!receipt.replayed);
        assert!(!receipt.outcome.is_rejected(), "{:?}", receipt.outcome);
        if is_charge {
            *charged.entry(index).or_default() += amount;
        } else {
            *paid.entry(index).or_default() += amount;
        }
        issued.push((key, command));
        let view = books.account_view(ids[index], day(200, 201)).expect("view");
        let owed = charged.get(&index).copied().unwrap_or(0);
        let cash = paid.get(&index).copied().unwrap_or(0);
        assert_eq!(
            view.total_outstanding_minor - view.unapplied_minor.abs(),
            owed - cash,
            "account {index} after {op:?}"
        );
    }
    let report = books.verify().expect("verify");
    assert!(report.is_clean(), "{:?}", report.problems);
}

pub(crate) fn open_account(books: &Arrears, i: usize) -> AccountId {
    let debtor = match books
        .execute(
            &format!("debtor{i}"),
            &Command::CreateDebtor(NewDebtor {
                external_ref: None,
                kind: DebtorKind::Person,
                name: format!("Debtor {i}"),
                jurisdiction: Jurisdiction { country: "US".into(), region: None },
                time_zones: vec!["America/Chicago".into()],
                language: "en".into(),
                contact_points: Vec::new(),
                flags: DebtorFlags::default(),
            }),
        )
        .expect("debtor")
        .outcome
    {
        Outcome::DebtorCreated(id) => id,
        other => panic!("{other:?}"),
    };
    let command = Command::OpenAccount(NewAccount {
        external_ref: None,
        debtor,
        product: ProductKind::TradeCredit,
        credit_limit: None,
        currency: Currency::USD,
        opened_on: day(0, 1),
        terms: Terms::default(),
    });
    match books.execute(&format!("account{i}"), &command).expect("account").outcome {
        Outcome::AccountOpened(id) => id,
        other => panic!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Replays every saved input of a target's corpus.
    fn replay(target: &str, run: fn(&[u8])) -> usize {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("corpus directory") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                run(&std::fs::read(&path).expect("input"));
                count += 1;
            }
        }
        assert!(count > 0, "{} is empty", dir.display());
        count
    }

    #[test]
    fn decode_record_corpus() {
        replay("decode_record", super::decode_record);
    }

    /// The snapshot seeds are payloads the target frames at the current snapshot version (4,
    /// format 13, the compact form), so the fuzzer starts from a record that decodes; the
    /// version-3 one (formats 6 to 12) decodes framed at its own version.
    #[test]
    fn the_snapshot_seeds_decode_at_their_versions() {
        use arrears_store::codec::{decode_record, RecordKind};
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/decode_record");
        assert_eq!(RecordKind::Snapshot.version(), 4);
        for (seed, version) in [("snapshot-v4-payload", 4), ("snapshot-v3-payload", 3)] {
            let payload = std::fs::read(dir.join(seed)).expect("seed");
            let mut framed = vec![version];
            framed.extend_from_slice(&payload);
            let crc = super::crc32(&framed);
            framed.extend_from_slice(&crc.to_le_bytes());
            let record: arrears_store::SnapshotRecord =
                decode_record(RecordKind::Snapshot, &framed).expect(seed);
            assert_eq!(record.ledger_head, 0x0102_0304, "{seed}");
        }
    }

    #[test]
    fn policy_toml_corpus() {
        replay("policy_toml", super::policy_toml);
    }

    #[test]
    fn commands_model_corpus() {
        replay("commands_model", super::commands_model);
    }

    #[test]
    fn import_rows_corpus() {
        replay("import_rows", super::import_rows);
    }

    #[test]
    fn journal_replay_corpus() {
        replay("journal_replay", super::journal_replay);
    }

    #[test]
    fn case_overlay_corpus() {
        replay("case_overlay", super::case_overlay);
    }

    #[test]
    fn audit_chain_corpus() {
        replay("audit_chain", super::audit_chain);
    }

    #[test]
    fn plugin_output_corpus() {
        replay("plugin_output", super::plugin_output);
    }

    /// Pseudo-random inputs on stable, a poor man's smoke run of each target.
    #[test]
    fn smoke_random_inputs() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..200_usize {
            let bytes: Vec<u8> = (0..len * 3)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            super::decode_record(&bytes);
            super::policy_toml(&bytes);
            super::plugin_output(&bytes);
            if len % 10 == 0 {
                super::journal_replay(&bytes);
                super::case_overlay(&bytes);
                super::audit_chain(&bytes);
                super::commands_model(&bytes);
                super::import_rows(&bytes);
            }
        }
    }
}
