//! Resolution: the written profile with every default filled from the lock table, as the
//! resolved [`Profile`] that later code uses without asking what was given.
use super::spec;
use super::types::{
    Component, Components, Hypervisor, Ingress, Kubernetes, Node, Profile, Role, Tick, TickVersions,
};
use crate::lockfile::Lock;

fn or(slot: Option<String>, value: &str) -> String {
    slot.unwrap_or_else(|| value.to_string())
}

fn component(c: spec::Component, default: &str) -> Component {
    Component {
        enabled: c.enabled,
        version: or(c.version, default),
    }
}

/// Resolves every default. Runs after parsing and the command line's overrides, before
/// validation (which checks the resolved values, defaults included). Total: a profile that
/// validation will refuse (no nodes) still resolves, with empty host names where nothing
/// could be derived.
pub fn resolve(p: spec::Profile, lock: &Lock) -> Profile {
    let written = p.clone();
    let chart = |name: &str| lock.chart(name).version.clone();
    // Hyper-V ignores private networks: the guest has one NIC, and the CNI, given no
    // interface, takes the default-route one (rke's canal/flannel templates). Elsewhere the
    // first NIC is NAT and the private network is the second.
    let iface = match p.kubernetes.iface {
        None if p.provider != Hypervisor::Hyperv => Some("eth1".to_string()),
        given => given,
    };
    let c = p.components;
    let t = c.tick.versions;
    let components = Components {
        local_path: component(c.local_path, &chart("local-path-provisioner")),
        cert_manager: component(c.cert_manager, &chart("cert-manager")),
        rancher: component(c.rancher, &chart("rancher")),
        tick: Tick {
            enabled: c.tick.enabled,
            versions: TickVersions {
                influxdb: or(t.influxdb, &chart("influxdb")),
                telegraf: or(t.telegraf, &chart("telegraf")),
                telegraf_ds: or(t.telegraf_ds, &chart("telegraf-ds")),
                kapacitor: or(t.kapacitor, &chart("kapacitor")),
                chronograf: or(t.chronograf, &chart("chronograf")),
            },
        },
        kubeflow: component(c.kubeflow, &lock.kubeflow.version),
    };
    // sslip.io resolves `<anything>.<ip>.sslip.io` to <ip>; xip.io, the seed's choice, is dead.
    // The IP is the first worker's: RKE runs its nginx ingress only on worker nodes (it taints
    // controlplane- and etcd-only nodes), so a non-worker node1 would answer no request.
    let ingress_node = p
        .nodes
        .iter()
        .find(|n| n.roles.contains(&Role::Worker))
        .or(p.nodes.first());
    let i = p.ingress;
    let domain = i
        .domain
        .or_else(|| ingress_node.map(|n| format!("{}.sslip.io", n.ip)));
    // No nodes (an invalid profile) leaves no domain; validation reports the nodes, and
    // host names are not invented from an empty domain.
    let host = |given: Option<String>, app: &str| {
        given
            .or_else(|| domain.as_ref().map(|d| format!("{app}.{d}")))
            .unwrap_or_default()
    };
    let ingress = Ingress {
        rancher: host(i.rancher, "rancher"),
        chronograf: host(i.chronograf, "chronograf"),
        kubeflow: host(i.kubeflow, "kubeflow"),
        domain: domain.clone().unwrap_or_default(),
        allow_from: i.allow_from,
    };
    Profile {
        api_version: p.api_version,
        kind: p.kind,
        name: p.name,
        provider: p.provider,
        vm_box: p.vm_box,
        nodes: p
            .nodes
            .into_iter()
            .map(|n| Node {
                maxmemory: n.maxmemory.unwrap_or(n.memory),
                name: n.name,
                ip: n.ip,
                cpus: n.cpus,
                memory: n.memory,
                roles: n.roles,
            })
            .collect(),
        kubernetes: Kubernetes {
            distribution: p.kubernetes.distribution.unwrap_or_default(),
            version: or(p.kubernetes.version, &lock.kubernetes),
            network_plugin: p.kubernetes.network_plugin,
            iface,
        },
        components,
        ingress,
        virtualbox: p.virtualbox,
        libvirt: p.libvirt,
        hyperv: p.hyperv,
        synced_folder: p.synced_folder,
        registries: p.registries,
        proxy: p.proxy,
        stages: p.stages,
        written,
    }
}
