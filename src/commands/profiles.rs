//! `mlk profile list|show NAME`: the profiles built into the binary, to read, copy and edit.
use crate::exit::{Class, classify};
use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk profile list
  mlk profile show mono > my-lab.yaml    # then edit it and: mlk up -p ./my-lab.yaml")]
pub struct ProfileCmd {
    #[command(subcommand)]
    pub action: ProfileAction,
}

#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// The embedded profiles, each with its nodes and what it needs (RAM, disk, download).
    #[command(after_help = "Examples:
  mlk profile list")]
    List,
    /// Print an embedded profile's YAML, as shipped (comments included).
    #[command(after_help = "Examples:
  mlk profile show distributed
  mlk profile show mono > my-lab.yaml && mlk plan -p ./my-lab.yaml")]
    Show {
        /// mono, mono-lite or distributed (`mlk profile list`).
        name: String,
    },
}

pub fn run(a: &ProfileCmd) -> Result<()> {
    match &a.action {
        ProfileAction::List => {
            for name in crate::profile::embedded_names() {
                let (p, _) = super::load_profile(&crate::cli::ProfileArgs {
                    profile: name.clone(),
                    provider: None,
                    distribution: None,
                })?;
                let nodes: Vec<String> = p
                    .nodes
                    .iter()
                    .map(|n| format!("{} {} ({} CPU, {} MiB)", n.name, n.ip, n.cpus, n.memory))
                    .collect();
                println!("{name:<12} {}", nodes.join(", "));
                println!("{:<12} {}", "", crate::doctor::capacity::needs(&p).text());
            }
            Ok(())
        }
        ProfileAction::Show { name } => match crate::profile::embedded_source(name) {
            Some(text) => {
                print!("{text}");
                Ok(())
            }
            None => Err(classify(
                Class::Usage,
                format!(
                    "no embedded profile `{name}`; embedded: {}",
                    crate::profile::embedded_names().join(", ")
                ),
            )),
        },
    }
}
