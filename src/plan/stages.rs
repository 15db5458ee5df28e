//! The built-in stages, in plan order, and what each one needs from the profile.
use crate::profile::{Profile, StageTarget};
use serde::Serialize;

/// Every built-in stage id, in plan order. Custom stages hang off these with `after:`.
pub const BUILTIN_STAGE_IDS: &[&str] = &[
    "machines",
    "os-prep",
    "docker",
    "binaries",
    "secrets",
    "rke-up",
    "kubeconfig",
    "storage",
    "cert-manager",
    "rancher",
    "tick",
    "kubeflow",
    "summary",
];

/// Script stages that mlk drives from the host (`crate::stages`): their script is rendered and
/// run on a node, but the host does work around it (rke-up restores and saves cluster.rkestate).
pub const HOST_DRIVEN_SCRIPTS: &[&str] = &["rke-up"];

/// How a stage does its work.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// Implemented in mlk itself on the host (bring up VMs, download binaries, fetch kubeconfig).
    Builtin,
    /// A rendered script with `check` and `run` subcommands, uploaded and run over SSH.
    Script { script: String },
    /// Shell snippets from the profile's `stages:`.
    Custom {
        run: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        check: Option<String>,
        retry: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub id: String,
    pub title: String,
    pub target: StageTarget,
    /// Node names the stage runs on; empty for host stages.
    pub nodes: Vec<String>,
    pub action: Action,
}

struct Def {
    id: &'static str,
    title: &'static str,
    target: StageTarget,
    script: bool,
}

const DEFS: &[Def] = &[
    Def {
        id: "machines",
        title: "Bring up the VMs and learn their SSH endpoints",
        target: StageTarget::Host,
        script: false,
    },
    Def {
        id: "os-prep",
        title: "Prepare the OS: node names, root disk, swap off, kernel modules, sysctls, time sync",
        target: StageTarget::AllNodes,
        script: true,
    },
    Def {
        id: "docker",
        title: "Install Docker for RKE",
        target: StageTarget::AllNodes,
        script: true,
    },
    Def {
        id: "binaries",
        title: "Download rke, kubectl, helm and kustomize once and upload them",
        target: StageTarget::Host,
        script: false,
    },
    Def {
        id: "secrets",
        title: "Generate the lab's passwords (0600) and upload them",
        target: StageTarget::Host,
        script: false,
    },
    Def {
        id: "rke-up",
        title: "Create the Kubernetes cluster with rke up (on the first controlplane node)",
        target: StageTarget::Host,
        script: true,
    },
    Def {
        id: "kubeconfig",
        title: "Fetch and rewrite the kubeconfig",
        target: StageTarget::Host,
        script: false,
    },
    Def {
        id: "storage",
        title: "Install local-path-provisioner as the default StorageClass",
        target: StageTarget::FirstControlplane,
        script: true,
    },
    Def {
        id: "cert-manager",
        title: "Install cert-manager",
        target: StageTarget::FirstControlplane,
        script: true,
    },
    Def {
        id: "rancher",
        title: "Install Rancher",
        target: StageTarget::FirstControlplane,
        script: true,
    },
    Def {
        id: "tick",
        title: "Install InfluxDB, Telegraf, Kapacitor and Chronograf",
        target: StageTarget::FirstControlplane,
        script: true,
    },
    Def {
        id: "kubeflow",
        title: "Install Kubeflow",
        target: StageTarget::FirstControlplane,
        script: true,
    },
    Def {
        id: "summary",
        title: "Show the dashboards and how to log in",
        target: StageTarget::Host,
        script: false,
    },
];

fn enabled(p: &Profile, id: &str) -> bool {
    let c = &p.components;
    match id {
        "storage" => c.local_path.enabled,
        "cert-manager" => c.cert_manager.enabled,
        "rancher" => c.rancher.enabled,
        "tick" => c.tick.enabled,
        "kubeflow" => c.kubeflow.enabled,
        _ => true,
    }
}

/// Nodes a stage with this target runs on.
pub fn target_nodes(p: &Profile, target: StageTarget) -> Vec<String> {
    match target {
        StageTarget::AllNodes => p.nodes.iter().map(|n| n.name.clone()).collect(),
        StageTarget::FirstControlplane => vec![p.first_controlplane().name.clone()],
        StageTarget::Host => Vec::new(),
    }
}

/// Script path (relative to the render folder) of a script stage.
pub fn script_path(id: &str) -> String {
    format!("stages/{id}.sh")
}

/// Ids of the script stages the profile enables: the scripts `render` writes.
pub fn script_stage_ids(p: &Profile) -> Vec<&'static str> {
    DEFS.iter()
        .filter(|d| d.script && enabled(p, d.id))
        .map(|d| d.id)
        .collect()
}

/// The ordered stage list: built-ins the profile enables, custom stages after their anchors.
pub fn build(p: &Profile) -> Vec<Stage> {
    let mut out: Vec<Stage> = Vec::new();
    for d in DEFS.iter().filter(|d| enabled(p, d.id)) {
        let action = if d.script && !HOST_DRIVEN_SCRIPTS.contains(&d.id) {
            Action::Script {
                script: script_path(d.id),
            }
        } else {
            Action::Builtin
        };
        out.push(Stage {
            id: d.id.to_string(),
            title: d.title.to_string(),
            target: d.target,
            nodes: target_nodes(p, d.target),
            action,
        });
    }
    // Insert each custom stage after its anchor, and after custom stages already hung there,
    // so stages with the same anchor keep profile order. An anchor that is a disabled
    // add-on falls back to where that add-on would have been.
    for s in &p.stages {
        let anchor_pos = out.iter().rposition(|x| x.id == s.after).or_else(|| {
            let idx = BUILTIN_STAGE_IDS.iter().position(|b| *b == s.after)?;
            out.iter()
                .rposition(|x| BUILTIN_STAGE_IDS[..idx].contains(&x.id.as_str()))
        });
        let mut pos = anchor_pos.map_or(out.len(), |i| i + 1);
        while pos < out.len()
            && matches!(out[pos].action, Action::Custom { .. })
            && !BUILTIN_STAGE_IDS.contains(&out[pos].id.as_str())
            && p.stages
                .iter()
                .any(|c| c.id == out[pos].id && c.after == s.after)
        {
            pos += 1;
        }
        out.insert(
            pos,
            Stage {
                id: s.id.clone(),
                title: format!("Custom stage {}", s.id),
                target: s.target,
                nodes: target_nodes(p, s.target),
                action: Action::Custom {
                    run: s.run.clone(),
                    check: s.check.clone(),
                    retry: s.retry,
                    timeout: s.timeout,
                },
            },
        );
    }
    out
}
