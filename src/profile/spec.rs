//! The profile as written: what a user puts in a profile YAML file, read by serde.
//!
//! Every struct denies unknown fields so a typo is an error, not a silently ignored key.
//! Fields a profile may leave out are `Option`s here; `defaults::resolve` turns this into
//! the resolved [`super::Profile`] (every default filled from the lock table, no `Option`
//! left for them), which is all the rest of mlk sees.
use super::types::{
    CustomStage, HypervOptions, Hypervisor, LibvirtOptions, NetworkPlugin, Role, VirtualboxOptions,
    VmBox,
};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

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
    #[serde(default, skip_serializing_if = "HypervOptions::is_default")]
    pub hyperv: HypervOptions,
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

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kubernetes {
    /// How the cluster is made: `rke` (the default) or `rke2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<crate::distribution::Distribution>,
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

pub(super) fn yes() -> bool {
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
