//! One stage on one node: record `running`, run `check`, then `run` if needed, record the end.
//!
//! Transient SSH faults reconnect and start the stage over from `check` (stages are
//! idempotent), within the retry budget. A command that exits non-zero is retried only when
//! the stage says so (custom stages with `retry: true`).
use super::Ctx;
use super::failure::NodeFailure;
use super::retry::Backoff;
use crate::layout::node::{DIR as NODE_DIR, path as node_path};
use crate::plan::stages::{Snippets, Stage};
use crate::quote::shell;
use crate::remote::TAIL_LINES;
use crate::remote::{ExecOutput, RemoteError, Runner};
use crate::state::{Record, Status, now};
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

/// Connection losses one stage on one node survives; each gets the whole retry budget.
const MAX_OUTAGES: u32 = 20;

/// How a stage ended on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `check` passed: nothing to do.
    AlreadyInPlace,
    Ran,
}

/// What a node stage runs: a rendered script, or a profile's snippets.
#[derive(Clone, Copy)]
pub enum Job<'a> {
    /// The script's path in the render folder.
    Script(&'a str),
    Custom(&'a Snippets),
}

impl Job<'_> {
    /// The remote commands: (check, run, timeout, retry-safe).
    fn commands(self, stage: &str, node: &str) -> (Option<String>, String, Option<Duration>, bool) {
        match self {
            Job::Script(script) => {
                let path = node_path(script);
                (
                    Some(format!("bash {} check", shell(&path))),
                    format!("bash {} run", shell(&path)),
                    None,
                    false,
                )
            }
            Job::Custom(c) => {
                // Env vars let snippets know where they run; `bash -c` keeps the snippet verbatim.
                let wrap = |snippet: &str| {
                    format!(
                        "MLK_STAGE={} MLK_NODE={} bash -c {}",
                        shell(stage),
                        shell(node),
                        shell(snippet)
                    )
                };
                (
                    c.check.as_deref().map(wrap),
                    wrap(&c.run),
                    c.timeout.map(Duration::from_secs),
                    c.retry,
                )
            }
        }
    }
}

enum Step {
    Done(Outcome),
    /// SSH fault: reconnect and start over.
    Transient(RemoteError),
    Fail(NodeFailure),
    /// Non-zero exit of a retry-safe stage.
    RetryableExit(NodeFailure),
}

/// Runs `stage` on `node` and records the result. `hash` is the stage's input hash.
pub fn run(
    ctx: &Ctx,
    stage: &Stage,
    job: Job,
    node: &str,
    hash: &str,
) -> Result<Outcome, Box<NodeFailure>> {
    let started = now();
    let record = |status, message: Option<String>, ended: bool| Record {
        status,
        started: Some(started.clone()),
        ended: ended.then(now),
        input_hash: hash.to_string(),
        message,
    };
    let fail = |f: NodeFailure| {
        let _ = ctx.state.set(
            stage.id.as_str(),
            node,
            record(Status::Failed, Some(f.reason.clone()), true),
        );
        ctx.progress.node_state(stage.id.as_str(), node, "failed");
        Box::new(f)
    };
    if let Err(e) = ctx.state.set(
        stage.id.as_str(),
        node,
        record(Status::Running, None, false),
    ) {
        return Err(fail(plain_failure(stage, node, format!("{e:#}"), false)));
    }
    // One backoff for the whole stage: its budget runs from a fault until the reconnection.
    let mut backoff = Backoff::new(ctx.retry);
    loop {
        match attempt(ctx, stage, job, node, &mut backoff) {
            Step::Done(outcome) => {
                let msg = match outcome {
                    Outcome::AlreadyInPlace => "check passed; run skipped",
                    Outcome::Ran => "ran",
                };
                if let Err(e) = ctx.state.set(
                    stage.id.as_str(),
                    node,
                    record(Status::Done, Some(msg.into()), true),
                ) {
                    return Err(fail(plain_failure(stage, node, format!("{e:#}"), false)));
                }
                ctx.progress.node_state(stage.id.as_str(), node, "done");
                return Ok(outcome);
            }
            Step::Fail(f) => return Err(fail(f)),
            Step::Transient(e) => {
                ctx.pool.reset(node);
                // A budget per outage must not let a flapping node loop forever.
                if backoff.outages() >= MAX_OUTAGES {
                    return Err(fail(plain_failure(
                        stage,
                        node,
                        format!(
                            "SSH kept failing; the connection was lost {} times in this stage: {e}",
                            backoff.outages() + 1
                        ),
                        true,
                    )));
                }
                ctx.progress
                    .node_state(stage.id.as_str(), node, "reconnecting");
                ctx.progress.log_line(
                    node,
                    stage.id.as_str(),
                    &format!("transient SSH fault, will retry: {e}"),
                );
                if !backoff.wait() {
                    return Err(fail(plain_failure(
                        stage,
                        node,
                        format!(
                            "SSH kept failing; gave up after {} retries within the {}s retry budget (counted from the fault): {e}",
                            backoff.attempts,
                            ctx.retry.budget.as_secs()
                        ),
                        true,
                    )));
                }
            }
            Step::RetryableExit(f) => {
                ctx.progress.log_line(
                    node,
                    stage.id.as_str(),
                    &format!("{}; the stage allows retries", f.reason),
                );
                if !backoff.wait() {
                    let mut f = f;
                    f.reason = format!(
                        "{} (after {} retries within the {}s retry budget)",
                        f.reason,
                        backoff.attempts,
                        ctx.retry.budget.as_secs()
                    );
                    return Err(fail(f));
                }
            }
        }
    }
}

fn plain_failure(stage: &Stage, node: &str, reason: String, connection: bool) -> NodeFailure {
    NodeFailure {
        node: node.to_string(),
        stage: stage.id.to_string(),
        reason,
        command: None,
        exit_status: None,
        tail: vec![],
        connection,
    }
}

/// One try: connect, upload what the stage needs, check, run.
fn attempt(ctx: &Ctx, stage: &Stage, job: Job, node: &str, backoff: &mut Backoff) -> Step {
    let on_retry = |e: &RemoteError| {
        ctx.progress
            .node_state(stage.id.as_str(), node, "connecting (retry)");
        ctx.progress.log_line(
            node,
            stage.id.as_str(),
            &format!("connect failed, will retry: {e}"),
        );
    };
    ctx.progress
        .node_state(stage.id.as_str(), node, "connecting");
    let runner = match ctx.pool.runner_with(node, backoff, &on_retry) {
        Ok(r) => r,
        // The pool already retried transient faults for the rest of the outage's budget.
        Err(e) => return Step::Fail(plain_failure(stage, node, e.to_string(), true)),
    };
    if matches!(job, Job::Script(_))
        && let Err(e) = ensure_bundle(ctx, runner.as_ref(), stage, node)
    {
        return remote_step(stage, node, e, None);
    }
    let (check, run, timeout, retry_safe) = job.commands(stage.id.as_str(), node);
    if let Some(check) = check {
        ctx.progress.node_state(stage.id.as_str(), node, "checking");
        match exec(ctx, runner.as_ref(), stage, node, &check, timeout) {
            Ok(out) if out.status == 0 => return Step::Done(Outcome::AlreadyInPlace),
            Ok(_) => {}
            Err(e) => return remote_step(stage, node, e, Some(check)),
        }
    }
    ctx.progress.node_state(stage.id.as_str(), node, "running");
    match exec(ctx, runner.as_ref(), stage, node, &run, timeout) {
        Ok(out) if out.status == 0 => Step::Done(Outcome::Ran),
        Ok(out) => {
            let f = NodeFailure {
                node: node.to_string(),
                stage: stage.id.to_string(),
                reason: format!("the command exited with status {}", out.status),
                command: Some(run),
                exit_status: Some(out.status),
                tail: out.tail,
                connection: false,
            };
            if retry_safe {
                Step::RetryableExit(f)
            } else {
                Step::Fail(f)
            }
        }
        Err(e) => remote_step(stage, node, e, Some(run)),
    }
}

fn remote_step(stage: &Stage, node: &str, e: RemoteError, command: Option<String>) -> Step {
    if e.is_transient() {
        return Step::Transient(e);
    }
    // A timed-out command is the command's fault, not the connection's: keep its output.
    let (tail, connection) = match &e {
        RemoteError::Timeout { tail, .. } => (tail.clone(), false),
        _ => (vec![], true),
    };
    Step::Fail(NodeFailure {
        node: node.to_string(),
        stage: stage.id.to_string(),
        reason: e.to_string(),
        command,
        exit_status: None,
        tail,
        connection,
    })
}

/// Runs `cmd`, sending every output line to the log and keeping the last lines.
fn exec(
    ctx: &Ctx,
    runner: &dyn Runner,
    stage: &Stage,
    node: &str,
    cmd: &str,
    timeout: Option<Duration>,
) -> Result<ExecOutput, RemoteError> {
    ctx.progress
        .log_line(node, stage.id.as_str(), &format!("$ {cmd}"));
    let mut tail: VecDeque<String> = VecDeque::new();
    let mut on_line = |line: &str| {
        ctx.progress.log_line(node, stage.id.as_str(), line);
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line.to_string());
    };
    let mut out = runner.exec(cmd, timeout, &mut on_line)?;
    // Prefer our own tail (every line), falling back to the runner's.
    if !tail.is_empty() {
        out.tail = tail.into_iter().collect();
    }
    if out.tail.len() > TAIL_LINES {
        out.tail = out.tail.split_off(out.tail.len() - TAIL_LINES);
    }
    Ok(out)
}

/// Uploads the rendered files to the node once per run (again after a reconnect).
pub fn ensure_bundle(
    ctx: &Ctx,
    runner: &dyn Runner,
    stage: &Stage,
    node: &str,
) -> Result<(), RemoteError> {
    if ctx.pool.is_uploaded(node) {
        return Ok(());
    }
    upload_bundle(ctx, runner, stage, node)
}

/// Puts the rendered files (all but the Vagrantfile) under /opt/mlk on the node.
///
/// /opt/mlk is made by `sudo` and handed to the login user first, so every later upload and
/// stage script works without sudo; os-prep does the same for bin/ and secrets/.
fn upload_bundle(
    ctx: &Ctx,
    runner: &dyn Runner,
    stage: &Stage,
    node: &str,
) -> Result<(), RemoteError> {
    let files: Vec<(&String, &String)> = ctx
        .rendered
        .iter()
        .filter(|(p, _)| p.as_str() != "Vagrantfile")
        .collect();
    let dirs: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| p.rsplit_once('/').map(|(d, _)| node_path(d)))
        .collect();
    let mut prep = format!(
        "sudo mkdir -p {d} && sudo chown \"$(id -un)\" {d}",
        d = shell(NODE_DIR)
    );
    for d in &dirs {
        prep.push_str(&format!(" && mkdir -p {}", shell(d)));
    }
    ctx.progress
        .node_state(stage.id.as_str(), node, "uploading");
    let out = exec(
        ctx,
        runner,
        stage,
        node,
        &prep,
        Some(Duration::from_secs(60)),
    )?;
    if out.status != 0 {
        return Err(RemoteError::Fatal {
            node: node.to_string(),
            message: format!(
                "preparing {NODE_DIR} failed (status {}): {prep}: {}",
                out.status,
                out.tail.join(" / ")
            ),
        });
    }
    for (rel, text) in files {
        let mode = if rel.ends_with(".sh") { 0o755 } else { 0o644 };
        runner.upload(text.as_bytes(), &node_path(rel), mode)?;
    }
    ctx.pool.mark_uploaded(node);
    Ok(())
}
