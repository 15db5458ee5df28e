//! `mlk ssh NODE [-- CMD]`: the system `ssh` with the node's endpoint (mlk's key, the cluster's
//! pinned host keys). Without CMD: an interactive login (ssh replaces mlk). With CMD: runs it
//! and exits with its exit code (255 when ssh itself failed, as ssh does).
use crate::cli::{ClusterArg, Global};
use crate::exit::{Class, classify};
use crate::inventory::Endpoint;
use anyhow::Result;
use clap::Args;
use std::path::Path;
use std::process::Command;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk ssh node1                       # log in (the only cluster)
  mlk ssh -c distributed node2 -- uptime   # run a command, exit with its code")]
pub struct SshArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// The node to log in to (a node name of the profile).
    pub node: String,
    /// A command to run instead of a login shell (after `--`).
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// The `ssh` arguments for `ep`, host keys checked against `<cluster>/known_hosts`.
pub fn ssh_args(ep: &Endpoint, cluster_dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "-p".into(),
        ep.port.to_string(),
        "-l".into(),
        ep.user.clone(),
        "-o".into(),
        "IdentitiesOnly=yes".into(),
        // mlk pins host keys by node name (src/remote/hostkeys.rs); ssh reads the same file.
        "-o".into(),
        format!("HostKeyAlias={}", ep.name),
        "-o".into(),
        format!(
            "UserKnownHostsFile={}",
            crate::layout::of(cluster_dir).known_hosts().display()
        ),
        "-o".into(),
        "StrictHostKeyChecking=yes".into(),
    ];
    for k in &ep.identity_files {
        v.push("-i".into());
        v.push(k.display().to_string());
    }
    if let Some(p) = &ep.proxy_command {
        v.push("-o".into());
        v.push(format!("ProxyCommand={p}"));
    }
    v.push(ep.host.clone());
    v
}

pub fn run(g: &Global, a: &SshArgs) -> Result<()> {
    let m = super::open_cluster(g, &a.cluster)?.machines(None)?;
    m.require_machines()?;
    let eps = m.provider()?.endpoints()?;
    let Some(ep) = eps.iter().find(|e| e.name == a.node) else {
        let names: Vec<&str> = eps.iter().map(|e| e.name.as_str()).collect();
        return Err(classify(
            Class::Usage,
            format!(
                "no node `{}` in cluster {}; nodes: {}",
                a.node,
                m.c.name(),
                names.join(", ")
            ),
        ));
    };
    let mut cmd = Command::new("ssh");
    cmd.args(ssh_args(ep, m.c.dir()));
    if !a.command.is_empty() {
        cmd.arg("--").args(&a.command);
        let st = cmd.status().map_err(|e| {
            crate::exit::tag(
                Class::Provider,
                "running ssh (install an OpenSSH client)",
                e,
            )
        })?;
        std::process::exit(st.code().unwrap_or(255));
    }
    cmd.arg("-t");
    let e = crate::platform::process::replace_with(&mut cmd);
    Err(crate::exit::tag(Class::Provider, "running ssh", e))
}
