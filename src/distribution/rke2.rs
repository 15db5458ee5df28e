//! RKE2: what mlk renders for it and the facts about RKE2 it relies on, each with its source
//! (rancher/rke2 at v1.36.3+rke2r1, c4f306e; docs/rke2.md).
//!
//! - A server is a node with the controlplane or etcd role; a worker-only node is an agent.
//!   The first controlplane node is the first server, the one the others join.
//! - `/etc/rancher/rke2/config.yaml` per node (keys of `pkg/cli/cmds/server.go` and
//!   `agent.go`): `node-ip` and `advertise-address` are the private-network address (RKE2
//!   otherwise takes the default-route NIC, VirtualBox's NAT 10.0.2.15, and etcd and the
//!   certificates keep it: rke2#700, #1263); `tls-san` lists every name and address of the
//!   servers; `token-file` names the 0600 file the token is in (never the token itself);
//!   `ingress-controller: [traefik]` explicitly (the default changed in 1.36, PR #10037).
//! - RKE2 has no `flannel-iface`: canal's interface is set with a HelmChartConfig for
//!   `rke2-canal` in the server's manifests folder before the first start (rke2-docs
//!   `basic_network_options.md`; rancher/rke2-charts `rke2-canal` values `flannel.iface`,
//!   `flannel.regexIface`). Without a named NIC (Hyper-V, one NIC) the regex is the nodes'
//!   own addresses, which flannel matches against each interface's IP.
//! - registries.yaml: the profile's mirrors (`mirrors.<registry>.endpoint`); the logins are
//!   added at run time by the rke2-up stage and never rendered.
//! - No `profile: cis`: RKE2 then enforces the `privileged` Pod Security level everywhere
//!   (`pkg/rke2/psa.go`), which telegraf-ds (hostPath /) and local-path's helper pods need.
use crate::profile::{Profile, Role};
use anyhow::{Context, Result};
use handlebars::Handlebars;
use serde::Serialize;

/// The node logs `mlk diagnose` names for RKE2: both units' journal (a node runs one of them;
/// unit names from the tarball's `lib/systemd/system/rke2-{server,agent}.service`), and the
/// embedded containerd's log: k3s `pkg/agent/config/config.go` sets `Containerd.Log` to
/// `<data-dir>/agent/containerd/containerd.log` (unless `--debug`), data-dir
/// /var/lib/rancher/rke2 (docs/contracts.md, "Node logs").
pub const NODE_LOGS: &[(&str, &str)] = &[
    (
        "rke2 units",
        "sudo journalctl -u rke2-server -u rke2-agent -n 300 --no-pager",
    ),
    (
        "containerd",
        "sudo tail -n 300 /var/lib/rancher/rke2/agent/containerd/containerd.log",
    ),
];

/// The IngressClass of RKE2's Traefik (rancher/rke2-charts `rke2-traefik`,
/// `values.yaml.patch`: `ingressClass.name: traefik`, default class).
pub const INGRESS_CLASS: &str = "traefik";
/// The `ingress-controller` value mlk writes (the first entry is the default class).
pub const INGRESS_CONTROLLER: &str = "traefik";
/// Names of the release files, as `INSTALL_RKE2_ARTIFACT_PATH` expects them (install.sh:
/// `rke2.${SUFFIX}.tar.gz`, `sha256sum-${ARCH}.txt`, SUFFIX linux-amd64, ARCH amd64).
pub const TARBALL: &str = "rke2.linux-amd64.tar.gz";
pub const CHECKSUMS: &str = "sha256sum-amd64.txt";
/// The join token on the host, in the cluster's secrets folder (0600).
pub const TOKEN_SECRET: &str = "rke2-token";
/// RKE2's files on the node.
pub mod node {
    pub const CONFIG_DIR: &str = "/etc/rancher/rke2";
    pub const CONFIG: &str = "/etc/rancher/rke2/config.yaml";
    pub const REGISTRIES: &str = "/etc/rancher/rke2/registries.yaml";
    /// The join token, root 0600; config.yaml names it with `token-file`.
    pub const TOKEN: &str = "/etc/rancher/rke2/mlk-token";
    /// The admin kubeconfig RKE2 writes (server address https://127.0.0.1:6443).
    pub const KUBECONFIG: &str = "/etc/rancher/rke2/rke2.yaml";
    /// Read by the server at start (the HelmChartConfig must be here before the first one).
    pub const MANIFESTS: &str = "/var/lib/rancher/rke2/server/manifests";
    /// install.sh's default INSTALL_RKE2_TAR_PREFIX: the tarball unpacks into bin/, lib/
    /// (systemd units under lib/systemd/system) and share/.
    pub const PREFIX: &str = "/usr/local";
    /// The kubectl RKE2 extracts on servers.
    pub const KUBECTL: &str = "/var/lib/rancher/rke2/bin/kubectl";
}

/// Files every RKE2 cluster renders besides the per-node config: (template, path).
pub const FILES: &[(&str, &str)] = &[
    ("rke2/registries.yaml", "rke2/registries.yaml"),
    ("rke2/rke2-canal-config.yaml", "rke2/rke2-canal-config.yaml"),
];

/// A node's RKE2 role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Server,
    Agent,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Server => "server",
            Kind::Agent => "agent",
        }
    }
}

/// Server when the node has the controlplane or etcd role (RKE2 servers run both).
pub fn kind(n: &crate::profile::Node) -> Kind {
    if n.roles.contains(&Role::Controlplane) || n.roles.contains(&Role::Etcd) {
        Kind::Server
    } else {
        Kind::Agent
    }
}

/// Node names in join order: the first server, the other servers, then the agents.
pub fn join_order(p: &Profile) -> (Vec<String>, Vec<String>) {
    let first = p.first_controlplane().name.clone();
    let mut servers = vec![first.clone()];
    let mut agents = Vec::new();
    for n in &p.nodes {
        match kind(n) {
            Kind::Server if n.name != first => servers.push(n.name.clone()),
            Kind::Server => {}
            Kind::Agent => agents.push(n.name.clone()),
        }
    }
    (servers, agents)
}

/// The rendered config of node `name`, relative to the render folder.
pub fn config_path(name: &str) -> String {
    format!("rke2/{name}/config.yaml")
}

#[derive(Serialize)]
struct NodeCtx {
    name: String,
    ip: String,
    kind: Kind,
    is_server: bool,
    /// Joining nodes: `https://<first server>:9345`; empty on the first server.
    server: String,
    /// Servers without the worker role keep ordinary pods off (RKE2's documented taint for
    /// dedicated servers, `CriticalAddonsOnly=true:NoExecute`).
    dedicated: bool,
    tls_san: Vec<String>,
    token_file: &'static str,
    ingress_controller: &'static str,
    cni: &'static str,
}

#[derive(Serialize)]
struct ClusterCtx {
    cluster: String,
    /// `flannel.iface`; empty: use `regex`.
    iface: String,
    /// `flannel.regexIface`: the nodes' own addresses, anchored.
    regex: String,
    mirrors: Vec<MirrorCtx>,
}

#[derive(Serialize)]
struct MirrorCtx {
    registry: String,
    endpoints: Vec<String>,
}

/// Every name and address a client may use for the API: each server's name, address and
/// `mlk-<cluster>-<node>` VM name, and localhost (the kubeconfig on the node).
fn tls_san(p: &Profile) -> Vec<String> {
    let mut v = Vec::new();
    for n in p.nodes.iter().filter(|n| kind(n) == Kind::Server) {
        v.push(n.ip.to_string());
        v.push(n.name.clone());
        v.push(format!("mlk-{}-{}", p.name, n.name));
    }
    v.push("127.0.0.1".into());
    v.push("localhost".into());
    v
}

fn cluster_ctx(p: &Profile) -> ClusterCtx {
    let ips: Vec<String> = p
        .nodes
        .iter()
        .map(|n| n.ip.to_string().replace('.', "\\."))
        .collect();
    ClusterCtx {
        cluster: p.name.clone(),
        iface: p.kubernetes.iface.clone().unwrap_or_default(),
        regex: format!("^({})$", ips.join("|")),
        mirrors: p
            .registries
            .mirrors
            .iter()
            .map(|(r, m)| MirrorCtx {
                registry: r.clone(),
                endpoints: m.endpoints.clone(),
            })
            .collect(),
    }
}

/// Renders RKE2's files for `p`: each node's config.yaml and the cluster-wide ones.
pub fn render(hb: &Handlebars<'_>, p: &Profile, out: &mut crate::render::Rendered) -> Result<()> {
    let first = p.first_controlplane();
    let sans = tls_san(p);
    let cni = p.kubernetes.network_plugin.as_str();
    let cni = if cni == "canal" { "canal" } else { "flannel" };
    for n in &p.nodes {
        let k = kind(n);
        let ctx = NodeCtx {
            name: n.name.clone(),
            ip: n.ip.to_string(),
            kind: k,
            is_server: k == Kind::Server,
            server: if n.name == first.name {
                String::new()
            } else {
                format!("https://{}:9345", first.ip)
            },
            dedicated: k == Kind::Server && !n.roles.contains(&Role::Worker),
            tls_san: sans.clone(),
            token_file: node::TOKEN,
            ingress_controller: INGRESS_CONTROLLER,
            cni,
        };
        let text = hb
            .render("rke2/config.yaml", &ctx)
            .context("rendering rke2/config.yaml")?;
        out.insert(config_path(&n.name), text);
    }
    let c = cluster_ctx(p);
    for (tpl, path) in FILES {
        let text = hb
            .render(tpl, &c)
            .with_context(|| format!("rendering {tpl}"))?;
        out.insert(path.to_string(), text);
    }
    Ok(())
}

/// registries.yaml with the logins added (`configs.<registry>.auth`), built at run time from
/// the rendered mirrors; never written on the host. `logins` are (registry, user, password).
pub fn registries_with_logins(
    rendered: &str,
    logins: &[(String, String, String)],
) -> Result<String> {
    let mut doc: serde_yaml_ng::Mapping =
        serde_yaml_ng::from_str(rendered).context("rke2/registries.yaml is not YAML")?;
    if !logins.is_empty() {
        let mut configs = serde_yaml_ng::Mapping::new();
        for (reg, user, password) in logins {
            let mut auth = serde_yaml_ng::Mapping::new();
            auth.insert("username".into(), user.as_str().into());
            auth.insert("password".into(), password.as_str().into());
            let mut entry = serde_yaml_ng::Mapping::new();
            entry.insert("auth".into(), serde_yaml_ng::Value::Mapping(auth));
            configs.insert(reg.as_str().into(), serde_yaml_ng::Value::Mapping(entry));
        }
        doc.insert("configs".into(), serde_yaml_ng::Value::Mapping(configs));
    }
    Ok(serde_yaml_ng::to_string(&doc)?)
}
