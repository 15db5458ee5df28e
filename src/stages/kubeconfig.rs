//! Host stage `kubeconfig`: fetch RKE's admin kubeconfig from the first controlplane node,
//! point it at that node's IP, name everything `mlk-<cluster>`, and keep it 0600 as
//! `<cluster>/kubeconfig`. Merging into ~/.kube/config is `mlk kubeconfig --merge`.
use super::{HostCtx, HostStage};
use crate::render::context::REMOTE_DIR;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Where RKE writes the admin kubeconfig on the first controlplane node.
pub fn remote_path() -> String {
    format!("{REMOTE_DIR}/kube_config_cluster.yml")
}

/// The cluster's rewritten kubeconfig on the host.
pub fn local_path(cluster_dir: &Path) -> PathBuf {
    cluster_dir.join("kubeconfig")
}

pub struct Kubeconfig;

impl Kubeconfig {
    fn fetch_rewritten(ctx: &HostCtx) -> Result<String> {
        let cp = ctx.profile.first_controlplane();
        let r = ctx
            .runners
            .get(&cp.name)
            .with_context(|| format!("no connection to node {}", cp.name))?;
        let raw = r
            .download(&remote_path())
            .map_err(anyhow::Error::from)
            .with_context(|| format!("fetching {} from {}", remote_path(), cp.name))?;
        let text = String::from_utf8(raw).context("the kubeconfig is not UTF-8")?;
        crate::kubeconfig::rewrite(&text, &ctx.profile.name, &cp.ip.to_string())
    }
}

impl HostStage for Kubeconfig {
    fn check(&self, ctx: &HostCtx) -> Result<bool> {
        let have = match std::fs::read_to_string(local_path(ctx.cluster_dir)) {
            Ok(t) => t,
            Err(_) => return Ok(false),
        };
        // Current only if it equals what the node's file rewrites to (rke up may rotate certs).
        Ok(Self::fetch_rewritten(ctx).is_ok_and(|want| want == have))
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        let text = Self::fetch_rewritten(ctx)?;
        let path = local_path(ctx.cluster_dir);
        crate::fsutil::write_atomic(&path, text.as_bytes(), Some(0o600))?;
        (ctx.log)(&format!(
            "wrote {} (context {}); `mlk kubeconfig --merge` adds it to ~/.kube/config",
            path.display(),
            crate::kubeconfig::context_name(&ctx.profile.name)
        ));
        Ok(())
    }
}
