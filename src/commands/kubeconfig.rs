//! `mlk kubeconfig [--merge]`: print the path of the cluster's kubeconfig, or merge it into
//! the user's kubeconfig ($KUBECONFIG or ~/.kube/config) under a lock, as kind does.
use crate::cli::{Global, ProfileArgs};
use crate::exit::{Class, classify};
use anyhow::Result;
use clap::Args;
use std::path::Path;

#[derive(Debug, Args)]
pub struct KubeconfigArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Merge into $KUBECONFIG (first existing file) or ~/.kube/config and make it current.
    #[arg(long)]
    pub merge: bool,
}

pub fn run(g: &Global, a: &KubeconfigArgs) -> Result<()> {
    let (p, _) = super::load_profile(&a.profile)?;
    let root = g.dir.as_deref().unwrap_or(Path::new(".mlk"));
    let file = crate::stages::kubeconfig::local_path(&root.join(&p.name));
    let text = std::fs::read_to_string(&file).map_err(|e| {
        classify(
            Class::Usage,
            format!(
                "{}: {e}; the kubeconfig stage of `mlk up` writes it",
                file.display()
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
