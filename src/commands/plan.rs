//! `mlk plan`: print what `mlk up` would do, as text or one JSON document.
use crate::cli::{Global, ProfileArgs};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Print the plan as one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(_g: &Global, a: &PlanArgs) -> Result<()> {
    let (p, src) = super::load_profile(&a.profile)?;
    let plan = crate::plan::build(&p, &src.file);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", plan.to_text());
    }
    Ok(())
}
