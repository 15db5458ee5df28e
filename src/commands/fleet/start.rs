//! `mlk fleet start`: `mlk start` (VMs up again, health checked) for every cluster, in parallel.
use super::FleetArg;
use crate::cli::Global;
use crate::fleet::{lifecycle, record, up};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet start --parallel 2")]
pub struct StartArgs {
    #[command(flatten)]
    pub fleet: FleetArg,
}

pub fn run(g: &Global, a: &StartArgs) -> Result<()> {
    let home = g.home()?;
    let (d, f) = record::open(&home, a.fleet.name())?;
    let out = lifecycle::each(&home, &d, &f, &["start"], a.fleet.k(f.clusters.len()))?;
    up::verdict("fleet start", &out, f.clusters.len())
}
