//! What a run shows and records as it goes: spinner lines on stderr (one per stage, with each
//! node's state) that become one ✓/✗ line with the duration when the stage ends, JSON events
//! on stdout (`--json`), and every remote output line in `<cluster>/mlk.log`.
use crate::diagnose::redact::Redactor;
use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, LineWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When to draw progress lines on stderr (`--progress`, `MLK_PROGRESS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

pub struct Progress {
    json: bool,
    /// Spinner lines, when stderr is a terminal (or `--progress always`).
    bars: Option<MultiProgress>,
    stages: Mutex<HashMap<String, StageLine>>,
    log: Mutex<LineWriter<File>>,
    /// Masks the cluster's secrets in everything shown or logged; re-read at each stage, as
    /// the `secrets` stage makes them during the run.
    redactor: Mutex<Redactor>,
    secrets_dir: PathBuf,
}

struct StageLine {
    bar: Option<ProgressBar>,
    label: String,
    nodes: BTreeMap<String, String>,
    started: Instant,
}

impl StageLine {
    fn text(&self) -> String {
        let nodes: Vec<String> = self.nodes.iter().map(|(n, s)| format!("{n}:{s}")).collect();
        format!("{}  {}", self.label, nodes.join(" "))
    }
}

impl Progress {
    /// `mode` decides the spinners; `json` the stdout events; the log goes to `cluster_dir`.
    pub fn new(mode: ProgressMode, json: bool, cluster_dir: &Path) -> Result<Progress> {
        let target = match mode {
            // indicatif hides its stderr target when stderr is no terminal; `always` insists.
            ProgressMode::Always => Some(ProgressDrawTarget::term_like_with_hz(
                Box::new(console::Term::stderr()),
                10,
            )),
            ProgressMode::Never => None,
            ProgressMode::Auto => std::io::stderr()
                .is_terminal()
                .then(ProgressDrawTarget::stderr),
        };
        let bars = target.map(MultiProgress::with_draw_target);
        let path = crate::layout::of(cluster_dir).log();
        // Stage output may hold anything, secrets included: owner only.
        let file = crate::platform::files::create_mode(
            OpenOptions::new().create(true).append(true),
            0o600,
        )
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
        let secrets_dir = crate::stages::secrets::dir(cluster_dir);
        Ok(Progress {
            json,
            bars,
            stages: Mutex::new(HashMap::new()),
            log: Mutex::new(LineWriter::new(file)),
            redactor: Mutex::new(Redactor::from_secrets_dir(&secrets_dir)),
            secrets_dir,
        })
    }

    fn emit(&self, v: Value) {
        if self.json {
            emit_json(&v);
        }
    }

    /// A finished stage's line: printed above the spinners so that it stays on screen.
    fn keep_line(&self, bar: Option<ProgressBar>, text: String) {
        match (bar, &self.bars) {
            (Some(b), Some(mp)) => {
                b.finish_and_clear();
                mp.remove(&b);
                // Above the spinners, with its own newline (MultiProgress::println leaves the
                // last line open when no spinner is left, so the next message would join it).
                mp.suspend(|| eprintln!("{text}"));
            }
            _ => eprintln!("{text}"),
        }
    }

    /// `text` with the cluster's secrets masked.
    pub fn redact(&self, text: &str) -> String {
        self.redactor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .redact(text)
    }

    /// Every string in `v` with the cluster's secrets masked.
    fn redact_json(&self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.redact(&s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.redact_json(x)).collect()),
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, x)| (k, self.redact_json(x)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// One line into mlk.log, prefixed with node and stage, secrets masked.
    pub fn log_line(&self, node: &str, stage: &str, line: &str) {
        let line = self.redact(line);
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(log, "{} {node} {stage} | {line}", crate::state::now());
    }

    pub fn stage_start(&self, index: usize, total: usize, id: &str, nodes: &[String]) {
        *self.redactor.lock().unwrap_or_else(|e| e.into_inner()) =
            Redactor::from_secrets_dir(&self.secrets_dir);
        let label = format!("[{index}/{total}] {id}");
        let bar = self.bars.as_ref().map(|mp| {
            let b = mp.add(ProgressBar::new_spinner());
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        let line = StageLine {
            bar,
            label,
            nodes: nodes
                .iter()
                .map(|n| (n.clone(), "pending".to_string()))
                .collect(),
            started: Instant::now(),
        };
        if let Some(b) = &line.bar {
            b.set_message(line.text());
        }
        self.stages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), line);
        self.log_line("mlk", id, "stage start");
        self.emit(json!({"event": "stage_start", "stage": id, "current": index, "total": total, "nodes": nodes}));
    }

    /// A line the user should see during stage `id` (a long step starting or ending): above
    /// the spinners, or on its own line without them; also in the log.
    pub fn note(&self, id: &str, text: &str) {
        let text = self.redact(text);
        self.log_line("mlk", id, &text);
        match &self.bars {
            Some(mp) => mp.suspend(|| eprintln!("  {id}: {text}")),
            None => eprintln!("mlk: {id}: {text}"),
        }
    }

    /// A node's state within a running stage: connecting, checking, running, done...
    pub fn node_state(&self, id: &str, node: &str, state: &str) {
        let mut stages = self.stages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(line) = stages.get_mut(id) {
            line.nodes.insert(node.to_string(), state.to_string());
            if let Some(b) = &line.bar {
                b.set_message(line.text());
            }
        }
    }

    /// The stage ended with `status` (done or skipped) and a short reason.
    pub fn stage_end(&self, index: usize, total: usize, id: &str, status: &str, reason: &str) {
        let line = self
            .stages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        let secs = line
            .as_ref()
            .map_or(0.0, |l| l.started.elapsed().as_secs_f64());
        let mark = if status == "done" { "✓" } else { "-" };
        let bar = line.and_then(|l| l.bar);
        let text = if bar.is_some() {
            format!(
                "{mark} [{index}/{total}] {id}  {status}, {reason}  {}",
                duration(secs)
            )
        } else {
            format!("[{index}/{total}] {id}: {status} ({reason}, {secs:.1}s)")
        };
        self.keep_line(bar, text);
        self.log_line("mlk", id, &format!("stage {status}: {reason}"));
        self.emit(
            json!({"event": "stage_end", "stage": id, "current": index, "total": total,
            "status": status, "reason": reason, "seconds": secs}),
        );
    }

    /// The stage failed; `failures` are (node, message) pairs, `detail` extra JSON fields.
    pub fn stage_failed(&self, index: usize, total: usize, id: &str, failures: Vec<Value>) {
        if let Some(l) = self
            .stages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
            && let Some(b) = l.bar
        {
            let secs = l.started.elapsed().as_secs_f64();
            let nodes: Vec<&str> = failures.iter().filter_map(|f| f["node"].as_str()).collect();
            let on = if nodes.is_empty() {
                String::new()
            } else {
                format!(" on {}", nodes.join(", "))
            };
            self.keep_line(
                Some(b),
                format!("✗ [{index}/{total}] {id}  FAILED{on}  {}", duration(secs)),
            );
        }
        self.log_line("mlk", id, "stage failed");
        let failures: Vec<Value> = failures.into_iter().map(|f| self.redact_json(f)).collect();
        self.emit(
            json!({"event": "stage_failed", "stage": id, "current": index, "total": total,
            "failures": failures}),
        );
    }

    /// The last event of a run (see [`run_end_event`]).
    pub fn run_end(&self, end: &RunEnd) {
        self.emit(run_end_event(end));
    }

    /// Removes the spinners (before printing an error or exiting on a signal).
    pub fn clear(&self) {
        if let Some(mp) = &self.bars {
            let _ = mp.clear();
        }
    }
}

/// How a run ended, for the `run_end` event.
#[derive(Debug, Clone, Default)]
pub struct RunEnd {
    /// done, failed or interrupted.
    pub status: String,
    pub ran: usize,
    pub skipped: usize,
    pub total: usize,
    /// The exit class; None for success.
    pub class: Option<crate::exit::Class>,
    /// The diagnostics bundle a failed run wrote.
    pub diagnostics: Option<std::path::PathBuf>,
}

/// `{"event":"run_end","status":..,"exit_code":N,"exit_class":"preflight","diagnostics":PATH|null,...}`.
pub fn run_end_event(e: &RunEnd) -> Value {
    json!({"event": "run_end", "status": e.status, "ran": e.ran, "skipped": e.skipped,
        "total": e.total,
        "exit_code": e.class.map_or(0, |c| c.code()),
        "exit_class": e.class.map_or("ok", |c| c.name()),
        "diagnostics": e.diagnostics.as_ref().map(|p| p.display().to_string())})
}

/// Prints one JSON event line on stdout; a closed stdout must not stop the run.
pub fn emit_json(v: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

/// `0.4s`, `12.3s`, `4m05s`.
pub fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let s = secs.round() as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_run_end_fields() {
        assert_eq!(duration(0.42), "0.4s");
        assert_eq!(duration(245.2), "4m05s");
        let v = run_end_event(&RunEnd {
            status: "failed".into(),
            class: Some(crate::exit::Class::Preflight),
            diagnostics: Some("/x/d.tar.gz".into()),
            ..RunEnd::default()
        });
        assert_eq!(v["exit_code"], 5);
        assert_eq!(v["exit_class"], "preflight");
        assert_eq!(v["diagnostics"], "/x/d.tar.gz");
        let ok = run_end_event(&RunEnd {
            status: "done".into(),
            ..RunEnd::default()
        });
        assert_eq!(ok["exit_code"], 0);
        assert_eq!(ok["exit_class"], "ok");
        assert!(ok["diagnostics"].is_null());
    }
}
