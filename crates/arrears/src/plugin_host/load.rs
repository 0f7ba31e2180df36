//! Loading a plugin: the SHA-256 pin, opening the library and finding its entry symbol (or
//! taking a statically linked entry point), and reading and checking the descriptor it
//! returns. One of the two files of the engine with `unsafe` (the other is `ffi.rs`, which
//! calls the plugin's functions).
//!
//! A library path is used as given, never searched for: a relative path (a bare file name
//! included) is made absolute against the current directory, the file is read once, its
//! bytes are hashed and checked against the pin, and the loader is handed exactly those bytes
//! (see [`open_bytes`]), never the path again. So a file swapped after it was hashed, or a
//! library of the same name on the loader's search path, cannot be what gets loaded.
//!
//! The descriptor is read in two steps: its header first (magic, size, ABI major), then the
//! entries of the largest known ABI size that fits in the size it declares. A library is never
//! unloaded once its descriptor is read, so the strings and functions it points to stay valid
//! for the life of the process.
#![allow(unsafe_code)]

use std::mem::{size_of, MaybeUninit};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrears_plugin_sdk::abi::{self, PluginDescriptor, StrRef};
use arrears_plugin_sdk::StaticPlugin;
use sha2::{Digest, Sha256};

use super::error::PluginLoadError;
use super::ffi::{borrowed_text, Functions};

/// How to load a plugin.
#[derive(Debug, Clone, Default)]
pub struct PluginOptions {
    /// If set, the library's bytes must have this SHA-256: the host reads the file once,
    /// checks these bytes and loads exactly them.
    pub sha256_pin: Option<[u8; 32]>,
}

/// The hex form of a digest.
pub fn sha256_hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses a 64-digit hex SHA-256.
pub fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut digest = [0u8; 32];
    for (index, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(digest)
}

/// A loaded plugin library (or a statically linked plugin): its checked descriptor.
#[derive(Debug, Clone)]
pub struct LoadedPlugin {
    inner: Arc<Loaded>,
}

/// What the host keeps of a checked descriptor: copies of its strings and its functions.
#[derive(Debug)]
struct Loaded {
    functions: Functions,
    abi_major: u32,
    abi_minor: u32,
    struct_size: u32,
    name: String,
    version: String,
    build_fingerprint: String,
    capabilities: u32,
    sha256: Option<[u8; 32]>,
    path: Option<PathBuf>,
}

impl LoadedPlugin {
    /// Loads the plugin library at `path`, used as given: a relative path is taken against the
    /// current directory, never searched for on the loader's library path. The file is read
    /// once; its SHA-256 is computed (and checked against `options.sha256_pin`) on those
    /// bytes, and the loader opens exactly those bytes. The library stays loaded for the life
    /// of the process.
    ///
    /// # Errors
    ///
    /// [`PluginLoadError`]: the file cannot be read, pin mismatch (checked before anything is
    /// loaded), loader failure, missing entry symbol, bad magic, another ABI major, a
    /// descriptor too small or malformed.
    pub fn load(path: &Path, options: &PluginOptions) -> Result<LoadedPlugin, PluginLoadError> {
        LoadedPlugin::load_checked(path, options, || {})
    }

    /// [`LoadedPlugin::load`], calling `after_hash` once the bytes are read and their pin
    /// checked and before they are loaded: the regression test of issue 14 swaps the file
    /// there (feature `fault-injection`, not part of the stable API).
    ///
    /// # Errors
    ///
    /// As [`LoadedPlugin::load`].
    #[cfg(feature = "fault-injection")]
    #[doc(hidden)]
    pub fn load_with_hook(
        path: &Path,
        options: &PluginOptions,
        after_hash: impl FnOnce(),
    ) -> Result<LoadedPlugin, PluginLoadError> {
        LoadedPlugin::load_checked(path, options, after_hash)
    }

    fn load_checked(
        path: &Path,
        options: &PluginOptions,
        after_hash: impl FnOnce(),
    ) -> Result<LoadedPlugin, PluginLoadError> {
        let path = std::path::absolute(path)
            .map_err(|source| PluginLoadError::Io { path: path.to_owned(), source })?;
        let bytes = read_library(&path)?;
        let digest = check_pin(&path, &bytes, options)?;
        after_hash();
        let entry = open_bytes(&path, &bytes)?;
        // SAFETY: `entry` comes from a library that stays loaded.
        let loaded = unsafe { from_entry(entry) }?;
        let loaded = Loaded { sha256: Some(digest), path: Some(path), ..loaded };
        Ok(LoadedPlugin { inner: Arc::new(loaded) })
    }

    /// A plugin linked into this binary (see `export_plugin!` in the SDK), through the same
    /// descriptor checks as a loaded one.
    ///
    /// # Errors
    ///
    /// As [`LoadedPlugin::load`], without the loader errors.
    pub fn from_static(plugin: StaticPlugin) -> Result<LoadedPlugin, PluginLoadError> {
        // SAFETY: a `StaticPlugin` can only be built from an entry point that follows the ABI.
        let loaded = unsafe { from_entry(plugin.entry()) }?;
        Ok(LoadedPlugin { inner: Arc::new(loaded) })
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The plugin's version.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// The plugin's build fingerprint.
    pub fn build_fingerprint(&self) -> &str {
        &self.inner.build_fingerprint
    }

    /// The ABI version the plugin was built for, `(major, minor)`.
    pub fn abi_version(&self) -> (u32, u32) {
        (self.inner.abi_major, self.inner.abi_minor)
    }

    /// The size of the descriptor the plugin declared, in bytes.
    pub fn descriptor_size_bytes(&self) -> u32 {
        self.inner.struct_size
    }

    /// The negotiated `CAPABILITY_*` bits (declared and backed by a function).
    pub fn capabilities(&self) -> u32 {
        self.inner.capabilities
    }

    /// The capability names, in bit order.
    pub fn capability_names(&self) -> Vec<&'static str> {
        let names = [
            (abi::CAPABILITY_SCORER, "scorer"),
            (abi::CAPABILITY_CONTACT_STRATEGY, "contact_strategy"),
            (abi::CAPABILITY_THREAD_SAFE, "thread_safe"),
            (abi::CAPABILITY_DETERMINISTIC, "deterministic"),
        ];
        names.iter().filter(|(bit, _)| self.capabilities() & bit != 0).map(|(_, n)| *n).collect()
    }

    /// The library's SHA-256 (`None` for a statically linked plugin).
    pub fn sha256(&self) -> Option<[u8; 32]> {
        self.inner.sha256
    }

    /// The library's path (`None` for a statically linked plugin).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The plugin's functions, for `init`.
    pub(super) fn functions(&self) -> &Functions {
        &self.inner.functions
    }
}

/// The largest plugin library file the host reads, in bytes (1 GiB): a larger one is refused
/// from its length ([`PluginLoadError::TooLarge`]) before it is read, since the host holds a
/// library's bytes in memory to hash them and load exactly them.
pub const LIBRARY_BYTES_MAX: u64 = 1 << 30;

/// The bytes of the library file at `path`, read once.
///
/// Why the file is opened without blocking and checked before it is read: a path may name a
/// FIFO, whose `open` blocks until someone writes to it, or a device that never ends
/// (`/dev/zero`), read until memory runs out. So the path is opened with `O_NONBLOCK` (which
/// reading a regular file ignores), and anything but a regular file is refused from the
/// descriptor's own metadata, so the check is on what is read.
fn read_library(path: &Path) -> Result<Vec<u8>, PluginLoadError> {
    use std::io::Read;

    let io = |source| PluginLoadError::Io { path: path.to_owned(), source };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut file = options.open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Err(PluginLoadError::NotAFile { path: path.to_owned() });
    }
    if metadata.len() > super::LIBRARY_BYTES_MAX {
        let (len, max) = (metadata.len(), super::LIBRARY_BYTES_MAX);
        return Err(PluginLoadError::TooLarge { path: path.to_owned(), len, max });
    }
    let mut bytes = Vec::new();
    // Reserved without aborting: a huge (sparse) file is an error, not the end of the host.
    let len = usize::try_from(metadata.len()).unwrap_or(usize::MAX);
    bytes.try_reserve_exact(len).map_err(|_| io(std::io::ErrorKind::OutOfMemory.into()))?;
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The SHA-256 of the library's bytes, after checking it against the pin if there is one.
fn check_pin(
    path: &Path,
    bytes: &[u8],
    options: &PluginOptions,
) -> Result<[u8; 32], PluginLoadError> {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    if let Some(expected) = options.sha256_pin {
        if expected != digest {
            return Err(PluginLoadError::PinMismatch {
                path: path.to_owned(),
                expected: sha256_hex(&expected),
                found: sha256_hex(&digest),
            });
        }
    }
    Ok(digest)
}

/// Loads exactly `bytes` (read from `path`, which names the library in errors) and returns
/// its entry point.
///
/// Why a sealed memory file: the loader opens a path, and a path can change between our
/// read and its open (a file swapped after it was hashed), or be searched for (a name without
/// a slash is looked up on the library search path). So the bytes we hashed go into an
/// anonymous `memfd_create` file, sealed against any write, growth or shrink
/// (`F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL`), and the loader opens it as
/// `/proc/self/fd/N`: nobody, not even this process, can change those bytes any more, no
/// directory is involved that another user could write, and nothing is left on disk. A
/// private copy in a temporary directory would work too, but `/tmp` is often mounted
/// `noexec`, where the loader cannot map it. The descriptor is never closed: the library is
/// never unloaded, and glibc recognises an already loaded library by its path, so a reused
/// `/proc/self/fd/N` would be taken for the library first opened there.
#[cfg(target_os = "linux")]
fn open_bytes(path: &Path, bytes: &[u8]) -> Result<abi::EntryFn, PluginLoadError> {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};

    let private = |source| PluginLoadError::Private { path: path.to_owned(), source };
    // SAFETY: the name is a NUL-terminated string; the flags are valid for memfd_create.
    let fd = unsafe {
        libc::memfd_create(c"arrears-plugin".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
    };
    if fd < 0 {
        return Err(private(std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` was just created and is owned by nobody else.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes).map_err(private)?;
    let seals = libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL;
    // SAFETY: `fd` is an open memfd created with MFD_ALLOW_SEALING.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(private(std::io::Error::last_os_error()));
    }
    let entry = open_entry(path, Path::new(&format!("/proc/self/fd/{}", file.as_raw_fd())))?;
    // Kept open for the life of the process (see above).
    std::mem::forget(file);
    Ok(entry)
}

/// Loads exactly `bytes` (read from `path`) and returns its entry point: elsewhere than on
/// Linux, from a private copy, created exclusively (`O_EXCL`) in a new directory only this
/// user can write, then removed (the loaded library stays mapped). The tests run on Linux, so
/// they exercise the memfd path; this one passed the plugin and registry tests when compiled in
/// its place on Linux (by swapping the two `cfg`s by hand), but is not built there otherwise.
#[cfg(not(target_os = "linux"))]
fn open_bytes(path: &Path, bytes: &[u8]) -> Result<abi::EntryFn, PluginLoadError> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};

    static COPIES: AtomicU64 = AtomicU64::new(0);
    let private = |source| PluginLoadError::Private { path: path.to_owned(), source };
    let copy = COPIES.fetch_add(1, Ordering::Relaxed);
    let directory =
        std::env::temp_dir().join(format!("arrears-plugin-{}-{copy}", std::process::id()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&directory).map_err(private)?;
    let file_name = path.file_name().unwrap_or(std::ffi::OsStr::new("plugin"));
    let copy_path = directory.join(file_name);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&copy_path)
        .and_then(|mut file| file.write_all(bytes));
    let entry = written.map_err(private).and_then(|()| open_entry(path, &copy_path));
    let _ = std::fs::remove_file(&copy_path);
    let _ = std::fs::remove_dir(&directory);
    entry
}

/// Opens the library at `load_path` (the prepared bytes of `path`, which names it in errors)
/// and returns its entry point. The library is never unloaded once its entry point is found.
fn open_entry(path: &Path, load_path: &Path) -> Result<abi::EntryFn, PluginLoadError> {
    // SAFETY: loading a library runs its initializers; the caller chose to trust this library
    // (optionally pinned by SHA-256 first).
    let library = unsafe { libloading::Library::new(load_path) }.map_err(|source| {
        PluginLoadError::Dl { path: path.to_owned(), source: Box::new(source) }
    })?;
    let symbol = format!("{}\0", abi::ENTRY_SYMBOL_NAME);
    // SAFETY: the symbol is declared by the ABI with the `EntryFn` type.
    let entry: abi::EntryFn = match unsafe { library.get::<abi::EntryFn>(symbol.as_bytes()) } {
        Ok(symbol) => *symbol,
        Err(_) => {
            return Err(PluginLoadError::MissingSymbol {
                path: path.to_owned(),
                symbol: abi::ENTRY_SYMBOL_NAME,
            });
        }
    };
    // Libraries are never unloaded: the entry point and every pointer in the descriptor stay
    // valid for the life of the process.
    std::mem::forget(library);
    Ok(entry)
}

/// Calls the entry point and checks the descriptor it returns.
///
/// # Safety
///
/// `entry` must be callable and stay valid for the life of the process.
unsafe fn from_entry(entry: abi::EntryFn) -> Result<Loaded, PluginLoadError> {
    // SAFETY: per this function's contract.
    let pointer = unsafe { entry() };
    // SAFETY: the pointer comes from the entry point; `read_descriptor` checks it before
    // reading past the header.
    let descriptor = unsafe { read_descriptor(pointer)? };
    let name = descriptor_text(descriptor.name, "name")?;
    if name.is_empty() || !name.is_ascii() {
        return Err(PluginLoadError::BadDescriptor { field: "name", reason: "empty or not ASCII" });
    }
    let version = descriptor_text(descriptor.version, "version")?;
    let build_fingerprint = descriptor_text(descriptor.build_fingerprint, "build_fingerprint")?;
    // SAFETY: the descriptor was read by `read_descriptor` from a library that stays loaded.
    let functions = unsafe { Functions::from_descriptor(&descriptor) }
        .map_err(|field| PluginLoadError::BadDescriptor { field, reason: "null" })?;
    Ok(Loaded {
        functions,
        abi_major: descriptor.abi_major,
        abi_minor: descriptor.abi_minor,
        struct_size: descriptor.struct_size,
        name,
        version,
        build_fingerprint,
        capabilities: negotiated_capabilities(&descriptor),
        sha256: None,
        path: None,
    })
}

/// A copy of a descriptor string.
///
/// Control characters are refused: `plugin inspect` prints these strings as they are, and a
/// newline or a terminal escape sequence in them could rewrite the lines it shows (the
/// SHA-256 to pin among them).
fn descriptor_text(value: StrRef, field: &'static str) -> Result<String, PluginLoadError> {
    // SAFETY: descriptor strings live as long as the library, which is never unloaded.
    match unsafe { borrowed_text(value, abi::STRING_BYTES_MAX) } {
        Some(text) if text.chars().any(char::is_control) => {
            Err(PluginLoadError::BadDescriptor { field, reason: "has control characters" })
        }
        Some(text) => Ok(text.to_owned()),
        None => Err(PluginLoadError::BadDescriptor { field, reason: "not UTF-8 or too long" }),
    }
}

/// The known capability bits the plugin declared: a capability counts only if its function
/// is present.
fn negotiated_capabilities(descriptor: &PluginDescriptor) -> u32 {
    let mut capabilities = descriptor.capabilities & abi::CAPABILITIES_KNOWN;
    if descriptor.score_batch.is_none() {
        capabilities &= !abi::CAPABILITY_SCORER;
    }
    if descriptor.propose_contacts_batch.is_none() {
        capabilities &= !abi::CAPABILITY_CONTACT_STRATEGY;
    }
    capabilities
}

/// The descriptor size of each ABI minor this host knows, smallest first: 1.0's, then 1.1's
/// (the host's own). A new minor appends its size.
const DESCRIPTOR_SIZES_KNOWN: [usize; 2] =
    [abi::DESCRIPTOR_SIZE_V1_0, size_of::<PluginDescriptor>()];

const _: () = assert!(abi::DESCRIPTOR_SIZE_MIN == DESCRIPTOR_SIZES_KNOWN[0]);
const _: () = assert!(DESCRIPTOR_SIZES_KNOWN[0] < DESCRIPTOR_SIZES_KNOWN[1]);
const _: () = assert!(DESCRIPTOR_SIZES_KNOWN[1] == size_of::<PluginDescriptor>());

/// How many bytes of a descriptor that declares `struct_size` the host reads: the largest
/// known ABI descriptor size that is at most `struct_size`, or `None` if it is below them all.
///
/// Rounding down to a whole ABI size means an entry is read entirely or not at all: a size
/// that ends inside an entry (a function pointer, say) leaves that entry and everything after
/// it absent, rather than copying part of a pointer that would later be called.
pub(super) fn descriptor_size_read(struct_size: u32) -> Option<usize> {
    let struct_size = usize::try_from(struct_size).unwrap_or(usize::MAX);
    DESCRIPTOR_SIZES_KNOWN.iter().rev().copied().find(|&size| size <= struct_size)
}

/// Reads a descriptor: the header first (magic, size, major), then the entries of the largest
/// known ABI size that fits in the declared size ([`descriptor_size_read`]); entries past it
/// stay absent (zero), whether the plugin is older than the host or declares a size between
/// two known ones.
///
/// # Safety
///
/// `pointer` must be null or point to at least its declared `struct_size` readable bytes.
unsafe fn read_descriptor(
    pointer: *const PluginDescriptor,
) -> Result<PluginDescriptor, PluginLoadError> {
    if pointer.is_null() {
        return Err(PluginLoadError::NullDescriptor);
    }
    if !pointer.is_aligned() {
        return Err(PluginLoadError::BadDescriptor { field: "pointer", reason: "misaligned" });
    }
    // SAFETY: every descriptor starts with the 24-byte header these fields are in.
    let (magic, struct_size, abi_major) = unsafe {
        (
            std::ptr::addr_of!((*pointer).magic).read(),
            std::ptr::addr_of!((*pointer).struct_size).read(),
            std::ptr::addr_of!((*pointer).abi_major).read(),
        )
    };
    if magic != abi::MAGIC {
        return Err(PluginLoadError::BadMagic { found: magic });
    }
    if abi_major != abi::ABI_VERSION_MAJOR {
        return Err(PluginLoadError::AbiVersionMismatch {
            plugin: abi_major,
            host: abi::ABI_VERSION_MAJOR,
        });
    }
    let Some(known) = descriptor_size_read(struct_size) else {
        return Err(PluginLoadError::DescriptorTooSmall {
            struct_size,
            struct_size_min: abi::DESCRIPTOR_SIZE_MIN,
        });
    };
    let mut descriptor = MaybeUninit::<PluginDescriptor>::zeroed();
    // SAFETY: the plugin declared `struct_size` readable bytes and `known <= struct_size`;
    // the target holds `size_of::<PluginDescriptor>() >= known` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(
            pointer.cast::<u8>(),
            descriptor.as_mut_ptr().cast::<u8>(),
            known,
        );
    }
    // SAFETY: all-zero bytes are a valid descriptor (null pointers, `None` functions), and
    // the copied prefix came from a descriptor of the same layout.
    Ok(unsafe { descriptor.assume_init() })
}
