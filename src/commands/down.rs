//! `mlk down`: destroy exactly the named cluster's machines (or, for ssh, forget the hosts),
//! remove its kube context, and free its addresses for other clusters. Idempotent: a cluster
//! that never got a machine, is already destroyed or does not exist exits 0 and says so. The
//! folder (run records, logs, secrets) is kept unless `--purge`. Asks first on a terminal.
use crate::cli::{ClusterArg, Global};
use crate::cluster::Record;
use crate::exit::{Class, classify};
use crate::provider::Provider;
use crate::provider::ProviderKind;
use anyhow::{Context, Result};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk down                      # the only cluster; asks first on a terminal
  mlk down -c distributed -f    # no question (scripts, CI)
  mlk down -c mono --purge      # also delete its folder: runs, logs, secrets")]
pub struct DownArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// For folders from an older mlk that recorded no provider: `ssh` or a Vagrant provider.
    #[arg(long, value_parser = crate::cli::parse_provider, value_name = "PROVIDER")]
    pub provider: Option<ProviderKind>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'f', visible_alias = "yes")]
    pub force: bool,
    /// Keep the cluster folder (state, run records, secrets, logs, rendered files); the default.
    #[arg(long, conflicts_with = "purge")]
    pub keep_folder: bool,
    /// Also delete the cluster folder, with its run records (and their exported samples),
    /// secrets and logs.
    #[arg(long)]
    pub purge: bool,
}

pub fn run(g: &Global, a: &DownArgs) -> Result<()> {
    let home = g.home()?;
    let name = a.cluster.name()?;
    // Idempotent: nothing there is nothing to do, not an error (CI's always-run step).
    let exists = match name {
        Some(n) => home.find(n).is_some(),
        None => !home.clusters().is_empty(),
    };
    if !exists {
        match name {
            Some(n) => eprintln!(
                "mlk: no cluster {n} in {} (never created, or purged): nothing to destroy",
                home.describe()
            ),
            None => eprintln!("mlk: no cluster in {}: nothing to destroy", home.describe()),
        }
        return Ok(());
    }
    let m = super::open_cluster(g, &a.cluster)?.machines(a.provider)?;
    let c = &m.c;
    let dir = c.dir().to_path_buf();
    let destroyed = Record::load(&dir)?.and_then(|r| r.destroyed);
    if let Some(when) = &destroyed
        && !a.purge
    {
        eprintln!(
            "mlk: cluster {} was already destroyed ({when}): nothing to do; its folder {} is kept \
             (`mlk down -c {} --purge` deletes it)",
            c.name(),
            dir.display(),
            c.name()
        );
        return Ok(());
    }
    let ssh = m.kind == ProviderKind::Ssh;
    let created = ssh || crate::provider::vagrant::any_machine_created(&dir);
    if !a.force && std::io::stdin().is_terminal() {
        let what = match (destroyed.is_some(), ssh, created) {
            (true, _, _) => format!("Delete the folder of destroyed cluster {}", c.name()),
            (_, true, _) => format!(
                "Forget the {} host(s) of cluster {} (mlk leaves them running as they are)",
                m.profile.nodes.len(),
                c.name()
            ),
            (_, false, true) => format!(
                "Destroy the {} VM(s) of cluster {}",
                m.profile.nodes.len(),
                c.name()
            ),
            (_, false, false) => format!("Mark cluster {} destroyed (no VM was created)", c.name()),
        };
        let purge = if a.purge && destroyed.is_none() {
            " and delete its folder (run records, logs, secrets)"
        } else {
            ""
        };
        if !confirm(&format!("{what}{purge}? [y/N] "))? {
            return Err(classify(Class::Usage, "not confirmed; nothing changed"));
        }
    }
    {
        let _lock = crate::state::lock::acquire(&dir, "mlk down")?;
        if destroyed.is_none() {
            teardown(&m, created)?;
        }
    }
    if a.purge {
        std::fs::remove_dir_all(&dir).with_context(|| format!("deleting {}", dir.display()))?;
        eprintln!("mlk: deleted {}", dir.display());
    } else {
        eprintln!(
            "mlk: kept {} (run records, logs, secrets; `--purge` deletes it)",
            dir.display()
        );
    }
    Ok(())
}

/// Destroys (or forgets) the machines, removes the kube context and marks the cluster
/// destroyed, so that its addresses are free and a later `mlk up` starts from scratch.
fn teardown(m: &crate::cluster::Machines, created: bool) -> Result<()> {
    let dir = m.c.dir();
    let name = m.c.name();
    if created {
        let provider = m.provider()?;
        provider
            .destroy(&mut |l| eprintln!("mlk: {l}"))
            .map_err(|e| crate::exit::retag(Class::Provider, e))?;
    } else {
        eprintln!("mlk: no VM of cluster {name} was ever created: nothing to destroy");
    }
    forget_node_state(dir)?;
    if crate::kubeconfig::remove_context(name)? {
        eprintln!(
            "mlk: removed context {} from the kubeconfig",
            crate::kubeconfig::context_name(name)
        );
    }
    let mut rec = Record::load_or_infer(dir, name)?;
    rec.provider = m.kind.as_str().to_string();
    rec.destroyed = Some(crate::state::now());
    rec.stopped = None;
    rec.save(dir)?;
    eprintln!(
        "mlk: cluster {name} {}",
        if m.kind == ProviderKind::Ssh {
            "forgotten: its hosts are no longer mlk's"
        } else {
            "destroyed"
        }
    );
    Ok(())
}

/// What only held for the machines that are gone: the stage records (a new `up` runs every
/// stage again), host keys, mlk's key installations, the kubeconfig and learned addresses.
fn forget_node_state(dir: &std::path::Path) -> Result<()> {
    crate::provider::vagrant::key::forget_all(dir)?;
    crate::provider::addresses::remove(dir)?;
    let files = crate::layout::of(dir);
    for f in [files.known_hosts(), files.kubeconfig(), files.state()] {
        match std::fs::remove_file(&f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing {}", f.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

fn confirm(question: &str) -> Result<bool> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// `mlk up --destroy-on-failure`: what `mlk down --force` does, reporting (not returning)
/// errors, so that the original failure stays the one mlk exits with.
pub fn destroy_after_failure(provider: &dyn Provider, dir: &std::path::Path, cluster: &str) {
    eprintln!("mlk: --destroy-on-failure: destroying the machines");
    if let Err(e) = provider.destroy(&mut |l| eprintln!("mlk: {l}")) {
        eprintln!("mlk: destroying after the failure failed too: {e:#}");
        return;
    }
    let marked = forget_node_state(dir).and_then(|()| {
        let mut rec = Record::load_or_infer(dir, cluster)?;
        rec.destroyed = Some(crate::state::now());
        rec.save(dir)
    });
    if let Err(e) = marked {
        eprintln!("mlk: recording the destroyed cluster failed: {e:#}");
    }
    if let Err(e) = crate::kubeconfig::remove_context(cluster) {
        eprintln!("mlk: removing the kubeconfig context failed: {e:#}");
    }
}
