//! A cluster at a glance, from what mlk recorded (no hypervisor, no network): provider, node
//! count, state (up, stopped, failed at stage X, destroyed...) and age. `mlk list` prints it;
//! commands use it to explain a cluster that is not ready for them.
use super::record::Record;
use super::{Found, Opened};
use crate::catalogue::StageId;
use crate::layout;
use crate::plan::stages::StageName;
use crate::profile::{self, Profile};
use crate::provider::ProviderKind;
use crate::state::{HOST, StateFile, Status};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Where a cluster is in its life, as mlk recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Phase {
    /// Every stage of the plan is done on every target.
    Up,
    /// `mlk stop` halted the machines.
    Stopped,
    /// `mlk down` destroyed the machines (or, for ssh, forgot the hosts); the folder is kept.
    Destroyed,
    /// A stage failed (or was interrupted) on some target; the first such stage in plan order.
    Failed { stage: String },
    /// Some stages done, none failed: e.g. `mlk up --only ...`.
    Partial { done: usize, total: usize },
    /// Nothing recorded yet.
    New,
    /// Another mlk process holds the cluster lock right now.
    Busy { holder: String },
    /// The saved profile cannot be read.
    Unknown { reason: String },
}

impl Phase {
    pub fn describe(&self) -> String {
        match self {
            Phase::Up => "up".into(),
            Phase::Stopped => "stopped".into(),
            Phase::Destroyed => "destroyed".into(),
            Phase::Failed { stage } => format!("failed at {stage}"),
            Phase::Partial { done, total } => format!("partial ({done}/{total} stages)"),
            Phase::New => "new (no stage run yet)".into(),
            Phase::Busy { holder } => format!("busy ({holder})"),
            Phase::Unknown { reason } => format!("unknown ({reason})"),
        }
    }

    /// Not up and not destroyed: what `mlk up` would continue.
    pub fn unfinished(&self) -> bool {
        matches!(
            self,
            Phase::Failed { .. } | Phase::Partial { .. } | Phase::New
        )
    }
}

/// One stage's status over its targets.
#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    pub id: StageName,
    /// done, failed, running, pending or partial.
    pub status: String,
    /// Target (node name or `host`) -> status.
    pub targets: BTreeMap<String, String>,
}

/// Every stage of `p`'s plan with what `state` records for it.
pub fn stage_rows(p: &Profile, state: &StateFile) -> Vec<StageRow> {
    crate::plan::build(p, "")
        .stages
        .iter()
        .map(|st| {
            let names: Vec<String> = if st.on_host() {
                vec![HOST.to_string()]
            } else {
                st.nodes.clone()
            };
            let targets: BTreeMap<String, String> = names
                .into_iter()
                .map(|n| {
                    let s = state
                        .stages
                        .get(st.id.as_str())
                        .and_then(|m| m.get(&n))
                        .map_or(Status::Pending, |r| r.status);
                    (n, s.as_str().to_string())
                })
                .collect();
            StageRow {
                id: st.id.clone(),
                status: overall(&targets),
                targets,
            }
        })
        .collect()
}

/// One stage's overall status: failed/running if any target is, done if all are.
fn overall(targets: &BTreeMap<String, String>) -> String {
    for s in ["failed", "running"] {
        if targets.values().any(|v| v == s) {
            return s.into();
        }
    }
    for s in ["done", "pending"] {
        if targets.values().all(|v| v == s) {
            return s.into();
        }
    }
    "partial".into()
}

/// `<cluster>/state.json`, or an empty state.
pub fn read_state(dir: &Path) -> StateFile {
    std::fs::read_to_string(layout::of(dir).state())
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The saved profile of a cluster, with the hypervisor `up` used and the node addresses
/// its provider learned. Host rules are not
/// applied again: the cluster exists already (`mlk doctor` checks the host). A folder from
/// an mlk that saved no profile, named like an embedded profile, gets that profile (the
/// only way such a folder was made then).
pub fn saved_profile(dir: &Path, record: &Record) -> anyhow::Result<(Profile, profile::Source)> {
    let path = layout::of(dir).profile();
    let src = match std::fs::read_to_string(&path) {
        Ok(text) => profile::Source {
            file: path.display().to_string(),
            text,
        },
        Err(e) => match profile::embedded_source(&record.name) {
            Some(text) if e.kind() == std::io::ErrorKind::NotFound => profile::Source {
                file: format!("<embedded>/profiles/{}.yaml", record.name),
                text: text.to_string(),
            },
            _ => {
                return Err(crate::exit::classify(
                    crate::exit::Class::Usage,
                    format!(
                        "{}: {e}; this cluster folder has no saved profile (it was not made by `mlk up`); \
                         copy the cluster's profile there",
                        path.display()
                    ),
                ));
            }
        },
    };
    let overrides = profile::Overrides {
        provider: record.provider_kind().and_then(ProviderKind::hypervisor),
        distribution: record.distribution(),
    };
    let rules = profile::validate::HostRules {
        vbox_ranges: None,
        vbox_source: "not checked for an existing cluster".into(),
    };
    let p = profile::load(&src, &overrides, &rules)?;
    // With the node addresses its provider learned (Hyper-V), as `mlk up` ran it.
    let learned = crate::provider::addresses::load(dir)?;
    Ok((p.readdressed(&learned), src))
}

/// Who holds the cluster lock (`mlk up`, `down`...), if anyone does right now.
pub fn lock_holder(dir: &Path) -> Option<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(layout::of(dir).lock()).ok()?;
    match f.try_lock_shared() {
        Ok(()) => None,
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut s = String::new();
            let _ = f.read_to_string(&mut s);
            let field = |k: &str| {
                s.lines()
                    .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()))
            };
            Some(match (field("command "), field("pid ")) {
                (Some(c), Some(p)) => format!("{c}, pid {p}"),
                _ => "another mlk process".into(),
            })
        }
        Err(_) => None,
    }
}

/// A cluster as `mlk list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub name: String,
    pub provider: String,
    /// None when the saved profile cannot be read.
    pub nodes: Option<usize>,
    #[serde(flatten)]
    pub phase: Phase,
    /// Human form of the state: `failed at rke-up`.
    pub state_text: String,
    pub stages_done: usize,
    pub stages_total: usize,
    /// RFC 3339: the first `mlk up` (again after a `down`).
    pub created: String,
    pub age_seconds: Option<u64>,
    pub dir: String,
    /// In `./.mlk`, not in the mlk home.
    pub legacy: bool,
    #[serde(skip)]
    pub stages: Vec<StageRow>,
}

impl Summary {
    /// Whether `stage` is recorded done on every target.
    pub fn stage_done(&self, stage: StageId) -> bool {
        self.stage_status(stage) == "done"
    }

    /// The status of `stage` (pending when the plan has no such stage).
    pub fn stage_status(&self, stage: StageId) -> &str {
        self.stages
            .iter()
            .find(|s| s.id == stage)
            .map_or("pending", |s| s.status.as_str())
    }

    /// Age as `45s`, `12m`, `3h`, `2d`.
    pub fn age(&self) -> String {
        self.age_seconds.map_or_else(|| "-".into(), short_duration)
    }
}

pub fn short_duration(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// Summarises a cluster folder from its record, saved profile and state.
pub fn summarize(found: &Found) -> Summary {
    let record = Record::load_or_infer(&found.dir, &found.name)
        .unwrap_or_else(|_| Record::new(&found.name, ProviderKind::Ssh, "?", &found.dir));
    let profile = saved_profile(&found.dir, &record);
    let state = read_state(&found.dir);
    let (nodes, stages) = match &profile {
        Ok((p, _)) => (Some(p.nodes.len()), stage_rows(p, &state)),
        Err(_) => (None, Vec::new()),
    };
    let done = stages.iter().filter(|s| s.status == "done").count();
    let phase = phase_of(found, &record, &profile, &stages, done);
    let age_seconds = humantime::parse_rfc3339(&record.created).ok().map(|t| {
        SystemTime::now()
            .duration_since(t)
            .unwrap_or(Duration::ZERO)
            .as_secs()
    });
    Summary {
        name: found.name.clone(),
        provider: record.provider.clone(),
        nodes,
        state_text: phase.describe(),
        phase,
        stages_done: done,
        stages_total: stages.len(),
        created: record.created.clone(),
        age_seconds,
        dir: found.dir.display().to_string(),
        legacy: found.legacy,
        stages,
    }
}

fn phase_of(
    found: &Found,
    record: &Record,
    profile: &anyhow::Result<(Profile, profile::Source)>,
    stages: &[StageRow],
    done: usize,
) -> Phase {
    if record.destroyed.is_some() {
        return Phase::Destroyed;
    }
    if let Some(holder) = lock_holder(&found.dir) {
        return Phase::Busy { holder };
    }
    if record.stopped.is_some() {
        return Phase::Stopped;
    }
    if profile.is_err() {
        let reason = if layout::of(&found.dir).profile().is_file() {
            "its profile.yaml does not load"
        } else {
            "no profile.yaml: not made by `mlk up`"
        };
        return Phase::Unknown {
            reason: reason.into(),
        };
    }
    if let Some(s) = stages.iter().find(|s| s.status == "failed") {
        return Phase::Failed {
            stage: s.id.to_string(),
        };
    }
    match done {
        0 if stages.iter().all(|s| s.status == "pending") => Phase::New,
        d if d == stages.len() => Phase::Up,
        d => Phase::Partial {
            done: d,
            total: stages.len(),
        },
    }
}

/// The summary of an opened cluster (same as `summarize` of its folder).
pub fn of(c: &Opened) -> Summary {
    summarize(&c.found)
}

/// Clusters as an aligned table: NAME PROVIDER NODES STATE AGE (and where, for ./.mlk ones).
pub fn table(rows: &[Summary]) -> String {
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.provider.clone(),
                r.nodes.map_or_else(|| "?".into(), |n| n.to_string()),
                r.state_text.clone(),
                r.age(),
                if r.legacy {
                    format!("in {}", r.dir)
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let head = ["NAME", "PROVIDER", "NODES", "STATE", "AGE", ""].map(String::from);
    let mut w = head.clone().map(|h| h.len());
    for c in &cells {
        for (i, v) in c.iter().enumerate() {
            w[i] = w[i].max(v.chars().count());
        }
    }
    let line = |c: &[String; 6]| {
        let mut s = String::new();
        for (i, v) in c.iter().enumerate().take(5) {
            s.push_str(&format!("{v:<width$}  ", width = w[i]));
        }
        s.push_str(&c[5]);
        format!("{}\n", s.trim_end())
    };
    let mut s = line(&head);
    for c in &cells {
        s.push_str(&line(c));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder as `mlk up -p mono` leaves it, with `status` for every stage and target.
    fn mono_folder(status: impl Fn(StageId) -> Option<Status>) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let text = crate::profile::embedded_source("mono").unwrap();
        std::fs::write(layout::of(t.path()).profile(), text).unwrap();
        Record::new(
            "mono",
            ProviderKind::Vagrant(crate::profile::Hypervisor::Virtualbox),
            "mono",
            t.path(),
        )
        .save(t.path())
        .unwrap();
        let (p, _) = saved_profile(t.path(), &Record::load(t.path()).unwrap().unwrap()).unwrap();
        let mut state = StateFile::default();
        for st in crate::plan::build(&p, "").stages {
            let StageName::Builtin(id) = st.id else {
                continue;
            };
            let Some(s) = status(id) else { continue };
            let targets = if st.on_host() {
                vec![HOST.to_string()]
            } else {
                st.nodes
            };
            for n in targets {
                let rec = crate::state::Record {
                    status: s,
                    started: None,
                    ended: None,
                    input_hash: "h".into(),
                    message: None,
                };
                state
                    .stages
                    .entry(st.id.to_string())
                    .or_default()
                    .insert(n, rec);
            }
        }
        std::fs::write(
            layout::of(t.path()).state(),
            serde_json::to_string(&state).unwrap(),
        )
        .unwrap();
        t
    }

    fn phase(t: &tempfile::TempDir) -> Phase {
        summarize(&Found {
            name: "mono".into(),
            dir: t.path().to_path_buf(),
            legacy: false,
        })
        .phase
    }

    #[test]
    fn phases_from_what_was_recorded() {
        let all = mono_folder(|_| Some(Status::Done));
        assert_eq!(phase(&all), Phase::Up);
        let s = summarize(&Found {
            name: "mono".into(),
            dir: all.path().to_path_buf(),
            legacy: false,
        });
        assert_eq!((s.nodes, s.stages_done, s.stages_total), (Some(1), 13, 13));
        assert!(s.stage_done(StageId::RkeUp) && s.stage_status(StageId::Tick) == "done");
        let mut r = Record::load(all.path()).unwrap().unwrap();
        r.stopped = Some(crate::state::now());
        r.save(all.path()).unwrap();
        assert_eq!(phase(&all), Phase::Stopped);
        r.destroyed = Some(crate::state::now());
        r.save(all.path()).unwrap();
        assert_eq!(phase(&all), Phase::Destroyed);

        let failed = mono_folder(|id| match id {
            StageId::Machines | StageId::OsPrep => Some(Status::Done),
            StageId::Docker => Some(Status::Failed),
            _ => None,
        });
        assert_eq!(
            phase(&failed),
            Phase::Failed {
                stage: "docker".into()
            }
        );
        assert_eq!(phase(&failed).describe(), "failed at docker");
        assert!(phase(&failed).unfinished());
        let part = mono_folder(|id| (id == StageId::Machines).then_some(Status::Done));
        assert_eq!(phase(&part), Phase::Partial { done: 1, total: 13 });
        let new = mono_folder(|_| None);
        assert_eq!(phase(&new), Phase::New);
        // Held by a running `mlk up`: busy, with who holds it.
        let _lock = crate::state::lock::acquire(new.path(), "mlk up").unwrap();
        match phase(&new) {
            Phase::Busy { holder } => assert!(holder.starts_with("mlk up, pid "), "{holder}"),
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(5), "5s");
        assert_eq!(short_duration(125), "2m");
        assert_eq!(short_duration(7200), "2h");
        assert_eq!(short_duration(3 * 86400 + 5), "3d");
    }

    #[test]
    fn overall_status_of_a_stage() {
        let m = |v: &[&str]| -> BTreeMap<String, String> {
            v.iter()
                .enumerate()
                .map(|(i, s)| (format!("n{i}"), s.to_string()))
                .collect()
        };
        assert_eq!(overall(&m(&["done", "done"])), "done");
        assert_eq!(overall(&m(&["done", "failed"])), "failed");
        assert_eq!(overall(&m(&["pending", "running"])), "running");
        assert_eq!(overall(&m(&["pending", "pending"])), "pending");
        assert_eq!(overall(&m(&["done", "pending"])), "partial");
    }
}
