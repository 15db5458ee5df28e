//! The Kubernetes distribution seam: what differs between ways of making the cluster. RKE
//! (cluster.yml, Docker on every node, `rke up` from the first controlplane node) is the only
//! one today. A second one (RKE2) is a variant here, its stage rows in `crate::catalogue`
//! (`When::Distribution`), its host work in `crate::stages`, and its templates; the compiler
//! lists every `match` on `Distribution` to extend.
use crate::catalogue::StageId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Distribution {
    /// RKE1: `rke up` from cluster.yml, everything in Docker.
    #[default]
    Rke,
}

impl Distribution {
    /// Its name in `mlk plan`'s text.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Rke => "RKE",
        }
    }

    /// The stage after which Kubernetes runs (commands that need the cluster wait for it).
    pub fn kubernetes_stage(self) -> StageId {
        match self {
            Distribution::Rke => StageId::RkeUp,
        }
    }

    /// Its own rendered files: (template, path in the render folder).
    pub fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Distribution::Rke => &[("rke/cluster.yml", "cluster.yml")],
        }
    }
}
