//! The profile schema: what a user writes in a profile YAML file.
//!
//! Every struct denies unknown fields so a typo is an error, not a silently ignored key.
//! Optional fields are filled from the lock table by `defaults::resolve` right after parsing.
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

pub const API_VERSION: &str = "mlk.io/v1alpha1";
pub const KIND: &str = "Profile";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Profile {
    pub api_version: String,
    pub kind: String,
    /// Cluster name: folder `<mlk home>/<name>`, kube context `mlk-<name>`.
    pub name: String,
    #[serde(default)]
    pub provider: Hypervisor,
    #[serde(rename = "box")]
    pub vm_box: VmBox,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub kubernetes: Kubernetes,
    #[serde(default)]
    pub components: Components,
    #[serde(default)]
    pub ingress: Ingress,
    #[serde(default)]
    pub virtualbox: VirtualboxOptions,
    #[serde(default)]
    pub libvirt: LibvirtOptions,
    /// Share the render folder at /vagrant in every VM. Off: mlk uploads what nodes need, and
    /// a synced folder costs boot time and, under libvirt, an NFS or rsync setup.
    #[serde(default)]
    pub synced_folder: bool,
    /// Registry mirrors and credentials for the nodes' container runtime.
    #[serde(
        default,
        skip_serializing_if = "super::registries::Registries::is_empty"
    )]
    pub registries: super::registries::Registries,
    /// The HTTP(S) proxy the nodes reach the internet through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<super::proxy::Proxy>,
    /// User stages, run by the executor after the stage they name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<CustomStage>,
}

/// The hypervisor Vagrant drives (the profile's `provider:`). Not the provider seam
/// (`crate::provider::Provider`), which also covers existing hosts (`--provider ssh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hypervisor {
    #[default]
    Virtualbox,
    Hyperv,
    Libvirt,
}

impl Hypervisor {
    pub fn as_str(self) -> &'static str {
        match self {
            Hypervisor::Virtualbox => "virtualbox",
            Hypervisor::Hyperv => "hyperv",
            Hypervisor::Libvirt => "libvirt",
        }
    }
    pub const ALL: [Hypervisor; 3] = [
        Hypervisor::Virtualbox,
        Hypervisor::Hyperv,
        Hypervisor::Libvirt,
    ];

    /// The one parser of hypervisor names (`provider:` in a profile is serde's, with the same
    /// names): `virtualbox`, `hyperv` or `libvirt`.
    pub fn parse(s: &str) -> Option<Hypervisor> {
        Hypervisor::ALL.into_iter().find(|h| h.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmBox {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Box to use under Hyper-V instead, since many boxes (bento's Ubuntu ones) have no Hyper-V build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyperv: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub name: String,
    pub ip: Ipv4Addr,
    pub cpus: u32,
    /// MiB.
    pub memory: u32,
    /// MiB; Hyper-V dynamic memory ceiling. Defaults to `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxmemory: Option<u32>,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Controlplane,
    Etcd,
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Controlplane => "controlplane",
            Role::Etcd => "etcd",
            Role::Worker => "worker",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kubernetes {
    /// RKE `kubernetes_version`; always written explicitly (RKE's default image is paid-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default)]
    pub network_plugin: NetworkPlugin,
    /// The host-only NIC inside the guest; canal/flannel must use it, not the NAT NIC.
    /// Default eth1; unset on Hyper-V, whose guests have one NIC (eth0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkPlugin {
    #[default]
    Canal,
    Flannel,
}

impl NetworkPlugin {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkPlugin::Canal => "canal",
            NetworkPlugin::Flannel => "flannel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Components {
    #[serde(default, rename = "local-path")]
    pub local_path: Component,
    #[serde(default, rename = "cert-manager")]
    pub cert_manager: Component,
    #[serde(default)]
    pub rancher: Component,
    #[serde(default)]
    pub tick: Tick,
    #[serde(default)]
    pub kubeflow: Component,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Default for Component {
    fn default() -> Self {
        Component {
            enabled: true,
            version: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// The TICK stack is one add-on made of five charts, each with its own version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tick {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub versions: TickVersions,
}

impl Default for Tick {
    fn default() -> Self {
        Tick {
            enabled: true,
            versions: TickVersions::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TickVersions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub influxdb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegraf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegraf_ds: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kapacitor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chronograf: Option<String>,
}

/// Dashboard host names. Unset names derive from the first worker's IP: `<app>.<ip>.sslip.io`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rancher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chronograf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeflow: Option<String>,
    /// Client networks (IPv4 CIDRs or addresses) the dashboards answer; empty: everyone who
    /// reaches the ingress. ingress-nginx's `whitelist-source-range` on every dashboard's
    /// Ingress (docs/login.md).
    #[serde(default, rename = "allowFrom", skip_serializing_if = "Vec::is_empty")]
    pub allow_from: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VirtualboxOptions {
    #[serde(default = "yes")]
    pub linked_clone: bool,
}

impl Default for VirtualboxOptions {
    fn default() -> Self {
        VirtualboxOptions { linked_clone: true }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LibvirtOptions {
    /// `kvm` on real hosts; `qemu` (software emulation) where there is no KVM, as in CI.
    #[serde(default)]
    pub driver: LibvirtDriver,
}

impl Default for LibvirtOptions {
    fn default() -> Self {
        LibvirtOptions {
            driver: LibvirtDriver::Kvm,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LibvirtDriver {
    #[default]
    Kvm,
    Qemu,
}

impl LibvirtDriver {
    pub fn as_str(self) -> &'static str {
        match self {
            LibvirtDriver::Kvm => "kvm",
            LibvirtDriver::Qemu => "qemu",
        }
    }
}

/// A user stage: shell snippets run over SSH, placed in the plan after `after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomStage {
    pub id: String,
    /// Built-in or custom stage id this stage runs after.
    pub after: String,
    #[serde(default)]
    pub target: StageTarget,
    /// Exits 0 when the stage's work is already done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    pub run: String,
    /// Whether a failed `run` may be retried (it must be safe to repeat mid-way).
    #[serde(default)]
    pub retry: bool,
    /// Seconds before the remote command is killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageTarget {
    /// Every node, concurrently.
    #[default]
    AllNodes,
    /// The first node with the controlplane role.
    FirstControlplane,
    /// The machine mlk runs on.
    Host,
}

impl StageTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            StageTarget::AllNodes => "all-nodes",
            StageTarget::FirstControlplane => "first-controlplane",
            StageTarget::Host => "host",
        }
    }
}
