//! A folder opened once and then only worked in through its file descriptor (openat, renameat,
//! unlinkat with O_NOFOLLOW), so no symlink inside it, placed before or during a render, can
//! make mlk write, read or delete anything outside it.
use anyhow::{Context, Result, bail};
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// Largest file read back from a render folder (the manifest, a file to compare).
const MAX_READ: u64 = 16 * 1024 * 1024;

pub struct SafeDir {
    fd: OwnedFd,
    /// For messages only; never used to reach a file.
    path: PathBuf,
}

fn cstr(name: &str) -> Result<CString> {
    CString::new(name).with_context(|| format!("`{}` contains a NUL byte", name.escape_debug()))
}

pub use super::is_plain_relative;

impl SafeDir {
    /// Opens `path` (the folder the user named; a symlink there is the user's choice).
    /// With `create`, makes it first when missing.
    pub fn open(path: &Path, create: bool, mode: u32) -> Result<Option<SafeDir>> {
        if create {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(path)
                .with_context(|| format!("creating {}", path.display()))?;
        }
        let c = CString::new(path.as_os_str().as_encoded_bytes())
            .with_context(|| format!("{} contains a NUL byte", path.display()))?;
        // SAFETY: a valid C string; the returned fd is owned below.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::NotFound {
                return Ok(None);
            }
            return Err(e).with_context(|| format!("opening the folder {}", path.display()));
        }
        Ok(Some(SafeDir {
            // SAFETY: fd is a fresh descriptor nobody else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path: path.to_path_buf(),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The subfolder `name`, never through a symlink; None when missing and not `create`.
    fn sub(&self, name: &str, create: bool, mode: u32) -> Result<Option<SafeDir>> {
        let c = cstr(name)?;
        let path = self.path.join(name);
        if create {
            // SAFETY: valid fd and C string.
            let r = unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), mode as libc::mode_t) };
            if r != 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(e).with_context(|| format!("creating {}", path.display()));
                }
            }
        }
        // SAFETY: valid fd and C string.
        let fd = unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOENT) if !create => Ok(None),
                Some(libc::ELOOP | libc::ENOTDIR) => bail!(
                    "{} is a symlink or not a folder; mlk renders only into real folders inside {} (move it away)",
                    path.display(),
                    self.path.display()
                ),
                _ => Err(e).with_context(|| format!("opening {}", path.display())),
            };
        }
        Ok(Some(SafeDir {
            // SAFETY: fd is a fresh descriptor nobody else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path,
        }))
    }

    /// The folder holding `rel` and the file's name in it. `rel` must be plain relative.
    pub fn parent_of<'r>(
        &self,
        rel: &'r str,
        create: bool,
        mode: u32,
    ) -> Result<Option<(SafeDir, &'r str)>> {
        if !is_plain_relative(rel) {
            bail!("`{}` is not a plain relative path", rel.escape_debug());
        }
        let (dirs, name) = match rel.rsplit_once('/') {
            Some((d, n)) => (Some(d), n),
            None => (None, rel),
        };
        let mut cur = self.sub_self()?;
        if let Some(dirs) = dirs {
            for part in dirs.split('/') {
                match cur.sub(part, create, mode)? {
                    Some(d) => cur = d,
                    None => return Ok(None),
                }
            }
        }
        Ok(Some((cur, name)))
    }

    fn sub_self(&self) -> Result<SafeDir> {
        let fd = self
            .fd
            .try_clone()
            .with_context(|| format!("duplicating the descriptor of {}", self.path.display()))?;
        Ok(SafeDir {
            fd,
            path: self.path.clone(),
        })
    }

    /// The contents of regular file `name`; None when it is missing, a symlink or not a
    /// regular file (none of those is a file mlk wrote).
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let c = cstr(name)?;
        let path = self.path.join(name);
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        // SAFETY: valid fd and C string.
        let fd = unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOENT | libc::ELOOP | libc::ENXIO) => Ok(None),
                _ => Err(e).with_context(|| format!("reading {}", path.display())),
            };
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let meta = file
            .metadata()
            .with_context(|| format!("reading {}", path.display()))?;
        if !meta.is_file() {
            return Ok(None);
        }
        if meta.len() > MAX_READ {
            bail!(
                "{} is {} bytes, larger than any file mlk renders",
                path.display(),
                meta.len()
            );
        }
        let mut data = Vec::new();
        file.take(MAX_READ + 1)
            .read_to_end(&mut data)
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(data))
    }

    /// Writes `name` through a temp file and renameat: readers see the old or the new file;
    /// a symlink at `name` is replaced, never followed.
    pub fn write_atomic(&self, name: &str, data: &[u8], mode: u32) -> Result<()> {
        let path = self.path.join(name);
        let tmp = format!(".mlk-tmp-{:016x}", rand::random::<u64>());
        let ct = cstr(&tmp)?;
        // SAFETY: valid fd and C string.
        let fd = unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                ct.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                0o600 as libc::c_uint,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("creating a temp file in {}", self.path.display()));
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let written = (|| -> std::io::Result<()> {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            file.write_all(data)?;
            file.sync_all()
        })();
        let cn = cstr(name)?;
        let renamed = written.and_then(|()| {
            // SAFETY: valid fds and C strings.
            let r = unsafe {
                libc::renameat(
                    self.fd.as_raw_fd(),
                    ct.as_ptr(),
                    self.fd.as_raw_fd(),
                    cn.as_ptr(),
                )
            };
            if r == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
        if let Err(e) = renamed {
            // SAFETY: valid fd and C string.
            unsafe { libc::unlinkat(self.fd.as_raw_fd(), ct.as_ptr(), 0) };
            return Err(e).with_context(|| format!("writing {}", path.display()));
        }
        // The rename is durable once the folder is on disk too.
        // SAFETY: valid fd.
        unsafe { libc::fsync(self.fd.as_raw_fd()) };
        Ok(())
    }

    /// Removes the entry `name` of this folder (a file or a symlink itself, never its target).
    pub fn remove(&self, name: &str) -> Result<()> {
        let c = cstr(name)?;
        // SAFETY: valid fd and C string.
        if unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e)
                    .with_context(|| format!("removing {}", self.path.join(name).display()));
            }
        }
        Ok(())
    }
}
