//! One file per subcommand; each holds only glue between the CLI and the library.
pub mod completion;
pub mod diagnose;
pub mod doctor;
pub mod down;
pub mod fleet;
pub mod kubeconfig;
pub mod list;
pub mod man;
pub mod open;
pub mod plan;
pub mod port_forward;
pub mod profiles;
pub mod rancher;
pub mod render;
pub mod report;
pub mod run_workload;
pub mod runs;
pub mod ssh;
pub mod start;
pub mod status;
pub mod stop;
pub mod up;

use crate::cli::{Cli, Command};
use crate::profile::{self, Profile, validate::HostRules};
use anyhow::Result;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Plan(a) => plan::run(&cli.global, &a),
        Command::Render(a) => render::run(&cli.global, &a),
        Command::Report(a) => report::run(&cli.global, &a),
        Command::RunWorkload(a) => run_workload::run(&cli.global, &a),
        Command::Runs(a) => runs::run(&cli.global, &a),
        Command::Doctor(a) => doctor::run(&cli.global, &a),
        Command::Diagnose(a) => diagnose::run(&cli.global, &a),
        Command::Up(a) => up::run(&cli.global, &a),
        Command::Status(a) => status::run(&cli.global, &a),
        Command::Ssh(a) => ssh::run(&cli.global, &a),
        Command::Down(a) => down::run(&cli.global, &a),
        Command::Kubeconfig(a) => kubeconfig::run(&cli.global, &a),
        Command::List(a) => list::run(&cli.global, &a),
        Command::Stop(a) => stop::run(&cli.global, &a),
        Command::Start(a) => start::run(&cli.global, &a),
        Command::Profile(a) => profiles::run(&a),
        Command::Completion(a) => completion::run(&a),
        Command::Man(a) => man::run(&a),
        Command::Version => {
            println!("mlk {}", crate::version::long());
            Ok(())
        }
        Command::Open(a) => open::run(&cli.global, &a),
        Command::PortForward(a) => port_forward::run(&cli.global, &a),
        Command::Rancher(a) => rancher::run(&cli.global, &a),
        Command::Fleet(a) => fleet::run(&cli.global, &a),
    }
}

/// The cluster `--cluster` names (or the only one), opened.
fn open_cluster(
    g: &crate::cli::Global,
    arg: &crate::cli::ClusterArg,
) -> Result<crate::cluster::Opened> {
    crate::cluster::open(&g.home()?, arg.name()?)
}

/// Loads the profile the command line names, with this host's rules.
pub fn load_profile(args: &crate::cli::ProfileArgs) -> Result<(Profile, profile::Source)> {
    let src = profile::Source::resolve(&args.profile)?;
    let overrides = profile::Overrides {
        provider: args
            .provider
            .and_then(crate::provider::ProviderKind::hypervisor),
        distribution: args.distribution,
    };
    let p = profile::load(&src, &overrides, &host_rules())?;
    Ok((p, src))
}

/// Host facts validation needs. VirtualBox's range file is read where VirtualBox enforces it.
pub fn host_rules() -> HostRules {
    crate::profile::validate::host_rules_from_env()
}
