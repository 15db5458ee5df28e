//! Virtualisation on macOS and Windows hosts, from the OS's own answer (`Facts::host_virt`),
//! where Linux's /proc/cpuinfo flags do not exist: Hyper-V and VirtualBox under it on Windows,
//! Hypervisor.framework and Apple Silicon on macOS, and what each provider can do there.
//! Linux hosts keep the checks of `virt.rs`.
use super::Check;
use super::facts::Facts;
use crate::profile::{Hypervisor, LibvirtDriver, Profile};

const ID: &str = "virtualization";

/// The `virtualization` check for a non-Linux host; None on Linux (virt.rs decides there).
pub fn virtualization(p: &Profile, provider: Hypervisor, f: &Facts) -> Option<Check> {
    match f.os.as_str() {
        "linux" => None,
        "windows" => Some(windows(provider, f)),
        "macos" => Some(macos(p, provider, f)),
        other => Some(Check::warn(
            ID,
            format!("checking hardware virtualisation is not available on this OS ({other})"),
            "make sure the provider's VMs can start on this host",
        )),
    }
}

fn windows(provider: Hypervisor, f: &Facts) -> Check {
    let v = f.host_virt.clone().unwrap_or_default();
    match provider {
        Hypervisor::Hyperv => match v.hypervisor {
            Some(false) => Check::fail(
                ID,
                "the Windows hypervisor is not running (Win32_ComputerSystem.HypervisorPresent is False), so Hyper-V cannot start VMs",
                "in an administrator shell: `bcdedit /set hypervisorlaunchtype auto`, then reboot (and enable Hyper-V in Windows Features if it is off)",
            ),
            Some(true) => Check::pass(ID, "the Windows hypervisor is running"),
            None => Check::warn(
                ID,
                format!(
                    "whether the Windows hypervisor runs is unknown ({})",
                    v.source
                ),
                "check that Hyper-V is enabled in Windows Features",
            ),
        },
        Hypervisor::Virtualbox => match (v.hypervisor, v.hardware) {
            (Some(true), _) => Check::warn(
                ID,
                "a Windows hypervisor is running (Hyper-V, WSL 2, Docker Desktop or Memory integrity use it): VirtualBox then runs its VMs through Hyper-V (\"native execution manager\", the green turtle), which is slower and on some machines fails with VERR_NEM_* or `Call to WHvSetupPartition failed`",
                "if the VMs fail to start or crawl: use `provider: hyperv`, or turn the hypervisor off with `bcdedit /set hypervisorlaunchtype off` in an administrator shell and reboot (WSL 2 and Docker Desktop stop working until `bcdedit /set hypervisorlaunchtype auto`)",
            ),
            (_, Some(false)) => Check::fail(
                ID,
                "VT-x/AMD-V is not enabled in the firmware (IsProcessorFeaturePresent(PF_VIRT_FIRMWARE_ENABLED) is false): VirtualBox cannot run 64-bit guests",
                "enable Intel VT-x / AMD-V (SVM) in the UEFI/BIOS setup",
            ),
            (_, Some(true)) => Check::pass(
                ID,
                "VT-x/AMD-V is enabled in the firmware and no Windows hypervisor is running",
            ),
            (_, None) => Check::warn(
                ID,
                format!("hardware virtualisation is not detectable ({})", v.source),
                "make sure VT-x/AMD-V is enabled in the firmware",
            ),
        },
        Hypervisor::Libvirt => Check::fail(
            ID,
            "provider libvirt is not available on this OS (windows): vagrant-libvirt needs a Linux host",
            "use `provider: virtualbox` or `provider: hyperv` (or --provider)",
        ),
    }
}

fn macos(p: &Profile, provider: Hypervisor, f: &Facts) -> Check {
    let v = f.host_virt.clone().unwrap_or_default();
    let apple_silicon = f.arch == "aarch64";
    match provider {
        Hypervisor::Hyperv => Check::fail(
            ID,
            "provider hyperv is not available on this OS (macos)",
            "use `provider: virtualbox` (or --provider)",
        ),
        // Consistent with the arch check: on Apple Silicon every VM would be arm64.
        Hypervisor::Virtualbox if apple_silicon => Check::warn(
            ID,
            "VirtualBox on Apple Silicon (7.1 and later) runs arm64 guests only, with no x86_64 emulation; mlk's pinned binaries and boxes are amd64 (see the arch check). What works on this Mac today: `mlk up --provider ssh --inventory FILE` with existing x86_64 machines",
            "use an x86_64 host for VMs, or existing x86_64 machines over SSH",
        ),
        _ if v.hardware == Some(false) => Check::fail(
            ID,
            format!(
                "this Mac reports no usable hardware virtualisation ({} is 0): the VMs cannot start (a Mac that is itself a VM needs nested virtualisation)",
                v.source
            ),
            "run mlk on a Mac (or VM) with VT-x exposed",
        ),
        Hypervisor::Virtualbox => match v.hardware {
            Some(true) => Check::pass(ID, format!("VT-x usable ({} = 1)", v.source)),
            _ => Check::warn(
                ID,
                format!("hardware virtualisation is not detectable ({})", v.source),
                "make sure this Mac offers VT-x",
            ),
        },
        // vagrant-libvirt drives QEMU's kvm or qemu domain types; macOS has no KVM.
        Hypervisor::Libvirt => match p.libvirt.driver {
            LibvirtDriver::Qemu => Check::pass(
                ID,
                "libvirt driver qemu: software emulation, which works on macOS (slow)",
            ),
            LibvirtDriver::Kvm => Check::fail(
                ID,
                "libvirt driver kvm is not available on this OS (macos has no KVM)",
                format!(
                    "set `libvirt: {{driver: qemu}}` in the profile, or use `provider: virtualbox`{}",
                    super::copy_hint(p)
                ),
            ),
        },
    }
}
