//! Submits a workload, waits for it with progress, and keeps the run record up to date:
//! `running` before anything is applied, then `succeeded` or `failed` with its end time.
use super::kube::{self, State};
use super::{Manifest, Target};
use crate::exit::{Class, classify};
use crate::remote::Runner;
use crate::report::time;
use crate::runs::{self, Outcome, RunRecord};
use anyhow::Result;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Options {
    /// Time between two status polls.
    pub poll: Duration,
    /// Give up (and record the run as failed) after this long.
    pub timeout: Duration,
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

/// Runs `m` for record `rec` (outcome `running`, start set) on the cluster in `dir`.
/// `say` receives progress lines and, on failure, the pods' logs.
pub fn execute(
    r: &dyn Runner,
    dir: &Path,
    m: &Manifest,
    mut rec: RunRecord,
    o: &Options,
    say: &mut dyn FnMut(&str),
) -> Result<RunRecord> {
    runs::save(dir, &rec)?;
    let path = kube::manifest_path(&rec.name);
    let mut out = Vec::new();
    let applied = exec(r, "mkdir -p /opt/mlk/workloads", &mut out)
        .and_then(|_| {
            r.upload(m.yaml.as_bytes(), &path, 0o644)
                .map_err(|e| classify(Class::Remote, e.to_string()))
        })
        .and_then(|_| exec(r, &kube::apply(&path), &mut out));
    match applied {
        Ok(0) => {}
        Ok(status) => {
            finish(dir, &mut rec, Outcome::Failed)?;
            return Err(classify(
                Class::Remote,
                format!(
                    "kubectl apply failed (exit {status}) on {}: {}",
                    r.node(),
                    out.join("\n")
                ),
            ));
        }
        Err(e) => {
            finish(dir, &mut rec, Outcome::Failed)?;
            return Err(e);
        }
    }
    say(&format!(
        "submitted run {} ({} to wait for) on {}",
        rec.name,
        describe(&m.targets),
        r.node()
    ));
    let t0 = Instant::now();
    let mut done: Vec<bool> = vec![false; m.targets.len()];
    let mut last = String::new();
    let failure = loop {
        let mut failed = None;
        let mut parts = Vec::new();
        for (t, d) in m.targets.iter().zip(done.iter_mut()) {
            if *d {
                continue;
            }
            let mut lines = Vec::new();
            let st = match exec(r, &kube::status(t), &mut lines) {
                Ok(0) => kube::parse_status(&lines.join("")),
                // Not found yet right after apply, or the API is busy: poll again.
                Ok(_) => State::Running { active: 0 },
                Err(e) => break_err(e, &mut failed),
            };
            match st {
                State::Succeeded => *d = true,
                State::Failed(why) => failed = Some(format!("{} {}: {why}", t.kind, t.name)),
                State::Running { active } => {
                    parts.push(format!("{} {}: {active} pod(s) active", t.kind, t.name))
                }
            }
        }
        if failed.is_some() {
            break failed;
        }
        if done.iter().all(|d| *d) {
            break None;
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
    if let Some((ns, sel)) = &m.cleanup {
        let _ = exec(r, &kube::cleanup(ns, sel), &mut Vec::new());
    }
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
            finish(dir, &mut rec, Outcome::Failed)?;
            for t in &m.targets {
                say(&format!("--- pods and logs of {} {} ---", t.kind, t.name));
                let mut lines = Vec::new();
                let _ = exec(r, &kube::logs(t), &mut lines);
                lines.iter().for_each(|l| say(l));
            }
            Err(classify(
                Class::Remote,
                format!(
                    "run {} failed: {why}; recorded in {}",
                    rec.name,
                    runs::path(dir, &rec.name).display()
                ),
            ))
        }
    }
}

fn break_err(e: anyhow::Error, failed: &mut Option<String>) -> State {
    *failed = Some(format!("{e:#}"));
    State::Running { active: 0 }
}

fn describe(t: &[Target]) -> String {
    t.iter()
        .map(|t| format!("{} {}/{}", t.kind, t.namespace, t.name))
        .collect::<Vec<_>>()
        .join(", ")
}
