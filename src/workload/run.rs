//! Runs a workload and keeps its run record up to date: `running` before anything is done;
//! then the nodes are prepared (dataset, image), an idle baseline is measured, the manifests
//! are applied and watched; finally the pods' container times (the window) and logs are
//! collected, the run's objects are deleted, and the record says `succeeded` or `failed`.
use super::status::{self, JobState};
use super::{Manifest, RUN_LABEL, Target, kube, prepare, window};
use crate::exit::{Class, classify};
use crate::remote::Runner;
use crate::report::time;
use crate::runs::{self, Outcome, PodRecord, RunRecord, Window};
use crate::stages::binaries::Runners;
use crate::stages::cache::Cache;
use anyhow::Result;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Options {
    /// Time between two status polls.
    pub poll: Duration,
    /// Give up (and record the run as failed) after this long.
    pub timeout: Duration,
    /// Length of the idle window measured before the workload is applied (zero: none).
    pub baseline: Duration,
}

/// The nodes a run uses: kubectl runs on `control`; `all` are prepared.
pub struct Nodes<'a> {
    pub control: &'a dyn Runner,
    pub all: &'a Runners,
    /// Where the dataset is downloaded to once (needed when the manifest wants a dataset).
    pub cache: Option<&'a Cache>,
}

fn exec(r: &dyn Runner, cmd: &str, out: &mut Vec<String>) -> Result<i32> {
    let o = r
        .exec(cmd, Some(Duration::from_secs(120)), &mut |l| {
            out.push(l.to_string())
        })
        .map_err(|e| classify(Class::Remote, e.to_string()))?;
    Ok(o.status)
}

fn finish(dir: &Path, rec: &mut RunRecord, outcome: Outcome) -> Result<()> {
    rec.end = Some(time::rfc3339(time::now()));
    rec.outcome = outcome;
    runs::save(dir, rec)
}

/// Records the run as failed and returns the error (`class`, `why`).
fn fail(dir: &Path, rec: &mut RunRecord, class: Class, why: String) -> anyhow::Error {
    if let Err(e) = finish(dir, rec, Outcome::Failed) {
        return e;
    }
    classify(
        class,
        format!(
            "run {} failed: {why}; recorded in {}",
            rec.name,
            runs::path(dir, &rec.name).display()
        ),
    )
}

/// The node's clock in epoch seconds.
pub fn node_clock(r: &dyn Runner) -> Result<i64> {
    let mut lines = Vec::new();
    let st = exec(r, kube::node_clock(), &mut lines)?;
    lines
        .iter()
        .find_map(|l| l.trim().parse().ok())
        .filter(|_| st == 0)
        .ok_or_else(|| {
            classify(
                Class::Remote,
                format!("{}: `date -u +%s` answered {lines:?}", r.node()),
            )
        })
}

/// Steps before the window: CRDs exist, dataset and images on every node.
fn prepare_nodes(n: &Nodes, m: &Manifest, say: &mut dyn FnMut(&str)) -> Result<(), String> {
    for crd in &m.crds {
        let mut out = Vec::new();
        match exec(n.control, &kube::crd(crd), &mut out) {
            Ok(0) => {}
            Ok(_) => {
                return Err(format!(
                    "the cluster serves no {crd} (`kubectl get crd {crd}`: {}); Kubeflow manifests v1.11.0 install Trainer v2 (trainer.kubeflow.org), not Training Operator v1 (see docs/measurement.md)",
                    out.join(" / ")
                ));
            }
            Err(e) => return Err(format!("{e:#}")),
        }
    }
    if m.dataset {
        let cache = n.cache.ok_or("no download cache given for the dataset")?;
        prepare::stage_dataset(cache, n.all, &prepare::MNIST, say)
            .map_err(|e| format!("staging the dataset: {e:#}"))?;
    }
    prepare::prepull(n.all, &m.images, say).map_err(|e| format!("pre-pulling: {e:#}"))
}

/// Where the run's targets stand: Ok(true) when every non-serving target succeeded.
fn poll(
    r: &dyn Runner,
    targets: &[Target],
    done: &mut [bool],
    parts: &mut Vec<String>,
) -> Result<bool, String> {
    for (t, d) in targets.iter().zip(done.iter_mut()) {
        let mut lines = Vec::new();
        let st = exec(r, &kube::status(t), &mut lines).map_err(|e| format!("{e:#}"))?;
        let text = lines.join("\n");
        // Not answering right after apply, or the API server is busy: poll again.
        let Some((job, pods)) = status::split(&text).filter(|_| st == 0) else {
            parts.push(format!("{} {}: no answer", t.kind, t.name));
            continue;
        };
        let pods = status::pod_states(pods).map_err(|e| format!("{} pods: {e}", t.name))?;
        if let Some(p) = pods.iter().find_map(|p| Some((&p.name, p.fatal.as_ref()?))) {
            return Err(format!("{} {}: pod {}: {}", t.kind, t.name, p.0, p.1));
        }
        match status::job_state(job).map_err(|e| format!("{} {}: {e}", t.kind, t.name))? {
            JobState::Failed(why) => return Err(format!("{} {}: {why}", t.kind, t.name)),
            JobState::Succeeded if !t.serves => *d = true,
            JobState::Succeeded => {
                return Err(format!(
                    "{} {} ({}) ended while it should serve",
                    t.kind, t.name, t.role
                ));
            }
            JobState::Running => {}
        }
        if !*d {
            parts.push(status::progress(&t.kind, &t.name, &pods));
        }
    }
    Ok(targets.iter().zip(done.iter()).all(|(t, d)| t.serves || *d))
}

/// (namespace, selector) groups whose pods belong to the run.
fn pod_groups(m: &Manifest) -> Vec<(String, String)> {
    match &m.cleanup {
        Some(c) => vec![c.clone()],
        None => {
            let mut v: Vec<(String, String)> = m
                .targets
                .iter()
                .map(|t| (t.namespace.clone(), t.pods.clone()))
                .collect();
            v.dedup();
            v
        }
    }
}

/// A pod's role and whether it serves, from the labels the built-in manifests set.
fn role_of(labels: &serde_json::Value) -> (String, bool) {
    let task = labels["mlk.io/task"].as_str().unwrap_or("");
    let role = task.rsplit_once('-').map_or(task, |(r, _)| r).to_string();
    (role, labels["mlk.io/serve"] == "true")
}

fn collect_pods(r: &dyn Runner, groups: &[(String, String)]) -> Result<Vec<PodRecord>, String> {
    let mut all = Vec::new();
    for (ns, sel) in groups {
        let mut lines = Vec::new();
        let st = exec(r, &kube::pods(ns, sel), &mut lines).map_err(|e| format!("{e:#}"))?;
        if st != 0 {
            return Err(format!("kubectl get pods -l {sel}: exit {st}"));
        }
        all.extend(status::pod_records(&lines.join("\n"), &role_of)?);
    }
    Ok(all)
}

/// Collects the window, the logs, and cleans up; returns the log lines collected.
fn wrap_up(
    n: &Nodes,
    dir: &Path,
    m: &Manifest,
    rec: &mut RunRecord,
    say: &mut dyn FnMut(&str),
) -> Vec<String> {
    let groups = pod_groups(m);
    match collect_pods(n.control, &groups) {
        Ok(pods) => {
            let w = window::training(&pods);
            if let Some(me) = rec.measure.as_mut() {
                me.pods = pods;
                match w {
                    Ok(w) => me.window = Some(w),
                    Err(why) => say(&format!("no training window: {why}")),
                }
            }
        }
        Err(why) => say(&format!("could not read the run's pods: {why}")),
    }
    // Logs before cleanup: deleting the Jobs deletes their pods and logs.
    let mut logs = Vec::new();
    for (ns, sel) in &groups {
        let _ = exec(n.control, &kube::logs(ns, sel), &mut logs);
    }
    let mut text = logs.join("\n");
    text.push('\n');
    let lp = runs::log_path(dir, &rec.name);
    match crate::fsutil::write_atomic(&lp, text.as_bytes(), Some(0o600)) {
        Ok(()) => say(&format!("pod logs saved to {}", lp.display())),
        Err(e) => say(&format!("could not save the pod logs: {e:#}")),
    }
    if let Some((ns, sel)) = &m.cleanup {
        let mut out = Vec::new();
        match exec(n.control, &kube::cleanup(ns, sel), &mut out) {
            Ok(0) => {}
            _ => say(&format!(
                "cleanup of {ns} -l {sel} failed: {}",
                out.join(" / ")
            )),
        }
    }
    logs
}

/// Runs `m` for record `rec` (outcome `running`, start set) on the cluster in `dir`.
/// `say` receives progress lines and, on failure, the pods' last log lines.
pub fn execute(
    n: &Nodes,
    dir: &Path,
    m: &Manifest,
    mut rec: RunRecord,
    o: &Options,
    say: &mut dyn FnMut(&str),
) -> Result<RunRecord> {
    runs::save(dir, &rec)?;
    if let Err(why) = prepare_nodes(n, m, say) {
        return Err(fail(dir, &mut rec, Class::Remote, why));
    }
    if !o.baseline.is_zero() {
        say(&format!(
            "measuring an idle baseline of {}",
            time::human(o.baseline.as_secs() as i64)
        ));
        let clock = |r| node_clock(r).map_err(|e| format!("{e:#}"));
        let (b0, b1) = match clock(n.control).and_then(|b0| {
            std::thread::sleep(o.baseline);
            Ok((b0, clock(n.control)?))
        }) {
            Ok(b) => b,
            Err(why) => return Err(fail(dir, &mut rec, Class::Remote, why)),
        };
        if let Some(me) = rec.measure.as_mut() {
            me.baseline = Some(Window {
                start: time::rfc3339(b0),
                end: time::rfc3339(b1),
                source: "node-clock".into(),
            });
        }
        runs::save(dir, &rec)?;
    }
    let path = kube::manifest_path(&rec.name);
    let mut out = Vec::new();
    let r = n.control;
    let mkdir = format!("mkdir -p {}", crate::layout::node::workloads_dir());
    let applied = exec(r, &mkdir, &mut out)
        .and_then(|_| {
            r.upload(m.yaml.as_bytes(), &path, 0o644)
                .map_err(|e| classify(Class::Remote, e.to_string()))
        })
        .and_then(|_| exec(r, &kube::apply(&path), &mut out));
    match applied {
        Ok(0) => {}
        Ok(status) => {
            let why = format!(
                "kubectl apply failed (exit {status}) on {}: {}",
                r.node(),
                out.join("\n")
            );
            return Err(fail(dir, &mut rec, Class::Remote, why));
        }
        Err(e) => return Err(fail(dir, &mut rec, Class::Remote, format!("{e:#}"))),
    }
    say(&format!(
        "submitted run {} ({} to wait for) on {}",
        rec.name,
        describe(&m.targets),
        r.node()
    ));
    let t0 = Instant::now();
    let mut done = vec![false; m.targets.len()];
    let mut last = String::new();
    let failure = loop {
        let mut parts = Vec::new();
        match poll(r, &m.targets, &mut done, &mut parts) {
            Ok(true) => break None,
            Ok(false) => {}
            Err(why) => break Some(why),
        }
        let line = format!(
            "[{}] {}",
            time::human(t0.elapsed().as_secs() as i64),
            parts.join("; ")
        );
        if line != last {
            say(&line);
            last = line;
        }
        if t0.elapsed() >= o.timeout {
            break Some(format!(
                "still running after {} (--timeout)",
                time::human(o.timeout.as_secs() as i64)
            ));
        }
        std::thread::sleep(o.poll);
    };
    let logs = wrap_up(n, dir, m, &mut rec, say);
    match failure {
        None => {
            finish(dir, &mut rec, Outcome::Succeeded)?;
            say(&format!(
                "run {} succeeded in {}",
                rec.name,
                time::human(t0.elapsed().as_secs() as i64)
            ));
            Ok(rec)
        }
        Some(why) => {
            say("--- pods and their last log lines ---");
            let from = logs.len().saturating_sub(60);
            logs[from..].iter().for_each(|l| say(l));
            Err(fail(dir, &mut rec, Class::Remote, why))
        }
    }
}

fn describe(t: &[Target]) -> String {
    t.iter()
        .map(|t| format!("{} {}/{}", t.kind, t.namespace, t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The label selector of every object of built-in run `run`.
pub fn run_selector(run: &str) -> String {
    format!("{RUN_LABEL}={run}")
}
