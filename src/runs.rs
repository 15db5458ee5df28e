//! Workload run records: `<cluster>/runs/<name>.json`, written by `run-workload`, read by
//! `report` and `mlk runs`. Next to each: the pods' log (`<name>.log`) and the samples the
//! run exported when it finished (`<name>.samples.lp.gz`, see [`samples`]), so that a run
//! outlives its cluster.
pub mod export;
pub mod lineproto;
pub mod listing;
pub mod samples;
pub mod store;

use crate::exit::{Class, classify};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Running,
    Succeeded,
    Failed,
}

/// One workload run on one cluster.
///
/// Everything `mlk report` needs besides the time series themselves: the windows, the
/// workload's pods and the facts that decide which figures exist; and where the series are
/// once exported (`samples`), so that a report needs no live cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub name: String,
    pub cluster: String,
    /// The profile the cluster was built from (e.g. `mono`, `distributed`).
    pub profile: String,
    /// `mnist` or the path of the user's manifest.
    pub workload: String,
    /// RFC 3339, UTC, host clock: when `run-workload` started (before staging and baseline).
    pub start: String,
    /// RFC 3339, UTC, host clock: when `run-workload` finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    pub outcome: Outcome,
    /// Nodes the cluster had, in profile order.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// The first controlplane node: where kubectl ran and InfluxDB is tunnelled from.
    #[serde(default)]
    pub controlplane: String,
    /// What the measurement needs (absent in records written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<Measure>,
    /// The exported samples (absent: not exported, see `samples_error`, or a record written
    /// before mlk exported samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<SamplesRef>,
    /// Why the last export failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_error: Option<String>,
}

/// Where a run's exported samples are, and what they must be (docs/measurement.md,
/// "Exported samples").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplesRef {
    /// File name, in the folder of the record (`<name>.samples.lp.gz`).
    pub file: String,
    /// [`samples::FORMAT`].
    pub format: String,
    /// SHA-256 of the file as written, hex.
    pub sha256: String,
    pub bytes: u64,
    /// Lines of line protocol (one per sample row).
    pub points: u64,
    /// The span exported, RFC 3339 UTC (the report's span: baseline and window plus a margin).
    pub from: String,
    pub to: String,
    /// When, and from where (the InfluxDB as mlk reached it).
    pub exported_at: String,
    pub source: String,
}

/// A node as the profile described it when the run started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSpec {
    pub name: String,
    pub cpus: u32,
    pub memory_mib: u64,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A time window, RFC 3339 UTC, and where its ends come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: String,
    pub end: String,
    /// `containers` (startedAt/finishedAt of the workload's containers, node clocks),
    /// `node-clock` (the controlplane node's `date`), or `host-clock` (mlk's own clock).
    pub source: String,
}

/// One container of a workload pod, from the pod's `status.containerStatuses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub restarts: u32,
}

/// One pod of the workload (found by the run's label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodRecord {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub node: String,
    /// `single`, `chief`, `ps`, `worker`, or empty for a user manifest.
    #[serde(default)]
    pub role: String,
    /// Serves until mlk deletes it (ps, worker): its end is not the training's end.
    #[serde(default)]
    pub serves: bool,
    #[serde(default)]
    pub containers: Vec<ContainerRecord>,
}

/// The measurement facts of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    /// The training: first container start to last (non-serving) container finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// The idle window measured just before the workload was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Window>,
    #[serde(default)]
    pub pods: Vec<PodRecord>,
    /// Which collector fields exist: `rke1-docker` (see `report::sources`).
    pub distribution: String,
    /// `canal` or `flannel`: decides whether pod veths can be named.
    pub network_plugin: String,
    /// The private-network NIC inside the nodes (traffic between nodes).
    pub private_iface: String,
    /// Telegraf's interval for the node inputs and for the per-pod inputs, seconds.
    pub node_interval_s: u32,
    pub pod_interval_s: u32,
    /// The image pre-pulled on every node, and the dataset staged there.
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Training parameters of the built-in workload (epochs, steps per epoch, batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<String>,
    /// The nodes with the CPUs and memory the profile gave them (the samples say how many
    /// CPUs Linux saw: `system.n_cpus`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_specs: Vec<NodeSpec>,
}

/// Run names become file names: keep them to a safe alphabet.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(classify(
            Class::Usage,
            format!(
                "run name `{name}`: allowed are 1-40 characters a-z, 0-9 and `-`, not starting or ending with `-`"
            ),
        ))
    }
}

pub fn runs_dir(cluster_dir: &Path) -> PathBuf {
    crate::layout::of(cluster_dir).runs()
}

pub fn path(cluster_dir: &Path, name: &str) -> PathBuf {
    crate::layout::of(cluster_dir).run(name)
}

/// The pods' logs of a run, saved before its objects are deleted.
pub fn log_path(cluster_dir: &Path, name: &str) -> PathBuf {
    runs_dir(cluster_dir).join(format!("{name}.log"))
}

/// Where run `name`'s samples are exported to.
pub fn samples_path(cluster_dir: &Path, name: &str) -> PathBuf {
    runs_dir(cluster_dir).join(format!("{name}.samples.lp.gz"))
}

/// Writes the record atomically.
pub fn save(cluster_dir: &Path, r: &RunRecord) -> Result<()> {
    check_name(&r.name)?;
    let mut text = serde_json::to_string_pretty(r)?;
    text.push('\n');
    crate::fsutil::write_atomic(&path(cluster_dir, &r.name), text.as_bytes(), Some(0o600))
}

/// Names of the recorded runs, sorted.
pub fn list(cluster_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(runs_dir(cluster_dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .filter(|n| check_name(n).is_ok())
                .map(String::from)
        })
        .collect();
    names.sort();
    names
}

/// Reads run `name`; an unknown name is a usage error listing the runs that exist.
pub fn load(cluster_dir: &Path, name: &str) -> Result<RunRecord> {
    check_name(name)?;
    let p = path(cluster_dir, name);
    if std::fs::symlink_metadata(&p).is_err() {
        let have = list(cluster_dir);
        let have = if have.is_empty() {
            "none yet; record one with `mlk run-workload`".to_string()
        } else {
            have.join(", ")
        };
        return Err(classify(
            Class::Usage,
            format!(
                "no run `{name}` in {} (recorded runs: {have})",
                runs_dir(cluster_dir).display()
            ),
        ));
    }
    let text = crate::fsutil::read_input_text(&p, crate::fsutil::MAX_INPUT)
        .map_err(|why| classify(Class::Usage, format!("{}: {why}", p.display())))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not a run record", p.display()))
        .map_err(|e| crate::exit::retag(Class::Usage, e))
}

/// New unique run name: `<cluster>-<YYYYmmdd-HHMMSS>`.
pub fn default_name(cluster: &str, epoch: i64) -> String {
    let t = crate::report::time::rfc3339(epoch);
    let stamp: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let stamp = format!(
        "{}-{}",
        &stamp[..8.min(stamp.len())],
        &stamp[8.min(stamp.len())..]
    );
    let base: String = cluster
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{}-{stamp}", base.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_round_trip() {
        assert!(check_name("mono-1").is_ok());
        for bad in ["", "../x", "A", "a/b", "-a", "a-", &"x".repeat(41)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            default_name("Mono_Lab", 1_700_000_000),
            "mono-lab-20231114-221320"
        );
        let d = tempfile::tempdir().unwrap();
        let r = RunRecord {
            name: "r1".into(),
            cluster: "mono".into(),
            profile: "mono".into(),
            workload: "mnist".into(),
            start: "2023-11-14T22:13:20Z".into(),
            end: None,
            outcome: Outcome::Running,
            nodes: vec!["node1".into()],
            controlplane: "node1".into(),
            measure: None,
            samples: None,
            samples_error: None,
        };
        save(d.path(), &r).unwrap();
        assert_eq!(load(d.path(), "r1").unwrap(), r);
        let e = format!("{:#}", load(d.path(), "r2").unwrap_err());
        assert!(
            e.contains("no run `r2`") && e.contains("recorded runs: r1"),
            "{e}"
        );
    }
}
