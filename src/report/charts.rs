//! Which charts a report has: per run, the nodes' CPU (cores), memory and NIC rates (private
//! and NAT apart) and the workload pods' CPU, memory and network; with several runs, overlays
//! of the cluster totals. Every line is over the training window only.
use super::data::RunData;
use super::series::{self, Points};
use super::svg::{self, Chart, Series};

/// What the numbers mean, for axis labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Percent of the node's CPUs (100 = all cores busy).
    Percent,
    /// CPU cores in use.
    Cores,
    Bytes,
    BytesPerSec,
}

/// One chart kind.
pub struct Kind {
    pub id: &'static str,
    pub title: &'static str,
    pub unit: Unit,
    /// Whether runs are compared on one overlay of their totals.
    pub compare: bool,
}

pub const KINDS: &[Kind] = &[
    Kind {
        id: "node_cpu",
        title: "Node CPU busy",
        unit: Unit::Cores,
        compare: true,
    },
    Kind {
        id: "node_mem",
        title: "Node memory used",
        unit: Unit::Bytes,
        compare: true,
    },
    Kind {
        id: "node_net_private",
        title: "Private NIC traffic (between nodes)",
        unit: Unit::BytesPerSec,
        compare: true,
    },
    Kind {
        id: "node_net_nat",
        title: "NAT NIC traffic",
        unit: Unit::BytesPerSec,
        compare: false,
    },
    Kind {
        id: "workload_cpu",
        title: "Workload pods' CPU (kubelet)",
        unit: Unit::Cores,
        compare: true,
    },
    Kind {
        id: "workload_mem",
        title: "Workload pods' memory (working set)",
        unit: Unit::Bytes,
        compare: false,
    },
    Kind {
        id: "workload_net",
        title: "Workload pods' network (veth)",
        unit: Unit::BytesPerSec,
        compare: false,
    },
];

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

fn sum_rates(counters: &[&Points]) -> Points {
    series::sum_buckets(
        &counters
            .iter()
            .map(|c| series::rates(c))
            .collect::<Vec<_>>(),
    )
}

/// The lines of one chart kind for one run: (label, samples).
fn lines(r: &RunData, id: &str) -> Vec<(String, Points)> {
    let mut out = Vec::new();
    match id {
        "node_cpu" => {
            for (h, n) in &r.nodes {
                let cores = n
                    .cpu
                    .iter()
                    .map(|(t, v)| (*t, v / 100.0 * n.ncpus))
                    .collect();
                out.push((h.clone(), cores));
            }
        }
        "node_mem" => {
            for (h, n) in &r.nodes {
                out.push((h.clone(), n.mem.clone()));
            }
        }
        "node_net_private" | "node_net_nat" => {
            let private = id == "node_net_private";
            for (h, n) in &r.nodes {
                let nics: Vec<&(Points, Points)> = n
                    .nics
                    .iter()
                    .filter(|(i, _)| (**i == r.private_iface) == private)
                    .map(|(_, p)| p)
                    .collect();
                if nics.is_empty() {
                    continue;
                }
                let rx: Vec<&Points> = nics.iter().map(|p| &p.0).collect();
                let tx: Vec<&Points> = nics.iter().map(|p| &p.1).collect();
                out.push((format!("{h} rx"), sum_rates(&rx)));
                out.push((format!("{h} tx"), sum_rates(&tx)));
            }
        }
        "workload_cpu" | "workload_mem" => {
            for p in &r.pods {
                let m = if id == "workload_cpu" { &p.cpu } else { &p.mem };
                let all: Vec<Points> = m.values().cloned().collect();
                out.push((p.pod.name.clone(), series::sum_buckets(&all)));
            }
        }
        "workload_net" => {
            for p in &r.pods {
                if let Some((_, recv, sent)) = &p.veth {
                    out.push((format!("{} sent", p.pod.name), series::rates(recv)));
                    out.push((format!("{} received", p.pod.name), series::rates(sent)));
                }
            }
        }
        _ => {}
    }
    out.retain(|(_, p)| p.iter().any(|(t, _)| *t > r.start && *t <= r.end));
    out
}

fn step_of(r: &RunData, id: &str) -> i64 {
    let min = if id.starts_with("workload") {
        r.pod_interval_s
    } else {
        r.node_interval_s
    };
    series::step_for(r.wall_secs(), i64::from(min))
}

/// The lines of chart `id` for run `r`, bucketed (epoch seconds at bucket start).
pub fn points_of(r: &RunData, id: &str) -> Vec<(String, Points)> {
    let step = step_of(r, id);
    lines(r, id)
        .into_iter()
        .map(|(label, p)| (label, series::buckets(&p, r.start, r.end, step)))
        .collect()
}

fn to_series(r: &RunData, id: &str) -> Vec<Series> {
    points_of(r, id)
        .into_iter()
        .map(|(label, p)| Series {
            label,
            points: p
                .into_iter()
                .map(|(t, v)| ((t - r.start) as f64, v))
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

pub fn build(runs: &[RunData]) -> Vec<ChartFile> {
    let mut out = Vec::new();
    let x_max = runs
        .iter()
        .map(|r| r.wall_secs() as f64)
        .fold(1.0, f64::max);
    for k in KINDS {
        let per_run: Vec<Vec<Series>> = runs.iter().map(|r| to_series(r, k.id)).collect();
        let ym = per_run.iter().map(|s| y_max(s)).fold(0.0, f64::max);
        for (i, (run, series)) in runs.iter().zip(&per_run).enumerate() {
            if series.is_empty() {
                continue;
            }
            let c = Chart {
                title: format!("{}: run {} ({})", k.title, run.run.name, run.run.cluster),
                unit: k.unit,
                series,
                x_max,
                y_max: ym,
            };
            out.push(ChartFile {
                stem: format!("{}-{}", run_stem(run), k.id),
                metric: k.id,
                run: Some(i),
                svg: svg::render(&c),
            });
        }
        if runs.len() < 2 || !k.compare {
            continue;
        }
        // One line per run: the sum of its lines per bucket.
        let totals: Vec<Series> = runs
            .iter()
            .zip(&per_run)
            .filter(|(_, s)| !s.is_empty())
            .map(|(r, s)| Series {
                label: format!("{} ({})", r.run.name, r.run.cluster),
                points: series::sum_buckets(
                    &s.iter()
                        .map(|l| l.points.iter().map(|(t, v)| (*t as i64, *v)).collect())
                        .collect::<Vec<Points>>(),
                )
                .into_iter()
                .map(|(t, v)| (t as f64, v))
                .collect(),
            })
            .collect();
        if totals.len() < 2 {
            continue;
        }
        let c = Chart {
            title: format!("{}: all nodes, runs compared", k.title),
            unit: k.unit,
            series: &totals,
            x_max,
            y_max: y_max(&totals),
        };
        out.push(ChartFile {
            stem: format!("compare-{}", k.id),
            metric: k.id,
            run: None,
            svg: svg::render(&c),
        });
    }
    out
}
