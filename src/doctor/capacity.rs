//! Capacity checks: the VMs' memory and CPUs against this host, and free disk for boxes and
//! VM disks.
use super::Check;
use super::facts::Facts;
use crate::profile::Profile;

/// An unpacked Ubuntu box (VMDK/qcow2) in VAGRANT_HOME.
pub const BOX_MIB: u64 = 3 * 1024;
/// Per node: guest OS, Docker and the RKE system images; linked clones grow to about this.
pub const NODE_MIB: u64 = 10 * 1024;
/// Kubeflow's images on top (its own table also asks 65 GB of PVCs, which local-path
/// only fills as far as they are used).
pub const KUBEFLOW_MIB: u64 = 30 * 1024;
/// Below this per node a VM cannot even hold the OS and Docker images.
pub const NODE_MIN_MIB: u64 = 5 * 1024;

fn gib(mib: u64) -> String {
    format!("{:.1} GiB", mib as f64 / 1024.0)
}

pub fn memory(p: &Profile, f: &Facts) -> Check {
    let id = "memory";
    let need: u64 = p.nodes.iter().map(|n| u64::from(n.memory)).sum();
    let fix = format!(
        "lower nodes[].memory or disable add-ons under `components:` (Kubeflow needs about 12 GiB), or stop other VMs (`mlk stop -c NAME`){}",
        super::copy_hint(p)
    );
    match (f.mem_total_mib, f.mem_available_mib) {
        (Some(total), _) if need > total => Check::fail(
            id,
            format!(
                "the VMs need {} but this host has {} in total",
                gib(need),
                gib(total)
            ),
            fix.clone(),
        ),
        (_, Some(avail)) if need > avail => Check::warn(
            id,
            format!(
                "the VMs need {} and {} is available now: the host will swap or the hypervisor will refuse to start a VM",
                gib(need),
                gib(avail)
            ),
            fix,
        ),
        (_, Some(avail)) => Check::pass(
            id,
            format!("the VMs need {} of {} available", gib(need), gib(avail)),
        ),
        _ => Check::warn(
            id,
            format!(
                "the VMs need {}; this host's free memory could not be read",
                gib(need)
            ),
            "check free memory by hand (`free -m`)",
        ),
    }
}

pub fn cpus(p: &Profile, f: &Facts) -> Check {
    let id = "cpus";
    let host = f.cpus as u64;
    let sum: u64 = p.nodes.iter().map(|n| u64::from(n.cpus)).sum();
    if let Some(n) = p.nodes.iter().find(|n| u64::from(n.cpus) > host) {
        return Check::warn(
            id,
            format!(
                "{} has {} vCPUs but this host has {host} logical CPUs: it will run very slowly",
                n.name, n.cpus
            ),
            format!("set nodes[].cpus to at most {host} for {}", n.name),
        );
    }
    if sum > host {
        return Check::warn(
            id,
            format!(
                "the VMs have {sum} vCPUs on {host} host CPUs (overcommitted: slower, but it runs)"
            ),
            "lower nodes[].cpus if stages time out",
        );
    }
    Check::pass(id, format!("the VMs have {sum} vCPUs on {host} host CPUs"))
}

/// What the VM disks need for this profile, in MiB (estimate).
pub fn vm_disk_need(p: &Profile) -> u64 {
    let nodes = p.nodes.len() as u64;
    nodes * NODE_MIB
        + if p.components.kubeflow.enabled {
            KUBEFLOW_MIB
        } else {
            0
        }
}

pub fn disks(p: &Profile, f: &Facts) -> Vec<Check> {
    let id = "disk";
    f.disks
        .iter()
        .map(|d| {
            let boxes = d.what == "Vagrant boxes";
            let (need, min) = if boxes {
                (BOX_MIB, BOX_MIB)
            } else {
                (vm_disk_need(p), NODE_MIN_MIB * p.nodes.len() as u64)
            };
            let place = format!("{} ({})", d.what, d.path.display());
            let fix = if boxes {
                "free space there, or point VAGRANT_HOME at a larger disk".to_string()
            } else {
                "free space there, or move the provider's VM folder to a larger disk".to_string()
            };
            match d.free_mib {
                None => Check::warn(
                    id,
                    format!("{place}: free space unknown"),
                    "check with `df -h`",
                ),
                Some(free) if free < min => Check::fail(
                    id,
                    format!("{place}: {} free, at least {} needed", gib(free), gib(min)),
                    fix,
                ),
                Some(free) if free < need => Check::warn(
                    id,
                    format!(
                        "{place}: {} free, about {} expected for this profile",
                        gib(free),
                        gib(need)
                    ),
                    fix,
                ),
                Some(free) => Check::pass(
                    id,
                    format!("{place}: {} free, about {} needed", gib(free), gib(need)),
                ),
            }
        })
        .collect()
}
