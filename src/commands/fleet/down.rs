//! `mlk fleet down [--purge]`: `mlk down` for every cluster of the fleet, in parallel;
//! `--purge` also deletes the clusters' folders and the fleet's record.
use super::FleetArg;
use crate::cli::Global;
use crate::exit::{Class, classify};
use crate::fleet::{lifecycle, record, up};
use anyhow::{Context, Result};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet down               # destroy every cluster's machines; folders kept
  mlk fleet down --purge -f    # and delete the folders and the fleet; no question")]
pub struct DownArgs {
    #[command(flatten)]
    pub fleet: FleetArg,
    /// Also delete every cluster's folder (run records, logs, secrets) and the fleet record.
    #[arg(long)]
    pub purge: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'f', visible_alias = "yes")]
    pub force: bool,
}

pub fn run(g: &Global, a: &DownArgs) -> Result<()> {
    let home = g.home()?;
    let (d, f) = record::open(&home, a.fleet.name())?;
    if !a.force && std::io::stdin().is_terminal() {
        eprint!(
            "Destroy the machines of the {} cluster(s) of fleet {}{}? [y/N] ",
            f.clusters.len(),
            f.name,
            if a.purge {
                " and delete their folders"
            } else {
                ""
            }
        );
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            return Err(classify(Class::Usage, "not confirmed; nothing changed"));
        }
    }
    let mut args = vec!["down", "-f"];
    if a.purge {
        args.push("--purge");
    }
    let out = lifecycle::each(&home, &d, &f, &args, a.fleet.k(f.clusters.len()))?;
    up::verdict("fleet down", &out, f.clusters.len())?;
    if a.purge {
        std::fs::remove_dir_all(d.dir())
            .with_context(|| format!("deleting {}", d.dir().display()))?;
        eprintln!("mlk: fleet {} purged", f.name);
    }
    Ok(())
}
