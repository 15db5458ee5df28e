//! A data set shaped exactly as Telegraf 1.39.3 writes it (measurements, tags, field names and
//! types, nanosecond time stamps; docs/contracts.md "Telegraf measurements" cites each), with
//! known shapes, traps the report must ignore, and the figures expected from the shapes,
//! worked out here by hand (not by mlk's code).
//!
//! Time line of a run: samples from `tb - 15`; idle baseline (tb, tb+B]; a gap; the training
//! window (t0, t0+W]; samples until `t0 + W + 25`. Node inputs every 1 s, pod inputs every 10 s.
use mlk::runs::{ContainerRecord, Measure, Outcome, PodRecord, RunRecord, Window};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::fmt::Write;

pub const GIB: f64 = 1073741824.0;

/// One node's shape.
pub struct Node {
    pub host: &'static str,
    pub ncpus: f64,
    /// CPU busy % in the baseline, and per second of the window (index 0 = t0+1).
    pub base_busy: f64,
    pub busy: Vec<f64>,
    /// Constant iowait and steal %, on top of busy (usage_active = busy + iowait + steal).
    pub iowait: f64,
    pub steal: f64,
    pub mem_base: f64,
    /// Memory used per second of the window.
    pub mem: Vec<f64>,
    /// Private NIC (eth1) and NAT NIC (eth0) receive rates, B/s; sent is half of it.
    pub priv_base: f64,
    pub priv_rate: f64,
    pub nat_base: f64,
    pub nat_rate: f64,
    /// Second of the window after which eth1's counters restart from 0 (interface reset).
    pub reset_at: Option<i64>,
    pub disk_base: f64,
    pub disk_rate: f64,
    /// Whether Telegraf's system input (n_cpus) wrote anything.
    pub system: bool,
}

/// One pod's shape (constant over its life).
pub struct Pod {
    pub ns: &'static str,
    pub name: &'static str,
    pub node: &'static str,
    pub role: &'static str,
    pub serves: bool,
    pub workload: bool,
    pub cores: f64,
    pub working_set: f64,
    /// What the pod sends and receives, B/s (its veth's host side sees it the other way).
    pub sent: f64,
    pub recv: f64,
}

pub struct Run {
    pub name: &'static str,
    pub cluster: &'static str,
    /// Baseline start and length, window start and length.
    pub tb: i64,
    pub b: i64,
    pub t0: i64,
    pub w: i64,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    /// Whether the docker input wrote docker_container_mem (a missing field when false).
    pub docker_mem: bool,
    /// Seconds between node samples (1 with mlk's Telegraf values, 10 with the chart's).
    pub node_step: i64,
}

/// Telegraf's line protocol: tags sorted by key, ints with `i`, floats plain, strings quoted,
/// nanosecond time stamps (plugins/serializers/influx; uint64 becomes int when
/// influx_uint_support is off, the default).
pub struct Line {
    measurement: &'static str,
    tags: BTreeMap<String, String>,
    fields: Vec<(String, String)>,
    t: i64,
}

enum F {
    I(i64),
    Fl(f64),
    S(&'static str),
}

fn line(measurement: &'static str, tags: &[(&str, &str)], fields: &[(&str, F)], t: i64) -> Line {
    Line {
        measurement,
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        fields: fields
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    F::I(i) => format!("{i}i"),
                    F::Fl(f) => format!("{f}"),
                    F::S(s) => format!("\"{s}\""),
                };
                (k.to_string(), v)
            })
            .collect(),
        t,
    }
}

pub fn line_protocol(lines: &[Line]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(l.measurement);
        for (k, v) in &l.tags {
            let _ = write!(out, ",{k}={v}");
        }
        let f: Vec<String> = l.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, " {} {}", f.join(","), l.t * 1_000_000_000);
    }
    out
}

pub fn veth(ns: &str, pod: &str) -> String {
    format!(
        "cali{}",
        &hex::encode(Sha1::digest(format!("{ns}.{pod}").as_bytes()))[..11]
    )
}

impl Run {
    pub fn end(&self) -> i64 {
        self.t0 + self.w
    }

    fn busy_at(&self, n: &Node, t: i64) -> f64 {
        if t <= self.tb {
            97.0 // before the baseline: must not count
        } else if t <= self.tb + self.b {
            n.base_busy
        } else if t <= self.t0 {
            50.0 // the gap between baseline and window
        } else if t <= self.end() {
            n.busy[(t - self.t0 - 1) as usize]
        } else {
            99.0
        }
    }

    fn mem_at(&self, n: &Node, t: i64) -> f64 {
        if t > self.tb && t <= self.tb + self.b {
            n.mem_base
        } else if t > self.t0 && t <= self.end() {
            n.mem[(t - self.t0 - 1) as usize]
        } else {
            64.0 * GIB
        }
    }

    /// A counter whose rate is `base` up to the baseline's end, 5× `base` in the gap, `rate`
    /// in the window and 100× after it; it restarts from 0 after second `reset` of the window.
    fn counter(&self, t: i64, start: f64, base: f64, rate: f64, reset: Option<i64>) -> f64 {
        let be = self.tb + self.b;
        let seg = |a: i64, b: i64| (t.min(b) - a).max(0) as f64;
        let mut v = start
            + base * seg(self.tb - 100, be)
            + 5.0 * base * seg(be, self.t0)
            + rate * seg(self.t0, self.end())
            + 100.0 * rate * seg(self.end(), i64::MAX);
        if let Some(r) = reset
            && t > self.t0 + r
        {
            // Only what came after the reset remains.
            v = rate * (t.min(self.end()) - self.t0 - r) as f64
                + 100.0 * rate * seg(self.end(), i64::MAX);
        }
        v
    }

    /// Every point Telegraf would have written around this run.
    pub fn points(&self) -> Vec<Line> {
        let mut out = Vec::new();
        for t in (self.tb - 15..=self.end() + 25).filter(|t| (t - self.t0) % self.node_step == 0) {
            for n in &self.nodes {
                self.node_points(n, t, &mut out);
            }
        }
        // Pod inputs every 10 s, aligned on t0.
        let mut t = self.t0 - 30;
        while t <= self.end() + 25 {
            for p in &self.pods {
                self.pod_points(p, t, &mut out);
            }
            t += 10;
        }
        out
    }

    fn node_points(&self, n: &Node, t: i64, out: &mut Vec<Line>) {
        let host = n.host;
        let busy = self.busy_at(n, t);
        let active = busy + n.iowait + n.steal;
        let idle = 100.0 - active;
        out.push(line(
            "cpu",
            &[("cpu", "cpu-total"), ("host", host)],
            &[
                ("usage_user", F::Fl(busy * 0.7)),
                ("usage_system", F::Fl(busy * 0.3)),
                ("usage_idle", F::Fl(idle)),
                ("usage_nice", F::Fl(0.0)),
                ("usage_iowait", F::Fl(n.iowait)),
                ("usage_irq", F::Fl(0.0)),
                ("usage_softirq", F::Fl(0.0)),
                ("usage_steal", F::Fl(n.steal)),
                ("usage_guest", F::Fl(0.0)),
                ("usage_guest_nice", F::Fl(0.0)),
                ("usage_active", F::Fl(active)),
            ],
            t,
        ));
        // A per-CPU series (percpu is off in mlk's values; a trap if it were on).
        out.push(line(
            "cpu",
            &[("cpu", "cpu0"), ("host", host)],
            &[("usage_active", F::Fl(100.0)), ("usage_idle", F::Fl(0.0))],
            t,
        ));
        if n.system {
            out.push(line(
                "system",
                &[("host", host)],
                &[
                    ("load1", F::Fl(1.5)),
                    ("load5", F::Fl(1.2)),
                    ("load15", F::Fl(1.0)),
                    ("n_cpus", F::I(n.ncpus as i64)),
                    ("n_physical_cpus", F::I(n.ncpus as i64)),
                    ("n_users", F::I(1)),
                    ("n_unique_users", F::I(1)),
                ],
                t,
            ));
            out.push(line(
                "system",
                &[("host", host)],
                &[("uptime", F::I(86_400 + t % 1000))],
                t,
            ));
        }
        let used = self.mem_at(n, t);
        let total = 128.0 * GIB;
        out.push(line(
            "mem",
            &[("host", host)],
            &[
                ("total", F::I(total as i64)),
                ("available", F::I((total - used) as i64)),
                ("used", F::I(used as i64)),
                ("free", F::I((total - used) as i64 / 2)),
                ("cached", F::I(GIB as i64)),
                ("buffered", F::I(0)),
                ("used_percent", F::Fl(used / total * 100.0)),
                ("available_percent", F::Fl((total - used) / total * 100.0)),
            ],
            t,
        ));
        let nic = |out: &mut Vec<Line>, iface: &str, recv: f64| {
            out.push(line(
                "net",
                &[("host", host), ("interface", iface)],
                &[
                    ("bytes_sent", F::I((recv / 2.0) as i64)),
                    ("bytes_recv", F::I(recv as i64)),
                    ("packets_sent", F::I((recv / 3000.0) as i64)),
                    ("packets_recv", F::I((recv / 1500.0) as i64)),
                    ("err_in", F::I(0)),
                    ("err_out", F::I(0)),
                    ("drop_in", F::I(0)),
                    ("drop_out", F::I(0)),
                    ("speed", F::I(1000)),
                ],
                t,
            ));
        };
        nic(
            out,
            "eth1",
            self.counter(t, 1e9, n.priv_base, n.priv_rate, n.reset_at),
        );
        nic(
            out,
            "eth0",
            self.counter(t, 5e9, n.nat_base, n.nat_rate, None),
        );
        // Not node traffic: loopback and the pod network's own interfaces.
        for iface in ["lo", "cni0", "flannel.1", "tunl0"] {
            nic(out, iface, self.counter(t, 0.0, 1e6, 1e7, None));
        }
        // Host side of each pod's veth on this node, from its start (t0) on.
        for p in self.pods.iter().filter(|p| p.node == n.host) {
            if t > self.t0 && (p.serves || t <= self.end() || !p.workload) {
                let life = (t - self.t0) as f64;
                let v = veth(p.ns, p.name);
                out.push(line(
                    "net",
                    &[("host", host), ("interface", &v)],
                    &[
                        // The veth's host side receives what the pod sends.
                        ("bytes_recv", F::I((p.sent * life) as i64)),
                        ("bytes_sent", F::I((p.recv * life) as i64)),
                        ("packets_recv", F::I(0)),
                        ("packets_sent", F::I(0)),
                        ("speed", F::I(10000)),
                    ],
                    t,
                ));
            }
        }
        // sda and, repeating its bytes, a partition and an LVM volume.
        let written = self.counter(t, 3e9, n.disk_base, n.disk_rate, None);
        for (name, share) in [("sda", 1.0), ("sda3", 0.9), ("dm-0", 0.9)] {
            out.push(line(
                "diskio",
                &[("host", host), ("name", name)],
                &[
                    ("reads", F::I(1000)),
                    ("writes", F::I(2000)),
                    ("read_bytes", F::I((4096.0 * t as f64 * share / 1e3) as i64)),
                    ("write_bytes", F::I((written * share) as i64)),
                    ("read_time", F::I(10)),
                    ("write_time", F::I(20)),
                    ("io_time", F::I(30)),
                    ("weighted_io_time", F::I(40)),
                    ("iops_in_progress", F::I(0)),
                    ("merged_reads", F::I(0)),
                    ("merged_writes", F::I(0)),
                ],
                t,
            ));
        }
    }

    fn pod_points(&self, p: &Pod, t: i64, out: &mut Vec<Line>) {
        // Workload pods live from t0 (serving ones until 20 s after the chief is done);
        // platform pods all along.
        let alive = if p.workload {
            t > self.t0 && (t <= self.end() || (p.serves && t <= self.end() + 20))
        } else {
            true
        };
        if !alive {
            return;
        }
        let life = (t - self.t0).max(0) as f64;
        let image = "tensorflow/tensorflow:2.15.0";
        out.push(line(
            "kubernetes_pod_container",
            &[
                ("container_name", "tensorflow"),
                ("host", p.node),
                ("image", image),
                ("namespace", p.ns),
                ("node_name", p.node),
                ("pod_name", p.name),
                ("version", "2.15.0"),
            ],
            &[
                ("cpu_usage_nanocores", F::I((p.cores * 1e9) as i64)),
                (
                    "cpu_usage_core_nanoseconds",
                    F::I((p.cores * life * 1e9) as i64),
                ),
                // cri-dockerd fills neither: the kubelet's summary carries 0.
                ("memory_usage_bytes", F::I(0)),
                ("memory_working_set_bytes", F::I(p.working_set as i64)),
                ("memory_rss_bytes", F::I(0)),
                ("memory_page_faults", F::I(0)),
                ("memory_major_page_faults", F::I(0)),
                ("rootfs_available_bytes", F::I(20_000_000_000)),
                ("rootfs_capacity_bytes", F::I(60_000_000_000)),
                ("rootfs_used_bytes", F::I(40960)),
                ("logsfs_available_bytes", F::I(20_000_000_000)),
                ("logsfs_capacity_bytes", F::I(60_000_000_000)),
                ("logsfs_used_bytes", F::I(4096)),
            ],
            t,
        ));
        // Zero on RKE1 (no pod network stats from cri-dockerd): a trap.
        out.push(line(
            "kubernetes_pod_network",
            &[
                ("host", p.node),
                ("namespace", p.ns),
                ("node_name", p.node),
                ("pod_name", p.name),
            ],
            &[
                ("rx_bytes", F::I(0)),
                ("rx_errors", F::I(0)),
                ("tx_bytes", F::I(0)),
                ("tx_errors", F::I(0)),
            ],
            t,
        ));
        // Docker: the app container and the pod's sandbox (pause, 0.001 cores).
        for (container, cores, mem) in [("tensorflow", p.cores, p.working_set), ("POD", 0.001, 1e6)]
        {
            let cname = format!("k8s_{container}_{}_{}_uid_0", p.name, p.ns);
            let labels: Vec<(&str, &str)> = vec![
                (
                    "container_image",
                    if container == "POD" {
                        "rancher/mirrored-pause"
                    } else {
                        "tensorflow/tensorflow"
                    },
                ),
                ("container_name", &cname),
                ("container_status", "running"),
                (
                    "container_version",
                    if container == "POD" { "3.6" } else { "2.15.0" },
                ),
                ("engine_host", p.node),
                ("host", p.node),
                ("io.kubernetes.container.name", container),
                (
                    "io.kubernetes.docker.type",
                    if container == "POD" {
                        "podsandbox"
                    } else {
                        "container"
                    },
                ),
                ("io.kubernetes.pod.name", p.name),
                ("io.kubernetes.pod.namespace", p.ns),
                ("io.kubernetes.pod.uid", "uid"),
                ("server_version", "28.1.1"),
            ];
            let mut cpu_tags = labels.clone();
            cpu_tags.push(("cpu", "cpu-total"));
            out.push(line(
                "docker_container_cpu",
                &cpu_tags,
                &[
                    ("usage_total", F::I((cores * life * 1e9) as i64)),
                    ("usage_in_usermode", F::I((cores * life * 0.8e9) as i64)),
                    ("usage_in_kernelmode", F::I((cores * life * 0.2e9) as i64)),
                    ("usage_system", F::I(t * 1_000_000_000)),
                    ("throttling_periods", F::I(0)),
                    ("throttling_throttled_periods", F::I(0)),
                    ("throttling_throttled_time", F::I(0)),
                    ("usage_percent", F::Fl(cores * 100.0)),
                    ("container_id", F::S("0123456789abcdef")),
                ],
                t,
            ));
            if self.docker_mem {
                out.push(line(
                    "docker_container_mem",
                    &labels,
                    &[
                        ("usage", F::I(mem as i64)),
                        ("limit", F::I((16.0 * GIB) as i64)),
                        ("max_usage", F::I(0)),
                        ("usage_percent", F::Fl(mem / (16.0 * GIB) * 100.0)),
                        ("active_anon", F::I(0)),
                        ("inactive_file", F::I(0)),
                        ("container_id", F::S("0123456789abcdef")),
                    ],
                    t,
                ));
            }
        }
    }

    /// The run record `run-workload` would have written.
    pub fn record(&self, network_plugin: &str) -> RunRecord {
        let rfc = mlk::report::time::rfc3339;
        let pods = self
            .pods
            .iter()
            .filter(|p| p.workload)
            .map(|p| PodRecord {
                namespace: p.ns.into(),
                name: p.name.into(),
                node: p.node.into(),
                role: p.role.into(),
                serves: p.serves,
                containers: vec![ContainerRecord {
                    name: "tensorflow".into(),
                    started_at: Some(rfc(self.t0)),
                    finished_at: (!p.serves).then(|| rfc(self.end())),
                    exit_code: (!p.serves).then_some(0),
                    restarts: 0,
                }],
            })
            .collect::<Vec<_>>();
        let window = mlk::workload::window::training(&pods).expect("window");
        RunRecord {
            name: self.name.into(),
            cluster: self.cluster.into(),
            profile: self.cluster.into(),
            workload: "mnist".into(),
            start: rfc(self.tb - 120),
            end: Some(rfc(self.end() + 40)),
            outcome: Outcome::Succeeded,
            nodes: self.nodes.iter().map(|n| n.host.to_string()).collect(),
            controlplane: "node1".into(),
            measure: Some(Measure {
                window: Some(window),
                baseline: Some(Window {
                    start: rfc(self.tb),
                    end: rfc(self.tb + self.b),
                    source: "node-clock".into(),
                }),
                pods,
                distribution: "rke1-docker".into(),
                network_plugin: network_plugin.into(),
                private_iface: "eth1".into(),
                node_interval_s: 1,
                pod_interval_s: 10,
                images: vec!["tensorflow/tensorflow:2.15.0".into()],
                dataset: Some("/opt/mlk/datasets/mnist.npz".into()),
                training: Some("test".into()),
                node_specs: vec![],
            }),
            samples: None,
            samples_error: None,
        }
    }
}

/// Figures expected from the shapes (worked out by hand from the definitions in
/// docs/measurement.md).
pub struct Expected {
    pub totals: BTreeMap<&'static str, f64>,
    pub node_cpu_s: BTreeMap<&'static str, f64>,
}

impl Run {
    pub fn expected(&self) -> Expected {
        let w = self.w as f64;
        let mut t: BTreeMap<&'static str, f64> = BTreeMap::new();
        let mut node_cpu_s = BTreeMap::new();
        let cpus: f64 = self.nodes.iter().map(|n| n.ncpus).sum();
        let (mut cpu, mut cpu_net, mut steal) = (0.0, 0.0, 0.0);
        let (mut prx, mut prx_net, mut ptx, mut nat_rx, mut disk_w, mut disk_w_net) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut busiest: f64 = 0.0;
        for n in &self.nodes {
            let mean: f64 = n.busy.iter().sum::<f64>() / w;
            let s = mean / 100.0 * n.ncpus * w;
            node_cpu_s.insert(n.host, s);
            cpu += s;
            cpu_net += s - n.base_busy / 100.0 * n.ncpus * w;
            steal += n.steal * n.ncpus;
            busiest = busiest.max(n.busy.iter().copied().fold(0.0, f64::max) / 100.0 * n.ncpus);
            // Counter resets do not lose bytes: growth is the rate × window.
            prx += n.priv_rate * w;
            prx_net += (n.priv_rate - n.priv_base) * w;
            ptx += n.priv_rate / 2.0 * w;
            nat_rx += n.nat_rate * w;
            disk_w += n.disk_rate * w;
            disk_w_net += (n.disk_rate - n.disk_base) * w;
        }
        let cluster_peak = (0..self.w as usize)
            .map(|k| {
                self.nodes
                    .iter()
                    .map(|n| n.busy[k] / 100.0 * n.ncpus)
                    .sum::<f64>()
            })
            .fold(0.0, f64::max);
        let mem_peak = (0..self.w as usize)
            .map(|k| self.nodes.iter().map(|n| n.mem[k]).sum::<f64>())
            .fold(0.0, f64::max);
        let mem_base: f64 = self.nodes.iter().map(|n| n.mem_base).sum();
        let wl: Vec<&Pod> = self.pods.iter().filter(|p| p.workload).collect();
        let wl_cores: f64 = wl.iter().map(|p| p.cores).sum();
        t.insert("wall", w);
        t.insert("cpus", cpus);
        // Kubelet: one 10 s sample per 10 s of the window, each worth 10 s.
        t.insert("workload_cpu_s", wl_cores * w);
        // Docker's CPU counter also counts the sandbox (pause) containers.
        t.insert(
            "workload_cpu_s_docker",
            (wl_cores + 0.001 * wl.len() as f64) * w,
        );
        t.insert("workload_cpu_peak", wl_cores);
        t.insert("workload_mem_peak", wl.iter().map(|p| p.working_set).sum());
        if self.docker_mem {
            t.insert(
                "workload_mem_peak_docker",
                wl.iter().map(|p| p.working_set + 1e6).sum(),
            );
        }
        t.insert("workload_net_sent", wl.iter().map(|p| p.sent * w).sum());
        t.insert("workload_net_recv", wl.iter().map(|p| p.recv * w).sum());
        t.insert("node_cpu_s", cpu);
        t.insert("node_cpu_s_net", cpu_net);
        t.insert("node_cpu_mean", cpu / (cpus * w) * 100.0);
        t.insert("node_cpu_mean_net", cpu_net / (cpus * w) * 100.0);
        t.insert("node_cpu_steal", steal / cpus);
        t.insert("node_cpu_peak_busiest", busiest);
        t.insert("node_cpu_peak_cluster", cluster_peak);
        t.insert("node_mem_peak", mem_peak);
        t.insert("node_mem_peak_net", mem_peak - mem_base);
        t.insert("private_rx", prx);
        t.insert("private_rx_net", prx_net);
        t.insert("private_tx", ptx);
        t.insert("nat_rx", nat_rx);
        t.insert("disk_write", disk_w);
        t.insert("disk_write_net", disk_w_net);
        t.insert(
            "platform_cpu_s",
            self.pods
                .iter()
                .filter(|p| !p.workload)
                .map(|p| p.cores * w)
                .sum(),
        );
        Expected {
            totals: t,
            node_cpu_s,
        }
    }
}

fn node(host: &'static str, ncpus: f64, base_busy: f64, busy: Vec<f64>) -> Node {
    let w = busy.len();
    Node {
        host,
        ncpus,
        base_busy,
        busy,
        iowait: 2.0,
        steal: 1.0,
        mem_base: 6.0 * GIB,
        mem: (0..w).map(|k| 7.0 * GIB + k as f64 * 1048576.0).collect(),
        priv_base: 2_000.0,
        priv_rate: 2_000.0,
        nat_base: 500.0,
        nat_rate: 500.0,
        reset_at: None,
        disk_base: 1e5,
        disk_rate: 1e6,
        system: true,
    }
}

fn pod(
    ns: &'static str,
    name: &'static str,
    node: &'static str,
    role: &'static str,
    cores: f64,
) -> Pod {
    Pod {
        ns,
        name,
        node,
        role,
        serves: role == "ps" || role == "worker",
        workload: ns == "mlk-workloads",
        cores,
        working_set: 0.5 * GIB,
        sent: 1e4,
        recv: 2e4,
    }
}

/// Mono: one node of 8 CPUs, 5 min of training at 60 % (one second at 95 %).
pub fn mono(t0: i64) -> Run {
    let w = 300;
    let mut busy = vec![60.0; w];
    busy[100] = 95.0;
    let mut n1 = node("node1", 8.0, 10.0, busy);
    n1.mem_base = 9.0 * GIB;
    n1.mem = (0..w)
        .map(|k| 10.0 * GIB + (k % 50) as f64 * 1048576.0)
        .collect();
    Run {
        name: "mono-1",
        cluster: "mono",
        tb: t0 - 60 - 20,
        b: 60,
        t0,
        w: w as i64,
        nodes: vec![n1],
        pods: vec![
            pod(
                "mlk-workloads",
                "mnist-mono-1-abcde",
                "node1",
                "single",
                4.2,
            ),
            pod("kube-system", "canal-abcde", "node1", "", 0.05),
            pod("kubeflow", "ml-pipeline-7d9f", "node1", "", 0.3),
        ],
        docker_mem: true,
        node_step: 1,
    }
}

/// Distributed: nodes of 4, 2 and 2 CPUs; 3 min 20 s of training; node2's private NIC resets
/// half way; the docker input wrote no memory figures (a missing field).
pub fn distributed(t0: i64) -> Run {
    let w = 200;
    let mut n1 = node("node1", 4.0, 20.0, vec![50.0; w]);
    n1.busy[30] = 90.0;
    n1.priv_rate = 3e6;
    let mut n2 = node("node2", 2.0, 10.0, vec![80.0; w]);
    n2.priv_rate = 2e6;
    n2.reset_at = Some(100);
    let n3 = node("node3", 2.0, 10.0, vec![70.0; w]);
    let mut n3 = n3;
    n3.priv_rate = 2e6;
    Run {
        name: "dist-1",
        cluster: "distributed",
        tb: t0 - 30 - 20,
        b: 30,
        t0,
        w: w as i64,
        nodes: vec![n1, n2, n3],
        pods: vec![
            pod(
                "mlk-workloads",
                "mnist-dist-1-chief-0-x7k2p",
                "node1",
                "chief",
                0.4,
            ),
            pod(
                "mlk-workloads",
                "mnist-dist-1-ps-0-q2w3e",
                "node1",
                "ps",
                0.3,
            ),
            pod(
                "mlk-workloads",
                "mnist-dist-1-worker-0-a1b2c",
                "node1",
                "worker",
                1.1,
            ),
            pod(
                "mlk-workloads",
                "mnist-dist-1-worker-1-d3e4f",
                "node2",
                "worker",
                1.2,
            ),
            pod(
                "mlk-workloads",
                "mnist-dist-1-worker-2-g5h6i",
                "node3",
                "worker",
                1.0,
            ),
            pod("kube-system", "canal-fghij", "node2", "", 0.05),
            pod("tick", "telegraf-ds-xyz12", "node3", "", 0.02),
        ],
        docker_mem: false,
        node_step: 1,
    }
}
