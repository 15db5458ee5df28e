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

/// The embedded lock table.
pub fn get() -> &'static Lock {
    &LOCK
}

impl Lock {
    pub fn chart(&self, name: &str) -> &Chart {
        self.charts
            .get(name)
            .unwrap_or_else(|| panic!("chart {name} missing from versions.lock.yaml"))
    }
    pub fn binary(&self, name: &str) -> &Binary {
        self.binaries
            .get(name)
            .unwrap_or_else(|| panic!("binary {name} missing from versions.lock.yaml"))
    }
}
