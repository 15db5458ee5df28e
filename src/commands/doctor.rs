//! `mlk doctor`: check this host for the profile before anything is created.
use crate::cli::Global;
use crate::doctor::{self, Target};
use crate::exit::{Class, classify};
use crate::profile::{self, Provider};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// An embedded profile (mono, distributed) or the path of a profile YAML file.
    #[arg(long, short = 'p', default_value = "mono")]
    pub profile: String,
    /// Where the nodes come from: a Vagrant provider (virtualbox, hyperv, libvirt) or `ssh`
    /// (existing hosts: only the checks that apply to them). Default: the profile's provider.
    #[arg(long)]
    pub provider: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The target a `--provider` value names; None means the profile's own provider.
pub fn parse_target(s: Option<&str>) -> Result<Option<Target>> {
    match s {
        None => Ok(None),
        Some("ssh") => Ok(Some(Target::Existing)),
        Some(s) => Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .map(|p| Some(Target::Vagrant(p)))
            .ok_or_else(|| {
                classify(
                    Class::Usage,
                    format!("--provider: unknown provider `{s}`; allowed: ssh, virtualbox, hyperv, libvirt"),
                )
            }),
    }
}

/// The mlk home: `--dir`/MLK_HOME, else ./.mlk.
pub fn home(g: &Global) -> PathBuf {
    g.dir.clone().unwrap_or_else(|| PathBuf::from(".mlk"))
}

pub fn run(g: &Global, a: &DoctorArgs) -> Result<()> {
    let target = parse_target(a.provider.as_deref())?;
    let src = profile::Source::resolve(&a.profile)?;
    let overrides = profile::Overrides {
        provider: match target {
            Some(Target::Vagrant(p)) => Some(p),
            _ => None,
        },
    };
    // VirtualBox's ranges are the doctor's own check (with the fix), not a load error here.
    let rules = profile::validate::HostRules {
        vbox_ranges: None,
        vbox_source: "checked by mlk doctor".into(),
    };
    let p = profile::load(&src, &overrides, &rules)?;
    let target = target.unwrap_or(Target::Vagrant(p.provider));
    let report = doctor::run(&p, target, &home(g));
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    if report.fail > 0 {
        // Already printed: an empty message keeps `exit::report` quiet.
        return Err(classify(Class::Preflight, ""));
    }
    Ok(())
}
