//! `mlk runs list [--cluster NAME] [--json]`.
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::runs::listing;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk runs list
  mlk runs list -c distributed
  mlk runs list --json | jq -r '.[] | select(.samples == \"exported\") | .cluster + \"/\" + .name'")]
pub struct ListArgs {
    /// Only this cluster's runs (default: every cluster's).
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Print a JSON array on stdout: cluster, name, cluster_state, outcome, profile, workload,
    /// start, training_s, samples (exported, none, failed, missing), samples_bytes, record.
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Global, a: &ListArgs) -> Result<()> {
    let home = g.home()?;
    let rows = listing::rows(&home, a.cluster.as_ref())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        eprintln!(
            "mlk: no recorded runs in {}; `mlk run-workload` records one",
            home.describe()
        );
        return Ok(());
    }
    print!("{}", listing::table(&rows));
    for r in rows.iter().filter(|r| r.error.is_some()) {
        eprintln!(
            "mlk: {}: {}",
            r.record.display(),
            r.error.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}
