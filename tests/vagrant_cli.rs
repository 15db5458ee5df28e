//! `mlk` against the real `vagrant` CLI where no hypervisor is needed: a missing vagrant, a
//! provider that is not usable here, status and down of a cluster that was never created.
//! (Real VMs: scripts/e2e-libvirt.sh.)
use std::path::Path;
use std::process::Command;

fn mlk(dir: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("mlk"));
    c.arg("--dir").arg(dir).arg("--progress").arg("never");
    c.env("HOME", dir)
        .env_remove("MLK_VAGRANT")
        .env_remove("MLK_VAGRANT_UP");
    c
}

/// The real vagrant, or None (then CI fails: .ci/setup.d/50-libvirt.sh installs it).
fn vagrant() -> Option<String> {
    let out = Command::new("sh")
        .args(["-c", "command -v vagrant"])
        .output()
        .ok()?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if p.is_empty() {
        assert!(
            std::env::var("CI").is_err(),
            "vagrant is not installed; CI installs it in .ci/setup.d/50-libvirt.sh"
        );
        eprintln!("skipped: vagrant not installed");
        return None;
    }
    Some(p)
}

#[test]
fn up_without_vagrant_says_how_to_install_it_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = mlk(dir.path())
        .args([
            "up",
            "--provider",
            "libvirt",
            "--skip-preflight",
            "--profile",
            "mono",
        ])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("`vagrant` was not found on PATH"), "{err}");
    assert!(err.contains("apt-get install vagrant"), "{err}");
}

#[test]
fn up_with_an_unusable_provider_names_it_and_what_to_install_exit_3() {
    let Some(_) = vagrant() else { return };
    let dir = tempfile::tempdir().unwrap();
    // VirtualBox is not installed on this machine: Vagrant refuses before touching any box.
    let out = mlk(dir.path())
        .args([
            "up",
            "--provider",
            "virtualbox",
            "--skip-preflight",
            "--profile",
            "mono",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if which("VBoxManage") {
        eprintln!("skipped: VirtualBox is installed here");
        return;
    }
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("(ProviderNotUsable)"), "{err}");
    assert!(
        err.contains("Vagrant could not detect VirtualBox!"),
        "{err}"
    );
    assert!(err.contains("hint: install VirtualBox"), "{err}");
    // The machines were not created, and the failure is recorded.
    let state = std::fs::read_to_string(dir.path().join("mono/state.json")).unwrap();
    assert!(state.contains("\"failed\""), "{state}");
}

fn which(p: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {p}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn status_and_down_of_a_never_created_libvirt_cluster() {
    let Some(_) = vagrant() else { return };
    if !Path::new("/usr/share/rubygems-integration/all/gems")
        .read_dir()
        .is_ok_and(|mut d| {
            d.any(|e| {
                e.is_ok_and(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("vagrant-libvirt")
                })
            })
        })
    {
        assert!(
            std::env::var("CI").is_err(),
            "vagrant-libvirt missing in CI"
        );
        eprintln!("skipped: vagrant-libvirt not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A real `mlk up` that creates no machine: only a custom stage on this host runs.
    let yaml = format!(
        "{}stages:\n  - {{id: local-mark, after: docker, target: host, run: \"true\"}}\n",
        mlk::profile::embedded_source("distributed").unwrap()
    );
    let profile = dir.path().join("distributed.yaml");
    std::fs::write(&profile, yaml).unwrap();
    let out = mlk(dir.path())
        .args(["up", "--provider", "libvirt", "--skip-preflight"])
        .arg("-p")
        .arg(&profile)
        .args(["--only", "local-mark"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // vagrant-libvirt answers `status` without a libvirtd: every machine not_created. The
    // cluster is found by itself (the only one) and with its recorded provider.
    let out = mlk(dir.path()).args(["status", "--json"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "not fully up: {err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["provider"], "vagrant/libvirt");
    let states: Vec<&str> = v["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["not_created"; 3]);
    assert_eq!(v["stages"][0]["id"], "machines");
    assert_eq!(v["stages"][0]["status"], "pending");
    assert_eq!(v["fully_up"], false);
    // `down` of a cluster that never got a VM: no question (not a terminal), no vagrant and no
    // hypervisor needed, the folder kept by default.
    let out = mlk(dir.path())
        .arg("down")
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("no VM of cluster distributed was ever created"),
        "{err}"
    );
    assert!(
        dir.path()
            .join("distributed/rendered/Vagrantfile")
            .is_file()
    );
    let out = mlk(dir.path())
        .args(["down", "-c", "distributed"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already destroyed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = mlk(dir.path())
        .args(["down", "-c", "distributed", "--purge", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!dir.path().join("distributed").exists());
}
