//! Files the commands write (`report html --out`, `score --output`, the demo's HTML report):
//! never onto a store, never torn.
//!
//! A target is refused when it is the store `--db` names (the same path once resolved, or the
//! same file under another name or through a hard link), when it is any other store file (its
//! first bytes are the database header), and when it is not a regular file (a directory, a
//! device). The content goes to a new temporary file in the target's directory, which is
//! flushed, synced and renamed over the target only once the command has written all of it;
//! on any failure the temporary file is removed and the target is left as it was. A process
//! killed while writing can leave the hidden temporary file behind, never a partial target.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{bail, Context, Result};

/// The first bytes of every store file: the storage engine's magic number (`MAGICNUMBER` in
/// its `tree_store/page_store/header.rs`). The CLI recognises a store by them without opening
/// it, since opening would lock it and could repair it. A test checks them against a store
/// that `init` creates.
const STORE_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Names tried for the temporary file before giving up (another process may hold some).
const TEMP_ATTEMPTS_MAX: u32 = 64;

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// An output being written to a temporary file, renamed over its target by [`commit`].
/// Dropped without `commit`, it removes the temporary file.
///
/// [`commit`]: OutputFile::commit
pub(crate) struct OutputFile {
    /// The path as given, for messages.
    target: PathBuf,
    /// The file the rename replaces: `target`, or the file a symbolic link there points to.
    destination: PathBuf,
    store: PathBuf,
    what: &'static str,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl OutputFile {
    /// Checks `target` (see [`check`]) and creates a temporary file next to it. `what` names
    /// the output in messages ("the report").
    pub(crate) fn create(target: &Path, store: &Path, what: &'static str) -> Result<OutputFile> {
        let destination = destination(target);
        check(target, store, what)?;
        if destination != target {
            check(&destination, store, what)?;
        }
        let (temp, file) = create_temp(&destination)
            .with_context(|| format!("cannot write {what} to {}", target.display()))?;
        Ok(OutputFile {
            target: target.to_path_buf(),
            destination,
            store: store.to_path_buf(),
            what,
            temp,
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Flushes and syncs the temporary file, checks the target again (it may have become a
    /// store meanwhile), and renames the file over the target.
    pub(crate) fn commit(mut self) -> Result<()> {
        let context = || format!("cannot write {} to {}", self.what, self.target.display());
        let writer = self.writer.take().expect("an OutputFile is committed once");
        let file =
            writer.into_inner().map_err(io::IntoInnerError::into_error).with_context(context)?;
        file.sync_all().with_context(context)?;
        drop(file);
        check(&self.target, &self.store, self.what)?;
        if self.destination != self.target {
            check(&self.destination, &self.store, self.what)?;
        }
        if let Ok(existing) = fs::metadata(&self.destination) {
            // A replaced report keeps who may read it.
            fs::set_permissions(&self.temp, existing.permissions()).with_context(context)?;
        }
        fs::rename(&self.temp, &self.destination).with_context(context)?;
        // Renamed: nothing left for `drop` to remove.
        self.temp = PathBuf::new();
        sync_directory(&self.destination).with_context(|| {
            format!(
                "wrote {} to {} but cannot sync its directory",
                self.what,
                self.target.display()
            )
        })
    }
}

impl Write for OutputFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.writer.as_mut().expect("written before commit").write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().expect("flushed before commit").flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            // Close the file first: some systems refuse to remove an open file.
            drop(self.writer.take());
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `target` through an [`OutputFile`].
pub(crate) fn write(target: &Path, store: &Path, what: &'static str, bytes: &[u8]) -> Result<()> {
    let mut file = OutputFile::create(target, store, what)?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {what} to {}", target.display()))?;
    file.commit()
}

/// Refuses a `target` that is the store at `store`, any other store file, or anything but a
/// regular file; a target that does not exist yet is fine.
pub(crate) fn check(target: &Path, store: &Path, what: &str) -> Result<()> {
    let shown = target.display();
    if same_file(target, store) {
        bail!(
            "refusing to write {what} to {shown}: it is the Arrears store --db names ({})",
            store.display()
        );
    }
    let metadata = match fs::metadata(target) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("cannot check {shown} before writing {what} to it"))
        }
    };
    if metadata.is_dir() {
        bail!("refusing to write {what} to {shown}: it is a directory");
    }
    if !metadata.is_file() {
        bail!("refusing to write {what} to {shown}: it is not a regular file");
    }
    if is_store_file(target)
        .with_context(|| format!("cannot check {shown} before writing {what} to it"))?
    {
        bail!("refusing to write {what} to {shown}: it is an Arrears store file");
    }
    Ok(())
}

/// Returns true if and only if the file at `path` begins with the store header.
fn is_store_file(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; STORE_MAGIC.len()];
    let mut file = File::open(path)?;
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..])? {
            0 => return Ok(false),
            read => filled += read,
        }
    }
    Ok(head == STORE_MAGIC)
}

/// Returns true if and only if `target` and `store` name the same file: the same path once
/// both are resolved (`./books.redb`, `dir/../books.redb`, a symbolic link), or, when both
/// exist, the same file on the same device (a hard link).
fn same_file(target: &Path, store: &Path) -> bool {
    if let (Some(target), Some(store)) = (resolve(target), resolve(store)) {
        if target == store {
            return true;
        }
    }
    same_inode(target, store)
}

#[cfg(unix)]
fn same_inode(target: &Path, store: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(target), fs::metadata(store)) {
        (Ok(target), Ok(store)) => target.dev() == store.dev() && target.ino() == store.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_target: &Path, _store: &Path) -> bool {
    false
}

/// `path` made absolute with every link and `..` resolved; for a file that does not exist,
/// its resolved directory and its name. `None` if the directory does not exist either.
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(resolved) = fs::canonicalize(path) {
        return Some(resolved);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(fs::canonicalize(parent).ok()?.join(name))
}

/// The file a rename over `target` must replace: the file a symbolic link at `target`
/// points to (so the link survives), else `target` itself.
fn destination(target: &Path) -> PathBuf {
    let is_link = fs::symlink_metadata(target).is_ok_and(|metadata| metadata.is_symlink());
    if !is_link {
        return target.to_path_buf();
    }
    if let Ok(resolved) = fs::canonicalize(target) {
        return resolved;
    }
    // A link to a file that does not exist yet: the file it names, relative to the link.
    match (fs::read_link(target), target.parent()) {
        (Ok(pointed), Some(parent)) => parent.join(pointed),
        (Ok(pointed), None) => pointed,
        (Err(_), _) => target.to_path_buf(),
    }
}

/// Creates a new, uniquely named hidden file in the directory of `destination`.
fn create_temp(destination: &Path) -> io::Result<(PathBuf, File)> {
    let Some(name) = destination.file_name() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"));
    };
    let directory = match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let process = std::process::id();
    let mut last_error = None;
    for _ in 0..TEMP_ATTEMPTS_MAX {
        let serial = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{process}-{serial}.tmp"));
        let temp = directory.join(temp_name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => last_error = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// Syncs the directory holding `path`, so that the rename itself is durable.
#[cfg(unix)]
fn sync_directory(path: &Path) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests;
