//! `mlk down`: destroy the cluster's VMs and remove its kubeconfig context; keep the cluster
//! folder (default, `--keep-folder`) or delete it (`--purge`). Asks first on a terminal.
use crate::cli::{Global, ProfileArgs};
use crate::exit::{Class, classify};
use crate::provider::Provider;
use anyhow::{Context, Result};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Do not ask for confirmation.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Keep the cluster folder (state, secrets, logs, rendered files); the default.
    #[arg(long, conflicts_with = "purge")]
    pub keep_folder: bool,
    /// Also delete the cluster folder, with its secrets and logs.
    #[arg(long)]
    pub purge: bool,
}

pub fn run(g: &Global, a: &DownArgs) -> Result<()> {
    let c = super::cluster::open(g, &a.profile)?;
    if !a.force && std::io::stdin().is_terminal() {
        eprint!(
            "Destroy the {} VM(s) of cluster {}{}? [y/N] ",
            c.profile.nodes.len(),
            c.profile.name,
            if a.purge {
                " and delete its folder"
            } else {
                ""
            }
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(classify(Class::Usage, "not confirmed; nothing destroyed"));
        }
    }
    {
        let _lock = crate::state::lock::acquire(&c.dir, "mlk down")?;
        c.provider
            .destroy(&mut |l| eprintln!("mlk: {l}"))
            .map_err(|e| classify(Class::Provider, format!("{e:#}")))?;
        if crate::kubeconfig::remove_context(&c.profile.name)? {
            eprintln!(
                "mlk: removed context {} from the kubeconfig",
                crate::kubeconfig::context_name(&c.profile.name)
            );
        }
    }
    if a.purge {
        std::fs::remove_dir_all(&c.dir).with_context(|| format!("deleting {}", c.dir.display()))?;
        eprintln!("mlk: deleted {}", c.dir.display());
    } else {
        eprintln!("mlk: kept {} (use --purge to delete it)", c.dir.display());
    }
    Ok(())
}

/// `mlk up --destroy-on-failure`: destroys the VMs and the kubeconfig context, reporting
/// (not returning) errors, so that the original failure stays the one mlk exits with.
pub fn destroy_after_failure(provider: &dyn Provider, cluster: &str) {
    eprintln!("mlk: --destroy-on-failure: destroying the machines");
    if let Err(e) = provider.destroy(&mut |l| eprintln!("mlk: {l}")) {
        eprintln!("mlk: destroying after the failure failed too: {e:#}");
    }
    if let Err(e) = crate::kubeconfig::remove_context(cluster) {
        eprintln!("mlk: removing the kubeconfig context failed: {e:#}");
    }
}
