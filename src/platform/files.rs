//! File permissions and file kinds, the parts of the file system that differ by OS.
//!
//! Unix: private files are 0600 and private folders 0700, whatever the umask. Windows has no
//! mode bits; mlk does not rewrite ACLs there. Its files inherit the ACL of the folder they
//! are in, and the per-user folders mlk uses by default (the user's profile, %LOCALAPPDATA%)
//! give access to the user, SYSTEM and the Administrators group only. A cluster folder placed
//! elsewhere (`--home D:\labs`) gets that folder's ACL: docs/platforms.md says so.
use std::fs::{File, Metadata, OpenOptions};
use std::path::Path;

/// Whether this OS has Unix permission bits (what `mode` arguments mean).
pub const HAS_MODES: bool = cfg!(unix);

/// Sets the permission bits of an open file (no-op without modes).
pub fn set_file_mode(file: &File, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

/// Sets the permission bits of `path` (no-op without modes).
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// The permission bits in `meta` (`0o7777` part); None where the OS has none.
pub fn mode(meta: &Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Creates `dir` and missing parents; new folders get `mode` on Unix.
pub fn create_dir_all(dir: &Path, mode: u32) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    b.create(dir)
}

/// Makes `opts` create new files with `mode` on Unix.
pub fn create_mode(opts: &mut OpenOptions, mode: u32) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        opts
    }
}

/// Opens `path` for reading without waiting: on Unix O_NONBLOCK, so that opening a FIFO does
/// not wait for a writer (Windows has no FIFOs in the file system).
pub fn open_read_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

/// What kind of thing `meta` is, for "not a regular file" messages.
pub fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        } else if t.is_char_device() {
            return "a character device";
        } else if t.is_block_device() {
            return "a block device";
        } else if t.is_socket() {
            return "a socket";
        }
    }
    "not a plain file"
}

/// Flushes a folder's entries to disk after a rename into it (Unix; Windows' rename is
/// durable with the file).
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_kinds_and_nonblocking_open() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a b").join("c");
        create_dir_all(&d, 0o700).unwrap();
        let f = d.join("f");
        let file = create_mode(OpenOptions::new().write(true).create_new(true), 0o600)
            .open(&f)
            .unwrap();
        assert_eq!(kind(&std::fs::metadata(&d).unwrap()), "a folder");
        if HAS_MODES {
            assert_eq!(mode(&std::fs::metadata(&d).unwrap()), Some(0o700));
            assert_eq!(mode(&std::fs::metadata(&f).unwrap()), Some(0o600));
            set_file_mode(&file, 0o640).unwrap();
            assert_eq!(mode(&std::fs::metadata(&f).unwrap()), Some(0o640));
            set_mode(&f, 0o600).unwrap();
            assert_eq!(mode(&std::fs::metadata(&f).unwrap()), Some(0o600));
        } else {
            assert_eq!(mode(&std::fs::metadata(&f).unwrap()), None);
        }
        std::fs::write(&f, "x").unwrap();
        let mut s = String::new();
        use std::io::Read;
        open_read_nonblocking(&f)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "x");
        sync_dir(&d);
    }

    #[cfg(unix)]
    #[test]
    fn unix_kinds_and_a_fifo_opens_without_a_writer() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("p");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let file = open_read_nonblocking(&fifo).unwrap();
        assert_eq!(kind(&file.metadata().unwrap()), "a FIFO");
        assert_eq!(
            kind(&std::fs::metadata("/dev/null").unwrap()),
            "a character device"
        );
    }
}
