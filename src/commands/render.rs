//! `mlk render`: write the rendered files, or with `--check` report how the folder differs.
use crate::cli::{Global, ProfileArgs};
use crate::exit::{Class, classify};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk render -p mono --out lab/
  mlk render -p mono --out lab/ --check    # exit 1 with a diff if lab/ differs
  mlk render -p my.yaml --provider ssh --out lab/   # no Vagrantfile")]
pub struct RenderArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Folder to write into.
    #[arg(long)]
    pub out: PathBuf,
    /// Write nothing; exit 1 with a diff when the folder differs from a fresh render.
    #[arg(long)]
    pub check: bool,
}

pub fn run(_g: &Global, a: &RenderArgs) -> Result<()> {
    let (p, _src) = super::load_profile(&a.profile)?;
    // Render everything in memory first: an error here leaves the folder untouched.
    let mut files = crate::render::render_all(&p)?;
    if a.profile.provider == Some(crate::provider::ProviderKind::Ssh) {
        // Existing hosts: there are no VMs to define.
        files.remove("Vagrantfile");
    }
    if a.check {
        let diffs = crate::render::check(&a.out, &files)?;
        if diffs.is_empty() {
            eprintln!(
                "{} matches the render of {} ({} files)",
                a.out.display(),
                a.profile.profile,
                files.len()
            );
            return Ok(());
        }
        for d in &diffs {
            print!("{d}");
        }
        return Err(classify(
            Class::Failure,
            format!(
                "{} file(s) in {} differ from the render",
                diffs.len(),
                a.out.display()
            ),
        ));
    }
    crate::render::write(&a.out, &files)?;
    for path in files.keys() {
        println!("{}", a.out.join(path).display());
    }
    Ok(())
}
