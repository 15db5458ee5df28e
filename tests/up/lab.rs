//! Real SSH test hosts for `mlk up` tests: `scripts/testhosts.sh` nodes (sshd in network
//! namespaces), each lab with its own namespace prefix and folder, torn down on drop.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Lab {
    pub prefix: String,
    /// Holds the lab state (LAB_DIR), the profile and the cluster folders.
    pub tmp: tempfile::TempDir,
    pub ssh_config: PathBuf,
    pub nodes: usize,
}

fn script() -> PathBuf {
    std::env::var_os("MLK_TESTHOSTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testhosts.sh"))
}

impl Lab {
    /// Starts `n` nodes, or returns None (with the reason printed) when not root outside CI.
    pub fn up(n: usize) -> Option<Lab> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: the SSH test hosts need root (network namespaces)"
            );
            eprintln!("SKIP: the SSH test hosts need root (network namespaces); run as root");
            return None;
        }
        let prefix = format!("mu{:05x}", rand::random::<u32>() & 0xfffff);
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut lab = Lab {
            prefix,
            tmp,
            ssh_config: PathBuf::new(),
            nodes: n,
        };
        // Labs left by killed test runs (their owner PID is gone) are removed first.
        let _ = lab.script_cmd(&["gc"]);
        let out = lab.script_cmd(&["up", &n.to_string()]);
        assert!(
            out.status.success(),
            "testhosts.sh up {n} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let path = lab.lab_dir().join("ssh_config");
        assert!(path.is_file(), "no ssh_config at {}", path.display());
        lab.ssh_config = path;
        Some(lab)
    }

    pub fn lab_dir(&self) -> PathBuf {
        self.tmp.path().join("lab")
    }

    /// Runs `testhosts.sh ARGS` for this lab (fault injection: kill-sshd, link, loss...).
    pub fn ctl(&self, args: &[&str]) {
        let out = self.script_cmd(args);
        assert!(
            out.status.success(),
            "testhosts.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn script_cmd(&self, args: &[&str]) -> Output {
        Command::new("bash")
            .arg(script())
            .args(args)
            .env("LAB_PREFIX", &self.prefix)
            .env("LAB_DIR", self.lab_dir())
            .env("LAB_OWNER", std::process::id().to_string())
            .output()
            .expect("running testhosts.sh")
    }

    /// Runs a shell command on a node with the OpenSSH client; returns its stdout.
    pub fn ssh(&self, node: &str, cmd: &str) -> String {
        let out = Command::new("ssh")
            .arg("-F")
            .arg(&self.ssh_config)
            .args(["-o", "BatchMode=yes", node, "--", cmd])
            .output()
            .expect("running ssh");
        assert!(
            out.status.success(),
            "ssh {node} {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn node_names(&self) -> Vec<String> {
        (1..=self.nodes).map(|i| format!("node{i}")).collect()
    }

    /// Writes a profile with every add-on disabled, `self.nodes` nodes and `stages` (YAML list
    /// items, already indented by two spaces). Returns its path.
    pub fn profile(&self, name: &str, stages: &str) -> PathBuf {
        let mut nodes = String::new();
        for i in 1..=self.nodes {
            let roles = if i == 1 {
                "[controlplane, etcd, worker]"
            } else {
                "[worker]"
            };
            nodes.push_str(&format!(
                // 3 GiB: the profile check makes room for the sample workload (5 pods of 1 GiB on 3 nodes).
                "  - {{name: node{i}, ip: 192.168.56.{}, cpus: 2, memory: 3072, roles: {roles}}}\n",
                9 + i
            ));
        }
        let text = format!(
            "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: {name}\nprovider: libvirt\nbox: {{name: mlk/bookworm}}\nnodes:\n{nodes}components:\n  local-path: {{enabled: false}}\n  cert-manager: {{enabled: false}}\n  rancher: {{enabled: false}}\n  tick: {{enabled: false}}\n  kubeflow: {{enabled: false}}\nstages:\n{stages}"
        );
        let path = self.tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&path, text).expect("writing the profile");
        path
    }

    /// `mlk up` on this lab's hosts (the real binary), without running it yet. `MLK_BIN`
    /// runs another build instead (scripts/soak-kill.sh: the release binary).
    pub fn up_cmd(&self, profile: &Path, extra: &[&str]) -> Command {
        let bin = std::env::var_os("MLK_BIN")
            .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mlk")), PathBuf::from);
        let mut c = Command::new(bin);
        c.arg("--dir")
            .arg(self.tmp.path().join("mlk"))
            .args([
                "--progress",
                "never",
                "up",
                "--provider",
                "ssh",
                "--inventory",
            ])
            .arg(&self.ssh_config)
            .arg("-p")
            .arg(profile)
            .args(extra);
        if !extra.contains(&"--retry-budget") {
            c.args(["--retry-budget", "20"]);
        }
        c
    }

    /// The cluster folder of cluster `name`.
    pub fn cluster_dir(&self, name: &str) -> PathBuf {
        self.tmp.path().join("mlk").join(name)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let out = self.script_cmd(&["down"]);
        if !out.status.success() {
            eprintln!(
                "testhosts.sh down ({}) failed: {}",
                self.prefix,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
