//! `mlk fleet status`: one line per cluster; exit 0 only when every cluster is up.
use super::FleetArg;
use crate::cli::Global;
use crate::exit::{Class, classify};
use crate::fleet::{record, status};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet status
  mlk fleet status --json      # one JSON document: every cluster's row")]
pub struct StatusArgs {
    #[command(flatten)]
    pub fleet: FleetArg,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Global, a: &StatusArgs) -> Result<()> {
    let home = g.home()?;
    let (d, f) = record::open(&home, a.fleet.name())?;
    let rows = status::collect(&home, &d, &f, a.fleet.k(f.clusters.len()))?;
    let all_up = rows.iter().all(|r| r.up);
    if a.json {
        let doc = serde_json::json!({"fleet": f.name, "all_up": all_up,
            "selection": f.selection, "clusters": rows});
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", status::table(&rows));
    }
    if all_up {
        Ok(())
    } else {
        Err(classify(Class::Failure, ""))
    }
}
