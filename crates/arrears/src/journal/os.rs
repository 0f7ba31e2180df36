//! The journal's one system call that the standard library does not offer:
//! `sync_file_range(SYNC_FILE_RANGE_WRITE)`, which starts a record's write-back to the disk and
//! returns without waiting (docs/DURABILITY.md, "The journal"). No well-kept crate wraps it
//! safely (rustix and nix 0.30 have no `sync_file_range`), so this file is, with the plugin
//! host's, one of the engine's files allowed `unsafe` (the tidy test lists them).

#![allow(unsafe_code)]

use std::os::fd::AsRawFd;

/// Starts writing `len` bytes of `file` at `offset` back to the disk, without waiting. A
/// hint: a failure (a file system without it, an offset past what `off64_t` holds) leaves the
/// sync that follows to do all of it.
pub(super) fn start_writeback(file: &std::fs::File, offset: u64, len: usize) {
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
    // SAFETY: `sync_file_range` reads and writes no memory of this process; the descriptor is
    // `file`'s, open for as long as the borrow.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}
