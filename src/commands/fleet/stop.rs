//! `mlk fleet stop`: `mlk stop` (halt the VMs) for every cluster of the fleet, in parallel.
use super::FleetArg;
use crate::cli::Global;
use crate::exit::{Class, classify};
use crate::fleet::{lifecycle, record, up};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet stop      # after class; `mlk fleet start` before the next one")]
pub struct StopArgs {
    #[command(flatten)]
    pub fleet: FleetArg,
}

pub fn run(g: &Global, a: &StopArgs) -> Result<()> {
    let home = g.home()?;
    let (d, f) = record::open(&home, a.fleet.name())?;
    if f.is_ssh() {
        return Err(classify(
            Class::Usage,
            format!(
                "fleet {} uses provider ssh: mlk did not create its hosts and does not power them off",
                f.name
            ),
        ));
    }
    let out = lifecycle::each(&home, &d, &f, &["stop"], a.fleet.k(f.clusters.len()))?;
    up::verdict("fleet stop", &out, f.clusters.len())
}
