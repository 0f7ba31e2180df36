//! The operating-system calls of plugin isolation: the memory limit set on a runner process
//! before it runs (`setrlimit(RLIMIT_AS)` between `fork` and `exec`), and the runner's
//! private copy of its standard output, so that a plugin's `printf` cannot corrupt the frames
//! it sends. The third file of the engine with `unsafe` (after `load.rs` and `ffi.rs`); the
//! tidy test lists it.
#![allow(unsafe_code)]

use std::process::Command;

/// Makes `command`'s process unable to map more than `bytes` of address space: past it,
/// `mmap` and `malloc` fail in the runner (and what the plugin does then, crash or give up,
/// ends the call).
#[cfg(target_os = "linux")]
pub(super) fn limit_address_space(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;

    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
    // SAFETY: the closure runs in the child between fork and exec, and only calls
    // `setrlimit`, which is async-signal-safe, on a value copied into the closure.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Elsewhere than on Linux the runner gets no memory limit (documented in PLUGIN_ABI.md).
#[cfg(not(target_os = "linux"))]
pub(super) fn limit_address_space(_command: &mut Command, _bytes: u64) {}

/// The runner's channel to the host: a duplicate of its standard output, after which file
/// descriptor 1 is made to point at standard error, so whatever the plugin prints goes to
/// the host's log instead of into the frames.
///
/// # Errors
///
/// The operating system's, if the descriptors cannot be duplicated.
#[cfg(target_os = "linux")]
pub(super) fn private_stdout() -> std::io::Result<std::fs::File> {
    use std::os::fd::FromRawFd;

    // SAFETY: duplicating descriptor 1 has no memory-safety precondition.
    let fd = unsafe { libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nobody else.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    // SAFETY: both descriptors are open; std's `Stdout` is not used by the runner after this.
    if unsafe { libc::dup2(2, 1) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(file)
}

/// Elsewhere than on Linux the runner writes its frames to standard output itself.
#[cfg(not(target_os = "linux"))]
pub(super) fn private_stdout() -> std::io::Result<std::io::Stdout> {
    Ok(std::io::stdout())
}
