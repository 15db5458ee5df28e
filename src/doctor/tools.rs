//! Checks on the tools: Vagrant and the provider it drives (VirtualBox, libvirt, Hyper-V).
use super::facts::Facts;
use super::host::version_numbers;
use super::{Check, Status};
use crate::profile::Hypervisor;

/// Vagrant 2.2.19 is the first release that knows VirtualBox 6.1.28's host-only range rule
/// (kit-tm/sdn-cockpit#14 ran 6.1.28 with it); MiniKF users hit "too old" below 2.2.9.
const VAGRANT_MIN: [u32; 3] = [2, 2, 19];

/// Which VirtualBox releases Vagrant drives: the `driver_map` of Vagrant's VirtualBox provider
/// (plugins/providers/virtualbox/driver/meta.rb), read at every tag from v2.2.19 to v2.4.9
/// (docs/contracts.md). Each VirtualBox major.minor with the first Vagrant release whose table
/// has it; 4.0 to 6.1 are in every release mlk accepts. Vagrant refuses any other release
/// with `VirtualBoxInvalidVersion`, so a VirtualBox this table does not know fails here too.
pub const VBOX_SUPPORT: [((u32, u32), [u32; 3]); 12] = [
    ((4, 0), VAGRANT_MIN),
    ((4, 1), VAGRANT_MIN),
    ((4, 2), VAGRANT_MIN),
    ((4, 3), VAGRANT_MIN),
    ((5, 0), VAGRANT_MIN),
    ((5, 1), VAGRANT_MIN),
    ((5, 2), VAGRANT_MIN),
    ((6, 0), VAGRANT_MIN),
    ((6, 1), VAGRANT_MIN),
    ((7, 0), [2, 3, 2]),
    ((7, 1), [2, 4, 2]),
    ((7, 2), [2, 4, 9]),
];

/// The Vagrant release whose table `VBOX_SUPPORT` copies.
pub const VBOX_TABLE_FROM: &str = "2.4.9";

fn older(v: &[u32], min: &[u32; 3]) -> bool {
    let mut v = v.to_vec();
    v.resize(3, 0);
    v.as_slice() < min.as_slice()
}

fn dotted(v: &[u32; 3]) -> String {
    format!("{}.{}.{}", v[0], v[1], v[2])
}

/// The first Vagrant release that drives VirtualBox `vbox` (a version line such as
/// `7.1.4r165100`); None for a release Vagrant's table does not know.
pub fn vagrant_for_vbox(vbox: &str) -> Option<[u32; 3]> {
    let v = version_numbers(vbox);
    let (major, minor) = (*v.first()?, *v.get(1)?);
    VBOX_SUPPORT
        .iter()
        .find(|(mm, _)| *mm == (major, minor))
        .map(|(_, min)| *min)
}

pub fn vagrant(f: &Facts, provider: Hypervisor) -> Check {
    let id = "vagrant";
    let line = match &f.vagrant {
        Ok(l) => l,
        Err(e) => {
            return Check::fail(
                id,
                format!("Vagrant is needed to create the VMs: {e}"),
                "install Vagrant: `sudo apt-get install vagrant` (Debian ships 2.3.4) or the HashiCorp package; check with `vagrant --version`",
            );
        }
    };
    let v = version_numbers(line);
    if v.is_empty() {
        return Check::warn(
            id,
            format!("could not read a version from `{line}`"),
            "check `vagrant --version`",
        );
    }
    if older(&v, &VAGRANT_MIN) {
        return Check::fail(
            id,
            format!("{line} is older than 2.2.19"),
            "upgrade Vagrant to 2.2.19 or later",
        );
    }
    if provider == Hypervisor::Virtualbox
        && let Some(Ok(vbox)) = &f.vboxmanage
        && version_numbers(vbox).len() >= 2
    {
        let known: Vec<String> = VBOX_SUPPORT
            .iter()
            .map(|((a, b), _)| format!("{a}.{b}"))
            .collect();
        match vagrant_for_vbox(vbox) {
            None => {
                return Check::fail(
                    id,
                    format!(
                        "VirtualBox {vbox} is not in Vagrant's table of supported releases ({}, as of Vagrant {VBOX_TABLE_FROM}): Vagrant stops with \"Vagrant has detected that you have a version of VirtualBox installed that is not supported by this version of Vagrant\" (VirtualBoxInvalidVersion)",
                        known.join(", ")
                    ),
                    "install a VirtualBox release Vagrant supports (7.2 needs Vagrant 2.4.9 or later); if your Vagrant is newer and its release notes list this VirtualBox, run `mlk up --skip-preflight`",
                );
            }
            Some(min) if older(&v, &min) => {
                return Check::fail(
                    id,
                    format!(
                        "{line} does not support VirtualBox {vbox}: Vagrant {} is the first release that drives it",
                        dotted(&min)
                    ),
                    format!(
                        "upgrade Vagrant to {} or later, or use a VirtualBox release this Vagrant knows",
                        dotted(&min)
                    ),
                );
            }
            Some(_) => {}
        }
    }
    Check::pass(id, line.clone())
}

pub fn provider(f: &Facts, provider: Hypervisor) -> Check {
    let id = "provider";
    match provider {
        Hypervisor::Virtualbox => match &f.vboxmanage {
            Some(Ok(v)) => Check::pass(id, format!("VirtualBox {v} (VBoxManage)")),
            Some(Err(e)) => Check::fail(
                id,
                format!("VirtualBox is not usable: {e}"),
                "install VirtualBox and make sure `VBoxManage --version` works (on Linux also its kernel modules: `sudo /sbin/vboxconfig`), or choose another provider with `provider:` / `--provider`",
            ),
            None => Check::warn(
                id,
                "VirtualBox was not checked",
                "run `VBoxManage --version`",
            ),
        },
        Hypervisor::Libvirt => libvirt(f),
        Hypervisor::Hyperv => hyperv(f),
    }
}

fn libvirt(f: &Facts) -> Check {
    let id = "provider";
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    match &f.libvirt_socket {
        Some((_, Ok(()))) => {}
        Some((path, Err(e))) => {
            problems.push(format!(
                "the libvirt socket {} does not answer: {e}",
                path.display()
            ));
            fixes.push("install and start libvirtd: `sudo apt-get install libvirt-daemon-system && sudo systemctl enable --now libvirtd`, and join the `libvirt` group: `sudo usermod -aG libvirt $USER`");
        }
        None => problems.push("the libvirt socket was not checked".into()),
    }
    match &f.vagrant_plugins {
        Some(Ok(list)) if list.contains("vagrant-libvirt") => {}
        Some(Ok(_)) => {
            problems.push("the vagrant-libvirt plugin is not installed".into());
            fixes.push("`sudo apt-get install vagrant-libvirt` (Debian) or `vagrant plugin install vagrant-libvirt`");
        }
        Some(Err(e)) => problems.push(format!("`vagrant plugin list`: {e}")),
        None => {}
    }
    if problems.is_empty() {
        return Check::pass(
            id,
            "libvirt: libvirtd answers and vagrant-libvirt is installed",
        );
    }
    let status = if fixes.is_empty() {
        Status::Warn
    } else {
        Status::Fail
    };
    Check {
        id,
        status,
        detail: format!("libvirt: {}", problems.join("; ")),
        fix: Some(if fixes.is_empty() {
            "check `virsh -c qemu:///system list` and `vagrant plugin list`".into()
        } else {
            fixes.join("; ")
        }),
    }
}

fn hyperv(f: &Facts) -> Check {
    let id = "provider";
    if f.os != "windows" {
        return Check::fail(
            id,
            format!("Hyper-V only works on Windows; this host runs {}", f.os),
            "use `provider: virtualbox` or `provider: libvirt` in the profile (or --provider)",
        );
    }
    match &f.hyperv {
        Some(Ok(state)) if state.trim() == "Enabled" => Check::pass(
            id,
            "Hyper-V is enabled (Vagrant must run in an administrator shell; IPs are read back after boot)",
        ),
        Some(Ok(state)) => Check::fail(
            id,
            format!("the Hyper-V feature is `{state}`"),
            "in an administrator PowerShell: `Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All`, then reboot",
        ),
        Some(Err(e)) => Check::warn(
            id,
            format!("could not query Hyper-V: {e}"),
            "run mlk from an administrator PowerShell; Vagrant's Hyper-V provider needs it",
        ),
        None => Check::warn(
            id,
            "Hyper-V was not checked",
            "check Hyper-V in Windows Features",
        ),
    }
}
