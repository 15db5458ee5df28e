//! The render folder where there is no openat(2) (Windows): the same interface as
//! `safe_dir.rs`, by path. Each step looks at the entry first (`symlink_metadata`) and refuses
//! a symlink or a non-folder, and files are replaced by renaming a temp file over them (which
//! replaces a symlink, never follows it). Unlike the descriptor-based Unix version, a symlink
//! swapped in between the look and the step is not caught; creating one on Windows takes
//! administrator rights or Developer Mode (docs/platforms.md). Compiled on Unix too, for its
//! tests.
use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub use super::is_plain_relative;

/// Largest file read back from a render folder (the manifest, a file to compare).
const MAX_READ: u64 = 16 * 1024 * 1024;

pub struct SafeDir {
    path: PathBuf,
}

fn check_name(name: &str) -> Result<()> {
    if name.contains('\0') {
        bail!("`{}` contains a NUL byte", name.escape_debug());
    }
    Ok(())
}

impl SafeDir {
    /// Opens `path` (the folder the user named; a symlink there is the user's choice).
    /// With `create`, makes it first when missing.
    pub fn open(path: &Path, create: bool, mode: u32) -> Result<Option<SafeDir>> {
        if create {
            crate::platform::files::create_dir_all(path, mode)
                .with_context(|| format!("creating {}", path.display()))?;
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Ok(Some(SafeDir {
                path: path.to_path_buf(),
            })),
            Ok(_) => bail!("opening the folder {}: not a folder", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("opening the folder {}", path.display())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The subfolder `name`, never through a symlink; None when missing and not `create`.
    fn sub(&self, name: &str, create: bool, mode: u32) -> Result<Option<SafeDir>> {
        check_name(name)?;
        let path = self.path.join(name);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => {
                        return Err(e).with_context(|| format!("creating {}", path.display()));
                    }
                }
                let _ = crate::platform::files::set_mode(&path, mode);
                std::fs::symlink_metadata(&path)
                    .with_context(|| format!("opening {}", path.display()))?
            }
            Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
        };
        if meta.file_type().is_symlink() || !meta.is_dir() {
            bail!(
                "{} is a symlink or not a folder; mlk renders only into real folders inside {} (move it away)",
                path.display(),
                self.path.display()
            );
        }
        Ok(Some(SafeDir { path }))
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
        let mut cur = SafeDir {
            path: self.path.clone(),
        };
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

    /// The contents of regular file `name`; None when it is missing, a symlink or not a
    /// regular file (none of those is a file mlk wrote).
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        check_name(name)?;
        let path = self.path.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        let file = crate::platform::files::open_read_nonblocking(&path)
            .with_context(|| format!("reading {}", path.display()))?;
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

    /// Writes `name` through a temp file renamed over it: readers see the old or the new
    /// file; a symlink at `name` is replaced, never followed.
    pub fn write_atomic(&self, name: &str, data: &[u8], mode: u32) -> Result<()> {
        check_name(name)?;
        let path = self.path.join(name);
        let mut tmp = tempfile::Builder::new()
            .prefix(super::super::state::folder::TEMP_PREFIX)
            .tempfile_in(&self.path)
            .with_context(|| format!("creating a temp file in {}", self.path.display()))?;
        crate::platform::files::set_file_mode(tmp.as_file(), mode)?;
        tmp.write_all(data)
            .and_then(|()| tmp.as_file().sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
        tmp.persist(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        crate::platform::files::sync_dir(&self.path);
        Ok(())
    }

    /// Removes the entry `name` of this folder (a file or a symlink itself, never its target).
    pub fn remove(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let path = self.path.join(name);
        let r = match std::fs::symlink_metadata(&path) {
            // A symlink to a folder is removed as a folder on Windows; neither follows it.
            Ok(m)
                if m.file_type().is_symlink()
                    && std::fs::metadata(&path).is_ok_and(|t| t.is_dir())
                    && cfg!(windows) =>
            {
                std::fs::remove_dir(&path)
            }
            Ok(_) => std::fs::remove_file(&path),
            Err(e) => Err(e),
        };
        match r {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", path.display()))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_reads_and_removes_inside_a_folder_with_spaces() {
        let t = tempfile::tempdir().unwrap();
        let root_path = t.path().join("My Labs").join("lab one");
        let root = SafeDir::open(&root_path, true, 0o700).unwrap().unwrap();
        assert_eq!(root.path(), root_path);
        let (d, name) = root
            .parent_of("stages/os-prep.sh", true, 0o700)
            .unwrap()
            .unwrap();
        assert_eq!(name, "os-prep.sh");
        d.write_atomic(name, b"#!/bin/sh\necho hi\n", 0o700)
            .unwrap();
        d.write_atomic(name, b"#!/bin/sh\necho again\n", 0o700)
            .unwrap();
        assert_eq!(
            std::fs::read(root_path.join("stages").join("os-prep.sh")).unwrap(),
            b"#!/bin/sh\necho again\n"
        );
        assert_eq!(d.read(name).unwrap().unwrap(), b"#!/bin/sh\necho again\n");
        assert_eq!(d.read("missing").unwrap(), None);
        assert!(root.parent_of("nope/x", false, 0).unwrap().is_none());
        assert!(root.parent_of("../x", true, 0o700).is_err());
        assert!(root.parent_of("/abs", true, 0o700).is_err());
        d.remove(name).unwrap();
        d.remove(name).unwrap();
        assert_eq!(d.read(name).unwrap(), None);
        let leftovers: Vec<_> = std::fs::read_dir(root_path.join("stages"))
            .unwrap()
            .collect();
        assert!(leftovers.is_empty(), "no temp file left: {leftovers:?}");
        assert!(
            SafeDir::open(&t.path().join("absent"), false, 0)
                .unwrap()
                .is_none()
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_inside_are_refused_or_replaced_never_followed() {
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret"), "keep").unwrap();
        let root_path = t.path().join("render");
        let root = SafeDir::open(&root_path, true, 0o700).unwrap().unwrap();
        std::os::unix::fs::symlink(&outside, root_path.join("values")).unwrap();
        let e = root.parent_of("values/x.yaml", true, 0o700).err().unwrap();
        assert!(
            e.to_string().contains("is a symlink or not a folder"),
            "{e}"
        );
        std::os::unix::fs::symlink(outside.join("secret"), root_path.join("f")).unwrap();
        assert_eq!(
            root.read("f").unwrap(),
            None,
            "a symlinked file is not read"
        );
        root.write_atomic("f", b"new", 0o600).unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.join("secret")).unwrap(),
            "keep"
        );
        assert_eq!(std::fs::read(root_path.join("f")).unwrap(), b"new");
        std::os::unix::fs::symlink(outside.join("secret"), root_path.join("g")).unwrap();
        root.remove("g").unwrap();
        assert!(outside.join("secret").exists(), "the target stays");
        root.remove("values").unwrap();
        assert!(outside.is_dir());
    }
}
