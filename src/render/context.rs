//! The data templates see. One struct, built from a resolved profile, so templates never compute.
use crate::addon::{Addon, TICK_NAMESPACE};
use crate::layout::node;
use crate::profile::{Profile, Role};
use serde::Serialize;

#[derive(Serialize)]
pub struct Ctx {
    pub cluster: String,
    pub provider: String,
    pub vm_box: BoxCtx,
    pub nodes: Vec<NodeCtx>,
    /// Node names, space-separated (os-prep takes them off Vagrant's loopback line).
    pub node_names: String,
    pub node_count: usize,
    pub first_controlplane: NodeCtx,
    pub kubernetes: K8sCtx,
    /// `rke` or `rke2` (`crate::distribution`).
    pub distribution: String,
    pub is_rke2: bool,
    /// The IngressClass every mlk Ingress and chart uses: the one the distribution's ingress
    /// controller installs (`Distribution::ingress_class`).
    pub ingress_class: String,
    /// Whether that controller is ingress-nginx (its annotations mean nothing to Traefik).
    pub ingress_nginx: bool,
    pub libvirt_driver: String,
    /// Hyper-V's virtual switch (`hyperv.switch`), the private network's `bridge:`.
    pub hyperv_switch: String,
    pub linked_clone: bool,
    pub synced_folder: bool,
    pub hosts: Hosts,
    pub versions: Versions,
    pub docker_install_url: String,
    pub kubeflow_url: String,
    /// The manifests release is calendar-versioned (26.03 on): its `example` differs from
    /// v1.x's (cert-manager and its ClusterIssuer in one overlay, pipelines under overlays/).
    pub kubeflow_calver: bool,
    pub tick_namespace: String,
    /// The nodes' container runtime: `docker` (RKE1 runs everything in Docker), `containerd` (RKE2).
    pub container_runtime: String,
    /// GID of group `docker` on every node; Telegraf's DaemonSet joins it to read the socket.
    pub docker_gid: u32,
    /// User mlk logs in as; Vagrant boxes use `vagrant`.
    pub user: String,
    /// Folder on the nodes where mlk keeps scripts, binaries and secrets.
    pub remote_dir: String,
    /// Private key on the first controlplane node that rke uses to reach every node.
    pub remote_key: String,
    /// Whether each add-on is enabled, by its `components:` key with '-' as '_'.
    pub enabled: std::collections::BTreeMap<String, bool>,
    /// Every Helm release mlk knows, keyed by release name with '-' as '_'.
    pub releases: std::collections::BTreeMap<String, ReleaseCtx>,
    /// Registry mirrors for the container runtime (no credentials: those never render).
    pub docker: super::egress::DockerCtx,
    /// The profile's HTTP(S) proxy in each form the nodes need.
    pub proxy: super::egress::ProxyCtx,
    /// The dashboards' certificates (mlk's CA) and who may reach them (docs/login.md).
    pub login: LoginCtx,
}

#[derive(Serialize)]
pub struct LoginCtx {
    pub ca: crate::login::ca::CaCtx,
    /// `ingress.allowFrom` joined by commas, the form of ingress-nginx's annotation.
    pub allow_from: String,
    pub has_allow_from: bool,
}

#[derive(Serialize)]
pub struct ReleaseCtx {
    pub release: String,
    pub repo: String,
    pub repo_url: String,
    pub chart_name: String,
    pub version: String,
    pub namespace: String,
}

#[derive(Serialize, Clone)]
pub struct BoxCtx {
    pub name: String,
    pub version: String,
    pub has_version: bool,
    pub hyperv: String,
    pub hyperv_differs: bool,
    /// The Hyper-V box's version (`box.hypervVersion`), when it differs.
    pub hyperv_version: String,
}

#[derive(Serialize, Clone)]
pub struct NodeCtx {
    pub name: String,
    /// Name the hypervisor shows: `mlk-<cluster>-<node>`, so two clusters never clash.
    pub vm_name: String,
    pub ip: String,
    pub cpus: u32,
    pub memory: u32,
    pub maxmemory: u32,
    /// Hyper-V dynamic memory: only when maxmemory exceeds memory (`hv.maxmemory` turns it on).
    pub dynamic_memory: bool,
    pub roles: Vec<String>,
    pub is_worker: bool,
}

#[derive(Serialize)]
pub struct K8sCtx {
    pub version: String,
    pub network_plugin: String,
    /// The CNI's NIC; empty: the default-route one (Hyper-V, whose guests have only one).
    pub iface: String,
}

#[derive(Serialize)]
pub struct Hosts {
    pub rancher: String,
    pub chronograf: String,
    pub kubeflow: String,
}

#[derive(Serialize)]
pub struct Versions {
    pub rke: String,
    pub kubectl: String,
    pub helm: String,
    pub docker: String,
    pub local_path: String,
    pub cert_manager: String,
    pub rancher: String,
    pub kubeflow: String,
    pub influxdb: String,
    pub telegraf: String,
    pub telegraf_ds: String,
    pub kapacitor: String,
    pub chronograf: String,
}

/// The container runtime of RKE1 nodes: RKE1 runs the kubelet and every pod in Docker.
pub const CONTAINER_RUNTIME: &str = "docker";
/// GID the docker stage must give group `docker` on every node (and so the socket
/// /var/run/docker.sock, root:docker 0660). A fixed number outside Ubuntu's system range
/// (100-999, where docker-ce's postinst would otherwise pick one), so the Telegraf
/// DaemonSet's `supplementalGroups` can name it before any node exists.
pub const DOCKER_GID: u32 = 2375;

fn node(cluster: &str, n: &crate::profile::Node) -> NodeCtx {
    NodeCtx {
        name: n.name.clone(),
        vm_name: format!("mlk-{cluster}-{}", n.name),
        ip: n.ip.to_string(),
        cpus: n.cpus,
        memory: n.memory,
        maxmemory: n.maxmemory,
        dynamic_memory: n.maxmemory > n.memory,
        roles: n.roles.iter().map(|r| r.as_str().to_string()).collect(),
        is_worker: n.roles.contains(&Role::Worker),
    }
}

pub fn build(p: &Profile) -> Ctx {
    let lock = p.lock();
    let c = &p.components;
    let t = &c.tick.versions;
    let dist = p.distribution();
    Ctx {
        cluster: p.name.clone(),
        provider: p.provider.as_str().to_string(),
        vm_box: BoxCtx {
            name: p.vm_box.name.clone(),
            version: p.vm_box.version.clone().unwrap_or_default(),
            has_version: p.vm_box.version.is_some(),
            hyperv: p
                .vm_box
                .hyperv
                .clone()
                .unwrap_or_else(|| p.vm_box.name.clone()),
            hyperv_differs: p
                .vm_box
                .hyperv
                .as_ref()
                .is_some_and(|h| *h != p.vm_box.name),
            hyperv_version: p.vm_box.hyperv_version.clone().unwrap_or_default(),
        },
        nodes: p.nodes.iter().map(|n| node(&p.name, n)).collect(),
        node_names: p
            .nodes
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        node_count: p.nodes.len(),
        first_controlplane: node(&p.name, p.first_controlplane()),
        kubernetes: K8sCtx {
            version: p.kubernetes.version.clone(),
            network_plugin: p.kubernetes.network_plugin.as_str().to_string(),
            iface: p.kubernetes.iface.clone().unwrap_or_default(),
        },
        distribution: dist.as_str().to_string(),
        is_rke2: dist == crate::distribution::Distribution::Rke2,
        ingress_class: dist.ingress_class().to_string(),
        ingress_nginx: dist.ingress_class() == "nginx",
        libvirt_driver: p.libvirt.driver.as_str().to_string(),
        hyperv_switch: p.hyperv.switch.clone(),
        linked_clone: p.virtualbox.linked_clone,
        synced_folder: p.synced_folder,
        hosts: Hosts {
            rancher: p.ingress.rancher.clone(),
            chronograf: p.ingress.chronograf.clone(),
            kubeflow: p.ingress.kubeflow.clone(),
        },
        versions: Versions {
            // RKE2 has no rke binary; its release is kubernetes.version.
            rke: lock
                .binaries
                .get("rke")
                .map(|b| b.version.clone())
                .unwrap_or_default(),
            kubectl: lock.binary("kubectl").version.clone(),
            helm: lock.binary("helm").version.clone(),
            docker: lock.docker.version.clone(),
            local_path: c.local_path.version.clone(),
            cert_manager: c.cert_manager.version.clone(),
            rancher: c.rancher.version.clone(),
            kubeflow: c.kubeflow.version.clone(),
            influxdb: t.influxdb.clone(),
            telegraf: t.telegraf.clone(),
            telegraf_ds: t.telegraf_ds.clone(),
            kapacitor: t.kapacitor.clone(),
            chronograf: t.chronograf.clone(),
        },
        docker_install_url: lock.docker.install_url.clone(),
        kubeflow_url: lock
            .kubeflow
            .url
            .replace(&lock.kubeflow.version, &c.kubeflow.version),
        kubeflow_calver: !c.kubeflow.version.starts_with('v'),
        tick_namespace: TICK_NAMESPACE.to_string(),
        container_runtime: dist.container_runtime().to_string(),
        docker_gid: DOCKER_GID,
        user: node::USER.to_string(),
        remote_dir: node::DIR.to_string(),
        remote_key: node::ssh_key(),
        releases: releases(p),
        docker: super::egress::docker(p),
        proxy: super::egress::proxy(p),
        login: LoginCtx {
            ca: crate::login::ca::ctx(&p.name),
            allow_from: p.ingress.allow_from.join(","),
            has_allow_from: !p.ingress.allow_from.is_empty(),
        },
        enabled: Addon::ALL
            .into_iter()
            .map(|a| (a.key().replace('-', "_"), c.enabled(a)))
            .collect(),
    }
}

/// All releases, as if every add-on were enabled, so templates of disabled add-ons still resolve.
fn releases(p: &Profile) -> std::collections::BTreeMap<String, ReleaseCtx> {
    let lock = p.lock();
    Addon::ALL
        .into_iter()
        .flat_map(|a| crate::plan::releases::of(a, &p.components, lock))
        .map(|r| {
            let (repo, chart_name) = r.chart.split_once('/').expect("chart is repo/name");
            let key = r.release.replace('-', "_");
            let v = ReleaseCtx {
                release: r.release.clone(),
                repo: repo.to_string(),
                repo_url: r.repo_url.clone(),
                chart_name: chart_name.to_string(),
                version: r.version.clone(),
                namespace: r.namespace.clone(),
            };
            (key, v)
        })
        .collect()
}
