//! `mlk diagnose`: write the diagnostics bundle of a cluster and print its path.
use crate::cli::Global;
use crate::cluster::ClusterName;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk diagnose                 # the only cluster
  mlk diagnose -c distributed  # attach the printed .tar.gz to a bug report")]
pub struct DiagnoseArgs {
    /// The cluster (`mlk list` shows them). Default: the only one there is.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
}

pub fn run(g: &Global, a: &DiagnoseArgs) -> Result<()> {
    let home = g.home()?;
    let c = crate::cluster::open(&home, a.cluster.as_ref())?;
    let path = crate::diagnose::write(c.dir())?;
    println!("{}", path.display());
    Ok(())
}
