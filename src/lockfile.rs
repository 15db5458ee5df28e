//! The version lock table (`versions.lock.yaml`), embedded in the binary.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

pub const SOURCE: &str = include_str!("../versions.lock.yaml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub kubernetes: String,
    pub binaries: BTreeMap<String, Binary>,
    pub charts: BTreeMap<String, Chart>,
    pub kubeflow: Kubeflow,
    pub docker: Docker,
    /// RKE2's matrix: what differs from the RKE one. Absent from the effective lock of a
    /// distribution ([`of`]), which has it merged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rke2: Option<Rke2Matrix>,
}

/// The lock table's `rke2:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rke2Matrix {
    pub kubernetes: String,
    pub artifacts: Rke2Artifacts,
    /// Replace the shared binaries of the same name; RKE2 has no `rke`.
    pub binaries: BTreeMap<String, Binary>,
    /// Replace the shared charts of the same name.
    pub charts: BTreeMap<String, Chart>,
    pub kubeflow: Kubeflow,
}

/// The RKE2 release files the nodes install from (`INSTALL_RKE2_ARTIFACT_PATH`'s layout).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rke2Artifacts {
    /// `rke2.linux-amd64.tar.gz`.
    pub tarball: Binary,
    /// `sha256sum-amd64.txt`.
    pub checksums: Binary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binary {
    pub version: String,
    pub url: String,
    /// The pinned digest; empty only where none was found published (then `sha256_url`).
    pub sha256: String,
    /// The release's own checksum file (`<hex> <asset>` lines), used only when `sha256` is
    /// empty: trust on first use, and the digest it gave is recorded per cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_url: Option<String>,
    /// Path of the binary inside a tar.gz download; absent for plain binaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    pub repo: String,
    pub repo_url: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubeflow {
    pub version: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Docker {
    pub version: String,
    pub install_url: String,
}

static LOCK: LazyLock<Lock> = LazyLock::new(|| {
    serde_yaml_ng::from_str(SOURCE).expect("versions.lock.yaml is embedded and tested")
});

static RKE2: LazyLock<Lock> = LazyLock::new(|| {
    let base = get();
    let m = base
        .rke2
        .clone()
        .expect("versions.lock.yaml has an rke2 section");
    let mut l = base.clone();
    l.kubernetes = m.kubernetes.clone();
    l.binaries.remove("rke");
    l.binaries.extend(m.binaries.clone());
    l.charts.extend(m.charts.clone());
    l.kubeflow = m.kubeflow.clone();
    l.rke2 = Some(m);
    l
});

/// The embedded lock table, as RKE (the default distribution) uses it.
pub fn get() -> &'static Lock {
    &LOCK
}

/// The effective lock table of a distribution: RKE's as written; RKE2's with the `rke2:`
/// section merged over the shared entries (and its artifacts in `rke2`).
pub fn of(d: crate::distribution::Distribution) -> &'static Lock {
    match d {
        crate::distribution::Distribution::Rke => &LOCK,
        crate::distribution::Distribution::Rke2 => &RKE2,
    }
}

impl Lock {
    pub fn chart(&self, name: &str) -> &Chart {
        self.charts
            .get(name)
            .unwrap_or_else(|| panic!("chart {name} missing from versions.lock.yaml"))
    }
    /// RKE2's release artifacts (only in RKE2's effective lock, see [`of`]).
    pub fn rke2_artifacts(&self) -> &Rke2Artifacts {
        &self
            .rke2
            .as_ref()
            .expect("versions.lock.yaml has an rke2 section")
            .artifacts
    }
    pub fn binary(&self, name: &str) -> &Binary {
        self.binaries
            .get(name)
            .unwrap_or_else(|| panic!("binary {name} missing from versions.lock.yaml"))
    }
}
