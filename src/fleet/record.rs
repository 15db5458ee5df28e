//! The fleet record, `<mlk home>/fleets.d/<fleet>/fleet.json`: which clusters belong to the
//! fleet, the profile they are made from, the addresses each node was given, the provider and
//! the stage selection `fleet up` last ran with. Written atomically (0600) before any cluster
//! is touched, so every later command (and a rerun of `fleet up`) reads the same allocation.
//!
//! The folder is not a cluster folder: `fleets.d` is no valid cluster name, so `mlk list` and
//! every `--cluster` lookup skip it.
use super::names::Member;
use crate::cluster::Home;
use crate::exit::{Class, classify};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

const FORMAT: u32 = 1;

/// The folder of every fleet of a home.
pub const FLEETS_DIR: &str = "fleets.d";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddr {
    pub node: String,
    pub ip: Ipv4Addr,
}

/// One cluster of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    #[serde(flatten)]
    pub member: Member,
    pub nodes: Vec<NodeAddr>,
}

impl Cluster {
    pub fn name(&self) -> &str {
        &self.member.cluster
    }
}

/// `fleet up`'s `--from/--only/--skip`, kept so a rerun and `fleet status` judge the same stages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
}

impl Selection {
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.only.is_empty() && self.skip.is_empty()
    }

    pub fn to_select(&self) -> crate::executor::select::Selection {
        crate::executor::select::Selection {
            from: self.from.clone(),
            only: self.only.clone(),
            skip: self.skip.clone(),
        }
    }

    /// As `mlk up` flags.
    pub fn args(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(f) = &self.from {
            v.extend(["--from".to_string(), f.clone()]);
        }
        if !self.only.is_empty() {
            v.extend(["--only".to_string(), self.only.join(",")]);
        }
        if !self.skip.is_empty() {
            v.extend(["--skip".to_string(), self.skip.join(",")]);
        }
        v
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fleet {
    pub format: u32,
    pub name: String,
    /// `--profile` as given: an embedded name or a file's absolute path. Its text as planned
    /// is `profile.yaml` next to this file.
    pub profile: String,
    /// `ssh`, or the Vagrant provider (virtualbox, libvirt, hyperv).
    pub provider: String,
    /// The range the addresses come from (Vagrant providers); None for ssh (the inventory's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// `--inventory` as given (absolute), for ssh; each cluster gets its part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<String>,
    /// `--distribution` as given (rke, rke2); None: each profile's own. Passed to `mlk up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<String>,
    #[serde(default)]
    pub selection: Selection,
    /// RFC 3339, UTC.
    pub created: String,
    pub clusters: Vec<Cluster>,
}

impl Fleet {
    pub fn new(name: &str, profile: &str, provider: &str, clusters: Vec<Cluster>) -> Fleet {
        Fleet {
            format: FORMAT,
            name: name.to_string(),
            profile: profile.to_string(),
            provider: provider.to_string(),
            network: None,
            inventory: None,
            distribution: None,
            selection: Selection::default(),
            created: crate::state::now(),
            clusters,
        }
    }

    pub fn is_ssh(&self) -> bool {
        self.provider == "ssh"
    }

    pub fn names(&self) -> Vec<String> {
        self.clusters.iter().map(|c| c.name().to_string()).collect()
    }
}

/// The paths of one fleet's folder.
#[derive(Debug, Clone)]
pub struct FleetDir(pub PathBuf);

impl FleetDir {
    pub fn of(home: &Home, fleet: &str) -> FleetDir {
        FleetDir(home.root.join(FLEETS_DIR).join(fleet))
    }
    pub fn dir(&self) -> &Path {
        &self.0
    }
    pub fn record(&self) -> PathBuf {
        self.0.join("fleet.json")
    }
    /// The base profile's text as planned.
    pub fn profile(&self) -> PathBuf {
        self.0.join("profile.yaml")
    }
    /// The generated profile of one cluster (its name and addresses).
    pub fn member_profile(&self, cluster: &str) -> PathBuf {
        self.0.join("profiles").join(format!("{cluster}.yaml"))
    }
    /// One cluster's part of the inventory, its Host blocks renamed to the node names.
    pub fn member_inventory(&self, cluster: &str) -> PathBuf {
        self.0
            .join("inventories")
            .join(format!("{cluster}.ssh-config"))
    }
    /// What the cluster's last `mlk up` (down, stop...) printed on stderr.
    pub fn member_log(&self, cluster: &str) -> PathBuf {
        self.0.join("logs").join(format!("{cluster}.log"))
    }
}

/// Names of the fleets in `home`, sorted.
pub fn list(home: &Home) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(home.root.join(FLEETS_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("fleet.json").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

pub fn load(d: &FleetDir) -> Result<Option<Fleet>> {
    let path = d.record();
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .with_context(|| format!("{} is not an mlk fleet record", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

pub fn save(d: &FleetDir, f: &Fleet) -> Result<()> {
    crate::state::folder::prepare(d.dir())?;
    let mut text = serde_json::to_string_pretty(f)?;
    text.push('\n');
    crate::fsutil::write_atomic(&d.record(), text.as_bytes(), Some(0o600))
}

/// The fleet `--fleet` names, else the only one there is; none or several is exit 2.
pub fn open(home: &Home, name: Option<&str>) -> Result<(FleetDir, Fleet)> {
    let all = list(home);
    let name = match (name, all.as_slice()) {
        (Some(n), _) => n.to_string(),
        (None, [one]) => one.clone(),
        (None, []) => {
            return Err(classify(
                Class::Usage,
                format!(
                    "no fleet in {}; make one with `mlk fleet up --profile P --count N`",
                    home.root.display()
                ),
            ));
        }
        (None, many) => {
            return Err(classify(
                Class::Usage,
                format!(
                    "{} fleets ({}); name one with --fleet NAME",
                    many.len(),
                    many.join(", ")
                ),
            ));
        }
    };
    let d = FleetDir::of(home, &name);
    match load(&d)? {
        Some(f) => Ok((d, f)),
        None => Err(classify(
            Class::Usage,
            format!(
                "no fleet {name} in {}{}",
                home.root.display(),
                if all.is_empty() {
                    String::new()
                } else {
                    format!("; fleets: {}", all.join(", "))
                }
            ),
        )),
    }
}
