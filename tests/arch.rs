//! Host architecture: `mlk doctor` reports it, and `mlk up` refuses a non-x86_64 host for VMs
//! before it creates anything, even with --skip-preflight. The arch is injected (facts.arch,
//! MLK_HOST_ARCH): this CI host is x86_64.
use mlk::doctor::{self, Status, arch, facts};
use mlk::profile::Hypervisor;
use mlk::provider::ProviderKind;
use std::process::Command;

fn mono() -> mlk::profile::Profile {
    crate::node_render::load_text(&crate::node_render::embedded("mono"), None)
}

#[test]
fn the_doctor_reports_the_arch_and_fails_arm64_for_vms_only() {
    let p = mono();
    let home = tempfile::tempdir().unwrap();
    for prov in Hypervisor::ALL {
        let target = ProviderKind::Vagrant(prov);
        let mut f = facts::gather(&p, target, home.path());
        assert_eq!(f.arch, std::env::consts::ARCH);
        f.arch = "x86_64".into();
        let checks = doctor::checks(&p, target, &f);
        assert_eq!(checks[0].id, "arch");
        assert_eq!(checks[0].status, Status::Pass);
        assert_eq!(checks[0].detail, "host x86_64 (amd64)");

        f.arch = "aarch64".into();
        let report = doctor::Report::new(&p, target, doctor::checks(&p, target, &f));
        let c = &report.checks[0];
        assert_eq!((c.id, c.status), ("arch", Status::Fail), "{c:?}");
        for what in [
            "aarch64 (arm64)",
            "rke, kubectl, helm, kustomize",
            "linux-amd64",
            "exec format error",
        ] {
            assert!(c.detail.contains(what), "{what}: {}", c.detail);
        }
        assert!(c.fix.as_deref().unwrap().contains("--provider ssh"));
        let err = doctor::preflight_verdict(&report).unwrap_err();
        assert_eq!(mlk::exit::class_of(&err), mlk::exit::Class::Preflight);
        assert!(format!("{err:#}").contains("FAIL [arch]"));
    }
    // Existing machines: the host's arch does not matter (os-prep checks each node's).
    let mut f = facts::gather(&p, ProviderKind::Ssh, home.path());
    f.arch = "aarch64".into();
    let c = &doctor::checks(&p, ProviderKind::Ssh, &f)[0];
    assert_eq!((c.id, c.status), ("arch", Status::Pass), "{c:?}");
    assert!(c.detail.contains("os-prep"), "{c:?}");

    assert!(arch::require(ProviderKind::Vagrant(Hypervisor::Virtualbox), "x86_64").is_ok());
    assert!(arch::require(ProviderKind::Ssh, "aarch64").is_ok());
    let err = arch::require(ProviderKind::Vagrant(Hypervisor::Libvirt), "aarch64").unwrap_err();
    assert_eq!(mlk::exit::class_of(&err), mlk::exit::Class::Preflight);
}

fn mlk(home: &std::path::Path, arch: &str, args: &[&str]) -> std::process::Output {
    Command::new(assert_cmd::cargo::cargo_bin("mlk"))
        .arg("--dir")
        .arg(home)
        .args(args)
        .env_remove("MLK_HOME")
        .env("MLK_PROGRESS", "never")
        .env("MLK_HOST_ARCH", arch)
        .output()
        .unwrap()
}

#[test]
fn up_refuses_an_arm64_host_before_creating_anything_even_without_preflight() {
    let home = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--skip-preflight"][..]] {
        let mut args = vec!["up", "-p", "mono", "--provider", "virtualbox"];
        args.extend_from_slice(extra);
        let out = mlk(home.path(), "aarch64", &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{err}");
        assert!(
            err.contains("aarch64 (arm64)") && err.contains("only x86_64"),
            "{err}"
        );
        assert!(err.contains("linux-amd64"), "{err}");
        assert!(
            std::fs::read_dir(home.path()).unwrap().next().is_none(),
            "nothing may be created: {:?}",
            std::fs::read_dir(home.path()).unwrap().collect::<Vec<_>>()
        );
    }
    // `mlk doctor` shows the architecture in its report.
    let out = mlk(home.path(), "aarch64", &["doctor", "-p", "mono", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &report["checks"][0];
    assert_eq!(
        (c["id"].as_str(), c["status"].as_str()),
        (Some("arch"), Some("FAIL"))
    );
    assert_eq!(out.status.code(), Some(5));
}
