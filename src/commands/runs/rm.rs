//! `mlk runs rm RUN [--force]`.
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::exit::{Class, classify};
use crate::runs::store;
use anyhow::Result;
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk runs rm mono/mono-1        # asks first on a terminal
  mlk runs rm dist-1 -f          # no question (scripts)")]
pub struct RmArgs {
    /// NAME (in --cluster, else in the cluster that has it) or CLUSTER/NAME.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// The cluster of a run given without one.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'f', visible_alias = "yes")]
    pub force: bool,
}

pub fn run(g: &Global, a: &RmArgs) -> Result<()> {
    let l = store::locate(&g.home()?, a.cluster.as_ref(), &a.run)?;
    let files = store::files(l.dir(), &l.record.name);
    if !a.force && std::io::stdin().is_terminal() {
        eprintln!("mlk: run {} has:", l.id());
        for f in &files {
            eprintln!("  {}", f.display());
        }
        eprint!("Delete run {} and these files? [y/N] ", l.id());
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(classify(Class::Usage, "not confirmed; nothing changed"));
        }
    }
    for f in store::remove(l.dir(), &l.record.name)? {
        eprintln!("mlk: deleted {}", f.display());
    }
    eprintln!(
        "mlk: run {} removed (reports written from it under {} are left as they are)",
        l.id(),
        crate::layout::of(l.dir()).reports().display()
    );
    Ok(())
}
