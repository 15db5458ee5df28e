//! The cluster folder is private to its owner: 0700, every file in it 0600 (0700 when it is
//! executable), whatever the umask. Folders made by earlier versions (0755, files 0644) are
//! fixed when a command opens them. Temp files of atomic writes that a killed run left
//! (`.mlk-tmp-*`, in the folder and below: rendered/, secrets/...) are removed under the lock.
use crate::platform::files as platform;
use anyhow::{Context, Result};
use std::path::Path;

/// Prefix of `fsutil::write_atomic`'s (and the render writer's) temp files.
pub const TEMP_PREFIX: &str = ".mlk-tmp-";

/// Creates the cluster folder (0700) if missing and makes it and everything in it private.
pub fn prepare(dir: &Path) -> Result<()> {
    platform::create_dir_all(dir, 0o700).with_context(|| format!("creating {}", dir.display()))?;
    secure(dir);
    Ok(())
}

/// Takes group and other permissions away from the folder and everything below it, never
/// following a symlink. Best effort: a file that cannot be changed stays as it is. Without
/// Unix modes (Windows) the folder keeps the ACL it inherits (`platform::files`).
pub fn secure(dir: &Path) {
    if !platform::HAS_MODES {
        return;
    }
    walk(dir, 0, &mut |path, meta| {
        if let Some(mode) = platform::mode(meta)
            && mode & 0o077 != 0
        {
            let _ = platform::set_mode(path, mode & 0o700);
        }
    });
}

/// Removes every `.mlk-tmp-*` file in the folder and below. Call with the cluster lock held:
/// then no writer of this cluster is alive, and every such file is a leftover.
pub fn remove_temps(dir: &Path) {
    walk(dir, 0, &mut |path, meta| {
        let temp = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(TEMP_PREFIX));
        if temp && meta.is_file() {
            let _ = std::fs::remove_file(path);
        }
    });
}

/// Whether `name` is a temp file of an atomic write (never part of a bundle or a render).
pub fn is_temp(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}

/// Calls `f` on `dir` and every entry below it (symlinks are not followed and not passed).
fn walk(dir: &Path, depth: usize, f: &mut dyn FnMut(&Path, &std::fs::Metadata)) {
    // The cluster folder is shallow (rendered/stages/x.sh, .vagrant/machines/n/p/x): a bound
    // keeps a hostile symlink-free deep tree from costing anything.
    const MAX_DEPTH: usize = 8;
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    f(dir, &meta);
    if !meta.is_dir() || depth >= MAX_DEPTH {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        walk(&e.path(), depth + 1, f);
    }
}

// Unix modes and symlinks: what these tests look at does not exist on Windows.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_old_folder_is_made_private_and_temps_go() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("lab");
        std::fs::create_dir_all(d.join("rendered/stages")).unwrap();
        std::fs::write(d.join("state.json"), "{}").unwrap();
        std::fs::write(d.join("rendered/stages/x.sh"), "").unwrap();
        std::fs::write(d.join("rendered/stages/.mlk-tmp-1"), "").unwrap();
        let outside = t.path().join("outside");
        std::fs::write(&outside, "").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&outside, d.join("link")).unwrap();
        for (p, m) in [
            ("", 0o755),
            ("state.json", 0o644),
            ("rendered/stages/x.sh", 0o755),
        ] {
            std::fs::set_permissions(d.join(p), std::fs::Permissions::from_mode(m)).unwrap();
        }
        prepare(&d).unwrap();
        remove_temps(&d);
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join("state.json")), 0o600);
        assert_eq!(mode(&d.join("rendered/stages/x.sh")), 0o700);
        assert!(!d.join("rendered/stages/.mlk-tmp-1").exists());
        assert_eq!(mode(&outside), 0o644, "symlinks are not followed");
    }
}
