//! Custom stages with `target: host` run on this machine: output logged, timeout enforced.
//! They need no node, so the inventory's only host is never contacted.
use super::{cluster, text};
use std::process::Command;

#[test]
fn host_stages_run_locally_and_time_out() {
    let tmp = tempfile::tempdir().unwrap();
    let name = cluster("host");
    let out_file = tmp.path().join("host-stage.out");
    let stages = format!(
        "  - id: local-write\n    after: docker\n    target: host\n    check: test -f {f}\n    run: echo \"ran as $MLK_NODE in $MLK_STAGE\" > {f}\n  - id: too-slow\n    after: local-write\n    target: host\n    timeout: 1\n    run: sleep 30\n",
        f = out_file.display()
    );
    let profile = tmp.path().join("p.yaml");
    std::fs::write(
        &profile,
        format!(
            "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: {name}\nprovider: libvirt\nbox: {{name: mlk/bookworm}}\nnodes:\n  - {{name: node1, ip: 192.168.56.10, cpus: 2, memory: 2048, roles: [controlplane, etcd, worker]}}\ncomponents:\n  local-path: {{enabled: false}}\n  cert-manager: {{enabled: false}}\n  rancher: {{enabled: false}}\n  tick: {{enabled: false}}\n  kubeflow: {{enabled: false}}\nstages:\n{stages}"
        ),
    )
    .unwrap();
    let inv = tmp.path().join("inventory");
    std::fs::write(&inv, "Host node1\n  HostName 127.0.0.1\n  Port 1\n").unwrap();
    let up = |only: &str| {
        Command::new(env!("CARGO_BIN_EXE_mlk"))
            .arg("--dir")
            .arg(tmp.path().join("mlk"))
            .args([
                "--progress",
                "never",
                "up",
                "--provider",
                "ssh",
                "--inventory",
            ])
            .arg(&inv)
            .arg("-p")
            .arg(&profile)
            .args(["--only", only])
            .output()
            .unwrap()
    };
    let ok = up("local-write");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "ran as host in local-write\n"
    );
    let t = std::time::Instant::now();
    let slow = up("too-slow");
    assert!(
        t.elapsed().as_secs() < 20,
        "the 1 s timeout was not enforced"
    );
    assert_eq!(slow.status.code(), Some(4), "{}", text(&slow.stderr));
    let err = text(&slow.stderr);
    assert!(err.contains("stage `too-slow` failed on the host"), "{err}");
    assert!(err.contains("timeout 1 bash -c 'sleep 30'"), "{err}");
}
