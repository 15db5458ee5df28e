//! What an adversarial reliability probe found (issue 11), each held by a test that failed
//! before the fix: hostile profiles, inventories, state files, render folders and names.
mod cluster_names;
mod fuzz;
mod input_limits;
mod inventory;
mod messages;
mod numbers;
mod render_out;
mod secrets;
mod state_files;
mod versions;

use std::process::{Command, Output};

/// The real binary, with this host's VirtualBox ranges out of the picture.
pub fn mlk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlk"));
    c.env(
        "MLK_VBOX_NETWORKS_CONF",
        "/nonexistent/mlk-test-networks.conf",
    );
    c
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `mlk ARGS` and returns its output.
pub fn run(args: &[&str]) -> Output {
    mlk().args(args).output().expect("running mlk")
}

/// A valid profile text (the embedded mono profile) with `from` replaced by `to`.
pub fn mono_with(from: &str, to: &str) -> String {
    let src = mlk::profile::embedded_source("mono").unwrap();
    assert!(src.contains(from), "mono has no `{from}`");
    src.replacen(from, to, 1)
}

/// A cluster whose only stages run on this machine (`target: host`): `mlk up --provider ssh`
/// never contacts its one inventory host (127.0.0.1, port 1).
pub struct HostCluster {
    pub tmp: tempfile::TempDir,
    pub name: String,
    pub profile: std::path::PathBuf,
    pub inventory: std::path::PathBuf,
}

impl HostCluster {
    /// `stages`: YAML list items of the profile's `stages:`, indented by two spaces.
    pub fn new(stages: &str) -> HostCluster {
        let tmp = tempfile::tempdir().unwrap();
        let name = format!("rel-{:04x}", rand::random::<u16>());
        let profile = tmp.path().join("p.yaml");
        std::fs::write(
            &profile,
            format!(
                "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: {name}\nprovider: libvirt\nbox: {{name: mlk/bookworm}}\nnodes:\n  - {{name: node1, ip: 192.168.56.10, cpus: 2, memory: 2048, roles: [controlplane, etcd, worker]}}\ncomponents:\n  local-path: {{enabled: false}}\n  cert-manager: {{enabled: false}}\n  rancher: {{enabled: false}}\n  tick: {{enabled: false}}\n  kubeflow: {{enabled: false}}\nstages:\n{stages}"
            ),
        )
        .unwrap();
        let inventory = tmp.path().join("inventory");
        std::fs::write(&inventory, "Host node1\n  HostName 127.0.0.1\n  Port 1\n").unwrap();
        HostCluster {
            tmp,
            name,
            profile,
            inventory,
        }
    }

    pub fn home(&self) -> std::path::PathBuf {
        self.tmp.path().join("mlk")
    }

    pub fn dir(&self) -> std::path::PathBuf {
        self.home().join(&self.name)
    }

    /// `mlk up --only ONLY` with extra arguments.
    pub fn up(&self, only: &str, extra: &[&str]) -> Output {
        mlk()
            .arg("--dir")
            .arg(self.home())
            .args([
                "--progress",
                "never",
                "up",
                "--provider",
                "ssh",
                "--inventory",
            ])
            .arg(&self.inventory)
            .arg("-p")
            .arg(&self.profile)
            .args(["--only", only])
            .args(extra)
            .output()
            .unwrap()
    }
}

/// A host stage that just succeeds.
pub const NOOP_STAGE: &str = "  - id: noop\n    after: docker\n    target: host\n    run: 'true'\n";

/// Runs `cmd`, killing it after `secs`; None when it had to be killed (it hung).
pub fn run_bounded(mut cmd: Command, secs: u64) -> Option<Output> {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_secs(secs) {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}
