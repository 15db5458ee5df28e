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

/// A box catalog in files, as Vagrant reads one for a short box name: `VAGRANT_SERVER_URL`
/// (here a file:// URL) + `/NAME` is the catalog entry (the JSON Vagrant Cloud serves), whose
/// one version points at a tiny box file for `provider`. Nothing leaves the machine.
fn local_catalog(root: &Path, name: &str, version: &str, provider: &str) -> String {
    let build = root.join("box-build");
    std::fs::create_dir_all(&build).unwrap();
    std::fs::write(
        build.join("metadata.json"),
        format!("{{\"provider\": \"{provider}\"}}"),
    )
    .unwrap();
    std::fs::write(build.join("box.img"), vec![7u8; 1 << 20]).unwrap();
    let file = root.join("tiny.box");
    let tar = Command::new("tar")
        .arg("czf")
        .arg(&file)
        .arg("-C")
        .arg(&build)
        .args(["metadata.json", "box.img"])
        .status()
        .unwrap();
    assert!(tar.success());
    let srv = root.join("catalog");
    let entry = srv.join(name);
    std::fs::create_dir_all(entry.parent().unwrap()).unwrap();
    std::fs::write(
        &entry,
        format!(
            "{{\"name\": \"{name}\", \"versions\": [{{\"version\": \"{version}\", \"providers\": [{{\"name\": \"{provider}\", \"url\": \"file://{}\"}}]}}]}}",
            file.display()
        ),
    )
    .unwrap();
    format!("file://{}", srv.display())
}

#[test]
fn up_adds_the_box_as_its_own_step_then_names_an_unusable_provider_exit_3() {
    let Some(_) = vagrant() else { return };
    if which("VBoxManage") {
        eprintln!("skipped: VirtualBox is installed here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let catalog = local_catalog(
        dir.path(),
        "bento/ubuntu-24.04",
        "202510.26.0",
        "virtualbox",
    );
    let up = || {
        mlk(dir.path())
            .args([
                "up",
                "--provider",
                "virtualbox",
                "--skip-preflight",
                "--profile",
                "mono",
            ])
            .env("VAGRANT_SERVER_URL", &catalog)
            .output()
            .unwrap()
    };
    // The box is not installed (HOME, and so VAGRANT_HOME, is empty): mlk adds it first, as a
    // step of its own that says what it does and how large it is.
    let out = up();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("box bento/ubuntu-24.04 202510.26.0 (virtualbox) is not installed: `vagrant box add bento/ubuntu-24.04 --provider virtualbox --box-version 202510.26.0` downloads it once"),
        "{err}"
    );
    assert!(err.contains("GiB"), "{err}");
    assert!(
        err.contains("box bento/ubuntu-24.04 202510.26.0 added in"),
        "{err}"
    );
    let boxes = Command::new("vagrant")
        .args(["box", "list"])
        .env("VAGRANT_HOME", dir.path().join(".vagrant.d"))
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&boxes.stdout);
    assert!(
        list.contains("bento/ubuntu-24.04 (virtualbox, 202510.26.0)"),
        "{list}"
    );
    // Vagrant's progress lines went to the log.
    let log = std::fs::read_to_string(dir.path().join("mono/mlk.log")).unwrap();
    assert!(
        log.contains("Adding box 'bento/ubuntu-24.04' (v202510.26.0)"),
        "{log}"
    );
    // Then `vagrant up`: VirtualBox is not installed here, and Vagrant says so.
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
    // Again: the box is there now, so no second download.
    let out = up();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("is not installed"), "{err}");
    assert!(err.contains("(ProviderNotUsable)"), "{err}");
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
