//! `mlk plan`: print what `mlk up` would do, as text or one JSON document.
use crate::cli::{Global, ProfileArgs};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk plan -p distributed
  mlk plan -p ./my-lab.yaml --provider libvirt --json
  mlk plan -p mono --provider ssh      # existing hosts: no VMs")]
pub struct PlanArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Print the plan as one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(_g: &Global, a: &PlanArgs) -> Result<()> {
    let (p, src) = super::load_profile(&a.profile)?;
    let mut plan = crate::plan::build(&p, &src.file);
    if a.profile.provider == Some(crate::provider::ProviderKind::Ssh) {
        crate::plan::for_existing_hosts(&mut plan);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", plan.to_text());
    }
    Ok(())
}
