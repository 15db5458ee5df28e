//! What the cluster and each add-on need, in CPU millicores and MiB, summed over the cluster.
//!
//! Kubeflow's figure is the component table of kubeflow/manifests (4380m, 12341Mi) rounded up;
//! together with the rest, a full lab needs 8 CPUs and 16 GiB, upstream's own recommendation.
use super::types::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub what: &'static str,
    pub millicpu: u32,
    pub mib: u32,
}

pub const KUBERNETES: Need = Need {
    what: "Kubernetes (RKE system pods, ingress)",
    millicpu: 2000,
    mib: 2048,
};
pub const LOCAL_PATH: Need = Need {
    what: "local-path storage",
    millicpu: 0,
    mib: 0,
};
pub const CERT_MANAGER: Need = Need {
    what: "cert-manager",
    millicpu: 200,
    mib: 256,
};
pub const RANCHER: Need = Need {
    what: "Rancher",
    millicpu: 1000,
    mib: 1024,
};
pub const TICK: Need = Need {
    what: "TICK stack",
    millicpu: 400,
    mib: 768,
};
pub const KUBEFLOW: Need = Need {
    what: "Kubeflow",
    millicpu: 4400,
    mib: 12288,
};

/// Smallest VM mlk will create: below this the guest OS itself does not boot reliably.
pub const NODE_MIN_MIB: u32 = 512;

/// The needs of everything the profile enables.
pub fn needs(p: &Profile) -> Vec<Need> {
    let c = &p.components;
    let mut v = vec![KUBERNETES];
    for (on, need) in [
        (c.local_path.enabled, LOCAL_PATH),
        (c.cert_manager.enabled, CERT_MANAGER),
        (c.rancher.enabled, RANCHER),
        (c.tick.enabled, TICK),
        (c.kubeflow.enabled, KUBEFLOW),
    ] {
        if on {
            v.push(need);
        }
    }
    v
}

/// Total (millicpu, MiB) the profile's nodes provide. In u64 and saturating: any u32 counts
/// of any number of nodes sum without wrapping (validation bounds them long before).
pub fn provided(p: &Profile) -> (u64, u64) {
    p.nodes.iter().fold((0u64, 0u64), |(c, m), n| {
        (
            c.saturating_add(u64::from(n.cpus).saturating_mul(1000)),
            m.saturating_add(u64::from(n.memory)),
        )
    })
}
