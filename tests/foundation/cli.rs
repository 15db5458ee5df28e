//! The real `mlk` binary: help, plan, render and `render --check`, exit codes.
use super::common::mlk;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    mlk().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_lists_the_commands() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(s.contains("plan") && s.contains("render"), "{s}");
    let out = run(&["plan", "--help"]);
    assert!(text(&out.stdout).contains("--profile") && text(&out.stdout).contains("--json"));
}

#[test]
fn plan_prints_stages_releases_and_binaries() {
    let out = run(&["plan", "--profile", "distributed"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "node3",
        "rke-up",
        "jetstack/cert-manager",
        "Kubeflow manifests",
        "rke ",
        "kubectl",
        "helm ",
    ] {
        assert!(s.contains(want), "plan lacks {want}:\n{s}");
    }
    let out = run(&["plan", "-p", "mono", "--json"]);
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(j["cluster"], "mono");
    assert_eq!(j["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(j["helm_releases"][1]["release"], "cert-manager");
}

#[test]
fn render_then_check_passes_and_drift_fails_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let o = out_dir.to_str().unwrap();
    let out = run(&["render", "-p", "distributed", "--out", o]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out_dir.join("Vagrantfile").is_file() && out_dir.join("values/rancher.yaml").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out_dir.join("stages/tick.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    let out = run(&["render", "-p", "distributed", "--check", "--out", o]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Drift: one changed line, one deleted file.
    let cluster = out_dir.join("cluster.yml");
    let changed = std::fs::read_to_string(&cluster)
        .unwrap()
        .replace("192.168.56.21", "192.168.56.99");
    std::fs::write(&cluster, changed).unwrap();
    std::fs::remove_file(out_dir.join("values/kapacitor.yaml")).unwrap();
    let out = run(&["render", "-p", "distributed", "--check", "--out", o]);
    assert_eq!(out.status.code(), Some(1));
    let diff = text(&out.stdout);
    assert!(
        diff.contains("a/cluster.yml") && diff.contains("-  - address: \"192.168.56.99\""),
        "{diff}"
    );
    assert!(diff.contains("+  - address: \"192.168.56.21\""), "{diff}");
    assert!(
        diff.contains("--- /dev/null\n+++ b/values/kapacitor.yaml"),
        "{diff}"
    );
    assert!(
        text(&out.stderr).contains("2 file(s)"),
        "{}",
        text(&out.stderr)
    );

    // Checking against another profile also fails: the check compares with what *that* renders.
    let out = run(&["render", "-p", "mono", "--check", "--out", o]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn render_removes_and_check_reports_files_the_profile_no_longer_needs() {
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().to_str().unwrap();
    assert!(run(&["render", "-p", "mono", "--out", o]).status.success());
    assert!(dir.path().join("stages/kubeflow.sh").is_file());
    let mine = dir.path().join("notes.txt");
    std::fs::write(&mine, "the user's own file").unwrap();
    // The minimal fixture has no Kubeflow: its script, overlay and nothing else must go.
    let minimal = super::common::fixture("profiles/good/minimal.yaml");
    let m = minimal.to_str().unwrap();
    let out = run(&["render", "-p", m, "--check", "--out", o]);
    assert_eq!(out.status.code(), Some(1));
    let diff = text(&out.stdout);
    assert!(
        diff.contains("--- a/stages/kubeflow.sh\n+++ /dev/null"),
        "{diff}"
    );
    assert!(run(&["render", "-p", m, "--out", o]).status.success());
    assert!(!dir.path().join("stages/kubeflow.sh").exists());
    assert!(!dir.path().join("kubeflow/kustomization.yaml").exists());
    assert!(mine.is_file(), "a file mlk does not own was removed");
    let out = run(&["render", "-p", m, "--check", "--out", o]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn unknown_profile_exits_2_and_lists_the_embedded_ones() {
    let out = run(&["plan", "-p", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("unknown profile `nosuch`") && e.contains("distributed, mono"),
        "{e}"
    );
    assert!(out.stdout.is_empty());
    let out = run(&["plan", "--provider", "vmware"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("virtualbox, hyperv, libvirt"));
}

#[test]
fn provider_flag_overrides_the_profile() {
    let out = run(&["plan", "-p", "mono", "--provider", "libvirt", "--json"]);
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["provider"], "libvirt");
}

#[test]
fn provider_ssh_is_accepted_by_plan_and_render() {
    let out = run(&["plan", "-p", "mono", "--provider", "ssh", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["provider"], "ssh");
    assert_eq!(j["stages"][0]["id"], "machines");
    assert!(
        j["stages"][0]["title"]
            .as_str()
            .unwrap()
            .contains("existing hosts"),
        "{}",
        j["stages"][0]
    );
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().to_str().unwrap();
    let out = run(&["render", "-p", "mono", "--provider", "ssh", "--out", o]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !dir.path().join("Vagrantfile").exists(),
        "no VMs, no Vagrantfile"
    );
    assert!(dir.path().join("cluster.yml").is_file());
    let out = run(&[
        "render",
        "-p",
        "mono",
        "--provider",
        "ssh",
        "--check",
        "--out",
        o,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Anything else is named with what is allowed.
    let out = run(&["plan", "--provider", "docker"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ssh, virtualbox, hyperv, libvirt"));
}

#[test]
fn profile_list_says_what_each_profile_needs_up_front() {
    let out = run(&["profile", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    // Each profile's line, then what it needs: RAM for the VMs and the host, disk, download.
    for (name, ram, host) in [
        ("mono ", "RAM 18.0 GiB", "a host with 22.0 GiB"),
        ("mono-lite ", "RAM 8.0 GiB", "a host with 10.8 GiB"),
        ("distributed ", "RAM 18.0 GiB", "a host with 22.0 GiB"),
    ] {
        let i = lines
            .iter()
            .position(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{s}"));
        let needs = lines[i + 1];
        assert!(needs.contains(ram) && needs.contains(host), "{needs}");
        assert!(
            needs.contains("disk about") && needs.contains("first download about"),
            "{needs}"
        );
    }
    // The plan says the same.
    let out = run(&["plan", "-p", "mono-lite"]);
    assert!(
        text(&out.stdout).contains("Needs: RAM 8.0 GiB for the VMs (a host with 10.8 GiB or more)")
    );
}
