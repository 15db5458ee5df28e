//! `mlk runs show RUN [--json]`.
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::runs::{listing, store};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk runs show mono-1
  mlk runs show distributed/dist-1 --json")]
pub struct ShowArgs {
    /// NAME (in --cluster, else in the cluster that has it) or CLUSTER/NAME.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// The cluster of a run given without one.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Print JSON on stdout: cluster, name, cluster_state, files, samples (state),
    /// samples_problem, and the run record.
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Global, a: &ShowArgs) -> Result<()> {
    let l = store::locate(&g.home()?, a.cluster.as_ref(), &a.run)?;
    let s = listing::show(&l);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", listing::show_text(&s));
    }
    Ok(())
}
