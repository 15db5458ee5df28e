//! The Kubernetes distribution seam: what differs between ways of making the cluster.
//!
//! - RKE (the default): cluster.yml, Docker on every node, `rke up` from the first
//!   controlplane node. RKE1 stops at Kubernetes 1.32, so its matrix is the 2025 one.
//! - RKE2 (`kubernetes.distribution: rke2` or `--distribution rke2`): a per-node
//!   /etc/rancher/rke2/config.yaml, containerd, the systemd units from the release tarball;
//!   its matrix is the lock table's `rke2:` section (Kubernetes 1.36). Its own module is
//!   [`rke2`]; its templates are `templates/rke2/` and `templates/stages/rke2-up.sh.hbs`.
//!
//! Each variant has its stage rows in `crate::catalogue` (`When::Distribution`), its host
//! work in `crate::stages`, and its templates; every `match` on `Distribution` is exhaustive.
pub mod rke2;

use crate::catalogue::StageId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// RKE1: `rke up` from cluster.yml, everything in Docker.
    #[default]
    Rke,
    /// RKE2: rke2-server / rke2-agent from the release tarball, containerd.
    Rke2,
}

impl Distribution {
    pub const ALL: [Distribution; 2] = [Distribution::Rke, Distribution::Rke2];

    /// As profiles and `--distribution` spell it: `rke`, `rke2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Distribution::Rke => "rke",
            Distribution::Rke2 => "rke2",
        }
    }

    /// The one parser of distribution names (the profile's key is serde's, same names).
    pub fn parse(s: &str) -> Option<Distribution> {
        Distribution::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// clap's value parser for `--distribution` (exit 2 on anything else).
    pub fn check(s: &str) -> Result<Distribution, String> {
        Distribution::parse(s).ok_or_else(|| {
            format!("`{s}` is not a Kubernetes distribution; allowed: rke (the default) or rke2")
        })
    }

    /// Its name in `mlk plan`'s text.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Rke => "RKE",
            Distribution::Rke2 => "RKE2",
        }
    }

    /// Whether it is the default (profiles and records leave it out then, so the JSON that
    /// host stages hash is unchanged for RKE clusters).
    pub fn is_default(&self) -> bool {
        *self == Distribution::Rke
    }

    /// The stage after which Kubernetes runs (commands that need the cluster wait for it).
    pub fn kubernetes_stage(self) -> StageId {
        match self {
            Distribution::Rke => StageId::RkeUp,
            Distribution::Rke2 => StageId::Rke2Up,
        }
    }

    /// Renders its own files (RKE: cluster.yml from the shared context; RKE2: each node's
    /// config.yaml and the cluster-wide files, [`rke2::render`]).
    pub fn render(
        self,
        hb: &handlebars::Handlebars<'_>,
        p: &crate::profile::Profile,
        ctx: &crate::render::context::Ctx,
        out: &mut crate::render::Rendered,
    ) -> anyhow::Result<()> {
        use anyhow::Context;
        match self {
            Distribution::Rke => {
                let text = hb
                    .render("rke/cluster.yml", ctx)
                    .context("rendering rke/cluster.yml")?;
                out.insert("cluster.yml".into(), text);
                Ok(())
            }
            Distribution::Rke2 => rke2::render(hb, p, out),
        }
    }

    /// The IngressClass its ingress controller installs, which every mlk Ingress names.
    /// RKE: rke's ingress-nginx addon, class `nginx`. RKE2 1.36: mlk sets
    /// `ingress-controller: [traefik]` and rke2-traefik's IngressClass is `traefik`
    /// (rancher/rke2-charts `packages/rke2-traefik`, values.yaml.patch; docs rke2.md).
    pub fn ingress_class(self) -> &'static str {
        match self {
            Distribution::Rke => "nginx",
            Distribution::Rke2 => rke2::INGRESS_CLASS,
        }
    }

    /// The distribution of an existing cluster folder: the recorded `--distribution`, else
    /// the saved profile's `kubernetes.distribution`, else RKE (what `mlk up` would choose).
    pub fn of_cluster(dir: &std::path::Path) -> Distribution {
        let recorded = crate::cluster::record::Record::load(dir)
            .ok()
            .flatten()
            .and_then(|r| r.distribution());
        recorded
            .or_else(|| {
                let text = std::fs::read_to_string(crate::layout::of(dir).profile()).ok()?;
                let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).ok()?;
                Distribution::parse(v["kubernetes"]["distribution"].as_str()?)
            })
            .unwrap_or_default()
    }

    /// The node logs a failure needs, as (what, command to run on a node): `mlk diagnose`
    /// names them in its NOTES.txt. RKE: the Kubernetes containers rke starts in Docker
    /// (kubelet, kube-apiserver, etcd). RKE2: the systemd units' journal and its containerd's
    /// own log ([`rke2::NODE_LOGS`]).
    pub fn node_logs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Distribution::Rke => &[
                ("containers", "sudo docker ps -a"),
                ("kubelet", "sudo docker logs --tail 300 kubelet"),
                (
                    "kube-apiserver",
                    "sudo docker logs --tail 300 kube-apiserver",
                ),
                ("etcd", "sudo docker logs --tail 300 etcd"),
            ],
            Distribution::Rke2 => rke2::NODE_LOGS,
        }
    }

    /// The container runtime on the nodes (Telegraf's DaemonSet and the report read it).
    pub fn container_runtime(self) -> &'static str {
        match self {
            Distribution::Rke => "docker",
            Distribution::Rke2 => "containerd",
        }
    }
}

impl std::fmt::Display for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}
