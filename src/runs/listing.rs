//! What `mlk runs list` and `mlk runs show` print: one row per run (text table or JSON), and
//! one run in full, with the state of its exported samples.
use super::samples::{self, Exported};
use super::store::Located;
use super::{Outcome, RunRecord};
use crate::cluster::{Found, Home, summary};
use crate::report::time;
use anyhow::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The state of a run's exported samples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SamplesState {
    /// Exported; the file is there (`show` also checks its SHA-256).
    Exported,
    /// Never exported: a record from before mlk exported samples, or a run still running.
    None,
    /// The export failed (`samples_error` says why).
    Failed,
    /// The record points at a file that is not there.
    Missing,
    /// The file is there but does not match the record (`show` only).
    Corrupt,
}

impl SamplesState {
    fn text(&self) -> &'static str {
        match self {
            SamplesState::Exported => "exported",
            SamplesState::None => "none",
            SamplesState::Failed => "export failed",
            SamplesState::Missing => "MISSING",
            SamplesState::Corrupt => "CORRUPT",
        }
    }
}

/// One run in `mlk runs list`.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cluster: String,
    pub name: String,
    /// The cluster's state now (`up`, `destroyed`, ...), as `mlk list` shows it.
    pub cluster_state: String,
    pub outcome: Option<Outcome>,
    pub profile: String,
    pub workload: String,
    pub start: String,
    /// Training window length, seconds (from the containers' times).
    pub training_s: Option<i64>,
    pub samples: SamplesState,
    pub samples_bytes: Option<u64>,
    pub record: PathBuf,
    /// The record could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn training_s(r: &RunRecord) -> Option<i64> {
    let w = r.measure.as_ref()?.window.as_ref()?;
    Some(time::parse(&w.end).ok()? - time::parse(&w.start).ok()?)
}

/// Samples state without reading the file (existence only).
fn quick_state(dir: &Path, r: &RunRecord) -> SamplesState {
    match samples::path_of(dir, r) {
        Some(Ok(p)) if p.is_file() => SamplesState::Exported,
        Some(_) => SamplesState::Missing,
        None if r.samples_error.is_some() => SamplesState::Failed,
        None => SamplesState::None,
    }
}

fn row(found: &Found, state: &str, name: &str) -> Row {
    let record = super::path(&found.dir, name);
    match super::load(&found.dir, name) {
        Ok(r) => Row {
            cluster: found.name.clone(),
            name: name.to_string(),
            cluster_state: state.to_string(),
            outcome: Some(r.outcome),
            profile: r.profile.clone(),
            workload: r.workload.clone(),
            start: r.start.clone(),
            training_s: training_s(&r),
            samples: quick_state(&found.dir, &r),
            samples_bytes: r.samples.as_ref().map(|s| s.bytes),
            record,
            error: None,
        },
        Err(e) => Row {
            cluster: found.name.clone(),
            name: name.to_string(),
            cluster_state: state.to_string(),
            outcome: None,
            profile: String::new(),
            workload: String::new(),
            start: String::new(),
            training_s: None,
            samples: SamplesState::None,
            samples_bytes: None,
            record,
            error: Some(format!("{e:#}")),
        },
    }
}

/// Every run of every cluster (or of `cluster`), clusters by name, runs by name.
pub fn rows(home: &Home, cluster: Option<&crate::cluster::ClusterName>) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for (found, names) in super::store::all(home, cluster)? {
        if names.is_empty() {
            continue;
        }
        let state = summary::summarize(&found).state_text;
        out.extend(names.iter().map(|n| row(&found, &state, n)));
    }
    Ok(out)
}

fn size(bytes: u64) -> String {
    crate::report::summary::fmt(bytes as f64, "B")
}

/// The rows as a text table.
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            let outcome = match (&r.error, r.outcome) {
                (Some(_), _) => "UNREADABLE".to_string(),
                (None, Some(o)) => format!("{o:?}").to_lowercase(),
                (None, None) => String::new(),
            };
            let samples = match (&r.samples, r.samples_bytes) {
                (SamplesState::Exported, Some(b)) => format!("exported, {}", size(b)),
                (s, _) => s.text().to_string(),
            };
            [
                format!("{}/{}", r.cluster, r.name),
                r.cluster_state.clone(),
                outcome,
                r.workload.clone(),
                r.start.clone(),
                r.training_s.map_or_else(|| "-".into(), time::human),
                samples,
            ]
        })
        .collect();
    let head = [
        "RUN", "CLUSTER", "OUTCOME", "WORKLOAD", "STARTED", "TRAINING", "SAMPLES",
    ];
    let mut width = head.map(str::len);
    for c in &cells {
        for (w, s) in width.iter_mut().zip(c) {
            *w = (*w).max(s.chars().count());
        }
    }
    let line = |c: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in c.iter().zip(width).enumerate() {
            if i + 1 == c.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&head.map(String::from));
    for c in &cells {
        out.push_str(&line(c));
    }
    out
}

/// One run in full, for `mlk runs show`.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub cluster: String,
    pub name: String,
    pub cluster_state: String,
    pub files: Files,
    pub samples: SamplesState,
    /// What is wrong with the samples file, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples_problem: Option<String>,
    pub record: RunRecord,
}

#[derive(Debug, Clone, Serialize)]
pub struct Files {
    pub record: PathBuf,
    pub samples: Option<PathBuf>,
    pub log: Option<PathBuf>,
}

/// Reads everything about run `l`, checking its samples file in full (SHA-256, format).
pub fn show(l: &Located) -> Shown {
    let dir = l.dir();
    let r = &l.record;
    let (samples, problem) = match samples::path_of(dir, r) {
        None => (quick_state(dir, r), r.samples_error.clone()),
        Some(Err(e)) => (SamplesState::Corrupt, Some(format!("{e:#}"))),
        Some(Ok(p)) if !p.is_file() => (
            SamplesState::Missing,
            Some(format!("{} is not there", p.display())),
        ),
        Some(Ok(_)) => match Exported::load(dir, r) {
            Ok(_) => (SamplesState::Exported, None),
            Err(e) => (SamplesState::Corrupt, Some(format!("{e:#}"))),
        },
    };
    let log = super::log_path(dir, &r.name);
    Shown {
        cluster: l.cluster.name.clone(),
        name: r.name.clone(),
        cluster_state: summary::summarize(&l.cluster).state_text,
        files: Files {
            record: super::path(dir, &r.name),
            samples: samples::path_of(dir, r).and_then(Result::ok),
            log: log.is_file().then_some(log),
        },
        samples,
        samples_problem: problem,
        record: r.clone(),
    }
}

/// `show` as text.
pub fn show_text(s: &Shown) -> String {
    let r = &s.record;
    let mut out = format!(
        "run {}/{} (cluster {}: {})\n",
        s.cluster, s.name, s.cluster, s.cluster_state
    );
    let mut kv = |k: &str, v: String| out.push_str(&format!("  {k:<10} {v}\n"));
    kv("outcome", format!("{:?}", r.outcome).to_lowercase());
    kv("profile", r.profile.clone());
    let mut workload = r.workload.clone();
    if let Some(t) = r.measure.as_ref().and_then(|m| m.training.as_ref()) {
        workload.push_str(&format!(" ({t})"));
    }
    kv("workload", workload);
    kv(
        "started",
        format!(
            "{}, ended {}",
            r.start,
            r.end.as_deref().unwrap_or("(not recorded)")
        ),
    );
    let span = |w: &super::Window| {
        let len = time::parse(&w.end).ok().zip(time::parse(&w.start).ok());
        format!(
            "{} → {} ({}, from {})",
            w.start,
            w.end,
            len.map_or_else(|| "?".into(), |(e, s)| time::human(e - s)),
            w.source
        )
    };
    let m = r.measure.as_ref();
    kv(
        "window",
        m.and_then(|m| m.window.as_ref())
            .map_or_else(|| "none recorded".into(), span),
    );
    kv(
        "baseline",
        m.and_then(|m| m.baseline.as_ref())
            .map_or_else(|| "none".into(), span),
    );
    let nodes: Vec<String> = match m.map(|m| &m.node_specs) {
        Some(specs) if !specs.is_empty() => specs
            .iter()
            .map(|n| {
                format!(
                    "{} ({} CPUs, {} MiB; {})",
                    n.name,
                    n.cpus,
                    n.memory_mib,
                    n.roles.join(", ")
                )
            })
            .collect(),
        _ => r.nodes.clone(),
    };
    kv("nodes", nodes.join("; "));
    for p in m.map(|m| m.pods.as_slice()).unwrap_or_default() {
        let role = if p.role.is_empty() {
            String::new()
        } else {
            format!(" ({})", p.role)
        };
        kv(
            "pod",
            format!("{}/{}{role} on {}", p.namespace, p.name, p.node),
        );
    }
    let samples = match (&r.samples, &s.files.samples) {
        (Some(i), Some(p)) => format!(
            "{}: {}, {} points, {} → {}, exported {} from {}; sha256 {} ({})",
            p.display(),
            size(i.bytes),
            i.points,
            i.from,
            i.to,
            i.exported_at,
            i.source,
            i.sha256,
            if s.samples == SamplesState::Exported {
                "checked"
            } else {
                "see below"
            }
        ),
        _ => match s.samples {
            SamplesState::Failed => "not exported: the export failed".into(),
            _ => "not exported (`mlk runs export` exports them while the cluster is up)".into(),
        },
    };
    kv("samples", samples);
    if let Some(p) = &s.samples_problem {
        kv("problem", p.clone());
    }
    kv(
        "log",
        s.files
            .log
            .as_ref()
            .map_or_else(|| "none".into(), |p| p.display().to_string()),
    );
    kv("record", s.files.record.display().to_string());
    out
}
