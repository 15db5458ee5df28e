//! `mlk man [--out DIR]`: the manual page (roff) on stdout, or one page per command in DIR
//! (`mlk.1`, `mlk-up.1`...), generated from the command definition.
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk man | man -l -
  mlk man --out ~/.local/share/man/man1 && man mlk-up")]
pub struct ManArgs {
    /// Write mlk.1 and one mlk-<command>.1 per command into this folder instead.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(a: &ManArgs) -> Result<()> {
    let cmd = crate::cli::command();
    match &a.out {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            use std::io::Write;
            std::io::stdout().write_all(&buf)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
            eprintln!("mlk: man pages written to {}", dir.display());
        }
    }
    Ok(())
}
