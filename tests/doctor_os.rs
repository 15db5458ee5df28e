//! The doctor on macOS and Windows hosts: the virtualisation check from each OS's own answer
//! (`Facts::host_virt`, what `platform::host::virtualisation` reads there), and the other
//! checks answering from the facts every OS has. The facts are gathered for real on this
//! Linux host; the OS and its answer are then set as a Mac or a Windows PC gives them.
use mlk::doctor::{self, Status, facts};
use mlk::platform::host::Virt;
use mlk::profile::Hypervisor;
use mlk::provider::ProviderKind;

fn profile(name: &str) -> mlk::profile::Profile {
    crate::node_render::load_text(&crate::node_render::embedded(name), None)
}

fn virt(
    p: &mlk::profile::Profile,
    prov: Hypervisor,
    os: &str,
    arch: &str,
    v: Virt,
) -> doctor::Check {
    let target = ProviderKind::Vagrant(prov);
    let home = tempfile::tempdir().unwrap();
    let mut f = facts::gather(p, target, home.path());
    f.os = os.into();
    f.arch = arch.into();
    f.cpu_flags = None; // no /proc/cpuinfo there
    f.host_virt = Some(v);
    doctor::checks(p, target, &f)
        .into_iter()
        .find(|c| c.id == "virtualization")
        .expect("a virtualization check")
}

fn win(hardware: Option<bool>, hypervisor: Option<bool>) -> Virt {
    Virt {
        hardware,
        hypervisor,
        source: "IsProcessorFeaturePresent(PF_VIRT_FIRMWARE_ENABLED), Win32_ComputerSystem.HypervisorPresent".into(),
    }
}

#[test]
fn windows_virtualbox_under_hyper_v_warns_and_names_the_known_errors() {
    let p = profile("mono");
    let c = virt(
        &p,
        Hypervisor::Virtualbox,
        "windows",
        "x86_64",
        win(None, Some(true)),
    );
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(
        c.detail.contains("VERR_NEM_*") && c.detail.contains("WHvSetupPartition"),
        "{c:?}"
    );
    let fix = c.fix.unwrap();
    assert!(
        fix.contains("provider: hyperv") && fix.contains("bcdedit /set hypervisorlaunchtype off"),
        "{fix}"
    );
    // The advice table has the errors the warning names.
    for (id, text) in [
        (
            "VBOX_HYPERV_PARTITION",
            "VBoxManage.exe: error: Call to WHvSetupPartition failed: ERROR_SUCCESS (Last=0xc000000d/87) (VERR_NEM_VM_CREATE_FAILED)",
        ),
        (
            "VBOX_NEM_NOT_AVAILABLE",
            "VBoxManage.exe: error: Not in a hypervisor partition (HVP=0) (VERR_NEM_NOT_AVAILABLE).",
        ),
    ] {
        let ids: Vec<&str> = mlk::advice::match_output(text)
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(ids, vec![id]);
    }

    let c = virt(
        &p,
        Hypervisor::Virtualbox,
        "windows",
        "x86_64",
        win(Some(false), Some(false)),
    );
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.detail.contains("firmware"), "{c:?}");
    let c = virt(
        &p,
        Hypervisor::Virtualbox,
        "windows",
        "x86_64",
        win(Some(true), Some(false)),
    );
    assert_eq!(c.status, Status::Pass, "{c:?}");
    let c = virt(
        &p,
        Hypervisor::Virtualbox,
        "windows",
        "x86_64",
        win(None, None),
    );
    assert_eq!(
        c.status,
        Status::Warn,
        "unknown is said, not guessed: {c:?}"
    );
    assert!(c.detail.contains("not detectable"), "{c:?}");
}

#[test]
fn windows_hyper_v_needs_its_hypervisor_running_and_libvirt_is_not_available() {
    let p = profile("mono");
    let c = virt(
        &p,
        Hypervisor::Hyperv,
        "windows",
        "x86_64",
        win(None, Some(false)),
    );
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.fix.unwrap().contains("hypervisorlaunchtype auto"));
    let c = virt(
        &p,
        Hypervisor::Hyperv,
        "windows",
        "x86_64",
        win(None, Some(true)),
    );
    assert_eq!(c.status, Status::Pass, "{c:?}");
    let c = virt(
        &p,
        Hypervisor::Libvirt,
        "windows",
        "x86_64",
        win(Some(true), Some(false)),
    );
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.detail.contains("not available on this OS"), "{c:?}");
}

#[test]
fn macos_apple_silicon_says_what_works_and_agrees_with_the_arch_check() {
    let p = profile("mono");
    let hv = |on| Virt {
        hardware: Some(on),
        hypervisor: None,
        source: "sysctl kern.hv_support".into(),
    };
    let c = virt(&p, Hypervisor::Virtualbox, "macos", "aarch64", hv(true));
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(
        c.detail.contains("arm64 guests only") && c.detail.contains("--provider ssh"),
        "{c:?}"
    );
    // The arch check is the one that fails such a host for VMs.
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let home = tempfile::tempdir().unwrap();
    let mut f = facts::gather(&p, target, home.path());
    f.os = "macos".into();
    f.arch = "aarch64".into();
    let arch = &doctor::checks(&p, target, &f)[0];
    assert_eq!((arch.id, arch.status), ("arch", Status::Fail));

    let c = virt(&p, Hypervisor::Virtualbox, "macos", "x86_64", hv(true));
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!(c.detail.contains("kern.hv_support = 1"), "{c:?}");
    let c = virt(&p, Hypervisor::Virtualbox, "macos", "x86_64", hv(false));
    assert_eq!(c.status, Status::Fail, "{c:?}");
    let c = virt(&p, Hypervisor::Hyperv, "macos", "x86_64", hv(true));
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.detail.contains("not available on this OS"), "{c:?}");
    // libvirt: kvm does not exist on macOS, qemu (software) does.
    let c = virt(&p, Hypervisor::Libvirt, "macos", "x86_64", hv(true));
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.fix.unwrap().contains("driver: qemu"));
}

#[cfg(target_os = "linux")]
#[test]
fn linux_keeps_its_own_cpuinfo_check() {
    let p = profile("mono");
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let home = tempfile::tempdir().unwrap();
    let mut f = facts::gather(&p, target, home.path());
    assert_eq!(f.os, "linux");
    assert!(f.host_virt.is_none(), "Linux answers from /proc/cpuinfo");
    f.cpu_flags = Some(mlk::doctor::host::CpuFlags {
        vmx: true,
        svm: false,
        hypervisor: false,
    });
    let c = doctor::checks(&p, target, &f)
        .into_iter()
        .find(|c| c.id == "virtualization")
        .unwrap();
    assert_eq!(
        (c.status, c.detail.as_str()),
        (Status::Pass, "the CPU offers VT-x/AMD-V")
    );
    // Every fact a check reads has an answer on this host, from the crate or the OS.
    assert!(f.mem_total_mib.is_some() && f.mem_available_mib.is_some() && f.cpus >= 1);
    assert!(
        f.interfaces
            .as_ref()
            .unwrap()
            .iter()
            .any(|i| i.addr.is_loopback())
    );
}
