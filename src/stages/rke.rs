//! Host stage `rke-up` (RKE1-specific): runs the rendered `stages/rke-up.sh` on the first
//! controlplane node, and keeps `cluster.rkestate` safe around it.
//!
//! Losing cluster.rkestate breaks the cluster (it holds the cluster's CA and certificates),
//! so: before a run the host's copy is restored to a node that lacks it (a rebuilt node1), and
//! after every run, failed or not, the node's copy is saved 0600 in the cluster folder.
//! rke on node1 reaches every node over SSH with a key made on node1; its public half is added
//! to each node's authorized_keys. Another distribution (RKE2, k3s) would get its own stage.
use super::{HostCtx, HostStage};
use crate::catalogue::StageId;
use crate::executor::failure::remote_exit;
use crate::layout::{self, RKE_STATE, node};
use crate::remote::Runner;
use anyhow::{Context, Result, bail};

/// The stage's script in the render folder (and, under the node folder, on the node).
fn script() -> String {
    StageId::RkeUp.script_path()
}

fn exec_ok(r: &dyn Runner, cmd: &str, out: &mut Vec<String>) -> Result<bool> {
    let res = r
        .exec(cmd, None, &mut |l| out.push(l.to_string()))
        .map_err(anyhow::Error::from)?;
    Ok(res.status == 0)
}

/// `cmd` on `r`, its output lines; a non-zero exit is a remote failure with that output
/// (shared by the RKE2 stage).
pub(super) fn must(r: &dyn Runner, cmd: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let res = r
        .exec(cmd, None, &mut |l| out.push(l.to_string()))
        .map_err(anyhow::Error::from)?;
    if res.status != 0 {
        return Err(remote_exit(r.node(), cmd, res.status, &out, ""));
    }
    Ok(out)
}

/// Puts the files rke-up needs on node1 (the bundle upload may not have run in this session).
fn upload_inputs(ctx: &HostCtx, r: &dyn Runner) -> Result<()> {
    must(r, &format!("mkdir -p {}", node::path("stages")))?;
    for (rel, mode) in [("cluster.yml".to_string(), 0o644), (script(), 0o755)] {
        let text = ctx
            .rendered
            .get(&rel)
            .with_context(|| format!("{rel} was not rendered"))?;
        r.upload(text.as_bytes(), &node::path(&rel), mode)
            .map_err(anyhow::Error::from)?;
    }
    Ok(())
}

/// Makes node1's SSH key for rke and authorizes it on every node.
fn authorize_key(ctx: &HostCtx, first: &dyn Runner) -> Result<()> {
    let (dir, key) = (node::ssh_dir(), node::ssh_key());
    must(
        first,
        &format!(
            "mkdir -p {dir} && chmod 700 {dir} && \
             {{ [ -f {key} ] || ssh-keygen -q -t ed25519 -N '' -C mlk-rke -f {key}; }}"
        ),
    )?;
    let pubkey = must(first, &format!("cat {key}.pub"))?
        .into_iter()
        .find(|l| l.starts_with("ssh-ed25519 "))
        .context("node1 has no ed25519 public key for rke")?;
    let q = crate::quote::shell(&pubkey);
    let cmd = format!(
        "h=$(getent passwd {} | cut -d: -f6) && mkdir -p \"$h/.ssh\" && chmod 700 \"$h/.ssh\" && \
         touch \"$h/.ssh/authorized_keys\" && chmod 600 \"$h/.ssh/authorized_keys\" && \
         {{ grep -qxF {q} \"$h/.ssh/authorized_keys\" || echo {q} >> \"$h/.ssh/authorized_keys\"; }}",
        node::USER
    );
    for r in ctx.runners.values() {
        must(r.as_ref(), &cmd)?;
    }
    Ok(())
}

/// Saves node1's cluster.rkestate and kubeconfig into the cluster folder, 0600.
fn save_state(ctx: &HostCtx, r: &dyn Runner) -> Result<bool> {
    let mut out = Vec::new();
    if !exec_ok(r, &format!("test -s {}", node::path(RKE_STATE)), &mut out)? {
        return Ok(false);
    }
    let data = r
        .download(&node::path(RKE_STATE))
        .map_err(anyhow::Error::from)?;
    crate::fsutil::write_atomic(&layout::of(ctx.cluster_dir).rke_state(), &data, Some(0o600))?;
    Ok(true)
}

pub struct RkeUp;

impl RkeUp {
    fn first<'a>(ctx: &'a HostCtx) -> Result<&'a dyn Runner> {
        let n = &ctx.profile.first_controlplane().name;
        ctx.runners
            .get(n)
            .map(|r| r.as_ref())
            .with_context(|| format!("no connection to node {n}"))
    }
}

impl HostStage for RkeUp {
    fn check(&self, ctx: &HostCtx) -> Result<bool> {
        let r = Self::first(ctx)?;
        let Ok(host) = std::fs::read(layout::of(ctx.cluster_dir).rke_state()) else {
            return Ok(false);
        };
        let mut out = Vec::new();
        if !exec_ok(r, &format!("test -f {}", node::path(&script())), &mut out)?
            || !exec_ok(
                r,
                &format!("bash {} check", node::path(&script())),
                &mut out,
            )?
        {
            return Ok(false);
        }
        // Done only when the host holds the state the cluster runs with.
        let node = r
            .download(&node::path(RKE_STATE))
            .map_err(anyhow::Error::from)?;
        // ... and every node registered with its own address (node_ips, issue 10 #12).
        Ok(node == host && super::node_ips::check(ctx).is_ok_and(|bad| bad.is_empty()))
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        let r = Self::first(ctx)?;
        upload_inputs(ctx, r)?;
        authorize_key(ctx, r)?;
        let host_state = layout::of(ctx.cluster_dir).rke_state();
        let mut out = Vec::new();
        if host_state.exists()
            && !exec_ok(r, &format!("test -s {}", node::path(RKE_STATE)), &mut out)?
        {
            let data = std::fs::read(&host_state)
                .with_context(|| format!("reading {}", host_state.display()))?;
            r.upload(&data, &node::path(RKE_STATE), 0o600)
                .map_err(anyhow::Error::from)?;
            (ctx.log)(&format!(
                "restored {} to {}",
                host_state.display(),
                r.node()
            ));
        }
        let cmd = format!("bash {} run", node::path(&script()));
        let res = r.exec(&cmd, None, &mut |l| (ctx.log)(l));
        // Save the state whatever happened: a half-finished rke up has written it too.
        let saved = save_state(ctx, r);
        let res = res.map_err(anyhow::Error::from)?;
        if res.status != 0 {
            let note = match &saved {
                Ok(true) => format!(" ({} saved)", host_state.display()),
                _ => String::new(),
            };
            return Err(remote_exit(r.node(), &cmd, res.status, &res.tail, &note));
        }
        if !saved? {
            bail!("rke up succeeded but left no {}", node::path(RKE_STATE));
        }
        (ctx.log)(&format!("saved {} (0600)", host_state.display()));
        super::node_ips::verify(ctx)
    }
}
