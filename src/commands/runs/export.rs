//! `mlk runs export RUN`: what `run-workload` does when a run ends, for runs without an
//! export (recorded before mlk exported samples, or whose export failed).
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::exit::{Class, classify};
use crate::remote::Runner;
use crate::report::locate;
use crate::runs::{export, store};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk runs export mono-1                  # before `mlk down`, for a run without an export
  mlk runs export mono/mono-1 --force     # export again, replacing the file")]
pub struct ExportArgs {
    /// NAME (in --cluster, else in the cluster that has it) or CLUSTER/NAME.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// The cluster of a run given without one.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Export again even if the run has exported samples.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// The nodes' ssh-config (default: <cluster>/ssh-config).
    #[arg(long)]
    pub inventory: Option<PathBuf>,
    /// InfluxDB's address as seen from the first controlplane node, HOST[:PORT] (default:
    /// the ClusterIP of Service tick/influxdb).
    #[arg(long, value_name = "HOST:PORT")]
    pub influx: Option<String>,
}

pub fn run(g: &Global, a: &ExportArgs) -> Result<()> {
    let home = g.home()?;
    let l = store::locate(&home, a.cluster.as_ref(), &a.run)?;
    if let Some(s) = &l.record.samples
        && !a.force
    {
        return Err(classify(
            Class::Usage,
            format!(
                "run {} was exported already ({}, {}); --force exports it again",
                l.id(),
                s.file,
                s.exported_at
            ),
        ));
    }
    let c = crate::cluster::open(&g.home()?, Some(&ClusterName::parse(&l.cluster.name)?))?;
    if a.inventory.is_none() && a.influx.is_none() {
        crate::cluster::access::ready_for_report(&c)?;
    }
    let dir = l.dir().to_path_buf();
    locate::password(&dir)?;
    let influx = a.influx.as_deref().map(locate::parse_addr).transpose()?;
    let cp = l.record.controlplane.clone();
    let node = (!cp.is_empty()).then_some(cp.as_str());
    let runner: Arc<dyn Runner> =
        crate::cluster::access::connect(&dir, a.inventory.as_deref(), node)?;
    let name = l.record.name.clone();
    export::after_run(&dir, &name, runner, influx, &mut |line| {
        eprintln!("mlk: {line}")
    })?;
    println!("{}", crate::runs::samples_path(&dir, &name).display());
    Ok(())
}
