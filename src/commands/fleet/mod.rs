//! `mlk fleet ...`: many identical clusters for a class, one file per subcommand (glue only;
//! the logic is in `crate::fleet`).
pub mod down;
pub mod plan;
pub mod roster;
pub mod start;
pub mod status;
pub mod stop;
pub mod up;

use crate::cli::Global;
use crate::fleet::names::{self, Member};
use crate::provider::ProviderKind;
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet plan -p mono --count 12              # names, addresses, URLs; touches nothing
  mlk fleet up -p mono --roster students.csv     # one cluster per student, K at a time
  mlk fleet status                               # one line per cluster; exit 0 when all are up
  mlk fleet roster --out roster/                 # a page per student, an index for you
  mlk fleet down --purge")]
pub struct FleetCmd {
    #[command(subcommand)]
    pub command: FleetSub,
}

#[derive(Debug, Subcommand)]
pub enum FleetSub {
    /// Names, addresses and dashboard URLs of every cluster; refuses a fleet that does not fit.
    Plan(plan::PlanArgs),
    /// Bring every cluster up, K at a time; a rerun resumes only unfinished clusters.
    Up(up::UpArgs),
    /// One line per cluster: state, failed stage, dashboards; exit 0 only when all are up.
    Status(status::StatusArgs),
    /// Per-student pages (HTML, Markdown) with URLs, users and passwords; an index for you.
    Roster(roster::RosterArgs),
    /// Destroy every cluster's machines (in parallel); --purge also deletes the folders.
    Down(down::DownArgs),
    /// Halt every cluster's VMs (in parallel).
    Stop(stop::StopArgs),
    /// Start every cluster's VMs again and check each is healthy (in parallel).
    Start(start::StartArgs),
}

pub fn run(g: &Global, a: &FleetCmd) -> Result<()> {
    match &a.command {
        FleetSub::Plan(a) => plan::run(g, a),
        FleetSub::Up(a) => up::run(g, a),
        FleetSub::Status(a) => status::run(g, a),
        FleetSub::Roster(a) => roster::run(g, a),
        FleetSub::Down(a) => down::run(g, a),
        FleetSub::Stop(a) => stop::run(g, a),
        FleetSub::Start(a) => start::run(g, a),
    }
}

/// `--fleet NAME`, for the commands that act on an existing fleet.
#[derive(Debug, Args, Clone)]
pub struct FleetArg {
    /// The fleet (default: the only one in the mlk home).
    #[arg(long, value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub fleet: Option<crate::cluster::ClusterName>,
    /// Clusters handled at once (default: from this host's CPUs).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=200))]
    pub parallel: Option<u32>,
}

impl FleetArg {
    pub fn name(&self) -> Option<&str> {
        self.fleet.as_ref().map(|n| n.as_str())
    }
    /// K for commands that boot nothing: the children mostly wait on SSH or Vagrant.
    pub fn k(&self, clusters: usize) -> usize {
        self.parallel.map_or_else(
            || {
                let host = crate::fleet::capacity::measure();
                (host.cpus * crate::fleet::capacity::SSH_PER_CPU).clamp(1, clusters.max(1))
            },
            |k| k as usize,
        )
    }
}

/// What makes a fleet: the profile, its clusters, where their machines come from.
#[derive(Debug, Args, Clone)]
pub struct DefineArgs {
    /// An embedded profile (mono, distributed) or a profile YAML file, for every cluster.
    #[arg(long, short = 'p')]
    pub profile: Option<String>,
    /// This many clusters, named PREFIX-01 ... PREFIX-NN.
    #[arg(long, value_name = "N", conflicts_with_all = ["names", "roster"])]
    pub count: Option<usize>,
    /// These cluster names (comma-separated or repeated).
    #[arg(long, value_name = "NAME,...", conflicts_with = "roster")]
    pub names: Vec<String>,
    /// A CSV with a header row: `cluster` (required), `student`, `email`; one row per cluster.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Name prefix for --count, and the fleet's name unless --fleet says otherwise.
    #[arg(long, default_value = "lab", value_parser = crate::cli::parse_cluster)]
    pub prefix: crate::cluster::ClusterName,
    /// The fleet's name (default: the prefix).
    #[arg(long, value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub fleet: Option<crate::cluster::ClusterName>,
    /// The range node addresses come from (default: VirtualBox's host-only range, e.g.
    /// 192.168.56.0/21).
    #[arg(long, value_name = "CIDR")]
    pub network: Option<ipnet::Ipv4Net>,
    /// `ssh` (existing hosts, --inventory) or a Vagrant provider; default: the profile's.
    #[arg(long, value_parser = crate::cli::parse_provider, value_name = "PROVIDER")]
    pub provider: Option<ProviderKind>,
    /// With --provider ssh: `Host <cluster>-<node>` blocks (e.g. lab-01-node1), in the format
    /// `vagrant ssh-config` prints.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// The Kubernetes distribution of every cluster: rke or rke2 (default: the profile's
    /// `kubernetes.distribution`); passed to each `mlk up`.
    #[arg(long, value_parser = crate::distribution::Distribution::check, value_name = "DIST")]
    pub distribution: Option<crate::distribution::Distribution>,
}

impl DefineArgs {
    pub fn fleet_name(&self) -> String {
        self.fleet.as_ref().unwrap_or(&self.prefix).to_string()
    }

    /// The members the flags name, or None when none of --count/--names/--roster is given.
    pub fn members(&self) -> Result<Option<Vec<Member>>> {
        if let Some(n) = self.count {
            return names::numbered(self.prefix.as_str(), n).map(Some);
        }
        if !self.names.is_empty() {
            return names::listed(&self.names).map(Some);
        }
        if let Some(r) = &self.roster {
            return names::roster(r).map(Some);
        }
        Ok(None)
    }

    pub fn given(&self) -> bool {
        self.profile.is_some()
            || self.count.is_some()
            || !self.names.is_empty()
            || self.roster.is_some()
            || self.network.is_some()
            || self.provider.is_some()
            || self.inventory.is_some()
            || self.distribution.is_some()
    }
}
