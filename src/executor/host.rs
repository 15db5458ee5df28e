//! Stages that run on the host: `machines` (the provider), host work from `crate::stages`,
//! and custom stages with `target: host`.
use super::Ctx;
use crate::catalogue::HostWork;
use crate::exit::{Class, classify, tag};
use crate::plan::stages::{Snippets, Stage};
use crate::provider::addresses::Addresses;
use crate::remote::Runner;
use crate::stages::HostCtx;
use crate::state::HOST;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `machines`: the provider brings the machines up; the pool learns where they are. Returns
/// the addresses the provider learned too (Hyper-V's).
pub fn machines(ctx: &Ctx, stage: &Stage) -> Result<(String, Addresses)> {
    let id = stage.id.as_str();
    // The provider's output is the host's state on the progress line, so a long step (a box
    // download, a VM booting) is visible, not only in mlk.log.
    let mut log = |l: &str| {
        ctx.progress.log_line(HOST, id, l);
        ctx.progress
            .node_state(id, HOST, &short(&ctx.progress.redact(l)));
    };
    let mut note = |l: &str| ctx.progress.note(id, l);
    ctx.progress.node_state(id, HOST, "prepare");
    ctx.provider.prepare(&mut note, &mut log).map_err(|e| {
        tag(
            Class::Provider,
            format!("provider {}", ctx.provider.name()),
            e,
        )
    })?;
    ctx.progress.node_state(id, HOST, "provider up");
    let up = ctx.provider.up(&mut log).map_err(|e| {
        tag(
            Class::Provider,
            format!("provider {}", ctx.provider.name()),
            e,
        )
    })?;
    super::check_endpoints(ctx, &up.endpoints)?;
    let n = up.endpoints.len();
    ctx.pool.set_endpoints(up.endpoints);
    Ok((format!("{n} machine(s) up"), up.learned))
}

/// One output line as a progress-line state: printable, at most 72 characters.
fn short(line: &str) -> String {
    let line = crate::text::printable(line.lines().next().unwrap_or("").trim());
    if line.chars().count() <= 72 {
        return line;
    }
    let cut: String = line.chars().take(71).collect();
    format!("{cut}…")
}

/// Host work (`crate::stages`): its check, then its run when the check fails.
pub fn work(ctx: &Ctx, stage: &Stage, w: HostWork) -> Result<String> {
    let id = stage.id.as_str();
    let h = crate::stages::host_stage(w);
    let runners = all_runners(ctx, stage)?;
    let log = |l: &str| ctx.progress.log_line(HOST, id, l);
    let hctx = HostCtx {
        profile: ctx.profile,
        stages: &ctx.plan.stages,
        cluster_dir: ctx.cluster_dir,
        rendered: ctx.rendered,
        runners: &runners,
        log: &log,
    };
    ctx.progress.node_state(id, HOST, "checking");
    if h.check(&hctx)? {
        return Ok("check passed; run skipped".into());
    }
    ctx.progress.node_state(id, HOST, "running");
    h.run(&hctx)?;
    Ok("ran".into())
}

/// A profile's stage with `target: host`: its snippets with bash on this machine.
pub fn custom(ctx: &Ctx, stage: &Stage, c: &Snippets) -> Result<String> {
    let id = stage.id.as_str();
    // Windows without Git for Windows has no bash: refuse before running anything.
    crate::platform::shell::find(
        crate::platform::shell::Shell::Bash,
        &format!("stage `{id}` (target: host)"),
    )
    .map_err(|m| classify(Class::Preflight, m))?;
    let limit = |snippet: &str| match c.timeout {
        Some(t) => format!("timeout {t} bash -c {}", crate::quote::shell(snippet)),
        None => snippet.to_string(),
    };
    let (run, check) = (&limit(&c.run), c.check.as_deref().map(limit));
    if let Some(check) = &check {
        ctx.progress.node_state(id, HOST, "checking");
        if local(ctx, stage, check)?.0 == 0 {
            return Ok("check passed; run skipped".into());
        }
    }
    ctx.progress.node_state(id, HOST, "running");
    let (status, tail) = local(ctx, stage, run)?;
    if status != 0 {
        let shown = if c.timeout.is_some() {
            run.clone()
        } else {
            format!("bash -c {}", crate::quote::shell(run))
        };
        let mut msg = format!("the command exited with status {status}");
        if c.timeout.is_some() && status == 124 {
            msg.push_str(" (killed by its timeout)");
        }
        msg.push_str(&format!("\n  command (run on this machine):\n    {shown}"));
        if !tail.is_empty() {
            msg.push_str(&format!("\n  last {} lines of output:", tail.len()));
            for l in &tail {
                msg.push_str(&format!("\n    | {l}"));
            }
        }
        return Err(classify(Class::Remote, msg));
    }
    Ok("ran".into())
}

/// Every node's runner, for host stages that work on the nodes (binaries, kubeconfig).
fn all_runners(ctx: &Ctx, stage: &Stage) -> Result<BTreeMap<String, Arc<dyn Runner>>> {
    super::ensure_endpoints(ctx)?;
    let mut m = BTreeMap::new();
    for n in &ctx.profile.nodes {
        let r = ctx
            .pool
            .runner(&n.name, &|e| {
                ctx.progress
                    .log_line(&n.name, stage.id.as_str(), &format!("connect retry: {e}"))
            })
            .map_err(|e| tag(Class::Remote, format!("stage `{}`", stage.id), e))?;
        // Host stages drive the nodes with the rendered files (rke-up uses cluster.yml), and
        // this run may have skipped every script stage that would have uploaded them.
        super::node::ensure_bundle(ctx, r.as_ref(), stage, &n.name)
            .map_err(|e| tag(Class::Remote, format!("stage `{}`", stage.id), e))?;
        m.insert(n.name.clone(), r);
    }
    Ok(m)
}

/// Runs a snippet with bash on the host runner, logging its output; returns status and tail.
fn local(ctx: &Ctx, stage: &Stage, snippet: &str) -> Result<(i32, Vec<String>)> {
    let id = stage.id.as_str();
    ctx.progress.log_line(
        HOST,
        id,
        &format!("$ bash -c {}", crate::quote::shell(snippet)),
    );
    // As on the nodes: env vars say where the snippet runs; `bash -c` keeps it verbatim.
    let cmd = format!(
        "MLK_STAGE={} MLK_NODE={HOST} bash -c {}",
        crate::quote::shell(id),
        crate::quote::shell(snippet)
    );
    let out = ctx
        .host
        .exec(&cmd, None, &mut |line| {
            ctx.progress.log_line(HOST, id, line)
        })
        .context("running a host stage's command")?;
    Ok((out.status, out.tail))
}
