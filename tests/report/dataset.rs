//! A Telegraf-shaped data set with known shapes, and the figures expected from it, computed
//! here from the raw points (not by mlk's code).
use std::collections::BTreeMap;

pub struct Point {
    pub measurement: &'static str,
    pub tags: Vec<(&'static str, String)>,
    pub fields: Vec<(&'static str, f64)>,
    pub t: i64,
}

impl Point {
    fn line(&self) -> String {
        let tags: String = self.tags.iter().map(|(k, v)| format!(",{k}={v}")).collect();
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{}{tags} {} {}", self.measurement, fields.join(","), self.t)
    }
    fn tag(&self, k: &str) -> &str {
        self.tags
            .iter()
            .find(|t| t.0 == k)
            .map_or("", |t| t.1.as_str())
    }
    fn field(&self, k: &str) -> Option<f64> {
        self.fields.iter().find(|f| f.0 == k).map(|f| f.1)
    }
}

pub fn line_protocol(points: &[Point]) -> String {
    points.iter().map(|p| p.line() + "\n").collect()
}

/// One node of a run: CPUs and CPU busy % per 10 s sample (index = sample number).
pub struct NodeShape {
    pub host: &'static str,
    pub ncpus: f64,
    pub busy: Vec<f64>,
    pub net_rx_rate: f64,
    pub disk_write_rate: f64,
}

/// One pod: where it runs and its cores.
pub struct PodShape {
    pub namespace: &'static str,
    pub pod: &'static str,
    pub node: &'static str,
    pub containers: Vec<(&'static str, f64)>,
    pub mem: f64,
    pub rx_rate: f64,
}

pub struct RunShape {
    pub start: i64,
    pub samples: i64,
    pub nodes: Vec<NodeShape>,
    pub pods: Vec<PodShape>,
}

const STEP: i64 = 10;
const GIB: f64 = 1073741824.0;

fn p(
    measurement: &'static str,
    tags: Vec<(&'static str, String)>,
    fields: Vec<(&'static str, f64)>,
    t: i64,
) -> Point {
    Point {
        measurement,
        tags,
        fields,
        t,
    }
}

/// Points for a run, plus noise just outside its window that the report must not count.
pub fn points(r: &RunShape) -> Vec<Point> {
    let mut out = Vec::new();
    for k in -3..r.samples + 3 {
        let t = r.start + k * STEP;
        let inside = (0..r.samples).contains(&k);
        for n in &r.nodes {
            let host = || ("host", n.host.to_string());
            let busy = if inside { n.busy[k as usize] } else { 100.0 };
            out.push(p(
                "cpu",
                vec![("cpu", "cpu-total".into()), host()],
                vec![
                    ("usage_idle", 100.0 - busy),
                    ("usage_user", busy * 0.8),
                    ("usage_system", busy * 0.2),
                ],
                t,
            ));
            // A per-CPU series the report must ignore (only cpu-total counts).
            out.push(p(
                "cpu",
                vec![("cpu", "cpu0".into()), host()],
                vec![("usage_idle", 0.0)],
                t,
            ));
            out.push(p(
                "system",
                vec![host()],
                vec![("n_cpus", n.ncpus), ("load1", 1.0)],
                t,
            ));
            let used = 2.0 * GIB + k as f64 * 10.0 * 1048576.0;
            out.push(p(
                "mem",
                vec![host()],
                vec![("used", used), ("used_percent", used / (8.0 * GIB) * 100.0)],
                t,
            ));
            let secs = (k * STEP) as f64;
            out.push(p(
                "net",
                vec![("interface", "eth0".into()), host()],
                vec![
                    ("bytes_recv", 1e9 + n.net_rx_rate * secs),
                    ("bytes_sent", 5e8 + 0.5 * n.net_rx_rate * secs),
                ],
                t,
            ));
            // Loopback, and the pod-side interfaces that carry the same traffic again, are
            // left out by the report.
            for nic in ["lo", "cni0", "veth1a2b3c", "flannel.1"] {
                out.push(p(
                    "net",
                    vec![("interface", nic.into()), host()],
                    vec![("bytes_recv", 1e6 * secs), ("bytes_sent", 1e6 * secs)],
                    t,
                ));
            }
            // Partitions and LVM volumes repeat the bytes of the disk below them.
            for (dev, share) in [("sda", 1.0), ("sda3", 0.9), ("dm-0", 0.9)] {
                out.push(p(
                    "diskio",
                    vec![("name", dev.into()), host()],
                    vec![
                        ("read_bytes", 4096.0 * secs * share),
                        ("write_bytes", (1e7 + n.disk_write_rate * secs) * share),
                    ],
                    t,
                ));
            }
        }
        if !inside {
            continue;
        }
        for pod in &r.pods {
            let pt = |extra: Vec<(&'static str, String)>| {
                let mut v = vec![
                    ("namespace", pod.namespace.to_string()),
                    ("pod_name", pod.pod.to_string()),
                    ("node_name", pod.node.to_string()),
                ];
                v.extend(extra);
                v
            };
            for (c, cores) in &pod.containers {
                out.push(p(
                    "kubernetes_pod_container",
                    pt(vec![("container_name", c.to_string())]),
                    vec![
                        ("cpu_usage_nanocores", cores * 1e9),
                        ("memory_usage_bytes", pod.mem / pod.containers.len() as f64),
                        ("rootfs_used_bytes", 1048576.0),
                    ],
                    t,
                ));
            }
            let secs = (k * STEP) as f64;
            out.push(p(
                "kubernetes_pod_network",
                pt(vec![]),
                vec![
                    ("rx_bytes", pod.rx_rate * secs),
                    ("tx_bytes", 0.25 * pod.rx_rate * secs),
                ],
                t,
            ));
        }
    }
    out
}

/// Figures expected for a run, from the raw points inside [start, end).
pub struct Expected {
    pub node_cpu_seconds: f64,
    pub node_cpu_peak: f64,
    pub node_cpu_mean: f64,
    pub pod_cpu_seconds: f64,
    pub net_rx_total: f64,
    pub disk_write_total: f64,
    pub per_node_cpu_seconds: BTreeMap<String, f64>,
}

pub fn expected(points: &[Point], start: i64, end: i64) -> Expected {
    let inside: Vec<&Point> = points
        .iter()
        .filter(|p| p.t >= start && p.t < end)
        .collect();
    let ncpus: BTreeMap<&str, f64> = inside
        .iter()
        .filter(|p| p.measurement == "system")
        .map(|p| (p.tag("host"), p.field("n_cpus").unwrap()))
        .collect();
    let mut per_node: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for p in inside
        .iter()
        .filter(|p| p.measurement == "cpu" && p.tag("cpu") == "cpu-total")
    {
        per_node
            .entry(p.tag("host").to_string())
            .or_default()
            .push(100.0 - p.field("usage_idle").unwrap());
    }
    let per_node_cpu_seconds: BTreeMap<String, f64> = per_node
        .iter()
        .map(|(h, v)| {
            (
                h.clone(),
                v.iter()
                    .map(|b| b / 100.0 * ncpus[h.as_str()] * STEP as f64)
                    .sum(),
            )
        })
        .collect();
    let pod_cpu_seconds = inside
        .iter()
        .filter(|p| p.measurement == "kubernetes_pod_container")
        .map(|p| p.field("cpu_usage_nanocores").unwrap() / 1e9 * STEP as f64)
        .sum();
    // Counters: growth from the sample at `start` to the sample at `end`, per series.
    let growth = |m: &str, field: &str, tag: &str, keep: fn(&str) -> bool| {
        let mut by: BTreeMap<(String, String), BTreeMap<i64, f64>> = BTreeMap::new();
        for p in points
            .iter()
            .filter(|p| p.measurement == m && keep(p.tag(tag)))
        {
            by.entry((p.tag("host").into(), p.tag(tag).into()))
                .or_default()
                .insert(p.t, p.field(field).unwrap());
        }
        by.values().map(|v| v[&end] - v[&start]).sum::<f64>()
    };
    let means: Vec<f64> = per_node
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    Expected {
        node_cpu_seconds: per_node_cpu_seconds.values().sum(),
        node_cpu_peak: per_node
            .values()
            .flatten()
            .copied()
            .fold(f64::MIN, f64::max),
        node_cpu_mean: means.iter().sum::<f64>() / means.len() as f64,
        pod_cpu_seconds,
        net_rx_total: growth("net", "bytes_recv", "interface", |i| i == "eth0"),
        disk_write_total: growth("diskio", "write_bytes", "name", |d| d == "sda"),
        per_node_cpu_seconds,
    }
}

/// Mono: one node at 50 % of 4 CPUs for 300 s; the MNIST pod uses 1.9 cores.
pub fn mono(start: i64) -> RunShape {
    RunShape {
        start,
        samples: 30,
        nodes: vec![NodeShape {
            host: "node1",
            ncpus: 4.0,
            busy: vec![50.0; 30],
            net_rx_rate: 20_000.0,
            disk_write_rate: 2e6,
        }],
        pods: vec![
            PodShape {
                namespace: "mlk-workloads",
                pod: "mnist-x7k2p",
                node: "node1",
                containers: vec![("tensorflow", 1.9)],
                mem: 1.2 * GIB,
                rx_rate: 10_000.0,
            },
            PodShape {
                namespace: "kube-system",
                pod: "kube-proxy-4xv9d",
                node: "node1",
                containers: vec![("kube-proxy", 0.05)],
                mem: 0.05 * GIB,
                rx_rate: 100.0,
            },
        ],
    }
}

/// Distributed: three nodes of 2 CPUs at 20/15/15 % (node1 peaks at 60 % once) for 200 s.
pub fn distributed(start: i64) -> RunShape {
    let mut n1 = vec![20.0; 20];
    n1[5] = 60.0;
    RunShape {
        start,
        samples: 20,
        nodes: vec![
            NodeShape {
                host: "node1",
                ncpus: 2.0,
                busy: n1,
                net_rx_rate: 400_000.0,
                disk_write_rate: 1e6,
            },
            NodeShape {
                host: "node2",
                ncpus: 2.0,
                busy: vec![15.0; 20],
                net_rx_rate: 300_000.0,
                disk_write_rate: 5e5,
            },
            NodeShape {
                host: "node3",
                ncpus: 2.0,
                busy: vec![15.0; 20],
                net_rx_rate: 300_000.0,
                disk_write_rate: 5e5,
            },
        ],
        pods: vec![
            PodShape {
                namespace: "mlk-workloads",
                pod: "mnist-ps-0",
                node: "node1",
                containers: vec![("tensorflow", 0.2)],
                mem: 0.4 * GIB,
                rx_rate: 300_000.0,
            },
            PodShape {
                namespace: "mlk-workloads",
                pod: "mnist-worker-0",
                node: "node2",
                containers: vec![("tensorflow", 0.25), ("sidecar", 0.01)],
                mem: 0.6 * GIB,
                rx_rate: 250_000.0,
            },
            PodShape {
                namespace: "mlk-workloads",
                pod: "mnist-worker-1",
                node: "node3",
                containers: vec![("tensorflow", 0.25)],
                mem: 0.6 * GIB,
                rx_rate: 250_000.0,
            },
        ],
    }
}
