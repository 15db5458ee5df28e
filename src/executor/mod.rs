//! The executor: walks the plan's stages in order, each on its nodes concurrently, recording
//! every step in the cluster state so that a later run resumes where this one stopped.
//!
//! The plan is data (`crate::plan`); this is a plain loop over it. A stage is skipped when it
//! is recorded done with unchanged input hash; otherwise its `check` decides whether `run`
//! is needed.
pub mod failure;
pub mod hash;
mod host;
mod node;
pub mod pool;
pub mod retry;
pub mod select;
pub mod signal;

use crate::exit::{Class, classify, tag};
use crate::inventory::Endpoint;
use crate::plan::stages::Stage;
use crate::profile::Profile;
use crate::progress::Progress;
use crate::provider::Provider;
use crate::render::Rendered;
use crate::state::{HOST, Record, Status, Store, now};
use anyhow::Result;
use pool::Pool;
use retry::RetryPolicy;
use std::path::Path;

/// Everything a run works with.
pub struct Ctx<'a> {
    pub profile: &'a Profile,
    pub rendered: &'a Rendered,
    pub cluster_dir: &'a Path,
    pub provider: &'a dyn Provider,
    pub pool: Pool<'a>,
    pub state: &'a Store,
    pub progress: &'a Progress,
    pub retry: RetryPolicy,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    pub total: usize,
    /// Stages that ran (or whose check found the work in place).
    pub ran: Vec<String>,
    /// Stages skipped because they were recorded done with the same inputs.
    pub already_done: Vec<String>,
    /// Stages skipped for another reason, with it (e.g. not implemented in this build).
    pub skipped: Vec<(String, String)>,
}

/// Runs the stages at `selected` (indexes into `stages`, in plan order).
pub fn execute(ctx: &Ctx, stages: &[Stage], selected: &[usize]) -> Result<Summary> {
    let total = selected.len();
    let mut sum = Summary {
        total,
        ..Summary::default()
    };
    for (k, &i) in selected.iter().enumerate() {
        let stage = &stages[i];
        let index = k + 1;
        let hash = hash::input_hash(stage, ctx.profile, ctx.rendered);
        let targets: Vec<String> = if stage.nodes.is_empty() {
            vec![HOST.to_string()]
        } else {
            stage.nodes.clone()
        };
        ctx.progress.stage_start(index, total, &stage.id, &targets);
        let pending: Vec<&String> = targets
            .iter()
            .filter(|n| !ctx.state.is_done(&stage.id, n, &hash))
            .collect();
        if pending.is_empty() {
            ctx.progress
                .stage_end(index, total, &stage.id, "skipped", "already done");
            sum.already_done.push(stage.id.clone());
            continue;
        }
        for n in &targets {
            if !pending.contains(&n) {
                ctx.progress.node_state(&stage.id, n, "already done");
            }
        }
        if stage.nodes.is_empty() {
            match run_host(ctx, stage, &hash) {
                Ok(host::HostOutcome::Done(reason)) => {
                    ctx.progress
                        .stage_end(index, total, &stage.id, "done", &reason);
                    sum.ran.push(stage.id.clone());
                }
                Ok(host::HostOutcome::Skipped(reason)) => {
                    ctx.progress
                        .stage_end(index, total, &stage.id, "skipped", &reason);
                    sum.skipped.push((stage.id.clone(), reason));
                }
                Err(e) => {
                    let msg = format!("stage `{}` failed on the host: {e:#}", stage.id);
                    let f = serde_json::json!({"node": HOST, "stage": stage.id, "reason": msg});
                    ctx.progress.stage_failed(index, total, &stage.id, vec![f]);
                    let class = crate::exit::class_of(&e);
                    return Err(classify(class, msg));
                }
            }
            continue;
        }
        ensure_endpoints(ctx)?;
        let results: Vec<Result<node::Outcome, Box<failure::NodeFailure>>> =
            std::thread::scope(|s| {
                let handles: Vec<_> = pending
                    .iter()
                    .map(|n| s.spawn(|| node::run(ctx, stage, n, &hash)))
                    .collect();
                handles
                    .into_iter()
                    .zip(&pending)
                    .map(|(h, n)| {
                        h.join().unwrap_or_else(|_| {
                            Err(Box::new(failure::NodeFailure {
                                node: n.to_string(),
                                stage: stage.id.clone(),
                                reason: "internal error: the node's worker thread panicked".into(),
                                command: None,
                                exit_status: None,
                                tail: vec![],
                                connection: false,
                            }))
                        })
                    })
                    .collect()
            });
        let failures: Vec<Box<failure::NodeFailure>> =
            results.iter().filter_map(|r| r.clone().err()).collect();
        if !failures.is_empty() {
            ctx.progress.stage_failed(
                index,
                total,
                &stage.id,
                failures.iter().map(|f| f.to_json()).collect(),
            );
            let text: Vec<String> = failures.iter().map(|f| f.to_text()).collect();
            return Err(classify(Class::Remote, text.join("\n")));
        }
        let in_place = results
            .iter()
            .filter(|r| matches!(r, Ok(node::Outcome::AlreadyInPlace)))
            .count();
        let reason = if in_place == pending.len() {
            "check found it in place".to_string()
        } else {
            format!("ran on {} node(s)", pending.len() - in_place)
        };
        ctx.progress
            .stage_end(index, total, &stage.id, "done", &reason);
        sum.ran.push(stage.id.clone());
    }
    Ok(sum)
}

/// A host stage with its state records around it.
fn run_host(ctx: &Ctx, stage: &Stage, hash: &str) -> Result<host::HostOutcome> {
    let started = now();
    let rec = |status, message: Option<String>, ended: bool| Record {
        status,
        started: Some(started.clone()),
        ended: ended.then(now),
        input_hash: hash.to_string(),
        message,
    };
    ctx.state
        .set(&stage.id, HOST, rec(Status::Running, None, false))?;
    ctx.progress.node_state(&stage.id, HOST, "running");
    match host::run(ctx, stage) {
        Ok(host::HostOutcome::Done(m)) => {
            ctx.state
                .set(&stage.id, HOST, rec(Status::Done, Some(m.clone()), true))?;
            Ok(host::HostOutcome::Done(m))
        }
        Ok(host::HostOutcome::Skipped(m)) => {
            ctx.state
                .set(&stage.id, HOST, rec(Status::Skipped, Some(m.clone()), true))?;
            Ok(host::HostOutcome::Skipped(m))
        }
        Err(e) => {
            let _ = ctx.state.set(
                &stage.id,
                HOST,
                rec(Status::Failed, Some(format!("{e:#}")), true),
            );
            Err(e)
        }
    }
}

/// Asks the provider where the nodes are, when the `machines` stage did not run this time.
pub fn ensure_endpoints(ctx: &Ctx) -> Result<()> {
    if ctx.pool.has_endpoints() {
        return Ok(());
    }
    let eps = ctx.provider.endpoints().map_err(|e| {
        tag(
            Class::Provider,
            format!("provider {}", ctx.provider.name()),
            e,
        )
    })?;
    check_endpoints(ctx, &eps)?;
    ctx.pool.set_endpoints(eps);
    Ok(())
}

/// Every profile node must have an endpoint.
pub fn check_endpoints(ctx: &Ctx, eps: &[Endpoint]) -> Result<()> {
    let missing: Vec<&str> = ctx
        .profile
        .nodes
        .iter()
        .map(|n| n.name.as_str())
        .filter(|n| !eps.iter().any(|e| e.name == *n))
        .collect();
    if !missing.is_empty() {
        return Err(classify(
            Class::Provider,
            format!(
                "provider {} has no SSH endpoint for node(s) {}",
                ctx.provider.name(),
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}
