//! `mlk runs list|show|rm|export`: the recorded workload runs of every cluster, including
//! destroyed ones whose folders are kept. One file per subcommand, glue only; the logic is in
//! `crate::runs`.
pub mod export;
pub mod list;
pub mod rm;
pub mod show;

use crate::cli::Global;
use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk runs list                      # every run of every cluster, destroyed ones too
  mlk runs show mono/mono-1
  mlk runs rm mono/mono-1 -f")]
pub struct RunsCmd {
    #[command(subcommand)]
    pub action: RunsAction,
}

#[derive(Debug, Subcommand)]
pub enum RunsAction {
    /// Every recorded run: cluster and its state, outcome, training time, exported samples.
    List(list::ListArgs),
    /// One run in full: windows, nodes, pods, files, and a check of its exported samples.
    Show(show::ShowArgs),
    /// Delete a run: its record, exported samples and pod logs. Asks first on a terminal.
    Rm(rm::RmArgs),
    /// Export a run's samples from its cluster's live InfluxDB (runs without an export yet).
    Export(export::ExportArgs),
}

pub fn run(g: &Global, a: &RunsCmd) -> Result<()> {
    match &a.action {
        RunsAction::List(a) => list::run(g, a),
        RunsAction::Show(a) => show::run(g, a),
        RunsAction::Rm(a) => rm::run(g, a),
        RunsAction::Export(a) => export::run(g, a),
    }
}
