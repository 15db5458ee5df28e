//! The cluster lock: one `mlk up` per cluster at a time.
//!
//! An OS file lock (flock) on `<cluster>/lock`, so it is released when the holder dies, even by
//! `kill -9`. The holder writes its pid, host and start time into the file so that a second
//! run can say who holds it.
use crate::exit::{Class, classify};
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct ClusterLock {
    _file: File,
}

/// This machine's host name.
pub fn hostname() -> String {
    crate::platform::host::hostname()
}

/// Takes the lock of the cluster folder `dir` (created if missing), or fails with class
/// `Failure` (exit 1) naming the holder.
pub fn acquire(dir: &Path, command: &str) -> Result<ClusterLock> {
    super::folder::prepare(dir)?;
    let path = crate::layout::of(dir).lock();
    // No truncate here: the holder's info must survive until we own the lock.
    let mut file = crate::platform::files::create_mode(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
        0o600,
    )
    .open(&path)
    .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            // The holder writes a few short lines; anything else is shown cut and escaped.
            let mut raw = Vec::new();
            let _ = (&mut file).take(4096).read_to_end(&mut raw);
            let holder = String::from_utf8_lossy(&raw);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "another process (it has not written its details yet)".to_string()
            } else {
                holder
                    .lines()
                    .take(8)
                    .map(crate::text::shown)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(classify(
                Class::Failure,
                format!(
                    "cluster folder {} is locked by {holder}; wait for that run to finish or stop it",
                    dir.display()
                ),
            ));
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
    }
    let info = format!(
        "pid {}\nhost {}\nstarted {}\ncommand {command}\n",
        std::process::id(),
        hostname(),
        super::now()
    );
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(info.as_bytes())?;
    file.sync_all()?;
    // No writer of this cluster is alive now: temp files are what killed runs left.
    super::folder::remove_temps(dir);
    Ok(ClusterLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_holder_and_lock_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = acquire(dir.path(), "mlk up").unwrap();
        let err = acquire(dir.path(), "mlk up").unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("host "), "{msg}");
        assert_eq!(crate::exit::class_of(&err), Class::Failure);
        drop(held);
        acquire(dir.path(), "mlk up").unwrap();
    }
}
