//! Fetches one run's time series from InfluxDB: one line per node or pod for every metric.
use super::influx::Client;
use super::queries::{self, METRICS, Metric};
use super::time;
use crate::runs::RunRecord;
use anyhow::{Context, Result};
use std::collections::BTreeMap;

/// One chart line: a node (`key` = host) or a pod (`key` = namespace/pod).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Line {
    pub key: String,
    /// The node it ran on (pods) or the node itself.
    pub node: String,
    /// (epoch seconds at bucket start, value in the metric's unit), sorted by time.
    pub points: Vec<(i64, f64)>,
}

/// All lines of one metric.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MetricData {
    #[serde(skip)]
    pub metric: &'static Metric,
    pub id: &'static str,
    pub lines: Vec<Line>,
}

/// Everything the report knows about one run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunData {
    pub run: RunRecord,
    pub start: i64,
    pub end: i64,
    /// Bucket width in seconds.
    pub step: i64,
    /// CPUs per node (Telegraf `system.n_cpus`).
    pub ncpus: BTreeMap<String, f64>,
    pub metrics: Vec<MetricData>,
}

impl RunData {
    pub fn metric(&self, id: &str) -> Option<&MetricData> {
        self.metrics.iter().find(|m| m.id == id)
    }

    pub fn is_empty(&self) -> bool {
        self.metrics.iter().all(|m| m.lines.is_empty())
    }

    pub fn wall_secs(&self) -> i64 {
        self.end - self.start
    }
}

/// The bucket width for a window: Telegraf's 10 s interval, wider for long runs (≤ ~300 points).
pub fn step_for(window_secs: i64) -> i64 {
    let raw = (window_secs + 299) / 300;
    ((raw + 9) / 10 * 10).max(10)
}

/// The run's window: its recorded start and end (now for a run still going).
pub fn window(run: &RunRecord) -> Result<(i64, i64)> {
    let start =
        time::parse(&run.start).with_context(|| format!("run `{}`: field start", run.name))?;
    let end = match &run.end {
        Some(e) => time::parse(e).with_context(|| format!("run `{}`: field end", run.name))?,
        None => time::now(),
    };
    anyhow::ensure!(
        end > start,
        "run `{}`: end {} is not after start {}",
        run.name,
        time::rfc3339(end),
        run.start
    );
    Ok((start, end))
}

/// Queries every metric for `run`.
pub fn fetch(client: &Client, run: &RunRecord) -> Result<RunData, anyhow::Error> {
    let (start, end) = window(run)?;
    let step = step_for(end - start);
    let mut metrics = Vec::new();
    for m in METRICS {
        let q = queries::query(m, start, end, step);
        let series = first(client.query(&q)?);
        let mut by_key: BTreeMap<String, (String, BTreeMap<i64, f64>)> = BTreeMap::new();
        for s in &series {
            let tag = |t: &str| s.tags.get(t).cloned().unwrap_or_default();
            let key = m
                .key_tags()
                .iter()
                .map(|t| tag(t))
                .collect::<Vec<_>>()
                .join("/");
            let node = match m.scope {
                queries::Scope::Node => tag("host"),
                queries::Scope::Pod => tag("node_name"),
            };
            let col = s.columns.iter().position(|c| c == "value").unwrap_or(1);
            let entry = by_key.entry(key).or_insert_with(|| (node, BTreeMap::new()));
            let shift = queries::time_shift(m, step);
            for (t, v) in s.points(col) {
                let t = t - shift;
                let v = if m.invert_percent { 100.0 - v } else { v } * m.scale;
                // Interfaces, disks and containers of one node/pod add up.
                *entry.1.entry(t).or_insert(0.0) += v;
            }
        }
        let lines = by_key
            .into_iter()
            .filter(|(_, (_, pts))| !pts.is_empty())
            .map(|(key, (node, pts))| Line {
                key,
                node,
                points: pts.into_iter().collect(),
            })
            .collect();
        metrics.push(MetricData {
            metric: m,
            id: m.id,
            lines,
        });
    }
    let mut ncpus = BTreeMap::new();
    for s in first(client.query(&queries::ncpus_query(start, end))?) {
        if let (Some(host), Some((_, n))) = (s.tags.get("host"), s.points(1).first()) {
            ncpus.insert(host.clone(), *n);
        }
    }
    Ok(RunData {
        run: run.clone(),
        start,
        end,
        step,
        ncpus,
        metrics,
    })
}

fn first(mut r: Vec<Vec<super::influx::Series>>) -> Vec<super::influx::Series> {
    if r.is_empty() {
        Vec::new()
    } else {
        r.swap_remove(0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn steps() {
        assert_eq!(super::step_for(60), 10);
        assert_eq!(super::step_for(3000), 10);
        assert_eq!(super::step_for(3001), 20);
        assert_eq!(super::step_for(36_000), 120);
    }
}
