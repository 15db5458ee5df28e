//! What the report states about how each figure was made: the method, the window and where it
//! comes from, the sampling intervals, and what is left out. Every output format carries it.
use super::data::RunData;
use super::time::{human, rfc3339};
use serde::Serialize;

/// The method statement of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// Where the samples came from: the run's exported file, or the live InfluxDB.
    pub data: String,
    pub window: String,
    pub baseline: String,
    pub sampling: String,
    pub workload: String,
    pub excluded: Vec<String>,
    pub notes: Vec<String>,
}

/// How every figure is computed (the same for every run).
pub const HOW: &[&str] = &[
    "Node CPU busy = cpu.usage_active − usage_iowait − usage_steal (Telegraf's active time is all but idle, so iowait and steal are taken out), per sample; CPU-seconds = mean busy % × the node's CPUs (system.n_cpus) × window; a cluster mean is weighted by cores (Σ CPU-seconds ÷ (Σ CPUs × window)); peaks are in cores.",
    "Counters (NIC and disk bytes, Docker CPU time, veth bytes) count their growth from the last sample at or before the window's start to the last at or before its end; a drop is a reset and the new value counts as growth. Per-container counters start at 0 with the container.",
    "Gauges (memory, kubelet CPU cores) use the samples stamped inside the window; a sample describes the interval before its time stamp.",
    "Minus baseline = the figure minus the idle baseline's mean rate (cores, bytes/s) × the window; memory above baseline = peak minus the baseline's mean.",
    "Node NICs: the private-network NIC (traffic between nodes) apart from the other NICs (NAT: image pulls, downloads); pod-side interfaces (cali*, cni0, flannel.1) and lo are not node traffic.",
    "Pod memory is the kubelet's working set (on RKE1 cri-dockerd passes Docker's memory usage, page cache included); pod network is the host side of the pod's Calico veth (what it receives, the pod sent).",
];

pub fn of(r: &RunData) -> Method {
    let window = format!(
        "{} → {} ({}), from {}",
        rfc3339(r.start),
        rfc3339(r.end),
        human(r.wall_secs()),
        r.window_source
    );
    let baseline = match r.baseline {
        Some((a, b)) => format!(
            "{} → {} ({}), idle, measured just before the workload was applied (clock of {})",
            rfc3339(a),
            rfc3339(b),
            human(b - a),
            if r.run.controlplane.is_empty() {
                "the first controlplane node"
            } else {
                &r.run.controlplane
            }
        ),
        None => "none: figures minus baseline are not available".into(),
    };
    // The intervals are measured from the samples themselves (median spacing).
    let sampling = format!(
        "node inputs (cpu, mem, net, diskio, system) every {} s; pod inputs (kubernetes, docker) every {} s",
        r.node_interval_s, r.pod_interval_s
    );
    let mut pods: Vec<String> = r
        .pods
        .iter()
        .map(|p| {
            let role = if p.pod.role.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.pod.role)
            };
            format!("{}/{}{role} on {}", p.pod.namespace, p.pod.name, p.pod.node)
        })
        .collect();
    if pods.is_empty() {
        pods.push("none recorded".into());
    }
    let mut workload = format!("pods {}", pods.join(", "));
    if let Some(m) = &r.run.measure {
        if let Some(t) = &m.training {
            workload.push_str(&format!("; training {t}"));
        }
        if let Some(d) = &m.dataset {
            workload.push_str(&format!("; dataset staged at {d}"));
        }
        if !m.images.is_empty() {
            workload.push_str(&format!(
                "; image(s) pre-pulled on every node: {}",
                m.images.join(", ")
            ));
        }
    }
    let mut ns: std::collections::BTreeMap<&str, usize> = Default::default();
    for k in r.platform.keys() {
        *ns.entry(k.split('/').next().unwrap_or("")).or_default() += 1;
    }
    let platform: Vec<String> = ns.iter().map(|(n, c)| format!("{n} ({c})")).collect();
    let excluded = vec![
        format!(
            "from the workload figures: every other pod (the platform: {} pods in {}), shown only as \"Platform pods' CPU-seconds\"; node figures include them, and \"minus baseline\" takes out their idle share",
            r.platform.len(),
            if platform.is_empty() { "none".to_string() } else { platform.join(", ") }
        ),
        "per-node DaemonSets (Telegraf, canal, kube-proxy...) run once per node: a three-node cluster runs three copies, counted in its node figures and its baseline".into(),
        format!(
            "from the private-NIC figures: the NAT NIC and every interface but {}",
            r.private_iface
        ),
        "time before the window: image pulls and dataset staging happened before the baseline".into(),
    ];
    Method {
        data: r.origin.clone(),
        window,
        baseline,
        sampling,
        workload,
        excluded,
        notes: r.notes.clone(),
    }
}

/// The statement as Markdown lines (also used, escaped, by the HTML writer).
pub fn lines(runs: &[RunData]) -> Vec<String> {
    let mut out = vec!["Method:".to_string()];
    out.extend(HOW.iter().map(|h| format!("- {h}")));
    for r in runs {
        let m = of(r);
        out.push(format!("Run {} ({}):", r.run.name, r.run.cluster));
        out.push(format!("- data: {}", m.data));
        out.push(format!("- window: {}", m.window));
        out.push(format!("- baseline: {}", m.baseline));
        out.push(format!("- sampling: {}", m.sampling));
        out.push(format!("- workload: {}", m.workload));
        for e in &m.excluded {
            out.push(format!("- excluded {e}"));
        }
        for n in &m.notes {
            out.push(format!("- note: {n}"));
        }
    }
    out
}
