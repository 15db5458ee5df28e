//! `mlk doctor`: check this host for the profile before anything is created.
use crate::cli::Global;
use crate::doctor;
use crate::exit::{Class, classify};
use crate::profile;
use crate::provider::ProviderKind;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk doctor                       # the mono profile on its own provider
  mlk doctor -p distributed --provider libvirt
  mlk doctor -p my.yaml --provider ssh --json")]
pub struct DoctorArgs {
    /// An embedded profile (mono, distributed; `mlk profile list`) or the path of a profile YAML file.
    #[arg(long, short = 'p', default_value = "mono")]
    pub profile: String,
    /// Where the nodes come from: a Vagrant provider (virtualbox, hyperv, libvirt) or `ssh`
    /// (existing hosts: only the checks that apply to them). Default: the profile's provider.
    #[arg(long, value_parser = crate::cli::parse_provider, value_name = "PROVIDER")]
    pub provider: Option<ProviderKind>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Global, a: &DoctorArgs) -> Result<()> {
    let target = a.provider;
    let src = profile::Source::resolve(&a.profile)?;
    let overrides = profile::Overrides {
        provider: target.and_then(ProviderKind::hypervisor),
        distribution: None,
    };
    // VirtualBox's ranges are the doctor's own check (with the fix), not a load error here.
    let rules = profile::validate::HostRules {
        vbox_ranges: None,
        vbox_source: "checked by mlk doctor".into(),
    };
    let p = profile::load(&src, &overrides, &rules)?;
    let target = target.unwrap_or(ProviderKind::Vagrant(p.provider));
    let report = doctor::run(&p, target, &g.home()?.root);
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
