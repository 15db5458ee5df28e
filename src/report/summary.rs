//! Summary figures from a run's lines: peak, mean, and totals (CPU-seconds, bytes), per line
//! and for the whole cluster.
use super::data::{Line, RunData};
use super::queries::{METRICS, Unit};
use serde::Serialize;
use std::collections::BTreeMap;

/// Figures of one line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    pub peak: f64,
    pub mean: f64,
    /// Value × seconds: CPU-seconds for CPU, bytes for rates; `None` for gauges of bytes.
    pub total: Option<f64>,
}

/// Figures of `line`, buckets `step` seconds wide. `cores_per_percent` turns CPU % into cores.
pub fn figures(line: &Line, unit: Unit, step: i64, cores_per_percent: f64) -> Option<Figures> {
    if line.points.is_empty() {
        return None;
    }
    let vals = line.points.iter().map(|p| p.1);
    let peak = vals.clone().fold(f64::MIN, f64::max);
    let sum: f64 = vals.sum();
    let n = line.points.len() as f64;
    let step = step as f64;
    let total = match unit {
        Unit::Percent => Some(sum * step * cores_per_percent),
        Unit::Cores | Unit::BytesPerSec => Some(sum * step),
        Unit::Bytes => None,
    };
    Some(Figures {
        peak,
        mean: sum / n,
        total,
    })
}

/// Per-line figures of every metric: metric id → line key → figures.
pub type Table = BTreeMap<&'static str, BTreeMap<String, Figures>>;

pub fn table(run: &RunData) -> Table {
    let mut out = Table::new();
    for md in &run.metrics {
        let mut per = BTreeMap::new();
        for line in &md.lines {
            let cpp = run.ncpus.get(&line.node).copied().unwrap_or(1.0) / 100.0;
            if let Some(f) = figures(line, md.metric.unit, run.step, cpp) {
                per.insert(line.key.clone(), f);
            }
        }
        out.insert(md.id, per);
    }
    out
}

/// One cluster-wide figure, as shown in the comparison table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Total {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    /// `None`: the run has no data for it.
    pub value: Option<f64>,
}

fn sum_total(t: &Table, id: &str) -> Option<f64> {
    let per = t.get(id)?;
    (!per.is_empty()).then(|| per.values().filter_map(|f| f.total).sum())
}

fn max_peak(t: &Table, id: &str) -> Option<f64> {
    let per = t.get(id)?;
    (!per.is_empty()).then(|| per.values().map(|f| f.peak).fold(f64::MIN, f64::max))
}

fn mean_mean(t: &Table, id: &str) -> Option<f64> {
    let per = t.get(id)?;
    (!per.is_empty()).then(|| per.values().map(|f| f.mean).sum::<f64>() / per.len() as f64)
}

/// The peak over time of the sum of all lines (e.g. cluster memory, all pods' cores).
fn peak_of_sum(run: &RunData, id: &str) -> Option<f64> {
    let md = run.metric(id)?;
    let mut at: BTreeMap<i64, f64> = BTreeMap::new();
    for l in &md.lines {
        for (t, v) in &l.points {
            *at.entry(*t).or_insert(0.0) += v;
        }
    }
    at.values().copied().reduce(f64::max)
}

/// Cluster-wide figures of a run, in display order.
pub fn totals(run: &RunData, t: &Table) -> Vec<Total> {
    let tot = |id, label, unit, value| Total {
        id,
        label,
        unit,
        value,
    };
    vec![
        tot("wall", "Wall time", "s", Some(run.wall_secs() as f64)),
        tot(
            "nodes",
            "Nodes with data",
            "",
            Some(t.get("node_cpu").map_or(0, BTreeMap::len) as f64),
        ),
        tot(
            "node_cpu_seconds",
            "Node CPU-seconds (all nodes)",
            "CPU·s",
            sum_total(t, "node_cpu"),
        ),
        tot(
            "node_cpu_peak",
            "Node CPU busy, peak (busiest node)",
            "%",
            max_peak(t, "node_cpu"),
        ),
        tot(
            "node_cpu_mean",
            "Node CPU busy, mean (over nodes)",
            "%",
            mean_mean(t, "node_cpu"),
        ),
        tot(
            "pod_cpu_seconds",
            "Pod CPU-seconds (all pods)",
            "CPU·s",
            sum_total(t, "pod_cpu"),
        ),
        tot(
            "pod_cpu_peak",
            "Pod CPU, peak (all pods together)",
            "cores",
            peak_of_sum(run, "pod_cpu"),
        ),
        tot(
            "node_mem_peak",
            "Memory used, peak (all nodes together)",
            "B",
            peak_of_sum(run, "node_mem"),
        ),
        tot(
            "pod_mem_peak",
            "Pod memory, peak (all pods together)",
            "B",
            peak_of_sum(run, "pod_mem"),
        ),
        tot(
            "node_net_rx_total",
            "Network received (all nodes)",
            "B",
            sum_total(t, "node_net_rx"),
        ),
        tot(
            "node_net_tx_total",
            "Network sent (all nodes)",
            "B",
            sum_total(t, "node_net_tx"),
        ),
        tot(
            "node_disk_read_total",
            "Disk read (all nodes)",
            "B",
            sum_total(t, "node_disk_read"),
        ),
        tot(
            "node_disk_write_total",
            "Disk written (all nodes)",
            "B",
            sum_total(t, "node_disk_write"),
        ),
    ]
}

/// `b / a` when both exist and `a` is not zero.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if a.abs() > f64::EPSILON => Some(b / a),
        _ => None,
    }
}

/// Human form of a value in a unit: `1.5 GiB`, `250 KiB/s`, `50.0 %`, `1.25 cores`.
pub fn fmt(v: f64, unit: &str) -> String {
    match unit {
        "B" | "B/s" => {
            let mut x = v;
            let mut i = 0;
            const P: [&str; 5] = ["", "Ki", "Mi", "Gi", "Ti"];
            while x.abs() >= 1024.0 && i < P.len() - 1 {
                x /= 1024.0;
                i += 1;
            }
            let rest = unit.strip_prefix('B').unwrap_or("");
            if i == 0 {
                format!("{x:.0} B{rest}")
            } else {
                format!("{x:.1} {}B{rest}", P[i])
            }
        }
        "s" => super::time::human(v.round() as i64),
        "" => format!("{v:.0}"),
        u => format!("{} {u}", short(v)),
    }
}

fn short(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The unit string of a metric's values.
pub fn unit_str(u: Unit) -> &'static str {
    match u {
        Unit::Percent => "%",
        Unit::Cores => "cores",
        Unit::Bytes => "B",
        Unit::BytesPerSec => "B/s",
    }
}

/// The unit of a metric's totals.
pub fn total_unit(u: Unit) -> &'static str {
    match u {
        Unit::Percent | Unit::Cores => "CPU·s",
        _ => "B",
    }
}

/// Metric ids in display order, for callers that iterate tables.
pub fn metric_ids() -> impl Iterator<Item = &'static str> {
    METRICS.iter().map(|m| m.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_a_line() {
        let l = Line {
            key: "n".into(),
            node: "n".into(),
            points: vec![(0, 40.0), (10, 60.0)],
        };
        let f = figures(&l, Unit::Percent, 10, 2.0 / 100.0).unwrap();
        assert_eq!((f.peak, f.mean), (60.0, 50.0));
        // 40 % and 60 % of 2 CPUs for 10 s each: 0.8*10 + 1.2*10.
        assert!((f.total.unwrap() - 20.0).abs() < 1e-9);
        assert_eq!(fmt(1536.0, "B/s"), "1.5 KiB/s");
        assert_eq!(fmt(12.345, "%"), "12.3 %");
        assert_eq!(ratio(Some(2.0), Some(3.0)), Some(1.5));
        assert_eq!(ratio(Some(0.0), Some(3.0)), None);
    }
}
