//! The executor: walks the plan's stages in order, each on its nodes concurrently, recording
//! every step in the cluster state so that a later run resumes where this one stopped.
//!
//! The plan is data (`crate::plan`); this is a plain loop over it, and one `match` on each
//! stage's action decides how it runs. A stage is skipped when it is recorded done with
//! unchanged input hash; otherwise its `check` decides whether `run` is needed.
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
use crate::plan::Plan;
use crate::plan::stages::Stage;
use crate::plan::stages::{Action, StageName};
use crate::profile::Profile;
use crate::profile::StageTarget;
use crate::progress::Progress;
use crate::provider::Provider;
use crate::provider::addresses::Addresses;
use crate::remote::Runner;
use crate::render::Rendered;
use crate::state::{HOST, Record, Status, Store, now};
use anyhow::Result;
use pool::Pool;
use retry::RetryPolicy;
use std::path::Path;

/// What one `mlk up` runs with, the same for every stage: the plan (built once, from the
/// resolved profile as written: what the machines are made from) and the I/O around it.
pub struct Run<'a> {
    pub plan: &'a Plan,
    /// This machine, where host stages run their commands (`remote::LocalRunner`).
    pub host: &'a dyn Runner,
    pub cluster_dir: &'a Path,
    pub provider: &'a dyn Provider,
    pub pool: Pool<'a>,
    pub state: &'a Store,
    pub progress: &'a Progress,
    pub retry: RetryPolicy,
}

/// What the stages read: the node addresses the provider learned (Hyper-V's; empty
/// elsewhere), the resolved profile with them (`Profile::readdressed`) and the files rendered
/// with them (`render::render`). Built once; changed once at most, when `machines` learns
/// addresses that differ.
pub struct Inputs {
    pub addresses: Addresses,
    pub profile: Profile,
    pub rendered: Rendered,
}

impl Inputs {
    /// Renders the plan with `addresses`.
    pub fn new(plan: &Plan, addresses: Addresses) -> Result<Inputs> {
        Ok(Inputs {
            profile: plan.resolved.readdressed(&addresses),
            rendered: crate::render::render(plan, &addresses)?,
            addresses,
        })
    }

    /// After `machines` learned `learned`: when they differ from these, renders again only
    /// what names node addresses (not the Vagrantfile) and writes the cluster's render folder.
    /// Whether anything changed.
    fn readdress(&mut self, plan: &Plan, learned: Addresses, cluster_dir: &Path) -> Result<bool> {
        if learned.is_empty() || learned == self.addresses {
            return Ok(false);
        }
        crate::render::readdress(plan, &learned, &mut self.rendered)?;
        self.profile = plan.resolved.readdressed(&learned);
        self.addresses = learned;
        crate::render::write_with(
            &crate::layout::of(cluster_dir).rendered(),
            &self.rendered,
            crate::render::Modes::Private,
        )?;
        Ok(true)
    }
}

/// Everything a stage works with: the run's, and the inputs as they are at that stage.
pub struct Ctx<'a> {
    pub plan: &'a Plan,
    pub host: &'a dyn Runner,
    pub profile: &'a Profile,
    pub rendered: &'a Rendered,
    pub cluster_dir: &'a Path,
    pub provider: &'a dyn Provider,
    pub pool: &'a Pool<'a>,
    pub state: &'a Store,
    pub progress: &'a Progress,
    pub retry: RetryPolicy,
}

impl<'a> Run<'a> {
    fn ctx(&'a self, inputs: &'a Inputs) -> Ctx<'a> {
        Ctx {
            plan: self.plan,
            host: self.host,
            profile: &inputs.profile,
            rendered: &inputs.rendered,
            cluster_dir: self.cluster_dir,
            provider: self.provider,
            pool: &self.pool,
            state: self.state,
            progress: self.progress,
            retry: self.retry,
        }
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    pub total: usize,
    /// Stages that ran (or whose check found the work in place).
    pub ran: Vec<StageName>,
    /// Stages skipped because they were recorded done with the same inputs.
    pub already_done: Vec<StageName>,
}

/// Runs the plan's stages at `selected` (indexes into `plan.stages`, in plan order).
pub fn execute(run: &Run, selected: &[usize], mut inputs: Inputs) -> Result<Summary> {
    let stages = &run.plan.stages;
    let total = selected.len();
    let mut sum = Summary {
        total,
        ..Summary::default()
    };
    for (k, &i) in selected.iter().enumerate() {
        let stage = &stages[i];
        let (index, id) = (k + 1, stage.id.as_str());
        let mut learned = None;
        let ended = {
            let ctx = run.ctx(&inputs);
            // The machines are made from the profile as written (so is the Vagrantfile); what
            // runs on them, with the learned addresses.
            let profile = match stage.action {
                Action::Machines => &run.plan.resolved,
                _ => ctx.profile,
            };
            let hash = hash::input_hash(stage, profile, ctx.rendered);
            let targets: Vec<String> = if stage.on_host() {
                vec![HOST.to_string()]
            } else {
                stage.nodes.clone()
            };
            ctx.progress.stage_start(index, total, id, &targets);
            let pending: Vec<&String> = targets
                .iter()
                .filter(|n| !ctx.state.is_done(id, n, &hash))
                .collect();
            if pending.is_empty() {
                ctx.progress
                    .stage_end(index, total, id, "skipped", "already done");
                sum.already_done.push(stage.id.clone());
                continue;
            }
            for n in &targets {
                if !pending.contains(&n) {
                    ctx.progress.node_state(id, n, "already done");
                }
            }
            // The one place that decides how a stage runs: by its action, which says where.
            match &stage.action {
                Action::Machines => on_host(&ctx, stage, &hash, |ctx, stage| {
                    let (done, up) = host::machines(ctx, stage)?;
                    learned = Some(up);
                    Ok(done)
                }),
                Action::Host(work) => on_host(&ctx, stage, &hash, |ctx, stage| {
                    host::work(ctx, stage, *work)
                }),
                Action::Custom {
                    on: StageTarget::Host,
                    snippets,
                } => on_host(&ctx, stage, &hash, |ctx, stage| {
                    host::custom(ctx, stage, snippets)
                }),
                Action::Script { script, .. } => {
                    on_nodes(&ctx, stage, &pending, &hash, node::Job::Script(script))
                }
                Action::Custom { snippets, .. } => {
                    on_nodes(&ctx, stage, &pending, &hash, node::Job::Custom(snippets))
                }
            }
        };
        // Hyper-V ignores static addresses: every later stage sees files rendered with the
        // learned ones (cluster.yml first), uploaded again.
        if let Some(learned) = learned
            && inputs.readdress(run.plan, learned, run.cluster_dir)?
        {
            run.pool.forget_uploads();
        }
        let ctx = run.ctx(&inputs);
        match ended {
            Ok(reason) => {
                ctx.progress.stage_end(index, total, id, "done", &reason);
                sum.ran.push(stage.id.clone());
            }
            Err(Failed::Host(e)) => {
                let msg = format!("stage `{id}` failed on the host: {e:#}");
                let f = serde_json::json!({"node": HOST, "stage": id, "reason": msg});
                ctx.progress.stage_failed(index, total, id, vec![f]);
                return Err(tag(
                    crate::exit::class_of(&e),
                    format!("stage `{id}` failed on the host"),
                    e,
                ));
            }
            Err(Failed::Nodes(failures)) => {
                ctx.progress.stage_failed(
                    index,
                    total,
                    id,
                    failures.iter().map(|f| f.to_json()).collect(),
                );
                let text: Vec<String> = failures.iter().map(|f| f.to_text()).collect();
                return Err(classify(Class::Remote, text.join("\n")));
            }
            Err(Failed::Before(e)) => return Err(e),
        }
    }
    Ok(sum)
}

/// How a stage failed.
enum Failed {
    /// On the host (its error carries the class).
    Host(anyhow::Error),
    /// On one or more nodes.
    Nodes(Vec<failure::NodeFailure>),
    /// Before it could start (no endpoints).
    Before(anyhow::Error),
}

/// A host stage with its state records around it; the reason it is done.
fn on_host(
    ctx: &Ctx,
    stage: &Stage,
    hash: &str,
    run: impl FnOnce(&Ctx, &Stage) -> Result<String>,
) -> Result<String, Failed> {
    let id = stage.id.as_str();
    let started = now();
    let rec = |status, message: Option<String>, ended: bool| Record {
        status,
        started: Some(started.clone()),
        ended: ended.then(now),
        input_hash: hash.to_string(),
        message,
    };
    let record = |status, message, ended| {
        ctx.state
            .set(id, HOST, rec(status, message, ended))
            .map_err(Failed::Host)
    };
    record(Status::Running, None, false)?;
    ctx.progress.node_state(id, HOST, "running");
    match run(ctx, stage) {
        Ok(m) => {
            record(Status::Done, Some(m.clone()), true)?;
            Ok(m)
        }
        Err(e) => {
            let _ = ctx
                .state
                .set(id, HOST, rec(Status::Failed, Some(format!("{e:#}")), true));
            Err(Failed::Host(e))
        }
    }
}

/// A node stage on every pending node at once; the reason it is done.
fn on_nodes(
    ctx: &Ctx,
    stage: &Stage,
    pending: &[&String],
    hash: &str,
    job: node::Job,
) -> Result<String, Failed> {
    ensure_endpoints(ctx).map_err(Failed::Before)?;
    let results: Vec<Result<node::Outcome, Box<failure::NodeFailure>>> = std::thread::scope(|s| {
        let handles: Vec<_> = pending
            .iter()
            .map(|n| s.spawn(|| node::run(ctx, stage, job, n, hash)))
            .collect();
        handles
            .into_iter()
            .zip(pending)
            .map(|(h, n)| {
                h.join().unwrap_or_else(|_| {
                    Err(Box::new(failure::NodeFailure {
                        node: n.to_string(),
                        stage: stage.id.to_string(),
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
    let failures: Vec<failure::NodeFailure> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|f| (**f).clone()))
        .collect();
    if !failures.is_empty() {
        return Err(Failed::Nodes(failures));
    }
    let in_place = results
        .iter()
        .filter(|r| matches!(r, Ok(node::Outcome::AlreadyInPlace)))
        .count();
    Ok(if in_place == pending.len() {
        "check found it in place".to_string()
    } else {
        format!("ran on {} node(s)", pending.len() - in_place)
    })
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
        .plan
        .resolved
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
