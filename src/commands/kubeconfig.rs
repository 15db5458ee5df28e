//! `mlk kubeconfig [--merge]`: print the absolute path of the cluster's kubeconfig, or merge
//! it into the user's kubeconfig ($KUBECONFIG or ~/.kube/config) under a lock, as kind does.
use crate::cli::{ClusterArg, Global};
use crate::exit::{Class, classify};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  kubectl --kubeconfig \"$(mlk kubeconfig)\" get nodes
  mlk kubeconfig -c distributed --merge   # context mlk-distributed, made current")]
pub struct KubeconfigArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// Merge into $KUBECONFIG (first existing file) or ~/.kube/config and make it current.
    #[arg(long)]
    pub merge: bool,
}

pub fn run(g: &Global, a: &KubeconfigArgs) -> Result<()> {
    let c = super::open_cluster(g, &a.cluster)?;
    if let Some(e) = c.not_running()
        && c.record.destroyed.is_some()
    {
        return Err(e);
    }
    // The home is absolute, so this path is too: usable from any folder.
    let file = crate::layout::of(c.dir()).kubeconfig();
    let text = std::fs::read_to_string(&file).map_err(|e| {
        classify(
            Class::Usage,
            format!(
                "{}: {e}; the kubeconfig stage of `mlk up -c {}` writes it",
                file.display(),
                c.name()
            ),
        )
    })?;
    if !a.merge {
        println!("{}", file.display());
        return Ok(());
    }
    let target = crate::kubeconfig::default_path()?;
    let ctx = crate::kubeconfig::merge_into(&target, &text)?;
    println!("merged context {ctx} into {}", target.display());
    Ok(())
}
