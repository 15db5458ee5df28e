//! Atomic file writes: a reader sees the old file or the new one, never half of either.
use crate::platform::files as platform;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `data` to `path` through a temp file in the same directory, fsync and rename.
pub fn write_atomic(path: &Path, data: &[u8], mode: Option<u32>) -> Result<()> {
    write_atomic_sync(path, data, mode, true)
}

/// [`write_atomic`]; with `sync_dir` false the folder is not fsync'd after the rename: the
/// file is still complete under either name, but after a power loss the rename may be undone
/// (the previous file back). For records whose loss is harmless (`state`'s `running`).
pub fn write_atomic_sync(
    path: &Path,
    data: &[u8],
    mode: Option<u32>,
    sync_dir: bool,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".mlk-tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temp file in {}", dir.display()))?;
    if let Some(mode) = mode {
        platform::set_file_mode(tmp.as_file(), mode)?;
    }
    tmp.write_all(data)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    // The rename is only durable once the directory entry is on disk too.
    if sync_dir {
        platform::sync_dir(dir);
    }
    Ok(())
}

/// Writes `data` atomically to the first of `<stem>.<ext>`, `<stem>-2.<ext>`, ... in `dir`
/// that does not exist yet, never replacing a file (two writers in the same second both keep
/// theirs). Returns the path written.
pub fn write_atomic_new(
    dir: &Path,
    stem: &str,
    ext: &str,
    data: &[u8],
    mode: u32,
) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".mlk-tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temp file in {}", dir.display()))?;
    platform::set_file_mode(tmp.as_file(), mode)?;
    tmp.write_all(data)
        .with_context(|| format!("writing in {}", dir.display()))?;
    tmp.as_file().sync_all()?;
    for n in 1..=1000 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(name);
        match tmp.persist_noclobber(&path) {
            Ok(_) => {
                platform::sync_dir(dir);
                return Ok(path);
            }
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => {
                return Err(e.error).with_context(|| format!("renaming into {}", path.display()));
            }
        }
    }
    anyhow::bail!("{}: 1000 files named {stem}*.{ext} already", dir.display())
}

/// Largest input file mlk reads (profile, inventory, state): far above any real one, small
/// enough that reading and parsing it is instant.
pub const MAX_INPUT: u64 = 1024 * 1024;

fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
}

/// Reads an input file, refusing at once (before reading a byte) anything that is not a
/// regular file (a FIFO would block, /dev/zero never ends) or is larger than `max` bytes.
/// The error is the reason alone, for the caller to put next to the file's name.
pub fn read_input(path: &Path, max: u64) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    // Opening a FIFO must not wait for a writer; the type is checked on the opened file, so
    // it cannot be swapped between the check and the read.
    let file = platform::open_read_nonblocking(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(format!("not a regular file ({})", platform::kind(&meta)));
    }
    if meta.len() > max {
        return Err(format!(
            "{} is too large; at most {} is read",
            mib(meta.len()),
            mib(max).replace(".0 ", " ")
        ));
    }
    let mut data = Vec::new();
    // The file may grow after the check: never read more than the limit.
    file.take(max + 1)
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    if data.len() as u64 > max {
        return Err(format!("larger than {}", mib(max).replace(".0 ", " ")));
    }
    Ok(data)
}

/// [`read_input`] as UTF-8 text.
pub fn read_input_text(path: &Path, max: u64) -> std::result::Result<String, String> {
    String::from_utf8(read_input(path, max)?).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_input_refuses_devices_fifos_folders_and_big_files() {
        let d = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        assert!(
            read_input(Path::new("/dev/zero"), MAX_INPUT)
                .unwrap_err()
                .contains("character device")
        );
        assert!(
            read_input(d.path(), MAX_INPUT)
                .unwrap_err()
                .contains("a folder")
        );
        let big = d.path().join("big");
        std::fs::write(&big, vec![b'x'; 2 * 1024 * 1024]).unwrap();
        let e = read_input(&big, MAX_INPUT).unwrap_err();
        assert!(e.contains("2.0 MiB") && e.contains("at most 1 MiB"), "{e}");
        let a = write_atomic_new(d.path(), "b", "x", b"1", 0o600).unwrap();
        let b = write_atomic_new(d.path(), "b", "x", b"2", 0o600).unwrap();
        assert_eq!(
            (a.file_name().unwrap(), b.file_name().unwrap()),
            ("b.x".as_ref(), "b-2.x".as_ref())
        );
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        let ok = d.path().join("ok");
        std::fs::write(&ok, "hi").unwrap();
        assert_eq!(read_input_text(&ok, MAX_INPUT).unwrap(), "hi");
    }
}
