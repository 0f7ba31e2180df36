//! The operating-system calls of plugin isolation: the memory limit set on a runner process
//! before it runs (`setrlimit(RLIMIT_AS)` between `fork` and `exec`), the runner's
//! private copy of its standard output, so that a plugin's `printf` cannot corrupt the frames
//! it sends, and the host's writes to a runner, which meet the call's deadline and never
//! raise SIGPIPE. The third file of the engine with `unsafe` (after `load.rs` and `ffi.rs`);
//! the tidy test lists it.
#![allow(unsafe_code)]

use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a [`StoppableRead`] waits for bytes before it looks at its flag again.
const READ_POLL_MS: i32 = 100;

/// How long a stopped [`StoppableRead`] still hands over bytes already in the pipe.
const DRAIN_AFTER_STOP: Duration = Duration::from_millis(100);

/// A pipe from a runner, read by a thread of the host that must not outlive the runner: each
/// read waits for bytes at most 100 ms at a time and gives up once `stop` is set (after
/// handing over, for 100 ms more, what is already in the pipe), so a process the plugin
/// forked and detached, which keeps the pipe open, does not keep the thread.
pub(super) struct StoppableRead<R> {
    inner: R,
    stop: Arc<AtomicBool>,
    stopped_at: Option<Instant>,
}

impl<R: Read + AsRawFd> StoppableRead<R> {
    /// `inner`, read until `stop` is set.
    pub(super) fn new(inner: R, stop: Arc<AtomicBool>) -> StoppableRead<R> {
        StoppableRead { inner, stop, stopped_at: None }
    }
}

impl<R: Read + AsRawFd> Read for StoppableRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.stopped_at.is_none() && self.stop.load(Ordering::Acquire) {
                self.stopped_at = Some(Instant::now());
            }
            let timeout_ms = match self.stopped_at {
                None => READ_POLL_MS,
                Some(at) if at.elapsed() < DRAIN_AFTER_STOP => 0,
                Some(_) => return Err(io::Error::other("the runner was ended")),
            };
            let mut poll =
                libc::pollfd { fd: self.inner.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid `pollfd`, as the count says.
            let ready = unsafe { libc::poll(&mut poll, 1, timeout_ms) };
            if ready > 0 {
                return self.inner.read(buf);
            }
            if ready < 0 {
                let error = io::Error::last_os_error();
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(error);
                }
            } else if self.stopped_at.is_some() {
                // Stopped and nothing left in the pipe.
                return Err(io::Error::other("the runner was ended"));
            }
        }
    }
}

/// Why [`write_until`] did not write everything.
#[derive(Debug)]
pub(super) enum WriteFailure {
    /// The deadline passed with bytes still unwritten (the runner stopped reading).
    Deadline,
    /// The pipe is closed (the runner's end of it is gone) or failed otherwise.
    Closed,
}

/// Makes writes to `fd` non-blocking, so that [`write_until`] can wait for room with a
/// deadline. Only the host's end of the pipe changes; the runner's end stays blocking.
///
/// # Errors
///
/// The operating system's.
pub(super) fn set_nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: `fcntl` on an open descriptor with these commands has no memory-safety
    // precondition.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Writes all of `bytes` to the non-blocking `fd` (see [`set_nonblocking`]), waiting for room
/// in the pipe until `until` (forever for `None`). SIGPIPE is blocked in the calling thread
/// for the write, and one the write raised is taken back before the thread's mask is restored,
/// so a runner whose input is closed is an error, never a signal that ends the host (whose
/// SIGPIPE may have its default action: Rust's runtime ignores it, an application may not).
///
/// # Errors
///
/// [`WriteFailure::Deadline`] past `until`, [`WriteFailure::Closed`] if the pipe is closed or
/// the write fails.
pub(super) fn write_until(
    fd: &impl AsRawFd,
    mut bytes: &[u8],
    until: Option<Instant>,
) -> Result<(), WriteFailure> {
    let fd = fd.as_raw_fd();
    let mut sigpipe = SigpipeBlocked::new();
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for `bytes.len()` reads.
        let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if let Ok(written) = usize::try_from(written) {
            bytes = bytes.get(written..).unwrap_or_default();
            continue;
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => wait_writable(fd, until)?,
            _ => {
                sigpipe.raised = error.raw_os_error() == Some(libc::EPIPE);
                return Err(WriteFailure::Closed);
            }
        }
    }
    Ok(())
}

/// Waits until `fd` can take more bytes (or is closed: the next write says so), at most until
/// `until`.
fn wait_writable(fd: RawFd, until: Option<Instant>) -> Result<(), WriteFailure> {
    let timeout_ms = match until {
        None => -1,
        Some(until) => {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(WriteFailure::Deadline);
            }
            // Rounded up, so that a wait never ends just before the deadline and spins.
            i32::try_from(left.as_millis() + 1).unwrap_or(i32::MAX)
        }
    };
    let mut poll = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
    // SAFETY: one valid `pollfd`, as the count says.
    let ready = unsafe { libc::poll(&mut poll, 1, timeout_ms) };
    if ready < 0 {
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(WriteFailure::Closed);
        }
    }
    Ok(())
}

/// SIGPIPE blocked in this thread while the value lives; dropping it takes back a SIGPIPE the
/// write raised (`raised`, unless one was already pending before) and restores the mask.
struct SigpipeBlocked {
    previous: Option<libc::sigset_t>,
    pending_before: bool,
    raised: bool,
}

impl SigpipeBlocked {
    fn new() -> SigpipeBlocked {
        let set = sigpipe_set();
        // SAFETY: an all-zero `sigset_t` is a valid value to be overwritten.
        let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: both sets are valid; this changes only the calling thread's mask.
        let blocked = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut previous) } == 0;
        let pending_before = sigpipe_pending();
        SigpipeBlocked { previous: blocked.then_some(previous), pending_before, raised: false }
    }
}

impl Drop for SigpipeBlocked {
    fn drop(&mut self) {
        let Some(previous) = self.previous else { return };
        if self.raised && !self.pending_before && sigpipe_pending() {
            take_pending_sigpipe();
        }
        // SAFETY: `previous` is the mask this thread had; restoring it has no other effect.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut()) };
    }
}

/// Returns true if and only if a SIGPIPE is pending for this thread or the process.
fn sigpipe_pending() -> bool {
    // SAFETY: an all-zero `sigset_t` is a valid value to be overwritten.
    let mut pending: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `pending` is a valid set to fill, then read.
    unsafe {
        libc::sigpending(&mut pending) == 0 && libc::sigismember(&pending, libc::SIGPIPE) == 1
    }
}

/// The set holding only SIGPIPE.
fn sigpipe_set() -> libc::sigset_t {
    // SAFETY: an all-zero `sigset_t` is a valid value to be initialised.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid set.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
    }
    set
}

/// Takes back the SIGPIPE pending for this thread (blocked), without waiting.
#[cfg(target_os = "linux")]
fn take_pending_sigpipe() {
    let set = sigpipe_set();
    let now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid set and timeout; no signal information is asked for.
    unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &now) };
}

/// Elsewhere than on Linux there may be no `sigtimedwait`: the pending SIGPIPE is taken with
/// `sigwait`, which returns at once since it is pending (the caller checked).
#[cfg(not(target_os = "linux"))]
fn take_pending_sigpipe() {
    let set = sigpipe_set();
    let mut signal = 0;
    // SAFETY: valid set and output.
    unsafe { libc::sigwait(&set, &mut signal) };
}

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

/// The `AUDIT_ARCH_*` value of this architecture, which a seccomp filter must check before it
/// trusts a system call number (another architecture's calls have other numbers).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const AUDIT_ARCH_NATIVE: u32 = 0xc000_003e;
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
const AUDIT_ARCH_NATIVE: u32 = 0xc000_00b7;

/// The length of [`signal_filter`].
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
const SIGNAL_FILTER_LEN: usize = 22;

/// A seccomp filter that lets a process signal only itself (its own id, or the process group
/// of that number), given its id `own`: `kill`, `tgkill`, `rt_sigqueueinfo` and
/// `rt_tgsigqueueinfo` aimed elsewhere fail with `EPERM`, as do `tkill`,
/// `pidfd_send_signal`, `ptrace` and `process_vm_writev`, which could reach another process;
/// a call of another architecture's table (32-bit calls on x86_64) ends the process, and an
/// x32 call fails. Everything else is allowed. Built on the stack: it runs between `fork`
/// and `exec`, where nothing may allocate.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn signal_filter(own: u32) -> [libc::sock_filter; SIGNAL_FILTER_LEN] {
    const LOAD: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const JGE: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K

    // Offsets in `struct seccomp_data`: the call's number, its architecture, and the low 32
    // bits of its first argument (little-endian on both architectures).
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    const ARG0: u32 = 16;
    const X32_BIT: u32 = 0x4000_0000;
    const ALLOW: usize = 21;
    const DENY: usize = 20;
    const KILL: usize = 14;
    const TGID: usize = 18;
    let statement = |code: u16, k: u32| libc::sock_filter { code, jt: 0, jf: 0, k };
    // A jump from instruction `at` to `target` if the accumulator equals (or is at least) `k`.
    let jump = |code: u16, k: u32, at: usize, target: usize| libc::sock_filter {
        code,
        jt: (target - at - 1) as u8,
        jf: 0,
        k,
    };
    let errno = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
    let number = |call: libc::c_long| call as u32;
    [
        /* 0 */ statement(LOAD, ARCH),
        /* 1 */ jump(JEQ, AUDIT_ARCH_NATIVE, 1, 3),
        /* 2 */ statement(RET, libc::SECCOMP_RET_KILL_PROCESS),
        /* 3 */ statement(LOAD, NR),
        /* 4 */ jump(JGE, X32_BIT, 4, DENY),
        /* 5 */ jump(JEQ, number(libc::SYS_kill), 5, KILL),
        /* 6 */ jump(JEQ, number(libc::SYS_tgkill), 6, TGID),
        /* 7 */ jump(JEQ, number(libc::SYS_rt_sigqueueinfo), 7, TGID),
        /* 8 */ jump(JEQ, number(libc::SYS_rt_tgsigqueueinfo), 8, TGID),
        /* 9 */ jump(JEQ, number(libc::SYS_tkill), 9, DENY),
        /* 10 */ jump(JEQ, number(libc::SYS_pidfd_send_signal), 10, DENY),
        /* 11 */ jump(JEQ, number(libc::SYS_ptrace), 11, DENY),
        /* 12 */ jump(JEQ, number(libc::SYS_process_vm_writev), 12, DENY),
        /* 13 */ statement(RET, libc::SECCOMP_RET_ALLOW),
        // Not `kill(0, ...)`, the caller's current process group: a runner may move itself
        // into its host's (`setpgid`), and then signal the host with it.
        /* 14: kill(pid, ...) */
        statement(LOAD, ARG0),
        /* 15 */ jump(JEQ, own, 15, ALLOW),
        /* 16 */ jump(JEQ, own.wrapping_neg(), 16, ALLOW),
        /* 17 */ statement(RET, errno),
        /* 18: tgkill(tgid, ...) and the like */ statement(LOAD, ARG0),
        /* 19 */ jump(JEQ, own, 19, ALLOW),
        /* 20: DENY */ statement(RET, errno),
        /* 21: ALLOW */ statement(RET, libc::SECCOMP_RET_ALLOW),
    ]
}

/// Makes `command`'s process (a runner) and every process it starts unable to signal any
/// process but itself (see [`signal_filter`]): isolation contains a plugin that kills or
/// stops its host (`kill(getppid(), SIGKILL)`) or every process of the user (`kill(-1, ...)`),
/// as it contains one that crashes. The host still signals the runner. Best effort: where the
/// kernel has no seccomp filters, the runner starts without one.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(super) fn signal_only_itself(command: &mut Command) {
    use std::os::unix::process::CommandExt;

    // SAFETY: the closure runs in the child between fork and exec; it builds the filter on the
    // stack (no allocation) and calls only `getpid` and `prctl`, which are async-signal-safe.
    // The kernel copies the filter during the call.
    unsafe {
        command.pre_exec(|| {
            let own = u32::from_ne_bytes(libc::getpid().to_ne_bytes());
            let filter = signal_filter(own);
            let program = libc::sock_fprog {
                len: SIGNAL_FILTER_LEN as u16,
                filter: filter.as_ptr().cast_mut(),
            };
            // No new privileges is what lets an unprivileged process install a filter.
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 {
                let mode = libc::SECCOMP_MODE_FILTER;
                libc::prctl(libc::PR_SET_SECCOMP, mode, &raw const program);
            }
            Ok(())
        });
    }
}

/// Elsewhere the runner may signal any process its user may (documented in PLUGIN_ABI.md).
#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
pub(super) fn signal_only_itself(_command: &mut Command) {}

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

/// Kills every process of the process group `group` (a runner started as the leader of its own
/// group, and what it forked and did not move elsewhere) with SIGKILL.
pub(super) fn kill_group(group: u32) {
    let Ok(group) = libc::pid_t::try_from(group) else { return };
    if group <= 1 {
        return;
    }
    // SAFETY: `kill` has no memory-safety precondition.
    unsafe { libc::kill(-group, libc::SIGKILL) };
}

/// Ends the process at once with `code`, running no exit handler and flushing nothing (the
/// runner's main thread may be anywhere in the plugin's code, holding its locks).
pub(super) fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` has no memory-safety precondition; it does not return.
    unsafe { libc::_exit(code) }
}
