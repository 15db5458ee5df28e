//! `mlk fleet roster --out DIR`: a page and a Markdown file per cluster with its URLs, user
//! names and passwords, and an index (CSV, HTML) for the instructor; every file 0600.
use super::FleetArg;
use crate::cli::Global;
use crate::fleet::{record, roster};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet roster --out roster/     # roster/lab-01.html, lab-01.md, ..., index.csv, index.html")]
pub struct RosterArgs {
    #[command(flatten)]
    pub fleet: FleetArg,
    /// The folder to write into (created 0700 when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(g: &Global, a: &RosterArgs) -> Result<()> {
    let home = g.home()?;
    let (_, f) = record::open(&home, a.fleet.name())?;
    let entries = roster::entries(&home, &f);
    let files = roster::write(&a.out, &f, &entries)?;
    let missing: Vec<&str> = entries
        .iter()
        .filter(|e| {
            e.logins.iter().any(|l| {
                l.password.is_none() && !l.note.is_empty() && l.note.starts_with("not generated")
            })
        })
        .map(|e| e.cluster.as_str())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "mlk: warning: no passwords yet for {} (their secrets stage has not run: `mlk fleet up`)",
            missing.join(", ")
        );
    }
    eprintln!(
        "mlk: wrote {} files into {} (0600: they hold passwords): a .html and a .md per cluster, index.csv and index.html for you",
        files.len(),
        a.out.display()
    );
    Ok(())
}
