//! The plan: everything `mlk up` will do, as data. `mlk plan` prints it; the executor walks it.
pub mod releases;
pub mod stages;

use crate::addon::Addon;
use crate::lockfile::Lock;
use crate::profile::Profile;
use releases::HelmRelease;
use serde::Serialize;
use stages::Stage;

/// The plan of one cluster: built once per command from its resolved profile, then rendered
/// (`render::render`) and executed (`executor::execute`).
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The resolved profile it was built from (what rendering and the stages read).
    #[serde(skip)]
    pub resolved: Profile,
    pub cluster: String,
    pub profile: String,
    pub provider: String,
    pub kubernetes_version: String,
    /// How the cluster is made (`crate::distribution`): `rke` or `rke2` in `mlk plan --json`,
    /// the profile's spelling; the text shows its name (RKE, RKE2).
    pub distribution: crate::distribution::Distribution,
    pub network_plugin: String,
    pub nodes: Vec<PlanNode>,
    /// What the profile needs from the host: RAM, disk, download (estimates).
    pub needs: crate::doctor::capacity::Needs,
    pub binaries: Vec<BinaryPin>,
    pub stages: Vec<Stage>,
    pub helm_releases: Vec<HelmRelease>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeflow: Option<KubeflowPin>,
    pub dashboards: Vec<Dashboard>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanNode {
    pub name: String,
    pub ip: String,
    pub cpus: u32,
    pub memory_mib: u32,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BinaryPin {
    pub name: String,
    pub version: String,
    pub url: String,
    /// Empty when no digest is published where mlk could read it; then `sha256_url` is set.
    pub sha256: String,
    /// The release's checksum file, read at download time when `sha256` is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KubeflowPin {
    pub manifests_release: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub name: String,
    pub url: String,
}

/// Dashboards the profile enables, with their URLs.
pub fn dashboards(p: &Profile) -> Vec<Dashboard> {
    p.components
        .addons()
        .flat_map(|a| a.dashboards())
        .map(|d| Dashboard {
            name: d.name.into(),
            url: format!(
                "{}://{}",
                d.scheme,
                p.ingress.host(d.addon).unwrap_or_default()
            ),
        })
        .collect()
}

/// The pinned downloads: the distribution's binaries, and RKE2's release files.
fn binaries(p: &Profile, lock: &Lock) -> Vec<BinaryPin> {
    let pin = |name: &str, b: &crate::lockfile::Binary| BinaryPin {
        name: name.to_string(),
        version: b.version.clone(),
        url: b.url.clone(),
        sha256: b.sha256.clone(),
        sha256_url: b.sha256_url.clone(),
    };
    let mut v: Vec<BinaryPin> = lock.binaries.iter().map(|(n, b)| pin(n, b)).collect();
    if p.distribution() == crate::distribution::Distribution::Rke2 {
        let a = lock.rke2_artifacts();
        v.push(pin(crate::distribution::rke2::TARBALL, &a.tarball));
        v.push(pin(crate::distribution::rke2::CHECKSUMS, &a.checksums));
    }
    v
}

/// Builds the plan for a validated profile.
pub fn build(p: &Profile, profile_file: &str) -> Plan {
    let lock: &Lock = p.lock();
    Plan {
        resolved: p.clone(),
        cluster: p.name.clone(),
        profile: profile_file.to_string(),
        provider: p.provider.as_str().to_string(),
        kubernetes_version: p.kubernetes.version.clone(),
        distribution: p.distribution(),
        network_plugin: p.kubernetes.network_plugin.as_str().to_string(),
        nodes: p
            .nodes
            .iter()
            .map(|n| PlanNode {
                name: n.name.clone(),
                ip: n.ip.to_string(),
                cpus: n.cpus,
                memory_mib: n.memory,
                roles: n.roles.iter().map(|r| r.as_str().to_string()).collect(),
            })
            .collect(),
        needs: crate::doctor::capacity::needs(p),
        binaries: binaries(p, lock),
        stages: stages::build(p),
        helm_releases: releases::build(p, lock),
        kubeflow: p.components.enabled(Addon::Kubeflow).then(|| KubeflowPin {
            manifests_release: p.components.kubeflow.version.clone(),
            url: lock
                .kubeflow
                .url
                .replace(&lock.kubeflow.version, &p.components.kubeflow.version),
        }),
        dashboards: dashboards(p),
    }
}

/// The plan for `--provider ssh`: the machines exist already (listed in an inventory), so
/// the machines stage only reaches them, and no Vagrantfile is involved.
pub fn for_existing_hosts(plan: &mut Plan) {
    plan.provider = "ssh".into();
    if let Some(m) = plan
        .stages
        .iter_mut()
        .find(|s| s.action == stages::Action::Machines)
    {
        m.title = "Reach the existing hosts listed in --inventory".into();
    }
}

impl Plan {
    /// Human-readable plan, as `mlk plan` prints it.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Plan for cluster `{}` (profile {}, provider {})",
            self.cluster, self.profile, self.provider
        );
        let _ = writeln!(
            s,
            "Kubernetes {} via {}, network plugin {}",
            self.kubernetes_version,
            self.distribution.name(),
            self.network_plugin
        );
        let _ = writeln!(s, "\nNodes:");
        for n in &self.nodes {
            let _ = writeln!(
                s,
                "  {:<10} {:<15} {:>2} CPU {:>6} MiB  {}",
                n.name,
                n.ip,
                n.cpus,
                n.memory_mib,
                n.roles.join(",")
            );
        }
        let _ = writeln!(s, "Needs: {}", self.needs.text());
        let _ = writeln!(s, "\nStages:");
        for (i, st) in self.stages.iter().enumerate() {
            let on = if st.nodes.is_empty() {
                "host".to_string()
            } else {
                st.nodes.join(",")
            };
            let _ = writeln!(s, "  {:>2}. {:<14} [{on}] {}", i + 1, st.id, st.title);
        }
        if !self.helm_releases.is_empty() {
            let _ = writeln!(s, "\nHelm releases:");
            for r in &self.helm_releases {
                let _ = writeln!(
                    s,
                    "  {:<24} {:<38} {:<10} -n {:<18} {}",
                    r.release, r.chart, r.version, r.namespace, r.values
                );
            }
        }
        if let Some(k) = &self.kubeflow {
            let _ = writeln!(
                s,
                "\nKubeflow manifests: {} ({})",
                k.manifests_release, k.url
            );
        }
        let _ = writeln!(s, "\nBinaries (sha256-checked):");
        let w = self
            .binaries
            .iter()
            .map(|b| b.name.len())
            .max()
            .unwrap_or(0);
        for b in &self.binaries {
            let _ = writeln!(s, "  {:<w$} {:<8} {}", b.name, b.version, b.url);
            // Say how a binary without a pinned digest is checked, so the header stays true.
            if let (true, Some(u)) = (b.sha256.is_empty(), &b.sha256_url) {
                let _ = writeln!(
                    s,
                    "  {:<w$} {:<8} sha256 from {u} (trusted on first use)",
                    "", ""
                );
            }
        }
        if !self.dashboards.is_empty() {
            let _ = writeln!(s, "\nDashboards:");
            for d in &self.dashboards {
                let _ = writeln!(s, "  {:<11} {}", d.name, d.url);
            }
        }
        s
    }
}
