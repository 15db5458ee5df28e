//! Per-cluster state: what each stage did on each node, kept in `<cluster>/state.json`.
//!
//! Every change is written at once and atomically (temp file, fsync, rename), so a `kill -9`
//! leaves either the previous or the new file. A stage is recorded `running` before it starts
//! and `done` only after it succeeded, so an interrupted stage is never mistaken for done.
//! Changes that node threads make at the same moment share one write (group commit): each
//! `set` still returns only once a file holding its change is in place, durable (the folder
//! fsync'd after the rename) for every record but `running`. A `running` record lost to a
//! power cut leaves the record before it, which never says done with these inputs (else the
//! stage would not be running), so resume runs the stage again either way; the file itself
//! is fsync'd before every rename, so it is whole under either name.
pub mod folder;
pub mod lock;
pub mod name;

pub use name::{MAX_LEN as CLUSTER_NAME_MAX, check_cluster_name, is_cluster_name};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// The record key for stages that run on the host, not on a node.
pub const HOST: &str = "host";
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not run yet. Also how a `skipped` record of an older mlk reads (a stage it could not
    /// run): not done, so it runs.
    #[serde(alias = "skipped")]
    Pending,
    Running,
    Done,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
        }
    }
}

/// One stage on one node (or on the host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub status: Status,
    /// RFC 3339, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// sha256 of the rendered inputs the stage ran with; a change makes the stage run again.
    pub input_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFile {
    pub format: u32,
    pub cluster: String,
    /// stage id -> node name (or `host`) -> record.
    #[serde(default)]
    pub stages: BTreeMap<String, BTreeMap<String, Record>>,
}

/// Current UTC time as RFC 3339 with seconds.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// How far the file on disk is: changes numbered from 1, in the order made.
#[derive(Debug, Default)]
struct Written {
    /// The file holds changes 1..=`file`.
    file: u64,
    /// Changes 1..=`durable` survive a power cut (the folder was fsync'd after the rename).
    durable: u64,
}

/// The state file of one cluster, shared by the executor's node threads.
///
/// Lock order: `written`, then `data`.
pub struct Store {
    path: PathBuf,
    data: Mutex<StateFile>,
    /// Changes made to `data` so far; only changed with `data` locked.
    changes: AtomicU64,
    /// The last change that needs a durable write (every status but `running`).
    wanted: AtomicU64,
    /// Held while the file is written: the changes in the file, and the durable ones.
    written: Mutex<Written>,
}

impl Store {
    /// Opens `<cluster_dir>/state.json`, or starts empty when there is none. A file that is
    /// not this format's state of this cluster is refused with advice, never half-used.
    pub fn open(cluster_dir: &Path, cluster: &str) -> Result<Store> {
        if cluster_dir.is_dir() {
            folder::secure(cluster_dir);
        }
        let path = crate::layout::of(cluster_dir).state();
        let data = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile {
                format: FORMAT,
                cluster: cluster.to_string(),
                stages: BTreeMap::new(),
            },
            _ => read_state(&path, cluster)?,
        };
        Ok(Store {
            path,
            data: Mutex::new(data),
            changes: AtomicU64::new(0),
            wanted: AtomicU64::new(0),
            written: Mutex::new(Written::default()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StateFile> {
        // A panicking node thread must not make the state unwritable.
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The record of `stage` on `node`, if any.
    pub fn get(&self, stage: &str, node: &str) -> Option<Record> {
        self.lock().stages.get(stage)?.get(node).cloned()
    }

    /// Whether `stage` is recorded done on `node` with inputs hashing to `hash`.
    pub fn is_done(&self, stage: &str, node: &str, hash: &str) -> bool {
        self.get(stage, node)
            .is_some_and(|r| r.status == Status::Done && r.input_hash == hash)
    }

    fn lock_written(&self) -> std::sync::MutexGuard<'_, Written> {
        self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces one record and writes the file before returning.
    ///
    /// Group commit: the change is made in memory, then this thread waits for the file. A
    /// write that started after the change (another thread's) holds it, so this one returns
    /// without writing again; otherwise it writes everything changed so far itself. Each
    /// write fsyncs the file before the rename, and the folder after it unless every change
    /// not yet durable is a `running` record (module docs); a failed write is every waiting
    /// caller's error (each retries, and reports its own failure).
    pub fn set(&self, stage: &str, node: &str, rec: Record) -> Result<()> {
        let durable = rec.status != Status::Running;
        let mine = {
            let mut d = self.lock();
            d.stages
                .entry(stage.to_string())
                .or_default()
                .insert(node.to_string(), rec);
            let mine = self.changes.fetch_add(1, Ordering::SeqCst) + 1;
            if durable {
                self.wanted.fetch_max(mine, Ordering::SeqCst);
            }
            mine
        };
        let mut written = self.lock_written();
        if (if durable {
            written.durable
        } else {
            written.file
        }) >= mine
        {
            return Ok(());
        }
        let (text, upto, sync_dir) = {
            let d = self.lock();
            let upto = self.changes.load(Ordering::SeqCst);
            let sync_dir = self.wanted.load(Ordering::SeqCst) > written.durable;
            (serde_json::to_vec_pretty(&*d)?, upto, sync_dir)
        };
        self.write_bytes(&text, sync_dir)?;
        written.file = upto;
        if sync_dir {
            written.durable = upto;
        }
        Ok(())
    }

    /// Marks every `running` record failed with `message` (on Ctrl-C), and writes the file.
    /// Returns with the state locked, so no thread can record anything after it.
    pub fn interrupt(&self, message: &str) -> std::sync::MutexGuard<'_, StateFile> {
        // An in-flight write finishes first, so that this one lands last.
        let _written = self.lock_written();
        let mut d = self.lock();
        let when = now();
        for rec in d.stages.values_mut().flat_map(|m| m.values_mut()) {
            if rec.status == Status::Running {
                rec.status = Status::Failed;
                rec.ended = Some(when.clone());
                rec.message = Some(message.to_string());
            }
        }
        // Best effort: a failed write leaves the records `running`, which resume treats alike.
        let _ = self.write(&d);
        d
    }

    /// A copy of everything recorded.
    pub fn snapshot(&self) -> StateFile {
        self.lock().clone()
    }

    fn write(&self, d: &StateFile) -> Result<()> {
        self.write_bytes(&serde_json::to_vec_pretty(d)?, true)
    }

    fn write_bytes(&self, text: &[u8], sync_dir: bool) -> Result<()> {
        crate::fsutil::write_atomic_sync(&self.path, text, Some(0o600), sync_dir)
            .with_context(|| format!("recording state in {}", self.path.display()))
    }
}

/// Largest state file read: thousands of stage records fit in far less.
const MAX_STATE: u64 = 16 * 1024 * 1024;

/// Reads and checks an existing state file.
fn read_state(path: &Path, cluster: &str) -> Result<StateFile> {
    let away = "move it away to start over";
    let bad = |why: String| {
        anyhow::anyhow!(
            "{} is not a valid mlk state file: {why} ({away})",
            path.display()
        )
    };
    let bytes = crate::fsutil::read_input(path, MAX_STATE).map_err(bad)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        bad(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let st: StateFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if st.format != FORMAT {
        anyhow::bail!(
            "{} has state format {}, but this mlk reads format {FORMAT}: another mlk version wrote it; use that version, or {away}",
            path.display(),
            st.format
        );
    }
    if st.cluster != cluster {
        anyhow::bail!(
            "{} records cluster `{}`, not `{cluster}`: it belongs to another cluster; {away}",
            path.display(),
            crate::text::shown(&st.cluster)
        );
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_reopen_and_interrupt_marks_running_failed() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), "c").unwrap();
        let rec = |status| Record {
            status,
            started: Some(now()),
            ended: None,
            input_hash: "h1".into(),
            message: None,
        };
        s.set("a", "node1", rec(Status::Done)).unwrap();
        s.set("b", "node1", rec(Status::Running)).unwrap();
        let s2 = Store::open(dir.path(), "c").unwrap();
        assert!(s2.is_done("a", "node1", "h1"));
        assert!(
            !s2.is_done("a", "node1", "h2"),
            "changed inputs are not done"
        );
        assert!(!s2.is_done("b", "node1", "h1"));
        drop(s2.interrupt("interrupted"));
        let s3 = Store::open(dir.path(), "c").unwrap();
        assert_eq!(s3.get("b", "node1").unwrap().status, Status::Failed);
        assert_eq!(s3.get("a", "node1").unwrap().status, Status::Done);
    }

    #[test]
    fn concurrent_sets_share_writes_and_lose_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), "c").unwrap();
        let rec = |hash: &str| Record {
            status: Status::Done,
            started: None,
            ended: None,
            input_hash: hash.into(),
            message: None,
        };
        std::thread::scope(|sc| {
            for t in 0..8 {
                let s = &s;
                sc.spawn(move || {
                    for i in 0..25 {
                        s.set(&format!("s{i}"), &format!("n{t}"), rec(&format!("{t}-{i}")))
                            .unwrap();
                        // Each set returns with its record in the file on disk.
                        let on_disk = read_state(s.path(), "c").unwrap();
                        assert_eq!(
                            on_disk.stages[&format!("s{i}")][&format!("n{t}")].input_hash,
                            format!("{t}-{i}")
                        );
                    }
                });
            }
        });
        let again = Store::open(dir.path(), "c").unwrap();
        for t in 0..8 {
            for i in 0..25 {
                assert!(again.is_done(&format!("s{i}"), &format!("n{t}"), &format!("{t}-{i}")));
            }
        }
    }

    #[test]
    fn a_failed_write_is_the_callers_error_and_the_next_write_carries_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), "c").unwrap();
        let rec = |status| Record {
            status,
            started: None,
            ended: None,
            input_hash: "h".into(),
            message: None,
        };
        // A folder where the file should be: the rename fails.
        std::fs::create_dir(dir.path().join("state.json")).unwrap();
        assert!(s.set("a", "n1", rec(Status::Done)).is_err());
        std::fs::remove_dir(dir.path().join("state.json")).unwrap();
        s.set("b", "n1", rec(Status::Running)).unwrap();
        let again = Store::open(dir.path(), "c").unwrap();
        assert!(again.is_done("a", "n1", "h"));
        assert_eq!(again.get("b", "n1").unwrap().status, Status::Running);
    }

    #[test]
    fn corrupt_state_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("state.json"), "{not json").unwrap();
        let err = Store::open(dir.path(), "c").err().unwrap();
        assert!(format!("{err:#}").contains("not a valid mlk state file"));
    }
}
