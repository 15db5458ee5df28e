//! The report's figures per node (raw and minus the idle baseline) and per workload pod, and
//! how figures are shown. A figure without a source says why, and is never shown as zero.
use super::data::{NodeData, PodData, RunData};
use super::series::{self, Points};
use super::sources::{self, Support};
use serde::Serialize;

/// A figure's value, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fig {
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl Fig {
    pub fn some(v: f64) -> Fig {
        Fig {
            value: Some(v),
            why: None,
        }
    }
    pub fn none(why: impl Into<String>) -> Fig {
        Fig {
            value: None,
            why: Some(why.into()),
        }
    }
    pub fn of(v: Option<f64>, why: impl FnOnce() -> String) -> Fig {
        match v {
            Some(v) => Fig::some(v),
            None => Fig::none(why()),
        }
    }
    /// `self − other` when both exist (else the first reason).
    pub fn minus(&self, other: &Fig) -> Fig {
        match (self.value, other.value) {
            (Some(a), Some(b)) => Fig::some(a - b),
            _ => Fig {
                value: None,
                why: self.why.clone().or_else(|| other.why.clone()),
            },
        }
    }
}

const NO_BASELINE: &str =
    "no idle baseline was measured for this run (run-workload --baseline 0, or an older record)";

/// Figures of one node over the training window.
#[derive(Debug, Clone, Serialize)]
pub struct NodeFigures {
    pub host: String,
    pub ncpus: f64,
    /// CPU-seconds used, and the same minus the baseline's mean cores × window.
    pub cpu_s: Fig,
    pub cpu_s_net: Fig,
    /// Mean cores busy in the baseline window.
    pub base_cores: Fig,
    pub mean_busy_pct: Fig,
    /// Mean CPU time stolen by the hypervisor, percent of the node's CPUs.
    pub steal_pct: Fig,
    pub peak_cores: Fig,
    pub mem_peak: Fig,
    pub mem_base: Fig,
    /// Bytes over the private-network NIC (between nodes) and the other NICs (NAT).
    pub private_rx: Fig,
    pub private_tx: Fig,
    pub private_rx_net: Fig,
    pub private_tx_net: Fig,
    pub nat_rx: Fig,
    pub nat_tx: Fig,
    pub nat_rx_net: Fig,
    pub nat_tx_net: Fig,
    pub disk_read: Fig,
    pub disk_write: Fig,
    pub disk_read_net: Fig,
    pub disk_write_net: Fig,
}

/// Counter growth over the window, and the same minus the baseline's rate × window.
fn counter(series: &[&Points], r: &RunData, what: &str, from_zero: bool) -> (Fig, Fig) {
    if series.is_empty() {
        let f = Fig::none(format!("no {what}"));
        return (f.clone(), f);
    }
    let sum = |a: i64, b: i64| -> Option<f64> {
        series
            .iter()
            .map(|p| series::growth(p, a, b, from_zero))
            .sum::<Option<f64>>()
    };
    let raw = Fig::of(sum(r.start, r.end), || {
        format!("no samples of {what} in the window")
    });
    let net = match r.baseline {
        None => Fig::none(NO_BASELINE),
        Some((b0, b1)) => match sum(b0, b1) {
            Some(g) => raw.minus(&Fig::some(g / (b1 - b0) as f64 * r.wall_secs() as f64)),
            None => Fig::none(format!("no samples of {what} in the baseline window")),
        },
    };
    (raw, net)
}

pub(super) fn node_figures(r: &RunData, host: &str, n: &NodeData) -> NodeFigures {
    let dur = r.wall_secs() as f64;
    let cpu = series::gauge(&n.cpu, r.start, r.end);
    let no_cpu = || "no cpu.usage_active samples in the window".to_string();
    let cpu_s = Fig::of(cpu.map(|g| g.mean / 100.0 * n.ncpus * dur), no_cpu);
    let base = |p: &Points| r.baseline.and_then(|(a, b)| series::gauge(p, a, b));
    let base_cores = match (r.baseline, base(&n.cpu)) {
        (None, _) => Fig::none(NO_BASELINE),
        (Some(_), None) => Fig::none("no cpu samples in the baseline window"),
        (Some(_), Some(g)) => Fig::some(g.mean / 100.0 * n.ncpus),
    };
    let cpu_s_net = cpu_s.minus(&Fig::of(base_cores.value.map(|c| c * dur), || {
        base_cores.why.clone().unwrap_or_default()
    }));
    let mem = series::gauge(&n.mem, r.start, r.end);
    let mem_base = match (r.baseline, base(&n.mem)) {
        (None, _) => Fig::none(NO_BASELINE),
        (Some(_), None) => Fig::none("no mem samples in the baseline window"),
        (Some(_), Some(g)) => Fig::some(g.mean),
    };
    let private: Vec<&(Points, Points)> = n
        .nics
        .iter()
        .filter(|(i, _)| **i == r.private_iface)
        .map(|(_, p)| p)
        .collect();
    let nat: Vec<&(Points, Points)> = n
        .nics
        .iter()
        .filter(|(i, _)| **i != r.private_iface)
        .map(|(_, p)| p)
        .collect();
    fn pick<'a>(v: &[&'a (Points, Points)], rx: bool) -> Vec<&'a Points> {
        v.iter().map(|p| if rx { &p.0 } else { &p.1 }).collect()
    }
    let priv_what = format!("samples of the private NIC {}", r.private_iface);
    let nat_what = format!("NIC besides the private one ({})", r.private_iface);
    let (private_rx, private_rx_net) = counter(&pick(&private, true), r, &priv_what, false);
    let (private_tx, private_tx_net) = counter(&pick(&private, false), r, &priv_what, false);
    let (nat_rx, nat_rx_net) = counter(&pick(&nat, true), r, &nat_what, false);
    let (nat_tx, nat_tx_net) = counter(&pick(&nat, false), r, &nat_what, false);
    let disks: Vec<&(Points, Points)> = n.disks.values().collect();
    let (disk_read, disk_read_net) = counter(&pick(&disks, true), r, "whole-disk samples", false);
    let (disk_write, disk_write_net) =
        counter(&pick(&disks, false), r, "whole-disk samples", false);
    NodeFigures {
        host: host.to_string(),
        ncpus: n.ncpus,
        cpu_s,
        cpu_s_net,
        base_cores,
        mean_busy_pct: Fig::of(cpu.map(|g| g.mean), no_cpu),
        steal_pct: Fig::of(
            series::gauge(&n.steal, r.start, r.end).map(|g| g.mean),
            || "no cpu.usage_steal samples in the window".into(),
        ),
        peak_cores: Fig::of(cpu.map(|g| g.peak / 100.0 * n.ncpus), no_cpu),
        mem_peak: Fig::of(mem.map(|g| g.peak), || {
            "no mem.used samples in the window".into()
        }),
        mem_base,
        private_rx,
        private_tx,
        private_rx_net,
        private_tx_net,
        nat_rx,
        nat_tx,
        nat_rx_net,
        nat_tx_net,
        disk_read,
        disk_write,
        disk_read_net,
        disk_write_net,
    }
}

/// Figures of one workload pod over the training window.
#[derive(Debug, Clone, Serialize)]
pub struct PodFigures {
    pub key: String,
    pub node: String,
    pub role: String,
    /// Kubelet: CPU-seconds (mean cores × sample interval, summed), peak cores, peak working set.
    pub cpu_s: Fig,
    pub peak_cores: Fig,
    pub mem_peak: Fig,
    /// Bytes the pod sent and received (its veth), where available.
    pub net_sent: Fig,
    pub net_recv: Fig,
    /// Docker (the thesis's source): CPU-seconds from the usage counter, peak memory.
    pub docker_cpu_s: Fig,
    pub docker_mem_peak: Fig,
}

pub(super) fn sum_in(points: &Points, r: &RunData) -> f64 {
    points
        .iter()
        .filter(|(t, _)| *t > r.start && *t <= r.end)
        .map(|p| p.1)
        .sum::<f64>()
}

/// Per-sample sums over containers (same timestamps, one kubelet answer per node).
fn per_time(series: &[&Points]) -> Points {
    series::sum_buckets(&series.iter().map(|p| (*p).clone()).collect::<Vec<_>>())
}

fn peak_in(p: &Points, r: &RunData) -> Option<f64> {
    series::gauge(p, r.start, r.end).map(|g| g.peak)
}

pub(super) fn unsupported(r: &RunData, field: &str) -> Option<String> {
    match sources::support(r.dist, field) {
        Support::No(why) => Some(format!("{field} on {}: {why}", r.dist.id())),
        _ => None,
    }
}

pub(super) fn pod_figures(r: &RunData, p: &PodData) -> PodFigures {
    let step = f64::from(r.pod_interval_s);
    let cpu: Vec<&Points> = p.cpu.values().collect();
    let mem: Vec<&Points> = p.mem.values().collect();
    let no = |what: &str| format!("no {what} samples of this pod in the window");
    let has_cpu = cpu
        .iter()
        .any(|c| series::gauge(c, r.start, r.end).is_some());
    let cpu_s = Fig::of(
        has_cpu.then(|| cpu.iter().map(|c| sum_in(c, r) * step).sum()),
        || no("kubernetes_pod_container.cpu_usage_nanocores"),
    );
    let peak_cores = Fig::of(peak_in(&per_time(&cpu), r), || {
        no("kubernetes_pod_container.cpu_usage_nanocores")
    });
    let mem_peak = Fig::of(peak_in(&per_time(&mem), r), || {
        no("kubernetes_pod_container.memory_working_set_bytes")
    });
    let (net_sent, net_recv) = pod_net(r, p);
    let docker = unsupported(r, "docker_container_cpu.usage_total");
    let (docker_cpu_s, docker_mem_peak) = match docker {
        Some(why) => (Fig::none(why.clone()), Fig::none(why)),
        None => {
            let c: Option<f64> = if p.docker_cpu.is_empty() {
                None
            } else {
                p.docker_cpu
                    .values()
                    .map(|s| series::growth(s, r.start, r.end, true))
                    .sum::<Option<f64>>()
                    .map(|ns| ns * 1e-9)
            };
            let m: Vec<&Points> = p.docker_mem.values().collect();
            (
                Fig::of(c, || no("docker_container_cpu.usage_total")),
                Fig::of(peak_in(&per_time(&m), r), || {
                    no("docker_container_mem.usage")
                }),
            )
        }
    };
    PodFigures {
        key: format!("{}/{}", p.pod.namespace, p.pod.name),
        node: p.pod.node.clone(),
        role: p.pod.role.clone(),
        cpu_s,
        peak_cores,
        mem_peak,
        net_sent,
        net_recv,
        docker_cpu_s,
        docker_mem_peak,
    }
}

/// (sent, received) of a pod: the host side of its veth receives what the pod sends.
fn pod_net(r: &RunData, p: &PodData) -> (Fig, Fig) {
    if let Some((rx, tx)) = &p.net {
        let g = |s| {
            Fig::of(series::growth(s, r.start, r.end, true), || {
                "no kubernetes_pod_network samples in the window".into()
            })
        };
        return (g(tx), g(rx));
    }
    if r.network_plugin != "canal" {
        let why = format!(
            "not available with network plugin {}: only canal's Calico CNI names a pod's host-side veth predictably; kubernetes_pod_network: {}",
            r.network_plugin,
            unsupported(r, "kubernetes_pod_network.rx_bytes / tx_bytes").unwrap_or_default()
        );
        return (Fig::none(why.clone()), Fig::none(why));
    }
    match &p.veth {
        Some((_, recv, sent)) => {
            let g = |s| {
                Fig::of(series::growth(s, r.start, r.end, true), || {
                    "no samples of the pod's veth in the window".into()
                })
            };
            (g(recv), g(sent))
        }
        None => {
            let why = format!(
                "no net samples of the pod's veth {} on {}",
                super::data::calico_veth(&p.pod.namespace, &p.pod.name),
                p.pod.node
            );
            (Fig::none(why.clone()), Fig::none(why))
        }
    }
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

/// A figure as text: its value, or "not available".
pub fn fmt_fig(f: &Fig, unit: &str) -> String {
    f.value
        .map_or_else(|| NOT_AVAILABLE.to_string(), |v| fmt(v, unit))
}

pub const NOT_AVAILABLE: &str = "not available";

fn short(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_ratios() {
        assert_eq!(fmt(1536.0, "B/s"), "1.5 KiB/s");
        assert_eq!(fmt(12.345, "%"), "12.3 %");
        assert_eq!(ratio(Some(2.0), Some(3.0)), Some(1.5));
        assert_eq!(ratio(Some(0.0), Some(3.0)), None);
        assert_eq!(fmt_fig(&Fig::none("x"), "B"), "not available");
        assert_eq!(Fig::some(5.0).minus(&Fig::some(2.0)), Fig::some(3.0));
        assert_eq!(
            Fig::some(5.0).minus(&Fig::none("b")).why.as_deref(),
            Some("b")
        );
    }
}
