//! `fleet up`'s live display: one line per cluster with its current stage and elapsed time
//! (a spinner line each on a terminal, else one plain line per change), or with `--json` the
//! clusters' own events with `"cluster"` added, between `cluster_start` / `cluster_end`.
use super::run::{Msg, Outcome};
use crate::progress::{ProgressMode, duration, emit_json};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Instant;

pub struct Display {
    json: bool,
    bars: Option<(MultiProgress, HashMap<String, ProgressBar>)>,
    started: HashMap<String, Instant>,
    width: usize,
}

impl Display {
    /// One line per cluster of `clusters`, in that order.
    pub fn new(mode: ProgressMode, json: bool, clusters: &[String]) -> Display {
        let width = clusters.iter().map(String::len).max().unwrap_or(0);
        let draw = match mode {
            ProgressMode::Never => false,
            ProgressMode::Always => true,
            ProgressMode::Auto => std::io::stderr().is_terminal(),
        };
        let bars = (draw && !json).then(|| {
            let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {prefix} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            let bars = clusters
                .iter()
                .map(|c| {
                    let b = mp.add(ProgressBar::new_spinner());
                    b.set_style(style.clone());
                    b.set_prefix(format!("{c:<width$}"));
                    b.set_message("queued");
                    (c.clone(), b)
                })
                .collect();
            (mp, bars)
        });
        Display {
            json,
            bars,
            started: HashMap::new(),
            width,
        }
    }

    fn elapsed(&self, c: &str) -> String {
        self.started
            .get(c)
            .map_or_else(String::new, |t| duration(t.elapsed().as_secs_f64()))
    }

    fn line(&self, c: &str, text: String, end: bool) {
        match &self.bars {
            Some((_, bars)) => {
                if let Some(b) = bars.get(c) {
                    if end {
                        b.finish_with_message(text);
                    } else {
                        b.enable_steady_tick(std::time::Duration::from_millis(200));
                        b.set_message(text);
                    }
                }
            }
            None => eprintln!("{c:<w$}  {text}", w = self.width),
        }
    }

    pub fn show(&mut self, m: &Msg) {
        match m {
            Msg::Waiting { cluster, why } => {
                if self.json {
                    emit_json(
                        &json!({"event": "cluster_waiting", "cluster": cluster, "reason": why}),
                    );
                } else {
                    self.line(cluster, format!("waiting: {why}"), false);
                }
            }
            Msg::Started { cluster } => {
                self.started.insert(cluster.clone(), Instant::now());
                if self.json {
                    emit_json(&json!({"event": "cluster_start", "cluster": cluster}));
                } else {
                    self.line(cluster, "starting".into(), false);
                }
            }
            Msg::Event { cluster, event } => {
                if self.json {
                    let mut e = event.clone();
                    if let Value::Object(o) = &mut e {
                        o.insert("cluster".into(), cluster.clone().into());
                    }
                    emit_json(&e);
                    return;
                }
                let stage = event["stage"].as_str().unwrap_or("");
                let at = format!("[{}/{}]", event["current"], event["total"]);
                let text = match event["event"].as_str() {
                    Some("stage_start") => format!("{at} {stage}  {}", self.elapsed(cluster)),
                    Some("stage_failed") => {
                        format!("{at} {stage} FAILED  {}", self.elapsed(cluster))
                    }
                    Some("preflight") if event["status"] == "fail" => {
                        format!("preflight {} FAILED", event["check"].as_str().unwrap_or(""))
                    }
                    _ => return,
                };
                self.line(cluster, text, false);
            }
            Msg::Finished(o) => self.finished(o),
        }
    }

    fn finished(&self, o: &Outcome) {
        let ok = o.code == 0;
        if self.json {
            emit_json(&json!({"event": "cluster_end", "cluster": o.cluster,
                "status": if ok {"done"} else {"failed"}, "exit_code": o.code,
                "seconds": self.started.get(&o.cluster).map(|t| t.elapsed().as_secs_f64())}));
            return;
        }
        let text = if ok {
            format!("✓ up  {}", self.elapsed(&o.cluster))
        } else {
            let last = o
                .tail
                .iter()
                .rev()
                .find(|l| l.starts_with("mlk: error:") || l.starts_with("not started"))
                .or(o.tail.last())
                .map_or("", |l| l.as_str());
            format!(
                "✗ FAILED (exit {})  {}  {}",
                o.code,
                self.elapsed(&o.cluster),
                crate::text::bounded(last, 160)
            )
        };
        self.line(&o.cluster, text, true);
    }

    /// Removes the spinners before the final report.
    pub fn clear(&self) {
        if let Some((mp, _)) = &self.bars {
            let _ = mp.clear();
        }
    }
}
