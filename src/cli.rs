//! The command line: global options and one subcommand per file in `commands/`.
use crate::cluster::ClusterName;
use crate::progress::ProgressMode;
use crate::provider::ProviderKind;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "mlk",
    about = "A machine-learning Kubernetes lab from one YAML profile",
    long_about = None,
    after_help = "Examples:
  mlk up -p mono                 # one VM with Kubernetes, Rancher, TICK and Kubeflow
  mlk list                       # every cluster, its state and age
  mlk status                     # the only cluster (or -c NAME)
  mlk down -c mono               # destroy it; its run records are kept

Clusters live in $XDG_DATA_HOME/mlk (~/.local/share/mlk) unless --dir or MLK_HOME say otherwise."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// The full command definition, with the version texts (also for completions and man pages).
pub fn command() -> clap::Command {
    Cli::command()
        .version(crate::version::short())
        .long_version(crate::version::long())
}

/// Parses the process's arguments (exits on `--help`, `--version` and usage errors, code 2).
pub fn parse() -> Cli {
    let m = command().get_matches();
    Cli::from_arg_matches(&m).unwrap_or_else(|e| e.format(&mut command()).exit())
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Folder of the cluster folders (default: $XDG_DATA_HOME/mlk, i.e. ~/.local/share/mlk;
    /// each cluster lives in <dir>/<name>). A relative path is made absolute once.
    #[arg(long, global = true, env = "MLK_HOME", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// When to draw progress bars on stderr.
    #[arg(long, global = true, value_enum, default_value_t = ProgressMode::Auto, env = "MLK_PROGRESS")]
    pub progress: ProgressMode,
}

impl Global {
    /// The mlk home these options name.
    pub fn home(&self) -> anyhow::Result<crate::cluster::Home> {
        crate::cluster::Home::resolve(self.dir.as_deref())
    }
}

/// Which profile, shared by the commands that read one without a cluster (plan, render).
#[derive(Debug, Args, Clone)]
pub struct ProfileArgs {
    /// An embedded profile (mono, distributed; `mlk profile list`) or the path of a profile
    /// YAML file.
    #[arg(long, short = 'p', default_value = "mono")]
    pub profile: String,
    /// Override the profile's provider: virtualbox, hyperv, libvirt, or ssh (existing hosts:
    /// no Vagrantfile).
    #[arg(long, value_parser = parse_provider, value_name = "PROVIDER")]
    pub provider: Option<ProviderKind>,
    /// Override the profile's `kubernetes.distribution`: rke (the default) or rke2.
    #[arg(long, value_parser = crate::distribution::Distribution::check, value_name = "DIST")]
    pub distribution: Option<crate::distribution::Distribution>,
}

/// clap's value parser for `--provider` (exit 2 on anything else).
pub fn parse_provider(s: &str) -> Result<ProviderKind, String> {
    ProviderKind::check(s)
}

/// clap's value parser for `--cluster`: [`ClusterName::check`] (exit 2 on a bad name).
pub fn parse_cluster(s: &str) -> Result<ClusterName, String> {
    ClusterName::check(s)
}

/// `--cluster NAME` (`-c`), for every command that acts on an existing cluster.
#[derive(Debug, Args, Clone, Default)]
pub struct ClusterArg {
    /// The cluster (`mlk list` shows them). Default: the only one there is.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Replaced by --cluster: a command after `up` names a cluster, not a profile.
    #[arg(long, short = 'p', hide = true, value_name = "PROFILE")]
    pub profile: Option<String>,
}

impl ClusterArg {
    /// The name given, or a usage error for the old `--profile` spelling.
    pub fn name(&self) -> anyhow::Result<Option<&ClusterName>> {
        if let Some(p) = &self.profile {
            return Err(crate::exit::classify(
                crate::exit::Class::Usage,
                format!(
                    "--profile {p}: this command names a cluster, not a profile; use --cluster NAME (-c NAME), \
                     where NAME is the profile's `name` (`mlk list` shows the clusters)"
                ),
            ));
        }
        Ok(self.cluster.as_ref())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring a cluster up stage by stage; resumes where the last run stopped.
    Up(crate::commands::up::UpArgs),
    /// Every cluster with its provider, node count, state and age.
    List(crate::commands::list::ListArgs),
    /// Each machine's state, each stage's state and the dashboards; exit 0 only when fully up.
    Status(crate::commands::status::StatusArgs),
    /// Log in to a node, or run `-- CMD` there and exit with its code.
    Ssh(crate::commands::ssh::SshArgs),
    /// Print the cluster's kubeconfig path, or merge it into ~/.kube/config (--merge).
    Kubeconfig(crate::commands::kubeconfig::KubeconfigArgs),
    /// Halt the cluster's VMs (vagrant halt); `mlk start` resumes them.
    Stop(crate::commands::stop::StopArgs),
    /// Start a stopped cluster's VMs again and check that it is healthy.
    Start(crate::commands::start::StartArgs),
    /// Destroy the cluster's machines and its kube context; keeps its folder and run records.
    Down(crate::commands::down::DownArgs),
    /// Run the sample TensorFlow workload (or a manifest) and record the run for `report`.
    RunWorkload(crate::commands::run_workload::RunWorkloadArgs),
    /// Resource report of recorded workload runs (CPU, memory, network, disk; SVG/PNG charts).
    Report(crate::commands::report::ReportArgs),
    /// Recorded workload runs of every cluster: list, show, rm, export (runs outlive clusters).
    Runs(crate::commands::runs::RunsCmd),
    /// Write a diagnostics bundle (logs, state, rendered files, cluster status; secrets redacted).
    Diagnose(crate::commands::diagnose::DiagnoseArgs),
    /// Check this host for a profile: tools, provider, IP ranges, subnet clashes, memory, disk.
    Doctor(crate::commands::doctor::DoctorArgs),
    /// Print the staged plan of a profile without touching anything.
    Plan(crate::commands::plan::PlanArgs),
    /// Write every rendered file (Vagrantfile, cluster.yml, Helm values, stage scripts).
    Render(crate::commands::render::RenderArgs),
    /// The embedded profiles: list them, or print one to copy and edit.
    Profile(crate::commands::profiles::ProfileCmd),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion(crate::commands::completion::CompletionArgs),
    /// Print the manual page, or write one per command into a folder.
    Man(crate::commands::man::ManArgs),
    /// Print mlk's version, git commit and the pinned component versions.
    #[command(after_help = "Examples:
  mlk version            # the same as mlk --version
  mlk -V                 # the first line only")]
    Version,
    /// Open a dashboard (rancher, chronograf, kubeflow) or InfluxDB; port-forwards over SSH
    /// when its name does not resolve here.
    Open(crate::commands::open::OpenArgs),
    /// Forward a local port to a Service of the cluster over SSH (a dashboard, InfluxDB, or
    /// NAMESPACE/SERVICE[:PORT]).
    PortForward(crate::commands::port_forward::PortForwardArgs),
    /// Rancher chores: `mlk rancher reset-password`.
    Rancher(crate::commands::rancher::RancherArgs),
    /// Many identical clusters for a class: plan, up, status, roster, down, stop, start.
    Fleet(crate::commands::fleet::FleetCmd),
}
