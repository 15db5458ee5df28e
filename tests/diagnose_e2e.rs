//! End to end on real sshd test hosts: a custom stage fails with real RKE error text, `mlk up`
//! exits with the stage's class, prints the known-error advice and the bundle path, and the
//! bundle holds the log, state and rendered files with the planted secret redacted.
use crate::diagnose::{all_files, unpack};
use crate::ssh_support::{TestHosts, have_root};
use std::process::Command;

/// Stored in the cluster's secrets/ and echoed by the failing stage: must not reach the bundle.
const SECRET: &str = "pl4nted-Bootstrap-Secret-91";

#[test]
fn failed_stage_on_test_hosts_leaves_advice_and_a_redacted_bundle() {
    if !have_root("failed_stage_on_test_hosts_leaves_advice_and_a_redacted_bundle") {
        return;
    }
    let hosts = TestHosts::up(1);
    let home = tempfile::tempdir().unwrap();
    let inv = home.path().join("inventory");
    std::fs::write(&inv, hosts.ctl(&["ssh-config"])).unwrap();
    let cluster = home.path().join("boom");
    std::fs::create_dir_all(cluster.join("secrets")).unwrap();
    std::fs::write(cluster.join("secrets/planted"), SECRET).unwrap();
    // The mono profile with one extra stage that fails the way rke does on slow VMs
    // (rancher/rancher#31554's last line), after printing the secret.
    let profile = mlk::profile::embedded_source("mono")
        .unwrap()
        .replace("name: mono", "name: boom")
        + &format!(
            "stages:\n  - id: boom\n    after: os-prep\n    target: first-controlplane\n    run: |\n      echo \"using {SECRET}\"\n      echo 'FATA[0051] Failed to get job complete status for job rke-network-plugin-deploy-job in namespace kube-system'\n      exit 3\n"
        );
    let file = home.path().join("boom.yaml");
    std::fs::write(&file, profile).unwrap();

    let out = Command::new(crate::diagnose::mlk())
        .arg("--dir")
        .arg(home.path())
        .args([
            "up",
            "-p",
            file.to_str().unwrap(),
            "--provider",
            "ssh",
            "--inventory",
        ])
        .arg(&inv)
        .args(["--only", "boom"])
        .env("MLK_PROGRESS", "never")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "class Remote expected:\n{err}");
    assert!(err.contains("hint [RKE_ADDON_JOB_TIMEOUT]"), "{err}");
    assert!(!err.contains(SECRET) || err.contains("| using"), "{err}");
    let path = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("diagnostics: "))
        .unwrap_or_else(|| panic!("no bundle path in:\n{err}"));
    assert!(path.starts_with(cluster.to_str().unwrap()), "{path}");

    let (_tmp, top) = unpack(std::path::Path::new(path));
    let files = all_files(&top);
    let get = |n: &str| {
        files
            .iter()
            .find(|(p, _)| p.strip_prefix(&top).unwrap().to_str() == Some(n))
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| panic!("{n} missing from the bundle"))
    };
    assert!(
        get("mlk.log").contains("rke-network-plugin-deploy-job"),
        "{}",
        get("mlk.log")
    );
    assert!(
        get("mlk.log").contains("using [REDACTED]"),
        "{}",
        get("mlk.log")
    );
    assert!(
        get("state.json").contains("\"boom\""),
        "{}",
        get("state.json")
    );
    assert!(get("rendered/cluster.yml").contains("192.168.56.10"));
    assert!(get("advice.txt").contains("[RKE_ADDON_JOB_TIMEOUT]"));
    for (p, text) in &files {
        assert!(
            !text.contains(SECRET),
            "{} leaks the planted secret",
            p.display()
        );
    }
}
