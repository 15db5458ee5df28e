//! Fetches one run's raw samples from InfluxDB: per node (CPU, CPU count, memory, NICs,
//! disks) and per pod (kubelet and Docker figures, the pod's veth), the workload's pods apart
//! from the platform's.
use super::influx::Series;
use super::queries::{self, Select};
use super::series::Points;
use super::source::SampleSource;
use super::sources::{self, Distribution, Support};
use super::time;
use crate::runs::{PodRecord, RunRecord};
use anyhow::{Result, bail};
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, BTreeSet};

/// A node's samples. Counters stay cumulative; `series` turns them into growth and rates.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NodeData {
    /// CPUs (Telegraf `system.n_cpus`).
    pub ncpus: f64,
    /// CPU busy, percent of all the node's CPUs: `cpu.usage_active` − `usage_iowait` −
    /// `usage_steal` (Telegraf's active time is everything but idle, iowait and steal included).
    pub cpu: Points,
    /// `cpu.usage_steal`: time the hypervisor gave to others while this VM wanted to run.
    pub steal: Points,
    /// `mem.used`, bytes.
    pub mem: Points,
    /// Physical NICs: interface → (bytes_recv, bytes_sent) counters.
    pub nics: BTreeMap<String, (Points, Points)>,
    /// Whole disks: name → (read_bytes, write_bytes) counters.
    pub disks: BTreeMap<String, (Points, Points)>,
}

/// A workload pod's samples.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PodData {
    pub pod: PodRecord,
    /// Kubelet, per container: CPU in cores (from nanocores) and working set bytes.
    pub cpu: BTreeMap<String, Points>,
    pub mem: BTreeMap<String, Points>,
    /// The host side of the pod's veth: (bytes_recv = what the pod sent, bytes_sent = what it
    /// received); `None` when it cannot be named (not canal) or has no samples.
    pub veth: Option<(String, Points, Points)>,
    /// Kubelet pod network (only where the distribution fills it).
    pub net: Option<(Points, Points)>,
    /// Docker, per container (including the pod's sandbox `POD`): CPU-ns counter, memory bytes.
    pub docker_cpu: BTreeMap<String, Points>,
    pub docker_mem: BTreeMap<String, Points>,
}

/// Everything the report knows about one run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunData {
    pub run: RunRecord,
    /// The training window (epoch seconds) and where it comes from.
    pub start: i64,
    pub end: i64,
    pub window_source: String,
    pub baseline: Option<(i64, i64)>,
    #[serde(skip)]
    pub dist: Distribution,
    pub private_iface: String,
    pub network_plugin: String,
    /// Sampling intervals as the samples show them (median spacing), seconds.
    pub node_interval_s: u32,
    pub pod_interval_s: u32,
    pub nodes: BTreeMap<String, NodeData>,
    pub pods: Vec<PodData>,
    /// Every other pod (namespace/name) with its CPU in cores, summed over its containers
    /// per sample: the platform, left out of the workload's figures.
    pub platform: BTreeMap<String, Points>,
    /// Why a workload figure is missing (e.g. no pods recorded), if it is.
    pub notes: Vec<String>,
    /// Where the samples came from (live InfluxDB or the run's exported file).
    pub origin: String,
}

impl RunData {
    pub fn wall_secs(&self) -> i64 {
        self.end - self.start
    }
}

/// Calico's name for the host side of a pod's veth: `cali` + the first 11 hex digits of
/// SHA-1("<namespace>.<pod>") (projectcalico/calico libcalico-go/lib/backend/k8s/conversion
/// `VethNameForWorkload`, FELIX_INTERFACEPREFIX unset; canal runs Calico's CNI plugin).
pub fn calico_veth(namespace: &str, pod: &str) -> String {
    let h = Sha1::digest(format!("{namespace}.{pod}").as_bytes());
    format!("cali{}", &hex::encode(h)[..11])
}

/// (epoch s, value) of column `field` of `s`, skipping nulls.
fn column(s: &Series, field: &str) -> Points {
    match s.columns.iter().position(|c| c == field) {
        Some(col) => s.points(col),
        None => Vec::new(),
    }
}

fn tag<'a>(s: &'a Series, k: &str) -> &'a str {
    s.tags.get(k).map_or("", String::as_str)
}

fn fetch_one(c: &dyn SampleSource, q: &Select, lo: i64, hi: i64) -> Result<Vec<Series>> {
    c.select(q, lo, hi)
}

/// A run's windows in epoch seconds: training (start, end, source) and the idle baseline.
pub struct Windows {
    pub start: i64,
    pub end: i64,
    pub source: String,
    pub baseline: Option<(i64, i64)>,
}

/// The run's training window and baseline; old records (no container times) fall back to
/// their host-clock start and end.
pub fn windows(run: &RunRecord) -> Result<Windows> {
    let parse = |s: &str, what: &str| {
        time::parse(s).map_err(|e| anyhow::anyhow!("run `{}`: {what}: {e:#}", run.name))
    };
    let m = run.measure.as_ref();
    let (start, end, source) = match m.and_then(|m| m.window.as_ref()) {
        Some(w) => (
            parse(&w.start, "window.start")?,
            parse(&w.end, "window.end")?,
            w.source.clone(),
        ),
        None => {
            let end = match &run.end {
                Some(e) => parse(e, "end")?,
                None => time::now(),
            };
            (
                parse(&run.start, "start")?,
                end,
                "host-clock (no container start/finish recorded: the window includes preparation and polling)".into(),
            )
        }
    };
    if end <= start {
        bail!(
            "run `{}`: window end {} is not after its start {}",
            run.name,
            time::rfc3339(end),
            time::rfc3339(start)
        );
    }
    let baseline = match m.and_then(|m| m.baseline.as_ref()) {
        Some(b) => Some((
            parse(&b.start, "baseline.start")?,
            parse(&b.end, "baseline.end")?,
        ))
        .filter(|(s, e)| e > s),
        None => None,
    };
    Ok(Windows {
        start,
        end,
        source,
        baseline,
    })
}

/// The run's sampling intervals as its record expects them (node, pod), seconds.
fn intervals(run: &RunRecord) -> (u32, u32) {
    let m = run.measure.as_ref();
    (
        m.map_or(10, |m| m.node_interval_s.max(1)),
        m.map_or(sources::POD_INTERVAL_S, |m| m.pod_interval_s.max(1)),
    )
}

/// The time span (epoch seconds) the report reads for `run`: the baseline and the training
/// window, widened by two of the slower interval, since counters need the sample just before
/// each window starts. An export holds exactly this span.
pub fn span(run: &RunRecord) -> Result<(i64, i64)> {
    let w = windows(run)?;
    let (node, pod) = intervals(run);
    let margin = 2 * i64::from(pod.max(node));
    Ok((
        w.baseline.map_or(w.start, |b| b.0.min(w.start)) - margin,
        w.end + margin,
    ))
}

/// Whether the report can use series `s` of selection `q` for `run`: the host sides of other
/// pods' veths, and other pods' Docker and pod-network series, it never reads (`fetch` picks
/// the run's pods out of them). An export leaves those out; every other series it keeps.
pub fn used(run: &RunRecord, q: &Select, s: &Series) -> bool {
    let pods: Vec<&PodRecord> = run.measure.iter().flat_map(|m| &m.pods).collect();
    let is_run_pod =
        |ns: &str, name: &str| pods.iter().any(|p| p.namespace == ns && p.name == name);
    match q.measurement {
        "net" => {
            let iface = tag(s, "interface");
            !iface.starts_with("cali")
                || pods
                    .iter()
                    .any(|p| calico_veth(&p.namespace, &p.name) == iface)
        }
        "docker_container_cpu" | "docker_container_mem" => is_run_pod(
            tag(s, queries::POD_NS_LABEL),
            tag(s, queries::POD_NAME_LABEL),
        ),
        "kubernetes_pod_network" => is_run_pod(tag(s, "namespace"), tag(s, "pod_name")),
        _ => true,
    }
}

/// Queries everything for `run`. A node with CPU samples but no CPU count is an error.
pub fn fetch(c: &dyn SampleSource, run: &RunRecord) -> Result<RunData> {
    let Windows {
        start,
        end,
        source: window_source,
        baseline,
    } = windows(run)?;
    let m = run.measure.clone();
    let dist = m
        .as_ref()
        .and_then(|m| Distribution::parse(&m.distribution))
        .unwrap_or(Distribution::Rke1Docker);
    let (node_interval, pod_interval) = intervals(run);
    let (lo, hi) = span(run)?;

    let mut nodes: BTreeMap<String, NodeData> = BTreeMap::new();
    for s in fetch_one(c, &queries::NODE_CPU, lo, hi)? {
        let n = nodes.entry(tag(&s, "host").into()).or_default();
        let at = |f: &str| column(&s, f).into_iter().collect::<BTreeMap<i64, f64>>();
        let (iowait, steal) = (at("usage_iowait"), at("usage_steal"));
        n.cpu = column(&s, "usage_active")
            .into_iter()
            .map(|(t, a)| {
                let other = iowait.get(&t).unwrap_or(&0.0) + steal.get(&t).unwrap_or(&0.0);
                (t, (a - other).max(0.0))
            })
            .collect();
        n.steal = steal.into_iter().collect();
    }
    for s in fetch_one(c, &queries::NODE_MEM, lo, hi)? {
        nodes.entry(tag(&s, "host").into()).or_default().mem = column(&s, "used");
    }
    let mut ncpus: BTreeMap<String, f64> = BTreeMap::new();
    for s in fetch_one(c, &queries::NODE_NCPUS, lo, hi)? {
        if let Some((_, n)) = column(&s, "n_cpus").last() {
            ncpus.insert(tag(&s, "host").into(), *n);
        }
    }
    let mut veths: BTreeMap<(String, String), (Points, Points)> = BTreeMap::new();
    for s in fetch_one(c, &queries::NODE_NET, lo, hi)? {
        let (host, iface) = (
            tag(&s, "host").to_string(),
            tag(&s, "interface").to_string(),
        );
        let pair = (column(&s, "bytes_recv"), column(&s, "bytes_sent"));
        if iface.starts_with("cali") {
            veths.insert((host, iface), pair);
        } else {
            nodes.entry(host).or_default().nics.insert(iface, pair);
        }
    }
    for s in fetch_one(c, &queries::NODE_DISK, lo, hi)? {
        let pair = (column(&s, "read_bytes"), column(&s, "write_bytes"));
        nodes
            .entry(tag(&s, "host").into())
            .or_default()
            .disks
            .insert(tag(&s, "name").into(), pair);
    }
    for (host, n) in nodes.iter_mut() {
        match ncpus.get(host) {
            Some(c) if *c >= 1.0 => n.ncpus = *c,
            _ if n.cpu.is_empty() => {}
            _ => {
                return Err(crate::exit::classify(
                    crate::exit::Class::Failure,
                    format!(
                        "run `{}`: node {host} has CPU samples but no CPU count (system.n_cpus) between {} and {}; without it CPU % cannot become cores. Is Telegraf's system input enabled?",
                        run.name,
                        time::rfc3339(lo),
                        time::rfc3339(hi)
                    ),
                ));
            }
        }
    }

    let records: Vec<PodRecord> = m.as_ref().map(|m| m.pods.clone()).unwrap_or_default();
    let mut notes = Vec::new();
    if records.is_empty() {
        notes.push("no workload pods recorded for this run (record written before mlk recorded pods, or the pods never started): workload figures are not available".into());
    }
    let key = |ns: &str, pod: &str| format!("{ns}/{pod}");
    let wanted: BTreeSet<String> = records.iter().map(|p| key(&p.namespace, &p.name)).collect();
    let mut pods: Vec<PodData> = records
        .iter()
        .map(|p| PodData {
            pod: p.clone(),
            cpu: BTreeMap::new(),
            mem: BTreeMap::new(),
            veth: None,
            net: None,
            docker_cpu: BTreeMap::new(),
            docker_mem: BTreeMap::new(),
        })
        .collect();
    let idx = |pods: &Vec<PodData>, k: &str| {
        pods.iter()
            .position(|p| key(&p.pod.namespace, &p.pod.name) == k)
    };
    let mut platform: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for s in fetch_one(c, &queries::POD_KUBELET, lo, hi)? {
        let k = key(tag(&s, "namespace"), tag(&s, "pod_name"));
        let cores: Points = column(&s, "cpu_usage_nanocores")
            .into_iter()
            .map(|(t, v)| (t, v * 1e-9))
            .collect();
        let container = tag(&s, "container_name").to_string();
        match idx(&pods, &k) {
            Some(i) => {
                pods[i].cpu.insert(container.clone(), cores);
                pods[i]
                    .mem
                    .insert(container, column(&s, "memory_working_set_bytes"));
            }
            None => {
                let e = platform.entry(k).or_default();
                for (t, v) in cores {
                    *e.entry(t).or_insert(0.0) += v;
                }
            }
        }
    }
    if sources::support(dist, "kubernetes_pod_network.rx_bytes / tx_bytes") != Support::Yes
        || wanted.is_empty()
    {
        // Zero-filled on this distribution: not read, so no zero can pass for a figure.
    } else {
        for s in fetch_one(c, &queries::POD_KUBELET_NET, lo, hi)? {
            let k = key(tag(&s, "namespace"), tag(&s, "pod_name"));
            if let Some(i) = idx(&pods, &k) {
                pods[i].net = Some((column(&s, "rx_bytes"), column(&s, "tx_bytes")));
            }
        }
    }
    if sources::support(dist, "docker_container_cpu.usage_total") == Support::Yes
        && !wanted.is_empty()
    {
        for (q, field) in [
            (queries::DOCKER_CPU, "usage_total"),
            (queries::DOCKER_MEM, "usage"),
        ] {
            for s in fetch_one(c, &q, lo, hi)? {
                let k = key(
                    tag(&s, queries::POD_NS_LABEL),
                    tag(&s, queries::POD_NAME_LABEL),
                );
                if let Some(i) = idx(&pods, &k) {
                    let container = tag(&s, queries::CONTAINER_LABEL).to_string();
                    let target = if field == "usage_total" {
                        &mut pods[i].docker_cpu
                    } else {
                        &mut pods[i].docker_mem
                    };
                    target.insert(container, column(&s, field));
                }
            }
        }
    }
    let network_plugin = m
        .as_ref()
        .map_or_else(|| "canal".to_string(), |m| m.network_plugin.clone());
    if network_plugin == "canal" {
        for p in &mut pods {
            let name = calico_veth(&p.pod.namespace, &p.pod.name);
            if let Some((rx, tx)) = veths.remove(&(p.pod.node.clone(), name.clone())) {
                p.veth = Some((name, rx, tx));
            }
        }
    } else if !pods.is_empty() {
        notes.push(format!(
            "pod network: not available with network plugin {network_plugin} (only canal's Calico CNI names a pod's veth predictably)"
        ));
    }
    // What the data says, not what the record expects: a cluster whose Telegraf predates the
    // 1 s node inputs samples every 10 s, and the report must say so.
    let observed = |series: Vec<&Points>| -> Option<u32> {
        let mut gaps: Vec<i64> = series
            .iter()
            .flat_map(|p| p.windows(2).map(|w| w[1].0 - w[0].0))
            .filter(|g| *g > 0)
            .collect();
        gaps.sort_unstable();
        gaps.get(gaps.len() / 2)
            .and_then(|g| u32::try_from(*g).ok())
    };
    let node_interval = observed(nodes.values().map(|n| &n.cpu).collect()).unwrap_or(node_interval);
    let pod_interval =
        observed(pods.iter().flat_map(|p| p.cpu.values()).collect()).unwrap_or(pod_interval);
    Ok(RunData {
        run: run.clone(),
        start,
        end,
        window_source,
        baseline,
        dist,
        private_iface: m
            .as_ref()
            .map_or_else(|| "eth1".to_string(), |m| m.private_iface.clone()),
        network_plugin,
        node_interval_s: node_interval,
        pod_interval_s: pod_interval,
        nodes,
        pods,
        platform: platform
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect(),
        notes,
        origin: c.origin(),
    })
}

impl RunData {
    /// Whether any node has CPU samples inside the training window.
    pub fn is_empty(&self) -> bool {
        !self
            .nodes
            .values()
            .any(|n| n.cpu.iter().any(|(t, _)| *t > self.start && *t <= self.end))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn veth_names() {
        // Expected values computed independently: Python hashlib.sha1(b"<ns>.<pod>").hexdigest()[:11].
        assert_eq!(super::calico_veth("default", "nginx"), "calic440f455693");
        assert_eq!(
            super::calico_veth("mlk-workloads", "mnist-r1-abcde"),
            "cali60ca719890d"
        );
    }
}
