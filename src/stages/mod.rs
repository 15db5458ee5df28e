//! Host-side stages: work mlk does itself on the host (download binaries, fetch the kubeconfig,
//! print the summary), as opposed to rendered scripts that run on the nodes.
pub mod binaries;
pub mod cache;
pub mod kubeconfig;
pub mod node_ips;
pub mod registry_auth;
pub mod rke;
pub mod rke2;
pub mod secrets;
pub mod summary;

use crate::catalogue::HostWork;
use crate::plan::stages::Stage;
use crate::profile::Profile;
use crate::remote::Runner;
use crate::render::Rendered;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// What a host stage may use.
pub struct HostCtx<'a> {
    /// The resolved profile, with the node addresses the machines stage learned (Hyper-V).
    pub profile: &'a Profile,
    /// The plan's stages (the summary reports which are done).
    pub stages: &'a [Stage],
    /// The cluster folder (`<mlk home>/<name>`): state, rendered files, secrets, kubeconfig.
    pub cluster_dir: &'a Path,
    pub rendered: &'a Rendered,
    /// One runner per node, by node name.
    pub runners: &'a BTreeMap<String, Arc<dyn Runner>>,
    /// Progress/log sink; never pass a secret to it.
    pub log: &'a (dyn Fn(&str) + Sync),
}

pub trait HostStage: Send + Sync {
    /// Whether the stage's work is already done.
    fn check(&self, ctx: &HostCtx) -> Result<bool>;
    fn run(&self, ctx: &HostCtx) -> Result<()>;
}

/// The implementation of each kind of host work.
pub fn host_stage(w: HostWork) -> &'static dyn HostStage {
    match w {
        HostWork::Binaries => &binaries::Binaries,
        HostWork::Secrets => &secrets::Secrets,
        HostWork::RkeUp => &rke::RkeUp,
        HostWork::Rke2Up => &rke2::Rke2Up,
        HostWork::Kubeconfig => &kubeconfig::Kubeconfig,
        HostWork::Summary => &summary::Summary,
    }
}
