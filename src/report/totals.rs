//! The run's cluster-wide figures (the comparison table's rows), from the per-node and
//! per-pod figures of `summary` and the raw samples.
use super::data::{NodeData, RunData};
use super::series::{self, Points};
use super::summary::{
    Fig, NodeFigures, PodFigures, node_figures, pod_figures, sum_in, unsupported,
};
use serde::Serialize;

/// One cluster-wide figure, as shown in the comparison table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Total {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    #[serde(flatten)]
    pub fig: Fig,
}

/// Sum of one figure over nodes or pods; not available if any part is not.
fn total_of<'a>(figs: impl Iterator<Item = &'a Fig>, none: &str) -> Fig {
    let mut sum = 0.0;
    let mut any = false;
    for f in figs {
        match f.value {
            Some(v) => {
                sum += v;
                any = true;
            }
            None => return Fig::none(f.why.clone().unwrap_or_default()),
        }
    }
    if any { Fig::some(sum) } else { Fig::none(none) }
}

/// The peak over time of a sum of gauges (bucketed so that samples of different nodes add).
fn peak_of_sum(series: Vec<Points>, r: &RunData, step: i64) -> Option<f64> {
    let b: Vec<Points> = series
        .iter()
        .map(|p| series::buckets(p, r.start, r.end, step))
        .collect();
    series::sum_buckets(&b)
        .into_iter()
        .map(|p| p.1)
        .reduce(f64::max)
}

/// All figures of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub nodes: Vec<NodeFigures>,
    pub pods: Vec<PodFigures>,
    pub totals: Vec<Total>,
    /// Platform pods (everything but the workload): CPU-seconds per namespace/pod.
    pub platform: Vec<(String, f64)>,
}

pub fn figures(r: &RunData) -> Figures {
    let nodes: Vec<NodeFigures> = r
        .nodes
        .iter()
        .filter(|(_, n)| !n.cpu.is_empty() || !n.mem.is_empty())
        .map(|(h, n)| node_figures(r, h, n))
        .collect();
    let pods: Vec<PodFigures> = r.pods.iter().map(|p| pod_figures(r, p)).collect();
    let node_step = i64::from(r.node_interval_s).max(1);
    let pod_step = i64::from(r.pod_interval_s).max(1);
    let no_nodes = "no node samples in the window";
    let no_pods = r
        .notes
        .first()
        .cloned()
        .unwrap_or_else(|| "no workload pods".into());
    let sum_n = |f: fn(&NodeFigures) -> &Fig| total_of(nodes.iter().map(f), no_nodes);
    let sum_p = |f: fn(&PodFigures) -> &Fig| total_of(pods.iter().map(f), &no_pods);
    let cpus: f64 = nodes.iter().map(|n| n.ncpus).sum();
    let dur = r.wall_secs() as f64;
    let node_cpu_s = sum_n(|n| &n.cpu_s);
    let node_cpu_s_net = sum_n(|n| &n.cpu_s_net);
    let weighted = |f: &Fig| Fig {
        value: f.value.map(|v| v / (cpus * dur) * 100.0),
        why: f.why.clone(),
    };
    let cores = |n: &NodeData| -> Points {
        n.cpu
            .iter()
            .map(|(t, v)| (*t, v / 100.0 * n.ncpus))
            .collect()
    };
    let cluster_peak = peak_of_sum(r.nodes.values().map(cores).collect(), r, node_step);
    let mem_peak = peak_of_sum(
        r.nodes.values().map(|n| n.mem.clone()).collect(),
        r,
        node_step,
    );
    let mem_base = sum_n(|n| &n.mem_base);
    let workload_cores = peak_of_sum(
        r.pods
            .iter()
            .flat_map(|p| p.cpu.values().cloned())
            .collect(),
        r,
        pod_step,
    );
    let workload_mem = peak_of_sum(
        r.pods
            .iter()
            .flat_map(|p| p.mem.values().cloned())
            .collect(),
        r,
        pod_step,
    );
    let docker_mem = peak_of_sum(
        r.pods
            .iter()
            .flat_map(|p| p.docker_mem.values().cloned())
            .collect(),
        r,
        pod_step,
    );
    let docker_why = unsupported(r, "docker_container_mem.usage");
    let platform: Vec<(String, f64)> = r
        .platform
        .iter()
        .map(|(k, p)| (k.clone(), sum_in(p, r) * f64::from(r.pod_interval_s)))
        .collect();
    let t = |id, label, unit, fig| Total {
        id,
        label,
        unit,
        fig,
    };
    let of = |v: Option<f64>, why: &str| Fig::of(v, || why.to_string());
    let pod_peak = |v: Option<f64>, field: &str| match v {
        _ if pods.is_empty() => Fig::none(no_pods.clone()),
        Some(v) => Fig::some(v),
        None => Fig::none(format!(
            "no {field} samples of the workload's pods in the window"
        )),
    };
    let totals = vec![
        t("wall", "Training time (window)", "s", Fig::some(dur)),
        t("cpus", "CPUs in the cluster", "", Fig::some(cpus)),
        t(
            "workload_cpu_s",
            "Workload CPU-seconds (kubelet)",
            "CPU·s",
            sum_p(|p| &p.cpu_s),
        ),
        t(
            "workload_cpu_s_docker",
            "Workload CPU-seconds (Docker)",
            "CPU·s",
            sum_p(|p| &p.docker_cpu_s),
        ),
        t(
            "workload_cpu_peak",
            "Workload CPU peak, all its pods together",
            "cores",
            pod_peak(
                workload_cores,
                "kubernetes_pod_container.cpu_usage_nanocores",
            ),
        ),
        t(
            "workload_mem_peak",
            "Workload memory peak (working set), all its pods",
            "B",
            pod_peak(
                workload_mem,
                "kubernetes_pod_container.memory_working_set_bytes",
            ),
        ),
        t(
            "workload_mem_peak_docker",
            "Workload memory peak (Docker), all its pods",
            "B",
            match &docker_why {
                Some(why) => Fig::none(why.clone()),
                None => pod_peak(docker_mem, "docker_container_mem.usage"),
            },
        ),
        t(
            "workload_net_sent",
            "Workload network sent (pod veths)",
            "B",
            sum_p(|p| &p.net_sent),
        ),
        t(
            "workload_net_recv",
            "Workload network received (pod veths)",
            "B",
            sum_p(|p| &p.net_recv),
        ),
        t(
            "node_cpu_s",
            "Node CPU-seconds, all nodes",
            "CPU·s",
            node_cpu_s.clone(),
        ),
        t(
            "node_cpu_s_net",
            "Node CPU-seconds minus idle baseline",
            "CPU·s",
            node_cpu_s_net.clone(),
        ),
        t(
            "node_cpu_mean",
            "Node CPU busy, mean (weighted by cores)",
            "%",
            weighted(&node_cpu_s),
        ),
        t(
            "node_cpu_mean_net",
            "Node CPU busy above baseline, mean (weighted by cores)",
            "%",
            weighted(&node_cpu_s_net),
        ),
        t(
            "node_cpu_steal",
            "CPU stolen by the hypervisor, mean (weighted by cores)",
            "%",
            {
                let parts: Option<f64> = nodes
                    .iter()
                    .map(|n| n.steal_pct.value.map(|v| v * n.ncpus))
                    .sum();
                of(parts.filter(|_| cpus > 0.0).map(|v| v / cpus), no_nodes)
            },
        ),
        t(
            "node_cpu_peak_busiest",
            "CPU peak of the busiest node",
            "cores",
            of(
                nodes
                    .iter()
                    .filter_map(|n| n.peak_cores.value)
                    .reduce(f64::max),
                no_nodes,
            ),
        ),
        t(
            "node_cpu_peak_cluster",
            "CPU peak, all nodes together",
            "cores",
            of(cluster_peak, no_nodes),
        ),
        t(
            "node_mem_peak",
            "Memory used peak, all nodes together",
            "B",
            of(mem_peak, no_nodes),
        ),
        t(
            "node_mem_peak_net",
            "Memory used peak above baseline, all nodes",
            "B",
            of(mem_peak, no_nodes).minus(&mem_base),
        ),
        t(
            "private_rx",
            "Private NIC received (between nodes), all nodes",
            "B",
            sum_n(|n| &n.private_rx),
        ),
        t(
            "private_rx_net",
            "Private NIC received minus baseline",
            "B",
            sum_n(|n| &n.private_rx_net),
        ),
        t(
            "private_tx",
            "Private NIC sent (between nodes), all nodes",
            "B",
            sum_n(|n| &n.private_tx),
        ),
        t(
            "private_tx_net",
            "Private NIC sent minus baseline",
            "B",
            sum_n(|n| &n.private_tx_net),
        ),
        t(
            "nat_rx",
            "NAT NIC received (pulls, downloads), all nodes",
            "B",
            sum_n(|n| &n.nat_rx),
        ),
        t(
            "nat_rx_net",
            "NAT NIC received minus baseline",
            "B",
            sum_n(|n| &n.nat_rx_net),
        ),
        t(
            "nat_tx",
            "NAT NIC sent, all nodes",
            "B",
            sum_n(|n| &n.nat_tx),
        ),
        t(
            "disk_read",
            "Disk read, all nodes",
            "B",
            sum_n(|n| &n.disk_read),
        ),
        t(
            "disk_write",
            "Disk written, all nodes",
            "B",
            sum_n(|n| &n.disk_write),
        ),
        t(
            "disk_write_net",
            "Disk written minus baseline",
            "B",
            sum_n(|n| &n.disk_write_net),
        ),
        t(
            "platform_cpu_s",
            "Platform pods' CPU-seconds (not the workload)",
            "CPU·s",
            of(
                (!platform.is_empty()).then(|| platform.iter().map(|p| p.1).sum()),
                "no kubernetes_pod_container samples of other pods",
            ),
        ),
    ];
    Figures {
        nodes,
        pods,
        totals,
        platform,
    }
}
