//! The cluster model through the real binary: naming (`--cluster`, the only cluster, several
//! → exit 2), the per-user home and `./.mlk`, `list`, idempotent `down`, resume from what `up`
//! recorded, JSON events, progress lines, and the conventions (completions, man, version).
//!
//! Clusters here are real `mlk up` runs with `--provider ssh` whose `--only` stages run on
//! this host (`target: host`), so no node is contacted and no root is needed; the inventory
//! names 127.0.0.1 port 1, where nothing listens. `testhosts.rs` does the same against real
//! sshd test hosts.
mod ci_example;
mod conventions;
mod errors;
mod lifecycle;
mod naming;
mod readme;
mod testhosts;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway user: its own data dir (XDG_DATA_HOME), HOME, kubeconfig and working folder.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let s = Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        };
        for d in ["data", "home", "work"] {
            std::fs::create_dir_all(s.path(d)).unwrap();
        }
        std::fs::write(
            s.path("inventory"),
            "Host node1\n  HostName 127.0.0.1\n  Port 1\n  User vagrant\n",
        )
        .unwrap();
        s
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Where clusters go by default: `$XDG_DATA_HOME/mlk`.
    pub fn home(&self) -> PathBuf {
        self.path("data/mlk")
    }

    /// The real binary as this user, in `work/` (or `cwd`), without `--dir`.
    pub fn cmd_in(&self, cwd: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mlk"));
        c.current_dir(cwd)
            .env("XDG_DATA_HOME", self.path("data"))
            .env("HOME", self.path("home"))
            .env("KUBECONFIG", self.path("home/kubeconfig"))
            .env("MLK_PROGRESS", "never")
            .env_remove("MLK_HOME")
            .env_remove("XDG_CONFIG_HOME");
        c
    }

    pub fn mlk(&self, args: &[&str]) -> Output {
        self.cmd_in(&self.path("work")).args(args).output().unwrap()
    }

    /// A one-node profile named `name` at `ip`, add-ons off, with host stages `mark`,
    /// `mark2` and `fail-here` (which fails).
    pub fn profile(&self, name: &str, ip: &str) -> PathBuf {
        let text = format!(
            "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: {name}\nprovider: libvirt\n\
             box: {{name: mlk/bookworm}}\nnodes:\n  - {{name: node1, ip: {ip}, cpus: 2, memory: 2048, \
             roles: [controlplane, etcd, worker]}}\ncomponents:\n  local-path: {{enabled: false}}\n  \
             cert-manager: {{enabled: false}}\n  rancher: {{enabled: false}}\n  tick: {{enabled: false}}\n  \
             kubeflow: {{enabled: false}}\nstages:\n  - {{id: mark, after: docker, target: host, run: \"true\"}}\n  \
             - {{id: mark2, after: mark, target: host, run: \"true\"}}\n  \
             - {{id: fail-here, after: mark2, target: host, run: \"echo broken; false\"}}\n"
        );
        let path = self.path(&format!("{name}.yaml"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `mlk up -p <name>.yaml --provider ssh --inventory … --only STAGES` plus `extra`.
    pub fn up(&self, name: &str, ip: &str, only: &str, extra: &[&str]) -> Output {
        let p = self.profile(name, ip);
        let inv = self.path("inventory");
        let mut args = vec![
            "up",
            "-p",
            p.to_str().unwrap(),
            "--provider",
            "ssh",
            "--inventory",
            inv.to_str().unwrap(),
            "--only",
            only,
        ];
        args.extend_from_slice(extra);
        self.mlk(&args)
    }

    /// `up` that must succeed.
    pub fn up_ok(&self, name: &str, ip: &str, only: &str) {
        let o = self.up(name, ip, only, &[]);
        assert!(o.status.success(), "up {name}: {}", err(&o));
    }
}

pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", out(o), err(o)))
}
