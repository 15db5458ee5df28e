//! Virtualisation support (VT-x/AMD-V, /dev/kvm, KVM holding them against VirtualBox) and the
//! inotify limits Kubeflow needs.
use super::Check;
use super::facts::Facts;
use crate::profile::{Hypervisor, LibvirtDriver, Profile};
use crate::provider::ProviderKind;
use serde::Serialize;
use std::path::Path;

/// What a Linux host says about KVM: which vendor modules are loaded, and whether KVM turns
/// VT-x/AMD-V on when it loads rather than when a KVM VM starts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct KvmState {
    /// `kvm_intel` / `kvm_amd`, when /sys/module has them (loaded, or built in).
    pub modules: Vec<String>,
    /// /sys/module/kvm/parameters/enable_virt_at_load: Some(true) for `Y`. The parameter exists
    /// from Linux 6.12 on (torvalds/linux v6.12 virt/kvm/kvm_main.c,
    /// `module_param(enable_virt_at_load, bool, 0444)`, default true); None before, or when
    /// kvm is not loaded.
    pub virt_at_load: Option<bool>,
    /// The running kernel's release (/proc/sys/kernel/osrelease), e.g. `6.12.3-amd64`.
    pub kernel: Option<String>,
}

/// Reads [`KvmState`] under `sys` (normally /sys); `osrelease` is the kernel release text.
pub fn kvm_state(sys: &Path, osrelease: Option<String>) -> KvmState {
    let module = sys.join("module");
    KvmState {
        modules: ["kvm_intel", "kvm_amd"]
            .into_iter()
            .filter(|m| module.join(m).is_dir())
            .map(String::from)
            .collect(),
        virt_at_load: std::fs::read_to_string(module.join("kvm/parameters/enable_virt_at_load"))
            .ok()
            .map(|t| matches!(t.trim(), "Y" | "y" | "1")),
        kernel: osrelease.map(|t| t.trim().to_string()),
    }
}

/// Linux 6.12: from this release KVM enables VT-x/AMD-V when its module loads.
const KVM_VIRT_AT_LOAD_SINCE: [u32; 2] = [6, 12];

/// The `kvm` check (provider virtualbox, Linux): VirtualBox cannot enter VMX root mode / use
/// SVM while KVM holds them, which it does from module load on Linux 6.12+
/// (`VERR_VMX_IN_VMX_ROOT_MODE`, `VERR_SVM_IN_USE`; NixOS/nixpkgs#363887).
pub fn kvm(f: &Facts) -> Option<Check> {
    let id = "kvm";
    let k = f.kvm.as_ref()?;
    if k.modules.is_empty() {
        return Some(Check::pass(
            id,
            "no KVM module is loaded: VirtualBox has VT-x/AMD-V to itself",
        ));
    }
    let loaded = k.modules.join(", ");
    let kernel = k.kernel.as_deref().unwrap_or("?");
    let new_kernel =
        super::host::version_numbers(kernel).as_slice() >= KVM_VIRT_AT_LOAD_SINCE.as_slice();
    let holds = k.virt_at_load.unwrap_or(new_kernel);
    if !holds {
        let why = if k.virt_at_load == Some(false) {
            "kvm.enable_virt_at_load=0"
        } else {
            "before Linux 6.12 KVM takes VT-x/AMD-V only while a KVM VM runs"
        };
        return Some(Check::pass(
            id,
            format!(
                "{loaded} loaded on Linux {kernel}, but {why}: VirtualBox works while no KVM VM runs"
            ),
        ));
    }
    let error = if k.modules.iter().any(|m| m == "kvm_amd") {
        "VERR_SVM_IN_USE"
    } else {
        "VERR_VMX_IN_VMX_ROOT_MODE"
    };
    Some(Check::warn(
        id,
        format!(
            "{loaded} loaded on Linux {kernel}, which turns VT-x/AMD-V on when KVM loads (kvm.enable_virt_at_load=1): VirtualBox VMs will not start ({error})"
        ),
        format!(
            "unload KVM until the next boot: `sudo modprobe -r {} kvm`; or for good: `echo 'options kvm enable_virt_at_load=0' | sudo tee /etc/modprobe.d/kvm-virtualbox.conf` and reboot (the line Debian's virtualbox package installs, Debian bug 1082157); or use `--provider libvirt`",
            k.modules.join(" ")
        ),
    ))
}

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
