//! Whether everything mlk applies fits on the profile's nodes, by the numbers the scheduler
//! uses: the CPU and memory requests of every pod, per node, against each node's allocatable.
//!
//! The requests come from the rendered manifests, not from estimates: `requests.yaml` is
//! generated from the real charts with mlk's values and the real Kubeflow build
//! (tests/requests_table.rs recomputes it and fails when it is stale; `scripts/regen-requests.sh`
//! rewrites it). DaemonSet pods run on every node; every other pod is placed on some worker
//! node, largest first, together with the sample workload's pods.
//!
//! Allocatable (what the scheduler hands out) is the node's capacity minus the kubelet's
//! `kube-reserved`, `system-reserved` and hard eviction threshold. RKE passes none of the
//! three (rancher/kontainer-driver-metadata pkg/rke/k8s_service_options.go,
//! `getKubeletOptions124`, used for v1.29-v1.31, sets only `enforce-node-allocatable: ""`;
//! rancher/rke cluster/plan.go adds no reservation flag; docs/contracts.md has the commits),
//! so the kubelet defaults hold: no
//! reservations, and `evictionHard` `memory.available<100Mi` (kubernetes v1.32.5
//! pkg/kubelet/apis/config/v1beta1/defaults_linux.go, `DefaultEvictionHard`).
use super::types::{Profile, Role};
use crate::manifest::requests::{PodGroup, Req};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The kubelet's default hard eviction threshold for memory, MiB.
pub const EVICTION_HARD_MIB: u64 = 100;

/// Smallest VM mlk will create: below this the guest OS itself does not boot reliably.
pub const NODE_MIN_MIB: u32 = 512;

/// Requests of one component, read from its rendered manifests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub version: String,
    /// DaemonSet pods: one on every node.
    pub per_node: Vec<PodGroup>,
    /// Every other pod that stays running (Jobs, bare Pods and Helm hooks come and go).
    pub pods: Vec<PodGroup>,
}

/// The generated table: component (Helm release, `kubeflow`) → requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub kubernetes: String,
    pub components: BTreeMap<String, Component>,
}

pub const TABLE_SOURCE: &str = include_str!("requests.yaml");

static TABLE: LazyLock<Table> =
    LazyLock::new(|| serde_yaml_ng::from_str(TABLE_SOURCE).expect("requests.yaml is tested"));

pub fn table() -> &'static Table {
    &TABLE
}

fn group(owner: &str, count: u64, cpu_m: u64, mem_mib: u64) -> PodGroup {
    PodGroup {
        owner: owner.into(),
        count,
        each: Req { cpu_m, mem_mib },
    }
}

/// RKE's own add-ons, which RKE applies (not mlk), from rancher/kontainer-driver-metadata
/// branch dev-v2.10 (commit 8f9a33aa), pkg/rke/templates: canal_v3.28.1.go (calico-node
/// requests 250m CPU; kube-flannel and calico-kube-controllers none), coredns.go (coredns
/// 100m/70Mi, one replica on a small cluster; coredns-autoscaler 20m/10Mi),
/// metrics_v0.7.0.go (100m/200Mi), nginx-v1.11.2-rancher2.go (controller none, its
/// requests are commented out; default-http-backend 10m/20Mi).
pub fn rke_addons() -> Component {
    Component {
        version: "rke v1.8.14".into(),
        per_node: vec![group("DaemonSet kube-system/canal", 1, 250, 0)],
        pods: vec![
            group("Deployment kube-system/coredns", 1, 100, 70),
            group("Deployment kube-system/coredns-autoscaler", 1, 20, 10),
            group("Deployment kube-system/metrics-server", 1, 100, 200),
            group("Deployment ingress-nginx/default-http-backend", 1, 10, 20),
        ],
    }
}

/// The components a profile enables, as `(title, requests)`.
pub fn components(p: &Profile) -> Vec<(String, Component)> {
    let t = table();
    let mut v = vec![("Kubernetes (RKE add-ons)".to_string(), rke_addons())];
    // Every release and Kubeflow is in the table (tests/requests_table.rs holds it complete
    // and fresh); a missing entry would count as nothing rather than stop `mlk`.
    for a in p.components.addons() {
        for key in a.requests() {
            if let Some(comp) = t.components.get(*key) {
                v.push((a.title().to_string(), comp.clone()));
            }
        }
    }
    v
}

/// The sample workload's pods, from the manifest `mlk run-workload` would apply.
pub fn workload(p: &Profile) -> Vec<PodGroup> {
    let Ok(m) = crate::workload::mnist(p, "check", &crate::workload::Training::default()) else {
        return vec![];
    };
    let docs = crate::manifest::parse_all(&m.yaml).unwrap_or_default();
    let objects: Vec<_> = docs
        .into_iter()
        .map(|d| crate::manifest::Object::new("workload", "workload", d))
        .collect();
    let mut out = Vec::new();
    for o in &objects {
        for (spec, count) in crate::manifest::pod_specs(&o.doc) {
            let (cpu, mem) = crate::manifest::requests::pod(spec);
            out.push(PodGroup {
                owner: format!("{} {}", o.kind(), o.name()),
                count,
                each: Req::from_raw(cpu, mem),
            });
        }
    }
    out
}

/// One node's share.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFit {
    pub name: String,
    pub allocatable: Req,
    pub daemonsets: Req,
    pub placed: Req,
}

fn sum(groups: &[PodGroup]) -> Req {
    groups
        .iter()
        .fold(Req::default(), |a, g| a.plus(g.each.times(g.count)))
}

fn show(r: Req) -> String {
    format!("{}m CPU/{} MiB", r.cpu_m, r.mem_mib)
}

/// Places every pod on the profile's nodes; Ok(per-node shares) or Err(what does not fit,
/// with the numbers).
pub fn fit(p: &Profile) -> Result<Vec<NodeFit>, String> {
    let comps = components(p);
    let per_node: Vec<PodGroup> = comps.iter().flat_map(|(_, c)| c.per_node.clone()).collect();
    let ds = sum(&per_node);
    let mut nodes: Vec<(NodeFit, bool)> = p
        .nodes
        .iter()
        .map(|n| {
            let fit = NodeFit {
                name: n.name.clone(),
                allocatable: Req {
                    cpu_m: u64::from(n.cpus) * 1000,
                    mem_mib: u64::from(n.memory).saturating_sub(EVICTION_HARD_MIB),
                },
                daemonsets: ds,
                placed: Req::default(),
            };
            (fit, n.roles.contains(&Role::Worker))
        })
        .collect();
    let rule = format!(
        "allocatable = node memory - {EVICTION_HARD_MIB} MiB (the kubelet's eviction threshold; RKE reserves nothing else), all its CPUs"
    );
    for (n, _) in &nodes {
        if ds.mem_mib > n.allocatable.mem_mib || ds.cpu_m > n.allocatable.cpu_m {
            return Err(format!(
                "node {}: the DaemonSets on every node request {}, but it has {} allocatable ({rule})",
                n.name,
                show(ds),
                show(n.allocatable)
            ));
        }
    }
    let work = workload(p);
    let mut pods: Vec<(String, Req)> = comps
        .iter()
        .flat_map(|(t, c)| c.pods.iter().map(move |g| (t.clone(), g)))
        .chain(work.iter().map(|g| ("the sample workload".to_string(), g)))
        .flat_map(|(t, g)| (0..g.count).map(move |_| (format!("{t}: {}", g.owner), g.each)))
        .collect();
    pods.sort_by_key(|(_, r)| std::cmp::Reverse((r.mem_mib, r.cpu_m)));
    let free = |n: &NodeFit| Req {
        cpu_m: n.allocatable.cpu_m - n.daemonsets.cpu_m - n.placed.cpu_m,
        mem_mib: n.allocatable.mem_mib - n.daemonsets.mem_mib - n.placed.mem_mib,
    };
    for (owner, r) in &pods {
        // The worker with the most free memory that has room for both, as the scheduler's
        // default scoring prefers the least allocated node.
        let best = nodes
            .iter_mut()
            .filter(|(n, worker)| {
                *worker && free(n).mem_mib >= r.mem_mib && free(n).cpu_m >= r.cpu_m
            })
            .max_by_key(|(n, _)| free(n).mem_mib);
        match best {
            Some((n, _)) => n.placed = n.placed.plus(*r),
            None => {
                let total = sum(&comps
                    .iter()
                    .flat_map(|(_, c)| c.pods.clone())
                    .collect::<Vec<_>>())
                .plus(sum(&work));
                let alloc = nodes
                    .iter()
                    .fold(Req::default(), |a, (n, _)| a.plus(n.allocatable));
                let left: Vec<String> = nodes
                    .iter()
                    .filter(|(_, w)| *w)
                    .map(|(n, _)| {
                        format!(
                            "{} {} free of {}",
                            n.name,
                            show(free(n)),
                            show(n.allocatable)
                        )
                    })
                    .collect();
                let by: Vec<String> = breakdown(&comps, &work);
                return Err(format!(
                    "the enabled add-ons do not fit on the nodes: {owner} requests {}, but no worker has that left ({}). Requests: {} of DaemonSets on every node, {} of other pods ({}), against {} allocatable in total ({rule}); add memory or CPUs, or disable add-ons under components",
                    show(*r),
                    left.join(", "),
                    show(ds),
                    show(total),
                    by.join(", "),
                    show(alloc),
                ));
            }
        }
    }
    Ok(nodes.into_iter().map(|(n, _)| n).collect())
}

fn breakdown(comps: &[(String, Component)], work: &[PodGroup]) -> Vec<String> {
    let mut by: Vec<(String, Req)> = Vec::new();
    for (t, c) in comps {
        let r = sum(&c.pods);
        match by.iter_mut().find(|(x, _)| x == t) {
            Some((_, acc)) => *acc = acc.plus(r),
            None => by.push((t.clone(), r)),
        }
    }
    by.push(("the sample workload".into(), sum(work)));
    by.into_iter()
        .map(|(t, r)| format!("{t} {}", show(r)))
        .collect()
}

/// Total (millicpu, MiB) the profile's nodes provide.
pub fn provided(p: &Profile) -> (u64, u64) {
    // In u64 and saturating: any u32 counts of any number of nodes sum without wrapping
    // (validation bounds them long before).
    p.nodes.iter().fold((0u64, 0u64), |(c, m), n| {
        (
            c.saturating_add(u64::from(n.cpus).saturating_mul(1000)),
            m.saturating_add(u64::from(n.memory)),
        )
    })
}
