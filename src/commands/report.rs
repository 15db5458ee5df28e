//! `mlk report RUN [RUN…]`: resource use of recorded workload runs, from the cluster's InfluxDB.
use super::cluster_access;
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::exit::{Class, classify};
use crate::remote::Runner;
use crate::report::influx::Client;
use crate::report::{self, locate, write::Format};
use crate::runs::{self, RunRecord};
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk report mono-1                          # a run of the only cluster
  mlk report mono/mono-1 distributed/dist-1  # side by side, with ratios
  mlk report -c mono mono-1 --format md --out report/")]
pub struct ReportArgs {
    /// Runs to report on: NAME (in --cluster) or CLUSTER/NAME. Two runs are shown side by side.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    /// The cluster of runs given without one (default: the only cluster).
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Output folder (default: <cluster>/reports/<run>[-vs-<run>…]).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// The nodes' ssh-config (default: <cluster>/ssh-config).
    #[arg(long)]
    pub inventory: Option<PathBuf>,
    /// InfluxDB's address as seen from the first controlplane node, HOST[:PORT] (default:
    /// the ClusterIP of Service tick/influxdb, read with the node's kubectl).
    #[arg(long, value_name = "HOST:PORT")]
    pub influx: Option<String>,
}

struct Target {
    run: RunRecord,
    dir: PathBuf,
}

fn targets(g: &Global, a: &ReportArgs) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for arg in &a.runs {
        let (cluster, name) = match arg.split_once('/') {
            Some((c, n)) => (Some(ClusterName::parse(c)?), n),
            None => (a.cluster.clone(), arg.as_str()),
        };
        let c = cluster_access::resolve(g, cluster.as_ref())?;
        if a.inventory.is_none() && a.influx.is_none() {
            cluster_access::ready_for_report(&c)?;
        }
        let dir = c.dir().to_path_buf();
        let run = runs::load(&dir, name)?;
        out.push(Target { run, dir });
    }
    Ok(out)
}

pub fn run(g: &Global, a: &ReportArgs) -> Result<()> {
    let targets = targets(g, a)?;
    let influx = a.influx.as_deref().map(locate::parse_addr).transpose()?;
    // One client per cluster: an SSH connection to its first controlplane node.
    let mut clients: BTreeMap<String, Client<'static>> = BTreeMap::new();
    for t in &targets {
        if clients.contains_key(&t.run.cluster) {
            continue;
        }
        let password = locate::password(&t.dir)?;
        let node = (!t.run.controlplane.is_empty()).then_some(t.run.controlplane.as_str());
        let runner: Arc<dyn Runner> =
            cluster_access::connect(&t.dir, a.inventory.as_deref(), node)?;
        let (host, port) = match &influx {
            Some(hp) => hp.clone(),
            None => locate::service(runner.as_ref(), crate::plan::releases::TICK_NAMESPACE)?,
        };
        let at = format!("{host}:{port} (tunnelled from {})", runner.node());
        let dial: report::influx::Dialer<'static> =
            Box::new(move || Ok(runner.tunnel(&host, port)?));
        clients.insert(
            t.run.cluster.clone(),
            Client::new(dial, &at, report::DATABASE, report::USER, &password),
        );
    }
    let records: Vec<RunRecord> = targets.iter().map(|t| t.run.clone()).collect();
    let out = match &a.out {
        Some(o) => o.clone(),
        None => {
            let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
            targets[0].dir.join("reports").join(names.join("-vs-"))
        }
    };
    let done = report::generate(
        &records,
        &mut |r| {
            clients.get(&r.cluster).ok_or_else(|| {
                classify(
                    Class::Failure,
                    format!("no client for cluster {}", r.cluster),
                )
            })
        },
        &out,
        a.format,
    )?;
    for l in &done.method {
        eprintln!("mlk: {l}");
    }
    eprintln!(
        "mlk: report written: {} file(s) in {} (its Method section says how every figure is made)",
        done.files.len(),
        out.display()
    );
    println!("{}", done.files[0].display());
    Ok(())
}
