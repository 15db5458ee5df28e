//! The built-in stages: one table with each stage's id (the name in plans, state files and
//! `--only`), title, what it does and where, whether it renders a script, and when a plan has
//! it. Nothing else in mlk spells a stage id: code names stages by [`StageId`] and decides what
//! a stage does by the plan's `Action`, never by comparing names.
//!
//! This module depends on nothing of the profile or the plan (validation reads the ids here,
//! and the plan reads the table), so neither imports the other for it.
use crate::addon::Addon;
use crate::distribution::Distribution;

/// A built-in stage. Declared in plan order (the table's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StageId {
    Machines,
    OsPrep,
    Docker,
    Binaries,
    Secrets,
    RkeUp,
    Rke2Up,
    Kubeconfig,
    Storage,
    CertManager,
    Rancher,
    Tick,
    Kubeflow,
    Summary,
}

/// Work mlk does itself on the host, driving the nodes through runners (`crate::stages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostWork {
    Binaries,
    Secrets,
    /// RKE: `rke up` on the first controlplane node, cluster.rkestate kept on the host.
    RkeUp,
    /// RKE2: the release tarball to every node, config, then servers one at a time and agents
    /// together (`crate::stages::rke2`).
    Rke2Up,
    Kubeconfig,
    Summary,
}

/// Which nodes a node stage runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nodes {
    /// Every node, concurrently.
    All,
    /// The first node with the controlplane role (where kubectl and helm run).
    FirstControlplane,
}

/// What a built-in stage does, with where it does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// The provider brings the machines up and says how to reach them (on the host).
    Machines,
    /// Host work (on the host, reaching the nodes it needs).
    Host(HostWork),
    /// Its rendered script, `check` then `run`, on these nodes.
    Script(Nodes),
}

/// When a plan has a built-in stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// The add-on is enabled.
    Addon(Addon),
    /// The cluster is made with this distribution.
    Distribution(Distribution),
}

pub struct Def {
    pub id: StageId,
    /// The id as users and files spell it.
    pub name: &'static str,
    pub title: &'static str,
    pub work: Work,
    /// Renders `stages/<name>.sh` (script stages, and host work that runs a script: rke-up).
    pub script: bool,
    pub when: When,
}

/// Every built-in stage, in plan order.
pub const DEFS: [Def; 14] = [
    Def {
        id: StageId::Machines,
        name: "machines",
        title: "Bring up the VMs and learn their SSH endpoints",
        work: Work::Machines,
        script: false,
        when: When::Always,
    },
    Def {
        id: StageId::OsPrep,
        name: "os-prep",
        title: "Prepare the OS: node names, root disk, swap off, kernel modules, sysctls, time sync",
        work: Work::Script(Nodes::All),
        script: true,
        when: When::Always,
    },
    Def {
        id: StageId::Docker,
        name: "docker",
        title: "Install Docker for RKE",
        work: Work::Script(Nodes::All),
        script: true,
        when: When::Distribution(Distribution::Rke),
    },
    Def {
        id: StageId::Binaries,
        name: "binaries",
        title: "Download the pinned binaries (rke on RKE, kubectl, helm, kustomize) once and upload them",
        work: Work::Host(HostWork::Binaries),
        script: false,
        when: When::Always,
    },
    Def {
        id: StageId::Secrets,
        name: "secrets",
        title: "Generate the lab's passwords (0600) and upload them",
        work: Work::Host(HostWork::Secrets),
        script: false,
        when: When::Always,
    },
    Def {
        id: StageId::RkeUp,
        name: "rke-up",
        title: "Create the Kubernetes cluster with rke up (on the first controlplane node)",
        work: Work::Host(HostWork::RkeUp),
        script: true,
        when: When::Distribution(Distribution::Rke),
    },
    Def {
        id: StageId::Rke2Up,
        name: "rke2-up",
        title: "Install RKE2 from the cached release tarball: servers one at a time, then the agents together",
        work: Work::Host(HostWork::Rke2Up),
        script: true,
        when: When::Distribution(Distribution::Rke2),
    },
    Def {
        id: StageId::Kubeconfig,
        name: "kubeconfig",
        title: "Fetch and rewrite the kubeconfig",
        work: Work::Host(HostWork::Kubeconfig),
        script: false,
        when: When::Always,
    },
    Def {
        id: StageId::Storage,
        name: "storage",
        title: "Install local-path-provisioner as the default StorageClass",
        work: Work::Script(Nodes::FirstControlplane),
        script: true,
        when: When::Addon(Addon::LocalPath),
    },
    Def {
        id: StageId::CertManager,
        name: "cert-manager",
        title: "Install cert-manager",
        work: Work::Script(Nodes::FirstControlplane),
        script: true,
        when: When::Addon(Addon::CertManager),
    },
    Def {
        id: StageId::Rancher,
        name: "rancher",
        title: "Install Rancher",
        work: Work::Script(Nodes::FirstControlplane),
        script: true,
        when: When::Addon(Addon::Rancher),
    },
    Def {
        id: StageId::Tick,
        name: "tick",
        title: "Install InfluxDB, Telegraf, Kapacitor and Chronograf",
        work: Work::Script(Nodes::FirstControlplane),
        script: true,
        when: When::Addon(Addon::Tick),
    },
    Def {
        id: StageId::Kubeflow,
        name: "kubeflow",
        title: "Install Kubeflow",
        work: Work::Script(Nodes::FirstControlplane),
        script: true,
        when: When::Addon(Addon::Kubeflow),
    },
    Def {
        id: StageId::Summary,
        name: "summary",
        title: "Show the dashboards and how to log in",
        work: Work::Host(HostWork::Summary),
        script: false,
        when: When::Always,
    },
];

impl StageId {
    /// Its row of [`DEFS`].
    pub fn def(self) -> &'static Def {
        let d = &DEFS[self as usize];
        debug_assert_eq!(d.id, self, "DEFS is in declaration order");
        d
    }

    /// The id as users and files spell it (`rke-up`).
    pub fn as_str(self) -> &'static str {
        self.def().name
    }

    /// The built-in stage called `name`, if one is.
    pub fn parse(name: &str) -> Option<StageId> {
        DEFS.iter().find(|d| d.name == name).map(|d| d.id)
    }

    /// Its script, relative to the render folder.
    pub fn script_path(self) -> String {
        format!("stages/{}.sh", self.as_str())
    }
}

impl std::fmt::Display for StageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl HostWork {
    /// The stage that does this work.
    pub fn stage(self) -> StageId {
        match self {
            HostWork::Binaries => StageId::Binaries,
            HostWork::Secrets => StageId::Secrets,
            HostWork::RkeUp => StageId::RkeUp,
            HostWork::Rke2Up => StageId::Rke2Up,
            HostWork::Kubeconfig => StageId::Kubeconfig,
            HostWork::Summary => StageId::Summary,
        }
    }
}

/// Every built-in stage name, in plan order (custom stages hang off these with `after:`).
pub fn names() -> impl Iterator<Item = &'static str> {
    DEFS.iter().map(|d| d.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order_and_consistent() {
        for (i, d) in DEFS.iter().enumerate() {
            assert_eq!(d.id as usize, i, "{}", d.name);
            assert_eq!(StageId::parse(d.name), Some(d.id));
            if let Work::Host(w) = d.work {
                assert_eq!(w.stage(), d.id);
            }
            if let Work::Script(_) = d.work {
                assert!(d.script, "{} runs its script", d.name);
            }
            if let When::Addon(a) = d.when {
                assert_eq!(a.stage(), d.id, "{} installs {a:?}", d.name);
            }
        }
        assert_eq!(StageId::parse("nope"), None);
    }
}
