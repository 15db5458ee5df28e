//! Which collector field carries each figure, and on which distribution that field is filled.
//! The same table is in docs/measurement.md ("Sources per distribution"); a test keeps the two
//! in step. A figure whose field is not filled on the run's distribution is "not available",
//! never a zero: the kubelet's summary API writes 0 for what the runtime does not report, and
//! Telegraf passes the 0 on (plugins/inputs/kubernetes: plain int64 fields).
use serde::Serialize;

/// Telegraf's interval for the node inputs (cpu, mem, net, diskio, system), seconds: the
/// per-input `interval` in templates/helm/telegraf-ds.yaml.hbs.
pub const NODE_INTERVAL_S: u32 = 1;
/// Telegraf's agent interval, used by the per-pod inputs (kubernetes, docker), seconds.
pub const POD_INTERVAL_S: u32 = 10;

/// A cluster flavour, as far as the collectors see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Distribution {
    /// RKE1: Docker 28 + cri-dockerd 0.3.16 (rke-tools), kubelet 1.32.
    Rke1Docker,
    /// RKE2 (later): containerd's CRI, kubelet with cAdvisor's containerd handler.
    Rke2Containerd,
}

impl Distribution {
    pub fn id(self) -> &'static str {
        match self {
            Distribution::Rke1Docker => "rke1-docker",
            Distribution::Rke2Containerd => "rke2-containerd",
        }
    }

    pub fn parse(s: &str) -> Option<Distribution> {
        [Distribution::Rke1Docker, Distribution::Rke2Containerd]
            .into_iter()
            .find(|d| d.id() == s)
    }
}

/// Whether a field is filled on a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Support {
    Yes,
    /// Written, but as 0 or not at all: the figure is not available, for this reason.
    No(&'static str),
    /// Expected from the upstream sources but not yet run on a real cluster.
    Expected,
}

/// One source field.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Source {
    /// What mlk uses it for.
    pub use_for: &'static str,
    /// `measurement.field` as Telegraf writes it.
    pub field: &'static str,
    pub rke1_docker: Support,
    pub rke2_containerd: Support,
}

const CRI_DOCKERD: &str = "cri-dockerd 0.3.16 fills only CPU and WorkingSetBytes (core/stats_linux.go), and kubelet 1.32 has no cAdvisor Docker handler (kubernetes#122182, cadvisor#3572): written as 0";
const CRI_DOCKERD_NET: &str = "cri-dockerd 0.3.16 implements no PodSandboxStats and kubelet 1.32's cAdvisor has no Docker handler to take the sandbox's network from (pkg/kubelet/stats/cri_stats_provider.go addPodNetworkStats): written as 0";
const NO_DOCKER: &str = "no Docker daemon: the docker input has nothing to read";
const SANDBOX_NONE: &str = "cri-dockerd runs pod sandboxes with NetworkMode none under CNI (core/security_context.go), so Docker knows no interface of the pod and the docker input writes no docker_container_net for pods";

/// Every field the report reads or deliberately does not read, in display order.
pub static SOURCES: &[Source] = &[
    Source {
        use_for: "node CPU busy (active minus iowait and steal)",
        field: "cpu.usage_active / usage_iowait / usage_steal",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "node CPU count",
        field: "system.n_cpus",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "node memory used",
        field: "mem.used",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "node NIC traffic (private and NAT NIC)",
        field: "net.bytes_recv / net.bytes_sent",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "node disk traffic",
        field: "diskio.read_bytes / diskio.write_bytes",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "pod CPU (kubelet)",
        field: "kubernetes_pod_container.cpu_usage_nanocores",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "pod memory (kubelet)",
        field: "kubernetes_pod_container.memory_working_set_bytes",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "(not used) pod memory usage",
        field: "kubernetes_pod_container.memory_usage_bytes",
        rke1_docker: Support::No(CRI_DOCKERD),
        rke2_containerd: Support::Expected,
    },
    Source {
        use_for: "(not used on RKE1) pod network (kubelet)",
        field: "kubernetes_pod_network.rx_bytes / tx_bytes",
        rke1_docker: Support::No(CRI_DOCKERD_NET),
        rke2_containerd: Support::Expected,
    },
    Source {
        use_for: "pod network (host side of the pod's veth, canal only)",
        field: "net.bytes_recv / net.bytes_sent of cali<sha1(ns.pod)[:11]>",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::Yes,
    },
    Source {
        use_for: "container CPU (Docker, as the thesis's Chronograf dashboard)",
        field: "docker_container_cpu.usage_total",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::No(NO_DOCKER),
    },
    Source {
        use_for: "container memory (Docker, as the thesis's Chronograf dashboard)",
        field: "docker_container_mem.usage",
        rke1_docker: Support::Yes,
        rke2_containerd: Support::No(NO_DOCKER),
    },
    Source {
        use_for: "(not used) container network (Docker)",
        field: "docker_container_net.rx_bytes / tx_bytes",
        rke1_docker: Support::No(SANDBOX_NONE),
        rke2_containerd: Support::No(NO_DOCKER),
    },
];

/// How `field` fares on `d` (`Yes` for fields not in the table).
pub fn support(d: Distribution, field: &str) -> Support {
    SOURCES
        .iter()
        .find(|s| s.field == field)
        .map_or(Support::Yes, |s| match d {
            Distribution::Rke1Docker => s.rke1_docker,
            Distribution::Rke2Containerd => s.rke2_containerd,
        })
}

/// The table as Markdown, exactly as docs/measurement.md holds it.
pub fn markdown() -> String {
    let cell = |s: Support| match s {
        Support::Yes => "yes".to_string(),
        Support::Expected => "expected (not yet run)".to_string(),
        Support::No(why) => format!("**no**: {why}"),
    };
    let mut out = String::from(
        "| used for | Telegraf field | RKE1 (Docker, cri-dockerd) | RKE2 (containerd) |\n|---|---|---|---|\n",
    );
    for s in SOURCES {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            s.use_for,
            s.field,
            cell(s.rke1_docker),
            cell(s.rke2_containerd)
        ));
    }
    out
}
