//! Host stage `kubeconfig`: fetch RKE's admin kubeconfig from the first controlplane node,
//! point it at that node's IP, name everything `mlk-<cluster>`, and keep it 0600 as
//! `<cluster>/kubeconfig`. Merging into ~/.kube/config is `mlk kubeconfig --merge`.
use super::{HostCtx, HostStage};
use crate::layout::{self, node};
use anyhow::{Context, Result};

pub struct Kubeconfig;

impl Kubeconfig {
    fn fetch_rewritten(ctx: &HostCtx) -> Result<String> {
        let cp = ctx.profile.first_controlplane();
        let r = ctx
            .runners
            .get(&cp.name)
            .with_context(|| format!("no connection to node {}", cp.name))?;
        let raw = r
            .download(&node::kubeconfig())
            .map_err(anyhow::Error::from)
            .with_context(|| format!("fetching {} from {}", node::kubeconfig(), cp.name))?;
        let text = String::from_utf8(raw).context("the kubeconfig is not UTF-8")?;
        crate::kubeconfig::rewrite(&text, &ctx.profile.name, &cp.ip.to_string())
    }
}

impl HostStage for Kubeconfig {
    fn check(&self, ctx: &HostCtx) -> Result<bool> {
        let have = match std::fs::read_to_string(layout::of(ctx.cluster_dir).kubeconfig()) {
            Ok(t) => t,
            Err(_) => return Ok(false),
        };
        // Current only if it equals what the node's file rewrites to (rke up may rotate certs).
        Ok(Self::fetch_rewritten(ctx).is_ok_and(|want| want == have))
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        let text = Self::fetch_rewritten(ctx)?;
        let path = layout::of(ctx.cluster_dir).kubeconfig();
        crate::fsutil::write_atomic(&path, text.as_bytes(), Some(0o600))?;
        (ctx.log)(&format!(
            "wrote {} (context {}); `mlk kubeconfig --merge` adds it to ~/.kube/config",
            path.display(),
            crate::kubeconfig::context_name(&ctx.profile.name)
        ));
        Ok(())
    }
}
