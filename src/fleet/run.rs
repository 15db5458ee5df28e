//! Runs one `mlk` child process per cluster (`mlk up -c NAME --json`, `mlk status ...`), at
//! most K at a time, and reports what each does as it goes. Each child is a normal mlk run on
//! its own cluster (folder, state, lock, log, resume); the fleet only reads its stdout (JSON
//! events) and keeps its stderr in the fleet folder. A failed child fails only its cluster.
//!
//! With VMs to boot, a child starts only when [`capacity::admit`] lets it: the host's
//! available memory, less what clusters still in their `machines` stage will take, must hold
//! the cluster's VMs. A cluster leaves that ledger when its `machines` stage ends.
use super::capacity::{self, Admit, Need};
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One child run.
#[derive(Debug, Clone)]
pub struct Job {
    pub cluster: String,
    /// Arguments after `mlk --dir HOME --progress never`.
    pub args: Vec<String>,
    /// The cluster's VMs boot in this run: admit it first.
    pub boots: Option<Need>,
    /// Where the child's stderr goes.
    pub log: PathBuf,
}

/// What the workers tell the display, in order per cluster.
#[derive(Debug, Clone)]
pub enum Msg {
    Waiting {
        cluster: String,
        why: String,
    },
    Started {
        cluster: String,
    },
    /// A JSON event line of the child.
    Event {
        cluster: String,
        event: Value,
    },
    Finished(Outcome),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub cluster: String,
    /// The child's exit code (130 when killed by a signal; 2 when refused before starting).
    pub code: i32,
    /// Its stdout lines that were no JSON event (all of it for commands without events).
    pub stdout: String,
    /// The last lines of its stderr (or why it never started).
    pub tail: Vec<String>,
}

/// The ledger of clusters booting (admitted, `machines` not ended) and VMs running.
#[derive(Default)]
struct Ledger {
    booting: Vec<(String, Need)>,
    running_cpus: u64,
}

impl Ledger {
    fn reserved(&self) -> Need {
        Need {
            cpus: self.booting.iter().map(|(_, n)| n.cpus).sum(),
            mem_mib: self.booting.iter().map(|(_, n)| n.mem_mib).sum(),
        }
    }
    /// The cluster ended without booting (a preflight refusal, a failure before `machines`).
    fn cancel(&mut self, cluster: &str) {
        self.booting.retain(|(c, _)| c != cluster);
    }
    fn booted(&mut self, cluster: &str) {
        if let Some(i) = self.booting.iter().position(|(c, _)| c == cluster) {
            let (_, n) = self.booting.remove(i);
            self.running_cpus += n.cpus;
        }
    }
}

/// Lines kept of a child's stderr for the report.
pub const TAIL: usize = 12;

fn tail_of(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[lines.len().saturating_sub(TAIL)..].to_vec()
}

/// Runs `jobs`, `k` at a time, calling `on` for every message (on this thread) until all end.
/// `home` is passed to each child as `--dir`. `running_cpus` counts VMs already up.
pub fn run_all(
    home: &std::path::Path,
    jobs: Vec<Job>,
    k: usize,
    running_cpus: u64,
    mut on: impl FnMut(Msg),
) -> Result<Vec<Outcome>> {
    let exe = std::env::current_exe().context("finding the mlk executable")?;
    let n = jobs.len();
    let queue = Arc::new(Mutex::new(jobs.into_iter().collect::<VecDeque<Job>>()));
    let ledger = Arc::new(Mutex::new(Ledger {
        running_cpus,
        ..Ledger::default()
    }));
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut workers = Vec::new();
    for _ in 0..k.max(1).min(n.max(1)) {
        let (queue, ledger, tx, exe, home) = (
            queue.clone(),
            ledger.clone(),
            tx.clone(),
            exe.clone(),
            home.to_path_buf(),
        );
        workers.push(std::thread::spawn(move || {
            loop {
                let Some(job) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else {
                    break;
                };
                let out = one(&exe, &home, &job, &ledger, &tx);
                let _ = tx.send(Msg::Finished(out));
            }
        }));
    }
    drop(tx);
    let mut outcomes = Vec::new();
    for m in rx {
        if let Msg::Finished(o) = &m {
            outcomes.push(o.clone());
        }
        on(m);
    }
    for w in workers {
        let _ = w.join();
    }
    Ok(outcomes)
}

/// Admits (when it boots VMs), runs and watches one child.
fn one(
    exe: &std::path::Path,
    home: &std::path::Path,
    job: &Job,
    ledger: &Mutex<Ledger>,
    tx: &mpsc::Sender<Msg>,
) -> Outcome {
    let cluster = job.cluster.clone();
    let refused = |why: String| Outcome {
        cluster: cluster.clone(),
        code: 5,
        stdout: String::new(),
        tail: vec![format!("not started: {why}")],
    };
    if let Some(need) = job.boots {
        let mut said = String::new();
        loop {
            let mut l = ledger.lock().unwrap_or_else(|e| e.into_inner());
            match capacity::admit(need, &capacity::measure(), l.reserved(), l.running_cpus) {
                Admit::Go => {
                    l.booting.push((cluster.clone(), need));
                    break;
                }
                Admit::Refuse(why) => return refused(why),
                Admit::Wait(why) => {
                    drop(l);
                    if why != said {
                        let _ = tx.send(Msg::Waiting {
                            cluster: cluster.clone(),
                            why: why.clone(),
                        });
                        said = why;
                    }
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        }
    }
    let release = || {
        ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .booted(&cluster)
    };
    if let Some(d) = job.log.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&job.log);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&job.log, std::fs::Permissions::from_mode(0o600));
    }
    let stderr = match log {
        Ok(f) => Stdio::from(f),
        Err(_) => Stdio::null(),
    };
    let child = Command::new(exe)
        .arg("--dir")
        .arg(home)
        .args(["--progress", "never"])
        .args(&job.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            ledger
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .cancel(&cluster);
            return refused(format!("cannot start {}: {e}", exe.display()));
        }
    };
    let _ = tx.send(Msg::Started {
        cluster: cluster.clone(),
    });
    let mut stdout = String::new();
    let mut machines_ended = false;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str::<Value>(&line) {
                Ok(event) if event.get("event").is_some() => {
                    if event["stage"] == "machines"
                        && matches!(event["event"].as_str(), Some("stage_end" | "stage_failed"))
                    {
                        machines_ended = true;
                        release();
                    }
                    let _ = tx.send(Msg::Event {
                        cluster: cluster.clone(),
                        event,
                    });
                }
                _ => {
                    stdout.push_str(&line);
                    stdout.push('\n');
                }
            }
        }
    }
    let code = match child.wait() {
        Ok(s) => s.code().unwrap_or(130),
        Err(_) => 1,
    };
    if !machines_ended {
        ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cancel(&cluster);
    }
    Outcome {
        cluster,
        code,
        stdout,
        tail: tail_of(&job.log),
    }
}
