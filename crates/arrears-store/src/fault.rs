//! A fault-injecting, in-memory disk for durability tests (feature `fault-injection`).
//!
//! A [`FaultyDisk`] keeps two images of the store file: what the last successful sync made
//! durable, and what reads see now (the synced image plus the writes since). It can fail the
//! k-th write, sync, `set_len` or read with an I/O error, lose power (keep only the synced image, or
//! the synced image plus a seeded random subset of the pending writes: a torn write-back), and
//! flip a bit. Open a store on it with [`crate::Store::create_with_backend`] or
//! [`crate::Store::open_with_backend`]. No redb type appears in this module's API.

use std::sync::{Arc, Mutex, MutexGuard};

/// Which operations fail, counted from 1 since the disk was made (or since
/// [`FaultyDisk::set_plan`]). `None` never fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Fail the k-th `write`.
    pub fail_write: Option<u64>,
    /// Fail the k-th `sync_data`.
    pub fail_sync: Option<u64>,
    /// Fail the k-th `set_len`.
    pub fail_set_len: Option<u64>,
    /// Fail the k-th `read` (a page redb's cache lacks: a bad sector, a disk that went away).
    pub fail_read: Option<u64>,
    /// Once a fault fired, fail every later operation too (a disk that went away).
    pub sticky: bool,
}

#[derive(Debug, Default)]
struct Inner {
    synced: Vec<u8>,
    current: Vec<u8>,
    /// Writes and length changes since the last sync, in order.
    pending: Vec<Pending>,
    plan: FaultPlan,
    writes: u64,
    syncs: u64,
    set_lens: u64,
    reads: u64,
    fired: bool,
}

#[derive(Debug, Clone)]
enum Pending {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

/// An in-memory disk shared by the store using it and the test controlling it.
#[derive(Debug, Clone, Default)]
pub struct FaultyDisk {
    inner: Arc<Mutex<Inner>>,
}

/// Counters of the operations a disk served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskStats {
    /// `write` calls.
    pub writes: u64,
    /// `sync_data` calls.
    pub syncs: u64,
    /// `set_len` calls.
    pub set_lens: u64,
    /// `read` calls.
    pub reads: u64,
    /// Bytes in the current image.
    pub len: u64,
}

impl FaultyDisk {
    /// An empty disk that never fails.
    pub fn new() -> FaultyDisk {
        FaultyDisk::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the images half-updated in a way that
        // matters to a test; keep going.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets which operations fail next, and resets the counters.
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut inner = self.lock();
        inner.plan = plan;
        inner.writes = 0;
        inner.syncs = 0;
        inner.set_lens = 0;
        inner.reads = 0;
        inner.fired = false;
    }

    /// Operations served since the last [`FaultyDisk::set_plan`].
    pub fn stats(&self) -> DiskStats {
        let inner = self.lock();
        DiskStats {
            writes: inner.writes,
            syncs: inner.syncs,
            set_lens: inner.set_lens,
            reads: inner.reads,
            len: inner.current.len() as u64,
        }
    }

    /// Returns true if and only if a planned fault fired.
    pub fn fired(&self) -> bool {
        self.lock().fired
    }

    /// A new disk holding what survives a power loss now: the synced image only. The store
    /// using this disk must be dropped (or forgotten) first; the new disk never fails.
    pub fn power_loss(&self) -> FaultyDisk {
        let inner = self.lock();
        FaultyDisk::from_image(inner.synced.clone())
    }

    /// A new disk holding the synced image plus a random subset (chosen by `seed`) of the
    /// writes not yet synced, as a disk cache that wrote back some of them may leave it.
    pub fn power_loss_torn(&self, seed: u64) -> FaultyDisk {
        let inner = self.lock();
        let mut image = inner.synced.clone();
        let mut state = seed | 1;
        for pending in &inner.pending {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match pending {
                Pending::Write { offset, data } if state % 2 == 0 => {
                    write_at(&mut image, *offset, data);
                }
                Pending::Write { .. } => {}
                // Growing the file is kept (zeroes); shrinking is metadata a crash may lose.
                Pending::SetLen(len) if *len as usize > image.len() => {
                    image.resize(*len as usize, 0);
                }
                Pending::SetLen(_) => {}
            }
        }
        FaultyDisk::from_image(image)
    }

    /// Empties this disk (its images and pending writes), for a test that is done with it
    /// but whose store it cannot drop: a store forgotten to simulate a process that died
    /// keeps the disk alive, and with it every image, for the rest of the test process.
    pub fn discard(&self) {
        let mut inner = self.lock();
        inner.synced = Vec::new();
        inner.current = Vec::new();
        inner.pending = Vec::new();
    }

    /// A disk that never fails holding `image` as synced.
    pub fn from_image(image: Vec<u8>) -> FaultyDisk {
        let inner = Inner { synced: image.clone(), current: image, ..Inner::default() };
        FaultyDisk { inner: Arc::new(Mutex::new(inner)) }
    }

    /// A copy of the current image (what reads see).
    pub fn image(&self) -> Vec<u8> {
        self.lock().current.clone()
    }

    /// Flips one bit of the current and the synced image. Returns false if `offset` is past
    /// the end.
    pub fn flip_bit(&self, offset: u64, bit: u8) -> bool {
        let mut inner = self.lock();
        let offset = offset as usize;
        if offset >= inner.current.len() {
            return false;
        }
        inner.current[offset] ^= 1 << (bit % 8);
        if offset < inner.synced.len() {
            inner.synced[offset] ^= 1 << (bit % 8);
        }
        true
    }

    /// Offsets where `needle` occurs in the current image.
    pub fn find(&self, needle: &[u8]) -> Vec<u64> {
        let inner = self.lock();
        if needle.is_empty() {
            return Vec::new();
        }
        inner
            .current
            .windows(needle.len())
            .enumerate()
            .filter(|(_, window)| *window == needle)
            .map(|(offset, _)| offset as u64)
            .collect()
    }

    /// Reads `out.len()` bytes at `offset` of the current image, as a file would (for a
    /// second file of a test on this kind of disk: the engine's journal).
    ///
    /// # Errors
    ///
    /// `InvalidInput` past the end.
    pub fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        redb::StorageBackend::read(&self.backend(), offset, out)
    }

    /// Writes `data` at `offset` (a planned write fault may fail it).
    ///
    /// # Errors
    ///
    /// An injected fault.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        redb::StorageBackend::write(&self.backend(), offset, data)
    }

    /// Makes the writes so far durable (a planned sync fault may fail it).
    ///
    /// # Errors
    ///
    /// An injected fault.
    pub fn sync_data(&self) -> Result<(), std::io::Error> {
        redb::StorageBackend::sync_data(&self.backend())
    }

    /// The current image's length.
    pub fn len(&self) -> u64 {
        self.lock().current.len() as u64
    }

    /// Returns true if and only if the current image is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn backend(&self) -> Backend {
        Backend { disk: self.clone() }
    }
}

fn write_at(image: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let end = offset as usize + data.len();
    if image.len() < end {
        image.resize(end, 0);
    }
    image[offset as usize..end].copy_from_slice(data);
}

fn injected(what: &str) -> std::io::Error {
    std::io::Error::other(format!("injected fault: {what}"))
}

/// Counts an operation; returns an error if the plan says this one fails.
fn check(inner: &mut Inner, what: &str) -> Result<(), std::io::Error> {
    let (count, planned) = match what {
        "write" => {
            inner.writes += 1;
            (inner.writes, inner.plan.fail_write)
        }
        "sync" => {
            inner.syncs += 1;
            (inner.syncs, inner.plan.fail_sync)
        }
        "read" => {
            inner.reads += 1;
            (inner.reads, inner.plan.fail_read)
        }
        _ => {
            inner.set_lens += 1;
            (inner.set_lens, inner.plan.fail_set_len)
        }
    };
    if inner.fired && inner.plan.sticky {
        return Err(injected(what));
    }
    if planned == Some(count) {
        inner.fired = true;
        return Err(injected(what));
    }
    Ok(())
}

/// The redb storage backend over a [`FaultyDisk`].
#[derive(Debug)]
pub(crate) struct Backend {
    disk: FaultyDisk,
}

impl redb::StorageBackend for Backend {
    fn len(&self) -> Result<u64, std::io::Error> {
        Ok(self.disk.lock().current.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        let mut inner = self.disk.lock();
        check(&mut inner, "read")?;
        let start = usize::try_from(offset).map_err(|_| injected("offset"))?;
        let end = start.checked_add(out.len()).ok_or_else(|| injected("offset"))?;
        if end > inner.current.len() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "read past end"));
        }
        out.copy_from_slice(&inner.current[start..end]);
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        let mut inner = self.disk.lock();
        check(&mut inner, "set_len")?;
        inner.current.resize(len as usize, 0);
        inner.pending.push(Pending::SetLen(len));
        Ok(())
    }

    fn sync_data(&self) -> Result<(), std::io::Error> {
        let mut inner = self.disk.lock();
        check(&mut inner, "sync")?;
        inner.synced = inner.current.clone();
        inner.pending.clear();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        let mut inner = self.disk.lock();
        check(&mut inner, "write")?;
        write_at(&mut inner.current, offset, data);
        inner.pending.push(Pending::Write { offset, data: data.to_vec() });
        Ok(())
    }
}
