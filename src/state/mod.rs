//! Per-cluster state: what each stage did on each node, kept in `<cluster>/state.json`.
//!
//! Every change is written at once and atomically (temp file, fsync, rename), so a `kill -9`
//! leaves either the previous or the new file. A stage is recorded `running` before it starts
//! and `done` only after it succeeded, so an interrupted stage is never mistaken for done.
pub mod folder;
pub mod lock;
pub mod name;

pub use name::{MAX_LEN as CLUSTER_NAME_MAX, check_cluster_name, is_cluster_name};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
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

/// The state file of one cluster, shared by the executor's node threads.
pub struct Store {
    path: PathBuf,
    data: Mutex<StateFile>,
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

    /// Replaces one record and writes the file before returning.
    pub fn set(&self, stage: &str, node: &str, rec: Record) -> Result<()> {
        let mut d = self.lock();
        d.stages
            .entry(stage.to_string())
            .or_default()
            .insert(node.to_string(), rec);
        self.write(&d)
    }

    /// Marks every `running` record failed with `message` (on Ctrl-C), and writes the file.
    /// Returns with the state locked, so no thread can record anything after it.
    pub fn interrupt(&self, message: &str) -> std::sync::MutexGuard<'_, StateFile> {
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
        let text = serde_json::to_vec_pretty(d)?;
        crate::fsutil::write_atomic(&self.path, &text, Some(0o600))
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
    fn corrupt_state_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("state.json"), "{not json").unwrap();
        let err = Store::open(dir.path(), "c").err().unwrap();
        assert!(format!("{err:#}").contains("not a valid mlk state file"));
    }
}
