//! The resolved profile: a profile as the rest of mlk sees it, every default filled in
//! (`defaults::resolve` makes it from the written [`super::spec::Profile`]), so no code after
//! loading asks whether a setting was given. What stays an `Option` here is optional in
//! meaning (a box version, Hyper-V's box, the CNI's NIC, a proxy), not a default to fill.
//!
//! It serializes with the field names and order of the written form (the JSON that host
//! stages hash, and that `limits` walks for control characters), and the types both share
//! (enums, boxes, custom stages) are defined here once.
use crate::addon::Addon;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

pub const API_VERSION: &str = "mlk.io/v1alpha1";
pub const KIND: &str = "Profile";

/// A loaded profile: validated, every default resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub api_version: String,
    pub kind: String,
    /// Cluster name: folder `<mlk home>/<name>`, kube context `mlk-<name>`.
    pub name: String,
    /// The hypervisor (the profile's `provider:` key).
    pub provider: Hypervisor,
    #[serde(rename = "box")]
    pub vm_box: VmBox,
    pub nodes: Vec<Node>,
    pub kubernetes: Kubernetes,
    pub components: Components,
    pub ingress: Ingress,
    pub virtualbox: VirtualboxOptions,
    pub libvirt: LibvirtOptions,
    /// Left out of the JSON when default, so host stages hash as before the setting existed.
    #[serde(skip_serializing_if = "HypervOptions::is_default")]
    pub hyperv: HypervOptions,
    /// Share the render folder at /vagrant in every VM. Off: mlk uploads what nodes need, and
    /// a synced folder costs boot time and, under libvirt, an NFS or rsync setup.
    pub synced_folder: bool,
    /// Registry mirrors and credentials for the nodes' container runtime.
    #[serde(skip_serializing_if = "super::registries::Registries::is_empty")]
    pub registries: super::registries::Registries,
    /// The HTTP(S) proxy the nodes reach the internet through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<super::proxy::Proxy>,
    /// User stages, run by the executor after the stage they name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<CustomStage>,
    /// The written form it was resolved from, kept to resolve it again with the node
    /// addresses a provider learned ([`Profile::readdressed`]). Not serialized.
    #[serde(skip)]
    pub(crate) written: super::spec::Profile,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub name: String,
    pub ip: Ipv4Addr,
    pub cpus: u32,
    /// MiB.
    pub memory: u32,
    /// MiB; Hyper-V's dynamic memory ceiling (`memory` unless the profile says otherwise).
    pub maxmemory: u32,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kubernetes {
    /// How the cluster is made. Left out of the JSON when it is the default (RKE), so the
    /// hash host stages take of an RKE profile is what it was before RKE2 existed.
    #[serde(skip_serializing_if = "crate::distribution::Distribution::is_default")]
    pub distribution: crate::distribution::Distribution,
    /// The distribution's Kubernetes version: RKE's `kubernetes_version`
    /// (v1.32.5-rancher1-1), or RKE2's release (v1.36.3+rke2r1).
    pub version: String,
    pub network_plugin: NetworkPlugin,
    /// The host-only NIC inside the guest; canal/flannel must use it, not the NAT NIC.
    /// eth1 unless the profile names another; none on Hyper-V, whose guests have one NIC
    /// (the CNI then takes the default-route one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iface: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Components {
    #[serde(rename = "local-path")]
    pub local_path: Component,
    #[serde(rename = "cert-manager")]
    pub cert_manager: Component,
    pub rancher: Component,
    pub tick: Tick,
    pub kubeflow: Component,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub enabled: bool,
    pub version: String,
}

/// The TICK stack is one add-on made of five charts, each with its own version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub enabled: bool,
    pub versions: TickVersions,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TickVersions {
    pub influxdb: String,
    pub telegraf: String,
    pub telegraf_ds: String,
    pub kapacitor: String,
    pub chronograf: String,
}

impl Components {
    /// Whether the profile switches `a` on.
    pub fn enabled(&self, a: Addon) -> bool {
        match a {
            Addon::LocalPath => self.local_path.enabled,
            Addon::CertManager => self.cert_manager.enabled,
            Addon::Rancher => self.rancher.enabled,
            Addon::Tick => self.tick.enabled,
            Addon::Kubeflow => self.kubeflow.enabled,
        }
    }

    /// The enabled add-ons, in install order.
    pub fn addons(&self) -> impl Iterator<Item = Addon> + '_ {
        Addon::ALL.into_iter().filter(|a| self.enabled(*a))
    }

    /// The version of each of `a`'s charts (`Addon::charts`, same order).
    pub fn chart_versions(&self, a: Addon) -> Vec<(&'static str, &str)> {
        let versions: Vec<&str> = match a {
            Addon::LocalPath => vec![&self.local_path.version],
            Addon::CertManager => vec![&self.cert_manager.version],
            Addon::Rancher => vec![&self.rancher.version],
            Addon::Tick => {
                let t = &self.tick.versions;
                vec![
                    &t.influxdb,
                    &t.telegraf,
                    &t.telegraf_ds,
                    &t.kapacitor,
                    &t.chronograf,
                ]
            }
            // Manifests, not charts: its version is the manifests release.
            Addon::Kubeflow => vec![],
        };
        a.charts().iter().copied().zip(versions).collect()
    }
}

/// Dashboard host names; unset ones derive from the first worker's IP:
/// `<app>.<ip>.sslip.io`. Empty only in a profile without nodes (refused by validation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ingress {
    pub domain: String,
    pub rancher: String,
    pub chronograf: String,
    pub kubeflow: String,
    /// Client networks (IPv4 CIDRs or addresses) the dashboards answer; empty: everyone who
    /// reaches the ingress. ingress-nginx's `whitelist-source-range` on every dashboard's
    /// Ingress (docs/login.md).
    #[serde(rename = "allowFrom", skip_serializing_if = "Vec::is_empty")]
    pub allow_from: Vec<String>,
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
    /// That box's version: required with `hyperv` (validation), so no Hyper-V lab takes
    /// whatever release of the box happens to be newest.
    #[serde(
        default,
        rename = "hypervVersion",
        skip_serializing_if = "Option::is_none"
    )]
    pub hyperv_version: Option<String>,
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

impl Ingress {
    /// The host name of `a`'s dashboard; None for add-ons without one.
    pub fn host(&self, a: Addon) -> Option<&str> {
        match a {
            Addon::Rancher => Some(&self.rancher),
            Addon::Tick => Some(&self.chronograf),
            Addon::Kubeflow => Some(&self.kubeflow),
            Addon::LocalPath | Addon::CertManager => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VirtualboxOptions {
    #[serde(default = "super::spec::yes")]
    pub linked_clone: bool,
}

impl Default for VirtualboxOptions {
    fn default() -> Self {
        VirtualboxOptions { linked_clone: true }
    }
}

/// Hyper-V's virtual switch that every VM joins.
pub const HYPERV_DEFAULT_SWITCH: &str = "Default Switch";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HypervOptions {
    /// The switch's name, rendered as the private network's `bridge:`. Without one Vagrant
    /// asks "What switch would you like to use?", which fails without a terminal
    /// (plugins/providers/hyperv/action/configure.rb, Vagrant v2.4.9).
    #[serde(default = "default_switch")]
    pub switch: String,
}

fn default_switch() -> String {
    HYPERV_DEFAULT_SWITCH.to_string()
}

impl Default for HypervOptions {
    fn default() -> Self {
        HypervOptions {
            switch: default_switch(),
        }
    }
}

impl HypervOptions {
    pub fn is_default(&self) -> bool {
        *self == HypervOptions::default()
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
