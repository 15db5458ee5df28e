//! Fills every optional profile field from the lock table, so later code never guesses.
use super::types::{Hypervisor, Profile, Role};
use crate::lockfile::Lock;

fn fill(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = Some(value.to_string());
    }
}

/// Resolves defaults in place. Runs after parsing and before validation.
pub fn resolve(p: &mut Profile, lock: &Lock) {
    fill(&mut p.kubernetes.version, &lock.kubernetes);
    // Hyper-V ignores private networks: the guest has one NIC, and the CNI, given no
    // interface, takes the default-route one (rke's canal/flannel templates). Elsewhere the
    // first NIC is NAT and the private network is the second.
    if p.provider != Hypervisor::Hyperv {
        fill(&mut p.kubernetes.iface, "eth1");
    }
    let c = &mut p.components;
    fill(
        &mut c.local_path.version,
        &lock.chart("local-path-provisioner").version,
    );
    fill(
        &mut c.cert_manager.version,
        &lock.chart("cert-manager").version,
    );
    fill(&mut c.rancher.version, &lock.chart("rancher").version);
    fill(&mut c.kubeflow.version, &lock.kubeflow.version);
    let t = &mut c.tick.versions;
    fill(&mut t.influxdb, &lock.chart("influxdb").version);
    fill(&mut t.telegraf, &lock.chart("telegraf").version);
    fill(&mut t.telegraf_ds, &lock.chart("telegraf-ds").version);
    fill(&mut t.kapacitor, &lock.chart("kapacitor").version);
    fill(&mut t.chronograf, &lock.chart("chronograf").version);
    for n in &mut p.nodes {
        if n.maxmemory.is_none() {
            n.maxmemory = Some(n.memory);
        }
    }
    // sslip.io resolves `<anything>.<ip>.sslip.io` to <ip>; xip.io, the seed's choice, is dead.
    // The IP is the first worker's: RKE runs its nginx ingress only on worker nodes (it taints
    // controlplane- and etcd-only nodes), so a non-worker node1 would answer no request.
    let ingress_node = p
        .nodes
        .iter()
        .find(|n| n.roles.contains(&Role::Worker))
        .or(p.nodes.first());
    if p.ingress.domain.is_none()
        && let Some(node) = ingress_node
    {
        p.ingress.domain = Some(format!("{}.sslip.io", node.ip));
    }
    // No nodes (an invalid profile) leaves no domain; validation reports the nodes, and
    // host names are not invented from an empty domain.
    if let Some(domain) = p.ingress.domain.clone() {
        fill(&mut p.ingress.rancher, &format!("rancher.{domain}"));
        fill(&mut p.ingress.chronograf, &format!("chronograf.{domain}"));
        fill(&mut p.ingress.kubeflow, &format!("kubeflow.{domain}"));
    }
}

/// A resolved optional field. Panics only if `resolve` was skipped, which is a bug.
pub fn get(slot: &Option<String>) -> &str {
    slot.as_deref()
        .expect("profile defaults are resolved at load time")
}
