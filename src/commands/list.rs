//! `mlk list [--json]`: every cluster with its provider, node count, state and age, from what
//! mlk recorded (no hypervisor asked; `mlk status` asks).
use crate::cli::Global;
use crate::cluster::summary;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk list
  mlk list --json | jq -r '.[] | select(.state == \"up\") | .name'")]
pub struct ListArgs {
    /// Print a JSON array on stdout: name, provider, nodes, state (up, stopped, destroyed,
    /// failed, partial, new, busy, unknown), stage (for failed), created, age_seconds, dir.
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Global, a: &ListArgs) -> Result<()> {
    let home = g.home()?;
    let rows: Vec<summary::Summary> = home.clusters().iter().map(summary::summarize).collect();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        eprintln!(
            "mlk: no cluster in {}; `mlk up -p mono` makes one",
            home.describe()
        );
        return Ok(());
    }
    print!("{}", summary::table(&rows));
    eprintln!("mlk: clusters in {}", home.root.display());
    for r in rows.iter().filter(|r| r.legacy) {
        if let Some(f) = home
            .clusters()
            .into_iter()
            .find(|f| f.name == r.name && f.legacy)
            && let Some(note) = f.note(&home)
        {
            eprintln!("mlk: note: {note}");
        }
    }
    Ok(())
}
