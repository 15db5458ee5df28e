//! Virtualisation support (VT-x/AMD-V, /dev/kvm) and the inotify limits Kubeflow needs.
use super::Check;
use super::facts::Facts;
use crate::profile::{Hypervisor, LibvirtDriver, Profile};
use crate::provider::ProviderKind;

/// Smallest inotify limits Kubeflow runs with (deployKF's local quickstart); mlk's os-prep
/// stage sets kubeflow/manifests' larger values (2280 / 1255360).
pub const INOTIFY_MIN_INSTANCES: u64 = 1280;
pub const INOTIFY_MIN_WATCHES: u64 = 655_360;

pub fn virtualization(p: &Profile, provider: Hypervisor, f: &Facts) -> Check {
    let id = "virtualization";
    if let Some(c) = super::os::virtualization(p, provider, f) {
        return c;
    }
    if provider == Hypervisor::Hyperv {
        return Check::pass(id, "Hyper-V brings its own virtualisation check");
    }
    let Some(flags) = f.cpu_flags else {
        return Check::warn(
            id,
            format!("VT-x/AMD-V is not detectable on {}", f.os),
            "make sure hardware virtualisation is enabled in the firmware",
        );
    };
    let hw = flags.vmx || flags.svm;
    let nested = if flags.hypervisor {
        " (this host is itself a VM: nested virtualisation must be enabled on the outer hypervisor)"
    } else {
        " (enable VT-x/AMD-V in the firmware)"
    };
    match provider {
        Hypervisor::Virtualbox if hw => Check::pass(id, "the CPU offers VT-x/AMD-V"),
        Hypervisor::Virtualbox => Check::fail(
            id,
            format!(
                "no vmx/svm flag in /proc/cpuinfo: VirtualBox cannot run 64-bit guests{nested}"
            ),
            "enable hardware virtualisation, or use `provider: libvirt` with `libvirt: {driver: qemu}` (software emulation, slow)",
        ),
        _ => match p.libvirt.driver {
            LibvirtDriver::Qemu => Check::pass(
                id,
                "libvirt driver qemu: software emulation, no VT-x needed (slow)",
            ),
            LibvirtDriver::Kvm if hw && f.dev_kvm => {
                Check::pass(id, "/dev/kvm and VT-x/AMD-V present")
            }
            LibvirtDriver::Kvm if f.dev_kvm => Check::warn(
                id,
                "/dev/kvm exists but the CPU shows no vmx/svm (e.g. KVM-PVM): stock guest kernels may hang at boot",
                format!(
                    "set `libvirt: {{driver: qemu}}` in the profile if the VMs never answer SSH{}",
                    super::copy_hint(p)
                ),
            ),
            LibvirtDriver::Kvm => Check::fail(
                id,
                format!("libvirt driver kvm needs /dev/kvm, which is missing{nested}"),
                format!(
                    "load KVM (`sudo modprobe kvm_intel` or `kvm_amd`), or set `libvirt: {{driver: qemu}}` in the profile{}",
                    super::copy_hint(p)
                ),
            ),
        },
    }
}

/// Reads `key = N` from a sysctl.d text.
/// The value the os-prep script sets for `key`, in either `key = value` (a sysctl.conf line)
/// or `key value mode` (the script's own table) form.
fn sysctl_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = l.trim().trim_start_matches('"').strip_prefix(key)?;
        let rest = rest.trim_start();
        let rest = rest.strip_prefix('=').unwrap_or(rest);
        rest.split_whitespace()
            .next()?
            .trim_end_matches('"')
            .parse()
            .ok()
    })
}

pub fn inotify(p: &Profile, target: ProviderKind, f: &Facts) -> Check {
    let id = "inotify";
    if !p.components.kubeflow.enabled {
        return Check::pass(id, "Kubeflow is disabled: the default inotify limits do");
    }
    let script = f.os_prep_script.as_deref().unwrap_or("");
    let inst = sysctl_value(script, "fs.inotify.max_user_instances");
    let watches = sysctl_value(script, "fs.inotify.max_user_watches");
    let nodes_ok = inst.is_some_and(|v| v >= INOTIFY_MIN_INSTANCES)
        && watches.is_some_and(|v| v >= INOTIFY_MIN_WATCHES);
    let fix_nodes = format!(
        "set fs.inotify.max_user_instances >= {INOTIFY_MIN_INSTANCES} and fs.inotify.max_user_watches >= {INOTIFY_MIN_WATCHES} on the nodes (stage os-prep)"
    );
    if !nodes_ok {
        return Check::fail(
            id,
            format!(
                "the os-prep stage does not raise the nodes' inotify limits (instances {inst:?}, watches {watches:?})"
            ),
            fix_nodes,
        );
    }
    let (hi, hw) = f.host_inotify;
    let host = format!(
        "this host: {} / {}",
        hi.map_or("?".into(), |v| v.to_string()),
        hw.map_or("?".into(), |v| v.to_string())
    );
    let node_side = format!(
        "the limits are node-side: stage os-prep sets {} / {} on every node",
        inst.unwrap_or(0),
        watches.unwrap_or(0)
    );
    match target {
        // VMs run their own kernels: the host's limits do not reach them.
        ProviderKind::Vagrant(_) => {
            Check::pass(id, format!("{node_side} ({host}, not used by VMs)"))
        }
        ProviderKind::Ssh => {
            let low = hi.is_some_and(|v| v < INOTIFY_MIN_INSTANCES)
                || hw.is_some_and(|v| v < INOTIFY_MIN_WATCHES);
            if low {
                Check::warn(
                    id,
                    format!(
                        "{node_side}; {host} is lower, which matters only if the SSH hosts are containers sharing this kernel"
                    ),
                    format!(
                        "sudo sysctl -w fs.inotify.max_user_instances={INOTIFY_MIN_INSTANCES} fs.inotify.max_user_watches={INOTIFY_MIN_WATCHES}"
                    ),
                )
            } else {
                Check::pass(id, format!("{node_side} ({host})"))
            }
        }
    }
}
