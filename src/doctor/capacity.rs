//! Capacity checks: the VMs' memory and CPUs against this host, and free disk for boxes and
//! VM disks; and what each profile needs, said up front (`mlk profile list`, `mlk plan`).
use super::Check;
use super::facts::Facts;
use crate::addon::Addon;
use crate::profile::Profile;
use serde::Serialize;

/// An unpacked Ubuntu box (VMDK/qcow2) in VAGRANT_HOME.
pub const BOX_MIB: u64 = 3 * 1024;
/// Per node: guest OS, Docker and the RKE system images; linked clones grow to about this.
pub const NODE_MIB: u64 = 10 * 1024;
/// Kubeflow's images on top (its own table also asks 65 GB of PVCs, which local-path
/// only fills as far as they are used).
pub const KUBEFLOW_MIB: u64 = 30 * 1024;
/// Below this per node a VM cannot even hold the OS and Docker images.
pub const NODE_MIN_MIB: u64 = 5 * 1024;

/// Download estimates, MiB: the box, and the container images the nodes pull on the first
/// run. Estimates, not measurements: no box catalog or container registry is reachable from
/// the machine mlk is tested on (docs/profiles.md, "What each profile needs").
pub const BOX_DOWNLOAD_MIB: u64 = 1024;
/// Per node: Docker's packages and RKE's system images (kubelet, etcd, canal, ingress).
pub const NODE_IMAGES_MIB: u64 = 2048;
/// The sample workload's TensorFlow CPU image.
pub const WORKLOAD_IMAGES_MIB: u64 = 600;

/// An add-on's images, MiB (estimate, pulled once per cluster for the sake of the sum).
pub fn addon_images_mib(a: Addon) -> u64 {
    match a {
        Addon::LocalPath => 50,
        Addon::CertManager => 150,
        Addon::Rancher => 2048,
        Addon::Tick => 700,
        Addon::Kubeflow => 12 * 1024,
    }
}

/// What a profile needs from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Needs {
    /// The VMs' memory, MiB.
    pub vm_memory_mib: u64,
    /// The smallest host RAM that still has that after [`host_reserve_mib`].
    pub host_memory_mib: u64,
    /// Free disk for the box and the VM disks, MiB (estimate).
    pub disk_mib: u64,
    /// What the first run downloads: box and container images, MiB (estimate).
    pub download_mib: u64,
}

/// The smallest host (MiB, in 256 MiB steps) whose RAM minus its reserve holds `vm_mib`.
pub fn host_memory_for(vm_mib: u64) -> u64 {
    let mut h = vm_mib;
    while h.saturating_sub(host_reserve_mib(h)) < vm_mib {
        h += 256;
    }
    h
}

pub fn needs(p: &Profile) -> Needs {
    let vm: u64 = p.nodes.iter().map(|n| u64::from(n.memory)).sum();
    let images: u64 = p.components.addons().map(addon_images_mib).sum();
    Needs {
        vm_memory_mib: vm,
        host_memory_mib: host_memory_for(vm),
        disk_mib: BOX_MIB + vm_disk_need(p),
        download_mib: BOX_DOWNLOAD_MIB
            + NODE_IMAGES_MIB * p.nodes.len() as u64
            + images
            + WORKLOAD_IMAGES_MIB,
    }
}

impl Needs {
    /// One line: `RAM 8.0 GiB for the VMs (a host with 10.8 GiB or more), ...`.
    pub fn text(&self) -> String {
        format!(
            "RAM {} for the VMs (a host with {} or more), disk about {}, first download about {} (estimates)",
            gib(self.vm_memory_mib),
            gib(self.host_memory_mib),
            gib(self.disk_mib),
            gib(self.download_mib)
        )
    }
}

fn gib(mib: u64) -> String {
    format!("{:.1} GiB", mib as f64 / 1024.0)
}

/// Memory the host keeps for itself while the VMs run: its own OS and desktop, the
/// hypervisor's per-VM overhead, a browser for the dashboards. A quarter of its RAM, at least
/// 2 GiB and at most 4 GiB: a 16 GB laptop (about 15.5 GiB usable) keeps 3.9 GiB and has 11.6
/// GiB for VMs, which `mono-lite` (8 GiB) fits and `mono` (18 GiB) does not.
pub fn host_reserve_mib(total_mib: u64) -> u64 {
    (total_mib / 4).clamp(2048, 4096)
}

pub fn memory(p: &Profile, f: &Facts) -> Check {
    let id = "memory";
    let need: u64 = p.nodes.iter().map(|n| u64::from(n.memory)).sum();
    let fix = format!(
        "use a smaller profile (`mlk up -p mono-lite`: 8 GiB, no Kubeflow), lower nodes[].memory or disable add-ons under `components:` (Kubeflow needs about 12 GiB), or stop other VMs (`mlk stop -c NAME`){}",
        super::copy_hint(p)
    );
    match (f.mem_total_mib, f.mem_available_mib) {
        (Some(total), _) if need + host_reserve_mib(total) > total => Check::fail(
            id,
            format!(
                "the VMs need {}, but this host has {} in total and keeps {} for itself (its OS, the hypervisor, a browser): {} is left for VMs",
                gib(need),
                gib(total),
                gib(host_reserve_mib(total)),
                gib(total.saturating_sub(host_reserve_mib(total)))
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
        (total, Some(avail)) => Check::pass(
            id,
            format!(
                "the VMs need {} of {} available{}",
                gib(need),
                gib(avail),
                total.map_or(String::new(), |t| format!(
                    " ({} kept for the host of {} in total)",
                    gib(host_reserve_mib(t)),
                    gib(t)
                ))
            ),
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
