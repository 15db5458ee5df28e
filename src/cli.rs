//! The command line: global options and one subcommand per file in `commands/`.
use crate::profile::Provider;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "mlk", version, about = "A machine-learning Kubernetes lab from one YAML profile", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Root folder of cluster folders (default ./.mlk; each cluster lives in <dir>/<name>).
    #[arg(long, global = true, env = "MLK_HOME")]
    pub dir: Option<PathBuf>,
    /// When to draw progress bars on stderr.
    #[arg(long, global = true, value_enum, default_value_t = ProgressMode::Auto, env = "MLK_PROGRESS")]
    pub progress: ProgressMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

/// Which profile, shared by the commands that need one.
#[derive(Debug, Args, Clone)]
pub struct ProfileArgs {
    /// An embedded profile (mono, distributed) or the path of a profile YAML file.
    #[arg(long, short = 'p', default_value = "mono")]
    pub profile: String,
    /// Override the profile's provider.
    #[arg(long, value_parser = parse_provider)]
    pub provider: Option<Provider>,
}

fn parse_provider(s: &str) -> Result<Provider, String> {
    Provider::ALL
        .into_iter()
        .find(|p| p.as_str() == s)
        .ok_or_else(|| format!("unknown provider `{s}`; allowed: virtualbox, hyperv, libvirt"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the staged plan without touching anything.
    Plan(crate::commands::plan::PlanArgs),
    /// Write every rendered file (Vagrantfile, cluster.yml, Helm values, stage scripts).
    Render(crate::commands::render::RenderArgs),
    /// Resource report of recorded workload runs (CPU, memory, network, disk; SVG/PNG charts).
    Report(crate::commands::report::ReportArgs),
    /// Run the sample TensorFlow workload (or a manifest) and record the run for `report`.
    RunWorkload(crate::commands::run_workload::RunWorkloadArgs),
    /// Check this host for the profile: tools, provider, IP ranges, subnet clashes, memory, disk.
    Doctor(crate::commands::doctor::DoctorArgs),
    /// Write a diagnostics bundle (logs, state, rendered files, cluster status; secrets redacted).
    Diagnose(crate::commands::diagnose::DiagnoseArgs),
    /// Bring the lab up stage by stage; resumes where the last run stopped.
    Up(crate::commands::up::UpArgs),
    /// Each VM's state, each stage's state and the dashboards; exit 0 only when fully up.
    Status(crate::commands::status::StatusArgs),
    /// Log in to a node, or run `-- CMD` there and exit with its code.
    Ssh(crate::commands::ssh::SshArgs),
    /// Destroy the VMs and remove the kubeconfig context (asks on a terminal unless --force).
    Down(crate::commands::down::DownArgs),
    /// Print the cluster's kubeconfig path, or merge it into ~/.kube/config (--merge).
    Kubeconfig(crate::commands::kubeconfig::KubeconfigArgs),
    /// Open a dashboard (rancher, chronograf, kubeflow) or InfluxDB; port-forwards over SSH
    /// when its name does not resolve here.
    Open(crate::commands::open::OpenArgs),
    /// Rancher chores: `mlk rancher reset-password`.
    Rancher(crate::commands::rancher::RancherArgs),
}
