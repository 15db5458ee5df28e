//! The report's tables as plain rows of text, shared by the HTML and Markdown writers.
use super::data::RunData;
use super::summary::{self, Figures, Table, Total, fmt, ratio};

/// Pods listed per run (by CPU-seconds).
pub const MAX_POD_ROWS: usize = 15;

pub struct TextTable {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Runs as columns; with two or more runs a ratio column per later run (run N / run 1).
pub fn comparison(runs: &[RunData], totals: &[Vec<Total>]) -> TextTable {
    let mut header = vec!["Figure".to_string()];
    header.extend(
        runs.iter()
            .map(|r| format!("{} ({})", r.run.name, r.run.cluster)),
    );
    for r in runs.iter().skip(1) {
        header.push(format!("{} / {}", r.run.name, runs[0].run.name));
    }
    let mut rows = Vec::new();
    for (i, t) in totals[0].iter().enumerate() {
        let mut row = vec![t.label.to_string()];
        for tot in totals {
            row.push(
                tot[i]
                    .value
                    .map_or("no data".into(), |v| fmt(v, tot[i].unit)),
            );
        }
        for tot in totals.iter().skip(1) {
            row.push(
                ratio(totals[0][i].value, tot[i].value)
                    .map_or("–".into(), |r| format!("{r:.2}×")),
            );
        }
        rows.push(row);
    }
    let caption = if runs.len() > 1 {
        "Summary, runs side by side"
    } else {
        "Summary"
    };
    TextTable {
        caption: caption.into(),
        header,
        rows,
    }
}

fn cell(
    t: &Table,
    metric: &str,
    key: &str,
    pick: fn(&Figures) -> Option<f64>,
    unit: &str,
) -> String {
    t.get(metric)
        .and_then(|m| m.get(key))
        .and_then(pick)
        .map_or("–".into(), |v| fmt(v, unit))
}

fn peak(f: &Figures) -> Option<f64> {
    Some(f.peak)
}
fn mean(f: &Figures) -> Option<f64> {
    Some(f.mean)
}
fn total(f: &Figures) -> Option<f64> {
    f.total
}

/// One row per node of one run.
pub fn nodes(run: &RunData, t: &Table) -> TextTable {
    let header = [
        "Node",
        "CPUs",
        "CPU peak",
        "CPU mean",
        "CPU-seconds",
        "Mem peak",
        "Mem mean",
        "Net rx",
        "Net tx",
        "Disk read",
        "Disk written",
    ];
    let mut keys: Vec<&String> = t.values().filter(|_| true).flat_map(|m| m.keys()).collect();
    keys.sort();
    keys.dedup();
    let keys: Vec<&String> = keys.into_iter().filter(|k| !k.contains('/')).collect();
    let rows = keys
        .into_iter()
        .map(|k| {
            vec![
                k.clone(),
                run.ncpus.get(k).map_or("?".into(), |n| format!("{n:.0}")),
                cell(t, "node_cpu", k, peak, "%"),
                cell(t, "node_cpu", k, mean, "%"),
                cell(t, "node_cpu", k, total, "CPU·s"),
                cell(t, "node_mem", k, peak, "B"),
                cell(t, "node_mem", k, mean, "B"),
                cell(t, "node_net_rx", k, total, "B"),
                cell(t, "node_net_tx", k, total, "B"),
                cell(t, "node_disk_read", k, total, "B"),
                cell(t, "node_disk_write", k, total, "B"),
            ]
        })
        .collect();
    TextTable {
        caption: format!("Per node: run {} ({})", run.run.name, run.run.cluster),
        header: header.map(String::from).to_vec(),
        rows,
    }
}

/// The busiest pods of one run.
pub fn pods(run: &RunData, t: &Table) -> TextTable {
    let header = [
        "Pod",
        "Node",
        "CPU peak",
        "CPU mean",
        "CPU-seconds",
        "Mem peak",
        "Net rx",
        "Net tx",
    ];
    let mut keys: Vec<(&String, f64)> = t
        .get("pod_cpu")
        .into_iter()
        .flat_map(|m| m.iter().map(|(k, f)| (k, f.total.unwrap_or(0.0))))
        .collect();
    keys.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let node_of = |k: &str| {
        run.metric("pod_cpu")
            .and_then(|m| m.lines.iter().find(|l| l.key == k))
            .map_or(String::new(), |l| l.node.clone())
    };
    let rows = keys
        .into_iter()
        .take(MAX_POD_ROWS)
        .map(|(k, _)| {
            vec![
                k.clone(),
                node_of(k),
                cell(t, "pod_cpu", k, peak, "cores"),
                cell(t, "pod_cpu", k, mean, "cores"),
                cell(t, "pod_cpu", k, total, "CPU·s"),
                cell(t, "pod_mem", k, peak, "B"),
                cell(t, "pod_net_rx", k, total, "B"),
                cell(t, "pod_net_tx", k, total, "B"),
            ]
        })
        .collect();
    TextTable {
        caption: format!("Busiest pods: run {} ({})", run.run.name, run.run.cluster),
        header: header.map(String::from).to_vec(),
        rows,
    }
}

/// Everything per run: figures table and cluster totals.
pub fn figures(runs: &[RunData]) -> (Vec<Table>, Vec<Vec<Total>>) {
    let tables: Vec<Table> = runs.iter().map(summary::table).collect();
    let totals = runs
        .iter()
        .zip(&tables)
        .map(|(r, t)| summary::totals(r, t))
        .collect();
    (tables, totals)
}
