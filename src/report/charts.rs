//! Which charts a report has: one per metric and run (runs side by side on shared axes), and
//! with several runs one overlay per node metric comparing the cluster totals.
use super::data::{Line, MetricData, RunData};
use super::queries::{METRICS, Scope, Unit};
use super::svg::{self, Chart, Series};

/// Pods beyond this many (by mean value) are left out of a chart, to keep it readable.
pub const MAX_PODS: usize = 8;

/// One chart, ready to write as `<stem>.svg` and `<stem>.png`.
pub struct ChartFile {
    pub stem: String,
    pub metric: &'static str,
    /// Index into the report's runs, or `None` for a comparison chart.
    pub run: Option<usize>,
    pub svg: String,
}

/// File-name-safe identity of a run within a report.
pub fn run_stem(run: &RunData) -> String {
    format!("{}-{}", run.run.cluster, run.run.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn to_series(run: &RunData, lines: &[Line], scope: Scope) -> Vec<Series> {
    let mut lines: Vec<&Line> = lines.iter().collect();
    if scope == Scope::Pod {
        let mean =
            |l: &Line| l.points.iter().map(|p| p.1).sum::<f64>() / l.points.len().max(1) as f64;
        lines.sort_by(|a, b| mean(b).total_cmp(&mean(a)));
        lines.truncate(MAX_PODS);
    }
    lines
        .into_iter()
        .map(|l| Series {
            label: l.key.clone(),
            points: l
                .points
                .iter()
                .map(|(t, v)| ((t - run.start) as f64, *v))
                .collect(),
        })
        .collect()
}

fn y_max(series: &[Series]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0, f64::max)
}

/// The cluster total over time: lines summed per bucket; CPU % becomes cores busy.
fn cluster_total(run: &RunData, md: &MetricData) -> Vec<(f64, f64)> {
    let mut at = std::collections::BTreeMap::new();
    for l in &md.lines {
        let k = if md.metric.unit == Unit::Percent {
            run.ncpus.get(&l.node).copied().unwrap_or(1.0) / 100.0
        } else {
            1.0
        };
        for (t, v) in &l.points {
            *at.entry(*t).or_insert(0.0) += v * k;
        }
    }
    at.into_iter()
        .map(|(t, v)| ((t - run.start) as f64, v))
        .collect()
}

pub fn build(runs: &[RunData]) -> Vec<ChartFile> {
    let mut out = Vec::new();
    let x_max = runs
        .iter()
        .map(|r| r.wall_secs() as f64)
        .fold(1.0, f64::max);
    for m in METRICS {
        let per_run: Vec<Vec<Series>> = runs
            .iter()
            .map(|r| {
                r.metric(m.id)
                    .map_or_else(Vec::new, |md| to_series(r, &md.lines, m.scope))
            })
            .collect();
        let ym = per_run.iter().map(|s| y_max(s)).fold(0.0, f64::max);
        let ym = if m.unit == Unit::Percent {
            ym.max(100.0)
        } else {
            ym
        };
        for (i, (run, series)) in runs.iter().zip(&per_run).enumerate() {
            if series.is_empty() {
                continue;
            }
            let title = format!("{}: run {} ({})", m.title, run.run.name, run.run.cluster);
            let c = Chart {
                title,
                unit: m.unit,
                series,
                x_max,
                y_max: ym,
            };
            out.push(ChartFile {
                stem: format!("{}-{}", run_stem(run), m.id),
                metric: m.id,
                run: Some(i),
                svg: svg::render(&c),
            });
        }
        if runs.len() < 2 || m.scope != Scope::Node && m.id != "pod_cpu" {
            continue;
        }
        let series: Vec<Series> = runs
            .iter()
            .filter_map(|r| {
                let md = r.metric(m.id).filter(|md| !md.lines.is_empty())?;
                Some(Series {
                    label: format!("{} ({})", r.run.name, r.run.cluster),
                    points: cluster_total(r, md),
                })
            })
            .collect();
        if series.len() < 2 {
            continue;
        }
        let unit = if m.unit == Unit::Percent {
            Unit::Cores
        } else {
            m.unit
        };
        let what = if m.unit == Unit::Percent {
            "Cluster CPU cores busy"
        } else {
            m.title
        };
        let title = format!("{what}: all nodes, runs compared");
        let c = Chart {
            title,
            unit,
            series: &series,
            x_max,
            y_max: y_max(&series),
        };
        out.push(ChartFile {
            stem: format!("compare-{}", m.id),
            metric: m.id,
            run: None,
            svg: svg::render(&c),
        });
    }
    out
}
